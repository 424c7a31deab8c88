"""Call shapes of scipy.integrate.odeint / solve_ivp (rules/integrate.py; only with SciPy). The right-hand
sides are defined here (the generated test programs import them); tight tolerances keep the solvers' error
far below what central differences resolve."""
import numpy as np
import scipy.integrate  # noqa: F401  (skipped by collect() without SciPy)

from . import C, F, uniform


def oscillator(y, t, k, c):
    """A damped nonlinear oscillator, y'' = -k y - c y'^3."""
    return np.array([y[1], -k * y[0] - c * y[1] ** 3])


def decay(y, t, rates):
    """Linear decay with a rate per component and a forcing in time."""
    return -rates * y + np.sin(t)


def forced(t, y, k):
    """solve_ivp's argument order (t first)."""
    return -k * y + np.cos(2.0 * t) * y[::-1]


TOL = "rtol=1e-11, atol=1e-11"
TIMES = "np.linspace(0.0, 1.5, 4)"

CASES = {
    "scipy.integrate.odeint": [
        C(f"integrate.odeint(oscillator, a, {TIMES}, args=(b, c), {TOL})", (2,), F, F,
          dom=(uniform(-1.0, 1.0), uniform(0.5, 2.0), uniform(0.1, 0.5)), label="odeint(oscillator, a, t, args=(b, c))"),
        C(f"integrate.odeint(decay, a, {TIMES}, args=(b,), {TOL})[1:]", (3,), (3,),
          dom=(uniform(-1.0, 1.0), uniform(0.5, 2.0)), label="odeint(decay, a, t, args=(b,))[1:]"),
        C(f"integrate.odeint(forced, a, {TIMES}, args=(1.3,), tfirst=True, {TOL})", (2,),
          dom=uniform(-1.0, 1.0), label="odeint(forced, a, t, args=(1.3,), tfirst=True)")],
    "scipy.integrate.solve_ivp": [
        C(f"integrate.solve_ivp(forced, (0.0, 1.5), a, t_eval=np.array([0.5, 1.0, 1.5]), args=(b,), {TOL}).y", (2,), F,
          dom=(uniform(-1.0, 1.0), uniform(0.5, 2.0)), label="solve_ivp(forced, (0, 1.5), a, t_eval, args=(b,)).y"),
        C(f"integrate.solve_ivp(forced, (0.0, 1.0), a, method='DOP853', t_eval=np.array([0.0, 1.0]), args=(0.7,), {TOL}).y",
          (2,), dom=uniform(-1.0, 1.0), label="solve_ivp(forced, (0, 1), a, 'DOP853', t_eval from 0).y")],
}
CASES["scipy.integrate.OdeResult.y"] = [
    C(f"integrate.solve_ivp(forced, (0.0, 1.2), a, t_eval=np.array([0.4, 1.2]), args=(0.9,), {TOL}).y[1]", (2,),
      dom=uniform(-1.0, 1.0), label="solve_ivp(forced, (0, 1.2), a, t_eval).y[1]")]
DOMAINS = {}
MISSING = {}
