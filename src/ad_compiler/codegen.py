"""Pass 11, codegen: print the generated function, compile that very text, and link it to its names.

The source is what users read (`g.source`), and the function is compiled *from that text*, under a
filename registered in `linecache`, so tracebacks and `pdb` show the generated lines.

Names from outside the function are spelled so that nothing the user writes can shadow them: the user's
own name when it is bound to the same object in the user's module and the generated function does not
assign it (`np.cos`); ad_compiler's runtime as `_ad` (`_ad.unreduce`, `_ad.np` when the user has no alias
for NumPy, `_ad.builtins.len` when the user shadows `len`); any other object through a closure variable
`_ad_<name>`. The generated function gets the user's globals (nothing is added to them) and a closure of
`_ad`, those objects, and the user's own closure cells.
"""
import ast
import builtins
import linecache
import math
import re
import types
import weakref

import numpy as np

from . import ir, runtime

_DATA = (np.ndarray, int, float, complex, np.generic, str, bytes, type(None))  # (driver._DATA)
from .printer import Printer

_RUNTIME_ALIASES = {id(np): "np", id(math): "math", id(builtins): "builtins"}


class Names:
    """Chooses how each Global is spelled in one generated module of functions."""

    def __init__(self, user_globals, locals_, cells):
        self.user_globals = user_globals
        self.locals = set(locals_)
        self.cells = cells  # the user's closure cells: name -> cell
        self.externs = {}  # closure name -> object
        self.live_cells = {}  # closure name -> another function's closure cell, read live (spell)
        self._by_id = {}

    def spell(self, g):
        root_name = g.path[0]
        root = g.base
        rest = g.path[1:]
        if root_name == "_ad":
            return ".".join(g.path)
        home = getattr(g, "home", None)
        if home is not None and root_name not in self.locals and isinstance(root, _DATA):
            # (data: printed from where it was read. The differentiated function's own cell or globals by
            # name; another function's closure variable through its very cell, read live; another module's
            # global as the object it was (driver.Context.frozen). Not by a name of the differentiated
            # function that happens to refer to the same object (`from config import LR`): h19-011)
            if home is self.user_globals or home is self.cells.get(root_name):
                return ".".join(g.path)
            if isinstance(home, types.CellType):
                return ".".join((self.live(root_name, home),) + rest)
            return ".".join((self.extern(root_name, root),) + rest)
        if root_name not in self.locals:
            if root_name in self.cells:
                try:
                    if self.cells[root_name].cell_contents is root:
                        return ".".join(g.path)
                except ValueError:
                    pass
            elif root_name in self.user_globals:
                if self.user_globals[root_name] is root:
                    return ".".join(g.path)
            elif getattr(builtins, root_name, None) is root and root is not None:
                return ".".join(g.path)
        if id(root) in _RUNTIME_ALIASES:
            return ".".join(("_ad", _RUNTIME_ALIASES[id(root)]) + rest)
        if getattr(builtins, root_name, None) is root:
            return ".".join(("_ad", "builtins", root_name) + rest)
        if getattr(runtime, root_name, None) is root:
            return ".".join(("_ad", root_name) + rest)
        return ".".join((self.extern(root_name, root),) + rest)

    def live(self, name, cell):
        """The name of a closure variable of the generated function bound to `cell` itself."""
        key = ("cell", id(cell))
        if key in self._by_id:
            return self._by_id[key]
        candidate = self._fresh("_ad_" + "".join(c if c.isalnum() or c == "_" else "_" for c in name))
        self.live_cells[candidate] = cell
        self._by_id[key] = candidate
        return candidate

    def _fresh(self, base):
        candidate, k = base, 1
        while candidate in self.externs or candidate in self.live_cells or candidate in self.locals or \
                candidate in self.cells:
            k += 1
            candidate = f"{base}_{k}"
        return candidate

    def extern(self, name, obj):
        key = id(obj)
        if key in self._by_id:
            return self._by_id[key]
        candidate = self._fresh("_ad_" + "".join(c if c.isalnum() or c == "_" else "_" for c in name))
        self.externs[candidate] = obj
        self._by_id[key] = candidate
        return candidate


def local_names(fdef):
    out = set(fdef.params)
    for s in ir.walk(fdef.body, into_functions=True):
        out |= ir.stmt_writes(s)
        if isinstance(s, ir.FunctionDef):
            out |= set(s.params)
    return out


def local_names_of_body(fn):
    out = set(fn.params)
    for s in ir.walk(fn.body):
        out |= ir.stmt_writes(s)
    return out


def to_source(fdefs, names, origins=None, nograd_blocks=True):
    """The source of these functions; `origins`, a list, receives the origin of each line (the statement it
    was printed from, None for the lines the compiler adds); `nograd_blocks`: no_grad statements in a
    `with _ad.no_grad():` block (for a derivative of the code; Numba's code is not differentiated again)."""
    printer = Printer(spell=names.spell, nograd_blocks=nograd_blocks)
    lines = []
    for f in fdefs:
        if lines:
            lines.append("")
        lines += printer.function_lines(f)
    if origins is not None:
        origins.extend(getattr(line, "origin", None) for line in lines)
    return "\n".join(lines) + "\n"


def compile_source(source, func_name, filename, user_globals, cells):
    """Compile `source` (defining `func_name`) into a function with the user's globals and these closure
    cells (a dict name -> cell; `_ad` is added)."""
    filename = _unique(filename, source)
    tree = ast.parse(source, filename=filename)
    freevars = sorted(v for v in set(cells) | {"_ad"} if re.search(r"\b" + re.escape(v) + r"\b", source))
    # wrap in a factory so that these names become closure variables (free in the generated function)
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=v) for v in freevars], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
    ret = ast.Return(value=ast.Name(id=func_name, ctx=ast.Load()))
    factory = ast.FunctionDef(name="_ad_factory", args=args, body=tree.body + [ret], decorator_list=[],
                              returns=None)
    if hasattr(ast, "TypeAlias"):  # Python 3.12+
        factory.type_params = []
    last = source.count("\n") + 1
    for node in [factory, ret, ret.value] + list(args.args):  # (the parsed body has its own positions)
        node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = 1, 0, last, 0
    module = ast.Module(body=[factory], type_ignores=[])
    code = compile(module, filename, "exec")
    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in factory_code.co_consts if isinstance(c, types.CodeType) and c.co_name == func_name)
    closure = []
    for v in inner.co_freevars:
        closure.append(types.CellType(runtime) if v == "_ad" else cells[v])
    fn = types.FunctionType(inner, user_globals, func_name, None, tuple(closure))
    fn._ad_text = source  # its own source (`.source` may add the callees'); ad.export reads it
    register_source(filename, source)
    _compiled[filename] = weakref.ref(fn)
    return fn


_compiled = {}  # filename -> weak reference to the function compiled under it


def compiled_from(filename):
    """The generated function compiled under `filename` (None if there is none any more)."""
    ref = _compiled.get(filename)
    return ref() if ref is not None else None


def _unique(filename, source):
    """`filename`, or `filename #2`, ... when another source is registered under it (the same function
    compiled for other argument kinds): each generated function's lines stay readable."""
    candidate, k = filename, 1
    while candidate in linecache.cache and "".join(linecache.cache[candidate][2]) != source:
        k += 1
        candidate = f"{filename[:-1]} #{k}>" if filename.endswith(">") else f"{filename} #{k}"
    return candidate


def register_source(filename, source):
    """Make `filename` readable by tracebacks, inspect and pdb (mtime None: never checked against a file)."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
