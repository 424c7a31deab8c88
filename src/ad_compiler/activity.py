"""Pass 7, activity: which values carry a derivative.

A value is *active* when it depends on a `wrt` argument (varied) and the output depends on it (useful);
only active values get adjoints (or tangents). Both sets grow to a fixed point over the statements (loops
and branches feed values back through their carried names). Checked here: a call with no derivative rule,
or a rule parameter without a derivative, on an active path is an error naming the line.
"""
import inspect

from . import ir
from .errors import NoDerivativeError
from .ir import Assign, Mutate, SetItem


class Activity:
    def __init__(self, varied, useful):
        self.varied = varied
        self.useful = useful

    def active(self, name):
        return name in self.varied and name in self.useful


def defined(s):
    """The names a statement gives a (new) value."""
    if isinstance(s, Assign):
        return s.targets
    if isinstance(s, SetItem):
        return (s.result,)
    if isinstance(s, Mutate):
        return (s.result,) + ((s.out,) if s.out else ())
    return ()


def analyze(fn, ops, wrt, outputs, mode="reverse"):
    """Activity of every SSA name of `fn` for the arguments `wrt`, towards the names `outputs`; checks that
    every active call has a derivative in `mode` ('reverse' or 'forward')."""
    stmts = [s for s in ir.walk(fn.body) if id(s) in ops]
    users = {}  # name -> targets of the statements reading it (a derivative flows from it to them)
    makers = {}  # name -> inputs of the statements defining it
    for s in stmts:
        targets, inputs = defined(s), ops[id(s)].inputs
        if isinstance(s, Mutate) and s.out and ops[id(s)].extra.get("nograd"):  # (`v = L.pop()` in no_grad: v is
            targets = (s.result,)                                               # a constant, L keeps its own)
        for n in inputs:
            users.setdefault(n, []).extend(targets)
        for t in targets:
            makers.setdefault(t, set()).update(inputs)
    for raised, caught in _handlers(fn.body):  # (what an `except E as e:` binds is the exception raised)
        for n in raised:
            users.setdefault(n, []).extend(caught)
        for c in caught:
            makers.setdefault(c, set()).update(raised)
    varied = _reach(wrt, users)
    useful = _reach(outputs, makers)
    act = Activity(varied, useful)
    check(stmts, ops, act, wrt, mode)
    return act


def _reach(start, edges):
    """Every name reachable from `start` along `edges` (a worklist: linear in the size of the graph)."""
    seen = set(start)
    todo = list(start)
    while todo:
        n = todo.pop()
        for m in edges.get(n, ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def check(stmts, ops, act, wrt, mode):
    for s in stmts:
        op = ops[id(s)]
        if not any(act.active(t) for t in defined(s)):
            continue
        where = s.origin.unit.location(s.origin.node) if s.origin is not None else None
        if op.kind == "unknown" and _calls_super(s):
            raise NoDerivativeError(
                "`super()` here is not followed: the compiler does not know the class and the object (or "
                "subclass) it is given -- in a static method or a nested function `super()` has no `self` "
                "(Python raises TypeError or RuntimeError there)", where=where,
                hint="write `super(Class, self)` with the object, or call the base class's method by its name",
                deferred=op.deferred)
        if _helper(s, "caught"):
            raise NoDerivativeError(
                f"the exception this handler catches holds values that depend on {_wrt_text(wrt)}: they cannot be "
                "differentiated (yet)", where=where,
                hint="compute the value outside the exception (in the `try` body or before it) and use that name")
        if op.kind == "unknown" and _helper(s, "entered_value"):
            raise NoDerivativeError(
                f"the value this `with` block binds (what the context manager's `__enter__` returns) depends on "
                f"{_wrt_text(wrt)}: it cannot be differentiated (yet)", where=where,
                hint="compute the value before the `with` block and use that name inside it")
        if op.kind == "unknown":
            error = NoDerivativeError(
                f"no derivative is known for {op.what}, and it lies on a path from {_wrt_text(wrt)} to the output",
                where=where,
                hint="register a derivative with @ad.defvjp(...) (see docs/rules.md), or wrap the argument in "
                     "ad.stop_gradient(...) if no derivative should flow through it",
                deferred=op.deferred,
            )
            raise error
        if op.kind == "rule":
            rule = op.rule
            for p, v in op.bound.items():
                if rule.signature.parameters[p].kind is inspect.Parameter.VAR_KEYWORD:
                    continue
                if ir.names_in(v) & act.varied and not rule.differentiable(p, mode) and p not in rule.constant_in:
                    other = "forward" if mode == "reverse" else "reverse"
                    known = f"{mode}-mode " if rule.differentiable(p, other) else ""
                    raise NoDerivativeError(
                        f"`{rule.name}` has no {known}derivative with respect to its argument `{p}`, which "
                        f"depends on {_wrt_text(wrt)}", where=where,
                        hint="wrap that argument in ad.stop_gradient(...) or register a fuller rule"
                             + (" (@ad.defjvp for forward mode)" if mode == "forward" else ""))


def _calls_super(s):
    v = getattr(s, "value", None)
    return isinstance(v, ir.Call) and isinstance(v.func, ir.Global) and v.func.obj is super
def _helper(s, name):
    """Is `s` an assignment of the runtime helper `_ad.<name>(...)`?"""
    v = getattr(s, "value", None)
    return isinstance(s, Assign) and isinstance(v, ir.Call) and isinstance(v.func, ir.Global) and \
        v.func.path == ("_ad", name)


def _handlers(body):
    """(names raised in a `try` body, names its handlers bind to the exception caught) for each `try`."""
    for s in ir.walk(body):
        if isinstance(s, ir.If) and s.role == "try":
            raised = [a.name for x in ir.walk(s.body) if ir.is_throw(x) for a in x.value.args if isinstance(a, ir.Var)]
            caught = [t for x in ir.walk(s.orelse) if _helper(x, "caught") for t in x.targets]
            if raised and caught:
                yield raised, caught


def _wrt_text(wrt):
    return ", ".join(f"`{w}`" for w in wrt)
