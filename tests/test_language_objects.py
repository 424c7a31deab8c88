"""Objects (issue 10): methods of objects taken from containers (layers of several classes, inheritance,
`super()`), objects made inside the differentiated function (`__init__` inlined, attributes carrying
derivatives), dataclasses, properties, `__call__`, static and class methods. Every program is checked
against central finite differences in all modes (modes_check.py), alone and inside loops and callees."""
from dataclasses import dataclass, field

import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import fd_grad

rng = np.random.default_rng(12)


def A(*shape):
    return rng.standard_normal(shape)


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        return np.tanh(self.W @ x + self.b)


class Scaled(Dense):
    """Inherits __init__, calls the base class's forward through super()."""

    def forward(self, x):
        return 2.0 * super().forward(x) - 0.5 * x


class Relu:
    def forward(self, x):
        return np.maximum(x, 0.0)


class Residual(Dense):
    def __init__(self, W, b, gate):
        super().__init__(W, b)
        self.gate = gate

    def forward(self, x):
        return x + self.gate * Dense.forward(self, x)


def network(x, layers):
    for layer in layers:
        x = layer.forward(x)
    return np.sum(x ** 2)


def test_layers_of_several_classes_from_a_list():
    layers = [Dense(A(3, 3), A(3)), Relu(), Scaled(A(3, 3), A(3)), Residual(A(3, 3), A(3), 0.7)]
    check_modes(network, (A(3), layers), 0)
    got = ad.grad(network, wrt="layers")(A(3), layers)  # the gradient of each layer: a dict by attribute
    assert isinstance(got, list) and set(got[0]) == {"W", "b"} and set(got[3]) == {"W", "b", "gate"}
    x = A(3)
    g = ad.grad(network, wrt="layers")(x, layers)

    def with_gate(gate):
        ls = list(layers)
        ls[3] = Residual(layers[3].W, layers[3].b, gate)
        return network(x, ls)
    assert g[3]["gate"] == pytest.approx(fd_grad(with_gate, [0.7], 0), rel=1e-5)


def test_layers_of_one_class_from_a_list_in_a_loop():
    layers = [Dense(A(3, 3), A(3)) for _ in range(3)]
    check_modes(network, (A(3), layers), 0)


class Cell:
    """A recurrent cell keeping its state in an attribute."""

    def __init__(self, W, U):
        self.W = W
        self.U = U
        self.h = np.zeros(W.shape[0])

    def step(self, x):
        self.h = np.tanh(self.W @ self.h + self.U @ x)
        return self.h


def built_inside(W, U, b, xs):
    lin = Dense(W, b)  # made in the differentiated function: its attributes carry derivatives
    cell = Cell(W, U)
    total = 0.0
    for t in range(xs.shape[0]):
        h = cell.step(xs[t])
        total = total + np.sum(lin.forward(h)) * np.sum(xs[t])
    cell.W = cell.W * 0.5  # an attribute replaced
    return total + np.sum(cell.step(xs[0]) ** 2) + np.sum(cell.h)


def test_objects_made_inside_the_function():
    W, U, b, xs = A(3, 3) * 0.5, A(3, 2), A(3), A(4, 2)
    for wrt in (0, 1, 2):
        check_modes(built_inside, (W, U, b, xs), wrt, modes=("grad", "jvp") if wrt else ("grad", "jvp", "hvp", "hessian"))


def layers_built_in_a_loop(x, Ws):
    layers = []
    for i in range(len(Ws)):
        if i % 2 == 0:
            layers.append(Dense(Ws[i], np.zeros(3)))
        else:
            layers.append(Scaled(Ws[i], np.ones(3) * 0.1))
    total = 0.0
    for layer in layers:
        x = layer.forward(x)
        total = total + np.sum(x)
    return total


def test_objects_made_in_a_loop_and_kept_in_a_list():
    Ws = [A(3, 3) for _ in range(3)]
    check_modes(layers_built_in_a_loop, (A(3), Ws), 0, modes=("grad", "jvp", "hvp"))
    check_modes(layers_built_in_a_loop, (A(3), Ws), 1, modes=("grad", "jvp"))


@dataclass
class Params:
    W: np.ndarray
    scale: float = 2.0
    history: list = field(default_factory=list)

    def __post_init__(self):
        self.norm = np.sum(self.W ** 2)


@dataclass(frozen=True)
class Frozen:
    a: float
    b: float = 0.5


def dataclasses_inside(W, x):
    p = Params(W)
    q = Params(W * 2.0, scale=x[0])
    f = Frozen(x[1], b=x[2])
    for k in range(2):
        p.history.append(p.norm * k)
    return np.sum(p.W @ x) * q.scale + p.norm * f.a + f.b * sum(p.history) + q.norm


def test_dataclasses():
    check_modes(dataclasses_inside, (A(3, 3), A(3)), 0)
    check_modes(dataclasses_inside, (A(3, 3), A(3)), 1)


class Quadratic:
    def __init__(self, A_):
        self.A = A_

    @property
    def sym(self):
        return 0.5 * (self.A + self.A.T)

    def __call__(self, x):
        return x @ self.sym @ x

    @staticmethod
    def norm2(x):
        return np.sum(x * x)

    @classmethod
    def identity(cls, n):
        return cls(np.eye(n))


def callables(M, x):
    q = Quadratic(M)
    e = Quadratic.identity(3)
    return q(x) + e(x) * Quadratic.norm2(x) + np.sum(q.sym)


def test_properties_call_static_and_class_methods():
    check_modes(callables, (A(3, 3), A(3)), 0)
    check_modes(callables, (A(3, 3), A(3)), 1)


