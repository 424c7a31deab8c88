#!/usr/bin/env python
"""Benchmark ad_compiler gradients against a hand-written gradient and optional peers.

Usage:
    python benchmarks/run.py                 # full run (a few minutes)
    python benchmarks/run.py --quick         # smoke test
    python benchmarks/run.py --workloads net,rnn --methods hand,ad_compiler
    python benchmarks/run.py --clock wall    # wall-clock time instead of CPU time

Every cell is the median, over ``--repeats`` samples, of the per-call time of one gradient call
(forward + backward). By default the time is the process's CPU time (``time.process_time``), with
OpenBLAS limited to one thread (``--threads``), so that other work on a shared machine does not count; a
library that uses several threads is charged for all of them. Each sample runs the call in an inner loop
whose count is chosen so that a sample lasts at least ``--min-time`` seconds. The samples are taken in
``--rounds`` blocks per method, alternating between the methods of a workload. The ratio column divides
by the hand-written gradient of the same workload measured in the same run. Before timing, every
method's gradient is checked against the hand-written one (``np.allclose``, rtol=1e-6), and the
hand-written gradients of the loops on floats and of the tiny arrays against finite differences; a
mismatch prints a WARNING row. Peak memory is the largest amount of memory NumPy allocated during one
call (``tracemalloc``; libraries that allocate outside it, PyTorch and XLA, are not measured). Compile
time is the CPU time of the first call (ad_compiler: compiling the derivative; JAX jit: tracing and XLA).

Peers (HIPS autograd, PyTorch eager on CPU, JAX eager, JAX jit: benchmarks/peers.py) are optional: each
one that cannot be imported is skipped with a note. Failures are reported as ``n/a (reason)``;
``--traceback`` prints the full tracebacks at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import traceback


def _threads_from_argv(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


if __name__ == "__main__":  # (before NumPy is imported: its thread pool reads this once)
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, _threads_from_argv(sys.argv))
os.environ.setdefault("JAX_PLATFORMS", "cpu")  # JAX: CPU only, no search for accelerators

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from peers import NotWritten, Skip  # noqa: E402
from workloads import ALL, Workload, check_hand_written, make_workloads, rnn_grad_hand  # noqa: E402,F401
from workloads import *  # noqa: E402,F401,F403  (the loss functions, for benchmarks/modes.py and users)


# ---------------------------------------------------------------------------------------------
# Methods. Each builder takes a workload and returns (callable, compile seconds or None); the callable
# computes the gradient(s) as NumPy values (a tuple when several), or raises.
# ---------------------------------------------------------------------------------------------
def as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def build_hand(wl):
    args = wl.args
    hand = wl.hand
    return (lambda: hand(*args)), None


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


def _wrt(wl):
    return wl.wrt_names if len(wl.wrt_names) > 1 else wl.wrt_names[0]


def build_ad_compiler(wl, **options):
    ad = import_ad_compiler()
    t0 = time.process_time()
    g = ad.grad(wl.loss, wrt=_wrt(wl), **options)
    g(*wl.args)  # compiled at the first call, for the kinds of the arguments
    compile_seconds = time.process_time() - t0
    args = wl.args
    return (lambda: g(*args)), compile_seconds


def build_ad_compiler_jit(wl):
    try:
        import numba  # noqa: F401
    except ImportError as e:
        raise Skip(f"numba not installed ({e})")
    return build_ad_compiler(wl, jit=True)


def ad_compiler_tape_bytes(wl):
    """Bytes of array data on the generated gradient's tape at its fullest (the forward sweep's storage)."""
    ad = import_ad_compiler()
    g = ad.grad(wl.loss, wrt=_wrt(wl))
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


METHODS = [
    # (key, label, builder)
    ("hand", "hand-written", build_hand),
    ("ad_compiler", "ad_compiler", build_ad_compiler),
    ("ad_compiler_jit", "ad_compiler jit=True", build_ad_compiler_jit),
    ("autograd", "autograd (HIPS)", peers.build_autograd),
    ("torch", "PyTorch eager (CPU)", peers.build_torch),
    ("jax", "JAX eager (no jit)", peers.build_jax_eager),
    ("jax_jit", "JAX jit", peers.build_jax_jit),
]
NUMPY_METHODS = {"hand", "ad_compiler", "ad_compiler_jit", "autograd"}  # allocations tracemalloc sees


# ---------------------------------------------------------------------------------------------
# Timing and checking
# ---------------------------------------------------------------------------------------------
CLOCK = time.process_time


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


def peak_memory(fn):
    """The most memory (bytes) NumPy and Python allocated during one call of `fn`, above what was there
    before it (tracemalloc; the arguments are not counted, the results are)."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    del result
    return peak


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
        if not np.allclose(a, b, rtol=rtol, atol=1e-12 * max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)):
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


