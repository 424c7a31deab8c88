"""Desugaring assignments: `=` (to names, subscripts, nested tuples, several targets), `op=`, and the binding
of a target to a value (also used for loop targets).

`x op= v` stays an `AugAssign` (in place for an array, a rebinding for a number: decided by alias.py);
`x[i] op= v` is `SetItem(..., op=op)`; `x[i] = v` is `SetItem`; `a, b = v` indexes `v`.
"""
import ast

from . import desugar_index_forms
from .desugar_builtins import is_iterator_call
from .desugar_expressions import BINOPS
from .desugar_loops import _iter_list
from .desugar_scope import source_names
from .ir import Attr, AttrName, AugAssign, BinOp, Build, Call, Const, ExprStmt, Global, Index, SetItem, Slice, Var


class Assignments:
    """Emits the IR of assignment statements and of bindings to targets (through the context)."""

    def __init__(self, ctx):
        self.ctx = ctx  # desugar_context.DesugarContext

    def stmt_Assign(self, stmt):
        ctx = self.ctx
        exprs = ctx.expressions
        for t in stmt.targets:
            self.check_target(t)
        first = stmt.targets[0]
        if isinstance(first, ast.Name) and len(stmt.targets) == 1:
            exprs.expr(stmt.value, target=ctx.local(first.id, first))
            if is_iterator_call(exprs, stmt.value):
                ctx.body[-1].iterator = first.id  # (computed as a list: inline.py checks it is used once)
            return
        if isinstance(first, (ast.Tuple, ast.List)) and isinstance(stmt.value, (ast.Tuple, ast.List)) and \
                len(stmt.targets) == 1 and len(first.elts) == len(stmt.value.elts) and \
                not any(isinstance(e, ast.Starred) for e in stmt.value.elts + first.elts):
            atoms = [exprs.atom(e) for e in stmt.value.elts]  # evaluate all before assigning any
            targets = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
            atoms = [ctx.temp(a) if isinstance(a, Var) and source_names(ctx.scope, a.name) & targets else a
                     for a in atoms]  # `a, b = b, a`: keep the values read before either is rebound
            for t, a in zip(first.elts, atoms):
                self.bind(t, a, t)
            return
        value = exprs.atom(stmt.value)
        for t in stmt.targets:
            self.bind(t, value, t)

    def check_target(self, t):
        """Refuse the targets that cannot be assigned (attributes, starred names, ...)."""
        if isinstance(t, ast.Name):
            return
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                if isinstance(e, ast.Starred):  # (one: `a, *rest = xs`, written by `bind_starred`)
                    if sum(isinstance(f, ast.Starred) for f in t.elts) > 1:
                        self.ctx.error("starred assignment", e, hint="unpack into a fixed number of names")
                    e = e.value
                self.check_target(e)
            return
        if isinstance(t, ast.Subscript):
            return
        if isinstance(t, ast.Attribute):
            return  # (into an object: a store of its attribute; bind refuses what is not a local value)
        self.ctx.error(f"assignment to {type(t).__name__}", t)

    def bind(self, t, value, node):
        """Assign an atom to a target (a name, a subscript, or nested tuples: unpacked by indexing)."""
        ctx = self.ctx
        if isinstance(t, ast.Name):
            ctx.assign(ctx.local(t.id, t), value, node)
        elif isinstance(t, ast.Subscript):
            flat = desugar_index_forms.flat_index(ctx, t)
            if flat is not None:  # (`x.flat[i] = v`: np.put at its positions)
                return desugar_index_forms.flat_store(ctx, *flat, value)
            base = ctx.expressions.atom(t.value)
            if not isinstance(base, Var):
                ctx.error("assignment into something other than a local value", t)
            items, tuple_form = ctx.expressions.index(t.slice)
            ctx.emit(SetItem(base, items, value, tuple_form=tuple_form), t)
        elif isinstance(t, ast.Attribute):
            base = self.attribute_base(t)
            ctx.emit(SetItem(base, (Const(AttrName(t.attr)),), value), t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            # unpacking takes the items of any iterable (a zip, a map, a dict's keys): as a list first (a
            # list, tuple or array is indexed as it is: alias.py)
            value = ctx.temp(Call(_iter_list(), (value,)), node)
            starred = any(isinstance(e, ast.Starred) for e in t.elts)
            # (Python's ValueError for a number of items that does not fit: alias.py drops the check where the
            # kinds know the length)
            ctx.emit(ExprStmt(Call(_runtime("check_unpack"), (value, Const(len(t.elts) - starred))
                                   + ((Const(True),) if starred else ()))), node)
            if starred:
                return self.bind_starred(t, value, node)
            for i, e in enumerate(t.elts):
                item = ctx.temp(Index(value, (Const(i),)), node)
                self.bind(e, item, e)
        else:
            self.check_target(t)

    def bind_starred(self, t, value, node):
        """`a, *rest, b = items` (items indexable: `iter_list`; their number checked by `bind`): `a = items[0]`, `rest = list(items[1:-1])`
        (always a list, of the same objects), `b = items[-1]`."""
        ctx = self.ctx
        exprs = ctx.expressions
        k = next(i for i, e in enumerate(t.elts) if isinstance(e, ast.Starred))
        m = len(t.elts) - k - 1
        for i in range(k):
            self.bind(t.elts[i], ctx.temp(Index(value, (Const(i),)), node), t.elts[i])
        piece = ctx.temp(Index(value, (Slice(Const(k) if k else None, Const(-m) if m else None, None),)), node)
        star = t.elts[k]
        self.bind(star.value, ctx.temp(Call(exprs.builtin("list"), (piece,)), node), star)
        for j in range(m):
            e = t.elts[k + 1 + j]
            self.bind(e, ctx.temp(Index(value, (Const(j - m),)), node), e)

    def attribute_base(self, t):
        """The object an attribute is stored into (`self` of `self.w = ...`): a local value, else refused."""
        base = self.ctx.expressions.atom(t.value)
        if not isinstance(base, Var):
            self.ctx.error("assignment to an attribute of something other than a local value", t,
                           hint="keep the value in a local variable, or return it")
        return base

    def bind_pattern(self, target, value):
        """Bind a loop target (maybe nested tuples) to a value: an atom or ('tuple', [values])."""
        if isinstance(value, tuple) and value[0] == "tuple":
            if isinstance(target, (ast.Tuple, ast.List)):
                if len(target.elts) != len(value[1]):
                    self.ctx.error("unpacking a loop item into a different number of names", target)
                for t, v in zip(target.elts, value[1]):
                    self.bind_pattern(t, v)
                return
            value = self.ctx.temp(Build("tuple", tuple(self.pattern_atom(v) for v in value[1])))
        self.bind(target, value, target)

    def pattern_atom(self, value):
        if isinstance(value, tuple) and value[0] == "tuple":
            return self.ctx.temp(Build("tuple", tuple(self.pattern_atom(v) for v in value[1])))
        return value

    def stmt_AugAssign(self, stmt):
        ctx = self.ctx
        exprs = ctx.expressions
        self.check_target(stmt.target)
        op = BINOPS[type(stmt.op)]
        flat = desugar_index_forms.flat_index(ctx, stmt.target) if isinstance(stmt.target, ast.Subscript) else None
        if flat is not None:  # (`x.flat[i] += v`: read, then np.put, as Python's flat iterator does)
            current = desugar_index_forms.flat_read(ctx, *flat)
            right = exprs.atom(stmt.value)
            desugar_index_forms.flat_store(ctx, flat[0], flat[1], ctx.temp(BinOp(op, current, right), stmt))
            return
        if isinstance(stmt.target, ast.Subscript):
            base = exprs.atom(stmt.target.value)
            if not isinstance(base, Var):
                ctx.error("an in-place update of something other than a local value", stmt.target)
            items, tuple_form = exprs.index(stmt.target.slice)
            right = exprs.atom(stmt.value)
            ctx.emit(SetItem(base, items, right, op=op, tuple_form=tuple_form), stmt.target)
            return
        if isinstance(stmt.target, ast.Attribute):  # obj.a op= v: t = obj.a; t op= v; obj.a = t (Python's order)
            base = self.attribute_base(stmt.target)
            current = ctx.temp(Attr(base, stmt.target.attr), stmt.target)
            right = exprs.atom(stmt.value)
            ctx.emit(AugAssign(current.name, op, right))
            ctx.emit(SetItem(base, (Const(AttrName(stmt.target.attr)),), current), stmt.target)
            return
        name = ctx.local(stmt.target.id, stmt.target)
        right = exprs.atom(stmt.value)
        ctx.emit(AugAssign(name, op, right))


def _runtime(name):
    from . import runtime

    return Global(("_ad", name), getattr(runtime, name), runtime)
