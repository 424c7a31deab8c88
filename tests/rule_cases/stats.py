"""Call shapes of the scipy.stats rules (rules/stats.py, rules/stats_multi.py; only with SciPy)."""
import numpy as np  # noqa: F401
import scipy.stats  # noqa: F401  (skipped by collect() without SciPy)

from . import C, F, away0, normal, uniform
from .linalg import spd

POS = uniform(0.3, 3.0)
SHAPE = uniform(1.5, 4.0)
UNIT = uniform(0.1, 0.9)
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")

# distribution -> (sampler of x, samplers of the shape parameters, loc sampler, scale sampler)
CONTINUOUS = {
    "norm": (normal, (), normal, POS),
    "t": (normal, (SHAPE,), normal, POS),
    "gamma": (POS, (SHAPE,), uniform(-0.3, 0.2), uniform(0.5, 2.0)),
    "beta": (UNIT, (SHAPE, SHAPE), uniform(-0.05, 0.05), uniform(1.1, 1.5)),
    "chi2": (POS, (uniform(2.5, 6.0),), uniform(-0.3, 0.2), uniform(0.5, 2.0)),
    "expon": (POS, (), uniform(-0.5, 0.2), POS),
    "laplace": (away0, (), uniform(-0.1, 0.1), POS),
    "cauchy": (normal, (), normal, POS),
    "logistic": (normal, (), normal, POS),
}


def _continuous(name, method):
    x, shapes, loc, scale = CONTINUOUS[name]
    cdf_like = method not in ("logpdf", "pdf")
    params = "bcd"[:len(shapes)]
    if cdf_like:  # shape parameters are constants for the cdf family (their derivative is refused)
        consts = ", ".join(["2.5"] * len(shapes))
        call = f"stats.{name}.{method}(a{', ' + consts if shapes else ''}, b, c)"
        full = C(call, (2, 3), F, F, dom=(x, loc, scale))
        kw = C(f"stats.{name}.{method}(a{', ' + consts if shapes else ''}, loc=b, scale=c)", (3,), (3,), (), dom=(x, loc, scale))
        return [full, kw]
    call = f"stats.{name}.{method}(a, {', '.join(params) + ', ' if shapes else ''}{'bcd'[len(shapes)]}, {'bcde'[len(shapes) + 1]})"
    full = C(call, (2, 3), *([F] * len(shapes)), F, F, dom=(x, *shapes, loc, scale))
    only_x = C(f"stats.{name}.{method}(a{', 2.5' * len(shapes)})", (4,), dom=(x,))
    return [full, only_x]


CASES = {f"scipy.stats.{n}.{m}": _continuous(n, m) for n in CONTINUOUS for m in METHODS}
KS = "np.array([0.0, 1.0, 3.0, 2.0])"
CASES.update({
    f"scipy.stats.poisson.{m}": [C(f"stats.poisson.{m}({KS}, a)", (4,), dom=POS), C(f"stats.poisson.{m}(2.0, a)", F, dom=POS)]
    for m in ("logpmf", "pmf", "cdf", "sf", "logcdf", "logsf")
})
SIMPLEX = "e = np.exp(a)\nx = e / np.sum(e, axis=0)\nr = stats.dirichlet.{}(x, b)"
CASES.update({
    "scipy.stats.dirichlet.logpdf": [C(SIMPLEX.format("logpdf"), (3,), (3,), dom=(normal, POS), label="dirichlet.logpdf(softmax(a), b)"),
                                     C(SIMPLEX.format("logpdf"), (3, 4), (3,), dom=(normal, POS),
                                       label="dirichlet.logpdf(softmax(a, axis=0), b) (3x4)")],
    "scipy.stats.dirichlet.pdf": [C(SIMPLEX.format("pdf"), (3,), (3,), dom=(normal, POS), label="dirichlet.pdf(softmax(a), b)")],
    "scipy.stats.multivariate_normal.logpdf": [
        C("stats.multivariate_normal.logpdf(a, b, c)", (3,), (3,), (3, 3), dom=(normal, normal, spd)),
        C("stats.multivariate_normal.logpdf(a, b, c)", (4, 3), (3,), (3, 3), dom=(normal, normal, spd)),
        C("stats.multivariate_normal.logpdf(a, np.zeros(2), b)", (4, 2), F, dom=(normal, POS)),
        C("stats.multivariate_normal.logpdf(a, b, c)", (3, 2), (2,), (2,), dom=(normal, normal, POS))],
    "scipy.stats.multivariate_normal.pdf": [
        C("stats.multivariate_normal.pdf(a, b, c)", (3,), (3,), (3, 3), dom=(uniform(-0.5, 0.5), normal, spd)),
        C("stats.multivariate_normal.pdf(a, mean=b)", (4, 2), (2,))],
    "scipy.stats.multivariate_normal.entropy": [C("stats.multivariate_normal.entropy(cov=a)", (3, 3), dom=spd),
                                                C("stats.multivariate_normal.entropy(np.zeros(3), a)", (3,), dom=POS),
                                                C("stats.multivariate_normal.entropy(cov=a)", F, dom=POS)],
})
# frozen distributions: `dist(params).method(x)` is differentiated by the rule of `dist.method(x, params)`
FROZEN = {
    "scipy.stats.norm.logpdf": C("stats.norm(b, c).logpdf(a)", (2, 3), F, F, dom=(normal, normal, POS)),
    "scipy.stats.norm.cdf": C("d = stats.norm(loc=b, scale=c)\nr = d.cdf(a) * d.sf(a)", (3,), F, F,
                              dom=(normal, normal, POS), label="d = stats.norm(loc=b, scale=c); d.cdf(a) * d.sf(a)"),
    "scipy.stats.gamma.logpdf": C("stats.gamma(b, scale=c).logpdf(a)", (3,), F, F, dom=(POS, SHAPE, POS)),
    "scipy.stats.t.pdf": C("stats.t(b).pdf(a)", (3,), F, dom=(normal, SHAPE)),
    "scipy.stats.poisson.logpmf": C(f"stats.poisson(a).logpmf({KS})", F, dom=POS),
    "scipy.stats.dirichlet.logpdf": C("e = np.exp(a)\nr = stats.dirichlet(b).logpdf(e / np.sum(e))", (3,), (3,),
                                      dom=(normal, POS), label="stats.dirichlet(b).logpdf(softmax(a))"),
    "scipy.stats.multivariate_normal.logpdf": C("stats.multivariate_normal(b, c).logpdf(a)", (4, 2), (2,), (2, 2),
                                                dom=(normal, normal, spd)),
    "scipy.stats.multivariate_normal.entropy": C("stats.multivariate_normal(cov=a).entropy()", (2, 2), dom=spd),
}
for _name, _case in FROZEN.items():
    CASES[_name] = CASES[_name] + [_case]
DOMAINS = {}
