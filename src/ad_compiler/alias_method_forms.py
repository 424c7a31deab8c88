"""The method forms of NumPy's reduction keywords (`x.sum(where=m)`, `x.max(initial=c)`, `x.mean(where=m)`,
`x.take(i, mode="wrap")`), on an array, as the calls they compute (desugar_numpy_forms writes the function
forms `np.sum(x, where=m)` so; a method's receiver is known to be an array only here, in the alias pass).

`expand(value, kind, temp)` gives the statements computing `value` (the last one assigns the atom holding
it) when `value` is such a method call on a NumPy array, else None (the call is left as written: its rule
decides). The methods take the function's parameters after `a`, in the same order.
"""
from __future__ import annotations

import numpy as np

from . import desugar_numpy_forms as forms, kinds as K
from .ir import Assign, Call, Global, Var

_FUNCTIONS = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean, "take": np.take}
_KEYWORDS = {"where", "initial", "mode"}


class _Temps:
    """What desugar_numpy_forms' helpers need of a context: `temp(value)`, an assignment to a new name."""

    def __init__(self, temp):
        self.new_name = temp
        self.stmts = []

    def temp(self, value):
        name = self.new_name()
        self.stmts.append(Assign((name,), value))
        return Var(name)


def expand(value, kind, temp):
    """The statements computing the method call `value` (its receiver of kind `kind`) through the function
    form's rewriting, or None."""
    func = value.func
    f = _FUNCTIONS.get(func.attr)
    if f is None or not (isinstance(kind, K.Array) and kind.cls is np.ndarray) or \
            not {k for k, _ in value.kwargs} & _KEYWORDS:
        return None
    try:
        sig = forms._SIGNATURES.setdefault(f, forms.inspect.signature(f))
        arg = sig.bind(func.value, *value.args, **dict(value.kwargs)).arguments
    except (TypeError, ValueError):
        return None
    if "out" in arg:
        return None
    g = Global(("np", f.__name__), f, np)
    ctx = _Temps(temp)
    if f is np.take:
        out = forms._take(ctx, g, arg)
    elif f is np.mean:
        out = forms._mean(ctx, g, arg)
    elif f in forms._SUMS:
        out = forms._sum(ctx, g, arg, *forms._SUMS[f])
    else:
        out = forms._extreme(ctx, g, arg, forms._EXTREMES[f])
    last = ctx.stmts[-1].value
    if isinstance(last, Call) and last.func == g and {k for k, _ in last.kwargs} & _KEYWORDS:
        return None  # (left as written by the function form too: a `dtype=` beside `initial=`, ...)
    return ctx.stmts, out



