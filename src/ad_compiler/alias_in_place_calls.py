"""Calls known to change an argument in place, met where their value is used (`u = operator.iadd(v, w)`,
`r = L.__iadd__(M)`, `r = np.ndarray.fill(v, c)`, `r = list.append(L, v)`, `r = np.multiply.at(v, i, c)`; also
the calls `map` / `functools.reduce` / `itertools.accumulate` make of `operator.setitem` or `operator.iadd`).

The alias pass (alias.py) follows the in-place changes written as statements, methods and `out=` it rewrites
(alias_mutation.py); a call whose value is assigned it takes for one giving a new value, so the change of its
argument was missed: a silently WRONG value and gradient in every mode (hunt27a h27a-001). These are refused at
their line, with the statement that is followed instead.
"""
import bisect
import heapq
import operator

import numpy as np

from . import ir, kinds as K
from .alias_library import ARRAY_MUTATORS, DICT_MUTATORS, LIST_MUTATORS
from .ir import Global

# operator's in-place functions: `operator.iadd(a, b)` is `a += b; return a`
IN_PLACE_OPERATORS = {
    operator.iadd: "a += b", operator.isub: "a -= b", operator.imul: "a *= b", operator.imatmul: "a @= b",
    operator.itruediv: "a /= b", operator.ifloordiv: "a //= b", operator.imod: "a %= b", operator.ipow: "a **= b",
    operator.ilshift: "a <<= b", operator.irshift: "a >>= b", operator.iand: "a &= b", operator.ior: "a |= b",
    operator.ixor: "a ^= b", operator.iconcat: "a += b", operator.setitem: "a[b] = c", operator.delitem: "del a[b]"}
IN_PLACE_DUNDERS = {"__setitem__", "__delitem__", "__setattr__", "__delattr__", "__iadd__", "__isub__", "__imul__",
                    "__imatmul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__", "__ilshift__",
                    "__irshift__", "__iand__", "__ior__", "__ixor__"}
_SET_MUTATORS = {"add", "discard", "difference_update", "intersection_update", "symmetric_difference_update"}
# methods of library objects changing them or what they are given: a random generator's shuffle, a deque's
_OTHER_MUTATORS = {"shuffle", "rotate", "appendleft", "extendleft", "popleft"}
_CHANGING = IN_PLACE_DUNDERS | LIST_MUTATORS | DICT_MUTATORS | ARRAY_MUTATORS | _SET_MUTATORS | _OTHER_MUTATORS
_BUILTIN_CLASSES = (list, dict, set, bytearray, np.ndarray)
# functions of the standard library changing the list they are given (`r = heapq.heapify(H)`: h27a-010)
_LIBRARY_MUTATORS = {heapq.heapify: "heapify", heapq.heappush: "heappush", heapq.heappop: "heappop",
                     heapq.heapreplace: "heapreplace", heapq.heappushpop: "heappushpop", bisect.insort: "insort",
                     bisect.insort_left: "insort_left", bisect.insort_right: "insort_right"}


def in_place_callee(call, receiver=None):
    """(the name of the function of `call` as the user wrote it, what to write instead, the expression of the
    object it changes) if it is known to change one of its arguments (or the object it is bound to) in place;
    else None. `receiver`: the kind of the object a method is called on."""
    func = call.func
    if isinstance(func, ir.Attr):
        if func.attr in IN_PLACE_DUNDERS:  # (a user's class's methods are inlined before the alias pass)
            return f"the method `.{func.attr}()`", "the operator or statement it implements (`a += b`, `a[i] = v`)", \
                func.value
        if func.attr in _CHANGING and not isinstance(receiver, (K.Seq, K.Dict, K.Array)):
            # (of a list, dict or array the pass rewrites them before: alias_mutation.method_call; `rng.shuffle(a)`,
            # `dq.popleft()` of a library object, or of an object of unknown kind, h27a-010; `rng =
            # np.random.default_rng(3)` has the kind of a number)
            return f"the method `.{func.attr}()`", "it as a statement, or compute a new value", None
        return None
    if not isinstance(func, Global):
        return None
    obj = func.obj
    first = call.args[0] if call.args else None
    shown = f"`{'.'.join(func.path)}`"
    try:
        if obj in IN_PLACE_OPERATORS:
            return shown, f"the statement it makes, `{IN_PLACE_OPERATORS[obj]}`", first
        if obj in _LIBRARY_MUTATORS:
            return shown, "a new list (`sorted(...)`, slices)", first
    except TypeError:  # (unhashable)
        return None
    name = getattr(obj, "__name__", "")
    owner = getattr(obj, "__objclass__", None)  # (an unbound method: `list.append`, `np.ndarray.fill`)
    held = getattr(obj, "__self__", None)  # (a bound one: `np.multiply.at`, a global list's `G.append`)
    instead = "the method called on its object as a statement (`lst.append(v)`), or the operator it implements"
    if isinstance(owner, type) and issubclass(owner, _BUILTIN_CLASSES) and name in _CHANGING:
        return shown, instead, first
    if isinstance(held, _BUILTIN_CLASSES) and name in _CHANGING or name == "shuffle" and held is not None:
        return shown, instead, None  # (`random.shuffle`: a bound method of the module's generator)
    if isinstance(held, np.ufunc) and name == "at":
        return shown, "the stores it makes (`a[i] = a[i] * c`)", first
    return None
