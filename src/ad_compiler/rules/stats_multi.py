"""Derivative rules for scipy.stats.poisson, dirichlet and multivariate_normal (loaded only when SciPy
imports).

poisson: the count k (and the shift loc) enter only through floor(k - loc): the probabilities are piecewise
constant in them, so their derivative is 0; in mu, d logpmf / dmu = k / mu - 1 and the cdf's derivative is
-pmf(floor(k - loc), mu). dirichlet: x holds the K components along its first axis, (K,) or (K, N) (the form
with K - 1 components is refused); x must stay on the simplex, so derivatives in x are those of the formula
(a perturbation off the simplex is refused by SciPy). multivariate_normal: x of shape (d,) or (N, d), mean
(d,), cov a (d, d) matrix read, as SciPy does, through its lower triangle (derivatives with respect to that
triangle's entries); a number or a vector cov (c I, diag(v)) works too.
"""
import numpy as np
import scipy.special as sps
from scipy.stats import dirichlet, multivariate_normal, poisson

from .. import runtime as _ad
from . import ans, derivative, elementwise, g
from ..runtime_linalg import mT


@elementwise(poisson.logpmf)
def poisson_logpmf(k, mu, loc=0.0):
    return 0.0, (k - loc) / mu - 1.0, 0.0


@elementwise(poisson.pmf)
def poisson_pmf(k, mu, loc=0.0):
    return 0.0, ans * ((k - loc) / mu - 1.0), 0.0


@elementwise(poisson.cdf)
def poisson_cdf(k, mu, loc=0.0):
    return 0.0, -poisson.pmf(np.floor(k - loc), mu), 0.0


@elementwise(poisson.sf)
def poisson_sf(k, mu, loc=0.0):
    return 0.0, poisson.pmf(np.floor(k - loc), mu), 0.0


@elementwise(poisson.logcdf)
def poisson_logcdf(k, mu, loc=0.0):
    return 0.0, -np.exp(poisson.logpmf(np.floor(k - loc), mu) - ans), 0.0


@elementwise(poisson.logsf)
def poisson_logsf(k, mu, loc=0.0):
    return 0.0, np.exp(poisson.logpmf(np.floor(k - loc), mu) - ans), 0.0


@derivative(dirichlet.logpdf)
def dirichlet_logpdf(x, alpha):
    """sum((alpha - 1) log x) - (sum gammaln(alpha) - gammaln(sum alpha)), x's components on its first axis."""
    A = _ad.components(alpha, x)
    bx = g * (A - 1.0) / x
    balpha = _ad.sum_points(g * (np.log(x) - sps.digamma(A) + sps.digamma(np.sum(A, axis=0))), alpha)
    dans = np.sum((A - 1.0) / x * dx, axis=0) + \
        np.sum((np.log(x) - sps.digamma(A) + sps.digamma(np.sum(A, axis=0))) * _ad.components(dalpha, x), axis=0)


@derivative(dirichlet.pdf)
def dirichlet_pdf(x, alpha):
    """exp(dirichlet.logpdf)."""
    A = _ad.components(alpha, x)
    bx = g * ans * (A - 1.0) / x
    balpha = _ad.sum_points(g * ans * (np.log(x) - sps.digamma(A) + sps.digamma(np.sum(A, axis=0))), alpha)
    dans = ans * np.sum((A - 1.0) / x * dx, axis=0) + \
        ans * np.sum((np.log(x) - sps.digamma(A) + sps.digamma(np.sum(A, axis=0))) * _ad.components(dalpha, x),
                     axis=0)


@derivative(multivariate_normal.logpdf)
def mvn_logpdf(x, mean=None, cov=1, allow_singular=False):
    """-(d log 2 pi + log det cov + r.T inv(cov) r) / 2 with r = x - mean."""
    C = _ad.mvn_cov(cov, x)
    r = x - _ad.mvn_mean(mean, x)
    y = _ad.solve_rows(C, r)
    bx = -_ad.per_point(g, x) * y
    bmean = _ad.unbroadcast(_ad.per_point(g, x) * y, mean)
    bcov = _ad.mvn_cov_vjp(-0.5 * (np.sum(g) * _ad.inv(C) - _ad.rows_outer(_ad.per_point(g, x) * y, y)), cov)
    dans = -np.sum(y * dx, axis=-1) + np.sum(y * _ad.mvn_mean(dmean, x), axis=-1) - \
        0.5 * np.trace(_ad.solve(C, _ad.mvn_cov_tangent(dcov, cov, x))) + \
        0.5 * np.sum(y * _ad.solve_rows_t(_ad.mvn_cov_tangent(dcov, cov, x), y), axis=-1)


@derivative(multivariate_normal.pdf)
def mvn_pdf(x, mean=None, cov=1, allow_singular=False):
    """exp(multivariate_normal.logpdf)."""
    C = _ad.mvn_cov(cov, x)
    r = x - _ad.mvn_mean(mean, x)
    y = _ad.solve_rows(C, r)
    ga = g * ans
    bx = -_ad.per_point(ga, x) * y
    bmean = _ad.unbroadcast(_ad.per_point(ga, x) * y, mean)
    bcov = _ad.mvn_cov_vjp(-0.5 * (np.sum(ga) * _ad.inv(C) - _ad.rows_outer(_ad.per_point(ga, x) * y, y)), cov)
    dans = ans * (-np.sum(y * dx, axis=-1) + np.sum(y * _ad.mvn_mean(dmean, x), axis=-1) -
                  0.5 * np.trace(_ad.solve(C, _ad.mvn_cov_tangent(dcov, cov, x))) +
                  0.5 * np.sum(y * _ad.solve_rows_t(_ad.mvn_cov_tangent(dcov, cov, x), y), axis=-1))


@derivative(multivariate_normal.entropy, constant_in=("mean",))
def mvn_entropy(mean=None, cov=1):
    """(d log(2 pi e) + log det cov) / 2: d / dcov = inv(cov) / 2 (lower-triangle convention)."""
    C = _ad.mvn_cov(cov, mean)
    bcov = _ad.mvn_cov_vjp(0.5 * g * _ad.inv(C), cov)
    dans = 0.5 * np.trace(_ad.solve(C, _ad.mvn_cov_tangent(dcov, cov, mean)))
