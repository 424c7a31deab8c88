"""A Gaussian process regression fitted by maximising its log marginal likelihood.

The hyper-parameters (a length scale, a signal variance and a noise variance, on a log scale so that they
stay positive) are found with scipy.optimize.minimize, given the exact gradient of the negative log
marginal likelihood that ad_compiler compiles from the code below: a dataclass holding the kernel, a
Cholesky factorisation with a jitter retried when it fails, cho_solve, and the log-determinant from the
factor's diagonal.
"""
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky
from scipy.optimize import minimize

import ad_compiler as ad


@dataclass
class SquaredExponential:
    length_scale: float
    signal_var: float

    def __call__(self, X1, X2):
        sq = np.sum(X1 ** 2, axis=1)[:, None] + np.sum(X2 ** 2, axis=1)[None, :] - 2.0 * X1 @ X2.T
        return self.signal_var * np.exp(-0.5 * np.maximum(sq, 0.0) / self.length_scale ** 2)


def factor(K):
    """The lower Cholesky factor of K, with a little jitter if K is numerically not positive definite."""
    try:
        L = cholesky(K, lower=True)
    except np.linalg.LinAlgError:
        L = cholesky(K + 1e-6 * np.eye(K.shape[0]), lower=True)
    return L


def neg_log_marginal_likelihood(log_params, X, y):
    length_scale, signal_var, noise_var = np.exp(log_params)
    kernel = SquaredExponential(length_scale, signal_var)
    n = X.shape[0]
    K = kernel(X, X) + noise_var * np.eye(n)
    L = factor(K)
    alpha = cho_solve((L, True), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2.0 * np.pi)


def predict(log_params, X, y, X_new):
    """The posterior mean at X_new."""
    length_scale, signal_var, noise_var = np.exp(log_params)
    kernel = SquaredExponential(length_scale, signal_var)
    L = factor(kernel(X, X) + noise_var * np.eye(X.shape[0]))
    return kernel(X_new, X) @ cho_solve((L, True), y)


def make_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-3.0, 3.0, size=(n, 1)), axis=0)
    y = np.sin(2.0 * X[:, 0]) + 0.3 * X[:, 0] + 0.1 * rng.standard_normal(n)
    return X, y


def main(n=40):
    X, y = make_data(n)
    start = np.log([1.0, 1.0, 0.5])  # length scale, signal variance, noise variance
    nlml = ad.value_and_grad(neg_log_marginal_likelihood)

    def fun(theta):
        value, grad = nlml(theta, X, y)
        return value, grad

    result = minimize(fun, start, jac=True, method="L-BFGS-B")
    length_scale, signal_var, noise_var = np.exp(result.x)
    print(f"negative log marginal likelihood: start {neg_log_marginal_likelihood(start, X, y):.4f}, "
          f"fitted {result.fun:.4f} ({result.nit} iterations)")
    print(f"length scale = {length_scale:.4f}")
    print(f"signal variance = {signal_var:.4f}")
    print(f"noise variance = {noise_var:.5f}")
    X_new = np.linspace(-3.0, 3.0, 7)[:, None]
    print("posterior mean at", np.round(X_new[:, 0], 2), "=", np.round(predict(result.x, X, y, X_new), 3))
    return result


if __name__ == "__main__":
    main()
