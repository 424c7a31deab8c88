"""Runtime helpers of the FFT and complex-number rules (re-exported by runtime.py as `_ad.<name>`).

Complex values follow one adjoint convention: the adjoint of a complex z = u + iv is
dL/du - i dL/dv (a real loss L). Then a holomorphic function's adjoint is g * f'(z), exactly the rules of
the table for real numbers, and a C-linear map's adjoint is its plain transpose (the DFT matrix is
symmetric: the adjoint of fft is fft). A real value's adjoint is real; where a real input meets a complex
operation (np.fft.rfft of a real x, x * 1j), its adjoint is the real part, taken at the argument
(`as_grad`) and by every rule whose result is real while its operand is complex (np.abs, np.real,
np.imag, np.angle).
"""
import numpy as np

from .runtime_backend import as_array

__all__ = ["sign", "sign_jvp", "sign_vjp", "real_flat", "fit_axes", "rfft_vjp", "irfft_vjp", "rfft_vjp_t", "irfft_vjp_t", "fft_axes", "dual_norm", "rfft_length"]


def sign(x):
    """np.sign extended to complex values as x / |x| (0 at 0): the derivative of |x| is Re(conj(sign x) dx)."""
    if np.iscomplexobj(x):
        a = np.abs(x)
        return np.where(a == 0, 0.0, x / np.where(a == 0, 1.0, a))
    return np.sign(x)


def sign_jvp(x, dx):
    """Tangent of sign(x): 0 for a real x (piecewise constant); for a complex x, d(x / |x|) =
    dx / |x| - x Re(conj(x) dx) / |x|^3 (0 at 0)."""
    if not np.iscomplexobj(x):
        return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(dx)))
    a = np.abs(x)
    safe = np.where(a == 0, 1.0, a)
    return np.where(a == 0, 0.0, dx / safe - x * np.real(np.conj(x) * dx) / safe ** 3)


def sign_vjp(g, x):
    """Adjoint of sign(x): 0 for a real x (piecewise constant); for a complex x, the transpose of sign_jvp in
    the real inner product Re(g dy) (docs/rules.md, "Complex intermediates"): g / |x| - conj(x) Re(g x) / |x|^3
    (0 at 0)."""
    if not np.iscomplexobj(x):
        return np.zeros(np.shape(x))
    a = np.abs(x)
    safe = np.where(a == 0, 1.0, a)
    return np.where(a == 0, 0.0, g / safe - np.conj(x) * np.real(g * x) / safe ** 3)


def real_flat(t, x):
    """The derivative of sign_jvp / sign_vjp in x along t: 0 for a real x (sign is piecewise constant there);
    for a complex x (the third derivative of |z|) not written: refused."""
    if np.iscomplexobj(x) or np.iscomplexobj(t):
        from .errors import NoDerivativeError

        raise NoDerivativeError("the third derivative of np.abs / np.sign of a complex value has no rule",
                                hint="differentiate |z| at most twice, or write it as np.sqrt(z.real**2 + z.imag**2)")
    return np.zeros(np.broadcast_shapes(np.shape(t), np.shape(x)))


def fft_axes(x, s=None, axes=None):
    """The axes an n-dimensional transform works on (NumPy's rule: the last len(s) axes, or all)."""
    nd = np.ndim(x)
    if axes is not None:
        return [a % nd for a in ((axes,) if isinstance(axes, (int, np.integer)) else axes)]
    if s is not None:
        return list(range(nd - len(s), nd))
    return list(range(nd))


def rfft_length(a, s=None, axes=None):
    """The length of the real axis (the last transformed one) of np.fft.rfftn(a, s, axes)."""
    axes = fft_axes(a, s, axes)
    return s[-1] if s is not None else np.shape(a)[axes[-1]]


def fit_axes(v, x, axes):
    """v cropped or zero-padded along `axes` to x's lengths there (the transpose of a transform's own
    cropping / padding of its input to the length n or shape s)."""
    v = as_array(v)
    for ax in axes:
        n, m = np.shape(x)[ax], v.shape[ax]
        if m > n:
            v = np.take(v, np.arange(n), axis=ax)
        elif m < n:
            width = [(0, 0)] * v.ndim
            width[ax] = (0, n - m)
            v = np.pad(v, width)
    return v


def dual_norm(norm):
    """The normalization whose scale is the inverse transform's ('backward' <-> 'forward')."""
    return {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]


