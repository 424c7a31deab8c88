"""What the alias pass (alias.py) knows about NumPy, the builtins and the IR, as tables and pure functions.

Tables: the functions, methods and attributes that make views (and whether NumPy may copy instead), that
change their arguments in place, that reduce, that make fresh arrays (`gives_new_memory`: the functions whose
result is new memory whatever their arguments, by NumPy's and SciPy's documentation). Functions: the rank or kind
of a result (`view_kind`, `reduced_ndim`, `nested_ndim`, `dummy_of` for the oracle), the kind of a constant or a
global, the items of a container a constant index or slice reaches, and small tests on IR expressions.
Nothing here depends on the state of a run of the pass.
"""
from __future__ import annotations

import numpy as np

from . import ir, kinds as K
from .alias_domain import all_objs
from .ir import Call, Const, Global, Var

# functions returning a view of (or the very object of) their first argument; "maybe": NumPy may copy
VIEW_FUNCTIONS = {
    np.transpose: "view", np.swapaxes: "view", np.moveaxis: "view", np.squeeze: "view", np.expand_dims: "view",
    np.atleast_1d: "view", np.atleast_2d: "view", np.atleast_3d: "view", np.reshape: "maybe", np.ravel: "maybe",
    np.asarray: "maybe", np.asanyarray: "maybe", np.real: "view", np.flip: "view", np.fliplr: "view",
    np.flipud: "view", np.rot90: "view", np.diagonal: "readonly", np.broadcast_to: "readonly",
    # (the argument itself when it already is what they ask for: a copy otherwise; also where the rank of
    # the argument is not known, so that NumPy's answer cannot be found on a small array of that rank)
    np.ascontiguousarray: "maybe", np.asfortranarray: "maybe", np.asarray_chkfinite: "maybe", np.require: "maybe",
    np.real_if_close: "maybe", np.rollaxis: "view", np.trim_zeros: "maybe",
    # (NumPy 2: the last two axes swapped, a view; the diagonal, read-only as np.diagonal's; the imaginary part:
    # a view of a complex array, a new read-only array of zeros for a real one)
    np.matrix_transpose: "view", np.linalg.matrix_transpose: "view", np.linalg.diagonal: "readonly",
    np.imag: "maybe",
}
VIEW_METHODS = {"transpose": "view", "swapaxes": "view", "squeeze": "view", "view": "view",
                "reshape": "maybe", "ravel": "maybe", "diagonal": "readonly"}
VIEW_ATTRIBUTES = {"T": "view", "mT": "view", "real": "view", "flat": "maybe"}
SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "strides", "nbytes", "itemsize", "flags"}
ARRAY_MUTATORS = {"sort", "fill", "put", "partition", "resize", "setflags", "itemset", "byteswap", "setfield"}
LIST_MUTATORS = {"append", "extend", "insert", "pop", "clear", "remove", "sort", "reverse"}
DICT_MUTATORS = {"update", "pop", "popitem", "setdefault", "clear"}
MUTATING_FUNCTIONS = {np.copyto: "copyto", np.put: "put", np.place: "place", np.fill_diagonal: "fill_diagonal",
                      np.random.shuffle: "random.shuffle", np.putmask: "putmask",
                      np.put_along_axis: "put_along_axis"}
SCALAR_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "trace", "vdot", "det",
                     "norm", "logsumexp", "average", "median", "ptp", "nansum", "nanmean", "nanmax", "nanmin",
                     "quantile", "percentile", "count_nonzero"}
FRESH_ARRAYS = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "array",
                "arange", "linspace", "eye", "identity", "stack", "concatenate", "hstack", "vstack", "copy", "outer",
                "diag", "tile", "repeat", "logspace", "tril", "triu", "cumsum", "cumprod", "sort", "column_stack",
                "dstack", "kron", "meshgrid"}
