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

from . import ir, kinds as K
from .errors import UnsupportedError
from .jit_calls import JOINS, Calls, _joins, _np
from .jit_dicts import split_dicts
from .jit_identity import fresh_arrays, same_object_test
from .jit_rebind import certainly_array, popped, rebound
from .jit_int_ops import INT_OPS, IntOps
from .jit_stores import PartStores, jit_helper as _jit_helper
from .jit_tape import Tapes, copied_item, dtype_of
from .ir import Assign, AugAssign, Build, Call, Const, For, Global, If, Index, SetItem, Var, While

ATTRIBUTES = {"shape", "T", "size", "ndim", "dtype"}
OPERATORS = {"+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<", ">>"}
COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
WHY = "Numba compiles numbers, NumPy arrays and tuples of them, and a part of NumPy and math"
HINT = "call ad.grad without jit=True (the same derivative in plain Python), or rewrite this line"


class Lowering(PartStores, IntOps, Calls):
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
        self.fresh = set()  # arrays made in the function, never views (`a is b` compiled: jit_identity.py)

    # -- refusals ---------------------------------------------------------------------------------------------
    def refuse(self, s, what):
        origin = s.origin if s is not None and s.origin is not None else self.last_origin
        where = origin.unit.location(origin.node) if origin is not None else self.where_def
        raise UnsupportedError(f"jit=True: {what}; {WHY}", where=where, hint=HINT)

    # -- the whole body ---------------------------------------------------------------------------------------
    def lower(self, body, returned=frozenset()):
        """The body rewritten (a new list), or UnsupportedError; `returned`: the names the return reads."""
        tape = next((s.targets[0] for s in body if isinstance(s, Assign) and _helper(s.value) == "new_tape"), None)
        body, entries = split_dicts(body, self.kinds, self.alloc, returned)  # (dicts made in it: a name per key)
        self.kinds = {**self.kinds, **entries}
        self.body = body
        self.kinds = {**self.kinds, **_item_kinds(body, self.param_kinds, self.kinds)}
        self.tapes = Tapes(body, tape, self.kinds, self.alloc)
        self.fresh = fresh_arrays(body, self.kinds)  # (arrays made in the function, never views: jit_identity)
        self.tuples = _joined_lists(body)
        self.pieces = self._number_pieces(body)
        self.coordinates = coordinate_names(body)  # (an index array per axis: jit_runtime_indices)
        self.adjoint_arrays = adjoint_arrays(body, self.param_kinds, self.kinds)  # (for part stores: ranks)
        out = []
        for s in body:
            for made in self.tapes.made_before(s):  # (their sizes read the loops' bounds: a global `range(N)`
                if isinstance(made, Assign) and not isinstance(made.value, Build) and not _is_jit_call(made.value):
                    # (as its parameter, h28b-006; a tape in the frame has a constant size: jit_tape.py)
                    made.value = self.expr(made.value, made)
                out.append(made)
            if not (isinstance(s, Assign) and s.targets == (tape,)):
                out += self.statement(s)
        for s in ir.walk(out):  # (a user's global left as it is would be a constant Numba freezes: stale later)
            if any(_frozen_data(g) for g in _globals_in(s)):
                self.refuse(s, "a value of a global read where it is frozen when compiled (an internal miss)")
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
                if isinstance(b, Var) and certainly_array(self.body, b.name, self.kinds):
                    return [_at(SetItem(self.expr(b, s), (self.expr(index, s),), self.expr(g, s), "+"), s)]
                # (into a list: the helper puts a new item, `b[k] = add(b[k], g)`, as the plain one does)
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
            if s.items == (Const(Ellipsis),) and s.op in (None, "+") and not s.noop and isinstance(s.target, Var):
                # (`y[...] = v` of an array of any rank, its kind known or not: all of y, by the loops of
                # _ad.jit.store_into / add_into; something else than an array there is a typing error, located)
                helper = "add_into" if s.op == "+" else "store_into"
                return [_at(ir.ExprStmt(Call(_jit_helper(helper), (s.target, self.expr(s.value, s)))), s)]
            if s.op is None and not s.noop and self.by_coordinates(s.items):  # (`y[c] = v`: loops)
                store = Call(_jit_helper("scatter"), (self.expr(s.target, s), s.items[0], self.expr(s.value, s)))
                return [_at(ir.ExprStmt(store), s)]
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
        zero = _zero(kind)
        if zero is None:
            self.refuse(s, f"`{name}` may be None, or its kind is not known ({kind!r})")
        return _at(Assign((name,), zero), s)

    # -- expressions ------------------------------------------------------------------------------------------
    def scalar_index(self, e):
        if isinstance(e, Const):
            return type(e.value) is int
        kind = self.kinds.get(e.name) if isinstance(e, Var) else None
        return isinstance(kind, K.Scalar) and kind.cls is int

    def by_coordinates(self, items):
        """Is the index `items` one name holding coordinates (an index array per axis, made by the positions'
        helpers of NumPy's indexing functions: desugar_index_forms.py)?"""
        return len(items) == 1 and isinstance(items[0], Var) and items[0].name in self.coordinates

    def plain_sum(self, e):
        """Is `e` known to be a number or a 1-d array (a sum Numba's own np.sum / sum compiles)?"""
        kind = (self.param_kinds.get(e.name) or self.kinds.get(e.name)) if isinstance(e, Var) else None
        return isinstance(kind, K.Scalar) or isinstance(kind, K.Array) and kind.ndim == 1

    def tolist(self, value):
        return Call(ir.Attr(value.func.value, "copy"), ())

    def inverts_alike(self, e):
        """Does Numba's `~e` give what Python's does: `e` an array, or a NumPy int or bool?"""
        kind = (self.param_kinds.get(e.name) or self.kinds.get(e.name)) if isinstance(e, Var) else None
        return isinstance(kind, K.Array) or isinstance(kind, K.Scalar) and isinstance(kind.cls, type) and \
            issubclass(kind.cls, (np.integer, np.bool_))

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
            if e.op == "~" and not self.is_int(e.operand) and not self.inverts_alike(e.operand):
                self.refuse(s, "`~` of a value not known to be an int or an array (of a bool, Python's `~True` is "
                               "the int -2, Numba's is False: write `not b` or `-1 - int(b)`)")  # (h28b-001)
            return ir.UnaryOp(e.op, self.expr(e.operand, s))
        if cls is ir.Compare:
            same = same_object_test(e, self.fresh)  # (`a is b` of arrays made in the function)
            if same is not None:
                return same
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
            if e.items == (Const(Ellipsis),) and isinstance(e.value, Var) and \
                    not isinstance(self.kinds.get(e.value.name), K.Array):  # (`dw[...]`, dw's rank not known)
                return Call(_jit_helper("whole"), (e.value,))
            if self.by_coordinates(e.items):  # (`x[c]`, an index array per axis: jit_runtime_indices)
                return Call(_jit_helper("gather"), (self.expr(e.value, s), e.items[0]))
            return Index(self.expr(e.value, s), self.index_items(e.value, e.items, s), e.tuple_form)
        if cls is ir.Slice:
            return ir.Slice(*(None if x is None else self.expr(x, s) for x in (e.lower, e.upper, e.step)))
        if cls is Build:
            if e.kind not in ("tuple", "list"):
                self.refuse(s, f"a {e.kind} (a {e.kind} of numbers or arrays is not one of Numba's types here)")
            # (a list made in the function: Numba's list of the one type of its items, inferred from them
            # or from what is appended; items of several types are a typing error, located at the first call)
            kind = "tuple" if isinstance(s, Assign) and s.targets[0] in self.tuples else e.kind
            if isinstance(s, Assign) and s.targets[0] in self.pieces and e is s.value:
                # (`t18 = [m]`, a piece of np.concatenate([x, [m]]): the 1-d array NumPy makes of it, which
                # Numba's np.concatenate takes, where it takes no list, j12-007)
                return Call(_jit_helper("number_array"), (Build("tuple", tuple(self.expr(i, s) for i in e.items)),))
            if kind == "tuple":  # (the same written in place: `np.concatenate((dx, [dz, ds]))` of forward mode)
                return Build(kind, tuple(Call(_jit_helper("number_array"), (Build("tuple", tuple(
                    self.expr(j, s) for j in i.items)),)) if self._numbers(i) else self.expr(i, s) for i in e.items))
            return Build(kind, tuple(self.expr(i, s) for i in e.items))
        if cls is Call:
            return self.call(e, s)
        self.refuse(s, f"an expression of this kind ({cls.__name__})")

    def _numbers(self, e):
        """Is `e` a list display of what may be real numbers (int or float constants, names of such kinds or of
        no known kind: a tangent; `_ad.jit.number_array` takes only numbers, a typing error at the line else)?"""
        return isinstance(e, Build) and e.kind == "list" and bool(e.items) and all(
            isinstance(i, Const) and type(i.value) in (int, float) or
            isinstance(i, Var) and (_is_real_number(self.kinds.get(i.name)) or
                                    self.kinds.get(i.name) in (None, K.UNKNOWN)) for i in e.items)

    def _number_pieces(self, body):
        """The lists of real numbers made once (`t18 = [m]`) and read only as items of the lists joined by
        np.concatenate / np.stack (self.tuples): made as the 1-d arrays NumPy makes of them."""
        made = collections.Counter(n for s in ir.walk(body) for n in ir.stmt_writes(s))
        numbers = {s.targets[0] for s in ir.walk(body) if isinstance(s, Assign) and len(s.targets) == 1 and
                   made[s.targets[0]] == 1 and self._numbers(s.value)}
        for s in ir.walk(body):
            if isinstance(s, Assign) and len(s.targets) == 1 and s.targets[0] in self.tuples and \
                    isinstance(s.value, Build):
                numbers -= {n for i in s.value.items if not isinstance(i, Var) for n in ir.names_in(i)}
            elif not (isinstance(s, Assign) and len(s.targets) == 1 and s.targets[0] in numbers):
                numbers -= set(ir.stmt_reads(s)) - _shape_reads(s)
        return numbers


