"""Runtime helpers of `jit=True` derivatives for np.linalg.solve and np.cross (docs/jit.md), in the subset Numba
compiles: for one matrix (no stack of matrices) and for 3-vectors (or two 2-vectors) along the last axis, the
forms Numba's own np.linalg.solve and np.cross compile. Each does what the helper of the same name in runtime.py
does; for other types the overload gives none: Numba's typing error at the line, a located refusal.
jit_runtime.py imports them and lists them in its HELPERS."""
import numpy as np

from .jit_runtime import _is_array, _is_number, _overload, _overload_literal, numba, unbroadcast


def solve_vjp_b(g, a, b):
    """Adjoint of b in x = solve(a, b): solve(a.T, g)."""


def solve_vjp_a(g, a, b, x):
    """Adjoint of a in x = solve(a, b): -solve(a.T, g) x.T (an outer product for a vector b)."""


@_overload(solve_vjp_b)
def _solve_vjp_b(g, a, b):
    if _is_array(a, 2) and (_is_array(g, 1) or _is_array(g, 2)):
        return lambda g, a, b: np.linalg.solve(np.ascontiguousarray(a.T), g)
    return None


@_overload(solve_vjp_a)
def _solve_vjp_a(g, a, b, x):
    if not (_is_array(a, 2) and _is_array(x) and x.ndim in (1, 2) and _is_array(g, x.ndim)):
        return None
    if x.ndim == 1:  # (b a vector: x is one; the outer product as loops, Numba's np.outer compiles for seconds)
        def vector(g, a, b, x):
            gb = np.linalg.solve(np.ascontiguousarray(a.T), g)
            out = np.empty((gb.shape[0], x.shape[0]))
            for i in range(gb.shape[0]):
                for j in range(x.shape[0]):
                    out[i, j] = -gb[i] * x[j]
            return out
        return vector
    return lambda g, a, b, x: -(np.linalg.solve(np.ascontiguousarray(a.T), g) @ np.ascontiguousarray(x.T))


def cross(a, b, where):
    """np.cross(a, b) of 3-vectors (1-d, or the rows of 2-d arrays, broadcast): Numba's; of 2-vectors NumPy gives
    a number per pair where 3-vectors give vectors (one compiled type for both: refused when it runs, an
    UnsupportedError at `where`, the line's location, a constant the lowering gives)."""


@_overload_literal(cross)
def _cross(a, b, where):
    if not (_is_array(a) and _is_array(b) and a.ndim in (1, 2) and b.ndim in (1, 2)):
        return None
    from .errors import UnsupportedError
    message = (getattr(where, "literal_value", None) or "here") + "\njit=True: np.cross of 2-vectors (a number " \
        "per pair, where 3-vectors give vectors: Numba compiles one of the two); call ad.grad without jit=True"

    def three(a, b, where):
        if a.shape[-1] == 2 and b.shape[-1] == 2:
            raise UnsupportedError(message)
        return np.cross(a, b)
    return three


def cross_axis(axisa, axis=None):
    """The one axis of np.cross (runtime.cross_axis): `axis` when given, else `axisa`."""


@_overload(cross_axis)
def _cross_axis(axisa, axis=None):
    if isinstance(axis, (numba.types.Omitted, numba.types.NoneType)) or axis is None:
        return lambda axisa, axis=None: axisa
    return lambda axisa, axis=None: axis


def cross_vjp(g, other, x, axis=-1, which=0):
    """Adjoint of a (which=0) or b (which=1) in np.cross(a, b) along the last axis (`other`: the other operand;
    Numba's np.cross takes no axis, so the primal compiled only along it): other x g / g x other for 3-vectors;
    for two 2-vectors (a number per pair) the same with g as the third component, (o1 g, -o0 g) / (-g o1, g o0).
    Summed to x's shape where the product broadcast x. A 2-vector beside a 3-vector: none (a refusal)."""


@_overload(cross_vjp)
def _cross_vjp(g, other, x, axis=-1, which=0):
    if not (_is_array(other) and other.ndim in (1, 2) and _is_array(x) and x.ndim in (1, 2) and
            (_is_number(g) or _is_array(g)) and (_is_number(g) or g.ndim == max(other.ndim, x.ndim) -
                                                  (1 if _is_number(g) else 0))):
        return None
    rows = max(other.ndim, x.ndim) == 2

    def cross(g, other, x, axis=-1, which=0):
        if axis != -1 and axis != x.ndim - 1:
            raise NotImplementedError("jit=True: the adjoint of np.cross along an axis other than the last")
        n, m = other.shape[-1], x.shape[-1]
        if n != m or n not in (2, 3):
            raise NotImplementedError("jit=True: the adjoint of np.cross of a 2-vector and a 3-vector")
        k = 1 if not rows else max(other.shape[0] if other.ndim == 2 else 1, x.shape[0] if x.ndim == 2 else 1)
        o2 = other.reshape((1, n)) if other.ndim == 1 else other
        g2 = np.asarray(g).reshape((1, -1)) if not rows else np.asarray(g).reshape((k, -1))
        part = np.empty((k, n))
        s = 1.0 if which == 0 else -1.0  # (b x g = -(g x b))
        for r in range(k):
            o = o2[r if o2.shape[0] != 1 else 0]
            h = g2[r if g2.shape[0] != 1 else 0]
            if n == 3:  # (other x g, or g x other)
                part[r, 0] = s * (o[1] * h[2] - o[2] * h[1])
                part[r, 1] = s * (o[2] * h[0] - o[0] * h[2])
                part[r, 2] = s * (o[0] * h[1] - o[1] * h[0])
            else:  # (g the third component of (0, 0, g))
                part[r, 0] = s * o[1] * h[0]
                part[r, 1] = -s * o[0] * h[0]
        return unbroadcast(part if rows else part[0], x)
    return cross


HELPERS = {"cross", "solve_vjp_a", "solve_vjp_b", "cross_axis", "cross_vjp"}
