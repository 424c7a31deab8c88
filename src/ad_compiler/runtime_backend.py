"""Arrays of other libraries in the runtime helpers: Dask and CuPy (docs/scale.md).

Dask and CuPy arrays implement NumPy's dispatch protocols (`__array_function__`, `__array_ufunc__`): a NumPy
function called on them runs in their library (lazily for Dask, on the GPU for CuPy). The runtime helpers
keep them there: they never convert a value with `np.asarray`, and they make new arrays (zeros, a value
spread to a shape) in the library of the arrays they work on, with NumPy's `like=` (NEP 35). These are the
few primitives they use for it; with NumPy arrays and numbers each costs a class comparison.
"""
import numpy as np

ndarray = np.ndarray
_foreign = {}  # class -> is it an array class of another library (cached)


def foreign(x):
    """Is `x` an array of another library that follows NumPy's dispatch protocols (a Dask or CuPy array)?"""
    c = x.__class__
    if c is ndarray:
        return False
    known = _foreign.get(c)
    if known is None:
        known = _foreign[c] = hasattr(c, "__array_function__") and hasattr(c, "shape") and \
            not issubclass(c, (ndarray, np.generic))
    return known


def is_array(x):
    """A NumPy array, or an array of another library (Dask, CuPy)."""
    return x.__class__ is ndarray or isinstance(x, ndarray) or foreign(x)


def like_of(*values):
    """The first array of another library among `values` (new arrays are made in its library), else None."""
    for v in values:
        if v.__class__ is not ndarray and foreign(v):
            return v
    return None


def as_array(x, like=None, dtype=None):
    """`x` as an array (np.asarray), in its own library: an array of another library as it is, never converted
    to NumPy (with `dtype`: `x.astype(dtype)`); a NumPy array, a number or a list as an array of the library of
    `like` (NumPy when None; a list holding arrays of another library: stacked in it)."""
    if x.__class__ is ndarray or isinstance(x, ndarray):
        if like is not None:
            return np.asarray(x, dtype=dtype, like=like)
        return x if dtype is None else np.asarray(x, dtype=dtype)
    if foreign(x):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    if isinstance(x, (list, tuple)) and x:
        inner = like_of(*x)
        if inner is not None or like is not None and any(isinstance(v, (list, tuple)) for v in x):
            return np.stack([as_array(v, like if inner is None else inner, dtype) for v in x])
    if like is not None:
        return np.asarray(x, dtype=dtype, like=like)
    return np.asarray(x, dtype=dtype)


def zeros(shape, dtype=float, like=None):
    """np.zeros in the library of `like` (NumPy when None)."""
    if like is None:
        return np.zeros(shape, dtype=dtype)
    return np.zeros(shape, dtype=dtype, like=like)


def ones(shape, dtype=float, like=None):
    """np.ones in the library of `like` (NumPy when None)."""
    if like is None:
        return np.ones(shape, dtype=dtype)
    return np.ones(shape, dtype=dtype, like=like)


def size_of(x):
    """The number of entries of `x` from its shape (np.size is not dispatched by Dask: it would compute x)."""
    n = 1
    for d in np.shape(x):
        n *= d
    return n


def split_at(g, bounds, axis):
    """np.split(g, bounds, axis), by slicing for an array of another library (Dask has no np.split: it would
    compute g)."""
    if not foreign(g):
        return np.split(g, bounds, axis=axis)
    edges = [0] + [int(b) for b in bounds] + [g.shape[axis]]
    head = (slice(None),) * (axis % g.ndim)
    return [g[head + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:])]


def _host(v):
    """A value of another library as a NumPy array: computed (Dask) or copied from the device (CuPy)."""
    if not foreign(v):
        return v
    if hasattr(v, "compute"):
        return np.asarray(v.compute())
    return v.get()


def _host_call(fn, *args):
    """`fn` on NumPy copies of the arrays of other libraries among `args` (the eager fallback of a helper
    whose NumPy functions the library lacks: docs/scale.md), its result an array of that library again."""
    lib = like_of(*[a for a in args if not isinstance(a, tuple)]) or \
        like_of(*[i for a in args if isinstance(a, tuple) for i in a])
    host = [tuple(_host(i) for i in a) if isinstance(a, tuple) else _host(a) for a in args]
    out = fn(*host)
    return as_array(out, lib) if isinstance(out, ndarray) or np.ndim(out) == 0 else out


def scatter_add(out, index, g):
    """np.add.at(out, index, g) (repeated indices add up), returning `out`; when `out` or `g` is an array of
    another library, a new array of it: Dask has no ufunc.at, so g and the index are computed here and added
    up in NumPy (the eager fallback of docs/scale.md)."""
    lib = like_of(out, g)
    if lib is None:
        np.add.at(out, index, g)
        return out
    try:
        if foreign(out):
            out = out.copy()
            np.add.at(out, index, g)  # (CuPy has ufunc.at)
            return out
    except TypeError:
        pass
    items = tuple(_host(i) for i in index) if isinstance(index, tuple) else _host(index)
    host = np.array(_host(out), dtype=np.result_type(getattr(out, "dtype", float), getattr(g, "dtype", float)))
    np.add.at(host, items, _host(g))
    return as_array(host, lib)
