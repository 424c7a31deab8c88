"""The defaults a user's rule receives: the function's own, not its template's.

A call `withdef(x)` of `def withdef(x, s=2.0)` runs the function with s = 2.0; its rule
`@ad.defvjp(withdef) def r(x, s=1.0): bx = g * s` was bound to the call by the template's signature, so its
adjoint read s = 1.0: a silently wrong gradient (h27b-001), and a `withdef.__defaults__` changed after
compiling was never seen (the template's signature is read once, when it is registered). JAX's custom_vjp
binds a call by the primal function's signature, defaults included.

`completed(func, rule, args, kwargs, ctx)` gives the call's keyword arguments with every parameter the call
leaves out and the function gives a default added by name (a constant, or the default object itself as a
Global: an array default is the very object the function reads), and records the function in `ctx.deps`, so
that a changed `__defaults__` / `__kwdefaults__` makes the derivative stale like an inlined callee's. Built-in
rules (the compiler's own templates, for library functions) are left as they are.
"""
import functools
import inspect

from . import ir
from .inline_static import is_simple


def prepared(ctx, s, func, rule, args, kwargs, kind_of=None):
    """The keyword arguments to bind the user's rule `rule` of `func` with, for the call statement `s` (args: atoms,
    the receiver first): its defaults completed; a call of a function of the user's whose body stores a value
    made from its arguments where the caller can read it refused first (rule_effects.py, h27b-009)."""
    module = getattr(rule.template, "__module__", "") or ""
    if inspect.isfunction(func) and not (module == "ad_compiler" or module.startswith("ad_compiler.")) and \
            ctx is not None and ctx.is_user_function_with_rule(func):
        from . import rule_effects

        rule_effects.refuse(func, s.origin.unit.location(s.origin.node) if s.origin else None,
                            _classes(func, args, kwargs, kind_of))
    return completed(func, rule, args, dict(kwargs), ctx)


def _classes(func, args, kwargs, kind_of):
    """Parameter name -> the user's class of the object the call gives it (a method of it the body calls may
    store the function's values in it: rule_effects, h28b-005)."""
    from .inline_resolve import is_library
    from . import kinds as K

    try:
        bound = inspect.signature(func).bind_partial(*args, **dict(kwargs))
    except (TypeError, ValueError):
        return None
    out = {}
    for name, atom in bound.arguments.items():
        if isinstance(atom, ir.Global):
            cls = type(atom.obj)
        else:
            kind = kind_of(atom) if kind_of is not None and isinstance(atom, ir.Var) else None
            cls = kind.cls if isinstance(kind, K.Obj) else None
        if isinstance(cls, type) and not is_library(cls) and cls.__module__ != "builtins":
            out[name] = cls
    return out or None


def completed(func, rule, args, kwargs, ctx):
    """`kwargs` (a dict name -> atom) with the defaults of `func` the call leaves out, for the user's rule `rule`
    of the Python function `func` called with `args` (atoms, the receiver first for a method)."""
    module = getattr(rule.template, "__module__", "") or ""
    if module == "ad_compiler" or module.startswith("ad_compiler.") or \
            not (inspect.isfunction(func) or isinstance(func, functools.partial)):
        return kwargs
    try:  # (a partial's signature: its stored keywords as defaults, h27b-015)
        bound = inspect.signature(func).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return kwargs  # (the rule's own binding says what does not fit)
    if ctx is not None and inspect.isfunction(func):
        kw = func.__kwdefaults__
        dep = (func, func.__code__, func.__defaults__, kw, tuple(kw.items()) if kw else ())
        if dep not in ctx.deps:
            ctx.deps.append(dep)
    template = rule.signature.parameters
    out = dict(kwargs)
    for name, param in inspect.signature(func).parameters.items():
        if name in bound.arguments or param.default is param.empty or name not in template or \
                template[name].kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = param.default
        if is_simple(value):
            out[name] = ir.Const(value)
        elif template[name].default is not value:
            out[name] = ir.Global((f"{getattr(func, '__name__', 'partial')}_default_{name}",), value)
    return out
