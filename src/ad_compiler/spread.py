"""Pass 8c, reverse mode: a full sum's adjoint stays a number where only elementwise arithmetic reads it.

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

from . import ir
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
    return any(dims.get(n) == shape for n in others) and all(dims.get(n) in (shape, ()) for n in others)


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
