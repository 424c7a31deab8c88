"""Accumulation: how contributions become adjoint variables (used by the reverse transform).

The adjoint of a value `x` is the variable `bx`. Its first contribution is assigned (`bx = ...`), later
ones added (`bx = bx + ...`, or `bx += ...` into a buffer this code owns); nothing is created just to be
added to, except where control flow needs a value on every path (zeros). What holds a value at each
point of the adjoint sweep (`live`) is symbolic: an adjoint that is not live is zero, and the adjoint of a
statement whose result has a zero adjoint is not emitted at all. Adjoints of lists, tuples, dicts and
objects are lists and dicts of adjoints, added with `_ad.add`.
"""
from . import ir, kinds as K, runtime
from .cleanup import fold
from .ir import Assign, Build, Call, Comment, Const, Global, Index, Var


def helper(name, *args):
    """A call of a runtime helper: `_ad.name(args)`."""
    return Call(Global(("_ad", name), getattr(runtime, name), runtime), tuple(args))


def assign(target, value, noop=False):
    return Assign((target,), value, noop=noop)


class Adjoints:
    def __init__(self, alloc, act, kinds, describe):
        self.alloc = alloc
        self.act = act
        self.kinds = kinds
        self.describe = describe  # origin -> comment text
        self.names = {}  # primal name -> adjoint name
        self.live = set()  # primal names whose adjoint holds a value here
        self.owned = set()  # ... and is a buffer of ours (safe to update in place)
        self.out = []
        self.current_origin = None
        self.in_loop = 0
        # an argument is a Dask array: adjoints are never changed in place (`b += e`, `b[i] += e`): a NumPy
        # adjoint cannot take a lazy Dask value in place without computing it (docs/scale.md)
        self.lazy = any(K.without_views(k) for k in kinds.values())

    def adj(self, primal):
        if primal not in self.names:
            self.names[primal] = self.alloc.fresh("b" + primal)
        return self.names[primal]

    def is_container(self, primal):
        """May the adjoint of `primal` be a list, tuple or dict (added up item by item with `_ad.add`, never
        with `+`, which would concatenate)? Yes unless it is certainly a number or an array of known rank (an
        "array" of unknown rank is a guess about a library function's result, which may be a list)."""
        return not K.certainly_numeric(self.kinds.get(primal, K.UNKNOWN))

    def emit(self, stmt, origin):
        if origin is not None and origin is not self.current_origin and \
                (self.current_origin is None or origin.stmt is not self.current_origin.stmt):
            self.current_origin = origin
            self.out.append(Comment(self.describe(origin), origin=origin))
        self.out.append(stmt)

    def accumulate(self, primal, expr, origin):
        """Add the contribution `expr` to the adjoint of `primal`."""
        b = self.adj(primal)
        expr = fold(expr)
        if primal not in self.live:
            self.live.add(primal)
            self.owned.discard(primal)  # it may be another adjoint (or the seed) under a second name
            self.emit(assign(b, expr), origin)
        elif self.is_container(primal):
            self.emit(assign(b, helper("add", Var(b), expr)), origin)
        elif primal in self.owned and self.in_loop and not self.lazy:
            self.emit(ir.AugAssign(b, "+", expr), origin)
        else:
            self.emit(assign(b, ir.BinOp("+", Var(b), expr)), origin)
            if self.sum_is_buffer(primal):
                self.owned.add(primal)

    def sum_is_buffer(self, primal):
        """Is `b + e`, for the adjoint b of `primal`, certainly a new array (safe to change in place)? Not for
        a 0-d array: NumPy's arithmetic on those gives a scalar."""
        k = self.kinds.get(primal)
        return isinstance(k, K.Array) and k.ndim is not None and k.ndim > 0

    def contribute(self, operand, expr, origin):
        """Route a contribution to an operand: an atom, or a tuple/list/dict Build of atoms."""
        if isinstance(operand, Var):
            if self.act.active(operand.name):
                self.accumulate(operand.name, expr, origin)
            return
        if operand is None or isinstance(operand, (Const, ir.Global, ir.Closure)):
            return  # (constants carry no derivative)
        if not isinstance(operand, Build):
            # a contribution must never vanish silently: an operand of another form is a compiler bug
            raise AssertionError(f"ad_compiler: no way to route a contribution to {operand!r}")
        if operand.kind == "dict":
            items = list(zip(operand.keys, operand.items))
        else:
            items = [(Const(i), e) for i, e in enumerate(operand.items)]
        targets = [(k, e) for k, e in items if ir.names_in(e) & self.act.varied]
        if not targets:
            return
        if not isinstance(expr, Var):
            temp = self.alloc.temp()
            self.emit(assign(temp, expr), origin)
            expr = Var(temp)
        for k, e in targets:
            self.contribute(e, Index(expr, (k,)), origin)

    def ensure(self, primal, origin, owned=False):
        """Make the adjoint of `primal` hold a value (zeros if nothing yet), optionally one we own."""
        if primal not in self.live:
            self.live.add(primal)
            self.owned.add(primal)
            self.emit(assign(self.adj(primal), helper("zeros_like", Var(primal))), origin)
        elif owned and primal not in self.owned:
            self.owned.add(primal)
            self.emit(assign(self.adj(primal), helper("owned_copy", Var(self.adj(primal)), Var(primal))), origin)

    def transfer(self, old, new, origin):
        """The adjoint of `new` (a later version of the same object) becomes the adjoint of `old`."""
        if new not in self.live:
            return
        self.live.discard(new)
        owned = new in self.owned
        self.owned.discard(new)
        if not self.act.active(old):
            return
        if old in self.live:
            self.accumulate(old, Var(self.adj(new)), origin)
            return
        self.live.add(old)
        if owned:
            self.owned.add(old)
        self.emit(assign(self.adj(old), Var(self.adj(new))), origin)
