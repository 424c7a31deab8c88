"""Found in stop 27 by probing users' rules (`ad.defvjp`, `ad.defjvp`), the API's pytrees and the caches in
every mode: each program gives the derivatives central differences give, or a located refusal."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.rules import g
from fd import numeric_grad

X3 = np.array([0.3, -0.7, 1.1])


# -- h27b-001: a call leaving out a parameter with a default gave the rule the template's default, not the
# function's (`def withdef(x, s=2.0)` with a rule `def r(x, s=1.0)`: the adjoint read s = 1.0, a WRONG gradient;
# an array default the template left None crashed), and a `__defaults__` changed after compiling was not seen --

WD = np.array([1.0, 2.0, -1.0])


def with_defaults(x, w=WD, s=2.0):
    return np.sin(x * w) * s


@ad.defvjp(with_defaults)
def with_defaults_rule(x, w=None, s=1.0):
    bx = g * np.cos(x * w) * w * s
    bw = g * np.cos(x * w) * x * s


@ad.defjvp(with_defaults)
def with_defaults_tangent(x, w=None, s=1.0):
    dans = (dx * w + dw * x) * np.cos(x * w) * s  # noqa: F821 (the template's tangent placeholders)


def uses_defaults(x):
    return np.sum(with_defaults(x) ** 2)


class Scaled:
    def sine(self, x, s=3.0):
        return np.sin(x) * s


@ad.defvjp(Scaled.sine)
def scaled_sine_rule(self, x, s=1.0):
    bx = g * np.cos(x) * s


def uses_method_default(x):
    return np.sum(Scaled().sine(x) ** 2)


def test_rule_receives_the_functions_defaults():
    saved = with_defaults.__defaults__
    try:
        for f in (uses_defaults, uses_method_default):
            assert np.allclose(ad.grad(f)(X3), numeric_grad(f, (X3,), 0))
        jvp = ad.jvp(uses_defaults)
        assert np.isclose(jvp(X3, X3)[1], numeric_grad(uses_defaults, (X3,), 0) @ X3)
        d = ad.grad(uses_defaults)
        with_defaults.__defaults__ = (np.array([2.0, 1.0, 0.5]), 4.0)  # (after compiling: stale)
        assert np.allclose(d(X3), numeric_grad(uses_defaults, (X3,), 0))
    finally:
        with_defaults.__defaults__ = saved
