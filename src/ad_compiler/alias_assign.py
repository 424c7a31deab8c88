"""The alias pass's transfer functions for assignments (alias.py): `x = e`, `x op= v`, `x[i] (op)= v`.

`assign` binds the value of the right-hand side (rewriting a few runtime helpers first, and handing calls
that change their arguments to alias_mutation.py); `augassign` decides whether `x op= v` is a rebinding or
an in-place update (`t = x op v; x[...] = t`) other names see; `setitem` splits `x[i] op= v` into a read,
the operation and a store (alias_stores.py).
"""
from __future__ import annotations

import ast
import numpy as np

from . import alias_method_forms as method_forms, ir, kinds as K
from .alias_domain import Val, layout_read, new_gen
from .alias_in_place_calls import in_place_callee
from .alias_library import (MUTATING_FUNCTIONS, describe_kind, keyword_out, lookup, runtime,
                            without_reused_buffer, writes_out)
from .alias_session import Part
from .markers import stop_gradient
from .ir import Assign, AugAssign, Call, Const, Global, Index, Mutate, SetItem, Var


class Assignments(Part):
    """Assignments to names and items, and the binding of a value to a name."""

    def bind(self, state, name, val):
        """`name` now holds `val` (a new generation; the same identity as the value bound)."""
        state.vars[name] = Val(val.kind, val.objs, new_gen(), val.ident if val.ident is not None else new_gen())

    def assign(self, s, state, site):
        """`x = e` (or `a = b = e`)."""
        out = self._assign(s, state, site)
        value = s.value
        detached = isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj is stop_gradient
        base = _base_name(value)
        if base in state.detached and s.targets and state.vars.get(s.targets[0]) is not None:
            # a view (or the very value) of a stop_gradient result carries no derivative either
            objs = state.vars[s.targets[0]].objs
            detached = detached or (bool(objs) and all(o.root() in {b.root() for b in state.vars[base].objs}
                                                       for o in objs))
        for t in s.targets:
            if detached:
                state.detached.add(t)
            else:
                state.detached.discard(t)
            state.mixed.discard(t)
        return out

    def _assign(self, s, state, site):
        value = s.value
        layout = _layout_order_kwarg(value) if self.mode == "rewrite" else None
        if layout is not None:
            # reshape / ravel in order "K" or "A" (what the array's layout makes them): that order, found when
            # the program runs, so that derivatives in both modes undo the same order (a tangent's or adjoint's
            # layout need not be the array's)
            owner = value.func.value if isinstance(value.func, ir.Attr) else value.args[0]
            layout_read(self.values.val(owner, state).objs)
            rt = runtime()
            temp = self.temp()
            find = self.assign(self.derived(s, Assign((temp,), Call(Global(("_ad", "layout_order"), rt.layout_order,
                                                                           rt), (owner, layout)))), state,
                               site + ("order",))
            kwargs = tuple((k, Var(temp) if k == "order" else v) for k, v in value.kwargs)
            s = self.derived(s, Assign(s.targets, Call(value.func, value.args, kwargs)))
            return find + self._assign(s, state, site)
        if isinstance(value, Call) and isinstance(value.func, Global) and self.mode == "rewrite" and \
                _operator_symbol(value) is not None:
            # `operator.add(a, b)` is `a + b` (for lists and tuples a concatenation of the very items, whose
            # adjoint is split, not the sum's: a WRONG gradient, h27a-009)
            s = self.derived(s, Assign(s.targets, ir.BinOp(_operator_symbol(value), *value.args)))
            value = s.value
        if isinstance(value, Call) and self.mode == "rewrite":
            self.mutations.foreign_change(s, value)  # (`r = G.put(0, v)` of a global's array: h28b-009)
        if isinstance(value, Call) and isinstance(value.func, Global) and self.mode == "rewrite" and \
                len(s.targets) == 1:
            done = self.session.effects.rewrite(s, value, s.target, state, site) or \
                self.session.copies.rewrite(s, value, state, site)
            if done is not None:
                return done
        if isinstance(value, Call) and isinstance(value.func, ir.Attr) and self.mode == "rewrite":
            done = self.mutations.method_call(s, value, state, site, target=s.target)
            if done is not None:
                return done
            forms = method_forms.expand(value, self.values.val(value.func.value, state).kind, self.temp)
            if forms is not None:  # `x.sum(where=m)`, `x.max(initial=c)`, `x.take(i, mode="wrap")` of an array
                stmts, result = forms
                out = []
                for i, t in enumerate(stmts + [Assign(s.targets, result)]):
                    out += self.assign(self.derived(s, t), state, site + ("form", i))
                return out
        if isinstance(value, Call) and isinstance(value.func, ir.Attr) and value.func.attr in ("items", "values") \
                and not value.args and self.mode == "rewrite" and \
                isinstance(self.values.val(value.func.value, state).kind, K.Dict):
            rt = runtime()  # a dict's values or items, as a list (indexable by a loop; its adjoint is a dict)
            helper_fn = rt.dict_items if value.func.attr == "items" else rt.dict_values
            s = self.derived(s, Assign(s.targets, Call(Global(("_ad", helper_fn.__name__), helper_fn, rt),
                                                       (value.func.value,))))
            value = s.value
        if isinstance(value, Call) and isinstance(value.func, ir.Attr) and value.func.attr == "keys" and \
                not value.args and self.mode == "rewrite" and \
                isinstance(self.values.val(value.func.value, state).kind, K.Dict):
            # a dict's keys as the list `list(d)` (the kinds take `d.keys()` for a list, which a loop indexes)
            s = self.derived(s, Assign(s.targets, Call(Global(("list",), list), (value.func.value,))))
            value = s.value
        if isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj is runtime().iter_list \
                and self.mode == "rewrite":
            k = self.values.val(value.args[0], state).kind
            if isinstance(k, (K.Seq, K.Array)):  # a loop over a list, tuple or array indexes it directly
                s = self.derived(s, Assign(s.targets, value.args[0]))
                value = s.value
        if isinstance(value, Call) and isinstance(value.func, Global) and lookup(MUTATING_FUNCTIONS, value.func.obj):
            return self.mutations.mutating_function(s, value, state, site)
        if isinstance(value, Call) and without_reused_buffer(value) is not value:
            s = self.derived(s, Assign(s.targets, without_reused_buffer(value)))
            value = s.value
        if isinstance(value, Call) and writes_out(keyword_out(value)):
            return self.mutations.write_out(s, keyword_out(value), state, site, s.target)
        if isinstance(value, Call) and self.mode == "rewrite":
            self.in_place_value(s, value, state)
        val = self.values.evaluate(s, value, state, site)
        if not val.objs and (val.kind.mutable or isinstance(val.kind, K.Seq)) and not isinstance(value, Const) and \
                not (isinstance(value, Global) and not val.kind.mutable):
            # a value that may be mutable, of unknown provenance: an object the function did not make
            val = Val(val.kind, {self.objects.ext(site, desc="a value this function did not make")})
        for t in s.targets:
            self.bind(state, t, val)
        return [s]

    def in_place_value(self, s, call, state):
        """A call known to change an argument in place whose value is used (`u = operator.iadd(v, w)`) is refused:
        it would be taken for a call giving a new value, its change missed (h27a-001). (`operator.iadd(n, 1)` of a
        number, a tuple or a string makes a new value.)"""
        receiver = self.values.val(call.func.value, state).kind if isinstance(call.func, ir.Attr) and \
            isinstance(call.func.value, Var) else None
        found = in_place_callee(call, receiver)
        if found is not None:
            what, instead, changed = found
            k = self.values.val(changed, state).kind if isinstance(changed, Var) else None
            if isinstance(changed, Const) or isinstance(k, (K.Scalar, K.Str)) or \
                    isinstance(k, K.Seq) and k.cls is tuple:
                return
            self.refuse(s, f"this uses the value of {what}, which changes its argument in place: the compiler "
                           "follows such changes only where they are written as statements", f"write {instead}")

    def castable_in_place(self, s, k, state, name):
        """`x op= v` / `x[i] op= v` with x of kind k: refused where NumPy raises (an integer array changed by
        a floating-point value, a bool array by a number: the result cannot be cast back in place)."""
        if isinstance(k, K.Array) and (k.dtype in "iu" and (s.op == "/" or _floating(self.values.val(s.value, state).kind))
                                       or k.dtype == "b" and _numeric(self.values.val(s.value, state).kind)):
            shown = ast.unparse(s.origin.stmt.target) if s.origin is not None and \
                isinstance(s.origin.stmt, ast.AugAssign) else name
            what = "a bool array by a number" if k.dtype == "b" else "an integer array by a floating-point value"
            self.refuse(s, f"`{shown} {s.op}= ...` changes {what}: NumPy raises "
                           f"(it cannot cast the result back to {'bools' if k.dtype == 'b' else 'integers'} in place)",
                        f"make `{name}` a float array (e.g. `np.array(1.0)`, `dtype=float`), or write "
                        f"`{shown} = {shown} {s.op} ...`")

    def real_in_place(self, s, k, state, name):
        """`x op= v` with x a real array and v a complex number or array: refused where NumPy raises (dt-002; not
        `x[i] op= v` of one item, which NumPy stores with a ComplexWarning)."""
        if isinstance(k, K.Array) and k.dtype in "fiub" and _complex(self.values.val(s.value, state).kind):
            shown = ast.unparse(s.origin.stmt.target) if s.origin is not None and \
                isinstance(s.origin.stmt, ast.AugAssign) else name
            self.refuse(s, f"`{shown} {s.op}= ...` changes a real array by a complex value: NumPy raises (it cannot "
                           "cast the result back to real numbers in place)",
                        f"make `{name}` a complex array (`dtype=complex`), or write `{shown} = {shown} {s.op} ...`")

    def augassign(self, s, state, site):
        """`x op= v`: a rebinding, or an in-place update other names see."""
        v = self.values.val(Var(s.target), state)
        if self.mode == "kinds":
            return self.rebind(s, state, site, v.kind)
        k = v.kind
        if isinstance(k, K.Obj):
            from .alias_values import object_operator
            object_operator(self, s, k, f"`{s.op}=`")
        self.castable_in_place(s, k, state, s.target)
        self.real_in_place(s, k, state, s.target)
        if isinstance(k, K.Array) and k.dtype == "?" and (s.op == "/" or _numeric(self.values.val(s.value, state).kind)):
            shown = ast.unparse(s.origin.stmt.target) if s.origin is not None and \
                isinstance(s.origin.stmt, ast.AugAssign) else s.target
            self.refuse(s, f"`{shown} {s.op}= ...` changes an array whose dtype is not known when compiling (made "
                           "in the function or chosen by a branch): NumPy raises if it is an integer or bool array",
                        f"give `{shown}` its dtype as a constant (`dtype=float`), or write `{shown} = {shown} {s.op} ...`")
        extend = []
        vk = self.values.val(s.value, state).kind
        if isinstance(k, K.Seq) and (isinstance(vk, (K.Array, K.Numeric)) or (
                isinstance(vk, K.Scalar) and issubclass(vk.cls, np.generic))):
            # `l += a` for an array (or a NumPy number): Python tries the number protocol first, so NumPy adds
            # the list to it (`l = l + a`, a new array) and the list is left as it was (g4-018: an extend)
            return self.rebind(s, state, site, k)
        if isinstance(k, K.Seq) and k.cls is list and s.op == "+" and not (
                isinstance(vk, K.Seq) and vk.cls is list):
            # `l += (v,)` takes any iterable (`l = l + (v,)` would be a TypeError): `l = l + list((v,))`
            temp = self.temp()
            extend = self.assign(self.derived(s, Assign((temp,), Call(Global(("list",), list), (s.value,)))),
                                 state, site + ("list",))
            s = self.derived(s, ir.AugAssign(s.target, s.op, Var(temp)))
        return extend + self.augassign_apply(s, state, site, v, k)

    def rebind(self, s, state, site, k):
        """`x = x op v` for `x op= v`; a 0-d array stays a 0-d array (NumPy changes it in place, while `x op v`
        alone is a NumPy scalar: a name that later shares it would then not see its changes)."""
        value = ir.BinOp(s.op, Var(s.target), s.value)
        cast = self.mode == "rewrite" and isinstance(k, K.Array) and self.session.narrow and \
            not _weak(self.values.val(s.value, state).kind)
        unknown = self.mode == "rewrite" and (k is K.UNKNOWN or isinstance(k, K.Numeric)) and \
            self.session.narrow and not _weak(self.values.val(s.value, state).kind)
        if unknown:
            # (x may be a float32 array, which NumPy keeps float32 in place, or a number, which is rebound:
            # which one is known when it runs; dt3-001, dt3-006: `y = np.load(path) * 1.0; y += x`)
            temp = self.temp()
            out = self.assign(self.derived(s, Assign((temp,), value)), state, site + ("0-d",))
            helper = Call(Global(("_ad", "in_place_cast"), runtime().in_place_cast), (Var(temp), Var(s.target)))
            return out + self.assign(self.derived(s, Assign((s.target,), helper)), state, site)
        if not (isinstance(k, K.Array) and k.ndim == 0) and not cast:
            return self.assign(self.derived(s, Assign((s.target,), value)), state, site)
        temp = self.temp()
        out = self.assign(self.derived(s, Assign((temp,), value)), state, site + ("0-d",))
        # (in place, NumPy casts the result back to x's dtype: a float32 x stays float32 after `x *= np.sum(w)`
        # with w float64, while `x * np.sum(w)` is float64; dt-001)
        dtype = ()
        if cast:
            of = self.temp()
            out += self.assign(self.derived(s, Assign((of,), ir.Attr(Var(s.target), "dtype"))), state, site + ("dtype",))
            dtype = (("dtype", Var(of)),)
        as_array = Call(Global(("np", "asarray"), np.asarray, np), (Var(temp),), dtype)
        return out + self.assign(self.derived(s, Assign((s.target,), as_array)), state, site)

    def augassign_apply(self, s, state, site, v, k):
        if not (k.mutable or _array_subclass(k)) or not v.objs:
            return self.rebind(s, state, site, k)
        if isinstance(k, K.Seq) and k.cls is tuple:
            return self.rebind(s, state, site, k)
        external = any(o.external() for o in v.objs)
        key = _in_place_key(s)
        if not external and not self.stores.sharing(s, state, v, exclude={s.target}) and \
                not (s.nograd and isinstance(k, K.Array)) and key not in self.session.keep_in_place:
            # nobody else sees the object: the same as a new one (not inside no_grad, where a change in place
            # is a constant change of an array that keeps its derivative, as in PyTorch)
            out = self.rebind(s, state, site, k)
            if key is not None and isinstance(k, K.Array):  # (its layout may now differ: see KeepInPlace)
                for o in self.values.val(Var(s.target), state).objs:
                    o.rebound = key
            return out
        if isinstance(k, K.Seq) and k.cls is list and s.op == "+":
            return self.mutations.mutate(self.derived(s, Mutate(Var(s.target), "extend", (s.value,))), state, site)
        if not isinstance(k, K.Array) or k.ndim is None:
            # (an array of unknown rank may be a NumPy scalar, a 0-d result NumPy gives as a number: immutable)
            t = s.target
            user = s.origin.stmt if s.origin is not None else None
            shown = ast.unparse(user.target) if isinstance(user, ast.AugAssign) else t  # (`xs[k]`, not a temporary)
            unknown = k in (K.UNKNOWN, K.NUMERIC) or isinstance(k, K.Array)
            if external and not unknown:
                self.stores.changeable(s, state, v, t)
            what = "an array of unknown rank (or a NumPy scalar: NumPy gives some 0-d results as immutable numbers)" \
                if isinstance(k, K.Array) else describe_kind(k)
            self.refuse(s, f"`{shown} {s.op}= ...` cannot be differentiated: `{shown}` is {what}, and "
                           "other names see it, so it matters whether it changes in place",
                        f"write `{shown} = {shown} {s.op} ...` (a new value), or make it an array", deferred=unknown)
        self.stores.changeable(s, state, v, s.target)
        temp = self.temp()
        compute = self.derived(s, Assign((temp,), ir.BinOp(s.op, Var(s.target), s.value)))
        out = self.assign(compute, state, site + ("compute",))
        store = self.derived(s, SetItem(Var(s.target), (Const(Ellipsis),), Var(temp)))
        return out + self.stores.store(store, state, site + ("store",))

    def setitem(self, s, state, site):
        """`x[i] = v`, or `x[i] op= v` as a read, the operation and a store."""
        if self.mode == "kinds":
            return self.stores.store(s, state, site)
        if s.op is not None:  # (the store after the operation reads the target and the index: h17-007)
            self.session.also_live[id(s)] = ir.names_in(s.target) | set().union(*(ir.names_in(i) for i in s.items))
        if s.op is not None and not isinstance(self.values.val(s.target, state).kind, (K.Seq, K.Dict)) and \
                self.values.val(s.target, state).kind is not K.UNKNOWN:
            # an array: `x[i] op= v` stores x[i] op v into x[i] (NumPy computes it the same way, and casts the
            # result back as `x op= v` does: h13-003)
            self.castable_in_place(s, self.values.val(s.target, state).kind, state, getattr(s.target, "name", "x"))
            t1, t2 = self.temp(), self.temp()
            get = self.assign(self.derived(s, Assign((t1,), Index(s.target, s.items, s.tuple_form))), state,
                              site + ("get",))
            if _generated(s):  # an adjoint's `b[i] += v` read again: the entries as a copy (the derivative of
                t0, t1 = t1, self.temp()  # this code reads them after the store, which changes a view)
                rt = runtime()
                copy = Call(Global(("_ad", "np_copy"), rt.np_copy, rt), (Var(t0),))
                get += self.assign(self.derived(s, Assign((t1,), copy)), state, site + ("copy",))
            compute = self.derived(s, Assign((t2,), ir.BinOp(s.op, Var(t1), s.value)))
            put = self.derived(s, SetItem(s.target, s.items, Var(t2), tuple_form=s.tuple_form))
            self.session.also_live.pop(id(put), None)
            return get + self.assign(compute, state, site + ("aug",)) + \
                self.stores.store(put, state, site + ("put",))
        if s.op is not None:  # x[i] op= v  ->  t = x[i]; t op= v; x[i] = t (an item of a list may be an array)
            temp = self.temp()
            get = self.derived(s, Assign((temp,), Index(s.target, s.items, s.tuple_form)))
            aug = self.derived(s, AugAssign(temp, s.op, s.value))
            put = self.derived(s, SetItem(s.target, s.items, Var(temp), tuple_form=s.tuple_form))
            self.session.also_live.pop(id(put), None)
            return self.assign(get, state, site + ("get",)) + self.augassign(aug, state, site + ("aug",)) + \
                self.stores.store(put, state, site + ("put",))
        return self.stores.store(s, state, site)


