"""Regressions found by hunt19 (users coming from PyTorch / autograd / JAX; the caches): /work/hunt19/findings.md."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1])


def _counter_closures():
    n = 1.0

    def inc():
        nonlocal n
        n = n + 1.0
        return n

    def through_helper(x):
        k = inc()
        return np.sum(x ** 2) * k

    def assigned(x):
        nonlocal n
        n = x[0]
        return np.sum(x ** 2) * n

    def constant(x):
        nonlocal n
        n = 5.0
        return np.sum(x ** 2) * n

    return through_helper, assigned, constant


@pytest.mark.parametrize("which", [0, 1, 2])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_h19_002_nonlocal_store_outside_the_function_is_refused(which, mode):
    # the store into the factory's cell was dropped: the derivative read the cell's old value (2x instead of 10x)
    f = _counter_closures()[which]
    with pytest.raises(ad.ADError, match="nonlocal n"):
        if mode == "grad":
            ad.grad(f)(X.copy())
        else:
            ad.jvp(f)(X.copy(), X.copy())


def _nested_nonlocal(x):
    n = 1.0

    def bump(v):
        nonlocal n
        n = n * v

    bump(x[0])
    bump(2.0)
    return np.sum(x ** 2) * n


def test_h19_002_nonlocal_of_the_function_itself_is_differentiated():
    g = ad.grad(_nested_nonlocal)(X.copy())
    np.testing.assert_allclose(g, numeric_grad(_nested_nonlocal, [X.copy()], 0), rtol=1e-6, atol=1e-8)
