"""The alias pass's transfer functions for expressions (alias.py): the value (kind and objects) of each.

Names, constants and globals; lists, tuples and dicts built on a line; arithmetic and comparisons (a number,
or a new array); indexing (an item of a container, an element, a view or a copy of an array) and attributes
(`.T`, `.shape`, ...): which make views, recorded with how they were made so that they can be made again
after a change. Calls are in alias_calls.py.
"""
from __future__ import annotations

import numpy as np

from . import ir, kinds as K
from .alias_domain import Obj, Val, all_objs, join_slots
from .alias_library import (INT_CLASSES, SHAPE_ATTRIBUTES, VIEW_ATTRIBUTES, const_kind, global_kind, slice_items,
                            slice_slots, slot_at)
from .alias_session import Part
from .ir import Build, Call, Const, Global, Index, Slice, Var


class Values(Part):
    """The value of an expression: its kind, and the objects it may be (new ones, views, external ones)."""

    def val(self, atom, state):
        """The value of an atom: a name, a constant or a global."""
        if isinstance(atom, Var):
            v = state.vars.get(atom.name)
            return v if v is not None else Val(K.UNKNOWN)
        if isinstance(atom, Const):
            return Val(const_kind(atom.value))
        if isinstance(atom, Global):
            k = global_kind(atom.obj)
            if k.mutable and not isinstance(k, (K.Func, K.Other)):
                return Val(k, {self.objects.memo(("global", atom.path), lambda: Obj(
                    "ext", desc=f"the global `{'.'.join(atom.path)}`"))})
            return Val(k)
        return Val(K.UNKNOWN)

    def evaluate(self, s, value, state, site):
        """The value of the right-hand side of an assignment (made at `site`)."""
        if ir.is_atom(value):
            return self.val(value, state)
        if isinstance(value, Build):
            items = tuple(self.val(i, state) for i in value.items)
            kinds_ = tuple(v.kind for v in items)
            if value.kind == "dict":
                ok = all(isinstance(k, Const) for k in value.keys)
                kind = K.Dict(tuple(k.value for k in value.keys), kinds_) if ok else K.UNKNOWN
            else:
                cls = list if value.kind == "list" else tuple
                kind = K.Seq(cls, kinds_, K.join_all(kinds_) if kinds_ else None)
            obj = self.objects.new(state, site, desc=f"the {value.kind} made on this line")
            state.slots[obj] = [v.objs for v in items]
            return Val(kind, {obj})
        if isinstance(value, ir.Closure):
            return Val(K.Func(value))
        if isinstance(value, ir.BinOp):
            return self.binop(s, value, state, site)
        if isinstance(value, ir.UnaryOp):
            if value.op == "not":
                return Val(K.BOOL)
            k = self.val(value.operand, state).kind
            keeps = isinstance(k, K.Array) and k.dtype in "iu" and value.op in ("-", "+", "~") or \
                isinstance(k, K.Array) and k.dtype == "b" and value.op == "~"
            return self.fresh(state, site, [k], dtype=k.dtype if keeps else "f")
        if isinstance(value, ir.Compare):
            if any(o in ("is", "is not", "in", "not in") for o in value.ops):
                return Val(K.BOOL)
            kinds_ = [self.val(x, state).kind for x in (value.left,) + value.rights]
            return self.fresh(state, site, kinds_, dtype="b", scalar=K.BOOL)
        if isinstance(value, Index):
            return self.index(s, value, state, site)
        if isinstance(value, ir.Attr):
            return self.attribute(s, value, state, site)
        if isinstance(value, Call):
            return self.calls.call(s, value, state, site)
        return Val(K.UNKNOWN, {self.objects.ext(site)})

    def fresh(self, state, site, kinds_, dtype="f", scalar=None, ndim="broadcast"):
        """A new value computed elementwise from operands of these kinds (a number, or a new array)."""
        odd = next((k.cls for k in kinds_ if isinstance(k, K.Other) and isinstance(k.cls, type)
                    and issubclass(k.cls, (np.matrix, np.ma.MaskedArray))), None)
        if odd is not None:
            # arithmetic with a np.matrix gives a np.matrix (whose `*` and `**` are matrix products); with a masked
            # array, a masked array
            return Val(K.Other(odd), {self.objects.new(state, site, desc="the result of this line")})
        if all(isinstance(k, K.Scalar) for k in kinds_):
            if scalar is not None:
                return Val(scalar)
            py = all(k.cls in (float, int, bool) for k in kinds_)
            return Val(K.FLOAT if py else K.Scalar(np.float64))
        if ndim == "broadcast":
            dims = [K.ndim_of(k) for k in kinds_]
            ndim = max(dims) if all(d is not None for d in dims) else None
        if ndim == 0:  # NumPy gives a scalar for 0-d operands
            return Val(scalar or K.Scalar(np.float64))
        kind = K.array(ndim, dtype) if any(isinstance(k, K.Array) for k in kinds_) or ndim is not None \
            else K.NUMERIC
        return Val(kind, {self.objects.new(state, site, desc="the result of this line")})

    def array_result(self, state, site, ndim, dtype="f"):
        """A new array of rank `ndim` (a NumPy scalar for rank 0)."""
        if ndim == 0:
            return Val(K.Scalar(np.float64))
        return Val(K.array(ndim, dtype), {self.objects.new(state, site, desc="the array made on this line")})

    def binop(self, s, value, state, site):
        """`a op b`: a new list or tuple (`+`, `*` of a sequence), or a number or new array."""
        a, b = self.val(value.left, state), self.val(value.right, state)
        ka, kb = a.kind, b.kind
        if isinstance(ka, K.Obj) or isinstance(kb, K.Obj):
            object_operator(self, s, ka if isinstance(ka, K.Obj) else kb, f"the operator `{value.op}`")
        if isinstance(ka, K.Seq) and isinstance(kb, K.Seq) and value.op == "+":
            obj = self.objects.new(state, site, desc=f"the {ka.cls.__name__} made on this line")
            sa, sb = self.slots_of(a, state), self.slots_of(b, state)
            if isinstance(sa, list) and isinstance(sb, list):
                state.slots[obj] = list(sa) + list(sb)
            else:
                state.slots[obj] = ("any", all_objs(sa) | all_objs(sb))
            items = ka.items + kb.items if ka.items is not None and kb.items is not None else None
            return Val(K.Seq(ka.cls, items, K.join(ka.elem, kb.elem)), {obj})
        if isinstance(ka, K.Dict) and isinstance(kb, K.Dict) and value.op == "|":
            return self.dict_merge(a, b, state, site)
        if (isinstance(ka, K.Seq) or isinstance(kb, K.Seq)) and value.op == "*" and (
                isinstance(ka, K.Scalar) or isinstance(kb, K.Scalar)):
            seq = a if isinstance(ka, K.Seq) else b
            count = value.right if seq is a else value.left
            obj = self.objects.new(state, site, desc="the list made on this line")
            slots = self.slots_of(seq, state)
            if isinstance(count, Const) and type(count.value) is int and count.value >= 1 and \
                    isinstance(slots, list) and seq.kind.items is not None:
                n = count.value  # (`[a, b] * 2`: the same objects, in these slots, lang25)
                state.slots[obj] = list(slots) * n
                return Val(K.Seq(seq.kind.cls, seq.kind.items * n, seq.kind.elem), {obj})
            state.slots[obj] = ("any", all_objs(slots))
            return Val(K.Seq(seq.kind.cls, None, seq.kind.elem), {obj})
        assumed = self.session.assumed

        def seen(atom, kind):  # (a value computed from parameters of unknown kind: a number or an array)
            return K.NUMERIC if isinstance(atom, Var) and atom.name in assumed else kind
        if K.maybe_sequences(seen(value.left, ka), seen(value.right, kb), value.op):
            # (a concatenation or arithmetic, told apart when it runs)
            return Val(K.UNKNOWN, {self.objects.new(state, site, desc="the result of this line")})
        if isinstance(ka, K.Seq) or isinstance(kb, K.Seq):
            return self.fresh(state, site, [K.ARRAY])  # NumPy makes an array of the list
        if value.op == "@":
            da, db = K.ndim_of(ka), K.ndim_of(kb)
            nd = None if da is None or db is None else (max(da, db) if min(da, db) >= 2 else da + db - 2)
            return self.fresh(state, site, [ka, kb], ndim=nd)
        if ka in (K.INT, K.BOOL) and kb in (K.INT, K.BOOL) and value.op in ("+", "-", "*", "//", "%"):
            return Val(K.INT)  # Python integers stay integers (`i - 1` indexes)
        return self.fresh(state, site, [ka, kb], dtype=_integer_result(value.op, ka, kb))

    def dict_merge(self, a, b, state, site):
        """`a | b` of two dicts: a new dict with a's keys, then b's new ones; b's items win."""
        obj = self.objects.new(state, site, desc="the dict made on this line")
        sa, sb = self.slots_of(a, state), self.slots_of(b, state)
        keys, kinds_ = list(a.kind.keys), list(a.kind.items)
        slots = list(sa) if isinstance(sa, list) and len(sa) == len(keys) else None
        exact = slots is not None and isinstance(sb, list) and len(sb) == len(b.kind.keys)
        for i, (key, kind) in enumerate(zip(b.kind.keys, b.kind.items)):
            at = next((j for j, k in enumerate(keys) if k == key and type(k) is type(key)), None)
            if at is None:
                keys.append(key)
                kinds_.append(kind)
                if exact:
                    slots.append(sb[i])
            else:
                kinds_[at] = kind
                if exact:
                    slots[at] = sb[i]
        state.slots[obj] = slots if exact else ("any", all_objs(sa) | all_objs(sb))
        return Val(K.Dict(tuple(keys), tuple(kinds_)), {obj})

    def slots_of(self, val, state):
        """The slots of the containers a value may be, joined."""
        out = None
        for o in val.objs:
            slots = state.slots.get(o)
            if slots is None:  # a container the function did not make: its items are not the function's either
                slots = ("any", frozenset({self.objects.item_of(o)}))
                if o.external():
                    state.slots[o] = slots
            out = join_slots(out, slots)
        return out if out is not None else ("any", frozenset())

    def index(self, s, value, state, site):
        """`x[items]`: an item or a slice of a container, or an element, a view or a copy of an array."""
        base = self.val(value.value, state)
        k = base.kind
        name = ir.attr_key(value.items)
        if name is not None:  # `obj.attr` of an object the function made (a container of its attributes)
            return self.attribute(s, ir.Attr(value.value, str(name)), state, site)
        if isinstance(k, K.Obj):
            object_operator(self, s, k, "indexing")
        if isinstance(value.value, Global) and value.value.obj is np.r_:
            kind = r_kind(value.items, lambda i: self.val(i, state).kind)
            if kind is not None:  # np.r_[...]: a new array
                return Val(kind, {self.objects.new(state, site, desc="the array made by np.r_")})
        if isinstance(k, (K.Seq, K.Dict)):
            slots = self.slots_of(base, state)
            key = value.items[0] if len(value.items) == 1 and not value.tuple_form else None
            if isinstance(key, Slice) and isinstance(k, K.Seq):
                obj = self.objects.new(state, site, desc=f"the {k.cls.__name__} made by this slice")
                state.slots[obj] = slice_slots(slots, key)
                return Val(K.Seq(k.cls, slice_items(k.items, key), k.elem), {obj})
            if isinstance(key, Const):
                return Val(k.item(key.value), slot_at(slots, key.value, k))
            return Val(k.item(None) if isinstance(k, K.Seq) else K.join_all(k.items), all_objs(slots))
        if k is K.UNKNOWN and any(isinstance(state.slots.get(o), (list, tuple)) for o in base.objs):
            # a container the function made, of a kind not known here (a dict filled with keys not known): its
            # item is one of its items (never a new value), or a view of the object if it is an array
            items = all_objs(self.slots_of(base, state))
            arrays = [o for o in base.objs if not isinstance(state.slots.get(o), (list, tuple))]
            views = {self.objects.view(state, site, p, "maybe") for p in sorted(arrays, key=lambda o: o.id)}
            return Val(K.UNKNOWN, items | views)
        if k is K.UNKNOWN and len(value.items) == 1 and self.string_key(value.items[0], state):
            # `D["a"]` of a dict of a kind not known here (a global dict): one of its items, never a new value
            return Val(K.UNKNOWN, all_objs(self.slots_of(base, state)))
        if isinstance(k, (K.Array, K.Numeric)) or k is K.UNKNOWN:
            basic = self.basic_index(value.items, state)
            # (an item of a value of unknown kind may be anything: a recursive call's result may be a tuple of
            # lists, whose `+` is a concatenation)
            item = K.NUMERIC if k.numeric else K.UNKNOWN
            if basic == "fancy" or not base.objs:
                return self.fresh(state, site, [k if k.numeric else item])
            nd = index_ndim(k, value.items, lambda atom: self.val(atom, state).kind) if basic == "basic" else None
            if nd == 0:  # one element: a NumPy scalar of the array's dtype, not a view
                dtype = k.dtype if isinstance(k, K.Array) else "f"
                return Val(K.Scalar({"b": np.bool_, "i": np.int64, "u": np.uint64}.get(dtype, np.float64)))
            kind = K.array(nd, k.dtype) if isinstance(k, K.Array) and nd is not None else item
            # an index of ints into an array of unknown rank is an element (a copy) or a row (a view)
            how = "view" if basic == "basic" and nd is not None else "maybe"
            return self.make_view(s, state, site, base, value, how, kind)
        return Val(K.UNKNOWN, {self.objects.ext(site)})

    def make_view(self, s, state, site, base, value, how, kind):
        """A view of `base` made by `value`, recorded with the generations of the names it reads."""
        parent = base.must()
        if parent is None:  # one of several objects (it depends on the path taken): a view of any of them
            objs = frozenset(self.objects.view(state, site, p, how) for p in sorted(base.objs, key=lambda o: o.id))
            record_making(state, objs, s, value)  # (by the set: alias_refresh.base_of_several)
            return Val(kind, set(objs))
        obj = self.objects.view(state, site, parent, how)
        record_making(state, obj, s, value)
        return Val(kind, {obj})

    def string_key(self, i, state):
        """Is this index item a string (a dict's key, not an array index)?"""
        if isinstance(i, Const):
            return isinstance(i.value, str)
        k = self.val(i, state).kind if isinstance(i, Var) else None
        return isinstance(k, K.Str) or (isinstance(k, K.Other) and k.cls is str)

    def basic_index(self, items, state):
        """'basic' (slices, ints, None, ...: a view), 'fancy' (arrays, lists, masks: a copy) or 'maybe'."""
        out = "basic"
        for i in items:
            if isinstance(i, Slice):
                continue
            if isinstance(i, Const):
                if i.value is None or i.value is Ellipsis or (isinstance(i.value, (int, np.integer)) and
                                                              not isinstance(i.value, bool)):
                    continue
                return "fancy"
            k = self.val(i, state).kind
            # (`y[s]` with s a tuple: the index y[s[0], s[1], ...])
            kinds_ = tuple_index_kinds(k) if isinstance(k, K.Seq) and k.cls is tuple else (k,)
            if kinds_ is None and isinstance(k.elem, K.Array):
                return "fancy"  # (a tuple of index arrays, as np.nonzero's: reading with it copies, h26b-006)
            how = "maybe" if kinds_ is None else basic_kinds(kinds_)
            if how == "fancy":
                return how
            if how == "maybe":
                out = how
        return out

    def attribute(self, s, value, state, site):
        """`x.attr`: a shape attribute, a view (`.T`, `.real`, `.flat`), an attribute of an object."""
        base = self.val(value.value, state)
        k = base.kind
        if value.attr in ("shape", "strides") and isinstance(k, K.Array) and k.cls is np.ndarray:
            # a NumPy array's: a tuple of ints (`n = x.shape[0]` is an int); a Dask array's may hold nan
            return Val(K.Seq(tuple, None if k.ndim is None else (K.INT,) * k.ndim, K.INT))
        if value.attr in SHAPE_ATTRIBUTES and (k.numeric or k is K.UNKNOWN):
            return Val(K.Other(tuple) if value.attr in ("shape", "strides") else K.INT)
        how = VIEW_ATTRIBUTES.get(value.attr)
        if how is not None and (isinstance(k, (K.Array, K.Numeric)) or k is K.UNKNOWN) and base.objs:
            if value.attr == "flat":
                k = K.array(1, k.dtype) if isinstance(k, K.Array) else k
            return self.make_view(s, state, site, base, value, how, k if isinstance(k, K.Array) else K.NUMERIC)
        if isinstance(k, K.Obj):
            ak = k.attr(value.attr)
            made = [o for o in base.objs if isinstance(state.slots.get(o), list)]
            if made and len(made) == len(base.objs) and ak is not None:  # an object the function made
                return Val(ak, slot_at(self.slots_of(base, state), value.attr, k))
            if ak is not None:
                return Val(ak, {self.objects.ext(site, desc=f"the attribute `.{value.attr}`")} if ak.mutable else ())
        if isinstance(k, K.Scalar):
            return Val(k if value.attr in ("real", "imag") else K.UNKNOWN)
        if value.attr in CHANGING_METHODS and _container(k):
            shown = value.value.name if isinstance(value.value, Var) else "its object"
            self.refuse(s, f"the method `.{value.attr}` taken as a value (not called here): its calls change "
                           f"`{shown}` in place, which the compiler does not follow through a function value "
                           "(the derivative would miss the change)",
                        f"call the method itself where it is used (`{shown}.{value.attr}(v)`), e.g. in a loop "
                        "instead of `map`", deferred=k is K.UNKNOWN and self.session.generic)
        ext = self.objects.ext(site, desc=class_attribute(k, value.attr) or f"the attribute `.{value.attr}`")
        made = [o for o in base.objs if isinstance(state.slots.get(o), list)]
        if made:  # (maybe an object the function made: `passthrough(b).w` may be what `b.w` holds, h16-001)
            return Val(K.UNKNOWN, {ext} | all_objs(self.slots_of(Val(K.UNKNOWN, made), state)))
        return Val(K.UNKNOWN, {ext})


