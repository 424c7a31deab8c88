"""Functions passed to library calls (issue 10): a nested function or lambda reading the enclosing function's
variables, given to an ODE solver (made a function of what it reads, passed through `args`), to
np.fromfunction (written as the call NumPy makes), to functools.reduce / map / sorted (inlined); the library
calls that would run it without a derivative (quad, brentq, np.vectorize) are refused at their line, never a
zero gradient. Against central differences."""
import functools
import warnings

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

integrate = pytest.importorskip("scipy.integrate")
optimize = pytest.importorskip("scipy.optimize")

T = np.linspace(0.0, 1.0, 4)


def odeint_closure(k):
    def rhs(y, t):
        return -k * y
    return np.sum(integrate.odeint(rhs, np.array([1.0]), T, rtol=1e-11, atol=1e-12))


def ivp_lambda(k):
    sol = integrate.solve_ivp(lambda t, y: -k * y, (0.0, 1.0), np.array([2.0]), t_eval=[0.5, 1.0], rtol=1e-11, atol=1e-12)
    return np.sum(sol.y)


def args_and_closure(k, y0, c):
    w = k * 2.0

    def rhs(y, t, a):
        return -w * y + a * np.sin(t) + c
    w = w + 0.5  # read when odeint calls rhs: this value
    return np.sum(integrate.odeint(rhs, y0, T, (k,), rtol=1e-11, atol=1e-12) ** 2)


def make_oscillator(k):
    def rhs(t, y):
        return np.array([y[1], -k * y[0]])
    return rhs


def ivp_from_a_factory(k, y0):
    sol = integrate.solve_ivp(make_oscillator(k), (0.0, 1.0), y0, t_eval=T, rtol=1e-11, atol=1e-12)
    return np.sum(sol.y[0])


def solve_in_a_helper(rhs, y0):
    return integrate.odeint(rhs, y0, T, rtol=1e-11, atol=1e-12)


def closure_through_a_helper_in_a_loop(k, y0):
    total = 0.0
    for scale in (1.0, 2.0):
        def rhs(y, t):
            return -k * scale * y
        total = total + np.sum(solve_in_a_helper(rhs, y0)[-1])
    return total


CASES = [(odeint_closure, (0.8,)), (ivp_lambda, (0.8,)), (args_and_closure, (0.8, np.array([1.0, 0.3]), 0.2)),
         (ivp_from_a_factory, (0.8, np.array([1.0, 0.3]))), (closure_through_a_helper_in_a_loop, (0.8, np.array([1.0, 0.3])))]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_closure_right_hand_side_of_a_solver(f, args):
    for i in range(len(args)):
        expected = numeric_grad(f, list(args), i)
        np.testing.assert_allclose(ad.grad(f, wrt=i)(*args), expected, rtol=1e-5, atol=1e-6)
        t = np.full(np.shape(args[i]), 0.7) if np.ndim(args[i]) else 0.7
        value, tangent = ad.jvp(f, wrt=i)(*args, t)
        assert value == pytest.approx(f(*args), rel=1e-6)
        assert tangent == pytest.approx(np.sum(expected * t), rel=1e-5, abs=1e-6)


def test_the_generated_solver_call_passes_what_the_closure_reads():
    source = ad.grad(args_and_closure).source
    assert "odeint(_ad_rhs, y0, T, " in source  # (rhs, made a function of k's copy a, c and w)
    assert "c, w_1)" in source  # (the value w has when odeint is called)


def counting_closure(k):
    calls = 0

    def rhs(y, t):
        nonlocal calls
        calls += 1
        return -k * y
    return np.sum(integrate.odeint(rhs, np.array([1.0]), T))


def quad_lambda(k):
    val, err = integrate.quad(lambda t: np.exp(-k * t), 0.0, 1.0)
    return val


def root_lambda(k):
    return optimize.brentq(lambda z: z ** 3 - k, 0.0, 3.0)


def vectorize_closure(k):
    f = np.vectorize(lambda t: t * k)
    return float(np.sum(f(np.array([1.0, 2.0]))))


@pytest.mark.parametrize("f", [counting_closure, quad_lambda, root_lambda, vectorize_closure])
def test_closures_a_library_would_run_without_derivative_are_refused(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ad.UnsupportedError, match="is used here as a value, not called, and it reads `k`") as info:
            ad.grad(f)(0.8)
    assert f.__name__ in str(info.value)  # (located in the function)


def test_second_order_through_a_solver():
    """The right-hand side made a function of k (through args) is differentiated twice like any other
    (tests/test_ode_second_order.py); against differences of the compiled gradient."""
    grad, eps = ad.grad(odeint_closure), 1e-4
    expected = (grad(0.8 + eps) - grad(0.8 - eps)) / (2 * eps)
    assert abs(ad.hvp(odeint_closure)(0.8, 1.0) - expected) < 1e-7
    assert abs(ad.hessian(odeint_closure)(0.8) - expected) < 1e-7


# -- np.fromfunction: f(*np.indices(shape)) ---------------------------------------------------------------------
def fromfunction_closure(k):
    return float(np.sum(np.fromfunction(lambda i: i * k, (3,))))


def fromfunction_grid(x, w):
    def f(i, j, scale=1.0):
        return np.sin(i * x[0] + j * w) * scale
    return np.sum(np.fromfunction(f, (3, 4), scale=2.0) ** 2)


def fromfunction_in_a_loop(x):
    n = x.shape[0]
    total = 0.0
    for p in range(1, 3):
        total = total + np.sum(np.fromfunction(lambda i: np.cos(i * p) * x, (n,), dtype=int))
    return total


@pytest.mark.parametrize("f,args", [(fromfunction_closure, (0.8,)), (fromfunction_grid, (np.array([0.3, 0.1]), 0.7)),
                                    (fromfunction_in_a_loop, (np.array([0.3, 0.1, -0.5]),))])
def test_fromfunction(f, args):
    for i in range(len(args)):
        np.testing.assert_allclose(ad.grad(f, wrt=i)(*args), numeric_grad(f, list(args), i), rtol=1e-5, atol=1e-6)


# -- reduce, map, sorted with closures: inlined ---------------------------------------------------------------
def reduce_lambda(k):
    return functools.reduce(lambda a, b: a + b * k, [1.0, 2.0, 3.0], 0.0)


def map_lambda(x):
    return sum(map(lambda v: v * x[0], [1.0, 2.0])) + x[1]


def sorted_key_lambda(x):
    xs = [x[0], x[1] * 2.0]
    return sorted(xs, key=lambda v: -v)[0] * 1.0


@pytest.mark.parametrize("f,x", [(reduce_lambda, 0.8), (map_lambda, np.array([0.7, 1.3])),
                                 (sorted_key_lambda, np.array([0.7, 1.3]))])
def test_closures_given_to_reduce_map_and_sorted(f, x):
    np.testing.assert_allclose(ad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-8)
    value, _ = ad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x))
