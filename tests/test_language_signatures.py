"""Signatures and unpacking (issue 10): `*args`, `**kwargs`, keyword-only and positional-only parameters and
defaults, in the differentiated function itself and in its helpers; `f(*seq)`, `f(**d)`, `zip(*pairs)`;
`functools.partial` as the differentiated function; `+` and `*` of lists and tuples. Every program is checked
against central finite differences (modes_check.py), alone and inside loops, branches and callees."""
import functools

import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import assert_close, fd_grad

rng = np.random.default_rng(10)


def A(*shape):
    return rng.standard_normal(shape)


# -- the differentiated function's own signature ----------------------------------------------------------
def star_args(x, *rest, power=2, **opts):
    total = np.sum(x ** power)
    for r in rest:
        if np.sum(r) > 0.0:
            total = total + np.sum(np.sin(r * x))
        else:
            total = total - np.sum(r * x ** 2)
    for name, weight in opts.items():
        total = total + weight * np.sum(x) * len(name)
    return total


def test_star_args_in_the_differentiated_function_all_modes():
    x, r1, r2 = A(3), np.abs(A(3)), -np.abs(A(3))
    check_modes(star_args, (x, r1, r2), 0, kwargs={"power": 3, "a": 0.5, "bb": -1.5})
    check_modes(star_args, (x,), 0)  # no *rest, no **opts: another derivative (the kinds differ)


def test_gradient_with_respect_to_star_args_is_a_tuple():
    x, r1, r2 = A(3), np.abs(A(3)), -np.abs(A(3))
    got = ad.grad(star_args, wrt="rest")(x, r1, r2, power=3)
    assert isinstance(got, tuple) and len(got) == 2
    expected = fd_grad(lambda x_, rest: star_args(x_, *rest, power=3), [x, (r1, r2)], 1)
    assert_close(tuple(got), tuple(expected), what="gradient of *rest")
    opts = ad.grad(star_args, wrt="opts")(x, r1, a=0.5, bb=2.0)
    expected = fd_grad(lambda x_, o: star_args(x_, r1, **o), [x, {"a": 0.5, "bb": 2.0}], 1)
    assert_close(opts, expected, what="gradient of **opts")


def keyword_only(x, w, *, scale=2.0, shift):
    return np.sum(np.tanh(w @ x * scale + shift) ** 2)


def test_keyword_only_parameters_and_wrt_by_name():
    x, w = A(3), A(2, 3)
    check_modes(keyword_only, (x, w), 0, kwargs={"shift": 0.3})
    check_modes(keyword_only, (x, w), 1, kwargs={"shift": 0.3, "scale": -1.5}, modes=("grad", "jvp"))
    g = ad.grad(keyword_only, wrt=("scale", "shift"))(x, w, shift=0.3)
    expected = fd_grad(lambda s, t: keyword_only(x, w, scale=s, shift=t), [2.0, 0.3], (0, 1))
    assert_close(tuple(g), tuple(expected), what="gradient w.r.t. keyword-only parameters")
    assert ad.grad(keyword_only, wrt="shift").source.count("def ") >= 1


def positional_only(x, y=1.5, /, z=0.5):
    return np.sum(np.exp(x * y) - z * x)


def test_positional_only_parameters_and_defaults():
    check_modes(positional_only, (A(3),), 0)
    check_modes(positional_only, (A(3), 0.7, 2.0), 0)
    assert ad.grad(positional_only, wrt=1)(np.ones(2), 0.5) == pytest.approx(2 * np.exp(0.5))


def test_the_generated_code_says_how_the_arguments_are_passed():
    g = ad.grad(star_args)
    g(A(3), A(3), power=2)
    assert "the arguments of star_args(x, *rest, power=2, **opts), in order (rest a tuple, opts a dict)" in g.source
    assert "def dstar_args_dx(x, rest, power, opts):" in g.source


def test_vjp_and_value_and_grad_of_a_function_with_star_args():
    x, r = A(3), A(3)
    seed = 0.7
    got = ad.vjp(star_args)(x, r, seed, power=3)
    expected = fd_grad(lambda x_: seed * star_args(x_, r, power=3), [x], 0)
    assert_close(got, expected, what="vjp")
    got = ad.vjp(star_args)(x, r, seed=seed, power=3)
    assert_close(got, expected, what="vjp, seed by name")
    value, g = ad.value_and_grad(star_args)(x, r, power=3)
    assert value == pytest.approx(star_args(x, r, power=3))


def loss(w, x, y):
    return np.sum((x @ w - y) ** 2) + 0.1 * np.sum(w ** 2)


