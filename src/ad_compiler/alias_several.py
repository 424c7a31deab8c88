"""Refreshes after a store through a name that is one of several arrays, for the alias pass (alias.py).

`z = a if c else b; z[0] = v` (or `z` from a loop that may have replaced it, or a function chosen when the
program runs): which array changes is known only when it runs, so every other live name or list / dict slot
that may hold one of them gets the new value if it is that very array (`if a is z: a = z`), and so does the
derivative. A changed slice of one of them (`v = z[1:]`) gives its base its new value (`z[1:] = v`), and the
other slices of `z` seen later are made again. Exact because the arrays are distinct allocations of the
function: sharing memory with the changed one is being it, or a slice of it made from the same name; any other
sharing (a view of one of them only, a view of a view, a nested container, a reshape) is refused.
(alias_stores.changeable decides a store is one of these: `alias_domain.Several`.)
"""
from __future__ import annotations

from . import ir
from .alias_domain import all_objs, depth
from .alias_refresh import _live_first as live_first, mark_stale
from .alias_session import Part
from .alias_values import record_making
from .ir import Assign, Const, If, Index, SetItem, Var


class SeveralRefresher(Part):
    """The statements giving every other holder of one of several changed arrays its new value."""

    def refresh(self, s, state, objs, name):
        """After a store through `name`, one of several arrays the function made (`z = a if c else b`,
        `z[0] = v`): every other live name or container slot that may hold one of them gets `name`'s new value
        if it is that very array (`if a is z: a = z`), which the program decides when it runs, as the
        derivative does. A view of one of them (`v = z[1:]`, z unchanged since) gives its base its new value
        (`z[1:] = v`) after its own holders; the other views seen, made of `z` while it held these very arrays,
        are made again. Exact because the arrays are distinct allocations of the function: sharing memory
        with the changed one is being it, or a view of it made from the same name. Anything else: refused."""
        live = self.session.live_after(s)
        refuse = lambda shown=name: self.refuse(  # noqa: E731
            s, f"`{shown}` may be one of several arrays here (it depends on the path taken), and other names may "
               "see them, so changing it in place cannot be differentiated exactly",
            f"make a copy first: `{shown} = {shown}.copy()`", deferred=self.session.generic)
        out, changed = [], frozenset()
        if all(o.parent is not None for o in objs):  # a view of one of them: its base gets its new value too
            out += self.holders_of_several(s, state, objs, name, live, refuse)
            base, stmt = self.base_of_several(s, state, objs, name, refuse)
            out.append(stmt)
            changed, objs, name = objs, frozenset(o.parent for o in objs), base
        for o in objs:
            if o.parent is not None or o.kind != "new" or o.is_old:
                refuse()
        out += self.views_of_several(s, state, objs, name, live, changed, refuse)
        out += self.holders_of_several(s, state, objs, name, live, refuse)
        for r in out:  # (as in `refresh`)
            for t in (r.targets if isinstance(r, Assign) else ()):
                if t in state.mixed:
                    refuse()
                if t in state.detached:
                    r.nograd = True
        mark_stale(state, set().union(*(self.stores.tree_of(o.root(), state) for o in objs)) | changed, out, name)
        return out

    def holders_of_several(self, s, state, objs, name, live, refuse):
        """Every other live name or list / dict slot holding one of `objs` gets `name`'s new value if it is
        that very array (`if a is z: a = z`); the same value (a copy of reference) gets it as it is."""
        out = []
        mine = state.vars.get(name)
        for n in state.vars.holders(objs):
            v = state.vars[n]
            if n == name or n not in live:
                continue
            if v.partial:
                refuse()
            if mine is not None and mine.ident is not None and v.ident == mine.ident:
                out.append(self.derived(s, Assign((n,), Var(name), noop=True)))  # the very same value
                continue
            out += self.refresh_if_same(s, Var(n), Var(name), Assign((n,), Var(name), noop=True))
        for c, slots in list(state.slots.items()):
            if not (all_objs(slots) & objs) or not self.stores.container_live(c, state, live):
                continue
            holders = live_first([n for n in state.vars.holders((c,)) if len(state.vars[n].objs) == 1], live, state)
            if not holders or not isinstance(slots, list) or self.stores.in_live_container(c, state, live) or \
                    any(n in live and len(state.vars[n].objs) != 1 for n in state.vars.holders((c,))):
                refuse()  # (a container held by a name that may be another one too: not refreshed by a store)
            cname = holders[0]
            for n in holders:
                if n == cname or n in live:
                    self.refresher.refuse_partial(s, state, n, name)
            for i, slot in enumerate(slots):
                if slot & objs:
                    key = self.refresher.slot_key(c, i, state)
                    if key is None:
                        refuse()
                    key = Const(key)
                    item = self.temp()
                    out.append(self.derived(s, Assign((item,), Index(Var(cname), (key,)))))
                    out += self.refresh_if_same(s, Var(item), Var(name),
                                                SetItem(Var(cname), (key,), Var(name), noop=True))
            for n in holders[1:]:
                if n in live:
                    out.append(self.derived(s, Assign((n,), Var(cname), noop=True)))
        return out

    def views_of_several(self, s, state, objs, name, live, changed, refuse):
        """The other views of the changed arrays that live names see, made again from `name`'s new value: only
        views made of a name holding these very arrays (`w = z[:2]`, a view of whichever `z` is) while it still
        holds them; any other view seen (of one of them only, of a view, in a container) is refused."""
        out, done = [], set()
        for o in sorted(objs, key=lambda o: o.id):
            for v in sorted(self.stores.tree_of(o, state) - {o} - changed, key=depth):
                if not self.stores.anyone_sees(state, {v}, live, done):
                    continue
                if self.stores.in_live_container(v, state, live) or v.parent not in objs:
                    refuse()
                holders = [n for n in state.vars.holders((v,)) if n in live and n not in done]
                views = frozenset(state.vars[holders[0]].objs)
                made = state.made.get(views)
                if made is None or made[1] is None or not self.refresher.unchanged(state, made[1]) or \
                        {w.parent for w in views} != objs or any(w.how != "view" for w in views):
                    refuse()
                value = made[0].value
                if not (isinstance(value, Index) and isinstance(value.value, Var) and
                        state.vars.get(value.value.name) is not None and state.vars[value.value.name].objs == objs):
                    refuse()
                first = holders[0]
                remade = self.derived(s, Assign((first,), ir.rename_expr(value, {value.value.name: name}),
                                                noop=True))
                out.append(remade)
                record_making(state, views, remade, remade.value)  # (made again from `name`'s new value)
                for n in holders[1:]:
                    if state.vars[n].objs != views or state.vars[n].ident != state.vars[first].ident or \
                            state.vars[n].ident is None or state.vars[n].partial:
                        refuse()
                    out.append(self.derived(s, Assign((n,), Var(first), noop=True)))
                if state.vars[first].partial:
                    refuse()
                done |= set(holders)
        return out

    def base_of_several(self, s, state, views, name, refuse):
        """`v = z[1:]` where `z` is one of several arrays, then `v[0] = w`: `z[1:] = v`, while `z` still holds
        the value `v` was made of. Returns the base's name and that statement."""
        made = state.made.get(frozenset(views))
        if made is None or made[1] is None or not self.refresher.unchanged(state, made[1]) or \
                any(o.how != "view" for o in views):
            refuse()
        value = made[0].value
        parents = {o.parent for o in views}
        if not (isinstance(value, Index) and isinstance(value.value, Var) and
                state.vars.get(value.value.name) is not None and state.vars[value.value.name].objs == parents):
            refuse()
        base = value.value.name
        return base, self.derived(s, SetItem(Var(base), value.items, Var(name), tuple_form=value.tuple_form,
                                             noop=True))

    def refresh_if_same(self, s, value, name, refresh):
        """`if value is name: refresh`."""
        test = self.temp()
        return [self.derived(s, Assign((test,), ir.Compare(value, ("is",), (name,)))),
                self.derived(s, If(Var(test), [self.derived(s, refresh)], []))]
