"""The tape's policy (tape.py): which values the forward sweep saves, decided once the adjoint sweep is built
from what it reads. A value a loop overwrites is saved only if the adjoint reads it (and not when it is
recovered from the next iteration, recomputed, or always the same object); a value read only for its shape
(by `unbroadcast`, `zeros_like`, ...) is saved as its shape; what a store or a list method overwrote is saved
when the adjoint reads the object's values after the point where it is put back, or the caller may see it
(restores_read_later; its restoring store then reads the object and the index too).
"""
from . import ir, kinds as K, sharing
from .ir import Assign, Call, ExprStmt, For, Global, If, Mutate, SetItem, Var, While
from .reverse import Marker

# runtime helpers that read only the shape of one argument: name -> its position
SHAPE_ONLY = {"unbroadcast": 1, "unbroadcast_value": 1, "unreduce": 1, "unreduce_mean": 1, "zeros_like": 0,
              "count_reduced": 0, "join_slices": 0, "getitem_vjp": 1}
NEED_DTYPE = {"zeros_like", "join_slices", "getitem_vjp"}
TUPLE_OK = {"unbroadcast"}  # helpers that take a shape as a plain tuple for that argument


def what_to_save(tape, adjoint):
    """(saved, shape_only, as_tuple, needed_reads): the values the forward sweep saves (names; ("item", id) and
    ("list", id) for what a store or a list method overwrites), those saved as their shape only (as `.shape`
    tuples), and every name the adjoint sweep reads."""
    reads, shape_reads, tuple_ok = {}, {}, {}
    rev = tape.rev

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
        # what a store overwrote is restored if the adjoint reads the object after that point (the restoring
        # store then reads the object and its index: they must be there too)
        read_later = restores_read_later(tape, adjoint, reads)
        for m in markers:
            if m.kind in ("restore_item", "restore_list") and id(m.stmt) not in stored_items and \
                    id(m.stmt) in read_later:
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
    saved, shape_only, as_tuple = set(), set(), set()
    stored = {tape.storage.find(s.target.name) for s in ir.walk(tape.fn.body) if isinstance(s, (SetItem, Mutate))}
    read_after = restored_names_read_later(adjoint, reads)
    for n in rev.loop_defined:
        if n in rev.loop_indices or n not in reads or n in rev.recomputable or n in tape.fixed or \
                read_after is not None and n not in read_after:
            continue
        if n in rev.recoverable and rev.recoverable[n] in rev.loop_defined:
            continue
        saved.add(n)
        if shape_reads.get(n, 0) == reads[n] and isinstance(rev.kinds.get(n), K.Array) and \
                tape.storage.find(n) not in stored:  # (an object stored into is restored, not replaced)
            shape_only.add(n)
            if tuple_ok.get(n, 0) == reads[n] and rev.kinds.get(n).ndim is not None:
                as_tuple.add(n)  # (an array of known rank: its `.shape`, cheaper than a ShapeOf)
    for s in ir.walk(tape.fn.body):
        if isinstance(s, SetItem) and not s.noop and id(s) in stored_items:
            saved.add(("item", id(s)))
        elif isinstance(s, Mutate) and id(s) in stored_items:
            saved.add(("list", id(s)))
    return saved, shape_only, as_tuple, set(reads)


