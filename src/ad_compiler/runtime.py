"""Runtime helpers called by generated derivative code (as ``_ad.<name>``).

They are small, public and documented: reading generated code should never require guessing what a
helper does. Each has a fast path for the common case (shapes already match, plain floats).
"""
import cmath
import builtins  # noqa: F401  (generated code reaches a builtin the user shadows as _ad.builtins.<name>)
import functools
import types
import math  # noqa: F401  (generated code reaches math through _ad.math when the user has no alias)
import numbers
import types

import numpy as np

from .errors import ADError, NoDerivativeError, NonScalarOutputError, UnsupportedError
from .runtime_backend import (_host, _host_call, as_array, foreign, is_array, like_of, scatter_add, size_of,  # noqa: F401
                              split_at, zeros)
from .markers import no_grad  # noqa: F401  (generated code keeps `with ad.no_grad():` blocks as `with _ad.no_grad():`)
from .trees import ravel as ravel_tree  # noqa: F401  ((vector, unravel) of a tree: ad.ravel)
from .trees import tree_flatten, tree_unflatten

ndarray = np.ndarray
_float = float
_float64 = np.float64
_F64 = np.dtype(np.float64)


# -- shapes -----------------------------------------------------------------------------------------
def unbroadcast(g, x):
    """Reduce the adjoint `g` to the shape of `x` by summing the axes broadcasting added.

    `x` may also be a saved shape (a tuple, or a ShapeOf). Costs one shape comparison when the shapes
    already match. If `g` is smaller than `x` (a scalar
    adjoint of an array), it is broadcast up instead, so the result always has `x`'s shape.
    """
    if g.__class__ is ndarray:
        xc = x.__class__
        if xc is ndarray or xc is ShapeOf or xc is tuple:
            xs = x if xc is tuple else x.shape
            if g.shape == xs:
                return g
            extra = g.ndim - len(xs)
            if extra >= 0:
                if extra:
                    g = np.add.reduce(g, axis=0 if extra == 1 else tuple(range(extra)))
                if 1 not in xs:  # (no axis of x's to sum: the common case of a bias)
                    return g
                axes = tuple(i for i, n in enumerate(xs) if n == 1 and g.shape[i] != 1)
                if axes:
                    g = np.add.reduce(g, axis=axes, keepdims=True)
                return g
    elif x.__class__ is _float or x.__class__ is int:
        return g if g.__class__ is _float else np.sum(g)
    xs = x if x.__class__ is tuple else np.shape(x)  # (a saved shape is a tuple)
    gs = np.shape(g)
    if gs == xs:
        return g
    if not xs:
        return np.sum(g)
    g = as_array(g, _lib(x))
    extra = g.ndim - len(xs)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    if g.ndim == len(xs):
        axes = tuple(i for i, (n, m) in enumerate(zip(xs, g.shape)) if n == 1 and m != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
    if g.shape != xs:
        g = spread(g, x, xs)
    return g


def _lib(*values):
    """An array of another library (Dask, CuPy) among `values` (or the one a ShapeOf was taken of), whose
    library new arrays are made in; None for NumPy arrays and numbers."""
    for v in values:
        if v.__class__ is ShapeOf:
            if v.like is not None:
                return v.like
        elif v.__class__ is not ndarray and foreign(v):
            return v
    return None


def _float_dtype(*values):
    """np.result_type(*values, 1.0), reading the dtype of arrays of other libraries (never their values)."""
    return np.result_type(*[v.dtype if foreign(v) else v for v in values], 1.0)


def spread(g, x, shape, dtype=None):
    """`g` broadcast to `shape` (x's) as a fresh array: in the library of x or g when one is not NumPy's (in
    x's chunks for a Dask array of that shape)."""
    lib = _lib(x, g)
    if lib is None:
        g = np.broadcast_to(g, shape)
        return g.astype(dtype) if dtype is not None and g.dtype != dtype else g.copy()
    dtype = dtype if dtype is not None else _float_dtype(g)
    base = np.zeros_like(x, dtype=dtype) if is_array(x) and np.shape(x) == shape else zeros(shape, dtype, lib)
    return base + g


def unbroadcast_value(g, x):
    """`unbroadcast` for an operand that may be a list or tuple of numbers (NumPy made an array of it). A `g`
    that is itself a list, tuple or dict is the adjoint of a value a container holds as it is (a store into a
    list whose kind the compiler did not know): it is given back unchanged."""
    if isinstance(g, (list, tuple, dict)):
        return g
    if x.__class__ is tuple or x.__class__ is list:
        return unbroadcast(g, np.shape(x))
    return unbroadcast(g, x)


def normalize_axes(axis, ndim):
    """`axis` (None, int, negative int or tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis))
    return (axis % ndim,) if ndim else ()


def keep_reduced(g, x, axis=None, keepdims=False):
    """Reshape a reduction's adjoint (or result) so that it broadcasts against `x` (as if keepdims)."""
    g = as_array(g, _lib(x))
    nd = np.ndim(x)
    if keepdims or nd == 0 or g.ndim == nd:
        return g
    shape = list(np.shape(x))
    for a in normalize_axes(axis, nd):
        shape[a] = 1
    return g.reshape(shape)


def unreduce(g, x, axis=None, keepdims=False):
    """Adjoint of a sum over `axis`: spread `g` back over the summed axes (a fresh array of x's shape)."""
    if x.__class__ is ndarray:
        xs = x.shape
        if axis is None and not keepdims and (g.__class__ is _float or g.__class__ is np.float64):
            return np.full(xs, g)
    else:
        xs = np.shape(x)
    if not xs:
        return g
    if _lib(x, g) is not None:
        return spread(keep_reduced(g, x, axis, keepdims), x, xs)
    if axis is None and not keepdims and np.ndim(g) == 0:
        return np.full(xs, g, dtype=np.result_type(g, 1.0))
    g = keep_reduced(g, x, axis, keepdims)
    return np.broadcast_to(g, xs).copy()


def unreduce_mean(g, x, axis=None, keepdims=False):
    """Adjoint of a mean over `axis`: g / N spread back over the averaged axes (a fresh array)."""
    if x.__class__ is ndarray and axis is None and not keepdims and (g.__class__ is _float or g.__class__ is np.float64):
        return np.full(x.shape, g / x.size)
    return unreduce(g / count_reduced(x, axis), x, axis, keepdims)


def count_reduced(x, axis=None):
    """How many elements of `x` each output of a reduction over `axis` combines."""
    shape = np.shape(x)
    n = 1
    for a in normalize_axes(axis, len(shape)):
        n *= shape[a]
    return n


# -- gradients at the boundary ----------------------------------------------------------------------
def _short_repr(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."



def unit_tangent(x, i):
    """Float NumPy zeros shaped like the array `x` with 1.0 at its flat index `i` (none for i None): the
    tangent of one sweep of a gradient by forward mode (composite.sweeps), of x's rank where the compiler
    reads that code again."""
    out = np.zeros(np.shape(x))
    if i is not None:
        out.flat[i] = 1.0
    return out


def grad_seed(out):
    """The seed of `grad`: 1.0 for a scalar output; raises NonScalarOutputError otherwise."""
    if out.__class__ is _float or out.__class__ is np.float64:
        return 1.0
    if isinstance(out, (tuple, list, dict)):  # (np.shape of `(loss, aux)` raises ValueError: h19-009)
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but it returned a {type(out).__name__} of {len(out)} "
            f"values", hint="if it returns (loss, aux), pass has_aux=True (ad.grad(f, has_aux=True)); for a "
            "derivative of every output, ad.vjp(f) with a seed of the same structure, or ad.jacobian(f)")
    shape = np.shape(out)
    if shape == () or (int(np.prod(shape)) == 1 and shape):
        if np.iscomplexobj(out):  # (JAX and PyTorch refuse it too: which real function's gradient is meant?)
            raise NonScalarOutputError(
                f"grad needs a function with a real scalar output, but it returned the complex value "
                f"{_short_repr(out)}",
                hint="differentiate a real function of it (np.real(y), np.abs(y) ** 2), or use ad.vjp(f) with a "
                "seed, or ad.jvp(f) for the complex tangent")
        if isinstance(out, (numbers.Number, np.generic, ndarray)) or foreign(out):
            return 1.0 if shape == () else np.ones(shape)
    raise NonScalarOutputError(
        f"grad needs a function with a scalar output, but it returned a value of shape {shape}"
        if shape != () else f"grad needs a function with a scalar output, but it returned {type(out).__name__} "
        f"{_short_repr(out)}",
        hint="use ad.vjp(f) and pass a seed of the output's shape (torch's y.backward(v)), "
        "or reduce the output first, e.g. return np.sum(y)",
    )


def vjp_seed(seed, out):
    """Check a `vjp` seed against the output and copy it, so that gradients never alias the caller's seed.
    For a tuple, list or dict output the seed has the same structure (checked entry by entry)."""
    if seed.__class__ is _float and not isinstance(out, (tuple, list, dict)) and not _is_object(out):
        return seed  # (a number for a number, or spread over an array: the gradient of sum(seed * y))
    if seed is None and isinstance(out, (tuple, list, dict)):  # (`x.shape` among the outputs: seeds None)
        seed = dict.fromkeys(out) if isinstance(out, dict) else [None] * len(out)
    if isinstance(out, (tuple, list)):
        if not isinstance(seed, (tuple, list)) or len(seed) != len(out):
            raise NonScalarOutputError(f"the output is a {type(out).__name__} of {len(out)} values; "
                                       "the seed must be a tuple or list of as many",
                                       hint="pass one seed per output value")
        return [vjp_seed(s, o) for s, o in zip(seed, out)]
    if isinstance(out, dict):
        if not isinstance(seed, dict) or set(seed) != set(out):
            raise NonScalarOutputError("the output is a dict; the seed must be a dict with the same keys",
                                       hint=f"keys: {sorted(out)}")
        return {k: vjp_seed(seed[k], out[k]) for k in out}
    if out is None or isinstance(out, (str, bytes)):
        return None  # (not a number: nothing flows back from it, whatever its seed)
    if _is_object(out):  # (a dataclass or model object: the adjoint is a dict by attribute, as its gradient: h27b-010)
        return _object_seed(seed, out)
    if seed is None and (isinstance(out, (int, np.integer, np.bool_)) or
                         isinstance(out, ndarray) and out.dtype.kind in "biu"):
        return None  # (an int or bool output carries no derivative: no seed needed)
    if seed is None:  # (a TypeError in the derivative for a number, h27b-006; PyTorch reads it 1.0, JAX zero)
        raise NonScalarOutputError(f"the seed is None for an output of shape {np.shape(out)}",
                                   hint="pass a seed of the output's shape: zeros where nothing flows back "
                                        "(`np.zeros_like(y)`, 0.0), ones for its sum")
    if np.shape(seed) != np.shape(out):
        raise NonScalarOutputError(
            f"the seed has shape {np.shape(seed)} but the output has shape {np.shape(out)}",
            hint="pass a seed of exactly the output's shape",
        )
    if foreign(seed):
        return seed.astype(_float_dtype(seed))  # (a copy)
    return np.array(seed, dtype=np.result_type(as_array(seed).dtype, 1.0))


def _object_seed(seed, out):
    """A vjp's seed for an object output: a dict of some of its numeric attributes' seeds (the others' are 0),
    or an object of its class; given as a dict by attribute name, checked and copied item by item (a dict was
    made a 0-d object array: an IndexError in the derivative, h27b-010)."""
    numeric = zeros_like(out)
    if isinstance(seed, type(out)) and not isinstance(seed, dict):
        seed = {k: v for k, v in object_attributes(seed).items() if k in numeric}
    if not isinstance(seed, dict):
        raise NonScalarOutputError(f"the output is a {type(out).__name__} object; the seed must be a dict of its "
                                   f"attributes' seeds or a {type(out).__name__} object, got {type(seed).__name__}",
                                   hint=f"attributes: {sorted(numeric)}")
    unknown = [k for k in seed if k not in numeric]
    if unknown:
        raise NonScalarOutputError(f"the seed names {unknown[0]!r}, which is not a number, array or container "
                                   f"attribute of the {type(out).__name__} object", hint=f"attributes: {sorted(numeric)}")
    attrs = object_attributes(out)
    return {k: vjp_seed(v, attrs[k]) for k, v in seed.items()}


def as_grad(b, x):
    """Give the adjoint `b` the type of the argument `x`: a float for a number, a float array of x's shape,
    the same structure for a list, tuple or dict."""
    bc, xc = b.__class__, x.__class__
    if bc is ndarray and xc is ndarray:  # the common case first: a float array of x's shape and dtype
        if b.shape == x.shape and b.dtype is x.dtype and x.dtype.kind == "f" and b.flags.writeable:
            return b
    elif bc is _float and xc is _float:
        return b
    if x is None or isinstance(x, (bool, np.bool_, str, bytes)) or x.__class__ is ndarray and x.dtype.kind in "bSUO":
        return None  # not a number (None in a tree: m25-002): no gradient (ad.ravel leaves it out of the vector too)
    if b is None:
        b = zeros_like(x)
    if isinstance(x, (list, tuple)):
        if isinstance(b, dict) and hasattr(x, "_fields"):  # a named tuple's fields read by name (`p.w`)
            b = [b.get(name) for name in x._fields]
        items = [as_grad(bi, xi) for bi, xi in zip(b, x)]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)  # (a named tuple: by position)
    if isinstance(x, dict):
        return {k: as_grad(b[k], x[k]) for k in x}
    if isinstance(b, dict) or _is_object(x):  # an object: gradients of its (array) attributes, as a dict
        b = b if isinstance(b, dict) else {}
        full = zeros_like(x)
        for k, v in b.items():
            full[k] = as_grad(v, getattr(x, k))
        return full
    if x.__class__ is ndarray:
        if b.__class__ is ndarray and b.shape == x.shape and b.dtype == x.dtype and b.flags.writeable:
            return b
    if _lib(x, b) is not None:
        return _as_foreign_grad(b, x)
    if isinstance(x, ndarray):
        if x.dtype.kind != "c" and np.iscomplexobj(b):
            b = np.real(b)  # a real input's gradient is real (a rule may leave a zero imaginary part)
        dtype = x.dtype if x.dtype.kind == "f" else np.result_type(as_array(b).dtype, 1.0)
        if b.__class__ is ndarray and b.shape == x.shape and b.dtype == dtype and b.flags.writeable:
            return b
        return np.array(np.broadcast_to(b, x.shape), dtype=dtype)
    if isinstance(x, complex):
        return complex(b)
    if np.iscomplexobj(b):
        b = np.real(b)
    return _float(b)


