"""Two versions of ad_compiler against the hand-written gradients, call by call in one process.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/interleaved.py BASE_SRC lstm,tiny 60
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/interleaved.py BASE_SRC building,euler 60 --jit

BASE_SRC is the `src` directory of another checkout (`git archive <commit> src | tar -x -C /tmp/base`);
its package is copied under the name `ad_compiler_base` and imported beside this one. For each workload
the hand-written gradient, the base's and this checkout's are timed in turn (CPU time, blocks of at least
10 ms, the order reversed every other round), and the medians of the per-round ratios to the hand-written
gradient are printed (with --jit, both versions' derivatives are made with `jit=True`; the spread of the
per-round ratios is printed too). On a loaded machine, prefer several runs of this to one long one: the ratios of one
run moved by 3-8% between runs during the measurements in docs/performance.md.
"""
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def load_base(src):
    where = tempfile.mkdtemp(prefix="ad_compiler_base_")
    shutil.copytree(os.path.join(src, "ad_compiler"), os.path.join(where, "ad_compiler_base"))
    for folder, _, files in os.walk(os.path.join(where, "ad_compiler_base")):
        for name in files:  # (the package knows its own modules, rules among them, by name: its copy must too,
            if name.endswith(".py"):  # or it calls its own rules as a user's rules, `_ad.rule_adjoint`: tiny 1.7x)
                path = os.path.join(folder, name)
                with open(path) as fh:
                    text = fh.read()
                with open(path, "w") as fh:
                    text = text.replace('"ad_compiler"', '"ad_compiler_base"')
                    fh.write(text.replace('"ad_compiler.', '"ad_compiler_base.'))
    sys.path.insert(0, where)
    import ad_compiler_base  # (its imports are relative: it runs as a package of its own)
    return ad_compiler_base


def main(base_src, names, rounds, jit=False):
    import ad_compiler as new_ad
    import workloads as W

    base_ad = load_base(base_src)
    for wl in W.make_workloads(names.split(",")):
        wrt = tuple(wl.wrt_names) if len(wl.wrt_names) > 1 else wl.wrt_names[0]
        fs = {"hand": wl.hand, "base": base_ad.grad(wl.loss, wrt=wrt, jit=jit),
              "this": new_ad.grad(wl.loss, wrt=wrt, jit=jit)}
        for f in fs.values():
            f(*wl.args)
        counts = {}  # (each method's own count of calls per block: at least 10 ms, a jit derivative's too)
        for k, f in fs.items():
            n = 1
            while True:
                t0 = time.process_time()
                for _ in range(n):
                    f(*wl.args)
                if time.process_time() - t0 > 0.01:
                    break
                n *= 2
            counts[k] = n
        times = {k: [] for k in fs}
        for r in range(rounds):
            for k in list(fs) if r % 2 == 0 else list(fs)[::-1]:
                f, n, args = fs[k], counts[k], wl.args
                t0 = time.process_time()
                for _ in range(n):
                    f(*args)
                times[k].append((time.process_time() - t0) / n)
        hand = times["hand"]
        ratios = {k: sorted(a / h for a, h in zip(v, hand)) for k, v in times.items() if k != "hand"}
        print(wl.name, f"hand {statistics.median(hand) * 1e6:.1f} us",
              {k: round(statistics.median(r), 4) for k, r in ratios.items()},
              "quartiles", {k: (round(r[len(r) // 4], 4), round(r[3 * len(r) // 4], 4)) for k, r in ratios.items()},
              {k: f"{statistics.median(v) * 1e6:.3g} us" for k, v in times.items() if k != "hand"}, flush=True)


if __name__ == "__main__":
    argv = [a for a in sys.argv[1:] if a != "--jit"]
    main(argv[0], argv[1], int(argv[2]) if len(argv) > 2 else 40, jit="--jit" in sys.argv)
