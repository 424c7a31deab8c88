"""The runtime helpers of `jit=True` derivatives, written in the subset Numba compiles (docs/jit.md).

Generated code reaches them as `_ad.jit.<name>` (runtime.py loads this module when it is first asked for,
so that importing ad_compiler never imports Numba). Each one does, for the numbers and NumPy arrays a
compiled derivative handles, what the helper of the same name in runtime.py does; `HELPERS` lists them.
"""
import numpy as np

try:
    import numba
except ImportError:  # (jit.py reports it, located, when a derivative asks for jit=True)
    numba = None


CHECKED = {"boundscheck": True}  # (indexes checked: h28b-007)


def _njit(fn):
    return numba.njit(cache=False, **CHECKED)(fn) if numba is not None else fn


def njit(fn):
    """The decorator a generated derivative's compiled part carries (`@_ad.jit.njit`). Its indexes are checked
    (`boundscheck`): Numba's unchecked `x[i]` out of bounds read other memory, a value where Python raises
    IndexError, or crashed the process (h28b-007); the helpers check the index arrays they are given."""
    return numba.njit(cache=False, **CHECKED)(fn)


def _abs_number_vjp(g, x):
    if x > 0:
        return g
    if x < 0:
        return -g
    if x == 0:
        return 0.0 * g
    return g * x


_abs_number_vjp = _njit(_abs_number_vjp)


def abs_vjp(g, x, out=None):
    """The adjoint of `x` in abs(x): g * sign(x) (0 at 0; NaN stays NaN); `out` (a buffer the plain helper
    may write into) not used."""


@_njit
def tolist_vjp(g, x):
    """Adjoint of `x.tolist()` (a 1-d array read as a list of numbers, compiled as a copy of the array)."""
    return g


# -- helpers whose code depends on the types of their arguments: a Python stub, and Numba's `overload` of it
# giving the code for the types it is compiled for (numbers, arrays of 1 or 2 dimensions).
def _overload(stub):
    def register(typer):
        if numba is not None:
            numba.extending.overload(stub, jit_options=CHECKED)(typer)
        return stub
    return register


def _is_number(t):
    return isinstance(t, numba.types.Number) or isinstance(t, numba.types.Boolean)


def _is_array(t, ndim=None):
    return isinstance(t, numba.types.Array) and (ndim is None or t.ndim == ndim)


@_overload(abs_vjp)
def _abs_vjp(g, x, out=None):
    if _is_number(g) and _is_number(x):
        return lambda g, x, out=None: _abs_number_vjp(g, x)
    if (_is_number(g) or _is_array(g)) and (_is_number(x) or _is_array(x)):
        return lambda g, x, out=None: g * np.sign(x)
    return None


def unbroadcast(g, x):
    """The adjoint `g` summed down to the shape of `x` (the axes broadcasting added)."""


# Sums along an axis written as loops: Numba's `a.sum(axis=k)` takes about ten times as long to compile
# (seconds per call site), and a derivative's compile time is what its user waits for on the first call.
@_njit
def _rows_sum(g):
    """g.sum(axis=0) of a 2-d array."""
    out = np.zeros(g.shape[1], dtype=g.dtype)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            out[j] += g[i, j]
    return out


@_njit
def _columns_sum(g):
    """g.sum(axis=1) of a 2-d array."""
    out = np.zeros(g.shape[0], dtype=g.dtype)
    for i in range(g.shape[0]):
        total = out[i]
        for j in range(g.shape[1]):
            total += g[i, j]
        out[i] = total
    return out


@_overload(unbroadcast)
def _unbroadcast(g, x):
    if _is_number(x):
        return (lambda g, x: g) if _is_number(g) else (lambda g, x: g.sum())
    if _is_array(x) and _is_number(g):
        return lambda g, x: np.full(x.shape, g)
    if _is_array(x, 1) and _is_array(g, 1):
        def one(g, x):
            if x.shape[0] == 1 and g.shape[0] != 1:
                return np.full(1, g.sum())
            return g
        return one
    if _is_array(x, 1) and _is_array(g, 2):
        def rows(g, x):
            out = _rows_sum(g)
            if x.shape[0] == 1 and out.shape[0] != 1:
                return np.full(1, out.sum())
            return out
        return rows
    if _is_array(x, 2) and _is_array(g, 2):
        def two(g, x):
            out = g
            if x.shape[0] == 1 and out.shape[0] != 1:
                out = _rows_sum(out).reshape((1, out.shape[1]))
            if x.shape[1] == 1 and out.shape[1] != 1:
                out = _columns_sum(out).reshape((out.shape[0], 1))
            return out
        return two
    return None


def broadcast_like(t, like):
    """A tangent `t` with the shape of the value `like` (runtime.broadcast_like)."""


@_overload(broadcast_like)
def _broadcast_like(t, like):
    # (the plain helper gives a read-only broadcast view, which code changing it copies first; here a new array
    # where t must be spread: nothing else holds it)
    if _is_number(like) and _is_number(t):
        return lambda t, like: t
    if _is_array(like) and _is_number(t):
        return lambda t, like: np.full(like.shape, t)
    if _is_array(like) and _is_array(t) and t.ndim == like.ndim:
        def same_rank(t, like):
            if t.shape == like.shape:
                return t
            out = np.empty(like.shape, dtype=t.dtype)
            out[...] = t
            return out
        return same_rank
    if _is_array(like) and _is_array(t) and t.ndim < like.ndim:
        def spread(t, like):
            out = np.empty(like.shape, dtype=t.dtype)
            out[...] = t
            return out
        return spread
    return None  # (another rank: a typing error at the user's line)


HELPERS_BROADCAST = {"broadcast_like"}


def _no_axis(t):
    return t is None or isinstance(t, (numba.types.NoneType, numba.types.Omitted))


def unreduce(g, x, axis=None, keepdims=False):
    """Adjoint of a sum of all of `x`: `g` spread over x's shape."""


