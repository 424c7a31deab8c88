"""`jit=True`: the tape of the plain derivative as one tape per saved name (docs/jit.md).

The plain derivative saves every value a loop overwrites on one Python list (`tape.append(x_1)`, and
`x_1 = tape.pop()` in the adjoint sweep). Numba types a list by what it holds, so each saved name gets its
own tape: a segment of a NumPy array (one per dtype, made before the outermost loop) and a counter when
the name is a number saved in loops whose trip counts are known before the outermost of them starts
(`tape[n_x_1] = x_1; n_x_1 += 1`, `n_x_1` starting at the segment's offset), a list otherwise (a `while`
loop, a trip count computed in the loop, an array). The values of one name come back in the reverse order
they were saved in, as they did from the one list.
"""
import numpy as np

from . import ir, kinds as K, runtime
from .jit_runtime_stack import STACK_BYTES, stack_empty
from .ir import Assign, AugAssign, Build, Call, Const, For, Global, If, Index, SetItem, Var, While


class Tapes:
    def __init__(self, body, tape, kinds, alloc):
        self.tape = tape  # the plain derivative's tape (its name), or None
        self.alloc = alloc
        self.names = {}  # saved name -> (its tape, its counter or None for a list)
        self.items = {}  # (array, index) of the elements a store overwrites -> their label (`pushed`)
        self.kinds = dict(kinds)  # (with the labels' kinds)
        self.as_float = set()  # bools saved on the floats' tape array
        self.plans = self.plan(body) if tape else {}

    def made_before(self, s):
        """The statements making the tapes that go right before the top-level statement `s` (for the plain
        tape's own statement: those of names saved outside any loop)."""
        if isinstance(s, Assign) and s.targets == (self.tape,):
            return self.new_tapes([name for name, plan in self.plans.items() if plan[0] is None], s)
        return self.new_tapes([name for name, plan in self.plans.items() if plan[0] is s], s)

    def pushed(self, s):
        """The name `s` pushes on the plain tape (`tape.append(x)`), else None. The elements a store
        overwrites (`tape.append(_ad.np_copy(y_1[i]))`, restored by `y_1[i] = tape.pop()`) are saved under
        a label of the store's target and index (`y_1[i]`), which has its own tape like a name."""
        v = s.value if isinstance(s, ir.ExprStmt) else None
        if self.tape and isinstance(v, Call) and isinstance(v.func, ir.Attr) and v.func.value == Var(self.tape) \
                and v.func.attr == "append" and len(v.args) == 1:
            a = v.args[0]
            if isinstance(a, Var):
                return a.name
            if _shape_of(a) is not None:  # (the value itself: the adjoint reads only its shape, which no
                return _shape_of(a).name  # in-place change alters; a value of one type per name for Numba)
            if copied_item(a) is not None:
                return self.label(copied_item(a), s)
        return None

    def popped(self, s):
        """Is `s` `name = tape.pop()` (or `y_1[i] = tape.pop()`, restoring the elements a store overwrote)?"""
        v = s.value
        return bool(self.tape) and isinstance(v, Call) and isinstance(v.func, ir.Attr) and \
            v.func.value == Var(self.tape) and v.func.attr == "pop" and not v.args and \
            (isinstance(s, SetItem) and s.op is None or isinstance(s, Assign) and len(s.targets) == 1)

    def label(self, item, s):
        """The label under which the push `s` saves the elements `item` (an Index: `y_1[i]`): the text
        `y_1[0]` (no name of the derivative can be the same), one per store of the user's code (tape.py
        marks the push and the restore of a store with the same `saved_item`; when a pass lost the mark,
        the store's target and index as they are written); its kind: a number of the array's dtype when
        `item` is one element (an integer for each dimension), else not known (a list tape)."""
        key = _item_key(s, item.value, item.items)
        if key not in self.items:
            self.items[key] = f"{item.value.name}[{len(self.items)}]"
            self.kinds[self.items[key]] = _element_kind(item, self.kinds)
        return self.items[key]

    def restored(self, s):
        """The label `s` (`y_1[i] = tape.pop()`) restores, or None."""
        return self.items.get(_item_key(s, s.target, s.items))

    def plan(self, body):
        """name -> (the top-level statement before which its tape is made (None: where the tape was made),
        capacity expression or None for a list, the kind's dtype)."""
        sites = {}  # name -> [(top-level statement, enclosing loops)]

        def visit(stmts, top, loops):
            for s in stmts:
                t = top or s
                name = self.pushed(s)
                if name is not None:
                    sites.setdefault(name, []).append((t, loops))
                if isinstance(s, For):
                    visit(s.body, t, loops + [s])
                elif isinstance(s, While):
                    visit(s.body, t, loops + [None])
                elif isinstance(s, If):
                    visit(s.body, t, loops)
                    visit(s.orelse, t, loops)
        visit(body, None, [])
        plans = {}
        for name, found in sites.items():
            tops = {id(t) for t, _ in found}
            top = found[0][0]
            dtype = dtype_of(self.kinds.get(name))
            capacity = None
            if dtype is not None and len(tops) == 1:
                capacity = _capacity(found, top)
            plans[name] = (top if any(loops for _, loops in found) else None, capacity, dtype)
        return plans

    def new_tapes(self, names, s):
        """The tapes of `names`, made before `s`: the numbers of one dtype share one array (one allocation,
        not one per name: 11 arrays cost a third of the compiled building simulation), each name saving in
        its own segment with its own counter, which starts at the segment's offset; a list for each other
        name."""
        made, segments = [], {}
        for name in names:
            _, capacity, dtype = self.plans[name]
            if capacity is None:
                tape = self.alloc.fresh(f"tape_{_ident(name)}")
                made.append(_at(Assign((tape,), Build("list", ())), s))
                self.names[name] = (tape, None)
            else:
                segments.setdefault(dtype, []).append((name, capacity))
        if "float64" in segments and "bool_" in segments:  # (bools as 0.0 and 1.0 on the floats' array: one
            self.as_float.update(name for name, _ in segments["bool_"])  # allocation less, 20-30 ns a call)
            segments["float64"] += segments.pop("bool_")
        for dtype, named in segments.items():
            tape = self.alloc.fresh(_TAPE_NAMES[dtype])
            offset = Const(0)  # (the next segment's start: a number, or the last counter plus its capacity)
            counters = []
            for name, capacity in named:
                top = self.alloc.fresh(f"n_{_ident(name)}")
                counters.append(_at(Assign((top,), offset), s))
                self.names[name] = (tape, top)
                offset = _plus(offset if isinstance(offset, Const) else Var(top), capacity)
            if isinstance(offset, Const) and offset.value * np.dtype(dtype).itemsize <= STACK_BYTES:
                # (a size known here: the array in the compiled function's frame, jit_runtime_stack.py)
                made_ = Call(Global(("_ad", "jit", "stack_empty"), stack_empty, runtime), (offset, _np(dtype)))
            else:
                made_ = Call(_np("empty"), (offset,) if dtype == "float64" else (offset, _np(dtype)))
            made += counters + [_at(Assign((tape,), made_), s)]
        return made

    def push(self, name, s, value=None):
        """`tape.append(name)` of the plain derivative, on the name's own tape (`value`: what is saved under
        a label, already lowered)."""
        tape, top = self.names[name]
        value = Var(name) if value is None else value
        if top is None:
            return [_at(ir.ExprStmt(Call(ir.Attr(Var(tape), "append"), (value,))), s)]
        return [_at(SetItem(Var(tape), (Var(top),), value), s), _at(AugAssign(top, "+", Const(1)), s)]

    def pop(self, name, s, target=None, items=None):
        """`name = tape.pop()` of the plain derivative, from the name's own tape (`target[items] = ...` for
        a label)."""
        tape, top = self.names[name]
        value = Call(ir.Attr(Var(tape), "pop"), ()) if top is None else Index(Var(tape), (Var(top),))
        if name in self.as_float:
            value = ir.Compare(value, ("!=",), (Const(0.0),))
        store = _at(Assign((name,), value) if target is None else SetItem(target, items, value), s)
        return [store] if top is None else [_at(AugAssign(top, "-", Const(1)), s), store]


