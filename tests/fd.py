"""Central finite differences in float64, and a checker comparing them with compiled gradients.

    check_grad(f, args, wrt)   compiles ad.grad(f, wrt), runs it on `args` and compares every requested
                               gradient with central differences of f; also checks that the gradient of
                               an array is a float64 array of the argument's shape, that the gradient of
                               a Python float is a Python float, and that the inputs are left unchanged.

Random inputs come from seeded numpy Generators (`make_rng`, `normal`, `uniform`, `positive`, `away_from`).
Functions handed to `check_grad` must be ordinary module-level `def`s (the compiler reads their source).
"""
import numpy as np

import ad_compiler as ad

EPS = 1e-6  # central differences: truncation ~ EPS**2 * f''', rounding ~ 1e-16 * |f| / EPS


def make_rng(seed=0):
    """A seeded numpy Generator (each test module makes its own, so tests do not depend on order)."""
    return np.random.default_rng(seed)


def normal(rng, *shape):
    """Standard normal float64 values of `shape` (a Python float for shape ())."""
    x = rng.standard_normal(shape)
    return float(x) if shape == () else x


def uniform(rng, low, high, *shape):
    """Uniform float64 values in [low, high) of `shape` (a Python float for shape ())."""
    x = rng.uniform(low, high, shape)
    return float(x) if shape == () else x


def positive(rng, *shape, low=0.5, high=2.0):
    """Values in [low, high): bases of powers, arguments of log and sqrt, denominators."""
    return uniform(rng, low, high, *shape)


def away_from(x, points, gap=1e-3):
    """Move the entries of `x` lying within `gap` of any of `points` (kinks, ties) off by 3 * gap."""
    x = np.array(x, dtype=float)
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + 3 * gap
    return x


def numeric_grad(f, args, i, eps=EPS):
    """d f(*args) / d args[i] by central differences (args[i] a float or a float array), in float64."""
    args = list(args)
    x = args[i]
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        hi, lo = list(args), list(args)
        hi[i], lo[i] = float(x) + eps, float(x) - eps
        return float((f(*hi) - f(*lo)) / (2 * eps))
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[j] += eps
        xm[j] -= eps
        hi, lo = list(args), list(args)
        hi[i], lo[i] = xp, xm
        g[j] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def check_grad(f, args, wrt=0, rtol=1e-5, atol=1e-6, jit=False):
    """Compile ad.grad(f, wrt) and compare each gradient with central differences.

    `wrt` is a position or a tuple of positions. Tolerance: |got - fd| <= atol * scale + rtol * |fd|
    with scale = max(1, max |fd|, |f(args)| * 1e-3) (the rounding error of the differences grows with |f|).
    Returns the gradients (a tuple when `wrt` is a tuple). `jit=True`: the gradient compiled with Numba.
    """
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    copies = [_copy(a) for a in args]
    got = ad.grad(f, wrt=wrt, jit=jit)(*copies) if jit else ad.grad(f, wrt=wrt)(*copies)
    for a, c in zip(args, copies):  # the gradient must not change its inputs
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, c, err_msg="the gradient changed an input in place")
    got = got if isinstance(wrt, tuple) else (got,)
    assert len(got) == len(positions)
    value = float(np.abs(f(*[_copy(a) for a in args])))
    for pos, g in zip(positions, got):
        expected = numeric_grad(f, [_copy(a) for a in args], pos)
        if isinstance(args[pos], np.ndarray):
            assert isinstance(g, np.ndarray), f"gradient of an array argument is a {type(g).__name__}"
            assert g.shape == args[pos].shape, f"gradient shape {g.shape}, argument shape {args[pos].shape}"
            if args[pos].dtype.kind in "biuf":  # a real input gets a real gradient
                assert g.dtype == np.float64, f"gradient dtype {g.dtype}"
        else:
            assert type(g) is float, f"gradient of a Python number is a {type(g).__name__}, not a float"
        scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0, value * 1e-3)
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol * scale,
                                   err_msg=f"gradient with respect to argument {pos} of {f.__name__}")
    return got if isinstance(wrt, tuple) else got[0]
