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

from . import ir, kinds as K
from .ir import Assign, AugAssign, Build, Call, Const, For, Global, If, Index, SetItem, Var, While


class Tapes:
    def __init__(self, body, tape, kinds, alloc):
        self.tape = tape  # the plain derivative's tape (its name), or None
        self.kinds = kinds
        self.alloc = alloc
        self.names = {}  # saved name -> (its tape, its counter or None for a list)
        self.plans = self.plan(body) if tape else {}

    def made_before(self, s):
        """The statements making the tapes that go right before the top-level statement `s` (for the plain
        tape's own statement: those of names saved outside any loop)."""
        if isinstance(s, Assign) and s.targets == (self.tape,):
            return self.new_tapes([name for name, plan in self.plans.items() if plan[0] is None], s)
        return self.new_tapes([name for name, plan in self.plans.items() if plan[0] is s], s)

    def pushed(self, s):
        """The name `s` pushes on the plain tape (`tape.append(x)`), else None."""
        v = s.value if isinstance(s, ir.ExprStmt) else None
        if self.tape and isinstance(v, Call) and isinstance(v.func, ir.Attr) and v.func.value == Var(self.tape) \
                and v.func.attr == "append" and len(v.args) == 1 and isinstance(v.args[0], Var):
            return v.args[0].name
        return None

    def popped(self, s):
        """Is `s` `name = tape.pop()`?"""
        v = s.value
        return bool(self.tape) and isinstance(v, Call) and isinstance(v.func, ir.Attr) and \
            v.func.value == Var(self.tape) and v.func.attr == "pop" and not v.args and len(s.targets) == 1

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
                tape = self.alloc.fresh(f"tape_{name}")
                made.append(_at(Assign((tape,), Build("list", ())), s))
                self.names[name] = (tape, None)
            else:
                segments.setdefault(dtype, []).append((name, capacity))
        for dtype, named in segments.items():
            tape = self.alloc.fresh(_TAPE_NAMES[dtype])
            offset = Const(0)  # (the next segment's start: a number, or the last counter plus its capacity)
            counters = []
            for name, capacity in named:
                top = self.alloc.fresh(f"n_{name}")
                counters.append(_at(Assign((top,), offset), s))
                self.names[name] = (tape, top)
                offset = _plus(offset if isinstance(offset, Const) else Var(top), capacity)
            args = (offset,) if dtype == "float64" else (offset, _np(dtype))
            made += counters + [_at(Assign((tape,), Call(_np("empty"), args)), s)]
        return made

    def push(self, name, s):
        """`tape.append(name)` of the plain derivative, on the name's own tape."""
        tape, top = self.names[name]
        if top is None:
            return [_at(ir.ExprStmt(Call(ir.Attr(Var(tape), "append"), (Var(name),))), s)]
        return [_at(SetItem(Var(tape), (Var(top),), Var(name)), s), _at(AugAssign(top, "+", Const(1)), s)]

    def pop(self, name, s):
        """`name = tape.pop()` of the plain derivative, from the name's own tape."""
        tape, top = self.names[name]
        if top is None:
            return [_at(Assign((name,), Call(ir.Attr(Var(tape), "pop"), ())), s)]
        return [_at(AugAssign(top, "-", Const(1)), s), _at(Assign((name,), Index(Var(tape), (Var(top),))), s)]


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
