"""Found by hunt28a (stop 28: issue 11's optimisations of the generated code: loop batching, buffers written in
place, masked adjoints, float fast paths, the tape's typed first values, lead26's ownership of list adjoints):
each program gives the derivatives central differences give, or a located refusal."""
import random

import numpy as np
import pytest

import ad_compiler as ad

X = np.array([0.3, -0.2, 0.5])


# -- h28a-001: abs of a bool argument (True, np.True_, a 0-d bool array) crashed every mode with NumPy's
# "ufunc 'sign' did not contain a loop" (the real form's masked multiply `_ad.abs_vjp` took np.sign of the bool);
# its gradient is None, its tangent 0, as for any bool --

def abs_of_flag(a, x):
    return abs(a) * np.sum(x) + np.abs(a) * x[0]


@pytest.mark.parametrize("a", [True, np.bool_(True), np.array(False)])
def test_abs_of_a_bool_argument(a):
    assert ad.grad(abs_of_flag)(a, X) is None
    value, tangent = ad.jvp(abs_of_flag)(a, X, 1.0)
    assert value == pytest.approx(abs_of_flag(a, X)) and tangent == 0.0
    assert ad.hvp(abs_of_flag)(a, X, 1.0) is None
    assert np.allclose(ad.grad(abs_of_flag, wrt=1)(a, X), [float(a) * 2.0, float(a), float(a)])


# -- h28a-002: loop batching computed `xs @ W` (and `xs * b`) for all rows before a loop over the rows that may
# run no step: for an empty sequence whose rows do not match W (`xs` of shape (0, 3), W (4, 2)) the function
# returns a value and every mode raised NumPy's ValueError. A batched operation is now made only where the
# dimension pattern proves its operands match (hoist_dims.py) --

def rows_times_weights(W, xs, b):
    h = b * 1.0
    for t in range(len(xs)):
        h = np.tanh(xs[t] @ W + h)
    return np.sum(h ** 2)


def rows_times_vector(W, xs, b):
    h = b * 1.0
    for t in range(len(xs)):
        h = np.tanh(xs[t] * b + h)
    return np.sum(h ** 2) + np.sum(W)


@pytest.mark.parametrize("f", [rows_times_weights, rows_times_vector])
def test_batching_a_loop_that_runs_no_step_over_rows_that_do_not_match(f):
    W, b, xs = np.full((4, 2), 0.5), np.array([0.3, -0.1]), np.zeros((0, 3))
    value = f(W, xs, b)
    gW, gb = ad.grad(f, wrt=(0, 2))(W, xs, b)
    assert np.allclose(gW, np.ones_like(W) if f is rows_times_vector else 0.0) and np.allclose(gb, 2.0 * b)
    assert ad.jvp(f, wrt=2)(W, xs, b, np.ones(2)) == pytest.approx((value, 2.0 * np.sum(b)))
    assert np.allclose(ad.hvp(f, wrt=2)(W, xs, b, np.ones(2)), 2.0)
    g = ad.grad(f, wrt=2)
    g(np.full((2, 2), 0.5), np.ones((5, 2)), b)  # (rows that match: batched)
    assert "_all = " in g.source


# -- h28a-003: a loop-invariant statement that NumPy refuses for its operand's dtype (np.negative or `-` of bools,
# np.sign of bools) was taken for one that cannot raise, and moved out of a branch (or a loop) that never runs
# it: the derivative raised TypeError where f returns a value (jvp, value_and_grad) --

def negated_mask_never_read(x):
    m = x > 0
    flag = x[0] > 0.0
    s = 0.0
    for i in range(3):
        if x[i] > 100.0:
            s = s + np.sum(np.negative(m)) + np.sign(flag) - flag
        s = s + x[i] ** 2
    return s


def test_an_operation_numpy_refuses_stays_in_the_branch_that_never_runs():
    x = np.array([0.3, -0.2, 0.5])
    value, tangent = ad.jvp(negated_mask_never_read)(x, np.ones(3))
    assert value == pytest.approx(negated_mask_never_read(x)) and tangent == pytest.approx(2.0 * np.sum(x))
    value, g = ad.value_and_grad(negated_mask_never_read)(x)
    assert np.allclose(g, 2.0 * x)


