"""The alias pass's transfer function for calls of the runtime's helpers (alias_calls.py routes them here):
generated code differentiated again calls `_ad.add`, `_ad.owned_copy`, `_ad.getitem_vjp`, ... Their value is
found from what each helper gives: a container adjoint's structure (RESULT_LIKE), a new array shaped like an
argument (FRESH_LIKE), or what the helper returns when called on small arguments of the same kinds.
"""
from __future__ import annotations

import numpy as np

from . import kinds as K
from .alias_domain import Val, join_slots
from .alias_library import EFFECT_HELPERS, dummy_of, runtime
from .alias_session import Part
from .ir import Const


# runtime helpers whose result has the structure of one of their arguments (its position): adjoints and
# tangents shaped like the primal value they belong to
RESULT_LIKE = {"zeros_like": 0, "owned_copy": 1, "unbroadcast": 1, "unbroadcast_value": 1, "getitem_vjp": 1,
               "cast_like": 1, "items_vjp": 1, "enumerate_vjp": 1, "reversed_vjp": 1, "sorted_vjp": 1,
               "iter_list_vjp": 1, "dict_get_vjp": 1, "as_grad": 1, "as_grad_made": 1, "as_tangent": 1, "index_concat_vjp": 2,
               "cast_vjp": 1,
               # the transposes of the containers' adjoints (runtime_transposes.py): in the form of their `v`
               "iter_list_transpose": 2, "dict_values_transpose": 2, "dict_copy_transpose": 2,
               "dict_merge_transpose": 4, "enumerate_transpose": 2, "zip_transpose": 2, "sorted_transpose": 4,
               "seq_concat_transpose": 4, "seq_repeat_transpose": 3, "seq_sum_transpose": 3, "save_item_vjp": 1,
               "dict_values_vjp": 1, "dict_items_vjp": 1, "dict_copy_vjp": 1}


# runtime helpers giving a new float array shaped like one of their arguments (its position) when that is a
# NumPy array: an adjoint's buffer, of known kind even where the adjoint spread into it is not
FRESH_LIKE = {"zeros_like": 0, "getitem_vjp": 1, "unreduce": 1, "unreduce_mean": 1, "owned_copy": 1,
              "unit_tangent": 0}


