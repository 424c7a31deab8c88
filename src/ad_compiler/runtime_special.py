"""Runtime helpers of the scipy.special and scipy.stats rules (re-exported by runtime.py, so generated code
calls them as `_ad.<name>`). SciPy is imported when a helper runs, never when ad_compiler is imported."""
import numpy as np

from .runtime_backend import as_array
from .runtime_linalg import solve

__all__ = ["multipolygamma", "no_sign", "one_if_none", "components", "sum_points", "mvn_cov", "mvn_cov_vjp",
           "mvn_cov_tangent", "mvn_mean", "solve_rows", "solve_rows_t", "per_point", "rows_outer",
           "convolve_vjp_in1", "convolve_vjp_in2", "correlate_vjp_in1", "correlate_vjp_in2"]


def multipolygamma(n, a, d):
    """sum_{j < d} polygamma(n, a - j / 2): the n-th derivative of the multivariate digamma function,
    d^(n+1)/da^(n+1) multigammaln(a, d)."""
    from scipy.special import polygamma

    a = as_array(a, dtype=float)
    total = sum(polygamma(n, a - 0.5 * j) for j in range(int(d)))
    return total if np.ndim(total) else float(total)


def no_sign(lse, return_sign=False):
    """The value of logsumexp as it is; refuses `return_sign=True` (its (value, sign) pair has no rule)."""
    if return_sign:
        from .errors import NoDerivativeError

        raise NoDerivativeError("scipy.special.logsumexp(..., return_sign=True) has no derivative rule",
                                hint="differentiate logsumexp without return_sign (the sign is piecewise constant)")
    return lse


def one_if_none(b):
    """1.0 for an absent weight (`b=None`), else the weight."""
    return 1.0 if b is None else b


# -- scipy.stats.dirichlet ------------------------------------------------------------------------------------
def components(alpha, x):
    """dirichlet's alpha shaped to broadcast against x, whose first axis holds the K components ((K,) or
    (K, N)); the form of x with K - 1 components is refused."""
    alpha = as_array(alpha, dtype=float)
    if np.ndim(alpha) == 0:
        return alpha  # (a zero tangent)
    if np.shape(x)[0] != alpha.shape[0]:
        from .errors import NoDerivativeError

        raise NoDerivativeError("scipy.stats.dirichlet with K - 1 components in x has no derivative rule",
                                hint="pass all K components (x on the simplex, components on the first axis)")
    return alpha.reshape(alpha.shape + (1,) * (np.ndim(x) - 1))


def sum_points(v, alpha):
    """v (x's shape) summed over the points (all axes after the first) to alpha's shape."""
    v = as_array(v)
    return np.sum(v, axis=tuple(range(1, v.ndim))) if v.ndim > 1 else v


# -- scipy.stats.multivariate_normal --------------------------------------------------------------------------
def _dim(cov, like):
    if like is not None:
        return np.shape(like)[-1] if np.ndim(like) else 1
    return np.shape(cov)[-1] if np.ndim(cov) else 1


def mvn_cov(cov, like=None):
    """The covariance matrix multivariate_normal uses: c I for a number, diag(v) for a vector, and for a matrix
    the symmetric matrix of its lower triangle (SciPy reads only that triangle). `like`: x or mean (for d)."""
    cov = as_array(cov, dtype=float)
    if cov.ndim == 0:
        return cov * np.eye(_dim(cov, like))
    if cov.ndim == 1:
        return np.diag(cov)
    return np.tril(cov) + np.tril(cov, -1).T


def mvn_cov_vjp(h, cov):
    """Adjoint of mvn_cov: the trace for a number, the diagonal for a vector, the lower triangle of h + h.T
    (diagonal once) for a matrix."""
    h = as_array(h)
    nd = np.ndim(cov)
    if nd == 0:
        return float(np.trace(h))
    if nd == 1:
        return np.diagonal(h).copy()
    return np.tril(h) + np.tril(h.T, -1)


def mvn_cov_tangent(t, cov, like=None):
    """Tangent of mvn_cov (a zero tangent stays 0)."""
    if np.ndim(t) == 0 and np.ndim(cov) != 0:
        return 0.0 * mvn_cov(np.ones(np.shape(cov)), like)
    return mvn_cov(t, like if np.ndim(cov) == 0 else None)


def mvn_mean(mean, x):
    """The mean, 0.0 when absent (None)."""
    return 0.0 if mean is None else mean


def solve_rows(c, r):
    """inv(c) applied to r, a vector or the rows of an (N, d) array."""
    r = as_array(r, dtype=float)
    if r.ndim <= 1:
        return solve(c, np.broadcast_to(r, (np.shape(c)[-1],)))
    return solve(c, r.T).T


def solve_rows_t(m, y):
    """m applied to y, a vector or the rows of an (N, d) array (y @ m.T)."""
    return as_array(y) @ as_array(m).T


def per_point(v, x):
    """A value per point (a number, or (N,) for x of shape (N, d)) shaped to broadcast against x's rows."""
    return np.expand_dims(as_array(v), -1)


def rows_outer(u, y):
    """sum over the points of outer(u_n, y_n) (u, y vectors or (N, d) arrays of rows)."""
    u, y = as_array(u), as_array(y)
    if u.ndim <= 1:
        return np.multiply.outer(np.broadcast_to(u, y.shape), y)
    return u.T @ y


# -- scipy.signal.convolve / correlate ------------------------------------------------------------------------
def _full_adjoint(g, n1, n2, mode):
    """g (the adjoint of convolve(in1, in2, mode) for inputs of shapes n1, n2) placed into the adjoint of the
    full convolution: 'valid' and 'same' are slices of 'full' (SciPy's offsets: min(n1, n2) - 1 for 'valid',
    (n2 - 1) // 2 for 'same')."""
    full = tuple(a + b - 1 for a, b in zip(n1, n2))
    if mode == "full":
        return as_array(g)
    if mode == "valid":
        start = [min(a, b) - 1 for a, b in zip(n1, n2)]
    elif mode == "same":
        start = [(b - 1) // 2 for b in n2]
    else:
        raise ValueError(f"unknown mode {mode!r}")
    out = np.zeros(full, dtype=np.result_type(g, 1.0))
    out[tuple(slice(s0, s0 + n) for s0, n in zip(start, np.shape(g)))] = g
    return out


def convolve_vjp_in1(g, in1, in2, mode="full"):
    """Adjoint of in1 in scipy.signal.convolve(in1, in2, mode): the full adjoint correlated with in2
    ('valid': the part where in2 fits), which has in1's shape. Linear in g and in2."""
    from scipy.signal import correlate

    return correlate(_full_adjoint(g, np.shape(in1), np.shape(in2), mode), in2, mode="valid")


def convolve_vjp_in2(g, in1, in2, mode="full"):
    """Adjoint of in2 in scipy.signal.convolve(in1, in2, mode): the full adjoint correlated with in1."""
    from scipy.signal import correlate

    return correlate(_full_adjoint(g, np.shape(in1), np.shape(in2), mode), in1, mode="valid")


def _flip(x):
    return np.flip(x) if np.ndim(x) else x


def correlate_vjp_in1(g, in1, in2, mode="full"):
    """Adjoint of in1 in scipy.signal.correlate(in1, in2, mode) = convolve(in1, flip(in2), mode)."""
    return convolve_vjp_in1(g, in1, _flip(in2), mode)


def correlate_vjp_in2(g, in1, in2, mode="full"):
    """Adjoint of in2 in scipy.signal.correlate(in1, in2, mode) = convolve(in1, flip(in2), mode)."""
    return _flip(convolve_vjp_in2(g, in1, _flip(in2), mode))