def _along_axis(g, x, axis, mean):
    """The adjoint of a sum (a mean) of the array `x` along the int `axis`: `g` (of the reduced shape, or with
    the dimension kept) spread over x's shape (divided by the axis's length), or None."""
    if not (isinstance(axis, (numba.types.Integer, numba.types.IntegerLiteral)) and _is_array(x)):
        return None
    if _is_number(g) and x.ndim == 1:
        if mean:
            return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g / x.shape[0])
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g)
    if not (_is_array(g, x.ndim - 1) or _is_array(g, x.ndim)):
        return None
    kept = g.ndim == x.ndim
    if x.ndim == 2 and g.dtype == numba.types.float64:  # (a matrix: loops giving the values
        if kept:                                          # `np.zeros(x.shape) + g` gives, compiled in a third
            def entry(g, i, j, a):                        # of the time)
                return g[0, j] if a == 0 else g[i, 0]
        else:
            def entry(g, i, j, a):
                return g[j] if a == 0 else g[i]
        entry = numba.njit(entry)

        def spread(g, x, axis=None, keepdims=False):
            n0, n1 = x.shape
            a = axis + 2 if axis < 0 else axis
            out = np.empty((n0, n1))
            for i in range(n0):
                for j in range(n1):
                    out[i, j] = 0.0 + (entry(g, i, j, a) / x.shape[a] if mean else entry(g, i, j, a))
            return out
        return spread
    if mean:
        return lambda g, x, axis=None, keepdims=False: np.zeros(x.shape) + \
            (g if kept else np.expand_dims(g, axis)) / x.shape[axis]
    return lambda g, x, axis=None, keepdims=False: np.zeros(x.shape) + (g if kept else np.expand_dims(g, axis))


@_overload(unreduce)
def _unreduce(g, x, axis=None, keepdims=False):
    if not _no_axis(axis):
        return _along_axis(g, x, axis, False)
    if _is_number(x):
        return lambda g, x, axis=None, keepdims=False: g
    if _is_array(x) and _is_number(g):
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g)
    if _is_list(x) and _is_number(x.dtype) and _is_number(g):  # (np.sum of a list of numbers: as the plain
        return lambda g, x, axis=None, keepdims=False: np.full(len(x), g)  # helper, an array of its length)
    return None


def unreduce_mean(g, x, axis=None, keepdims=False):
    """Adjoint of a mean of all of `x`: `g / x.size` spread over x's shape."""


@_overload(unreduce_mean)
def _unreduce_mean(g, x, axis=None, keepdims=False):
    if not _no_axis(axis):
        return _along_axis(g, x, axis, True)
    if _is_number(x):
        return lambda g, x, axis=None, keepdims=False: g
    if _is_array(x) and _is_number(g):
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g / x.size)
    return None


def cast_like(g, x):
    """The adjoint `g` of a conversion of `x` (float(x), np.array(x)) given back in x's form."""


@_overload(cast_like)
def _cast_like(g, x):
    if _is_number(x):
        return (lambda g, x: g) if _is_number(g) else (lambda g, x: g.sum())
    items = _fancy._items(x)
    if items is not None and _is_array(g) and g.ndim >= 1:  # (np.array([a, b]): a list of g's entries)
        if _is_number(items):
            return lambda g, x: unstack_numbers(g, x)
        if _is_array(items, g.ndim - 1):
            return lambda g, x: [g[i] for i in range(len(x))]
        return None
    return lambda g, x: g


def add(a, b):
    """The sum of two adjoints."""


@_overload(add)
def _add(a, b):
    if isinstance(a, numba.types.BaseTuple) or isinstance(b, numba.types.BaseTuple):  # (item by item too:
        return _fancy.tuple_add(a, b)  # Python's + would join them)
    if _is_list(a) or _is_list(b):  # (adjoints of lists add item by item; Python's + would join them)
        if not (_is_list(a) and _is_list(b) and (_is_number(a.dtype) or _is_array(a.dtype) or
                                                  isinstance(a.dtype, numba.types.BaseTuple))):
            return None

        def items(a, b):
            if len(a) != len(b):
                raise ValueError("adjoints of lists of different lengths")
            return [add(a[i], b[i]) for i in range(len(a))]
        return items
    return lambda a, b: a + b


def sum_product(a, b, like):
    """unbroadcast(a * b, like): a number's share of an elementwise operation (runtime.sum_product)."""


@_overload(sum_product)
def _sum_product(a, b, like):
    if _is_number(like) and _is_array(a) and _is_array(b):
        return lambda a, b, like: (a * b).sum()
    return lambda a, b, like: unbroadcast(a * b, like)


def builtin_extreme_vjp(g, args, ans):
    """Adjoint of the builtins max(a, b, ...) / min(a, b, ...) of numbers, of one tuple of numbers or of one
    vector: the winners share g."""


@_overload(builtin_extreme_vjp)
def _builtin_extreme_vjp(g, args, ans):
    if isinstance(args, numba.types.UniTuple) and len(args) == 1 and _is_array(args[0], 1):
        return lambda g, args, ans: _tuples.extreme_items_vjp(g, args, ans)  # (max(x) of a vector's entries)
    # (of numbers, max(a, b, c), or of one tuple of numbers, min((a, b, 2.0)): jit_runtime_tangents)
    return lambda g, args, ans: _tangents.builtin_extreme_vjp_numbers(g, args, ans)


def zeros_like(x):
    """Float zeros shaped like `x` (0.0 for a number)."""


@_overload(zeros_like)
def _zeros_like(x):
    if _is_number(x):
        return lambda x: 0.0
    if _is_array(x):
        return lambda x: np.zeros(x.shape)
    if isinstance(x, numba.types.BaseTuple):
        return lambda x: _tuples.tuple_zeros(x)
    if _is_list(x) and _is_number(x.dtype):
        return lambda x: [0.0 for _ in range(len(x))]
    if _is_list(x) and _is_array(x.dtype):
        return lambda x: [np.zeros(v.shape) for v in x]
    return None


def _is_list(t):
    return isinstance(t, numba.types.List)


def _int_list(t):
    """A list of ints or bools used as an index (NumPy reads it as an array)."""
    return _is_list(t) and isinstance(t.dtype, (numba.types.Integer, numba.types.Boolean))


def _basic_index(t):
    """An index whose store writes each element at most once (so that `+=` adds up as np.add.at does)."""
    items = t.types if isinstance(t, numba.types.BaseTuple) else (t,)
    return all(isinstance(i, (numba.types.Integer, numba.types.SliceType)) for i in items)


def _view_index(t, ndim):
    """Does a basic index of an array of `ndim` dimensions give a view (a slice, or fewer ints than
    dimensions), whose array stores go through store_into / add_into (compiled as loops)?"""
    items = t.types if isinstance(t, numba.types.BaseTuple) else (t,)
    return any(isinstance(i, numba.types.SliceType) for i in items) or len(items) < ndim


def getitem_vjp(g, x, index):
    """Adjoint of `x[index]` for an array `x` and a basic index: zeros of x's shape, `g` at `index`."""


