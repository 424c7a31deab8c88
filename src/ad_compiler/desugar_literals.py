"""Desugaring two literal forms for desugar_expressions.Expressions (`exprs`): an f-string as `str.format` of its
template, and a list or tuple literal with starred items as a sum of pieces."""
import ast

from . import ir
from .ir import Build, Call, Const, Global


def fstring(exprs, node):
    """An f-string as a call of `str.format` on its template."""
    template = []
    args = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            template.append(str(part.value).replace("{", "{{").replace("}", "}}"))
        else:
            spec = ""
            if part.conversion != -1:
                spec += "!" + chr(part.conversion)
            if part.format_spec is not None:
                if not all(isinstance(v, ast.Constant) for v in part.format_spec.values):
                    exprs.ctx.error("a nested format specification", part)
                spec += ":" + "".join(str(v.value) for v in part.format_spec.values)
            template.append("{" + spec + "}")
            args.append(exprs.atom(part.value))
    return Call(ir.Attr(Const("".join(template)), "format"), tuple(args))


def starred_literal(exprs, node):
    """`[a, *b, c]` as `[a] + list(b) + [c]` (a tuple: `(a,) + tuple(b) + (c,)`): Python takes the items of
    an unpacked iterable, in order, when the literal is made, as `list(b)` / `tuple(b)` does."""
    kind = "tuple" if isinstance(node, ast.Tuple) else "list"
    convert = {"tuple": tuple, "list": list}[kind]
    if exprs.ctx.local(kind, node) is not None or exprs.ctx.unit.lookup(kind) != (True, convert):
        starred = next(e for e in node.elts if isinstance(e, ast.Starred))
        exprs.ctx.error("starred expressions in a literal", starred, hint="build the list with + or .extend")
    pieces, run = [], []
    for e in node.elts:
        if isinstance(e, ast.Starred):
            if run:
                pieces.append(exprs.ctx.temp(Build(kind, tuple(run)), node))
                run = []
            items = Call(Global((kind,), convert), (exprs.atom(e.value),))
            pieces.append(exprs.ctx.temp(items, e))  # (its items taken now, before the next element)
        else:
            run.append(exprs.atom(e))
    if run:
        pieces.append(exprs.ctx.temp(Build(kind, tuple(run)), node))
    value = pieces[0]
    for piece in pieces[1:-1]:
        value = exprs.ctx.temp(ir.BinOp("+", value, piece), node)
    return ir.BinOp("+", value, pieces[-1]) if len(pieces) > 1 else Call(Global((kind,), convert), (value,))
