"""Regressions found by adversarial hunt 12 (the user's program around the derivative: what changes between
calls)."""
import numpy as np

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1])


def _same_as_fd(g, f, *args):
    np.testing.assert_allclose(g(*args), numeric_grad(f, args, 0), rtol=1e-6, atol=1e-8)


def scaled_by_keyword_default(x, *, a=2.0):
    return a * np.sum(x ** 2)


def calls_keyword_default(x):
    return scaled_by_keyword_default(x)


def test_keyword_default_of_an_inlined_callee_changed_in_place():  # h12-001
    """A callee's keyword-only default is a constant in the derivative; `__kwdefaults__` is a dict, and
    `f.__kwdefaults__["a"] = 3.5` keeps it the same object: the staleness check (identity of the dict) kept
    the derivative of a=2.0."""
    kw = scaled_by_keyword_default.__kwdefaults__
    g = ad.grad(calls_keyword_default)
    try:
        _same_as_fd(g, calls_keyword_default, X)
        kw["a"] = 3.5
        _same_as_fd(g, calls_keyword_default, X)
        _same_as_fd(ad.grad(calls_keyword_default), calls_keyword_default, X)
    finally:
        kw["a"] = 2.0
