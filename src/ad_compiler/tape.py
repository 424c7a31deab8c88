"""Pass 9, tape policy: what the forward sweep saves so that the adjoint sweep sees the values it reads.

Restore semantics: before a loop overwrites a value the adjoint sweep reads, the forward sweep pushes the
old value on a tape (a plain list), and the adjoint sweep pops it back right after the adjoint of that
assignment; so at every point of the adjoint sweep each name holds the value it had at the same point of
the forward sweep. The same for what a store (`y[i] = v`) or a list method overwrites, in or out of loops.
Only what the adjoint sweep reads is saved (decided once the adjoint is built): a value read only for its
shape is saved as its shape; a loop variable's end-of-iteration value is recovered from the next
iteration's instead of saved; cheap reads of loop-invariant arrays (`xs[t]`) are recomputed.
"""
import dataclasses

from . import ir, kinds as K, lower, sharing
from .adjoints import assign, helper
from .cleanup import fold
from .ir import Assign, Call, Const, ExprStmt, For, Global, If, Index, Mutate, SetItem, Var, While
from .reverse import Marker

# runtime helpers that read only the shape of one argument: name -> its position
SHAPE_ONLY = {"unbroadcast": 1, "unbroadcast_value": 1, "unreduce": 1, "unreduce_mean": 1, "zeros_like": 0,
              "count_reduced": 0}
NEED_DTYPE = {"zeros_like"}
TUPLE_OK = {"unbroadcast"}  # helpers that take a shape as a plain tuple for that argument


