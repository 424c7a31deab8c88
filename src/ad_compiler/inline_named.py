"""Named tuples made in the function (ob3-008): `p = P(a, b)` of a class made by `typing.NamedTuple` or
`collections.namedtuple` (its generated `__new__`) is written `t = (a, b); p = _ad.as_named(P, t)`: the very
named tuple at run time (`isinstance`, `type(p)`, `p._fields`, what the caller gets are Python's), a tuple of
those items for the compiler (its kinds, sharing, adjoints and tangents are the tuple's: runtime.as_named is
linear, rules/language.py). A field read by name, `p.a`, is its item `p[0]`; `p._replace(a=v)` the new named
tuple of the other items and v."""
from __future__ import annotations

import inspect

from . import ir
from .errors import UnsupportedError
from .inline_static import is_simple
from .ir import Assign, Build, Call, Const, Global, Var


def is_named_tuple_class(cls):
    """A class made by namedtuple / typing.NamedTuple whose `__new__` is the generated one."""
    if not (isinstance(cls, type) and issubclass(cls, tuple)):
        return False
    base = next((k for k in cls.__mro__ if "_make" in vars(k) and "_fields" in vars(k)), None)
    new = vars(base).get("__new__") if base is not None else None
    return new is not None and cls.__new__ is getattr(new, "__func__", new)


def _runtime():
    from . import runtime

    return runtime


def made(inliner, stmt, cls, call, target, env):
    """The statements replacing `target = cls(...)`: the items bound to the fields, then `_ad.as_named`."""
    values = inliner.values
    if any(isinstance(a, ir.Starred) for a in call.args) or any(k is None for k, _ in call.kwargs):
        return None
    try:
        bound = inspect.signature(cls).bind(*call.args, **dict(call.kwargs))
    except TypeError as e:
        raise UnsupportedError(f"making a `{cls.__name__}` named tuple: {e}", where=values.where(stmt),
                               hint="give each field once") from None
    items = []
    for name in cls._fields:
        if name in bound.arguments:
            items.append(bound.arguments[name])
        elif is_simple(cls._field_defaults.get(name)):
            items.append(Const(cls._field_defaults[name]))
        else:
            raise UnsupportedError(f"making a `{cls.__name__}` named tuple whose field `{name}` takes its default, "
                                   "which is not a number or a string", where=values.where(stmt),
                                   hint=f"give `{name}=` to the call")
    return _as_named(inliner, stmt, cls, items, target, env)


def _as_named(inliner, stmt, cls, items, target, env):
    values = inliner.values
    t = inliner.alloc.temp()
    out = inliner.statement(values.new_stmt(stmt, Assign((t,), Build("tuple", tuple(items)))), env)
    rt = _runtime()
    call = Call(Global(("_ad", "as_named"), rt.as_named, rt), (Global((cls.__name__,), cls), Var(t)))
    name = target if target is not None else inliner.alloc.temp()
    out += inliner.statement(values.new_stmt(stmt, Assign((name,), call)), env)
    env[name] = ("named", cls)
    return out


def named_class(static):
    return static[1] if isinstance(static, tuple) and static[0] == "named" else None


def field_read(inliner, stmt, value, target, env):
    """`target = p.a` of a named tuple made in the function: `target = p[i]` (None: not such a read)."""
    if not (isinstance(value, ir.Attr) and isinstance(value.value, Var)):
        return None
    cls = named_class(env.get(value.value.name))
    if cls is None or value.attr not in cls._fields:
        return None
    index = ir.Index(value.value, (Const(cls._fields.index(value.attr)),))
    return inliner.statement(inliner.values.new_stmt(stmt, Assign((target,), index)), env)


def replaced(inliner, stmt, call, target, env):
    """`target = p._replace(a=v)` of a named tuple made in the function: the new one of p's other items."""
    if not (isinstance(call.func, ir.Attr) and call.func.attr == "_replace" and isinstance(call.func.value, Var)):
        return None
    cls = named_class(env.get(call.func.value.name))
    if cls is None or call.args or any(k not in cls._fields for k, _ in call.kwargs):
        return None
    changes = dict(call.kwargs)
    out, items = [], []
    for i, name in enumerate(cls._fields):
        if name in changes:
            items.append(changes[name])
            continue
        t = inliner.alloc.temp()
        out += inliner.statement(inliner.values.new_stmt(stmt, Assign((t,), ir.Index(call.func.value, (Const(i),)))),
                                 env)
        items.append(Var(t))
    return out + _as_named(inliner, stmt, cls, items, target, env)
