"""Pass 4, reverse: build the derivative function from the core statements.

The generated function runs the *forward sweep* (the original statements) and then the *adjoint sweep*:
the active statements in reverse order, each replaced by its derivative rule applied to the adjoint of
its result. The adjoint of a value `x` is named `bx`. Its first contribution is assigned
(`bx = ...`), later ones added (`bx = bx + ...`); no zeros are created just to be added to.
Contributions to arguments that are not active (constants, arguments not in `wrt`) are never emitted.
Each adjoint block is headed by a comment naming the user's source line it comes from.
"""
import ast
import sys

from .analysis import operand_names

MODES = ("grad", "value_and_grad", "vjp")


class Comment:
    """A comment line in generated code (kept as a marker statement until codegen writes it as `# ...`)."""

    def __init__(self, text):
        self.text = text

    def node(self):
        stmt = ast.Expr(value=ast.Constant(value=self))
        return stmt


def is_comment(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, Comment)


def name(id_):
    return ast.Name(id=id_, ctx=ast.Load())


def store(id_):
    return ast.Name(id=id_, ctx=ast.Store())


def ad_call(helper, *args):
    return ast.Call(func=ast.Attribute(value=name("_ad"), attr=helper, ctx=ast.Load()), args=list(args), keywords=[])


class Reverse:
    def __init__(self, parsed, fn, activity, wrt, mode, libs, func_name):
        self.parsed = parsed
        self.fn = fn
        self.act = activity
        self.wrt = list(wrt)
        self.mode = mode
        self.libs = libs  # {'np': expr, 'math': expr}
        self.func_name = func_name
        self.alloc = fn.allocator
        self.adj = {}  # primal name -> name of its adjoint so far
        self.owned = set()  # adjoints created here as fresh zeros (safe to update in place)
        self.out = []
        self.current_origin = None

    # -- emission --------------------------------------------------------------------------------
    def emit(self, stmt, origin):
        if origin is not self.current_origin:
            self.current_origin = origin
            if origin is not None:
                line = self.parsed.file_line(origin)
                self.out.append(Comment(f"adjoint of: {self.parsed.statement_text(origin)}   (line {line})").node())
        self.out.append(stmt)

    def adjoint_name(self, primal):
        return self.alloc.fresh("b" + primal)

    def accumulate(self, primal, expr, origin):
        """Add the contribution `expr` to the adjoint of `primal`."""
        if primal not in self.adj:
            b = self.adjoint_name(primal)
            self.adj[primal] = b
            self.emit(ast.Assign(targets=[store(b)], value=expr), origin)
        else:
            b = self.adj[primal]
            self.owned.discard(b)
            self.emit(ast.Assign(targets=[store(b)], value=ast.BinOp(left=name(b), op=ast.Add(), right=expr)), origin)

    def contribute(self, operand, expr, origin):
        """Route a rule's contribution for one operand (an atom, or a list/tuple literal of atoms)."""
        if isinstance(operand, ast.Name):
            if self.act.active(operand.id):
                self.accumulate(operand.id, expr, origin)
            return
        if isinstance(operand, (ast.Tuple, ast.List)):
            targets = [(i, e) for i, e in enumerate(operand.elts) if operand_names(e) & self.act.varied]
            if not targets:
                return
            if not isinstance(expr, ast.Name):
                temp = self.alloc.temp()
                self.emit(ast.Assign(targets=[store(temp)], value=expr), origin)
                expr = name(temp)
            for i, e in targets:
                self.contribute(e, ast.Subscript(value=expr, slice=ast.Constant(value=i), ctx=ast.Load()), origin)

    # -- the sweeps ------------------------------------------------------------------------------
    def run(self):
        fn = self.fn
        body = [Comment("forward").node()] + [s for s in fn.body]
        params = list(fn.params)
        out = fn.out
        seed = None
        if isinstance(out, ast.Name):
            seed = self.alloc.fresh("b" + out.id)
            if self.mode == "vjp":
                params.append(seed)
                body.append(ast.Assign(targets=[store(seed)], value=ad_call("vjp_seed", name(seed), name(out.id))))
            else:
                body.append(ast.Assign(targets=[store(seed)], value=ad_call("grad_seed", name(out.id))))
            if self.act.active(out.id) or out.id in self.wrt:
                self.adj[out.id] = seed
        for stmt in reversed(fn.body):
            if isinstance(stmt, ast.Assign):
                target = stmt.targets[0].id
                if target in self.adj and (self.act.active(target)):
                    self.adjoint_of(stmt, name(self.adj[target]))
        body.extend(self.out)
        grads = []
        for w in self.wrt:
            if w in self.adj:
                grads.append((name(self.adj[w]), name(w)))
            else:
                grads.append((ad_call("zeros_like", name(w)), None))
        if len(grads) == 1 and not self.multi:
            b, w = grads[0]
            result = ad_call("as_grad", b, w) if w is not None else b
        else:
            result = ad_call("as_grads", ast.Tuple(elts=[b for b, _ in grads], ctx=ast.Load()),
                             ast.Tuple(elts=[name(w_) for w_ in self.wrt], ctx=ast.Load()))
        if self.mode == "value_and_grad":
            result = ast.Tuple(elts=[name(out.id) if isinstance(out, ast.Name) else out, result], ctx=ast.Load())
        body.append(ast.Return(value=result))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])
        fdef = ast.FunctionDef(name=self.func_name, args=args, body=body, decorator_list=[], returns=None)
        if sys.version_info >= (3, 12):
            fdef.type_params = []
        return fdef

    def adjoint_of(self, stmt, g):
        origin = stmt.ad_origin
        target = stmt.targets[0].id
        kind = stmt.ad_kind
        if kind == "copy":
            self.contribute(stmt.value, g, origin)
        elif kind == "rule":
            self.apply_rule(stmt, g)
        elif kind == "getitem":
            self.getitem(stmt, g)

    def apply_rule(self, stmt, g):
        rule = stmt.ad_rule
        bound = stmt.ad_bound
        wanted = {p for p, v in bound.items() if operand_names(v) & self.act.varied and rule.differentiable(p)}
        if not wanted:
            return
        temps, contributions = rule.instantiate(bound, g, name(stmt.targets[0].id), wanted,
                                                lambda hint: self.alloc.fresh(hint), self.libs)
        for t in temps:
            self.emit(t, stmt.ad_origin)
        for p in rule.params:
            if p in contributions:
                self.contribute(bound[p], contributions[p], stmt.ad_origin)

    def getitem(self, stmt, g):
        value = stmt.value.value
        if not (isinstance(value, ast.Name) and value.id in self.act.varied):
            return
        x = value.id
        index = stmt.value.slice
        origin = stmt.ad_origin
        if x in self.adj and self.adj[x] in self.owned:
            b = self.adj[x]
            if _is_static_basic(index):
                self.emit(ast.AugAssign(target=ast.Subscript(value=name(b), slice=index, ctx=ast.Store()),
                                        op=ast.Add(), value=g), origin)
            else:
                self.emit(ast.Expr(value=ad_call("add_at", name(b), _index_value(index), g)), origin)
            return
        if x in self.adj:
            self.accumulate(x, ad_call("getitem_vjp", g, name(x), _index_value(index)), origin)
            return
        b = self.adjoint_name(x)
        self.adj[x] = b
        self.owned.add(b)
        if _is_static_basic(index):
            self.emit(ast.Assign(targets=[store(b)], value=ad_call("zeros_like", name(x))), origin)
            self.emit(ast.Assign(targets=[ast.Subscript(value=name(b), slice=index, ctx=ast.Store())], value=g),
                      origin)
        else:
            self.emit(ast.Assign(targets=[store(b)], value=ad_call("getitem_vjp", g, name(x), _index_value(index))),
                      origin)


def _is_static_basic(index):
    items = index.elts if isinstance(index, ast.Tuple) else [index]
    for i in items:
        if isinstance(i, ast.Slice):
            continue
        if isinstance(i, ast.Constant) and (i.value is None or i.value is Ellipsis or
                                            (isinstance(i.value, int) and not isinstance(i.value, bool))):
            continue
        return False
    return True


def _index_value(index):
    """An index as an ordinary expression (slices become `slice(...)` calls)."""
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=ast.Load())
    if isinstance(index, ast.Slice):
        parts = [index.lower, index.upper, index.step]
        args = [p if p is not None else ast.Constant(value=None) for p in parts]
        while len(args) > 1 and isinstance(args[-1], ast.Constant) and args[-1].value is None:
            args.pop()
        return ast.Call(func=name("slice"), args=args, keywords=[])
    return index


def reverse(parsed, fn, activity, wrt, mode, libs, func_name, multi):
    r = Reverse(parsed, fn, activity, wrt, mode, libs, func_name)
    r.multi = multi
    return r.run()
