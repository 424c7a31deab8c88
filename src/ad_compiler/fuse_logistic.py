"""The logistic function written out, `1.0 / (1.0 + np.exp(-z))`, differentiated as one function of z (used
by resolve.py).

Desugared, the user's sigmoid is four statements (`t1 = -z; t2 = np.exp(t1); t3 = 1.0 + t2; s = 1.0 / t3`),
and its adjoint four more, a division and two negations among them (`bt3 = bs * (-s / t3); bt1 = bt3 * t2;
bz = -bt1`). The derivative of s = 1 / (1 + e^-z) with respect to z is s (1 - s): the last statement is bound
to the rule of `_ad.logistic_of(t3, z)` (z's adjoint `bs * (s * (1.0 - s))`, its tangent likewise), with t3 a
constant operand; the forward code keeps the user's statements, and the intermediates get adjoints only from
their other uses, if any. Exact (the same derivative, in fewer operations).

Matched: the four statements in one statement list, in this order, each intermediate assigned once in the
function, the constants exactly 1 (int or float), the negation a plain `-z` of a name, `np.exp`, and nothing
between the first and the last statement giving z a new value or changing any array in place (a store, a
list method, a view's change: the tangent code would read z's tangent after the change).
"""
import numpy as np

from . import ir
from .ir import Assign, BinOp, Call, Const, Global, UnaryOp, Var


def find(fn):
    """id(statement) -> (rule function, args) for each `s = 1 / (1 + np.exp(-z))` written out."""
    from . import runtime

    counts = {}
    for s in ir.walk(fn.body, into_functions=True):
        for n in ir.stmt_writes(s):
            counts[n] = counts.get(n, 0) + 1
    out = {}
    for block in _blocks(fn.body):
        where = {s.target: k for k, s in enumerate(block)
                 if isinstance(s, Assign) and len(s.targets) == 1 and not s.noop and not s.nograd}
        for k, s in enumerate(block):
            found = _match(block, k, where, counts)
            if found is not None:
                out[id(s)] = (runtime.logistic_of, found)
    return out


def _one(e):
    return isinstance(e, Const) and type(e.value) in (int, float) and e.value == 1


def _defined(block, where, counts, name):
    k = where.get(name)
    return (k, block[k].value) if k is not None and counts.get(name) == 1 else (None, None)


def _match(block, k, where, counts):
    s = block[k]
    if not (isinstance(s, Assign) and len(s.targets) == 1 and not s.noop and not s.nograd):
        return None
    v = s.value
    if not (isinstance(v, BinOp) and v.op == "/" and _one(v.left) and isinstance(v.right, Var)):
        return None
    k3, plus = _defined(block, where, counts, v.right.name)
    if not (isinstance(plus, BinOp) and plus.op == "+" and k3 < k):
        return None
    term = plus.right if _one(plus.left) else plus.left if _one(plus.right) else None
    if not isinstance(term, Var):
        return None
    k2, exp = _defined(block, where, counts, term.name)
    if not (isinstance(exp, Call) and isinstance(exp.func, Global) and exp.func.obj is np.exp and
            len(exp.args) == 1 and not exp.kwargs and isinstance(exp.args[0], Var) and k2 < k3):
        return None
    k1, neg = _defined(block, where, counts, exp.args[0].name)
    if not (isinstance(neg, UnaryOp) and neg.op == "-" and isinstance(neg.operand, Var) and k1 < k2):
        return None
    z = neg.operand.name
    for t in block[k1 + 1:k]:
        for x in ir.walk([t], into_functions=True):
            if z in ir.stmt_writes(x) or isinstance(x, (ir.SetItem, ir.Mutate, ir.AugAssign)) or \
                    isinstance(x, Assign) and x.noop:
                return None  # (z, or what may share its memory, changed in place: the tangent code reads dz later)
    return [v.right, Var(z)]


def _blocks(body):
    yield body
    for s in ir.walk(body):
        if not isinstance(s, ir.FunctionDef):
            yield from ir.blocks(s)
