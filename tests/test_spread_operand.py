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
        # (other_operand's sum of products has a rule of its own, no unreduce; the unreduce its source had was the
        # outer full sum's, beside `w` of the same shape, which dims.py now knows from the keepdims sum)
        assert f is other_operand or "unreduce" in ad.grad(f).source, f.__name__


# a full sum of an item of a list or dict: the number must not be stored into the container's adjoint as the
# item's (explore seed 2222: crashes in unreduce_mean, reshape, len, item assignment)
def sum_of_a_list_item(s, alpha):
    M = np.stack([np.arange(3.0), [alpha, alpha, alpha]])
    M *= s
    parts = []
    parts.append(M.mean(axis=0))
    u = parts[-1]
    return np.sum(u)


def sum_of_a_dict_item(x):
    dd = {"w": x * 2.0}
    items = [1, x]
    return np.sum(dd["w"]) + np.sum(items[1])


def sum_of_a_product_in_a_list(W, a):
    L = [np.outer(a, W), W, W]
    return np.sum(L[0])


def test_full_sum_of_a_container_item():
    check_modes(sum_of_a_list_item, (-0.639, 0.352), 0, modes=("grad", "jvp", "hvp"))
    x = np.array([0.3, -0.5, 0.9])
    check_modes(sum_of_a_dict_item, (x,), 0, modes=("grad", "jvp", "hvp"))
    check_modes(sum_of_a_product_in_a_list, (x, np.array([0.2, 0.7])), 0, modes=("grad", "jvp"))
    check_modes(sum_of_a_product_in_a_list, (x, np.array([0.2, 0.7])), 1, modes=("grad", "jvp"))
