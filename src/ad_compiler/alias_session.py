"""One run of the alias pass (alias.py) over one function: the state its parts share, and their common services.

`Session` holds the function, its arguments' kinds, the mode (`rewrite` the pre-SSA form, or only infer
`kinds` on the SSA form), whether the walk is inside a loop's fixed point (`dry`: analyse, do not rewrite
or refuse), and the parts of the pass (objects, values, calls, stores, refresher, assignments, mutations),
so that each part reaches the others. Its services: located refusals, new temporaries, statements derived
from the user's, and liveness. `Part` is the base of the parts: shortcuts to the session and its parts.
"""
from __future__ import annotations

import ast
import functools
import numbers
import re
import types

import numpy as np

from . import ir, kinds as K
from .alias_domain import Refused
from .errors import UnsupportedError
from .liveness import liveness
from .markers import Checkpointed


class Session:
    """The state shared by the parts of one run of the alias pass, and the services they all use."""

    def __init__(self, fn, param_kinds, alloc, ctx, mode="rewrite"):
        self.fn = fn
        self.param_kinds = param_kinds
        self.alloc = alloc
        self.ctx = ctx
        self.mode = mode  # 'rewrite' | 'kinds' (SSA form: only infer kinds)
        self.callee = False  # a function compiled on its own and called by generated code (recursion)
        self.iterator_items = {}  # a reversed(...) object -> the kind of its items (alias_calls.iterator)
        self.partials = {}  # a functools.partial object -> (the function of the user's, the call making it)
        self.keep_in_place = set()  # keys of the `x op= v` that must stay in place (alias_domain.KeepInPlace)
        self.dry = False  # inside a loop's fixed point: analyse, do not rewrite or refuse
        self.dry_refusals = {}  # id(statement) -> the refusal a pass of a loop's fixed point met at it (alias.block)
        self.unsettled = []  # mode 'rewrite': the loops whose state reached no fixed point (alias.Alias.loop)
        self.head_kinds = {}  # mode 'kinds': name -> the join of its kinds at the heads of the loops carrying it
        self._live = None
        self._assumed = None
        self._narrow = None
        self.small_floats = False  # a float16 array made from bools (alias_library_calls._half_of_bools)
        self.live_key = {}  # id(statement made here) -> id(the statement of the user's it replaces)
        self.also_live = {}  # id(statement made here) -> names a later statement made from the same one reads
        self.dry_temps = 0  # the placeholders' counter: each iteration of a loop's fixed point starts it from the
        # same number (alias.Alias.loop), so that an iteration binds the names the one before bound (compile25:
        # new names at each iteration kept the states from ever being the same, 20 iterations per loop)
        # the parts of the pass (set by alias.Alias)
        self.objects = self.values = self.calls = self.stores = self.refresher = self.several = None
        self.assignments = self.mutations = None

    # -- errors ---------------------------------------------------------------------------------------------
    def refuse(self, stmt, what, hint, deferred=False):
        """Stop: a located error, or `Refused` inside a loop's fixed point or when only inferring kinds."""
        if self.dry or self.mode == "kinds":
            raise Refused(stmt, what, hint, deferred)
        origin = stmt.origin
        where = origin.unit.location(origin.node) if origin is not None else None
        if origin is not None:
            what, hint = _in_user_terms(origin.node, what), _in_user_terms(origin.node, hint)
        raise UnsupportedError(what, where=where, hint=hint, deferred=deferred)

    def mode_refuse(self, stmt, what, hint):
        """`refuse`, and a located error also when only inferring kinds (where `refuse` havocs)."""
        if self.mode == "kinds" and not self.dry:
            self.mode, mode = "rewrite", self.mode
            try:
                self.refuse(stmt, what, hint)
            finally:
                self.mode = mode
        self.refuse(stmt, what, hint)

    @property
    def generic(self):
        """Compiling for arguments of unknown kinds: a refusal that depends on kinds is reported later."""
        return any(k is K.UNKNOWN for k in self.param_kinds)

    @property
    def assumed(self):
        """The names computed from parameters of unknown kind, taken for numbers or arrays in `+` and `*`
        (resolve.from_unknown_parameters; none in a recursive function compiled on its own)."""
        if self._assumed is None:
            from .resolve import from_unknown_parameters

            self._assumed = set() if self.callee or not self.generic else \
                from_unknown_parameters(self.fn, dict(zip(self.fn.params, self.param_kinds)), self.ctx)
        return self._assumed

    @property
    def viewless(self):
        """An argument holds a Dask array: no views and no in-place changes, so NumPy's in-place semantics,
        which the derivative follows, would not be what the function computes (kinds.without_views)."""
        return any(K.without_views(k) for k in self.param_kinds)

    @property
    def narrow(self):
        """May the function hold arrays of a narrow dtype (float32, int32, ...: kinds.narrow_dtype): an argument
        of one, or a constant, global or dtype named in its code? Only then does `x op= v` rewritten as
        `x = x op v` need its result cast back to x's dtype (alias_assign.rebind): where every array is float64
        (or int64, complex128, bool), `x op v` keeps x's dtype whenever NumPy's in-place operation does."""
        if self._narrow is None:
            # (an argument of unknown kind, a dict with tuple keys, may hold anything; not in the generic compile
            # that `.source` shows before a call, where every argument's kind is unknown)
            unknown = K.UNKNOWN in self.param_kinds and not all(k is K.UNKNOWN for k in self.param_kinds)
            self._narrow = unknown or any(_narrow_param(k) for k in self.param_kinds) or _narrow_code(self.fn.body)
        return self._narrow or self.small_floats

    def temp(self):
        """A new temporary name (a placeholder inside a loop's fixed point, where nothing is rewritten)."""
        if self.dry:
            self.dry_temps += 1
            return f"\0dry{self.dry_temps - 1}"
        return self.alloc.temp()

    def derived(self, s, stmt):
        """`stmt`, made by this pass from the user's `s`: same origin, and the same liveness after it."""
        stmt.origin, stmt.nograd, stmt.keep = s.origin, s.nograd, s.keep
        self.live_key[id(stmt)] = self.live_key.get(id(s), id(s))
        if id(s) in self.also_live:
            self.also_live[id(stmt)] = self.also_live[id(s)]
        return stmt

    def param_kind(self, p):
        """The kind of the argument `p`."""
        for q, k in zip(self.fn.params, self.param_kinds):
            if q == p:
                return k
        return K.UNKNOWN

    # -- liveness -----------------------------------------------------------------------------------------------
    def live_after(self, s):
        """The names live after `s` (for a statement this pass made: after the user's it replaces)."""
        if self._live is None:
            self._live = liveness(self.fn)[0]
        live = self._live.get(self.live_key.get(id(s), id(s)), Everything())
        extra = self.also_live.get(id(s))
        return live if extra is None or isinstance(live, Everything) else set(live) | extra


