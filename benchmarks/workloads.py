"""The benchmark workloads: loss functions in plain NumPy / Python (what ad_compiler differentiates), the
hand-written gradients they are compared with, and their data.

The hand-written gradients are what a competent user would write by hand: the usual two-layer backward
pass, the closed-form logistic gradient, backpropagation through time storing the hidden states, and for the
loops on Python floats (the Euler integrator, the building simulation) an adjoint sweep over the states
saved in lists. `check_hand_written` compares the new ones with central differences (run.py does, before
timing).
"""
from __future__ import annotations

import math

import os
import sys

import numpy as np


# -------------------------------------------------------------------------------------------------------------
# Loss functions
# -------------------------------------------------------------------------------------------------------------
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


def euler_loss(k, c, x0, v0):
    """A damped oscillator x'' = -k x - c x', 1,000 explicit Euler steps on Python floats."""
    x = x0
    v = v0
    dt = 0.01
    for i in range(1000):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def building_loss(p, target):
    """A building's thermal simulation: water heated in a tank (a heater with a thermostat, a pump) flows
    through tubing in a floor slab; 20 time steps; |T_slab - target|. `p` holds the 25 parameters."""
    (tube_spacing, tube_diameter, tube_thickness, tube_resistivity,
     slab_temp, slab_area, slab_cp, slab_density, slab_thickness,
     fluid_flow, fluid_density, fluid_cp,
     tank_temp, tank_volume, tank_cp, tank_density, tank_loss,
     heater_power, heater_efficiency, setpoint,
     ambient_temp, slab_loss, dt, pump_power, pump_heat_fraction) = p.tolist()
    slab_mass = slab_area * slab_thickness * slab_density
    tube_length = slab_area / tube_spacing
    r_in = 0.5 * tube_diameter
    wall = tube_resistivity * math.log((r_in + tube_thickness) / r_in) / (2.0 * math.pi * tube_length)
    mdot = fluid_flow * fluid_density
    capacity_rate = mdot * fluid_cp
    effectiveness = 1.0 - math.exp(-1.0 / (wall * capacity_rate))
    tank_mass = tank_volume * tank_density
    for step in range(20):
        # the heater (with a thermostat) and the pump warm the tank
        heat_in = pump_power * pump_heat_fraction
        if tank_temp < setpoint:
            heat_in = heat_in + heater_power * heater_efficiency
        tank_temp = tank_temp + heat_in * dt / (tank_mass * tank_cp)
        # the fluid gives heat to the slab through the tubing; the slab loses heat to the room
        q = effectiveness * capacity_rate * (tank_temp - slab_temp)
        slab_temp = slab_temp + (q - slab_loss * slab_area * (slab_temp - ambient_temp)) * dt / (slab_mass * slab_cp)
        # the fluid returns colder; the tank loses heat to the room
        tank_temp = tank_temp - (q + tank_loss * (tank_temp - ambient_temp)) * dt / (tank_mass * tank_cp)
    return abs(slab_temp - target)


def tiny_loss(x, w):
    """About 50 elementwise operations on 3-element arrays."""
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


# -------------------------------------------------------------------------------------------------------------
# Hand-written gradients (the baseline, ratio 1.00)
# -------------------------------------------------------------------------------------------------------------
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


def euler_grad_hand(k, c, x0, v0):
    dt = 0.01
    xs = [0.0] * 1000
    vs = [0.0] * 1000
    x, v = x0, v0
    for i in range(1000):
        xs[i] = x
        vs[i] = v
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    bx, bv = 2.0 * x, 2.0 * v
    bk = bc = 0.0
    for i in range(999, -1, -1):
        x, v = xs[i], vs[i]
        ba = dt * bv
        bv = bv + dt * bx - c * ba
        bx = bx - k * ba
        bk -= ba * x
        bc -= ba * v
    return bk, bc, bx, bv


