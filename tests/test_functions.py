"""Whole programs: user functions, recursion, closures, methods, containers and custom rules."""
import functools
import math

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.rules import g
from fd import check_grad, numeric_grad
from helpers_pkg.layers import dense, scaled

rng = np.random.default_rng(11)


def A(*shape):
    return rng.standard_normal(shape)


# -- calls to user functions ---------------------------------------------------------------------------
def linear(x, w, b=0.0):
    return x @ w + b


def relu(h):
    return np.maximum(h, 0.0)


def mse(pred, y):
    return np.sum((pred - y) ** 2)


def two_layer(w1, w2, x, y):
    h = relu(linear(x, w1))
    return mse(linear(h, w2, b=0.5), y)


def test_helper_functions_positional_keyword_and_default_arguments():
    check_grad(two_layer, (A(4, 3), A(3, 2), A(5, 4), A(5, 2)), wrt=(0, 1))


def test_callees_are_inlined_with_comments_naming_their_lines():
    src = ad.grad(two_layer, wrt=(0, 1)).source
    first = linear.__code__.co_firstlineno
    assert src.removeprefix(ad.driver.GENERIC_HEADER).startswith("def dtwo_layer_dw1_w2(")  # (before any call: the header)
    assert f"# adjoint of: return x @ w + b   (line {first + 1}, in linear)" in src
    assert "in relu)" in src and "in mse)" in src
    assert "_fwd_" not in src and "def backward" not in src  # one flat function
    compile(src, "<test>", "exec")


def other_module(x, w):
    return np.sum(dense(x, w, b=0.1) + scaled(x @ w))


def test_callees_from_other_modules():
    check_grad(other_module, (A(3, 2), A(2, 2)), wrt=(0, 1))


def called_twice_in_a_loop(x):
    s = 0.0
    for i in range(3):
        s = s + mse(x * i, x) + mse(x, s * x)
    return s


def test_callee_called_several_times_and_in_loops():
    check_grad(called_twice_in_a_loop, (A(3) * 0.3,), wrt=0)


def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_direct_recursion(n):
    check_grad(power, (1.3, n), wrt=0)
    assert ad.grad(power)(1.3, 4) == pytest.approx(4 * 1.3**3)


def even(x, n):
    return x if n == 0 else odd(x, n - 1) * 2.0


def odd(x, n):
    return x * x if n == 0 else even(x, n - 1) + x


def test_mutual_recursion():
    check_grad(even, (0.7, 5), wrt=0)


# -- closures, nested functions, lambdas, partial -------------------------------------------------------------
OFFSET = 0.25


def make_loss(scale):
    def loss(x):
        return np.sum(np.sin(x) * scale) + OFFSET

    return loss


def test_closure_and_module_constant():
    check_grad(make_loss(3.0), (A(4),), wrt=0)


def nested_and_lambdas(x, w):
    f = lambda v: v * w + 1.0  # noqa: E731  (closes over the active `w`)

    def g2(a, b=2.0):
        c = a * b
        if np.sum(c) > 0:
            return np.sin(c)
        return c

    return np.sum(f(x) * g2(x)) + np.sum((lambda u: u * u)(x))


def test_nested_def_and_lambdas_closing_over_active_values():
    check_grad(nested_and_lambdas, (A(3), A(3)), wrt=(0, 1))


shifted = functools.partial(linear, b=3.0)


def uses_partial(x, w):
    return np.sum(shifted(x, w) ** 2)


def test_functools_partial_of_a_user_function():
    check_grad(uses_partial, (A(2, 3), A(3, 2)), wrt=(0, 1))


# -- containers ----------------------------------------------------------------------------------------------------
def dict_params(params, x):
    h = np.tanh(x @ params["w"] + params["b"])
    return np.sum(h**2)


def test_dict_argument_gradient_has_the_same_structure():
    params = {"w": A(3, 2), "b": A(2)}
    x = A(4, 3)
    grads = ad.grad(dict_params)(params, x)
    assert isinstance(grads, dict) and set(grads) == {"w", "b"}
    for k in params:
        def f(v, k=k):
            return dict_params({**params, k: v}, x)

        np.testing.assert_allclose(grads[k], numeric_grad(f, [params[k].copy()], 0), rtol=1e-5, atol=1e-7)


