"""The alias pass's list and dict methods written as the simpler changes they make (alias_mutation.py routes
them here): `d.update(e)` / `d.setdefault(k, v)` as stores, key by key; `lst.insert(i, v)` / `lst.pop(i)` at a
constant position of a list of known length as the pops and appends Python's list makes.
"""
from __future__ import annotations

from . import ir, kinds as K
from .alias_session import Part
from .ir import Assign, Const, Mutate, SetItem, Var


class ContainerMethods(Part):
    """List and dict methods as stores, pops and appends; each returns the statements, or None (refused by
    alias_mutation as before)."""

    def dict_stores(self, s, call, k, state, site, target):
        """`d.update(e)` (e a dict of known keys) / `d.update(a=v)` and `d.setdefault(key, v)` (a constant key,
        d's keys known), as the stores they make, key by key in order (ob3-007). None where they do not apply."""
        method, owner = call.func.attr, call.func.value
        out = []
        if method == "update" and target is None and len(call.args) <= 1 and \
                all(key != "**" for key, _ in call.kwargs):  # (`d.update(**e)`: keys not known)
            pairs = []
            if call.args:
                other = call.args[0]
                ok = isinstance(other, Var) and self.values.val(other, state).kind
                if not (isinstance(ok, K.Dict) and all(type(key) in (str, int) for key in ok.keys)):
                    return None
                for j, key in enumerate(ok.keys):
                    t = self.temp()
                    out += self.assignments.assign(self.derived(s, Assign((t,), ir.Index(other, (Const(key),)))),
                                                   state, site + ("item", j))
                    pairs.append((key, Var(t)))
            pairs += [(key, v) for key, v in call.kwargs]
            for j, (key, v) in enumerate(pairs):
                out += self.stores.store(self.derived(s, SetItem(owner, (Const(key),), v)), state, site + ("store", j))
            return out
        if method == "setdefault" and len(call.args) in (1, 2) and not call.kwargs and \
                isinstance(call.args[0], Const) and type(call.args[0].value) in (str, int):
            key = call.args[0].value
            if key not in k.keys:
                v = call.args[1] if len(call.args) == 2 else Const(None)
                out += self.stores.store(self.derived(s, SetItem(owner, (Const(key),), v)), state, site + ("store",))
            if target is not None:
                out += self.assignments.assign(self.derived(s, Assign((target,), ir.Index(owner, (Const(key),)))),
                                               state, site + ("read",))
            return out
        return None

    def moving_tail(self, s, call, k, state, site, target):
        """`lst.insert(i, v)` and `lst.pop(i)` of a list of known length with a constant position, as the pops and
        appends Python's list would make: the items after i popped, v appended (or the item at i popped), the
        items put back in order (the same objects: exact; ob3-003). None where they do not apply."""
        method, owner = call.func.attr, call.func.value
        if method not in ("insert", "pop") or call.kwargs or k.items is None or not call.args or \
                not isinstance(call.args[0], Const) or type(call.args[0].value) is not int or \
                len(call.args) != (2 if method == "insert" else 1):
            return None
        n, i = len(k.items), call.args[0].value
        if method == "insert":
            if target is not None:
                return None
            p = min(max(i + n if i < 0 else i, 0), n)  # (Python clamps the position)
        else:
            p = i + n if i < 0 else i
            if not 0 <= p < n:
                return None  # (Python's IndexError: left to the plain refusal)
        out, tail = [], []
        for j in range(n - p - (method == "pop")):
            t = self.temp()
            tail.append(t)
            out += self.mutations.mutate(self.derived(s, Mutate(owner, "pop", (), out=t)), state, site + ("tail", j))
        if method == "insert":
            out += self.mutations.mutate(self.derived(s, Mutate(owner, "append", (call.args[1],))), state, site + ("new",))
        else:
            out += self.mutations.mutate(self.derived(s, Mutate(owner, "pop", (), out=target or self.temp())), state,
                               site + ("item",))
        for j, t in enumerate(reversed(tail)):
            out += self.mutations.mutate(self.derived(s, Mutate(owner, "append", (Var(t),))), state, site + ("back", j))
        return out
