"""`jit=True`, part 2: the derivative as a function Numba compiles and a plain Python wrapper (docs/jit.md).

    @_ad.jit.njit
    def dloss_dx_numba(x, ...):        # the forward and adjoint sweeps (jit_lower.py), compiled by Numba
        ...
        return bx

    def dloss_dx(x, ...):              # plain Python: the gradients' types at the boundary (runtime.as_grad)
        bx = dloss_dx_numba(x, ...)
        return _ad.as_grad(bx, x)

`.source` is this text, and it is what runs: it is compiled (codegen's way: a registered filename, so that
Numba's messages and tracebacks show the generated lines), and the decorator hands the first function to
Numba, which compiles it at its first call for the types of the arguments. An error of Numba's there
becomes an UnsupportedError at the user's line the generated line comes from (`FirstCall`).
"""
import ast
import re
import time
import types
import weakref

import numpy as np

from . import codegen, ir, jit_runtime, kinds as K, runtime
from .errors import ADError, UnsupportedError
from .ir import Assign, Build, Call, FunctionDef, Global, Index, Return, Var
from .jit_fuse import fuse
from .jit_loops import flagged
from .jit_lower import HINT, WHY, Lowering
from .jit_names import apart
from .jit_reuse import into_out, uncopy

RESULT_HELPERS = ("as_grad", "as_grads")  # helpers of the return value, run in the wrapper


def require_numba():
    """Numba, or an ADError saying how to install it."""
    try:
        import numba
    except ImportError as exc:
        raise ADError(f"jit=True needs Numba, which is not installed ({exc})",
                      hint="pip install 'ad-compiler[jit]'") from None
    return numba


def _callee_refused(linker, fdef, where_def):
    """The refusal of a derivative calling a function compiled on its own (a recursive one, or one wrapped in
    ad.checkpoint: its forward sweep returns a backward closure, which Numba does not compile), located at the
    first such call (c28-006: at the `def` line, and a checkpointed function was called recursive)."""
    def called(c):  # (the compiled function's call, or the forward sweep's call of the function itself)
        return next((d for d in linker.deps if isinstance(c.func, Var) and linker.cells.get(c.func.name) is d.cell
                     or isinstance(c.func, Global) and getattr(c.func.obj, "func", c.func.obj) is d.func), None)

    for s in ir.walk(fdef.body, into_functions=True):
        value = getattr(s, "value", None)
        for c in ir.calls_in(value) if value is not None and not isinstance(value, str) else ():
            callee = called(c)
            if callee is None or s.origin is None:
                continue
            name = callee.func.__name__
            if callee.checkpoint:
                return UnsupportedError(f"jit=True: this calls `{name}`, wrapped in ad.checkpoint (compiled on its own, "
                                        "run again in the adjoint sweep through a backward function); " + WHY,
                                        where=s.origin.unit.location(s.origin.node),
                                        hint="call ad.grad without jit=True, or call the function without "
                                             "ad.checkpoint (its values are then kept)")
            return UnsupportedError(f"jit=True: this calls `{name}`, a recursive function (compiled on its own); " + WHY,
                                    where=s.origin.unit.location(s.origin.node), hint=HINT)
    return UnsupportedError("jit=True: the function calls a recursive function (compiled on its own); " + WHY,
                            where=where_def, hint=HINT)


