"""Desugaring NumPy 2's array-API spellings into the calls with derivative rules that compute the same values
(each argument evaluated once, in the user's order):

    np.clip(a, min=lo, max=hi)                  np.clip(a, lo, hi)
    np.std(a, correction=c), np.var(...)        np.std(a, ddof=c)
    np.sort(a, stable=s)                        np.sort(a)            (ties are equal values: the same result)
    np.astype(x, dtype, copy=c)                 x.astype(dtype, copy=c)
    np.vecdot(a, b, axis=k), np.linalg.vecdot   np.sum(np.conj(a) * b, axis=k)
    np.matrix_transpose(x), np.linalg.(same)    np.swapaxes(x, -1, -2)
    np.linalg.matmul / outer                    np.matmul / np.outer
    np.linalg.trace(x, offset=k, dtype=d)       np.trace(x, k, -2, -1, d)
    np.cumulative_sum(x, axis=k, dtype=d)       np.cumsum(x, axis=k, dtype=d)       (without include_initial)
    np.linalg.vector_norm(x, ord=p)             np.linalg.norm(np.ravel(x), p)      (axis an int: norm(x, p, axis))
    np.linalg.matrix_norm(x, ord=p)             np.linalg.norm(x, p, axis=(-2, -1))
    np.linspace(a, b, n, retstep=True)          (np.linspace(a, b, n), (b - a) / (n - 1))   (n a literal >= 2;
                                                n without endpoint)
    np.linalg.qr(a, mode="r")                   np.linalg.qr(a)[1]
    np.vdot(a, b)                               np.sum(np.conj(np.ravel(a)) * np.ravel(b))

Any other use of these functions (out=, include_initial=True, a tuple axis of vector_norm...) is left as written.
"""
import ast
import inspect

import numpy as np

from .ir import Attr, BinOp, Build, Call, Const, Global, Index

_FORMS = {}  # id(function) -> (test, writer): _forms(), made at the first use
_NAMES = {"clip", "std", "var", "sort", "astype", "vecdot", "matrix_transpose", "matmul", "outer", "trace",
          "cumulative_sum", "vector_norm", "matrix_norm", "linspace", "qr", "vdot"}


def _np(*path):
    obj = np
    for p in path:
        obj = getattr(obj, p)
    return Global(("np",) + path, obj, np)


