"""The names a user's derivative template reads (`W` in `bx = W.T @ g`), as they are when the rule is applied.

A template is parsed when it is registered (`@ad.defvjp(f)`), and each name it reads becomes an `ir.Global`
holding the object the name referred to then. The function the rule is for reads its globals when it runs,
so a template's globals must be read as they are when the derivative is compiled, and the derivative
compiled again when one is rebound: `W = W - lr * gW` in a training loop, then `ad.grad(loss)` compiled
(m25-001: the rule's adjoint used the registration-time `W`, a silently wrong gradient).

`current(rule, ctx)` gives the rule with its Globals read anew from their homes (the template's globals dict,
or its closure cell: `rules._TemplateExpr.name`) and records each name in `ctx` as a unit's free-name read,
so that `driver.Context.stale` and the generated guard (unchanged.py) test it like a name of the user's
function: data read live by name where the template's module is the function's, held as it was otherwise
(another module's global: `codegen.Names.spell`, frozen), and a replaced function or object makes the
derivative stale. Built-in rules (the compiler's own modules) read only libraries: they are left alone.
"""
import types

from . import ir

_MISSING = object()


class TemplateUnit:
    """What `driver.Context.reads` takes from a unit, for the names one template reads (one per home)."""

    def __init__(self, func, cells, globals_):
        self.func = func
        self.cells = cells
        self.globals = globals_
        self.reads = {}
        self.roots = {}


def current(rule, ctx):
    """`rule`, or a copy of it whose Globals are the objects their names refer to now; their reads recorded
    in `ctx` (a driver.Context, or None)."""
    module = getattr(rule.template, "__module__", "") or ""
    if module == "ad_compiler" or module.startswith("ad_compiler."):
        return rule
    seen = []

    def fresh(e):
        if not isinstance(e, ir.Global) or e.home is None:
            return e
        root = _lookup(e.home, e.path[0])
        if root is _MISSING:
            return e
        obj = root
        for attr in e.path[1:]:
            obj = getattr(obj, attr, _MISSING)
            if obj is _MISSING:
                return e
        seen.append((e.home, e.path, obj, root))
        if root is e.base and obj is e.obj:
            return e
        return ir.Global(e.path, obj, root if len(e.path) > 1 else None, e.home)

    copy = _mapped(rule, fresh)
    if ctx is not None and seen:
        _record(ctx, rule.template, seen)
    return copy


def _lookup(home, name):
    if isinstance(home, types.CellType):
        try:
            return home.cell_contents
        except ValueError:
            return _MISSING
    return home.get(name, _MISSING)


def _mapped(rule, fn):
    new = object.__new__(type(rule))
    new.__dict__.update(rule.__dict__)
    new.vjps = {p: ir.map_expr(e, fn) for p, e in rule.vjps.items()}
    new.partials = {p: ir.map_expr(e, fn) for p, e in rule.partials.items()}
    new.temps = [(n, ir.map_expr(e, fn)) for n, e in rule.temps]
    new.jvp = ir.map_expr(rule.jvp, fn) if rule.jvp is not None else None
    return new


def _record(ctx, template, seen):
    units = {}
    for home, path, obj, root in seen:
        key = id(home)
        unit = units.get(key)
        if unit is None:
            if isinstance(home, types.CellType):
                unit = TemplateUnit(template, {path[0]: home}, {})
            else:
                unit = TemplateUnit(template, {}, home)
            units[key] = unit
        unit.reads[path] = obj
        if len(path) > 1:
            unit.roots[path[0]] = root
    ctx.units.extend(units.values())