@_overload(getitem_vjp)
def _getitem_vjp(g, x, index):
    if _is_array(x) and _indices.coordinates_type(index, x.ndim):  # (an index array per axis)
        return lambda g, x, index: _indices.coordinates_vjp(g, x, index)
    if isinstance(x, numba.types.BaseTuple) and not isinstance(x, numba.types.UniTuple):
        return _fancy.tuple_item_vjp(g, x, index)  # (of `t[1]` for a tuple of items of several types)
    if (_is_list(x) or isinstance(x, numba.types.UniTuple)) and isinstance(x.dtype, numba.types.BaseTuple):
        return lambda g, x, index: _tuples.items_vjp(g, x, index)  # (of `ps[i]` for a list of tuples)
    if (_is_list(x) or isinstance(x, numba.types.UniTuple)) and isinstance(index, numba.types.Integer):
        # (of `xs[i]` for a list or tuple of numbers or of arrays: a list of zeros, g at i, as the plain helper)
        if _is_number(x.dtype) and _is_number(g):
            def numbers(g, x, index):
                out = [0.0 for _ in range(len(x))]
                out[index] = g
                return out
            return numbers
        if _is_array(x.dtype) and _is_array(g, x.dtype.ndim):
            def arrays(g, x, index):
                out = [np.zeros(v.shape) for v in x]
                out[index] = g
                return out
            return arrays
        return None
    if _is_list(x) and _is_list(g) and isinstance(index, numba.types.SliceType):
        return lambda g, x, index: list_slice_vjp(g, x, index)  # (of `xs[a:b]`: zeros, g's items at the slice)
    if _is_array(x) and not _basic_index(index) and _fancy.fancy_form(index, x.ndim) is not None:
        return lambda g, x, index: fancy_vjp(g, x, index)  # (an index array: jit_runtime_fancy)
    if _is_array(x) and _int_list(index):  # (`x[[2, 0, 1]]`: the index as the array NumPy reads it as)
        return lambda g, x, index: fancy_vjp(g, x, np.array(index))
    if _is_array(x) and _basic_index(index):
        if _view_index(index, x.ndim):
            def part(g, x, index):
                out = np.zeros(x.shape)
                store_into(out[index], g)
                return out
            return part

        def store(g, x, index):
            out = np.zeros(x.shape)
            out[index] = g
            return out
        return store
    return None


def getitem_vjp_into(g, x, index, out):
    """getitem_vjp(g, x, index) made in `out` (an array made for this call only, which the compiled function
    fills with the gradient: jit_reuse.into_out) when out is float64 of x's shape; new zeros otherwise."""


@_overload(getitem_vjp_into)
def _getitem_vjp_into(g, x, index, out):
    if _is_array(x) and _indices.coordinates_type(index, x.ndim):  # (an index array per axis: new zeros)
        return lambda g, x, index, out: _indices.coordinates_vjp(g, x, index)
    if _is_array(x) and _int_list(index):
        return lambda g, x, index, out: fancy_vjp(g, x, np.array(index))
    if _is_array(x) and not _basic_index(index) and _fancy.fancy_form(index, x.ndim) is not None:
        if _is_array(out, x.ndim) and out.dtype == numba.types.float64 and out.layout == "C" and out.mutable:
            def fancy_into(g, x, index, out):
                zeros = out if out.shape == x.shape else np.zeros(x.shape)
                zeros[...] = 0.0
                add_fancy(zeros, index, g)
                return zeros
            return fancy_into
        return lambda g, x, index, out: fancy_vjp(g, x, index)
    if not (_is_array(x) and _basic_index(index)):
        return None
    if _view_index(index, x.ndim):
        def part(g, x, index, out):
            zeros = out if out.shape == x.shape else np.zeros(x.shape)
            zeros[...] = 0.0
            store_into(zeros[index], g)
            return zeros
        if _is_array(out, x.ndim) and out.dtype == numba.types.float64 and out.layout == "C" and out.mutable:
            return part
    if _is_array(out, x.ndim) and out.dtype == numba.types.float64 and out.layout == "C" and out.mutable:
        def into(g, x, index, out):
            if out.shape == x.shape:
                out[...] = 0.0
                out[index] = g
                return out
            zeros = np.zeros(x.shape)
            zeros[index] = g
            return zeros
        return into

    def store(g, x, index, out):
        zeros = np.zeros(x.shape)
        zeros[index] = g
        return zeros
    return store


def transpose_vjp(g, axes=None):
    """Adjoint of np.transpose(x, axes) for x of one or two dimensions (a permutation of two axes is its own
    inverse): g transposed back."""


@_overload(transpose_vjp)
def _transpose_vjp(g, axes=None):
    if not _is_array(g) or g.ndim > 2:
        return None
    if axes is None or isinstance(axes, (numba.types.Omitted, numba.types.NoneType)):
        return lambda g, axes=None: np.transpose(g)
    if isinstance(axes, numba.types.UniTuple) and isinstance(axes.dtype, numba.types.Integer) and \
            axes.count == g.ndim:
        return lambda g, axes=None: np.transpose(g, axes)
    return None


def add_at(b, index, g):
    """In place: add `g` into `b[index]` (a basic index)."""


@_overload(add_at)
def _add_at(b, index, g):
    if _is_array(b) and _indices.coordinates_type(index, b.ndim):  # (an index array per axis)
        return lambda b, index, g: _indices.coordinates_add(b, index, g)
    if _is_list(b) and isinstance(index, numba.types.Integer):
        def entry(b, index, g):
            b[index] = add(b[index], g)  # (item by item for tuples: + would join them)
        return entry
    if _is_list(b) and _is_list(g) and isinstance(index, numba.types.SliceType):
        def entries(b, index, g):  # (`b[a:c] = add(b[a:c], g)`: item by item, of as many items)
            start, stop, step = index.indices(len(b))
            for k, i in enumerate(range(start, stop, step)):
                b[i] = b[i] + g[k]
        return entries
    if _is_array(b) and not _basic_index(index) and _fancy.fancy_form(index, b.ndim) is not None:
        return lambda b, index, g: add_fancy(b, index, g)
    if _is_array(b) and _int_list(index):
        return lambda b, index, g: add_fancy(b, np.array(index), g)
    if _is_array(b) and _basic_index(index):
        if _view_index(index, b.ndim):
            return lambda b, index, g: add_into(b[index], g)

        def store(b, index, g):
            b[index] += g
        return store
    return None


def grad_seed(out):
    """The seed of `grad`: 1.0 for a number (another output does not compile)."""


@_overload(grad_seed)
def _grad_seed(out):
    if _is_number(out):
        return lambda out: 1.0
    return None


def private_copy(x):
    """A copy of an argument the function changes in place (an array), the number itself otherwise."""


@_overload(private_copy)
def _private_copy(x):
    if _is_array(x):
        return lambda x: x.copy()
    if _is_number(x):
        return lambda x: x
    return None


def reduce_extreme_vjp(g, x, ans, axis=None, keepdims=False):
    """Adjoint of max/min of all of `x`: `g` to the extreme entries, shared equally on ties."""


