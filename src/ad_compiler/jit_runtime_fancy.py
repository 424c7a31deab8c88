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

from .jit_runtime import (_apart, _is_array, _is_list, _is_number, _overload, _overload_literal, add_into, numba,
                          store_into)


# -- np.array(x), np.stack of numbers ------------------------------------------------------------------------
def array(x, where=None):
    """np.array(x) (no dtype): a copy of an array in NumPy's order 'K' (C order unless x's layout is
    Fortran-like: what makes a later reshape a view or a copy, as in NumPy), a 0-d array of a number, a 1-d
    array of a tuple or list of numbers (NumPy's dtype: bools, ints, floats), a 2-d one of a tuple or list of
    1-d arrays of one length (ValueError for different lengths, as NumPy's inhomogeneous shape). Of a list
    with no arrays at all NumPy's is a 1-d empty array, not a matrix: refused when it runs (UnsupportedError at
    `where`, the line's location, a constant the lowering gives for lists)."""


def _items(t):
    """The type of the items of a list or a tuple (None: several, not one of Numba's unifications)."""
    if _is_list(t) or isinstance(t, numba.types.UniTuple):
        return t.dtype
    if isinstance(t, numba.types.BaseTuple) and len(t) and all(_is_number(i) for i in t):
        return t.types[0]  # (numbers of several types: np.array unifies them as NumPy does)
    return None


@_overload_literal(array)
def _array(x, where=None):
    if _is_number(x):
        return lambda x, where=None: np.array(x)
    if _is_array(x):
        if x.ndim <= 1 or x.layout == "C":
            return lambda x, where=None: x.copy()
        if x.layout == "F":
            return lambda x, where=None: x.T.copy().T
        if x.ndim != 2:
            return None

        def keep_order(x, where=None):  # (NumPy's 'K': Fortran-like strides give a Fortran copy)
            if x.shape[0] > 1 and x.shape[1] > 1 and abs(x.strides[0]) < abs(x.strides[1]):
                return x.T.copy().T
            return x.copy()
        return keep_order
    item = _items(x)
    if item is None:
        return None
    if _is_number(item):
        return lambda x, where=None: np.array(x)
    if _is_array(item, 1) and (_is_number(item.dtype)):
        dtype = numba.np.numpy_support.as_dtype(item.dtype)
        from .errors import UnsupportedError
        message = (getattr(where, "literal_value", None) or "here") + "\njit=True: np.array of a list that " \
            "holds no arrays when it runs (NumPy's is a 1-d empty array, not the matrix compiled here); call " \
            "ad.grad without jit=True"

        def rows(x, where=None):
            n = len(x)
            if n == 0:
                raise UnsupportedError(message)
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


def positions(index, p, n):
    """The positions the 1-d index array at `p` in `index` (the array itself, or a tuple) reads along an axis
    of length n, in 0..n-1: the ints (IndexError out of -n..n-1, as NumPy's), or np.flatnonzero of bools
    (IndexError unless there are n of them). The loops below write at them unchecked."""


def _literal(t):
    return getattr(t, "literal_value", None)


@_overload_literal(positions)
def _positions(index, p, n):
    if _literal(p) not in (0, 1):
        return None
    tuple_index = isinstance(index, numba.types.BaseTuple)
    idx = index.types[_literal(p)] if tuple_index else index
    pick_array = (lambda index: index) if not tuple_index else \
        (lambda index: index[0]) if _literal(p) == 0 else (lambda index: index[1])
    pick_array = numba.njit(pick_array)
    if isinstance(idx.dtype, numba.types.Boolean):
        def mask(index, p, n):
            m = pick_array(index)
            if m.shape[0] != n:
                raise IndexError("boolean index did not match the indexed array's dimension")
            return np.flatnonzero(m)
        return mask

    def ints(index, p, n):
        at = pick_array(index)
        out = np.empty(at.shape[0], np.int64)
        for k in range(at.shape[0]):
            out[k] = checked(at[k], n)
        return out
    return ints


