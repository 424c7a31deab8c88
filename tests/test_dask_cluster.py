"""Dask arrays end to end (docs/scale.md): examples/12_dask_cluster.py on a dask.distributed LocalCluster, and the
behaviour around the gradient: lazy results, the argument checks, in-place changes refused, control flow."""
import importlib.util
import pathlib

import numpy as np
import pytest

import ad_compiler as ad

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _example():
    spec = importlib.util.spec_from_file_location("example_15", ROOT / "examples" / "12_dask_cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cluster_example_matches_numpy():
    """The example on a LocalCluster of 2 processes (a smaller dataset: 200,000 x 20 in 1 MiB chunks, 25 chunks):
    gradient descent recovers the direction of the model the labels were drawn from, and the cluster's
    gradient of a subsample is NumPy's to 1e-10."""
    pytest.importorskip("dask.distributed")
    w, rel, _ = _example().main(rows=200_000, features=20, chunk_mb=1, steps=8)
    assert rel < 1e-10
    w_true = np.linspace(-1.0, 1.0, 20)
    assert w @ w_true / np.linalg.norm(w) / np.linalg.norm(w_true) > 0.99


def _data(n=101, d=7, chunks=(13, 4)):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.5).astype(float)
    return X, y, da.from_array(X, chunks=chunks), da.from_array(y, chunks=chunks[0])


def test_gradient_is_lazy_and_right():
    ex = _example()
    X, y, Xd, yd = _data()
    w = np.linspace(-0.5, 0.5, X.shape[1])
    dloss = ad.grad(ex.loss)
    with dask.config.set(scheduler=_refuse_compute):
        g = dloss(w, Xd, yd)  # nothing computed
        gw = ad.grad(ex.loss, wrt=(0, 1))(w, Xd, yd)
    assert isinstance(g, da.Array) and g.shape == w.shape
    assert all(isinstance(v, da.Array) for v in gw) and gw[1].shape == X.shape
    # the gradient of logistic loss: X.T (sigmoid(X w) - y) / n, written out here
    expected = X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y) / len(y)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_allclose(g.compute(), expected, rtol=1e-12, atol=1e-15)
        wd = da.from_array(w, chunks=3)
        gd = dloss(wd, Xd, yd)
        assert isinstance(gd, da.Array)
        np.testing.assert_allclose(gd.compute(), expected, rtol=1e-12, atol=1e-15)


def _refuse_compute(dsk, keys, **kwargs):
    raise AssertionError("a Dask value was computed")


def test_dask_arguments_get_array_kinds():
    from ad_compiler import kinds

    k = kinds.kind_of(da.ones((3, 4), chunks=2))
    assert isinstance(k, kinds.Array) and k.ndim == 2 and k.dtype == "f" and not k.views
    assert kinds.kind_of(np.ones(3)).views


def test_in_place_change_with_dask_argument_is_refused():
    def f(x):
        y = x * 1.0
        z = y[:2]
        y[0] = 5.0  # NumPy: z sees it; Dask: z does not
        return np.sum(z * x[:2])

    with pytest.raises(ad.ADError, match="Dask"):
        ad.grad(f)(da.ones(4, chunks=3))
    assert ad.grad(f)(np.ones(4))[0] == 5.0  # (NumPy arrays: as before)


def test_complex_dask_argument_is_refused():
    with pytest.raises(ad.ADError, match="complex"):
        ad.grad(lambda x: np.sum(np.abs(x)))(da.ones(3, chunks=2) * 1j)


def test_control_flow_computes_only_its_condition():
    def f(x):
        if np.sum(x) > 0:
            y = x * 2.0
        else:
            y = x * 3.0
        while np.max(y) > 1.0:
            y = y / 2.0
        return np.sum(y ** 2)

    x = np.random.default_rng(0).random(7) + 0.5
    sizes = []  # the number of entries of each value computed

    def counting(dsk, keys, **kwargs):
        result = dask.get(dsk, keys, **kwargs)
        sizes.append(sum(np.size(v) for v in _leaves(result)))
        return result

    with dask.config.set(scheduler=counting):
        g = ad.grad(f)(da.from_array(x, chunks=3))
    assert isinstance(g, da.Array)
    assert sizes and set(sizes) == {1}  # only the conditions, one number each, never x or y
    with dask.config.set(scheduler="sync"):
        np.testing.assert_allclose(g.compute(), ad.grad(f)(x), rtol=1e-14)


