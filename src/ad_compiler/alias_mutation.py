"""Calls that change their arguments, for the alias pass (alias.py).

In-place methods become explicit stores (`y.fill(c)` is `y[...] = c`, `y.sort()` is `y[...] = np.sort(y)`);
list methods become `Mutate` statements (`mutate` follows their items and refreshes the other names);
`f(a, out=c)` is `t = f(a); c[...] = t`; `np.copyto(a, b)` is `a[...] = b`. The rest are refused.
"""
from __future__ import annotations

import numpy as np

from . import ir, kinds as K, recompute
from .alias_domain import Val, all_objs
from .alias_library import (ARRAY_MUTATORS, DICT_MUTATORS, LIST_MUTATORS, MUTATING_FUNCTIONS, lookup,
                            runtime, writes_out, keyword_out)
from .alias_calls import iterated_slots
from .alias_container_methods import ContainerMethods
from .alias_list_methods import ListMethods
from .alias_session import Part
from .alias_values import CHANGING_METHODS, CLASS_ATTRIBUTE
from .ir import Assign, Call, Const, Global, Mutate, SetItem, Var


_NP_WHERE = Global(("np", "where"), np.where, np)
# a value of the operands of a ufunc with a derivative rule where it and its partials are finite (1 elsewhere)
_FILLS = {np.arcsin: 0, np.arccos: 0, np.arctanh: 0, np.arccosh: 2}


def masked_fill(ufunc):
    """What the entries of a ufunc's operands that `where=` leaves out are replaced with before it is called on
    every entry, or None for a ufunc without a derivative rule (nothing to keep finite)."""
    from . import rules

    kind, rule = rules.lookup_function(ufunc)
    if kind != "rule" or not rule.elementwise:
        return None
    return _FILLS.get(ufunc, 1)


# methods of lists, tuples and dicts that only read them (called for nothing, they change nothing)
_READING_METHODS = {K.Seq: {"copy", "count", "index"},
                    K.Dict: {"copy", "get", "items", "keys", "values"}}


def _reports(obj):
    """A function (or a bound method, or a class) of `logging` or `warnings`: it reads what it is given, to
    report it."""
    func = getattr(obj, "__func__", obj)
    return (getattr(func, "__module__", None) or "").split(".")[0] in ("logging", "warnings")


