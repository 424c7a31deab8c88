"""Runtime helpers of `jit=True` derivatives for NumPy's indexing functions (desugar_index_forms.py: written as
the reads and stores they make, with the positions given by runtime_indices.py), in the subset Numba compiles.

Numba indexes by one index array at most; the positions of np.take_along_axis / np.put_along_axis,
np.fill_diagonal and np.put / np.putmask / np.place are an index array per axis ("coordinates"). Here they are
made as a tuple of C-contiguous int arrays of one shape (the broadcast NumPy would make), and the lowering
(jit_lower.py) writes the reads and stores by them, `x[c]` and `y[c] = v`, as `_ad.jit.gather(x, c)` and
`_ad.jit.scatter(y, c, v)`; getitem_vjp and pop_item take them by their type (jit_runtime.py). A repeated
position keeps the last write (NumPy's store), and adds up in an adjoint (np.add.at). NumPy's errors where
they are the code's (an index out of bounds: IndexError; a mask of another size: ValueError).
jit_runtime.py imports them and lists them in its HELPERS."""
import numpy as np

from .jit_runtime import _apart, _is_array, _is_number, _overload, _overload_literal, numba

if numba is not None:
    from numba.np.unsafe.ndarray import to_fixed_tuple
    from numba.core.types import UniTuple as _UniTuple
else:  # pragma: no cover
    to_fixed_tuple = _UniTuple = None


def _njit(fn):
    return numba.njit(fn) if numba is not None else fn


def _literal(t):
    return getattr(t, "literal_value", None)


def coordinates_type(t, ndim=None):
    """Is the Numba type `t` coordinates: a tuple of int arrays of one rank (of `ndim` items)?"""
    return isinstance(t, _UniTuple) and _is_array(t.dtype) and isinstance(t.dtype.dtype, numba.types.Integer) \
        and len(t) >= 1 and (ndim is None or len(t) == ndim)


@_njit
def _checked(i, n):
    if i < -n or i >= n:
        raise IndexError("index out of bounds")
    return i + n if i < 0 else i


# -- the positions ----------------------------------------------------------------------------------------
def along_axis_index(indices, axis, shape):
    """runtime_indices.along_axis_index as coordinates: `indices` along `axis`, each other axis's position,
    broadcast to one shape (NumPy's broadcast of the index arrays)."""


@_overload(along_axis_index)
def _along_axis_index(indices, axis, shape):
    if not (_is_array(indices) and isinstance(indices.dtype, numba.types.Integer) and
            isinstance(shape, _UniTuple) and len(shape) == indices.ndim and isinstance(axis, numba.types.Integer)):
        return None
    k = indices.ndim

    def coordinates(indices, axis, shape):
        if not -k <= axis < k:
            raise ValueError("axis is out of bounds for the array's dimensions")
        axis = axis % k
        dims = np.empty(k, np.int64)
        for d in range(k):
            a, n = indices.shape[d], (shape[d] if d != axis else indices.shape[d])
            if a != n and a != 1 and n != 1:
                raise IndexError("shape mismatch: indexing arrays could not be broadcast together")
            dims[d] = max(a, n) if a != n else a
        out_shape = to_fixed_tuple(dims, k)
        c = [np.empty(out_shape, np.int64) for _ in range(k)]
        flat = [a.reshape(-1) for a in c]
        at = np.empty(k, np.int64)
        src = np.ascontiguousarray(indices).reshape(-1)
        for e in range(flat[0].shape[0]):
            r = e
            for d in range(k - 1, -1, -1):
                at[d] = r % dims[d]
                r //= dims[d]
            j = 0  # (the position in `indices`, its size-1 axes broadcast)
            for d in range(k):
                j = j * indices.shape[d] + (at[d] if indices.shape[d] != 1 else 0)
            for d in range(k):
                flat[d][e] = src[j] if d == axis else (at[d] if shape[d] != 1 else 0)
        return to_fixed_tuple_of(c, k)
    return coordinates


def to_fixed_tuple_of(arrays, k):
    """A tuple of the k arrays of a list."""


@_overload_literal(to_fixed_tuple_of)
def _to_fixed_tuple_of(arrays, k):
    n = _literal(k)
    if n is None or not 1 <= n <= 4:
        return None
    return {1: lambda arrays, k: (arrays[0],), 2: lambda arrays, k: (arrays[0], arrays[1]),
            3: lambda arrays, k: (arrays[0], arrays[1], arrays[2]),
            4: lambda arrays, k: (arrays[0], arrays[1], arrays[2], arrays[3])}[n]


