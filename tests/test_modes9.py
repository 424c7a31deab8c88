"""Issue 9, every mode at higher order: what the last note left (modes9).

1. A gradient (what `ad.grad` returned) called with arguments other than the function's parameters and
   constants (`grad_u(x * 2.0, p)`, a local variable) inside a function differentiated again: where compiling
   it for arguments of unknown kinds is refused, the kinds of those arguments are learned by the kinds pass
   (gradient_call_kinds.py) and the function compiled again, the gradient by forward sweeps where its
   reverse-mode code is refused (driver.Derivation.run).

Every check is against central differences: of the first-order gradient (second order) or of f itself (a
derivative inside a loss, then the loss's gradient).
"""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes

EPS = 1e-5


def close(got, expected, rtol=1e-5, atol=1e-6):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                               atol=atol * scale)


# -- 1. expression arguments of an inlined gradient --------------------------------------------------------------
def f_rows(W, x):
    A = W * 1.0
    for row in A:  # (rows changed in place: the gradient's code is refused without the kinds of W and x)
        row *= np.tanh(x)
    if x[0] > 0:
        A[0] += x[1] * A[1]
    return np.sum(np.sin(A) * x)


grad_rows = ad.grad(f_rows, wrt=("W", "x"))


def directional_of_expression(W, x, vW, vx):
    gW, gx = grad_rows(W * 2.0, x)
    return np.sum(gW * vW) + np.sum(gx * vx)


def directional_of_local(W, x, vW, vx):
    h = np.sin(x)
    gW, gx = grad_rows(W, h)
    return np.sum(gW * vW) + np.sum(gx * vx)


def _point(sign, seed=0):
    rng = np.random.default_rng(seed)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x[0] = sign * (abs(x[0]) + 0.1)
    return W, x, rng.standard_normal((3, 2)), rng.standard_normal(2)


def hessian_times(W, x, vW, vx):
    """(H v) at (W, x), H the Hessian of f_rows: central differences of its gradient along v."""
    hi, lo = grad_rows(W + EPS * vW, x + EPS * vx), grad_rows(W - EPS * vW, x - EPS * vx)
    return [(a - b) / (2 * EPS) for a, b in zip(hi, lo)]


@pytest.mark.parametrize("sign", [1, -1], ids=["branch-taken", "branch-not-taken"])
def test_second_order_through_an_expression_argument(sign):
    W, x, vW, vx = _point(sign)
    hW, hx = hessian_times(2.0 * W, x, vW, vx)  # (the gradient of <g(2W, x), v>: 2 (H v)_W and (H v)_x)
    got = ad.grad(directional_of_expression, wrt=("W", "x"))(W, x, vW, vx)
    close(got[0], 2.0 * hW)
    close(got[1], hx)


def test_second_order_through_a_local_variable():
    W, x, vW, vx = _point(1, seed=1)
    hW, hx = hessian_times(W, np.sin(x), vW, vx)
    d = ad.grad(directional_of_local, wrt=("W", "x"))
    got = d(W, x, vW, vx)
    close(got[0], hW)
    close(got[1], np.cos(x) * hx)
    assert "by forward sweeps" in d.source  # (the gradient's reverse-mode code is refused here)


# a derivative inside a loss, then the loss's gradient (physics-informed losses)
def u_rows(x, p):
    A = np.outer(p, x)
    for row in A:
        row *= np.tanh(x)
    return np.sum(np.sin(A)) + np.sum(x ** 2 * p[0])


du_rows = ad.grad(u_rows, wrt="x")


def residual_loss(p, xs):
    r = du_rows(xs * 2.0, p) - xs
    return np.sum(r ** 2)


def u_aux(x, p):
    A = np.outer(p, x)
    for row in A:
        row *= np.tanh(x)
    return np.sum(np.sin(A)), np.sum(A)


value_grad_aux = ad.value_and_grad(u_aux, wrt="x", has_aux=True)


def aux_loss(p, xs):
    h = xs * 1.5
    (v, aux), g = value_grad_aux(h, p)
    return v * aux + np.sum(g ** 2)