class Mutations(Part):
    """Statements calling functions or methods that change their arguments (the methods written as the stores,
    pops and appends they make: `ContainerMethods`, alias_container_methods.py)."""

    def __init__(self, session):
        super().__init__(session)
        self.containers = ContainerMethods(session)
        self.lists = ListMethods(session)

    def exprstmt(self, s, state, site):
        """A call as a statement: an in-place method, a mutating function, an `out=` write, or nothing to do."""
        call = s.value
        if isinstance(call, Call) and isinstance(call.func, Global) and call.func.obj is runtime().check_unpack \
                and self.mode == "rewrite" and _fits(self.values.val(call.args[0], state).kind, call.args[1:]):
            return []  # (unpacking a list or tuple whose length the kinds know: nothing to check)
        if isinstance(call, Call):
            self.foreign_change(s, call)
        if isinstance(call, Call) and isinstance(call.func, Global) and self.mode == "rewrite":
            done = self.session.effects.rewrite(s, call, None, state, site)
            if done is not None:
                return done
        if isinstance(call, Call) and isinstance(call.func, ir.Attr) and self.mode == "rewrite":
            done = self.method_call(s, call, state, site, target=None)
            if done is not None:
                return done
        if isinstance(call, Call) and isinstance(call.func, Global) and lookup(MUTATING_FUNCTIONS, call.func.obj):
            return self.mutating_function(s, call, state, site)
        if isinstance(call, Call) and writes_out(keyword_out(call)):
            return self.write_out(s, keyword_out(call), state, site, None)
        if isinstance(call, Call) and self.mode == "rewrite":
            self.check_pure(s, call, state)
        return [s]

    def check_pure(self, s, call, state):
        """A call whose value is not used is made for what it does: refused unless it is known to change
        nothing, or is given nothing that could change (numbers, strings)."""
        func = call.func
        if isinstance(func, Global):
            obj = func.obj
            name = getattr(obj, "__name__", "")
            if getattr(obj, "__module__", None) == runtime().__name__:
                return  # (the helpers changing their arguments are rewritten before: alias_effects.py)
            pure = self.ctx.has_rule(obj) or (self.ctx.nondiff(obj) and lookup(MUTATING_FUNCTIONS, obj) is None)
            if pure or obj is print or _reports(obj):
                return
            what = f"`{'.'.join(func.path)}`"
            given = list(call.args) + [v for _, v in call.kwargs]
            held = getattr(obj, "__self__", None)
            if len(func.path) >= 3 and isinstance(func.root, type) and isinstance(held, (list, dict, set)):
                self.class_state(s, f"the method `.{func.path[-1]}()`", ".".join(func.path[:-1]), None)
        elif isinstance(func, ir.Attr):
            owner = self.values.val(func.value, state).kind if isinstance(func.value, Var) else None
            if isinstance(owner, K.Other) and _reports(owner.cls):
                return  # (a logger's method: logging.getLogger(name).info(...))
            if func.attr in _READING_METHODS.get(type(owner), ()) and not any(
                    isinstance(a, Var) and not isinstance(self.values.val(a, state).kind, (K.Scalar, K.Other))
                    for a in list(call.args) + [v for _, v in call.kwargs]):
                return  # (`d.values()`, `lst.index(v)` for nothing: they read the container, change nothing: ob3-001)
            what = f"the method `.{func.attr}()`"
            given = [func.value] + list(call.args) + [v for _, v in call.kwargs]
            shared = [o.desc for o in self.values.val(func.value, state).objs if o.desc.startswith(CLASS_ATTRIBUTE)] \
                if isinstance(func.value, Var) else []
            if shared:
                self.class_state(s, what, shared[0].split("`")[1], func.value.name)
        else:
            what, given = "a function value", list(call.args) + [v for _, v in call.kwargs]
        changeable = [a for a in given if isinstance(a, Var) and not isinstance(
            self.values.val(a, state).kind, (K.Scalar, K.Other))]
        if isinstance(func, ir.Attr) and func.attr in recompute.DRAW_METHODS and \
                func.attr not in ("shuffle", "permuted") and isinstance(func.value, Var):
            changeable = [a for a in changeable if a is not func.value]  # (a draw moves only its generator on,
            # as f's does: `prs[0].expovariate(1.0)` of a generator of unknown kind, kept as it is, h28c-007)
        foreign = [a for a in given if isinstance(a, Global) and isinstance(a.obj, (np.ndarray, list, dict, set))]
        if foreign and not changeable:  # (`operator.setitem(G, 0, v)` of a global's array: h28b-009)
            self.refuse(s, f"this calls {what} for what it does (its value is not used), and it may change "
                           f"`{'.'.join(foreign[0].path)}` in place, a value the function does not own (a global's or "
                           "a closure's)", "change a copy made in the function, or call it outside")
        if changeable:
            unknown = any(self.values.val(a, state).kind is K.UNKNOWN for a in changeable)
            hint = "compute the new value and assign it (`y = ...`, `y[i] = ...`); if the call changes nothing, " \
                "use its value or call it outside the differentiated function"
            if isinstance(func, ir.Attr) and func.attr == "insert" and call.args == (Const(0),) + call.args[1:]:
                name = changeable[0].name  # (a list of a length not known here: in a loop; exact in every mode)
                hint = f"make a new list where no other name holds `{name}`: `{name} = [v] + {name}`"
            self.refuse(s, f"this calls {what} for what it does (its value is not used), and it may change "
                           f"`{changeable[0].name}` in place in a way the compiler cannot follow", hint,
                        deferred=unknown and self.session.generic)

    def class_state(self, s, what, shown, name):
        """Refuse a change of a list, dict or set a class holds (`Node.seen`), with what to do instead (`name`:
        the variable holding it, shown as the user wrote it: `self.seen`)."""
        held = f"`{name}` (`{shown}`)" if name is not None else f"`{shown}`"
        self.refuse(s, f"this calls {what} on {held}, a class attribute (made in the class body): one "
                       "object shared by every instance, module-level state that outlives the call, which the "
                       "derivative cannot follow",
                    f"make it in `__init__` (`self.{shown.split('.')[-1]} = []`, or `{{}}` / `set()`), so that "
                    "each object has its own, or keep the record outside the differentiated function")

    def write_out(self, s, call, state, site, target):
        """`f(a, b, out=c)`: computed as `t = f(a, b)` and stored with `c[...] = t` (and `target = c`)."""
        out = call.kwarg("out")
        if isinstance(out, Var):
            dest = out
        else:
            self.refuse(s, "a call writing its result into something other than one named array (`out=`)",
                        "assign the result instead")
        mask = call.kwarg("where") if isinstance(call.func, Global) and isinstance(call.func.obj, np.ufunc) else None
        if mask == Const(True):
            mask = None
        stmts = []
        args = list(call.args)
        if mask is not None:  # `f(a, out=c, where=m)`: c[m] = f(a)[m], the rest of c kept (h18-004)
            fill = masked_fill(call.func.obj)
            for i, a in enumerate(args[:call.func.obj.nin] if fill is not None else ()):
                safe = self.temp()  # (the masked entries of an operand where f and its partials are finite)
                stmts += self.assignments.assign(self.derived(s, Assign((safe,), Call(
                    _NP_WHERE, (mask, a, Const(fill))))), state, site + ("masked", i))
                args[i] = Var(safe)
        temp = self.temp()
        dropped = ("out", "where") if mask is not None or call.kwarg("where") == Const(True) else ("out",)
        plain = Call(call.func, tuple(args), tuple((k, v) for k, v in call.kwargs if k not in dropped))
        stmts += self.assignments.assign(self.derived(s, Assign((temp,), plain)), state, site + ("out",))
        if mask is not None:
            kept = self.temp()
            stmts += self.assignments.assign(self.derived(s, Assign((kept,), Call(
                _NP_WHERE, (mask, Var(temp), dest)))), state, site + ("kept",))
            temp = kept
        if call.kwarg("casting") is None:
            self.same_kind(s, dest, Var(temp), state, "`out=`")
        stmts += self.stores.store(self.derived(s, SetItem(dest, (Const(Ellipsis),), Var(temp))), state,
                                   site + ("store",))
        if target is not None:
            stmts += self.assignments.assign(self.derived(s, Assign((target,), dest)), state, site + ("alias",))
        return stmts

    def same_kind(self, s, dest, value, state, what):
        """A ufunc's `out=` and np.copyto cast with casting='same_kind': an integer array given floating-point
        values, or a bool array numbers, raises in NumPy; the store `dest[...] = value` made of them would cast
        unsafely (truncate): refused (dt3-005)."""
        from .alias_assign import _floating, _numeric

        k, vk = self.values.val(dest, state).kind, self.values.val(value, state).kind
        if isinstance(k, K.Array) and (k.dtype in "iu" and _floating(vk) or k.dtype == "b" and _numeric(vk)):
            kinds_ = "a bool array numbers" if k.dtype == "b" else "an integer array floating-point values"
            self.refuse(s, f"{what} gives {kinds_}: NumPy raises (casting='same_kind')",
                        f"make `{dest.name}` a float array (`dtype=float`), or pass `casting=\"unsafe\"` if "
                        "truncating is meant")

    def mutating_function(self, s, call, state, site):
        """`np.copyto(a, b)` as a store; other NumPy functions changing an array are refused."""
        name = MUTATING_FUNCTIONS[call.func.obj]
        if name == "copyto" and len(call.args) == 2 and not call.kwargs and isinstance(call.args[0], Var):
            self.same_kind(s, call.args[0], call.args[1], state, "`np.copyto`")
            return self.stores.store(self.derived(s, SetItem(call.args[0], (Const(Ellipsis),), call.args[1])), state,
                                     site)
        self.refuse(s, f"`np.{name}` changes an array in place and cannot be differentiated (yet)",
                    "compute the new array with indexing and assignment instead")

    def foreign_change(self, s, call):
        """Refuse `G.fill(3.0)`, `HO.arr.put(0, v)`, `G.__setitem__(0, v)`: a method changing in place an array,
        list, dict or set the function reads from a global or a closure (a Global receiver; through a local name
        it is the stores' refusal). The adjoint, or a checkpointed function run again, read it changed: a WRONG
        gradient (h28b-009); `G[...] = 3.0` is refused when desugaring."""
        _refuse_foreign_change(self, s, call)

    def method_call(self, s, call, state, site, target):
        """In-place methods of lists and arrays, as explicit stores; None for other methods."""
        owner = call.func.value
        self.foreign_change(s, call)
        if not isinstance(owner, Var):
            return None
        method = call.func.attr
        k = self.values.val(owner, state).kind
        if isinstance(k, K.Seq) and k.cls is list and (method in LIST_MUTATORS or method == "__delitem__"):
            if method == "__delitem__" and call.args and isinstance(call.args[0], Const) and \
                    type(call.args[0].value) is int and target is None and k.items is not None:
                call = Call(ir.Attr(owner, "pop"), call.args)  # (`del lst[2]`: the pops and appends of .pop(2))
                method, target = "pop", self.temp()
            moved = self.containers.moving_tail(s, call, k, state, site, target)
            if moved is not None:
                return moved
            moved = self.lists.method(s, call, k, state, site, target)
            if moved is not None:
                return moved
            if method == "__delitem__":
                self.refuse(s, "this `del` of items of a list cannot be differentiated (yet)",
                            "build the list without those items: `lst = lst[:a] + lst[b:]`")
            if method not in ("append", "extend", "pop", "clear") or (method == "pop" and call.args):
                self.refuse(s, f"the list method `.{method}({'i' if call.args and method == 'pop' else ''})` cannot "
                               "be differentiated (yet)", "build a new list instead (slicing, +, sorted(...))")
            if method == "pop" and target is None:  # (the adjoint puts the item back: it needs its value)
                target = self.temp()
            pre, args = [], call.args
            if method == "extend" and len(args) == 1 and isinstance(args[0], Var) and \
                    self.values.val(args[0], state).objs & self.values.val(owner, state).objs:
                # `lst.extend(lst)` (or an alias of it): extended by a copy of its items, as Python does (the
                # adjoint takes back as many items as the argument has: read after the change, twice as many:
                # h17-005)
                items = self.temp()
                pre = self.assignments.assign(self.derived(s, Assign((items,), Call(Global(("list",), list),
                                                                                    args))), state, site + ("items",))
                args = (Var(items),)
            return pre + self.mutate(self.derived(s, Mutate(owner, method, args, out=target)), state, site)
        if isinstance(k, K.Dict) and method in ("update", "setdefault"):
            done = self.containers.dict_stores(s, call, k, state, site, target)
            if done is not None:
                return done
        if isinstance(k, K.Dict) and method == "__delitem__":
            self.refuse(s, "`del d[key]` of a dict cannot be differentiated (yet)",
                        "build the dict without the key: `d = {k: v for k, v in d.items() if k != key}`")
        if isinstance(k, K.Dict) and method in DICT_MUTATORS:
            self.refuse(s, f"the dict method `.{method}()` cannot be differentiated (yet)",
                        "assign the keys one by one: `d[k] = v`")
        if method in ARRAY_MUTATORS and (isinstance(k, (K.Array, K.Numeric)) or k is K.UNKNOWN):
            if method == "setflags":
                return [s]
            if target is not None:
                self.refuse(s, f"using the value of `.{method}()`", "call it as a statement")
            if method == "fill" and len(call.args) == 1 and not call.kwargs:
                return self.stores.store(self.derived(s, SetItem(owner, (Const(Ellipsis),), call.args[0])), state, site)
            if method == "sort" and len(call.args) <= 1 and all(kw in ("axis", "kind") for kw, _ in call.kwargs):
                temp = self.temp()
                sort = self.derived(s, Assign((temp,), Call(Global(("np", "sort"), np.sort, np), (owner,) + call.args,
                                                            call.kwargs)))
                store = self.derived(s, SetItem(owner, (Const(Ellipsis),), Var(temp)))
                return self.assignments.assign(sort, state, site + ("sort",)) + \
                    self.stores.store(store, state, site + ("store",))
            self.refuse(s, f"the in-place array method `.{method}()` cannot be differentiated (yet)",
                        f"compute the new values and assign them: `{owner.name}[...] = ...`")
        return None

    def mutate(self, m, state, site):
        """`lst.append(v)`, `.extend`, `.pop()`, `.clear()`: the list's new items, then the refreshes."""
        target = self.values.val(m.target, state)
        name = m.target.name
        obj = target.must() if self.mode == "kinds" else self.stores.changeable(m, state, target, name)
        slots = state.slots.get(obj, ("any", frozenset())) if obj is not None else ("any", frozenset())
        kind = target.kind if isinstance(target.kind, K.Seq) else K.Seq(list, None, K.UNKNOWN)
        out_val = None
        if m.method in ("append", "extend") and self.mode != "kinds":
            self.stores.refuse_cycle(m, state, obj, self.values.val(m.args[0], state).objs)
        if m.method == "append":
            value = self.values.val(m.args[0], state)
            if isinstance(slots, list):
                slots = list(slots) + [value.objs]
            else:
                slots = ("any", slots[1] | value.objs)
            items = kind.items + (value.kind,) if kind.items is not None else None
            kind = K.Seq(list, items, K.join_all(items) if items else K.join(kind.elem, value.kind))
        elif m.method == "extend":
            value = self.values.val(m.args[0], state)
            other = iterated_slots(self, value, state, site)  # (an array's rows: maybe views of it, h26a-004)
            vk = value.kind if isinstance(value.kind, K.Seq) else K.Seq(list, None, K.UNKNOWN)
            if isinstance(slots, list) and isinstance(other, list) and kind.items is not None and \
                    vk.items is not None:
                slots = list(slots) + list(other)
                items = kind.items + vk.items
            else:
                slots = ("any", all_objs(slots) | all_objs(other))
                items = None
            kind = K.Seq(list, items, K.join(kind.elem, vk.elem) if kind.items != () else vk.elem)
        elif m.method == "pop":
            if isinstance(slots, list) and slots:
                out_val = Val(kind.items[-1] if kind.items else K.UNKNOWN, slots[-1])
                slots = list(slots[:-1])
                items = kind.items[:-1] if kind.items else None
            else:
                out_val = Val(kind.item(), all_objs(slots))
                items = None
            kind = K.Seq(list, items, kind.elem)
        elif m.method == "clear":
            slots = []
            kind = K.Seq(list, (), None)
        if obj is not None:
            state.slots[obj] = slots
        state.vars[name] = Val(kind, target.objs, target.gen, target.ident, target.partial)
        if obj is not None and target.must() is obj:  # every other name holding this very list sees its new
            for other in state.vars.holders((obj,)):  # items (a helper's `lst.append(v)` changes the caller's)
                v = state.vars[other]
                if other != name and v.must() is obj and isinstance(v.kind, K.Seq) and not v.partial:
                    state.vars[other] = Val(kind, v.objs, v.gen, v.ident)
        if self.mode == "kinds":
            if m.result is not None:
                self.assignments.bind(state, m.result, state.vars[name])
            if m.out is not None:
                self.assignments.bind(state, m.out, out_val or Val(K.UNKNOWN))
            return [m]
        if m.out is not None:
            self.assignments.bind(state, m.out, out_val or Val(K.UNKNOWN))
        return [m] + self.refresher.refresh(m, state, obj, name)


