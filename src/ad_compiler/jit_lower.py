"""`jit=True`, part 1: the generated derivative written in the subset Numba compiles, or refused (docs/jit.md).

The derivative the other passes made is rewritten, statement by statement, without changing what it
computes:

- the tape (one Python list of every value the forward sweep overwrites) becomes one tape per saved name
  (jit_tape.py); a value saved before its first assignment starts as a zero of its kind instead of None;
- `for i in reversed(range(a, b, c))` becomes the same range written backwards;
- `x.tolist()` of a 1-d array becomes `x.copy()` (read item by item the same way);
- runtime helpers (`_ad.abs_vjp`) become their versions in jit_runtime.py (`_ad.jit.abs_vjp`);
- data the function reads from its globals or closure (arrays, numbers) becomes parameters: Numba would
  freeze them into the compiled code, and the derivative must read them live like the plain one.

What falls outside the subset raises UnsupportedError at the user's line (`refuse`), naming the construct
and why.
"""
import builtins
import collections
import math

import numpy as np

from . import ir, kinds as K, runtime
from .errors import UnsupportedError
from .jit_dicts import split_dicts
from .jit_rebind import popped, rebound
from .jit_int_ops import INT_OPS, IntOps
from .jit_stores import PartStores, jit_helper as _jit_helper
from .jit_tape import Tapes, copied_item, dtype_of
from .ir import Assign, AugAssign, Build, Call, Const, For, Global, If, Index, SetItem, Var, While

# NumPy and math functions the compiled derivative may call (Numba compiles them for numbers and arrays)
NUMPY = set("""sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh exp expm1 exp2
log log1p log2 log10 sqrt cbrt square abs absolute fabs sign maximum minimum fmax fmin power hypot floor ceil
trunc rint where sum mean prod dot zeros zeros_like ones ones_like empty empty_like full full_like clip
negative positive reciprocal isnan isinf isfinite logaddexp logaddexp2 deg2rad rad2deg outer
multiply add subtract divide true_divide float64 int64 bool_ pi e inf nan newaxis max min amax amin std var
mod remainder copy asarray array transpose real shape
sort linspace arange cumsum cumprod argmax argmin any all median diff
append conj conjugate""".split())
MATH = set("""sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10
sqrt pow fabs floor ceil trunc hypot erf erfc gamma lgamma isnan isinf isfinite copysign degrees radians
pi e inf nan tau""".split())
BUILTINS = {"abs", "min", "max", "float", "int", "bool", "range", "len", "round", "sum", "slice"}
METHODS = {"copy", "sum", "reshape", "astype", "mean", "prod", "dot", "ravel", "flatten", "transpose", "append",
           "pop", "max", "min", "clip"}
ATTRIBUTES = {"shape", "T", "size", "ndim"}
OPERATORS = {"+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<", ">>"}
COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
WHY = "Numba compiles numbers, NumPy arrays and tuples of them, and a part of NumPy and math"
HINT = "call ad.grad without jit=True (the same derivative in plain Python), or rewrite this line"


