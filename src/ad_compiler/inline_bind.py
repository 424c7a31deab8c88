"""Binding a call's arguments to the parameters of the function inlined in its place: positional and keyword
arguments, `*args` of a tuple and `**kwargs` of a dict known when compiling, defaults (a closure's values, or
read from the function's `__defaults__`/`__kwdefaults__`), and the callee's own `*args`/`**kwargs`."""
import inspect

import numpy as np

from . import ir
from .errors import UnsupportedError
from .inline_static import is_simple
from .ir import Build, Call, Const, Global, Var


def bind_arguments(stmt, callee, fdef, args, kwargs, closure_defaults, func_obj, env, values, pre):
    """(IR param name, atom) pairs binding the call's arguments to the callee's parameters. Items of `*seq`
    and `**d` are read into temporaries appended to `pre` (values: inline_values.FunctionValues)."""
    where = stmt.origin.unit.location(stmt.origin.node)
    a = fdef.args
    expanded, open_rest = values.expand_positional(stmt, list(args), env, pre, open_tail=a.vararg is not None)
    kw = values.expand_keywords(stmt, list(kwargs), env, pre)
    positional = [p.arg for p in a.posonlyargs + a.args]
    if open_rest is not None and len(expanded) < len(positional):
        raise UnsupportedError(f"a call with `*{open_rest.name if isinstance(open_rest, Var) else '...'}`, whose "
                               "length is not known when compiling, filling parameters of "
                               f"`{fdef.name}` other than its `*{a.vararg.arg}`", where=where,
                               hint="pass the arguments one by one, or unpack a tuple made in the function "
                                    "(`args = (a, b)`) or passed as an argument")
    names = callee.scope.names
    values_ = {}
    if len(expanded) > len(positional) and not a.vararg:
        raise UnsupportedError(f"calling `{fdef.name}` with too many arguments", where=where)
    for p, v in zip(positional, expanded):
        values_[p] = v
    extra = expanded[len(positional):]
    kwonly = [p.arg for p in a.kwonlyargs]
    rest_kw = []
    for k, v in kw:
        if (k in positional and k not in [p.arg for p in a.posonlyargs]) or k in kwonly:
            if k in values_:
                raise UnsupportedError(f"calling `{fdef.name}` with `{k}` twice", where=where)
            values_[k] = v
        elif a.kwarg:
            rest_kw.append((k, v))
        else:
            raise UnsupportedError(f"calling `{fdef.name}` with the keyword `{k}`, which it does not take",
                                   where=where)
    defaults = {}
    n_def = len(a.defaults)
    if n_def:
        for i, p in enumerate(positional[len(positional) - n_def:]):
            defaults[p] = _default(func_obj, closure_defaults, i, stmt)
    for i, p in enumerate(kwonly):
        if a.kw_defaults[i] is not None:
            defaults[p] = _kw_default(func_obj, p, closure_defaults, fdef, stmt)
    out = []
    for p in positional + kwonly:
        if p in values_:
            out.append((names[p], values_[p]))
        elif p in defaults:
            if not isinstance(defaults[p], (Const, Global)):
                _check_default_kept(callee, fdef, p)
            out.append((names[p], defaults[p]))
        else:
            raise UnsupportedError(f"calling `{fdef.name}` without its argument `{p}`", where=where)
    if a.vararg:
        rest = Build("tuple", tuple(extra))
        if open_rest is not None:  # the callee's *args collects a sequence of unknown length
            rest = Call(Global(("tuple",), tuple), (open_rest,)) if not extra else \
                ir.BinOp("+", values.temp(stmt, Build("tuple", tuple(extra)), env, pre),
                         values.temp(stmt, Call(Global(("tuple",), tuple), (open_rest,)), env, pre))
        out.append((names[a.vararg.arg], rest))
    if a.kwarg:
        out.append((names[a.kwarg.arg], Build("dict", tuple(v for _, v in rest_kw),
                                              tuple(Const(k) for k, _ in rest_kw))))
    return out


def _check_default_kept(callee, fdef, param):
    """A mutable default (`buf=np.zeros(2)`, `acc=[]`) is one object Python keeps from call to call: a change
    of it in place would be seen by the next call (in this function, or the next run of it), which the
    derivative, reading the default again, does not follow: refused at the change."""
    from .lazy_checks import change_in_place

    node = change_in_place(callee.unit, fdef, param)
    if node is not None:
        raise UnsupportedError(f"this changes the default value of `{param}` in place: Python keeps that one "
                               "object from call to call, so the next call would see the change",
                               where=callee.unit.location(node),
                               hint=f"make a new value in the function (`{param} = None` as the default, then "
                                    f"`if {param} is None: {param} = ...`), or pass it as an argument")


def _default(func_obj, closure_defaults, i, stmt):
    """The default of the i-th parameter that has one."""
    if closure_defaults is not None:
        return closure_defaults[i]
    return _known(func_obj.__defaults__[i], ir.Index(ir.Attr(_function_ref(func_obj), "__defaults__"), (Const(i),)),
                  stmt)


def _kw_default(func_obj, name, closure_defaults, fdef, stmt):
    if func_obj is None:  # a nested def: its keyword-only defaults were evaluated where it was defined
        n_pos = len(fdef.args.defaults)
        kw_with = [a.arg for a, d in zip(fdef.args.kwonlyargs, fdef.args.kw_defaults) if d is not None]
        return closure_defaults[n_pos + kw_with.index(name)]
    value = (func_obj.__kwdefaults__ or {})[name]
    return _known(value, ir.Index(ir.Attr(_function_ref(func_obj), "__kwdefaults__"), (Const(name),)), stmt)


def _known(value, read, stmt):
    """A default value: a constant as it is, a function (`nonlinearity=np.tanh`) by its name, anything else
    read from the function when the derivative runs."""
    if is_simple(value):
        return Const(value)
    from .inline_dataclass import _UNSET

    if value is _UNSET:  # (a dataclass field with a default_factory, not given: inline_objects.py)
        return Global(("_ad_unset",), value)
    if callable(value) and not isinstance(value, type) and (inspect.isfunction(value) or inspect.isbuiltin(value)
                                                             or isinstance(value, np.ufunc)):
        from .inline_values import spell_object

        return spell_object(value, stmt)
    return read


def _function_ref(func_obj):
    return Global((func_obj.__name__,), func_obj)
