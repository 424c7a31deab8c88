"""Pass 3, analysis: what each core statement is, and which values are *active*.

A value is active when it depends on a `wrt` argument (varied) and the output depends on it (useful);
only active values get an adjoint. Each statement is classified (`stmt.ad_kind`) and, for differentiable
operations, given its derivative rule and the rule's parameters bound to the statement's operands
(`stmt.ad_rule`, `stmt.ad_bound`). Non-differentiable operations (comparisons, shapes, integer functions,
`stop_gradient`) make constants. A call with no rule that lies on an active path is an error.
"""
import ast
import functools
import inspect
import numbers
import operator

import numpy as np

from . import rules
from .errors import NoDerivativeError, UnsupportedError

# attributes of arrays with no derivative rule (anything else read from a local is an object's attribute)
ARRAY_ONLY_ATTRIBUTES = {"imag", "flat", "base", "ctypes", "data"}

BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow, ast.MatMult: operator.matmul}
UNARYOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos}
NONDIFF_BINOPS = (ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)


class Activity:
    def __init__(self, varied, useful):
        self.varied = varied
        self.useful = useful

    def active(self, name):
        return name in self.varied and name in self.useful


def names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def operand_names(node):
    """Names of a bound operand (an atom, or a list/tuple literal of atoms)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Tuple, ast.List)):
        out = set()
        for e in node.elts:
            out |= operand_names(e)
        return out
    if isinstance(node, ast.Dict):
        out = set()
        for e in node.values:
            out |= operand_names(e)
        return out
    return set()


class Analyzer:
    def __init__(self, parsed, fn):
        self.parsed = parsed
        self.fn = fn
        self.known = dict(parsed.known)  # local name -> the object it holds, where known at compile time

    def classify(self):
        for stmt in walk_statements(self.fn.body):
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
                stmt.ad_kind = "setitem"
                stmt.ad_inputs = set() if stmt.ad_nograd else operand_names(stmt.value) | {stmt.targets[0].value.id}
            elif isinstance(stmt, ast.Assign):
                self.classify_assign(stmt)
            elif is_append(stmt, self.fn.local_vars):
                stmt.ad_kind = "append"  # lst.append(v): lst now also holds v
                call = stmt.value
                stmt.ad_inputs = set() if stmt.ad_nograd else operand_names(call.args[0]) | {call.func.value.id}
            else:
                stmt.ad_kind = "effect"
                stmt.ad_inputs = set()

    def classify_assign(self, stmt):
        value = stmt.value
        stmt.ad_kind = "const"
        stmt.ad_inputs = set()  # names through which a derivative flows
        stmt.ad_rule = None
        if stmt.ad_nograd:
            return
        if isinstance(value, ast.Name):
            stmt.ad_kind = "copy"
            stmt.ad_inputs = {value.id}
        elif isinstance(value, ast.BinOp):
            fn = BINOPS.get(type(value.op))
            if fn is None:
                return
            self.bind(stmt, rules.FUNCTIONS[fn], [value.left, value.right], {})
        elif isinstance(value, ast.UnaryOp):
            fn = UNARYOPS.get(type(value.op))
            if fn is not None:
                self.bind(stmt, rules.FUNCTIONS[fn], [value.operand], {})
        elif isinstance(value, ast.Subscript):
            stmt.ad_kind = "getitem"
            stmt.ad_inputs = operand_names(value.value)
        elif isinstance(value, ast.Attribute):
            if self.is_local(value.value):
                attr = value.attr
                if attr in rules.ATTRIBUTES:
                    self.bind(stmt, rules.ATTRIBUTES[attr], [value.value], {})
                elif attr in ARRAY_ONLY_ATTRIBUTES:
                    stmt.ad_kind = "unknown"
                    stmt.ad_inputs = {value.value.id}
                    stmt.ad_what = f"the attribute `.{attr}`"
                elif attr not in rules.NONDIFF_ATTRIBUTES:
                    # an attribute of an object (a model's parameters): its adjoint is {attr: g}
                    stmt.ad_kind = "getattr"
                    stmt.ad_inputs = {value.value.id}
                    owner = self.known.get(value.value.id)
                    if owner is not None:
                        member = getattr(owner, attr, None)
                        if member is not None and not isinstance(member, (numbers.Number, np.ndarray)):
                            self.known[stmt.targets[0].id] = member
        elif isinstance(value, ast.Call):
            self.classify_call(stmt, value)
        elif isinstance(value, (ast.Tuple, ast.List, ast.Dict)):
            stmt.ad_kind = "container"
            stmt.ad_inputs = operand_names(value)

    def is_local(self, node):
        return isinstance(node, ast.Name) and node.id in self.fn.local_vars

    def classify_call(self, stmt, call):
        func = call.func
        args = call.args
        kwargs = {k.arg: k.value for k in call.keywords}
        all_inputs = set()
        for a in list(args) + list(kwargs.values()):
            all_inputs |= operand_names(a)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.known:
            method = getattr(self.known[func.value.id], func.attr, None)
            if user_function(method) is not None:  # a method of the user's class, on a known object
                self.bind_callee(stmt, func, method, args, kwargs)
                stmt.ad_receiver = self.known[func.value.id]
                return
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.fn.local_vars:
            name = func.attr
            if name in rules.METHODS:
                self.bind(stmt, rules.METHODS[name], [func.value] + list(args), kwargs)
            elif name not in rules.NONDIFF_METHODS:
                stmt.ad_kind = "unknown"
                stmt.ad_inputs = all_inputs | {func.value.id}
                stmt.ad_what = f"the method `.{name}()`"
                if func.value.id in self.fn.params and not hasattr(np.ndarray, name):
                    # a method of an object passed in (not of an array): resolved when it is known
                    stmt.ad_needs_object = func.value.id
            return
        obj = self.resolve(func)
        kind, rule = rules.lookup_function(obj) if obj is not None else (None, None)
        if kind == "rule":
            self.bind(stmt, rule, args, kwargs)
        elif kind == "nondiff":
            return
        elif user_function(obj) is not None:
            self.bind_callee(stmt, func, obj, args, kwargs)
        else:
            stmt.ad_kind = "unknown"
            stmt.ad_inputs = all_inputs
            stmt.ad_what = f"`{ast.unparse(func)}`" + (f" ({_describe(obj)})" if obj is not None else "")
            stmt.ad_callee = obj

    def bind_callee(self, stmt, func_node, obj, args, kwargs):
        """A call of the user's own Python code: it is differentiated by compiling the callee too."""
        target, prefix, extra_kw = user_function(obj)
        # partial arguments and global receivers are passed through unchanged (and carry no gradient);
        # a receiver held in a local variable is an operand like any other
        placeholder = [ast.Constant(value=None)] * len(prefix)
        if inspect.ismethod(obj) and isinstance(func_node.value, ast.Name) and func_node.value.id in self.fn.local_vars:
            placeholder = [func_node.value]
        try:
            bound = inspect.signature(target).bind(*placeholder, *args, **{**{k: ast.Constant(value=None)
                                                                               for k in extra_kw}, **kwargs})
        except TypeError as exc:
            raise UnsupportedError(f"this call does not match `{target.__qualname__}`: {exc}",
                                   where=self.parsed.location(stmt.ad_node)) from None
        params = inspect.signature(target).parameters
        for p, v in bound.arguments.items():
            if params[p].kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise UnsupportedError(f"calling `{target.__qualname__}`, which takes *args or **kwargs",
                                       where=self.parsed.location(stmt.ad_node),
                                       hint="give the function plain parameters")
        stmt.ad_kind = "callee"
        stmt.ad_callee = target
        stmt.ad_bound = {p: v for p, v in bound.arguments.items()}
        stmt.ad_prefix = _prefix_nodes(func_node, obj)
        stmt.ad_prefix_keywords = [ast.keyword(arg=None, value=ast.Attribute(value=func_node, attr="keywords",
                                                                            ctx=ast.Load()))] \
            if isinstance(obj, functools.partial) and obj.keywords else []
        inputs = set()
        for v in stmt.ad_bound.values():
            inputs |= operand_names(v)
        stmt.ad_inputs = inputs

    def resolve(self, node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in self.fn.local_vars:
            return None
        found, obj = self.parsed.lookup(node.id)
        if not found:
            return None
        for p in reversed(parts):
            obj = getattr(obj, p, None)
            if obj is None:
                return None
        return obj

    def bind(self, stmt, rule, args, kwargs):
        try:
            bound = rule.bind(args, kwargs)
        except TypeError as exc:
            raise UnsupportedError(
                f"this call does not match the derivative rule `{rule.name}{rule.signature}`: {exc}",
                where=self.parsed.location(stmt.ad_node),
                hint="pass the arguments the rule knows (see docs/rules.md), or register your own rule",
            ) from None
        stmt.ad_kind = "rule"
        stmt.ad_rule = rule
        stmt.ad_bound = bound
        inputs = set()
        for p, v in bound.items():
            if rule.signature.parameters[p].kind is inspect.Parameter.VAR_KEYWORD:
                continue
            inputs |= operand_names(v)
        stmt.ad_inputs = inputs

    def activity(self, wrt):
        assigns = [s for s in walk_statements(self.fn.body) if defines(s)]
        varied = set(wrt)
        changed = True
        while changed:  # loops and branches: iterate to a fixed point (names are nearly single-assignment)
            changed = False
            for stmt in assigns:
                t = target_name(stmt)
                if t not in varied and stmt.ad_inputs & varied:
                    varied.add(t)
                    changed = True
        useful = set()
        if isinstance(self.fn.out, ast.Name):
            useful.add(self.fn.out.id)
        changed = True
        while changed:
            changed = False
            for stmt in assigns:
                if target_name(stmt) in useful and not stmt.ad_inputs <= useful:
                    useful |= stmt.ad_inputs
                    changed = True
        act = Activity(varied, useful)
        self.check(act)
        return act

    def check(self, act):
        for stmt in walk_statements(self.fn.body):
            if not isinstance(stmt, ast.Assign) or not act.active(target_name(stmt)):
                continue
            if stmt.ad_kind == "unknown":
                error = NoDerivativeError(
                    f"no derivative is known for {stmt.ad_what}, and it lies on a path from "
                    f"{_wrt_text(self.fn.wrt)} to the output",
                    where=self.parsed.location(stmt.ad_node),
                    hint="register a derivative with @ad.defvjp(...) (see docs/rules.md), or wrap the "
                         "argument in ad.stop_gradient(...) if no gradient should flow through it",
                )
                error.needs_object = getattr(stmt, "ad_needs_object", None)
                raise error
            if stmt.ad_kind == "rule":
                rule = stmt.ad_rule
                for p, v in stmt.ad_bound.items():
                    if operand_names(v) & act.varied and not rule.differentiable(p):
                        if rule.signature.parameters[p].kind is inspect.Parameter.VAR_KEYWORD:
                            continue
                        raise NoDerivativeError(
                            f"`{rule.name}` has no derivative with respect to its argument `{p}`, "
                            f"which depends on {_wrt_text(self.fn.wrt)}",
                            where=self.parsed.location(stmt.ad_node),
                            hint="wrap that argument in ad.stop_gradient(...) or register a fuller rule",
                        )


# libraries whose Python functions are not compiled as callees: their internals are not differentiable
# code (try/except, *args, C calls); a call without a rule is reported, with a hint to register one
LIBRARIES = {"numpy", "scipy", "pandas", "jax", "torch", "autograd", "ad_compiler"}


def user_function(obj):
    """(python function, prefix arguments, extra keywords) if `obj` is the user's Python code, else None.

    Plain functions, bound methods of Python classes and functools.partial of either qualify."""
    if inspect.isfunction(obj):
        if (getattr(obj, "__module__", None) or "").split(".")[0] in LIBRARIES:
            return None
        return obj, (), ()
    if inspect.ismethod(obj) and inspect.isfunction(obj.__func__):
        return obj.__func__, (obj.__self__,), ()
    if isinstance(obj, functools.partial):
        inner = user_function(obj.func)
        if inner is not None:
            func, prefix, kw = inner
            return func, tuple(prefix) + tuple(obj.args), tuple(kw) + tuple(obj.keywords)
    return None


def _prefix_nodes(func_node, obj):
    """The expressions passed before the call's own arguments: the receiver of a bound method,
    the stored arguments of a partial."""
    if inspect.ismethod(obj):
        return [func_node.value]
    if isinstance(obj, functools.partial):
        return [ast.Starred(value=ast.Attribute(value=func_node, attr="args", ctx=ast.Load()), ctx=ast.Load())]
    return []


def grow_names(fn, holds):
    """The names `t` of `t = value` statements for which `holds(statement, names so far)` is true,
    grown to a fixed point (so facts flow through copies and loops)."""
    out = set()
    stmts = [s for s in walk_statements(fn.body) if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)]
    changed = True
    while changed:
        changed = False
        for s in stmts:
            if s.targets[0].id not in out and holds(s, out):
                out.add(s.targets[0].id)
                changed = True
    return out


