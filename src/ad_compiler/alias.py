"""Pass 4, alias: NumPy's sharing and mutation semantics, made explicit before SSA.

NumPy arrays are mutable and views share memory: after `v = x[1:]; v *= 2` the name `x` sees the change;
after `L = [x]; x += 1` so does `L[0]`. This pass follows through the function which *objects* each name
may refer to (an abstract interpretation over allocation sites: arrays, lists, dicts and tuples made in the
function, views of them, and external objects: arguments, globals, results of unknown calls) and the kind of
each value (kinds.py). With that it rewrites every in-place operation into plain stores whose effect on every
other name is explicit:

- `x op= v` is a rebinding (`x = x op v`) when x is a number, or an array no other live name can see;
  otherwise an in-place update: `t = x op v; x[...] = t`. `x[i] op= v` is `t = x[i]; t op= v; x[i] = t`
  (Python's order); in-place methods become stores (`y.sort()` is `y[...] = np.sort(y)`, `y.fill(c)` is
  `y[...] = c`); `lst.append(v)` becomes a `Mutate`.
- After a store into an object, every other live name that sees its memory is *refreshed*: a statement
  saying where its new value comes from (`x[1:] = v` for the base of a changed view `v`, `w = x[:2]` for
  another view, `y = x` for an alias, `L[0] = x` for a list holding it). Refreshes are `noop`: the forward
  sweep does nothing for them (the memory is already changed); the adjoint sweep differentiates them like
  any statement, and SSA gives the refreshed names new versions.
- What cannot be handled exactly is refused with a located error: changing an argument (the caller's
  array) or a global; a name that may or may not share memory with the changed object; a view whose making
  changed since, or that NumPy may have made as a copy.

`infer_kinds` runs the same interpretation on the SSA form, to give every SSA name its kind.

The pass, by module (each part is a class reaching the others through the shared `Session`):

    alias.py            this driver: the walk over blocks, branches and loops (to a fixed point), `resolve`
                        (with private copies of changed arguments) and `infer_kinds`
    alias_domain.py     the abstract domain: objects, values, states, joins
    alias_library.py    what the pass knows about NumPy and the builtins: tables and pure functions
    alias_session.py    one run's shared state and services (refusals, temporaries, liveness); `Part`
    alias_objects.py    the abstract objects by allocation site; retiring old instances in loops
    alias_values.py     values of expressions: names, literals, arithmetic, indexing, attributes
    alias_calls.py      values of calls: builtins, objects made; through its parts
    alias_callee_facts.py  what a call of a function not followed (checkpointed, recursive, with a rule)
                        returns, from that function's own alias pass
    alias_runtime_calls.py  runtime helpers called by generated code differentiated again
    alias_library_calls.py  NumPy, math, SciPy functions and those with rules (the oracle)
    alias_methods.py    methods of arrays, lists and dicts that do not change their object
    alias_passed.py     functions of the user's a library call is given (sorted's key, a solver's) and
                        recursive calls: refused where they change what they are given
    alias_assign.py     `x = e`, `x op= v`, `x[i] (op)= v`: rebinding or in-place update (keeping x's dtype
                        where narrow dtypes may occur: Session.narrow)
    alias_method_forms.py  `x.sum(where=m)`, `x.max(initial=c)`, `x.take(i, mode=)` of an array, as the calls
                        they compute (desugar_numpy_forms' helpers)
    alias_mutation.py   calls changing their arguments: in-place methods, list methods, `out=`, np.copyto
    alias_in_place_calls.py  calls known to change an argument whose value is used (`u = operator.iadd(v, w)`,
                        `r = heapq.heapify(H)`): refused
    alias_container_methods.py  `d.update`, `d.setdefault`, `lst.insert(i, v)`, `lst.pop(i)` as stores, pops, appends
    alias_effects.py    the in-place runtime helpers of generated code read again, as stores and list methods
    alias_stores.py     stores: which object changes (or a refusal, or Privatize), who else sees it
    alias_refresh.py    refreshes of the other names seeing a changed object (views, aliases, containers)
    alias_axes.py       the inverse of a view permuting axes with constant axes (for alias_refresh)
    alias_several.py    the same when the changed object is one of several arrays (it depends on the path)
"""
from __future__ import annotations