@_njit
def _unravel(flat, shape):
    """The coordinates (a list of 1-d arrays) of C-order flat positions in an array of `shape`."""
    k = len(shape)
    c = [np.empty(flat.shape[0], np.int64) for _ in range(k)]
    for e in range(flat.shape[0]):
        r = flat[e]
        for d in range(k - 1, -1, -1):
            c[d][e] = r % shape[d]
            r //= shape[d]
    return c


def diagonal_positions(shape, wrap, size):
    """runtime_indices.diagonal_positions: the positions np.fill_diagonal writes, as coordinates."""


@_overload(diagonal_positions)
def _diagonal_positions(shape, wrap, size):
    if not isinstance(shape, _UniTuple):
        return None
    k = len(shape)
    if k < 2:
        def refused(shape, wrap, size):
            raise ValueError("array must be at least 2-d")
            return (np.zeros(0, np.int64),)
        return refused

    def positions(shape, wrap, size):
        n = 1
        for d in range(k):
            n *= shape[d]
        if k == 2:
            step = shape[1] + 1
            end = n if wrap else min(n, shape[1] * shape[1])
        else:
            for d in range(k):
                if shape[d] != shape[0]:
                    raise ValueError("All dimensions of input must be of equal length")
            step, p = 1, 1
            for d in range(k - 1):
                p *= shape[d]
                step += p
            end = n
        flat = np.arange(0, end if size else 0, step)
        return to_fixed_tuple_of(_unravel(flat, shape), k)
    return positions


def cyclic_positions(size, positions):
    """runtime_indices.cyclic_positions: `arange(n) % size` for the n positions of coordinates."""


@_overload(cyclic_positions)
def _cyclic_positions(size, positions):
    if not coordinates_type(positions):
        return None

    def cyclic(size, positions):
        n = positions[0].size
        out = np.arange(n)
        if n:
            out %= size
        return out
    return cyclic


def flat_store_positions(how, shape, where, size, mode="raise"):
    """runtime_indices.flat_store_positions: (the coordinates written, the entries of the raveled values)."""


@_overload_literal(flat_store_positions)
def _flat_store_positions(how, shape, where, size, mode="raise"):
    how_ = _literal(how)
    mode_ = mode if isinstance(mode, str) else mode.value if isinstance(mode, numba.types.Omitted) else _literal(mode)
    if how_ not in ("put", "putmask", "place") or mode_ not in ("raise", "wrap", "clip") or \
            not isinstance(shape, _UniTuple):
        return None
    k = len(shape)
    if how_ == "put":
        if _is_array(where):
            if not isinstance(where.dtype, numba.types.Integer):
                return None  # (NumPy casts the positions "safe": floats raise TypeError; not compiled)
            get = _njit(lambda where: np.ascontiguousarray(where).reshape(-1).astype(np.int64))
        elif isinstance(where, (numba.types.List, numba.types.UniTuple)) and \
                isinstance(where.dtype, numba.types.Integer):
            get = _njit(lambda where: np.array([int(w) for w in where], np.int64))
        elif isinstance(where, numba.types.Integer):
            get = _njit(lambda where: np.full(1, where, np.int64))
        else:
            return None

        def put(how, shape, where, size, mode="raise"):
            n = 1
            for d in range(k):
                n *= shape[d]
            flat = get(where)
            for e in range(flat.shape[0]):
                f = flat[e]
                if mode_ == "raise":
                    if f >= n or f < -n:
                        raise IndexError("index is out of bounds for the flat array")
                    f = f % n
                elif mode_ == "wrap":
                    f = f % n if n else f
                else:
                    f = min(max(f, 0), n - 1)
                flat[e] = f
            which = np.arange(flat.shape[0])
            if size == 0:
                flat, which = flat[:0], which[:0]
            elif which.shape[0]:
                which %= size
            return to_fixed_tuple_of(_unravel(flat, shape), k), which
        return put
    if not (_is_array(where) or _is_number(where)):
        return None
    if _is_array(where):
        get_mask = _njit(lambda where: np.ascontiguousarray(where).reshape(-1))
    else:
        get_mask = _njit(lambda where: np.full(1, where))

    def masked(how, shape, where, size, mode="raise"):
        n = 1
        for d in range(k):
            n *= shape[d]
        mask = get_mask(where)
        if mask.shape[0] != n:
            raise ValueError("mask and data must be the same size")
        flat = np.flatnonzero(mask)
        if how_ == "place" and size == 0 and flat.shape[0]:
            raise ValueError("Cannot insert from an empty array!")
        which = flat.copy() if how_ == "putmask" else np.arange(flat.shape[0])
        if size == 0:
            flat, which = flat[:0], which[:0]
        elif which.shape[0]:
            which %= size
        return to_fixed_tuple_of(_unravel(flat, shape), k), which
    return masked


