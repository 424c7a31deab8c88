"""Runtime helpers of the second-order rules through scipy.integrate.odeint and solve_ivp (re-exported by
runtime.py as `_ad.<name>`; their rules are in rules/integrate.py).

The first-order helpers (runtime_ode.py) compute, for the solution at the output times Y = Phi(y0, p)
(p: the solver's `args`, flattened), the tangent DPhi u (`odeint_jvp`, u a direction of (y0, p)) and the
adjoint DPhi^T g (`odeint_vjp`: the adjoint method). Their derivatives are those of the exact flow Phi, to the
solver's tolerance, and all come from two integrations of the *tangent system* (y, u)' = (f, J u), where
J u = (df/dy) u_y + (df/dp) u_p:

- its tangent (the state, the tangent and a second tangent pair integrated forward): the derivative of
  DPhi u along a direction e of (y0, p) and du of u is DPhi du + D^2 Phi[u, e] (`*_jvp_jvp`);
- its adjoint (the adjoint method on the tangent system, backwards from the stored (y, u) at each output
  time, with the output adjoints gy of y and gu of u added there): the adjoint of (y0, p) is
  DPhi^T gy + grad_(y0, p) <gu, DPhi u>, the adjoint of u is DPhi^T gu. So the tangent of DPhi^T g along
  (dg, u) is that with gy = dg, gu = g (`*_vjp_jvp`), the adjoint of (y0, p) in DPhi^T g along a cotangent
  c of its result is that with gy = 0, gu = g, u = c (and g's adjoint DPhi c: `*_vjp_vjp`), and the adjoints
  of DPhi u are that with gy = 0, gu = its cotangent (`*_jvp_vjp`).

The adjoint system needs (df/dy).T c and (df/dp).T c and their tangent along (u, a): the tangent of the
compiled vjp of the right-hand side (ad.jvp(ad.vjp(f))) gives J^T c and H_c u + J^T a at once (H_c: the
Hessian of <c, f>). The second tangent needs the tangent of the compiled jvp (ad.jvp(ad.jvp(f))). The stored
solution `ans` (or `sol`) of the first-order helpers is a function of y0 and p: these helpers integrate the
trajectory again from y0, so what ans's tangent or adjoint would carry is in those of y0 and p.
"""
import numbers

import numpy as np

from .runtime_ode import _ivp_times, _on_host, _param_positions, _check_rhs, ivp_y, odeint_jvp

__all__ = ["odeint_vjp_jvp", "odeint_vjp_vjp", "odeint_jvp_vjp", "odeint_jvp_jvp",
           "ivp_vjp_jvp", "ivp_vjp_vjp", "ivp_jvp_vjp", "ivp_jvp_jvp"]


# -- the parameters (a tree of numbers and arrays) as a flat vector and back ------------------------------------
def _numeric(x):
    return isinstance(x, (np.ndarray, numbers.Number, np.generic)) and not isinstance(x, (bool, np.bool_))


def _flat_like(t, x):
    """A tangent or adjoint `t` structured like `x` as a flat float vector (None or a zero number: zeros)."""
    if isinstance(x, (list, tuple)):
        empty = t is None or not isinstance(t, (list, tuple))
        parts = [_flat_like(None if empty else t[i], xi) for i, xi in enumerate(x)]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(x, dict):
        parts = [_flat_like(None if not isinstance(t, dict) else t.get(k), v) for k, v in x.items()]
        return np.concatenate(parts) if parts else np.zeros(0)
    if not _numeric(x):
        return np.zeros(0)
    size = int(np.size(x))
    if t is None:
        return np.zeros(size)
    return np.broadcast_to(np.ravel(np.asarray(t, dtype=float)), (size,)).copy()


def _tree_like(v, x, start=0):
    """(the part of the flat vector `v` from `start` structured like `x`, floats for numbers; where it ends)."""
    if isinstance(x, (list, tuple)):
        out = []
        for xi in x:
            piece, start = _tree_like(v, xi, start)
            out.append(piece)
        return (tuple(out) if isinstance(x, tuple) else out), start
    if isinstance(x, dict):
        out = {}
        for k, xi in x.items():
            out[k], start = _tree_like(v, xi, start)
        return out, start
    if not _numeric(x):
        return x, start
    size = int(np.size(x))
    piece = v[start:start + size]
    return (np.reshape(piece, np.shape(x)) if isinstance(x, np.ndarray) else float(piece[0])), start + size


def _unflat(v, args):
    return list(_tree_like(v, tuple(args))[0])


def _state_like(v, y0):
    return np.reshape(v, np.shape(y0)) if np.ndim(y0) else float(v[0])


