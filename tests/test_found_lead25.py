"""Found by the lead in stop 25 (probing NumPy's signatures and edge semantics): each program gives the
derivatives central differences give, or a located refusal."""
import itertools
import math
import operator

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad

X = np.array([[0.13, -0.13, 0.64, 0.10],
              [-0.54, 0.36, 1.30, 0.95],
              [-0.70, -1.27, -0.62, 0.04]])
T = np.array([[0.3, -1.1, 0.7, 0.2], [0.5, 0.1, -0.4, 0.9], [-0.8, 0.6, 0.25, -0.35]])


# -- lead25-001: np.clip with a lower bound above the upper one gives the upper one (min(max(a, lo), hi)); the
# rule gave the lower bound its derivative there (a WRONG gradient and tangent: column 2 has x[0] = 0.64 > 0.5) --

def clip_low_bound_above_high(x):
    return np.sum(np.clip(x, x[0], 0.5) ** 2)


def clip_both_bounds_active(x):
    return np.sum(np.clip(x[2], x[0], x[1]) ** 2) + np.sum(x[2].clip(x[1], x[0]) ** 3)


def clip_one_bound_none(x):
    return np.sum(np.clip(x[2], x[0], None) ** 2) + np.sum(np.clip(x[2], None, x[1]) ** 3)


def clip_numbers_in_a_loop(x):
    t = 0.0
    for i in range(4):
        t = t + float(np.clip(x[0, i], x[1, i], x[2, i])) ** 2
    return t


CLIPS = [clip_low_bound_above_high, clip_both_bounds_active, clip_one_bound_none, clip_numbers_in_a_loop]


@pytest.mark.parametrize("f", CLIPS)
def test_lead25_001_clip_bounds_crossed(f):
    check_grad(f, (X.copy(),))
    value, tangent = ad.jvp(f)(X.copy(), T)
    assert np.isclose(tangent, np.sum(numeric_grad(f, (X.copy(),), 0) * T), atol=1e-6)


@pytest.mark.parametrize("f", [clip_low_bound_above_high, clip_numbers_in_a_loop])
def test_lead25_001_clip_bounds_crossed_jit(f):
    pytest.importorskip("numba")
    check_grad(f, (X.copy(),), jit=True)


# -- lead25-002: a masked array (numpy.ma) held by an argument's attribute (`c.m`): its operations skip the masked
# entries, the rules do not (a WRONG gradient: 1 at a masked entry where f does not depend on x); refused now, as
# h19-005 refused one given as an argument or a global --

class _Holder:
    pass


_MASKED = _Holder()
_MASKED.m = np.ma.masked_array(np.full((3, 4), 2.0), mask=np.eye(3, 4) > 0)


def masked_attribute_times_x(x, c):
    return np.sum(x * c.m)


def masked_attribute_in_place(x, c):
    y = x.copy()
    y *= c.m
    return np.sum(y)


def masked_attribute_renamed(x, c):
    m = c.m
    return np.sum(np.dot(x.T, m))


@pytest.mark.parametrize("f", [masked_attribute_times_x, masked_attribute_in_place, masked_attribute_renamed])
def test_lead25_002_masked_array_attribute_refused(f):
    with pytest.raises(ad.ADError, match="masked array"):
        ad.grad(f)(X.copy(), _MASKED)


def masked_attribute_constant_only(x, c):
    return np.sum(x ** 2) * float(c.m.sum())


def test_lead25_002_masked_array_attribute_not_differentiated_is_fine():
    check_grad(masked_attribute_constant_only, (X.copy(), _MASKED))


# -- lead25-003: math.pow(x, p) differentiated in p at x = 0 raised "math domain error" (the rule took math.log(0));
# 0**p is 0 for every p > 0, so the derivative is 0 there (np.power's rule already said so) --

def math_pow_exponent(p, x):
    return math.pow(x[0], p) + x[1] ** p + math.pow(x[2], p)


def math_pow_only(p, x):
    return math.pow(x[0], p) + math.pow(x[2], p)