def fmt_mib(nbytes):
    if nbytes is None:
        return ""
    mib = nbytes / 2 ** 20
    return f"{mib:,.0f}" if mib >= 100 else f"{mib:.2f}" if mib < 1 else f"{mib:.1f}"


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
    lines.append(f"- Python {platform.python_version()}, NumPy {np.__version__}, "
                 f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    return lines


def peer_versions():
    parts = []
    for mod in ("numba", "autograd", "torch", "jax"):
        v = version_of(mod)
        if v is not None:
            extra = ""
            if mod == "torch":
                import torch
                extra = f", {torch.get_num_threads()} threads"
            parts.append(f"{mod} {v}{extra}")
    return parts


def main(argv=None):
    global CLOCK
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repeats, short samples (smoke test)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="samples per cell (default 21, or 3 with --quick)")
    ap.add_argument("--min-time", type=float, default=None,
                    help="minimum seconds per sample (default 0.02, or 0.01 with --quick)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="blocks the samples of each method are split into, alternating between "
                    "methods (default 3, or 1 with --quick)")
    ap.add_argument("--workloads", default=None, help="comma-separated subset of " + ",".join(ALL))
    ap.add_argument("--methods", default=None,
                    help="comma-separated subset of " + ",".join(k for k, _, _ in METHODS)
                    + " (hand is always included: it is the baseline)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="time.process_time (default) or time.perf_counter")
    ap.add_argument("--threads", default="1", help="OPENBLAS_NUM_THREADS (and OMP, MKL) when not already set")
    ap.add_argument("--no-memory", action="store_true", help="do not measure peak memory")
    ap.add_argument("--traceback", action="store_true",
                    help="print full tracebacks of ad_compiler / peer failures")
    opts = ap.parse_args(argv)
    CLOCK = time.process_time if opts.clock == "cpu" else time.perf_counter

    repeats = opts.repeats if opts.repeats is not None else (3 if opts.quick else 21)
    min_time = opts.min_time if opts.min_time is not None else (0.01 if opts.quick else 0.02)
    if repeats < 1:
        ap.error("--repeats must be >= 1")
    rounds = opts.rounds if opts.rounds is not None else (1 if opts.quick else 3)

    wanted = [w.strip() for w in opts.workloads.split(",") if w.strip()] if opts.workloads else ALL
    unknown = set(wanted) - set(ALL)
    if unknown:
        ap.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    workloads = make_workloads(wanted)
    methods = METHODS
    if opts.methods:
        wanted_m = {m.strip() for m in opts.methods.split(",") if m.strip()} | {"hand"}
        unknown = wanted_m - {k for k, _, _ in METHODS}
        if unknown:
            ap.error(f"unknown method(s): {', '.join(sorted(unknown))}")
        methods = [m for m in METHODS if m[0] in wanted_m]

    t_start = time.perf_counter()
    print("## Machine")
    print()
    for line in machine_header():
        print(line)
    clock = "CPU time (time.process_time)" if opts.clock == "cpu" else "wall clock (time.perf_counter)"
    print(f"- timing: {clock}, median of {repeats} samples, each >= {min_time * 1e3:.0f} ms "
          f"(inner loop count auto-chosen), one process; samples taken in "
          f"{max(1, min(rounds, repeats))} round(s) of per-method blocks, "
          f"{SETTLE_SECONDS:.1f} s pause before each block")
    print(flush=True)

    rows = []          # (workload, label, us, ratio, memory, compile) as strings
    notes = []         # footnotes printed under the table
    failures = []      # (workload, label, formatted traceback)
    skipped = {}       # peer label -> reason (reported once)
    not_written = {}   # peer label -> workloads

    for wl in workloads:
        ref = wl.hand(*wl.args)
        problem = check_hand_written(wl)
        if problem:
            notes.append("WARNING: " + problem)
        if wl.name in ("rnn", "rnn1000"):
            _, nbytes = rnn_grad_hand(*wl.args, return_storage=True)
            notes.append(f"{wl.name}: the hand-written BPTT stores the hidden states for the backward "
                         f"pass: hs.nbytes = {nbytes:,} bytes ({nbytes / 1024:.1f} KiB).")
            try:
                taped = ad_compiler_tape_bytes(wl)
                notes.append(f"{wl.name}: the ad_compiler gradient's tape holds {taped:,} bytes of arrays "
                             f"({taped / 1024:.1f} KiB) at its largest.")
            except Exception as exc:  # noqa: BLE001
                notes.append(f"{wl.name}: could not measure ad_compiler's tape ({short_reason(exc)})")
        # Build each method and check its gradient; then time them all together.
        ready = {}       # key -> (label, callable, problem or None, compile seconds, peak bytes)
        for key, label, builder in methods:
            if label in skipped:
                continue
            try:
                fn, compile_seconds = builder(wl)
                got = fn()
            except Skip as e:
                skipped[label] = str(e)
                continue
            except NotWritten:
                not_written.setdefault(label, []).append(wl.name)
                continue
            except Exception as e:  # ad_compiler (or a peer) could not do this workload
                ready[key] = (label, None, e, None, None)
                failures.append((wl.name, label, traceback.format_exc()))
                print(f"  {wl.name:8s} {label:22s} n/a ({short_reason(e)})", file=sys.stderr, flush=True)
                continue
            memory = None
            if key in NUMPY_METHODS and not opts.no_memory:
                memory = peak_memory(fn)
            ready[key] = (label, fn, compare(got, ref), compile_seconds, memory)
        n = min(repeats, wl.repeats) if wl.repeats else repeats
        timed = measure_in_rounds({k: v[1] for k, v in ready.items() if v[1] is not None}, n,
                                  min_time, min(rounds, n))
        base = timed.get("hand", (None,))[0]
        if not isinstance(base, float):
            base = None
        base_memory = ready.get("hand", (None,) * 5)[4]
        for key, (label, fn, problem, compile_seconds, memory) in ready.items():
            if fn is None:
                rows.append((wl.name, label, f"n/a ({short_reason(problem)})", "", "", ""))
                continue
            if problem is not None:
                rows.append((wl.name, label, f"WARNING: gradient mismatch, {problem}", "", "", ""))
            secs, count = timed[key]
            if isinstance(secs, Exception):
                rows.append((wl.name, label, f"n/a (failed while timing: {short_reason(secs)})", "", "", ""))
                failures.append((wl.name, label, count))
                continue
            ratio = f"{secs / base:.2f}" if base else "?"
            if problem is not None:
                ratio += " (wrong gradient)"
            mem = fmt_mib(memory)
            if memory is not None and base_memory and key != "hand":
                mem += f" ({memory / base_memory:.2f}x)"
            comp = f"{compile_seconds:.2f}" if compile_seconds is not None else ""
            rows.append((wl.name, label, fmt_us(secs), ratio, mem, comp))
            print(f"  {wl.name:8s} {label:22s} {fmt_us(secs):>10s} us/call  x{ratio}  "
                  f"(inner loop {count})", file=sys.stderr, flush=True)

    print("## Results")
    print()
    print("| workload | method | µs/call | ratio to hand-written | peak memory (MiB) | compile (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for cells in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")  # keep the table intact
    print()
    versions = peer_versions()
    if versions:
        notes.append("versions: " + ", ".join(versions) + ".")
    for label, reason in skipped.items():
        notes.append(f"{label}: skipped, {reason}.")
    for label, names in not_written.items():
        notes.append(f"{label}: not written for {', '.join(names)}.")
    for n_ in notes:
        print(f"- {n_}")
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