# -- h28a-004: a statement whose value the function never uses was removed by the clean-up also where it raises:
# `y = L[5]` of a list of two items, `1.0 / z` of a float zero, `x.reshape(4, 4)` of six numbers: f raises, but
# grad returned a gradient and value_and_grad / jvp a value (and hvp, vjp of grad: the gradient's code). Such
# statements are kept now (dead_raises.py) --

def unused_item_of_short_list(x):
    L = [1.0, 2.0]
    y = L[5]
    return float(np.sum(x ** 2))


def unused_quotient_by_zero(x):
    z = x[0] - x[0]
    y = 1.0 / float(z)
    return float(np.sum(x ** 2))


def unused_reshape_in_loop(x):
    s = 0.0
    for i in range(2):
        y = x.reshape(4, 4)
        s = s + x[i] ** 2
    return s


@pytest.mark.parametrize("f, error", [(unused_item_of_short_list, IndexError), (unused_quotient_by_zero, ZeroDivisionError),
                                      (unused_reshape_in_loop, ValueError)])
def test_a_statement_that_raises_is_run_even_if_its_value_is_unused(f, error):
    x = np.array([0.3, -0.2, 0.5])
    with pytest.raises(error):
        f(x)
    for call in (lambda: ad.grad(f)(x), lambda: ad.value_and_grad(f)(x), lambda: ad.jvp(f)(x, np.ones(3)),
                 lambda: ad.hvp(f)(x, np.ones(3))):
        with pytest.raises(error):
            call()


# -- h28a-005 (open): a statement whose value f uses (the output reads it) but the adjoint does not need, and
# which raises: `return np.sum(x ** 2) + L[5]`, `+ math.log(-1.0)`, `+ 1.0 / z` with z = 0.0, `+ np.linalg.inv(0)`:
# f raises, grad and hvp return (value_and_grad and jvp, which compute the value, raise). dead_raises.py keeps
# only what f itself never uses; keeping every operation that may raise would make grad compute values it does
# not need (the loss itself) --

def constant_term_that_raises(x):
    L = [1.0, 2.0]
    return float(np.sum(x ** 2)) + L[5]


@pytest.mark.xfail(strict=True, reason="h28a-005: grad drops a constant term the adjoint does not need, which raises")
def test_a_constant_term_that_raises_makes_grad_raise():
    with pytest.raises(IndexError):
        ad.grad(constant_term_that_raises)(np.array([0.3, -0.2, 0.5]))


# -- h28a-006: a random draw whose value nothing uses (`d = random.random()`, `np.random.normal()`) was removed by
# the clean-up: the generator was left where f does not leave it, so the draws after it gave the derivative
# another realisation than f's: WRONG gradient and value in every mode. Draws are kept now (dead_raises.py) --

def unused_python_draw(x):
    d = random.random()
    e = random.random()
    return np.sum(x ** 2) * e


def unused_numpy_draw(x):
    d = np.random.normal()
    eps = np.random.normal(size=3)
    return np.sum((x + eps) ** 2)


@pytest.mark.parametrize("f", [unused_python_draw, unused_numpy_draw])
def test_an_unused_random_draw_still_moves_the_generator(f):
    x = np.array([0.3, -0.2, 0.5])

    def seeded(call):
        random.seed(3)
        np.random.seed(3)
        return call()
    expected = np.array([(seeded(lambda: f(x + 1e-6 * e)) - seeded(lambda: f(x - 1e-6 * e))) / 2e-6 for e in np.eye(3)])
    np.testing.assert_allclose(seeded(lambda: ad.grad(f)(x)), expected, rtol=1e-5)
    value, g = seeded(lambda: ad.value_and_grad(f)(x))
    assert value == pytest.approx(seeded(lambda: f(x))) and np.allclose(g, expected, rtol=1e-5)
    assert seeded(lambda: ad.jvp(f)(x, np.ones(3)))[1] == pytest.approx(expected.sum(), rel=1e-5)


def noise_term_then_draw(x):
    n1 = np.random.normal()
    eps = np.random.normal(size=3)
    return np.sum((x + eps) ** 2) + n1


def test_a_draw_only_the_output_reads_still_moves_the_generator():
    x = np.array([0.3, -0.2, 0.5])
    np.random.seed(3)
    np.random.normal()
    expected = 2.0 * (x + np.random.normal(size=3))
    np.random.seed(3)
    np.testing.assert_allclose(ad.grad(noise_term_then_draw)(x), expected, rtol=1e-12)
