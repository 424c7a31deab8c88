"""ad.optim: sgd, momentum and adam over nested parameters."""
import math

import numpy as np
import pytest

import ad_compiler as ad

TARGET = {"layer": (np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.25, -1.0])), "scale": 1.5}


def quadratic(p):
    w, b = p["layer"]
    tw, tb = TARGET["layer"]
    return np.sum((w - tw) ** 2) + 2.0 * np.sum((b - tb) ** 2) + 0.5 * (p["scale"] - TARGET["scale"]) ** 2


def start():
    return {"layer": (np.zeros((2, 2)), np.zeros(2)), "scale": 0.0}


@pytest.mark.parametrize("opt, steps", [(ad.optim.sgd(lr=0.1), 200), (ad.optim.momentum(lr=0.05, beta=0.9), 300),
                                        (ad.optim.adam(lr=0.05), 1500)])
def test_optimizers_minimise_a_quadratic(opt, steps):
    grad = ad.grad(quadratic)
    params = start()
    state = opt.init(params)
    assert quadratic(params) > 10.0
    for _ in range(steps):
        params, state = opt.step(params, grad(params), state)
    assert quadratic(params) < 1e-8
    assert type(params["scale"]) is float and isinstance(params["layer"], tuple)
    np.testing.assert_allclose(params["layer"][0], TARGET["layer"][0], atol=1e-4)


def test_adam_follows_the_published_update():
    """Kingma & Ba (2015), Algorithm 1, written out for one number, against ad.optim.adam on a tree."""
    lr, b1, b2, eps = 0.1, 0.8, 0.95, 1e-3
    grads = [0.5, -2.0, 1.0, 0.0, 3.0]
    p, m, v = 1.0, 0.0, 0.0
    expected = []
    for t, g in enumerate(grads, 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(p)
    opt = ad.optim.adam(lr=lr, b1=b1, b2=b2, eps=eps)
    params = {"a": 1.0, "b": [np.full((2, 2), 1.0)]}
    state = opt.init(params)
    for g, want in zip(grads, expected):
        params, state = opt.step(params, {"a": g, "b": [np.full((2, 2), g)]}, state)
        assert params["a"] == pytest.approx(want, rel=1e-12)
        np.testing.assert_allclose(params["b"][0], want, rtol=1e-12)
    assert state.t == len(grads)


def test_momentum_follows_its_update():
    opt = ad.optim.momentum(lr=0.5, beta=0.5)
    params, state = opt.step(2.0, 1.0, opt.init(2.0))  # v = 1, p = 2 - 0.5
    assert params == 1.5 and state == 1.0
    params, state = opt.step(params, 1.0, state)  # v = 0.5 + 1, p = 1.5 - 0.75
    assert params == 0.75 and state == 1.5


def test_steps_do_not_change_arrays_in_place_and_skip_non_float_leaves():
    w = np.ones(3)
    params = {"w": w, "n": 4, "tag": "x"}
    new, _ = ad.optim.sgd(lr=1.0).step(params, {"w": np.ones(3), "n": 1.0, "tag": 0.0}, ())
    np.testing.assert_array_equal(w, np.ones(3))
    np.testing.assert_array_equal(new["w"], np.zeros(3))
    assert new["n"] == 4 and new["tag"] == "x"
