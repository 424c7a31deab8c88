"""Kinds the alias pass (alias.py) gives a few calls so that dtypes are followed exactly (dtype3).

- a method of a global array (`A.astype(np.float32)`, resolved to a Global bound method): the method of an
  array, of a known kind (not that of an unknown library call);
- `_ad.in_place_cast(t, x)` (alias_assign.rebind: `x op= v` on a value of unknown kind) and `np.asarray(t,
  dtype=d)` (the cast of `x op= v` on a narrow array) of a temporary nothing else reads: t's objects (t itself
  or a copy nobody can tell apart), not "maybe a view of t";
- `_ad.as_grad(b, x)` of an ndarray x (a gradient's generated code inlined): a float array of x's rank.
"""
from __future__ import annotations

import numpy as np

from . import ir, kinds as K
from .alias_domain import Val
from .alias_library import ARRAY_MUTATORS, runtime
from .ir import Global, Var


def dtype_result(calls, s, value, obj, args, state, site):
    """The value of `obj(args)` for the calls above, or None."""
    owner = getattr(obj, "__self__", None)
    if owner.__class__ is np.ndarray and isinstance(value.func, Global) and len(value.func.path) >= 2 and \
            value.func.path[-1] == getattr(obj, "__name__", None) and obj.__name__ not in ARRAY_MUTATORS:
        receiver = Global(value.func.path[:-1], owner, value.func.root)  # (dt3-001)
        return calls.methods.result(s, value, ir.Attr(receiver, value.func.path[-1]), state, site)
    if getattr(obj, "__module__", None) != runtime().__name__:
        return None
    name = getattr(obj, "__name__", "")
    if name == "in_place_cast" and len(args) == 2 and isinstance(value.args[0], Var):
        made = () if _dead(calls, s, value.args[0].name, args[0], state) else \
            (calls.objects.new(state, site, desc="the array made on this line"),)
        return Val(args[1].kind, args[0].objs | set(made))  # (dt3-006)
    if name in ("as_grad", "as_grad_made") and len(args) == 2 and isinstance(args[1].kind, K.Array) and \
            args[1].kind.cls is np.ndarray and args[1].kind.ndim is not None:
        # the adjoint itself or a new float array of x's shape (dt3-001: its kind makes `g += v` cast back)
        made = calls.objects.new(state, site, desc="the gradient made on this line")
        return Val(K.array(args[1].kind.ndim, "f"), args[0].objs | {made})
    return None


def cast_of_a_dead_temporary(calls, s, value, first, state):
    """Is `y = np.asarray(t, dtype=d)` a cast of a temporary nothing reads after it and no other name sees
    (y then holds t's objects: a store through y would otherwise refresh t, and be refused where y may be
    one of several arrays; dt3-002)?"""
    if calls.mode != "rewrite" or value.func.obj not in (np.asarray, np.asanyarray) or len(value.args) != 1 or \
            [k for k, _ in value.kwargs] != ["dtype"] or not isinstance(value.args[0], Var) or not first.objs:
        return False
    if any(o.external() or o.parent is not None for o in first.objs):
        return False
    return _dead(calls, s, value.args[0].name, first, state)


def _dead(calls, s, t, val, state):
    """Is `t` read by nothing after `s`, and its memory seen by no other live name or container?"""
    return t not in calls.session.live_after(s) and not calls.stores.sharing(s, state, val, exclude={t})
