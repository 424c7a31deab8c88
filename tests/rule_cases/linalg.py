"""Call shapes of the numpy.linalg rules (rules/linalg.py; inv, det, solve are in core.py)."""
import numpy as np

from . import X3, C, F, Joint, _finish, distinct, normal, wellcond  # noqa: F401


def spd(rng, spec):
    """Symmetric positive definite matrices (stacks of): B B.T / n + I with B normal."""
    n = spec[-1]
    b = rng.standard_normal(spec)
    return _finish(b @ np.swapaxes(b, -1, -2) / n + np.eye(n), spec)


def sym(rng, spec):
    """Symmetric matrices with well separated eigenvalues: Q diag(1, 2.5, 4, ...) Q.T plus noise."""
    n = spec[-1]
    q, _ = np.linalg.qr(rng.standard_normal(spec))
    w = 1.0 + 1.5 * np.arange(n)
    a = q @ (w[:, None] * np.swapaxes(q, -1, -2))
    return _finish(0.5 * (a + np.swapaxes(a, -1, -2)), spec)


def real_spectrum(rng, spec):
    """Non-symmetric matrices with real, well separated eigenvalues: V diag(1, 2.5, 4, ...) V^-1, V = I + noise."""
    n = spec[-1]
    v = np.eye(n) + 0.3 * rng.standard_normal(spec)
    w = 1.0 + 1.5 * np.arange(n)
    return _finish(v @ (w[:, None] * np.linalg.inv(v)), spec)


