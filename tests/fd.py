"""Central finite differences in float64, and a checker comparing them with compiled gradients."""
import numpy as np

import ad_compiler as ad


def numeric_grad(f, args, i, eps=1e-6):
    """d f(*args) / d args[i] by central differences (args[i] a float or a float array)."""
    args = list(args)
    x = args[i]
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        hi, lo = list(args), list(args)
        hi[i], lo[i] = float(x) + eps, float(x) - eps
        return (f(*hi) - f(*lo)) / (2 * eps)
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[j] += eps
        xm[j] -= eps
        hi, lo = list(args), list(args)
        hi[i], lo[i] = xp, xm
        g[j] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


def check_grad(f, args, wrt=0, rtol=1e-5, atol=1e-6):
    """Compile ad.grad(f, wrt) and compare each gradient with central differences."""
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = ad.grad(f, wrt=wrt)(*copies)
    for a, c in zip(args, copies):  # the gradient must not change its inputs
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, c)
    got = got if isinstance(wrt, tuple) else (got,)
    for pos, g in zip(positions, got):
        expected = numeric_grad(f, [a.copy() if isinstance(a, np.ndarray) else a for a in args], pos)
        if isinstance(args[pos], np.ndarray):
            assert isinstance(g, np.ndarray) and g.shape == args[pos].shape, (type(g), np.shape(g))
        else:
            assert isinstance(g, float), type(g)
        scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol * scale * 100,
                                   err_msg=f"gradient with respect to argument {pos} of {f.__name__}")
    return got