def building_grad_hand(p, target):
    (tube_spacing, tube_diameter, tube_thickness, tube_resistivity,
     slab_temp, slab_area, slab_cp, slab_density, slab_thickness,
     fluid_flow, fluid_density, fluid_cp,
     tank_temp, tank_volume, tank_cp, tank_density, tank_loss,
     heater_power, heater_efficiency, setpoint,
     ambient_temp, slab_loss, dt, pump_power, pump_heat_fraction) = p.tolist()
    # forward, keeping what the adjoint reads
    slab_mass = slab_area * slab_thickness * slab_density
    tube_length = slab_area / tube_spacing
    r_in = 0.5 * tube_diameter
    ratio = (r_in + tube_thickness) / r_in
    log_ratio = math.log(ratio)
    two_pi_length = 2.0 * math.pi * tube_length
    wall = tube_resistivity * log_ratio / two_pi_length
    mdot = fluid_flow * fluid_density
    cap = mdot * fluid_cp
    u = -1.0 / (wall * cap)
    eu = math.exp(u)
    eff = 1.0 - eu
    tank_mass = tank_volume * tank_density
    ct = tank_mass * tank_cp
    cs = slab_mass * slab_cp
    heater = heater_power * heater_efficiency
    base_heat = pump_power * pump_heat_fraction
    on, T0, T1, S0 = [], [], [], []
    T, S = tank_temp, slab_temp
    for step in range(20):
        heating = T < setpoint
        heat_in = base_heat + heater if heating else base_heat
        t1 = T + heat_in * dt / ct
        q = eff * cap * (t1 - S)
        on.append(heating)
        T0.append(T)
        T1.append(t1)
        S0.append(S)
        S = S + (q - slab_loss * slab_area * (S - ambient_temp)) * dt / cs
        T = t1 - (q + tank_loss * (t1 - ambient_temp)) * dt / ct
    # adjoint
    diff = S - target
    bS = 1.0 if diff > 0 else (-1.0 if diff < 0 else 0.0)
    bT = 0.0
    bct = bcs = beff = bcap = bdt = 0.0
    btank_loss = bslab_loss = bslab_area = bamb = 0.0
    bbase = bheater = 0.0
    for step in range(19, -1, -1):
        t1, S, T = T1[step], S0[step], T0[step]
        q = eff * cap * (t1 - S)
        heat_in = base_heat + heater if on[step] else base_heat
        # T' = t1 - E dt / ct, E = q + tank_loss (t1 - amb)
        E = q + tank_loss * (t1 - ambient_temp)
        bt1 = bT
        bE = -bT * dt / ct
        bdt -= bT * E / ct
        bct += bT * E * dt / (ct * ct)
        bq = bE
        btank_loss += bE * (t1 - ambient_temp)
        bt1 += bE * tank_loss
        bamb -= bE * tank_loss
        # S' = S + F dt / cs, F = q - slab_loss slab_area (S - amb)
        F = q - slab_loss * slab_area * (S - ambient_temp)
        bF = bS * dt / cs
        bdt += bS * F / cs
        bcs -= bS * F * dt / (cs * cs)
        bq += bF
        bslab_loss -= bF * slab_area * (S - ambient_temp)
        bslab_area -= bF * slab_loss * (S - ambient_temp)
        bS = bS - bF * slab_loss * slab_area
        bamb += bF * slab_loss * slab_area
        # q = eff cap (t1 - S)
        beff += bq * cap * (t1 - S)
        bcap += bq * eff * (t1 - S)
        bt1 += bq * eff * cap
        bS -= bq * eff * cap
        # t1 = T + heat_in dt / ct
        bheat = bt1 * dt / ct
        bdt += bt1 * heat_in / ct
        bct -= bt1 * heat_in * dt / (ct * ct)
        bbase += bheat
        if on[step]:
            bheater += bheat
        bT = bt1
    g = [0.0] * 25
    g[4], g[12] = bS, bT
    g[23], g[24] = bbase * pump_heat_fraction, bbase * pump_power
    g[17], g[18] = bheater * heater_efficiency, bheater * heater_power
    g[22], g[16], g[21], g[20] = bdt, btank_loss, bslab_loss, bamb
    btank_mass = bct * tank_cp
    g[14] = bct * tank_mass
    bslab_mass = bcs * slab_cp
    g[6] = bcs * slab_mass
    g[13], g[15] = btank_mass * tank_density, btank_mass * tank_volume
    bu = -beff * eu
    bwall = bu / (wall * wall * cap)
    bcap += bu / (wall * cap * cap)
    bmdot = bcap * fluid_cp
    g[11] = bcap * mdot
    g[9], g[10] = bmdot * fluid_density, bmdot * fluid_flow
    g[3] = bwall * log_ratio / two_pi_length
    blog = bwall * tube_resistivity / two_pi_length
    btl = -bwall * wall / tube_length
    bratio = blog / ratio
    g[2] = bratio / r_in
    br_in = -bratio * tube_thickness / (r_in * r_in)
    g[1] = 0.5 * br_in
    bslab_area += btl / tube_spacing
    g[0] = -btl * tube_length / tube_spacing
    bslab_area += bslab_mass * slab_thickness * slab_density
    g[8] = bslab_mass * slab_area * slab_density
    g[7] = bslab_mass * slab_area * slab_thickness
    g[5] = bslab_area
    return np.array(g)


