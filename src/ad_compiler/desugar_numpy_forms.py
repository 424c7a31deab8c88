"""Desugaring NumPy call forms whose extra arguments the derivative rules do not take, into the calls they
compute (each argument still evaluated once, in the user's order):

    np.sum(a, axis, where=m, initial=c)     t = np.where(m, a, 0); s = np.sum(t, axis) + c'
    np.prod(a, where=m, initial=c)          t = np.where(m, a, 1); s = np.prod(np.concatenate((c'', t), axis), axis)
                                            (c'' = np.full_like(np.sum(t, axis, keepdims=True), c): `initial` as
                                            the first factor, as NumPy starts from it; raveled for axis=None;
                                            with a tuple axis, or keepdims without an axis: np.prod(t) * c')
    np.max(a, where=m, initial=c)           t = np.where(m, a, c'); s = np.max(np.concatenate((np.ravel(t), [c'])))
                                            (min alike; along an int axis c' spread as one more entry; with a
                                            tuple axis or keepdims without one: np.maximum(np.max(t), c'),
                                            which raises for an empty t)

with c' = np.asarray(c, dtype=...) of the result's dtype (a's for max and min), as NumPy converts `initial`.
    np.mean(a, axis, where=m)               t = np.sum(np.where(m, a, 0), axis); t / np.sum(broadcast_to(m, a's shape), axis)
                                            (cast to t's dtype, as NumPy does: float32 stays float32)
    np.nanmean(a, axis, where=m)            np.nanmean(np.where(m, a, np.nan), axis)   (nanvar, nanstd alike: NumPy
                                            leaves out the entries outside m as it leaves out NaN; refuse27)
    np.take(a, i, axis, mode="wrap")        np.take(a, np.mod(i, n), axis)     (n: a.size, or a.shape[axis])
    np.take(a, i, axis, mode="clip")        np.take(a, np.clip(i, 0, n - 1), axis)
    np.float32(x), np.float16(x)            np.asarray(x, dtype=np.float32)[()]

Forms with `out=`, or a `dtype=` beside `initial=`, are left as written (their rules refuse them at the call).
"""
import ast
import inspect

import numpy as np

from .ir import Attr, BinOp, Build, Call, Const, Global, Index

_SUMS = {np.sum: (0, "+"), np.prod: (1, "*")}
_NAN_MEANS = (np.nanmean, np.nanvar, np.nanstd)  # (float results: an int `a` made float gives the same value)
_EXTREMES = {np.max: np.maximum, np.amax: np.maximum, np.min: np.minimum, np.amin: np.minimum}
_SIGNATURES = {}


def _np(name):
    return Global(("np", name), getattr(np, name), np)


def rewrite(ctx, node):
    """The atom holding the value of one of the forms above, or None for any other call."""
    if not isinstance(node.func, (ast.Name, ast.Attribute)) or any(isinstance(a, ast.Starred) for a in node.args) \
            or any(k.arg is None for k in node.keywords):
        return None
    if not node.keywords:
        return _narrow_float(ctx, node)
    obj = ctx.expressions.resolve_global(node.func)
    try:
        wanted = obj in _SUMS or obj in _EXTREMES or obj is np.mean or obj is np.take or obj in _NAN_MEANS
    except TypeError:  # (an unhashable object)
        return None
    if not wanted:
        return None
    given = {k.arg for k in node.keywords}
    if not given & {"where", "initial", "mode"}:
        return None
    try:
        sig = _SIGNATURES.setdefault(obj, inspect.signature(obj))
    except (TypeError, ValueError):
        return None
    bound = bound_atoms(ctx, node, sig)
    if bound is None:
        return None
    f, arg = bound
    if obj is np.take:
        return _take(ctx, f, arg)
    if obj is np.mean:
        return _mean(ctx, f, arg)
    if obj in _NAN_MEANS:
        if "where" not in arg or "out" in arg:
            return _as_written(ctx, f, arg, ("a",), tuple(k for k in sig.parameters if k != "a" and k in arg))
        a = ctx.temp(Call(_np("where"), (arg["where"], arg["a"], _np("nan"))))
        return ctx.temp(Call(f, (a,), _options(arg, [k for k in sig.parameters if k not in ("a", "where")])))
    if obj in _SUMS:
        return _sum(ctx, f, arg, *_SUMS[obj])
    return _extreme(ctx, f, arg, _EXTREMES[obj])


