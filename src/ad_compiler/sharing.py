"""Which names of a function may hold the same object, or share its memory: a union-find over its statements.

Two names are in one class when one is a copy of the other (`a = b`, a refresh of a value changed in place),
a view of it (`v = x[1:]`, `x.T`, `x.reshape(...)`, `np.transpose(x)`), an item of it (`t = L[0]`: the list
holds that very object), or a container holding it (`L = [x]`, `d = {"w": W}`, `L[0] = x`, `L.append(x)`,
and the next version of a container or an array after a store or a list method). A store into any name of a
class changes what every name of the class sees.

Used by the tape policy (which stores must be undone for the adjoint sweep, with the kinds of the SSA names)
and by clean-up (which stores are needed, on the generated code, where every name is taken as mutable).
`fixed_objects`: the names always bound to one and the same object (the tape need not save them).

Conservative: a value not known to be new memory (new_memory.py: arithmetic, comparisons,
ufuncs, NumPy's reductions, elementwise functions and constructors (alias_library.py's tables), functions
whose rule is elementwise, `math`, the runtime helpers known to allocate, methods of arrays giving new arrays)
may share memory with every mutable value it is made of: a call it does not know (a library function
returning a view or its argument, `np.split`, `collections.deque`, `copy.copy`, a helper), an attribute, a
method. A value of a kind that holds nothing mutable (a number) shares nothing.
"""
import numpy as np

from . import ir, kinds as K
from .alias_library import VIEW_FUNCTIONS, VIEW_METHODS, lookup
from .alias_methods import self_or_copy
from .new_memory import _NUMBERS_ABOUT, _may_be_itself, new_memory
from .ir import Assign, Call, For, Global, If, Index, Mutate, SetItem, Var, While


class Classes:
    """Union-find of names."""

    def __init__(self):
        self.parent = {}

    def find(self, n):
        while self.parent.get(n, n) != n:
            n = self.parent[n]
        return n

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def classes(stmts, kinds=None):
    """The sharing classes of the names of `stmts` (and their nested blocks and functions). `kinds` (name ->
    kind) tells which values are mutable; without it every value is taken as mutable."""
    def mutable(n):  # (a tuple holding arrays shares their memory: `p, q = pair(x)` then `q[0] = s`)
        return kinds is None or may_hold_mutable(kinds.get(n, K.UNKNOWN))

    def container(n):  # (a list, tuple or dict, an object's attributes: `self.w = z` holds z; not an array's store)
        return kinds is None or not isinstance(kinds.get(n, K.UNKNOWN), (K.Array, K.Scalar, K.Numeric))

    out = Classes()
    sequences = set()  # names bound to a list, tuple or dict literal, a sum, repeat or merge of them, an item
    for s in ir.walk(stmts, into_functions=True):
        if isinstance(s, Assign) and len(s.targets) == 1:
            t, v = s.target, s.value
            if s.noop and s.prev:
                out.union(t, s.prev)
            if isinstance(v, ir.Build) or _joined(v, sequences) or \
                    isinstance(v, Index) and isinstance(v.value, Var) and v.value.name in sequences:  # (`L[0] + M`)
                sequences.add(t)
            g = _global_of(v)
            if g is not None and mutable(t):  # (`t = CACHE[0]` and `u = CACHE[0]`: the module's one object)
                out.union(t, g)
            bases = _bases(v, container)
            if bases is None:  # (not known to be new memory: it may share that of every mutable operand)
                bases = [] if new_memory(v, kinds, sequences, t) else \
                    [n for n in sorted(ir.names_in(v)) if mutable(n)] if mutable(t) else []
            for base in bases + _joined(v, sequences):
                if mutable(t) or mutable(base):
                    out.union(t, base)
        elif isinstance(s, Assign):  # (`a, b = call()`, generated code: each may be what the value holds)
            if not new_memory(s.value, kinds, sequences):
                for t in s.targets:
                    for n in sorted(ir.names_in(s.value)):
                        if mutable(t) and mutable(n):
                            out.union(t, n)
        elif isinstance(s, ir.AugAssign) and s.op in ("+", "*", "|"):  # (`L += M`: L holds M's items)
            if not (kinds is not None and isinstance(kinds.get(s.target), (K.Array, K.Scalar))) and \
                    not new_memory(ir.BinOp(s.op, Var(s.target), s.value), kinds, sequences):
                for n in sorted(ir.names_in(s.value)):
                    if mutable(n):
                        out.union(s.target, n)
        elif isinstance(s, SetItem):
            if s.result:
                out.union(s.result, s.target.name)
            if isinstance(s.value, Var) and mutable(s.value.name) and isinstance(s.target, Var) and \
                    container(s.target.name):
                out.union(s.target.name, s.value.name)  # `L[0] = x`: the list holds x
        elif isinstance(s, Mutate):
            if s.result:
                out.union(s.result, s.target.name)
            if s.out:
                out.union(s.out, s.target.name)  # (`v = L.pop()`: the item the list held)
            for a in s.args:  # `L.append(x)`: the list holds x
                if isinstance(a, Var) and mutable(a.name):
                    out.union(s.target.name, a.name)
    return out


def _global_of(v):
    """A key for the global object (of the module or a closure) `v` is, views or takes an item of."""
    if isinstance(v, (Index, ir.Attr)):
        v = v.value
    if isinstance(v, Global) and isinstance(v.obj, (np.ndarray, list, dict)) or \
            isinstance(v, Global) and hasattr(v.obj, "__dict__") and not callable(v.obj) and \
            not isinstance(v.obj, type(np)):
        return ("global", id(v.obj))
    return None


