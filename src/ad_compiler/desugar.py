"""Pass 2, desugar: a function's syntax tree as the core IR (ir.py), one operation per statement.

This is also the validation pass for syntax: whatever it accepts, the later passes take; any other construct
raises an `UnsupportedError` pointing at it.

- Every operand becomes an atom: nested expressions are evaluated into temporaries `t1, t2, ...` in
  Python's order. Names keep the user's spelling (SSA versions come later, in ssa.py); a function that is
  inlined into another gets fresh names (`h_1`).
- Structured control flow only: `elif` chains, conditional expressions and `and`/`or` become `if`
  statements; `continue` and `return` inside `if` are removed by moving the statements that follow into the
  branches that do not exit; a `return` inside a loop sets the flag `returned` and breaks, and the rest of
  the function runs only if it did not; `while c:` becomes `while True:` with a test and `break`;
  `for x in seq` (arrays, lists, `enumerate`, `zip`) becomes a loop over `range(len(seq))` binding
  `x = seq[k]`, and a `range` loop binds the user's variable from a fresh counter (so it keeps its value
  after a loop that did not run, as in Python).
- The returned value is assigned to the function's result name (`out`) on every path.
- `x op= v` stays an `AugAssign` (in place for an array, a rebinding for a number: decided by alias.py);
  `x[i] op= v` is `SetItem(..., op=op)`.
- Nested `def`s and lambdas become `Closure` values; calls of them, and of the user's own functions, are
  inlined later (inline.py).

This module is the entry point (`desugar`) and its result (`Function`). The work is shared by collaborating
parts, each in its own module, linked by one `DesugarContext` (desugar_context.py: shared state, emitting):

    desugar_statements.py    blocks, control flow (`if`, early exits), the dispatch of statements, and the
                             simple statements (`return`, calls, `assert`, nested `def`, `with no_grad`)
    desugar_loops.py         `for`, `while`, comprehensions
    desugar_assign.py        `=`, `op=`, binding targets (names, subscripts, tuples, loop targets)
    desugar_expressions.py   expressions into atoms: names, operators, calls, subscripts, literals, lambdas,
                             `x if c else y`, `and`/`or`
    desugar_scope.py         the names of a function (locals, enclosing and free names)
"""
import ast

from .desugar_assign import Assignments
from .desugar_blocks import Blocks
from .desugar_builtins import BuiltinCalls
from .desugar_context import DesugarContext
from .desugar_expressions import BINOPS as _BINOPS, CMP as _CMP, UNARY as _UNARY  # noqa: F401 (used by rules/)
from .desugar_expressions import Expressions
from .desugar_loops import Loops
from .desugar_scope import Scope, walk_scope
from .desugar_statements import Statements
from .lazy_checks import check_lazy_iterators
from .errors import UnsupportedError
from . import ir
from .ir import Var


class Function:
    """A desugared function: parameters (IR names), body, and the atom holding its result."""

    def __init__(self, name, params, defaults, body, out, unit, scope):
        self.name = name
        self.params = params
        self.defaults = defaults  # IR param name -> atom (a value known when the function was defined)
        self.body = body
        self.out = out
        self.unit = unit
        self.scope = scope


