"""Gradients proven new arrays of their arguments' shapes: `as_grad`'s checks cut to a class and a dtype.

`_ad.as_grad(b, x)` gives a gradient its argument's form at the boundary (a float array of x's shape, new
and writeable; `as_grads` also copies apart gradients that are the same object). Its checks (b's class,
shape, dtype, flags) cost about as much as a NumPy operation on a small array at every call. This pass
proves, on the cleaned-up derivative, what most of them test: that b, when it is an array, was made by this
call (NumPy arithmetic `+ - * / ** @` or a one-operand ufunc with a NumPy array operand always makes a new,
writeable ndarray, held by no other gradient) and has exactly x's shape (dims.py: the classes of the
dimension pattern the derivative is compiled for). The return then calls `_ad.as_grad_made` /
`_ad.as_grads_made`, which check only b's class and dtype (the derivative is shared by arguments of the same
dtype kind) and otherwise do what as_grad does.

Followed: the top-level statements in order; a name bound inside a loop or branch, by a copy of another name
(`c = b` shares the array), by several targets or a call of anything else is not known. `b += e` and
`b[i] = e` keep an array's class, shape and identity (in place, or an exception), in loops too.
"""
import numpy as np

from . import dims as D, ir, kinds as K
from .ir import Assign, AugAssign, Attr, BinOp, Build, Call, Const, Global, Return, SetItem, UnaryOp, Var

_ARITHMETIC = ("+", "-", "*", "/", "**")


def prove_forms(fdef, kinds, dims):
    """Replace as_grad / as_grads in the return by their `_made` versions where every gradient is proven."""
    if not dims or any(K.without_views(k) for k in kinds.values()):
        return
    known = {}  # name -> the shape of the new array it holds (held by no other gradient), or () for a number
    for s in fdef.body:
        if isinstance(s, Return):
            s.value = ir.map_expr(s.value, lambda e: _made(e, known, kinds, dims))
            return
        if isinstance(s, Assign) and len(s.targets) == 1 and type(s.target) is str and not s.noop:
            shape = _fresh(s.value, known, kinds, dims)
            buffer = _into_buffer(s.value, known, kinds, dims) if shape is None else None
            if buffer is not None:
                known.pop(buffer[0])
                shape = buffer[1]
            if shape is None:
                known.pop(s.target, None)
            else:
                known[s.target] = shape
        elif isinstance(s, AugAssign) and known.get(s.target) != () and s.target in known:
            pass  # (an array changed in place: the same object, class and shape)
        elif isinstance(s, SetItem) and isinstance(s.target, Var) and known.get(s.target.name):
            pass  # (a store into the array)
        else:
            for inner in ir.walk([s]):
                for name in ir.stmt_writes(inner) | ir.changed_in_place(inner):
                    if not (isinstance(inner, (AugAssign, SetItem)) and known.get(name)):
                        known.pop(name, None)


def _made(e, known, kinds, dims):
    if not (isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",) and not e.kwargs
            and len(e.args) == 2):
        return e
    name, (b, x) = e.func.path[-1], e.args
    if name == "as_grad" and _proven(b, x, known, kinds, dims):
        return Call(Global(("_ad", "as_grad_made"), _runtime().as_grad_made, _runtime()), e.args)
    if name == "as_grads" and isinstance(b, Build) and isinstance(x, Build) and len(b.items) == len(x.items) and \
            len({getattr(v, "name", None) for v in b.items}) == len(b.items) and \
            all(_proven(bi, xi, known, kinds, dims) for bi, xi in zip(b.items, x.items)):
        return Call(Global(("_ad", "as_grads_made"), _runtime().as_grads_made, _runtime()), e.args)
    return e


def _runtime():
    from . import runtime
    return runtime


def _proven(b, x, known, kinds, dims):
    """Is b certainly a new array of the argument x's shape?"""
    return isinstance(b, Var) and isinstance(x, Var) and _plain_array(kinds.get(x.name)) and \
        bool(known.get(b.name)) and D.same(known[b.name], D.shape_of(dims, kinds, x))


def _plain_array(kind):
    return isinstance(kind, K.Array) and kind.cls is np.ndarray and kind.ndim is not None and kind.ndim > 0


