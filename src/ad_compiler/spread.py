"""Pass 8c, reverse mode: a full sum's adjoint stays a number where only elementwise arithmetic reads it (and
a sum's adjoint read only beside the summed array itself stays reduced: `_beside_operand`, below). Runs on
the adjoint sweep before the tape's decisions, so that a value read only by a spread it removed is not saved.

The adjoint of `np.sum(t2)` is the seed spread over t2's shape, `bt3 = _ad.unreduce(bout, t2)` (a new array
filled with bout), and the adjoint of `np.mean(t2)` is `bout / N` spread the same way. When every read of it
is elementwise arithmetic with an array of t2's shape (`bt2 = bt3 * 2 * t2`), broadcasting spreads the number
by itself: `bt3 = bout` (`bout / t2.size` for a mean) gives the same values, without the array.

Checked here, with the static shapes of dims.py: t2 has a known shape of rank >= 1 (a full reduction), the
adjoint is assigned once and read only by assignments whose value is a tree of `+ - * /` and NumPy ufunc
calls in which another leaf has t2's shape and every leaf has t2's shape or is a number; nothing else reads
or writes it (no `out=`, no in-place `+=`, not returned).
"""
import numpy as np

from . import ir, kinds as K, shapes
from .dims import same
from .ir import Assign, Attr, BinOp, Call, Const, Global, UnaryOp, Var

ELEMENTWISE = {"+", "-", "*", "/"}


def spread_lazily(adjoint, rev):
    """The adjoint with such spread seeds left numbers (statements changed in place; the same list)."""
    writes, readers = {}, {}
    for s in ir.walk(adjoint, into_functions=True):
        for n in ir.stmt_writes(s):
            writes[n] = writes.get(n, 0) + 1
        if isinstance(s, (ir.SetItem, ir.Mutate)):
            writes[_root(s.target)] = writes.get(_root(s.target), 0) + 2  # (changed in place)
        for n in _reads(s):
            readers.setdefault(n, []).append(s)
    for block in ir.all_blocks(adjoint):
        _beside_operand(block, writes, readers, rev.same, rev.kinds)
    dims = rev.dims
    for s in ir.walk(adjoint, into_functions=True):
        spread = _spread(s)
        if spread is None:
            continue
        helper_name, g, x = spread
        shape = dims.get(x)
        b = s.target
        if not shape or writes.get(b) != 1 or not readers.get(b):
            continue
        if helper_name == "unreduce_mean" and x in writes:  # (x.size of the forward's array, not of a value
            continue  # restored in the adjoint, which may be saved as its shape only)
        if not all(isinstance(r, Assign) and _elementwise_with(r.value, b, shape, dims) for r in readers[b]):
            continue
        s.value = g if helper_name == "unreduce" else BinOp("/", g, Attr(Var(x), "size"))
    return adjoint


def _spread(s):
    """(helper, g, x) for `b = _ad.unreduce(g, x)` / `_ad.unreduce_mean(g, x)` (a full reduction's adjoint)."""
    if not (isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Call)):
        return None
    f, args = s.value.func, s.value.args
    if not (isinstance(f, Global) and f.path[:1] == ("_ad",) and f.path[-1] in ("unreduce", "unreduce_mean")):
        return None
    if s.value.kwargs or len(args) < 2 or not isinstance(args[1], Var):
        return None
    if any(not (isinstance(a, Const) and (a.value is None or a.value is False)) for a in args[2:]):
        # (axis=None, keepdims=False; not `in (None, False)`: axis=0 == False)
        return None
    g = args[0]
    if not (isinstance(g, Const) and isinstance(g.value, float)) and not isinstance(g, Var):
        return None
    return f.path[-1], g, args[1].name


def _elementwise_with(e, b, shape, dims):
    """Is `e` elementwise arithmetic over leaves of `shape` or numbers, reading b and another leaf of `shape`?"""
    leaves = []
    if not _leaves(e, leaves):
        return False
    names = [n for n in leaves if n is not None]
    if b not in names:
        return False
    others = [n for n in names if n != b]
    return any(same(dims.get(n), shape) for n in others) and \
        all(same(dims.get(n), shape) or dims.get(n) == () for n in others)


