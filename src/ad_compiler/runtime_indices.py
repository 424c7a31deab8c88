"""Runtime helpers giving the index NumPy's indexing functions use, so that those functions are written as the
plain reads and stores they are (desugar_index_forms.py; re-exported by runtime.py, called as `_ad.<name>`).
Their results are integer positions: piecewise constant, no derivative (rules/helpers.py)."""
import numpy as np

from .errors import UnsupportedError

__all__ = ["along_axis_index", "kept_positions", "indexed_shape", "diagonal_positions", "cyclic_positions",
           "flat_store_positions", "check_unshared", "at_steps",
           "choose_conditions", "flat_positions"]


def along_axis_index(indices, axis, shape):
    """The index `arr[...]` of `np.take_along_axis(arr, indices, axis)` / `np.put_along_axis` (NumPy's own
    construction: `indices` along `axis`, an `arange` broadcast along every other axis), with NumPy's errors."""
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise IndexError("`indices` must be an integer array")
    if indices.ndim != len(shape):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = int(axis)
    if not -len(shape) <= axis < len(shape):
        raise np.exceptions.AxisError(axis, len(shape))
    axis %= len(shape)
    index = []
    for k, n in enumerate(shape):
        if k == axis:
            index.append(indices)
        else:
            index.append(np.arange(n).reshape((1,) * k + (n,) + (1,) * (len(shape) - k - 1)))
    return tuple(index)


def kept_positions(condition):
    """The positions `np.compress(condition, a, axis)` keeps (condition: 1-d, as NumPy requires)."""
    condition = np.asarray(condition)
    if condition.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    return np.nonzero(condition)[0]


def indexed_shape(a, index):
    """The shape of `a[index]` for the array `a` of `np.add.at(a, index, b)` (a zero-strided array of a's shape
    indexed: nothing of a's size is made), with NumPy's errors (`a` must be an array: a list is a TypeError)."""
    if not (hasattr(a, "shape") and hasattr(a, "dtype") and hasattr(a, "__array__")):
        raise TypeError(f"the first operand of ufunc.at must be an array, not {type(a).__name__}")
    return np.broadcast_to(np.zeros((), dtype=bool), np.shape(a))[index].shape


def diagonal_positions(shape, wrap, size):
    """The positions `np.fill_diagonal(a, val, wrap)` writes (NumPy's own: every step-th entry of a in C
    order), as an index tuple, with NumPy's errors; none when val has no entries (`size` 0: NumPy writes
    nothing)."""
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    end = None
    if len(shape) == 2:
        step = shape[1] + 1
        if not wrap:
            end = shape[1] * shape[1]
    else:
        if any(n != shape[0] for n in shape):
            raise ValueError("All dimensions of input must be of equal length")
        step = 1 + int(np.sum(np.cumprod(shape[:-1])))
    flat = np.arange(int(np.prod(shape)) if size else 0)[:end:step]
    return np.unravel_index(flat, shape)


def cyclic_positions(size, positions):
    """`arange(n) % size` for the n positions of an index tuple: the entries of `size` values a flat store
    (`a.flat[...] = val`) writes there, repeated cyclically (the first n of longer values)."""
    n = len(positions[0])
    return np.arange(n) % size if n else np.zeros(0, dtype=np.intp)


def flat_store_positions(how, shape, where, size, mode="raise"):
    """What NumPy's flat stores write into an array of `shape`, given values of `size` entries: the positions,
    as an index tuple of that shape, and the entries of the raveled values written there. `how`: "put"
    (`np.put(a, ind, v, mode)`: `where` the flat positions, the values taken in turn), "putmask"
    (`np.putmask(a, mask, values)`: position i takes value i % size) or "place" (`np.place(a, mask, vals)`:
    the chosen positions take the values in turn); values repeat cyclically; NumPy's errors."""
    n = int(np.prod(shape))
    if how == "put":
        flat = np.ravel(np.asarray(where).astype(np.intp, casting="safe"))
        if mode == "raise":
            bad = flat[(flat >= n) | (flat < -n)]
            if bad.size:
                raise IndexError(f"index {bad[0]} is out of bounds for axis 0 with size {n}")
            flat = flat % n if n else flat
        elif mode == "wrap":
            flat = flat % n if n else flat
        elif mode == "clip":
            flat = np.clip(flat, 0, n - 1)
        else:
            raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
        which = np.arange(flat.size)
    else:
        mask = np.asarray(where, dtype=bool)
        if mask.size != n:
            raise ValueError(f"{how}: mask and data must be the same size")
        flat = np.flatnonzero(mask)
        if how == "place" and size == 0 and flat.size:
            raise ValueError("Cannot insert from an empty array!")
        which = flat if how == "putmask" else np.arange(flat.size)
    if size == 0:  # (no values: nothing written)
        flat, which = flat[:0], which[:0]
    return np.unravel_index(flat, shape), which % size if size else which


