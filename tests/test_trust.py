"""Regression tests for issue #8 ("trust"): gradients that were silently wrong, crashes, refusals
without a location.

One test (or a small group) per bug of the issue, named test_NN_... after the bug's number. Every
expected value is computed independently of the compiler: by hand, or by central finite differences
(fd.numeric_grad / fd.check_grad). Where the issue allows the compiler to refuse a construct, the test
accepts either the right gradient or an ad.ADError whose message names this file and a line of the
offending function (see `right_or_located_refusal`).
"""
import ast
import functools
import importlib
import inspect
import linecache
import os
import re
import sys

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, make_rng, numeric_grad

HERE = os.path.abspath(__file__)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def _span(func):
    """(first, last) file lines of func's source, decorators included."""
    func = inspect.unwrap(func)
    lines, first = inspect.getsourcelines(func)
    return first, first + len(lines) - 1


def assert_located(exc, *funcs, filename=HERE):
    """exc is an ADError whose message names `filename` and a line inside one of `funcs`."""
    assert isinstance(exc, ad.ADError), f"{type(exc).__name__} is not an ADError: {exc}"
    msg = str(exc)
    m = re.search(r'File "([^"]+)", line (\d+)', msg)
    assert m, f"the error has no location (File ..., line ...):\n{msg}"
    assert os.path.abspath(m.group(1)) == os.path.abspath(filename), msg
    line = int(m.group(2))
    spans = [_span(f) for f in funcs]
    assert any(a <= line <= b for a, b in spans), f"line {line} is outside {spans}:\n{msg}"


def assert_full_format(exc, func, text):
    """The complete error format: file, line of `text`, column, the source line, a caret, a hint."""
    assert_located(exc, func)
    msg = str(exc)
    lines, first = inspect.getsourcelines(func)
    line = next(first + i for i, s in enumerate(lines) if text in s)
    assert f'File "{HERE}", line {line}, column' in msg, msg
    out = msg.splitlines()
    k = next(i for i, s in enumerate(out) if text in s)
    assert "^" in out[k + 1], msg
    assert "Hint:" in msg, msg


def _copy_args(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def right_or_located_refusal(f, args, wrt, expected, *located_in, rtol=1e-6, atol=1e-8):
    """Either ad.grad(f, wrt)(*args) equals `expected`, or an ADError located in f (or `located_in`)
    is raised (at ad.grad or at the call). Any other exception fails the test. Returns the gradient,
    or None on a refusal."""
    try:
        got = ad.grad(f, wrt=wrt)(*_copy_args(args))
    except ad.ADError as exc:
        assert_located(exc, f, *located_in)
        return None
    assert_close_tree(got, expected, rtol=rtol, atol=atol)
    return got


def assert_close_tree(got, expected, rtol=1e-6, atol=1e-8):
    """Compare nested lists / tuples of arrays and floats, structure included."""
    if isinstance(expected, (list, tuple)):
        assert type(got) is type(expected), f"got a {type(got).__name__}, expected a {type(expected).__name__}"
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_close_tree(g, e, rtol, atol)
    elif isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray), f"got a {type(got).__name__}, expected an ndarray"
        assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        assert isinstance(got, (float, np.floating)) and not isinstance(got, np.ndarray), repr(got)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def grad_of(f, args, wrt=0):
    return ad.grad(f, wrt=wrt)(*_copy_args(args))


# ================================================================================================
# 1. a store through a slice with only a lower bound was differentiated as its opposite
# ================================================================================================
def store_lower_bound(x):
    v = x * 1.0
    v[1:] = 0.0
    return np.sum(v * x)


def test_01_store_through_lower_bound_slice():
    x = np.array([0.3, -0.7, 0.5])
    # v = [x0, 0, 0]: f = x0 ** 2
    np.testing.assert_allclose(grad_of(store_lower_bound, [x]), [0.6, 0.0, 0.0], atol=1e-12)


def augstore_lower_bound(x):
    v = x * 1.0
    v[1:] += x[:-1] * 3.0
    return np.sum(v * x)


def test_01_augmented_store_through_lower_bound_slice():
    x = np.array([0.3, -0.7, 0.5, 1.1])
    # v = [x0, x1 + 3 x0, x2 + 3 x1, x3 + 3 x2]; f = sum x^2 + 3 (x0 x1 + x1 x2 + x2 x3)
    expected = 2 * x + 3 * np.array([x[1], x[0] + x[2], x[1] + x[3], x[2]])
    np.testing.assert_allclose(grad_of(augstore_lower_bound, [x]), expected, rtol=1e-9, atol=1e-12)
    check_grad(augstore_lower_bound, [x])


def chained_store(x):
    v = x * 1.0
    v[1:][0] = 2.0 * x[0]
    return np.sum(v * x)


def test_01_chained_store_through_lower_bound_slice():
    x = np.array([0.3, -0.7, 0.5])
    # v = [x0, 2 x0, x2]: f = x0^2 + 2 x0 x1 + x2^2
    expected = np.array([2 * x[0] + 2 * x[1], 2 * x[0], 2 * x[2]])
    np.testing.assert_allclose(grad_of(chained_store, [x]), expected, rtol=1e-9, atol=1e-12)


def chained_read_reversed(x):
    w = np.array([1.0, 2.0, 3.0])
    return np.sum(x[1:][::-1] * w)


