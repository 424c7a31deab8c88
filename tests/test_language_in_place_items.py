"""In-place changes the random-program tester (tests/explore.py, seed 777) found refused, made exact: a loop
changing its item in place over a list of arrays and numbers (`for item in [W, W, 1.0]: item *= 0.5`) is
written out, so that each item is a known array (changed in place, as every other name holding it sees) or
a number (the name rebound); a list a helper appends to has the items it appended under every name holding
it (`add_to(parts, x); item = parts[0]; item *= 2.0`); `np.r_[...]` is a new array of known rank
(`L = np.r_[x]; L *= 0.5`). Compared with central finite differences of the function itself."""
import copy

import numpy as np
import pytest

import ad_compiler as ad
from fd import make_rng, numeric_grad
from modes_check import check_modes

RNG = make_rng(97)


def X(*shape):
    return RNG.standard_normal(shape)


def repeated_in_a_list(W, y):
    hs = [W, W, 1.0]
    for item in hs:
        item *= 0.5
    return np.sum(W * W) + np.sum(hs[0] @ y) + hs[2]


def copy_and_numbers(x):
    out = x.copy()
    items = [1.0, 1.0, out]
    for item in items:
        item *= 0.5
        item += x[0]
    return np.sum(out ** 2) + items[0] * np.sum(x) + np.sum(items[2] * x)


def argument_item_in_a_dict(x, d):
    P = d["w"]
    items = [P, 1.0]
    for item in items:
        item *= 2.0
    return np.sum(d["w"] * x[0]) + np.sum(P ** 2) + items[1] * x[1]


def item_stored(x, w):
    parts = [x * 1.0, w, 2.0, w]
    total = 0.0
    for item in parts:
        item *= 1.5
        total = total + np.sum(item * x)
    return total + np.sum(w * parts[0])


def add_to(lst, v):
    lst.append(v)


def appended_by_a_helper(x, y):
    parts = []
    add_to(parts, x)
    add_to(parts, 2.0)
    add_to(parts, y * 1.0)
    item = parts[0]
    item *= 2.0
    last = parts[2]
    last += x
    return np.sum(x * y) + np.sum(parts[2] ** 2) + parts[1] * np.sum(item)


def r_then_changed(s, x):
    P = np.r_[s, x, 1.5]
    P *= P
    rows = np.r_[np.outer(x, x), np.ones((1, 2))]
    rows += s
    outs = []
    outs.append(np.r_[x[0], 0.5])
    A = outs[0]
    A *= A
    return np.sum(P) * s + np.sum(rows * rows) + np.sum(outs[0]) + np.sum(A * x)


@pytest.mark.parametrize("f, args, wrt", [
    (r_then_changed, (0.7, X(2)), (0, 1)),
    (appended_by_a_helper, (X(3), X(3)), (0, 1)),
    (repeated_in_a_list, (X(2, 3), X(3)), (0, 1)),
    (copy_and_numbers, (X(3),), 0),
    (argument_item_in_a_dict, (X(2), {"w": X(2, 3), "b": X(2)}), 0),
    (item_stored, (X(3), X(3)), (0, 1)),
])
def test_a_loop_changing_its_item_in_place_over_arrays_and_numbers(f, args, wrt):
    # (f changes its arguments in place: every call, the differences' too, gets fresh copies)
    got = ad.grad(f, wrt=wrt)(*copy.deepcopy(args))
    got = got if isinstance(wrt, tuple) else (got,)
    for g, i in zip(got, wrt if isinstance(wrt, tuple) else (wrt,)):
        expected = numeric_grad(lambda *a: f(*copy.deepcopy(a)), args, i)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7)


def test_in_every_mode():
    check_modes(copy_and_numbers, (X(3),), 0)


def test_the_caller_arrays_are_left_alone():
    W, y = X(2, 3), X(3)
    W0 = W.copy()
    ad.grad(repeated_in_a_list, wrt=(0, 1))(W, y)
    np.testing.assert_array_equal(W, W0)


def r_of_matrices(x):
    rows = np.r_[np.outer(x, x), np.ones((1, 3))]
    return np.sum(rows * rows * np.arange(12.0).reshape(4, 3))


def r_with_directives(x):
    side = np.r_["1", np.outer(x, x), np.ones((3, 1)) * x[0]]
    stacked = np.r_["0,2", x, x * 2.0, 0:3]
    return np.sum(side ** 2 * np.arange(12.0).reshape(3, 4)) + np.sum(stacked * stacked[::-1])


@pytest.mark.parametrize("f", [r_of_matrices, r_with_directives])
def test_np_r_of_matrices_and_with_directives(f):
    # (the adjoint cut the result of N-d items by their sizes, not their rows, and ignored directives: a crash)
    check_modes(f, (X(3),), 0)


def rebound_in_a_counted_loop(x, y):
    z = x
    for i in range(2, 4):
        z = z * y
    z[0] = 2.0
    return np.sum(z ** 2) + np.sum(x)


def test_a_loop_of_constant_count_runs_its_body():
    # (after `for i in range(2, 4): z = z * y`, z is the array the loop made, not maybe the argument x)
    check_modes(rebound_in_a_counted_loop, (X(3), X(3)), 1)
    check_modes(rebound_in_a_counted_loop, (X(3), X(3)), 0)
