"""`dataclasses.replace(obj, **changes)` of a dataclass object whose class is known when compiling, written as
what it does: the constructor called with the changes and, for every other field its `__init__` takes, the
object's attribute (`t = obj.w; new = C(w=t, s=v)`), which the inliner then inlines like any construction
(ob3-005). A change naming a field `__init__` does not take, or an InitVar the object cannot give, is Python's
ValueError: refused at the line."""
from __future__ import annotations

import dataclasses

from . import ir
from .errors import UnsupportedError
from .inline_objects import class_of
from .inline_static import static_of_atom
from .ir import Assign, Call, Global, Var


def replace_call(inliner, stmt, call, target, env):
    """The statements replacing `target = dataclasses.replace(obj, **changes)`, or None (not such a call)."""
    if not (isinstance(call.func, Global) and call.func.obj is dataclasses.replace and len(call.args) == 1 and
            isinstance(call.args[0], Var) and all(k is not None for k, _ in call.kwargs)):
        return None
    owner = call.args[0]
    cls = class_of(static_of_atom(owner, env))
    if cls is None or not dataclasses.is_dataclass(cls):
        return None
    values = inliner.values
    changes = dict(call.kwargs)
    fields = dataclasses.fields(cls)
    names = {f.name for f in fields}
    out, kwargs = [], []
    for name in changes:
        f = next((f for f in fields if f.name == name), None)
        if f is not None and not f.init or f is None and name not in _init_vars(cls):
            raise UnsupportedError(f"`dataclasses.replace` of a `{cls.__name__}` object with `{name}=`, a field its "
                                   "`__init__` does not take (Python raises ValueError)", where=values.where(stmt),
                                   hint="set the attribute after the call instead")
    missing = [n for n in _init_vars(cls) if n not in changes and n not in names]
    if missing:
        raise UnsupportedError(f"`dataclasses.replace` of a `{cls.__name__}` object without `{missing[0]}=`, an "
                               "InitVar the object does not keep (Python raises ValueError)",
                               where=values.where(stmt), hint=f"give `{missing[0]}=` to the call")
    for f in fields:
        if not f.init:
            continue
        if f.name in changes:
            kwargs.append((f.name, changes[f.name]))
            continue
        t = inliner.alloc.temp()
        out += inliner.statement(values.new_stmt(stmt, Assign((t,), ir.Attr(owner, f.name))), env)
        kwargs.append((f.name, Var(t)))
    kwargs += [(n, v) for n, v in changes.items() if n not in names]  # (InitVars given)
    made = Call(Global((cls.__name__,), cls), (), tuple(kwargs))
    new = Assign((target,), made) if target is not None else ir.ExprStmt(made)
    return out + inliner.statement(values.new_stmt(stmt, new), env)


def _init_vars(cls):
    """The names of the InitVar pseudo-fields of a dataclass (given to `__init__`, not kept)."""
    return [n for n, f in getattr(cls, "__dataclass_fields__", {}).items()
            if f._field_type is dataclasses._FIELD_INITVAR]
