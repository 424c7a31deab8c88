"""The tape's policy (tape.py): which values the forward sweep saves, decided once the adjoint sweep is built
from what it reads. A value a loop overwrites is saved only if the adjoint reads it (and not when it is
recovered from the next iteration, recomputed, or always the same object); a value read only for its shape
(by `unbroadcast`, `zeros_like`, ...) is saved as its shape; what a store or a list method overwrote is saved
when the adjoint reads the object (its restoring store then reads the object and the index too).
"""
from . import ir, kinds as K
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
        # what a store overwrote is restored if the adjoint reads the object (the restoring store then
        # reads the object and its index: they must be there too)
        read_classes = {tape.storage.find(n) for n in reads}
        for m in markers:
            if m.kind in ("restore_item", "restore_list") and id(m.stmt) not in stored_items and \
                    tape.storage.find(m.stmt.target.name) in read_classes:
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
    for n in rev.loop_defined:
        if n in rev.loop_indices or n not in reads or n in rev.recomputable or n in tape.fixed:
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
