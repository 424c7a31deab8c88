"""Desugaring expressions: every operand becomes an atom (a name, a constant or a global), nested expressions
are evaluated into temporaries `t1, t2, ...` in Python's order. Also names (local, global, dotted module
paths), calls, subscripts, literals, lambdas, and the conditional forms (`x if c else y`,
`and`/`or`) that become `if` statements. Comprehensions are handed to desugar_loops; f-strings and starred
literals are desugar_literals.py.
"""
import ast

import numpy as np

from . import desugar_index_forms, desugar_literals, desugar_numpy_forms, desugar_numpy_names, ir
from .ir import Build, Call, Const, Global, If, Index, Slice, Var

EXPR_NOT_YET = {
    ast.SetComp: "set comprehensions", ast.Await: "await", ast.Yield: "yield (a generator is not a function of "
    "its inputs)", ast.YieldFrom: "yield from", ast.NamedExpr: "the walrus operator `:=`", ast.Set: "set literals",
}
FORBIDDEN_CALLS = {"exec", "eval", "globals", "locals", "vars", "setattr", "delattr", "compile", "__import__"}
BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
          ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}
CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
       ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


class Expressions:
    """Evaluates expressions into atoms, emitting one IR statement per operation (through the context)."""

    def __init__(self, ctx):
        self.ctx = ctx  # desugar_context.DesugarContext

    # -- names ------------------------------------------------------------------------------------------------
    def resolve_global(self, node):
        """The object a free dotted name (`np.linalg.norm`) refers to, or None."""
        chain = dotted_chain(node)
        if chain is None or self.ctx.scope.resolve(chain[0])[0] == "local":
            return None
        found, obj = self.ctx.unit.lookup(chain[0])
        if not found:
            return None
        for p in chain[1:]:
            try:
                obj = getattr(obj, p)
            except AttributeError:
                return None
        self.ctx.unit.reads[tuple(chain)] = obj
        self.ctx.unit.roots.setdefault(chain[0], self.ctx.unit.lookup(chain[0])[1])
        return obj

    def builtin(self, name):
        import builtins

        return Global((name,), getattr(builtins, name))

    def name(self, node):
        irname = self.ctx.local(node.id, node)
        if irname is not None:
            return Var(irname)
        found, obj = self.ctx.unit.lookup(node.id)
        if not found:
            self.ctx.error(f"the name `{node.id}`, which is not defined", node, hint="define it before the function")
        self.ctx.unit.reads[(node.id,)] = obj
        _refuse_masked(self.ctx, node, obj)
        return Global((node.id,), obj, None, _home(self.ctx.unit, node.id, obj))

    # -- expressions ------------------------------------------------------------------------------------------
    def defaults(self, args):
        """The atoms of a nested function's defaults (positional, then keyword-only), evaluated where it is
        defined: a name is copied, so that rebinding it later does not change the default."""
        out = []
        for d in list(args.defaults) + [d for d in args.kw_defaults if d is not None]:
            a = self.atom(d)
            out.append(self.ctx.temp(a, d) if isinstance(a, Var) else a)
        return tuple(out)

    def atom(self, node):
        """Evaluate `node` into an atom, emitting statements for its operations."""
        ctx = self.ctx
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return Const(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and type(node.operand.value) in (int, float, complex):
            v = node.operand.value
            return Const(-v if isinstance(node.op, ast.USub) else v)
        chain = dotted_chain(node)
        if chain is not None and ctx.scope.resolve(chain[0])[0] != "local":
            obj = self.resolve_global(node)
            if obj is not None or ctx.unit.lookup(chain[0])[0]:
                if obj is None and not _has_attr_chain(ctx.unit, chain):
                    ctx.error(f"`{'.'.join(chain)}`, which does not exist", node)
                ctx.unit.reads[tuple(chain)] = obj
                ctx.unit.roots.setdefault(chain[0], ctx.unit.lookup(chain[0])[1])
                _refuse_masked(ctx, node, obj)
                root = ctx.unit.lookup(chain[0])[1]
                return Global(tuple(chain), obj, root, _home(ctx.unit, chain[0], root))
            # (`math.prod(...)` without `import math`: as a plain name; an atom again here never ended)
            ctx.error(f"the name `{chain[0]}`, which is not defined", node, hint="define (or import) it before the "
                      "function")
        return self.expr(node, None)

    def expr(self, node, target):
        """Emit `target = <node>`; returns the atom holding the value (a temporary when target is None)."""
        ctx = self.ctx
        if isinstance(node, ast.BoolOp):
            # `a and b` is `b if a else a`; `a or b` is `a if a else b` (operands evaluated as Python does)
            first, rest = node.values[0], node.values[1:]
            if len(rest) == 1:
                tail = rest[0]
            else:  # (the tail `b or c` spans from b to the end: errors and comments point into it)
                tail = ast.BoolOp(op=node.op, values=rest)
                ast.copy_location(tail, rest[0])
                tail.end_lineno, tail.end_col_offset = node.end_lineno, node.end_col_offset
            target = target or ctx.alloc.temp()
            a = self.atom(first)
            then, other = (tail, a) if isinstance(node.op, ast.And) else (a, tail)
            return self.conditional(a, then, other, target, node)
        if isinstance(node, ast.IfExp):
            target = target or ctx.alloc.temp()
            return self.conditional(self.atom(node.test), node.body, node.orelse, target, node)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
            # built in a temporary and bound when complete: `p = {k: p[k] * 2 for k in p}` reads the old `p`
            built = ctx.alloc.temp()
            ctx.loops.comprehension(node, built)
            if target is None:
                return Var(built)
            ctx.assign(target, Var(built), node)
            return Var(target)
        if isinstance(node, ast.Lambda):
            fdef = lambda_def(node)
            value = ir.Closure(fdef, ctx.scope, ctx.unit, self.defaults(node.args))
        elif isinstance(node, (ast.Name, ast.Constant, ast.Attribute, ast.UnaryOp)) and self.is_atomic(node):
            value = self.atom(node)
        else:
            value = self.operation(node)
        target = target or ctx.alloc.temp()
        ctx.assign(target, value, node)
        return Var(target)

    def is_atomic(self, node):
        if isinstance(node, (ast.Name, ast.Constant)):
            return True
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant) and \
                type(node.operand.value) in (int, float, complex)
        chain = dotted_chain(node)
        return chain is not None and self.ctx.scope.resolve(chain[0])[0] != "local"

    def conditional(self, test, then, other, target, node):
        """`target = then if test else other`, as an `if` statement (only the branch taken is evaluated)."""
        ctx = self.ctx
        blocks = []
        for e in (then, other):
            block = []
            with ctx.into(block):
                if isinstance(e, ast.AST):
                    self.expr(e, target)
                else:
                    ctx.assign(target, e, node)
            blocks.append(block)
        ctx.emit(If(test, blocks[0], blocks[1]), node)
        return Var(target)

    def operation(self, node):
        """The IR value of one operation (its operands evaluated into atoms)."""
        kind = type(node)
        if kind in EXPR_NOT_YET:
            self.ctx.error(EXPR_NOT_YET[kind], node)
        if isinstance(node, ast.BinOp):
            return ir.BinOp(BINOPS[type(node.op)], self.atom(node.left), self.atom(node.right))
        if isinstance(node, ast.UnaryOp):
            return ir.UnaryOp(UNARY[type(node.op)], self.atom(node.operand))
        if isinstance(node, ast.Compare):
            return ir.Compare(self.atom(node.left), tuple(CMP[type(o)] for o in node.ops),
                              tuple(self.atom(c) for c in node.comparators))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            return ir.Attr(self.atom(node.value), node.attr)
        if isinstance(node, ast.Subscript):
            flat = desugar_index_forms.flat_index(self.ctx, node)  # (`x.flat[i]`: np.take of its positions)
            if flat is not None:
                return desugar_index_forms.flat_read(self.ctx, *flat)
            value = self.atom(node.value)
            items, tuple_form = self.index(node.slice)
            return Index(value, items, tuple_form)
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return desugar_literals.starred_literal(self, node)
            kind = "tuple" if isinstance(node, ast.Tuple) else "list"
            return Build(kind, tuple(self.atom(e) for e in node.elts))
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                self.ctx.error("`**` in a dict literal", node)
            keys = []
            values = []
            for k, v in zip(node.keys, node.values):
                keys.append(self.atom(k))
                values.append(self.atom(v))
            keys, values = _last_of_each_key(keys, values)
            if len(keys) > 1 and not all(isinstance(k, Const) for k in keys):
                # (keys known only when it runs may be equal: the later entry replaces the earlier, as stores do)
                made = Var(self.ctx.alloc.temp())
                self.ctx.emit(ir.Assign((made.name,), Build("dict", (), ())), node)
                for k, v in zip(keys, values):
                    self.ctx.emit(ir.SetItem(made, (k,), v), node)
                return made
            return Build("dict", tuple(values), tuple(keys))
        if isinstance(node, ast.JoinedStr):
            return desugar_literals.fstring(self, node)
        if isinstance(node, ast.Slice):
            self.ctx.error("a slice outside an index", node)
        self.ctx.error(f"the expression `{type(node).__name__}`", node)

    def index(self, node):
        """The items of a subscript: atoms and Slices; and whether it was written as a tuple."""
        if isinstance(node, ast.Tuple):
            return tuple(self.index_item(e) for e in node.elts), True
        return (self.index_item(node),), False

    def index_item(self, node):
        if isinstance(node, ast.Slice):
            return Slice(self.atom(node.lower) if node.lower else None,
                         self.atom(node.upper) if node.upper else None,
                         self.atom(node.step) if node.step else None)
        if isinstance(node, ast.Starred):
            self.ctx.error("a starred index", node)
        return self.atom(node)

    def call(self, node):
        """The IR `Call` of a call expression (the function, `*args` and `**kwargs` evaluated into atoms); for
        `map` and `functools.reduce`, the atom holding the value of the loop they become."""
        func = node.func
        special = self.ctx.builtin_calls.rewrite(node)
        if special is None:
            special = desugar_numpy_forms.rewrite(self.ctx, node)  # `np.sum(x, where=m)`, `np.take(.., mode=)`
        if special is None:
            special = desugar_numpy_names.rewrite(self.ctx, node)  # NumPy 2's spellings: `np.clip(a, min=lo)`
        if special is None:
            special = desugar_index_forms.rewrite(self.ctx, node)  # `np.take_along_axis`, `np.add.at`: indexing
        if special is not None:
            return special
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS and self.ctx.local(func.id, func) is None:
            self.ctx.error(f"`{func.id}(...)`", node,
                           hint="dynamic code cannot be read by a source-to-source compiler")
        if isinstance(func, ast.Attribute) and not self.is_atomic(func):
            f = ir.Attr(self.atom(func.value), func.attr)
        elif isinstance(func, (ast.Name, ast.Attribute)):
            f = self.atom(func)
        elif isinstance(func, ast.Lambda):
            f = self.expr(func, None)
        else:
            f = self.atom(func)
        if isinstance(func, ast.Name) and func.id == "super" and not node.args and not node.keywords and \
                self.resolve_global(func) is super:
            return self.zero_argument_super(node, f)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args.append(ir.Starred(self.atom(a.value)))
            else:
                args.append(self.call_arg(a))
        kwargs = []
        for k in node.keywords:
            if k.arg is None:
                kwargs.append(("**", self.atom(k.value)))
            else:
                kwargs.append((k.arg, self.call_arg(k.value)))
        return Call(f, tuple(args), tuple(kwargs))

    def call_arg(self, node):
        return self.atom(node)

    def zero_argument_super(self, node, f):
        """`super()` in a method: `super(Class, self)`, with the class the method was defined in (its
        `__class__` cell) and its first parameter."""
        ctx = self.ctx
        cell = ctx.unit.cells.get("__class__")
        params = ctx.fdef.args.posonlyargs + ctx.fdef.args.args
        try:
            cls = cell.cell_contents
        except (AttributeError, ValueError):
            cls = None
        if cls is None or not params or ctx.local(params[0].arg, node) is None:
            ctx.error("`super()` outside a method", node, hint="call the base class's method by its name")
        return Call(f, (Global((cls.__name__,), cls), Var(ctx.local(params[0].arg, node))))


