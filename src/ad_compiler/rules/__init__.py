"""The derivative-rule registry.

A rule is a *template*: a Python function whose signature mirrors the differentiated function and whose
body assigns ``b<param>``, the contribution to the adjoint of each differentiable parameter. Inside a
template, ``g`` is the adjoint of the result, ``ans`` the result itself, ``np``/``math`` the libraries and
``_ad`` the runtime helpers. The compiler copies the template's statements into the generated code with
the names substituted, so generated code reads like the template::

    @defvjp(np.sin)
    def sin(x):
        bx = g * np.cos(x)

Rules for library functions live in ``rules/numpy.py``, ``rules/math.py`` and ``rules/builtins.py``;
rules for array methods and attributes (``x.sum()``, ``x.T``) in ``rules/methods.py``. Users register
their own with the same decorators (``ad.defvjp``), one mechanism for all.
"""
import ast
import copy
import inspect
import textwrap

from ..errors import ADError

# Placeholders that templates import so they read as ordinary Python; never evaluated.
g = ans = None

FUNCTIONS = {}  # function object -> Rule
METHODS = {}  # method name (on an array-like local value) -> Rule
ATTRIBUTES = {}  # attribute name -> Rule
NONDIFF_FUNCTIONS = set()  # function objects whose result never carries a gradient
NONDIFF_METHODS = set()
NONDIFF_ATTRIBUTES = set()


class Rule:
    """A parsed derivative template."""

    def __init__(self, template, elementwise=False, name=None, full_reduction=False):
        self.template = template
        self.full_reduction = full_reduction  # with axis None and keepdims False the result is a scalar
        self.name = name or template.__name__
        self.elementwise = elementwise
        self.signature = inspect.signature(template)
        source = textwrap.dedent(inspect.getsource(template))
        fdef = ast.parse(source).body[0]
        body = fdef.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            body = body[1:]  # docstring
        self.params = list(self.signature.parameters)
        self.body = []
        self.contributions = {}  # param -> ast expression (template names)
        for stmt in body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
                raise ADError(f"derivative template {self.name}: only `name = expression` statements are allowed")
            target = stmt.targets[0].id
            if target.startswith("b") and target[1:] in self.params:
                self.contributions[target[1:]] = stmt.value
            else:
                self.body.append(stmt)
        self.temps = {stmt.targets[0].id for stmt in self.body}

    def differentiable(self, param):
        return param in self.contributions

    def bind(self, args, kwargs):
        """Map call arguments (AST expressions) to parameter names; raises TypeError on mismatch."""
        bound = self.signature.bind(*args, **kwargs)
        result = {}
        for name, param in self.signature.parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if param.kind is inspect.Parameter.VAR_POSITIONAL:
                    value = ast.Tuple(elts=list(value), ctx=ast.Load())
                result[name] = value
            elif param.kind is inspect.Parameter.VAR_POSITIONAL:
                result[name] = ast.Tuple(elts=[], ctx=ast.Load())
            elif param.default is not inspect.Parameter.empty:
                result[name] = ast.Constant(value=param.default)
        return result

    def instantiate(self, bound, g_expr, ans_expr, wanted, fresh, names, same_shape=None):
        """Copy the template with names substituted.

        bound: param -> AST expression of the argument; wanted: params whose contribution is needed;
        fresh: callable(hint) -> new unique name for template temporaries; names: {'np': expr, 'math': expr}.
        Returns (statements, {param: expression}).
        """
        renames = {}
        exprs = {p: self.contributions[p] for p in self.params if p in wanted and p in self.contributions}
        # only the temporaries the wanted contributions read (transitively)
        needed = set()
        for e in exprs.values():
            needed |= _names(e)
        stmts = []
        for stmt in reversed(self.body):
            t = stmt.targets[0].id
            if t in needed:
                needed |= _names(stmt.value)
                stmts.append(stmt)
        stmts.reverse()
        for stmt in stmts:
            renames[stmt.targets[0].id] = fresh(stmt.targets[0].id)

        def subst(node):
            node = copy.deepcopy(node)
            node = _Substitute(bound, g_expr, ans_expr, renames, names).visit(node)
            return _DropDefaults().visit(node)

        out = []
        for stmt in stmts:
            out.append(ast.Assign(targets=[ast.Name(id=renames[stmt.targets[0].id], ctx=ast.Store())],
                                  value=subst(stmt.value)))
        contributions = {}
        for p, e in exprs.items():
            e = subst(e)
            if self.elementwise:
                e = _elide_unbroadcast(e, p, bound, self.params, same_shape)
            contributions[p] = e
        return out, contributions


