"""Runtime helpers of the Python constructs the compiler translates (re-exported by runtime.py as `_ad.<name>`):
objects made by the function, the flags of `try` and `with` blocks (the sequence operators' helpers are in
runtime.py).
"""
import numpy as np

from .errors import ADError, UnsupportedError

__all__ = ["rule_adjoint", "rule_tangent", "aux_pair", "stale_or", "stale_or_transpose", "new_object", "as_named", "tried", "throw", "unexpected_function", "attribute_tangent_vjp",
           "unexpected_class", "entry_or_zeros",
           "caught", "entered", "entered_value", "truncate", "check_completed", "table_position", "check_unpack"]


def check_unpack(items, n, starred=False):
    """`a, b = items` (n names) or `a, *rest, b = items` (starred: at least n): Python's ValueError when the
    number of items does not fit (the derivative reads the items by position, which would take the first n of a
    longer sequence: a gradient where the function raises)."""
    k = len(items)
    if k == n or starred and k > n:
        return None
    if k > n:
        raise ValueError(f"too many values to unpack (expected {n})")
    raise ValueError(f"not enough values to unpack (expected {'at least ' if starred else ''}{n}, got {k})")


def table_position(key, keys):
    """The position of the entry `table[key]` reads, for a table of functions chosen by a value known only when
    the derivative runs (inline_choice.py): `keys` is the length of a list or tuple (Python's own indexing:
    negative keys, IndexError, TypeError) or the tuple of a dict's keys (KeyError for another key)."""
    if isinstance(keys, int):
        return range(keys)[key]
    return dict(zip(keys, range(len(keys))))[key]


def rule_adjoint(b, x, rule, param):
    """The adjoint `b` a user's rule (`@ad.defvjp`) gives its parameter `param` of value `x`, checked: it must
    have x's shape, as JAX checks a custom_vjp's (m25-003). A number or an array of another shape would be
    broadcast to x's shape, which is the gradient only by chance (`bx = g` of a sum; not `bx = np.sum(g)`).
    For a list, tuple or dict `x` (`bxs = [g * xs[1], np.sum(g * xs[0])]`), the same structure, each item
    checked likewise (None: no adjoint for that item); a WRONG gradient or a crash before (h27b-007)."""
    if b.__class__ is x.__class__ is float or b.__class__ is x.__class__ is np.ndarray and b.shape == x.shape:
        return b
    problem = _adjoint_mismatch(b, x, f"b{param}", param)
    if problem is not None:
        where, got, expected, container = problem
        raise ADError(f"the derivative rule `{rule}` gives `{where}` {got}, but its argument `{expected[0]}` "
                      f"has {expected[1]}",
                      hint=f"`b{param}` must have the structure of `{param}`, each item the shape of the item it "
                      f"is for" if container else
                      f"`b{param}` must have the shape of `{param}`: sum the adjoint over the axes "
                      f"broadcasting added (`_ad.unbroadcast(e, {param})`), or spread a number with "
                      f"`np.broadcast_to(e, np.shape({param}))`")
    return b


def rule_tangent(t, y, rule):
    """The tangent `t` a user's forward rule (`@ad.defjvp`, its `dans` line) gives the result `y`, checked: it
    must have y's structure and shapes, as JAX checks a custom_jvp's. A number for an array result was broadcast
    to its shape (`dans = np.sum(dx * np.cos(x))`: a WRONG tangent, hvp and jacfwd, h27b-008); a tuple too
    short, or an array for a number, crashed."""
    if t.__class__ is y.__class__ is float or t.__class__ is y.__class__ is np.ndarray and t.shape == y.shape:
        return t
    problem = _adjoint_mismatch(t, y, "dans", "ans")
    if problem is not None:
        where, got, expected, container = problem
        raise ADError(f"the derivative rule `{rule}` gives `{where}` {got}, but the result (`{expected[0]}`) has "
                      f"{expected[1]}",
                      hint="`dans` must have the structure and shapes of the function's result: spread a number "
                      "with `np.broadcast_to(e, np.shape(ans))`, one tangent per item of a tuple")
    return t


def aux_pair(out):
    """The output of a function differentiated with has_aux=True, checked to be a pair (value, aux): a number
    crashed the derivative with an IndexError, a tuple of three had its third item dropped (h27b-019)."""
    if isinstance(out, (tuple, list)) and len(out) == 2:
        return out
    got = f"a {type(out).__name__} of {len(out)} items" if isinstance(out, (tuple, list)) else \
        f"a {type(out).__name__}"
    raise ADError(f"has_aux=True: the function must return a pair (value, aux); it returned {got}",
                  hint="return `value, aux` (put several auxiliary values in one tuple or dict), or drop has_aux")


