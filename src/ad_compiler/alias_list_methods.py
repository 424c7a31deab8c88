"""The alias pass's list changes that move items (alias_mutation.py and alias_stores.py route them here):
`lst.reverse()`, `lst.sort(key=, reverse=)`, `lst.remove(v)`, `del lst[i]` / `del lst[a:b]` and
`lst[a:b] = values`, each written as the new list of the same items Python's list ends with, computed first
(slices, `+`, `sorted(...)`, `list(values)`: piecewise constant permutations of the same objects), then put
into the list itself with `lst.clear(); lst.extend(new)`, so that every other name of the list sees the change,
as in Python. Where this is not exact (a slice of bounds of mixed signs, or with a step, on a list of a length
not known), None: the caller refuses as before.
"""
from __future__ import annotations

from . import kinds as K
from .alias_session import Part
from .ir import Assign, Attr, BinOp, Build, Call, Const, Global, Index, Mutate, Slice, Var


def _const_int(a):
    return isinstance(a, Const) and type(a.value) is int


class ListMethods(Part):
    """List methods and statements that move items, as the list rebuilt (see the module docstring)."""

    def method(self, s, call, k, state, site, target):
        """`lst.reverse()`, `lst.sort(...)`, `lst.remove(v)`, `lst.__delitem__(i)` (`del lst[i]`) as the
        statements making the list anew; None where that does not apply."""
        method, owner = call.func.attr, call.func.value
        made = []
        if method == "pop" and len(call.args) == 1 and not call.kwargs:  # (a list of a length not known here)
            if target is None:
                target = self.temp()
            read = self.derived(s, Assign((target,), Index(owner, (call.args[0],))))
            read.keep = True  # (read even where nothing uses the item: `del lst[5]` of a known list of 2 items,
            # made a `.pop(5)` by alias_mutation, must raise IndexError as Python does; it was dropped: h26a-009)
            made += self.assignments.assign(read, state, site + ("item",))
            new = self.without(s, owner, call.args[0], state, site, made, checked=True)
            return made + self.put_back(s, owner, new, state, site)
        if target is not None:
            return None  # (the others' value is None: not used in practice)
        if method == "insert" and len(call.args) == 2 and not call.kwargs:
            # Python clamps the position as slicing does: `lst[:i] + [v] + lst[i:]`, for every integer i
            at = call.args[0]
            head = self.made(s, Index(owner, (Slice(None, at, None),)), state, site + ("head",), made)
            one = self.made(s, Build("list", (call.args[1],)), state, site + ("one",), made)
            tail = self.made(s, Index(owner, (Slice(at, None, None),)), state, site + ("tail",), made)
            new = self.made(s, BinOp("+", head, one), state, site + ("join",), made)
            new = self.made(s, BinOp("+", new, tail), state, site + ("join2",), made)
            return made + self.put_back(s, owner, new, state, site)
        if method == "reverse" and not call.args and not call.kwargs:
            new = self.made(s, Index(owner, (Slice(None, None, Const(-1)),)), state, site + ("new",), made)
        elif method == "sort" and not call.args and all(key in ("key", "reverse") for key, _ in call.kwargs):
            new = self.made(s, Call(Global(("sorted",), sorted), (owner,), call.kwargs), state,
                            site + ("new",), made)
        elif method == "remove" and len(call.args) == 1 and not call.kwargs:
            at = self.made(s, Call(Attr(owner, "index"), (call.args[0],)), state,
                           site + ("index",), made)
            new = self.without(s, owner, at, state, site, made)
        elif method == "__delitem__" and len(call.args) == 1 and not call.kwargs:
            item = call.args[0]
            if isinstance(item, Const) and isinstance(item.value, slice):
                new = self.sliced(s, owner, item.value, None, k, state, site, made)
            else:
                new = self.without(s, owner, item, state, site, made)
        else:
            return None
        if new is None:
            return None
        return made + self.put_back(s, owner, new, state, site)

    def store(self, s, state, site):
        """`lst[a:b] = values` as the list rebuilt; None where not exact."""
        k = self.values.val(s.target, state).kind
        bounds = s.items[0]
        parts = (bounds.lower, bounds.upper, bounds.step)
        if s.op is not None or not all(b is None or _const_int(b) for b in parts):
            return None
        made = []
        items = self.made(s, Call(Global(("list",), list), (s.value,)), state, site + ("values",), made)
        new = self.sliced(s, s.target, slice(*(b.value if b is not None else None for b in parts)), items, k,
                          state, site, made)
        if new is None:
            return None
        return made + self.put_back(s, s.target, new, state, site)

    # -- the pieces -----------------------------------------------------------------------------------------
    def made(self, s, value, state, site, out):
        """A temporary assigned `value` (its statements added to `out`)."""
        t = self.temp()
        out += self.assignments.assign(self.derived(s, Assign((t,), value)), state, site)
        return Var(t)

    def without(self, s, owner, at, state, site, out, checked=False):
        """The items of `owner` but the one at the integer `at`: `owner[:at] + owner[at:][1:]` (right for a
        negative `at` too), after `owner[at]` is read, so that a position out of range raises IndexError as
        Python does."""
        if not checked:
            check = self.derived(s, Assign((self.temp(),), Index(owner, (at,))))
            check.keep = True
            out += self.assignments.assign(check, state, site + ("check",))
        head = self.made(s, Index(owner, (Slice(None, at, None),)), state, site + ("head",), out)
        rest = self.made(s, Index(owner, (Slice(at, None, None),)), state, site + ("rest",), out)
        tail = self.made(s, Index(rest, (Slice(Const(1), None, None),)), state, site + ("tail",), out)
        return self.made(s, BinOp("+", head, tail), state, site + ("new",), out)

    def sliced(self, s, owner, bounds, items, k, state, site, out):
        """The items of `owner` with those of the slice `bounds` taken out (and, if `items`, the list `items`
        put in their place). A step other than 1 only on a list of known length and without `items`
        (extended slices' stores are refused); bounds of mixed signs only on a list of known length."""
        lo, hi, step = bounds.start, bounds.stop, bounds.step
        n = len(k.items) if isinstance(k, K.Seq) and k.items is not None else None
        if step not in (None, 1):
            if items is not None or n is None or step == 0:
                return None
            gone = set(range(n)[bounds])
            kept = []
            for j in range(n):
                if j not in gone:
                    kept.append(self.made(s, Index(owner, (Const(j),)), state, site + ("kept", j), out))
            return self.made(s, Build("list", tuple(kept)), state, site + ("new",), out)
        if n is not None:
            lo, hi, _ = bounds.indices(n)
            hi = max(lo, hi)
        else:
            signs = {v >= 0 for v in (lo, hi) if v is not None}
            if len(signs) > 1:
                return None
            if lo is not None and hi is not None:
                hi = max(lo, hi)  # (same signs: a stop before the start takes nothing out)
        head = self.made(s, Index(owner, (Slice(None, Const(lo) if lo is not None else Const(0), None),)), state,
                         site + ("head",), out)
        pieces = [head] + ([items] if items is not None else [])
        if hi is not None:
            pieces.append(self.made(s, Index(owner, (Slice(Const(hi), None, None),)), state, site + ("tail",), out))
        new = pieces[0]
        for j, p in enumerate(pieces[1:]):
            new = self.made(s, BinOp("+", new, p), state, site + ("join", j), out)
        return new

    def put_back(self, s, owner, new, state, site):
        """`owner.clear(); owner.extend(new)`: the same list object, its new items."""
        out = self.mutations.mutate(self.derived(s, Mutate(owner, "clear", ())), state, site + ("clear",))
        out += self.mutations.mutate(self.derived(s, Mutate(owner, "extend", (new,))), state, site + ("extend",))
        return out
