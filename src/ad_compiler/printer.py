"""Pass 10, print: IR as Python source text (what users read, and exactly what is compiled).

Expressions are converted to Python's `ast` and written by `ast.unparse` (which parenthesizes by
precedence); statements are written line by line, so `Comment` statements become `# ...` lines.
How an object from outside the function (`Global`) is spelled is the caller's choice (`spell`): codegen
makes sure the spelling is not shadowed by a name of the generated function.
"""
import ast

from . import ir

_BIN = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv, "%": ast.Mod, "**": ast.Pow,
        "@": ast.MatMult, "&": ast.BitAnd, "|": ast.BitOr, "^": ast.BitXor, "<<": ast.LShift, ">>": ast.RShift}
_UN = {"-": ast.USub, "+": ast.UAdd, "not": ast.Not, "~": ast.Invert}
_CMP = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE, "==": ast.Eq, "!=": ast.NotEq, "is": ast.Is,
        "is not": ast.IsNot, "in": ast.In, "not in": ast.NotIn}


def _default_spell(g):
    return ".".join(g.path)


class Printer:
    def __init__(self, spell=None, name=None):
        self.spell = spell or _default_spell  # Global -> source text
        self.name = name or (lambda n: n)  # SSA name -> the variable printed

    # -- expressions ----------------------------------------------------------------------------------------
    def to_ast(self, e):
        if isinstance(e, ir.Var):
            return ast.Name(id=self.name(e.name), ctx=ast.Load())
        if isinstance(e, ir.Const):
            return _const(e.value)
        if isinstance(e, ir.Global):
            parts = self.spell(e).split(".")
            node = ast.Name(id=parts[0], ctx=ast.Load())
            for p in parts[1:]:
                node = ast.Attribute(value=node, attr=p, ctx=ast.Load())
            return node
        if isinstance(e, ir.Call):
            args = [self.to_ast(a) for a in e.args]
            keywords = []
            for k, v in e.kwargs:
                keywords.append(ast.keyword(arg=None if k == "**" else k, value=self.to_ast(v)))
            return ast.Call(func=self.to_ast(e.func), args=args, keywords=keywords)
        if isinstance(e, ir.Starred):
            return ast.Starred(value=self.to_ast(e.value), ctx=ast.Load())
        if isinstance(e, ir.BinOp):
            return ast.BinOp(left=self.to_ast(e.left), op=_BIN[e.op](), right=self.to_ast(e.right))
        if isinstance(e, ir.UnaryOp):
            return ast.UnaryOp(op=_UN[e.op](), operand=self.to_ast(e.operand))
        if isinstance(e, ir.Compare):
            return ast.Compare(left=self.to_ast(e.left), ops=[_CMP[o]() for o in e.ops],
                               comparators=[self.to_ast(r) for r in e.rights])
        if isinstance(e, ir.Attr):
            return ast.Attribute(value=self.to_ast(e.value), attr=e.attr, ctx=ast.Load())
        if isinstance(e, ir.Index):
            return ast.Subscript(value=self.to_ast(e.value), slice=self.index(e.items, e.tuple_form), ctx=ast.Load())
        if isinstance(e, ir.Build):
            items = [self.to_ast(i) for i in e.items]
            if e.kind == "list":
                return ast.List(elts=items, ctx=ast.Load())
            if e.kind == "tuple":
                return ast.Tuple(elts=items, ctx=ast.Load())
            return ast.Dict(keys=[self.to_ast(k) for k in e.keys], values=items)
        if isinstance(e, ir.IfExp):
            return ast.IfExp(test=self.to_ast(e.test), body=self.to_ast(e.body), orelse=self.to_ast(e.orelse))
        if isinstance(e, ir.Slice):
            return ast.Slice(lower=self.to_ast(e.lower) if e.lower is not None else None,
                             upper=self.to_ast(e.upper) if e.upper is not None else None,
                             step=self.to_ast(e.step) if e.step is not None else None)
        if isinstance(e, ir.Closure):
            return ast.Name(id=f"<closure {e.fdef.name}>", ctx=ast.Load())
        raise TypeError(f"cannot print {e!r}")

    def index(self, items, tuple_form):
        elts = [self.to_ast(i) for i in items]
        if tuple_form or len(elts) != 1:
            return ast.Tuple(elts=elts, ctx=ast.Load())
        return elts[0]

    def expr(self, e):
        return ast.unparse(self.to_ast(e))

    # -- statements -----------------------------------------------------------------------------------------
    def lines(self, stmts, indent=0):
        out = []
        pad = "    " * indent
        for s in stmts:
            out.extend(pad + line for line in self.stmt(s, indent))
        return out

    def stmt(self, s, indent):
        if isinstance(s, ir.Comment):
            return [f"# {s.text}"]
        if isinstance(s, ir.Assign):
            targets = ", ".join(self.name(t) for t in s.targets)
            return [f"{targets} = {self.expr(s.value)}"]
        if isinstance(s, ir.SetItem):
            target = ast.unparse(ast.Subscript(value=self.to_ast(s.target), slice=self.index(s.items, s.tuple_form),
                                               ctx=ast.Store()))
            return [f"{target} {s.op or ''}= {self.expr(s.value)}"]
        if isinstance(s, ir.AugAssign):
            return [f"{self.name(s.target)} {s.op}= {self.expr(s.value)}"]
        if isinstance(s, ir.Mutate):
            call = f"{self.expr(s.target)}.{s.method}({', '.join(self.expr(a) for a in s.args)})"
            return [f"{self.name(s.out)} = {call}" if s.out else call]
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

    def block(self, stmts):
        inner = self.lines(stmts, 1)
        if not [x for x in stmts if not isinstance(x, ir.Comment)]:
            inner.append("    pass")
        return inner

    def function(self, fdef):
        return "\n".join(self.stmt(fdef, 0)) + "\n"


def _const(value):
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        text = "float('nan')" if value != value else ("float('inf')" if value > 0 else "-float('inf')")
        return ast.parse(text, mode="eval").body
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    return ast.Constant(value=value)


def show(stmts):
    """Debugging aid: the source of a list of IR statements."""
    return "\n".join(Printer().lines(stmts))
