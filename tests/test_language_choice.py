"""Functions chosen from a table by a value known only when the derivative runs (inline_choice.py): an int
argument, a loop counter, a value computed in the function; tables of the module, displayed in the function,
or passed as an argument; lists, tuples and dicts. Every derivative is compared with central finite differences
of the function itself (modes_check.py), and the errors Python raises for a bad key are raised as Python
raises them."""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes


def relu(z):
    return np.maximum(z, 0.0)


def softplus(z):
    return np.log1p(np.exp(z))


def scaled_sin(z, c=2.0):
    return np.sin(c * z)


ACTS = [np.tanh, softplus, scaled_sin]
ACT_TUPLE = (np.sin, np.cos, np.tanh)
BY_ID = {3: np.cos, 7: softplus, -1: np.tanh}
X = np.array([0.3, -0.7, 1.1, 0.45])
W = np.random.default_rng(5).standard_normal((4, 4)) * 0.5


def by_argument(x, k):
    return np.sum(ACTS[k](x) ** 2)


def by_tuple(x, k):
    return np.sum(ACT_TUPLE[k](x) * x)


def by_dict_key(x, k):
    return np.sum(BY_ID[k](x * x))


def counter_in_loop(x, w):
    h = x
    for i in range(3):
        h = ACTS[i](w @ h)
    return np.sum(h)


def counter_reversed_in_loop(x, w):
    h = x
    for i in range(len(ACTS) - 1, -1, -1):
        h = ACTS[i](w @ h) + h
    return np.sum(h * h)


def chosen_then_key_changed(x, k):
    f = ACTS[k]
    k = 0
    return np.sum(f(x) * ACTS[k](x))


def local_list_of_closures(x, k):
    fs = [lambda t: t * x, lambda t: np.sin(t) + x, relu]
    return np.sum(fs[k](x) ** 2)


def local_dict(x, k):
    fs = {0: np.tanh, 1: np.cos, 2: softplus}
    return np.sum(fs[k](x) * x)


def computed_key(x, k):
    j = (k * 2 + 1) % 3
    return np.sum(ACTS[j](x) * x)


def pick(k):
    return ACTS[k]


def returned_by_helper(x, k):
    return np.sum(pick(k)(x) * x)


def apply_layer(h, w, k):
    return ACTS[k](w @ h)


def chosen_in_callee_in_loop(x, w, ks):
    h = x
    for k in ks:
        h = apply_layer(h, w, k)
    return np.sum(h)


KEYWORD_TABLE = [softplus, scaled_sin, relu]


def keyword_arguments(x, k):
    return np.sum(KEYWORD_TABLE[k](z=x))


def branch_then_choice(x, k):
    if np.sum(x) > 0:
        y = ACTS[k](x)
    else:
        y = x * 2.0
    return np.sum(y * y)


