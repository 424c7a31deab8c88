"""Regressions found by hunt 18 (dtypes, rule arguments, Python's numbers), against central differences:
right or refused at a line of this file, never a wrong value (/work/hunt18/findings.md)."""
import math
import operator

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.5, 0.8, 1.1])


# h18-001: a `dtype=` converting to integers makes a reduction piecewise constant (it was differentiated as if
# the dtype were a float one)
def sum_to_int(x):
    return np.sum(x * 3, dtype=int) * x[0] + np.sum(x ** 2)


def method_sum_to_int(x):
    return (x * 3).sum(dtype=np.int32) * x[0] + np.sum(x ** 2)


def mean_and_prod_to_int(x):
    return np.mean(x * 3, dtype="int64") * x[0] + np.prod(x * 3, dtype=int) * x[1] + np.sum(x ** 2)


def linspace_and_full_to_int(x):
    return np.sum(np.linspace(x[0] * 3, x[1] * 9, 4, dtype=int) * x) + np.sum(np.full(3, x[0] * 5, dtype=int)) * x[1]


def sum_to_float32(x):
    return np.sum(x * 3, dtype=np.float32) * x[0]


def sum_to_a_dtype_passed_in(x, dt):
    return np.sum(x * 3, dtype=dt) * x[0]


@pytest.mark.parametrize("f", [sum_to_int, method_sum_to_int, mean_and_prod_to_int, linspace_and_full_to_int])
def test_integer_dtype_is_piecewise_constant(f):
    expected = numeric_grad(f, [X], 0)
    np.testing.assert_allclose(ad.grad(f)(X), expected, atol=1e-6)
    _, tangent = ad.jvp(f)(X, np.ones(4))
    np.testing.assert_allclose(tangent, expected.sum(), atol=1e-6)


def test_float_dtype_keeps_the_rule():
    np.testing.assert_allclose(ad.grad(sum_to_float32)(X), numeric_grad(sum_to_float32, [X], 0, eps=1e-3),
                               rtol=1e-4, atol=1e-4)


def test_dtype_not_known_when_compiling_is_refused():
    with pytest.raises(ad.ADError, match="dtype=") as info:
        ad.grad(sum_to_a_dtype_passed_in)(X, int)
    assert "test_found_hunt18.py" in str(info.value)


# h18-002: arguments a rule's template does not follow that change the function or its result's structure
# were ignored (wrong values, or crashes inside the derivative): now refused at the call
def linspace_with_step(x):
    a, step = np.linspace(x[0], x[1], 5, retstep=True)
    return np.sum(a ** 2) + step * x[2]


def linspace_along_axis_1(x):
    return np.sum(np.linspace(x[:2], x[2:], 3, axis=1) * np.arange(6.0).reshape(2, 3))


def pinv_cutting(x):
    A = np.outer(x[:3], x[1:]) + np.diag([1.0, 0.01, 1e-4]) * x[0]
    return np.sum(np.linalg.pinv(A, rcond=0.05) * np.arange(9.0).reshape(3, 3))


def pinv_hermitian(x):
    A = np.outer(x[:3], x[1:]) + np.diag([3.0, 2.0, 1.5])
    return np.sum(np.linalg.pinv(A, hermitian=True) * np.arange(9.0).reshape(3, 3))


def lstsq_cutting(x):
    A = np.outer(x[:3], x[1:]) + np.diag([1.0, 0.01, 1e-4]) * x[0]
    return np.sum(np.linalg.lstsq(A, x[1:], rcond=0.05)[0] * np.arange(3.0))


def qr_r_only(x):
    return np.sum(np.linalg.qr(np.outer(x, x[:3]) + np.eye(4, 3), mode="r") ** 2)


def decay(y, t, k):
    return -k * y


def odeint_full_output(x):
    from scipy.integrate import odeint
    ys, info = odeint(decay, x[:2], np.array([0.0, 0.5]), args=(x[2],), full_output=True)
    return np.sum(ys ** 2)