_INT_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "//": np.floor_divide, "%": np.remainder,
            "**": np.power, "&": np.bitwise_and, "|": np.bitwise_or, "^": np.bitwise_xor, "<<": np.left_shift,
            ">>": np.right_shift}


def _integer_result(op, ka, kb):
    """The dtype kind of the array `a op b` where both operands hold integers or bools: NumPy's ("i", "u" or
    "b": `k // 2` of an int array is an int array, `m + m` of bools is bools), so that `k /= 2` or `m *= 2`
    after it is refused as NumPy raises (dt3-005); "f" otherwise (as before)."""
    def sample(k):
        if isinstance(k, K.Array) and k.dtype in "biu":
            return np.ones(1, dtype={"b": bool, "i": np.int64, "u": np.uint64}[k.dtype])
        if isinstance(k, K.Scalar) and isinstance(k.cls, type):
            if k.cls in (bool, int):
                return k.cls(1)  # (a Python number: weak, NEP 50)
            if issubclass(k.cls, (np.integer, np.bool_)):
                return k.cls(1)
        return None
    f = _INT_OPS.get(op)
    a, b = sample(ka), sample(kb)
    if f is None or a is None or b is None or not (isinstance(ka, K.Array) or isinstance(kb, K.Array)):
        return "f"
    try:
        with np.errstate(all="ignore"):
            kind = f(a, b).dtype.kind
    except Exception:  # noqa: BLE001  (NumPy raises for these operands: f raises too)
        return "f"
    return kind if kind in "biu" else "f"


