"""Pass 8b, reverse mode: sums of per-step products over a loop's adjoint computed once, after the loop.

The adjoint of a loop-invariant weight used in every step of a loop adds one product per step:

    for t in reversed(range(t2)):
        ...
        bU += h_1.T @ bt7          # (B, H).T @ (B, H), one small product per step
        bb += bt7.sum(axis=0)

The sum over the steps of `X_t.T @ G_t` is one product of the rows of all steps stacked
(`concatenate(X_rows).T @ concatenate(G_rows)`), and the sum of `G_t.sum(axis=0)` is one sum of them. The
loop then keeps the per-step values in lists (`h_1_rows.append(h_1)`) and the products are made after it:

    for t in reversed(range(t2)):
        ...
        h_1_rows.append(h_1)
        bt7_rows.append(bt7)
    if bt7_rows:
        bt7_all = np.concatenate(bt7_rows)
        bU += np.concatenate(h_1_rows).T @ bt7_all
        bb += bt7_all.sum(axis=0)

It holds exactly when (checked here, the loop left as it is otherwise):
- the loop is an adjoint loop at the top level of the adjoint (`for t in reversed(...)`) and each such
  statement is at the top level of its body (it runs once per step);
- the accumulated name is neither read nor written anywhere else in the loop (nothing in the loop sees a
  partial sum);
- nothing in the loop changes an array in place other than these sums and row stores into names the loop
  never reads (`bt4_all[t] += bt4`), so the values kept in the lists are the values the products read;
- X and G have static shapes (dims.py: the same shape at every step, no UNKNOWN size) of rank 1 or 2 for a
  product (the product contracts their first axes, along which the rows are stacked) and of rank >= 1 for a
  sum;
- a sum's rows are kept for a product anyway (`bb += bt7.sum(axis=0)` beside `bU += h_1.T @ bt7`): alone, a
  sum saves one NumPy call per step and keeps every step's rows alive, which measured slower (the LSTM's
  `bb += bz.sum(axis=0)`, rows of 32 x 256: 1.23x the hand-written gradient against 1.11x; the memory the
  kept rows take is new pages at every call).
The sums are added in another order (one BLAS product per CHUNK steps instead of T): equal up to rounding.
In a loop `for t in reversed(range(n))` without `break` (its last step is t == 0) the products are made
every CHUNK steps, when `t % CHUNK == 0`, and the lists emptied: they hold at most CHUNK steps' rows (with
their stacked copies), whatever the number of steps; in other loops after the loop, from all the steps.
"""
import numpy as np

from . import dims, ir
from .adjoints import assign
from .ir import Assign, AugAssign, Attr, BinOp, Break, Call, Compare, Const, ExprStmt, For, Global, If, Mutate, \
    SetItem, Var, While

CHUNK = 64  # steps whose rows are kept before their products are made (the memory they hold)


def batch_sums(adjoint, rev, alloc):
    """The adjoint with the per-step sums of its top-level loops computed after them (a new list)."""
    primal_of = {b: p for p, b in rev.adjoints.names.items()}

    def shape(name):  # (the rank of a shape known at every step: an UNKNOWN size may be another step's)
        d = rev.dims.get(primal_of.get(name, name))
        return None if d is None or dims.UNKNOWN in d else len(d)

    out = []
    for s in adjoint:
        out += _Loop(s, shape, alloc).rewrite() if _is_adjoint_loop(s) else [s]
    return _first_row_stores(out)


def _first_row_stores(adjoint):
    """`bt4_all[t] += bt7` -> `bt4_all[t] = bt7` in an adjoint loop over distinct rows t, when bt4_all was
    made zeros just before the loop (`bt4_all = _ad.zeros_like(t4_all)`, nothing between reading it) and
    nothing else in the loop reads or writes it: each row is written once, into zeros (0.0 + g is g)."""
    zeros = {}  # name -> position of `name = _ad.zeros_like(...)` not read or written since
    for position, s in enumerate(adjoint):
        if _is_adjoint_loop(s):
            for k, x in enumerate(s.body):
                if isinstance(x, SetItem) and x.op == "+" and isinstance(x.target, Var) and \
                        x.target.name in zeros and x.items == (Var(s.target),) and not x.tuple_form and \
                        x.result is None and _only_use(s, x):
                    s.body[k] = _copy(x, SetItem(x.target, x.items, x.value))
            zeros.clear()
            continue
        touched = set()  # (every name it or its nested blocks read, write or store into: `bx[1] = g` too)
        for x in ir.walk([s], into_functions=True):
            touched |= ir.stmt_reads(x) | ir.stmt_writes(x)
        for n in [n for n in zeros if n in touched]:
            del zeros[n]
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Call) and \
                isinstance(s.value.func, Global) and s.value.func.path == ("_ad", "zeros_like"):
            zeros[s.target] = position
    return adjoint


