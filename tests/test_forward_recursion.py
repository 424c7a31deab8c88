"""Forward mode through recursive functions (issue 9): ad.jvp, ad.hvp and ad.jacfwd of functions calling
themselves (or each other), against central finite differences of the functions themselves.

A recursive call is compiled as the callee's tangent function (callees.py, forward.py `callee`): `dpower(x, n,
dx)` returns the value and its tangent and calls itself.
"""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import assert_close, fd_grad, fd_jac, fd_jvp, rnd

FORWARD = ("jvp", "hvp")


# -- a depth argument -----------------------------------------------------------------------------------------
def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_depth_argument_number(n):
    check_modes(power, (1.3, n), modes=FORWARD)
    assert ad.jvp(power)(1.3, 4, 1.0)[1] == pytest.approx(4 * 1.3 ** 3)


def smooth_tree(x, depth):
    if depth == 0:
        return np.sin(x)
    y = smooth_tree(x * 0.7, depth - 1)
    return np.tanh(y) * x + smooth_tree(x + 0.1, depth - 1) * 0.5


def total_smooth_tree(x, depth):
    return np.sum(smooth_tree(x, depth) ** 2)


def test_tree_recursion_on_arrays():
    x = rnd(1, 4)
    check_modes(total_smooth_tree, (x, 3), modes=FORWARD)
    jac = ad.jacfwd(smooth_tree)(x, 3)
    assert_close(jac, fd_jac(smooth_tree, (x, 3), 0), what="jacfwd")


def test_tangent_function_source_is_readable():
    f = ad.jvp(power)
    f(1.3, 2, 1.0)
    src = f.source
    assert "def dpower(x, n, dx):" in src
    assert "dpower(x, n - 1, dx)" in src


# -- two active arguments, a constant one -------------------------------------------------------------------
def weighted_chain(x, w, k):
    if k <= 0:
        return np.dot(w, np.cos(x))
    return weighted_chain(np.sin(x) * w, w * 0.9, k - 1) + np.sum(x * w)


def test_two_arguments_differentiated():
    x, w = rnd(2, 3), rnd(3, 3)
    for wrt in (0, 1):
        check_modes(weighted_chain, (x, w, 3), wrt=wrt, modes=FORWARD)
    t = (rnd(4, 3), rnd(5, 3))
    value, tangent = ad.jvp(weighted_chain, wrt=(0, 1))(x, w, 3, t)
    assert_close(tangent, fd_jvp(weighted_chain, (x, w, 3), (0, 1), t), what="jvp wrt both")


# -- recursion over lists --------------------------------------------------------------------------------------
def list_sum(xs):
    if len(xs) == 0:
        return 0.0
    return np.sum(np.sin(xs[0])) + list_sum(xs[1:])


def list_product(x, ws):
    return list_sum([x * w for w in ws]) * np.sum(x)


def test_recursion_over_a_list():
    ws = [0.5, 1.5, -0.7]
    check_modes(list_product, (rnd(6, 3), ws), modes=FORWARD)


def first_differences(xs):
    if len(xs) < 2:
        return []
    return [xs[1] - xs[0]] + first_differences(xs[1:])


def roughness(x):
    parts = [x[i] * x[i] for i in range(4)]
    return sum(d * d for d in first_differences(parts))


def test_recursion_building_a_list():
    check_modes(roughness, (rnd(7, 4),), modes=FORWARD)


# -- mutual recursion ----------------------------------------------------------------------------------------
def even(x, n):
    return x if n == 0 else odd(x, n - 1) * 2.0


def odd(x, n):
    return x * x if n == 0 else even(np.sin(x), n - 1) + x


def test_mutual_recursion():
    for n in (0, 3, 5):
        check_modes(even, (0.7, n), modes=FORWARD)


def even_array(x, n):
    return np.sum(odd(x, n)) if n > 0 else np.sum(x * x)


def test_mutual_recursion_on_arrays_and_jacfwd():
    x = rnd(8, 3)
    check_modes(even_array, (x, 4), modes=FORWARD)
    assert_close(ad.jacfwd(odd)(x, 3), fd_jac(odd, (x, 3), 0), what="jacfwd of odd")


# -- recursion inside loops, loops inside the recursive function ---------------------------------------------
def unrolled(x, n):
    if n == 0:
        return x
    h = x
    for i in range(2):
        h = np.tanh(h * 0.8 + 0.1 * i)
    return unrolled(h, n - 1) + x * 0.1


def loops_around_recursion(x):
    s = 0.0
    for k in range(3):
        s = s + np.sum(unrolled(x * (k + 1), k))
    return s


def test_recursion_inside_loops():
    check_modes(loops_around_recursion, (rnd(9, 3),), modes=FORWARD)


def newton_like(x, tol, depth):
    y = x
    while np.max(np.abs(y)) > tol and depth > 0:
        y = y * 0.5
        return newton_like(np.sin(y) + 0.01 * x, tol, depth - 1)
    return y


