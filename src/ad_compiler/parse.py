"""Pass 1, parse: read a function's source and the environment its names live in.

Produces a :class:`ParsedFunction`: the function's AST (decorators stripped), a way to map AST positions
back to the user's file, and the environment (globals, closure cells, builtins) used to resolve calls.
"""
import ast
import builtins
import inspect
import linecache
import textwrap

from .errors import SourceLocation, SourceUnavailableError, UnsupportedError


class ParsedFunction:
    def __init__(self, func, tree, filename, first_line, indent, file_lines):
        self.func = func
        self.tree = tree  # ast.FunctionDef, positions relative to the dedented source
        self.filename = filename
        self.first_line = first_line  # file line of the dedented source's line 1
        self.indent = indent  # columns removed by dedent
        self.file_lines = file_lines
        self.name = func.__name__
        code = func.__code__
        cells = func.__closure__ or ()
        self.cells = dict(zip(code.co_freevars, cells))
        self.globals = func.__globals__
        self.known = {}  # parameter name -> the object it is known to be (the `self` of a bound method)

    # -- positions -------------------------------------------------------------------------------
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
        """The statement's source on one line, without comments (for the comments of the generated code).
        For `if`/`for`/`while`, the header only."""
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

    # -- names -----------------------------------------------------------------------------------
    def lookup(self, name):
        """Resolve a free name as the function would at call time: closure cell, global, builtin."""
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


def parse_function(func):
    """Read `func`'s source and return a :class:`ParsedFunction`."""
    if not inspect.isfunction(func):
        raise UnsupportedError(
            f"ad_compiler differentiates Python functions defined with `def`; got {func!r}",
            hint="pass the plain function (not a builtin, class or callable object)",
        )
    try:
        lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {func.__qualname__}: {exc}",
            hint="define the function in a file (the interactive shell keeps no source), "
            "or register a derivative for it with @ad.defvjp",
        ) from None
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = _indent_of(lines[0]) - _indent_of(source.splitlines()[0]) if lines else 0
    filename = func.__code__.co_filename
    file_lines = linecache.getlines(filename) or lines
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        module = _parse_fragment(source) if func.__name__ == "<lambda>" else None
        if module is None:
            raise SourceUnavailableError(
                f"cannot parse the source of {func.__qualname__}: {exc.msg}",
                hint="define the function with `def` (a lambda inside a larger expression cannot be read alone)",
            ) from None
    tree = module.body[0] if module.body else None
    if func.__name__ == "<lambda>":
        tree = _lambda_as_def(module, func)
    if not isinstance(tree, ast.FunctionDef):
        raise UnsupportedError(
            f"cannot differentiate {func.__qualname__}: only functions defined with `def` or a lambda "
            "alone on its line are supported",
            hint="rewrite it as a `def` function",
        )
    tree.decorator_list = []
    if first_line == 0:  # source from a string/exec: inspect gives line 0
        first_line = 1
    return ParsedFunction(func, tree, filename, first_line, indent, file_lines)


def _parse_fragment(source):
    """The lines holding a lambda may be part of a larger expression: try them as one in parentheses."""
    try:
        module = ast.parse("(\n" + source + "\n)")
    except SyntaxError:
        return None
    ast.increment_lineno(module, -1)  # the added "(" line
    return module


def _lambda_as_def(module, func):
    """`f = lambda x: x * x` as `def lambda_(x): return x * x`, if exactly one lambda on the lines fits."""
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
    import io
    import tokenize

    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                return text[:tok.start[1]].rstrip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return text


def _indent_of(line):
    return len(line) - len(line.lstrip())
