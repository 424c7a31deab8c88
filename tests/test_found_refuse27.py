"""refuse27: over-refusals users met (/work/refuse27/findings.md, r27-NNN), lifted exactly. Expected values
come from central differences (tests/fd.py); what stays refused must be refused at a line."""
import os

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad

# Numba's compile time (seconds per function): the jit=True checks run with AD_JIT_EXHAUSTIVE=1
jit_only = pytest.mark.skipif(not os.environ.get("AD_JIT_EXHAUSTIVE"), reason="set AD_JIT_EXHAUSTIVE=1")
X = np.array([0.31, -1.23, 0.87, 2.05, -0.44, 1.12])


# -- r27-001: a loop over an ndarray parameter rebound by arithmetic, changed in place inside the loop ---------
# (loop_lengths.certain_arrays took only NumPy calls and float arithmetic as arrays: `x = x * 2`, `-(...)`, an
# index of an ndarray were "maybe a list", and `x *= v` in the loop a length change)

def rebound_param_loop(x):
    x = x[1:] * 2
    acc = 0.0
    for el in x:
        acc = acc + np.sin(el) * x[0]
        x *= 0.9
    return acc


def slice_stored_in_the_loop(x):
    x = x * 2
    s = 0.0
    for v in x:
        s = s + v * x[0]
        x[1:] = x[1:] * 0.5
    return s


def enumerated_param(x):
    x = np.sin(x)
    s = 0.0
    for i, v in enumerate(x):
        s = s + v * x[0]
        x[i:] *= 0.5
    return s


def negated_loop(x):
    v = -(x[:4] * 2.0)
    acc = 1.0
    for el in v:
        acc = acc * 0.5 + np.sin(el)
        v *= el % 1.3
    return acc + np.sum(v)


def scaled_by_the_other(x, w):
    w = w * x[0]
    s = 0.0
    for v in w:
        s = s + np.sin(v)
        w *= 0.5
    return s


def test_r27_001_two_parameters():
    check_grad(scaled_by_the_other, (X.copy(), X[::-1].copy()), wrt=(0, 1))


@pytest.mark.parametrize("f", [rebound_param_loop, slice_stored_in_the_loop, enumerated_param, negated_loop])
def test_r27_001_loops_over_arrays_changed_in_place(f):
    check_grad(f, (X.copy(),))
    v = np.linspace(-0.5, 0.7, X.size)
    _, tangent = ad.jvp(f)(X.copy(), v)
    assert np.allclose(tangent, numeric_grad(f, (X.copy(),), 0) @ v, atol=1e-6)


def rebound_param_hvp(x):
    x = x * 2
    acc = 0.0
    for el in x:
        acc = acc + np.sin(el) * x[0]
        x *= 0.9
    return acc


def test_r27_001_second_order():
    v = np.linspace(-0.5, 0.7, X.size)
    got = ad.hvp(rebound_param_hvp)(X.copy(), v)
    g = ad.grad(rebound_param_hvp)
    eps = 1e-5
    assert np.allclose(got, (g(X + eps * v) - g(X - eps * v)) / (2 * eps), atol=1e-6)


def python_number_times_list(x):
    L = np.size(x) * [1.0]  # (np.size gives a Python int: this is a list of six items)
    s = 0.0
    for v in L:
        s = s + v * x[0]
        if len(L) < 8:
            L.append(2.0)
    return s


def unpacked_list(x):
    L, n = [x[0], x[1]], np.size(x)
    s = 0.0
    for v in L:
        s = s + v
        if len(L) < n:
            L.append(v * 2.0)
    return s


def test_r27_001_an_unpacked_list_stays_refused():
    with pytest.raises(ad.UnsupportedError, match="length of the list"):
        ad.grad(unpacked_list)(X.copy())


def test_r27_002_a_list_made_by_a_numpy_number_is_refused():
    """np.size gives a Python int, and its product with a list a list, which the loop makes longer: it was
    taken for an array and the gradient was 6 (the compiler's loop ran six steps) instead of 10."""
    with pytest.raises(ad.UnsupportedError, match="length of the list"):
        ad.grad(python_number_times_list)(X.copy())


@jit_only
def test_r27_001_under_jit():
    check_grad(slice_stored_in_the_loop, (X.copy(),), jit=True)


# -- r27-003: np.multiply.at (divide, maximum, minimum) was refused: a store per k-th occurrence of the positions -

def multiply_at_repeated(x):
    y = x * 1.0
    np.multiply.at(y, np.array([0, 0, 2]), x[1])
    return np.sum(np.sin(y))


