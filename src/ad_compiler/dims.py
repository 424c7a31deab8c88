"""Static shapes: each array's shape as a tuple of dimension classes, through loops and branches.

A derivative is compiled per *dimension pattern* of its array arguments (the dispatcher's key, see
driver.dims_pattern): which of their dimensions have the same size, and which have size 1. An argument of
shape (8, 32) and one of shape (32,) get the pattern ((2, 3), (3,)): their last dimensions are equal. From
the pattern, the shape of every array the function computes follows as a tuple of classes, or is unknown
(None): elementwise operations broadcast (a class meets itself or the class of size 1), a matrix product
takes the rows of one operand and the columns of the other, a row of a stack drops its first dimension, a
full reduction is a number, `.T` reverses. Loops and branches are a fixed point: a value's shape is known
when every assignment gives it the same one (the hidden state of an RNN keeps the shape of `h0`).

The reverse and forward transforms use it to drop `_ad.unbroadcast(g, x)` where x certainly has the
result's shape, and to write the sum broadcasting needs directly (`g.sum(axis=0)`) where it is known.
"""
from . import ir, kinds as K
from .ir import Assign, Const, Index, SetItem, Var

ONE = -1  # the class of dimensions of size 1
_BOTTOM = object()  # not known yet (the fixed point starts from it)


def infer(fn, ops, kinds):
    """name -> shape (a tuple of dimension classes) or None, for the SSA names of `fn`, from
    `fn.param_dims` (parameter -> its shape's classes). Empty when no pattern is known."""
    start = getattr(fn, "param_dims", None)
    if not start:
        return {}
    start = dict(start)
    for p in fn.params:  # (the kinds of the arguments are facts; those inferred for other values may not be:
        if isinstance(kinds.get(p), K.Scalar):  # a library call of unknown rank is taken as a number)
            start.setdefault(p, ())
    for loop in ir.walk(fn.body):
        if isinstance(loop, ir.For):
            start[loop.target] = ()  # (a counter over a range)
    dims = dict(start)
    stmts = [s for s in ir.walk(fn.body) if isinstance(s, (Assign, SetItem))]
    for _ in range(50):  # (each name's shape rises at most twice: not known, a shape, unknown)
        changed = False
        for s in stmts:
            if isinstance(s, SetItem):
                target, new = s.result, _get(dims, kinds, s.target)
            elif len(s.targets) == 1:
                target = s.target
                new = _get(dims, kinds, Var(s.prev)) if s.noop and s.prev else _value(s, ops.get(id(s)), dims, kinds)
            else:
                continue
            if target is None or target in start:
                continue
            old = dims.get(target, _BOTTOM)
            joined = _join(old, new)
            if joined is not old and joined != old:
                dims[target] = joined
                changed = True
        if not changed:
            break
    else:  # (cannot happen for a monotone system; be safe rather than wrong)
        return {}
    return {n: d for n, d in dims.items() if d is not _BOTTOM}


def _join(a, b):
    if a is _BOTTOM:
        return b
    if b is _BOTTOM or a == b:
        return a
    return None


def shape_of(dims, kinds, atom):
    """The known shape of an atom (a tuple of classes; () for a number), or None."""
    d = _get(dims, kinds, atom)
    return None if d is _BOTTOM else d


def _get(dims, kinds, atom):
    if isinstance(atom, Const):
        return () if type(atom.value) in (int, float, bool) else None
    if not isinstance(atom, Var):
        return None
    return dims.get(atom.name, _BOTTOM)


def _value(s, op, dims, kinds):
    v = s.value
    if isinstance(v, Var):
        return _get(dims, kinds, v)
    if op is None:
        return None
    if op.kind == "getitem" and isinstance(v, Index) and isinstance(v.value, Var):
        base = _get(dims, kinds, v.value)
        if base is _BOTTOM or base is None:
            return base
        if all(_integer(kinds, i) for i in v.items) and len(v.items) <= len(base):
            return base[len(v.items):]  # rows of a stack: x[t], x[t, i]
        return None
    if op.kind != "rule":
        return None
    rule, bound = op.rule, op.bound
    if rule.elementwise:
        shapes = []
        for p in rule.params:
            a = bound[p]
            if isinstance(a, Const) and a.value is None:
                continue
            shapes.append(_get(dims, kinds, a))
        return broadcast(shapes)
    if rule.name == "matmul":
        return matmul(_get(dims, kinds, bound["x1"]), _get(dims, kinds, bound["x2"]))
    if rule.name == "T" and isinstance(v, ir.Attr):
        a = _get(dims, kinds, v.value)
        return a if a is _BOTTOM or a is None else a[::-1]
    if rule.full_reduction and all(bound.get(p, Const(None)) == c for p, c in
                                   (("axis", Const(None)), ("keepdims", Const(False)), ("out", Const(None)))):
        return ()
    return None


def _integer(kinds, atom):
    if isinstance(atom, Const):
        return type(atom.value) is int
    k = kinds.get(atom.name) if isinstance(atom, Var) else None
    return isinstance(k, K.Scalar) and k.cls is int


def broadcast(shapes):
    """The shape NumPy's broadcasting gives operands of these shapes (None: not known, or they would not
    broadcast)."""
    if any(s is _BOTTOM for s in shapes):
        return _BOTTOM
    if any(s is None for s in shapes):
        return None
    n = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(n):
        classes = {s[len(s) - n + i] for s in shapes if len(s) - n + i >= 0}
        classes.discard(ONE)
        if len(classes) > 1:
            return None
        out.append(classes.pop() if classes else ONE)
    return tuple(out)


def matmul(a, b):
    """The shape of `a @ b` (with NumPy's 1-D and stacked cases)."""
    if a is _BOTTOM or b is _BOTTOM:
        return _BOTTOM
    if a is None or b is None or not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(b) == 1:
        return a[:-1]
    if len(a) == 1:
        return b[:-2] + b[-1:]
    batch = broadcast([a[:-2], b[:-2]])
    if batch is None:
        return None
    return batch + (a[-2], b[-1])


def sum_axes(operand, result):
    """For an operand whose adjoint is the result's summed back (unbroadcast): (leading axes, axes of size 1
    to sum keeping them), or None when the shapes are not both known."""
    if operand is None or result is None or operand is _BOTTOM or result is _BOTTOM or len(operand) > len(result):
        return None
    extra = len(result) - len(operand)
    if any(o != r and o != ONE for o, r in zip(operand, result[extra:])):
        return None
    keep = tuple(i for i, (o, r) in enumerate(zip(operand, result[extra:])) if o == ONE and r != ONE)
    return tuple(range(extra)), keep
