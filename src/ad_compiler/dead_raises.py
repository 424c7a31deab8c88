"""Statements whose value the function never uses, but which may raise, kept in the derivative (`keep`).

The clean-up removes what the derivative does not need, which includes what the function itself computes and
never uses: `y = L[5]` of a list of two items, `1.0 / z` of a float zero, `x.reshape(4, 4)` of six numbers,
`math.log(-1.0)`. There Python raises and the function returns nothing, while the derivative returned a
gradient, and `value_and_grad` / `jvp` a value (h28a-004). Such a statement is marked `keep` (as a statement in
a `try` body is), so the derivative runs it and raises what the function raises. What cannot raise (arithmetic
on numbers or on an array and numbers, copies, `.shape`: hoist.py's test) is still removed; what the function
uses is kept anyway, and so is the item `x = xs[t]` of a loop `for x in xs` (within its range).

A random draw the derivative does not read (`d = random.random()`, `np.random.normal()`, `rng.normal()`, unused,
or a noise term only the output reads, which grad does not compute) is kept too: removed, it left the generator where f does not, so the draws after it gave the derivative another
realisation than f's (a wrong gradient and value, h28a-006).
"""
import numpy as np

from . import ir, kinds as K, recompute
from .hoist import _Hoister
from .ir import Assign, For, If, Var, While


class _Test:
    """hoist.py's test of what may raise, for the kinds of the function's names."""
    can_raise, safe_arithmetic, tuple_of_numbers, kind = (_Hoister.can_raise, _Hoister.safe_arithmetic,
                                                          _Hoister.tuple_of_numbers, _Hoister.kind)

    def __init__(self, kinds):
        self.kinds, self.new_kinds = kinds, {}

    def may_raise(self, v):
        """hoist.py's test, and an item of a tuple of known length (`T, B, _ = xs.shape`) cannot raise."""
        if isinstance(v, ir.Index) and len(v.items) == 1 and isinstance(v.items[0], ir.Const) and \
                type(v.items[0].value) is int and isinstance(v.value, Var):
            k = self.kind(v.value)
            if isinstance(k, K.Seq) and k.cls is tuple and k.items is not None and \
                    -len(k.items) <= v.items[0].value < len(k.items):
                return False
        return self.can_raise(v)


def keep_dead_raises(fn, kinds):
    """Mark `keep` the assignments of `fn` (SSA form) whose value nothing uses and which may raise."""
    plain = [s for s in ir.walk(fn.body) if isinstance(s, Assign) and len(s.targets) == 1 and type(s.target) is str]
    defs = {}
    for s in plain:
        defs.setdefault(s.target, []).append(s)
    out = getattr(fn, "out", None)
    roots = set(ir.names_in(out)) if out is not None else set()
    for s in ir.walk(fn.body):
        if isinstance(s, (If, While)):
            roots |= ir.names_in(s.test)
        elif isinstance(s, For):
            roots |= ir.names_in(s.iter)
        elif not (isinstance(s, Assign) and len(s.targets) == 1 and type(s.target) is str):
            roots |= ir.stmt_reads(s)
    used, todo = set(), list(roots)
    while todo:
        n = todo.pop()
        if n in used:
            continue
        used.add(n)
        for s in defs.get(n, ()):
            todo += [m for m in ir.stmt_reads(s) if m not in used]
    test = _Test(kinds)
    items = set()  # `x = xs[t]` of a loop `for t in range(len(xs))` (`for x in xs:`): within its range
    for loop in ir.walk(fn.body):
        n = _counted(loop, defs)
        if n is not None:
            items |= {id(s) for s in loop.body if isinstance(s, Assign) and isinstance(s.value, ir.Index) and
                      s.value.items == (Var(loop.target),) and s.value.value == Var(n)}
    for s in plain:
        if not s.noop and any(recompute._draws(c, kinds) for c in ir.calls_in(s.value)):
            s.keep = True  # (a draw the derivative does not read still moves the generator on: the next draws
            continue  # are f's, h28a-006; also one only the output reads, which grad does not compute)
        if s.target not in used and not s.noop and _operation(s.value) and id(s) not in items and \
                (isinstance(kinds.get(s.target), (K.Scalar, K.Array, K.Numeric)) or _constant_lookup(s.value)) and \
                all(_data(kinds.get(n)) for n in ir.names_in(s.value)) and test.may_raise(s.value):
            s.keep = True


def _operation(v):
    """An operation of the user's (an index, arithmetic, a comparison, an attribute, a call of a library function
    or method), not a value the compiler made (a closure, a display, a runtime helper's call)?"""
    if isinstance(v, ir.Compare):
        return not all(op in ("is", "is not") for op in v.ops)  # (an identity test cannot raise)
    if isinstance(v, (ir.Index, ir.BinOp, ir.UnaryOp, ir.Attr)):
        return True
    return isinstance(v, ir.Call) and (isinstance(v.func, ir.Attr) or isinstance(v.func, ir.Global) and
                                       v.func.path[:1] != ("_ad",))


def _constant_lookup(v):
    """An item, whose kind is not known, of a global or a constant that may be missing (`D["b"]` of a global dict
    without that key, `"abc"[k]`): removed, the derivative returned where f raises KeyError / IndexError
    (h28c-002). At constant positions the lookup is tried now: one that is there is removed as before."""
    if not (isinstance(v, ir.Index) and isinstance(v.value, (ir.Global, ir.Const))):
        return False
    obj = v.value.obj if isinstance(v.value, ir.Global) else v.value.value
    if not all(isinstance(i, ir.Const) for i in v.items):
        # (a table of functions chosen by a value, `ACTS[k](x)`: inline_choice.py calls it through
        # `_ad.table_position`, which raises as Python does; the lookup left unused is not data)
        return not (isinstance(obj, (tuple, list, dict)) and
                    any(callable(o) for o in (obj.values() if isinstance(obj, dict) else obj)))
    if not isinstance(obj, (dict, list, tuple, str, bytes, range, np.ndarray)):
        return True  # (a user's `__getitem__` is not called while compiling)
    items = tuple(i.value for i in v.items)
    try:
        obj[items if v.tuple_form or len(items) != 1 else items[0]]
    except Exception:
        return True
    return False


def _data(kind, depth=0):
    """A number, an array, or a list, tuple or dict of them (not a function, an object, a kind not known)?"""
    if isinstance(kind, (K.Scalar, K.Array, K.Numeric)):
        return True
    if depth > 3:
        return False
    if isinstance(kind, K.Seq):
        return all(_data(k, depth + 1) for k in (kind.items if kind.items is not None else (kind.elem,)))
    if isinstance(kind, K.Dict):
        return all(_data(k, depth + 1) for k in kind.items)
    return False


def _counted(loop, defs):
    """The sequence `xs` of a loop `for t in range(n)` with `n = len(xs)`, else None."""
    it = loop.iter if isinstance(loop, For) else None
    if not (isinstance(it, ir.Call) and isinstance(it.func, ir.Global) and it.func.obj is range and
            len(it.args) == 1 and isinstance(it.args[0], Var) and len(defs.get(it.args[0].name, ())) == 1):
        return None
    v = defs[it.args[0].name][0].value
    if isinstance(v, ir.Call) and isinstance(v.func, ir.Global) and v.func.obj is len and len(v.args) == 1 and \
            isinstance(v.args[0], Var):
        return v.args[0].name
    return None
