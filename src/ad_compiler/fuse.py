"""Clean-up, last step: a temporary read once, in the next statements of the same user's line, written back
into the expression that reads it.

Desugaring gives every operation its own statement (`t2 = t1 * x_1; t3 = c * v_1; a = t2 - t3`) so that the
passes see one operation at a time. Once the derivative is built, a temporary (`t1, t2, ...`, never a user's
name) that only one later statement reads is written back into it (`a = t1 * x_1 - c * v_1`): the source
reads like the user's line, and Python does not store and load each intermediate value (on loops of small
operations, a few percent of the time: docs/performance.md).

It holds exactly when (checked here):
- the temporary is assigned once and read once in the whole function (nested functions included), by a
  statement of the same block that comes from the same user's statement;
- its value is arithmetic (`+ - * / ** @`, comparisons, unary operators), an index of a name, or a call of a
  NumPy ufunc or a `math` function without keywords, on names and constants: it changes nothing;
- the statements between are assignments of such values or of names, indexes and attributes, tape pushes
  and comments, and none rebinds a name the value reads (or pushes onto it): the names it reads hold the
  same objects, with the same contents, where it is read, so computing it there gives the same value.
Values are computed in the same order, except that those read by one statement are computed when it runs.
"""
import numpy as np

from . import ir
from .alias_library import MUTATING_FUNCTIONS
from .ir import Assign, AugAssign, BinOp, Call, Compare, Comment, Const, ExprStmt, Global, Nonlocal, Return, \
    UnaryOp, Var

_USES = (Assign, AugAssign, ExprStmt, Return)


def fuse_temporaries(fdef, temps):
    """Write the temporaries (names in `temps`) read once back into their readers, in place."""
    if not temps:
        return fdef
    reads, writes = _counts(fdef.body)
    once = {n for n in temps if reads.get(n) == 1 and writes.get(n) == 1}
    if once:
        fdef.body = _block(fdef.body, once)
    return fdef


def _counts(body):
    reads, writes = {}, {}
    for s in ir.walk(body, into_functions=True):
        names = list(ir.stmt_reads(s))
        if isinstance(s, Nonlocal):
            names += list(s.names)
        if isinstance(s, Assign) and s.prev:
            names.append(s.prev)
        if isinstance(s, ir.FunctionDef):
            names += list(s.params)
        for n in names:
            reads[n] = reads.get(n, 0) + 1
        for n in ir.stmt_writes(s):
            writes[n] = writes.get(n, 0) + 1
    return reads, writes


def _block(stmts, once):
    out = []
    pending = {}  # temporary -> its assignment, for those that may still be written into a later statement
    for s in stmts:
        for b in ir.blocks(s):
            b[:] = _block(b, once)
        if isinstance(s, _USES) and pending:
            fused = {n: a for n, a in pending.items() if a.origin is not None and s.origin is not None and
                     a.origin.stmt is s.origin.stmt and n in ir.stmt_reads(s)}
            if fused:
                _rewrite(s, {n: a.value for n, a in fused.items()})
                for n, a in fused.items():
                    del pending[n]
                    out.remove(a)
        if not _harmless(s):
            pending.clear()
        else:
            changed = _changed(s)
            for n in [n for n, a in pending.items() if changed & ir.names_in(a.value)]:
                del pending[n]
        if isinstance(s, Assign) and len(s.targets) == 1 and s.target in once and not (s.noop or s.keep) and \
                _pure(s.value):
            pending[s.target] = s
        out.append(s)
    return out


PURE_ATTRIBUTES = {"T", "shape", "ndim", "size", "dtype"}


def _pure(e):
    """A new value computed from names and constants, nothing changed: arithmetic, comparisons, indexing,
    `.T` and shape attributes, tuple and list displays, and calls of NumPy's own functions (not np.random's,
    not one writing into an argument or given `out=`) and of `math`'s."""
    cls = e.__class__
    if cls is Var or cls is Const or cls is Global:  # (a global is read, not called)
        return True
    if cls is BinOp:
        return _pure(e.left) and _pure(e.right)
    if cls is UnaryOp:
        return _pure(e.operand)
    if cls is ir.Index or cls is ir.Slice:  # (a row of an array, an item of a tuple: read, not changed)
        return all(_pure(c) for c in ir.children(e))
    if cls is ir.Attr:
        return e.attr in PURE_ATTRIBUTES and _pure(e.value)
    if cls is ir.Build:
        return e.kind in ("tuple", "list") and all(_pure(c) for c in ir.children(e))
    if cls is Compare:
        return all(op in ("<", "<=", ">", ">=", "==", "!=") for op in e.ops) and _pure(e.left) and \
            all(_pure(r) for r in e.rights)
    if cls is Call:
        f = e.func
        return isinstance(f, Global) and _pure_function(f.obj) and \
            not any(k in ("out", "**") for k, _ in e.kwargs) and not any(isinstance(a, ir.Starred) for a in e.args) \
            and all(_pure(a) for a in e.args) and all(_pure(v) for _, v in e.kwargs)
    return False


def _pure_function(obj):
    """One of NumPy's own ufuncs (not one of np.frompyfunc, which may call a function that changes things), a
    NumPy function that changes none of its arguments (not np.random's), or one of `math`'s."""
    if isinstance(obj, np.ufunc):
        return getattr(np, obj.__name__, None) is obj
    module = getattr(obj, "__module__", None) or ""
    if module == "math":
        return True
    return callable(obj) and not isinstance(obj, type) and obj not in MUTATING_FUNCTIONS and \
        (module == "numpy" or module.startswith("numpy.")) and not module.startswith("numpy.random")


def _harmless(s):
    """May a temporary's value be computed after `s` instead of before it?"""
    if isinstance(s, Comment):
        return True
    if isinstance(s, Assign):
        return len(s.targets) == 1 and not s.noop and (_pure(s.value) or _read_only(s.value))
    return _push(s) is not None


def _read_only(e):
    cls = e.__class__
    if cls is ir.Attr:
        return _read_only(e.value)
    if cls is ir.Index:
        return _read_only(e.value) and all(_read_only(i) for i in e.items)
    return cls is Var or cls is Const


def _push(s):
    """The list name of `name.append(value)` (a tape push), else None."""
    if isinstance(s, ExprStmt) and isinstance(s.value, Call) and isinstance(s.value.func, ir.Attr) and \
            s.value.func.attr == "append" and isinstance(s.value.func.value, Var) and not s.value.kwargs and \
            len(s.value.args) == 1 and isinstance(s.value.args[0], Var):
        return s.value.func.value.name
    return None


def _changed(s):
    out = set(ir.stmt_writes(s))
    pushed = _push(s)
    if pushed is not None:
        out.add(pushed)
    return out


def _rewrite(s, values):
    """`s` with the names of `values` replaced by their values (each is read once)."""
    s.value = ir.rename_expr(s.value, values)
