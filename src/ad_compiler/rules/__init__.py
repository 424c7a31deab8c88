"""The derivative-rule table: one entry per function, for every mode.

A rule is written once, as a short *template* that reads like the math; the compiler copies its
expressions into generated code with the names substituted. Three forms:

- **elementwise** functions give their partial derivatives (`ans` is the result)::

      @elementwise(np.sin)
      def sin(x):
          return np.cos(x)

      @elementwise(operator.mul, np.multiply)
      def multiply(x1, x2):
          return x2, x1

  Reverse mode multiplies the adjoint `g` by each partial and sums broadcast axes back
  (`bx1 = unbroadcast(g * x2, x1)`); forward mode sums partial times tangent (`dans = x2 * dx1 + x1 * dx2`).
  A partial written `None` marks a parameter with no derivative.
- **linear** functions (`np.sum`, `np.reshape`, `np.concatenate`; *multilinear*, in each parameter with the
  others fixed: `@`, `np.einsum`) give the adjoint of each parameter (`b<param> = ...`, their transpose);
  forward mode applies the function itself to the tangents (`dans = np.sum(da, axis)`; for `a @ b`:
  `da @ b + a @ db`)::

      @linear(np.sum)
      def sum(a, axis=None, dtype=None, out=None, keepdims=False):
          ba = _ad.unreduce(g, a, axis, keepdims)

- anything else (`derivative`, and the public `defvjp`) gives `b<param> = ...` lines and, for forward
  mode, a `dans = ...` line written with the tangents `d<param>`. Terms of its top-level sum that read
  only tangents of operands carrying none are dropped (`dans = solve(a, db) - solve(a, da @ ans)`).

Inside a template `g` is the adjoint of the result, `ans` the result; other names are looked up in the
template's own module (so a rule using `sps.digamma` works whatever the user imported). Parameters
without a derivative line are not differentiable: passing a value that carries a derivative there is an
error naming the line. Rules for array methods and attributes (`x.sum()`, `x.T`) are registered by name
(`defvjp_method`, `defvjp_attribute`); functions whose results carry no derivative (piecewise constant:
shapes, indices, comparisons, rounding) with `nondifferentiable`.
"""
import ast
import builtins as _builtins
import inspect
import textwrap
from typing import Callable

from .. import ir
from ..errors import ADError
from ..tracebacks import boundary

# Placeholders that templates import so they read as ordinary Python; never evaluated.
g = ans = None

FUNCTIONS = {}  # function object -> Rule
METHODS = {}  # method name (of an array value) -> Rule
ATTRIBUTES = {}  # attribute name -> Rule
NONDIFF_FUNCTIONS = set()  # function objects whose result carries no derivative
NONDIFF_METHODS = set()
NONDIFF_ATTRIBUTES = set()
NONDIFF_REAL_ONLY = set()  # nondifferentiable for real operands only (np.sign: z / |z| for a complex z)

G, ANS = "\0g", "\0ans"


def P(name):
    return "\0p:" + name


def D(name):
    return "\0d:" + name


def T(name):
    return "\0t:" + name


