"""The results of a vjp, jvp or hvp as the caller's own arrays: none shares memory with an argument.

A jvp's value may be an argument itself or a view of it (f returning `x`, `x[1:]`, `x.T`, `d["w"]`), its
tangent the caller's tangent or a view of it (`f(x) = x + c`, a tangent passed through a container), and with
jit=True a vjp's gradient the caller's seed (Numba's `astype` to the same dtype does not copy): a caller
changing one would change the other, or the next call's input. JAX's arrays cannot be changed, so sharing
there is never seen; PyTorch's torch.func.jvp / vjp return tensors of their own; HIPS autograd gives the
seed itself back (`make_vjp` of the identity). Here each array of the result that may share memory with an
array of the arguments (`np.may_share_memory`: bounds only, constant time) is copied; the dispatcher of a
derivative taking a seed or a tangent (driver.make_dispatcher) passes its result through `fresh`.
Arrays of other libraries (Dask, CuPy) are left as they are (docs/limits.md).
"""
import numpy as np
from numpy import ndarray

from .runtime import _is_object, object_attributes

_float, _f64 = float, np.float64


def fresh(out, args):
    """`out` with each NumPy array that may share memory with an array of `args` (at any depth of lists,
    tuples, dicts and objects' attributes) replaced by a copy."""
    oc = out.__class__
    if oc is _float:
        return out
    if oc is tuple and len(out) == 2:  # (a jvp of a scalar function: value and tangent numbers, at once)
        a, b = out
        ac, bc = a.__class__, b.__class__
        if (ac is _float or ac is _f64) and (bc is _float or bc is _f64):
            return out
    if not _mutable_inside(out, 0):
        return out
    arrays, held = [], set()
    for a in args:
        if a.__class__ is ndarray:  # (the common case at once)
            arrays.append((a, _owner(a)))
        else:
            _arrays_of(a, arrays, held)
    return _detach(out, arrays, held, 0)


def _owner(a):
    """The array owning the memory the array `a` sees (through its `.base` chain), or None when that is not
    known (an array over another object's buffer): two arrays of different owners share no memory."""
    while True:
        b = a.base
        if b is None:
            return a if a.flags["OWNDATA"] else None
        if not isinstance(b, ndarray):
            return None
        a = b


def _mutable_inside(value, depth):
    """Does `value` hold a NumPy array, a list or a dict (something a caller could change)?"""
    if isinstance(value, (ndarray, list, dict)):
        return True
    return isinstance(value, tuple) and depth < 20 and any(_mutable_inside(v, depth + 1) for v in value)


def _arrays_of(value, out, seen):
    """Append (array, its owner) for each NumPy array in `value` (lists, tuples, dicts and objects' attributes,
    at any depth); `seen`: the ids of the containers walked."""
    if isinstance(value, ndarray):
        out.append((value, _owner(value)))
        return
    if value.__class__ in _ATOMS:
        return
    if isinstance(value, (list, tuple, dict)) or _is_object(value):
        if id(value) in seen:  # (a container holding itself)
            return
        seen.add(id(value))
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else \
            object_attributes(value).values()
        for v in items:
            if v.__class__ not in _ATOMS:  # (a list of numbers: at once)
                _arrays_of(v, out, seen)


_ATOMS = {float, int, bool, complex, str, bytes, type(None), np.float64, np.float32, np.int64, np.int32, np.bool_}


def _detach(value, arrays, held, depth):
    """`value` with its arrays that may share memory with `arrays` copied; a list or dict the caller holds
    (`held`: the ids of the arguments' containers) or holding such an array made anew."""
    if isinstance(value, ndarray):
        owner = _owner(value)
        for a, other in arrays:
            if owner is other if owner is not None and other is not None else np.may_share_memory(value, a):
                return np.array(value, copy=True, order="K", subok=True)
        return value
    if depth > 20:
        return value
    if isinstance(value, dict):
        items = {k: _detach(v, arrays, held, depth + 1) for k, v in value.items()}
        return value if id(value) not in held and all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, (list, tuple)):
        items = [_detach(v, arrays, held, depth + 1) for v in value]
        if all(i is v for i, v in zip(items, value)) and (isinstance(value, tuple) or id(value) not in held):
            return value
        if isinstance(value, tuple):
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        return items
    return value
