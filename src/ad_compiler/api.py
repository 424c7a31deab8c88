"""The public API: grad, value_and_grad, vjp, show (see shared SPEC: the API contract).

`grad(f)` runs the pipeline parse -> normalize -> analysis -> reverse -> optimize -> codegen once per
(function, wrt, mode) and returns the generated function itself (with `.source`, `.primal`, `.wrt`), so
calling it costs exactly what the generated code costs.
"""
import ast
import functools
import inspect
import math
import weakref

import numpy as np

from . import callees, rules
from .analysis import analyze
from .codegen import compile_source, to_source
from .errors import ADError, NoDerivativeError
from .markers import no_grad, stop_gradient  # noqa: F401  (re-exported)
from .normalize import normalize
from .optimize import optimize
from .parse import parse_function
from .reverse import reverse

rules.load_builtin_rules()
rules.nondifferentiable(stop_gradient)

_cache = weakref.WeakKeyDictionary()


def _wrt_names(params, wrt, func_name):
    multi = isinstance(wrt, (tuple, list))
    items = list(wrt) if multi else [wrt]
    if not items:
        raise ADError("`wrt` is empty", hint="name at least one argument to differentiate with respect to")
    names = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise ADError(f"`wrt` items must be argument positions or names, got {w!r}")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                raise ADError(f"{func_name} has {len(params)} arguments; wrt={w} is out of range")
            w = params[w]
        elif w not in params:
            raise ADError(f"{func_name} has no argument named {w!r} (its arguments: {', '.join(params)})")
        if w in names:
            raise ADError(f"argument {w!r} appears twice in `wrt`")
        names.append(w)
    return names, multi


def _function_name(fname, wrt, mode):
    sep = "" if all(len(w) == 1 for w in wrt) else "_"
    base = f"d{fname}_d{sep.join(wrt)}"
    return {"grad": base, "value_and_grad": f"value_and_{base}", "vjp": f"vjp_{fname}_d{sep.join(wrt)}"}[mode]


def _libraries(parsed, fn):
    libs = {}
    for alias, module in (("np", np), ("math", math)):
        found, obj = parsed.lookup(alias)
        if found and obj is module and alias not in fn.local_vars and alias not in parsed.cells:
            libs[alias] = ast.Name(id=alias, ctx=ast.Load())
        else:
            libs[alias] = ast.Attribute(value=ast.Name(id="_ad", ctx=ast.Load()), attr=alias, ctx=ast.Load())
    return libs


def _derive(f, names, mode, multi, func_name_for, known=None):
    """Run the pipeline on `f`: returns (parsed, function AST, source, linker)."""
    parsed = parse_function(f)
    parsed.known = dict(known or {})
    fn = normalize(parsed)
    activity = analyze(parsed, fn, names)
    func_name = fn.allocator.fresh(func_name_for(fn))
    linker = callees.Linker(fn.allocator.taken | set(parsed.cells))
    fdef = reverse(parsed, fn, activity, names, mode, _libraries(parsed, fn), func_name, multi, linker)
    optimize(fdef)
    source = to_source([fdef])
    return parsed, func_name, source, linker


def _build(f, wrt, mode, receiver=None, known=None, lazy_ok=True):
    try:
        return _build_now(f, wrt, mode, receiver, known)
    except NoDerivativeError as exc:
        if lazy_ok and receiver is None and not known and getattr(exc, "needs_object", None):
            return _compile_at_first_call(f, wrt, mode)
        raise


def _compile_at_first_call(f, wrt, mode):
    """For a function calling methods of objects it receives (`model.forward(x)`), the methods are only
    known once the objects are: compile at the first call, once per set of argument objects."""
    params = _params(f)
    compiled = {}

    def gradient(*args):
        objects = {p: a for p, a in zip(params, args) if _is_model(a)}
        key = tuple((p, id(a)) for p, a in objects.items())
        g = compiled.get(key)
        if g is None:
            g = compiled[key] = _build(f, wrt, mode, known=objects, lazy_ok=False)
            gradient.source = g.source
        return g(*args)

    gradient.source = "(compiled at the first call, when the objects passed in are known)"
    gradient.primal = f
    gradient.wrt = wrt
    gradient.__name__ = _function_name(f.__name__, [str(w) for w in (wrt if isinstance(wrt, tuple) else (wrt,))], mode)
    return gradient


def _is_model(value):
    return hasattr(value, "__dict__") and not isinstance(value, (np.ndarray, type)) and not callable(value)


