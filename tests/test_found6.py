"""Regression tests for the sixth adversarial hunt (functions chosen from a table, second derivatives through the
ODE solvers, np.asarray identity and integer arrays changed in place). Expected values come from central finite
differences (test_modes.fd_*), never from the compiler."""
import numpy as np
import pytest

import ad_compiler as ad
from test_modes import assert_close, fd_hvp

X = np.array([0.3, -0.7, 1.1, 0.45])
V = np.array([0.5, 1.0, -0.25, 0.75])


def cube(z):
    return z ** 3


# -- 001: reverse over reverse of a gradient with an if/elif chain (a table's choice): the adjoint sweep's `if t1:`
# gave the other branch zeros of a value its forward sweep defines only under `if t1:` (UnboundLocalError) --------
TABLE = [np.sin, cube, np.tanh]


def chosen(x, k):
    return np.sum(TABLE[k](x) * x)


def if_elif(x, k):
    if k == 0:
        y = np.sin(x)
    elif k == 1:
        y = np.cos(x)
    else:
        y = np.tanh(x)
    return np.sum(y * y)


@pytest.mark.parametrize("f", [chosen, if_elif])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_reverse_over_reverse_of_branches(f, k):
    got = ad.vjp(ad.grad(f))(X, k, V)
    assert_close(got, fd_hvp(f, [X, k], 0, V), 1e-4, 1e-4, what="vjp of grad")
