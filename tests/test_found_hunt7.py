"""Hunt 7 (second order and forward mode on programs users write): regressions, each against central
differences of the program itself (/work/hunt7/findings.md has the reproductions)."""
import copy
import statistics

import numpy as np
import pytest

import ad_compiler as ad
from test_modes import _copy, assert_close, fd_hvp


def second_difference(f, s, h=1e-4):
    """f''(s) by the central second difference of f itself (error ~ h**2 f'''' / 12)."""
    return (f(s + h) - 2.0 * f(s) + f(s - h)) / h ** 2


def grad_in_the_loss(f):
    """A function whose value is f'(s) computed by ad.grad(f) inside it: its gradient is f''(s), by reverse
    mode over the generated gradient (nested.py)."""
    derivative = ad.grad(f)

    def slope(s):
        return derivative(s) * 1.0

    return slope


# -- h7-001/002: reverse mode over a gradient that sums two adjoints of a list (`_ad.add(bt5, t13)`) took the
# sum for a number, so the adjoint of reading its entry, `bbprs[0] += bbt1`, was `+=` on the entry: a
# TypeError for a dict entry (a list of dicts), and list concatenation for the list adjoint of a tuple entry
# (a list of pairs): half or a third of the second derivative, silently.
def dicts_start_value(s):
    prs = [{"a": 1.0, "b": s}, {"a": 2.0, "b": s * s}]
    c = prs[0]["a"]
    for p in prs:
        c = c + p["a"] * p["b"]
    return c * c


def pairs_start_value_then_a_loop(s):
    prs = [(1.0, s), (1.0, s)]
    c = prs[0][0]
    for a, b in prs:
        c = c + a * b
    for i in range(2):
        c = np.tanh(c) + c
    return c


def pairs_active_start_value_then_a_loop(s):
    prs = [(1.0, s), (1.0, s)]
    c = prs[0][1]
    for a, b in prs:
        c = c + a * b
    for i in range(2):
        c = np.tanh(c) + c
    return c


def nested_pairs_start_value_then_a_loop(s):
    prs = [(1.0, (s, 2.0)), (2.0, (s * s, 1.0))]
    c = prs[1][1][0]
    for a, (b, e) in prs:
        c = c + a * b * e
    for i in range(2):
        c = np.tanh(c) + c
    return c * c


@pytest.mark.parametrize("f", [dicts_start_value, pairs_start_value_then_a_loop,
                               pairs_active_start_value_then_a_loop, nested_pairs_start_value_then_a_loop],
                         ids=lambda f: f.__name__)
def test_gradient_in_the_loss_through_adjoints_of_list_entries(f):
    s = -0.755
    expected = second_difference(f, s)
    np.testing.assert_allclose(ad.grad(grad_in_the_loss(f))(s), expected, rtol=1e-6)
    np.testing.assert_allclose(ad.grad(ad.grad(f))(s), expected, rtol=1e-6)


# -- h7-004: the same with a network's parameters as a list of (W, b) pairs, a loop over them and a start value
# read from them: reverse over the gradient (ad.vjp(ad.grad(f)), or a loss calling ad.grad(f)) raised
# ValueError ("setting an array element with a sequence") where the pairs' adjoint lists were concatenated.
def network_with_a_start_value_from_its_pairs(params, x, y):
    h = x @ params[0][0]
    for W, b in params[1:]:
        h = np.tanh(h) @ W + b
    acc = params[0][1]
    for W, b in params:
        acc = np.sum(acc) * 0.1 + np.sum(b)
    return np.mean((h - y) ** 2) + acc ** 2


