"""The optional peers of benchmarks/run.py: HIPS autograd, PyTorch eager, JAX eager and JAX jit, each with the
workloads written for it. A peer that cannot be imported raises Skip (the run notes it once); a workload
not written for a peer raises NotWritten (its row is left out, with a note).

Each builder takes a workload and returns (callable, compile seconds or None): the callable computes the
gradient(s) as NumPy values and is what gets timed; everything set up once (converting inputs, tracing,
compiling) happens in the builder. JAX jit's first call (tracing and XLA compilation) is its compile time.
The loops of the Euler integrator, the building simulation and the 1,000-step RNN are written for JAX as
`lax.fori_loop` / `lax.scan` (as a JAX user would: a Python loop would be unrolled into the program).
"""
from __future__ import annotations

import time

import numpy as np


class Skip(Exception):
    """A peer that is not available: the run notes it once and leaves out its rows."""


class NotWritten(Exception):
    """A workload that has not been written for this peer."""


def _losses_for(np, lax=None):  # noqa: N803 - deliberately shadows numpy with autograd.numpy / jax.numpy
    """The loss functions, written against a NumPy-like module (autograd.numpy, jax.numpy)."""

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

    def tiny(x, w):
        a = np.tanh(w * x + 0.5) * x + w
        b = np.sin(a * w) + a * x - 0.1
        c = np.exp(-b * b) * a + b
        d = np.tanh(c * w + b) - c * 0.5
        e = np.cos(d) * d + np.sqrt(c * c + 1.0)
        f = np.tanh(e * w + d) * e
        g = np.log(f * f + 1.0) + f * d
        h = np.tanh(g * w - f) + g * 0.25
        k = np.exp(h * -0.5) * h + x
        m = k * k * w + np.tanh(k)
        return np.sum(m * x)

    out = {"poly": poly, "net": net, "net3": net, "logreg": logreg, "rnn": rnn, "tiny": tiny, "bignet": net,
           "rnn1000": rnn}
    if lax is None:
        return out

    def rnn_scan(W, U, b, xs, h0):
        def step(h, x):
            return np.tanh(x @ W + h @ U + b), None
        h, _ = lax.scan(step, h0, xs)
        return np.sum(h ** 2)

    def euler(k, c, x0, v0):
        dt = 0.01

        def step(i, state):
            x, v = state
            a = -k * x - c * v
            return x + dt * v, v + dt * a
        x, v = lax.fori_loop(0, 1000, step, (x0, v0))
        return x * x + v * v

    def building(p, target):
        (tube_spacing, tube_diameter, tube_thickness, tube_resistivity,
         slab_temp, slab_area, slab_cp, slab_density, slab_thickness,
         fluid_flow, fluid_density, fluid_cp,
         tank_temp, tank_volume, tank_cp, tank_density, tank_loss,
         heater_power, heater_efficiency, setpoint,
         ambient_temp, slab_loss, dt, pump_power, pump_heat_fraction) = [p[i] for i in range(25)]
        slab_mass = slab_area * slab_thickness * slab_density
        tube_length = slab_area / tube_spacing
        r_in = 0.5 * tube_diameter
        wall = tube_resistivity * np.log((r_in + tube_thickness) / r_in) / (2.0 * np.pi * tube_length)
        mdot = fluid_flow * fluid_density
        capacity_rate = mdot * fluid_cp
        effectiveness = 1.0 - np.exp(-1.0 / (wall * capacity_rate))
        tank_mass = tank_volume * tank_density

        def step(i, state):
            tank_temp, slab_temp = state
            heat_in = pump_power * pump_heat_fraction + np.where(tank_temp < setpoint,
                                                                 heater_power * heater_efficiency, 0.0)
            tank_temp = tank_temp + heat_in * dt / (tank_mass * tank_cp)
            q = effectiveness * capacity_rate * (tank_temp - slab_temp)
            slab_temp = slab_temp + (q - slab_loss * slab_area * (slab_temp - ambient_temp)) * dt / \
                (slab_mass * slab_cp)
            tank_temp = tank_temp - (q + tank_loss * (tank_temp - ambient_temp)) * dt / (tank_mass * tank_cp)
            return tank_temp, slab_temp
        tank_temp, slab_temp = lax.fori_loop(0, 20, step, (tank_temp, slab_temp))
        return np.abs(slab_temp - target)

    out.update(rnn1000=rnn_scan, euler=euler, building=building)
    return out


def _loss(table, wl, peer):
    if wl.peers is not None and peer not in wl.peers:
        raise NotWritten(f"{wl.name} is not written for this peer")
    f = table.get(wl.name)
    if f is None:
        raise NotWritten(f"{wl.name} is not written for this peer")
    return f


def _argnums(wl):
    return wl.wrt_index if len(wl.wrt_index) > 1 else wl.wrt_index[0]


def build_autograd(wl):
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError as e:
        raise Skip(f"autograd not installed ({e})")
    g = autograd.grad(_loss(_losses_for(anp), wl, "autograd"), _argnums(wl))
    args = wl.args
    return (lambda: g(*args)), None


def build_torch(wl):
    try:
        import torch
    except ImportError as e:
        raise Skip(f"torch not installed ({e})")

    def net(w1, w2, x, y):
        return torch.sum((torch.clamp(x @ w1, min=0.0) @ w2 - y) ** 2)

    def rnn(W, U, b, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = torch.tanh(xs[t] @ W + h @ U + b)
        return torch.sum(h ** 2)

    table = {"poly": lambda x: x * x + 3 * x + 1, "net": net, "net3": net, "rnn": rnn,
             "logreg": lambda w, X, y: torch.mean(torch.log1p(torch.exp(-y * (X @ w)))),
             "tiny": _losses_for(torch)["tiny"], "rnn1000": rnn}
    f = _loss(table, wl, "torch")
    targs = []
    for i, a in enumerate(wl.args):
        t = torch.tensor(a, dtype=torch.float64)  # 0-d tensor for a Python float
        if i in wl.wrt_index:
            t.requires_grad_(True)
        targs.append(t)
    leaves = [targs[i] for i in wl.wrt_index]
    scalar = not isinstance(wl.args[wl.wrt_index[0]], np.ndarray)

    def call():
        for p in leaves:
            p.grad = None
        loss = f(*targs)
        loss.backward()
        if scalar:
            return leaves[0].grad.item()
        grads = tuple(p.grad.numpy() for p in leaves)
        return grads if len(grads) > 1 else grads[0]
    return call, None


def _jax():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
    except ImportError as e:
        raise Skip(f"jax not installed ({e})")
    return jax, jnp


def _jax_args(wl, jnp):
    # Arrays are moved to JAX once, outside the timed loop; Python floats stay floats.
    return tuple(a if isinstance(a, float) else jnp.asarray(a) for a in wl.args)


def build_jax_eager(wl):
    jax, jnp = _jax()
    f = _loss(_losses_for(jnp, jax.lax), wl, "jax")
    g = jax.grad(f, argnums=_argnums(wl))
    args = _jax_args(wl, jnp)
    return (lambda: jax.block_until_ready(g(*args))), None


def build_jax_jit(wl):
    jax, jnp = _jax()
    f = _loss(_losses_for(jnp, jax.lax), wl, "jax_jit")
    g = jax.jit(jax.grad(f, argnums=_argnums(wl)))
    args = _jax_args(wl, jnp)
    t0 = time.process_time()
    jax.block_until_ready(g(*args))  # tracing and XLA compilation: the compile time, not timed as a call
    compile_seconds = time.process_time() - t0
    return (lambda: jax.block_until_ready(g(*args))), compile_seconds
