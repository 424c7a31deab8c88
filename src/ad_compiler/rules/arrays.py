"""Derivative rules for NumPy's products of arrays, array manipulation, order statistics and the reductions
not in rules/numpy.py. The adjoints are in runtime_arrays.py (`_ad.<name>`).

Conventions at kinks: order statistics (np.partition, np.median, np.quantile, np.percentile) send the
derivative to the entries that sort into the positions used, ties broken by a stable sort (as np.sort's
rule does); np.median of an even count and np.quantile between two order statistics interpolate linearly,
so the two entries share the derivative with the interpolation weights (1/2 each for a median).
np.ptp sends the derivative to the largest and smallest entries, shared equally among ties (as np.max).
"""
import numpy as np

from .. import runtime as _ad
from . import ans, derivative, g, linear, real_only

# -- products ---------------------------------------------------------------------------------------------------


@linear(np.tensordot, multilinear=True)
def tensordot(a, b, axes=2):
    ba = _ad.tensordot_vjp_a(g, a, b, axes)
    bb = _ad.tensordot_vjp_b(g, a, b, axes)


@linear(np.inner, multilinear=True)
def inner(a, b):
    ba = _ad.tensordot_vjp_a(g, a, b, ((-1,), (-1,)))
    bb = _ad.tensordot_vjp_b(g, a, b, ((-1,), (-1,)))


@linear(np.kron, multilinear=True)
def kron(a, b):
    ba = _ad.kron_vjp_a(g, a, b)
    bb = _ad.kron_vjp_b(g, a, b)


@linear(np.cross, multilinear=True)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """One axis for a, b and the result (`axis=`, or equal axisa, axisb, axisc: rule_arguments.py refuses others).
    Its signature was cross(a, b, axis): np.cross(a, b, 0) (axisa=0) was differentiated as axis=0 (sig25-017)."""
    ba = _ad.cross_vjp(g, b, a, _ad.cross_axis(axisa, axis), 0)
    bb = _ad.cross_vjp(g, a, b, _ad.cross_axis(axisa, axis), 1)


# -- repetition, splitting, triangles, rotations --------------------------------------------------------------


@linear(np.repeat)
def repeat(a, repeats, axis=None):
    ba = _ad.repeat_vjp(g, a, repeats, axis)


@linear(np.tile)
def tile(A, reps):
    bA = _ad.tile_vjp(g, A, reps)


@linear(np.split, np.array_split)
def split(ary, indices_or_sections, axis=0):
    bary = _ad.split_vjp(g, ary, indices_or_sections, axis, "split")


@linear(np.hsplit)
def hsplit(ary, indices_or_sections):
    bary = _ad.split_vjp(g, ary, indices_or_sections, 1, "hsplit")


@linear(np.vsplit)
def vsplit(ary, indices_or_sections):
    bary = _ad.split_vjp(g, ary, indices_or_sections, 0, "vsplit")


@linear(np.dsplit)
def dsplit(ary, indices_or_sections):
    bary = _ad.split_vjp(g, ary, indices_or_sections, 2, "dsplit")


@linear(np.tril)
def tril(m, k=0):
    bm = np.tril(g, k)


@linear(np.triu)
def triu(m, k=0):
    bm = np.triu(g, k)


@linear(np.roll)
def roll(a, shift, axis=None):
    ba = np.roll(g, np.negative(shift), axis)


@linear(np.rollaxis)
def rollaxis(a, axis, start=0):
    ba = _ad.permute_vjp(g, _ad.axes_permutation(np.rollaxis, np.ndim(a), axis, start))