_DTYPE_NAME = re.compile(r"[<>=|]?[a-z]+[0-9]*")


def _narrow_code(body):
    """Does the code name a narrow dtype (`np.float32`, `dtype="f4"`, `.astype("int32")`) or read a global or
    constant holding a narrow array or NumPy scalar?"""
    seen = set()
    todo = [v for s in ir.walk(body, into_functions=True) for n, v in vars(s).items() if n != "origin"]
    while todo:
        e = todo.pop()
        if isinstance(e, (list, tuple)):
            todo.extend(e)
        elif isinstance(e, ir.Global):
            if id(e.obj) not in seen:
                seen.add(id(e.obj))
                obj = e.obj
                if isinstance(obj, type) and issubclass(obj, np.generic) or isinstance(obj, np.dtype):
                    if K.narrow_dtype(obj):
                        return True
                elif _opaque_data(obj):
                    return True
                elif not isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type,
                                          np.ufunc)) and _narrow_value(obj):
                    return True
        elif isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, str):
                if len(v) >= 2 and _DTYPE_NAME.fullmatch(v) and K.narrow_dtype(v):
                    return True
            elif isinstance(v, (type, np.dtype)):
                if K.narrow_dtype(v):
                    return True
            elif _narrow_value(v):
                return True
        elif isinstance(e, ir.Stmt):
            todo.extend(v for n, v in vars(e).items() if n != "origin")
        elif hasattr(e, "__dataclass_fields__") and not isinstance(e, ir.Origin):
            todo.extend(getattr(e, f) for f in e.__dataclass_fields__)
    return False


def _narrow_param(kind, depth=0):
    """May an argument of this kind hold a narrow array, NumPy scalar or dtype? Besides kinds.narrow: a string
    naming a narrow dtype (`d="float32"` for `dtype=d`), a class (`np.float32` and `np.float64` have the same
    kind: the cast must be there for both), a dtype object of a narrow dtype, and a part of unknown kind (a dict
    with tuple keys: its items are not described; dt3-001)."""
    if depth > 8:
        return False
    if K.narrow(kind) or kind is K.UNKNOWN and depth > 0:
        return True
    if isinstance(kind, K.Str):
        return len(kind.value) >= 2 and bool(_DTYPE_NAME.fullmatch(kind.value)) and K.narrow_dtype(kind.value)
    if isinstance(kind, K.Other):
        return kind.cls is type or issubclass(kind.cls, np.dtype) and K.narrow_dtype(getattr(kind.cls, "type", None))
    if isinstance(kind, K.Seq):
        return any(_narrow_param(k, depth + 1) for k in (kind.items or (kind.elem,)) if k is not None)
    if isinstance(kind, K.Dict):
        return any(_narrow_param(k, depth + 1) for k in kind.items)
    if isinstance(kind, K.Obj):
        return any(_narrow_param(k, depth + 1) for _, k in kind.attrs)
    return False