@_overload(reduce_extreme_vjp)
def _reduce_extreme_vjp(g, x, ans, axis=None, keepdims=False):
    if not _no_axis(axis):
        return None
    if _is_number(x):
        return lambda g, x, ans, axis=None, keepdims=False: g
    if _is_array(x) and _is_number(g):
        def share(g, x, ans, axis=None, keepdims=False):
            mask = x == ans
            return g * mask / max(mask.sum(), 1)
        return share
    return None


def np_copy(x):
    """A copy of `x` (an array; a number is itself) saved on the tape before a store overwrites it."""


@_overload(np_copy)
def _np_copy(x):
    if _is_array(x):
        return lambda x: x.copy()
    if _is_number(x):
        return lambda x: x
    return None


def owned_copy(b, x):
    """A fresh float array holding the adjoint `b` spread to x's shape (the number itself for a number x),
    safe to change in place."""


@_overload(owned_copy)
def _owned_copy(b, x):
    if _is_list(b) and _is_list(x):  # (a list adjoint: a new list of the same entries)
        return lambda b, x: list(b)
    if isinstance(b, numba.types.BaseTuple) and isinstance(x, numba.types.BaseTuple):  # (a tuple cannot change:
        return lambda b, x: b  # jit_rebind.py rebinds it where the plain code changes its list)
    if _is_number(x) and _is_number(b):
        return lambda b, x: b
    if _is_array(x) and (_is_number(b) or _is_array(b)):
        return lambda b, x: np.zeros(x.shape) + b
    return None


def entry_or_zeros(taken, value):
    """The adjoint an attribute store gets back from its object's adjoint: the entry taken. Reached only where
    jit_dicts split the adjoint into a name per attribute, each bound to a number or an array (the plain
    helper's None, an attribute missing from the adjoint, never happens there); anything else: not compiled."""


@_overload(entry_or_zeros)
def _entry_or_zeros(taken, value):
    if _is_array(taken) and _is_array(value):
        if taken.ndim != value.ndim:
            return None

        def checked(taken, value):  # (zeros of another shape: those a later store into the slot left, g4-010)
            if taken.shape != value.shape and not np.any(taken):
                return np.zeros(value.shape, dtype=taken.dtype)
            return taken
        return checked
    if _is_number(taken) and _is_array(value):  # (an entry missing from the adjoint, held as 0.0: jit_dicts)
        return lambda taken, value: np.zeros(value.shape) + taken
    if _is_number(taken) or _is_array(taken) or \
            isinstance(taken, numba.types.BaseTuple) and type(taken) is type(value) and len(taken) == len(value):
        return lambda taken, value: taken  # (a literal's items' adjoints: of their own structure where Numba
    return None                            # types them alike; another structure is no type Numba unifies)


def pop_item(b, index):
    """Adjoint of `y[index] = v`: a copy of b[index] (a basic index: each element written once), which is
    then cleared in b (those elements were overwritten)."""


@_overload(pop_item)
def _pop_item(b, index):
    if _is_array(b) and _indices.coordinates_type(index, b.ndim):  # (an index array per axis)
        return lambda b, index: _indices.coordinates_pop(b, index)
    if _is_array(b) and isinstance(index, numba.types.EllipsisType):  # (`y[...] = v`: all of it)
        def everything(b, index):
            taken = b.copy()
            b.fill(0.0)
            return taken
        return everything
    if _is_array(b) and (_basic_index(index) or _is_array(index, b.ndim) and
                         isinstance(index.dtype, numba.types.Boolean)):
        def take(b, index):
            taken = np_copy(b[index])
            b[index] = 0.0
            return taken
        return take
    if _is_array(b) and _fancy.fancy_form(index, b.ndim) is not None:  # (by an index array: the last write)
        return lambda b, index: fancy_store_adjoint(b, index)
    if _is_array(b) and _int_list(index):
        return lambda b, index: fancy_store_adjoint(b, np.array(index))
    if _is_list(b) and isinstance(index, numba.types.Integer) and \
            (_is_number(b.dtype) or _is_array(b.dtype) or isinstance(b.dtype, numba.types.BaseTuple)):
        def entry(b, index):  # (a list adjoint's entry: taken, zeros of its shape put there)
            taken = b[index]
            b[index] = zeros_like(taken)
            return taken
        return entry
    return None


def stored_vjp(g, value, target):
    """What the value stored by `target[i] = value` gets back: `g` summed to the value's shape, or zeros when
    the target holds integers or booleans (NumPy truncates what it stores)."""


@_overload(stored_vjp)
def _stored_vjp(g, value, target):
    if _is_array(target) and not isinstance(target.dtype, numba.types.Float):
        return lambda g, value, target: zeros_like(value)
    return lambda g, value, target: unbroadcast(g, value)


def clip(a, a_min, a_max):
    """np.clip for numbers too (Numba's takes arrays only): min(max(a, a_min), a_max), NaN kept, a bound of
    None no bound."""


@_overload(clip)
def _clip(a, a_min, a_max):
    low, high = not _no_axis(a_min), not _no_axis(a_max)
    if _is_number(a):
        def number(a, a_min, a_max):
            r = a
            if low and r < a_min:
                r = a_min
            if high and r > a_max:
                r = a_max
            return r
        return number
    if _is_array(a) and low and high:
        return lambda a, a_min, a_max: np.clip(a, a_min, a_max)
    if _is_array(a) and low:
        return lambda a, a_min, a_max: np.maximum(a, a_min)
    if _is_array(a) and high:
        return lambda a, a_min, a_max: np.minimum(a, a_max)
    return None


def inside(a, a_min=None, a_max=None):
    """1.0 where `a` lies within [a_min, a_max] (a bound of None is no bound), else 0.0: clip's derivative."""


@_overload(inside)
def _inside(a, a_min=None, a_max=None):
    low, high = not _no_axis(a_min), not _no_axis(a_max)
    if _is_number(a):
        def number(a, a_min=None, a_max=None):
            ok = a == a  # (NaN: 0, as the plain helper's mask)
            if low:
                ok = ok and a >= a_min
            if high:
                ok = ok and a <= a_max
            if low and high:
                ok = ok and a_min < a_max  # (equal bounds: the upper one's, sig25-001)
            return 1.0 if ok else 0.0
        return number
    if _is_array(a):
        def array(a, a_min=None, a_max=None):
            out = np.ones(a.shape)
            if low:
                out = out * (a >= a_min)
            if high:
                out = out * (a <= a_max)
            if low and high:
                out = out * (a_min < a_max)
            return out
        return array
    return None


