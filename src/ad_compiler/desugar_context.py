"""The state shared by the parts of one function's desugaring, and how they emit IR statements.

`DesugarContext` holds the function being desugared, its scope, the block being filled, the user statement
being desugared (the origin of what is emitted) and the `no_grad` flag; it emits statements, makes
temporaries and raises `UnsupportedError`. It also links the parts (desugar_statements, desugar_loops,
desugar_assign, desugar_expressions), so that each can hand a construct to the one handling it.
"""
from . import ir
from .errors import UnsupportedError
from .ir import Assign, Var


class DesugarContext:
    """One function's desugaring state (the parts read and update it) and the emitting helpers."""

    def __init__(self, unit, fdef, scope, out_name):
        self.unit = unit
        self.fdef = fdef
        self.scope = scope  # replaced while a comprehension's loop is desugared (its own names)
        self.alloc = scope.alloc
        self.out = out_name
        self.returned = None  # IR name of the flag set by a return inside a loop
        self.body = []
        self.loop_depth = 0
        self.stmt = None  # the user statement being desugared (origin of what is emitted)
        self.nograd = False
        self.keep = False  # inside a `try` body (desugar_blocks.py)
        self.generator = None  # in a generator function: the IR name of the list of its values
        self.implicit_none = False  # an inlined function returns None when it ends without `return`
        # the parts, set by desugar.Desugar
        self.statements = None   # desugar_statements.Statements
        self.loops = None        # desugar_loops.Loops
        self.assignments = None  # desugar_assign.Assignments
        self.expressions = None  # desugar_expressions.Expressions
        self.builtin_calls = None  # desugar_builtins.BuiltinCalls
        self.blocks = None  # desugar_blocks.Blocks

    def error(self, what, node, hint=None):
        raise UnsupportedError(f"{what} cannot be differentiated (yet)", where=self.unit.location(node),
                               hint=hint or "rewrite this part, or move it out of the differentiated function")

    def emit(self, stmt, node=None):
        self.body.append(self.made(stmt, node))
        return stmt

    def made(self, stmt, node=None):
        """`stmt` with its origin (the user statement being desugared) and flags, not emitted."""
        stmt.origin = ir.Origin(self.unit, self.stmt, node if node is not None else self.stmt)
        stmt.nograd = self.nograd
        stmt.keep = self.keep
        return stmt

    def assign(self, target, value, node=None):
        return self.emit(Assign((target,), value), node)

    def temp(self, value, node=None):
        name = self.alloc.temp()
        self.assign(name, value, node)
        return Var(name)

    def into(self, block):
        """A context manager: statements emitted inside it go to `block`."""
        d = self

        class _Into:
            def __enter__(self):
                self.saved = d.body
                d.body = block

            def __exit__(self, *exc):
                d.body = self.saved

        return _Into()

    def local(self, name, node):
        """The IR name of a local (or enclosing) variable, else None."""
        kind, irname = self.scope.resolve(name)
        if kind == "local":
            return irname
        return None

    def flag(self):
        """The IR name of the flag set by a `return` inside a loop (made when first needed)."""
        if self.returned is None:
            self.returned = self.alloc.fresh("returned")
        return self.returned

    def at(self, stmt, action):
        """Run `action(stmt)` with `stmt` as the origin of what it emits (inside `no_grad`: the `with`)."""
        previous = self.stmt
        self.stmt = stmt if not self.nograd or previous is None else previous
        try:
            return action(stmt)
        finally:
            self.stmt = previous
