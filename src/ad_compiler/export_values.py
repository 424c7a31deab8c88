"""How an exported module (exporter.py) brings in an object that generated code reads by name.

    a module                         import numpy as np
    a library's function or class    from scipy.special import expit
    a number, string, array, ...     SCALE = 2.0  /  W0 = np.array([[1.0, 2.0]], dtype='float64')
    a function of the user's code    its source, copied (see `user_function_text`)

Anything else (an object of the user's class, an open file, ...) cannot be written into a module: the
export is refused with an `ADError` naming it.
"""
import ast
import builtins
import inspect
import math
import sys
import textwrap
import types

import numpy as np

from .errors import ADError

MAX_ARRAY_ENTRIES = 100_000  # an array constant larger than this is refused (pass it as an argument)


def is_builtin(name, obj):
    return getattr(builtins, name, _NOTHING) is obj


_NOTHING = object()


def import_line(name, obj):
    """`import ...` / `from ... import ...` binding `name` to the module, function or class `obj`, or None
    when `obj` cannot be imported by name."""
    if isinstance(obj, types.ModuleType):
        module = obj.__name__
        if not _importable(module) or sys.modules.get(module) is not obj:
            return None
        if name == module:
            return f"import {module}"
        parent, _, last = module.rpartition(".")
        if parent and last == name:
            return f"from {parent} import {name}"
        return f"import {module} as {name}"
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "." in qualname or not _importable(module):
        return None
    if getattr(sys.modules.get(module), qualname, None) is not obj:
        return None
    if module == "builtins":
        return f"from builtins import {qualname}" + (f" as {name}" if name != qualname else "")
    return f"from {module} import {qualname}" + (f" as {name}" if name != qualname else "")


def _importable(module):
    top = module.split(".")[0]
    return module != "__main__" and top != __name__.split(".")[0] and not module.startswith("_ad_cli_") and \
        module in sys.modules


def literal(value, depth=0, spell=None):
    """Python source that evaluates to `value` (a number, string, array, or a list, tuple or dict of them),
    or None. NumPy is spelled `np`. `spell(obj)` gives the text of an item no literal writes (a function in
    a table of them: `ACTS = [relu, np.tanh]`), or None."""
    if depth > 20:
        return None
    if value is None or value is Ellipsis or isinstance(value, (bool, str, bytes)):
        return repr(value)
    if isinstance(value, int) and type(value) is int:
        return repr(value)
    if type(value) is float:
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "-float('inf')"
        return repr(value)
    if type(value) is complex:
        return f"complex({literal(value.real)}, {literal(value.imag)})"
    if isinstance(value, np.longdouble):  # (its .item() is a longdouble again; a string keeps every digit)
        return f"np.longdouble({np.format_float_scientific(value, unique=True)!r})"
    if isinstance(value, np.clongdouble):
        return f"(np.clongdouble({literal(value.real)}) + {literal(value.imag)} * 1j)"
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return f"np.{value.dtype.name}({literal(value.item())})"
    if type(value) is np.ndarray:
        return _array_literal(value)
    if spell is not None and depth > 0 and (inspect.isfunction(value) or inspect.isbuiltin(value) or
                                            isinstance(value, np.ufunc)):
        return spell(value)
    if type(value) in (list, tuple):
        items = [literal(v, depth + 1, spell) for v in value]
        if any(i is None for i in items):
            return None
        if type(value) is list:
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if type(value) is dict:
        pairs = [(literal(k, depth + 1), literal(v, depth + 1, spell)) for k, v in value.items()]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if type(value) is slice:
        parts = [literal(p, depth + 1) for p in (value.start, value.stop, value.step)]
        return None if None in parts else f"slice({', '.join(parts)})"
    if type(value) is range:
        return repr(value)
    return None


def _array_literal(a):
    if a.dtype.kind not in "biufc":
        return None
    if a.size > MAX_ARRAY_ENTRIES:
        raise ADError(f"an array of {a.size} entries read by the derivative is too large to be written into the "
                      "exported module", hint="pass the array to the function as an argument")
    dtype = repr(a.dtype.name)
    if a.size == 0:
        return f"np.zeros({a.shape!r}, dtype={dtype})"

    def nested(x):
        if isinstance(x, list):
            return "[" + ", ".join(nested(v) for v in x) + "]"
        return literal(x)

    return f"np.array({nested(a.tolist())}, dtype={dtype})"


