"""Pass 5, optimize: clean up the generated function without changing what it computes.

- constant folding that cannot change a shape or dtype: `g * 1.0`, `1.0 * g`, `g ** 1`, `0 + g`, `g - 0`,
  `g / 1`, `-(-g)`, and arithmetic on two numeric literals (`2 - 1`). Never `g * 0` -> `0`: for an array
  that would change the shape.
- copy propagation: after `a = b`, later reads of `a` read `b` (until either is reassigned).
- dead code elimination: statements whose result nothing reads (the forward values the adjoint sweep
  does not need, temporaries of unused contributions) are removed. Calls kept for their effects
  (`print(...)`) and assertions stay.
"""
import ast
import operator

from .reverse import is_comment

_FOLD = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
         ast.Pow: operator.pow}


def _num(node):
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def _is(node, value):
    return _num(node) and node.value == value


class Fold(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right, op = node.left, node.right, node.op
        if _num(left) and _num(right) and type(op) in _FOLD:
            try:
                value = _FOLD[type(op)](left.value, right.value)
            except (ArithmeticError, OverflowError, ValueError):
                return node
            if isinstance(value, complex) or abs(value) < 1e300:
                return ast.Constant(value=value)
            return node
        if isinstance(op, ast.Mult):
            if _is(left, 1):
                return right
            if _is(right, 1):
                return left
        elif isinstance(op, ast.Add):
            if _is(left, 0):
                return right
            if _is(right, 0):
                return left
        elif isinstance(op, ast.Sub):
            if _is(right, 0):
                return left
        elif isinstance(op, (ast.Div, ast.Pow)):
            if _is(right, 1):
                return left
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub):
            if _num(node.operand):
                return ast.Constant(value=-node.operand.value)
            if isinstance(node.operand, ast.UnaryOp) and isinstance(node.operand.op, ast.USub):
                return node.operand.operand
        return node


class _Substitute(ast.NodeTransformer):
    def __init__(self, copies):
        self.copies = copies

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.copies:
            return ast.Name(id=self.copies[node.id], ctx=ast.Load())
        return node


