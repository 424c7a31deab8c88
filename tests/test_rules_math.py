"""Rules for the math module and builtins (abs, float, sum, max, min) against central differences.

Gradients of Python float arguments must come back as Python floats (check_grad checks `type(g) is float`).
"""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, make_rng, normal, uniform

rng = make_rng(99)


def A(*shape):
    return normal(rng, *shape)


def m_exp(x):
    return math.exp(x) * 1.5


def m_log(x):
    return math.log(x) * 1.5


def m_log_base(x):
    return math.log(x, 3.0) + math.log(7.0, x)


def m_log2(x):
    return math.log2(x) * 1.5


def m_log10(x):
    return math.log10(x) * 1.5


def m_sqrt(x):
    return math.sqrt(x) * 1.5


def m_sin(x):
    return math.sin(x) * 1.5


def m_cos(x):
    return math.cos(x) * 1.5


def m_tan(x):
    return math.tan(x) * 1.5


def m_tanh(x):
    return math.tanh(x) * 1.5


def m_atan(x):
    return math.atan(x) * 1.5


def m_asin(x):
    return math.asin(x) * 1.5


def m_acos(x):
    return math.acos(x) * 1.5


def m_sinh(x):
    return math.sinh(x) * 1.5


def m_cosh(x):
    return math.cosh(x) * 1.5


def m_log1p(x):
    return math.log1p(x) * 1.5


def m_expm1(x):
    return math.expm1(x) * 1.5


def m_fabs(x):
    return math.fabs(x) * 1.5


# function -> (low, high) of its inputs
MATH_UNARY = {
    m_exp: (-2, 2), m_log: (0.2, 3), m_log_base: (1.3, 3), m_log2: (0.2, 3), m_log10: (0.2, 3),
    m_sqrt: (0.2, 3), m_sin: (-3, 3), m_cos: (-3, 3), m_tan: (-1.2, 1.2), m_tanh: (-2, 2), m_atan: (-3, 3),
    m_asin: (-0.9, 0.9), m_acos: (-0.9, 0.9), m_sinh: (-2, 2), m_cosh: (-2, 2), m_log1p: (-0.7, 2),
    m_expm1: (-2, 2), m_fabs: (0.1, 2),
}


@pytest.mark.parametrize("f", list(MATH_UNARY), ids=lambda f: f.__name__)
def test_math_unary(f):
    low, high = MATH_UNARY[f]
    for x in (uniform(rng, low, high), uniform(rng, low, high)):
        g = check_grad(f, (x,), wrt=0)
        assert type(g) is float


def test_math_fabs_negative():
    assert ad.grad(m_fabs)(-0.7) == pytest.approx(-1.5)
    check_grad(m_fabs, (-0.7,), wrt=0)


def m_pow(x, y):
    return math.pow(x, y)


def m_hypot(x, y):
    return math.hypot(x, y)


def m_atan2(y, x):
    return math.atan2(y, x)


def m_pow_operator(x, y):
    return x ** y + x ** 2 + 2.0 ** y


@pytest.mark.parametrize("f", [m_pow, m_hypot, m_atan2, m_pow_operator], ids=lambda f: f.__name__)
def test_math_binary(f):
    for _ in range(2):
        x = uniform(rng, 0.3, 2.0)
        y = uniform(rng, -2.0, 2.0)
        gx, gy = check_grad(f, (x, y), wrt=(0, 1))
        assert type(gx) is float and type(gy) is float


def test_math_atan2_all_quadrants():
    for y, x in [(0.5, 1.2), (0.5, -1.2), (-0.5, -1.2), (-0.5, 1.2)]:
        check_grad(m_atan2, (y, x), wrt=(0, 1))


def m_chain(x, y):
    z = math.sin(x * y) + math.exp(-x) * math.sqrt(y)
    return math.tanh(z) / (1.0 + math.hypot(x, y)) - math.log(y) * math.atan(x)


def test_math_composition():
    check_grad(m_chain, (0.7, 1.3), wrt=(0, 1))
    check_grad(m_chain, (-0.4, 0.6), wrt=0)


def m_float_array_mix(x, w):
    return math.exp(x) * np.sum(np.sin(w * x))


def test_python_float_with_array():
    gx, gw = check_grad(m_float_array_mix, (0.3, A(3, 2)), wrt=(0, 1))
    assert type(gx) is float and gw.dtype == np.float64


# -- builtins -------------------------------------------------------------------------------------------------
def b_abs(x):
    return abs(x) * 2.0


def b_abs_array(x, w):
    return np.sum(abs(x) * w)


def test_builtin_abs():
    check_grad(b_abs, (0.8,), wrt=0)
    check_grad(b_abs, (-0.8,), wrt=0)
    x = A(3, 4)
    check_grad(b_abs_array, (x, A(3, 4)), wrt=0)


def b_float(x):
    return float(np.sum(x ** 2)) * 3.0 + float(x[0]) * 2.0


def b_float_scalar(x):
    return float(x) ** 2


def test_builtin_float():
    check_grad(b_float, (A(4),), wrt=0)
    check_grad(b_float_scalar, (1.3,), wrt=0)
    check_grad(b_float_scalar, (np.array(1.3),), wrt=0)


def b_sum_list(a, b, c):
    return np.sum(sum([a, b, c]) * np.arange(1.0, 5.0))


def b_sum_floats(a, b, c):
    return sum([a * b, b * c, c]) ** 2


def b_sum_start(a, b):
    return np.sum(sum([a, b], 2.0 * a) ** 2)


def test_builtin_sum_of_a_list():
    check_grad(b_sum_list, (A(4), A(4), A(4)), wrt=(0, 1, 2))
    check_grad(b_sum_list, (A(4), A(1), 0.5), wrt=(0, 1, 2))  # broadcasting inside the sum
    check_grad(b_sum_floats, (0.3, -1.1, 0.8), wrt=(0, 1, 2))
    check_grad(b_sum_start, (A(3), A(3)), wrt=(0, 1))


def b_max_min(x, y):
    return max(x, y) * 2.0 + min(x, y, 0.1) * 3.0


def test_builtin_max_min():
    check_grad(b_max_min, (0.7, -0.4), wrt=(0, 1))
    check_grad(b_max_min, (-0.7, 0.4), wrt=(0, 1))
    assert ad.grad(b_max_min, wrt=(0, 1))(0.5, 0.5) == (pytest.approx(1.0), pytest.approx(1.0))  # tie: 2.0 shared
