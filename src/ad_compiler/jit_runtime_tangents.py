"""jit=True: the compiled versions of the runtime helpers forward mode (and a few rules of both modes) call:
the shares of np.maximum / np.minimum, the tangent of a reduction from its partials, of a cast, of np.sort
of a vector, and the winners of the builtins max / min of numbers (docs/jit.md). Each does, for the numbers
and arrays a compiled derivative handles, what the helper of the same name in runtime.py does; a form it
does not take is a Numba typing error, located at the user's line (jit.py)."""
import numpy as np

from .jit_runtime import _is_array, _is_list, _is_number, _overload, _overload_literal, _rows_sum, _columns_sum, \
    _dtype_kind, _no_axis, numba
from .jit_runtime_arrays import _literal
from .jit_runtime_fancy import array


def whole(y):
    """`y[...]`: a view of all of the array y (of one to three dimensions; its rank known when Numba types it,
    where the kinds pass did not know it: a tangent)."""


@_overload(whole)
def _whole(y):
    if _is_array(y, 1):
        return lambda y: y[:]
    if _is_array(y, 2):
        return lambda y: y[:, :]
    if _is_array(y, 3):
        return lambda y: y[:, :, :]
    return None


def ones_like(x):
    """np.ones_like(x): 1.0 for a number (NumPy's 0-d array of one, as the compiled derivative holds 0-d
    values: the partials of reductions, `_ad.var_vjp(np.ones_like(v), x)`, take numbers), else Numba's."""


@_overload(ones_like)
def _ones_like(x):
    if _is_number(x):
        return lambda x: 1.0
    if _is_array(x):
        return lambda x: np.ones_like(x)
    return None


def max_share(a, b):
    """Share of the gradient of maximum(a, b) that goes to `a`: 1 where a > b, 0.5 on ties, else 0."""


def min_share(a, b):
    """Share of the gradient of minimum(a, b) that goes to `a`: 1 where a < b, 0.5 on ties, else 0."""


def _share(less):
    def typer(a, b):
        if not ((_is_number(a) or _is_array(a)) and (_is_number(b) or _is_array(b))):
            return None
        if _is_number(a) and _is_number(b):
            if less:
                return lambda a, b: (1.0 if a < b else 0.0) + 0.5 * (1.0 if a == b else 0.0)
            return lambda a, b: (1.0 if a > b else 0.0) + 0.5 * (1.0 if a == b else 0.0)
        if less:
            return lambda a, b: (a < b) + 0.5 * (a == b)
        return lambda a, b: (a > b) + 0.5 * (a == b)
    return typer


_overload(max_share)(_share(False))
_overload(min_share)(_share(True))


def reduce_jvp(partials, t, axis=None, keepdims=False):
    """Tangent of a reduction from its partial derivatives (shaped like the input): the sum of partial times
    tangent over the reduced axes (all of them, or a constant axis of a vector or a matrix)."""


@_overload_literal(reduce_jvp)
def _reduce_jvp(partials, t, axis=None, keepdims=False):
    if not (_is_number(t) or _is_array(t)):
        return None
    if _is_number(partials):
        return lambda partials, t, axis=None, keepdims=False: partials * t
    if not _is_array(partials):
        return None
    keep = _literal(keepdims, False)
    axis_ = _literal(axis, None) if not _no_axis(axis) else None
    if keep not in (True, False) or not (axis_ is None and _no_axis(axis) or type(axis_) is int):
        return None
    nd = partials.ndim
    if axis_ is None or nd == 1 and axis_ in (0, -1):
        if not keep:
            return lambda partials, t, axis=None, keepdims=False: np.sum(partials * t)
        ones = (1,) * nd
        return lambda partials, t, axis=None, keepdims=False: np.full(ones, np.sum(partials * t))
    if nd != 2 or axis_ not in (0, 1, -1, -2):
        return None
    rows = axis_ in (0, -2)
    shape_kept = (1, -1) if rows else (-1, 1)

    def matrix(partials, t, axis=None, keepdims=False):
        p = partials * t
        out = _rows_sum(p) if rows else _columns_sum(p)
        return out.reshape(shape_kept) if keep else out
    return matrix


def cast_jvp(t, dtype=None):
    """Tangent of `np.array(x, dtype)` / `x.astype(dtype)` / `np.copy(x)`: a copy of the tangent (NumPy's
    order, as np.array), float zeros of its shape for an integer or boolean dtype."""


@_overload(cast_jvp)
def _cast_jvp(t, dtype=None):
    kind = _dtype_kind(dtype)
    if not (_is_array(t) or _is_list(t) or isinstance(t, numba.types.BaseTuple)):
        return None  # (a number's np.array is a 0-d array, which the compiled derivative does not make)
    if _no_axis(dtype) or kind == "f" and _is_array(t) and isinstance(t.dtype, numba.types.Float):
        return lambda t, dtype=None: array(t)
    if kind in ("i", "b") and _is_array(t):  # (to ints or bools: piecewise constant, zeros as the plain helper)
        return lambda t, dtype=None: np.zeros(t.shape)
    return None


def sort_jvp(t, a, axis=-1):
    """Tangent of np.sort of a vector: the tangent's entries in the order that sorts `a` (stable on ties)."""


