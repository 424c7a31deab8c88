"""Third and fourth derivatives of np.linalg.norm (issue 9): norm_partial_hvp, the rules' helper of
norm_partial_jvp (the norm's Hessian applied) in x, for every norm of real arrays; norm_partial_d3, the rule's
helper of norm_partial_hvp in x, for the 2-norm and the Frobenius norm. Re-exported by runtime.py."""
import numpy as np

from .errors import NoDerivativeError

__all__ = ["norm_partial_hvp", "norm_partial_d3"]


def norm_partial_hvp(x, p, q, value, ord=None, axis=None, keepdims=False):
    """Third derivative of np.linalg.norm (of vectors along `axis`, of all entries, or of matrices along two
    axes) contracted with p and q, as an array of x's shape. The 2-norm and the Frobenius norm: -(p.q) x / n^3
    - p (x.q) / n^3 - q (x.p) / n^3 + 3 x (x.p)(x.q) / n^5, n the norm, 0 where n is 0 (the subgradient
    convention of norm_partial); 0 for the piecewise-linear norms; a p-norm, the nuclear and the spectral norms
    (ord 2 / -2 of matrices) by _p_norm_hvp, _nuclear_hvp, _spectral_hvp, each refused where the norm has no
    third derivative. Complex x is refused."""
    from .runtime import keep_reduced
    from .runtime_linalg import _matrix_axes, _norm_operand

    x = _norm_operand(x, ord, axis)
    mat = _matrix_axes(x, axis)
    two = (mat is None and (ord is None or ord == 2)) or (mat is not None and ord in (None, "fro"))
    if np.iscomplexobj(x) or np.iscomplexobj(p) or np.iscomplexobj(q):
        raise NoDerivativeError(f"the third derivative of np.linalg.norm with ord={ord!r} of a complex array is not "
                                f"implemented", hint="third derivatives of norms are written for real arrays")
    if not two and (ord in (1, 0, -1, np.inf, -np.inf) if mat is None else ord in (1, -1, np.inf, -np.inf)):
        return np.zeros(x.shape)  # (piecewise-linear norms: their partials are piecewise constant)
    p, q = np.broadcast_to(p, x.shape), np.broadcast_to(q, x.shape)
    red = (tuple(range(x.ndim)) if axis is None else (axis % x.ndim,)) if mat is None else mat
    if mat is not None and ord in ("nuc", 2, -2):
        moved = [np.moveaxis(y, mat, (-2, -1)) for y in (x, p, q)]
        out = _nuclear_hvp(*moved) if ord == "nuc" else _spectral_hvp(*moved, ord)
        return np.moveaxis(out, (-2, -1), mat)
    n = keep_reduced(value, x, red, keepdims)
    if not two:
        return _p_norm_hvp(x, p, q, n, float(ord), red)

    def dot(u, w):
        return np.sum(u * w, axis=red, keepdims=True)

    xp, xq, pq = dot(x, p), dot(x, q), dot(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(pq * x + p * xq + q * xp) / n ** 3 + 3.0 * x * xp * xq / n ** 5
    return np.where(n == 0, 0.0, out)


def norm_partial_d3(x, p, q, r, value, ord=None, axis=None, keepdims=False):
    """The fourth derivative of np.linalg.norm contracted with p, q and r, as an array of x's shape (the rule of
    norm_partial_hvp in x): for the 2-norm and the Frobenius norm, with n the norm and (a.b) sums over each
    group, -((p.q) r + (p.r) q + (q.r) p) / n^3 + 3 (((p.q)(x.r) + (p.r)(x.q) + (q.r)(x.p)) x + (x.q)(x.r) p
    + (x.p)(x.r) q + (x.p)(x.q) r) / n^5 - 15 (x.p)(x.q)(x.r) x / n^7; 0 where n is 0 and for the
    piecewise-linear norms; refused for the others (p-norms, nuclear, spectral) and complex x."""
    from .runtime import keep_reduced
    from .runtime_linalg import _matrix_axes, _norm_operand

    x = _norm_operand(x, ord, axis)
    mat = _matrix_axes(x, axis)
    two = (mat is None and (ord is None or ord == 2)) or (mat is not None and ord in (None, "fro"))
    if not two and (ord in (1, 0, -1, np.inf, -np.inf) if mat is None else ord in (1, -1, np.inf, -np.inf)):
        return np.zeros(x.shape)
    if not two or any(np.iscomplexobj(y) for y in (x, p, q, r)):
        raise NoDerivativeError(f"the fourth derivative of np.linalg.norm with ord={ord!r} is not implemented",
                                hint="fourth derivatives of norms are written for the 2-norm and the Frobenius "
                                     "norm of real arrays")
    p, q, r = (np.broadcast_to(y, x.shape) for y in (p, q, r))
    red = (tuple(range(x.ndim)) if axis is None else (axis % x.ndim,)) if mat is None else mat
    n = keep_reduced(value, x, red, keepdims)

    def dot(u, w):
        return np.sum(u * w, axis=red, keepdims=True)

    xp, xq, xr, pq, pr, qr = dot(x, p), dot(x, q), dot(x, r), dot(p, q), dot(p, r), dot(q, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(pq * r + pr * q + qr * p) / n ** 3 + 3.0 * ((pq * xr + pr * xq + qr * xp) * x + xq * xr * p +
                                                           xp * xr * q + xp * xq * r) / n ** 5 \
            - 15.0 * xp * xq * xr * x / n ** 7
    return np.where(n == 0, 0.0, out)


def _p_norm_hvp(x, p, q, n, k, red):
    """The p-norm's (exponent k) third derivative along p and q: with g = sign(x) |x|^(k-1) / n^(k-1) its
    gradient and H t = (k-1) (|x|^(k-2) t / n^(k-1) - g (g.t) / n) its Hessian, the tangent of H p along q:
    (k-1) ((k-2) sign(x) |x|^(k-3) p q / n^(k-1) - (k-1) |x|^(k-2) p (g.q) / n^k - (H q)(g.p) / n
    - g ((H q).p) / n + g (g.p)(g.q) / n^2). 0 where n is 0; at a zero entry (with n > 0) the norm has no third
    derivative for k < 3 (|x|^(k-3) is unbounded there): refused; for k = 3 the subgradient sign(0) = 0."""
    ax, sx = np.abs(x), np.sign(x)
    zero = (ax == 0) & (n != 0)
    if k < 3 and np.any(zero):
        raise NoDerivativeError(f"the third derivative of np.linalg.norm with ord={k:g} does not exist at an entry "
                                f"0 (|x|^{k - 3:g} is unbounded there)",
                                hint="third derivatives of p-norms with p < 3 are defined where no entry is 0")

    def dot(u, w):
        return np.sum(u * w, axis=red, keepdims=True)

    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(ax == 0, 1.0, ax)
        g = sx * safe ** (k - 1) / n ** (k - 1) * (ax != 0)
        hq = (k - 1) * (safe ** (k - 2) * (ax != 0) * q / n ** (k - 1) - g * dot(g, q) / n)
        cube = sx * safe ** (k - 3) if k != 3 else sx
        out = (k - 1) * ((k - 2) * cube * p * q / n ** (k - 1) - (k - 1) * safe ** (k - 2) * (ax != 0) * p * dot(g, q)
                         / n ** k - hq * dot(g, p) / n - g * dot(hq, p) / n + g * dot(g, p) * dot(g, q) / n ** 2)
    return np.where(n == 0, 0.0, out)


def _nuclear_hvp(x, p, q):
    """The nuclear norm's third derivative along p and q (matrices on the last two axes), in x. With m >= n
    (else of the transposes) and C = x.T x = Q diag(s^2) Q.T, the norm is tr sqrt(C), C quadratic in x; the
    derivatives of tr sqrt(C) by divided differences of sqrt's derivative, exact also at equal singular values:
    h1_ij = -1 / (2 s_i s_j (s_i + s_j)),
    h2_ijk = (s_i + s_j + s_k) / (2 s_i s_j s_k (s_i + s_j)(s_j + s_k)(s_i + s_k)),
    D2[E, F] = sum h1_ij E_ij F_ji, D3[E, F, G] = sum h2_ijk (E_ij F_jk G_ki + E_ij G_jk F_ki) (in Q's basis).
    D3N[p, q, r] = D3[Cp, Cq, Cr] + D2[Cpq, Cr] + D2[Cpr, Cq] + D2[Cqr, Cp] (Cp = p.T x + x.T p, Cpq = p.T q +
    q.T p): its gradient in r. Refused at a matrix of deficient rank (the norm has no derivative there)."""
    from .runtime_linalg import mT

    if x.shape[-2] < x.shape[-1]:
        return mT(_nuclear_hvp(mT(x), mT(p), mT(q)))
    mu, Q = np.linalg.eigh(mT(x) @ x)
    s = np.sqrt(np.maximum(mu, 0.0))
    if np.any(s[..., 0] <= x.shape[-1] * np.finfo(float).eps * s[..., -1]) or not np.all(s[..., -1] > 0):
        raise NoDerivativeError("the third derivative of np.linalg.norm with ord='nuc' does not exist at a matrix of "
                                "deficient rank (the nuclear norm is not differentiable there)",
                                hint="third derivatives of the nuclear norm are defined at matrices of full rank")
    si, sj = s[..., :, None], s[..., None, :]
    h1 = -1.0 / (2.0 * si * sj * (si + sj))
    a, b, c = s[..., :, None, None], s[..., None, :, None], s[..., None, None, :]
    h2 = (a + b + c) / (2.0 * a * b * c * (a + b) * (b + c) * (a + c))

    def basis(m):
        return mT(Q) @ m @ Q

    A, B = basis(mT(p) @ x + mT(x) @ p), basis(mT(q) @ x + mT(x) @ q)
    Cpq = basis(mT(p) @ q + mT(q) @ p)
    K = np.einsum("...ijk,...ij,...jk->...ki", h2, A, B) + np.einsum("...ijk,...ij,...ki->...jk", h2, A, B) + h1 * Cpq
    Mr = Q @ K @ mT(Q)
    MA, MB = Q @ (h1 * A) @ mT(Q), Q @ (h1 * B) @ mT(Q)
    return x @ (Mr + mT(Mr)) + 2.0 * (p @ MB + q @ MA)


def _spectral_hvp(x, p, q, ord):
    """The third derivative of the largest (ord 2) or smallest (ord -2) singular value along p and q (matrices
    on the last two axes), in x: that value is an eigenvalue l of the symmetric [[0, x], [x.T, 0]] (linear in x),
    with unit eigenvector w, and for a simple one, R = sum over the other eigenvalues l_j of P_j / (l - l_j):
    D3l[E1, E2, E3] = sum over the orders (a, b, c) of (1, 2, 3) of w.Ea R Eb R Ec w - (w.Ea w)(w.Eb R^2 Ec w);
    its gradient in E3, read back on x's block. Refused where the singular value is not simple (or is 0 for
    ord -2): the norm has no third derivative there."""
    from .runtime_linalg import mT

    m, n = x.shape[-2], x.shape[-1]

    def aug(y):
        out = np.zeros(y.shape[:-2] + (m + n, m + n))
        out[..., :m, m:], out[..., m:, :m] = y, mT(y)
        return out

    lam, W = np.linalg.eigh(aug(x))
    k = m + n - 1 if ord == 2 else m + n - min(m, n)
    gaps = np.abs(lam[..., k, None] - np.delete(lam, k, axis=-1))
    scale = np.max(np.abs(lam), axis=-1, initial=0.0)
    if np.any(np.min(gaps, axis=-1, initial=np.inf) <= 1e-8 * scale) or np.any(scale == 0):
        raise NoDerivativeError(f"the third derivative of np.linalg.norm with ord={ord} does not exist where that "
                                f"singular value is not simple" + (" or is 0" if ord == -2 else ""),
                                hint="third derivatives of the spectral norm are defined where the singular "
                                     "value is simple (and not 0)")
    with np.errstate(divide="ignore"):
        inv_gap = 1.0 / (lam[..., k, None] - lam)
    inv_gap[..., k] = 0.0
    R = (W * inv_gap[..., None, :]) @ mT(W)
    w = W[..., :, k:k + 1]
    P, Qd = aug(p), aug(q)
    ap, aq = R @ P @ w, R @ Qd @ w
    y1 = R @ (P @ aq + Qd @ ap)
    raq, rap = R @ aq, R @ ap
    wpw, wqw = mT(w) @ P @ w, mT(w) @ Qd @ w
    M = w @ mT(y1) + y1 @ mT(w) + ap @ mT(aq) + aq @ mT(ap) - 2.0 * (mT(ap) @ aq) * (w @ mT(w)) \
        - wpw * (w @ mT(raq) + raq @ mT(w)) - wqw * (w @ mT(rap) + rap @ mT(w))
    return 2.0 * M[..., :m, m:]