def _as_foreign_grad(b, x):
    """as_grad when `x` or `b` is an array of another library: the gradient stays in its library (a lazy
    Dask array stays lazy: a NumPy argument's gradient that depends on Dask arrays is a Dask array too)."""
    if is_array(x):
        b = as_array(b, _lib(x))
        if x.dtype.kind != "c" and b.dtype.kind == "c":
            b = np.real(b)
        dtype = x.dtype if x.dtype.kind == "f" else _float_dtype(b)
        if b.shape != x.shape:
            if np.broadcast_shapes(b.shape, x.shape) != x.shape:  # (as np.broadcast_to refuses it for NumPy)
                raise ADError(f"a gradient of shape {b.shape} for an argument of shape {x.shape}",
                              hint="a function computing another shape with these arrays than with NumPy's")
            return spread(b, x, x.shape, dtype)
        return b.astype(dtype) if b.dtype != dtype else b
    if isinstance(x, complex):
        return b
    return np.real(b) if b.dtype.kind == "c" else b  # a number's gradient: a 0-d array, not computed here


def zeros_like(x):
    """Float zeros shaped like `x` (0.0 for a number); lists, tuples and dicts keep their structure."""
    if x.__class__ is ndarray and x.dtype is _F64:  # (the common case first)
        return np.zeros(x.shape)
    if x.__class__ is _float or x.__class__ is int:  # (the common case of lists of numbers: p.tolist())
        return 0.0
    if isinstance(x, ndarray):
        return np.zeros(x.shape, dtype=np.result_type(x.dtype, 1.0))
    if x.__class__ is ShapeOf:
        return zeros(x.shape, np.result_type(x.dtype, 1.0), x.like)
    if foreign(x):  # (in x's chunks for a Dask array)
        return np.zeros_like(x, dtype=np.result_type(x.dtype, 1.0))
    if x is None:  # (the zero of a cleared list or dict entry, see pop_item)
        return None
    if isinstance(x, (list, tuple)):
        return [zeros_like(v) for v in x]  # a list even for a tuple: adjoints are filled in place
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, np.generic) and x.dtype.kind == "c" or isinstance(x, complex):
        return 0j
    if _is_object(x):  # a model object: zeros for each array or number attribute, by name
        return {k: zeros_like(v) for k, v in object_attributes(x).items()
                if isinstance(v, (ndarray, numbers.Number, list, tuple, dict)) or _is_object(v)}  # (h17-017: tuples)
    return 0.0


def _is_object(x):
    """An instance of a user's class (a model: also one with `__call__`), not a function, class or module."""
    return (hasattr(x, "__dict__") or _slot_names(type(x))) and \
        not isinstance(x, (ndarray, np.generic, numbers.Number, type, list, tuple, dict, str, bytes)) \
        and not isinstance(x, _NOT_OBJECTS) and not foreign(x)


_NOT_OBJECTS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.ModuleType,
                functools.partial)


def object_attributes(x):
    """An object's attributes by name: those in its `__dict__` and in the `__slots__` of its classes."""
    attrs = {}
    for name in _slot_names(type(x)):
        try:
            attrs[name] = getattr(x, name)
        except AttributeError:  # (a slot never assigned)
            pass
    attrs.update(getattr(x, "__dict__", {}))
    return attrs


def _slot_names(cls):
    names = []
    for c in cls.__mro__:
        slots = c.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and name not in names:
                names.append(name)
    return names


def add(a, b):
    """Structure-aware sum of two gradients (arrays, numbers, or lists/tuples/dicts of them; None is the
    zero of a list or dict whose length changes, see pop_item)."""
    if a is None:
        return b
    if b is None:
        return a
    a_held, b_held = isinstance(a, (list, tuple, dict)), isinstance(b, (list, tuple, dict))
    if not a_held and not b_held:  # (numbers and arrays: the common case)
        return a + b
    if a_held != b_held:
        # (a number's or array's zeros beside a container's adjoint: the zeros a store's adjoint left in a slot a
        # container was replaced in (pop_item, g4-010), which stand for nothing)
        stale, other = (b, a) if a_held else (a, b)
        if not np.any(stale):
            return other
    if isinstance(a, (list, tuple)):
        return type(a)(add(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, dict):
        return {k: add(a[k], b[k]) if k in a and k in b else (a[k] if k in a else b[k]) for k in {**a, **b}}
    return a + b


def falling_factorial(k, n):
    """k (k-1) ... (k-n+1): the factor of the n-th derivative of x**k."""
    c = 1
    for j in range(n):
        c = c * (k - j)
    return c


def power_partial(x, k, n=1):
    """The n-th derivative of x**k in x, k (k-1) ... (k-n+1) x**(k-n), exactly 0 where the factor is 0 (an
    integer 0 <= k < n: x**k is then a polynomial of degree below n), even at x = 0 where x**(k-n) is infinite
    (0 * inf would be NaN, or a ZeroDivisionError for a Python float)."""
    c = falling_factorial(k, n)
    if np.ndim(k) == 0:
        return zeros_like(x) if c == 0 else c * x ** (k - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = c * np.power(x, k - n)
    return np.where(c == 0, 0.0, d)


def power_partial_exponent(x, k, n=1):
    """d power_partial(x, k, n) / dk for x > 0: x**(k-n) (P'(k) + P(k) log x) with P the falling factorial;
    0 where x <= 0 (as d x**k / dk, see the rule of np.power), except for Python numbers whose power is complex
    (`(-2.0) ** 0.5`): there the same formula with the complex log (h26b-004)."""
    slope = sum(falling_factorial(k, i) * falling_factorial(k - i - 1, n - i - 1) for i in range(n))
    if x.__class__ in (_float, int) and k.__class__ in (_float, int) and x < 0 and \
            isinstance(x ** (k - n), complex):
        return x ** (k - n) * (slope + falling_factorial(k, n) * cmath.log(x))
    pos = np.where(np.greater(x, 0), x, 1.0)
    return np.where(np.greater(x, 0), pos ** (k - n) * (slope + falling_factorial(k, n) * np.log(pos)), 0.0)


# -- rules' helpers ---------------------------------------------------------------------------------
def max_share(a, b):
    """Share of the gradient of maximum(a, b) that goes to `a`: 1 where a > b, 0.5 on ties, else 0."""
    return (a > b) + 0.5 * (a == b)


def min_share(a, b):
    """Share of the gradient of minimum(a, b) that goes to `a`: 1 where a < b, 0.5 on ties, else 0."""
    return (a < b) + 0.5 * (a == b)


def _into(out, *operands):
    """`out` if it can take the result of an elementwise operation on `operands` in place (a writeable float
    array of their broadcast shape), else None."""
    if out is None or out.__class__ is not ndarray or out.dtype.kind not in "fc" or not out.flags.writeable:
        return None
    shape = out.shape
    for a in operands:
        s = np.shape(a)
        if s != shape and np.broadcast_shapes(s, shape) != shape:
            return None
    return out


def max_vjp(g, a, b, out=None):
    """The adjoint of `a` in maximum(a, b): `g` where a > b, half of it on ties (a == b), 0 elsewhere. One
    masked multiply; written into `out` (the buffer of `g`, when nothing else reads it) if given."""
    win = a > b
    if win.__class__ is not ndarray:
        if foreign(win):  # (a Dask or CuPy array: lazily, no truth value asked)
            return g * (win + 0.5 * (a == b))
        return g if win else (0.5 * g if a == b else 0.0 * g)  # numbers
    tie = a == b
    if out is g and g.__class__ is ndarray and g.dtype is _F64 and g.shape == win.shape and g.flags.writeable \
            and not np.count_nonzero(tie):  # (a ReLU's adjoint: no tie; the mask read as 0 / 1 bytes, 20% faster)
        return np.multiply(g, win.view(np.uint8), out=g)
    share = win + 0.5 * tie if tie.any() else win
    return np.multiply(g, share, out=_into(out, g, share))


def min_vjp(g, a, b, out=None):
    """The adjoint of `a` in minimum(a, b): `g` where a < b, half of it on ties, 0 elsewhere (see max_vjp)."""
    return max_vjp(g, b, a, out)


def abs_vjp(g, x, out=None):
    """The adjoint of `x` in abs(x): g * sign(x) (0 at 0) for a real x, Re(g) conj(x / |x|) for a complex
    one; written into `out` if given."""
    xc = x.__class__
    if (xc is _float or xc is int) and g.__class__ is _float:
        return g if x > 0 else (-g if x < 0 else (0.0 if x == 0 else g * x))  # (NaN stays NaN)
    if xc is bool or xc is np.bool_ or xc is ndarray and x.dtype.kind == "b":
        x = x.astype(np.int8) if xc is ndarray else int(x)  # (np.sign has no bool loop: h28a-001, a crash)
        if x.__class__ is int and g.__class__ is _float:
            return g if x else 0.0
    if np.iscomplexobj(x) or np.iscomplexobj(g):
        return np.real(g) * np.conj(sign(x))
    s = np.sign(x)
    return np.multiply(g, s, out=_into(out, g, s))


def where_vjp(g, condition, first=True, out=None):
    """The adjoint of the first (second) operand of np.where(condition, x, y): `g` where the condition holds
    (does not hold), 0 elsewhere; written into `out` if given."""
    buf = _into(out, g, condition)
    if buf is None:
        return np.where(condition, g, 0.0) if first else np.where(condition, 0.0, g)
    np.copyto(buf, 0.0, where=np.logical_not(condition) if first else condition)
    return buf


def attribute_vjp(g, x, attr):
    """Adjoint of `x.attr` for a value not known as an object when compiling (an argument): a named tuple's
    adjoint by position, as its items' adjoints are (`n.a` and `n[0]` add up: h17-010), else `{attr: g}`."""
    fields = getattr(type(x), "_fields", None)
    if isinstance(x, tuple) and fields is not None and attr in fields:
        out = [None] * len(x)  # (None: the zero of an entry, see add)
        out[fields.index(attr)] = g
        return out
    return {attr: g}


def attribute_entry(b, x, attr):
    """The entry of `x.attr` in an adjoint `b` of x made by attribute_vjp (its transpose, for second
    derivatives): by position for a named tuple, else by name."""
    fields = getattr(type(x), "_fields", None)
    if isinstance(x, tuple) and fields is not None and attr in fields and isinstance(b, (list, tuple)):
        v = b[fields.index(attr)]
    else:
        v = b.get(attr) if isinstance(b, dict) else getattr(b, attr)
    return zeros_like(getattr(x, attr)) if v is None else v


def getitem_vjp(g, x, index):
    """Adjoint of `x[index]`: zeros of x's shape with `g` added at `index` (repeated indices add up). x may be
    the ShapeOf an array the tape saved as its shape and dtype (tape_decide.SHAPE_ONLY)."""
    if (x.__class__ is ndarray or x.__class__ is ShapeOf and x.like is None) and x.dtype is _F64 and \
            (g.__class__ is _float or g.__class__ is ndarray):
        out = np.zeros(x.shape)  # (all NumPy, float64: the branches below without their tests)
        if index.__class__ is tuple and len(index) == 1:
            index = index[0]
        if _is_basic_index(index):
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out
    if x.__class__ is ShapeOf:
        out = zeros(x.shape, np.result_type(x.dtype, 1.0), _lib(x) if _lib(x) is not None else _lib(g))
    else:
        out = zeros_like(x) if _lib(g) is None or _lib(x) is not None or not is_array(x) else \
            zeros(np.shape(x), _float_dtype(x), _lib(g))  # (a NumPy x's adjoint made of Dask values: lazy too)
    if isinstance(x, (list, tuple, dict)):
        out[index] = g
        return out
    if isinstance(index, tuple) and len(index) == 1:
        index = index[0]
    if _is_basic_index(index):
        if _lib(out) is not None and any(i is None for i in (index if isinstance(index, tuple) else (index,))):
            index = tuple(i for i in index if i is not None) if isinstance(index, tuple) else ...
            read = np.broadcast_to(0.0, x.shape)[index] if x.__class__ is ShapeOf else x[index]
            g = np.reshape(g, np.shape(read))  # (Dask stores through no new axis: g without them)
        out[index] = g
    elif _lib(out) is not None:
        return _added_at_foreign(out, index, g)
    else:
        np.add.at(out, index, g)
    return out


def item_vjp(g, x, args=()):
    """Adjoint of `x.item(*args)`: `g` at the element read (no args: the only one; one int: a flat index,
    as numpy reads it; a tuple or several ints: a multi-index)."""
    if not args:
        return unreduce(g, x)
    index = args[0] if len(args) == 1 else args
    if not isinstance(index, tuple):
        index = np.unravel_index(index % np.size(x), np.shape(x))
    return getitem_vjp(g, x, tuple(index))


def item_of(h, args=()):
    """`h.item(*args)` for an array or a number h: the element item_vjp puts its adjoint at (the transpose of
    item_vjp, its rule in rules/helpers.py)."""
    return as_array(h).item(*args)


def jacobian_tree(J, value, shape):
    """A Jacobian's rows (one per number of the tree `value`, in ad.ravel's order) as a tree like `value`:
    each leaf's block of shape leaf.shape + shape (the shape of the argument differentiated)."""
    leaves, treedef = tree_flatten(value)
    blocks, start = [], 0
    for leaf in leaves:
        size = int(np.size(leaf))
        blocks.append(np.reshape(J[start:start + size], np.shape(leaf) + tuple(shape)))
        start += size
    return tree_unflatten(treedef, blocks)


def jacobians_by_leaf(jacobians, value):
    """Jacobian trees, one per argument, as one tree like `value` whose leaves are tuples (one block per
    argument): JAX's layout for several `argnums`."""
    leaves, treedef = tree_flatten(value)
    per_argument = [tree_flatten(j)[0] for j in jacobians]
    return tree_unflatten(treedef, [tuple(blocks[k] for blocks in per_argument) for k in range(len(leaves))])


def add_at(b, index, g):
    """In place: add `g` into `b[index]` (repeated indices add up, as in the adjoint of a gather)."""
    if isinstance(b, (list, dict)):
        old = b[index]
        if old.__class__ is _float and g.__class__ is _float:  # (an entry of a list of numbers' adjoint)
            b[index] = old + g
            return
        # (zeros of another shape than g, the item's adjoint, are those a later store into the slot left: g4-010)
        b[index] = g if _stale_zero(old, g) else add(old, g)
    elif _is_basic_index(index):
        b[index] += g
    elif _lib(b) is not None:
        b[(slice(None),) * b.ndim] = _added_at_foreign(b, index, g)
    else:
        np.add.at(b, index, g)


def _added_at_foreign(b, index, g):
    """A new array: `b` (of another library) with `g` added at `index`. A fancy index adds repeated entries
    up (np.add.at); for a library without it (Dask) the entries are added up in NumPy and the result made
    an array of b's library again: g and the index are computed here (docs/scale.md)."""
    out = b.copy()
    if _is_basic_index(index):
        out[index] += g
        return out
    try:
        np.add.at(out, index, g)  # (CuPy has ufunc.at)
        return out
    except TypeError:
        pass
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(_host(i) for i in items)
    scattered = np.zeros(b.shape, dtype=_float_dtype(b, g))
    np.add.at(scattered, items if isinstance(index, tuple) else items[0], _host(g))
    return b + as_array(scattered, _lib(b))


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if i.__class__ is ndarray:  # (before the test of numbers.Integral, an abstract class: slow)
            return False
        if not (i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral))):
            return False
    return True