def finish(derivation, unit, fdef, kinds_, alloc):
    """The compiled derivative (the wrapper function, with `.source`) of the generated `fdef`."""
    numba = require_numba()
    where_def = unit.location(unit.tree)
    if derivation.linker.deps:
        raise _callee_refused(derivation.linker, fdef, where_def)
    param_kinds = dict(zip(fdef.params, derivation.kinds))
    _refuse_narrow(derivation, param_kinds, where_def)
    body, ret = fdef.body[:-1], fdef.body[-1]
    if not isinstance(ret, Return) or any(isinstance(s, Return) for s in ir.walk(body)):
        raise UnsupportedError("jit=True: a derivative with several returns; " + WHY, where=where_def, hint=HINT)
    lowering = Lowering(fdef, param_kinds, kinds_, alloc, where_def)
    core_name = alloc.fresh(f"{fdef.name}_numba")
    # (a parameter the body rebinds, as `bout = _ad.jit.vjp_seed(bout, x)` does, is the compiled part's: the
    # wrapper's is the caller's object, e.g. vjp's seed returned as the gradient, h15-002)
    rebound = {n for s in ir.walk(body) for n in ir.stmt_writes(s)}
    outer, leaves = _split_result(ret.value, set(fdef.params) - rebound, alloc, set(fdef.params))
    read = {n for s in ir.walk(body) for n in ir.stmt_reads(s)} | {n for _, e in leaves for n in ir.names_in(e)}
    core_params = [p for p in fdef.params if p in read]
    passed = {}  # parameter -> what the wrapper passes for it (arguments the compiled function takes otherwise)
    for p in core_params:  # (first: an argument Numba cannot take is the first thing to say)
        if p in param_kinds:  # (not the seed of vjp or the tangent of jvp: their helpers check them)
            passed[p] = _check_parameter(p, param_kinds.get(p), where_def, p in derivation.wrt, body, kinds_,
                                         lowering, alloc)
    core_body = lowering.lower(body, {n for _, e in leaves for n in ir.names_in(e)})
    results = [lowering.expr(e, ret) for _, e in leaves]
    uncopy(core_body + [Return(Build("tuple", tuple(results)))], kinds_)  # (the return reads them too)
    direct = _direct_plan(outer, leaves, core_params, fdef.params, lowering) if not any(passed.values()) else None
    buffers = _buffers(direct, leaves, param_kinds)
    if buffers:
        xs = (direct[1],) if direct[0] == "array" else direct[1]
        direct = ("into", tuple((x, leaf in buffers) for (leaf, _), x in zip(leaves, xs)), direct[0] == "array")
    if direct is not None and direct[0] == "array":
        results[0] = Call(Global(("_ad", "jit", "as_grad"), jit_runtime.as_grad, runtime), (results[0], Var(direct[1])))
    core_body.append(_at(Return(results[0] if len(results) == 1 else Build("tuple", tuple(results))), ret))
    data = list(lowering.data.values())
    core_args = []  # (the compiled function's parameters, and what the wrapper passes for each)
    for p in core_params:
        if p in lowering.dicts:  # (a dict argument: one parameter per key)
            core_args += [(n, Index(Var(p), (ir.Const(k),))) for k, n in lowering.dicts[p].items()]
        else:
            core_args.append((p, passed.get(p) or Var(p)))
    core = FunctionDef(core_name, tuple(n for n, _ in core_args) + tuple(n for n, _ in data), core_body)
    dims = dict(zip(fdef.params, derivation.dims))
    core = fuse(core, param_kinds, dims, alloc) or core
    flagged(core.body, alloc)  # (`while True:` as `while go:`: Numba may compile the first as an endless loop)
    call = Call(Var(core_name), tuple(a for _, a in core_args) + tuple(g for _, g in data))
    names = tuple(n for n, _ in leaves)
    if buffers:  # (the gradients' arrays made by the wrapper and filled by the compiled function)
        core = _fill(core, [n in buffers for n in names], alloc)
        call = Call(call.func, call.args + tuple(Var(n) for n in names if n in buffers))
        kept = tuple(n for n in names if n not in buffers)
        wrapper_body = [
            ir.Comment("plain Python: the gradients' arrays, which the compiled function fills"),
            *[Assign((n,), Call(Global(("_ad", "jit", "grad_array"), jit_runtime.grad_array, runtime),
                                (Var(buffers[n]),))) for n in names if n in buffers],
            Assign(kept, call) if kept else ir.ExprStmt(call),
            Return(outer),
        ]
    else:
        wrapper_body = [
            ir.Comment("plain Python: the gradients' types at the boundary"),
            *lowering.prologue,
            Assign(names, call),
            Return(outer),
        ]
    wrapper = FunctionDef(fdef.name, fdef.params, wrapper_body, fdef.defaults)
    compiled = _compile(derivation, unit, core, wrapper, numba)
    compiled._ad_direct = direct
    return compiled


