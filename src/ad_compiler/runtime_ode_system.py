"""The tangent system of an ODE, for the derivatives of the first-order helpers of odeint and solve_ivp
(re-exported by runtime.py as `_ad.<name>`; the rules are in rules/helpers.py).

The first-order helpers (runtime_ode.py) compute, for the solution at the output times Y = Phi(y0, p)
(p: the solver's `args`), the tangent DPhi u (`odeint_jvp`: the tangent system integrated with the state)
and the adjoint DPhi^T g (`odeint_vjp`: the adjoint method). Both are functions of the *tangent system*
(y, u)' = (f(y, t, p), (df/dy) u + (df/dp) q) with the initial state (y0, u0) and the parameters (p, q):
`odeint_jvp` is the u half of its solution, and `odeint_vjp`'s derivatives are adjoints of it:

- the tangent of DPhi^T g along (dg, u = (dy0, dp)) is the (y0, p) half of the adjoint of the tangent
  system's solution from (y0, dy0), (p, dp) with the output adjoints dg on y and g on u
  (DPhi^T dg + grad_(y0, p) <g, DPhi u>);
- the adjoints in DPhi^T g given the adjoint c of its result: that of g is DPhi c (the u half of the tangent
  system's solution from (y0, c_y0), (p, c_p)), those of (y0, p) the (y0, p) half of the adjoint of that
  solution with the output adjoints 0 on y and g on u;
- the adjoints in DPhi u given the adjoint c of its result: the adjoint of the tangent system's solution from
  (y0, u0), (p, q) with the output adjoints 0 on y and c on u (all four halves), and its tangent the u half of
  the tangent system's own tangent.

So the rules are written with the solvers themselves and their first-order helpers, applied to the tangent
system: a function made here (`tangent_system`), which calls the compiled jvp of the right-hand side and is
compiled by ad_compiler like any right-hand side. A derivative of those rules is the same construction one
level up (the tangent system of the tangent system): every order works, each doubling the state.
"""
import weakref

import numpy as np

from .runtime_ode import _check_rhs

__all__ = ["tangent_system", "args_tuple", "ivp_times", "ivp_half", "ivp_unhalf"]

_systems = weakref.WeakKeyDictionary()  # right-hand side -> {(number of args, tfirst): its tangent system}


def tangent_system(func, args, tfirst=False):
    """The tangent system of the right-hand side `func` taking the parameters `args`: a function of the
    state (y, u) (one flat vector), the time and the parameters followed by their tangents, in the argument
    order of `func` (`tfirst`), made once per function and number of parameters. Its source is generated and
    registered, so that ad_compiler reads and compiles it as any right-hand side."""
    import ad_compiler as ad

    from .codegen import register_source

    _check_rhs(func)
    m = len(args) if args is not None else 0
    try:
        made = _systems.setdefault(func, {})
    except TypeError:  # (a callable that takes no weak reference: made again at each call)
        made = {}
    if (m, tfirst) in made:
        return made[(m, tfirst)]
    wrt = (1 if tfirst else 0,) + tuple(range(2, 2 + m))
    params, tangents = [f"p{i}" for i in range(m)], [f"q{i}" for i in range(m)]
    state, call = ("t, yu", "t, y") if tfirst else ("yu, t", "y, t")
    direction = f"(u, {', '.join(tangents)})" if m else "u"
    name = f"tangent_system_of_{getattr(func, '__name__', 'rhs').replace('<', '').replace('>', '')}"
    source = (f"def {name}({', '.join([state] + params + tangents)}):\n"
              f"    n = yu.shape[0] // 2\n"
              f"    y = yu[:n]\n"
              f"    u = yu[n:]\n"
              f"    value, tangent = rhs_jvp({', '.join([call] + params + [direction])})\n"
              f"    return np.concatenate([np.ravel(value), np.ravel(tangent)])\n")
    filename = f"<ad_compiler: {name} ({m} parameters{', t first' if tfirst else ''})>"
    register_source(filename, source)
    namespace = {"np": np, "rhs_jvp": ad.jvp(func, wrt=wrt if m else wrt[0])}
    exec(compile(source, filename, "exec"), namespace)
    made[(m, tfirst)] = system = namespace[name]
    return system


def args_tuple(args):
    """A solver's `args` as a tuple (None: no parameters)."""
    return () if args is None else tuple(args)


def ivp_times(sol):
    """The output times of a solve_ivp result (constants: t_eval, or the solver's steps)."""
    return sol.t


def ivp_half(sol, which):
    """A solve_ivp result of the tangent system with `y` the state's (which=0) or the tangent's (1) half."""
    out = type(sol)(sol)
    out["y"] = np.split(np.asarray(sol.y), 2)[which]
    return out


def ivp_unhalf(v, which):
    """The transpose of ivp_half: the adjoint of the result's `y` padded with zeros for the other half."""
    from .runtime_ode import ivp_y

    y = np.asarray(ivp_y(v), dtype=float)
    zero = np.zeros_like(y)
    return {"y": np.concatenate([y, zero] if which == 0 else [zero, y])}