class Lowering(PartStores, IntOps):
    def __init__(self, fdef, param_kinds, kinds, alloc, where_def):
        self.fdef = fdef
        self.param_kinds = param_kinds  # parameter name -> kind
        self.kinds = kinds  # SSA name -> kind (kinds.py)
        self.alloc = alloc
        self.where_def = where_def  # the location of the user's `def` (for statements with no origin)
        self.data = {}  # global or closure data read -> the core's parameter name
        self.tapes = None
        self.last_origin = None  # of the statement before: a generated statement may have none
        self.prologue = []  # statements the wrapper runs before the compiled function (argument checks)
        self.dicts = {}  # a dict argument read by constant keys -> {key: the compiled function's parameter}
        self.tuples = set()  # lists of arrays made for np.concatenate / np.stack (and their adjoints): tuples

    # -- refusals ---------------------------------------------------------------------------------------------
    def refuse(self, s, what):
        origin = s.origin if s is not None and s.origin is not None else self.last_origin
        where = origin.unit.location(origin.node) if origin is not None else self.where_def
        raise UnsupportedError(f"jit=True: {what}; {WHY}", where=where, hint=HINT)

    # -- the whole body ---------------------------------------------------------------------------------------
    def lower(self, body):
        """The body rewritten (a new list), or UnsupportedError."""
        tape = next((s.targets[0] for s in body if isinstance(s, Assign) and _helper(s.value) == "new_tape"), None)
        body, entries = split_dicts(body, self.kinds, self.alloc)  # (dicts made in the function: a name per key)
        self.kinds = {**self.kinds, **entries}
        self.body = body
        self.kinds = {**self.kinds, **_item_kinds(body, self.param_kinds, self.kinds)}
        self.tapes = Tapes(body, tape, self.kinds, self.alloc)
        self.tuples = _joined_lists(body)
        out = []
        for s in body:
            out += self.tapes.made_before(s)
            if not (isinstance(s, Assign) and s.targets == (tape,)):
                out += self.statement(s)
        return out

    def statement(self, s):
        """The statement `s` rewritten: a list of statements."""
        if s.origin is not None:
            self.last_origin = s.origin
        if isinstance(s, ir.Comment):
            return [s]
        if isinstance(s, ir.ExprStmt):
            name = self.tapes.pushed(s)
            if name is not None:
                item = copied_item(s.value.args[0])
                if item is None:
                    return self.tapes.push(name, s)
                # (the elements a store overwrites: one element as it is, a part of an array copied)
                saved = item if dtype_of(self.tapes.kinds.get(name)) is not None else s.value.args[0]
                return self.tapes.push(name, s, self.expr(saved, s))
            if _helper(s.value) == "check_apart":  # (arguments sharing memory: checked in the wrapper)
                self.prologue.append(s)
                return []
            if _list_method(s.value):  # (`out.append(v)`, `out.pop()` of a list made in the function)
                s.value = self.expr(s.value, s)
                return [s]
            if _helper(s.value) is None:
                self.refuse(s, "a statement of this kind (a call whose value is not used)")
            if _helper(s.value) == "add_at" and self.scalar_index(s.value.args[1]):
                new = rebound(s, self.body, self.kinds)  # (into an adjoint that may be a tuple: rebound)
                if new is not None:
                    return self.statement(new)
                b, index, g = s.value.args  # (a store Numba types once, not a call per index)
                return [_at(SetItem(self.expr(b, s), (self.expr(index, s),), self.expr(g, s), "+"), s)]
            s.value = self.expr(s.value, s)
            return [s]
        if isinstance(s, Assign):
            if self.tapes.popped(s):
                if s.targets[0] not in self.tapes.names:  # (restored, but not saved as a name)
                    self.refuse(s, "a value restored from the tape in a form this backend does not split by name")
                return self.tapes.pop(s.targets[0], s)
            if _helper(s.value) == "pop_item" and len(s.targets) == 1 and len(s.value.args) == 2:
                new = popped(s, self.body, self.kinds)  # (of an adjoint that may be a tuple: rebound)
                if new is not None:
                    return self.block(new)
            if len(s.targets) == 1 and (s.value == Const(None) or _helper_value(s.value, "UNSET")):
                return [self.zero_of(s.targets[0], s)]
            s.value = self.tolist(s.value) if _is_tolist(s.value, self) else self.expr(s.value, s)
            return [s]
        if isinstance(s, SetItem):
            if self.tapes.popped(s):
                name = self.tapes.restored(s)
                if name is None:
                    self.refuse(s, "a value restored from the tape in a form this backend does not split by name")
                restored = self.tapes.pop(name, s, self.expr(s.target, s), self.index_items(s.target, s.items, s))
                return [self.part_store(x) if isinstance(x, SetItem) else x for x in restored]
            if ir.attr_key(s.items) is not None:
                self.refuse(s, "an attribute of an object")
            s.items = self.index_items(s.target, s.items, s)
            s.target = self.expr(s.target, s)
            s.value = self.expr(s.value, s)
            return [self.part_store(s)]
        if isinstance(s, AugAssign):
            if s.op in INT_OPS and self.is_int(Var(s.target)) and self.is_int(s.value):  # (a Python int's)
                return [_at(Assign((s.target,), self.int_op(ir.BinOp(s.op, Var(s.target), s.value), s)), s)]
            s.value = self.expr(s.value, s)
            return [s]
        if isinstance(s, If):
            if s.role is not None:
                self.refuse(s, f"a `{s.role}` block")
            s.test = self.expr(s.test, s)
            s.body = self.block(s.body)
            s.orelse = self.block(s.orelse)
            return [s]
        if isinstance(s, For):
            s.iter = self.loop_range(s)
            s.body = self.block(s.body)
            return [s]
        if isinstance(s, While):
            s.test = self.expr(s.test, s)
            s.body = self.block(s.body)
            return [s]
        if isinstance(s, (ir.Break, ir.Return)):
            if isinstance(s, ir.Return):
                s.value = self.expr(s.value, s)
            return [s]
        if ir.is_throw(s):
            self.refuse(s, "`raise`")
        self.refuse(s, f"a statement of this kind ({type(s).__name__})")

    def block(self, stmts):
        return [x for s in stmts for x in self.statement(s)]

    # -- loops ------------------------------------------------------------------------------------------------
    def loop_range(self, s):
        it = s.iter
        if _builtin_call(it, "reversed") and len(it.args) == 1 and _builtin_call(it.args[0], "range"):
            args = [self.expr(a, s) for a in it.args[0].args]
            return _reversed_range(args)
        if _builtin_call(it, "reversed") and len(it.args) == 1 and _range_head(it.args[0]):
            # (the adjoint of a loop left by `break`: the steps it ran, `range(...)[:n_iter]`, backwards)
            args = [self.expr(a, s) for a in it.args[0].value.args]
            return _reversed_head(args, self.expr(it.args[0].items[0].upper, s))
        if _builtin_call(it, "range"):
            return Call(it.func, tuple(self.expr(a, s) for a in it.args))
        self.refuse(s, "a loop over something other than a range (a list, an array's rows, ...)")

    def zero_of(self, name, s):
        """`name = None` (a value saved before its first assignment): a zero of the name's kind."""
        kind = self.kinds.get(name)
        dtype = dtype_of(kind)
        if dtype is not None:
            return _at(Assign((name,), Const({"float64": 0.0, "int64": 0, "bool_": False}[dtype])), s)
        if isinstance(kind, K.Array) and kind.ndim is not None and kind.dtype in "fib":
            dtype = {"f": "float64", "i": "int64", "b": "bool_"}[kind.dtype]
            return _at(Assign((name,), Call(_np("zeros"), (Build("tuple", (Const(0),) * kind.ndim), _np(dtype)))), s)
        self.refuse(s, f"`{name}` may be None, or its kind is not known ({kind!r})")

    # -- expressions ------------------------------------------------------------------------------------------
    def scalar_index(self, e):
        if isinstance(e, Const):
            return type(e.value) is int
        kind = self.kinds.get(e.name) if isinstance(e, Var) else None
        return isinstance(kind, K.Scalar) and kind.cls is int

    def plain_sum(self, e):
        """Is `e` known to be a number or a 1-d array (a sum Numba's own np.sum / sum compiles)?"""
        kind = (self.param_kinds.get(e.name) or self.kinds.get(e.name)) if isinstance(e, Var) else None
        return isinstance(kind, K.Scalar) or isinstance(kind, K.Array) and kind.ndim == 1

    def tolist(self, value):
        return Call(ir.Attr(value.func.value, "copy"), ())

    def expr(self, e, s):
        cls = e.__class__
        if cls is Var:
            if e.name in self.dicts:
                self.refuse(s, f"the dict `{e.name}` used other than by a constant key (`{e.name}['w']`)")
            return e
        if cls is Const:
            v = e.value
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                return _math("nan") if math.isnan(v) else (_math("inf") if v > 0 else ir.UnaryOp("-", _math("inf")))
            if v is None or v is Ellipsis or isinstance(v, (bool, int, float)):  # (`y[...]`: Numba indexes so)
                return e
            if type(v) is tuple and v and all(type(i) in (bool, int, float) for i in v):  # (`(3, 7, 11)[k]`)
                return Build("tuple", tuple(self.expr(Const(i), s) for i in v))
            self.refuse(s, f"the constant {v!r}")
        if cls is Global:
            return self.global_value(e, s)
        if cls is ir.BinOp:
            if e.op not in OPERATORS:
                self.refuse(s, f"the operator {e.op}")
            if e.op in INT_OPS and self.is_int(e.left) and self.is_int(e.right):
                return self.int_op(e, s)
            return ir.BinOp(e.op, self.expr(e.left, s), self.expr(e.right, s))
        if cls is ir.UnaryOp:
            if e.op == "-" and self.is_int(e.operand) and not isinstance(e.operand, Const):
                return Call(_jit_helper("int_neg"), (self.expr(e.operand, s),))
            return ir.UnaryOp(e.op, self.expr(e.operand, s))
        if cls is ir.Compare:
            bad = [op for op in e.ops if op not in COMPARISONS]
            if bad:
                self.refuse(s, f"the comparison `{bad[0]}`")
            return ir.Compare(self.expr(e.left, s), e.ops, tuple(self.expr(r, s) for r in e.rights))
        if cls is ir.IfExp:
            return ir.IfExp(self.expr(e.test, s), self.expr(e.body, s), self.expr(e.orelse, s))
        if cls is ir.Attr:
            if e.attr not in ATTRIBUTES:
                self.refuse(s, f"the attribute `.{e.attr}`")
            return ir.Attr(self.expr(e.value, s), e.attr)
        if cls is Index:
            if ir.attr_key(e.items) is not None:
                self.refuse(s, "an attribute of an object")
            if isinstance(e.value, Global) and e.value.root is np and e.value.path[1:] == ("r_",):
                return self.index_concat(e, s)
            if isinstance(e.value, Var) and e.value.name in self.dicts and len(e.items) == 1 and \
                    isinstance(e.items[0], Const) and e.items[0].value in self.dicts[e.value.name]:
                return Var(self.dicts[e.value.name][e.items[0].value])  # (`d['w']`: the parameter d_w)
            return Index(self.expr(e.value, s), self.index_items(e.value, e.items, s), e.tuple_form)
        if cls is ir.Slice:
            return ir.Slice(*(None if x is None else self.expr(x, s) for x in (e.lower, e.upper, e.step)))
        if cls is Build:
            if e.kind not in ("tuple", "list"):
                self.refuse(s, f"a {e.kind} (a {e.kind} of numbers or arrays is not one of Numba's types here)")
            # (a list made in the function: Numba's list of the one type of its items, inferred from them
            # or from what is appended; items of several types are a typing error, located at the first call)
            kind = "tuple" if isinstance(s, Assign) and s.targets[0] in self.tuples else e.kind
            return Build(kind, tuple(self.expr(i, s) for i in e.items))
        if cls is Call:
            return self.call(e, s)
        self.refuse(s, f"an expression of this kind ({cls.__name__})")

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
        if len(g.path) == 2 and g.root is np and g.path[1] in NUMPY:
            return g
        if len(g.path) == 2 and g.root is math and g.path[1] in MATH:
            return g
        if len(g.path) == 1 and isinstance(g.obj, (bool, int, float, np.ndarray, np.generic)) and \
                not isinstance(g.obj, np.ndarray) or (len(g.path) == 1 and isinstance(g.obj, np.ndarray)
                                                       and g.obj.dtype.kind in "fib"):
            if g.path[0] not in self.data:
                self.data[g.path[0]] = (self.alloc.fresh(g.path[0]), g)
            return Var(self.data[g.path[0]][0])
        if len(g.path) == 1 and getattr(builtins, g.path[0], None) is g.obj and g.path[0] in BUILTINS:
            return g
        self.refuse(s, f"`{'.'.join(g.path)}` ({type(g.obj).__name__})")

    def call(self, e, s):
        f = e.func
        if isinstance(f, Global) and f.path[0] == "_ad" and len(f.path) == 2 and f.path[1] not in ("np", "math"):
            from . import jit_runtime

            name = f.path[1]
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
        args = []
        for a in e.args:
            if isinstance(a, ir.Starred):
                self.refuse(s, "`*args` in a call")
            name = isinstance(f, Global) and (f.path == ("_ad", "stack_family_vjp") and a in [Const(n) for n in STACKS]
                                              or f.path == ("_ad", "index_concat_vjp") and a == Const("r")
                                              or f.path == ("_ad", "check_view") and a is e.args[-1])
            args.append(a if name else self.expr(a, s))  # (the name of the stack, of np.r_: a string Numba takes)
        kwargs = tuple((k, self.expr(v, s)) for k, v in e.kwargs if k != "**") if e.kwargs else ()
        if len(kwargs) != len(e.kwargs):
            self.refuse(s, "`**kwargs` in a call")
        return _along_axis(_reduce_along(Call(func, tuple(args), kwargs)))


