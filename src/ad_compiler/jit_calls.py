"""The calls, globals and index items of the derivative's lowering into the subset Numba compiles (a part of
jit_lower.Lowering, by job): NumPy, math and builtin functions Numba takes as they are, runtime helpers by their
compiled versions (`_ad.jit.<name>`, jit_runtime.py), methods, reductions along a constant axis, stacks and
concatenations along a constant axis; anything else refused at its line."""
import builtins
import math

import numpy as np

from . import ir, kinds as K, markers, runtime
from .ir import Build, Call, Const, Global, Index, Var
from .jit_stores import jit_helper as _jit_helper

# NumPy and math functions the compiled derivative may call (Numba compiles them for numbers and arrays)
NUMPY = set("""sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh exp expm1 exp2
log log1p log2 log10 sqrt cbrt square abs absolute fabs sign maximum minimum fmax fmin power hypot floor ceil
trunc rint where sum mean prod dot zeros zeros_like ones ones_like empty empty_like full full_like clip
negative positive reciprocal isnan isinf isfinite logaddexp logaddexp2 deg2rad rad2deg outer
multiply add subtract divide true_divide float64 int64 bool_ pi e inf nan newaxis max min amax amin std var
mod remainder copy asarray array transpose real shape
sort linspace arange cumsum cumprod argmax argmin any all median diff
append conj conjugate eye identity size take nonzero flatnonzero broadcast_to""".split())
STRING_ARGS = {("_ad", "flat_store_positions"), ("_ad", "check_unshared")}  # (a string given as it is: a literal)
LINALG = {"solve"}  # (np.linalg's functions Numba compiles for one matrix: their adjoints in jit_runtime_linalg)
MATH = set("""sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10
sqrt pow fabs floor ceil trunc hypot erf erfc gamma lgamma isnan isinf isfinite copysign degrees radians
pi e inf nan tau""".split())
# math functions raising where Numba's give nan or inf (h28b-008): what an infinite result from finite arguments
# raises (jit_ints.math_checked1: 0 ValueError, 1 OverflowError, 2 pow's, 3 gamma's); a nan result, ValueError
MATH_ERRORS = {**dict.fromkeys(("sqrt", "log", "log2", "log10", "log1p", "acos", "asin", "acosh", "atanh", "lgamma",
                                "sin", "cos", "tan", "atan", "tanh", "asinh", "erf", "erfc", "fabs"), 0),
               **dict.fromkeys(("exp", "expm1", "cosh", "sinh"), 1), "pow": 2, "gamma": 3}
BUILTINS = {"abs", "min", "max", "float", "int", "bool", "range", "len", "round", "sum", "slice"}
TO_INT = (builtins.int, builtins.round, math.floor, math.ceil, math.trunc)  # (of a float: an unbounded int)
METHODS = {"copy", "sum", "reshape", "astype", "mean", "prod", "dot", "ravel", "flatten", "transpose", "append",
           "pop", "max", "min", "clip"}