def clip_low(a, a_min, a_max=None):
    """Where np.clip takes its value from a_min (runtime.clip_low)."""


@_overload(clip_low)
def _clip_low(a, a_min, a_max=None):
    high = not _no_axis(a_max)
    if _is_number(a) or _is_array(a):
        def low(a, a_min, a_max=None):
            if high:
                return (a < a_min) & (a_min < a_max)
            return a < a_min
        return low
    return None


def clip_high(a, a_min, a_max):
    """Where np.clip takes its value from a_max (runtime.clip_high)."""


@_overload(clip_high)
def _clip_high(a, a_min, a_max):
    low = not _no_axis(a_min)
    if _is_number(a) or _is_array(a):
        def high(a, a_min, a_max):
            if low:
                return (a > a_max) | (a_min >= a_max)
            return a > a_max
        return high
    return None


def where_vjp(g, condition, first=True, out=None):
    """The adjoint of the first (second) operand of np.where(condition, x, y): `g` where the condition holds
    (does not hold), 0 elsewhere."""


@_overload(where_vjp)
def _where_vjp(g, condition, first=True, out=None):
    def pick(g, condition, first=True, out=None):
        if first:
            return np.where(condition, g, 0.0)
        return np.where(condition, 0.0, g)
    return pick


def max_vjp(g, a, b, out=None):
    """The adjoint of `a` in maximum(a, b): `g` where a > b, half of it on ties, 0 elsewhere."""


@_overload(max_vjp)
def _max_vjp(g, a, b, out=None):
    if _is_number(a) and _is_number(b):
        def numbers(g, a, b, out=None):
            if a > b:
                return g
            return 0.5 * g if a == b else 0.0 * g
        return numbers
    return lambda g, a, b, out=None: g * ((a > b) + 0.5 * (a == b))


def min_vjp(g, a, b, out=None):
    """The adjoint of `a` in minimum(a, b): `g` where a < b, half of it on ties, 0 elsewhere."""


@_overload(min_vjp)
def _min_vjp(g, a, b, out=None):
    return lambda g, a, b, out=None: max_vjp(g, b, a)


def sum_vjp(g, items):
    """Adjoint of the builtin `sum(items)`: every item receives g (an array's rows, for an array)."""


@_overload(sum_vjp)
def _sum_vjp(g, items):
    if _is_array(items) and items.ndim >= 1:
        return lambda g, items: np.zeros(items.shape) + g
    if _is_list(items):
        return lambda g, items: [unbroadcast(g, item) for item in items]
    return None


def cast_vjp(g, x, dtype=None):
    """Adjoint of `np.array(x)` / `np.copy(x)` / `np.asarray(x)` (no dtype): the adjoint in x's form."""


@_overload(cast_vjp)
def _cast_vjp(g, x, dtype=None):
    kind = _dtype_kind(dtype)
    if _no_axis(dtype) or kind == "f":
        return lambda g, x, dtype=None: cast_like(g, x)
    if kind in ("i", "b"):  # (to ints or bools: piecewise constant, zeros as the plain helper)
        return lambda g, x, dtype=None: zeros_like(x)
    return None


def _dtype_kind(t):
    """'f', 'i' or 'b' for a dtype argument given as a NumPy scalar type, an array's `.dtype` or Python's
    float / int / bool."""
    if isinstance(t, (numba.types.NumberClass, numba.types.DType)):
        t = t.instance_type if isinstance(t, numba.types.NumberClass) else t.dtype
        return "b" if isinstance(t, numba.types.Boolean) else "i" if isinstance(t, numba.types.Integer) else \
            "f" if isinstance(t, numba.types.Float) else None
    key = getattr(t, "typing_key", None)
    return {float: "f", int: "i", bool: "b"}.get(key) if isinstance(key, type) else None


def matmul_vjp_a(g, a, b):
    """Adjoint of `a` in `a @ b` (vectors and matrices)."""


def matmul_vjp_b(g, a, b):
    """Adjoint of `b` in `a @ b` (vectors and matrices)."""


def _product_vjp(first):
    """The adjoint of one factor of `a @ b` or np.dot(a, b) for numbers, vectors and matrices."""
    def typer(g, a, b):
        if _is_number(a) or _is_number(b):  # (np.dot with a number: a product)
            return (lambda g, a, b: unbroadcast(g * b, a)) if first else (lambda g, a, b: unbroadcast(g * a, b))
        if not (_is_array(a) and _is_array(b) and a.ndim in (1, 2) and b.ndim in (1, 2)):
            return None
        if first:
            if a.ndim == 1 and b.ndim == 1:
                return lambda g, a, b: g * b
            if a.ndim == 2 and b.ndim == 1:
                return lambda g, a, b: np.outer(g, b)
            if a.ndim == 1:
                return lambda g, a, b: np.dot(b, g)
            return lambda g, a, b: np.dot(g, b.T)
        if a.ndim == 1 and b.ndim == 1:
            return lambda g, a, b: g * a
        if a.ndim == 1:
            return lambda g, a, b: np.outer(a, g)
        if b.ndim == 1:
            return lambda g, a, b: np.dot(g, a)
        return lambda g, a, b: np.dot(a.T, g)
    return typer


_overload(matmul_vjp_a)(_product_vjp(True))
_overload(matmul_vjp_b)(_product_vjp(False))


def dot_vjp_a(g, a, b):
    """Adjoint of `a` in np.dot(a, b) (numbers, vectors and matrices)."""


def dot_vjp_b(g, a, b):
    """Adjoint of `b` in np.dot(a, b) (numbers, vectors and matrices)."""


_overload(dot_vjp_a)(_product_vjp(True))
_overload(dot_vjp_b)(_product_vjp(False))


def stored_jvp(t, target):
    """The tangent `target[i] = value` stores: the value's, 0 into an array of integers or booleans."""


@_overload(stored_jvp)
def _stored_jvp(t, target):
    if _is_array(target) and not isinstance(target.dtype, numba.types.Float):
        return lambda t, target: 0.0
    return lambda t, target: t


def vjp_seed(seed, out):
    """The seed of `vjp` checked against the output's shape and copied as floats (the gradients never share
    memory with the caller's seed)."""


@_overload(vjp_seed)
def _vjp_seed(seed, out):
    if _is_number(seed) and _is_number(out):
        return lambda seed, out: float(seed)
    if _is_array(seed) and _is_array(out, seed.ndim):
        def check(seed, out):
            if seed.shape != out.shape:
                raise ValueError("the seed's shape is not the output's")
            return seed.astype(np.float64)
        return check
    return None


def as_tangent(t, x):
    """The tangent a caller passes for the argument `x`: a float for a number, a float array of x's shape
    (a number spread to it)."""


