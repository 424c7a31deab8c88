"""The adjoint sweep (reverse.py), its part for control flow: the adjoint of `if c:` is `if c:` over the
branches' adjoints; the adjoint of a loop is a loop running backwards (checkpointed loops included). A mixin
of `Reverse`: it reads the sweep's state.
"""
from collections import Counter

from . import ir, kinds as K, recompute
from .adjoints import assign, helper
from .errors import UnsupportedError
from .ir import Assign, Break, Call, For, Global, If, Index, Mutate, SetItem, Slice, Var, While
from .reverse_marker import Marker


class ControlPart:
    """Reverse's adjoints of branches and loops."""

    # -- control flow ---------------------------------------------------------------------------------------
    def inside_names(self, stmts):
        return {t for s in ir.walk(stmts) for t in defined_names(s)}

    def incoming(self, stmts):
        """Active names defined outside `stmts` that receive contributions inside them."""
        inside = self.inside_names(stmts)
        out = []
        for s in ir.walk(stmts):
            op = self.ops.get(id(s))
            if op is None or not any(self.active(t) for t in defined_names(s)):
                continue
            for n in sorted(op.inputs):
                if n not in inside and self.active(n) and n not in out:
                    out.append(n)
        return out

    def defined_only_in(self, stmts):
        """The names defined in `stmts` and nowhere else in the function."""
        if getattr(self, "_definitions", None) is None:
            self._definitions = Counter(t for x in ir.walk(self.fn.body) for t in defined_names(x))
        inside = Counter(t for x in ir.walk(stmts) for t in defined_names(x))
        return {n for n, c in inside.items() if self._definitions[n] == c}

    def unbound_in(self, s, taken):
        """The names not bound in the branch of `s` taken when its test is `taken`, because each of their
        definitions lies in a branch of an earlier `if` on a test of the same value taken the other way (the
        adjoint sweep of a derivative read again repeats its forward sweep's tests: `if t1:` defines y_2 in
        the forward sweep, `if t1:` reads it in the adjoint sweep)."""
        if getattr(self, "_paths", None) is None:
            self._paths = BranchPaths(self.fn.body, self.fn.params)
        return self._paths.unbound(s, taken)

    def try_body_only(self, s):
        """For `if ok:` on the flag of a `try` (code read again: `ok = True` before it, `ok = False` in its
        handlers), the names defined only in that try's body: when the test is false the body was interrupted,
        and no adjoint reads them (the try's own adjoint takes its handlers' path), as for a try's else block."""
        if getattr(self, "_try_flags", None) is None:
            self._try_flags = TryFlags(self.fn.body)
        return self._try_flags.body_only(s)

    def has_adjoint(self, stmts):
        for s in ir.walk(stmts):
            if any(self.active(t) or t in self.loop_defined for t in defined_names(s)):
                return True
            if isinstance(s, (SetItem, Mutate)):
                return True
        return False

    def branch(self, s):
        if not self.has_adjoint(s.body + s.orelse):
            return
        a = self.adjoints
        live, owned, exclusive = set(a.live), set(a.owned), set(a.exclusive)
        then = self.block(s.body, s.origin)
        live_then, owned_then, exclusive_then = a.live, a.owned, a.exclusive
        a.live, a.owned, a.exclusive = set(live), set(owned), set(exclusive)
        other = self.block(s.orelse, s.origin)
        live_else, exclusive_else = a.live, a.exclusive
        # an adjoint live after one branch must hold a value after the other too -- unless its value is not
        # bound on the other path (defined in this branch only, or for a try's else block, ssa.py, in the try's
        # body only or in its handlers only): then no adjoint on that path reads it, and its zeros would read
        # a name that is not bound
        then_only, else_only = s.info[1:] if isinstance(s.info, tuple) and s.info[0] == "else" else ((), ())
        then_only = set(then_only) | self.defined_only_in(s.body) | self.unbound_in(s, False) | \
            self.try_body_only(s)
        else_only = set(else_only) | self.defined_only_in(s.orelse) | self.unbound_in(s, True)
        stale = self.stale_at_join(s)
        for n in sorted(live_then - live_else):
            if n not in then_only:
                self.join_zeros(s, n, stale, other, then)
                exclusive_else.add(n)  # (new zeros)
        for n in sorted(live_else - live_then):
            if n not in else_only:
                self.join_zeros(s, n, stale, then, other)
                exclusive_then.add(n)
        a.live = live_then | live_else
        a.owned = owned_then & a.owned & owned
        # an adjoint no other name holds after both branches only (one branch may have left it as another
        # adjoint under a second name: `bx = bz` of `z = x + y`, then `bx + e` in the other one)
        a.exclusive = exclusive_then & exclusive_else
        if not _real(then) and not _real(other) and not _markers(then) and not _markers(other):
            return
        self.emit(If(s.test, then, other), s.origin)

    def stale_at_join(self, s):
        """For the alias pass's refresh of the names that may be a list a method just changed (`lst.append(v)`;
        `t = other is lst; if t: other = lst`): (the method's statement, the names' earlier versions)."""
        if getattr(self, "_refreshes", None) is None:
            self._refreshes = list_refreshes(self.fn.body)
            self._deferred = {}
        return self._refreshes.get(id(s))

    def join_zeros(self, s, n, stale, path, other_path):
        """Give n's adjoint zeros on `path` at the end of the branches of `s` (`other_path`: the other one's
        statements). The earlier version of a name that was the list a method changed (rw-003): its zeros have
        the list's length before the change, which the adjoint sweep puts back after the refresh's adjoint (the
        method's adjoint): they are made there, on the path where the refresh took place (a flag says which)."""
        if stale is None or n not in stale[1]:
            path.append(assign(self.adj(n), self.adjoints.zeros(n)))
            return
        flags = self._deferred.setdefault(id(stale[0]), [])
        flag = next((f for f, _, at in flags if at is s), None)
        if flag is None:
            flag = self.alloc.fresh("refreshed")
            path.append(assign(flag, ir.Const(True)))
            other_path.append(assign(flag, ir.Const(False)))
        flags.append((flag, n, s))

    def zeros_after_undo(self, m):
        """After the adjoint of the list method `m` (the list as it was before it): the zeros deferred by
        join_zeros."""
        for flag, n, _ in getattr(self, "_deferred", {}).pop(id(m), ()):
            self.emit(If(Var(flag), [assign(self.adj(n), self.adjoints.zeros(n))], []), m.origin)

    def loop(self, s):
        if not self.has_adjoint(s.body):
            return
        a = self.adjoints
        origin = s.origin
        carried = [c for c in s.carried if self.active(c)]
        for n in self.incoming(s.body):
            a.ensure(n, origin, owned=True)
        # a carried array stored into by the body (`out[i] = ...`), or list a list method changes (`outs.append(h)`,
        # whose adjoint pops from the list's adjoint) has its adjoint made ours once, before the loop, and again at
        # the end of an iteration that leaves it otherwise, not copied by every iteration's change (O(T^2) for a list)
        stored = {c for c in carried if _changed_in_place(c, self.kinds.get(c), s.body)}
        for c in carried:
            a.ensure(c, origin, owned=c in stored)
        needs_count = isinstance(s, While) or any(isinstance(x, Break) for x in ir.walk(s.body))
        self.loop_depth += 1
        a.in_loop += 1
        live_before = set(a.live)
        # The body is written once for every iteration: an adjoint it takes from the previous iteration (a
        # carried name's) is the buffer of ours that iteration left, or held by another name too (`bh = bz;
        # bh2 = bz` of `z = h + h2`): never taken as ours to write into in place
        owned_start, exclusive_start = set(a.owned), set(a.exclusive)
        a.owned -= set(carried) - stored
        a.exclusive -= set(carried) - stored
        body = self.block(s.body, origin)
        for c in carried:  # an iteration that did not contribute: the next one starts from zero
            if c not in a.live:
                body.append(assign(self.adj(c), a.zeros(c)))
                a.live.add(c)
                a.owned.add(c)
                a.exclusive.add(c)
            elif c in stored and c not in a.owned:  # (ours: safe to write into, whatever else is known)
                body.append(assign(self.adj(c), helper("owned_copy", Var(self.adj(c)), Var(c))))
                a.owned.add(c)
                a.exclusive.add(c)
        self.loop_depth -= 1
        a.in_loop -= 1
        a.live = (a.live | live_before) - (self.inside_names(s.body) - set(carried))
        a.owned &= owned_start  # (after no iteration at all, the adjoints are those from before the loop)
        a.exclusive &= exclusive_start
        recompute = [Marker("recompute", name=t, stmt=st) for t, (lp, st) in self.recomputable.items() if lp is s]
        if needs_count:
            counter = self.counters.setdefault(id(s), self.alloc.fresh("n_iter"))
            if self.loop_depth > 0:  # an inner loop's count differs per outer iteration: it is saved
                self.nested_counters[id(s)] = counter
        if isinstance(s, For):
            rng = s.iter
            if needs_count:
                rng = Index(rng, (Slice(None, Var(self.counters[id(s)]), None),))
            new = For(s.target, Call(Global(("reversed",), reversed), (rng,)), recompute + body)
        else:
            new = For(self.alloc.fresh("_"), Call(Global(("range",), range), (Var(self.counters[id(s)]),)),
                      recompute + body)
        if isinstance(s, For) and s.checkpoint is not None:
            self.check_checkpointed(s)
            marker = Marker("checkpoint", stmt=s)
            marker.adjoint = new  # (tape.py runs each segment forward again before its part of this loop)
            self.emit(marker, origin)
            return
        self.emit(new, origin)
        if needs_count and self.loop_depth > 0:
            a.out.append(Marker("pop_counter", name=self.counters[id(s)]))

    def check_checkpointed(self, s):
        """A checkpointed loop runs its segments forward again: refused where that would not give the same
        values (in-place changes, calls whose backward functions it saves) or where segments cannot be
        made (inside another loop)."""
        where = s.origin.unit.location(s.origin.node) if s.origin is not None else None
        hint = "remove ad.checkpointed from this loop"
        if self.loop_depth > 0:
            raise UnsupportedError("a checkpointed loop inside another loop cannot be differentiated (yet)",
                                   where=where, hint=hint + ", or checkpoint the outer loop")
        for x in ir.walk(s.body):
            if isinstance(x, (SetItem, Mutate)):
                raise UnsupportedError("a checkpointed loop that changes an array or a list in place cannot be "
                                       "differentiated (yet): running a segment again would see the changes",
                                       where=where, hint=hint + ", or compute new arrays instead")
            if id(x) in self.callee_vjp:
                raise UnsupportedError("a checkpointed loop calling a recursive function cannot be "
                                       "differentiated (yet)", where=where, hint=hint)
        draw = recompute.draw_in(s.body, self.kinds)
        if draw is not None:
            at = draw.origin.unit.location(draw.origin.node) if draw.origin is not None else where
            raise UnsupportedError("a random draw inside a checkpointed loop cannot be differentiated: running the "
                                   "segment again would draw other numbers than the forward sweep did", where=at,
                                   hint=hint + ", or draw the numbers before the loop and index them")


