"""Desugaring `try`, `with` (other than `with ad.no_grad():`) and `import` inside the function.

`try` / `with` become an `if` on a flag the block sets when it runs (`ir.If` with a `role`), so that every
analysis sees two paths, and the adjoint covers the one taken:

    ok = True                       ok = _ad.tried(True)          (printed as the constant)
    try:                            if ok:          (role "try")
        body                            body
    except ValueError as e:         else:
        ok = False                      e = _ad.caught()
        handler                         handler

    done = False                    done = _ad.tried(False)
    with cm as v:                   if done:        (role "with")
        body                            v = _ad.entered_value(cm)
        done = True                     body

The printer writes the statements back as `try` / `with` (printer.py); the flags are plain booleans the
adjoint sweep reads. Statements in a `try` body are kept even when their values are not needed (they may
raise); what an exception interrupts is invisible afterwards (every name a statement assigns is new, SSA),
except an in-place change, which is refused inside `try` (alias.py). `finally` runs after the statement
(when no exception escapes it); `else` runs when `ok`.

`import m` / `from m import f` at the top of the function binds the names when compiling (generated code
reaches the objects through the module they come from).
"""
import ast
import importlib

from .ir import Call, Const, ExprStmt, Global, If, Var


def _rt(name):
    from . import runtime

    return Global(("_ad", name), getattr(runtime, name), runtime)


