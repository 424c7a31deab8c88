"""The alias pass's transfer function for calls (alias.py): the value of `f(...)` and `x.method(...)`.

Here: builtins (len, list, max, sum, ...), the runtime's helpers, functions making views, objects made in
the function; an unknown call's result is an external object. NumPy, math and SciPy functions and functions
with differentiation rules are in alias_library_calls.py (with the `oracle` that finds the rank of a NumPy
function's result by calling it on small arrays), methods of arrays, lists and dicts in alias_methods.py.
Methods that change their object are handled before (alias_mutation.py).
"""
from __future__ import annotations

import builtins
import functools
import logging
import operator

import numpy as np

from . import ir, kinds as K
from .alias_domain import Val, all_objs
from .alias_library import VIEW_FUNCTIONS, lookup, runtime, view_kind
from .alias_library_calls import LibraryCalls
from .alias_methods import Methods
from .alias_callee_facts import make as make_result
from .alias_passed import PassedFunctions
from .alias_runtime_calls import RuntimeCalls
from .new_memory import returns_new_memory
from .alias_session import Part
from .alias_dtypes import cast_of_a_dead_temporary, dtype_result
from .markers import Checkpointed, stop_gradient
from .ir import Call, Global

_OPERATOR_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
                        operator.pow, operator.neg, operator.pos, operator.abs}


ITERATORS = (zip, enumerate, reversed)
_OPERATOR_SYMBOLS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
                     operator.floordiv: "//", operator.mod: "%", operator.pow: "**"}
# modules whose functions give new values unless known otherwise (alias_library_calls._numeric_library)
_LIBRARIES = ("numpy", "scipy", "math", "_operator", "operator", "builtins", "dask", "cupy")

