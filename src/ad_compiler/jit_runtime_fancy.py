"""Runtime helpers of `jit=True` derivatives for arrays made of pieces and read by index arrays (docs/jit.md),
in the subset Numba compiles: `np.array(x)` (a copy in NumPy's order 'K' of an array; an array of numbers or
of 1-d arrays from a list or tuple), `np.stack` of numbers, and the adjoints of a read (or store) by a 1-d
array of ints or of bools, alone or beside slices and ints (`x[idx]`, `x[:, idx]`, `x[mask, 1:]`): zeros with
`g` added at each position, repeated positions adding up (NumPy's np.add.at), as runtime.getitem_vjp does.

Each helper is one Python stub and Numba's overload of it: the code is chosen by the argument types, so one
compiled version serves every call site of those types (no code generated per site). For other types the
overload gives none: Numba's typing error at the line, which jit.py reports located (a refusal).
jit_runtime.py imports them and lists them in its HELPERS.
"""
import numpy as np

from .jit_runtime import _is_array, _is_list, _is_number, _overload, _overload_literal, add_into, numba


# -- np.array(x), np.stack of numbers ------------------------------------------------------------------------
def array(x):
    """np.array(x) (no dtype): a copy of an array in NumPy's order 'K' (C order unless x's layout is
    Fortran-like: what makes a later reshape a view or a copy, as in NumPy), a 0-d array of a number, a 1-d
    array of a tuple or list of numbers (NumPy's dtype: bools, ints, floats), a 2-d one of a tuple or list of
    1-d arrays of one length (ValueError for different lengths, as NumPy's inhomogeneous shape)."""


def _items(t):
    """The type of the items of a list or a tuple (None: several, not one of Numba's unifications)."""
    if _is_list(t) or isinstance(t, numba.types.UniTuple):
        return t.dtype
    if isinstance(t, numba.types.BaseTuple) and len(t) and all(_is_number(i) for i in t):
        return t.types[0]  # (numbers of several types: np.array unifies them as NumPy does)
    return None


@_overload(array)
def _array(x):
    if _is_number(x):
        return lambda x: np.array(x)
    if _is_array(x):
        if x.ndim <= 1 or x.layout == "C":
            return lambda x: x.copy()
        if x.layout == "F":
            return lambda x: x.T.copy().T
        if x.ndim != 2:
            return None

        def keep_order(x):  # (NumPy's 'K': Fortran-like strides give a Fortran copy)
            if x.shape[0] > 1 and x.shape[1] > 1 and abs(x.strides[0]) < abs(x.strides[1]):
                return x.T.copy().T
            return x.copy()
        return keep_order
    item = _items(x)
    if item is None:
        return None
    if _is_number(item):
        return lambda x: np.array(x)
    if _is_array(item, 1) and (_is_number(item.dtype)):
        dtype = numba.np.numpy_support.as_dtype(item.dtype)

        def rows(x):
            n = len(x)
            if n == 0:  # (NumPy gives a 1-d empty array: not this function's type)
                raise ValueError("jit=True: np.array of an empty list of arrays; call ad.grad without jit=True")
            m = x[0].shape[0]
            out = np.empty((n, m), dtype)
            for i in range(n):
                if x[i].shape[0] != m:
                    raise ValueError("setting an array element with a sequence: the arrays have different "
                                     "lengths (an inhomogeneous shape)")
                out[i] = x[i]
            return out
        return rows
    return None


def stack(arrays, axis=0):
    """np.stack(arrays, axis) of a tuple of arrays (Numba's), or of numbers (the 1-d array of them: axis 0 or
    -1, else Numba's typing error at the line, where NumPy raises AxisError)."""


@_overload_literal(stack)
def _stack(arrays, axis=0):
    item = _items(arrays)
    if item is not None and _is_number(item):
        a = getattr(axis, "literal_value", getattr(axis, "value", axis))
        if a in (None, 0, -1) and not isinstance(a, bool):
            return lambda arrays, axis=0: array(arrays)
        return None
    if isinstance(arrays, numba.types.BaseTuple) and len(arrays) and all(_is_array(i) for i in arrays):
        return lambda arrays, axis=0: np.stack(arrays, axis)
    a = getattr(axis, "literal_value", getattr(axis, "value", axis))
    if _is_list(arrays) and _is_array(item, 1) and a in (None, 0, -2) and not isinstance(a, bool):
        return lambda arrays, axis=0: array(arrays)  # (a list of 1-d arrays as rows)
    return None


def unstack_numbers(g, items):
    """The adjoint of np.stack / np.array of a list or tuple of numbers: a list of the entries of g."""


@_overload(unstack_numbers)
def _unstack_numbers(g, items):
    if _is_array(g, 1) and (_is_list(items) or isinstance(items, numba.types.BaseTuple)):
        return lambda g, items: [g[i] for i in range(len(items))]
    return None


# -- the adjoints of reads by an index array -----------------------------------------------------------------
def _index_array(t):
    return _is_array(t, 1) and isinstance(t.dtype, (numba.types.Integer, numba.types.Boolean))


def _basic_item(t):
    return isinstance(t, (numba.types.Integer, numba.types.SliceType))


def fancy_form(index, ndim):
    """How a compiled adjoint takes `index` on an array of `ndim` (1 or 2) dimensions: (the position of the
    one 1-d int or bool array, the other item's type or None), or None (not one of these forms)."""
    if ndim not in (1, 2):
        return None
    items = tuple(index.types) if isinstance(index, numba.types.BaseTuple) else (index,)
    arrays = [k for k, t in enumerate(items) if _index_array(t)]
    if len(arrays) != 1 or len(items) > ndim or not all(_basic_item(t) for k, t in enumerate(items) if k != arrays[0]):
        return None
    p = arrays[0]
    other = items[1 - p] if len(items) == 2 else None
    return p, other