def _leaves(e, out):
    """Collect the names at the leaves of an elementwise tree (None for a number); False if not one."""
    if isinstance(e, Var):
        out.append(e.name)
        return True
    if isinstance(e, Const):
        if not isinstance(e.value, (int, float)) or isinstance(e.value, bool):
            return False
        out.append(None)
        return True
    if isinstance(e, BinOp) and e.op in ELEMENTWISE:
        return _leaves(e.left, out) and _leaves(e.right, out)
    if isinstance(e, UnaryOp) and e.op == "-":
        return _leaves(e.operand, out)
    if isinstance(e, Call) and isinstance(e.func, Global) and isinstance(e.func.obj, np.ufunc) and \
            e.func.obj.nout == 1 and not e.kwargs:
        return all(_leaves(a, out) for a in e.args)
    return False


def _reads(s):
    names = set(ir.stmt_reads(s))
    if isinstance(s, ir.AugAssign):
        names.add(s.target)
    return names


def _root(e):
    return e.name if isinstance(e, Var) else None


def _beside_operand(block, writes, readers, same, kinds):
    """`b = _ad.unreduce(g, x, axis, True)` (or a full sum's) read only as an operand of `+ - * /` whose other
    operand is x itself or a value of its shape (shapes.py; or, for a full sum, as the values `_ad.getitem_vjp` adds), later in this block with
    nothing written to g, x or b in between: broadcasting spreads g over x's shape by itself (g has x's shape
    with the summed axes of size 1), so `b = g`."""
    for k, s in enumerate(block):
        if not (isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Call)):
            continue
        f, args = s.value.func, s.value.args
        if not (isinstance(f, Global) and f.path == ("_ad", "unreduce")) or s.value.kwargs or \
                len(args) < 2 or not isinstance(args[0], (Var, Const)) or not isinstance(args[1], Var):
            continue
        axis = args[2] if len(args) > 2 else Const(None)
        keep = args[3] if len(args) > 3 else Const(False)
        if not (isinstance(axis, Const) and isinstance(keep, Const)) or not (keep.value is True or axis.value is None):
            continue
        b, g, x = s.target, args[0], args[1].name
        users = readers.get(b, [])
        if writes.get(b) != 1 or not users:
            continue
        later = block[k + 1:]
        spots = [j for j, t in enumerate(later) if any(t is u for u in users)]
        if len(spots) != len(users):
            continue
        watched = {b, x} | ir.names_in(g)
        between = later[:spots[-1]]
        if any(isinstance(t, ir.COMPOUND) or (ir.stmt_writes(t) | ir.changed_in_place(t)) & watched for t in between):
            continue
        full = axis.value is None and keep.value is not True
        if all(isinstance(u, Assign) and (_beside(u.value, b, x, same) or full and _scattered(u.value, b, kinds)) for u in users):
            s.value = g


def _scattered(e, b, kinds):
    """`_ad.getitem_vjp(b, y, index)` reading b only as the values added at the index, y an array: a number b (a
    full sum's adjoint) is spread over `y[index]` by the store's broadcasting (not into a list's entry, which
    would hold the number: explore seed 2222 #174)."""
    return isinstance(e, Call) and isinstance(e.func, Global) and e.func.path == ("_ad", "getitem_vjp") and \
        not e.kwargs and len(e.args) == 3 and e.args[0] == Var(b) and \
        isinstance(e.args[1], Var) and isinstance(kinds.get(e.args[1].name), K.Array) and \
        all(b not in ir.names_in(a) for a in e.args[1:])


def _beside(e, b, x, same):
    """Is every read of b in `e` an operand of `+ - * /` whose other operand is x or a name of x's shape?"""
    if isinstance(e, Var):
        return e.name != b
    if isinstance(e, BinOp) and e.op in ELEMENTWISE and (e.left == Var(b) or e.right == Var(b)):
        other = e.right if e.left == Var(b) else e.left
        return isinstance(other, Var) and other.name != b and shapes.match(same, other.name, x)
    return all(_beside(c, b, x, same) for c in ir.children(e))
