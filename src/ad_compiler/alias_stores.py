"""Stores into objects, for the alias pass (alias.py): `x[items] = value` and who else sees the change.

`store` changes the object a name refers to and asks alias_refresh.py to refresh the other names that see
it; `changeable` finds that object, or refuses (an argument: `Privatize` it instead when it can be copied; a
global; a read-only view; one of several objects other names may see); `after_store` follows the kinds and
items of containers. `sharing` and the helpers after it answer "which live names or containers see the
memory of these objects?" (an object and its views, transitively).
"""
from __future__ import annotations

import ast

from . import ir, kinds as K
from .alias_domain import Obj, Privatize, Several, Val, all_objs
from .alias_session import Part
from .ir import AttrName, Const, Slice, Var


class Stores(Part):
    """Stores into an object: which object changes, the state after, and who else sees it."""

    def store(self, s, state, site):
        """`x[items] = value`: x's object changes; every other live name that sees it is refreshed."""
        target = self.values.val(s.target, state)
        name = s.target.name
        if self.mode == "kinds":
            kind = self.after_store(s, state, target)
            state.vars[name] = Val(kind, target.objs, target.gen, target.ident, target.partial)
            if s.result is not None:
                self.assignments.bind(state, s.result, state.vars[name])
            return [s]
        if isinstance(target.kind, K.Obj) and ir.attr_key(s.items) is None:
            from .alias_values import object_operator
            object_operator(self, s, target.kind, "storing an item")
        if s.noop:
            obj = target.must()
        else:
            if name in state.detached or name in state.mixed:
                self.refuse(s, f"`{name}` is a result of ad.stop_gradient, the very array it was given: changing it "
                               "in place changes that array too, which cannot be differentiated exactly",
                            f"make a copy first: `{name} = ad.stop_gradient(...).copy()`")
            if self.session.viewless and not isinstance(target.kind, (K.Seq, K.Dict, K.Obj)):
                self.refuse(s, f"`{name}` is changed in place, and an argument is a Dask array: Dask arrays have no "
                               "views and are never changed in place (a slice is a new array, `x += 1` makes a "
                               "new one), so the derivative, which follows NumPy's semantics, could differ from "
                               "what the function computes", "build the values without in-place changes "
                               "(np.where, np.concatenate, `x = x + ...`), or pass NumPy arrays")
            self.not_an_array_attribute(s, target.kind, name)
            obj = self.changeable(s, state, target, name)
        if obj is not None and obj in state.slots or isinstance(target.kind, (K.Seq, K.Dict)):
            if isinstance(target.kind, K.Seq) and target.kind.cls is tuple and not s.noop:
                self.refuse(s, "a tuple cannot be changed", "build a new tuple, or use a list")
            key = s.items[0] if len(s.items) == 1 and not s.tuple_form else None
            if isinstance(key, Slice) and not s.noop and isinstance(target.kind, K.Seq) and \
                    target.kind.cls is list:
                rebuilt = self.mutations.lists.store(s, state, site)  # (alias_list_methods.py)
                if rebuilt is not None:
                    return rebuilt
            if isinstance(key, Slice) and not s.noop:
                self.refuse(s, "assigning to a slice of a list cannot be differentiated (yet)",
                            "build the list with + or append")
        if not s.noop:
            self.refuse_cycle(s, state, obj, self.values.val(s.value, state).objs)
        kind = self.after_store(s, state, target, obj)
        state.vars[name] = Val(kind, target.objs, target.gen, target.ident, target.partial)
        if isinstance(kind, (K.Obj, K.Dict, K.Seq)) and obj is not None:  # (every name of that object sees its
            for n in list(state.vars.holders((obj,))):                    # new attributes, keys, items: h17-009)
                v = state.vars[n]
                if v.objs == {obj} and isinstance(v.kind, type(kind)):
                    state.vars[n] = Val(kind, v.objs, v.gen, v.ident, v.partial)  # (h15-006: partial stays)
        if s.noop:
            return [s]
        return [s] + self.refresher.refresh(s, state, obj, name)

    def not_an_array_attribute(self, s, kind, name):
        """`y.shape = ...`, `z.real = ...`, `y.flat = ...`: an attribute of an array (or of a number, a list)
        is not one of an object's attributes (the compiler's model): refused, not run as an item store."""
        attr = ir.attr_key(s.items)
        if attr is None or not isinstance(kind, (K.Array, K.Scalar, K.Numeric, K.Seq, K.Dict)):
            return
        hints = {"shape": f"make a new array: `{name} = {name}.reshape(...)`",
                 "real": f"build a new array: `{name} = new_real + 1j * {name}.imag`",
                 "imag": f"build a new array: `{name} = {name}.real + 1j * new_imag`",
                 "flat": f"assign the items: `{name}[...] = np.reshape(values, {name}.shape)`"}
        self.refuse(s, f"assigning the attribute `{attr}` of `{name}` ({kind.describe()}) cannot be "
                       "differentiated", hints.get(str(attr), "compute a new value instead"))

    def refuse_cycle(self, s, state, obj, objs):
        """A container made to hold itself (directly or through what it holds: `a.kids.append(a)`) is refused:
        its adjoint, a container of the same shape, would have no end (h17-015)."""
        if obj is None or not isinstance(obj, Obj) or obj not in state.slots:  # (containers only: `y[...] = y`)
            return
        seen, todo = set(), list(objs)
        while todo:
            o = todo.pop()
            if o is obj:
                self.refuse(s, "this makes a list, dict or object hold itself (directly or through what it holds), "
                               "which cannot be differentiated", "keep the links in another form (indices, names)")
            if o not in seen:
                seen.add(o)
                todo.extend(all_objs(state.slots.get(o)))

    def after_store(self, s, state, target, obj=None):
        """The kind of a container after `target[items] = value` (and its slots, updated in `state`)."""
        obj = obj if obj is not None else target.must()
        kind = target.kind
        if obj is None or not (obj in state.slots or isinstance(kind, (K.Seq, K.Dict))):
            return kind
        value = self.values.val(s.value, state)
        slots = state.slots.get(obj, ("any", frozenset()))
        key = s.items[0] if len(s.items) == 1 and not s.tuple_form else None
        if isinstance(key, Const) and isinstance(key.value, AttrName) and isinstance(kind, K.Obj):
            # an object the function made: a container of its attributes
            names, kinds_ = [n for n, _ in kind.attrs], [k for _, k in kind.attrs]
            slots = list(slots) if isinstance(slots, list) and len(slots) == len(names) else \
                [all_objs(slots)] * len(names)
            name = str(key.value)
            if name in names:
                i = names.index(name)
                slots[i], kinds_[i] = value.objs, value.kind
            else:
                names.append(name)
                kinds_.append(value.kind)
                slots.append(value.objs)
            state.slots[obj] = slots
            return K.Obj(kind.cls, tuple(zip(names, kinds_)))
        if isinstance(key, Const) and isinstance(kind, K.Dict):
            keys, items = list(kind.keys), list(kind.items)
            slots = list(slots) if isinstance(slots, list) and len(slots) == len(keys) else \
                [all_objs(slots)] * len(keys)
            if key.value in keys:
                i = keys.index(key.value)
                slots[i], items[i] = value.objs, value.kind
            else:
                keys.append(key.value)
                items.append(value.kind)
                slots.append(value.objs)
            state.slots[obj] = slots
            return K.Dict(tuple(keys), tuple(items))
        if isinstance(key, Const) and isinstance(key.value, int) and isinstance(slots, list) and \
                -len(slots) <= key.value < len(slots):
            slots = list(slots)
            slots[key.value] = value.objs
            state.slots[obj] = slots
            if isinstance(kind, K.Seq) and kind.items is not None and len(kind.items) == len(slots):
                items = list(kind.items)
                items[key.value] = value.kind
                return K.Seq(kind.cls, tuple(items), K.join_all(items))
            return kind
        state.slots[obj] = ("any", all_objs(slots) | value.objs)
        if isinstance(kind, K.Seq):
            return K.Seq(kind.cls, kind.items if isinstance(key, Var) and False else None,
                         K.join(kind.elem, value.kind))
        return K.UNKNOWN

    def changeable(self, s, state, val, name):
        """The object a store through `name` changes (or a located refusal). When `name` may be one of several
        objects (it depends on the path taken, or on the iteration), the store is exact only if no other
        live name can see any of them."""
        if s.keep:  # (desugar_blocks.py)
            self.refuse(s, "an in-place change inside a `try` body (or a `with` block whose context manager may "
                           "swallow an exception) cannot be differentiated (yet): an exception after it would leave "
                           "the change made on a path the derivative does not follow",
                        "compute new values in the `try` body (`y = ...`), and change arrays after the statement")
        if not val.objs:
            if isinstance(val.kind, K.Scalar):
                self.refuse(s, f"`{name}` is a number: it has no items to change", "use an array")
            self.refuse(s, f"cannot tell which object `{name}` is here", "make a copy first",
                        deferred=self.session.generic)
        for obj in sorted(val.objs, key=lambda o: o.id):
            root = obj.root()
            if root.kind == "ext":
                param = self.objects.param_of(root)
                if param is not None and self.session.callee:
                    self.refuse(s, f"this changes the argument `{param}` of a recursive function in place, which "
                                   "its caller would see: that cannot be differentiated (yet)",
                                f"return the new value instead (`{param} = {param} + ...` and `return {param}`)")
                if param is not None and self.copyable(self.session.param_kind(param)) and \
                        self.mode == "rewrite":
                    raise Privatize(param)  # work on a copy of the argument (the caller's stays as it is)
                if root.param is not None:
                    via = "" if root.param == name else f" (through `{name}`)"
                    pk = self.session.param_kind(root.param)
                    what = "array" if isinstance(pk, K.Array) else "value"
                    self.refuse(s, f"this changes the argument `{root.param}` in place{via}: the caller's {what} "
                                   "would change", f"work on a copy: `{root.param} = {root.param}.copy()` first",
                                deferred=pk in (K.UNKNOWN, K.NUMERIC))
                via = '' if root.desc.endswith(name + '`') else ' (through `' + name + '`)'
                self.refuse(s, f"this changes {root.desc} in place{via}, which the function did not make",
                            f"work on a copy: `{name} = {name}.copy()` first", deferred=self.session.generic)
            p = obj
            while p is not None:
                if p.how == "readonly":
                    self.refuse(s, f"`{name}` is a read-only view (np.broadcast_to, np.diagonal)",
                                "make a copy first")
                if p.how == "opaque":
                    self.refuse(s, f"`{name}` is a view NumPy made of another array (np.einsum('ii->i', a), ...), "
                                   "which the derivative does not follow through changes in place", "make a copy first")
                p = p.parent
        obj = val.must()
        if obj is not None and not obj.is_old:
            return obj
        same = {n for n, v in state.vars.items() if val.ident is not None and v.ident == val.ident}  # refreshed by copy
        if self.sharing(s, state, val, exclude={name} | same):
            if obj is None and not any(o.is_old for o in val.objs) and (isinstance(val.kind, K.Array) or (
                    isinstance(val.kind, K.Numeric) and isinstance(s, ir.SetItem))):
                # one of several arrays the function made: which, is known when it runs (alias_refresh.py
                # gives each other name its new value if it is that very array, or refuses); an array or a
                # number whose items are set is an array (a number has none)
                return Several(val.objs)
            if obj is None:
                item = isinstance(s, ir.AugAssign) and s.origin is not None and \
                    isinstance(s.origin.node, (ast.Subscript, ast.Attribute))  # (`ys[0] += b`: an item)
                self.refuse(s, f"`{name}` may be one of several arrays here (it depends on the path taken), and "
                               "other names may see them, so changing it in place cannot be differentiated exactly",
                            f"write `{name} = {name} {s.op} ...` (a new value)" if item else
                            f"make a copy first: `{name} = {name}.copy()`", deferred=self.session.generic)
            self.refuse(s, f"`{name}` refers to an array made in an earlier iteration of the loop, which other "
                           "values may share", "make a copy first, in this iteration")
        return obj if obj is not None else sorted(val.objs, key=lambda o: o.id)[0]

    def copyable(self, kind):
        """Can an argument of this kind be copied privately (arrays, and containers of arrays and numbers)?"""
        if isinstance(kind, K.Array):
            return True
        if isinstance(kind, K.Seq):
            return all(self.copyable(k) or not k.mutable for k in (kind.items or (kind.item(None),)))
        if isinstance(kind, K.Dict):
            return all(self.copyable(k) or not k.mutable for k in kind.items)
        return False

    def sharing(self, s, state, val, exclude=()):
        """Live names and containers other than `exclude` that may see the memory of `val`'s objects."""
        tree = set()
        for o in val.objs:
            tree |= self.tree_of(o.root(), state)
        live = self.session.live_after(s)
        out = [n for n in state.vars.holders(tree) if n not in exclude and n in live]
        out += [c for c, slots in state.slots.items() if all_objs(slots) & tree and self.container_live(c, state, live)]
        return out

    def container_live(self, c, state, live, seen=None):
        """Is container `c` held by a live name, or by a container that is (transitively)?"""
        seen = set() if seen is None else seen
        if c in seen:
            return False
        seen.add(c)
        if any(n in live for n in state.vars.by_obj.get(c, ())):
            return True
        return any(c in all_objs(slots) and self.container_live(c2, state, live, seen)
                   for c2, slots in state.slots.items())

    def tree_of(self, root, state):
        """`root` and every view of it (transitively) referenced in this state."""
        return state.views_of(root)

    def in_live_container(self, o, state, live):
        """Is `o` an item of a live container?"""
        return any(o in all_objs(slots) and self.container_live(c, state, live) for c, slots in state.slots.items())

    def anyone_sees(self, state, objs, live, exclude):
        """Does a live name (not in `exclude`) or a live container see any of `objs`?"""
        if any(n in live and n not in exclude for n in state.vars.holders(objs)):
            return True
        return any(self.in_live_container(o, state, live) for o in objs)
