"""Fitting the frequency and the damping of an oscillator to noisy observations, with the gradient through
time of an explicit Runge-Kutta integration.

    x'' + 2 zeta omega x' + omega^2 x = 0

The integrator takes the right-hand side as a function value and passes the parameters on with `*args`,
as a scientist's integrator would; ad_compiler differentiates the 200 steps (the loss is the mean squared
error of the simulated positions), and scipy.optimize.minimize uses that exact gradient.
"""
import numpy as np
from scipy.optimize import minimize

import ad_compiler as ad


def oscillator(state, omega, zeta):
    x, v = state
    return np.array([v, -2.0 * zeta * omega * v - omega ** 2 * x])


def rk4_step(f, y, dt, *args):
    k1 = f(y, *args)
    k2 = f(y + 0.5 * dt * k1, *args)
    k3 = f(y + 0.5 * dt * k2, *args)
    k4 = f(y + dt * k3, *args)
    return y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def simulate(params, y0, dt, n_steps, rhs=oscillator):
    omega, zeta = params
    y = y0
    positions = []
    for _ in range(n_steps):
        y = rk4_step(rhs, y, dt, omega, zeta)
        positions.append(y[0])
    return np.array(positions)


def loss(params, y0, dt, observed):
    return np.mean((simulate(params, y0, dt, len(observed)) - observed) ** 2)


def make_data(true_params=(2.0, 0.1), n_steps=200, dt=0.05, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    y0 = np.array([1.0, 0.0])
    clean = simulate(np.array(true_params), y0, dt, n_steps)
    return y0, dt, clean + noise * rng.standard_normal(n_steps)


def main():
    y0, dt, observed = make_data()
    start = np.array([1.7, 0.3])  # omega, zeta
    value_and_grad = ad.value_and_grad(loss)
    result = minimize(lambda p: value_and_grad(p, y0, dt, observed), start, jac=True, method="L-BFGS-B",
                      bounds=[(0.1, 10.0), (0.0, 2.0)])
    omega, zeta = result.x
    print(f"loss: start {loss(start, y0, dt, observed):.5f}, fitted {result.fun:.6f} ({result.nit} iterations)")
    print(f"omega = {omega:.4f}  (true 2.0)")
    print(f"zeta = {zeta:.4f}  (true 0.1)")
    return result


if __name__ == "__main__":
    main()
