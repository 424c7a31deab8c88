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

A dimension may also be UNKNOWN: some size, possibly 1, equal to nothing (not even another UNKNOWN, which
may be another step's). A slice `z[:, :H]` keeps its rows' class and has an UNKNOWN width; so has a
concatenation along its axis. Broadcasting an UNKNOWN against a class gives the class (a class is never
of size 1, so NumPy either raises or the other operand's size is 1 or the class's), which keeps
`c = f * c + i * g` at the shape of `c` whatever the widths of the gates. Sizes are followed too: `B =
xs.shape[1]` holds the size of a class, so `np.zeros((B, H))` has a known shape.
"""
import numpy as np

from . import ir, kinds as K
from .ir import Assign, Build, Call, Const, Global, Index, SetItem, Slice, Var

ONE = -1  # the class of dimensions of size 1
UNKNOWN = "?"  # a dimension of a size not known (possibly 1): never provably equal to any other
_BOTTOM = object()  # not known yet (the fixed point starts from it)
_MAKERS = (np.zeros, np.ones, np.empty, np.full)  # np.zeros(shape, ...): an array of that shape
_LIKE = (np.zeros_like, np.ones_like, np.empty_like, np.full_like)  # ... of x's shape (no shape=)
_AXIS_REDUCTIONS = {"sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std"}


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
    sizes = {}  # name -> the class of the size it holds, or a tuple of them (an array's .shape, a shape made)
    lists = _read_once_lists(fn)
    for _ in range(50):  # (each name's shape rises at most a few times: not known, a shape, fewer classes, unknown)
        changed = False
        for s in stmts:
            if isinstance(s, SetItem):
                target, new = s.result, _get(dims, kinds, s.target)
            elif len(s.targets) == 1:
                target = s.target
                if not (s.noop and s.prev):
                    changed |= _update(sizes, target, _size_value(s.value, dims, sizes))
                new = _get(dims, kinds, Var(s.prev)) if s.noop and s.prev else \
                    _value(s, ops.get(id(s)), dims, kinds, sizes, lists)
            else:
                continue
            if target is None or target in start:
                continue
            changed |= _update(dims, target, new)
        if not changed:
            break
    else:  # (cannot happen for a monotone system; be safe rather than wrong)
        return {}
    return {n: d for n, d in dims.items() if d is not _BOTTOM}


def _update(table, name, new):
    """Join `new` into table[name]; did it change?"""
    old = table.get(name, _BOTTOM)
    joined = _join(old, new)
    if joined is old or joined == old:
        return False
    table[name] = joined
    return True


def _join(a, b):
    if a is _BOTTOM:
        return b
    if b is _BOTTOM or a == b:
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):  # (the same rank: the classes
        return tuple(x if x == y else UNKNOWN for x, y in zip(a, b))  # both agree on, the others unknown)
    return None


def same(a, b):
    """Are two known shapes certainly the same (no UNKNOWN dimension)?"""
    return a is not None and a is not _BOTTOM and a == b and UNKNOWN not in a


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


def _value(s, op, dims, kinds, sizes, lists):
    v = s.value
    if isinstance(v, Var):
        return _get(dims, kinds, v)
    made = _made(v, dims, kinds, sizes)
    if made is not None:
        return made
    if op is None:
        return None
    if op.kind == "getitem" and isinstance(v, Index) and isinstance(v.value, Var):
        base = _get(dims, kinds, v.value)
        if base is _BOTTOM or base is None:
            return base
        return _indexed(base, v.items, kinds)
    if op.kind != "rule":
        return None
    rule, bound = op.rule, op.bound
    if rule.name == "logistic_of":  # (1.0 / d, d = 1.0 + np.exp(-x): fuse_logistic.py)
        return _get(dims, kinds, bound["d"])
    if rule.name == "concatenate" and isinstance(s.value, Call):
        return _concatenated(bound, lists, dims, kinds)
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
    if rule.full_reduction and rule.name in _AXIS_REDUCTIONS and rule.params and \
            bound.get("out", Const(None)) == Const(None):
        return _reduced(_get(dims, kinds, bound[rule.params[0]]), bound.get("axis"), bound.get("keepdims"))
    return None


def _reduced(base, axis, keepdims):
    """The shape of a reduction over one axis given as a number (the axis dropped, or of size 1 kept)."""
    if base is _BOTTOM or base is None:
        return base
    if not (isinstance(axis, Const) and type(axis.value) is int and -len(base) <= axis.value < len(base)):
        return None
    keep = Const(False) if keepdims is None else keepdims
    if not (isinstance(keep, Const) and type(keep.value) is bool):
        return None
    k = axis.value % len(base)
    return base[:k] + ((ONE,) if keep.value else ()) + base[k + 1:]


def _indexed(base, items, kinds):
    """The shape of base[items] for numbers (the axis dropped), slices (the axis kept: its class for `:`,
    else UNKNOWN) and None (a new axis of size 1); None for anything else (arrays, masks, ...)."""
    out, k = [], 0
    for i in items:
        if _integer(kinds, i):
            k += 1
        elif isinstance(i, Slice):
            if k >= len(base):
                return None
            out.append(base[k] if all(_none(b) for b in (i.lower, i.upper, i.step)) else UNKNOWN)
            k += 1
        elif isinstance(i, Const) and i.value is None:
            out.append(ONE)
        else:
            return None
    return tuple(out) + base[k:] if k <= len(base) else None


def _none(bound):
    return bound is None or isinstance(bound, Const) and bound.value is None


def _concatenated(bound, lists, dims, kinds):
    """np.concatenate of a list made in the function and read only there: the pieces' common classes, the
    joined axis UNKNOWN (NumPy raises unless the other axes are the same size in every piece)."""
    arrays, axis = bound.get("arrays"), bound.get("axis", Const(0))
    if not (isinstance(arrays, Var) and arrays.name in lists and isinstance(axis, Const) and type(axis.value) is int):
        return None
    shapes = [_get(dims, kinds, a) for a in lists[arrays.name]]
    if any(p is _BOTTOM for p in shapes):
        return _BOTTOM
    if not shapes or any(p is None or len(p) != len(shapes[0]) for p in shapes) or \
            not -len(shapes[0]) <= axis.value < len(shapes[0]):
        return None
    k = axis.value % len(shapes[0])
    out = []
    for j, column in enumerate(zip(*shapes)):
        known = set(column) - {UNKNOWN}
        if j == k or not known:
            out.append(UNKNOWN)
        elif len(known) == 1:
            out.append(known.pop())
        else:
            return None
    return tuple(out)


def _read_once_lists(fn):
    """name -> its items, for the lists and tuples built (`t10 = [xs[t], h]`) whose name is read by one
    statement only and never changed in place: what np.concatenate of them reads are those items."""
    built, reads = {}, {}
    for s in ir.walk(fn.body):
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Build) and \
                s.value.kind in ("list", "tuple") and all(isinstance(i, (Var, Const)) for i in s.value.items):
            built[s.target] = None if s.target in built else s.value.items  # (assigned twice: no)
        for n in ir.stmt_reads(s) | ir.changed_in_place(s):
            reads[n] = reads.get(n, 0) + 1
    return {n: items for n, items in built.items() if items is not None and reads.get(n, 0) == 1}


def _made(v, dims, kinds, sizes):
    """The shape of np.zeros(shape) (np.ones, np.empty, np.full) or np.zeros_like(x) (...), else None."""
    if not (isinstance(v, Call) and isinstance(v.func, Global) and v.args):
        return None
    obj = v.func.obj
    if any(obj is f for f in _LIKE) and isinstance(v.args[0], Var) and not any(k == "shape" for k, _ in v.kwargs) \
            and len(v.args) <= (5 if obj is np.full_like else 4):  # (shape is their last positional parameter)
        d = _get(dims, kinds, v.args[0])
        return None if d is _BOTTOM else d
    if not any(obj is f for f in _MAKERS):
        return None
    shape = v.args[0]
    if isinstance(shape, Const):
        value = shape.value if isinstance(shape.value, tuple) else (shape.value,)
        return tuple(ONE if n == 1 else UNKNOWN for n in value) if all(type(n) is int for n in value) else None
    known = sizes.get(shape.name) if isinstance(shape, Var) else None
    if known is None or known is _BOTTOM:
        return None
    return known if isinstance(known, tuple) else (known,)


def _size_value(v, dims, sizes):
    """What a statement's value says of sizes: an array's .shape (its classes), an item of one (a class),
    a tuple of sizes and numbers (a shape); None when it says nothing."""
    if isinstance(v, Var):
        return sizes.get(v.name)
    if isinstance(v, ir.Attr) and v.attr == "shape" and isinstance(v.value, Var):
        d = dims.get(v.value.name)
        return d if isinstance(d, tuple) else None
    if isinstance(v, Index) and isinstance(v.value, Var) and len(v.items) == 1 and isinstance(v.items[0], Const):
        shape, k = sizes.get(v.value.name), v.items[0].value
        if isinstance(shape, tuple) and type(k) is int and -len(shape) <= k < len(shape):
            return shape[k]
        return None
    if isinstance(v, Build) and v.kind == "tuple":
        out = []
        for i in v.items:
            if isinstance(i, Const) and type(i.value) is int:
                out.append(ONE if i.value == 1 else UNKNOWN)
            elif isinstance(i, Var) and isinstance(sizes.get(i.name), int):
                out.append(sizes[i.name])
            else:
                return None
        return tuple(out)
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
        unknown = UNKNOWN in classes
        classes.discard(UNKNOWN)
        if len(classes) > 1:
            return None
        # (a class is never of size 1: an UNKNOWN beside it is 1 or the class's size, or NumPy raises)
        out.append(classes.pop() if classes else UNKNOWN if unknown else ONE)
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
    if any(o != ONE and (o != r or o == UNKNOWN) for o, r in zip(operand, result[extra:])):
        return None  # (an UNKNOWN of the operand may or may not be broadcast)
    keep = tuple(i for i, (o, r) in enumerate(zip(operand, result[extra:])) if o == ONE and r != ONE)
    return tuple(range(extra)), keep
