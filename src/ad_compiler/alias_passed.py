"""Functions of the user's given to calls the compiler does not follow (`sorted(rows, key=f)`, an ODE solver's
right-hand side given `args=`): the library calls them where the derivative does not see what they do, so one
that changes in place what it is given is refused at the call (h16-002, h16-007, h16-008)."""
from __future__ import annotations

import builtins
import os

from . import ir, kinds as K
from .alias_library import runtime
from .alias_session import Part
from .ir import Const, Global
from .markers import Checkpointed


class PassedFunctions(Part):
    """The checks of the functions of the user's whose effects the derivative does not see: given to a call not
    followed, or called as a recursive function (compiled on its own)."""

    def check(self, s, value, obj, args, state):
        """A function of the user's given to a call the compiler does not follow (`sorted(rows, key=f)`; the
        derivative calls it again, `_ad.sorted_vjp(g, rows, f)`): refused if it changes in place what it is
        given (sorted's items), which neither the derivative nor the alias pass would see (h16-002)."""
        if getattr(obj, "__module__", None) == runtime().__name__:
            return
        for name, atom in list(enumerate(value.args)) + list(value.kwargs):
            f = atom.obj if isinstance(atom, Global) else None
            made = None
            if isinstance(atom, ir.Var):  # (a functools.partial of a function of the user's)
                made = [self.session.partials.get(o) for o in self.values.val(atom, state).objs]
                made = made[0] if len(made) == 1 and made[0] is not None else None
                f = made[0] if made is not None else None
            if isinstance(f, Checkpointed):
                f = f.func
            if isinstance(atom, ir.Var) and made is None and obj is builtins.sorted and name == "key" and args:
                kind = self.values.val(atom, state).kind
                f = kind.obj if isinstance(kind, K.Func) else None
                if f is None and _items(args[0], self.session).mutable:  # (a bound method, a list's item)
                    self.refuse(s, "the key function given to `sorted` is not known when compiling, and it is given "
                                   "arrays or containers it may change in place", "give a function of yours by its name "
                                   "(`key=score`) or a lambda calling it, which the compiler checks")
            if f is None or not self.ctx.is_user_function(f):
                continue
            if obj is builtins.sorted and name == "key" and args:
                kinds_ = [_items(args[0], self.session)]
                if made is not None:
                    kinds_ = _partial_kinds(f, made[1], kinds_, lambda a: self.values.val(a, state).kind)
                    if kinds_ is None:
                        continue
            else:  # (a solver's function called with the items of its `args=`: solve_ivp, odeint, quad, ...)
                kinds_ = self.extra_arguments(value, obj, f, state)
                if kinds_ is None:
                    continue
            if not any(k.mutable for k in kinds_):
                continue
            exc = changes_arguments(self.ctx, f, kinds_)
            if exc is not None:
                w = getattr(exc, "where", None)
                where = f" (line {w.line} of {os.path.basename(w.filename)}: `{w.text.strip()}`)" \
                    if w is not None else ""
                self.refuse(s, f"`{f.__name__}` changes what it is given in place{where}; given to "
                               f"`{getattr(obj, '__name__', 'this call')}`, which calls it outside the derivative, "
                               "it cannot be differentiated (yet)", "compute the key without changing its argument")

    def extra_arguments(self, value, obj, f, state):
        """The kinds `f` is called with by the library function `obj` that passes it the items of its `args`
        argument after its own (numbers for those: what the solver makes is not the function's), or None."""
        import inspect

        try:
            bound = inspect.signature(obj).bind_partial(*value.args, **dict(value.kwargs))
            n = len(inspect.signature(f).parameters)
        except (TypeError, ValueError):
            return None
        atom = bound.arguments.get("args")
        if atom is None or isinstance(atom, Const):
            return None
        return _args_kinds(self.values.val(atom, state).kind, n)

    def recursive_call(self, s, value, obj, args):
        """A call of the user's function left as a call (recursion): refused if the function changes an
        argument it is given in place (it is compiled on its own; its caller would not see the change)."""
        if value.kwargs or any(isinstance(a, ir.Starred) for a in value.args) or \
                not any(a.kind.mutable for a in args):
            return
        exc = changes_arguments(self.ctx, obj, [a.kind for a in args])
        if exc is not None and exc.where is None:  # (kinds changing at every level: driver.GROWING_KINDS)
            self.refuse(s, exc.message, exc.hint)
        if exc is not None:
            w = getattr(exc, "where", None)
            where = f" (line {w.line} of {os.path.basename(w.filename)}: `{w.text.strip()}`)" if w is not None else ""
            self.refuse(s, f"this recursive call of `{obj.__name__}` changes an argument in place{where}, "
                           "which cannot be differentiated (yet)", "return the new value instead")


    def ruled_call(self, s, value, obj, args, state):
        """A call of a function of the user's that has a rule (`@ad.defvjp`): the derivative calls it as it is
        and takes its rule for what it does, so one changing an argument in place (`x *= 2.0`, `xs.append(v)`)
        is refused: the change would reach the caller's array or list with no derivative (m25-006)."""
        import inspect

        from .inline_resolve import is_library

        if not inspect.isfunction(obj) or is_library(obj):
            return
        try:
            bound = inspect.signature(obj).bind(*value.args, **dict(value.kwargs))
        except (TypeError, ValueError):
            return
        if any(isinstance(a, ir.Starred) for a in value.args):
            return
        kinds_ = []
        for p in inspect.signature(obj).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                return  # (the check compiles the body for its parameters by position)
            atom = bound.arguments.get(p.name)
            kinds_.append(self.values.val(atom, state).kind if atom is not None else K.kind_of(p.default))
        if not any(k.mutable for k in kinds_):
            return
        try:
            exc = changes_arguments(self.ctx, obj, kinds_)  # (also for kinds a loop's havoc made unknown: h27a-008)
        except Exception:  # noqa: BLE001 (a body the compiler cannot read: what its rule is for; nothing known)
            return
        if exc is not None and getattr(exc, "where", None) is not None:
            w = exc.where
            self.refuse(s, f"`{obj.__name__}`, which has a derivative rule, changes an argument it is given in place "
                           f"(line {w.line} of {os.path.basename(w.filename)}: `{w.text.strip()}`), which its rule "
                           "does not say: the change cannot be differentiated",
                        "return the new value instead of changing the argument (`x = x * 2.0`, a new list)")


