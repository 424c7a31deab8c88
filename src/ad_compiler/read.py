"""Pass 1, read: a function's source, its syntax tree, and the environment its names live in.

A :class:`Unit` is one function as written: its `ast.FunctionDef` (decorators stripped), how to map AST
positions back to the user's file (for errors and for the comments of generated code), and how to resolve
its free names (closure cells, then globals, then builtins). The source is found from the function's code
object, so a decorated function (functools.wraps) is read as the wrapper that actually runs.
"""
import ast
import builtins
import inspect
import io
import linecache
import textwrap
import tokenize
import types

from .errors import SourceLocation, SourceUnavailableError, UnsupportedError
from .mangle import mangle, owner_class


class Unit:
    def __init__(self, func, tree, filename, first_line, indent, file_lines):
        self.func = func
        self.tree = tree  # ast.FunctionDef, positions relative to the dedented source
        self.filename = filename
        self.first_line = first_line  # file line of the dedented source's line 1
        self.indent = indent  # columns removed by dedent
        self.file_lines = file_lines
        self.name = func.__name__ if func.__name__ != "<lambda>" else "lambda"
        code = func.__code__
        self.cells = dict(zip(code.co_freevars, func.__closure__ or ()))
        self.globals = func.__globals__
        self.local_imports = {}  # names an `import` inside the function binds (desugar_blocks.py)
        self.reads = {}  # dotted name (a tuple) -> the object it referred to when compiling (driver: staleness)
        self.roots = {}  # first name of a dotted name read -> the object it referred to (driver.Context.frozen)

    # -- positions --------------------------------------------------------------------------------------
    def file_line(self, node):
        return node.lineno + self.first_line - 1

    def line_text(self, lineno):
        if 1 <= lineno <= len(self.file_lines):
            return self.file_lines[lineno - 1].rstrip("\n")
        return ""

    def location(self, node):
        line = self.file_line(node)
        col = node.col_offset + self.indent
        end_col = None
        if getattr(node, "end_lineno", None) == node.lineno and node.end_col_offset is not None:
            end_col = node.end_col_offset + self.indent
        return SourceLocation(self.filename, line, col, end_col, self.line_text(line), self.name)

    def statement_text(self, node):
        """The statement's source on one line, without comments; for `if`/`for`/`while`, the header only."""
        first = node.lineno
        last = getattr(node, "end_lineno", None) or first
        end_col = getattr(node, "end_col_offset", None)
        if isinstance(node, (ast.If, ast.For, ast.While, ast.With)):
            last = node.body[0].lineno - 1 if node.body and node.body[0].lineno > first else first
            end_col = None
        pieces = []
        for rel in range(first, last + 1):
            text = self.line_text(rel + self.first_line - 1)
            start = node.col_offset + self.indent if rel == first else 0
            stop = end_col + self.indent if rel == last and end_col is not None else len(text)
            piece = text[start:stop]
            if end_col is None:
                piece = _strip_comment(piece)
            pieces.append(piece.strip())
        text = " ".join(p for p in pieces if p)
        if len(text) > 72:
            text = text[:69] + "..."
        return text

    # -- names ------------------------------------------------------------------------------------------
    def lookup(self, name):
        """Resolve a free name as the function would at call time: (found, object)."""
        if name in self.local_imports:
            return True, self.local_imports[name]
        if name in self.cells:
            try:
                return True, self.cells[name].cell_contents
            except ValueError:
                return False, None
        if name in self.globals:
            return True, self.globals[name]
        if hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None

    def where(self, name):
        """Where a free name is bound: ('cell', cell) | ('global', dict) | ('builtin', None) | None."""
        if name in self.local_imports:
            return "import", self.local_imports
        if name in self.cells:
            return "cell", self.cells[name]
        if name in self.globals:
            return "global", self.globals
        if hasattr(builtins, name):
            return "builtin", None
        return None


_units = {}  # _key(code) -> (tree, filename, first_line, indent, lines): reading is the slow part


def _key(code):
    """A code object and where it is: code objects compare equal across files (`def lin(a, b=0.5): return b`
    and `def lin(a, b): return b` on the same line of two modules are equal: defaults are not in the code),
    and the source read for one is not the other's."""
    return code, code.co_filename, getattr(code, "co_qualname", code.co_name)


def read_function(func):
    """Read `func`'s source and return a :class:`Unit`."""
    if not inspect.isfunction(func):
        raise UnsupportedError(
            f"ad_compiler differentiates Python functions defined with `def`; got {func!r}",
            hint="pass the plain function (not a builtin or a class; a callable object needs a `__call__` defined with `def`)",
        )
    code = func.__code__
    cached = _units.get(_key(code))
    if cached is None:
        cached = _units[_key(code)] = _read_code(func)
    tree, filename, first_line, indent, lines = cached
    return Unit(func, tree, filename, first_line, indent, lines)  # (the passes never change the tree)


