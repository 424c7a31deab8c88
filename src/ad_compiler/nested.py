"""Derivatives of derivatives: `ad.jvp(ad.grad(f))`, `ad.grad(ad.grad(f))`, and so to any order.

What `ad.grad` (or `jvp`, `vjp`, ...) returns runs plain generated Python, compiled per argument kinds and
kept in `linecache`, so it can be read like any function. A derivative of it is compiled by the same
pipeline from that code (the runtime helpers it calls have rules of their own: rules/helpers.py), once per
inner compiled function and argument kinds.

Reverse mode over generated code needs the transposes of the helpers' derivatives; where one is missing
(or every `wrt` argument is a number, where one forward sweep is cheaper), the gradient is computed by
forward mode instead: generated code running forward mode once per entry of the `wrt` arguments
(`composite.sweeps`). Exact either way, and plain code again, so it can be differentiated once more.
"""
import numpy as np

from . import composite, kinds as K
from .driver import Derivation, Derivative, _params, readable_form
from .errors import ADError
from .unchanged import unchanged_test


class NestedDerivative:
    """`mode` of the derivative function `inner` (what an `ad.*` function returned), with respect to the
    parameters at `positions` of the inner function."""

    def __init__(self, inner, positions, mode, multi, func_name, n_inner):
        self.inner = inner
        self.positions = list(positions)
        self.mode = mode
        self.multi = multi
        self.func_name = func_name
        self.n_inner = n_inner  # how many arguments the inner function takes
        self.specializations = {}  # (inner compiled function, kinds) -> compiled
        self.watched = {}  # the same keys -> what it was built from (_run)
        self.refreshed = 0  # how many were compiled again, stale (generation())
        self.last = None
        self.dispatcher = None
        self.generic_source = None

    def specialize(self, args):
        code = self.inner._ad_derivative.specialize(tuple(args[:self.n_inner]))
        if self.mode in ("grad", "value_and_grad", "vjp"):  # (reverse mode cannot follow backward closures)
            code = readable_form(code)
        kinds_ = tuple(K.kind_of(a) for a in args)
        key = (code, kinds_)
        compiled = self.specializations.get(key)
        if compiled is None or _stale(self.watched[key]):
            self.refreshed += compiled is not None
            self._watch = []
            compiled = self.compile_for(code, kinds_, args)
            self._forget_replaced()
            self.specializations[key] = compiled
            self.watched[key] = self._watch
        self.last = compiled
        return compiled

    def compile_kinds(self, kinds_, by_sweeps=False):
        """This derivative for arguments of these kinds, where a function calling it inlines its code (the
        inner derivative compiled for the kinds of its own arguments), and the contexts it was built from; None
        where the inner derivative is not one `ad.grad` (or jvp, vjp, ...) made of the user's function.
        `by_sweeps`: a reverse-mode derivative by forward sweeps (its reverse-mode code inlined was refused in
        the caller: driver.Derivation.retry), None where the arguments are not arrays or numbers."""
        by_sweeps = by_sweeps and self.mode in ("grad", "value_and_grad", "vjp")
        if by_sweeps and not composite.sweepable(kinds_, self.positions):
            return None
        inner = self.inner._ad_derivative
        if not isinstance(inner, Derivative) or inner.receiver is not None or len(kinds_) < self.n_inner:
            return None
        inner_kinds = tuple(kinds_[:self.n_inner]) + ((),)
        code = inner.specializations.get(inner_kinds)
        if code is None or inner.stale(inner_kinds):
            code = inner.compile(inner_kinds)
        if self.mode in ("grad", "value_and_grad", "vjp"):
            code = readable_form(code)
        key = (code, tuple(kinds_)) + (("sweeps",) if by_sweeps else ())
        compiled = self.specializations.get(key)
        if compiled is None or _stale(self.watched[key]):
            self._watch = []
            compiled = self.compile_for(code, tuple(kinds_), by_sweeps=by_sweeps)
            self.specializations[key] = compiled
            self.watched[key] = self._watch
        deps = [inner.deps[inner_kinds]] if inner.deps.get(inner_kinds) is not None else []
        return compiled, deps + [w for w, unchanged in self.watched[key] if unchanged is not None]

    def _forget_replaced(self):
        """Drop what was compiled for inner code the inner derivative replaced since (compiled again, stale):
        never called again, it would be kept forever (a training loop compiling again at every step)."""
        inner = self.inner._ad_derivative
        live = {id(c) for c in list(getattr(inner, "specializations", {}).values()) +
                list(getattr(inner, "readables", {}).values())}
        if not hasattr(inner, "readables"):  # (the inner is itself nested: its codes are what it compiled)
            return
        for key in [k for k in self.specializations if id(k[0]) not in live]:
            del self.specializations[key]
            del self.watched[key]

    def _run(self, derivation):
        """Run a Derivation over the inner code, watching what it was built from: what it inlined beyond the
        inner code (a helper the generated code calls, e.g. a checkpointed one, its closure variables) may
        change while the inner derivative stays as it is (h19-007)."""
        compiled = derivation.run()
        self._watch.append((derivation.ctx, unchanged_test(derivation.ctx)))
        return compiled

    def compile_for(self, code, kinds_, args=None, by_sweeps=False):
        try:
            return self._compile_for(code, kinds_, args, by_sweeps)
        except ADError as exc:
            raise self.composition_refused(exc) from None

    def composition_refused(self, exc):
        """A refusal at a line of generated code, said to be one of this composition of derivatives of the
        user's function (n27-002): which, of which function, and the orders to try instead. Once (the outer
        derivatives leave it as it is)."""
        if not _in_generated_code(exc) or getattr(exc, "_ad_composition", False):
            return exc
        what = describe(self.dispatcher) if self.dispatcher is not None else self.func_name
        primal = user_function(self.inner)
        of = ""
        if primal is not None:
            code = getattr(primal, "__code__", None)
            of = f" of `{primal.__qualname__}`" + \
                (f" ({code.co_filename}, line {code.co_firstlineno})" if code is not None else "")
        forward = self.mode in ("jvp", "tangent")
        other = ("a reverse-mode derivative outside the forward-mode one (ad.jacrev(ad.jacfwd(g)) for "
                 "ad.jacfwd(ad.jacrev(g)); ad.hessian of a derivative takes that order by itself where this one "
                 "is refused)") if forward else \
            ("a forward-mode derivative outside (ad.jacfwd(g) or ad.jvp(g) for ad.jacrev(g), ad.grad(g) or ad.vjp(g))")
        new = type(exc)(f"{exc.message}\n(this line is ad_compiler's generated code, read again to compute {what}, "
                        f"a derivative{of} of order {order(self)}: its {'forward' if forward else 'reverse'} mode "
                        "cannot follow this pattern of the code it reads)", where=exc.where,
                        hint=f"compose the derivatives in another order: {other}", deferred=exc.deferred)
        new._ad_composition = True
        return new

    def _compile_for(self, code, kinds_, args=None, by_sweeps=False):
        params = _params(code)
        wrt = [params[i] for i in self.positions]
        if self.mode in ("grad", "value_and_grad", "vjp"):
            scalars = args is not None and all(isinstance(args[i], (float, int, np.floating)) and
                                               not isinstance(args[i], bool) for i in self.positions)
            reverse = None  # (why reverse mode was not used: where forward sweeps cannot be either, said there)
            if not scalars and not by_sweeps:
                try:
                    return self._run(Derivation(code, wrt, self.mode, kinds_[:len(params)], self.func_name, self.multi))
                except ADError as exc:
                    # (a helper without a reverse rule, or an in-place pattern of the generated code that the
                    # alias pass refuses: forward sweeps over the same code instead. They take only arrays and
                    # numbers: for a list or dict the refusal at its generated line is the better one)
                    if not _in_generated_code(exc) or not composite.sweepable(kinds_, self.positions):
                        raise
                    reverse = exc
            try:
                jvp = self._run(Derivation(code, wrt, "jvp", kinds_[:len(params)], f"jvp_{code.__name__}", True))
                return composite.sweeps(jvp, params + ([_fresh("seed", params)] if self.mode == "vjp" else []),
                                        self.positions, kinds_, self.mode, self.multi, self.func_name)
            except ADError as exc:
                if (reverse is not None or scalars) and _in_generated_code(exc):
                    # (with respect to numbers reverse mode was not tried: forward mode's refusal says why)
                    swept = self.gradient_of_tangent(code, params, args, reverse or exc)
                    if swept is not None:
                        return swept
                if reverse is None or exc.where is not None:
                    raise
                raise type(exc)(f"{exc.message}; reverse mode stopped here: {reverse.message}", where=reverse.where,
                                hint=exc.hint) from None
        try:
            return self._run(Derivation(code, wrt, self.mode, kinds_[:len(params)], self.func_name, self.multi))
        except ADError as exc:
            inner = self.inner._ad_derivative
            if self.mode not in ("jvp", "tangent") or args is None or not _in_generated_code(exc) or \
                    not isinstance(inner, Derivative) or inner.mode != "grad" or getattr(inner, "has_aux", False):
                raise  # (an inner derivative of a derivative: no f to take the tangent of; the refusal stands)
            try:
                return self.reverse_over_forward(code, params, args, exc)
            except ADError as forward_exc:
                try:
                    swept = self.reverse_over_reverse(code, params, args, forward_exc)
                except ADError as reverse_exc:
                    # (the fallback's own refusal is of another composition: this one's says what was asked)
                    raise (exc if _in_generated_code(exc) else reverse_exc) from None
                if swept is None:
                    raise
                return swept

    def gradient_of_tangent(self, code, params, args, exc):
        """The vjp (or gradient) of the gradient `inner` when reverse and forward mode both refused its
        generated code: the gradient of f's tangent along the seed (reverse over forward; exact too):
        <grad_x f(x, p), u> is f's tangent along u, so its gradient is the vjp of grad_x f with seed u. For
        `grad` the seed is 1.0 (x one number: the gradient is a number). None where this does not apply."""
        from . import api

        d = self.inner._ad_derivative
        n = len(params)
        if not isinstance(d, Derivative) or d.mode != "grad" or getattr(d, "has_aux", False) or d.receiver is not None or args is None or \
                len(args) < n + (self.mode == "vjp"):
            return None
        if self.mode != "vjp":
            x = args[params.index(d.wrt[0])] if d.wrt[0] in params else None
            if d.multi or not isinstance(x, (float, int, np.floating)) or isinstance(x, bool):
                return None
        outer = [params[i] for i in self.positions]
        try:
            tangent_f = api._get(d.func, tuple(d.wrt) if d.multi else d.wrt[0], "tangent")
            grad_tangent = api._get(tangent_f, tuple(outer) if self.multi else outer[0], "grad")
            seed = args[n] if self.mode == "vjp" else 1.0
            rev = grad_tangent._ad_derivative.specialize(tuple(args[:n]) + (seed,))
        except ADError:
            return None
        self._watch.append((grad_tangent._ad_derivative, None))
        s = _fresh("seed", params)
        call = f"{rev.__name__}({', '.join(params + [s if self.mode == 'vjp' else '1.0'])})"
        reason = exc.message.splitlines()[0] if getattr(exc, "message", None) else type(exc).__name__
        lines = [f"def {self.func_name}({', '.join(params + ([s] if self.mode == 'vjp' else []))}):",
                 f"    # reverse over forward: the gradient of the tangent of {d.func.__name__}",
                 f"    # (reverse and forward mode over {code.__name__} refused: {reason})"]
        lines.append(f"    return ({code.__name__}({', '.join(params)}), {call})" if self.mode == "value_and_grad"
                     else f"    return {call}")
        return composite.compile_wrapper(lines, self.func_name, {rev.__name__: rev, code.__name__: code},
                                         [rev.source])

    def reverse_over_forward(self, code, params, args, exc):
        """The tangent of the gradient `inner` (forward over reverse) when forward mode refused its generated
        code: the gradient of f's tangent instead (reverse over forward; exact too). For H v:
        grad_x <grad f(x), v> = grad_x (J_f(x) v)."""
        from . import api

        d = self.inner._ad_derivative
        outer = [params[i] for i in self.positions]
        tangent_f = api._get(d.func, tuple(outer) if self.multi else outer[0], "tangent")
        grad_tangent = api._get(tangent_f, tuple(d.wrt) if d.multi else d.wrt[0], "grad")
        rev = grad_tangent._ad_derivative.specialize(tuple(args))
        self._watch.append((grad_tangent._ad_derivative, None))
        t = _fresh("tangent", params)
        call = f"{rev.__name__}({', '.join(params + [t])})"
        return self.fallback_wrapper(code, params, rev, t, call, [
            f"reverse over forward: the gradient of the tangent of {d.func.__name__}",
            f"(forward mode over {code.__name__} refused: {_reason(exc)})"])

    def reverse_over_reverse(self, code, params, args, exc):
        """The tangent of the gradient `inner` along t when forward mode refused both its generated code and f
        (a rule of the user's with no forward-mode line, `@ad.defvjp` alone): the vjp of the gradient with
        seed t, which is the same where the tangent is taken with respect to the very arguments the gradient
        is (H t, H symmetric; m25-005). A mixed partial, the tangent of grad_x along y's t, is H_xy t = H_yx^T t:
        the vjp of grad_y with respect to x. None elsewhere (several arguments on either side, mixed)."""
        from . import api

        d = self.inner._ad_derivative
        outer = [params[i] for i in self.positions]
        one = self.multi and not d.multi and len(outer) == 1  # (ad.jvp(g, wrt=("x",)): the tangent a 1-tuple)
        if d.receiver is not None or getattr(d, "has_aux", False) or bool(d.multi) != bool(self.multi) and not one \
                or len(args) < len(params) + 1:
            return None
        inner = self.inner
        if list(d.wrt) != outer:
            if d.multi or len(outer) != 1 or d.mode != "grad":
                return None
            inner = api.grad(d.func, wrt=outer[0])  # (grad_y: its vjp with respect to x)
        vjp_grad = api._get(inner, tuple(d.wrt) if d.multi else d.wrt[0], "vjp")
        seed = args[len(params)][0] if one else args[len(params)]
        rev = vjp_grad._ad_derivative.specialize(tuple(args[:len(params)]) + (seed,))
        self._watch.append((vjp_grad._ad_derivative, None))
        t = _fresh("tangent", params)
        call = f"{rev.__name__}({', '.join(params + [t + '[0]' if one else t])})"
        return self.fallback_wrapper(code, params, rev, t, call, [
            f"reverse over reverse: the vjp of {code.__name__} along the tangent (its Jacobian is symmetric)",
            f"(forward mode over {code.__name__} and over {d.func.__name__} refused: {_reason(exc)})"])

    def fallback_wrapper(self, code, params, rev, t, call, comments):
        """The tangent function (or value and tangent) calling `rev`, the derivative taken instead of forward
        mode over `code`, with `comments` saying which and why."""
        lines = [f"def {self.func_name}({', '.join(params + [t])}):"] + [f"    # {c}" for c in comments]
        lines.append(f"    return {call}" if self.mode == "tangent" else
                     f"    return ({code.__name__}({', '.join(params)}), {call})")
        return composite.compile_wrapper(lines, self.func_name, {rev.__name__: rev, code.__name__: code},
                                         [rev.source])

    def compile_generic(self):
        code = self.inner._ad_derivative.compile_generic()
        self._watch = []
        return self.compile_for(code, tuple(K.UNKNOWN for _ in _params(code)))

    def stale_any(self):
        return self.inner._ad_derivative.stale_any() or any(_stale(w) for w in self.watched.values())

    def generation(self):
        return generation(self.inner._ad_derivative), self.refreshed


