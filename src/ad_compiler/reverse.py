"""Pass 4, reverse: build the derivative function from the core statements.

The generated function runs the *forward sweep* (the original statements) and then the *adjoint sweep*:
the statements in reverse order, each active one replaced by its derivative rule applied to the adjoint
of its result. The adjoint of a value `x` is named `bx`. Its first contribution is assigned
(`bx = ...`), later ones added; no zeros are created just to be added to (except where control flow needs
one variable on every path: accumulators of loops and branches). Contributions to operands that are not
active are never emitted. Each adjoint block is headed by a comment naming the user's source line.

Control flow: the adjoint of `if c:` is `if c:` over the branches' adjoints; the adjoint of a loop is a
loop running backwards. Values a loop overwrites are restored while the adjoint sweep walks back:
before an overwrite the forward sweep pushes the old value on a tape, and the adjoint pops it right after
the adjoint of that assignment. Only values the adjoint sweep actually reads are saved (decided after
the adjoint is built); a value read only for its shape is saved as its shape; a loop variable's
end-of-iteration value is recovered from the next iteration instead of being saved; cheap reads of
loop-invariant arrays (`xs[t]`) are recomputed instead of saved.
"""
import ast
import sys

from . import shapes
from .analysis import defines, grow_names, operand_names, target_name, walk_statements
from .shapes import SHAPE_ONLY



class Comment:
    """A comment line in generated code (kept as a marker statement until codegen writes it as `# ...`)."""

    def __init__(self, text):
        self.text = text

    def node(self):
        return ast.Expr(value=ast.Constant(value=self))


def is_comment(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, Comment)


class Marker(ast.stmt):
    """Placeholders resolved once the whole adjoint is known: Restore(name), Recover(name, source),
    Recompute(stmt), RestoreItem(array, index)."""

    _fields = ()

    def __init__(self, kind, name=None, source=None, stmt=None):
        super().__init__()
        self.kind, self.name, self.source, self.stmt = kind, name, source, stmt


def name(id_):
    return ast.Name(id=id_, ctx=ast.Load())


def store(id_):
    return ast.Name(id=id_, ctx=ast.Store())


def ad_call(helper, *args):
    return ast.Call(func=ast.Attribute(value=name("_ad"), attr=helper, ctx=ast.Load()), args=list(args), keywords=[])


def assign(target, value):
    return ast.Assign(targets=[store(target)], value=value)


