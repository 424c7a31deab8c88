"""Derivative rules for NumPy's random draws.

A draw's randomness carries no derivative: functions that only take sizes (np.random.rand, randn,
standard_normal, ...) give constants. Draws from a location-scale family differentiate in their parameters
pathwise, for the same random state: np.random.normal(loc, scale) is loc + scale z with z the standard draw,
so d / dloc = 1 and d / dscale = z = (ans - loc) / scale; uniform(low, high) = low + (high - low) u;
exponential(scale) = scale e. Other draws with a parameter carrying a derivative (np.random.gamma(shape),
np.random.permutation(x), np.random.choice(a), rng.normal(loc) on a Generator) have no rule: they are
refused (a located NoDerivativeError), never silently constant.
"""
import numpy as np

from .. import runtime as _ad
from . import ans, derivative, g, nondifferentiable


@derivative(np.random.normal)
def normal(loc=0.0, scale=1.0, size=None):
    bloc = _ad.unbroadcast(g, loc)
    bscale = _ad.unbroadcast(g * (ans - loc) / scale, scale)
    dans = dloc + (ans - loc) / scale * dscale


@derivative(np.random.uniform)
def uniform(low=0.0, high=1.0, size=None):
    blow = _ad.unbroadcast(g * (high - ans) / (high - low), low)
    bhigh = _ad.unbroadcast(g * (ans - low) / (high - low), high)
    dans = (high - ans) / (high - low) * dlow + (ans - low) / (high - low) * dhigh


@derivative(np.random.exponential)
def exponential(scale=1.0, size=None):
    bscale = _ad.unbroadcast(g * ans / scale, scale)
    dans = ans / scale * dscale


nondifferentiable(np.random.random, np.random.random_sample, np.random.standard_normal,
                  np.random.standard_exponential, np.random.get_state, np.random.set_state)
