"""Logistic regression on a Dask cluster: the same compiled gradient, computed by the workers.

The dataset (by default 4,000,000 x 50 float64, 1.6 GB, in 64 MB chunks) is made on the workers of a
dask.distributed LocalCluster (2 worker processes) and stays there. `ad.grad(loss)` is the gradient that
ad_compiler writes for NumPy code; called with Dask arrays it returns a lazy Dask array (the generated code
calls np. functions, which Dask implements), and `.compute()` has the cluster compute it: the client only
sends the 50 weights and receives the 50 entries of the gradient. Gradient descent runs 10 such steps; at the
end the gradient of a subsample is compared with the same derivative computed by NumPy in this process.

    pip install 'ad-compiler[dask]'
    python examples/12_dask_cluster.py                   # 4,000,000 rows
    python examples/12_dask_cluster.py --rows 400000     # smaller (the test runs this)
"""
import argparse
import time

import numpy as np

import ad_compiler as ad


def loss(w, X, y):
    """Mean logistic loss of the labels y (0 or 1) given the scores X @ w (log(1 + e^z) - y z, stably)."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def make_data(rows, features, chunk_rows, seed=0):
    """A chunked dataset made by the workers (the client never holds it): labels drawn from a known model."""
    import dask.array as da

    rs = da.random.RandomState(seed)
    X = rs.standard_normal((rows, features), chunks=(chunk_rows, features))
    w_true = np.linspace(-1.0, 1.0, features)
    p = 1.0 / (1.0 + np.exp(-(X @ w_true)))
    y = (rs.random_sample(rows, chunks=chunk_rows) < p).astype(float)
    return X, y, w_true


def main(rows=4_000_000, features=50, chunk_mb=64, steps=10, lr=2.0, workers=2):
    import dask
    from dask.distributed import Client, LocalCluster

    chunk_rows = max(1, chunk_mb * 2**20 // (8 * features))
    dloss = ad.grad(loss)  # compiled once; this is the derivative for NumPy arrays too
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, \
            Client(cluster) as client:
        X, y, w_true = make_data(rows, features, chunk_rows)
        X, y = dask.persist(X, y)  # made and kept on the workers
        print(f"dataset: {rows:,} x {features} float64 = {X.nbytes / 2**30:.2f} GiB in {X.npartitions} chunks "
              f"of up to {chunk_rows:,} rows ({chunk_rows * features * 8 / 2**20:.0f} MiB), on {workers} workers")
        w = np.zeros(features)
        start = time.perf_counter()
        for step in range(steps):
            g = dloss(w, X, y)  # a lazy Dask array: nothing computed yet
            g = g.compute()  # the cluster computes it; 50 numbers come back
            w = w - lr * g
            print(f"step {step + 1:2d}: |gradient| = {np.linalg.norm(g):.6f}")
        seconds = (time.perf_counter() - start) / steps
        print(f"seconds per gradient on the cluster = {seconds:.3f}")
        # the gradient of a subsample: on the cluster, and by NumPy in this process on the same numbers
        m = min(rows, 100_000)
        Xs, ys = X[:m], y[:m]
        on_cluster = dloss(w, Xs, ys).compute()
        in_numpy = dloss(w, Xs.compute(), ys.compute())
        rel = np.linalg.norm(on_cluster - in_numpy) / np.linalg.norm(in_numpy)
        print(f"relative difference from NumPy on {m:,} rows = {rel:.3e}")
        print(f"cosine(w, w_true) = {w @ w_true / np.linalg.norm(w) / np.linalg.norm(w_true):.4f}")
        client.close()
    return w, rel, seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    main(args.rows, args.features, args.chunk_mb, args.steps)