def _refuse_narrow(derivation, param_kinds, where):
    """Refuse a function that may hold values of a narrow dtype (float32, float16, int32, ...:
    kinds.narrow_dtype; alias_session.Session.narrow: an argument of one, or a dtype, constant or global named in
    its code). Numba promotes them otherwise than NumPy 2 does: `x * 1.5` or `s + 0.5` of float32 values are
    float64 in Numba's code (NumPy: float32, the Python float is weak), an int32 array plus a Python int is int64
    (NumPy wraps at 2**31). The compiled derivative would compute f's values in another precision: another
    value, a branch decided otherwise, another gradient (j12-001)."""
    narrow = [p for p, k in param_kinds.items() if K.narrow(k)]
    if not narrow and not getattr(getattr(derivation, "linker", None), "narrow", False):
        return
    what = f"the argument `{narrow[0]}` holds" if narrow else "the function makes or reads"
    raise UnsupportedError(
        f"jit=True: {what} values of a narrow dtype (float32, float16, int32, ...), which Numba computes with "
        "other type promotions than NumPy's (a float32 value with a Python float in float64, an int32 array plus "
        "an int in int64): the compiled derivative would not compute f in f's precision; " + WHY,
        where=where, hint="call ad.grad without jit=True (the same derivative in plain Python, in f's dtypes), "
                          "or pass float64 arrays")


def _direct_plan(outer, leaves, core_params, params, lowering):
    """When the wrapper only gives the compiled function's result the gradients' types: ("array", x) for
    `as_grad(b, x)` (the compiled function then calls jit_runtime.as_grad itself), ("floats", names) for
    `as_grads((b, ...), (x, ...))`; else None. `direct` decides at a call whether the wrapper can be skipped."""
    if lowering.prologue or lowering.data or list(core_params) != list(params):
        return None
    if isinstance(outer, Call) and isinstance(outer.func, ir.Global) and outer.func.path[-1] in RESULT_HELPERS:
        b, x = outer.args[:2]
        if outer.func.path[-1] == "as_grad" and len(leaves) == 1 and b == Var(leaves[0][0]) and \
                isinstance(x, Var) and x.name in params:
            return ("array", x.name)
        if outer.func.path[-1] == "as_grads" and isinstance(b, Build) and isinstance(x, Build) and \
                list(b.items) == [Var(n) for n, _ in leaves] and all(isinstance(i, Var) and i.name in params
                                                                     for i in x.items):
            return ("floats", tuple(i.name for i in x.items))
    return None


def _buffers(plan, leaves, param_kinds):
    """{result name: argument} for the results the compiled function writes into arrays the wrapper makes
    (`_ad.jit.grad_array(x)`: x's shape and dtype, what runtime.as_grad makes of them), when the wrapper
    only gives the results the gradients' types (`plan`: _direct_plan's) and at least one is the gradient of
    a float array of one or two dimensions. Numba returning an array costs 0.3-0.5 µs (a new Python object
    for its memory, then the array); an array argument costs less than a tenth of that. Else {}."""
    if plan is None or plan[0] == "array" and len(leaves) != 1:
        return {}
    xs = (plan[1],) if plan[0] == "array" else plan[1]
    out = {}
    for (leaf, _), x in zip(leaves, xs):
        kind = param_kinds.get(x)
        if isinstance(kind, K.Array) and kind.cls is np.ndarray and kind.dtype == "f" and kind.ndim in (1, 2):
            out[leaf] = x
        elif not (isinstance(kind, K.Scalar) and kind.is_float):
            return {}
    return out


