"""Issue 9, every mode at higher order: what the last note left (modes9).

1. A gradient (what `ad.grad` returned) called with arguments other than the function's parameters and
   constants (`grad_u(x * 2.0, p)`, a local variable) inside a function differentiated again: where compiling
   it for arguments of unknown kinds is refused, the kinds of those arguments are learned by the kinds pass
   (gradient_call_kinds.py) and the function compiled again, the gradient by forward sweeps where its
   reverse-mode code is refused (driver.Derivation.run).

Every check is against central differences: of the first-order gradient (second order) or of f itself (a
derivative inside a loss, then the loss's gradient).
"""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes

EPS = 1e-5


def close(got, expected, rtol=1e-5, atol=1e-6):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                               atol=atol * scale)


# -- 1. expression arguments of an inlined gradient --------------------------------------------------------------
def f_rows(W, x):
    A = W * 1.0
    for row in A:  # (rows changed in place: the gradient's code is refused without the kinds of W and x)
        row *= np.tanh(x)
    if x[0] > 0:
        A[0] += x[1] * A[1]
    return np.sum(np.sin(A) * x)


grad_rows = ad.grad(f_rows, wrt=("W", "x"))


def directional_of_expression(W, x, vW, vx):
    gW, gx = grad_rows(W * 2.0, x)
    return np.sum(gW * vW) + np.sum(gx * vx)


def directional_of_local(W, x, vW, vx):
    h = np.sin(x)
    gW, gx = grad_rows(W, h)
    return np.sum(gW * vW) + np.sum(gx * vx)


def _point(sign, seed=0):
    rng = np.random.default_rng(seed)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x[0] = sign * (abs(x[0]) + 0.1)
    return W, x, rng.standard_normal((3, 2)), rng.standard_normal(2)


def hessian_times(W, x, vW, vx):
    """(H v) at (W, x), H the Hessian of f_rows: central differences of its gradient along v."""
    hi, lo = grad_rows(W + EPS * vW, x + EPS * vx), grad_rows(W - EPS * vW, x - EPS * vx)
    return [(a - b) / (2 * EPS) for a, b in zip(hi, lo)]


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_second_order_through_an_expression_argument(sign):
    W, x, vW, vx = _point(sign)
    hW, hx = hessian_times(2.0 * W, x, vW, vx)  # (the gradient of <g(2W, x), v>: 2 (H v)_W and (H v)_x)
    got = ad.grad(directional_of_expression, wrt=("W", "x"))(W, x, vW, vx)
    close(got[0], 2.0 * hW)
    close(got[1], hx)


def test_second_order_through_a_local_variable():
    W, x, vW, vx = _point(1, seed=1)
    hW, hx = hessian_times(W, np.sin(x), vW, vx)
    d = ad.grad(directional_of_local, wrt=("W", "x"))
    got = d(W, x, vW, vx)
    close(got[0], hW)
    close(got[1], np.cos(x) * hx)
    assert "by forward sweeps" in d.source  # (the gradient's reverse-mode code is refused here)


# a derivative inside a loss, then the loss's gradient (physics-informed losses)
def u_rows(x, p):
    A = np.outer(p, x)
    for row in A:
        row *= np.tanh(x)
    return np.sum(np.sin(A)) + np.sum(x ** 2 * p[0])


du_rows = ad.grad(u_rows, wrt="x")


def residual_loss(p, xs):
    r = du_rows(xs * 2.0, p) - xs
    return np.sum(r ** 2)


def u_aux(x, p):
    A = np.outer(p, x)
    for row in A:
        row *= np.tanh(x)
    return np.sum(np.sin(A)), np.sum(A)


value_grad_aux = ad.value_and_grad(u_aux, wrt="x", has_aux=True)


def aux_loss(p, xs):
    h = xs * 1.5
    (v, aux), g = value_grad_aux(h, p)
    return v * aux + np.sum(g ** 2)


def scalar_u(t, p):
    A = np.outer(p, p) * t
    for row in A:
        row *= np.tanh(t)
    return np.sum(np.sin(A))


du_dt = ad.grad(scalar_u, wrt="t")


def scalar_loss(p, t):
    s = t * 2.0
    return du_dt(s, p) ** 2 + du_dt(t + 1.0, p)


@pytest.mark.parametrize("f, modes", [(residual_loss, ("grad", "hvp")), (aux_loss, ("grad",)),
                                      (scalar_loss, ("grad", "jvp"))],
                         ids=["residual", "value_and_grad-has_aux", "numbers"])
def test_a_derivative_inside_a_loss(f, modes):
    rng = np.random.default_rng(2)
    p, xs = rng.standard_normal(4) * 0.5, rng.standard_normal(3)
    check_modes(f, (p, 0.3 if f is scalar_loss else xs), wrt=0, modes=modes)


def field(p, xs):
    h = xs * 2.0
    return du_rows(h, p) * p[1]


def test_jacobian_of_a_gradient_of_an_expression():
    rng = np.random.default_rng(3)
    p, xs = rng.standard_normal(4) * 0.5, rng.standard_normal(3)
    expected = np.stack([(field(p + EPS * e, xs) - field(p - EPS * e, xs)) / (2 * EPS) for e in np.eye(4)], axis=-1)
    close(ad.jacrev(field, wrt="p")(p, xs), expected)


def helper_of(v, p):
    return np.sum(du_rows(v * 1.0, p))


def mixed_kinds(p, xs):
    return helper_of(xs, p) + helper_of(xs[0], p)  # (one line, an array there and a number here)


def test_a_site_of_two_kinds_stays_refused():
    """The helper's line calls the gradient with an array and with a number: one kind cannot be learned for
    it, and the refusal stands (located in u_rows)."""
    p, xs = np.array([0.3, -0.2, 0.5, 0.1]), np.array([0.4, -0.6, 0.9])
    with pytest.raises(ad.ADError, match="row"):
        ad.grad(mixed_kinds)(p, xs)
