"""`jit=True`: arrays the compiled derivative need not allocate (docs/jit.md, "Fewer allocations").

A jit derivative of a loop on numbers takes a microsecond or two; each array Numba allocates costs 20-40 ns
of it. Two of them are left out where that cannot change a value:

- `t = x.copy()`, what `x.tolist()` becomes (jit_lower.py), is `t = x` when `t` is read only element by
  element (`t[i]` with an integer `i`: numbers, never views of `x`) or for its shape (the second argument
  of `_ad.jit.getitem_vjp`), and nothing in the function writes into an array that may be `x`: every
  array written (`y[i] = v`, `y += v`, `out=`, an argument of a helper that may change it) is one the
  function made itself (`np.empty`, `np.zeros`, a copy, `getitem_vjp`'s zeros, the tape's arrays). Then the
  elements read from `x` are the ones the copy would hold. (`uncopy`)
- the gradient of an array argument read by its items, `b = _ad.jit.getitem_vjp(g, x, i)` (zeros of x's
  shape, `g` at `i`) made once at the top of the function and given back through `_ad.jit.grad_into(b, out)`,
  is made in `out` itself (`_ad.jit.getitem_vjp_into(g, x, i, out)`: the array the wrapper or the
  dispatcher's guard made for this call only, when it has x's shape and is float64; zeros as before
  otherwise), and `grad_into` then copies `out` onto itself. (`into_out`)
"""
import collections

from . import ir, jit_runtime, kinds as K, runtime
from .ir import Assign, AugAssign, Build, Call, Const, Global, Index, SetItem, Var

FRESH_NUMPY = {"empty", "zeros", "ones", "full"}  # np.<name>(...) makes a new array
FRESH_HELPERS = {"getitem_vjp", "stack_empty"}  # _ad.jit.<name>(...) returns a new array
READING_HELPERS = {"abs_vjp", "getitem_vjp", "tolist_vjp", "unbroadcast", "cast_like", "zeros_like", "np_copy",
                   "sum_product", "matmul_vjp_a", "matmul_vjp_b", "dot_vjp_a", "dot_vjp_b"}  # (change no argument)


def uncopy(body, kinds):
    """`body` (lowered) with the copies of `x.tolist()` no one can tell from `x` left out (in place)."""
    assigned = _assignments(body)
    fresh = {n for n, values in assigned.items() if all(_fresh(v) for v in values)}
    numbers = _numbers(body, assigned, kinds)
    written = _written(body, fresh | numbers)
    if written is None:
        return body
    for s in ir.walk(body):
        # (the copied array itself written into, after the copy: `a[1] = 5.0` is not seen by the copy, rw2-001;
        # another name of it would be a name not made fresh, which `_written` refuses)
        if isinstance(s, Assign) and len(s.targets) == 1 and _is_copy(s.value) and \
                s.value.func.value.name not in written and \
                len(assigned[s.targets[0]]) == 1 and _read_by_items(body, s.targets[0], kinds):
            s.value = s.value.func.value
    return body


def into_out(body, result, out):
    """`body` (lowered, ending before its return) with the array `result`, which `grad_into(result, out)`
    gives back, made in `out` when it is getitem_vjp's zeros made once at the top level (in place)."""
    defined = collections.Counter(s.targets[0] for s in ir.walk(body) if isinstance(s, Assign) and len(s.targets) == 1)
    top = {s.targets[0]: s for s in body if isinstance(s, Assign) and len(s.targets) == 1}
    name = result
    while name in top and defined[name] == 1 and _helper(top[name].value) == "tolist_vjp" and \
            isinstance(top[name].value.args[0], Var):  # (tolist_vjp(g, x) is g)
        name = top[name].value.args[0].name
    s = top.get(name)
    if s is None or defined[name] != 1 or _helper(s.value) != "getitem_vjp" or len(s.value.args) != 3:
        return False
    s.value = Call(Global(("_ad", "jit", "getitem_vjp_into"), jit_runtime.getitem_vjp_into, runtime),
                   s.value.args + (Var(out),))
    return True


def _assignments(body):
    out = collections.defaultdict(list)
    for s in ir.walk(body):
        if isinstance(s, Assign):
            for t in s.targets:
                out[t].append(s.value if len(s.targets) == 1 else None)
        elif isinstance(s, ir.For):
            out[s.target if isinstance(s.target, str) else None].append(None)
    return out


def _numbers(body, assigned, kinds):
    """The names that hold only numbers: of a number's kind, or (the largest such set) assigned only
    numbers (constants, arithmetic and math functions of numbers, loop counters)."""
    updated = collections.defaultdict(list)
    for s in ir.walk(body):
        if isinstance(s, AugAssign):
            updated[s.target].append(s.value)
    known = {n for n in set(assigned) | set(updated) if isinstance(kinds.get(n), K.Scalar)}
    maybe = (set(assigned) | set(updated)) - known
    while True:
        numbers = known | maybe
        drop = {n for n in maybe if not all(v is not None and _numeric(v, numbers) for v in assigned[n] + updated[n])}
        if not drop:
            return numbers
        maybe -= drop


