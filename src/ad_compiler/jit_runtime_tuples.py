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
    if _tuple_of_tuples(x) and isinstance(index, numba.types.Integer) and _is_list(g) and _is_number(g.dtype) and \
            isinstance(x.dtype, numba.types.UniTuple) and _is_number(x.dtype.dtype):
        # (g the adjoint of a tuple of numbers, `ps[i]` then `a, b = ...`: the list getitem_vjp made of its
        # items, as the plain helper; here the tuple of them, the one type of the list's items)
        n = len(x.dtype)
        as_tuple = numba.njit(_tuple_source("as_tuple", "g", n, lambda k: f"g[{k}]"))

        def listed(g, x, index):
            if len(g) != n:
                raise ValueError("the adjoint of a tuple has another length")
            return items_vjp(as_tuple(g), x, index)
        return listed
    return None


def builtin_max1(x):
    """Python's max(x) of one iterable: Numba's, but ValueError for an empty one (Numba's StopIteration)."""


def builtin_min1(x):
    """Python's min(x) of one iterable (as builtin_max1)."""


def _extreme1(which):
    def typer(x):
        if _is_array(x, 1) or _is_list(x):
            def one(x):
                if len(x) == 0:
                    raise ValueError(which + "() iterable argument is empty")
                return max(x) if which == "max" else min(x)
            return one
        return lambda x: max(x) if which == "max" else min(x)  # (a tuple of numbers: Numba's, Python's order)
    return typer


_overload(builtin_max1)(_extreme1("max"))
_overload(builtin_min1)(_extreme1("min"))


def extreme_items_vjp(g, args, ans):
    """Adjoint of the builtin max(x) / min(x) of one 1-d array x: the entries equal to the winner share g (as
    the plain helper: NaN wins nothing), as a tuple of one array."""


@_overload(extreme_items_vjp)
def _extreme_items_vjp(g, args, ans):
    if isinstance(args, numba.types.UniTuple) and len(args) == 1 and _is_array(args[0], 1) and _is_number(g) \
            and _is_number(ans):
        def entries(g, args, ans):
            x = args[0]
            hits = np.zeros(x.shape[0])
            for i in range(x.shape[0]):
                if x[i] == ans:
                    hits[i] = 1.0
            share = hits / max(hits.sum(), 1.0)
            return (share * g,)
        return entries
    return None


def check_unpack(items, n, starred=False):
    """runtime.check_unpack: Python's ValueError when the number of items does not fit the names unpacked."""


@_overload(check_unpack)
def _check_unpack(items, n, starred=False):
    def check(items, n, starred=False):
        k = len(items)
        if k != n and not (starred and k > n):
            raise ValueError("the number of values to unpack does not fit the names")
        return None
    return check


HELPERS = {"builtin_max1", "builtin_min1", "added_at", "taken_at", "cleared_at", "check_unpack"}
