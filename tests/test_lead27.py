"""The lead's fixes in stop 27, each checked against central differences."""
import numpy as np

import ad_compiler as ad


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
