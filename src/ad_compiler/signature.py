"""The parameters of a differentiated function: as its callers see them, and as the compiler holds them.

Inside the compiler a function's parameters are one flat list of names, in the order Python lists them:
positional-only, positional, `*args` (one parameter holding a tuple), keyword-only, `**kwargs` (one holding
a dict). A derivative is compiled per kinds of those values (a tuple of two arrays for `*args` is a
different derivative from a tuple of three) and its generated code takes them positionally. What `ad.grad`
returns is called with the function's own signature: `Signature.binding_source` writes the small function
that binds a call's arguments into the flat list.

Defaults are read when the derivative is called, not when it is made (as closure variables are read live):
the signature users see holds a `Default` for each parameter with a default, which reads the function's
current `__defaults__` / `__kwdefaults__` (a function whose defaults are replaced after `ad.grad` gets its
new defaults; `help(g)` shows them).
"""
import inspect

_P = inspect.Parameter


class Default:
    """The default of a parameter, read from the function when a call leaves the parameter out: its
    `__kwdefaults__[name]` (keyword-only) or `__defaults__[index]` (`index` counted from the end: the
    defaults are those of the last positional parameters). Shown as that default."""
    __slots__ = ("func", "name", "index")

    def __init__(self, func, name, index):
        self.func, self.name, self.index = func, name, index

    def value(self):
        if self.index is None:
            found = self.func.__kwdefaults__ or {}
            if self.name in found:
                return found[self.name]
        else:
            found = self.func.__defaults__ or ()
            if len(found) >= -self.index:
                return found[self.index]
        raise TypeError(f"{self.func.__name__}() missing the argument '{self.name}' (its default was removed)")

    def __repr__(self):
        try:
            return repr(self.value())
        except TypeError:
            return "<no default>"


def actual(value):
    """An argument as the derivative uses it (a parameter left to its default: the function's default now)."""
    return value.value() if value.__class__ is Default else value


