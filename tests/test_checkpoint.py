"""Checkpointing (docs/performance.md): `for t in ad.checkpointed(range(T))` keeps the loop's variables at the
start of every segment and runs each segment again in the adjoint sweep; `ad.checkpoint(f)` keeps only f's
arguments and runs f's forward sweep again before its adjoint. Checked against finite differences and against
the derivative without checkpointing, in every mode; the memory held is measured; what cannot be
checkpointed is refused with a located error."""
import numpy as np
import pytest

import ad_compiler as ad
from test_lean import check_modes
from test_modes import assert_close, fd_grad, rnd


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def rnn_checkpointed(W, U, b, xs, h0):
    h = h0
    for t in ad.checkpointed(range(xs.shape[0])):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def rnn_every(W, U, b, xs, h0, k):
    h = h0
    for t in ad.checkpointed(range(xs.shape[0]), every=k):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def rnn_args(T, seed=0):
    r = np.random.default_rng(seed)
    return (r.standard_normal((3, 4)) * 0.5, r.standard_normal((4, 4)) * 0.4, r.standard_normal(4) * 0.1,
            r.standard_normal((T, 2, 3)), r.standard_normal((2, 4)) * 0.1)


WRT = (0, 1, 2, 3, 4)


def test_plain_python_runs_the_loop_and_the_function():
    assert ad.checkpointed(range(3)) == range(3)
    cell = ad.checkpoint(np.tanh)
    assert cell(0.5) == np.tanh(0.5)
    args = rnn_args(4)
    assert rnn_checkpointed(*args) == rnn(*args)


@pytest.mark.parametrize("T", [0, 1, 2, 7, 16])
def test_checkpointed_loop_equals_the_plain_one(T):
    args = rnn_args(T)
    got = ad.grad(rnn_checkpointed, wrt=WRT)(*args)
    plain = ad.grad(rnn, wrt=WRT)(*args)
    assert_close(got, plain, rtol=1e-12, atol=1e-12, what=f"T={T}")


def test_checkpointed_loop_in_every_mode():
    g = check_modes(rnn_checkpointed, rnn_args(5), wrt=(0, 1, 2, 4))
    g(*rnn_args(5))
    src = g.source
    assert "segments = _ad.segments(range(" in src and "snapshots.append(h_1)" in src
    assert "for steps in reversed(segments):" in src and "h_1 = snapshots.pop()" in src
    assert "_all" not in src  # (no batching: it would keep every step's rows)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 100])
def test_segment_lengths(k):
    args = rnn_args(7) + (k,)
    got = ad.grad(rnn_every, wrt=(0, 1, 2))(*args)
    assert_close(got, ad.grad(rnn, wrt=(0, 1, 2))(*args[:5]), rtol=1e-12, atol=1e-12, what=f"every={k}")


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_segment_length_must_be_a_positive_integer(k):
    with pytest.raises(ad.ADError, match="positive integer"):
        ad.grad(rnn_every, wrt=0)(*rnn_args(3), k)


def tape_bytes(g, args):
    """The largest number of bytes of arrays on the tapes (the tape and the snapshots) during one call."""
    peak = [0]

    class Measured(list):
        live = [0]

        def append(self, value):
            Measured.live[0] += getattr(value, "nbytes", 0)
            peak[0] = max(peak[0], Measured.live[0])
            super().append(value)

        def pop(self):
            value = super().pop()
            Measured.live[0] -= getattr(value, "nbytes", 0)
            return value

    original = ad.runtime.new_tape
    ad.runtime.new_tape = Measured
    try:
        g(*args)
    finally:
        ad.runtime.new_tape = original
    return peak[0]


def test_memory_grows_as_the_square_root_of_the_steps():
    state = 2 * 4 * 8  # one hidden state: (2, 4) float64
    for T in (100, 400, 1600):
        args = rnn_args(T)
        held = tape_bytes(ad.grad(rnn_checkpointed, wrt=(0, 1)), args)
        plain = tape_bytes(ad.grad(rnn, wrt=(0, 1)), args)
        assert plain == T * state
        assert held <= 2 * (int(np.ceil(np.sqrt(T))) + 1) * state, (T, held)


def two_loops(x, w):
    s = x
    for i in ad.checkpointed(range(6)):
        s = np.sin(s * w) + s
    total = 0.0
    for j in range(3):  # a plain loop after it: its tape sits below the segments' values
        total = total + np.sum(s * j)
    for i in ad.checkpointed(range(4), every=3):
        inner = s
        for k in range(2):  # a nested loop in a checkpointed one
            inner = np.cos(inner) * w
        s = s + inner * 0.1
    return total + np.sum(s ** 2)


