"""Found by hunt28c (stop 28: counterexamples in what this stop merged: checkpointed callees' result facts,
unpacking's length checks, kept random draws and raising statements, rules' side effects, join_items,
loop_copies): each program gives the derivatives central differences give, or a located refusal."""
import random

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import recompute
from fd import numeric_grad

X = np.array([0.3, -0.7, 0.5, 0.2])


# -- h28c-001: an unused draw of a generator whose kind the compiler does not know (an item of a list argument),
# by a method missing from recompute.DRAW_METHODS (random.Random's expovariate / getrandbits / sample / choices /
# randrange / betavariate, a bit generator's random_raw / advance, Generator.zipf ...), was removed as dead code:
# the later draws were another realisation, WRONG value and gradient in grad, value_and_grad and jvp --

def python_random_unused(x, prs):
    z = prs[0].expovariate(1.0)
    return np.sum(x) * prs[0].random()


def bit_generator_unused(x, rngs):
    z = rngs[0].bit_generator.random_raw()
    return np.sum(x * rngs[0].normal(size=4))


@pytest.mark.parametrize("f, make", [(python_random_unused, lambda: [random.Random(5)]),
                                     (bit_generator_unused, lambda: [np.random.default_rng(5)])])
def test_unused_draw_of_a_generator_of_unknown_kind(f, make):
    expected = numeric_grad(lambda x: f(x, make()), [X.copy()], 0)
    value, g = ad.value_and_grad(f)(X.copy(), make())
    assert value == pytest.approx(f(X.copy(), make()))
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    v = np.array([0.1, 0.4, -0.3, 0.7])
    _, t = ad.jvp(f)(X.copy(), make(), v)
    assert t == pytest.approx(float(np.dot(expected, v)))


NOT_DRAWS = {"VERSION", "get_state", "getstate", "capsule", "cffi", "ctypes", "jumped", "lock", "seed_seq", "state"}


def test_every_method_of_a_generator_that_draws_is_known():
    for cls in (np.random.Generator, np.random.RandomState, random.Random, np.random.PCG64, np.random.MT19937):
        missing = {n for n in dir(cls) if not n.startswith("_")} - recompute.DRAW_METHODS - NOT_DRAWS
        assert not missing, f"{cls.__name__}: {sorted(missing)}"


# -- h28c-002: an unused item of a global or a constant that is missing (`D["b"]` of a global dict without that
# key, `"abc"[k]` past its end) was removed with its kind not known (dead_raises kept only numbers and arrays):
# grad, value_and_grad, jvp and hvp returned where f raises KeyError / IndexError. Present items still go --

TABLE = {"a": 1.0, "name": "abc"}


def missing_key(x):
    y = TABLE["b"]
    return np.sum(x * x)


def char_past_end(x):
    y = "abc"[int(abs(x[1]) * 10)]
    return np.sum(x * x)


def present_key(x):
    y = TABLE["name"]
    return np.sum(x * x)


@pytest.mark.parametrize("f, error", [(missing_key, KeyError), (char_past_end, IndexError)])
def test_unused_missing_item_of_a_constant_raises(f, error):
    for run in (lambda: ad.grad(f)(X.copy()), lambda: ad.value_and_grad(f)(X.copy()),
                lambda: ad.jvp(f)(X.copy(), X.copy()), lambda: ad.hvp(f)(X.copy(), X.copy())):
        with pytest.raises(error):
            run()


def test_unused_present_item_of_a_constant_is_removed():
    g = ad.grad(present_key)
    np.testing.assert_allclose(g(X.copy()), 2.0 * X)
    assert "TABLE" not in g.source