def test_lead25_003_math_pow_exponent_at_zero_base():
    x = np.array([0.0, 1.3, 2.0])
    p = 2.5
    expected = sum(v ** p * math.log(v) for v in x[1:])  # d/dp x**p = x**p log x, and 0 at x = 0
    assert math.isclose(ad.grad(math_pow_exponent)(p, x), expected, rel_tol=1e-12)
    assert math.isclose(ad.jvp(math_pow_exponent)(p, x, 1.0)[1], expected, rel_tol=1e-12)
    second = sum(v ** p * math.log(v) ** 2 for v in x[1:])
    assert math.isclose(ad.hessian(math_pow_exponent)(p, x), second, rel_tol=1e-9)
    check_grad(math_pow_exponent, (p, np.array([0.7, 1.3, 2.0])))


def test_lead25_003_math_pow_exponent_at_zero_base_jit():
    pytest.importorskip("numba")
    x = np.array([0.0, 1.3, 2.0])
    assert math.isclose(ad.grad(math_pow_only, jit=True)(2.5, x), 2.0 ** 2.5 * math.log(2.0), rel_tol=1e-12)


# -- lead25-004: np.fmax / np.fmin ignore a NaN operand (the other one is the result), but they shared np.maximum's
# rule, whose shares are 0 where a comparison with NaN is false: a WRONG zero derivative for the operand that won --

def fmax_fmin_with_nan(x, y):
    return np.sum(np.fmax(x, y) ** 2) + np.sum(np.fmin(y, x) * 3.0) + np.fmax(x[0], y[0]) * x[1]


def test_lead25_004_fmax_fmin_nan_operand():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([np.nan, 1.0, 5.0])
    check_grad(fmax_fmin_with_nan, (x, y))  # (the differences move x only: y's NaN stays where it is)
    t = np.array([0.3, -0.2, 0.5])
    _, tangent = ad.jvp(fmax_fmin_with_nan)(x, y, t)
    assert np.isclose(tangent, np.dot(numeric_grad(fmax_fmin_with_nan, (x, y), 0), t))
    hv = ad.hvp(fmax_fmin_with_nan)(x, y, t)
    # x wins entries 0 and 1 of fmax(x, y) ** 2 (x ** 2 there), and fmax(x[0], NaN) * x[1] is x[0] * x[1]
    assert np.allclose(hv, [2 * t[0] + t[1], t[0] + 2 * t[1], 0.0])


def test_lead25_004_fmax_fmin_nan_operand_jit():
    pytest.importorskip("numba")
    x = np.array([1.0, 2.0, 3.0])
    check_grad(fmax_fmin_with_nan, (x, np.array([np.nan, 1.0, 5.0])), jit=True)


# -- lead25-005: the alias pass stopped a loop's fixed point after 20 passes and went on with a state that was not a
# fixed point (compile25's report): what it decided from there was not proven. Such a loop is refused now where the
# function changes anything in place (where nothing changes in place, the state decides nothing: c25-002 passes) --

def _pair(a, b):
    return a * b, a + b


def _pair_again(a, b, n):  # (recursive: its result is not known, its loop does not settle; c28-001: that of the
    if n <= 0:  # checkpointed `_pair`, known now to be a new tuple of new arrays, settles: tests/test_checkpoint_facts.py)
        return a * b, a + b
    return _pair_again(a, b, n - 1)


def unsettled_loop_then_in_place(x):
    v, w = x * x, x + 1.0
    for ii in range(3):
        v, w = _pair_again(v, w, 1)
        v *= 1.5
    return np.sum(v * w)


def test_lead25_005_loop_without_fixed_point_refused_where_something_changes_in_place():
    with pytest.raises(ad.ADError, match="did not reach a fixed point"):
        ad.grad(unsettled_loop_then_in_place)(np.array([0.1, 0.5, 0.9]))


# -- lead25-006: itertools.accumulate(xs, operator.mul) (lifted by lang25) after an in-place change of a maybe-view
# never finished compiling (explore seed 7301 #95): the alias pass took operator.mul's result for maybe a view of
# its operands, one more each pass of the loop's fixed point --

def accumulate_after_a_maybe_view(x, s):
    g = x * 1.0
    out = g.reshape(-1)
    out[0] *= s
    return list(itertools.accumulate(g, operator.mul))[-1]


def test_lead25_006_accumulate_with_an_operator_compiles():
    import time

    x = np.array([0.526, -1.024, -0.12])
    t0 = time.process_time()
    check_grad(accumulate_after_a_maybe_view, (x, 1.317), wrt=(0, 1))
    assert time.process_time() - t0 < 5.0  # (it never ended before; well under a second now)


