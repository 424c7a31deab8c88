"""Regression tests for programs that random exploration (tests/explore.py) and hand-written adversarial
hunting found to give a wrong derivative or to crash inside the compiler. Each program is the shrunk one;
every expected value comes from central finite differences (fd.numeric_grad) or from the math by hand."""
import numpy as np
import pytest

import ad_compiler as ad



def close(got, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


# -- a 0-d array changed in place under a second name (explore seed 7, program 411) -----------------------
def zero_d_alias_scaled(s, alpha):
    val = alpha
    alpha *= s
    return np.sum(val + alpha)


@pytest.mark.parametrize("alpha", [np.array(-0.772), np.array([-0.772]), np.array([0.4, -1.3])])
def test_zero_d_array_scaled_in_place_under_two_names(alpha):
    # val and alpha are one array: f = 2 * s * sum(alpha)
    close(ad.grad(zero_d_alias_scaled)(-1.15, alpha.copy()), 2 * np.sum(alpha))
    close(ad.grad(zero_d_alias_scaled, wrt=1)(-1.15, alpha.copy()), np.full(alpha.shape, 2 * -1.15))


# -- a list held in a tuple, appended to in a loop (the adjoint of the tuple's list slot) -------------------
def list_in_tuple(x):
    log = []
    box = (log, 2.0)
    for i in range(3):
        log.append(x[i] * x[i + 1])
    return box[0][1] * box[1] + np.sum(box[0][2] * x)


def test_list_held_in_a_tuple_appended_in_a_loop():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # f = 2 x1 x2 + x2 x3 (x0 + x1 + x2 + x3)
    expected = [x[2] * x[3], 2 * x[2] + x[2] * x[3], 2 * x[1] + x[3] * x.sum() + x[2] * x[3],
                x[2] * x.sum() + x[2] * x[3]]
    close(ad.grad(list_in_tuple)(x.copy()), expected)


def zero_d_alias_scaled_plain(s, alpha):
    val = alpha
    alpha *= s
    return val + alpha


def test_zero_d_array_scaled_in_place_plain_output():
    close(ad.grad(zero_d_alias_scaled_plain)(-1.15, np.array(-0.772)), 2 * -0.772)
    close(ad.grad(zero_d_alias_scaled_plain, wrt=1)(-1.15, np.array(-0.772)), 2 * -1.15)