def remember(func, unit, fdef):
    """`func` was compiled from `fdef`, a nested def or lambda of `unit` (inline_lift.compile_nested): its
    source is that tree, also for a lambda sharing its line with another one (which reading would refuse)."""
    _units[_key(func.__code__)] = (fdef, unit.filename, unit.first_line, unit.indent, unit.file_lines)


def forget(code=None):
    """Drop what was read (all of it, or one code object's)."""
    if code is None:
        _units.clear()
    else:
        _units.pop(_key(code), None)


def _read_code(func):
    code = func.__code__
    filename = code.co_filename
    linecache.checkcache(filename)  # a file edited since it was read (a notebook cell run again)
    try:
        lines, first_line = _source_lines(code)
    except (OSError, TypeError) as exc:
        why, hint = _no_source(filename)
        raise SourceUnavailableError(f"cannot read the source of {func.__qualname__}: {why or exc}",
                                     hint=hint) from None
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = _indent_of(lines[0]) - _indent_of(source.splitlines()[0]) if lines else 0
    file_lines = linecache.getlines(filename) or lines
    if first_line == 0:  # source from a string/exec: inspect gives line 0
        first_line = 1
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        module = _parse_fragment(source) if func.__name__ == "<lambda>" else None
        if module is None:
            raise SourceUnavailableError(
                f"cannot parse the source of {func.__qualname__}: {exc.msg}",
                hint="define the function with `def` (a lambda inside a larger expression cannot be read alone)",
            ) from None
    if func.__name__ == "<lambda>":
        tree = _lambda_as_def(module, func)
    else:
        tree = module.body[0] if module.body else None
    if isinstance(tree, ast.AsyncFunctionDef):
        loc = SourceLocation(filename, tree.lineno + first_line - 1, tree.col_offset + indent, None,
                             file_lines[tree.lineno + first_line - 2].rstrip("\n")
                             if 0 <= tree.lineno + first_line - 2 < len(file_lines) else "", func.__name__)
        raise UnsupportedError("an `async def` function cannot be differentiated", where=loc,
                               hint="differentiate a plain `def` function (await the data outside it)")
    if not isinstance(tree, ast.FunctionDef):
        raise UnsupportedError(
            f"cannot differentiate {func.__qualname__}: only functions defined with `def` or a lambda "
            "alone on its line are supported",
            hint="rewrite it as a `def` function",
        )
    if func.__name__ != "<lambda>" and not _runs(code, source):
        raise UnsupportedError(
            f"the source of {func.__qualname__} in {filename} is not the code that runs: the file was changed "
            "after the function was defined", where=_location(tree, filename, first_line, indent, file_lines, func),
            hint="reload the module (importlib.reload) or run the definition again, so that the function runs "
                 "what the file says")
    tree.decorator_list = []
    tree = mangle(tree, owner_class(getattr(code, "co_qualname", func.__qualname__)))  # (self.__w: _Lin__w)
    return tree, filename, first_line, indent, file_lines


def _location(tree, filename, first_line, indent, file_lines, func):
    line = tree.lineno + first_line - 1
    text = file_lines[line - 1].rstrip("\n") if 1 <= line <= len(file_lines) else ""
    return SourceLocation(filename, line, tree.col_offset + indent, None, text, func.__name__)


