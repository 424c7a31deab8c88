"""Regressions found by hunt 18 (dtypes, rule arguments, Python's numbers), against central differences:
right or refused at a line of this file, never a wrong value (/work/hunt18/findings.md)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.5, 0.8, 1.1])


# h18-001: a `dtype=` converting to integers makes a reduction piecewise constant (it was differentiated as if
# the dtype were a float one)
def sum_to_int(x):
    return np.sum(x * 3, dtype=int) * x[0] + np.sum(x ** 2)


def method_sum_to_int(x):
    return (x * 3).sum(dtype=np.int32) * x[0] + np.sum(x ** 2)


def mean_and_prod_to_int(x):
    return np.mean(x * 3, dtype="int64") * x[0] + np.prod(x * 3, dtype=int) * x[1] + np.sum(x ** 2)


def linspace_and_full_to_int(x):
    return np.sum(np.linspace(x[0] * 3, x[1] * 9, 4, dtype=int) * x) + np.sum(np.full(3, x[0] * 5, dtype=int)) * x[1]


def sum_to_float32(x):
    return np.sum(x * 3, dtype=np.float32) * x[0]


def sum_to_a_dtype_passed_in(x, dt):
    return np.sum(x * 3, dtype=dt) * x[0]


@pytest.mark.parametrize("f", [sum_to_int, method_sum_to_int, mean_and_prod_to_int, linspace_and_full_to_int])
def test_integer_dtype_is_piecewise_constant(f):
    expected = numeric_grad(f, [X], 0)
    np.testing.assert_allclose(ad.grad(f)(X), expected, atol=1e-6)
    _, tangent = ad.jvp(f)(X, np.ones(4))
    np.testing.assert_allclose(tangent, expected.sum(), atol=1e-6)


def test_float_dtype_keeps_the_rule():
    np.testing.assert_allclose(ad.grad(sum_to_float32)(X), numeric_grad(sum_to_float32, [X], 0, eps=1e-3),
                               rtol=1e-4, atol=1e-4)


def test_dtype_not_known_when_compiling_is_refused():
    with pytest.raises(ad.ADError, match="dtype=") as info:
        ad.grad(sum_to_a_dtype_passed_in)(X, int)
    assert "test_found_hunt18.py" in str(info.value)
