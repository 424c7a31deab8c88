"""Accumulation: how contributions become adjoint variables (used by the reverse transform).

The adjoint of a value `x` is the variable `bx`. Its first contribution is assigned (`bx = ...`), later
ones added (`bx = bx + ...`, or `bx += ...` into a buffer this code owns); nothing is created just to be
added to, except where control flow needs a value on every path (zeros). What holds a value at each
point of the adjoint sweep (`live`) is symbolic: an adjoint that is not live is zero, and the adjoint of a
statement whose result has a zero adjoint is not emitted at all. Adjoints of lists, tuples, dicts and
objects are lists and dicts of adjoints, added with `_ad.add`.
"""
import numpy as np

from . import ir, kinds as K, runtime
from .cleanup import fold
from .ir import Assign, Build, Call, Comment, Const, Global, Index, Var


def helper(name, *args):
    """A call of a runtime helper: `_ad.name(args)`."""
    return Call(Global(("_ad", name), getattr(runtime, name), runtime), tuple(args))


def assign(target, value, noop=False):
    return Assign((target,), value, noop=noop)


def zero_of(kind, value):
    """The zero adjoint (or tangent) of a value of this kind: `0.0` for a real number, else
    `_ad.zeros_like(value)` (zeros of its shape and structure)."""
    if isinstance(kind, K.Scalar) and not issubclass(kind.cls, (complex, np.complexfloating)):
        return Const(0.0)
    return helper("zeros_like", value)


class Adjoints:
    def __init__(self, alloc, act, kinds, describe):
        self.alloc = alloc
        self.act = act
        self.kinds = kinds
        self.describe = describe  # origin -> comment text
        self.names = {}  # primal name -> adjoint name
        self.live = set()  # primal names whose adjoint holds a value here
        self.owned = set()  # ... and is a buffer of ours (safe to update in place)
        self.exclusive = set()  # ... and is an array no other name holds (its last reader may write into it)
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

    def accumulate(self, primal, expr, origin, exclusive=False):
        """Add the contribution `expr` to the adjoint of `primal` (`exclusive`: expr is a buffer no other
        name holds, made from a consumed adjoint)."""
        b = self.adj(primal)
        expr = fold(expr)
        if primal not in self.live:
            self.live.add(primal)
            self.owned.discard(primal)  # it may be another adjoint (or the seed) under a second name
            fresh = self.fresh_array(primal, expr) or (exclusive and self.fresh_array(primal, None))
            (self.exclusive.add if fresh else self.exclusive.discard)(primal)
            self.emit(assign(b, expr), origin)
        elif self.is_container(primal):
            self.emit(assign(b, helper("add", Var(b), expr)), origin)
        elif primal in self.owned and self.in_loop and not self.lazy:
            self.emit(ir.AugAssign(b, "+", expr), origin)
        else:
            self.emit(assign(b, fold(ir.BinOp("+", Var(b), expr))), origin)  # (`b + -e` is `b - e`)
            if self.sum_is_buffer(primal):
                self.owned.add(primal)
                self.exclusive.add(primal)
            else:  # (a 0-d array's `b + e` is a NumPy scalar: no longer the buffer owned, hunt5 004)
                self.owned.discard(primal)
                self.exclusive.discard(primal)

    def fresh_array(self, primal, expr):
        """Is `expr`, the first contribution to the adjoint of `primal` (an array of rank >= 1), certainly a
        new array (arithmetic on arrays, or a helper that always makes one), not another adjoint?"""
        k = self.kinds.get(primal)
        return isinstance(k, K.Array) and k.ndim is not None and k.ndim > 0 and (expr is None or _fresh(expr))

    def consumable(self, primal):
        """May the adjoint of `primal`, read for the last time, be written into (no other name holds it)?"""
        return primal in self.owned or primal in self.exclusive

    def sum_is_buffer(self, primal):
        """Is `b + e`, for the adjoint b of `primal`, certainly a new array (safe to change in place)? Not for
        a 0-d array: NumPy's arithmetic on those gives a scalar."""
        k = self.kinds.get(primal)
        return isinstance(k, K.Array) and k.ndim is not None and k.ndim > 0

    def contribute(self, operand, expr, origin, exclusive=False, real_part=None):
        """Route a contribution to an operand: an atom, or a tuple/list/dict Build of atoms. `real_part(var,
        expr)`, if given, makes what each name receives its real part when that name is real."""
        if isinstance(operand, Var):
            if self.act.active(operand.name):
                self.accumulate(operand.name, real_part(operand, expr) if real_part else expr, origin, exclusive)
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
            self.contribute(e, Index(expr, (k,)), origin, real_part=real_part)

    def zeros(self, primal):
        """The zero adjoint of `primal`: `0.0` for a real number (known from its kind), else
        `_ad.zeros_like(primal)`."""
        return zero_of(self.kinds.get(primal), Var(primal))

    def ensure(self, primal, origin, owned=False):
        """Make the adjoint of `primal` hold a value (zeros if nothing yet), optionally one we own."""
        if primal not in self.live:
            self.live.add(primal)
            self.owned.add(primal)
            self.exclusive.add(primal)
            self.emit(assign(self.adj(primal), self.zeros(primal)), origin)
        elif owned and primal not in self.owned:
            self.owned.add(primal)
            self.exclusive.add(primal)
            self.emit(assign(self.adj(primal), helper("owned_copy", Var(self.adj(primal)), Var(primal))), origin)

    def transfer(self, old, new, origin):
        """The adjoint of `new` (a later version of the same object) becomes the adjoint of `old`."""
        if new not in self.live:
            return
        self.live.discard(new)
        owned, exclusive = new in self.owned, new in self.exclusive
        self.owned.discard(new)
        self.exclusive.discard(new)
        if not self.act.active(old):
            return
        if old in self.live:
            self.accumulate(old, Var(self.adj(new)), origin)
            return
        self.live.add(old)
        if owned:
            self.owned.add(old)
        if exclusive:
            self.exclusive.add(old)
        self.emit(assign(self.adj(old), Var(self.adj(new))), origin)


# runtime helpers whose result is always a new array (or, given `out=`, the buffer of a consumed adjoint)
FRESH_HELPERS = {"matmul_vjp_a", "matmul_vjp_b", "dot_vjp_a", "dot_vjp_b", "unreduce", "unreduce_mean",
                 "getitem_vjp", "zeros_like", "owned_copy", "max_vjp", "min_vjp", "abs_vjp", "where_vjp"}


def _fresh(e):
    if isinstance(e, (ir.BinOp, ir.UnaryOp)):
        return e.op in ("+", "-", "*", "/", "**", "@")  # (NumPy arithmetic never returns an operand)
    if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",):
        name = e.func.path[-1]
        if name == "unbroadcast":  # the array itself, or a sum of it
            return bool(e.args) and _fresh(e.args[0])
        return name in FRESH_HELPERS
    return False