def check_unshared(a, values, name):
    """Refuses values that may share memory with the array `a` that np.fill_diagonal / np.place write into:
    NumPy reads them while writing (a value read after its place was written gives the new value), where the
    rewritten store reads them all first."""
    if isinstance(values, np.ndarray) and np.may_share_memory(a, values):
        raise UnsupportedError(f"the values given to `{name}` share memory with the array it changes: NumPy reads "
                               "them while it writes, which the derivative does not follow",
                               hint=f"pass a copy of the values (`.copy()`) to `{name}`")
    return None


def at_steps(shape, index):
    """The steps of `np.multiply.at(a, index, b)` (and divide, maximum, minimum) of an array `a` of `shape`, as
    stores without a repeated position: a list of (positions in a, an index tuple; the entries of b broadcast to
    a[index]'s shape, in C order, applied there). Step k applies the k-th occurrence of each position, so every
    entry of a is combined with its values in NumPy's order (a[p] * b1 * b2, not a[p] * (b1 * b2)). (Given a's
    shape, not a: the alias pass takes what a helper given an array returns for something that may share it.)"""
    flat = np.arange(int(np.prod(shape))).reshape(shape)[index].ravel()
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.r_[0, np.nonzero(ordered[1:] != ordered[:-1])[0] + 1] if flat.size else np.zeros(0, int)
    rank = np.empty(flat.size, dtype=np.intp)
    rank[order] = np.arange(flat.size) - np.repeat(starts, np.diff(np.r_[starts, flat.size]))
    steps = []
    for k in range(int(rank.max()) + 1 if flat.size else 0):
        which = np.nonzero(rank == k)[0]
        steps.append((np.unravel_index(flat[which], shape), which))
    return steps


def choose_conditions(a, n, mode="raise"):
    """Where `np.choose(a, choices, mode=mode)` takes each of its `n` choices: a list of n boolean arrays
    (`idx == k`), for `np.select(conditions, choices)` (desugar_index_forms.py), with NumPy's errors (an index
    array that is not of integers, an entry out of range with mode 'raise', another mode)."""
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError("Use one of 'clip', 'raise', or 'wrap' for clip mode")
    a = np.asarray(a)
    if not np.can_cast(a.dtype, np.intp, "safe"):
        raise TypeError(f"Cannot cast array data from {a.dtype!r} to {np.dtype(np.intp)!r} according to the rule "
                        "'safe'")
    if n == 0 or mode == "raise" and a.size and (np.min(a) < 0 or np.max(a) >= n):
        raise ValueError("invalid entry in choice array")
    idx = a % n if mode == "wrap" else np.clip(a, 0, n - 1) if mode == "clip" else a
    return [idx == k for k in range(n)]


def flat_positions(shape, index, cls):
    """The positions in C order `x.flat[index]` reads or writes (NumPy's own reading of the index: an int, a
    slice, an int array, a boolean mask) of an array of `shape`, for `np.take` / `np.put`
    (desugar_index_forms.py); refused for a value whose class `cls` is not ndarray (an object of the user's with
    an attribute `flat`, a subclass). (Given x's shape and class, not x: what a helper given an array returns may
    share it, for the alias pass.)"""
    if cls is not np.ndarray:
        raise UnsupportedError(f"`.flat[...]` of a {cls.__name__}: the compiler reads `x.flat[i]` as NumPy's "
                               "flat index of an ndarray", hint="index the value another way (`x.ravel()[i]`)")
    return np.arange(int(np.prod(shape))).reshape(shape).flat[index]
