"""The inliner's objects (inline_objects.py), their `__init__` where Python gives none to read: a dataclass's
generated `__init__` written out as source (read and inlined like any function), and `object.__init__`.
`synthesized` caches them by class."""
import dataclasses
import inspect


class _Unset:
    def __repr__(self):
        return "<unset>"


_UNSET = _Unset()  # a dataclass field with a default_factory, not given (inline_bind.py)


SYNTHESIZED = "<ad_compiler: __init__ of "  # (the file name of an __init__ written here)


def dataclass_init(synthesized, cls):
    """The `__init__` a dataclass would have, written out (its source registered: read and inlined like
    any function): each field stored, then `__post_init__`."""
    if cls in synthesized:
        return synthesized[cls]
    from .codegen import register_source

    fields = [f for f in dataclasses.fields(cls)]
    frozen = cls.__dataclass_params__.frozen
    params, body, namespace, defaults = [], [], {}, []
    kwonly = []
    for f in fields:
        if isinstance(f.type, dataclasses.InitVar) or getattr(f, "_field_type", None) is dataclasses._FIELD_INITVAR:
            from .errors import UnsupportedError

            raise UnsupportedError(f"the dataclass {cls.__name__} has an InitVar field `{f.name}`, which cannot "
                                   "be differentiated (yet)", hint="make it an ordinary field")
        value = f.name
        if f.init:
            if f.default is not dataclasses.MISSING:
                defaults.append((f.name, f.default, getattr(f, "kw_only", False)))
                params.append(f.name)
            elif f.default_factory is not dataclasses.MISSING:
                namespace["_ad_unset"] = _UNSET
                defaults.append((f.name, _UNSET, getattr(f, "kw_only", False)))
                params.append(f.name)
                body.append(f"    if {f.name} is _ad_unset:\n        {f.name} = {_made(f, namespace)}")
            else:
                params.append(f.name)
            if getattr(f, "kw_only", False):
                kwonly.append(f.name)
        elif f.default is not dataclasses.MISSING:
            namespace[f"_ad_default_{f.name}"] = f.default
            value = f"_ad_default_{f.name}"
        elif f.default_factory is not dataclasses.MISSING:
            value = _made(f, namespace)
        else:
            continue
        body.append(f"    object.__setattr__(self, {f.name!r}, {value})" if frozen else
                    f"    self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    positional = [p for p in params if p not in kwonly]
    by_name = {n: d for n, d, _ in defaults}

    def param(p):
        return f"{p}=None" if p in by_name else p  # (the values: __defaults__, set below)
    text = ", ".join(["self"] + [param(p) for p in positional] + (["*"] + [param(p) for p in kwonly]
                                                                   if kwonly else []))
    source = f"def __init__({text}):\n" + "\n".join(body or ["    pass"]) + "\n"
    filename = f"{SYNTHESIZED}the dataclass {cls.__qualname__}>"
    register_source(filename, source)
    module = inspect.getmodule(cls)
    exec(compile(source, filename, "exec"), {**(vars(module) if module else {}), **namespace}, namespace)
    init = namespace["__init__"]
    init.__defaults__ = tuple(by_name[p] for p in positional if p in by_name) or None
    init.__kwdefaults__ = {p: by_name[p] for p in kwonly if p in by_name} or None
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    synthesized[cls] = init
    return init


def _made(f, namespace):
    """The expression making a field's default: a literal for `list` / `dict` (what they give, and what every
    mode and jit=True read as a new container), else a call of the factory."""
    if f.default_factory is list:
        return "[]"
    if f.default_factory is dict:
        return "{}"
    namespace[f"_ad_factory_{f.name}"] = f.default_factory
    return f"_ad_factory_{f.name}()"


def object_init(synthesized):
    """`object.__init__` as a function to inline (`super().__init__()` reaching it): it takes no argument
    and does nothing."""
    if object not in synthesized:
        from .codegen import register_source

        source = "def __init__(self):\n    pass\n"
        filename = f"{SYNTHESIZED}object>"
        register_source(filename, source)
        namespace = {}
        exec(compile(source, filename, "exec"), {}, namespace)
        namespace["__init__"].__qualname__ = "object.__init__"
        synthesized[object] = namespace["__init__"]
    return synthesized[object]
