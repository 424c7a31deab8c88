"""A derivative inside the differentiated function (issue 9: physics-informed losses, a derivative in the loss):
`ad.grad(u)(x, p)` made in the function itself, or a derivative function of the module, inlined as its
generated code; and the outer derivative compiled again when the inner function changes (its code, or the
name's binding). Expected values are central differences of the function itself (modes_check.py)."""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes


def u(x, p):
    return p[0] * np.sin(p[1] * x) + p[2] * x ** 3


def u_other(x, p):
    return p[0] * np.tanh(p[1] * x) * 2.0 + p[2] * x


def residual_made_in_loop(p, xs):
    r = 0.0
    for x in xs:
        du = ad.grad(u)(x, p)
        r = r + (du - np.cos(x)) ** 2
    return r


def residual_named_wrt(p, xs):
    d = ad.grad(u, wrt="x")
    return sum((d(x, p) - np.cos(x)) ** 2 for x in xs)


def value_and_slope(p, xs):
    vg = ad.value_and_grad(u, wrt=0)
    total = 0.0
    for x in xs:
        v, g = vg(x, p)
        total = total + v ** 2 + g ** 2
    return total


def tangent_made_here(p, xs):
    total = 0.0
    for x in xs:
        _, t = ad.jvp(u, wrt=0)(x, p, 1.0)
        total = total + t * x
    return total


def through_a_default(p, xs, f=u):
    return sum(ad.grad(f)(x, p) ** 2 for x in xs)


P = np.array([0.7, 1.3, -0.2])
XS = [0.1, 0.5, 0.9]


@pytest.mark.parametrize("f", [residual_made_in_loop, residual_named_wrt, value_and_slope, tangent_made_here,
                               through_a_default], ids=lambda f: f.__name__)
def test_derivative_made_in_the_function(f):
    check_modes(f, (P, XS), 0, modes=("grad", "jvp", "hvp"))


DU = ad.grad(u)


def loss_with_module_derivative(p, x):
    return DU(x, p) ** 2


def loss_with_derivative_made_here(p, x):
    return ad.grad(u)(x, p) ** 2


@pytest.mark.parametrize("loss", [loss_with_module_derivative, loss_with_derivative_made_here],
                         ids=lambda f: f.__name__)
def test_a_change_of_the_inner_function_compiles_again(loss):
    g = ad.grad(loss)
    code = u.__code__
    try:
        check_modes(loss, (P, 0.4), 0, modes=("grad",))
        g(P, 0.4)
        u.__code__ = u_other.__code__  # the inlined derivative was silently the old one's
        expected = ad.grad(lambda p, x: (2.0 * p[0] * p[1] / np.cosh(p[1] * x) ** 2 + p[2]) ** 2)
        np.testing.assert_allclose(g(P, 0.4), expected(P, 0.4), rtol=1e-10)
        check_modes(loss, (P, 0.4), 0, modes=("grad",))
    finally:
        u.__code__ = code
    check_modes(loss, (P, 0.4), 0, modes=("grad",))


def test_a_derivative_made_with_options_not_known_when_compiling_is_refused():
    def loss(p, x, which):
        return ad.grad(u, wrt=which)(x, p) ** 2

    with pytest.raises(ad.ADError, match="a call of a function value not known when compiling"):
        ad.grad(loss)(P, 0.4, 0)


def rnn_stopping_early(W, xs):
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
        if np.sum(h) > 2.5:
            return np.sum(h)
    return np.sum(h ** 2)


def gradient_norm_of_early_stopping_rnn(W, xs):
    return np.sum(ad.grad(rnn_stopping_early)(W, xs) ** 2)


@pytest.mark.parametrize("offset", [0.0, 0.6])  # (the loop runs to its end; it returns early)
def test_gradient_of_a_gradient_through_an_early_return_in_a_loop(offset):
    # the inlined derivative reads a value of a branch under the same condition again (`if returned: ...`
    # after the loop, twice): generated code, so not 'read before it is assigned'
    rng = np.random.default_rng(0)
    W, xs = rng.standard_normal((2, 3)) * 0.3 + offset, np.abs(rng.standard_normal((4, 2))) + offset
    h, early = np.zeros(3), False
    for x in xs:
        h = np.tanh(x @ W + h)
        early = early or np.sum(h) > 2.5
    assert early == (offset > 0)
    check_modes(gradient_norm_of_early_stopping_rnn, (W, xs), 0, modes=("grad", "jvp"))