class BranchPaths:
    """Which tests of `if` statements hold where each name is defined. A test counts where its name is settled:
    every definition of it comes before, and not in a loop around (so the value is the one every later `if` on
    it reads, in SSA form: a loop's flag after the loop, `returned_1`). Only plain `if`s (not the flags of `try`
    and `with` blocks)."""

    def __init__(self, body, params=()):
        self.order = {id(x): i for i, x in enumerate(ir.walk(body))}
        self.last = {}  # name -> the position of its last definition
        self.loops = []  # (ids of a loop's statements, the names its body defines)
        for x in ir.walk(body):
            for t in defined_names(x):
                self.last[t] = max(self.last.get(t, -1), self.order[id(x)])
            if isinstance(x, (For, While)):
                inner = list(ir.walk(x.body))
                self.loops.append(({id(y) for y in inner}, {t for y in inner for t in defined_names(y)}))
        self.negated = {}  # t -> u for `t = not u` (an `if t:` is an `if u:` taken the other way)
        for x in ir.walk(body):
            if isinstance(x, Assign) and len(x.targets) == 1 and isinstance(x.value, ir.UnaryOp) and \
                    x.value.op == "not" and isinstance(x.value.operand, Var):
                self.negated[x.targets[0]] = x.value.operand.name
        self.where = {}  # id(If) -> the facts holding at it
        self.definitions = {p if isinstance(p, str) else getattr(p, "name", p): [()] for p in params}
        # (name -> the facts holding at each of its definitions; the parameters are bound everywhere)
        self.scan(body, ())

    def settled(self, s):
        """The name of the test of `s` when its value is settled there, else None."""
        if not (isinstance(s.test, Var) and s.role is None and id(s) in self.order):
            return None
        name = s.test.name
        if self.last.get(name, -1) >= self.order[id(s)] or \
                any(id(s) in ids and name in names for ids, names in self.loops):
            return None
        return name

    def scan(self, stmts, facts):
        for s in stmts:
            for t in defined_names(s) + ((s.target,) if isinstance(s, For) else ()):
                self.definitions.setdefault(t, []).append(facts)
            if isinstance(s, If):
                self.where[id(s)] = facts
                test = self.settled(s)
                self.scan(s.body, facts + self.facts(s, test, True) if test else facts)
                self.scan(s.orelse, facts + self.facts(s, test, False) if test else facts)
            elif not isinstance(s, ir.FunctionDef):
                for b in ir.blocks(s):
                    self.scan(b, facts)

    def facts(self, s, test, taken):
        """What `if test:` taken (or not) says: the test's value, and that of `u` for a test `not u` whose `u`
        is settled at `s` too (explore --mode hessian seed 2424 #258: `t4 = not t1` before the adjoint's
        `if t4:`, a value of the forward sweep's `else` of `if t1:` read under it)."""
        out = ((test, taken),)
        u = self.negated.get(test)
        if u is not None and self.last.get(u, -1) < self.order[id(s)] and \
                not any(id(s) in ids and u in names for ids, names in self.loops) and \
                self.last.get(test, -1) > self.last.get(u, -1):
            out += ((u, not taken),)
        return out

    def unbound(self, s, taken):
        """The names every definition of which contradicts the branch of `s` taken when its test is `taken`."""
        test = self.settled(s) if id(s) in self.where else None
        if test is None:
            return set()
        here = set(self.where[id(s)]) | set(self.facts(s, test, taken))
        return {name for name, defs in self.definitions.items()
                if all(any((t, not p) in here for t, p in facts) for facts in defs)}