# -- lead25-007: lang25's check of a loop changing the length of the list it goes over refused loops over arrays (28
# of 1,500 plain random programs): `Q *= s` with Q a second name of the array `P = np.zeros(...)`, `M += v` with M a
# NumPy result, `c[::2] = v` (an extended slice keeps the length). An array's length never changes in place --

def loop_over_array_changed_through_a_second_name(x, s):
    P = np.zeros((2, 3)) + x
    Q = P
    for i, row in enumerate(P):
        row *= s
        Q *= s + x[i]
    return np.sum(Q * x)


def loop_over_argument_beside_a_numpy_result(x, y):
    M = np.outer(x, y)
    r = 0.0
    for el in y:
        r = r * 0.5 + np.sin(el)
        M += el
    return np.sum(M) + r


def loop_storing_an_extended_slice(x):
    c = x * 1.0
    val = 1.0
    for el in c:
        val = val + el * el
        c[::2] = np.sin(val)
    return val + np.sum(c)


@pytest.mark.parametrize("f, args", [
    (loop_over_array_changed_through_a_second_name, (np.array([0.3, -0.2, 0.5]), 1.2)),
    (loop_over_argument_beside_a_numpy_result, (np.array([0.3, -0.2, 0.5]), np.array([0.7, 0.1]))),
    (loop_storing_an_extended_slice, (np.array([0.3, -0.2, 0.5, 0.1]),)),
])
def test_lead25_007_loops_over_arrays_are_not_length_changes(f, args):
    check_grad(f, args)


def appends_through_a_container(x):
    L = [x[0], x[1]]
    D = [L]
    total = 0.0
    for v in L:
        total = total + v * x[2]
        if len(L) < 4:
            D[0].append(v * 2.0)
    return total


def test_lead25_007_a_list_grown_through_a_container_is_still_refused():
    with pytest.raises(ad.ADError, match="length of the list"):
        ad.grad(appends_through_a_container)(np.array([0.3, -0.2, 0.5]))


def rows_scaled_in_a_loop_over_an_argument(W, x):
    acc = 0.0
    for row in W:
        row *= 0.5
        row += x
        acc = acc + np.sum(row ** 2)
    return acc


def test_lead25_007_loop_over_an_array_argument_reads_its_kind():
    # (the check runs with the arguments' kinds: W is an ndarray, its rows arrays; a list W would be refused)
    W, x = np.array([[0.3, -0.2], [0.5, 0.1]]), np.array([0.2, 0.4])
    gW, gx = ad.grad(rows_scaled_in_a_loop_over_an_argument, wrt=(0, 1))(W.copy(), x)
    r = 0.5 * W + x  # (f is the sum of r ** 2 over the rows r = 0.5 w + x; it changes W, so differences of f on
    # one W would drift: the formula instead)
    assert np.allclose(gW, r) and np.allclose(gx, 2.0 * r.sum(axis=0))


# -- lead25-008 (over-refusal lifted): np.nanmax / np.nanmin take np.max's / np.min's rule, whose mask `x == ans`
# never holds at a NaN: the derivative goes to the largest (smallest) entries that are not NaN --

def nan_extremes(x):
    return np.sum(np.nanmax(x, axis=1) ** 2) + np.sum(np.nanmin(x, axis=0, keepdims=True) * 3.0) + \
        np.nanmax(x, axis=-1)[1] * np.nanmin(x)


def test_lead25_008_nanmax_nanmin():
    x = np.array([[np.nan, 1.0, 5.0, 0.3], [2.0, np.nan, 0.5, 1.5], [0.1, 0.7, -0.4, np.nan]])
    expected = np.nan_to_num(numeric_grad(nan_extremes, (x,), 0))  # (a NaN entry moved stays NaN: 0 there)
    got = ad.grad(nan_extremes)(x.copy())
    assert np.allclose(got, expected, atol=1e-6)
    t = np.where(np.isnan(x), 0.0, np.arange(12.0).reshape(3, 4) / 10)
    assert np.isclose(ad.jvp(nan_extremes)(x.copy(), t)[1], np.sum(expected * t), atol=1e-6)