def _only_use(loop, store):
    """Is `store` the only statement of the loop that names its array, and the loop's counter not rebound?"""
    name = store.target.name
    for x in ir.walk(loop.body):
        if x is not store and (name in ir.stmt_reads(x) or name in ir.stmt_writes(x) or
                               isinstance(x, SetItem) and isinstance(x.target, Var) and x.target.name == name):
            return False
        if loop.target in ir.stmt_writes(x):
            return False
    return not ir.names_in(store.value) & {name}


def _is_adjoint_loop(s):
    it = s.iter if isinstance(s, For) else None
    return isinstance(it, Call) and isinstance(it.func, Global) and it.func.obj is reversed


def _term(expr):
    """('product', X, G) for `X.T @ G`, ('sum', None, G) for `G.sum(axis=0)` (X, G names), else None."""
    if isinstance(expr, BinOp) and expr.op == "@" and isinstance(expr.left, Attr) and expr.left.attr == "T" and \
            isinstance(expr.left.value, Var) and isinstance(expr.right, Var):
        return "product", expr.left.value.name, expr.right.name
    if isinstance(expr, Call) and isinstance(expr.func, Attr) and expr.func.attr == "sum" and \
            isinstance(expr.func.value, Var) and not expr.args and len(expr.kwargs) == 1:
        (key, axis), = expr.kwargs
        if key == "axis" and isinstance(axis, Const) and axis.value == 0 and not isinstance(axis.value, bool):
            return "sum", None, expr.func.value.name
    return None


class _Loop:
    def __init__(self, loop, shape, alloc):
        self.loop = loop
        self.shape = shape
        self.alloc = alloc

    def rewrite(self):
        loop = self.loop
        body = loop.body
        reads, writes = {}, {}
        for s in ir.walk(body):
            for n in _reads(s):
                reads[n] = reads.get(n, 0) + 1
            for n in ir.stmt_writes(s) | ({s.target.name} if isinstance(s, SetItem) else set()):
                writes[n] = writes.get(n, 0) + 1
        if not self.no_other_changes(body, reads):
            return [loop]
        copies = self.copies(body, writes)
        terms = {}  # id(statement) -> (accumulated name, kind, X, G)
        for position, s in enumerate(body):
            if not (isinstance(s, AugAssign) and s.op == "+"):
                continue
            term, acc = _term(s.value), s.target
            if term is None or reads.get(acc, 0) or writes.get(acc, 0) != 1:
                continue
            kind, x, g = term
            x, g = _original(x, copies, position), _original(g, copies, position)
            if not self.static(kind, x, g):
                continue
            terms[id(s)] = (acc, kind, x, g)
        products = {g for _, kind, _, g in terms.values() if kind == "product"}
        terms = {k: t for k, t in terms.items() if t[1] == "product" or t[3] in products}
        if not terms:
            return [loop]
        rows, lists, made, new_body = {}, {}, [], []  # name -> its list (while it holds the same object)
        for s in body:
            if id(s) in terms:
                _, kind, x, g = terms[id(s)]
                for n in (x, g) if kind == "product" else (g,):
                    if n not in rows:
                        rows[n] = self.alloc.fresh(n + "_rows")
                        made.append(rows[n])
                        new_body.append(ExprStmt(Call(Attr(Var(rows[n]), "append"), (Var(n),))))
                lists[id(s)] = (rows.get(x), rows[g])
                continue
            new_body.append(s)
            for x in ir.walk([s]):  # (a name given a new value: its next use needs a list of its own)
                for n in ir.stmt_writes(x):
                    rows.pop(n, None)
        before = [assign(r, ir.Build("list", ())) for r in made]
        stacked, after = {}, []

        def stack(r):
            if r not in stacked:
                stacked[r] = self.alloc.fresh(r[:-len("_rows")] + "_all")
                after.append(assign(stacked[r], Call(_numpy("concatenate"), (Var(r),))))
            return Var(stacked[r])

        sums = []
        for s in body:
            if id(s) in terms:
                acc, kind, _, _ = terms[id(s)]
                xr, gr = lists[id(s)]
                if kind == "product":
                    value = BinOp("@", Attr(stack(xr), "T"), stack(gr))
                else:
                    value = Call(Attr(stack(gr), "sum"), (), (("axis", Const(0)),))
                sums.append(_copy(s, AugAssign(acc, "+", value)))
        if _counts_down_to_zero(loop):  # every CHUNK steps and at the last (t == 0): memory for CHUNK steps
            every = Compare(BinOp("%", Var(loop.target), Const(CHUNK)), ("==",), (Const(0),))
            emptied = [assign(r, ir.Build("list", ())) for r in made]
            flush = _copy(loop, If(every, after + sums + emptied, []))
            return before + [_copy(loop, For(loop.target, loop.iter, new_body + [flush], loop.carried))]
        new_loop = _copy(loop, For(loop.target, loop.iter, new_body, loop.carried))
        # (a loop that ran no step adds nothing: its lists are empty)
        return before + [new_loop, _copy(loop, If(Var(made[0]), after + sums, []))]

    def no_other_changes(self, body, reads):
        """Does nothing in the loop change an array in place, other than `+=` on names and row stores into
        names the loop does not read?"""
        for s in ir.walk(body):
            if isinstance(s, (Mutate, While)) or (isinstance(s, ExprStmt) and not isinstance(s, ir.Comment)):
                return False
            if isinstance(s, SetItem) and (reads.get(s.target.name, 0) or s.op not in ("+", None)):
                return False
            if isinstance(s, AugAssign) and reads.get(s.target, 0):
                return False
            for e in _exprs(s):
                if any(_changes_in_place(c) for c in _calls(e)):
                    return False
        return True

    def copies(self, body, writes):
        """name -> (the name it is a copy of, the copy's position) for `bt5 = bt6` at the top level of the
        loop, where both are assigned once in the loop and bt6 before the copy (so from the copy on to the
        end of the step, both hold the same object)."""
        out, assigned = {}, set()
        for position, s in enumerate(body):
            if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and \
                    s.value.name in assigned and writes.get(s.target) == 1 and writes.get(s.value.name) == 1:
                out[s.target] = (s.value.name, position)
            assigned |= ir.stmt_writes(s)
        return out

    def static(self, kind, x, g):
        rg = self.shape(g)
        if kind == "sum":
            return rg is not None and rg >= 1
        rx = self.shape(x)
        return rx in (1, 2) and rg in (1, 2)


