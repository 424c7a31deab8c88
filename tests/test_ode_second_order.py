"""Second and third derivatives through scipy.integrate.odeint and solve_ivp (issues 9 and 10): the rules of
the first-order helpers (_ad.odeint_vjp / odeint_jvp / ivp_vjp / ivp_jvp, rules/helpers.py), written with the
solvers and those helpers applied to the ODE's tangent system (runtime_ode_system.py). Every mode is checked
against central differences of the compiled gradient (or of the compiled tangent, or hvp), with the solvers'
tolerances at 1e-11 so that their error stays far below what the differences resolve: ad.hvp and ad.hessian
(forward over reverse), ad.jvp(ad.grad) and ad.grad of a function of the gradient (reverse over reverse, or
forward sweeps for numbers), ad.grad and ad.jvp of a tangent (reverse over forward, forward over forward),
and the tangent of an hvp (third order)."""
import numpy as np
import pytest

import ad_compiler as ad

integrate = pytest.importorskip("scipy.integrate")

T = np.linspace(0.0, 1.5, 4)
W = np.array([0.3, -0.7])
EPS = 1e-4  # (the gradient is smooth to the solver tolerance 1e-11: noise 1e-11 / EPS, truncation EPS ** 2)


def oscillator(y, t, k, c):
    return np.array([y[1], -k * y[0] - c * y[1] ** 3])


def decay(y, t, rates):
    return -rates * y + np.sin(t) * y[::-1]


def forced(t, y, k):
    return -k * y + np.cos(2.0 * t) * y[::-1]


def odeint_numbers(y0, k, c):
    ys = integrate.odeint(oscillator, y0, T, args=(k, c), rtol=1e-11, atol=1e-11)
    return np.sum(np.sin(ys) * W)


def odeint_array(y0, rates):
    ys = integrate.odeint(decay, y0, T, args=(rates,), rtol=1e-11, atol=1e-11)
    return np.sum(ys[1:] ** 2) + np.sum(np.cos(ys[-1]) * rates)


def odeint_tfirst(y0, k):
    ys = integrate.odeint(forced, y0, T, args=(k,), tfirst=True, rtol=1e-11, atol=1e-11)
    return np.sum(np.sin(ys) * W)


def pendulum(y, t):
    return np.array([y[1], -np.sin(y[0])])


def cubic(y, t, k):
    return -k * y ** 3 + np.sin(t)


def odeint_no_args(y0):
    ys = integrate.odeint(pendulum, y0, T, rtol=1e-11, atol=1e-11)
    return np.sum(np.cos(ys))


def odeint_scalar_state(y0, k):
    ys = integrate.odeint(cubic, y0, T, args=(k,), rtol=1e-11, atol=1e-11)
    return np.sum(ys ** 2)


def ivp_later_times(y0, k):
    sol = integrate.solve_ivp(forced, (0.0, 1.5), y0, t_eval=np.array([0.5, 1.0, 1.5]), args=(k,), rtol=1e-11,
                              atol=1e-11)
    return np.sum(np.sin(sol.y) * W[:, None])


def ivp_dop853(y0, k):
    sol = integrate.solve_ivp(forced, (0.0, 1.0), y0, method="DOP853", t_eval=np.array([0.0, 0.4, 1.0]),
                              args=(k,), rtol=1e-11, atol=1e-11)
    return np.sum(sol.y[1] ** 2) * k


