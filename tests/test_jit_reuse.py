"""jit_reuse.py: the copy `x.tolist()` compiles to is left out when only reads of its elements see it, and
the gradient of an argument read by its items is made in the array the compiled function fills. Neither
may change a value (central differences, the plain derivative) or let gradients share memory with each
other or with the arguments. Skipped without Numba; a few small programs (a Numba compile each)."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.errors import UnsupportedError
from fd import numeric_grad

numba = pytest.importorskip("numba")


def unpacks(p, target):
    heat, loss, temp, setpoint = p.tolist()
    for step in range(6):
        q = 0.0
        if temp < setpoint:
            q = heat
        temp = temp + 0.1 * (q - loss * (temp - 10.0))
    return (temp - target) ** 2


def stores_after(p):
    q = p * 1.0
    a = q.tolist()
    q[0] = 3.0
    return a[0] * a[1] + q[0] * q[1] + a[0] * a[0]


P = np.array([4.0, 0.3, 12.0, 15.0])


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_the_copy_of_tolist_is_left_out_and_the_gradient_made_in_its_array():
    g = ad.grad(unpacks, wrt=0, jit=True)
    plain = ad.grad(unpacks, wrt=0)(P, 20.0)
    seen = []
    for call in range(4):  # (the wrapper, then the dispatcher's guard)
        got = g(P, 20.0)
        np.testing.assert_allclose(got, plain, rtol=1e-12, atol=1e-14)
        assert got is not P and not np.shares_memory(got, P) and all(got is not s for s in seen)
        seen.append(got)
    close(seen[0], numeric_grad(unpacks, (P, 20.0), 0))
    assert all(np.array_equal(s, plain) for s in seen)  # (a later call wrote into no earlier gradient)
    assert "t1 = p\n" in g.source and ".copy()" not in g.source
    assert "getitem_vjp_into(" in g.source
    close(g(P[::-1].copy(), 20.0), numeric_grad(unpacks, (P[::-1].copy(), 20.0), 0))
    with pytest.raises(UnsupportedError, match="narrow dtype"):  # (float32: refused, j12-001)
        g(P.astype(np.float32), 20.0)


def test_the_copy_stays_when_the_function_writes_into_an_array_that_may_be_the_same():
    g = ad.grad(stores_after, jit=True)
    p = np.array([0.7, -1.3, 2.0])
    for _ in range(3):
        got = g(p)
        close(got, numeric_grad(stores_after, (p,), 0))
        np.testing.assert_allclose(got, ad.grad(stores_after)(p), rtol=1e-12, atol=1e-14)
    assert ".copy()" in g.source
