"""Found in stop 25 by probing users' rules and markers (`ad.defvjp`, `ad.defjvp`, `ad.stop_gradient`,
`ad.no_grad`, `ad.checkpoint`) in every mode, nested, and the API's pytrees: each program gives the derivatives
central differences give, or a located refusal."""
import functools
import re

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


# -- m25-003: a user's rule giving an adjoint of another shape than its parameter's (`bx = np.sum(g) * 3.0`
# for an array x) was broadcast to x's shape at the boundary: a WRONG gradient (or a NumPy ValueError for
# another length); now a located ADError naming the rule and the parameter, as JAX checks a custom_vjp --

def triple(x):
    return x * 3.0


@ad.defvjp(triple)
def triple_rule_summed(x):
    bx = np.sum(g) * 3.0


def triple_squares(x):
    return np.sum(triple(x) ** 2)


def test_rule_adjoint_of_another_shape_is_refused():
    with pytest.raises(ad.ADError, match=r"triple_rule_summed.*`bx` the shape \(\).*shape \(2,\)") as info:
        ad.grad(triple_squares)(X2)
    assert "return np.sum(triple(x) ** 2)" in str(info.value)  # (located at the call of the function)
    with pytest.raises(ad.ADError, match="triple_rule_summed"):
        ad.vjp(triple_squares)(X2, 1.0)


def scaled_sum(x, s):
    return np.sum(x) * s


@ad.defvjp(scaled_sum)
def scaled_sum_rule(x, s):
    bx = g * s * np.ones_like(x)
    bs = g * np.sum(x)


def uses_scaled_sum(x, s):
    return scaled_sum(np.sin(x), s) ** 2


def test_rule_adjoints_of_the_right_shapes_in_every_mode():
    s = 0.7
    for wrt in (0, 1):
        expected = numeric_grad(uses_scaled_sum, (X2, s), wrt)
        assert np.allclose(ad.grad(uses_scaled_sum, wrt=wrt)(X2, s), expected)
    hessian = ad.jacrev(ad.grad(uses_scaled_sum))(X2, s)  # (reverse over reverse through the checked adjoint)
    eps = 1e-5
    fd = np.array([(numeric_grad(uses_scaled_sum, (X2 + eps * e, s), 0) -
                    numeric_grad(uses_scaled_sum, (X2 - eps * e, s), 0)) / (2 * eps) for e in np.eye(2)]).T
    assert np.allclose(hessian, fd, atol=1e-5)


# -- m25-004: a Jacobian of mode "auto" (`ad.jacobian(g)`) given to another transform (ad.jvp, ad.jacobian,
# ad.hessian...) was refused ("differentiates Python functions defined with `def`; got <_Auto object>"), where
# ad.jacfwd(g) / ad.jacrev(g) were differentiated: it is now differentiated as its forward-mode Jacobian --

def sine_cubes(x):
    return np.sum(np.sin(x) ** 3)


def third_derivative_of_sine_cubes(x):
    s, c = np.sin(x), np.cos(x)
    return 6 * c ** 3 - 21 * s ** 2 * c


def test_derivative_of_an_auto_jacobian():
    x, v = np.array([0.3, -0.5, 1.2]), np.array([1.0, 0.5, -0.3])
    third = third_derivative_of_sine_cubes(x)
    jac = ad.jacobian(ad.grad(sine_cubes))
    assert np.allclose(ad.jvp(jac)(x, v)[1], np.diag(third * v))
    expected = np.zeros((3, 3, 3))
    expected[np.arange(3), np.arange(3), np.arange(3)] = third
    assert np.allclose(ad.jacobian(jac)(x), expected)


# -- m25-005: a function with a user's reverse-mode rule only (`@ad.defvjp`, no `@ad.defjvp`) had its
# gradient, but ad.hvp / ad.hessian / ad.jvp(ad.grad(f)) were refused (forward mode over the gradient and over f
# both need the missing forward rule), where ad.jacrev(ad.grad(f)) worked, as PyTorch's double backward does: the
# tangent of the gradient along t is now its vjp with seed t (the same: the Hessian is symmetric), only where the
# tangent is taken with respect to the gradient's own arguments; a mixed partial H_xw v is the vjp of grad_w
# with respect to x --

def softplus_by_rule(x):
    return np.log1p(np.exp(x))


@ad.defvjp(softplus_by_rule)
def softplus_reverse_only(x):
    bx = g / (1.0 + np.exp(-x))


def softplus_loss(x, w):
    return np.sum(softplus_by_rule(x * w) ** 2) + np.sum(x ** 2 * w)


def softplus_loss_hessian(x, w):
    z = x * w
    s = 1.0 / (1.0 + np.exp(-z))
    return np.diag(2.0 * w * w * (s * s + np.log1p(np.exp(z)) * s * (1.0 - s)) + 2.0 * w)