@_overload(as_tangent)
def _as_tangent(t, x):
    if isinstance(x, numba.types.Boolean) and _is_number(t):  # (a bool has no derivative: its tangent is 0)
        return lambda t, x: 0.0
    if _is_array(x) and isinstance(x.dtype, numba.types.Boolean) and (_is_number(t) or _is_array(t, x.ndim)):
        return lambda t, x: np.zeros(x.shape)
    if _is_number(x) and _is_number(t):
        return lambda t, x: float(t)
    if _is_number(x) and isinstance(t, numba.types.Array) and t.ndim == 0 and \
            isinstance(t.dtype, (numba.types.Float, numba.types.Integer)):
        return lambda t, x: float(t.sum())  # (a 0-d tangent of a 0-d argument passed as its number, j12-010)
    if _is_array(x) and _is_number(t):
        return lambda t, x: np.full(x.shape, float(t))
    if _is_array(x) and _is_array(t, x.ndim):
        def check(t, x):
            if t.shape != x.shape:
                raise ValueError("the tangent's shape is not the argument's")
            return t.astype(np.float64)
        return check
    return None


def tangent_out(t, out):
    """The tangent of the function's value in the value's form: a float for a number, an array of its
    shape (a number spread to it)."""


@_overload(tangent_out)
def _tangent_out(t, out):
    if _is_number(out) and _is_number(t):
        return lambda t, out: float(t)
    if _is_array(out) and (_is_number(t) or _is_array(t)):
        return lambda t, out: np.zeros(out.shape) + t
    return None


def rule_adjoint(b, x):
    """The adjoint a user's rule gives a parameter, checked: x's shape (runtime.rule_adjoint, m25-003)."""


@_overload(rule_adjoint)
def _rule_adjoint(b, x):
    if _is_number(b) and _is_number(x):
        return lambda b, x: b
    if _is_array(b) and _is_array(x, b.ndim):
        def same(b, x):
            if b.shape != x.shape:
                raise ValueError("a derivative rule of yours gives an adjoint of another shape than its parameter's")
            return b
        return same
    return None  # (a number for an array, or another rank: a typing error, mapped to the rule's line)


# runtime helpers with a version here
HELPERS = {"rule_adjoint", "abs_vjp", "getitem_vjp", "add_at", "tolist_vjp", "unbroadcast", "unreduce", "unreduce_mean",
           "cast_like", "add", "builtin_extreme_vjp", "grad_seed",
           "zeros_like", "private_copy", "reduce_extreme_vjp", "np_copy", "owned_copy", "pop_item", "stored_vjp",
           "stored_jvp", "vjp_seed", "inside", "clip_low", "clip_high", "where_vjp", "max_vjp", "min_vjp", "sum_vjp",
           "cast_vjp", "matmul_vjp_a", "matmul_vjp_b", "dot_vjp_a", "dot_vjp_b", "as_tangent", "tangent_out",
           "sum_product", "split_along", "unstack", "transpose_vjp", "entry_or_zeros",
           "stack_family_vjp"}


def as_grad(g, x):
    """The gradient `g` of the float64 array `x` (one or two dimensions) with x's shape, writeable
    (runtime.as_grad's job, done in the compiled function so that the wrapper's as_grad has nothing left to
    do: jit.direct). Written as loops: np.broadcast_to added a third of a second to Numba's compile."""


@_overload(as_grad)
def _as_grad(g, x):
    f64 = numba.types.float64
    if _is_array(x) and x.ndim in (1, 2) and _is_array(g, x.ndim) and x.dtype == f64 and g.dtype == f64:
        readonly = not g.mutable
        if x.ndim == 1:
            def same1(g, x):
                if g.shape == x.shape and not readonly:
                    return g
                n, m = x.shape[0], g.shape[0]
                if m != n and m != 1:
                    raise ValueError("the gradient's shape does not broadcast to the argument's")
                out = np.empty(n)
                for i in range(n):
                    out[i] = g[i if m == n else 0]
                return out
            return same1

        def same2(g, x):
            if g.shape == x.shape and not readonly:
                return g
            n0, n1, m0, m1 = x.shape[0], x.shape[1], g.shape[0], g.shape[1]
            if (m0 != n0 and m0 != 1) or (m1 != n1 and m1 != 1):
                raise ValueError("the gradient's shape does not broadcast to the argument's")
            out = np.empty((n0, n1))
            for i in range(n0):
                for j in range(n1):
                    out[i, j] = g[i if m0 == n0 else 0, j if m1 == n1 else 0]
            return out
        return same2

    def unchanged(g, x):
        return g
    return unchanged


def grad_array(x):
    """The gradient's array of the float array `x`, for the compiled function to fill (`grad_into`): x's shape
    and dtype, C order, what runtime.as_grad makes (plain Python, run in the wrapper)."""
    return np.empty(x.shape, x.dtype)


def grad_into(g, out):
    """In place: `out[...] = g` (g a number or an array broadcasting to out's shape, as runtime.as_grad
    broadcasts a gradient to its argument's; the real part of a complex g); returns None."""


@_overload(grad_into)
def _grad_into(g, out):
    if not _is_array(out) or out.ndim not in (1, 2):
        return None
    complex_ = isinstance(getattr(g, "dtype", g), numba.types.Complex)
    if _is_number(g):
        def fill(g, out):
            v = g.real if complex_ else g
            for i in np.ndindex(out.shape):
                out[i] = v
        return fill
    if not _is_array(g) or g.ndim > out.ndim:
        return None
    if g.ndim == 0:
        def fill0(g, out):
            v = g[()]
            for i in np.ndindex(out.shape):
                out[i] = v.real if complex_ else v
        return fill0
    if out.ndim == 1:
        def into1(g, out):
            n, m = out.shape[0], g.shape[0]
            if m != n and m != 1:
                raise ValueError("the gradient's shape does not broadcast to the argument's")
            for i in range(n):
                v = g[i if m == n else 0]
                out[i] = v.real if complex_ else v
        return into1
    if g.ndim == 1:
        def into21(g, out):
            n0, n1, m1 = out.shape[0], out.shape[1], g.shape[0]
            if m1 != n1 and m1 != 1:
                raise ValueError("the gradient's shape does not broadcast to the argument's")
            for i in range(n0):
                for j in range(n1):
                    v = g[j if m1 == n1 else 0]
                    out[i, j] = v.real if complex_ else v
        return into21

    def into2(g, out):
        n0, n1, m0, m1 = out.shape[0], out.shape[1], g.shape[0], g.shape[1]
        if (m0 != n0 and m0 != 1) or (m1 != n1 and m1 != 1):
            raise ValueError("the gradient's shape does not broadcast to the argument's")
        for i in range(n0):
            for j in range(n1):
                v = g[i if m0 == n0 else 0, j if m1 == n1 else 0]
                out[i, j] = v.real if complex_ else v
    return into2


