"""Pass 2, normalize: desugar the function into a simple core, one operation per statement.

This is also the single validation pass: whatever it accepts, the later passes support; anything else
raises an `UnsupportedError` pointing at the construct.

The core (every operand an *atom*: a local name, a constant, or a global like `np.pi`):

    name = atom                          name = atom <op> atom          name = -atom
    name = f(atom, [atom, ...], k=atom)  name = atom.method(...)        name = atom.attr
    name = atom[index]                   name = (atom, ...)             name = atom < atom  (constant)
    f(...)                               (a call kept for its side effects, e.g. print)
    return atom

Names are in SSA form: a name assigned twice gets a new version (`h`, then `h_1`), so every value the
adjoint sweep reads is still available. Augmented assignments become plain ones (`s += x` -> `s_1 = s + x`).
Each statement remembers the user statement it came from (`ad_origin`) and the expression (`ad_node`)
errors should point at; statements inside `with ad.no_grad():` carry `ad_nograd = True`.
"""
import ast

from . import markers
from .errors import UnsupportedError
from .naming import NameAllocator, all_names

_NOT_YET = {
    ast.If: "`if` statements", ast.For: "`for` loops", ast.While: "`while` loops", ast.Break: "`break`",
    ast.Continue: "`continue`", ast.Try: "`try` blocks", ast.Raise: "`raise`", ast.Delete: "`del`",
    ast.FunctionDef: "nested `def`", ast.AsyncFunctionDef: "nested `async def`", ast.ClassDef: "class definitions",
    ast.Global: "`global`", ast.Nonlocal: "`nonlocal`", ast.Import: "`import` inside the function",
    ast.ImportFrom: "`import` inside the function",
}
_EXPR_NOT_YET = {
    ast.Lambda: "lambda", ast.ListComp: "list comprehensions", ast.GeneratorExp: "generator expressions",
    ast.DictComp: "dict comprehensions", ast.SetComp: "set comprehensions", ast.IfExp: "conditional expressions",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield from", ast.NamedExpr: "the walrus operator",
    ast.Starred: "starred expressions", ast.Dict: "dict literals", ast.Set: "set literals",
}
_FORBIDDEN_CALLS = {"exec", "eval", "globals", "locals", "vars", "setattr", "delattr"}


class NormalFunction:
    def __init__(self, name, params, body, out, allocator, local_names):
        self.name = name
        self.params = params
        self.body = body
        self.out = out  # name (or constant node) holding the returned value
        self.allocator = allocator
        self.local_names = local_names


def is_atom(node):
    return isinstance(node, (ast.Name, ast.Constant)) or _is_global_chain(node, None)


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
        self.body = []
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
        self.block(body)
        if self.out is None:
            self.error("a function without `return`", self.tree, hint="return the value to differentiate")
        return NormalFunction(self.tree.name, self.params, self.body, self.out, self.alloc, self.local_names)

    def block(self, stmts):
        for stmt in stmts:
            if self.out is not None:
                self.error("code after `return`", stmt, hint="remove the unreachable statements")
            self.statement(stmt)

    def statement(self, stmt):
        previous = self.origin
        if not self.nograd or previous is None:
            self.origin = stmt
        try:
            method = getattr(self, "stmt_" + type(stmt).__name__, None)
            if method is None:
                what = _NOT_YET.get(type(stmt), f"the statement `{type(stmt).__name__}`")
                self.error(what, stmt)
            method(stmt)
        finally:
            self.origin = previous if self.nograd else self.origin

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
        self.out = self.expr(stmt.value, target=self.alloc.fresh("out"))

    def stmt_Assign(self, stmt):
        targets = stmt.targets
        for t in targets:
            self.check_target(t)
        first = targets[0]
        if isinstance(first, ast.Name):
            new = self.define(first.id)
            value = self.expr(stmt.value, target=new)
            self.version[first.id] = new
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
            self.error("assignment to an element or slice (`x[i] = ...`)", t,
                       hint="in-place updates arrive with the control-flow release; build the array with "
                            "np.concatenate / np.stack / np.where instead")
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

    def bind_target(self, t, value, stmt):
        """Assign an already-normalized value to a target (name or nested tuple)."""
        if isinstance(t, ast.Name):
            new = self.define(t.id)
            self.assign(new, value, stmt)
            self.version[t.id] = new
        else:
            self.unpack(t, value, stmt, normalized=True)

    def stmt_AugAssign(self, stmt):
        if not isinstance(stmt.target, ast.Name):
            self.check_target(stmt.target)
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
                self.origin = s
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
        else:
            value = self.operation(node)
        if target is None:
            target = self.alloc.temp()
        self.assign(target, value, node)
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
        if isinstance(node, ast.BoolOp):
            return self.opaque(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            return ast.Attribute(value=self.atom(node.value), attr=node.attr, ctx=ast.Load())
        if isinstance(node, ast.Subscript):
            return ast.Subscript(value=self.atom(node.value), slice=self.index(node.slice), ctx=ast.Load())
        if isinstance(node, (ast.Tuple, ast.List)):
            return type(node)(elts=[self.literal_item(e) for e in node.elts], ctx=ast.Load())
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
        renamer = _Renamer(self)
        import copy as _copy
        return renamer.visit(_copy.deepcopy(node))

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