def dotted_chain(node):
    """['np', 'linalg', 'norm'] for `np.linalg.norm`, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _has_attr_chain(unit, chain):
    found, obj = unit.lookup(chain[0])
    for p in chain[1:]:
        if not hasattr(obj, p):
            return False
        obj = getattr(obj, p)
    return found


def lambda_def(lam):
    """A lambda as the `def` returning its body (a `Closure` holds a FunctionDef)."""
    ret = ast.Return(value=lam.body)
    ast.copy_location(ret, lam.body)
    fdef = ast.FunctionDef(name="lambda", args=lam.args, body=[ret], decorator_list=[], returns=None)
    if hasattr(ast, "TypeAlias"):
        fdef.type_params = []
    ast.copy_location(fdef, lam)
    return fdef


def _last_of_each_key(keys, values):
    """A dict literal's entries as Python keeps them where a constant key comes again (`{'a': x, 'a': y}`
    is `{'a': y}`): the first key's place and object, the last value (the others, already computed as
    atoms, are not in the dict: the adjoint of the literal gave them the entry's adjoint too: h13-004)."""
    first = {}  # a constant key -> its index in the entries kept
    out_keys, out_values = [], []
    for k, v in zip(keys, values):
        key = k.value if isinstance(k, Const) else None
        try:
            at = first.get(key) if isinstance(k, Const) else None
        except TypeError:  # (an unhashable constant: Python raises when the literal runs)
            at = None
        if at is not None:
            out_values[at] = v
            continue
        if isinstance(k, Const):
            try:
                first[key] = len(out_keys)
            except TypeError:
                pass
        out_keys.append(k)
        out_values.append(v)
    return out_keys, out_values


def _refuse_masked(ctx, node, obj):
    """A free name referring to a masked array (numpy.ma): its operations skip the masked entries, and the
    rules do not (h19-005; an argument: driver._refuse_masked)."""
    if isinstance(obj, np.ma.MaskedArray):
        ctx.error(f"`{ast.unparse(node)}`, a masked array (numpy.ma) whose operations skip the masked entries "
                  "(the derivative's rules do not),", node,
                  hint="use its data and mask as two arrays (M.data, np.ma.getmaskarray(M)) and np.where")


def _home(unit, name, root):
    """Where the free name `name` of `unit`, referring to the data `root`, is bound: its closure cell or its
    globals dict (None otherwise, and for what is not data: modules, functions, classes keep comparing equal
    wherever they were read, ir.Global.__eq__)."""
    if not isinstance(root, (np.ndarray, int, float, complex, np.generic, str, bytes, type(None))):
        return None
    where = unit.where(name)
    return where[1] if where is not None and where[0] in ("cell", "global") else None
