#!/usr/bin/env python
"""Benchmark ad_compiler gradients against a hand-written NumPy gradient and optional peers.

Usage:
    python benchmarks/run.py                 # full run (a couple of minutes at most)
    python benchmarks/run.py --quick         # smoke test (well under 30 s)
    python benchmarks/run.py --repeats 51    # more samples per cell
    python benchmarks/run.py --workloads net,rnn --methods hand,ad_compiler

Every cell is the median, over ``--repeats`` samples, of the per-call time of one gradient call
(forward + backward). Each sample runs the call in an inner loop whose count is chosen so that a
sample lasts at least ``--min-time`` seconds. The samples are taken in ``--rounds`` blocks per
method, alternating between the methods of a workload, with a short pause before each block so
that one library's spinning thread pool (OpenBLAS, PyTorch, XLA) does not slow the next one down. All methods run in the same process, in float64, and
the ratio column divides by the hand-written NumPy gradient of the same workload measured in the
same run. Before timing, every method's gradient is checked against the hand-written one
(``np.allclose``, rtol=1e-6); a mismatch prints a WARNING row.

Peers (HIPS autograd, PyTorch eager on CPU, JAX eager, JAX jit) are optional: each one that cannot
be imported is skipped with a note. ad_compiler failures (e.g. an unsupported construct) are caught
and reported as ``n/a (reason)``; ``--traceback`` prints the full tracebacks at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import traceback

import numpy as np

# JAX: CPU only, and no attempt to look for accelerators.
os.environ.setdefault("JAX_PLATFORMS", "cpu")


# ---------------------------------------------------------------------------------------------
# Loss functions, written in plain NumPy (these are what ad_compiler differentiates)
# ---------------------------------------------------------------------------------------------


def poly_loss(x):
    return x * x + 3 * x + 1


def net_loss(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    y_pred = h @ w2
    return np.sum((y_pred - y) ** 2)


def linear(x, w):
    return x @ w


def relu(h):
    return np.maximum(h, 0.0)


def squared_error(y_pred, y):
    return np.sum((y_pred - y) ** 2)


def net3_loss(w1, w2, x, y):
    """The two-layer network written as three helper functions (ad_compiler compiles each callee)."""
    return squared_error(linear(relu(linear(x, w1)), w2), y)


def logreg_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def rnn_loss(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


# ---------------------------------------------------------------------------------------------
# Hand-written gradients (the baseline, ratio 1.00)
# ---------------------------------------------------------------------------------------------


def poly_grad_hand(x):
    return 2 * x + 3


def net_grad_hand(w1, w2, x, y):
    h_pre = x @ w1
    h = np.maximum(h_pre, 0.0)
    y_pred = h @ w2
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T @ grad_y_pred
    grad_h = grad_y_pred @ w2.T
    grad_h[h_pre < 0] = 0.0
    grad_w1 = x.T @ grad_h
    return grad_w1, grad_w2


def logreg_grad_hand(w, X, y):
    z = X @ w
    e = np.exp(-y * z)
    # d/dz mean(log1p(exp(-y z))) = -y * e / (1 + e) / N
    grad_z = (-y / X.shape[0]) * (e / (1.0 + e))
    return X.T @ grad_z


def rnn_grad_hand(W, U, b, xs, h0, return_storage=False):
    T = xs.shape[0]
    # Forward, storing every hidden state for the backward pass.
    hs = np.empty((T + 1,) + h0.shape)
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = np.tanh(xs[t] @ W + hs[t] @ U + b)
    # Backward through time.
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    db = np.zeros_like(b)
    dh = 2.0 * hs[T]
    for t in range(T - 1, -1, -1):
        da = dh * (1.0 - hs[t + 1] ** 2)  # through tanh
        dW += xs[t].T @ da
        dU += hs[t].T @ da
        db += da.sum(axis=0)
        dh = da @ U.T
    if return_storage:
        return (dW, dU, db), hs.nbytes
    return dW, dU, db


# ---------------------------------------------------------------------------------------------
# Workloads: data, the hand-written gradient, and how each method is set up
# ---------------------------------------------------------------------------------------------


class Workload:
    def __init__(self, name, description, loss, hand, args, wrt_names, wrt_index):
        self.name = name
        self.description = description
        self.loss = loss
        self.hand = hand
        self.args = args              # tuple of NumPy arrays / floats
        self.wrt_names = wrt_names    # names of the differentiated parameters
        self.wrt_index = wrt_index    # their positions


def make_workloads():
    rng = np.random.default_rng(0)
    wls = []

    wls.append(Workload(
        "poly", "f(x) = x*x + 3*x + 1 at x = 2.0 (Python float)",
        poly_loss, poly_grad_hand, (2.0,), ("x",), (0,)))

    N, D_in, H, D_out = 64, 1000, 100, 10
    x = rng.standard_normal((N, D_in))
    y = rng.standard_normal((N, D_out))
    w1 = rng.standard_normal((D_in, H)) * np.sqrt(1.0 / D_in)
    w2 = rng.standard_normal((H, D_out)) * np.sqrt(1.0 / H)
    wls.append(Workload(
        "net", f"two-layer ReLU net, N={N}, D_in={D_in}, H={H}, D_out={D_out}, grad wrt (w1, w2)",
        net_loss, net_grad_hand, (w1, w2, x, y), ("w1", "w2"), (0, 1)))
    wls.append(Workload(
        "net3", "the same network written as three helper functions (linear, relu, squared_error)",
        net3_loss, net_grad_hand, (w1, w2, x, y), ("w1", "w2"), (0, 1)))

    N, D = 1000, 100
    X = rng.standard_normal((N, D))
    w_true = rng.standard_normal(D)
    yl = np.where(X @ w_true + 0.5 * rng.standard_normal(N) > 0, 1.0, -1.0)
    w = 0.1 * rng.standard_normal(D)
    wls.append(Workload(
        "logreg", f"logistic regression, N={N}, D={D}, grad wrt w",
        logreg_loss, logreg_grad_hand, (w, X, yl), ("w",), (0,)))

    T, B, Hh, I = 50, 8, 32, 16
    xs = rng.standard_normal((T, B, I))
    h0 = np.zeros((B, Hh))
    W = rng.standard_normal((I, Hh)) * np.sqrt(1.0 / I)
    U = rng.standard_normal((Hh, Hh)) * np.sqrt(1.0 / Hh)
    bb = 0.1 * rng.standard_normal(Hh)
    wls.append(Workload(
        "rnn", f"tanh RNN, T={T}, batch {B}, hidden {Hh}, input {I}, grad wrt (W, U, b)",
        rnn_loss, rnn_grad_hand, (W, U, bb, xs, h0), ("W", "U", "b"), (0, 1, 2)))
    try:  # issue 10: a Gaussian process and an LSTM (benchmarks/language.py; they need SciPy)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import language
    except ImportError:
        return wls
    return wls + language.workloads(Workload)


# ---------------------------------------------------------------------------------------------
# Methods. Each builder takes a workload and returns a zero-argument callable that computes the
# gradient(s) and returns them as NumPy values (a tuple when several), or raises.
# Everything that is set up once (compiling, converting the inputs) happens in the builder;
# the callable is what gets timed.
# ---------------------------------------------------------------------------------------------


class Skip(Exception):
    """A peer that is not available: the row is printed as skipped."""


def as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def build_hand(wl):
    args = wl.args
    hand = wl.hand
    return lambda: hand(*args)


_ad = None


def import_ad_compiler():
    global _ad
    if _ad is None:
        try:
            import ad_compiler as ad
        except ImportError:
            # Running from a checkout without `pip install -e .`: use the source tree.
            src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
            sys.path.insert(0, src)
            import ad_compiler as ad
        _ad = ad
    return _ad


def build_ad_compiler(wl):
    ad = import_ad_compiler()
    wrt = wl.wrt_names if len(wl.wrt_names) > 1 else wl.wrt_names[0]
    g = ad.grad(wl.loss, wrt=wrt)   # compiled once, here, outside the timed loop
    args = wl.args
    return lambda: g(*args)


def ad_compiler_tape_bytes(wl):
    """Bytes of array data on the generated gradient's tape at its fullest (the forward sweep's storage)."""
    ad = import_ad_compiler()
    wrt = wl.wrt_names if len(wl.wrt_names) > 1 else wl.wrt_names[0]
    g = ad.grad(wl.loss, wrt=wrt)
    peak = [0]

    class MeasuredTape(list):
        def __init__(self):
            super().__init__()
            self.nbytes = 0

        def append(self, value):
            self.nbytes += getattr(value, "nbytes", 0)
            peak[0] = max(peak[0], self.nbytes)
            super().append(value)

        def pop(self):
            value = super().pop()
            self.nbytes -= getattr(value, "nbytes", 0)
            return value

    original = ad.runtime.new_tape
    ad.runtime.new_tape = MeasuredTape
    try:
        g(*wl.args)
    finally:
        ad.runtime.new_tape = original
    return peak[0]


def _autograd():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError as e:
        raise Skip(f"autograd not installed ({e})")
    return autograd, anp


def _peer_loss(losses, wl):
    if wl.name not in losses:
        raise Skip(f"the {wl.name} workload is not written for this peer")
    return losses[wl.name]


def build_autograd(wl):
    autograd, anp = _autograd()
    losses = make_module_losses(anp)
    f = _peer_loss(losses, wl)
    argnum = wl.wrt_index if len(wl.wrt_index) > 1 else wl.wrt_index[0]
    g = autograd.grad(f, argnum)
    args = wl.args
    return lambda: g(*args)


def make_module_losses(np):  # noqa: N803 - deliberately shadows numpy with autograd.numpy / jax.numpy
    """The same loss functions, written against a NumPy-like module (autograd.numpy, jax.numpy)."""

    def poly(x):
        return x * x + 3 * x + 1

    def net(w1, w2, x, y):
        h = np.maximum(x @ w1, 0.0)
        y_pred = h @ w2
        return np.sum((y_pred - y) ** 2)

    def logreg(w, X, y):
        z = X @ w
        return np.mean(np.log1p(np.exp(-y * z)))

    def rnn(W, U, b, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ W + h @ U + b)
        return np.sum(h ** 2)

    return {"poly": poly, "net": net, "net3": net, "logreg": logreg, "rnn": rnn}


def _torch():
    try:
        import torch
    except ImportError as e:
        raise Skip(f"torch not installed ({e})")
    return torch


def make_torch_losses(torch):
    def poly(x):
        return x * x + 3 * x + 1

    def net(w1, w2, x, y):
        h = torch.clamp(x @ w1, min=0.0)
        y_pred = h @ w2
        return torch.sum((y_pred - y) ** 2)

    def logreg(w, X, y):
        z = X @ w
        return torch.mean(torch.log1p(torch.exp(-y * z)))

    def rnn(W, U, b, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = torch.tanh(xs[t] @ W + h @ U + b)
        return torch.sum(h ** 2)

    return {"poly": poly, "net": net, "net3": net, "logreg": logreg, "rnn": rnn}


def build_torch(wl):
    torch = _torch()
    f = _peer_loss(make_torch_losses(torch), wl)
    targs = []
    for i, a in enumerate(wl.args):
        t = torch.tensor(a, dtype=torch.float64)  # 0-d tensor for the Python float of `poly`
        if i in wl.wrt_index:
            t.requires_grad_(True)
        targs.append(t)
    leaves = [targs[i] for i in wl.wrt_index]
    scalar = wl.name == "poly"

    def call():
        for p in leaves:
            p.grad = None
        loss = f(*targs)
        loss.backward()
        if scalar:
            return leaves[0].grad.item()
        grads = tuple(p.grad.numpy() for p in leaves)
        return grads if len(grads) > 1 else grads[0]

    return call


def _jax():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
    except ImportError as e:
        raise Skip(f"jax not installed ({e})")
    return jax, jnp


def _jax_args(wl, jnp):
    # Arrays are moved to JAX once, outside the timed loop; the Python float stays a float.
    return tuple(a if isinstance(a, float) else jnp.asarray(a) for a in wl.args)


def build_jax_eager(wl):
    jax, jnp = _jax()
    f = _peer_loss(make_module_losses(jnp), wl)
    argnums = wl.wrt_index if len(wl.wrt_index) > 1 else wl.wrt_index[0]
    g = jax.grad(f, argnums=argnums)
    args = _jax_args(wl, jnp)
    return lambda: jax.block_until_ready(g(*args))


def build_jax_jit(wl):
    jax, jnp = _jax()
    f = _peer_loss(make_module_losses(jnp), wl)
    argnums = wl.wrt_index if len(wl.wrt_index) > 1 else wl.wrt_index[0]
    g = jax.jit(jax.grad(f, argnums=argnums))
    args = _jax_args(wl, jnp)
    jax.block_until_ready(g(*args))  # warm-up: tracing and XLA compilation are not timed
    return lambda: jax.block_until_ready(g(*args))


METHODS = [
    # (key, label, builder)
    ("hand", "hand-written NumPy", build_hand),
    ("ad_compiler", "ad_compiler", build_ad_compiler),
    ("autograd", "autograd (HIPS)", build_autograd),
    ("torch", "PyTorch eager (CPU)", build_torch),
    ("jax", "JAX eager (no jit)", build_jax_eager),
    ("jax_jit", "JAX jit", build_jax_jit),
]


# ---------------------------------------------------------------------------------------------
# Timing and checking
# ---------------------------------------------------------------------------------------------


CLOCK = time.perf_counter  # `--clock cpu`: time.process_time (CPU time of this process, on a loaded machine)


def _run(fn, n):
    t0 = CLOCK()
    for _ in range(n):
        fn()
    return CLOCK() - t0


def calibrate(fn, min_time):
    """Smallest-ish inner loop count such that one sample lasts at least `min_time` seconds."""
    n = 1
    while True:
        t = _run(fn, n)
        if t >= min_time:
            return n
        if t <= 0:
            n *= 10
            continue
        # Aim 20% above the target, grow at least 2x and at most 100x per step.
        n = int(min(max(n * min_time * 1.2 / t, 2 * n), 100 * n))


SETTLE_SECONDS = 0.3


def measure_in_rounds(fns, repeats, min_time, rounds):
    """Median per-call time in seconds of each callable, and the inner loop counts used.

    The `repeats` samples of each method are taken in `rounds` blocks, the methods' blocks
    alternating (A A A, B B B, ..., then A A A, B B B, ... again), so that a slow phase of the
    machine does not fall on one method only. Before each block the process sleeps
    SETTLE_SECONDS: NumPy's OpenBLAS, PyTorch and XLA each keep a thread pool whose workers
    spin-wait for a while after a parallel operation; on a 2-core machine a method timed right
    after another library's parallel call runs up to 10x slower until those threads go to sleep.
    A callable that raises while being timed gets (exception, traceback) as its result instead.
    """
    counts, samples, results = {}, {}, {}
    for key, fn in fns.items():
        try:
            time.sleep(SETTLE_SECONDS)
            fn()  # warm-up (caches, lazy imports, first-call allocations)
            counts[key] = calibrate(fn, min_time)
            samples[key] = []
        except Exception as e:
            results[key] = (e, traceback.format_exc())
    rounds = max(1, min(rounds, repeats))
    per_round = [repeats // rounds + (1 if r < repeats % rounds else 0) for r in range(rounds)]
    for k in per_round:
        for key in list(samples):
            fn, n = fns[key], counts[key]
            try:
                time.sleep(SETTLE_SECONDS)
                fn()  # untimed: wakes this method's own thread pool
                for _ in range(k):
                    samples[key].append(_run(fn, n) / n)
            except Exception as e:
                results[key] = (e, traceback.format_exc())
                del samples[key]
    for key, ss in samples.items():
        results[key] = (statistics.median(ss), counts[key])
    return results


def to_numpy_tuple(g):
    return tuple(np.asarray(v, dtype=np.float64) for v in as_tuple(g))


def compare(got, ref, rtol=1e-6):
    """None if all gradients agree with the hand-written ones, else a short description."""
    got = to_numpy_tuple(got)
    ref = to_numpy_tuple(ref)
    if len(got) != len(ref):
        return f"returned {len(got)} gradient(s), expected {len(ref)}"
    for i, (a, b) in enumerate(zip(got, ref)):
        if a.shape != b.shape:
            return f"gradient #{i} has shape {a.shape}, expected {b.shape}"
        if not np.allclose(a, b, rtol=rtol):
            err = np.max(np.abs(a - b))
            scale = np.max(np.abs(b))
            return f"gradient #{i} differs: max abs error {err:.3g} (largest reference entry {scale:.3g})"
    return None


def short_reason(exc):
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    name = type(exc).__name__
    if first.startswith(name + ":"):
        first = first[len(name) + 1:].strip()
    if len(first) > 110:
        first = first[:107] + "..."
    return f"{name}: {first}" if first else name


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def fmt_us(seconds):
    us = seconds * 1e6
    if us >= 1000:
        return f"{us:,.0f}"
    if us >= 10:
        return f"{us:.1f}"
    return f"{us:.2f}"


def version_of(modname):
    """Installed version of a package, or None when it is not importable."""
    try:
        mod = __import__(modname)
    except Exception:
        return None
    v = getattr(mod, "__version__", None)
    if v is None:
        try:
            from importlib.metadata import version
            v = version(modname)
        except Exception:
            v = "?"
    return v


def machine_header():
    lines = []
    lines.append(f"- platform: {platform.platform()} ({platform.machine()})")
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if cpu:
        lines.append(f"- CPU: {cpu}")
    lines.append(f"- CPU count: {os.cpu_count()}")
    lines.append(f"- Python {platform.python_version()}, NumPy {np.__version__}")
    return lines


def peer_versions():
    parts = []
    for mod in ("autograd", "torch", "jax"):
        v = version_of(mod)
        if v is not None:
            extra = ""
            if mod == "torch":
                import torch
                extra = f", {torch.get_num_threads()} threads"
            parts.append(f"{mod} {v}{extra}")
    return parts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repeats, short samples (smoke test)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="samples per cell (default 41, or 3 with --quick)")
    ap.add_argument("--min-time", type=float, default=None,
                    help="minimum seconds per sample (default 0.02, or 0.01 with --quick)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="blocks the samples of each method are split into, alternating between "
                    "methods (default 5, or 1 with --quick)")
    ap.add_argument("--workloads", default=None,
                    help="comma-separated subset of poly,net,net3,logreg,rnn,gp,lstm")
    ap.add_argument("--methods", default=None,
                    help="comma-separated subset of " + ",".join(k for k, _, _ in METHODS)
                    + " (hand is always included: it is the baseline)")
    ap.add_argument("--traceback", action="store_true",
                    help="print full tracebacks of ad_compiler / peer failures")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: time.perf_counter (default); cpu: time.process_time, the CPU time of this "
                    "process (its threads included), less disturbed by other processes on a loaded machine")
    opts = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if opts.clock == "cpu" else time.perf_counter

    repeats = opts.repeats if opts.repeats is not None else (3 if opts.quick else 41)
    min_time = opts.min_time if opts.min_time is not None else (0.01 if opts.quick else 0.02)
    if repeats < 1:
        ap.error("--repeats must be >= 1")
    rounds = opts.rounds if opts.rounds is not None else (1 if opts.quick else 5)

    workloads = make_workloads()
    if opts.workloads:
        wanted = [w.strip() for w in opts.workloads.split(",") if w.strip()]
        unknown = set(wanted) - {w.name for w in workloads}
        if unknown:
            ap.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
        workloads = [w for w in workloads if w.name in wanted]
    methods = METHODS
    if opts.methods:
        wanted = {m.strip() for m in opts.methods.split(",") if m.strip()} | {"hand"}
        unknown = wanted - {k for k, _, _ in METHODS}
        if unknown:
            ap.error(f"unknown method(s): {', '.join(sorted(unknown))}")
        methods = [m for m in METHODS if m[0] in wanted]

    t_start = time.perf_counter()
    print("## Machine")
    print()
    for line in machine_header():
        print(line)
    print(f"- timing: median of {repeats} samples, each >= {min_time * 1e3:.0f} ms "
          f"(inner loop count auto-chosen), {CLOCK.__name__}, one process; samples taken in "
          f"{max(1, min(rounds, repeats))} round(s) of per-method blocks, "
          f"{SETTLE_SECONDS:.1f} s pause before each block")
    print(flush=True)

    rows = []          # (workload, label, us, ratio) as strings
    notes = []         # footnotes printed under the table
    failures = []      # (workload, label, formatted traceback)
    skipped = {}       # peer label -> reason (reported once)

    for wl in workloads:
        ref = wl.hand(*wl.args)
        if wl.name == "rnn":
            _, nbytes = rnn_grad_hand(*wl.args, return_storage=True)
            notes.append(f"rnn: the hand-written BPTT stores the hidden states for the backward "
                         f"pass: hs.nbytes = {nbytes:,} bytes ({nbytes / 1024:.1f} KiB).")
            try:
                taped = ad_compiler_tape_bytes(wl)
                notes.append(f"rnn: the ad_compiler gradient's tape holds {taped:,} bytes of arrays "
                             f"({taped / 1024:.1f} KiB) at its largest.")
            except Exception as exc:  # noqa: BLE001
                notes.append(f"rnn: could not measure ad_compiler's tape ({short_reason(exc)})")
        # Build each method and check its gradient; then time them all together.
        ready = {}       # key -> (label, callable, problem or None)
        for key, label, builder in methods:
            if label in skipped:
                continue
            try:
                fn = builder(wl)
                got = fn()
            except Skip as e:
                skipped[label] = str(e)
                continue
            except Exception as e:  # ad_compiler (or a peer) could not do this workload
                ready[key] = (label, None, e)
                failures.append((wl.name, label, traceback.format_exc()))
                print(f"  {wl.name:7s} {label:22s} n/a ({short_reason(e)})", file=sys.stderr,
                      flush=True)
                continue
            ready[key] = (label, fn, compare(got, ref))
        timed = measure_in_rounds(
            {k: fn for k, (_, fn, _) in ready.items() if fn is not None}, repeats, min_time,
            rounds)
        base = timed.get("hand", (None,))[0]
        if not isinstance(base, float):
            base = None
        for key, (label, fn, problem) in ready.items():
            if fn is None:
                rows.append((wl.name, label, f"n/a ({short_reason(problem)})", ""))
                continue
            if problem is not None:
                rows.append((wl.name, label, f"WARNING: gradient mismatch, {problem}", ""))
            secs, n = timed[key]
            if isinstance(secs, Exception):
                rows.append((wl.name, label, f"n/a (failed while timing: {short_reason(secs)})", ""))
                failures.append((wl.name, label, n))
                continue
            ratio = f"{secs / base:.2f}" if base else "?"
            if problem is not None:
                ratio += " (wrong gradient)"
            rows.append((wl.name, label, fmt_us(secs), ratio))
            print(f"  {wl.name:7s} {label:22s} {fmt_us(secs):>10s} us/call  x{ratio}  "
                  f"(inner loop {n})", file=sys.stderr, flush=True)

    print("## Results")
    print()
    print("| workload | method | µs/call | ratio to hand-written |")
    print("| --- | --- | ---: | ---: |")
    for w, label, us, ratio in rows:
        cells = (c.replace("|", "\\|") for c in (w, label, us, ratio))  # keep the table intact
        print("| " + " | ".join(cells) + " |")
    print()
    versions = peer_versions()
    if versions:
        notes.append("peers: " + ", ".join(versions) + ".")
    for label, reason in skipped.items():
        notes.append(f"{label}: skipped, {reason}.")
    for n in notes:
        print(f"- {n}")
    print()
    print(f"Total benchmark time: {time.perf_counter() - t_start:.1f} s")

    if failures:
        print()
        print(f"{len(failures)} measurement(s) failed"
              + ("" if opts.traceback else " (run with --traceback for details)") + ".")
        if opts.traceback:
            for w, label, tb in failures:
                print()
                print(f"### {w} / {label}")
                print("```")
                print(tb.rstrip())
                print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