def check_unshared(a, values, name):
    """runtime_indices.check_unshared: values that may share memory with `a` (np.fill_diagonal / np.place read
    them while writing) refused when it runs (UnsupportedError)."""


@_overload_literal(check_unshared)
def _check_unshared(a, values, name):
    if not _is_array(values):
        return lambda a, values, name: None
    from .errors import UnsupportedError
    message = f"the values given to `{_literal(name)}` share memory with the array it changes: NumPy reads " \
        "them while it writes, which the derivative does not follow; pass a copy of the values (`.copy()`)"

    def check(a, values, name):
        if not _apart(a, values):
            raise UnsupportedError(message)
    return check


def kept_positions(condition):
    """runtime_indices.kept_positions: the positions np.compress keeps (a 1-d condition)."""


@_overload(kept_positions)
def _kept_positions(condition):
    if not _is_array(condition):
        return None
    if condition.ndim != 1:
        def refused(condition):
            raise ValueError("condition must be a 1-d array")
            return np.zeros(0, np.int64)
        return refused
    return lambda condition: np.flatnonzero(condition)


def indexed_shape(a, index):
    """runtime_indices.indexed_shape: the shape of a[index] (np.add.at)."""


@_overload(indexed_shape)
def _indexed_shape(a, index):
    if not _is_array(a):
        return None
    if isinstance(index, numba.types.List) and isinstance(index.dtype, numba.types.Integer):
        return lambda a, index: np.shape(a[np.array(index)])  # (`[1, 0, 1]`: the int array NumPy reads it as)
    return lambda a, index: np.shape(a[index])


def take_vjp(g, a, indices, axis=None):
    """runtime.take_vjp: the adjoint of np.take(a, indices, axis) (np.compress, np.extract): zeros of a's shape,
    g added back at the taken positions (repeated ones add up); axis None (the flat array) or a constant axis
    of an array of one or two dimensions."""


@_overload_literal(take_vjp)
def _take_vjp(g, a, indices, axis=None):
    if not (_is_array(a) and _is_array(indices) and isinstance(indices.dtype, numba.types.Integer) and
            (_is_number(g) or _is_array(g))):
        return None
    if axis is None or isinstance(axis, (numba.types.Omitted, numba.types.NoneType)):
        def flat(g, a, indices, axis=None):
            out = np.zeros(a.size)
            at = np.ascontiguousarray(indices).reshape(-1)
            w = np.ascontiguousarray(np.broadcast_to(g, indices.shape)).reshape(-1)
            for e in range(at.shape[0]):
                out[_checked(at[e], a.size)] += w[e]
            return out.reshape(a.shape)
        return flat
    k = _literal(axis)
    if k is None or a.ndim not in (1, 2) or indices.ndim != 1 or not -a.ndim <= k < a.ndim or \
            (_is_array(g) and g.ndim != a.ndim):
        return None
    k %= a.ndim
    if a.ndim == 1:
        return lambda g, a, indices, axis=None: take_vjp(g, a, indices)

    def along(g, a, indices, axis=None):
        out = np.zeros(a.shape)
        w = np.broadcast_to(g, (a.shape[0], indices.shape[0]) if k == 1 else (indices.shape[0], a.shape[1]))
        for e in range(indices.shape[0]):
            i = _checked(indices[e], a.shape[k])
            if k == 0:
                for j in range(a.shape[1]):
                    out[i, j] += w[e, j]
            else:
                for j in range(a.shape[0]):
                    out[j, i] += w[j, e]
        return out
    return along


# -- reads, stores and their adjoints by coordinates ----------------------------------------------------------
def gather(x, c):
    """x[c] for coordinates c (one int array per axis of x, of one shape): an array of c's shape."""


def _offsets(x, c):
    """The flat positions, in C order of x's shape, of coordinates c (IndexError out of bounds)."""


@_overload(_offsets)
def _offsets_overload(x, c):
    k = len(c)

    def offsets(x, c):
        flat = [a.reshape(-1) for a in c]
        out = np.empty(flat[0].shape[0], np.int64)
        for e in range(out.shape[0]):
            f = 0
            for d in range(k):
                f = f * x.shape[d] + _checked(flat[d][e], x.shape[d])
            out[e] = f
        return out
    return offsets