def _partial_kinds(f, call, rest, kind_of):
    """The kinds of f's parameters, by position, when `functools.partial(f, *a, **k)` (`call`) is called with
    arguments of the kinds `rest`; None when not known (starred, a keyword bound before a positional one)."""
    import inspect

    if any(isinstance(a, ir.Starred) for a in call.args):
        return None
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return None
    bound = [kind_of(a) for a in call.args[1:]]
    by_name = {k: kind_of(v) for k, v in call.kwargs}
    free = [p for p in params[len(bound):] if p not in by_name]
    if len(rest) > len(free) or any(p in by_name for p in params[len(bound):len(bound) + len(rest)]):
        return None
    given = dict(zip(free, rest))
    kinds_ = bound + [given.get(p, by_name.get(p)) for p in params[len(bound):]]
    while kinds_ and kinds_[-1] is None:
        kinds_.pop()
    return None if any(k is None for k in kinds_) else kinds_


def _args_kinds(k, n):
    """The kinds of the `n` parameters of a function a library calls with its own values (numbers here) and
    then the items of `args` (of kind k); None when not known."""
    if isinstance(k, K.Seq) and k.items is not None and len(k.items) <= n:
        return [K.FLOAT] * (n - len(k.items)) + list(k.items)
    if not isinstance(k, K.Seq) and k.mutable and n:  # (one object, `args=A`)
        return [K.FLOAT] * (n - 1) + [k]
    return None


def _items(val, session):
    from .alias_calls import _item_kind  # (alias_calls imports this module)

    return _item_kind(val, session)


def changes_arguments(ctx, func, kinds_):
    """`ctx.callee_changes_arguments`, also for an argument of unknown kind (a name a statement refused inside a
    loop's fixed point made unknown, alias.Alias.havoc): that may be an array, for which the callee's `a *= 2.0`
    changes the caller's array where, for a number, it rebinds `a` (checked with unknown kinds alone, a
    checkpointed function scaling its argument in place, called in a loop, was not refused: WRONG, h27a-002).
    An unknown argument is tried as each of `_MAYBE`."""
    exc = ctx.callee_changes_arguments(func, kinds_)
    for guess in _MAYBE if any(k is K.UNKNOWN for k in kinds_) else ():
        if exc is not None:
            break
        exc = ctx.callee_changes_arguments(func, [guess if k is K.UNKNOWN else k for k in kinds_])
    return exc


# what an argument of unknown kind may be, for the check of what a callee changes: arrays of a known rank (of an
# unknown one, `a *= 2.0` is refused for another reason) and a list
_MAYBE = (K.Array(ndim=1), K.Array(ndim=2), K.Seq(list, None, K.UNKNOWN))
