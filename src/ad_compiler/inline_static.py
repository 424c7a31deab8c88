"""What the inliner knows about the value of a name when compiling (its *static* value), to tell which function
a call calls. A static environment maps IR names to:

- an `ir.Closure` (a nested `def` or lambda), a `Global` (a function, a bound method or an object of the
  user's module), a `Build` of a tuple or dict (`*args`/`**kwargs` a wrapper received);
- ('partial', target, target atom, args, kwargs) for `functools.partial(f, ...)` made in the function;
- ('kind', Obj kind) for an object passed in (its class is known from the argument's kind).
"""
import functools
import types

from . import ir, markers
from .ir import Build, Call, Global, Var
from .kinds import Obj


def static_of_atom(atom, env):
    """The static value of an atom: what `env` knows of a name, or the Global/Closure itself."""
    if isinstance(atom, Var):
        return env.get(atom.name)
    if isinstance(atom, Global):
        return atom
    if isinstance(atom, ir.Closure):
        return atom
    return None


def static_of_value(v, env):
    """The static value a name gets from the assignment `name = v`, or None."""
    if isinstance(v, ir.Closure):
        return v
    if isinstance(v, Var):
        return env.get(v.name)
    if isinstance(v, Global) and (callable(v.obj) or is_object(v.obj)):
        return v
    if isinstance(v, Build) and v.kind in ("tuple", "dict"):
        return v  # *args / **kwargs of a wrapper
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is markers.checkpoint and \
            len(v.args) == 1 and not v.kwargs:  # `ad.checkpoint(f)` made here: f, checkpointed
        target = static_of_atom(v.args[0], env)
        if isinstance(target, Global) and callable(target.obj) and not isinstance(target.obj, markers.Checkpointed):
            made = markers.Checkpointed(target.obj)
            made.named_as_function = True  # (its path names the function, not this wrapper)
            return Global(target.path, made, target.root)
        return target if isinstance(target, Global) else None
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is functools.partial and v.args and \
            not any(isinstance(a, ir.Starred) for a in v.args) and all(k != "**" for k, _ in v.kwargs):
        target = static_of_atom(v.args[0], env)
        if target is not None:  # functools.partial(f, a, b=c) made here: f with these arguments first
            return ("partial", target, v.args[0], list(v.args[1:]), list(v.kwargs))
    if isinstance(v, ir.Attr) and isinstance(v.value, Var):
        owner = env.get(v.value.name)
        if isinstance(owner, tuple) and owner[0] == "kind":
            k = owner[1].attr(v.attr)
            if isinstance(k, Obj):
                return ("kind", k)
        if isinstance(owner, Global) and is_object(owner.obj):
            member = getattr(owner.obj, v.attr, None)
            if member is not None and (is_object(member) or callable(member)):
                return Global(owner.path + (v.attr,), member, owner.base)
    return None


def is_object(x):
    """An instance with attributes (not a class, a module or a function)."""
    return hasattr(x, "__dict__") and not isinstance(x, (type, types.ModuleType)) and not callable(x)


def is_simple(value):
    """A value written as a constant in generated code (None, bool, int, float, str, tuples of them)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):
        return all(is_simple(v) for v in value)
    return False
