"""Only the pieces of a concatenation's adjoint that are used, taken from the product that makes it (used
by driver.py on the adjoint sweep, before the tape's decisions).

`z = np.concatenate([x, h], axis=1) @ W` with only `h` active gives

    bt2 = bz @ W.T
    bt1 = _ad.split_along(bt2, t1, 1)
    bh = bt1[1]

which multiplies by all of W's rows though the rows of `x` are thrown away. When the product's adjoint is
read only by the split, the split only by items taken at constant positions, and some pieces are not taken
(the list's length is known), each piece taken is its own product with the slice of the other factor that
makes it (`_ad.piece_slice(t1, 1, 1, 2)`: where piece 1 lies along axis 1, from the pieces' shapes at run
time; the pieces' rank, 2, which decided the factor to cut, is checked there):

    bh = bz @ W[_ad.piece_slice(t1, 1, 1, 2)].T

Exact (the same entries, computed alone). Only the products the reverse sweep writes out for 2-d operands
(`g @ b.T` and `a.T @ g`, reverse.Reverse.inline_helper) are rewritten, cut along an axis of the result
that comes from one factor, in one statement list with no new value given to a factor in between.
"""

from . import ir, kinds as K
from .adjoints import helper
from .ir import Assign, Attr, BinOp, Call, Const, Global, Index, Var


def rewrite(body, kinds):
    """Rewrite the split products of `body` (the adjoint sweep) in place."""
    reads = ir.read_counts(body)
    for block in ir.all_blocks(body):
        _rewrite_block(block, reads, kinds)


def _split(s):
    """(adjoint split, pieces, axis) for `b = _ad.split_along(g, pieces, axis)` with a constant axis."""
    v = getattr(s, "value", None)
    if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(v, Call) and isinstance(v.func, Global) and \
            v.func.path == ("_ad", "split_along") and len(v.args) in (2, 3) and not v.kwargs and \
            isinstance(v.args[0], Var) and isinstance(v.args[1], Var):
        axis = v.args[2] if len(v.args) == 3 else Const(0)
        if isinstance(axis, Const) and type(axis.value) is int:
            return v.args[0].name, v.args[1], axis.value
    return None


def _rewrite_block(block, reads, kinds):
    defs = {}
    for j, s in enumerate(block):
        if isinstance(s, Assign) and len(s.targets) == 1:
            defs[s.target] = j
        found = _split(s)
        if found is None or found[0] not in defs or reads[found[0]] != 1:
            continue
        g_name, pieces, axis = found
        i = defs[g_name]
        product = block[i].value
        n = _length(kinds.get(pieces.name))
        takes = [k for k in range(j + 1, len(block)) if _takes(block[k], s.target)]
        positions = {block[k].value.items[0].value for k in takes}
        if n is None or len(takes) != reads[s.target] or len(positions) >= n or not takes:
            continue
        between = block[i + 1:takes[-1]]
        written = set().union(*(ir.stmt_writes(t) for t in between)) if between else set()
        if ir.names_in(product) & written or any(isinstance(t, ir.COMPOUND) for t in between):
            continue
        nd = _ndim(kinds.get(pieces.name))
        forms = [_piece(product, pieces, block[k].value.items[0].value, axis, nd) for k in takes]
        if any(f is None for f in forms):
            continue
        for k, form in zip(takes, forms):
            block[k] = Assign(block[k].targets, form, origin=block[k].origin)
        block[j] = ir.Comment("")  # (removed below)
        block[i] = ir.Comment("")
    block[:] = [s for s in block if not (isinstance(s, ir.Comment) and s.text == "")]


def _takes(s, name):
    v = getattr(s, "value", None)
    return isinstance(s, Assign) and len(s.targets) == 1 and isinstance(v, Index) and v.value == Var(name) and \
        len(v.items) == 1 and isinstance(v.items[0], Const) and type(v.items[0].value) is int and \
        v.items[0].value >= 0


def _length(kind):
    return len(kind.items) if isinstance(kind, K.Seq) and kind.items is not None else None


def _ndim(kind):
    """The rank shared by the items of a list of known kinds (the concatenation's rank), or None."""
    if not (isinstance(kind, K.Seq) and kind.items):
        return None
    ranks = {K.ndim_of(k) for k in kind.items}
    return ranks.pop() if len(ranks) == 1 and None not in ranks else None


def _piece(product, pieces, k, axis, nd):
    """Piece k along `axis` of `product` (of rank nd) as a product of one factor's slice, or None."""
    if not (isinstance(product, BinOp) and product.op == "@") or nd is None or nd < 2 or not -nd <= axis < nd:
        return None
    a, b = product.left, product.right
    axis %= nd
    if axis < nd - 2:
        return None
    cut = helper("piece_slice", pieces, Const(k), Const(axis), Const(nd))
    rows = axis == nd - 2
    if isinstance(b, Attr) and b.attr == "T" and isinstance(b.value, Var) and isinstance(a, Var):
        # g @ W.T (W 2-d): its rows are g's, its columns W's rows
        if rows:
            return BinOp("@", Index(a, (cut,)), b) if nd == 2 else None
        return BinOp("@", a, Attr(Index(b.value, (cut,)), "T"))
    if nd == 2 and isinstance(a, Attr) and a.attr == "T" and isinstance(a.value, Var) and isinstance(b, Var):
        # x.T @ g (2-d): its rows are x's columns, its columns g's
        return BinOp("@", Attr(Index(a.value, (ir.Slice(None, None, None), cut)), "T"), b) if rows else \
            BinOp("@", a, Index(b, (ir.Slice(None, None, None), cut)))
    return None
