"""Third derivatives of products, det, std and the 2-norm: the runtime helpers that the reverse and forward
rules of the second-order helpers call (prod_vjp_jvp, cumprod_vjp_jvp, adjugate_vjp, adjugate_jvp,
norm_partial_jvp; rules/helpers.py), so that `ad.grad(ad.grad(ad.grad(f)))` goes through them (issue 9).
Re-exported by runtime.py (`_ad.<name>`). They have no rules of their own: a fourth derivative through them is
refused, naming the helper.

Products use truncated polynomials in two symbols s, t with s^2 = t^2 = 0: (c0, cs, ct, cst). The product of
the factors x_l + s a_l + t b_l has, as its st coefficient, the sum over ordered pairs of different factors i,
j of a_i b_j times the product of the others: the bilinear form of the product's Hessian, exact also where
entries are zero (no division).
"""
import numpy as np

from .errors import NoDerivativeError

__all__ = ["prod_vjp_hvp", "cumprod_vjp_hvp", "adjugate_vjp_jvp", "norm_partial_hvp"]


def _mul(p, q):
    """(p0 + s ps + t pt + st pst)(q0 + ...) modulo s^2, t^2."""
    p0, ps, pt, pst = p
    q0, qs, qt, qst = q
    return p0 * q0, p0 * qs + ps * q0, p0 * qt + pt * q0, p0 * qst + ps * qt + pt * qs + pst * q0


def _lead(x, axes):
    """x with `axes` moved to the front and flattened into one (the groups' entries), and how to undo it."""
    lead = tuple(range(len(axes)))
    moved = np.moveaxis(x, axes, lead)
    rest = moved.shape[len(axes):]
    return moved.reshape((-1,) + rest), lambda y: np.moveaxis(y.reshape(moved.shape), lead, axes)


def prod_vjp_hvp(v, x, a, b, axis=None, keepdims=False):
    """Third derivative of prod (over `axis`) contracted with v (the result's adjoint), a and b: entry k is
    v times the sum over ordered pairs i != j, both != k, of a_i b_j times the product of the entries other
    than i, j, k. Symmetric in a and b (the prod_vjp_jvp rule's adjoint in x and part of its tangent)."""
    from .runtime import as_array, keep_reduced, normalize_axes

    x = as_array(x)
    if x.ndim == 0:
        return np.zeros(np.broadcast_shapes(np.shape(v), np.shape(a), np.shape(b)), dtype=np.result_type(x, 1.0))
    axes = normalize_axes(axis, x.ndim)
    flat, back = _lead(x, axes)
    fa, _ = _lead(np.broadcast_to(a, x.shape), axes)
    fb, _ = _lead(np.broadcast_to(b, x.shape), axes)
    n, rest = flat.shape[0], flat.shape[1:]
    dtype = np.result_type(flat, fa, fb, 1.0)
    one = (np.ones(rest, dtype), np.zeros(rest, dtype), np.zeros(rest, dtype), np.zeros(rest, dtype))
    before, after = [one] * n, [one] * n
    for i in range(1, n):
        before[i] = _mul(before[i - 1], (flat[i - 1], fa[i - 1], fb[i - 1], 0.0))
        j = n - 1 - i
        after[j] = _mul(after[j + 1], (flat[j + 1], fa[j + 1], fb[j + 1], 0.0))
    out = np.stack([_mul(before[k], after[k])[3] for k in range(n)]) if n else np.zeros((0,) + rest, dtype)
    return keep_reduced(v, x, axis, keepdims) * back(out)