import types

import numpy as np

from . import ir, kinds as K
from .alias_assign import Assignments
from .alias_calls import Calls
from .alias_callee_facts import result_facts
from .alias_effects import Effects
from .alias_domain import (KeepInPlace, Obj, Privatize, Refused, State, Val, all_objs, join_states, keep_makings,
                           new_gen, own_numbering, restart_numbering, same_state)
from .alias_library import VIEW_ATTRIBUTES, VIEW_FUNCTIONS, VIEW_METHODS, runtime  # noqa: F401 (cleanup, tape)
from .alias_library import lookup as _lookup  # noqa: F401 (used by cleanup.py and tape.py)
from .alias_mutation import Mutations
from .alias_objects import Objects
from .alias_refresh import Refresher
from .alias_several import SeveralRefresher
from .alias_session import Session
from .alias_stores import Stores
from .alias_values import Values
from .alias_copies import Copies
from .ir import Assign, Const, AugAssign, Break, Call, ExprStmt, For, Global, If, Mutate, SetItem, Var, While


class Alias:
    """One run of the alias pass over a function: makes the session and its parts, and walks the statements
    (blocks, branches, loops to a fixed point), handing each simple statement to the part for its kind."""

    def __init__(self, fn, param_kinds, alloc, ctx, mode="rewrite"):
        restart_numbering()
        self.session = session = Session(fn, param_kinds, alloc, ctx, mode)
        session.objects = self.objects = Objects()
        session.values = Values(session)
        session.calls = Calls(session)
        session.stores = Stores(session)
        session.refresher = Refresher(session)
        session.several = SeveralRefresher(session)
        session.assignments = self.assignments = Assignments(session)
        session.mutations = self.mutations = Mutations(session)
        session.effects = Effects(session)
        session.copies = Copies(session)
        self.breaks = []  # the states at the `break`s of the loop being walked

    # -- the walk -------------------------------------------------------------------------------------------
    def run(self):
        """Walk the function (rewriting it in `rewrite` mode); returns the state at its end."""
        state = State()
        for p, k in zip(self.session.fn.params, self.session.param_kinds):
            obj = self.objects.memo(("param", p), lambda: Obj("ext", desc=f"the argument `{p}`"))
            obj.param = p
            state.vars[p] = Val(k, {obj}, new_gen(), new_gen())
            if isinstance(k, (K.Seq, K.Dict)):
                state.slots[obj] = self.objects.external_slots(k, obj)
        body, state = self.block(self.session.fn.body, state)
        if self.session.mode == "rewrite" and self.session.unsettled and \
                any(isinstance(s, (SetItem, Mutate)) for s in ir.walk(body, into_functions=True)):
            # an in-place change the statements did not show (`r = L.pop()`, `r = np.copyto(a, b)`, a store
            # the pass writes for a call) is one all the same: the unsettled loop decided it (h27a-005)
            self.session.mode_refuse(self.session.unsettled[0], *UNSETTLED)
        if self.session.mode == "rewrite":
            self.session.fn.body = body
        self.final = state
        return state

    def block(self, stmts, state):
        """Walk a list of statements; returns the statements that replace them, and the state after."""
        out = []
        for s in stmts:
            if self.session.dry:
                try:
                    out.extend(self.statement(s, state))
                except Refused as exc:
                    self.havoc(s, state)  # (the final pass refuses it, located, if it still applies)
                    self.session.dry_refusals.setdefault(id(s), exc.args)
            else:
                out.extend(self.statement(s, state))
                if self.session.mode == "rewrite" and id(s) in self.session.dry_refusals:
                    # refused in a pass of its loop's fixed point, from a state the loop reaches: the final pass
                    # lets it through only where the havoc made a name's kind unknown, for which a check may refuse
                    # less (h27a-002, h27a-008: a callee changing its argument in place, let through)
                    self.session.refuse(*self.session.dry_refusals[id(s)])
        return out, state

    def havoc(self, s, state):
        """What a statement the analysis would refuse may have done, for the fixed point of a loop: every
        name it writes, and every name sharing an object it reads, may hold anything now."""
        names = set(ir.stmt_writes(s)) | ir.stmt_reads(s)
        if isinstance(s, (SetItem, Mutate)):
            names |= ir.names_in(s.target)
        touched = set()
        for n in names:
            v = state.vars.get(n)
            if v is not None:
                touched |= v.objs
        ext = self.objects.ext((id(s), "havoc"), desc="a value this function changed in a way not followed")
        for n, v in list(state.vars.items()):
            if n in names or v.objs & touched:
                state.vars[n] = Val(K.UNKNOWN, v.objs | {ext}, new_gen(), new_gen())
        for n in ir.stmt_writes(s):
            if n not in state.vars:
                state.vars[n] = Val(K.UNKNOWN, {ext}, new_gen(), new_gen())
        for c, slots in list(state.slots.items()):
            if all_objs(slots) & touched:
                state.slots[c] = ("any", all_objs(slots) | {ext})

    def statement(self, s, state):
        """One statement: handed to the part for its kind; returns the statements that replace it."""
        if isinstance(s, Assign):
            return self.assignments.assign(s, state, (id(s),))
        if isinstance(s, AugAssign):
            return self.assignments.augassign(s, state, (id(s),))
        if isinstance(s, SetItem):
            return self.assignments.setitem(s, state, (id(s),))
        if isinstance(s, Mutate):
            return self.mutations.mutate(s, state, (id(s),))
        if isinstance(s, ExprStmt):
            return self.mutations.exprstmt(s, state, (id(s),))
        if isinstance(s, If):
            return [self.if_(s, state)]
        if isinstance(s, (For, While)):
            return [self.loop(s, state)]
        if isinstance(s, Break):
            self.breaks.append(state.copy())
        return [s]

    def if_(self, s, state):
        """Both branches, then the join of their states (a branch ending in `break` joins at the loop's exit)."""
        a = state.copy()
        body, a = self.block(s.body, a)
        b = state.copy()
        orelse, b = self.block(s.orelse, b)
        ends_a, ends_b = ends_in_break(s.body), ends_in_break(s.orelse) or s.role == "with"  # (a `with`
        # block's body runs to its end, or the exception goes on)
        merged = join_states(None if ends_a else a, None if ends_b else b) or join_states(a, b)
        state.vars, state.slots, state.made = merged.vars, merged.slots, merged.made
        state.detached, state.mixed = merged.detached, merged.mixed  # (they were dropped: h27a-006)
        if not self.session.dry and self.session.mode == "rewrite":
            s.body, s.orelse = body, orelse
        return s

    def loop(self, s, state):
        """The body to a fixed point (dry: analysed, not rewritten or refused), then once for real."""
        outer_breaks, outer_dry = self.breaks, self.session.dry
        head = state.copy()
        if isinstance(s, For):
            head.vars[s.target] = Val(K.INT, (), new_gen())
        self.session.dry = True
        first_temp = self.session.dry_temps
        settled = False
        try:
            for _ in range(LOOP_PASSES):
                self.session.dry_temps = first_temp
                self.breaks = []
                end = head.copy()
                if isinstance(s, For):
                    end.vars[s.target] = Val(K.INT, (), new_gen())
                _, end = self.block(s.body, end)
                new_head = join_states(head, end)
                stale = set(new_head.vars.stale)
                for n, v in new_head.vars.items():  # rebound in the loop: a new generation at each iteration
                    if n in end.vars and end.vars[n].gen != head.vars.get(n, Val(None)).gen:
                        new_head.vars[n] = Val(v.kind, v.objs, new_gen(), v.ident)
                new_head.vars.stale = stale  # (stale on a path into the head: stale there)
                keep_makings(new_head, head, end)  # (of the names' generations at the head)
                if same_state(new_head, head):
                    settled = True
                    break
                kinds_moved = any(v.kind != (head.vars[n].kind if n in head.vars else None)
                                  for n, v in new_head.vars.items())
                head = new_head
        finally:
            self.session.dry = outer_dry
        if not settled and (self.session.mode != "kinds" or kinds_moved) and may_change_in_place(self.session.fn):
            # (a state that is not a fixed point is unsound; it decides nothing where nothing changes in place)
            self.session.mode_refuse(s, *UNSETTLED)
        if not settled and self.session.mode == "rewrite" and not self.session.dry:
            self.session.unsettled.append(s)  # (refused after all if the rewritten function changes anything: run)
        self.breaks = []
        if self.session.mode == "kinds":  # (a name the loop carries holds, in its body, what the head holds)
            for n, v in head.vars.items():
                self.session.head_kinds[n] = K.join(self.session.head_kinds.get(n), v.kind)
        end = head.copy()
        if isinstance(s, For):
            end.vars[s.target] = Val(K.INT, (), new_gen())
        if self.session.dry:
            self.session.dry_temps = first_temp
        body, end = self.block(s.body, end)
        if not self.session.dry and self.session.mode == "rewrite":
            s.body = body
        exit_state = end if runs_at_least_once(s) else join_states(head, end)
        for b in self.breaks:
            exit_state = join_states(exit_state, b)
        self.breaks = outer_breaks
        state.vars, state.slots, state.made = exit_state.vars, exit_state.slots, exit_state.made
        state.detached, state.mixed = exit_state.detached, exit_state.mixed
        return s


