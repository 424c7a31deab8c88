"""Rules for helpers the compiler writes for Python constructs (the sequence operators' are in helpers.py)."""
from .. import runtime as _ad
from . import linear, nondifferentiable


@linear(_ad.attribute_tangent, constant_in=("attr",))
def attribute_tangent(t, attr):
    """The tangent of `obj.attr` (forward mode), differentiated again: the adjoint goes to that entry."""
    bt = _ad.attribute_tangent_vjp(g, t, attr)


@linear(_ad.attribute_tangent_vjp, constant_in=("t", "attr"))
def attribute_tangent_vjp(v, t, attr):
    """(`{attr: v}`: its transpose takes that entry back)"""
    bv = _ad.fit_shape(_ad.attribute_tangent(g, attr), v)


nondifferentiable(_ad.unexpected_class, _ad.tried, _ad.caught, _ad.check_completed)  # (a branch no object takes; the flags of
# `try` and `with` blocks; the exception an `except` clause binds)


@linear(_ad.as_named, constant_in=("cls",))
def as_named(cls, items):
    """(a named tuple made in the function: its adjoint, by position, is its items' tuple's; ob3-008)"""
    bitems = g


@linear(_ad.entry_or_zeros, constant_in=("value",))
def entry_or_zeros(taken, value):
    """(second order: the adjoint of an attribute store, differentiated again; none for a stale zero, g4-010)"""
    btaken = _ad.stale_or(g, taken, value)


@linear(_ad.stale_or, constant_in=("taken", "value"))
def stale_or(g_, taken, value):
    bg_ = _ad.stale_or_transpose(g, taken, value)


@linear(_ad.stale_or_transpose, constant_in=("taken", "value"))
def stale_or_transpose(h, taken, value):
    bh = _ad.stale_or(g, taken, value)
