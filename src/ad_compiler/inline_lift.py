"""Nested functions and lambdas used as values, for the inliner (inline_values.FunctionValues.keep_call).

A nested function or lambda is inlined where it is called. Used as a value in any other way (passed to a
library function, stored, returned), it is made a real function when it reads none of the enclosing
function's variables and its defaults are constants (its code is compiled as written, at its own lines of its
file, in its module); otherwise that is refused at the statement using it.
"""
import ast

from . import ir
from .errors import UnsupportedError
from .ir import Build, Call, Const, Global, Var


class NestedValues:
    """Nested functions used as values made real functions (`values`: the inliner's FunctionValues, for the
    statements' locations)."""

    def __init__(self, values):
        self.values = values
        self.lifted = {}  # id(fdef) -> the function made of a nested def
        self.refusing = True

    def closure_values(self, stmt, value, env, refuse=True):
        """`value` with every nested function it uses as a value (not as the function called) made a real
        function, or a located refusal when it reads the enclosing function's variables (`refuse=False`:
        left as it is; the statement may be removed as unneeded, else driver.py refuses it then)."""
        self.refusing = refuse
        if isinstance(value, Call):
            func = value.func
            args = tuple(self.as_value(stmt, a, env) for a in value.args)
            kwargs = tuple((k, self.as_value(stmt, v, env)) for k, v in value.kwargs)
            if isinstance(func, ir.Attr):
                func = ir.Attr(self.as_value(stmt, func.value, env), func.attr)
            return Call(func, args, kwargs)
        if isinstance(value, Build):
            return Build(value.kind, tuple(self.as_value(stmt, i, env) for i in value.items), value.keys)
        if isinstance(value, (ir.BinOp, ir.Compare, ir.Index, ir.Attr, ir.UnaryOp)):
            return ir.map_expr(value, lambda e: self.as_value(stmt, e, env) if isinstance(e, Var) else e)
        return value

    def as_value(self, stmt, atom, env):
        if isinstance(atom, ir.Starred):
            return ir.Starred(self.as_value(stmt, atom.value, env))
        static = env.get(atom.name) if isinstance(atom, Var) else None
        if not isinstance(static, ir.Closure):
            return atom
        if not self.refusing and (captured_names(static.fdef, static.scope) or
                                  not all(isinstance(d, Const) for d in static.defaults)):
            return atom
        return self.lift(stmt, atom, static)

    def lift(self, stmt, atom, closure):
        """A nested def or lambda as a real function (compiled from its source, in its module), when it reads
        no variable of the enclosing function and its defaults are constants."""
        fdef = closure.fdef
        name = fdef.name if fdef.name != "lambda" else "<lambda>"
        captured = captured_names(fdef, closure.scope)
        if captured or not all(isinstance(d, Const) for d in closure.defaults):
            why = f"it reads `{sorted(captured)[0]}` of the enclosing function" if captured else \
                "its defaults are not constants"
            raise UnsupportedError(f"the nested function `{name}` is used here as a value, not called, and {why}",
                                   where=self.values.where(stmt),
                                   hint="define it at module level (passing what it needs as arguments), or "
                                        "call it yourself in the function")
        key = id(fdef)
        func = self.lifted.get(key)
        if func is None:
            func = self.lifted[key] = compile_nested(closure)
        return Global((f"{func.__name__ if func.__name__ != '<lambda>' else 'lambda'}",), func)


def captured_names(fdef, scope):
    """The names a nested function reads from its enclosing function(s) (not its own, not globals)."""
    own = {a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs}
    own |= {a.arg for a in (fdef.args.vararg, fdef.args.kwarg) if a is not None}
    assigned, loads = set(), set()
    for node in ast.walk(fdef):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else assigned).add(node.id)
        elif isinstance(node, ast.arg):
            assigned.add(node.arg)
    out = set()
    for n in loads - own - assigned:
        kind, _ = scope.resolve(n) if scope is not None else ("free", None)
        if kind == "local":
            out.add(n)
    return out


def compile_nested(closure):
    """The function a nested def (or lambda) that reads no enclosing variable defines, compiled from its
    syntax tree at its own lines of its file (so that its source can be read, and tracebacks show it)."""
    import copy

    unit = closure.unit
    fdef = copy.deepcopy(closure.fdef)
    if fdef.name == "lambda":  # (read back as a lambda: read.py finds it on its line)
        node = ast.Expression(body=ast.Lambda(args=fdef.args, body=fdef.body[0].value))
        ast.copy_location(node.body, fdef)
        ast.fix_missing_locations(node)
        ast.increment_lineno(node, unit.first_line - 1)
        func = eval(compile(node, unit.filename, "eval"), unit.globals)
    else:
        fdef.decorator_list = []
        module = ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[]))
        ast.increment_lineno(module, unit.first_line - 1)
        namespace = {}
        exec(compile(module, unit.filename, "exec"), unit.globals, namespace)
        func = namespace[fdef.name]
    func.__defaults__ = tuple(d.value for d in closure.defaults) or None
    from .read import remember

    remember(func, unit, closure.fdef)
    return func
