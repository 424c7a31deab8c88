"""The runtime helpers' fast paths for numbers give what their general paths give (zeros_like of a list of
numbers: `p.tolist()` in the building simulation), and the gradients through them match finite
differences."""
import math

import numpy as np

import ad_compiler as ad
from ad_compiler import runtime
from fd import numeric_grad


def test_zeros_like_of_numbers():
    z = runtime.zeros_like([1.5, 2, True, np.float64(3.0), 1j, [4.0, 5]])
    assert z == [0.0, 0.0, 0.0, 0.0, 0j, [0.0, 0.0]]
    assert all(type(v) is float for v in z[:4])
    assert type(runtime.zeros_like(7)) is float and runtime.zeros_like(7) == 0.0


def unpacked(p):
    a, b, c = p.tolist()
    s = 0.0
    for k in range(4):
        s = s + a * math.exp(-b * k) + c * s * 0.1
    return s


def test_gradient_through_tolist():
    p = np.array([0.7, 0.3, 0.2])
    g = ad.grad(unpacked)
    assert np.allclose(g(p), numeric_grad(unpacked, (p,), 0), rtol=1e-6, atol=1e-9)


def test_array_fast_paths_against_plain_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    rows, cols = np.array([0, 1, 1, 3]), np.array([2, 4, 4, 0])  # (a repeated pair: the values add up)
    expected = np.zeros((4, 5))
    for r, c, v in zip(rows, cols, [1.0, 2.0, 3.0, 4.0]):
        expected[r, c] += v
    np.testing.assert_array_equal(runtime.getitem_vjp(np.array([1.0, 2.0, 3.0, 4.0]), x, (rows, cols)), expected)
    got = runtime.getitem_vjp(-0.5, x, (rows, cols))
    assert got[1, 4] == -1.0 and got[0, 2] == -0.5 and got.sum() == -2.0
    got = runtime.getitem_vjp(np.ones(5), x, (2,))
    assert got.shape == (4, 5) and got[2].tolist() == [1.0] * 5 and got.sum() == 5.0
    assert runtime.getitem_vjp(2.0, x.astype(np.float32), (1, 1)).dtype == np.float32
    g = rng.standard_normal((2, 4, 5))
    np.testing.assert_allclose(runtime.unbroadcast(g, np.zeros(5)), g.sum(axis=(0, 1)))
    np.testing.assert_allclose(runtime.unbroadcast(g, np.zeros((4, 5))), g.sum(axis=0))
    np.testing.assert_allclose(runtime.unbroadcast(g, np.zeros((4, 1))), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(runtime.unbroadcast(g, np.zeros((1, 4, 5))), g.sum(axis=0, keepdims=True))
    assert runtime.zeros_like(x).dtype == np.float64 and runtime.zeros_like(x).shape == (4, 5)
    assert runtime.zeros_like(x.astype(np.float32)).dtype == np.float32
    assert runtime.zeros_like(np.arange(3)).dtype == np.float64


def test_as_grads_of_two_arrays_keeps_every_check():
    x, y = np.ones((2, 3)), np.ones(3)
    b, c = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    got = runtime.as_grads((b, c), (x, y))
    assert got[0] is b and got[1] is c  # (new float64 arrays of their arguments' shapes: as they are)
    same = runtime.as_grads((c, c), (y, y))  # (one object for both: copied apart)
    assert same[0] is not same[1] and np.array_equal(same[0], same[1])
    frozen = np.broadcast_to(c, (2, 3))  # (read-only: a copy the caller may change)
    out = runtime.as_grads((frozen, c), (x, y))
    assert out[0].flags.writeable and np.array_equal(out[0], frozen)
    small = runtime.as_grads((b, c), (x.astype(np.float32), y))  # (a float32 argument's gradient is float32)
    assert small[0].dtype == np.float32 and small[1] is c
    spread = runtime.as_grads((np.float64(2.0), c), (x, y))  # (a number for an array: spread to its shape)
    assert spread[0].shape == (2, 3) and np.all(spread[0] == 2.0)
