"""One program checked in every mode against central finite differences in float64 (test_modes.py's
differences on trees):

    check_modes(f, args, wrt)   ad.grad, ad.jvp, ad.hvp and ad.hessian of f at `args` (positional, and
                                `kwargs` by name) with respect to the argument at position `wrt`

The expected values come from differences of f itself, never from the compiler's output.
"""
import numpy as np

import ad_compiler as ad
from test_modes import _copy, assert_close, fd_grad, fd_hessian, fd_hvp, fd_jvp, ravel

ALL = ("grad", "jvp", "hvp", "hessian")


def random_like(tree, seed):
    """Standard normal values with the structure of `tree` (arrays, floats, lists, tuples, dicts)."""
    vec, unravel = ravel(tree)
    return unravel(np.random.default_rng(seed).standard_normal(vec.size))


def check_modes(f, args, wrt=0, kwargs=None, modes=ALL, seed=0, rtol=1e-5, atol=1e-6):
    """ad.grad / jvp / hvp / hessian of f w.r.t. the positional argument `wrt`, against differences."""
    kwargs = dict(kwargs or {})
    args = tuple(args)

    def call(*a):
        return f(*a, **_copy(kwargs))

    def fresh():
        return [_copy(a) for a in args]

    x = args[wrt]
    name = getattr(f, "__name__", None) or getattr(f, "func").__name__
    if "grad" in modes:
        got = ad.grad(f, wrt=wrt)(*fresh(), **_copy(kwargs))
        assert_close(got, fd_grad(call, fresh(), wrt), rtol, atol, what=f"grad of {name}")
    if "jvp" in modes:
        t = random_like(x, seed + 1)
        value, tangent = ad.jvp(f, wrt=wrt)(*fresh(), _copy(t), **_copy(kwargs))
        assert_close(value, call(*fresh()), rtol, atol, what=f"value of jvp of {name}")
        assert_close(tangent, fd_jvp(call, fresh(), wrt, t), rtol, atol, what=f"jvp of {name}")
    if "hvp" in modes:
        v = random_like(x, seed + 2)
        got = ad.hvp(f, wrt=wrt)(*fresh(), _copy(v), **_copy(kwargs))
        assert_close(got, fd_hvp(call, fresh(), wrt, v), 1e-4, 1e-4, what=f"hvp of {name}")
    if "hessian" in modes:
        got = ad.hessian(f, wrt=wrt)(*fresh(), **_copy(kwargs))
        assert_close(got, fd_hessian(call, fresh(), wrt), 1e-4, 1e-4, what=f"hessian of {name}")