_TAPE_NAMES = {"float64": "tape_floats", "int64": "tape_ints", "bool_": "tape_bools"}


def dtype_of(kind):
    """The NumPy dtype (its name in `np`) a number of this kind is saved as, or None."""
    if isinstance(kind, K.Scalar):
        if kind.cls in (bool, np.bool_):
            return "bool_"
        if kind.cls is int or (issubclass(kind.cls, np.integer) and np.dtype(kind.cls).itemsize == 8):
            return "int64"
        if kind.cls in (float, np.float64):
            return "float64"
    return None


def _shape_of(e):
    """`x` in `_ad.shape_of(x)` or `x.shape` (what the plain tape saves of a value read only for its shape)."""
    if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path == ("_ad", "shape_of") and \
            len(e.args) == 1 and isinstance(e.args[0], Var):
        return e.args[0]
    if isinstance(e, ir.Attr) and e.attr == "shape" and isinstance(e.value, Var):
        return e.value
    return None


def _item_key(s, target, items):
    tag = getattr(s, "saved_item", None)
    return ("store", tag) if tag is not None else ("text", target, items)


def _ident(name):
    """A label's stem for the names of its tape and counter (`y_1[0]` -> `y_1_items`)."""
    return name.split("[")[0] + "_items" if "[" in name else name


