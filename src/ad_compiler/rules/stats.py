"""Derivative rules for scipy.stats distributions (loaded only when SciPy imports): logpdf, pdf, cdf,
logcdf, sf and logsf of norm, t, gamma, beta, chi2, expon, laplace, cauchy and logistic, called on the
distribution objects (`norm.logpdf(x, loc, scale)`) or on frozen distributions made in the function
(`norm(loc, scale).logpdf(x)`: resolve.py hands the method's rule the frozen object's parameters); see
rules/stats_multi.py for poisson, dirichlet and multivariate_normal.

With z = (x - loc) / scale and psi = d log f / dz of the standard density f:
d logpdf / dx = psi / scale, d / dloc = -psi / scale, d / dscale = -(1 + z psi) / scale; the shape
parameters by the derivative of log f. pdf = exp(logpdf). The cdf's derivatives in x, loc and scale are
the pdf times 1, -1, -z (logcdf, sf, logsf accordingly); its derivatives in shape parameters (t's df,
gamma's a, beta's a and b, chi2's df) are series this table does not implement: an argument carrying a
derivative there is refused (NoDerivativeError). A frozen distribution passed in as an argument (made
outside the function) is not seen through: its parameters are constants there. Outside the support (e.g. x < loc for gamma) logpdf is
-inf and the derivatives are not defined.
"""
import numpy as np
import scipy.special as sps
from scipy.stats import beta, cauchy, chi2, expon, gamma, laplace, logistic, norm, t

from . import FUNCTIONS, ans, elementwise, real_only

# Each template's signature is the method's: (x, shape parameters..., loc=0, scale=1).


@elementwise(norm.logpdf)
def norm_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -z
    return psi / scale, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(norm.pdf)
def norm_pdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -z
    return ans * psi / scale, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(norm.cdf)
def norm_cdf(x, loc=0.0, scale=1.0):
    p = norm.pdf(x, loc, scale)
    return p, -p, -p * (x - loc) / scale


@elementwise(norm.logcdf)
def norm_logcdf(x, loc=0.0, scale=1.0):
    p = np.exp(norm.logpdf(x, loc, scale) - ans)
    return p, -p, -p * (x - loc) / scale


@elementwise(norm.sf)
def norm_sf(x, loc=0.0, scale=1.0):
    p = norm.pdf(x, loc, scale)
    return -p, p, p * (x - loc) / scale


@elementwise(norm.logsf)
def norm_logsf(x, loc=0.0, scale=1.0):
    p = np.exp(norm.logpdf(x, loc, scale) - ans)
    return -p, p, p * (x - loc) / scale


@elementwise(t.logpdf)
def t_logpdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -(df + 1.0) * z / (df + z ** 2)
    dlog_df = 0.5 * (sps.digamma(0.5 * (df + 1.0)) - sps.digamma(0.5 * df) - 1.0 / df - np.log1p(z ** 2 / df)
               + (df + 1.0) * z ** 2 / (df * (df + z ** 2)))
    return psi / scale, dlog_df, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(t.pdf)
def t_pdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -(df + 1.0) * z / (df + z ** 2)
    dlog_df = 0.5 * (sps.digamma(0.5 * (df + 1.0)) - sps.digamma(0.5 * df) - 1.0 / df - np.log1p(z ** 2 / df)
               + (df + 1.0) * z ** 2 / (df * (df + z ** 2)))
    return ans * psi / scale, ans * dlog_df, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(t.cdf)
def t_cdf(x, df, loc=0.0, scale=1.0):
    p = t.pdf(x, df, loc, scale)
    return p, None, -p, -p * (x - loc) / scale


@elementwise(t.logcdf)
def t_logcdf(x, df, loc=0.0, scale=1.0):
    p = np.exp(t.logpdf(x, df, loc, scale) - ans)
    return p, None, -p, -p * (x - loc) / scale


@elementwise(t.sf)
def t_sf(x, df, loc=0.0, scale=1.0):
    p = t.pdf(x, df, loc, scale)
    return -p, None, p, p * (x - loc) / scale


@elementwise(t.logsf)
def t_logsf(x, df, loc=0.0, scale=1.0):
    p = np.exp(t.logpdf(x, df, loc, scale) - ans)
    return -p, None, p, p * (x - loc) / scale


