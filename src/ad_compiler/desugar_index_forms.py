"""Desugaring NumPy's indexing functions into the plain reads and stores they compute (NumPy's own
definitions; each argument still evaluated once, in the user's order):

    np.take_along_axis(a, i, axis)       a[_ad.along_axis_index(i, axis, np.shape(a))]   (axis=None: of np.ravel(a))
    np.put_along_axis(a, i, v, axis)     a[_ad.along_axis_index(i, axis, np.shape(a))] = v   (a repeated position
                                         keeps the last write, as NumPy's store does)
    np.copyto(dst, src, where=m)         np.copyto(dst, np.where(m, src, dst))   (its `casting=` kept: a float into an
                                         int array is refused where NumPy raises)
    np.fill_diagonal(a, val, wrap)       p = _ad.diagonal_positions(np.shape(a), wrap, np.size(val))
                                         a[p] = np.ravel(val)[_ad.cyclic_positions(np.size(val), p)]
                                         (NumPy's `a.flat[:end:step] = val`: val repeated cyclically)
    np.where(c)                          np.nonzero(c)
    np.choose(i, [c0, c1], mode)         np.select(_ad.choose_conditions(i, 2, mode), [c0, c1])   (choices written as a
                                         list or tuple; NumPy's errors for an index out of range: refuse27)
    np.compress(c, a, axis)              np.take(a, _ad.kept_positions(c), axis)
    np.extract(c, a)                     np.take(np.ravel(a), np.nonzero(np.ravel(c))[0])
    np.add.at(a, i, b)                   a += _ad.getitem_vjp(np.broadcast_to(b, s), a, i)   (s: a[i]'s shape; b added
    np.subtract.at(a, i, b)              a -= ...          at i, a repeated position adding up: getitem_vjp is the
                                                           adjoint of a read a[i])
    np.multiply.at(a, i, b)              bs = np.ravel(np.copy(np.broadcast_to(b, s)))
                                         for k in range(len(steps)):   (steps = _ad.at_steps(np.shape(a), i))
                                             a[steps[k][0]] = a[steps[k][0]] * bs[steps[k][1]]
    (np.divide.at: `/`; np.maximum.at, np.minimum.at: np.maximum(a[...], bs[...]); each position combined with
    its values one at a time in NumPy's order, so repeated positions multiply again, as NumPy's do: refuse27)

    x.flat[i]                            np.take(x, _ad.flat_positions(np.shape(x), i, type(x)))   (a copy; the
                                         positions np.arange(x.size).flat[i]: NumPy's own reading of i)
    x.flat[i] = v  (op=: read first)     np.put(x, <the same positions>, v), written as below   (refuse27)
    np.put(a, ind, v, mode)              p, k = _ad.flat_store_positions("put", np.shape(a), ind, np.size(v), mode)
    np.putmask(a, mask, v)               a[p] = np.ravel(v)[k]   (the positions of a in C order, as an index of
    np.place(a, mask, v)                 a's shape, and the entries of v written there: v repeated cyclically)

np.fill_diagonal and np.place read their values while writing (a value whose place was written before is read
new): values that may share memory with the array are refused when f runs (`_ad.check_unshared`); np.put,
np.putmask, np.copyto, np.put_along_axis and ufunc.at read them first, as the rewritten stores do.
The other ufuncs' `.at` are left as written, refused by the alias pass.
"""
import ast
import inspect

import numpy as np

from . import ir
from .desugar_numpy_forms import bound_atoms
from .ir import Call, Const, Global, Index, Var

_FUNCTIONS = {np.take_along_axis: "take_along_axis", np.put_along_axis: "put_along_axis", np.copyto: "copyto",
              np.where: "where", np.compress: "compress", np.extract: "extract", np.fill_diagonal: "fill_diagonal",
              np.put: "flat_store", np.putmask: "flat_store", np.place: "flat_store", np.choose: "choose"}