# Where the alias pass cannot ask NumPy (alias_library_calls.LibraryCalls.oracle: an argument of unknown rank or
# kind, a function it does not call), the result of a numeric-library function given arrays is "maybe a view of
# (or the very) array arguments" (changing either in place is refused while the other is read later), unless the
# function is known to give new memory whatever its arguments: `gives_new_memory`, from these tables. Each entry
# is documented by NumPy / SciPy as returning a new array (or numbers); a function documented as "a view when
# possible", "the input itself when ...", or reading `copy=False` / `copy=None` / `out=` is not listed (np.squeeze,
# np.ascontiguousarray, np.einsum("ii->i"), np.diff(x, 0), np.nan_to_num(x, copy=False), np.diag of a matrix,
# np.linalg.matrix_power(a, 1), np.polyder(p, 0) / np.polyint(p, 0) and np.apply_over_axes(f, a, []) (p, a itself),
# np.broadcast_arrays, np.meshgrid(copy=False), np.lib.stride_tricks, np.ma ...).
FRESH_NUMPY = frozenset(getattr(np, n) for n in (
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace",
    "logspace", "geomspace", "eye", "identity", "tri", "vander", "indices", "fromfunction", "fromstring",
    "stack", "concatenate", "concat", "hstack", "vstack", "dstack", "column_stack", "block", "append", "insert",
    "delete", "pad", "tile", "repeat", "resize", "copy", "outer", "inner", "kron", "cross", "dot", "vdot",
    "tensordot", "convolve", "correlate", "diagflat", "tril", "triu", "cumsum", "cumprod", "nancumsum",
    "nancumprod", "cumulative_sum", "cumulative_prod", "sort", "argsort", "lexsort", "partition", "argpartition",
    "sort_complex", "unique", "unique_values", "unique_counts", "unique_inverse", "unique_all", "roll",
    "flatnonzero", "nonzero", "argwhere", "where", "select", "piecewise", "choose", "extract", "compress", "take",
    "take_along_axis", "searchsorted", "digitize", "histogram", "histogram2d", "histogramdd", "histogram_bin_edges",
    "bincount", "interp", "polyval", "polyfit", "poly", "roots", "gradient", "ediff1d",
    "trapezoid", "unwrap", "cov", "corrcoef", "average", "median", "percentile", "quantile", "nanmedian",
    "nanpercentile", "nanquantile", "nanmean", "nanstd", "nanvar", "nansum", "nanprod", "nanmax", "nanmin",
    "nanargmax", "nanargmin", "argmax", "argmin", "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std",
    "ptp", "all", "any", "count_nonzero", "trace", "isclose", "allclose", "array_equal", "array_equiv", "clip",
    "around", "round", "heaviside", "sinc", "i0", "fix", "apply_along_axis", "unravel_index",
    "ravel_multi_index", "isin", "intersect1d", "union1d", "setdiff1d", "setxor1d", "tril_indices", "triu_indices",
    "diag_indices", "mask_indices", "angle", "iscomplex", "isreal", "isneginf", "isposinf", "shape", "ndim", "size",
    "result_type", "can_cast", "min_scalar_type",
    # a new array unless told `copy=False` / `copy=None` (COPY_FLAGGED), or n=0 (np.diff), or of a matrix (np.diag),
    # or of one operand (np.einsum)
    "array", "astype", "nan_to_num", "meshgrid", "diff", "diag", "einsum") if hasattr(np, n))
COPY_FLAGGED = {"array": None, "astype": None, "nan_to_num": 1, "meshgrid": None}  # (the position of `copy`, if any)
# NumPy and SciPy modules whose functions all give new memory, but for these (views or the argument itself:
# np.linalg.matrix_transpose and np.linalg.diagonal are views, np.linalg.matrix_power(a, 1) is `a`)
FRESH_MODULES = ("numpy.linalg", "numpy.fft", "numpy.random", "numpy.lib.scimath", "numpy.polynomial",
                 "scipy.special", "scipy.stats", "scipy.integrate", "scipy.linalg", "scipy.fft", "scipy.signal",
                 "scipy.optimize", "scipy.spatial", "math")
NOT_FRESH_IN_MODULES = {"matrix_transpose", "diagonal", "matrix_power"}