def list_params(params, x):
    w, b = params
    return np.sum(np.sin(x @ w + b)) + np.sum(params[0])


def test_list_and_tuple_arguments_and_unpacking():
    params = [A(3, 2), A(2)]
    x = A(4, 3)
    grads = ad.grad(list_params)(params, x)
    assert isinstance(grads, list) and [gr.shape for gr in grads] == [(3, 2), (2,)]
    as_tuple = ad.grad(list_params)(tuple(params), x)
    assert isinstance(as_tuple, tuple)
    for i in range(2):
        def f(v, i=i):
            p = list(params)
            p[i] = v
            return list_params(p, x)

        np.testing.assert_allclose(grads[i], numeric_grad(f, [params[i].copy()], 0), rtol=1e-5, atol=1e-7)


def nested_containers(params, x):
    return np.sum(params["layers"][0]["w"] * x) + params["scale"] * np.sum(x)


def test_nested_containers():
    params = {"layers": [{"w": A(3)}], "scale": 2.0}
    x = A(3)
    grads = ad.grad(nested_containers)(params, x)
    np.testing.assert_allclose(grads["layers"][0]["w"], x)
    assert grads["scale"] == pytest.approx(np.sum(x))


def returns_dict(x):
    return {"a": x * 2.0, "b": np.sin(x)}


def uses_returned_dict(x):
    d = returns_dict(x)
    pair = (d["a"], d["b"])
    return np.sum(pair[0] * pair[1])


def test_returned_dicts_and_tuples():
    check_grad(uses_returned_dict, (A(3),), wrt=0)


def comprehensions(ws, x):
    total = sum(np.sum(w * x) ** 2 for w in ws)
    squares = [v * v for v in x if v > -10.0]
    return total + sum(squares) + sum([math.sin(c) for c in [1.0, 2.0]])


def test_list_comprehensions_and_generator_expressions_in_sum():
    check_grad(comprehensions, (A(3, 2), A(2)), wrt=(0, 1))


def builtins_used(a, b, xs):
    n = len(xs)
    m = max(a, b) * min(a * 2.0, b) + abs(a - b) + float(a)
    for i, v in enumerate(xs):
        m = m + v * i / n
    if isinstance(n, int):
        m = m * 2.0
    return m


def test_builtins_sum_len_min_max_abs_float_isinstance():
    check_grad(builtins_used, (1.5, 0.7, A(3)), wrt=(0, 1, 2))


# -- methods and model objects ----------------------------------------------------------------------------------------
class Linear:
    def __init__(self, n_in, n_out):
        self.w = rng.standard_normal((n_in, n_out)) * 0.3
        self.b = np.zeros(n_out)

    def forward(self, x):
        return x @ self.w + self.b


class MLP:
    def __init__(self):
        self.l1 = Linear(3, 4)
        self.l2 = Linear(4, 1)
        self.scale = 2.0

    def forward(self, x):
        h = np.tanh(self.l1.forward(x))
        return self.l2.forward(h) * self.scale

    def loss(self, x, y):
        return np.mean((self.forward(x)[:, 0] - y) ** 2)


def test_grad_of_a_bound_method_and_wrt_self():
    model = MLP()
    x, y = A(5, 3), A(5)
    grads = ad.grad(model.loss, wrt="self")(x, y)
    assert set(grads) == {"l1", "l2", "scale"} and set(grads["l1"]) == {"w", "b"}
    for layer in ("l1", "l2"):
        for attr in ("w", "b"):
            obj = getattr(model, layer)

            def f(v):
                old = getattr(obj, attr)
                setattr(obj, attr, v)
                try:
                    return model.loss(x, y)
                finally:
                    setattr(obj, attr, old)

            expected = numeric_grad(f, [getattr(obj, attr).copy()], 0)
            np.testing.assert_allclose(grads[layer][attr], expected, rtol=1e-5, atol=1e-7)
    gx = ad.grad(model.loss)(x, y)  # positions count the method's own parameters
    np.testing.assert_allclose(gx, numeric_grad(lambda v: model.loss(v, y), [x], 0), rtol=1e-5, atol=1e-7)


