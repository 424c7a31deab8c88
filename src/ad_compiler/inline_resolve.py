"""Which function a call calls, for the inliner: a closure, a function of the user's module, a bound method,
a method of an object passed in, or a `functools.partial` of one of them (with the arguments it stores).
Functions of libraries and functions with a registered rule are not inlined (None)."""
import functools
import inspect
import os
import sys
import sysconfig
import types

from . import ir, kinds as K, markers
from .inline_closure_lists import ClosureLists
from .inline_objects import attribute_static, class_of, class_with_methods
from .inline_static import is_simple, record_attribute, record_method, static_of_atom
from .ir import Const, Global, Var

LIBRARIES = {"numpy", "scipy", "pandas", "jax", "torch", "autograd", "ad_compiler", "numba", "dask", "cupy",
             "sklearn", "functools", "builtins", "math", "logging", "warnings", "contextlib", "tqdm", "time",
             "copy", "statistics"}  # (copy.copy's body raises copy.Error, statistics.mean makes a groupby: neither
# can be followed, so they are refused at the user's call, not inside the standard library)


def is_library(func):
    module = getattr(func, "__module__", None) or ""
    top = module.split(".")[0]
    return top in LIBRARIES or (top in _STDLIB and _in_stdlib(func))


_STDLIB = set(sys.stdlib_module_names) - {"typing"}  # (typing.cast is followed: it returns its argument)
_STDLIB_DIR = os.path.realpath(sysconfig.get_paths()["stdlib"])


def _in_stdlib(func):
    """Is `func` defined in a file of the standard library (not the user's module of the same name)? Its body,
    inlined, would be refused inside the library, where the user cannot act (hunt8: dataclasses.replace,
    heapq.nlargest); as a library function it is refused at the user's call, or has a rule."""
    code = getattr(func, "__code__", None)
    path = os.path.realpath(code.co_filename) if code is not None else ""
    return path.startswith(_STDLIB_DIR + os.sep) and "site-packages" not in path


