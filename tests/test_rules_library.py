"""Library rules beyond the generated table (tests/test_rules_modes.py): real losses of complex FFT
intermediates (power spectra, round trips, convolution by FFT) at first and second order, random draws, and
the cases that must be refused with an ad.ADError rather than differentiated wrongly."""
import numpy as np
import pytest

pytest.importorskip("scipy")  # (SciPy is optional; the test extra installs it)
import scipy.linalg as sla  # noqa: E402
import scipy.special as sps  # noqa: E402
import scipy.stats as stats  # noqa: E402
from scipy.integrate import odeint  # noqa: E402

import ad_compiler as ad  # noqa: E402
from fd import check_grad, make_rng, numeric_grad  # noqa: E402

rng = make_rng(20261205)


def check_hessian(f, args, wrt=0):
    """ad.hessian(f) against central differences of ad.grad(f)."""
    h = ad.hessian(f, wrt=wrt)(*args)
    grad = ad.grad(f, wrt=wrt)
    x = args[wrt]
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1e-6
        up, down = list(args), list(args)
        up[wrt], down[wrt] = x + e.reshape(x.shape), x - e.reshape(x.shape)
        cols.append(np.ravel((grad(*up) - grad(*down)) / 2e-6))
    expected = np.stack(cols, axis=-1).reshape(x.shape + x.shape)
    np.testing.assert_allclose(h, expected, rtol=1e-5, atol=1e-5)


# -- complex intermediates ------------------------------------------------------------------------------------
def power_spectrum(x):
    z = np.fft.fft(x)
    return np.sum(np.abs(z) ** 2 * np.arange(x.shape[0]))


def half_power(x):
    z = np.fft.rfft(x)
    return np.sum((z * np.conj(z)).real * np.cos(np.arange(z.shape[0])))


def parts(x, w):
    z = np.fft.fft(x * w)
    return np.sum(np.real(z) ** 3) + np.sum(np.imag(z) * w) + np.sum(z.imag ** 2)


def round_trip(x):
    return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x) * (1.0 + 0.5j), n=x.shape[0])))


def fft_convolution(x, k):
    n = x.shape[0] + k.shape[0] - 1
    y = np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(k, n), n)
    return np.sum(y ** 2 * np.arange(n))


def phases(x):
    z = np.exp(1j * x) * (2.0 + x)
    return np.sum(np.abs(z + 0.5) * np.angle(z + 0.3j))


def conj_products(x):
    z = np.fft.fft2(x)
    return np.sum(np.abs(np.conj(z) * z * 1j + z.conj() * np.fft.fftshift(z)))


COMPLEX = [(power_spectrum, 1), (half_power, 1), (parts, 2), (round_trip, 1), (fft_convolution, 2), (phases, 1),
           (conj_products, 1)]


@pytest.mark.parametrize("f, nargs", COMPLEX, ids=[f.__name__ for f, _ in COMPLEX])
def test_real_loss_of_complex_intermediates(f, nargs):
    shapes = {conj_products: [(3, 4)], fft_convolution: [(6,), (3,)]}.get(f, [(7,)] * nargs)
    args = [rng.standard_normal(s) for s in shapes]
    for i in range(nargs):
        g = check_grad(f, args, i)
        assert g.dtype == np.float64
        t = rng.standard_normal(args[i].shape)
        value, tangent = ad.jvp(f, wrt=i)(*args, t)
        assert isinstance(tangent, float)
        np.testing.assert_allclose(tangent, np.sum(numeric_grad(f, args, i) * t), rtol=1e-5, atol=1e-6)
    check_hessian(f, args)


def test_convolution_by_fft_matches_np_convolve():
    x, k = rng.standard_normal(6), rng.standard_normal(3)
    n = x.shape[0] + k.shape[0] - 1
    np.testing.assert_allclose(np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(k, n), n), np.convolve(x, k), atol=1e-12)


# -- random draws --------------------------------------------------------------------------------------------------
def noisy(x):
    r = np.random.default_rng(0)
    return np.sum(x * r.normal(size=3))