def scalar_u(t, p):
    A = np.outer(p, p) * t
    for row in A:
        row *= np.tanh(t)
    return np.sum(np.sin(A))


du_dt = ad.grad(scalar_u, wrt="t")


def scalar_loss(p, t):
    s = t * 2.0
    return du_dt(s, p) ** 2 + du_dt(t + 1.0, p)


@pytest.mark.parametrize("f, modes", [(residual_loss, ("hvp",)), (aux_loss, ("grad",)),
                                      (scalar_loss, ("grad", "jvp"))],
                         ids=["residual", "value_and_grad-has_aux", "numbers"])
def test_a_derivative_inside_a_loss(f, modes):
    rng = np.random.default_rng(2)
    p, xs = rng.standard_normal(4) * 0.5, rng.standard_normal(3)
    check_modes(f, (p, 0.3 if f is scalar_loss else xs), wrt=0, modes=modes)


def field(p, xs):
    h = xs * 2.0
    return du_rows(h, p) * p[1]


def test_jacobian_of_a_gradient_of_an_expression():
    rng = np.random.default_rng(3)
    p, xs = rng.standard_normal(4) * 0.5, rng.standard_normal(3)
    expected = np.stack([(field(p + EPS * e, xs) - field(p - EPS * e, xs)) / (2 * EPS) for e in np.eye(4)], axis=-1)
    close(ad.jacrev(field, wrt="p")(p, xs), expected)


def helper_of(v, p):
    return np.sum(du_rows(v * 1.0, p))


def mixed_kinds(p, xs):
    return helper_of(xs, p) + helper_of(xs[0], p)  # (one line, an array there and a number here)


def test_a_site_of_two_kinds_stays_refused():
    """The helper's line calls the gradient with an array and with a number: one kind cannot be learned for
    it, and the refusal stands (located in u_rows)."""
    p, xs = np.array([0.3, -0.2, 0.5, 0.1]), np.array([0.4, -0.6, 0.9])
    with pytest.raises(ad.ADError, match="row"):
        ad.grad(mixed_kinds)(p, xs)


# -- 2. third derivatives of the p-norms, the nuclear and spectral norms, and det at singular matrices ---------------
from ad_compiler import runtime as _ad  # noqa: E402

RNG = np.random.default_rng(9)
EPS3 = 1e-6


def along(fn, x, u):
    return (fn(x + EPS3 * u) - fn(x - EPS3 * u)) / (2 * EPS3)


NORMS = [(3, 1, (3, 4)), (2.5, 0, (3, 4)), (1.5, None, (5,)), (7, 1, (3, 4)), (-1.5, 1, (3, 4)),
         ("nuc", None, (3, 4)), ("nuc", None, (4, 3)), ("nuc", (0, 2), (3, 2, 4)), (2, None, (3, 4)),
         (2, (1, 2), (2, 3, 3)), (-2, None, (4, 3)), (-2, (0, 2), (3, 2, 4))]


@pytest.mark.parametrize("ord_, axis, shape", NORMS, ids=[f"{o}-{a}-{len(s)}d" for o, a, s in NORMS])
def test_norm_third_derivative_against_differences_of_the_second(ord_, axis, shape):
    x, p, q = RNG.standard_normal(shape), RNG.standard_normal(shape), RNG.standard_normal(shape)

    def second(y):
        return _ad.norm_partial_jvp(y, p, np.linalg.norm(y, ord_, axis), ord_, axis)

    got = _ad.norm_partial_hvp(x, p, q, np.linalg.norm(x, ord_, axis), ord_, axis)
    close(got, along(second, x, q))
    close(got, _ad.norm_partial_hvp(x, q, p, np.linalg.norm(x, ord_, axis), ord_, axis))  # (symmetric)