def _generated(s):
    """Is the statement from code ad_compiler generated (a derivative differentiated again)?"""
    return s.origin is not None and str(s.origin.unit.filename).startswith("<ad_compiler")


def _base_name(value):
    """The name `value` takes an item, attribute or method result of (or is), else None."""
    if isinstance(value, Var):
        return value.name
    if isinstance(value, (Index, ir.Attr)) and isinstance(value.value, Var):
        return value.value.name
    if isinstance(value, Call) and isinstance(value.func, ir.Attr) and isinstance(value.func.value, Var):
        return value.func.value.name
    return None


def _in_place_key(s):
    """The user's statement an `x op= v` comes from (the same in every run of the pass), or None."""
    return id(s.origin.stmt) if s.origin is not None and s.origin.stmt is not None else None


def _layout_order_kwarg(value):
    """The constant order "K" or "A" of a reshape / ravel / flatten call (method or np.reshape / np.ravel),
    else None."""
    if not isinstance(value, Call):
        return None
    f = value.func
    if isinstance(f, Global):
        if f.obj not in (np.reshape, np.ravel) or not value.args:
            return None
    elif not (isinstance(f, ir.Attr) and f.attr in ("reshape", "ravel", "flatten")):
        return None
    order = dict(value.kwargs).get("order")
    return order if isinstance(order, Const) and order.value in ("K", "A") else None