class Rule:
    """A parsed template. Expressions are IR with placeholders (`P(param)`, `G`, `ANS`, `D(param)`,
    `T(temp)` variable names) substituted when the rule is applied."""

    def __init__(self, template, form, name=None, full_reduction=False, multilinear=False, forward_only=(),
                 constant_in=(), shaped_tangent=False):
        self.template = template
        self.form = form  # 'elementwise' | 'linear' | 'general'
        self.multilinear = multilinear  # linear: in each parameter separately (`@`), not in all together
        self.forward_only = frozenset(forward_only)  # linear parameters without an adjoint line (yet)
        self.constant_in = frozenset(constant_in)  # parameters the result depends on only piecewise constantly
        self.real_only = None  # why the rule is not valid for complex operands (see `real_only`), or None
        self.real_only_when = None  # None: always; else a test of the bound arguments (atoms)
        self.name = name or template.__name__
        self.full_reduction = full_reduction  # with axis None and keepdims False the result is a scalar
        self.shaped_tangent = shaped_tangent  # the tangent has the result's structure (no broadcast_like)
        self.signature = inspect.signature(template)
        self.params = list(self.signature.parameters)
        self.vjps = {}  # param -> expression of its adjoint contribution
        self.partials = {}  # elementwise: param -> partial derivative
        self.temps = []  # (placeholder name, expression), in order
        self.jvp = None  # expression of the result's tangent (general rules), or None
        self.jvp_name = self.name  # the name of the template giving `jvp` (a defjvp's, added to a defvjp's rule)
        self.real = None  # a simpler Rule used when every differentiable operand is a real number (real_form)
        _Reader(self).read()

    @property
    def elementwise(self):
        return self.form == "elementwise"

    def differentiable(self, param, mode="reverse"):
        """Has the rule a derivative with respect to `param` in this mode ('reverse' or 'forward')?"""
        if self.form == "elementwise":
            return param in self.partials
        if mode == "forward":
            if self.form == "linear":
                return param in self.vjps or param in self.forward_only
            if self.jvp is None:
                return False
            names = ir.names_in(self.jvp).union(*(ir.names_in(e) for _, e in self.needed_temps([self.jvp])))
            return D(param) in names  # (read directly or through a template temporary)
        return param in self.vjps

    def bind(self, args, kwargs):
        """Map call arguments (atoms) to parameter names; raises TypeError when they do not fit.
        A `*args` parameter is bound to a tuple Build of its atoms; `**kwargs` to a dict Build."""
        bound = self.signature.bind(*args, **dict(kwargs))
        result = {}
        for name, param in self.signature.parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if param.kind is inspect.Parameter.VAR_POSITIONAL:
                    value = ir.Build("tuple", tuple(value))
                elif param.kind is inspect.Parameter.VAR_KEYWORD:
                    value = ir.Build("dict", tuple(value.values()), tuple(ir.Const(k) for k in value))
                result[name] = value
            elif param.kind is inspect.Parameter.VAR_POSITIONAL:
                result[name] = ir.Build("tuple", ())
            elif param.kind is inspect.Parameter.VAR_KEYWORD:
                result[name] = ir.Build("dict", (), ())
            else:
                result[name] = ir.Const(param.default)
        return result

    def is_varargs(self, param):
        return self.signature.parameters[param].kind in (inspect.Parameter.VAR_POSITIONAL,
                                                         inspect.Parameter.VAR_KEYWORD)

    def substitution(self, bound, g_expr=None, ans_expr=None, tangents=None, temps=None):
        subst = {P(p): v for p, v in bound.items()}
        if g_expr is not None:
            subst[G] = g_expr
        if ans_expr is not None:
            subst[ANS] = ans_expr
        for p, d in (tangents or {}).items():
            subst[D(p)] = d
        subst.update(temps or {})
        return subst

    def needed_temps(self, exprs):
        """The template temporaries (in order) the expressions read, transitively."""
        needed = set()
        for e in exprs:
            needed |= ir.names_in(e)
        out = []
        for name, e in reversed(self.temps):
            if name in needed:
                needed |= ir.names_in(e)
                out.append((name, e))
        return out[::-1]

    def uses(self, param):
        """Does any line of the template read the parameter `param` (not only its signature name it)?"""
        exprs = list(self.partials.values()) + list(self.vjps.values()) + [e for _, e in self.temps] + \
            ([self.jvp] if self.jvp is not None else [])
        return any(P(param) in ir.names_in(e) for e in exprs)

    def reads(self, e):
        """The names an expression reads, through the template temporaries it uses (`DR = db - da @ X`)."""
        names = set(ir.names_in(e))
        for _, t in self.needed_temps([e]):
            names |= ir.names_in(t)
        return names