def _narrow_float(ctx, node):
    """`np.float32(x)` (or float16) as `np.asarray(x, dtype=np.float32)[()]`: the same scalar (an array for an
    array), through the conversion's rule."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
    if len(node.args) != 1 or name not in ("float32", "float16", "single", "half"):
        return None
    obj = ctx.expressions.resolve_global(node.func)
    if obj is not np.float32 and obj is not np.float16:
        return None
    x = ctx.expressions.atom(node.args[0])
    dtype = Global(("np", obj.__name__), obj, np)
    array = ctx.temp(Call(_np("asarray"), (x,), (("dtype", dtype),)))
    return ctx.temp(Index(array, (), True))


def _options(arg, names):
    return tuple((k, arg[k]) for k in names if k in arg)


def _sum(ctx, f, arg, identity, op):
    if "initial" in arg and "dtype" in arg:
        return _as_written(ctx, f, arg, ("a",), ("axis", "dtype", "keepdims", "initial", "where"))
    a = arg["a"]
    if "where" in arg:
        a = ctx.temp(Call(_np("where"), (arg["where"], a, Const(identity))))
    if "initial" in arg and "dtype" not in arg and op == "*":
        # `initial` as the first factor, converted to the result's dtype (full_like of a sum's): NumPy starts
        # the product from it, and so the same products in the same order give the same bits (dt-009; a sum
        # is left as `np.sum(t) + c'`, NumPy's order along the last axis, pairwise, and for axis=None)
        axis = arg.get("axis", Const(None))
        keep = "keepdims" in arg
        if axis == Const(None) and not keep or isinstance(axis, Const) and type(axis.value) is int:
            shape = ctx.temp(Call(_np("sum"), (a,), ((("axis", axis),) if axis != Const(None) else ()) +
                                  (("keepdims", Const(True)),)))
            pad = ctx.temp(Call(_np("full_like"), (shape, arg["initial"])))
            if axis == Const(None):
                parts = (ctx.temp(Call(_np("ravel"), (pad,))), ctx.temp(Call(_np("ravel"), (a,))))
                return ctx.temp(Call(f, (ctx.temp(Call(_np("concatenate"), (ctx.temp(Build("tuple", parts)),))),)))
            joined = ctx.temp(Call(_np("concatenate"), (ctx.temp(Build("tuple", (pad, a))),), (("axis", axis),)))
            return ctx.temp(Call(f, (joined,), _options(arg, ("axis", "keepdims"))))
    s = ctx.temp(Call(f, (a,), _options(arg, ("axis", "dtype", "keepdims"))))
    if "initial" in arg:  # (NumPy converts `initial` to the result's dtype: 0.5 is 0 for integers)
        s = ctx.temp(BinOp(op, s, _as_dtype_of(ctx, arg["initial"], s)))
    return s


def _as_dtype_of(ctx, value, like):
    """`np.asarray(value, dtype=like.dtype)`."""
    return ctx.temp(Call(_np("asarray"), (value,), (("dtype", ctx.temp(Attr(like, "dtype"))),)))


def _extreme(ctx, f, arg, combine):
    if "initial" not in arg:  # (NumPy requires it beside `where=`)
        return _as_written(ctx, f, arg, ("a",), ("axis", "keepdims", "where"))
    a = ctx.temp(Call(_np("asarray"), (arg["a"],)))
    init = _as_dtype_of(ctx, arg["initial"], a)  # (NumPy converts `initial` to a's dtype)
    if "where" in arg:
        a = ctx.temp(Call(_np("where"), (arg["where"], a, init)))
    axis = arg.get("axis", Const(None))
    if axis == Const(None) and "keepdims" not in arg:  # (`initial` one more entry: an empty `a` has a max: dt-004)
        pad = ctx.temp(Call(_np("reshape"), (init, Const((1,)))))
        a = ctx.temp(Call(_np("concatenate"), (ctx.temp(Build("tuple", (ctx.temp(Call(_np("ravel"), (a,))), pad))),)))
        return ctx.temp(Call(f, (a,)))
    if isinstance(axis, Const) and type(axis.value) is int:  # (`initial` one more entry along the axis)
        shape = ctx.temp(Call(_np("sum"), (a,), (("axis", axis), ("keepdims", Const(True)))))
        pad = _as_dtype_of(ctx, ctx.temp(Call(_np("full_like"), (shape, init))), a)  # (a sum of int8 is int64)
        a = ctx.temp(Call(_np("concatenate"), (ctx.temp(Build("tuple", (a, pad))),), (("axis", axis),)))
        return ctx.temp(Call(f, (a,), _options(arg, ("axis", "keepdims"))))
    s = ctx.temp(Call(f, (a,), _options(arg, ("axis", "keepdims"))))
    return ctx.temp(Call(Global(("np", combine.__name__), combine, np), (s, init)))


def _mean(ctx, f, arg):
    if "where" not in arg or "dtype" in arg:
        return _as_written(ctx, f, arg, ("a",), ("axis", "dtype", "keepdims", "where"))
    a, m = arg["a"], arg["where"]
    options = _options(arg, ("axis", "keepdims"))
    total = ctx.temp(Call(_np("sum"), (ctx.temp(Call(_np("where"), (m, a, Const(0.0)))),), options))
    mask = ctx.temp(Call(_np("broadcast_to"), (m, ctx.temp(Call(_np("shape"), (a,))))))
    count = ctx.temp(Call(_np("sum"), (mask,), options))
    # (NumPy divides the sum by the count and casts the quotient back to the sum's dtype: a float32 mean
    # stays float32, while float32 / int64 is float64: dt-005)
    return ctx.temp(Index(_as_dtype_of(ctx, ctx.temp(BinOp("/", total, count)), total), (), True))


def _take(ctx, f, arg):
    a, i = arg["a"], arg["indices"]
    mode = arg.get("mode", Const("raise"))
    if not (isinstance(mode, Const) and mode.value in ("raise", "wrap", "clip")):
        return _as_written(ctx, f, arg, ("a", "indices"), ("axis", "mode"))
    axis = arg.get("axis", Const(None))
    if mode.value != "raise":
        if axis == Const(None):
            n = ctx.temp(Call(_np("size"), (a,)))
        else:
            n = ctx.temp(Index(ctx.temp(Call(_np("shape"), (a,))), (axis,)))
        if mode.value == "wrap":
            i = ctx.temp(Call(_np("mod"), (i, n)))
        else:
            i = ctx.temp(Call(_np("clip"), (i, Const(0), ctx.temp(BinOp("-", n, Const(1))))))
    return ctx.temp(Call(f, (a, i), _options(arg, ("axis",))))


def _as_written(ctx, f, arg, positional, keywords):
    """The call itself, of the atoms already evaluated (its rule decides)."""
    return ctx.temp(Call(f, tuple(arg[p] for p in positional), _options(arg, keywords)))


def bound_atoms(ctx, node, sig):
    """`node`'s arguments bound to the parameters of `sig`, each evaluated to an atom in the order they are
    written: (the function's atom, {parameter: atom}); None where they do not bind or `out=` is given (the
    forms here compute a new value)."""
    try:
        bound = sig.bind(*node.args, **{k.arg: k.value for k in node.keywords}).arguments
    except (TypeError, ValueError):
        return None
    if "out" in bound:
        return None
    f = ctx.expressions.atom(node.func)
    atoms = {}
    for a in list(node.args) + [k.value for k in node.keywords]:
        atoms[id(a)] = ctx.expressions.atom(a)
    return f, {p: atoms[id(v)] for p, v in bound.items()}
