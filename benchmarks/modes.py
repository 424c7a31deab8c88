#!/usr/bin/env python
"""Forward mode and second order against their natural baselines, on the workloads of run.py.

    python benchmarks/modes.py            # a few seconds per workload
    python benchmarks/modes.py --quick

For each workload (same data as run.py), median per-call times in the same process:

- ``f``            the function itself (plain NumPy)
- ``jvp``          ad.jvp(f, wrt=first) in a random direction: ratio jvp / f (target: within 1.5x)
- ``grad``         ad.grad(f, wrt=first)
- ``hvp``          ad.hvp(f, wrt=first): a Hessian-vector product, forward over reverse: ratio hvp / grad
                   (target: within 3x)
- ``hvp (FD)``     two gradient calls (central differences of the gradient): what an HVP costs without AD
- ``jvp (hand)``   a forward derivative written by hand in NumPy (poly, net, logreg, rnn): the floor any
                   forward mode meets, since it repeats the function's matrix products on the tangent;
                   ratio jvp / jvp (hand)

Every result is checked first: jvp against finite differences of f, hvp against finite differences of the
gradient (rtol 1e-4). JAX's ``jvp`` / ``jax.jvp(jax.grad(f))`` (jit) and ``torch.func.jvp`` / ``jvp(grad(f))`` are timed too
(net and logreg) when they can be imported (skipped otherwise).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the workloads and the timing loop)

import ad_compiler as ad  # noqa: E402


def check(name, got, expected, rtol=1e-4):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected))))
    err = float(np.max(np.abs(got - expected))) if got.size else 0.0
    if err > rtol * scale:
        print(f"WARNING {name}: differs from finite differences by {err:.3g} (scale {scale:.3g})")


# Forward derivatives written by hand, in the direction v of the first argument: what a careful NumPy
# programmer writes (the tangent shares the function's intermediates; no product done twice on the value).
def _poly_jvp(x, v):
    return x * x + 3 * x + 1, (2 * x + 3) * v


def _net_jvp(w1, w2, x, y, v):
    t = x @ w1
    h = np.maximum(t, 0.0)
    r = h @ w2 - y
    dh = (x @ v) * (t > 0)
    return np.sum(r * r), 2.0 * np.sum(r * (dh @ w2))


def _logreg_jvp(w, X, y, v):
    e = np.exp(-y * (X @ w))
    s = y * e / (1.0 + e)
    return np.mean(np.log1p(e)), -(s @ (X @ v)) / X.shape[0]


def _rnn_jvp(W, U, b, xs, h0, v):
    xw, xv = xs @ W, xs @ v
    h, dh = h0, np.zeros_like(h0)
    for t in range(xs.shape[0]):
        h = np.tanh(xw[t] + h @ U + b)
        dh = (1.0 - h * h) * (xv[t] + dh @ U)
    return np.sum(h * h), 2.0 * np.sum(h * dh)


HAND_JVP = {"poly": _poly_jvp, "net": _net_jvp, "logreg": _logreg_jvp, "rnn": _rnn_jvp}


def methods_for(wl, rng):
    args = list(wl.args)
    i = wl.wrt_index[0]
    name = wl.wrt_names[0]
    x = args[i]
    v = rng.standard_normal(np.shape(x)) if isinstance(x, np.ndarray) else 1.0
    f = wl.loss

    def at(delta):
        a = list(args)
        a[i] = x + delta
        return a

    jvp = ad.jvp(f, wrt=name)
    grad = ad.grad(f, wrt=name)
    hvp = ad.hvp(f, wrt=name)
    eps = 1e-6
    check(f"{wl.name} jvp", jvp(*args, v)[1], (f(*at(eps * v)) - f(*at(-eps * v))) / (2 * eps))
    check(f"{wl.name} hvp", hvp(*args, v), (grad(*at(eps * v)) - grad(*at(-eps * v))) / (2 * eps))
    fns = {
        "f": lambda: f(*args),
        "jvp": lambda: jvp(*args, v),
        "grad": lambda: grad(*args),
        "hvp": lambda: hvp(*args, v),
        "hvp (FD)": lambda: (grad(*at(eps * v)), grad(*at(-eps * v))),
    }
    hand = HAND_JVP.get(wl.name)
    if hand is not None:
        check(f"{wl.name} jvp (hand)", hand(*args, v)[1], jvp(*args, v)[1], rtol=1e-9)
        fns["jvp (hand)"] = lambda: hand(*args, v)
    try:
        import jax
        import jax.numpy as jnp  # noqa: F401

        jax.config.update("jax_enable_x64", True)
        jargs = [jax.numpy.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
        jf = _jax_version(wl.name)
        if jf is not None:
            def jfun(xx):
                a = list(jargs)
                a[i] = xx
                return jf(*a)
            jv = jax.jit(lambda xx, vv: jax.jvp(jfun, (xx,), (vv,)))
            jh = jax.jit(lambda xx, vv: jax.jvp(jax.grad(jfun), (xx,), (vv,))[1])
            jx, jvv = jargs[i], jax.numpy.asarray(v)
            fns["JAX jit jvp"] = lambda: jv(jx, jvv)[1].block_until_ready()
            fns["JAX jit hvp"] = lambda: jh(jx, jvv).block_until_ready()
    except ImportError:
        pass
    try:
        import torch
        from torch.func import grad as tgrad, jvp as tjvp

        tf = _torch_version(wl.name)
        if tf is not None:
            targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]

            def tfun(xx):
                a = list(targs)
                a[i] = xx
                return tf(*a)
            tx, tv = targs[i], torch.from_numpy(np.asarray(v))
            fns["torch.func jvp"] = lambda: tjvp(tfun, (tx,), (tv,))[1]
            fns["torch.func hvp"] = lambda: tjvp(tgrad(tfun), (tx,), (tv,))[1]
    except ImportError:
        pass
    return fns


def _torch_version(name):
    import torch

    if name == "net":
        return lambda w1, w2, x, y: torch.sum((torch.clamp(x @ w1, min=0.0) @ w2 - y) ** 2)
    if name == "logreg":
        return lambda w, X, y: torch.mean(torch.log1p(torch.exp(-y * (X @ w))))
    return None


def _jax_version(name):
    import jax.numpy as jnp

    if name == "net":
        return lambda w1, w2, x, y: jnp.sum((jnp.maximum(x @ w1, 0.0) @ w2 - y) ** 2)
    if name == "logreg":
        return lambda w, X, y: jnp.mean(jnp.log1p(jnp.exp(-y * (X @ w))))
    return None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--workloads", default="poly,net,logreg,rnn")
    args = p.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 21)
    min_time = 0.01 if args.quick else 0.05
    rng = np.random.default_rng(1)
    wanted = args.workloads.split(",")
    print(f"median per-call times (us), {repeats} samples; ratios: jvp / f, jvp / jvp (hand), hvp / grad\n")
    print(f"{'workload':10s} {'f':>9s} {'jvp':>9s} {'ratio':>6s} {'hand':>9s} {'/hand':>6s} {'grad':>9s} "
          f"{'hvp':>9s} {'ratio':>6s} {'hvp(FD)':>9s}  peers")
    for wl in run.make_workloads(wanted):
        if wl.name not in wanted:
            continue
        fns = methods_for(wl, rng)
        res = run.measure_in_rounds(fns, repeats, min_time, rounds=3)
        t = {k: v[0] for k, v in res.items() if not isinstance(v[0], Exception)}
        for k, v in res.items():
            if isinstance(v[0], Exception):
                print(f"  {wl.name} {k}: n/a ({run.short_reason(v[0])})")
        us = {k: v * 1e6 for k, v in t.items()}
        peers = "  ".join(f"{k}: {us[k]:.1f} ({us[k] / us['f']:.2f}x f)" if "jvp" in k else
                          f"{k}: {us[k]:.1f} ({us[k] / us['grad']:.2f}x grad)" for k in us if k.startswith(("JAX", "torch")))
        hand_us = us.get("jvp (hand)", float("nan"))
        print(f"{wl.name:10s} {us.get('f', 0):9.1f} {us.get('jvp', 0):9.1f} {us.get('jvp', 0) / us['f']:6.2f} "
              f"{hand_us:9.1f} {us.get('jvp', 0) / hand_us:6.2f} {us.get('grad', 0):9.1f} {us.get('hvp', 0):9.1f} {us.get('hvp', 0) / us['grad']:6.2f} "
              f"{us.get('hvp (FD)', 0):9.1f}  {peers}")


if __name__ == "__main__":
    main()