def _fill(core, filled, alloc):
    """`core` writing its results marked in `filled` into arrays given as new last parameters
    (`_ad.jit.grad_into(b, out)`: b broadcast to out's shape) and returning the others (None if none)."""
    body, ret = core.body[:-1], core.body[-1]
    items = list(ret.value.items) if len(filled) > 1 else [ret.value]
    params, stores, kept = [], [], []
    for item, fill in zip(items, filled):
        if not fill:
            kept.append(item)
            continue
        out = alloc.fresh(f"{item.name}_out" if isinstance(item, Var) else "grad_out")
        params.append(out)
        if isinstance(item, Var) and not any(isinstance(i, Var) and i.name == item.name for i in kept):
            into_out(body, item.name, out)  # (the gradient's zeros made in `out`: jit_reuse.py)
        stores.append(_at(ir.ExprStmt(Call(Global(("_ad", "jit", "grad_into"), jit_runtime.grad_into, runtime),
                                               (item, Var(out)))), ret))
    value = kept[0] if len(kept) == 1 else Build("tuple", tuple(kept)) if kept else ir.Const(None)
    return FunctionDef(core.name, core.params + tuple(params), body + stores + [_at(Return(value), ret)],
                       core.defaults)


def direct(compiled, args, params, names):
    """How the dispatcher's guard of calls like `args` (the flat arguments, of the parameters `params`; the
    guard's parameter names `names`) calls the jit derivative `compiled`: (more tests of the arguments, the
    lines that call and return) for unchanged.guard, or None (the wrapper is called). Numba's function is
    called instead of the wrapper only when the wrapper's as_grad would return its result as it is: for a
    float argument a float64 result; for a float64 array (native byte order, one or two dimensions) a
    float64 array of its rank that jit_runtime.as_grad made of its shape and writeable; for a tuple of
    floats a tuple of float64 (as_grads copies apart only arrays). And Numba's compiled entry point for the
    arguments' types is called instead of its dispatcher (which finds it from the types of the arguments at
    every call) when the guard's tests imply those types: floats, and arrays Numba types as C-contiguous,
    aligned and writeable (`flags.carray`, added to the tests; the classes, shapes and dtypes are tested
    already). driver.Derivative.guard asks this when it makes the guard of a call like the last one."""
    import numpy as np

    plan = getattr(compiled, "_ad_direct", None)
    dispatcher = compiled._ad_jit.cell_contents if plan is not None else None
    if dispatcher is None or isinstance(dispatcher, FirstCall):
        return None
    numba = require_numba()
    where = {p: a for p, a in zip(params, args)}
    buffers = [np.empty(where[x].shape, where[x].dtype) for x, filled in plan[1] if filled] \
        if plan[0] == "into" and all(where.get(x).__class__ is np.ndarray for x, filled in plan[1] if filled) else []
    try:
        types_ = tuple(dispatcher.typeof_pyval(a) for a in tuple(args) + tuple(buffers))
        overload = dispatcher.overloads[types_]
    except (KeyError, ValueError, TypeError):
        return None
    result = overload.signature.return_type
    f64 = numba.types.float64
    fill = []  # (the arrays the guard makes for the compiled function to fill: (shape, dtype) of each)
    if plan[0] == "into":  # (buffers for the arrays' gradients; floats for the floats', returned)
        floats = [where.get(x) for x, filled in plan[1] if not filled]
        fill = [(where[x].shape, where[x].dtype) for x, filled in plan[1] if filled]
        returned = (result,) if len(floats) == 1 else tuple(result) if isinstance(result, numba.types.BaseTuple) \
            else () if result == numba.types.none else None
        ok = all(x.__class__ is float for x in floats) and returned is not None and len(returned) == len(floats) \
            and all(t == f64 for t in returned) and \
            all(where[x].__class__ is np.ndarray and where[x].dtype.kind == "f" for x, filled in plan[1] if filled)
    elif plan[0] == "array":
        x = where.get(plan[1])
        if x.__class__ is float:
            ok = result == f64
        else:
            ok = x.__class__ is np.ndarray and x.dtype is _FLOAT64 and x.ndim in (1, 2) and \
                isinstance(result, numba.types.Array) and result.dtype == f64 and result.ndim == x.ndim and \
                result.mutable
    else:
        xs = [where.get(n) for n in plan[1]]
        ok = all(x.__class__ is float for x in xs) and isinstance(result, numba.types.BaseTuple) and \
            len(result) == len(xs) and all(t == f64 for t in result)
    if not ok:
        return None
    terms, run = [], getattr(overload, "entry_point", None)
    for name, a, t in zip(names, args, types_):
        if a.__class__ is float and t == f64:
            continue
        if a.__class__ is np.ndarray and isinstance(t, numba.types.Array) and t.layout == "C" and t.mutable and \
                t.aligned and a.flags.carray:
            terms.append(f"{name}.flags.carray")
            continue
        run = None  # (an argument whose type the tests do not imply: Numba's dispatcher finds its code)
        break
    call = dispatcher if run is None else run
    if not fill:
        return (terms if run is not None else []), \
            lambda values: [f"return {values(call)}({', '.join(names)})"]

    def lines(values):
        outs = [f"out{i}" for i in range(len(fill))]
        made = [f"{o} = {values(np.empty)}({shape[0] if len(shape) == 1 else shape!r}"  # (np.empty(25): 0.1 µs,
                f"{'' if dtype is _FLOAT64 else ', ' + values(dtype)})"       # 35 ns less than with (25,), dtype)
                for o, (shape, dtype) in zip(outs, fill)]
        called = f"{values(call)}({', '.join(list(names) + outs)})"
        if len(fill) == len(plan[1]):
            return made + [called, f"return {outs[0] if plan[2] else '(' + ', '.join(outs) + ',)'}"]
        got = iter(["r"] if len(plan[1]) - len(fill) == 1 else [f"r[{i}]" for i in range(len(plan[1]) - len(fill))])
        filled = iter(outs)
        items = [next(filled) if f else next(got) for _, f in plan[1]]
        return made + [f"r = {called}", f"return ({', '.join(items)},)"]
    return (terms if run is not None else []), lines