@elementwise(gamma.logpdf)
def gamma_logpdf(x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = (a - 1.0) / z - 1.0
    dlog_a = np.log(z) - sps.digamma(a)
    return psi / scale, dlog_a, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(gamma.pdf)
def gamma_pdf(x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = (a - 1.0) / z - 1.0
    dlog_a = np.log(z) - sps.digamma(a)
    return ans * psi / scale, ans * dlog_a, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(gamma.cdf)
def gamma_cdf(x, a, loc=0.0, scale=1.0):
    p = gamma.pdf(x, a, loc, scale)
    return p, None, -p, -p * (x - loc) / scale


@elementwise(gamma.logcdf)
def gamma_logcdf(x, a, loc=0.0, scale=1.0):
    p = np.exp(gamma.logpdf(x, a, loc, scale) - ans)
    return p, None, -p, -p * (x - loc) / scale


@elementwise(gamma.sf)
def gamma_sf(x, a, loc=0.0, scale=1.0):
    p = gamma.pdf(x, a, loc, scale)
    return -p, None, p, p * (x - loc) / scale


@elementwise(gamma.logsf)
def gamma_logsf(x, a, loc=0.0, scale=1.0):
    p = np.exp(gamma.logpdf(x, a, loc, scale) - ans)
    return -p, None, p, p * (x - loc) / scale


@elementwise(beta.logpdf)
def beta_logpdf(x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    dlog_a = np.log(z) - sps.digamma(a) + sps.digamma(a + b)
    dlog_b = np.log1p(-z) - sps.digamma(b) + sps.digamma(a + b)
    return psi / scale, dlog_a, dlog_b, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(beta.pdf)
def beta_pdf(x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    dlog_a = np.log(z) - sps.digamma(a) + sps.digamma(a + b)
    dlog_b = np.log1p(-z) - sps.digamma(b) + sps.digamma(a + b)
    return ans * psi / scale, ans * dlog_a, ans * dlog_b, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(beta.cdf)
def beta_cdf(x, a, b, loc=0.0, scale=1.0):
    p = beta.pdf(x, a, b, loc, scale)
    return p, None, None, -p, -p * (x - loc) / scale


@elementwise(beta.logcdf)
def beta_logcdf(x, a, b, loc=0.0, scale=1.0):
    p = np.exp(beta.logpdf(x, a, b, loc, scale) - ans)
    return p, None, None, -p, -p * (x - loc) / scale


@elementwise(beta.sf)
def beta_sf(x, a, b, loc=0.0, scale=1.0):
    p = beta.pdf(x, a, b, loc, scale)
    return -p, None, None, p, p * (x - loc) / scale


@elementwise(beta.logsf)
def beta_logsf(x, a, b, loc=0.0, scale=1.0):
    p = np.exp(beta.logpdf(x, a, b, loc, scale) - ans)
    return -p, None, None, p, p * (x - loc) / scale


@elementwise(chi2.logpdf)
def chi2_logpdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = (0.5 * df - 1.0) / z - 0.5
    dlog_df = 0.5 * (np.log(0.5 * z) - sps.digamma(0.5 * df))
    return psi / scale, dlog_df, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(chi2.pdf)
def chi2_pdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = (0.5 * df - 1.0) / z - 0.5
    dlog_df = 0.5 * (np.log(0.5 * z) - sps.digamma(0.5 * df))
    return ans * psi / scale, ans * dlog_df, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(chi2.cdf)
def chi2_cdf(x, df, loc=0.0, scale=1.0):
    p = chi2.pdf(x, df, loc, scale)
    return p, None, -p, -p * (x - loc) / scale


@elementwise(chi2.logcdf)
def chi2_logcdf(x, df, loc=0.0, scale=1.0):
    p = np.exp(chi2.logpdf(x, df, loc, scale) - ans)
    return p, None, -p, -p * (x - loc) / scale


@elementwise(chi2.sf)
def chi2_sf(x, df, loc=0.0, scale=1.0):
    p = chi2.pdf(x, df, loc, scale)
    return -p, None, p, p * (x - loc) / scale


@elementwise(chi2.logsf)
def chi2_logsf(x, df, loc=0.0, scale=1.0):
    p = np.exp(chi2.logpdf(x, df, loc, scale) - ans)
    return -p, None, p, p * (x - loc) / scale


@elementwise(expon.logpdf)
def expon_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -1.0
    return psi / scale, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(expon.pdf)
def expon_pdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -1.0
    return ans * psi / scale, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(expon.cdf)
def expon_cdf(x, loc=0.0, scale=1.0):
    p = expon.pdf(x, loc, scale)
    return p, -p, -p * (x - loc) / scale


@elementwise(expon.logcdf)
def expon_logcdf(x, loc=0.0, scale=1.0):
    p = np.exp(expon.logpdf(x, loc, scale) - ans)
    return p, -p, -p * (x - loc) / scale


@elementwise(expon.sf)
def expon_sf(x, loc=0.0, scale=1.0):
    p = expon.pdf(x, loc, scale)
    return -p, p, p * (x - loc) / scale


@elementwise(expon.logsf)
def expon_logsf(x, loc=0.0, scale=1.0):
    p = np.exp(expon.logpdf(x, loc, scale) - ans)
    return -p, p, p * (x - loc) / scale


@elementwise(laplace.logpdf)
def laplace_logpdf(x, loc=0.0, scale=1.0):
    """sign(0) = 0 at the kink x = loc."""
    z = (x - loc) / scale
    psi = -np.sign(z)
    return psi / scale, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(laplace.pdf)
def laplace_pdf(x, loc=0.0, scale=1.0):
    """sign(0) = 0 at the kink x = loc."""
    z = (x - loc) / scale
    psi = -np.sign(z)
    return ans * psi / scale, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(laplace.cdf)
def laplace_cdf(x, loc=0.0, scale=1.0):
    """sign(0) = 0 at the kink x = loc."""
    p = laplace.pdf(x, loc, scale)
    return p, -p, -p * (x - loc) / scale


@elementwise(laplace.logcdf)
def laplace_logcdf(x, loc=0.0, scale=1.0):
    """sign(0) = 0 at the kink x = loc."""
    p = np.exp(laplace.logpdf(x, loc, scale) - ans)
    return p, -p, -p * (x - loc) / scale


@elementwise(laplace.sf)
def laplace_sf(x, loc=0.0, scale=1.0):
    """sign(0) = 0 at the kink x = loc."""
    p = laplace.pdf(x, loc, scale)
    return -p, p, p * (x - loc) / scale


@elementwise(laplace.logsf)
def laplace_logsf(x, loc=0.0, scale=1.0):
    """sign(0) = 0 at the kink x = loc."""
    p = np.exp(laplace.logpdf(x, loc, scale) - ans)
    return -p, p, p * (x - loc) / scale


@elementwise(cauchy.logpdf)
def cauchy_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -2.0 * z / (1.0 + z ** 2)
    return psi / scale, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(cauchy.pdf)
def cauchy_pdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = -2.0 * z / (1.0 + z ** 2)
    return ans * psi / scale, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(cauchy.cdf)
def cauchy_cdf(x, loc=0.0, scale=1.0):
    p = cauchy.pdf(x, loc, scale)
    return p, -p, -p * (x - loc) / scale


@elementwise(cauchy.logcdf)
def cauchy_logcdf(x, loc=0.0, scale=1.0):
    p = np.exp(cauchy.logpdf(x, loc, scale) - ans)
    return p, -p, -p * (x - loc) / scale


@elementwise(cauchy.sf)
def cauchy_sf(x, loc=0.0, scale=1.0):
    p = cauchy.pdf(x, loc, scale)
    return -p, p, p * (x - loc) / scale


@elementwise(cauchy.logsf)
def cauchy_logsf(x, loc=0.0, scale=1.0):
    p = np.exp(cauchy.logpdf(x, loc, scale) - ans)
    return -p, p, p * (x - loc) / scale


@elementwise(logistic.logpdf)
def logistic_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = 1.0 - 2.0 * sps.expit(z)
    return psi / scale, -psi / scale, -(1.0 + z * psi) / scale


@elementwise(logistic.pdf)
def logistic_pdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    psi = 1.0 - 2.0 * sps.expit(z)
    return ans * psi / scale, -ans * psi / scale, -ans * (1.0 + z * psi) / scale


@elementwise(logistic.cdf)
def logistic_cdf(x, loc=0.0, scale=1.0):
    p = logistic.pdf(x, loc, scale)
    return p, -p, -p * (x - loc) / scale


@elementwise(logistic.logcdf)
def logistic_logcdf(x, loc=0.0, scale=1.0):
    p = np.exp(logistic.logpdf(x, loc, scale) - ans)
    return p, -p, -p * (x - loc) / scale


@elementwise(logistic.sf)
def logistic_sf(x, loc=0.0, scale=1.0):
    p = logistic.pdf(x, loc, scale)
    return -p, p, p * (x - loc) / scale


@elementwise(logistic.logsf)
def logistic_logsf(x, loc=0.0, scale=1.0):
    p = np.exp(logistic.logpdf(x, loc, scale) - ans)
    return -p, p, p * (x - loc) / scale

# Probability distributions and ODE solutions are differentiated for real operands only.
real_only("it is differentiated for real operands only",
          *[f for f, rule in FUNCTIONS.items() if rule.template.__module__ == __name__])
