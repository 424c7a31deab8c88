"""Pass 3, inline: calls of the user's own functions are replaced by their bodies.

Differentiating a call then needs no interface between functions: mutation of arguments, views and lists
shared with the caller, and closures returned by a factory (`g = make(c); g(x)`) are seen by the analyses
of one function. Inlined:

- the user's module-level functions (not those of libraries, nor functions with a registered rule),
  `functools.partial` of them, bound methods, methods of objects passed in (`model.forward(x)`),
- nested `def`s and lambdas (`Closure` values) called where the compiler knows which function a name
  holds (also when it was returned by a factory or passed as an argument),
- decorators' wrappers (`*args`/`**kwargs` forwarding is expanded).

A recursive call is not inlined: it stays a call, compiled as a separate derivative (callee mode).
Parameters are bound by assignments (`x_1 = a`), the callee's variables get fresh names, and its result is
assigned to the call's target. Python's late binding is kept: a closure reads its enclosing variables where
it is called.

This module walks the function and splices the callees' bodies in (`Inliner`); the parts:

    inline_static.py    what is known of a name's value when compiling (closures, functions, objects, partials)
    inline_resolve.py   which function a call calls (`CalleeResolver`); what counts as a library
    inline_bind.py      binding the call's arguments to the callee's parameters
"""
import dataclasses

from . import gradient_call_kinds, ir, kinds as K, markers
from .desugar import desugar
from .errors import ADError, UnsupportedError
from .inline_bind import bind_arguments
from .inline_resolve import LIBRARIES, CalleeResolver, is_library, merge_keywords  # noqa: F401 (driver: is_library)
from .inline_callbacks import from_function
from .inline_choice import Choices, ends
from .inline_closure_lists import ClosureLists
from .inline_copies import replace_call
from . import inline_named as named
from .lazy_checks import check_generator_call
from .inline_checks import _user_name, _yields, check_generator_effects, check_generator_ends, check_iterators_used_once, \
    check_try_values
from .inline_loops import Loops
from .inline_dataclass import SYNTHESIZED
from .inline_stored import snapshot, stored, stored_arguments
from .inline_objects import Objects
from .inline_operators import ObjectOperators
from .inline_static import is_container, static_of_atom, static_of_kind, static_of_value
from .inline_values import FunctionValues
from .ir import Assign, Call, ExprStmt, If, Var
from .kinds import Obj

MAX_DEPTH = 40


