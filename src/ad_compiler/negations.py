"""Clean-up: a negated name `bt3 = -ba` whose every use absorbs the sign is not computed.

The adjoint of `a = t2 - t3` gives t3 the adjoint `-ba`, which the adjoint of `t3 = c * v` then multiplies
(`bc += bt3 * v`, `bv = bv + bt3 * c`). Written into its uses the sign disappears into the operations
(`bc -= ba * v`, `bv = bv - ba * c`): one operation less per step of a loop on floats, one temporary less
on arrays. `-a * b` is `-(a * b)` exactly (the sign of a product), and `x + -e` is `x - e`, so the values
are the same bit for bit.

Applied only where it is a plain win: the negated name is assigned once in the function, read only in the
statements that follow in the same block (not in nested blocks, not after it), the negated name `ba` is
not rebound before the last of those reads, and in each of them the sign is absorbed (no more negations
after folding than before).
"""
from . import ir
from .ir import Assign, AugAssign, BinOp, For, If, UnaryOp, Var, While


def fold_negations(stmts, writes=None):
    """`stmts` with the absorbable negations written into their uses (in place in nested blocks)."""
    if writes is None:
        writes, readers = {}, {}  # name -> how many statements of the function write / read it
        changed = set()  # names changed in place (`out=b`, `b[i] = ...`, `b += ...` on arrays)
        for s in ir.walk(stmts, into_functions=True):
            for n in ir.stmt_writes(s):
                writes[n] = writes.get(n, 0) + 1
            for n in ir.stmt_reads(s):
                readers[n] = readers.get(n, 0) + 1
            changed |= ir.changed_in_place(s)
        writes = (writes, readers, changed)
    state = writes
    writes, readers, changed = state
    for s in stmts:
        if isinstance(s, If):
            s.body, s.orelse = fold_negations(s.body, state), fold_negations(s.orelse, state)
        elif isinstance(s, (For, While)) or isinstance(s, ir.FunctionDef):
            s.body = fold_negations(s.body, state)
    out = list(stmts)
    for i, s in enumerate(out):
        if s is None or not (isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, UnaryOp) and
                             s.value.op == "-" and isinstance(s.value.operand, Var)):
            continue
        x, y = s.target, s.value.operand.name
        if writes.get(x) != 1 or x == y:
            continue
        uses = _uses(out, i, x, y, readers.get(x, 0))
        if uses is None or len(uses) != readers.get(x, 0):  # (x is read nowhere else)
            continue
        rewritten = {}
        for j in uses:
            new = _substitute(out[j], x, s.value)
            if new is None or _negations(new) > _negations(out[j]):
                break
            if isinstance(new, Assign) and isinstance(new.value, Var) and changed & set(new.targets):
                break  # (`bm = -bt2` is a new array that `out=bm` may fill; `bm = by_2` would be by_2 itself)
            rewritten[j] = new
        else:
            for j, new in rewritten.items():
                out[j] = new
            out[i] = None
    return [s for s in out if s is not None]


def _uses(stmts, i, x, y, readers):
    """Positions of the statements after i in this block reading x, or None where x is read elsewhere (nested
    blocks, after the block) or y is rebound before the last read. The scan stops at the last of x's
    `readers` (the statements of the function reading it): linear in the distance to it, not in the block."""
    uses, y_rebound = [], False
    for j in range(i + 1, len(stmts)):
        if len(uses) == readers:
            break
        s = stmts[j]
        if s is None:
            continue
        nested = isinstance(s, (If, For, While, ir.FunctionDef))
        reads = {n for t in ir.walk([s], into_functions=True) for n in ir.stmt_reads(t)} if nested else \
            ir.stmt_reads(s)
        if x in reads:
            if nested or y_rebound or not isinstance(s, (Assign, AugAssign)) or \
                    (isinstance(s, AugAssign) and s.target == x) or x in ir.changed_in_place(s):
                return None  # (x written into, `out=x`: a negation of y there would be y's own buffer)
            uses.append(j)
        written = {n for t in ir.walk([s], into_functions=True) for n in ir.stmt_writes(t) | ir.changed_in_place(t)} if nested \
            else ir.stmt_writes(s) | ir.changed_in_place(s)
        if y in written:
            y_rebound = True
    return uses or None


def _substitute(s, x, negated):
    from .cleanup import fold

    def put(node):
        return negated if isinstance(node, Var) and node.name == x else node

    value = fold(ir.map_expr(ir.map_expr(s.value, put), _absorb))
    if isinstance(s, AugAssign):
        if s.op == "+" and isinstance(value, UnaryOp) and value.op == "-":
            return _copy(s, AugAssign(s.target, "-", value.operand))
        return _copy(s, AugAssign(s.target, s.op, value))
    return _copy(s, Assign(s.targets, value, noop=s.noop))


def _absorb(node):
    """`-a * b`, `-a / b` -> `-(a * b)`, `-(a / b)` (bit for bit the same)."""
    if isinstance(node, BinOp) and node.op in ("*", "/") and isinstance(node.left, UnaryOp) and \
            node.left.op == "-" and not isinstance(node.right, UnaryOp):
        return UnaryOp("-", BinOp(node.op, node.left.operand, node.right))
    return node


def _negations(s):
    count = 0
    todo = [s.value]
    while todo:
        e = todo.pop()
        if isinstance(e, UnaryOp) and e.op == "-":
            count += 1
        todo.extend(ir.children(e))
    return count


def _copy(old, new):
    new.origin = old.origin
    new.nograd = old.nograd
    return new