class TryFlags:
    """Tests that say whether a `try` body ran to its end: a name defined only in that `try` (an `If` of role
    "try"), True at the top level of its body and False in its handlers (through copies of constants: the
    flag of a try in generated code read again, which SSA made `ok_3 = ok` / `ok_3 = ok_2`)."""

    def __init__(self, body):
        self.defs = {}  # name -> [(statement, its loops)]
        self.loops = {}  # id(statement) -> ids of the loops around it
        self.tries = []
        self.scan(body, ())

    def scan(self, stmts, loops):
        for x in stmts:
            self.loops[id(x)] = loops
            for t in defined_names(x):
                self.defs.setdefault(t, []).append(x)
            if isinstance(x, If) and x.role == "try":
                self.tries.append(x)
            inner = loops + (id(x),) if isinstance(x, (For, While)) else loops
            if not isinstance(x, ir.FunctionDef):
                for b in ir.blocks(x):
                    self.scan(b, inner)

    def constant(self, atom):
        """The bool an atom holds when it is a constant or a copy of one (None if not known)."""
        if isinstance(atom, Var):
            defs = self.defs.get(atom.name, [])
            if len(defs) != 1 or not isinstance(defs[0], Assign) or len(defs[0].targets) != 1:
                return None
            atom = defs[0].value
        if isinstance(atom, Call) and isinstance(atom.func, Global) and atom.func.path == ("_ad", "tried"):
            atom = atom.args[0] if len(atom.args) == 1 else None
        return atom.value if isinstance(atom, ir.Const) and isinstance(atom.value, bool) else None

    def body_only(self, s):
        if not isinstance(s.test, Var) or s.role is not None or id(s) not in self.loops:
            return set()
        defs = self.defs.get(s.test.name, [])
        for t in self.tries:
            if self.loops[id(t)] != self.loops[id(s)]:
                continue
            top = {id(x) for x in t.body}
            handlers = {id(x) for x in ir.walk(t.orelse)}
            if defs and all(isinstance(d, Assign) and (id(d) in top and self.constant(d.value) is True or
                                                       id(d) in handlers and self.constant(d.value) is False)
                            for d in defs) and any(id(d) in top for d in defs):
                inside = Counter(n for x in ir.walk(t.body) for n in defined_names(x))
                return {n for n, c in inside.items() if len(self.defs.get(n, [])) == c}
        return set()