def reparameterized(mu, sigma):
    np.random.seed(1)
    return np.sum(np.random.normal(mu, sigma, size=(4, 3)) ** 2)


def test_draws_are_constants_and_pathwise_in_their_parameters():
    check_grad(noisy, [rng.standard_normal(3)])
    check_grad(reparameterized, [rng.standard_normal(3), 1.3], (0, 1))


def generator_loc(mu):
    r = np.random.default_rng(0)
    return np.sum(r.normal(loc=mu, size=3))


def permuted(x):
    return np.sum(np.random.permutation(x) * np.arange(3))


def gamma_draw(a):
    return np.sum(np.random.gamma(a, size=3))


# -- refused, with an ad.ADError naming the line (compile time) or at run time ------------------------------------
def active_gammainc_shape(a, x):
    return np.sum(sps.gammainc(a, x))


def active_bessel_order(v, x):
    return np.sum(sps.jv(v, x))


def active_cdf_shape(df, x):
    return np.sum(stats.t.cdf(x, df))


def frozen_cdf_shape(df, x):
    return np.sum(stats.t(df).cdf(x))


def lse_sign(x):
    return sps.logsumexp(x, return_sign=True)[0]


def svd_full(a):
    return np.sum(np.linalg.svd(a)[0])


def eig_general(a):
    return np.sum(np.linalg.eig(a)[0].real)


def qr_wide(a):
    return np.sum(np.linalg.qr(a)[1])


def pad_mean(a):
    return np.sum(np.pad(a, 2, mode="mean") ** 2)


def _negated(v):
    return -v


def piecewise_functions(a):
    return np.sum(np.piecewise(a, [a < 0, a >= 0], [_negated, np.sin]))


def quantile_nearest(a):
    return np.quantile(a, 0.3, method="nearest")


REFUSED = [
    (generator_loc, [np.zeros(3)], 0), (permuted, [np.arange(3.0)], 0), (gamma_draw, [2.0], 0),
    (active_gammainc_shape, [2.0, np.ones(3)], 0), (active_bessel_order, [1.5, np.ones(3)], 0),
    (active_cdf_shape, [3.0, np.ones(3)], 0), (frozen_cdf_shape, [3.0, np.ones(3)], 0), (lse_sign, [np.ones(3)], 0),
    (svd_full, [np.ones((3, 2)) + np.eye(3, 2)], 0), (eig_general, [np.array([[1.0, -2.0], [1.0, 3.0]])], 0),
    (qr_wide, [np.eye(2, 3)], 0), (pad_mean, [np.ones(3)], 0), (piecewise_functions, [np.ones(3)], 0),
    (quantile_nearest, [np.arange(5.0)], 0),
]


@pytest.mark.parametrize("f, args, wrt", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_refused(f, args, wrt):
    with pytest.raises(ad.ADError):
        ad.grad(f, wrt=wrt)(*args)


def sqrtm_loss(a):
    return np.sum(sla.sqrtm(a) ** 2)


def test_matrix_function_second_order_through_block_matrices():
    b = rng.standard_normal((3, 3))
    check_hessian(sqrtm_loss, [b @ b.T / 3 + np.eye(3)])


# -- ODE solvers ---------------------------------------------------------------------------------------------------
def decay_rhs(y, t, k):
    return -k * y + np.sin(t) * y[::-1]


def ode_loss(y0, k):
    ys = odeint(decay_rhs, y0, np.linspace(0.0, 1.0, 3), args=(k,), rtol=1e-11, atol=1e-11)
    return np.sum(ys ** 2)


def test_odeint_gradient_by_the_adjoint_method():
    check_grad(ode_loss, [np.array([1.0, -0.5]), np.array([0.7, 1.3])], (0, 1))


def make_rhs(k):
    def rhs(y, t):
        return -k * y
    return rhs


def closure_loss(y0, rhs):
    return np.sum(odeint(rhs, y0, np.array([0.0, 1.0])))


def test_odeint_refuses_a_right_hand_side_reading_numbers_from_a_closure():
    with pytest.raises(ad.ADError, match="closure"):
        ad.grad(closure_loss)(np.ones(2), make_rhs(1.5))
