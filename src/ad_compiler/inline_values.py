"""Function values and unpacked arguments, for the inliner (inline.py).

- A call through a name holding a function known when compiling (`f = np.tanh`, a default
  `nonlinearity=np.tanh`, an item of a list of functions, an argument of the differentiated function) calls
  that function: a library function by its name (`np.tanh(x)`, with its derivative rule), a user function
  inlined (inline.py).
- What is known of a list or dict (its length, its keys, its items' functions or classes) is forgotten
  when the function may change it (inline.py), so it holds whenever it is used.
- `f(*args)` and `f(**kwargs)` of a tuple, list or dict whose length (keys) is known when compiling pass
  the items one by one, read when the call is made (`t1 = args[0]`).
- A nested function or lambda is inlined where it is called; used as a value in any other way it is made a
  real function or refused (inline_lift.py).
"""
import builtins
import functools
import inspect
import types

import numpy as _np

from . import ir, runtime
from .errors import UnsupportedError
from .inline_callbacks import pass_captured
from .inline_resolve import partial_of_global
from .markers import Checkpointed
from .inline_lift import NestedValues
from .inline_static import global_item, is_table, table_static, item_static, keys_of, length_of, \
    static_of_atom, static_of_atom_or_text, static_of_value
from .ir import Assign, Call, Const, ExprStmt, Global, Index, Var