def test_second_order_of_a_reverse_only_rule():
    x, w, v = np.array([0.3, -0.5, 1.2]), np.array([0.7, -1.1, 0.4]), np.array([0.2, 1.0, -0.5])
    expected = softplus_loss_hessian(x, w)
    assert np.allclose(ad.hvp(softplus_loss)(x, w, v), expected @ v)
    assert np.allclose(ad.hessian(softplus_loss)(x, w), expected)
    value, tangent = ad.jvp(ad.grad(softplus_loss))(x, w, v)
    assert np.allclose(value, ad.grad(softplus_loss)(x, w)) and np.allclose(tangent, expected @ v)
    # a mixed partial, H_xw v: the vjp of grad_w with respect to x (H_xw = H_wx^T)
    z = x * w
    s = 1.0 / (1.0 + np.exp(-z))
    mixed = 2.0 * (s * s * z + np.log1p(np.exp(z)) * s * (1.0 - s) * z + np.log1p(np.exp(z)) * s) + 2.0 * x
    assert np.allclose(ad.jvp(ad.grad(softplus_loss, wrt=0), wrt=1)(x, w, v)[1], mixed * v)
    blocks = ad.hessian(softplus_loss, wrt=(0, 1))(x, w)
    assert np.allclose(blocks[0][1], np.diag(mixed)) and np.allclose(blocks[1][0], np.diag(mixed))


# -- m25-006: a function with a user's rule that changes its argument in place (`x *= 2.0`, `xs.append(v)`):
# the derivative calls it as it is and took its rule for all it does, so the caller's array changed with no
# derivative (a WRONG gradient: [3.8, -1, 9.2] for [4.4, -2, 11.6]), or a list grown under its adjoint crashed
# (`zip() argument 2 is shorter`); now a located refusal naming the function's line --

def doubled_in_place(x):
    x *= 2.0
    return x


@ad.defvjp(doubled_in_place)
def doubled_in_place_rule(x):
    bx = 2.0 * g


def uses_doubled_in_place(x):
    y = x * 1.0
    z = doubled_in_place(y)
    return np.sum(y * z) + np.sum(z)


def grows_its_list(xs):
    xs.append(xs[0] * 2.0)
    return xs[0] * 3.0


@ad.defvjp(grows_its_list)
def grows_its_list_rule(xs):
    bxs = [g * 3.0]


def uses_grows_its_list(x):
    items = [x]
    r = grows_its_list(items)
    return np.sum(r) + np.sum(items[1] * x)


@pytest.mark.parametrize("f, line", [(uses_doubled_in_place, "x *= 2.0"), (uses_grows_its_list, "xs.append")],
                         ids=["array", "list"])
def test_rule_function_changing_its_argument_is_refused(f, line):
    for make in (ad.grad, ad.jvp):
        with pytest.raises(ad.UnsupportedError, match=f"which has a derivative rule, changes an argument.*{re.escape(line)}"):
            d = make(f)
            d(X2) if make is ad.grad else d(X2, X2)


# -- m25-007: a rule registered for a method (`@ad.defvjp(Act.soft)`) was not found for the calls that use it,
# `A.soft(x)` of a global object, `a.soft(x)` of an argument or of an object made in the function: "no derivative
# is known for `A.soft`" (the rule exists); now bound with the receiver as the rule's `self` --

class Act:
    def __init__(self, s):
        self.s = s

    def soft(self, x):
        return np.log1p(np.exp(x * self.s))


@ad.defvjp(Act.soft)
def act_soft_rule(self, x):
    bx = g * self.s / (1.0 + np.exp(-x * self.s))


ACT = Act(1.5)


def soft_of_global_object(x):
    return np.sum(ACT.soft(x) ** 2)


def soft_of_argument(x, a):
    return np.sum(a.soft(x) ** 2)


def soft_of_local_object(x, s):
    return np.sum(Act(s).soft(x) ** 2)


def test_rule_of_a_method():
    x = np.array([0.3, -0.55, 1.2])
    for f, args in ((soft_of_global_object, (x,)), (soft_of_argument, (x, ACT)), (soft_of_local_object, (x, 1.5))):
        assert np.allclose(ad.grad(f)(*args), numeric_grad(f, args, 0))
    with pytest.raises(ad.ADError, match="act_soft_rule` has no derivative with respect to its argument `self`"):
        ad.grad(soft_of_local_object, wrt=1)(x, 1.5)  # (the rule gives none for the object: refused)


# -- m25-008: `ad.stop_gradient(...)` and `with ad.no_grad():` made jit=True refuse the derivative (the marker
# was a Python call Numba cannot compile, the block a context manager it does not support); the marker also
# made its value "maybe complex" (an unknown library function): `np.real(...)` and `_ad.grad_seed(out)` in the
# generated code. Numba's code now takes the marker's argument itself and prints the block's statements --

def markers_everywhere(x):
    with ad.no_grad():
        m = x * x
    return np.sum(ad.stop_gradient(x) * m * x)


def test_markers_under_jit():
    x = np.array([0.3, -0.5, 1.2])
    expected = x ** 3
    assert np.allclose(ad.grad(markers_everywhere)(x), expected)
    assert "np.real" not in ad.grad(markers_everywhere).source
    pytest.importorskip("numba")
    assert np.allclose(ad.grad(markers_everywhere, jit=True)(x), expected)


