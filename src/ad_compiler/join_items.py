"""A 1-d array's adjoint built from the adjoints of the numbers its `tolist()` gave, as one list (used by
driver.py on the adjoint sweep, before the tape's decisions; the list counterpart of join_slices.py).

`a, b, c = p.tolist()` (t1 = p.tolist(); a = t1[0]; ...) gives, in the adjoint sweep,

    bt1 = _ad.getitem_vjp(bc, t1, 2)
    _ad.add_at(bt1, 1, bb)
    _ad.add_at(bt1, 0, ba)
    bp = _ad.tolist_vjp(bt1, p)

a list of zeros, then a helper call per item read (the building simulation: 25 calls, and five for each of
them in its hvp, which differentiates them again). When the list's items are numbers (their zeros are 0.0,
and `add_at` stores 0.0 + b, the value b), each position is added to once, and nothing but these statements
reads or changes the list adjoint or the values before the last of them, they become

    bt1 = [ba, bb, bc]
    bp = _ad.tolist_vjp(bt1, p)

a list of the first positions' adjoints (0.0 where an item was not read) up to the last one read: a list
shorter than p, whose entries after it are zeros, as `tolist_vjp` reads it. Only for a list `tolist_vjp`
alone reads afterwards (the adjoint of `x.tolist()`), where that reading holds; and only where every
position is a constant int that is not negative (the list's length is not known when compiling).
"""

from . import ir, kinds as K
from .ir import Assign, Build, Call, Comment, Const, ExprStmt, Global, Var

_LIMIT = 256  # (positions: a longer literal is not more readable than the calls)


def rewrite(body, kinds):
    """Join the item adjoints of `body` (the adjoint sweep) in place."""
    reads = ir.read_counts(body)
    for block in ir.all_blocks(body):
        _rewrite_block(block, kinds, reads)


def _helper(e, name, n):
    return isinstance(e, Call) and isinstance(e.func, Global) and e.func.path == ("_ad", name) and \
        len(e.args) == n and not e.kwargs


def _position(e):
    return e.value if isinstance(e, Const) and type(e.value) is int and 0 <= e.value < _LIMIT else None


def _numbers(kind):
    """A list whose items are numbers (float or int): their zeros are 0.0 (runtime.zeros_like)."""
    if not (isinstance(kind, K.Seq) and kind.cls is list):
        return False
    items = kind.items if kind.items is not None else (kind.elem,)
    return all(isinstance(k, K.Scalar) and k.cls in (float, int) for k in items)


def _copy(s):
    """The target and source names of a copy `a = b` (SSA's and the sweep's), else None."""
    if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and not s.noop:
        return s.target, s.value.name
    return None


def _between(s, name, entries):
    """Whether `s`, between the adds, leaves them as they are: an assignment (no block) that neither reads
    nor changes the list adjoint and rebinds no value added before it (read at the last add's place)."""
    if isinstance(s, Comment):
        return True
    if not (isinstance(s, Assign) and len(s.targets) == 1) or s.noop:
        return False
    touched = ir.stmt_writes(s) | ir.changed_in_place(s)
    return name not in touched | ir.stmt_reads(s) and \
        not touched & ir.names_in(Build("list", tuple(entries.values())))


def _rewrite_block(block, kinds, reads):
    j = 0
    while j < len(block):
        s = block[j]
        v = getattr(s, "value", None)
        if not (isinstance(s, Assign) and len(s.targets) == 1 and _helper(v, "getitem_vjp", 3) and
                isinstance(v.args[1], Var) and _position(v.args[2]) is not None and
                _numbers(kinds.get(v.args[1].name))):
            j += 1
            continue
        name = s.target
        entries = {_position(v.args[2]): v.args[0]}
        adds, k = [j], j + 1
        while k < len(block):  # (the adds into the list adjoint, copies of names between them)
            t = block[k]
            e = getattr(t, "value", None)
            if _between(t, name, entries):
                k += 1
                continue
            if not (isinstance(t, ExprStmt) and _helper(e, "add_at", 3) and e.args[0] == Var(name)):
                break
            at = _position(e.args[1])
            if at is None or at in entries or e.args[2] == Var(name):
                break
            entries[at] = e.args[2]
            adds.append(k)
            k += 1
        last = adds[-1]
        k = last + 1
        while k < len(block) and isinstance(block[k], Comment):
            k += 1
        alias = _copy(block[k]) if k < len(block) else None
        holder = name
        if alias is not None and alias[1] == name:  # (`bt1 = bt2`, then `_ad.tolist_vjp(bt1, p)`)
            holder, k = alias[0], k + 1
            while k < len(block) and isinstance(block[k], Comment):
                k += 1
        end = block[k] if k < len(block) else None
        e = getattr(end, "value", None)
        if len(adds) < 2 or not (isinstance(end, Assign) and _helper(e, "tolist_vjp", 2) and
                                 e.args[0] == Var(holder)) or \
                reads[name] != len(adds) - 1 + 1 or (holder != name and reads[holder] != 1):
            j += 1
            continue
        items = tuple(entries.get(i, Const(0.0)) for i in range(max(entries) + 1))
        block[last] = Assign((name,), Build("list", items), origin=block[last].origin)
        for m in reversed(adds[:-1]):
            del block[m]
        j += 1