class Signature:
    """The signature of a function as written (`inspect.Signature`), with what the compiler needs of it."""

    def __init__(self, sig, names=None, func=None):
        self.sig = sig
        self.func = func  # the function whose defaults these are (read live: `live`), or None
        self.params = list(sig.parameters.values())
        self.names = list(names) if names is not None else [p.name for p in self.params]
        self.plain = all(p.kind is _P.POSITIONAL_OR_KEYWORD for p in self.params)

    @classmethod
    def of(cls, f):
        return cls(inspect.signature(f, follow_wrapped=False), func=getattr(f, "_ad_defaults_of", f))

    @classmethod
    def positional(cls, names, defaults=None):
        """Plain positional parameters, the last ones with these defaults."""
        defaults = tuple(defaults or ())
        first = len(names) - len(defaults)
        return cls(inspect.Signature([
            _P(n, _P.POSITIONAL_OR_KEYWORD) if i < first else _P(n, _P.POSITIONAL_OR_KEYWORD,
                                                                   default=defaults[i - first])
            for i, n in enumerate(names)]))

    def dropping_first(self):
        """The signature without its first parameter (a bound method's `self`)."""
        return Signature(self.sig.replace(parameters=self.params[1:]), func=self.func)

    def live(self):
        """This signature with every default a `Default` read from the function at each call (a signature
        not made from a function, or already live: itself)."""
        if self.func is None or not self.has_defaults or any(p.default.__class__ is Default for p in self.params):
            return self
        positional = [p for p in self.params if p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)]
        params = []
        for p in self.params:
            if p.default is not _P.empty:
                index = None if p.kind is _P.KEYWORD_ONLY else positional.index(p) - len(positional)
                p = p.replace(default=Default(self.func, p.name, index))
            params.append(p)
        return Signature(self.sig.replace(parameters=params), self.names, self.func)

    def default_lines(self, indent="    "):
        """The lines of a function with this (live) signature that replace a parameter left to its default
        by the default's value (`_ad_default`: the class Default)."""
        return "".join(f"{indent}if {p.name}.__class__ is _ad_default:\n{indent}    {p.name} = {p.name}.value()\n"
                       for p in self.params if p.default.__class__ is Default)

    @property
    def vararg(self):
        return next((p.name for p in self.params if p.kind is _P.VAR_POSITIONAL), None)

    @property
    def kwarg(self):
        return next((p.name for p in self.params if p.kind is _P.VAR_KEYWORD), None)

    @property
    def has_defaults(self):
        return any(p.default is not _P.empty for p in self.params)

    def positional_defaults(self):
        """The defaults of the positional parameters (a function's `__defaults__`)."""
        return tuple(p.default for p in self.params if p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)
                     and p.default is not _P.empty)

    def keyword_defaults(self):
        """The defaults of the keyword-only parameters (a function's `__kwdefaults__`)."""
        return {p.name: p.default for p in self.params if p.kind is _P.KEYWORD_ONLY and p.default is not _P.empty}

    def parameters_text(self, prefix=(), default_text=lambda value: "None"):
        """The parameter list as written in a `def` (defaults as `None`: set afterwards, from the values)."""
        texts = list(prefix)
        star = False
        for i, p in enumerate(self.params):
            if p.kind is _P.KEYWORD_ONLY and not star:
                texts.append("*")
                star = True
            if p.kind is _P.VAR_POSITIONAL:
                texts.append("*" + p.name)
                star = True
            elif p.kind is _P.VAR_KEYWORD:
                texts.append("**" + p.name)
            else:
                texts.append(p.name + ("=" + default_text(p.default) if p.default is not _P.empty else ""))
            if p.kind is _P.POSITIONAL_ONLY and (i + 1 == len(self.params) or
                                                 self.params[i + 1].kind is not _P.POSITIONAL_ONLY):
                texts.append("/")
        return ", ".join(texts)

    def call_text(self, names=None):
        """The arguments of a call passing each parameter's value on (`x, *rest, scale=scale, **kw`)."""
        names = names or self.names
        texts = []
        for p, n in zip(self.params, names):
            if p.kind is _P.VAR_POSITIONAL:
                texts.append("*" + n)
            elif p.kind is _P.VAR_KEYWORD:
                texts.append("**" + n)
            elif p.kind is _P.KEYWORD_ONLY:
                texts.append(f"{p.name}={n}")
            else:
                texts.append(n)
        return ", ".join(texts)

    def apply_defaults(self, fn):
        """Give the function defined by `parameters_text` the defaults' values."""
        positional = self.positional_defaults()
        fn.__defaults__ = positional or None
        keywords = self.keyword_defaults()
        fn.__kwdefaults__ = keywords or None

    def describe(self, name):
        """`name(x, *rest, scale=2.0)` for comments of generated code (a default other than a short number,
        string or None as `...`)."""
        def shown(d):
            text = repr(d)
            ok = (d is None or isinstance(d, (bool, int, float, str))) and len(text) < 20 and "\n" not in text
            return text if ok else "..."
        return f"{name}({self.parameters_text(default_text=shown)})"

    def split_flat(self, values):
        """The positional and keyword arguments of a call passing the flat parameter values on (the inverse
        of `bind_flat`: `*args` spread, keyword-only parameters and `**kwargs` by name)."""
        args, kwargs = [], {}
        for p, v in zip(self.params, values):
            if p.kind is _P.VAR_POSITIONAL:
                args.extend(v)
            elif p.kind is _P.VAR_KEYWORD:
                kwargs.update(v)
            elif p.kind is _P.KEYWORD_ONLY:
                kwargs[p.name] = v
            else:
                args.append(v)
        return args, kwargs

    def bind_flat(self, args, kwargs):
        """The flat tuple of parameter values for a call with these arguments (defaults applied)."""
        bound = self.sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(actual(bound.arguments[p.name]) for p in self.params)
