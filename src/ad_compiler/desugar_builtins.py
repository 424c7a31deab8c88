"""Desugaring the builtins that call a function value: `map(f, xs, ...)` and `functools.reduce(f, xs[, init])`
become loops calling `f` (which the inliner then resolves and inlines like any call).

`map` is computed when it is called, as a list: its values are the same, and the compiler checks that the
iterator is used only once (inline.py: an iterator read twice would be empty the second time in Python).
"""
import ast
import builtins
import functools

from .ir import Build, Call, Const, ExprStmt, For, Global, Index, Var


class BuiltinCalls:
    """Emits the loops of `map` and `functools.reduce` (through the context)."""

    def __init__(self, ctx):
        self.ctx = ctx  # desugar_context.DesugarContext

    def rewrite(self, node):
        """The atom holding the value of `map(...)` / `functools.reduce(...)`, or `dict()` / `dict(a=v)` (a
        dataclass field's `default_factory=dict` too) as the literal `{'a': v}`; None for another call."""
        if isinstance(node.func, (ast.Name, ast.Attribute)) and not node.args and \
                all(k.arg is not None for k in node.keywords) and \
                self.ctx.expressions.resolve_global(node.func) is dict:
            # (h17-008: the rule `dict(mapping)` copies a mapping; without one it refused)
            values = tuple(self.ctx.expressions.atom(k.value) for k in node.keywords)
            return Build("dict", values, tuple(Const(k.arg) for k in node.keywords))
        if not isinstance(node.func, (ast.Name, ast.Attribute)) or node.keywords or \
                any(isinstance(a, ast.Starred) for a in node.args):
            return None
        obj = self.ctx.expressions.resolve_global(node.func)
        if obj is map and len(node.args) >= 2:
            return self.map(node)
        if obj is functools.reduce and len(node.args) in (2, 3):
            return self.reduce(node)
        return None

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
        f = self.function(node.args[0])
        seqs = self.sequences(node.args[1:])
        lengths = [ctx.temp(Call(self.builtin("len"), (q,))) for q in seqs]
        count = lengths[0] if len(lengths) == 1 else ctx.temp(Call(self.builtin("min"), tuple(lengths)))
        built = ctx.alloc.temp()
        ctx.assign(built, Build("list", ()), node)
        counter = ctx.alloc.fresh("k")
        body = []
        with ctx.into(body):
            items = [ctx.temp(Index(q, (Var(counter),))) for q in seqs]
            value = ctx.temp(Call(f, tuple(items)))
            ctx.emit(ExprStmt(Call(_attr(built, "append"), (value,))))
        ctx.emit(For(counter, Call(self.builtin("range"), (count,)), body))
        return Var(built)

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
        expressions.resolve_global(node.func) is map