def logm_with_error(x):
    import scipy.linalg as sla
    L, err = sla.logm(np.eye(3) * 2 + 0.1 * np.outer(x[:3], x[1:]), disp=False)
    return np.sum(L * np.arange(9.0).reshape(3, 3))


@pytest.mark.parametrize("f", [linspace_along_axis_1, pinv_cutting, pinv_hermitian, lstsq_cutting, odeint_full_output,
                               logm_with_error])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_arguments_the_rule_does_not_follow_are_refused(f, mode):
    with pytest.raises(ad.ADError, match="its derivative rule holds only for") as info:
        if mode == "grad":
            ad.grad(f)(X)
        else:
            ad.jvp(f)(X, np.ones(4))
    assert "test_found_hunt18.py" in str(info.value)


@pytest.mark.parametrize("f", [linspace_with_step, qr_r_only])
def test_forms_written_as_calls_with_rules(f):
    """`np.linspace(.., retstep=True)` and `np.linalg.qr(a, "r")` (desugar_numpy_names.py)."""
    expected = numeric_grad(f, [X], 0)
    np.testing.assert_allclose(ad.grad(f)(X), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ad.jvp(f)(X, np.ones(4))[1], expected.sum(), rtol=1e-6)


def pinv_default_cut(x):
    A = np.outer(x[:3], x[1:]) + np.diag([1.0, 2.0, 3.0])
    return np.sum(np.linalg.pinv(A, rcond=1e-15) * np.arange(9.0).reshape(3, 3))


def test_pinv_with_a_rounding_level_cut_keeps_its_rule():
    np.testing.assert_allclose(ad.grad(pinv_default_cut)(X), numeric_grad(pinv_default_cut, [X], 0), rtol=1e-5,
                               atol=1e-6)


# h18-003 (over-refusals made support): reductions' where= / initial=, np.take's mode=, out=None, where=True,
# a ufunc's dtype= and casting= (desugar_numpy_forms.py; resolve.Resolver.call_options)
MASK = np.array([True, False, True, True])
M = np.array([[0.5, -1.0, 2.0, 0.1], [1.5, 0.3, -0.7, 0.9], [-0.2, 0.8, 0.4, -1.1]])


def masked_and_started_reductions(x):
    return (np.sum(x ** 2, where=MASK, initial=0.5) + np.prod(M * x, axis=1, where=M > 0, initial=2.0).sum()
            + np.max(x, where=MASK, initial=x[1]) + np.min(M * x, axis=0, initial=0.2).sum()
            + np.mean(M * x, axis=-1, where=M > 0).sum() ** 2)


def take_wrapping_and_clipping(x):
    return np.sum(np.take(x, [0, 5, -6], mode="wrap") ** 2 * np.arange(3.0)) + \
        np.sum(np.take(M * x, [4, -1], axis=1, mode="clip") * np.arange(6.0).reshape(3, 2))


def ufunc_options(x):
    return np.sum(np.matmul(M, x, out=None) ** 2) + np.sum(np.multiply(x, x, dtype=np.float64, casting="same_kind")) \
        + np.sum(np.multiply(x, 3.0, dtype=int, casting="unsafe")) * x[0] + np.sum(np.exp(x, where=True))


@pytest.mark.parametrize("f", [masked_and_started_reductions, take_wrapping_and_clipping, ufunc_options])
def test_numpy_call_forms(f):
    expected = numeric_grad(f, [X], 0)
    np.testing.assert_allclose(ad.grad(f)(X), expected, rtol=1e-6, atol=1e-6)
    _, tangent = ad.jvp(f)(X, np.arange(1.0, 5.0))
    np.testing.assert_allclose(tangent, expected @ np.arange(1.0, 5.0), rtol=1e-6, atol=1e-6)


# h18-004: a ufunc with `out=c, where=m` wrote all of its result into c (t = f(a, where=m); c[...] = t): the entries
# it leaves out took the uninitialised values instead of keeping c's (values and derivatives wrong for
# ufuncs without a rule, refused for those with one). Now c[...] = np.where(m, f(a'), c), a' the operands with
# the left-out entries replaced where f and its partials are finite (no NaN from them).
def floor_into_part(x):
    y = x * 2.0
    np.floor(x, out=y, where=MASK)
    return np.sum(y * x)


