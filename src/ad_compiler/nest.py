"""Pass 10b, the gradient's top level: the forward sweep's single-use temporaries nested back into the expression
that reads them.

Desugaring gives every operation a statement of its own (`t13 = t9 + t12`, `t16 = t14 @ t15`, `sq = t13 - t16`).
Printed so, every intermediate array stays alive until the gradient returns, where the user's own expression
frees each one as soon as it is used: at the sizes where it matters (a 200 x 200 matrix, 320 KB) the pages of
the extra live arrays are new memory on every call, and their first touch costs more than their arithmetic
(the Gaussian process of benchmarks/language.py: 1.6x the hand-written gradient's time with the temporaries
kept, about 1.2x nested). Nested back, the statement reads as the user wrote it
(`sq = t9 + t12 - 2.0 * X @ X.T`).

A temporary `t = e` is nested into a later statement only when: `t` is a name the compiler made
(never one of the user's), it is assigned once and read once in the whole function (so the adjoint sweep does
not read it), there; both statements, and any between them, come from the same statement of the user's and sit at
the function's top level (no loop, branch or `try`); the later one is a plain assignment; those between are
pure and assign no name `e` reads; and `e` is pure arithmetic (operators,
`.T` and shape attributes, indexing by names and constants, tuple and list displays, NumPy functions other
than `np.random`'s, without `out=`). Moving `e` into the later statement then changes neither what is
computed nor any effect; only when its intermediate is freed.
"""
import numpy as np

from . import ir
from .ir import Assign, Attr, BinOp, Build, Call, Compare, Const, Global, Index, UnaryOp, Var

PURE_ATTRIBUTES = {"T", "shape", "ndim", "size", "dtype"}


def nest_temporaries(fdef, temps):
    """Nest the single-use temporaries (`temps`: the names NameAllocator.temp gave) of fdef's top level."""
    reads, writes = {}, {}
    for s in ir.walk(fdef.body, into_functions=True):
        for n in _reads(s):
            reads[n] = reads.get(n, 0) + 1
        for n in ir.stmt_writes(s):
            writes[n] = writes.get(n, 0) + 1
        if isinstance(s, ir.SetItem) and isinstance(s.target, Var):
            writes[s.target.name] = writes.get(s.target.name, 0) + 1
    out = []
    for s in fdef.body:
        out.append(s)
        while True:
            j = _source(out, temps, reads, writes)
            if j is None:
                break
            p, later = out[j], out[-1]
            later.value = ir.map_expr(later.value, lambda e, t=p.target, v=p.value: v if isinstance(e, Var) and
                                      e.name == t else e)
            del out[j]
    fdef.body[:] = out


def _source(out, temps, reads, writes):
    """The position in `out` of a statement to nest into the last one: the nearest before it whose temporary
    the last one reads, past only pure assignments from the same user statement that do not assign a name it
    reads (all pure: the order they run in is not observable)."""
    later = out[-1]
    if type(later) is not Assign or later.noop or later.keep or later.origin is None:
        return None
    between = set()  # names the statements passed over assign
    for j in range(len(out) - 2, max(-1, len(out) - 40), -1):
        p = out[j]
        if _nestable(p, later, temps, reads, writes):
            return j if not (ir.names_in(p.value) & between) else None
        if not (type(p) is Assign and not p.noop and not p.keep and p.origin is not None and
                p.origin.stmt is later.origin.stmt and _pure(p.value)):
            return None
        between |= set(p.targets)
    return None


def _reads(s):
    """Every name a statement reads, counted once per occurrence (nested blocks are walked separately)."""
    exprs = []
    if isinstance(s, (Assign, ir.ExprStmt, ir.Return, ir.AugAssign)):
        exprs = [s.value] if s.value is not None else []
        if isinstance(s, ir.AugAssign):
            yield s.target
    elif isinstance(s, ir.SetItem):
        exprs = [s.target, s.value, *(s.items or ())]
    elif isinstance(s, ir.Mutate):
        exprs = [s.target, *s.args]
    elif isinstance(s, (ir.If, ir.While)):
        exprs = [s.test]
    elif isinstance(s, ir.For):
        exprs = [s.iter]
    elif isinstance(s, ir.Assert):
        exprs = [s.test] + ([s.msg] if s.msg is not None else [])
    else:
        yield from ir.stmt_reads(s)  # (anything else: its names, once each)
        return
    for e in exprs:
        yield from _occurrences(e)


def _occurrences(e):
    if isinstance(e, Var):
        yield e.name
        return
    if e is None or isinstance(e, (Const, Global, str, int, float)):
        return
    for c in ir.children(e):
        yield from _occurrences(c)


def _nestable(p, later, temps, reads, writes):
    if not (type(p) is Assign and type(later) is Assign and len(p.targets) == 1):
        return False
    t = p.target
    if t not in temps or reads.get(t) != 1 or writes.get(t) != 1 or p.noop or later.noop or p.keep or later.keep:
        return False
    if p.origin is None or later.origin is None or p.origin.stmt is not later.origin.stmt:
        return False
    return t in ir.names_in(later.value) and _pure(p.value)


def _pure(e):
    if isinstance(e, (Var, Const, Global)):  # (a global is read, not called)
        return True
    if isinstance(e, (BinOp, UnaryOp, Compare)):
        return all(_pure(c) for c in ir.children(e))
    if isinstance(e, Attr):
        return e.attr in PURE_ATTRIBUTES and _pure(e.value)
    if isinstance(e, (Index, ir.Slice)):
        return all(_pure(c) for c in ir.children(e))
    if isinstance(e, Build):
        return e.kind in ("tuple", "list") and all(_pure(c) for c in ir.children(e))
    if isinstance(e, Call):
        return _numpy_function(e.func) and not any(k in ("out", "**") for k, _ in e.kwargs) and \
            not any(isinstance(a, ir.Starred) for a in e.args) and all(_pure(c) for c in ir.children(e)
                                                                      if c is not e.func)
    return False


def _numpy_function(f):
    if not isinstance(f, Global):
        return False
    obj = f.obj
    if isinstance(obj, np.ufunc):
        return True
    module = getattr(obj, "__module__", None) or ""
    return callable(obj) and (module == "numpy" or module.startswith("numpy.") and not
                              module.startswith("numpy.random")) and not isinstance(obj, type)
