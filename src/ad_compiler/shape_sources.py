"""Pass 8d, reverse mode: an adjoint that reads a forward value only for its shape and dtype reads them from an
operand of the same shape and dtype instead, so that the value need not be saved, nor even computed.

The adjoint of `log_softmax(logits)[rows, targets[t]]` is `_ad.getitem_vjp(g, t25, (rows, t26))`: zeros of
t25's shape and dtype with g added at the index. t25 is `shifted - np.log(np.sum(np.exp(shifted), ...))`,
and nothing else of the adjoint reads it; the forward sweep computed it (and the tape kept it) for its shape
only. When t25 certainly has the shape and the dtype of `shifted`, the adjoint reads `shifted` (saved as its
shape), and clean-up removes t25 and the `np.log` it was made of.

Checked here (each a proof, never a guess; otherwise nothing changes):
- the value is made by an elementwise `+ - * /` (through copies), its operand is a name whose shape dims.py
  knows to be the value's, with no UNKNOWN dimension (an operand that broadcasts has another shape);
- both operands have the same dtype: each reaches, through dtype-keeping steps only (copies, negation, the
  float ufuncs below, `sum` / `max` / `min` / `mean` along an axis, `+ - * /` of two values of that dtype),
  one and the same name, a float array (NumPy's result type of two equal float dtypes is that dtype; a
  Python number among the operands is not followed: NumPy 1's value-based casting may widen);
- the operand is assigned once in the function (SSA), in the same block as the value and before it, and
  never stored into or changed in place (so at any point of the adjoint it holds the same step's array).
Runs on the adjoint sweep before the tape's decisions (tape_decide.py), which then save the operand as its
shape and the value not at all.
"""
import numpy as np

from . import ir, kinds as K
from .dims import same
from .ir import Assign, BinOp, Call, Global, UnaryOp, Var

# helpers reading only the shape and dtype of one argument (its position) whose argument may be rerouted
READERS = {"getitem_vjp": 1}
ELEMENTWISE = {"+", "-", "*", "/"}
KEEP_DTYPE = {np.exp, np.log, np.tanh, np.sqrt, np.sin, np.cos, np.negative, np.log1p, np.expm1}
REDUCTIONS = {np.sum, np.max, np.min, np.mean, np.amax, np.amin}


def reroute(adjoint, fn, rev):
    """The adjoint with such shape reads moved to an operand (calls changed in place; the same list)."""
    facts = _Facts(fn, rev)
    for s in ir.walk(adjoint, into_functions=True):
        if not isinstance(s, Assign) or not isinstance(s.value, Call):
            continue
        call = s.value
        f = call.func
        if not (isinstance(f, Global) and len(f.path) == 2 and f.path[0] == "_ad" and f.path[1] in READERS):
            continue
        pos = READERS[f.path[1]]
        if len(call.args) > pos and isinstance(call.args[pos], Var):
            source = facts.source(call.args[pos].name)
            if source is not None:
                args = list(call.args)
                args[pos] = Var(source)
                s.value = Call(call.func, tuple(args), call.kwargs)
    return adjoint


class _Facts:
    def __init__(self, fn, rev):
        self.dims, self.kinds = rev.dims, rev.kinds
        self.defs, self.count, self.stored, self.place = {}, {}, set(), {}
        for block in ir.all_blocks(fn.body):
            for i, s in enumerate(block):
                if isinstance(s, Assign) and len(s.targets) == 1:
                    self.place[s.target] = (id(block), i)
        for s in ir.walk(fn.body, into_functions=True):
            for n in ir.stmt_writes(s):
                self.count[n] = self.count.get(n, 0) + 1
            if isinstance(s, Assign) and len(s.targets) == 1 and not s.noop:
                self.defs[s.target] = s
            if isinstance(s, (ir.SetItem, ir.Mutate)):
                self.stored |= ir.names_in(s.target)
            if isinstance(s, ir.AugAssign):
                self.stored.add(s.target)
        self.params = set(fn.params)
        for p in fn.params:
            self.count[p] = self.count.get(p, 0) + 1

    def _single(self, name):
        s = self.defs.get(name)
        return s if s is not None and self.count.get(name) == 1 and name not in self.stored else None

    def source(self, name):
        """A name of the same shape and dtype as `name`'s value, assigned before it in its block, or None."""
        v, seen = name, set()
        while True:  # (through copies)
            s = self._single(v)
            if s is None or v in seen:
                return None
            seen.add(v)
            if isinstance(s.value, Var):
                v = s.value.name
                continue
            break
        e = s.value
        if not (isinstance(e, BinOp) and e.op in ELEMENTWISE and isinstance(e.left, Var) and isinstance(e.right, Var)):
            return None
        shape = self.dims.get(name)
        if not same(shape, self.dims.get(v)):
            return None
        root = self._dtype_root(e.left.name)
        kind = self.kinds.get(root)
        if root is None or root != self._dtype_root(e.right.name) or not isinstance(kind, K.Array) or \
                kind.cls is not np.ndarray or kind.dtype != "f":
            return None
        for m in (e.left.name, e.right.name):
            if same(self.dims.get(m), shape) and self._before(m, v):
                return m
        return None

    def _before(self, m, v):
        """Is m assigned once, never changed in place, in v's block before v (or a parameter never assigned)?"""
        if m in self.params and self.count.get(m) == 1 and m not in self.stored:
            return True
        if self._single(m) is None or m not in self.place:
            return False
        (bm, im), (bv, iv) = self.place[m], self.place[v]
        return bm == bv and im < iv

    def _dtype_root(self, name, depth=0):
        """The name whose dtype `name`'s value certainly has, through dtype-keeping steps (itself at worst)."""
        s = self._single(name)
        if s is None or depth > 50:
            return name
        e = s.value
        if isinstance(e, UnaryOp) and e.op == "-" and isinstance(e.operand, Var):
            return self._dtype_root(e.operand.name, depth + 1)
        if isinstance(e, Var):
            return self._dtype_root(e.name, depth + 1)
        if isinstance(e, Call) and isinstance(e.func, Global) and len(e.args) == 1 and isinstance(e.args[0], Var):
            obj = e.func.obj
            keyword_ok = all(k in ("axis", "keepdims") for k, _ in e.kwargs)
            if (_is_in(obj, KEEP_DTYPE) and not e.kwargs) or (_is_in(obj, REDUCTIONS) and keyword_ok):
                return self._dtype_root(e.args[0].name, depth + 1)
        if isinstance(e, BinOp) and e.op in ELEMENTWISE and isinstance(e.left, Var) and isinstance(e.right, Var):
            a, b = self._dtype_root(e.left.name, depth + 1), self._dtype_root(e.right.name, depth + 1)
            if a == b:
                return a
        return name


def _is_in(obj, functions):
    return any(obj is f for f in functions)
