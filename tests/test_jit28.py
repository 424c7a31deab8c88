"""jit=True per-call cost (stop 27): a tape of known small size in the compiled function's frame
(jit_runtime_stack.py), and what must not change with it."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad

numba = pytest.importorskip("numba")


def heated(p, target):
    """A tank warming a slab (the building simulation's loop, smaller): floats and a bool saved in a loop of
    known count, read back in the adjoint sweep; the parameters read as a list of numbers."""
    rate, loss, heater, setpoint, dt = p.tolist()
    tank, slab = 20.0, 18.0
    for _ in range(12):
        heat = heater if tank < setpoint else 0.1 * heater
        tank = tank + heat * dt / (1.0 + rate)
        q = rate * (tank - slab)
        slab = slab + (q - loss * (slab - 15.0)) * dt / 3.0
        tank = tank - q * dt / (2.0 + math.exp(-rate))
    return abs(slab - target)


def long_loop(x, n):
    """A tape too large for the frame (2 floats a step)."""
    s = x
    for i in range(1500):
        s = math.sin(s) * 0.9 + x / (1.0 + 0.001 * i)
    return s * n


def test_a_tape_of_known_small_size_is_in_the_frame_and_right_at_every_call():
    g = ad.grad(heated, jit=True)
    plain = ad.grad(heated)
    rng = np.random.default_rng(5)
    for _ in range(3):  # (the frame's memory is not zeroed: each call saves before it reads)
        p = np.array([0.5, 0.2, 3.0, 22.0, 0.3]) + 0.05 * rng.standard_normal(5)
        got = check_grad(heated, (p, 19.0), wrt=0, jit=True)
        np.testing.assert_allclose(got, plain(p, 19.0), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g(p, 19.0), got, rtol=0, atol=0)
    source = g.source
    assert "tape_floats = _ad.jit.stack_empty(" in source and "np.empty(" not in source
    assert "t1 = p\n" in source and "p.copy()" not in source  # (the tape is new memory: jit_reuse.uncopy)
    # a call with other kinds after the first: a strided array (another Numba type: Numba's dispatcher, not the
    # entry point the guard calls for C-contiguous arrays), then a contiguous one again
    wide = np.zeros(10)
    wide[::2] = [0.5, 0.2, 3.0, 22.0, 0.3]
    np.testing.assert_allclose(g(wide[::2], 19.0), plain(wide[::2].copy(), 19.0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g(wide[::2].copy(), 19.0), plain(wide[::2].copy(), 19.0), rtol=1e-12, atol=1e-14)


def test_a_tape_too_large_for_the_frame_is_on_the_heap():
    g = ad.grad(long_loop, jit=True)
    got = check_grad(long_loop, (0.3, 2.0), wrt=0, jit=True)
    assert math.isclose(got, ad.grad(long_loop)(0.3, 2.0), rel_tol=1e-12)
    g(0.3, 2.0)
    assert "tape_floats = np.empty(3000)" in g.source and "stack_empty" not in g.source


def ints_and_floats(x):
    """Floats and ints saved in loops of known counts: a frame tape per dtype."""
    s, k = x, 0
    for i in range(6):
        if s > 0.5:
            s = s * 0.9 + 0.1 * i
        else:
            s = s * 1.1
        k = k + i * i
        s = s + 0.01 * math.sin(s) * k
    return s


def bools_only(x):
    """Only a flag saved (the other values' adjoints need nothing of them): a frame tape of bools."""
    s, k = x, 0
    for i in range(7):
        flag = k > 3
        if flag:
            s = s * 2.0 + 1.0
        else:
            s = s - 3.0 * x
        k = k + i
    return s


@pytest.mark.parametrize("f, tape", [(ints_and_floats, "stack_empty(6, np.int64)"),
                                     (bools_only, "stack_empty(7, np.bool_)")])
def test_frame_tapes_of_each_dtype(f, tape):
    g = ad.grad(f, jit=True)
    for x in (0.45, 0.7):
        got = check_grad(f, (x,), wrt=0, jit=True)
        assert math.isclose(got, ad.grad(f)(x), rel_tol=1e-12) and g(x) == got
    assert tape in g.source


def sums_along_axes(x, v):
    """Sums along constant axes: of a matrix along each axis (a function, a method), of a vector."""
    a = np.sum(x * x, axis=0)
    b = x.sum(axis=-1)
    return np.sum(a * b * v) + np.sum(v * v, axis=0)


def test_sums_along_a_constant_axis_are_loops():
    """Numba's np.sum with an axis cost about a second of a process's first compile (jit_runtime_axes.sum_axis:
    the same value, bit for bit, added in the same order: checked against Numba's np.sum for C, F and strided
    float and int arrays in /work/jit28)."""
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal((3, 3)), rng.standard_normal(3)
    got = check_grad(sums_along_axes, (x, v), wrt=(0, 1), jit=True)
    for a, b in zip(got, ad.grad(sums_along_axes, wrt=(0, 1))(x, v)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    g = ad.grad(sums_along_axes, wrt=(0, 1), jit=True)
    g(x, v)
    code = [line for line in g.source.splitlines() if not line.strip().startswith("#")]
    assert "_ad.jit.sum_axis(" in g.source and not any("axis=" in line for line in code)