@_overload_literal(sort_jvp)
def _sort_jvp(t, a, axis=-1):
    if not (_is_array(a, 1) and (_is_array(t, 1) or _is_number(t)) and _literal(axis, -1) in (None, 0, -1)):
        return None

    def ordered(t, a, axis=-1):
        order = np.argsort(a, kind="mergesort")
        tt = np.zeros(a.shape[0]) + t
        return tt[order]
    return ordered


def builtin_extreme_jvp(targs, args, ans):
    """Tangent of the builtins max(a, b, ...) / min(a, b, ...) of numbers, or max(x) / min(x) of one vector,
    tuple or list of numbers: the winners' tangents averaged over ties (a NaN winner: the first item, the one
    Python returned; the plain helper finds it by identity)."""


def builtin_extreme_vjp_numbers(g, args, ans):
    """Adjoint of the builtins max(a, b, ...) / min(a, b, ...) of numbers (args), or of max(t) / min(t) of one
    tuple of numbers (args a tuple of that tuple): the winners share g (jit_runtime.builtin_extreme_vjp)."""


def _numbers(t):
    return isinstance(t, numba.types.BaseTuple) and len(t) > 0 and all(_is_number(i) for i in t)


def _winners_source(n):
    """Lines setting h0..h<n-1> (1.0 for a winner: equal to ans; when ans is NaN, the first item only) and `n`,
    their count (at least 1), for the items `items[k]`."""
    lines = ["    nan = ans != ans\n"]
    for k in range(n):
        test = f"items[{k}] == ans or nan" if k == 0 else f"items[{k}] == ans and not nan"
        lines.append(f"    h{k} = 1.0 if {test} else 0.0\n")
    lines.append("    n = max(" + " + ".join(f"h{k}" for k in range(n)) + ", 1.0)\n")
    return "".join(lines)


def _made(name, params, body):
    namespace = {}
    exec(f"def {name}({params}):\n" + body, {}, namespace)
    return namespace[name]


@_overload(builtin_extreme_jvp)
def _builtin_extreme_jvp(targs, args, ans):
    if not (isinstance(args, numba.types.BaseTuple) and isinstance(targs, numba.types.BaseTuple) and
            len(args) == len(targs) and len(args) > 0 and _is_number(ans)):
        return None
    if len(args) == 1 and _is_array(args[0], 1) and _is_array(targs[0], 1):
        def entries(targs, args, ans):
            x, t = args[0], targs[0]
            hits = 0.0
            total = 0.0
            for i in range(x.shape[0]):
                if x[i] == ans:
                    hits += 1.0
                    total += t[i]
            return total / max(hits, 1.0)  # (as the plain helper: NaN wins nothing)
        return entries
    if len(args) == 1 and _is_list(args[0]) and _is_number(args[0].dtype) and \
            (_is_list(targs[0]) or isinstance(targs[0], numba.types.UniTuple)) and _is_number(targs[0].dtype):
        def listed(targs, args, ans):
            x, t = args[0], targs[0]
            total = 0.0
            hits = 0.0
            for i in range(len(x)):
                if x[i] == ans or i == 0 and ans != ans:
                    hits += 1.0
                    total += t[i]
            return total / max(hits, 1.0)
        return listed
    inner = len(args) == 1 and _numbers(args[0]) and isinstance(targs[0], numba.types.BaseTuple) and \
        len(targs[0]) == len(args[0])
    items, tangents = (args[0], targs[0]) if inner else (args, targs)
    if not (_numbers(items) and all(_is_number(t) for t in tangents)):
        return None
    n = len(items)
    head = "    items = args[0]\n    ts = targs[0]\n" if inner else "    items = args\n    ts = targs\n"
    body = head + _winners_source(n) + "    total = 0.0\n" + \
        "".join(f"    if h{k}:\n        total += ts[{k}]\n" for k in range(n)) + "    return total / n\n"
    return _made("winners", "targs, args, ans", body)


@_overload(builtin_extreme_vjp_numbers)
def _builtin_extreme_vjp_numbers(g, args, ans):
    if not (isinstance(args, numba.types.BaseTuple) and _is_number(g) and _is_number(ans)):
        return None
    if len(args) == 1 and _is_list(args[0]) and _is_number(args[0].dtype):  # (min([a, b]): a list of numbers)
        def listed(g, args, ans):
            x = args[0]
            hits = [x[i] == ans or i == 0 and ans != ans for i in range(len(x))]
            n = max(float(sum(hits)), 1.0)
            return ([g / n if hits[i] else 0.0 for i in range(len(x))],)
        return listed
    inner = len(args) == 1 and _numbers(args[0])
    items = args[0] if inner else args
    if not _numbers(items):
        return None
    n = len(items)
    # (a loser's share is exactly 0.0, as the plain version's zeros, not g * 0.0: NaN when g is)
    shares = "(" + "".join(f"g / n if h{k} else 0.0, " for k in range(n)) + ")"
    body = ("    items = args[0]\n" if inner else "    items = args\n") + _winners_source(n) + \
        f"    return {'(' + shares + ',)' if inner else shares}\n"
    return _made("shares", "g, args, ans", body)


HELPERS = {"whole", "ones_like", "max_share", "min_share", "reduce_jvp", "cast_jvp", "sort_jvp", "builtin_extreme_jvp"}
