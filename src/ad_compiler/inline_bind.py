"""Binding a call's arguments to the parameters of the function inlined in its place: positional and keyword
arguments, `*args` of a tuple and `**kwargs` of a dict known when compiling, defaults (a closure's values, or
read from the function's `__defaults__`/`__kwdefaults__`), and the callee's own `*args`/`**kwargs`."""
from . import ir
from .errors import UnsupportedError
from .inline_static import is_simple, static_of_atom
from .ir import Build, Const, Global


def bind_arguments(stmt, callee, fdef, args, kwargs, closure_defaults, func_obj, env):
    """(IR param name, atom) pairs binding the call's arguments to the callee's parameters."""
    where = stmt.origin.unit.location(stmt.origin.node)
    expanded = _expand_args(args, env, where)
    kw = _expand_kwargs(kwargs, env, where)
    a = fdef.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    names = callee.scope.names
    values = {}
    if len(expanded) > len(positional) and not a.vararg:
        raise UnsupportedError(f"calling `{fdef.name}` with too many arguments", where=where)
    for p, v in zip(positional, expanded):
        values[p] = v
    extra = expanded[len(positional):]
    kwonly = [p.arg for p in a.kwonlyargs]
    rest_kw = []
    for k, v in kw:
        if (k in positional and k not in [p.arg for p in a.posonlyargs]) or k in kwonly:
            if k in values:
                raise UnsupportedError(f"calling `{fdef.name}` with `{k}` twice", where=where)
            values[k] = v
        elif a.kwarg:
            rest_kw.append((k, v))
        else:
            raise UnsupportedError(f"calling `{fdef.name}` with the keyword `{k}`, which it does not take",
                                   where=where)
    defaults = {}
    n_def = len(a.defaults)
    if n_def:
        for i, p in enumerate(positional[len(positional) - n_def:]):
            defaults[p] = _default(func_obj, closure_defaults, i)
    for i, p in enumerate(kwonly):
        if a.kw_defaults[i] is not None:
            defaults[p] = _kw_default(func_obj, p)
    out = []
    for p in positional + kwonly:
        if p in values:
            out.append((names[p], values[p]))
        elif p in defaults:
            out.append((names[p], defaults[p]))
        else:
            raise UnsupportedError(f"calling `{fdef.name}` without its argument `{p}`", where=where)
    if a.vararg:
        out.append((names[a.vararg.arg], Build("tuple", tuple(extra))))
    if a.kwarg:
        out.append((names[a.kwarg.arg], Build("dict", tuple(v for _, v in rest_kw),
                                              tuple(Const(k) for k, _ in rest_kw))))
    return out


def _expand_args(args, env, where):
    """The positional arguments, `*args` of a known tuple expanded."""
    expanded = []
    for a in list(args):
        if isinstance(a, ir.Starred):
            t = static_of_atom(a.value, env)
            if isinstance(t, Build) and t.kind == "tuple":
                expanded.extend(t.items)
                continue
            raise UnsupportedError("a call with `*args` of a tuple not known when compiling", where=where,
                                   hint="pass the arguments one by one")
        expanded.append(a)
    return expanded


def _expand_kwargs(kwargs, env, where):
    """The keyword arguments, `**kwargs` of a known dict (with constant keys) expanded."""
    kw = []
    for k, v in kwargs:
        if k == "**":
            d = static_of_atom(v, env)
            if isinstance(d, Build) and d.kind == "dict" and all(isinstance(x, Const) for x in d.keys):
                kw.extend((x.value, item) for x, item in zip(d.keys, d.items))
                continue
            raise UnsupportedError("a call with `**kwargs` of a dict not known when compiling", where=where,
                                   hint="pass the keyword arguments one by one")
        kw.append((k, v))
    return kw


def _default(func_obj, closure_defaults, i):
    """The default of the i-th parameter that has one."""
    if closure_defaults is not None:
        return closure_defaults[i]
    value = func_obj.__defaults__[i]
    if is_simple(value):
        return Const(value)
    return ir.Index(ir.Attr(_function_ref(func_obj), "__defaults__"), (Const(i),))


def _kw_default(func_obj, name):
    value = (func_obj.__kwdefaults__ or {})[name]
    if is_simple(value):
        return Const(value)
    return ir.Index(ir.Attr(_function_ref(func_obj), "__kwdefaults__"), (Const(name),))


def _function_ref(func_obj):
    return Global((func_obj.__name__,), func_obj)