def tiny_grad_hand(x, w):
    # forward, keeping what the backward pass reads
    ta = np.tanh(w * x + 0.5)
    a = ta * x + w
    sb = a * w
    b = np.sin(sb) + a * x - 0.1
    eb = np.exp(-b * b)
    c = eb * a + b
    td = np.tanh(c * w + b)
    d = td - c * 0.5
    r = np.sqrt(c * c + 1.0)
    e = np.cos(d) * d + r
    tf = np.tanh(e * w + d)
    f = tf * e
    g = np.log(f * f + 1.0) + f * d
    th = np.tanh(g * w - f)
    h = th + g * 0.25
    ek = np.exp(h * -0.5)
    k = ek * h + x
    tm = np.tanh(k)
    # backward
    bx = k * k * w + tm  # sum(m * x): m's part of x's gradient
    bk = x * (2.0 * k * w + (1.0 - tm * tm))
    bw = x * k * k
    bx = bx + bk
    bh = bk * (ek + h * ek * -0.5)
    bg = bh * 0.25
    bs = bh * (1.0 - th * th)
    bg = bg + bs * w
    bw = bw + bs * g
    bf = -bs
    bl = bg / (f * f + 1.0)
    bf = bf + bl * 2.0 * f + bg * d
    bd = bg * f
    be = bf * tf
    btf = bf * e * (1.0 - tf * tf)
    be = be + btf * w
    bw = bw + btf * e
    bd = bd + btf
    bd = bd + be * (np.cos(d) - np.sin(d) * d)
    bc = be * c / r
    btd = bd * (1.0 - td * td)
    bc = bc + btd * w - bd * 0.5
    bw = bw + btd * c
    bb = btd + bc
    ba = bc * eb
    bb = bb + bc * a * eb * -2.0 * b
    bx = bx + bb * a
    ba = ba + bb * (np.cos(sb) * w + x)
    bw = bw + bb * np.cos(sb) * a
    bx = bx + ba * ta
    bw = bw + ba
    bt = ba * x * (1.0 - ta * ta)
    bw = bw + bt * x
    bx = bx + bt * w
    return bx, bw


# -------------------------------------------------------------------------------------------------------------
# Workloads
# -------------------------------------------------------------------------------------------------------------
class Workload:
    def __init__(self, name, description, loss, hand, args, wrt_names, wrt_index, repeats=None, peers=None):
        self.name = name
        self.description = description
        self.loss = loss
        self.hand = hand
        self.args = args              # tuple of NumPy arrays / floats
        self.wrt_names = wrt_names    # names of the differentiated parameters
        self.wrt_index = wrt_index    # their positions
        self.repeats = repeats        # at most this many samples per cell (slow workloads)
        self.peers = peers            # peer methods written for this workload (None: all of them)


BUILDING_PARAMETERS = np.array([
    0.5, 0.02, 0.002, 2.0,             # tube: spacing (m), diameter (m), wall thickness (m), resistivity
    18.0, 100.0, 880.0, 2400.0, 0.1,   # slab: temperature (C), area (m2), heat capacity, density, thickness
    0.0005, 1000.0, 4180.0,            # fluid: flow (m3/s), density, heat capacity
    60.0, 0.5, 4180.0, 1000.0, 5.0,    # tank: temperature, volume (m3), heat capacity, density, loss (W/K)
    3000.0, 0.95, 65.0,                # heater: power (W), efficiency, thermostat set point (C)
    16.0, 1.5, 60.0, 200.0, 0.3])      # room temperature, slab loss (W/m2K), time step (s), pump (W), its heat


ALL = ["poly", "net", "net3", "logreg", "rnn", "euler", "building", "tiny", "rnn1000", "bignet", "gp", "lstm"]