def positions(index, p):
    """The positions the 1-d index array at `p` in `index` (the array itself, or a tuple) reads: the ints, or
    np.flatnonzero of bools."""


def _literal(t):
    return getattr(t, "literal_value", None)


@_overload_literal(positions)
def _positions(index, p):
    if _literal(p) not in (0, 1):
        return None
    tuple_index = isinstance(index, numba.types.BaseTuple)
    idx = index.types[_literal(p)] if tuple_index else index
    if isinstance(idx.dtype, numba.types.Boolean):
        if not tuple_index:
            return lambda index, p: np.flatnonzero(index)
        return (lambda index, p: np.flatnonzero(index[0])) if _literal(p) == 0 else \
            (lambda index, p: np.flatnonzero(index[1]))
    if not tuple_index:
        return lambda index, p: index
    return (lambda index, p: index[0]) if _literal(p) == 0 else (lambda index, p: index[1])


def other_item(index, p):
    """The item beside the index array in a 2-tuple index, `slice(None)` when the array is alone."""


@_overload_literal(other_item)
def _other_item(index, p):
    if isinstance(index, numba.types.BaseTuple) and len(index) == 2:
        return (lambda index, p: index[1]) if _literal(p) == 0 else (lambda index, p: index[0])
    return lambda index, p: slice(None)


def pick(g, k, axis):
    """The part of `g` (the adjoint of a read) at position k along `axis` (0 or 1), broadcast: index 0 along an
    axis of length 1; g itself for a number."""


@_overload_literal(pick)
def _pick(g, k, axis):
    if _is_number(g):
        return lambda g, k, axis: g
    if _literal(axis) not in (0, 1):
        return None
    if g.ndim == 1 or _literal(axis) == 0:
        return lambda g, k, axis: g[k if g.shape[0] != 1 else 0]
    return lambda g, k, axis: g[:, k if g.shape[1] != 1 else 0]


def add_fancy(out, index, g):
    """In place: `g` added into `out` at `index` (a 1-d int or bool array alone or with one slice or int
    beside it, on an array of one or two dimensions), a repeated position adding up (np.add.at)."""


@_overload(add_fancy)
def _add_fancy(out, index, g):
    if not _is_array(out):
        return None
    form = fancy_form(index, out.ndim)
    if form is None or not (_is_number(g) or _is_array(g)):
        return None
    p, other = form
    read_ndim = out.ndim - (1 if isinstance(other, numba.types.Integer) else 0)  # (the read's rank)
    if _is_array(g) and g.ndim != read_ndim:
        return None  # (an adjoint of another rank: not taken apart here)
    if out.ndim == 1:
        def one(out, index, g):
            at = positions(index, 0)
            for k in range(at.shape[0]):
                out[at[k]] += pick(g, k, 0)
        return one
    if isinstance(other, numba.types.Integer):
        if p == 0:
            def rows_at(out, index, g):  # (x[idx, j]: one element per position)
                at = positions(index, 0)
                j = index[1]
                for k in range(at.shape[0]):
                    out[at[k], j] += pick(g, k, 0)
            return rows_at

        def columns_at(out, index, g):  # (x[i, idx])
            at = positions(index, 1)
            i = index[0]
            for k in range(at.shape[0]):
                out[i, at[k]] += pick(g, k, 0)
        return columns_at
    if p == 0:
        def rows(out, index, g):  # (x[idx], x[idx, s]: a part of a row per position)
            at = positions(index, 0)
            s = other_item(index, 0)
            for k in range(at.shape[0]):
                add_into(out[at[k], s], pick(g, k, 0))
        return rows

    def columns(out, index, g):  # (x[s, idx]: a part of a column per position)
        at = positions(index, 1)
        s = index[0]
        for k in range(at.shape[0]):
            add_into(out[s, at[k]], pick(g, k, 1))
    return columns


def fancy_vjp(g, x, index):
    """getitem_vjp(g, x, index) for an index `add_fancy` takes: float zeros of x's shape, g added at index."""


@_overload(fancy_vjp)
def _fancy_vjp(g, x, index):
    if not (_is_array(x) and fancy_form(index, x.ndim) is not None):
        return None

    def vjp(g, x, index):
        out = np.zeros(x.shape)
        add_fancy(out, index, g)
        return out
    return vjp


def fancy_store_adjoint(b, index):
    """pop_item(b, index) of `y[index] = v` for an index `add_fancy` takes: b[index] copied, where a position
    repeats only its last (NumPy keeps the last write), then those entries cleared in b."""


@_overload(fancy_store_adjoint)
def _fancy_store_adjoint(b, index):
    if not (_is_array(b) and fancy_form(index, b.ndim) is not None):
        return None
    p, other = fancy_form(index, b.ndim)
    read_ndim = b.ndim - (1 if isinstance(other, numba.types.Integer) else 0)

    def take(b, index):
        at = positions(index, p)
        taken = b[index].astype(np.float64)
        n = b.shape[p]
        seen = np.zeros(n, np.bool_)
        for k in range(at.shape[0] - 1, -1, -1):
            i = at[k] % n if n else at[k]
            if seen[i]:  # (written again later: the value stored here was overwritten)
                clear(taken, k)
            seen[i] = True
        b[index] = 0.0
        return taken
    clear = _clear_entry if read_ndim == 1 or p == 0 else _clear_column
    return take


def _clear_entry(taken, k):
    taken[k] = 0.0


def _clear_column(taken, k):
    taken[:, k] = 0.0


if numba is not None:
    _clear_entry, _clear_column = numba.njit(_clear_entry), numba.njit(_clear_column)


HELPERS = {"array", "stack", "unstack_numbers", "fancy_vjp", "fancy_store_adjoint"}