@linear(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    bm = np.rot90(g, -k, axes)


@linear(np.fliplr)
def fliplr(m):
    bm = np.fliplr(g)


@linear(np.flipud)
def flipud(m):
    bm = np.flipud(g)


@linear(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    ba = _ad.diagonal_vjp(g, a, offset, axis1, axis2)


@derivative(np.pad)
def pad(array, pad_width, mode="constant", constant_values=0, end_values=0, reflect_type="even", stat_length=None):
    """Modes that copy entries (constant, edge, reflect, symmetric, wrap, empty); the constants themselves
    (constant_values) and the other modes have no rule."""
    barray = _ad.pad_vjp(g, array, pad_width, mode, reflect_type)
    dans = _ad.pad_tangent(darray, array, pad_width, mode, reflect_type)


# -- differences and gradients ----------------------------------------------------------------------------------


@linear(np.diff)
def diff(a, n=1, axis=-1, prepend=None, append=None):
    ba = _ad.diff_vjp(g, a, n, axis, prepend, append, 0)
    bprepend = _ad.diff_vjp(g, a, n, axis, prepend, append, 1)
    bappend = _ad.diff_vjp(g, a, n, axis, prepend, append, 2)


@derivative(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Linear in f; the spacings are constants."""
    bf = _ad.gradient_vjp(g, f, varargs, axis, edge_order)
    dans = _ad.gradient_jvp(df, f, varargs, axis, edge_order)


# -- order statistics ---------------------------------------------------------------------------------------------


@derivative(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Each entry's derivative goes with its value (ties: in the order of a stable sort)."""
    ba = _ad.partition_vjp(g, a, ans, axis)
    dans = _ad.partition_jvp(da, a, ans, axis)


@derivative(np.median, full_reduction=True)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle entry; of an even count, the two middle entries half each (ties: stable sort order)."""
    ba = _ad.quantile_vjp(g, a, 0.5, axis, keepdims)
    dans = _ad.quantile_jvp(da, a, 0.5, axis, keepdims)


@derivative(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """method='linear' only: the two order statistics around (n - 1) q with the interpolation weights
    (ties: stable sort order). q is a constant."""
    ba = _ad.quantile_vjp(g, a, q, axis, keepdims, method)
    dans = _ad.quantile_jvp(da, a, q, axis, keepdims, method)


@derivative(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """As np.quantile with q / 100 (refused for a Dask array over all entries: Dask's is approximate)."""
    ba = _ad.percentile_vjp(g, a, q, axis, keepdims, method)
    dans = _ad.percentile_jvp(da, a, q, axis, keepdims, method)


@derivative(np.nanmedian, full_reduction=True)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """np.median of each slice's entries that are not NaN (NaN entries: derivative 0; a slice of NaN only, whose
    median is NaN: 0)."""
    ba = _ad.nanquantile_vjp(g, a, 0.5, axis, keepdims)
    dans = _ad.nanquantile_jvp(da, a, 0.5, axis, keepdims)


@derivative(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """np.quantile of each slice's entries that are not NaN (method='linear' only; q is a constant)."""
    ba = _ad.nanquantile_vjp(g, a, q, axis, keepdims, method)
    dans = _ad.nanquantile_jvp(da, a, q, axis, keepdims, method)


@derivative(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """As np.nanquantile with q / 100."""
    ba = _ad.nanquantile_vjp(g, a, np.divide(q, 100.0), axis, keepdims, method)
    dans = _ad.nanquantile_jvp(da, a, np.divide(q, 100.0), axis, keepdims, method)


@derivative(np.ptp, full_reduction=True)
def ptp(a, axis=None, out=None, keepdims=False):
    """max - min: the largest and smallest entries, shared equally among ties."""
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    ba = _ad.reduce_extreme_vjp(g, a, hi, axis, keepdims) - _ad.reduce_extreme_vjp(g, a, lo, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.reduce_extreme_vjp(np.ones_like(ans), a, hi, axis, keepdims)
                          - _ad.reduce_extreme_vjp(np.ones_like(ans), a, lo, axis, keepdims), da, axis, keepdims)


# -- selection ------------------------------------------------------------------------------------------------------


@linear(np.select)
def select(condlist, choicelist, default=0):
    """Each choice where it is the first whose condition holds; the default where none holds."""
    bchoicelist = _ad.select_vjp(g, condlist, choicelist, default, 0)
    bdefault = _ad.select_vjp(g, condlist, choicelist, default, 1)


@derivative(np.piecewise)
def piecewise(x, condlist, funclist):
    """Constant pieces only (the result is piecewise constant in x: its derivative in x is 0; each piece
    where it is used). Function pieces are refused (NoDerivativeError when the derivative runs)."""
    bx = _ad.piecewise_vjp(g, x, condlist, funclist, 0)
    bfunclist = _ad.piecewise_vjp(g, x, condlist, funclist, 1)
    dans = _ad.piecewise_jvp(dfunclist, x, condlist, funclist) + _ad.piecewise_x_jvp(dx, funclist)


# -- more reductions -------------------------------------------------------------------------------------------------


@derivative(np.nansum, full_reduction=True)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    """NaN entries are skipped: their derivative is 0."""
    ba = np.where(np.isnan(a), 0.0, _ad.unreduce(g, a, axis, keepdims))
    dans = np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)


@derivative(np.nanmean, full_reduction=True)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    """NaN entries are skipped: their derivative is 0; the others share 1 / (their count). A slice of NaN only
    (its value NaN) has derivative 0, its tangent too (it was NaN: refuse27 r27-005)."""
    ba = np.where(np.isnan(a), 0.0, _ad.keep_reduced(g, a, axis, keepdims)
                  / np.maximum(np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True), 1))
    dans = np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims) / \
        np.maximum(np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims), 1)


@derivative(np.nanmax, np.nanmin, full_reduction=True)
def nanmax(a, axis=None, out=None, keepdims=False):
    """As np.max (np.min) among the entries that are not NaN (never equal to the result); NaN entries get 0, also in a
    slice of NaN only (its value NaN, its adjoint maybe NaN: refuse27 r27-006 gave them NaN)."""
    ba = np.where(np.isnan(a), 0.0, _ad.reduce_extreme_vjp(g, a, ans, axis, keepdims))
    dans = _ad.reduce_jvp(np.where(np.isnan(a), 0.0, _ad.reduce_extreme_vjp(np.ones_like(ans), a, ans, axis, keepdims)),
                          da, axis, keepdims)


@derivative(np.nanvar, full_reduction=True)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """NaN entries are skipped: their derivative is 0; the others 2 (a - mean) / (count - ddof). A slice whose
    count is at most ddof (all NaN, or too few entries: NumPy gives NaN) has derivative 0. No NaN in between:
    the NaN entries are replaced before the mean, so second derivatives stay finite (refuse27)."""
    keep = np.logical_not(np.isnan(a))
    dof = np.sum(keep, axis=axis, keepdims=True) - ddof
    z = np.where(keep, a, 0.0)
    dev = np.where(keep, z - np.sum(z, axis=axis, keepdims=True) / np.maximum(dof + ddof, 1), 0.0)
    scale = np.where(dof > 0, 2.0 / np.maximum(dof, 1), 0.0)
    ba = dev * scale * np.where(dof > 0, _ad.keep_reduced(g, a, axis, keepdims), 0.0)
    dans = np.sum(dev * scale * np.where(keep, da, 0.0), axis=axis, keepdims=keepdims)


@derivative(np.nanstd, full_reduction=True)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """NaN entries are skipped (derivative 0); the others (a - mean) / ((count - ddof) std); 0 where the std is
    0 (all entries equal: a subgradient, as np.std) or NaN (all NaN, or a count at most ddof)."""
    keep = np.logical_not(np.isnan(a))
    dof = np.sum(keep, axis=axis, keepdims=True) - ddof
    z = np.where(keep, a, 0.0)
    dev = np.where(keep, z - np.sum(z, axis=axis, keepdims=True) / np.maximum(dof + ddof, 1), 0.0)
    sd = _ad.keep_reduced(ans, a, axis, keepdims)
    scale = np.where(sd > 0, 1.0 / (np.maximum(dof, 1) * np.where(sd > 0, sd, 1.0)), 0.0)
    ba = dev * scale * np.where(sd > 0, _ad.keep_reduced(g, a, axis, keepdims), 0.0)
    dans = np.sum(dev * scale * np.where(keep, da, 0.0), axis=axis, keepdims=keepdims)


@derivative(np.nanprod, full_reduction=True)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False):
    """NaN entries count as 1 (derivative 0); the others the product of the others (exact with zeros)."""
    ba = np.where(np.isnan(a), 0.0, _ad.prod_vjp(g, np.where(np.isnan(a), 1.0, a), axis, keepdims))
    dans = _ad.reduce_jvp(_ad.prod_vjp(np.ones_like(ans), np.where(np.isnan(a), 1.0, a), axis, keepdims),
                          np.where(np.isnan(a), 0.0, da), axis, keepdims)


@derivative(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """NaN entries count as 0 (derivative 0)."""
    ba = np.where(np.isnan(a), 0.0, _ad.cumsum_vjp(g, a, axis))
    dans = np.cumsum(np.where(np.isnan(a), 0.0, da), axis=axis)


@derivative(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """NaN entries count as 1 (derivative 0); exact with zeros, as np.cumprod."""
    ba = np.where(np.isnan(a), 0.0, _ad.cumprod_vjp(g, np.where(np.isnan(a), 1.0, a), axis))
    dans = _ad.cumprod_jvp(np.where(np.isnan(a), 0.0, da), np.where(np.isnan(a), 1.0, a), axis)


@derivative(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Exact also where entries are 0 (scans, no division)."""
    ba = _ad.cumprod_vjp(g, a, axis)
    dans = _ad.cumprod_jvp(da, a, axis)


@derivative(np.average, full_reduction=True)
def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """sum(w a) / sum(w); returned=True is refused."""
    w = _ad.shaped_weights(weights, a, axis)
    total = np.sum(w * np.ones_like(a), axis=axis, keepdims=True)
    mean = _ad.keep_reduced(_ad.refuse_returned(ans, returned), a, axis, keepdims)
    ba = _ad.unbroadcast(_ad.keep_reduced(g, a, axis, keepdims) * w / total, a)
    bweights = _ad.weights_vjp(_ad.keep_reduced(g, a, axis, keepdims) * (a - mean) / total, weights, a, axis)
    dans = np.sum(w * da, axis=axis, keepdims=keepdims) / np.reshape(total, np.shape(ans)) + \
        np.sum(_ad.shaped_weights(dweights, a, axis) * (a - mean), axis=axis, keepdims=keepdims) \
        / np.reshape(total, np.shape(ans))

real_only("its pieces are differentiated for real operands only", np.piecewise)
real_only("its deviations are differentiated for real operands only (of a complex array it is the mean of "
          "|a - mean|^2)", np.nanvar, np.nanstd)
