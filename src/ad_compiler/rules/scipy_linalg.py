"""Derivative rules for scipy.linalg (loaded only when SciPy imports).

Matrix functions (expm, logm, sqrtm, cosm, sinm, tanm, coshm, sinhm, tanhm) are differentiated by their
Frechet derivative, computed exactly as a block of the same function of a block triangular matrix:
f([[A, E], [0, A]]) = [[f(A), L_f(A, E)], [0, f(A)]]; the adjoint is L_f(A.T, G). logm and sqrtm need
A without eigenvalues on the closed negative real axis (their principal branch). Triangular and Cholesky
solvers read one triangle of their matrix: derivatives are with respect to that triangle's entries;
cho_factor's result holds a's own entries in its other triangle, and they pass their derivative through.
"""
import numpy as np
import scipy.linalg as sla

from .. import runtime as _ad
from . import ans, derivative, g, real_only
from ..runtime_linalg import mT


@derivative(sla.expm)
def expm(A):
    bA = _ad.funm_frechet("expm", mT(A), g)
    dans = _ad.funm_frechet("expm", A, dA)


@derivative(sla.logm)
def logm(A, disp=None):
    bA = _ad.funm_frechet("logm", mT(A), g)
    dans = _ad.funm_frechet("logm", A, dA)


@derivative(sla.sqrtm)
def sqrtm(A, disp=None, blocksize=None):
    bA = _ad.funm_frechet("sqrtm", mT(A), g)
    dans = _ad.funm_frechet("sqrtm", A, dA)


@derivative(sla.cosm)
def cosm(A):
    bA = _ad.funm_frechet("cosm", mT(A), g)
    dans = _ad.funm_frechet("cosm", A, dA)


@derivative(sla.sinm)
def sinm(A):
    bA = _ad.funm_frechet("sinm", mT(A), g)
    dans = _ad.funm_frechet("sinm", A, dA)


@derivative(sla.tanm)
def tanm(A):
    bA = _ad.funm_frechet("tanm", mT(A), g)
    dans = _ad.funm_frechet("tanm", A, dA)


@derivative(sla.coshm)
def coshm(A):
    bA = _ad.funm_frechet("coshm", mT(A), g)
    dans = _ad.funm_frechet("coshm", A, dA)


@derivative(sla.sinhm)
def sinhm(A):
    bA = _ad.funm_frechet("sinhm", mT(A), g)
    dans = _ad.funm_frechet("sinhm", A, dA)


@derivative(sla.tanhm)
def tanhm(A):
    bA = _ad.funm_frechet("tanhm", mT(A), g)
    dans = _ad.funm_frechet("tanhm", A, dA)


@derivative(sla.solve_sylvester)
def solve_sylvester(a, b, q):
    """x solves a x + x b = q (a and b without common eigenvalues of opposite sign)."""
    Y = sla.solve_sylvester(mT(a), mT(b), g)
    bq = Y
    ba = -Y @ mT(ans)
    bb = -mT(ans) @ Y
    dans = sla.solve_sylvester(a, b, dq) - sla.solve_sylvester(a, b, da @ ans) - sla.solve_sylvester(a, b, ans @ db)


@derivative(sla.solve_triangular)
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True):
    """Reads one triangle of a (strictly, with unit_diagonal=True)."""
    Y = sla.solve_triangular(a, g, trans=_ad.flip_trans(trans), lower=lower, unit_diagonal=unit_diagonal)
    bb = Y
    ba = _ad.tri_vjp_a(Y, ans, lower, unit_diagonal, trans)
    dans = sla.solve_triangular(a, db, trans=trans, lower=lower, unit_diagonal=unit_diagonal) - \
        sla.solve_triangular(a, _ad.tri_matvec(_ad.tri_part(da, lower, unit_diagonal), ans, trans), trans=trans,
                             lower=lower, unit_diagonal=unit_diagonal)


@derivative(sla.cholesky)
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Reads the upper triangle (lower=True: the lower one)."""
    L = _ad.lower_factor(ans, not lower)
    Linv = _ad.tri_inv(L)
    S = mT(Linv) @ _ad.phi(mT(L) @ _ad.lower_factor(g, not lower)) @ Linv
    ba = _ad.triangle_grad(0.5 * (S + mT(S)), not lower)
    dans = _ad.lower_factor(L @ _ad.phi(Linv @ _ad.sym_from_triangle(da, not lower) @ mT(Linv)), not lower)


@derivative(sla.cho_factor)
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """The factor as sla.cholesky; the other triangle of c is a copy of a's entries there."""
    L = _ad.lower_factor(_ad.cho_matrix(ans[0], lower), not lower)
    Linv = _ad.tri_inv(L)
    S = mT(Linv) @ _ad.phi(mT(L) @ _ad.lower_factor(_ad.cho_matrix(g[0], lower), not lower)) @ Linv
    ba = _ad.triangle_grad(0.5 * (S + mT(S)), not lower) + _ad.cho_other(g[0], lower)
    dans = (_ad.lower_factor(L @ _ad.phi(Linv @ _ad.sym_from_triangle(da, not lower) @ mT(Linv)), not lower)
            + _ad.cho_other(da, lower), 0.0)


@derivative(sla.cho_solve)
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Reads the factor's triangle of c."""
    Y = sla.cho_solve(c_and_lower, g)
    bb = Y
    bc_and_lower = _ad.pair_adjoint(_ad.cho_vjp_c(Y, ans, c_and_lower[0], c_and_lower[1]), c_and_lower)
    dans = sla.cho_solve(c_and_lower, db) - \
        sla.cho_solve(c_and_lower, _ad.cho_tangent_a(dc_and_lower[0], c_and_lower[0], c_and_lower[1]) @ ans)



@derivative(_ad.cho_solve_factored, constant_in=("c_and_lower",))
def cho_solve_factored(c_and_lower, b, a):
    """`cho_solve((L, lower), b)` with `L = cholesky(a, lower=lower)` in the same block (fuse_cholesky.py):
    x = A^-1 b for the symmetric A read from a's triangle, differentiated with respect to that triangle
    directly (no adjoint of the factor)."""
    Y = sla.cho_solve(c_and_lower, g)
    bb = Y
    ba = _ad.cho_vjp_a(Y, ans, c_and_lower[1])
    dans = sla.cho_solve(c_and_lower, db - _ad.sym_from_triangle(da, not c_and_lower[1]) @ ans)

@derivative(sla.det)
def det(a, overwrite_a=False, check_finite=True):
    """The adjugate: exact also at singular matrices."""
    ba = _ad.keep_last_two(g) * mT(_ad.adjugate(a))
    dans = np.trace(_ad.adjugate(a) @ da, axis1=-2, axis2=-1)

# Complex matrices: the Cholesky factorizations here are written for real matrices (transposes, not conjugate
# transposes). (The matrix functions are holomorphic: their Frechet derivatives hold for complex matrices.)
real_only("the rule is written for real matrices (transposes, not conjugate transposes)",
          sla.cholesky, sla.cho_factor, sla.cho_solve, _ad.cho_solve_factored)
