"""Regressions found by hunt 14 (second order through gradients a function calls), against central differences
of the compiled first-order gradient: right or refused, never a wrong value or a crash."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad


def iterate_rows(W, x):
    A = W * 1.0
    for row in A:
        row *= x  # (in place for a 2-d W; for a 1-d W a new number, A unchanged)
    return np.sum(np.sin(A) * x)


grad_W = ad.grad(iterate_rows, wrt="W")
grad_x = ad.grad(iterate_rows, wrt="x")


def rank_raised(W, x):
    W = np.stack([W, W * 0.5])  # (the parameter, 1-d, rebound to a 2-d array before the gradient's call)
    return np.sum(grad_W(W, x) ** 2) + np.sum(grad_x(W, x))


def rows_by_sweeps(W, s):
    A = W * 1.0
    for row in A:  # (the gradient's reverse-mode code is refused when read again: inlined by forward sweeps)
        row *= np.tanh(s)
    if np.sum(s) > 0:
        A[0] += np.sum(s) * A[1]
    return np.sum(np.sin(A) * s)


grad_s = ad.grad(rows_by_sweeps, wrt="s")


def number_made_an_array(W, s, v):
    s = np.array([s, s * s])  # (a number's name rebound to an array)
    return np.sum(grad_s(W, s) * v)


def rebound_in_a_loop(W, x, v):
    total = 0.0
    for _ in range(2):
        total = total + np.sum(grad_s(W, x) * v)
        x = x * 1.5  # (an array stays an array)
    return total


def right_or_refused(f, args, wrt):
    """ad.grad(f, wrt)(*args) equals central differences of f, or is refused with an ADError."""
    try:
        got = ad.grad(f, wrt=wrt)(*args)
    except ad.ADError:
        return False
    for g, i in zip(got, wrt):
        expected = numeric_grad(f, args, i)
        np.testing.assert_allclose(np.asarray(g, float), expected, rtol=1e-5, atol=1e-6)
    return True


def test_a_parameter_rebound_to_another_rank_is_not_taken_at_its_kind():
    """h14-001: the gradient inlined at a call was compiled for the kind of the outer function's parameter of
    that name (a 1-d array), though the name held a 2-d array there: a wrong second derivative (1.73 off)."""
    rng = np.random.default_rng(8)
    right_or_refused(rank_raised, (rng.standard_normal(2), rng.standard_normal(2)), (0, 1))


def test_a_number_rebound_to_an_array_is_not_taken_as_a_number():
    """h14-002: the same with a number's name made an array, the gradient inlined by forward sweeps as for a
    number: a crash (ValueError: cannot reshape array of size 2 into shape (1,1))."""
    rng = np.random.default_rng(8)
    right_or_refused(number_made_an_array, (rng.standard_normal((3, 2)), 0.7, rng.standard_normal(2)), (0, 1))


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_an_array_rebound_to_an_array_still_works(sign):
    rng = np.random.default_rng(8)
    W, x, v = rng.standard_normal((3, 2)), sign * np.array([0.4, 0.9]), rng.standard_normal(2)
    assert right_or_refused(rebound_in_a_loop, (W, x, v), (0, 1))


def accumulate(x, n, out):
    if n == 0:
        return out
    return accumulate(x, n - 1, out + [out[-1] * x + np.sin(x)])  # (a list one item longer at every level)


def accumulated(x):
    return sum(y * y for y in accumulate(x, 3, [x]))


def accumulate_tuple(x, n, out):
    if n == 0:
        return out
    return accumulate_tuple(x, n - 1, out + (out[-1] * x,))


def accumulated_tuple(x):
    ys = accumulate_tuple(x, 3, (x,))
    return ys[-1] * ys[1]


@pytest.mark.parametrize("f", [accumulated, accumulated_tuple], ids=["list", "tuple"])
def test_a_recursive_call_whose_arguments_grow_is_refused(f):
    """h14-003: a recursive function compiled on its own for each recursive call's argument kinds, a list one
    item longer at every level: RecursionError (in the in-place check, then in the callees' compilation)."""
    with pytest.raises(ad.ADError, match="change kind at every level") as info:
        ad.grad(f)(0.7)
    assert info.value.where is not None and info.value.where.line > 0


grad_rows_x = ad.grad(rows_by_sweeps, wrt="s")


def scaled_in_a_loop(W, x, v):
    total = 0.0
    for _ in range(3):
        total = total + np.sum(grad_rows_x(W, x) * v)
        if total > 1.0:
            break
        W = W * 0.9  # (the name and a float: a float array keeps its rank, so its kind still holds)
    return total


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_a_parameter_scaled_by_a_float_keeps_its_kind(sign):
    rng = np.random.default_rng(11)
    W, x, v = rng.standard_normal((3, 2)), sign * np.array([0.4, 0.9]), sign * rng.standard_normal(2)
    assert right_or_refused(scaled_in_a_loop, (W, x, v), (0, 1))


def rows_of_a_number(x, p):
    A = np.outer(x, x) * p
    for row in A:  # (reverse and forward mode both refuse the gradient's code)
        row *= np.tanh(x) * p
    if p > 0:
        A[1] += p * A[0]
    return np.sum(np.sin(A))


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_second_derivative_in_a_number_where_both_modes_refuse_the_gradient(sign):
    """h14-004: ad.grad(ad.grad(f, "p"), "p") with p a number (and ad.jacrev(ad.grad(f, "x"), "p")) was refused
    at the gradient's generated line: with respect to numbers reverse mode is not tried, and the gradient of
    f's tangent was taken only after reverse mode's refusal."""
    x, p, eps = np.array([0.4, -0.6, 0.2]), 0.8 * sign, 1e-5
    gp, gx = ad.grad(rows_of_a_number, wrt="p"), ad.grad(rows_of_a_number, wrt="x")
    expected = (gp(x, p + eps) - gp(x, p - eps)) / (2 * eps)
    assert ad.grad(gp, wrt="p")(x, p) == pytest.approx(expected, rel=1e-6, abs=1e-7)
    expected = (gx(x, p + eps) - gx(x, p - eps)) / (2 * eps)
    np.testing.assert_allclose(ad.jacrev(gx, wrt="p")(x, p), expected, rtol=1e-6, atol=1e-7)