def split_along(g, pieces, axis=0):
    """Adjoint of np.concatenate(pieces, axis) (jit_lower makes `pieces` a tuple of arrays; `axis` a
    constant): the slices of `g` shaped like the pieces, as a tuple."""


def _unrolled(name, params, n, item, pieces, axis):
    """The source of `def name(params)` returning the tuple of `item(k)` (text) for k < n, after the ends
    `hi0, hi1, ...` of the pieces of the tuple parameter `pieces` along `axis` (Numba compiles it as an
    overload's code: the tuple's length is known from its type)."""
    source = f"def {name}({params}):\n    lo = 0\n"
    for k in range(n):
        source += f"    hi{k} = lo + {pieces}[{k}].shape[{axis}]\n    lo = hi{k}\n"
    source += "    return (" + ", ".join(item(k) for k in range(n)) + ",)\n"
    namespace = {}
    exec(source, {"np": np}, namespace)
    return namespace[name]


def _tuple_of_arrays(t):
    return isinstance(t, numba.types.BaseTuple) and len(t) > 0 and all(_is_array(i) for i in t)


def _constant_axis(axis, ndim):
    """The axis (0 <= axis < ndim) an overload's `axis` argument gives as a constant, else None (Numba then
    tries again with the constant's literal type: `prefer_literal`)."""
    if axis is None or isinstance(axis, (numba.types.Omitted, numba.types.NoneType)):
        value = getattr(axis, "value", 0)
        value = 0 if value is None else value
    elif isinstance(axis, numba.types.IntegerLiteral):
        value = axis.literal_value
    elif type(axis) is int:  # (not given: the typer's own default)
        value = axis
    else:
        return None
    return value % ndim if -ndim <= value < ndim else None


def _overload_literal(stub):
    def register(typer):
        if numba is not None:
            numba.extending.overload(stub, prefer_literal=True, jit_options=CHECKED)(typer)
        return stub
    return register


@_overload_literal(split_along)
def _split_along(g, pieces, axis=0):
    if not (_is_array(g) and g.ndim >= 1 and _tuple_of_arrays(pieces)):
        return None
    a = _constant_axis(axis, g.ndim)
    if a is None:
        return None
    return _unrolled("split", "g, pieces, axis=0", len(pieces),
                     lambda k: f"g[{':, ' * a}{'0' if k == 0 else f'hi{k - 1}'}:hi{k}]", "pieces", a)


def unstack(g, axis, arrays):
    """Adjoint of np.stack(arrays, axis) (a tuple of arrays; `axis` a constant): the slices of `g` at each
    index along axis, copied (as np.take gives them), as a tuple."""


@_overload_literal(unstack)
def _unstack(g, axis, arrays):
    items = _fancy._items(arrays)
    if _is_array(g, 1) and items is not None and _is_number(items):  # (np.stack of numbers: their entries)
        return lambda g, axis, arrays: unstack_numbers(g, arrays)
    if _is_array(g, 2) and _is_list(arrays) and _is_array(arrays.dtype, 1):  # (a list of 1-d arrays)
        a = _constant_axis(axis, 2)
        if a == 0:
            return lambda g, axis, arrays: [g[i].copy() for i in range(len(arrays))]
        if a == 1:
            return lambda g, axis, arrays: [g[:, i].copy() for i in range(len(arrays))]
        return None
    if not (_is_array(g) and g.ndim >= 1 and _tuple_of_arrays(arrays)):
        return None
    a = _constant_axis(axis, g.ndim)
    if a is None:
        return None
    return _unrolled("rows", "g, axis, arrays", len(arrays), lambda k: f"g[{':, ' * a}{k}].copy()", "arrays", 0)


def stack_family_vjp(g, arrays, how):
    """Adjoint of np.vstack / np.hstack (`how`, a constant) of a tuple of arrays of one or two dimensions: the
    piece of `g` each array became, in its shape (slices of g, as the plain helper's), as a tuple."""


@_overload_literal(stack_family_vjp)
def _stack_family_vjp(g, arrays, how):
    if not (_is_array(g) and _tuple_of_arrays(arrays) and isinstance(how, numba.types.StringLiteral)):
        return None
    dims = [a.ndim for a in arrays]
    source = "def cut(g, arrays, how):\n    lo = 0\n"
    if how.literal_value == "vstack" and g.ndim == 2 and all(n in (1, 2) for n in dims):
        for k, n in enumerate(dims):  # (a 1-d array is one row)
            size = "1" if n == 1 else f"arrays[{k}].shape[0]"
            source += f"    p{k} = g[lo]\n" if n == 1 else f"    p{k} = g[lo:lo + {size}]\n"
            source += f"    lo += {size}\n"
    elif how.literal_value == "hstack" and g.ndim in (1, 2) and all(n == g.ndim for n in dims):
        cut = "" if g.ndim == 1 else ":, "
        for k in range(len(dims)):
            source += f"    p{k} = g[{cut}lo:lo + arrays[{k}].shape[{g.ndim - 1}]]\n"
            source += f"    lo += arrays[{k}].shape[{g.ndim - 1}]\n"
    else:
        return None
    source += "    return (" + ", ".join(f"p{k}" for k in range(len(dims))) + ",)\n"
    namespace = {}
    exec(source, {"np": np}, namespace)
    return namespace["cut"]


def power_partial(x, k, n=1):
    """d x**k / dx (runtime.power_partial): k (k-1) ... (k-n+1) x**(k-n), exactly 0 where that factor is 0; k a
    number, or an array (an active exponent: `x ** p` of arrays)."""


@_overload(power_partial)
def _power_partial(x, k, n=1):
    if not ((_is_number(k) or _is_array(k)) and (_is_number(x) or _is_array(x)) and
            (n == 1 or isinstance(n, (numba.types.Omitted, numba.types.Integer)))):
        return None
    if _is_array(k):
        def exponents(x, k, n=1):
            c = k.astype(np.float64)
            for j in range(1, n):
                c = c * (k - j)
            return np.where(c == 0, 0.0, c * np.power(x * 1.0, k - n))
        return exponents
    if _is_number(x):
        def number(x, k, n=1):
            c = k
            for j in range(1, n):
                c = c * (k - j)
            return 0.0 * x if c == 0 else c * float(x) ** (k - n)
        return number

    def array(x, k, n=1):
        c = k
        for j in range(1, n):
            c = c * (k - j)
        return np.zeros(x.shape) if c == 0 else c * x.astype(np.float64) ** (k - n)
    return array


