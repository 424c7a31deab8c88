"""Derivative rules for NumPy functions (and the arithmetic operators, which share them).

Each template reads like the math: `g` is the adjoint of the result `ans`; `b<param>` is what the
parameter receives. `_ad.unbroadcast(e, x)` sums `e` back to x's shape (free when shapes match).
"""
import operator

import numpy as np

from .. import runtime as _ad
from . import ans, defvjp, g, nondifferentiable

# -- arithmetic ---------------------------------------------------------------------------------------


@defvjp(operator.add, np.add, elementwise=True)
def add(x1, x2):
    bx1 = _ad.unbroadcast(g, x1)
    bx2 = _ad.unbroadcast(g, x2)


@defvjp(operator.sub, np.subtract, elementwise=True)
def subtract(x1, x2):
    bx1 = _ad.unbroadcast(g, x1)
    bx2 = _ad.unbroadcast(-g, x2)


@defvjp(operator.mul, np.multiply, elementwise=True)
def multiply(x1, x2):
    bx1 = _ad.unbroadcast(g * x2, x1)
    bx2 = _ad.unbroadcast(g * x1, x2)


@defvjp(operator.truediv, np.divide, np.true_divide, elementwise=True)
def divide(x1, x2):
    bx1 = _ad.unbroadcast(g / x2, x1)
    bx2 = _ad.unbroadcast(-g * ans / x2, x2)


@defvjp(operator.pow, np.power, elementwise=True)
def power(x1, x2):
    bx1 = _ad.unbroadcast(g * x2 * x1 ** (x2 - 1), x1)
    bx2 = _ad.unbroadcast(g * ans * np.log(x1), x2)


@defvjp(operator.neg, np.negative, elementwise=True)
def negative(x):
    bx = -g


@defvjp(operator.pos, np.positive, elementwise=True)
def positive(x):
    bx = g


@defvjp(operator.matmul, np.matmul)
def matmul(x1, x2):
    bx1 = _ad.matmul_vjp_a(g, x1, x2)
    bx2 = _ad.matmul_vjp_b(g, x1, x2)


@defvjp(np.dot)
def dot(a, b):
    ba = _ad.dot_vjp_a(g, a, b)
    bb = _ad.dot_vjp_b(g, a, b)


@defvjp(np.outer)
def outer(a, b):
    ba = np.reshape(g @ np.ravel(b), np.shape(a))
    bb = np.reshape(np.ravel(a) @ g, np.shape(b))


# -- elementwise functions ----------------------------------------------------------------------------


@defvjp(np.abs, np.absolute, np.fabs, elementwise=True)
def absolute(x):
    bx = g * np.sign(x)


@defvjp(np.exp, elementwise=True)
def exp(x):
    bx = g * ans


@defvjp(np.exp2, elementwise=True)
def exp2(x):
    bx = g * ans * np.log(2.0)


@defvjp(np.expm1, elementwise=True)
def expm1(x):
    bx = g * (ans + 1.0)


@defvjp(np.log, elementwise=True)
def log(x):
    bx = g / x


@defvjp(np.log2, elementwise=True)
def log2(x):
    bx = g / (x * np.log(2.0))


@defvjp(np.log10, elementwise=True)
def log10(x):
    bx = g / (x * np.log(10.0))


@defvjp(np.log1p, elementwise=True)
def log1p(x):
    bx = g / (1.0 + x)


@defvjp(np.sqrt, elementwise=True)
def sqrt(x):
    bx = g * 0.5 / ans


@defvjp(np.cbrt, elementwise=True)
def cbrt(x):
    bx = g / (3.0 * ans**2)


@defvjp(np.square, elementwise=True)
def square(x):
    bx = g * 2.0 * x


@defvjp(np.reciprocal, elementwise=True)
def reciprocal(x):
    bx = -g * ans**2


@defvjp(np.sin, elementwise=True)
def sin(x):
    bx = g * np.cos(x)


@defvjp(np.cos, elementwise=True)
def cos(x):
    bx = -g * np.sin(x)


@defvjp(np.tan, elementwise=True)
def tan(x):
    bx = g * (1.0 + ans**2)


@defvjp(np.arcsin, elementwise=True)
def arcsin(x):
    bx = g / np.sqrt(1.0 - x**2)


@defvjp(np.arccos, elementwise=True)
def arccos(x):
    bx = -g / np.sqrt(1.0 - x**2)


@defvjp(np.arctan, elementwise=True)
def arctan(x):
    bx = g / (1.0 + x**2)


@defvjp(np.arctan2, elementwise=True)
def arctan2(x1, x2):
    bx1 = _ad.unbroadcast(g * x2 / (x1**2 + x2**2), x1)
    bx2 = _ad.unbroadcast(-g * x1 / (x1**2 + x2**2), x2)


@defvjp(np.sinh, elementwise=True)
def sinh(x):
    bx = g * np.cosh(x)


@defvjp(np.cosh, elementwise=True)
def cosh(x):
    bx = g * np.sinh(x)


@defvjp(np.tanh, elementwise=True)
def tanh(x):
    bx = g * (1.0 - ans**2)


@defvjp(np.arcsinh, elementwise=True)
def arcsinh(x):
    bx = g / np.sqrt(x**2 + 1.0)


@defvjp(np.arccosh, elementwise=True)
def arccosh(x):
    bx = g / np.sqrt(x**2 - 1.0)


@defvjp(np.arctanh, elementwise=True)
def arctanh(x):
    bx = g / (1.0 - x**2)


@defvjp(np.logaddexp, elementwise=True)
def logaddexp(x1, x2):
    bx1 = _ad.unbroadcast(g * np.exp(x1 - ans), x1)
    bx2 = _ad.unbroadcast(g * np.exp(x2 - ans), x2)


