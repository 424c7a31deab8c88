"""The alias pass's values of library calls (alias_calls.py): NumPy, math and SciPy functions and functions with
differentiation rules. The kind of a NumPy function's result comes from the `oracle`, which calls it on
small arrays of the arguments' ranks; otherwise from tables (alias_library.py): reductions, elementwise
functions, array constructors. `np.split` and its kin give lists of views. Where NumPy cannot be asked (an
argument of unknown rank), a function not known to give new memory (alias_library.gives_new_memory) gives "maybe
a view of (or the very) arrays it is given" (`maybe_view`): a change in place of either while the other is read
later is refused at its line.
"""
from __future__ import annotations

import re

import numpy as np

from . import ir, kinds as K
from .alias_domain import Val, all_objs
from .alias_library import (BOOL_UFUNCS, ELEMENTWISE_FUNCTIONS, FRESH_ARRAYS, ORACLE_UNSAFE, SCALAR_REDUCTIONS,
                            dummy_of, gives_new_memory, nested_ndim, reduced_ndim, runtime)
from .alias_session import Part
from .ir import Const, Global


class LibraryCalls(Part):
    """The value of a call of a NumPy, math or SciPy function, or of one with a rule."""

    def oracle(self, obj, value, state):
        """The kind of `obj(args)` found by calling it on small arrays of the arguments' ranks (NumPy
        functions only), or None."""
        mod = getattr(obj, "__module__", "") or ""
        if mod.startswith("numpy.random"):
            obj = _fresh_draw(obj)
        if obj is None or not (isinstance(obj, np.ufunc) or mod.startswith("numpy")) or \
                getattr(obj, "__name__", "") in ORACLE_UNSAFE:
            return None

        def dummy(atom):
            if isinstance(atom, Const):
                return atom.value
            if isinstance(atom, Global) and isinstance(atom.obj, (type, np.dtype)):
                return atom.obj  # (a dtype: np.astype(x, float, copy=False) is x itself)
            return dummy_of(self.values.val(atom, state).kind)

        try:
            args = [dummy(a) for a in value.args]
            kwargs = {k: dummy(v) for k, v in value.kwargs}
            import warnings

            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = obj(*args, **kwargs)
        except Exception:  # noqa: BLE001 (any failure: not known)
            return None
        # (a result sharing memory with an argument: a view NumPy made, as np.einsum("ii->i", a) does)
        self.shared_with = next((i for i, a in enumerate(args) if isinstance(a, np.ndarray) and
                                 isinstance(result, np.ndarray) and np.shares_memory(a, result)), None)
        # (a tuple or list of views of arguments: np.broadcast_arrays, np.meshgrid(copy=False), np.unstack)
        self.items_share = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and
                            isinstance(result, (tuple, list)) and
                            any(isinstance(r, np.ndarray) and np.shares_memory(a, r) for r in result)]
        k = K.kind_of(result)
        if self.shared_with is not None and isinstance(k, K.Other) and isinstance(result, np.ndarray):
            return k  # (an ndarray subclass sharing the argument's memory: np.asmatrix(x) is a view of x)
        if isinstance(k, K.Array):  # (integer results kept: `x op= float` on them raises in NumPy)
            return K.array(k.ndim, k.dtype if k.dtype in "biu" else "f")
        if isinstance(k, K.Seq) and k.items is not None and all(isinstance(i, K.Array) for i in k.items):
            return k  # a list or tuple of arrays (np.split, ...): how many may depend on values
        if isinstance(result, tuple) and all(isinstance(r, np.ndarray) for r in result):
            # a named tuple of arrays (np.linalg.eigh, svd, qr, slogdet's): a tuple, never "an array"
            return K.Seq(tuple, tuple(K.array(r.ndim, r.dtype.kind if r.dtype.kind in "biu" else "f")
                                      for r in result), None)
        return k if isinstance(k, K.Scalar) else None

    def result(self, s, value, obj, args, state, site):
        """The value of a call of a NumPy, math or SciPy function, or one with a rule."""
        kinds_ = [a.kind for a in args]
        if not _numeric_library(obj) and not (_runtime_helper(obj) and all(k.numeric for k in kinds_)):
            # a function with the user's rule (or declared without a derivative), a runtime helper given a
            # container: it may give a list (whose item `+=` would concatenate) or anything else
            return Val(K.UNKNOWN, {self.objects.new(state, site, desc="the value made on this line")})
        self.check_overwrite(s, value, state)
        name = getattr(obj, "__name__", "")
        if name in SPLITS and getattr(obj, "__module__", "").startswith("numpy") and args:
            return _pieces(self, value, args[0], state, site)
        self.shared_with, self.items_share = None, []
        known = self.oracle(obj, value, state) if not isinstance(obj, np.ufunc) else None
        if known is not None and self.shared_with is not None and \
                args[self.shared_with].objs and isinstance(known, (K.Array, K.Other)):
            # a view of that argument, not followed as one: changing it in place is refused, and a change of
            # the argument makes it again (as for np.diagonal)
            return self.values.make_view(s, state, site, args[self.shared_with], value, "opaque", known)
        odd = odd_class(obj)
        if odd is not None and (known is None or not isinstance(known, K.Scalar)):
            # (resolve.odd_array refuses the rules on it; taken for a plain array, np.sum(x * m) of a masked array m
            # made in the function differentiated its masked entries too: WRONG, h27a-011)
            return Val(K.Other(odd), {self.objects.new(state, site, desc="the array made on this line")})
        if known is not None:
            if isinstance(known, K.Scalar):
                if isinstance(obj, type) and issubclass(obj, np.integer) and known.cls is obj:
                    return Val(known)  # `np.int64(1)`: an integer (`idx += np.int64(1)` is no float change)
                return Val(K.Scalar(np.float64) if known.cls is not bool else K.BOOL)
            if isinstance(known, K.Seq):  # (its length may depend on the values: np.split(x, n) of a dummy x)
                o = self.objects.new(state, site, desc=f"the {known.cls.__name__} made on this line")
                # its items: new arrays, or views NumPy may make of the arguments it found sharing memory (not
                # followed: changing either in place is refused while the other is read later)
                parents = sorted(set().union(*(args[i].objs for i in self.items_share if i < len(args))),
                                 key=lambda p: p.id)
                state.slots[o] = ("any", frozenset(self.objects.view(state, site + ("item",), p, "maybe",
                                                                     desc="an item made on this line")
                                                   for p in parents))
                return Val(K.Seq(known.cls, None, K.join_all(known.items)), {o})
            return Val(known, {self.objects.new(state, site, desc="the array made on this line")})
        if name in ("shape",):
            return Val(K.Other(tuple))
        if name in ("ndim", "size") or (name in ("count_nonzero", "argmax", "argmin") and
                                        value.kwarg("axis") is None and len(value.args) <= 1):
            return Val(K.INT)
        if getattr(obj, "__module__", "") == "math":
            return Val(K.FLOAT)
        if _numeric_library(obj) and not gives_new_memory(obj, value):  # (not a runtime helper: as before)
            maybe = self.maybe_view(s, value, state, site, kinds_)
            if maybe is not None:
                return maybe
        if isinstance(obj, np.ufunc):
            if _half_of_bools(obj, kinds_):  # (`np.sqrt(x > 0)` is float16: `x op= v` must keep it, dt-008)
                self.session.small_floats = True
            return self.values.fresh(state, site,
                                     kinds_ + [self.values.val(v, state).kind for n, v in value.kwargs if n != "**"],
                                     dtype="b" if obj in BOOL_UFUNCS else "f",
                                     scalar=K.BOOL if obj in BOOL_UFUNCS else None)
        if name in SCALAR_REDUCTIONS and args:
            nd = reduced_ndim(K.ndim_of(kinds_[0]), value, 1)
            if nd == 0 or (value.kwarg("axis") is None and len(value.args) <= 1 and
                           value.kwarg("keepdims") is None and name not in ("quantile", "percentile")):
                return Val(K.Scalar(np.float64))
            if nd is not None:
                return self.values.array_result(state, site, nd)
        if name in ELEMENTWISE_FUNCTIONS:
            return self.values.fresh(state, site, kinds_)
        if name in ("array", "asarray", "asanyarray", "copy", "ascontiguousarray") and kinds_:
            return self.values.array_result(state, site, nested_ndim(kinds_[0]))
        if name in ("zeros", "ones", "empty", "full") and value.args:
            shape = self.values.val(value.args[0], state).kind
            nd = 1 if isinstance(shape, K.Scalar) else len(shape.items) if isinstance(shape, K.Seq) and \
                shape.items is not None else None
            if nd == 0:  # (np.zeros(()) is a 0-d array, which `+=` changes in place, not a NumPy scalar)
                return Val(K.array(0, _integer_dtype(value)),
                           {self.objects.new(state, site, desc="the array made on this line")})
            return self.values.array_result(state, site, nd, _integer_dtype(value))
        if name in ("zeros_like", "ones_like", "empty_like", "full_like") and kinds_:
            first = kinds_[0].dtype if isinstance(kinds_[0], K.Array) and kinds_[0].dtype in "iub" else "f"
            return self.values.array_result(state, site, K.ndim_of(kinds_[0]), _integer_dtype(value, 99, first))
        if name in FRESH_ARRAYS or any(isinstance(k, K.Array) for k in kinds_):
            return self.values.array_result(state, site, None)
        if all(isinstance(k, K.Scalar) for k in kinds_) and kinds_:
            return Val(K.Scalar(np.float64))
        return Val(K.NUMERIC, {self.objects.new(state, site)})

    def check_overwrite(self, s, value, state):
        """`np.median(v, overwrite_input=True)` (np.percentile, np.quantile, ...) and SciPy's `overwrite_a=True`
        may leave the arrays given with any contents (NumPy partially sorts v), which the derivative reads
        again (the adjoint of the median finds its element in v): refused at the line when an array is given."""
        flags = [k for k, v in value.kwargs if k.startswith("overwrite") and
                 not (isinstance(v, Const) and v.value is False)]
        for atom in value.args if flags else ():
            if isinstance(atom, ir.Var) and not isinstance(self.values.val(atom, state).kind, K.Scalar):
                shown = "an array it is given" if re.fullmatch(r"t\d+", atom.name) else f"`{atom.name}`"
                self.refuse(s, f"`{flags[0]}=` lets this call change {shown} in place (its contents are left "
                               "undefined), which the derivative (and what reads it later) cannot follow",
                            f"drop `{flags[0]}=...` (the value is the same)")

    def maybe_view(self, s, value, state, site, kinds_, opaque=False):
        """The result of a call NumPy could not be asked about, of a function not known to give new memory
        (alias_library.gives_new_memory): maybe a view of (or the very) arrays it is given (np.einsum("ii->i",
        a), np.diff(a, 0), np.nan_to_num(a, copy=False), ... where the rank of `a` is not known), so that a change
        in place of either while the other is read later is refused at its line (alias_refresh.py), as for
        np.reshape; None when it is given no array."""
        bases = set()
        for atom in list(value.args) + [v for _, v in value.kwargs]:
            starred = isinstance(atom, ir.Starred)
            v = self.values.val(atom.value if starred else atom, state)
            if isinstance(v.kind, (K.Seq, K.Dict)) or starred or any(
                    isinstance(state.slots.get(o), (list, tuple)) for o in v.objs):
                # arrays given in a list (np.broadcast_arrays(*xs), np.meshgrid(*xs, copy=False))
                bases |= all_objs(self.values.slots_of(v, state))
            elif isinstance(v.kind, (K.Array, K.Numeric)) or v.kind == K.UNKNOWN:
                bases |= v.objs
        bases = {o for o in bases if not isinstance(state.slots.get(o), (list, tuple))}
        if opaque:  # (a call whose body is not followed, given what it returned before, in a loop: maybe a view of
            # what it was given then, so of that: one object per site and base, not one per iteration, rw2-002)
            self.objects.opaque_sites.add(site)
            bases = {_below_site(o, site) for o in bases}
        if not bases:
            return None
        kind = K.array(None) if any(isinstance(k, K.Array) for k in kinds_) else K.NUMERIC
        return self.values.make_view(s, state, site, Val(kind, bases), value, "maybe", kind)