class _Substitute(ast.NodeTransformer):
    def __init__(self, bound, g_expr, ans_expr, renames, names):
        self.bound = bound
        self.g = g_expr
        self.ans = ans_expr
        self.renames = renames
        self.names = names

    def visit_Name(self, node):
        n = node.id
        if n == "g":
            return copy.deepcopy(self.g)
        if n == "ans":
            return copy.deepcopy(self.ans)
        if n in self.renames:
            return ast.Name(id=self.renames[n], ctx=node.ctx)
        if n in self.bound:
            return copy.deepcopy(self.bound[n])
        if n in self.names:
            return copy.deepcopy(self.names[n])
        return node


class _DropDefaults(ast.NodeTransformer):
    """`_ad.unreduce(g, x, None, False)` -> `_ad.unreduce(g, x)`: omit arguments equal to the helper's defaults."""

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "_ad"):
            return node
        from .. import runtime

        helper = getattr(runtime, func.attr, None)
        if helper is None:
            return node
        params = list(inspect.signature(helper).parameters.values())
        node.keywords = [k for k in node.keywords if not _equals_default(k.value, _param(params, k.arg))]
        while node.args and len(node.args) <= len(params) and not node.keywords and \
                _equals_default(node.args[-1], params[len(node.args) - 1]):
            node.args.pop()
        return node


def _param(params, name):
    for p in params:
        if p.name == name:
            return p
    return None


def _equals_default(value, param):
    if param is None or param.default is inspect.Parameter.empty or not isinstance(value, ast.Constant):
        return False
    d = param.default
    return type(value.value) is type(d) and value.value == d


def _names(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _elide_unbroadcast(expr, param, bound, params, same_shape=None):
    """`_ad.unbroadcast(E, x)` -> `E` when no other argument can broadcast `x` up (constants, x itself, or
    values known to have x's shape)."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "unbroadcast"
            and isinstance(expr.func.value, ast.Name) and expr.func.value.id == "_ad"):
        return expr
    mine = bound.get(param)
    for other in params:
        if other == param or other not in bound:
            continue
        value = bound[other]
        if isinstance(value, ast.Constant) and isinstance(value.value, (int, float, complex)):
            continue
        if isinstance(mine, ast.Name) and isinstance(value, ast.Name) and (
                value.id == mine.id or same_shape is not None and same_shape(value.id, mine.id)):
            continue
        return expr
    return expr.args[0]


def _register(table, keys, rule):
    for key in keys:
        table[key] = rule


def defvjp(*functions, elementwise=False, full_reduction=False):
    """Register a derivative template for one or more functions.

    ::

        @ad.defvjp(my_softplus)
        def softplus(x):
            bx = g / (1.0 + np.exp(-x))

    The template's signature must accept the same arguments as the function. Inside it, ``g`` is the
    adjoint of the result and ``ans`` the result; assign ``b<param>`` for each differentiable parameter.
    Parameters without a ``b<param>`` are not differentiable: an active argument there is an error.
    """

    def decorate(template):
        _register(FUNCTIONS, functions, Rule(template, elementwise=elementwise, full_reduction=full_reduction))
        return template

    return decorate


def defvjp_method(*names, elementwise=False, full_reduction=False):
    """Register a template for the method `names` of array values (first parameter: `self`)."""

    def decorate(template):
        _register(METHODS, names, Rule(template, elementwise=elementwise, full_reduction=full_reduction))
        return template

    return decorate


def defvjp_attribute(*names):
    """Register a template for an attribute of array values, e.g. `x.T` (single parameter `self`)."""

    def decorate(template):
        _register(ATTRIBUTES, names, Rule(template))
        return template

    return decorate


def nondifferentiable(*functions):
    """Declare functions whose results carry no gradient (shapes, indices, comparisons, constructors)."""
    NONDIFF_FUNCTIONS.update(functions)
    for f in functions:
        FUNCTIONS.pop(f, None)


def lookup_function(func):
    """('rule', Rule) | ('nondiff', None) | (None, None) for a resolved function object."""
    try:
        if func in FUNCTIONS:
            return "rule", FUNCTIONS[func]
        if func in NONDIFF_FUNCTIONS:
            return "nondiff", None
    except TypeError:  # unhashable callable
        pass
    return None, None


def load_builtin_rules():
    from . import builtins, math, methods, numpy  # noqa: F401  (registration happens on import)
