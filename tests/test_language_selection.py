"""Functions selected by a string: `{"relu": relu, "tanh": np.tanh}[name]`, `getattr(np, name)`,
`ACTIVATIONS[cfg["act"]]`, `relu if kind == "relu" else np.tanh`, with the string a constant, a default, a
module constant, or an argument (a derivative is compiled per value of a string argument: kinds.Str).
Every gradient is compared with central finite differences of the function itself."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes

RNG = make_rng(71)


def X(*shape):
    return RNG.standard_normal(shape)


def relu(z):
    return np.maximum(z, 0.0)


def softplus(z):
    return np.log1p(np.exp(z))


ACTIVATIONS = {"relu": relu, "tanh": np.tanh, "softplus": softplus}
ACT = "softplus"
CFG = {"act": "tanh", "layers": {"out": "relu"}}
ORDER = ["tanh", "softplus"]


def literal_table(x, name="tanh"):
    act = {"relu": relu, "tanh": np.tanh, "softplus": softplus}[name]
    return np.sum(act(x) * x)


def by_getattr(x, name="tanh"):
    return np.sum(getattr(np, name)(x) ** 2)


def by_config(x, cfg):
    return np.sum(ACTIVATIONS[cfg["act"]](x) * ACTIVATIONS[cfg["layers"]["out"]](x + 0.3))


def by_conditional(x, kind="relu"):
    f = softplus if kind == "softplus" else np.tanh
    return np.sum(f(x) * x)


def by_branch(x, kind):
    if kind == "sin":
        f = np.sin
    elif kind == "softplus":
        f = softplus
    else:
        f = np.cos
    return np.sum(f(x) ** 2)


def by_module_constant(x):
    return np.sum(ACTIVATIONS[ACT](x) * x)


def by_module_table(x):
    return np.sum(ACTIVATIONS[CFG["act"]](x) + ACTIVATIONS[CFG["layers"]["out"]](x))


def by_table_name(x, name):
    table = ACTIVATIONS
    act = table[name]
    return np.sum(act(x) * x)


class Layer:
    def __init__(self, w, act):
        self.w = w
        self.act = act

    def __call__(self, h):
        return getattr(np, self.act)(self.w @ h)


def by_attribute(w, x):
    layer = Layer(w, "tanh")
    return np.sum(layer(x) ** 2)


def model_attribute(w, model, x):
    return np.sum(ACTIVATIONS[model.act](w @ x))


class Model:
    def __init__(self, act):
        self.act = act


def helper_with_name(x, name):
    return ACTIVATIONS[name](x)


def through_a_helper(x, name="softplus"):
    return np.sum(helper_with_name(x, name) + helper_with_name(x, "tanh"))


def loop_over_names(x):
    h = x
    for name in ORDER:
        h = ACTIVATIONS[name](h) + 0.1 * h
    return np.sum(h)


def loop_over_literal_names(x, names=("tanh", "softplus")):
    h = x
    for name in names:
        h = getattr(np, "sin" if name == "tanh" else "cos")(h) * ACTIVATIONS[name](h)
    return np.sum(h)


def by_get(x, name="softplus"):
    return np.sum(ACTIVATIONS.get(name, np.sin)(x) * x)


class Net:
    def __init__(self, w):
        self.w = w

    def act_soft(self, z):
        return softplus(z)

    def act_sin(self, z):
        return np.sin(z) * self.w

    def forward(self, x, kind):
        return getattr(self, "act_" + kind)(x)


def by_method_name(x, kind="soft"):
    net = Net(2.0)
    return np.sum(net.forward(x, kind) * x)


@pytest.mark.parametrize("f, extra", [
    (by_get, ()), (by_get, ("missing",)), (by_method_name, ()), (by_method_name, ("sin",)),
    (literal_table, ()), (literal_table, ("relu",)), (literal_table, ("softplus",)),
    (by_getattr, ()), (by_getattr, ("sin",)),
    (by_config, ({"act": "softplus", "layers": {"out": "tanh"}},)),
    (by_conditional, ()), (by_conditional, ("softplus",)),
    (by_branch, ("sin",)), (by_branch, ("softplus",)), (by_branch, ("other",)),
    (by_module_constant, ()), (by_module_table, ()),
    (by_table_name, ("tanh",)), (by_table_name, ("softplus",)),
    (through_a_helper, ()), (through_a_helper, ("tanh",)),
    (loop_over_names, ()), (loop_over_literal_names, ()), (loop_over_literal_names, (["softplus", "tanh"],)),
])
def test_a_function_selected_by_a_string_is_differentiated(f, extra):
    check_grad(f, (X(4),) + extra, 0)


def test_string_selection_in_every_mode():
    check_modes(by_branch, (X(3), "softplus"), 0)
    check_modes(by_getattr, (X(3), "sin"), 0)


def by_method_of_argument(x, net, kind):
    m = getattr(net, "act_" + kind)
    return np.sum(m(x) * net.w)


def test_a_method_named_by_a_string():
    check_grad(by_method_of_argument, (X(3), Net(1.5), "sin"), 0)
    check_grad(by_method_of_argument, (X(3), Net(1.5), "soft"), 0)


def test_an_object_attribute_names_the_function():
    check_grad(by_attribute, (X(3, 3), X(3)), 0)
    check_grad(model_attribute, (X(3, 3), Model("softplus"), X(3)), 0)
    check_grad(model_attribute, (X(3, 3), Model("tanh"), X(3)), 0)


def test_each_string_value_gets_its_own_derivative():
    g = ad.grad(by_branch)
    x = X(5)
    for kind, d in (("sin", 2 * np.sin(x) * np.cos(x)), ("other", -2 * np.cos(x) * np.sin(x)),
                    ("sin", 2 * np.sin(x) * np.cos(x))):
        np.testing.assert_allclose(g(x, kind), d, rtol=1e-12, atol=1e-14)


def test_a_changed_module_constant_or_table_compiles_again(monkeypatch):
    g = ad.grad(by_module_constant)
    x = X(4)
    first = g(x)
    monkeypatch.setattr(__import__(__name__), "ACT", "tanh")
    np.testing.assert_allclose(g(x), check_grad(by_module_constant, (x,), 0), rtol=1e-12)
    assert not np.allclose(first, g(x))
    monkeypatch.setitem(ACTIVATIONS, "tanh", np.sin)
    np.testing.assert_allclose(g(x), np.sin(x) + x * np.cos(x), rtol=1e-12)


def test_a_table_the_function_changes_is_not_read_when_compiling():
    with pytest.raises(ad.UnsupportedError, match="changes the global `ACTIVATIONS` in place"):
        ad.grad(changes_the_table)(X(3))


def changes_the_table(x):
    table = ACTIVATIONS
    table["tanh"] = np.sin
    return np.sum(table["tanh"](x))


def runtime_index(x, table, k):
    return np.sum(table[k](x))


def test_a_function_chosen_by_a_number_when_it_runs_is_an_if_chain():
    check_grad(runtime_index, (X(3), [np.sin, np.cos], 1), 0)  # (more: test_language_choice.py)
    with pytest.raises(ad.NoDerivativeError, match="a call of a function value not known when compiling"):
        ad.grad(runtime_index)(X(3), [np.sin, np.cos] * 9, 0)  # (more than 16 entries)


LONG = "a" * 80
BY_LENGTH = {LONG: np.sin, "b": np.cos}


def by_long_name(x, name):
    return np.sum(BY_LENGTH[name](x))


def test_a_long_string_is_not_specialised_on():
    # (not compiled per value: the dict's entry is chosen when it runs, inline_choice.py)
    check_grad(by_long_name, (X(3), LONG), 0)
    check_grad(by_long_name, (X(3), "b"), 0)


def test_an_exported_derivative_checks_the_string_it_was_compiled_for(tmp_path):
    g = ad.grad(by_config)
    x = X(3)
    cfg = {"act": "softplus", "layers": {"out": "tanh"}}
    expected = g(x, cfg)
    source = ad.export(g)
    namespace = {}
    exec(compile(source, str(tmp_path / "m.py"), "exec"), namespace)
    exported = namespace[g.__name__]
    np.testing.assert_allclose(exported(x, cfg), expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"compiled for cfg\['act'\] == 'softplus'"):
        exported(x, {"act": "tanh", "layers": {"out": "tanh"}})


def name_from_data(x):
    name = "tanh" if x[0] > 0 else "sin"
    return np.sum(getattr(np, name)(x))


def test_a_name_computed_from_the_data_is_refused_where_the_function_is_called():
    with pytest.raises(ad.NoDerivativeError, match="a call of a function value not known when compiling") as info:
        ad.grad(name_from_data)(X(3))
    assert "getattr(np, name)(x)" in str(info.value)
