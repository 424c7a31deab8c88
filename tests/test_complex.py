"""Derivatives through complex intermediates (arguments real, values inside complex): docs/rules.md,
"Complex intermediates". Every check is against central differences of the function (grad, jvp) or of
ad.grad (hvp); refusals are checked to be located ADErrors.

The cases come from an adversarial tester's reproducers: complex adjoints added into real adjoint buffers
(a crash), norms / std / var of complex values (wrong: no conjugate), linear algebra of complex matrices
(wrong: transposes instead of conjugate transposes; now refused; the matrix functions, which cast to
float, now right), elementwise rules on their real-valued
conventions (np.sign, a complex base's power, arccosh's branch, scipy.signal.convolve's adjoint, np.prod's
second order), and complex stores into a tangent buffer that was real.
"""
import numpy as np
import pytest
import scipy.linalg as sla
from scipy import signal

import ad_compiler as ad
from fd import numeric_grad

X4 = np.array([0.7, -1.3, 0.4, 0.25])
T4 = np.array([0.3, -0.2, 0.5, 0.1])
V4 = np.array([-0.4, 0.6, 0.2, -0.9])
W4 = np.array([1.0, -0.5, 2.0, 0.7])
Z0 = np.array([1.0 + 1.0j, 2.0 - 0.5j, -1.0 + 0.3j, 0.5j])


# -- complex contributions into real adjoint buffers (was a UFuncTypeError in the generated code) -----------
def spectrum_params(c):
    X = c[:4] + 1j * c[4:]  # real parameters of a half spectrum
    y = np.fft.irfft(X, n=6)
    return np.sum(y * np.arange(6.0))


def two_slices(c):
    z = c[:2] * (1.0 + 2.0j)
    return np.sum(np.abs(z)) + np.sum(c[2:])


def segment_spectrum(y):
    Z = np.fft.fft(y[:3])
    return np.sum(np.real(Z * np.conj(Z))) + 0.5 * (y @ y)


def fourier_loop(x):
    s = 0.0
    for k in range(1, 3):
        s = s + np.abs(np.sum(np.exp(1j * k * x))) ** 2
    return s


def complex_buffer(x):
    Z = np.zeros(4, dtype=complex)
    Z[:2] = x[:2]
    Z[2:] = 1j * x[2:]
    return np.sum(np.abs(np.fft.ifft(Z)) ** 2 * np.arange(1.0, 5.0))


# -- real-valued reductions of complex values (were missing the conjugate) ----------------------------------
def spectrum_norm(x):
    return np.linalg.norm(np.fft.fft(x))


def complex_std(x):
    return np.std(np.exp(1j * x))


def complex_var(x):
    return np.var(np.fft.fft(x))


def residual_fro(x):
    Z = np.array([[x[0] + 1j * x[1], 0.5], [x[2] - 0.3j, x[3] * (1 + 1j)]])
    return np.linalg.norm(Z)


def method_var_std(x):
    z = x * (0.6 + 0.8j) + 0.2
    return z.var() + z.std(ddof=1) ** 3


def norm_axis(x):
    z = np.reshape(x, (2, 2)) * (0.6 + 0.8j) + 0.2
    return np.sum(np.linalg.norm(z, axis=1) ** 3)


# -- elementwise and signal rules -----------------------------------------------------------------------------
def power_real_exponent(x):
    return np.sum((Z0 ** x).real)


def arccosh_c(x):
    return np.sum(np.arccosh(x * (0.6 + 0.8j) + 0.2).imag * W4)


def convolve_c(x):
    return np.sum(signal.convolve(x * (0.6 + 0.8j), np.array([1.0, 0.5j])).real * np.arange(5.0))


def correlate_c(x):
    k = x[:2] * (0.3 - 0.7j) + 0.1j
    return np.sum(np.abs(signal.correlate(x * (0.6 + 0.8j), k)) ** 2 * np.arange(5.0))


def prod_c(x):
    return np.prod(x * (0.6 + 0.8j) + 0.2).real


def propagator(x):
    M = np.array([[x[0], 1j * x[1]], [x[2], x[3]]])
    return np.sum(sla.expm(M).real) + np.abs(sla.logm(M + 3.0 * np.eye(2))[0, 1]) ** 2


def cross_c(x):
    a = x[:3] * (0.6 + 0.8j)
    return np.sum(np.cross(a, np.array([0.5, -1.0j, 2.0])).imag * x[1:])


# -- complex stores into an array made complex by adding a complex constant -----------------------------------
def slice_store(x):
    Z = x + 0j
    Z[0:1] = 1j * x[1:2]
    return np.sum(np.abs(Z + 1.0) ** 2)


def item_store(x):
    Z = x + 0j
    Z[0] = 1j * x[1]
    return np.sum(np.abs(Z) ** 2)


RIGHT = [spectrum_params, two_slices, segment_spectrum, fourier_loop, complex_buffer, spectrum_norm, complex_std,
         complex_var, residual_fro, method_var_std, norm_axis, power_real_exponent, arccosh_c, convolve_c,
         correlate_c, prod_c, propagator, cross_c, slice_store, item_store]


def _point(f):
    return np.array([0.3, -1.2, 0.8, 0.5, 0.1, 0.9, -0.4, 0.2]) if f is spectrum_params else X4.copy()


def _close(got, want, what):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("f", RIGHT, ids=lambda f: f.__name__)
def test_grad(f):
    x = _point(f)
    _close(ad.grad(f)(x.copy()), numeric_grad(f, [x], 0), "ad.grad against central differences")