def compare_into_part(x):
    y = x * 2.0
    z = np.greater(x, 0.5, out=y, where=MASK)
    return np.sum(z * x)


def safe_division_and_log(x):
    y = np.zeros(4)
    np.divide(1.0, x, out=y, where=x != 0)
    w = np.full(4, -1.0)
    np.log(x, out=w, where=x > 0)
    return np.sum(y * x ** 2) + np.sum(w * x)


@pytest.mark.parametrize("f", [floor_into_part, compare_into_part, safe_division_and_log])
def test_ufunc_out_where_keeps_the_entries_left_out(f):
    x = np.array([0.3, -1.7, 0.6, 2.2])
    expected = numeric_grad(f, [x], 0)
    np.testing.assert_allclose(ad.grad(f)(x), expected, rtol=1e-6, atol=1e-6)
    value, tangent = ad.jvp(f)(x, np.arange(1.0, 5.0))
    assert value == pytest.approx(f(x))
    np.testing.assert_allclose(tangent, expected @ np.arange(1.0, 5.0), rtol=1e-6, atol=1e-6)


def test_ufunc_out_where_gives_no_nan_where_left_out():
    x = np.array([0.3, -1.7, 0.0, 2.2])
    with np.errstate(all="raise"):
        g = ad.grad(safe_division_and_log)(x)
        h = ad.hvp(safe_division_and_log)(x, np.ones(4))
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(h))


# h18-005 (over-refusals made support): Python's numbers: math.fmod / remainder / modf / frexp / ldexp / erf /
# erfc / degrees / radians / asinh / acosh / atanh / fsum, builtin pow and divmod, operator.floordiv, NumPy
# scalar conversions (np.float64(x), np.float32(x) accumulators, np.int64(x))
def python_numbers(x):
    q, r = divmod(x * 3.0, 0.7)
    frac, whole = math.modf(x * 2.0)
    m, e = math.frexp(x * 3.0)
    return (math.fmod(x * 3.0, 0.7) + math.remainder(x * 3.0, 0.7) + q * x + r * r + frac * x + whole * x + m * x + e
            + math.ldexp(x, 3) + math.erf(x) + math.erfc(x) * x + math.degrees(x) * math.radians(x)
            + math.asinh(x) + math.acosh(x + 2.0) + math.atanh(x / 3.0) + math.fsum([x, x * x]) + pow(x, 3)
            + operator.floordiv(x * 3.0, 1.0) * x + np.int64(x * 3.0) * x + np.float64(x) ** 2)


def float32_accumulator(a):
    s = np.float32(0.0)
    for i in range(4):
        s += np.float32(a[i]) * a[i]
    return float(s)


def test_python_numbers():
    x = 0.77
    h = 1e-6
    expected = (python_numbers(x + h) - python_numbers(x - h)) / (2 * h)
    assert ad.grad(python_numbers)(x) == pytest.approx(expected, rel=1e-6)
    assert ad.jvp(python_numbers)(x, 1.0)[1] == pytest.approx(expected, rel=1e-6)


def test_float32_accumulator():
    g = ad.grad(float32_accumulator)(X)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * X, rtol=1e-6)
    np.testing.assert_allclose(ad.hessian(float32_accumulator)(X), 2 * np.eye(4), atol=1e-6)


# h18-006: np.full_like(a, v) takes a's dtype: an integer `a` truncates v (no derivative), yet v got one; an `a`
# computed from x was refused though it gives only the shape and dtype
def full_like_of_integers(x):
    return np.sum(np.full_like(np.arange(4), x[0] * 5.0) * np.arange(4.0)) * x[1] + np.sum(np.full_like(x, x[2]) * x)


def test_full_like_takes_the_dtype_of_its_model():
    expected = numeric_grad(full_like_of_integers, [X], 0)
    np.testing.assert_allclose(ad.grad(full_like_of_integers)(X), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ad.jvp(full_like_of_integers)(X, np.ones(4))[1], expected.sum(), rtol=1e-6)


