"""Derivative rules for NumPy functions (and the arithmetic operators, which share them).

Elementwise functions give their partial derivatives; linear functions the adjoint of each parameter
(forward mode applies the function to the tangent); the rest both (`b<param> = ...`, `dans = ...`).
`g` is the adjoint of the result `ans`. Helpers (`_ad.unreduce`, ...) are in runtime.py.
"""
import builtins
import math
import operator

import numpy as np

from .. import runtime as _ad
from . import NONDIFF_REAL_ONLY, ans, derivative, elementwise, g, linear, nondifferentiable, real_form, real_only

# -- arithmetic ---------------------------------------------------------------------------------------


@elementwise(operator.add, np.add)
def add(x1, x2):
    return 1.0, 1.0


@elementwise(operator.sub, np.subtract)
def subtract(x1, x2):
    return 1.0, -1.0


@elementwise(operator.mul, np.multiply)
def multiply(x1, x2):
    return x2, x1


@elementwise(operator.truediv, np.divide, np.true_divide)
def divide(x1, x2):
    return 1.0 / x2, -ans / x2


@elementwise(operator.pow, np.power, np.float_power, builtins.pow)
def power(x1, x2):
    """d / dx2 = x1^x2 log x1 for x1 > 0; 0 where x1 <= 0 (there x1^x2 is real only for integer x2); for a
    complex x1, or a complex result (Python's `(-2.0) ** 0.5`: sig25-007), x1^x2 log x1 (0 at x1 = 0)."""
    return _ad.power_partial(x1, x2), ans * np.log(
        np.where((np.real(x1) > 0) | (np.iscomplexobj(x1) | np.iscomplexobj(ans)) & (x1 != 0), x1, 1.0)
        + (0j if np.iscomplexobj(ans) else 0.0))


@real_form(operator.pow, np.power, np.float_power, builtins.pow, form="elementwise")
def power_of_real(x1, x2):
    """Real operands and a real result (complexity.py: not Python's `(-2.0) ** 0.5`): d / dx2 = x1^x2 log x1
    for x1 > 0, 0 where x1 <= 0, decided from the kinds when compiling (Numba compiles it: jit=True)."""
    return _ad.power_partial(x1, x2), ans * np.log(np.where(x1 > 0, x1, 1.0))


@elementwise(operator.mod, np.mod, np.remainder)
def mod(x1, x2):
    """Jumps where x1 / x2 is an integer (no derivative there); between jumps 1 and -floor(x1 / x2)."""
    return 1.0, -np.floor_divide(x1, x2)


@elementwise(np.fmod, math.fmod)
def fmod(x1, x2):
    """Jumps where x1 / x2 is an integer; between jumps 1 and -trunc(x1 / x2)."""
    return 1.0, -np.trunc(x1 / x2)


@elementwise(operator.neg, np.negative)
def negative(x):
    return -1.0


@elementwise(operator.pos, np.positive)
def positive(x):
    return 1.0


@linear(operator.matmul, np.matmul, multilinear=True)
def matmul(x1, x2):
    bx1 = _ad.matmul_vjp_a(g, x1, x2)
    bx2 = _ad.matmul_vjp_b(g, x1, x2)


@linear(np.dot, multilinear=True)
def dot(a, b):
    ba = _ad.dot_vjp_a(g, a, b)
    bb = _ad.dot_vjp_b(g, a, b)


@linear(np.outer, multilinear=True)
def outer(a, b):
    ba = np.reshape(g @ np.ravel(b), np.shape(a))
    bb = np.reshape(np.ravel(a) @ g, np.shape(b))


# -- elementwise functions ----------------------------------------------------------------------------


@derivative(np.abs, np.absolute)
def absolute(x):
    """sign(x), 0 at 0; for a complex x, d|x| = Re(conj(x / |x|) dx) (see runtime_fft.py: the adjoint of a
    complex value)."""
    bx = np.real(g) * np.conj(_ad.sign(x))
    dans = np.real(np.conj(_ad.sign(x)) * dx)


