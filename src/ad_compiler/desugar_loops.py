"""Desugaring loops: `for` and `while` statements, and comprehensions (which become `for` loops).

`while c:` becomes `while True:` with a test and `break`; `for x in seq` (arrays, lists, `enumerate`, `zip`)
becomes a loop over `range(len(seq))` binding `x = seq[k]`, and a `range` loop binds the user's variable from
a fresh counter (so it keeps its value after a loop that did not run, as in Python). A `return` inside a loop
sets the flag `returned` (prepared here; the rest is in desugar_statements).
"""
import ast
import copy

from . import markers
from .desugar_scope import Scope, walk_scope
from .ir import BinOp, Build, Call, Const, For, Global, Index, Var, While


class Loops:
    """Emits the IR `For`/`While` of a loop statement or a comprehension (through the context)."""

    def __init__(self, ctx):
        self.ctx = ctx  # desugar_context.DesugarContext
        self.else_flags = 0  # (`for ... else` loops written with a flag: `without_else`)

    def loop_body(self, stmts, prefix=()):
        """The desugared body of a loop: the statements `prefix` (already IR), then `stmts`."""
        ctx = self.ctx
        block = []
        ctx.loop_depth += 1
        with ctx.into(block):
            for s in prefix:
                ctx.emit(s)
            ctx.statements.block(stmts)
        ctx.loop_depth -= 1
        return block

    def prepare_return_flag(self, stmt):
        if returns_inside(stmt):
            self.ctx.assign(self.ctx.flag(), Const(False))

    def stmt_For(self, stmt):
        ctx = self.ctx
        exprs = ctx.expressions
        if stmt.orelse:  # (Statements.block writes it with a flag first: `without_else`)
            ctx.error("`for ... else`", stmt, hint="use a flag variable instead of the `else` clause")
        it = stmt.iter
        func = exprs.resolve_global(it.func) if isinstance(it, ast.Call) else None
        checkpoint = None
        if func is markers.checkpointed:  # `for t in ad.checkpointed(range(T), every)`
            it, checkpoint = self.checkpointed(stmt, it)
            func = exprs.resolve_global(it.func) if isinstance(it, ast.Call) else None
        self.prepare_return_flag(stmt)
        if func is range and not it.keywords and 1 <= len(it.args) <= 3 and \
                not any(isinstance(a, ast.Starred) for a in it.args):
            args = [exprs.atom(a) for a in it.args]
            target = stmt.target
            if isinstance(target, ast.Name) and not self.used_outside(stmt, target.id):
                # the counter is the user's variable (it is not read after or before the loop)
                counter = ctx.local(target.id, target)
                body = self.loop_body(stmt.body)
                ctx.emit(For(counter, Call(exprs.builtin("range"), tuple(args)), body, checkpoint=checkpoint))
                return
            counter = ctx.alloc.fresh(target.id if isinstance(target, ast.Name) else "k")
            prefix_block = []
            with ctx.into(prefix_block):
                ctx.assignments.bind(target, Var(counter), target)
            body = self.loop_body(stmt.body, prefix_block)
            ctx.emit(For(counter, Call(exprs.builtin("range"), tuple(args)), body, checkpoint=checkpoint))
            return
        start = _enumerate_start(it) if func is enumerate else None
        enum = func is enumerate and (len(it.args) == 1 and not it.keywords or start is not None)
        inner = it.args[0] if enum else it
        inner_func = exprs.resolve_global(inner.func) if isinstance(inner, ast.Call) else None
        zipped = inner_func is zip and inner.args and not inner.keywords and \
            not any(isinstance(a, ast.Starred) for a in inner.args)
        sequences = [exprs.atom(a) for a in inner.args] if zipped else [exprs.atom(inner)]
        # the loop goes over the object the sequence was when the loop started (the name may be rebound);
        # what is not a list, tuple or array (a dict, its items, a generator) is made a list first
        sequences = [ctx.temp(Call(_iter_list(), (q,))) for q in sequences]
        lengths = [ctx.temp(Call(exprs.builtin("len"), (q,))) for q in sequences]
        count = lengths[0] if len(lengths) == 1 else ctx.temp(Call(exprs.builtin("min"), tuple(lengths)))
        counter = ctx.alloc.fresh("k")
        prefix_block = []
        with ctx.into(prefix_block):
            items = [ctx.temp(Index(q, (Var(counter),))) for q in sequences]
            value = ("tuple", items) if zipped else items[0]
            if enum:
                index = Var(counter) if not start else ctx.temp(BinOp("+", Var(counter), Const(start)))
                value = ("tuple", [index, value])
            ctx.assignments.bind_pattern(stmt.target, value)
        body = self.loop_body(stmt.body, prefix_block)
        ctx.emit(For(counter, Call(exprs.builtin("range"), (count,)), body, checkpoint=checkpoint))

    def without_else(self, stmt):
        """`for ... else` / `while ... else` as the statements Python runs: a flag made False, the loop without
        its `else` whose own `break`s set the flag first, then `if flag: pass else: <the else clause>` (a
        `return` inside the loop leaves before that `if`, as in Python: Statements.block)."""
        ctx = self.ctx
        self.else_flags += 1
        key = f"\0broke{self.else_flags}"
        ctx.scope.names[key] = ctx.alloc.fresh("broke")

        def name(store):
            return ast.Name(id=key, ctx=ast.Store() if store else ast.Load())

        loop = copy.copy(stmt)
        loop.body = _flag_breaks(stmt.body, lambda: ast.Assign(targets=[name(True)], value=ast.Constant(True)))
        loop.orelse = []
        made = [ast.Assign(targets=[name(True)], value=ast.Constant(False)), loop,
                ast.If(test=name(False), body=[ast.Pass()], orelse=list(stmt.orelse))]
        for node in (made[0], made[2]):
            for n in ast.walk(node):
                if n is node or n in (made[0].targets[0], made[0].value, made[2].test) or \
                        isinstance(n, ast.Pass):
                    ast.copy_location(n, stmt)
        return made

    def checkpointed(self, stmt, call):
        """(the iterable inside `ad.checkpointed(...)`, the atom of `every`) for a loop that may be
        checkpointed: it runs all its steps (no `break`, no `return` inside)."""
        ctx = self.ctx
        if not call.args or len(call.args) > 2 or any(isinstance(a, ast.Starred) for a in call.args) or \
                any(k.arg not in ("every", "steps") for k in call.keywords):
            ctx.error("this call of ad.checkpointed", call, hint="write `ad.checkpointed(steps)` or "
                      "`ad.checkpointed(steps, every=k)`")
        for node in _own_nodes(stmt):
            if isinstance(node, (ast.Break, ast.Return)):
                what = "`break`" if isinstance(node, ast.Break) else "`return`"
                ctx.error(f"{what} inside a checkpointed loop", node,
                          hint="a checkpointed loop runs all its steps; use ad.checkpointed on a loop "
                               "without early exits (or remove it)")
        keywords = {k.arg: k.value for k in call.keywords}
        inner = call.args[0] if call.args else keywords["steps"]
        every = call.args[1] if len(call.args) > 1 else keywords.get("every")
        return inner, (self.ctx.expressions.atom(every) if every is not None else Const(None))

    def used_outside(self, loop, name):
        """Is `name` read or assigned anywhere in the function outside this loop's own target?"""
        fdef = self.ctx.fdef
        inside = {id(n) for n in ast.walk(loop)} - {id(loop.target)}
        for n in walk_scope(fdef):
            if isinstance(n, ast.Name) and n.id == name and id(n) not in inside and n is not loop.target:
                return True
        for n in ast.walk(loop):  # assigned in the body: the counter must stay the loop's own
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) and n is not loop.target:
                return True
            if isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not fdef:
                if any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(n)):
                    return True  # read by a nested function (late binding)
        return False

    def stmt_While(self, stmt):
        ctx = self.ctx
        if stmt.orelse:
            ctx.error("`while ... else`", stmt, hint="use a flag variable instead of the `else` clause")
        self.prepare_return_flag(stmt)
        exit_test = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=stmt.test), body=[ast.Break()], orelse=[])
        ast.copy_location(exit_test, stmt)
        ast.fix_missing_locations(exit_test)
        body = self.loop_body([exit_test] + stmt.body)
        ctx.emit(While(Const(True), body))

    def comprehension(self, node, target):
        """`[e for x in xs if c]` (or a generator) as a loop appending to the list `target`;
        `{k: v for ...}` as a loop storing into the dict `target`."""
        ctx = self.ctx
        fake = ast.FunctionDef(name="<comprehension>", args=ast.arguments(
            posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
            body=[], decorator_list=[])
        for gen in node.generators:
            if gen.is_async:
                ctx.error("async comprehensions", node)
        inner_scope = Scope(ctx.unit, fake, ctx.alloc, enclosing=ctx.scope, fresh=True)
        for gen in node.generators:
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    inner_scope.names[n.id] = ctx.alloc.fresh(n.id)
        if isinstance(node, ast.DictComp):
            ctx.assign(target, Build("dict", (), ()), node)
            store = ast.Assign(targets=[ast.Subscript(value=ast.Name(id="\0target", ctx=ast.Load()), slice=node.key,
                                                      ctx=ast.Store())], value=node.value)
            inner = [store]
        else:
            ctx.assign(target, Build("list", ()), node)
            inner = [ast.Expr(value=ast.Call(func=ast.Attribute(value=ast.Name(id="\0target", ctx=ast.Load()),
                                                                attr="append", ctx=ast.Load()),
                                             args=[node.elt], keywords=[]))]
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                inner = [ast.If(test=cond, body=inner, orelse=[])]
            inner = [ast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[])]
        loop = inner[0]
        for n in ast.walk(loop):
            ast.copy_location(n, node)
        ast.fix_missing_locations(loop)
        inner_scope.names["\0target"] = target
        saved = ctx.scope
        ctx.scope = inner_scope  # (the iterables read the enclosing names: the loop names are fresh)
        try:
            self.stmt_For(loop)
        finally:
            ctx.scope = saved