class RuntimeCalls(Part):
    """The value of a call of a runtime helper."""

    def __init__(self, session, library):
        super().__init__(session)
        self.library = library  # (alias_library_calls.LibraryCalls: maybe_view)

    def result(self, s, value, obj, args, state, site):
        """The value of `_ad.<helper>(...)` (`args`: the values of its positional arguments), or None: not
        known (an external object)."""
        result = self.helper_result(s, value, obj, state, site)
        if result is not None:
            return result
        name = getattr(obj, "__name__", "")
        like = RESULT_LIKE.get(name)
        if like is not None and like < len(args) and isinstance(args[like].kind, (K.Seq, K.Dict)):
            k = args[like].kind  # (the adjoint of a tuple is a list: it is filled in place)
            k = K.Seq(list, k.items, k.elem) if isinstance(k, K.Seq) else k
            return Val(k, {self.objects.new(state, site, desc="the value of a runtime helper")})
        k = args[FRESH_LIKE[name]].kind if name in FRESH_LIKE and FRESH_LIKE[name] < len(args) else None
        if isinstance(k, K.Array) and k.cls is np.ndarray:  # (whatever the kind of the adjoint spread)
            return Val(K.array(k.ndim, "f"), {self.objects.new(state, site, desc="the array made on this line")})
        return None

    def helper_result(self, s, value, obj, state, site):
        """The value of a runtime helper called by generated code (a derivative differentiated again): a new
        value, of the kind the helper gives for small arguments of the same kinds (None: not known)."""
        if getattr(obj, "__name__", "") in EFFECT_HELPERS:
            return None
        rt = runtime()
        if obj is rt.add and len(value.args) == 2:
            added = self.added(value, state, site)
            if added is not None:
                return added
        if obj in (rt.zeros_like, rt.owned_copy, rt.getitem_vjp) and value.args:
            # adjoint buffers of containers: new lists / dicts (of new zeros, or of the items of `b`)
            args = [self.values.val(a, state) for a in value.args]
            like = args[1 if obj is rt.getitem_vjp else -1].kind
            if obj is rt.owned_copy and isinstance(args[0].kind, (K.Seq, K.Dict)):
                o = self.objects.new(state, site, desc="the copy made on this line")
                state.slots[o] = self.values.slots_of(args[0], state)
                k = args[0].kind
                return Val(K.Seq(list, k.items, k.elem) if isinstance(k, K.Seq) else k, {o})
            if isinstance(like, (K.Seq, K.Dict, K.Obj)):
                kind = _adjoint_kind(like)
                return Val(kind, {self.objects.private_objects(state, site, kind, "the zeros made on this line")})
            if not isinstance(like, (K.Array, K.Scalar)):  # a list, a tuple or an array: not known which
                return Val(K.UNKNOWN, {self.objects.new(state, site, desc="the zeros made on this line")})
        try:
            args = [a.value if isinstance(a, Const) else _helper_dummy(self.values.val(a, state).kind)
                    for a in value.args]
            kwargs = {k: v.value if isinstance(v, Const) else _helper_dummy(self.values.val(v, state).kind)
                      for k, v in value.kwargs}
            import warnings

            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = obj(*args, **kwargs)
        except Exception:  # noqa: BLE001 (any failure: not known)
            return None
        made = self.new_value(K.kind_of(result), state, site)
        pairs = list(zip(value.args, args)) + [(v, kwargs[k]) for k, v in value.kwargs]
        shared = [(atom, dummy) for atom, dummy in pairs if isinstance(result, np.ndarray) and
                  isinstance(dummy, np.ndarray) and np.shares_memory(result, dummy)]
        if made is None or not shared:
            return made
        # the helper gave back (a view of) an argument for these small ones (`unbroadcast(g, x)` is g itself
        # where the shapes agree): maybe that very argument, or a view of the arguments (h16-004)
        if all(result is dummy for _, dummy in shared):
            return Val(made.kind, made.objs.union(*(self.values.val(a, state).objs for a, _ in shared)))
        maybe = self.library.maybe_view(s, value, state, site, [made.kind])
        return Val(made.kind, made.objs | (maybe.objs if maybe is not None else frozenset()))

    def added(self, value, state, site):
        """`_ad.add(a, b)`, the structure-aware sum of two adjoints, when either may be a container: a list or
        dict of a's structure (its items joined with b's: an item is the other's itself where one is None,
        see pop_item), or a or b itself when the other is None. Never "an array or a scalar": an item added
        to in place with `+=` would be a list concatenated (explore seed 2727 #285, silently wrong)."""
        a, b = (self.values.val(v, state) for v in value.args)
        none = K.Other(type(None))
        if not any(isinstance(v.kind, (K.Seq, K.Dict, K.Obj)) or v.kind == K.UNKNOWN for v in (a, b)):
            return None
        kinds = [v.kind for v in (a, b) if v.kind != none]
        kind = K.join_all(kinds)
        if len(kinds) == 2 and kind == K.UNKNOWN and isinstance(a.kind, K.Seq):
            # (b's kind unknown, or "an array or a scalar" from a helper: a's structure, its items not known;
            # add zips the two, so b is a container of a's length when a is one)
            k = a.kind
            kind = K.Seq(k.cls, tuple(K.UNKNOWN for _ in k.items) if k.items is not None else None, K.UNKNOWN)
        o = self.objects.new(state, site, desc="the sum made on this line")
        state.slots[o] = join_slots(self.values.slots_of(a, state), self.values.slots_of(b, state))
        maybe_none = any(v.kind in (none, K.UNKNOWN) for v in (a, b))
        return Val(kind, {o} | (a.objs | b.objs if maybe_none else set()))

    def new_value(self, kind, state, site):
        """A value of this kind made on this line (containers of new items)."""
        if isinstance(kind, K.Scalar):
            return Val(K.Scalar(np.float64) if kind.cls is not float else K.FLOAT)
        if isinstance(kind, K.Array):
            return Val(K.array(kind.ndim, "b" if kind.dtype == "b" else "f"),
                       {self.objects.new(state, site, desc="the array made on this line")})
        if isinstance(kind, (K.Seq, K.Dict)) and kind.items is not None:
            o = self.objects.new(state, site, desc="the value made on this line")
            items = [self.new_value(k, state, site + ("item", i)) for i, k in enumerate(kind.items)]
            state.slots[o] = [it.objs for it in items]
            return Val(kind, {o})
        return None


def _helper_dummy(kind):
    """dummy_of for a runtime helper's argument, and a slice (an index the adjoint code builds with
    `slice(...)`: any slice keeps the axis, so the helper's result has the same rank for every slice)."""
    if isinstance(kind, K.Other) and kind.cls is slice:
        return slice(None)
    if isinstance(kind, K.Other) and kind.cls is type(Ellipsis):
        return Ellipsis
    return dummy_of(kind)


def _adjoint_kind(kind):
    """The kind of zeros_like of a value of this kind (lists for tuples, float arrays and numbers)."""
    if isinstance(kind, K.Seq):
        items = tuple(_adjoint_kind(k) for k in kind.items) if kind.items is not None else None
        return K.Seq(list, items, _adjoint_kind(kind.elem) if kind.elem is not None else None)
    if isinstance(kind, K.Dict):
        return K.Dict(kind.keys, tuple(_adjoint_kind(k) for k in kind.items))
    if isinstance(kind, K.Obj):  # an object's adjoint (or tangent): a dict of its numbers and arrays by name
        kept = [(n, k) for n, k in kind.attrs if not isinstance(k, (K.Func, K.Other))]
        return K.Dict(tuple(n for n, _ in kept), tuple(_adjoint_kind(k) for _, k in kept))
    if isinstance(kind, K.Array):
        return K.array(kind.ndim, "f")
    if isinstance(kind, K.Scalar):
        return K.FLOAT
    return K.UNKNOWN
