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
"""
import functools
import inspect
import types

from . import ir
from .desugar import desugar
from .errors import UnsupportedError
from .ir import Assign, Build, Call, Const, ExprStmt, Global, If, Var
from .kinds import Obj

LIBRARIES = {"numpy", "scipy", "pandas", "jax", "torch", "autograd", "ad_compiler", "numba", "dask", "cupy",
             "sklearn", "functools", "builtins", "math"}
MAX_DEPTH = 40


def is_library(func):
    module = getattr(func, "__module__", None) or ""
    return module.split(".")[0] in LIBRARIES


class Inliner:
    def __init__(self, ctx, alloc):
        self.ctx = ctx  # has .has_rule(obj), .read(func) -> Unit, .param_kinds
        self.alloc = alloc
        self.stack = []  # functions being inlined (recursion stays a call)
        self.recursive = []  # (statement, function) pairs left as calls

    # -- static values of names: closures, functions, objects --------------------------------------------
    def static(self, atom, env):
        if isinstance(atom, Var):
            return env.get(atom.name)
        if isinstance(atom, Global):
            return atom
        if isinstance(atom, ir.Closure):
            return atom
        return None

    def run(self, fn, param_kinds):
        env = {p: ("kind", k) for p, k in zip(fn.params, param_kinds) if isinstance(k, Obj)}
        fn.body = self.block(fn.body, env)
        return fn

    def block(self, stmts, env):
        out = []
        for s in stmts:
            out.extend(self.statement(s, env))
        return out

    def statement(self, s, env):
        if isinstance(s, If):
            before = dict(env)
            then_env = dict(env)
            s.body = self.block(s.body, then_env)
            else_env = dict(env)
            s.orelse = self.block(s.orelse, else_env)
            env.clear()
            env.update({k: v for k, v in then_env.items() if else_env.get(k) is v or else_env.get(k) == v})
            for k in before:
                if k not in env and then_env.get(k) is None and else_env.get(k) is None:
                    pass
            return [s]
        if isinstance(s, (ir.For, ir.While)):
            entry = dict(env)
            assigned = {n for t in ir.walk(s.body) for n in ir.stmt_writes(t)}
            for n in assigned:  # a name rebound in the loop may hold another value in the next iteration
                env.pop(n, None)
            body_env = dict(env)
            s.body = self.block(s.body, body_env)
            for n in assigned:
                if body_env.get(n) is not None and body_env.get(n) == entry.get(n):
                    env[n] = entry[n]
            return [s]
        if isinstance(s, Assign) and len(s.targets) == 1:
            t = s.target
            v = s.value
            if isinstance(v, Call):
                inlined = self.call(s, v, t, env)
                if inlined is not None:
                    return inlined
            env.pop(t, None)
            static = self.value_static(v, env)
            if static is not None:
                env[t] = static
            return [s]
        if isinstance(s, ExprStmt) and isinstance(s.value, Call):
            inlined = self.call(s, s.value, None, env)
            if inlined is not None:
                return inlined
            return [s]
        for n in ir.stmt_writes(s):
            env.pop(n, None)
        return [s]

    def value_static(self, v, env):
        if isinstance(v, ir.Closure):
            return v
        if isinstance(v, Var):
            return env.get(v.name)
        if isinstance(v, Global) and (callable(v.obj) or _is_object(v.obj)):
            return v
        if isinstance(v, Build) and v.kind in ("tuple", "dict"):
            return v  # *args / **kwargs of a wrapper
        if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is functools.partial and v.args and \
                not any(isinstance(a, ir.Starred) for a in v.args) and all(k != "**" for k, _ in v.kwargs):
            target = self.static(v.args[0], env)
            if target is not None:  # functools.partial(f, a, b=c) made here: f with these arguments first
                return ("partial", target, v.args[0], list(v.args[1:]), list(v.kwargs))
        if isinstance(v, ir.Attr) and isinstance(v.value, Var):
            owner = env.get(v.value.name)
            if isinstance(owner, tuple) and owner[0] == "kind":
                k = owner[1].attr(v.attr)
                if isinstance(k, Obj):
                    return ("kind", k)
            if isinstance(owner, Global) and _is_object(owner.obj):
                member = getattr(owner.obj, v.attr, None)
                if member is not None and (_is_object(member) or callable(member)):
                    return Global(owner.path + (v.attr,), member, owner.base)
        return None

    # -- calls ------------------------------------------------------------------------------------------
    def call(self, stmt, call, target, env):
        """The statements replacing `target = call`, or None to keep the call."""
        resolved = self.resolve(call.func, env)
        if resolved is None:
            return None
        kind, what, prefix = resolved
        extra_kwargs = []
        if isinstance(prefix, tuple):  # functools.partial: stored positional and keyword arguments
            prefix, extra_kwargs = prefix
        pre = []
        for i, p in enumerate(prefix):  # the stored arguments of a partial are read where it is called
            if not ir.is_atom(p):
                t = self.alloc.temp()
                a = Assign((t,), p)
                a.origin, a.nograd = stmt.origin, stmt.nograd
                pre.append(a)
                prefix[i] = Var(t)
        for i, (k, p) in enumerate(extra_kwargs):
            if not ir.is_atom(p):
                t = self.alloc.temp()
                a = Assign((t,), p)
                a.origin, a.nograd = stmt.origin, stmt.nograd
                pre.append(a)
                extra_kwargs[i] = (k, Var(t))
        if kind == "closure":
            unit, fdef, enclosing, defaults = what.unit, what.fdef, what.scope, what.defaults
            key = fdef
            func_obj = None
        else:
            func_obj = what
            if isinstance(call.func, Global) and hasattr(self.ctx, "bindings"):
                self.ctx.bindings.append((stmt.origin.unit, call.func.path, call.func.obj))
            if func_obj in self.stack:
                self.recursive.append((stmt, func_obj))
                return None
            unit = self.ctx.read(func_obj)
            fdef, enclosing = unit.tree, None
            defaults = None
            key = func_obj
        if key in self.stack or len(self.stack) > MAX_DEPTH:
            if kind == "closure":
                raise UnsupportedError("a recursive nested function cannot be differentiated (yet)",
                                       where=stmt.origin.unit.location(stmt.origin.node),
                                       hint="define the recursive function at module level")
            return None
        callee, _ = desugar(unit, self.alloc, fdef=fdef, enclosing=enclosing, fresh=True,
                            out_hint=_result_name(fdef.name))
        kwargs = _merge_keywords(extra_kwargs, call.kwargs)
        bindings = self.bind(stmt, callee, fdef, prefix + list(call.args), kwargs, defaults, func_obj, env)
        out = pre
        for param, value in bindings:
            a = Assign((param,), value)
            a.origin, a.nograd = stmt.origin, stmt.nograd
            out.append(a)
        inner_env = dict(env)
        for param, value in bindings:
            inner_env.pop(param, None)
            static = self.value_static(value, env)
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

    def resolve(self, func, env):
        """('closure', Closure, prefix) | ('function', python function, prefix) | None."""
        static = self.static(func, env)
        if isinstance(static, tuple) and static[0] == "partial":
            _, target, target_atom, args, kwargs = static
            inner = self.resolve(target_atom, env)
            if inner is None:
                return None
            kind, what, prefix = inner
            if isinstance(prefix, tuple):
                prefix, stored = prefix
            else:
                stored = []
            return kind, what, (list(prefix) + list(args), _merge_keywords(stored, kwargs))
        if isinstance(func, ir.Attr) and isinstance(func.value, Var):
            owner = env.get(func.value.name)
            if isinstance(owner, tuple) and owner[0] == "kind":
                method = inspect.getattr_static(owner[1].cls, func.attr, None)
                if isinstance(method, staticmethod):
                    method = method.__func__
                    return self.as_function(method, [])
                if inspect.isfunction(method):
                    return self.as_function(method, [func.value])
                return None
            if isinstance(owner, Global):
                static = Global(owner.path + (func.attr,), getattr(owner.obj, func.attr, None), owner.base)
        if isinstance(static, ir.Closure):
            return "closure", static, []
        if isinstance(static, Global):
            obj = static.obj
            if inspect.ismethod(obj) and inspect.isfunction(obj.__func__):
                if self.ctx.has_rule(obj.__func__) or is_library(obj.__func__):
                    return None
                receiver = Global(static.path[:-1], obj.__self__, static.root) if len(static.path) > 1 else \
                    ir.Attr(static, "__self__")
                return self.as_function(obj.__func__, [receiver])
            if isinstance(obj, functools.partial):
                inner = obj.func
                prefix = [_partial_value(static, "args", i, v) for i, v in enumerate(obj.args)]
                keywords = [(k, _partial_value(static, "keywords", k, v)) for k, v in obj.keywords.items()]
                if inspect.isfunction(inner) and not self.ctx.has_rule(inner) and not is_library(inner):
                    return "function", inner, (prefix, keywords)
                return None
            return self.as_function(obj, [])
        return None

    def as_function(self, obj, prefix):
        if not inspect.isfunction(obj) or is_library(obj) or self.ctx.has_rule(obj):
            return None
        if isinstance(obj, types.FunctionType) and obj.__code__.co_flags & (inspect.CO_GENERATOR |
                                                                             inspect.CO_COROUTINE):
            return None
        return "function", obj, prefix

    def bind(self, stmt, callee, fdef, args, kwargs, closure_defaults, func_obj, env):
        """(IR param name, atom) pairs binding the call's arguments to the callee's parameters."""
        where = stmt.origin.unit.location(stmt.origin.node)
        args = list(args)
        expanded = []
        for a in args:  # *args of a known tuple
            if isinstance(a, ir.Starred):
                t = self.static(a.value, env)
                if isinstance(t, Build) and t.kind == "tuple":
                    expanded.extend(t.items)
                    continue
                raise UnsupportedError("a call with `*args` of a tuple not known when compiling", where=where,
                                       hint="pass the arguments one by one")
            expanded.append(a)
        kw = []
        for k, v in kwargs:
            if k == "**":
                d = self.static(v, env)
                if isinstance(d, Build) and d.kind == "dict" and all(isinstance(x, Const) for x in d.keys):
                    kw.extend((x.value, item) for x, item in zip(d.keys, d.items))
                    continue
                raise UnsupportedError("a call with `**kwargs` of a dict not known when compiling", where=where,
                                       hint="pass the keyword arguments one by one")
            kw.append((k, v))
        a = fdef.args
        positional = [p.arg for p in a.posonlyargs + a.args]
        names = callee.scope.names
        values = {}
        if len(expanded) > len(positional) and not a.vararg:
            raise UnsupportedError(f"calling `{fdef.name}` with too many arguments", where=where)
        for p, v in zip(positional, expanded):
            values[p] = v
        extra = expanded[len(positional):]
        kwonly = [p.arg for p in a.kwonlyargs]
        rest_kw = []
        for k, v in kw:
            if (k in positional and k not in [p.arg for p in a.posonlyargs]) or k in kwonly:
                if k in values:
                    raise UnsupportedError(f"calling `{fdef.name}` with `{k}` twice", where=where)
                values[k] = v
            elif a.kwarg:
                rest_kw.append((k, v))
            else:
                raise UnsupportedError(f"calling `{fdef.name}` with the keyword `{k}`, which it does not take",
                                       where=where)
        defaults = {}
        n_def = len(a.defaults)
        if n_def:
            for i, p in enumerate(positional[len(positional) - n_def:]):
                defaults[p] = self.default(func_obj, closure_defaults, i, stmt)
        for i, p in enumerate(kwonly):
            if a.kw_defaults[i] is not None:
                defaults[p] = self.kw_default(func_obj, p, stmt)
        out = []
        for p in positional + kwonly:
            if p in values:
                out.append((names[p], values[p]))
            elif p in defaults:
                out.append((names[p], defaults[p]))
            else:
                raise UnsupportedError(f"calling `{fdef.name}` without its argument `{p}`", where=where)
        if a.vararg:
            out.append((names[a.vararg.arg], Build("tuple", tuple(extra))))
        if a.kwarg:
            out.append((names[a.kwarg.arg], Build("dict", tuple(v for _, v in rest_kw),
                                                  tuple(Const(k) for k, _ in rest_kw))))
        return out

    def default(self, func_obj, closure_defaults, i, stmt):
        if closure_defaults is not None:
            return closure_defaults[i]
        value = func_obj.__defaults__[i]
        if _simple(value):
            return Const(value)
        return ir.Index(ir.Attr(self.func_ref(func_obj), "__defaults__"), (Const(i),))

    def kw_default(self, func_obj, name, stmt):
        value = (func_obj.__kwdefaults__ or {})[name]
        if _simple(value):
            return Const(value)
        return ir.Index(ir.Attr(self.func_ref(func_obj), "__kwdefaults__"), (Const(name),))

    def func_ref(self, func_obj):
        return Global((func_obj.__name__,), func_obj)


def _partial_value(static, field, key, value):
    """A stored argument of a partial: the value itself when it is a simple constant, else read from it."""
    if _simple(value):
        return Const(value)
    return ir.Index(ir.Attr(static, field), (Const(key),))


def _merge_keywords(stored, given):
    """A partial's stored keywords, overridden by the call's own."""
    given_names = {k for k, _ in given}
    return tuple((k, v) for k, v in stored if k not in given_names) + tuple(given)


def _simple(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):
        return all(_simple(v) for v in value)
    return False


def _is_object(x):
    return hasattr(x, "__dict__") and not isinstance(x, (type, types.ModuleType)) and not callable(x)


def _result_name(name):
    return "out" if name in ("lambda", "<lambda>") else f"{name}_out"


def inline(fn, ctx, alloc, param_kinds, top=None):
    inliner = Inliner(ctx, alloc)
    if top is not None:
        inliner.stack.append(top)  # a call of the function itself is recursion: not inlined
    inliner.run(fn, param_kinds)
    return fn, inliner.recursive
