"""A loop's carried copies written as the assignments they copy (used by driver.py on forward mode's
derivative, after the clean-up, without jit).

Forward mode reads a generated gradient in SSA form: a value a loop carries has a name for its value at the
head of an iteration and one for its new value, and the iteration ends with copies (the building simulation's
hvp: about 65 a step, `t57_3 = t57_4`, `dbt56_1 = dbt56_2`, ...). Where the new value `x_2` is assigned once,
by a statement of the loop's body itself, and the old name `x_1` is neither read nor changed after that
statement in the iteration, the statement assigns `x_1` directly and the copy goes:

    for k in range(n):                       for k in range(n):
        b_2 = b_1 + g * t                        b_1 = b_1 + g * t
        h = b_2 * 2.0              ->            h = b_1 * 2.0
        b_1 = b_2

It holds exactly when (checked here): x_2 is written by that one statement only and read nowhere outside the
loop's body (after the loop its value is x_1's anyway); x_1 is written in the body only by the copy; nothing in
the body leaves it early (no break or return: x_1 would keep its old value there) and the function has no
try block or nested function (which may read the names when the loop is interrupted, or later); the copies are
the last statements of the body, and the names appear only in statements whose names are renamed here.
"""
from . import ir
from .ir import Assign, AugAssign, Comment, ExprStmt, For, If, Mutate, Return, SetItem, Var, While

_RENAMED = (Assign, AugAssign, Comment, ExprStmt, For, If, Mutate, Return, SetItem, While)


def coalesce(fdef):
    """Write the carried copies of `fdef`'s loops away, in place."""
    stmts = list(ir.walk(fdef.body, into_functions=True))
    if any(isinstance(s, ir.FunctionDef) or isinstance(s, If) and s.role is not None or
           not isinstance(s, _RENAMED) for s in stmts):
        return fdef
    for block in list(ir.all_blocks(fdef.body)):
        for s in block:
            if isinstance(s, (For, While)) and not any(isinstance(t, (ir.Break, Return)) for t in ir.walk(s.body)):
                _loop(s, fdef.body)
    return fdef


def _mentions(s):
    """Names a statement (with its nested blocks) reads or writes."""
    out = set()
    for t in ir.walk([s]):
        out |= ir.stmt_reads(t) | ir.stmt_writes(t) | ir.changed_in_place(t)
        if isinstance(t, For):
            out.add(t.target)
        if isinstance(t, Mutate) and t.result:
            out.add(t.result)
    return out


def _loop(loop, body):
    b = loop.body
    k = len(b)
    while k > 0 and (isinstance(b[k - 1], Comment) or isinstance(b[k - 1], Assign) and len(b[k - 1].targets) == 1
                     and isinstance(b[k - 1].value, Var) and not b[k - 1].noop):
        k -= 1
    if k == len(b):
        return
    inside = {id(t) for t in ir.walk(b)}
    outside = set().union(*(_mentions(t) for t in ir.walk(body) if id(t) not in inside and t is not loop))
    writes, written = _writes(body), _writes(b)  # (name -> how many statements write it)
    mentions = [_mentions(s) for s in b]
    dropped = set()
    for c in range(k, len(b)):
        copy = b[c]
        if isinstance(copy, Comment):
            continue
        old, new = copy.target, copy.value.name
        if old == new or getattr(loop, "target", None) in (old, new) or new in ir.stmt_reads(loop):
            continue
        d = next((i for i in range(c) if new in mentions[i]), None)
        if d is None or d >= k or not (isinstance(b[d], Assign) and b[d].targets == (new,)) or \
                writes.get(new) != 1 or new in outside or written.get(old) != 1 or \
                any(old in m for m in mentions[d + 1:c]) or any(new in m for m in mentions[c + 1:]):
            continue
        b[d].targets = (old,)
        for i in range(d, c):
            if new in mentions[i]:
                _rename(b[i], new, old)
                mentions[i] = (mentions[i] - {new}) | {old}
        mentions[c] = set()
        dropped.add(c)
    loop.body = [s for i, s in enumerate(b) if i not in dropped]


def _writes(body):
    counts = {}
    for t in ir.walk(body):
        names = ir.stmt_writes(t) | ({t.result} if isinstance(t, Mutate) and t.result else set())
        for n in names:
            counts[n] = counts.get(n, 0) + 1
    return counts


def _rename(s, new, old):
    def r(e):
        return ir.rename_expr(e, {new: old}) if e is not None else None
    for t in ir.walk([s]):
        if isinstance(t, Assign):
            t.value = r(t.value)
        elif isinstance(t, (ExprStmt, Return)):
            t.value = r(t.value)
        elif isinstance(t, SetItem):
            t.target, t.items, t.value = r(t.target), tuple(r(i) for i in t.items), r(t.value)
        elif isinstance(t, AugAssign):
            t.value = r(t.value)
        elif isinstance(t, Mutate):
            t.target, t.args = r(t.target), tuple(r(a) for a in t.args)
        elif isinstance(t, (If, While)):
            t.test = r(t.test)
        elif isinstance(t, For):
            t.iter = r(t.iter)
