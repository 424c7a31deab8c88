"""Runtime helpers giving the index NumPy's indexing functions use, so that those functions are written as the
plain reads and stores they are (desugar_index_forms.py; re-exported by runtime.py, called as `_ad.<name>`).
Their results are integer positions: piecewise constant, no derivative (rules/helpers.py)."""
import numpy as np

__all__ = ["along_axis_index", "kept_positions", "indexed_shape"]


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


def indexed_shape(shape, index):
    """The shape of `a[index]` for an array `a` of `shape` (a zero-strided array indexed: nothing of a's size
    is made), with NumPy's IndexError."""
    return np.broadcast_to(np.zeros((), dtype=bool), shape)[index].shape
