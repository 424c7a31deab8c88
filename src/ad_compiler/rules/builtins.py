"""Derivative rules for Python builtins and for ad_compiler's own markers."""
import builtins

import numpy as np

from .. import runtime as _ad
from . import ans, derivative, elementwise, g, linear, nondifferentiable, real_form


@derivative(builtins.abs)
def abs(x):
    """sign(x), 0 at 0; for a complex x, Re(conj(x / |x|) dx) (as np.abs)."""
    bx = np.real(g) * np.conj(_ad.sign(x))
    dans = np.real(np.conj(_ad.sign(x)) * dx)


@real_form(builtins.abs)
def abs_of_real(x):
    """sign(x) g for a real x (0 at 0): one multiply."""
    bx = _ad.abs_vjp(g, x)
    dans = _ad.abs_vjp(dx, x)


@linear(builtins.float)
def float(x=0.0):
    bx = _ad.unbroadcast(g, x)


@linear(builtins.sum)
def sum(iterable, start=0):
    biterable = _ad.sum_vjp(g, iterable)
    bstart = _ad.unbroadcast(g, start)


@derivative(builtins.max, builtins.min)
def extreme(*args):
    """Ties share the derivative equally."""
    bargs = _ad.builtin_extreme_vjp(g, args, ans)
    dans = _ad.builtin_extreme_jvp(dargs, args, ans)


@linear(builtins.list, builtins.tuple)
def list(iterable=()):
    biterable = _ad.items_vjp(g, iterable)


@linear(builtins.dict)
def dict(mapping):
    """A shallow copy of a dict: the same items (a list of pairs is refused at run time)."""
    bmapping = _ad.dict_copy_vjp(g, mapping)


@derivative(builtins.enumerate)  # (not linear: the indices are constants, their tangents zero)
def enumerate(iterable, start=0):
    biterable = _ad.enumerate_vjp(g, iterable)
    dans = _ad.enumerate_jvp(diterable)


@linear(builtins.zip)
def zip(*iterables, strict=False):
    biterables = _ad.zip_vjp(g, iterables)


@linear(builtins.reversed)
def reversed(seq):
    bseq = _ad.reversed_vjp(g, seq)


@derivative(builtins.sorted)
def sorted(iterable, key=None, reverse=False):
    biterable = _ad.sorted_vjp(g, iterable, key, reverse)
    dans = _ad.sorted_jvp(diterable, iterable, key, reverse)


nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round, builtins.isinstance,
                  builtins.print, builtins.type, builtins.str, builtins.repr, builtins.id, builtins.hash,
                  builtins.any, builtins.all)