LOOP_PASSES = 20  # passes over a loop's body to reach a fixed point of its state; more is refused at the loop
UNSETTLED = ("the compiler could not settle what this loop's names may share (its analysis of aliases and views did "
             f"not reach a fixed point in {LOOP_PASSES} passes), so its in-place changes cannot be differentiated "
             "exactly", "copy the arrays the loop changes in place (`np.copy`), or write its updates as new values "
             "(`h = h * s` rather than `h *= s`)")


def may_change_in_place(fn):
    """Has `fn` a statement that may change an object in place (a store, `+=`, a method called for its effect, a
    call as a statement, `out=`)? Only then do the facts of a loop's fixed point decide what the pass writes (a
    loop whose state never settles, c25-002's tuples returned by a checkpointed call, is refused only then)."""
    return any(isinstance(s, (SetItem, Mutate, AugAssign)) or isinstance(s, ExprStmt) and not _checks(s) or
               ir.changed_in_place(s) for s in ir.walk(fn.body, into_functions=True))


def _checks(s):
    """Is this statement `_ad.check_unpack(...)` (reads a length, changes nothing)?"""
    return isinstance(s.value, Call) and isinstance(s.value.func, Global) and s.value.func.obj is runtime().check_unpack


def runs_at_least_once(s):
    """Does this loop certainly run its body (`for i in range(3)`: constant bounds)? Its exit state is then the
    state after an iteration, not joined with the state before the loop (`for ...: x = np.clip(y, 0, 1)`, then
    `x[1] = 1.0`: x is the array the loop made, not maybe the argument)."""
    if not (isinstance(s, For) and isinstance(s.iter, ir.Call) and isinstance(s.iter.func, ir.Global) and
            s.iter.func.obj is range and not s.iter.kwargs and 1 <= len(s.iter.args) <= 3 and
            all(isinstance(a, ir.Const) and type(a.value) is int for a in s.iter.args)):
        return False
    return len(range(*(a.value for a in s.iter.args))) > 0


