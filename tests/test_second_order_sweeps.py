"""Second order where the compiler reads its own first-order code (issue 9).

1. A function calling a gradient (what `ad.grad` returned), differentiated in reverse mode, inlines the
   gradient's generated code. Where that code's in-place pattern (a tape restoring a row of a matrix changed
   in a loop, adjoint buffers added to in place) is refused, the same gradient is inlined as forward sweeps
   (one tangent sweep per entry of the `wrt` arguments: reverse over forward), which follow f's own
   statements (driver.Derivation.run, Derivative.compile_by_sweeps); the same where a recursive callee's
   backward closures are refused. A derivative of the gradient itself (`ad.jacrev(ad.grad(f))`, mixed
   partials) where reverse and forward mode both refuse its code: the gradient of f's tangent
   (nested.NestedDerivative.gradient_of_tangent).
2. `_ad.pop_item(b, slice(...))` in generated code: the kind of what it takes is found for a slice index
   too (a slice keeps the axis), so a later `_ad.pop_item` of a sum of such values is written as stores.

Every check is against central differences of the compiled gradient, with each branch taken.
"""
import numpy as np
import pytest

import ad_compiler as ad

EPS = 1e-5


def close(got, expected, rtol=1e-5, atol=1e-6):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                               atol=atol * scale)


# -- 1. reverse over the generated code refused: the gradient by forward sweeps ---------------------------------
def f_rows(W, x):
    A = W * 1.0
    for row in A:  # (rows changed in place in a loop: the gradient restores them from its tape)
        row *= np.tanh(x)
    if x[0] > 0:
        A[0] += x[1] * A[1]
    return np.sum(np.sin(A) * x)


grad_rows = ad.grad(f_rows, wrt=("W", "x"))


def directional_rows(W, x, vW, vx):
    gW, gx = grad_rows(W, x)
    return np.sum(gW * vW) + np.sum(gx * vx)


def value_plus_slope(W, x, vx):
    value, gx = ad.value_and_grad(f_rows, wrt="x")(W, x)
    return value * np.sum(gx * vx)


def _point(sign, seed=0):
    rng = np.random.default_rng(seed)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x[0] = sign * (abs(x[0]) + 0.1)
    return W, x, rng.standard_normal((3, 2)), rng.standard_normal(2)


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_reverse_over_a_gradient_refused_in_reverse_mode(sign):
    W, x, vW, vx = _point(sign)
    expected = [(a - b) / (2 * EPS) for a, b in zip(grad_rows(W + EPS * vW, x + EPS * vx),
                                                     grad_rows(W - EPS * vW, x - EPS * vx))]
    d = ad.grad(directional_rows, wrt=("W", "x"))
    got = d(W, x, vW, vx)
    for g, e in zip(got, expected):
        close(g, e)
    assert "by forward sweeps" in d.source  # (the source says so)


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_value_and_grad_inlined_by_sweeps(sign):
    W, x, _, vx = _point(sign, seed=1)
    grad_x = ad.grad(value_plus_slope, wrt="x")
    expected = np.array([(value_plus_slope(W, x + EPS * e, vx) - value_plus_slope(W, x - EPS * e, vx)) / (2 * EPS)
                         for e in np.eye(2)])
    close(grad_x(W, x, vx), expected)


def test_the_reverse_form_is_kept_where_it_is_taken():
    """A gradient whose generated code reverse mode reads is inlined as it is (no sweeps)."""
    g = ad.grad(lambda x: np.sum(np.sin(x) * x))

    def directional(x, v):
        return np.sum(g(x) * v)

    x, v = np.array([0.3, -0.5, 0.8]), np.array([1.0, 0.5, -2.0])
    d = ad.grad(directional)
    expected = (g(x + EPS * v) - g(x - EPS * v)) / (2 * EPS)
    close(d(x, v), expected)
    assert "by forward sweeps" not in d.source


def rec_power(x, k):
    if k == 0:
        return 1.0
    return x * rec_power(x, k - 1)


