"""Two versions of ad_compiler against the hand-written gradients, call by call in one process.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/interleaved.py BASE_SRC lstm,tiny 60

BASE_SRC is the `src` directory of another checkout (`git archive <commit> src | tar -x -C /tmp/base`);
its package is copied under the name `ad_compiler_base` and imported beside this one. For each workload
the hand-written gradient, the base's and this checkout's are timed in turn (CPU time, blocks of at least
10 ms, the order reversed every other round), and the medians of the per-round ratios to the hand-written
gradient are printed. On a loaded machine, prefer several runs of this to one long one: the ratios of one
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
    sys.path.insert(0, where)
    import ad_compiler_base  # (its imports are relative: it runs as a package of its own)
    return ad_compiler_base


def main(base_src, names, rounds):
    import ad_compiler as new_ad
    import workloads as W

    base_ad = load_base(base_src)
    for wl in W.make_workloads(names.split(",")):
        wrt = tuple(wl.wrt_names) if len(wl.wrt_names) > 1 else wl.wrt_names[0]
        fs = {"hand": wl.hand, "base": base_ad.grad(wl.loss, wrt=wrt), "this": new_ad.grad(wl.loss, wrt=wrt)}
        for f in fs.values():
            f(*wl.args)
        n = 1
        while True:
            t0 = time.process_time()
            for _ in range(n):
                wl.hand(*wl.args)
            if time.process_time() - t0 > 0.01:
                break
            n *= 2
        times = {k: [] for k in fs}
        for r in range(rounds):
            for k in list(fs) if r % 2 == 0 else list(fs)[::-1]:
                t0 = time.process_time()
                for _ in range(n):
                    fs[k](*wl.args)
                times[k].append((time.process_time() - t0) / n)
        hand = times["hand"]
        ratios = {k: round(statistics.median(a / h for a, h in zip(v, hand)), 3) for k, v in times.items() if k != "hand"}
        print(wl.name, f"hand {statistics.median(hand) * 1e6:.1f} us", ratios, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