def checked(i, n):
    """The int index i of an axis of length n in 0..n-1 (IndexError out of -n..n-1)."""
    if i < -n or i >= n:
        raise IndexError("index out of bounds")
    return i + n if i < 0 else i


if numba is not None:
    checked = numba.njit(checked)


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
            at = positions(index, 0, out.shape[0])
            for k in range(at.shape[0]):
                out[at[k]] += pick(g, k, 0)
        return one
    if isinstance(other, numba.types.Integer):
        if p == 0:
            def rows_at(out, index, g):  # (x[idx, j]: one element per position)
                at = positions(index, 0, out.shape[0])
                j = checked(index[1], out.shape[1])
                for k in range(at.shape[0]):
                    out[at[k], j] += pick(g, k, 0)
            return rows_at

        def columns_at(out, index, g):  # (x[i, idx])
            at = positions(index, 1, out.shape[1])
            i = checked(index[0], out.shape[0])
            for k in range(at.shape[0]):
                out[i, at[k]] += pick(g, k, 0)
        return columns_at
    if p == 0:
        def rows(out, index, g):  # (x[idx], x[idx, s]: a part of a row per position)
            at = positions(index, 0, out.shape[0])
            s = other_item(index, 0)
            for k in range(at.shape[0]):
                add_into(out[at[k], s], pick(g, k, 0))
        return rows

    def columns(out, index, g):  # (x[s, idx]: a part of a column per position)
        at = positions(index, 1, out.shape[1])
        s = index[0]
        for k in range(at.shape[0]):
            add_into(out[s, at[k]], pick(g, k, 1))
    return columns


def store_fancy(y, index, v):
    """In place: `y[index] = v` for an index `add_fancy` takes, as loops (Numba's own store by an index array
    costs seconds of compile time): v (a number, or an array of the part's rank, broadcasting sizes 1; a copy
    when it shares memory with y) stored at each position in turn, so that a repeated position keeps the last
    write, as NumPy does. Other indexes and values: Numba's own store."""


@_overload(store_fancy)
def _store_fancy(y, index, v):
    if not _is_array(y):
        return None
    form = fancy_form(index, y.ndim)
    read_ndim = None if form is None else y.ndim - (1 if isinstance(form[1], numba.types.Integer) else 0)
    if form is None or not (_is_number(v) or _is_array(v, read_ndim)):
        def numba_store(y, index, v):
            y[index] = v
        return numba_store
    p, other = form
    axis = 1 if p == 1 and read_ndim == 2 else 0  # (the axis of v along the positions)

    if y.ndim == 1 or isinstance(other, numba.types.Integer):
        def elements(y, index, v):
            at = positions(index, p, y.shape[p])
            w = _apart_value(y, v, at.shape[0], axis)
            for k in range(at.shape[0]):
                _put(y, index, at[k], pick(w, k, 0))
        return elements

    def parts(y, index, v):
        at = positions(index, p, y.shape[p])
        s = other_item(index, p)
        w = _apart_value(y, v, at.shape[0], axis)
        for k in range(at.shape[0]):
            if p == 0:
                store_into(y[at[k], s], pick(w, k, 0))
            else:
                store_into(y[s, at[k]], pick(w, k, 1))
    return parts


def _apart_value(y, v, n, axis):
    """The value v stored at n positions: checked to broadcast along `axis` (n or 1 entries, else NumPy's
    ValueError), and copied when it shares memory with y."""


@_overload(_apart_value)
def _apart_value_overload(y, v, n, axis):
    if _is_number(v):
        return lambda y, v, n, axis: v

    def checked(y, v, n, axis):
        if v.shape[axis] != n and v.shape[axis] != 1:
            raise ValueError("shape mismatch: the value cannot be broadcast to the indexing result's shape")
        return v if _apart(y, v) else v.copy()
    return checked


def _put(y, index, i, value):
    """y at the position i of the index array in `index` (with the int beside it, for a matrix) = value."""