def f_recursive(x, k):
    return np.sum(np.sin(rec_power(x, k)) * x)


grad_recursive = ad.grad(f_recursive, wrt="x")


def directional_recursive(x, k, v):
    return np.sum(grad_recursive(x, k) * v)


@pytest.mark.parametrize("k", [0, 3])
def test_reverse_over_a_recursive_gradient(k):
    """The gradient of a recursive function runs backward closures, which reverse mode cannot read again: the
    gradient by forward sweeps (the callee's tangent function) instead."""
    x, v = np.array([0.4, -0.7, 1.1]), np.array([0.5, 1.0, -1.5])
    expected = (grad_recursive(x + EPS * v, k) - grad_recursive(x - EPS * v, k)) / (2 * EPS)
    close(ad.grad(directional_recursive, wrt="x")(x, k, v), expected)


def f_view_changed(x):
    x = x * (x * x)
    v = np.ones(4)
    for i in range(len(v)):  # (reverse over the gradient's code refuses this loop's in-place changes)
        v[i] = np.std(v)
        v *= np.concatenate([np.ones(2), np.stack([x, x]).max(axis=-1) / (i + 0.5)])
    h = x[:]  # (the tangent's view: the sweeps' tangents have x's rank, so it is known to be a view)
    h[1:] = np.dot(v, v)
    x[::2] = np.sin(h[2])
    return np.sum(v ** 2) + np.sum(h ** 2) + np.sum(x)


grad_view_changed = ad.grad(f_view_changed)


def directional_view_changed(x, v):
    return np.sum(grad_view_changed(x) * v)


def test_reverse_over_sweeps_through_a_view_changed_in_place():
    x, v = np.array([-0.375, 0.453, 0.583]), np.array([0.5, -1.0, 2.0])
    expected = (grad_view_changed(x + EPS * v) - grad_view_changed(x - EPS * v)) / (2 * EPS)
    close(ad.grad(directional_view_changed)(x, v), expected)


# -- the same for a derivative of the gradient itself: ad.jacrev(ad.grad(f)), ad.grad(ad.grad(f, "x"), "p") ---------
def f_outer_rows(x, p):
    A = np.outer(p, p) * x
    for row in A:  # (reverse and forward mode both refuse the gradient's code: the gradient of f's tangent)
        row *= np.tanh(p)
    if p[0] > 0:
        A[1] += x * A[0]
    return np.sum(np.sin(A))


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_mixed_second_derivative_of_a_refused_gradient(sign):
    p = np.array([0.3 * sign, -0.2, 0.5])
    gx = ad.grad(f_outer_rows, wrt="x")
    expected = np.array([(gx(0.7, p + EPS * u) - gx(0.7, p - EPS * u)) / (2 * EPS) for u in np.eye(3)])
    close(ad.grad(gx, wrt="p")(0.7, p), expected)
    gp = ad.grad(f_outer_rows, wrt="p")
    expected = np.array([(gp(0.7, p + EPS * u) - gp(0.7, p - EPS * u)) / (2 * EPS) for u in np.eye(3)]).T
    close(ad.jacrev(gp, wrt="p")(0.7, p), expected)


# -- 2. pop_item with a slice index: the kind of what it takes ---------------------------------------------------
def f_dict_reversed(s):
    u = np.ones(4) * s
    dd = {'w': np.sin(u[1:] * s), 'b': s}
    if s > 0:
        dd['w'] *= s
    else:
        dd['w'] *= np.cos(s)
    h = u[::-1]
    h[1:] += s + dd['w']
    return np.sum(np.sin(dd['w'])) + dd['b'] * u[0]


@pytest.mark.parametrize("s", [0.3, -0.4])
def test_grad_of_grad_through_pop_item_of_a_slice(s):
    g = ad.grad(f_dict_reversed)
    expected = (g(s + EPS) - g(s - EPS)) / (2 * EPS)
    close(ad.grad(ad.grad(f_dict_reversed))(s), expected)