def ends_in_break(block):
    """Does this block (a branch) end with `break` (its state then flows to the loop's exit, not on)?"""
    return bool(block) and isinstance(block[-1], Break)


def resolve(fn, param_kinds, alloc, ctx, callee=False):
    """Rewrite the in-place operations of a (pre-SSA) function, in place.

    An argument the function changes in place (directly, through an alias or a view, or an item of it)
    is copied when the function starts (`x = _ad.private_copy(x)`): the derivative then sees exactly what
    the function computes, and the caller's values are left as they are. Not so for a `callee` (a recursive
    function compiled on its own): its caller sees what it changes, so such a change is refused."""
    with own_numbering():
        return _resolve(fn, param_kinds, alloc, ctx, callee)


def _resolve(fn, param_kinds, alloc, ctx, callee):
    original = ir.clone(fn.body)
    private, keep = [], set()
    while True:
        try:
            a = Alias(fn, param_kinds, alloc, ctx)
            a.session.callee = callee
            a.session.keep_in_place = keep
            a.run()
            if ctx is not None:  # (recursive callees are compiled for narrow kinds too: callees.Linker.name_of)
                ctx.narrow = a.session.narrow
            if callee:  # (what its callers' alias pass takes its result for: alias_callee_facts.py)
                fn.result_facts = result_facts(fn, a.final, a.session.narrow)
            return fn
        except Privatize as p:
            if p.param in private:
                raise AssertionError(f"alias: {p.param} is already a private copy")
            private.append(p.param)
        except KeepInPlace as k:
            if k.key in keep:
                raise AssertionError(f"alias: {k.key} is already kept in place")
            keep.add(k.key)
        fn.body = ([_check_apart(fn, private)] if private else []) + [_private_copy(fn, q) for q in private] + \
            ir.clone(original)


