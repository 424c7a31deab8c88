"""Calls that are not inlined: recursive calls of the user's functions.

Every other call of the user's code is inlined (inline.py). A recursive call is differentiated through a
separate derivative of the callee, compiled by the same pipeline in *callee* form::

    def power_fwd_dx(x, n):        # the forward sweep; returns the value and its backward function
        ...
        def backward(bout):        # the adjoint sweep, reading the forward sweep's values
            ...
            return bx,
        return out, backward

The caller's forward sweep calls it (`t1, t1_back = power_fwd_dx(x, t2)`) and its adjoint sweep calls the
backward function (`bx_1, = t1_back(bt1)`). A function wrapped in `ad.checkpoint` is compiled the same way,
but the caller's forward sweep calls the function itself (nothing of it is saved) and its adjoint sweep
calls its forward sweep again just before its backward function (`t1_again, t1_back = block_fwd_dhW(h, W)`). A callee is compiled once per (function, differentiated
parameters, argument kinds); recursion works because its name is bound (to a closure cell) before its
body is compiled. A callee compiled this way must not change its arguments in place (its alias pass sees
its parameters as the caller's objects, and refuses).

Forward mode needs no tape: a recursive call gets the callee's tangent function, compiled in *jvp_callee*
form, which takes the tangents of its differentiated parameters after the arguments and calls itself::

    def dpower(x, n, dx):          # the value and its tangent
        ...
        t3, dt3 = dpower(x, t2, dx)
        ...
        return (out, dout)

The caller's tangent sweep calls it in place of the call (`t3, dt3 = dpower(x, t2, dx)`).

A derivative that is read again (`ad.grad` of a function calling `ad.grad(f)`: nested.py, inline.py) cannot
hold backward closures: the compiler cannot follow a call of a function value. It is compiled again in
*readable* form (`Derivation.readable`), where a recursive call runs as the function itself in the forward
sweep and its adjoint is the callee's vjp function, compiled in *vjp_callee* form, which runs the callee's
forward sweep again, then its adjoint sweep, and calls itself the same way::

    def power_vjp_dx(x, n, bout):  # the gradients of the differentiated parameters along bout
        ...
        t3 = power(x, t2)
        ...
        bx_1 = power_vjp_dx(x, t2, bt3)[0]
        ...
        return (bx,)

Plain code, so its derivatives are compiled like those of any recursive function; each level runs its
subtree's forward sweep again (for a chain of depth n, n^2 / 2 steps in place of n).
"""
import inspect
import types

from . import ir, kinds as K
from .adjoints import assign
from .errors import UnsupportedError
from .ir import Assign, Build, Call, Const, Var


class Callee:
    """One compiled callee derivative (its function lives in `cell` once compiled)."""

    def __init__(self, func, active, kinds, name):
        self.func = func
        self.active = active
        self.kinds = kinds
        self.name = name
        self.cell = types.CellType()
        self.source = None
        self.deps = []  # Callee objects this one calls
        self.ctx = None  # the driver's Context of its compilation (what it was built from), once compiled
        self.checkpoint = False  # wrapped in ad.checkpoint: its forward sweep runs again in the adjoint sweep
        self.tangent = False  # forward mode: its tangent function (value and tangent), not a forward sweep
        self.vjp = False  # readable form: its vjp function (forward and adjoint sweeps, no closure)


_compiled = {}  # (function, active, kinds) -> Callee (cleared with the other caches)
_compiling = []  # the Callees being compiled (a recursive function's own recursive calls: nested)
# A recursive function is compiled on its own for the kinds of each recursive call's arguments; where those
# change at every level (`out + [item]`: a list one item longer) there would be no end (h14-003): refused.
MAX_RECURSIVE_KINDS = 8
GROWING_KINDS = "the arguments of this recursive call of `{name}` change kind at every level (a list or tuple " \
    "one item longer, ...), which cannot be differentiated (yet)"
GROWING_HINT = "pass an array (np.append), or build the list after the recursion"


