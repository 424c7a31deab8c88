"""More runtime helpers of `jit=True` derivatives, in the subset Numba compiles (docs/jit.md): the adjoints of
reductions (var, std, prod), of cumsum, sort, append and linspace, `np.r_[...]` and its adjoint, np.sign,
and the position a table of functions is read at. Each does, for the numbers and real arrays it is compiled
for, what the helper of the same name in runtime.py does; for other types Numba reports a typing error at the
line (a located refusal). jit_runtime.py imports them and lists them in its HELPERS.
"""
import numpy as np

from .jit_runtime import _extent, _is_array, _is_number, _overload, _overload_literal, numba


def _literal(t, default):
    """The value of an overload's argument given as a constant (an IntegerLiteral, a BooleanLiteral, an omitted
    argument's default), else None."""
    if t is None:
        return default
    if isinstance(t, (bool, int, str)):  # (not given: the typer's own default)
        return t
    if isinstance(t, numba.types.Omitted):
        return t.value
    if isinstance(t, numba.types.Literal):
        return t.literal_value
    if isinstance(t, numba.types.NoneType):
        return None
    return "unknown"


def sign(x):
    """np.sign (of real values: runtime.sign gives complex ones x / |x|)."""


@_overload(sign)
def _sign(x):
    real = (numba.types.Integer, numba.types.Float, numba.types.Boolean)
    if isinstance(x, real) or _is_array(x) and isinstance(x.dtype, real):
        return lambda x: np.sign(x)
    return None


def var_vjp(g, x, axis=None, ddof=0, keepdims=False):
    """Adjoint of np.var of all of x: 2 (x - mean) / (N - ddof) times g (Numba's np.var takes no axis)."""


@_overload_literal(var_vjp)
def _var_vjp(g, x, axis=None, ddof=0, keepdims=False):
    axis_, keep = _literal(axis, None), _literal(keepdims, False)
    if _is_number(x) and _is_number(g):
        return lambda g, x, axis=None, ddof=0, keepdims=False: 0.0 * g
    if not (_is_array(x) and isinstance(x.dtype, numba.types.Float)) or keep not in (True, False):
        return None
    if axis_ is None and _is_number(g):
        return lambda g, x, axis=None, ddof=0, keepdims=False: \
            g * (2.0 / (x.size - ddof)) * (x - np.sum(x) / x.size)
    return None


def std_vjp(g, x, ans, axis=None, ddof=0, keepdims=False):
    """Adjoint of np.std of all of x: g (x - mean) / ((N - ddof) std); 0 where the entries are all equal up to
    rounding (runtime._no_spread; Numba's np.std takes no axis)."""


@_overload_literal(std_vjp)
def _std_vjp(g, x, ans, axis=None, ddof=0, keepdims=False):
    axis_, keep = _literal(axis, None), _literal(keepdims, False)
    if _is_number(x) and _is_number(g):  # (one entry: no spread)
        return lambda g, x, ans, axis=None, ddof=0, keepdims=False: 0.0
    if not (_is_array(x) and isinstance(x.dtype, numba.types.Float)) or keep not in (True, False):
        return None
    if axis_ is None and _is_number(g) and _is_number(ans):
        def whole(g, x, ans, axis=None, ddof=0, keepdims=False):
            if x.size == 0:
                return np.zeros(x.shape)
            hi, lo = x.max(), x.min()
            if hi - lo <= 8 * np.finfo(x.dtype).eps * max(abs(hi), abs(lo)):
                return np.zeros(x.shape)
            return g * (x - np.sum(x) / x.size) / ((x.size - ddof) * ans)
        return whole
    return None


def linspace_vjp(g, start, stop, num=50, endpoint=True, which=0):
    """Adjoint of np.linspace(start, stop, num) (numbers start and stop) for start (which=0) or stop (1)."""


@_overload(linspace_vjp)
def _linspace_vjp(g, start, stop, num=50, endpoint=True, which=0):
    if not (_is_array(g, 1) and _is_number(start) and _is_number(stop)):
        return None

    def number(g, start, stop, num=50, endpoint=True, which=0):
        div = (num - 1) if endpoint else num
        w = np.arange(num) / div if div > 0 else np.zeros(num)
        if num == 1:
            w = np.zeros(1)
        weight = w if which == 1 else 1.0 - w
        return np.sum(g * weight)
    return number


def cumsum_vjp(g, x, axis=None):
    """Adjoint of np.cumsum(x) (flattened) or along the axis of a 1-d x: the reversed cumulative sum of g."""


@_overload_literal(cumsum_vjp)
def _cumsum_vjp(g, x, axis=None):
    axis_ = _literal(axis, None)
    if not (_is_array(x) and _is_array(g, 1) and (axis_ is None or x.ndim == 1 and axis_ in (0, -1))):
        return None
    return lambda g, x, axis=None: np.cumsum(g.flatten()[::-1])[::-1].copy().reshape(x.shape)


def sort_vjp(g, a, axis=-1):
    """Adjoint of np.sort of a 1-d array: each entry of g goes back to where its value came from (a stable
    sort's order for ties)."""


