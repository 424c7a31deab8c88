"""Refusals users met in the random programs (tests/explore.py), lifted: each construct checked in every mode
(ad.grad, ad.jvp, ad.hvp, ad.hessian, grad of grad) against central differences of the function itself.

/work/refusals/groups.md (the helper's notes) lists the refusal groups and which were lifted.
"""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes, random_like
from test_modes import _copy, assert_close, fd_hvp


def check_all(f, x):
    """f of one argument x, in every mode."""
    check_modes(f, (x,))
    # grad of grad: the gradient of <grad f, v> is H v
    v = random_like(x, 7)
    grad_f = ad.grad(f)

    def directional(x):
        return np.sum(grad_f(x) * v)

    got = ad.grad(directional)(_copy(x))
    assert_close(got, fd_hvp(f, [_copy(x)], 0, v), 1e-4, 1e-4, what="grad of grad")


X = np.array([0.7, -1.3, 0.4, 1.1])


# -- 1. starred items in a list or tuple literal: `[*xs, y]` as `list(xs) + [y]` -------------------------------
def star_list(x):
    xs = [x, np.sin(x)]
    return np.sum(np.stack([*xs, x * 2.0]) ** 2)


def star_tuple(x):
    t = (*x[:2], x[2] * 3.0, *[np.cos(x[3])])
    return sum(v ** 3 for v in t)


def star_nested(x):
    a = [*[np.sin(x[1:3]), x[:2]], x * 2.0, *(x[0], x[1])]
    return np.sum(a[0] * a[1]) + np.sum(a[2] ** 2) * a[3] + a[4] * a[0][0]


def star_shape(x):
    shape = (*x.shape, 1)
    return np.sum(np.tanh(x.reshape(shape) * x[None, :]))


def star_changed_after(x):
    xs = [x * 1.0, x ** 2]
    ys = [*xs]  # a new list: appending to xs later does not change ys
    xs.append(x * 5.0)
    ys[0] = ys[0] * 3.0  # (a store into the new list: xs[0] is not changed)
    return np.sum(ys[0] * xs[0]) + np.sum(ys[-1]) + np.sum(xs[-1])


@pytest.mark.parametrize("f", [star_list, star_tuple, star_nested, star_shape, star_changed_after])
def test_starred_literal(f):
    check_all(f, X.copy())
