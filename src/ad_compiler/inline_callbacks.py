"""Functions passed to library calls, for the inliner: a nested function passed to an ODE solver that reads
the enclosing function's variables, and `np.fromfunction`.

    def loss(k, y0):
        def rhs(y, t):
            return -k * y                     # reads k, which carries a derivative
        return np.sum(odeint(rhs, y0, T))

The solvers' rules (rules/integrate.py) differentiate with respect to y0 and the parameters passed through
`args`; a value read from a closure would be a constant to them. So the closure is made a real function
taking what it reads as further parameters, and the call passes those values through `args`, after the ones
the user passes (`odeint(rhs, y0, T, args=(k,))` with `def rhs(y, t, k)`): the derivative is then exact, in
both modes. The values are read where the solver is called, as Python's closure reads them then.

Refused as before (inline_values.py): a closure with defaults, `*args` or keyword-only parameters, one
that writes an enclosing variable (`nonlocal`), reads another nested function, or is given `args` whose
length is not known when compiling.
"""
import ast
import sys

from . import ir
from .inline_static import length_of, static_of_atom
from .ir import Build, Call, Closure, Const, Global, Index, Var


def _solvers():
    """function -> (keyword of the right-hand side, position of `args`); empty when the program has not
    imported scipy.integrate (then it calls no solver)."""
    integrate = sys.modules.get("scipy.integrate")
    if integrate is None:
        return {}
    return {integrate.odeint: ("func", 3), integrate.solve_ivp: ("fun", 8)}


def pass_captured(values, stmt, call, env, out):
    """The solver call with a closure right-hand side made a function of what it reads (passed through
    `args`), or None (not a solver call, or nothing to do: the usual treatment follows)."""
    if not isinstance(call.func, Global):
        return None
    spec = _solvers().get(call.func.obj)
    if spec is None:
        return None
    fkw, apos = spec
    fatom = call.args[0] if call.args else dict(call.kwargs).get(fkw)
    closure = static_of_atom(fatom, env) if fatom is not None else None
    if not isinstance(closure, Closure):
        return None
    from .inline_lift import captured_names

    captured = sorted(captured_names(closure.fdef, closure.scope))
    if not captured or not _liftable(closure):
        return None
    reads = []
    for name in captured:
        where, irname = closure.scope.resolve(name)
        if where != "local" or isinstance(env.get(irname), Closure):
            return None
        reads.append(Var(irname))
    given = call.args[apos] if len(call.args) > apos else dict(call.kwargs).get("args")
    items = []
    if given is not None and not (isinstance(given, Const) and given.value is None):
        n = length_of(static_of_atom(given, env))
        if n is None:
            return None
        items = [values.temp(stmt, Index(given, (Const(k),)), env, out) for k in range(n)]
    key = ("captured", id(closure.fdef))
    func = values.nested.lifted.get(key)
    if func is None:
        func = values.nested.lifted[key] = lift_with_parameters(closure, captured)
    packed = values.temp(stmt, Build("tuple", tuple(items + reads)), env, out)
    lifted = Global(("lambda" if func.__name__ == "<lambda>" else func.__name__,), func)
    args = list(call.args)
    kwargs = [(k, v) for k, v in call.kwargs if k != "args"]
    if args:
        args[0] = lifted
    else:
        kwargs = [(k, lifted if k == fkw else v) for k, v in kwargs]
    if len(args) > apos:
        args[apos] = packed
    else:
        kwargs.append(("args", packed))
    return Call(call.func, tuple(args), tuple(kwargs))


def _liftable(closure):
    a = closure.fdef.args
    if closure.defaults or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        return False
    return not any(isinstance(n, (ast.Nonlocal, ast.Global)) for n in ast.walk(closure.fdef))


def lift_with_parameters(closure, names):
    """The nested function as a real function whose parameters are its own followed by `names` (what it read
    from the enclosing function); its syntax tree is recorded for ad.vjp / ad.jvp to read (read.py), at the
    nested function's own lines."""
    import copy
    import dataclasses

    from . import read
    from .inline_lift import compile_nested

    fdef = copy.deepcopy(closure.fdef)
    fdef.args.args = list(fdef.args.args) + [ast.copy_location(ast.arg(arg=n), fdef) for n in names]
    func = compile_nested(dataclasses.replace(closure, fdef=fdef))
    unit = closure.unit
    read._units[read._key(func.__code__)] = (fdef, unit.filename, unit.first_line, unit.indent, unit.file_lines)
    return func


def from_function(values, stmt, call, env):
    """`np.fromfunction(f, shape, dtype=float, **kw)` is, by NumPy's definition, `f(*np.indices(shape,
    dtype=dtype), **kw)`: written so (the index arrays one by one), `f` is then called as any function
    value (a nested function inlined, reading the enclosing variables exactly). (statements before, the
    call), or None (not this call, or the number of dimensions not known when compiling)."""
    import numpy as np

    if not (isinstance(call.func, Global) and call.func.obj is np.fromfunction):
        return None
    if any(isinstance(a, ir.Starred) for a in call.args) or any(k in ("**", "like") for k, _ in call.kwargs):
        return None
    named = dict(call.kwargs)
    func = call.args[0] if call.args else named.pop("function", None)
    shape = call.args[1] if len(call.args) > 1 else named.pop("shape", None)
    if func is None or shape is None or len(call.args) > 2:
        return None
    static = static_of_atom(shape, env)
    n = len(static[1]) if isinstance(static, tuple) and static[0] == "const" and \
        isinstance(static[1], (tuple, list)) else length_of(static)
    if n is None:
        return None
    dtype = named.pop("dtype", None)
    out = []
    from .inline_values import spell_object

    dtype = Global(("float",), float) if dtype is None else dtype  # (fromfunction's default, not indices')
    grids = values.temp(stmt, Call(spell_object(np.indices, stmt), (shape,), (("dtype", dtype),)), env, out)
    index = tuple(values.temp(stmt, Index(grids, (Const(k),)), env, out) for k in range(n))
    return out, Call(func, index, tuple(named.items()))