def multiply_at_2d(x):
    A = np.outer(x[:2], x[2:5])
    np.multiply.at(A, (np.array([0, 0, 1, 0]), np.array([1, 1, 2, 1])), x[:4])
    return np.sum(A ** 2)


def maximum_and_divide_at(x):
    y = x[:3] + 0.0
    np.maximum.at(y, [0, 1, 1], x[3:])
    np.divide.at(y, [2, 2], x[4])
    return np.sum(y * x[:3])


def multiply_at_by_itself(x):
    y = x * 2.0
    np.multiply.at(y, slice(1, 4), y[0])  # (y[0] read before the stores, as NumPy does)
    return np.sum(y)


AT_CASES = [multiply_at_repeated, multiply_at_2d, maximum_and_divide_at, multiply_at_by_itself]


@pytest.mark.parametrize("f", AT_CASES)
def test_r27_003_ufunc_at_stores(f):
    check_grad(f, (X.copy(),))
    value, _ = ad.value_and_grad(f)(X.copy())
    assert value == f(X.copy())  # (NumPy's value: each position multiplied by its values one at a time)
    v = np.linspace(-0.5, 0.7, X.size)
    _, tangent = ad.jvp(f)(X.copy(), v)
    assert np.isclose(tangent, numeric_grad(f, (X.copy(),), 0) @ v, atol=1e-6)
    g, eps = ad.grad(f), 1e-5
    assert np.allclose(ad.hvp(f)(X.copy(), v), (g(X + eps * v) - g(X - eps * v)) / (2 * eps), atol=1e-6)


@jit_only
def test_r27_003_under_jit_refused_at_the_function():
    with pytest.raises(ad.UnsupportedError, match="jit=True"):
        ad.grad(multiply_at_repeated, jit=True)(X.copy())


# -- r27-004 / 005: the nan reductions and scans (np.nanvar, nanstd, nanprod, nancumsum, nancumprod,
# nanmedian, nanquantile, nanpercentile had no rule; np.nanmax / nanmin gave NaN to the entries of a slice of NaN
# only, whose derivative is 0). Checked on slices of NaN only and with ddof at the count (a NaN value): the table
# (tests/rule_cases/arrays.py) checks axes and keepdims where every slice has values ------------------------------

A = np.array([[0.3, np.nan, 0.9, -0.4], [np.nan, np.nan, np.nan, np.nan], [np.nan, 0.7, 0.1, 1.3],
              [0.5, np.nan, np.nan, np.nan]])


def nanvar_rows(a):
    return np.nansum(np.sin(np.nanvar(a, axis=1, ddof=1)))


def nanstd_kept(a):
    return np.nansum(np.sin(np.nanstd(a, axis=-1, keepdims=True)) * 2.0)


def nanprod_columns(a):
    return np.sum(np.sin(np.nanprod(a, axis=0)))


def nan_scans(a):
    return np.sum(np.sin(np.nancumsum(a, axis=1))) + np.sum(np.cos(np.nancumprod(a)))


def nanmedian_rows(a):
    return np.nansum(np.sin(np.nanmedian(a, axis=1))) + np.nansum(np.nanpercentile(a, [30, 80], axis=1) ** 2)


def nanmax_rows(a):
    return np.nansum(np.sin(np.nanmax(a, axis=1))) + np.nansum(np.cos(np.nanmin(a, axis=1, keepdims=True)))


NAN_CASES = [nanvar_rows, nanstd_kept, nanprod_columns, nan_scans, nanmedian_rows, nanmax_rows]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy warns of the slices of NaN only)
@pytest.mark.parametrize("f", NAN_CASES)
def test_r27_004_nan_functions_with_slices_of_nan_only(f):
    expected = numeric_grad(f, (A.copy(),), 0)
    value, got = ad.value_and_grad(f)(A.copy())
    assert value == f(A.copy())
    np.testing.assert_allclose(got, expected, atol=1e-6)
    v = np.where(np.isnan(A), 0.0, np.linspace(-0.5, 0.7, A.size).reshape(A.shape))
    _, tangent = ad.jvp(f)(A.copy(), v)
    assert np.isclose(tangent, np.sum(expected * v), atol=1e-6)
    g, eps = ad.grad(f), 1e-5
    np.testing.assert_allclose(ad.hvp(f)(A.copy(), v), (g(A + eps * v) - g(A - eps * v)) / (2 * eps), atol=1e-5)


def nanprod_all(a):
    return np.nanprod(a) * 2.0


