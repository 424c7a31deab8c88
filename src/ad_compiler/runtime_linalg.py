"""Runtime helpers of the linear-algebra rules (rules/linalg.py, rules/scipy_linalg.py), re-exported by
runtime.py as `_ad.<name>`. Everything works on stacks of matrices (leading batch axes).

Factorizations that read one triangle of their input (np.linalg.cholesky and eigh read the lower one,
scipy.linalg.cholesky the upper one by default) have derivatives with respect to the entries of that
triangle only: `triangle_grad` turns the gradient with respect to a symmetric matrix into that form, and
`sym_from_triangle` turns a perturbation of the input into the symmetric perturbation the function sees.
"""
import numpy as np

from .runtime_backend import _host_call, as_array, foreign

from .errors import NoDerivativeError, UnsupportedError

__all__ = [
    "mT", "phi", "lower_factor", "triangle_grad", "sym_from_triangle", "eig_gaps", "diag_embed", "diag_part",
    "check_real_eig", "check_cholesky", "svd_gaps", "check_svd", "check_qr", "inv_or_zero", "norm_partial", "norm_partial_jvp",
    "svd_jvp", "field_vjp", "norm_axes", "as_columns", "from_columns", "drop_column", "residual_row", "residual_tangent", "copyltu",
    "matrix_power_jvp", "matrix_power_jvp_jvp", "pair_block", "block_corner", "corner_embed", "block_diag_sum", "expm_frechet", "expm_frechet_jvp", "tri_part", "tri_matvec", "cols_outer",
    "tri_vjp_a", "cho_matrix", "cho_vjp_c", "cho_tangent_a", "cho_tangent_vjp", "cho_factor_vjp", "pair_adjoint",
    "funm_frechet", "funm_frechet_jvp", "flip_trans", "cho_other", "tri_inv", "inv", "solve", "adjugate",
    "adjugate_jvp", "adjugate_vjp", "cho_solve_factored", "log_diag_factored", "cho_vjp_a", "chol_inv_weighted",
]


def _dask(x):
    return hasattr(x, "rechunk") and hasattr(x, "chunks")


def inv(a):
    """np.linalg.inv in the library of `a`. A Dask stack of matrices is inverted matrix by matrix, each whole in
    one chunk (Dask's own inverse takes a 2-d array in square chunks only)."""
    if _dask(a):
        whole = a.rechunk({a.ndim - 2: -1, a.ndim - 1: -1})
        return whole.map_blocks(np.linalg.inv, dtype=np.result_type(a.dtype, np.float64))
    return np.linalg.inv(a)


def solve(a, b):
    """np.linalg.solve in the library of `a` and `b`. With a Dask array among them: one lazy task that solves
    the whole system in NumPy (Dask's own solve takes a 2-d matrix in square chunks only); the result's shape
    is NumPy's (found on an identity matrix and zeros of the arguments' shapes, which are views)."""
    if _dask(a) or _dask(b):
        import dask
        import dask.array as da

        dtype = np.result_type(getattr(a, "dtype", np.float64), getattr(b, "dtype", np.float64), np.float64)
        eye = np.broadcast_to(np.eye(np.shape(a)[-1], dtype=dtype), np.shape(a))
        shape = np.linalg.solve(eye, np.broadcast_to(np.zeros((), dtype), np.shape(b))).shape
        return da.from_delayed(dask.delayed(np.linalg.solve, pure=True)(a, b), shape, dtype=dtype)
    return np.linalg.solve(a, b)


def mT(x):
    """The transpose of the last two axes (of every matrix of a stack)."""
    return np.swapaxes(x, -1, -2)


def phi(x):
    """The lower triangle of x with its diagonal halved (Cholesky's derivative)."""
    return np.tril(x) - 0.5 * diag_embed(diag_part(x))


def diag_part(x):
    """The diagonals of a stack of matrices (a copy)."""
    return np.diagonal(x, axis1=-2, axis2=-1).copy()


def diag_embed(d):
    """Diagonal matrices with the entries of d (on the last axis) on their diagonals."""
    d = as_array(d)
    if d.__class__ is not np.ndarray:  # (Dask, CuPy: no stores into a new array)
        return d[..., None] * np.eye(d.shape[-1])
    out = np.zeros(d.shape + d.shape[-1:], dtype=np.result_type(d.dtype, 0.0))
    out[..., _diag(d.shape[-1]), _diag(d.shape[-1])] = d  # (no n-by-n identity multiplied)
    return out


def _diag(n):
    return np.arange(n)


