"""jit=True: the adjoints of tuples and of lists of tuples (jit_runtime.py's helpers for them).

`_ad.add_at(b, k, g)` adds into an adjoint in place; a tuple cannot change, so jit_rebind.py writes it
`b = _ad.jit.added_at(b, k, g)` where nothing else holds b: a new tuple, item k added (`add`: item by item for
an item that is a tuple itself); a list or an array changed in place as the plain helper does, and returned.
The adjoint of `ps[i]` for a list (a tuple, as an argument) of tuples is a list of their zeros with g at i.
"""
import numpy as np

from .jit_runtime import _overload_literal, _overload, _is_list, _is_array, _is_number, add, add_at, zeros_like, pop_item
from .jit_runtime_fancy import _tuple_source

try:
    import numba
except ImportError:  # (jit=True then refuses at ad.grad)
    numba = None


def added_at(b, index, g, owned):
    """`b` with `g` added at the constant position `index` (a new tuple, where `owned`: no other name holds
    b), or b changed in place (a list, an array: the plain add_at) and returned."""


@_overload_literal(added_at)
def _added_at(b, index, g, owned):
    if isinstance(b, numba.types.BaseTuple):
        k = getattr(index, "literal_value", None)
        if getattr(owned, "literal_value", None) is not True:
            return None
        if type(k) is not int or not -len(b) <= k < len(b):
            return None
        k %= len(b)
        return _tuple_source("added_at", "b, index, g, owned", len(b), lambda i: f"add(b[{i}], g)" if i == k else f"b[{i}]")
    if _is_list(b) and isinstance(index, numba.types.Integer):
        def entry(b, index, g, owned):
            b[index] = add(b[index], g)  # (a new item, as the plain add_at: the old one may have other names)
            return b
        return entry
    if _is_array(b):
        def array(b, index, g, owned):
            add_at(b, index, g)
            return b
        return array
    return None


def taken_at(b, index):
    """The entry pop_item(b, index) gives: b[index] of a tuple (cleared_at then makes the new tuple), the plain
    pop_item of a list or an array (which clears it in place)."""


@_overload_literal(taken_at)
def _taken_at(b, index):
    if isinstance(b, numba.types.BaseTuple):
        k = getattr(index, "literal_value", None)
        if type(k) is not int or not -len(b) <= k < len(b):
            return None
        return lambda b, index: b[index]
    return lambda b, index: pop_item(b, index)


def cleared_at(b, index, owned):
    """After taken_at: a tuple with zeros at the constant position `index` (where `owned`: no other name holds
    b), a list or an array as it is (cleared by pop_item)."""


@_overload_literal(cleared_at)
def _cleared_at(b, index, owned):
    if isinstance(b, numba.types.BaseTuple):
        k = getattr(index, "literal_value", None)
        if getattr(owned, "literal_value", None) is not True or type(k) is not int or not -len(b) <= k < len(b):
            return None
        k %= len(b)
        return _tuple_source("cleared_at", "b, index, owned", len(b),
                             lambda i: f"zeros_like(b[{i}])" if i == k else f"b[{i}]")
    return lambda b, index, owned: b


def _tuple_of_tuples(x):
    return (_is_list(x) or isinstance(x, numba.types.UniTuple)) and isinstance(x.dtype, numba.types.BaseTuple)


def tuple_zeros(x):
    """zeros_like of a tuple: item by item."""


@_overload(tuple_zeros)
def _tuple_zeros(x):
    if isinstance(x, numba.types.BaseTuple):
        return _tuple_source("zeros_items", "x", len(x), lambda i: f"zeros_like(x[{i}])")
    return None


def items_vjp(g, x, index):
    """Adjoint of `x[index]` for a list or tuple x of tuples and an int index: x's zeros, g at index."""


@_overload(items_vjp)
def _items_vjp(g, x, index):
    if _tuple_of_tuples(x) and isinstance(index, numba.types.Integer) and isinstance(g, numba.types.BaseTuple):
        def entries(g, x, index):
            n = len(x)
            if not -n <= index < n:
                raise IndexError("list index out of range")
            out = [tuple_zeros(v) for v in x]
            out[index] = g
            return out
        return entries
    return None


HELPERS = {"added_at", "taken_at", "cleared_at"}