def list_refreshes(body):
    """id(`if t:` refreshing names after a list method) -> (the method's Mutate, the refreshed names' earlier
    versions): `lst_2` from `lst_1.append(v)` in the same block before it, `if t: other_4 = lst_2` (a noop
    whose `prev` is other_3)."""
    out = {}
    for block in ir.all_blocks(body):
        made = {}  # result name -> the Mutate making it
        for s in block:
            if isinstance(s, Mutate) and s.result:
                made[s.result] = s
            elif isinstance(s, If) and s.role is None:
                for branch in (s.body, s.orelse):
                    for x in branch:
                        if isinstance(x, Assign) and x.noop and x.prev and isinstance(x.value, Var) and \
                                x.value.name in made:
                            m, names = out.setdefault(id(s), (made[x.value.name], set()))
                            if m is made[x.value.name]:
                                names.add(x.prev)
    return out


def defined_names(s):
    """The names a statement of the SSA form defines."""
    if isinstance(s, Assign):
        return s.targets
    if isinstance(s, SetItem):
        return (s.result,) if s.result else ()
    if isinstance(s, Mutate):
        return tuple(n for n in (s.result, s.out) if n)
    return ()


def _real(stmts):
    return [x for x in stmts if not isinstance(x, (ir.Comment, Marker))]