class Blocks:
    """Emits the IR of `try`, `with` and `import` statements (through the context)."""

    def __init__(self, ctx):
        self.ctx = ctx  # desugar_context.DesugarContext

    # -- try ------------------------------------------------------------------------------------------------
    def stmt_Try(self, stmt):
        ctx = self.ctx
        self.refuse_exits(stmt, "`try` statement")
        if not stmt.handlers:  # try/finally: the body, then the finally block
            self.run_block(stmt.body)
            self.run_block(stmt.finalbody)
            return
        handlers = []
        for h in stmt.handlers:
            handlers.append((self.exception_classes(h), h.name is not None))
        ok = ctx.alloc.fresh("ok")
        ctx.assign(ok, Call(_rt("tried"), (Const(True),)))
        flags = [ctx.alloc.fresh("caught") for _ in stmt.handlers[:-1]]
        for f in flags:
            ctx.assign(f, Call(_rt("tried"), (Const(False),)))
        body = []
        saved = ctx.keep
        ctx.keep = True
        try:
            with ctx.into(body):
                self.run_block(stmt.body)
        finally:
            ctx.keep = saved
        inner = self.handler_block(stmt.handlers[-1])
        for h, flag in reversed(list(zip(stmt.handlers[:-1], flags))):
            inner = [ctx.made(If(Var(flag), self.handler_block(h), inner, role="handler"), h)]
        ctx.emit(If(Var(ok), body, inner, role="try", info=handlers))
        if stmt.orelse:
            block = []
            with ctx.into(block):
                self.run_block(stmt.orelse)
            ctx.emit(If(Var(ok), block, [], info="else"))  # (ssa.py: it reads what the body assigned)
        self.run_block(stmt.finalbody)

    def handler_block(self, h):
        ctx = self.ctx
        block = []
        with ctx.into(block):
            previous = ctx.stmt
            ctx.stmt = h
            try:
                if h.name is not None:
                    ctx.assign(ctx.local(h.name, h), Call(_rt("caught"), ()))
            finally:
                ctx.stmt = previous
            self.run_block(h.body)
        return block

    def exception_classes(self, h):
        """The classes an `except` clause names (dotted names, or a tuple of them), as Globals."""
        if h.type is None:
            return None
        nodes = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        out = []
        for n in nodes:
            obj = self.ctx.expressions.resolve_global(n)
            if not (isinstance(obj, type) and issubclass(obj, BaseException)):
                self.ctx.error("an `except` clause naming something other than an exception class by its name", n,
                               hint="name the exception classes (`except (ValueError, np.linalg.LinAlgError):`)")
            out.append(self.ctx.expressions.atom(n))
        return tuple(out) if isinstance(h.type, ast.Tuple) else out[0]

    def run_block(self, stmts):
        for s in stmts:
            self.ctx.statements.statement(s)

    def refuse_exits(self, stmt, what):
        """`return`, `break` and `continue` inside the block are refused (the flag would not be set)."""
        for node in sorted(_walk_no_functions(stmt), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))):
            if isinstance(node, ast.Return) or (isinstance(node, (ast.Break, ast.Continue)) and
                                                not _inside_loop(stmt, node)):
                word = "return" if isinstance(node, ast.Return) else type(node).__name__.lower()
                self.ctx.error(f"`{word}` inside a {what}", node,
                               hint="assign the result to a variable and return (or break) after the block")

    # -- with -------------------------------------------------------------------------------------------------
    def stmt_With(self, stmt):
        ctx = self.ctx
        self.refuse_exits(stmt, "`with` block")
        if len(stmt.items) > 1:  # `with a, b:` is `with a: with b:`
            inner = ast.With(items=stmt.items[1:], body=stmt.body, type_comment=None)
            ast.copy_location(inner, stmt)
            stmt = ast.With(items=stmt.items[:1], body=[inner], type_comment=None)
            ast.copy_location(stmt, inner)
        item = stmt.items[0]
        if item.optional_vars is not None and not isinstance(item.optional_vars, ast.Name):
            ctx.error("a `with` block binding something other than one name", item.optional_vars,
                      hint="bind one name (`with cm as v:`) and unpack it inside the block")
        manager = ctx.expressions.atom(item.context_expr)
        done = ctx.alloc.fresh("done")
        ctx.assign(done, Call(_rt("tried"), (Const(False),)))
        body = []
        may_swallow = not self.cannot_suppress(item.context_expr)
        saved = ctx.keep
        ctx.keep = ctx.keep or may_swallow  # (what may raise is kept: the manager may swallow the exception)
        try:
            with ctx.into(body):
                ctx.emit(ExprStmt(Call(_rt("entered"), (manager,))))  # (printed as `with manager:`)
                if item.optional_vars is not None:
                    # (what __enter__ returns depends on the manager: not a constant)
                    ctx.assign(ctx.local(item.optional_vars.id, item.optional_vars),
                               Call(_rt("entered_value"), (manager,)))
                self.run_block(stmt.body)
        finally:
            ctx.keep = saved
        ctx.emit(If(Var(done), body, [], role="with", info=manager))
        if may_swallow:  # (a manager that swallowed an exception: refused when it happens)
            ctx.emit(ExprStmt(Call(_rt("check_completed"), (Var(done),))))

    def cannot_suppress(self, node):
        """Is the context manager one known never to swallow an exception (np.errstate, ...)?"""
        if not isinstance(node, ast.Call):
            return False
        func = self.ctx.expressions.resolve_global(node.func)
        return any(func is f for f in _NON_SUPPRESSING())

    # -- import -----------------------------------------------------------------------------------------------
    def stmt_Import(self, stmt):
        """`import m` / `from m import f` at the top level of the function: the names bound when compiling."""
        ctx = self.ctx
        if stmt not in ctx.fdef.body:
            ctx.error("`import` inside a block of the function", stmt,
                      hint="import at the top of the function, or at module level")
        try:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    module = importlib.import_module(a.name)
                    name = a.asname or a.name.split(".")[0]
                    value = module if a.asname else importlib.import_module(a.name.split(".")[0])
                    self.bind(stmt, name, value)
            else:
                package = ctx.unit.globals.get("__package__")
                module = importlib.import_module("." * stmt.level + (stmt.module or ""), package)
                for a in stmt.names:
                    if a.name == "*":
                        ctx.error("`from ... import *` inside the function", stmt, hint="import the names you use")
                    value = getattr(module, a.name) if hasattr(module, a.name) else \
                        importlib.import_module(f"{module.__name__}.{a.name}")
                    self.bind(stmt, a.asname or a.name, value)
        except ImportError as exc:
            ctx.error(f"`import` of a module that cannot be imported ({exc})", stmt,
                      hint="install it, or fix the name")

    def bind(self, stmt, name, value):
        ctx = self.ctx
        if ctx.scope.resolve(name)[0] == "local":
            ctx.error(f"an `import` binding `{name}`, which the function also assigns", stmt,
                      hint="use another name for the variable")
        ctx.unit.local_imports[name] = value


def _NON_SUPPRESSING():
    import contextlib
    import warnings

    import numpy as np

    from . import markers

    return (np.errstate, warnings.catch_warnings, contextlib.nullcontext, markers.no_grad, np.printoptions)


def _walk_no_functions(node):
    todo = list(ast.iter_child_nodes(node))
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))


def _inside_loop(top, target):
    """Is `target` (a break/continue) inside a loop that is itself inside `top`?"""
    def visit(node, in_loop):
        if node is target:
            return in_loop
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            found = visit(child, in_loop or isinstance(node, (ast.For, ast.While)) and node is not top)
            if found is not None:
                return found
        return None
    return bool(visit(top, False))
