"""Derivative rules for scipy.special (loaded only when SciPy imports: it is an optional dependency).

Orders of Bessel functions and of polygamma, the dimension of multigammaln and the shape parameter `a` of
the incomplete gamma functions are constants here: their partials are `None`, so an argument carrying a
derivative there is refused (NoDerivativeError, naming the line). Integer orders have no derivative at all;
the derivative of a Bessel function, or of gammainc, with respect to a real order / shape is a series
this table does not implement.

Conventions at the edges of the domain: `entr(x)` and `xlogy(x, y)` at x = 0 take the one-sided limits
(`entr'(0) = +inf`, d xlogy / dx = log(y), d xlogy / dy = 0 at x = 0); `rel_entr(x, y)` at x = 0 likewise
(d/dx = log(x / y) + 1 = -inf, d/dy = 0).
"""
import numpy as np
import scipy.special as sps

from .. import runtime as _ad
from . import ans, derivative, elementwise, g, real_only

# -- logistic, error and normal functions ------------------------------------------------------------


@elementwise(sps.expit)
def expit(x):
    return ans * (1.0 - ans)


@elementwise(sps.logit)
def logit(x):
    return 1.0 / (x * (1.0 - x))


@elementwise(sps.log_expit)
def log_expit(x):
    return sps.expit(-x)


@elementwise(sps.erf)
def erf(x):
    return 2.0 / np.sqrt(np.pi) * np.exp(-x ** 2)


@elementwise(sps.erfc)
def erfc(x):
    return -2.0 / np.sqrt(np.pi) * np.exp(-x ** 2)


@elementwise(sps.erfcx)
def erfcx(x):
    return 2.0 * x * ans - 2.0 / np.sqrt(np.pi)


@elementwise(sps.erfi)
def erfi(x):
    return 2.0 / np.sqrt(np.pi) * np.exp(x ** 2)


@elementwise(sps.dawsn)
def dawsn(x):
    return 1.0 - 2.0 * x * ans


@elementwise(sps.erfinv)
def erfinv(y):
    return np.sqrt(np.pi) / 2.0 * np.exp(ans ** 2)


@elementwise(sps.erfcinv)
def erfcinv(y):
    return -np.sqrt(np.pi) / 2.0 * np.exp(ans ** 2)


@elementwise(sps.ndtr)
def ndtr(x):
    return np.exp(-0.5 * x ** 2) / np.sqrt(2.0 * np.pi)


@elementwise(sps.log_ndtr)
def log_ndtr(x):
    return np.exp(-0.5 * x ** 2 - 0.5 * np.log(2.0 * np.pi) - ans)


@elementwise(sps.ndtri)
def ndtri(y):
    return np.sqrt(2.0 * np.pi) * np.exp(0.5 * ans ** 2)


# -- gamma, beta and related ---------------------------------------------------------------------------


@elementwise(sps.gamma)
def gamma(x):
    return ans * sps.digamma(x)


@elementwise(sps.gammaln)
def gammaln(x):
    return sps.digamma(x)


@elementwise(sps.digamma)
def digamma(x):
    return sps.polygamma(1, x)


@elementwise(sps.polygamma)
def polygamma(n, x):
    return None, sps.polygamma(n + 1, x)


@elementwise(sps.multigammaln)
def multigammaln(a, d):
    return _ad.multipolygamma(0, a, d), None


@elementwise(sps.beta)
def beta(a, b):
    return ans * (sps.digamma(a) - sps.digamma(a + b)), ans * (sps.digamma(b) - sps.digamma(a + b))


@elementwise(sps.betaln)
def betaln(a, b):
    return sps.digamma(a) - sps.digamma(a + b), sps.digamma(b) - sps.digamma(a + b)


@elementwise(sps.gammainc)
def gammainc(a, x):
    return None, np.exp((a - 1.0) * np.log(x) - x - sps.gammaln(a))


@elementwise(sps.gammaincc)
def gammaincc(a, x):
    return None, -np.exp((a - 1.0) * np.log(x) - x - sps.gammaln(a))


@elementwise(sps.exp1)
def exp1(x):
    return -np.exp(-x) / x


