"""Pass 2, desugar: a function's syntax tree as the core IR (ir.py), one operation per statement.

This is also the validation pass for syntax: whatever it accepts, the later passes take; any other construct
raises an `UnsupportedError` pointing at it.

- Every operand becomes an atom: nested expressions are evaluated into temporaries `t1, t2, ...` in
  Python's order. Names keep the user's spelling (SSA versions come later, in ssa.py); a function that is
  inlined into another gets fresh names (`h_1`).
- Structured control flow only: `elif` chains, conditional expressions and `and`/`or` become `if`
  statements; `continue` and `return` inside `if` are removed by moving the statements that follow into the
  branches that do not exit; a `return` inside a loop sets the flag `returned` and breaks, and the rest of
  the function runs only if it did not; `while c:` becomes `while True:` with a test and `break`;
  `for x in seq` (arrays, lists, `enumerate`, `zip`) becomes a loop over `range(len(seq))` binding
  `x = seq[k]`, and a `range` loop binds the user's variable from a fresh counter (so it keeps its value
  after a loop that did not run, as in Python).
- The returned value is assigned to the function's result name (`out`) on every path.
- `x op= v` stays an `AugAssign` (in place for an array, a rebinding for a number: decided by alias.py);
  `x[i] op= v` is `SetItem(..., op=op)`.
- Nested `def`s and lambdas become `Closure` values; calls of them, and of the user's own functions, are
  inlined later (inline.py).
"""
import ast

from . import ir, markers
from .errors import UnsupportedError
from .ir import (Assign, AugAssign, Break, Build, Call, Const, ExprStmt, For, Global, If, Index, SetItem, Slice,
                 Var, While)

_NOT_YET = {
    ast.Try: "`try` blocks", ast.Raise: "`raise`", ast.Delete: "`del`",
    ast.AsyncFunctionDef: "nested `async def`", ast.ClassDef: "class definitions",
    ast.Global: "`global`", ast.Import: "`import` inside the function",
    ast.ImportFrom: "`import` inside the function", ast.AsyncFor: "`async for`", ast.AsyncWith: "`async with`",
}
if hasattr(ast, "TryStar"):
    _NOT_YET[ast.TryStar] = "`try` blocks"
if hasattr(ast, "Match"):
    _NOT_YET[ast.Match] = "`match` statements"
_EXPR_NOT_YET = {
    ast.SetComp: "set comprehensions", ast.Await: "await", ast.Yield: "yield (a generator is not a function of "
    "its inputs)", ast.YieldFrom: "yield from", ast.NamedExpr: "the walrus operator `:=`", ast.Set: "set literals",
}
_FORBIDDEN_CALLS = {"exec", "eval", "globals", "locals", "vars", "setattr", "delattr", "compile", "__import__"}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
           ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
        ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


class Function:
    """A desugared function: parameters (IR names), body, and the atom holding its result."""

    def __init__(self, name, params, defaults, body, out, unit, scope):
        self.name = name
        self.params = params
        self.defaults = defaults  # IR param name -> atom (a value known when the function was defined)
        self.body = body
        self.out = out
        self.unit = unit
        self.scope = scope


