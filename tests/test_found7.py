"""Findings of the seventh round (stop 19): silently wrong derivatives through adjoints of containers whose
kind the compiler guessed as "an array or a scalar"; each test fails on the code before its fix."""
import numpy as np

import ad_compiler as ad
from fd import numeric_grad


# -- a function with the user's own rule returning a list of lists, one item read twice: the adjoint of the
# second read was `bp[0] += bq` (the kind of a call with a rule defaulted to "an array or a scalar"), which
# concatenated the two list adjoints: the gradient was [0, 0, 1] instead of [3, 5, 1].
def pairs_of(x):
    return [[x[0], x[1]], [2.0 * x[1], x[2]]]


@ad.defvjp(pairs_of)
def _pairs_of_vjp(x):
    bx = np.array([g[0][0], g[0][1] + 2.0 * g[1][0], g[1][1]])


def reads_a_pair_twice(x):
    p = pairs_of(x)
    q = p[0]
    r = p[0]
    return q[0] * 3.0 + r[1] * 5.0 + p[1][1] * np.sin(x[0])


def test_a_list_of_lists_from_a_custom_rule_read_twice():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ad.grad(reads_a_pair_twice)(x), numeric_grad(reads_a_pair_twice, (x,), 0),
                               rtol=1e-8)


def reads_a_pair_in_a_loop(x):
    p = pairs_of(x)
    total = 0.0
    for k in range(3):
        row = p[k % 2]
        total = total + row[0] * row[1] * (k + 1.0)
    return total


def test_a_list_of_lists_from_a_custom_rule_read_in_a_loop():
    x = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(ad.grad(reads_a_pair_in_a_loop)(x), numeric_grad(reads_a_pair_in_a_loop, (x,), 0),
                               rtol=1e-8)


# -- explore --mode all seed 2929 #153 (jvp): the tangent of `el` was named `del`, a keyword: the generated
# code did not compile (SyntaxError). Names made from the user's (`d` + name, `b` + name) skip keywords.
def tangent_named_like_a_keyword(x):
    out = np.zeros(3)
    out[0] = out[0] + x[0]
    el = out[0]
    ef = x[1] * el
    reak = np.sin(x[2])
    return np.sum(out + el) + ef * reak


def test_names_made_from_the_users_are_never_keywords():
    x = np.array([0.746, -0.595, 1.383])
    v = np.array([0.3, -0.2, 0.5])
    expected = numeric_grad(tangent_named_like_a_keyword, (x,), 0)
    value, tangent = ad.jvp(tangent_named_like_a_keyword)(x, v)
    np.testing.assert_allclose(tangent, expected @ v, rtol=1e-8)
    np.testing.assert_allclose(ad.grad(tangent_named_like_a_keyword)(x), expected, rtol=1e-8)
    np.testing.assert_allclose(ad.hvp(tangent_named_like_a_keyword)(x, v),
                               (ad.grad(tangent_named_like_a_keyword)(x + 1e-6 * v) -
                                ad.grad(tangent_named_like_a_keyword)(x - 1e-6 * v)) / 2e-6, rtol=1e-5, atol=1e-8)