class _Reader:
    """Reads a template function into a Rule."""

    def __init__(self, rule):
        self.rule = rule
        t = rule.template
        self.globals = getattr(t, "__globals__", {})
        self.cells = dict(zip(t.__code__.co_freevars, t.__closure__ or ()))
        self.closure = {n: c.cell_contents for n, c in self.cells.items()}
        try:
            source = textwrap.dedent(inspect.getsource(t))
        except (OSError, TypeError):
            raise ADError(f"derivative template {rule.name}: its source cannot be read",
                          hint="define the template in a file") from None
        self.fdef = next(n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef,)))
        self.temps = {}  # temporary's name -> its placeholder now (a new one per assignment: h27b-012)

    def read(self):
        rule = self.rule
        body = self.fdef.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        for stmt in body:
            if isinstance(stmt, ast.Pass):
                continue
            if rule.form == "elementwise" and isinstance(stmt, ast.Return):
                values = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
                params = [p for p in rule.params if not rule.is_varargs(p)]
                if len(values) > len(params):
                    self.fail("returns more partial derivatives than it has parameters")
                for p, v in zip(params, values):
                    if not (isinstance(v, ast.Constant) and v.value is None):
                        rule.partials[p] = self.expr(v)
                continue
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
                self.fail("only `name = expression` statements are allowed (and, for elementwise rules, "
                          "`return partials`)")
            target = stmt.targets[0].id
            value = self.expr(stmt.value)
            if target == "dans":
                rule.jvp = value
            elif target.startswith("b") and target[1:] in rule.params:
                rule.vjps[target[1:]] = value
            else:
                self.check_temporary(target)
                # (a name assigned again gets a new placeholder: a line before reads the value before,
                # `t = ...; bx = g * t; t = ...; by = g * t`, as Python does; h27b-012)
                versions = sum(1 for name, _ in rule.temps if name.split("\0")[1:2] == [f"t:{target}"])
                self.temps[target] = T(target) if not versions else f"\0t:{target}\0{versions}"
                rule.temps.append((self.temps[target], value))

    def check_temporary(self, target):
        """A template's names `g`, `ans`, its parameters and their tangents `d<param>` always read the call's
        values: a line assigning one was ignored where the name was read next (`x = np.clip(x, -5, 5)`, `g = g * 2`:
        a WRONG gradient; `dx = ...` in a vjp template crashed the derivative): refused (h27b-004)."""
        rule = self.rule
        if target in rule.params:
            what = "its parameter"
        elif target == "g":
            what = "the placeholder of the result's adjoint"
        elif target == "ans":
            what = "the placeholder of the result"
        elif target.startswith("d") and target[1:] in rule.params:
            what = f"the placeholder of the tangent of `{target[1:]}`"
        else:
            return
        raise ADError(f"derivative template {rule.name}: the line `{target} = ...` assigns {what}, which the "
                      f"template's lines always read as the call's value",
                      hint=f"give the new value another name (`{target}_2 = ...`) and read that")

    def fail(self, what):
        raise ADError(f"derivative template {self.rule.name}: {what}")

    def expr(self, node):
        return _TemplateExpr(self).convert(node)


