"""Pass 8, reverse: the adjoint sweep, statement by statement in reverse order.

Each active statement becomes its adjoint block, headed by a comment naming the user's source line: a rule
application (the template's expressions with the names substituted), the adjoint of an item read
(`bx[i] += bt`), of a store (`bv = pop_item(by_1, i)`: the stored value gets what the array had there,
which the store overwrote), of a list method (`bv = blst_1.pop()` for an append), of a copy or container.
The adjoint of `if c:` is `if c:` over the branches' adjoints; the adjoint of a loop is a loop running
backwards. Accumulation (adjoints.py) decides how contributions become variables. Values a loop
overwrites are restored while the adjoint sweep walks back: `Marker`s placed here are resolved by the tape
policy (tape.py) once the whole adjoint is known. Items, stores and list methods are in reverse_stores.py,
branches and loops in reverse_control.py (parts of `Reverse`).
"""
import numpy as np

from . import dims, einsum_adjoints, ir, kinds as K, shapes
from .alias_library import BUFFER_REUSING
from .adjoints import Adjoints, assign, helper
from .cleanup import fold
from .ir import Assign, Build, Call, Const, For, Global, If, Index, Mutate, SetItem, Var, While
from .reverse_control import ControlPart, defined_names, sink_after_breaks
from .reverse_marker import Marker  # noqa: F401  tape.py reads it from here
from .reverse_stores import StoresPart
from .rules import G


