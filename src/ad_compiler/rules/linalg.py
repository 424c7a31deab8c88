"""Derivative rules for numpy.linalg beyond inv, det and solve (those are in rules/numpy.py).

Templates are written with NumPy's own operations and small linear helpers (runtime_linalg.py), so that a
second derivative goes through the same table (the rules of matmul, solve, inv, eigh, svd, ...).
`mT(x)` is the transpose of the last two axes; everything works on stacks of matrices.

Conventions: factorizations that read one triangle (cholesky, eigh, eigvalsh) have derivatives with respect
to that triangle's entries only (the other triangle is never read). Eigenvectors and singular vectors need
distinct eigen / singular values (where two coincide the derivative is infinite); their signs are NumPy's.
eig is differentiated at real matrices with real eigenvalues only; svd of a non-square matrix needs
full_matrices=False; qr needs rows >= columns and mode 'reduced'; pinv and lstsq assume the rank does not
change (full column rank for lstsq); the rank returned by lstsq is an integer (no derivative).
"""
import numpy as np

from .. import runtime as _ad
from . import ans, derivative, g, nondifferentiable, real_only
from ..ir import Const
from ..runtime_linalg import mT


@derivative(np.linalg.cholesky)
def cholesky(a, upper=False):
    """Reads the lower triangle (upper=True: the upper one)."""
    L = _ad.lower_factor(_ad.check_cholesky(ans), upper)
    Linv = _ad.tri_inv(L)
    S = mT(Linv) @ _ad.phi(mT(L) @ _ad.lower_factor(g, upper)) @ Linv
    ba = _ad.triangle_grad(0.5 * (S + mT(S)), upper)
    dans = _ad.lower_factor(L @ _ad.phi(Linv @ _ad.sym_from_triangle(da, upper) @ mT(Linv)), upper)



@derivative(_ad.log_diag_factored, constant_in=("d", "factor"))
def log_diag_factored(d, factor, a, upper=False):
    """`np.log(np.diag(L))` with `L = cholesky(a)` in the same block (fuse_cholesky.py): d log L_ii =
    0.5 (L^-1 dA L^-T)_ii, differentiated with respect to the triangle of a read (no adjoint of the factor;
    a log-determinant's adjoint is 0.5 A^-1)."""
    ba = _ad.chol_inv_weighted(g, factor, upper)
    Linv = _ad.tri_inv(_ad.lower_factor(factor, upper))
    dans = 0.5 * np.sum((Linv @ _ad.sym_from_triangle(da, upper)) * Linv, axis=-1)

