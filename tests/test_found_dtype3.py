"""Regressions found by dtype3 (the derivative computes the same function as f, in the same precision and
number field: narrow arrays made inside f, complex values into real arrays, integer inputs; /work/dtype3/findings.md)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.871, 0.88, 1.486])
Y = np.array([1.0, 2.0, 3.0])
W = np.ones((2, 3))


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


# dt3-002: dtype2's cast `x = np.asarray(t, dtype=x.dtype)` of `x op= v` was taken for "maybe a view of t": a
# later store through x (one of several arrays after an `if`) refused (explore seed 5959 #1235, #272)
def cast_then_store(x, y, W):
    vec = np.sin(x) * 1.0
    if np.max(vec) < 1.0:
        vec = vec * 0.5
        vec -= y
    g = vec
    g *= 2.0
    for row in W:
        g = g + 1.0
    for i in range(0):
        vec[-1] = 1.0
    return np.sum(g ** 2)


def test_cast_of_in_place_result_is_not_a_view():
    x32 = X.astype(np.float32)
    value, g = ad.value_and_grad(cast_then_store)(x32.copy(), Y.copy(), W)
    assert _same(value, cast_then_store(x32.copy(), Y.copy(), W))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, ad.grad(cast_then_store)(X.copy(), Y.copy(), W), rtol=1e-4)
    t = np.array([0.2, 1.0, -0.4], dtype=np.float32)
    h = ad.hvp(cast_then_store)(x32.copy(), Y.copy(), W, t)
    np.testing.assert_allclose(h, ad.hvp(cast_then_store)(X.copy(), Y.copy(), W, t.astype(float)), rtol=1e-3)