def walk_statements(stmts):
    """Every statement of a block, nested blocks included, in order."""
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from walk_statements(inner)


def target_name(stmt):
    """The variable an assignment defines (for `y[i] = v`, the array y; for `lst.append(v)`, lst)."""
    if isinstance(stmt, ast.Expr):
        return stmt.value.func.value.id
    t = stmt.targets[0]
    return t.value.id if isinstance(t, ast.Subscript) else t.id


def is_append(stmt, local_vars):
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    call = stmt.value
    f = call.func
    return isinstance(f, ast.Attribute) and f.attr == "append" and isinstance(f.value, ast.Name) \
        and f.value.id in local_vars and len(call.args) == 1 and not call.keywords


def defines(stmt):
    """Does the statement give a variable a (new or updated) value?"""
    return isinstance(stmt, ast.Assign) or getattr(stmt, "ad_kind", None) == "append"


def _wrt_text(wrt):
    return ", ".join(f"`{w}`" for w in wrt)


def _describe(obj):
    mod = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if mod and name:
        return f"{mod}.{name}"
    return type(obj).__name__


def analyze(parsed, fn, wrt):
    """Classify `fn`'s statements and return the Activity of its values for the arguments `wrt`."""
    fn.wrt = list(wrt)
    fn.local_vars = set(fn.params) | fn.local_names | {
        target_name(s) for s in walk_statements(fn.body) if isinstance(s, ast.Assign)} | {
        s.target.id for s in walk_statements(fn.body) if isinstance(s, ast.For)}
    analyzer = Analyzer(parsed, fn)
    analyzer.classify()
    return analyzer.activity(wrt)