class Tape:
    def __init__(self, rev, fn, alloc):
        self.rev = rev
        self.fn = fn
        self.alloc = alloc
        self.name = None
        self.storage = sharing.classes(fn.body, rev.kinds)
        self.fixed = sharing.fixed_objects(fn)
        # checkpointed loops: their bodies as the first forward sweep runs them (no tape), copied before the
        # sweeps that save values change them; and the names of their segments and snapshots
        self.plain = {id(s): _plain(s.body) for s in ir.walk(fn.body) if isinstance(s, For) and s.checkpoint is not None}
        self.checkpoint_names = {}

    def tape(self):
        if self.name is None:
            self.name = self.alloc.fresh("tape")
        return self.name

    # -- what to save ---------------------------------------------------------------------------------------
    def decide(self, adjoint):
        reads, shape_reads, tuple_ok = {}, {}, {}
        rev = self.rev

        def visit_expr(e, shape_position=False, helper_name=None):
            if isinstance(e, Var):
                reads[e.name] = reads.get(e.name, 0) + 1
                if shape_position:
                    shape_reads[e.name] = shape_reads.get(e.name, 0) + 1
                    if helper_name in TUPLE_OK:
                        tuple_ok[e.name] = tuple_ok.get(e.name, 0) + 1
                return
            if isinstance(e, Call):
                pos, hname = None, None
                f = e.func
                if isinstance(f, Global) and f.path[:1] == ("_ad",) and len(f.path) == 2:
                    hname = f.path[1]
                    pos = SHAPE_ONLY.get(hname)
                visit_expr(f)
                for i, a in enumerate(e.args):
                    visit_expr(a, i == pos, hname)
                for _, v in e.kwargs:
                    visit_expr(v)
                return
            for c in ir.children(e):
                visit_expr(c)

        markers = []

        def visit(stmts):
            for s in stmts:
                if isinstance(s, Marker):
                    markers.append(s)
                    if s.kind == "checkpoint":
                        visit([s.adjoint])
                    continue
                if isinstance(s, ir.Comment):
                    continue
                if isinstance(s, Assign):
                    visit_expr(s.value)
                elif isinstance(s, SetItem):
                    visit_expr(s.target)
                    for i in s.items:
                        visit_expr(i)
                    visit_expr(s.value)
                elif isinstance(s, ir.AugAssign):
                    visit_expr(s.value)
                    visit_expr(Var(s.target))
                elif isinstance(s, (ExprStmt,)):
                    visit_expr(s.value)
                elif isinstance(s, If):
                    visit_expr(s.test)
                    visit(s.body)
                    visit(s.orelse)
                elif isinstance(s, For):
                    visit_expr(s.iter)
                    visit(s.body)
                elif isinstance(s, While):
                    visit(s.body)

        visit(adjoint)
        stored_items = set()
        grew = True
        while grew:
            grew = False
            for m in markers:  # a recovered or recomputed value that is read reads what it is made of
                if m.name not in reads or getattr(m, "_counted", False):
                    continue
                if m.kind == "recover" and m.name not in rev.recomputable:
                    reads[m.source] = reads.get(m.source, 0) + 1
                elif m.kind == "recompute":
                    visit_expr(m.stmt.value)
                else:
                    continue
                m._counted = True
                grew = True
            # what a store overwrote is restored if the adjoint reads the object (the restoring store then
            # reads the object and its index: they must be there too)
            read_classes = {self.storage.find(n) for n in reads}
            for m in markers:
                if m.kind in ("restore_item", "restore_list") and id(m.stmt) not in stored_items and \
                        self.storage.find(m.stmt.target.name) in read_classes:
                    stored_items.add(id(m.stmt))
                    visit_expr(m.stmt.target)
                    if m.kind == "restore_item":
                        for i in m.stmt.items:
                            visit_expr(i)
                    elif m.stmt.out:
                        reads[m.stmt.out] = reads.get(m.stmt.out, 0) + 1
                    for a in m.stmt.args if m.kind == "restore_list" else ():
                        visit_expr(a)
                    grew = True
        self.needed_reads = set(reads)
        saved, shape_only, as_tuple = set(), set(), set()
        stored = {self.storage.find(s.target.name) for s in ir.walk(self.fn.body) if isinstance(s, (SetItem, Mutate))}
        for n in rev.loop_defined:
            if n in rev.loop_indices or n not in reads or n in rev.recomputable or n in self.fixed:
                continue
            if n in rev.recoverable and rev.recoverable[n] in rev.loop_defined:
                continue
            saved.add(n)
            if shape_reads.get(n, 0) == reads[n] and isinstance(rev.kinds.get(n), K.Array) and \
                    self.storage.find(n) not in stored:  # (an object stored into is restored, not replaced)
                shape_only.add(n)
                if tuple_ok.get(n, 0) == reads[n] and rev.kinds.get(n).ndim is not None:
                    as_tuple.add(n)  # (an array of known rank: its `.shape`, cheaper than a ShapeOf)
        for s in ir.walk(self.fn.body):
            if isinstance(s, SetItem) and not s.noop and id(s) in stored_items:
                saved.add(("item", id(s)))
            elif isinstance(s, Mutate) and id(s) in stored_items:
                saved.add(("list", id(s)))
        if saved or rev.nested_counters:
            self.tape()
        self.saved, self.shape_only, self.as_tuple = saved, shape_only, as_tuple
        return saved

    # -- markers --------------------------------------------------------------------------------------------
    def pop(self):
        return Call(ir.Attr(Var(self.tape()), "pop"), ())

    def resolve(self, stmts):
        out = []
        rev = self.rev
        for s in stmts:
            if isinstance(s, Marker):
                k = s.kind
                if k == "restore" and s.name in self.saved:
                    out.append(assign(s.name, self.pop()))
                elif k == "recover" and s.name in self.needed_reads and s.name not in rev.recomputable:
                    out.append(assign(s.name, Var(s.source)))
                elif k == "recompute" and s.name in self.needed_reads:
                    out.append(assign(s.name, s.stmt.value))
                elif k == "restore_item" and ("item", id(s.stmt)) in self.saved:
                    st = s.stmt
                    if isinstance(self.rev.kinds.get(st.target.name), (K.Array, K.Numeric)):
                        out.append(SetItem(st.target, st.items, self.pop(), tuple_form=st.tuple_form))
                    else:  # a list or dict (a store may have added the key)
                        out.append(ExprStmt(helper("restore_item", st.target, _index(st), self.pop())))
                elif k == "restore_list" and ("list", id(s.stmt)) in self.saved:
                    out.append(self.undo_list(s.stmt))
                elif k == "pop_counter":
                    out.append(assign(s.name, self.pop()))
                elif k == "checkpoint":
                    out.append(self.segments_backward(s))
                continue
            for block in ir.blocks(s):
                resolved = self.resolve(block)
                block[:] = resolved
            out.append(s)
        return out

    # -- checkpointed loops ---------------------------------------------------------------------------------
    def names_of(self, loop):
        """(segments, snapshots, steps): the names of a checkpointed loop's segments of steps, of the values
        of its variables at the start of each, and of one segment's steps."""
        if id(loop) not in self.checkpoint_names:
            self.checkpoint_names[id(loop)] = tuple(self.alloc.fresh(n) for n in ("segments", "snapshots", "steps"))
        return self.checkpoint_names[id(loop)]

    def segments_forward(self, loop):
        """The first forward sweep of a checkpointed loop: segment by segment, the loop's variables saved at
        the start of each (`snapshots`), nothing else."""
        segments, snapshots, steps = self.names_of(loop)
        snapshot = _carried_value(loop)
        body = [ExprStmt(Call(ir.Attr(Var(snapshots), "append"), (snapshot,)))] if snapshot is not None else []
        body.append(_copy(loop, For(loop.target, Var(steps), self.plain[id(loop)])))
        return [_copy(loop, assign(segments, fold(helper("segments", loop.iter, loop.checkpoint)))),
                _copy(loop, assign(snapshots, helper("new_tape"))),
                _copy(loop, For(steps, Var(segments), body))]

    def segments_backward(self, marker):
        """The adjoint of a checkpointed loop: for each segment, last first, its variables as they were at its
        start, the segment run forward again saving what its adjoint reads, then the segment's adjoint."""
        loop, adjoint = marker.stmt, marker.adjoint
        segments, snapshots, steps = self.names_of(loop)
        restore = []
        if loop.carried:
            pop = Call(ir.Attr(Var(snapshots), "pop"), ())
            restore.append(Assign(tuple(loop.carried), pop) if len(loop.carried) > 1 else assign(loop.carried[0], pop))
        # (a value saved as its shape holds a shape here, put back by the adjoint of the segment after this one:
        # it starts the segment as in the first sweep, since the segment assigns it before reading it)
        shapes = sorted(n for n in self.shape_only if n not in loop.carried and
                        any(n in ir.stmt_writes(x) for x in ir.walk(loop.body)))
        restore += [_copy(loop, assign(n, Global(("_ad", "UNSET"), _unset(), _runtime()) if n in self.as_tuple
                                       else Const(None))) for n in shapes]
        again = For(loop.target, Var(steps), self.forward(loop.body, 1))
        back = For(adjoint.target, Call(Global(("reversed",), reversed), (Var(steps),)), self.resolve(adjoint.body))
        return For(steps, Call(Global(("reversed",), reversed), (Var(segments),)), restore + [again, back])

    def undo_list(self, m):
        target = m.target
        if m.method == "append":
            return ExprStmt(Call(ir.Attr(target, "pop"), ()))
        if m.method == "extend":
            return ExprStmt(helper("pop_tail", target, m.args[0]))
        if m.method == "pop":
            return ExprStmt(Call(ir.Attr(target, "append"), (Var(m.out),)))
        return ExprStmt(Call(ir.Attr(target, "extend"), (self.pop(),)))

    # -- the forward sweep ----------------------------------------------------------------------------------
    def push(self, value):
        return ExprStmt(Call(ir.Attr(Var(self.tape()), "append"), (value,)))

    def forward(self, stmts, depth=0):
        out = []
        rev = self.rev
        for s in stmts:
            if isinstance(s, Assign):
                t = s.target
                if depth > 0 and t in self.saved:
                    value = Var(t)
                    if t in self.as_tuple:
                        value = ir.Attr(value, "shape")
                    elif t in self.shape_only:
                        value = helper("shape_of", value)
                    out.append(self.push(value))
                if id(s) in rev.callee_vjp:
                    vjp = rev.callee_vjp[id(s)]
                    if depth > 0 and vjp in self.saved:
                        out.append(self.push(Var(vjp)))
                    out.append(rev.linker.forward(rev, s))
                elif _checkpointed_call(s):  # the function, by the name the user gave it
                    f = s.value.func
                    if getattr(f.obj, "named_as_function", False):  # (`ad.checkpoint(f)(x)`: f)
                        f = Global(f.path, f.obj.func, f.root)
                    out.append(_copy(s, Assign(s.targets, Call(f, s.value.args, s.value.kwargs))))
                else:
                    out += lower.statement(s)
            elif isinstance(s, SetItem):
                if depth > 0 and s.result in self.saved:
                    out.append(self.push(Var(s.result)))
                if not s.noop and ("item", id(s)) in self.saved:
                    if isinstance(self.rev.kinds.get(s.target.name), (K.Array, K.Numeric)):
                        out.append(self.push(helper("np_copy", Index(s.target, s.items, s.tuple_form))))
                    else:
                        out.append(self.push(helper("save_item", s.target, _index(s))))
                out += lower.statement(s)
            elif isinstance(s, Mutate):
                if s.method == "clear" and ("list", id(s)) in self.saved:
                    out.append(self.push(Call(Global(("list",), list), (s.target,))))
                for n in (s.out, s.result):
                    if depth > 0 and n is not None and n in self.saved:
                        out.append(self.push(Var(n)))
                out += lower.statement(s)
            elif isinstance(s, If):
                s.body = self.forward(s.body, depth)
                s.orelse = self.forward(s.orelse, depth)
                if s.role == "try":
                    out += self.undo_partial_body(s)
                out.append(s)
            elif isinstance(s, For) and s.checkpoint is not None:
                out += self.segments_forward(s)
            elif isinstance(s, (For, While)):
                body = self.forward(s.body, depth + 1)
                if id(s) in rev.counters:
                    c = rev.counters[id(s)]
                    if id(s) in rev.nested_counters:
                        out.append(self.push(Var(c)))
                    out.append(assign(c, Const(0)))
                    body = [assign(c, ir.BinOp("+", Var(c), Const(1)))] + body
                s.body = body
                out.append(s)
            else:
                out.append(s)
        return out

    def undo_partial_body(self, s):
        """A `try` body (desugar_blocks.py) interrupted by an exception may have pushed values on the tape and
        rebound names the adjoint sweep restores: its handlers start by taking the tape back to its length
        before the body and the names back to their values then (the adjoint of the body is not run). The
        statements to run before the `try` (its length and those values)."""
        pushed = []
        for x in ir.walk(s.body):
            if isinstance(x, ExprStmt) and isinstance(x.value, Call) and isinstance(x.value.func, ir.Attr) and \
                    x.value.func.value == Var(self.name or "") and x.value.func.attr == "append":
                arg = x.value.args[0]
                if isinstance(arg, Call) and arg.args:  # (a shape saved: the value itself is taken back)
                    arg = arg.args[0]
                if isinstance(arg, Var) and arg.name not in pushed:
                    pushed.append(arg.name)
        if not pushed:
            return []
        length, values = self.alloc.fresh("tape_length"), self.alloc.fresh("before_try")
        names = tuple(pushed)
        undo = [ExprStmt(helper("truncate", Var(self.name), Var(length))),
                Assign(names, Var(values) if len(names) > 1 else ir.Index(Var(values), (Const(0),)))]
        for u in undo:
            u.origin = s.origin
        s.orelse[:0] = undo
        return [_copy(s, assign(length, Call(Global(("len",), len), (Var(self.name),)))),
                _copy(s, assign(values, ir.Build("tuple", tuple(Var(n) for n in names))))]

    def first_values(self):
        """Values saved before their first assignment (a loop's first iteration pushes them) start as None."""
        carried = {c for loop in self.fn.body if isinstance(loop, (For, While)) for c in loop.carried}
        names = sorted(x for x in self.saved if isinstance(x, str) and x not in self.fn.params and x not in carried)
        names += sorted(self.rev.nested_counters.values())
        # (a name saved as its `.shape` starts as _ad.UNSET, whose shape is None)
        return [assign(n, Global(("_ad", "UNSET"), _unset(), _runtime()) if n in self.as_tuple else Const(None))
                for n in names]


