"""Regressions found by dtype2 (in-place operations keep the target's dtype; hunt18's left NumPy forms): the
derivative computes the same function as f, in the same precision (/work/dtype2/findings.md)."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.errors import UnsupportedError
from fd import numeric_grad

X = np.array([0.3, -0.5, 0.7])
W = np.array([0.7, -1.3, 2.1])  # float64


# dt-001: `x op= v` rewritten as `x = x op v` kept NumPy's out-of-place dtype (float64 for a float32 x and a
# NumPy float64 scalar or array v, NEP 50), where NumPy in place casts the result back to x's dtype
def scaled_argument(x):
    x *= np.sum(np.ones(3)) * 1.1
    return np.sum(x ** 2)


def tiny_increment(x):
    y = x * 1.0
    y[0] = np.float64(1.0) / 3.0
    y += np.float64(1e-9)  # nothing in float32
    return np.sum(y * x)


def global_in_a_loop(x):
    y = x * 1.0
    for i in range(3):
        y *= np.sum(W) / 3.0 + x[i]
    return np.sum(y)


def zero_d(x):
    s = np.asarray(x[0] * 1.0)
    s += np.float64(1.0) / 3.0
    return s * x[1]


def made_float32(x):
    y = x.astype(np.float32)
    y += W / 3.0
    return np.sum(y * y)


def _recursive(y, n):
    if n == 0:
        return np.sum(y ** 2)
    z = y * 1.0
    z *= np.sum(W) / 3.0
    return _recursive(z, n - 1)


def recursive(x):  # (a recursive function is compiled on its own, for the kinds of its call's arguments)
    return _recursive(x * 1.0, 2)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("f", [scaled_argument, tiny_increment, global_in_a_loop, zero_d, recursive])
def test_in_place_keeps_a_float32_target(f):
    x32 = X.astype(np.float32)
    value = f(x32.copy())
    got, g = ad.value_and_grad(f)(x32.copy())
    assert _same(got, value), (got, value)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, ad.grad(f)(X.copy()), rtol=2e-3, atol=2e-3)
    t = np.array([0.2, 1.0, -0.4])
    got, tangent = ad.jvp(f)(x32.copy(), t.astype(np.float32))
    assert _same(got, value)
    np.testing.assert_allclose(tangent, ad.jvp(f)(X.copy(), t)[1], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(ad.grad(f)(X.copy()), numeric_grad(f, [X.copy()], 0), rtol=1e-5, atol=1e-6)


def test_float32_made_in_the_function():
    got, _ = ad.value_and_grad(made_float32)(X.copy())
    assert _same(got, made_float32(X.copy()))


def test_float64_code_pays_nothing():
    g = ad.grad(global_in_a_loop)
    g(X.copy())
    assert ".dtype" not in g.source and "asarray" not in g.source


# dt-002: `x op= 1j` of a real array raises in NumPy; the rewrite `x = x op 1j` made a complex array
def complex_into_real(x):
    y = x * 1.0
    y *= 1j
    return np.sum(np.abs(y) ** 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_complex_value_into_a_real_array_is_refused(dtype):
    with pytest.raises(ad.UnsupportedError, match="real array by a complex value"):
        ad.grad(complex_into_real)(X.astype(dtype))


# dt-003: the method forms of the reductions' keywords were refused (hunt18's left items); dt-004: an empty
# array with `initial=` crashed the derivative (NumPy gives `initial`)
M = np.array([True, False, True])


def method_forms(x):
    y = x * 1.0
    return (x * 2.0).sum(where=M) * x[0] + x.prod(initial=2.0) + y.max(initial=0.1) + \
        y.min(where=M, initial=5.0) * x[1] + (x ** 2).mean(where=M) + \
        np.sum(x.take(np.array([1, 4, -5]), mode="wrap") * x) + x.take([0, 7], mode="clip") @ x[:2]


def empty_with_initial(x):
    A = np.outer(x, x)[:, :0]
    return np.max(x[:0], initial=1.5) * x[0] + x[:0].min(initial=2.5) * x[1] + \
        np.sum(np.max(A, axis=1, initial=0.5) * x)


@pytest.mark.parametrize("f", [method_forms, empty_with_initial])
def test_reduction_keywords(f):
    expected = numeric_grad(f, [X.copy()], 0)
    np.testing.assert_allclose(ad.grad(f)(X.copy()), expected, rtol=1e-5, atol=1e-6)
    t = np.array([0.2, 1.0, -0.4])
    value, tangent = ad.jvp(f)(X.copy(), t)
    assert value == f(X.copy())
    np.testing.assert_allclose(tangent, expected @ t, rtol=1e-5, atol=1e-6)
    x32 = X.astype(np.float32)
    assert _same(ad.value_and_grad(f)(x32.copy())[0], f(x32.copy()))


# dt-005: np.mean(a, where=m) of a float32 array was written as sum / count (float32 / int64: float64)
def masked_mean(x):
    return np.mean(x * 2.0, where=M) * x[0]


def test_masked_mean_keeps_float32():
    x32 = X.astype(np.float32)
    assert _same(ad.value_and_grad(masked_mean)(x32.copy())[0], masked_mean(x32.copy()))
    assert _same(ad.jvp(masked_mean)(x32.copy(), x32.copy())[0], masked_mean(x32.copy()))


# dt-006: a ufunc's `where=` without `out=` (entries left uninitialised) is refused with the reason
def ufunc_where_without_out(x):
    return np.sum(np.exp(x, where=M), where=M)


def test_ufunc_where_without_out_says_why():
    with pytest.raises(ad.UnsupportedError, match="uninitialised"):
        ad.grad(ufunc_where_without_out)(X.copy())


# dt-007: an int32 index array changed in place by an int64 array stayed int32 in f, not in the derivative
# (its dtype read later: value and gradient twice f's); `idx += np.int64(1)` was refused as a float change
def int32_widened(x, idx):
    j = idx * 1
    j += np.array([1, 0])
    return np.sum(x[j] ** 2) * j.dtype.itemsize


def int64_scalar_step(x, idx):
    idx += np.int64(1)
    return np.sum(x[idx] ** 2)


@pytest.mark.parametrize("f", [int32_widened, int64_scalar_step])
def test_int32_array_changed_in_place(f):
    idx = np.array([0, 1], np.int32)
    value, g = ad.value_and_grad(f)(X.copy(), idx.copy())
    assert value == f(X.copy(), idx.copy())
    np.testing.assert_allclose(g, numeric_grad(lambda x: f(x, idx.copy()), [X.copy()], 0), rtol=1e-5, atol=1e-6)


# dt-008: a float ufunc of bools is float16 (`np.sqrt(x > 0)`); `y *= x` keeps it float16 in NumPy
def half_from_bools(x):
    y = np.sqrt(x > 0)
    y *= x
    return np.sum(y * x)


def test_float16_from_bools_changed_in_place():
    value, g = ad.value_and_grad(half_from_bools)(X.copy())
    assert _same(value, half_from_bools(X.copy()))


# dt-001 with float64 arguments: a float32 array from a closure, a default or an attribute
def _closure():
    w = np.full(3, 0.5, np.float32)

    def closure_float32(x):
        y = w * 2.0
        y += np.sum(x) / 3.0
        return np.sum(y * x)
    return closure_float32


def default_float32(x, w=np.full(3, 0.5, np.float32)):
    y = w * 2.0
    y += np.sum(x) / 3.0
    return np.sum(y * x)


@pytest.mark.parametrize("f", [_closure(), default_float32])
def test_float32_from_outside_the_arguments(f):
    assert _same(ad.value_and_grad(f)(X.copy())[0], f(X.copy()))


# dt-009: np.prod(a, initial=c) computed as np.prod(a) * c (another order of the products than NumPy's, which
# starts from c: the last bits differed, float32 and float64); max/min with `initial=` along an axis of an
# int8 array kept its dtype
def prod_with_initial(x):
    return np.prod(x * 1.7, initial=0.3) + np.sum(np.prod(np.outer(x, x) * 1.3, axis=0, initial=0.7))


def int8_max_with_initial(x):
    m = np.max(np.arange(6, dtype=np.int8).reshape(2, 3), axis=1, initial=2)
    return np.sum(x[:2] * m) * m.dtype.itemsize


def test_initial_order_and_dtype():
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal(3).astype(np.float32)
        assert _same(ad.value_and_grad(prod_with_initial)(x.copy())[0], prod_with_initial(x.copy()))
    assert ad.value_and_grad(int8_max_with_initial)(X.copy())[0] == int8_max_with_initial(X.copy())


# dt-010: jit=True refused the cast back (`.dtype` of an array); Numba compiled it. j12-001: a float32 argument
# is refused at the def (Numba computes float32 with a Python float in float64: not f in f's precision)
def test_jit_refuses_float32_at_the_def():
    x32 = X.astype(np.float32)
    with pytest.raises(UnsupportedError, match="narrow dtype"):
        ad.grad(scaled_argument, jit=True)(x32.copy())