def _shape_reads(s):
    """The names `s` reads only as the second argument of `_ad.entry_or_zeros(taken, value)` (for its structure:
    a list of numbers made a 1-d array gives it alike) and nowhere else in it."""
    only, other = set(), set()

    def visit(e):
        if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path == ("_ad", "entry_or_zeros") and \
                len(e.args) == 2 and isinstance(e.args[1], Var):
            only.add(e.args[1].name)
            visit(e.args[0])
            return e
        if isinstance(e, Var):
            other.add(e.name)
        for c in ir.children(e):
            visit(c)
        return e
    for e in [getattr(s, "value", None), getattr(s, "test", None)]:
        if e is not None:
            visit(e)
    return only - other if isinstance(s, (Assign, ir.ExprStmt)) else set()


def _is_real_number(kind):
    return isinstance(kind, K.Scalar) and isinstance(kind.cls, type) and \
        issubclass(kind.cls, (float, int, np.floating, np.integer)) and not issubclass(kind.cls, bool)


def _zero(kind):
    """A value of `kind` for a name saved before its first assignment (read by nothing: where the plain
    derivative has None, the compiled one needs a value of the name's one type): a zero number, an empty array
    of the rank and dtype, a tuple of such, an empty list of the one kind of its items; None if not known."""
    dtype = dtype_of(kind)
    if dtype is not None:
        return Const({"float64": 0.0, "int64": 0, "bool_": False}[dtype])
    if isinstance(kind, K.Array) and kind.ndim is not None and kind.dtype in "fib":
        dtype = {"f": "float64", "i": "int64", "b": "bool_"}[kind.dtype]
        return Call(_np("zeros"), (Build("tuple", (Const(0),) * kind.ndim), _np(dtype)))
    if isinstance(kind, K.Seq) and kind.items is not None and kind.items:
        zeros = [_zero(k) for k in kind.items]
        if any(z is None for z in zeros):
            return None
        if kind.cls is tuple:
            return Build("tuple", tuple(zeros))
        if kind.cls is list and len({_shown(z) for z in zeros}) == 1:  # (Numba's list: one type of item)
            return Index(Build("list", (zeros[0],)), (ir.Slice(None, Const(0), None),))  # (`[0.0][:0]`)
    return None