def _float64():
    import numpy as np
    return np.dtype(np.float64)


_FLOAT64 = _float64()


def _split_result(value, params, alloc, taken=()):
    """The return value with what the compiled part computes replaced by names: (expression the wrapper
    returns, [(name, expression the compiled part returns)]); `params`: the parameters the wrapper reads as
    they are, `taken`: names a result is not called in the wrapper (all the parameters)."""
    leaves = []

    def leaf(e):
        if isinstance(e, ir.Const) or (isinstance(e, Var) and e.name in params):
            return e
        if isinstance(e, Call) and isinstance(e.func, ir.Global) and e.func.path[0] == "_ad" and \
                all(isinstance(a, Var) and a.name in params for a in e.args):
            return e  # (zeros_like(x) of an argument: in the wrapper)
        name = e.name if isinstance(e, Var) and e.name not in taken else alloc.fresh("result")
        leaves.append((name, e))
        return Var(name)

    def visit(e):
        if isinstance(e, Build) and e.kind == "tuple":
            return Build("tuple", tuple(visit(i) for i in e.items))
        if isinstance(e, Call) and isinstance(e.func, ir.Global) and e.func.path[0] == "_ad" and \
                e.func.path[-1] in RESULT_HELPERS:
            return Call(e.func, (visit(e.args[0]),) + tuple(e.args[1:]))
        return leaf(e)
    outer = visit(value)
    if not leaves:  # (nothing computed: the compiled part returns a constant all the same)
        leaves.append((alloc.fresh("result"), ir.Const(0.0)))
    return outer, leaves