def gives_new_memory(obj, value):
    """Is the result of this call of a numeric-library function new memory, whatever its arguments (never the
    argument itself nor a view of it)? Unless known so, the alias pass takes it for "maybe a view of the array
    arguments" where it cannot ask NumPy. `out=`, SciPy's `overwrite_a=True` and the like: not new."""
    if isinstance(obj, np.ufunc):
        return not writes_out(value)
    if writes_out(value) or any(k.startswith("overwrite") and not (isinstance(v, Const) and v.value is False)
                                for k, v in value.kwargs):
        return False
    name = getattr(obj, "__name__", "")
    try:
        listed = obj in FRESH_NUMPY
    except TypeError:  # (unhashable)
        return False
    if not listed:
        mod = getattr(obj, "__module__", None) or ""
        if name == "matrix_power" and mod == "numpy.linalg":  # (the very matrix for n=1; a new one otherwise)
            n = value.kwarg("n") if value.kwarg("n") is not None else value.args[1] if len(value.args) > 1 else None
            return isinstance(n, Const) and isinstance(n.value, int) and n.value != 1
        if isinstance(obj, type) or name in NOT_FRESH_IN_MODULES:
            return False
        return any(mod == m or mod.startswith(m + ".") for m in FRESH_MODULES)
    if name in COPY_FLAGGED:
        flag = value.kwarg("copy")
        pos = COPY_FLAGGED[name]
        if flag is None and pos is not None and len(value.args) > pos:
            flag = value.args[pos]
        return flag is None or (isinstance(flag, Const) and flag.value is True)
    if name == "diff":  # (np.diff(x, 0) is x itself)
        n = value.kwarg("n") if value.kwarg("n") is not None else value.args[1] if len(value.args) > 1 else None
        return n is None or (isinstance(n, Const) and isinstance(n.value, int) and n.value >= 1)
    if name == "einsum":  # (of one operand it may be a view: np.einsum("ii->i", a); of several, a new array)
        return len(value.args) >= 3 and isinstance(value.args[0], Const) and isinstance(value.args[0].value, str)
    return name != "diag"  # (np.diag of a matrix is a read-only view of its diagonal; of a vector, a new matrix)


REDUCING_METHODS = {"sum", "mean", "prod", "max", "min", "var", "std", "all", "any", "ptp"}
BOOL_UFUNCS = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal, np.logical_and,
               np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isinf, np.isfinite, np.signbit}