@pytest.mark.parametrize("f, args", [
    (by_argument, (X, 0)), (by_argument, (X, 1)), (by_argument, (X, 2)), (by_argument, (X, -1)),
    (by_argument, (X, -3)), (by_tuple, (X, 1)), (by_tuple, (X, -1)), (by_dict_key, (X, 7)),
    (by_dict_key, (X, -1)), (counter_in_loop, (X, W)), (counter_reversed_in_loop, (X, W)),
    (chosen_then_key_changed, (X, 2)), (local_list_of_closures, (X, 0)), (local_list_of_closures, (X, 1)),
    (local_list_of_closures, (X, 2)), (local_dict, (X, 2)), (computed_key, (X, 1)), (returned_by_helper, (X, 2)),
    (chosen_in_callee_in_loop, (X, W, [2, 0, 1, 2])), (keyword_arguments, (X, 1)), (branch_then_choice, (X, 1)),
    (branch_then_choice, (-X, 1)),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_every_mode_against_differences(f, args):
    check_modes(f, args, 0, modes=("grad", "jvp", "hvp"))


def by_argument_list(x, fs, k):
    return np.sum(fs[k](x) * x)


@pytest.mark.parametrize("k", [0, 1, -1])
def test_list_of_functions_passed_in(k):
    check_modes(by_argument_list, (X, [np.sin, softplus, np.tanh], k), 0, modes=("grad", "jvp", "hvp"))


def test_hessian_of_a_choice():
    check_modes(by_argument, (X, 1), 0, modes=("hessian",))


def test_source_is_an_if_chain_over_positions():
    src = ad.grad(by_argument, wrt=0).source
    assert "_ad.table_position(k, 3)" in src and "np.tanh(x)" in src and "np.sin(" in src


@pytest.mark.parametrize("f, bad, error", [
    (by_argument, 3, IndexError), (by_argument, -4, IndexError), (by_argument, 1.0, TypeError),
    (by_argument, "a", TypeError), (by_dict_key, 4, KeyError), (local_dict, 5, KeyError),
])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_a_bad_key_raises_as_python_does(f, bad, error, mode):
    with pytest.raises(error):
        f(X, bad)
    with pytest.raises(error):
        ad.grad(f, wrt=0)(X, bad) if mode == "grad" else ad.jvp(f, wrt=0)(X, bad, X)


def test_table_changed_compiles_again():
    g = ad.grad(by_argument, wrt=0)
    saved = list(ACTS)
    try:
        ACTS.append(np.cos)  # a new entry: the old derivative would raise IndexError for k = 3
        check_modes(by_argument, (X, 3), 0, modes=("grad",))
        np.testing.assert_allclose(g(X, 3), -2 * np.cos(X) * np.sin(X), rtol=1e-12)
        ACTS[0] = np.sin  # an entry replaced
        np.testing.assert_allclose(g(X, 0), 2 * np.sin(X) * np.cos(X), rtol=1e-12)
    finally:
        ACTS[:] = saved
    np.testing.assert_allclose(g(X, 0), 2 * np.tanh(X) * (1 - np.tanh(X) ** 2), rtol=1e-12)


NOT_FUNCTIONS = [np.sin, 2.0]


def not_all_functions(x, k):
    return np.sum(NOT_FUNCTIONS[k](x))


def test_a_table_of_other_values_is_refused_where_called():
    with pytest.raises(ad.ADError) as e:
        ad.grad(not_all_functions, wrt=0)(X, 0)
    assert "test_language_choice.py" in str(e.value) and "NOT_FUNCTIONS[k](x)" in str(e.value)


def lambdas_sharing_a_line(x, k):
    z = x[0] * 2.0
    table = {3: lambda v: v * v[-1], 7: lambda v: v * z, 11: np.sin}
    return np.sum(table[k](x) * x)


def lambdas_sharing_a_line_constant_key(x):
    table = [lambda v: v * v[-1], lambda v: np.cos(v) * 2.0]
    return np.sum(table[1](x) * x)


@pytest.mark.parametrize("k", [3, 7, 11])
def test_lambdas_on_one_line_in_a_table(k):
    # (explore seed 2121 #1284: a lambda reading nothing of f is compiled as a real function; its source was
    # then read again from the file, where two lambdas on one line cannot be told apart: an unlocated refusal)
    check_modes(lambdas_sharing_a_line, (X, k), 0, modes=("grad", "jvp", "hvp"))


def test_lambdas_on_one_line_constant_key():
    check_modes(lambdas_sharing_a_line_constant_key, (X,), 0, modes=("grad", "jvp"))


BY_FUNCTION = {np.sin: np.cos, np.cos: np.tanh}


def keyed_by_a_function(x, key):
    return np.sum(BY_FUNCTION[key](x))


def test_a_dict_keyed_by_functions_is_refused_at_the_call():
    # (its keys cannot be written as constants in the generated code: the position lookup was printed with the
    # functions' reprs, a SyntaxError when the derivative was compiled)
    with pytest.raises(ad.ADError) as e:
        ad.grad(keyed_by_a_function)(X, np.sin)
    assert "test_language_choice.py" in str(e.value) and "BY_FUNCTION[key](x)" in str(e.value)