# Methods changing their list, dict, set or array in place (a call of one through a name, `f = L.append;
# f(v)`, went unseen: a WRONG gradient, found by mends2 with `map(L.append, xs)`).
CHANGING_METHODS = {"append", "extend", "insert", "pop", "clear", "remove", "sort", "reverse", "update",
                    "setdefault", "popitem", "add", "discard", "difference_update", "intersection_update",
                    "symmetric_difference_update", "fill", "put", "resize", "partition", "itemset", "setflags",
                    "setfield", "byteswap", "__setitem__", "__delitem__", "__iadd__", "__isub__", "__imul__",
                    "__itruediv__", "__ior__", "__iand__"}


CLASS_ATTRIBUTE = "the class attribute"


def class_attribute(k, name):
    """`CLASS_ATTRIBUTE Node.seen` when `name` of an object of kind `k` is a list, dict or set its class holds
    (`seen = []` in the class body: one for every instance, kept from call to call), else None."""
    if not isinstance(k, K.Obj) or k.attr(name) is not None:
        return None
    for c in getattr(k.cls, "__mro__", ()):
        if name in vars(c):
            held = vars(c)[name]
            return f"{CLASS_ATTRIBUTE} `{c.__name__}.{name}`" if isinstance(held, (list, dict, set)) else None
    return None


