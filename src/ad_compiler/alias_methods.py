"""The alias pass's values of method calls (alias_calls.py): `x.method(...)` for a method that does not change
`x` (those that do are alias_mutation.py's): views (`x.T`, `x.reshape`), reductions and copies of arrays,
copies, `index` / `count` of lists, `keys` / `values` / `items` / `get` of dicts.
"""
from __future__ import annotations

import numpy as np

from . import kinds as K
from .alias_domain import Val, all_objs
from .alias_library import REDUCING_METHODS, VIEW_METHODS, reduced_ndim, slot_at, view_kind
from .alias_session import Part
from .ir import Const


class Methods(Part):
    """The value of `owner.method(...)`."""

    def result(self, s, value, func, state, site):
        """The value of `owner.method(...)` for a method that does not change `owner` (see alias_mutation.py)."""
        owner = self.values.val(func.value, state)
        k = owner.kind
        if isinstance(k, (K.Array, K.Numeric)) or (k is K.UNKNOWN and func.attr in VIEW_METHODS):
            how = VIEW_METHODS.get(func.attr) or self_or_copy(func.attr, value)
            if how is not None and owner.objs:
                kind = view_kind(k, func.attr, value, True, lambda a: self.values.val(a, state).kind)
                if func.attr == "astype" and isinstance(kind, K.Array):
                    kind = K.array(kind.ndim, _method_dtype(func.attr, k, value))
                return self.values.make_view(s, state, site, owner, value, how, kind)
            if func.attr == "item":
                return Val(K.FLOAT)
            if func.attr in ("argmax", "argmin") and not value.args and not value.kwargs:
                return Val(K.INT)
            if func.attr in ("tolist",):  # nested lists of numbers, as deep as the array's rank
                nd = K.ndim_of(k)
                if nd is None:
                    return Val(K.UNKNOWN, {self.objects.ext(site)})
                kind = K.FLOAT
                for _ in range(nd):
                    kind = K.Seq(list, None, kind)
                if nd == 0:
                    return Val(kind)
                o = self.objects.new(state, site, desc="the list made by tolist on this line")
                state.slots[o] = ("any", frozenset())
                return Val(kind, {o})
            if func.attr in REDUCING_METHODS:
                nd = reduced_ndim(K.ndim_of(k), value, 0)
                if nd == 0:
                    return Val(K.Scalar(np.float64))
                return self.values.array_result(state, site, nd) if nd is not None else \
                    self.values.fresh(state, site, [K.NUMERIC])
            if func.attr in ("copy", "astype", "clip", "round", "conj", "conjugate", "cumsum", "cumprod"):
                nd = K.ndim_of(k) if func.attr not in ("cumsum", "cumprod") or value.kwarg("axis") or \
                    value.args else 1
                return self.values.fresh(state, site, [k], ndim=nd, dtype=_method_dtype(func.attr, k, value))
            if func.attr == "flatten":
                return self.values.array_result(state, site, 1)
            if func.attr == "dot" and value.args:
                other = self.values.val(value.args[0], state).kind
                da, db = K.ndim_of(k), K.ndim_of(other)
                nd = None if da is None or db is None else max(da + db - 2, 0)
                return self.values.fresh(state, site, [k, other], ndim=nd)
            if func.attr in NEW_ARRAY_METHODS or not owner.objs:
                return self.values.fresh(state, site, [k], ndim=None)
            # any other method (`x.__array__()`, `x.getfield(...)`, ...): maybe the array itself or a view of it,
            # so that a change in place of either while the other is read later is refused (alias_refresh.py)
            return self.values.make_view(s, state, site, owner, value, "maybe",
                                         K.array(None) if isinstance(k, K.Array) else K.NUMERIC)
        if k is K.UNKNOWN and func.attr == "copy" and not value.args and not value.kwargs:
            return Val(K.UNKNOWN, {self.objects.new(state, site, desc="the copy made on this line")})
        if isinstance(k, K.Seq) and func.attr == "copy":
            o = self.objects.new(state, site, desc="the list made on this line")
            state.slots[o] = self.values.slots_of(owner, state)
            return Val(k, {o})
        if isinstance(k, K.Seq) and func.attr in ("index", "count"):
            return Val(K.INT)
        if isinstance(k, K.Dict) and func.attr in ("values", "items", "keys") and not value.args:
            o = self.objects.new(state, site, desc=f"the {func.attr} of a dict")
            slots = self.values.slots_of(owner, state)
            vals = list(slots) if isinstance(slots, list) else None
            if func.attr == "values" and vals is not None:
                state.slots[o] = vals
                return Val(K.Seq(list, k.items, K.join_all(k.items)), {o})
            if func.attr == "items" and vals is not None:
                pairs = []
                for key, kind, objs in zip(k.keys, k.items, vals):
                    p = self.objects.new(state, site + ("pair", key), desc="a (key, value) pair")
                    state.slots[p] = [frozenset(), objs]
                    pairs.append((frozenset({p}), K.Seq(tuple, (K.Other(type(key)), kind), kind)))
                state.slots[o] = [p for p, _ in pairs]
                items = tuple(kk for _, kk in pairs)
                return Val(K.Seq(list, items, K.join_all(items) if items else K.UNKNOWN), {o})
            state.slots[o] = ("any", frozenset())
            return Val(K.Seq(list, None, K.UNKNOWN), {o})
        if isinstance(k, K.Dict) and func.attr == "get" and value.args and isinstance(value.args[0], Const):
            key = value.args[0].value
            got = Val(k.item(key), slot_at(self.values.slots_of(owner, state), key, k))
            if key in k.keys:
                return got
            # (a key it does not hold: the default itself, `d.get("b", y)` is y, h16-005)
            default = self.values.val(value.args[1], state) if len(value.args) > 1 else \
                Val(K.Other(type(None)))
            return Val(K.join_all([got.kind, default.kind]), got.objs | default.objs)
        if isinstance(k, K.Dict) and func.attr == "get" and value.args:  # (a key not known when compiling)
            got = [Val(K.join_all(list(k.items)) if k.items else K.UNKNOWN,
                       all_objs(self.values.slots_of(owner, state)))]
            got.append(self.values.val(value.args[1], state) if len(value.args) > 1 else Val(K.Other(type(None))))
            return Val(K.join_all([v.kind for v in got]), got[0].objs | got[1].objs)
        if isinstance(k, K.Scalar):
            return Val(K.FLOAT)
        return Val(K.UNKNOWN, {self.objects.ext(site)})