def test_nuclear_norm_third_derivative_at_equal_singular_values():
    """Divided differences: exact where singular values are equal (here all 2), against differences of the
    nuclear norm's gradient's tangent computed from the norm itself (second differences of the value)."""
    x = 2.0 * np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    p, q, r = (RNG.standard_normal((3, 3)) for _ in range(3))
    e = 1e-3  # (D3N[p, q, r] by a third-order central difference of N along p, q, r: exact to e^2)
    nuc = lambda y: np.linalg.norm(y, "nuc")  # noqa: E731
    third = sum(a * b * c * nuc(x + e * (a * p + b * q + c * r)) for a in (1, -1) for b in (1, -1) for c in (1, -1))
    third /= 8 * e ** 3
    got = np.sum(_ad.norm_partial_hvp(x, p, q, nuc(x), "nuc") * r)
    np.testing.assert_allclose(got, third, rtol=1e-4, atol=1e-6)


def test_norms_without_a_third_derivative_are_refused():
    with pytest.raises(ad.ADError, match="does not exist at an entry 0"):
        _ad.norm_partial_hvp(np.array([1.0, 0.0, 2.0]), np.ones(3), np.ones(3), 1.0, 2.5)
    with pytest.raises(ad.ADError, match="deficient rank"):
        _ad.norm_partial_hvp(np.outer([1.0, 2.0, 3.0], [1.0, -1.0]), np.ones((3, 2)), np.ones((3, 2)), 1.0, "nuc")
    with pytest.raises(ad.ADError, match="not simple"):
        _ad.norm_partial_hvp(np.eye(3), np.ones((3, 3)), np.ones((3, 3)), 1.0, 2)


@pytest.mark.parametrize("n, rank", [(3, 2), (4, 2), (5, 4), (4, 0)])
def test_adjugate_derivatives_at_singular_matrices(n, rank):
    """det's second and third derivatives (adjugate_jvp, adjugate_vjp, adjugate_vjp_jvp) at singular matrices:
    from invertible shifts of them (runtime_third.on_circle), against differences of the order below."""
    rng = np.random.default_rng(n + rank)
    a = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    v, t = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    close(_ad.adjugate_jvp(a, t), along(_ad.adjugate, a, t))
    close(np.sum(_ad.adjugate_vjp(v, a) * t), np.sum(v * _ad.adjugate_jvp(a, t)))  # (its transpose)
    shifted = np.array([_ad.adjugate_vjp(v, a + s * EPS3 * t) for s in (1, -1)])  # (near singular: shifts too)
    close(_ad.adjugate_vjp_jvp(v, a, t), (shifted[0] - shifted[1]) / (2 * EPS3), rtol=1e-5, atol=1e-6)


def f_norm3(x):
    return np.sum(np.sin(np.linalg.norm(x, 3, axis=1)))


def f_nuclear(x):
    return np.sin(np.linalg.norm(x, "nuc"))


def f_spectral(x):
    return np.sin(np.linalg.norm(x, 2))


def f_det(x):
    return np.sin(np.linalg.det(x))


SINGULAR = np.outer([1.0, -0.5, 2.0], [0.3, 1.2, -0.7]) + np.outer([0.4, 1.0, 0.2], [1.0, 0.1, 0.5])  # (rank 2)


@pytest.mark.parametrize("f, x", [(f_norm3, RNG.standard_normal((3, 4))), (f_nuclear, RNG.standard_normal((3, 4))),
                                  (f_spectral, RNG.standard_normal((4, 3))), (f_det, SINGULAR)],
                         ids=["norm-3", "nuclear", "spectral", "det-singular"])
def test_grad_three_times(f, x):
    first = ad.grad(f)

    def d(y, v):
        return np.sum(first(y) * v)

    second = ad.grad(d)

    def e(y, v, u):
        return np.sum(second(y, v) * u)

    v, u, s = (np.cos(np.arange(x.size) + k).reshape(x.shape) for k in range(3))
    got = ad.grad(e)(x, v, u)
    close(np.sum(got * s), np.sum(along(lambda y: second(y, v), x, s) * u), rtol=1e-5, atol=1e-6)


# -- 3. fourth order through the products' third derivatives -------------------------------------------------------
W34 = np.cos(np.arange(12.0)).reshape(3, 4)
X_ZERO = np.array([[0.5, 0.0, -1.2, 2.0], [0.0, 0.0, 1.5, -0.7], [1.1, 0.9, -0.4, 0.3]])  # (zeros: products exact)


