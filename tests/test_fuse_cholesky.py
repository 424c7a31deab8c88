"""cho_solve and log(diag) of a Cholesky factor differentiated with respect to the factorized matrix
(fuse_cholesky.py): the same derivatives as through the factor, without Cholesky's adjoint. Checked against
central differences in every mode, with the factor also used otherwise, on a matrix that is not symmetric (the
factorization reads one triangle), in a loop, and where the pattern is not matched (the derivative through the
factor, as before)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, make_rng, numeric_grad

sla = pytest.importorskip("scipy.linalg")
cholesky, cho_solve = sla.cholesky, sla.cho_solve


def nlml(theta, X, y):
    """A Gaussian process's negative log marginal likelihood (benchmarks/language.py, smaller)."""
    ell, sf2, sn2 = np.exp(theta)
    sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(X ** 2, axis=1)[None, :] - 2.0 * X @ X.T
    K = sf2 * np.exp(-0.5 * sq / ell ** 2) + sn2 * np.eye(X.shape[0])
    L = cholesky(K, lower=True)
    alpha = cho_solve((L, True), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


def upper_factor(a, b):
    U = cholesky(a)
    x = cho_solve((U, False), b)
    return np.sum(np.sin(x)) + np.sum(np.log(np.diag(U)) * np.arange(1.0, a.shape[0] + 1))


def factor_used_too(a, b):
    L = cholesky(a, lower=True)
    x = cho_solve((L, True), b)
    return np.sum(x * x) + np.sum(L[1:] ** 2) + np.log(np.diag(L)) @ b


def numpy_logdet(a):
    L = np.linalg.cholesky(a)
    return 2.0 * np.sum(np.log(np.diag(L))) + np.sum(L)


def in_loop(a, b):
    total = 0.0
    for t in range(3):
        L = cholesky(a + t * np.eye(a.shape[0]), lower=True)
        total = total + b @ cho_solve((L, True), b) + np.sum(np.log(np.diag(L)))
    return total


def branch_between(a, b, flag):
    L = cholesky(a, lower=True)
    if flag:
        b = 2.0 * b
    return np.sum(cho_solve((L, True), b) ** 2) + np.sum(np.log(np.diag(L)))


def _spd(rng, n):
    m = rng.standard_normal((n, n))
    return m @ m.T / n + np.eye(n)


def _gp_args(rng, n=12):
    X = rng.uniform(-2, 2, (n, 2))
    return [np.log(np.array([0.9, 1.2, 0.1])), X, np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)]


def test_gaussian_process_uses_the_fused_adjoints():
    rng = make_rng(1)
    args = _gp_args(rng)
    check_grad(nlml, args, 0)
    src = ad.grad(nlml).source
    assert "_ad.cho_vjp_a(" in src and "_ad.chol_inv_weighted(" in src
    assert "tri_inv" not in src and "phi(" not in src  # (no adjoint of the factor)


def test_gaussian_process_hvp():
    rng = make_rng(2)
    args = _gp_args(rng)
    v = rng.standard_normal(3)
    grad = ad.grad(nlml)
    want = (grad(args[0] + 1e-6 * v, *args[1:]) - grad(args[0] - 1e-6 * v, *args[1:])) / 2e-6
    np.testing.assert_allclose(ad.hvp(nlml)(*args, v), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f", [upper_factor, factor_used_too])
def test_symmetric_and_not_symmetric_matrices(f):
    rng = make_rng(3)
    a = _spd(rng, 4)
    b = rng.standard_normal(4)
    check_grad(f, [a, b], (0, 1))
    skew = a + 0.3 * np.triu(rng.standard_normal((4, 4)), 1)  # only one triangle is read
    check_grad(f, [skew if f is factor_used_too else skew.T, b], (0, 1))
    assert "_ad.cho_vjp_a(" in ad.grad(f, wrt=(0, 1)).source


def test_jvp_against_differences():
    rng = make_rng(4)
    a, b = _spd(rng, 4), rng.standard_normal(4)
    da, db = rng.standard_normal((4, 4)), rng.standard_normal(4)
    for f in (upper_factor, factor_used_too):
        want = (f(a + 1e-6 * da, b + 1e-6 * db) - f(a - 1e-6 * da, b - 1e-6 * db)) / 2e-6
        _, got = ad.jvp(f, wrt=(0, 1))(a, b, (da, db))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_numpy_cholesky_log_determinant():
    rng = make_rng(5)
    a = _spd(rng, 5)
    g = check_grad(numpy_logdet, [a], 0)
    assert "_ad.chol_inv_weighted(" in ad.grad(numpy_logdet).source
    # 2 sum log diag(L) = log det a: its gradient on the lower triangle is 2 inv(a) off the diagonal
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(g - numeric_grad(lambda m: np.sum(np.linalg.cholesky(m)), [a], 0),
                               np.tril(2 * inv) - np.diag(np.diag(inv)), rtol=1e-5, atol=1e-6)


def test_loop_and_branch():
    rng = make_rng(6)
    a, b = _spd(rng, 4), rng.standard_normal(4)
    check_grad(in_loop, [a, b], (0, 1))
    assert "_ad.cho_vjp_a(" in ad.grad(in_loop, wrt=(0, 1)).source
    for flag in (True, False):
        check_grad(branch_between, [a, b, flag], (0, 1))
    src = ad.grad(branch_between, wrt=(0, 1)).source
    assert "_ad.cho_vjp_a(" not in src and "_ad.tri_inv(" in src  # (an `if` between: through the factor)