def _shown(e):
    from .printer import Printer
    return Printer().expr(e)


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
            if left.cls is int and right.cls is int and e.op in ("+", "-", "*"):  # (Python ints: an int)
                return K.Scalar(int)
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
        if not changed:  # (a counter `n = 0`, then `n = n + 1`: its kind assumed from the known definitions,
            # kept only where every definition then gives that very kind)
            guess = {}
            for name, values in defs.items():
                if name in found or isinstance(kinds.get(name), (K.Scalar, K.Array)):
                    continue
                got = {kind_of(v) for v in values} - {None}
                if len(got) == 1 and isinstance(next(iter(got)), K.Scalar):
                    guess[name] = got.pop()
            while guess:
                found.update(guess)
                wrong = {n for n, k in guess.items() if any(kind_of(v) != k for v in defs[n])}
                if not wrong:
                    changed = True
                    break
                for n in guess:
                    del found[n]
                guess = {n: k for n, k in guess.items() if n not in wrong}
    return found


def _is_pop(e):
    return isinstance(e, Call) and isinstance(e.func, ir.Attr) and e.func.attr == "pop"


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


def _math(name):
    return Global(("math", name), getattr(math, name), math)


COORDINATES = ("along_axis_index", "diagonal_positions")  # (helpers whose value is coordinates)