def _check_parameter(name, kind, where, wrt, body, kinds_, lowering, alloc):
    """None when Numba takes the argument as it is; else what the wrapper passes instead: a list or tuple
    the function only reads (numbers, arrays, tuples of them), as a tuple; a 0-d array never changed in place,
    as its number (`s[()]`); a dict the function reads by constant string keys, as one argument per key
    (`lowering.dicts`); anything else is refused."""
    if _numba_takes(kind):
        return None
    what = "of a kind not known" if kind is None or kind == K.UNKNOWN else kind.describe()
    if isinstance(kind, K.Array) and kind.ndim == 0 and kind.cls is np.ndarray and kind.dtype in "fib":
        if not _changes_0d(body, kinds_, name):
            return Index(Var(name), (ir.Const(()),))
        what = "a 0-d array changed in place (Numba's arithmetic on 0-d arrays is incomplete)"
    elif isinstance(kind, K.Seq) and kind.items is not None and all(_numba_takes(k) for k in kind.items):
        if not wrt:
            return Call(Global(("tuple",), tuple), (Var(name),)) if kind.cls is list else None
        what += " (a gradient of a list or tuple is not compiled)"
    elif isinstance(kind, K.Dict) and all(type(k) is str and k.isidentifier() for k in kind.keys) and \
            all(_numba_takes(k) for k in kind.items):
        if not wrt:
            lowering.dicts[name] = {k: alloc.fresh(f"{name}_{k}") for k in kind.keys}
            return None
        what += " (a gradient of a dict is not compiled)"
    raise UnsupportedError(f"jit=True: the argument `{name}` is {what}; " + WHY, where=where, hint=HINT,
                           deferred=kind is None or kind == K.UNKNOWN)


def _numba_takes(kind):
    """Does Numba take a value of this kind as it is (a number, an array of one or more dimensions, a tuple
    of such)?"""
    if isinstance(kind, K.Scalar):
        return issubclass(kind.cls, (float, int, np.floating, np.integer, np.bool_))
    if isinstance(kind, K.Array):
        return kind.cls is np.ndarray and kind.dtype in "fib" and kind.ndim not in (None, 0)
    if isinstance(kind, K.Seq) and kind.cls is tuple:
        return kind.items is not None and all(_numba_takes(k) for k in kind.items)
    return False


def _changes_0d(body, kinds_, name):
    """Does the derivative change in place a value that is or may be the 0-d array `name` (a store, `+=` on an
    array, `out=`), or copy one for that (`private_copy`)? Passed as a number, a 0-d argument would no longer
    be shared with the names that see it. Only names whose values may come from `name` (any statement
    defining them reads such a name: `_reaching`) count; an adjoint the derivative makes from others (`bW +=
    g`, of no known kind) is not it (j12-004)."""
    reach = _reaching(body, name, kinds_)

    def zero_d(n):
        k = kinds_.get(n)
        return n in reach and not isinstance(k, K.Scalar) and not (isinstance(k, K.Array) and k.ndim not in (None, 0))
    for s in ir.walk(body):
        if isinstance(s, ir.SetItem) and isinstance(s.target, Var) and zero_d(s.target.name):
            return True
        if isinstance(s, ir.AugAssign) and zero_d(s.target):
            return True
        todo = [getattr(s, "value", None)]
        while todo:
            e = todo.pop()
            if isinstance(e, Call) and (any(k == "out" for k, _ in e.kwargs or ()) or
                                        isinstance(e.func, Global) and e.func.path == ("_ad", "private_copy")) and \
                    ir.names_in(e) & reach:
                return True
            if e is not None:
                todo.extend(ir.children(e))
    return False


def _reaching(body, name, kinds_):
    """The names whose values may be, hold or share memory with `name`'s: `name`, and every name a statement
    defines from what reads one of them (conservative: any statement kind, but an assignment of new memory,
    new_memory.py: arithmetic, reductions, allocating helpers), to a fixed point."""
    from .new_memory import new_memory

    reach = {name}
    while True:
        before = len(reach)
        for s in ir.walk(body):
            if isinstance(s, Assign) and len(s.targets) == 1 and new_memory(s.value, kinds_, target=s.targets[0]):
                continue
            if ir.stmt_reads(s) & reach or isinstance(s, ir.For) and ir.names_in(s.iter) & reach:
                reach |= ir.stmt_writes(s)
                if isinstance(s, (ir.SetItem, ir.AugAssign)):  # (the target holds what it was given)
                    reach |= {s.target.name} if isinstance(s, ir.SetItem) and isinstance(s.target, Var) else \
                        {s.target} if isinstance(s, ir.AugAssign) else set()
                if isinstance(s, ir.Mutate):
                    reach |= ir.names_in(s.target)
        if len(reach) == before:
            return reach