class Calls:
    """The calls of jit_lower.Lowering (which provides kinds, tuples, data, alloc, refuse, expr and
    plain_sum)."""

    def index_items(self, value, items, s):
        """The index `items` of `value[items]` lowered: `y[...]` as `y[:, :]` (Numba indexes with an Ellipsis
        only among other items), by y's rank."""
        if any(isinstance(i, Const) and i.value is Ellipsis for i in items):
            kind = self.kinds.get(value.name) if isinstance(value, Var) else None
            if len(items) > 1 or not (isinstance(kind, K.Array) and kind.ndim):
                self.refuse(s, "an index with `...` (Numba takes `y[...]` of an array of known rank)")
            return (ir.Slice(None, None, None),) * kind.ndim
        return tuple(self.index_item(i, s) for i in items)

    def index_item(self, i, s):
        """An item of an index lowered; a list of int constants (`x[[2, 0]]`) as the int array NumPy reads it
        as (Numba indexes by arrays, not lists)."""
        if isinstance(i, Build) and i.kind == "list" and i.items and \
                all(isinstance(c, Const) and type(c.value) is int for c in i.items):
            return Call(_np("array"), (Build("tuple", i.items),))
        kind = self.kinds.get(i.name) if isinstance(i, Var) else None
        if isinstance(kind, K.Seq) and kind.cls is list:  # (a list made in the function: its array)
            return Call(_np("array"), (self.expr(i, s),))
        return self.expr(i, s)

    def index_concat(self, e, s):
        """`np.r_[a, b, ...]` of numbers and 1-d arrays: `_ad.jit.r_((a, b, ...))` (jit_runtime_arrays)."""
        if any(isinstance(i, ir.Slice) or isinstance(i, Const) and isinstance(i.value, str) for i in e.items):
            self.refuse(s, "`np.r_[...]` with a slice or a string (only numbers and 1-d arrays are compiled)")
        return Call(_jit_helper("r_"), (Build("tuple", tuple(self.expr(i, s) for i in e.items)),))

    def global_value(self, g, s):
        root = g.path[0]
        if root == "_ad" and len(g.path) == 2 and g.path[1] in ("np", "math"):
            return g
        if g.path[:2] in (("_ad", "np"), ("_ad", "math")):
            module = np if g.path[1] == "np" else math
            g = Global(g.path[1:], g.obj, module if len(g.path) > 2 else None)
        if len(g.path) == 2 and g.root is np and g.path[1] == "clip":  # (Numba's np.clip takes no numbers)
            from . import jit_runtime
            return Global(("_ad", "jit", "clip"), jit_runtime.clip, runtime)
        if len(g.path) == 2 and g.root is np and g.path[1] in ("ravel", "reshape"):  # (Numba's: C order only)
            return _jit_helper(g.path[1])
        if len(g.path) == 2 and g.root is np and g.path[1] == "ones_like":  # (of a number: 1.0, a 0-d value)
            return _jit_helper("ones_like")
        if len(g.path) == 2 and g.root is np and g.path[1] in NUMPY:
            return g
        if len(g.path) == 3 and g.root is np and g.path[1] == "linalg" and g.path[2] in LINALG:
            return g
        if len(g.path) == 2 and g.root is math and g.path[1] in MATH:
            return g
        if len(g.path) == 1 and isinstance(g.obj, (bool, int, float, np.ndarray, np.generic)) and \
                not isinstance(g.obj, np.ndarray) or (len(g.path) == 1 and isinstance(g.obj, np.ndarray)
                                                       and g.obj.dtype.kind in "fib"):
            key = (g.path[0], id(g.obj), id(g.home))  # (two closures' `c`, two modules' `A`: two values, h19-003)
            if key not in self.data:
                self.data[key] = (self.alloc.fresh(g.path[0]), g)
            return Var(self.data[key][0])
        if len(g.path) == 1 and getattr(builtins, g.path[0], None) is g.obj and g.path[0] in BUILTINS:
            return g
        self.refuse(s, f"`{'.'.join(g.path)}` ({type(g.obj).__name__})")

    def call(self, e, s):
        f = e.func
        if isinstance(f, Global) and f.obj is markers.stop_gradient and len(e.args) == 1 and not e.kwargs and \
                not isinstance(e.args[0], ir.Starred):
            return self.expr(e.args[0], s)  # (its value: the very argument; m25-008)
        if isinstance(f, Global) and f.path[0] == "_ad" and len(f.path) == 2 and f.path[1] not in ("np", "math"):
            from . import jit_runtime

            name = f.path[1]
            if name == "rule_adjoint":  # (the shapes checked; the rule's and parameter's names only in Python)
                e = Call(f, e.args[:2], ())
            if name not in jit_runtime.HELPERS:
                self.refuse(s, f"the runtime helper `_ad.{name}` has no version Numba compiles")
            func = Global(("_ad", "jit", name), getattr(jit_runtime, name), runtime)
        elif isinstance(f, ir.Attr) and f.attr in ("ravel", "reshape") and not e.kwargs and \
                (e.args if f.attr == "reshape" else not e.args) and \
                not any(isinstance(a, ir.Starred) for a in e.args):
            # (Numba's methods take C-contiguous arrays only, and raise NotImplementedError when it runs on
            # another layout, `X.T.reshape(6)`: NumPy's order through the helpers np.ravel / np.reshape get)
            value = self.expr(f.value, s)
            if f.attr == "ravel":
                return Call(_jit_helper("ravel"), (value,))
            shape = self.expr(e.args[0], s) if len(e.args) == 1 else \
                Build("tuple", tuple(self.expr(a, s) for a in e.args))
            return Call(_jit_helper("reshape"), (value, shape))
        elif isinstance(f, ir.Attr):
            if f.attr not in METHODS:
                self.refuse(s, f"the method `.{f.attr}()`")
            func = ir.Attr(self.expr(f.value, s), f.attr)
        elif isinstance(f, Global) and (f.obj is builtins.sum or f.obj is np.sum) and len(e.args) == 1 and \
                not e.kwargs and not isinstance(e.args[0], ir.Starred) and not self.plain_sum(e.args[0]):
            func = _jit_helper("builtin_sum" if f.obj is builtins.sum else "np_sum")  # (of rows, lists: loops)
        elif isinstance(f, Global) and (f.obj is builtins.max or f.obj is builtins.min) and len(e.args) == 1 and \
                not e.kwargs and not isinstance(e.args[0], ir.Starred):  # (of one iterable: Python's ValueError)
            return Call(_jit_helper("builtin_max1" if f.obj is builtins.max else "builtin_min1"),
                        (self.expr(e.args[0], s),))
        elif isinstance(f, Global) and f.root is np and f.path[1:] == ("array",) and len(e.args) == 1 and \
                not e.kwargs:  # (a copy in NumPy's order; of numbers or 1-d arrays: jit_runtime_fancy)
            func = _jit_helper("array")
            kind = self.kinds.get(e.args[0].name) if isinstance(e.args[0], Var) else None
            if isinstance(kind, K.Seq) and kind.cls is list and s.origin is not None:  # (may hold no arrays)
                where = s.origin.unit.location(s.origin.node).describe()
                return Call(func, (self.expr(e.args[0], s), Const(where)))
        elif isinstance(f, Global) and f.obj is builtins.abs and len(e.args) == 1 and not e.kwargs and \
                isinstance(e.args[0], Var) and isinstance(self.kinds.get(e.args[0].name), K.Array):
            return Call(Global(("np", "abs"), np.abs, np), (self.expr(e.args[0], s),))  # (of an array: np.abs)
        elif isinstance(f, Global) and f.obj in TO_INT and e.args and not e.kwargs and \
                not isinstance(e.args[0], ir.Starred) and not self.is_int(e.args[0]) and not _integral(self.kinds, e.args[0]):
            if len(e.args) > 1:  # (h28b-003: round(2.675, 2) is 2.67 in Python, 2.68 in Numba and NumPy)
                self.refuse(s, "`round(v, ndigits)` (Python rounds the decimal value of v, Numba scales by 10 ** "
                               "ndigits: round(2.675, 2) is 2.67 in Python, 2.68 in Numba)")
            # (a float beyond int64 made an int wraps around in Numba: checked first, h28b-004)
            return Call(self.global_value(f, s), (Call(_jit_helper("int_of"), (self.expr(e.args[0], s),)),))
        elif isinstance(f, Global) and f.obj is np.cross and len(e.args) == 2 and not e.kwargs and \
                s.origin is not None:  # (3-vectors; 2-vectors refused when it runs: a number per pair, located)
            where = s.origin.unit.location(s.origin.node).describe()
            return Call(_jit_helper("cross"), (self.expr(e.args[0], s), self.expr(e.args[1], s), Const(where)))
        elif isinstance(f, Global) and f.root is np and f.path[1:] == ("stack",) and _joins(e) is not None:
            func = _jit_helper("stack")  # (of arrays: Numba's; of numbers: their 1-d array; along a constant axis)
            e = Call(f, e.args + tuple(v for _, v in e.kwargs or ()))
        elif isinstance(f, Global) and f.root is np and f.path[1:] in (("concatenate",), ("stack",), ("vstack",),
                                                                      ("hstack",)) and _joins(e, self.tuples):
            func = f  # (of a tuple of arrays along a constant axis: Numba's)
        elif isinstance(f, Global):
            func = self.global_value(f, s)
            if isinstance(func, Var):
                self.refuse(s, f"a call of `{'.'.join(f.path)}`")
        else:
            self.refuse(s, "a call of a function value")
        if isinstance(f, Global) and f.root is np and f.path[1:] in (("full",), ("full_like",)):
            e = _numpy_dtype(e)
        args = []
        for a in e.args:
            if isinstance(a, ir.Starred):
                self.refuse(s, "`*args` in a call")
            name = isinstance(f, Global) and (f.path == ("_ad", "stack_family_vjp") and a in [Const(n) for n in STACKS]
                                              or f.path in (("_ad", "index_concat_vjp"), ("_ad", "index_concat_tangent")) and a == Const("r")
                                              or f.path == ("_ad", "check_view") and a is e.args[-1]
                                              or f.path in STRING_ARGS and isinstance(a, Const) and
                                              isinstance(a.value, str))
            args.append(a if name else self.expr(a, s))  # (the name of the stack, of np.r_: a string Numba takes)
        kwargs = tuple((k, self.expr(v, s)) for k, v in e.kwargs if k != "**") if e.kwargs else ()
        if len(kwargs) != len(e.kwargs):
            self.refuse(s, "`**kwargs` in a call")
        out = Call(func, tuple(args), kwargs)
        if isinstance(f, Global) and f.root is math and len(f.path) == 2 and f.path[1] in MATH_ERRORS and \
                1 <= len(args) <= 2 and not kwargs:  # (Python's ValueError / OverflowError, not nan / inf)
            return Call(_jit_helper(f"math_checked{len(args)}"), (out, Const(MATH_ERRORS[f.path[1]])) + tuple(args))
        return _along_axis(_reduce_along(out))


