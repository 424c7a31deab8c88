"""Derivative rules for numpy.fft (see runtime_fft.py for the adjoint convention of complex values).

The transforms are linear: forward mode applies them to the tangent. The complex DFT matrix is symmetric,
so the adjoint of fft / ifft (fft2, fftn, ...) is the same transform of g, cropped or zero-padded back to
the input's shape when `n` / `s` changed it. rfft of a real input: the real part of the full DFT of g
zero-padded to the whole spectrum. irfft reads a half-spectrum as Hermitian (it ignores the imaginary part
of the zero and Nyquist frequencies): its adjoint is 2 conj(rfft(g)) (1 at those frequencies).
"""
import numpy as np

from .. import runtime as _ad
from . import g, linear


@linear(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None):
    ba = _ad.fit_axes(np.fft.fft(g, axis=axis, norm=norm), a, [axis])


@linear(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None):
    ba = _ad.fit_axes(np.fft.ifft(g, axis=axis, norm=norm), a, [axis])


@linear(np.fft.fft2)
def fft2(a, s=None, axes=(-2, -1), norm=None):
    ba = _ad.fit_axes(np.fft.fftn(g, axes=axes, norm=norm), a, _ad.fft_axes(a, s, axes))


@linear(np.fft.ifft2)
def ifft2(a, s=None, axes=(-2, -1), norm=None):
    ba = _ad.fit_axes(np.fft.ifftn(g, axes=axes, norm=norm), a, _ad.fft_axes(a, s, axes))


@linear(np.fft.fftn)
def fftn(a, s=None, axes=None, norm=None):
    ba = _ad.fit_axes(np.fft.fftn(g, axes=_ad.fft_axes(a, s, axes), norm=norm), a, _ad.fft_axes(a, s, axes))


@linear(np.fft.ifftn)
def ifftn(a, s=None, axes=None, norm=None):
    ba = _ad.fit_axes(np.fft.ifftn(g, axes=_ad.fft_axes(a, s, axes), norm=norm), a, _ad.fft_axes(a, s, axes))


@linear(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None):
    ba = _ad.rfft_vjp(g, a, n if n is not None else np.shape(a)[axis], [axis % np.ndim(a)], norm)


@linear(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None):
    ba = _ad.irfft_vjp(g, a, np.shape(g)[axis], [axis % np.ndim(a)], norm)


@linear(np.fft.rfft2)
def rfft2(a, s=None, axes=(-2, -1), norm=None):
    ba = _ad.rfft_vjp(g, a, _ad.rfft_length(a, s, axes), _ad.fft_axes(a, s, axes), norm)


@linear(np.fft.irfft2)
def irfft2(a, s=None, axes=(-2, -1), norm=None):
    ba = _ad.irfft_vjp(g, a, np.shape(g)[_ad.fft_axes(a, s, axes)[-1]], _ad.fft_axes(a, s, axes), norm)


@linear(np.fft.rfftn)
def rfftn(a, s=None, axes=None, norm=None):
    ba = _ad.rfft_vjp(g, a, _ad.rfft_length(a, s, axes), _ad.fft_axes(a, s, axes), norm)


@linear(np.fft.irfftn)
def irfftn(a, s=None, axes=None, norm=None):
    ba = _ad.irfft_vjp(g, a, np.shape(g)[_ad.fft_axes(a, s, axes)[-1]], _ad.fft_axes(a, s, axes), norm)


@linear(np.fft.fftshift)
def fftshift(x, axes=None):
    bx = np.fft.ifftshift(g, axes)


@linear(np.fft.ifftshift)
def ifftshift(x, axes=None):
    bx = np.fft.fftshift(g, axes)
