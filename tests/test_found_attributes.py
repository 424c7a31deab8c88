"""Assigning an attribute of an array (`y.shape = ...`, `z.real = ...`, `z.imag = ...`, `y.flat = ...`) ran as
a store into a dict of attributes and crashed in the generated code (grad and jvp); it is refused at the line
now (alias_stores.not_an_array_attribute)."""
import dataclasses

import numpy as np
import pytest

import ad_compiler as ad


def shape_store(x):
    y = x.copy()
    y.shape = (2, 3)
    return np.sum(y[0] * y[1])


def shape_through_alias(x):
    y = x * 1.0
    z = y
    z.shape = (3, 2)
    return np.sum(y[:, 0] ** 2) + np.sum(z[0])


def real_store(x):
    z = x * (1 + 2j)
    z.real = x ** 2
    return np.sum(np.abs(z) ** 2)


def imag_store(x):
    z = x + 0j
    z.imag = x
    return np.sum(np.abs(z) ** 2)


def flat_store(x):
    y = x.copy()
    y.flat = x[::-1] ** 2
    return np.sum(y * x)


class Box:
    pass


def object_attribute(x):
    b = Box()
    b.v = x * 2.0
    return np.sum(b.v ** 2)


@pytest.mark.parametrize("f, line", [(shape_store, "y.shape = (2, 3)"), (shape_through_alias, "z.shape = (3, 2)"),
                                     (real_store, "z.real = x ** 2"), (imag_store, "z.imag = x"),
                                     (flat_store, "y.flat = x[::-1] ** 2")])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_array_attribute_store_refused(f, line, mode):
    x = np.linspace(0.2, 0.9, 6)
    with pytest.raises(ad.ADError) as e:
        if mode == "grad":
            ad.grad(f)(x)
        else:
            ad.jvp(f)(x, np.ones(6))
    text = str(e.value)
    assert "test_found_attributes.py" in text and line in text and "cannot be differentiated" in text


def test_object_attribute_still_works():
    x = np.linspace(0.2, 0.9, 6)
    assert np.allclose(ad.grad(object_attribute)(x), 8.0 * x)


@dataclasses.dataclass
class Buffers:
    scale: float = 2.0
    items: list = dataclasses.field(default_factory=list)
    table: dict = dataclasses.field(default_factory=dict)


def uses_a_dataclass(x):
    b = Buffers()
    b.items.append(x * b.scale)
    return np.sum(b.items[0] ** 2)


def test_a_refusal_inside_a_dataclass_init_names_the_line_making_the_object():
    """The __init__ the compiler writes for a dataclass has no source of the user's: a refusal there (jit=True:
    a dict field) names the line making the object (it named `<ad_compiler: __init__ of the dataclass ...>`);
    `field(default_factory=list)` is written `[]`, which every mode and jit=True read as a new list."""
    x = np.linspace(0.2, 0.9, 3)
    np.testing.assert_allclose(ad.grad(uses_a_dataclass)(x), 8.0 * x)
    with pytest.raises(ad.ADError) as e:
        ad.grad(uses_a_dataclass, jit=True)(x)
    assert "test_found_attributes.py" in str(e.value) and "b = Buffers()" in str(e.value), str(e.value)


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    hist: list = dataclasses.field(default_factory=list)

    def apply(self, v):
        out = v * self.w
        self.hist.append(out)
        return out


@dataclasses.dataclass
class Scaled(Layer):
    def apply(self, v):
        return super().apply(v * 2.0) + Layer.apply(self, v)


def appends_to_an_attribute_never_read(x, w):
    layer = Scaled(x)
    c = layer.apply(w[1] * w[0])
    return np.sum(c.copy())


def test_second_order_through_an_attribute_whose_adjoint_has_no_entry():
    """explore --mode all seed 7302 #155/#236: ad.hvp / ad.hessian crashed with KeyError 'hist': the gradient's
    `_ad.pop_item(b, 'hist')` on an object's adjoint (a dict holding only the attributes read) was read again as
    `b['hist']`; `b.get('hist')` now (alias_effects.pop_item), as pop_item gives None there."""
    x, w = np.array([0.383, 0.249, -0.355, 1.122]), np.array([-0.323, -0.922, 0.389])
    H = ad.hessian(appends_to_an_attribute_never_read, wrt=1)(x, w)
    expected = np.zeros((3, 3))  # (f = 3 w[0] w[1] sum(x))
    expected[0, 1] = expected[1, 0] = 3.0 * np.sum(x)
    np.testing.assert_allclose(H, expected, rtol=1e-10, atol=1e-12)
    v = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(ad.hvp(appends_to_an_attribute_never_read, wrt=1)(x, w, v), expected @ v, rtol=1e-10)
