"""Runtime helpers of `jit=True` derivatives: max, min, var, std and prod of a matrix along a constant axis
(Numba's np.max etc. take no axis), and their adjoints (docs/jit.md); sums along a constant axis as loops
(`sum_axis`). Each row or column is reduced by the
whole-array version (Numba's np.max of it; the adjoints by the whole-array helpers' jit versions, the same
formulas as runtime.py's), so that one compiled loop serves every call site of the same types. Extra overloads
of the adjoint stubs of jit_runtime(_arrays).py, which give none when an axis is given.
"""
import numpy as np

from .jit_runtime import _columns_sum, _is_array, _is_number, _overload_literal, _rows_sum, numba, reduce_extreme_vjp
from .jit_runtime_arrays import _literal, prod_vjp, std_vjp, var_vjp

HOW = ("max", "min", "var", "std", "prod")


def _whole(how):
    return {"max": _max, "min": _min, "var": _var, "std": _std, "prod": _prod}[how]


def _max(c):
    return np.max(c)


def _min(c):
    return np.min(c)


def _var(c):
    return np.var(c)


def _std(c):
    return np.std(c)


def _prod(c):
    return np.prod(c)


if numba is not None:
    _max, _min, _var, _std, _prod = (numba.njit(f) for f in (_max, _min, _var, _std, _prod))


def _vector_axis(x, axis, keepdims):
    """Is this a reduction of a vector along its one axis (all of it: the whole-array adjoint)?"""
    return _is_array(x, 1) and isinstance(x.dtype, numba.types.Float) and _literal(axis, None) in (0, -1) and \
        _literal(keepdims, False) is False


def _matrix_axis(x, axis, keepdims):
    """(the axis 0 or 1, keepdims) of a reduction of the matrix `x` along a constant axis, or None."""
    a, keep = _literal(axis, None), _literal(keepdims, False)
    if not (_is_array(x, 2) and type(a) is int and -2 <= a < 2 and keep in (True, False)):
        return None
    return a % 2, keep


def reduce_axis(x, axis, how, keepdims=False):
    """np.<how>(x, axis=axis, keepdims=keepdims) of a matrix x: each column (axis 0) or row (axis 1) reduced."""


@_overload_literal(reduce_axis)
def _reduce_axis(x, axis, how, keepdims=False):
    form = _matrix_axis(x, axis, keepdims)
    how = _literal(how, None)
    if _is_array(x, 1) and _literal(axis, None) in (0, -1) and _literal(keepdims, False) is False and how in HOW \
            and isinstance(x.dtype, (numba.types.Integer, numba.types.Float)):
        whole = _whole(how)  # (a vector along its one axis: all of it, a number)
        return lambda x, axis, how, keepdims=False: whole(x)
    if form is None or how not in HOW or not isinstance(x.dtype, (numba.types.Integer, numba.types.Float)):
        return None
    a, keep = form
    whole = _whole(how)
    floats = how in ("var", "std") and isinstance(x.dtype, numba.types.Integer)
    dtype = np.float64 if floats else numba.np.numpy_support.as_dtype(x.dtype)

    def along(x, axis, how, keepdims=False):
        n = x.shape[1 - a]
        out = np.empty(n, dtype)
        for j in range(n):
            out[j] = whole(x[:, j] if a == 0 else x[j, :])
        return out
    if not keep:
        return along
    along = numba.njit(along)
    if a == 0:
        return lambda x, axis, how, keepdims=False: along(x, axis, how).reshape((1, x.shape[1]))
    return lambda x, axis, how, keepdims=False: along(x, axis, how).reshape((x.shape[0], 1))


def _entry(v, j, a, keep):
    """The entry j of a reduction's result or adjoint v (a number: v itself; kept dimensions: along axis a)."""


@_overload_literal(_entry)
def _entry_overload(v, j, a, keep):
    if _is_number(v):
        return lambda v, j, a, keep: v
    if _is_array(v, 1):
        return lambda v, j, a, keep: v[j]
    if _is_array(v, 2):
        if _literal(a, None) == 0:
            return lambda v, j, a, keep: v[0, j]
        return lambda v, j, a, keep: v[j, 0]
    return None


def _columns_vjp(whole_vjp, with_ans, a, keep):
    """The adjoint along the axis `a` of a matrix: zeros, each column's (a = 0) or row's by the whole-array
    adjoint `whole_vjp` (given the result's entry too when `with_ans`), compiled."""
    if with_ans:
        def columns(g, x, ans):
            out = np.zeros(x.shape)
            for j in range(x.shape[1 - a]):
                part = out[:, j] if a == 0 else out[j, :]
                part[:] = whole_vjp(_entry(g, j, a, keep), x[:, j] if a == 0 else x[j, :], _entry(ans, j, a, keep))
            return out
    else:
        def columns(g, x, ans):
            out = np.zeros(x.shape)
            for j in range(x.shape[1 - a]):
                part = out[:, j] if a == 0 else out[j, :]
                part[:] = whole_vjp(_entry(g, j, a, keep), x[:, j] if a == 0 else x[j, :])
            return out
    return numba.njit(columns)