# -- the compiled derivatives of the right-hand side ------------------------------------------------------------
class _Rhs:
    """The right-hand side f(y, t, *args) (or f(t, y, *args)) and the compiled derivatives the tangent system
    needs, on flat vectors: y, u_y of the state's size, u_p of the flattened args."""

    def __init__(self, func, args, tfirst):
        import ad_compiler as ad

        _check_rhs(func)
        self.func, self.args, self.tfirst = func, tuple(args), tfirst
        wrt = (1 if tfirst else 0,) + _param_positions(self.args, tfirst)
        self.multi = len(wrt) > 1
        last = 2 + len(self.args)  # the tangent (jvp) or the output's adjoint (vjp) after the arguments
        self.jvp = ad.jvp(func, wrt=wrt if self.multi else wrt[0])
        self.jvp_vjp = ad.jvp(ad.vjp(func, wrt=wrt if self.multi else wrt[0]), wrt=wrt + (last,))
        self.jvp_jvp = ad.jvp(self.jvp, wrt=wrt + (last,))

    def call(self, y, t):
        return (t, y) + self.args if self.tfirst else (y, t) + self.args

    def direction(self, uy, up):
        return (uy,) + tuple(_unflat(up, self.args)) if self.multi else uy

    def split(self, grads):
        """(flat adjoint of y, flat adjoint of args) from a vjp's result."""
        grads = grads if self.multi else (grads,)
        return np.ravel(np.asarray(grads[0], dtype=float)), _flat_like(list(grads[1:]), list(self.args))

    def tangent(self, y, t, uy, up):
        """f and J u."""
        value, dvalue = self.jvp(*self.call(y, t), self.direction(uy, up))
        return np.ravel(np.asarray(value, dtype=float)), np.ravel(np.asarray(dvalue, dtype=float))

    def adjoint_tangent(self, y, t, c, uy, up, a):
        """(J_y^T c, J_p^T c) and (H_c u + J^T a) split the same way."""
        direction = self.direction(uy, up)
        direction = (direction if self.multi else (direction,)) + (a,)
        value, dvalue = self.jvp_vjp(*self.call(y, t), c, direction)
        return self.split(value), self.split(dvalue)

    def second_tangent(self, y, t, uy, up, ey, ep, wy, wp):
        """f, J u, J e, J w + D^2 f[u, e]."""
        e = self.direction(ey, ep)
        (value, dvalue), (tvalue, tdvalue) = self.jvp_jvp(*self.call(y, t), self.direction(uy, up),
                                                          (e if self.multi else (e,)) + (self.direction(wy, wp),))
        return [np.ravel(np.asarray(v, dtype=float)) for v in (value, dvalue, tvalue, tdvalue)]


# -- the two integrations of the tangent system ------------------------------------------------------------------
def _tangent_path(rhs, y0, uy0, up, times, solve_path):
    """(y, u_y) at the output times: the state and its tangent integrated forward together."""
    n = y0.size

    def aug(z, t):
        return np.concatenate(rhs.tangent(z[:n], t, z[n:], up))
    z = solve_path(aug, np.concatenate([y0, uy0]), times)
    return z[:, :n], z[:, n:]


def _second_adjoint(rhs, gy, gu, ys, us, up, times, solve):
    """The adjoint method on the tangent system: (adjoint of y0, of p; adjoint of u_y0, of u_p)."""
    n, m = ys.shape[1], up.size
    a, c, bp, bup = gy[-1].copy(), gu[-1].copy(), np.zeros(m), np.zeros(m)

    def aug(z, t):
        y, u, a, c = z[:n], z[n:2 * n], z[2 * n:3 * n], z[3 * n:4 * n]
        f, ju = rhs.tangent(y, t, u, up)
        (jyc, jpc), (hy, hp) = rhs.adjoint_tangent(y, t, c, u, up, a)
        return np.concatenate([f, ju, -hy, -jyc, -hp, -jpc])

    for i in range(len(times) - 1, 0, -1):
        z = solve(aug, np.concatenate([ys[i], us[i], a, c, bp, bup]), times[i], times[i - 1])
        a, c = z[2 * n:3 * n] + gy[i - 1], z[3 * n:4 * n] + gu[i - 1]
        bp, bup = z[4 * n:4 * n + m], z[4 * n + m:]
    return a, bp, c, bup


def _second_tangent(rhs, y0, u0, up, e0, ep, w0, wp, times, solve_path):
    """The tangent w of DPhi u along (e, du = w): the tangent system and its tangent integrated forward."""
    n = y0.size

    def aug(z, t):
        return np.concatenate(rhs.second_tangent(z[:n], t, z[n:2 * n], up, z[2 * n:3 * n], ep, z[3 * n:], wp))
    z = solve_path(aug, np.concatenate([y0, u0, e0, w0]), times)
    return z[:, 3 * n:]


