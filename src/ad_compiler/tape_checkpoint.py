"""Checkpointed loops (`for t in ad.checkpointed(steps, every)`) on the tape (tape.py): the first forward sweep
runs the loop segment by segment saving only the loop's variables at the start of each (`snapshots`); the
adjoint runs each segment, last first, forward again from its snapshot (saving what its adjoint reads), then
the segment's adjoint.
"""
import dataclasses

from . import ir, lower
from .adjoints import assign, helper
from .cleanup import fold
from .ir import Assign, Call, Const, ExprStmt, For, Global, If, Var, While


def _unset():
    from . import runtime

    return runtime.UNSET


def _runtime():
    from . import runtime

    return runtime


class Checkpoints:
    """The segments of the checkpointed loops of one derivative."""

    def __init__(self, tape):
        self.tape = tape
        # their bodies as the first forward sweep runs them (no tape), copied before the sweeps that save
        # values change them; and the names of their segments and snapshots
        self.plain = {id(s): _plain(s.body) for s in ir.walk(tape.fn.body)
                      if isinstance(s, For) and s.checkpoint is not None}
        self.checkpoint_names = {}

    def names_of(self, loop):
        """(segments, snapshots, steps): the names of a checkpointed loop's segments of steps, of the values
        of its variables at the start of each, and of one segment's steps."""
        if id(loop) not in self.checkpoint_names:
            alloc = self.tape.alloc
            self.checkpoint_names[id(loop)] = tuple(alloc.fresh(n) for n in ("segments", "snapshots", "steps"))
        return self.checkpoint_names[id(loop)]

    def forward(self, loop):
        """The first forward sweep of a checkpointed loop: segment by segment, the loop's variables saved at
        the start of each (`snapshots`), nothing else."""
        segments, snapshots, steps = self.names_of(loop)
        snapshot = _carried_value(loop)
        body = [ExprStmt(Call(ir.Attr(Var(snapshots), "append"), (snapshot,)))] if snapshot is not None else []
        body.append(copy(loop, For(loop.target, Var(steps), self.plain[id(loop)])))
        return [copy(loop, assign(segments, fold(helper("segments", loop.iter, loop.checkpoint)))),
                copy(loop, assign(snapshots, helper("new_tape"))),
                copy(loop, For(steps, Var(segments), body))]

    def backward(self, marker):
        """The adjoint of a checkpointed loop: for each segment, last first, its variables as they were at its
        start, the segment run forward again saving what its adjoint reads, then the segment's adjoint."""
        loop, adjoint = marker.stmt, marker.adjoint
        segments, snapshots, steps = self.names_of(loop)
        restore = []
        if loop.carried:
            pop = Call(ir.Attr(Var(snapshots), "pop"), ())
            restore.append(Assign(tuple(loop.carried), pop) if len(loop.carried) > 1 else assign(loop.carried[0], pop))
        # (a value saved as its shape holds a shape here, put back by the adjoint of the segment after this one:
        # it starts the segment as in the first sweep, since the segment assigns it before reading it)
        tape = self.tape
        shapes = sorted(n for n in tape.shape_only if n not in loop.carried and
                        any(n in ir.stmt_writes(x) for x in ir.walk(loop.body)))
        restore += [copy(loop, assign(n, Global(("_ad", "UNSET"), _unset(), _runtime()) if n in tape.as_tuple
                                      else Const(None))) for n in shapes]
        again = For(loop.target, Var(steps), self.tape.forward(loop.body, 1))
        back = For(adjoint.target, Call(Global(("reversed",), reversed), (Var(steps),)), self.tape.resolve(adjoint.body))
        return For(steps, Call(Global(("reversed",), reversed), (Var(segments),)), restore + [again, back])


def _carried_value(loop):
    """The value a snapshot of a loop's variables holds: the one variable, or a tuple of them."""
    if not loop.carried:
        return None
    if len(loop.carried) == 1:
        return Var(loop.carried[0])
    return ir.Build("tuple", tuple(Var(c) for c in loop.carried))


def _plain(stmts):
    """A copy of a block as the plain statements that run it (lower.py), nothing saved."""
    out = []
    for s in stmts:
        if isinstance(s, If):
            out.append(copy(s, If(s.test, _plain(s.body), _plain(s.orelse))))
        elif isinstance(s, For):
            out.append(copy(s, For(s.target, s.iter, _plain(s.body), s.carried)))
        elif isinstance(s, While):
            out.append(copy(s, While(s.test, _plain(s.body), s.carried)))
        else:
            out += [copy(x, dataclasses.replace(x)) for x in lower.statement(s)]
    return out


def copy(original, new):
    """`new` with the origin of `original`."""
    new.origin, new.nograd = original.origin, original.nograd
    return new