def matmul_vjp_a(g, a, b):
    """Adjoint of `a` in `a @ b`: g @ b.T (with the 1-D and batched cases of matmul)."""
    a, b = _listed(a), _listed(b)  # (`np.matmul(p.tolist(), p)`: a list has no .ndim, h28c-005)
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T
    if b.ndim == 1:
        if a.ndim == 1:
            return g * b
        return unbroadcast(np.expand_dims(g, -1) * b, a)
    if a.ndim == 1:  # g has b's batch axes and b's last axis: make it a batch of row vectors
        return unbroadcast(np.expand_dims(g, -2) @ np.swapaxes(b, -1, -2), a)
    return unbroadcast(g @ np.swapaxes(b, -1, -2), a)


def matmul_vjp_b(g, a, b):
    """Adjoint of `b` in `a @ b`: a.T @ g (with the 1-D and batched cases of matmul)."""
    a, b = _listed(a), _listed(b)  # (`np.matmul(p.tolist(), p)`: a list has no .ndim, h28c-005)
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        return unbroadcast(np.expand_dims(a, -1) * np.expand_dims(g, -2), b)
    if b.ndim == 1:  # g has a's shape without its last axis: contract over all of g's axes
        if a.ndim == 2:
            return g @ a
        return np.tensordot(g, a, axes=(tuple(range(g.ndim)), tuple(range(a.ndim - 1))))
    if b.ndim == 2:  # a stack of matrices times one matrix: one product over all the rows of the stack
        return a.reshape(-1, a.shape[-1]).T @ g.reshape(-1, g.shape[-1])
    return unbroadcast(np.swapaxes(a, -1, -2) @ g, b)


def _listed(v):
    """A list or tuple (of numbers, of lists) as the array NumPy reads it as; anything else as it is."""
    return np.asarray(v) if isinstance(v, (list, tuple)) else v


def dot_vjp_a(g, a, b):
    """Adjoint of `a` in `np.dot(a, b)` (numbers, vectors, matrices; N-D follows np.dot's sum-product)."""
    a, b = _listed(a), _listed(b)  # (`np.dot(a, a)` of lists of numbers: `g * b` of a list raised, h28c-005)
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd == 1:
        return np.multiply.outer(g, b) if a_nd > 1 else g * b
    # sum over b's second-to-last axis: out[i..., j..., k] = sum_m a[i..., m] b[j..., m, k]
    g = as_array(g)
    b_axes = list(range(b_nd - 2)) + [b_nd - 1]
    g_axes = list(range(a_nd - 1, g.ndim))
    return np.tensordot(g, b, axes=(g_axes, b_axes))


def dot_vjp_b(g, a, b):
    """Adjoint of `b` in `np.dot(a, b)`."""
    a, b = _listed(a), _listed(b)  # (`np.dot(a, a)` of lists of numbers: `g * b` of a list raised, h28c-005)
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if a_nd == 1 and b_nd == 1:
        return g * a
    g = as_array(g)
    if b_nd == 1:
        return np.tensordot(a, g, axes=(list(range(a_nd - 1)), list(range(a_nd - 1))))
    lead = list(range(a_nd - 1))
    res = np.tensordot(a, g, axes=(lead, lead))  # shape (m, j..., k)
    return np.moveaxis(res, 0, -2)


def reduce_extreme_vjp(g, x, ans, axis=None, keepdims=False):
    """Adjoint of max/min over `axis`: the gradient goes to the extreme entries, shared equally on ties."""
    if np.ndim(x) == 0:
        return g
    a = keep_reduced(ans, x, axis, keepdims)
    mask = x == a
    count = np.sum(mask, axis=normalize_axes(axis, np.ndim(x)), keepdims=True)
    return keep_reduced(g, x, axis, keepdims) * mask / count


def prod_vjp(g, x, axis=None, keepdims=False):
    """Adjoint of prod over `axis`, exact also when entries are zero (product of all the others)."""
    x = as_array(x)
    if x.ndim == 0:
        return g
    axes = normalize_axes(axis, x.ndim)
    moved = np.moveaxis(x, axes, tuple(range(len(axes))))
    lead = moved.shape[: len(axes)]
    flat = moved.reshape((-1,) + moved.shape[len(axes):])
    n = flat.shape[0]
    ones = np.ones((1,) + flat.shape[1:], dtype=flat.dtype)
    before = np.concatenate([ones, np.cumprod(flat[:-1], axis=0)], axis=0) if n else flat
    after = np.concatenate([np.cumprod(flat[::-1][:-1], axis=0)[::-1], ones], axis=0) if n else flat
    others = (before * after).reshape(lead + moved.shape[len(axes):])
    others = np.moveaxis(others, tuple(range(len(axes))), axes)
    return keep_reduced(g, x, axis, keepdims) * others


def var_vjp(g, x, axis=None, ddof=0, keepdims=False):
    """Adjoint of var over `axis`: 2 conj(x - mean) / (N - ddof) (the conjugate for a complex x: var is the
    mean of |x - mean|^2; docs/rules.md, "Complex intermediates")."""
    n = count_reduced(x, axis)
    centered = np.conj(x - np.mean(x, axis=axis, keepdims=True))
    return keep_reduced(g, x, axis, keepdims) * (2.0 / (n - ddof)) * centered


def std_vjp(g, x, ans, axis=None, ddof=0, keepdims=False):
    """Adjoint of std over `axis`: (x - mean) / ((N - ddof) std); 0 where the spread is 0 (all entries equal:
    std is not differentiable there; 0 is autograd's convention, a subgradient). All entries equal is tested
    on the entries (equal up to rounding, `_no_spread`), not by std == 0: the mean of equal numbers may
    differ from them in the last bit, which leaves a std of rounding noise and a quotient of noise by noise."""
    n = count_reduced(x, axis)
    centered = np.conj(x - np.mean(x, axis=axis, keepdims=True))  # (conj(x - mean) for a complex x)
    s = keep_reduced(ans, x, axis, keepdims)
    flat = _no_spread(x, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = keep_reduced(g, x, axis, keepdims) * centered / ((n - ddof) * s)
    return np.where(flat, 0.0, out) if np.ndim(out) or _lib(out) is not None else (0.0 if flat else out)


def _no_spread(x, axis):
    """Where all the entries reduced over `axis` are equal, up to rounding: within a few units in the last
    place of the largest (keepdims shape). Entries computed as equal numbers in different orders differ in
    their last bits; their std is rounding noise, and its derivative noise divided by noise."""
    if size_of(x) == 0:
        return np.ones(np.shape(np.mean(x, axis=axis, keepdims=True)), dtype=bool)
    hi, lo = np.max(x, axis=axis, keepdims=True), np.min(x, axis=axis, keepdims=True)
    eps = np.finfo(_float_dtype(x)).eps
    return hi - lo <= 8 * eps * np.maximum(np.abs(hi), np.abs(lo))


def cumsum_vjp(g, x, axis=None):
    """Adjoint of cumsum: the reversed cumulative sum of `g` (flattened first when axis is None)."""
    if axis is None:
        flat = np.ravel(g)
        return np.cumsum(flat[::-1])[::-1].reshape(np.shape(x))
    g = np.flip(g, axis)
    return np.flip(np.cumsum(g, axis=axis), axis)


def transpose_vjp(g, axes=None):
    """Adjoint of transpose(x, axes): transpose back with the inverse permutation."""
    if isinstance(axes, tuple) and len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]  # x.transpose((1, 0)) as well as x.transpose(1, 0)
    if axes is None or len(axes) == 0:
        return np.transpose(g)
    return np.transpose(g, tuple(int(i) for i in np.argsort([a % np.ndim(g) for a in axes])))


def transpose_axes(axes=None):
    """The permutation `x.transpose(*axes)` / `np.transpose(x, axes)` applies, as np.transpose takes it (None:
    reverse the axes): the transpose of transpose_vjp (its rule in rules/helpers.py)."""
    if isinstance(axes, tuple) and len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    if axes is None or len(axes) == 0:
        return None
    return tuple(int(i) for i in axes)


def split_along(g, pieces, axis=0):
    """Adjoint of concatenate: cut `g` along `axis` into pieces shaped like the inputs."""
    if axis is None:
        sizes = [size_of(p) for p in pieces]
        flat = np.ravel(g)
        bounds = np.cumsum(sizes)[:-1]
        return [part.reshape(np.shape(p)) for part, p in zip(split_at(flat, bounds, 0), pieces)]
    if g.__class__ is ndarray and pieces.__class__ in (list, tuple) and \
            all(p.__class__ is ndarray and p.dtype == g.dtype for p in pieces):  # (views of g, as np.split's)
        head, lo, out = (slice(None),) * (axis % g.ndim), 0, []
        for p in pieces:
            hi = lo + p.shape[axis]
            out.append(g[head + (slice(lo, hi),)])
            lo = hi
        return out
    bounds = np.cumsum([np.shape(p)[axis] for p in pieces])[:-1]
    return cast_like(split_at(g, bounds, axis), pieces)


def sum_product(a, b, like):
    """unbroadcast(a * b, like): the products summed to `like`'s shape, as one dot product when `like` is a
    number and a and b real NumPy arrays of one shape (no array of the products): a number's share of an
    elementwise operation (reverse.Reverse.number_sum)."""
    if a.__class__ is ndarray and b.__class__ is ndarray and a.shape == b.shape and a.dtype.kind == "f" and \
            b.dtype.kind == "f" and (like.__class__ is _float or like.__class__ is np.float64):
        if a.flags.c_contiguous and b.flags.c_contiguous or a.flags.f_contiguous and b.flags.f_contiguous:
            return np.dot(a.ravel(order="K"), b.ravel(order="K"))  # (the same order: no copies)
        return np.vdot(a, b)
    return unbroadcast(a * b, like)


def logistic_of(d, x):
    """`1.0 / d` where d = 1 + exp(-x): the statement the compiler differentiates as the logistic function of
    x (fuse_logistic.py). Generated code never calls it: it keeps the user's division."""
    return 1.0 / d


def piece_slice(pieces, k, axis, ndim):
    """Where piece k of np.concatenate(pieces, axis) lies along `axis`: a slice (split_products.py, which
    chose the product's factor to cut for pieces of rank `ndim`: checked here)."""
    if pieces.__class__ is list and all(p.__class__ is ndarray for p in pieces) and pieces[k].ndim == ndim:
        lo = 0  # (NumPy arrays: their own shapes, without np.shape's calls)
        for p in pieces[:k]:
            lo += p.shape[axis]
        return slice(lo, lo + pieces[k].shape[axis])
    if np.ndim(pieces[k]) != ndim:
        raise AssertionError(f"ad_compiler: a concatenated piece has rank {np.ndim(pieces[k])}, not the {ndim} "
                             "its kind said (please report this)")
    lo = 0
    for p in pieces[:k]:
        lo += np.shape(p)[axis]
    return slice(lo, lo + np.shape(pieces[k])[axis])


