"""Runtime helpers of the rules for scipy.integrate.odeint and solve_ivp (re-exported by runtime.py as
`_ad.<name>`).

The right-hand side is a function value passed to the solver; these helpers differentiate it when they run,
with ad.vjp / ad.jvp (compiled once per function). Reverse mode is the adjoint method: between consecutive
output times the state y, its adjoint a and the parameters' adjoint are integrated backwards together,
y' = f(y, t), a' = -(df/dy).T a, b' = -(df/dp).T a, starting from the stored solution at each output time
(where the output's adjoint is added to a). Forward mode integrates the tangent with the state,
dy' = (df/dy) dy + (df/dp) dp. Both use the solver and the tolerances of the call. These helpers have rules
(rules/helpers.py) written with the solvers and the helpers themselves applied to the ODE's tangent system
(runtime_ode_system.py), so derivatives through a solver go to any order.
"""
import functools

import numpy as np

from .runtime_backend import _host, as_array, like_of

__all__ = ["odeint_vjp", "odeint_jvp", "ivp_vjp", "ivp_jvp", "ivp_y", "option", "ivp_result_adjoint"]


def _on_host(helper):
    """The solvers (SciPy's) run in NumPy: arrays of another library among the arguments (Dask, CuPy) are
    computed or copied here, and the results made arrays of that library again (docs/scale.md: eager)."""
    @functools.wraps(helper)
    def run(*args, **kwargs):
        lib = like_of(*_leaves(args), *_leaves(tuple(kwargs.values())))
        if lib is None:
            return helper(*args, **kwargs)
        out = helper(*_to_host(args), **{k: _to_host(v) for k, v in kwargs.items()})
        return _back(out, lib)
    return run


def _leaves(v):
    if isinstance(v, (list, tuple)):
        return [u for item in v for u in _leaves(item)]
    return [v]


def _to_host(v):
    if isinstance(v, (list, tuple)):
        return type(v)(_to_host(u) for u in v)
    return _host(v)


def _back(v, lib):
    if isinstance(v, (list, tuple)):
        return type(v)(_back(u, lib) for u in v)
    return as_array(v, lib) if isinstance(v, np.ndarray) else v


def _param_positions(args, tfirst):
    first = 2  # f(y, t, *args) / f(t, y, *args)
    return tuple(range(first, first + len(args)))


def _flat_args(args):
    from .runtime import ravel_tree as ravel

    return ravel(list(args))