def _joined(v, sequences):
    """`[z] * 2`, `[z] + L`, `d | {"w": z}`: a container holding the very items of these (names of
    `sequences`)."""
    if isinstance(v, ir.BinOp) and v.op in ("+", "*", "|"):
        return [e.name for e in (v.left, v.right) if isinstance(e, Var) and e.name in sequences]
    return []


def may_hold_mutable(k, depth=0):
    """Is a value of kind `k` mutable, or a tuple that may hold something mutable?"""
    if k.mutable:
        return True
    if isinstance(k, K.Seq) and depth < 8:
        items = k.items if k.items is not None else (k.elem,) if k.elem is not None else ()
        return any(may_hold_mutable(i, depth + 1) for i in items)
    return False


def _bases(v, container):
    """The names whose memory the value `v` may share: the object it copies, views or takes an item of, or
    the objects a list, tuple or dict literal holds; None where this is not known."""
    if isinstance(v, Var):
        return [v.name]
    if isinstance(v, Index) and isinstance(v.value, Var):
        return [v.value.name]
    if isinstance(v, ir.Attr) and isinstance(v.value, Var) and v.attr not in _NUMBERS_ABOUT:
        return [v.value.name]  # a view (`x.T`), or what an object holds (`t = self.w`: `t[0] = s` changes it)
    if isinstance(v, Call):
        if isinstance(v.func, Global) and lookup(VIEW_FUNCTIONS, v.func.obj) and v.args and isinstance(v.args[0], Var):
            return [v.args[0].name]
        if isinstance(v.func, Global) and v.func.obj in _holding_items():  # a new container of the same items
            return [a.name for a in v.args + tuple(e for _, e in v.kwargs) if isinstance(a, Var)]  # (`dict(w=z)`)
        if isinstance(v.func, ir.Attr) and isinstance(v.func.value, Var) and v.func.attr in VIEW_METHODS:
            return [v.func.value.name]
        if isinstance(v.func, ir.Attr) and isinstance(v.func.value, Var) and self_or_copy(v.func.attr, v):
            return [v.func.value.name]  # (`x.conj()` of a real x, `x.astype(float, copy=False)`: x itself, g2-011)
        if isinstance(v.func, Global) and v.args and isinstance(v.args[0], Var) and _may_be_itself(v):
            return [v.args[0].name]  # (np.asmatrix(x), np.require(x), np.array(x, copy=False), ...)
        if isinstance(v.func, ir.Attr) and isinstance(v.func.value, Var) and v.func.attr in _ITEM_METHODS \
                and container(v.func.value.name):
            return [v.func.value.name]  # (a shallow copy of a list or dict holds the same items; `d.get(k)`: one)
    if isinstance(v, ir.Build):
        return [i.name for i in v.items if isinstance(i, Var)]
    return None  # (not known: `new_memory` tells)



# methods of a list or dict whose result is (or holds) its very items
_ITEM_METHODS = frozenset({"copy", "values", "items", "get", "pop", "setdefault", "__getitem__"})

_VARIES = object()  # a name bound to different objects (or to objects made again at each iteration)


def fixed_objects(fn):
    """Names that are bound to one and the same object whenever they are bound: the result of a store or
    a list method (the very object changed), copies of such names (a loop's carried copies), refreshes.
    Such a name needs no saving when a loop rebinds it (its contents are restored item by item): restoring
    it would bind the object it already holds. A fixed point over the definitions (optimistic in loops)."""
    defs = []  # (name, source name or None for a new object, made inside a loop)

    def visit(stmts, depth):
        for s in stmts:
            if isinstance(s, Assign):
                if len(s.targets) == 1 and s.noop and s.prev:
                    defs.append((s.target, s.prev, depth))
                elif len(s.targets) == 1 and isinstance(s.value, Var):
                    defs.append((s.target, s.value.name, depth))
                else:
                    defs.extend((t, None, depth) for t in s.targets)
            elif isinstance(s, SetItem) and s.result:
                defs.append((s.result, s.target.name, depth))
            elif isinstance(s, Mutate):
                if s.result:
                    defs.append((s.result, s.target.name, depth))
                if s.out:
                    defs.append((s.out, None, depth))
            elif isinstance(s, If):
                visit(s.body, depth)
                visit(s.orelse, depth)
            elif isinstance(s, (For, While)):
                if isinstance(s, For):
                    defs.append((s.target, None, depth + 1))
                visit(s.body, depth + 1)

    visit(fn.body, 0)
    defined = {d[0] for d in defs}
    root = {p: p for p in fn.params}
    changed = True
    while changed:
        changed = False
        for name, source, depth in defs:
            if source is None:
                new = name if depth == 0 else _VARIES
            else:
                new = root.get(source) if source in defined or source in root else source  # (a free name: itself)
            if new is None:
                continue  # not known yet (optimistic: a carried copy of itself)
            old = root.get(name)
            merged = new if old is None or old == new else _VARIES
            if merged != old:
                root[name] = merged
                changed = True
    return {n for n, r in root.items() if r is not _VARIES and n not in fn.params}


def _holding_items():
    """Functions whose result holds the very items of their arguments (lists, iterators of their items)."""
    from . import runtime

    return {list, tuple, dict, zip, enumerate, reversed, sorted, runtime.iter_list, runtime.dict_items,
            runtime.dict_values}
