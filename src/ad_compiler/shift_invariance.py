"""Shifts that softmax-type functions cancel carry no derivative (used by driver.py, after resolve).

`s = x - m` followed by `out = s - np.log(np.sum(np.exp(s), axis=a, keepdims=True))` (log-softmax) or by
`out = np.exp(s) / np.sum(np.exp(s), axis=a, keepdims=True)` (softmax) gives the same `out` for any `m` that
is constant along the axis `a`: adding c to every entry of a row multiplies its exponentials by e^c, which
the division (or the subtraction of the log of their sum) takes out again. So the derivative of `out` with
respect to `m` is exactly zero, and the usual max-shift `m = np.max(x, axis=a, keepdims=True)` needs no
adjoint (the generated code would compute the tie-sharing adjoint of the max only for it to cancel, up to
rounding, against the softmax's).

Proved, not assumed: the rule applies only when

- `m` is constant along `a`: a number given as an argument, or a reduction (`max`, `min`, `mean`, `sum`, as functions or methods)
  of `x` itself (through copies) over the same axis with `keepdims=True`, so that it broadcasts along `a`;
- every read of `s` in the function is one of the statements of the pattern (`np.exp(s)`, and `s - l` for
  log-softmax), `np.exp(s)` is read only by the sum (and the division), the sum only by the log (or the
  division), the log only by `s - l`; no store, view, in-place change or other use of any of them;
- all of them are in one statement list, in order, with the sum over `a` with `keepdims=True` (or over all
  axes, for a shift over all axes), and no `dtype=` / `out=`.

Anything else (the shifted value read elsewhere, a shift along another axis, a sum without keepdims) keeps
the full derivative. The subtraction's `Op` then names only `x` as an input (as `ad.stop_gradient(m)` would):
no contribution to `m` is made in reverse mode, and no tangent of `m` is added in forward mode.
"""
from collections import Counter
from dataclasses import replace

import numpy as np

from . import ir, kinds as K
from .ir import Assign, Const, Var

REDUCTIONS = {"max", "min", "mean", "sum"}
_MODULES = ("ad_compiler.rules.numpy", "ad_compiler.rules.methods")


def detach(fn, ops, kinds):
    """Drop the shift `m` from the inputs of each `s = x - m` whose result only a softmax-type function
    reads (see the module's docstring); the Op records it under extra["invariant"]."""
    reads = Counter()
    for s in ir.walk(fn.body, into_functions=True):
        for n in ir.stmt_reads(s):
            reads[n] += _count(s, n)
        for n in getattr(s, "carried", ()):
            reads[n] += 1
    if isinstance(fn.out, Var):
        reads[fn.out.name] += 1
    copies = {s.target: s.value.name for s in ir.walk(fn.body)
              if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and not s.noop
              and id(s) in ops and ops[id(s)].kind == "copy"}
    defs = {s.target: s for s in ir.walk(fn.body) if isinstance(s, Assign) and len(s.targets) == 1}
    for block in ir.all_blocks(fn.body):
        for k, s in enumerate(block):
            op = ops.get(id(s))
            if _is(op, "subtract") and _shift_proved(block, k, op, ops, reads, copies, defs, kinds, fn.params):
                ops[id(s)] = replace(op, inputs=op.inputs - ir.names_in(op.bound["x2"]),
                                     extra={**op.extra, "invariant": ("x2",)})


def _count(s, name):
    """How many times the statement `s` reads `name` (an operand given twice is read twice)."""
    parts = []
    if isinstance(s, Assign):
        parts = [s.value]
    todo, n = parts, 0
    while todo:
        e = todo.pop()
        if e.__class__ is Var:
            n += e.name == name
        else:
            todo.extend(ir.children(e))
    return max(n, 1)


def _is(op, name):
    return op is not None and op.kind == "rule" and op.rule.name == name and \
        getattr(op.rule.template, "__module__", "") in _MODULES


def _const(op, param, default=None):
    v = op.bound.get(param)
    if v is None:
        return True, default
    return (True, v.value) if isinstance(v, Const) else (False, None)


def _shift_proved(block, k, op, ops, reads, copies, defs, kinds, params):
    s = block[k]
    x, m = op.bound["x1"], op.bound["x2"]
    if not (isinstance(x, Var) and isinstance(m, Var)) or x.name == m.name or reads[s.target] not in (1, 2):
        return False
    later = {}  # name -> (position, statement) of the plain assignments after s in this block
    for j in range(k + 1, len(block)):
        t = block[j]
        if isinstance(t, Assign) and len(t.targets) == 1 and not t.noop:
            later[t.target] = (j, t)

    def user(name, rule, *params):
        """The statement after s in this block applying `rule` with one of `params` bound to `name`, if any."""
        for target, (j, t) in later.items():
            o = ops.get(id(t))
            if _is(o, rule) and any(o.bound.get(p) == Var(name) for p in params):
                return j, target, o
        return None

    exp = user(s.target, "exp", "x")
    if exp is None or reads[exp[1]] not in (1, 2):
        return False
    total = user(exp[1], "sum", "a", "self")
    if total is None:
        return False
    ok_axis, axis = _const(total[2], "axis")
    ok_keep, keep = _const(total[2], "keepdims", False)
    if not (ok_axis and ok_keep and _const(total[2], "dtype") == (True, None) and
            _const(total[2], "out") == (True, None)) or not (keep is True or axis is None):
        return False
    if not _constant_along(m, x, axis, ops, copies, defs, kinds, params):
        return False
    if reads[s.target] == 2 and reads[exp[1]] == 1 and reads[total[1]] == 1:  # log-softmax
        log = user(total[1], "log", "x")
        if log is None or reads[log[1]] != 1:
            return False
        out = user(log[1], "subtract", "x2")
        return out is not None and out[2].bound["x1"] == Var(s.target) and exp[0] < total[0] < log[0] < out[0]
    if reads[s.target] == 1 and reads[exp[1]] == 2 and reads[total[1]] == 1:  # softmax
        out = user(exp[1], "divide", "x1")
        return out is not None and out[2].bound["x2"] == Var(total[1]) and exp[0] < total[0] < out[0]
    return False


def _root(name, copies):
    seen = set()
    while name in copies and name not in seen:
        seen.add(name)
        name = copies[name]
    return name


def _constant_along(m, x, axis, ops, copies, defs, kinds, params):
    """Is `m` constant along `axis` of `x - m` (a number, or a keepdims reduction of x over that axis)?"""
    k = kinds.get(m.name)
    if m.name in params and isinstance(k, K.Scalar) and not issubclass(k.cls, (complex, np.complexfloating)):
        return True  # (an argument's kind is a fact; an inferred one may be a guess)
    d = defs.get(_root(m.name, copies))
    o = ops.get(id(d)) if d is not None else None
    if o is None or o.kind != "rule" or o.rule.name not in REDUCTIONS or \
            getattr(o.rule.template, "__module__", "") not in _MODULES:
        return False
    source = o.bound.get("a", o.bound.get("self"))
    if not isinstance(source, Var) or _root(source.name, copies) != _root(x.name, copies):
        return False
    ok_axis, m_axis = _const(o, "axis")
    ok_keep, keep = _const(o, "keepdims", False)
    if not (ok_axis and ok_keep) or _const(o, "out") != (True, None) or m_axis != axis:
        return False
    return keep is True or axis is None
