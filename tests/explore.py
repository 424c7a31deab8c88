"""Explore ad_compiler with many random programs (see tests/progen.py).

    python tests/explore.py --n 20000 --seed 1 [--jobs 2] [--out DIR] [--no-shrink] [--shrink-budget S]
    python tests/explore.py --mode jvp --n 3000 --seed 41      forward mode: ad.jvp's value and tangent
    python tests/explore.py --mode hvp --n 3000 --seed 41      the gradient, then ad.hvp (forward over reverse)
                                                               against central differences of the compiled
                                                               gradient in the direction v (two steps, kinks
                                                               discarded)
    python tests/explore.py --mode hessian ...                 ad.hessian(f) times v, and ad.grad of
                                                               <ad.grad(f)(...), v> (reverse over reverse),
                                                               against the same differences; --mode all: each
    python tests/explore.py --mode vector ...                  f returns an array: ad.vjp, ad.jvp, ad.jacrev and
                                                               ad.jacfwd against a Jacobian of differences
                                                               (tests/progen_vector.py)
    python tests/explore.py --check FILE.py [FILE.py ...]      re-check saved programs (e.g. after a fix)
    python tests/explore.py --keep-refused "several arrays"    also write refused programs of that message
    python tests/explore.py --show 1 42                        print program 42 of seed 1 and its outcome
    python tests/explore.py --state 0 ...                      without the "state" constructs (tests/progen_state.py:
                                                               sharing, lazy iterators, module state...): the
                                                               programs of before them; --state 0.4: more of them
    python tests/explore.py --objects 0 ...                    without the "objects" constructs (tests/progen_objects.py:
                                                               objects holding containers, subclasses, properties,
                                                               dunders, NumPy's keywords); --objects 0.3: more
    python tests/explore.py --index 0.3 ...                    "index" constructs (tests/progen_index.py: repeated
                                                               indices, masks, view chains, the indexing functions; off
                                                               unless asked for)
    python tests/explore.py --flow 0.3 ...                     more "flow" constructs (tests/progen_flow.py: adjoints
                                                               sharing a buffer across branches and loops); 0: off
    python tests/explore.py --lang 0.4 ...                     more "lang" constructs (tests/progen_lang.py: loop
                                                               `else`, lists reordered through two names, `del`,
                                                               starred unpacking, iterators); 0: off
    AD_CHECK_SHARING=1 python tests/explore.py ...     also check sharing.py's classes against the alias pass
                                                               (tests/sharing_check.py; $AD_CHECK_SHARING_OUT)
    python tests/explore.py --jit --n 300                      the gradients compiled with Numba (jit=True):
                                                               each right or refused at a line; a Numba error
                                                               that escapes is a crash

Prints the counts per outcome (passed / refused / wrong / crash / discarded), the most common refusal
messages, refusals that name no file and line, the discard reasons, and the wrong/crash categories with
one shrunk example each; writes every wrong/crash program, shrunk, to DIR (default: $TMPDIR/progen-failures).
"""
import argparse
import collections
import multiprocessing
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import progen  # noqa: E402

if os.environ.get("AD_CHECK_SHARING"):  # sharing.py checked against the alias pass (tests/sharing_check.py)
    import sharing_check  # noqa: E402

    sharing_check.install()

OUTCOMES = ["pass", "refused", "wrong", "crash", "discarded"]


def _work(job):
    seed, index, shrink, budget, timeout, mode = job
    try:
        return progen.run_one(seed, index, do_shrink=shrink, shrink_budget=budget, timeout=timeout, mode=mode)
    except BaseException as exc:  # noqa: BLE001  (a bug in the tester itself: report, do not stop the run)
        return {"outcome": "discarded", "kind": f"tester error {type(exc).__name__}: {exc}", "seed": seed,
                "index": index, "mode": mode}


def _pct(k, n):
    return f"{k:6d}  {100.0 * k / max(n, 1):5.1f}%"


