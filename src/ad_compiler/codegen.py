"""Pass 6, codegen: write the derivative function as Python source (astor), compile it, register it.

The source is what users read (`g.source`); the compiled code is compiled *from that very text*, under a
filename registered in `linecache`, so tracebacks and `pdb` show the generated lines.

Generated code reaches ad_compiler's helpers through one reserved name, `_ad`, and the user's closure
variables through the user's own closure cells: the generated function gets the user's globals as its
globals (nothing is added to them) and a closure made of `_ad` plus the user's cells.
"""
import ast
import linecache
import re
import types

import astor

from . import runtime
from .reverse import Comment

_MARK = re.compile(r"^(\s*)(\"\"\"|'''|'|\")__ad_comment_(\d+)__\2\s*$")


def to_source(fdefs):
    """Format function definitions as source, with comments where the passes put Comment markers."""
    texts = []

    class Marker(ast.NodeTransformer):
        def visit_Expr(self, node):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, Comment):
                texts.append(node.value.value.text)
                return ast.Expr(value=ast.Constant(value=f"__ad_comment_{len(texts) - 1}__"))
            return node

    module = ast.Module(body=[Marker().visit(f) for f in fdefs], type_ignores=[])
    ast.fix_missing_locations(module)
    raw = astor.to_source(module)
    lines = []
    for line in raw.splitlines():
        m = _MARK.match(line)
        if m:
            lines.append(f"{m.group(1)}# {texts[int(m.group(3))]}")
        else:
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


def compile_source(source, func_name, filename, user_globals, cells):
    """Compile `source` (defining `func_name`) into a function with the user's globals and closure cells."""
    tree = ast.parse(source, filename=filename)
    freevars = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & (set(cells) | {"_ad"}))
    # wrap in a factory so that these names become closure variables (free in the generated function)
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=v) for v in freevars], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
    factory = ast.FunctionDef(name="_ad_factory", args=args,
                              body=tree.body + [ast.Return(value=ast.Name(id=func_name, ctx=ast.Load()))],
                              decorator_list=[], returns=None)
    if hasattr(ast, "TypeAlias"):  # Python 3.12+
        factory.type_params = []
    factory.lineno = 1
    factory.col_offset = 0
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, filename, "exec")
    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in factory_code.co_consts if isinstance(c, types.CodeType) and c.co_name == func_name)
    closure = []
    for v in inner.co_freevars:
        if v == "_ad":
            closure.append(types.CellType(runtime))
        else:
            closure.append(cells[v])
    fn = types.FunctionType(inner, user_globals, func_name, None, tuple(closure))
    register_source(filename, source)
    return fn


def register_source(filename, source):
    """Make `filename` readable by tracebacks, inspect and pdb (linecache keeps it; mtime None = never stale)."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