def _adjoint_mismatch(b, x, where, name):
    """None if the adjoint `b` fits the value `x`, else (where, what b is, (x's name, what x is), in a container)."""
    if isinstance(x, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(b) != len(x):
            got = f"a {type(b).__name__} of {len(b)} items" if isinstance(b, (list, tuple)) else f"a {type(b).__name__}"
            return where, got, (name, f"{len(x)} items"), True
        for i, (bi, xi) in enumerate(zip(b, x)):
            found = bi is not None and _adjoint_mismatch(bi, xi, f"{where}[{i}]", f"{name}[{i}]")
            if found:
                return found[:3] + (True,)
        return None
    if isinstance(x, dict):
        if not isinstance(b, dict) or set(b) != set(x):
            got = f"the keys {sorted(map(str, b))}" if isinstance(b, dict) else f"a {type(b).__name__}"
            return where, got, (name, f"the keys {sorted(map(str, x))}"), True
        for k in x:
            found = b[k] is not None and _adjoint_mismatch(b[k], x[k], f"{where}[{k!r}]", f"{name}[{k!r}]")
            if found:
                return found[:3] + (True,)
        return None
    if x is None or isinstance(x, (str, bytes, bool, np.bool_)) or not (np.isscalar(x) or isinstance(x, np.ndarray)):
        return None  # (no derivative, or an object: not checked here)
    if np.shape(b) != np.shape(x):
        return where, f"the shape {np.shape(b)}", (name, f"the shape {np.shape(x)}"), False
    return None


def new_object(cls):
    """An instance of the user's class, made without running `__init__` (whose code the derivative runs)."""
    return cls.__new__(cls)


def as_named(cls, items):
    """A named tuple made in the function, of these items (inline_named.py)."""
    return cls._make(items)


def tried(value):
    """The flag of a `try` or `with` block before it runs (generated code writes the constant itself)."""
    return value


def throw(exception):
    """`raise exception` (generated code writes the statement itself)."""
    raise exception


def caught():
    """The exception an `except ... as e` clause binds (generated code binds it in the clause itself)."""
    return None


def entered_value(manager):
    """The value a `with manager as v:` block binds (generated code binds it in the `with` statement itself).
    It has no derivative: a bound value depending on what is differentiated is refused, not taken as a
    constant."""
    return None


def entered(manager):
    """The context manager a `with` block enters (generated code writes `with manager:` itself)."""
    return manager


def check_completed(done):
    """After a `with` block: its context manager swallowed an exception raised inside it (the rest of the
    block did not run), which the derivative cannot follow."""
    if not done:
        raise UnsupportedError("the context manager of this `with` block swallowed an exception raised inside it: "
                               "the rest of the block did not run, which the derivative cannot follow",
                               hint="let the exception through, or use `try` / `except` around what may fail")


def truncate(tape, length):
    """Take the tape back to `length` items (what a `try` body pushed before an exception interrupted it)."""
    del tape[length:]


def unexpected_function(f, where):
    """A call through a name that held none of the functions the derivative was compiled for."""
    raise UnsupportedError(f"{where}\nthe function called here is {f!r}, which is not one of those the "
                           "derivative was compiled for", hint="call the function by its name")


def attribute_tangent_vjp(g, t, attr):
    """Adjoint of `_ad.attribute_tangent(t, attr)` with respect to t (a dict by attribute name, or an
    object): `g` at that attribute, zeros at the dict's other entries (a store into the dict, reversed,
    takes the adjoint of its entry back, `_ad.pop_item(b, 'w')`, and a missing one was None: h15-004)."""
    if isinstance(t, dict):
        from .runtime import zeros_like

        out = {k: zeros_like(v) for k, v in t.items() if k != attr}
        out[attr] = g
        return out
    return {attr: g}


def unexpected_class(obj, classes, where):
    """A method called on an object of a class the derivative was not compiled for."""
    raise UnsupportedError(f"{where}\nthe method is called here on a {type(obj).__qualname__} object; the derivative "
                           f"was compiled for objects of the classes {', '.join(classes)}",
                           hint="make the object in the function, or pass it in (its class is then known)")


def entry_or_zeros(taken, value):
    """The adjoint an attribute store gets back from its object's adjoint (None: the attribute was not read
    after the store; zeros shaped like the value stored)."""
    from .runtime import zeros_like

    if taken is None or _stale_zero(taken, value):
        return zeros_like(value)
    return taken


def stale_or(g, taken, value):
    """The adjoint `taken` gets from `entry_or_zeros(taken, value)`'s adjoint g: none (zeros of taken's shape)
    where taken was a stale zero, else g (second order)."""
    if taken is not None and _stale_zero(taken, value):
        from .runtime import zeros_like

        return zeros_like(taken)
    return g


def stale_or_transpose(h, taken, value):
    """The transpose of `stale_or` in g (third order)."""
    if taken is not None and _stale_zero(taken, value):
        from .runtime import zeros_like

        return zeros_like(value)
    return h


_NUMBERS = (float, int, bool, np.float64)


def _stale_zero(taken, value):
    """Is `taken` the zeros runtime.pop_item left for a later store of a value of another shape (or structure)
    into the attribute (g4-010)? An adjoint has its value's shape, so zeros of another shape are that."""
    tc, vc = taken.__class__, value.__class__
    if tc in _NUMBERS and vc in _NUMBERS:  # (the common case, per entry of a list's adjoint: no NumPy call)
        return False
    if tc is np.ndarray and vc is np.ndarray:
        return taken.shape != value.shape and not taken.any()
    if isinstance(taken, (list, tuple, dict)) or taken.__class__.__name__ == "ShapeOf":
        return False
    try:
        if isinstance(value, (list, tuple, dict)) or np.shape(taken) != np.shape(value):
            return not np.any(taken)
    except (TypeError, ValueError):  # (an object, a ragged list: not a stale zero of this kind)
        return False
    return False


for _f in (stale_or, stale_or_transpose, new_object, as_named, tried, throw, unexpected_function, attribute_tangent_vjp, unexpected_class, entry_or_zeros, caught,
           entered, truncate, check_completed):
    _f.__module__ = "ad_compiler.runtime"  # (generated code reaches them as `_ad.<name>`, like the others)