class Inliner:
    """Walks a function's statements with the static values of its names, and replaces each call of a known
    user function by the callee's desugared body."""

    def __init__(self, ctx, alloc):
        self.ctx = ctx  # has .has_rule(obj), .read(func) -> Unit, .param_kinds
        self.alloc = alloc
        self.resolver = CalleeResolver(ctx)
        self.stack = []  # functions being inlined (recursion stays a call)
        self.recursive = []  # (statement, function) pairs left as calls
        self.changed = {}  # id -> static value of a list or dict the function may have changed (see `forget`)
        self.values = FunctionValues(self)
        self.loops = Loops(self)
        self.objects = Objects(self)
        self.operators = ObjectOperators(self)  # obj[k] = v, obj += v, obj + v: the class's methods
        self.resolver.objects = self.objects
        self.closure_lists = ClosureLists(self)
        self.choices = Choices(self)
        self.break_envs = []  # per loop being inlined: what is known at each of its `break`s (inline_loops.py)
        self.callee = False  # compiling a recursive callee (its parameters' kinds are the caller's inference)

    def run(self, fn, param_kinds):
        floats = {p for p, k in zip(fn.params, param_kinds) if _float_kind(k)}
        rebound = set().union(*(ir.stmt_writes(s) - (floats if _keeps_kind(s) else set()) for s in ir.walk(fn.body)))
        self.param_kinds = {p: _kind_if_rebound(k) if p in rebound else k for p, k in zip(fn.params, param_kinds)}
        self.objects.known_kinds(param_kinds)
        env = {}
        for p, k in zip(fn.params, param_kinds):
            static = static_of_kind(k)
            if static is None and isinstance(k, K.Array) and k.ndim is not None and k.ndim >= 1 and \
                    type(k.cls) is type and not self.callee:
                # (an array of this class: `isinstance(x, Vec)` is known; not for a number, nor an array of
                # unknown rank, which may be a NumPy scalar, nor for a recursive callee, compiled for the kinds
                # the caller's analysis gives its arguments)
                static = ("class", k.cls)
            if static is not None:
                env[p] = static
        fn.body = self.block(fn.body, env)
        self.closure_lists.check(fn.body)
        check_iterators_used_once(fn.body)
        check_try_values(fn)
        return fn

    # -- statements: the static environment flows through them ------------------------------------------
    def block(self, stmts, env):
        out = []
        for s in stmts:
            out.extend(self.statement(s, env))
            if self.changed:  # (a callee changed a list it was given: forgotten here too)
                for k in [k for k, v in env.items() if id(v) in self.changed]:
                    del env[k]
        return out

    def forget(self, env, name):
        """The list or dict `name` holds may change: what is known of it is forgotten, under every name (also
        in the callers' environments, through `changed`)."""
        static = env.get(name)
        if not is_container(static):
            return
        self.changed[id(static)] = static
        for k in [k for k, v in env.items() if v is static]:
            del env[k]

    def statement(self, s, env):
        """The statements replacing `s` (itself, or an inlined call); updates `env` (name -> static value)."""
        if isinstance(s, ir.Break) and self.break_envs:
            self.break_envs[-1].append((s, dict(env)))
        if isinstance(s, If):
            test = static_of_atom(s.test, env)
            if isinstance(test, tuple) and test[0] == "const":  # the branch taken is known when compiling
                return self.block(s.body if test[1] else s.orelse, env)
            then_env = dict(env)
            s.body = self.block(s.body, then_env)
            else_env = dict(env)
            s.orelse = self.block(s.orelse, else_env)
            env.clear()
            jumps = (ends(s.body), ends(s.orelse)) if s.role is None else (False, False)
            if jumps in ((True, False), (False, True)):  # (only the other branch reaches what follows)
                env.update(else_env if jumps[0] else then_env)
                return [s]
            env.update({k: v for k, v in then_env.items() if else_env.get(k) is v or else_env.get(k) == v})
            if s.role is None:  # a function chosen by the branch taken: a choice (inline_choice.py)
                self.choices.join(s, then_env, else_env, env)
            return [s]
        if isinstance(s, (ir.For, ir.While)):
            return self.loops.inline(s, env, self)
        if isinstance(s, Assign) and len(s.targets) == 1:
            t = s.target
            v = s.value = self.values.named_attribute(s, s.value, env)  # getattr(np, name): np.tanh
            made = self.values.made_derivative(s, v, env)  # ad.grad(u) made here: the derivative function
            if made is not None:
                s.value = v = made
            if isinstance(v, Call):
                inlined = self.call(s, v, t, env)
                if inlined is not None:
                    return inlined
                static = static_of_atom(v.func, env)
                if isinstance(static, ir.Global) and isinstance(static.obj, markers.Checkpointed) and \
                        not isinstance(v.func, ir.Global):  # `ad.checkpoint(f)(x)`: a call of the checkpointed f
                    s.value = v = Call(static, v.args, v.kwargs)
                s.value = v = self.objects.checkpointed_method(v, env) or v  # (`self.step(h)`, checkpointed)
            self.objects.refuse_iteration(s, v, env)
            getter = named.field_read(self, s, v, t, env) or \
                self.objects.property_read(s, v, t, env) or self.operators.sliced_read(s, v, t, env) or \
                self.objects.item_read(s, v, t, env) or self.operators.binop(s, v, t, env)
            if getter is not None:
                return getter
            if isinstance(v, ir.Build):  # nested functions stored in a list: real functions when they can be
                s.value = v = self.values.nested.closure_values(s, v, env, refuse=False)
            env.pop(t, None)
            static = static_of_value(v, env)
            if static is None:
                static = self.values.table_item(s, v, env)  # ACTIVATIONS[name]: the function the table holds
            if static is None:
                chosen = self.choices.read(s, v, t, env)  # ACTS[k], k known when it runs (inline_choice.py)
                if chosen is not None:
                    return chosen
            pre = []
            if isinstance(static, tuple) and static[0] == "partial":
                static, pre = snapshot(self.alloc, s, static)
            if static is not None:
                env[t] = static
            return pre + [s]
        if isinstance(s, ExprStmt) and isinstance(s.value, Call):
            appended = self.closure_lists.append(s, env)
            if appended is not None:
                return appended
            inlined = self.call(s, s.value, None, env)
            if inlined is not None:
                return inlined
            return [s]
        setter = self.objects.property_write(s, env) or self.operators.store(s, env) or self.operators.augassign(s, env)
        if setter is not None:
            return setter
        if isinstance(s, ir.SetItem) and isinstance(s.target, Var) and not self.objects.stored(s, env):
            stored(self, s, env)
        for n in ir.stmt_writes(s):
            env.pop(n, None)
        return [s]

    # -- calls ------------------------------------------------------------------------------------------
    def call(self, stmt, call, target, env):
        """The statements replacing `target = call`, or None to keep the call."""
        replaced = replace_call(self, stmt, call, target, env) or named.replaced(self, stmt, call, target, env)
        if replaced is not None:
            return replaced
        written = from_function(self.values, stmt, call, env)
        if written is not None:  # np.fromfunction(f, shape): f(*np.indices(shape))
            out, call = written
            new = Assign((target,), call) if target is not None else ExprStmt(call)
            return out + self.statement(self.values.new_stmt(stmt, new), env)
        if isinstance(call.func, ir.Attr) and isinstance(call.func.value, Var):
            self.forget(env, call.func.value.name)  # (a list's or dict's method may change it)
        resolved = self.resolver.resolve(call.func, env)
        if resolved is None:
            chosen = self.choices.call(stmt, call, target, env)
            if chosen is not None:
                return chosen
            dispatched = self.objects.dispatch(stmt, call, target, env)
            if dispatched is not None:
                return dispatched
            return self.values.keep_call(stmt, call, target, env)
        kind, what, prefix = resolved
        if kind == "class" and named.is_named_tuple_class(what):
            made = named.made(self, stmt, what, call, target, env)
            if made is not None:
                return made
        if kind == "class":
            return self.objects.construct(stmt, what, call, target, env)
        extra_kwargs = []
        if isinstance(prefix, tuple):  # functools.partial: stored positional and keyword arguments
            prefix, extra_kwargs = prefix
        pre = stored_arguments(self.alloc, stmt, prefix, extra_kwargs)
        if kind == "derivative" and not prefix and not extra_kwargs:  # (its generated code takes every parameter
            call = _flat_call(what, call)                             # by position)
        callee_def = self.callee_definition(stmt, call, kind, what)
        if callee_def is None:
            return None
        unit, fdef, enclosing, defaults, key, func_obj = callee_def
        if key in self.stack or len(self.stack) > MAX_DEPTH:
            if kind == "closure":
                raise UnsupportedError("a recursive nested function cannot be differentiated (yet)",
                                       where=stmt.origin.unit.location(stmt.origin.node),
                                       hint="define the recursive function at module level")
            return None
        generator = kind == "generator" or (kind == "closure" and _yields(fdef))
        if generator:
            check_generator_ends(stmt, unit, fdef)
            check_generator_effects(unit, fdef)
            if isinstance(call.func, ir.Attr) and stmt.origin is not None:  # (a method: lazy_checks may not have
                check_generator_call(stmt.origin)                         # known it for a generator)
        callee, _ = desugar(unit, self.alloc, fdef=fdef, enclosing=enclosing, fresh=True,
                            out_hint=_result_name(fdef.name), generator=generator)
        if unit.filename.startswith(SYNTHESIZED):  # (an __init__ the compiler wrote: errors and comments name
            for s in ir.walk(callee.body):         # the line making the object)
                s.origin = stmt.origin
        kwargs = merge_keywords(extra_kwargs, call.kwargs)
        bindings = bind_arguments(stmt, callee, fdef, prefix + list(call.args), kwargs, defaults, func_obj, env,
                                  self.values, pre)
        out = self.splice(stmt, callee, bindings, key, target, env, pre)
        if generator and target is not None:  # (its values, computed when it is called: used once, as Python's)
            out[-1].iterator = _user_name(stmt, target)
        return out

    def callee_definition(self, stmt, call, kind, what):
        """(unit, fdef, enclosing scope, closure defaults, recursion key, function object) of the callee, or
        None for a recursive call of a module-level function (kept as a call, recorded in `recursive`)."""
        if kind == "closure":
            return what.unit, what.fdef, what.scope, what.defaults, what.fdef, None
        func_obj = what
        if kind == "derivative":
            func_obj = _generated(self.ctx, self.param_kinds, stmt, call, what)
            if func_obj is None:
                return None
        if isinstance(call.func, ir.Global) and hasattr(self.ctx, "bindings") and \
                _names(stmt.origin.unit, call.func.path, call.func.obj):
            self.ctx.bindings.append((stmt.origin.unit, call.func.path, call.func.obj))
        if func_obj in self.stack:
            self.recursive.append((stmt, func_obj))
            return None
        try:
            unit = self.ctx.read(func_obj)
        except ADError as e:  # (a callee whose source cannot be read: at the call, as for any other refusal)
            if e.where is not None or stmt.origin is None:
                raise
            raise type(e)(e.message, where=stmt.origin.unit.location(stmt.origin.node), hint=e.hint) from None
        return unit, unit.tree, None, None, func_obj, func_obj

    def splice(self, stmt, callee, bindings, key, target, env, pre):
        """`pre`, the parameters' bindings, the callee's body (its calls inlined in turn) and `target = result`;
        updates `env` for what the call did."""
        out = pre
        for param, value in bindings:
            a = Assign((param,), value)
            a.origin, a.nograd = stmt.origin, stmt.nograd
            out.append(a)
        inner_env = dict(env)
        for param, value in bindings:
            inner_env.pop(param, None)
            static = static_of_value(value, env)
            if static is not None:
                inner_env[param] = static
        self.stack.append(key)
        try:
            body = self.block(callee.body, inner_env)
        finally:
            self.stack.pop()
        if stmt.nograd:
            for t in ir.walk(body):
                t.nograd = True
        out.extend(body)
        for k in [k for k in set(env) | set(inner_env) if isinstance(k, tuple)]:
            if k in inner_env:  # (object, attribute): what the callee stored into objects (`self.act = act`)
                env[k] = inner_env[k]
            else:
                env.pop(k, None)
        if target is not None:
            a = Assign((target,), callee.out)
            a.origin, a.nograd = stmt.origin, stmt.nograd
            out.append(a)
            env.pop(target, None)
            result = inner_env.get(callee.out.name) if isinstance(callee.out, Var) else None
            if result is not None:
                env[target] = result
        # names the callee's body reassigned (enclosing variables, through nonlocal) lose their static value
        for t in ir.walk(body):
            for n in ir.stmt_writes(t):
                if n in env and inner_env.get(n) is not env.get(n):
                    env.pop(n, None)
        return out


