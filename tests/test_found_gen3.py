"""Found by the loop-state constructs of tests/progen_state.py (gen3): each program gives the gradient central
differences give, or a located refusal. /work/gen3/findings.md has the entries (g3-NNN)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.35, -0.7, 0.61])
V = np.array([0.2, 0.5, -0.3])


class Unit:
    def __init__(self, w):
        self.w = w
        self.act = np.sin

    def forward(self, v):
        out = self.act(v * self.w)
        self.act = np.tanh
        return out


def switched_in_method(x):
    o = Unit(x)
    r = 0.0
    for i in range(3):
        r = r + np.sum(o.forward(x * (i + 2.0)))
    return r


def switched_in_loop(x, s):
    o = Unit(s)
    r = 0.0
    for i in range(2):
        r = r + np.sum(o.forward(x))
        o.act = np.cos
        r = r + np.sum(o.act(x) * o.w)
    return r


def switched_local(x):
    act = np.sin
    r = 0.0
    for i in range(3):
        r = r + np.sum(act(x * (i + 1.0)))
        act = np.tanh
    return r


@pytest.mark.parametrize("fn,args", [(switched_in_method, (X,)), (switched_in_method, (-X,)),
                                     (switched_in_loop, (X, 0.7)), (switched_local, (X,))],
                         ids=["method", "method-neg", "in-loop", "local"])
def test_g3_001_function_switched_by_the_loop_body(fn, args):
    """g3-001: a function known before a `for i in range(K)` loop and switched by its body (directly or in a
    method it calls: `self.act = np.tanh`) was forgotten and its call refused ("no derivative is known for the
    method `.act()`"): the loop is now written out, each iteration's function known."""
    expected = numeric_grad(fn, args, 0)
    np.testing.assert_allclose(ad.grad(fn)(*args), expected, rtol=1e-6, atol=1e-8)
    _, tangent = ad.jvp(fn)(*args, V)
    np.testing.assert_allclose(tangent, expected @ V, rtol=1e-6, atol=1e-8)


def switched_with_break(x):
    o = Unit(x)
    r = 0.0
    for i in range(3):
        r = r + np.sum(o.forward(x))
        if r > 1.0:
            break
    return r


class Vectorized(Unit):
    def forward(self, v):
        out = self.act(v * self.w)
        self.act = np.vectorize(np.tanh)  # (a function not known when compiling)
        return out


def switched_to_unknown_with_break(x):
    o = Vectorized(x)
    r = 0.0
    for i in range(3):
        r = r + np.sum(o.forward(x))
        if r > 1.0:
            break
    return r


@pytest.mark.parametrize("x", [X, -X], ids=["breaks", "runs-out"])
def test_g3_001_switched_with_break(x):
    """With a `break` the loop is not written out: it was refused at the call; the attribute is now a choice
    over sin and tanh at the loop's head (switch: inline_choice.grow_heads), right in both modes."""
    expected = numeric_grad(switched_with_break, (x,), 0)
    np.testing.assert_allclose(ad.grad(switched_with_break)(x), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.jvp(switched_with_break)(x, V)[1], expected @ V, rtol=1e-6, atol=1e-8)


def test_g3_001_switched_to_an_unknown_function_is_refused_at_the_call():
    """Switched to a function not known when compiling: still a located refusal, saying what is not known
    (g3-005: it said "no derivative is known for the method `.act()`")."""
    with pytest.raises(ad.ADError, match=r"the function the attribute `\.act` holds, not known") as e:
        ad.grad(switched_to_unknown_with_break)(X)
    assert "test_found_gen3.py\", line" in str(e.value)


def switched_local_break(x):
    act = np.sin
    r = 0.0
    for i in range(3):
        r = r + np.sum(act(x * (i + 1.0)))
        act = np.tanh
        if r > 5.0:
            break
    return r


def switched_local_steps(x, n):
    act = np.cos
    r = 0.0
    for i in range(n):
        r = r + np.sum(act(x) * (i + 1.0))
        act = np.sin
    return r


def switched_local_while(x):
    act = np.sin
    r = 0.0
    i = 0
    while i < 3:
        r = r + np.sum(act(x * (i + 1.0)))
        act = np.tanh
        i += 1
    return r


@pytest.mark.parametrize("fn,args", [(switched_local_break, (X,)), (switched_local_steps, (X, 3)),
                                     (switched_local_while, (X,))], ids=["break", "steps", "while"])
def test_g3_002_loop_carried_function_is_not_the_last_one(fn, args):
    """g3-002 (silently wrong): a name holding a function before a loop and another one after the body
    (`act = np.sin`, then `act = np.tanh` in the body) had the kind of its value at the loop's exit (tanh)
    everywhere, so every iteration's call was differentiated as tanh. Its kind is now the join over the
    loop's head and exit (not a known function): it was refused at the call; now (switch) the name is a choice
    over sin and tanh at the loop's head (inline_choice.grow_heads): right."""
    expected = numeric_grad(fn, args, 0)
    np.testing.assert_allclose(ad.grad(fn)(*args), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.jvp(fn)(*args, V)[1], expected @ V, rtol=1e-6, atol=1e-8)


class Cell:
    def __init__(self, W):
        self.W = W
        self.h = None

    def step(self, v):
        if self.h is None:
            self.h = np.zeros_like(v)
        self.h[...] = np.tanh(self.W * self.h + v)
        return self.h


def rnn_hidden_on_self(x):
    c = Cell(x)
    hs = []
    for i in range(2):
        hs.append(c.step(x * (i + 0.5)))
    return sum(np.sum(q ** 2) for q in hs)


class Heavy:
    def __init__(self, lr):
        self.lr = lr
        self.m = None

    def step(self, w, g):
        if self.m is None:
            self.m = np.zeros_like(w)
        self.m *= 0.9
        self.m += g
        return w - self.lr * self.m


def momentum_in_place(x):
    opt = Heavy(0.1)
    w = x * 1.0
    for i in range(3):
        w = opt.step(w, 2.0 * (w - x * x))
    return np.sum(w ** 2)


@pytest.mark.parametrize("fn", [rnn_hidden_on_self, momentum_in_place], ids=["rnn-cell", "momentum"])
def test_g3_003_004_state_made_lazily_by_the_first_iteration(fn):
    """g3-003 / g3-004: an attribute None before a `for i in range(K)` loop and made by its first iteration
    (`if self.h is None: self.h = np.zeros_like(v)`), then changed in place (`self.h[...] = ...`,
    `self.m *= 0.9`), was refused ("did not make", "not known to be a number or an array"): the loop is now
    written out, each iteration knowing whether the attribute is None."""
    expected = numeric_grad(fn, (X,), 0)
    np.testing.assert_allclose(ad.grad(fn)(X), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.jvp(fn)(X, V)[1], expected @ V, rtol=1e-6, atol=1e-8)
