"""`a is b` of arrays in a `jit=True` derivative (the alias pass's `if a is z: a = z` after a store through a
name that is one of several arrays, alias_several.py / alias_refresh.py).

Numba has no object identity for arrays: its `is` compares the data pointer, the shape and the strides, and is
False for two arrays of different Numba types (a C-contiguous one and the same object typed as any layout).
Two distinct arrays agree on all three only if one views the other's memory (`a[:]`, `a.reshape(a.shape)`)
or both are empty. So `a is b` is written `_ad.jit.same_array(a, b)` (those three compared, whatever the
arrays' Numba types) only where every value each name may hold is new memory: an array some operation
allocated (new_memory.py: arithmetic, ufuncs, constructors, copies, the allocating helpers; the private copy of
an argument the function changes), another such
name, or an earlier value of the name restored from the tape; never an argument, an item of a container or
a view. Then equal pointers, shapes and strides of non-empty arrays mean one allocation, the very object; two
empty arrays of one shape hold nothing, so taking one for the other changes no value. Anything else is
refused at its line, as before; so is `x is None` (a name that is None before its first value holds a zero of
its kind in the compiled code: jit_lower.zero_of).
"""
from . import ir, kinds as K
from .ir import Assign, Call, Compare, Const, Global, Var
from .new_memory import new_memory


def same_object_test(e, fresh):
    """`e` (`a is b` / `a is not b`) as `_ad.jit.same_array(a, b)` (negated for `is not`) when both names are
    among `fresh` (fresh_arrays); else None."""
    if not (isinstance(e, Compare) and len(e.ops) == 1 and e.ops[0] in ("is", "is not") and
            isinstance(e.left, Var) and isinstance(e.rights[0], Var)):
        return None
    if not (e.left.name in fresh and e.rights[0].name in fresh):
        return None
    from .jit_stores import jit_helper

    test = Call(jit_helper("same_array"), (e.left, e.rights[0]))
    return test if e.ops[0] == "is" else ir.UnaryOp("not", test)


def fresh_arrays(body, kinds):
    """The names of arrays (by their kinds) every value of which is new memory: made in the function, never a
    view. Read from the body before the lowering rewrites it."""
    defs = _definitions(body)
    defs[_ITEMS] = _fixed_lists(body, defs)
    return {n for n in defs if n != _ITEMS and isinstance(kinds.get(n), K.Array) and _fresh(n, defs, kinds, set())}


_ITEMS = "\0fixed lists"


def _fixed_lists(body, defs):
    """The lists and tuples made in the function (`t1 = [x_1, g]`, every binding a display of names) that
    nothing changes and that are read only by item (`c = t1[k]`) or by the adjoint of that read
    (`_ad.getitem_vjp(g, t1, k)`): an item of one is one of those names' values (j12-009)."""
    lists = {n for n, vs in defs.items() if vs and all(isinstance(v, ir.Build) and v.kind in ("list", "tuple") and
                                                        all(isinstance(i, Var) for i in v.items) for v in vs)}
    for s in ir.walk(body):
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, ir.Index) and \
                isinstance(s.value.value, Var) and len(s.value.items) == 1 and \
                not isinstance(s.value.items[0], ir.Slice):
            lists -= ir.names_in(s.value.items[0])
            continue
        value = getattr(s, "value", None)
        if isinstance(s, Assign) and isinstance(value, Call) and isinstance(value.func, Global) and \
                value.func.path == ("_ad", "getitem_vjp") and len(value.args) == 3:
            lists -= ir.names_in(value.args[0]) | ir.names_in(value.args[2])
            continue
        if isinstance(s, Assign) and isinstance(value, ir.Build) and len(s.targets) == 1 and s.targets[0] in lists:
            continue
        lists -= set(ir.stmt_reads(s))  # (any other read: a loop over it, a copy, a change in place)
    return lists


def _definitions(body):
    """{name: [the values assigned to it]}; a name bound any other way (a loop's target, one of several
    targets, a parameter) has None among them."""
    defs = {}
    for s in ir.walk(body):
        if isinstance(s, Assign):
            for t in s.targets:
                defs.setdefault(t, []).append(s.value if len(s.targets) == 1 else None)
        elif isinstance(s, ir.For) and isinstance(s.target, str):
            defs.setdefault(s.target, []).append(None)
    return defs


def _fresh(name, defs, kinds, seen):
    """Is every value `name` may hold new memory (made in the function, no view of anything)?"""
    if name in seen:
        return True  # (through copies in a loop: the other values decide)
    seen.add(name)
    values = defs.get(name)
    if not values:
        return False  # (a parameter, or bound some other way)
    for v in values:
        if v is None:
            return False
        if isinstance(v, Var):
            if not _fresh(v.name, defs, kinds, seen):
                return False
        elif v == Const(None) or isinstance(v, Global) and v.path == ("_ad", "UNSET") or _popped(v):
            continue  # (before its first value; or an earlier value of this very name, from the tape)
        elif isinstance(v, Call) and isinstance(v.func, Global) and v.func.path == ("_ad", "private_copy"):
            continue  # (the copy of an argument the function changes in place: an array, its kind says)
        elif isinstance(v, ir.Index) and isinstance(v.value, Var) and v.value.name in defs.get(_ITEMS, ()) and \
                len(v.items) == 1 and not isinstance(v.items[0], ir.Slice):  # (an item of a fixed list: one of
            if not all(_fresh(i.name, defs, kinds, seen) for b in defs[v.value.name] for i in b.items):  # its names)
                return False
        elif not new_memory(v, kinds, target=name):
            return False
    return True


def _popped(v):
    """`tape.pop()` (the plain tape: a value the name held before)."""
    return isinstance(v, Call) and isinstance(v.func, ir.Attr) and v.func.attr == "pop" and not v.args