def test_01_chained_read_lower_bound_then_reversed():
    x = np.array([0.3, -0.7, 0.5, 1.1])
    # x[1:][::-1] = [x3, x2, x1]
    np.testing.assert_allclose(grad_of(chained_read_reversed, [x]), [0.0, 3.0, 2.0, 1.0], atol=1e-12)


def lower_bound_rows(X):
    v = X * 1.0
    v[1:] = v[1:] * X[:-1]
    return np.sum(v[2:] ** 2) + np.sum(X[1:, 1:] * X[:-1, :-1])


def test_01_lower_bound_slices_of_a_matrix():
    X = make_rng(1).standard_normal((4, 3))
    check_grad(lower_bound_rows, [X])


# ================================================================================================
# 2. NumPy's in-place semantics: every name for an array sees an in-place update
# ================================================================================================
def alias_then_iadd(x):
    x2 = x * 1.0
    y = x2
    y += 1.0
    return np.sum(x2 ** 2)


def test_02_alias_sees_augmented_assignment():
    x = make_rng(2).standard_normal(4)
    np.testing.assert_allclose(grad_of(alias_then_iadd, [x]), 2 * (x + 1), rtol=1e-9, atol=1e-12)


def alias_input_then_iadd(x):
    y = x
    y += 1.0
    return np.sum(x ** 2)


def test_02_mutating_the_input_through_an_alias_right_or_refused():
    x = make_rng(2).standard_normal(4)
    right_or_located_refusal(alias_input_then_iadd, [x], 0, 2 * (x + 1))


def list_holds_alias(x):
    x2 = x * 1.0
    L = [x2]
    x2 += 1.0
    return np.sum(L[0] ** 2)


def test_02_list_element_sees_augmented_assignment():
    x = make_rng(3).standard_normal(4)
    np.testing.assert_allclose(grad_of(list_holds_alias, [x]), 2 * (x + 1), rtol=1e-9, atol=1e-12)


def list_holds_input(x):
    L = [x]
    x += 1.0
    return np.sum(L[0] ** 2)


def test_02_list_of_the_input_right_or_refused():
    x = make_rng(3).standard_normal(4)
    right_or_located_refusal(list_holds_input, [x], 0, 2 * (x + 1))


def view_imul(x):
    x2 = x * 1.0
    v = x2[1:]
    v *= 2.0
    w = np.array([1.0, 2.0, 3.0, 4.0])
    return np.sum(x2 ** 2 * w)


def test_02_slice_view_shares_in_place_update():
    x = make_rng(4).standard_normal(4)
    # x2 = [x0, 2 x1, 2 x2, 2 x3]
    expected = 2 * x * np.array([1.0, 8.0, 12.0, 16.0])
    np.testing.assert_allclose(grad_of(view_imul, [x]), expected, rtol=1e-9, atol=1e-12)


def rows_imul(W):
    W2 = W * 1.0
    for row in W2:
        row *= 2.0
    return np.sum(W2 ** 2) + np.sum(W2 * W)


def test_02_loop_rows_are_views():
    W = make_rng(5).standard_normal((3, 2))
    # W2 = 2 W: f = 4 sum W^2 + 2 sum W^2
    np.testing.assert_allclose(grad_of(rows_imul, [W]), 12 * W, rtol=1e-9, atol=1e-12)


def inc(a):
    a[0] = a[1] * 3.0
    return a


def helper_mutates_argument(x):
    x2 = x * 1.0
    v = inc(x2)
    return np.sum(v * x) + np.sum(x2 ** 2)


