"""Pass 2, normalize: desugar the function into a simple core, one operation per statement.

This is also the single validation pass: whatever it accepts, the later passes support; anything else
raises an `UnsupportedError` pointing at the construct.

The core (every operand an *atom*: a local name, a constant, or a global like `np.pi`):

    name = atom                          name = atom <op> atom          name = -atom
    name = f(atom, [atom, ...], k=atom)  name = atom.method(...)        name = atom.attr
    name = atom[index]                   name = (atom, ...)             name = atom < atom  (constant)
    atom[index] = atom                    (in-place update of an array)
    f(...)                               (a call kept for its side effects, e.g. print)
    if atom: ... else: ...               for i in range(atom, atom, atom): ...
    while True: ...                      break

Control flow is structured: `elif` chains and conditional expressions become `if` statements;
`continue` and returns inside `if` are removed by moving the statements that follow into the branches
that do not exit; `for x in seq` (arrays, lists, `enumerate`, `zip`) becomes a loop over indices
(`x = seq[k]`, so gradients flow back into `seq`); `while c:` becomes `while True:` with a test and `break`.
Inside a loop every user variable assigned in the body is *carried*: it has one loop name, copied in
before the loop and copied back at the end of each iteration (and before each `break`).
The returned value is assigned to `out` at the end of every path.

Names are in SSA form: a name assigned twice gets a new version (`h`, then `h_1`), so every value the
adjoint sweep reads is still available. Augmented assignments become plain ones (`s += x` -> `s_1 = s + x`).
Each statement remembers the user statement it came from (`ad_origin`) and the expression (`ad_node`)
errors should point at; statements inside `with ad.no_grad():` carry `ad_nograd = True`.
"""
import ast
import copy

from . import markers
from .errors import UnsupportedError
from .naming import NameAllocator, all_names

_NOT_YET = {
    ast.Try: "`try` blocks", ast.Raise: "`raise`", ast.Delete: "`del`",
    ast.AsyncFunctionDef: "nested `async def`", ast.ClassDef: "class definitions",
    ast.Global: "`global`", ast.Nonlocal: "`nonlocal`", ast.Import: "`import` inside the function",
    ast.ImportFrom: "`import` inside the function",
}
_EXPR_NOT_YET = {
    ast.Lambda: "a lambda used as a value", ast.DictComp: "dict comprehensions", ast.SetComp: "set comprehensions",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield from", ast.NamedExpr: "the walrus operator",
    ast.Starred: "starred expressions", ast.Set: "set literals",
}
_FORBIDDEN_CALLS = {"exec", "eval", "globals", "locals", "vars", "setattr", "delattr"}
RETURN = "\0return"  # the pseudo-variable holding the returned value in the version map


RETURNED = "\0returned"  # the pseudo-variable flagging a return from inside a loop


def _returns_inside(loop):
    return any(isinstance(n, ast.Return) for s in loop.body for n in ast.walk(s))


class _ReturnCurrent(ast.stmt):
    """Placeholder: return the value a loop already stored in `out` (after a return inside the loop)."""

    _fields = ()


class _EndOfIteration(ast.stmt):
    """Placeholder at the end of a loop body: the loop variables are copied back here."""

    _fields = ()


class Loop:
    """What normalize knows about the loop it is inside: the carried variables and their loop names."""

    def __init__(self, carried):
        self.carried = carried  # user variable -> loop name


def _exits(stmt):
    """Does an `if` statement contain a return, break or continue (outside nested loops)?"""
    for node in _walk_no_loops(stmt):
        if isinstance(node, (ast.Return, ast.Break, ast.Continue)):
            return True
    return False


