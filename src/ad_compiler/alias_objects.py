"""The abstract objects of one run of the alias pass (alias.py), by allocation site.

Each site (a line making a list or an array, a view of a given parent, an unknown call, an argument, a
global, an item of an external container) has one abstract object for its latest instance. When a site runs
again (in a loop), what referred to its previous instance is `retire`d to an `old` object, and so are the
views of it. Also: the items of an argument that is a container, the objects of a private copy of an
argument, and which argument an external object belongs to.
"""
from __future__ import annotations

from . import kinds as K
from .alias_domain import Obj, Val, depth, join_slots


class Objects:
    """The abstract objects of a run, by key: allocation sites, views of a given parent, external objects,
    and the old instances of each."""

    def __init__(self):
        self.by_key = {}  # key -> Obj (allocation sites, views of a given parent, their old instances)
        self._retiring = {}  # while retiring: object -> its old instance
        self.opaque_sites = set()  # the sites of calls whose bodies the pass does not follow (item_of)

    def memo(self, key, make):
        """The object of `key`, made by `make()` the first time."""
        obj = self.by_key.get(key)
        if obj is None:
            obj = self.by_key[key] = make()
        return obj

    def new(self, state, site, desc="the value made on this line"):
        """The object an allocation site makes (its earlier instances, if referenced, are retired)."""
        key = ("new",) + site
        obj = self.by_key.get(key)
        if obj is None:  # the first time this site runs: nothing refers to an earlier instance
            obj = self.by_key[key] = Obj("new", desc=desc)
        else:
            self.retire(state, obj)
        return obj

    def view(self, state, site, parent, how, desc="the view made on this line"):
        """The view a site makes of `parent` (`how`: 'view', 'maybe' a copy, 'readonly')."""
        key = ("view",) + site + (parent.id,)
        obj = self.by_key.get(key)
        if obj is None:
            obj = self.by_key[key] = Obj("view", parent, how, desc)
            obj.site = site
        else:
            self.retire(state, obj)
        return obj

    def ext(self, site, desc="the result of this call"):
        """An external object: one the function did not make."""
        return self.memo(("ext",) + site, lambda: Obj("ext", desc=desc))

    def old_of(self, obj):
        """The object standing for the earlier instances of `obj` (views of them: views of old parents)."""
        if obj.is_old:
            return obj
        if obj.kind == "view":
            parent = self.old_of(obj.parent) if obj.parent.is_old is False and self._retiring.get(obj.parent) else \
                obj.parent
            parent = self._retiring.get(obj.parent, parent)
            old = self.memo(("oldview", obj.id, parent.id), lambda: Obj("view", parent, obj.how, obj.desc, is_old=True))
            old.site = obj.site
            return old
        return self.memo(("old", obj.id), lambda: Obj(obj.kind, desc=obj.desc, is_old=True))

    def retire(self, state, obj):
        """`obj`'s site runs again: what referred to its previous instance now refers to an `old` one."""
        if not state.is_referenced(obj):
            return
        self._retiring = {}
        for o in sorted(state.views_of(obj), key=depth):  # views of a retired object are views of its old instance
            self._retiring[o] = self.old_of(o)
        mapping = self._retiring

        def swap(objs):
            hit = objs & mapping.keys()
            return (objs - hit) | {mapping[o] for o in hit} if hit else objs

        for n in state.vars.holders(mapping):
            v = state.vars[n]
            state.vars[n] = Val(v.kind, swap(v.objs), v.gen, partial=v.partial)
        touched = state.slots.holding(mapping) | {c for c in mapping if c in state.slots}
        # (only the containers holding or being a retired object, in the slots' order: n27-007)
        for c in [c for c in state.slots if c in touched] if touched else ():
            slots = state.slots[c]
            slots = [swap(x) for x in slots] if isinstance(slots, list) else ("any", swap(slots[1]))
            if c in mapping:
                del state.slots[c]
                state.slots[mapping[c]] = join_slots(state.slots.get(mapping[c]), slots)
            else:
                state.slots[c] = slots
        for o in list(state.made):
            if o in mapping:
                del state.made[o]

    def external_slots(self, kind, owner):
        """The slots of a container the function did not make (an argument): one external object per item."""
        n = len(kind.items) if isinstance(kind, (K.Seq, K.Dict)) and kind.items is not None else None
        if n is None:
            return ("any", frozenset({self.item_of(owner)}))
        out = []
        for i in range(n):
            item = self.item_of(owner, i)
            item.param = None
            out.append(frozenset({item}))
        return out

    def item_of(self, owner, *at):
        """The external object standing for the items (or the item `at`) of a container the function did not make;
        one for every maybe-view made by the call at an opaque site (the views of its results, which a loop makes
        again and again: one object per site, not one more per iteration, rw2-002)."""
        if owner.kind == "view" and owner.how == "maybe" and owner.site in self.opaque_sites:
            return self.memo(("site-item",) + owner.site + at, lambda: Obj("ext", desc="an item of " + owner.desc))
        return self.memo(("item", owner.id) + at, lambda: Obj("ext", desc="an item of " + owner.desc))

    def private_objects(self, state, site, kind, desc):
        """The objects of a deep copy the function makes (`_ad.private_copy` of an argument it changes)."""
        obj = self.new(state, site, desc=desc)
        if isinstance(kind, (K.Seq, K.Dict)):
            items = kind.items if kind.items is not None else None
            if items is None:
                state.slots[obj] = ("any", frozenset({self.private_objects(state, site + ("any",), kind.elem,
                                                                           "an item of " + desc)}))
            else:
                state.slots[obj] = [frozenset({self.private_objects(state, site + (i,), k, "an item of " + desc)})
                                    if k.mutable or isinstance(k, (K.Seq, K.Dict)) else frozenset()
                                    for i, k in enumerate(items)]
        return obj

    def param_of(self, root):
        """The argument an external object is (or is an item of, at any depth), or None."""
        if root.param is not None:
            return root.param
        for key, obj in self.by_key.items():
            if obj is root and key[0] == "item":
                owner = next((o for o in self.by_key.values() if o.id == key[1]), None)
                return self.param_of(owner) if owner is not None else None
        return None
