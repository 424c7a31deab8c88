"""Derivative rules for Python builtins and for ad_compiler's own markers."""
import builtins

from .. import runtime as _ad  # noqa: F401
from . import defvjp, g, nondifferentiable


@defvjp(builtins.abs)
def abs(x):
    bx = g * _ad.np.sign(x)


@defvjp(builtins.float)
def float(x=0.0):
    bx = g


@defvjp(builtins.sum)
def sum(iterable, start=0):
    biterable = [_ad.unbroadcast(g, item) for item in iterable]
    bstart = g


@defvjp(builtins.max, builtins.min)
def extreme(*args):
    bargs = _ad.builtin_extreme_vjp(g, args, ans)


nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round, builtins.isinstance,
                  builtins.print, builtins.type, builtins.str, builtins.repr, builtins.id, builtins.hash)
