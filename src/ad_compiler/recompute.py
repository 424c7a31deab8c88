"""What a derivative cannot run a second time and get the same values: random draws.

Checkpointing (`ad.checkpointed` loops, `ad.checkpoint` functions) runs code forward again in the adjoint sweep.
A random draw made again gives another number, so the adjoint would differentiate another realisation than
the one the forward sweep computed (silently wrong): such code is refused. A draw is a call of NumPy's or
Python's random functions (`np.random.normal`, `random.gauss`), a bound method of a generator
(`rng.normal` read as a global), a method of a generator (`rng.uniform(...)` on a Generator, RandomState or
random.Random, or any method named like a draw: arrays have none, the user's methods are inlined), or a distribution's `rvs`.
"""
import random

import numpy as np

from . import ir, kinds as K

GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator, random.Random)
DRAW_METHODS = {
    "normal", "standard_normal", "uniform", "random", "random_sample", "rand", "randn", "randint", "integers",
    "choice", "permutation", "permuted", "shuffle", "exponential", "standard_exponential", "gamma",
    "standard_gamma", "beta", "binomial", "poisson", "lognormal", "laplace", "logistic", "gumbel",
    "multivariate_normal", "dirichlet", "multinomial", "chisquare", "standard_t", "standard_cauchy", "weibull",
    "pareto", "rayleigh", "vonmises", "wald", "triangular", "geometric", "hypergeometric", "negative_binomial",
    "bytes", "rvs", "gauss", "normalvariate", "random_integers", "seed", "set_state", "bit_generator", "spawn",
    # (every other method of a Generator, RandomState, random.Random or bit generator that draws or moves the
    # state: a value of unknown kind, `prs[0].expovariate(1.0)`, unused, was removed, h28c-001)
    "f", "noncentral_chisquare", "noncentral_f", "zipf", "power", "logseries", "multivariate_hypergeometric",
    "tomaxint", "ranf", "sample", "randrange", "choices", "getrandbits", "randbytes", "betavariate",
    "expovariate", "gammavariate", "lognormvariate", "paretovariate", "vonmisesvariate", "weibullvariate",
    "binomialvariate", "setstate", "advance", "random_raw",
}


def draw_in(stmts, kinds):
    """The first statement of `stmts` (nested blocks included) that draws random numbers, or None."""
    for s in ir.walk(stmts):
        for e in _values(s):
            for call in ir.calls_in(e):
                if _draws(call, kinds):
                    return s
    return None


def _values(s):
    if isinstance(s, (ir.Assign, ir.ExprStmt)):
        return [s.value]
    return []




def _draws(call, kinds):
    f = call.func
    if isinstance(f, ir.Global):
        obj = f.obj
        module = getattr(obj, "__module__", None) or ""
        return module.startswith("numpy.random") or module == "random" or \
            isinstance(getattr(obj, "__self__", None), GENERATORS) or getattr(obj, "__name__", None) == "rvs"
    if isinstance(f, ir.Attr):
        k = kinds.get(f.value.name, K.UNKNOWN) if isinstance(f.value, ir.Var) else K.UNKNOWN
        if isinstance(k, K.Other) and isinstance(k.cls, type) and issubclass(k.cls, GENERATORS):
            return True
        if f.attr == "rvs":
            return True
        return f.attr in DRAW_METHODS  # (arrays, lists and dicts have no such methods; the user's are inlined)
    return False