def test_checkpointed_loops_with_other_and_nested_loops():
    check_modes(two_loops, (rnd(1, 3), rnd(2, 3)), wrt=(0, 1))


def floats_loop(k, x0):
    x = x0
    v = 0.0
    for i in ad.checkpointed(range(30)):
        v = v - 0.1 * k * x
        x = x + 0.1 * v
    return x * x


def test_checkpointed_loop_on_floats():
    check_modes(floats_loop, (1.3, 0.7), wrt=(0, 1))


def loop_with_branch(x, c):
    s = x
    for i in ad.checkpointed(range(9), every=2):
        if np.sum(s) > c:
            s = s * 0.9
        else:
            s = np.tanh(s + 1.0)
    return np.sum(s)


@pytest.mark.parametrize("c", [-5.0, 0.5, 5.0])
def test_checkpointed_loop_with_a_branch(c):
    check_modes(loop_with_branch, (rnd(3, 4), c), wrt=0)


def ck_break(x):
    s = x
    for i in ad.checkpointed(range(5)):
        s = s * 2.0
        if np.sum(s) > 10.0:
            break
    return np.sum(s)


def ck_return(x):
    s = x
    for i in ad.checkpointed(range(5)):
        s = s * 2.0
        if np.sum(s) > 10.0:
            return np.sum(s)
    return np.sum(s)


def ck_nested(x):
    s = x
    for j in range(2):
        for i in ad.checkpointed(range(3)):
            s = s * 2.0
    return np.sum(s)


def ck_store(x):
    s = x.copy()
    for i in ad.checkpointed(range(3)):
        s[i] = s[i] * 2.0
    return np.sum(s)


@pytest.mark.parametrize("f, what", [(ck_break, "`break` inside a checkpointed loop"),
                                     (ck_return, "`return` inside a checkpointed loop"),
                                     (ck_nested, "a checkpointed loop inside another loop"),
                                     (ck_store, "changes an array or a list in place")])
def test_what_cannot_be_checkpointed_is_refused_where_it_is(f, what):
    with pytest.raises(ad.UnsupportedError, match=what) as info:
        ad.grad(f)(np.ones(3))
    assert info.value.where is not None and info.value.where.line > 0


# -- ad.checkpoint(f) ------------------------------------------------------------------------------------
@ad.checkpoint
def cell(h, x, W, U, b):
    a = x @ W + h @ U + b
    return np.tanh(a)


def rnn_cell(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = cell(h, xs[t], W, U, b)
    return np.sum(h ** 2)


def plain_cell(h, x, W, U, b):
    return np.tanh(x @ W + h @ U + b)


def rnn_wrapped_here(W, U, b, xs, h0):
    h = h0
    step = ad.checkpoint(plain_cell)
    for t in range(xs.shape[0]):
        h = step(h, xs[t], W, U, b)
    return np.sum(h ** 2)


@pytest.mark.parametrize("f", [rnn_cell, rnn_wrapped_here])
def test_checkpointed_function(f):
    args = rnn_args(4)
    assert_close(ad.grad(f, wrt=WRT)(*args), ad.grad(rnn, wrt=WRT)(*args), rtol=1e-12, atol=1e-12)
    g = check_modes(f, args, wrt=(0, 1, 2, 4))  # (hvp: reverse over forward)
    src = g.source
    # the forward sweep calls the function itself; the adjoint sweep its forward sweep again
    assert "h_2 = cell(h_1, t3, W, U, b)" in src or "h_2 = plain_cell(h_1," in src
    assert "_again, h_2_back = " in src and "tape.append(h_2_back)" not in src


def test_checkpointed_function_memory():
    args = rnn_args(50)
    held = tape_bytes(ad.grad(rnn_cell, wrt=(0, 1)), args)
    assert held == 50 * 2 * 4 * 8  # the argument h of each step; nothing of the cell's own values


@ad.checkpoint
def scale_in_place(v):
    v *= 2.0
    return np.sum(v)


def calls_scale_in_place(x):
    y = x * 1.0
    return scale_in_place(y)


def test_a_checkpointed_function_changing_its_argument_is_refused():
    with pytest.raises(ad.UnsupportedError, match="changes an argument in place"):
        ad.grad(calls_scale_in_place)(np.ones(3))


def checkpoint_builtin(x):
    return ad.checkpoint(np.sin)(x)


def test_only_functions_of_the_user_can_be_checkpointed():
    with pytest.raises(ad.UnsupportedError, match="ad.checkpoint takes a function of yours"):
        ad.grad(checkpoint_builtin)(0.5)
