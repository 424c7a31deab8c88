"""Call shapes of the scipy.special rules (only when SciPy is installed)."""
import scipy.special  # noqa: F401  (skipped by collect() without SciPy)

from . import X3, C, F, Joint, _finish, _shape, normal, uniform

POS = uniform(0.3, 3.0)
UNIT = uniform(0.05, 0.95)


def _unary(name, dom=None, specs=((2, 3), (), F)):
    return [C(f"sps.{name}(a)", s, dom=dom) for s in specs]


def _ordered(name, orders, dom):
    """sps.<name>(order, a): integer and real orders, an array of orders broadcast against a."""
    out = [C(f"sps.{name}({n}, a)", (2, 3), dom=dom) for n in orders]
    return out + [C(f"sps.{name}(np.array([0, 1, 2]), a)", (2, 1), dom=dom), C(f"sps.{name}({orders[0]}, a)", F, dom=dom)]


@Joint
def entropy_pair(rng, specs):
    """x >= 0 with some exact zeros (the 0 log 0 = 0 convention), y > 0."""
    sa, rest = specs[0], specs[1:]
    x = rng.uniform(0.2, 2.0, _shape(sa))
    if x.ndim:
        x.flat[0] = 0.0
    return [_finish(x, sa)] + [uniform(0.3, 2.0)(rng, s) for s in rest]


DOMAINS = {
    "logit": UNIT, "erfinv": uniform(-0.9, 0.9), "erfcinv": uniform(0.1, 1.9), "ndtri": UNIT,
    "gamma": uniform(0.5, 3.0), "gammaln": uniform(0.3, 4.0), "digamma": uniform(0.3, 4.0),
    "polygamma": POS, "multigammaln": uniform(2.0, 4.0), "beta": POS, "betaln": POS,
    "gammainc": POS, "gammaincc": POS, "exp1": POS, "expi": POS, "entr": POS,
    "xlogy": entropy_pair, "xlog1py": entropy_pair, "rel_entr": POS,
    "y0": POS, "y1": POS, "yn": POS, "yv": POS, "k0": POS, "k1": POS, "kv": POS, "kve": POS,
    "i0e": uniform(0.2, 3.0), "i1e": uniform(0.2, 3.0), "ive": uniform(0.2, 3.0),
}

BIN = [((2, 3), (2, 3)), ((2, 3), (3,)), (F, F), ((), (2,))]

CASES = {
    **{f"scipy.special.{n}": _unary(n) for n in ("expit", "log_expit", "erf", "erfc", "erfcx", "erfi", "dawsn",
                                                 "ndtr", "log_ndtr", "j0", "j1", "i0", "i1")},
    **{f"scipy.special.{n}": _unary(n) for n in ("logit", "erfinv", "erfcinv", "ndtri", "gamma", "gammaln",
                                                 "exp1", "expi", "entr", "y0", "y1", "k0", "k1", "i0e", "i1e")},
    "scipy.special.psi": _unary("digamma") + [C("sps.psi(a)", (3,))],
    "scipy.special.polygamma": [C("sps.polygamma(1, a)", (2, 3)), C("sps.polygamma(np.array([0, 2]), a)", (3, 2)),
                                C("sps.polygamma(0, a)", F)],
    "scipy.special.multigammaln": [C("sps.multigammaln(a, 3)", F), C("sps.multigammaln(a, 2)", (3,))],
    "scipy.special.beta": [C("sps.beta(a, b)", sa, sb) for sa, sb in BIN],
    "scipy.special.betaln": [C("sps.betaln(a, b)", sa, sb) for sa, sb in BIN],
    "scipy.special.gammainc": [C("sps.gammainc(1.5, a)", (2, 3)), C("sps.gammainc(np.array([0.5, 2.0, 3.0]), a)", (2, 3)),
                               C("sps.gammainc(a, b)", F, F, wrt="b")],
    "scipy.special.gammaincc": [C("sps.gammaincc(1.5, a)", (2, 3)), C("sps.gammaincc(a, b)", (3,), (), wrt="b")],
    "scipy.special.xlogy": [C("sps.xlogy(a, b)", sa, sb) for sa, sb in BIN[:2]] + [C("sps.xlogy(a, 2.0)", (3,))],
    "scipy.special.xlog1py": [C("sps.xlog1py(a, b)", sa, sb) for sa, sb in BIN[:2]],
    "scipy.special.rel_entr": [C("sps.rel_entr(a, b)", sa, sb) for sa, sb in BIN[:2]],
    "scipy.special.jv": _ordered("jv", (0, 1.5, 3), normal) + [C("sps.jn(2, a)", (3,))],
    "scipy.special.yn": [C("sps.yn(0, a)", (2, 3), dom=POS), C("sps.yn(2, a)", (3,), dom=POS),
                         C("sps.yn(np.array([0, 1, 2]), a)", (2, 1), dom=POS)],
    "scipy.special.yv": _ordered("yv", (0, 1.5, 3), POS),
    "scipy.special.iv": _ordered("iv", (0, 1.5, 3), normal),
    "scipy.special.ive": _ordered("ive", (0, 1.5, 3), uniform(0.2, 3.0)),
    "scipy.special.kv": _ordered("kv", (0, 1.5, 3), POS),
    "scipy.special.kve": _ordered("kve", (0, 1.5, 3), POS),
    "scipy.special.logsumexp": [C("sps.logsumexp(a)", X3), C("sps.logsumexp(a, axis=0)", X3),
                                C("sps.logsumexp(a, axis=-1, keepdims=True)", X3),
                                C("sps.logsumexp(a, axis=(0, 2))", X3), C("sps.logsumexp(a, b=b)", (3, 4), (3, 4), dom=(normal, POS)),
                                C("sps.logsumexp(a, axis=1, b=b)", (3, 4), (4,), dom=(normal, POS)),
                                C("sps.logsumexp(a, axis=-1, b=b, keepdims=True)", (3, 4), (3, 1), dom=(normal, POS)),
                                C("sps.logsumexp(a)", (5,))],
    "scipy.special.softmax": [C("sps.softmax(a)", (3, 4)), C("sps.softmax(a, axis=1)", (3, 4)),
                              C("sps.softmax(a, axis=-1)", X3), C("sps.softmax(a, axis=(0, 2))", X3)],
    "scipy.special.log_softmax": [C("sps.log_softmax(a)", (3, 4)), C("sps.log_softmax(a, axis=0)", (3, 4)),
                                  C("sps.log_softmax(a, axis=-1)", X3)],
}