class FunctionValues:
    """The inliner's part for function values and unpacking (it emits through `new_stmt`)."""

    def __init__(self, inliner):
        self.inliner = inliner
        self.alloc = inliner.alloc
        self.nested = NestedValues(self)  # nested functions used as values (inline_lift.py)

    # -- emitting ---------------------------------------------------------------------------------------
    def new_stmt(self, stmt, new):
        new.origin, new.nograd = stmt.origin, stmt.nograd
        return new

    def temp(self, stmt, value, env, out):
        """`t = value` appended to `out`; the static value of `t` recorded in env."""
        t = self.alloc.temp()
        out.append(self.new_stmt(stmt, Assign((t,), value)))
        static = static_of_value(value, env)
        if static is not None:
            env[t] = static
        return Var(t)

    def where(self, stmt):
        origin = stmt.origin
        return origin.unit.location(origin.node) if origin is not None else None

    def where_text(self, stmt):
        w = self.where(stmt)
        return w.describe() if w is not None else "here"

    # -- functions chosen by a string known when compiling -----------------------------------------------
    def named_attribute(self, stmt, value, env):
        """`getattr(owner, name)` with a name known when compiling (a constant, a string argument, a global
        string) as the attribute it reads: `np.tanh` for a module or an object of the user's module (the
        name it is read through recorded, so the derivative is compiled again when it changes), `owner.tanh`
        for a local value. `getattr(owner, name, default)` of a module or global object: the attribute, or
        the default when it has none. Anything else is left as it is."""
        if not (isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj is getattr and
                len(value.args) in (2, 3) and not value.kwargs and
                not any(isinstance(a, ir.Starred) for a in value.args)):
            return value
        owner, name = value.args[0], static_of_atom_or_text(value.args[1], env)
        if not (isinstance(name, tuple) and name[0] == "const" and isinstance(name[1], str) and
                name[1].isidentifier()):
            return value
        name = name[1]
        if isinstance(owner, Global):
            if not hasattr(owner.obj, name):
                return value.args[2] if len(value.args) == 3 else value  # (Python raises AttributeError)
            obj = getattr(owner.obj, name)
            read = Global(owner.path + (name,), obj, owner.base, owner.home)
            unit = stmt.origin.unit if stmt.origin is not None else None
            if unit is not None and (owner.path[0],) in unit.reads:
                unit.reads[read.path] = obj
                unit.roots.setdefault(read.path[0], owner.base)
            return read
        if isinstance(owner, Var) and len(value.args) == 2:
            return ir.Attr(owner, name)
        return value

    def table_item(self, stmt, value, env):
        """The static value of `t = TABLE[key]` for a list, tuple or dict of the user's module and a key known
        when compiling: the function it holds (called by its name, or inlined), a string or number, or the
        inner table; the item is recorded (`ctx.items`) so that the derivative is compiled again when the
        table holds another one. None when not known."""
        found = global_item(value, env)
        if found is None:
            return None
        table, key, recorded, item = found
        items = getattr(self.inliner.ctx, "items", None)
        if items is not None:
            items.append((table, key, recorded))
        static = table_static(item)
        return spell_object(item, stmt) if isinstance(static, Global) and not is_table(item) else static

    # -- derivatives made in the function: `ad.grad(f)(x)` ------------------------------------------------
    def made_derivative(self, stmt, value, env):
        """The Global of the derivative function `ad.grad(f, wrt=...)` (or vjp, jvp, hvp, ...) returns, made
        when compiling, for a call of one of ad_compiler's transforms on a function known when compiling with
        constant options: the same object the call returns when it runs (the transforms cache it per
        function and options), so its call is inlined like that of a derivative made at module level (a
        derivative inside the loss: `np.sum(ad.grad(u)(x) ** 2)`). None otherwise."""
        if not (isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj in _transforms()
                and value.args and all(k != "**" for k, _ in value.kwargs)):
            return None
        options = [_constant(v, env) for v in value.args[1:]] + [_constant(v, env) for _, v in value.kwargs]
        if any(o is None for o in options):  # (options known when compiling: constants, `wrt=("W", "x")`)
            return None
        fn = static_of_atom(value.args[0], env)
        if isinstance(fn, tuple) and fn[0] == "kind" and fn[1].__class__.__name__ == "Func" and \
                not isinstance(fn[1].obj, ir.Closure):
            fn = spell_object(fn[1].obj, stmt)
        if not (isinstance(fn, Global) and inspect.isfunction(fn.obj)):
            return None
        try:
            n = len(value.args) - 1
            made = value.func.obj(fn.obj, *[o[0] for o in options[:n]],
                                  **{k: o[0] for (k, _), o in zip(value.kwargs, options[n:])})
        except Exception:  # noqa: BLE001 (the call raises when it runs, as before)
            return None
        return spell_object(made, stmt) if getattr(made, "_ad_derivative", None) is not None else None

    # -- calls of library functions through names ------------------------------------------------------
    def library_callee(self, stmt, func, env):
        """The Global to call for a name holding a function that is not inlined (a library function, or one
        with a rule), or None."""
        if isinstance(func, ir.Attr) and isinstance(func.value, Var):  # `self.act(x)`: the function stored there
            from .inline_objects import attribute_static

            owner = env.get(func.value.name)
            static = attribute_static(owner, func.attr, env)
            if static is None and isinstance(owner, tuple) and owner[0] == "kind" and \
                    owner[1].__class__.__name__ == "Obj":  # (an argument's: its kind holds the function)
                k = owner[1].attr(func.attr)
                if k.__class__.__name__ == "Func" and not isinstance(k.obj, ir.Closure):
                    static = Global((getattr(k.obj, "__name__", "function"),), k.obj)
            elif static is None and isinstance(owner, Global) and not inspect.ismodule(owner.obj) and \
                    not inspect.isclass(owner.obj):  # (a module's object: recorded, h12-008)
                found = inspect.getattr_static(owner.obj, func.attr, None)
                from . import rules

                if isinstance(found, _np.ufunc) or inspect.isbuiltin(found) or \
                        callable(found) and not inspect.isclass(found) and rules.has_rule(found):
                    # (a function with a rule stored on the object, `self.fn(x)` of a global H: h27b-017)
                    from .inline_static import record_attribute

                    record_attribute(self.inliner.ctx, owner.obj, func.attr)
                    static = Global((func.attr,), found)
            if isinstance(static, Global) and callable(static.obj) and not inspect.isclass(static.obj):
                return spell_object(static.obj, stmt)
            return None
        if not isinstance(func, Var):
            return None
        static = env.get(func.name)
        if isinstance(static, Global) and callable(static.obj) and not inspect.isclass(static.obj):
            return static
        if isinstance(static, tuple) and static[0] == "kind" and static[1].__class__.__name__ == "Func" and \
                not isinstance(static[1].obj, ir.Closure):
            return spell_object(static[1].obj, stmt)
        return None

    def keep_call(self, stmt, call, target, env):
        """A call that is not inlined: through a name holding a known function, it calls that function by its
        name; `*seq` / `**d` of known length are passed one by one; nested functions passed as values are
        made real functions. The statements replacing it, or None when it stays as it is."""
        out = []
        func = call.func
        args, kwargs = call.args, call.kwargs
        callee = self.library_callee(stmt, func, env)
        if callee is not None:
            func = callee
        stored = partial_of_global(func if isinstance(func, Global) else env.get(func.name)
                                   if isinstance(func, Var) else None)
        if stored is not None:  # (a global partial of a library function or one with a rule: its function called)
            from .inline_resolve import merge_keywords

            def atom(e):
                return e if isinstance(e, (Const, Var)) else self.temp(stmt, e, env, out)
            func, args = spell_object(stored[0].obj, stmt), tuple(atom(e) for e in stored[1]) + tuple(args)
            kwargs = merge_keywords([(k, atom(e)) for k, e in stored[2]], kwargs)
        if isinstance(func, Global) and inspect.ismethod(func.obj) and len(func.path) > 1 and \
                isinstance(func.obj.__func__, Checkpointed):  # (`@ad.checkpoint` on a method: its function, self first)
            args = (Global(func.path[:-1], func.obj.__self__, func.root, func.home),) + tuple(args)
            func = spell_object(func.obj.__func__, stmt)
        self.may_change(func, list(args) + [v for _, v in kwargs], env)
        partial = env.get(func.name) if isinstance(func, Var) else None
        if isinstance(partial, tuple) and partial[0] == "partial" and isinstance(partial[1], Global):
            from .inline_resolve import merge_keywords  # a partial of a library function: call it

            func = partial[1]
            args = tuple(partial[3]) + tuple(args)
            kwargs = merge_keywords(list(partial[4]), kwargs)
        if isinstance(func, Global) and func.obj is functools.partial:
            args, kwargs = self.capture(stmt, args, kwargs, env, out)
        new = Call(func, args, kwargs)
        new = self.unpack_library_call(stmt, new, env, out) or new
        new = pass_captured(self, stmt, new, env, out) or new  # (an ODE solver's right-hand side: inline_callbacks.py)
        partial_made = isinstance(func, Global) and func.obj is functools.partial  # (its calls are inlined: if
        new = self.nested.closure_values(stmt, new, env, refuse=not partial_made)  # nothing else reads it, it goes)
        if not out and new == call and all(a is b for a, b in zip(new.args, call.args)):
            return None
        if target is None:
            out.append(self.new_stmt(stmt, ExprStmt(new)))
        else:
            out.append(self.new_stmt(stmt, Assign((target,), new)))
            env.pop(target, None)
            static = static_of_value(new, env)
            if static is not None:
                env[target] = static
        return out

    def may_change(self, func, args, env):
        """A call that is not inlined may change the lists and dicts it is given: what is known of them is
        forgotten (not for functions known to change nothing: rules, NumPy, len, the runtime's helpers)."""
        if isinstance(func, Global):
            obj = func.obj
            module = (getattr(obj, "__module__", None) or "").split(".")[0]
            if func.path[:1] == ("_ad",) or obj in (len, isinstance, print) or module in ("numpy", "scipy", "math") \
                    or self.inliner.ctx.has_rule(obj):
                return
        for a in args:
            a = a.value if isinstance(a, ir.Starred) else a
            if isinstance(a, Var):
                self.inliner.forget(env, a.name)

    def capture(self, stmt, args, kwargs, env, out):
        """The arguments a `functools.partial` stores, each a name of its own (so that calls of the partial
        inlined later read the values stored, even if the names they came from are rebound)."""
        def fixed(a):
            if isinstance(a, Var):
                return self.temp(stmt, a, env, out)
            return a
        return (args[:1] + tuple(fixed(a) for a in args[1:]),
                tuple((k, fixed(v) if k != "**" else v) for k, v in kwargs))

    # -- *args and **kwargs ----------------------------------------------------------------------------
    def expand_positional(self, stmt, args, env, out, open_tail=False):
        """The positional arguments with each `*seq` of a known length passed item by item (read into
        temporaries appended to `out`). `open_tail`: a last `*seq` of unknown length is kept (returned as
        the second value) for a callee that collects it in its own `*args`."""
        expanded = []
        rest = None
        for i, a in enumerate(args):
            if not isinstance(a, ir.Starred):
                expanded.append(a)
                continue
            static = env.get(a.value.name) if isinstance(a.value, Var) else static_of_value(a.value, env)
            n = length_of(static)
            if n is None:
                if open_tail and i == len(args) - 1:
                    rest = a.value
                    continue
                raise UnsupportedError(f"a call with `*{_text(a.value)}`, whose length is not known when compiling",
                                       where=self.where(stmt), hint="pass the arguments one by one, or unpack a "
                                       "tuple made in the function (`args = (a, b)`) or passed as an argument")
            seq = a.value
            for k in range(n):
                item = self.temp(stmt, Index(seq, (Const(k),)), env, out)
                if isinstance(seq, Var):
                    st = item_static(env.get(seq.name), k)
                    if st is not None:
                        env[item.name] = st
                expanded.append(item)
        return expanded, rest

    def expand_keywords(self, stmt, kwargs, env, out):
        """The keyword arguments with each `**d` of known keys passed key by key."""
        kw = []
        for k, v in kwargs:
            if k != "**":
                kw.append((k, v))
                continue
            static = env.get(v.name) if isinstance(v, Var) else None
            keys = keys_of(static)
            if keys is None or not all(isinstance(x, str) for x in keys):
                raise UnsupportedError(f"a call with `**{_text(v)}`, whose keys are not known when compiling",
                                       where=self.where(stmt), hint="pass the keyword arguments one by one, or "
                                       "unpack a dict made in the function or passed as an argument")
            for key in keys:
                kw.append((key, self.temp(stmt, Index(v, (Const(key),)), env, out)))
        return kw

    def unpack_library_call(self, stmt, call, env, out):
        """A call left as a call, with its `*seq` and `**d` of known length passed one by one (None when it
        has none). A rule taking `*args` itself (`zip(*pairs)`) is given the sequence (resolve.py)."""
        if not any(isinstance(a, ir.Starred) for a in call.args) and all(k != "**" for k, _ in call.kwargs):
            return None
        try:
            args, _ = self.expand_positional(stmt, list(call.args), env, out)
            kwargs = self.expand_keywords(stmt, list(call.kwargs), env, out)
        except UnsupportedError:
            del out[:]
            return None  # (resolve.py decides: a rule with *args, or a call without a derivative)
        return Call(call.func, tuple(args), tuple(kwargs))


