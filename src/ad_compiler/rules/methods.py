"""Derivative rules for methods and attributes of array values (`x.sum(axis=0)`, `x.T`, `x.reshape(...)`).

A method template's first parameter is `self`, the array the method is called on.
"""
import numpy as np

from .. import runtime as _ad
from . import NONDIFF_ATTRIBUTES, NONDIFF_METHODS, ans, defvjp_attribute, defvjp_method, g, real_only


@defvjp_attribute("T")
def T(self):
    bself = np.transpose(g)


@defvjp_attribute("mT")
def mT(self):
    bself = np.swapaxes(g, -1, -2)


@defvjp_attribute("real")
def real(self):
    bself = np.real(g)


@defvjp_attribute("imag")
def imag(self):
    """See np.imag's rule."""
    bself = -1j * np.real(g)


@defvjp_method("conj", "conjugate", form="linear")
def conj(self):
    bself = np.conj(g)


@defvjp_method("cumprod")
def cumprod(self, axis=None, dtype=None, out=None):
    bself = _ad.cumprod_vjp(g, self, axis)
    dans = _ad.cumprod_jvp(dself, self, axis)


@defvjp_method("diagonal", form="linear")
def diagonal(self, offset=0, axis1=0, axis2=1):
    bself = _ad.diagonal_vjp(g, self, offset, axis1, axis2)


@defvjp_method("repeat", form="linear")
def repeat(self, repeats, axis=None):
    bself = _ad.repeat_vjp(g, self, repeats, axis)


@defvjp_method("take", form="linear")
def take(self, indices, axis=None):
    """Repeated indices add up (a `mode=` is refused: np.take(x, i, mode=...) takes it)."""
    bself = _ad.take_vjp(g, self, indices, axis)


@defvjp_method("sum", full_reduction=True, form="linear")
def sum(self, axis=None, dtype=None, out=None, keepdims=False):
    bself = _ad.unreduce(g, self, axis, keepdims)


@defvjp_method("mean", full_reduction=True, form="linear")
def mean(self, axis=None, dtype=None, out=None, keepdims=False):
    bself = _ad.unreduce_mean(g, self, axis, keepdims)


@defvjp_method("prod", full_reduction=True)
def prod(self, axis=None, dtype=None, out=None, keepdims=False):
    bself = _ad.prod_vjp(g, self, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.prod_vjp(np.ones_like(ans), self, axis, keepdims), dself, axis, keepdims)


@defvjp_method("max", "min", full_reduction=True)
def max(self, axis=None, out=None, keepdims=False):
    """Ties share the derivative equally."""
    bself = _ad.reduce_extreme_vjp(g, self, ans, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.reduce_extreme_vjp(np.ones_like(ans), self, ans, axis, keepdims), dself, axis, keepdims)


@defvjp_method("var", full_reduction=True)
def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    bself = _ad.var_vjp(g, self, axis, ddof, keepdims)
    dans = _ad.reduce_jvp(_ad.var_vjp(np.ones_like(ans), self, axis, ddof, keepdims), dself, axis, keepdims)


@defvjp_method("std", full_reduction=True)
def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """0 where all entries are equal (a subgradient)."""
    bself = _ad.std_vjp(g, self, ans, axis, ddof, keepdims)
    dans = _ad.reduce_jvp(_ad.std_vjp(np.ones_like(ans), self, ans, axis, ddof, keepdims), dself, axis, keepdims)


@defvjp_method("cumsum", form="linear")
def cumsum(self, axis=None, dtype=None, out=None):
    bself = _ad.cumsum_vjp(g, self, axis)


@defvjp_method("trace", form="linear")
def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    bself = _ad.trace_vjp(g, self, offset, axis1, axis2)


@defvjp_method("reshape", form="linear")
def reshape(self, *shape, order="C"):
    bself = np.reshape(g, np.shape(self)) if order == "C" else np.reshape(g, np.shape(self), order=_ad.layout_order(self, order))


@defvjp_method("ravel", "flatten", form="linear")
def ravel(self, order="C"):
    bself = np.reshape(g, np.shape(self)) if order == "C" else np.reshape(g, np.shape(self), order=_ad.layout_order(self, order))


@defvjp_method("squeeze", form="linear")
def squeeze(self, axis=None):
    bself = np.reshape(g, np.shape(self))


@defvjp_method("transpose", form="linear")
def transpose(self, *axes):
    bself = _ad.transpose_vjp(g, axes)


@defvjp_method("swapaxes", form="linear")
def swapaxes(self, axis1, axis2):
    bself = np.swapaxes(g, axis1, axis2)


@defvjp_method("dot", form="linear", multilinear=True)
def dot(self, b):
    bself = _ad.dot_vjp_a(g, self, b)
    bb = _ad.dot_vjp_b(g, self, b)


@defvjp_method("clip", elementwise=True)
def clip(self, min=None, max=None):
    """1 for self inside [min, max] (bounds included), else the bound's (np.clip's rule)."""
    return _ad.inside(self, min, max), _ad.clip_low(self, min, max), _ad.clip_high(self, min, max)


@defvjp_method("copy", form="linear")
def copy(self, order="C"):
    bself = _ad.cast_like(g, self)


@defvjp_method("view", form="linear")
def view(self):
    """`x.view()` only: the same values; `x.view(np.int64)`, `x.view(cls)` (another dtype or class) are refused."""
    bself = g


@defvjp_method("astype", form="general")  # (to an integer or boolean dtype: piecewise constant)
def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
    bself = _ad.cast_vjp(g, self, dtype)
    dans = _ad.cast_jvp(dself, dtype)


@defvjp_method("item", form="linear")
def item(self, *args):
    bself = _ad.item_vjp(g, self, args)


NONDIFF_ATTRIBUTES.update({"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "flags", "strides"})
@defvjp_method("tolist", form="linear")
def tolist(self):
    bself = _ad.tolist_vjp(g, self)


NONDIFF_METHODS.update({"argmax", "argmin", "argsort", "nonzero", "all", "any", "__len__", "round",
                        "searchsorted"})


real_only("its bounds are differentiated for real values only", methods=("clip",))
