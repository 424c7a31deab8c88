"""Functions for tests/test_nested_any_order.py (compositions of the API's transforms to order 4): each takes
a float or a float array and returns a number, with a loop, a branch, in-place updates, a callee, containers."""
import numpy as np

import ad_compiler as ad


def loop(x):
    s = x * 0.5
    for _ in range(3):
        s = s * np.cos(x) + 0.3 * x
    return np.sum(s)


def branch(x):
    if np.sum(x) > 0:
        y = np.sin(x) * x
    else:
        y = np.exp(x)
    return np.sum(y * y)


def in_place(x):
    y = np.zeros(2)
    y[0] = np.sum(np.sin(x))
    y[1] = y[0] * np.sum(x * x)
    y *= 1.5
    return y[1] + np.sum(np.cos(y))


def _helper(v, k):
    return np.tanh(v) * k + v ** 3


def callee(x):
    return np.sum(_helper(x, 2.0) * _helper(x * 0.5, 1.0))


def container(x):
    d = {"a": x, "b": [np.sin(x), x * x]}
    d["b"].append(np.exp(-x))
    t = 0.0
    for v in d["b"]:
        t = t + np.sum(v * d["a"])
    return t


def vector(x):
    return np.sin(x) * np.sum(x ** 2) + x


FUNCTIONS = [loop, branch, in_place, callee, container]


def tangent_of(f):
    jf = ad.jvp(f)

    def tangent(x, v):
        return jf(x, v)[1]
    return tangent


def squared_vjp_of(f):
    vf = ad.vjp(f)

    def squared_vjp(x, u):
        return np.sum(vf(x, u) ** 2)
    return squared_vjp


def squared_gradient_of(f):
    gf = ad.grad(f)

    def squared_gradient(x):
        return np.sum(gf(x) ** 2)
    return squared_gradient


def value_and_grad_aux_of(f):
    vg = ad.value_and_grad(f)

    def value_and_grad_aux(x):
        v, g = vg(x)
        return v + np.sum(g * g), g
    return value_and_grad_aux


def projected_hvp_of(f):
    hf = ad.hvp(f)

    def projected_hvp(x, v):
        return np.sum(hf(x, v) * np.cos(x))
    return projected_hvp


def complex_power(e):
    b = -1.5 + 0.1 * e  # (Python's power of a negative float is complex)
    c = b ** e
    return c.imag + 0.3 * c.real



def smooth(x):
    return np.sum(np.sin(x) * np.exp(x))


def quartic(x):
    return np.sum(x ** 4) * x[0]


def stored(x):
    y = np.zeros(2)
    y[0] = np.sum(x * x)
    y[1] = y[0] * x[1]
    return np.sum(y)


def two(x, y):
    return np.sum(np.sin(x) * y ** 2) * x[0]