def _container(k):
    """May a value of kind `k` be a list, dict, set or array (not an object of the user's class)?"""
    if isinstance(k, (K.Seq, K.Dict, K.Array, K.Numeric)) or k is K.UNKNOWN:
        return not (isinstance(k, K.Seq) and k.cls is tuple)
    return isinstance(k, K.Other) and isinstance(k.cls, type) and issubclass(k.cls, (list, dict, set, np.ndarray))


def object_operator(part, s, k, what):
    """Refuses an operator applied to an object of the user's class that reaches the alias pass: the inliner
    calls the class's method where it knows the object (inline_operators.py); here it did not (a loop rebinding
    the name, a branch), and NumPy's semantics would be silently wrong (g4-004)."""
    part.refuse(s, f"{what} on a {k.describe()} (its class's method) cannot be followed here: which object this "
                   "is was not known when compiling (a loop or a branch rebinds the name)",
                "call the method or use an attribute of the object instead (`obj.v[i] = ...`, `obj.add(v)`)")


def index_ndim(k, items, kind_of):
    """The rank of `x[items]` for a basic index into a value of kind `k` (`kind_of`: an atom's kind), or None."""
    nd = K.ndim_of(k)
    if nd is None:
        return None
    out = nd
    for i in items:
        if isinstance(i, Slice) or isinstance(i, Const) and i.value is Ellipsis:
            continue
        if isinstance(i, Const) and i.value is None:
            out += 1
        elif _is_int(i, kind_of):
            out -= 1
        elif isinstance(i, (Var, Global)) and tuple_index_kinds(kind_of(i)) is not None:
            for k in tuple_index_kinds(kind_of(i)):  # the items of a tuple index
                if isinstance(k, K.Other) and k.cls is type(None):
                    out += 1
                elif isinstance(k, K.Scalar) and k.cls in INT_CLASSES:
                    out -= 1
                elif not (isinstance(k, K.Other) and k.cls in (slice, type(Ellipsis))):
                    return None
        else:
            return None
    return out if out >= 0 else None