# -- m25-009: a tangent None (no tangent: PyTorch's habit; JAX's None is an empty tree) gave NaN for an array
# argument (`np.array(None, dtype=float)`: ad.jvp's tangent and ad.hvp's result all NaN) and a TypeError for a
# number or an int leaf of a dict; it is now a zero tangent, as an object's attributes left out are --

def sine_times(x, y):
    return np.sum(np.sin(x) * y)


def weighted_leaves(p):
    return p["a"] ** 2 * p["n"] + np.sum(p["i"] * 1.5)


def test_tangent_none_is_zero():
    x = np.array([0.3, -0.5, 1.2])
    assert ad.jvp(sine_times)(x, 2.0, None)[1] == 0.0
    assert np.array_equal(ad.hvp(sine_times)(x, 2.0, None), np.zeros(3))
    assert np.isclose(ad.jvp(sine_times, wrt=(0, 1))(x, 2.0, (None, 1.0))[1], np.sum(np.sin(x)))
    p = {"a": 1.5, "n": 3, "i": np.array([1, 2])}
    assert np.isclose(ad.jvp(weighted_leaves)(p, {"a": 1.0, "n": None, "i": None})[1], 9.0)


# -- m25-010: a Python float seed for a vjp of a function returning a list, tuple or dict crashed in the
# derivative (`TypeError: 'float' object is not subscriptable`: vjp_seed's fast path let it through); it is now
# the located structure error a numpy number gets --

def sine_and_sum(x):
    return [np.sin(x), np.sum(x)]


def sine_and_sum_dict(x):
    return {"a": np.sin(x), "b": np.sum(x)}


@pytest.mark.parametrize("f", [sine_and_sum, sine_and_sum_dict], ids=["list", "dict"])
def test_float_seed_for_a_container_output(f):
    with pytest.raises(ad.NonScalarOutputError, match="the seed must be a"):
        ad.vjp(f)(X2, 1.0)


# -- m25-011: a module-level `functools.partial` of a library function or of a function with a rule
# (`P = functools.partial(np.multiply, W)`, `S = functools.partial(scaled, a=2.0)`) was refused where it is
# called ("no derivative is known for `P` (partial)"), though the same partial made in the function, or of a
# plain function of the user's, was differentiated: the call is now the function's, with the stored arguments --

W3 = np.array([1.0, 2.0, -1.0])
TIMES_W3 = functools.partial(np.multiply, W3)
SCALED_SUM_TWICE = functools.partial(scaled_sum, s=2.0)


def squares_of_partial(x):
    return np.sum(TIMES_W3(x) ** 2)


def partial_with_a_rule(x):
    return SCALED_SUM_TWICE(np.sin(x)) ** 2


def test_global_partial_of_a_function_with_a_rule():
    x = np.array([0.3, -0.5, 1.2])
    for f in (squares_of_partial, partial_with_a_rule):
        assert np.allclose(ad.grad(f)(x), numeric_grad(f, (x,), 0))
    assert np.isclose(ad.jvp(squares_of_partial)(x, W3)[1], numeric_grad(squares_of_partial, (x,), 0) @ W3)


# -- m25-012: `@ad.checkpoint` on a method, called on a module-level object (`NET.step(x)`), was refused ("no
# derivative is known for `NET.step`"): it is now the checkpointed function called with the object first (forward
# mode inlines it). On an object made in the function or passed in it stays refused (test_found4 004) --

class CheckpointedLayer:
    def __init__(self, W):
        self.W = W

    @ad.checkpoint
    def step(self, h):
        return np.tanh(h @ self.W)


LAYER = CheckpointedLayer(np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [0.3, 0.2, 0.1]]))


def two_checkpointed_steps(x):
    return np.sum(LAYER.step(LAYER.step(x)) ** 2)


def test_checkpointed_method_of_a_global_object():
    x = np.array([0.3, -0.5, 1.2])
    expected = numeric_grad(two_checkpointed_steps, (x,), 0)
    assert np.allclose(ad.grad(two_checkpointed_steps)(x), expected)
    assert np.isclose(ad.jvp(two_checkpointed_steps)(x, W3)[1], expected @ W3)


# -- m25-013: `ad.jacobian(f)` (mode "auto") chose forward mode for fewer inputs than outputs and refused a function
# with a reverse-only rule, where `ad.jacrev(f)` gives the Jacobian: it now falls back to reverse mode when forward
# mode refuses at compile time --

def two_softplus_blocks(x):
    return np.concatenate([softplus_by_rule(x), softplus_by_rule(x) ** 2])


def test_auto_jacobian_falls_back_to_reverse_mode():
    x = np.array([0.3, -0.5])
    s, sig = np.log1p(np.exp(x)), 1.0 / (1.0 + np.exp(-x))
    expected = np.vstack([np.diag(sig), np.diag(2.0 * s * sig)])
    assert np.allclose(ad.jacobian(two_softplus_blocks)(x), expected)
    with pytest.raises(ad.ADError, match="softplus_reverse_only"):
        ad.jacfwd(two_softplus_blocks)(x)