_AT = {np.add: "+", np.subtract: "-"}
_AT_STEPS = {np.multiply: "*", np.divide: "/", np.maximum: "maximum", np.minimum: "minimum"}  # (one store a step)
_AT_SIGNATURE = inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in
                                   ("a", "indices", "b")])


def _np(name):
    return Global(("np", name), getattr(np, name), np)


def _rt(name):
    from . import runtime

    return Global(("_ad", name), getattr(runtime, name), runtime)


def _form(obj):
    try:
        if getattr(obj, "__name__", None) == "at" and isinstance(getattr(obj, "__self__", None), np.ufunc):
            return "at" if obj.__self__ in _AT or obj.__self__ in _AT_STEPS else None
        return _FUNCTIONS.get(obj)
    except TypeError:  # (an unhashable object)
        return None


def rewrite(ctx, node):
    """The atom holding the value of one of the forms above, or None for any other call."""
    if not isinstance(node.func, (ast.Name, ast.Attribute)) or any(isinstance(a, ast.Starred) for a in node.args) \
            or any(k.arg is None for k in node.keywords):
        return None
    obj = ctx.expressions.resolve_global(node.func)
    form = _form(obj)
    if form is None or form == "where" and (len(node.args) != 1 or node.keywords) or \
            form == "copyto" and "where" not in {k.arg for k in node.keywords} or \
            form == "choose" and not _listed_choices(node):
        return None
    try:
        sig = _AT_SIGNATURE if form == "at" else inspect.signature(obj)
        if form == "at" and "b" not in sig.bind(*node.args, **{k.arg: k.value for k in node.keywords}).arguments:
            return None
    except (TypeError, ValueError):
        return None
    bound = bound_atoms(ctx, node, sig)
    if bound is None:
        return None
    f, arg = bound
    return globals()["_" + form](ctx, f, arg, obj)


def flat_index(ctx, node):
    """`x.flat[i]` (node: the subscript, `i` one index, not a tuple): (x's atom, the positions' atom) of an
    ndarray x, or None for any other subscript (`_ad.flat_positions` refuses, when it runs, a value that is not
    an ndarray: an object of the user's with an attribute `flat`)."""
    if not (isinstance(node.value, ast.Attribute) and node.value.attr == "flat") or \
            isinstance(node.slice, ast.Tuple) or isinstance(node.slice, ast.Starred) or _classes_with_flat(ctx.unit):
        return None
    base = ctx.expressions.atom(node.value.value)
    item = ctx.expressions.index_item(node.slice)
    if isinstance(item, ir.Slice):
        parts = tuple(Const(None) if v is None else v for v in (item.lower, item.upper, item.step))
        item = ctx.temp(Call(Global(("slice",), slice), parts))
    shape = ctx.temp(Call(_np("shape"), (base,)))
    cls = ctx.temp(Call(Global(("type",), type), (base,)))
    return base, ctx.temp(Call(_rt("flat_positions"), (shape, item, cls)))


def _classes_with_flat(unit):
    """Has a class defined in the function's module (or held by its closure) an attribute `flat` (`self.flat =
    [...]`, a field, a property)? Then `o.flat[i]` may be its item, and is left as written (a class of another
    module with one: `_ad.flat_positions` refuses its objects when the function runs)."""
    module = unit.globals.get("__name__")
    values = [v for v in unit.globals.values() if getattr(v, "__module__", None) == module] + \
        [c.cell_contents for c in unit.cells.values() if _filled(c)]
    for cls in values:
        if isinstance(cls, type):
            if any("flat" in vars(k) or "flat" in getattr(k, "__annotations__", {}) for k in cls.__mro__[:-1]):
                return True
            try:
                if ".flat =" in inspect.getsource(cls) or ".flat=" in inspect.getsource(cls):
                    return True
            except (OSError, TypeError):
                return True  # (its source cannot be read: it may have one)
    return False


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def flat_read(ctx, base, positions):
    return ctx.temp(Call(_np("take"), (base, positions)))


