"""jit=True: stores into parts of arrays (`a[:, 1] = v`, `a[i:j] += v`, `m[i] = v`) compiled as loops
(jit_lower.part_store, jit_runtime.store_into / add_into: Numba's own array store costs seconds of compile time
each), with NumPy's broadcasting, its ValueError, and its reading of a value that shares memory with the part
stored into before writing."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import make_rng, numeric_grad

numba = pytest.importorskip("numba")

rng = make_rng(31)


def parts(x, y):
    z = np.zeros((3, 4))
    z[:, 1] = x[0, :3]          # a column from a part of a row
    z[0] = 2.0                  # a number into a row (an int index of a 2-d array)
    z[1:, :1] += y[1:, 1:2]     # a block of one column added
    z[1:] = z[:-1] * x[1:]      # a product of a part of z into z
    return np.sum(z * z)


def test_stores_into_parts_are_loops_and_right():
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    g = ad.grad(parts, wrt=(0, 1), jit=True)
    got, plain = g(x, y), ad.grad(parts, wrt=(0, 1))(x, y)
    for k in range(2):
        np.testing.assert_allclose(got[k], numeric_grad(parts, (x, y), k), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got[k], plain[k], rtol=1e-12, atol=1e-14)
    assert "_ad.jit.store_into(z[1:], " in g.source and "_ad.jit.add_into(" in g.source
    assert "_ad.jit.store_into(z[0], 2.0)" in g.source


def test_the_helpers_broadcast_copy_and_refuse_as_numpy_does():
    from ad_compiler import jit_runtime as J

    @numba.njit
    def store(t, u, r, v, bad):
        if bad:
            J.store_into(r[:, 1], u[0, 0, :3])  # 3 values into 2 places
            return
        J.store_into(t[1:], u)          # a part of three dimensions: Numba's own store
        J.add_into(t[0], u[0] * 2.0)    # two dimensions, added
        J.store_into(r[1:], u[0, :1])   # a value of more dimensions than the part (NumPy drops its 1s)
        J.store_into(r[0], 5.0)         # a number
        J.add_into(t[2], u[1, 1])       # a vector into each row of a matrix, added
        J.add_into(v[1:], v[:-1])       # overlapping: v[:-1] read before v[1:] changes
        J.store_into(v[::-1], v)        # overlapping, reversed
    t, u, r, v = np.zeros((3, 2, 4)), rng.standard_normal((2, 2, 4)), np.zeros((2, 4)), rng.standard_normal(5)
    want_t, want_r, want_v = t.copy(), r.copy(), v.copy()
    want_t[1:] = u
    want_t[0] += u[0] * 2.0
    want_r[1:] = u[0, :1]
    want_r[0] = 5.0
    want_t[2] += u[1, 1]
    want_v[1:] += want_v[:-1]
    want_v[::-1] = want_v
    store(t, u, r, v, False)
    np.testing.assert_array_equal(t, want_t)
    np.testing.assert_array_equal(r, want_r)
    np.testing.assert_array_equal(v, want_v)
    with pytest.raises(ValueError):
        r[:, 1] = u[0, 0, :3]
    with pytest.raises(ValueError):
        store(t, u, r, v, True)
