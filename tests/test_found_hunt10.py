"""Regressions found by adversarial hunt 10 (a name that is one of several arrays, changed in place)."""
import numpy as np
import pytest

from modes_check import check_modes

X = np.array([0.3, -0.7, 1.1, 0.5, -0.2, 0.9])
MODES = ("grad", "jvp", "hvp")


def two_choices_between_the_same_arrays(x, c, d):  # h10-001
    a = x * 2.0
    b = x ** 2
    z = a if c else b
    y = a if d else b  # (not z: the two choices may differ)
    z[0] = z[1] * 3.0
    return np.sum(y * x) + np.sum(z) + np.sum(a * b)


@pytest.mark.parametrize("c, d", [(True, False), (False, True), (True, True)])
def test_two_choices_between_the_same_arrays_are_not_one_value(c, d):
    """The alias pass gave every join choosing between the same two values the same identity (a cache shared by
    all joins), so `y` was taken for the very same value as `z` and given z's new value: wrong gradients."""
    check_modes(two_choices_between_the_same_arrays, (X.copy(), c, d), modes=MODES)