def model_loss(model, x):
    return np.sum(model.forward(x) ** 2)


def test_gradient_with_respect_to_an_object_made_outside_still_works():
    model = Scaled(A(3, 3), A(3))
    got = ad.grad(model_loss)(model, A(3))
    assert set(got) == {"W", "b"}


def changes_an_argument(model, x):
    model.W = model.W * 2.0
    return np.sum(model.forward(x))


def test_changing_an_attribute_of_an_argument_is_refused():
    with pytest.raises(ad.UnsupportedError, match="this changes the argument `model` in place") as info:
        ad.grad(changes_an_argument, wrt=1)(Dense(A(3, 3), A(3)), A(3))
    assert "model.W = model.W * 2.0" in str(info.value)


# -- private attributes (`self.__w`: Python mangles it to `_Private__w`) ---------------------------------
class Private:
    def __init__(self, W):
        self.__W = W

    def __act(self, v):
        return np.tanh(v)

    def forward(self, x):
        def inner(v):
            return self.__W @ v
        return self.__act(inner(x))


class PrivateSub(Private):
    """Has its own `__W` (`_PrivateSub__W`, another attribute) and reads the parent's through its method."""

    def __init__(self, W, W2):
        super().__init__(W)
        self.__W = W2

    def forward(self, x):
        return Private.forward(self, x) + self.__W @ x


def private_made_inside(W, W2, x):
    return np.sum(PrivateSub(W, W2).forward(x) ** 2) + np.sum(Private(W).forward(x))


def private_argument(layer, x):
    return np.sum(layer.forward(x) ** 2)


def test_private_attributes_and_methods():
    W, W2, x = A(3, 3), A(3, 3), A(3)
    for wrt in (0, 1, 2):
        check_modes(private_made_inside, (W, W2, x), wrt)
    layer = PrivateSub(W, W2)
    check_modes(private_argument, (layer, x), 1)
    got = ad.grad(private_argument)(layer, x)  # by attribute, as Python names them
    assert set(got) == {"_Private__W", "_PrivateSub__W"}

    def with_w2(w2):
        return private_argument(PrivateSub(W, w2), x)
    np.testing.assert_allclose(got["_PrivateSub__W"], fd_grad(with_w2, [W2], 0), rtol=1e-6, atol=1e-8)


# -- super() in every kind of method ------------------------------------------------------------------------
class Root:
    def __init__(self, w):
        super().__init__()  # reaches object.__init__, which does nothing
        self.w = w

    def forward(self, x):
        return np.tanh(self.w * x)

    @classmethod
    def make(cls, w):
        return cls(w)

    @classmethod
    def scale(cls):
        return 2.0

    @property
    def w2(self):
        return self.w * 2.0

    def __call__(self, x):
        return self.forward(x) * 3.0


class Middle(Root):
    def __init__(self, w, c):
        super().__init__(w)
        self.c = c

    def forward(self, x):
        return super().forward(x) * self.c


class Top(Middle):
    def __init__(self, w):
        super(Top, self).__init__(w, 0.5)

    def forward(self, x):
        return super().forward(x) + super(Middle, self).forward(x)  # two levels up, and one

    @classmethod
    def make(cls, w):
        return super().make(w)  # cls is Top: a Top is made

    @classmethod
    def scale(cls):
        return super().scale() * 3.0

    @property
    def w2(self):
        return super().w2 + 1.0

    def __call__(self, x):
        return super().__call__(x) + 1.0

    def nested(self, x):
        def inner(v):
            return super(Top, self).forward(v)  # (its class's name read in a nested function)
        return inner(x) + (lambda v: super(Top, self).forward(v))(x)

    def dynamic(self, x):
        # (the class found from the object: Top here, so Middle's forward)
        return super(type(self), self).forward(x) * super(self.__class__, self).forward(x)

    @staticmethod
    def no_self(x):
        return super().forward(x)  # noqa: (Python raises here: super() has no self)


class Left(Root):
    def forward(self, x):
        return super().forward(x) ** 2


class Right(Root):
    def forward(self, x):
        return super().forward(x) * 0.5


class Diamond(Left, Right):  # MRO: Diamond, Left, Right, Root
    def forward(self, x):
        return super().forward(x) + 1.0


@dataclass
class Record:
    w: float

    def forward(self, x):
        return np.tanh(self.w * x)


class FromRecord(Record):
    def __init__(self, w, c):
        super().__init__(w)  # the dataclass's generated __init__
        self.c = c

    def forward(self, x):
        return super().forward(x) * self.c


TOP = Top(1.5)


def super_made_inside(w, x):
    top = Top.make(w)
    return (np.sum(top.forward(x) * top(x)) + np.sum(top.w2 * x) + Top.scale() * np.sum(top.nested(x))
            + np.sum(Diamond(w).forward(x)) + np.sum(FromRecord(w, 3.0).forward(x)) + np.sum(top.dynamic(x)))


def super_of_a_global_object(x):
    return np.sum(TOP.forward(x) ** 2) + np.sum(TOP(x)) + TOP.w2 * np.sum(TOP.nested(x)) + np.sum(TOP.dynamic(x))


def test_super_in_every_kind_of_method():
    w, x = 0.7, A(3)
    check_modes(super_made_inside, (w, x), 0)
    check_modes(super_made_inside, (w, x), 1)
    check_modes(super_of_a_global_object, (x,), 0)


def super_without_self(x):
    return np.sum(Top.no_self(x))


def test_super_without_self_is_refused_where_it_is():
    with pytest.raises(ad.ADError) as exc:
        ad.grad(super_without_self)(A(3))
    assert "super()" in exc.value.message and "no_self" in str(exc.value) and "line" in str(exc.value)
