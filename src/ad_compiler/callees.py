"""Derivatives of the user's own functions called from differentiated code.

A call `y = f(a, b)` on an active path is differentiated by compiling `f` too, in "callee" mode: the
generated `f_fwd_dab(a, b)` runs f's forward sweep and returns `(y, backward)`, where `backward(by)` runs
f's adjoint sweep and returns the adjoints of the active parameters. The caller writes
`y, y_back = f_fwd_dab(a, b)` in its forward sweep and `ba, bb = y_back(by)` in its adjoint sweep. One derivative per (callee, active
parameters), compiled once and cached; recursion works because a callee's derivative is registered (as an
empty closure cell) before its own body is compiled.
"""
import inspect
import types
import weakref

_cache = weakref.WeakKeyDictionary()  # function -> {active params: CalleeDerivative}


class CalleeDerivative:
    def __init__(self, func, active, name, receiver=None):
        self.func = func
        self.active = active
        self.name = name
        self.receiver = receiver  # the object a method is compiled for (None for a plain function)
        self.cell = types.CellType()
        self.source = None
        self.deps = []  # CalleeDerivative objects this one calls


class Linker:
    """Hands out names for callee derivatives inside one generated function, and remembers them."""

    def __init__(self, taken):
        self.taken = set(taken)
        self.by_key = {}  # (func, active) -> local name
        self.cells = {}  # local name -> cell
        self.deps = []

    def __call__(self, func, active, receiver=None):
        key = (func, active, id(receiver))
        if key in self.by_key:
            return self.by_key[key]
        derivative = get(func, active, receiver)
        local = derivative.name
        k = 1
        while local in self.taken:
            k += 1
            local = f"{derivative.name}_{k}"
        self.taken.add(local)
        self.by_key[key] = local
        self.cells[local] = derivative.cell
        self.deps.append(derivative)
        return local


def get(func, active, receiver=None):
    """The derivative of `func` with respect to the parameters `active` (compiling it if needed).

    For a method called on an object known at compile time (`receiver`), the derivative is specific to
    that object, so that `self.layer.forward(x)` inside it resolves too."""
    from .api import build_callee

    per_func = _cache.setdefault(func, {})
    key = (active, id(receiver)) if receiver is not None else active
    if key in per_func:
        return per_func[key]
    sep = "" if all(len(a) == 1 for a in active) else "_"
    parts = [p for p in func.__qualname__.split(".") if p != "<locals>"]
    base = "_".join(parts[-2:]) if receiver is not None or inspect.ismethod(func) else parts[-1]
    derivative = CalleeDerivative(func, active, f"{base}_fwd_d{sep.join(active)}", receiver)
    per_func[key] = derivative
    try:
        build_callee(derivative)
    except BaseException:
        del per_func[key]
        raise
    return derivative


def all_sources(deps):
    """The sources of these callee derivatives and of everything they call, each once, in call order."""
    seen = []
    todo = list(deps)
    while todo:
        d = todo.pop(0)
        if d in seen:
            continue
        seen.append(d)
        todo.extend(d.deps)
    return [d.source for d in seen if d.source]