@_overload(gather)
def _gather(x, c):
    if not (_is_array(x) and coordinates_type(c, x.ndim)):
        return None

    def read(x, c):
        at = _offsets(x, c)
        src = np.ascontiguousarray(x).reshape(-1)
        out = np.empty(c[0].shape, x.dtype)
        flat = out.reshape(-1)
        for e in range(at.shape[0]):
            flat[e] = src[at[e]]
        return out
    return read


def scatter(y, c, v):
    """In place: y[c] = v for coordinates c; v (a number, or an array broadcast to c's shape) read in full first;
    a repeated position keeps the last write (NumPy's store)."""


@_overload(scatter)
def _scatter(y, c, v):
    if not (_is_array(y) and coordinates_type(c, y.ndim) and (_is_number(v) or _is_array(v))):
        return None

    def store(y, c, v):
        at = _offsets(y, c)
        w = np.ascontiguousarray(np.broadcast_to(v, c[0].shape)).reshape(-1).copy()
        for e in range(at.shape[0]):
            _put_flat(y, at[e], w[e])
    return store


def _put_flat(y, f, value):
    """y at the C-order flat position f (of any layout) = value."""


@_overload(_put_flat)
def _put_flat_overload(y, f, value):
    k = y.ndim
    if k == 2:
        return lambda y, f, value: _set2(y, f // y.shape[1], f % y.shape[1], value)
    if k == 3:
        def three(y, f, value):
            i, r = f // (y.shape[1] * y.shape[2]), f % (y.shape[1] * y.shape[2])
            y[i, r // y.shape[2], r % y.shape[2]] = value
        return three
    if k == 1:
        def one(y, f, value):
            y[f] = value
        return one
    return None


def _get_flat(y, f):
    """y at the C-order flat position f (of any layout)."""


@_overload(_get_flat)
def _get_flat_overload(y, f):
    k = y.ndim
    if k == 1:
        return lambda y, f: y[f]
    if k == 2:
        return lambda y, f: y[f // y.shape[1], f % y.shape[1]]
    if k == 3:
        def three(y, f):
            i, r = f // (y.shape[1] * y.shape[2]), f % (y.shape[1] * y.shape[2])
            return y[i, r // y.shape[2], r % y.shape[2]]
        return three
    return None


@_njit
def _set2(y, i, j, value):
    y[i, j] = value


def coordinates_vjp(g, x, c):
    """getitem_vjp(g, x, c) for coordinates c: zeros of x's shape, g added at each position (np.add.at)."""


@_overload(coordinates_vjp)
def _coordinates_vjp(g, x, c):
    if not (_is_array(x) and coordinates_type(c, x.ndim) and (_is_number(g) or _is_array(g))):
        return None

    def vjp(g, x, c):
        at = _offsets(x, c)
        w = np.ascontiguousarray(np.broadcast_to(g, c[0].shape)).reshape(-1)
        out = np.zeros(x.size)
        for e in range(at.shape[0]):
            out[at[e]] += w[e]
        return out.reshape(x.shape)
    return vjp


def coordinates_add(b, c, g):
    """In place: g added into b at coordinates c (add_at: np.add.at, repeated positions adding up)."""


@_overload(coordinates_add)
def _coordinates_add(b, c, g):
    if not (_is_array(b) and coordinates_type(c, b.ndim) and (_is_number(g) or _is_array(g))):
        return None

    def add(b, c, g):
        at = _offsets(b, c)
        w = np.ascontiguousarray(np.broadcast_to(g, c[0].shape)).reshape(-1)
        for e in range(at.shape[0]):  # (b of any layout)
            _put_flat(b, at[e], _get_flat(b, at[e]) + w[e])
    return add


def coordinates_pop(b, c):
    """pop_item(b, c) for coordinates c: b[c], where a repeated position counts only at its last place (NumPy's
    store keeps the last write), then cleared in b."""


@_overload(coordinates_pop)
def _coordinates_pop(b, c):
    if not (_is_array(b) and coordinates_type(c, b.ndim)):
        return None

    def pop(b, c):
        at = _offsets(b, c)
        taken = np.empty(c[0].shape)
        flat = taken.reshape(-1)
        for e in range(at.shape[0] - 1, -1, -1):  # (b of any layout)
            flat[e] = _get_flat(b, at[e])
            _put_flat(b, at[e], 0.0)
        return taken
    return pop


HELPERS = {"along_axis_index", "diagonal_positions", "cyclic_positions", "flat_store_positions", "check_unshared",
           "kept_positions", "indexed_shape", "gather", "scatter", "take_vjp"}