def _integral(kinds, e):
    """Is `e` known to hold integers or bools (a NumPy int, an int array's item), which no int conversion wraps?"""
    kind = kinds.get(e.name) if isinstance(e, Var) else None
    if isinstance(kind, K.Array):
        return kind.dtype in "iub"
    return isinstance(kind, K.Scalar) and isinstance(kind.cls, type) and issubclass(kind.cls, (int, np.integer, np.bool_))


_BUILTIN_DTYPES = {int: ("int64", np.int64), float: ("float64", np.float64), bool: ("bool_", np.bool_),
                   complex: ("complex128", np.complex128)}


def _numpy_dtype(e):
    """`np.full(shape, v, dtype=int)` with NumPy's type for a builtin dtype (Numba's np.full ignores `int`,
    `bool`: it kept the fill value's float, sig25-019)."""
    def fixed(a):
        if isinstance(a, Global) and len(a.path) == 1 and a.obj in _BUILTIN_DTYPES:
            name, obj = _BUILTIN_DTYPES[a.obj]
            return Global(("np", name), obj, np)
        return a
    args = tuple(fixed(a) if i == 2 else a for i, a in enumerate(e.args))
    kwargs = tuple((k, fixed(v) if k == "dtype" else v) for k, v in e.kwargs) if e.kwargs else e.kwargs
    return Call(e.func, args, kwargs)