ITEMS = {"f": np.float64, "i": np.int64, "b": np.bool_}  # (an item of an array of this dtype)


def _item_kinds(body, param_kinds, kinds):
    """The kinds of numbers the kinds pass left unknown: an item of an array (`W[i]` of a global array,
    `x[idx[i]]` by an item of an int array, `y[i, j]`) and arithmetic of such numbers, for the tape and for the
    zeros of values saved before their first assignment. A kind guessed wrong is a Numba typing error at the
    first call (located), never a value: a number and an array do not unify."""
    defs = collections.defaultdict(list)
    for s in ir.walk(body):
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.targets[0], str) and \
                not (s.value == Const(None) or _helper_value(s.value, "UNSET") or _is_pop(s.value)):
            defs[s.targets[0]].append(s.value)
    found = {}

    def kind_of(e):
        if isinstance(e, Const):
            return K.Scalar(type(e.value)) if type(e.value) in (int, float) else None
        if isinstance(e, Var):
            kind = found.get(e.name) or param_kinds.get(e.name) or kinds.get(e.name)
            return kind if isinstance(kind, (K.Scalar, K.Array)) else None
        if isinstance(e, Global):
            obj = e.obj
            if isinstance(obj, np.ndarray) and obj.dtype in (np.float64, np.int64, np.bool_):
                return K.Array(dtype=obj.dtype.kind, ndim=obj.ndim)
            return K.Scalar(type(obj)) if type(obj) in (int, float) else None
        if isinstance(e, Index):
            base = kind_of(e.value)
            items = [kind_of(i) for i in e.items]
            if isinstance(base, K.Array) and base.ndim == len(items) and base.dtype in ITEMS and \
                    all(isinstance(k, K.Scalar) and (k.cls is int or issubclass(k.cls, np.integer)) for k in items):
                return K.Scalar(ITEMS[base.dtype])
            return None
        if isinstance(e, ir.BinOp) and e.op in ("+", "-", "*", "/", "**"):
            left, right = kind_of(e.left), kind_of(e.right)
            if not (isinstance(left, K.Scalar) and isinstance(right, K.Scalar)):
                return None
            floats = [k.cls for k in (left, right) if k.cls in (float, np.float64)]
            if floats or e.op == "/":
                return K.Scalar(floats[0] if floats else float)
            return None
        if isinstance(e, ir.UnaryOp) and e.op == "-":
            return kind_of(e.operand)
        return None

    changed = True
    while changed:
        changed = False
        for name, values in defs.items():
            if name in found or isinstance(kinds.get(name), (K.Scalar, K.Array)):
                continue
            got = {kind_of(v) for v in values}
            if len(got) == 1 and isinstance(next(iter(got)), K.Scalar):
                found[name] = got.pop()
                changed = True
    return found