def rewrite(ctx, node):
    """The atom holding the value of one of the spellings above, or None for any other call."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name not in _NAMES or any(isinstance(a, ast.Starred) for a in node.args) or \
            any(k.arg is None for k in node.keywords):
        return None
    obj = ctx.expressions.resolve_global(func)
    if not _FORMS:
        _FORMS.update(_forms())
    form = _FORMS.get(id(obj))
    if form is None:
        return None
    try:
        bound = inspect.signature(obj).bind(*node.args, **{k.arg: k.value for k in node.keywords}).arguments
    except (TypeError, ValueError):
        return None
    if not form[0](bound):
        return None
    atoms = {}
    for a in list(node.args) + [k.value for k in node.keywords]:  # (evaluated in the order they are written)
        atoms[id(a)] = ctx.expressions.atom(a)
    return form[1](ctx, {p: atoms[id(v)] for p, v in bound.items()})


def _forms():
    """id(function) -> (test of its bound arguments (AST nodes), writer of the call from their atoms)."""
    forms = {
        id(np.clip): (lambda b: ("min" in b or "max" in b) and "a_min" not in b and "a_max" not in b, _clip),
        id(np.std): (lambda b: "correction" in b and "ddof" not in b, _renamed("std", {"correction": "ddof"})),
        id(np.var): (lambda b: "correction" in b and "ddof" not in b, _renamed("var", {"correction": "ddof"})),
        id(np.sort): (lambda b: "stable" in b, _renamed("sort", {"stable": None})),
        id(np.linalg.matmul): (_always, _renamed("matmul", {})),
        id(np.linalg.outer): (_always, _renamed("outer", {})),
        id(np.linalg.trace): (_always, _trace),
        id(np.linalg.vecdot): (_always, _vecdot),
        id(np.linalg.matrix_transpose): (_always, _matrix_transpose),
        id(np.linalg.vector_norm): (_vector_norm_fits, _vector_norm),
        id(np.linalg.matrix_norm): (_always, _matrix_norm),
        id(np.linspace): (_linspace_with_step_fits, _linspace_with_step),
        id(np.vdot): (_always, _vdot),
        id(np.linalg.qr): (lambda b: isinstance(b.get("mode"), ast.Constant) and b["mode"].value == "r", _qr_r),
    }
    if hasattr(np, "astype"):  # (NumPy 2)
        forms[id(np.astype)] = (lambda b: "device" not in b, _astype)
        forms[id(np.vecdot)] = (lambda b: set(b) <= {"x1", "x2", "axis"}, _vecdot)
        forms[id(np.matrix_transpose)] = (_always, _matrix_transpose)
    if hasattr(np, "cumulative_sum"):
        forms[id(np.cumulative_sum)] = (lambda b: "out" not in b and _literal(b.get("include_initial"), False),
                                        _cumulative_sum)
    return forms


def _always(bound):
    return True


def _literal(node, value):
    return node is None or isinstance(node, ast.Constant) and node.value is value


def _int_literal(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _vector_norm_fits(bound):
    axis = bound.get("axis")
    return _int_literal(axis) or _literal(axis, None) and _literal(bound.get("keepdims"), False)


def _call(ctx, f, args, kwargs=()):
    return ctx.temp(Call(f, tuple(args), tuple(kwargs)))


def _renamed(target, renames):
    """The NumPy function `target` with the keywords renamed (a None name: dropped)."""
    def write(ctx, arg):
        params = list(arg)
        first = params[0]
        kwargs = [(renames.get(p, p), v) for p, v in arg.items() if p != first and renames.get(p, p) is not None]
        if target in ("matmul", "outer"):
            return _call(ctx, _np(target), [arg[p] for p in params[:2]])
        return _call(ctx, _np(target), [arg[first]], kwargs)
    return write


def _clip(ctx, arg):
    return _call(ctx, _np("clip"), [arg["a"], arg.get("min", Const(None)), arg.get("max", Const(None))],
                 [("out", arg["out"])] if "out" in arg else [])


def _astype(ctx, arg):
    return _call(ctx, Attr(arg["x"], "astype"), [arg["dtype"]], [("copy", arg["copy"])] if "copy" in arg else [])


def _vecdot(ctx, arg):
    product = ctx.temp(BinOp("*", _call(ctx, _np("conj"), [arg["x1"]]), arg["x2"]))
    return _call(ctx, _np("sum"), [product], [("axis", arg.get("axis", Const(-1)))])


def _vdot(ctx, arg):
    a, b = list(arg.values())[:2]
    left = _call(ctx, _np("conj"), [_call(ctx, _np("ravel"), [a])])
    product = ctx.temp(BinOp("*", left, _call(ctx, _np("ravel"), [b])))
    return _call(ctx, _np("sum"), [product])


def _matrix_transpose(ctx, arg):
    return _call(ctx, _np("swapaxes"), [arg["x"], Const(-1), Const(-2)])


def _trace(ctx, arg):
    kwargs = [("offset", arg["offset"])] if "offset" in arg else []
    kwargs += [("axis1", Const(-2)), ("axis2", Const(-1))] + ([("dtype", arg["dtype"])] if "dtype" in arg else [])
    return _call(ctx, _np("trace"), [arg["x"]], kwargs)


def _cumulative_sum(ctx, arg):
    return _call(ctx, _np("cumsum"), [arg["x"]], [(k, arg[k]) for k in ("axis", "dtype") if k in arg])


def _vector_norm(ctx, arg):
    ord_ = [("ord", arg["ord"])] if "ord" in arg else []
    if "axis" in arg and arg["axis"] != Const(None):
        keep = [("keepdims", arg["keepdims"])] if "keepdims" in arg else []
        return _call(ctx, _np("linalg", "norm"), [arg["x"]], ord_ + [("axis", arg["axis"])] + keep)
    flat = _call(ctx, _np("ravel"), [arg["x"]])
    return _call(ctx, _np("linalg", "norm"), [flat], ord_)


def _matrix_norm(ctx, arg):
    kwargs = [("ord", arg["ord"])] if "ord" in arg else []
    kwargs += [("axis", Const((-2, -1)))] + ([("keepdims", arg["keepdims"])] if "keepdims" in arg else [])
    return _call(ctx, _np("linalg", "norm"), [arg["x"]], kwargs)


def _linspace_with_step_fits(bound):
    num = bound.get("num")
    return _literal(bound.get("retstep"), True) and bound.get("retstep") is not None and \
        (num is None or isinstance(num, ast.Constant) and type(num.value) is int and num.value >= 2) and \
        (_literal(bound.get("endpoint"), True) or _literal(bound.get("endpoint"), False)) and \
        (_literal(bound.get("axis"), None) or isinstance(bound.get("axis"), ast.Constant) and bound["axis"].value == 0)


def _linspace_with_step(ctx, arg):
    num = arg.get("num", Const(50))
    endpoint = arg.get("endpoint", Const(True))
    kwargs = [(k, arg[k]) for k in ("endpoint", "dtype", "axis") if k in arg]
    values = _call(ctx, _np("linspace"), [arg["start"], arg["stop"], num], kwargs)
    delta = ctx.temp(BinOp("-", arg["stop"], arg["start"]))
    step = ctx.temp(BinOp("/", delta, Const(num.value - 1 if endpoint.value else num.value)))
    return ctx.temp(Build("tuple", (values, step)))


def _qr_r(ctx, arg):
    return ctx.temp(Index(_call(ctx, _np("linalg", "qr"), [arg["a"]]), (Const(1),)))