def cumprod_vjp_hvp(v, a, p, q, axis=None):
    """Third derivative of cumprod contracted with v (the result's adjoint), p and q, as an array of a's
    shape: entry m is the sum over j >= m of v_j times the st coefficient of the product of the factors
    a_l + s p_l + t q_l, l <= j, l != m. A reverse scan (R_m = v_m + P_(m+1) R_(m+1)) times the products
    before m. Symmetric in p and q."""
    from .runtime_arrays import _along

    shape = np.shape(a)
    out_shape = shape if axis is not None else (int(np.prod(shape)),)
    vm, _ = _along(np.broadcast_to(v, out_shape), axis)
    pm, _ = _along(np.broadcast_to(p, shape), axis)
    qm, _ = _along(np.broadcast_to(q, shape), axis)
    am, ax = _along(np.asarray(a), axis)
    am, vm, pm, qm = (np.moveaxis(y, ax, 0) for y in (am, vm, pm, qm))
    n, rest = am.shape[0], am.shape[1:]
    dtype = np.result_type(am, vm, pm, qm, 1.0)
    zero = np.zeros(rest, dtype)
    out = np.zeros(am.shape, dtype)
    if n == 0:
        return out.reshape(shape)
    r = (vm[n - 1] + zero, zero, zero, zero)
    suffix = [None] * n
    suffix[n - 1] = r
    for m in range(n - 2, -1, -1):
        r = _mul((am[m + 1], pm[m + 1], qm[m + 1], 0.0), r)
        r = (r[0] + vm[m], r[1], r[2], r[3])
        suffix[m] = r
    before = (zero + 1.0, zero, zero, zero)
    for m in range(n):
        out[m] = _mul(before, suffix[m])[3]
        before = _mul(before, (am[m], pm[m], qm[m], 0.0))
    return np.moveaxis(out, 0, ax).reshape(shape)


def adjugate_vjp_jvp(v, a, t):
    """Tangent of adjugate_vjp(v, a) in a along t, which is also its adjoint in a (of the adjoint t): the
    gradient in r of det's third derivative D3 det(a)[v.T, t, r], d (A (tr(Ap) tr(At) - tr(ApAt)) - ApA tr(At)
    - AtA tr(Ap) + ApAtA + AtApA).T with A = inv(a), p = v.T. 0 for matrices of at most 2 x 2 (det is then of
    degree at most 2); at a singular matrix larger than that it is refused."""
    from .runtime_linalg import _invertible, mT

    n = np.shape(a)[-1]
    shape = np.broadcast_shapes(np.shape(a), np.shape(v), np.shape(t))
    if n <= 2:
        return np.zeros(shape, dtype=np.result_type(a, v, t, 1.0))
    inv, d = _invertible(np.asarray(a), "the third derivative")
    p = mT(np.asarray(v))

    def tr(m):
        return np.trace(m, axis1=-2, axis2=-1)[..., None, None]

    ap, at = inv @ p, inv @ t
    apa, ata = ap @ inv, at @ inv
    m = inv * (tr(ap) * tr(at) - tr(ap @ at)) - apa * tr(at) - ata * tr(ap) + ap @ ata + at @ apa
    return mT(d * m)


def norm_partial_hvp(x, p, q, value, ord=None, axis=None, keepdims=False):
    """Third derivative of the 2-norm (of vectors along `axis`, or of all entries: the Frobenius norm)
    contracted with p and q, as an array of x's shape: -(p.q) x / n^3 - p (x.q) / n^3 - q (x.p) / n^3
    + 3 x (x.p)(x.q) / n^5, n the norm; 0 where n is 0 (the subgradient convention of norm_partial); 0 for the
    piecewise-linear norms. The p-norms, the nuclear and spectral norms, and complex x are refused."""
    from .runtime import keep_reduced
    from .runtime_linalg import _matrix_axes, _norm_operand

    x = _norm_operand(x, ord, axis)
    mat = _matrix_axes(x, axis)
    two = (mat is None and (ord is None or ord == 2)) or (mat is not None and ord in (None, "fro"))
    if not two and ((mat is None and ord not in (1, 0, np.inf, -np.inf)) or (mat is not None and ord in ("nuc", 2, -2))) \
            or np.iscomplexobj(x) or np.iscomplexobj(p) or np.iscomplexobj(q):
        raise NoDerivativeError(f"the third derivative of np.linalg.norm with ord={ord!r} is not implemented",
                                hint="third derivatives of norms are written for the 2-norm and the Frobenius "
                                     "norm of real arrays")
    if not two:  # (piecewise-linear norms: their partials are piecewise constant)
        return np.zeros(x.shape)
    p, q = np.broadcast_to(p, x.shape), np.broadcast_to(q, x.shape)
    red = (tuple(range(x.ndim)) if axis is None else (axis % x.ndim,)) if mat is None else mat
    n = keep_reduced(value, x, red, keepdims)

    def dot(u, w):
        return np.sum(u * w, axis=red, keepdims=True)

    xp, xq, pq = dot(x, p), dot(x, q), dot(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(pq * x + p * xq + q * xp) / n ** 3 + 3.0 * x * xp * xq / n ** 5
    return np.where(n == 0, 0.0, out)
