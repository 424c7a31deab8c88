"""Pass 10, print: IR as Python source text (what users read, and exactly what is compiled).

Expressions are written directly, parenthesized by Python's precedence (the same text `ast.unparse`
gives; tests/test_source.py checks that on every generated function); statements are written line by
line, so `Comment` statements become `# ...` lines. How an object from outside the function (`Global`) is
spelled is the caller's choice (`spell`): codegen makes sure the spelling is not shadowed by a name of the
generated function.
"""
from . import ir

# Python's precedence levels (higher binds tighter)
_TEST, _NOT, _CMP, _FACTOR, _POWER, _ATOM = 1, 4, 5, 12, 13, 15
_BIN = {"|": 6, "^": 7, "&": 8, "<<": 9, ">>": 9, "+": 10, "-": 10, "*": 11, "/": 11, "//": 11, "%": 11,
        "@": 11, "**": _POWER}


def _default_spell(g):
    return ".".join(g.path)


class Printer:
    def __init__(self, spell=None, name=None, nograd_blocks=True):
        self.spell = spell or _default_spell  # Global -> source text
        self.name = name or (lambda n: n)  # SSA name -> the variable printed
        self.nograd_blocks = nograd_blocks  # `with _ad.no_grad():` around no_grad statements (not for Numba)

    # -- expressions ----------------------------------------------------------------------------------------
    def expr(self, e):
        return self.text(e)[0]

    def at(self, e, level):
        """`e`'s text, parenthesized unless it binds at least as tightly as `level`."""
        text, own = self.text(e)
        return text if own >= level else f"({text})"

    def text(self, e):
        """(source text of `e`, its precedence level)."""
        cls = e.__class__
        if cls is ir.Var:
            return self.name(e.name), _ATOM
        if cls is ir.Const:
            return _const(e.value)
        if cls is ir.Global:
            return self.spell(e), _ATOM
        if cls is ir.Call:
            args = [self.arg(a) for a in e.args]
            args += [f"**{self.at(v, _TEST)}" if k == "**" else f"{k}={self.at(v, _TEST)}" for k, v in e.kwargs]
            return f"{self.at(e.func, _ATOM)}({', '.join(args)})", _ATOM
        if cls is ir.BinOp:
            level = _BIN[e.op]
            if e.op == "**":  # right-associative; its right operand may be a unary minus
                left, right = self.at(e.left, _POWER + 1), self.at(e.right, _FACTOR)
            else:
                left, right = self.at(e.left, level), self.at(e.right, level + 1)
            return f"{left} {e.op} {right}", level
        if cls is ir.UnaryOp:
            if e.op == "not":
                return f"not {self.at(e.operand, _NOT)}", _NOT
            return f"{e.op}{self.at(e.operand, _FACTOR)}", _FACTOR
        if cls is ir.Compare:
            parts = [self.at(e.left, _CMP + 1)]
            for op, r in zip(e.ops, e.rights):
                parts += [op, self.at(r, _CMP + 1)]
            return " ".join(parts), _CMP
        if cls is ir.Attr:
            value = e.value
            base = f"({self.expr(value)})" if value.__class__ is ir.Const and type(value.value) is int else \
                self.at(value, _ATOM)
            return f"{base}.{e.attr}", _ATOM
        if cls is ir.Index:
            name = ir.attr_key(e.items)
            if name is not None:  # an attribute of an object the function made (as a container)
                return f"{self.at(e.value, _ATOM)}.{name}", _ATOM
            return f"{self.at(e.value, _ATOM)}[{self.index(e.items, e.tuple_form)}]", _ATOM
        if cls is ir.Build:
            items = [self.arg(i) for i in e.items]
            if e.kind == "list":
                return f"[{', '.join(items)}]", _ATOM
            if e.kind == "tuple":
                return (f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"), _ATOM
            pairs = [f"**{self.at(v, _TEST)}" if k is None else f"{self.at(k, _TEST)}: {self.at(v, _TEST)}"
                     for k, v in zip(e.keys, e.items)]
            return "{" + ", ".join(pairs) + "}", _ATOM
        if cls is ir.IfExp:
            return (f"{self.at(e.body, _TEST + 1)} if {self.at(e.test, _TEST + 1)} else "
                    f"{self.at(e.orelse, _TEST)}"), _TEST
        if cls is ir.Slice:
            parts = [self.at(x, _TEST) if x is not None else "" for x in (e.lower, e.upper, e.step)]
            text = ":".join(parts[:2]) + (f":{parts[2]}" if e.step is not None else "")
            return text, _TEST
        if cls is ir.Starred:
            return f"*{self.at(e.value, _BIN['|'])}", _TEST
        if cls is ir.Closure:
            return f"<closure {e.fdef.name}>", _ATOM
        raise TypeError(f"cannot print {e!r}")

    def arg(self, e):
        """An argument, list or tuple item (a starred one as `*x`)."""
        return self.text(e)[0] if e.__class__ is ir.Starred else self.at(e, _TEST)

    def index(self, items, tuple_form):
        texts = [self.text(i)[0] if i.__class__ in (ir.Slice, ir.Starred) else self.at(i, _TEST) for i in items]
        if len(texts) == 1:
            return texts[0] + ("," if tuple_form else "")
        return ", ".join(texts) if texts else "()"

    # -- statements -----------------------------------------------------------------------------------------
    def lines(self, stmts, indent=0):
        out = []
        pad = "    " * indent
        i = 0
        while i < len(stmts):
            s = stmts[i]
            if self.nograd_blocks and getattr(s, "nograd", False) and not isinstance(s, ir.Comment):
                # statements of a `with ad.no_grad():` block stay in one (so a derivative of this code
                # also takes their values for constants)
                run = i
                while run < len(stmts) and getattr(stmts[run], "nograd", False) and \
                        not isinstance(stmts[run], ir.Comment):
                    run += 1
                out.append(Line(pad + "with _ad.no_grad():", s.origin))
                for inner in stmts[i:run]:
                    for line in self.stmt(inner, indent + 1):
                        out.append(Line(pad + "    " + line, line.origin if isinstance(line, Line) else inner.origin))
                i = run
                continue
            for line in self.stmt(s, indent):
                out.append(Line(pad + line, line.origin if isinstance(line, Line) else s.origin))
            i += 1
        return out

    def stmt(self, s, indent):
        if isinstance(s, ir.Comment):
            return [f"# {s.text}"]
        if isinstance(s, ir.Assign):
            targets = ", ".join(self.name(t) for t in s.targets)
            flag = _helper_call(s.value, "tried")
            if flag is not None:  # the flag of a try / with block: its constant
                return [f"{targets} = {self.expr(flag.args[0])}"]
            text = f"{targets} = {self.expr(s.value)}"
            if len(text) > _WIDTH and s.value.__class__ is ir.Build and s.value.kind == "list":
                return _wrapped(f"{targets} = [", [self.arg(i) for i in s.value.items], "]")  # (join_items.py)
            return [text]
        if isinstance(s, ir.SetItem):
            name = ir.attr_key(s.items)
            if name is not None and name.frozen:
                return [f"object.__setattr__({self.expr(s.target)}, {str(name)!r}, {self.expr(s.value)})"]
            if name is not None:
                return [f"{self.at(s.target, _ATOM)}.{name} {s.op or ''}= {self.expr(s.value)}"]
            target = f"{self.at(s.target, _ATOM)}[{self.index(s.items, s.tuple_form)}]"
            return [f"{target} {s.op or ''}= {self.expr(s.value)}"]
        if isinstance(s, ir.AugAssign):
            return [f"{self.name(s.target)} {s.op}= {self.expr(s.value)}"]
        if isinstance(s, ir.Mutate):
            call = f"{self.expr(s.target)}.{s.method}({', '.join(self.expr(a) for a in s.args)})"
            return [f"{self.name(s.out)} = {call}" if s.out else call]
        if ir.is_throw(s):
            return [f"raise {self.expr(s.value.args[0])}"]
        if isinstance(s, ir.ExprStmt):
            return [self.expr(s.value)]
        if isinstance(s, ir.Assert):
            msg = f", {self.expr(s.msg)}" if s.msg is not None else ""
            return [f"assert {self.expr(s.test)}{msg}"]
        if isinstance(s, ir.Return):
            return [f"return {self.expr(s.value)}"]
        if isinstance(s, ir.Break):
            return ["break"]
        if isinstance(s, ir.Nonlocal):
            return [f"nonlocal {', '.join(s.names)}"]
        if isinstance(s, ir.If) and s.role == "try":
            return self.try_lines(s)
        if isinstance(s, ir.If) and s.role == "with":
            return self.with_lines(s)
        if isinstance(s, ir.If):
            out = [f"if {self.expr(s.test)}:"] + self.block(s.body)
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], ir.If) and orelse[0].orelse:
                out += [f"elif {self.expr(orelse[0].test)}:"] + self.block(orelse[0].body)
                orelse = orelse[0].orelse
            if orelse and not all(isinstance(x, ir.Comment) for x in orelse):
                out += ["else:"] + self.block(orelse)
            return out
        if isinstance(s, ir.For):
            return [f"for {self.name(s.target)} in {self.expr(s.iter)}:"] + self.block(s.body)
        if isinstance(s, ir.While):
            return [f"while {self.expr(s.test)}:"] + self.block(s.body)
        if isinstance(s, ir.FunctionDef):
            params = list(s.params)
            n = len(s.defaults)
            texts = [self.name(p) for p in params[:len(params) - n]]
            texts += [f"{self.name(p)}={self.expr(d)}" for p, d in zip(params[len(params) - n:], s.defaults)]
            return [f"def {s.name}({', '.join(texts)}):"] + self.block(s.body)
        raise TypeError(f"cannot print {s!r}")

    # -- try and with (desugar_blocks.py: an `if` on a flag the block sets) ----------------------------------
    def try_lines(self, s):
        flags = []
        level = s.orelse
        while True:
            chain = [x for x in level if isinstance(x, ir.If) and x.role == "handler"]
            if not chain:
                break
            flags.append(chain[0].test.name)
            level = chain[0].orelse
        out = ["try:"] + self.block(s.body)
        for i, (classes, _) in enumerate(s.info):
            stmts = _taken(s.orelse, flags, i)
            name = None
            first = next((x for x in stmts if not isinstance(x, ir.Comment)), None)
            if isinstance(first, ir.Assign) and _helper_call(first.value, "caught") is not None:
                name = self.name(first.target)
                stmts = [x for x in stmts if x is not first]
            header = "except"
            if classes is not None:
                header += " " + (f"({', '.join(self.expr(c) for c in classes)})" if isinstance(classes, tuple)
                                 else self.expr(classes))
            header += f" as {name}:" if name else ":"
            flag_lines = [Line(f"    {self.name(s.test.name)} = False")]
            if i < len(flags):
                flag_lines.append(Line(f"    {self.name(flags[i])} = True"))
            out += [header] + flag_lines + self.lines(stmts, 1)
        return out

    def with_lines(self, s):
        stmts = list(s.body)
        entered = next((x for x in stmts if isinstance(x, ir.ExprStmt) and _helper_call(x.value, "entered")), None)
        manager = self.expr(entered.value.args[0]) if entered is not None else "None"
        stmts = [x for x in stmts if x is not entered]
        name = None
        first = next((x for x in stmts if not isinstance(x, ir.Comment)), None)
        if isinstance(first, ir.Assign) and _helper_call(first.value, "entered_value") is not None:
            name = self.name(first.target)
            stmts = [x for x in stmts if x is not first]
        header = f"with {manager} as {name}:" if name else f"with {manager}:"
        return [header] + self.lines(stmts, 1) + [Line(f"    {self.name(s.test.name)} = True")]

    def block(self, stmts):
        inner = self.lines(stmts, 1)
        if not [x for x in stmts if not isinstance(x, ir.Comment)]:
            inner.append("    pass")
        return inner

    def function(self, fdef):
        return "\n".join(self.function_lines(fdef)) + "\n"

    def function_lines(self, fdef):
        """The lines of a function, each a `Line` knowing the statement it was printed from."""
        return self.lines([fdef])


