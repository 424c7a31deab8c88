#!/usr/bin/env python
"""Checkpointing: the RNN of benchmarks/run.py at T=5,000 steps, its gradient with and without
`ad.checkpointed` on the loop (and with `ad.checkpoint` on the step function), side by side: CPU time per
call and the largest number of bytes of arrays held on the gradient's tapes (the tape and the segments'
snapshots).

    python benchmarks/checkpointing.py            # T=5000
    python benchmarks/checkpointing.py --T 1000 --repeats 5
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))
import ad_compiler as ad  # noqa: E402


def rnn_loss(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def rnn_checkpointed(W, U, b, xs, h0):
    h = h0
    for t in ad.checkpointed(range(xs.shape[0])):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


@ad.checkpoint
def cell(h, x, W, U, b):
    return np.tanh(x @ W + h @ U + b)


def rnn_cell(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = cell(h, xs[t], W, U, b)
    return np.sum(h ** 2)


def tape_bytes(g, args):
    """The most bytes of arrays on the tapes (every list runtime.new_tape made) at once during one call."""
    live, peak = [0], [0]

    class Measured(list):
        def append(self, value):
            live[0] += getattr(value, "nbytes", 0)
            peak[0] = max(peak[0], live[0])
            super().append(value)

        def pop(self):
            value = super().pop()
            live[0] -= getattr(value, "nbytes", 0)
            return value

    original = ad.runtime.new_tape
    ad.runtime.new_tape = Measured
    try:
        g(*args)
    finally:
        ad.runtime.new_tape = original
    return peak[0]


def peak_bytes(fn):
    """The most memory NumPy and Python allocated during one call (tracemalloc), above what was there before."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def cpu_time(fn, repeats):
    best = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best.append(time.process_time() - t0)
    return float(np.median(best))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--T", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=7)
    opts = ap.parse_args(argv)
    T, B, H, I = opts.T, 8, 32, 16
    r = np.random.default_rng(1)
    args = (r.standard_normal((I, H)) * np.sqrt(1.0 / I), r.standard_normal((H, H)) * np.sqrt(1.0 / H),
            0.1 * r.standard_normal(H), r.standard_normal((T, B, I)), np.zeros((B, H)))
    state = B * H * 8
    rows = []
    reference = None
    for label, f in (("no checkpointing", rnn_loss), ("ad.checkpointed loop", rnn_checkpointed),
                     ("ad.checkpoint step", rnn_cell)):
        g = ad.grad(f, wrt=("W", "U", "b"))
        got = g(*args)
        if reference is None:
            reference = got
        err = max(float(np.max(np.abs(a - b))) for a, b in zip(got, reference))
        secs = cpu_time(lambda: g(*args), opts.repeats)
        held = tape_bytes(g, args)
        rows.append((label, secs, held, peak_bytes(lambda: g(*args)), err))
    base = rows[0][1]
    print(f"RNN T={T}, batch {B}, hidden {H}, input {I}; CPU time (median of {opts.repeats}), one BLAS thread; "
          f"one hidden state = {state:,} bytes, sqrt(T) = {np.sqrt(T):.0f}\n")
    print("| gradient | ms/call | time ratio | tape bytes at most | hidden states | peak memory (MiB) | max difference |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, secs, held, peak, err in rows:
        print(f"| {label} | {secs * 1e3:,.1f} | {secs / base:.2f} | {held:,} | {held / state:,.0f} | "
              f"{peak / 2 ** 20:.1f} | {err:.1e} |")


if __name__ == "__main__":
    main()
