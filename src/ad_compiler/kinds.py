"""Kinds: what the compiler knows statically about a value's type.

A derivative is compiled once per combination of argument kinds (`kind_of` of each argument at the call):
a Python float stays a float in the generated code, an array is known to be mutable (so in-place updates
and views can be handled exactly), a list of (W, b) tuples is known to be one. Kinds of the values inside
the function are inferred from the arguments' (see `infer` in analysis passes).

    Scalar(cls)            an immutable number (float, int, bool, a NumPy scalar)
    Array(cls, dtype)      a NumPy array (mutable; slices of it are views), or an array of a library that
                           follows NumPy's protocols (a CuPy array, the same semantics; a Dask array: lazy,
                           no views, no in-place changes: `Array.views` is False)
    Numeric                an array or a scalar (not known which: a NumPy function of unknown rank)
    Seq(cls, items, elem)  a list or tuple: `items` (kinds by position) when its length is known, else `elem`
    Dict(keys, items)      a dict with these keys
    Obj(cls, attrs)        an object of the user's class, with the kinds of its attributes
    Func(obj)              a function value known at compile time
    Other(cls)             anything else (None, a string, a module, ...), passed through unchanged
    Str(value)             a string of at most MAX_TEXT characters, with its value: a derivative is compiled
                           per value, so a function chosen by a string argument (`ACTS[name]`,
                           `getattr(np, name)`, `relu if kind == "relu" else np.tanh`) is known when compiling
    UNKNOWN                nothing known
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np


class Kind:
    mutable = True  # may be changed in place (conservative for UNKNOWN)
    numeric = False  # a number or an array (carries a derivative)

    def __repr__(self):
        return self.describe()


@dataclass(frozen=True, repr=False)
class Unknown(Kind):
    def describe(self):
        return "unknown"


UNKNOWN = Unknown()


@dataclass(frozen=True, repr=False)
class Scalar(Kind):
    cls: type
    mutable = False
    numeric = True

    @property
    def is_float(self):
        return self.cls is float

    def describe(self):
        return self.cls.__name__


@dataclass(frozen=True, repr=False)
class Array(Kind):
    cls: type = np.ndarray
    dtype: str = "f"  # dtype.kind: f, i, u, b, c; "?" not known (a dtype made in the function, or chosen by a branch)
    ndim: int = None  # None: not known
    narrow: bool = False  # an argument's dtype that a NumPy scalar or a float64 array operand may widen
    numeric = True  # (float32, int32, ...: `x op= v` keeps it in place, `x op v` may not; see narrow_dtype)

    @property
    def views(self):
        """Do slices of such arrays share memory, and can they be changed in place (NumPy's semantics, which
        the alias pass follows)? Not for Dask arrays: a slice is a new array, `x += 1` makes a new one."""
        return backend_of(self.cls) != "dask"

    def describe(self):
        dims = "" if self.ndim is None else f", {self.ndim}-d"
        return f"{self.cls.__name__}[{self.dtype}{dims}]"


@dataclass(frozen=True, repr=False)
class Numeric(Kind):
    """An array or a scalar: not known which (e.g. `np.sum(x, axis=0)` of an array of unknown rank)."""
    numeric = True

    def describe(self):
        return "array or scalar"


NUMERIC = Numeric()
FLOAT = Scalar(float)
INT = Scalar(int)
BOOL = Scalar(bool)
ARRAY = Array()


@dataclass(frozen=True, repr=False)
class Seq(Kind):
    cls: type  # list or tuple
    items: tuple = None  # kinds by position, when the length is known
    elem: Kind = UNKNOWN  # the join of the items' kinds (None: no items, as in `[]`)

    @property
    def mutable(self):
        return self.cls is not tuple

    def item(self, i=None):
        if self.items is not None and isinstance(i, int) and -len(self.items) <= i < len(self.items):
            return self.items[i]
        return self.elem if self.elem is not None else UNKNOWN

    def describe(self):
        if self.items is not None:
            inner = ", ".join(k.describe() for k in self.items)
            return f"{self.cls.__name__}[{inner}]"
        return f"{self.cls.__name__}[{self.elem.describe() if self.elem is not None else ''}, ...]"


@dataclass(frozen=True, repr=False)
class Dict(Kind):
    keys: tuple
    items: tuple  # kinds, aligned with keys

    def item(self, key):
        for k, v in zip(self.keys, self.items):
            if k == key and type(k) is type(key):
                return v
        return join_all(self.items) if self.items else UNKNOWN

    def describe(self):
        return "dict{" + ", ".join(f"{k!r}: {v.describe()}" for k, v in zip(self.keys, self.items)) + "}"


@dataclass(frozen=True, repr=False)
class Obj(Kind):
    cls: type
    attrs: tuple  # ((name, kind), ...)

    def attr(self, name):
        for n, k in self.attrs:
            if n == name:
                return k
        return None

    def describe(self):
        return f"{self.cls.__name__} object"


@dataclass(frozen=True, repr=False, eq=False)
class Func(Kind):
    obj: object
    mutable = False

    def __eq__(self, other):
        return isinstance(other, Func) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)

    def describe(self):
        return f"function {getattr(self.obj, '__qualname__', self.obj)!s}"


@dataclass(frozen=True, repr=False)
class Other(Kind):
    cls: type
    mutable = False

    def describe(self):
        return self.cls.__name__


@dataclass(frozen=True, repr=False)
class Str(Other):
    """A string whose value is part of the kind (the derivative compiled for it may depend on the value: the
    branch `if kind == "relu":` taken, the function `ACTS[name]` called). Other strings join to `STR`."""
    value: str = ""

    def describe(self):
        return f"str {self.value!r}"


NONE = Other(type(None))
STR = Other(str)
MAX_TEXT = 64  # longer strings (paths, messages) are not specialised on: their kind is STR

_FUNCTION_CLASSES = (type(len), type(lambda: None), np.ufunc)  # builtins, Python functions, NumPy ufuncs
_SCALARS = (float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8,
            np.uint16, np.uint32, np.uint64, np.bool_, np.longdouble)
_scalar_kinds = {c: Scalar(c) for c in _SCALARS}
_array_kinds = {}
MAX_ITEMS = 64  # longer lists are described by the join of their items' kinds


def kind_of(value, depth=0):
    """The kind of a run-time value (the key its derivative is compiled for)."""
    cls = value.__class__
    k = _scalar_kinds.get(cls)
    if k is not None:
        return k
    if cls is np.ndarray:
        key = (value.dtype, value.ndim)
        k = _array_kinds.get(key)
        if k is None:
            k = _array_kinds[key] = Array(np.ndarray, value.dtype.kind, value.ndim, narrow_dtype(value.dtype))
        return k
    if depth > 8:
        return UNKNOWN
    if cls is list or cls is tuple:
        if len(value) <= MAX_ITEMS:
            items = tuple(kind_of(v, depth + 1) for v in value)
            return Seq(cls, items, join_all(items) if items else None)
        sample = {kind_of(v, depth + 1) for v in value}
        return Seq(cls, None, join_all(tuple(sample)))
    if cls is dict:
        if len(value) <= MAX_ITEMS and all(isinstance(k, (str, int)) for k in value):
            return Dict(tuple(value), tuple(kind_of(v, depth + 1) for v in value.values()))
        return UNKNOWN
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return Scalar(cls)
    if isinstance(value, np.generic):
        return Scalar(cls)
    if cls is str and len(value) <= MAX_TEXT:
        return Str(str, value)
    if value is None or cls in (str, bytes, slice, range, type(Ellipsis)):
        return Other(cls)
    if cls in _FUNCTION_CLASSES:  # a function (its derivative is compiled for that function)
        return Func(value)
    if callable(value) and not hasattr(value, "__dict__") or isinstance(value, type):
        return Other(cls)
    if backend_of(cls) is not None:  # a Dask or CuPy array: its shape, dtype and rank (never its values)
        return Array(cls, value.dtype.kind, value.ndim, narrow_dtype(value.dtype))
    if hasattr(value, "__array_function__") or hasattr(value, "__array__"):
        return Other(cls)  # an array-like of another library, or an object converted by np.asarray
    if (hasattr(value, "__dict__") or getattr(cls, "__slots__", None)) and \
            (not callable(value) or _instance_with_call(value)):
        from .runtime import object_attributes  # (its `__dict__` and its `__slots__`)

        attrs = tuple((n, kind_of(v, depth + 1)) for n, v in sorted(object_attributes(value).items())
                      if not n.startswith("__"))
        return Obj(cls, attrs)
    return Other(cls)


_WIDE = frozenset(np.dtype(t) for t in (np.float64, np.complex128, np.int64, np.bool_))


def narrow_dtype(dtype):
    """Is `dtype` one that NumPy's in-place operations keep while the same operation out of place may give
    another (float32, float16, longdouble, complex64, integers other than int64): `x *= np.float64(s)` keeps
    a float32 x, `x * np.float64(s)` is float64 (NumPy 2: NumPy scalars are not weak). False for a dtype
    that is not one (a class, a string that names none)."""
    try:
        return np.dtype(dtype) not in _WIDE
    except (TypeError, ValueError):
        return False


def narrow(kind, depth=0):
    """Does a value of this kind hold an array or NumPy scalar of a narrow dtype (narrow_dtype)?"""
    if depth > 8:
        return False
    if isinstance(kind, Array):
        return kind.narrow
    if isinstance(kind, Scalar):
        return isinstance(kind.cls, type) and issubclass(kind.cls, np.generic) and narrow_dtype(kind.cls)
    if isinstance(kind, Seq):
        return any(narrow(k, depth + 1) for k in (kind.items or (kind.elem,)) if k is not None)
    if isinstance(kind, Dict):
        return any(narrow(k, depth + 1) for k in kind.items)
    if isinstance(kind, Obj):
        return any(narrow(k, depth + 1) for _, k in kind.attrs)
    return False


def narrowed(kind):
    """`kind` with its arrays marked as possibly narrow (a recursive callee's argument in a function that may
    hold narrow arrays: the kinds inferred inside a function do not follow the dtypes' widths)."""
    if isinstance(kind, Array):
        return replace(kind, narrow=True)
    if isinstance(kind, Seq) and kind.items is not None:
        items = tuple(narrowed(k) for k in kind.items)
        return Seq(kind.cls, items, join_all(items) if items else None)
    return kind


def _instance_with_call(value):
    """An instance of a user's class defining `__call__` (a model called as `model(x)`)."""
    import functools
    import types

    return not isinstance(value, (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                                  types.ModuleType, functools.partial, type)) and \
        type(value).__module__ not in ("builtins",) and not type(value).__module__.startswith(("numpy", "scipy"))


_BACKENDS = ("dask", "cupy")  # array libraries whose arrays derivatives take and give back (docs/scale.md)


def backend_of(cls):
    """"dask" or "cupy" for the array classes of those libraries (they implement NumPy's dispatch protocols,
    so NumPy functions called on them run in the library: lazily for Dask, on the GPU for CuPy), else None."""
    top = getattr(cls, "__module__", "").partition(".")[0]
    if top in _BACKENDS and hasattr(cls, "__array_function__") and hasattr(cls, "shape"):
        return top
    return None


def without_views(kind):
    """Does a value of this kind hold an array without NumPy's views and in-place changes (Dask)?"""
    if isinstance(kind, Array):
        return not kind.views
    if isinstance(kind, Seq):
        return any(without_views(k) for k in (kind.items or (kind.elem,)) if k is not None)
    if isinstance(kind, Dict):
        return any(without_views(k) for k in kind.items)
    if isinstance(kind, Obj):
        return any(without_views(k) for _, k in kind.attrs)
    return False


def join(a, b):
    """The least kind both `a` and `b` are instances of."""
    if a == b:
        return a
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        if {a.cls, b.cls} <= {float, int, bool}:
            return FLOAT if float in (a.cls, b.cls) else INT
        return Scalar(np.float64) if a.cls is not float and b.cls is not float else Scalar(np.float64)
    if a.numeric and b.numeric:
        if isinstance(a, Array) and isinstance(b, Array) and a.cls is b.cls:
            return Array(a.cls, _join_dtypes(a.dtype, b.dtype), a.ndim if a.ndim == b.ndim else None)
        return NUMERIC
    if isinstance(a, Seq) and isinstance(b, Seq) and a.cls is b.cls:
        if a.items is not None and b.items is not None and len(a.items) == len(b.items):
            items = tuple(join(x, y) for x, y in zip(a.items, b.items))
            return Seq(a.cls, items, join_all(items) if items else None)
        return Seq(a.cls, None, join(a.elem, b.elem))
    if isinstance(a, Dict) and isinstance(b, Dict) and a.keys == b.keys:
        return Dict(a.keys, tuple(join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Other) and isinstance(b, Other) and a.cls is b.cls:  # (two different strings)
        return Other(a.cls)
    if isinstance(a, Obj) and isinstance(b, Obj) and a.cls is b.cls:
        names = dict(a.attrs)
        merged = tuple((n, join(k, names[n])) for n, k in b.attrs if n in names)
        return Obj(a.cls, merged)
    return UNKNOWN


def _join_dtypes(a, b):
    """The dtype kind of an array that is one of two: "?" (not known) when either may be an integer or bool
    array (`x op= float` raises on those), else "f"."""
    if a == b:
        return a
    return "?" if set(a + b) & set("iub?") else "f"


def maybe_sequences(ka, kb, op):
    """May `a + b` / `a * b` with operands of these kinds be a concatenation / repetition, not known when
    compiling (an operand of unknown kind, such as a recursive call's result, and the other a sequence, or an
    integer for `*`, or of unknown kind too)? Its rule then tells them apart when it runs (`_ad.plus`)."""
    if op not in ("+", "*") or (ka is not UNKNOWN and kb is not UNKNOWN):
        return False
    other = kb if ka is UNKNOWN else ka
    return other is UNKNOWN or isinstance(other, Seq) or op == "*" and other in (INT, BOOL)


def array(ndim=None, dtype="f"):
    return Array(np.ndarray, dtype, ndim)


def ndim_of(kind):
    """0 for a number, the rank of an array when known, else None."""
    if isinstance(kind, Scalar):
        return 0
    if isinstance(kind, Array):
        return kind.ndim
    return None


def join_all(kinds):
    out = None
    for k in kinds:
        out = join(out, k)
    return out if out is not None else UNKNOWN


def describe_args(kinds, names):
    return ", ".join(f"{n}: {k.describe()}" for n, k in zip(names, kinds))


def certainly_numeric(kind):
    """A number, or an array of known rank (not a guess: an "array" of unknown rank may be what a library
    function returns, a list or a tuple of arrays)."""
    return isinstance(kind, Scalar) or (isinstance(kind, Array) and kind.ndim is not None)
