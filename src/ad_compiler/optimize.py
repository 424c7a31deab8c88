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


def _subscript_targets(stmts):
    out = set()
    for s in stmts:
        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                out.add(t.value.id)
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):  # helpers that update in place
            out |= {a.id for a in s.value.args[:1] if isinstance(a, ast.Name)}
    return out


def propagate_copies(stmts, params):
    mutated = _subscript_targets(stmts)
    copies = {}
    out = []
    for s in stmts:
        if is_comment(s):
            out.append(s)
            continue
        s = _Substitute(copies).visit(s)
        s = Fold().visit(s)
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            t = s.targets[0].id
            for k in [k for k, v in copies.items() if k == t or v == t]:
                del copies[k]
            v = s.value
            if isinstance(v, ast.Name) and t not in mutated and v.id not in mutated and t != v.id:
                copies[t] = v.id
        out.append(s)
    return out


def eliminate_dead(stmts, live):
    live = set(live)
    kept = []
    for s in reversed(stmts):
        if is_comment(s):
            kept.append(s)
            continue
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            t = s.targets[0].id
            if t not in live:
                continue
            live.discard(t)
            live |= _uses(s.value)
        elif isinstance(s, (ast.Assign, ast.AugAssign)):
            target = s.targets[0] if isinstance(s, ast.Assign) else s.target
            if target.value.id not in live:
                continue
            live |= _uses(s.value) | _uses(target.slice)
        else:
            live |= _uses(s)
        kept.append(s)
    kept.reverse()
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
    params = [a.arg for a in fdef.args.args]
    for _ in range(2):
        stmts = propagate_copies(stmts + [ret], params)
        ret = stmts.pop()
        stmts = eliminate_dead(stmts, _uses(ret))
    fdef.body = stmts + [ret]
    return fdef