def _is_pop(e):
    return isinstance(e, Call) and isinstance(e.func, ir.Attr) and e.func.attr == "pop"


def _along_axis(e):
    """`np.sum` / `np.mean` of an array along a constant axis, keepdims=True in NumPy's words, in Numba's:
    `np.sum(a, axis=k)` (Numba's np.mean takes no axis: the sum over the axis's length), then
    `np.expand_dims(..., k)` for kept dimensions (Numba's reductions take no keepdims); else `e` as it is."""
    f = e.func
    if isinstance(f, Global) and f.root is np and f.path[1:] in (("sum",), ("mean",)) and 1 <= len(e.args) <= 2:
        name, a, args = f.path[1], e.args[0], e.args[1:]
    elif isinstance(f, ir.Attr) and f.attr in ("sum", "mean") and len(e.args) <= 1:
        name, a, args = f.attr, f.value, e.args
    else:
        return e
    kwargs = dict(e.kwargs or ())
    axis = args[0] if args else kwargs.pop("axis", None)
    keep = kwargs.pop("keepdims", Const(False))
    if kwargs or not (isinstance(axis, Const) and type(axis.value) is int) or keep not in (Const(True), Const(False)) \
            or (name == "sum" and keep == Const(False)):
        return e
    out = Call(_np("sum"), (a,), (("axis", axis),))
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
    kwargs = dict(e.kwargs or ())
    axis = args[0] if args else kwargs.pop("axis", None)
    keep = kwargs.pop("keepdims", Const(False))
    if kwargs or not (isinstance(axis, Const) and type(axis.value) is int) or keep not in (Const(True), Const(False)):
        return e
    return Call(_jit_helper("reduce_axis"), (a, axis, Const(how), keep))


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


