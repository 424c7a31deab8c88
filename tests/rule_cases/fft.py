"""Call shapes of numpy.fft (rules/fft.py) and of the complex-number rules (np.abs, np.real, np.imag,
np.conj, np.angle, .real / .imag / .conj()). Inputs are real; the complex values are intermediates, and every
case ends in a real result (real and imaginary parts, moduli), as a real loss would."""
import numpy as np  # noqa: F401

from . import X3, C, uniform


def _ri(call, *specs, **kw):
    """The call's real and imaginary parts, weighted differently (a transposed or conjugated adjoint fails)."""
    return C(f"z = {call}\nr = np.real(z) - 0.7 * np.imag(z)", *specs, label=f"re/im {call}", **kw)


def _half(call, *specs, **kw):
    """A transform of the half-spectrum a + 1j b (irfft, irfftn: real results)."""
    return C(call.replace("Z", "(a + 1j * b)"), *specs, label=call, **kw)


CASES = {
    "np.fft.fft": [_ri("np.fft.fft(a)", (8,)), _ri("np.fft.fft(a, n=6)", (8,)), _ri("np.fft.fft(a, 10, axis=0)", (4, 3)),
                   _ri("np.fft.fft(a, norm='ortho')", (3, 5)), _ri("np.fft.fft(a, axis=1, norm='forward')", X3)],
    "np.fft.ifft": [_ri("np.fft.ifft(a)", (8,)), _ri("np.fft.ifft(a, n=5, axis=-2)", (4, 3)),
                    _ri("np.fft.ifft(a, norm='ortho')", (6,))],
    "np.fft.fft2": [_ri("np.fft.fft2(a)", (3, 4)), _ri("np.fft.fft2(a, s=(4, 6), axes=(0, 2))", X3)],
    "np.fft.ifft2": [_ri("np.fft.ifft2(a)", (3, 4)), _ri("np.fft.ifft2(a, norm='forward')", X3)],
    "np.fft.fftn": [_ri("np.fft.fftn(a)", X3), _ri("np.fft.fftn(a, s=(3, 2), axes=(1, 2))", X3)],
    "np.fft.ifftn": [_ri("np.fft.ifftn(a)", X3), _ri("np.fft.ifftn(a, axes=(-1,))", (3, 4))],
    "np.fft.rfft": [_ri("np.fft.rfft(a)", (8,)), _ri("np.fft.rfft(a)", (7,)), _ri("np.fft.rfft(a, n=10)", (8,)),
                    _ri("np.fft.rfft(a, 5)", (8,)), _ri("np.fft.rfft(a, axis=0, norm='ortho')", (6, 3)),
                    _ri("np.fft.rfft(a, norm='forward')", (2, 6))],
    "np.fft.irfft": [_half("np.fft.irfft(Z)", (5,), (5,)), _half("np.fft.irfft(Z, n=9)", (5,), (5,)),
                     _half("np.fft.irfft(Z, n=6)", (5,), (5,)), _half("np.fft.irfft(Z, axis=0)", (4, 3), (4, 3)),
                     _half("np.fft.irfft(Z, norm='ortho')", (2, 4), (4,)),
                     _half("np.fft.irfft(Z, 7, norm='forward')", (4,), (4,))],
    "np.fft.rfft2": [_ri("np.fft.rfft2(a)", (4, 6)), _ri("np.fft.rfft2(a, s=(4, 8))", (3, 6)),
                     _ri("np.fft.rfft2(a, axes=(0, 2), norm='ortho')", X3)],
    "np.fft.irfft2": [_half("np.fft.irfft2(Z)", (4, 3), (4, 3)), _half("np.fft.irfft2(Z, s=(4, 5))", (4, 3), (4, 3))],
    "np.fft.rfftn": [_ri("np.fft.rfftn(a)", X3), _ri("np.fft.rfftn(a, axes=(0, 2))", X3),
                     _ri("np.fft.rfftn(a, s=(4, 4))", (3, 5))],
    "np.fft.irfftn": [_half("np.fft.irfftn(Z)", (2, 3, 3), (2, 3, 3)),
                      _half("np.fft.irfftn(Z, s=(3, 4), axes=(0, 1))", (3, 3), (3, 3))],
    "np.fft.fftshift": [C("np.fft.fftshift(a)", (5,)), C("np.fft.fftshift(a, axes=1)", (3, 4))],
    "np.fft.ifftshift": [C("np.fft.ifftshift(a)", (5,)), C("np.fft.ifftshift(a, axes=(0, -1))", X3)],
    # complex numbers
    "np.imag": [C("np.imag(np.exp(1j * a) * b)", (3, 4), (4,)), C("np.imag(a)", (3,))],
    "np.conjugate": [C("z = np.exp(1j * a) + b\nr = np.real(np.conj(z) * z * (1.0 + 2j))", (3, 4), (3, 4),
                  label="np.conj(z) * z"), C("np.conj(a)", (3,)), C("np.real(np.conjugate(np.fft.fft(a)) * 1j)", (6,))],
    "np.angle": [C("np.angle(np.exp(1j * a) * b + 0.3)", (3, 4), (3, 4), dom=(uniform(-1.0, 1.0), uniform(0.5, 2.0))),
                 C("np.angle(a + 1j * b, deg=True)", (5,), (5,), dom=(uniform(0.3, 2.0), uniform(-2.0, 2.0)))],
    "ndarray.imag": [C("(np.fft.fft(a) * b).imag", (6,), (6,))],
    "ndarray.conj": [C("z = np.fft.fft(a)\nr = np.real(z.conj() * z * b)", (6,), (6,), label="z.conj() * z * b")],
    "ndarray.conjugate": [C("np.abs(np.fft.fft(a).conjugate() + 1j * b)", (6,), (6,))],
}

DOMAINS = {}

# array methods added with these rules
CASES.update({
    "ndarray.cumprod": [C("a.cumprod()", (3, 4)), C("a.cumprod(axis=-1)", X3), C("a.cumprod(0)", (3, 4))],
    "ndarray.diagonal": [C("a.diagonal()", (3, 4)), C("a.diagonal(1, 1, 2)", X3)],
    "ndarray.repeat": [C("a.repeat(2)", (2, 3)), C("a.repeat([2, 0, 1], axis=-1)", (2, 3))],
    "ndarray.take": [C("a.take([1, 1, 3])", (4,)), C("a.take([2, 0], axis=-1)", (2, 3)), C("a.take(4)", (2, 3))],
})