_API_NAMES = {"tangent": "jvp", "grad": "grad", "value_and_grad": "value_and_grad", "vjp": "vjp", "jvp": "jvp"}


def describe(fn, depth=0):
    """The composition a derivative function computes, as the API's calls: `ad.jvp(ad.jacrev(ad.grad(f)))`."""
    d = getattr(fn, "_ad_derivative", None)
    if d is None or depth > 20:
        return getattr(fn, "__name__", "f")
    if isinstance(d, Derivative):
        return f"ad.{_API_NAMES.get(d.mode, d.mode)}({d.func.__name__})"
    if isinstance(d, NestedDerivative):
        return f"ad.{_API_NAMES.get(d.mode, d.mode)}({describe(d.inner, depth + 1)})"
    primal = getattr(getattr(d, "dispatcher", None), "primal", None)
    kind = d.func_name.split("_")[0] if isinstance(getattr(d, "func_name", None), str) else "derivative"
    return f"ad.{kind}({describe(primal, depth + 1)})" if primal is not None else kind


def order(d, depth=0):
    """How many derivatives the composition takes (its nesting depth)."""
    if isinstance(d, NestedDerivative):
        return 1 + order(d.inner._ad_derivative, depth + 1) if depth < 20 else 1
    if isinstance(d, Derivative):
        return 1
    primal = getattr(getattr(d, "dispatcher", None), "primal", None)
    inner = getattr(primal, "_ad_derivative", None)
    return 1 + (order(inner, depth + 1) if inner is not None and depth < 20 else 0)