def h_prod_hvp(v, x, a, b):
    return np.sum(np.sin(_ad.prod_vjp_hvp(v, x, a, b, 1)) * W34)


def h_prod_hvp_all(v, x, a, b):
    return np.sum(np.sin(_ad.prod_vjp_hvp(v, x, a, b)) * W34)


def h_cumprod_hvp(v, a, p, q):
    return np.sum(np.sin(_ad.cumprod_vjp_hvp(v, a, p, q, 1)) * W34)


def h_cumprod_hvp_flat(v, a, p, q):
    return np.sum(np.sin(_ad.cumprod_vjp_hvp(v, a, p, q)) * W34)


def n_(*shape):
    return RNG.standard_normal(shape)


THIRD_RULES = [("prod axis", h_prod_hvp, [n_(3), X_ZERO, n_(3, 4), n_(3, 4)]),
               ("prod of all", h_prod_hvp_all, [1.3, X_ZERO + 0.5, n_(3, 4), n_(3, 4)]),
               ("cumprod axis", h_cumprod_hvp, [n_(3, 4), X_ZERO, n_(3, 4), n_(3, 4)]),
               ("cumprod flat", h_cumprod_hvp_flat, [n_(12), X_ZERO + 0.5, n_(3, 4), n_(3, 4)])]


@pytest.mark.parametrize("h, args", [r[1:] for r in THIRD_RULES], ids=[r[0] for r in THIRD_RULES])
def test_third_order_product_rules_against_differences(h, args):
    """The rules of prod_vjp_hvp and cumprod_vjp_hvp, reverse and forward, in every argument, against central
    differences of the helper along a direction per argument (at zero entries too)."""
    wrt = tuple(range(len(args)))
    grads = ad.grad(h, wrt=wrt)(*args)
    dirs = [np.cos(np.arange(np.size(a)) + k).reshape(np.shape(a)) for k, a in enumerate(args)]
    for k in wrt:
        up, down = list(args), list(args)
        up[k], down[k] = args[k] + EPS3 * dirs[k], args[k] - EPS3 * dirs[k]
        close(np.sum(grads[k] * dirs[k]), (h(*up) - h(*down)) / (2 * EPS3))
    _, tangent = ad.jvp(h, wrt=wrt)(*args, tuple(dirs))
    up = [a + EPS3 * d for a, d in zip(args, dirs)]
    down = [a - EPS3 * d for a, d in zip(args, dirs)]
    close(tangent, (h(*up) - h(*down)) / (2 * EPS3))


def test_fourth_order_helpers():
    """prod_vjp_d3 and cumprod_vjp_d3 against differences of the third-order helpers; cumprod_jvp3 as
    cumprod_vjp_hvp's transpose in v (<v, J3[p, q, r]> = <cumprod_vjp_hvp(v, a, p, q), r>)."""
    v, p, q, r = n_(3), n_(3, 4), n_(3, 4), n_(3, 4)
    close(_ad.prod_vjp_d3(v, X_ZERO, p, q, r, 1), along(lambda y: _ad.prod_vjp_hvp(v, y, p, q, 1), X_ZERO, r))
    w = n_(3, 4)
    close(_ad.cumprod_vjp_d3(w, X_ZERO, p, q, r, 1), along(lambda y: _ad.cumprod_vjp_hvp(w, y, p, q, 1), X_ZERO, r))
    close(np.sum(w * _ad.cumprod_jvp3(X_ZERO, p, q, r, 1)), np.sum(_ad.cumprod_vjp_hvp(w, X_ZERO, p, q, 1) * r))
    w12 = n_(12)
    close(np.sum(w12 * _ad.cumprod_jvp3(X_ZERO, p, q, r)), np.sum(_ad.cumprod_vjp_hvp(w12, X_ZERO, p, q) * r))
    close(_ad.prod_vjp_d3(v, X_ZERO, p, q, r, 1), _ad.prod_vjp_d3(v, X_ZERO, r, p, q, 1))  # (symmetric)


