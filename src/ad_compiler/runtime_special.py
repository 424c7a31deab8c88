"""Runtime helpers of the scipy.special and scipy.stats rules (re-exported by runtime.py, so generated code
calls them as `_ad.<name>`). SciPy is imported when a helper runs, never when ad_compiler is imported."""
import numpy as np

__all__ = ["multipolygamma", "no_sign", "one_if_none"]


def multipolygamma(n, a, d):
    """sum_{j < d} polygamma(n, a - j / 2): the n-th derivative of the multivariate digamma function,
    d^(n+1)/da^(n+1) multigammaln(a, d)."""
    from scipy.special import polygamma

    a = np.asarray(a, dtype=float)
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
