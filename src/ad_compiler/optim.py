"""Optimizers for parameters held in a tree (nested lists, tuples and dicts of arrays and numbers).

Each optimizer is an object with two methods; its state is a plain value you keep:

    opt = ad.optim.adam(lr=1e-3)
    state = opt.init(params)
    for batch in batches:
        grads = dloss(params, *batch)                  # in the structure of params
        params, state = opt.step(params, grads, state)

`step` returns new parameters (arrays are not changed in place) and the new state. The updates are the
plain NumPy lines below, applied to each floating-point leaf of the tree; other leaves (integers, strings,
None) are left as they are. A Python float parameter stays a Python float.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .trees import tree_map

__all__ = ["sgd", "momentum", "adam", "SGD", "Momentum", "Adam", "AdamState"]


def _is_float(leaf):
    return isinstance(leaf, (float, np.floating)) or isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f"


def _zeros(leaf):
    return np.zeros_like(leaf) if isinstance(leaf, np.ndarray) else 0.0


def _updated(update):
    """`update(p, *others)` on float leaves, keeping a float's type; other leaves unchanged."""
    def apply(p, *others):
        if not _is_float(p) or any(o is None for o in others):  # (None: the gradient of a flag or a name)
            return p
        new = update(p, *others)
        return type(p)(new) if not isinstance(p, np.ndarray) else new
    return apply


class SGD:
    """Gradient descent: `p = p - lr * g`. Its state is empty (`()`)."""

    def __init__(self, lr: float = 1e-2):
        self.lr = lr

    def init(self, params: Any) -> tuple:
        return ()

    def step(self, params: Any, grads: Any, state: tuple = ()) -> tuple[Any, tuple]:
        lr = self.lr
        return tree_map(_updated(lambda p, g: p - lr * g), params, grads), state


class Momentum:
    """Gradient descent with momentum (heavy ball, as `torch.optim.SGD(momentum=beta)`):

        v = beta * v + g
        p = p - lr * v

    Its state is the tree of velocities `v`, zeros at first.
    """

    def __init__(self, lr: float = 1e-2, beta: float = 0.9):
        self.lr, self.beta = lr, beta

    def init(self, params: Any) -> Any:
        return tree_map(_zeros, params)

    def step(self, params: Any, grads: Any, state: Any) -> tuple[Any, Any]:
        lr, beta = self.lr, self.beta
        velocity = tree_map(_updated(lambda v, g: beta * v + g), state, grads)
        return tree_map(_updated(lambda p, v: p - lr * v), params, velocity), velocity


class AdamState(NamedTuple):
    """Adam's state: the number of steps taken, and the moving averages of the gradients and of their
    squares (trees in the structure of the parameters)."""
    t: int
    m: Any
    v: Any


class Adam:
    """Adam (Kingma and Ba, "Adam: a method for stochastic optimization", 2015, Algorithm 1):

        t = t + 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps

    def init(self, params: Any) -> AdamState:
        return AdamState(0, tree_map(_zeros, params), tree_map(_zeros, params))

    def step(self, params: Any, grads: Any, state: AdamState) -> tuple[Any, AdamState]:
        lr, b1, b2, eps = self.lr, self.b1, self.b2, self.eps
        t = state.t + 1
        m = tree_map(_updated(lambda m, g: b1 * m + (1 - b1) * g), state.m, grads)
        v = tree_map(_updated(lambda v, g: b2 * v + (1 - b2) * g ** 2), state.v, grads)

        def update(p, m, v):
            m_hat = m / (1 - b1 ** t)
            v_hat = v / (1 - b2 ** t)
            return p - lr * m_hat / (np.sqrt(v_hat) + eps)

        return tree_map(_updated(update), params, m, v), AdamState(t, m, v)


def sgd(lr: float = 1e-2) -> SGD:
    """Gradient descent with step size `lr`."""
    return SGD(lr)


def momentum(lr: float = 1e-2, beta: float = 0.9) -> Momentum:
    """Gradient descent with momentum `beta`."""
    return Momentum(lr, beta)


def adam(lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Adam:
    """Adam with step size `lr`, moment decay rates `b1`, `b2` and `eps` added to the denominator."""
    return Adam(lr, b1, b2, eps)