def _uses(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _assigned(stmts):
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _mutated(stmts):
    """Names updated in place: `b[i] = ...`, `b[i] += ...`, and arrays handed to in-place helpers."""
    out = set()
    for s in stmts:
        for node in ast.walk(s):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
                out.add(node.value.id)
            if isinstance(node, ast.Call) and _is_effect_call(node):
                out |= {a.id for a in node.args[:1] if isinstance(a, ast.Name)}
    return out


_EFFECT_HELPERS = {"add_at", "pop_item"}


def _is_effect_call(call):
    f = call.func
    if isinstance(f, ast.Attribute):
        if isinstance(f.value, ast.Name) and f.value.id == "_ad":
            return f.attr in _EFFECT_HELPERS
        return f.attr in ("pop", "append")
    return False


def _has_effect(stmt):
    """Statements kept even if nothing reads what they assign (tape operations, in-place helpers, calls)."""
    if isinstance(stmt, ast.Assign):
        if not isinstance(stmt.targets[0], (ast.Name, ast.Subscript)):
            return True  # tuple targets: `y, vjp_y = df(x)` (kept whole)
        return isinstance(stmt.value, ast.Call) and _is_effect_call(stmt.value)
    return isinstance(stmt, (ast.Expr, ast.Assert, ast.Break, ast.Return, ast.Pass, ast.FunctionDef,
                             ast.Nonlocal))


def _compound(stmt):
    return isinstance(stmt, (ast.If, ast.For, ast.While))


def propagate_copies(stmts, mutated):
    """Copy propagation within straight-line runs; compound statements start afresh inside."""
    copies = {}
    out = []
    for s in stmts:
        if is_comment(s):
            out.append(s)
            continue
        if isinstance(s, ast.FunctionDef):
            optimize(s)  # a nested backward function: optimized on its own
            out.append(s)
            continue
        if _compound(s):
            inner = _assigned([s])
            for k in [k for k, v in copies.items() if k in inner or v in inner]:
                del copies[k]
            # tests and loop headers read the current copies
            if isinstance(s, ast.If):
                s.test = Fold().visit(_Substitute(copies).visit(s.test))
            elif isinstance(s, ast.For):
                s.iter = Fold().visit(_Substitute(copies).visit(s.iter))
            # a loop body runs again after its end: do not carry copies into it
            s.body = propagate_copies(s.body, mutated)
            s.orelse = propagate_copies(s.orelse, mutated)
            out.append(s)
            continue
        s = _Substitute(copies).visit(s)
        s = Fold().visit(s)
        for t in _assigned([s]):
            for k in [k for k, v in copies.items() if k == t or v == t]:
                del copies[k]
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            t = s.targets[0].id
            v = s.value
            if isinstance(v, ast.Name) and t not in mutated and v.id not in mutated and t != v.id:
                copies[t] = v.id
        out.append(s)
    return out


def _all_statements(stmts):
    for s in stmts:
        yield s
        if isinstance(s, ast.FunctionDef):
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                yield from _all_statements(inner)


def _needed(stmts, ret):
    """Names whose values matter: read by effects, control flow, or the return, transitively."""
    needed = set(_uses(ret))
    every = [s for s in _all_statements(stmts) if not is_comment(s)]
    for s in every:
        if _has_effect(s):
            needed |= _uses(s)
        elif isinstance(s, ast.If):
            needed |= _uses(s.test)
        elif isinstance(s, ast.For):
            needed |= _uses(s.iter)
    changed = True
    while changed:
        changed = False
        for s in every:
            if isinstance(s, (ast.Assign, ast.AugAssign)):
                target = s.targets[0] if isinstance(s, ast.Assign) else s.target
                base = target.value if isinstance(target, ast.Subscript) else target
                if isinstance(base, ast.Name) and base.id in needed:
                    more = _uses(s.value) | (_uses(target.slice) if isinstance(target, ast.Subscript) else set())
                    if isinstance(s, ast.AugAssign):
                        more |= _uses(target)
                    if not more <= needed:
                        needed |= more
                        changed = True
    return needed


def eliminate_dead(stmts, needed):
    kept = []
    for s in stmts:
        if is_comment(s):
            kept.append(s)
            continue
        if isinstance(s, (ast.Assign, ast.AugAssign)) and not _has_effect(s):
            target = s.targets[0] if isinstance(s, ast.Assign) else s.target
            base = target.value if isinstance(target, ast.Subscript) else target
            if base.id not in needed:
                continue
        if isinstance(s, ast.Pass):
            continue
        if isinstance(s, ast.FunctionDef):
            kept.append(s)
            continue
        if _compound(s):
            s.body = eliminate_dead(s.body, needed)
            s.orelse = eliminate_dead(s.orelse, needed)
            if not [b for b in s.body if not is_comment(b)] and not [b for b in s.orelse if not is_comment(b)] \
                    and not isinstance(s, ast.While):
                continue
            if isinstance(s, ast.If) and not [b for b in s.body if not is_comment(b)]:
                if s.orelse:
                    s.test = ast.UnaryOp(op=ast.Not(), operand=s.test)
                    s.body, s.orelse = s.orelse, []
            if not s.body:
                s.body = [ast.Pass()]
        kept.append(s)
    # drop comments that head nothing
    result = []
    for i, s in enumerate(kept):
        if is_comment(s):
            nxt = kept[i + 1] if i + 1 < len(kept) else None
            if nxt is None or is_comment(nxt) or isinstance(nxt, ast.Return):
                continue
        result.append(s)
    return result


def optimize(fdef):
    body = fdef.body
    ret = body[-1]
    stmts = body[:-1]
    for _ in range(2):
        mutated = _mutated(stmts)
        stmts = propagate_copies(stmts + [ret], mutated)
        ret = stmts.pop()
        stmts = eliminate_dead(stmts, _needed(stmts, ret))
    fdef.body = stmts + [ret]
    return fdef
