"""Refreshes after an in-place change, for the alias pass (alias.py).

After a store into an object, every other live name that sees its memory gets a `noop` statement saying
where its new value comes from: up, the base of a changed view (`inverse`: `x[1:] = v`, `x = v.T`, a
checked reshape); down, the other views of it, made again (`w = x[:2]`, with a `view_check` when NumPy may
have copied); aliases (`y = x`, or `if y is x: y = x` when it depends on the path taken); and the lists,
tuples and dicts holding a changed object (`refresh_containers`: `L[0] = x`). What cannot be refreshed
exactly is refused.
"""
from __future__ import annotations

import numpy as np

from . import ir, kinds as K
from .alias_axes import inverse_call
from .alias_domain import Several, Val, all_objs, depth, layout_read
from .alias_library import reshaping, runtime
from .alias_session import Part
from .alias_values import record_making
from .ir import Assign, Call, Const, ExprStmt, Global, If, Index, SetItem, Var


class Refresher(Part):
    """The statements that give every other name seeing a changed object its new value."""

    def refresh(self, s, state, obj, name):
        """Statements telling every other live name that sees `obj`'s memory where its new value comes from."""
        if isinstance(obj, Several):  # one of several arrays: alias_several.py
            return self.session.several.refresh(s, state, obj.objs, name)
        live = self.session.live_after(s)
        new_name = {obj: name}  # object -> the name holding its new value
        out, top = self.refresh_bases(s, state, obj, name, new_name, live)
        tree = self.stores.tree_of(top, state)
        out += self.refresh_views(s, state, tree, new_name, live, name)
        out += self.refresh_aliases(s, state, obj, tree, new_name, live, name)
        out.extend(self.refresh_containers(s, state, tree, new_name, live, name))
        mark_stale(state, self.stores.tree_of(obj.root(), state) | set(new_name), out, name)
        self.follow_kinds(out, state)
        # (a refresh changes no binding: every name still refers to the same object as before)
        for r in out:  # a stop_gradient result sees the change, and still carries no derivative
            for t in (r.targets if isinstance(r, Assign) else ()):
                if t in state.mixed:
                    self.refuse(s, f"`{t}` is a result of ad.stop_gradient on some paths only, and shares memory "
                                   "with the array changed here", f"make a copy: `{t} = ad.stop_gradient(...).copy()`")
                if t in state.detached:
                    r.nograd = True
        detached = [t for t in state.detached | state.mixed if state.vars.get(t) is not None and t in _stored(self)]
        for r in out if detached else ():
            # a container's item refreshed with the changed array's value and derivative: one holding a stop_gradient
            # result that is that very array (`L = [ad.stop_gradient(y)]`) would carry y's derivative (h27a-015);
            # which item came from it is not followed, so refused where such a result is the refreshed object
            vn = r.value.name if isinstance(r, SetItem) and r.noop and isinstance(r.value, Var) else None
            if vn is not None and vn not in state.detached and state.vars.get(vn) is not None and any(
                    state.vars[t].objs & state.vars[vn].objs for t in detached):
                self.refuse(s, "a list, dict or object holding a result of ad.stop_gradient that is the array "
                               "changed here is used later: its item would carry the array's derivative",
                            "make a copy: `ad.stop_gradient(...).copy()`")
        return out

    def follow_kinds(self, out, state):
        """The kinds of the containers refreshed follow their new items (h17-006: after `t = c.buf;
        t.append(x)`, `c.buf` read again was still the empty list; `c.buf[-1] *= 2` was refused, and generated
        code taking back as many adjoints as `list(c.buf)` has took none)."""
        for r in out:
            if isinstance(r, SetItem) and r.noop and isinstance(r.target, Var):
                self.stores.store(r, state, None)
            elif isinstance(r, Assign) and r.noop and isinstance(r.value, Var) and len(r.targets) == 1:
                v, w = state.vars.get(r.targets[0]), state.vars.get(r.value.name)
                if v is not None and w is not None and v.objs == w.objs:
                    state.vars[r.targets[0]] = Val(w.kind, v.objs, v.gen, v.ident, v.partial)

    def refresh_bases(self, s, state, obj, name, new_name, live):
        """Up: the base of a changed view gets the view's new value, and so on up while it can be made so.
        Returns the statements and the highest object refreshed (the others are refreshed from it down)."""
        out = []
        child = obj
        while child.parent is not None:
            made = state.made.get(child)
            up = self.inverse(s, made, child, new_name[child], state) if made and made[1] is not None and \
                self.unchanged(state, made[1]) else None
            if up is None:
                others = self.stores.tree_of(child.root(), state) - {child}
                if self.stores.anyone_sees(state, others, live, {new_name[child]}):
                    how = "may be a copy or a view" if child.how == "maybe" else \
                        "is a view whose making has changed since (or is not known here)"
                    self.refuse(s, f"`{name}` {how} of an array that is used later, so changing it in place cannot "
                                   "be differentiated exactly",
                                "change the base array directly (index it), or work on an explicit `.copy()`",
                                deferred=self.session.generic)
                break  # nobody else sees the base: refresh from this view down
            pname, stmts = up
            out.extend(stmts)
            new_name[child.parent] = pname
            child = child.parent
        return out, child

    def refresh_views(self, s, state, tree, new_name, live, name):
        """Down: the other views of the changed memory that a live name sees are made again."""
        out = []
        seen = set()  # the views some live name or live container sees, and the views they are made from
        for o in tree:
            holders = state.vars.holders((o,))
            if any(n in live for n in holders) or self.stores.in_live_container(o, state, live):
                p = o
                while p is not None and p not in seen:
                    seen.add(p)
                    p = p.parent
        for o in sorted((o for o in tree if o not in new_name and o in seen), key=depth):
            if o.parent not in new_name:
                continue
            holders = _live_first([n for n in state.vars.holders((o,)) if len(state.vars[n].objs) == 1], live)
            partial = [n for n in holders if n in live and state.vars[n].partial]
            if partial:  # a view made on some paths only: made again, it would be bound where it was not
                self.refuse(s, f"`{partial[0]}` is a view made on some paths only (in a branch or a loop) of the "
                               f"array `{name}` changed in place here: its new value cannot be given on every path",
                            f"make the view where it is used, or make a copy: `{partial[0]} = ... .copy()`",
                            deferred=self.session.generic)
            made = state.made.get(o)
            if made is None or made[1] is None or not self.unchanged(state, made[1]):
                self.refuse(s, f"`{(holders or [name])[0]}` shares memory with the array changed here, but how it was "
                               "made has changed since", "make it again after the change, or make a copy")
            stmt = made[0]
            target = stmt.target if stmt.target in holders else (holders[0] if holders else self.temp())
            parent_var = self.var_of(stmt.value, o.parent, state)
            if o.how == "maybe":
                if not reshaping(stmt.value):
                    self.refuse(s, f"`{(holders or [name])[0]}` may be a copy or a view of the array changed here",
                                "make an explicit copy (`.copy()`), or index the changed array directly",
                                deferred=self.session.generic)
                layout_read({o})  # (the user's layout decides whether NumPy made a view)
                out.append(self.view_check(s, target, parent_var))
            value = ir.rename_expr(stmt.value, {parent_var: new_name[o.parent]})
            remade = self.derived(s, Assign((target,), value, noop=True))
            out.append(remade)
            record_making(state, o, remade, value)  # (made again from the base's current name)
            new_name[o] = target
        return out

    def refresh_aliases(self, s, state, obj, tree, new_name, live, name):
        """The other live names bound to a changed object (or to the very same value) get its new value."""
        out = []
        mine = state.vars.get(name)
        refreshed = set(new_name.values())
        for n in state.vars.holders(tree):
            v = state.vars[n]
            if n in refreshed or n not in live:
                continue
            if v.partial:  # its refresh would read it where it may not be bound
                self.refuse(s, f"`{n}` is bound on some paths only (in a branch or a loop) and shares memory with "
                               f"`{name}`, which changes in place here: its new value cannot be given on every path",
                            f"bind `{n}` on every path before (e.g. `{n} = None` before the `if`), or make a copy: "
                            f"`{name} = {name}.copy()`", deferred=self.session.generic)
            if mine is not None and mine.ident is not None and v.ident == mine.ident and n != name:
                out.append(self.derived(s, Assign((n,), Var(name), noop=True)))  # the very same value
                continue
            if len(v.objs) != 1 or next(iter(v.objs)) not in new_name:
                if v.objs & tree == {obj}:
                    # `n` is the changed object on some paths (or iterations) and an unrelated one on others:
                    # which, is known when the program runs
                    refresh = self.derived(s, Assign((n,), Var(name), noop=True))
                    test = self.temp()
                    out.append(self.derived(s, Assign((test,), ir.Compare(Var(n), ("is",), (Var(name),)))))
                    out.append(self.derived(s, If(Var(test), [refresh], [])))
                    continue
                self.refuse(s, f"`{n}` may or may not share memory with `{name}` here (it depends on the path taken), "
                               f"so changing `{name}` in place cannot be differentiated exactly",
                            f"make a copy first: `{name} = {name}.copy()`", deferred=self.session.generic)
            out.append(self.derived(s, Assign((n,), Var(new_name[next(iter(v.objs))]), noop=True)))
        return out

    def view_check(self, s, view, base):
        """A statement checking, when the program runs, that `view` is a view of `base` (NumPy may copy)."""
        origin = s.origin
        where = origin.unit.location(origin.node).describe() if origin is not None else "here"
        return self.derived(s, ExprStmt(Call(Global(("_ad", "check_view"), runtime().check_view, runtime()), (
            Var(view), Var(base), Const(where)))))

    def var_of(self, expr, parent_obj, state):
        """The name in `expr` (the making of a view) that holds its parent object."""
        for n in sorted(ir.names_in(expr)):
            v = state.vars.get(n)
            if v is not None and parent_obj in v.objs:
                return n
        return None

    def refresh_containers(self, s, state, tree, new_name, live, name):
        """Lists, tuples and dicts holding a changed object get its new value in that slot; a container holding
        another one that changed gets it after it (h17-004: `c.a[0] = v` with `c.buf == [c.a]` refreshed the
        object `c` before the list, so `c.buf` kept the list's old version)."""
        out = []
        changed = set(new_name)
        todo = self.containers_seeing(state, changed, live)
        while todo:
            inner = [c for c in todo if not (all_objs(state.slots[c]) & (set(todo) - {c}))]
            c = inner[0] if inner else todo[0]
            todo.remove(c)
            slots = state.slots[c]
            holders = _live_first([n for n in state.vars.holders((c,)) if len(state.vars[n].objs) == 1], live, state)
            if not holders or not isinstance(slots, list):
                self.refuse(s, f"a list, tuple or dict holding `{name}` is used later, and the compiler cannot "
                               "tell which of its items is the changed array",
                            "make a copy before changing it, or build the list after the change")
            cname = holders[0]
            for n in holders:
                if n == cname or n in live:
                    self.refuse_partial(s, state, n, name)
            for i, objs in enumerate(slots):
                if not (objs & changed):
                    continue
                if len(objs) != 1:
                    self.refuse(s, f"an item of `{cname}` may or may not be `{name}` (it depends on the path "
                                   "taken)", "make a copy before changing it")
                key = self.slot_key(c, i, state)
                if key is None:
                    self.refuse(s, f"the compiler lost track of the keys of a dict or object holding `{name}`",
                                "make a copy before changing it, or build the dict after the change")
                out.append(self.derived(s, SetItem(Var(cname), (Const(key),), Var(new_name[next(iter(objs))]),
                                                   noop=True)))
            new_name[c] = cname
            changed.add(c)
            for n in holders[1:]:
                if n in live:
                    out.append(self.derived(s, Assign((n,), Var(cname), noop=True)))
        return out

    def containers_seeing(self, state, changed, live):
        """The live containers holding one of `changed`, or (transitively) a container that does."""
        found, seen = [], set(changed)
        grew = True
        while grew:
            grew = False
            for c, slots in list(state.slots.items()):
                if c not in seen and all_objs(slots) & seen and self.stores.container_live(c, state, live):
                    found.append(c)
                    seen.add(c)
                    grew = True
        return found

    def refuse_partial(self, s, state, holder, name):
        """A container's refresh would read `holder` where it may not be bound (explore --mode hvp seed 42:
        generated code `if t2: t3 = [x_1, x_1]`, then `x_1[:] = ...`, ran `t3_4 = t3` on every path)."""
        if state.vars[holder].partial:
            self.refuse(s, f"`{holder}` is bound on some paths only (in a branch or a loop) and holds `{name}`, "
                           "which changes in place here: its new value cannot be given on every path",
                        f"bind `{holder}` on every path before (e.g. `{holder} = None` before the `if`), or make a "
                        f"copy: `{name} = {name}.copy()`", deferred=self.session.generic)

    def slot_key(self, c, i, state):
        """The key of slot `i` of container `c` (a dict's key, or the position)."""
        n_slots = len(state.slots[c]) if isinstance(state.slots.get(c), list) else None
        keyed = False
        for n in state.vars.holders((c,)):
            v = state.vars[n]
            if isinstance(v.kind, K.Dict):
                keyed = True
                if len(v.kind.keys) == n_slots:
                    return v.kind.keys[i]
            if isinstance(v.kind, K.Obj):  # an object the function made: the attribute
                keyed = True
                if len(v.kind.attrs) == n_slots:
                    return ir.AttrName(v.kind.attrs[i][0])
        return None if keyed else i  # (None: a name's kind lags behind its keys: refused by the caller)

    def unchanged(self, state, gens):
        """Do these names still hold the values (generations) they held when a view was made?"""
        return all(state.vars.get(n) is not None and state.vars[n].gen == g for n, g in gens)

    def inverse(self, s, made, child, child_name, state):
        """(base name, statements) giving a view's base its new value from the view's, or None."""
        stmt = made[0]
        value = stmt.value
        parent_var = self.var_of(value, child.parent, state)
        if parent_var is None:
            return None
        if child.how == "maybe" and reshaping(value):
            # NumPy made a view if the layout allowed it: check that it did, then the base is the view reshaped
            # (in the order it was made with: `reshape(..., order="F")` reads and writes the base in F order)
            order = dict(value.kwargs).get("order", Const("C"))
            if not (isinstance(order, Const) and order.value in ("C", "F")):
                return None  # ("K", "A": the order depends on the layout, not known here)
            layout_read({child})
            check = self.view_check(s, child_name, parent_var)
            shape = self.temp()
            get_shape = self.derived(s, Assign((shape,), Call(Global(("np", "shape"), np.shape, np),
                                                              (Var(parent_var),))))
            new = Call(Global(("np", "reshape"), np.reshape, np), (Var(child_name), Var(shape)),
                       (("order", order),) if order.value == "F" else ())
            return parent_var, [check, get_shape, self.derived(s, Assign((parent_var,), new, noop=True))]
        if isinstance(value, Var):
            return parent_var, [self.derived(s, Assign((parent_var,), Var(child_name), noop=True))]
        if isinstance(value, Index) and value.value == Var(parent_var) and child.how == "view":
            return parent_var, [self.derived(s, SetItem(Var(parent_var), value.items, Var(child_name),
                                                        tuple_form=value.tuple_form, noop=True))]
        transpose = (isinstance(value, ir.Attr) and value.attr == "T") or (
            isinstance(value, Call) and isinstance(value.func, ir.Attr) and value.func.attr == "transpose" and
            not value.args and not value.kwargs) or (
            isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj is np.transpose and
            len(value.args) == 1 and not value.kwargs)
        if isinstance(value, Call) and isinstance(value.func, ir.Attr) and value.func.value == Var(parent_var) and \
                value.func.attr == "view" and not value.args and not value.kwargs and child.how == "view":
            # `u = c.view()`: the whole of c, of its shape and dtype (jvp explore seed 8103 #5)
            return parent_var, [self.derived(s, Assign((parent_var,), Var(child_name), noop=True))]
        if transpose and child.how == "view":
            new = Call(Global(("np", "transpose"), np.transpose, np), (Var(child_name),))
            return parent_var, [self.derived(s, Assign((parent_var,), new, noop=True))]
        new = inverse_call(value, parent_var, child_name) if child.how == "view" else None  # (axes permuted)
        if new is not None:
            return parent_var, [self.derived(s, Assign((parent_var,), new, noop=True))]
        return None


