"""Temporaries read once written back into the statement that reads them (fuse.py): the source reads like the
user's line, and the derivative is the same. Every program is checked against finite differences in grad,
jvp and hvp (test_lean.check_modes); the source is checked for the fusion, and for its absence where a
statement between changes what the temporary's value reads."""
import math

import numpy as np

import ad_compiler as ad
from test_lean import check_modes
from test_lean import damped as oscillator  # (50 explicit Euler steps of a damped oscillator, on floats)


def test_a_loop_on_floats_reads_like_the_users_lines():
    g = check_modes(oscillator, (2.0, 0.3, 1.0, 0.5), wrt=(0, 1, 2, 3))
    src = g.source
    assert "a = t1 * x_1 - c * v_1" in src and "x_2 = x_1 + 0.01 * v_1" in src, src


def chain(x, w):
    a = np.tanh(w * x + 0.5) * x + w
    b = np.sin(a * w) + a * x - 0.1
    return np.sum(np.exp(-b * b) * a + b) + math.exp(0.1 * 2.0)


def test_elementwise_chains_and_calls():
    x = np.array([0.3, -0.7, 1.1])
    w = np.array([0.5, 0.2, -0.4])
    g = check_modes(chain, (x, w), wrt=(0, 1))
    assert "np.tanh(w * x + 0.5)" in g.source
    jsrc = ad.jvp(chain, wrt=(0, 1)).source
    assert "t1 =" not in jsrc.split("return")[0] or "w * x" in jsrc


def bump(v):
    v[0] = 5.0
    return 1.0


def changed_between(x):
    y = x * 1.0
    z = y * 2.0 + bump(y)  # y * 2.0 is computed before bump changes y
    return np.sum(z * z) + np.sum(y * x)


def test_a_store_between_stops_the_fusion():
    x = np.array([0.3, -0.7, 1.1])
    check_modes(changed_between, (x,), wrt=0)


def reread(x, lst):
    s = x * 3.0
    lst.append(s)
    u = lst[0] * s
    return np.sum(u)


def test_a_list_push_between():
    x = np.array([0.3, -0.7, 1.1])
    check_modes(reread, (x, [np.ones(3)]), wrt=0, hvp=False)


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def test_rnn_step_is_one_line():
    rng = np.random.default_rng(3)
    args = (rng.standard_normal((4, 5)) * 0.5, rng.standard_normal((5, 5)) * 0.5, rng.standard_normal(5),
            rng.standard_normal((6, 3, 4)), rng.standard_normal((3, 5)))
    g = check_modes(rnn, args, wrt=(0, 1, 2))
    assert "h_2 = np.tanh(t4_all[t] + h_1 @ U + b)" in g.source


seen = []


def _note(v):
    seen.append(v)
    return v


noted = np.frompyfunc(_note, 1, 1)


def test_a_frompyfunc_ufunc_is_not_moved():
    from ad_compiler.fuse import _pure
    from ad_compiler.ir import Call, Global, Var

    assert _pure(Call(Global(("np", "tanh"), np.tanh, np), (Var("x"),)))
    assert not _pure(Call(Global(("noted",), noted, None), (Var("x"),)))
