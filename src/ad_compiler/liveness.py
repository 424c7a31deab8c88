"""Liveness of the names of a desugared (pre-SSA) function: which names may still be read after each point.

Used by the alias pass (does anyone still see this array?) and by SSA (which variables a loop carries).
"""
from . import ir
from .ir import Break, For, If, Mutate, SetItem, While


def liveness(fn):
    """(live_after, live_head): names live after each statement (id -> set), and at the head of each loop
    (id(loop) -> set: read in the body before being assigned, or live after the loop)."""
    live_after = {}
    live_head = {}

    def block(stmts, live, loop_exit):
        for s in reversed(stmts):
            if isinstance(s, Break):
                live = set(loop_exit)
                live_after[id(s)] = set(live)
                continue
            live_after[id(s)] = set(live)
            if isinstance(s, If):
                live = block(s.body, set(live), loop_exit) | block(s.orelse, set(live), loop_exit) | \
                    ir.names_in(s.test)
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