# h18-007 (over-refusals made support): NumPy 2's array-API spellings (desugar_numpy_names.py)
def numpy2_spellings(x):
    w = np.arange(4.0)
    return (np.sum(np.clip(x, min=-0.45, max=0.6) ** 2) + np.std(x, correction=1) + np.var(x, correction=1.0)
            + np.sum(np.sort(x, stable=True) * w) + np.sum(np.astype(x, np.float64) * w)
            + np.vecdot(x, w) + np.linalg.vecdot(x.reshape(2, 2), w.reshape(2, 2)).sum() ** 2
            + np.sum(np.matrix_transpose(x.reshape(2, 2)) * w.reshape(2, 2)) + np.linalg.trace(np.outer(x, w), offset=1)
            + np.sum(np.cumulative_sum(x) ** 2) + np.linalg.vector_norm(x.reshape(2, 2))
            + np.linalg.vector_norm(x.reshape(2, 2), ord=1, axis=-1).sum() + np.linalg.matrix_norm(x.reshape(2, 2), ord=1)
            + np.sum(np.linalg.matmul(x.reshape(2, 2), w.reshape(2, 2)) ** 2) + np.sum(np.linalg.outer(x, w) ** 2)
            + np.vdot(x.reshape(2, 2), x * w))


@pytest.mark.skipif(not hasattr(np, "cumulative_sum"), reason="NumPy 2.1's spellings")
def test_numpy2_spellings():
    expected = numeric_grad(numpy2_spellings, [X], 0)
    np.testing.assert_allclose(ad.grad(numpy2_spellings)(X), expected, rtol=1e-6, atol=1e-6)
    v = np.array([0.5, -1.0, 0.25, 2.0])
    h = 1e-5
    hvp = (ad.grad(numpy2_spellings)(X + h * v) - ad.grad(numpy2_spellings)(X - h * v)) / (2 * h)
    np.testing.assert_allclose(ad.hvp(numpy2_spellings)(X, v), hvp, rtol=1e-5, atol=1e-5)


def sum_to_the_dtype_of(x, k):
    return np.sum(x * 3, dtype=k.dtype) * x[0] + np.sum(x ** 2)


def test_dtype_of_an_array_of_known_kind():
    """`dtype=k.dtype` is known when compiling from k's kind (the derivative is compiled per dtype kind)."""
    ints, floats = np.array([1, 2, 3, 4]), np.ones(4)
    np.testing.assert_allclose(ad.grad(sum_to_the_dtype_of)(X, ints), 2 * X + [np.sum(np.trunc(3 * X)), 0, 0, 0])
    np.testing.assert_allclose(ad.grad(sum_to_the_dtype_of)(X, floats), 2 * X + 3 * X[0] + [np.sum(3 * X), 0, 0, 0])


def masked_sum_into(x):
    y = np.zeros(())
    np.sum(x, where=MASK, out=y)
    return float(y) * 2.0


def test_masked_reduction_into_out_is_refused():
    """`where=` of a reduction masks its operand, not its output: only a ufunc's is taken beside `out=`."""
    with pytest.raises(ad.ADError, match="where"):
        ad.grad(masked_sum_into)(X)


def initial_of_integer_reductions(x):
    ints, mask = np.array([1, 2, 3]), np.array([True, False, True])
    return (np.sum(ints, initial=x[0] + 0.2) + np.max(ints, initial=x[3] * 1.5) + np.prod(ints, initial=x[2] * 2.2)
            + np.max(ints, where=mask, initial=x[2] * 3.9)) * x[1] + np.sum(x * 2.0, initial=x[0])


def test_initial_takes_the_dtype_of_the_result():
    """NumPy converts `initial` to the reduction's dtype (0.5 is 0 for integers): the value and derivative too."""
    value, grad = ad.value_and_grad(initial_of_integer_reductions)(X)
    assert value == initial_of_integer_reductions(X)
    np.testing.assert_allclose(grad, numeric_grad(initial_of_integer_reductions, [X], 0), rtol=1e-6, atol=1e-6)