def _walk_no_loops(node):
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if not isinstance(child, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
                todo.append(child)


def _assigned_names(stmts):
    out = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in out:
                out.append(node.id)
    return out


class NormalFunction:
    def __init__(self, name, params, body, out, allocator, local_names):
        self.name = name
        self.params = params
        self.body = body
        self.out = out  # name (or constant node) holding the returned value
        self.allocator = allocator
        self.local_names = local_names


def _is_global_chain(node, local_names):
    while isinstance(node, ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Name):
        return False
    return local_names is None or node.id not in local_names


class Normalizer:
    def __init__(self, parsed):
        self.parsed = parsed
        tree = parsed.tree
        self.tree = tree
        args = tree.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise UnsupportedError(
                "functions with *args, **kwargs, keyword-only or positional-only parameters are not supported",
                where=parsed.location(tree),
                hint="give the function plain positional parameters",
            )
        self.params = [a.arg for a in args.args]
        self.local_names = set(self.params)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.local_names.add(node.id)
        taken = all_names(tree) | set(parsed.cells) | {"_ad"}
        if "_ad" in all_names(tree):
            raise UnsupportedError("the name `_ad` is reserved for ad_compiler's runtime helpers",
                                   where=parsed.location(tree), hint="rename the variable")
        self.alloc = NameAllocator(taken)
        self.version = {p: p for p in self.params}
        self.body = []  # the block statements are emitted into
        self.loops = []
        self.local_functions = {}  # name -> (arguments, body statements) of nested defs and lambdas
        self.aliases = {}  # version of a variable assigned another variable's array (`y = x`) -> x
        self.inlining = []  # local functions being inlined (to refuse recursion)
        self.origin = None
        self.nograd = False
        self.out = None

    # -- helpers ---------------------------------------------------------------------------------
    def error(self, what, node, hint=None):
        raise UnsupportedError(f"{what} cannot be differentiated (yet)", where=self.parsed.location(node),
                               hint=hint or "rewrite this part, or move it out of the differentiated function")

    def emit(self, stmt, node):
        stmt.ad_origin = self.origin
        stmt.ad_node = node
        stmt.ad_nograd = self.nograd
        self.body.append(stmt)
        return stmt

    def assign(self, target, value, node):
        self.emit(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value), node)

    def define(self, name):
        """A new SSA version for an assignment to the user's variable `name`."""
        if name in self.version:
            new = self.alloc.fresh(name)
        else:
            new = name
            self.alloc.reserve(name)
        return new

    # -- statements ------------------------------------------------------------------------------
    def run(self):
        body = self.tree.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        top = self.body
        ending = self.block(body)
        if ending != "return" or RETURN not in self.version:
            self.error("a path through the function that does not `return` a value", self.tree,
                       hint="end every path with `return <value to differentiate>`")
        self.out = ast.Name(id=self.version[RETURN], ctx=ast.Load())
        return NormalFunction(self.tree.name, self.params, top, self.out, self.alloc, self.local_names)

    def block(self, stmts):
        """Normalize a block; returns how it ends: None (falls through), 'return', 'break' or 'continue'."""
        stmts = list(stmts)
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.Return):
                self.at(stmt, self.stmt_Return)
                return self.leave_loop_with_return(stmt) if self.loops else "return"
            if isinstance(stmt, _ReturnCurrent):  # the value was returned inside a loop just left
                return self.leave_loop_with_return(stmt.node) if self.loops else "return"
            if isinstance(stmt, ast.Continue):
                if not self.loops:
                    self.error("`continue` outside a loop", stmt)
                self.copy_back(self.loops[-1], stmt)
                return "continue"
            if isinstance(stmt, _EndOfIteration):
                self.copy_back(self.loops[-1], None)
                continue
            if isinstance(stmt, ast.Break):
                self.at(stmt, self.stmt_Break)
                return "break"
            if isinstance(stmt, ast.If) and _exits(stmt):
                return self.at(stmt, lambda s: self.stmt_If(s, stmts[i + 1:]))
            self.statement(stmt)
            if isinstance(stmt, (ast.For, ast.While)) and _returns_inside(stmt):
                # `return` inside the loop: it set a flag and broke out; the rest runs only if it did not
                flag = ast.Name(id=self.version[RETURNED], ctx=ast.Load())
                done = _ReturnCurrent()
                done.node = stmt
                return self.at(stmt, lambda s: self.branch(flag, [done], [], stmts[i + 1:], s))
        return None

    def leave_loop_with_return(self, node):
        """A return inside a loop: raise the `returned` flag and leave the loop (its value is in `out`)."""
        flag = self.alloc.fresh("returned")
        self.assign(flag, ast.Constant(value=True), node)
        self.version[RETURNED] = flag
        self.copy_back(self.loops[-1], node)
        self.emit(ast.Break(), node)
        return "break"

    def at(self, stmt, action):
        previous = self.origin
        self.origin = stmt if not self.nograd or previous is None else previous
        try:
            return action(stmt)
        finally:
            self.origin = previous

    def into(self, block):
        """Context manager: emit into `block` for a while."""
        normalizer = self

        class _Into:
            def __enter__(self):
                self.saved = normalizer.body
                normalizer.body = block

            def __exit__(self, *exc):
                normalizer.body = self.saved

        return _Into()

    def statement(self, stmt):
        def run(s):
            method = getattr(self, "stmt_" + type(s).__name__, None)
            if method is None:
                what = _NOT_YET.get(type(s), f"the statement `{type(s).__name__}`")
                self.error(what, s)
            method(s)

        self.at(stmt, run)

    # -- control flow ----------------------------------------------------------------------------
    def stmt_If(self, stmt, rest=()):
        test = self.atom(stmt.test)
        return self.branch(test, stmt.body, stmt.orelse, rest, stmt)

    def branch(self, test, body, orelse, rest, node):
        """Emit `if test: body + rest else: orelse + rest`, merging the variables the branches assign.
        Returns how the statement ends, as `block` does."""
        before = dict(self.version)
        results = []
        for stmts in (body, orelse):
            self.version = dict(before)
            block = []
            with self.into(block):
                ending = self.block(list(stmts) + list(rest))
            results.append([block, self.version, ending])
        falling = [r for r in results if r[2] not in ("break", "continue")]
        merged = dict(before)
        for var in dict.fromkeys(k for r in falling for k in r[1]):
            values = [r[1].get(var) for r in falling]
            if len(set(values)) == 1:
                if values[0] is not None:
                    merged[var] = values[0]
                continue
            name = self.alloc.fresh("out" if var == RETURN else var)
            for r in falling:
                if var in r[1]:
                    copy = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                      value=ast.Name(id=r[1][var], ctx=ast.Load()))
                    copy.ad_origin, copy.ad_node, copy.ad_nograd = self.origin, node, self.nograd
                    self._insert_before_exit(r[0], copy)
            merged[var] = name
        self.version = merged
        endings = {r[2] for r in results}
        stmt = ast.If(test=test, body=results[0][0] or [ast.Pass()], orelse=results[1][0])
        self.emit(stmt, node)
        return None if None in endings else ("return" if "return" in endings else "break")

    def _insert_before_exit(self, block, stmt):
        if block and isinstance(block[-1], ast.Break):
            block.insert(len(block) - 1, stmt)
        else:
            block.append(stmt)

    def stmt_Break(self, stmt):
        if not self.loops:
            self.error("`break` outside a loop", stmt)
        self.copy_back(self.loops[-1], stmt)
        self.emit(ast.Break(), stmt)

    def copy_back(self, loop, node):
        for var, name in loop.carried.items():
            current = self.version.get(var)
            if current is not None and current != name:
                self.assign(name, ast.Name(id=current, ctx=ast.Load()), node)
                self.body[-1].ad_origin = None  # bookkeeping, not a line of the user's

    def enter_loop(self, body, node, exclude=()):
        """Give every variable the body assigns a loop name, copied in before the loop."""
        carried = {}
        names = _assigned_names(body)
        if any(isinstance(n, ast.Return) for s in body for n in ast.walk(s)):
            names += [RETURN, RETURNED]  # a return inside: the value and the flag leave the loop
        for var in names:
            if var in exclude:
                continue
            name = self.alloc.fresh({RETURN: "out", RETURNED: "returned"}.get(var, var))
            if var == RETURNED and var not in self.version:
                self.assign(name, ast.Constant(value=False), node)
            elif var in self.version:
                self.assign(name, ast.Name(id=self.version[var], ctx=ast.Load()), node)
            else:
                self.assign(name, ast.Constant(value=None), node)
            self.version[var] = name
            carried[var] = name
        return Loop(carried)

    def loop_body(self, loop, stmts, node, prefix=None):
        block = []
        self.loops.append(loop)
        with self.into(block):
            if prefix:
                prefix()
            # the copy-back goes at the end of every path that completes the iteration (as part of the
            # statements moved into branches), so the adjoint sweep sees it under the same conditions
            self.block(list(stmts) + [_EndOfIteration()])
        self.loops.pop()
        for var, name in loop.carried.items():
            self.version[var] = name
        return block

    def stmt_For(self, stmt):
        if stmt.orelse:
            self.error("`for ... else`", stmt, hint="use a flag variable instead of the `else` clause")
        it = stmt.iter
        func = self.resolve(it.func) if isinstance(it, ast.Call) else None
        if func is range and isinstance(stmt.target, ast.Name) and not it.keywords:
            args = [self.atom(a) for a in it.args]
            # the user's variable is carried like any other: after a loop that did not run it keeps
            # its earlier value, as in Python
            index = self.alloc.fresh(stmt.target.id)
            loop = self.enter_loop(stmt.body + [ast.Assign(targets=[stmt.target], value=ast.Constant(0))], stmt)
            target = stmt.target

            def bind_index():
                self.bind_target(target, ast.Name(id=index, ctx=ast.Load()), stmt)

            block = self.loop_body(loop, stmt.body, stmt, prefix=bind_index)
            iterable = ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=args, keywords=[])
        else:
            enum = func is enumerate and len(it.args) == 1 and not it.keywords
            inner = it.args[0] if enum else it
            inner_func = self.resolve(inner.func) if isinstance(inner, ast.Call) else None
            zipped = inner_func is zip and inner.args and not inner.keywords
            sequences = [self.atom(a) for a in inner.args] if zipped else [self.atom(inner)]
            lengths = [self.emit_value(ast.Call(func=ast.Name(id="len", ctx=ast.Load()), args=[q], keywords=[]),
                                       stmt) for q in sequences]
            count = lengths[0] if len(lengths) == 1 else self.emit_value(
                ast.Call(func=ast.Name(id="min", ctx=ast.Load()), args=lengths, keywords=[]), stmt)
            loop = self.enter_loop(stmt.body + [ast.Assign(targets=[stmt.target], value=ast.Constant(0))], stmt)
            index = self.alloc.fresh("k")

            def bind_items():
                items = [ast.Subscript(value=q, slice=ast.Name(id=index, ctx=ast.Load()), ctx=ast.Load())
                         for q in sequences]
                value = ast.Tuple(elts=items, ctx=ast.Load()) if zipped else items[0]
                if enum:
                    value = ast.Tuple(elts=[ast.Name(id=index, ctx=ast.Load()), value], ctx=ast.Load())
                self.bind_pattern(stmt.target, value, stmt)

            block = self.loop_body(loop, stmt.body, stmt, prefix=bind_items)
            iterable = ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=[count], keywords=[])
        loop_stmt = ast.For(target=ast.Name(id=index, ctx=ast.Store()), iter=iterable, body=block or [ast.Pass()],
                            orelse=[])
        loop_stmt.ad_carried = list(loop.carried.values())
        self.emit(loop_stmt, stmt)

    def bind_pattern(self, target, value, node):
        """Bind a loop target (possibly nested tuples) to a value built from tuples of normalized items."""
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple):
            if len(target.elts) != len(value.elts):
                self.error("unpacking a loop item into a different number of names", target)
            for t, v in zip(target.elts, value.elts):
                self.bind_pattern(t, v, node)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target, value, node, normalized=True)
        else:
            self.bind_target(target, value, node)

    def emit_value(self, value, node):
        name = self.alloc.temp()
        self.assign(name, value, node)
        return ast.Name(id=name, ctx=ast.Load())

    def stmt_While(self, stmt):
        if stmt.orelse:
            self.error("`while ... else`", stmt, hint="use a flag variable instead of the `else` clause")
        loop = self.enter_loop(stmt.body, stmt)
        exit_test = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=stmt.test), body=[ast.Break()], orelse=[])
        ast.copy_location(exit_test, stmt)
        ast.fix_missing_locations(exit_test)
        block = self.loop_body(loop, [exit_test] + stmt.body, stmt)
        loop_stmt = ast.While(test=ast.Constant(value=True), body=block, orelse=[])
        loop_stmt.ad_carried = list(loop.carried.values())
        self.emit(loop_stmt, stmt)

    def stmt_FunctionDef(self, stmt):
        """A nested `def`: remembered, and inlined where it is called (it may read enclosing variables)."""
        if stmt.decorator_list:
            self.error("a decorated nested function", stmt)
        self.local_functions[stmt.name] = (stmt.args, stmt.body, stmt)

    def stmt_Pass(self, stmt):
        pass

    def stmt_Expr(self, stmt):
        value = stmt.value
        if isinstance(value, ast.Constant):
            return  # a bare string or number: no effect
        if type(value) in _EXPR_NOT_YET:
            self.error(_EXPR_NOT_YET[type(value)], value)
        if not isinstance(value, ast.Call):
            self.error("an expression statement that is not a call", stmt)
        call = self.call(value)
        self.emit(ast.Expr(value=call), value)

    def stmt_Assert(self, stmt):
        test = self.opaque(stmt.test)
        msg = self.opaque(stmt.msg) if stmt.msg is not None else None
        self.emit(ast.Assert(test=test, msg=msg), stmt)

    def stmt_Return(self, stmt):
        if stmt.value is None:
            self.error("`return` without a value", stmt, hint="return the value to differentiate")
        name = self.alloc.fresh("out")
        self.expr(stmt.value, target=name)
        self.version[RETURN] = name

    def stmt_Assign(self, stmt):
        targets = stmt.targets
        for t in targets:
            self.check_target(t)
        first = targets[0]
        if isinstance(stmt.value, ast.Lambda) and len(targets) == 1 and isinstance(first, ast.Name):
            lam = stmt.value
            self.local_functions[first.id] = (lam.args, [ast.copy_location(ast.Return(value=lam.body), lam.body)],
                                              lam)
            return
        if isinstance(first, ast.Subscript):
            value = self.atom(stmt.value)
            self.store_item(first, value, stmt)
        elif isinstance(first, ast.Name):
            new = self.define(first.id)
            value = self.expr(stmt.value, target=new)
            self.version[first.id] = new
            if isinstance(stmt.value, ast.Name) and stmt.value.id in self.local_names:
                self.aliases[new] = stmt.value.id  # `y = x`: one array under two names
        else:
            value = self.unpack(first, stmt.value, stmt)
        for t in targets[1:]:
            self.bind_target(t, value, stmt)

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
            if not (isinstance(t.value, ast.Name) and t.value.id in self.local_names):
                self.error("assignment into something other than a local array", t,
                           hint="assign into a local variable: `y = x.copy(); y[i] = v`")
            return
        if isinstance(t, ast.Attribute):
            self.error("assignment to an attribute", t)
        self.error(f"assignment to {type(t).__name__}", t)

    def unpack(self, target, value_node, stmt, normalized=False):
        """`a, b = ...`: pairwise for a literal right-hand side, else by indexing."""
        if not normalized and isinstance(value_node, (ast.Tuple, ast.List)) \
                and len(value_node.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in value_node.elts):
            atoms = [self.atom(e) for e in value_node.elts]  # evaluate all before assigning any
            for t, a in zip(target.elts, atoms):
                self.bind_target(t, a, stmt)
            return ast.Tuple(elts=atoms, ctx=ast.Load())
        if normalized:
            source = value_node
            if not isinstance(source, ast.Name):
                temp = self.alloc.temp()
                self.assign(temp, source, stmt)
                source = ast.Name(id=temp, ctx=ast.Load())
        else:
            source = self.atom(value_node)
        for i, t in enumerate(target.elts):
            item = ast.Subscript(value=source, slice=ast.Constant(value=i), ctx=ast.Load())
            self.bind_target(t, item, stmt)
        return source

    def store_item(self, target, value, stmt):
        """`y[index] = value`, an in-place update of the local array y."""
        base = self.load(target.value)
        self.check_not_alias(base, target)
        index = self.index(target.slice)
        self.emit(ast.Assign(targets=[ast.Subscript(value=base, slice=index, ctx=ast.Store())], value=value), stmt)

    def check_not_alias(self, base, node):
        if base.id in self.aliases:
            other = self.aliases[base.id]
            self.error(f"an in-place update of `{node.value.id}`, which is the same array as `{other}` "
                       f"(assigned by `{node.value.id} = {other}`)", node,
                       hint=f"make a copy first: `{node.value.id} = {other}.copy()`; updating one array "
                            "under two names would give a wrong gradient")

    def bind_target(self, t, value, stmt):
        """Assign an already-normalized value to a target (name or nested tuple)."""
        if isinstance(t, ast.Subscript):
            if not isinstance(value, (ast.Name, ast.Constant)):
                value = self.emit_value(value, stmt)
            self.store_item(t, value, stmt)
        elif isinstance(t, ast.Name):
            new = self.define(t.id)
            self.assign(new, value, stmt)
            self.version[t.id] = new
        else:
            self.unpack(t, value, stmt, normalized=True)

    def stmt_AugAssign(self, stmt):
        self.check_target(stmt.target)
        if isinstance(stmt.target, ast.Subscript):
            right = self.atom(stmt.value)
            base = self.load(stmt.target.value)
            self.check_not_alias(base, stmt.target)
            index = self.index(stmt.target.slice)
            old = self.emit_value(ast.Subscript(value=base, slice=index, ctx=ast.Load()), stmt)
            new = self.emit_value(ast.BinOp(left=old, op=stmt.op, right=right), stmt)
            self.emit(ast.Assign(targets=[ast.Subscript(value=base, slice=index, ctx=ast.Store())], value=new), stmt)
            return
        name = stmt.target.id
        left = self.load(ast.Name(id=name, ctx=ast.Load()))
        right = self.atom(stmt.value)
        new = self.define(name)
        self.assign(new, ast.BinOp(left=left, op=stmt.op, right=right), stmt)
        self.version[name] = new

    def stmt_With(self, stmt):
        if len(stmt.items) != 1 or stmt.items[0].optional_vars is not None or not self.is_no_grad(
                stmt.items[0].context_expr):
            self.error("a `with` block other than `with ad.no_grad():`", stmt)
        saved = self.nograd
        self.nograd = True
        try:
            for s in stmt.body:
                if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
                    self.error("leaving a `with ad.no_grad():` block early", s,
                               hint="move the return/break after the block")
                self.statement(s)
        finally:
            self.nograd = saved

    def is_no_grad(self, node):
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            return self.resolve(node.func) is markers.no_grad
        return False

    def resolve(self, node):
        """The object a global chain (`np.linalg.norm`) refers to, or None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in self.local_names:
            return None
        found, obj = self.parsed.lookup(node.id)
        if not found:
            return None
        for p in reversed(parts):
            try:
                obj = getattr(obj, p)
            except AttributeError:
                return None
        return obj

    # -- expressions -----------------------------------------------------------------------------
    def load(self, node):
        if node.id in self.local_names:
            return ast.Name(id=self.version.get(node.id, node.id), ctx=ast.Load())
        return ast.Name(id=node.id, ctx=ast.Load())

    def atom(self, node):
        """Evaluate `node` into an atom, emitting statements for its operations."""
        if isinstance(node, ast.Name):
            return self.load(node)
        if isinstance(node, ast.Constant):
            return ast.Constant(value=node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and isinstance(node.operand.value, (int, float, complex)):
            v = node.operand.value
            return ast.Constant(value=-v if isinstance(node.op, ast.USub) else v)
        if _is_global_chain(node, self.local_names):
            return _copy_chain(node)
        return self.expr(node, target=None)

    def expr(self, node, target):
        """Emit `target = <node>` as core statements; returns the atom holding the value.

        With target None, a temporary is named after the operands are evaluated (so t1, t2, ... count up
        in the order the statements appear)."""
        if isinstance(node, ast.Name) or isinstance(node, ast.Constant) or _is_global_chain(node, self.local_names) \
                or (isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
                    and isinstance(node.op, (ast.USub, ast.UAdd))):
            value = self.atom(node)
        elif isinstance(node, ast.BoolOp):
            # `a and b` is `b if a else a`; `a or b` is `a if a else b` (each operand evaluated as Python does)
            first, rest = node.values[0], node.values[1:]
            tail = rest[0] if len(rest) == 1 else ast.BoolOp(op=node.op, values=rest)
            if target is None:
                target = self.alloc.temp()
            a = self.atom(first)
            then, other = (tail, a) if isinstance(node.op, ast.And) else (a, tail)
            return self.conditional(a, then, other, target, node)
        elif isinstance(node, ast.IfExp):
            if target is None:
                target = self.alloc.temp()
            return self.conditional(self.atom(node.test), node.body, node.orelse, target, node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.local_functions:
            value = self.inline(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Lambda):
            self.local_functions["<lambda>"] = (node.func.args, [ast.copy_location(ast.Return(value=node.func.body),
                                                                                    node.func.body)], node.func)
            value = self.inline(ast.Call(func=ast.Name(id="<lambda>", ctx=ast.Load()), args=node.args,
                                         keywords=node.keywords))
        elif isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            if target is None:
                target = self.alloc.temp()
            self.comprehension(node, target)
            return ast.Name(id=target, ctx=ast.Load())
        else:
            value = self.operation(node)
        if target is None:
            target = self.alloc.temp()
        self.assign(target, value, node)
        return ast.Name(id=target, ctx=ast.Load())

    def inline(self, call):
        """Inline a call of a nested function or lambda: its parameters and variables get fresh names, its
        free variables read the enclosing function's current values (Python's late binding)."""
        fname = call.func.id
        args, body, node = self.local_functions[fname]
        if fname in self.inlining:
            self.error("a recursive nested function", call, hint="define the recursive function at module level")
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            self.error("a nested function with *args, **kwargs or keyword-only parameters", call)
        params = [a.arg for a in args.args]
        defaults = dict(zip(params[len(params) - len(args.defaults):], args.defaults))
        values = {}
        if len(call.args) > len(params):
            self.error(f"calling `{fname}` with too many arguments", call)
        for p, a in zip(params, call.args):
            if isinstance(a, ast.Starred):
                self.error("`*args` in a call", a)
            values[p] = self.atom(a)
        for k in call.keywords:
            if k.arg not in params or k.arg in values:
                self.error(f"calling `{fname}` with the keyword `{k.arg}`", call)
            values[k.arg] = self.atom(k.value)
        for p in params:
            if p not in values:
                if p not in defaults:
                    self.error(f"calling `{fname}` without its argument `{p}`", call)
                values[p] = self.atom(defaults[p])
        local = set(params) | set(_assigned_names(body))
        renames = {n: self.alloc.fresh(f"{n}") for n in sorted(local)}
        self.local_names |= set(renames.values())
        body = [_rename(copy.deepcopy(s), renames) for s in body]
        saved_version, saved_loops = dict(self.version), self.loops
        saved_return = self.version.pop(RETURN, None)
        self.loops = []
        self.inlining.append(fname)
        try:
            for p in params:
                self.assign(renames[p], values[p], call)
                self.version[renames[p]] = renames[p]
            ending = self.block(body)
            if ending != "return" or RETURN not in self.version:
                self.error(f"a path through `{fname}` that does not return a value", node)
            result = self.version[RETURN]
        finally:
            self.inlining.pop()
            self.loops = saved_loops
        self.version = saved_version
        if saved_return is not None:
            self.version[RETURN] = saved_return
        return ast.Name(id=result, ctx=ast.Load())

    def comprehension(self, node, target):
        """`[e for x in xs if c]` (or a generator) as a loop appending to the list `target`."""
        renames = {}
        for gen in node.generators:
            if gen.is_async:
                self.error("async comprehensions", node)
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    renames[n.id] = self.alloc.fresh(n.id)
        self.local_names |= set(renames.values()) | {target}
        self.assign(target, ast.List(elts=[], ctx=ast.Load()), node)
        append = ast.Expr(value=ast.Call(func=ast.Attribute(value=ast.Name(id=target, ctx=ast.Load()), attr="append",
                                                            ctx=ast.Load()), args=[node.elt], keywords=[]))
        inner = [append]
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                inner = [ast.If(test=cond, body=inner, orelse=[])]
            inner = [ast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[])]
        loop = inner[0]
        # the first iterable is evaluated in the enclosing scope; everything else sees the renamed variables
        first_iter = loop.iter
        loop = _rename(copy.deepcopy(loop), renames)
        loop.iter = first_iter
        ast.copy_location(loop, node)
        ast.fix_missing_locations(loop)
        self.statement(loop)

    def conditional(self, test, then, other, target, node):
        """`target = then if test else other`, as an `if` statement (only the branch taken is evaluated)."""
        blocks = []
        for e in (then, other):
            block = []
            with self.into(block):
                if isinstance(e, ast.AST) and not isinstance(e, (ast.Name, ast.Constant)) or isinstance(e, ast.Name) \
                        and e.id in self.local_names:
                    self.expr(e, target)
                else:
                    self.assign(target, e, node)
            blocks.append(block)
        self.emit(ast.If(test=test, body=blocks[0], orelse=blocks[1]), node)
        return ast.Name(id=target, ctx=ast.Load())

    def operation(self, node):
        kind = type(node)
        if kind in _EXPR_NOT_YET:
            self.error(_EXPR_NOT_YET[kind], node)
        if isinstance(node, ast.BinOp):
            return ast.BinOp(left=self.atom(node.left), op=node.op, right=self.atom(node.right))
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(op=node.op, operand=self.atom(node.operand))
        if isinstance(node, ast.Compare):
            return ast.Compare(left=self.atom(node.left), ops=node.ops,
                               comparators=[self.atom(c) for c in node.comparators])
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            return ast.Attribute(value=self.atom(node.value), attr=node.attr, ctx=ast.Load())
        if isinstance(node, ast.Subscript):
            return ast.Subscript(value=self.atom(node.value), slice=self.index(node.slice), ctx=ast.Load())
        if isinstance(node, (ast.Tuple, ast.List)):
            return type(node)(elts=[self.literal_item(e) for e in node.elts], ctx=ast.Load())
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                self.error("`**` in a dict literal", node)
            return ast.Dict(keys=[self.atom(k) for k in node.keys], values=[self.atom(v) for v in node.values])
        if isinstance(node, ast.JoinedStr):
            return self.opaque(node)
        self.error(f"the expression `{type(node).__name__}`", node)

    def literal_item(self, node):
        if isinstance(node, ast.Starred):
            self.error("starred expressions", node)
        return self.atom(node)

    def opaque(self, node):
        """A non-differentiable expression kept whole (f-strings, `and`/`or`): only renames locals."""
        for sub in ast.walk(node):
            if type(sub) in _EXPR_NOT_YET:
                self.error(_EXPR_NOT_YET[type(sub)], sub)
        return _Renamer(self).visit(copy.deepcopy(node))

    def index(self, node):
        if isinstance(node, ast.Tuple):
            return ast.Tuple(elts=[self.index_item(e) for e in node.elts], ctx=ast.Load())
        return self.index_item(node)

    def index_item(self, node):
        if isinstance(node, ast.Slice):
            return ast.Slice(lower=self.atom(node.lower) if node.lower else None,
                             upper=self.atom(node.upper) if node.upper else None,
                             step=self.atom(node.step) if node.step else None)
        return self.atom(node)

    def call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS and func.id not in self.local_names:
            self.error(f"`{func.id}(...)`", node, hint="dynamic code cannot be read by a source-to-source compiler")
        if _is_global_chain(func, self.local_names) or (isinstance(func, ast.Name)):
            new_func = _copy_chain(func) if not isinstance(func, ast.Name) else self.load(func)
        elif isinstance(func, ast.Attribute):
            new_func = ast.Attribute(value=self.atom(func.value), attr=func.attr, ctx=ast.Load())
        else:
            self.error("calling the result of an expression", node, hint="assign the function to a name first")
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.error("`*args` in a call", a, hint="pass the arguments one by one")
            args.append(self.call_arg(a))
        keywords = []
        for k in node.keywords:
            if k.arg is None:
                self.error("`**kwargs` in a call", k.value, hint="pass the keyword arguments one by one")
            keywords.append(ast.keyword(arg=k.arg, value=self.call_arg(k.value)))
        return ast.Call(func=new_func, args=args, keywords=keywords)

    def call_arg(self, node):
        if isinstance(node, (ast.Tuple, ast.List)):
            return type(node)(elts=[self.call_arg(e) for e in node.elts], ctx=ast.Load())
        return self.atom(node)


def _rename(node, renames):
    class R(ast.NodeTransformer):
        def visit_Name(self, n):
            if n.id in renames:
                return ast.copy_location(ast.Name(id=renames[n.id], ctx=n.ctx), n)
            return n

    return R().visit(node)


class _Renamer(ast.NodeTransformer):
    def __init__(self, normalizer):
        self.n = normalizer

    def visit_Name(self, node):
        return self.n.load(node) if isinstance(node.ctx, ast.Load) else node


def _copy_chain(node):
    if isinstance(node, ast.Attribute):
        return ast.Attribute(value=_copy_chain(node.value), attr=node.attr, ctx=ast.Load())
    return ast.Name(id=node.id, ctx=ast.Load())


def normalize(parsed):
    return Normalizer(parsed).run()
