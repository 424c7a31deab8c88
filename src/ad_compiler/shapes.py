"""Static shape facts the reverse pass uses to emit less: no value computed only to be looked at.

- `same_shapes`: which values certainly have the shape of an earlier one (elementwise operations at the
  top level, where nothing is overwritten): `t = np.exp(x)`, `t = 3 * x`, `t = a + b` with a, b alike.
  Lets `_ad.unbroadcast(g, a)` be dropped when the operands match, and lets a shape be read from an
  earlier value (`redirect_shape_reads`) so the later value need not be computed at all.
- `numpy_typed`: values certain to be NumPy arrays or scalars (which have `.shape`), so a loop can save
  `t.shape` directly.
- `statically_scalar`: the output of a full reduction (`np.sum(x)`, `x.mean()`) is certainly a scalar:
  `grad` needs no run-time check of it (and need not compute it).
"""
import ast

from .analysis import grow_names

# helpers of the runtime that read only the shape of one argument: name -> its position
SHAPE_ONLY = {"unbroadcast": 1, "unreduce": 1, "unreduce_mean": 1, "zeros_like": 0, "count_reduced": 0}


def _root(same, n, stop=()):
    while n in same and same[n] not in stop:
        n = same[n]
    return n


def same_shapes(fn, loop_defined):
    """name -> an earlier name with the same shape (top level only; loops overwrite their values)."""
    same = {}
    for s in fn.body:
        if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)):
            continue
        if s.targets[0].id in loop_defined:
            continue
        rule = getattr(s, "ad_rule", None)
        if rule is None or not rule.elementwise:
            continue
        names = {_root(same, v.id) for v in s.ad_bound.values() if isinstance(v, ast.Name)}
        others = [v for v in s.ad_bound.values() if not isinstance(v, ast.Name)]
        if len(names) == 1 and not names & loop_defined and all(
                isinstance(v, ast.Constant) and isinstance(v.value, (int, float)) for v in others):
            same[s.targets[0].id] = names.pop()
    return same


def match(same, a, b):
    """Do the names `a` and `b` certainly have the same shape?"""
    return _root(same, a) == _root(same, b)


def numpy_typed(fn):
    """Names certain to hold NumPy values: results of `@`, of NumPy functions and array methods (not
    operators, which give Python floats for Python floats), and arithmetic with one of them."""
    def holds(s, known):
        v = s.value
        if isinstance(v, ast.BinOp):
            return isinstance(v.op, ast.MatMult) or any(
                isinstance(o, ast.Name) and o.id in known for o in (v.left, v.right))
        if isinstance(v, ast.Call) and getattr(s, "ad_kind", None) == "rule":
            return s.ad_rule.template.__module__.endswith(("rules.numpy", "rules.methods"))
        return False

    return grow_names(fn, holds)


def statically_scalar(fn, out):
    """Is `out` the result of a full reduction (np.sum(x), x.mean(), ...), hence certainly a scalar?"""
    for s in fn.body:
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id == out:
            if getattr(s, "ad_kind", None) == "copy":
                return statically_scalar(fn, s.value.id)
            rule = getattr(s, "ad_rule", None)
            if rule is None or not rule.full_reduction:
                return False
            axis = s.ad_bound.get("axis")
            keep = s.ad_bound.get("keepdims", ast.Constant(value=False))
            return isinstance(axis, ast.Constant) and axis.value is None and \
                isinstance(keep, ast.Constant) and keep.value is False
    return False


def redirect_shape_reads(adjoint, same, loop_defined, skip=()):
    """Where the adjoint reads a value only for its shape, read an earlier value of the same shape."""
    if not same:
        return adjoint

    class Redirect(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "_ad" \
                    and f.attr != "zeros_like":  # zeros_like also needs the dtype
                pos = SHAPE_ONLY.get(f.attr)
                if pos is not None and pos < len(node.args) and isinstance(node.args[pos], ast.Name):
                    node.args[pos] = ast.Name(id=_root(same, node.args[pos].id, loop_defined), ctx=ast.Load())
            return node

    return [s if isinstance(s, skip) else Redirect().visit(s) for s in adjoint]