def _along_axis(e):
    """`np.sum` / `np.mean` of an array along a constant axis, keepdims=True in NumPy's words, in Numba's:
    `_ad.jit.sum_axis(a, k)` (Numba's np.mean takes no axis: the sum over the axis's length), then
    `np.expand_dims(..., k)` for kept dimensions (Numba's reductions take no keepdims); else `e` as it is."""
    f = e.func
    if isinstance(f, Global) and f.root is np and f.path[1:] in (("sum",), ("mean",)) and 1 <= len(e.args) <= 2:
        name, a, args = f.path[1], e.args[0], e.args[1:]
    elif isinstance(f, ir.Attr) and f.attr in ("sum", "mean") and len(e.args) <= 1:
        name, a, args = f.attr, f.value, e.args
    else:
        return e
    found = _constant_axis(e, args)
    if found is None:
        return e
    axis, keep = found
    out = Call(_jit_helper("sum_axis"), (a, axis))  # (loops: jit_runtime_axes.sum_axis)
    if name == "mean":
        out = ir.BinOp("/", out, Index(ir.Attr(a, "shape"), (axis,)))
    return Call(_jit_helper("kept"), (out, axis)) if keep.value else out


REDUCTIONS = {np.max: "max", np.amax: "max", np.min: "min", np.amin: "min", np.var: "var", np.std: "std",
              np.prod: "prod"}