def _check_rhs(func):
    """Refuse a right-hand side that reads numbers or arrays from a closure: whether they carry a derivative
    cannot be known here, and a derivative through them would be lost."""
    for cell in getattr(func, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if isinstance(value, (np.ndarray, float, complex, np.generic)) or \
                isinstance(value, (list, tuple)) and any(isinstance(v, (np.ndarray, float)) for v in value):
            from .errors import NoDerivativeError

            raise NoDerivativeError(f"the right-hand side {getattr(func, '__qualname__', func)!s} passed to an ODE "
                                    "solver reads numbers or arrays from a closure; their derivative would be lost",
                                    hint="pass them through the solver's args=(...) (module-level constants are fine)")


def _vjp_rhs(func, args, tfirst):
    """(y, t, a) -> (f(y, t), (df/dy).T a, (df/dargs).T a flattened)."""
    import ad_compiler as ad

    _check_rhs(func)
    y_pos = 1 if tfirst else 0
    wrt = (y_pos,) + _param_positions(args, tfirst)
    vjp = ad.vjp(func, wrt=wrt if len(wrt) > 1 else wrt[0])

    def rhs(y, t, a):
        call = (t, y) + tuple(args) if tfirst else (y, t) + tuple(args)
        f = np.asarray(func(*call), dtype=float)
        grads = vjp(*call, a)
        grads = grads if len(wrt) > 1 else (grads,)
        by = np.asarray(grads[0], dtype=float)
        bp = _flat_args(grads[1:])[0] if args else np.zeros(0)
        return f, by, bp
    return rhs


def _adjoint_sweep(g, ys, times, func, args, tfirst, solve):
    """The adjoint method over the output times: returns (adjoint of y0, flat adjoint of args).
    `solve(rhs, z0, t0, t1)` integrates z' = rhs(z, t) from t0 to t1 and returns z(t1)."""
    ys = np.asarray(ys, dtype=float)
    g = np.asarray(g, dtype=float).reshape(ys.shape)
    n = ys.shape[1]
    rhs = _vjp_rhs(func, args, tfirst)
    m = len(_flat_args(args)[0]) if args else 0
    a = g[-1].copy()
    bp = np.zeros(m)

    def aug(z, t):
        f, by, b = rhs(z[:n], t, z[n:2 * n])
        return np.concatenate([f, -by, -b])

    for i in range(len(times) - 1, 0, -1):
        z = solve(aug, np.concatenate([ys[i], a, bp]), times[i], times[i - 1])
        a = z[n:2 * n] + g[i - 1]
        bp = z[2 * n:]
    return a, bp


def _unflat(bp, args):
    from .runtime import cast_like

    if not args:
        return []
    _, unravel = _flat_args(args)
    return cast_like(list(unravel(bp)), list(args))


def _odeint_solve(rtol, atol):
    from scipy.integrate import odeint

    def solve(rhs, z0, t0, t1):
        return odeint(rhs, z0, [t0, t1], rtol=rtol, atol=atol)[-1]
    return solve


@_on_host
def odeint_vjp(v, ys, func, y0, t, args=(), rtol=None, atol=None, tfirst=False):
    """Adjoints (of y0, of the tuple args) of ys = odeint(func, y0, t, args), given ys's adjoint v, by the
    adjoint method."""
    args = tuple(args) if args is not None else ()
    a, bp = _adjoint_sweep(v, ys, np.asarray(t, dtype=float), func, args, tfirst, _odeint_solve(rtol, atol))
    return np.reshape(a, np.shape(y0)) if np.ndim(y0) else float(a[0]), _unflat(bp, args)


def _jvp_rhs(func, args, tfirst):
    import ad_compiler as ad

    _check_rhs(func)
    y_pos = 1 if tfirst else 0
    wrt = (y_pos,) + _param_positions(args, tfirst)
    jvp = ad.jvp(func, wrt=wrt if len(wrt) > 1 else wrt[0])

    def rhs(y, t, dy, dargs):
        call = (t, y) + tuple(args) if tfirst else (y, t) + tuple(args)
        tangent = (dy,) + tuple(dargs) if len(wrt) > 1 else dy
        value, dvalue = jvp(*call, tangent)
        return np.asarray(value, dtype=float), np.asarray(dvalue, dtype=float)
    return rhs


def _tangents(dargs, args):
    if not args:
        return ()
    if isinstance(dargs, (tuple, list)):
        return tuple(np.zeros(np.shape(a)) if d is None else d for d, a in zip(dargs, args))
    return tuple(np.zeros(np.shape(a)) if np.ndim(a) else 0.0 for a in args)  # a zero tangent


@_on_host
def odeint_jvp(func, y0, ty0, t, args=(), targs=None, rtol=None, atol=None, tfirst=False):
    """Tangent of odeint(func, y0, t, args) along (ty0, targs): the state and its tangent integrated together."""
    from scipy.integrate import odeint

    args = tuple(args) if args is not None else ()
    dargs = _tangents(targs, args)
    y0 = np.atleast_1d(np.asarray(y0, dtype=float))
    n = y0.size
    dy0 = np.broadcast_to(np.asarray(ty0, dtype=float), y0.shape).ravel()
    rhs = _jvp_rhs(func, args, tfirst)

    def aug(z, time):
        f, df = rhs(z[:n], time, z[n:], dargs)
        return np.concatenate([np.ravel(f), np.ravel(df)])

    z = odeint(aug, np.concatenate([y0.ravel(), dy0]), t, rtol=rtol, atol=atol)
    return z[:, n:]


# -- solve_ivp ------------------------------------------------------------------------------------------------------
def _ivp_solve(method, rtol, atol):
    from scipy.integrate import solve_ivp

    def solve(rhs, z0, t0, t1):
        sol = solve_ivp(lambda time, z: rhs(z, time), (t0, t1), z0, method=method, rtol=rtol, atol=atol)
        return sol.y[:, -1]
    return solve


def option(options, name, default):
    """A solver option passed by keyword (solve_ivp's **options), or its default."""
    return options.get(name, default) if options else default


def ivp_result_adjoint(v, sol):
    """The adjoint of a solve_ivp result from that of its `y`."""
    return {"y": v}


def ivp_y(v):
    """The adjoint of a solve_ivp result's `y` (the only differentiable field; a dict by field name)."""
    return v["y"] if isinstance(v, dict) else v.y


def _ivp_times(sol, t_span, y0, ys, gys=None):
    """Output times from t_span[0] on, with y0 (and a zero adjoint) first when t_eval does not start there."""
    times = np.asarray(sol.t, dtype=float)
    if times.size == 0 or times[0] != t_span[0]:
        times = np.concatenate([[t_span[0]], times])
        ys = np.vstack([np.ravel(y0), ys])
        if gys is not None:
            gys = np.vstack([np.zeros(ys.shape[1]), gys])
    return times, ys, gys


@_on_host
def ivp_vjp(v, sol, fun, t_span, y0, args=None, method="RK45", rtol=1e-3, atol=1e-6):
    """Adjoints (of y0, of the tuple args) of sol = solve_ivp(fun, t_span, y0, ...) through sol.y, given sol's
    adjoint v, by the adjoint method over the output times sol.t."""
    args = tuple(args) if args is not None else ()
    times, ys, gys = _ivp_times(sol, t_span, y0, np.asarray(sol.y, dtype=float).T,
                                np.asarray(ivp_y(v), dtype=float).T)
    a, bp = _adjoint_sweep(gys, ys, times, fun, args, True, _ivp_solve(method, rtol, atol))
    return np.reshape(a, np.shape(y0)), _unflat(bp, args)


@_on_host
def ivp_jvp(sol, fun, t_span, y0, ty0, args=None, targs=None, method="RK45", rtol=1e-3, atol=1e-6):
    """Tangent of sol = solve_ivp(fun, t_span, y0, ...) along (ty0, targs): a result whose `y` holds the tangent
    at the output times (the other fields are the primal's)."""
    from scipy.integrate import solve_ivp

    args = tuple(args) if args is not None else ()
    dargs = _tangents(targs, args)
    y0 = np.asarray(y0, dtype=float)
    n = y0.size
    dy0 = np.broadcast_to(np.asarray(ty0, dtype=float), y0.shape).ravel()
    rhs = _jvp_rhs(fun, args, True)

    def aug(time, z):
        f, df = rhs(z[:n], time, z[n:], dargs)
        return np.concatenate([np.ravel(f), np.ravel(df)])

    out = solve_ivp(aug, (t_span[0], sol.t[-1]), np.concatenate([y0.ravel(), dy0]), method=method,
                    t_eval=sol.t, rtol=rtol, atol=atol)
    tangent = type(sol)(sol)
    tangent["y"] = out.y[n:]
    return tangent