@pytest.mark.parametrize("f", RIGHT, ids=lambda f: f.__name__)
def test_jvp(f):
    x = _point(f)
    t = np.resize(T4, x.shape)
    value, tangent = ad.jvp(f)(x.copy(), t)
    _close(value, f(x.copy()), "value")
    _close(tangent, numeric_grad(f, [x], 0) @ t, "ad.jvp against central differences")


@pytest.mark.parametrize("f", RIGHT, ids=lambda f: f.__name__)
def test_hvp(f):
    x = _point(f)
    v = np.resize(V4, x.shape)
    g = ad.grad(f)
    eps = 1e-5
    want = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(ad.hvp(f)(x.copy(), v), want, rtol=1e-5, atol=1e-5, err_msg="ad.hvp")


@pytest.mark.parametrize("f", [spectrum_norm, complex_var, fourier_loop, prod_c, propagator, item_store],
                         ids=lambda f: f.__name__)
def test_hessian(f):
    x = _point(f)
    g = ad.grad(f)
    eps = 1e-5
    want = np.stack([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(x.size)], axis=-1)
    np.testing.assert_allclose(ad.hessian(f)(x.copy()), want, rtol=1e-5, atol=1e-5, err_msg="ad.hessian")


# -- refused: located ADErrors ---------------------------------------------------------------------------------
def hamiltonian(x):
    return np.array([[x[0] + 3.0, x[3] + 1j * x[1]], [x[3] - 1j * x[1], x[2] + 3.0]])


def ground_energy(x):
    return np.linalg.eigvalsh(hamiltonian(x))[0]


def eigh_loss(x):
    w, V = np.linalg.eigh(hamiltonian(x))
    return w[1] + np.abs(V[0, 0]) ** 2


def chol_logdet(x):
    L = np.linalg.cholesky(hamiltonian(x))
    return 2.0 * np.sum(np.log(np.diag(L).real))


def singular_values(x):
    M = np.array([[x[0] + 2.0, 1j * x[1] + 0.5], [x[3] - 0.3j, x[2] * (1 + 1j) + 2.0]])
    return np.linalg.svd(M, compute_uv=False)[0]


def spectrum_l1(x):
    return np.linalg.norm(np.fft.fft(x), 1)


def sign_c(x):
    return np.sum(np.sign(x * (0.6 + 0.8j) + 0.2j).real * W4)


def complex_global_sign(x):
    return np.sum(np.sign(Z0 * x).imag)


def made_by_type(x):
    z = np.complex128(0.5) * np.exp(x[1:3] * 1.0)  # a complex scalar type called
    return np.var(z) + np.linalg.eigvalsh(np.outer(z, z) + np.eye(2))[0]


def made_by_dtype_code(x):
    z = np.asarray(x[:2], dtype="D")  # 'D': complex128
    return np.linalg.eigvalsh(np.outer(z, z) + np.eye(2))[0]


def made_in_a_loop(x):
    m = np.eye(2) + np.outer(x[:2], x[:2])
    for k in range(2):
        m = m + np.outer(x[2:], x[:2]) * (1j if k == 1 else 1.0)  # complex from the second iteration on
    return np.linalg.eigvalsh(m)[0]


REFUSED = [(made_by_type, "eigvalsh"), (made_by_dtype_code, "eigvalsh"), (made_in_a_loop, "eigvalsh"),
           (ground_energy, "eigvalsh"), (eigh_loss, "eigh"), (chol_logdet, "cholesky"), (singular_values, "svd"),
           (spectrum_l1, "2-norm and the Frobenius norm only"), (sign_c, "np.sign"),
           (complex_global_sign, "np.sign")]


@pytest.mark.parametrize("f, fragment", REFUSED, ids=lambda p: getattr(p, "__name__", ""))
@pytest.mark.parametrize("mode", ["grad", "jvp", "hvp"])
def test_refused(f, fragment, mode):
    x = X4.copy()
    call = {"grad": lambda: ad.grad(f)(x), "jvp": lambda: ad.jvp(f)(x, T4), "hvp": lambda: ad.hvp(f)(x, T4)}[mode]
    with pytest.raises(ad.ADError) as info:
        call()
    msg = str(info.value)
    assert fragment in msg and f'File "{__file__}"' in msg and "^" in msg, msg


# -- real programs are unchanged: no real part taken where nothing is complex ---------------------------------
def real_only_program(x):
    y = x[:2] * 2.0
    y[0] = x[3]
    return np.sum(y * y) + np.linalg.norm(x) + np.var(x)


def test_real_programs_take_no_real_parts():
    assert "np.real" not in ad.grad(real_only_program).source
    assert "np.real" not in ad.jvp(real_only_program).source


def test_real_parts_only_where_complex_values_reach_real_ones():
    g = ad.grad(two_slices)
    g(X4.copy())
    src = g.source
    assert src.count("np.real(") == 2, src  # the adjoint of abs, and what c receives from the complex product


RNG = np.random.default_rng(0)


def real_with_generator(x):
    noise = RNG.normal(size=2)  # a method of an object the compiler does not know: real from real operands
    a = np.eye(2) * 2.0 + np.outer(x[:2] + noise, x[:2])
    return np.sum(np.linalg.cholesky(a @ a.T))


def test_real_values_of_library_methods_are_not_refused():
    x = X4.copy()
    ad.grad(real_with_generator)(x)  # (no ADError: the operand of cholesky is real)
