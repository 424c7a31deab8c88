"""The constructs of issue 10 together: *args and keyword-only parameters, a list of functions (one a
lambda reading an argument), a nested generator, an object made in the function whose attribute array is
changed in place by its method, a dataclass, `try`, `with` and a partial, inside loops; all modes against
central finite differences."""
import functools
import logging
import warnings
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


# -- the constructs in combination: in loops, helpers, containers, with aliases, closures from factories -------
# (each against differences in grad and jvp, most in hvp too)
def make_scaled(s):
    def scaled(v):
        return v * s
    return scaled

def c_randn(x):
    rs = np.random.RandomState(0)
    noise = rs.randn(*x.shape)
    return np.sum(x * noise) + np.sum(x ** 2)

def pairs_gen(xs, ys):
    for a, b in zip(xs, ys):
        yield a * b

def c_gen_zip(x):
    f = make_scaled(x[0])
    total = 0.0
    for k in range(2):
        for p, q in zip(pairs_gen([x, x * 2], [x[1], f(x[2])]), [1.0, 2.0]):
            total = total + np.sum(p) * q * (k + 1)
    return total

class Base:
    def __init__(self, W):
        self.W = W
    def forward(self, x):
        return self.W @ x

class Doubled(Base):
    def forward(self, x):
        y = super().forward(x)
        y *= 2.0
        return y

class Act:
    def forward(self, x):
        return np.tanh(x)

def c_dict_layers(W, x):
    layers = {"a": Doubled(W), "b": Act(), "c": Base(W.T)}
    for name in ["a", "b", "c", "b"]:
        x = layers[name].forward(x)
    return np.sum(x ** 2)

def risky(v, k):
    try:
        if k % 2 == 0:
            raise ValueError("even")
        out = v * 2.0
    except ValueError:
        out = np.sin(v)
    finally:
        pass
    return out

def c_try_loop(x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(risky(x, k))
    return total

class Timer:
    def __init__(self):
        self.n = 0
    def __enter__(self):
        self.n += 1
        return self
    def __exit__(self, *exc):
        return False

def c_with_loop(x):
    t = Timer()
    for k in range(2):
        with t:
            x = x * np.cos(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = x + 1.0
    return np.sum(x) * t.n

def loss(w, b, x=None):
    return np.sum((w * x + b) ** 2)

def c_partial_factory(x):
    p = functools.partial(loss, b=x[0])
    g = make_scaled(x[1])
    return p(g(x), x=x) + functools.partial(make_scaled(2.0))(x)[0]

def inner(x, *, scale=1.0, power=2):
    return np.sum(x ** power) * scale

def middle(x, **kw):
    return inner(x, **kw)

def outer(x, *args, **kw):
    return middle(x * args[0], **kw) + len(args)

def c_kwargs_chain(x):
    opts = {"scale": x[0]}
    opts["power"] = 3
    return outer(x, 2.0, 3.0, **opts)

def c_map_zip_star(x):
    pairs = [(x[0], x[1]), (x[1], x[2]), (x[2], x[0])]
    firsts, seconds = zip(*pairs)
    f = make_scaled(x[0])
    return sum(map(f, firsts)) + sum(map(lambda a, b: a * b, firsts, seconds))

def c_closures_in_loop(x):
    fs = []
    for a in (1.0, 2.0, 3.0):
        fs.append(make_scaled(a * x[0]))
    return sum(np.sum(f(x)) for f in fs)

def c_closures_list_literal(x):
    fs = [make_scaled(x[0]), make_scaled(x[1]), np.sin]
    total = 0.0
    for f in fs:
        total = total + np.sum(f(x))
    return total

def c_inplace_list(x):
    hs = [np.zeros(3), np.ones(3)]
    alias = hs
    for k in range(2):
        alias[k] += x * (k + 1)
        hs[k] = hs[k] * x
    return np.sum(hs[0]) + np.sum(hs[1] ** 2)

class Model:
    def __init__(self, W, b):
        self.W, self.b = W, b
    def params(self):
        yield self.W
        yield self.b

def c_gen_method(x):
    m = Model(x * 2.0, x[0])
    return sum(np.sum(p ** 2) for p in m.params()) + sum(np.sum(p) for p in tuple(m.params()))

def c_import_assert_print(x):
    import math
    from scipy.special import expit
    assert x.shape == (3,), "shape"
    logging.getLogger("x").debug("value %s", x)
    print("loss at", x[0])
    return np.sum(expit(x)) * math.pi

def helper_factory(kind):
    if kind == "tanh":
        return np.tanh
    return lambda v: np.maximum(v, 0.0)

def c_returned_fn(x, kind="tanh"):
    act = helper_factory(kind)
    acts = {"t": act, "r": helper_factory("relu")}
    return np.sum(acts["t"](x)) + np.sum(acts["r"](x))

def c_posonly_kwonly(x, /, w, *, scale=2.0, **extra):
    return np.sum(x * w) * scale + sum(extra.values())

def apply_all(fs, x):
    for f in fs:
        x = f(x)
    return x

def c_funcs_to_helper(x):
    return np.sum(apply_all([np.sin, make_scaled(x[0]), np.tanh], x))

def c_reduce_closure(x):
    g = make_scaled(x[0])
    return functools.reduce(lambda acc, v: acc + g(v), [x[1], x[2]], 0.0)


X3 = np.array([0.3, -0.4, 0.7])
W3 = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.2, 0.1, 0.3]])
COMBINED = [(c_randn, (X3,), 0), (c_gen_zip, (X3,), 0), (c_dict_layers, (W3, X3), 0), (c_dict_layers, (W3, X3), 1),
            (c_try_loop, (X3,), 0), (c_with_loop, (X3,), 0), (c_partial_factory, (X3,), 0),
            (c_kwargs_chain, (X3,), 0), (c_map_zip_star, (X3,), 0), (c_closures_list_literal, (X3,), 0),
            (c_gen_method, (X3,), 0), (c_import_assert_print, (X3,), 0), (c_posonly_kwonly, (X3, W3[0]), 1),
            (c_funcs_to_helper, (X3,), 0), (c_reduce_closure, (X3,), 0),
            (c_returned_fn, (X3,), 0), (c_returned_fn, (X3, "relu"), 0)]  # (a string argument chooses the function)


@pytest.mark.parametrize("f,args,wrt", COMBINED, ids=[f"{f.__name__}-{w}" for f, _, w in COMBINED])
def test_constructs_in_combination(f, args, wrt, capsys):
    check_modes(f, args, wrt, modes=("grad", "jvp", "hvp"))


def test_combinations_refused_at_their_line():
    with pytest.raises(ad.UnsupportedError, match="the nested function `scaled` is used here as a value"):
        ad.grad(c_closures_in_loop)(X3)  # (a closure kept in a list built by a loop: each has its own cell)
    with pytest.raises(ad.UnsupportedError, match=r"`alias\[k\] \+= \.\.\.` cannot be differentiated"):
        ad.grad(c_inplace_list)(X3)  # (the user's target in the message, not a temporary)
