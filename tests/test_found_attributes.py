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