def _fits(kind, args):
    """Does a list or tuple of this kind have the number of items `_ad.check_unpack(items, *args)` asks for?"""
    if not isinstance(kind, K.Seq) or kind.items is None:
        return False
    n, starred = args[0].value, len(args) > 1 and args[1].value
    return len(kind.items) == n or starred and len(kind.items) > n


def _read_elsewhere(body, obj, adds):
    """Does the function (nested functions included) read the global or closure value `obj` other than as the
    receiver of a call adding to it (`LOSSES.append(v)`) or for its length?"""
    todo = list(ir.walk(body, into_functions=True))
    while todo:
        e = todo.pop()
        if isinstance(e, Global):
            if e.obj is obj:
                return True
        elif isinstance(e, Call) and isinstance(e.func, ir.Attr) and isinstance(e.func.value, Global) and \
                e.func.value.obj is obj and e.func.attr in adds:
            todo += [*e.args, *(v for _, v in e.kwargs)]
        elif isinstance(e, Call) and isinstance(e.func, Global) and e.func.obj is len and len(e.args) == 1 and \
                isinstance(e.args[0], Global) and e.args[0].obj is obj:
            continue  # (its length, piecewise constant: `if len(LOSSES) % 10 == 0:`)
        elif isinstance(e, (list, tuple)):
            todo += list(e)
        elif isinstance(e, ir.Stmt):
            todo += [v for k, v in vars(e).items() if k not in ("body", "orelse", "handlers", "finalbody")]
        else:
            todo += ir.children(e)
    return False


def _refuse_foreign_change(part, s, call):
    """(Mutations.foreign_change)"""
    f = call.func
    if isinstance(f, ir.Attr) and isinstance(f.value, Global):
        name, obj, path = f.attr, f.value.obj, f.value.path
    elif isinstance(f, Global) and len(f.path) >= 2:
        name, obj, path = f.path[-1], getattr(f.obj, "__self__", None), f.path[:-1]
    else:
        return
    adds = {list: ("append", "extend"), dict: ("setdefault",), set: ("add",)}.get(type(obj), ("setflags",))
    if name in CHANGING_METHODS and isinstance(obj, (np.ndarray, list, dict, set, bytearray)) and \
            (name not in adds or _read_elsewhere(part.session.fn.body, obj, adds)):
        # (a record kept by adding to a list, `LOSSES.append(float(v))`, changes no value read before; one
        # the function reads too, `GL.append(v); GL[-1]`, would be read with no derivative: h28c-004)
        part.refuse(s, f"`.{name}()` changes `{'.'.join(path)}` in place, a value the function does not own (a "
                       "global's or a closure's): the derivative cannot follow the change",
                    "change a copy made in the function (`g = G.copy()`), or change it outside")