def make_workloads(names=None):
    rng = np.random.default_rng(0)
    wls = []
    wanted = set(names or ALL)

    def add(wl):
        if wl.name in wanted:
            wls.append(wl)

    add(Workload("poly", "f(x) = x*x + 3*x + 1 at x = 2.0 (Python float)", poly_loss, poly_grad_hand, (2.0,),
                 ("x",), (0,)))

    N, D_in, H, D_out = 64, 1000, 100, 10
    x = rng.standard_normal((N, D_in))
    y = rng.standard_normal((N, D_out))
    w1 = rng.standard_normal((D_in, H)) * np.sqrt(1.0 / D_in)
    w2 = rng.standard_normal((H, D_out)) * np.sqrt(1.0 / H)
    add(Workload("net", f"two-layer ReLU net, N={N}, D_in={D_in}, H={H}, D_out={D_out}, grad wrt (w1, w2)",
                 net_loss, net_grad_hand, (w1, w2, x, y), ("w1", "w2"), (0, 1)))
    add(Workload("net3", "the same network written as three helper functions (linear, relu, squared_error)",
                 net3_loss, net_grad_hand, (w1, w2, x, y), ("w1", "w2"), (0, 1)))

    N, D = 1000, 100
    X = rng.standard_normal((N, D))
    w_true = rng.standard_normal(D)
    yl = np.where(X @ w_true + 0.5 * rng.standard_normal(N) > 0, 1.0, -1.0)
    w = 0.1 * rng.standard_normal(D)
    add(Workload("logreg", f"logistic regression, N={N}, D={D}, grad wrt w", logreg_loss, logreg_grad_hand,
                 (w, X, yl), ("w",), (0,)))

    for name, T in (("rnn", 50), ("rnn1000", 1000)):
        B, Hh, I = 8, 32, 16
        r = np.random.default_rng(1 if T == 1000 else 2)
        xs = r.standard_normal((T, B, I))
        h0 = np.zeros((B, Hh))
        W = r.standard_normal((I, Hh)) * np.sqrt(1.0 / I)
        U = r.standard_normal((Hh, Hh)) * np.sqrt(1.0 / Hh)
        bb = 0.1 * r.standard_normal(Hh)
        add(Workload(name, f"tanh RNN, T={T}, batch {B}, hidden {Hh}, input {I}, grad wrt (W, U, b)", rnn_loss,
                     rnn_grad_hand, (W, U, bb, xs, h0), ("W", "U", "b"), (0, 1, 2)))

    add(Workload("euler", "damped oscillator, 1,000 explicit Euler steps on Python floats, grad wrt (k, c, x0, v0)",
                 euler_loss, euler_grad_hand, (2.0, 0.1, 1.0, 0.0), ("k", "c", "x0", "v0"), (0, 1, 2, 3),
                 peers=("jax", "jax_jit")))
    add(Workload("building", "building thermal simulation (tank, pump, tubing through a slab), 20 steps, "
                 "grad wrt its 25 parameters", building_loss, building_grad_hand, (BUILDING_PARAMETERS, 27.0),
                 ("p",), (0,), peers=("jax", "jax_jit")))
    r = np.random.default_rng(3)
    add(Workload("tiny", "about 50 elementwise operations on 3-element arrays, grad wrt (x, w)", tiny_loss,
                 tiny_grad_hand, (r.standard_normal(3), r.standard_normal(3)), ("x", "w"), (0, 1)))

    N, D_in, H, D_out = 4096, 2048, 2048, 10
    r = np.random.default_rng(4)
    x = r.standard_normal((N, D_in))
    y = r.standard_normal((N, D_out))
    w1 = r.standard_normal((D_in, H)) * np.sqrt(1.0 / D_in)
    w2 = r.standard_normal((H, D_out)) * np.sqrt(1.0 / H)
    add(Workload("bignet", f"the two-layer net at N={N}, D_in={D_in}, H={H}, D_out={D_out} (peak memory)",
                 net_loss, net_grad_hand, (w1, w2, x, y), ("w1", "w2"), (0, 1), repeats=3,
                 peers=("jax_jit",)))

    if wanted & {"gp", "lstm"}:  # issue 10: a Gaussian process and an LSTM (benchmarks/language.py; need SciPy)
        try:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import language
        except ImportError:
            return wls
        for wl in language.workloads(lambda *a, **k: Workload(*a, peers=(), **k)):
            add(wl)
    return wls


def check_hand_written(wl, rtol=1e-5):
    """None if the hand-written gradient of a workload on Python floats or small arrays agrees with central
    differences of its loss (the new workloads: euler, building, tiny), else what differs."""
    if wl.name not in ("euler", "building", "tiny"):
        return None
    got = wl.hand(*wl.args)
    got = got if isinstance(got, tuple) else (got,)
    for g, i in zip(got, wl.wrt_index):
        x = wl.args[i]
        flat = np.ravel(np.asarray(x, dtype=float))
        fd = np.zeros_like(flat)
        for j in range(flat.size):
            h = 1e-6 * max(1.0, abs(flat[j]))
            hi, lo = flat.copy(), flat.copy()
            hi[j] += h
            lo[j] -= h
            args_hi, args_lo = list(wl.args), list(wl.args)
            args_hi[i] = hi.reshape(np.shape(x)) if isinstance(x, np.ndarray) else float(hi[0])
            args_lo[i] = lo.reshape(np.shape(x)) if isinstance(x, np.ndarray) else float(lo[0])
            fd[j] = (wl.loss(*args_hi) - wl.loss(*args_lo)) / (2 * h)
        g = np.ravel(np.asarray(g, dtype=float))
        if not np.allclose(g, fd, rtol=rtol, atol=1e-7 * max(1.0, float(np.max(np.abs(fd))))):
            return f"{wl.name}: the hand-written gradient of argument {i} differs from finite differences by " \
                   f"{float(np.max(np.abs(g - fd))):.3g}"
    return None
