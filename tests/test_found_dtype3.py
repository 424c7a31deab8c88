"""Regressions found by dtype3 (the derivative computes the same function as f, in the same precision and
number field: narrow arrays made inside f, complex values into real arrays, integer inputs; /work/dtype3/findings.md)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.871, 0.88, 1.486])
Y = np.array([1.0, 2.0, 3.0])
W = np.ones((2, 3))


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


# dt3-002: dtype2's cast `x = np.asarray(t, dtype=x.dtype)` of `x op= v` was taken for "maybe a view of t": a
# later store through x (one of several arrays after an `if`) refused (explore seed 5959 #1235, #272)
def cast_then_store(x, y, W):
    vec = np.sin(x) * 1.0
    if np.max(vec) < 1.0:
        vec = vec * 0.5
        vec -= y
    g = vec
    g *= 2.0
    for row in W:
        g = g + 1.0
    for i in range(0):
        vec[-1] = 1.0
    return np.sum(g ** 2)


def test_cast_of_in_place_result_is_not_a_view():
    x32 = X.astype(np.float32)
    value, g = ad.value_and_grad(cast_then_store)(x32.copy(), Y.copy(), W)
    assert _same(value, cast_then_store(x32.copy(), Y.copy(), W))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, ad.grad(cast_then_store)(X.copy(), Y.copy(), W), rtol=1e-4)
    t = np.array([0.2, 1.0, -0.4], dtype=np.float32)
    h = ad.hvp(cast_then_store)(x32.copy(), Y.copy(), W, t)
    np.testing.assert_allclose(h, ad.hvp(cast_then_store)(X.copy(), Y.copy(), W, t.astype(float)), rtol=1e-3)


# dt3-001: a float32 array made where dtype2's Session.narrow did not look: `x op= v` rewritten `x = x op v`
# gave float64 (f keeps float32 in place) or, where x's kind is not known, is now refused
A64 = np.array([0.5, 1.5, -0.25])
A32 = A64.astype(np.float32)
TUPLE_KEYS = {(0, 1): A32}
BUF = A32.tobytes()


def global_method(x):  # a method of a global array: its kind was an unknown library call's
    y = A64.astype(np.float32) * 1.0
    y += x * 0.3
    return np.sum(y * x)


def global_method_64(x):
    y = A64 * 1.0
    y += x * 0.3
    return np.sum(y * x)


def dtype_argument(x, d):  # `dtype=d` with d the string "float32" (an argument)
    y = np.asarray(x * 2.0, dtype=d)
    y += A64
    return np.sum(y * x)


def read_from_bytes(x):  # a reader of data: its dtype is the buffer's
    y = np.frombuffer(BUF, dtype=A32.dtype) * 1.0
    y += x * 0.3
    return np.sum(y * x)


def tuple_keyed_dict(x):  # a container whose items the kinds do not describe
    y = TUPLE_KEYS[(0, 1)] * 1.0
    y += x * 0.3
    return np.sum(y * x)


@pytest.mark.parametrize("f, args, f64, args64", [(global_method, (), global_method_64, ()),
                                                 (dtype_argument, ("float32",), dtype_argument, ("float64",))],
                         ids=["global_method", "dtype_argument"])
def test_narrow_array_made_out_of_sight(f, args, f64, args64):
    x = X.copy()
    value = f(x.copy(), *args)
    got, g = ad.value_and_grad(f)(x.copy(), *args)
    assert _same(got, value), (got, value)
    assert _same(ad.jvp(f)(x.copy(), *args, Y)[0], value)
    np.testing.assert_allclose(g, ad.grad(f64)(x.copy(), *args64), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ad.grad(f64)(x.copy(), *args64), numeric_grad(f64, [x.copy(), *args64], 0),
                               rtol=1e-6, atol=1e-7)


def _inner_loss(x):
    return np.sum(np.sin(x.astype(np.float32)) ** 2)


_inner_gradient = ad.grad(_inner_loss)


def gradient_changed_in_place(x):  # a gradient's generated code inlined (the function names np.float32)
    y = _inner_gradient(x)
    y += A64
    return np.sum(y * x)


def gradient_twin_64(x):
    y = 2.0 * np.sin(x) * np.cos(x)
    y += A64
    return np.sum(y * x)


def test_inlined_gradient_has_its_arguments_kind():
    # (as_grad's result was of unknown kind: with dt3-001's refusal, refused; it is a float array of x's form)
    value, g = ad.value_and_grad(gradient_changed_in_place)(X.copy())
    assert _same(value, gradient_changed_in_place(X.copy()))
    np.testing.assert_allclose(g, numeric_grad(gradient_twin_64, [X.copy()], 0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("f", [read_from_bytes, tuple_keyed_dict])
def test_in_place_on_a_value_of_unknown_kind_keeps_its_dtype(f):
    # (its kind is not known when compiling: `_ad.in_place_cast(t, y)` keeps an array's dtype when it runs)
    value, g = ad.value_and_grad(f)(X.copy())
    assert _same(value, f(X.copy())), (value, f(X.copy()))
    assert _same(ad.jvp(f)(X.copy(), Y)[0], value)
    np.testing.assert_allclose(g, ad.grad(global_method_64)(X.copy()), rtol=1e-5, atol=1e-6)
    h = ad.hvp(f)(X.copy(), Y)
    np.testing.assert_allclose(h, ad.hvp(global_method_64)(X.copy(), Y), rtol=1e-5, atol=1e-6)


# dt3-003: a complex value into a real array where NumPy raises (`y += np.fft.fft(x)`, a ufunc's `out=`,
# np.copyto, a slice `y[:2] += z[:2]`, in a loop): computed as the complex function (jvp) or its real part
def fft_into_real(x):
    y = x * 1.0
    y += np.fft.fft(x)
    return np.sum(y ** 2)


def out_into_real(x):
    y = np.zeros(3)
    np.add(x, np.fft.fft(x), out=y)
    return np.sum(y * x)


def copyto_real(x):
    y = np.zeros(3)
    np.copyto(y, np.fft.fft(x))
    return np.sum(y * x)


def slice_into_real(x):
    y = x * 1.0
    z = np.fft.fft(x)
    y[:2] += z[:2]
    return np.sum(y * x)


def loop_into_real(x):
    y = x * 1.0
    z = np.fft.fft(x)
    for k in range(2):
        z = z * 0.5
        y += z
    return np.sum(y * x)


@pytest.mark.parametrize("f", [fft_into_real, out_into_real, copyto_real, slice_into_real, loop_into_real])
def test_complex_into_real_array_is_refused(f):
    with pytest.raises(Exception):
        f(X.copy())  # (NumPy raises)
    with pytest.raises(ad.UnsupportedError, match="real array by a complex value"):
        ad.jvp(f)(X.copy(), Y)


def real_parts_kept(x):  # NumPy keeps the real part (a ComplexWarning), or the value is real: compiled
    y = x * 1.0
    z = np.fft.fft(x)
    y[0] += z[1]
    y += np.abs(z)
    y -= z.real
    w = np.zeros(3)
    np.abs(z, out=w)
    return np.sum(y * x) + np.sum(w * x)


def test_real_parts_of_complex_values_compile():
    with np.testing.suppress_warnings() as sup:
        sup.filter(np.exceptions.ComplexWarning)
        expected = numeric_grad(real_parts_kept, [X.copy()], 0)
        np.testing.assert_allclose(ad.grad(real_parts_kept)(X.copy()), expected, rtol=1e-6, atol=1e-7)


# dt3-004: a bool argument has no derivative (ad.grad gives None for it), but ad.jvp propagated its tangent as
# if it were a float (jvp 14.0 where grad . t is 4.0), also under jit=True
def with_mask(x, m):
    return np.sum(x * m * 2.0) + np.sum(m * m)


def scaled_flag(b):
    return 3.0 * b + 1.0


def test_bool_argument_tangent_is_zero():
    # (jit=True's overload of as_tangent does the same: checked outside the suite, Numba's compile costs ~3 s)
    x, m = np.ones(3), np.array([True, False, True])
    assert ad.grad(with_mask, wrt=(0, 1))(x, m)[1] is None
    value, tangent = ad.jvp(with_mask, wrt=(0, 1))(x, m, (np.ones(3), np.ones(3)))
    assert value == with_mask(x, m) and tangent == 4.0
    assert ad.jvp(scaled_flag)(True, 1.0) == (4.0, 0.0)


# dt3-005: integer and bool arrays given floats where NumPy raises: `k //= 2; k /= 2` (the kind of `k // 2` was
# "f", so the second was not refused), `m += m2; m *= 2` on bools, a ufunc's `out=k` and np.copyto(k, floats)
# (made stores `k[...] = t`, which truncate)
def int_then_true_divide(x):
    k = np.arange(1, 4)
    k //= 2
    k /= 2
    return np.sum(k * x)


def bool_then_times(x):
    m = x > 0
    m += x > 0.5
    m *= 2
    return np.sum(m * x)


def out_into_int(x):
    k = np.arange(3)
    np.multiply(k, x, out=k)
    return np.sum(k * x)


def copyto_int(x):
    k = np.zeros(3, dtype=int)
    np.copyto(k, x * 3.0)
    return np.sum(k * x)


@pytest.mark.parametrize("f", [int_then_true_divide, bool_then_times, out_into_int, copyto_int])
def test_float_into_integer_array_is_refused(f):
    with pytest.raises(TypeError):  # (NumPy's UFuncTypeError is a TypeError)
        f(X.copy())
    with pytest.raises(ad.UnsupportedError, match="NumPy raises"):
        ad.jvp(f)(X.copy(), Y)


def int_arithmetic_kept(x):  # integer arrays computed from integers stay integer arrays: compiled
    k = np.arange(3) * 2 + 1
    k //= 2
    k += np.array([1, 0, 1])
    return np.sum(x[k % 3] ** 2) + np.sum(k * x)


def test_integer_arithmetic_compiles():
    np.testing.assert_allclose(ad.grad(int_arithmetic_kept)(X.copy()), numeric_grad(int_arithmetic_kept, [X.copy()], 0),
                               rtol=1e-6, atol=1e-7)


def tuple_keyed_argument(x, P):  # an argument of unknown kind (a dict with tuple keys) holding float32 arrays
    y = P[(0, 1)] * 1.0
    y += x * 0.3
    return np.sum(y * x)


def test_in_place_on_an_item_of_an_unknown_argument_keeps_its_dtype():
    value, _ = ad.value_and_grad(tuple_keyed_argument)(X.copy(), TUPLE_KEYS)
    assert _same(value, tuple_keyed_argument(X.copy(), TUPLE_KEYS))