class _Problem:
    """One solver call: the right-hand side, the output times, the flat initial state and parameters, and
    the solver (`solve(rhs, z0, t0, t1)`: z(t1); `solve_path(rhs, z0, times)`: z at the times, in rows)."""

    def __init__(self, func, y0, times, args, tfirst, solve, solve_path):
        self.args = tuple(args) if args is not None else ()
        self.rhs = _Rhs(func, self.args, tfirst)
        self.y0, self.shape = np.ravel(np.asarray(y0, dtype=float)), y0
        self.times, self.solve, self.solve_path = np.asarray(times, dtype=float), solve, solve_path

    def state(self, t):
        return np.broadcast_to(np.ravel(np.asarray(0.0 if t is None else t, dtype=float)), self.y0.shape)

    def outputs(self, g):
        """An adjoint of the solution at the output times as rows of flat states (None: zeros)."""
        if g is None or np.ndim(g) == 0 and not np.any(g):
            return np.zeros((len(self.times), self.y0.size))
        return np.reshape(np.asarray(g, dtype=float), (len(self.times), self.y0.size))

    def second_adjoint(self, gy, gu, uy0, uargs):
        up = _flat_like(uargs, list(self.args))
        ys, us = _tangent_path(self.rhs, self.y0, self.state(uy0), up, self.times, self.solve_path)
        return _second_adjoint(self.rhs, self.outputs(gy), self.outputs(gu), ys, us, up, self.times, self.solve)

    def adjoints(self, a, bp):
        return _state_like(a, self.shape), _unflat(bp, self.args)

    def second_tangent(self, dy0, dargs, ty0, targs, dty0, dtargs):
        flat = [_flat_like(p, list(self.args)) for p in (targs, dargs, dtargs)]
        return _second_tangent(self.rhs, self.y0, self.state(ty0), flat[0], self.state(dy0), flat[1],
                               self.state(dty0), flat[2], self.times, self.solve_path)


def _pair(g):
    """The adjoint of the pair (adjoint of y0, adjoints of args) a first-order vjp helper returns."""
    if not isinstance(g, (list, tuple)):
        return None, None
    return g[0], (g[1] if len(g) > 1 else None)


# -- odeint ----------------------------------------------------------------------------------------------------
def _odeint_problem(func, y0, t, args, rtol, atol, tfirst):
    from scipy.integrate import odeint

    def solve(rhs, z0, t0, t1):
        return odeint(rhs, z0, [t0, t1], rtol=rtol, atol=atol)[-1]

    def solve_path(rhs, z0, times):
        return odeint(rhs, z0, times, rtol=rtol, atol=atol)
    return _Problem(func, y0, t, args, tfirst, solve, solve_path)


@_on_host
def odeint_vjp_jvp(v, dv, func, y0, dy0, t, args=(), dargs=None, rtol=None, atol=None, tfirst=False):
    """The tangent of odeint_vjp(v, ans, func, y0, t, args) along v's tangent dv and (dy0, dargs)."""
    p = _odeint_problem(func, y0, t, args, rtol, atol, tfirst)
    a, bp, _, _ = p.second_adjoint(dv, v, dy0, dargs)
    return p.adjoints(a, bp)


@_on_host
def odeint_vjp_vjp(g, v, func, y0, t, args=(), rtol=None, atol=None, tfirst=False):
    """The adjoints (of v, of y0, of args) in odeint_vjp(v, ans, func, y0, t, args) given the adjoint g of its
    result (the pair: adjoint of y0, adjoints of args)."""
    gy0, gargs = _pair(g)
    p = _odeint_problem(func, y0, t, args, rtol, atol, tfirst)
    bv = odeint_jvp(func, y0, p.state(gy0), t, p.args, _unflat(_flat_like(gargs, list(p.args)), p.args), rtol,
                    atol, tfirst)
    a, bp, _, _ = p.second_adjoint(None, v, gy0, gargs)
    return np.reshape(bv, np.shape(v)), *p.adjoints(a, bp)


@_on_host
def odeint_jvp_vjp(g, func, y0, ty0, t, args=(), targs=None, rtol=None, atol=None, tfirst=False):
    """The adjoints (of y0, of args, of ty0, of targs) in odeint_jvp(func, y0, ty0, t, args, targs) given the
    adjoint g of its result (the tangent at the output times)."""
    p = _odeint_problem(func, y0, t, args, rtol, atol, tfirst)
    a, bp, c, bq = p.second_adjoint(None, g, ty0, targs)
    return (*p.adjoints(a, bp), *p.adjoints(c, bq))


