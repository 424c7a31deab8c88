"""The dimension classes of the arrays loop batching reads (hoist.py), before the rules are resolved.

A batched operation (`t4_all = xs @ W` for the loop's `xs[t] @ W`) computes the rows of every step before the
loop: where the loop would run no step (`len(xs) == 0`), the function computes nothing, but the batched
operation still runs, and raises where its operands do not match (`(0, 3) @ (4, 2)`, h28a-002). It is made
only where the operands provably match: their shapes as classes of the dimension pattern the derivative is
compiled for (driver.dims_pattern: -1 for size 1, equal numbers for equal sizes), followed from the arguments
through copies, arithmetic, one-operand ufuncs, `@`, `.T`, rows and slices of rows, and through loops (every
assignment of a name must give the same shape). A row of a step that runs at all has the shape of every other
row: where the loop runs, the rows' operation succeeded, so the batched one does too.
"""
import numpy as np

from . import ir, kinds as K
from .ir import Assign, BinOp, Call, Const, Global, Index, SetItem, UnaryOp, Var

SOME = "?"  # a size not known (a slice's rows): never provably equal to anything
_BOTTOM = object()  # not known yet (the fixed point starts from it)
_ARITHMETIC = ("+", "-", "*", "/", "**")


def infer(fn, kinds):
    """name -> its shape as a tuple of classes (None: not known), from fn.param_dims."""
    params = dict(getattr(fn, "param_dims", None) or {})
    if not params:
        return {}
    table = dict(params)
    for p in fn.params:
        if p not in table and isinstance(kinds.get(p), K.Scalar):
            table[p] = ()
    stmts = []
    for s in ir.walk(fn.body):
        if isinstance(s, Assign) and len(s.targets) == 1 and type(s.target) is str and not s.noop:
            stmts.append(s)
        elif isinstance(s, SetItem) and s.result and isinstance(s.target, Var):
            stmts.append(s)  # (a store keeps the array's shape)
        else:
            for n in ir.stmt_writes(s):  # (anything else: not known, but a number's)
                if n not in params:
                    table[n] = () if isinstance(kinds.get(n), K.Scalar) else None
    for _ in range(20):
        changed = False
        for s in stmts:
            target = s.result if isinstance(s, SetItem) else s.target
            if target in params or table.get(target, _BOTTOM) is None:
                continue
            new = _get(table, kinds, s.target) if isinstance(s, SetItem) else _value(s.value, table, kinds)
            old = table.get(target, _BOTTOM)
            joined = new if old is _BOTTOM else old if new is _BOTTOM or new == old else None
            if joined is not old and joined != old:
                table[target] = joined
                changed = True
        if not changed:
            break
    else:
        return {}
    return {n: d for n, d in table.items() if d is not _BOTTOM}


def broadcast(*shapes):
    """The shape of an elementwise operation on these shapes when they provably broadcast, else None."""
    out = ()
    for d in shapes:
        if d is None or d is _BOTTOM:
            return None
        n = max(len(out), len(d))
        a, b = (None,) * (n - len(out)) + tuple(out), (None,) * (n - len(d)) + tuple(d)
        merged = []
        for x, y in zip(a, b):
            if x is None or x == -1:
                merged.append(y)
            elif y is None or y == -1 or x == y and x != SOME:
                merged.append(x)
            else:
                return None
        out = tuple(merged)
    return out


def matmul(a, b):
    """The shape of `a @ b` for a stack of rows or a vector `a` and a vector or matrix `b`, when the contracted
    sizes are provably equal, else None."""
    if a is None or b is None or a is _BOTTOM or b is _BOTTOM or not a or len(b) not in (1, 2):
        return None
    if a[-1] != b[0] or a[-1] == SOME:
        return None
    return tuple(a[:-1]) + tuple(b[1:])


def _get(table, kinds, atom):
    if isinstance(atom, Const):
        return () if type(atom.value) in (int, float) else None
    if not isinstance(atom, Var):
        return None
    if atom.name in table:
        return table[atom.name]
    return () if isinstance(kinds.get(atom.name), K.Scalar) else _BOTTOM


def _value(v, table, kinds):
    if isinstance(v, (Var, Const)):
        return _get(table, kinds, v)
    if isinstance(v, BinOp) and v.op in _ARITHMETIC:
        return _lifted(broadcast, _get(table, kinds, v.left), _get(table, kinds, v.right))
    if isinstance(v, BinOp) and v.op == "@":
        return _lifted(matmul, _get(table, kinds, v.left), _get(table, kinds, v.right))
    if isinstance(v, UnaryOp) and v.op in ("-", "+"):
        return _get(table, kinds, v.operand)
    if isinstance(v, Call) and isinstance(v.func, Global) and isinstance(v.func.obj, np.ufunc) and \
            v.func.obj.nout == 1 and len(v.args) == v.func.obj.nin and not v.kwargs and \
            not any(isinstance(a, ir.Starred) for a in v.args):
        return _lifted(broadcast, *(_get(table, kinds, a) for a in v.args))
    if isinstance(v, ir.Attr) and v.attr == "T" and isinstance(kinds.get(getattr(v.value, "name", None)), K.Array):
        d = _get(table, kinds, v.value)
        return d if d is None or d is _BOTTOM else tuple(reversed(d))
    if isinstance(v, Index) and len(v.items) == 1 and not v.tuple_form and isinstance(v.value, Var) and \
            isinstance(kinds.get(v.value.name), K.Array):
        d = _get(table, kinds, v.value)
        if d is None or d is _BOTTOM or not d:
            return None if d is not _BOTTOM else d
        item = v.items[0]
        if isinstance(item, ir.Slice):
            return (SOME,) + tuple(d[1:])  # (some of the rows)
        if isinstance(item, Const) and type(item.value) is int or \
                isinstance(item, Var) and isinstance(kinds.get(item.name), K.Scalar) and \
                issubclass(kinds[item.name].cls, (int, np.integer)) and kinds[item.name].cls is not bool:
            return tuple(d[1:])  # (a row)
    return None


def _lifted(f, *shapes):
    if any(d is None for d in shapes):
        return None
    if any(d is _BOTTOM for d in shapes):
        return _BOTTOM
    return f(*shapes)