def copied_item(e):
    """`E` in `_ad.np_copy(E)` when E is an element or part of an array (`y_1[i]`), else None."""
    if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path == ("_ad", "np_copy") and \
            len(e.args) == 1 and not e.kwargs and isinstance(e.args[0], Index) and isinstance(e.args[0].value, Var):
        return e.args[0]
    return None


def _element_kind(item, kinds):
    """The kind of `item` (`y_1[i]`): a number of y_1's dtype when it names one element of an array of
    known rank, else None."""
    k = kinds.get(item.value.name)
    if not (isinstance(k, K.Array) and k.cls is np.ndarray and k.ndim == len(item.items) and k.dtype in "fib"):
        return None
    for i in item.items:
        ik = kinds.get(i.name) if isinstance(i, Var) else None
        if not (isinstance(i, Const) and type(i.value) is int or isinstance(ik, K.Scalar) and ik.cls is int):
            return None
    return K.Scalar({"f": float, "i": int, "b": bool}[k.dtype])


def _capacity(found, top):
    """How many values the pushes `found` (all inside the top-level statement `top`) save at most, as an
    expression computed before `top`; None when a trip count is not known there."""
    written = {n for s in ir.walk([top]) for n in ir.stmt_writes(s)}
    total = None
    for _, loops in found:
        count = None
        for loop in loops:
            if loop is None or not _builtin_call(loop.iter, "range"):
                return None
            if any(n in written for a in loop.iter.args for n in ir.names_in(a)):
                return None
            args = loop.iter.args
            if len(args) == 1 and isinstance(args[0], Const):
                n = Const(max(args[0].value, 0))
            elif len(args) == 1 and isinstance(args[0], Var):  # (range(n) with n < 0 runs no step)
                n = Call(Global(("max",), max), (args[0], Const(0)))
            else:
                n = Call(Global(("len",), len), (loop.iter,))
            count = n if count is None else _times(count, n)
        count = Const(1) if count is None else count
        total = count if total is None else _plus(total, count)
    return total


def _times(a, b):
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(a.value * b.value)
    return ir.BinOp("*", a, b)


def _plus(a, b):
    if a == Const(0):
        return b
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(a.value + b.value)
    return ir.BinOp("+", a, b)


def _at(new, old):
    new.origin = old.origin
    return new


def _np(name):
    return Global(("np", name), getattr(np, name), np)


def _builtin_call(e, name):
    import builtins

    return isinstance(e, Call) and isinstance(e.func, Global) and e.func.obj is getattr(builtins, name)