def tri_inv(L):
    """The inverse of a lower-triangular matrix (of each of a stack): np.linalg.inv(L), computed with LAPACK's
    triangular inversion when SciPy is there (a third of the work of a general inverse); another library's
    array (Dask, CuPy) by `inv`."""
    if L.__class__ is not np.ndarray:
        return inv(L)
    try:
        from scipy.linalg.lapack import get_lapack_funcs
    except ImportError:
        return np.linalg.inv(L)
    if L.ndim != 2 or L.dtype.kind not in "fc" or L.shape[0] == 0:
        return np.linalg.inv(L)
    trtri, = get_lapack_funcs(("trtri",), (L,))
    inv_, info = trtri(L, lower=1)
    if info != 0:
        return np.linalg.inv(L)  # (singular: the same error as np.linalg.inv)
    return np.tril(inv_)


def lower_factor(x, upper=False):
    """x itself, or its transpose when the factor is upper triangular (upper=True)."""
    return mT(x) if upper else x


def triangle_grad(s, upper=False):
    """The gradient with respect to the entries of the lower (upper) triangle of a matrix that is read as
    symmetric, from the gradient `s` with respect to the symmetric matrix: tril(s + s.T) - diag(s)."""
    tri = np.triu if upper else np.tril
    if s.__class__ is not np.ndarray:  # (Dask, CuPy: no stores into the result)
        return tri(s) + tri(mT(s)) - diag_embed(diag_part(s))
    out = tri(s + mT(s))
    n = s.shape[-1]
    out[..., _diag(n), _diag(n)] -= diag_part(s)  # (the same entries, in fewer passes over the matrix)
    return out


def sym_from_triangle(d, upper=False):
    """The symmetric matrix a function reading only the lower (upper) triangle sees: tril(d) + tril(d, -1).T.
    (The transpose of triangle_grad.)"""
    tri = np.triu if upper else np.tril
    return tri(d) + mT(tri(d)) - diag_embed(diag_part(d))


