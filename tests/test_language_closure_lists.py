"""Closures appended to a list in a loop, then called in the function (inline_closure_lists.py): the list
keeps each closure's defaults, and each call is the nested function inlined. Compared with central finite
differences of the function itself; uses that cannot be followed are refused at the append."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes

RNG = make_rng(83)


def X(*shape):
    return RNG.standard_normal(shape)


def summed_by_a_generator(x, w):
    fs = []
    for k in range(3):
        fs.append(lambda t, k=k: t * w[k])
    return np.sum(sum(f(x) for f in fs))


def late_binding(x, w):
    fs = []
    for k in range(3):
        fs.append(lambda t: np.sin(t) * w[k])  # every closure reads the last k, as in Python
    total = 0.0
    for f in fs:
        total = total + np.sum(f(x))
    return total + np.sum(fs[0](x) ** 2)


def nested_defs(x, w):
    fs = []
    for k in range(3):
        def term(t, k=k, p=2.0):
            return np.tanh(t * w[k]) ** p
        fs.append(term)
    out = np.zeros_like(x)
    for i in range(len(fs)):
        out = out + fs[i](x) * (i + 1.0)
    return np.sum(out)


def apply_all(fs, x):
    return [f(x) for f in fs]


def through_a_helper(x, w):
    fs = []
    for k in range(2):
        scale = w[k] * 2.0
        fs.append(lambda t, s=scale: np.exp(t * s))
    return np.sum(np.stack(apply_all(fs, x)))


def list_made_in_a_helper(x, w):
    fs = []
    for k in range(3):
        fs.append(lambda t, k=k: t ** 2 * w[k] + w[k + 1])
    ys = apply_all(fs, x)
    return np.sum(ys[0] * ys[2])


def in_an_outer_loop(x, w):
    total = 0.0
    for j in range(2):
        fs = []
        for k in range(3):
            fs.append(lambda t, k=k: t * w[k] + j)
        for f in fs:
            total = total + np.sum(f(x) ** 2)
    return total


@pytest.mark.parametrize("f", [summed_by_a_generator, late_binding, nested_defs, through_a_helper,
                               list_made_in_a_helper, in_an_outer_loop])
def test_closures_kept_in_a_list_are_called(f):
    check_grad(f, (X(4), X(4)), (0, 1))


def test_closures_kept_in_a_list_in_every_mode():
    check_modes(summed_by_a_generator, (X(3), X(3)), 1)
    check_modes(nested_defs, (X(3), X(3)), 0)


def default_read_where_defined(x):
    k = 2.0
    g = lambda t, k=k: t * k  # noqa: E731
    k = 5.0
    return g(x) + k


def test_a_default_is_the_value_when_the_function_was_made():
    check_grad(default_read_where_defined, (1.5,), 0)


def returns_the_list(x, w):
    fs = []
    for k in range(3):
        fs.append(lambda t, k=k: t * w[k])
    return np.sum(x) + len(sorted(fs, key=id))


def mixed_functions(x, w):
    fs = []
    for k in range(2):
        fs.append(lambda t, k=k: t * w[k])
    fs.append(np.sin)
    return np.sum(sum(f(x) for f in fs))


@pytest.mark.parametrize("f", [returns_the_list, mixed_functions])
def test_a_list_of_closures_used_otherwise_is_refused_at_the_append(f):
    with pytest.raises(ad.UnsupportedError, match="is kept in a list that is used otherwise than by calling") as info:
        ad.grad(f)(X(3), X(3))
    assert "fs.append(lambda t, k=k: t * w[k])" in str(info.value)


def plain_lambdas_in_a_list(x):
    fs = []
    for k in range(2):
        fs.append(lambda t: t * 2.0)
    ordered = sorted([x[0], x[1]], key=fs[0])
    return ordered[0] * fs[1](x[1])


def test_closures_reading_nothing_stay_functions_a_library_can_call():
    check_grad(plain_lambdas_in_a_list, (X(3),), 0)
