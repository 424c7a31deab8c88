"""Second derivatives without per-call helpers the kinds make unnecessary (performance.md, stop 27): the
tangent of a number that carries none is 0.0 (what `_ad.zeros_like` gives it), and the tangent of a
gradient returned through `as_grad_made` does not compute that gradient (its tangent has its form), and a
loop's carried copies are written as the assignments they copy (loop_copies.py). Each checked against central
differences (jvp, hvp and Hessian), and on the source."""
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


def oscillator(k, x0, v0):
    x, v = x0, v0
    for i in range(40):
        a = -k * x - 0.1 * v
        x = x + 0.05 * v
        v = v + 0.05 * a
    return x * x + v * v


def swapped(p):
    a, b = p.tolist()
    for i in range(5):
        a, b = b, a * 0.5 + math.sin(b)  # (the old a is read after the new b is computed)
    return a * b


def counted(x):
    s, t = x, 0.0
    while s < 8.0:
        t = t + math.sqrt(s) * 0.3
        s = s * 1.5 + t
    return s * t


def broken(x, n):
    y = x
    for i in range(n):
        y = y * 1.1 + math.sin(y)
        if y > 4.0:
            break
    return y * y


def test_carried_copies_written_away():
    check_modes(oscillator, [2.0, 1.0, 0.3], 1, modes=("jvp", "hvp", "hessian"))
    check_modes(swapped, [np.array([0.4, -0.7])], 0, modes=("jvp", "hvp", "hessian"))
    for x in (0.9, 2.5):
        check_modes(counted, [x], 0, modes=("jvp", "hvp"))
    for x in (0.5, 3.0):  # (breaks at once, or runs on: the copies stay where the loop may be left early)
        check_modes(broken, [x, 6], 0, modes=("jvp", "hvp"))
    lines = [line.strip() for line in _source(ad.hvp(oscillator, wrt=1), 2.0, 1.0, 0.3, 1.0).splitlines()]
    assert "dx_1_1 = dx_1_1 + 0.05 * dv_1_1" in lines and "dx_1_1 = dx_2" not in lines, lines
    assert "dbx_1_1 = dbx_1_1 + t1 * dba" in lines and "dbx_1_1 = dbx_1_2" not in lines, lines
