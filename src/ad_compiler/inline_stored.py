"""The inliner (inline.py), its bookkeeping of stored values: what is known of a list's or dict's items
after `c[key] = v`, and the values a `functools.partial` keeps (copied where it is made, read where it is
called)."""
from . import ir
from .inline_static import is_container, static_of_atom
from .ir import Assign, Const, Var


def stored(inliner, s, env):
    """`c[key] = v`: what is known of c's items follows (a list's or dict's item, by a constant key), under
    every name holding c; otherwise it is forgotten."""
    name = s.target.name
    static = env.get(name)
    if not is_container(static):
        return
    key = s.items[0] if len(s.items) == 1 and not s.tuple_form else None
    new = None
    if isinstance(key, Const) and s.op is None and isinstance(static, tuple) and static[0] in ("seq", "dict"):
        value = static_of_atom(s.value, env)
        if static[0] == "seq" and isinstance(key.value, int) and -len(static[2]) <= key.value < len(static[2]):
            items = list(static[2])
            items[key.value] = value
            new = ("seq", static[1], tuple(items))
        elif static[0] == "dict":
            keys, items = list(static[1]), list(static[2])
            if key.value in keys:
                items[keys.index(key.value)] = value
            else:
                keys.append(key.value)
                items.append(value)
            new = ("dict", tuple(keys), tuple(items))
    holders = [k for k, v in env.items() if v is static]
    inliner.forget(env, name)
    if new is not None:
        for k in holders:
            env[k] = new


def snapshot(alloc, s, partial):
    """A partial made here keeps the values its stored arguments have now (`partial(f, a=acc)`, then
    `acc = ...`: the call still passes the old acc): each stored name is copied into a temporary."""
    pre = []

    def keep(atom):
        if not isinstance(atom, Var):
            return atom
        t = alloc.temp()
        a = Assign((t,), atom)
        a.origin, a.nograd = s.origin, s.nograd
        pre.append(a)
        return Var(t)
    kind, target, fatom, args, kwargs = partial
    return (kind, target, fatom, [keep(a) for a in args], [(k, keep(v)) for k, v in kwargs]), pre


def stored_arguments(alloc, stmt, prefix, extra_kwargs):
    """Statements reading the stored arguments of a partial where it is called: each one that is not an
    atom goes into a temporary (replaced in `prefix` / `extra_kwargs`)."""
    pre = []
    for i, p in enumerate(prefix):
        if not ir.is_atom(p):
            t = alloc.temp()
            a = Assign((t,), p)
            a.origin, a.nograd = stmt.origin, stmt.nograd
            pre.append(a)
            prefix[i] = Var(t)
    for i, (k, p) in enumerate(extra_kwargs):
        if not ir.is_atom(p):
            t = alloc.temp()
            a = Assign((t,), p)
            a.origin, a.nograd = stmt.origin, stmt.nograd
            pre.append(a)
            extra_kwargs[i] = (k, Var(t))
    return pre