def f_prod4(x):
    return np.prod(x) + np.sum(np.prod(x.reshape(2, 3), axis=0) ** 2)


def f_cumprod4(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 7.0))


@pytest.mark.parametrize("f", [f_prod4, f_cumprod4], ids=["prod", "cumprod"])
def test_grad_four_times(f, x=None):
    """ad.grad four times of a polynomial of products, against differences of the third derivative (at a zero
    entry: exact there too)."""
    first = ad.grad(f)

    def d2(y, v):
        return np.sum(first(y) * v)

    second = ad.grad(d2)

    def d3(y, v, u):
        return np.sum(second(y, v) * u)

    third = ad.grad(d3)

    def d4(y, v, u, w):
        return np.sum(third(y, v, u) * w)

    x = np.array([0.7, -1.1, 0.0, 1.3, 0.4, -0.8]) if x is None else x
    v, u, w, s = (np.cos(np.arange(x.size) * (k + 1.0)).reshape(x.shape) for k in range(4))
    got = ad.grad(d4)(x, v, u, w)
    close(np.sum(got * s), np.sum(along(lambda y: third(y, v, u), x, s) * w), rtol=1e-5, atol=1e-6)


def h_prod_d3(v, x, a, b, c):
    return np.sum(np.sin(_ad.prod_vjp_d3(v, x, a, b, c, 1)) * W34)


def test_fifth_order_is_refused():
    with pytest.raises(ad.ADError, match="prod_vjp_d3"):
        ad.grad(h_prod_d3, wrt=1)(n_(3), n_(3, 4), n_(3, 4), n_(3, 4), n_(3, 4))


