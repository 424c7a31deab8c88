"""Derivative rules for scipy.signal.convolve and correlate (loaded only when SciPy imports).

Both are bilinear: forward mode applies them to one tangent at a time. The adjoint of an input of the full
convolution is the correlation of the adjoint with the other input ('valid': where it fits); modes 'valid'
and 'same' are slices of the full result, so their adjoint is first placed into it. correlate(in1, in2) is
convolve(in1, flip(in2)) (real inputs).
"""
import scipy.signal as signal

from .. import runtime as _ad
from . import g, linear


@linear(signal.convolve, multilinear=True)
def convolve(in1, in2, mode="full", method="auto"):
    bin1 = _ad.convolve_vjp_in1(g, in1, in2, mode)
    bin2 = _ad.convolve_vjp_in2(g, in1, in2, mode)


@linear(signal.correlate, multilinear=True)
def correlate(in1, in2, mode="full", method="auto"):
    bin1 = _ad.correlate_vjp_in1(g, in1, in2, mode)
    bin2 = _ad.correlate_vjp_in2(g, in1, in2, mode)