def _names(unit, path, obj):
    """Does this dotted name refer to `obj` in the unit (a name the user wrote, not one the compiler made)?"""
    found, current = unit.lookup(path[0])
    for p in path[1:]:
        current = getattr(current, p, None)
    return found and current is obj


def _result_name(name):
    return "out" if name in ("lambda", "<lambda>") else f"{name}_out"


def _kind_if_rebound(kind):
    """What a parameter's kind still says of its name where the function binds the name again, for the
    gradients inlined at its calls: an array's name stays an array (of a rank and dtype not known), a
    number's may become an array (`s = np.array([s, s])`, which a gradient compiled for a number would
    reduce to one number): not known."""
    if isinstance(kind, K.Array):
        return dataclasses.replace(kind, dtype="?", ndim=None)
    return K.UNKNOWN


_ELEMENTWISE = ("+", "-", "*", "/", "**")


def _float_kind(kind):
    return (isinstance(kind, K.Array) and kind.dtype == "f") or (isinstance(kind, K.Scalar) and kind.cls is float)


def _keeps_kind(s):
    """`x = x * 0.9`, `x += 1.0`: a statement binding a name again to the name itself and a float, elementwise,
    which keeps the kind of a float array (its rank) or a float, so a parameter's kind still holds after it."""
    if isinstance(s, ir.AugAssign):
        return s.op in _ELEMENTWISE and isinstance(s.value, ir.Const) and type(s.value.value) is float
    if not (isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, ir.BinOp) and
            s.value.op in _ELEMENTWISE):
        return False
    name, (a, b) = s.targets[0], (s.value.left, s.value.right)
    return {type(a), type(b)} == {Var, ir.Const} and Var(name) in (a, b) and \
        type((b if isinstance(a, Var) else a).value) is float