def join_slices(x, axis, bounds, values):
    """The adjoint of x read in slices along `axis` (join_slices.py): zeros like x, `values[0]` stored at
    x[..., lo:hi] for the first `(lo, hi)` of `bounds` and each other value added at its slice. When the
    slices tile the axis (each non-empty one begins where another ends, from 0 to the axis's length) and
    the values are NumPy arrays of their slices' shapes whose concatenation has the zeros' dtype, that is
    their concatenation in the order of the axis: one copy instead of zeros and a read, add and write per
    slice."""
    xc = x.__class__
    if (xc is ndarray or xc is ShapeOf and x.like is None) and x.dtype.kind == "f" and 0 <= axis < len(x.shape):
        n, found = x.shape[axis], []  # (x: the array or its saved shape)
        for k, (lo, hi) in enumerate(bounds):
            if lo is None:
                lo = 0
            if hi is None:
                hi = n
            v = values[k]
            if lo.__class__ is not int or hi.__class__ is not int or not 0 <= lo <= hi <= n or \
                    v.__class__ is not ndarray or v.ndim <= axis or v.shape[axis] != hi - lo:
                break
            if hi > lo:
                found.append((lo, hi, k))
        else:
            found.sort()
            end = 0
            for lo, hi, _ in found:
                if lo != end:
                    break
                end = hi
            else:
                if end == n and found:
                    try:
                        out = np.concatenate([values[k] for _, _, k in found], axis=axis)
                    except ValueError:  # (the other axes differ: the stores below say how)
                        out = None
                    if out is not None and out.shape == x.shape and out.dtype == x.dtype:
                        return out  # (a value of a narrower float dtype is widened, as a store widens it)
    out = zeros_like(x)
    head = (slice(None),) * axis
    for k, ((lo, hi), v) in enumerate(zip(bounds, values)):
        if k == 0:
            out[head + (slice(lo, hi),)] = v
        else:
            out[head + (slice(lo, hi),)] += v
    return out


def join_slices_vjp(g, axis, bounds, values):
    """The transpose of join_slices in its values: each value's slice of `g`, summed to the value's shape."""
    head = (slice(None),) * axis
    return [unbroadcast(g[head + (slice(lo, hi),)], v) for (lo, hi), v in zip(bounds, values)]


def unstack(g, axis=0, arrays=None):
    """Adjoint of stack: the slices of `g` along `axis` (an array if the arrays came as one)."""
    parts = [np.take(g, i, axis=axis) for i in range(np.shape(g)[axis])]
    return cast_like(parts, arrays) if arrays is not None else parts


def trace_vjp(g, x, offset=0, axis1=0, axis2=1):
    """Adjoint of trace: `g` placed on the (offset) diagonal of the two axes."""
    if _lib(x, g) is not None:  # (no writeable views of a Dask array: g times the diagonal's mask)
        n, m = np.shape(x)[axis1], np.shape(x)[axis2]
        mask = as_array(np.eye(n, m, k=offset), _lib(x, g))
        part = (np.expand_dims(np.expand_dims(g, -1), -1) if np.ndim(g) else g) * mask
        return np.moveaxis(part, (-2, -1), (axis1, axis2))
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g, 1.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n, m = view.shape[-2], view.shape[-1]
    i = np.arange(max(0, -offset), min(n, m - offset))
    view[..., i, i + offset] = np.expand_dims(g, -1) if np.ndim(g) else g
    return out


