"""Every NumPy derivative rule (and the arithmetic operators) against central finite differences.

Non-scalar results are reduced as np.sum(f(x) * w) with a random weight `w` (a plain sum would hide
errors in some rules, e.g. a transposed adjoint). Functions are module-level defs: each compiles once.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ad_compiler as ad
from fd import away_from, check_grad, make_rng, normal, positive, uniform

rng = make_rng(20240601)


def A(*shape):
    return normal(rng, *shape)


def P(*shape):
    return positive(rng, *shape)


def W(shape):
    """A random weight for a result of `shape` (a Python float for a scalar result)."""
    return normal(rng, *shape)


# -- arithmetic operators with broadcasting ---------------------------------------------------------------
def op_add(x, y, w):
    return np.sum((x + y) * w)


def op_sub(x, y, w):
    return np.sum((x - y) * w)


def op_mul(x, y, w):
    return np.sum((x * y) * w)


def op_div(x, y, w):
    return np.sum((x / y) * w)


def op_pow(x, y, w):
    return np.sum((x ** y) * w)


def op_maximum(x, y, w):
    return np.sum(np.maximum(x, y) * w)


def op_minimum(x, y, w):
    return np.sum(np.minimum(x, y) * w)


def op_np_add(x, y, w):
    return np.sum(np.add(x, y) * w)


def op_np_subtract(x, y, w):
    return np.sum(np.subtract(x, y) * w)


def op_np_multiply(x, y, w):
    return np.sum(np.multiply(x, y) * w)


def op_np_divide(x, y, w):
    return np.sum(np.divide(x, y) * w)


def op_np_power(x, y, w):
    return np.sum(np.power(x, y) * w)


def op_arctan2(x, y, w):
    return np.sum(np.arctan2(x, y) * w)


def op_logaddexp(x, y, w):
    return np.sum(np.logaddexp(x, y) * w)


# op -> (sampler of x, sampler of y): positive bases for powers, denominators away from zero
BINARY = {
    op_add: (A, A), op_sub: (A, A), op_mul: (A, A), op_div: (A, P), op_pow: (P, A),
    op_maximum: (A, A), op_minimum: (A, A),
    op_np_add: (A, A), op_np_subtract: (A, A), op_np_multiply: (A, A), op_np_divide: (A, P),
    op_np_power: (P, A), op_arctan2: (A, A), op_logaddexp: (A, A),
}

SHAPE_PAIRS = [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((3, 1), (2, 3, 4)),
    ((), (3, 4)), ((3, 4), ()), ((1,), (3,)), ((3,), (1,)), ((), ()),
]


def _sample(sampler, shape):
    return sampler(*shape)


@pytest.mark.parametrize("op", list(BINARY), ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_broadcasting(op, shapes):
    sx, sy = BINARY[op]
    x, y = _sample(sx, shapes[0]), _sample(sy, shapes[1])
    w = W(np.broadcast_shapes(shapes[0], shapes[1]))
    check_grad(op, (x, y, w), wrt=(0, 1))


def pow_array_scalar(x, w):
    return np.sum(x ** 3 * w) + np.sum(x ** 2.5 * w) + np.sum(x ** -1.5 * w)


def pow_scalar_array(x, w):
    return np.sum(2.0 ** x * w) + np.sum(0.7 ** x * w)


def pow_square_root(x):
    return np.sum(x ** 0.5)


def test_power_array_to_scalar_and_scalar_to_array():
    check_grad(pow_array_scalar, (P(3, 4), A(3, 4)), wrt=0)
    check_grad(pow_scalar_array, (A(3, 4), A(3, 4)), wrt=0)
    check_grad(pow_square_root, (P(5),), wrt=0)


def pow_scalar_argument(s, x, w):
    return np.sum(s ** x * w)


def test_power_python_float_base_gets_a_float_gradient():
    check_grad(pow_scalar_argument, (1.7, A(3, 2), A(3, 2)), wrt=(0, 1))
    check_grad(op_pow, (P(2, 3), 1.3, A(2, 3)), wrt=(0, 1))


def neg(x, w):
    return np.sum(-x * w)


def np_negative(x, w):
    return np.sum(np.negative(x) * w) + np.sum(np.positive(x) * w * w)


def test_unary_minus():
    check_grad(neg, (A(3, 4), A(3, 4)), wrt=0)
    check_grad(np_negative, (A(3, 4), A(3, 4)), wrt=0)


# -- elementwise functions ------------------------------------------------------------------------------
def u_abs(x, w):
    return np.sum(np.abs(x) * w)


def u_absolute(x, w):
    return np.sum(np.absolute(x) * w)


def u_exp(x, w):
    return np.sum(np.exp(x) * w)


def u_log(x, w):
    return np.sum(np.log(x) * w)


def u_log1p(x, w):
    return np.sum(np.log1p(x) * w)


def u_expm1(x, w):
    return np.sum(np.expm1(x) * w)


def u_sqrt(x, w):
    return np.sum(np.sqrt(x) * w)


def u_square(x, w):
    return np.sum(np.square(x) * w)


def u_sin(x, w):
    return np.sum(np.sin(x) * w)


def u_cos(x, w):
    return np.sum(np.cos(x) * w)


def u_tan(x, w):
    return np.sum(np.tan(x) * w)


def u_tanh(x, w):
    return np.sum(np.tanh(x) * w)


def u_arctan(x, w):
    return np.sum(np.arctan(x) * w)


def u_sinh(x, w):
    return np.sum(np.sinh(x) * w)


def u_cosh(x, w):
    return np.sum(np.cosh(x) * w)


def u_arcsin(x, w):
    return np.sum(np.arcsin(x) * w)


def u_arccos(x, w):
    return np.sum(np.arccos(x) * w)


def u_log2(x, w):
    return np.sum(np.log2(x) * w)


def u_log10(x, w):
    return np.sum(np.log10(x) * w)


def u_exp2(x, w):
    return np.sum(np.exp2(x) * w)


def u_cbrt(x, w):
    return np.sum(np.cbrt(x) * w)


def u_reciprocal(x, w):
    return np.sum(np.reciprocal(x) * w)


def u_arcsinh(x, w):
    return np.sum(np.arcsinh(x) * w)


def u_arccosh(x, w):
    return np.sum(np.arccosh(x) * w)


def u_arctanh(x, w):
    return np.sum(np.arctanh(x) * w)


def u_fabs(x, w):
    return np.sum(np.fabs(x) * w)


# function -> (low, high) of its random inputs (inside the domain, away from kinks by construction)
UNARY = {
    u_abs: (-2, 2), u_absolute: (-2, 2), u_fabs: (-2, 2), u_exp: (-2, 2), u_log: (0.2, 3), u_log1p: (-0.7, 2),
    u_expm1: (-2, 2), u_sqrt: (0.2, 3), u_square: (-2, 2), u_sin: (-3, 3), u_cos: (-3, 3), u_tan: (-1.2, 1.2),
    u_tanh: (-2, 2), u_arctan: (-3, 3), u_sinh: (-2, 2), u_cosh: (-2, 2), u_arcsin: (-0.9, 0.9),
    u_arccos: (-0.9, 0.9), u_log2: (0.2, 3), u_log10: (0.2, 3), u_exp2: (-2, 2), u_cbrt: (0.2, 3),
    u_reciprocal: (0.3, 3), u_arcsinh: (-3, 3), u_arccosh: (1.2, 3), u_arctanh: (-0.8, 0.8),
}


@pytest.mark.parametrize("f", list(UNARY), ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 1, 3)], ids=str)
def test_elementwise(f, shape):
    low, high = UNARY[f]
    x = away_from(uniform(rng, low, high, *shape), [0.0])
    check_grad(f, (x, A(*shape)), wrt=0)


@pytest.mark.parametrize("f", list(UNARY), ids=lambda f: f.__name__)
def test_elementwise_on_a_0d_array_and_with_weight_gradient(f):
    low, high = UNARY[f]
    x = np.array(away_from(uniform(rng, low, high, 1), [0.0])[0])
    check_grad(f, (x, A(2)), wrt=(0, 1))


# -- maximum / minimum: ties share the gradient ---------------------------------------------------------------
def max_half(x, w):
    return np.sum(np.maximum(x, 0.5) * w)


def min_half(x, w):
    return np.sum(np.minimum(0.5, x) * w)


def test_maximum_minimum_with_a_constant_away_from_ties():
    x = away_from(A(4, 5), [0.5])
    check_grad(max_half, (x, A(4, 5)), wrt=0)
    check_grad(min_half, (x, A(4, 5)), wrt=0)


def test_maximum_minimum_ties_split_the_gradient():
    x = away_from(A(3, 4), [0.5])
    x[0, 1] = x[2, 3] = x[1, 0] = 0.5
    y = A(3, 4)
    y[0, 0], y[1, 1] = x[0, 0], x[1, 1]  # array-array ties
    w = A(3, 4)
    tie = (x == 0.5).astype(float)
    # subgradient by definition: 1 where x wins, 0 where it loses, 1/2 on a tie
    np.testing.assert_allclose(ad.grad(max_half)(x, w), w * ((x > 0.5) + 0.5 * tie))
    np.testing.assert_allclose(ad.grad(min_half)(x, w), w * ((x < 0.5) + 0.5 * tie))
    bx, by = ad.grad(op_maximum, wrt=(0, 1))(x, y, w)
    np.testing.assert_allclose(bx, w * ((x > y) + 0.5 * (x == y)))
    np.testing.assert_allclose(by, w * ((y > x) + 0.5 * (x == y)))
    bx, by = ad.grad(op_minimum, wrt=(0, 1))(x, y, w)
    np.testing.assert_allclose(bx, w * ((x < y) + 0.5 * (x == y)))
    np.testing.assert_allclose(by, w * ((y < x) + 0.5 * (x == y)))
    # a broadcast tie: x (3, 4) against y (4,) sums the shares over the broadcast axis
    y1 = x[1].copy()
    bx, by = ad.grad(op_maximum, wrt=(0, 1))(x, y1, w)
    np.testing.assert_allclose(by, np.sum(w * ((y1 > x) + 0.5 * (x == y1)), axis=0))


# -- clip, where ---------------------------------------------------------------------------------------------
def clip_fn(x, w):
    return np.sum(np.clip(x, -0.5, 0.5) * w)


def clip_fn_lower_only(x, w):
    return np.sum(np.clip(x, 0.0, None) * w)


def clip_fn_array_bounds(x, lo, hi, w):
    return np.sum(np.clip(x, lo, hi) * w)


def test_clip_function():
    x = away_from(A(4, 5), [-0.5, 0.5, 0.0])
    check_grad(clip_fn, (x, A(4, 5)), wrt=0)
    check_grad(clip_fn_lower_only, (x, A(4, 5)), wrt=0)
    lo = away_from(uniform(rng, -1.0, -0.1, 5), [])
    hi = uniform(rng, 0.1, 1.0, 4, 1)
    x = np.where(np.abs(x - lo) < 1e-3, x + 0.01, x)
    x = np.where(np.abs(x - hi) < 1e-3, x + 0.01, x)
    check_grad(clip_fn_array_bounds, (x, lo, hi, A(4, 5)), wrt=(0, 1, 2))


def where_fn(x, y, w):
    return np.sum(np.where(x > 0, x, y) * w)


def where_broadcast(x, y, w):
    return np.sum(np.where(x > 0.1, np.sin(x), 2.0 * y) * w)


def where_scalar_branch(x, w):
    return np.sum(np.where(x > 0, x * x, 0.0) * w)


def test_where():
    x = away_from(A(3, 4), [0.0, 0.1])
    check_grad(where_fn, (x, A(3, 4), A(3, 4)), wrt=(0, 1))
    check_grad(where_broadcast, (x, A(4), A(3, 4)), wrt=(0, 1))
    check_grad(where_broadcast, (x, A(3, 1), A(3, 4)), wrt=(0, 1))
    check_grad(where_scalar_branch, (x, A(3, 4)), wrt=0)


# -- matmul, dot, outer ------------------------------------------------------------------------------------
def mm_op(a, b, w):
    return np.sum((a @ b) * w)


def mm_fn(a, b, w):
    return np.sum(np.matmul(a, b) * w)


MATMUL_SHAPES = [
    ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)),
]


def _matmul_shape(sa, sb):
    return np.matmul(np.zeros(sa), np.zeros(sb)).shape


@pytest.mark.parametrize("f", [mm_op, mm_fn], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(f, shapes):
    sa, sb = shapes
    check_grad(f, (A(*sa), A(*sb), W(_matmul_shape(sa, sb))), wrt=(0, 1))


def dot_fn(a, b, w):
    return np.sum(np.dot(a, b) * w)


DOT_SHAPES = [((), ()), ((), (3,)), ((3, 2), ()), ((4,), (4,)), ((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)),
              ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5))]


@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
def test_dot(shapes):
    sa, sb = shapes
    a, b = A(*sa), A(*sb)
    check_grad(dot_fn, (a, b, W(np.shape(np.dot(a, b)))), wrt=(0, 1))


def outer_fn(a, b, w):
    return np.sum(np.outer(a, b) * w)


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((1,), (4,)), ((2, 3), (4,)), ((3,), (2, 2))], ids=str)
def test_outer(shapes):
    sa, sb = shapes
    a, b = A(*sa), A(*sb)
    check_grad(outer_fn, (a, b, W((a.size, b.size))), wrt=(0, 1))


# -- reductions -----------------------------------------------------------------------------------------------
def r_sum(x, w, axis, keepdims):
    return np.sum(np.sum(x, axis=axis, keepdims=keepdims) * w)


def r_mean(x, w, axis, keepdims):
    return np.sum(np.mean(x, axis=axis, keepdims=keepdims) * w)


def r_prod(x, w, axis, keepdims):
    return np.sum(np.prod(x, axis=axis, keepdims=keepdims) * w)


def r_max(x, w, axis, keepdims):
    return np.sum(np.max(x, axis=axis, keepdims=keepdims) * w)


def r_min(x, w, axis, keepdims):
    return np.sum(np.min(x, axis=axis, keepdims=keepdims) * w)


def r_amax(x, w, axis, keepdims):
    return np.sum(np.amax(x, axis=axis, keepdims=keepdims) * w)


def r_amin(x, w, axis, keepdims):
    return np.sum(np.amin(x, axis=axis, keepdims=keepdims) * w)


def r_var(x, w, axis, keepdims):
    return np.sum(np.var(x, axis=axis, keepdims=keepdims) * w)


def r_std(x, w, axis, keepdims):
    return np.sum(np.std(x, axis=axis, keepdims=keepdims) * w)


def r_var_ddof(x, w, axis, keepdims):
    return np.sum(np.var(x, axis=axis, ddof=1, keepdims=keepdims) * w)


def r_std_ddof(x, w, axis, keepdims):
    return np.sum(np.std(x, axis=axis, ddof=1, keepdims=keepdims) * w)


def r_norm(x, w, axis, keepdims):
    return np.sum(np.linalg.norm(x, axis=axis, keepdims=keepdims) * w)


REDUCTIONS = [r_sum, r_mean, r_prod, r_max, r_min, r_amax, r_amin, r_var, r_std, r_var_ddof, r_std_ddof]
AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


def _reduced_shape(shape, axis, keepdims):
    return np.sum(np.zeros(shape), axis=axis, keepdims=keepdims).shape


@pytest.mark.parametrize("f", REDUCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_axis_keepdims(f, axis, keepdims):
    shape = (2, 3, 4)
    x = A(*shape)
    check_grad(f, (x, W(_reduced_shape(shape, axis, keepdims)), axis, keepdims), wrt=(0, 1))


@pytest.mark.parametrize("axis", [None, 1, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_axis_keepdims(axis, keepdims):
    x = A(3, 4)
    check_grad(r_norm, (x, W(_reduced_shape((3, 4), axis, keepdims)), axis, keepdims), wrt=0)


def reductions_literal(x, w):
    return (np.sum(x) + np.mean(x) * 2.0 + np.prod(x) + np.max(x) - np.min(x) + np.var(x) + np.std(x)
            + np.sum(np.sum(x, axis=0) * w[0]) + np.sum(np.mean(x, -1) * w[:, 0])
            + np.sum(np.max(x, axis=1) * w[:, 1]) + np.sum(np.min(x, axis=0, keepdims=True) * w[:1])
            + np.sum(np.prod(x, axis=1) * w[:, 2]) + np.sum(np.std(x, axis=0, ddof=1) * w[1])
            + np.sum(np.var(x, 1, ddof=2) * w[:, 3]))


def test_reductions_with_literal_arguments():
    check_grad(reductions_literal, (A(3, 4), A(3, 4)), wrt=(0, 1))


def prod_all(x):
    return np.prod(x)


def prod_axis(x, w):
    return np.sum(np.prod(x, axis=1) * w)


def test_prod_with_zeros():
    for zeros in ([(1, 2)], [(0, 0), (2, 3)], [(1, 0), (1, 3)]):
        x = A(3, 4)
        for z in zeros:
            x[z] = 0.0
        check_grad(prod_all, (x,), wrt=0)
        check_grad(prod_axis, (x, A(3)), wrt=0)
    x = A(5)
    x[3] = 0.0
    g = ad.grad(prod_all)(x)  # one zero: only its entry has a gradient, the product of the others
    np.testing.assert_allclose(g, np.where(np.arange(5) == 3, np.prod(np.delete(x, 3)), 0.0))
    x[1] = 0.0
    np.testing.assert_array_equal(ad.grad(prod_all)(x), np.zeros(5))  # two zeros: all zero


def max_all(x):
    return np.max(x)


def min_axis(x, w):
    return np.sum(np.min(x, axis=0) * w)


def test_max_min_reduction_ties_share_the_gradient():
    x = np.array([[1.0, 3.0, 3.0], [0.5, 3.0, -1.0]])
    np.testing.assert_allclose(ad.grad(max_all)(x), (x == 3.0) / 3.0)
    y = np.array([[1.0, 2.0], [1.0, -2.0], [4.0, -2.0]])
    w = np.array([0.3, -1.7])
    np.testing.assert_allclose(ad.grad(min_axis)(y, w), [[0.15, 0.0], [0.15, -0.85], [0.0, -0.85]])


def cumsum_flat(x, w):
    return np.sum(np.cumsum(x) * w)


def cumsum_axis(x, w):
    return np.sum(np.cumsum(x, axis=1) * w)


def cumsum_axis0(x, w):
    return np.sum(np.cumsum(x, 0) * w)


def test_cumsum():
    check_grad(cumsum_flat, (A(3, 4), A(12)), wrt=0)
    check_grad(cumsum_flat, (A(5), A(5)), wrt=0)
    check_grad(cumsum_axis, (A(3, 4), A(3, 4)), wrt=0)
    check_grad(cumsum_axis, (A(2, 3, 4), A(2, 3, 4)), wrt=0)
    check_grad(cumsum_axis0, (A(3, 4), A(3, 4)), wrt=0)


def trace_fn(x):
    return np.trace(x) * 1.5


def trace_offset(x):
    return np.trace(x, offset=1) - np.trace(x, -1)


def trace_batched(x, w):
    return np.sum(np.trace(x, axis1=1, axis2=2) * w)


def test_trace():
    check_grad(trace_fn, (A(4, 4),), wrt=0)
    check_grad(trace_fn, (A(3, 5),), wrt=0)
    check_grad(trace_offset, (A(4, 3),), wrt=0)
    check_grad(trace_batched, (A(2, 3, 3), A(2)), wrt=0)


def norm_vector(x):
    return np.linalg.norm(x)


def norm_fro(x):
    return np.linalg.norm(x) + 2.0 * np.linalg.norm(x, "fro")


def norm_rows(x, w):
    return np.sum(np.linalg.norm(x, axis=1) * w)


def norm_ord2_vector(x):
    return np.linalg.norm(x, 2)


def test_norm():
    check_grad(norm_vector, (A(5),), wrt=0)
    check_grad(norm_ord2_vector, (A(5),), wrt=0)
    check_grad(norm_fro, (A(3, 4),), wrt=0)
    check_grad(norm_rows, (A(3, 4), A(3)), wrt=0)


# -- shapes ------------------------------------------------------------------------------------------------------
def reshape_tuple(x, w):
    return np.sum(np.reshape(x, (4, 6)) * w)


def reshape_minus_one(x, w):
    return np.sum(np.reshape(x, -1) * w)


def reshape_partial(x, w):
    return np.sum(np.reshape(x, (2, -1, 3)) * w)


def ravel_fn(x, w):
    return np.sum(np.ravel(x) * w)


def test_reshape_function():
    x = A(2, 3, 4)
    check_grad(reshape_tuple, (x, A(4, 6)), wrt=0)
    check_grad(reshape_minus_one, (x, A(24)), wrt=0)
    check_grad(reshape_partial, (x, A(2, 4, 3)), wrt=0)
    check_grad(ravel_fn, (x, A(24)), wrt=0)


def transpose_fn(x, w):
    return np.sum(np.transpose(x) * w)


def transpose_axes(x, w):
    return np.sum(np.transpose(x, (1, 0, 2)) * w)


def transpose_axes_negative(x, w):
    return np.sum(np.transpose(x, axes=(2, -3, 1)) * w)


def swap_move(x, w):
    return np.sum(np.swapaxes(x, 0, 2) * w) + np.sum(np.moveaxis(x, 0, -1) * w.transpose(1, 0, 2))


def test_transpose_function():
    x = A(2, 3, 4)
    check_grad(transpose_fn, (x, A(4, 3, 2)), wrt=0)
    check_grad(transpose_fn, (A(3, 5), A(5, 3)), wrt=0)
    check_grad(transpose_axes, (x, A(3, 2, 4)), wrt=0)
    check_grad(transpose_axes_negative, (x, A(4, 2, 3)), wrt=0)
    check_grad(swap_move, (x, A(4, 3, 2)), wrt=0)


def squeeze_all(x, w):
    return np.sum(np.squeeze(x) * w)


def squeeze_axis(x, w):
    return np.sum(np.squeeze(x, axis=0) * w)


def expand_front(x, w):
    return np.sum(np.expand_dims(x, 0) * w)


def expand_back(x, w):
    return np.sum(np.expand_dims(x, axis=-1) * w)


def atleast_fn(x, w):
    return np.sum(np.atleast_2d(x) * w) + np.sum(np.atleast_1d(x) * w[0])


def test_squeeze_expand_dims():
    x = A(1, 3, 1, 4)
    check_grad(squeeze_all, (x, A(3, 4)), wrt=0)
    check_grad(squeeze_axis, (x, A(3, 1, 4)), wrt=0)
    check_grad(expand_front, (A(3, 4), A(1, 3, 4)), wrt=0)
    check_grad(expand_back, (A(3, 4), A(3, 4, 1)), wrt=0)
    check_grad(atleast_fn, (A(4), A(1, 4)), wrt=0)


def broadcast_to_fn(x, w):
    return np.sum(np.broadcast_to(x, (2, 3, 4)) * w)


def test_broadcast_to():
    for shape in [(3, 1), (4,), (1, 3, 4), (1,), ()]:
        x = A(*shape)
        check_grad(broadcast_to_fn, (x if shape else np.array(x), A(2, 3, 4)), wrt=0)


def concat0(a, b, w):
    return np.sum(np.concatenate([a, b]) * w)


def concat1(a, b, w):
    return np.sum(np.concatenate((a, b), axis=1) * w)


def concat_last(a, b, c, w):
    return np.sum(np.concatenate([a, b, c], axis=-1) * w)


def test_concatenate():
    check_grad(concat0, (A(2, 3), A(4, 3), A(6, 3)), wrt=(0, 1))
    check_grad(concat0, (A(2), A(3), A(5)), wrt=(0, 1))
    check_grad(concat1, (A(2, 3), A(2, 1), A(2, 4)), wrt=(0, 1))
    check_grad(concat_last, (A(2, 3, 1), A(2, 3, 2), A(2, 3, 3), A(2, 3, 6)), wrt=(0, 1, 2))


def stack0(a, b, w):
    return np.sum(np.stack([a, b]) * w)


def stack1(a, b, c, w):
    return np.sum(np.stack((a, b, c), axis=1) * w)


def stack_last(a, b, w):
    return np.sum(np.stack([a, b], axis=-1) * w)


def test_stack():
    check_grad(stack0, (A(2, 3), A(2, 3), A(2, 2, 3)), wrt=(0, 1))
    check_grad(stack1, (A(2, 3), A(2, 3), A(2, 3), A(2, 3, 3)), wrt=(0, 1, 2))
    check_grad(stack_last, (A(4), A(4), A(4, 2)), wrt=(0, 1))


def flip_fn(x, w):
    return np.sum(np.flip(x) * w) + np.sum(np.flip(x, 1) * w * w)


def copy_fn(x, w):
    return np.sum(np.copy(x) * w) + np.sum(np.array(x) * w * w) + np.sum(np.asarray(x) * w * w * w)


def test_flip_and_copies():
    check_grad(flip_fn, (A(3, 4), A(3, 4)), wrt=0)
    check_grad(copy_fn, (A(3, 4), A(3, 4)), wrt=0)


# -- indexing -----------------------------------------------------------------------------------------------------
def ix_slices(x, w):
    return np.sum(x[1:3, ::2] * w)


def ix_negative(x, w):
    return np.sum(x[-1] * w[0]) + x[-2, -1] * 3.0 + np.sum(x[:-1, -3:] * w[:2, :3])


def ix_column(x, w):
    return np.sum(x[:, 1] * w[0, :3])


def ix_none(x, w):
    return np.sum(x[None, :, 1] * w[:1, :3]) + np.sum(x[:, None, :] * w[:, None, :4])


def ix_ellipsis(x, w):
    return np.sum(x[..., 2] * w)


def ix_reversed(x, w):
    return np.sum(x[::-1, ::-2] * w[:, :2])


def ix_int_array(x, w):
    return np.sum(x[np.array([0, 2, 2, 1, 2])] * w[np.array([0, 1, 2, 0, 1])])


def ix_int_argument(x, idx, w):
    return np.sum(x[idx] * w)


def ix_list(x, w):
    return np.sum(x[[0, 0, 1]] * w[:3])


def ix_mixed(x, w):
    return np.sum(x[:, [3, 0, 3]] * w[:, :3]) + np.sum(x[[1, 1], [2, 2]] * w[0, :2])


def ix_mask(x, w):
    return np.sum(x[x > 0] ** 2) + np.sum(x[w > 0.5] * 3.0)


def ix_mask_argument(x, mask, w):
    return np.sum(x[mask] * w)


def test_getitem_basic():
    x = A(3, 4)
    w = A(3, 4)
    for f in (ix_slices, ix_negative, ix_column, ix_none, ix_reversed, ix_int_array, ix_list, ix_mixed):
        check_grad(f, (x, w if f not in (ix_slices,) else A(2, 2)), wrt=0)
    check_grad(ix_ellipsis, (A(3, 2, 4), A(3, 2)), wrt=0)


def test_getitem_integer_arrays_with_repeats_add_up():
    x = A(4, 3)
    idx = np.array([[0, 3], [3, 3]])
    check_grad(ix_int_argument, (x, idx, A(2, 2, 3)), wrt=0)
    w = A(2, 2, 3)
    expected = np.zeros((4, 3))
    np.add.at(expected, idx, w)
    np.testing.assert_allclose(ad.grad(ix_int_argument)(x, idx, w), expected)


def test_getitem_boolean_masks():
    x = away_from(A(3, 4), [0.0])
    check_grad(ix_mask, (x, A(3, 4)), wrt=0)
    mask = A(3, 4) > 0
    check_grad(ix_mask_argument, (x, mask, A(int(mask.sum()))), wrt=0)
    rows = np.array([True, False, True])
    check_grad(ix_mask_argument, (x, rows, A(2, 4)), wrt=0)


# -- einsum ------------------------------------------------------------------------------------------------------
def es_matmul(a, b, w):
    return np.sum(np.einsum("ij,jk->ik", a, b) * w)


def es_trace(a):
    return np.einsum("ii->", a) * 2.0


def es_sum(a):
    return np.einsum("ij->", a) * 2.0


def es_inner(a, b):
    return np.einsum("i,i->", a, b)


def es_batched(a, b, w):
    return np.sum(np.einsum("bij,bjk->bik", a, b) * w)


def es_ellipsis(a, b, w):
    return np.sum(np.einsum("...ij,jk->...ik", a, b) * w)


def es_rowdot(a, b, w):
    return np.sum(np.einsum("ij,ij->i", a, b) * w)


def es_implicit(a, b, w):
    return np.sum(np.einsum("ij,jk", a, b) * w)


def es_diag(a, w):
    return np.sum(np.einsum("ii->i", a) * w)


def es_three(a, b, c, w):
    return np.sum(np.einsum("ij,jk,k->i", a, b, c) * w)


def es_transpose(a, w):
    return np.sum(np.einsum("ijk->kij", a) * w)


def test_einsum():
    check_grad(es_matmul, (A(3, 4), A(4, 2), A(3, 2)), wrt=(0, 1))
    check_grad(es_trace, (A(4, 4),), wrt=0)
    check_grad(es_sum, (A(3, 4),), wrt=0)
    check_grad(es_inner, (A(5), A(5)), wrt=(0, 1))
    check_grad(es_batched, (A(2, 3, 4), A(2, 4, 2), A(2, 3, 2)), wrt=(0, 1))
    check_grad(es_ellipsis, (A(2, 3, 4), A(4, 2), A(2, 3, 2)), wrt=(0, 1))
    check_grad(es_ellipsis, (A(3, 4), A(4, 2), A(3, 2)), wrt=(0, 1))
    check_grad(es_ellipsis, (A(2, 2, 3, 4), A(4, 2), A(2, 2, 3, 2)), wrt=(0, 1))
    check_grad(es_rowdot, (A(3, 4), A(3, 4), A(3)), wrt=(0, 1))
    check_grad(es_implicit, (A(3, 4), A(4, 2), A(3, 2)), wrt=(0, 1))
    check_grad(es_diag, (A(3, 3), A(3)), wrt=0)
    check_grad(es_three, (A(3, 4), A(4, 2), A(2), A(3)), wrt=(0, 1, 2))
    check_grad(es_transpose, (A(2, 3, 4), A(4, 2, 3)), wrt=0)


# -- dtypes -------------------------------------------------------------------------------------------------------
def int_mix(x, w):
    return np.sum(x * w) + np.sum(np.sin(x)) + np.sum(x ** 2) + np.mean(x) + np.sum(x[1:] @ w[1:].T)


def int_shapes(x):
    return np.sum(np.reshape(x, -1) * np.arange(6.0)) + np.max(x) + np.sum(np.transpose(x)[0] ** 2)


def test_integer_inputs_give_float64_gradients():
    x = np.arange(6).reshape(2, 3) - 2
    got = check_grad(int_mix, (x, A(2, 3)), wrt=0)
    assert got.dtype == np.float64 and got.shape == (2, 3)
    got = check_grad(int_shapes, (x,), wrt=0)
    assert got.dtype == np.float64
    got = check_grad(u_square, (np.array([1, -2, 3], dtype=np.int32), A(3)), wrt=0)
    assert got.dtype == np.float64


def test_gradients_have_input_shapes_and_float64():
    cases = [(op_mul, (A(3, 1), A(1, 4), A(3, 4))), (mm_op, (A(4), A(4, 2), A(2))),
             (r_sum, (A(2, 3, 4), A(3), (0, 2), False)), (es_ellipsis, (A(2, 3, 4), A(4, 2), A(2, 3, 2)))]
    for f, args in cases:
        grads = ad.grad(f, wrt=(0, 1))(*args)
        for gr, a in zip(grads, args):
            assert isinstance(gr, np.ndarray) and gr.shape == a.shape and gr.dtype == np.float64


# -- hypothesis: random shapes, axes, keepdims ------------------------------------------------------------------
HSETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HSETTINGS
@given(op=st.sampled_from(list(BINARY)), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                                                     max_side=3),
       seed=st.integers(0, 2**32 - 1))
def test_hypothesis_binary_broadcasting(op, shapes, seed):
    r = make_rng(seed)
    sx, sy = BINARY[op]
    pick = {A: lambda s: normal(r, *s), P: lambda s: positive(r, *s)}
    x, y = pick[sx](shapes.input_shapes[0]), pick[sy](shapes.input_shapes[1])
    check_grad(op, (x, y, normal(r, *shapes.result_shape)), wrt=(0, 1))


@st.composite
def axis_and_shape(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                          hnp.valid_tuple_axes(nd, min_size=1)))
    return shape, axis


@HSETTINGS
@given(f=st.sampled_from([r_sum, r_mean, r_max, r_min, r_prod, r_var]), case=axis_and_shape(),
       keepdims=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_reductions(f, case, keepdims, seed):
    shape, axis = case
    r = make_rng(seed)
    x = normal(r, *shape)
    check_grad(f, (x, normal(r, *_reduced_shape(shape, axis, keepdims)), axis, keepdims), wrt=0)


def h_reshape(x, w, shape):
    return np.sum(np.reshape(x, shape) * w)


def h_reshape_method(x, w, shape):
    return np.sum(x.reshape(shape) * w)


def h_transpose(x, w, axes):
    return np.sum(np.transpose(x, axes) * w)


def h_transpose_method(x, w, axes):
    return np.sum(x.transpose(axes) * w)


@st.composite
def shape_and_new_shape(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    new = list(draw(st.permutations(shape)))
    if draw(st.booleans()):
        new.append(1)
    if draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return shape, tuple(new)


@HSETTINGS
@given(f=st.sampled_from([h_reshape, h_reshape_method]), case=shape_and_new_shape(), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_reshape(f, case, seed):
    shape, new = case
    r = make_rng(seed)
    x = normal(r, *shape)
    check_grad(f, (x, normal(r, *np.reshape(x, new).shape), new), wrt=0)


@st.composite
def shape_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    axes = draw(st.permutations(range(len(shape))))
    axes = [a - len(shape) if draw(st.booleans()) else a for a in axes]
    return shape, tuple(axes)


@HSETTINGS
@given(f=st.sampled_from([h_transpose, h_transpose_method]), case=shape_and_axes(), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_transpose(f, case, seed):
    shape, axes = case
    r = make_rng(seed)
    x = normal(r, *shape)
    check_grad(f, (x, normal(r, *np.transpose(x, axes).shape), axes), wrt=0)


# -- more corners: flattening concatenate, Python-float operands, mixed indices --------------------------------------
def concat_flat(a, b, w):
    return np.sum(np.concatenate([a, b], axis=None) * w)


def where_float_branch(s, y, w):
    return np.sum(np.where(y > 0, s, y) * w)


def reductions_of_a_float(s):
    return np.sum(s) * np.mean(s) + np.max(s) * np.prod(s) + np.sin(s) * np.exp(s)


def ix_complex(x, w):
    return np.sum(x[1:, None, ..., ::-2] * w)


def es_partial_diag(a, w):
    return np.sum(np.einsum("iij->ij", a) * w)


def test_more_corners():
    check_grad(concat_flat, (A(2, 3), A(4), A(10)), wrt=(0, 1))
    y = away_from(A(3, 4), [0.0])
    gs, _ = check_grad(where_float_branch, (0.7, y, A(3, 4)), wrt=(0, 1))
    assert type(gs) is float
    assert type(check_grad(reductions_of_a_float, (0.6,), wrt=0)) is float
    check_grad(ix_complex, (A(3, 2, 5), A(2, 1, 2, 3)), wrt=0)
    check_grad(es_partial_diag, (A(3, 3, 2), A(3, 2)), wrt=0)


# -- linear algebra and gathers (added with the rules) --------------------------------------------------------
def _well_conditioned(n, seed):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, n)) + n * np.eye(n)


def inv_op(a, w):
    return np.sum(np.linalg.inv(a) * w)


def det_op(a):
    return np.linalg.det(a)


def solve_op(a, b, w):
    return np.sum(np.linalg.solve(a, b) * w)


def diag_op(v, w):
    return np.sum(np.diag(v, 1) * w) + np.sum(np.diag(np.outer(v, v)) ** 2)


def take_op(a):
    return np.sum(np.take(a, [0, 2, 2]) ** 2) + np.sum(np.take(a.reshape(2, 3), [1, 1], axis=1) ** 3)


def test_inv_det_solve():
    a = _well_conditioned(3, 1)
    check_grad(inv_op, (a, np.random.default_rng(2).standard_normal((3, 3))), wrt=0)
    check_grad(det_op, (a,), wrt=0)
    rng2 = np.random.default_rng(3)
    check_grad(solve_op, (a, rng2.standard_normal(3), rng2.standard_normal(3)), wrt=(0, 1))
    check_grad(solve_op, (a, rng2.standard_normal((3, 2)), rng2.standard_normal((3, 2))), wrt=(0, 1))


def test_diag_and_take():
    rng2 = np.random.default_rng(4)
    check_grad(diag_op, (rng2.standard_normal(3), rng2.standard_normal((4, 4))), wrt=0)
    check_grad(take_op, (rng2.standard_normal(6),), wrt=0)