@real_form(np.abs, np.absolute)
def absolute_of_real(x):
    """sign(x) g for a real x (0 at 0): one multiply."""
    bx = _ad.abs_vjp(g, x)
    dans = _ad.abs_vjp(dx, x)


@elementwise(np.fabs)
def fabs(x):
    """sign(x), 0 at 0."""
    return np.sign(x)


@elementwise(np.exp)
def exp(x):
    return ans


@derivative(_ad.logistic_of, constant_in=("d",))
def logistic_of(d, x):
    """`1.0 / d` with d = 1 + exp(-x) in the same block (fuse_logistic.py): the logistic function of x,
    whose derivative is ans (1 - ans)."""
    bx = g * (ans * (1.0 - ans))
    dans = dx * (ans * (1.0 - ans))


@elementwise(np.exp2)
def exp2(x):
    return ans * np.log(2.0)


@elementwise(np.expm1)
def expm1(x):
    return ans + 1.0


@elementwise(np.log)
def log(x):
    return 1.0 / x


@elementwise(np.log2)
def log2(x):
    return 1.0 / (x * np.log(2.0))


@elementwise(np.log10)
def log10(x):
    return 1.0 / (x * np.log(10.0))


@elementwise(np.log1p)
def log1p(x):
    return 1.0 / (1.0 + x)


@elementwise(np.sqrt)
def sqrt(x):
    return 0.5 / ans


@elementwise(np.cbrt)
def cbrt(x):
    return 1.0 / (3.0 * ans ** 2)


@elementwise(np.square)
def square(x):
    return 2.0 * x


@elementwise(np.reciprocal)
def reciprocal(x):
    return -ans ** 2


@elementwise(np.sin)
def sin(x):
    return np.cos(x)


@elementwise(np.cos)
def cos(x):
    return -np.sin(x)


@elementwise(np.tan)
def tan(x):
    return 1.0 + ans ** 2


@elementwise(np.arcsin)
def arcsin(x):
    return 1.0 / np.sqrt(1.0 - x ** 2)


@elementwise(np.arccos)
def arccos(x):
    return -1.0 / np.sqrt(1.0 - x ** 2)


@elementwise(np.arctan)
def arctan(x):
    return 1.0 / (1.0 + x ** 2)


# (the formula reads an infinite operand as 1, so that its own derivative, which the `where` drops, is not NaN
# either: 0 * NaN made second derivatives NaN, h26b-003)
@elementwise(np.arctan2)
def arctan2(x1, x2):
    """0 where an operand is infinite (arctan2 is constant there; the formula gave inf / inf = NaN: sig25-021)."""
    return np.where(np.isinf(x1) | np.isinf(x2), 0.0, np.where(np.isinf(x2), 1.0, x2) / (
        np.where(np.isinf(x1), 1.0, x1) ** 2 + np.where(np.isinf(x2), 1.0, x2) ** 2)), \
        np.where(np.isinf(x1) | np.isinf(x2), 0.0, -np.where(np.isinf(x1), 1.0, x1) / (
            np.where(np.isinf(x1), 1.0, x1) ** 2 + np.where(np.isinf(x2), 1.0, x2) ** 2))


@elementwise(np.sinh)
def sinh(x):
    return np.cosh(x)


@elementwise(np.cosh)
def cosh(x):
    return np.sinh(x)


@elementwise(np.tanh)
def tanh(x):
    return 1.0 - ans ** 2


@elementwise(np.arcsinh)
def arcsinh(x):
    return 1.0 / np.sqrt(x ** 2 + 1.0)


@elementwise(np.arccosh)
def arccosh(x):
    """1 / (sqrt(x - 1) sqrt(x + 1)): = 1 / sqrt(x^2 - 1) for a real x > 1, and on arccosh's own branch for a
    complex x."""
    return 1.0 / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0))