class CalleeResolver:
    """Finds the function a call's function atom holds, from the static environment."""

    def __init__(self, ctx, objects=None):
        self.ctx = ctx  # has .has_rule(obj)
        self.objects = objects  # inline_objects.Objects: methods of objects made in the function, super()

    def resolve(self, func, env):
        """('closure', Closure, prefix) | ('function', python function, prefix) | None.

        prefix: the arguments passed first (a bound method's receiver), or, for a partial, the pair
        (stored positional arguments, stored keyword arguments)."""
        static = static_of_atom(func, env)
        item = ClosureLists.callee(func, static)
        if item is not None:  # an item of a list of closures (inline_closure_lists.py)
            return "closure", item, []
        if isinstance(static, tuple) and static[0] == "bound":  # m = obj.method; m(x): obj.method(x)
            _, owner, owner_static, name = static
            if env.get(owner.name) is not owner_static:
                return None  # (the name holds another object now)
            func = ir.Attr(owner, name)
            static = None
        if isinstance(func, ir.Attr) and isinstance(func.value, Var):
            owner = env.get(func.value.name)
            held = attribute_static(owner, func.attr, env)  # a function stored in an attribute of the object
            if held is None and isinstance(owner, tuple) and owner[0] == "kind" and isinstance(owner[1], K.Obj):
                k = owner[1].attr(func.attr)
                held = ("kind", k) if isinstance(k, K.Func) else None
            if held is not None:
                return self.resolve_static(held, env)
            cls = class_with_methods(owner)
            if cls is not None:
                return self.objects.method(func.value, cls, func.attr, self)
            if isinstance(owner, tuple) and owner[0] == "super":
                return self.objects.super_method(owner, func.attr, env, self)
            if isinstance(owner, Global):
                static = Global(owner.path + (func.attr,), getattr(owner.obj, func.attr, None), owner.base, owner.home)
                record_attribute(self.ctx, owner.obj, func.attr)  # (`self.act` of a global object: h12-008)
        elif isinstance(func, Var) and class_of(static) is not None:  # obj(x): the class's __call__
            return self.objects.method(func, class_of(static), "__call__", self)
        return self.resolve_static(static, env)

    def resolve_static(self, static, env):
        """What a call calls, from the static value of its function (see `resolve`)."""
        if isinstance(static, tuple) and static[0] == "kind" and isinstance(static[1], K.Func) and \
                not isinstance(static[1].obj, ir.Closure):
            static = Global((getattr(static[1].obj, "__name__", "function"),), static[1].obj)
        if isinstance(static, tuple) and static[0] == "partial":
            return self._partial(static, env)
        if isinstance(static, ir.Closure):
            return "closure", static, []
        if isinstance(static, Global):
            obj = static.obj
            if inspect.ismethod(obj) and isinstance(obj.__func__, markers.Checkpointed) and \
                    getattr(self.ctx, "inline_checkpointed", False) and len(static.path) > 1:
                receiver = Global(static.path[:-1], obj.__self__, static.root)  # (`@ad.checkpoint` on a method)
                return self.as_function(obj.__func__.func, [receiver])
            if inspect.ismethod(obj) and inspect.isfunction(obj.__func__):
                if self.ctx.has_rule(obj.__func__) or self.ctx.has_rule(obj) or is_library(obj.__func__):
                    return None  # (a rule for the method, or for this object's bound method: h27b-016)
                receiver = Global(static.path[:-1], obj.__self__, static.root) if len(static.path) > 1 else \
                    ir.Attr(static, "__self__")
                return self.as_function(obj.__func__, [receiver])
            if isinstance(obj, functools.partial) and self.ctx.has_rule(obj):
                return None  # (a rule registered for the partial itself: h27b-015)
            if isinstance(obj, functools.partial):
                inner = obj.func
                prefix = [_partial_value(static, "args", i, v) for i, v in enumerate(obj.args)]
                keywords = [(k, _partial_value(static, "keywords", k, v)) for k, v in obj.keywords.items()]
                items = getattr(self.ctx, "items", None)
                if items is not None:  # (its keywords are a dict that may change: P.keywords["p"] = 3.0, hunt5 006)
                    items += [(obj.keywords, k, v) for k, v in obj.keywords.items() if is_simple(v)]
                    items.append((obj.keywords, len, len(obj.keywords)))  # (a keyword added: `b` now stored)
                if inspect.isfunction(inner) and not self.ctx.has_rule(inner) and not is_library(inner):
                    return "function", inner, (prefix, keywords)
                return None
            if getattr(obj, "_ad_derivative", None) is not None:
                return "derivative", obj, []  # a function ad.grad (...) returned: its generated code
            if isinstance(obj, markers.Checkpointed) and getattr(self.ctx, "inline_checkpointed", False):
                return self.as_function(obj.func, [])  # (forward mode keeps nothing to recompute)
            if inspect.isclass(obj) and not is_library(obj) and not self.ctx.has_rule(obj) and \
                    getattr(obj, "__module__", "") != "builtins":
                return "class", obj, []  # an object made in the function (inline_objects.py)
            call = inspect.getattr_static(type(obj), "__call__", None)
            if not inspect.isclass(obj) and inspect.isfunction(call) and not is_library(type(obj)) and \
                    not self.ctx.has_rule(obj):
                record_method(self.ctx, type(obj), "__call__", call)  # (the class given another __call__ later)
                return self.as_function(call, [static])  # a callable object of the user's class: its __call__
            return self.as_function(obj, [])
        return None

    def _partial(self, static, env):
        _, target, target_atom, args, kwargs = static
        inner = self.resolve(target_atom, env)
        if inner is None:
            return None
        kind, what, prefix = inner
        if isinstance(prefix, tuple):
            prefix, stored = prefix
        else:
            stored = []
        return kind, what, (list(prefix) + list(args), merge_keywords(stored, kwargs))

    def as_function(self, obj, prefix):
        """('function', obj, prefix) for a plain function of the user's to inline, else None."""
        if not inspect.isfunction(obj) or is_library(obj) or self.ctx.has_rule(obj):
            return None
        if isinstance(obj, types.FunctionType) and obj.__code__.co_flags & inspect.CO_COROUTINE:
            return None
        if isinstance(obj, types.FunctionType) and obj.__code__.co_flags & inspect.CO_GENERATOR:
            return "generator", obj, prefix  # its values as a list (inline.py)
        return "function", obj, prefix


def partial_of_global(static):
    """For a global `functools.partial` of a function that is not inlined (a library function, one with a rule:
    `P = functools.partial(np.multiply, 2.0)`, `P(x)`): (the function's Global, the stored positional arguments,
    the stored keywords), each argument a Const or the expression reading it from the partial; else None
    (a partial of a function of the user's is inlined: CalleeResolver.resolve_static). m25-011."""
    if not isinstance(static, Global) or not isinstance(static.obj, functools.partial):
        return None
    obj = static.obj
    if not callable(obj.func) or isinstance(obj.func, functools.partial):
        return None
    from . import rules

    if rules.has_rule(obj):
        return None  # (a rule registered for the partial itself applies to its calls: h27b-015)
    func = Global(static.path + ("func",), obj.func, static.base, static.home)
    return (func, [_partial_value(static, "args", i, v) for i, v in enumerate(obj.args)],
            [(k, _partial_value(static, "keywords", k, v)) for k, v in obj.keywords.items()])


def _partial_value(static, field, key, value):
    """A stored argument of a partial: the value itself when it is a simple constant, else read from it."""
    if is_simple(value):
        return Const(value)
    return ir.Index(ir.Attr(static, field), (Const(key),))


def merge_keywords(stored, given):
    """A partial's stored keywords, overridden by the call's own."""
    given_names = {k for k, _ in given}
    return tuple((k, v) for k, v in stored if k not in given_names) + tuple(given)