def _at(new, old):
    new.origin = old.origin
    return new


def _compile(derivation, unit, core, wrapper, numba):
    """Print the two functions, compile that text, and hand the first one to Numba."""
    from .driver import _refuse_closure_values

    for f in (core, wrapper):
        _refuse_closure_values(f)
    local = codegen.local_names(core) | codegen.local_names(wrapper) | {core.name}
    names = codegen.Names(derivation.func.__globals__, local, unit.cells)
    origins = []
    text = codegen.to_source([core, wrapper], names, origins, nograd_blocks=False)  # (m25-008)
    text = apart(text, core.name)  # (no version of one name spelled like another in Numba)
    head = "# jit=True: the first function is compiled by Numba (numba.njit); the second is plain Python\n"
    source = head + "@_ad.jit.njit\n" + text
    origins[:0] = [None, None]
    cells = dict(unit.cells)
    derivation.ctx.freeze(names.externs)
    for name, obj in names.externs.items():
        cells[name] = types.CellType(obj)
    cells.update(names.live_cells)
    filename = codegen._unique(f"<ad_compiler: {wrapper.name} of {unit.filename}:{unit.first_line}>", source)
    codegen.register_source(filename, source)
    compiled, core_cell = _exec(source, wrapper.name, core.name, filename, derivation.func.__globals__, cells)
    core_cell.cell_contents = FirstCall(core_cell.cell_contents, core_cell, origins, filename, numba)
    if wrapper.defaults:
        compiled.__defaults__ = tuple(d.value if isinstance(d, ir.Const) else d.obj for d in wrapper.defaults)
    compiled.source = source
    compiled._ad_text = source
    compiled._ad_origins = origins
    compiled._ad_random = ()
    compiled._ad_jit = core_cell
    codegen._compiled[filename] = weakref.ref(compiled)
    return compiled