class Line(str):
    """A printed line and the `origin` of the statement it was printed from (None for the lines the compiler
    adds): what maps a line of generated code back to the user's line, for tracebacks and notebooks."""

    def __new__(cls, text, origin=None):
        line = super().__new__(cls, text)
        line.origin = origin
        return line


_WIDTH = 110  # (a longer list literal is printed over several lines)


def _wrapped(head, items, tail):
    """`head` and the items, as many on a line as fit in _WIDTH, the next lines aligned after `head`."""
    lines, line = [], head
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else tail)
        if line.strip() and len(line) + 1 + len(piece) > _WIDTH and line != head:
            lines.append(line.rstrip())
            line = " " * len(head)
        line += piece if line == head or line.isspace() else " " + piece
    return lines + [line]


def _helper_call(e, name):
    """`e` if it is a call of the runtime helper `_ad.<name>`, else None."""
    if isinstance(e, ir.Call) and isinstance(e.func, ir.Global) and e.func.path == ("_ad", name):
        return e
    return None


def _taken(stmts, flags, i):
    """The statements of a `try`'s handlers block that run when handler i caught the exception: each
    handler `if` (on its flag) replaced by the branch taken."""
    out = []
    for x in stmts:
        if isinstance(x, ir.If) and x.role == "handler" and isinstance(x.test, ir.Var) and x.test.name in flags:
            out += _taken(x.body if flags.index(x.test.name) == i else x.orelse, flags, i)
        else:
            out.append(x)
    return out


def _const(value):
    """(text, precedence) of a constant."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        if value != value:
            return "float('nan')", _ATOM
        return ("float('inf')", _ATOM) if value > 0 else ("-float('inf')", _FACTOR)
    if value is Ellipsis:
        return "...", _ATOM
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return f"-{-value!r}", _FACTOR
    return repr(value), _ATOM


def show(stmts):
    """Debugging aid: the source of a list of IR statements."""
    return "\n".join(Printer().lines(stmts))
