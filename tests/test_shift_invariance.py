"""A shift that a softmax or log-softmax cancels carries no derivative (shift_invariance.py): the max-shift's
tie-sharing adjoint is not generated. Checked against central differences in every mode, where the rule
applies and where it must not (the shifted values or the exponentials read elsewhere, a shift along another
axis, an in-place change, the sum's result read otherwise, break and early return in loops)."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes


def log_softmax(x):
    shifted = x - np.max(x, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def cross_entropy(x, w):
    return -np.sum(log_softmax(x) * w)


def softmax_methods(x, w):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.sum(e / e.sum(axis=-1, keepdims=True) * w)


def whole_array(x, w):
    s = x - np.max(x)
    p = np.exp(s) / np.sum(np.exp(s))  # (two exponentials: the pattern reads one; not matched, still right)
    e = np.exp(s)
    q = e / np.sum(e)
    return np.sum(p * w) + np.sum(q * w * w)


def number_shift(x, c, w):
    s = x - c
    return np.sum((s - np.log(np.sum(np.exp(s), axis=0, keepdims=True))) * w)


def shifted_read_elsewhere(x, w):
    shifted = x - np.max(x, axis=1, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return np.sum(out * w) + np.sum(shifted ** 2)


def exponentials_read_elsewhere(x, w):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * w) + 0.1 * np.sum(e)


def shift_along_other_axis(x, w):
    shifted = x - np.max(x, axis=0, keepdims=True)
    return np.sum((shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) * w)


def shift_of_other_values(x, y, w):
    shifted = x - np.max(y, axis=1, keepdims=True)
    return np.sum((shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) * w)


def changed_in_place(x, w):
    shifted = x - np.max(x, axis=1, keepdims=True)
    shifted[0] *= 2.0
    return np.sum((shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) * w)


def sum_read_otherwise(x, w):
    shifted = x - np.max(x, axis=1, keepdims=True)
    total = np.sum(np.exp(shifted), axis=1, keepdims=True)
    return np.sum((shifted - np.log(total)) * w) + np.sum(total)


def max_used_too(x, w):
    m = np.max(x, axis=1, keepdims=True)
    shifted = x - m
    return np.sum((shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) * w) + np.sum(m * m)


def loop_with_break(xs, w, stop):
    total = 0.0
    for t in range(xs.shape[0]):
        shifted = xs[t] - np.max(xs[t], axis=1, keepdims=True)
        if t == stop:
            break
        total = total - np.sum((shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) * w)
    return total


def early_return(x, w, flag):
    shifted = x - np.max(x, axis=1, keepdims=True)
    if flag:
        return np.sum(shifted * w)
    return np.sum((shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) * w)


def _args(rng, *extra):
    x = rng.standard_normal((4, 5))
    x[1, 2] = x[1, 3] = x[1].max() + 0.5  # a tie: the max's adjoint would be shared
    return [x, rng.standard_normal((4, 5)), *extra]


def test_log_softmax_and_softmax_need_no_adjoint_of_the_shift():
    rng = make_rng(0)
    for f in (cross_entropy, softmax_methods):
        check_modes(f, _args(rng), 0)
        src = ad.grad(f).source
        assert "reduce_extreme_vjp" not in src and "shifted = " not in src.split("# adjoint")[1]
        assert "reduce_jvp" not in ad.jvp(f).source


def test_a_shift_over_all_entries_and_a_number():
    rng = make_rng(1)
    check_modes(whole_array, _args(rng), 0)
    x, w = _args(rng)
    check_grad(number_shift, [x, 0.7, w], (0, 1))  # (the number's gradient is exactly 0)
    assert np.all(ad.grad(number_shift, wrt=1)(x, 0.7, w) == 0.0)


def test_not_applied_where_the_shift_matters():
    rng = make_rng(2)
    for f in (shifted_read_elsewhere, exponentials_read_elsewhere, shift_along_other_axis, changed_in_place,
              sum_read_otherwise):
        args = _args(rng)
        args[0][1, 3] -= 0.1  # (no tie where the derivative of the max is needed: differences are smooth)
        check_modes(f, args, 0, modes=("grad", "jvp", "hvp"))
        assert "reduce_extreme_vjp" in ad.grad(f).source, f.__name__
    x, w = _args(rng)
    y = x + 0.3 * rng.standard_normal(x.shape)
    check_grad(shift_of_other_values, [x, y, w], (0, 1))
    assert "reduce_extreme_vjp" in ad.grad(shift_of_other_values, wrt=(0, 1)).source


def test_the_max_used_elsewhere_keeps_that_derivative():
    rng = make_rng(3)
    x, w = _args(rng)
    x[1, 3] -= 0.1
    check_modes(max_used_too, [x, w], 0, modes=("grad", "jvp", "hvp"))
    src = ad.grad(max_used_too).source
    assert src.count("reduce_extreme_vjp") == 1  # (from m * m only)


def test_break_and_early_return():
    rng = make_rng(4)
    xs = rng.standard_normal((4, 3, 5))
    w = rng.standard_normal((3, 5))
    for stop in (0, 2, 9):
        check_grad(loop_with_break, [xs, w, stop], 0)
    x, w = _args(rng)
    x[1, 3] -= 0.1
    for flag in (True, False):
        check_grad(early_return, [x, w, flag], 0)