class Reverse:
    def __init__(self, parsed, fn, activity, wrt, mode, libs, func_name, multi=False, linker=None):
        self.linker = linker  # callable(function, active params) -> name of its derivative function
        self.callee_vjp = {}  # id(statement) -> name of the backward function its forward returned
        self.parsed = parsed
        self.fn = fn
        self.act = activity
        self.wrt = list(wrt)
        self.mode = mode
        self.libs = libs  # {'np': expr, 'math': expr}
        self.func_name = func_name
        self.alloc = fn.allocator
        self.adj_names = {}  # primal name -> its adjoint variable (one per primal, stable)
        self.live = set()  # primal names whose adjoint variable currently holds a value
        self.owned = set()  # primal names whose adjoint is a fresh array of ours (safe to update in place)
        self.out = []
        self.current_origin = None
        self.loop_defined = set()  # names assigned inside loops (overwritten: may need saving)
        self.loop_indices = set()
        self.recoverable = {}  # name -> loop name it can be recovered from
        self.recomputable = {}  # name -> statement recomputing it
        self.tape = None
        self.counters = {}  # id(loop) -> counter name
        self.nested_counters = {}  # the counters of loops inside loops (saved per outer iteration)
        self.multi = multi  # wrt given as a tuple: return a tuple of gradients

    # -- bookkeeping -----------------------------------------------------------------------------
    def adj(self, primal):
        if primal not in self.adj_names:
            self.adj_names[primal] = self.alloc.fresh("b" + primal)
        return self.adj_names[primal]

    def emit(self, stmt, origin):
        if origin is not None and origin is not self.current_origin:
            self.current_origin = origin
            line = self.parsed.file_line(origin)
            self.out.append(Comment(f"adjoint of: {self.parsed.statement_text(origin)}   (line {line})").node())
        self.out.append(stmt)

    def accumulate(self, primal, expr, origin):
        """Add the contribution `expr` to the adjoint of `primal`."""
        b = self.adj(primal)
        if primal in self.containers and primal in self.live:
            self.emit(assign(b, ad_call("add", name(b), expr)), origin)
            return
        if primal not in self.live:
            self.live.add(primal)
            self.emit(assign(b, expr), origin)
            self.owned.discard(primal)  # it may be another adjoint (or the seed) under a second name
        elif primal in self.owned and self.in_loop:
            self.emit(ast.AugAssign(target=store(b), op=ast.Add(), value=expr), origin)
        else:
            self.emit(assign(b, ast.BinOp(left=name(b), op=ast.Add(), right=expr)), origin)
            self.owned.add(primal)

    def contribute(self, operand, expr, origin):
        """Route a rule's contribution for one operand (an atom, or a list/tuple literal of atoms)."""
        if isinstance(operand, ast.Name):
            if self.act.active(operand.id):
                self.accumulate(operand.id, expr, origin)
            return
        if isinstance(operand, (ast.Tuple, ast.List)):
            items = [(ast.Constant(value=i), e) for i, e in enumerate(operand.elts)]
        elif isinstance(operand, ast.Dict):
            items = list(zip(operand.keys, operand.values))
        else:
            return
        targets = [(k, e) for k, e in items if operand_names(e) & self.act.varied]
        if not targets:
            return
        if not isinstance(expr, ast.Name):
            temp = self.alloc.temp()
            self.emit(assign(temp, expr), origin)
            expr = name(temp)
        for k, e in targets:
            self.contribute(e, ast.Subscript(value=expr, slice=k, ctx=ast.Load()), origin)

    def ensure(self, primal, origin, owned=False):
        """Make the adjoint of `primal` hold a value (zeros if nothing yet), optionally one we own."""
        if primal not in self.live:
            self.live.add(primal)
            self.owned.add(primal)
            self.emit(assign(self.adj(primal), ad_call("zeros_like", name(primal))), origin)
        elif owned and primal not in self.owned:
            self.owned.add(primal)
            self.emit(assign(self.adj(primal), ad_call("owned_copy", name(self.adj(primal)), name(primal))), origin)

    # -- analysis of the body ----------------------------------------------------------------------
    def scan_loops(self, stmts, depth=0):
        for stmt in stmts:
            if isinstance(stmt, (ast.For, ast.While)):
                if isinstance(stmt, ast.For):
                    self.loop_indices.add(stmt.target.id)
                self.scan_loops(stmt.body, depth + 1)
                self.loops.append(stmt)
            elif isinstance(stmt, ast.If):
                self.scan_loops(stmt.body, depth)
                self.scan_loops(stmt.orelse, depth)
            elif isinstance(stmt, ast.Assign):
                if getattr(stmt, "ad_kind", None) == "callee" and self.act.active(target_name(stmt)):
                    self.callee_vjp[id(stmt)] = self.alloc.fresh(target_name(stmt) + "_back")
                    if depth > 0:
                        self.loop_defined.add(self.callee_vjp[id(stmt)])
                if depth > 0:
                    self.loop_defined.add(target_name(stmt))

    def find_containers(self):
        """Names holding Python lists/tuples (their adjoints are lists: added with _ad.add, not `+`)."""
        out = grow_names(self.fn, lambda s, known: isinstance(s.value, (ast.List, ast.Tuple, ast.Dict))
                         or isinstance(s.value, ast.Name) and s.value.id in known)
        self.literal_containers = set(out)
        for s in walk_statements(self.fn.body):  # objects: their adjoints are dicts of attribute adjoints
            if getattr(s, "ad_kind", None) == "getattr":
                out.add(s.value.value.id)
        for s in walk_statements(self.fn.body):  # indexed values may be lists or dicts too
            if isinstance(s, ast.Assign) and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name):
                index = s.value.slice
                if isinstance(index, ast.Constant) and isinstance(index.value, str):
                    out.add(s.value.value.id)
                elif s.value.value.id in self.fn.params:
                    out.add(s.value.value.id)
        return out

    def refuse_arithmetic_on_containers(self):
        """`arr * (a, b)`: NumPy turns the tuple into an array, but its gradient would have to become a
        tuple again; ask for an explicit np.array instead of guessing."""
        from .errors import UnsupportedError

        for s in walk_statements(self.fn.body):
            rule = getattr(s, "ad_rule", None)
            if rule is None or not rule.elementwise or not self.act.active(target_name(s)):
                continue
            for v in s.ad_bound.values():
                if isinstance(v, (ast.Tuple, ast.List)) or isinstance(v, ast.Name) \
                        and v.id in self.literal_containers and self.act.active(v.id):
                    raise UnsupportedError("arithmetic on a list or tuple that carries a gradient",
                                           where=self.parsed.location(s.ad_node),
                                           hint="convert it first: np.array([a, b]) or np.stack([a, b])")

    def find_cheap(self, loop):
        """Recoverable end-of-iteration values and recomputable reads of loop-invariant arrays."""
        body = loop.body
        defined_inside = {target_name(s) for s in walk_statements(body) if isinstance(s, ast.Assign)}
        counts = {}
        for s in walk_statements(body):
            if isinstance(s, ast.Assign):
                counts[target_name(s)] = counts.get(target_name(s), 0) + 1
        index = loop.target.id if isinstance(loop, ast.For) else None
        top = {target_name(s) for s in body if isinstance(s, ast.Assign)}
        copy_backs = [s for s in body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Name)
                      and isinstance(s.targets[0], ast.Name) and s.targets[0].id in defined_inside]
        # the final copy-backs `L = X` (the last statements of the body)
        tail = []
        for s in reversed(body):
            if s in copy_backs and counts.get(s.value.id) == 1 and s.value.id in top:
                tail.append(s)
            else:
                break
        for s in tail:
            self.recoverable.setdefault(s.value.id, s.targets[0].id)
        cheap = {index}  # values the adjoint loop can recompute: the index, and what follows from it
        for s in body:
            if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)):
                continue
            v = s.value
            if counts.get(s.targets[0].id) != 1 or s.targets[0].id in self.carried_names:
                continue
            if isinstance(v, ast.Name) or isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) or \
                    isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.attr in ("T", "shape"):
                used = {n.id for n in ast.walk(v) if isinstance(n, ast.Name)}
                if all(u in cheap or u not in self.loop_defined for u in used):
                    self.recomputable[s.targets[0].id] = (loop, s)
                    cheap.add(s.targets[0].id)

    @property
    def in_loop(self):
        return self.loop_depth > 0

    # -- the sweeps ------------------------------------------------------------------------------
    def run(self):
        fn = self.fn
        self.loop_depth = 0
        self.loops = []
        self.scan_loops(fn.body)
        self.containers = self.find_containers()
        self.refuse_arithmetic_on_containers()
        self.same_shape = shapes.same_shapes(self.fn, self.loop_defined)
        self.numpy_typed = shapes.numpy_typed(self.fn)
        self.shape_tuples = set()
        self.carried_names = {c for loop in self.loops for c in getattr(loop, "ad_carried", ())}
        for loop in self.loops:
            self.find_cheap(loop)
        out = fn.out
        params = list(fn.params)
        seed = self.adj(out.id)
        seed_stmt = assign(seed, ad_call("vjp_seed", name(seed), name(out.id)) if self.mode == "vjp"
                           else ad_call("grad_seed", name(out.id)))
        if self.mode in ("grad", "value_and_grad") and shapes.statically_scalar(self.fn, out.id):
            seed_stmt = assign(seed, ast.Constant(value=1.0))  # a full reduction: no need to check
        if self.mode == "vjp":
            params.append(seed)
        if self.act.active(out.id) or out.id in self.wrt:
            self.live.add(out.id)
        adjoint = self.adjoint_block(fn.body)
        adjoint = shapes.redirect_shape_reads(adjoint, self.same_shape, self.loop_defined, Marker)
        saved, shape_only = self.decide(adjoint)
        adjoint = self.resolve_markers(adjoint, saved)
        forward = self.forward_block(fn.body, saved, shape_only, depth=0)
        body = [Comment("forward").node()]
        if self.tape:
            body.append(assign(self.tape, ad_call("new_tape")))
            # values saved before they are overwritten need a first value (the first iteration saves it)
            # names defined before their loop at the top level already have a value
            carried = {c for loop in fn.body if isinstance(loop, (ast.For, ast.While))
                       for c in getattr(loop, "ad_carried", ())}
            first = sorted(x for x in saved if isinstance(x, str) and x not in fn.params and x not in carried)
            for n in first + sorted(self.nested_counters.values()):
                body.append(assign(n, ast.Attribute(value=name("_ad"), attr="UNSET", ctx=ast.Load())
                                   if n in self.shape_tuples else ast.Constant(value=None)))
        if self.mode == "callee":
            return self.callee_function(params, body + forward, adjoint, out, seed)
        body += forward + [seed_stmt] + adjoint
        grads = []
        for w in self.wrt:
            grads.append(name(self.adj(w)) if w in self.live else ad_call("zeros_like", name(w)))
        if len(grads) == 1 and not self.multi:
            w = self.wrt[0]
            result = ad_call("as_grad", grads[0], name(w)) if w in self.live else grads[0]
        else:
            result = ad_call("as_grads", ast.Tuple(elts=grads, ctx=ast.Load()),
                             ast.Tuple(elts=[name(w_) for w_ in self.wrt], ctx=ast.Load()))
        if self.mode == "value_and_grad":
            result = ast.Tuple(elts=[name(out.id), result], ctx=ast.Load())
        body.append(ast.Return(value=result))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])
        fdef = ast.FunctionDef(name=self.func_name, args=args, body=body, decorator_list=[], returns=None)
        if sys.version_info >= (3, 12):
            fdef.type_params = []
        return fdef

    def callee_function(self, params, forward, adjoint, out, seed):
        """The derivative of a function called from differentiated code:

            def df(a, b):          # the forward sweep, then
                def backward(bout):    # the adjoint sweep, reading the forward's values
                    ...
                    return ba, bb
                return out, backward
        """
        grads = [name(self.adj(w)) if w in self.live else ad_call("zeros_like", name(w)) for w in self.wrt]
        back_body = list(adjoint)
        restored = sorted({n.id for s in adjoint for n in ast.walk(s) if isinstance(n, ast.Name)
                           and isinstance(n.ctx, ast.Store)} & self.forward_names(forward)
                          - set(self.adj_names.values()))
        if restored:
            back_body.insert(0, ast.Nonlocal(names=restored))
        back_body.append(ast.Return(value=ast.Tuple(elts=grads, ctx=ast.Load())))
        backward_name = self.alloc.fresh("backward")
        back = ast.FunctionDef(name=backward_name, args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=seed)], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[]), body=back_body, decorator_list=[], returns=None)
        body = forward + [back, ast.Return(value=ast.Tuple(elts=[name(out.id), name(backward_name)],
                                                          ctx=ast.Load()))]
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])
        fdef = ast.FunctionDef(name=self.func_name, args=args, body=body, decorator_list=[], returns=None)
        if sys.version_info >= (3, 12):
            fdef.type_params = []
            back.type_params = []
        return fdef

    def forward_names(self, forward):
        return {n.id for s in forward for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} \
            | set(self.fn.params)

    # adjoint sweep
    def adjoint_block(self, stmts, origin=None):
        """The adjoint of a block; `origin` is the statement heading it (its lines need no second comment)."""
        saved_out, saved_origin = self.out, self.current_origin
        self.out, self.current_origin = [], origin
        for stmt in reversed(stmts):
            self.adjoint_statement(stmt)
        result = self.out
        self.out, self.current_origin = saved_out, saved_origin
        return result

    def adjoint_statement(self, stmt):
        origin = getattr(stmt, "ad_origin", None)
        if isinstance(stmt, ast.Assign):
            target = stmt.targets[0]
            if isinstance(target, ast.Subscript):
                self.adjoint_setitem(stmt)
                return
            t = target.id
            if t in self.live and self.act.active(t):
                g = name(self.adj(t))
                self.live.discard(t)  # consumed: the next contribution (an earlier iteration) starts afresh
                self.owned.discard(t)
                kind = stmt.ad_kind
                if kind in ("copy", "container"):
                    self.contribute(stmt.value, g, origin)
                elif kind == "rule":
                    self.apply_rule(stmt, g)
                elif kind == "getitem":
                    self.getitem(stmt, g)
                elif kind == "callee":
                    self.adjoint_callee(stmt, g)
                elif kind == "getattr":
                    attr = ast.Dict(keys=[ast.Constant(value=stmt.value.attr)], values=[g])
                    self.contribute(stmt.value.value, attr, origin)
            if id(stmt) in self.callee_vjp and self.loop_depth > 0:
                self.out.append(Marker("restore", name=self.callee_vjp[id(stmt)]))
            if t in self.loop_defined and t not in self.loop_indices and self.loop_depth > 0:
                if isinstance(stmt.value, ast.Name) and stmt.value.id in self.recoverable and \
                        self.recoverable[stmt.value.id] == t:
                    self.out.append(Marker("recover", name=stmt.value.id, source=t))
                self.out.append(Marker("restore", name=t))
        elif getattr(stmt, "ad_kind", None) == "append":
            self.adjoint_append(stmt)
        elif isinstance(stmt, ast.If):
            self.adjoint_if(stmt)
        elif isinstance(stmt, (ast.For, ast.While)):
            self.adjoint_loop(stmt)

    def inside_names(self, stmts):
        """Names (re)defined inside `stmts` (in-place updates `y[i] = v` do not define a new y)."""
        return {s.targets[0].id for s in walk_statements(stmts)
                if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)}

    def incoming(self, stmts):
        """Active names defined outside `stmts` that receive contributions inside them."""
        inside = self.inside_names(stmts)
        out = []
        for s in walk_statements(stmts):
            if defines(s) and self.act.active(target_name(s)):
                for n in sorted(s.ad_inputs):
                    if n not in inside and self.act.active(n) and n not in out:
                        out.append(n)
        return out

    def has_adjoint(self, stmts):
        return any(defines(s) and self.act.active(target_name(s)) for s in walk_statements(stmts)) \
            or any(isinstance(s, ast.Assign) and target_name(s) in self.loop_defined for s in walk_statements(stmts))

    def adjoint_if(self, stmt):
        if not self.has_adjoint(stmt.body + stmt.orelse):
            return
        origin = getattr(stmt, "ad_origin", None)
        # an adjoint that gets its first value in only one branch gets zeros in the other (below)
        live, owned = set(self.live), set(self.owned)
        then = self.adjoint_block(stmt.body, origin)
        live_then, owned_then = self.live, self.owned
        self.live, self.owned = set(live), set(owned)
        other = self.adjoint_block(stmt.orelse, origin)
        live_else = self.live
        # an adjoint live after one branch must hold a value after the other too
        for n in sorted(live_then - live_else):
            other.append(assign(self.adj(n), ad_call("zeros_like", name(n))))
        for n in sorted(live_else - live_then):
            then.append(assign(self.adj(n), ad_call("zeros_like", name(n))))
        self.live = live_then | live_else
        self.owned = owned_then & self.owned & owned
        if not then and not other:
            return
        self.emit(ast.If(test=stmt.test, body=then or [ast.Pass()], orelse=other), origin)

    def adjoint_loop(self, loop):
        if not self.has_adjoint(loop.body):
            return
        origin = getattr(loop, "ad_origin", None)
        carried = [c for c in getattr(loop, "ad_carried", ()) if self.act.active(c)]
        for n in self.incoming(loop.body):
            self.ensure(n, origin, owned=True)
        for c in carried:
            self.ensure(c, origin)
        needs_count = isinstance(loop, ast.While) or any(isinstance(s, ast.Break) for s in walk_statements(loop.body))
        self.loop_depth += 1
        live_before = set(self.live)
        body = self.adjoint_block(loop.body, origin)
        # carried values get a zero adjoint when an iteration did not contribute (the next one adds to it)
        for c in carried:
            if c not in self.live:
                body.append(assign(self.adj(c), ad_call("zeros_like", name(c))))
                self.live.add(c)
        self.loop_depth -= 1
        self.live = (self.live | live_before) - (self.inside_names(loop.body) - set(carried))
        recompute = [Marker("recompute", name=t, stmt=s) for t, (lp, s) in self.recomputable.items() if lp is loop]
        if needs_count:
            counter = self.counters.setdefault(id(loop), self.alloc.fresh("n_iter"))
            if self.loop_depth > 0:  # an inner loop's count differs per outer iteration: save it
                self.nested_counters[id(loop)] = counter
        if isinstance(loop, ast.For):
            rng = loop.iter
            if needs_count:
                rng = ast.Subscript(value=rng, slice=ast.Slice(lower=None, upper=name(counter), step=None),
                                    ctx=ast.Load())
            header = ast.Call(func=name("reversed"), args=[rng], keywords=[])
            new = ast.For(target=store(loop.target.id), iter=header, body=recompute + body or [ast.Pass()],
                          orelse=[])
        else:
            new = ast.For(target=store(self.alloc.fresh("_")), iter=ast.Call(func=name("range"), args=[name(counter)],
                                                                              keywords=[]),
                          body=recompute + body or [ast.Pass()], orelse=[])
        self.emit(new, origin)
        if needs_count and self.loop_depth > 0:
            self.out.append(assign(counter, ast.Call(func=ast.Attribute(value=name(self.tape_name()), attr="pop",
                                                                        ctx=ast.Load()), args=[], keywords=[])))

    def tape_name(self):
        if self.tape is None:
            self.tape = self.alloc.fresh("tape")
        return self.tape

    def apply_rule(self, stmt, g):
        rule = stmt.ad_rule
        bound = stmt.ad_bound
        wanted = {p for p, v in bound.items() if operand_names(v) & self.act.varied and rule.differentiable(p)}
        if not wanted:
            return
        temps, contributions = rule.instantiate(bound, g, name(stmt.targets[0].id), wanted,
                                                lambda hint: self.alloc.fresh(hint), self.libs,
                                                lambda a, b: shapes.match(self.same_shape, a, b))
        for t in temps:
            self.emit(t, stmt.ad_origin)
        for p in rule.params:
            if p in contributions:
                self.contribute(bound[p], contributions[p], stmt.ad_origin)

    def getitem(self, stmt, g):
        value = stmt.value.value
        if not (isinstance(value, ast.Name) and self.act.active(value.id)):
            return
        x = value.id
        index = stmt.value.slice
        origin = stmt.ad_origin
        b = self.adj(x)
        if x in self.live and x in self.owned:
            if _is_static_basic(index):
                self.emit(ast.AugAssign(target=ast.Subscript(value=name(b), slice=index, ctx=ast.Store()),
                                        op=ast.Add(), value=g), origin)
            else:
                self.emit(ast.Expr(value=ad_call("add_at", name(b), _index_value(index), g)), origin)
            return
        if x in self.live:
            self.accumulate(x, ad_call("getitem_vjp", g, name(x), _index_value(index)), origin)
            return
        self.live.add(x)
        self.owned.add(x)
        if _is_static_basic(index):
            self.emit(assign(b, ad_call("zeros_like", name(x))), origin)
            self.emit(ast.Assign(targets=[ast.Subscript(value=name(b), slice=index, ctx=ast.Store())], value=g),
                      origin)
        else:
            self.emit(assign(b, ad_call("getitem_vjp", g, name(x), _index_value(index))), origin)

    def active_params(self, stmt):
        return [p for p, v in stmt.ad_bound.items() if operand_names(v) & self.act.varied]

    def adjoint_callee(self, stmt, g):
        """`y = f(a, b)`: the forward returned f's backward function; call it with by."""
        active = self.active_params(stmt)
        if not active:
            return
        # an argument whose adjoint has no value yet receives its part directly (`bh, bw2 = vjp_y(by)`)
        targets, direct = [], set()
        args = [stmt.ad_bound[p] for p in active]
        for p, a in zip(active, args):
            if isinstance(a, ast.Name) and a.id not in self.live and a.id not in self.containers and \
                    self.act.active(a.id) and sum(isinstance(b, ast.Name) and b.id == a.id for b in args) == 1:
                targets.append(self.adj(a.id))
                direct.add(p)
            else:
                targets.append(self.alloc.fresh("b" + p))
        call = ast.Call(func=name(self.callee_vjp[id(stmt)]), args=[g], keywords=[])
        if len(targets) > 1:
            self.emit(ast.Assign(targets=[ast.Tuple(elts=[store(t) for t in targets], ctx=ast.Store())], value=call),
                      stmt.ad_origin)
        else:
            self.emit(assign(targets[0], ast.Subscript(value=call, slice=ast.Constant(value=0), ctx=ast.Load())),
                      stmt.ad_origin)
        for p, t in zip(active, targets):
            if p in direct:
                self.live.add(stmt.ad_bound[p].id)
                self.owned.discard(stmt.ad_bound[p].id)
            else:
                self.contribute(stmt.ad_bound[p], name(t), stmt.ad_origin)

    def forward_call(self, stmt):
        """The forward of an active call of the user's code: `y, vjp_y = df(a, b)`."""
        call = stmt.value
        dname = self.linker(stmt.ad_callee, tuple(self.active_params(stmt)), getattr(stmt, "ad_receiver", None))
        new = ast.Call(func=name(dname), args=list(stmt.ad_prefix) + list(call.args),
                       keywords=list(call.keywords) + list(stmt.ad_prefix_keywords))
        target = ast.Tuple(elts=[store(target_name(stmt)), store(self.callee_vjp[id(stmt)])], ctx=ast.Store())
        out = ast.Assign(targets=[target], value=new)
        out.ad_origin = getattr(stmt, "ad_origin", None)
        return out

    def adjoint_append(self, stmt):
        """`lst.append(v)`: v receives the last entry of blst; then the append is undone (lst.pop())."""
        lst = stmt.value.func.value.id
        origin = getattr(stmt, "ad_origin", None)
        if lst in self.live and self.act.active(lst):
            taken = self.alloc.temp()
            self.emit(assign(taken, ast.Call(func=ast.Attribute(value=name(self.adj(lst)), attr="pop",
                                                                 ctx=ast.Load()), args=[], keywords=[])), origin)
            self.contribute(stmt.value.args[0], name(taken), origin)
        self.emit(ast.Expr(value=ast.Call(func=ast.Attribute(value=name(lst), attr="pop", ctx=ast.Load()), args=[],
                                          keywords=[])), origin)

    def adjoint_setitem(self, stmt):
        """`y[i] = v`: v receives by[i], which is then cleared (the old entries were overwritten)."""
        target = stmt.targets[0]
        y = target.value.id
        origin = getattr(stmt, "ad_origin", None)
        if y in self.live and self.act.active(y):
            index = _index_value(target.slice)
            self.ensure(y, origin, owned=True)
            taken = self.alloc.temp()
            self.emit(assign(taken, ad_call("pop_item", name(self.adj(y)), index)), origin)
            self.contribute(stmt.value, ad_call("unbroadcast", name(taken), stmt.value), origin)
        self.out.append(Marker("restore_item", name=y, stmt=stmt))

    # -- what to save --------------------------------------------------------------------------------
    def decide(self, adjoint):
        reads = {}
        shape_reads = {}
        unbroadcast_reads = {}

        def visit(node, shape_position=False):
            if isinstance(node, Marker):
                if node.kind == "recover" and node.name not in self.recomputable:
                    reads.setdefault(node.source, 0)
                    reads[node.source] += 1
                if node.kind == "recompute":
                    pass
                return
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                reads[node.id] = reads.get(node.id, 0) + 1
                if shape_position:
                    shape_reads[node.id] = shape_reads.get(node.id, 0) + 1
                return
            if isinstance(node, ast.Call):
                f = node.func
                pos = None
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "_ad":
                    pos = SHAPE_ONLY.get(f.attr)
                    if f.attr == "unbroadcast" and len(node.args) > 1 and isinstance(node.args[1], ast.Name):
                        n = node.args[1].id
                        unbroadcast_reads[n] = unbroadcast_reads.get(n, 0) + 1
                if isinstance(f, ast.Attribute) and f.attr == "shape":
                    pos = 0
                visit(f)
                for i, a in enumerate(node.args):
                    visit(a, shape_position=(i == pos))
                for k in node.keywords:
                    visit(k.value)
                return
            for child in ast.iter_child_nodes(node):
                visit(child)

        for s in adjoint:
            visit(s)
        # recomputed values are read by the recomputation, not saved
        self.needed_reads = set(reads)
        saved = set()
        shape_only = set()
        for n in self.loop_defined:
            if n in self.loop_indices or n not in reads:
                continue
            if n in self.recomputable:
                continue
            if n in self.recoverable and self.recoverable[n] in self.loop_defined:
                continue  # recovered from the loop variable it is copied into
            saved.add(n)
            if shape_reads.get(n, 0) == reads[n]:
                shape_only.add(n)
                if unbroadcast_reads.get(n, 0) == reads[n] and n in self.numpy_typed:
                    self.shape_tuples.add(n)  # saved as `n.shape`, a plain tuple
        for s in walk_statements(self.fn.body):  # arrays updated in place: save what the update overwrites
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Subscript):
                y = s.targets[0].value.id
                if y in reads:
                    saved.add(("item", id(s)))
        if saved:
            self.tape_name()
        return saved, shape_only

    def resolve_markers(self, stmts, saved):
        out = []
        for s in stmts:
            if isinstance(s, Marker):
                if s.kind == "restore" and s.name in saved:
                    out.append(assign(s.name, ast.Call(func=ast.Attribute(value=name(self.tape), attr="pop",
                                                                          ctx=ast.Load()), args=[], keywords=[])))
                elif s.kind == "recover" and s.name in self.needed_reads and s.name not in self.recomputable:
                    out.append(assign(s.name, name(s.source)))
                elif s.kind == "recompute" and s.name in self.needed_reads:
                    out.append(assign(s.name, s.stmt.value))
                elif s.kind == "restore_item" and ("item", id(s.stmt)) in saved:
                    t = s.stmt.targets[0]
                    out.append(ast.Assign(targets=[ast.Subscript(value=t.value, slice=t.slice, ctx=ast.Store())],
                                          value=ast.Call(func=ast.Attribute(value=name(self.tape), attr="pop",
                                                                            ctx=ast.Load()), args=[], keywords=[])))
                continue
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner:
                    setattr(s, field, self.resolve_markers(inner, saved) or [ast.Pass()])
            out.append(s)
        return out

    # forward sweep
    def push(self, value):
        return ast.Expr(value=ast.Call(func=ast.Attribute(value=name(self.tape), attr="append", ctx=ast.Load()),
                                       args=[value], keywords=[]))

    def forward_block(self, stmts, saved, shape_only, depth):
        out = []
        for s in stmts:
            if isinstance(s, ast.Assign):
                t = s.targets[0]
                if isinstance(t, ast.Subscript):
                    if ("item", id(s)) in saved:
                        out.append(self.push(ad_call("np_copy", ast.Subscript(value=t.value, slice=t.slice,
                                                                               ctx=ast.Load()))))
                elif depth > 0 and t.id in saved:
                    value = name(t.id)
                    if t.id in self.shape_tuples:
                        value = ast.Attribute(value=value, attr="shape", ctx=ast.Load())
                    elif t.id in shape_only:
                        value = ad_call("shape_of", value)
                    out.append(self.push(value))
                if id(s) in self.callee_vjp:
                    vjp = self.callee_vjp[id(s)]
                    if depth > 0 and vjp in saved:
                        out.append(self.push(name(vjp)))
                    s = self.forward_call(s)
                out.append(s)
            elif isinstance(s, ast.If):
                s.body = self.forward_block(s.body, saved, shape_only, depth) or [ast.Pass()]
                s.orelse = self.forward_block(s.orelse, saved, shape_only, depth)
                out.append(s)
            elif isinstance(s, (ast.For, ast.While)):
                body = self.forward_block(s.body, saved, shape_only, depth + 1)
                if id(s) in self.counters:  # loops that can stop early count their iterations
                    c = self.counters[id(s)]
                    if id(s) in self.nested_counters:
                        out.append(self.push(name(c)))
                    out.append(assign(c, ast.Constant(value=0)))
                    body = [assign(c, ast.BinOp(left=name(c), op=ast.Add(), right=ast.Constant(value=1)))] + body
                s.body = body or [ast.Pass()]
                out.append(s)
            else:
                out.append(s)
        return out


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


def reverse(parsed, fn, activity, wrt, mode, libs, func_name, multi, linker=None):
    return Reverse(parsed, fn, activity, wrt, mode, libs, func_name, multi, linker).run()