Y0 = np.array([0.3, -0.2])
CASES = [  # (f, args, a direction)
    (odeint_numbers, (Y0, 1.2, 0.3), (np.array([1.0, 0.5]), 0.3, -0.2)),
    (odeint_array, (np.array([0.3, -0.2, 0.5]), np.array([0.7, 1.2, 1.9])),
     (np.array([1.0, 0.5, -0.3]), np.array([0.2, 0.1, -0.4]))),
    (odeint_tfirst, (Y0, 1.3), (np.array([-0.4, 0.9]), 0.5)),
    (odeint_no_args, (np.array([0.4, 0.1]),), (np.array([1.0, -2.0]),)),
    (odeint_scalar_state, (0.7, 1.3), (1.0, 0.5)),
    (ivp_later_times, (Y0, 1.1), (np.array([1.0, 0.5]), 0.3)),
    (ivp_dop853, (Y0, 0.7), (np.array([0.2, -1.0]), 0.6)),
]
IDS = [c[0].__name__ for c in CASES]
ODEINT_CASE, IVP_CASE = CASES[0], CASES[5]
V_NUMBERS, V_IVP = ODEINT_CASE[2], IVP_CASE[2]


def _moved(args, v, s):
    return [a + s * d for a, d in zip(args, v)]


def _differences(grad, args, v):
    """Central differences of the compiled gradient along v: H v."""
    up, down = grad(*_moved(args, v, EPS)), grad(*_moved(args, v, -EPS))
    return [(np.asarray(u, dtype=float) - np.asarray(d, dtype=float)) / (2 * EPS) for u, d in zip(up, down)]