@_overload_literal(sort_vjp)
def _sort_vjp(g, a, axis=-1):
    if not (_is_array(a, 1) and _is_array(g, 1) and _literal(axis, -1) in (None, 0, -1)):
        return None

    def back(g, a, axis=-1):
        order = np.argsort(a, kind="mergesort")
        out = np.zeros(a.size)
        out[order] = g
        return out
    return back


def prod_vjp(g, x, axis=None, keepdims=False):
    """Adjoint of np.prod of all of x, exact where entries are 0: g times the product of the others."""


@_overload_literal(prod_vjp)
def _prod_vjp(g, x, axis=None, keepdims=False):
    if _is_number(x):
        return lambda g, x, axis=None, keepdims=False: g
    if not (_is_array(x) and _is_number(g) and _literal(axis, None) is None):
        return None

    def others(g, x, axis=None, keepdims=False):
        flat = x.flatten()
        n = flat.size
        before, after = np.ones(n), np.ones(n)
        for i in range(1, n):
            before[i] = before[i - 1] * flat[i - 1]
        for i in range(n - 2, -1, -1):
            after[i] = after[i + 1] * flat[i + 1]
        return g * (before * after).reshape(x.shape)
    return others


def append_vjp(g, arr, values, axis=None, which=0):
    """Adjoint of np.append(arr, values) (no axis: both flattened) for arr (which=0) or values (which=1)."""


@_overload_literal(append_vjp)
def _append_vjp(g, arr, values, axis=None, which=0):
    w = _literal(which, 0)
    if not (_is_array(g, 1) and _literal(axis, None) is None and w in (0, 1)):
        return None
    x = arr if w == 0 else values
    if not (_is_number(arr) or _is_array(arr)) or not (_is_number(x) or _is_array(x)):
        return None
    size = (lambda a: 1) if _is_number(arr) else (lambda a: a.size)
    size = numba.njit(size)
    if _is_number(x):
        if w == 0:
            return lambda g, arr, values, axis=None, which=0: g[:size(arr)].sum()
        return lambda g, arr, values, axis=None, which=0: g[size(arr):].sum()
    if w == 0:
        return lambda g, arr, values, axis=None, which=0: g[:size(arr)].copy().reshape(arr.shape)
    return lambda g, arr, values, axis=None, which=0: g[size(arr):].copy().reshape(values.shape)


def table_position(key, keys):
    """The position `table[key]` reads in a list or tuple of `keys` entries (Python's indexing: a negative
    key from the end; IndexError out of range)."""


@_overload(table_position)
def _table_position(key, keys):
    if not (isinstance(key, numba.types.Integer) and isinstance(keys, numba.types.Integer)):
        return None

    def position(key, keys):
        k = key + keys if key < 0 else key
        if k < 0 or k >= keys:
            raise IndexError("range object index out of range")
        return k
    return position


def unbroadcast_value(g, x):
    """`unbroadcast` for a number or an array operand (runtime.unbroadcast_value; a list is not compiled)."""


@_overload(unbroadcast_value)
def _unbroadcast_value(g, x):
    from .jit_runtime import unbroadcast
    if _is_number(x) or _is_array(x):
        return lambda g, x: unbroadcast(g, x)
    return None


def r_(items):
    """np.r_[items] of numbers and 1-d arrays (a tuple): their concatenation."""


def _pieces(items):
    """The kinds of np.r_'s items ("number" or "vector") when Numba compiles them all, else None."""
    if not isinstance(items, numba.types.BaseTuple) or len(items) == 0:
        return None
    kinds = []
    for t in items:
        if _is_number(t) and not isinstance(t, numba.types.Boolean):
            kinds.append("number")
        elif _is_array(t, 1) and not isinstance(t.dtype, numba.types.Boolean):
            kinds.append("vector")
        else:
            return None
    return kinds


@_overload(r_)
def _r(items):
    kinds = _pieces(items)
    if kinds is None:
        return None
    parts = ", ".join(f"np.full(1, items[{k}])" if kind == "number" else f"items[{k}]" for k, kind in enumerate(kinds))
    source = f"def join(items):\n    return np.concatenate(({parts},))\n"
    namespace = {}
    exec(source, {"np": np}, namespace)
    return namespace["join"]


def index_concat_vjp(g, kind, items):
    """Adjoint of np.r_[items] (kind 'r') of numbers and 1-d arrays: the piece of g each item became (a
    number for a number, a slice for an array), as a tuple."""


@_overload_literal(index_concat_vjp)
def _index_concat_vjp(g, kind, items):
    kinds = _pieces(items)
    if not (_is_array(g, 1) and isinstance(kind, numba.types.StringLiteral) and kind.literal_value == "r" and
            kinds is not None):
        return None
    source = "def cut(g, kind, items):\n    lo = 0\n"
    for k, what in enumerate(kinds):
        if what == "number":
            source += f"    p{k} = g[lo]\n    lo += 1\n"
        else:
            source += f"    p{k} = g[lo:lo + items[{k}].shape[0]]\n    lo += items[{k}].shape[0]\n"
    source += "    return (" + ", ".join(f"p{k}" for k in range(len(kinds))) + ",)\n"
    namespace = {}
    exec(source, {"np": np}, namespace)
    return namespace["cut"]