def inline(fn, ctx, alloc, param_kinds, top=None, callee=False):
    """Inline the calls of user functions in `fn` (in place); returns fn and the recursive calls left."""
    inliner = Inliner(ctx, alloc)
    inliner.callee = callee
    if top is not None:
        inliner.stack.append(top)  # a call of the function itself is recursion: not inlined
    inliner.run(fn, param_kinds)
    return fn, inliner.recursive


def _flat_call(derivative_function, call):
    """A call of a derivative function (what `ad.grad` returned) as its generated code takes its arguments: one
    per parameter of the function, by position, keywords put in place and parameters left out given the
    function's current default (a constant: the derivative is compiled again when that default changes); the
    call as it is when that cannot be done (a default that is not a constant, `*args`, an unknown keyword)."""
    import inspect

    from .driver import Derivative
    from .inline_static import is_simple

    d = derivative_function._ad_derivative
    if not isinstance(d, Derivative) or d.receiver is not None or any(isinstance(a, ir.Starred) for a in call.args):
        return call
    params = inspect.signature(d.func).parameters
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params.values()) or len(call.args) > len(params) \
            or (len(call.args) == len(params) and not call.kwargs):
        return call
    args = _flat_arguments(params, call, is_simple)
    return call if args is None else dataclasses.replace(call, args=args, kwargs=())


