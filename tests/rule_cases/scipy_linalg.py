"""Call shapes of the scipy.linalg rules (rules/scipy_linalg.py; only when SciPy is installed)."""
import numpy as np
import scipy.linalg  # noqa: F401  (skipped by collect() without SciPy)

from . import C, _finish, normal, wellcond
from .linalg import spd


def small(rng, spec):
    """Matrices of moderate norm (0.4 N): matrix functions stay well conditioned."""
    return _finish(0.4 * rng.standard_normal(spec), spec)


def upper(rng, spec):
    """Well conditioned upper triangular matrices (a Cholesky-like factor)."""
    return _finish(np.triu(wellcond(rng, spec)), spec)


DOMAINS = {"expm": small, "cosm": small, "sinm": small, "tanm": small, "coshm": small, "sinhm": small,
           "tanhm": small, "logm": spd, "sqrtm": spd, "solve_sylvester": (spd, spd, normal),
           "solve_triangular": (wellcond, normal), "cho_factor": spd, "cho_solve": (spd, normal),
           "cho_solve_factored": (spd, normal)}

CASES = {
    **{f"scipy.linalg.{n}": [C(f"sla.{n}(a)", (3, 3))] for n in ("cosm", "sinm", "tanm", "coshm", "sinhm", "tanhm")},
    "scipy.linalg.expm": [C("sla.expm(a)", (3, 3)), C("sla.expm(a)", (2, 2, 2))],
    "scipy.linalg.logm": [C("sla.logm(a)", (3, 3))],
    "scipy.linalg.sqrtm": [C("sla.sqrtm(a)", (3, 3))],
    "scipy.linalg.solve_sylvester": [C("sla.solve_sylvester(a, b, c)", (3, 3), (2, 2), (3, 2))],
    "scipy.linalg.solve_triangular": [C("sla.solve_triangular(a, b)", (3, 3), (3,)),
                                      C("sla.solve_triangular(a, b, lower=True)", (3, 3), (3, 2)),
                                      C("sla.solve_triangular(a, b, trans=1, unit_diagonal=True)", (3, 3), (3,)),
                                      C("sla.solve_triangular(a, b, trans='T', lower=True)", (3, 3), (3, 2))],
    "scipy.linalg.cholesky": [C("sla.cholesky(a)", (3, 3), dom=spd), C("sla.cholesky(a, lower=True)", (3, 3), dom=spd)],
    "scipy.linalg.cho_factor": [C("sla.cho_factor(a)[0]", (3, 3)), C("sla.cho_factor(a, lower=True)[0]", (3, 3))],
    "scipy.linalg.cho_solve": [C("c = sla.cho_factor(a)\nr = sla.cho_solve(c, b)", (3, 3), (3,),
                                 label="sla.cho_solve(sla.cho_factor(a), b)"),
                               C("c = sla.cho_factor(a, lower=True)\nr = sla.cho_solve(c, b)", (3, 3), (3, 2),
                                 label="sla.cho_solve(sla.cho_factor(a, lower=True), b)"),
                               C("sla.cho_solve((a, False), b)", (3, 3), (3,), dom=(upper, normal))],
    # (fuse_cholesky.py: cho_solve and log(diag) of a factor, differentiated with respect to the factorized matrix)
    "_ad.cho_solve_factored": [C("L = sla.cholesky(a, lower=True)\nr = sla.cho_solve((L, True), b)", (3, 3), (3,),
                                 label="sla.cho_solve((sla.cholesky(a, lower=True), True), b)"),
                               C("L = sla.cholesky(a)\nr = sla.cho_solve((L, False), b)", (3, 3), (3, 2),
                                 label="sla.cho_solve((sla.cholesky(a), False), b)"),
                               C("L = sla.cholesky(a, lower=True)\nr = sla.cho_solve((L, True), b) + L[1]", (3, 3),
                                 (3,), label="sla.cho_solve((L, True), b) + L[1] (the factor used as well)")],
    "scipy.linalg.det": [C("sla.det(a)", (3, 3), dom=wellcond)],
}