def _checkpointed_call(s):
    from .markers import Checkpointed

    v = s.value
    return isinstance(v, Call) and isinstance(v.func, Global) and isinstance(v.func.obj, Checkpointed)


def _carried_value(loop):
    """The value a snapshot of a loop's variables holds: the one variable, or a tuple of them."""
    if not loop.carried:
        return None
    if len(loop.carried) == 1:
        return Var(loop.carried[0])
    return ir.Build("tuple", tuple(Var(c) for c in loop.carried))


def _plain(stmts):
    """A copy of a block as the plain statements that run it (lower.py), nothing saved."""
    out = []
    for s in stmts:
        if isinstance(s, If):
            out.append(_copy(s, If(s.test, _plain(s.body), _plain(s.orelse))))
        elif isinstance(s, For):
            out.append(_copy(s, For(s.target, s.iter, _plain(s.body), s.carried)))
        elif isinstance(s, While):
            out.append(_copy(s, While(s.test, _plain(s.body), s.carried)))
        else:
            out += [_copy(x, dataclasses.replace(x)) for x in lower.statement(s)]
    return out


def _unset():
    from . import runtime

    return runtime.UNSET


def _runtime():
    from . import runtime

    return runtime


def _index(s):

    return ir.index_value(s.items, s.tuple_form)


def _copy(original, new):
    new.origin, new.nograd = original.origin, original.nograd
    return new