class Reverse(StoresPart, ControlPart):
    """The adjoint sweep of one function (rule applications, copies, containers, callees; the parts: stores and
    control flow)."""

    def __init__(self, fn, ops, act, kinds, wrt, alloc, describe, linker=None):
        self.fn = fn
        self.ops = ops
        self.act = act
        self.kinds = kinds
        self.wrt = list(wrt)
        self.alloc = alloc
        self.linker = linker
        self.adjoints = Adjoints(alloc, act, kinds, describe)
        self.loop_defined = set()  # names assigned inside loops (overwritten: may need saving)
        self.loop_indices = set()
        self.loops = []
        self.recoverable = {}  # name -> loop name it can be recovered from
        self.recomputable = {}  # name -> (loop, statement) recomputing it
        self.counters = {}  # id(loop) -> counter name
        self.nested_counters = {}
        self.callee_vjp = {}  # id(statement) -> name of the backward function its forward returned
        self.loop_depth = 0
        self.same = {}
        self.dims = {}

    # shortcuts
    @property
    def live(self):
        return self.adjoints.live

    def adj(self, name):
        return self.adjoints.adj(name)

    def emit(self, stmt, origin):
        self.adjoints.emit(stmt, origin)

    def contribute(self, operand, expr, origin, exclusive=False, real_part=None):
        self.adjoints.contribute(operand, expr, origin, exclusive, real_part)

    def active(self, name):
        return self.act.active(name)

    def kind(self, atom):
        if isinstance(atom, Var):
            return self.kinds.get(atom.name, K.UNKNOWN)
        if isinstance(atom, Const):
            v = atom.value
            if isinstance(v, bool):
                return K.BOOL
            return K.FLOAT if isinstance(v, float) else K.INT if isinstance(v, int) else K.Other(type(v))
        return K.UNKNOWN

    # -- what loops overwrite -------------------------------------------------------------------------------
    def scan(self, stmts, depth=0):
        for s in stmts:
            if isinstance(s, (For, While)):
                if isinstance(s, For):
                    self.loop_indices.add(s.target)
                self.scan(s.body, depth + 1)
                self.loops.append(s)
            elif isinstance(s, If):
                self.scan(s.body, depth)
                self.scan(s.orelse, depth)
            else:
                op = self.ops.get(id(s))
                if op is not None and op.kind == "callee" and self.linker is not None and self.active(s.target):
                    self.linker.prepare(self, s, op)
                if depth > 0:
                    for t in defined_names(s):
                        self.loop_defined.add(t)
                    if id(s) in self.callee_vjp:
                        self.loop_defined.add(self.callee_vjp[id(s)])

    def find_cheap(self, loop):
        """End-of-iteration values recoverable from the loop name they are copied into, and cheap reads of
        loop-invariant arrays (`xs[t]`) recomputed instead of saved."""
        body = loop.body
        counts = {}
        for s in ir.walk(body):
            for t in defined_names(s):
                counts[t] = counts.get(t, 0) + 1
        top = {t for s in body for t in defined_names(s)}
        carried = set(loop.carried)
        for s in reversed(body):  # the final copy-backs `L = X`
            if isinstance(s, Assign) and isinstance(s.value, Var) and s.target in carried and \
                    counts.get(s.value.name) == 1 and s.value.name in top:
                self.recoverable.setdefault(s.value.name, s.target)
            else:
                break
        cheap = {loop.target} if isinstance(loop, For) else set()
        for s in body:
            if not isinstance(s, Assign) or s.noop or counts.get(s.target) != 1 or s.target in self.carried_names:
                continue
            v = s.value
            simple = isinstance(v, Var) or (isinstance(v, Index) and isinstance(v.value, Var)) or (
                isinstance(v, ir.Attr) and isinstance(v.value, Var) and v.attr in ("T", "shape")) or (
                isinstance(v, (ir.BinOp, ir.UnaryOp)) and self.kinds.get(s.target) in (K.INT, K.BOOL))  # `i - 1`
            if simple and all(u in cheap or u not in self.loop_defined for u in ir.names_in(v)):
                self.recomputable[s.target] = (loop, s)
                cheap.add(s.target)

    # -- the sweep ------------------------------------------------------------------------------------------
    def sweep(self, seeded):
        """The adjoint of the function body, given the output names whose adjoints are seeded."""
        sink_after_breaks(self.fn.body)  # (before anything reads the loops' bodies)
        self.scan(self.fn.body)
        self.carried_names = {c for loop in self.loops for c in loop.carried}
        for loop in self.loops:
            self.find_cheap(loop)
        for name in seeded:
            if self.active(name) or name in self.wrt:
                self.live.add(name)
        self.same = shapes.same_shapes(self.fn, self.ops, self.kinds, self.loop_defined)
        self.dims = dims.infer(self.fn, self.ops, self.kinds)
        adjoint = self.block(self.fn.body)
        return shapes.redirect_shape_reads(adjoint, self.same, self.loop_defined)

    def block(self, stmts, origin=None):
        a = self.adjoints
        saved_out, saved_origin = a.out, a.current_origin
        a.out, a.current_origin = [], origin
        for s in reversed(stmts):
            self.statement(s)
        result = a.out
        a.out, a.current_origin = saved_out, saved_origin
        return result

    def statement(self, s):
        if isinstance(s, Assign):
            self.assignment(s)
        elif isinstance(s, SetItem):
            self.store(s)
        elif isinstance(s, Mutate):
            self.mutate(s)
            self.zeros_after_undo(s)
        elif isinstance(s, If):
            self.branch(s)
        elif isinstance(s, (For, While)):
            self.loop(s)

    def assignment(self, s):
        t = s.target
        op = self.ops.get(id(s))
        origin = s.origin
        if op is not None and t in self.live and self.active(t):
            g = Var(self.adj(t))
            self.live.discard(t)
            consumable = self.adjoints.consumable(t)  # (read here for the last time)
            owned = t in self.adjoints.owned and t in self.adjoints.exclusive
            self.adjoints.owned.discard(t)
            self.adjoints.exclusive.discard(t)
            if op.kind in ("copy", "build"):
                # (`lst.copy()` / `d.copy()`: a new container of the same items, whose adjoint is the owner's)
                source = s.value.func.value if isinstance(s.value, Call) else s.value
                new = isinstance(source, Var) and source.name not in self.live
                if op.kind == "build" and isinstance(source, Build) and source.kind in ("list", "dict") and \
                        self.items_replaced:
                    source, g = self.checked_items(source, g, origin, self.real_part if t in self.act.complex else None)
                self.contribute(source, g, origin, exclusive=consumable and op.kind == "copy",
                                real_part=self.real_part if t in self.act.complex else None)
                if op.kind == "copy" and owned and new and source.name in self.live and t not in self.act.complex and \
                        _buffer_kind(self.kinds.get(source.name)):
                    self.adjoints.owned.add(source.name)  # (our buffer, under the source's name alone now)
                    self.adjoints.exclusive.add(source.name)
            elif op.kind == "rule":
                self.apply_rule(s, op, g, consumable)
            elif op.kind == "getitem":
                self.getitem(s, op, g)
            elif op.kind == "getattr" and not isinstance(self.kind(s.value.value), K.Obj):
                self.contribute(s.value.value, helper("attribute_vjp", g, s.value.value, Const(op.attr)), origin)
            elif op.kind == "getattr":
                self.contribute(s.value.value, Build("dict", (g,), (Const(op.attr),)), origin)
            elif op.kind == "callee":
                self.callee(s, op, g)
        if self.loop_depth > 0 and t in self.loop_defined and t not in self.loop_indices:
            if id(s) in self.callee_vjp:
                self.adjoints.out.append(Marker("restore", name=self.callee_vjp[id(s)]))
            if isinstance(s.value, Var) and self.recoverable.get(s.value.name) == t:
                self.adjoints.out.append(Marker("recover", name=s.value.name, source=t))
            self.adjoints.out.append(Marker("restore", name=t))

    # -- rules ----------------------------------------------------------------------------------------------
    def apply_rule(self, s, op, g, consumable=False):
        """The adjoint of a rule application; `consumable`: g's buffer may be written into (this is its
        last reader, and no other name holds it)."""
        rule, bound = op.rule, op.bound
        if rule.real is not None and all_real(self.kind, rule, bound, self.act.complex, s.target):
            rule = rule.real
        invariant = op.extra.get("invariant", ())  # (operands the result does not depend on: shift_invariance.py)
        wanted = [p for p in rule.params if rule.differentiable(p) and ir.names_in(bound[p]) & self.act.varied
                  and p not in invariant]
        if not wanted:
            return
        if rule.multilinear and einsum_adjoints.contribute(self, s, g):  # (each operand's: an einsum)
            return
        if rule.elementwise:
            exprs = {p: _masked(rule.partials[p]) or ir.BinOp("*", Var(G), rule.partials[p]) for p in wanted}
        else:
            exprs = {p: rule.vjps[p] for p in wanted}
        temps = {}
        subst = rule.substitution(bound, g, Var(s.target))
        needed = rule.needed_temps(exprs.values())
        if consumable and (len(exprs) != 1 or any(G in ir.names_in(e) for _, e in needed)):
            consumable = False  # (g is read again)
        for name, e in needed:  # (the value first: `s = s * 2.0` reads the template's previous `s`, h27b-011)
            fresh = self.alloc.fresh(name.split(":", 1)[1].split("\0")[0])
            value = fold(ir.rename_expr(e, {**subst, **temps}))
            temps[name] = Var(fresh)
            self.emit(assign(fresh, value), s.origin)
        subst.update(temps)
        done = {}  # (operand, contribution) -> parameter: `x * x` gives x twice the same contribution
        for p in rule.params:
            if p in exprs and isinstance(bound[p], Var) and not rule.is_varargs(p):
                key = (bound[p], ir.rename_expr(exprs[p], subst))
                if key in done:
                    exprs[done[key]] = ir.BinOp("*", Const(2.0), exprs[done[key]])  # (exact: 2a = a + a)
                    del exprs[p]
                else:
                    done[key] = p
        cx = self.act.complex
        complex_statement = s.target in cx or any(cx.may_be_complex(v) for v in bound.values())
        for p in rule.params:
            if p not in exprs:
                continue
            expr = ir.map_expr(ir.rename_expr(exprs[p], subst), self.inline_helper)
            if consumable:
                expr = _in_place(expr, g)
            k = self.kind(bound[p])
            if rule.elementwise and not self.same_shape_as_result(p, bound, rule):
                axes = self.known_sums(bound[p], s.target)
                dot = None if complex_statement else number_sum(self.kind, expr, p, bound, rule, s.target)
                name = "unbroadcast" if isinstance(k, (K.Array, K.Scalar, K.Numeric)) else "unbroadcast_value"
                folded = fold(expr)
                negated = dot is None and isinstance(folded, ir.UnaryOp) and folded.op == "-" and \
                    name == "unbroadcast"
                if negated:  # (the sign after the sum, on the smaller array: -(g.sum(axis=0)), not (-g).sum(...))
                    expr = folded.operand
                if dot is not None:  # (a real number's share of an array result: one dot product)
                    expr = dot
                elif axes is not None:  # (the shapes are known: the sums broadcasting needs, written out)
                    expr = summed(expr, axes)
                else:
                    expr = helper(name, expr, bound[p])
                if negated:
                    expr = ir.UnaryOp("-", expr)
            expr = _checked_shape(rule, p, bound[p], k, expr)  # (a user's rule: m25-003)
            if isinstance(bound[p], Var) and (isinstance(k, K.Seq) or k is K.UNKNOWN) and \
                    not rule.is_varargs(p) and _converts(rule):
                expr = helper("cast_like", expr, bound[p])  # NumPy made an array of a list: give it back a list
            # (the only contribution made from a consumed g: g's buffer, or a new array)
            self.contribute(bound[p], expr, s.origin, exclusive=consumable and rule.elementwise,
                            real_part=self.real_part if complex_statement else None)

    def real_part(self, operand, expr):
        """A contribution to a real operand from a statement with complex values: its real part (the
        adjoint of a real value is real; docs/rules.md, "Complex intermediates")."""
        if isinstance(operand, Var) and operand.name not in self.act.complex and self.kind(operand).numeric:
            return Call(Global(("np", "real"), np.real, np), (expr,))
        return expr

    def same_shape_as_result(self, param, bound, rule):
        return shapes.operand_has_result_shape(self.same, self.kind, param, bound, rule)

    def inline_helper(self, e):
        """A runtime helper call as the expression it stands for, where the kinds of its operands make it
        one: the adjoints of a product of matrices `a @ b` are `g @ b.T` and `a.T @ g`; of a vector b, `g @ a`."""
        if not (isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",)) or e.kwargs:
            return e
        name = e.func.path[-1]
        if name in ("matmul_vjp_a", "matmul_vjp_b") and len(e.args) == 3:
            g, a, b = e.args
            na, nb = K.ndim_of(self.kind(a)), K.ndim_of(self.kind(b))
            if name == "matmul_vjp_a" and na is not None and na >= 2 and nb == 2:
                return ir.BinOp("@", g, ir.Attr(b, "T"))  # (a stack of rows too: b has no stack axes)
            if name == "matmul_vjp_b" and na == 2 and nb == 2:
                return ir.BinOp("@", ir.Attr(a, "T"), g)
            if name == "matmul_vjp_b" and na == 2 and nb == 1:  # a matrix times a vector: g has a's rows
                return ir.BinOp("@", g, a)
        return e

    def known_sums(self, operand, result):
        """(leading axes, axes of size 1) over which the adjoint of `result` sums back to `operand`'s shape,
        when both shapes are known (dims.py), else None."""
        if not self.dims:
            return None
        return dims.sum_axes(dims.shape_of(self.dims, self.kinds, operand), self.dims.get(result))

    # -- calls of (recursive) user functions ----------------------------------------------------------------
    def callee(self, s, op, g):
        if self.linker is None:
            return
        self.linker.adjoint(self, s, op, g)


# partial derivatives that are masks, and the helper applying the mask to g in one multiply
MASKS = {"max_share": "max_vjp", "min_share": "min_vjp"}
IN_PLACE = set(BUFFER_REUSING)  # helpers that can write into g (`out=g`)


def number_sum(kind, expr, p, bound, rule, target):
    """The contribution `unbroadcast(g * P, s)` to a real number s from an elementwise operation whose
    result is a real array, when P is (minus) the result or the other operand, or that over s or a number:
    `-_ad.sum_product(g, ans, x2) / x2` sums the products without making them. (Exact whatever s turns out
    to be: the sum over the axes s is broadcast along commutes with the division by s; sum_product takes
    its dot product only when s is a number at run time, else it is unbroadcast(g * ans, x2).)"""
    k, kt = kind(bound[p]), kind(Var(target))
    if not (isinstance(k, K.Scalar) and k.cls in (float, np.float64) and isinstance(kt, K.Array) and
            kt.dtype == "f" and kt.ndim and isinstance(expr, ir.BinOp) and expr.op == "*" and
            isinstance(expr.left, Var) and expr.left.name not in ir.names_in(expr.right)):
        return None
    others = [bound[q] for q in rule.params if q != p]
    if not all(isinstance(o, Var) or isinstance(o, Const) and type(o.value) in (int, float) for o in others) \
            or sum(isinstance(o, Var) for o in others) > 1:
        return None  # (one other operand, then of the result's shape: a number broadcasts nothing up)
    arrays = {target} | {o.name for o in others if isinstance(o, Var) and kind(o) == kt}
    factor, sign, over = expr.right, False, None
    if isinstance(factor, ir.BinOp) and factor.op == "/" and (isinstance(factor.right, Const) and
                                                              type(factor.right.value) is float or
                                                              factor.right == bound[p]):
        factor, over = factor.left, factor.right
    if isinstance(factor, ir.UnaryOp) and factor.op == "-":
        factor, sign = factor.operand, True
    if not (isinstance(factor, Var) and factor.name in arrays):
        return None
    out = helper("sum_product", expr.left, factor, bound[p])
    out = ir.UnaryOp("-", out) if sign else out
    return ir.BinOp("/", out, over) if over is not None else out


def summed(expr, axes):
    """`expr` summed over the leading axes broadcasting added and over the axes it stretched from size 1
    (`g.sum(axis=0)`), as a hand-written adjoint would; `expr` itself when there are none."""
    lead, keep = axes
    if lead:
        expr = Call(ir.Attr(expr, "sum"), (), (("axis", Const(lead if len(lead) > 1 else lead[0])),))
    if keep:
        expr = Call(ir.Attr(expr, "sum"), (), (("axis", Const(keep if len(keep) > 1 else keep[0])),
                                               ("keepdims", Const(True))))
    return expr


def all_real(kind, rule, bound, complexity, target):
    """Are the operands of a rule application all real numbers or real arrays (from their kinds, and none may
    be complex: complexity.py)? Then its `real_form` applies. `kind` maps an atom to its kind."""
    if target in complexity or any(complexity.may_be_complex(v) for v in bound.values()):
        return False
    for p in rule.params:
        v = bound[p]
        if isinstance(v, Const) and (v.value is None or type(v.value) in (int, float, bool)):
            continue
        k = kind(v)
        if isinstance(k, K.Array) and k.dtype in "fiub":  # (a real array: its dtype says so)
            continue
        if not (isinstance(k, K.Scalar) and not issubclass(k.cls, (complex, __import__("numpy").complexfloating))):
            return False
    return True


def _masked(partial):
    """`g * max_share(a, b)` as `_ad.max_vjp(g, a, b)` (one masked multiply), else None."""
    if isinstance(partial, Call) and isinstance(partial.func, Global) and partial.func.path[:1] == ("_ad",) and \
            partial.func.path[-1] in MASKS:
        return helper(MASKS[partial.func.path[-1]], Var(G), *partial.args)
    return None


def _in_place(expr, g):
    """`expr` with `out=g` given to the masking helper reading `g` (its only reader), if there is one."""
    found = []

    def count(e):
        if e == g:
            found.append(e)
        for c in ir.children(e):
            count(c)
    count(expr)
    if len(found) != 1:
        return expr

    def fix(e):
        if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[:1] == ("_ad",) and \
                e.func.path[-1] in IN_PLACE and e.args[:1] == (g,) and not e.kwargs:
            return Call(e.func, e.args, (("out", g),))
        return e
    return ir.map_expr(expr, fix)


def _checked_shape(rule, param, operand, k, expr):
    """A user's rule's adjoint (`@ad.defvjp` outside the compiler) of an array or a number, checked when it runs:
    `_ad.rule_adjoint` raises a located error for another shape than the operand's (m25-003)."""
    mod = getattr(rule.template, "__module__", "") or ""
    if mod == "ad_compiler" or mod.startswith("ad_compiler.") or not isinstance(operand, Var) or \
            not (isinstance(k, (K.Array, K.Seq, K.Dict)) or k.numeric):  # (a list, tuple, dict: h27b-007)
        return expr
    return helper("rule_adjoint", expr, operand, Const(rule.name), Const(param))


def _converts(rule):
    """Does the rule's function take a list for an array (a NumPy function), so that the adjoint it gives
    a list operand is an array?"""
    mod = getattr(rule.template, "__module__", "") or ""
    return mod.endswith(("rules.numpy", "rules.methods")) and rule.name not in ("copy", "concatenate", "stack",
                                                                               "einsum", "private_copy")


def _buffer_kind(kind):
    """An array, or a list (whose adjoint, a list, a loop's list methods change in place: reverse_control.py)?"""
    return isinstance(kind, K.Array) or isinstance(kind, K.Seq) and kind.mutable