def _below_site(o, site):
    """The object a maybe-view made at `site` (or an earlier instance of one) is a view of, down to one not made
    there: the same memory, the same root (alias_stores.tree_of)."""
    while o.kind == "view" and o.how == "maybe" and o.site == site:
        o = o.parent
    return o


def _numeric_library(obj):
    """Is `obj` of NumPy, SciPy, math, operator (or another array library), whose functions give arrays or
    numbers unless known otherwise (not a function of the user's with a rule of its own, nor a runtime helper)?"""
    return isinstance(obj, np.ufunc) or (getattr(obj, "__module__", None) or "").split(".")[0] in \
        ("numpy", "scipy", "math", "_operator", "operator", "builtins", "dask", "cupy")


def _runtime_helper(obj):
    return getattr(obj, "__module__", None) == runtime().__name__


def _fresh_draw(obj):
    """The same draw (`np.random.exponential`, a Generator's `normal`) from a new generator of its kind, which the
    oracle may call without moving the state of the one the function draws from (a number for a scalar
    parameter, but an array when a `size` is given, by keyword or by position); None for anything else."""
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, np.random.RandomState):
        return getattr(np.random.RandomState(0), obj.__name__, None)
    if isinstance(owner, np.random.Generator):
        return getattr(np.random.default_rng(0), obj.__name__, None)
    return None