# ndarray methods documented as giving a new array (or numbers), where no `out=` is given; the others not handled
# above (views, reductions, copies) may give the array itself or a view of it
NEW_ARRAY_METHODS = {"argsort", "argpartition", "nonzero", "searchsorted", "repeat", "take", "compress", "choose",
                     "trace", "tobytes", "argmax", "argmin", "all", "any", "__abs__", "__neg__", "__pos__",
                     "__invert__", "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__",
                     "__pow__", "__matmul__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__",
                     "__rmatmul__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__copy__",
                     "__deepcopy__"}


def self_or_copy(method, value):
    """"maybe" for the methods that give the array itself when NumPy has nothing to convert, a copy otherwise:
    `x.conj()` / `x.conjugate()` (x itself for a real array) and `x.astype(dtype, copy=False)` (x itself when
    it has that dtype already); None for the others."""
    if method in ("conj", "conjugate") and not value.args and not value.kwargs:
        return "maybe"
    if method == "astype":
        copy = value.kwarg("copy") if value.kwarg("copy") is not None else \
            value.args[4] if len(value.args) > 4 else Const(True)
        if not (isinstance(copy, Const) and copy.value is True):
            return "maybe"
    return None


def _method_dtype(method, kind, value):
    """The dtype kind of `x.copy()` (x's own: an integer array stays one, so `x op= float` on it is refused as
    NumPy raises) and of `x.astype(dtype)` (the dtype's); "f" for the others."""
    from .alias_library_calls import dtype_kind

    if method == "copy" and isinstance(kind, K.Array) and kind.dtype in "iub":
        return kind.dtype
    if method == "astype" and (value.args or value.kwarg("dtype") is not None):
        found = dtype_kind(value.args[0] if value.args else value.kwarg("dtype"))
        return "?" if found is None else found if found in ("i", "u", "b") else "f"
    return "f"
