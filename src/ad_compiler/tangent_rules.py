"""Forward mode's use of the rule table: the tangent of one rule application.

- **elementwise** (`np.sin`, `*`, ...): the sum of partial derivative times tangent over the operands that
  carry one (`dy = np.cos(x) * dx`); broadcast to the result's shape when an operand may be smaller.
- **linear** (`np.sum`, `np.reshape`, `@`, ...): the function itself applied to the tangents. Linear in
  its differentiable parameters together (`np.concatenate`, `np.linspace`): one call with every tangent
  (zeros for operands without one); *multilinear* (`@`, `np.dot`, `np.einsum`): one call per operand
  carrying a tangent, the others as they are (`dy = da @ b + a @ db`).
- **general** (`np.linalg.solve`, ...): the rule's `dans = ...` line; the terms of its top-level sum that
  only read tangents of operands that carry none are dropped, other missing tangents are zeros.
"""
import inspect

from . import ir, kinds as K
from .adjoints import helper
from .cleanup import fold
from .ir import BinOp, Build, Call, Const, Global, Var
from .reverse import all_real
from .rules import ANS, D


class TangentRules:
    def __init__(self, fwd):
        self.fwd = fwd  # the Forward transform: tangents of atoms, kinds, emitting, shape facts

    def apply(self, s, op):
        """The tangent expression of the rule application `s` (None when no operand carries one)."""
        rule, bound = op.rule, op.bound
        fwd = self.fwd
        if rule.real is not None and all_real(fwd.kind, rule, bound, fwd.act.complex, s.target):
            rule = rule.real
        invariant = op.extra.get("invariant", ())  # (operands the result does not depend on: shift_invariance.py)
        varied = [p for p in rule.params if rule.differentiable(p, 'forward') and fwd.carries(bound[p])
                  and p not in invariant]
        if not varied:
            return None
        if rule.elementwise:
            return self.elementwise(s, rule, bound, varied)
        if rule.form == "linear":
            return self.linear(s, op, varied)
        return self.general(s, rule, bound, varied)

    def emit_temps(self, s, rule, exprs, subst):
        temps = {}
        for name, e in rule.needed_temps(exprs):  # (the value first: `s = s * 2.0`, h27b-011)
            fresh = self.fwd.alloc.fresh(name.split(":", 1)[1].split("\0")[0])
            value = fold(ir.rename_expr(e, {**subst, **temps}))
            temps[name] = Var(fresh)
            self.fwd.emit_assign(fresh, value, s.origin)
        return temps

    def elementwise(self, s, rule, bound, varied):
        subst = rule.substitution(bound, ans_expr=Var(s.target))
        subst.update(self.emit_temps(s, rule, [rule.partials[p] for p in varied], subst))
        total = None
        for p in varied:
            term = _times(ir.rename_expr(rule.partials[p], subst), self.fwd.tangent_of(bound[p]))
            if total is not None and total == term:  # (x * x: the two terms are equal, their sum is exactly twice one)
                total = BinOp("*", Const(2.0), term)
                continue
            total = term if total is None else BinOp("+", total, term)
        total = fold(total)
        if not all(self.fwd.same_shape_as_result(s, p, bound, rule) for p in varied):
            total = helper("broadcast_like", total, Var(s.target))
        return total

    def linear(self, s, op, varied):
        rule = op.rule
        if not rule.multilinear:
            repl = {p: self.fwd.tangent_or_zero(op.bound[p]) for p in rule.params
                    if rule.differentiable(p, 'forward')}
            return rebuild(s.value, rule, repl)
        terms = []
        for p in varied:
            value = op.bound[p]
            items = self.operands(value)
            if items is not None:  # one term per operand of *operands (or of a tuple) with a tangent
                for i, (item, tangent) in enumerate(items):
                    if tangent is not None:
                        new = [it for it, _ in items]
                        new[i] = tangent
                        terms.append(rebuild(s.value, rule, {p: Build("tuple", tuple(new))}))
                continue
            terms.append(rebuild(s.value, rule, {p: self.fwd.tangent_of(value)}))
        numeric = K.certainly_numeric(self.fwd.kind(Var(s.target)))
        total = terms[0]
        for term in terms[1:]:  # (lists of adjoints, from a helper, add up item by item)
            total = BinOp("+", total, term) if numeric else helper("add", total, term)
        return total

    def operands(self, value):
        """[(operand, its tangent or None)] of a Build of operands or a tuple of known length; else None."""
        fwd = self.fwd
        if isinstance(value, Build):
            return [(i, fwd.tangent_of(i) if fwd.carries(i) else None) for i in value.items]
        k = fwd.kind(value)
        if isinstance(value, Var) and isinstance(k, K.Seq) and k.cls is tuple and k.items is not None and \
                fwd.carries(value):
            tangent = fwd.tangent_of(value)
            return [(ir.Index(value, (Const(i),)), ir.Index(tangent, (Const(i),))) for i in range(len(k.items))]
        return None

    def general(self, s, rule, bound, varied):
        if rule.jvp is None:
            return self.fwd.refuse(s, f"no forward-mode derivative is known for `{rule.name}`",
                                   "use reverse mode (ad.grad / ad.vjp) for this function, or register a "
                                   "forward rule with @ad.defjvp")
        tangent_names = {D(p) for p in rule.params}
        terms = [t for t in _terms(rule.jvp) for reads in [rule.reads(t[1])]
                 if not (tangent_names & reads) or any(D(p) in reads for p in varied)]
        tangents = {p: self.fwd.tangent_or_zero(bound[p]) for p in rule.params
                    if rule.differentiable(p, 'forward')}
        subst = rule.substitution(bound, ans_expr=Var(s.target), tangents=tangents)
        exprs = [e for _, e in terms]
        subst.update(self.emit_temps(s, rule, exprs, subst))
        total = None
        for sign, e in terms:
            e = ir.rename_expr(e, subst)
            if total is None:
                total = e if sign == "+" else ir.UnaryOp("-", e)
            else:
                total = BinOp(sign, total, e)
        total = fold(total)
        if _users(rule) and len(terms) == len(_terms(rule.jvp)) and \
                all(p in varied for p in rule.params if D(p) in rule.reads(rule.jvp)):
            # (a user's `dans`, every term of it, every tangent it reads varied, not a 0.0 standing for a zero
            # array: checked against the result's shapes, not spread, h27b-008)
            return helper("rule_tangent", total, Var(s.target), Const(rule.jvp_name))
        if not rule.shaped_tangent and not isinstance(self.fwd.kind(Var(s.target)), (K.Scalar, K.Seq, K.Dict)):
            total = helper("broadcast_like", total, Var(s.target))  # (a list of adjoints: as is)
        return total