def _shape(e, known, kinds, dims):
    """The shape of an operand: of an array of the function or a number (()), or None (not known)."""
    if isinstance(e, Const):
        return () if type(e.value) in (int, float) else None
    if isinstance(e, Var):
        if e.name in known:
            return known[e.name]
        k = kinds.get(e.name)
        if _plain_array(k):
            d = D.shape_of(dims, kinds, e)
            return d if d is not None and len(d) == k.ndim and D.same(d, d) else None
        if isinstance(k, K.Scalar) and k.cls in (float, int):
            return ()
        return None
    if isinstance(e, Attr) and e.attr in ("size", "ndim") and _shape(e.value, known, kinds, dims):
        return ()  # (an int)
    if isinstance(e, Attr) and e.attr == "T":
        d = _shape(e.value, known, kinds, dims)
        return d[::-1] if d else None
    return _fresh(e, known, kinds, dims)


def _fresh(e, known, kinds, dims):
    """The shape of the value of `e` when it is a number (()) or a new array (arithmetic with an array
    operand), else None."""
    if isinstance(e, Const):
        return _shape(e, known, kinds, dims)
    if isinstance(e, UnaryOp) and e.op in ("-", "+"):
        return _shape(e.operand, known, kinds, dims) if e.op == "-" or \
            _shape(e.operand, known, kinds, dims) == () else None
    if isinstance(e, BinOp) and e.op in _ARITHMETIC + ("@",):
        a, b = _shape(e.left, known, kinds, dims), _shape(e.right, known, kinds, dims)
        if a is None or b is None:
            return None
        if e.op == "@":
            out = D.matmul(a, b) if a and b else None
            return out if out else None  # (1-d @ 1-d: a NumPy scalar)
        out = D.broadcast([a, b])
        return out if out is not None and D.same(out, out) else None
    if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",) and not e.kwargs:
        return _helper(e.func.path[-1], e.args, known, kinds, dims)
    if isinstance(e, Call) and isinstance(e.func, Global) and isinstance(e.func.obj, np.ufunc) and \
            e.func.obj.nin == len(e.args) and e.func.obj.nout == 1 and len(e.args) in (1, 2) and not e.kwargs and \
            e.func.obj.signature is None:  # (elementwise: not np.matmul)
        shapes = [_shape(a, known, kinds, dims) for a in e.args]  # (`np.maximum(t1, 0.0)`, `np.tanh(a)`)
        if any(a is None for a in shapes):
            return None
        out = D.broadcast(shapes) if len(shapes) == 2 else shapes[0]
        return out if out and D.same(out, out) else None  # (of numbers: a NumPy scalar, not followed)
    return None


_BUFFER_REUSING = {"max_vjp": 3, "min_vjp": 3, "abs_vjp": 2}  # (their operands, before `out=`)


def _into_buffer(e, known, kinds, dims):
    """`(buffer, shape)` for `_ad.max_vjp(g, a, b, out=g)` (min_vjp, abs_vjp) where g is a new array of the
    operands' broadcast shape: the result is g itself or a new array of that shape (runtime._into), so the
    name it is bound to holds it and g no longer does alone."""
    if not (isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",) and
            e.func.path[-1] in _BUFFER_REUSING and len(e.args) == _BUFFER_REUSING[e.func.path[-1]] and
            len(e.kwargs) == 1 and e.kwargs[0][0] == "out" and isinstance(e.args[0], Var) and
            e.kwargs[0][1] == e.args[0] and known.get(e.args[0].name)):
        return None
    shapes = [_shape(a, known, kinds, dims) for a in e.args]
    if any(a is None for a in shapes):
        return None
    out = D.broadcast(shapes)
    g = known[e.args[0].name]
    return (e.args[0].name, g) if out is not None and D.same(out, g) and D.same(g, g) else None


def _helper(name, args, known, kinds, dims):
    """Runtime helpers that always make a new array: zeros_like of an array, and the adjoints of `a @ b`
    (of a's or b's shape, given an adjoint of the product's shape)."""
    shapes = [_shape(a, known, kinds, dims) for a in args]
    if name == "zeros_like" and len(args) == 1 and shapes[0] and isinstance(args[0], Var) and \
            _plain_array(kinds.get(args[0].name)):
        return shapes[0]
    if name in ("matmul_vjp_a", "matmul_vjp_b") and len(args) == 3 and all(shapes):
        g, a, b = shapes
        if D.same(g, D.matmul(a, b)):
            return a if name == "matmul_vjp_a" else b
    return None
