"""The kinds of the arguments of the gradients a function calls (what `ad.grad` returned) where they are neither
the function's parameters nor constants: `ad.grad(u)(x * 2.0, p)`, `ad.grad(u)(h, p)` with `h` a local variable.

The inliner compiles the gradient's generated code for the kinds of the call's arguments, and knows only those
of the parameters and constants: for any other argument the gradient is compiled for arguments of any kind,
which its code may refuse (`row *= ...` with `row` not known to be an array), and it cannot be built by forward
sweeps (`Derivative.compile_by_sweeps` needs the `wrt` arguments to be arrays or numbers). Where the compilation
was refused (driver.Derivation.run), the kinds are learned by the front passes and the kinds pass (`alias.py`)
run once more with those calls left as calls (their results: of unknown kinds), and the function is compiled
again with them: `learn` gives, for each call site, the kinds of its arguments at that point of the function
(the kinds pass's own, which the derivative's code relies on too; the join of them where a site is inlined more
than once, as a helper's line is).
"""
from . import ir
from . import kinds as K
from .errors import ADError


def site(stmt, derivative):
    """The key of a call of a derivative function: the user's line and column, and which derivative."""
    origin = stmt.origin
    node = getattr(origin, "node", None)
    if node is None:
        return None
    return (origin.unit.filename, getattr(node, "lineno", None), getattr(node, "col_offset", None), id(derivative))


def argument_kinds(ctx, stmt, call, derivative, param_kinds):
    """The kinds of the call's arguments the inliner knows (parameters and constants), with those learned
    (`ctx.call_kinds`) for the others; notes in `ctx.unknown_call_args` that some stay unknown."""
    learned = getattr(ctx, "call_kinds", {}).get(site(stmt, derivative), ())
    out = []
    for i, a in enumerate(call.args):
        k = K.UNKNOWN
        if isinstance(a, ir.Const):
            k = K.kind_of(a.value)
        elif isinstance(a, ir.Var) and a.name in param_kinds:
            k = param_kinds[a.name]
        if i < len(learned) and learned[i] is not K.UNKNOWN and not isinstance(a, ir.Const):
            k = learned[i] if k is K.UNKNOWN or isinstance(k, K.Unknown) or _weaker(k, learned[i]) else k
        if isinstance(k, K.Unknown) and isinstance(a, ir.Var):
            ctx.unknown_call_args = True
        out.append(k)
    return tuple(out)


def _weaker(known, learned):
    """A parameter's kind made weaker where the function binds its name again (inline._kind_if_rebound): the
    kinds pass's kind at the call, for that very value, is the one to use when it is an array too."""
    return isinstance(known, K.Array) and isinstance(learned, K.Array) and (known.ndim is None or known.dtype == "?")


def learn(derivation_class, given):
    """{call site: kinds of its arguments} for the calls of derivative functions in the function `given`
    describes (Derivation's arguments), from the kinds pass over it with those calls not inlined; {} where
    the front passes refuse it that way too."""
    from . import alias
    from .ssa import to_ssa

    d = derivation_class(*given)
    d.ctx.probing = []
    try:
        unit, fn, alloc, param_kinds = d.front()
        to_ssa(fn, alloc, generated=unit.filename.startswith("<ad_compiler"))
        kinds_ = alias.infer_kinds(fn, param_kinds, d.ctx)
    except ADError:
        return {}
    present = {id(s) for s in ir.walk(fn.body)}
    out = {}
    for stmt, derivative in d.ctx.probing:
        key = site(stmt, derivative)
        value = getattr(stmt, "value", None)
        if key is None or id(stmt) not in present or not isinstance(value, ir.Call):
            continue
        found = tuple(kinds_.get(a.name, K.UNKNOWN) if isinstance(a, ir.Var) else K.UNKNOWN for a in value.args)
        seen = out.get(key)
        if seen is not None:
            found = tuple(_join(a, b) for a, b in zip(seen, found)) if len(seen) == len(found) else ()
        out[key] = found
    return {k: v for k, v in out.items() if any(not isinstance(x, K.Unknown) for x in v)}


def _join(a, b):
    """One kind for a site's argument of two kinds (a helper's line inlined twice): an array of a rank or dtype
    not known for two arrays, else not known."""
    if a == b:
        return a
    return K.join(a, b) if isinstance(a, K.Array) and isinstance(b, K.Array) else K.UNKNOWN
