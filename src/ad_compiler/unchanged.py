"""A quick sufficient test that a compiled derivative is not stale, run at every call (driver.Derivative).

`driver.Context.stale` walks what a compilation was built from (the code and defaults of the functions it
read, the rules' generation, the object every free name it read referred to, items of the user's lists and
dicts, the names it bound) and allows some changes (an object replaced by one of the same signature). Run at
every call, that walk cost more than a compiled derivative of Numba's (1.3 µs of 5 µs). This module writes
the same walk as one generated expression of identity tests on the objects as they were when the
derivative was compiled:

    def unchanged():
        return f0.__code__ is v0 and ... and _generation[0] == 7 and g0["math"].log is v3 and ...

It returns True only if every object is the very one recorded, and so `stale()` would return False; any
other answer (False, an exception: a name deleted, a cell emptied) sends the caller to `stale()`, which
decides. A derivative therefore runs again without `stale()` exactly when nothing it read was replaced.

`guard` puts the same tests, after those of the arguments' classes, shapes and dtypes, in front of the call
of the derivative itself: the dispatcher's whole path for a call like the last one. One test is left out of
the guard: the rules' generation, which changes only when a rule is registered, where every dispatcher drops
its guard instead (driver._forget_guards); the next call takes the slow path, which tests it.
"""
import builtins
import keyword
import types

import numpy as np

from . import rules, tracebacks
from .tracebacks import DISPATCHER_PREFIX

_ndarray = np.ndarray

_MISSING = object()


def unchanged_test(ctx):
    """The generated test of `ctx` (a driver.Context whose compilation finished)."""
    values = _Values()
    return _define("unchanged", (), _terms(ctx, values), "True", values)


MISS = object()  # what a guard returns when the call is not like the last one (no derivative returns it)


def guard(params, key, ctx, run, terms=(), slow=None):
    """The dispatcher's path for a call like the last one (driver.make_dispatcher): a function of the
    arguments (`params`: as many names) that returns the derivative's result when they have the classes,
    shapes and dtypes of the dispatcher's quick key `key` (driver._quick_key), the `terms` given hold (more
    tests of the arguments, texts) and `ctx` is unchanged, else MISS. `run(values)` gives the lines that
    compute and return the result (`values(obj)` names an object): the compiled derivative called, or Numba's
    compiled function itself (jit.direct). One generated function instead of building the key, looking it
    up, testing staleness and calling what they found; an exception of the derivative itself propagates.
    With `slow` (the dispatcher's own `__call__`, whose parameters are `params`), the guard also carries
    `.method`: the same tests and call as a `__call__` that calls `slow` when they fail, which the dispatcher
    takes as its own while the guard is installed (a Python call less, 60-80 ns)."""
    values = _Values()
    tests, rest = [], list(key)
    for p in params:
        item = rest.pop(0)
        if isinstance(item, tuple):  # (an array: its shape, then its dtype)
            tests += [f"{p}.__class__ is {values(_ndarray)}", f"{p}.shape == {item!r}",
                      f"{p}.dtype is {values(rest.pop(0))}"]
        else:
            tests.append(f"{p}.__class__ is {values(item)}")
    tests += list(terms)
    tests += _terms(ctx, values, rules_tested=False) if ctx is not None else []
    values["_MISS"] = MISS
    lines = run(values)
    source = (f"def guard({', '.join(params)}):\n    try:\n        if not (" +
              "\n                and ".join(tests) + "):\n            return _MISS\n"
              "    except Exception:\n        return _MISS\n" +
              "".join(f"    {line}\n" for line in lines))
    fn = _exec("guard", source, values, f"{DISPATCHER_PREFIX} guard>")  # (the dispatcher's: not shown)
    if slow is not None:
        values.update(_ad_slow=slow, _ad_surface=tracebacks.surface)
        args = ", ".join(("_ad_self",) + tuple(params))
        source = (f"def __call__({args}):\n    try:\n        if not (" +
                  "\n                and ".join(tests) + f"):\n            return _ad_slow({args})\n"
                  f"    except Exception:\n        return _ad_slow({args})\n    try:\n" +
                  "".join(f"        {line}\n" for line in lines) +
                  "    except Exception as _ad_exc:\n        _ad_surface(_ad_exc)  # (tracebacks.py)\n"
                  f"        raise{'' if tracebacks.BARE_RAISE_KEEPS_TRACEBACK else ' _ad_exc'}\n")
        fn.method = _exec("__call__", source, values, f"{DISPATCHER_PREFIX} guard>")
    return fn


