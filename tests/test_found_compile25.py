"""Compile time (issue 11): programs that took seconds to compile (findings in /work/compile25/findings.md).

The limits are on the process's CPU time (CI's two cores are shared) and generous: each program compiles in well
under a second after its fix, and took from 2.8 to 16 seconds of CPU before it.
"""
import time

import numpy as np

import ad_compiler as ad
from fd import check_grad


def cell(a, b):
    z = a + b
    return z * b


def checkpointed_in_loop(x):  # rw2-002: 7.5 s to compile (one maybe-view more per fixed-point iteration)
    h = np.tanh(x)
    v = x * x
    for ii in range(2):
        v = ad.checkpoint(cell)(v, h)
    return np.sum(v)


def checkpointed_rebinding(x):  # the same with the second argument made again in the loop: 26 s
    h = np.tanh(x)
    v = x * x
    for ii in range(2):
        v = ad.checkpoint(cell)(v, h)
        h = v * 0.5
    return np.sum(v)


def pair(a, b):
    return a * b, a + b


def checkpointed_pair_in_loop(x):  # c25-002: a checkpointed function returning a tuple, in a loop: > 100 s
    v, w = x * x, x + 1.0
    for ii in range(3):
        v, w = ad.checkpoint(pair)(v, w)
    return np.sum(v * w)


def _first_call_seconds(f, *args):
    g = ad.grad(f)
    t0 = time.process_time()  # (the process's CPU time: what the compiler cost, whatever else the machine runs)
    g(*args)
    return time.process_time() - t0


def test_rw2_002_checkpointed_call_in_a_loop_compiles_fast():
    x = np.array([0.1, 0.5, 0.9])
    for f in (checkpointed_in_loop, checkpointed_rebinding, checkpointed_pair_in_loop):
        assert _first_call_seconds(f, x) < 1.5, f.__name__  # (2.8 s and 10 s of CPU before)
        check_grad(f, (x,))


def nested_loops_with_refreshes(s, W, xs):
    # (c25-003: the alias pass's fixed points on this function's gradient never ended, new placeholder names at
    # every iteration: 20 iterations of the outer loop, each with the inner loop's 20; its hvp took 35 s)
    def func(t):
        return np.tanh(t) * s
    r = np.sum(func(min(s, W[0][1])))
    M = W.T
    M[0] = s - r
    r -= func(s)
    acc = 0.0
    for i in range(2):
        step = 0.0

        def op(t):
            nonlocal step
            step = step + np.sum(t) * 0.25
            return t * np.min(M)
        z = 0.0
        for j in range(2):
            if step > 0.3:
                z = z + np.sum(W.reshape(-1)[:4] ** 2)
            else:
                z = z + np.sum(op(W.reshape(-1)[:4]))
            z = z + np.sum(op(W.reshape(-1)[1:5]))
            if acc > -0.2:
                continue
        acc = acc + z * z
        if np.sum(M) > 0:
            break
    return r + np.sum(W) + np.sum(np.sin(M)) + acc + np.sum(np.sin(W))


def test_c25_003_hvp_of_nested_loops_compiles_fast():
    s, W = 0.729, np.array([[-1.071, -0.34, -1.29], [1.258, 1.197, -0.544]], dtype=np.float32)
    xs = [np.array([-0.434, 1.133, 1.386]), np.array([0.778, -1.12, 0.226])]
    vs, vW = 0.3, np.array([[0.5, -1.0, 0.25], [1.0, 0.75, -0.5]], dtype=np.float32)
    t0 = time.process_time()
    got = ad.hvp(nested_loops_with_refreshes, wrt=(0, 1))(s, W.copy(), xs, (vs, vW))
    assert time.process_time() - t0 < 6.0  # (16 s of CPU before)
    g = ad.grad(nested_loops_with_refreshes, wrt=(0, 1))
    eps = 1e-3  # (float32: the differences of the compiled gradient, at float32's precision)
    plus = g(s + eps * vs, (W + eps * vW).astype(np.float32), xs)
    minus = g(s - eps * vs, (W - eps * vW).astype(np.float32), xs)
    for a, b, c in zip(got, plus, minus):
        fd = (np.asarray(b, dtype=np.float64) - np.asarray(c, dtype=np.float64)) / (2 * eps)
        np.testing.assert_allclose(a, fd, rtol=2e-3, atol=2e-2)
