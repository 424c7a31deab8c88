"""Language constructs of the straight-line core, each checked against central finite differences."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad

rng = np.random.default_rng(1234)


def A(*shape):
    return rng.standard_normal(shape)


# -- assignments ------------------------------------------------------------------------------------
def reassigned(x, w):
    h = x @ w
    h = np.tanh(h)
    h = h * h
    return np.sum(h)


def test_reassignment_keeps_every_version():
    check_grad(reassigned, (A(3, 4), A(4, 2)), wrt=(0, 1))


def reassigned_argument(x):
    x = x * 2.0
    x = np.sin(x)
    return np.sum(x)


def test_reassigned_argument():
    check_grad(reassigned_argument, (A(5),), wrt=0)


def augmented(x, y):
    s = x * y
    s += x
    s -= y
    s *= x
    s /= 3.0
    s **= 2
    return np.sum(s)


def test_augmented_assignment_on_names():
    check_grad(augmented, (A(4), A(4)), wrt=(0, 1))


def unpacking(x, y):
    a, b = x * 2.0, y + 1.0
    a, b = b, a
    c, (d, e) = a, (b, x)
    return np.sum(a * b + c * d * e)


def test_tuple_unpacking_and_swap():
    check_grad(unpacking, (A(3), A(3)), wrt=(0, 1))


def unpack_rows(x):
    first, second = x
    return np.sum(first * np.exp(second))


def test_unpacking_an_array_takes_its_rows():
    check_grad(unpack_rows, (A(2, 3),), wrt=0)


def chained(x):
    a = b = np.sin(x)
    return np.sum(a * b)


def test_chained_assignment():
    check_grad(chained, (A(4),), wrt=0)


# -- operators and constants --------------------------------------------------------------------------
def operators(x, y):
    z = -x + 2 * y - x / y + x**2 @ y.T / 4.0
    return np.sum(z * np.pi)


def test_operators_constants_and_globals():
    check_grad(operators, (A(3, 3), A(3, 3) + 3.0), wrt=(0, 1))


def scalar_poly(x):
    return 3.0 * x**3 - 2.0 * x + 1.0 / x


def test_python_float_input_gives_float():
    g = ad.grad(scalar_poly)
    value = g(1.5)
    assert type(value) is float
    assert value == pytest.approx(9.0 * 1.5**2 - 2.0 - 1.0 / 1.5**2)
    check_grad(scalar_poly, (0.7,), wrt=0)


def square_int(x):
    return x * x + 3 * x + 1


def test_integer_inputs_give_float_gradients():
    g = ad.grad(square_int)
    assert type(g(2)) is float and g(2) == 7.0
    int_array = np.arange(4)
    out = ad.grad(lambda_free_sum)(int_array)
    assert out.dtype == np.float64 and out.shape == (4,)
    np.testing.assert_allclose(out, 2.0 * int_array)


def lambda_free_sum(x):
    return np.sum(x * x)


def math_functions(x, y):
    return math.exp(math.sin(x) * y) + math.log(y) * math.sqrt(x) + math.tanh(x * y)


def test_math_module_on_floats():
    check_grad(math_functions, (0.8, 1.7), wrt=(0, 1))


# -- calls: keywords, methods, attributes ----------------------------------------------------------------
def keywords(x):
    m = np.mean(x, axis=0, keepdims=True)
    s = x.sum(axis=-1)
    return np.sum((x - m) ** 2) + np.sum(s * s) + x.max(axis=1).sum()


def test_keyword_arguments_and_methods():
    check_grad(keywords, (A(4, 3),), wrt=0)


def attributes(x, w):
    return np.sum(x.T @ w) + x.reshape(-1).dot(x.reshape(-1)) + np.sum(x.clip(min=0)) * x.shape[0]


def test_attributes_and_method_calls():
    check_grad(attributes, (A(3, 2), A(3, 4)), wrt=(0, 1))


def integer_uses(x):
    n = x.shape[0]
    k = len(x)
    i = int(np.argmax(x))
    big = x > 0.5
    return np.sum(x * n) + x[i] * k + np.sum(np.where(big, x, 0.0))


def test_integer_values_comparisons_and_shapes_are_constants():
    check_grad(integer_uses, (A(6),), wrt=0)


# -- indexing --------------------------------------------------------------------------------------------
def indexing(x):
    a = x[0]
    b = x[1:3, -1]
    c = x[[0, 0, 2], :]
    d = x[..., None, 1]
    e = x[-1, ::-2]
    return np.sum(a) + np.sum(b * b) + np.sum(c**3) + np.sum(np.cos(d)) + np.sum(e)


def test_basic_and_advanced_indexing():
    check_grad(indexing, (A(4, 5),), wrt=0)


def mask_indexing(x, y):
    mask = y > 0
    return np.sum(x[mask] ** 2) + np.sum(x[np.arange(2)])


def test_boolean_mask_and_integer_array_indices():
    check_grad(mask_indexing, (A(5), A(5)), wrt=0)


# -- stop-gradient ------------------------------------------------------------------------------------------
def with_no_grad(x):
    y1 = x**2
    with ad.no_grad():
        y2 = x**3
        y2 = y2 + x
    return y1 + y2


def test_no_grad_block_is_not_differentiated():
    assert ad.grad(with_no_grad)(1.0) == pytest.approx(2.0)
    assert ad.grad(with_no_grad)(3.0) == pytest.approx(6.0)


def with_stop_gradient(x):
    return np.sum(x**2 + ad.stop_gradient(x**3) * x)


def test_stop_gradient_blocks_only_its_argument():
    x = A(3)
    np.testing.assert_allclose(ad.grad(with_stop_gradient)(x), 2 * x + x**3)


# -- activity -------------------------------------------------------------------------------------------------
def partly_constant(x, y):
    return np.sum(x * 2.0)


def test_argument_the_output_ignores_gets_zeros():
    gx, gy = ad.grad(partly_constant, wrt=(0, 1))(A(3), A(2, 2))
    np.testing.assert_allclose(gx, 2.0)
    assert gy.shape == (2, 2) and not gy.any()


def returns_argument(x):
    return x


def test_identity():
    assert ad.grad(returns_argument)(2.5) == 1.0
    np.testing.assert_allclose(ad.vjp(returns_argument)(A(3), np.arange(3.0)), np.arange(3.0))


def same_value_twice(x, y):
    return np.sum(x + y)


def test_gradients_never_alias_each_other():
    gx, gy = ad.grad(same_value_twice, wrt=(0, 1))(A(3), A(3))
    gx[0] = 100.0
    assert gy[0] == 1.0


closure_scale = 2.0


def make_closure(k):
    def inner(x):
        return np.sum(np.sin(x) * k * closure_scale)

    return inner


def test_closure_variables_and_module_globals():
    f = make_closure(3.0)
    x = A(4)
    np.testing.assert_allclose(ad.grad(f)(x), np.cos(x) * 6.0)
    check_grad(f, (x,), wrt=0)