def _counts_down_to_zero(loop):
    """Is the loop `for t in reversed(range(n))` with no `break` or `return`, and no other value given to t
    (its last step is t == 0)?"""
    it = loop.iter.args[0] if len(loop.iter.args) == 1 else None
    return isinstance(it, Call) and isinstance(it.func, Global) and it.func.obj is range and len(it.args) == 1 \
        and not it.kwargs and not any(isinstance(s, (Break, ir.Return)) or loop.target in ir.stmt_writes(s)
                                      for s in ir.walk(loop.body))


def _original(name, copies, position):
    """The name whose object `name` holds at `position` of the loop body, through the copies made before."""
    while name in copies and copies[name][1] < position:
        name = copies[name][0]
    return name


def _reads(s):
    """Names a statement reads (not the target it writes, but the array a `+=` or a row store changes)."""
    names = set()
    for e in _exprs(s):
        names |= ir.names_in(e)
    if isinstance(s, For):
        names |= ir.names_in(s.iter)
    if isinstance(s, If):
        names |= ir.names_in(s.test)
    return names


def _exprs(s):
    if isinstance(s, (Assign, AugAssign, ExprStmt)):
        return [s.value]
    if isinstance(s, SetItem):
        return [s.value] + [i for i in s.items]
    if isinstance(s, Mutate):
        return list(s.args)
    if isinstance(s, If):
        return [s.test]
    if isinstance(s, For):
        return [s.iter]
    return []


def _calls(e):
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, Call):
            yield x
        if hasattr(x, "__dataclass_fields__"):
            for f in x.__dataclass_fields__:
                v = getattr(x, f)
                if isinstance(v, (tuple, list)):
                    for item in v:
                        todo.append(item[1] if isinstance(item, tuple) and len(item) == 2 and
                                    isinstance(item[0], str) else item)
                else:
                    todo.append(v)


MUTATING_HELPERS = {"pop_item", "pop_tail", "add_at", "restore_item", "save_item"}
MUTATING_METHODS = {"fill", "sort", "put", "resize", "itemset", "partition", "setfield", "__setitem__", "__iadd__"}


def _changes_in_place(c):
    """May this call change an array it is given (`out=`, a runtime helper that does, a mutating method)?"""
    if any(k == "out" for k, _ in c.kwargs):
        return True
    f = c.func
    if isinstance(f, Global):
        return (f.path[:1] == ("_ad",) and f.path[-1] in MUTATING_HELPERS) or \
            f.obj in (np.copyto, np.put, np.place, np.putmask) or getattr(f.obj, "__name__", "") == "at"
    return isinstance(f, Attr) and f.attr in MUTATING_METHODS


def _numpy(name):
    return Global(("np", name), getattr(np, name), np)


def _copy(old, new):
    new.origin = old.origin
    return new