@_on_host
def odeint_jvp_jvp(func, y0, dy0, ty0, dty0, t, args=(), dargs=None, targs=None, dtargs=None, rtol=None,
                   atol=None, tfirst=False):
    """The tangent of odeint_jvp(func, y0, ty0, t, args, targs) along (dy0, dargs) and (dty0, dtargs)."""
    p = _odeint_problem(func, y0, t, args, rtol, atol, tfirst)
    return p.second_tangent(dy0, dargs, ty0, targs, dty0, dtargs)


# -- solve_ivp ---------------------------------------------------------------------------------------------------
def _ivp_problem(sol, fun, t_span, y0, args, method, rtol, atol):
    from scipy.integrate import solve_ivp

    def solve(rhs, z0, t0, t1):
        return solve_ivp(lambda time, z: rhs(z, time), (t0, t1), z0, method=method, rtol=rtol, atol=atol).y[:, -1]

    def solve_path(rhs, z0, times):
        out = solve_ivp(lambda time, z: rhs(z, time), (times[0], times[-1]), z0, method=method, t_eval=times,
                        rtol=rtol, atol=atol)
        return out.y.T
    times, _, _ = _ivp_times(sol, t_span, y0, np.zeros((len(sol.t), np.size(y0))))
    p = _Problem(fun, y0, times, args, True, solve, solve_path)
    p.skip = len(times) - len(sol.t)  # 1 where t_span[0] was put first
    return p


def _ivp_rows(p, g):
    """The adjoint of a result's `y` (a dict by field name, or a result) as rows at the problem's times."""
    y = None if g is None or isinstance(g, numbers.Number) else ivp_y(g)
    if y is None or np.ndim(y) == 0:
        return None
    rows = np.asarray(y, dtype=float).T
    return np.vstack([np.zeros((p.skip, rows.shape[1])), rows])


@_on_host
def ivp_vjp_jvp(v, dv, sol, fun, t_span, y0, dy0, args=None, dargs=None, method="RK45", rtol=1e-3, atol=1e-6):
    """The tangent of ivp_vjp(v, sol, fun, t_span, y0, args, ...) along dv and (dy0, dargs)."""
    p = _ivp_problem(sol, fun, t_span, y0, args, method, rtol, atol)
    a, bp, _, _ = p.second_adjoint(_ivp_rows(p, dv), _ivp_rows(p, v), dy0, dargs)
    return p.adjoints(a, bp)


@_on_host
def ivp_vjp_vjp(g, v, sol, fun, t_span, y0, args=None, method="RK45", rtol=1e-3, atol=1e-6):
    """The adjoints (of v, of y0, of args) in ivp_vjp(v, sol, fun, t_span, y0, args, ...) given the adjoint g of
    its result; v's is a dict by field name, as the adjoint of a result."""
    gy0, gargs = _pair(g)
    p = _ivp_problem(sol, fun, t_span, y0, args, method, rtol, atol)
    tangent = _tangent_path(p.rhs, p.y0, p.state(gy0), _flat_like(gargs, list(p.args)), p.times, p.solve_path)[1]
    a, bp, _, _ = p.second_adjoint(None, _ivp_rows(p, v), gy0, gargs)
    return {"y": tangent[p.skip:].T}, *p.adjoints(a, bp)


@_on_host
def ivp_jvp_vjp(g, sol, fun, t_span, y0, ty0, args=None, targs=None, method="RK45", rtol=1e-3, atol=1e-6):
    """The adjoints (of y0, of args, of ty0, of targs) in ivp_jvp(sol, fun, t_span, y0, ty0, args, targs, ...)
    given the adjoint g of its result (a dict by field name)."""
    p = _ivp_problem(sol, fun, t_span, y0, args, method, rtol, atol)
    a, bp, c, bq = p.second_adjoint(None, _ivp_rows(p, g), ty0, targs)
    return (*p.adjoints(a, bp), *p.adjoints(c, bq))


@_on_host
def ivp_jvp_jvp(sol, fun, t_span, y0, dy0, ty0, dty0, args=None, dargs=None, targs=None, dtargs=None,
                method="RK45", rtol=1e-3, atol=1e-6):
    """The tangent of ivp_jvp(sol, fun, t_span, y0, ty0, args, targs, ...) along (dy0, dargs) and
    (dty0, dtargs): a result whose `y` holds it (the other fields are the primal's)."""
    p = _ivp_problem(sol, fun, t_span, y0, args, method, rtol, atol)
    tangent = type(sol)(sol)
    tangent["y"] = p.second_tangent(dy0, dargs, ty0, targs, dty0, dtargs)[p.skip:].T
    return tangent