@_overload(_put)
def _put_overload(y, index, i, value):
    if y.ndim == 1:
        def one(y, index, i, value):
            y[i] = value
        return one
    p, _ = fancy_form(index, y.ndim)
    if p == 0:
        def row(y, index, i, value):
            y[i, checked(index[1], y.shape[1])] = value
        return row

    def column(y, index, i, value):
        y[checked(index[0], y.shape[0]), i] = value
    return column


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

    def take(b, index):  # (loops: Numba's own reads and stores by an index array cost seconds to compile)
        at = positions(index, p, b.shape[p])
        taken = np.zeros(_read_shape(b, index, at.shape[0]))
        n = b.shape[p]
        seen = np.zeros(n, np.bool_)
        for k in range(at.shape[0] - 1, -1, -1):
            i = at[k]
            if not seen[i]:  # (a position written again later keeps zeros: its value was overwritten)
                _take_entry(taken, k, b, index, i)
            seen[i] = True
        for k in range(at.shape[0]):
            _clear_at(b, index, at[k])
        return taken
    return take


def _read_shape(b, index, n):
    """The shape of b[index] when the index array in it has n positions."""


@_overload(_read_shape)
def _read_shape_overload(b, index, n):
    p, other = fancy_form(index, b.ndim)
    if b.ndim == 1 or isinstance(other, numba.types.Integer):
        return lambda b, index, n: (n,)
    if p == 0:
        return lambda b, index, n: (n, b[:, other_item(index, 0)].shape[1])
    return lambda b, index, n: (b[index[0], :].shape[0], n)


def _take_entry(taken, k, b, index, i):
    """taken at position k = b's entries at the index array's position i."""


@_overload(_take_entry)
def _take_entry_overload(taken, k, b, index, i):
    p, other = fancy_form(index, b.ndim)
    if b.ndim == 1:
        return lambda taken, k, b, index, i: _set(taken, k, b[i])
    if isinstance(other, numba.types.Integer):
        if p == 0:
            return lambda taken, k, b, index, i: _set(taken, k, b[i, index[1]])
        return lambda taken, k, b, index, i: _set(taken, k, b[index[0], i])
    if p == 0:
        return lambda taken, k, b, index, i: store_into(taken[k], b[i, other_item(index, 0)])
    return lambda taken, k, b, index, i: store_into(taken[:, k], b[index[0], i])


def _clear_at(b, index, i):
    """b's entries at the index array's position i = 0."""


@_overload(_clear_at)
def _clear_at_overload(b, index, i):
    p, other = fancy_form(index, b.ndim)
    if b.ndim == 1:
        return lambda b, index, i: _set(b, i, 0.0)
    if isinstance(other, numba.types.Integer):
        if p == 0:
            return lambda b, index, i: _set2(b, i, index[1], 0.0)
        return lambda b, index, i: _set2(b, index[0], i, 0.0)
    if p == 0:
        return lambda b, index, i: store_into(b[i, other_item(index, 0)], 0.0)
    return lambda b, index, i: store_into(b[index[0], i], 0.0)


def _set(a, i, v):
    a[i] = v


def _set2(a, i, j, v):
    a[i, j] = v


if numba is not None:
    _set, _set2 = numba.njit(_set), numba.njit(_set2)


def list_slice_vjp(g, x, index):
    """The adjoint of `xs[a:b:c]` of a list of numbers or arrays: a list of zeros like xs's items, g's items
    at the positions the slice read (Python's list slice assignment, of as many items)."""


@_overload(list_slice_vjp)
def _list_slice_vjp(g, x, index):
    if not (_is_list(x) and _is_list(g) and isinstance(index, numba.types.SliceType)):
        return None
    if _is_number(x.dtype) and _is_number(g.dtype):
        def numbers(g, x, index):
            out = [0.0 for _ in range(len(x))]
            start, stop, step = index.indices(len(x))
            for k, i in enumerate(range(start, stop, step)):
                out[i] = g[k]
            return out
        return numbers
    if _is_array(x.dtype) and _is_array(g.dtype, x.dtype.ndim):
        def arrays(g, x, index):
            out = [np.zeros(v.shape) for v in x]
            start, stop, step = index.indices(len(x))
            for k, i in enumerate(range(start, stop, step)):
                out[i] = g[k]
            return out
        return arrays
    return None