class Linker:
    """Hands out the names of callee derivatives used by one generated function."""

    def __init__(self, compile_callee, taken, readable=False):
        self.compile_callee = compile_callee  # (Callee) -> None: compiles it into its cell
        self.readable = readable  # no backward closures: the forward sweep calls the function itself, the
        # adjoint sweep its vjp function
        self.taken = set(taken)
        self.cells = {}  # local name -> cell
        self.deps = []
        self.vjp = {}  # id(statement) -> name of its backward function
        self.narrow = False  # the caller may hold narrow arrays (float32, ...): so may the callee's arguments

    def bound(self, s, op):
        func = op.callee
        call = s.value
        try:
            ba = inspect.signature(func).bind(*call.args, **dict(call.kwargs))
        except TypeError as exc:
            raise UnsupportedError(f"this call does not match `{func.__qualname__}`: {exc}",
                                   where=s.origin.unit.location(s.origin.node)) from None
        return ba.arguments

    def active(self, rev, s, op):
        return tuple(p for p, v in self.bound(s, op).items() if ir.names_in(v) & rev.act.varied)

    def positional(self, s, op):
        """The call's arguments as the callee's parameters in order, a default left out written as its value
        (the compiled callee takes its parameters without defaults; a tangent function takes its tangents
        after them)."""
        func = op.callee
        bound = self.bound(s, op)
        out = []
        for p in inspect.signature(func).parameters.values():
            if p.name in bound:
                out.append(bound[p.name])
            elif isinstance(p.default, (int, float, str, bool, type(None))):
                out.append(Const(p.default))
            else:
                raise UnsupportedError(f"this recursive call leaves out `{p.name}`, whose default is not a number "
                                       "or a string", where=s.origin.unit.location(s.origin.node),
                                       hint=f"pass `{p.name}` in the call")
        return out

    def prepare(self, rev, s, op):
        """Called for each active callee statement before the sweeps: names its backward function (made by
        the forward sweep, and saved where a loop overwrites it; for a checkpointed function, made again by
        the adjoint sweep)."""
        self.vjp[id(s)] = rev.alloc.fresh(s.target + "_back")
        if not op.extra.get("checkpoint") and not self.readable:
            rev.callee_vjp[id(s)] = self.vjp[id(s)]

    def name_of(self, rev, s, op, tangent=False, vjp=False):
        active = self.active(rev, s, op)
        kinds = tuple(K.narrowed(rev.kind(a)) if self.narrow else rev.kind(a) for a in s.value.args)
        checkpoint = bool(op.extra.get("checkpoint")) and not tangent and not vjp
        key = (op.callee, active, kinds, checkpoint, tangent, vjp)
        callee = _compiled.get(key)
        if callee is not None and callee.ctx is not None and callee.ctx.stale():
            callee = None  # (a function it calls was redefined, ...: compiled again, in a new cell)
        if callee is None:
            if sum(1 for c in _compiling if c.func is op.callee) >= MAX_RECURSIVE_KINDS:
                raise UnsupportedError(GROWING_KINDS.format(name=op.callee.__name__), hint=GROWING_HINT,
                                       where=s.origin.unit.location(s.origin.node) if s.origin else None)
            sep = "" if all(len(a) == 1 for a in active) else "_"
            base = op.callee.__name__ if op.callee.__name__.isidentifier() else "function"  # (a lambda)
            name = f"d{base}" if tangent else f"{base}_{'vjp' if vjp else 'fwd'}_d{sep.join(active)}"
            callee = Callee(op.callee, active, kinds, name)
            callee.checkpoint = checkpoint
            callee.tangent = tangent
            callee.vjp = vjp
            _compiled[key] = callee
            _compiling.append(callee)
            try:
                self.compile_callee(callee)
            except BaseException:
                del _compiled[key]
                raise
            finally:
                _compiling.remove(callee)
        local = callee.name
        k = 1
        while local in self.taken and self.cells.get(local) is not callee.cell:
            k += 1
            local = f"{callee.name}_{k}"
        self.taken.add(local)
        self.cells[local] = callee.cell
        if callee not in self.deps:
            self.deps.append(callee)
        return local

    def forward(self, rev, s):
        """`y, y_back = f_fwd(args)` in the forward sweep."""
        op = rev.ops[id(s)]
        name = self.name_of(rev, s, op)
        out = Assign((s.target, self.vjp[id(s)]), Call(Var(name), tuple(self.positional(s, op))))
        out.origin = s.origin
        return out

    def tangent(self, fwd, s, op):
        """`y, dy = df(args, dargs)` in forward mode: the value and its tangent (the tangents of the active
        parameters after the arguments, as the callee's tangent function takes them)."""
        name = self.name_of(fwd, s, op, tangent=True)
        bound = self.bound(s, op)
        args = self.positional(s, op) + [fwd.tangent_of(bound[p]) for p in self.active(fwd, s, op)]
        out = Assign((s.target, fwd.d(s.target)), Call(Var(name), tuple(args)))
        out.origin = s.origin
        return out

    def adjoint(self, rev, s, op, g):
        """`ba, bb = y_back(by)` in the adjoint sweep; each part goes to its argument."""
        bound = self.bound(s, op)
        active = self.active(rev, s, op)
        if not active:
            return
        temps = [rev.alloc.fresh("b" + p) for p in active]
        if self.readable:  # (the callee's vjp function: its forward sweep again, then its adjoint sweep)
            call = Call(Var(self.name_of(rev, s, op, vjp=True)), tuple(self.positional(s, op)) + (g,))
            rev.emit(Assign(tuple(temps), ir.Index(call, (Const(0),)) if len(temps) == 1 else call), s.origin)
            for p, t in zip(active, temps):
                rev.contribute(bound[p], Var(t), s.origin)
            return
        if op.extra.get("checkpoint"):  # its forward sweep again, now making the backward function
            again = Call(Var(self.name_of(rev, s, op)), tuple(self.positional(s, op)))
            rev.emit(Assign((rev.alloc.fresh(s.target + "_again"), self.vjp[id(s)]), again), s.origin)
        call = Call(Var(self.vjp[id(s)]), (g,))
        if len(temps) == 1:
            call = ir.Index(call, (Const(0),))
        rev.emit(Assign(tuple(temps), call), s.origin)
        for p, t in zip(active, temps):
            rev.contribute(bound[p], Var(t), s.origin)


def all_sources(deps):
    """The sources of these callee derivatives and of everything they call, each once, in call order."""
    seen, todo = [], list(deps)
    while todo:
        d = todo.pop(0)
        if d in seen:
            continue
        seen.append(d)
        todo.extend(d.deps)
    return [d.source for d in seen if d.source]


def clear():
    _compiled.clear()