def returns_inside(loop):
    """Does a loop's body contain a `return` (outside nested functions)?"""
    todo = list(loop.body)
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Return):
            return True
        if isinstance(n, (ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef)):
            continue
        todo.extend(ast.iter_child_nodes(n))
    return False


def _iter_list():
    from . import runtime

    return Global(("_ad", "iter_list"), runtime.iter_list, runtime)


def _flag_breaks(stmts, setter):
    """Copies of `stmts` where each `break` of their loop (not of a loop or function nested in them; a nested
    loop's `else` clause is the enclosing loop's) is preceded by `setter()`."""
    out = []
    for s in stmts:
        if isinstance(s, ast.Break):
            flag = setter()
            ast.copy_location(flag, s)
            ast.fix_missing_locations(flag)
            out += [flag, s]
            continue
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(s)
            continue
        s = copy.copy(s)
        if isinstance(s, (ast.For, ast.While, ast.AsyncFor)):
            s.orelse = _flag_breaks(s.orelse, setter)
        else:
            for field in ("body", "orelse", "finalbody"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, _flag_breaks(getattr(s, field), setter))
            if isinstance(s, ast.Try):
                handlers = []
                for h in s.handlers:
                    h = copy.copy(h)
                    h.body = _flag_breaks(h.body, setter)
                    handlers.append(h)
                s.handlers = handlers
        out.append(s)
    return out


def _own_nodes(loop):
    """The nodes of a loop's body, not of the functions or loops nested in it (whose `break` and `return`
    are their own)."""
    todo = list(loop.body)
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(n, (ast.For, ast.While)):
            for m in ast.walk(n):  # (an inner loop's `break` is its own; a `return` leaves this loop too)
                if isinstance(m, ast.Return):
                    yield m
            continue
        todo.extend(ast.iter_child_nodes(n))


def _enumerate_start(call):
    """The start of `enumerate(seq, 1)` / `enumerate(seq, start=1)` when it is an integer constant (a loop over
    it is written with its counter, as `enumerate(seq)` is), else None."""
    if len(call.args) == 2 and not call.keywords:
        node = call.args[1]
    elif len(call.args) == 1 and len(call.keywords) == 1 and call.keywords[0].arg == "start":
        node = call.keywords[0].value
    else:
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        value = -value if type(value) is int else None
    else:
        value = node.value if isinstance(node, ast.Constant) else None
    return value if type(value) is int else None