def _is_int(i, kind_of):
    """Is this index item an int?"""
    if isinstance(i, Const):
        return isinstance(i.value, (int, np.integer)) and not isinstance(i.value, bool)
    if isinstance(i, Var):
        k = kind_of(i)
        return isinstance(k, K.Scalar) and k.cls in INT_CLASSES
    return False


def r_kind(items, kind_of):
    """The kind of `np.r_[items]` (a new array: the items concatenated, numbers and slices as 1-d arrays),
    None when not known (a string directive, an item of unknown kind or rank); `kind_of(atom)` gives an
    item's kind."""
    ndims, floats = [], False
    for i in items:
        if isinstance(i, Slice):
            ndims.append(1)
            floats |= any(isinstance(e, Const) and isinstance(e.value, (float, complex))
                          for e in (i.lower, i.upper, i.step))
            continue
        k = kind_of(i)
        if isinstance(k, K.Scalar):
            ndims.append(1)
            floats |= not issubclass(k.cls, (int, np.integer, bool, np.bool_))
        elif isinstance(k, K.Array) and k.ndim is not None and k.views and k.dtype in "fiub":
            ndims.append(max(k.ndim, 1))
            floats |= k.dtype == "f"
        else:
            return None
    if not ndims or len(set(ndims)) != 1:
        return None
    return K.array(ndims[0], "f" if floats else "i")


def record_making(state, obj, stmt, value):
    """`obj` (a view) is made by `stmt` computing `value`: remembered with the generations of the names it
    reads, so that it can be made again (or its base given its new value) while those names are unchanged."""
    state.made[obj] = (stmt, tuple((n, state.vars[n].gen if n in state.vars else None)
                                   for n in sorted(ir.names_in(value))))


def tuple_index_kinds(k):
    """The kinds of the items of a tuple used as an index, when its length is known (else None)."""
    return k.items if isinstance(k, K.Seq) and k.cls is tuple and k.items is not None else None


def basic_kinds(kinds_):
    """'basic', 'fancy' or 'maybe' for index items of these kinds (the items of a tuple index)."""
    out = "basic"
    for k in kinds_:
        if isinstance(k, K.Scalar) and k.cls in (bool, np.bool_):
            return "fancy"
        if isinstance(k, K.Scalar) and k.cls in INT_CLASSES:
            continue
        if isinstance(k, (K.Array, K.Seq)):
            return "fancy"
        if isinstance(k, K.Other) and k.cls in (slice, type(None), type(Ellipsis)):
            continue
        out = "maybe"
    return out