def spread(rng, spec):
    """Matrices (stacks of) with well separated singular values: U diag(3, 2, 1, ...) V.T."""
    m, n = spec[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(spec[:-2] + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(spec[:-2] + (n, k)))
    s = 1.0 + np.arange(k)[::-1] * 0.8
    return _finish(u @ (s[:, None] * np.swapaxes(v, -1, -2)), spec)


DOMAINS = {"cholesky": spd, "eigh": sym, "eigvalsh": sym, "eig": sym, "svd": spread, "qr": spread, "pinv": spread,
           "slogdet": wellcond, "lstsq": (spread, normal), "matrix_power": wellcond, "norm": distinct, "log_diag_factored": spd}

SVD = "u, s, vh = np.linalg.svd(a{})\nr = np.concatenate([np.ravel(u * vh[..., :, :1].swapaxes(-1, -2)), " \
      "np.ravel(vh * u[..., :1, :].swapaxes(-1, -2)), np.ravel(s)])"
EIG = "ew, ev = np.linalg.{}(a{})\nr = np.concatenate([np.ravel(ew), np.ravel(ew[..., None, :] * ev * ev[..., :1, :])])"
VEC = ["", ", 1", ", 2", ", 3", ", 1.5", ", np.inf", ", -np.inf", ", 0"]
MAT = [", 'fro'", ", 'nuc'", ", 1", ", -1", ", 2", ", -2", ", np.inf", ", -np.inf"]

CASES = {
    # (fuse_cholesky.py: log(diag) of a factor, differentiated with respect to the factorized matrix)
    "_ad.log_diag_factored": [C("L = np.linalg.cholesky(a, upper=True)\nr = 2.0 * np.sum(np.log(np.diagonal(L)))", (3, 3),
                                label="log det a by np.linalg.cholesky(a, upper=True)"),
                              C("L = np.linalg.cholesky(a)\nr = np.log(np.diag(L))", (3, 3),
                                label="np.log(np.diag(np.linalg.cholesky(a)))"),
                              C("L = np.linalg.cholesky(a)\nr = np.log(L.diagonal()) * L[2]", (3, 3),
                                label="np.log(L.diagonal()) * L[2] (the factor used as well)")],
    "np.linalg.cholesky": [C("np.linalg.cholesky(a)", (3, 3)), C("np.linalg.cholesky(a)", (2, 3, 3)),
                           C("np.linalg.cholesky(a, upper=True)", (3, 3))],
    "np.linalg.eigh": [C(EIG.format("eigh", ""), (3, 3), label="eigh(a): ew, ev * ev[0]"),
                       C(EIG.format("eigh", ", UPLO='U'"), (2, 3, 3), label="eigh(a, UPLO='U'): ew, ev * ev[0]")],
    "np.linalg.eigvalsh": [C("np.linalg.eigvalsh(a)", (3, 3)), C("np.linalg.eigvalsh(a, 'U')", (2, 3, 3))],
    "np.linalg.eig": [C(EIG.format("eig", ""), (3, 3), label="eig(a): ew, ev * ev[0] (symmetric a)"),
                      C("a = 0.5 * (a + a.T)\n" + EIG.format("eig", ""), (3, 3), label="eig((a + a.T) / 2): ew, ev * ev[0]"),
                      C(EIG.format("eig", ""), (3, 3), dom=real_spectrum, label="eig(a): ew, ev * ev[0] (non-symmetric a)"),
                      C(EIG.format("eig", ""), (2, 3, 3), dom=real_spectrum, label="eig(a): ew, ev * ev[0] (stack)")],
    "np.linalg.svd": [C(SVD.format(", full_matrices=False"), (4, 3), label="svd(a, full_matrices=False) (4x3)"),
                      C(SVD.format(", full_matrices=False"), (2, 3, 4), label="svd(a, full_matrices=False) (2x3x4)"),
                      C(SVD.format(""), (3, 3), label="svd(a) (3x3)"),
                      C("np.linalg.svd(a, compute_uv=False)", (4, 3)), C("np.linalg.svd(a, compute_uv=False)", (2, 2, 3))],
    "np.linalg.qr": [C("q, r = np.linalg.qr(a)\nr = np.concatenate([np.ravel(q), np.ravel(r)])", (4, 3),
                       label="qr(a) (4x3)"),
                     C("q, r = np.linalg.qr(a)\nr = q * r[..., :1, :]", (2, 3, 3), label="qr(a) (2x3x3)")],
    "np.linalg.pinv": [C("np.linalg.pinv(a)", (3, 4)), C("np.linalg.pinv(a)", (4, 2)), C("np.linalg.pinv(a)", (2, 3, 3))],
    "np.linalg.slogdet": [C("np.linalg.slogdet(a)[1]", (3, 3)), C("s, l = np.linalg.slogdet(a)\nr = s * l", (2, 3, 3),
                                                                  label="s, l = slogdet(a); s * l")],
    "np.linalg.lstsq": [C("np.linalg.lstsq(a, b)[0]", (5, 3), (5,)),
                        C("x, res, rk, sv = np.linalg.lstsq(a, b)\nr = np.concatenate([np.ravel(x), res, sv])",
                          (5, 3), (5, 2), label="lstsq(a, b): x, residuals, singular values")],
    "np.linalg.matrix_power": [C(f"np.linalg.matrix_power(a, {n})", (3, 3)) for n in (3, 1, 0, -2)]
    + [C("np.linalg.matrix_power(a, 2)", (2, 3, 3))],
    "np.linalg.norm": [C(f"np.linalg.norm(a{o})", (5,)) for o in VEC]
    + [C(f"np.linalg.norm(a{o})", (3, 4)) for o in MAT]
    + [C("np.linalg.norm(a)", (3, 4)), C("np.linalg.norm(a, axis=1)", (3, 4)), C("np.linalg.norm(a, 1, axis=-1)", (3, 4)),
       C("np.linalg.norm(a, np.inf, axis=0, keepdims=True)", (3, 4)), C("np.linalg.norm(a, axis=(0, 2))", X3),
       C("np.linalg.norm(a, 'nuc', axis=(-1, 0), keepdims=True)", X3), C("np.linalg.norm(a, 1, axis=(1, 2))", X3),
       C("np.linalg.norm(a, 3, axis=0)", (3, 4)), C("np.linalg.norm(a, axis=-1)", (3, 4)),
       C("np.linalg.norm(a, axis=0, keepdims=True)", (3, 4)), C("np.linalg.norm(a, axis=-1)", X3)],
}

MISSING = {}