_HALF = {}


def _half_of_bools(ufunc, kinds_):
    """Does `ufunc` of these operands give float16 (a float ufunc of bool operands: `np.sqrt(x > 0)`)?"""
    if not kinds_ or not all(isinstance(k, K.Array) and k.dtype == "b" or k == K.BOOL for k in kinds_):
        return False
    if ufunc not in _HALF:
        try:
            _HALF[ufunc] = ufunc(*[np.array([True])] * ufunc.nin).dtype == np.float16 if ufunc.nout == 1 else True
        except Exception:  # noqa: BLE001  (no loop for bools)
            _HALF[ufunc] = False
    return _HALF[ufunc]


def _integer_dtype(value, position=1, default="f"):
    """"i" for `np.zeros(shape, dtype=int)` and the like ("u" unsigned, "b" bool), else `default`: the dtype
    given by keyword or at `position` (2 for np.full), as a class, a string or a np.dtype (dtype_kind); "?"
    for a dtype not known when compiling."""
    position = 2 if value.func.obj is np.full else position
    dtype = value.kwarg("dtype")
    if dtype is None and len(value.args) > position:
        dtype = value.args[position]
    kind = dtype_kind(dtype)
    if kind is None and dtype is not None and not (isinstance(dtype, Const) and dtype.value is None):
        return "?"  # (a dtype made in the function or chosen by a branch: it may be an integer one)
    return kind if kind in ("i", "u", "b") else default if kind is None else "f"