def _live_first(names, live, state=None):
    """`names` with the live ones first: a refresh through a name nobody reads again would give the new
    value to a name whose SSA version is stale (a helper's parameter, after the caller changed the object
    through another name). Of the others, those not known stale (`Vars.stale`) first: `c.buf.append(x)`
    then `c.buf[0][1] = 5.0` refreshes the list through a name holding it, and a name bound before the
    append holds, in SSA, the list without x (h17-001/002)."""
    stale = state.vars.stale if state is not None else ()
    return [n for n in names if n in live] + [n for n in names if n not in live and n not in stale] + \
        [n for n in names if n not in live and n in stale]


def mark_stale(state, objs, out, name):
    """After a change of `objs` through `name` and the refreshes `out`: every other name holding one of them,
    or a container holding one (transitively), that no refresh gave its new value is stale."""
    changed = set(objs)
    grew = True
    while grew:
        grew = False
        for c, slots in state.slots.items():
            if c not in changed and all_objs(slots) & changed:
                changed.add(c)
                grew = True
    fresh = {name}
    todo = list(out)
    while todo:
        r = todo.pop()
        if isinstance(r, Assign):
            fresh.update(r.targets)
        elif isinstance(r, SetItem) and isinstance(r.target, Var):
            fresh.add(r.target.name)
        elif isinstance(r, If):
            todo += r.body + r.orelse
    holders = set(state.vars.holders(changed))
    state.vars.stale = (state.vars.stale | holders) - fresh


def _stored(part):
    """The names the function puts into a list, tuple, dict or object (an item of a display, an argument of a
    list method, the value of an item or attribute store): those a container may hold (h27a-015)."""
    session = part.session
    if getattr(session, "stored_names", None) is None:
        names = set()
        for st in ir.walk(session.fn.body, into_functions=True):
            value = getattr(st, "value", None)
            if isinstance(st, SetItem) and isinstance(st.value, Var):
                names.add(st.value.name)
            if isinstance(st, ir.Mutate):
                names |= {a.name for a in st.args if isinstance(a, Var)}
            if isinstance(value, ir.Build):
                names |= {a.name for a in value.items if isinstance(a, Var)}
        session.stored_names = names
    return session.stored_names