def restored_names_read_later(adjoint, reads):
    """The names whose value some code of the adjoint sweep reads after a point where a `restore` marker puts
    back what a loop overwrote: later in the sweep, or anywhere in a loop around the marker (its next step).
    A name read only before the loop's adjoint (its value after the loop, as the loop left it) needs no tape:
    nor does the test of an `if` (or the count of a loop) of the adjoint sweep whose blocks would hold
    nothing but such restores, which are then not written (`tape.resolve` leaves no statement). The least
    solution of that circle: start from no name, grow until nothing changes. `reads`: every name the adjoint
    reads (the recovered and recomputed values it makes)."""
    needed = set()

    def content(stmts):  # does the block write anything once the markers are resolved?
        for s in ir.walk(stmts):
            if isinstance(s, Marker):
                if s.kind != "restore" or s.name in needed:
                    return True
            elif not isinstance(s, (ir.Comment, If, For, While)):
                return True
        return False

    def reads_of(s):
        out = set()
        for e in _read_exprs(s):
            if e is not None:
                out |= ir.names_in(e)
        if isinstance(s, Marker):
            if s.kind == "recover" and s.name in reads:
                out.add(s.source)
            elif s.kind == "recompute" and s.name in reads:
                out |= ir.names_in(s.stmt.value)
            elif s.kind in ("restore_item", "restore_list"):
                out |= ir.names_in(s.stmt.target) | set().union(*(ir.names_in(e) for e in (
                    s.stmt.items if s.kind == "restore_item" else s.stmt.args)), set())
                if getattr(s.stmt, "out", None):
                    out.add(s.stmt.out)
        return out

    def every_read(stmts):
        out = set()
        for s in ir.walk(stmts):
            if isinstance(s, Marker) and s.kind == "checkpoint":
                return _ALL
            if isinstance(s, (If, For, While)) and not content(s.body + getattr(s, "orelse", [])):
                continue
            out |= reads_of(s)
        return out

    def block(stmts, live):
        for s in reversed(stmts):
            if live is _ALL or isinstance(s, Marker) and s.kind == "checkpoint":
                return _ALL
            if isinstance(s, Marker) and s.kind == "restore":
                if s.name in live:
                    needed.add(s.name)
            elif isinstance(s, If):  # (blocks of restores only are visited too: they may hold a needed one)
                after_then, after_else = block(s.body, live), block(s.orelse, live)
                if _ALL in (after_then, after_else):
                    return _ALL
                live = after_then | after_else | (reads_of(s) if content(s.body + s.orelse) else set())
            elif isinstance(s, (For, While)):
                around = every_read([s]) if content(s.body) else set()
                if around is _ALL:
                    return _ALL
                live = live | around
                if block(s.body, live) is _ALL:
                    return _ALL
            else:
                live = live | reads_of(s)
        return live

    while True:
        before = set(needed)
        if block(adjoint, set()) is _ALL:
            return None  # (a checkpointed loop runs segments of the forward sweep again: every name counts)
        if needed == before:
            return needed


_ALL = None  # (every object: what follows reads anything)
# runtime helpers reading only the shape, dtype or type of an argument (at this position): a store into an
# array changes none of these
META_READS = dict(SHAPE_ONLY, stored_vjp=2, stored_jvp=1, owned_copy=1, getitem_vjp=1, cast_like=1, as_grad=1,
                  as_grad_made=1)