def _reduce_along(e):
    """np.max / min / var / std / prod (and the methods max, min, prod) along a constant int axis, keepdims a
    constant too: `_ad.jit.reduce_axis(a, axis, 'max', keepdims)` (jit_runtime_axes; Numba's take no axis),
    where the array turns out a matrix (another rank is a typing error at the line); else `e` as it is."""
    f = e.func
    if isinstance(f, Global) and REDUCTIONS.get(f.obj) is not None and 1 <= len(e.args) <= 2:
        how, a, args = REDUCTIONS[f.obj], e.args[0], e.args[1:]
    elif isinstance(f, ir.Attr) and f.attr in ("max", "min", "prod") and len(e.args) <= 1:
        how, a, args = f.attr, f.value, e.args
    else:
        return e
    found = _constant_axis(e, args)
    if found is None:
        return e
    return Call(_jit_helper("reduce_axis"), (a, found[0], Const(how), found[1]))


def _constant_axis(e, args):
    """(axis, keepdims) of a reduction `e` whose axis (`args[0]` or the keyword) is an int constant and keepdims
    a bool constant (False when not given), and nothing else is given; else None."""
    kwargs = dict(e.kwargs or ())
    axis = args[0] if args else kwargs.pop("axis", None)
    keep = kwargs.pop("keepdims", Const(False))
    if kwargs or not (isinstance(axis, Const) and type(axis.value) is int) or keep not in (Const(True), Const(False)):
        return None
    return axis, keep


# -- lists joined by np.concatenate / np.stack ----------------------------------------------------------------
JOINS = {"concatenate": 0, "stack": 0, "vstack": 0, "hstack": 0, "split_along": 1, "unstack": 2,
         "stack_family_vjp": 1, "cast_like": 1}  # (the list's position in the call)


STACKS = ("vstack", "hstack")  # (np.<name>(t) and its adjoint _ad.stack_family_vjp(g, t, '<name>'))


def _joins(e, names=None):
    """The list `e` (a call) joins or takes apart along an axis given as a constant (np.concatenate(t),
    np.stack(t, axis=1), their adjoints _ad.split_along(g, t, 1), _ad.unstack(g, 1, t)), or None."""
    if not (isinstance(e, Call) and isinstance(e.func, Global)):
        return None
    f = e.func
    kwargs = dict(e.kwargs or ())
    if f.root is np and len(f.path) == 2 and f.path[1] in ("concatenate", "stack"):
        name, axis = f.path[1], list(e.args[1:]) + ([kwargs.pop("axis")] if "axis" in kwargs else [])
    elif f.root is np and len(f.path) == 2 and f.path[1] in STACKS and len(e.args) == 1:
        name, axis = f.path[1], []
    elif f.path[0] == "_ad" and len(f.path) == 2 and f.path[1] in ("split_along", "unstack"):
        name = f.path[1]
        axis = e.args[2:] if name == "split_along" else e.args[1:2]
    elif f.path == ("_ad", "stack_family_vjp") and len(e.args) == 3 and e.args[2] in [Const(n) for n in STACKS] \
            or f.path == ("_ad", "cast_like") and len(e.args) == 2:  # (cast_like(pieces, t): pieces as they are)
        name, axis = f.path[1], []
    else:
        return None
    at = JOINS[name]
    if kwargs or len(e.args) <= at or not isinstance(e.args[at], Var) or len(axis) > 1 or \
            (axis and not (isinstance(axis[0], Const) and type(axis[0].value) is int)) or \
            (name == "unstack" and len(e.args) != 3):
        return None
    if names is not None and e.args[at].name not in names:
        return None
    return e.args[at].name


def _np(name):
    return Global(("np", name), getattr(np, name), np)