def _joined_lists(body):
    """The lists made in the function (`t = [a, b]`) read only where np.concatenate or np.stack joins them
    along axis 0 and where their adjoints take the result apart: made as tuples, which Numba's
    np.concatenate and np.stack take (and the helpers' jit versions return tuples of the same length)."""
    made, bad = set(), set()
    for s in ir.walk(body):
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Build) and \
                s.value.kind in ("list", "tuple") and s.value.items:
            made.add(s.targets[0])
    for s in ir.walk(body):
        reads = _loose_reads(s.value) if isinstance(s, Assign) else set(ir.stmt_reads(s))
        if isinstance(s, Assign) and isinstance(s.value, Build) and s.targets[0] in made:
            reads = {n for i in s.value.items for n in ir.names_in(i)}
        bad |= reads & made
        if not isinstance(s, Assign):
            bad |= {t for t in getattr(s, "targets", ()) if isinstance(t, str)} & made
    defined = collections.Counter(s.targets[0] for s in ir.walk(body) if isinstance(s, Assign) and
                                  len(s.targets) == 1)
    return {t for t in made - bad if defined[t] == 1}


def _loose_reads(e):
    """The names the expression `e` reads other than as the list a join takes (at any depth: the adjoint
    `_ad.cast_like(_ad.stack_family_vjp(g, t, 'vstack'), t)` reads t only so)."""
    if isinstance(e, Var):
        return {e.name}
    joined = _joins(e)
    if joined is None:
        return set().union(*(_loose_reads(c) for c in ir.children(e)))
    at = JOINS[e.func.path[-1]]
    return set().union(*(_loose_reads(c) for i, c in enumerate(e.args) if i != at),
                       *(_loose_reads(v) for _, v in e.kwargs or ()))