@elementwise(sps.expi)
def expi(x):
    return np.exp(x) / x


# -- logarithms and entropies ----------------------------------------------------------------------------


@elementwise(sps.xlogy)
def xlogy(x, y):
    return np.log(y), x / y


@elementwise(sps.xlog1py)
def xlog1py(x, y):
    return np.log1p(y), x / (1.0 + y)


@elementwise(sps.entr)
def entr(x):
    return -np.log(x) - 1.0


@elementwise(sps.rel_entr)
def rel_entr(x, y):
    return np.log(x / y) + 1.0, -x / y


@derivative(sps.logsumexp, full_reduction=True)
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    w = np.exp(a - _ad.keep_reduced(_ad.no_sign(ans, return_sign), a, axis, keepdims))  # exp(a - lse)
    ba = _ad.unbroadcast(_ad.keep_reduced(g, a, axis, keepdims) * w * _ad.one_if_none(b), a)
    bb = _ad.unbroadcast(_ad.keep_reduced(g, a, axis, keepdims) * w, b)
    dans = np.sum(w * _ad.one_if_none(b) * da, axis=axis, keepdims=keepdims) + \
        np.sum(w * db, axis=axis, keepdims=keepdims)


@derivative(sps.softmax)
def softmax(x, axis=None):
    bx = ans * (g - np.sum(g * ans, axis=axis, keepdims=True))
    dans = ans * (dx - np.sum(ans * dx, axis=axis, keepdims=True))


@derivative(sps.log_softmax)
def log_softmax(x, axis=None):
    bx = g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)
    dans = dx - np.sum(np.exp(ans) * dx, axis=axis, keepdims=True)


# -- Bessel functions (orders are constants) ---------------------------------------------------------------


@elementwise(sps.j0)
def j0(x):
    return -sps.j1(x)


@elementwise(sps.j1)
def j1(x):
    return 0.5 * (sps.j0(x) - sps.jv(2, x))


@elementwise(sps.jv)
def jv(v, z):
    return None, 0.5 * (sps.jv(v - 1, z) - sps.jv(v + 1, z))


@elementwise(sps.y0)
def y0(x):
    return -sps.y1(x)


@elementwise(sps.y1)
def y1(x):
    return 0.5 * (sps.y0(x) - sps.yv(2, x))


@elementwise(sps.yn)
def yn(n, x):
    return None, 0.5 * (sps.yv(n - 1, x) - sps.yv(n + 1, x))


@elementwise(sps.yv)
def yv(v, z):
    return None, 0.5 * (sps.yv(v - 1, z) - sps.yv(v + 1, z))


@elementwise(sps.i0)
def i0(x):
    return sps.i1(x)


@elementwise(sps.i1)
def i1(x):
    return 0.5 * (sps.i0(x) + sps.iv(2, x))


@elementwise(sps.iv)
def iv(v, z):
    return None, 0.5 * (sps.iv(v - 1, z) + sps.iv(v + 1, z))


@elementwise(sps.i0e)
def i0e(x):
    return sps.i1e(x) - np.sign(x) * ans


@elementwise(sps.i1e)
def i1e(x):
    return 0.5 * (sps.i0e(x) + sps.ive(2, x)) - np.sign(x) * ans


@elementwise(sps.ive)
def ive(v, z):
    return None, 0.5 * (sps.ive(v - 1, z) + sps.ive(v + 1, z)) - np.sign(z) * ans


@elementwise(sps.k0)
def k0(x):
    return -sps.k1(x)


@elementwise(sps.k1)
def k1(x):
    return -0.5 * (sps.k0(x) + sps.kv(2, x))


@elementwise(sps.kv)
def kv(v, z):
    return None, -0.5 * (sps.kv(v - 1, z) + sps.kv(v + 1, z))


@elementwise(sps.kve)
def kve(v, z):
    return None, -0.5 * (sps.kve(v - 1, z) + sps.kve(v + 1, z)) + ans

# Complex operands: these rules' derivatives (polygamma, the scaled Bessel functions' sign terms) are
# written for real arguments.
real_only("its derivative is written for real arguments", sps.gamma, sps.psi, sps.digamma, sps.ive)
