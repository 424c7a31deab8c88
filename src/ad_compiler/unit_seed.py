"""Products with the seed 1.0 of a gradient dropped: `bm = bout * x` read as `x` where it is only read.

A gradient of a number starts from `bout = 1.0`, and the adjoint of its last statement multiplies by it:
`bm = bout * x; bx = bout * m` in a function ending `return np.sum(m * x)`. For a float `v` (an array of a
float dtype, or a Python float) `1.0 * v` has v's values and dtype exactly (IEEE: -0.0, infinities and NaN
too), but NumPy makes a new array for it: an operation as costly as any other on small arrays. Here the
name is replaced by `v` itself in the statements that read it, up to the statement that binds it again,
when every such read is an operand of arithmetic (`+ - * / **`, unary `-`), which makes a new value and
changes nothing, and every statement up to the last read is pure arithmetic: a store, a helper, a method, a
branch or a loop may change v's values through another name (a view, the same array chosen by a branch:
the adjoint sweep puts back what stores overwrote), and b must read them as they were. Then `b` never holds
`v`'s object either: nothing can write into it through b, return it or keep it. Top-level statements only.
"""
import numpy as np

from . import ir, kinds as K
from .ir import Assign, BinOp, Comment, Const, UnaryOp, Var

_ARITHMETIC = ("+", "-", "*", "/", "**")


def fold_unit_seed(fdef, kinds):
    body = fdef.body
    seeds = {s.target for s in body if isinstance(s, Assign) and len(s.targets) == 1 and
             s.value == Const(1.0) and type(s.value.value) is float}
    writes = {}
    for s in ir.walk(body):
        for n in ir.stmt_writes(s):
            writes[n] = writes.get(n, 0) + 1
    seeds = {n for n in seeds if writes.get(n) == 1}
    if not seeds:
        return
    i = 0
    while i < len(body):
        s = body[i]
        v = _unit_product(s, seeds, kinds)
        if v is not None and _replace_reads(body, i, s.target, v):
            del body[i]
            if i > 0 and isinstance(body[i - 1], Comment) and (i == len(body) or isinstance(body[i], Comment)):
                del body[i - 1]  # (the `# adjoint of:` line of no statement now)
                i -= 1
            continue
        i += 1
    read = {n for t in ir.walk(body) for n in ir.stmt_reads(t)}
    body[:] = [t for t in body if not (isinstance(t, Assign) and len(t.targets) == 1 and t.target in seeds and
                                       t.target not in read)]


def _unit_product(s, seeds, kinds):
    """The float `v` of `b = seed * v` (or `v * seed`), else None."""
    if not (isinstance(s, Assign) and len(s.targets) == 1 and type(s.target) is str and not s.noop and
            isinstance(s.value, BinOp) and s.value.op == "*"):
        return None
    left, right = s.value.left, s.value.right
    v = right if isinstance(left, Var) and left.name in seeds else \
        left if isinstance(right, Var) and right.name in seeds else None
    if not isinstance(v, Var) or v.name == s.target:
        return None
    k = kinds.get(v.name)
    if isinstance(k, K.Array) and k.cls is np.ndarray and k.dtype == "f" or \
            isinstance(k, K.Scalar) and k.cls is float:
        return v
    return None


def _replace_reads(body, i, b, v):
    """Replace b by v in the statements after body[i] that read it, up to the one that binds b again (or the
    end), if all those reads are operands of arithmetic and every statement up to the last of them is pure
    arithmetic (nothing that may change an array: not a store, a helper, a method, a branch or a loop, which
    could change v's values through another name); did it?"""
    todo = []
    for j in range(i + 1, len(body)):
        s = body[j]
        if isinstance(s, Comment):
            continue
        if not _pure(s):
            if any(b in _names(t) for t in body[j:]):
                return False
            break
        if b in ir.names_in(s.value):
            if not _only_operand(s.value, b):
                return False
            todo.append(s)
        if s.target == b:
            break
        if s.target == v.name:
            if any(b in _names(t) for t in body[j + 1:]):
                return False
            break
    for s in todo:
        s.value = ir.rename_expr(s.value, {b: v.name})
    return True


def _pure(s):
    """A plain assignment of arithmetic, NumPy ufuncs of arrays, items and attributes: it changes nothing."""
    return isinstance(s, Assign) and len(s.targets) == 1 and type(s.target) is str and not s.noop and \
        _pure_expr(s.value)


def _pure_expr(e):
    if isinstance(e, (Var, Const)):
        return True
    if isinstance(e, BinOp):
        return e.op in _ARITHMETIC + ("@",) and _pure_expr(e.left) and _pure_expr(e.right)
    if isinstance(e, UnaryOp):
        return e.op == "-" and _pure_expr(e.operand)
    if isinstance(e, ir.Attr):
        return _pure_expr(e.value)
    if isinstance(e, ir.Index):
        return _pure_expr(e.value) and all(isinstance(k, (Var, Const)) for k in e.items)
    if isinstance(e, ir.Call):
        return isinstance(e.func, ir.Global) and isinstance(e.func.obj, np.ufunc) and not e.kwargs and \
            all(_pure_expr(a) for a in e.args)
    return False


def _names(s, reads=True):
    """The names a statement (and the statements in it) reads, binds or changes in place."""
    return {n for t in ir.walk([s]) for n in (ir.stmt_reads(t) if reads else set()) | ir.stmt_writes(t) |
            ir.changed_in_place(t)}


def _only_operand(e, b):
    """Is every occurrence of the name b in e an operand of arithmetic?"""
    if isinstance(e, Var):
        return e.name != b  # (b itself, not as an operand: a copy)
    if isinstance(e, (BinOp, UnaryOp)) and (e.op in _ARITHMETIC if isinstance(e, BinOp) else e.op == "-"):
        parts = (e.left, e.right) if isinstance(e, BinOp) else (e.operand,)
        return all(p == Var(b) or _only_operand(p, b) for p in parts)
    return b not in ir.names_in(e)