def test_02_helper_mutating_its_argument():
    x = make_rng(6).standard_normal(3)
    # v is x2 = [3 x1, x1, x2]: f = 3 x1 x0 + x1^2 + x2^2 + 9 x1^2 + x1^2 + x2^2
    expected = np.array([3 * x[1], 3 * x[0] + 22 * x[1], 4 * x[2]])
    np.testing.assert_allclose(grad_of(helper_mutates_argument, [x]), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(expected, numeric_grad(helper_mutates_argument, [x], 0), rtol=1e-6)


def copies_do_not_alias(x):
    a = x * 1.0
    b = a.copy()
    c = np.array(a)
    d = a + 0.0
    e = a[[0, 2]]
    b += 1.0
    c *= 2.0
    d -= x
    e *= 3.0
    return np.sum(a ** 2) + np.sum(b * x) + np.sum(c * x) + np.sum(d * x) + np.sum(e * x[:2])


def test_02_copies_do_not_alias():
    x = make_rng(7).standard_normal(3)
    # a = x, b = x + 1, c = 2 x, d = 0, e = [3 x0, 3 x2]
    # f = sum x^2 + sum (x + 1) x + 2 sum x^2 + 3 x0^2 + 3 x2 x1
    expected = 2 * x + (2 * x + 1) + 4 * x + np.array([6 * x[0], 3 * x[2], 3 * x[1]])
    np.testing.assert_allclose(grad_of(copies_do_not_alias, [x]), expected, rtol=1e-9, atol=1e-12)


def scaled_copy_stored_in_loop(x):
    y = x * 1.0
    for i in range(x.shape[0]):
        y[i] = x[i] ** 2
    return np.sum(y * x)


def test_02_arithmetic_result_is_a_copy_not_an_alias():
    x = np.array([0.5, -1.0, 2.0])
    arg = x.copy()
    g = ad.grad(scaled_copy_stored_in_loop)(arg)
    # y = x ** 2 (a new array): f = sum x^3
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(arg, x, err_msg="the gradient changed its input in place")


def views_alias(x):
    a = x * 1.0
    t = a.T
    t[0] *= 2.0
    r = a.reshape(6)
    r[5] += a[0, 0]
    s = np.asarray(a)
    s[1] -= 0.5 * x[0]
    return np.sum(a ** 2)


def test_02_views_alias_transpose_reshape_asarray():
    x = make_rng(8).standard_normal((2, 3))
    check_grad(views_alias, [x])


# ================================================================================================
# 3. a helper appending to the caller's list
# ================================================================================================
def push(lst, v):
    lst.append(v * 2.0)


def appends_through_helper(x):
    L = [x]
    push(L, x)
    return np.sum(L[0] * L[1])


def test_03_helper_appending_to_callers_list():
    x = make_rng(9).standard_normal(3)
    # f = 2 sum x^2
    np.testing.assert_allclose(grad_of(appends_through_helper, [x]), 4 * x, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 4. a closure returned by a factory keeps the gradient of what it captured
# ================================================================================================
def make(c):
    return lambda t: t * c


def closure_from_factory(x):
    g = make(np.sum(x))
    return g(2.0)


def test_04_lambda_returned_by_factory():
    x = make_rng(10).standard_normal(3)
    np.testing.assert_allclose(grad_of(closure_from_factory, [x]), np.full(3, 2.0), rtol=1e-9, atol=1e-12)


def make_step(a):
    def step(t):
        return a * t + np.sum(a ** 2)

    return step


def nested_def_from_factory(x):
    step = make_step(x)
    return np.sum(step(1.0))


def test_04_nested_def_returned_by_helper():
    x = make_rng(11).standard_normal(3)
    # f = sum x + 3 sum x^2
    np.testing.assert_allclose(grad_of(nested_def_from_factory, [x]), 1 + 6 * x, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 5. in-place array methods
# ================================================================================================
W5 = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def sort_in_place(x):
    y = x.copy()
    y.sort()
    return np.sum(y * W5)


def test_05_sort_in_place():
    x = np.array([0.4, -1.3, 2.2, 0.1, -0.5])
    expected = np.empty(5)
    expected[np.argsort(x)] = W5  # the i-th smallest entry is weighted by W5[i]
    np.testing.assert_allclose(grad_of(sort_in_place, [x]), expected, rtol=1e-9, atol=1e-12)


def fill_in_place(x):
    y = x * 1.0
    y.fill(3.0)
    return np.sum(y * x)


def test_05_fill_in_place():
    x = make_rng(12).standard_normal(4)
    # y = 3 everywhere: f = 3 sum x
    np.testing.assert_allclose(grad_of(fill_in_place, [x]), np.full(4, 3.0), rtol=1e-9, atol=1e-12)


def put_in_place(x):
    y = x * 1.0
    y.put([0, 2], [5.0, 6.0])
    return np.sum(y * x)


def partition_in_place(x):
    y = x * 1.0
    y.partition(2)
    return y[2] * 3.0 + np.sum(y[:2] ** 2)


def resize_in_place(x):
    y = x * 1.0
    y.resize((2,), refcheck=False)
    return np.sum(y ** 2)


def setflags_in_place(x):
    y = x * 1.0
    y.setflags(write=False)
    return np.sum(y ** 2)


def sort_rows_in_place(x):
    y = x * 1.0
    y.sort(axis=1)
    return np.sum(y[:, 0] * 2.0 + y[:, -1] ** 2)


def _expected_put(x):  # y = [5, x1, 6, x3]
    return np.array([5.0, 2 * x[1], 6.0, 2 * x[3]])


def _expected_partition(x):
    order = np.argsort(x)
    g = np.zeros_like(x)
    g[order[2]] = 3.0
    g[order[:2]] = 2 * x[order[:2]]
    return g


def _expected_resize(x):
    g = np.zeros_like(x)
    g[:2] = 2 * x[:2]
    return g


def _expected_sort_rows(x):
    x = x.reshape(2, 2)
    g = np.zeros_like(x)
    for i in range(2):
        lo, hi = np.argmin(x[i]), np.argmax(x[i])
        g[i, lo] = 2.0
        g[i, hi] = 2 * x[i, hi]
    return g


@pytest.mark.parametrize("f, expected, shape", [
    (put_in_place, _expected_put, (4,)),
    (partition_in_place, _expected_partition, (4,)),
    (resize_in_place, _expected_resize, (4,)),
    (setflags_in_place, lambda x: 2 * x, (4,)),
    (sort_rows_in_place, _expected_sort_rows, (2, 2)),
], ids=["put", "partition", "resize", "setflags", "sort_axis"])
def test_05_other_mutating_methods_right_or_refused(f, expected, shape):
    x = np.array([0.4, -1.3, 2.2, 0.1]).reshape(shape)
    right_or_located_refusal(f, [x], 0, expected(x))


# ================================================================================================
# 6. tuples inside lists, slices of lists
# ================================================================================================
def tuples_in_list(p):
    x, y = p[0]
    z, w = p[1]
    return x * y + z * w


def test_06_tuples_inside_a_list():
    g = grad_of(tuples_in_list, [[(1.0, 2.0), (3.0, 4.0)]])
    assert type(g) is list and len(g) == 2, repr(g)
    assert all(type(t) is tuple and len(t) == 2 for t in g), repr(g)
    assert all(type(v) is float for t in g for v in t), repr(g)
    assert_close_tree(g, [(2.0, 1.0), (4.0, 3.0)], rtol=1e-9, atol=1e-12)


def slice_of_list(ws):
    head = ws[:-1]
    return np.sum(head[0] * 2.0) + np.sum(ws[-1] * 5.0)


def test_06_slice_of_a_list_same_shapes():
    ws = [np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 2.0])]
    g = grad_of(slice_of_list, [ws])
    assert_close_tree(g, [np.full(3, 2.0), np.full(3, 5.0)])


def test_06_slice_of_a_list_different_shapes():
    ws = [np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0])]
    g = grad_of(slice_of_list, [ws])
    assert_close_tree(g, [np.full(3, 2.0), np.full(2, 5.0)])