class _TemplateExpr:
    def __init__(self, reader):
        self.r = reader

    def convert(self, node):
        from ..desugar import _BINOPS, _CMP, _UNARY

        c = self.convert
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Constant):
            return ir.Const(node.value)
        if isinstance(node, ast.Attribute):
            base = c(node.value)
            if isinstance(base, ir.Global):
                return ir.Global(base.path + (node.attr,), getattr(base.obj, node.attr), base.base, base.home)
            return ir.Attr(base, node.attr)
        if isinstance(node, ast.BinOp):
            return ir.BinOp(_BINOPS[type(node.op)], c(node.left), c(node.right))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and \
                    isinstance(node.operand.value, (int, float)):
                return ir.Const(-node.operand.value)
            return ir.UnaryOp(_UNARY[type(node.op)], c(node.operand))
        if isinstance(node, ast.Compare):
            return ir.Compare(c(node.left), tuple(_CMP[type(o)] for o in node.ops),
                              tuple(c(x) for x in node.comparators))
        if isinstance(node, ast.Call):
            args = tuple(ir.Starred(c(a.value)) if isinstance(a, ast.Starred) else c(a) for a in node.args)
            return ir.Call(c(node.func), args, tuple((k.arg, c(k.value)) for k in node.keywords))
        if isinstance(node, ast.Subscript):
            sl = node.slice
            items = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            return ir.Index(c(node.value), tuple(self.index_item(i) for i in items), isinstance(sl, ast.Tuple))
        if isinstance(node, (ast.Tuple, ast.List)):
            return ir.Build("tuple" if isinstance(node, ast.Tuple) else "list", tuple(c(e) for e in node.elts))
        if isinstance(node, ast.IfExp):
            return ir.IfExp(c(node.test), c(node.body), c(node.orelse))
        if isinstance(node, ast.BoolOp):
            raise ADError(f"derivative template {self.r.rule.name}: use `&`/`|` or a conditional expression "
                          "instead of `and`/`or`")
        raise ADError(f"derivative template {self.r.rule.name}: the expression `{ast.unparse(node)}` is not "
                      "supported in templates")

    def index_item(self, node):
        if isinstance(node, ast.Slice):
            return ir.Slice(*(self.convert(e) if e is not None else None for e in (node.lower, node.upper, node.step)))
        return self.convert(node)

    def name(self, n):
        rule = self.r.rule
        if n in ("g", "ans") and n in rule.params:
            raise ADError(f"derivative template {rule.name}: its parameter `{n}` has the name of the placeholder "
                          f"for the result{'s adjoint' if n == 'g' else ''}, so the template cannot read it",
                          hint="rename the parameter (`v` for an adjoint, another name for a value)")
        if n == "g":
            return ir.Var(G)
        if n == "ans":
            return ir.Var(ANS)
        if n in rule.params:
            return ir.Var(P(n))
        if n.startswith("d") and n[1:] in rule.params:
            return ir.Var(D(n[1:]))
        if n in self.r.temps:
            return ir.Var(self.r.temps[n])
        if n.startswith("b") and n[1:] in rule.params and n not in self.r.closure and n not in self.r.globals:
            raise ADError(f"derivative template {rule.name}: a line reads `{n}`, the adjoint line of `{n[1:]}`; "
                          f"a template assigns each `b<param>` once",
                          hint=f"compute the parts under other names, then `{n} = ...` of them")
        if n in self.r.closure:  # (home: where the name is read when the rule is applied, Rule.current)
            return ir.Global((n,), self.r.closure[n], home=self.r.cells[n])
        if n in self.r.globals:
            return ir.Global((n,), self.r.globals[n], home=self.r.globals)
        if hasattr(_builtins, n):
            return ir.Global((n,), getattr(_builtins, n))
        if n == "_ad":  # (the runtime helpers, as docs/rules.md says, without an import in the user's module)
            from .. import runtime
            return ir.Global((n,), runtime)
        raise ADError(f"derivative template {rule.name}: the name `{n}` is not defined in its module")


# -- registration -------------------------------------------------------------------------------------
_generation = [0]  # counts registrations: a derivative compiled before a rule was registered is stale
_on_change = []  # called after each registration (driver.py: the dispatchers' guards, which do not test it)


def generation():
    return _generation[0]


def _changed():
    """A rule was registered: count it, and tell those who must forget what they compiled before."""
    _generation[0] += 1
    for listener in _on_change:
        listener()


def _register(table, keys, rule):
    for key in keys:
        table[key] = rule
        if table is FUNCTIONS:
            NONDIFF_FUNCTIONS.discard(key)
    _changed()  # (after the table: a derivative compiled in between, by another thread, is not stale: h13-001)