@elementwise(np.arctanh)
def arctanh(x):
    return 1.0 / (1.0 - x ** 2)


@elementwise(np.logaddexp)
def logaddexp(x1, x2):
    return np.exp(x1 - ans), np.exp(x2 - ans)


@elementwise(np.logaddexp2)
def logaddexp2(x1, x2):
    return 2.0 ** (x1 - ans), 2.0 ** (x2 - ans)


@elementwise(np.hypot)
def hypot(x1, x2):
    """0 at (0, 0), where hypot is not differentiable (the subgradient np.linalg.norm's rule takes; the plain
    formula gave NaN: sig25-006)."""
    return x1 / np.where(ans == 0, 1.0, ans), x2 / np.where(ans == 0, 1.0, ans)


@elementwise(np.deg2rad, np.radians)
def deg2rad(x):
    return np.pi / 180.0


@elementwise(np.rad2deg, np.degrees)
def rad2deg(x):
    return 180.0 / np.pi


@elementwise(np.sinc)
def sinc(x):
    """0 at x = 0 (the formula is guarded there; so a second derivative at exactly 0 is 0, not -pi^2 / 3)."""
    return np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))


@elementwise(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """1 where x is finite, 0 where it is replaced; each replacement value where it is used."""
    return np.isfinite(x) * 1.0, None, np.isnan(x) * 1.0, np.isposinf(x) * 1.0, np.isneginf(x) * 1.0


@elementwise(np.maximum)
def maximum(x1, x2):
    """Ties share the derivative equally (1/2 each)."""
    return _ad.max_share(x1, x2), _ad.max_share(x2, x1)


@elementwise(np.minimum)
def minimum(x1, x2):
    """Ties share the derivative equally (1/2 each)."""
    return _ad.min_share(x1, x2), _ad.min_share(x2, x1)


@elementwise(np.fmax)
def fmax(x1, x2):
    """As np.maximum's, and where one operand is NaN the result is the other one (sig25-005)."""
    return _ad.max_share(x1, x2) + np.isnan(x2) * (x1 == x1), _ad.max_share(x2, x1) + np.isnan(x1) * (x2 == x2)


@elementwise(np.fmin)
def fmin(x1, x2):
    """As np.minimum's, and where one operand is NaN the result is the other one (sig25-005)."""
    return _ad.min_share(x1, x2) + np.isnan(x2) * (x1 == x1), _ad.min_share(x2, x1) + np.isnan(x1) * (x2 == x2)


@elementwise(np.clip)
def clip(a, a_min=None, a_max=None):
    """1 for a inside [a_min, a_max] (bounds included), else the bound's; at a bound a gets it. A lower bound
    above the upper one, or equal to it, gives the upper one (np.clip is min(max(a, a_min), a_max): with equal
    bounds it is constant in a)."""
    return _ad.inside(a, a_min, a_max), _ad.clip_low(a, a_min, a_max), _ad.clip_high(a, a_min, a_max)


@derivative(np.where)
def where(condition, x, y):
    """The condition is piecewise constant (no derivative)."""
    bx = _ad.unbroadcast(_ad.where_vjp(g, condition), x)
    by = _ad.unbroadcast(_ad.where_vjp(g, condition, False), y)
    dans = np.where(condition, dx, dy)


@linear(np.real)
def real(val):
    """The adjoint of a complex value z = u + iv is dL/du - i dL/dv: the real part gets g, made real."""
    bval = np.real(g)


@linear(np.imag)
def imag(val):
    """The imaginary part gets -i g (g made real); a real value's imaginary part is 0 (its adjoint too)."""
    bval = -1j * np.real(g)


@linear(np.conj, np.conjugate)
def conj(x):
    bx = np.conj(g)


@derivative(np.angle)
def angle(z, deg=False):
    """d angle(z) = Im(dz / z); 0 for a real z (piecewise constant: 0 or pi); not differentiable at 0."""
    bz = -1j * np.real(g) / np.where(z == 0, 1.0, z) * (180.0 / np.pi if deg else 1.0)
    dans = np.imag(dz / np.where(z == 0, 1.0, z)) * (180.0 / np.pi if deg else 1.0)


# -- reductions -------------------------------------------------------------------------------------


@linear(np.sum, full_reduction=True)
def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    ba = _ad.unreduce(g, a, axis, keepdims)


@linear(np.mean, full_reduction=True)
def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    ba = _ad.unreduce_mean(g, a, axis, keepdims)


@derivative(np.prod, full_reduction=True)
def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    """Exact also where entries are 0 (products of the others, no division)."""
    ba = _ad.prod_vjp(g, a, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.prod_vjp(np.ones_like(ans), a, axis, keepdims), da, axis, keepdims)


@derivative(np.max, np.amax, full_reduction=True)
def max(a, axis=None, out=None, keepdims=False):
    """Ties share the derivative equally (np.nanmax, np.nanmin: rules/arrays.py)."""
    ba = _ad.reduce_extreme_vjp(g, a, ans, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.reduce_extreme_vjp(np.ones_like(ans), a, ans, axis, keepdims), da, axis, keepdims)


@derivative(np.min, np.amin, full_reduction=True)
def min(a, axis=None, out=None, keepdims=False):
    """Ties share the derivative equally."""
    ba = _ad.reduce_extreme_vjp(g, a, ans, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.reduce_extreme_vjp(np.ones_like(ans), a, ans, axis, keepdims), da, axis, keepdims)


@derivative(np.var, full_reduction=True)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    ba = _ad.var_vjp(g, a, axis, ddof, keepdims)
    dans = _ad.reduce_jvp(_ad.var_vjp(np.ones_like(ans), a, axis, ddof, keepdims), da, axis, keepdims)


@derivative(np.std, full_reduction=True)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """0 where all entries are equal (std is not differentiable there; a subgradient)."""
    ba = _ad.std_vjp(g, a, ans, axis, ddof, keepdims)
    dans = _ad.reduce_jvp(_ad.std_vjp(np.ones_like(ans), a, ans, axis, ddof, keepdims), da, axis, keepdims)


@linear(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    ba = _ad.cumsum_vjp(g, a, axis)


@linear(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    ba = _ad.trace_vjp(g, a, offset, axis1, axis2)


@derivative(np.linalg.inv)
def inv(a):
    ba = -np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)
    dans = -ans @ da @ ans


@derivative(np.linalg.det)
def det(a):
    """The adjugate: exact also at singular matrices."""
    ba = _ad.keep_last_two(g) * np.swapaxes(_ad.adjugate(a), -1, -2)
    dans = np.trace(_ad.adjugate(a) @ da, axis1=-2, axis2=-1)


@derivative(np.linalg.solve)
def solve(a, b):
    bb = _ad.unbroadcast(_ad.solve_vjp_b(g, a, b), b)
    ba = _ad.unbroadcast(_ad.solve_vjp_a(g, a, b, ans), a)
    dans = np.linalg.solve(a, db) - _ad.solve_jvp_a(da, a, ans)


# -- shapes -----------------------------------------------------------------------------------------


@linear(np.reshape)
def reshape(a, shape=None, order="C", newshape=None):
    """Orders 'C' and 'F'; the layout-dependent 'A' and 'K' in reverse mode for arrays laid out in C or F order."""
    # (order 'C' is not written out: Dask's reshape takes no order)
    ba = np.reshape(g, np.shape(a)) if order == "C" else np.reshape(g, np.shape(a), order=_ad.layout_order(a, order))


@linear(np.ravel)
def ravel(a, order="C"):
    ba = np.reshape(g, np.shape(a)) if order == "C" else np.reshape(g, np.shape(a), order=_ad.layout_order(a, order))


@linear(np.squeeze)
def squeeze(a, axis=None):
    ba = np.reshape(g, np.shape(a))


@linear(np.expand_dims)
def expand_dims(a, axis):
    ba = np.reshape(g, np.shape(a))


@linear(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast(ary):
    bary = np.reshape(g, np.shape(ary))


@linear(np.transpose)
def transpose(a, axes=None):
    ba = _ad.transpose_vjp(g, axes)


@linear(np.swapaxes)
def swapaxes(a, axis1, axis2):
    ba = np.swapaxes(g, axis1, axis2)


@linear(np.moveaxis)
def moveaxis(a, source, destination):
    ba = np.moveaxis(g, destination, source)


@linear(np.broadcast_to)
def broadcast_to(array, shape):
    barray = _ad.unbroadcast(g, array)


@linear(np.concatenate)
def concatenate(arrays, axis=0):
    barrays = _ad.split_along(g, arrays, axis)


@linear(np.stack)
def stack(arrays, axis=0):
    barrays = _ad.unstack(g, axis, arrays)


@linear(np.vstack, np.row_stack)
def vstack(tup, dtype=None, casting="same_kind"):
    btup = _ad.stack_family_vjp(g, tup, "vstack")


@linear(np.hstack)
def hstack(tup, dtype=None, casting="same_kind"):
    btup = _ad.stack_family_vjp(g, tup, "hstack")


@linear(np.dstack)
def dstack(tup):
    btup = _ad.stack_family_vjp(g, tup, "dstack")


@linear(np.column_stack)
def column_stack(tup):
    btup = _ad.stack_family_vjp(g, tup, "column_stack")


@linear(np.append)
def append(arr, values, axis=None):
    barr = _ad.append_vjp(g, arr, values, axis, 0)
    bvalues = _ad.append_vjp(g, arr, values, axis, 1)


@linear(np.flip)
def flip(m, axis=None):
    bm = np.flip(g, axis)


@derivative(np.asarray, np.ascontiguousarray, np.asanyarray)  # (to an integer dtype: piecewise constant)
def copy(a, dtype=None):
    ba = _ad.cast_vjp(g, a, dtype)
    dans = _ad.cast_jvp(da, dtype)


@derivative(np.array)
def array(object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    """`copy=`, `order=` and `subok=` change no value (ndmin= other than 0 is refused: rule_arguments.py)."""
    bobject = _ad.cast_vjp(g, object, dtype)
    dans = _ad.cast_jvp(dobject, dtype)


@derivative(np.copy)
def copy_array(a, order="K", subok=False):
    """np.copy's own signature: its second parameter is the memory order, not a dtype (`np.copy(x, 'F')` was
    taken for a complex64 dtype, rounding the tangent: sig25-016)."""
    ba = _ad.cast_vjp(g, a)
    dans = _ad.cast_jvp(da)


@linear(np.diag)
def diag(v, k=0):
    bv = _ad.diag_vjp(g, v, k)


@derivative(np.sort)
def sort(a, axis=-1, kind=None, order=None):
    """Each entry's derivative goes with its value; ties in the order of a stable sort."""
    ba = _ad.sort_vjp(g, a, axis)
    dans = _ad.sort_jvp(da, a, axis)


@elementwise(np.heaviside, constant_in=("x1",))
def heaviside(x1, x2):
    """Piecewise constant in x1; x2 is the value where x1 == 0 (there the result is x2 itself). It was declared
    piecewise constant in both: a zero gradient for x2 (sig25-015)."""
    return None, (x1 == 0) * 1.0


@linear(np.bincount, constant_in=("x",))
def bincount(x, weights=None, minlength=0):
    """Linear in the weights: each bin sums the weights of its entries (without weights, counts: no derivative).
    It was declared piecewise constant: a zero gradient for the weights (sig25-014)."""
    bweights = np.take(g, x)


@derivative(np.sort_complex)
def sort_complex(a):
    """np.sort along the last axis, as complex values (lexicographic order): each entry's derivative goes with its
    value (it was declared piecewise constant: a zero gradient, sig25-009)."""
    ba = _ad.sort_vjp(g, a, -1)
    dans = _ad.sort_jvp(da, a, -1) * (1.0 + 0j)


@linear(np.take)
def take(a, indices, axis=None):
    """Repeated indices add up."""
    ba = _ad.take_vjp(g, a, indices, axis)


@linear(np.einsum, multilinear=True)
def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """The subscripts string form ('ij,jk->ik', a, b) and the sublist form (a, [0, 1], b, [1, 2], [0, 2])."""
    boperands = _ad.einsum_args_vjp(g, operands)


@linear(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    bstart = _ad.linspace_vjp(g, start, stop, num, endpoint, 0)
    bstop = _ad.linspace_vjp(g, start, stop, num, endpoint, 1)


@linear(np.full)
def full(shape, fill_value, dtype=None, order="C"):
    bfill_value = _ad.unbroadcast(g, fill_value)


@derivative(np.full_like, constant_in=("a",))
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """`a` gives the shape and, without `dtype=`, the dtype: an integer or boolean one truncates the value (no
    derivative, h18-006)."""
    bfill_value = _ad.unbroadcast(_ad.cast_vjp(g, ans, ans.dtype), fill_value)
    dans = _ad.cast_jvp(_ad.broadcast_like(dfill_value, ans), ans.dtype)


@linear(_ad.iter_list)
def iter_list(x):
    bx = _ad.iter_list_vjp(g, x)


@linear(_ad.dict_values)
def dict_values(d):
    bd = _ad.dict_values_vjp(g, d)


@linear(_ad.dict_items)
def dict_items(d):
    bd = _ad.dict_items_vjp(g, d)


@linear(_ad.private_copy)
def private_copy(x):
    bx = g


@linear(_ad.index_concat)
def index_concat(kind, items):
    bitems = _ad.index_concat_vjp(g, kind, items)


@linear(np.float64, np.longdouble)
def float64(x=0.0):
    """A NumPy float scalar (or array) of x: x's form of the adjoint (np.float32(x) and np.float16(x) are
    desugared as `np.asarray(x, dtype=...)[()]`: desugar_numpy_forms.py)."""
    bx = _ad.cast_like(g, x)


@derivative(builtins.divmod, np.divmod)
def divmod(x1, x2):
    """(x1 // x2, x1 % x2): the quotient is piecewise constant, the remainder as mod's."""
    bx1 = _ad.unbroadcast(g[1], x1)
    bx2 = _ad.unbroadcast(-g[1] * np.floor_divide(x1, x2), x2)
    dans = (_ad.zeros_like(ans[0]), dx1 - np.floor_divide(x1, x2) * dx2)


# -- no derivative: shapes, indices, comparisons, constructors, piecewise-constant functions -------------
nondifferentiable(operator.floordiv, np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16,
                  np.uint8, np.bool_)
nondifferentiable(
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
    np.eye, np.identity, np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isinf, np.isfinite,
    np.all, np.any, np.count_nonzero, np.searchsorted, np.floor_divide, np.digitize,
    np.random.rand, np.random.randn, np.random.randint, np.random.default_rng, np.random.seed,
    np.unravel_index, np.ravel_multi_index, np.indices,
    np.result_type, np.iscomplexobj, np.isscalar, np.allclose, np.array_equal, np.isclose,
    np.tri, np.diag_indices, np.tril_indices, np.triu_indices, np.broadcast_shapes,
    np.isposinf, np.isneginf, np.signbit, np.isreal, np.iscomplex, np.isrealobj,
)

# Complex operands: np.sign(z) is z / |z|, not piecewise constant; clip orders complex values by their real
# parts first (NumPy's lexicographic order), with bounds that may be complex.
NONDIFF_REAL_ONLY.add(np.sign)
real_only("its bounds are differentiated for real values only", np.clip)