def eig_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (the eigenvector derivative's coefficients).
    Equal eigenvalues give inf: the eigenvectors are not differentiable there."""
    w = as_array(w)
    diff = w[..., None, :] - w[..., :, None]
    n = w.shape[-1]
    with np.errstate(divide="ignore"):
        f = 1.0 / np.where(np.eye(n, dtype=bool), 1.0, diff)
    return np.where(np.eye(n, dtype=bool), 0.0, f)


def svd_gaps(s):
    """F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal, 0 on it (the singular vectors' derivative)."""
    return eig_gaps(as_array(s) ** 2)


def inv_or_zero(s):
    """1 / s (singular values; the pseudo-inverse's reciprocal would use a cutoff, but the derivative of an
    SVD needs nonzero singular values anyway)."""
    return 1.0 / s


def check_real_eig(value, a):
    """np.linalg.eig's derivative is implemented for real matrices with real eigenvalues (NumPy then gives real
    eigenvectors of unit length); complex eigenvalues are refused."""
    if np.iscomplexobj(value[0]) or np.iscomplexobj(value[1]) or np.iscomplexobj(a):
        raise NoDerivativeError("np.linalg.eig is differentiated only at real matrices with real eigenvalues",
                                hint="a matrix with complex eigenvalues has no derivative rule here; for a symmetric "
                                     "matrix use np.linalg.eigh")
    return value


def check_cholesky(value):
    """np.linalg.cholesky of a Dask array is Dask's cholesky, which gives the upper factor (NumPy: the lower
    one), from a triangle it does not document: its derivative is refused rather than taken for NumPy's."""
    if value.__class__ is not np.ndarray and foreign(value) and type(value).__module__.startswith("dask"):
        raise NoDerivativeError("np.linalg.cholesky of a Dask array gives the upper factor (Dask's convention, "
                                "not NumPy's), and its derivative is not implemented",
                                hint="compute the factor of a NumPy array (np.asarray(a), or .compute()), or use "
                                     "np.linalg.solve / slogdet on the Dask array")
    return value


def check_svd(value, a, full_matrices, hermitian=False):
    """The SVD's derivative needs unique singular vectors: full_matrices=True adds arbitrary columns to U or
    V when the matrix is not square, so it is refused there; hermitian=True reads one triangle (refused)."""
    m, n = np.shape(a)[-2:]
    if hermitian:
        raise NoDerivativeError("np.linalg.svd(a, hermitian=True) has no derivative rule",
                                hint="use hermitian=False (or np.linalg.eigh)")
    if full_matrices and m != n:
        raise NoDerivativeError("np.linalg.svd(a, full_matrices=True) of a non-square matrix has no derivative "
                                "(the extra singular vectors are arbitrary)",
                                hint="pass full_matrices=False")
    return value


def check_qr(value, a, mode):
    """np.linalg.qr's derivative is implemented for mode 'reduced' (or 'r') with at least as many rows as
    columns ('complete' of a tall matrix adds arbitrary columns; a wide matrix is not done)."""
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "r") and m != n or m < n:
        raise NoDerivativeError(f"np.linalg.qr(mode={mode!r}) of a {m} x {n} matrix has no derivative rule",
                                hint="use mode='reduced' with rows >= columns")
    return value


def svd_jvp(a, da):
    """(dU, dS, dV) for the reduced SVD a = U diag(S) V.T in the direction da (distinct, nonzero singular
    values)."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = mT(vh)
    f = svd_gaps(s)
    dp = mT(u) @ da @ v
    ds = diag_part(dp)
    sm = diag_embed(s)
    sinv = diag_embed(1.0 / s)
    du = u @ (f * (dp @ sm + sm @ mT(dp))) + (da @ v - u @ dp) @ sinv
    dv = v @ (f * (sm @ dp + mT(dp) @ sm)) + (mT(da) @ u - v @ mT(dp)) @ sinv
    return du, ds, dv


# -- norms ------------------------------------------------------------------------------------------------------
def norm_axes(x, axis):
    """The axes np.linalg.norm reduces (all of x when axis is None)."""
    return tuple(range(np.ndim(x))) if axis is None else axis


def _matrix_axes(x, axis):
    nd = np.ndim(x)
    if axis is None:
        return (nd - 2, nd - 1) if nd == 2 else None
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        return tuple(a % nd for a in axis)
    return None


def _share(mask, axes):
    """mask / (its count over axes): ties share equally."""
    count = np.sum(mask, axis=axes, keepdims=True)
    return mask / np.maximum(count, 1)


def norm_partial(x, value, ord=None, axis=None, keepdims=False):
    """The partial derivatives of np.linalg.norm(x, ord, axis) with respect to x (x's shape), for every ord.

    Vector norms: ord None/2 x / |x|; 1 sign(x); p sign(x) |x|^(p-1) / |x|_p^(p-1); inf / -inf the entries of
    largest / smallest magnitude (ties share equally); 0 (a count) has derivative 0. Matrix norms: 'fro'
    x / |x|; 'nuc' U V.T; 2 / -2 the outer product of the singular vectors of the largest / smallest singular
    value; 1 / -1 (inf / -inf) the signs of the column (row) of largest / smallest absolute sum, ties shared.
    At 0 (and at sign changes of x) the subgradient 0 / sign(0) = 0 is used.

    For a complex x (the 2-norm and the Frobenius norm only): conj(x) / |x|, so that the adjoint is g times
    the partials and the tangent the real part of the partials times dx (docs/rules.md, "Complex
    intermediates").
    """
    from .runtime import keep_reduced

    x = _norm_operand(x, ord, axis)
    mat = _matrix_axes(x, axis)
    n = keep_reduced(value, x, axis if mat is None else mat, keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        if mat is None:  # vector norms along `axis` (all of x when axis is None)
            red = tuple(range(x.ndim)) if axis is None else (axis % x.ndim,)
            if ord is None or ord == 2:
                return np.where(n == 0, 0.0, np.conj(x) / n)
            if ord == 1:
                return np.sign(x)
            if ord == 0:
                return np.zeros_like(x)
            if ord == np.inf or ord == -np.inf:
                return np.sign(x) * _share(np.abs(x) == n, red)
            p = float(ord)
            return np.where(n == 0, 0.0, np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1))
        r, c = mat
        if ord in (None, "fro"):
            return np.where(n == 0, 0.0, np.conj(x) / n)
        moved = np.moveaxis(x, (r, c), (-2, -1))
        if ord in ("nuc", 2, -2):
            u, s, vh = np.linalg.svd(moved, full_matrices=False)
            if ord == "nuc":
                part = u @ vh
            else:
                k = 0 if ord == 2 else -1
                part = u[..., :, k:k + 1 if k == 0 else None] @ vh[..., k:k + 1 if k == 0 else None, :]
            return np.moveaxis(part, (-2, -1), (r, c))
        if ord in (1, -1, np.inf, -np.inf):
            along = -2 if ord in (1, -1) else -1  # column sums (1) or row sums (inf)
            sums = np.sum(np.abs(moved), axis=along, keepdims=True)
            best = np.max(sums, axis=-1 if along == -2 else -2, keepdims=True) if ord in (1, np.inf) else \
                np.min(sums, axis=-1 if along == -2 else -2, keepdims=True)
            win = _share(sums == best, (-1 if along == -2 else -2,))
            return np.moveaxis(np.sign(moved) * win, (-2, -1), (r, c))
    raise NoDerivativeError(f"np.linalg.norm with ord={ord!r} has no derivative rule")


def _norm_operand(x, ord, axis):
    """x as a float (or complex) array; a complex x only for the 2-norm and the Frobenius norm."""
    x = as_array(x)
    if x.dtype.kind != "c":
        return as_array(x, dtype=float)
    if ord is None or ord == "fro" or ord == 2 and _matrix_axes(x, axis) is None:
        return x
    raise UnsupportedError(f"np.linalg.norm of a complex value is differentiated for the 2-norm and the Frobenius "
                           f"norm only, not ord={ord!r}",
                           hint="write the norm with np.abs (e.g. np.sum(np.abs(z)) for ord=1), whose rule "
                                "handles complex values")


def norm_partial_jvp(x, dx, value, ord=None, axis=None, keepdims=False):
    """Tangent of norm_partial(x, ...) in the direction dx (second derivatives of the norm)."""
    from .runtime import keep_reduced

    x = _norm_operand(x, ord, axis)
    dx = np.broadcast_to(dx, x.shape)
    mat = _matrix_axes(x, axis)
    red = (tuple(range(x.ndim)) if axis is None else (axis % x.ndim,)) if mat is None else mat
    part = norm_partial(x, value, ord, axis, keepdims)
    n = keep_reduced(value, x, red, keepdims)
    dn = np.real(np.sum(part * dx, axis=red, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        if (mat is None and (ord is None or ord == 2)) or (mat is not None and ord in (None, "fro")):
            return np.where(n == 0, 0.0, np.conj(dx) / n - np.conj(x) * dn / n ** 2)
        if mat is None and ord not in (1, 0, np.inf, -np.inf):
            p = float(ord)
            ax = np.abs(x)
            return np.where(n == 0, 0.0, (p - 1) * ax ** (p - 2) * dx / n ** (p - 1)
                            - (p - 1) * np.sign(x) * ax ** (p - 1) * dn / n ** p)
        if mat is not None and ord in ("nuc", 2, -2):
            r, c = mat
            moved, dmoved = np.moveaxis(x, (r, c), (-2, -1)), np.moveaxis(dx, (r, c), (-2, -1))
            u, s, vh = np.linalg.svd(moved, full_matrices=False)
            du, ds, dv = svd_jvp(moved, dmoved)
            v = mT(vh)
            if ord == "nuc":
                dpart = du @ vh + u @ mT(dv)
            else:
                k = slice(0, 1) if ord == 2 else slice(-1, None)
                dpart = du[..., :, k] @ mT(v[..., :, k]) + u[..., :, k] @ mT(dv[..., :, k])
            return np.moveaxis(dpart, (-2, -1), (r, c))
    return np.zeros_like(x)  # piecewise-linear norms: the partials are piecewise constant


def field_vjp(g, result, index):
    """Adjoint of the field `index` of a tuple result (an eigh / svd / qr / slogdet result read by name)."""
    from .runtime import zeros_like

    out = zeros_like(result)
    out[index] = g
    return out


# -- adjugate: det's derivative, also at singular matrices -----------------------------------------------------
def adjugate(a):
    """The adjugate of (a stack of) square matrices: det(a) inv(a) where a is invertible, and also at singular
    matrices, where det is as smooth and its derivative is adj(a).T. From the SVD a = u s vh (u, vh unitary,
    adj(q) = det(q) q^H): adj(a) = det(u) det(vh) vh^H adj(s) u^H, adj(s) the products of the other values."""
    if _dask(a):  # (matrix by matrix, each whole in one chunk, as inv)
        whole = a.rechunk({a.ndim - 2: -1, a.ndim - 1: -1})
        return whole.map_blocks(adjugate, dtype=np.result_type(a.dtype, np.float64))
    if foreign(a):
        return _host_call(adjugate, a)
    a = np.asarray(a)
    n = a.shape[-1]
    if n == 1:
        return np.ones_like(a, dtype=np.result_type(a, 1.0))
    u, s, vh = np.linalg.svd(a)
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (np.conj(mT(vh)) * others[..., None, :]) @ np.conj(mT(u))


def _singular(a, tol=None):
    """Is any matrix of the stack `a` singular to working precision (tol None), or its condition number above
    1 / tol (where the adjugate's derivatives are computed from invertible shifts instead: inv(a) times det(a)
    loses about log10 of the condition number digits)?"""
    s = np.linalg.svd(np.asarray(a), compute_uv=False)
    tol = np.shape(a)[-1] * np.finfo(float).eps if tol is None else tol
    return bool(np.any(s[..., -1] <= tol * s[..., 0]))


def _invertible(a, what):
    if _singular(a):
        raise NoDerivativeError(f"{what} of np.linalg.det at a singular matrix larger than 2 x 2 is not implemented",
                                hint="first derivatives of det are exact everywhere (the adjugate); second ones "
                                     "only at invertible matrices or at 2 x 2 ones")
    return np.linalg.inv(a), np.linalg.det(a)[..., None, None]


def adjugate_jvp(a, t):
    """Tangent of adjugate(a): 0 for 1 x 1 matrices, adj(t) for 2 x 2 (adj is linear there), else
    det(a) (tr(inv(a) t) inv(a) - inv(a) t inv(a)) at an invertible a."""
    n = np.shape(a)[-1]
    if n == 1:
        return np.zeros(np.broadcast_shapes(np.shape(a), np.shape(t)), dtype=np.result_type(a, t, 1.0))
    if n == 2:
        return adjugate_2(np.broadcast_to(t, np.broadcast_shapes(np.shape(a), np.shape(t))))
    if _singular(a, 1e-6):  # (adj is a polynomial: its tangent at a (near) singular a from invertible shifts)
        from .runtime_third import on_circle
        return on_circle(lambda m: adjugate_jvp(m, t), a)
    inv, d = _invertible(a, "the second derivative")
    return d * (np.trace(inv @ t, axis1=-2, axis2=-1)[..., None, None] * inv - inv @ t @ inv)


def adjugate_vjp(g, a):
    """Adjoint of adjugate(a) (the transpose of adjugate_jvp)."""
    n = np.shape(a)[-1]
    if n == 1:
        return np.zeros(np.shape(a), dtype=np.result_type(a, g, 1.0))
    if n == 2:
        return adjugate_2(np.broadcast_to(g, np.shape(a)))
    if _singular(a, 1e-6):
        from .runtime_third import on_circle
        return on_circle(lambda m: adjugate_vjp(g, m), a)
    inv, d = _invertible(a, "the second derivative")
    it = mT(inv)
    return d * (np.sum(g * inv, axis=(-2, -1))[..., None, None] * it - it @ g @ it)


def adjugate_2(m):
    """adj of 2 x 2 matrices, [[d, -b], [-c, a]]: linear in m."""
    out = np.empty(np.shape(m), dtype=np.result_type(m, 1.0))
    out[..., 0, 0], out[..., 1, 1] = m[..., 1, 1], m[..., 0, 0]
    out[..., 0, 1], out[..., 1, 0] = -m[..., 0, 1], -m[..., 1, 0]
    return out


def copyltu(m):
    """The lower triangle of m copied onto the upper one (QR's derivative)."""
    return np.tril(m) + mT(np.tril(m, -1))


# -- least squares --------------------------------------------------------------------------------------------
def as_columns(v, b):
    """v as a matrix of columns: a vector right-hand side `b` (one axis less than a matrix) becomes one column."""
    v = as_array(v, dtype=float)
    if v.ndim == 0:  # a zero tangent
        v = np.broadcast_to(v, np.shape(b))
    return v[..., None] if np.ndim(b) == 1 else v


def drop_column(v, b):
    """The transpose of as_columns for a matrix of columns shaped like any value (not only b's): the one
    column of a vector right-hand side `b` taken out again."""
    v = as_array(v)
    return v[..., 0] if np.ndim(b) == 1 else v


def from_columns(v, b):
    """The inverse of as_columns: back to b's shape."""
    return np.reshape(v, np.shape(b))


def residual_row(g_res, x_cols):
    """np.linalg.lstsq's residuals' adjoint as a row to broadcast against the residual matrix (zeros when
    lstsq returned no residuals: rank-deficient or not more rows than columns)."""
    g_res = as_array(g_res, dtype=float)
    k = np.shape(x_cols)[-1]
    return np.zeros(k) if g_res.size == 0 else np.reshape(g_res, (k,))


def residual_tangent(t, res):
    """The residuals' tangent, or an empty array when lstsq returned no residuals."""
    return np.reshape(t, np.shape(res)) if np.size(res) else np.zeros(np.shape(res))


# -- matrix power ------------------------------------------------------------------------------------------------
def _powers(a, n):
    out = [np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a))]
    for _ in range(n - 1):
        out.append(out[-1] @ a)
    return out


def matrix_power_jvp(a, t, n):
    """Tangent of np.linalg.matrix_power(a, n) in the direction t: sum_k a^k t a^(n-1-k) (n >= 1); for n < 0
    that of inv(a)^|n|, with d inv(a) = -inv(a) t inv(a). (Also the adjoint: matrix_power_jvp(a.T, g, n).)"""
    if n == 0:
        return np.zeros(np.broadcast_shapes(np.shape(a), np.shape(t)))
    if n < 0:
        b = inv(a)
        return matrix_power_jvp(b, -b @ t @ b, -n)
    p = _powers(a, n)
    return sum(p[k] @ t @ p[n - 1 - k] for k in range(n))


# matrix_power_jvp(a, t, n) is the corner block of matrix_power([[a, t], [0, a]], n): its adjoint in a is that of
# matrix_power at the block matrix, summed over the diagonal blocks (rules/helpers.py), with these linear maps.
def pair_block(a, t):
    """The block matrix [[a, t], [0, a]] (of stacks of matrices: the last two axes)."""
    a = as_array(a)
    t = np.broadcast_to(t, np.shape(a))
    zero = np.zeros(np.broadcast_shapes(np.shape(a), np.shape(t)), dtype=np.result_type(a, t, 1.0))
    return np.concatenate([np.concatenate([a + zero, t + zero], axis=-1),
                           np.concatenate([zero, a + zero], axis=-1)], axis=-2)


def block_corner(m):
    """The top right block of a 2d x 2d block matrix (the transpose of corner_embed)."""
    d = np.shape(m)[-1] // 2
    return as_array(m)[..., :d, d:]


def corner_embed(h):
    """[[0, h], [0, 0]] (the transpose of block_corner)."""
    h = as_array(h)
    zero = np.zeros(h.shape, dtype=np.result_type(h, 1.0))
    return np.concatenate([np.concatenate([zero, h], axis=-1), np.concatenate([zero, zero], axis=-1)], axis=-2)


def block_diag_sum(m):
    """The sum of the two diagonal blocks of a 2d x 2d block matrix (the transpose in a of pair_block)."""
    d = np.shape(m)[-1] // 2
    m = as_array(m)
    return m[..., :d, :d] + m[..., d:, d:]


def matrix_power_jvp_jvp(a, da, t, dt, n):
    """Tangent of matrix_power_jvp(a, t, n) when both a and t move (da, dt)."""
    if n == 0:
        return np.zeros(np.broadcast_shapes(np.shape(a), np.shape(t)))
    if n < 0:
        b = inv(a)
        db = -b @ da @ b
        s = -b @ t @ b
        ds = -(db @ t @ b + b @ dt @ b + b @ t @ db)
        return matrix_power_jvp_jvp(b, db, s, ds, -n)
    p = _powers(a, n)
    dp = [np.zeros(np.shape(a))] + [matrix_power_jvp(a, da, k) for k in range(1, n)]
    return sum(p[k] @ dt @ p[n - 1 - k] + dp[k] @ t @ p[n - 1 - k] + p[k] @ t @ dp[n - 1 - k] for k in range(n))


# -- matrix functions ----------------------------------------------------------------------------------------------
def _inexact(*xs):
    """The arrays broadcast together, as floats, or all complex if one is (a complex matrix function: the
    Frechet derivative of a holomorphic function, docs/rules.md "Complex intermediates")."""
    xs = [as_array(x) for x in xs]
    dtype = np.result_type(*[x.dtype for x in xs], 1.0)
    return np.broadcast_arrays(*(as_array(x, dtype=dtype) for x in xs))


def _block_expm(blocks):
    from scipy.linalg import expm

    return expm(np.block(blocks))


def expm_frechet(a, e):
    """The Frechet derivative of expm at a in the direction e: the upper right block of expm([[a, e], [0, a]])
    (stacks of matrices: one by one)."""
    a, e = _inexact(a, e)
    if a.ndim > 2:
        return np.stack([expm_frechet(x, y) for x, y in zip(a, e)])
    n = a.shape[-1]
    z = np.zeros_like(a)
    return _block_expm([[a, e], [z, a]])[:n, n:]


def expm_frechet_jvp(a, da, e, de):
    """Tangent of expm_frechet(a, e): expm_frechet(a, de) plus the second Frechet derivative in (da, e), the
    top right blocks of expm of the block bidiagonal matrices [[a, da, 0], [0, a, e], [0, 0, a]] and with da
    and e swapped."""
    a, da, e, de = _inexact(a, da, e, de)
    if a.ndim > 2:
        return np.stack([expm_frechet_jvp(*xs) for xs in zip(a, da, e, de)])
    n = a.shape[-1]
    z = np.zeros_like(a)
    second = _block_expm([[a, da, z], [z, a, e], [z, z, a]])[:n, 2 * n:] + \
        _block_expm([[a, e, z], [z, a, da], [z, z, a]])[:n, 2 * n:]
    return expm_frechet(a, de) + second


# -- triangular systems and Cholesky factors ------------------------------------------------------------------------
def tri_part(d, lower=False, unit_diagonal=False):
    """The triangle of d a triangular solver reads (strictly, with a unit diagonal)."""
    tri = np.tril if lower else np.triu
    return tri(d, (-1 if lower else 1) if unit_diagonal else 0)


def _trans(trans):
    return trans in (1, 2, "T", "C")


def tri_matvec(t, x, trans=0):
    """t @ x, or t.T @ x for a transposed solve (x a vector or a matrix of columns)."""
    t = mT(t) if _trans(trans) else t
    return t @ x


def cols_outer(u, x, trans=0):
    """u x.T (x u.T for a transposed solve; vectors as columns): the adjoint of t in tri_matvec(t, x, trans)."""
    u2 = u[..., None] if np.ndim(u) == 1 else u
    x2 = x[..., None] if np.ndim(x) == 1 else x
    return x2 @ mT(u2) if _trans(trans) else u2 @ mT(x2)


def tri_vjp_a(y, x, lower=False, unit_diagonal=False, trans=0):
    """Adjoint of the matrix of x = solve_triangular(a, b): -y x.T (-x y.T for a transposed solve) on the
    triangle read, with y the adjoint of b."""
    y2 = y[..., None] if np.ndim(y) == 1 else y
    x2 = x[..., None] if np.ndim(x) == 1 else x
    full = -(x2 @ mT(y2)) if _trans(trans) else -(y2 @ mT(x2))
    return tri_part(full, lower, unit_diagonal)


def cho_matrix(c, lower=False):
    """The triangular factor held in a cho_factor result's c (the other triangle of c is not used)."""
    return np.tril(c) if lower else np.triu(c)


def cho_vjp_c(y, x, c, lower=False):
    """Adjoint of c in x = cho_solve((c, lower), b), with y = cho_solve((c, lower), g): the matrix is
    a = L L.T (lower) or U.T U, its adjoint -y x.T, and that of the factor (a_bar + a_bar.T) L, resp.
    U (a_bar + a_bar.T), on the factor's triangle."""
    f = cho_matrix(c, lower)
    if np.ndim(y) == 1 and np.ndim(x) == 1 and np.ndim(f) == 2:  # one right-hand side: s is of rank two,
        # s L = -(y (x.T L) + x (y.T L)) costs two matrix-vector products instead of a matrix product
        return np.tril(-(np.outer(y, x @ f) + np.outer(x, y @ f))) if lower else \
            np.triu(-(np.outer(f @ y, x) + np.outer(f @ x, y)))
    y2 = y[..., None] if np.ndim(y) == 1 else y
    x2 = x[..., None] if np.ndim(x) == 1 else x
    abar = -(y2 @ mT(x2))
    s = abar + mT(abar)
    return np.tril(s @ f) if lower else np.triu(f @ s)


def cho_tangent_a(dc, c, lower=False):
    """The tangent of the matrix a = L L.T (or U.T U) a cho_factor result stands for, from a tangent of c."""
    f, df = cho_matrix(c, lower), cho_matrix(dc, lower)
    return df @ mT(f) + f @ mT(df) if lower else mT(df) @ f + mT(f) @ df


def cho_tangent_vjp(v, c, lower=False):
    """The transpose of dc -> cho_tangent_a(dc, c, lower): (v + v.T) F (F.T (v + v.T) for an upper factor F) on
    the factor's triangle."""
    f = cho_matrix(c, lower)
    s = as_array(v) + mT(as_array(v))
    return cho_matrix(s @ f if lower else f @ s, lower)


def cho_factor_vjp(g_c, c, lower=False):
    """Adjoint of a in (c, lower) = cho_factor(a): the factor's triangle by Cholesky's rule (through
    triangle_grad), the other triangle of c is a copy of a's entries there."""
    f = cho_matrix(c, lower)
    big_l = f if lower else mT(f)  # the factor as lower triangular
    gl = cho_matrix(g_c, lower)
    gl = gl if lower else mT(gl)
    linv = np.linalg.inv(big_l)
    s = mT(linv) @ phi(mT(big_l) @ gl) @ linv
    other = np.triu(g_c, 1) if lower else np.tril(g_c, -1)
    return triangle_grad(0.5 * (s + mT(s)), not lower) + other


def pair_adjoint(b, pair):
    """The adjoint of a (matrix, flag) pair such as cho_factor's result: b for the matrix, 0 for the flag."""
    return [b, 0.0]


def flip_trans(trans):
    """The `trans` of the transposed triangular solve (0 <-> 1)."""
    return 0 if _trans(trans) else 1


def cho_other(x, lower=False):
    """The strict triangle of a cho_factor result that is not the factor (SciPy leaves a's entries there)."""
    return np.triu(x, 1) if lower else np.tril(x, -1)


def _funm(name):
    import scipy.linalg

    return getattr(scipy.linalg, name)


def funm_frechet(name, a, e):
    """The Frechet derivative of the matrix function scipy.linalg.<name> (expm, logm, sqrtm, cosm, ...) at a
    in the direction e: the top right block of f([[a, e], [0, a]]) (stacks: one by one)."""
    a, e = _inexact(a, e)
    if a.ndim > 2:
        return np.stack([funm_frechet(name, x, y) for x, y in zip(a, e)])
    n = a.shape[-1]
    z = np.zeros_like(a)
    out = _funm(name)(np.block([[a, e], [z, a]]))[:n, n:]
    return np.real(out) if np.isrealobj(a) and np.isrealobj(e) else out


def funm_frechet_jvp(name, a, da, e, de):
    """Tangent of funm_frechet(name, a, e) as a and e move: funm_frechet(name, a, de) plus the second Frechet
    derivative in (da, e): the top right blocks of f of [[a, da, 0], [0, a, e], [0, 0, a]] and of the same
    with da and e swapped."""
    a, da, e, de = _inexact(a, da, e, de)
    if a.ndim > 2:
        return np.stack([funm_frechet_jvp(name, *xs) for xs in zip(a, da, e, de)])
    n = a.shape[-1]
    z = np.zeros_like(a)
    f = _funm(name)
    second = f(np.block([[a, da, z], [z, a, e], [z, z, a]]))[:n, 2 * n:] + \
        f(np.block([[a, e, z], [z, a, da], [z, z, a]]))[:n, 2 * n:]
    return funm_frechet(name, a, de) + (np.real(second) if a.dtype.kind != "c" else second)


# -- derivatives through a Cholesky factor taken with respect to the factorized matrix (fuse_cholesky.py) --------
def cho_solve_factored(c_and_lower, b, a):
    """`cho_solve(c_and_lower, b)` where `c_and_lower[0]` is `cholesky(a, lower=c_and_lower[1])`: the statement
    the compiler differentiates with respect to `a` directly (x = A^-1 b for the symmetric A the factorization
    read), not through the factor. Generated code never calls it: it keeps the user's `cho_solve`."""
    import scipy.linalg

    return scipy.linalg.cho_solve(c_and_lower, b)


def log_diag_factored(d, factor, a, upper=False):
    """`np.log(d)` where `d` is the diagonal of `factor = cholesky(a)` (lower; upper=True: upper): differentiated
    with respect to `a` directly (d log f_ii = 0.5 (L^-1 dA L^-T)_ii). Generated code keeps the user's `np.log`."""
    return np.log(d)


def cho_vjp_a(y, x, lower=False):
    """The adjoint of the triangle of `a` that `cholesky(a, lower)` reads, for x = A^-1 b with y = A^-1 g (A the
    symmetric matrix read): triangle_grad(-y x.T, upper=not lower), i.e. -(y x.T + x y.T) on the triangle and
    -y_i x_i on the diagonal."""
    y2 = y[..., None] if np.ndim(y) == 1 else y
    x2 = x[..., None] if np.ndim(x) == 1 else x
    if not (y2.__class__ is np.ndarray and x2.__class__ is np.ndarray and y2.ndim == 2 and x2.ndim == 2):
        return triangle_grad(-(y2 @ mT(x2)), not lower)
    pair = np.concatenate([y2, x2], axis=1)  # -(y x.T + x y.T) as one product of rank 2k: [y, x] [-x, -y].T
    out = pair @ np.negative(np.concatenate([x2, y2], axis=1)).T
    n = out.shape[0]
    _keep_triangle(out, not lower)
    out[_diag(n), _diag(n)] += np.sum(y2 * x2, axis=1)  # (the diagonal: -y_i x_i, not -2 y_i x_i)
    return out


_STRICT_MASKS = {}


def _keep_triangle(out, upper):
    """In place: zero the strict other triangle of the square matrix `out` (np.tril / np.triu without a new
    n x n array: at these sizes a new array's first touch of its memory costs more than the arithmetic)."""
    n = out.shape[-1]
    key = (n, upper)
    mask = _STRICT_MASKS.get(key)
    if mask is None:
        if len(_STRICT_MASKS) > 16:
            _STRICT_MASKS.clear()
        mask = _STRICT_MASKS[key] = ~np.tri(n, dtype=bool).T if upper else ~np.tri(n, dtype=bool)
    np.copyto(out, 0.0, where=mask)


def chol_inv_weighted(d, f, upper=False):
    """triangle_grad(0.5 L^-T diag(d) L^-1, upper) with L = lower_factor(f, upper): the adjoint of the triangle of
    `a` that `f = cholesky(a)` read, for log(diag(f)) with adjoint d (a number, or one entry per diagonal
    entry). When the d are all equal (a log-determinant) that is 0.5 d A^-1, from the factor by LAPACK's potri."""
    plain = f.__class__ is np.ndarray and (d.__class__ is np.ndarray or isinstance(d, (int, float, np.number)))
    dn = np.asarray(d) if plain else d  # (a Dask d stays lazy: the general formula below)
    if plain and f.ndim == 2 and f.dtype.kind == "f" and f.shape[0] > 0 and \
            dn.dtype.kind in "fiub" and dn.ndim <= 1 and dn.size and (dn.ndim == 0 or dn.min() == dn.max()):
        try:
            from scipy.linalg.lapack import get_lapack_funcs
        except ImportError:
            get_lapack_funcs = None
        if get_lapack_funcs is not None:
            potri, = get_lapack_funcs(("potri",), (f,))
            p, info = potri(f, lower=0 if upper else 1)
            if info == 0:
                c = float(dn.ravel()[0])
                out = p if p.flags.writeable and p.base is None else p.copy()  # (potri's result is ours)
                _keep_triangle(out, upper)
                out *= c
                n = out.shape[0]
                out[_diag(n), _diag(n)] *= 0.5
                return out
    linv = tri_inv(lower_factor(f, upper))
    s = 0.5 * (mT(linv) @ (np.expand_dims(dn, -1) * linv))
    return triangle_grad(s, upper)