def _numeric(e, numbers):
    """Is the expression `e` a number whenever the names in `numbers` are?"""
    if isinstance(e, Const):
        return isinstance(e.value, (bool, int, float))
    if isinstance(e, Var):
        return e.name in numbers
    if isinstance(e, Global):
        return isinstance(e.obj, (bool, int, float))
    if isinstance(e, (ir.BinOp, ir.UnaryOp, ir.Compare, ir.IfExp)):
        return all(_numeric(c, numbers) for c in ir.children(e))
    if isinstance(e, Call) and not e.kwargs and isinstance(e.func, Global):
        f = e.func
        if f.path[0] == "math" or f.path in (("float",), ("int",), ("bool",), ("len",)) or \
                f.path in (("abs",), ("min",), ("max",), ("round",), ("_ad", "jit", "abs_vjp")):
            return f.path in (("len",), ("float",), ("int",), ("bool",)) or \
                all(_numeric(a, numbers) for a in e.args)
    return False


def _fresh(v):
    """Does the value `v` make a new array (or list) that nothing else refers to?"""
    if isinstance(v, Build):
        return True
    if not isinstance(v, Call):
        return False
    f = v.func
    if isinstance(f, Global) and len(f.path) == 2 and f.path[0] == "np" and f.path[1] in FRESH_NUMPY:
        return True
    if _helper(v) in FRESH_HELPERS:
        return True
    return _is_copy(v)


def _is_copy(v):
    return isinstance(v, Call) and isinstance(v.func, ir.Attr) and v.func.attr == "copy" and not v.args and \
        not v.kwargs and isinstance(v.func.value, Var)


def _helper(v):
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.path[:2] == ("_ad", "jit") and len(v.func.path) == 3:
        return v.func.path[2]
    return None


def _written(body, safe):
    """The names of the arrays `body` may write into (or rebind, for numbers), when they are all named in
    `safe`; None when it may write into another one."""
    written = set()

    def ok(e):
        names = ir.names_in(e)
        written.update(names)
        return all(n in safe for n in names)
    for s in ir.walk(body):
        if isinstance(s, SetItem) and not (isinstance(s.target, Var) and ok(s.target)):
            return None
        if isinstance(s, AugAssign) and not ok(Var(s.target)):
            return None
        for e in _expressions(s):
            for c in ir.calls_in(e):
                if any(k == "out" and not ok(v) for k, v in c.kwargs):
                    return None
                h = _helper(c)
                if h is not None and h not in READING_HELPERS and not all([ok(a) for a in c.args]):
                    return None
                if isinstance(c.func, Global) and c.func.path[0] == "np" and len(c.args) > 2 and \
                        not all([ok(a) for a in c.args]):  # (a ufunc's `out` given by position)
                    return None
                if isinstance(c.func, ir.Attr) and c.func.attr not in ("copy", "sum", "reshape", "astype", "mean",
                                                                       "prod", "dot", "ravel", "flatten",
                                                                       "transpose", "max", "min", "append",
                                                                       "pop"):  # (a list's: not an array)
                    return None
    return written


def _read_by_items(body, name, kinds):
    """Is `name` read only as `name[i]` with an integer `i`, or as the array whose shape getitem_vjp or whose
    length check_unpack reads?"""
    allowed = total = 0
    for s in ir.walk(body):
        if isinstance(s, SetItem) and isinstance(s.target, Var) and s.target.name == name or \
                isinstance(s, AugAssign) and s.target == name:
            return False
        for e in _expressions(s):
            todo = [e]
            while todo:
                x = todo.pop()
                if isinstance(x, Var) and x.name == name:
                    total += 1
                elif isinstance(x, Index) and x.value == Var(name) and len(x.items) == 1 and \
                        _integer(x.items[0], kinds):
                    allowed += 1
                    total += 1
                    todo.extend(x.items)
                    continue
                elif _helper(x) == "getitem_vjp" and len(x.args) == 3 and x.args[1] == Var(name):
                    allowed += 1
                    total += 1
                    todo += [x.args[0], x.args[2]]
                    continue
                elif _helper(x) == "check_unpack" and x.args[0] == Var(name):  # (reads its length)
                    allowed += 1
                    total += 1
                    todo += list(x.args[1:])
                    continue
                todo.extend(ir.children(x))
    return total == allowed


def _integer(e, kinds):
    if isinstance(e, Const):
        return type(e.value) is int
    return isinstance(e, Var) and isinstance(kinds.get(e.name), K.Scalar) and kinds[e.name].cls is int


def _expressions(s):
    if isinstance(s, Assign):
        return [s.value]
    if isinstance(s, SetItem):
        return [s.target, *s.items, s.value]
    if isinstance(s, (AugAssign, ir.ExprStmt, ir.Return)):
        return [s.value] if s.value is not None else []
    if isinstance(s, (ir.If, ir.While)):
        return [s.test]
    if isinstance(s, ir.For):
        return [s.iter]
    return []