def _markers(stmts):
    return [x for x in stmts if isinstance(x, Marker)]


def sink_after_breaks(stmts, in_loop=False):
    """In a loop body, the statements following an `if` that may `break` moved to the end of its path that
    goes on (`if c: break else: A` then `B` becomes `if c: break else: A; B`), in place. The adjoint of an
    iteration is written per path: after a `break` nothing of the iteration ran, so its adjoint must run nothing
    of it either, and the tape must not pop what it did not push; a statement left after the `if` would be
    undone on the `break`'s path too (its adjoint zeroed the value the `break` carried out). The desugarer
    writes this form already (desugar_statements.block); passes making code after it must not break it."""
    for i, s in enumerate(stmts):
        if isinstance(s, (For, While)):
            sink_after_breaks(s.body, True)
        elif isinstance(s, If):
            sink_after_breaks(s.body, in_loop)
            sink_after_breaks(s.orelse, in_loop)
            rest = stmts[i + 1:]
            if not (in_loop and rest and _may_break([s])):
                continue
            ends = _falling_ends([s])
            if not ends:
                return  # (what follows never runs: left as it is)
            if len(ends) > 1:
                raise UnsupportedError("code after an `if` that may `break` on some of its paths and goes on by "
                                       "several others cannot be differentiated (yet)",
                                       where=s.origin.unit.location(s.origin.node) if s.origin else None,
                                       hint="write the statements after the `if` into each branch that goes on")
            del stmts[i + 1:]
            ends[0].extend(rest)
            sink_after_breaks(ends[0], in_loop)  # (the moved statements may hold another such `if`)
            return


def _may_break(block):
    last = block[-1] if block else None
    if isinstance(last, Break):
        return True
    return isinstance(last, If) and (_may_break(last.body) or _may_break(last.orelse))


def _falling_ends(block):
    """The blocks whose end a path through `block` that goes on reaches last (where what follows it runs)."""
    last = block[-1] if block else None
    if isinstance(last, Break) or ir.is_throw(last):
        return []
    if isinstance(last, If) and (_may_break(last.body) or _may_break(last.orelse)):
        return _falling_ends(last.body) + _falling_ends(last.orelse)
    return [block]


def _changed_in_place(name, kind, body):
    """Is the carried `name` an array the loop's body stores into, or a list one of its methods changes?"""
    if isinstance(kind, K.Array):
        changes = SetItem
    elif isinstance(kind, K.Seq) and kind.mutable:
        changes = Mutate
    else:
        return False
    return any(isinstance(x, changes) and isinstance(x.target, Var) and x.target.name == name for x in ir.walk(body))