def index_concat_tangent(kind, items, tangents):
    """Tangent of np.r_[items] (kind 'r') of numbers and 1-d arrays: the concatenation of their tangents (a
    number's tangent a 1-element piece; a number given for an array, the zero tangent of a constant one, spread
    over its length), as runtime.index_concat_tangent gives it, in float64."""


@_overload_literal(index_concat_tangent)
def _index_concat_tangent(kind, items, tangents):
    kinds = _pieces(items)
    if not (isinstance(kind, numba.types.StringLiteral) and kind.literal_value == "r" and kinds is not None and
            isinstance(tangents, numba.types.BaseTuple) and len(tangents) == len(kinds)):
        return None
    parts = []
    for k, (what, t) in enumerate(zip(kinds, tangents)):
        if _is_number(t) and not isinstance(t, (numba.types.Complex, numba.types.Boolean)):
            size = "1" if what == "number" else f"items[{k}].shape[0]"
            parts.append(f"np.full({size}, np.float64(tangents[{k}]))")
        elif what == "vector" and _is_array(t, 1) and isinstance(t.dtype, (numba.types.Float, numba.types.Integer)):
            parts.append(f"tangents[{k}].astype(np.float64)")
        else:
            return None
    source = f"def join(kind, items, tangents):\n    return np.concatenate(({', '.join(parts)},))\n"
    namespace = {}
    exec(source, {"np": np}, namespace)
    return namespace["join"]


def number_array(items):
    """np.array(items) of a tuple of real numbers (a list of numbers joined to arrays: `[z, s]` in
    np.concatenate([x, [z, s]])): a 1-d array, float64 if any is a float, else int64, as NumPy makes it."""


@_overload(number_array)
def _number_array(items):
    if not (isinstance(items, numba.types.BaseTuple) and len(items) and
            all(isinstance(t, (numba.types.Float, numba.types.Integer)) for t in items)):
        return None
    dtype = np.float64 if any(isinstance(t, numba.types.Float) for t in items) else np.int64
    source = "def make(items):\n    out = np.empty(%d, dtype)\n" % len(items)
    source += "".join(f"    out[{k}] = items[{k}]\n" for k in range(len(items))) + "    return out\n"
    namespace = {}
    exec(source, {"np": np, "dtype": dtype}, namespace)
    return namespace["make"]


HELPERS = {"number_array", "sign", "var_vjp", "std_vjp", "linspace_vjp", "cumsum_vjp", "sort_vjp", "prod_vjp", "append_vjp",
           "table_position", "unbroadcast_value", "r_", "index_concat_vjp", "index_concat_tangent"}


def ravel(x):
    """np.ravel(x): a view of a C-contiguous array, a copy in C order of another (NumPy's; Numba's ravel and
    reshape of an array of another layout raise NotImplementedError when it runs)."""


@_overload(ravel)
def _ravel(x):
    if _is_number(x):
        return lambda x: np.full(1, x)
    if _is_array(x) and x.layout == "C":
        return lambda x: x.ravel()
    if _is_array(x):
        return lambda x: x.flatten()
    return None


def reshape(x, shape):
    """np.reshape(x, shape): a view of a C-contiguous array, of a C-order copy of another (NumPy's order)."""


@_overload(reshape)
def _reshape(x, shape):
    if _is_array(x) and x.layout == "C":
        return lambda x, shape: x.reshape(shape)
    if _is_array(x):
        return lambda x, shape: x.flatten().reshape(shape)
    return None


HELPERS |= {"ravel", "reshape"}


def check_view(view, base, where):
    """runtime.check_view: refuse (UnsupportedError, located by `where`, a constant) when `view`, which the
    derivative changes in place as a view of `base`, shares no memory with it (NumPy, or _ad.jit.reshape, made
    a copy)."""


@_overload_literal(check_view)
def _check_view(view, base, where):
    if not (_is_array(view) and _is_array(base) and isinstance(where, numba.types.StringLiteral)):
        return None
    from .errors import UnsupportedError
    message = where.literal_value + "\nthe array changed here is a copy, not a view, of the one it was made " \
        "from (NumPy copies when the memory layout does not allow a view)"

    def check(view, base, where):
        if view.size == 0 or base.size == 0:
            raise UnsupportedError(message)
        lo, hi = _extent(view)
        lo2, hi2 = _extent(base)
        if hi <= lo2 or hi2 <= lo:
            raise UnsupportedError(message)
    return check


HELPERS.add("check_view")


def same_array(a, b):
    """`a is b` for arrays only ever made in the function, no views (jit_identity.py): the same data pointer,
    shape and strides, whatever the arrays' Numba types (Numba's own `is` is False for two layouts)."""


@_overload(same_array)
def _same_array(a, b):
    if not (_is_array(a) and _is_array(b)):
        return None
    if a.ndim != b.ndim:
        return lambda a, b: False

    def same(a, b):
        return a.shape == b.shape and a.strides == b.strides and a.ctypes.data == b.ctypes.data
    return same


HELPERS.add("same_array")
