#!/usr/bin/env python
"""Compile time of `ad.grad` against the size of the function (issue #8: it must grow close to linearly).

Usage:
    python benchmarks/compile_time.py                # 100, 300, 1000, 3000 statements
    python benchmarks/compile_time.py --sizes 100,1000 --repeats 3

Each function is straight-line NumPy code of N statements (elementwise operations, reductions, products,
item reads and stores), written to a temporary module so the compiler can read its source. The time is the
median over `--repeats` compilations of a fresh copy of the function (the cache is cleared before each),
compiled for array arguments (the first call), and is printed with the time per statement: wall-clock
seconds, and the process's CPU seconds (the same on a quiet machine; on a busy one the CPU time is what the
compiler itself cost).
"""
import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
import ad_compiler as ad  # noqa: E402


def program(n, seed=0):
    """Source of `def f(x, w):` with n statements, each reading earlier values."""
    rng = np.random.default_rng(seed)
    lines = ["import numpy as np", "", "", "def f(x, w):", "    v0 = x * w", "    y = x.copy()"]
    names = ["v0"]
    for i in range(1, n):
        a = names[rng.integers(max(0, len(names) - 20), len(names))]
        b = names[rng.integers(max(0, len(names) - 20), len(names))]
        k = rng.integers(8)
        if k == 0:
            expr = f"np.sin({a}) * {b}"
        elif k == 1:
            expr = f"{a} + 0.5 * {b}"
        elif k == 2:
            expr = f"np.tanh({a} - {b})"
        elif k == 3:
            expr = f"{a} * np.sum({b}) * 0.1"
        elif k == 4:
            expr = f"np.exp(-{a} ** 2) + {b}"
        elif k == 5:
            expr = f"np.maximum({a}, {b})"
        elif k == 6:
            lines.append(f"    y[{i % 3}] = np.mean({a})")
            expr = f"{b} + y"
        else:
            expr = f"{a} @ np.ones((3, 3)) * 0.3 + {b}"
        lines.append(f"    v{i} = {expr}")
        names.append(f"v{i}")
    lines.append(f"    return np.sum({' + '.join(names[-10:])})")
    return "\n".join(lines) + "\n"


def load(source, tag):
    d = tempfile.mkdtemp()
    path = os.path.join(d, f"compile_time_{tag}.py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(f"compile_time_{tag}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def measure(n, repeats):
    source = program(n)
    x, w = np.linspace(0.1, 0.9, 3), np.linspace(-0.5, 0.5, 3)
    times, cpu = [], []
    for r in range(repeats):
        f = load(source, f"{n}_{r}")
        ad.clear_cache()
        t0, c0 = time.perf_counter(), time.process_time()
        g = ad.grad(f)
        with np.errstate(all="ignore"):  # (the random program overflows: its values do not matter here)
            g(x, w)  # the first call compiles the derivative for array arguments
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), statistics.median(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000,3000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'statements':>10}  {'seconds':>8}  {'ms/statement':>12}  {'CPU seconds':>11}  {'CPU ms/statement':>16}")
    results = {}
    for n in sizes:
        t, c = measure(n, args.repeats)
        results[n] = t
        print(f"{n:>10}  {t:8.3f}  {1000 * t / n:12.3f}  {c:11.3f}  {1000 * c / n:16.3f}", flush=True)
    return results


if __name__ == "__main__":
    main()