def test_while_loop_and_early_return_in_recursion():
    check_modes(lambda_free_newton, (rnd(10, 3),), modes=FORWARD)


def lambda_free_newton(x):
    return np.sum(newton_like(x, 0.05, 6) ** 2)


# -- early return --------------------------------------------------------------------------------------------
def clipped_descent(x, n):
    if n == 0:
        return x
    if np.sum(x * x) < 0.01:
        return x * 2.0
    return clipped_descent(x - 0.3 * np.sin(x), n - 1)


def descent_loss(x):
    return np.sum(np.cos(clipped_descent(x, 4)))


def test_early_return():
    check_modes(descent_loss, (rnd(11, 3),), modes=FORWARD)
    check_modes(descent_loss, (rnd(11, 3) * 0.01,), modes=FORWARD)


# -- in-place updates inside the recursive function -----------------------------------------------------------
def smooth_in_place(x, n):
    if n == 0:
        return x
    y = x.copy()
    y[1:] = y[1:] + 0.5 * x[:-1]
    y[0] *= 0.9
    y += np.sin(x) * 0.1
    return smooth_in_place(y, n - 1)


def smoothed(x):
    return np.sum(smooth_in_place(x, 3) ** 2)


def test_in_place_updates_in_the_recursive_function():
    x = rnd(12, 4)
    check_modes(smoothed, (x,), modes=FORWARD)
    assert_close(ad.jacfwd(smooth_in_place)(x, 2), fd_jac(smooth_in_place, (x, 2), 0), what="jacfwd")


def leaves(x, n, out):
    if n == 0:
        return out + [x]
    return leaves(x * 0.5, n - 1, out) + leaves(np.cos(x), n - 1, [])


def leaves_loss(x):
    parts = leaves(x, 2, [x * 0.0])
    total = parts[0]
    for p in parts[1:]:
        total = total + p * p
    return np.sum(total)


def test_recursion_returning_lists():
    check_modes(leaves_loss, (rnd(13, 2),), modes=FORWARD)


# -- a recursive closure ---------------------------------------------------------------------------------------
def make_recursive(scale):
    def rec(x, n):
        if n == 0:
            return np.sin(x) * scale
        return rec(x * scale, n - 1) + np.cos(x)

    return rec


def test_recursive_closure():
    rec = make_recursive(0.8)
    x = rnd(14, 3)
    value, tangent = ad.jvp(rec)(x, 3, np.ones(3))
    assert_close(value, rec(x, 3), what="value")
    assert_close(tangent, fd_jvp(rec, (x, 3), 0, np.ones(3)), what="jvp of a recursive closure")
    assert_close(ad.jacfwd(rec)(x, 3), fd_jac(rec, (x, 3), 0), what="jacfwd of a recursive closure")


# -- the recursive call not on the output's path; an inactive one ---------------------------------------------
def count_down(n):
    return 0 if n == 0 else 1 + count_down(n - 1)


def uses_count(x):
    return x * count_down(3) + power(x, 2)


def test_inactive_recursive_call_and_a_helper_recursion():
    check_modes(uses_count, (0.9,), modes=FORWARD)


def test_recursion_with_a_default_left_out():
    # (reverse mode too: its callee took no defaults, and a call leaving one out was a TypeError)
    check_modes(with_default, (rnd(15, 2),))
    x = rnd(15, 2)
    assert_close(ad.grad(with_default_by_keyword)(x), fd_grad(with_default_by_keyword, (x,)), what="keywords")
    check_modes(with_default_by_keyword, (x,), modes=FORWARD)


def halve(x, n, scale=0.5):
    return x if n == 0 else halve(x * scale + np.sin(x), n - 1)


def with_default(x):
    return np.sum(halve(x, 3) * x)


def halve_by_keyword(x, n, scale=0.5, shift=0.0):
    return x if n == 0 else halve_by_keyword(x * scale + np.sin(x), n=n - 1, shift=shift + 0.1) + shift


def with_default_by_keyword(x):
    return np.sum(halve_by_keyword(x, 3) * x)


# -- tuples: returned, unpacked, concatenated --------------------------------------------------------------------
def prefixes(x, n):
    return (x,) if n == 0 else (x * 2.0,) + prefixes(np.sin(x), n - 1)


def weighted_prefixes(x):
    return sum(np.sum(p) * (k + 1.0) for k, p in enumerate(prefixes(x, 3)))


def pairs(x, n):
    if n == 0:
        return x, x * x
    a, b = pairs(np.cos(x), n - 1)
    return a * x, b + a


def pair_product(x):
    a, b = pairs(x, 3)
    return np.sum(a * b)


@pytest.mark.parametrize("f", [weighted_prefixes, pair_product])
def test_recursion_returning_tuples(f):
    check_modes(f, (rnd(16, 2),))
