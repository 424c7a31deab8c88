"""Runtime helpers that change their arguments, in generated code read again (alias.py).

The adjoint sweep updates adjoint buffers in place through a few helpers. When a derivative is itself
differentiated (`ad.hessian`, `ad.grad(ad.grad(f))`), each call becomes explicit statements the passes
follow, the way `y.fill(c)` becomes `y[...] = c` (alias_mutation.py):

    t = _ad.pop_item(b, i)        array:      t = _ad.store_adjoint(b, i); b[i] = 0.0
                                  list: t = b[i] (dict: b.get(i)); b[i] = _ad.zero_entries(t, i)
                                  either (an int index): t = _ad.store_adjoint(b, i); b[i] = _ad.zero_entries(t, i)
    _ad.add_at(b, i, v)           array, basic index: t = _ad.store_adjoint(b, i); t2 = t + v; b[i] = t2
                                  array, other index: t = _ad.added_at(b, i, v); b[...] = t
                                  list, dict: t = b[i]; t2 = _ad.add(_ad.entry_or_zeros(t, v), v); b[i] = t2
    t = _ad.pop_tail(b, items)    items of known length n: n `.pop()`s, t = [what they gave, in order]
    _ad.restore_item(b, i, old)   list: b[i] = old

The helpers used here are pure and have rules (rules/helpers.py). What cannot be written so (a tail of
unknown length; restoring an item of a dict, which may remove the key) is refused, located.
"""
from __future__ import annotations

import numpy as np

from . import ir, kinds as K
from .alias_library import runtime
from .alias_session import Part
from .ir import Assign, Build, Call, Const, Global, Mutate, SetItem, Var

REWRITTEN = ("pop_item", "add_at", "pop_tail", "restore_item")


def _helper(name, *args):
    rt = runtime()
    return Call(Global(("_ad", name), getattr(rt, name), rt), tuple(args))