class Scope:
    """The names of one function: its locals (source name -> IR name), and where free names live."""

    def __init__(self, unit, fdef, alloc, enclosing=None, fresh=False):
        self.unit = unit
        self.enclosing = enclosing
        self.alloc = alloc
        args = fdef.args
        params = [a.arg for a in args.posonlyargs + args.args]
        if args.vararg:
            params.append(args.vararg.arg)
        params += [a.arg for a in args.kwonlyargs]
        if args.kwarg:
            params.append(args.kwarg.arg)
        self.nonlocals = set()
        self.declared_global = set()
        assigned = []
        for node in _walk_scope(fdef):
            if isinstance(node, ast.Nonlocal):
                self.nonlocals.update(node.names)
            elif isinstance(node, ast.Global):
                self.declared_global.update(node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                assigned.append(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fdef:
                assigned.append(node.name)
        local = [p for p in params] + [n for n in assigned if n not in self.nonlocals]
        self.names = {}
        for n in dict.fromkeys(local):
            self.names[n] = alloc.fresh(n) if fresh else alloc.reserve(n)

    def resolve(self, name):
        """('local', IR name) for a local (or an enclosing function's) variable, else ('free', None)."""
        if name in self.names:
            return "local", self.names[name]
        if name in self.nonlocals or self.enclosing is not None:
            scope = self.enclosing
            while scope is not None:
                if name in scope.names:
                    return "local", scope.names[name]
                scope = scope.enclosing
        return "free", None

    def local_ir_names(self):
        out = set(self.names.values())
        if self.enclosing is not None:
            out |= self.enclosing.local_ir_names()
        return out


def _walk_scope(fdef):
    """The nodes of a function's own scope (not inside nested functions, lambdas, comprehensions)."""
    todo = list(ast.iter_child_nodes(fdef))
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(n.args.defaults if hasattr(n, "args") else [])  # evaluated in this scope
            todo.extend(d for d in getattr(n, "decorator_list", []))
            continue
        if isinstance(n, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            todo.append(n.generators[0].iter)  # the first iterable is evaluated in this scope
            continue
        todo.extend(ast.iter_child_nodes(n))


class _ReturnCurrent(ast.stmt):
    """Placeholder: leave with the value a loop already stored in the result (after a return inside it)."""
    _fields = ()


def _walk_no_loops(node):
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if not isinstance(child, (ast.For, ast.While, ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef)):
                todo.append(child)


def _exits(stmt):
    """Does an `if` contain a return, break or continue (outside nested loops and functions)?"""
    return any(isinstance(n, (ast.Return, ast.Break, ast.Continue)) for n in _walk_no_loops(stmt))


def _returns_inside(loop):
    todo = list(loop.body)
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Return):
            return True
        if isinstance(n, (ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef)):
            continue
        todo.extend(ast.iter_child_nodes(n))
    return False


class Desugar:
    def __init__(self, unit, fdef, scope, out_name):
        self.unit = unit
        self.fdef = fdef
        self.scope = scope
        self.alloc = scope.alloc
        self.out = out_name
        self.returned = None  # IR name of the flag set by a return inside a loop
        self.body = []
        self.loop_depth = 0
        self.stmt = None  # the user statement being desugared (origin of what is emitted)
        self.nograd = False

    # -- helpers --------------------------------------------------------------------------------------------
    def error(self, what, node, hint=None):
        raise UnsupportedError(f"{what} cannot be differentiated (yet)", where=self.unit.location(node),
                               hint=hint or "rewrite this part, or move it out of the differentiated function")

    def emit(self, stmt, node=None):
        stmt.origin = ir.Origin(self.unit, self.stmt, node if node is not None else self.stmt)
        stmt.nograd = self.nograd
        self.body.append(stmt)
        return stmt

    def assign(self, target, value, node=None):
        return self.emit(Assign((target,), value), node)

    def temp(self, value, node=None):
        name = self.alloc.temp()
        self.assign(name, value, node)
        return Var(name)

    def into(self, block):
        d = self

        class _Into:
            def __enter__(self):
                self.saved = d.body
                d.body = block

            def __exit__(self, *exc):
                d.body = self.saved

        return _Into()

    def local(self, name, node):
        kind, irname = self.scope.resolve(name)
        if kind == "local":
            return irname
        return None

    def flag(self):
        if self.returned is None:
            self.returned = self.alloc.fresh("returned")
        return self.returned

    # -- function ---------------------------------------------------------------------------------------------
    def run(self):
        body = self.fdef.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        self.stmt = self.fdef
        if self.implicit_none:  # a helper (called, not differentiated alone) may end without `return`
            end = ast.Return(value=None)
            last = self.fdef.body[-1]
            end.lineno, end.col_offset = getattr(last, "end_lineno", last.lineno), last.col_offset
            end.end_lineno, end.end_col_offset = end.lineno, end.col_offset
            body = list(body) + [end]
        ending = self.block(body)
        if ending != "return":
            self.stmt = self.fdef
            self.error("a path through the function that does not `return` a value", self.fdef,
                       hint="end every path with `return <value to differentiate>`")
        return self.body

    def block(self, stmts):
        """Desugar a block; returns how it ends: None (falls through), 'return', 'break' or 'continue'."""
        stmts = list(stmts)
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.Return):
                self.at(stmt, self.stmt_Return)
                return self.leave_with_return(stmt)
            if isinstance(stmt, _ReturnCurrent):
                return self.leave_with_return(stmt.node)
            if isinstance(stmt, ast.Continue):
                if not self.loop_depth:
                    self.at(stmt, lambda s: self.error("`continue` outside a loop", s))
                return "continue"
            if isinstance(stmt, ast.Break):
                if not self.loop_depth:
                    self.at(stmt, lambda s: self.error("`break` outside a loop", s))
                self.at(stmt, lambda s: self.emit(Break()))
                return "break"
            if isinstance(stmt, ast.If) and _exits(stmt):
                return self.at(stmt, lambda s: self.branch(self.atom(s.test), s.body, s.orelse, stmts[i + 1:]))
            self.statement(stmt)
            if isinstance(stmt, (ast.For, ast.While)) and _returns_inside(stmt):
                done = _ReturnCurrent()
                done.node = stmt
                return self.at(stmt, lambda s: self.branch(Var(self.flag()), [done], [], stmts[i + 1:]))
        return None

    def leave_with_return(self, node):
        if not self.loop_depth:
            return "return"
        self.at(node, lambda s: (self.assign(self.flag(), Const(True)), self.emit(Break())))
        return "break"

    def at(self, stmt, action):
        previous = self.stmt
        self.stmt = stmt if not self.nograd or previous is None else previous
        try:
            return action(stmt)
        finally:
            self.stmt = previous

    def statement(self, stmt):
        def run(s):
            method = getattr(self, "stmt_" + type(s).__name__, None)
            if method is None:
                self.error(_NOT_YET.get(type(s), f"the statement `{type(s).__name__}`"), s)
            method(s)

        self.at(stmt, run)

    # -- control flow -----------------------------------------------------------------------------------------
    def stmt_If(self, stmt):
        self.branch(self.atom(stmt.test), stmt.body, stmt.orelse, [])

    def branch(self, test, body, orelse, rest):
        """Emit `if test: body + rest else: orelse + rest`; returns how the statement ends."""
        results = []
        for stmts in (body, orelse):
            block = []
            with self.into(block):
                ending = self.block(list(stmts) + list(rest))
            results.append((block, ending))
        self.emit(If(test, results[0][0], results[1][0]))
        endings = {r[1] for r in results}
        if None in endings or (not rest and "continue" in endings and self.loop_depth):
            return None if None in endings else "continue"
        return "return" if "return" in endings else "break"

    def loop_body(self, stmts, prefix=()):
        block = []
        self.loop_depth += 1
        with self.into(block):
            for s in prefix:
                self.emit(s)
            self.block(stmts)
        self.loop_depth -= 1
        return block

    def prepare_return_flag(self, stmt):
        if _returns_inside(stmt):
            self.assign(self.flag(), Const(False))

    def stmt_For(self, stmt):
        if stmt.orelse:
            self.error("`for ... else`", stmt, hint="use a flag variable instead of the `else` clause")
        it = stmt.iter
        func = self.resolve_global(it.func) if isinstance(it, ast.Call) else None
        self.prepare_return_flag(stmt)
        if func is range and not it.keywords and 1 <= len(it.args) <= 3 and \
                not any(isinstance(a, ast.Starred) for a in it.args):
            args = [self.atom(a) for a in it.args]
            target = stmt.target
            if isinstance(target, ast.Name) and not self.used_outside(stmt, target.id):
                # the counter is the user's variable (it is not read after or before the loop)
                counter = self.local(target.id, target)
                body = self.loop_body(stmt.body)
                self.emit(For(counter, Call(self.builtin("range"), tuple(args)), body))
                return
            counter = self.alloc.fresh(target.id if isinstance(target, ast.Name) else "k")
            prefix_block = []
            with self.into(prefix_block):
                self.bind(target, Var(counter), target)
            body = self.loop_body(stmt.body, prefix_block)
            self.emit(For(counter, Call(self.builtin("range"), tuple(args)), body))
            return
        enum = func is enumerate and len(it.args) == 1 and not it.keywords
        inner = it.args[0] if enum else it
        inner_func = self.resolve_global(inner.func) if isinstance(inner, ast.Call) else None
        zipped = inner_func is zip and inner.args and not inner.keywords and \
            not any(isinstance(a, ast.Starred) for a in inner.args)
        sequences = [self.atom(a) for a in inner.args] if zipped else [self.atom(inner)]
        # the loop goes over the object the sequence was when the loop started (the name may be rebound);
        # what is not a list, tuple or array (a dict, its items, a generator) is made a list first
        sequences = [self.temp(Call(_iter_list(), (q,))) for q in sequences]
        lengths = [self.temp(Call(self.builtin("len"), (q,))) for q in sequences]
        count = lengths[0] if len(lengths) == 1 else self.temp(Call(self.builtin("min"), tuple(lengths)))
        counter = self.alloc.fresh("k")
        prefix_block = []
        with self.into(prefix_block):
            items = [self.temp(Index(q, (Var(counter),))) for q in sequences]
            value = ("tuple", items) if zipped else items[0]
            if enum:
                value = ("tuple", [Var(counter), value])
            self.bind_pattern(stmt.target, value)
        body = self.loop_body(stmt.body, prefix_block)
        self.emit(For(counter, Call(self.builtin("range"), (count,)), body))

    def used_outside(self, loop, name):
        """Is `name` read or assigned anywhere in the function outside this loop's own target?"""
        inside = {id(n) for n in ast.walk(loop)} - {id(loop.target)}
        for n in _walk_scope(self.fdef):
            if isinstance(n, ast.Name) and n.id == name and id(n) not in inside and n is not loop.target:
                return True
        for n in ast.walk(loop):  # assigned in the body: the counter must stay the loop's own
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) and n is not loop.target:
                return True
            if isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not self.fdef:
                if any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(n)):
                    return True  # read by a nested function (late binding)
        return False

    def bind_pattern(self, target, value):
        """Bind a loop target (maybe nested tuples) to a value: an atom or ('tuple', [values])."""
        if isinstance(value, tuple) and value[0] == "tuple":
            if isinstance(target, (ast.Tuple, ast.List)):
                if len(target.elts) != len(value[1]):
                    self.error("unpacking a loop item into a different number of names", target)
                for t, v in zip(target.elts, value[1]):
                    self.bind_pattern(t, v)
                return
            value = self.temp(Build("tuple", tuple(self.pattern_atom(v) for v in value[1])))
        self.bind(target, value, target)

    def pattern_atom(self, value):
        if isinstance(value, tuple) and value[0] == "tuple":
            return self.temp(Build("tuple", tuple(self.pattern_atom(v) for v in value[1])))
        return value

    def stmt_While(self, stmt):
        if stmt.orelse:
            self.error("`while ... else`", stmt, hint="use a flag variable instead of the `else` clause")
        self.prepare_return_flag(stmt)
        exit_test = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=stmt.test), body=[ast.Break()], orelse=[])
        ast.copy_location(exit_test, stmt)
        ast.fix_missing_locations(exit_test)
        body = self.loop_body([exit_test] + stmt.body)
        self.emit(While(Const(True), body))

    def stmt_FunctionDef(self, stmt):
        if stmt.decorator_list:
            self.error("a decorated nested function", stmt, hint="call the decorator's result outside, or "
                       "define the function at module level")
        defaults = tuple(self.atom(d) for d in stmt.args.defaults)  # evaluated when the function is defined
        name = self.local(stmt.name, stmt)
        self.assign(name, ir.Closure(stmt, self.scope, self.unit, defaults))

    def stmt_Pass(self, stmt):
        pass

    def stmt_Nonlocal(self, stmt):
        pass  # resolved by the scope (the names are the enclosing function's)

    def stmt_Expr(self, stmt):
        value = stmt.value
        if isinstance(value, ast.Constant):
            return  # a bare string or number: no effect
        if type(value) in _EXPR_NOT_YET:
            self.error(_EXPR_NOT_YET[type(value)], value)
        if not isinstance(value, ast.Call):
            self.error("an expression statement that is not a call", stmt)
        self.emit(ExprStmt(self.call(value)), value)

    def stmt_Assert(self, stmt):
        test = self.atom(stmt.test)
        msg = self.atom(stmt.msg) if stmt.msg is not None else None
        self.emit(ir.Assert(test, msg))

    def stmt_Return(self, stmt):
        if stmt.value is None:
            if not self.implicit_none:
                self.error("`return` without a value", stmt, hint="return the value to differentiate")
            self.assign(self.out, Const(None))
            return
        self.expr(stmt.value, target=self.out)

    def stmt_Assign(self, stmt):
        for t in stmt.targets:
            self.check_target(t)
        first = stmt.targets[0]
        if isinstance(first, ast.Name) and len(stmt.targets) == 1:
            self.expr(stmt.value, target=self.local(first.id, first))
            return
        if isinstance(first, (ast.Tuple, ast.List)) and isinstance(stmt.value, (ast.Tuple, ast.List)) and \
                len(stmt.targets) == 1 and len(first.elts) == len(stmt.value.elts) and \
                not any(isinstance(e, ast.Starred) for e in stmt.value.elts):
            atoms = [self.atom(e) for e in stmt.value.elts]  # evaluate all before assigning any
            targets = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
            atoms = [self.temp(a) if isinstance(a, Var) and _source_name(self.scope, a.name) & targets else a
                     for a in atoms]  # `a, b = b, a`: keep the values read before either is rebound
            for t, a in zip(first.elts, atoms):
                self.bind(t, a, t)
            return
        value = self.atom(stmt.value)
        for t in stmt.targets:
            self.bind(t, value, t)

    def check_target(self, t):
        if isinstance(t, ast.Name):
            return
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                if isinstance(e, ast.Starred):
                    self.error("starred assignment", e, hint="unpack into a fixed number of names")
                self.check_target(e)
            return
        if isinstance(t, ast.Subscript):
            return
        if isinstance(t, ast.Attribute):
            self.error("assignment to an attribute", t, hint="keep the value in a local variable, or return it")
        self.error(f"assignment to {type(t).__name__}", t)

    def bind(self, t, value, node):
        """Assign an atom to a target (a name, a subscript, or nested tuples: unpacked by indexing)."""
        if isinstance(t, ast.Name):
            self.assign(self.local(t.id, t), value, node)
        elif isinstance(t, ast.Subscript):
            base = self.atom(t.value)
            if not isinstance(base, Var):
                self.error("assignment into something other than a local value", t)
            items, tuple_form = self.index(t.slice)
            self.emit(SetItem(base, items, value, tuple_form=tuple_form), t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for i, e in enumerate(t.elts):
                item = self.temp(Index(value, (Const(i),)), node)
                self.bind(e, item, e)
        else:
            self.check_target(t)

    def stmt_AugAssign(self, stmt):
        self.check_target(stmt.target)
        op = _BINOPS[type(stmt.op)]
        if isinstance(stmt.target, ast.Subscript):
            base = self.atom(stmt.target.value)
            if not isinstance(base, Var):
                self.error("an in-place update of something other than a local value", stmt.target)
            items, tuple_form = self.index(stmt.target.slice)
            right = self.atom(stmt.value)
            self.emit(SetItem(base, items, right, op=op, tuple_form=tuple_form), stmt.target)
            return
        name = self.local(stmt.target.id, stmt.target)
        right = self.atom(stmt.value)
        self.emit(AugAssign(name, op, right))

    def stmt_With(self, stmt):
        if len(stmt.items) != 1 or stmt.items[0].optional_vars is not None or not self.is_no_grad(
                stmt.items[0].context_expr):
            self.error("a `with` block other than `with ad.no_grad():`", stmt)
        saved = self.nograd
        self.nograd = True
        try:
            for s in stmt.body:
                if isinstance(s, (ast.Return, ast.Break, ast.Continue)) or (
                        isinstance(s, ast.If) and _exits(s)):
                    self.error("leaving a `with ad.no_grad():` block early", s,
                               hint="move the return/break after the block")
                self.statement(s)
        finally:
            self.nograd = saved

    def is_no_grad(self, node):
        return isinstance(node, ast.Call) and not node.args and not node.keywords and \
            self.resolve_global(node.func) is markers.no_grad

    # -- names ------------------------------------------------------------------------------------------------
    def resolve_global(self, node):
        """The object a free dotted name (`np.linalg.norm`) refers to, or None."""
        chain = _chain(node)
        if chain is None or self.scope.resolve(chain[0])[0] == "local":
            return None
        found, obj = self.unit.lookup(chain[0])
        if not found:
            return None
        for p in chain[1:]:
            try:
                obj = getattr(obj, p)
            except AttributeError:
                return None
        return obj

    def builtin(self, name):
        import builtins

        return Global((name,), getattr(builtins, name))

    def name(self, node):
        irname = self.local(node.id, node)
        if irname is not None:
            return Var(irname)
        found, obj = self.unit.lookup(node.id)
        if not found:
            self.error(f"the name `{node.id}`, which is not defined", node, hint="define it before the function")
        return Global((node.id,), obj)

    # -- expressions ------------------------------------------------------------------------------------------
    def atom(self, node):
        """Evaluate `node` into an atom, emitting statements for its operations."""
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return Const(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and type(node.operand.value) in (int, float, complex):
            v = node.operand.value
            return Const(-v if isinstance(node.op, ast.USub) else v)
        chain = _chain(node)
        if chain is not None and self.scope.resolve(chain[0])[0] != "local":
            obj = self.resolve_global(node)
            if obj is not None or self.unit.lookup(chain[0])[0]:
                if obj is None and not _has_attr_chain(self.unit, chain):
                    self.error(f"`{'.'.join(chain)}`, which does not exist", node)
                return Global(tuple(chain), obj, self.unit.lookup(chain[0])[1])
        return self.expr(node, None)

    def expr(self, node, target):
        """Emit `target = <node>`; returns the atom holding the value (a temporary when target is None)."""
        if isinstance(node, ast.BoolOp):
            # `a and b` is `b if a else a`; `a or b` is `a if a else b` (operands evaluated as Python does)
            first, rest = node.values[0], node.values[1:]
            tail = rest[0] if len(rest) == 1 else ast.BoolOp(op=node.op, values=rest)
            target = target or self.alloc.temp()
            a = self.atom(first)
            then, other = (tail, a) if isinstance(node.op, ast.And) else (a, tail)
            return self.conditional(a, then, other, target, node)
        if isinstance(node, ast.IfExp):
            target = target or self.alloc.temp()
            return self.conditional(self.atom(node.test), node.body, node.orelse, target, node)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
            target = target or self.alloc.temp()
            self.comprehension(node, target)
            return Var(target)
        if isinstance(node, ast.Lambda):
            fdef = _lambda_def(node)
            defaults = tuple(self.atom(d) for d in node.args.defaults)
            value = ir.Closure(fdef, self.scope, self.unit, defaults)
        elif isinstance(node, (ast.Name, ast.Constant, ast.Attribute, ast.UnaryOp)) and self.is_atomic(node):
            value = self.atom(node)
        else:
            value = self.operation(node)
        target = target or self.alloc.temp()
        self.assign(target, value, node)
        return Var(target)

    def is_atomic(self, node):
        if isinstance(node, (ast.Name, ast.Constant)):
            return True
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant) and \
                type(node.operand.value) in (int, float, complex)
        chain = _chain(node)
        return chain is not None and self.scope.resolve(chain[0])[0] != "local"

    def conditional(self, test, then, other, target, node):
        """`target = then if test else other`, as an `if` statement (only the branch taken is evaluated)."""
        blocks = []
        for e in (then, other):
            block = []
            with self.into(block):
                if isinstance(e, ast.AST):
                    self.expr(e, target)
                else:
                    self.assign(target, e, node)
            blocks.append(block)
        self.emit(If(test, blocks[0], blocks[1]), node)
        return Var(target)

    def comprehension(self, node, target):
        """`[e for x in xs if c]` (or a generator) as a loop appending to the list `target`;
        `{k: v for ...}` as a loop storing into the dict `target`."""
        fake = ast.FunctionDef(name="<comprehension>", args=ast.arguments(
            posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
            body=[], decorator_list=[])
        for gen in node.generators:
            if gen.is_async:
                self.error("async comprehensions", node)
        inner_scope = Scope(self.unit, fake, self.alloc, enclosing=self.scope, fresh=True)
        for gen in node.generators:
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    inner_scope.names[n.id] = self.alloc.fresh(n.id)
        if isinstance(node, ast.DictComp):
            self.assign(target, Build("dict", (), ()), node)
            store = ast.Assign(targets=[ast.Subscript(value=ast.Name(id="\0target", ctx=ast.Load()), slice=node.key,
                                                      ctx=ast.Store())], value=node.value)
            inner = [store]
        else:
            self.assign(target, Build("list", ()), node)
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
        saved = self.scope
        self.scope = inner_scope  # (the iterables read the enclosing names: the loop names are fresh)
        try:
            self.stmt_For(loop)
        finally:
            self.scope = saved

    def operation(self, node):
        kind = type(node)
        if kind in _EXPR_NOT_YET:
            self.error(_EXPR_NOT_YET[kind], node)
        if isinstance(node, ast.BinOp):
            return ir.BinOp(_BINOPS[type(node.op)], self.atom(node.left), self.atom(node.right))
        if isinstance(node, ast.UnaryOp):
            return ir.UnaryOp(_UNARY[type(node.op)], self.atom(node.operand))
        if isinstance(node, ast.Compare):
            return ir.Compare(self.atom(node.left), tuple(_CMP[type(o)] for o in node.ops),
                              tuple(self.atom(c) for c in node.comparators))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            return ir.Attr(self.atom(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            value = self.atom(node.value)
            items, tuple_form = self.index(node.slice)
            return Index(value, items, tuple_form)
        if isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    self.error("starred expressions in a literal", e, hint="build the list with + or .extend")
            kind = "tuple" if isinstance(node, ast.Tuple) else "list"
            return Build(kind, tuple(self.atom(e) for e in node.elts))
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                self.error("`**` in a dict literal", node)
            keys = []
            values = []
            for k, v in zip(node.keys, node.values):
                keys.append(self.atom(k))
                values.append(self.atom(v))
            return Build("dict", tuple(values), tuple(keys))
        if isinstance(node, ast.JoinedStr):
            return self.fstring(node)
        if isinstance(node, ast.Slice):
            self.error("a slice outside an index", node)
        self.error(f"the expression `{type(node).__name__}`", node)

    def fstring(self, node):
        template = []
        args = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                template.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            else:
                spec = ""
                if part.conversion != -1:
                    spec += "!" + chr(part.conversion)
                if part.format_spec is not None:
                    if not all(isinstance(v, ast.Constant) for v in part.format_spec.values):
                        self.error("a nested format specification", part)
                    spec += ":" + "".join(str(v.value) for v in part.format_spec.values)
                template.append("{" + spec + "}")
                args.append(self.atom(part.value))
        return Call(ir.Attr(Const("".join(template)), "format"), tuple(args))

    def index(self, node):
        """The items of a subscript: atoms and Slices; and whether it was written as a tuple."""
        if isinstance(node, ast.Tuple):
            return tuple(self.index_item(e) for e in node.elts), True
        return (self.index_item(node),), False

    def index_item(self, node):
        if isinstance(node, ast.Slice):
            return Slice(self.atom(node.lower) if node.lower else None,
                         self.atom(node.upper) if node.upper else None,
                         self.atom(node.step) if node.step else None)
        if isinstance(node, ast.Starred):
            self.error("a starred index", node)
        return self.atom(node)

    def call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS and self.local(func.id, func) is None:
            self.error(f"`{func.id}(...)`", node, hint="dynamic code cannot be read by a source-to-source compiler")
        if isinstance(func, ast.Attribute) and not self.is_atomic(func):
            f = ir.Attr(self.atom(func.value), func.attr)
        elif isinstance(func, (ast.Name, ast.Attribute)):
            f = self.atom(func)
        elif isinstance(func, ast.Lambda):
            f = self.expr(func, None)
        else:
            f = self.atom(func)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args.append(ir.Starred(self.atom(a.value)))
            else:
                args.append(self.call_arg(a))
        kwargs = []
        for k in node.keywords:
            if k.arg is None:
                kwargs.append(("**", self.atom(k.value)))
            else:
                kwargs.append((k.arg, self.call_arg(k.value)))
        return Call(f, tuple(args), tuple(kwargs))

    def call_arg(self, node):
        return self.atom(node)


def _iter_list():
    from . import runtime

    return Global(("_ad", "iter_list"), runtime.iter_list, runtime)


def _source_name(scope, irname):
    """The user's names bound to this IR name in the scope (to spot a swap `a, b = b, a`)."""
    return {n for n, v in scope.names.items() if v == irname} | {irname}


def _chain(node):
    """['np', 'linalg', 'norm'] for `np.linalg.norm`, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _has_attr_chain(unit, chain):
    found, obj = unit.lookup(chain[0])
    for p in chain[1:]:
        if not hasattr(obj, p):
            return False
        obj = getattr(obj, p)
    return found


def _lambda_def(lam):
    ret = ast.Return(value=lam.body)
    ast.copy_location(ret, lam.body)
    fdef = ast.FunctionDef(name="lambda", args=lam.args, body=[ret], decorator_list=[], returns=None)
    if hasattr(ast, "TypeAlias"):
        fdef.type_params = []
    ast.copy_location(fdef, lam)
    return fdef


def desugar(unit, alloc, fdef=None, enclosing=None, fresh=False, out_hint="out"):
    """Desugar a function (the unit's own, or a nested `fdef` closing over `enclosing`)."""
    fdef = fdef if fdef is not None else unit.tree
    scope = Scope(unit, fdef, alloc, enclosing=enclosing, fresh=fresh)
    for name in scope.declared_global:
        node = next(n for n in ast.walk(fdef) if isinstance(n, ast.Global) and name in n.names)
        raise UnsupportedError("`global` cannot be differentiated (yet)", where=unit.location(node),
                               hint="pass the value as an argument, or return it")
    out = alloc.fresh(out_hint)
    d = Desugar(unit, fdef, scope, out)
    d.implicit_none = fresh  # an inlined function returns None when it ends without `return`
    args = fdef.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        if enclosing is None and not fresh:
            raise UnsupportedError(
                "functions with *args, **kwargs, keyword-only or positional-only parameters are not supported",
                where=unit.location(fdef), hint="give the function plain positional parameters")
    body = d.run()
    params = [scope.names[a.arg] for a in args.posonlyargs + args.args]
    return Function(fdef.name, params, {}, body, Var(out), unit, scope), d
