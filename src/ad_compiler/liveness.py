"""Liveness of the names of a desugared (pre-SSA) function: which names may still be read after each point.

Used by the alias pass (does anyone still see this array?) and by SSA (which variables a loop carries).
"""
from . import ir
from .ir import Break, For, If, Mutate, SetItem, While


def liveness(fn, branch_in=None, false=frozenset()):
    """(live_after, live_head): names live after each statement (id -> set), and at the head of each loop
    (id(loop) -> set: read in the body before being assigned, or live after the loop). `branch_in`: a dict
    filled with the names live at the start of each `if`'s branches (id(if) -> (body's, orelse's)); an `if`
    (not a `try`) on a name in `false` takes its `else` branch."""
    live_after = {}
    live_head = {}

    def block(stmts, live, loop_exit):
        for s in reversed(stmts):
            if isinstance(s, Break):
                live = set(loop_exit)
                live_after[id(s)] = set(live)
                continue
            if ir.is_throw(s):  # (`raise`: nothing after it runs)
                live = set()
            live_after[id(s)] = set(live)
            if isinstance(s, If):
                body_in, orelse_in = block(s.body, set(live), loop_exit), block(s.orelse, set(live), loop_exit)
                if isinstance(s.test, ir.Var) and s.test.name in false and s.role != "try":
                    body_in = set()
                if branch_in is not None:
                    branch_in[id(s)] = (body_in, orelse_in)
                live = body_in | orelse_in | ir.names_in(s.test)
            elif isinstance(s, (For, While)):
                exit_live = set(live)
                head = set(live) | (ir.names_in(s.iter) if isinstance(s, For) else set())
                for _ in range(100):
                    new_head = head | block(s.body, set(head), exit_live)
                    if new_head == head:
                        break
                    head = new_head
                live_head[id(s)] = head
                live = head
            else:
                writes = set() if isinstance(s, (SetItem, Mutate)) else ir.stmt_writes(s)
                live = (live - writes) | ir.stmt_reads(s)
                if isinstance(s, ir.Assign) and s.noop:
                    live |= set(s.targets)  # a refresh gives a new name to the value its target had before
        return live

    block(fn.body, set(ir.names_in(fn.out)), set())
    return live_after, live_head
