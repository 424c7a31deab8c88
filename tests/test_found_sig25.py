"""Found by sig25 (NumPy's and the math module's signatures and edge semantics, rule by rule; the sweep is
/work/sig25/sweep.py): each program gives the derivatives central differences give, or a located refusal."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad

X = np.array([[0.13, -0.27, 0.64, 0.10],
              [-0.54, 0.36, 1.30, 0.95],
              [-0.70, -1.17, -0.62, 0.04]])
T = np.array([[0.3, -1.1, 0.7, 0.2], [0.5, 0.1, -0.4, 0.9], [-0.8, 0.6, 0.25, -0.35]])


def _jvp_matches(f, x=X, t=T):
    value, tangent = ad.jvp(f)(x.copy(), t.copy())
    assert np.isclose(tangent, np.sum(numeric_grad(f, (x.copy(),), 0) * t), atol=1e-6)


# -- sig25-001: np.clip with equal bounds is constant in a (the upper bound); at a == lo == hi the rule gave a
# its derivative (1 where the truth is 0). sig25-002: bounds broadcasting a to a larger shape crashed
# (`mask &= a >= a_min` in place on a's shape) --

def clip_equal_constant_bounds(x):
    return np.sum(np.clip(x, 0.1, 0.1) ** 2) + np.sum(x[0].clip(0.64, 0.64) ** 3)


def clip_equal_bounds_in_a_loop(x):
    t = 0.0
    for i in range(4):
        t = t + float(np.clip(x[0, i], 0.1, 0.1)) * x[1, i]
    return t


def clip_bounds_broadcast_a(x):
    return np.sum(np.clip(x[0], x, 1.0) ** 2) + np.sum(np.clip(x[0, 0], x, x[1] + 0.5) ** 2)


@pytest.mark.parametrize("f", [clip_equal_constant_bounds, clip_equal_bounds_in_a_loop, clip_bounds_broadcast_a])
def test_sig25_001_002_clip_equal_and_broadcast_bounds(f):
    check_grad(f, (X.copy(),))
    _jvp_matches(f)


def test_sig25_001_clip_equal_bounds_jit():
    pytest.importorskip("numba")
    check_grad(clip_equal_bounds_in_a_loop, (X.copy(),), jit=True)


# -- sig25-003: np.average(.., returned=True) crashed in the generated code (a shape error, not a refusal);
# now refused at its line. sig25-004: weights for a tuple axis (shape of a along those axes, in the tuple's
# order) crashed (`tuple % int` in runtime_arrays.shaped_weights) --

A3 = np.random.default_rng(1).standard_normal((2, 3, 4))
W42 = np.array([[0.5, 1.5], [2.0, 1.0], [0.7, 1.2], [1.1, 0.3]])


def average_returned(x):
    return np.sum(np.average(x, axis=0, weights=np.ones(3), returned=True)[0])


def test_sig25_003_average_returned_refused():
    with pytest.raises(ad.UnsupportedError, match="returned"):
        ad.grad(average_returned)(X.copy())


def average_tuple_axis(x):
    return np.sum(np.sin(np.average(x, axis=(2, 0), weights=W42))) + \
        np.sum(np.sin(np.average(x[0], axis=(1, 0), weights=x[1].T ** 2, keepdims=True)))


def test_sig25_004_average_weights_tuple_axis():
    check_grad(average_tuple_axis, (A3.copy(),))
    _jvp_matches(average_tuple_axis, A3, np.cos(A3))


# -- sig25-005: np.fmax / np.fmin take the other operand where one is NaN; the rule (np.maximum's) gave neither
# operand a derivative there (0 where the truth is 1). sig25-006: np.hypot / math.hypot at (0, 0) gave NaN /
# ZeroDivisionError (now the subgradient 0, as np.linalg.norm's). sig25-013: math.pow(x, y) of a negative x with
# an integral y raised a domain error in its exponent's partial (now 0 there, as np.power's) --

def fmax_fmin_nan(x):
    return np.sum(np.sin(np.fmax(np.log(x), x))) + np.sum(np.fmin(x, np.log(-x)) ** 2)


def hypot_at_zero(x):
    return np.sum(np.hypot(x - x, x[0] - x[0]) + x) + np.sum(np.hypot(x[1], x[2]))


def math_hypot_pow(x):
    return math.hypot(x * 0.0, 0.0) + x + math.hypot(x, 2.0 * x) + math.pow(-2.0, x * 0 + 3.0) + math.pow(x, 2.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("f", [fmax_fmin_nan, hypot_at_zero])
def test_sig25_005_006_fmax_nan_hypot_zero(f):
    with np.errstate(all="ignore"):
        check_grad(f, (X.copy(),))
        _jvp_matches(f)


def test_sig25_006_013_math_hypot_zero_pow_negative_base():
    check_grad(math_hypot_pow, (0.7,))
    assert np.isclose(ad.jvp(math_hypot_pow)(0.7, 1.0)[1], numeric_grad(math_hypot_pow, (0.7,), 0))


# -- sig25-012: np.linalg.eigh / eigvalsh take UPLO='u' as 'U' (NumPy upper-cases it); the rules read 'u' as the
# lower triangle: the gradient went to the triangle NumPy never reads (wrong) --

SPD = np.array([[5.29, 0.3, 0.48], [0.1, 4.34, 0.9], [-0.3, 0.9, 4.49]])


def eigh_lowercase_uplo(x):
    return np.sum(np.sin(np.linalg.eigh(x, 'u')[0])) + np.sum(np.linalg.eigvalsh(x, UPLO='u') ** 3)


def test_sig25_012_eigh_lowercase_uplo():
    check_grad(eigh_lowercase_uplo, (SPD.copy(),))
    _jvp_matches(eigh_lowercase_uplo, SPD, np.cos(SPD))


# -- sig25-009: np.sort_complex was declared piecewise constant (no derivative): a zero gradient where the sorted
# values move with their entries (wrong); now np.sort's rule along the last axis --

W34 = np.arange(12.0).reshape(3, 4)


def sort_complex_values(x):
    return np.sum(np.sort_complex(x).real * W34) + np.sum(np.abs(np.sort_complex(x + 1j * x[::-1]) * W34) ** 2)


def test_sig25_009_sort_complex():
    check_grad(sort_complex_values, (X.copy(),))
    _jvp_matches(sort_complex_values)


# -- sig25-014: np.bincount(i, weights=w) is linear in w; sig25-015: np.heaviside(x1, x2) is x2 where x1 == 0. Both
# were declared piecewise constant: silently zero gradients --

BINS = np.array([0, 2, 2, 5])


def bincount_weights(x):
    return np.sum(np.bincount(BINS, weights=x[0], minlength=7) ** 2) + np.sum(np.bincount(BINS, x[1] ** 2)) + \
        np.sum(np.bincount(BINS) * x[2, 0])


def heaviside_value_at_zero(x):
    return np.sum(np.heaviside(x - x[0], x[1]) * x[2]) + np.sum(np.heaviside(x, 0.5) * x)


@pytest.mark.parametrize("f", [bincount_weights, heaviside_value_at_zero])
def test_sig25_014_015_bincount_weights_heaviside(f):
    check_grad(f, (X.copy(),))
    _jvp_matches(f)
    hv = ad.hvp(f)(X.copy(), T.copy())
    g = ad.grad(f)
    assert np.allclose(hv, (g(X + 1e-6 * T) - g(X - 1e-6 * T)) / 2e-6, atol=1e-5)


# -- sig25-007: Python's `x ** y` of a negative float and a non-integral float is complex (NumPy's is NaN); the
# compiler took it for a real float: abs() of it got the real-only form (a wrong tangent, ~0), and the exponent's
# partial was guarded to 0 for a negative base (a wrong gradient of pow(-2.0, x)) --

def python_power_complex(x):
    return abs((x - 2.0) ** 1.5) + abs(pow(-2.0, x)) + ((x - 2.0) ** 0.5).imag + (x * x + 1.0) ** 0.5


def real_python_powers_clipped(x):
    return np.clip(abs(x) ** 1.5, 0.0, 1.0) + np.clip((x * x + 1.0) ** 0.5, 0.0, 5.0)


def test_sig25_007_real_python_powers_stay_real():
    """(a base made non-negative, abs(x) or x * x + 1, keeps `**` real: a real-only rule of it is not refused)"""
    check_grad(real_python_powers_clipped, (0.7,))


def test_sig25_007_python_power_of_negative_float_is_complex():
    with np.errstate(all="ignore"):
        check_grad(python_power_complex, (0.7,))
        assert np.isclose(ad.jvp(python_power_complex)(0.7, 1.0)[1], numeric_grad(python_power_complex, (0.7,), 0))
        g = ad.grad(python_power_complex)
        assert np.isclose(ad.hvp(python_power_complex)(0.7, 1.0), (g(0.7 + 1e-5) - g(0.7 - 1e-5)) / 2e-5, atol=1e-5)


# -- sig25-008: np.diff(a, n) with n above the length along the axis (an empty result) crashed in reverse mode
# (n paddings overshot the input). sig25-010 / 011: np.linalg.solve of a stack of matrices and a 1-d b (NumPy 2
# takes it as one vector for every matrix), or a matrix b broadcast against the stack, crashed (the helpers took
# b's rank for the vector test, and b's adjoint was not summed over the stack) --

M3 = np.array([[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.4, 1.8]])
MS = np.array([M3, M3.T + 0.2 * np.eye(3)])


def diff_longer_than_axis(x):
    return np.sum(np.diff(x, n=5)) + np.sum(np.diff(x, n=4, axis=0, prepend=x[:1])) + np.sum(x ** 2)


def solve_broadcast_b(x):
    return np.sum(np.sin(np.linalg.solve(x, x[0, 0]))) + np.sum(np.sin(np.linalg.solve(x, x[0, :, :2]))) + \
        np.sum(np.sin(np.linalg.solve(x[0], np.stack([x[1, :, :2], x[0, :, 1:]]))))


@pytest.mark.parametrize("f, x", [(diff_longer_than_axis, X), (solve_broadcast_b, MS)])
def test_sig25_008_010_011_diff_long_n_solve_broadcast(f, x):
    check_grad(f, (x.copy(),))
    _jvp_matches(f, x, np.cos(x))
    hv = ad.hvp(f)(x.copy(), np.cos(x))
    g = ad.grad(f)
    assert np.allclose(hv, (g(x + 1e-6 * np.cos(x)) - g(x - 1e-6 * np.cos(x))) / 2e-6, atol=1e-5)


# -- sig25-016: np.copy(x, 'F') bound 'F' (np.copy's order) to the shared rule's `dtype`: complex64, so the tangent
# was rounded to single precision (and the value taken for complex); `np.copy(x, order=)` and `np.array(x, copy=)`
# were refused. Now each has its own signature --

XL = X * 1.2345678901


def copies_with_order(x):
    return np.sum(np.sin(np.copy(x, 'F')) * W34) + np.sum(np.copy(x.T, order='K') ** 2) + \
        np.sum(np.cos(np.array(x, copy=True, order='F')))


def test_sig25_016_copy_order_is_not_a_dtype():
    check_grad(copies_with_order, (XL.copy(),))
    value, tangent = ad.jvp(copies_with_order)(XL.copy(), T.copy())
    assert abs(tangent - np.sum(numeric_grad(copies_with_order, (XL.copy(),), 0) * T)) < 1e-8


# -- sig25-017: np.cross(a, b, 0) passes axisa=0 (NumPy's third parameter); the rule's signature was
# cross(a, b, axis), so it was differentiated as axis=0 for a, b and the result (wrong). Now NumPy's signature: one
# axis for all (axis=, or equal axisa, axisb, axisc) is differentiated, other combinations are refused --

def cross_axisa_only(x):
    return np.sum(np.sin(np.cross(x[:3, :3], x[:3, 1:], 0)))


def cross_equal_axes(x):
    return np.sum(np.sin(np.cross(x[:3, :3], x[:3, 1:], 0, 0, 0))) + \
        np.sum(np.cross(x[:3, :3], x[:3, 1:], axisa=1, axisb=1, axisc=1, axis=0) ** 2)


def test_sig25_017_cross_positional_axisa():
    with pytest.raises(ad.UnsupportedError, match="axisa"):
        ad.grad(cross_axisa_only)(X.copy())
    check_grad(cross_equal_axes, (X.copy(),))
    _jvp_matches(cross_equal_axes)


# -- sig25-018: a bool literal beside a value with a tangent (`np.where(m, x, True)`) got the tangent None in
# forward mode: `np.where(m, dx, None)` crashed the jvp and hvp (TypeError); a bool is 0 or 1 to NumPy --

MASK = X > 0


def where_bool_literal(x):
    return np.sum(np.sin(np.where(MASK, x, True))) + np.sum(np.where(MASK, False, x) ** 2)


def test_sig25_018_bool_literal_tangent():
    _jvp_matches(where_bool_literal)
    g = ad.grad(where_bool_literal)
    assert np.allclose(ad.hvp(where_bool_literal)(X.copy(), T.copy()), (g(X + 1e-6 * T) - g(X - 1e-6 * T)) / 2e-6,
                       atol=1e-5)


# -- sig25-019 (jit): Numba's np.full ignores a builtin dtype (`dtype=int`, `bool`): it kept the float fill value,
# so the compiled derivative computed another function (no truncation) than NumPy's; now NumPy's types --

def full_int_dtype(x):
    r = np.full((2,), x[0, 2] * 10, dtype=int) * x[0, :2]
    return np.sum(np.sin(r))


def test_sig25_019_jit_full_builtin_dtype():
    pytest.importorskip("numba")
    check_grad(full_int_dtype, (X.copy(),), jit=True)


# -- sig25-020 (jit): Python's `(x - 2.0) ** 1.5` of a negative float is complex (sig25-007); Numba computes NaN
# there (value and gradient). Now refused under jit where the base is not known to be non-negative --

def python_power_complex_jit(x):
    return abs((x - 2.0) ** 1.5)


def test_sig25_020_jit_python_complex_power_refused():
    pytest.importorskip("numba")
    with pytest.raises(ad.UnsupportedError, match="Numba computes NaN"):
        ad.grad(python_power_complex_jit, jit=True)(0.7)


# -- sig25-021: np.arctan2 / math.atan2 with an infinite operand are finite (constant there), the partials
# x2 / (x1^2 + x2^2) were inf / inf = NaN --

def atan2_infinite_operand(x):
    return np.sum(np.arctan2(x, np.inf) + x) + np.sum(np.arctan2(-np.inf, x[0])) + \
        math.atan2(float(x[1, 1]), math.inf) + math.atan2(math.inf, float(x[2, 2]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_sig25_021_atan2_infinite_operand():
    with np.errstate(all="ignore"):
        check_grad(atan2_infinite_operand, (X.copy(),))
        _jvp_matches(atan2_infinite_operand)


# -- sig25-022 (over-refusal): np.linalg.matrix_rank (an integer, piecewise constant) on a derivative's path was
# refused as having no rule --

def rank_times_matrix(x):
    return np.sum(np.linalg.matrix_rank(x) * x ** 2)


def test_sig25_022_matrix_rank_is_piecewise_constant():
    check_grad(rank_times_matrix, (M3.copy(),))
