"""Checks of the inliner's work: an iterator the compiler computes as a list when it is made (`map(...)`, a
generator function's values) is used once, as Python's would be; a generator ends by itself."""
import ast

from . import ir
from .errors import UnsupportedError
from .ir import Assign


def check_generator_ends(stmt, unit, fdef):
    """A generator is run to its end when it is called: one that needs its consumer to stop it (`while True:`
    without a `break` or `return`) is refused."""
    for node in ast.walk(fdef):
        if isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            exits = [n for n in ast.walk(node) if isinstance(n, (ast.Break, ast.Return))]
            if not exits:
                raise UnsupportedError("a generator that never ends by itself (`while True:` without `break` or "
                                       "`return`): the compiler computes a generator's values when it is called",
                                       where=unit.location(node), hint="bound the loop (a `for` over a range, or a "
                                       "condition), or build a list of the values the consumer needs")


def _yields(fdef):
    """Is this nested def a generator (a `yield` of its own, not of a function inside it)?"""
    todo = list(fdef.body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))
    return False


def _user_name(stmt, target):
    origin = stmt.origin
    node = origin.stmt if origin is not None else None
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return target


def check_iterators_used_once(body):
    """An iterator the compiler computes as a list when it is made (the value of `map(...)`, of a generator
    function) must be read once: Python's would be empty when read again, the list would not. (A name made
    again, in a loop written out once per item, starts a new count.)"""
    records = []  # [statement, the loops around it, reads: [(statement, loops)]]
    current = {}  # name -> its record

    def visit(stmts, loops):
        for s in stmts:
            for n in ir.stmt_reads(s):
                if n in current:
                    current[n][2].append((s, loops))
            for n in ir.stmt_writes(s):
                current.pop(n, None)
            if isinstance(s, Assign) and getattr(s, "iterator", None):
                current[s.target] = [s, loops, []]
                records.append(current[s.target])
            if isinstance(s, (ir.For, ir.While)):
                visit(s.body, loops + (id(s),))
            else:
                for b in ir.blocks(s):
                    visit(b, loops)

    visit(body, ())
    for stmt, loops, uses in records:
        if len(uses) > 1 or any(inner[:len(loops)] == loops and len(inner) > len(loops) for _, inner in uses):
            origin = uses[-1][0].origin or stmt.origin
            raise UnsupportedError(f"the iterator `{stmt.iterator}` is used more than once (Python's iterator "
                                   "would be empty after its first use; the compiler computes its items when it "
                                   "is made)", where=origin.unit.location(origin.node),
                                   hint=f"make a list of it: `{stmt.iterator} = list(...)`")