# -- small pieces ---------------------------------------------------------------------------------------------
def _at(new, old):
    new.origin = old.origin
    return new


def _helper(e):
    if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[0] == "_ad" and len(e.func.path) == 2:
        return e.func.path[1]
    return None


def _helper_value(e, name):
    return isinstance(e, Global) and e.path == ("_ad", name)


def _list_method(e):
    return isinstance(e, Call) and isinstance(e.func, ir.Attr) and e.func.attr in ("append", "pop") and \
        isinstance(e.func.value, Var) and not e.kwargs and len(e.args) == (e.func.attr == "append")


def _builtin_call(e, name):
    return isinstance(e, Call) and isinstance(e.func, Global) and e.func.obj is getattr(builtins, name)


def _is_tolist(v, lowering):
    if not (isinstance(v, Call) and isinstance(v.func, ir.Attr) and v.func.attr == "tolist" and not v.args
            and isinstance(v.func.value, Var)):
        return False
    name = v.func.value.name
    kind = lowering.param_kinds.get(name) or lowering.kinds.get(name)
    return isinstance(kind, K.Array) and kind.ndim == 1 and kind.dtype in "fi"


def _reversed_range(args):
    """reversed(range(*args)) as a range."""
    one = Const(1)
    if len(args) == 1:
        return Call(Global(("range",), range), (_minus(args[0], one), Const(-1), Const(-1)))
    if len(args) == 2:
        return Call(Global(("range",), range), (_minus(args[1], one), _minus(args[0], one), Const(-1)))
    a, b, c = args
    n = Call(Global(("len",), len), (Call(Global(("range",), range), (a, b, c)),))
    last = ir.BinOp("+", a, ir.BinOp("*", _minus(n, one), c))
    return Call(Global(("range",), range), (last, _minus(a, c), ir.UnaryOp("-", c)))


def _range_head(e):
    """Is `e` `range(...)[:n]`?"""
    return isinstance(e, Index) and _builtin_call(e.value, "range") and len(e.items) == 1 and \
        isinstance(e.items[0], ir.Slice) and e.items[0].lower is None and e.items[0].step is None and \
        e.items[0].upper is not None


def _reversed_head(args, n):
    """reversed(range(*args)[:n]) as a range, for n at most the range's length."""
    one = Const(1)
    a, c = (Const(0), one) if len(args) == 1 else (args[0], args[2] if len(args) == 3 else one)
    last = ir.BinOp("+", a, ir.BinOp("*", _minus(n, one), c)) if c != one else ir.BinOp("+", a, _minus(n, one))
    if a == Const(0) and c == one:
        last = _minus(n, one)
    return Call(Global(("range",), range), (last, _minus(a, c), ir.UnaryOp("-", c) if not isinstance(c, Const)
                                              else Const(-c.value)))


def _minus(e, k):
    if isinstance(e, Const) and isinstance(k, Const) and type(e.value) is int and type(k.value) is int:
        return Const(e.value - k.value)
    return ir.BinOp("-", e, k)


def _np(name):
    return Global(("np", name), getattr(np, name), np)


def _math(name):
    return Global(("math", name), getattr(math, name), math)
