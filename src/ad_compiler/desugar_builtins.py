"""Desugaring the builtins that call a function value: `map(f, xs, ...)` and `functools.reduce(f, xs[, init])`
become loops calling `f` (which the inliner then resolves and inlines like any call).

`map` is computed when it is called, as a list: its values are the same, and the compiler checks that the
iterator is used only once (inline.py: an iterator read twice would be empty the second time in Python).
A map whose value is never read calls nothing (Python's is never consumed: its function never runs, which may
raise or change state), and a map of a value known not to be callable (a module, a number) is refused at its
line (Python raises when its first item is read; the compiler would raise where the map is made).
"""
import ast
import builtins
import functools
import itertools
import math

from .errors import UnsupportedError
from .ir import Build, Call, Const, ExprStmt, For, Global, Index, Var


class BuiltinCalls:
    """Emits the loops of `map` and `functools.reduce` (through the context)."""

    def __init__(self, ctx):
        from .desugar_library import LibraryCalls

        self.ctx = ctx  # desugar_context.DesugarContext
        self.library = LibraryCalls(ctx, self)  # (math.prod, accumulate, max(key=), hypot, iter/next: lang25)

    def rewrite(self, node):
        """The atom holding the value of `map(...)` / `functools.reduce(...)`; `dict()` and `dict(k=v, ...)` as the
        dict literal they make (a new dict the compiler follows like `{}`, g4-002); None for another call."""
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return None
        obj = self.ctx.expressions.resolve_global(node.func)
        starred = [isinstance(a, ast.Starred) for a in node.args]
        if obj is math.hypot and not node.keywords and (starred == [True] or not any(starred) and
                                                        len(node.args) != 2):
            return self.library.norm(node, obj)
        if obj is math.dist and not node.keywords and starred == [False, False]:
            return self.library.norm(node, obj)
        if any(starred):
            return None
        keywords = {k.arg for k in node.keywords}
        if obj in (iter, next) and id(node) in self.library.iterators():
            return self.library.iterator_step(node, obj)
        if obj in (max, min) and "key" in keywords and keywords <= {"key", "default"} and node.args and \
                (len(node.args) == 1 or "default" not in keywords):
            return self.library.extreme(node, obj)
        if obj is math.prod and len(node.args) == 1 and keywords <= {"start"}:
            return self.library.product(node)
        if obj is itertools.accumulate and 1 <= len(node.args) <= 2 and keywords <= {"initial", "func"}:
            return self.library.accumulate(node)
        if obj is itertools.starmap and len(node.args) == 2 and not keywords:
            return self.library.starmap(node)
        if node.keywords:
            return self.dict_of_keywords(node)
        if obj is dict and not node.args:
            return Build("dict", (), ())
        if obj is map and len(node.args) >= 2:
            return self.map(node)
        if obj is functools.reduce and len(node.args) in (2, 3):
            return self.reduce(node)
        return None

    def dict_of_keywords(self, node):
        """`dict(w=a, b=c)` (no positional argument, no `**`) as `{'w': a, 'b': c}`; None for another call."""
        if node.args or any(k.arg is None for k in node.keywords) or not isinstance(node.func, ast.Name) or \
                node.func.id != "dict" or self.ctx.expressions.resolve_global(node.func) is not dict:
            return None
        values = tuple(self.ctx.expressions.atom(k.value) for k in node.keywords)
        return Build("dict", values, tuple(Const(k.arg) for k in node.keywords))

    def builtin(self, name):
        return Global((name,), getattr(builtins, name))

    def sequences(self, nodes):
        """The iterables, evaluated in order, as things a loop can index (`_ad.iter_list`)."""
        from .desugar_loops import _iter_list

        ctx = self.ctx
        atoms = [ctx.expressions.atom(n) for n in nodes]
        return [ctx.temp(Call(_iter_list(), (a,))) for a in atoms]

    def function(self, node):
        ctx = self.ctx
        f = ctx.expressions.atom(node)
        return f if isinstance(f, Var) else ctx.temp(f)

    def map(self, node):
        """`map(f, xs, ys)`: `out = []; for k in range(min(len(xs), len(ys))): out.append(f(xs[k], ys[k]))`."""
        ctx = self.ctx
        unread = self.never_read(node)
        plain = isinstance(node.args[0], (ast.Name, ast.Attribute, ast.Constant, ast.Lambda))
        f = None if unread and plain else self.function(node.args[0])  # (`L.append`: not a value to follow)
        seqs = self.sequences(node.args[1:])
        built = ctx.alloc.temp()
        ctx.assign(built, Build("list", ()), node)
        if unread:
            return Var(built)
        self.check_callable(node.args[0])
        lengths = [ctx.temp(Call(self.builtin("len"), (q,))) for q in seqs]
        count = lengths[0] if len(lengths) == 1 else ctx.temp(Call(self.builtin("min"), tuple(lengths)))
        counter = ctx.alloc.fresh("k")
        body = []
        with ctx.into(body):
            items = [ctx.temp(Index(q, (Var(counter),))) for q in seqs]
            value = ctx.temp(Call(f, tuple(items)))
            ctx.emit(ExprStmt(Call(_attr(built, "append"), (value,))))
        ctx.emit(For(counter, Call(self.builtin("range"), (count,)), body))
        return Var(built)

    def never_read(self, node):
        """Is `node` (a `map(...)`) the whole of an expression statement, or the value assigned to a local name
        the function reads nowhere (nor a nested function, nor `locals()` / `vars()` / `eval`)? Python's map is
        then never consumed: its function is never called (ob3-011)."""
        stmt = self.ctx.stmt
        if isinstance(stmt, ast.Expr) and stmt.value is node:
            return True
        if not (isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], ast.Name)):
            return False
        name = stmt.targets[0].id
        if self.ctx.scope.resolve(name)[0] != "local":
            return False
        for n in ast.walk(self.ctx.fdef):
            if isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names:
                return False
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and \
                    n.id in (name, "locals", "vars", "eval", "exec"):
                return False
        return True

    def check_callable(self, node):
        """Refuse, at the line, a map of a value known not to be callable (`map(np, xs)`, `map(2.0, xs)`)."""
        obj = self.ctx.expressions.resolve_global(node) if isinstance(node, (ast.Name, ast.Attribute)) else \
            node.value if isinstance(node, ast.Constant) else callable
        if not callable(obj) and (obj is not None or isinstance(node, ast.Constant)):  # (None: not known)
            shown = ast.unparse(node)
            raise UnsupportedError(
                f"`{shown}` is not callable: Python raises TypeError when this map's first item is read, the "
                "compiler would raise where the map is made (it computes a map's items then)",
                where=self.ctx.unit.location(node), hint="give `map` a function")

    def reduce(self, node):
        """`functools.reduce(f, xs, init)`: `acc = init; for v in xs: acc = f(acc, v)` (without `init`,
        `acc = xs[0]` and the loop starts at the second item)."""
        ctx = self.ctx
        f = self.function(node.args[0])
        (seq,) = self.sequences(node.args[1:2])
        acc = ctx.alloc.fresh("acc")
        if len(node.args) == 3:
            ctx.assign(acc, ctx.expressions.atom(node.args[2]))
            start = Const(0)
        else:
            ctx.assign(acc, Index(seq, (Const(0),)))
            start = Const(1)
        n = ctx.temp(Call(self.builtin("len"), (seq,)))
        counter = ctx.alloc.fresh("k")
        body = []
        with ctx.into(body):
            item = ctx.temp(Index(seq, (Var(counter),)))
            ctx.assign(acc, Call(f, (Var(acc), item)))
        ctx.emit(For(counter, Call(self.builtin("range"), (start, n)), body))
        return Var(acc)


def _attr(name, attr):
    from .ir import Attr

    return Attr(Var(name), attr)


def is_iterator_call(expressions, node):
    """Is `node` a call of `map` (whose value, an iterator, the compiler computes as a list)?"""
    return isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
        expressions.resolve_global(node.func) in (map, itertools.accumulate, itertools.starmap)

