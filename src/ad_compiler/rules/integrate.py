"""Derivative rules for scipy.integrate.odeint and solve_ivp (loaded only when SciPy imports).

Gradients with respect to the initial state y0 and the parameters passed through `args` (numbers or arrays);
the output times are constants. The right-hand side is differentiated when the derivative runs (ad.vjp /
ad.jvp of the function passed), so it must be a function ad_compiler can compile (a def in a file) whose
derivative flows only through its arguments: a right-hand side that reads numbers or arrays from a closure
is refused when the derivative runs (pass them through `args`). A nested function of the differentiated code
that reads its variables is made a function of them, passed through `args`, by the inliner
(inline_callbacks.py). Reverse mode is the adjoint method (see runtime_ode.py), with
the solver and tolerances of the call; forward mode integrates the tangent with the state. Second
derivatives (hvp, hessian, grad of grad, ...) and higher go through the rules of those helpers
(rules/helpers.py): the same solvers and helpers applied to the ODE's tangent system (runtime_ode_system.py).
"""
import scipy.integrate as integrate

from .. import runtime as _ad
from . import FUNCTIONS, ans, defvjp_attribute, derivative, g, real_only


@derivative(integrate.odeint)
def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None, rtol=None, atol=None,
           tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0, mxhnil=0, mxordn=12, mxords=5, printmessg=0,
           tfirst=False):
    adjoints = _ad.odeint_vjp(g, ans, func, y0, t, args, rtol, atol, tfirst)
    by0 = adjoints[0]
    bargs = adjoints[1]
    dans = _ad.odeint_jvp(func, y0, dy0, t, args, dargs, rtol, atol, tfirst)


@derivative(integrate.solve_ivp)
def solve_ivp(fun, t_span, y0, method="RK45", t_eval=None, dense_output=False, events=None, vectorized=False,
              args=None, **options):
    """Through the result's `y` (at sol.t: t_eval, or the solver's steps)."""
    adjoints = _ad.ivp_vjp(g, ans, fun, t_span, y0, args, method, _ad.option(options, "rtol", 1e-3),
                           _ad.option(options, "atol", 1e-6))
    by0 = adjoints[0]
    bargs = adjoints[1]
    dans = _ad.ivp_jvp(ans, fun, t_span, y0, dy0, args, dargs, method, _ad.option(options, "rtol", 1e-3),
                       _ad.option(options, "atol", 1e-6))


@defvjp_attribute("y")
def y(self):
    """solve_ivp's result: its adjoint is a dict by field name."""
    bself = _ad.ivp_result_adjoint(g, self)


y.owner = "scipy.integrate.OdeResult"  # (the catalog's name for this attribute)

# Probability distributions and ODE solutions are differentiated for real operands only.
real_only("it is differentiated for real operands only",
          *[f for f, rule in FUNCTIONS.items() if rule.template.__module__ == __name__], attributes=("y",))