def spell_object(obj, stmt):
    """A Global for an object known when compiling, spelled as the user's module can reach it when it can
    (`np.tanh`, `relu`), else by its name (codegen then passes it in as a closure variable)."""
    unit = stmt.origin.unit if stmt is not None and stmt.origin is not None else None
    name = getattr(obj, "__name__", None) or type(obj).__name__
    name = name if name.isidentifier() else "function"
    if unit is not None:
        g = unit.globals
        if g.get(name) is obj:
            return Global((name,), obj)
        for alias, value in g.items():
            if isinstance(value, types.ModuleType) and getattr(value, name, None) is obj:
                return Global((alias, name), obj, value)
    if getattr(builtins, name, None) is obj:
        return Global((name,), obj)
    return Global((name,), obj)


def _rt(name):
    return Global(("_ad", name), getattr(runtime, name), runtime)


def _text(atom):
    return atom.name if isinstance(atom, Var) else "..."


def _transforms():
    """ad_compiler's functions returning derivative functions."""
    from . import api, jacobians

    return (api.grad, api.value_and_grad, api.vjp, api.jvp, jacobians.hvp, jacobians.hessian, jacobians.jacobian,
            jacobians.jacfwd, jacobians.jacrev)


def _constant(atom, env):
    """(value,) for a constant atom, or a name holding a tuple or list of constants known when compiling
    (`wrt=("W", "x")`, desugared into a name), else None."""
    if isinstance(atom, Const):
        return (atom.value,)
    return _static_constant(static_of_atom(atom, env))


def _static_constant(static):
    if isinstance(static, tuple) and len(static) == 2 and static[0] == "const":
        return (static[1],)
    if isinstance(static, tuple) and len(static) == 3 and static[0] == "seq" and static[1] in (tuple, list):
        items = [_static_constant(i) for i in static[2]]
        return None if any(i is None for i in items) else (static[1](i[0] for i in items),)
    return None