def _leaves(v):
    if isinstance(v, (list, tuple)):
        return [u for item in v for u in _leaves(item)]
    return [v]


def test_second_order_with_dask_data():
    """H v and the Hessian of a function of Dask data: NumPy's, computed by NumPy (also checked against finite
    differences of the gradient here)."""
    def f(x, X):
        return np.sum(np.tanh(X @ x) ** 2)

    rng = np.random.default_rng(5)
    x, X, v = rng.standard_normal(4), rng.standard_normal((30, 4)), rng.standard_normal(4)
    Xd = da.from_array(X, chunks=7)
    with dask.config.set(scheduler="sync"):
        hv = ad.hvp(f)(x, Xd, v)
        hv = hv.compute() if isinstance(hv, da.Array) else hv
        h = ad.hessian(f)(x, Xd)
        h = h.compute() if isinstance(h, da.Array) else h
    grad = ad.grad(f)
    eps = 1e-6
    fd = (grad(x + eps * v, X) - grad(x - eps * v, X)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(h @ v, fd, rtol=1e-6, atol=1e-8)


def det_squares(a):
    return np.sum(np.linalg.det(a) ** 2)


def test_adjoints_that_solve_take_dask_matrices_in_any_chunks():
    """det's adjoint uses inv(a) and its tangent solve(a, da); Dask's own inv and solve take a 2-d matrix in
    square chunks only (they stopped with Dask's ValueError). Here a stack of two 3 x 3 matrices in 2 x 2
    chunks: the gradient is a Dask array and equals 2 det(a)^2 inv(a).T matrix by matrix (written out here), the
    tangent 2 det(a)^2 trace(inv(a) t)."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((2, 3, 3)) + 3.0 * np.eye(3)
    T = rng.standard_normal((2, 3, 3))
    Ad, Td = da.from_array(A, chunks=(1, 2, 2)), da.from_array(T, chunks=(2, 2, 1))
    d2 = np.linalg.det(A) ** 2
    inverses = np.stack([np.linalg.inv(m) for m in A])
    with dask.config.set(scheduler="sync"):
        g = ad.grad(det_squares)(Ad)
        assert isinstance(g, da.Array)
        np.testing.assert_allclose(g.compute(), 2.0 * d2[:, None, None] * np.swapaxes(inverses, 1, 2), rtol=1e-10)
        value, tangent = ad.jvp(det_squares)(Ad, Td)
        expected = np.sum(2.0 * d2 * np.trace(inverses @ T, axis1=1, axis2=2))
        np.testing.assert_allclose(np.asarray(tangent.compute() if isinstance(tangent, da.Array) else tangent),
                                   expected, rtol=1e-10)


def tanh_scores(x, X):
    return np.tanh(X @ x)


def test_jacobians_of_functions_of_dask_data():
    """Jacobians of a function whose value is a Dask array (of Dask data) are filled in NumPy, one computed
    column or row at a time; main's check that a Jacobian's function returns an array refused them as "returned
    a Array". The Jacobian of tanh(X x) is (1 - tanh(X x)^2) X, written out here."""
    rng = np.random.default_rng(6)
    x, X = rng.standard_normal(4), rng.standard_normal((30, 4))
    Xd = da.from_array(X, chunks=7)
    expected = (1.0 - np.tanh(X @ x) ** 2)[:, None] * X
    with dask.config.set(scheduler="sync"):
        for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
            got = jac(tanh_scores)(x, Xd)
            assert isinstance(got, np.ndarray)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, err_msg=jac.__name__)
