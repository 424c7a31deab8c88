"""CuPy arrays (docs/scale.md): derivatives take and return CuPy arrays on the same device. These run where CuPy
and a CUDA device are present (marker `gpu`) and are skipped elsewhere (CI has no GPU)."""
import numpy as np
import pytest

import ad_compiler as ad

pytestmark = pytest.mark.gpu
cp = pytest.importorskip("cupy")
try:
    _DEVICES = cp.cuda.runtime.getDeviceCount()
except Exception:  # (no driver)
    _DEVICES = 0
if not _DEVICES:
    pytest.skip("no CUDA device", allow_module_level=True)


def loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def test_logistic_gradient_stays_on_the_device():
    rng = np.random.default_rng(0)
    X, y, w = rng.standard_normal((200, 5)), (rng.random(200) < 0.5).astype(float), rng.standard_normal(5)
    with cp.cuda.Device(_DEVICES - 1):
        Xg, yg, wg = cp.asarray(X), cp.asarray(y), cp.asarray(w)
        g = ad.grad(loss, wrt=(0, 1))(wg, Xg, yg)
    assert all(isinstance(v, cp.ndarray) and v.device.id == _DEVICES - 1 for v in g)
    expected = X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y) / len(y)
    np.testing.assert_allclose(cp.asnumpy(g[0]), expected, rtol=1e-10)


def f_sin(x):
    return np.sum(np.sin(x) * x)


def f_slice(x):
    return np.sum(x[1:] ** 2)


def f_maximum(x):
    return np.sum(np.maximum(x, 0.2))


def f_cumsum(x):
    return np.sum(np.cumsum(x, axis=0) * x)


def f_gather(x):
    return np.sum(x[[0, 0, 2]])


def f_mean(x):
    return np.sum(np.mean(x, axis=0) ** 2)


def f_trace(x):
    return np.trace(x) * np.sum(x)


@pytest.mark.parametrize("f", [f_sin, f_slice, f_maximum, f_cumsum, f_gather, f_mean, f_trace])
def test_rules_on_cupy(f):
    x = np.random.default_rng(1).random((4, 4))
    got = ad.grad(f)(cp.asarray(x))
    assert isinstance(got, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(got), ad.grad(f)(x), rtol=1e-12)


def sines(x):
    return np.sin(x)


def test_jacobian_of_a_cupy_value_is_refused():
    """The Jacobian is filled in a NumPy array, which cannot take CuPy's columns: refused, not a TypeError."""
    with pytest.raises(ad.ADError, match="not supported"):
        ad.jacfwd(sines)(cp.asarray(np.ones(3)))
