"""Desugaring statements and control flow: blocks and how they end, the dispatch of each statement to the part
handling it, `if`, early exits, and the simple statements (`return`, expression statements, `assert`,
`raise`, nested `def`, `pass`, `nonlocal`, `with ad.no_grad():`).

`continue` and `return` inside `if` are removed by moving the statements that follow into the branches that
do not exit; a `return` inside a loop sets the flag `returned` and breaks, and the rest of the function runs
only if it did not. The returned value is assigned to the function's result name (`out`) on every path.
"""
import ast

from . import ir, markers
from .desugar_expressions import EXPR_NOT_YET
from .desugar_loops import returns_inside
from .ir import Break, Const, ExprStmt, If, Var

_NOT_YET = {
    ast.AsyncFunctionDef: "nested `async def`", ast.ClassDef: "class definitions",
    ast.Global: "`global`", ast.AsyncFor: "`async for`", ast.AsyncWith: "`async with`",
}
if hasattr(ast, "TryStar"):
    _NOT_YET[ast.TryStar] = "`try` blocks with `except*`"
if hasattr(ast, "Match"):
    _NOT_YET[ast.Match] = "`match` statements"


class _ReturnCurrent(ast.stmt):
    """Placeholder: leave with the value a loop already stored in the result (after a return inside it)."""
    _fields = ()