@defvjp(np.maximum, np.fmax, elementwise=True)
def maximum(x1, x2):
    bx1 = _ad.unbroadcast(g * _ad.max_share(x1, x2), x1)
    bx2 = _ad.unbroadcast(g * _ad.max_share(x2, x1), x2)


@defvjp(np.minimum, np.fmin, elementwise=True)
def minimum(x1, x2):
    bx1 = _ad.unbroadcast(g * _ad.min_share(x1, x2), x1)
    bx2 = _ad.unbroadcast(g * _ad.min_share(x2, x1), x2)


@defvjp(np.clip)
def clip(a, a_min=None, a_max=None):
    ba = _ad.unbroadcast(g * _ad.inside(a, a_min, a_max), a)
    ba_min = _ad.unbroadcast(g * (a < a_min), a_min)
    ba_max = _ad.unbroadcast(g * (a > a_max), a_max)


@defvjp(np.where)
def where(condition, x, y):
    bx = _ad.unbroadcast(np.where(condition, g, 0.0), x)
    by = _ad.unbroadcast(np.where(condition, 0.0, g), y)


@defvjp(np.real)
def real(val):
    bval = np.real(g)


# -- reductions -------------------------------------------------------------------------------------


@defvjp(np.sum, full_reduction=True)
def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    ba = _ad.unreduce(g, a, axis, keepdims)


@defvjp(np.mean, full_reduction=True)
def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    ba = _ad.unreduce_mean(g, a, axis, keepdims)


@defvjp(np.prod, full_reduction=True)
def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    ba = _ad.prod_vjp(g, a, axis, keepdims)


@defvjp(np.max, np.amax, full_reduction=True)
def max(a, axis=None, out=None, keepdims=False):
    ba = _ad.reduce_extreme_vjp(g, a, ans, axis, keepdims)


@defvjp(np.min, np.amin, full_reduction=True)
def min(a, axis=None, out=None, keepdims=False):
    ba = _ad.reduce_extreme_vjp(g, a, ans, axis, keepdims)


@defvjp(np.var, full_reduction=True)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    ba = _ad.var_vjp(g, a, axis, ddof, keepdims)


@defvjp(np.std, full_reduction=True)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    ba = _ad.std_vjp(g, a, ans, axis, ddof, keepdims)


@defvjp(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    ba = _ad.cumsum_vjp(g, a, axis)


@defvjp(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    ba = _ad.trace_vjp(g, a, offset, axis1, axis2)


@defvjp(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    bx = _ad.norm_vjp(g, x, ans, ord, axis, keepdims)


@defvjp(np.linalg.inv)
def inv(a):
    ba = -np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)


@defvjp(np.linalg.det)
def det(a):
    ba = _ad.keep_last_two(g * ans) * np.swapaxes(np.linalg.inv(a), -1, -2)


@defvjp(np.linalg.solve)
def solve(a, b):
    bb = _ad.solve_vjp_b(g, a, b)
    ba = _ad.solve_vjp_a(g, a, b, ans)


# -- shapes -----------------------------------------------------------------------------------------


@defvjp(np.reshape)
def reshape(a, shape=None, order="C", newshape=None):
    ba = np.reshape(g, np.shape(a))


@defvjp(np.ravel)
def ravel(a, order="C"):
    ba = np.reshape(g, np.shape(a))


@defvjp(np.squeeze)
def squeeze(a, axis=None):
    ba = np.reshape(g, np.shape(a))


@defvjp(np.expand_dims)
def expand_dims(a, axis):
    ba = np.reshape(g, np.shape(a))


@defvjp(np.atleast_1d, np.atleast_2d)
def atleast(ary):
    bary = np.reshape(g, np.shape(ary))


@defvjp(np.transpose)
def transpose(a, axes=None):
    ba = _ad.transpose_vjp(g, axes)


@defvjp(np.swapaxes)
def swapaxes(a, axis1, axis2):
    ba = np.swapaxes(g, axis1, axis2)


@defvjp(np.moveaxis)
def moveaxis(a, source, destination):
    ba = np.moveaxis(g, destination, source)


@defvjp(np.broadcast_to)
def broadcast_to(array, shape):
    barray = _ad.unbroadcast(g, array)


@defvjp(np.concatenate)
def concatenate(arrays, axis=0):
    barrays = _ad.split_along(g, arrays, axis)


@defvjp(np.stack)
def stack(arrays, axis=0):
    barrays = _ad.unstack(g, axis)


@defvjp(np.flip)
def flip(m, axis=None):
    bm = np.flip(g, axis)


@defvjp(np.copy, np.array, np.asarray, np.ascontiguousarray)
def copy(a, dtype=None):
    ba = g


@defvjp(np.diag)
def diag(v, k=0):
    bv = _ad.diag_vjp(g, v, k)


@defvjp(np.take)
def take(a, indices, axis=None):
    ba = _ad.take_vjp(g, a, indices, axis)


@defvjp(np.einsum)
def einsum(subscripts, *operands):
    boperands = _ad.einsum_vjp(g, subscripts, operands)


# -- no derivative: shapes, indices, comparisons, constructors, piecewise-constant functions -------------
nondifferentiable(
    np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
    np.arange, np.linspace, np.eye, np.identity, np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero,
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign, np.heaviside,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isinf, np.isfinite,
    np.all, np.any, np.count_nonzero, np.searchsorted, np.floor_divide, np.mod, np.remainder,
    np.random.rand, np.random.randn, np.random.normal, np.random.uniform, np.random.randint,
    np.random.default_rng, np.result_type, np.iscomplexobj, np.isscalar, np.allclose, np.array_equal,
)