def restores_read_later(tape, adjoint, reads):
    """The stores and list methods (ids) whose object something reads after the point where the adjoint sweep
    puts back what they overwrote: the adjoint sweep itself, in order (a loop's body reads at every step what
    any step reads), then, after a recursive call's backward, its caller (the arguments, the output). Nothing reads an object the function made
    after its last use: undoing changes to it would be bookkeeping, and in a derivative differentiated again,
    stores into arrays that other names may see (explore --mode hessian, seed 3434). Reading only an array's
    shape or dtype (META_READS) needs no undoing. `reads`: the names the adjoint reads, to tell which
    recomputed and recovered values it makes."""
    rev = tape.rev
    find = sharing.classes(tape.fn.body, rev.kinds).find
    needed = set()

    def of(*exprs):  # (values, metadata) read: sets of classes
        values, meta = set(), set()

        def visit(e, only_meta=False):
            if isinstance(e, Var):
                if sharing.may_hold_mutable(rev.kinds.get(e.name, K.UNKNOWN)):  # (a number read is a copy)
                    (meta if only_meta else values).add(find(e.name))
                return
            if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",) and \
                    len(e.func.path) == 2:
                position = META_READS.get(e.func.path[1])
                for i, a in enumerate(e.args):
                    visit(a, i == position)
                for _, v in e.kwargs:
                    visit(v)
                return
            for c in ir.children(e):
                visit(c)
        for e in exprs:
            if e is not None:
                visit(e)
        return values, meta

    def union(live, more):
        return _ALL if _ALL in (live, more) else (live[0] | more[0], live[1] | more[1])

    def marker_reads(m):
        if m.kind == "recover" and m.name in reads and m.name not in rev.recomputable:
            if find(m.source) == find(m.name):  # (a name bound to an object of its class: its uses read it)
                return set(), set()
            return of(Var(m.source))
        if m.kind == "recompute" and m.name in reads:
            return of(m.stmt.value)
        if m.kind == "restore_item":
            return of(*m.stmt.items)
        if m.kind == "restore_list":
            return of(*m.stmt.args)
        if m.kind == "checkpoint":
            return _ALL
        return set(), set()

    def all_reads(stmts):
        out = (set(), set())
        for s in ir.walk(stmts):
            if isinstance(s, Marker):
                out = union(out, marker_reads(s))
            elif isinstance(s, (Assign, SetItem, ir.AugAssign, ExprStmt, If, For, While, ir.Comment, ir.Break)):
                out = union(out, of(*_read_exprs(s)))
            else:
                return _ALL
        return out

    def read(live, target):
        if live is _ALL:
            return True
        c = find(target)
        return c in live[0] or c in live[1] and not isinstance(rev.kinds.get(target), (K.Array, K.Numeric))

    def block(stmts, live):
        for s in reversed(stmts):
            if live is _ALL:
                needed.update(_restores([s]))
            elif isinstance(s, Marker):
                if s.kind in ("restore_item", "restore_list"):
                    if read(live, s.stmt.target.name):
                        needed.add(id(s.stmt))
                        live = union(live, marker_reads(s))
                else:
                    live = union(live, marker_reads(s))
                    if live is _ALL:
                        needed.update(_restores([s]))
            elif isinstance(s, (ir.Comment, ir.Break)):
                continue
            elif isinstance(s, If):
                body, orelse = block(s.body, live), block(s.orelse, live)
                live = union(union(body, orelse), of(s.test))
            elif isinstance(s, (For, While)):
                live = union(live, all_reads([s]))
                block(s.body, live)
            elif isinstance(s, (Assign, SetItem, ir.AugAssign, ExprStmt)):
                live = union(live, of(*_read_exprs(s)))
            else:
                needed.update(_restores([s]))
                live = _ALL
        return live

    fn = tape.fn
    end = set()
    if tape.for_caller:  # (a top-level derivative returns: the arguments it changes are copies, or f changes them too)
        end = {find(p) for p in fn.params} | of(fn.out)[0]
        end |= {find(s.targets[0]) for s in ir.walk(fn.body) if isinstance(s, Assign) and len(s.targets) == 1 and
                isinstance(s.value, Global)}  # (an object of the module or a closure: the caller sees it)
    block(adjoint, (end, set()))
    return needed


def _restores(stmts):
    """The stores and list methods (ids) whose restoring markers lie in `stmts`, checkpointed segments included."""
    out = set()
    for m in ir.walk(stmts):
        if isinstance(m, Marker) and m.kind in ("restore_item", "restore_list"):
            out.add(id(m.stmt))
        elif isinstance(m, Marker) and m.kind == "checkpoint":
            out |= _restores([m.adjoint])
    return out


def _read_exprs(s):
    """The expressions a (non-marker) statement of the adjoint sweep reads, not counting nested blocks."""
    if isinstance(s, Assign):
        return (s.value,)
    if isinstance(s, SetItem):
        return (s.target, *s.items, s.value)
    if isinstance(s, ir.AugAssign):
        return (s.value, Var(s.target))
    if isinstance(s, ExprStmt):
        return (s.value,)
    if isinstance(s, If):
        return (s.test,)
    if isinstance(s, For):
        return (s.iter,)
    if isinstance(s, While):
        return (getattr(s, "test", None),)
    return ()