class _Values(dict):
    """The generated function's globals: the objects its terms compare with, named v1, v2, ..."""

    def __init__(self):
        super().__init__(_generation=rules._generation, _builtins=builtins, _MISSING=_MISSING)
        self.named = {}  # id -> name

    def __call__(self, obj):
        if id(obj) not in self.named:
            self.named[id(obj)] = f"v{len(self)}"
            self[self.named[id(obj)]] = obj
        return self.named[id(obj)]


def _define(name, params, terms, result, values):
    source = (f"def {name}({', '.join(params)}):\n    try:\n        if (" + "\n                and ".join(terms) +
              f"):\n            return {result}\n    except Exception:\n        pass\n    return False\n")
    return _exec(name, source, values)


def _exec(name, source, values, filename=None):
    namespace = {}  # (globals of the exact class dict: CPython specializes LOAD_GLOBAL only in those, and a
    # subclass's lookups cost a term's 50-100 ns instead of 10-20 ns; the guard took 1.2 µs instead of 0.46)
    exec(compile(source, filename or f"<ad_compiler: {name}>", "exec"), dict(values), namespace)
    fn = namespace[name]
    fn.source = source
    return fn


def _terms(ctx, value, rules_tested=True):
    """The identity tests that together imply `not ctx.stale()`; without the rules' generation when not
    `rules_tested` (a guard: the dispatcher drops its guard when a rule is registered, driver._forget_guards)."""
    terms = []

    for f, code, defaults, kwdefaults, kw_items in ctx.deps:
        fn = value(f)
        terms += [f"{fn}.__code__ is {value(code)}", f"{fn}.__defaults__ is {value(defaults)}"]
        if code.co_kwonlyargcount:  # (without keyword-only parameters no call reads them: Context.stale)
            terms.append(f"{fn}.__kwdefaults__ is {value(kwdefaults)}")
            terms += [f"{fn}.__kwdefaults__[{k!r}] is {value(v)}" for k, v in kw_items]  # (a dict: changed in place)
    if rules_tested:
        terms.append(f"_generation[0] == {ctx.rules!r}")
    bases = {}  # (cell or globals, name) -> the object it holds now, when attributes of it are read
    for cell, globals_, name, attrs, obj, root in ctx.reads():
        if cell is not None:
            base = f"{value(cell)}.cell_contents"
        elif name in globals_:
            base = f"{value(globals_)}[{name!r}]"
        else:  # (a builtin: `name` must still be missing from the globals)
            terms.append(f"{name!r} not in {value(globals_)}")
            base = _attrs("_builtins", [name])
        if attrs and cell is not None and id(root) in ctx.frozen:  # (held by the generated code: Context.stale)
            terms.append(f"{base} is {value(root)}")
        if attrs and cell is None and name in globals_:  # (`math.log`, `math.exp`: `math` looked up once)
            key = (id(globals_), name)
            if key not in bases:
                bases[key] = value(globals_[name])
                terms.append(f"{base} is {bases[key]}")
            base = bases[key]
        if isinstance(obj, types.MethodType):  # (a new bound method at every access: its function and object)
            terms += [_attrs(base, attrs) + f".__func__ is {value(obj.__func__)}",
                      _attrs(base, attrs) + f".__self__ is {value(obj.__self__)}"]
        elif obj.__class__ is tuple and all(v.__class__ in (int, float, bool, str) for v in obj):
            terms.append(_attrs(base, attrs) + f" == {value(obj)}")  # (`B.shape`: a new tuple at every access)
        else:
            terms.append(_attrs(base, attrs) + f" is {value(obj)}")
    for table, key, item in ctx.items:
        if key is len:
            terms.append(f"len({value(table)}) is {value(item)}")
        else:
            terms.append(f"{value(table)}[{value(key)}] is {value(item)}")
    for unit, path, obj in ctx.bindings:
        name = path[0]
        if name in unit.local_imports:
            base = value(unit.local_imports[name])
        elif name in unit.cells:
            base = f"{value(unit.cells[name])}.cell_contents"
        elif name in unit.globals:
            base = f"{value(unit.globals)}[{name!r}]"
        else:
            terms.append(f"{name!r} not in {value(unit.globals)}")
            base = _attrs("_builtins", [name])
        terms.append(_attrs(base, path[1:]) + f" is {value(obj)}")
    return terms


def _attrs(base, attrs):
    """`base.a.b`, as `getattr(..., None)` (what `stale()` reads) when an attribute is not a plain name."""
    for a in attrs:
        base = f"{base}.{a}" if a.isidentifier() and not keyword.iskeyword(a) else f"getattr({base}, {a!r}, None)"
    return base
