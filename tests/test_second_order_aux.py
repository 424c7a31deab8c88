"""Second derivatives through gradients with `has_aux=True` and through gradients made in the function with a
tuple of `wrt` names (issue 9). Where reverse mode refuses the generated code of an inlined gradient (rows
changed in place in a loop: its tape restores them), the gradient is computed by forward sweeps of f's tangent
(driver.Derivative.compile_by_sweeps, composite.sweeps), now also for `has_aux` (the tangent function returns
(value, aux) beside the tangent). `ad.grad(f, wrt=("W", "x"))(W, x)` made inside the function is inlined like
one made at module level (inline_values.made_derivative: options known when compiling, also a tuple). Each
against central differences of the function."""
import numpy as np
import pytest

import ad_compiler as ad

EPS = 1e-6


def f_rows(W, x):
    A = W * 1.0
    for row in A:  # (rows changed in place in a loop: reverse mode over the gradient's code refuses it)
        row *= np.tanh(x)
    if x[0] > 0:
        A[0] += x[1] * A[1]
    return np.sum(np.sin(A) * x), {"total": np.sum(A), "tag": "rows", "n": 3}


grad_aux = ad.grad(f_rows, wrt="x", has_aux=True)
value_and_grad_aux = ad.value_and_grad(f_rows, wrt="x", has_aux=True)
grads_aux = ad.grad(f_rows, wrt=("W", "x"), has_aux=True)


def d_grad(W, x, vx):
    gx, aux = grad_aux(W, x)
    return np.sum(gx * vx) * aux["total"] + aux["n"]


def d_value_and_grad(W, x, vx):
    (value, aux), gx = value_and_grad_aux(W, x)
    return np.sum(gx * vx) * aux["total"] + value


def d_grads(W, x, vx):
    (gW, gx), aux = grads_aux(W, x)
    return np.sum(gx * vx) * aux["total"] + np.sum(gW * gW)


def f_smooth(W, x):
    return np.sum(np.sin(W) * x) * np.sum(x * x), np.sum(W)


def d_made_inside(W, x, vx):
    (gW, gx), aux = ad.grad(f_smooth, wrt=("W", "x"), has_aux=True)(W, x)
    return np.sum(gx * vx) * aux + np.sum(gW * gW)


def f_smooth_value(W, x):
    return np.sum(np.cos(W) * x * x)


def d_made_inside_list(W, x, vx):
    gW, gx = ad.grad(f_smooth_value, wrt=[0, 1])(W, x)
    return np.sum(gx * vx) + np.sum(gW * gW)


def fd(L, W, x, vx):
    return np.array([(L(W, x + EPS * u, vx) - L(W, x - EPS * u, vx)) / (2 * EPS) for u in np.eye(x.size)])


@pytest.mark.parametrize("L", [d_grad, d_value_and_grad, d_grads, d_made_inside, d_made_inside_list],
                         ids=["grad", "value_and_grad", "grad-of-two", "made-inside", "made-inside-list"])
def test_second_derivative_through_aux_and_tuple_wrt(L):
    rng = np.random.default_rng(3)
    W, x, vx = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(2)
    x[0] = abs(x[0]) + 0.1  # (the branch taken)
    d = ad.grad(L, wrt="x")
    np.testing.assert_allclose(d(W, x, vx), fd(L, W, x, vx), rtol=1e-5, atol=1e-6)
    if L in (d_grad, d_value_and_grad, d_grads):
        assert "forward sweeps" in d.source