# NumPy's readers of data whose dtype the file or buffer decides (dt3-001: `np.load(path)` of a float32 array)
_DATA_READERS = frozenset(getattr(np, n) for n in ("load", "loadtxt", "genfromtxt", "fromfile", "frombuffer",
                                                     "fromstring", "memmap", "fromregex", "fromiter")
                          if hasattr(np, n))
# modules whose functions give arrays of the dtypes their arguments and dtype names decide (others may give a
# float32 array from anything: a data loader, another array library)
_WIDTH_FOLLOWING = {"numpy", "scipy", "math", "cmath", "builtins", "functools", "itertools", "operator", "_operator",
                    "ad_compiler", "random", "statistics", "copy", "logging", "warnings", "time", "contextlib",
                    "typing", "tqdm", "collections", "json", "re", "string"}


def _opaque_data(obj):
    """Is `obj` a function whose result's dtype its arguments' kinds do not decide (a data reader, a function
    of a library outside _WIDTH_FOLLOWING)?"""
    try:
        if obj in _DATA_READERS:
            return True
    except TypeError:  # (unhashable)
        return False
    if not callable(obj) or isinstance(obj, type):  # (a class: the user's objects are made by the compiler)
        return False
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("scipy.io"):
        return True
    if isinstance(obj, (types.FunctionType, Checkpointed)):  # (the user's own functions are inlined or compiled on
        return False  # their own: a checkpointed one's result, where its dtype is not known, alias_calls.callee_result)
    return bool(module) and module.split(".")[0] not in _WIDTH_FOLLOWING


def _narrow_value(value, depth=0, budget=None):
    """Does this global or constant hold a narrow array, NumPy scalar or dtype, at any depth (a dict with
    any keys, a long list, an object's attributes)?"""
    budget = [2000] if budget is None else budget
    budget[0] -= 1
    if depth > 8 or budget[0] < 0:
        return False
    if isinstance(value, (np.ndarray, np.generic)):
        return K.narrow_dtype(value.dtype)
    if isinstance(value, np.dtype):
        return K.narrow_dtype(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_narrow_value(v, depth + 1, budget) for v in value)
    if isinstance(value, dict):
        return any(_narrow_value(v, depth + 1, budget) for v in value.values())
    if isinstance(value, functools.partial):
        return _narrow_value((value.args, value.keywords), depth + 1, budget)
    if isinstance(value, (str, bytes, numbers.Number, types.ModuleType, type, types.FunctionType, types.MethodType,
                          types.BuiltinFunctionType, np.ufunc)) or value is None:
        return False
    try:
        return K.narrow(K.kind_of(value)) or any(
            _narrow_value(v, depth + 1, budget) for v in runtime_object_attributes(value).values())
    except Exception:  # noqa: BLE001  (an object whose attributes cannot be read: as the alias pass takes it)
        return False


def runtime_object_attributes(value):
    from .runtime import object_attributes

    return object_attributes(value)


class Everything:
    """Liveness of statements made by this pass (not in the original): assume every name is live."""

    def __contains__(self, item):
        return True


class Part:
    """A part of the alias pass: reaches the shared session, and the other parts, through these shortcuts."""

    def __init__(self, session):
        self.session = session

    @property
    def mode(self):
        return self.session.mode

    @property
    def dry(self):
        return self.session.dry

    @property
    def ctx(self):
        return self.session.ctx

    @property
    def objects(self):
        return self.session.objects

    @property
    def values(self):
        return self.session.values

    @property
    def calls(self):
        return self.session.calls

    @property
    def stores(self):
        return self.session.stores

    @property
    def refresher(self):
        return self.session.refresher

    @property
    def assignments(self):
        return self.session.assignments

    @property
    def mutations(self):
        return self.session.mutations

    def refuse(self, stmt, what, hint, deferred=False):
        return self.session.refuse(stmt, what, hint, deferred)

    def temp(self):
        return self.session.temp()

    def derived(self, s, stmt):
        return self.session.derived(s, stmt)


def _in_user_terms(node, text):
    """A message about `ys[0] += b` names `ys[0]`, not the compiler's temporary holding that item (`t5`)."""
    import re

    target = node.target if isinstance(node, ast.AugAssign) else node
    call = node.value if isinstance(node, ast.Expr) else node
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        target = call.func.value  # (`self.seen.append(out)`: the object whose method is called, g4-014)
    if text is None or not isinstance(target, (ast.Subscript, ast.Attribute)):
        return text
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    shown = ast.unparse(target)
    return re.sub(r"(?<![\w.])(t\d+(?:_\d+)*)\b", lambda m: m.group(0) if m.group(1) in names else shown, text)
