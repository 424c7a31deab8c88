"""The adjoints of `np.einsum('ij,jk->ik', a, b)` written as einsums themselves, one per operand:

    ba = np.einsum('ik,jk->ij', g, b)        bb = np.einsum('ik,ij->jk', g, a)

(the output's adjoint contracted with the other operands, back to the operand's own letters). What a hand-
written adjoint would say, and differentiable again to any order: einsum is linear in each operand, so the
derivative of these calls is einsum's rule once more, never a runtime helper without rules of its own.

Only for subscripts given as a constant string whose every operand can be given back so: no `...`, no letter
twice in one term or in the output (a diagonal), and every letter of the operand present in the output or in
another operand (a letter summed out by one operand alone would need a vector of ones of its size). Anything
else keeps the general helper `_ad.einsum_args_vjp` (runtime.einsum_vjp). reverse.py calls `contribute`.
"""
import numpy as np

from . import ir
from .adjoints import helper
from .ir import Call, Const, Global


def split(spec):
    """(input terms, output term) of einsum subscripts, with NumPy's implicit output (the letters that occur
    once, sorted); None for subscripts this module does not write out (`...`, not letters)."""
    spec = spec.replace(" ", "")
    if "." in spec:
        return None
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    letters = [c for c in inputs if c != ","]
    if not all(c.isalpha() and c.isascii() for c in letters + list(output)):
        return None
    if not arrow:
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return terms, output


def adjoint_subscripts(spec, k):
    """The subscripts of operand k's adjoint as one einsum of (g, the other operands in order), or None."""
    parts = split(spec)
    if parts is None:
        return None
    terms, output = parts
    if k >= len(terms) or any(len(set(t)) != len(t) for t in terms) or len(set(output)) != len(output):
        return None
    others = [t for j, t in enumerate(terms) if j != k]
    present = set(output).union(*others)
    if not set(terms[k]) <= present:
        return None
    return ",".join([output] + others) + "->" + terms[k]


def adjoints(call, g, wanted):
    """{position in call.args: the adjoint of that operand} for a call `np.einsum(spec, *operands)` whose
    operands at the positions `wanted` all have one written as an einsum; None when any lacks one (then the
    general helper serves the whole call)."""
    if not call.args or not isinstance(call.args[0], Const) or not isinstance(call.args[0].value, str) or \
            any(k != "optimize" for k, _ in call.kwargs):
        return None
    spec, operands = call.args[0].value, list(call.args[1:])
    parts = split(spec)
    if parts is None or len(parts[0]) != len(operands) or any(isinstance(a, ir.Starred) for a in operands):
        return None
    out = {}
    for p in wanted:
        k = p - 1
        subscripts = adjoint_subscripts(spec, k) if k >= 0 else None
        if subscripts is None:
            return None
        others = [a for j, a in enumerate(operands) if j != k]
        out[p] = Call(call.func, (Const(subscripts), g, *others))
    return out


def contribute(rev, s, g):
    """The adjoints of the statement `s` (`t = np.einsum(...)`, its result's adjoint `g`) given to its operands by
    the reverse pass `rev`, each an einsum summed down where NumPy stretched an axis of size 1; False (nothing
    done) where the general helper must serve."""
    call = s.value
    if not (isinstance(call, Call) and isinstance(call.func, Global) and call.func.obj is np.einsum):
        return False
    wanted = [i for i, a in enumerate(call.args) if i > 0 and ir.names_in(a) & rev.act.varied]
    exprs = adjoints(call, g, wanted)
    if exprs is None:
        return False
    cx = rev.act.complex
    complex_statement = s.target in cx or any(cx.may_be_complex(a) for a in call.args)
    for p, expr in exprs.items():
        rev.contribute(call.args[p], helper("unbroadcast", expr, call.args[p]), s.origin,
                       real_part=rev.real_part if complex_statement else None)
    return True