def _close(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(np.asarray(g, dtype=float), e, rtol=1e-6, atol=1e-7)


def _wrt(args):
    return tuple(range(len(args)))


@pytest.mark.parametrize("f, args, v", CASES, ids=IDS)
def test_hvp(f, args, v):
    hv = ad.hvp(f, wrt=_wrt(args))(*args, v)
    _close(hv, _differences(ad.grad(f, wrt=_wrt(args)), args, v))
    source = ad.hvp(f, wrt=_wrt(args))._ad_derivative.last.source
    assert "_ad.tangent_system(" in source  # (forward over reverse: the adjoint method of the tangent system)


@pytest.mark.parametrize("f, args, v", [ODEINT_CASE, IVP_CASE], ids=[IDS[0], IDS[5]])
def test_hvp_runs_no_adjoint_sweep_for_a_shape(f, args, v):
    """The tangent of the tuple of adjoints is not shaped like the adjoints (rules.derivative(shaped_tangent)),
    so the first-order sweep, whose adjoints nothing else reads, is not run."""
    h = ad.hvp(f, wrt=_wrt(args))
    h(*args, v)
    code = [line for line in h._ad_derivative.last.source.splitlines() if not line.strip().startswith("#")]
    sweeps = [line for line in code if "_ad.odeint_vjp(" in line or "_ad.ivp_vjp(" in line]
    assert len(sweeps) == 1 and "system" in sweeps[0]  # (that of the tangent system only, not of f's)


@pytest.mark.parametrize("f, args, v", CASES, ids=IDS)
def test_jvp_of_grad(f, args, v):
    grad = ad.grad(f, wrt=_wrt(args))
    _, hv = ad.jvp(grad, wrt=_wrt(args))(*args, v)
    _close(hv, _differences(grad, args, v))


@pytest.mark.parametrize("f, args, v", CASES, ids=IDS)
def test_hessian(f, args, v):
    for p in _wrt(args):
        h = ad.hessian(f, wrt=p)(*args)
        grad = ad.grad(f, wrt=p)
        n, shape = int(np.size(args[p])), np.shape(args[p])
        columns = []
        for j in range(n):
            e = [np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0 for a in args]
            e[p] = np.reshape(np.eye(n)[j], shape) if shape else 1.0
            columns.append(np.ravel(_differences(lambda *a: (grad(*a),), args, e)[0]))
        expected = np.reshape(np.stack(columns, axis=-1), shape + shape)
        np.testing.assert_allclose(h, expected, rtol=1e-6, atol=1e-7)


GRAD_NUMBERS = ad.grad(odeint_numbers, wrt=(0, 1, 2))  # (functions the compiler knows when compiling)
GRAD_ARRAY = ad.grad(odeint_array, wrt=(0, 1))
GRAD_IVP = ad.grad(ivp_later_times, wrt=(0, 1))
JVP_NUMBERS = ad.jvp(odeint_numbers, wrt=(0, 1, 2))
JVP_IVP = ad.jvp(ivp_later_times, wrt=(0, 1))


def gradient_norm_numbers(y0, k, c):
    gy0, gk, gc = GRAD_NUMBERS(y0, k, c)
    return np.sum(gy0 ** 2) + gk * gc


def gradient_norm_array(y0, rates):
    gy0, grates = GRAD_ARRAY(y0, rates)
    return np.sum(gy0 * grates) + np.sum(grates ** 2)


def gradient_norm_ivp(y0, k):
    gy0, gk = GRAD_IVP(y0, k)
    return np.sum(np.sin(gy0)) * gk


@pytest.mark.parametrize("f, args", [(gradient_norm_numbers, ODEINT_CASE[1]), (gradient_norm_array, CASES[1][1]),
                                     (gradient_norm_ivp, IVP_CASE[1])], ids=["odeint", "odeint_arrays", "ivp"])
def test_grad_of_a_function_of_the_gradient(f, args):
    grad = ad.grad(f, wrt=_wrt(args))
    got = grad(*args)
    for p, g in enumerate(got):
        n, shape = int(np.size(args[p])), np.shape(args[p])
        fd = []
        for j in range(n):
            e = [np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0 for a in args]
            e[p] = np.reshape(np.eye(n)[j], shape) if shape else 1.0
            fd.append((f(*_moved(args, e, EPS)) - f(*_moved(args, e, -EPS))) / (2 * EPS))
        np.testing.assert_allclose(np.ravel(g), fd, rtol=1e-6, atol=1e-7)
    source = grad._ad_derivative.last.source
    assert "_ad.tangent_system(" in source  # (reverse over reverse: the array y0 is differentiated in reverse mode)


def tangent_numbers(y0, k, c):
    _, t = JVP_NUMBERS(y0, k, c, V_NUMBERS)
    return t


def tangent_ivp(y0, k):
    _, t = JVP_IVP(y0, k, V_IVP)
    return t


@pytest.mark.parametrize("f, case", [(tangent_numbers, ODEINT_CASE), (tangent_ivp, IVP_CASE)], ids=["odeint", "ivp"])
def test_grad_and_jvp_of_a_tangent(f, case):
    """grad of <grad f, v> is H v (reverse over forward: the rule of odeint_jvp / ivp_jvp); its tangent along
    e is <e, H v> (forward over forward)."""
    g, args, v = case
    expected = _differences(ad.grad(g, wrt=_wrt(args)), args, v)
    grad = ad.grad(f, wrt=_wrt(args))
    _close(grad(*args), expected)
    assert "_ad.tangent_system(" in grad._ad_derivative.last.source
    e = tuple(-d for d in v)
    _, t = ad.jvp(f, wrt=_wrt(args))(*args, e)
    assert abs(t - sum(np.sum(h * d) for h, d in zip(expected, e))) < 1e-6


@pytest.mark.parametrize("f, case", [(odeint_numbers, ODEINT_CASE), (ivp_later_times, IVP_CASE)], ids=["odeint", "ivp"])
def test_third_order(f, case):
    """The tangent of H v along e (the rules differentiated again: the tangent system's tangent system),
    against central differences of the compiled hvp."""
    _, args, _ = case
    v, e = np.array([1.0, 0.5]), np.array([-0.4, 0.9])
    hvp = ad.hvp(f, wrt=0)
    _, got = ad.jvp(hvp, wrt=0)(*args, v, e)
    up, down = hvp(args[0] + EPS * e, *args[1:], v), hvp(args[0] - EPS * e, *args[1:], v)
    np.testing.assert_allclose(got, (up - down) / (2 * EPS), rtol=1e-6, atol=1e-7)