def test_reverse_over_reverse_through_a_list_of_layer_pairs():
    rng = np.random.default_rng(4)
    params = [(rng.standard_normal((2, 3)) * 0.5, rng.standard_normal(3) * 0.1),
              (rng.standard_normal((3, 1)) * 0.5, rng.standard_normal(1) * 0.1)]
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    v = [(rng.standard_normal((2, 3)), rng.standard_normal(3)), (rng.standard_normal((3, 1)), rng.standard_normal(1))]
    f = network_with_a_start_value_from_its_pairs
    expected = fd_hvp(f, [_copy(params), x, y], 0, v)
    got = ad.vjp(ad.grad(f))(_copy(params), x, y, _copy(v))
    assert_close(got, expected, 1e-4, 1e-5, what="vjp of grad")


# -- h7-005: `copy.copy(x)` was inlined as if it were the user's function and refused inside the standard
# library (copy.py: "making a `Error` object: its class defines `__new__`"), a place the user cannot act on;
# the copy module is now a library: refused at the user's call.
def copied_pairs(s):
    prs = [(1.0, s), (2.0, s * s)]
    q = copy.copy(prs)
    return q[1][1] * s


def test_copy_module_is_refused_at_the_users_call():
    """(objects3, ob3-006: `copy.copy` of a list of known items is now written as the list it makes: right)"""
    assert abs(ad.grad(copied_pairs)(0.5) - 3 * 0.5 ** 2) < 1e-12


def mean_of_two(x):
    return statistics.mean([x[0], x[1]]) * x[2]


def test_statistics_module_is_refused_at_the_users_call():
    """h7-005's rest: statistics.mean was inlined and refused inside statistics.py (making a groupby)."""
    with pytest.raises(ad.ADError) as e:
        ad.grad(mean_of_two)(np.array([0.3, -0.2, 0.5]))
    assert "test_found_hunt7.py" in str(e.value) and "statistics.mean" in str(e.value)
    assert "statistics.py" not in str(e.value)


# -- h7-006: ad.hvp (reverse over f's tangent, the fallback) crashed with TypeError "'NoneType' object is not
# subscriptable": rows of a stacked array changed in place through a list of (view, weight) pairs, so the
# tangent code rebuilt the pairs' tangents with `_ad.tuple_with` and stored them into the list twice; the second
# store's adjoint had popped the entry, leaving None (the zero of a list adjoint's entry), which tuple_with's
# adjoint indexed. Its rule now reads None as zeros.
def rows_scaled_through_pairs_of_views(x):
    A = np.stack([x, 2.0 * x])
    prs = [(A[0], 1.0), (A[1], x[0])]
    for v, w in prs:
        v *= w
    c = prs[0][0]
    for i in range(2):
        c = np.maximum(c, np.sin(c))
    return np.sum(A ** 2) + np.sum(c)


def test_hvp_through_rows_changed_through_a_list_of_pairs():
    x = np.array([0.31, -0.72, 1.13])
    v = np.array([0.3, 0.5, -0.2])
    f = rows_scaled_through_pairs_of_views
    expected = fd_hvp(f, [x.copy()], 0, v)
    np.testing.assert_allclose(ad.hvp(f)(x.copy(), v), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ad.hessian(f)(x.copy()) @ v, expected, rtol=1e-5, atol=1e-6)


# -- h7-007 (explore --mode all seed 74 #189, a first-order gradient, fixed in negations.py: a name written with
# out= is not replaced by a negation): `y -= 1.0 - np.maximum(y, 0.1)` gives
# `by_1 = by_2 + _ad.max_vjp(by_2, y_1, 0.1, out=by_2)`: out= was given to the helper when its g (the adjoint of
# `np.maximum(...)`, the double negation of by_2) was read by nothing after, but once the negations cancel it is
# by_2 itself, which the sum reads too (after the helper wrote into it): the entries np.maximum did not take y
# get 0 instead of 1.
def subtract_in_place_one_minus_a_maximum(y):
    y -= 1.0 - np.maximum(y, 0.1)
    return np.sum(y)


def test_in_place_subtraction_of_one_minus_a_maximum():
    y = np.array([-1.138, 0.935, 0.707])
    np.testing.assert_allclose(ad.grad(subtract_in_place_one_minus_a_maximum)(y.copy()), [1.0, 2.0, 2.0])