class Calls(Part):
    """The value of a call: of a builtin here; of a runtime helper (`RuntimeCalls`, alias_runtime_calls.py), a
    library function (`LibraryCalls`, alias_library_calls.py) or a method (`Methods`, alias_methods.py)
    through its parts."""

    def __init__(self, session):
        super().__init__(session)
        self.library = LibraryCalls(session)
        self.methods = Methods(session)
        self.passed = PassedFunctions(session)
        self.runtime = RuntimeCalls(session, self.library)

    def call(self, s, value, state, site):
        """The value of `f(...)` or `x.method(...)`."""
        func = value.func
        args = [self.values.val(a, state) for a in value.args if not isinstance(a, ir.Starred)]
        if isinstance(func, Global):
            return self.function_result(s, value, func.obj, args, state, site)
        if isinstance(func, ir.Attr):
            return self.methods.result(s, value, func, state, site)
        return Val(K.UNKNOWN, {self.objects.ext(site)})

    def function_result(self, s, value, obj, args, state, site):
        """The value of a call of a known function: a builtin, a runtime helper, a library function."""
        known = dtype_result(self, s, value, obj, args, state, site)  # (dtype3's kinds: alias_dtypes.py)
        if known is not None:
            return known
        checkpointed = isinstance(obj, Checkpointed)
        if checkpointed:  # (compiled on its own, as a recursive function is)
            obj = obj.func
        if self.ctx.is_user_function(obj):  # (left as a call: recursion, ad.checkpoint)
            if self.mode == "rewrite":
                self.passed.recursive_call(s, value, obj, args)
            result = self.callee_result(s, value, obj, state, site)
            if checkpointed and result.kind is K.UNKNOWN:  # (maybe a float32 array: `x op= v` keeps its dtype)
                self.session.small_floats = True
            return result
        if self.mode == "rewrite":
            self.passed.check(s, value, obj, args, state)
        if obj in (runtime().dict_items, runtime().dict_values) and args and isinstance(args[0].kind, K.Dict):
            return self.call(s, Call(ir.Attr(value.args[0], "items" if obj is runtime().dict_items
                                             else "values"), ()), state, site)
        if obj is stop_gradient and len(args) == 1:
            return args[0]  # the very same value (only its derivative stops)
        if obj in _OPERATOR_ARITHMETIC and args:
            # `operator.mul(a, b)` is `a * b`: a new value (a number, a new array or list), never a view of its
            # operands (the loop lang25 makes of `itertools.accumulate(xs, operator.mul)` grew one maybe-view
            # more per pass of its fixed point: compiling never ended)
            if all(K.certainly_numeric(a.kind) for a in args):
                return self.values.fresh(state, site, [a.kind for a in args])
            if obj in _OPERATOR_SYMBOLS and len(value.args) == 2 and not value.kwargs:
                # (of lists or tuples, a new container of the operands' very items: `operator.add([a], [b])[0]`
                # is a, which a store into it changes; taken for a new object, the change was missed: h27a-009)
                return self.values.binop(s, ir.BinOp(_OPERATOR_SYMBOLS[obj], *value.args), state, site)
            return Val(K.UNKNOWN, {self.objects.new(state, site, desc="the result of this line")})
        if obj in ITERATORS:
            return self.iterator(obj, args, state, site)
        if obj is builtins.sorted and args:
            o = self.objects.new(state, site, desc="the list made on this line")
            state.slots[o] = ("any", self.item_objects(args[0], state, site))
            return Val(K.Seq(list, None, args[0].kind.item(None) if isinstance(args[0].kind, K.Seq) else K.UNKNOWN),
                       {o})
        if obj is runtime().iter_list and args:
            k = args[0].kind
            if isinstance(k, (K.Seq, K.Array)):
                return args[0]
            if isinstance(k, K.Other) and k.cls in ITERATORS:  # the items of an iterator, as a new list
                o = self.objects.new(state, site, desc="the list of the items of an iterator")
                state.slots[o] = ("any", self.item_objects(args[0], state, site))
                return Val(K.Seq(list, None, _item_kind(args[0], self.session)), {o})
            if isinstance(k, K.Dict):
                o = self.objects.new(state, site, desc="the keys of a dict")
                state.slots[o] = ("any", frozenset())
                return Val(K.Seq(list, None, K.STR), {o})
            # the very object (a list, tuple or array), or a new list of its items
            return Val(K.UNKNOWN, args[0].objs | {self.objects.ext(site)})
        if obj is runtime().as_named and len(args) == 2:
            return args[1]  # (a named tuple made in the function: for the compiler, the tuple of its items)
        if obj is runtime().new_object and value.args and isinstance(value.args[0], Global):
            o = self.objects.new(state, site, desc=f"the {value.args[0].obj.__name__} object made on this line")
            state.slots[o] = []  # (its attributes, by name: alias_stores.after_store)
            return Val(K.Obj(value.args[0].obj, ()), {o})
        if obj is runtime().private_copy and args:
            return Val(args[0].kind, {self.objects.private_objects(state, site, args[0].kind,
                                                                   "a copy of an argument")})
        how = lookup(VIEW_FUNCTIONS, obj)
        if how is not None and args and args[0].objs and not isinstance(args[0].kind, K.Seq):
            first = args[0]
            kind = view_kind(first.kind, getattr(obj, "__name__", ""), value,
                             kind_of=lambda a: self.values.val(a, state).kind)
            if obj in (np.asarray, np.asanyarray) and isinstance(first.kind, K.Array) and len(value.args) == 1 \
                    and not value.kwargs:
                if first.kind.cls is np.ndarray:  # the very same array (the same value on every path)
                    return Val(first.kind, first.objs, first.gen, first.ident)
                return Val(first.kind, first.objs)
            if cast_of_a_dead_temporary(self, s, value, first, state):
                return Val(kind, first.objs)
            return self.values.make_view(s, state, site, first, value, how, kind)
        if (obj in (list, tuple) and not value.args and not value.kwargs) or obj is runtime().new_tape:
            cls = tuple if obj is tuple else list
            o = self.objects.new(state, site, desc=f"the {cls.__name__} made on this line")
            state.slots[o] = []
            return Val(K.Seq(cls, (), None), {o})
        if obj is dict and len(value.args) == 1 and not value.kwargs and isinstance(args[0].kind, K.Dict):
            o = self.objects.new(state, site, desc="the dict made on this line")  # (a shallow copy)
            state.slots[o] = self.values.slots_of(args[0], state)
            return Val(args[0].kind, {o})
        if obj is dict and len(value.args) == 1 and not value.kwargs and not isinstance(args[0].kind, K.Dict):
            # `dict(zip(keys, arrays))`, `dict(pairs)`: its values may be any item the argument holds (g2-006)
            o = self.objects.new(state, site, desc="the dict made on this line")
            pairs = self.item_objects(args[0], state, site)
            state.slots[o] = ("any", pairs.union(*(all_objs(state.slots.get(p)) for p in pairs)))
            return Val(K.UNKNOWN, {o})
        if obj in (list, tuple) and len(value.args) == 1:
            a = args[0]
            o = self.objects.new(state, site, desc=f"the {obj.__name__} made on this line")
            state.slots[o] = iterated_slots(self, a, state, site)
            items = a.kind.items if isinstance(a.kind, K.Seq) else None
            elem = a.kind.elem if isinstance(a.kind, K.Seq) else _item_kind(a, self.session)
            return Val(K.Seq(obj, items, elem), {o})
        if obj is round and (len(value.args) > 1 and value.args[1] != ir.Const(None) or value.kwargs):
            # (`round(x, 2)` is of x's type; an int only without ndigits: h26b-005)
            return Val(args[0].kind if isinstance(args[0].kind, K.Scalar) else K.UNKNOWN)
        if obj in (len, int, round, builtins.hash, builtins.id):
            return Val(K.INT)
        if obj is bool or obj is isinstance:
            return Val(K.BOOL)
        if obj is float:
            return Val(K.FLOAT)
        if obj in (builtins.max, builtins.min) and len(args) == 1 and isinstance(args[0].kind, K.Seq):
            return Val(args[0].kind.item(None), all_objs(self.values.slots_of(args[0], state)))
        if obj in (builtins.max, builtins.min, builtins.sum) and len(args) == 1 and args[0].kind.numeric:
            nd = K.ndim_of(args[0].kind)  # iterating an array gives its rows
            if nd == 1:
                return Val(K.Scalar(np.float64))
            return self.values.fresh(state, site, [K.NUMERIC], ndim=None if nd is None else nd - 1)
        if obj in (builtins.max, builtins.min):
            return Val(K.join_all([a.kind for a in args]), frozenset().union(*(a.objs for a in args)))
        if obj is abs and len(args) == 1:
            return self.values.fresh(state, site, [args[0].kind])
        if obj is builtins.sum and (len(value.args) > 1 or value.kwargs) and \
                not all(a.kind.numeric for a in args[1:] + [self.values.val(v, state) for _, v in value.kwargs]):
            # `sum(lists, [])`: a list (or tuple) holding the very items of the lists it adds up
            o = self.objects.new(state, site, desc="the sum made on this line")
            lists = self.item_objects(args[0], state, site) | frozenset().union(*(a.objs for a in args[1:]))
            state.slots[o] = ("any", lists.union(*(all_objs(state.slots.get(p)) for p in lists)))
            return Val(K.UNKNOWN, {o})
        if obj in (abs, builtins.sum):
            if all(isinstance(a.kind, K.Scalar) for a in args):
                return Val(K.FLOAT)
            if obj is builtins.sum and args and isinstance(args[0].kind, K.Seq) and \
                    isinstance(args[0].kind.elem, K.Scalar):
                return Val(K.FLOAT)
            if obj is builtins.sum and args and isinstance(args[0].kind, K.Seq):
                k = args[0].kind  # the items added up (to 0): a new value of their broadcast kind
                items = list(k.items) if k.items is not None else [k.item(None)]
                if items and all(i.numeric for i in items):
                    return self.values.fresh(state, site, items + [K.FLOAT])
            return self.values.fresh(state, site, [K.NUMERIC])
        if obj in (range, zip, enumerate, slice, str, repr, print, type):
            return Val(K.Other(obj if isinstance(obj, type) else type(None)))
        if obj is runtime().along_axis_index:  # (np.take_along_axis's index: an index array per axis, h26b-006)
            o = self.objects.new(state, site, desc="the index made on this line")
            state.slots[o] = ("any", frozenset())
            return Val(K.Seq(tuple, None, K.array(None, "i")), {o})
        if getattr(obj, "__module__", None) == runtime().__name__:
            result = self.runtime.result(s, value, obj, args, state, site)
            if result is not None:
                return result
        mod = (getattr(obj, "__module__", None) or "").split(".")[0]
        if obj is functools.partial and value.args and isinstance(value.args[0], Global) and \
                self.ctx.is_user_function(value.args[0].obj):  # (for a library call given it: passed_functions)
            o = self.objects.ext(site)
            self.session.partials[o] = (value.args[0].obj, value)
            return Val(K.UNKNOWN, {o})
        if obj is logging.getLogger:  # (a logger: its methods report what they are given, alias_mutation.py)
            return Val(K.Other(logging.Logger))
        if self.mode == "rewrite" and mod not in _LIBRARIES and self.ctx.has_rule(obj):
            self.passed.ruled_call(s, value, obj, args, state)  # (one changing its arguments: m25-006)
        if (self.ctx.has_rule(obj) or self.ctx.nondiff(obj)) and mod not in _LIBRARIES and \
                not isinstance(obj, np.ufunc) and getattr(obj, "__module__", None) != runtime().__name__ and \
                not returns_new_memory(obj):
            # a function of the user's with a rule (or declared without a derivative) not proven to return new
            # memory (new_memory.returns_new_memory): its body may return an argument itself (`return a`), a view
            # of one (`return a[1:]`), an object holding them (`return [a, b]`), or an object it was given: the
            # value made on this line, or any of them (h16-001: a view or a list was taken for `a` itself or new)
            known = self.known_result(value, obj, state, site)  # (from its body's own alias pass: c28-001)
            if known is not None:
                return known
            kw = [self.values.val(v, state) for _, v in value.kwargs]
            mutable = frozenset().union(*(a.objs for a in args + kw if a.kind.mutable))
            made = self.objects.new(state, site, desc="the value made on this line")
            shared = self.opaque_result(s, value, state, site, made)
            return Val(K.UNKNOWN, shared.objs | mutable)
        if mod in ("numpy", "math", "scipy") or isinstance(obj, np.ufunc) or self.ctx.has_rule(obj) or \
                self.ctx.nondiff(obj):
            return self.library.result(s, value, obj, args, state, site)
        return Val(K.UNKNOWN, {self.objects.ext(site)})

    def iterator(self, obj, args, state, site):
        """`zip(...)`, `enumerate(x)`, `reversed(x)`: an iterator over the items of its arguments (which it
        holds: changing one of them in place changes what it gives)."""
        o = self.objects.new(state, site, desc=f"the {obj.__name__} object made on this line")
        state.slots[o] = ("any", frozenset().union(*(self.item_objects(a, state, site + (i,))
                                                      for i, a in enumerate(args))))
        if obj is reversed and len(args) == 1:  # (its items: those of the sequence, for `list(reversed(x))`)
            self.session.iterator_items[o] = _item_kind(args[0], self.session)
        elif obj is zip and args:  # (tuples of the sequences' items: the adjoint sweep fills their adjoints)
            self.session.iterator_items[o] = K.Seq(tuple, tuple(_item_kind(a, self.session) for a in args), None)
        elif obj is enumerate and args:  # ((index, item) pairs)
            self.session.iterator_items[o] = K.Seq(tuple, (K.INT, _item_kind(args[0], self.session)), None)
        return Val(K.Other(obj), {o})

    def item_objects(self, val, state, site):
        """The objects the items of `val` may be: a container's items, or maybe views of the array (its rows),
        or another iterator's items."""
        if isinstance(val.kind, K.Seq) or (isinstance(val.kind, K.Other) and val.kind.cls in ITERATORS):
            return all_objs(self.values.slots_of(val, state))
        if _rows_are_views(val):
            return all_objs(iterated_slots(self, val, state, site))
        return val.objs

    def callee_result(self, s, value, obj, state, site):
        """The value of a call of the user's function compiled on its own (recursion, ad.checkpoint): what the
        function's own alias pass says it returns (new memory, or the very arguments: alias_callee_facts.py), else
        an object the function did not make, or maybe a view of (or the very) arrays it is given, or a container
        of those (a base case `return h`, `return W[0]`, `return (h, W)`): a change in place of either while the
        other is read later is refused at its line, as for a library call NumPy could not be asked about."""
        known = self.known_result(value, obj, state, site)
        if known is not None:
            return known
        return self.opaque_result(s, value, state, site, self.objects.ext(site))

    def known_result(self, value, obj, state, site):
        """The value of the call `value` of the user's function `obj` from the function's own alias pass, for the
        kinds of its arguments here (driver.Context.callee_facts), or None: not known."""
        facts_of = getattr(self.ctx, "callee_facts", None)
        params = _bound_params(obj, value, lambda a: self.values.val(a, state)) if facts_of else None
        if params is None:
            return None
        facts = facts_of(obj, [v.kind if v is not None else K.kind_of(d) for v, d in params])
        return make_result(self, facts, [v for v, _ in params], state, site) if facts is not None else None

    def opaque_result(self, s, value, state, site, result):
        """The value of a call whose body the pass does not follow (a callee compiled on its own, a function of
        the user's with a rule): `result`, or maybe a view of (or the very) arrays it is given, or a container
        of those, or the very lists, dicts and objects it is given."""
        maybe = self.library.maybe_view(s, value, state, site, [], opaque=True)
        # the very lists, dicts and objects it is given (`return L`: a later `L.append(v)` changes the result)
        given = set()
        for atom in list(value.args) + [v for _, v in value.kwargs]:  # (by keyword too: h16-003)
            starred = isinstance(atom, ir.Starred)
            v = self.values.val(atom.value if starred else atom, state)
            objs = v.objs | (all_objs(self.values.slots_of(v, state)) if starred else frozenset())
            given |= {o for o in objs if isinstance(state.slots.get(o), (list, tuple))}
        if maybe is None and not given:
            return Val(K.UNKNOWN, {result})
        views = set(maybe.objs) if maybe is not None else set()
        state.slots[result] = ("any", frozenset(views | given))  # (the items of a tuple or list it returns)
        return Val(K.UNKNOWN, {result} | views | given)