def _float_matrix(x):
    return _is_array(x, 2) and isinstance(x.dtype, numba.types.Float)


@_overload_literal(reduce_extreme_vjp)
def _extreme_along(g, x, ans, axis=None, keepdims=False):
    if _vector_axis(x, axis, keepdims):
        return lambda g, x, ans, axis=None, keepdims=False: _extreme_whole(g, x, ans)
    form = _matrix_axis(x, axis, keepdims)
    if form is None or not _float_matrix(x):
        return None
    a, keep = form
    loop = _columns_vjp(_extreme_whole, True, a, keep)
    return lambda g, x, ans, axis=None, keepdims=False: loop(g, x, ans)


@_overload_literal(var_vjp)
def _var_along(g, x, axis=None, ddof=0, keepdims=False):
    if _vector_axis(x, axis, keepdims) and _literal(ddof, 0) == 0:
        return lambda g, x, axis=None, ddof=0, keepdims=False: _var_whole(g, x)
    form = _matrix_axis(x, axis, keepdims)
    if form is None or not _float_matrix(x) or _literal(ddof, 0) != 0:
        return None
    a, keep = form
    loop = _columns_vjp(_var_whole, False, a, keep)
    return lambda g, x, axis=None, ddof=0, keepdims=False: loop(g, x, 0.0)


@_overload_literal(std_vjp)
def _std_along(g, x, ans, axis=None, ddof=0, keepdims=False):
    if _vector_axis(x, axis, keepdims) and _literal(ddof, 0) == 0:
        return lambda g, x, ans, axis=None, ddof=0, keepdims=False: _std_whole(g, x, ans)
    form = _matrix_axis(x, axis, keepdims)
    if form is None or not _float_matrix(x) or _literal(ddof, 0) != 0:
        return None
    a, keep = form
    loop = _columns_vjp(_std_whole, True, a, keep)
    return lambda g, x, ans, axis=None, ddof=0, keepdims=False: loop(g, x, ans)


@_overload_literal(prod_vjp)
def _prod_along(g, x, axis=None, keepdims=False):
    if _vector_axis(x, axis, keepdims):
        return lambda g, x, axis=None, keepdims=False: _prod_whole(g, x)
    form = _matrix_axis(x, axis, keepdims)
    if form is None or not _float_matrix(x):
        return None
    a, keep = form
    loop = _columns_vjp(_prod_whole, False, a, keep)
    return lambda g, x, axis=None, keepdims=False: loop(g, x, 0.0)


def _extreme_whole(g, col, ans):
    return reduce_extreme_vjp(g, col, ans)


def _var_whole(g, col):
    return var_vjp(g, col)


def _std_whole(g, col, ans):
    return std_vjp(g, col, ans)


def _prod_whole(g, col):
    return prod_vjp(g, col)


if numba is not None:
    _extreme_whole, _var_whole, _std_whole, _prod_whole = (
        numba.njit(f) for f in (_extreme_whole, _var_whole, _std_whole, _prod_whole))

def sum_axis(x, axis):
    """np.sum(x, axis=axis) for a constant int axis. Of a float64 or int64 array of one or two dimensions, loops
    (jit_runtime._rows_sum, _columns_sum): Numba's own np.sum with an axis added about a second to a
    process's first compile of it (its bounds check formats its error message with strings). Each entry of
    the result is its terms added from zero in increasing index order, as Numba's np.sum adds them (the same
    value, bit for bit). Numba's np.sum for anything else."""


@_overload_literal(sum_axis)
def _sum_axis(x, axis):
    a = _literal(axis, None)
    if _is_array(x) and type(a) is int and x.dtype in (numba.types.float64, numba.types.int64):
        zero = 0.0 if x.dtype == numba.types.float64 else 0
        if x.ndim == 1 and a in (0, -1):
            def whole(x, axis):
                total = zero
                for i in range(x.shape[0]):
                    total += x[i]
                return total
            return whole
        if x.ndim == 2 and -2 <= a < 2:
            return (lambda x, axis: _rows_sum(x)) if a % 2 == 0 else (lambda x, axis: _columns_sum(x))
    return lambda x, axis: np.sum(x, axis=axis)


HELPERS = {"reduce_axis", "sum_axis"}
