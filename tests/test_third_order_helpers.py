"""Third derivatives through the second-order helpers of prod, std, det, cumprod and np.linalg.norm (issue 9):
the rules of prod_vjp_jvp, std_vjp_jvp, adjugate_vjp, adjugate_jvp, cumprod_vjp_jvp and norm_partial_jvp
(rules/helpers.py) and the third-order helpers they call (runtime_third.py).

- each rule, reverse and forward, against central differences of its helper (a function calling the helper
  directly, differentiated in every argument, along axes, with keepdims and ddof, at zero entries);
- each third-order helper against central differences of the second-order helper it differentiates, and the
  symmetry of its two directions; the transposes (adjugate_vjp / adjugate_jvp, the Hessians applied to a
  direction) by the dot-product identity <L v, h> = <v, L^T h>;
- ad.grad three times over user functions against central differences of the second derivative;
- a fifth derivative of prod, and a p-norm's third derivative where it does not exist, are refused (an ad.ADError)."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import runtime as _ad

EPS = 1e-6
RNG = np.random.default_rng(11)
W34 = np.cos(np.arange(12.0)).reshape(3, 4)
X_ZERO = np.array([[0.5, 0.0, -1.2, 2.0], [0.0, 0.0, 1.5, -0.7], [1.1, 0.9, -0.4, 0.3]])  # (zeros: products exact)


def close(got, expected):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=1e-6,
                               atol=1e-7 * scale)


def moved(args, i, u, eps):
    out = list(args)
    out[i] = args[i] + eps * u
    return out


def check_rule(h, args, wrt):
    """ad.grad(h) and ad.jvp(h) against central differences of h, along a random direction per argument."""
    grads = ad.grad(h, wrt=wrt)(*args)
    dirs = {i: RNG.standard_normal(np.shape(args[i])) for i in wrt}
    for k, i in enumerate(wrt):
        fd = (h(*moved(args, i, dirs[i], EPS)) - h(*moved(args, i, dirs[i], -EPS))) / (2 * EPS)
        close(np.sum(grads[k] * dirs[i]), fd)
    tangents = [dirs[i] if i in dirs else np.zeros(np.shape(a)) for i, a in enumerate(args)]
    _, tangent = ad.jvp(h, wrt=wrt)(*args, tuple(tangents[i] for i in wrt))
    up, down = list(args), list(args)
    for i in wrt:
        up[i], down[i] = args[i] + EPS * dirs[i], args[i] - EPS * dirs[i]
    close(tangent, (h(*up) - h(*down)) / (2 * EPS))


# -- the rules, against differences of their helpers -------------------------------------------------------------
def h_prod_axis(w, tw, x, tx):
    return np.sum(np.sin(_ad.prod_vjp_jvp(w, tw, x, tx, 1, False)) * W34)


def h_prod_keep(w, tw, x, tx):
    return np.sum(np.sin(_ad.prod_vjp_jvp(w, tw, x, tx, 0, True)) * W34)


def h_prod_all(w, tw, x, tx):
    return np.sum(np.sin(_ad.prod_vjp_jvp(w, tw, x, tx)) * W34)


def h_std(w, tw, x, tx, s, ts):
    return np.sum(np.sin(_ad.std_vjp_jvp(w, tw, x, tx, s, ts, 0, 1, False)) * W34)


def h_std_all(w, tw, x, tx, s, ts):
    return np.sum(np.sin(_ad.std_vjp_jvp(w, tw, x, tx, s, ts)) * W34)


def h_cumprod(w, tw, a, ta):
    return np.sum(np.sin(_ad.cumprod_vjp_jvp(w, tw, a, ta, 1)) * W34)


def h_cumprod_flat(w, tw, a, ta):
    return np.sum(np.sin(_ad.cumprod_vjp_jvp(w, tw, a, ta)) * W34)


def h_adjugate_vjp(v, a):
    return np.sum(np.sin(_ad.adjugate_vjp(v, a)) * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


def h_adjugate_jvp(a, t):
    return np.sum(np.sin(_ad.adjugate_jvp(a, t)) * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


def h_norm_rows(x, t):
    return np.sum(np.sin(_ad.norm_partial_jvp(x, t, np.linalg.norm(x, axis=1), None, 1, False)) * W34)


def h_norm_fro(x, t):
    return np.sum(np.sin(_ad.norm_partial_jvp(x, t, np.linalg.norm(x))) * W34)


def h_norm_one(x, t):
    return np.sum(np.sin(_ad.norm_partial_jvp(x, t, np.linalg.norm(x, 1, 0), 1, 0)) * W34)


def n(*shape):
    return RNG.standard_normal(shape)


def r(*shape):  # (positive entries: std's s)
    return 0.5 + RNG.random(shape)


RULES = [
    ("prod axis", h_prod_axis, [n(3), n(3), n(3, 4), n(3, 4)]),
    ("prod at zeros", h_prod_axis, [n(3), n(3), X_ZERO, n(3, 4)]),
    ("prod keepdims", h_prod_keep, [n(1, 4), n(1, 4), X_ZERO.T.reshape(3, 4), n(3, 4)]),
    ("prod of all", h_prod_all, [1.3, -0.4, X_ZERO, n(3, 4)]),
    ("std ddof", h_std, [n(4), n(4), n(3, 4), n(3, 4), r(4), n(4)]),
    ("std of all", h_std_all, [0.7, -1.1, n(3, 4), n(3, 4), 1.3, 0.4]),
    ("cumprod axis", h_cumprod, [n(3, 4), n(3, 4), n(3, 4), n(3, 4)]),
    ("cumprod at zeros", h_cumprod, [n(3, 4), n(3, 4), X_ZERO, n(3, 4)]),
    ("cumprod flat", h_cumprod_flat, [n(12), n(12), n(3, 4), n(3, 4)]),
    ("adjugate_vjp 3x3", h_adjugate_vjp, [n(3, 3), n(3, 3) + 2 * np.eye(3)]),
    ("adjugate_vjp 4x4 stack", h_adjugate_vjp, [n(2, 4, 4), n(2, 4, 4) + 3 * np.eye(4)]),
    ("adjugate_vjp 2x2", h_adjugate_vjp, [n(2, 2), n(2, 2)]),
    ("adjugate_jvp 3x3", h_adjugate_jvp, [n(3, 3) + 2 * np.eye(3), n(3, 3)]),
    ("norm rows", h_norm_rows, [n(3, 4), n(3, 4)]),
    ("norm fro", h_norm_fro, [n(3, 4), n(3, 4)]),
    ("norm ord 1", h_norm_one, [n(3, 4), n(3, 4)]),
]


@pytest.mark.parametrize("h, args", [r_[1:] for r_ in RULES], ids=[r_[0] for r_ in RULES])
def test_rule_against_differences(h, args):
    check_rule(h, args, tuple(range(len(args))))


# -- the third-order helpers, against differences of the second-order ones ---------------------------------------
def fd_along(fn, x, u):
    return (fn(x + EPS * u) - fn(x - EPS * u)) / (2 * EPS)


def test_third_order_helpers_against_differences():
    w, x, p, q = n(3), X_ZERO, n(3, 4), n(3, 4)
    close(_ad.prod_vjp_hvp(w, x, p, q, 1), fd_along(lambda y: _ad.prod_vjp_jvp(w, 0 * w, y, p, 1), x, q))
    close(_ad.prod_vjp_hvp(1.5, x, p, q), fd_along(lambda y: _ad.prod_vjp_jvp(1.5, 0.0, y, p), x, q))
    v = n(3, 4)
    close(_ad.cumprod_vjp_hvp(v, x, p, q, 1), fd_along(lambda y: _ad.cumprod_vjp_jvp(v, 0 * v, y, p, 1), x, q))
    v12 = n(12)
    close(_ad.cumprod_vjp_hvp(v12, x, p, q), fd_along(lambda y: _ad.cumprod_vjp_jvp(v12, 0 * v12, y, p), x, q))
    a, v3, t3 = n(2, 4, 4) + 3 * np.eye(4), n(2, 4, 4), n(2, 4, 4)
    close(_ad.adjugate_vjp_jvp(v3, a, t3), fd_along(lambda y: _ad.adjugate_vjp(v3, y), a, t3))
    for ord_, axis in ((None, 1), (None, None), ("fro", None), (2, 0)):
        def second(y, ord_=ord_, axis=axis):
            return _ad.norm_partial_jvp(y, p, np.linalg.norm(y, ord_, axis), ord_, axis)
        close(_ad.norm_partial_hvp(x + 0.1, p, q, np.linalg.norm(x + 0.1, ord_, axis), ord_, axis),
              fd_along(second, x + 0.1, q))


def test_symmetries_and_transposes():
    """The third derivatives are symmetric in their two directions; the second-order helpers' rules use the
    Hessians' symmetry (their adjoint in the direction is the helper again) and adjugate_vjp's transpose."""
    w, x, p, q = n(3), X_ZERO, n(3, 4), n(3, 4)
    close(_ad.prod_vjp_hvp(w, x, p, q, 1), _ad.prod_vjp_hvp(w, x, q, p, 1))
    close(_ad.cumprod_vjp_hvp(p, x, q, w[:, None] + q, 1), _ad.cumprod_vjp_hvp(p, x, w[:, None] + q, q, 1))
    close(np.sum(_ad.prod_vjp_jvp(w, 0 * w, x, p, 1) * q), np.sum(p * _ad.prod_vjp_jvp(w, 0 * w, x, q, 1)))
    close(np.sum(_ad.cumprod_vjp_jvp(p, 0 * p, x, q, 1) * w[:, None]),
          np.sum(q * _ad.cumprod_vjp_jvp(p, 0 * p, x, np.broadcast_to(w[:, None], (3, 4)), 1)))
    a, v, t, h = n(4, 4) + 3 * np.eye(4), n(4, 4), n(4, 4), n(4, 4)
    close(np.sum(_ad.adjugate_vjp(v, a) * t), np.sum(v * _ad.adjugate_jvp(a, t)))
    close(np.sum(_ad.adjugate_vjp_jvp(v, a, t) * h), np.sum(_ad.adjugate_vjp_jvp(v, a, h) * t))
    close(_ad.norm_partial_hvp(x, p, q, np.linalg.norm(x, axis=1), None, 1),
          _ad.norm_partial_hvp(x, q, p, np.linalg.norm(x, axis=1), None, 1))
    y, s = n(3, 4), r(4)  # (linear maps whose adjoints the rules write: <L v, h> = <v, L^T h>)
    close(np.sum(_ad.std_vjp_jvp(s, 0 * s, y, p, s, 0 * s, 0, 1) * q), np.sum(p * _ad.std_vjp_jvp(s, 0 * s, y, q, s, 0 * s, 0, 1)))
    close(np.sum(_ad.cumprod_vjp(p, y, 1) * q), np.sum(p * _ad.cumprod_jvp(q, y, 1)))
    close(np.sum(_ad.norm_partial_jvp(y, p, np.linalg.norm(y, axis=1), None, 1) * q),
          np.sum(p * _ad.norm_partial_jvp(y, q, np.linalg.norm(y, axis=1), None, 1)))


# -- three times ad.grad over user functions ---------------------------------------------------------------------
def f_prod(x):
    return np.sum(np.sin(np.prod(x, axis=0, keepdims=True)))


def f_std(x):
    return np.sum(np.sin(np.std(x, axis=1, ddof=1)))


def f_det(x):
    return np.sin(np.linalg.det(x))


def f_cumprod(x):
    return np.sum(np.sin(np.cumprod(x, axis=0)))


def f_norm(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=1)))


@pytest.mark.parametrize("f, x", [(f_prod, X_ZERO), (f_std, n(3, 4)), (f_det, n(4, 4) + 2 * np.eye(4)),
                                  (f_cumprod, X_ZERO), (f_norm, n(3, 4))],
                         ids=["prod", "std", "det", "cumprod", "norm"])
def test_grad_three_times(f, x):
    first = ad.grad(f)
    v, u, s = n(*x.shape), n(*x.shape), n(*x.shape)

    def d(y, v):
        return np.sum(first(y) * v)

    second = ad.grad(d)

    def e(y, v, u):
        return np.sum(second(y, v) * u)

    got = ad.grad(e)(x, v, u)
    close(np.sum(got * s), np.sum(fd_along(lambda y: second(y, v), x, s) * u))


# -- refused, never wrong ------------------------------------------------------------------------------------------
def h_norm_two_and_half(x, t):
    return np.sum(np.sin(_ad.norm_partial_jvp(x, t, np.linalg.norm(x, 2.5, 1), 2.5, 1)) * W34)


def h_prod_d3(w, x, a, b, c):
    return np.sum(np.sin(_ad.prod_vjp_d3(w, x, a, b, c, 1)) * W34)


def test_refused():
    """The third derivative of a p-norm with p < 3 does not exist at an entry 0: refused when it runs (test_modes9
    checks it elsewhere); a fifth derivative of prod: prod_vjp_d3 has no rule, refused when compiling."""
    with pytest.raises(ad.ADError, match="does not exist at an entry 0"):
        ad.grad(h_norm_two_and_half)(X_ZERO, n(3, 4))
    with pytest.raises(ad.ADError):
        ad.grad(h_prod_d3, wrt=1)(n(3), n(3, 4), n(3, 4), n(3, 4), n(3, 4))
