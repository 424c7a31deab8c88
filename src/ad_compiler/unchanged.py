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
"""
import builtins
import keyword

from . import rules

_MISSING = object()


def unchanged_test(ctx):
    """The generated test of `ctx` (a driver.Context whose compilation finished)."""
    values = {"_generation": rules._generation, "_builtins": builtins, "_MISSING": _MISSING}
    terms = []
    named = {}  # id -> name (objects kept alive by `values`)

    def value(obj):
        if id(obj) not in named:
            named[id(obj)] = f"v{len(values)}"
            values[named[id(obj)]] = obj
        return named[id(obj)]

    for f, code, defaults, kwdefaults in ctx.deps:
        fn = value(f)
        terms += [f"{fn}.__code__ is {value(code)}", f"{fn}.__defaults__ is {value(defaults)}",
                  f"{fn}.__kwdefaults__ is {value(kwdefaults)}"]
    terms.append(f"_generation[0] == {rules.generation()!r}")
    for cell, globals_, name, attrs, obj in ctx.reads():
        if cell is not None:
            base = f"{value(cell)}.cell_contents"
        elif name in globals_:
            base = f"{value(globals_)}[{name!r}]"
        else:  # (a builtin: `name` must still be missing from the globals)
            terms.append(f"{name!r} not in {value(globals_)}")
            base = _attrs("_builtins", [name])
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
    source = ("def unchanged():\n    try:\n        return (" + "\n                and ".join(terms) + ")\n"
              "    except Exception:\n        return False\n")
    namespace = {}
    exec(compile(source, "<ad_compiler: unchanged>", "exec"), values, namespace)
    fn = namespace["unchanged"]
    fn.source = source
    return fn


def _attrs(base, attrs):
    """`base.a.b`, as `getattr(..., None)` (what `stale()` reads) when an attribute is not a plain name."""
    for a in attrs:
        base = f"{base}.{a}" if a.isidentifier() and not keyword.iskeyword(a) else f"getattr({base}, {a!r}, None)"
    return base
