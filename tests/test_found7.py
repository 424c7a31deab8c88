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


# -- explore seed 3030 #84 (grad, silently wrong on every earlier stop): `H -= v` on a transposed H (nobody
# else sees it) was written `H_1 = H - v`, a C-ordered array where the user's H stays transposed; so
# `Q = H.reshape(3, 2)` was a view in the derivative and a copy in the program, and `H[0] = 0.0` reached Q's
# adjoint: the gradient 1 short per entry. A rebound `x op= v` whose layout then decides a view (a reshape
# checked as a view, a reshape in order "K") is kept in place: the program's own layout decides, here a
# copy, refused where it runs.
def transposed_then_reshaped(y):
    H = np.vstack([y, y]).reshape(3, 2).T
    H -= [np.zeros(3), np.dot(H[:, 0], H)]
    Q = H.reshape(3, 2)
    H[0] = 0.0
    return np.sum(Q)


def test_a_transposed_array_changed_in_place_then_reshaped_is_never_silently_wrong():
    y = np.array([1.236, -1.182, 0.138])
    expected = numeric_grad(transposed_then_reshaped, (y,), 0)
    try:
        got = ad.grad(transposed_then_reshaped)(y)
    except ad.ADError as e:
        assert "copy, not a view" in str(e)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-8)


def contiguous_then_reshaped(y):
    H = np.outer(np.ones(2), y)
    H -= np.dot(H[:, 0], H)
    Q = H.reshape(3, 2)
    H[0] = 0.0
    return np.sum(Q * Q) + np.sum(np.sin(H))


def transposed_raveled_in_order_k(y):
    H = np.vstack([y, 2.0 * y]).T
    H -= np.array([[1.0, 0.5]]) * y[0]
    return np.sum(H.ravel(order="K") * np.arange(6.0))


def test_a_rebound_change_then_a_layout_read_gives_the_programs_values():
    y = np.array([1.236, -1.182, 0.138])
    for f in (contiguous_then_reshaped, transposed_raveled_in_order_k):
        np.testing.assert_allclose(ad.grad(f)(y), numeric_grad(f, (y,), 0), rtol=1e-7, err_msg=f.__name__)