def user_function_text(func):
    """The source of a function of the user's code, to copy into the module: the `def` only (decorators
    dropped), dedented."""
    from .read import read_function

    unit = read_function(func)
    node = unit.tree
    if node.name == "lambda":
        raise ADError(f"the derivative calls the lambda {func.__qualname__} at run time, which cannot be copied "
                      "into the exported module", hint="define it with `def`")
    first = node.lineno + unit.first_line - 1
    lines = unit.file_lines[first - 1:node.end_lineno + unit.first_line - 1]
    return textwrap.dedent("".join(lines)).rstrip() + "\n"


def function_refs(func):
    """The names a function reads from outside itself, with their objects: its closure variables, then
    the globals its code (and the code nested in it) loads."""
    refs = []
    code = func.__code__
    for name, cell in zip(code.co_freevars, func.__closure__ or ()):
        try:
            refs.append((name, cell.cell_contents))
        except ValueError:
            raise ADError(f"`{name}`, a variable {func.__qualname__} reads from an enclosing function, has no "
                          "value yet; it cannot be exported") from None
    for name in global_names(code):
        if name in func.__globals__:
            refs.append((name, func.__globals__[name]))
        elif hasattr(builtins, name):
            refs.append((name, getattr(builtins, name)))
        else:
            raise ADError(f"{func.__qualname__} reads the global `{name}`, which is not defined",
                          hint="define it, then export again")
    return refs + default_refs(func)


def default_refs(func):
    """The names in a generated function's signature that stand for its defaults (`w=_ad_w_default`, an array
    default of the user's function): codegen never runs that `def`, the driver sets `__defaults__`, so
    neither the closure nor the globals hold them."""
    text = getattr(func, "_ad_text", None)
    if not isinstance(text, str) or not func.__defaults__:
        return []
    node = next((n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == func.__name__),
                None)
    if node is None or len(node.args.defaults) != len(func.__defaults__):
        return []
    return [(d.id, value) for d, value in zip(node.args.defaults, func.__defaults__) if isinstance(d, ast.Name)]


def global_names(code):
    """The global names loaded by `code` and the code objects nested in it, in order of appearance."""
    import dis

    names = []
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval not in names:
            names.append(ins.argval)
    for const in code.co_consts:
        if inspect.iscode(const):
            names += [n for n in global_names(const) if n not in names]
    return names


def describe(obj):
    kind = type(obj).__name__
    return f"a {kind}" if kind[0].lower() not in "aeiou" else f"an {kind}"


IDENTITY = "lambda x: x"  # (what `ad.stop_gradient` is outside a differentiated function)


def stop_gradient_text(name, obj, text):
    """The module-level definition standing for ad_compiler's `stop_gradient` (`name` bound to it) or for the
    ad_compiler module when the code reads only `stop_gradient` of it (`ad.stop_gradient(...)`), else None.
    The generated code keeps those calls (a derivative of it must not differentiate through them either); run,
    they return their argument."""
    from . import markers

    if obj is markers.stop_gradient:
        return f"{name} = {IDENTITY}  # ad.stop_gradient: the value itself"
    if isinstance(obj, types.ModuleType) and obj.__name__ == __name__.split(".")[0]:
        import re

        used = set(re.findall(r"(?<![\w.])" + re.escape(name) + r"\.(\w+)", text))
        if used == {"stop_gradient"}:
            return f"{name} = types.SimpleNamespace(stop_gradient={IDENTITY})  # ad.stop_gradient: the value itself"
    return None


def sentinel_text(name, obj):
    """The definition standing for the marker of a dataclass field not given (its `default_factory` makes
    the value: inline_dataclass.py): the generated code passes it and tests `is` it, so any new object will
    do; else None."""
    from .inline_dataclass import _UNSET

    if obj is _UNSET:
        return f"{name} = object()  # a dataclass field not given: its default_factory makes it"
    return None


def functions_held(value, depth=0):
    """The functions a table read by generated code holds (`ACTS = [relu, squash]`, a dict of them)."""
    if depth > 20:
        return []
    if inspect.isfunction(value):
        return [value]
    if type(value) in (list, tuple):
        return [f for v in value for f in functions_held(v, depth + 1)]
    if type(value) is dict:
        return [f for v in value.values() for f in functions_held(v, depth + 1)]
    return []


def check_not_ad_compiler(name, obj, reader, text=""):
    if stop_gradient_text(name, obj, text) is not None or sentinel_text(name, obj) is not None:
        return
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None) or ""
    if isinstance(module, str) and module.split(".")[0] == __name__.split(".")[0]:
        raise ADError(f"{reader} uses ad_compiler itself at run time (`{name}`), so it cannot run without it",
                      hint="export a derivative whose code does not call ad_compiler")

