"""Functions as values (issue 10): passed as arguments and defaults, stored in lists and dicts, returned from
helpers, `map`, `functools.reduce`, `functools.partial` made in the function, nested functions passed to
library functions. Every program is checked against central finite differences in all modes
(modes_check.py), alone and inside loops, branches and callees."""
import functools

import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import assert_close, fd_grad

rng = np.random.default_rng(11)


def A(*shape):
    return rng.standard_normal(shape)


def relu(h):
    return np.maximum(h, 0.0)


def softplus(h):
    return np.log1p(np.exp(h))


def layer(x, W, nonlinearity=np.tanh):
    return nonlinearity(W @ x)


def mlp(x, W1, W2, activation=softplus):
    h = layer(x, W1)  # the default, np.tanh
    h = layer(h, W2, nonlinearity=activation)
    return np.sum(layer(h, W2.T @ W2, activation) ** 2)


def test_functions_passed_as_arguments_and_defaults():
    check_modes(mlp, (A(3), A(3, 3), A(3, 3)), 0)
    check_modes(mlp, (A(3), A(3, 3), A(3, 3)), 1, modes=("grad", "jvp"))


def apply_function_argument(x, f, g):
    return np.sum(g(f(x) * x))


def test_function_argument_of_the_differentiated_function():
    x = A(4)
    check_modes(apply_function_argument, (x, np.sin, softplus), 0)
    check_modes(apply_function_argument, (x, relu, np.tanh), 0, modes=("grad", "jvp"))
    g = ad.grad(apply_function_argument)
    assert_close(g(x, np.cos, np.exp), fd_grad(lambda v: apply_function_argument(v, np.cos, np.exp), [x], 0),
                 what="another pair of functions: another derivative")


def list_of_functions(x):
    fs = [np.sin, relu, softplus, lambda v: v ** 3]
    total = 0.0
    for i, f in enumerate(fs):  # a different function in each iteration: the loop is written out
        total = total + (i + 1) * np.sum(f(x))
    table = {"sin": np.sin, "tanh": np.tanh}
    return total + np.sum(table["tanh"](x) * table["sin"](x))


def test_functions_in_lists_and_dicts():
    check_modes(list_of_functions, (A(3),), 0)


def pick(name):
    if name == "relu":
        return relu
    elif name == "tanh":
        return np.tanh
    return softplus


def make_scaled(c):
    def scaled(v):
        return c * np.sin(v)
    return scaled


def returned_functions(x):
    act = pick("tanh")  # the branch taken is known when compiling
    other = pick("relu")
    s = make_scaled(x[0])  # a closure returned by a factory, reading x
    total = 0.0
    for k in range(3):
        total = total + np.sum(act(x * k) + other(x) * s(x))
    return total


def test_functions_returned_from_helpers():
    check_modes(returned_functions, (A(3),), 0)


def mapped(x, W):
    rows = list(map(np.tanh, [x, W @ x]))
    pairs = map(lambda a, b: a * b, rows, [x, x * 2.0])  # two iterables, a lambda reading nothing outside
    scale = x[0]
    scaled = map(lambda v: v * scale, rows)  # a lambda reading the enclosing `scale`
    total = 0.0
    for p in pairs:
        total = total + np.sum(p)
    return total + sum(np.sum(v) for v in scaled) + np.sum(sum(map(relu, rows)))


def test_map():
    check_modes(mapped, (A(3), A(3, 3)), 0)


def reduced(x):
    product = functools.reduce(lambda a, b: a * b, [x[0], x[1], x[2]])
    total = functools.reduce(np.add, [x, x ** 2, np.sin(x)], 0.0)
    return product + np.sum(total) + functools.reduce(max, [x[0], x[2]])


def test_functools_reduce():
    check_modes(reduced, (A(3),), 0)


def weighted(x, w, power=2):
    return np.sum(w * x ** power)


def partials(x, w):
    f = functools.partial(weighted, w=w)
    g = functools.partial(weighted, x, power=3)
    s = functools.partial(np.sum, axis=0)
    w = w * 10.0  # the partial keeps the value it was given
    total = 0.0
    for k in range(2):
        total = total + f(x * k) + g(w)
    return total + np.sum(s(np.outer(x, w)) ** 2)


def test_partial_made_in_the_function():
    check_modes(partials, (A(3), A(3)), 0)
    check_modes(partials, (A(3), A(3)), 1, modes=("grad", "jvp"))


def by_key(a, b):
    return a[0]


def sorted_by_a_lambda(x):
    items = [(x[0], x[1]), (x[2], x[0]), (x[1], x[2])]
    ordered = sorted(items, key=lambda pair: pair[1])  # a lambda reading nothing outside: a real function
    again = sorted(items, key=functools.partial(by_key, b=0))
    return ordered[0][0] * 3.0 + ordered[2][1] + again[1][1]


def test_nested_function_passed_to_a_library_function():
    x = np.array([0.3, -1.2, 0.9])
    check_modes(sorted_by_a_lambda, (x,), 0, modes=("grad", "jvp"))


def captures_for_a_library_function(x):
    scale = x[0]
    ordered = sorted([x[1], x[2]], key=lambda v: v * scale)
    return ordered[0]


def test_nested_function_reading_the_enclosing_variables_passed_as_a_value_is_refused():
    with pytest.raises(ad.UnsupportedError, match="the nested function `<lambda>` is used here as a value, not called, "
                                                  "and it reads `scale`") as info:
        ad.grad(captures_for_a_library_function)(np.array([0.3, -1.2, 0.9]))
    assert "sorted([x[1], x[2]], key=lambda v: v * scale)" in str(info.value)


def function_from_a_runtime_key(x, table, key):
    return np.sum(table[key](x))


def test_a_function_chosen_when_the_derivative_runs_is_refused_past_16_entries():
    with pytest.raises(ad.NoDerivativeError, match="a call of a function value not known when compiling"):
        ad.grad(function_from_a_runtime_key)(A(3), [np.sin, np.cos] * 9, 0)
    x = A(3)  # (16 or fewer: an `if` chain over the entries, test_language_choice.py)
    np.testing.assert_allclose(ad.grad(function_from_a_runtime_key)(x, [np.sin, np.cos], 1), -np.sin(x), rtol=1e-12)


def map_used_twice(x):
    m = map(np.sin, [x, x])
    first = sum(m)
    second = list(m)  # empty in Python
    return np.sum(first) + len(second)


def test_an_iterator_used_twice_is_refused():
    with pytest.raises(ad.UnsupportedError, match="the iterator `m` is used more than once"):
        ad.grad(map_used_twice)(A(3))


try:
    from scipy.integrate import odeint
except ImportError:  # pragma: no cover
    odeint = None


def decay_with_nested_rhs(k, y0):
    def rhs(y, t, rate):
        return -rate * y

    ts = np.linspace(0.0, 1.0, 5)
    ys = odeint(rhs, y0, ts, args=(k,))
    return np.sum(ys[-1] ** 2)


@pytest.mark.skipif(odeint is None, reason="SciPy is not installed")
def test_a_nested_right_hand_side_for_odeint():
    k, y0 = 0.7, np.array([1.0, 0.5])
    g = ad.grad(decay_with_nested_rhs)(k, y0)
    assert g == pytest.approx(-2.0 * np.sum(y0 ** 2) * np.exp(-2.0 * k), rel=1e-4)