def flat_store(ctx, base, positions, value):
    """`x.flat[i] = v`: np.put at the positions (v repeated cyclically, as NumPy's flat store does)."""
    if not isinstance(base, Var):
        ctx.emit(ir.ExprStmt(Call(_np("put"), (base, positions, value))))
        return
    _flat_store(ctx, _np("put"), {"a": base, "ind": positions, "v": value}, np.put)


def _listed_choices(node):
    """np.choose's choices written as a list or tuple of known length, and no `out=`?"""
    given = dict(zip(("a", "choices", "out", "mode"), node.args)) | {k.arg: k.value for k in node.keywords}
    return "out" not in given and isinstance(given.get("choices"), (ast.List, ast.Tuple)) and \
        not any(isinstance(e, ast.Starred) for e in given["choices"].elts)


def _choose(ctx, f, arg, obj):
    choices = arg["choices"]
    n = ctx.temp(Call(Global(("len",), len), (choices,)))
    conditions = ctx.temp(Call(_rt("choose_conditions"), (arg["a"], n, arg.get("mode", Const("raise")))))
    return ctx.temp(Call(_np("select"), (conditions, choices)))


def _take_along_axis(ctx, f, arg, obj):
    a, axis = arg["arr"], arg.get("axis", Const(-1))
    if axis == Const(None):
        a, axis = ctx.temp(Call(_np("ravel"), (a,))), Const(0)
    return ctx.temp(Index(a, (_along_axis(ctx, a, arg["indices"], axis),)))


def _along_axis(ctx, a, indices, axis):
    shape = ctx.temp(Call(_np("shape"), (a,)))
    return ctx.temp(Call(_rt("along_axis_index"), (indices, axis, shape)))


def _put_along_axis(ctx, f, arg, obj):
    a, axis = arg["arr"], arg["axis"]
    if not isinstance(a, Var) or axis == Const(None):
        return ctx.temp(Call(f, (a, arg["indices"], arg["values"], axis)))
    ctx.emit(ir.SetItem(a, (_along_axis(ctx, a, arg["indices"], axis),), arg["values"]))
    return Const(None)


def _copyto(ctx, f, arg, obj):
    dst = arg["dst"]
    src = ctx.temp(Call(_np("where"), (arg["where"], arg["src"], dst)))
    options = (("casting", arg["casting"]),) if "casting" in arg else ()
    return ctx.temp(Call(f, (dst, src), options))


def _where(ctx, f, arg, obj):
    return ctx.temp(Call(_np("nonzero"), (arg["condition"],)))


def _compress(ctx, f, arg, obj):
    kept = ctx.temp(Call(_rt("kept_positions"), (arg["condition"],)))
    options = (("axis", arg["axis"]),) if "axis" in arg else ()
    return ctx.temp(Call(_np("take"), (arg["a"], kept), options))


def _extract(ctx, f, arg, obj):
    flat = ctx.temp(Call(_np("ravel"), (arg["arr"],)))
    where = ctx.temp(Call(_np("nonzero"), (ctx.temp(Call(_np("ravel"), (arg["condition"],))),)))
    return ctx.temp(Call(_np("take"), (flat, ctx.temp(Index(where, (Const(0),))))))


def _at(ctx, f, arg, obj):
    a = arg["a"]
    if not isinstance(a, Var):
        return ctx.temp(Call(f, (a, arg["indices"], arg["b"])))
    if obj.__self__ in _AT_STEPS:
        return _at_steps(ctx, a, arg, _AT_STEPS[obj.__self__])
    shape = ctx.temp(Call(_rt("indexed_shape"), (a, arg["indices"])))
    b = ctx.temp(Call(_np("broadcast_to"), (arg["b"], shape)))  # (b spread to a[i]'s shape, as NumPy does)
    spread = ctx.temp(Call(_rt("getitem_vjp"), (b, a, arg["indices"])))
    ctx.emit(ir.AugAssign(a.name, _AT[obj.__self__], spread))
    return Const(None)