def _private_copy(fn, param):
    rt = runtime()
    return _at_def(fn, Assign((param,), Call(Global(("_ad", "private_copy"), rt.private_copy, rt), (Var(param),))))


def _check_apart(fn, private):
    """`_ad.check_apart((a, b), ("a", "b"), (0,), "f")`: the arguments changed in place share no memory with
    each other or the other arguments (each gets a copy of its own)."""
    rt = runtime()
    params = [p for p in fn.params]
    changed = tuple(params.index(p) for p in private)
    stmt = _at_def(fn, ir.ExprStmt(Const(None)))
    where = f"`{getattr(fn, 'name', None) or 'the function'}`"
    if stmt.origin is not None:
        loc = stmt.origin.unit.location(stmt.origin.node)
        where = f'File "{loc.filename}", line {loc.line}, in {loc.function}'
    others = _globals_read(fn)
    extra = (ir.Build("tuple", tuple(others)), Const(tuple(".".join(g.path) for g in others))) if others else ()
    stmt.value = Call(Global(("_ad", "check_apart"), rt.check_apart, rt), (
        ir.Build("tuple", tuple(Var(p) for p in params)), Const(tuple(params)), Const(changed), Const(where)) + extra)
    return stmt


def _globals_read(fn):
    """The globals holding arrays, lists, dicts or objects that `fn` reads (an argument changed in place may
    be one of them: its private copy would part them)."""
    found = {}
    todo = []
    for s in ir.walk(fn.body):
        for attr in ("value", "test", "iter", "target", "msg"):
            e = getattr(s, attr, None)
            if e is not None and not isinstance(e, str):
                todo.append(e)
        todo.extend(getattr(s, "items", None) or ())
        todo.extend(getattr(s, "args", None) or ())
    while todo:
        e = todo.pop()
        if isinstance(e, Global):
            obj = e.obj
            if (isinstance(obj, (np.ndarray, list, dict)) or _plain_object(obj)) and e.path[0] != "_ad":
                found.setdefault(e.path, e)
            continue
        todo.extend(ir.children(e))
    return [found[p] for p in sorted(found)]


def _plain_object(obj):
    return hasattr(obj, "__dict__") and not callable(obj) and not isinstance(obj, (type, types.ModuleType))


def _at_def(fn, stmt):
    """`stmt` located at the function's `def` line."""
    first = next((s for s in fn.body if s.origin is not None), None)
    if first is not None:
        stmt.origin = ir.Origin(first.origin.unit, first.origin.unit.tree, first.origin.unit.tree)
    return stmt


def infer_kinds(fn, param_kinds, ctx, callee=False):
    """The kind of every SSA name of `fn` (name -> Kind)."""
    with own_numbering():
        a = Alias(fn, param_kinds, None, ctx, mode="kinds")
        a.session.callee = callee
        state = a.run()
    kinds_ = {n: v.kind for n, v in state.vars.items()}
    # a name a loop carries is one name for the values of every iteration and after the loop: its kind is the
    # join of those at the loops' heads and at the end (`act = np.sin`, then `act = np.tanh` in the body: the
    # exit's kind alone, a function known, made every iteration's call tanh's: g3-002)
    for n, k in a.session.head_kinds.items():
        if n in kinds_:
            kinds_[n] = K.join(kinds_[n], k)
    return kinds_
