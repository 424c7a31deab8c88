"""Lowering: one statement of the SSA form as the plain statements that run it.

The SSA form describes in-place changes functionally (a store `y[i] = v` gives a new name `y_1` for the
changed object; a list method gives a new name for the list; a *refresh*, marked `noop`, gives a new name
to an object another name changed). Running code changes the object itself, so: a store runs and its
result name is bound to the same object, a refresh becomes a plain copy of the reference, a list method
runs as a method call. Used by every transform that emits the function's own statements (the forward
sweep of reverse mode, forward mode).
"""
from .ir import Assign, Call, ExprStmt, Mutate, SetItem, Var
from . import ir


def with_origin(original, new):
    new.origin, new.nograd = original.origin, original.nograd
    return new


def statement(s):
    """The plain statements running the SSA statement `s` (compound statements are returned as they are)."""
    if isinstance(s, Assign):
        if s.noop:
            return [with_origin(s, Assign(s.targets, Var(s.prev)))]
        return [s]
    if isinstance(s, SetItem):
        if s.noop:
            return [with_origin(s, Assign((s.result,), s.target))]
        return [s, with_origin(s, Assign((s.result,), s.target))]
    if isinstance(s, Mutate):
        call = Call(ir.Attr(s.target, s.method), s.args)
        return [with_origin(s, Assign((s.out,), call) if s.out else ExprStmt(call)),
                with_origin(s, Assign((s.result,), s.target))]
    return [s]