def elementwise(*functions, constant_in=()):
    """Register an elementwise function by its partial derivatives (see the module docstring); `constant_in`
    names parameters the result depends on only piecewise constantly (their partial is written `None`)."""
    def decorate(template):
        _register(FUNCTIONS, functions, Rule(template, "elementwise", constant_in=constant_in))
        return template
    return decorate


def linear(*functions, full_reduction=False, multilinear=False, forward_only=(), constant_in=()):
    """Register a linear function by its adjoints (`b<param> = ...`, the transposes). Linear in its
    differentiable parameters together (`np.concatenate`), or with `multilinear=True` in each separately
    with the others fixed (`a @ b`, `np.einsum`). `forward_only` names linear parameters that have no
    adjoint line (yet): forward mode goes through them, reverse mode reports the missing rule.
    `constant_in` names parameters the result depends on only through piecewise-constant properties (a
    shape, which entries are largest): a value carrying a derivative may be passed there."""
    def decorate(template):
        _register(FUNCTIONS, functions, Rule(template, "linear", full_reduction=full_reduction,
                                             multilinear=multilinear, forward_only=forward_only,
                                             constant_in=constant_in))
        return template
    return decorate


def derivative(*functions, full_reduction=False, constant_in=(), shaped_tangent=False):
    """Register a function by its adjoints (`b<param> = ...`) and its tangent (`dans = ...`); `constant_in`
    as for `linear`. `shaped_tangent`: the tangent always has the result's structure and shapes (a helper
    returning a tuple of adjoints), so forward mode need not shape it like the result (which would keep the
    result computed only for its shape)."""
    def decorate(template):
        _register(FUNCTIONS, functions, Rule(template, "general", full_reduction=full_reduction,
                                             constant_in=constant_in, shaped_tangent=shaped_tangent))
        return template
    return decorate


def defvjp(*functions: Callable, elementwise: bool = False, full_reduction: bool = False) -> Callable:
    """Register a derivative template for one or more functions (also the user's own)::

        @ad.defvjp(my_softplus)
        def softplus(x):
            bx = g / (1.0 + np.exp(-x))

    The template's signature must accept the same arguments as the function. Inside it, ``g`` is the
    adjoint of the result and ``ans`` the result; assign ``b<param>`` for each differentiable parameter
    (and ``dans`` in terms of the tangents ``d<param>`` for forward mode). Parameters without a
    ``b<param>`` are not differentiable: an argument carrying a derivative there is an error.
    """
    @boundary
    def decorate(template):
        rule = Rule(template, "general", full_reduction=full_reduction)
        for f in functions:  # (a forward rule registered first by `@ad.defjvp(f)` alone is kept: h27b-002)
            old = FUNCTIONS.get(f)
            if old is not None and rule.jvp is None and old.jvp is not None and not old.vjps and \
                    not old.partials and old.form == "general":
                rule = _mapped_copy(rule)
                _add_tangent(rule, old)
            _register(FUNCTIONS, (f,), rule)
        return template
    return decorate


def _mapped_copy(rule):
    """A shallow copy of `rule` (one per function whose forward rule it takes)."""
    new = object.__new__(type(rule))
    new.__dict__.update(rule.__dict__)
    return new


def _add_tangent(rule, other):
    """Give `rule` the tangent line of `other` (another template for the same function), with its temporaries.
    A temporary of `other` whose name `rule`'s own temporaries use is renamed (`s` -> `s_1`): the two templates'
    lines run in one list, so `s = np.cos(x)` of the vjp template and `s = np.cos(x) * 0.5` of the jvp one
    would otherwise give the adjoint the tangent's `s` (a WRONG gradient, h27b-003). The lines a name reads are
    the template's previous ones: the reverse and tangent sweeps emit them in order (h27b-011)."""
    taken = {name for name, _ in rule.temps}
    renamed = {}
    temps = list(rule.temps)
    for name, e in other.temps:
        e = ir.rename_expr(e, renamed)
        if name in taken and name not in renamed:  # (even for the same line: `rule` may assign the name again)
            n, k = name.split(":", 1)[1].split("\0")[0], 1
            while T(f"{n}_{k}") in taken or any(T(f"{n}_{k}") == t for t, _ in other.temps):
                k += 1
            renamed[name] = ir.Var(T(f"{n}_{k}"))
            taken.add(T(f"{n}_{k}"))
        temps.append((renamed[name].name if name in renamed else name, e))
    rule.jvp = ir.rename_expr(other.jvp, renamed)
    rule.temps = temps
    rule.jvp_name = other.jvp_name  # (the template an error about `dans` names)