def model_as_argument(model, x):
    return np.sum((x @ model.l1.w) ** 2) + model.scale


def test_gradient_with_respect_to_an_object_argument():
    model = MLP()
    x = A(2, 3)
    grads = ad.grad(model_as_argument)(model, x)
    np.testing.assert_allclose(grads["l1"]["w"], 2 * x.T @ (x @ model.l1.w))
    assert grads["scale"] == 1.0
    assert not grads["l2"]["w"].any()


# -- custom rules ----------------------------------------------------------------------------------------------------------
def softplus(x):
    return np.log1p(np.exp(x))


def uses_softplus(x):
    return np.sum(softplus(x) * x)


def test_custom_rule_overrides_a_user_function():
    calls = []

    def stable_softplus(x):
        calls.append(1)
        return np.logaddexp(0.0, x)

    @ad.defvjp(stable_softplus)
    def softplus_rule(x):
        bx = g / (1.0 + np.exp(-x))

    def uses(x):
        return np.sum(stable_softplus(x) * x)

    # a locally defined function is read from this file too
    check_grad(uses, (A(4),), wrt=0)
    assert "stable_softplus" in ad.grad(uses).source and "np.exp(-x)" in ad.grad(uses).source


def test_custom_rule_for_a_function_without_source():
    builtin = ad.rules.FUNCTIONS.get(np.fft.fft)

    @ad.defvjp(np.fft.fft)
    def fft_rule(a):
        ba = np.fft.fft(g)  # (the adjoint of a complex value is dL/du - i dL/dv: docs/rules.md)

    def spectrum_energy(x):
        return np.sum(np.abs(np.fft.fft(x)) ** 2)

    try:
        check_grad(spectrum_energy, (A(6),), wrt=0)
    finally:
        ad.rules.FUNCTIONS[np.fft.fft] = builtin  # (the built-in rule again, for the other tests)


def test_call_without_source_or_rule_names_the_line():
    def uses_unknown(x):
        y = np.sin(x)
        return np.sum(np.linalg.eigvals(np.outer(y, y)).real)

    with pytest.raises(ad.NoDerivativeError) as info:
        ad.grad(uses_unknown)(np.arange(3.0))
    assert "return np.sum(np.linalg.eigvals(np.outer(y, y)).real)" in str(info.value)
    assert "line" in str(info.value) and "defvjp" in str(info.value)


def loss_with_model_argument(model, x, y):
    return np.mean((model.forward(x)[:, 0] - y) ** 2)


def test_methods_of_an_object_passed_as_argument_compile_at_first_call():
    model = MLP()
    x, y = A(5, 3), A(5)
    g = ad.grad(loss_with_model_argument, wrt=(0, 1))
    grads, gx = g(model, x, y)
    assert "in forward)" in g.source  # the methods of the object passed in are inlined
    np.testing.assert_allclose(gx, numeric_grad(lambda v: loss_with_model_argument(model, v, y), [x], 0),
                               rtol=1e-5, atol=1e-7)

    def f(w):
        old = model.l2.w
        model.l2.w = w
        try:
            return loss_with_model_argument(model, x, y)
        finally:
            model.l2.w = old

    np.testing.assert_allclose(grads["l2"]["w"], numeric_grad(f, [model.l2.w.copy()], 0), rtol=1e-5, atol=1e-7)


def returns_pair(x):
    return np.sin(x), x * 2.0


def returns_mapping(x):
    return {"a": x * 3.0, "b": np.sum(x * x)}


def test_vjp_of_functions_returning_tuples_and_dicts():
    x = A(3)
    seeds = (A(3), A(3))
    got = ad.vjp(returns_pair)(x, seeds)
    np.testing.assert_allclose(got, np.cos(x) * seeds[0] + 2.0 * seeds[1])
    got = ad.vjp(returns_mapping)(x, {"a": seeds[0], "b": 0.5})
    np.testing.assert_allclose(got, 3.0 * seeds[0] + 0.5 * 2 * x)
    with pytest.raises(ad.ADError, match="same keys"):
        ad.vjp(returns_mapping)(x, {"a": seeds[0]})
