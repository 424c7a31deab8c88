"""Gradient throughput of the logistic regression of examples/12_dask_cluster.py: on a dask.distributed
LocalCluster (2 worker processes, 1 thread each) against the same data in NumPy in one process; and the peak
memory (max RSS) of the client process, which must not hold the dataset.

    python benchmarks/dask_cluster.py                      # 4,000,000 x 50 (1.6 GB), 64 MB chunks
    python benchmarks/dask_cluster.py --rows 1000000 --repeat 3

The NumPy side runs in a child process (`--numpy-child`), so that its memory is not counted as the client's.
Figures of a run are in docs/scale.md.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))

import ad_compiler as ad  # noqa: E402


def _example():
    import importlib.util

    path = os.path.join(os.path.dirname(__file__), "..", "examples", "12_dask_cluster.py")
    spec = importlib.util.spec_from_file_location("dask_cluster_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def numpy_child(rows, features, repeat):
    """In this process: the dataset in NumPy (made in blocks, as the workers make it), the gradient timed."""
    ex = _example()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, features))
    y = (rng.random(rows) < 0.5).astype(float)
    dloss = ad.grad(ex.loss)
    w = np.zeros(features)
    dloss(w, X, y)  # (compiled, warm)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        dloss(w, X, y)
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": min(times), "peak_rss_mib": peak_rss_mib()}))


def main(rows, features, chunk_mb, repeat, workers):
    import dask
    from dask.distributed import Client, LocalCluster

    ex = _example()
    chunk_rows = max(1, chunk_mb * 2**20 // (8 * features))
    dloss = ad.grad(ex.loss)
    before = peak_rss_mib()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, \
            Client(cluster) as client:
        X, y, _ = ex.make_data(rows, features, chunk_rows)
        X, y = dask.persist(X, y)
        dask.distributed.wait([X, y])
        w = np.zeros(features)
        dloss(w, X, y).compute()  # (compiled, warm)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            dloss(w, X, y).compute()
            times.append(time.perf_counter() - start)
        cluster_seconds = min(times)
        client.close()
    client_peak = peak_rss_mib()
    child = subprocess.run([sys.executable, __file__, "--numpy-child", "--rows", str(rows), "--features",
                            str(features), "--repeat", str(repeat)], capture_output=True, text=True, check=True)
    numpy_side = json.loads(child.stdout.strip().splitlines()[-1])
    gib = rows * features * 8 / 2**30
    print(f"dataset: {rows:,} x {features} float64 = {gib:.2f} GiB; chunks of {chunk_rows:,} rows "
          f"({chunk_rows * features * 8 / 2**20:.0f} MiB); {workers} worker processes, 1 thread each")
    print(f"cluster: {cluster_seconds:.3f} s per gradient = {rows / cluster_seconds / 1e6:.2f} M rows/s "
          f"({gib / cluster_seconds:.2f} GiB/s)")
    print(f"NumPy, one process: {numpy_side['seconds']:.3f} s per gradient = "
          f"{rows / numpy_side['seconds'] / 1e6:.2f} M rows/s ({gib / numpy_side['seconds']:.2f} GiB/s)")
    print(f"client peak RSS: {client_peak:.0f} MiB (before the cluster: {before:.0f} MiB); dataset "
          f"{gib * 1024:.0f} MiB; the NumPy process's peak RSS: {numpy_side['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk-mb", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--numpy-child", action="store_true")
    args = parser.parse_args()
    if args.numpy_child:
        numpy_child(args.rows, args.features, args.repeat)
    else:
        main(args.rows, args.features, args.chunk_mb, args.repeat, args.workers)