def _bound_params(func, value, val_of):
    """The caller's values of the parameters of the plain function `func` (no `*args`, `**kwargs`, keyword-only
    parameters) by position, as (value, None), or (None, default) where the call leaves one out; None where not
    known (a starred argument, a call not matching, a default that is not a number or a string)."""
    import inspect

    if any(isinstance(a, ir.Starred) for a in value.args):
        return None
    try:
        sig = inspect.signature(func)
        bound = sig.bind(*value.args, **dict(value.kwargs)).arguments
    except (TypeError, ValueError):
        return None
    out = []
    for p in sig.parameters.values():
        if p.kind is not p.POSITIONAL_OR_KEYWORD:
            return None
        if p.name in bound:
            out.append((val_of(bound[p.name]), None))
        elif isinstance(p.default, (int, float, str, bool, type(None))):
            out.append((None, p.default))
        else:
            return None
    return out


def _rows_are_views(val):
    """Is `val` an array (not known 1-d) whose items, when it is iterated, are its rows: views of it?"""
    return not isinstance(val.kind, (K.Seq, K.Scalar)) and val.kind.numeric and bool(val.objs) and \
        K.ndim_of(val.kind) != 1


def iterated_slots(part, val, state, site):
    """The slots of a new list of the items `val` gives when iterated (`list(v)`, `lst.extend(v)`): a sequence's
    or an iterator's items, or the rows of an array, maybe views of it (not followed: a change of either in place
    while the other is read later is refused, as np.split's pieces; they were taken for new arrays: a change of
    the array after was missed, h26a-004), else new values."""
    if isinstance(val.kind, K.Seq):
        return part.values.slots_of(val, state)
    if isinstance(val.kind, K.Other) and val.kind.cls in ITERATORS:
        return ("any", all_objs(part.values.slots_of(val, state)))
    if _rows_are_views(val):
        return ("any", frozenset(part.objects.view(state, site + ("row",), p, "maybe",
                                                   desc="a row of the array, a view of it")
                                 for p in sorted(val.objs, key=lambda p: p.id)))
    return ("any", frozenset())


def _item_kind(val, session):
    """The kind of the items of `val` when iterated: a sequence's items, an array's rows (numbers for a
    vector), the items a `reversed(...)` object gives; else unknown."""
    k = val.kind
    if isinstance(k, K.Seq):
        return k.elem if k.items is None else K.join_all(k.items)
    if isinstance(k, K.Other) and k.cls is range:
        return K.INT
    if isinstance(k, K.Array) and k.ndim is not None and k.ndim >= 1 and k.cls is np.ndarray:
        return K.array(k.ndim - 1, k.dtype) if k.ndim > 1 else \
            K.Scalar({"b": np.bool_, "i": np.int64, "u": np.uint64}.get(k.dtype, np.float64))
    kinds = [session.iterator_items.get(o) for o in val.objs]
    return kinds[0] if kinds and all(x is not None and x == kinds[0] for x in kinds) else K.UNKNOWN
