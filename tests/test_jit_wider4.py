"""jit=True (docs/jit.md), jit11: what the compiled subset refused that it now compiles exactly (explore --jit
seeds 9811 / 9812): forward mode's helpers (jit_runtime_tangents.py: np.maximum / np.minimum's shares, the
tangent of a reduction, of a cast, of np.sort), the builtins max / min of several numbers or of a tuple or
list of numbers in both modes. Checked against central differences and the plain derivatives; few compiled
functions (Numba's compile time is the suite's cost). Skipped without Numba."""
import os

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

numba = pytest.importorskip("numba")
from test_jit import check_jit_grad  # noqa: E402 (after the skip: test_jit needs numba too)

X = np.array([0.3, -1.2, 0.7])
Y = np.array([0.5, 0.1, 0.9])


def numbers(s, u):
    return min((s, u, 2.0)) * max(s * u, u, 0.25) + max(s, 3) + min([s, u * 2.0])


def test_grad_of_builtin_extremes_of_numbers():
    for s, u in [(0.5, 1.5), (1.5, 0.5), (2.5, 1.5)]:  # (each argument the winner of some)
        check_jit_grad(numbers, (s, u), (0, 1))
    g = ad.grad(numbers, wrt=(0, 1), jit=True)
    assert g(2.0, 2.0) == ad.grad(numbers, wrt=(0, 1))(2.0, 2.0)  # (ties share g)


def extremes(x, y):
    a = np.maximum(x, y) + np.minimum(x * 2.0, 1.0)
    c = np.copy(a * x)
    c[0] = 2.0 * c[1]
    t = c[1:]
    t[...] = y[1:] * c[:-1]  # (`dt[...] = ...`, `dc[...]`: tangents of no known rank, by the helpers' types)
    c[...] += 1.5 * y
    m = np.var(c) + np.max(x) + max(x * y)
    return np.sum(c ** 2) + m + numbers(x[0] * y[1], y[2])


def sorted_and_along_axes(x, y):  # (~8 s of CPU: np.argsort, reductions along an axis)
    b = np.sort(x * y)
    return np.sum(b * x) + np.std(np.outer(x, y), axis=0).sum() + np.sum(np.max(np.outer(x, y), axis=1))


def check_jvp(f, args):
    rng = np.random.default_rng(3)
    ts = tuple(rng.standard_normal(np.shape(a)) for a in args)
    value, tangent = ad.jvp(f, wrt=(0, 1), jit=True)(*args, ts)
    assert np.isclose(value, f(*args), rtol=1e-14)
    expected = sum(np.dot(numeric_grad(f, args, k), t) for k, t in enumerate(ts))
    assert np.isclose(tangent, expected, rtol=1e-6)
    assert np.isclose(tangent, ad.jvp(f, wrt=(0, 1))(*args, ts)[1], rtol=1e-12)


def test_jvp_of_shares_casts_reductions_and_extremes():
    check_jvp(extremes, (X, Y))


@pytest.mark.skipif(not os.environ.get("AD_JIT_EXHAUSTIVE"), reason="set AD_JIT_EXHAUSTIVE=1 (Numba compile time)")
def test_jvp_of_sorts_and_reductions_along_an_axis():
    check_jvp(sorted_and_along_axes, (X, Y))


def saved(x, y):
    acc = 0.0
    for i in range(3):
        parts = [x * i, np.sin(x)]  # (a list and a tuple the tape saves: None before the loop, a value of
        pair = (x * y, acc)  # their kind in the compiled code)
        acc = acc + np.sum(parts[0] * parts[1]) + np.sum(pair[0]) * pair[1]
        z = 0.0
        for j in range(3):  # (a loop left by break: its counter `n_iter = n_iter + 1`, an int saved too)
            z = z + np.sum(np.tanh(x) * acc)
            if np.max(x) < 0.5:
                break
        acc = acc + z * 0.1
    return acc


def pairs_of_numbers(x, y):
    pairs = [(1.0, 0.5), (np.max(y), np.sum(x)), (x[0] - y[-1], y[1] * 2.0)]
    out = x * 1.0
    for a, b in pairs:  # (the adjoint of each pair a list of numbers, added into the list of pairs' adjoints)
        out = np.tanh(out * a + b)
    return np.sum(out)


def test_lists_tuples_and_counters_saved_before_their_first_assignment():
    check_jit_grad(saved, (X, Y), (0, 1))


def test_adjoints_of_a_list_of_pairs_of_numbers():
    check_jit_grad(pairs_of_numbers, (X, Y), (0, 1))


def one_of_two(x, y):
    a = x * 2.0
    c = np.sin(x)
    b = a if y > 0 else c
    b[0] = 3.0 * b[1]  # (the alias pass's `if a is b:` refreshes: arrays made in the function, compiled)
    return np.sum(a * x) + np.sum(b) * y + np.sum(c ** 2)


def a_view_is_not_its_base(x):
    a = x * 2.0
    b = a[:]
    if a is b:  # (False in Python; Numba's `is` compares pointer, shape and strides: True)
        return np.sum(a)
    return np.sum(b ** 2)


def test_identity_of_arrays_made_in_the_function():
    for y in (0.5, -0.5):
        check_jit_grad(one_of_two, (X, y), (0, 1))
    assert "_ad.jit.same_array(" in ad.grad(one_of_two, wrt=(0, 1), jit=True).source
    with pytest.raises(ad.UnsupportedError, match="the comparison `is`"):
        ad.grad(a_view_is_not_its_base, jit=True)(X)


class Box:
    def __init__(self, w):
        self.w = w

    def get(self):
        return self.w


def boxed(x, y):
    b = Box(x * y)  # (an object made in the function: a name per attribute, jit_dicts)
    b.w = b.w + np.sin(x)
    return np.sum(b.get() ** 2)


class Late:
    def __init__(self, w):
        self.w = w


def late(x):
    b = Late(x * 2.0)
    if x[0] > 0:
        b.v = x * 3.0  # (an attribute not stored by __init__: its name may be unbound where it is read)
        return np.sum(b.v * b.w)
    return np.sum(b.w)


def test_objects_made_in_the_function_are_names_per_attribute():
    check_jit_grad(boxed, (X, Y), (0, 1))
    with pytest.raises(ad.UnsupportedError, match="new_object"):
        ad.grad(late, jit=True)(X)