class Statements:
    """Desugars blocks of statements: control flow here, each statement by its handler (this class, Loops or
    Assignments). Made after the other parts (the dispatch table refers to them)."""

    def __init__(self, ctx):
        self.ctx = ctx  # desugar_context.DesugarContext
        loops, assignments = ctx.loops, ctx.assignments
        self.handlers = {  # statement type name -> handler
            "If": self.stmt_If, "For": loops.stmt_For, "While": loops.stmt_While,
            "FunctionDef": self.stmt_FunctionDef, "Pass": self.stmt_Pass, "Nonlocal": self.stmt_Nonlocal,
            "Expr": self.stmt_Expr, "Assert": self.stmt_Assert, "Return": self.stmt_Return,
            "Assign": assignments.stmt_Assign, "AugAssign": assignments.stmt_AugAssign, "With": self.stmt_With,
            "Raise": self.stmt_Raise, "Delete": self.stmt_Delete, "Try": ctx.blocks.stmt_Try,
            "Import": ctx.blocks.stmt_Import, "ImportFrom": ctx.blocks.stmt_Import,
        }

    # -- blocks and control flow ------------------------------------------------------------------------------
    def block(self, stmts_in):
        """Desugar a block; returns how it ends: None (falls through), 'return', 'break', 'continue' or
        'raise'."""
        ctx = self.ctx
        stmts = []
        for stmt in stmts_in:  # `for ... else`: a flag, the loop, `if flag: pass else: ...` (Loops.without_else)
            stmts += ctx.loops.without_else(stmt) if isinstance(stmt, (ast.For, ast.While)) and stmt.orelse \
                else [stmt]
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.Return):
                ctx.at(stmt, self.stmt_Return)
                return self.leave_with_return(stmt)
            if isinstance(stmt, _ReturnCurrent):
                return self.leave_with_return(stmt.node)
            if isinstance(stmt, ast.Continue):
                if not ctx.loop_depth:
                    ctx.at(stmt, lambda s: ctx.error("`continue` outside a loop", s))
                return "continue"
            if isinstance(stmt, ast.Break):
                if not ctx.loop_depth:
                    ctx.at(stmt, lambda s: ctx.error("`break` outside a loop", s))
                ctx.at(stmt, lambda s: ctx.emit(Break()))
                return "break"
            if isinstance(stmt, ast.Raise):  # (what follows it never runs)
                self.statement(stmt)
                return "raise"
            if isinstance(stmt, ast.If) and (exits(stmt) or raises(stmt)):  # (the rest: in the other branches)
                return ctx.at(stmt, lambda s: self.branch(ctx.expressions.atom(s.test), s.body, s.orelse,
                                                          stmts[i + 1:]))
            self.statement(stmt)
            if isinstance(stmt, (ast.For, ast.While)) and returns_inside(stmt):
                done = _ReturnCurrent()
                done.node = stmt
                return ctx.at(stmt, lambda s: self.branch(Var(ctx.flag()), [done], [], stmts[i + 1:]))
        return None

    def leave_with_return(self, node):
        ctx = self.ctx
        if not ctx.loop_depth:
            return "return"
        ctx.at(node, lambda s: (ctx.assign(ctx.flag(), Const(True)), ctx.emit(Break())))
        return "break"

    def statement(self, stmt):
        ctx = self.ctx

        def run(s):
            method = self.handlers.get(type(s).__name__)
            if method is None:
                ctx.error(_NOT_YET.get(type(s), f"the statement `{type(s).__name__}`"), s)
            method(s)

        ctx.at(stmt, run)

    def stmt_If(self, stmt):
        self.branch(self.ctx.expressions.atom(stmt.test), stmt.body, stmt.orelse, [])

    def branch(self, test, body, orelse, rest):
        """Emit `if test: body + rest else: orelse + rest`; returns how the statement ends."""
        ctx = self.ctx
        results = []
        for stmts in (body, orelse):
            block = []
            with ctx.into(block):
                ending = self.block(list(stmts) + list(rest))
            results.append((block, ending))
        ctx.emit(If(test, results[0][0], results[1][0]))
        endings = {r[1] for r in results} - {"raise"}  # (a branch that raises ends nothing else)
        if not endings:
            return "raise"
        if None in endings or (not rest and "continue" in endings and ctx.loop_depth):
            return None if None in endings else "continue"
        return "return" if "return" in endings else "break"

    # -- simple statements ------------------------------------------------------------------------------------
    def stmt_FunctionDef(self, stmt):
        ctx = self.ctx
        if stmt.decorator_list:
            ctx.error("a decorated nested function", stmt, hint="call the decorator's result outside, or "
                      "define the function at module level")
        defaults = ctx.expressions.defaults(stmt.args)  # evaluated when it is defined
        name = ctx.local(stmt.name, stmt)
        ctx.assign(name, ir.Closure(stmt, ctx.scope, ctx.unit, defaults))

    def stmt_Pass(self, stmt):
        pass

    def stmt_Nonlocal(self, stmt):
        pass  # resolved by the scope (the names are the enclosing function's)

    def stmt_Expr(self, stmt):
        ctx = self.ctx
        value = stmt.value
        if isinstance(value, ast.Constant):
            return  # a bare string or number: no effect
        if isinstance(value, (ast.Yield, ast.YieldFrom)) and ctx.generator is not None:
            return self.yield_value(value)
        if type(value) in EXPR_NOT_YET:
            ctx.error(EXPR_NOT_YET[type(value)], value)
        if not isinstance(value, ast.Call):
            ctx.error("an expression statement that is not a call", stmt)
        if self.is_object_setattr(value):  # object.__setattr__(obj, "a", v) (a frozen dataclass's __init__)
            base = ctx.expressions.atom(value.args[0])
            if isinstance(base, ir.Var):
                ctx.emit(ir.SetItem(base, (Const(ir.FrozenAttrName(value.args[1].value)),),
                                    ctx.expressions.atom(value.args[2])), value)
                return
        call = ctx.expressions.call(value)
        if isinstance(call, ir.Call):  # (`map(...)` alone is its loop, already emitted)
            ctx.emit(ExprStmt(call), value)

    def stmt_Delete(self, stmt):
        """`del c[i]` as the call `c.__delitem__(i)` Python makes (a list's: written by the alias pass as the
        list rebuilt, alias_list_methods.py; a dict's: refused there; an object's: its method, inlined); a
        slice `del c[a:b]` of constant bounds passes the slice as a constant. `del name`, `del obj.attr` and
        other slices are refused."""
        ctx = self.ctx
        for target in stmt.targets:
            if not isinstance(target, ast.Subscript):
                ctx.error("`del` of a name or an attribute", target, hint="assign the name a new value instead")
            base = ctx.expressions.atom(target.value)
            items, tuple_form = ctx.expressions.index(target.slice)
            item = items[0]
            if isinstance(item, ir.Slice):
                bounds = (item.lower, item.upper, item.step)
                if not all(b is None or isinstance(b, Const) and type(b.value) is int for b in bounds):
                    ctx.error("`del` of a slice whose bounds are not integer constants", target,
                              hint="build the list without those items: `lst = lst[:a] + lst[b:]`")
                item = Const(slice(*(b.value if b is not None else None for b in bounds)))
            if tuple_form or not isinstance(base, Var):
                ctx.error("this `del`", target, hint="build the container without the item instead")
            ctx.emit(ExprStmt(ir.Call(ir.Attr(base, "__delitem__"), (item,))), target)

    def is_object_setattr(self, node):
        return len(node.args) == 3 and not node.keywords and isinstance(node.args[1], ast.Constant) and \
            isinstance(node.args[1].value, str) and isinstance(node.func, ast.Attribute) and \
            node.func.attr == "__setattr__" and self.ctx.expressions.resolve_global(node.func.value) is object

    def stmt_Assert(self, stmt):
        ctx = self.ctx
        test = ctx.expressions.atom(stmt.test)
        msg = ctx.expressions.atom(stmt.msg) if stmt.msg is not None else None
        ctx.emit(ir.Assert(test, msg))

    def stmt_Raise(self, stmt):
        """`raise E(...)` is kept in the forward sweep, where it happens (as `_ad.throw(e)`, printed back as
        `raise`): the derivative raises what the function raises, inside a `try` too."""
        ctx = self.ctx
        if stmt.exc is None or stmt.cause is not None:
            ctx.error("`raise` without an exception, or `raise ... from ...`", stmt,
                      hint="raise the exception itself (`raise ValueError(...)`)")
        from .desugar_blocks import _rt

        ctx.emit(ExprStmt(ir.Call(_rt("throw"), (ctx.expressions.atom(stmt.exc),))), stmt)

    def yield_value(self, node):
        """In a generator function (called, and inlined): `yield v` appends v to the list of its values,
        `yield from it` extends it with the items of `it`."""
        ctx = self.ctx
        values = Var(ctx.generator)
        if isinstance(node, ast.Yield):
            item = ctx.expressions.atom(node.value) if node.value is not None else Const(None)
            ctx.emit(ExprStmt(ir.Call(ir.Attr(values, "append"), (item,))), node)
            return
        from .desugar_loops import _iter_list

        items = ctx.temp(ir.Call(_iter_list(), (ctx.expressions.atom(node.value),)), node)
        ctx.emit(ExprStmt(ir.Call(ir.Attr(values, "extend"), (items,))), node)

    def stmt_Return(self, stmt):
        ctx = self.ctx
        if ctx.generator is not None:  # a generator's return ends it: its value is the list of its values
            if stmt.value is not None:
                ctx.error("`return` with a value in a generator", stmt, hint="end the generator with a bare `return`")
            ctx.assign(ctx.out, Var(ctx.generator))
            return
        if stmt.value is None:
            if not ctx.implicit_none:
                ctx.error("`return` without a value", stmt, hint="return the value to differentiate")
            ctx.assign(ctx.out, Const(None))
            return
        if not ctx.implicit_none and isinstance(stmt.value, ast.Constant) and (
                stmt.value.value is None or isinstance(stmt.value.value, (str, bytes))):
            ctx.error(f"a function returning {stmt.value.value!r} (not a number or an array)", stmt,
                      hint="return the value to differentiate")
        ctx.expressions.expr(stmt.value, target=ctx.out)

    def stmt_With(self, stmt):
        ctx = self.ctx
        if len(stmt.items) != 1 or stmt.items[0].optional_vars is not None or not self.is_no_grad(
                stmt.items[0].context_expr):
            return ctx.blocks.stmt_With(stmt)
        saved = ctx.nograd
        ctx.nograd = True
        try:
            for s in stmt.body:
                if isinstance(s, (ast.Return, ast.Break, ast.Continue)) or (
                        isinstance(s, ast.If) and exits(s)):
                    ctx.error("leaving a `with ad.no_grad():` block early", s,
                              hint="move the return/break after the block")
                self.statement(s)
        finally:
            ctx.nograd = saved

    def is_no_grad(self, node):
        return isinstance(node, ast.Call) and not node.args and not node.keywords and \
            self.ctx.expressions.resolve_global(node.func) is markers.no_grad


def _walk_no_loops(node):
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if not isinstance(child, (ast.For, ast.While, ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef)):
                todo.append(child)


def raises(stmt):
    """Does a branch of this `if` (or of its `elif`s) end with `raise` while another assigns? (What follows
    the `if` then runs only after the other branches: it is desugared into them, so that a name they assign
    is assigned there. `if bad: raise E` alone stays flat.)"""
    ends = []

    def visit(s):
        for branch in (s.body, s.orelse):
            if len(branch) == 1 and isinstance(branch[0], ast.If) and branch is s.orelse:
                visit(branch[0])  # (an elif)
            else:
                ends.append(bool(branch) and isinstance(branch[-1], ast.Raise) if branch else None)
    visit(stmt)
    return True in ends and False in ends


def exits(stmt):
    """Does an `if` contain a return, break or continue (outside nested loops and functions)?"""
    return any(isinstance(n, (ast.Return, ast.Break, ast.Continue)) for n in _walk_no_loops(stmt))