def _flat_arguments(params, call, is_simple):
    import inspect

    given = dict(zip(params, call.args))
    for name, value in call.kwargs:
        if name not in params or name in given or params[name].kind is inspect.Parameter.POSITIONAL_ONLY:
            return None
        given[name] = value
    out = []
    for name, p in params.items():
        if name in given:
            out.append(given[name])
        elif p.default is not p.empty and is_simple(p.default):
            out.append(ir.Const(p.default))
        else:
            return None
    return tuple(out)


def _generated(ctx, param_kinds, stmt, call, derivative_function):
    """The generated code a derivative function (what `ad.grad` returned) runs for the kinds of the
    call's arguments (known for the function's own parameters and constants), or None (not inlined)."""
    from .driver import Derivative, readable_form

    d = derivative_function._ad_derivative
    if call.kwargs or any(isinstance(a, ir.Starred) for a in call.args):
        return None
    if not isinstance(d, Derivative):
        return _generated_nested(ctx, param_kinds, stmt, call, d)
    if d.receiver is not None:
        return None
    probing = getattr(ctx, "probing", None)
    if probing is not None:  # (learning the kinds of its arguments: left as a call, gradient_call_kinds.py)
        probing.append((stmt, d))
        return None
    kinds_ = gradient_call_kinds.argument_kinds(ctx, stmt, call, d, param_kinds)
    kinds_ += ((),)  # (no arrays known to share a shape)
    if getattr(ctx, "gradients_by_sweeps", False):
        # (its reverse-mode code was refused here: driver.Derivation.run)
        swept = d.compile_by_sweeps(kinds_)
        if swept is not None:
            ctx.include(swept[1])
            return swept[0]
    compiled = d.specializations.get(kinds_)
    if compiled is None or d.stale(kinds_):
        compiled = d.compile(kinds_)
    inner = d.deps.get(kinds_)
    if inner is not None and hasattr(ctx, "include"):
        ctx.include(inner)  # (what it was compiled from: a change of it makes this derivative stale too)
    readable = readable_form(compiled)
    if d.mode in ("grad", "value_and_grad") and hasattr(ctx, "inlined_gradients"):
        ctx.inlined_gradients.update({compiled.__code__.co_filename, readable.__code__.co_filename})
    return readable


def _generated_nested(ctx, param_kinds, stmt, call, d):
    """The generated code of a derivative of a derivative (`ad.vjp(ad.grad(f))`, `ad.hvp(f)`) called in the
    function, for the kinds of the call's arguments, or None (not inlined: a nested derivative of another
    form; n27-003)."""
    from .driver import readable_form
    from .nested import NestedDerivative

    if not isinstance(d, NestedDerivative):
        return None
    probing = getattr(ctx, "probing", None)
    if probing is not None:
        probing.append((stmt, d))
        return None
    kinds_ = gradient_call_kinds.argument_kinds(ctx, stmt, call, d, param_kinds)
    # (where its reverse-mode code was refused here, by forward sweeps: driver.Derivation.retry)
    compiled = d.compile_kinds(kinds_, by_sweeps=getattr(ctx, "gradients_by_sweeps", False))
    if compiled is None:
        return None
    compiled, deps = compiled
    if hasattr(ctx, "include"):
        for inner in deps:
            ctx.include(inner)
    readable = readable_form(compiled)
    if d.mode in ("grad", "value_and_grad", "vjp") and hasattr(ctx, "inlined_gradients"):
        ctx.inlined_gradients.update({compiled.__code__.co_filename, readable.__code__.co_filename})
    return readable
