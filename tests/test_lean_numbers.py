"""Second derivatives without per-call helpers the kinds make unnecessary (performance.md, stop 27): the
tangent of a number that carries none is 0.0 (what `_ad.zeros_like` gives it), and the tangent of a
gradient returned through `as_grad_made` does not compute that gradient (its tangent has its form). Each
checked against central differences (hvp and Hessian), and on the source."""
import math

import numpy as np

import ad_compiler as ad
from fd import make_rng
from modes_check import check_modes


def thermostat(p):
    """A tank heated below a set point, cooled towards the room: floats carried through a loop and a
    flag (a bool) saved at every step, as in the building simulation."""
    heater, loss, setpoint, temp = p.tolist()
    total = 0.0
    for step in range(6):
        heat = 0.0
        if temp < setpoint:
            heat = heater * 0.5
        temp = temp + 0.1 * (heat - loss * (temp - 1.0))
        total = total + temp * temp + math.sin(temp) * heat
    return total


def relu_net(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    return np.sum((h @ w2 - y) ** 2)


def _source(d, *args):
    d(*args)
    return d.source


def test_numbers_tangents_are_zeros_without_a_call():
    for p in (np.array([2.0, 0.3, 1.5, 0.2]), np.array([2.0, 0.3, 0.5, 1.2])):  # (heated at first; never)
        check_modes(thermostat, [p], 0, modes=("grad", "hvp", "hessian"))
    src = _source(ad.hvp(thermostat), np.array([2.0, 0.3, 1.5, 0.2]), np.ones(4))
    calls = [line.strip() for line in src.splitlines() if "zeros_like" in line and not line.strip().startswith("#")]
    assert calls == ["dtape_1 = _ad.zeros_like(tape)"], calls  # (the tape's: a list)


def test_the_tangent_of_a_proven_gradient_does_not_compute_it():
    rng = make_rng(5)
    w1, w2, x, y = (rng.standard_normal(s) for s in ((5, 4), (4, 3), (6, 5), (6, 3)))
    check_modes(relu_net, [w1, w2, x, y], 0, modes=("grad", "hvp"))
    g = ad.grad(relu_net)
    assert "as_grad_made(bw1, w1)" in _source(g, w1, w2, x, y)
    src = _source(ad.hvp(relu_net), w1, w2, x, y, w1)
    lines = [line.strip() for line in src.splitlines()]
    assert not any(line.startswith(("out = _ad.as_grad_made(", "bw1 =")) for line in lines), src
