"""Static shape facts: which values certainly have the shape of an earlier one.

An elementwise operation whose other operands are numbers gives a result of its operand's shape
(`t = np.exp(x)`, `t = 3 * x`, `t = a ** 2`), as does one over operands already known to share a shape.
The reverse transform uses this to drop `_ad.unbroadcast(g, a)` when the shapes match, and to read a
shape from an earlier value (so a later value need not be computed only to be looked at). Only values
defined outside loops (a loop overwrites its values).
"""
from . import ir, kinds as K
from .ir import Assign, Const, Var

# runtime helpers that read only the shape of one argument: name -> its position
SHAPE_ONLY = {"unbroadcast": 1, "unreduce": 1, "unreduce_mean": 1, "zeros_like": 0, "count_reduced": 0}


def _root(same, n, stop=()):
    while n in same and same[n] not in stop:
        n = same[n]
    return n


def same_shapes(fn, ops, kinds, loop_defined):
    """name -> an earlier name with the same shape (top level only). Parameters known to hold arrays of
    the same shape (the derivative is compiled for such arguments: `fn.equal_shapes`) start it."""
    same = dict(getattr(fn, "equal_shapes", None) or {})
    for s in fn.body:
        if not isinstance(s, Assign) or s.target in loop_defined:
            continue
        op = ops.get(id(s))
        if op is None or op.kind != "rule" or not op.rule.elementwise:
            continue
        names, others_ok = set(), True
        for p, v in op.bound.items():
            if isinstance(v, Var):
                if isinstance(kinds.get(v.name), K.Scalar):
                    continue
                names.add(_root(same, v.name))
            elif not (isinstance(v, Const) and (v.value is None or isinstance(v.value, (int, float)))):
                others_ok = False
        if others_ok and len(names) == 1 and not names & loop_defined:
            same[s.target] = names.pop()
    return same


def match(same, a, b):
    return _root(same, a) == _root(same, b)


def operand_has_result_shape(same, kind, param, bound, rule):
    """Does this operand of an elementwise rule certainly have the result's shape? (Yes when no other
    operand can broadcast it up: numbers, the same value, values known to share its shape.) `kind` maps an
    atom to its kind."""
    mine = bound[param]
    mk = kind(mine)
    others = [bound[p] for p in rule.params if p != param and not rule.is_varargs(p)]
    others = [o for o in others if not (isinstance(o, Const) and (o.value is None or isinstance(
        o.value, (int, float, bool))))]
    if isinstance(mk, K.Scalar):
        return all(isinstance(kind(o), K.Scalar) for o in others)
    for o in others:
        k = kind(o)
        if isinstance(k, (K.Scalar, K.Other)) or o == mine:
            continue
        if isinstance(o, Var) and isinstance(mine, Var) and match(same, o.name, mine.name):
            continue
        return False
    return True


def redirect_shape_reads(stmts, same, loop_defined):
    """Where the adjoint reads a value only for its shape, read an earlier value of the same shape."""
    if not same:
        return stmts

    def fix(e):
        if isinstance(e, ir.Call) and isinstance(e.func, ir.Global) and e.func.path[:1] == ("_ad",) \
                and e.func.path[-1] != "zeros_like":  # zeros_like also needs the dtype
            pos = SHAPE_ONLY.get(e.func.path[-1])
            if pos is not None and pos < len(e.args) and isinstance(e.args[pos], Var):
                args = list(e.args)
                args[pos] = Var(_root(same, e.args[pos].name, loop_defined))
                return ir.Call(e.func, tuple(args), e.kwargs)
        return e

    for s in ir.walk(stmts):
        if isinstance(s, Assign):
            s.value = ir.map_expr(s.value, fix)
        elif isinstance(s, ir.ExprStmt):
            s.value = ir.map_expr(s.value, fix)
        elif isinstance(s, ir.SetItem):
            s.value = ir.map_expr(s.value, fix)
        elif isinstance(s, ir.AugAssign):
            s.value = ir.map_expr(s.value, fix)
    return stmts
