"""The constructs of issue 10 together: *args and keyword-only parameters, a list of functions (one a
lambda reading an argument), a nested generator, an object made in the function whose attribute array is
changed in place by its method, a dataclass, `try`, `with` and a partial, inside loops; all modes against
central finite differences."""
import functools
from dataclasses import dataclass

import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import assert_close, fd_grad


class Accumulator:
    def __init__(self, n):
        self.buf = np.zeros(n)
        self.count = 0

    def add(self, v):
        self.buf[:] += v  # an attribute array of an object made in the function, changed in place
        self.count += 1
        return self.buf


@dataclass
class Scale:
    factor: float
    offset: float = 0.0

    def apply(self, v):
        return v * self.factor + self.offset


def weighted_sum(v, w, power=1):
    return np.sum(w * v ** power)


def combined(x, *weights, scale=1.0):
    acc = Accumulator(x.shape[0])
    fns = [np.sin, lambda v: v * scale]
    s = Scale(scale, offset=x[0])

    def feed(ws):
        for w in ws:
            yield w * x

    for f in fns:
        for term in feed(weights):
            acc.add(f(s.apply(term)))
    total = functools.partial(weighted_sum, w=acc.buf)
    with np.errstate(over="ignore"):
        try:
            r = total(x, power=2) + np.sum(np.exp(acc.buf)) / acc.count
        except FloatingPointError:
            r = 0.0
    return r


def test_everything_together():
    rng = np.random.default_rng(14)
    x, w1, w2 = rng.standard_normal(3) * 0.5, rng.standard_normal(3), rng.standard_normal(3)
    check_modes(combined, (x, w1, w2), 0, kwargs={"scale": 0.7})
    # with respect to `*weights`: a tuple of gradients, one per weight passed
    got = ad.grad(combined, wrt="weights")(x, w1, w2, scale=0.7)

    def call(*a):
        return combined(*a, scale=0.7)

    expected = (fd_grad(call, [x, w1, w2], 1), fd_grad(call, [x, w1, w2], 2))
    assert_close(got, expected, what="grad of combined w.r.t. *weights")


# -- a list of functions changed in the function: what is known of it follows the change, or is forgotten --------
class Box:
    pass


def _through_alias(x):
    fs = [np.sin, np.tanh]
    gs = fs
    gs[0] = np.exp  # fs changes too
    s = 0.0
    for f in fs:
        s = s + np.sum(f(x))
    return s


def _through_attribute(x):
    b = Box()
    fs = [np.sin, np.tanh]
    b.fs = fs
    b.fs[0] = np.exp
    s = 0.0
    for f in fs:
        s = s + np.sum(f(x))
    return s


def _through_dict(x):
    fs = [np.sin, np.tanh]
    d = {"a": fs}
    d["a"][1] = np.exp
    s = 0.0
    for f in fs:
        s = s + np.sum(f(x))
    return s


def _swapped(x):
    fs = [np.sin, np.tanh]
    fs[0], fs[1] = fs[1], fs[0]
    return np.sum(fs[0](x * 2))


def _appended(x):
    fs = [np.sin, np.tanh]
    fs.append(np.exp)
    s = 0.0
    for f in fs:
        s = s + np.sum(f(x))
    return s


def _replaced_in_loop(x):
    fs = [np.sin, np.tanh]
    for i in range(2):
        fs[i] = np.exp
    return np.sum(fs[0](x)) + np.sum(fs[1](x))


@pytest.mark.parametrize("f", [_through_alias, _through_attribute, _through_dict, _swapped])
def test_changed_list_of_functions_is_followed(f):
    x = np.array([0.3, -0.4])
    assert_close(ad.grad(f)(x), fd_grad(f, [x], 0), what=f.__name__)


@pytest.mark.parametrize("f", [_appended, _replaced_in_loop])
def test_changed_list_of_functions_is_forgotten_and_refused(f):
    with pytest.raises(ad.ADError, match="function value not known when compiling"):
        ad.grad(f)(np.array([0.3, -0.4]))


# -- np.split into gates inside a loop (an LSTM cell): a list of pieces on the tape (hunt 2, finding 012) --------
def split_gates_in_a_loop(W, xs):
    h = np.zeros(2)
    c = np.zeros(2)
    for x in xs:
        z = W @ np.concatenate([x, h])
        i, f, o, g = np.split(z, 4)
        i, f, o = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
    return np.sum(h ** 2) + np.sum(c)


def test_split_into_gates_in_a_loop():
    rng = np.random.default_rng(0)
    W, xs = rng.standard_normal((8, 4)) * 0.5, rng.standard_normal((3, 2))
    check_modes(split_gates_in_a_loop, (W, xs), 0, modes=("grad", "jvp", "hvp"))