def _users(rule):
    """Is `rule` a user's (`@ad.defjvp` outside the compiler)?"""
    mod = getattr(rule.template, "__module__", "") or ""
    return not (mod == "ad_compiler" or mod.startswith("ad_compiler."))


def _terms(e, sign="+"):
    """The terms of a top-level sum: [(sign, expression)]."""
    if isinstance(e, BinOp) and e.op in ("+", "-"):
        right_sign = e.op if sign == "+" else ("-" if e.op == "+" else "+")
        return _terms(e.left, sign) + _terms(e.right, right_sign)
    return [(sign, e)]


def rebuild(value, rule, repl):
    """The expression `value` (a rule's call: function, method, operator or attribute) with the arguments of
    the parameters in `repl` replaced."""
    if not repl:
        return value
    if isinstance(value, BinOp):
        left, right = rule.params[:2]
        return BinOp(value.op, repl.get(left, value.left), repl.get(right, value.right))
    if isinstance(value, ir.UnaryOp):
        return ir.UnaryOp(value.op, repl.get(rule.params[0], value.operand))
    if isinstance(value, ir.Attr):
        return ir.Attr(repl.get(rule.params[0], value.value), value.attr)
    if isinstance(value, ir.Index):  # np.r_[...] / np.c_[...]: the rule's own function
        from . import runtime

        kind = Const("r" if value.value.obj is __import__("numpy").r_ else "c")
        return Call(Global(("_ad", "index_concat_tangent"), runtime.index_concat_tangent, runtime),
                    (kind, Build("tuple", tuple(_slice_call(i) for i in value.items)), repl["items"]))
    assert isinstance(value, Call), value
    method = isinstance(value.func, ir.Attr) and rule.params[:1] == ["self"] and not isinstance(value.func, Global)
    args = ([value.func.value] if method else []) + list(value.args)
    kw_names = [k for k, _ in value.kwargs]
    params = rule.signature.parameters  # (keywords the rule does not name, `out=None`, `where=True`, kept as given)
    named = [k for k in kw_names if k in params or any(q.kind is q.VAR_KEYWORD for q in params.values())]
    positions = inspect.signature(rule.template).bind(*range(len(args)), **{k: ("kw", k) for k in named})
    new_args, new_kwargs = list(args), dict(value.kwargs)
    for p, where in positions.arguments.items():
        if p not in repl:
            continue
        r = repl[p]
        if rule.is_varargs(p) and isinstance(where, tuple) and len(where) == 1 and \
                isinstance(new_args[where[0]], ir.Starred):  # `zip(*pairs)`: the tangent of the sequence unpacked
            new_args[where[0]] = ir.Starred(r)
        elif rule.is_varargs(p) and isinstance(where, tuple) and not (where and where[0] == "kw"):
            for i, position in enumerate(where):
                new_args[position] = r.items[i] if isinstance(r, Build) else ir.Index(r, (Const(i),))
        elif isinstance(where, tuple) and where and where[0] == "kw":
            new_kwargs[where[1]] = r
        elif isinstance(where, int):
            new_args[where] = r
    if method:
        return Call(ir.Attr(new_args[0], value.func.attr), tuple(new_args[1:]),
                    tuple((k, new_kwargs[k]) for k in kw_names))
    # a parameter left at its default but with a tangent (e.g. `sum(xs)` with no `start`): not needed
    return Call(value.func, tuple(new_args), tuple((k, new_kwargs[k]) for k in kw_names))


def _slice_call(item):
    """An item of np.r_[...] as an expression: a slice `0:2` as `slice(0, 2, None)`."""
    if not isinstance(item, ir.Slice):
        return item
    return Call(Global(("slice",), slice), tuple(e if e is not None else Const(None)
                                                 for e in (item.lower, item.upper, item.step)))


def _times(partial, tangent):
    """partial * tangent; `tangent / e` for a partial `1.0 / e` (one division instead of a division and a
    product: log1p, log, reciprocals)."""
    if isinstance(partial, BinOp) and partial.op == "/" and isinstance(partial.left, Const) and \
            type(partial.left.value) in (int, float) and partial.left.value == 1:
        return BinOp("/", tangent, partial.right)
    return BinOp("*", partial, tangent)