def kept(r, axis):
    """A reduction's result `r` along `axis` with the dimension kept (NumPy's keepdims=True): Numba's
    reductions take no keepdims (a 1-d array's gives a number)."""


@_overload(kept)
def _kept(r, axis):
    if _is_number(r):
        return lambda r, axis: np.full(1, r)
    if _is_array(r):
        return lambda r, axis: np.expand_dims(r, axis)
    return None


HELPERS.add("power_partial")
HELPERS.add("kept")
HELPERS |= {"int_add", "int_sub", "int_neg", "int_mul", "int_pow", "int_lshift", "int_rshift", "int_of",
            "math_checked1", "math_checked2"}
from .jit_ints import int_add, int_sub, int_neg, int_mul, int_pow, int_lshift, int_rshift, int_of, \
    math_checked1, math_checked2  # noqa: E402,F401


# -- a store into a part of an array (`a[:, 1] = v`, `a[i:j] += v`), written as loops: each array store Numba
# lowers itself compiles an error-formatting function for its shapes, 2-3 s per store on this machine (most of
# the first call of a derivative storing a few slices). NumPy's rules kept: `value` broadcast to the part's
# shape (or ValueError), and read in full before the part is written when the two may share memory.
def store_into(part, value):
    """`part[...] = value`, `part` a view of the array stored into."""


def add_into(part, value):
    """`part[...] += value`."""


@_njit
def _extent(a):
    """The first and one past the last byte address `a`'s elements occupy (no elements: an empty range)."""
    lo = hi = a.ctypes.data
    if a.size == 0:
        return lo, lo
    for d in range(a.ndim):
        step = (a.shape[d] - 1) * a.strides[d]
        if step < 0:
            lo += step
        else:
            hi += step
    return lo, hi + a.itemsize


@_njit
def _apart(a, b):
    a_lo, a_hi = _extent(a)
    b_lo, b_hi = _extent(b)
    return a_hi <= b_lo or b_hi <= a_lo


@_njit
def _fits(n, m):
    if m != n and m != 1:
        raise ValueError("could not broadcast the value into the part of the array stored into")


def _as_rows(a):
    """A matrix as it is, a vector as the one row of a matrix (a view)."""


@_overload(_as_rows)
def _as_rows_typer(a):
    if _is_array(a, 2):
        return lambda a: a
    if _is_array(a, 1):
        return lambda a: a[None, :]
    return None


def _store_loops(add):
    """The overload of store_into (add_into when `add`) for parts of one or two dimensions and values of
    fewer or as many, broadcasting sizes 1; None (Numba's own store) otherwise."""
    def typer(part, value):
        if not _is_array(part) or not (_is_number(value) or _is_array(value)):
            return None
        if part.ndim > 2 or _is_array(value) and (value.ndim > part.ndim or value.ndim == 0):
            return _numba_store(part.ndim, add)
        # (a vector part or value as the one row of a matrix: one loop for every form)
        if _is_number(value):
            def fill(part, value):
                p = _as_rows(part)
                for i in range(p.shape[0]):
                    for j in range(p.shape[1]):
                        p[i, j] = p[i, j] + value if add else value
            return fill

        def each(part, value):
            p, v = _as_rows(part), _as_rows(value)
            n, m = v.shape
            _fits(p.shape[0], n)
            _fits(p.shape[1], m)
            w = v if _apart(part, value) else v.copy()
            for i in range(p.shape[0]):
                for j in range(p.shape[1]):
                    x = w[i if n != 1 else 0, j if m != 1 else 0]
                    p[i, j] = p[i, j] + x if add else x
        return each
    return typer


def _numba_store(ndim, add):
    """Numba's own store into all of `part` (the rarer ranks and shapes)."""
    everything = (slice(None),) * ndim
    if add:
        def store(part, value):
            part[everything] += value
    else:
        def store(part, value):
            part[everything] = value
    return store


_overload(store_into)(_store_loops(False))
_overload(add_into)(_store_loops(True))
HELPERS |= {"store_into", "add_into"}
HELPERS |= HELPERS_BROADCAST


from . import jit_runtime_arrays as _arrays  # noqa: E402  (they use _overload)
from .jit_runtime_arrays import (sign, var_vjp, std_vjp, linspace_vjp, cumsum_vjp, sort_vjp, prod_vjp,  # noqa: E402
                                 append_vjp, table_position, unbroadcast_value, r_, index_concat_vjp, ravel,
                                 index_concat_tangent, number_array,
                                 reshape, check_view, same_array)
HELPERS |= _arrays.HELPERS

from . import jit_runtime_fancy as _fancy  # noqa: E402  (np.array, np.stack of numbers, reads by index arrays)
from .jit_runtime_fancy import (array, stack, unstack_numbers, add_fancy, fancy_vjp, builtin_sum, np_sum,  # noqa: E402
                                fancy_store_adjoint, list_slice_vjp, store_fancy)
HELPERS |= _fancy.HELPERS
from . import jit_runtime_axes as _axes  # noqa: E402  (max, min, var, std, prod along an axis; adjoints too)
from .jit_runtime_axes import reduce_axis, sum_axis  # noqa: E402,F401
HELPERS |= _axes.HELPERS
from . import jit_runtime_tuples as _tuples  # noqa: E402  (adjoints of tuples and lists of tuples)
from .jit_runtime_tuples import added_at, taken_at, cleared_at, builtin_max1, builtin_min1, check_unpack  # noqa: E402
HELPERS |= _tuples.HELPERS
from . import jit_runtime_tangents as _tangents  # noqa: E402  (forward mode's helpers; builtin max / min of numbers)
from .jit_runtime_tangents import whole, ones_like, max_share, min_share, reduce_jvp, cast_jvp, sort_jvp, builtin_extreme_jvp  # noqa: E402
HELPERS |= _tangents.HELPERS
from . import jit_runtime_linalg as _linalg  # noqa: E402  (np.linalg.solve, np.cross: their adjoints)
from .jit_runtime_linalg import cross, solve_vjp_a, solve_vjp_b, cross_axis, cross_vjp  # noqa: E402
HELPERS |= _linalg.HELPERS
from . import jit_runtime_indices as _indices  # noqa: E402  (NumPy's indexing functions: coordinates)
from .jit_runtime_indices import (along_axis_index, diagonal_positions, cyclic_positions,  # noqa: E402
                                  flat_store_positions, check_unshared, kept_positions, indexed_shape, gather,
                                  scatter, take_vjp)
HELPERS |= _indices.HELPERS

from .jit_runtime_stack import stack_empty, STACK_BYTES  # noqa: E402,F401  (tapes in the frame: jit_tape.py)
