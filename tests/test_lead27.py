"""The lead's fixes in stop 27, each checked against central differences."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad


def tuples_in_a_list(s):
    for i in range(2):
        A = (2, 3)
        ps = [(A, s), A]
        z = np.sum(ps[0][0]) * ps[1][1] * ps[0][1] ** 3
    return z * s


_grad_tuples = ad.grad(tuples_in_a_list)


def _directional(s, v):
    return np.sum(_grad_tuples(s) * v)


def test_grad_of_grad_through_a_tuple_stored_in_a_list_of_unknown_kind():
    """Reverse over reverse (explore seed 2801 #318): the gradient's adjoint of a list stores the adjoint of a tuple
    (of a tuple of ints and a number) into a list the second sweep had not typed, and `unbroadcast_value` took the
    tuple's adjoint for an array's (NumPy could not make an array of it: ValueError)."""
    s, h = 1.3, 1e-5
    expected = (_grad_tuples(s + h) - _grad_tuples(s - h)) / (2 * h)
    assert np.isclose(ad.grad(_directional)(s, 1.0), expected, rtol=1e-6)
    assert np.isclose(ad.hessian(tuples_in_a_list)(s), expected, rtol=1e-6)


# -- unpacking checks the number of items, as Python does (jit28-W1, lean28: a gradient where f raises) -----------

def unpack_array(p):
    a, b = p
    return a * b


def unpack_tolist(p):
    a, b = p.tolist()
    return a * b


def unpack_list(p):
    L = [p[0], p[1], p[2]]
    a, b = L
    return a * b


def unpack_starred(p):
    a, *r, b = [p[0]]
    return a


def unpack_loop(p):
    s = 0.0
    for a, b in [p[:2], p[1:]]:  # (rows of two, then of len(p) - 1)
        s = s + a * b
    return s


@pytest.mark.parametrize("f", [unpack_array, unpack_tolist, unpack_list, unpack_starred, unpack_loop])
@pytest.mark.parametrize("mode", ["grad", "jvp", "hvp"])
def test_unpacking_a_number_of_items_that_does_not_fit_raises_as_python(f, mode):
    p = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError) as python:
        f(p.copy())
    with pytest.raises(ValueError, match="values to unpack") as ours:
        if mode == "grad":
            ad.grad(f)(p.copy())
        elif mode == "jvp":
            ad.jvp(f)(p.copy(), np.ones(4))
        else:
            ad.hvp(f)(p.copy(), np.ones(4))
    assert str(ours.value) == str(python.value)


def test_unpacking_that_fits_is_right_and_a_known_length_is_not_checked():
    p = np.array([1.5, -2.0])
    np.testing.assert_allclose(ad.grad(unpack_array)(p), numeric_grad(unpack_array, (p,), 0), rtol=1e-7)
    np.testing.assert_allclose(ad.grad(unpack_tolist)(p), numeric_grad(unpack_tolist, (p,), 0), rtol=1e-7)
    q = np.array([1.5, -2.0, 0.5])

    def pairs(x):
        t = (x[0], x[1])
        a, b = t
        s = 0.0
        for u, v in [(x[0], x[2]), (x[1], x[2])]:
            s = s + u * v
        return a * b + s
    g = ad.grad(pairs)
    np.testing.assert_allclose(g(q), numeric_grad(pairs, (q,), 0), rtol=1e-7)
    assert "check_unpack" not in g.source  # (the kinds know every length)


def test_unpacking_checked_under_jit():
    g = ad.grad(unpack_array, jit=True)
    np.testing.assert_allclose(g(np.array([1.5, -2.0])), [-2.0, 1.5])
    with pytest.raises(ValueError):
        g(np.array([1.0, 2.0, 3.0]))


# -- jit=True: a dict made in the function and returned is refused at its line (hunt28a: an internal NameError) ----

def returns_a_dict(x):
    return {"a": x * 2.0, "b": np.sin(x)}


def reads_a_dict(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    return d["a"] * d["b"]


def test_jit_jvp_of_a_returned_dict_is_refused_at_the_return_and_a_read_dict_still_compiles():
    with pytest.raises(ad.ADError) as refused:
        ad.jvp(returns_a_dict, jit=True)(np.ones(3), np.ones(3))
    assert f"line {returns_a_dict.__code__.co_firstlineno + 1}" in str(refused.value) and "a dict" in str(refused.value) and "NameError" not in str(refused.value)
    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    value, tangent = ad.jvp(reads_a_dict, jit=True)(x, v)
    h = 1e-6
    np.testing.assert_allclose(tangent, (reads_a_dict(x + h * v) - reads_a_dict(x - h * v)) / (2 * h), rtol=1e-6)


# -- math.dist of points of different lengths raises Python's ValueError (an AssertionError before, gone under -O) --

def dist_of_different_lengths(x):
    return math.dist([x[0], x[1]], [x[2]])


def dist_right(x):
    return math.dist([x[0], x[1]], [x[2], 1.0]) * x[0]


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_math_dist_of_different_lengths_raises_value_error(mode):
    x = np.array([0.3, -1.2, 0.8])
    with pytest.raises(ValueError, match="same number of dimensions"):
        ad.grad(dist_of_different_lengths)(x) if mode == "grad" else ad.jvp(dist_of_different_lengths)(x, x)
    np.testing.assert_allclose(ad.grad(dist_right)(x), numeric_grad(dist_right, (x,), 0), rtol=1e-7)