ELEMENTWISE_FUNCTIONS = {"where", "clip", "nan_to_num", "round", "around", "heaviside"}
INT_CLASSES = (int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
# NumPy functions the oracle (alias_library_calls.py) must never call on dummy arguments
ORACLE_UNSAFE = {"save", "savez", "savetxt", "load", "loadtxt", "genfromtxt", "fromfile", "tofile", "memmap",
                 "copyto", "put", "place", "putmask", "fill_diagonal", "shares_memory", "may_share_memory",
                 "einsum_path", "seterr", "set_printoptions", "frombuffer", "fromiter"}


class NoDummy(Exception):
    """No small value of this kind can be made (the oracle gives up)."""


def dummy_of(kind):
    """A small value of this kind, to find the rank of a NumPy function's result."""
    if isinstance(kind, K.Array) and kind.ndim is not None:
        if kind.dtype in "iu":  # (an integer array: NumPy's results of it keep integers, see _integer_dtype)
            return np.full((2,) * kind.ndim, 1, dtype=np.int64 if kind.dtype == "i" else np.uint64)
        return np.full((2,) * kind.ndim, 0.5, dtype=bool if kind.dtype == "b" else float)
    if isinstance(kind, K.Scalar):
        return 1 if kind.cls in INT_CLASSES else (True if kind.cls in (bool, np.bool_) else 0.5)
    if isinstance(kind, K.Seq) and kind.items is not None:
        return kind.cls(dummy_of(k) for k in kind.items)
    if isinstance(kind, K.Other) and kind.cls in (type(None), str):
        return None
    raise NoDummy()


def nested_ndim(kind):
    """The rank of np.array(value) for a value of this kind (None when not known)."""
    if isinstance(kind, K.Scalar):
        return 0
    if isinstance(kind, K.Array):
        return kind.ndim
    if isinstance(kind, K.Seq):
        inner = [nested_ndim(k) for k in (kind.items if kind.items is not None else (kind.elem,))]
        if inner and all(d is not None and d == inner[0] for d in inner):
            return inner[0] + 1
    return None


def reduced_ndim(ndim, call, axis_position):
    """The rank after a reduction `f(x, axis=..., keepdims=...)` (axis also the argument at `axis_position`)."""
    axis = call.kwarg("axis")
    if axis is None and len(call.args) > axis_position and axis_position > 0:
        axis = call.args[axis_position]
    elif axis is None and axis_position == 0 and call.args:
        axis = call.args[0]
    keep = call.kwarg("keepdims")
    keep = isinstance(keep, Const) and keep.value is True
    if ndim is None:
        return None
    if keep:
        return ndim
    if axis is None or isinstance(axis, Const) and axis.value is None:
        return 0
    if isinstance(axis, Const) and isinstance(axis.value, int):
        return max(ndim - 1, 0)
    if isinstance(axis, Const) and isinstance(axis.value, tuple):
        return max(ndim - len(axis.value), 0)
    return None


def view_kind(k, name, call, method=False, kind_of=None):
    """The kind of a view made by `name` (np.transpose, x.reshape, ...) of a value of kind k; `kind_of(atom)`,
    if given, the kind of a name (a shape given as a tuple made before: `x.reshape((3, 2))`, g4-017)."""
    if not isinstance(k, K.Array):
        return K.NUMERIC
    nd = k.ndim
    if name in ("transpose", "swapaxes", "moveaxis", "flip", "fliplr", "flipud", "rot90", "real", "view", "T",
                "mT", "asarray", "asanyarray", "conj", "conjugate", "astype", "ascontiguousarray", "asfortranarray",
                "asarray_chkfinite", "require", "real_if_close", "matrix_transpose", "imag"):
        pass
    elif name == "ravel":
        nd = 1
    elif name == "expand_dims" and nd is not None:
        nd += 1
    elif name in ("atleast_1d", "atleast_2d", "atleast_3d") and nd is not None:
        nd = max(nd, int(name[-2]))
    elif name == "reshape":
        shape = call.args if method else call.args[1:2] + tuple(v for n, v in call.kwargs if n in ("newshape",
                                                                                                     "shape"))
        if method and len(shape) == 1 and isinstance(shape[0], Const) and isinstance(shape[0].value, tuple):
            nd = len(shape[0].value)
        elif method and shape and all(isinstance(a, (Const, Var)) for a in shape) and len(shape) > 1:
            nd = len(shape)
        elif method and len(shape) == 1 and isinstance(shape[0], Const) and isinstance(shape[0].value, int):
            nd = 1
        elif not method and len(shape) == 1 and isinstance(shape[0], Const):
            nd = len(shape[0].value) if isinstance(shape[0].value, tuple) else 1
        elif len(shape) == 1 and isinstance(shape[0], Var) and kind_of is not None:
            sk = kind_of(shape[0])  # (a tuple of known length, or one int)
            nd = len(sk.items) if isinstance(sk, K.Seq) and sk.items is not None else \
                1 if isinstance(sk, K.Scalar) and sk.cls in (int, np.int64) else None
        else:
            nd = None
    else:
        nd = None
    return K.array(nd, k.dtype)


def reshaping(value):
    """Is this the making of a reshaped view (`x.reshape(...)`, `x.ravel()`, `np.reshape(x, ...)`,
    `np.ravel(x)`, `np.asarray(x)`)?"""
    if isinstance(value, Call) and isinstance(value.func, ir.Attr):
        return value.func.attr in ("reshape", "ravel")
    if isinstance(value, Call) and isinstance(value.func, Global):
        return value.func.obj in (np.reshape, np.ravel, np.asarray, np.asanyarray)
    return False


def runtime():
    """The runtime module (imported late: it is not needed to import the compiler)."""
    from . import runtime as module

    return module


# runtime helpers the adjoint sweep gives `out=g`, g its adjoint read by nothing after (reverse.IN_PLACE): in
# generated code read again, their value is what counts, and they write into g only when it is a float array
# of the result's shape; a store `g[...] = t` failed for a number (hvp explore seed 41 #967)
BUFFER_REUSING = ("max_vjp", "min_vjp", "abs_vjp", "where_vjp")


def without_reused_buffer(call):
    """A call of one of those helpers without its `out=`; else the call itself."""
    f = call.func
    if isinstance(f, Global) and f.path[-1] in BUFFER_REUSING and any(k == "out" for k, _ in call.kwargs) and \
            getattr(f.obj, "__module__", None) == runtime().__name__:
        return Call(f, call.args, tuple((k, v) for k, v in call.kwargs if k != "out"))
    return call


def writes_out(call):
    """Does this call write its result into an array given as `out=`?"""
    return any(k == "out" and not (isinstance(v, Const) and v.value is None) for k, v in call.kwargs)


# the position of `out` among an ndarray method's positional parameters (x.sum(axis, dtype, out))
_METHOD_OUT = {"sum": 2, "mean": 2, "prod": 2, "cumsum": 2, "cumprod": 2, "var": 2, "std": 2, "max": 1,
               "min": 1, "argmax": 1, "argmin": 1, "ptp": 1, "all": 1, "any": 1, "round": 1, "clip": 2,
               "dot": 1, "take": 2, "compress": 2, "choose": 1, "trace": 4}


def keyword_out(call):
    """The call with an `out` array given by position (`np.cumsum(a, 0, None, c)`, `x.sum(0, None, c)`,
    `np.add(a, b, c)`) given as `out=` instead, so that it is seen as written into (hunt5 001: it was taken
    as a call that changes nothing, and the derivative missed the change of `c`); else the call itself."""
    f = call.func
    pos = None
    if isinstance(f, Global):
        obj = f.obj
        if isinstance(obj, np.ufunc):
            pos = obj.nin if obj.nout == 1 else None
        elif callable(obj) and not isinstance(obj, type) and \
                (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy":  # (not _ad.grad_seed(out))
            import inspect

            try:
                params = list(inspect.signature(obj).parameters.values())
            except (TypeError, ValueError):
                params = []
            for i, p in enumerate(params):
                if p.name == "out" and p.kind is p.POSITIONAL_OR_KEYWORD:
                    pos = i
    elif isinstance(f, ir.Attr):
        pos = _METHOD_OUT.get(f.attr)
    if pos is None or len(call.args) <= pos or any(isinstance(a, ir.Starred) for a in call.args[:pos + 1]):
        return call
    out = call.args[pos]
    if isinstance(out, Const) and out.value is None:
        return call
    return Call(call.func, call.args[:pos] + call.args[pos + 1:], call.kwargs + (("out", out),))


def lookup(table, obj):
    """`table.get(obj)`, None for an unhashable `obj`."""
    try:
        return table.get(obj)
    except TypeError:
        return None


def describe_kind(k):
    """A kind, for an error message."""
    if k in (K.NUMERIC, K.UNKNOWN):
        return "not known to be a number or an array here"
    return f"a {k.describe()}"


def const_kind(value):
    """The kind of a constant of the program."""
    if isinstance(value, bool):
        return K.BOOL
    if isinstance(value, int):
        return K.INT
    if isinstance(value, float):
        return K.FLOAT
    if type(value) is tuple and all(v is None or v is Ellipsis or type(v) in (int, slice) for v in value):
        items = tuple(const_kind(v) for v in value)  # (an index: `idx = (1, slice(2, 4))`, or a shape)
        return K.Seq(tuple, items, K.join_all(items) if items else None)
    return K.Other(type(value))


def global_kind(obj):
    """The kind of a global (or a closure's free variable) the function reads."""
    if isinstance(obj, np.ndarray):
        return K.Array(np.ndarray, obj.dtype.kind)
    if isinstance(obj, (int, float, bool, np.generic)):
        return K.Scalar(type(obj))
    if isinstance(obj, tuple):
        return K.Seq(tuple, None, K.UNKNOWN)
    if isinstance(obj, (list, dict)):
        return K.UNKNOWN
    if callable(obj):
        return K.Func(obj)
    return K.Other(type(obj))


def slot_at(slots, key, kind):
    """The objects the item `key` of a container (a list, a tuple, a dict of this kind) may be."""
    if isinstance(slots, list):
        if isinstance(kind, K.Obj):  # an object the function made: its attributes by name
            names = [n for n, _ in kind.attrs]
            if key in names and len(slots) == len(names):
                return slots[names.index(key)]
            return all_objs(slots)
        if isinstance(kind, K.Dict):
            if key in kind.keys and len(slots) == len(kind.keys):
                return slots[list(kind.keys).index(key)]
            return all_objs(slots)
        if isinstance(key, int) and -len(slots) <= key < len(slots):
            return slots[key]
    return all_objs(slots)


def slice_bounds(sl):
    if all(e is None or isinstance(e, Const) for e in (sl.lower, sl.upper, sl.step)):
        return slice(*(e.value if e is not None else None for e in (sl.lower, sl.upper, sl.step)))
    return None


def slice_slots(slots, sl):
    """The slots of a slice of a list or tuple (known when the bounds are constants)."""
    bounds = slice_bounds(sl)
    if isinstance(slots, list) and bounds is not None:
        return list(slots[bounds])
    return ("any", all_objs(slots))


def slice_items(items, sl):
    """The kinds of the items of a slice of a list or tuple (None when not known)."""
    bounds = slice_bounds(sl)
    if items is not None and bounds is not None:
        return tuple(items[bounds])
    return None


# runtime helpers that change their arguments (generated code only): not known as values
EFFECT_HELPERS = {"add_at", "pop_item", "pop_tail", "restore_item"}