def coordinate_names(body):
    """The names holding coordinates: the value of `_ad.along_axis_index` / `_ad.diagonal_positions`, or the first
    item of `_ad.flat_store_positions`'s (desugar_index_forms.py)."""
    found, pairs = set(), set()
    for s in ir.walk(body):
        if isinstance(s, Assign) and len(s.targets) == 1:
            v = s.value
            if _helper(v) in COORDINATES:
                found.add(s.targets[0])
            elif _helper(v) == "flat_store_positions":
                pairs.add(s.targets[0])
            elif isinstance(v, Index) and isinstance(v.value, Var) and v.value.name in pairs and \
                    v.items == (Const(0),):
                found.add(s.targets[0])
    return found


ZEROS_OF = {"zeros_like": 0, "getitem_vjp": 1, "owned_copy": 1}  # (helpers giving a float array of an argument's shape)


def adjoint_arrays(body, param_kinds, kinds):
    """The kinds of adjoints the kinds pass does not know: a name every definition of which is `_ad.zeros_like(x)`,
    `_ad.getitem_vjp(g, x, i)` or `_ad.owned_copy(b, x)` of an array x of known rank is a float array of that rank
    (so that a store of a row into it, `bx[1] = bt2`, is a loop, jit_stores.py: Numba's own store compiles an
    error-formatting function for its shapes, a second or more)."""
    defs = collections.defaultdict(list)
    for s in ir.walk(body):
        for name in ir.stmt_writes(s):
            defs[name].append(s)
    found = {}
    for name, stmts in defs.items():
        if name in kinds or name in param_kinds:
            continue
        ranks = set()
        for s in stmts:
            v = s.value if isinstance(s, Assign) and len(s.targets) == 1 else None
            if isinstance(v, ir.BinOp) and v.op in ("+", "-") and Var(name) in (v.left, v.right):
                continue  # (`bx = bx + e`: an adjoint added to, its rank kept; a wrong rank would be a typing
                # error of store_into at the first call, located, never a value)
            k = ZEROS_OF.get(_helper(v)) if v is not None else None
            x = v.args[k] if k is not None and len(v.args) > k else None
            kind = (param_kinds.get(x.name) or kinds.get(x.name)) if isinstance(x, Var) else None
            ranks.add(kind.ndim if isinstance(kind, K.Array) and kind.ndim else None)
        if len(ranks) == 1 and None not in ranks:  # (and at least one definition by the helpers)
            found[name] = K.Array(dtype="f", ndim=ranks.pop())
    return found


def _globals_in(s):
    """The Global nodes of a statement's own expressions (not of its nested blocks)."""
    todo = []
    for v in vars(s).values():
        todo.extend(v if isinstance(v, (list, tuple)) else [v])
    while todo:
        e = todo.pop()
        if isinstance(e, (list, tuple)):
            todo.extend(e)
        elif isinstance(e, Global):
            yield e
        elif isinstance(e, ir.Slice) or e.__class__ in (Call, ir.BinOp, ir.UnaryOp, ir.Compare, ir.Attr, Index,
                                                       Build, ir.IfExp, ir.Starred):
            todo.extend(ir.children(e))


def _frozen_data(g):
    """Is `g` a user's number or array, which Numba would compile in as a constant?"""
    return g.path[0] not in ("_ad", "np", "math") and \
        isinstance(g.obj, (int, float, complex, np.ndarray, np.generic))


def _is_jit_call(v):
    """Is `v` already a call of a compiled helper (`_ad.jit.stack_empty(12, np.float64)`)?"""
    return isinstance(v, Call) and isinstance(v.func, Global) and v.func.path[:2] == ("_ad", "jit")
