"""Desugaring library functions and builtins whose derivative is that of the loop they compute (lang25),
for desugar_builtins.BuiltinCalls: `math.prod`, `itertools.accumulate` / `starmap` (lists of their values,
computed when made, like `map`), `max` / `min` with `key=`, `math.hypot(*v)` / `math.dist` (Python's value,
the derivative of a scaled square root of sums), and `it = iter(xs)` / `next(it)` written with a list where
both give the same items.
"""
import ast
import math

from .desugar_scope import walk_scope
from .desugar_blocks import _rt
from .ir import BinOp, Build, Call, Compare, Const, ExprStmt, For, Global, If, Index, Slice, Starred, Var


class LibraryCalls:
    """The loops of the functions above (through the context; `calls`: the BuiltinCalls sharing its helpers)."""

    def __init__(self, ctx, calls):
        self.ctx = ctx  # desugar_context.DesugarContext
        self.calls = calls
        self._iterators = None

    def iterators(self):
        """The ids of the calls `iter(xs)` and `next(it)` written with a list (lang25): `it = iter(xs)` is
        `it = list(xs)` and `next(it)` is `it.pop(0)`, where Python's iterator and that list give the same
        items: `it` is bound once, by that `iter`, read only by `next(it)` / `next(it, d)` (an `if` on what is
        left) and by at most one other use, the last
        in the function's text and in no loop the `iter` is not in (what consumes the iterator: `sum(it)`,
        `for v in it`, `list(it)`), no nested function reads it, and no `try` could catch the StopIteration an
        empty iterator raises (the list raises IndexError). A change of `xs` before the items are read is
        refused as for any iterator (lazy_checks.py)."""
        if getattr(self, "_iterators", None) is not None and self._iterators[0] is self.ctx.fdef:
            return self._iterators[1]
        found = set()
        fdef = self.ctx.fdef
        nodes = list(walk_scope(fdef))
        if not any(isinstance(n, ast.Try) for n in ast.walk(fdef)):
            for s in nodes:
                if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and
                        isinstance(s.value, ast.Call) and len(s.value.args) == 1 and not s.value.keywords and
                        not isinstance(s.value.args[0], ast.Starred) and
                        isinstance(s.value.func, (ast.Name, ast.Attribute)) and
                        self.ctx.expressions.resolve_global(s.value.func) is iter):
                    continue
                found |= self.iterator_plan(fdef, nodes, s)
        self._iterators = (fdef, found)
        return found

    def iterator_plan(self, fdef, nodes, made):
        """The ids of `made`'s `iter` call and of the `next(name)` calls, if `made` may be written with a list."""
        name = made.targets[0].id
        stores = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]
        inner = [n for n in ast.walk(fdef) if isinstance(n, (ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef,
                                                             ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp))
                 and n is not fdef]
        if len(stores) != 1 or any(isinstance(m, ast.Name) and m.id == name for d in inner for m in ast.walk(d)):
            return set()
        parents = {}
        for n in ast.walk(fdef):
            for c in ast.iter_child_nodes(n):
                parents[id(c)] = n
        steps, others = [], []
        for n in nodes:
            if not (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)):
                continue
            call = parents.get(id(n))
            if isinstance(call, ast.Call) and call.args[:1] == [n] and len(call.args) <= 2 and not call.keywords and \
                    not isinstance(call.args[-1], ast.Starred) and \
                    isinstance(call.func, (ast.Name, ast.Attribute)) and \
                    self.ctx.expressions.resolve_global(call.func) is next:
                steps.append(call)
            else:
                others.append(n)

        def loops(node):  # (the loops running `node` more than once: not the `for` it is the iterable of)
            out, child, p = [], node, parents.get(id(node))
            while p is not None and p is not fdef:
                if isinstance(p, ast.While) or isinstance(p, ast.For) and child is not p.iter:
                    out.append(id(p))
                child, p = p, parents.get(id(p))
            return set(out)

        if len(others) > 1:
            return set()
        if others:
            last = others[0]
            position = (last.lineno, last.col_offset)
            if any((c.lineno, c.col_offset) > position for c in steps) or loops(last) - loops(made):
                return set()
        return {id(made.value)} | {id(c) for c in steps}

    def iterator_step(self, node, obj):
        ctx = self.ctx
        if obj is iter:
            return Call(self.calls.builtin("list"), (ctx.expressions.atom(node.args[0]),))
        it = ctx.expressions.atom(node.args[0])
        if len(node.args) == 1:
            return Call(_attr(it.name, "pop"), (Const(0),))
        # `next(it, d)`: `it.pop(0)` if it has items left, else d (evaluated first, as Python evaluates a
        # call's arguments)
        default = ctx.expressions.atom(node.args[1])
        value = ctx.alloc.temp()
        left = ctx.temp(Call(self.calls.builtin("len"), (it,)))
        some = ctx.temp(Compare(left, (">",), (Const(0),)))
        taken, other = [], []
        with ctx.into(taken):
            ctx.assign(value, Call(_attr(it.name, "pop"), (Const(0),)))
        with ctx.into(other):
            ctx.assign(value, default)
        ctx.emit(If(some, taken, other))
        return Var(value)

    def norm(self, node, obj):
        """`math.hypot(*xs)` (or of 1, 3, ... numbers) and `math.dist(p, q)`: the value Python's function gives,
        `h`, and a derivative from `r = m * sqrt(sum((v / m) ** 2))` with the constant `m = max(h, tiny)` (no
        overflow): `r + ad.stop_gradient(h - r)`, the correction without a derivative, is h itself (r is within a few
        units in the last place of h, so `h - r` and the sum are exact), and its derivative r's, `v / h`
        (lang25). `math.dist` of sequences of different lengths raises as in Python."""
        ctx = self.ctx
        args = node.args
        if obj is math.dist:
            p, q = self.calls.sequences(args)
            n = ctx.temp(Call(self.calls.builtin("len"), (p,)))
            differ = ctx.temp(Compare(n, ("!=",), (ctx.temp(Call(self.calls.builtin("len"), (q,))),)))
            error = Call(self.calls.builtin("ValueError"), (Const("both points must have the same number of dimensions"),))
            ctx.emit(If(differ, [ExprStmt(Call(_rt("throw"), (error,)))], []))  # (Python's ValueError)
            items = ctx.alloc.temp()
            ctx.assign(items, Build("list", ()))
            counter = ctx.alloc.fresh("k")
            body = []
            with ctx.into(body):
                a, b = (ctx.temp(Index(v, (Var(counter),))) for v in (p, q))
                ctx.emit(ExprStmt(Call(_attr(items, "append"), (ctx.temp(BinOp("-", a, b)),))))
            ctx.emit(For(counter, Call(self.calls.builtin("range"), (n,)), body))
            items = Var(items)
        elif len(args) == 1 and isinstance(args[0], ast.Starred):
            (items,) = self.calls.sequences([args[0].value])
        else:
            items = ctx.temp(Build("list", tuple(ctx.expressions.atom(a) for a in args)))
        saved = ctx.nograd
        ctx.nograd = True  # (the value and the scale: constants for the derivative)
        h = ctx.temp(Call(Global(("math", "hypot"), math.hypot, math), (Starred(items),)))
        m = ctx.temp(Call(self.calls.builtin("max"), (h, Const(1e-300))))
        # (all items zero: the sum starts at 1.0, so r = m and its derivative v / m = 0, as np.hypot's; the sum
        # starting at 0.0 gave sqrt's derivative at 0: a ZeroDivisionError, h26a-003)
        start = ctx.temp(Call(self.calls.builtin("float"), (ctx.temp(Compare(h, ("==",), (Const(0.0),))),)))
        infinite = ctx.temp(Call(Global(("math", "isinf"), math.isinf, math), (h,)))
        ctx.nograd = saved
        out = ctx.alloc.fresh("norm")
        at_infinity, finite = [], []
        with ctx.into(at_infinity):  # (an infinite item: Python's h is inf, whatever the others are, a constant
            ctx.assign(out, h)       # there; r was inf / inf = nan: a NaN value, h26a-003)
        with ctx.into(finite):
            total = ctx.alloc.fresh("total")
            ctx.assign(total, start)
            n = ctx.temp(Call(self.calls.builtin("len"), (items,)))
            counter = ctx.alloc.fresh("k")
            body = []
            with ctx.into(body):
                scaled = ctx.temp(BinOp("/", ctx.temp(Index(items, (Var(counter),))), m))
                ctx.assign(total, BinOp("+", Var(total), ctx.temp(BinOp("*", scaled, scaled))))
            ctx.emit(For(counter, Call(self.calls.builtin("range"), (n,)), body))
            r = ctx.temp(BinOp("*", m, ctx.temp(Call(Global(("math", "sqrt"), math.sqrt, math), (Var(total),)))))
            # (the correction as `ad.stop_gradient(h - r)`, not a statement inside no_grad: fused into the user's
            # line it would lose that, and a derivative of the derivative would see `r + (h - r)`, of tangent 0)
            correction = ctx.temp(Call(_stop_gradient(), (ctx.temp(BinOp("-", h, r)),)))
            ctx.assign(out, BinOp("+", r, correction))
        ctx.emit(If(infinite, at_infinity, finite))
        return Var(out)

    def extreme(self, node, obj):
        """`max(a, b, key=f)` / `max(xs, key=f, default=d)` (and min) as Python computes it: the first item, then
        each later one taken where its key is strictly larger (smaller) than the best one's, each key computed
        once, in order (a data-dependent `if`: piecewise, the winner's derivative) (lang25)."""
        ctx = self.ctx
        keywords = {k.arg: k.value for k in node.keywords}
        key = keywords["key"]
        if len(node.args) == 1:
            (seq,) = self.calls.sequences(node.args)
        else:
            seq = ctx.temp(Build("list", tuple(ctx.expressions.atom(a) for a in node.args)))
        f = None if isinstance(key, ast.Constant) and key.value is None else self.calls.function(key)
        best, best_key = ctx.alloc.fresh("best"), ctx.alloc.fresh("best_key")
        n = ctx.temp(Call(self.calls.builtin("len"), (seq,)))
        if "default" in keywords:
            default = ctx.expressions.atom(keywords["default"])
            ctx.assign(best, default)
            ctx.assign(best_key, Const(None))  # (bound on both paths: read by the loop, which an empty list skips)
            empty = ctx.temp(Compare(n, ("==",), (Const(0),)))
            first = []
            with ctx.into(first):
                self.take(seq, Const(0), f, best, best_key)
            ctx.emit(If(empty, [], first))
        else:
            self.take(seq, Const(0), f, best, best_key)
        counter = ctx.alloc.fresh("k")
        body = []
        with ctx.into(body):
            item = ctx.temp(Index(seq, (Var(counter),)))
            value = ctx.temp(Call(f, (item,))) if f is not None else item
            better = ctx.temp(Compare(value, (">" if obj is max else "<",), (Var(best_key),)))
            taken = []
            with ctx.into(taken):
                ctx.assign(best, item)
                ctx.assign(best_key, value)
            ctx.emit(If(better, taken, []))
        ctx.emit(For(counter, Call(self.calls.builtin("range"), (Const(1), n)), body))
        return Var(best)

    def take(self, seq, at, f, best, best_key):
        ctx = self.ctx
        ctx.assign(best, Index(seq, (at,)))
        ctx.assign(best_key, Call(f, (Var(best),)) if f is not None else Var(best))

    def product(self, node):
        """`math.prod(xs, start=s)`: `acc = s; for v in xs: acc = acc * v`, the products Python makes, in its
        order (lang25)."""
        ctx = self.ctx
        (seq,) = self.calls.sequences(node.args)
        start = next((k.value for k in node.keywords if k.arg == "start"), None)
        acc = ctx.alloc.fresh("acc")
        ctx.assign(acc, ctx.expressions.atom(start) if start is not None else Const(1))
        n = ctx.temp(Call(self.calls.builtin("len"), (seq,)))
        counter = ctx.alloc.fresh("k")
        body = []
        with ctx.into(body):
            item = ctx.temp(Index(seq, (Var(counter),)))
            ctx.assign(acc, BinOp("*", Var(acc), item))
        ctx.emit(For(counter, Call(self.calls.builtin("range"), (n,)), body))
        return Var(acc)

    def accumulate(self, node):
        """`itertools.accumulate(xs, f, initial=a)` as the list of its values, computed when it is made (like
        `map`; lazy_checks.py refuses a change of xs before they are read): `out = [a]` (or `xs[:1]` as a
        list), then `out.append(f(out[-1], v))` for the other items (`+` without f) (lang25)."""
        ctx = self.ctx
        keywords = {k.arg: k.value for k in node.keywords}
        f_node = node.args[1] if len(node.args) == 2 else keywords.get("func")
        if isinstance(f_node, ast.Constant) and f_node.value is None:
            f_node = None
        f = self.calls.function(f_node) if f_node is not None else None
        (seq,) = self.calls.sequences(node.args[:1])
        initial = keywords.get("initial")
        if isinstance(initial, ast.Constant) and initial.value is None:
            initial = None
        built = ctx.alloc.temp()
        if initial is not None:
            ctx.assign(built, Build("list", (ctx.expressions.atom(initial),)), node)
            first = Const(0)
        else:
            head = ctx.temp(Index(seq, (Slice(None, Const(1), None),)))
            ctx.assign(built, Call(self.calls.builtin("list"), (head,)), node)
            first = Const(1)
        n = ctx.temp(Call(self.calls.builtin("len"), (seq,)))
        counter = ctx.alloc.fresh("k")
        body = []
        with ctx.into(body):
            prev = ctx.temp(Index(Var(built), (Const(-1),)))
            item = ctx.temp(Index(seq, (Var(counter),)))
            value = ctx.temp(Call(f, (prev, item)) if f is not None else BinOp("+", prev, item))
            ctx.emit(ExprStmt(Call(_attr(built, "append"), (value,))))
        ctx.emit(For(counter, Call(self.calls.builtin("range"), (first, n)), body))
        return Var(built)

    def starmap(self, node):
        """`itertools.starmap(f, pairs)` as the list `[f(*p) for p in pairs]`, computed when it is made (like
        `map`) (lang25)."""
        ctx = self.ctx
        self.calls.check_callable(node.args[0])
        f = self.calls.function(node.args[0])
        (seq,) = self.calls.sequences(node.args[1:])
        built = ctx.alloc.temp()
        ctx.assign(built, Build("list", ()), node)
        n = ctx.temp(Call(self.calls.builtin("len"), (seq,)))
        counter = ctx.alloc.fresh("k")
        body = []
        pairs = node.args[1]
        width = len(pairs.args) if isinstance(pairs, ast.Call) and not pairs.keywords and \
            isinstance(pairs.func, (ast.Name, ast.Attribute)) and \
            not any(isinstance(a, ast.Starred) for a in pairs.args) and \
            ctx.expressions.resolve_global(pairs.func) is zip else None
        with ctx.into(body):
            item = ctx.temp(Index(seq, (Var(counter),)))
            if width is not None:  # (the items of `zip(a, b)`: pairs, passed as two arguments)
                args = tuple(ctx.temp(Index(item, (Const(j),))) for j in range(width))
            else:  # (expanded where the item's length is known; refused, located, where not)
                args = (Starred(item),)
            value = ctx.temp(Call(f, args))
            ctx.emit(ExprStmt(Call(_attr(built, "append"), (value,))))
        ctx.emit(For(counter, Call(self.calls.builtin("range"), (n,)), body))
        return Var(built)


def _stop_gradient():
    import ad_compiler

    from . import markers

    return Global(("ad", "stop_gradient"), markers.stop_gradient, ad_compiler)


def _attr(name, attr):
    from .ir import Attr

    return Attr(Var(name), attr)