def nanvar_rows_jit(a):
    return np.nansum(np.sin(np.nanvar(a, axis=1, ddof=1)))


@jit_only
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_r27_004_under_jit():
    check_grad(nanprod_all, (A.copy(),), jit=True)
    with pytest.raises(ad.UnsupportedError, match=r"jit=True: `np.nanvar`"):  # (located: Numba's has no axis)
        ad.grad(nanvar_rows_jit, jit=True)(A.copy())


# -- r27-006: np.choose had no rule: written as np.select of the choices where the index takes them ----------------

def choose_listed(x):
    return np.sum(np.sin(np.choose(np.array([0, 1, 0, 2, 1, 1]), [x, x ** 2, 3.0 * x])))


def choose_wrapped(x):
    return np.sum(np.choose(np.array([[0, 1, 2], [2, 1, 0]]), (x[:3], x[3:] * x[0], 1.5), mode="wrap") ** 2)


def choose_clipped_by_a_mask(x):
    return np.sum(np.choose(np.array([0, 5, -1]), [x[:3], x[3:]], mode="clip") * x[:3]) + \
        np.sum(np.choose(x[:3] > 0.5, [x[3:], np.cos(x[:3])]))


@pytest.mark.parametrize("f", [choose_listed, choose_wrapped, choose_clipped_by_a_mask])
def test_r27_006_choose(f):
    check_grad(f, (X.copy(),))
    v = np.linspace(-0.5, 0.7, X.size)
    _, tangent = ad.jvp(f)(X.copy(), v)
    assert np.isclose(tangent, numeric_grad(f, (X.copy(),), 0) @ v, atol=1e-6)
    g, eps = ad.grad(f), 1e-5
    assert np.allclose(ad.hvp(f)(X.copy(), v), (g(X + eps * v) - g(X - eps * v)) / (2 * eps), atol=1e-6)


def choose_out_of_range(x):
    return np.sum(np.choose(np.array([0, 2]), [x[:2], x[2:4]]))


def test_r27_006_choose_raises_as_numpy_does():
    with pytest.raises(ValueError, match="invalid entry in choice array"):
        ad.grad(choose_out_of_range)(X.copy())


@jit_only
def test_r27_006_under_jit_refused_at_a_line():
    with pytest.raises(ad.UnsupportedError, match="jit=True"):
        ad.grad(choose_listed, jit=True)(X.copy())


# -- r27-007: `x.flat[i]` reads and `x.flat[i] = v` stores (no rule for `.flat`; "may be a copy or a view"):
# np.take / np.put at the positions np.arange(x.size).flat[i] (NumPy's own reading of i) ---------------------------

def flat_reads(x):
    A = np.outer(x[:2], x[2:5])
    return x.flat[2] * x.flat[0] + np.sum(np.sin(A.flat[1:5])) + A.flat[-1] * np.sum(A.T.flat[[0, 3, 3]])


def flat_stores(x):
    A = np.outer(x[:2], x[2:5])
    A.flat[::2] = x[:2]  # (values repeated cyclically, as NumPy's flat store does)
    A.flat[A.flat[:] > 0.5] = 0.25
    A.T.flat[3] = 7.0 * x[5]  # (through a view)
    return np.sum(A ** 2 * np.arange(6.0).reshape(2, 3))


def flat_added_then_read(x):
    A = np.outer(x[:2], x[2:5])
    A.flat[[1, 1, 4]] += x[3:]  # (a repeated position: read once, written once, as Python's flat iterator)
    v = A.flat[2:4]  # (a copy: the store below does not change it)
    A[0, 2] = 100.0
    return np.sum(A ** 2) + np.sum(v)


@pytest.mark.parametrize("f", [flat_reads, flat_stores, flat_added_then_read])
def test_r27_007_flat(f):
    check_grad(f, (X.copy(),))
    value, _ = ad.value_and_grad(f)(X.copy())
    assert value == f(X.copy())
    v = np.linspace(-0.5, 0.7, X.size)
    _, tangent = ad.jvp(f)(X.copy(), v)
    assert np.isclose(tangent, numeric_grad(f, (X.copy(),), 0) @ v, atol=1e-6)
    g, eps = ad.grad(f), 1e-5
    assert np.allclose(ad.hvp(f)(X.copy(), v), (g(X + eps * v) - g(X - eps * v)) / (2 * eps), atol=1e-6)