def _exec(source, wrapper_name, core_name, filename, user_globals, cells):
    """Run `source` in a factory function whose parameters are its free names (`_ad`, closure values):
    (the wrapper, the cell holding the compiled function)."""
    tree = ast.parse(source, filename=filename)
    freevars = sorted(v for v in set(cells) | {"_ad"} if re.search(r"\b" + re.escape(v) + r"\b", source))
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=v) for v in freevars], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
    ret = ast.Return(value=ast.Name(id=wrapper_name, ctx=ast.Load()))
    factory = ast.FunctionDef(name="_ad_factory", args=args, body=tree.body + [ret], decorator_list=[],
                              returns=None)
    if hasattr(ast, "TypeAlias"):  # Python 3.12+
        factory.type_params = []
    last = source.count("\n") + 1
    for node in [factory, ret, ret.value] + list(args.args):
        node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = 1, 0, last, 0
    code = compile(ast.Module(body=[factory], type_ignores=[]), filename, "exec")
    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    make = types.FunctionType(factory_code, user_globals, "_ad_factory")
    values = [runtime if v == "_ad" else cells[v].cell_contents for v in freevars]
    wrapper = make(*values)
    cell = wrapper.__closure__[wrapper.__code__.co_freevars.index(core_name)]
    # (the wrapper reads the user's closure variables live, through their very cells, as the plain derivative
    # does (codegen.compile_source): the factory's cells hold the values they had when compiling, h19-001)
    closure = tuple(cells[v] if v in cells else c for v, c in zip(wrapper.__code__.co_freevars, wrapper.__closure__))
    wrapper = types.FunctionType(wrapper.__code__, user_globals, wrapper_name, wrapper.__defaults__, closure)
    return wrapper, cell


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FirstCall:
    """Stands for the compiled function until its first call returns: Numba compiles it then, and an error
    of Numba's becomes an UnsupportedError at the user's line (after that, the wrapper calls Numba's
    function directly)."""

    def __init__(self, dispatcher, cell, origins, filename, numba):
        self.dispatcher = dispatcher
        self.cell = cell
        self.origins = origins
        self.filename = filename
        self.errors = numba.core.errors.NumbaError
        self.compile_seconds = None
        self.hooked = hasattr(dispatcher, "_compile_for_args")
        # (a later call with arguments of other types, e.g. a transposed matrix in a list, compiles again
        # after the cell holds the dispatcher itself: Numba's dispatcher looks this method up on the
        # instance when no compiled version fits, so its errors are located there too, at no cost per call)
        if self.hooked:
            dispatcher._compile_for_args = self.compile_located(dispatcher._compile_for_args)

    def compile_located(self, compile_for_args):
        def compile_for_types(*args, **kws):
            try:
                return compile_for_args(*args, **kws)
            except ADError:
                raise
            except Exception as exc:
                raise self.located(exc) from None
        return compile_for_types

    def __call__(self, *args):
        t0 = time.process_time()
        compiled = len(self.dispatcher.overloads)
        try:
            out = self.dispatcher(*args)
        except ADError:
            raise
        except self.errors as exc:
            raise self.located(exc) from None
        except Exception as exc:
            # (raised while compiling, not by the code run; with the hook, a first call that raised running,
            # e.g. ZeroDivisionError, leaves the count unchanged at the next call: that one is the code's too)
            if not self.hooked and len(self.dispatcher.overloads) == compiled:
                raise self.located(exc) from None
            raise
        self.compile_seconds = time.process_time() - t0
        self.cell.cell_contents = self.dispatcher
        return out

    def located(self, exc):
        text = _ANSI.sub("", str(exc))
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        useful = [x for x in lines if not x.startswith(("Failed in", "During:", "File ", "<source"))]
        why = " ".join(useful[:2]) if useful and useful[0].endswith(":") else (useful[0] if useful else text)
        origin = None
        lines_named = [f'File "{self.filename}", line {n}' for n in _numba_lines(exc, self.filename)]
        for m in re.finditer(r'File "([^"]*)", line (\d+)', "\n".join([text] + lines_named)):
            if m.group(1) == self.filename and 0 < int(m.group(2)) <= len(self.origins):
                # (a line the backend added, e.g. `n = x.shape[0]`: the user's line of the nearest one above)
                line = int(m.group(2))
                origin = next((o for o in reversed(self.origins[:line]) if o is not None), None)
                if origin is not None:
                    break
        where = origin.unit.location(origin.node) if origin is not None else None
        if where is None:  # (an error naming no line, e.g. an assertion inside Numba: the user's `def`)
            first = next((o for o in self.origins if o is not None), None)
            where = first.unit.location(first.unit.tree) if first is not None else None
            why = why or f"{type(exc).__name__} inside Numba"
            return UnsupportedError(f"jit=True: Numba cannot compile the derivative of this function: {why}",
                                    where=where, hint=HINT)
        why = why or f"{type(exc).__name__} inside Numba's type inference (a value whose type Numba cannot settle, " \
            "e.g. a list whose items' type is known only later)"
        return UnsupportedError(f"jit=True: Numba cannot compile the derivative of this line: {why}", where=where,
                                hint=HINT)


def _numba_lines(exc, filename):
    """The lines of the generated file `filename` that Numba's frames were at when `exc` (an error naming no
    line: an AssertionError inside Numba's type inference, j12-002) was raised: the `loc` of a typing
    constraint or of an IR node in the frames' locals, innermost first."""
    found = []
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        try:
            local = dict(frame.f_locals)
        except Exception:  # noqa: BLE001  (a frame whose locals cannot be read: skipped)
            continue
        for value in [local.get("self"), local.get("inst"), local.get("stmt"), local.get("expr")] + \
                [local.get("loc")]:
            loc = value if type(value).__name__ == "Loc" else getattr(value, "loc", None)
            if type(loc).__name__ == "Loc" and getattr(loc, "filename", None) == filename and \
                    isinstance(getattr(loc, "line", None), int):
                found.append(loc.line)
    return found
