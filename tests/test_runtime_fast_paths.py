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
