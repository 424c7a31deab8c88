"""Rules for the helpers the compiler writes for Python's sequence operators: `a + b` and `a * n` of lists
and tuples (resolve.py gives these statements the rules; the code stays `a + b`)."""
from .. import runtime as _ad
from . import linear, nondifferentiable


@linear(_ad.seq_concat)
def seq_concat(a, b):
    ba = _ad.seq_concat_vjp(g, a, 0, _ad.builtins.len(a))
    bb = _ad.seq_concat_vjp(g, b, _ad.builtins.len(a), _ad.builtins.len(g))


@linear(_ad.seq_repeat, constant_in=("n",))
def seq_repeat(a, n):
    ba = _ad.seq_repeat_vjp(g, a, n)


@linear(_ad.attribute_tangent, constant_in=("attr",))
def attribute_tangent(t, attr):
    """The tangent of `obj.attr` (forward mode), differentiated again: the adjoint goes to that entry."""
    bt = _ad.attribute_tangent_vjp(g, t, attr)


nondifferentiable(_ad.unexpected_class, _ad.tried, _ad.caught, _ad.check_completed)  # (a branch no object takes; the flags of
# `try` and `with` blocks; the exception an `except` clause binds)


@linear(_ad.entry_or_zeros, constant_in=("value",))
def entry_or_zeros(taken, value):
    """(second order: the adjoint of an attribute store, differentiated again)"""
    btaken = g
