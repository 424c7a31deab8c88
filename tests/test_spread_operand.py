"""A sum's adjoint beside the summed array itself stays reduced (spread.py, `_beside_operand`): in
`bt40 = _ad.unreduce(bt41, t40, 1, True); ... bt40 * t40` broadcasting spreads bt41 over t40's shape, and a
full sum's number is spread by getitem_vjp's store. Checked against central differences in every mode, and
where it must not apply (another operand, a mean, a sum without keepdims)."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes


def log_sum_exp_rows(x, w):
    e = np.exp(x)
    return np.sum(np.log(np.sum(e, axis=1, keepdims=True)) * w)


def picked(x, rows, cols):
    return -np.sum(np.tanh(x)[rows, cols])


def other_operand(x, w):
    y = np.sin(x)
    return np.sum(np.log(np.sum(y * y, axis=1, keepdims=True) + 1.0) * w)


def without_keepdims(x, w):
    e = np.exp(x)
    return np.sum(np.log(np.sum(e, axis=0)) * w[0])


def mean_rows(x, w):
    e = np.exp(x)
    return np.sum(np.log(np.mean(e, axis=1, keepdims=True)) * w)


def _x(rng):
    return 0.5 * rng.standard_normal((4, 5))


def test_a_sum_beside_its_array_stays_reduced():
    rng = make_rng(0)
    x, w = _x(rng), rng.standard_normal((4, 1))
    check_modes(log_sum_exp_rows, [x, w], 0)
    src = ad.grad(log_sum_exp_rows).source
    assert "unreduce(bt1" not in src and "bx = bt1 * e" in src
    rows, cols = np.arange(4), np.array([1, 0, 4, 4])
    check_modes(picked, [x, rows, cols], 0, modes=("grad", "jvp", "hvp"))
    check_grad(picked, [x, np.array([0, 0, 3]), np.array([2, 2, 1])], 0)  # (an entry picked twice)
    assert "unreduce" not in ad.grad(picked).source


def test_not_beside_its_own_array():
    rng = make_rng(1)
    x, w = _x(rng), rng.standard_normal((4, 1))
    for f, v in ((other_operand, w), (without_keepdims, rng.standard_normal((1, 5))), (mean_rows, w)):
        check_modes(f, [x, v], 0, modes=("grad", "jvp", "hvp"))
        assert "unreduce" in ad.grad(f).source, f.__name__