def report(results, out_dir, elapsed, stream=sys.stdout, mode="grad", keep=None):
    n = len(results)
    counts = collections.Counter(r["outcome"] for r in results)
    p = lambda *a: print(*a, file=stream)  # noqa: E731
    p(f"\n{n} programs in {elapsed:.0f} s (mode {mode})")
    for o in OUTCOMES:
        p(f"  {o:10s} {_pct(counts.get(o, 0), n)}")

    refused = [r for r in results if r["outcome"] == "refused"]
    unlocated = [r for r in refused if not r.get("located")]
    p(f"\nrefusals without a file and line: {len(unlocated)} of {len(refused)}")
    groups = collections.Counter((r.get("stage"), progen.normalize_message(r.get("message"))) for r in unlocated)
    first = {}
    for r in unlocated:
        first.setdefault((r.get("stage"), progen.normalize_message(r.get("message"))), (r.get("seed"), r.get("index")))
    for (stage, msg), k in groups.most_common(10):
        seed, index = first[stage, msg]
        p(f"  {k:5d}  [{stage}] {msg}   e.g. --mode {mode} --show {seed} {index}")

    p("\nmost common refusals (first line of the message):")
    groups = collections.Counter(progen.normalize_message(r.get("message")) for r in refused)
    example = {}
    for r in refused:
        example.setdefault(progen.normalize_message(r.get("message")), r.get("message"))
    for msg, k in groups.most_common(15):
        p(f"  {k:5d}  {msg}")

    p("\ndiscard reasons:")
    groups = collections.Counter(r.get("kind") for r in results if r["outcome"] == "discarded")
    for kind, k in groups.most_common(12):
        p(f"  {k:5d}  {kind}")

    bad = [r for r in results if r["outcome"] in ("wrong", "crash")]
    if keep:  # refused programs whose message has this text, written too (unshrunk): examples of a refusal
        for r in refused:
            if keep in (r.get("message") or ""):
                bad.append(dict(r, source=r.get("source") or progen.generate(progen.program_seed(r["seed"], r["index"]))))
    if bad:
        os.makedirs(out_dir, exist_ok=True)
    cats = collections.defaultdict(list)
    for r in bad:
        name = f"{r['outcome']}_s{r['seed']}_{r['index']}.py"
        path = os.path.join(out_dir, name)
        with open(path, "w") as fh:
            fh.write(progen.describe(r))
        r["path"] = path
        cats[r.get("category", r["outcome"])].append(r)
    p(f"\nwrong/crash categories ({len(cats)}), most frequent first; programs written to {out_dir}/:")
    for cat, rs in sorted(cats.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        best = min(rs, key=lambda r: len(r.get("shrunk", r.get("source", ""))))
        p(f"  {len(rs):5d}  {cat}   e.g. {best['path']}")
    return counts


def run(args):
    jobs = [(args.seed, i, not args.no_shrink, args.shrink_budget, args.timeout, args.mode) for i in range(args.n)]
    results = []
    t0 = time.monotonic()
    last = t0
    import ad_compiler  # noqa: F401  (imported once, before the workers fork)
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with ctx.Pool(args.jobs, maxtasksperchild=200) as pool:
        it = pool.imap_unordered(_work, jobs, chunksize=1)  # (with chunks it has no next(timeout))
        while True:
            try:
                r = it.next(timeout=max(600.0, args.shrink_budget * 6 + args.timeout * 8))
            except StopIteration:
                break
            except multiprocessing.TimeoutError:
                print("no result for a long time: a worker is stuck; stopping", file=sys.stderr)
                pool.terminate()
                break
            results.append(r)
            if time.monotonic() - last > 15:
                last = time.monotonic()
                c = collections.Counter(x["outcome"] for x in results)
                print(f"  {len(results)}/{args.n}  " + "  ".join(f"{o}={c.get(o, 0)}" for o in OUTCOMES),
                      file=sys.stderr, flush=True)
    results.sort(key=lambda r: r["index"])
    report(results, args.out, time.monotonic() - t0, mode=args.mode, keep=args.keep_refused)
    if os.environ.get("AD_CHECK_SHARING"):
        print(f"sharing check: disagreements written to {sharing_check.output_path()} (one line per function)")
    return results


def check_files(paths, timeout, mode="grad"):
    import ad_compiler as ad
    for path in paths:
        with open(path) as fh:
            src = fh.read()
        res = progen.check_source(src, ad, timeout=timeout, mode=mode)
        extra = f"  expected {res.expected} got {res.got}" if res.expected is not None else ""
        print(f"{path}: {res.outcome} {res.kind or ''} {res.message or ''}{extra}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="number of programs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "progen-failures"),
                    help="directory for wrong/crash programs")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--shrink-budget", type=float, default=60.0, help="seconds per shrunk program")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per program run")
    ap.add_argument("--check", nargs="+", metavar="FILE", help="re-check saved programs")
    ap.add_argument("--show", nargs=2, type=int, metavar=("SEED", "INDEX"), help="print one program and its outcome")
    ap.add_argument("--mode", default="grad", choices=["grad", "jvp", "hvp", "hessian", "all", "vector"],
                    help="what is checked: ad.grad, ad.jvp, ad.hvp (after the gradient), ad.hessian and "
                    "grad of grad (after the gradient), or each")
    ap.add_argument("--keep-refused", metavar="TEXT", help="also write the refused programs whose message "
                    "contains TEXT to DIR (refused_s<seed>_<index>.py)")
    ap.add_argument("--jit", action="store_true", help="ad.grad(f, jit=True): compiled with Numba (docs/jit.md)")
    ap.add_argument("--state", type=float, metavar="RATE", help="chance that a statement of f is a 'state' "
                    f"construct (tests/progen_state.py; default {progen.FEATURES['state']}, 0: off)")
    ap.add_argument("--objects", type=float, metavar="RATE", help="chance that a statement of f is an "
                    "'objects' construct (tests/progen_objects.py: objects holding containers, classes, NumPy "
                    f"keywords; default {progen.FEATURES['objects']}, 0: off)")
    ap.add_argument("--flow", type=float, metavar="RATE", help="chance that a statement of f is a 'flow' "
                    f"construct (tests/progen_flow.py; default {progen.FEATURES['flow']}, 0: off)")
    ap.add_argument("--index", type=float, metavar="RATE", help="chance that a statement of f is an 'index' "
                    f"construct (tests/progen_index.py: NumPy's indexing semantics in stores and reads; default "
                    f"{progen.FEATURES['index']}: off; 0.3 is a useful rate)")
    ap.add_argument("--lang", type=float, metavar="RATE", help="chance that a statement of f is a 'lang' "
                    f"construct (tests/progen_lang.py: Python lang25 lifted; default {progen.FEATURES['lang']}, "
                    "0: off)")
    args = ap.parse_args(argv)
    if args.index is not None:
        progen.FEATURES["index"] = args.index
    if args.state is not None:
        progen.FEATURES["state"] = args.state  # (set before the workers fork)
    if args.objects is not None:
        progen.FEATURES["objects"] = args.objects  # (set before the workers fork)
    if args.flow is not None:
        progen.FEATURES["flow"] = args.flow
    if args.mode == "vector":
        progen.FEATURES["vector"] = True  # f returns an array (tests/progen_vector.py; set before the workers fork)
    if args.lang is not None:
        progen.FEATURES["lang"] = args.lang
    if args.jit:
        progen.GRAD_OPTIONS["jit"] = True  # (set before the workers fork)
    if args.check:
        check_files(args.check, args.timeout, args.mode)
        return 0
    if args.show:
        src = progen.generate(progen.program_seed(*args.show))
        print(src)
        import ad_compiler as ad
        res = progen.check_source(src, ad, timeout=args.timeout, mode=args.mode)
        print("#", dict(res))
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
