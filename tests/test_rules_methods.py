"""Rules for array methods and attributes (x.sum(), x.T, x.reshape(...), ...) against central differences."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import away_from, check_grad, make_rng, normal

rng = make_rng(7)


def A(*shape):
    return normal(rng, *shape)


def W(shape):
    return normal(rng, *shape)


def _reduced_shape(shape, axis, keepdims):
    return np.sum(np.zeros(shape), axis=axis, keepdims=keepdims).shape


# -- reductions --------------------------------------------------------------------------------------------------
def m_sum(x, w, axis, keepdims):
    return np.sum(x.sum(axis=axis, keepdims=keepdims) * w)


def m_mean(x, w, axis, keepdims):
    return np.sum(x.mean(axis=axis, keepdims=keepdims) * w)


def m_prod(x, w, axis, keepdims):
    return np.sum(x.prod(axis=axis, keepdims=keepdims) * w)


def m_max(x, w, axis, keepdims):
    return np.sum(x.max(axis=axis, keepdims=keepdims) * w)


def m_min(x, w, axis, keepdims):
    return np.sum(x.min(axis=axis, keepdims=keepdims) * w)


def m_var(x, w, axis, keepdims):
    return np.sum(x.var(axis=axis, keepdims=keepdims) * w)


def m_std(x, w, axis, keepdims):
    return np.sum(x.std(axis=axis, keepdims=keepdims) * w)


def m_var_ddof(x, w, axis, keepdims):
    return np.sum(x.var(axis=axis, ddof=1, keepdims=keepdims) * w)


def m_std_ddof(x, w, axis, keepdims):
    return np.sum(x.std(axis=axis, ddof=1, keepdims=keepdims) * w)


METHOD_REDUCTIONS = [m_sum, m_mean, m_prod, m_max, m_min, m_var, m_std, m_var_ddof, m_std_ddof]


@pytest.mark.parametrize("f", METHOD_REDUCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (2, 1)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_method_reductions(f, axis, keepdims):
    shape = (2, 3, 4)
    check_grad(f, (A(*shape), W(_reduced_shape(shape, axis, keepdims)), axis, keepdims), wrt=(0, 1))


def method_reductions_literal(x, w):
    return (x.sum() + x.mean() * 2.0 + x.prod() + x.max() - x.min() + x.var() + x.std(ddof=1)
            + np.sum(x.sum(0) * w[0]) + np.sum(x.mean(axis=-1) * w[:, 0]) + np.sum(x.max(1) * w[:, 1])
            + np.sum(x.min(axis=0, keepdims=True) * w[:1]) + np.sum(x.prod(axis=1) * w[:, 2])
            + np.sum(x.std(0) * w[1]) + np.sum(x.var(axis=1, ddof=2) * w[:, 3]))


def test_method_reductions_with_literal_arguments():
    check_grad(method_reductions_literal, (A(3, 4), A(3, 4)), wrt=(0, 1))


def prod_method(x):
    return x.prod()


def test_prod_method_with_zeros():
    x = A(2, 3)
    x[0, 1] = 0.0
    check_grad(prod_method, (x,), wrt=0)
    x[1, 2] = 0.0
    check_grad(prod_method, (x,), wrt=0)
    np.testing.assert_array_equal(ad.grad(prod_method)(x), np.zeros((2, 3)))


def max_method_ties(x):
    return x.max() + x.min(axis=1).sum()


def test_max_min_methods_ties_share_the_gradient():
    x = np.array([[2.0, 2.0, -1.0], [0.0, 2.0, 0.0]])
    # max: three entries equal 2 share 1; min per row: row 0 has one minimum, row 1 two (0.0 twice)
    expected = (x == 2.0) / 3.0 + np.array([[0, 0, 1.0], [0.5, 0, 0.5]])
    np.testing.assert_allclose(ad.grad(max_method_ties)(x), expected)


def cumsum_method(x, w):
    return np.sum(x.cumsum() * w.ravel()) + np.sum(x.cumsum(axis=1) * w) + np.sum(x.cumsum(0) * w * w)


def trace_method(x):
    return x.trace() + 2.0 * x.trace(1) + x.trace(offset=-1)


def test_cumsum_trace_methods():
    check_grad(cumsum_method, (A(3, 4), A(3, 4)), wrt=0)
    check_grad(cumsum_method, (A(1, 5), A(1, 5)), wrt=0)
    check_grad(trace_method, (A(4, 4),), wrt=0)
    check_grad(trace_method, (A(3, 5),), wrt=0)


# -- shapes ------------------------------------------------------------------------------------------------------
def reshape_varargs(x, w):
    return np.sum(x.reshape(4, 6) * w)


def reshape_tuple(x, w):
    return np.sum(x.reshape((6, 4)) * w.T)


def reshape_minus_one(x, w):
    return np.sum(x.reshape(-1) * w.reshape(-1)) + np.sum(x.reshape(2, -1) * w.reshape(2, 12))


def reshape_minus_one_tuple(x, w):
    return np.sum(x.reshape((-1, 3)) * w.reshape(8, 3))


def ravel_flatten(x, w):
    return np.sum(x.ravel() * w.ravel()) + np.sum(x.flatten() * w.ravel() ** 2)


def test_reshape_methods():
    x, w = A(2, 3, 4), A(4, 6)
    check_grad(reshape_varargs, (x, w), wrt=0)
    check_grad(reshape_tuple, (x, w), wrt=0)
    check_grad(reshape_minus_one, (x, w), wrt=0)
    check_grad(reshape_minus_one_tuple, (x, w), wrt=0)
    check_grad(ravel_flatten, (x, w), wrt=0)


def attr_T(x, w):
    return np.sum(x.T * w)


def transpose_noargs(x, w):
    return np.sum(x.transpose() * w)


def transpose_varargs(x, w):
    return np.sum(x.transpose(1, 0, 2) * w)


def transpose_tuple(x, w):
    return np.sum(x.transpose((2, 0, 1)) * w)


def transpose_negative(x, w):
    return np.sum(x.transpose(-1, 0, -2) * w)


def swapaxes_method(x, w):
    return np.sum(x.swapaxes(0, 2) * w)


def attr_mT(x, w):
    return np.sum(x.mT * w)


def test_transpose_methods():
    x = A(2, 3, 4)
    check_grad(attr_T, (A(3, 5), A(5, 3)), wrt=0)
    check_grad(attr_T, (x, A(4, 3, 2)), wrt=0)
    check_grad(attr_T, (A(4), A(4)), wrt=0)
    check_grad(transpose_noargs, (x, A(4, 3, 2)), wrt=0)
    check_grad(transpose_varargs, (x, A(3, 2, 4)), wrt=0)
    check_grad(transpose_tuple, (x, A(4, 2, 3)), wrt=0)
    check_grad(transpose_negative, (x, A(4, 2, 3)), wrt=0)
    check_grad(swapaxes_method, (x, A(4, 3, 2)), wrt=0)
    check_grad(attr_mT, (x, A(2, 4, 3)), wrt=0)


def squeeze_method(x, w):
    return np.sum(x.squeeze() * w) + np.sum(x.squeeze(0) * w)


def test_squeeze_method():
    check_grad(squeeze_method, (A(1, 3, 1), A(3)), wrt=0)


# -- products, clip, copies -------------------------------------------------------------------------------------
def dot_method(x, v, w):
    return np.sum(x.dot(v) * w)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((4,), (4, 3)),
                                    ((2, 3, 4), (4, 2)), ((3, 2), ())], ids=str)
def test_dot_method(shapes):
    sx, sv = shapes
    x, v = A(*sx), A(*sv)
    check_grad(dot_method, (x, v, W(np.shape(x.dot(v)))), wrt=(0, 1))


def clip_min(x, w):
    return np.sum(x.clip(min=0) * w)


def clip_both(x, w):
    return np.sum(x.clip(-0.5, 0.5) * w)


def clip_max(x, w):
    return np.sum(x.clip(max=0.3) * w)


def clip_arrays(x, lo, hi, w):
    return np.sum(x.clip(lo, hi) * w)


def test_clip_method():
    x = away_from(A(4, 5), [-0.5, 0.0, 0.3, 0.5])
    w = A(4, 5)
    check_grad(clip_min, (x, w), wrt=0)
    check_grad(clip_both, (x, w), wrt=0)
    check_grad(clip_max, (x, w), wrt=0)
    np.testing.assert_allclose(ad.grad(clip_both)(x, w), w * (np.abs(x) < 0.5))
    lo, hi = np.full(5, -0.4) + A(5) * 0.01, np.full((4, 1), 0.6)
    check_grad(clip_arrays, (away_from(x, [-0.4, 0.6], gap=0.05), lo, hi, w), wrt=(0, 1, 2))


def copy_method(x, w):
    y = x.copy()
    return np.sum(y * w) + np.sum(x.astype(np.float64) * w * w)


def test_copy_and_astype():
    check_grad(copy_method, (A(3, 4), A(3, 4)), wrt=0)


def item_method(x):
    return x.item() * 3.0


def item_index(x):
    return x.item(2) ** 2 + x.item(1, 0)


def test_item():
    check_grad(item_method, (np.array([[1.5]]),), wrt=0)
    check_grad(item_index, (A(2, 3),), wrt=0)


def integer_methods(x):
    return x.sum() + x.mean() + x.max() + np.sum(x.T.reshape(-1) ** 2) + x.std()


def test_integer_input_methods_give_float64_gradients():
    x = np.array([[3, -1, 0], [2, 5, 1]])
    g = check_grad(integer_methods, (x,), wrt=0)
    assert g.dtype == np.float64 and g.shape == x.shape


def item_negative_and_tuple(x):
    return x.item(-1) * x.item((0, 1)) + x.item(4)


def test_item_flat_negative_and_tuple_indices():
    check_grad(item_negative_and_tuple, (A(2, 3),), wrt=0)