# -- fourth order through det's and the norms' third derivatives, cumprod_jvp_jvp, x ** y (fourth and third) --------
def h_adjugate_vjp_jvp(v, a, t):
    return np.sum(np.sin(_ad.adjugate_vjp_jvp(v, a, t)) * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


def h_norm_hvp_rows(x, p, q):
    return np.sum(np.sin(_ad.norm_partial_hvp(x, p, q, np.linalg.norm(x, axis=1), None, 1)) * W34)


def h_norm_hvp_fro(x, p, q):
    return np.sum(np.sin(_ad.norm_partial_hvp(x, p, q, np.linalg.norm(x))) * W34)


def h_cumprod_jvp_jvp(t, dt, a, da):
    return np.sum(np.sin(_ad.cumprod_jvp_jvp(t, dt, a, da, 1)) * W34)


def h_power_exponent(x, k):
    return np.sum(np.sin(_ad.power_partial_exponent(x, k, 2)) * W34)


FOURTH_RULES = [("adjugate_vjp_jvp 4x4", h_adjugate_vjp_jvp, [n_(4, 4), n_(4, 4) + 3 * np.eye(4), n_(4, 4)]),
                ("adjugate_vjp_jvp singular", h_adjugate_vjp_jvp, [n_(3, 3), SINGULAR, n_(3, 3)]),
                ("norm rows", h_norm_hvp_rows, [n_(3, 4), n_(3, 4), n_(3, 4)]),
                ("norm fro", h_norm_hvp_fro, [n_(3, 4), n_(3, 4), n_(3, 4)]),
                ("cumprod_jvp_jvp", h_cumprod_jvp_jvp, [n_(3, 4), n_(3, 4), X_ZERO, n_(3, 4)]),
                ("power_partial_exponent", h_power_exponent, [0.5 + RNG.random((3, 4)), n_(3, 4)])]


@pytest.mark.parametrize("h, args", [r[1:] for r in FOURTH_RULES], ids=[r[0] for r in FOURTH_RULES])
def test_rules_of_third_order_helpers_against_differences(h, args):
    test_third_order_product_rules_against_differences(h, args)


def test_fourth_derivatives_of_det_and_the_norm():
    """adjugate_vjp_d3 against differences of adjugate_vjp_jvp (invertible, singular, a stack); det_derivative
    against the lower orders' helpers; norm_partial_d3 against differences of norm_partial_hvp; the p-norms'
    fourth derivative refused."""
    from ad_compiler.runtime_third import det_derivative
    for a in (n_(4, 4) + 3 * np.eye(4), np.outer(n_(4), n_(4)) + np.outer(n_(4), n_(4)), n_(2, 4, 4) + 3 * np.eye(4)):
        v, t, u = n_(*a.shape), n_(4, 4), n_(4, 4)
        close(_ad.adjugate_vjp_d3(v, a, t, u), along(lambda y: _ad.adjugate_vjp_jvp(v, y, t), a, u))
    a, v, t = n_(5, 5) + 3 * np.eye(5), n_(5, 5), n_(5, 5)
    close(det_derivative(a, ()), _ad.adjugate(a).T)
    close(det_derivative(a, (v.T,)), _ad.adjugate_vjp(v, a))
    close(det_derivative(a, (v.T, t)), _ad.adjugate_vjp_jvp(v, a, t))
    x, p, q, r = n_(3, 4), n_(3, 4), n_(3, 4), n_(3, 4)
    for ord_, axis in ((None, 1), ("fro", None), (None, None)):
        def third(y, ord_=ord_, axis=axis):
            return _ad.norm_partial_hvp(y, p, q, np.linalg.norm(y, ord_, axis), ord_, axis)
        close(_ad.norm_partial_d3(x, p, q, r, np.linalg.norm(x, ord_, axis), ord_, axis), along(third, x, r))
    with pytest.raises(ad.ADError, match="fourth derivative of np.linalg.norm with ord=3"):
        _ad.norm_partial_d3(x, p, q, r, np.linalg.norm(x, 3, 1), 3, 1)


def f_det_four(x):
    m = np.outer(x[:4], x[2:]) + np.diag(x[:4]) + 2.0 * np.eye(4)
    return np.linalg.det(m)


def f_norm_four(x):
    return np.linalg.norm(x) ** 3 + np.sum(np.linalg.norm(x.reshape(2, 3), axis=1) ** 3)


def f_cumprod_rows(x):
    return np.sum(np.cumprod(x.reshape(2, 3), axis=1) ** 2)


def f_self_power(x):
    return np.sum(x ** x)


@pytest.mark.parametrize("f", [f_det_four, f_norm_four, f_cumprod_rows, f_self_power],
                         ids=["det", "norm", "cumprod-axis", "x**x"])
def test_grad_four_times_more(f):
    test_grad_four_times(f, x=np.array([0.7, 1.1, 0.4, 1.3, 0.9, 0.6]))


# -- times_transpose (the adjoint of times_vjp in v, at third order) is bilinear: its rule dropped the factor's
# derivative, silently wrong at fourth order (sin of multivariate_normal.logpdf in cov) once times_factor_vjp had
# its transposes ------------------------------------------------------------------------------------------------------
V3 = np.linspace(-1.0, 1.0, 3)


def h_times_transpose(h, a, b):
    return np.sum(np.sin(_ad.times_transpose(h, a, b, 0, V3)) * np.arange(1.0, 4.0))


def h_times_transpose_first(h, a, b):
    return np.sum(np.sin(_ad.times_transpose(h, a, b, 1, V3)) * np.arange(1.0, 4.0))


def h_times_factor(h, v, b):
    return np.sum(np.sin(_ad.times_factor_vjp(h, v, 1.5, b, 0, 1)) * np.arange(1.0, 4.0))


@pytest.mark.parametrize("h", [h_times_transpose, h_times_transpose_first, h_times_factor])
def test_times_transposes_rules(h):
    test_third_order_product_rules_against_differences(h, [n_(3), n_(3), n_(3)])


def f_sin_logpdf(c):
    from scipy.stats import multivariate_normal
    return np.sin(multivariate_normal.logpdf(np.array([0.3, -0.2]), np.array([0.1, 0.4]), c))


def test_fourth_order_of_a_function_of_a_logpdf_in_its_covariance():
    pytest.importorskip("scipy")
    test_grad_four_times(f_sin_logpdf, x=np.array([[2.0, 0.3], [0.3, 1.5]]))