def _whole_along(x, axes):
    """`x` with each of `axes` in one chunk when it is a Dask array (Dask's FFTs need that; NumPy's: as is)."""
    if hasattr(x, "rechunk") and hasattr(x, "chunks"):
        return x.rechunk({ax % x.ndim: -1 for ax in axes})
    return x


def rfft_vjp(g, a, n_last, axes, norm=None):
    """Adjoint of np.fft.rfftn(a, s, axes, norm) (rfft when axes has one axis), for a real a: g zero-padded
    along the last axis to the full length n_last, transformed back by the (symmetric) DFT over `axes`, the
    real part, fitted to a's shape."""
    g = _whole_along(as_array(g), axes)
    last = axes[-1]
    width = [(0, 0)] * g.ndim
    width[last] = (0, n_last - g.shape[last])
    full = _whole_along(np.pad(g, width), axes)
    return fit_axes(np.real(np.fft.fftn(full, axes=axes, norm=norm)), a, axes)


def irfft_vjp(g, a, n_last, axes, norm=None):
    """Adjoint of np.fft.irfftn(a, s, axes, norm) (irfft with one axis) for its complex half-spectrum a:
    along the last axis, 2 conj(rfft(g)) (1 for the zero frequency and, for an even length, the Nyquist
    one) with the inverse's scale, then the transpose of the inverse DFT over the other axes."""
    g = _whole_along(as_array(g, dtype=float), axes)
    last = axes[-1]
    half = np.conj(np.fft.rfft(g, axis=last, norm=dual_norm(norm)))
    half = _half_weights(half, last, n_last)
    others = axes[:-1]
    if others:
        half = np.fft.ifftn(half, axes=others, norm=norm)
    return fit_axes(half, a, axes)


def _lengths(x, axes, n_last):
    """A zero array standing for the shape x has along the transformed axes, with n_last on the last one."""
    shape = list(np.shape(x))
    shape[axes[-1]] = n_last
    return np.broadcast_to(0.0, shape)


def rfft_vjp_t(h, v, n_last, axes, norm=None):
    """The transpose of v -> rfft_vjp(v, a, n_last, axes, norm) (the adjoint of rfftn's adjoint, so that
    rfft's derivative is differentiated again): h (a's shape) fitted to the transformed lengths (v's on the
    other axes, n_last on the last), transformed by the symmetric DFT over `axes`, the first v.shape[last]
    frequencies of the last axis kept. rfft_vjp(g, a) = Re(L g) for the C-linear L = fit . DFT . pad; the
    real pairing Re(<h, L v>) makes this L^T h (docs/rules.md, "Complex intermediates")."""
    h = _whole_along(as_array(h), axes)
    last = axes[-1]
    full = np.fft.fftn(fit_axes(h, _lengths(v, axes, n_last), axes), axes=axes, norm=norm)
    return np.take(full, np.arange(np.shape(v)[last]), axis=last)


def irfft_vjp_t(h, v, n_last, axes, norm=None):
    """The transpose of v -> irfft_vjp(v, a, n_last, axes, norm) for a real v (irfftn's output adjoint):
    irfft_vjp is N v = fit . IDFT_others . W . conj(R) v with R the last axis's rfft (norm dual_norm(norm));
    Re(<h, N v>) gives Re(N^T h) = Re(conj(R)^T W IDFT_others fit^T h), and conj(R)^T is the last axis's inverse
    DFT (norm `norm`) of the half spectrum zero-padded to n_last."""
    h = _whole_along(as_array(h), axes)
    last = axes[-1]
    shape = list(np.shape(v))
    shape[last] = n_last // 2 + 1
    half = fit_axes(h, np.broadcast_to(0.0, shape), axes)
    others = axes[:-1]
    if others:
        half = np.fft.ifftn(half, axes=others, norm=norm)
    half = _half_weights(half, last, n_last)
    return np.real(np.fft.ifft(half, n=n_last, axis=last, norm=norm))


def _half_weights(half, last, n_last):
    """`half` (a half spectrum along `last` of a real signal of length n_last) with its frequencies other than
    the zero one (and, for an even length, the Nyquist one) counted twice: they stand for their conjugates."""
    weights = np.full(half.shape[last], 2.0)
    weights[0] = 1.0
    if n_last % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * half.ndim
    shape[last] = half.shape[last]
    return half * weights.reshape(shape)
