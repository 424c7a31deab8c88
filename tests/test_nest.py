"""The gradient's forward sweep with its single-use temporaries nested back into the expressions that read them
(fuse.py, the last step of clean-up): the user's expression as written, the same gradient, and nothing moved that is not pure arithmetic of
one user statement."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng


def kernel_sum(theta, X):
    sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(X ** 2, axis=1)[None, :] - 2.0 * X @ X.T
    K = np.exp(theta[1]) * np.exp(-0.5 * sq / np.exp(theta[0]) ** 2)
    return np.sum(K * K) + 0.5 * X.shape[0] * np.log(2.0 * np.pi)


def with_draw(x):
    return np.sum(np.sin(x) * np.random.normal(size=x.shape) + np.cos(x))


def named(x):
    a = x * 2.0
    b = a + 1.0
    return np.sum(b * b)


def test_forward_reads_as_written_and_gradient_is_right():
    rng = make_rng(0)
    args = [np.array([0.2, -0.1]), rng.uniform(-1, 1, (6, 2))]
    check_grad(kernel_sum, args, 0)
    src = ad.grad(kernel_sum).source
    assert "sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(X ** 2, axis=1)[None, :] - 2.0 * X @ X.T" in src
    forward = src.split("# adjoint of")[0]
    assert forward.count("\n    t") <= 6, forward  # (without nesting: 20 temporaries)


def test_an_impure_call_is_not_moved():
    x = make_rng(1).standard_normal(4)
    g = ad.grad(with_draw)
    np.random.seed(3)
    got = g(x)
    np.random.seed(3)
    noise = np.random.normal(size=x.shape)
    np.testing.assert_allclose(got, np.cos(x) * noise - np.sin(x), rtol=1e-12)
    src = g.source
    draw = next(line for line in src.splitlines() if "np.random.normal" in line)
    assert "np.sin" not in draw  # (sin(x) is not moved past the draw)
    assert src.index("np.sin(x)") < src.index("np.random.normal")


def test_user_names_stay():
    src = ad.grad(named).source
    assert "a = x * 2.0" in src and "b = a + 1.0" in src
    check_grad(named, [make_rng(2).standard_normal(3)], 0)