def dtype_kind(atom):
    """The dtype kind ("f", "i", "u", "b", "c") an atom naming a dtype gives (`int`, `np.int32`, `"i8"`,
    `np.dtype("int64")` held by a global), or None when not known."""
    obj = atom.value if isinstance(atom, Const) else getattr(atom, "obj", None)
    if obj is None or not isinstance(obj, (type, str, np.dtype)):
        return None
    try:
        return np.dtype(obj).kind
    except TypeError:
        return None


SPLITS = {"split", "array_split", "hsplit", "vsplit", "dsplit"}


def _piece_kind(kind):
    return K.array(K.ndim_of(kind), kind.dtype if isinstance(kind, K.Array) else "f")


def _pieces(calls, value, base, state, site):
    """`np.split(x, n)` (and array_split, hsplit, ...): a new list of pieces of x, each a view of it, which NumPy
    may make as a copy (so changing one in place is refused while x is used later: alias_refresh.py)."""
    n = value.args[1].value if len(value.args) > 1 and isinstance(value.args[1], Const) and \
        isinstance(value.args[1].value, int) else None
    o = calls.objects.new(state, site, desc="the list of pieces made on this line")
    parents = sorted(base.objs, key=lambda p: p.id)
    kind = _piece_kind(base.kind)

    def piece(i):
        return frozenset(calls.objects.view(state, site + ("piece", i), p, "maybe", desc="a piece made on this line")
                         for p in parents)
    if n is None:
        state.slots[o] = ("any", piece("any"))
        return Val(K.Seq(list, None, kind), {o})
    state.slots[o] = [piece(i) for i in range(n)]
    return Val(K.Seq(list, (kind,) * n, kind), {o})


_PLAIN_FROM_MA = {"getdata", "filled", "getmask", "getmaskarray", "is_masked", "isMaskedArray", "isMA", "count",
                  "make_mask", "make_mask_none", "mask_or", "nomask"}


def odd_class(obj):
    """np.matrix or np.ma.MaskedArray when a call of `obj` makes one (a numpy.ma function, np.asmatrix, np.bmat,
    the classes themselves), else None."""
    if isinstance(obj, type):
        return next((c for c in (np.matrix, np.ma.MaskedArray) if issubclass(obj, c)), None)
    name, mod = getattr(obj, "__name__", ""), getattr(obj, "__module__", None) or ""
    if obj in (np.asmatrix, np.bmat):
        return np.matrix
    if (mod == "numpy.ma" or mod.startswith("numpy.ma.")) and name not in _PLAIN_FROM_MA:
        return np.ma.MaskedArray
    return None
