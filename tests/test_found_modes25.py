"""Found in stop 25 by probing users' rules and markers (`ad.defvjp`, `ad.defjvp`, `ad.stop_gradient`,
`ad.no_grad`, `ad.checkpoint`) in every mode, nested, and the API's pytrees: each program gives the derivatives
central differences give, or a located refusal."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.rules import g
from fd import numeric_grad

import found_modes25_mod as mod

X2 = np.array([0.5, -1.0])


# -- m25-001: a rule's template read its globals as they were when it was registered: a global rebound
# before compiling (or after, in another module) gave the rule's adjoint the old value (WRONG gradient) --

W = np.array([[1.0, 2.0], [3.0, 4.0]])


def linear_model(x):
    return W @ x


@ad.defvjp(linear_model)
def linear_model_rule(x):
    bx = W.T @ g


def loss_same_module(x):
    return np.sum(linear_model(x) ** 2)


def loss_other_module(x):
    return np.sum(mod.model(x) ** 2)


def test_rule_global_rebound_before_compiling():
    global W
    saved = W
    try:
        W = W * 2.0  # (after the rule was registered, before the gradient is compiled)
        ad.clear_cache()
        assert np.allclose(ad.grad(loss_same_module)(X2), numeric_grad(loss_same_module, (X2,), 0))
    finally:
        W = saved


@pytest.mark.parametrize("make", [ad.grad, ad.hessian, lambda f: ad.jacrev(ad.grad(f))], ids=["grad", "hessian", "jacrev_grad"])
def test_rule_global_of_another_module_rebound_after_compiling(make):
    saved = mod.W
    try:
        d = make(loss_other_module)
        first = d(X2)
        mod.W = mod.W * 2.0  # (`W = W - lr * gW`: the derivative holds another module's global as it was)
        factor = 4.0  # (the loss is quadratic in W)
        assert np.allclose(d(X2), factor * first)
    finally:
        mod.W = saved


def make_scaled(scale):
    state = scale

    def scaled(x):
        return x * state

    @ad.defvjp(scaled)
    def scaled_rule(x):
        bx = g * state

    def set_state(v):
        nonlocal state
        state = v
    return scaled, set_state


SCALED, SET_STATE = make_scaled(2.0)


def loss_closure_rule(x):
    return np.sum(SCALED(x) ** 2)


def test_rule_closure_variable_changed():
    d = ad.grad(loss_closure_rule)
    try:
        assert np.allclose(d(X2), numeric_grad(loss_closure_rule, (X2,), 0))
        SET_STATE(6.0)
        assert np.allclose(d(X2), numeric_grad(loss_closure_rule, (X2,), 0))
    finally:
        SET_STATE(2.0)


# -- m25-002: a None leaf in a dict, list or tuple argument (JAX's empty subtree) crashed every reverse-mode
# gradient with a TypeError at `_ad.as_grad` (float(None)); its gradient is None, as a string's is --

def sum_of_w(p, x):
    return np.sum(p["w"] * x)


def sum_of_first(p, x):
    return np.sum(p[0] * x)


@pytest.mark.parametrize("f, p", [(sum_of_w, {"w": np.array([1.0, 2.0]), "z": None}),
                                  (sum_of_first, [np.array([1.0, 2.0]), None]),
                                  (sum_of_first, (np.array([1.0, 2.0]), None, "s"))], ids=["dict", "list", "tuple"])
def test_none_leaf_gradient(f, p):
    value, grads = ad.value_and_grad(f)(p, X2)
    assert value == f(p, X2)
    assert type(grads) is type(p)
    leaves = list(grads.values()) if isinstance(grads, dict) else list(grads)
    assert np.allclose(leaves[0], X2) and all(v is None for v in leaves[1:])
    assert np.allclose(ad.hvp(f)(p, X2, ad.tree_map(lambda v: v, p) if not isinstance(p, tuple) else
                                 (np.ones(2), None, None))[0 if not isinstance(p, dict) else "w"], 0.0)