def test_grad_of_functools_partial():
    X, Y, w = A(4, 3), A(4), A(3)
    g = ad.grad(functools.partial(loss, x=X))
    assert_close(g(w, y=Y), fd_grad(lambda w_: loss(w_, X, Y), [w], 0), what="partial with a keyword")
    g2 = ad.grad(functools.partial(loss, w))  # the first argument stored: gradient w.r.t. x
    assert_close(g2(X, Y), fd_grad(lambda X_: loss(w, X_, Y), [X], 0), what="partial with a positional argument")
    check_modes(functools.partial(loss, x=X, y=Y), (w,), 0)


# -- helpers with *args, **kwargs, keyword-only parameters, unpacked calls -------------------------------------
def concat_and_multiply(weights, *args):
    cat = np.concatenate(args)
    return cat @ weights


def scaled(x, *, factor=1.0, **extra):
    out = x * factor
    for k in sorted(extra):
        out = out + extra[k]
    return out


def positional(a, b, /, c=1.0):
    return a * b + c


def helpers(w, x):
    h = np.tanh(concat_and_multiply(w, x, np.ones(1)))  # as in autograd's RNN example
    args = (h, x[0])
    kw = {"factor": 2.0, "bias": x[1]}
    total = 0.0
    for i in range(2):
        total = total + np.sum(scaled(positional(*args), **kw)) * (i + 1)  # unpacked, in a loop
        args = (args[0] * 0.5, args[1])
    return total + np.sum(scaled(h, factor=x[2]))


def test_helpers_with_star_parameters_and_unpacked_calls():
    check_modes(helpers, (A(4, 2), A(3)), 0)
    check_modes(helpers, (A(4, 2), A(3)), 1, modes=("grad", "jvp", "hvp"))


def apply_all(params, x):
    """`f(*params)` with params an argument: a tuple and a list of known length (from the arguments' kinds)."""
    return np.sum(positional(*params[0]) * x) + np.sum(positional(x, *params[1:]))


def test_unpacking_arguments_of_known_length():
    params = [(A(3), A(3)), 0.5]
    check_modes(apply_all, (params, A(3)), 0, modes=("grad", "jvp"))
    check_modes(apply_all, (params, A(3)), 1)


def bound_before_rebinding(x):
    a = x
    args = (a, 2.0)
    a = a * 3.0  # the tuple holds the value a had when it was made
    return positional(*args)


def test_unpacking_reads_the_tuple_not_the_names_it_was_made_from():
    assert ad.grad(bound_before_rebinding)(1.5) == pytest.approx(2.0)


def unzip(x):
    pairs = [(x[0], x[1]), (x[2], x[3]), (x[1], x[3])]
    firsts, seconds = zip(*pairs)
    grown = []
    for i in range(3):
        grown.append((x[i], x[i] * x[3]))
    a, b = zip(*grown)  # a list of unknown length: zip's rule takes the list
    return sum(firsts) * sum(seconds) + np.sum(np.array(a) * np.array(b)) + max(*seconds)


def test_zip_of_unpacked_pairs():
    check_modes(unzip, (A(4),), 0)


def random_shape(x):
    rs = np.random.RandomState(0)
    shape = (2, x.shape[0])
    noise = rs.randn(*shape)
    return np.sum(noise @ x)


def test_unpacked_arguments_of_a_function_without_derivative():
    check_modes(random_shape, (A(3),), 0, modes=("grad", "jvp"))


def sequence_operators(x):
    a = [x[0], x[1] * 2.0]
    b = a + [x[2]] * 2
    t = (x[0],) + (x[1], x[2])
    return sum(b) * t[2] + np.sum(np.stack(b + list(t)) ** 2)


def test_plus_and_times_of_lists_and_tuples():
    check_modes(sequence_operators, (A(3),), 0)


# -- refusals --------------------------------------------------------------------------------------------------
def unknown_length(x):
    xs = []
    for i in range(2):
        xs.append(x * i)
    return positional(*xs)


def test_unpacking_a_list_of_unknown_length_into_named_parameters_is_refused():
    with pytest.raises(ad.UnsupportedError, match="whose length is not known when compiling") as info:
        ad.grad(unknown_length)(1.0)
    assert "line" in str(info.value) and "positional(*xs)" in str(info.value)


def varargs_sum(*xs):
    total = 0.0
    for v in xs:
        total = total + v
    return total


def unknown_length_into_varargs(x):
    xs = []
    for i in range(3):
        xs.append(x * (i + 1))
    return varargs_sum(*xs)


def test_unpacking_a_list_of_unknown_length_into_star_args_works():
    assert ad.grad(unknown_length_into_varargs)(1.0) == pytest.approx(6.0)
    check_modes(unknown_length_into_varargs, (0.3,), 0)


def grow_then_unpack(x):
    xs = [x, x * 2.0]
    ys = xs
    ys.append(x)  # (the compiler sees that xs changes)
    return positional(*xs)


def test_a_list_that_changed_length_after_it_was_made_is_refused():
    with pytest.raises(ad.UnsupportedError, match="whose length is not known when compiling"):
        ad.grad(grow_then_unpack)(1.0)