def real_form(*functions, form="general"):
    """Register simpler derivative lines for `functions` (which already have a rule), used where every
    differentiable operand is known (from its kind) to be a real number: `abs(x)` of a float is
    `bx = _ad.abs_vjp(g, x)`, one multiply, where the general rule also covers complex values. `form`: the
    template's form ("elementwise": its partials, as `elementwise` takes them)."""
    def decorate(template):
        rule = Rule(template, form)
        for f in functions:
            FUNCTIONS[f].real = rule
        return template
    return decorate


def defjvp(*functions: Callable) -> Callable:
    """Register (or add) a forward-mode rule: a template assigning ``dans`` from the tangents ``d<param>``
    (and ``ans``, the result)."""
    @boundary
    def decorate(template):
        rule = Rule(template, "general")
        for f in functions:
            old = FUNCTIONS.get(f)
            if old is not None and rule.jvp is not None:
                _add_tangent(old, rule)
            else:
                FUNCTIONS[f] = rule
        _changed()  # (after the table, as in _register)
        return template
    return decorate


def defvjp_method(*names: str, elementwise: bool = False, full_reduction: bool = False, form: str = "general",
                  multilinear: bool = False) -> Callable:
    """Register a template for the method `names` of array values (first parameter: `self`)."""
    @boundary
    def decorate(template):
        _register(METHODS, names, Rule(template, "elementwise" if elementwise else form,
                                       full_reduction=full_reduction, multilinear=multilinear))
        return template
    return decorate


def defvjp_attribute(*names: str, form: str = "linear") -> Callable:
    """Register a template for an attribute of array values, e.g. `x.T` (single parameter `self`)."""
    @boundary
    def decorate(template):
        _register(ATTRIBUTES, names, Rule(template, form))
        return template
    return decorate


def nondifferentiable(*functions: Callable) -> None:
    """Declare functions whose results carry no derivative (piecewise constant: shapes, indices,
    comparisons, rounding)."""
    NONDIFF_FUNCTIONS.update(functions)
    for f in functions:
        FUNCTIONS.pop(f, None)
    _changed()  # (after the tables, as in _register)


def real_only(reason, *functions, methods=(), attributes=(), when=None):
    """Mark the rules of `functions` (and of the array methods and attributes named in `methods`,
    `attributes`) as valid for real operands only, saying why: the compiler refuses them where an operand
    may be complex (complexity.py). `when(bound)`, given the call's arguments by parameter (atoms: `ir.Const`
    for constants), limits the refusal to the calls it returns True for."""
    rules = [FUNCTIONS[f] for f in functions] + [METHODS[n] for n in methods] + [ATTRIBUTES[n] for n in attributes]
    for rule in rules:
        rule.real_only = reason
        rule.real_only_when = when


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


def has_rule(func):
    try:
        return func in FUNCTIONS
    except TypeError:
        return False


def is_nondiff(func):
    try:
        return func in NONDIFF_FUNCTIONS
    except TypeError:
        return False


_loaded = False


def load_builtin_rules():
    global _loaded
    if not _loaded:
        _loaded = True
        from . import arrays, builtins, fft, helpers, language, linalg, math, methods, numpy, random_draws  # noqa: F401
        try:  # SciPy is optional: its rules are registered only when it is installed
            import scipy  # noqa: F401
        except ImportError:
            return
        from . import integrate, scipy_linalg, signal, special, stats, stats_multi  # noqa: F401
