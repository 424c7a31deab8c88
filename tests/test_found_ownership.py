"""The adjoint sweep writes into an adjoint's buffer in place (`b += e`, `_ad.max_vjp(b, ..., out=b)`) only
when it is ours and held by no other name (adjoints.Adjoints.owned / .exclusive). Those facts were not joined
over control flow (found by reading reverse_control.py): silently wrong gradients in plain programs.
1. After an `if`, an adjoint one branch made a new buffer (`bx + e`) counted as held by no other name though
   the other branch left it as a second name of another adjoint (`bx = bz; by = bz` of `z = x + y`).
2. A loop's body was written for the adjoints' state before the loop, but an iteration may leave a carried
   adjoint held by two names (`bh = bz; bh2 = bz` of `z = h + h2`) for the next one.
3. After a loop that ran no iteration, the state its body left was taken for the state before it.
Each expected value is from central differences of the program."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
from test_control_flow import fill_reading_earlier_entries


def branch_join(w, v, c):
    y = np.sin(v)
    x = np.maximum(w, 0.0)
    if c > 0:
        u = x * 2.0
    else:
        u = w * 1.0
    z = x + y
    return np.sum(z * u)


def carried_pair(w):
    h = w * 1.0
    h2 = w * 2.0
    for i in range(3):
        z = h + h2
        h2 = np.sin(z)
        h = np.maximum(z, 0.1)
    return np.sum(h * 3.0) + np.sum(h2 ** 2)


def zero_trip(w, n):
    q = np.sin(w)
    h = np.maximum(w, 0.1)
    for i in range(n):
        h = h * 1.5
    z = h + q
    return np.sum(z * w)


def abs_in_branch_then_loop(w, n):
    q = np.cos(w)
    h = np.abs(w)
    k = 0
    while k < n:
        h = h * 0.5 + 0.1
        k += 1
    if n > 1:
        h = h * w
    z = h + q
    return np.sum(z * w)


W = np.array([0.3, -0.5, 0.8, 1.2])
V = np.array([0.1, 0.2, 0.3, 0.4])

CASES = [(branch_join, (W, V, 1.0), 0), (branch_join, (W, V, -1.0), 0), (branch_join, (W, V, -1.0), (0, 1)),
         (carried_pair, (W,), 0), (zero_trip, (W, 0), 0), (zero_trip, (W, 2), 0),
         (abs_in_branch_then_loop, (W, 0), 0), (abs_in_branch_then_loop, (W, 1), 0),
         (abs_in_branch_then_loop, (W, 3), 0)]


SECOND = [c for c in CASES if not isinstance(c[2], tuple)]


@pytest.mark.parametrize("f, args, wrt", SECOND, ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(SECOND)])
def test_hvp_against_differences_of_the_gradient(f, args, wrt):
    """Second order: the Hessian-vector product against central differences of the (fixed) gradient."""
    t = np.array([0.3, 0.1, -0.2, 0.5])
    g = ad.grad(f, wrt=wrt)

    def along(s):
        moved = list(args)
        moved[wrt] = args[wrt] + s * t
        return g(*moved)
    eps = 1e-5
    expected = (along(eps) - along(-eps)) / (2 * eps)
    got = ad.hvp(f, wrt=wrt)(*args, t)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_carried_array_stored_into_is_copied_once_not_every_iteration():
    """An array filled in a loop: its adjoint is made ours before the loop (one copy), not by every iteration's
    store (a copy of the whole array per iteration: quadratic time), and stays right."""
    x = np.linspace(0.1, 0.9, 7)
    g = ad.grad(fill_reading_earlier_entries)
    np.testing.assert_allclose(g(x), numeric_grad(fill_reading_earlier_entries, [x], 0), rtol=1e-6, atol=1e-8)
    loop = g.source.split("for i in reversed(", 1)[1]
    assert "owned_copy" not in loop.split("return", 1)[0], g.source


# Found by the "flow" constructs of the random-program generator (tests/progen_flow.py) on the code before the
# fix (explore --flow 0.4 seed 7101, --flow 0.5 --state 0 seed 7102), shrunk: recurrences through np.minimum
def carried_through_minimum(x):
    out = x.copy()
    vec = np.cos(out)
    for i in range(2):
        vec = x + vec
        x = np.minimum(vec, 0.0)
    return np.sum(vec)


def carried_alias_of_the_argument(x):
    u = x
    for i in range(2):
        g = u + x
        x = g
        u = np.minimum(g, 0.35)
    return np.sum(x)


def branch_on_an_alias(x, y):
    c = y
    h = np.minimum(y, 0.35)
    if 1.0 < x[1]:
        y = h
    out = c + h
    return np.sum(out * y)


def recurrence(x):
    g = x.copy()
    v2 = np.cos(x)
    for i in range(2):
        v2 = g + v2
        g = np.minimum(v2, 0.2)
    return np.sum(v2)


def copy_then_branch(W):
    H = W.copy()
    A2 = H
    A1 = np.minimum(H, 0.35)
    if np.sum(H) > 0.0:
        H = A1
    A4 = A1 + A2
    return np.sum(A4 * H)


def loop_on_an_alias(W):
    P = W
    for i in range(2):
        Q = P + W
        P = np.minimum(Q, 0.1)
        W = Q
    return np.sum(W)


FOUND = [(carried_through_minimum, (np.array([-0.453, -0.673, -0.871]),), 0),
         (carried_alias_of_the_argument, (np.array([1.052, -0.585, -1.236]),), 0),
         (branch_on_an_alias, (np.array([0.428, 0.242, -1.327, -0.639]), np.array([1.521, 1.145, 0.643])), 1),
         (recurrence, (np.array([-1.389, -0.374, -0.533]),), 0),
         (copy_then_branch, (np.array([[-1.157, -0.156, -0.962], [0.524, -0.595, 1.094]]),), 0),
         (loop_on_an_alias, (np.array([[-0.903, 0.442, -0.357], [1.351, -0.645, 0.403]]),), 0)]


@pytest.mark.parametrize("f, args, wrt", CASES + FOUND,
                         ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(CASES + FOUND)])
def test_gradient(f, args, wrt):
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = ad.grad(f, wrt=wrt)(*copies)
    for i, g in zip(wrt, got) if isinstance(wrt, tuple) else [(wrt, got)]:
        np.testing.assert_allclose(g, numeric_grad(f, list(args), i), rtol=1e-6, atol=1e-8)