def _runs(code, source):
    """Does `source` (a function's dedented definition, read from its file) compile to `code`, the code that
    runs? The definition is compiled where it was: inside a function defining its free variables, and inside
    its class for a method (private names are mangled with the class's name)."""
    if any(n.startswith("@py") for n in code.co_varnames + code.co_names):
        return True  # (pytest rewrote the module's asserts: the code differs from the file by design)
    free = [v for v in code.co_freevars if not v.startswith("__")]
    body = textwrap.indent(source, "        ")
    parts = code.co_qualname.split(".") if hasattr(code, "co_qualname") else []
    owner = parts[-2] if len(parts) > 1 and parts[-2] != "<locals>" else None
    # (the class's own name, read in its methods, is a global as in the file -- unless it is a free variable)
    declared = f"    global {owner}\n" if owner and owner not in free else ""
    wrapped = "def _ad_outer():\n" + declared + "".join(f"    {v} = None\n" for v in free) + \
        (f"    class {owner}:\n" if owner else "    if True:\n") + body + \
        ("".join(f"    {v}\n" for v in free) if free else "")
    try:
        module = compile(wrapped, code.co_filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return True  # (cannot tell)
    # (no function of that name in the text: the file now holds another function at its line)
    return any(_same(c, code) for c in _codes_named(module, code.co_name))


def _codes_named(code, name):
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_name == name:
                yield c
            yield from _codes_named(c, name)


def _same(a, b):
    """The same code, whatever the line numbers (and the compiler's choices that depend on the module around
    it, such as calling a method of an imported module with LOAD_ATTR rather than LOAD_METHOD)."""
    return (a.co_varnames, a.co_argcount, a.co_kwonlyargcount, a.co_posonlyargcount) == \
        (b.co_varnames, b.co_argcount, b.co_kwonlyargcount, b.co_posonlyargcount) and \
        _shape(a, a.co_name + ".<locals>.") == _shape(b, b.co_name + ".<locals>.")


_SKIPPED = {"PUSH_NULL", "CACHE", "RESUME", "NOP", "COPY_FREE_VARS", "MAKE_CELL", "EXTENDED_ARG", "PRECALL"}
_LOADS = {"LOAD_GLOBAL": "LOAD_NAME", "LOAD_DEREF": "LOAD_NAME", "LOAD_CLASSDEREF": "LOAD_NAME",
          "LOAD_METHOD": "LOAD_ATTR"}


def _shape(code, local):
    """The instructions, normalized (`local`: the prefix of qualified names of what the function defines,
    which is all of them that depends on where the function is)."""
    import dis

    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    out = []
    for ins in dis.get_instructions(code):
        if ins.opname in _SKIPPED:
            continue
        arg = ins.argval
        if ins.opcode in jumps:
            arg = None
        elif isinstance(arg, types.CodeType):
            arg = ("code", tuple(_shape(arg, local)), arg.co_varnames)
        elif isinstance(arg, str) and local in arg:  # (a class's __qualname__)
            arg = arg[arg.index(local):]
        elif not isinstance(arg, (str, int, float, complex, bytes, tuple, frozenset, type(None))):
            arg = repr(arg)
        elif isinstance(arg, float) and arg != arg:
            arg = "nan"
        out.append((_LOADS.get(ins.opname, ins.opname), type(arg).__name__, arg))
    return out


def _equal(x, y):
    try:
        return bool(x == y) or (x != x and y != y)  # (nan)
    except Exception:
        return False


def _no_source(filename):
    """(why the source is missing, what to do) for a function whose source cannot be read."""
    import sys

    if filename == "<stdin>" and hasattr(sys, "ps1"):
        return ("it was typed at the interactive prompt, which keeps no source code",
                "define the function in a file and import it (`from model import loss`), or use IPython or "
                "Jupyter, which keep the source of every cell")
    if filename == "<stdin>":
        return ("it was read from standard input (piped to `python`), which keeps no source code",
                "save the code to a file and run `python file.py` instead of piping it")
    if filename == "<string>" and sys.argv[:1] == ["-c"]:
        return ("it was defined in `python -c` code, which keeps no source code",
                "write the code to a file and run `python file.py` (or use IPython or Jupyter, which keep the "
                "source of every cell)")
    if filename.startswith("<"):
        return (f"it was made from a string ({filename}, by exec or compile), which keeps no source code",
                "define it in a file and import it, or register the string with `linecache` under the filename "
                "given to compile()")
    return (None, "make sure the file it was defined in still exists, or register a derivative for it with "
                  "@ad.defvjp")


def _source_lines(code):
    """The lines of a function's definition, from the file its code object names (what inspect does, without
    looking for the module among every loaded one)."""
    all_lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    if not all_lines or first < 1 or first > len(all_lines):
        return inspect.getsourcelines(code)
    return inspect.getblock(all_lines[first - 1:]), first


def _parse_fragment(source):
    """The lines holding a lambda may be part of a larger expression: try them as one in parentheses."""
    try:
        module = ast.parse("(\n" + source + "\n)")
    except SyntaxError:
        return None
    ast.increment_lineno(module, -1)  # the added "(" line
    return module


def _lambda_as_def(module, func):
    """`f = lambda x: x * x` as `def lambda(x): return x * x`, if exactly one lambda on the lines fits."""
    code = func.__code__
    names = list(code.co_varnames[:code.co_argcount])
    found = [n for n in ast.walk(module) if isinstance(n, ast.Lambda) and [a.arg for a in n.args.args] == names]
    if len(found) != 1:
        return None
    lam = found[0]
    ret = ast.Return(value=lam.body)
    ast.copy_location(ret, lam.body)
    fdef = ast.FunctionDef(name="lambda", args=lam.args, body=[ret], decorator_list=[], returns=None)
    if hasattr(ast, "TypeAlias"):
        fdef.type_params = []
    ast.copy_location(fdef, lam)
    return fdef


def _strip_comment(text):
    """`x = 1  # note` -> `x = 1` (a '#' inside a string literal is kept)."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                return text[:tok.start[1]].rstrip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return text


def _indent_of(line):
    return len(line) - len(line.lstrip())