@derivative(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Distinct eigenvalues; reads the lower triangle (UPLO="U" or "u", as NumPy takes it: the upper one; sig25-012)."""
    w = ans[0]
    V = ans[1]
    F = _ad.eig_gaps(w)
    S = V @ (_ad.diag_embed(g[0]) + F * (mT(V) @ g[1])) @ mT(V)
    ba = _ad.triangle_grad(0.5 * (S + mT(S)), (UPLO == "U") | (UPLO == "u"))
    P = mT(V) @ _ad.sym_from_triangle(da, (UPLO == "U") | (UPLO == "u")) @ V
    dans = (_ad.diag_part(P), V @ (F * P))


@derivative(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """Reads the lower triangle (UPLO='U': the upper one)."""
    V = np.linalg.eigh(a, UPLO)[1]
    ba = _ad.triangle_grad(V @ _ad.diag_embed(g) @ mT(V), (UPLO == "U") | (UPLO == "u"))
    dans = _ad.diag_part(mT(V) @ _ad.sym_from_triangle(da, (UPLO == "U") | (UPLO == "u")) @ V)


@derivative(np.linalg.eig)
def eig(a):
    """Real matrices with real, distinct eigenvalues (complex eigenvalues are refused); eigenvectors of unit
    length, as NumPy's."""
    # With a V = V diag(w) and P = V^-1 da V: dw = diag(P), and the eigenvectors move by V (F * P) less their own
    # direction (they keep unit length), F[i, j] = 1 / (w[j] - w[i]); ba is the transpose of that map.
    w = _ad.check_real_eig(ans, a)[0]
    V = ans[1]
    F = _ad.eig_gaps(w)
    Vinv = np.linalg.inv(V)
    W = g[1] - V * np.expand_dims(_ad.diag_part(mT(V) @ g[1]), -2)
    ba = mT(Vinv) @ (_ad.diag_embed(g[0]) + F * (mT(V) @ W)) @ mT(V)
    P = Vinv @ da @ V
    D = V @ (F * P)
    dans = (_ad.diag_part(P), D - V * np.expand_dims(_ad.diag_part(mT(V) @ D), -2))


@derivative(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Distinct nonzero singular values; full_matrices=False unless a is square; hermitian=False."""
    usv = _ad.check_svd(ans, a, full_matrices, hermitian) if compute_uv else \
        np.linalg.svd(_ad.check_svd(a, a, False, hermitian), full_matrices=False)
    U = usv[0]
    s = usv[1]
    Vh = usv[2]
    V = mT(Vh)
    gs = g[1] if compute_uv else g
    F = _ad.svd_gaps(s)
    Sinv = _ad.diag_embed(1.0 / s)
    core = _ad.diag_embed(gs) if not compute_uv else \
        (F * (mT(U) @ g[0] - mT(g[0]) @ U)) @ _ad.diag_embed(s) + _ad.diag_embed(gs) + \
        _ad.diag_embed(s) @ (F * (mT(V) @ mT(g[2]) - g[2] @ V))
    ba = U @ core @ Vh + (0.0 if not compute_uv else
                          (g[0] - U @ (mT(U) @ g[0])) @ Sinv @ Vh + U @ Sinv @ (g[2] - (g[2] @ V) @ Vh))
    P = mT(U) @ da @ V
    dU = U @ (F * (P @ _ad.diag_embed(s) + _ad.diag_embed(s) @ mT(P))) + (da @ V - U @ P) @ Sinv
    dV = V @ (F * (_ad.diag_embed(s) @ P + mT(P) @ _ad.diag_embed(s))) + (mT(da) @ U - V @ mT(P)) @ Sinv
    dans = (dU, _ad.diag_part(P), mT(dV)) if compute_uv else _ad.diag_part(P)


@derivative(np.linalg.qr)
def qr(a, mode="reduced"):
    """Rows >= columns, mode 'reduced' (or 'complete' of a square matrix)."""
    Q = _ad.check_qr(ans, a, mode)[0]
    R = ans[1]
    Rinv = np.linalg.inv(R)
    M = R @ mT(g[1]) - mT(g[0]) @ Q
    ba = (g[0] + Q @ _ad.copyltu(M)) @ mT(Rinv)
    C = mT(Q) @ da @ Rinv
    W = np.tril(C, -1) - mT(np.tril(C, -1))
    dans = (da @ Rinv - Q @ (C - W), (C - W) @ R)


@derivative(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, rtol=None):
    """Constant rank (the pseudo-inverse jumps where the rank changes)."""
    ba = -mT(ans) @ g @ mT(ans) + (mT(g) - a @ (ans @ mT(g))) @ ans @ mT(ans) + \
        mT(ans) @ ans @ (mT(g) - (mT(g) @ ans) @ a)
    dans = -ans @ da @ ans + ans @ mT(ans) @ (mT(da) - mT(da) @ a @ ans) + (mT(da) - ans @ (a @ mT(da))) @ mT(ans) @ ans


@derivative(np.linalg.slogdet)
def slogdet(a):
    """The sign is piecewise constant (no derivative); log |det a| as det's rule."""
    ba = _ad.keep_last_two(g[1]) * mT(_ad.inv(a))
    dans = (np.zeros(np.shape(ans[0])), np.trace(_ad.solve(a, da), axis1=-2, axis2=-1))


@derivative(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """Full column rank: x solves the normal equations; the residuals by the envelope theorem (their
    derivative in x vanishes); the singular values as svd's; the rank is an integer."""
    X = _ad.as_columns(ans[0], b)
    R = _ad.as_columns(b, b) - a @ X
    H = np.linalg.solve(mT(a) @ a, _ad.as_columns(g[0], b))
    GR = _ad.residual_row(g[1], X)
    usv = np.linalg.svd(a, full_matrices=False)
    ba = R @ mT(H) - a @ H @ mT(X) - 2.0 * (R * GR) @ mT(X) + usv[0] @ _ad.diag_embed(g[3]) @ usv[2]
    bb = _ad.from_columns(a @ H + 2.0 * R * GR, b)
    DR = _ad.as_columns(db, b) - da @ X
    dans = (_ad.from_columns(np.linalg.solve(mT(a) @ a, mT(da) @ R + mT(a) @ DR), ans[0]),
            _ad.residual_tangent(2.0 * np.sum(R * DR, axis=-2), ans[1]), 0,
            _ad.diag_part(mT(usv[0]) @ da @ mT(usv[2])))


@derivative(np.linalg.matrix_power)
def matrix_power(a, n):
    """n is an integer constant (negative: powers of the inverse)."""
    ba = _ad.matrix_power_jvp(mT(a), g, n)
    dans = _ad.matrix_power_jvp(a, da, n)


@derivative(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Every ord. At kinks the subgradient: 0 at x = 0 and sign(0) = 0; max / min norms (inf, -inf, matrix
    1, -1, inf, -inf) share the derivative equally among tied entries / columns / rows; ord=0 (a count) has
    derivative 0; matrix 2 / -2 need a simple largest / smallest singular value."""
    bx = _ad.keep_reduced(g, x, _ad.norm_axes(x, axis), keepdims) * _ad.norm_partial(x, ans, ord, axis, keepdims)
    dans = _ad.reduce_jvp(_ad.norm_partial(x, ans, ord, axis, keepdims), dx, _ad.norm_axes(x, axis), keepdims)

# Complex matrices: these rules use transposes where a complex matrix needs conjugate transposes (a Hermitian
# matrix's factorizations, singular values, least squares).
real_only("the rule is written for real matrices (transposes, not conjugate transposes)",
          np.linalg.cholesky, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.eig, np.linalg.svd, np.linalg.qr,
          np.linalg.pinv, np.linalg.slogdet, np.linalg.lstsq, _ad.log_diag_factored)


def _not_two_norm(bound):
    """Any norm but the 2-norm of a vector and the Frobenius norm (ord=2 is checked when the derivative runs:
    the spectral norm of a matrix is refused there, runtime_linalg.norm_partial)."""
    ord_ = bound["ord"]
    return not (isinstance(ord_, Const) and (ord_.value is None or ord_.value == 2 or ord_.value == "fro"))


real_only("the norm of a complex value is differentiated for the 2-norm and the Frobenius norm only (conj(z) / |z|)",
          np.linalg.norm, when=_not_two_norm)


nondifferentiable(np.linalg.matrix_rank)  # (an integer: piecewise constant; it had no entry, so a call on a derivative's path was refused)