def einsum_vjp(g, subscripts, operands):
    """Adjoints of all operands of einsum(subscripts, *operands), each again an einsum.

    The adjoint of operand k contracts the output adjoint with the other operands. Letters that only
    operand k has (summed out) come back through a vector of ones; broadcast (`...`) axes the operand does
    not have, or has with size 1, are summed; a repeated letter (a diagonal, as in 'ii') is written through
    einsum's writeable diagonal view.
    """
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        inputs, output = spec.split("->")
    else:
        inputs = spec
        letters = [c for c in inputs if c.isalpha()]
        output = ("..." if "..." in inputs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = inputs.split(",")
    g = as_array(g)
    result = []
    for k, (term, x) in enumerate(zip(terms, operands)):
        x = as_array(x)
        others = [t for j, t in enumerate(terms) if j != k]
        other_ops = [o for j, o in enumerate(operands) if j != k]
        letters = term.replace("...", "")
        sizes = _letter_sizes(term, x.shape)
        unique = "".join(dict.fromkeys(letters))
        present = set(output.replace("...", "") + "".join(t.replace("...", "") for t in others))
        lone = [c for c in unique if c not in present]
        subs = [output] + others + lone
        ops = [g] + other_ops + [np.ones(sizes[c]) for c in lone]
        if any("..." in t for t in subs + [term]):
            part = np.einsum(",".join(subs) + "->..." + unique, *ops)
            if "..." in term:
                head, tail = term.split("...")
                ellipsis = x.shape[len(head):x.ndim - len(tail)]
            else:
                ellipsis = ()
            extra = part.ndim - len(unique) - len(ellipsis)
            if extra > 0:  # broadcast axes this operand does not have
                part = np.sum(part, axis=tuple(range(extra)))
            ones = tuple(i for i, n in enumerate(ellipsis) if n == 1 and part.shape[i] != 1)
            if ones:  # broadcast axes this operand has with size 1
                part = np.sum(part, axis=ones, keepdims=True)
            target = "..." + unique
        else:
            part = np.einsum(",".join(subs) + "->" + unique, *ops)
            target = unique
        lib = _lib(part)
        if target != term and lib is not None and len(set(letters)) == len(letters):
            part = np.einsum(target + "->" + term, part)  # (another library: the operand's order of axes)
        elif target != term:  # the operand's own layout (order of axes, diagonals) through a view of zeros
            out = np.zeros(x.shape, dtype=np.result_type(part.dtype, 1.0))
            np.einsum(term + "->" + target, out)[...] = _host(part)  # (a diagonal: Dask's is computed here)
            part = out if lib is None else as_array(out, lib)
        result.append(unbroadcast(part, x))
    return result


def _letter_sizes(term, shape):
    """Size of each letter of an einsum term, given the operand's shape."""
    sizes = {}
    if "..." in term:
        head, tail = term.split("...")
        for i, c in enumerate(head):
            sizes[c] = shape[i]
        for i, c in enumerate(tail):
            sizes[c] = shape[len(shape) - len(tail) + i]
    else:
        for i, c in enumerate(term):
            sizes[c] = shape[i]
    return sizes


def inside(a, a_min=None, a_max=None):
    """1.0 where `a` lies within [a_min, a_max] (a bound of None is no bound), else 0.0: clip's derivative."""
    if _lib(a, a_min, a_max) is not None:  # (no in-place `&=` on a Dask array; a 0-d array is not computed)
        mask = (a >= a_min) if a_min is not None else True
        if a_min is not None and a_max is not None:
            mask = mask & (a_min < a_max)
        return mask & (a <= a_max) if a_max is not None else mask | (a != a)
    mask = np.ones(np.shape(a), dtype=bool)
    if a_min is not None:  # (not `&=`: bounds may broadcast a to a larger shape, sig25-002)
        mask = mask & (a >= a_min)
    if a_max is not None:
        mask = mask & (a <= a_max)
    if a_min is not None and a_max is not None:  # (equal bounds: clip is the upper one, constant in a: sig25-001)
        mask = mask & (a_min < a_max)
    return mask if np.ndim(mask) else _float(mask)


def clip_low(a, a_min, a_max=None):
    """Where np.clip(a, a_min, a_max) takes its value from a_min: `a` below it and a_min not above a_max (np.clip
    is min(max(a, a_min), a_max), so a lower bound above the upper one gives the upper one)."""
    below = a < a_min
    return below if a_max is None else below & (a_min < a_max)


def clip_high(a, a_min, a_max):
    """Where np.clip(a, a_min, a_max) takes its value from a_max: `a` above it, or a_min not below it (equal
    bounds: the result is the upper bound whatever a is, sig25-001)."""
    above = a > a_max
    return above if a_min is None else above | (a_min >= a_max)


def norm_vjp(g, x, ans, ord=None, axis=None, keepdims=False):
    """Adjoint of np.linalg.norm for the 2-norm / Frobenius norm (ord None, 2 for vectors, 'fro')."""
    if ord not in (None, "fro") and not (ord == 2 and (np.ndim(x) == 1 or isinstance(axis, int))):
        raise NotImplementedError(f"the derivative of norm with ord={ord!r} is not implemented")
    return keep_reduced(g, x, axis, keepdims) * x / keep_reduced(ans, x, axis, keepdims)


def as_grad_made(b, x):
    """`as_grad(b, x)` for a gradient `b` that grad_forms.py proved, when it is an array, a new array of x's
    shape (made by this call, held by no other gradient): only its class and dtype are left to check."""
    if b.__class__ is ndarray:
        d = b.dtype
        if d is x.dtype and (d is _F64 or d.kind == "f"):
            return b
    return as_grad(b, x)


def as_grads_made(grads, args):
    """`as_grads` for gradients that grad_forms.py proved, each when it is an array, a new array of its
    argument's shape (made by this call, none the same object as another): their classes and dtypes checked."""
    if len(grads) == 2:  # (the common case at once)
        b, c = grads
        if b.__class__ is ndarray and c.__class__ is ndarray:
            d, e = b.dtype, c.dtype
            x, y = args
            if d is x.dtype and e is y.dtype and (d is _F64 or d.kind == "f") and (e is _F64 or e.kind == "f"):
                return grads
        return as_grads(grads, args)
    for b, x in zip(grads, args):
        if b.__class__ is not ndarray:
            return as_grads(grads, args)
        d = b.dtype
        if not (d is x.dtype and (d is _F64 or d.kind == "f")):
            return as_grads(grads, args)
    return grads


def as_grads(grads, args):
    """`as_grad` for several arguments at once; arrays that are the same object are copied apart."""
    if len(grads) == 2:  # (the common case at once: two float64 arrays given two new arrays of their shapes)
        b, c = grads
        x, y = args
        if b.__class__ is ndarray and c.__class__ is ndarray and x.__class__ is ndarray and y.__class__ is ndarray \
                and b is not c and b.dtype is _F64 and c.dtype is _F64 and x.dtype is _F64 and y.dtype is _F64 \
                and b.shape == x.shape and c.shape == y.shape and b.flags.writeable and c.flags.writeable:
            return (b, c)
    out = []
    seen = []
    for b, x in zip(grads, args):
        if b.__class__ is _float and x.__class__ is _float:  # (a float's gradient: nothing to check)
            out.append(b)
            continue
        if not (b.__class__ is ndarray and x.__class__ is ndarray and b.shape == x.shape and b.dtype is x.dtype
                and x.dtype.kind == "f" and b.flags.writeable):  # (else already a gradient of x's form)
            b = as_grad(b, x)
        if b.__class__ is ndarray or foreign(b):
            for other in seen:
                if b is other:
                    b = b.copy()
                    break
            seen.append(b)
        out.append(b)
    return tuple(out)


# -- control flow: the tape and in-place updates ----------------------------------------------------------
def truth(test):
    """The truth of an `if` test, as the forward sweep finds it, kept for the adjoint sweep (compiled so when
    an argument is a Dask array: that one value is computed once, not again by the adjoint's `if`)."""
    return bool(test)


def new_tape():
    """The tape of values a loop overwrites: a plain list (benchmarks swap in a measuring one)."""
    return []


def segments(steps, every=None):
    """The steps of a checkpointed loop (a range) cut into segments of `every` steps (default: about
    sqrt(len(steps)), which keeps about 2 sqrt(T) steps' values in memory)."""
    n = len(steps)
    if every is None:
        every = max(1, math.isqrt(n - 1) + 1 if n > 1 else 1)
    elif not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1:
        raise ADError(f"ad.checkpointed(..., every={every!r}): the number of steps per segment must be a "
                      "positive integer")
    return [steps[i:i + every] for i in range(0, n, every)]


class ShapeOf:
    """Stands in for a saved value whose adjoint only needs its shape (and dtype): costs no array memory."""

    __slots__ = ("shape", "dtype", "like")

    def __init__(self, x):
        self.like = None  # for an array of another library: a 0-d array of it (new arrays are made there)
        if x.__class__ is ndarray:
            self.shape = x.shape
            self.dtype = x.dtype
        elif foreign(x):
            self.shape, self.dtype = x.shape, x.dtype
            self.like = zeros((), x.dtype, x)
        else:
            self.shape = np.shape(x)
            self.dtype = np.result_type(x)

    @property
    def ndim(self):
        return len(self.shape)


class _Unset:
    """The first value of a variable a loop saves before overwriting it (it has no shape yet)."""

    shape = None

    def __repr__(self):
        return "_ad.UNSET"


UNSET = _Unset()


def shape_of(x):
    """What the tape keeps of a value read only for its shape (of a list, tuple or dict: of each of its items,
    in its structure, such as the tuple of adjoints `_ad.odeint_vjp` returns)."""
    if x.__class__ is ndarray:  # (the common case first)
        return ShapeOf(x)
    if x is None:
        return None
    if isinstance(x, (list, tuple)) and x.__class__ in (list, tuple):
        return x.__class__(shape_of(v) for v in x)
    if x.__class__ is dict:
        return {k: shape_of(v) for k, v in x.items()}
    return ShapeOf(x)


def np_copy(x):
    """A copy of x (an array or a number) to save on the tape before x is overwritten in place."""
    return x.copy() if isinstance(x, (ndarray, np.generic)) or foreign(x) else x


def owned_copy(b, x):
    """A fresh float (complex for a complex x) array holding `b` broadcast to x's shape (a fresh list or dict
    for a container), safe to update in place."""
    if b is None:
        return zeros_like(x)
    if isinstance(b, list) or isinstance(x, (list, tuple)) and isinstance(b, tuple):
        return list(b)
    if isinstance(b, dict):
        return dict(b)
    if _lib(x, b) is not None and is_array(x):
        return spread(b, x, x.shape, _float_dtype(b))
    if not isinstance(x, ndarray):  # (a 0-d array adjoint of a number is copied too: it may be shared)
        return b.copy() if isinstance(b, ndarray) else b
    # (complex when x is: a tangent or adjoint of a complex array must hold what is stored into it later)
    return np.array(np.broadcast_to(b, x.shape), dtype=np.result_type(as_array(b).dtype, x.dtype, 1.0))


def pop_item(b, index):
    """Adjoint of `y[index] = v`: return (a copy of) b[index] and clear it in b (those entries were
    overwritten). For a list or dict adjoint, the entry is replaced by zeros of its structure; by None where
    the entry is itself a list or dict (the adjoint of a list that may grow or shrink meanwhile)."""
    if isinstance(b, dict) and index not in b:  # (an object's adjoint has only the attributes read)
        return None
    if isinstance(b, (list, dict)):
        taken = b[index]
        if isinstance(index, slice):
            b[index] = [_zero_entry(t) for t in taken]
        else:
            b[index] = _zero_entry(taken)
        return taken
    taken = store_adjoint(b, index)
    b[index] = 0
    return taken


def _zero_entry(t):
    return None if t is None or isinstance(t, (list, dict)) else zeros_like(t)


zero_entry = _zero_entry


def store_adjoint(b, index):
    """What the stored value of `y[index] = v` gets back from y's adjoint `b`: a copy of b[index], where an
    index repeated in a fancy index counts only at its last position (NumPy keeps the last write). For the
    adjoint of a list or dict, the entry itself."""
    if isinstance(b, (list, tuple, dict)):
        return b[index]
    if foreign(b):
        if not _is_basic_index(index):
            return _host_call(store_adjoint, b, index)
        return b[index].astype(_float_dtype(b))  # (a copy)
    taken = np.array(b[index], dtype=np.result_type(b, 1.0))
    if not _is_basic_index(index):
        ids = np.arange(np.size(b)).reshape(np.shape(b))[index]
        flat = ids.ravel()
        if flat.size != np.unique(flat).size:
            _, last = np.unique(flat[::-1], return_index=True)
            keep = np.zeros(flat.size, dtype=bool)
            keep[flat.size - 1 - last] = True
            taken = taken.reshape(-1) if taken.ndim == ids.ndim else taken.reshape((flat.size, -1))
            taken[~keep] = 0.0
            taken = taken.reshape(np.shape(as_array(b)[index]))
    return taken


def store_adjoint_vjp(g, b, index):
    """The transpose of store_adjoint: zeros shaped like `b` holding `g` at `index` (where an index repeats,
    the value at its last position: NumPy's assignment keeps the last write). For the adjoint of a list or dict,
    zeros like it holding `g` at `index` (explore --mode hessian seed 43: np.result_type read a list of numbers
    as a dtype)."""
    if isinstance(b, (list, tuple, dict)):
        out = zeros_like(b)
        out = list(out) if isinstance(out, tuple) else out
        out[index] = g
        return out
    out = np.zeros(np.shape(b), dtype=np.result_type(b, g, 1.0))
    out[index] = g
    return out


def zero_entries(taken, index):
    """What a list or dict adjoint holds at `index` after pop_item took `taken` from there."""
    if isinstance(index, slice):
        return [_zero_entry(t) for t in taken]
    return _zero_entry(taken)


def added_at(b, index, g):
    """A copy of the array `b` with `g` added at `index` (repeated indices add up): add_at, not in place. For
    the adjoint of a list or dict, a copy with the entry added to."""
    if isinstance(b, (list, dict)):
        out = list(b) if isinstance(b, list) else dict(b)
        out[index] = add(out[index], g)
        return out
    if _lib(b, g) is not None:
        out = as_array(b, _lib(g)).astype(_float_dtype(b, g))
        return _added_at_foreign(out, index, g)
    out = np.array(b, dtype=np.result_type(b, g, 1.0))
    if _is_basic_index(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def pop_tail(b, items):
    """Remove from the list `b` its last len(items) entries and return them (adjoint of `lst.extend(items)`,
    and its undo)."""
    n = len(items)
    if n == 0:
        return []
    taken = b[-n:]
    del b[-n:]
    return taken


def list_with_last(lst, g):
    """The adjoint of a list whose last entry (popped) received `g`: zeros elsewhere. `lst` is the list as
    the adjoint sweep sees it there, after the pop (its undo comes after the adjoint)."""
    out = zeros_like(lst)
    out.append(g)
    return out


def builtin_extreme_vjp(g, args, ans):
    """Adjoint of the builtins max(a, b, ...) / min(a, b, ...) or max(iterable): the winners share g."""
    if len(args) == 1:
        items = args[0]
        if isinstance(items, ndarray):  # max over the first axis of an array: rows equal to the winner
            hits = np.array([np.array_equal(row, ans) for row in items], dtype=float)
            share = hits / max(np.sum(hits), 1.0)
            return [np.multiply.outer(share, g) if items.ndim > 1 else share * g]
        winners = [i for i, v in enumerate(items) if v is ans or np.array_equal(v, ans)]
        return [[unbroadcast(g / len(winners), v) if i in winners else zeros_like(v)
                 for i, v in enumerate(items)]]
    winners = [i for i, v in enumerate(args) if v is ans or np.array_equal(v, ans)]
    return [unbroadcast(g / len(winners), v) if i in winners else zeros_like(v) for i, v in enumerate(args)]


# -- linear algebra and gathers -------------------------------------------------------------------------
def keep_last_two(g):
    """A (batch of) scalar(s) g made to broadcast against (batches of) matrices."""
    return as_array(g)[..., None, None]


def _vector_rhs(x, a):
    """Did x = solve(a, b) take b as a vector (a stack of vectors)? Read from x (or its adjoint), which has the
    stack axes of a and b: b's own rank is ambiguous (NumPy 2 takes a 1-d b with a stack of matrices as a vector,
    and a (k, m) b as a matrix broadcast against the stack: sig25-010, sig25-011)."""
    return np.ndim(x) == np.ndim(a) - 1


def _solve_vectors(a, v):
    """solve(a, v) for v a vector or a stack of vectors, whichever NumPy's version (NumPy 2 takes a 2-d v as a
    matrix)."""
    if np.ndim(v) == 1 and np.ndim(a) == 2:
        return solve(a, v)
    return solve(a, np.expand_dims(v, -1))[..., 0]


def solve_vjp_b(g, a, b):
    """Adjoint of b in x = solve(a, b): solve(a.T, g), of x's shape (the rule sums it to b's when solve
    broadcast b)."""
    at = np.swapaxes(a, -1, -2)
    return _solve_vectors(at, g) if _vector_rhs(g, a) else solve(at, g)


def solve_vjp_a(g, a, b, x):
    """Adjoint of a in x = solve(a, b): -solve(a.T, g) x.T (an outer product for a vector b), of the stack shape of
    x (the rule sums it to a's when solve broadcast a)."""
    if _vector_rhs(x, a):
        gb = _solve_vectors(np.swapaxes(a, -1, -2), g)
        return -np.expand_dims(gb, -1) * np.expand_dims(x, -2)
    gb = solve(np.swapaxes(a, -1, -2), g)
    return -gb @ np.swapaxes(x, -1, -2)


def diag_vjp(g, v, k=0):
    """Adjoint of np.diag: the diagonal of g (if v was a vector), or g placed on the diagonal."""
    if np.ndim(v) == 1:
        return np.diagonal(g, offset=k).copy()
    n = len(g)
    lib = _lib(v, g)
    if lib is not None:  # (Dask stores through no pair of index arrays: g spread onto the diagonal)
        rows, cols = np.shape(v)
        return _diag_place(g, rows, cols, k, lib)
    out = np.zeros(np.shape(v), dtype=np.result_type(g, 1.0))
    rows = np.arange(n) + max(-k, 0)
    cols = np.arange(n) + max(k, 0)
    out[rows, cols] = g
    return out


def _diag_place(g, rows, cols, k, lib):
    """A rows x cols array of another library holding the vector g on its k-th diagonal, zeros elsewhere."""
    n = np.shape(g)[0]
    place = np.zeros((n, rows, cols))
    d = np.arange(n)
    place[d, d + max(-k, 0), d + max(k, 0)] = 1.0
    return np.sum(np.expand_dims(np.expand_dims(g, -1), -1) * as_array(place, lib), axis=0)


def take_vjp(g, a, indices, axis=None):
    """Adjoint of np.take: g added back at the taken positions (repeated indices add up)."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, 1.0))
    if axis is None:
        return scatter_add(out.reshape(-1), indices, g).reshape(out.shape)
    index = [slice(None)] * out.ndim
    index[axis] = indices
    return scatter_add(out, tuple(index), g)


# -- containers and conversions -------------------------------------------------------------------------
def _truncating(dtype):
    """Does converting to `dtype` truncate (integers, booleans: piecewise constant)?"""
    return dtype is not None and np.dtype(dtype).kind in "iub"


def cast_vjp(g, x, dtype=None):
    """Adjoint of `np.array(x, dtype)` / `x.astype(dtype)`: x's form of `g`, or zeros for an integer or
    boolean dtype (the conversion is piecewise constant)."""
    if _truncating(dtype):
        return zeros_like(x)
    return cast_like(g, x)


def cast_jvp(t, dtype=None):
    """Tangent of `np.array(x, dtype)` / `x.astype(dtype)`: the tangent as an array of that dtype (a float
    dtype), or float zeros for an integer or boolean dtype."""
    if _truncating(dtype):
        return np.zeros(np.shape(t))
    if foreign(t):
        return t.astype(dtype) if dtype is not None else t.copy()
    return np.array(t, dtype=dtype) if dtype is not None else np.array(t)


def stored_vjp(g, value, target):
    """What the value stored by `target[i] = value` gets back: `g` summed to the value's shape, or zeros when
    the target holds integers or booleans (NumPy truncates what it stores)."""
    if isinstance(target, ndarray) and target.dtype.kind in "iub":
        return zeros_like(value)
    return unbroadcast(g, value)


def stored_jvp(t, target):
    """The tangent `target[i] = value` stores: the value's, or 0 into an array of integers or booleans, its
    real part into a real array (NumPy stores a complex value's real part)."""
    if isinstance(target, ndarray) and target.dtype.kind in "iub":
        return 0.0
    if isinstance(target, ndarray) and target.dtype.kind == "f" and np.iscomplexobj(t):
        return np.real(t)
    return t


def in_place_cast(t, x):
    """The value `x op= v` leaves in x, from `t = x op v`: an ndarray x keeps its dtype (NumPy casts the result
    back in place: a float32 x stays float32 after `x += w` with w float64); a number or NumPy scalar x is
    rebound to t (alias_assign.rebind, for an x whose kind is not known when compiling; dt3-006)."""
    if x.__class__ is ndarray and t.__class__ is ndarray and t.dtype != x.dtype:
        return t.astype(x.dtype)
    return t


def cast_like(g, x):
    """The adjoint `g` of `np.array(x)` / `x.astype(...)` given back in x's form: the same structure for a
    list or tuple of values (`np.array([a, b])`), x's dtype for a float array, a number for a number."""
    if isinstance(x, (list, tuple)):
        return [cast_like(g[i], xi) for i, xi in enumerate(x)]
    if x.__class__ is ndarray and isinstance(g, (list, tuple)):  # pieces of an array given as a sequence
        return np.reshape(as_array([as_array(p) for p in g], dtype=np.result_type(x.dtype, 1.0)), x.shape)
    if x.__class__ is ndarray:
        if g.__class__ is ndarray and x.dtype.kind == "f" and g.dtype != x.dtype:
            return g.astype(x.dtype)
        return g
    if isinstance(x, numbers.Number) and not isinstance(x, complex):
        return _float(np.sum(g)) if np.ndim(g) else g
    return g


def sum_vjp(g, items):
    """Adjoint of the builtin `sum(items)`: every item receives g (summed down to its shape); for an array,
    summed over its first axis, every row."""
    if isinstance(items, ndarray):
        return unreduce(g, items, 0) if items.ndim else g
    return [unbroadcast(g, item) for item in items]


def linspace_vjp(g, start, stop, num=50, endpoint=True, which=0):
    """Adjoint of `np.linspace(start, stop, num)` with respect to start (which=0) or stop (which=1):
    sample k is start + k / div * (stop - start)."""
    div = (num - 1) if endpoint else num
    w = np.arange(num) / div if div > 0 else np.zeros(num)
    if num == 1:
        w = np.zeros(1)
    weight = w if which == 1 else 1.0 - w
    g = as_array(g)
    if g.ndim > 1:  # array start/stop: samples along axis 0
        weight = weight.reshape((-1,) + (1,) * (g.ndim - 1))
    return unbroadcast(np.sum(g * weight, axis=0), start if which == 0 else stop)


def index_concat(kind, items):
    """`np.r_[items]` (kind 'r') or `np.c_[items]` (kind 'c')."""
    return (np.r_ if kind == "r" else np.c_)[items]


def index_concat_vjp(g, kind, items):
    """Adjoint of np.r_/np.c_ of arrays and numbers: the pieces of `g` each item became (slices and
    strings make constants)."""
    out = []
    if kind == "r" and any(isinstance(item, str) for item in items):
        return _concat_vjp_by_positions(g, items)
    if kind == "r":
        offset = 0
        for item in items:
            if isinstance(item, (slice, str)):
                n = len(np.r_[item]) if isinstance(item, slice) else 0
                offset += n
                out.append(0.0)
                continue
            n = int(np.shape(item)[0]) if np.ndim(item) else 1  # (N-d items: stacked along their first axis)
            piece = g[offset:offset + n]
            offset += n
            out.append(np.reshape(piece, np.shape(item)) if np.ndim(item) else np.asarray(piece[0]).item())
        return out
    offset = 0
    for item in items:  # np.c_: 1-d items become columns, 2-d items keep their columns
        a = as_array(item)
        cols = 1 if a.ndim <= 1 else a.shape[1]
        piece = g[:, offset:offset + cols]
        offset += cols
        out.append(np.reshape(piece, a.shape) if a.ndim else np.asarray(np.sum(piece)).item())
    return out


def index_concat_tangent(kind, items, tangents):
    """The tangent of np.r_/np.c_[items]: the same concatenation of the items' tangents, directives kept,
    a slice's entries and a constant array's (a zero tangent, 0.0) as zeros of their shapes."""
    return index_concat(kind, _tangent_parts(items, tangents))


def _tangent_parts(items, tangents):
    parts = []
    for item, t in zip(items, tangents):
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, slice):
            parts.append(np.zeros(len(np.r_[item])))
        elif np.ndim(item) and np.ndim(t) == 0:
            parts.append(np.zeros(np.shape(item)) + t)
        else:
            parts.append(t)
    return tuple(parts)


def index_concat_tangent_vjp(g, kind, items, tangents):
    """Adjoint of index_concat_tangent with respect to the tangents (one piece each: 0.0 for a directive or a
    slice, the sum for a number spread over a constant array)."""
    pieces = index_concat_vjp(g, kind, _tangent_parts(items, tangents))
    out = []
    for item, t, piece in zip(items, tangents, pieces):
        if isinstance(item, (str, slice)):
            out.append(0.0)
        elif np.ndim(item) and np.ndim(t) == 0:
            out.append(np.asarray(np.sum(piece)).item())
        else:
            out.append(piece)
    return out


def _concat_vjp_by_positions(g, items):
    """Adjoint of np.r_ with a directive (`np.r_['1', a, b]`, `np.r_['0,2', x, y]`): the same np.r_ of the
    items' entry numbers tells where each entry went; each item's adjoint gathers `g` there."""
    marks, sizes, total = [], [], 0
    for item in items:
        if isinstance(item, str):
            marks.append(item)
            sizes.append(None)
        elif isinstance(item, slice):
            marks.append(np.full(len(np.r_[item]), -1))
            sizes.append(None)
        else:
            n = int(np.size(item))
            marks.append(np.arange(total, total + n).reshape(np.shape(item)) if np.ndim(item) else total)
            sizes.append(n)
            total += n
    where = np.r_[tuple(marks)].ravel()
    flat = np.zeros(total, dtype=np.result_type(g, float))
    keep = where >= 0
    np.add.at(flat, where[keep], np.ravel(g)[keep])
    out, offset = [], 0
    for item, n in zip(items, sizes):
        if n is None:
            out.append(0.0)
            continue
        piece = flat[offset:offset + n]
        offset += n
        out.append(piece.reshape(np.shape(item)) if np.ndim(item) else piece[0].item())
    return out


def index_concat_transpose(h, kind, items):
    """The transpose of index_concat_vjp: the pieces `h` (one per item) put back where each item went
    (zeros for the entries a slice made)."""
    parts = []
    for piece, item in zip(h, items):
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, slice):
            parts.append(np.zeros(len(np.r_[item])))
        else:
            parts.append(piece)
    return index_concat(kind, tuple(parts))


def sort_vjp(g, a, axis=-1):
    """Adjoint of np.sort: each entry of `g` goes back to where its value came from (ties keep their order,
    as NumPy's stable sort does)."""
    a = as_array(a)
    if axis is None:
        order = np.argsort(a, axis=None, kind="stable")
        out = np.zeros(a.size, dtype=np.result_type(g, 1.0))
        out[order] = np.ravel(g)
        return out.reshape(a.shape)
    order = np.argsort(a, axis=axis, kind="stable")
    out = np.zeros(a.shape, dtype=np.result_type(g, 1.0))
    np.put_along_axis(out, order, g, axis=axis)
    return out


def check_view(view, base, where):
    """A value NumPy may have made as a view or as a copy (`x.reshape(...)`, `np.asarray(x)`) is changed in
    place and the derivative assumes it is a view of `base`: refuse if it is a copy."""
    if not np.may_share_memory(view, base):
        raise UnsupportedError(f"{where}\nthe array changed here is a copy, not a view, of the one it was made "
                               "from (NumPy copies when the memory layout does not allow a view)",
                               hint="make the copy explicit (`.copy()`) and write the values back, or change "
                                    "the base array directly")


def private_copy(x):
    """A copy of an argument the function changes in place: arrays copied, lists, tuples and dicts copied
    at every level, anything else as it is. The derivative works on it; the caller's value stays as it is."""
    if isinstance(x, ndarray):
        return _same_layout_copy(x)
    if isinstance(x, list):
        return [private_copy(v) for v in x]
    if isinstance(x, tuple):  # (a NamedTuple stays one: h17-010)
        items = [private_copy(v) for v in x]
        return type(x)(*items) if hasattr(type(x), "_fields") else tuple(items)
    if isinstance(x, dict):
        return {k: private_copy(v) for k, v in x.items()}
    return x


def layout_order(a, order):
    """The order "C" or "F" that the layout-dependent orders of reshape / ravel ("A": F for a Fortran-ordered
    array; "K": the order of memory) mean for the array `a`, so that an adjoint can undo them."""
    if order in ("C", "F", None):
        return order or "C"
    a = np.asarray(a)
    if a.flags.c_contiguous:
        return "C"
    if a.flags.f_contiguous:
        return "F"
    if order == "A":
        return "C"
    axes = [i for i in range(a.ndim) if a.shape[i] > 1]
    strides = [a.strides[i] for i in axes]
    if all(s > 0 for s in strides) and strides == sorted(strides, reverse=True):
        return "C"
    if all(s > 0 for s in strides) and strides == sorted(strides):
        return "F"
    raise NoDerivativeError("order='K' of an array laid out neither in C nor in F order (negative or mixed "
                            "strides) has no derivative rule", hint="use order='C' or order='F'")


def _same_layout_copy(x):
    """A copy of the array `x` with x's very strides (Fortran order, a transpose, a strided view): NumPy decides
    by the strides whether `x.reshape(...)` / `np.ravel(x)` is a view or a copy, so the copy must decide alike."""
    if x.flags.c_contiguous or x.size <= 1:
        return x.copy()
    if x.flags.f_contiguous:
        return x.copy(order="F")
    strides, size = x.strides, x.itemsize
    if any(s % size or (s == 0 and n > 1) for s, n in zip(strides, x.shape)):
        return x.copy(order="K")  # (unaligned or overlapping strides: not a layout of its own memory)
    lo = sum(s * (n - 1) for s, n in zip(strides, x.shape) if s < 0)
    hi = sum(s * (n - 1) for s, n in zip(strides, x.shape) if s > 0)
    buf = np.empty((hi - lo) // size + 1, dtype=x.dtype)
    out = np.lib.stride_tricks.as_strided(buf[-lo // size:], shape=x.shape, strides=strides)
    out[...] = x
    return out


def check_apart(args, names, changed, where, others=(), other_names=()):
    """Refuse arguments that share memory when the function changes one of them in place: each changed
    argument gets a private copy of its own (`private_copy`), which would separate what the function sees as
    one array (`f(x, x)` with `a += b`; a list holding one array twice; an argument that is also a global the
    function reads, `others`, or an attribute of another argument)."""
    # (what private_copy copies: lists, tuples, dicts and arrays, not objects; what the others reach: also the
    # arrays in objects' attributes)
    copied = {i: _mutable_leaves(args[i], objects=False) for i in changed}
    leaves = [_mutable_leaves(a) for a in args]
    from .errors import ADError

    for i in changed:
        for j in range(len(args)):
            for p, u in enumerate(copied[i]):
                for q, v in enumerate(copied[j] if j == i else leaves[j]):
                    if (p != q or i != j) and _overlap(u, v):  # (two places of one container, even the same array)
                        what = f"the arguments `{names[i]}` and `{names[j]}` share memory" if i != j else \
                            f"`{names[i]}` holds one array (or list) twice"
                        raise ADError(f"{where}:\n{what}, and the function changes `{names[i]}` in place: the "
                                      "derivative would not see that one change is seen through both",
                                      hint="pass separate copies (`x.copy()`), or pass the array once")
        for other, name in zip(others, other_names):
            if any(_overlap(u, v) for u in copied[i] for v in _mutable_leaves(other)):
                raise ADError(f"{where}:\nthe argument `{names[i]}` shares memory with `{name}`, which the function "
                              f"also reads, and it changes `{names[i]}` in place: the derivative works on a copy of "
                              f"`{names[i]}`, so it would not see the change through `{name}`",
                              hint=f"pass a copy (`{names[i]}.copy()`), or read `{name}` through the argument")


def _mutable_leaves(x, out=None, seen=None, objects=True):
    out = [] if out is None else out
    seen = set() if seen is None else seen
    if isinstance(x, ndarray):
        out.append(x)
    elif isinstance(x, (list, tuple, dict)) or objects and _is_object(x) and not isinstance(x, types.ModuleType):
        if id(x) in seen:
            return out
        seen.add(id(x))
        if not isinstance(x, tuple):
            out.append(x)
        items = x.values() if isinstance(x, dict) else x if isinstance(x, (list, tuple)) else \
            (getattr(x, "__dict__", None) or {}).values()
        for v in items:
            _mutable_leaves(v, out, seen, objects)
    return out


def _overlap(u, v):
    if isinstance(u, ndarray) and isinstance(v, ndarray):
        return u is v or (np.may_share_memory(u, v) and np.shares_memory(u, v))
    return u is v


def iter_list(x):
    """What a `for` loop goes over, as something it can index: a list, tuple or array itself; anything else
    (a dict: its keys, `d.items()`, a generator) as a list."""
    if isinstance(x, (list, tuple, ndarray)):
        return x
    return list(x)


def items_vjp(g, x):
    """Adjoint of `list(x)` / `tuple(x)` (and of the items zip and enumerate take from x): `g`, a list of the
    items' adjoints (None where nothing came back), given back in x's form."""
    if isinstance(x, dict):  # list(d) is its keys
        return zeros_like(x)
    if foreign(x):  # the rows of a Dask or CuPy array, stacked in its library
        rows = [zeros_like(x[i]) if gi is None else np.broadcast_to(gi, x.shape[1:]) for i, gi in enumerate(g)]
        return np.reshape(np.stack([as_array(r, x) for r in rows]).astype(_float_dtype(x)), x.shape)
    if isinstance(x, ndarray):  # the rows of an array
        rows = [zeros_like(x[i]) if gi is None else np.broadcast_to(gi, x.shape[1:]) for i, gi in enumerate(g)]
        return np.reshape(np.array(rows, dtype=np.result_type(x.dtype, 1.0)), x.shape)
    if isinstance(x, (list, tuple)):
        return [_zero_entry(xi) if gi is None and not isinstance(xi, (list, dict)) else gi for gi, xi in zip(g, x)]
    return list(g)  # an iterator (zip, enumerate, ...): the adjoints of its items, for what made it


def items_transpose(h, x, g):
    """The transpose of items_vjp(g, x): `h`, in x's form, as the list of its items, each in the shape of g's
    item (summed where items_vjp broadcast it; None where g's item was None, and for a dict's keys)."""
    if isinstance(x, dict):
        return [None] * len(g)
    return [None if gi is None else fit_shape(h[i], gi) for i, gi in enumerate(g)]


def tolist_transpose(h, g):
    """The transpose of tolist_vjp(g, x): `h`, in x's shape, as a nested list shaped like g (each entry in the
    shape of g's; None where g's is None)."""
    if g is None:
        return None
    if isinstance(g, (list, tuple)):
        return [tolist_transpose(h[i], gi) for i, gi in enumerate(g)]
    return fit_shape(h, g)


def tolist_vjp(g, x):
    """Adjoint of `x.tolist()`: the nested list of the entries' adjoints (None where nothing came back; an
    array for a whole sub-list) as an array of x's shape."""
    dtype = _F64 if x.__class__ is ndarray and x.dtype is _F64 else np.result_type(x, 1.0)
    if g.__class__ is list and x.ndim == 1:
        numbers = True
        for h in g:  # (a loop: `any(h is None for h in g)` took 1 µs of 2 for 25 entries)
            if h is None:
                numbers = False
                break
        if len(g) < x.shape[0]:  # (the adjoints of the first entries, none after: join_items.py)
            g = g + [0.0 if numbers else None] * (x.shape[0] - len(g))
        if numbers:  # numbers: as they are
            out = np.array(g, dtype=dtype)
            if out.shape == x.shape:
                return out

    def fill(h, shape):
        if h is None:
            return np.zeros(shape, dtype=dtype)
        if isinstance(h, (list, tuple)):
            return np.stack([fill(hi, shape[1:]) for hi in h]) if h else np.zeros(shape, dtype=dtype)
        return np.broadcast_to(as_array(h, dtype=dtype), shape)
    return np.array(fill(g, np.shape(x)), dtype=dtype)


def tuple_with(t, index, v):
    """The tuple `t` with `v` at `index` (the tangent of a tuple whose item changed in place)."""
    items = list(t)
    items[index] = v
    return tuple(items)


def enumerate_vjp(g, x):
    """Adjoint of `enumerate(x, start)` (a list of (index, item) pairs) with respect to x."""
    return items_vjp([None if p is None else p[1] for p in g], x)


def enumerate_jvp(t):
    """Tangent of `enumerate(x, start)`: pairs of a zero (the index is a constant) and the items' tangents."""
    return [(0.0, ti) for ti in t]


def zip_vjp(g, iterables):
    """Adjoints of the iterables of `zip(*iterables)` (a list of tuples; zip stops at the shortest)."""
    out = []
    for k, x in enumerate(iterables):
        items = [None if p is None else p[k] for p in g]
        out.append(items_vjp(items + [None] * (len(x) - len(items)), x))
    return tuple(out)


def seq_concat(a, b):
    """`a + b` of two lists or tuples: their concatenation (the rule of `+` on sequences; of tangents too,
    where a tuple's tangent may be a list)."""
    if type(a) is type(b):
        return a + b
    return type(a)(list(a) + list(b))


def seq_repeat(seq, n):
    """`seq * n` of a list or tuple: its repetition (the rule of `*` on a sequence)."""
    return seq * n


def seq_repeat_left(n, seq):
    """`n * seq` of a list or tuple: its repetition."""
    return n * seq


def seq_sum(iterable, start=0):
    """`sum(lists, [])`: the concatenation of the lists or tuples after `start`."""
    return sum(iterable, start)


def _sequence(x):
    return x.__class__ is list or x.__class__ is tuple


def _integral(x):
    return isinstance(x, (int, np.integer))


def plus(a, b):
    """`a + b` of values whose kinds were not known when compiling (a recursive call's result): a
    concatenation of lists or tuples, else arithmetic (the rule resolve.py binds there)."""
    if _sequence(a) and _sequence(b):
        return seq_concat(a, b)
    return a + b


def plus_vjp(g, a, b, which):
    """Adjoint of `plus(a, b)` for `a` (which=0) or `b` (which=1): its part of a concatenation, or for
    arithmetic `g` summed over what broadcasting spread, in the operand's form."""
    if _sequence(a) and _sequence(b):
        return seq_concat_vjp(g, a, b, which)
    x = b if which else a
    return cast_like(unbroadcast_value(g, x), x)


def times(a, b):
    """`a * b` of values whose kinds were not known when compiling: the repetition of a list or tuple by an
    integer, else arithmetic."""
    if _sequence(a) and _integral(b):
        return seq_repeat(a, b)
    if _sequence(b) and _integral(a):
        return seq_repeat_left(a, b)
    return a * b


def times_vjp(g, a, b, which):
    """Adjoint of `times(a, b)` for `a` (which=0) or `b` (which=1): for a repetition, the copies' adjoints
    added up (none for the count); for arithmetic, `g` times the other factor, summed over what
    broadcasting spread, in the operand's form."""
    x, other = (b, a) if which else (a, b)
    if _sequence(x) and _integral(other):
        return seq_repeat_vjp(g, x, other)
    if _integral(x) and _sequence(other):
        return 0.0
    return cast_like(unbroadcast_value(g * other, x), x)  # (no conjugate: docs/rules.md, complex intermediates)


def seq_concat_vjp(g, a, b, which):
    """Adjoint of `a + b` (concatenation) for `a` (which=0) or `b` (which=1): its part of `g`, in its form."""
    g = list(g)
    return items_vjp(g[:len(a)], a) if which == 0 else items_vjp(g[len(a):], b)


def seq_repeat_vjp(g, seq, n):
    """Adjoint of `seq * n` (repetition): the adjoints of every copy of an item, added up."""
    g, m = list(g), len(seq)
    total = [None] * m
    for k in range(0, len(g) if m else 0, m):
        total = add(total, g[k:k + m])
    # (`[[a]] * 0`: no copy, no adjoint came back; a list's or dict's item gets zeros of its structure, which the
    # adjoint of its display reads by items: None crashed, lang25-006)
    total = [zeros_like(v) if t is None and isinstance(v, (list, tuple, dict)) else t for t, v in zip(total, seq)]
    return items_vjp(total, seq)


def seq_sum_vjp(g, iterable, start):
    """Adjoint of `sum(iterable, start)` for sequences (concatenation) with respect to `iterable`: each
    sequence's part of `g`, after start's."""
    g, at, out = list(g), len(start), []
    for item in iterable:
        out.append(items_vjp(g[at:at + len(item)], item))
        at += len(item)
    return out


def reversed_vjp(g, x):
    """Adjoint of `reversed(x)` (its items in the opposite order)."""
    return items_vjp(list(g)[::-1], x)


def sorted_order(x, key=None, reverse=False):
    """The positions of x's items in the order `sorted(x, key=key, reverse=reverse)` gives them (stable)."""
    items = list(x)
    return sorted(range(len(items)), key=(lambda i: items[i]) if key is None else (lambda i: key(items[i])),
                  reverse=reverse)


def sorted_vjp(g, x, key=None, reverse=False):
    """Adjoint of `sorted(x, ...)`: each item of x gets the adjoint of the place it was sorted to."""
    back = [None] * len(g)
    for place, i in enumerate(sorted_order(x, key, reverse)):
        back[i] = g[place]
    return items_vjp(back, x)


def sorted_jvp(t, x, key=None, reverse=False):
    """Tangent of `sorted(x, ...)`: the items' tangents in the order sorted(x) puts the items."""
    items = list(t)
    return [items[i] for i in sorted_order(x, key, reverse)]


def iter_list_vjp(g, x):
    """Adjoint of iter_list: the same structure for a list, tuple or array; for a dict's keys, nothing."""
    if isinstance(x, (list, tuple, ndarray)):
        return g
    if isinstance(x, dict):
        return zeros_like(x)
    return g


def dict_values(d):
    """`d.values()` as a list (its adjoint is a dict)."""
    return list(d.values())


def dict_items(d):
    """`d.items()` as a list of (key, value) pairs (its adjoint is a dict)."""
    return list(d.items())


def dict_merge(a, b):
    """`a | b` of two dicts: a's items updated with b's (the rule of `|` on dicts)."""
    return a | b


def dict_merge_vjp(g, a, b, which):
    """Adjoint of `a | b` for `a` (which=0: its items b does not replace) or `b` (which=1: all its items)."""
    if which == 0:
        return {k: g[k] if k in g and k not in b else zeros_like(v) for k, v in a.items()}
    return {k: g[k] if k in g else zeros_like(v) for k, v in b.items()}


def dict_copy_vjp(g, mapping):
    """Adjoint of `dict(mapping)` (a shallow copy): the adjoints of the same keys."""
    if not isinstance(mapping, dict):
        raise NoDerivativeError(f"dict() of a {type(mapping).__name__} carries no derivative here (only the copy "
                                "of a dict does)", hint="build the dict with a comprehension or {key: value, ...}")
    return {k: g[k] if k in g else zeros_like(v) for k, v in mapping.items()}


def dict_values_vjp(g, d):
    return {k: gi for k, gi in zip(d, g)}


def dict_items_vjp(g, d):
    return {k: gi[1] for k, gi in zip(d, g)}


class _Missing:
    """What `save_item` keeps for an item that did not exist before a store (a new key of a dict)."""

    def __repr__(self):
        return "_ad.MISSING"


MISSING = _Missing()


def save_item(target, index):
    """What a store `target[index] = ...` overwrites (a copy), to be put back by `restore_item`."""
    if isinstance(target, dict):
        return target.get(index, MISSING)
    if isinstance(target, list):
        return target[index]
    if _is_object(target) and isinstance(index, str):  # an attribute of an object the function made
        return getattr(target, index, MISSING)
    return np_copy(target[index])


def restore_item(target, index, old):
    """Put back what a store overwrote (remove a key the store added)."""
    if _is_object(target) and isinstance(index, str):  # an attribute of an object the function made
        if old is MISSING:
            object.__delattr__(target, index)
        else:
            object.__setattr__(target, index, old)
    elif old is MISSING:
        del target[index]
    else:
        target[index] = old


def stack_family_vjp(g, arrays, how):
    """Adjoint of np.vstack / hstack / dstack / column_stack (`how`): the piece of `g` each array became,
    in that array's shape."""
    g = as_array(g)
    if how == "vstack":
        shaped = [np.atleast_2d(as_array(a)) for a in arrays]
        axis = 0
    elif how == "dstack":
        shaped = [np.atleast_3d(as_array(a)) for a in arrays]
        axis = 2
    elif how == "column_stack":
        shaped = [as_array(a).reshape(-1, 1) if np.ndim(a) < 2 else as_array(a) for a in arrays]
        axis = 1
    else:  # hstack
        shaped = [np.atleast_1d(as_array(a)) for a in arrays]
        axis = 0 if shaped and shaped[0].ndim == 1 else 1
    bounds = np.cumsum([a.shape[axis] for a in shaped])[:-1]
    parts = [cast_like(np.reshape(piece, np.shape(a)), a) for piece, a in zip(split_at(g, bounds, axis), arrays)]
    return cast_like(parts, arrays)


def selection(v, name, *args):
    """`_ad.<name>(v, *args)` for the selections selection_transpose transposes (so that its transpose has a
    rule: differentiated again, a concatenation's adjoint's adjoint's adjoint is the cut again)."""
    return {"split_along": split_along, "unstack": unstack, "stack_family_vjp": stack_family_vjp}[name](v, *args)


def selection_transpose(h, v, name, *args):
    """The transpose of `_ad.<name>(v, *args)`, a linear map that only moves v's entries into pieces (a list
    of arrays or one array: split_along, unstack, stack_family_vjp): the pieces' adjoints `h` added back at
    the entries they came from. The map is run once on v's entry numbers to learn where each piece came from."""
    cut = {"split_along": split_along, "unstack": unstack, "stack_family_vjp": stack_family_vjp}[name]
    index = np.arange(np.size(v), dtype=np.float64).reshape(np.shape(v))
    sources, parts = [], []

    def walk(where, adjoint):
        if isinstance(where, (list, tuple)):
            whole = not isinstance(adjoint, (list, tuple)) and np.ndim(adjoint) == 0  # (a zero for all pieces)
            for i, w in enumerate(where):
                walk(w, adjoint if whole else adjoint[i])
        elif adjoint is not None:
            where = np.asarray(where)
            sources.append(np.rint(np.ravel(where)).astype(np.intp))
            parts.append(np.ravel(np.broadcast_to(as_array(adjoint), where.shape)))

    walk(cut(index, *args), h)
    out = np.zeros(np.size(v), dtype=np.result_type(*parts, 1.0) if parts else np.float64)
    for where, part in zip(sources, parts):
        np.add.at(out, where, part)
    return out.reshape(np.shape(v)) if np.ndim(v) else out[0]


def append_vjp(g, arr, values, axis=None, which=0):
    """Adjoint of np.append(arr, values, axis) for arr (which=0) or values (which=1)."""
    g = as_array(g)
    if axis is None:
        n = int(size_of(arr))
        piece = g[:n] if which == 0 else g[n:]
        x = arr if which == 0 else values
        return cast_like(np.reshape(piece, np.shape(x)), x)
    n = np.shape(arr)[axis]
    index = [slice(None)] * g.ndim
    index[axis] = slice(None, n) if which == 0 else slice(n, None)
    x = arr if which == 0 else values
    return cast_like(np.reshape(g[tuple(index)], np.shape(x)), x)


# -- forward mode ---------------------------------------------------------------------------------------
def as_tangent(t, x):
    """The tangent a caller passes for the argument `x`, as forward mode uses it: a float array of x's shape
    for an array, a number for a number, the same structure for a list, tuple or dict."""
    xc, tc = x.__class__, t.__class__
    if xc is _float and (tc is _float or tc is int):
        return _float(t)
    if xc is ndarray and tc is ndarray and t.shape == x.shape and t.dtype.kind == "f" and x.dtype.kind != "b":
        return t
    if t is None:  # (no tangent: zero, as for an object's attributes left out; it was NaN or a TypeError, m25-009)
        if x is None or isinstance(x, (str, bytes)):
            return None
        t = [None] * len(x) if isinstance(x, (list, tuple)) else dict.fromkeys(x) if isinstance(x, dict) else \
            {} if _is_object(x) else 0.0
    if xc is bool or xc is np.bool_ or xc is ndarray and x.dtype.kind == "b":
        # a bool cannot vary: it has no derivative (as_grad gives None), so its tangent is 0 (dt3-004)
        if np.ndim(t) != 0 and np.shape(t) != np.shape(x):
            raise ADError(f"the tangent has shape {np.shape(t)}, the argument {np.shape(x)}")
        return np.zeros(x.shape) if xc is ndarray else 0.0
    if isinstance(x, (list, tuple)):
        if not isinstance(t, (list, tuple)) or len(t) != len(x):
            raise ADError(f"the tangent for a {type(x).__name__} of {len(x)} items must be a list or tuple of "
                          f"as many tangents, got {type(t).__name__}")
        items = [as_tangent(u, v) for u, v in zip(t, x)]
        return type(x)(*items) if hasattr(x, "_fields") else items  # (a named tuple's fields are read by name)
    if isinstance(x, dict):
        if not isinstance(t, dict) or set(t) != set(x):
            raise ADError("the tangent for a dict must be a dict with the same keys")
        return {k: as_tangent(t[k], v) for k, v in x.items()}
    if _is_object(x):  # an object: the tangents of its attributes, by name (as ad.grad gives its gradient)
        return _object_tangent(t, x)
    if foreign(x) or foreign(t):  # (in the library of x, or of t: a tangent that is a Dask array stays lazy)
        if not is_array(x):
            return t
        t = as_array(t, _lib(x), dtype=np.result_type(x.dtype, 1.0) if x.dtype.kind == "f" else float)
        if t.shape != x.shape:
            if t.ndim == 0:
                return spread(t, x, x.shape)
            raise ADError(f"the tangent has shape {t.shape}, the argument {x.shape}")
        return t
    if isinstance(x, ndarray):
        t = as_array(t, dtype=np.result_type(x.dtype, 1.0) if x.dtype.kind == "f" else float)
        if t.shape != x.shape:
            if t.ndim == 0:
                return np.full(x.shape, t, dtype=t.dtype)
            raise ADError(f"the tangent has shape {t.shape}, the argument {x.shape}")
        return t
    if np.ndim(t) != 0:
        raise ADError(f"the tangent for a number must be a number, got shape {np.shape(t)}")
    return float(t) if isinstance(x, (int, float)) else np.float64(t)


def _object_tangent(t, x):
    """A dict by attribute name, from a dict (some of x's numeric attributes; the others' tangents are 0) or
    from an object of x's class (its numeric attributes)."""
    numeric = zeros_like(x)
    if isinstance(t, type(x)) and not isinstance(t, dict):
        t = {k: v for k, v in object_attributes(t).items() if k in numeric}
    if not isinstance(t, dict):
        raise ADError(f"the tangent for a {type(x).__name__} object must be a dict of its attributes' tangents "
                      f"(as ad.grad gives its gradient) or a {type(x).__name__} object, got {type(t).__name__}")
    unknown = [k for k in t if k not in numeric]
    if unknown:
        raise ADError(f"the tangent names {unknown[0]!r}, which is not a number, array or container attribute "
                      f"of the {type(x).__name__} object")
    attrs = object_attributes(x)
    return {k: as_tangent(v, attrs[k]) for k, v in t.items()}


def random_states(sources):
    """The states of these random generators (np.random.Generator, RandomState), to draw the same numbers
    again with set_random_states (every sweep of a Jacobian differentiates the same realisation)."""
    return [s.bit_generator.state if isinstance(s, np.random.Generator) else s.get_state() for s in sources]


def set_random_states(sources, states):
    for s, state in zip(sources, states):
        if isinstance(s, np.random.Generator):
            s.bit_generator.state = state
        else:
            s.set_state(state)


def tangent_out(t, out):
    """The tangent of a function's value in the value's structure and shape (zeros broadcast, tuples as
    tuples)."""
    if out.__class__ is _float and t.__class__ is _float:
        return t
    if out.__class__ is _float64 and t.__class__ is _float64:  # (a full np.sum / np.mean: as below, at once)
        return _float(t)
    if isinstance(out, tuple):
        return tuple(tangent_out(u, v) for u, v in zip(t, out))
    if isinstance(out, list):
        return [tangent_out(u, v) for u, v in zip(t, out)]
    if isinstance(out, dict):
        return {k: tangent_out(t[k], v) for k, v in out.items()}
    if _lib(out, t) is not None:  # (a Dask tangent stays lazy, also of a number)
        if not is_array(out):
            return t
        t = as_array(t, _lib(out))
        return t if t.shape == out.shape else spread(t, out, out.shape)
    if isinstance(out, ndarray):
        t = as_array(t)
        if t.shape != out.shape:
            t = np.broadcast_to(t, out.shape)
        if not t.flags.writeable or not t.flags.owndata and t.base is None:
            t = t.copy()
        return t
    if isinstance(out, (float, int)) and not isinstance(out, bool):
        return float(t)
    return t


def broadcast_like(t, like):
    """`t` with the shape of `like` (read-only when it had to be broadcast: copied before any store); as it
    is when `like` is not an array or a number (a list, an iterator)."""
    lc, tc = like.__class__, t.__class__
    if (lc is _float or lc is int) and (tc is _float or tc is np.float64):  # (numbers: the common case of
        return t  # the tangents of code on floats; each np.shape costs a microsecond)
    if lc is ndarray and tc is ndarray and t.shape == like.shape:
        return t
    if not isinstance(like, (ndarray, numbers.Number, np.generic)) and not foreign(like):
        return t
    shape = np.shape(like)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def reduce_jvp(partials, t, axis=None, keepdims=False):
    """Tangent of a reduction from its partial derivatives (shaped like the input): the sum of partial
    times tangent over the reduced axes."""
    nd = np.ndim(partials)
    if nd == 0:
        return partials * t
    return np.sum(partials * t, axis=normalize_axes(axis, nd), keepdims=keepdims)


def sort_jvp(t, a, axis=-1):
    """Tangent of np.sort: the tangent's entries in the order that sorts `a`."""
    t = np.broadcast_to(t, np.shape(a))
    if axis is None:
        return np.ravel(t)[np.argsort(a, axis=None, kind="stable")]
    return np.take_along_axis(t, np.argsort(a, axis=axis, kind="stable"), axis=axis)


def solve_jvp_a(t, a, x):
    """solve(a, t @ x): the part of the tangent of x = solve(a, b) that comes from a (x a vector or matrix)."""
    if np.ndim(x) == np.ndim(a) - 1:
        return _solve_vectors(a, (t @ np.expand_dims(x, -1))[..., 0]) if np.ndim(a) > 2 else \
            solve(a, t @ x)
    return solve(a, t @ x)


def transpose_apply(t, z, a):
    """t.T @ z, z a vector (a stack of vectors when a is a stack of matrices) or a matrix: x's adjoint in
    solve_jvp_a(t, a, x) from z = solve(a.T, g)."""
    if np.ndim(z) == np.ndim(a) - 1 and np.ndim(a) > 2:  # (a stack of vectors)
        return (np.swapaxes(t, -1, -2) @ np.expand_dims(z, -1))[..., 0]
    return np.swapaxes(t, -1, -2) @ z


def col_outer(u, w, a):
    """u w.T: an outer product of vectors (stacks of vectors when a is a stack of matrices) or of the columns of
    matrices (the adjoint of t in transpose_apply(t, u, a) for the adjoint w)."""
    if np.ndim(u) == np.ndim(a) - 1:
        return np.expand_dims(u, -1) * np.expand_dims(w, -2)
    return u @ np.swapaxes(w, -1, -2)


def builtin_extreme_jvp(targs, args, ans):
    """Tangent of the builtins max(a, b, ...) / min(a, b, ...) or max(iterable): the winners' tangents,
    averaged over ties."""
    if len(args) == 1:
        items, tangents = args[0], targs[0]
        if isinstance(items, ndarray):
            hits = np.array([np.array_equal(row, ans) for row in items], dtype=float)
            share = hits / max(np.sum(hits), 1.0)
            return np.tensordot(share, as_array(tangents), axes=1)
        args, targs = list(items), list(tangents)
    winners = [i for i, v in enumerate(args) if v is ans or np.array_equal(v, ans)]
    total = 0.0
    for i in winners:
        total = total + targs[i]
    return total / len(winners)


def attribute_tangent(t, attr):
    """The tangent of `obj.attr` from the tangent of an object (a dict by attribute name)."""
    if isinstance(t, dict):
        return t.get(attr, 0.0)
    return getattr(t, attr)


def dict_get_vjp(g, d, key):
    """Adjoint of `d.get(key, default)` with respect to d: `g` at the key if d has it (zeros elsewhere)."""
    out = zeros_like(d)
    if key in d:
        out[key] = g
    return out


def dict_get_default_vjp(g, d, key):
    """Adjoint of `d.get(key, default)` with respect to the default: `g` if d lacks the key, else nothing."""
    return zeros_like(g) if key in d else g


def dict_get_tangent(t, key, default):
    """Tangent of `d.get(key, default)`."""
    return t[key] if key in t else default


def fit_shape(h, v):
    """`h` brought to the shape of `v`: summed down over broadcast axes, or broadcast up (the transpose of
    `unbroadcast`, which does either). A list, tuple or dict (the adjoint of a copied container) is kept."""
    if isinstance(h, (list, tuple, dict)):
        return h
    shape = np.shape(v)
    hs = np.shape(h)
    if hs == shape:
        return h
    if np.size(h) > int(np.prod(shape)) or len(hs) > len(shape):
        return unbroadcast(h, v)
    return np.broadcast_to(h, shape)


def reduce_to(h, v, axis=None):
    """The transpose of `unreduce(v, x, axis)`: `h` summed over the axes it was spread across, in v's
    shape."""
    shape = np.shape(v)
    if np.shape(h) == shape:
        return h
    h = as_array(h)
    return np.reshape(np.sum(h, axis=normalize_axes(axis, h.ndim), keepdims=True), shape)


# -- trees: arrays and numbers in lists, tuples and dicts ------------------------------------------------
def tree_dot(a, b):
    """The sum of the products of the entries of two trees of the same structure."""
    if isinstance(a, (list, tuple)):
        return sum(tree_dot(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return sum(tree_dot(a[k], b[k]) for k in a)
    return float(np.sum(as_array(a) * as_array(b)))


# -- tangents of the adjoint helpers (second order) -----------------------------------------------------
def prod_vjp_jvp(v, dv, x, dx, axis=None, keepdims=False):
    """Tangent of prod_vjp(v, x): the products of all the other entries differentiated entry by entry
    (a scan along the reduced axes; exact also when entries are zero)."""
    x = as_array(x)
    if x.ndim == 0:
        return dv
    dx = np.broadcast_to(dx, x.shape)
    axes = normalize_axes(axis, x.ndim)
    lead = tuple(range(len(axes)))
    moved = np.moveaxis(x, axes, lead)
    dmoved = np.moveaxis(dx, axes, lead)
    rest = moved.shape[len(axes):]
    flat, dflat = moved.reshape((-1,) + rest), dmoved.reshape((-1,) + rest)
    n = flat.shape[0]
    dtype = np.result_type(flat, dflat, 1.0)  # (complex for a complex x)
    before, dbefore = np.ones((n,) + rest, dtype), np.zeros((n,) + rest, dtype)
    after, dafter = np.ones((n,) + rest, dtype), np.zeros((n,) + rest, dtype)
    for i in range(1, n):
        before[i] = before[i - 1] * flat[i - 1]
        dbefore[i] = dbefore[i - 1] * flat[i - 1] + before[i - 1] * dflat[i - 1]
        j = n - 1 - i
        after[j] = after[j + 1] * flat[j + 1]
        dafter[j] = dafter[j + 1] * flat[j + 1] + after[j + 1] * dflat[j + 1]
    others = (before * after).reshape(moved.shape)
    dothers = (dbefore * after + before * dafter).reshape(moved.shape)
    others, dothers = np.moveaxis(others, lead, axes), np.moveaxis(dothers, lead, axes)
    return keep_reduced(dv, x, axis, keepdims) * others + keep_reduced(v, x, axis, keepdims) * dothers


def std_vjp_jvp(v, dv, x, dx, s, ds, axis=None, ddof=0, keepdims=False):
    """Tangent of std_vjp(v, x, s) = v conj(x - mean) / ((N - ddof) s); 0 where the spread is 0."""
    n = count_reduced(x, axis) - ddof
    c = np.conj(x - np.mean(x, axis=axis, keepdims=True))
    dc = np.conj(dx - np.mean(dx, axis=axis, keepdims=True)) if np.ndim(dx) else np.zeros(np.shape(x))
    s, ds = keep_reduced(s, x, axis, keepdims), keep_reduced(ds, x, axis, keepdims)
    v, dv = keep_reduced(v, x, axis, keepdims), keep_reduced(dv, x, axis, keepdims)
    flat = _no_spread(x, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (dv * c + v * dc) / (n * s) - v * c * ds / (n * s * s)
    return np.where(flat, 0.0, out) if np.ndim(out) else (0.0 if flat else out)


def norm_vjp_jvp(v, dv, x, dx, a, da, ord=None, axis=None, keepdims=False):
    """Tangent of norm_vjp(v, x, a) = v x / a (the 2-norm)."""
    v, dv = keep_reduced(v, x, axis, keepdims), keep_reduced(dv, x, axis, keepdims)
    a, da = keep_reduced(a, x, axis, keepdims), keep_reduced(da, x, axis, keepdims)
    return (dv * x + v * dx) / a - v * x * da / (a * a)


def solve_vjp_b_jvp(v, dv, a, da):
    """Tangent of solve_vjp_b(v, a) = solve(a.T, v)."""
    at = np.swapaxes(a, -1, -2)
    vec = np.ndim(v) == np.ndim(a) - 1
    gb = _solve_vectors(at, v) if vec else solve(at, v)
    dat_gb = (np.swapaxes(da, -1, -2) @ np.expand_dims(gb, -1))[..., 0] if vec else np.swapaxes(da, -1, -2) @ gb
    return _solve_vectors(at, dv - dat_gb) if vec else solve(at, dv - dat_gb)


def solve_vjp_a_jvp(v, dv, a, da, b, x, dx):
    """Tangent of solve_vjp_a(v, a, b, x) = -solve(a.T, v) x.T."""
    gb = solve_vjp_b(v, a, b)
    dgb = solve_vjp_b_jvp(v, dv, a, da)
    if _vector_rhs(x, a):
        return -(np.expand_dims(dgb, -1) * np.expand_dims(x, -2) + np.expand_dims(gb, -1) * np.expand_dims(dx, -2))
    return -(dgb @ np.swapaxes(x, -1, -2) + gb @ np.swapaxes(dx, -1, -2))


def einsum_vjp_jvp(v, dv, subscripts, operands, doperands):
    """Tangent of einsum_vjp(v, subscripts, operands): the adjoint of operand j is linear in v and in every
    other operand (not in operand j itself)."""
    out = einsum_vjp(dv, subscripts, operands)
    for k, d in enumerate(doperands):
        if d is None:
            continue
        replaced = list(operands)
        replaced[k] = d
        part = einsum_vjp(v, subscripts, tuple(replaced))
        out = [o if j == k else o + p for j, (o, p) in enumerate(zip(out, part))]
    return out


# -- helpers of the library families, kept in their own modules (called as `_ad.<name>` all the same) -----
from .runtime_special import *  # noqa: E402,F401,F403
from .runtime_arrays import *  # noqa: E402,F401,F403
from .runtime_indices import *  # noqa: E402,F401,F403
from .runtime_linalg import *  # noqa: E402,F401,F403
from .runtime_fft import *  # noqa: E402,F401,F403
from .runtime_ode import *  # noqa: E402,F401,F403
from .runtime_ode_system import *  # noqa: E402,F401,F403
from .runtime_language import *  # noqa: E402,F401,F403
from .runtime_language import _stale_zero  # noqa: E402  (add_at)
from .runtime_transposes import *  # noqa: E402,F401,F403
from .runtime_third import *  # noqa: E402,F401,F403
from .runtime_third_norms import *  # noqa: E402,F401,F403


def __getattr__(name):
    """`_ad.jit`: the helpers of `jit=True` derivatives (jit_runtime.py), imported when first used so that
    importing ad_compiler does not import Numba."""
    if name == "jit":
        import importlib

        return importlib.import_module(".jit_runtime", __package__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
