"""The logistic function written out, `1.0 / (1.0 + np.exp(-z))`, differentiated as one function of z
(fuse_logistic.py): adjoint `g * (s * (1.0 - s))`. Checked against central differences in every mode,
inlined from a helper, in a loop, with an intermediate also used elsewhere, after an in-place change, and
where the pattern must not match (another constant, a negation of something else)."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gates(x, w):
    return np.sum(sigmoid(x * w) * np.tanh(x))


def written_with_ints(x):
    return np.sum((1 / (np.exp(-x) + 1)) ** 2)


def recurrent(h, w):
    for t in range(4):
        h = sigmoid(h * w + 0.1 * t)
    return np.sum(h)


def exponential_used_too(x):
    e = np.exp(-x)
    s = 1.0 / (1.0 + e)
    return np.sum(s * s) + np.sum(e)


def changed_in_place(x):
    z = x * 1.5
    e = np.exp(-z)
    z[0] = 3.0
    return np.sum(1.0 / (1.0 + e)) + np.sum(z ** 2)


def other_constant(x):
    return np.sum(1.0 / (2.0 + np.exp(-x)))


def scaled(x):
    return np.sum(1.0 / (1.0 + np.exp(-2.0 * x)))


def test_the_logistic_function_as_one():
    rng = make_rng(0)
    x, w = rng.standard_normal(5), rng.standard_normal(5)
    check_modes(gates, [x, w], 0)
    check_grad(gates, [x, w], (0, 1))
    src = ad.grad(gates, wrt=(0, 1)).source
    assert "(sigmoid_out * (1.0 - sigmoid_out))" in src and "np.exp(-" in src.split("# adjoint")[0]
    check_modes(written_with_ints, [x], 0)
    assert "(1.0 - t" in ad.grad(written_with_ints).source
    check_modes(recurrent, [x, w], 0)
    check_grad(recurrent, [x, w], (0, 1))
    assert "(1.0 - sigmoid_out" in ad.grad(recurrent, wrt=(0, 1)).source


def test_intermediates_used_elsewhere_and_changes_in_place():
    rng = make_rng(1)
    x = rng.standard_normal(5)
    check_modes(exponential_used_too, [x], 0)
    check_modes(changed_in_place, [x], 0, modes=("grad", "jvp", "hvp"))
    assert "(1.0 - t" not in ad.jvp(changed_in_place).source  # (z changed between: not matched)


def test_other_forms_are_not_matched():
    rng = make_rng(2)
    x = rng.standard_normal(5)
    for f in (other_constant, scaled):
        check_modes(f, [x], 0)
        assert "(1.0 - " not in ad.grad(f).source, f.__name__