def user_function(fn, depth=0):
    """The user's function below a derivative function (None where not found)."""
    d = getattr(fn, "_ad_derivative", None)
    if d is None or depth > 20:
        return fn if callable(fn) and getattr(fn, "__code__", None) is not None else None
    if isinstance(d, Derivative):
        return d.func
    if isinstance(d, NestedDerivative):
        return user_function(d.inner, depth + 1)
    return user_function(getattr(getattr(d, "dispatcher", None), "primal", None), depth + 1)


def _stale(watched):
    """Has anything a nested derivative was built from changed (NestedDerivative._run)? A context: its quick
    identity test (unchanged.py), else its staleness test; a derivative it calls (the gradient of the
    tangent): whether any of its compiled forms is stale."""
    for what, unchanged in watched:
        if unchanged is not None:
            if not unchanged() and what.stale():
                return True
        elif what.stale_any():
            return True
    return False


def generation(d):
    """What changes when a derivative `d` was compiled again, stale (driver.Derivative.generation)."""
    method = getattr(d, "generation", None)
    return method() if method is not None else None


def _in_generated_code(exc):
    where = getattr(exc, "where", None)
    return where is not None and str(where.filename).startswith("<ad_compiler")


def _fresh(name, taken):
    while name in taken:
        name += "_"
    return name


def _reason(exc):
    """The first line of a refusal's message (or the exception's class): why forward mode was not taken."""
    return exc.message.splitlines()[0] if getattr(exc, "message", None) else type(exc).__name__