def test_r27_007_an_attribute_flat_of_the_users_object_is_its_own():
    class Grid:  # (a class of the closure with an attribute `flat`: `o.flat[1]` is its list's item)
        def __init__(self, v):
            self.flat = [v, 2 * v]

    def g(x):
        o = Grid(x[0])
        return o.flat[1] * x[1]

    np.testing.assert_allclose(ad.grad(g)(X.copy()), [2 * X[1], 2 * X[0], 0, 0, 0, 0])


@jit_only
def test_r27_007_under_jit_refused_at_a_line():
    with pytest.raises(ad.UnsupportedError, match="jit=True"):
        ad.grad(flat_reads, jit=True)(X.copy())


def transposed_ones(x):
    B = np.ones((2, 3)).T * x[0]
    u = np.stack([x[:3], x[3:]]).sum(axis=0)
    acc = 0.0
    for row in B:
        row[0] = row[1] * 1.3
        B *= np.outer(B[:, 0], row).mean()
    for el in u:
        acc = acc * 0.5 + np.sin(el)
        u *= x[1]
    return acc + np.sum(B)


def test_r27_001_methods_and_attributes_of_arrays():
    check_grad(transposed_ones, (X.copy(),))


def unpacked_and_summed(x):
    tot, r = x[0], x[-1]
    P = sum([x[:3], x[3:]])
    M = np.stack([x[:3], x[3:]])[1]
    acc = 0.0
    for p, q in zip(M, P):
        acc = acc + p * q * r
        tot *= 0.5 + q
        P *= 0.9
    for i, row in enumerate(P):
        P *= tot
    return acc + np.sum(P)


def test_r27_001_unpacked_names_sums_and_parts_of_arrays():
    check_grad(unpacked_and_summed, (X.copy(),))


def _helper_square(v):
    return v * v


def unknown_plus_a_float(x):
    h = _helper_square(x[:3])  # (what the helper returns is not known to be an array when the loop is checked)
    acc = 0.0
    for el in h:
        acc = acc + np.sin(el)
        h += 2.0  # (`L += 2.0` of a list raises: no list grows here; an array's later items change)
    return acc


def test_r27_001_a_float_added_to_what_the_loop_goes_over():
    check_grad(unknown_plus_a_float, (X.copy(),))


# -- r27-009: np.nanmean / nanvar / nanstd with `where=` (the rule did not match the call): written as the
# function of np.where(m, a, np.nan), which NumPy leaves out as it leaves out the entries outside m; r27-005: the
# tangent of np.nanmean of a slice of NaN only was NaN (its gradient 0) -------------------------------------------

M = np.array([[True, True, False, True], [True, True, True, False], [False, True, True, True], [True] * 4])


def nan_means_where(a):
    return np.nansum(np.sin(np.nanstd(a, axis=1, where=M))) + np.nanmean(a, where=M) ** 2 + \
        np.nansum(np.nanvar(a, axis=0, ddof=1, where=M, keepdims=True))


def nanmean_of_nan_only(a):
    return np.sum(np.nan_to_num(np.nanmean(a, axis=1), nan=0.5) * np.arange(4.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("f", [nan_means_where, nanmean_of_nan_only])
def test_r27_009_nan_means_where_and_slices_of_nan_only(f):
    test_r27_004_nan_functions_with_slices_of_nan_only(f)


def scaled_items(W, xs):
    for i, item in enumerate(xs):
        item *= i + W[0, 0]  # (changes the array in place: the list xs keeps its length)
    for i, item in enumerate(xs):
        item += 2.0
    return np.sum(W ** 2) + sum(np.sum(np.sin(v)) for v in xs) * len(xs) + np.sum(xs[0] * W[0])


def scaled_items_of_a_changed_list(W, xs):
    xs.append(W[0])
    for i, item in enumerate(xs):
        item *= i + W[0, 0]
    return np.sum(W ** 2)


def test_r27_001_a_list_of_arrays_only_read():
    W = np.array([[0.101, 0.386, -1.147], [-0.124, -0.725, 0.274]])
    xs = [np.array([-1.319, -0.638, 0.934]), np.array([0.759, -0.224, 0.872])]
    fresh = lambda: [v.copy() for v in xs]  # noqa: E731  (f changes the items in place: fresh ones each call)
    expected = np.zeros_like(W)
    for k in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[k] = 1e-6
        expected[k] = (scaled_items(W + e, fresh()) - scaled_items(W - e, fresh())) / 2e-6
    np.testing.assert_allclose(ad.grad(scaled_items)(W.copy(), fresh()), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ad.UnsupportedError):  # (the list changed before the loop: its items are not known)
        ad.grad(scaled_items_of_a_changed_list)(W.copy(), [v.copy() for v in xs])