def mlp(params, x):
    h = x
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    return np.sum((h @ W + b) ** 2)


def _fd_params(f, params, *rest):
    """Central differences of f(params, *rest) for every W and b of a list of (W, b) tuples."""
    out = []
    for i, layer in enumerate(params):
        grads = []
        for j, arr in enumerate(layer):
            def fij(a, i=i, j=j):
                p = [tuple(t) for t in params]
                pair = list(p[i])
                pair[j] = a
                p[i] = tuple(pair)
                return f(p, *rest)

            grads.append(numeric_grad(fij, [arr], 0))
        out.append(tuple(grads))
    return out


def test_06_three_layer_net_over_list_of_tuples():
    rng = make_rng(13)
    sizes = [4, 5, 3, 2]
    params = [(rng.standard_normal((m, n)) * 0.5, rng.standard_normal(n) * 0.5)
              for m, n in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((6, 4))
    g = ad.grad(mlp, wrt=0)([tuple(t) for t in params], x)
    assert_close_tree(g, _fd_params(mlp, params, x), rtol=1e-5, atol=1e-6)


# ================================================================================================
# 7. differentiable functions that were declared non-differentiable
# ================================================================================================
def _mod_operands(rng, n):
    b = rng.uniform(1.1, 2.0, n)
    k = rng.integers(-3, 4, n)
    frac = rng.uniform(0.2, 0.8, n)  # a / b stays away from integers: away from the jumps
    return (k + frac) * b, b


W7 = np.array([1.0, -2.0, 0.5, 3.0, 1.5])


def uses_np_mod(a, b):
    return np.sum(np.mod(a, b) * W7)


def uses_np_remainder(a, b):
    return np.sum(np.remainder(a, b) ** 2)


def uses_percent(a, b):
    return np.sum((a % b) * W7)


@pytest.mark.parametrize("f", [uses_np_mod, uses_np_remainder, uses_percent],
                         ids=["np.mod", "np.remainder", "percent"])
def test_07_mod_and_remainder(f):
    a, b = _mod_operands(make_rng(14), 5)
    ga, gb = check_grad(f, [a, b], wrt=(0, 1))
    # by hand as well: d(a mod b)/da = 1, d(a mod b)/db = -floor(a / b)
    r = np.mod(a, b)
    up = W7 if f is not uses_np_remainder else 2 * r
    np.testing.assert_allclose(ga, up, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gb, -np.floor(a / b) * up, rtol=1e-9, atol=1e-12)


def uses_r_(x, y):
    w = np.arange(1.0, 8.0)
    return np.sum(np.r_[x, 2.0 * y] * w)


def test_07_np_r_():
    rng = make_rng(15)
    gx, gy = check_grad(uses_r_, [rng.standard_normal(3), rng.standard_normal(4)], wrt=(0, 1))
    np.testing.assert_allclose(gx, [1.0, 2.0, 3.0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gy, 2.0 * np.array([4.0, 5.0, 6.0, 7.0]), rtol=1e-9, atol=1e-12)


def uses_c_(x, y):
    W = np.arange(8.0).reshape(4, 2)
    return np.sum(np.c_[x, y ** 2] * W)


def test_07_np_c_():
    rng = make_rng(16)
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    gx, gy = check_grad(uses_c_, [x, y], wrt=(0, 1))
    np.testing.assert_allclose(gx, [0.0, 2.0, 4.0, 6.0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gy, 2 * y * np.array([1.0, 3.0, 5.0, 7.0]), rtol=1e-9, atol=1e-12)


def uses_linspace(a, b):
    return np.sum(np.linspace(a, b, 5) * np.array([1.0, -1.0, 2.0, 0.5, 3.0]))


def uses_linspace_default_num(a, b):
    return np.sum(np.linspace(a, b) ** 2)


def test_07_linspace():
    w = np.array([1.0, -1.0, 2.0, 0.5, 3.0])
    t = np.linspace(0.0, 1.0, 5)
    ga, gb = check_grad(uses_linspace, [0.3, 1.7], wrt=(0, 1))
    np.testing.assert_allclose([ga, gb], [np.sum(w * (1 - t)), np.sum(w * t)], rtol=1e-9, atol=1e-12)


def test_07_linspace_start_stop_only():
    t = np.linspace(0.0, 1.0, 50)
    a, b = -0.4, 1.3
    v = a + (b - a) * t
    ga, gb = check_grad(uses_linspace_default_num, [a, b], wrt=(0, 1))
    np.testing.assert_allclose([ga, gb], [np.sum(2 * v * (1 - t)), np.sum(2 * v * t)], rtol=1e-10)


# ================================================================================================
# 8. std / var at zero spread; gradients keep the input's dtype
# ================================================================================================
def std_of_scalar(x):
    return np.std(x) + np.var(x) + 2.0 * x


def test_08_std_var_of_a_scalar_is_zero_not_nan():
    g = grad_of(std_of_scalar, [0.7])
    assert g == pytest.approx(2.0), g


def std_axis_of_size_one(X):
    return np.sum(np.std(X, axis=1)) + np.sum(np.var(X, axis=1)) + np.sum(X * 3.0)


def test_08_std_var_over_an_axis_of_size_one():
    X = make_rng(17).standard_normal((3, 1))
    g = grad_of(std_axis_of_size_one, [X])
    assert not np.any(np.isnan(g)), g
    np.testing.assert_allclose(g, np.full((3, 1), 3.0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(std_axis_of_size_one, [X], 0), rtol=1e-6)


def square_sum(x):
    return np.sum(x ** 2)


def upcast_square_sum(x):
    return np.sum(x.astype(np.float64) ** 2)


def downcast_square_sum(x):
    return np.sum(x.astype(np.float32) ** 2)


def test_08_float32_gradient_stays_float32():
    x = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    g = grad_of(square_sum, [x])
    assert isinstance(g, np.ndarray) and g.dtype == np.float32, getattr(g, "dtype", type(g))
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)


def test_08_astype_gradient_has_the_input_dtype():
    x32 = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    g = grad_of(upcast_square_sum, [x32])
    assert isinstance(g, np.ndarray) and g.dtype == np.float32, getattr(g, "dtype", type(g))
    np.testing.assert_allclose(g, 2 * x32, rtol=1e-6)
    x64 = np.array([0.5, -1.25, 2.0])
    g = grad_of(downcast_square_sum, [x64])
    assert isinstance(g, np.ndarray) and g.dtype == np.float64, getattr(g, "dtype", type(g))
    np.testing.assert_allclose(g, 2 * x64, rtol=1e-6)


# ================================================================================================
# 9. stale cache after a callee (or the function itself) is redefined
# ================================================================================================
_MODULE_SOURCE = '''import numpy as np


def callee(x):
    return x * {c}


def f(x):
    return np.sum(callee(x) * x)
'''

def _import_fresh(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(name), path
    finally:
        sys.path.remove(str(tmp_path))


def _rerun_cell(module, path, text, only=None):
    """Rewrite the module's file and run the new text (or only the defs named in `only`) in the
    module's namespace, like a notebook cell run again: inspect and linecache see the new source, and
    the functions not re-run stay the same objects, at the same lines."""
    path.write_text(text)
    st = os.stat(path)
    os.utime(path, (st.st_atime + 10, st.st_mtime + 10))
    linecache.checkcache(str(path))
    tree = ast.parse(text)
    if only is not None:
        tree.body = [n for n in tree.body if not isinstance(n, ast.FunctionDef) or n.name in only]
    exec(compile(tree, str(path), "exec"), module.__dict__)


def test_09_redefined_callee_is_recompiled(tmp_path):
    mod, path = _import_fresh(tmp_path, "trust_stale_callee", _MODULE_SOURCE.format(c="2.0"))
    x = np.array([0.5, -1.0, 2.0])
    f = mod.f
    np.testing.assert_allclose(ad.grad(f)(x.copy()), 4.0 * x, rtol=1e-9, atol=1e-12)  # f = 2 sum x^2
    _rerun_cell(mod, path, _MODULE_SOURCE.format(c="3.25"), only={"callee"})  # only the callee changes
    assert mod.f is f
    np.testing.assert_allclose(f(x), 3.25 * np.sum(x ** 2))
    np.testing.assert_allclose(ad.grad(f)(x.copy()), 6.5 * x, rtol=1e-9, atol=1e-12)


def test_09_redefined_function_is_recompiled(tmp_path):
    mod, path = _import_fresh(tmp_path, "trust_stale_function", _MODULE_SOURCE.format(c="2.0"))
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ad.grad(mod.f)(x.copy()), 4.0 * x, rtol=1e-9, atol=1e-12)
    _rerun_cell(mod, path, _MODULE_SOURCE.format(c="-1.5"))  # the whole cell again
    np.testing.assert_allclose(ad.grad(mod.f)(x.copy()), -3.0 * x, rtol=1e-9, atol=1e-12)


def test_09_function_with_replaced_code_is_recompiled(tmp_path):
    mod, path = _import_fresh(tmp_path, "trust_stale_code", _MODULE_SOURCE.format(c="2.0"))
    x = np.array([0.5, -1.0, 2.0])
    f = mod.f
    np.testing.assert_allclose(ad.grad(f)(x.copy()), 4.0 * x, rtol=1e-9, atol=1e-12)
    old_callee = mod.callee
    _rerun_cell(mod, path, _MODULE_SOURCE.format(c="5.0"), only={"callee"})
    old_callee.__code__ = mod.callee.__code__  # the same function object, new code
    mod.callee = old_callee
    np.testing.assert_allclose(ad.grad(f)(x.copy()), 10.0 * x, rtol=1e-9, atol=1e-12)


def test_09_clear_cache_exists_and_works(tmp_path):
    assert callable(getattr(ad, "clear_cache", None)), "ad.clear_cache() is missing"
    mod, path = _import_fresh(tmp_path, "trust_clear_cache", _MODULE_SOURCE.format(c="2.0"))
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ad.grad(mod.f)(x.copy()), 4.0 * x, rtol=1e-9, atol=1e-12)
    _rerun_cell(mod, path, _MODULE_SOURCE.format(c="7.0"), only={"callee"})
    ad.clear_cache()
    np.testing.assert_allclose(ad.grad(mod.f)(x.copy()), 14.0 * x, rtol=1e-9, atol=1e-12)
    ad.clear_cache()  # twice in a row is fine, and compiling again after it works
    np.testing.assert_allclose(ad.grad(square_sum)(x.copy()), 2.0 * x, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 10. the bound-method cache keyed by id(obj): ids of dead objects are reused
# ================================================================================================
class LayerA:
    def __init__(self, w):
        self.w = w

    def forward(self, h):
        return np.tanh(h * self.w)


class LayerB:
    def __init__(self, w):
        self.w = w

    def forward(self, h):
        return np.sin(h) * self.w


class Net:
    """One class, two attribute structures: its layer is a LayerA or a LayerB."""

    def __init__(self, kind, w):
        self.layer = LayerA(w) if kind == 0 else LayerB(w)

    def loss(self, x):
        return np.sum(self.layer.forward(x) ** 2)


def test_10_short_lived_models_do_not_share_compiled_code():
    rng = make_rng(18)
    x = rng.standard_normal(3)
    wrong = []
    for i in range(200):
        m = Net(int(rng.integers(2)), float(rng.uniform(0.5, 2.0)))  # the last one is dead: its id is free
        g = ad.grad(m.loss)(x.copy())
        expected = numeric_grad(m.loss, [x], 0)
        if not np.allclose(g, expected, rtol=1e-5, atol=1e-7):
            wrong.append((i, type(m.layer).__name__))
        del m, g
    assert not wrong, f"{len(wrong)} of 200 gradients wrong, e.g. {wrong[:5]}"


# ================================================================================================
# 11. decorated functions: differentiate what is called
# ================================================================================================
def doubled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)

    return wrapper


@doubled
def decorated_square_sum(x):
    return np.sum(x ** 2)


def test_11_decorated_function_right_or_refused():
    x = make_rng(19).standard_normal(3)
    assert decorated_square_sum(x) == pytest.approx(2 * np.sum(x ** 2))
    right_or_located_refusal(decorated_square_sum, [x], 0, 4 * x, doubled)


def calls_decorated(x):
    return decorated_square_sum(x) + np.sum(x)


def test_11_decorated_callee_right_or_refused():
    x = make_rng(20).standard_normal(3)
    right_or_located_refusal(calls_decorated, [x], 0, 4 * x + 1, doubled, decorated_square_sum)


# ================================================================================================
# 12. objects with __array__; complex inputs
# ================================================================================================
class ArrayLike:
    def __init__(self, a):
        self.a = a

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


def sum_squares_of_asarray(x):
    return np.sum(np.asarray(x) ** 2)


def test_12_object_with_array_is_right_or_refused():
    a = np.array([0.5, -1.0, 2.0])
    try:
        g = ad.grad(sum_squares_of_asarray)(ArrayLike(a.copy()))
    except ad.ADError:
        return
    assert isinstance(g, np.ndarray), f"got a {type(g).__name__}: {g!r}"
    np.testing.assert_allclose(g, 2 * a, rtol=1e-9, atol=1e-12)


def abs_squared(x):
    return np.sum(np.abs(x) ** 2)


def test_12_complex_array_input_is_refused():
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    with pytest.raises(ad.ADError) as info:
        ad.grad(abs_squared)(z)
    assert "complex" in str(info.value).lower(), str(info.value)


def test_12_complex_scalar_input_is_refused():
    with pytest.raises(ad.ADError) as info:
        ad.grad(abs_squared)(1.0 + 2.0j)
    assert "complex" in str(info.value).lower(), str(info.value)


# ================================================================================================
# 13. a callee with for + break
# ================================================================================================
def acc(a):
    out = 0.0
    for i in range(a.shape[0]):
        out = out + a[i] ** 2
        if out > 1.0:
            break
    return out


def calls_acc(x):
    return acc(x) * 2.0


def test_13_callee_with_for_and_break():
    x = np.array([0.3, 0.6, 0.9, 0.2])  # partial sums 0.09, 0.45, 1.26: breaks after i = 2
    np.testing.assert_allclose(grad_of(calls_acc, [x]), [1.2, 2.4, 3.6, 0.0], rtol=1e-9, atol=1e-12)


# ================================================================================================
# 14. builtins shadowed by the user
# ================================================================================================
def shadows_len_min_slice_float(x, rows, s):
    len = 2.0
    min = 3.0
    slice = 0.5
    float = 4.0
    total = 0.0
    for r in rows:
        total = total + np.sum(r * x[1:]) * len * s
    return total * slice + min * np.sum(x ** 2) + float * x[0] * s


def test_14_shadowed_len_min_slice_float():
    rng = make_rng(21)
    x = rng.standard_normal(4)
    rows = [rng.standard_normal(3) for _ in range(3)]
    s = 0.8
    gx, gs = grad_of(shadows_len_min_slice_float, [x, rows, s], wrt=(0, 2))
    R = np.sum(rows, axis=0)
    ex = 6.0 * x + np.r_[4.0 * s, R * s]  # total * 0.5 = s * R . x[1:]
    es = float(R @ x[1:] + 4.0 * x[0])
    np.testing.assert_allclose(gx, ex, rtol=1e-9, atol=1e-12)
    assert gs == pytest.approx(es, rel=1e-12)


def shadows_more_builtins(x, rows):
    range = 1.0
    reversed = 2.0
    max = 3.0
    sum = 0.25
    zip = 1.5
    enumerate = -1.0
    isinstance = 0.5
    list = 2.0
    tuple = 3.0
    int = 1.0
    abs = 0.5
    total = 0.0
    for r in rows:
        total = total + np.sum(r * x) * range
    return (total * reversed + max * np.sum(x ** 2) + sum * x[1] + zip * x[0]
            + enumerate * x[2] + (isinstance + list + tuple + int + abs) * np.sum(x))


def test_14_shadowed_range_reversed_max_sum_and_more():
    rng = make_rng(22)
    x = rng.standard_normal(3)
    rows = [rng.standard_normal(3) for _ in range(2)]
    expected = 2.0 * np.sum(rows, axis=0) + 6.0 * x + np.array([1.5, 0.25, -1.0]) + 7.0
    np.testing.assert_allclose(grad_of(shadows_more_builtins, [x, rows]), expected, rtol=1e-9, atol=1e-12)


def test_14_builtins_shadowed_in_the_module():
    from trust_helpers import shadow_mod

    rng = make_rng(23)
    x = rng.standard_normal(3)
    rows = [rng.standard_normal(3) for _ in range(2)]
    expected = 2.0 * np.sum(rows, axis=0) + 2.0 * x
    np.testing.assert_allclose(grad_of(shadow_mod.loop_over_rows, [x, rows]), expected, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 15. builtin sum over an array
# ================================================================================================
def builtin_sum_centered(x):
    return sum(x - x.mean()) ** 2 + sum(x * x)


def builtin_sum_in_max(x):
    return max(sum(np.sqrt(x ** 2 + 0.5)), 0.1)


def builtin_sum_of_matrix(X):
    return np.sum(sum(X) ** 2)


def test_15_builtin_sum_centered():
    x = make_rng(24).standard_normal(4)
    # sum(x - mean) == 0 for every x: only sum(x * x) counts
    np.testing.assert_allclose(grad_of(builtin_sum_centered, [x]), 2 * x, rtol=1e-9, atol=1e-9)


def test_15_builtin_sum_inside_max():
    x = make_rng(25).standard_normal(4)
    np.testing.assert_allclose(grad_of(builtin_sum_in_max, [x]), x / np.sqrt(x ** 2 + 0.5), rtol=1e-9, atol=1e-12)


def test_15_builtin_sum_over_matrix_rows():
    X = make_rng(26).standard_normal((3, 2))
    # sum(X) adds the rows: the column sums c; f = sum c^2
    expected = np.broadcast_to(2 * X.sum(axis=0), X.shape)
    np.testing.assert_allclose(grad_of(builtin_sum_of_matrix, [X]), expected, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 16. np.prod(np.array(L)) after appends; concatenate of a recursive helper's list; ShapeOf crash
# ================================================================================================
def prod_of_appended(x):
    L = []
    for i in range(3):
        L.append(x[i] * 2.0)
    return np.prod(np.array(L))


def test_16_prod_of_array_of_appended_list():
    x = np.array([0.5, -1.5, 2.0, 0.7])
    # f = 8 x0 x1 x2
    expected = 8 * np.array([x[1] * x[2], x[0] * x[2], x[0] * x[1], 0.0])
    np.testing.assert_allclose(grad_of(prod_of_appended, [x]), expected, rtol=1e-9, atol=1e-12)


def leaves(t):
    if isinstance(t, (list, tuple)):
        out = []
        for item in t:
            out.extend(leaves(item))
        return out
    return [t]


def leaves_appended(t):
    out = []
    if isinstance(t, (list, tuple)):
        for item in t:
            for leaf in leaves_appended(item):
                out.append(leaf)
    else:
        out.append(t)
    return out


def concat_leaves(params):
    flat = np.concatenate(leaves(params))
    return np.sum(flat ** 3)


def concat_leaves_appended(params):
    flat = np.concatenate(leaves_appended(params))
    return np.sum(flat ** 3)


@pytest.mark.parametrize("f", [concat_leaves, concat_leaves_appended], ids=["extend", "append"])
def test_16_concatenate_leaves_of_recursive_helper(f):
    rng = make_rng(27)
    params = [rng.standard_normal(3), (rng.standard_normal(2), rng.standard_normal(4))]
    g = ad.grad(f)([params[0].copy(), (params[1][0].copy(), params[1][1].copy())])
    expected = [3 * params[0] ** 2, (3 * params[1][0] ** 2, 3 * params[1][1] ** 2)]
    assert_close_tree(g, expected, rtol=1e-9, atol=1e-12)


def store_then_rebind_in_branch(x):
    y = x * 1.0
    for i in range(x.shape[0]):
        if i % 2 == 0:
            y[i] = y[i] * x[i]
            y = y * 2.0
        else:
            y[i] = y[i] + 1.0
    return np.sum(y * x)


def test_16_store_and_rebinding_in_a_branch_in_a_loop():
    x = make_rng(28).standard_normal(4)
    g = grad_of(store_then_rebind_in_branch, [x])
    np.testing.assert_allclose(g, numeric_grad(store_then_rebind_in_branch, [x], 0), rtol=1e-6, atol=1e-8)


# ================================================================================================
# 17. nonlocal in a nested def
# ================================================================================================
def nested_nonlocal(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + v

    for i in range(x.shape[0]):
        add(x[i] ** 2)
    return total


def test_17_nonlocal_in_nested_def():
    x = make_rng(29).standard_normal(4)
    np.testing.assert_allclose(grad_of(nested_nonlocal, [x]), 2 * x, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 18. lambdas bound to names
# ================================================================================================
def local_lambda(x):
    lam = lambda z: z * 2.0  # noqa: E731
    return np.sum(lam(x) * x)


def lambda_bound_in_branch(x):
    if x[0] > -10.0:
        lam = lambda x: x * 2  # noqa: E731
    else:
        lam = lambda x: x * 3  # noqa: E731
    return np.sum(lam(x) * x)


triple = lambda z: z * 3.0  # noqa: E731


def module_lambda(x):
    return np.sum(triple(x) * x)


def test_18_lambda_bound_to_a_local_name():
    x = make_rng(30).standard_normal(3)
    np.testing.assert_allclose(grad_of(local_lambda, [x]), 4 * x, rtol=1e-9, atol=1e-12)


def test_18_lambda_bound_in_a_branch_right_or_refused():
    x = make_rng(35).standard_normal(3)  # x[0] > -10: the first lambda
    right_or_located_refusal(lambda_bound_in_branch, [x], 0, 4 * x)


def test_18_module_level_lambda_helper():
    x = make_rng(31).standard_normal(3)
    np.testing.assert_allclose(grad_of(module_lambda, [x]), 6 * x, rtol=1e-9, atol=1e-12)


# ================================================================================================
# 19. mixed indexing; einsum with an ellipsis missing from one operand
# ================================================================================================
W19 = np.array([[1.0, -2.0], [0.5, 3.0]])


def mixed_index(x):
    return np.sum(x[3, 2:, [1, 3]] * W19)


def test_19_mixed_integer_slice_list_indexing():
    x = make_rng(32).standard_normal((5, 4, 5))
    assert x[3, 2:, [1, 3]].shape == W19.shape
    expected = np.zeros_like(x)
    expected[3, 2:, [1, 3]] = W19  # the same indexing, read as a store
    g = grad_of(mixed_index, [x])
    np.testing.assert_allclose(g, expected, atol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(mixed_index, [x], 0), atol=1e-7)


def einsum_trailing_ellipsis_matmul(A, B):
    return np.sum(np.sin(np.einsum("ij...,jk...->ik...", A, B)))


def einsum_trailing_ellipsis_dot(A, B):
    return np.sum(np.einsum("i...,i...->...", A, B) ** 2)


def einsum_leading_ellipsis(A, B):
    return np.sum(np.einsum("...ij,...jk->...ik", A, B) ** 2)


@pytest.mark.parametrize("f, shapes", [
    (einsum_trailing_ellipsis_matmul, [(2, 3, 5), (3, 4)]),  # B has no ellipsis axes
    (einsum_trailing_ellipsis_dot, [(4, 2, 3), (4, 3)]),  # B has fewer ellipsis axes than A
    (einsum_leading_ellipsis, [(2, 3, 4), (4, 5)]),
], ids=["ij...,jk...", "i...,i...", "...ij,...jk"])
def test_19_einsum_ellipsis_missing_in_one_operand(f, shapes):
    rng = make_rng(33)
    check_grad(f, [rng.standard_normal(s) for s in shapes], wrt=(0, 1))


# ================================================================================================
# 20. async def gets a located ADError
# ================================================================================================
async def async_double(x):
    return x * 2.0


def test_20_async_def_refused_with_location():
    with pytest.raises(ad.ADError) as info:
        ad.grad(async_double)(np.ones(3))
    assert_located(info.value, async_double)


# ================================================================================================
# refusals carry the full location format: file, line, column, source line, caret, hint
# ================================================================================================
def generator_loss(x):
    yield np.sum(x ** 2)


def test_refusal_has_file_line_source_and_caret():
    with pytest.raises(ad.ADError) as info:
        ad.grad(generator_loss)(np.ones(3))
    assert_full_format(info.value, generator_loss, "yield np.sum(x ** 2)")


def writes_into_input(x):
    x[0] = 1.0
    return np.sum(x ** 2)


def test_mutating_own_input_right_or_refused_with_full_format():
    x = np.array([0.5, -1.0, 2.0])
    try:
        g = ad.grad(writes_into_input)(x.copy())
    except ad.ADError as exc:
        assert_full_format(exc, writes_into_input, "x[0] = 1.0")
        return
    # f(x) = 1 + x1^2 + x2^2: x0 is overwritten
    np.testing.assert_allclose(g, [0.0, 2 * x[1], 2 * x[2]], rtol=1e-9, atol=1e-12)
