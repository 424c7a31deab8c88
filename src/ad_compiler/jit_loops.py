"""`jit=True`: `while True:` loops of the compiled function written `go = True` / `while go:`.

Numba 0.68 compiles a `while True:` loop that rebinds a loop-carried name just before `break` into a loop that
never ends (pure Numba: `while True: n2 = n1 + 1; if n2 >= k: n1 = n2; break; else: n1 = n2` does not
return), which the derivative of `while f() < 3:` is (hunt15 h15-008: the tape's lists grew until MemoryError).
The same loop tested on a flag the body never clears is compiled right.
"""
from . import ir
from .ir import Assign, Const, Var, While


def flagged(body, alloc):
    """`body` (a block, changed in place) with each `while True:` made `go = True` / `while go:`."""
    out = []
    for s in body:
        for b in ir.blocks(s):
            flagged(b, alloc)
        if isinstance(s, While) and isinstance(s.test, Const) and s.test.value is True:
            go = alloc.fresh("go")
            out.append(_at(Assign((go,), Const(True)), s))
            s.test = Var(go)
        out.append(s)
    body[:] = out
    return body


def _at(new, old):
    new.origin = old.origin
    return new