def _build_now(f, wrt, mode, receiver=None, known=None):
    if not inspect.isfunction(f):
        parse_function(f)  # raises the explanatory error
    params = _params(f)
    known = dict(known or {})
    if receiver is not None:  # a bound method: `self` is known; wrt counts the other parameters
        known[params[0]] = receiver
        items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
        items = [w + 1 if isinstance(w, int) and not isinstance(w, bool) and w >= 0 else w for w in items]
        wrt = tuple(items) if isinstance(wrt, (tuple, list)) else items[0]
    names, multi = _wrt_names(params, wrt, f.__name__)
    parsed, func_name, source, linker = _derive(f, names, mode, multi,
                                               lambda fn: _function_name(fn.name, names, mode), known)
    filename = f"<ad_compiler: {func_name} of {parsed.filename}:{parsed.first_line}>"
    g = compile_source(source, func_name, filename, f.__globals__, {**parsed.cells, **linker.cells})
    if mode != "vjp" and f.__defaults__:
        g.__defaults__ = f.__defaults__
    g.source = "\n\n".join([source] + callees.all_sources(linker.deps))
    g.primal = f
    g.wrt = tuple(names) if multi else names[0]
    g.__qualname__ = func_name
    g.__module__ = f.__module__
    g.__doc__ = f"{mode} of {f.__qualname__} with respect to {', '.join(names)} (generated by ad_compiler)."
    return g


def build_callee(derivative):
    """Compile the derivative of a function called from differentiated code (see callees.py)."""
    f = derivative.func
    receiver = derivative.receiver
    known = {_params(f)[0]: receiver} if receiver is not None and _params(f) else {}
    parsed, func_name, source, linker = _derive(f, list(derivative.active), "callee", True,
                                               lambda fn: derivative.name, known)
    cells = {**parsed.cells, **linker.cells}
    cells[derivative.name] = derivative.cell  # a recursive call refers to itself
    filename = f"<ad_compiler: {func_name} of {parsed.filename}:{parsed.first_line}>"
    g = compile_source(source, func_name, filename, f.__globals__, cells)
    if f.__defaults__:
        g.__defaults__ = f.__defaults__
    derivative.source = source
    derivative.deps = linker.deps
    derivative.cell.cell_contents = g


def _params(f):
    if not inspect.isfunction(f):
        return []
    return list(inspect.signature(f).parameters)


def _get(f, wrt, mode):
    if inspect.ismethod(f) and inspect.isfunction(f.__func__):
        return _get_bound(f, wrt, mode)
    key = (tuple(wrt) if isinstance(wrt, list) else wrt, mode)
    try:
        per_function = _cache[f]
    except KeyError:
        per_function = _cache[f] = {}
    except TypeError:
        per_function = {}
    g = per_function.get(key)
    if g is None:
        g = per_function[key] = _build(f, wrt, mode)
    return g


def _get_bound(method, wrt, mode):
    """grad of a bound method `obj.loss`: compiled for this object, called without `self`."""
    func, obj = method.__func__, method.__self__
    key = (tuple(wrt) if isinstance(wrt, list) else wrt, mode, id(obj))
    per_function = _cache.setdefault(func, {})
    g = per_function.get(key)
    if g is None:
        g = per_function[key] = _build(func, wrt, mode, receiver=obj)
    bound = functools.partial(g, obj)
    bound.source, bound.primal, bound.wrt = g.source, method, g.wrt
    return bound


def grad(f=None, wrt=0):
    """The gradient of the scalar function `f` with respect to `wrt` (position, name, or a tuple of them).

    Returns the generated derivative function, called like `f`. Also a decorator, with or without options:
    `@grad` or `@grad(wrt=("w1", "w2"))`.
    """
    if f is None:
        return lambda func: _get(func, wrt, "grad")
    return _get(f, wrt, "grad")


def value_and_grad(f=None, wrt=0):
    """Like `grad`, but the generated function returns `(f(...), gradient(s))`."""
    if f is None:
        return lambda func: _get(func, wrt, "value_and_grad")
    return _get(f, wrt, "value_and_grad")


def vjp(f=None, wrt=0):
    """The vector-Jacobian product of `f`: a function `(*args, seed)` returning seed^T J for each `wrt`.

    `seed` has the shape of f's output; this is torch's `y.backward(seed)`.
    """
    if f is None:
        return lambda func: _get(func, wrt, "vjp")
    return _get(f, wrt, "vjp")


def show(g):
    """Print the generated source of a derivative function."""
    source = getattr(g, "source", None)
    if source is None:
        raise ADError(f"{g!r} is not a function generated by ad_compiler")
    print(source, end="")