class Effects(Part):
    """Calls of the in-place runtime helpers, as stores and list methods."""

    def rewrite(self, s, call, target, state, site):
        """The statements replacing `target = call` (target None: a call as a statement), or None when the
        call is not one of these helpers."""
        func = call.func
        if not (isinstance(func, Global) and getattr(func.obj, "__module__", None) == runtime().__name__ and
                func.path[-1] in REWRITTEN and self.mode == "rewrite") or call.kwargs:
            return None
        name = func.path[-1]
        args = call.args
        if not args or not isinstance(args[0], Var):
            return None
        buf = args[0]
        kind = self.values.val(buf, state).kind
        container = isinstance(kind, (K.Seq, K.Dict))
        array = isinstance(kind, K.Array)
        if name == "pop_item" and (array or container):
            return self.pop_item(s, buf, args[1], target, container, state, site)
        if name == "pop_item" and kind is K.UNKNOWN and self.basic(args[1], state):
            # (a list or an array, known when it runs: an adjoint joined from two kinds; store_adjoint and
            # zero_entries serve both, n27-006)
            return self.pop_item_either(s, buf, args[1], target, state, site)
        if name == "add_at" and (array or container) and target is None:
            return self.add_at(s, buf, args[1], args[2], container, state, site)
        if name == "add_at" and kind is K.UNKNOWN and target is None and self.basic(args[1], state):
            # (a list or an array, known when it runs: a recursive call's result; store_adjoint and add serve both)
            return self.add_at(s, buf, args[1], args[2], False, state, site)
        if name == "pop_tail" and isinstance(kind, K.Seq):
            n = self.length(args[1], state)
            if n is not None:
                return self.pop_tail(s, buf, n, target, state, site)
        if name == "restore_item" and isinstance(kind, K.Seq) and target is None:
            return self.store(s, buf, args[1], args[2], state, site)
        self.refuse(s, f"generated code changing a value in place through `_ad.{name}` cannot be differentiated "
                       "again here (the compiler cannot write it as plain stores)",
                    "differentiate the function itself with ad.hessian, ad.hvp or ad.jacfwd")

    # -- the rewrites -------------------------------------------------------------------------------------
    def assign(self, s, target, value, state, site):
        return self.assignments.assign(self.derived(s, Assign((target,), value)), state, site)

    def store(self, s, buf, index, value, state, site):
        return self.stores.store(self.derived(s, SetItem(buf, (index,), value)), state, site + ("store",))

    def pop_item(self, s, buf, index, target, container, state, site):
        taken = target or self.temp()
        if container:
            # (a dict adjoint may lack the key: an object's adjoint holds only the attributes read, and pop_item
            # gives None there; `b.get(k)` is that, a list's entry is always there)
            kind = self.values.val(buf, state).kind
            read = Call(ir.Attr(buf, "get"), (index,)) if isinstance(kind, K.Dict) else ir.Index(buf, (index,))
            out = self.assign(s, taken, read, state, site + ("take",))
            zero = self.temp()
            out += self.assign(s, zero, _helper("zero_entries", Var(taken), index), state, site + ("zero",))
            return out + self.store(s, buf, index, Var(zero), state, site)
        out = self.assign(s, taken, _helper("store_adjoint", buf, index), state, site + ("take",)) \
            if target is not None else []
        return out + self.store(s, buf, index, Const(0.0), state, site)

    def pop_item_either(self, s, buf, index, target, state, site):
        """`t = _ad.pop_item(b, i)` of a list or an array, an int index: t = store_adjoint(b, i) (a copy of an
        array's entries, a list's entry), b[i] = zero_entries(t, i) (zeros like them; None for a container)."""
        taken = target or self.temp()
        out = self.assign(s, taken, _helper("store_adjoint", buf, index), state, site + ("take",))
        zero = self.temp()
        out += self.assign(s, zero, _helper("zero_entries", Var(taken), index), state, site + ("zero",))
        return out + self.store(s, buf, index, Var(zero), state, site)

    def add_at(self, s, buf, index, value, container, state, site):
        if not container and not self.basic(index, state):
            total = self.temp()
            out = self.assign(s, total, _helper("added_at", buf, index, value), state, site + ("add",))
            # (`b[:]`, not `b[...]`: b may be a list its kind took for an array, and an index that is not basic
            # means at least one dimension)
            return out + self.store(s, buf, ir.Slice(), Var(total), state, site)
        old, total = self.temp(), self.temp()
        # (an array's entries are read as a copy: a view of `b` would see the store)
        taken = ir.Index(buf, (index,)) if container else _helper("store_adjoint", buf, index)
        out = self.assign(s, old, taken, state, site + ("take",))
        if container:  # (zeros a later store into the slot left, of another shape than the item's: none, g4-010)
            kept = self.temp()
            out += self.assign(s, kept, _helper("entry_or_zeros", Var(old), value), state, site + ("stale",))
            old = kept
        added = _helper("add", Var(old), value)  # (structure-aware: never list concatenation)
        out += self.assign(s, total, added, state, site + ("add",))
        return out + self.store(s, buf, index, Var(total), state, site)

    def pop_tail(self, s, buf, n, target, state, site):
        out, popped = [], []
        for k in range(n):
            p = self.temp()
            popped.append(Var(p))
            m = self.derived(s, Mutate(buf, "pop", (), out=p))
            out += self.mutations.mutate(m, state, site + ("pop", k))
        if target is not None:
            out += self.assign(s, target, Build("list", tuple(reversed(popped))), state, site + ("tail",))
        return out

    # -- facts about the arguments ------------------------------------------------------------------------
    def basic(self, index, state):
        """Is the index certainly basic (ints, slices, None, ...): `b[i] += v` adds each entry once?"""
        if isinstance(index, Const):
            v = index.value
            return v is None or v is Ellipsis or isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        k = self.values.val(index, state).kind
        return self.basic_kind(k)

    def basic_kind(self, k):
        if isinstance(k, K.Scalar):
            return k.cls is not bool and k.cls is not np.bool_ and np.issubdtype(k.cls, np.integer)
        if isinstance(k, K.Other):
            return k.cls in (slice, type(None), type(Ellipsis))
        if isinstance(k, K.Seq) and k.cls is tuple and k.items is not None:
            return all(self.basic_kind(i) for i in k.items)
        return False

    def length(self, items, state):
        k = self.values.val(items, state).kind
        if isinstance(k, K.Seq) and k.items is not None:
            return len(k.items)
        return None
