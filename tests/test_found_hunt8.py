"""Hunt 8 (NumPy API surface with mutation, Python semantics): regressions, each against central differences of
the program itself (/work/hunt8/findings.md has the reproductions). The contract: right, or refused with a
located ad.ADError."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1, 0.4])


def right_or_located_refusal(f, x):
    """ad.value_and_grad(f)(x) equals f(x) and its central differences, or is refused at a line of this file."""
    try:
        value, grad = ad.value_and_grad(f)(x.copy())
    except ad.ADError as e:
        assert "test_found_hunt8.py" in str(e) and "line" in str(e)
        return "refused"
    np.testing.assert_allclose(value, f(x.copy()), rtol=1e-12)
    np.testing.assert_allclose(grad, numeric_grad(f, [x.copy()], 0), rtol=1e-6, atol=1e-8)
    return "right"


# -- h8-001/002: methods that give the array itself when NumPy has nothing to convert: `y.astype(float,
# copy=False)` of a float64 array, `y.conj()` / `y.conjugate()` of a real array. They were taken for copies, so a
# store through them left y unchanged in the derivative: value and gradient silently wrong.
def astype_without_copy_changed(x):
    y = x * 1.0
    z = y.astype(np.float64, copy=False)
    z[0] = 9.0 * x[1]
    return np.sum(y * x)


def conj_of_real_changed(x):
    y = x * 1.0
    z = y.conj()
    z[0] = 9.0 * x[1]
    return np.sum(y * x)


def conjugate_of_real_changed(x):
    y = x * 1.0
    z = y.conjugate()
    z += x
    return np.sum(y * y)


# -- h8-003: `np.asmatrix(x)` is a view of x (an np.matrix): NumPy's shared memory was seen, but dropped for a
# result that is not an array kind, so a store through it did not change x in the derivative.
def asmatrix_of_argument_changed(x):
    m = np.asmatrix(x)
    m[0, 0] = 3.0
    return np.sum(x * x)


@pytest.mark.parametrize("f", [astype_without_copy_changed, conj_of_real_changed, conjugate_of_real_changed,
                               asmatrix_of_argument_changed], ids=lambda f: f.__name__)
def test_a_change_through_the_array_itself_returned_by_numpy(f):
    right_or_located_refusal(f, X)


def astype_without_copy_read(x):
    y = x * 2.0
    z = y.astype(np.float64, copy=False)
    return np.sum(z * x)


def conj_of_real_read(x):
    y = np.sin(x)
    return np.sum(y.conj() * y)


@pytest.mark.parametrize("f", [astype_without_copy_read, conj_of_real_read], ids=lambda f: f.__name__)
def test_reading_the_array_itself_returned_by_numpy_is_right(f):
    assert right_or_located_refusal(f, X) == "right"