# -- tuples of items of several types (`(v, 1.5)`) ------------------------------------------------------------
def _tuple_source(name, params, n, item):
    """`def name(params)` returning the tuple of item(k) (text) for k < n (per length: Numba types a tuple's
    items one by one)."""
    source = f"def {name}({params}):\n    return (" + "".join(item(k) + ", " for k in range(n)) + ")\n"
    namespace = {}
    exec(source, {"zeros_like": _zeros_like(), "add": _add()}, namespace)
    return namespace[name]


def _zeros_like():
    from .jit_runtime import zeros_like
    return zeros_like


def _add():
    from .jit_runtime import add
    return add


def tuple_item_vjp(g, x, index):
    """The typer of getitem_vjp(g, x, k) for a tuple x of items of several types and a constant k: x's
    zeros item by item (zeros_like), g at k; None otherwise (jit_runtime's overload calls it)."""
    k = getattr(index, "literal_value", None)
    if type(k) is not int or not -len(x) <= k < len(x):
        return None
    k %= len(x)
    return _tuple_source("item_vjp", "g, x, index", len(x), lambda i: "g" if i == k else f"zeros_like(x[{i}])")


def tuple_add(a, b):
    """The typer of add(a, b) for tuples of one length: item by item; None otherwise."""
    if isinstance(a, numba.types.BaseTuple) != isinstance(b, numba.types.BaseTuple):
        # (a tuple's adjoint and the list getitem_vjp made of a tuple of numbers' items: a tuple, each item
        # added; lengths checked when it runs)
        t, other = (a, b) if isinstance(a, numba.types.BaseTuple) else (b, a)
        if not (_is_list(other) and _is_number(other.dtype) and all(_is_number(i) for i in t)):
            return None
        n = len(t)
        source = "def add_listed(a, b):\n    if len(a) != len(b):\n        raise ValueError('adjoints of " \
            "different lengths')\n    return (" + "".join(f"add(a[{i}], b[{i}]), " for i in range(n)) + ")\n"
        namespace = {}
        exec(source, {"add": _add()}, namespace)
        return namespace["add_listed"]
    if not (isinstance(a, numba.types.BaseTuple) and isinstance(b, numba.types.BaseTuple) and len(a) == len(b)):
        return None
    return _tuple_source("add_items", "a, b", len(a), lambda i: f"add(a[{i}], b[{i}])")


# -- sums of lists and of rows ---------------------------------------------------------------------------------
def builtin_sum(x):
    """Python's sum(x): of a 2-d array, its rows added in turn (0 + x[0] + x[1] + ...); of a list or tuple of
    arrays, the same; else Numba's builtin sum (numbers). Empty: ValueError (Python's 0 is not the array
    this function gives)."""


@_overload(builtin_sum)
def _builtin_sum(x):
    if _is_array(x, 2) or (_is_list(x) or isinstance(x, numba.types.UniTuple)) and _is_array(x.dtype):
        def rows(x):
            if len(x) == 0:
                raise ValueError("jit=True: sum() of no rows; call ad.grad without jit=True")
            total = 0 + x[0]
            for i in range(1, len(x)):
                total = total + x[i]
            return total
        return rows
    return lambda x: sum(x)


def np_sum(x):
    """np.sum(x) of all of x: of a list or tuple of numbers, of their array (Numba's np.sum takes arrays)."""


@_overload(np_sum)
def _np_sum(x):
    item = _items(x)
    if item is not None and _is_number(item):
        return lambda x: np.sum(array(x))
    return lambda x: np.sum(x)


HELPERS = {"store_fancy", "builtin_sum", "np_sum", "list_slice_vjp", "array", "stack", "unstack_numbers", "fancy_vjp", "fancy_store_adjoint"}
