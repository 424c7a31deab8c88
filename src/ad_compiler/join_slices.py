"""An array's adjoint built from the adjoints of its slices along one axis, as one call (used by driver.py on
the adjoint sweep, before the tape's decisions).

`i = z[:, :H]; f = z[:, H:2 * H]; ...` gives, in the adjoint sweep,

    bz = _ad.zeros_like(z)
    bz[:, t19:] = bt20
    ...
    bz[:, t16:t17] += bz_3
    ...
    bz[:, :H] += bz_1

zeros, then a read, an add and a write of each slice. When nothing else reads or changes `bz` between these
statements and nothing rebinds or changes in place what the last ones read (`z`, the bounds, the values)
from where each is read to the last store, they become one statement at the last store's place:

    bz = _ad.join_slices(z, 1, ((t19, None), (t16, t17), (H, t14), (None, H)), [bt20, bz_3, bz_2, bz_1])

which concatenates the values when it runs if the slices tile the axis and the values have their slices'
shapes and the zeros' dtype (checked there, so the bounds need not be proved here), and otherwise does the
same stores. Only basic slices with a step of None, along the same axis of every store, the first a
store (`=`) and the others `+=`, as reverse_stores.py writes them for an array's slices.
"""
from . import ir
from .adjoints import _fresh, helper
from .ir import Assign, Build, Call, Const, Global, SetItem, Slice, Var


def rewrite(body):
    """Join the slice stores of `body` (the adjoint sweep) in place."""
    for block in ir.all_blocks(body):
        _rewrite_block(block)


def _zeros(s):
    """The name of the array `b = _ad.zeros_like(x)` makes (x a name), and x; else None."""
    v = getattr(s, "value", None)
    if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(v, Call) and isinstance(v.func, Global) and \
            v.func.path == ("_ad", "zeros_like") and len(v.args) == 1 and not v.kwargs and isinstance(v.args[0], Var):
        return s.target, v.args[0]
    return None


def _bound(e):
    return e is None or isinstance(e, Var) or isinstance(e, Const) and (e.value is None or type(e.value) is int)


def _slice_store(s, name):
    """(axis, lower, upper) of `name[:, ..., lo:hi, :, ...] (+)= value` (one bounded slice, the others full,
    no step), else None."""
    if not (isinstance(s, SetItem) and s.target == Var(name) and s.result is None and not s.noop and
            s.op in (None, "+") and isinstance(s.value, Var) and s.items and
            all(isinstance(i, Slice) and i.step is None for i in s.items)):
        return None
    cut = [k for k, i in enumerate(s.items) if i.lower is not None or i.upper is not None]
    if len(cut) != 1 or not all(_bound(e) for e in (s.items[cut[0]].lower, s.items[cut[0]].upper)):
        return None
    item = s.items[cut[0]]
    return cut[0], item.lower, item.upper


def _changes(s):
    """Names a statement (and the blocks nested in it) rebinds or changes in place."""
    out = set()
    for t in ir.walk([s]):
        out |= ir.stmt_writes(t) | ir.changed_in_place(t)
    return out


def _reads(s):
    return set().union(*(ir.stmt_reads(t) for t in ir.walk([s])))


def _rewrite_block(block):
    j = 0
    while j < len(block):
        found = _zeros(block[j])
        if found is None:
            j += 1
            continue
        name, x = found
        stores, axis = [], None
        for k in range(j + 1, len(block)):
            s = block[k]
            cut = _slice_store(s, name)
            if cut is not None and (axis is None or cut[0] == axis) and (s.op is None) == (not stores):
                axis = cut[0]
                stores.append(k)
                continue
            if name in _reads(block[k]) or name in _changes(block[k]):
                break
        if len(stores) < 2 or not _joinable(block, j, stores, x):
            j += 1
            continue
        last = stores[-1]
        bounds = Build("tuple", tuple(Build("tuple", tuple(e if e is not None else Const(None)
                                                           for e in (block[k].items[axis].lower,
                                                                     block[k].items[axis].upper)))
                                      for k in stores))
        values = Build("list", tuple(block[k].value for k in stores))
        block[last] = Assign((name,), helper("join_slices", x, Const(axis), bounds, values), origin=block[last].origin)
        for k in [j] + stores[:-1]:
            block[k] = None
        block[:] = [s for s in block if s is not None]
        j += 1


def _joinable(block, j, stores, x):
    """Whether what the stores read keeps its value from where it is read to the last store (x from the
    zeros), and nothing but the stores reads or changes the adjoint there. Each value must be a new array
    made in this block (`_fresh`: no other name's object, changed later, can be seen through it) that
    nothing else reads before the last store."""
    name, last, at = block[j].target, stores[-1], set(stores)
    for m in stores:
        v = block[m].value.name
        if v == name or not _made_fresh(block, m, v, last):
            return False
    for k in range(j + 1, last):
        if k in at:
            continue
        s = block[k]
        changed, reads = _changes(s), _reads(s)
        if x.name in changed or name in changed | reads:
            return False
        for m in stores:
            if m < k and ir.names_in(Build("tuple", block[m].items)) & changed:
                return False
    return True


def _made_fresh(block, m, v, last):
    """Whether `v`, read at block[m], was last bound before it by an assignment of a new array
    (adjoints._fresh), or by a copy of a name that was (`bt18 = bz_3`), and nothing else reads or changes
    it (no alias of it is made) from there to the last store."""
    for k in range(m - 1, -1, -1):
        s = block[k]
        if v in _changes(s):
            if not (isinstance(s, Assign) and s.targets == (v,)) or \
                    any(v in _reads(t) | _changes(t) for t in block[k + 1:last + 1] if t is not block[m]):
                return False
            if _fresh(s.value):
                return True
            return isinstance(s.value, Var) and _made_fresh(block, k, s.value.name, last)
    return False
