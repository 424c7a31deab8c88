"""Regression tests for the third adversarial hunt (stale caches, crashes, odd inputs). Expected values come
from central finite differences (fd.numeric_grad) or from the math by hand, never from the compiler."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad


def close(got, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


X = np.array([0.5, -1.0, 2.0])


# -- 001: a closure variable rebound after the first call is read live ---------------------------------------
def test_closure_variable_rebound_is_read_live():
    data = np.array([1.0, 1.0, 1.0])

    def loss(w):
        return np.sum((w * data) ** 2)

    g = ad.grad(loss)
    close(g(X), numeric_grad(loss, [X], 0))
    data = np.array([3.0, -2.0, 0.5])  # noqa: F841 (read by loss)
    close(g(X), numeric_grad(loss, [X], 0))
    data = 2.0  # another kind: compiled again
    close(g(X), numeric_grad(loss, [X], 0))


def _make_scaled():
    c = 2.0

    def f(x):
        return np.sum(c * x ** 2)

    def set_c(v):
        nonlocal c
        c = v
    return f, set_c


def test_closure_variable_set_through_nonlocal():
    f, set_c = _make_scaled()
    ad.grad(f)(X)
    set_c(7.0)
    close(ad.grad(f)(X), 14.0 * X)