def _at_steps(ctx, a, arg, op):
    """`np.multiply.at(a, i, b)` (divide, maximum, minimum) as one store a step, each step the k-th occurrences
    of the positions (`_ad.at_steps`: no position twice in a step); b's values read first (copied: NumPy's ufunc.at
    reads them before it writes)."""
    shape = ctx.temp(Call(_rt("indexed_shape"), (a, arg["indices"])))  # (NumPy's errors: a not an array, ...)
    spread = ctx.temp(Call(_np("broadcast_to"), (arg["b"], shape)))
    values = ctx.temp(Call(_np("ravel"), (ctx.temp(Call(_np("copy"), (spread,))),)))
    steps = ctx.temp(Call(_rt("at_steps"), (ctx.temp(Call(_np("shape"), (a,))), arg["indices"])))
    n = ctx.temp(Call(ir.Global(("len",), len), (steps,)))
    counter = ctx.alloc.fresh("k")
    body = []
    with ctx.into(body):
        step = ctx.temp(Index(steps, (Var(counter),)))
        where, which = ctx.temp(Index(step, (Const(0),))), ctx.temp(Index(step, (Const(1),)))
        old, new = ctx.temp(Index(a, (where,))), ctx.temp(Index(values, (which,)))
        both = ctx.temp(ir.BinOp(op, old, new) if op in "*/" else Call(_np(op), (old, new)))
        ctx.emit(ir.SetItem(a, (where,), both))
    ctx.emit(ir.For(counter, Call(ir.Global(("range",), range), (n,)), body))
    return Const(None)


def _fill_diagonal(ctx, f, arg, obj):
    a, val = arg["a"], arg["val"]
    if not isinstance(a, Var):
        return ctx.temp(Call(f, (a, val) + ((arg["wrap"],) if "wrap" in arg else ())))
    ctx.emit(ir.ExprStmt(Call(_rt("check_unshared"), (a, val, Const("np.fill_diagonal")))))  # (NumPy: unbuffered)
    size = ctx.temp(Call(_np("size"), (val,)))
    shape = ctx.temp(Call(_np("shape"), (a,)))
    where = ctx.temp(Call(_rt("diagonal_positions"), (shape, arg.get("wrap", Const(False)), size)))
    which = ctx.temp(Call(_rt("cyclic_positions"), (size, where)))
    ctx.emit(ir.SetItem(a, (where,), ctx.temp(Index(ctx.temp(Call(_np("ravel"), (val,))), (which,)))))
    return Const(None)


def _flat_store(ctx, f, arg, obj):
    names = {np.put: ("a", "ind", "v"), np.putmask: ("a", "mask", "values"), np.place: ("arr", "mask", "vals")}[obj]
    a, where, values = (arg[n] for n in names)
    if not isinstance(a, Var):
        return ctx.temp(Call(f, (a, where, values) + ((arg["mode"],) if "mode" in arg else ())))
    if obj is np.place:  # (NumPy reads the values while writing: unbuffered; np.put and np.putmask read them first)
        ctx.emit(ir.ExprStmt(Call(_rt("check_unshared"), (a, values, Const("np.place")))))
    size = ctx.temp(Call(_np("size"), (values,)))
    shape = ctx.temp(Call(_np("shape"), (a,)))
    how = Const(obj.__name__)
    found = ctx.temp(Call(_rt("flat_store_positions"), (how, shape, where, size) +
                          ((arg["mode"],) if "mode" in arg else ())))
    index, which = ctx.temp(Index(found, (Const(0),))), ctx.temp(Index(found, (Const(1),)))
    ctx.emit(ir.SetItem(a, (index,), ctx.temp(Index(ctx.temp(Call(_np("ravel"), (values,))), (which,)))))
    return Const(None)