class Desugar:
    """The desugaring of one function: makes the context and the parts, and desugars the body."""

    def __init__(self, unit, fdef, scope, out_name, implicit_none=False, generator=None):
        self.ctx = ctx = DesugarContext(unit, fdef, scope, out_name)
        ctx.implicit_none = implicit_none
        ctx.generator = generator
        ctx.expressions = Expressions(ctx)
        ctx.assignments = Assignments(ctx)
        ctx.loops = Loops(ctx)
        ctx.builtin_calls = BuiltinCalls(ctx)
        ctx.blocks = Blocks(ctx)
        ctx.statements = Statements(ctx)  # last: its dispatch table refers to the other parts

    def run(self):
        """The function's body as IR statements (every path ends by assigning the result)."""
        ctx = self.ctx
        fdef = ctx.fdef
        body = fdef.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        ctx.stmt = fdef
        if ctx.generator is not None:  # a generator function: its values are appended to a list
            ctx.assign(ctx.generator, ir.Build("list", ()))
        if ctx.implicit_none:  # a helper (called, not differentiated alone) may end without `return`
            end = ast.Return(value=None)
            last = fdef.body[-1]
            end.lineno, end.col_offset = getattr(last, "end_lineno", last.lineno), last.col_offset
            end.end_lineno, end.end_col_offset = end.lineno, end.col_offset
            body = list(body) + [end]
        ending = ctx.statements.block(body)
        if ending == "raise" and ctx.implicit_none:  # a helper that always raises: its result is never read
            ctx.assign(ctx.out, ir.Const(None))
            ending = "return"
        if ending != "return":
            ctx.stmt = fdef
            ctx.error("a path through the function that does not `return` a value", fdef,
                      hint="end every path with `return <value to differentiate>`")
        return ctx.body


def desugar(unit, alloc, fdef=None, enclosing=None, fresh=False, out_hint="out", separate=False, generator=False,
            param_kinds=None, lengths=True):
    """Desugar a function (the unit's own, or a nested `fdef` closing over `enclosing`). Its parameters are
    one flat list in Python's order (`*args` one parameter holding a tuple, `**kwargs` one holding a dict);
    `separate`: a recursive function compiled on its own, called with plain positional arguments."""
    fdef = fdef if fdef is not None else unit.tree
    scope = Scope(unit, fdef, alloc, enclosing=enclosing, fresh=fresh)
    for name in scope.declared_global:
        node = next(n for n in ast.walk(fdef) if isinstance(n, ast.Global) and name in n.names)
        raise UnsupportedError("`global` cannot be differentiated (yet)", where=unit.location(node),
                               hint="pass the value as an argument, or return it")
    _refuse_outer_stores(unit, fdef, scope)
    check_lazy_iterators(unit, fdef, param_kinds, lengths)  # (`lengths`: False when the kinds are not known yet)
    out = alloc.fresh(out_hint)
    values = alloc.fresh("values") if generator else None  # (a generator: the list of what it yields)
    d = Desugar(unit, fdef, scope, out, implicit_none=fresh, generator=values)  # (an inlined function returns
    # None without `return`)
    args = fdef.args
    if separate and (args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs):
        raise UnsupportedError(
            "a recursive function with *args, **kwargs, keyword-only or positional-only parameters cannot be "
            "differentiated (yet)", where=unit.location(fdef),
            hint="give the recursive function plain positional parameters (it is compiled on its own)")
    body = d.run()
    params = [scope.names[a.arg] for a in args.posonlyargs + args.args]
    params += [scope.names[args.vararg.arg]] if args.vararg else []
    params += [scope.names[a.arg] for a in args.kwonlyargs]
    params += [scope.names[args.kwarg.arg]] if args.kwarg else []
    return Function(fdef.name, params, {}, body, Var(out), unit, scope), d


def _refuse_outer_stores(unit, fdef, scope):
    """`nonlocal n` then `n = ...` (or `n += ...`) where `n` is a variable of a function outside the one
    differentiated (a factory's cell): the compiled code would read the cell's old value and never change it
    (h19-002: silently wrong), so it is refused, like `global`. A nonlocal of a function being differentiated
    (a nested def inside it) is one of its own variables, and reading an outer one is fine."""
    outer = {n for n in scope.nonlocals if scope.resolve(n)[0] != "local"}
    if not outer:
        return
    for node in walk_scope(fdef):
        target = node.target if isinstance(node, (ast.AugAssign, ast.NamedExpr)) else node
        if isinstance(target, ast.Name) and target.id in outer and (
                isinstance(node, (ast.AugAssign, ast.NamedExpr)) or isinstance(target.ctx, (ast.Store, ast.Del))):
            raise UnsupportedError(
                f"`nonlocal {target.id}` changes a variable of an enclosing function outside the one "
                "differentiated: that cannot be differentiated (yet)", where=unit.location(node),
                hint="pass the value as an argument and return the new one, or keep it in an object or a list")