def _numeric(kind):
    """Is a value of this kind surely a number or array of numbers other than bools (`b += 1` on a bool array
    raises in NumPy)?"""
    if isinstance(kind, K.Array):
        return kind.dtype in "iufc"
    return isinstance(kind, K.Scalar) and isinstance(kind.cls, type) and not issubclass(kind.cls, (bool, np.bool_)) \
        and issubclass(kind.cls, (int, float, complex, np.number))


def _weak(kind):
    """Is a value of this kind a Python number (NEP 50: it takes the dtype of the array it meets)?"""
    return isinstance(kind, K.Scalar) and kind.cls in (float, int, bool)


def _complex(kind):
    """Is a value of this kind surely a complex number or array?"""
    if isinstance(kind, K.Array):
        return kind.dtype == "c"
    return isinstance(kind, (K.Scalar, K.Other)) and isinstance(kind.cls, type) and \
        issubclass(kind.cls, (complex, np.complexfloating))  # (a constant `1j` is Other(complex): const_kind)


def _floating(kind):
    """Is a value of this kind surely a floating-point (or complex) number or array?"""
    if isinstance(kind, K.Array):
        return kind.dtype in "fc"
    return isinstance(kind, K.Scalar) and isinstance(kind.cls, type) and \
        issubclass(kind.cls, (float, complex, np.floating, np.complexfloating))


def _array_subclass(kind):
    """Is `kind` an ndarray subclass (`np.asmatrix(x)`: `m *= c` changes it in place, and x with it)?"""
    return isinstance(kind, K.Other) and isinstance(kind.cls, type) and issubclass(kind.cls, np.ndarray)


def _operator_symbol(call):
    """The operator of `operator.add(a, b)` and the like (`+`), or None."""
    from .alias_calls import _OPERATOR_SYMBOLS

    try:
        symbol = _OPERATOR_SYMBOLS.get(call.func.obj)
    except TypeError:  # (unhashable)
        return None
    ok = len(call.args) == 2 and not call.kwargs and not any(isinstance(a, ir.Starred) for a in call.args)
    return symbol if ok else None
