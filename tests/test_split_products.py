"""Only the used pieces of a concatenation's adjoint, each from its slice of the product's other factor
(split_products.py). Checked against central differences in every mode: pieces cut along columns and rows,
on either side of the product, batched, in a loop (an LSTM-like step), and where the rewrite must not apply
(every piece used; the list's length unknown)."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes


def columns(h, x, W):
    return np.sum(np.tanh(np.concatenate([x, h], axis=1) @ W))


def columns_last_axis(h, x, W):
    return np.sum(np.sin(np.concatenate([h, x, h * h], axis=-1) @ W))


def rows(h, x, W):
    return np.sum(np.tanh(np.concatenate([x, h], axis=0) @ W) ** 2)


def right_factor(h, x, A):
    return np.sum(np.cos(A @ np.concatenate([h, x], axis=0)))


def right_factor_columns(h, x, A):
    return np.sum(np.cos(A @ np.concatenate([x, h], axis=1)))


def batched(h, x, W):
    return np.sum(np.tanh(np.concatenate([x, h], axis=-1) @ W))


def recurrent(h, xs, W):
    for t in range(xs.shape[0]):
        h = np.tanh(np.concatenate([xs[t], h], axis=1) @ W)
    return np.sum(h ** 2)


def every_piece(h, x, W):
    return np.sum(np.tanh(np.concatenate([x * h, h], axis=1) @ W))


def unknown_length(h, parts, W):
    return np.sum(np.tanh(np.concatenate(parts + [h], axis=1) @ W))


def test_pieces_along_columns_and_rows():
    rng = make_rng(0)
    h, x = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    check_modes(columns, [h, x, rng.standard_normal((6, 5))], 0)
    check_grad(columns, [h, x, rng.standard_normal((6, 5))], (0, 2))
    check_modes(columns_last_axis, [h, x, rng.standard_normal((10, 5))], 0)
    x2 = rng.standard_normal((2, 4))
    check_modes(rows, [h, x2, rng.standard_normal((4, 3))], 0)
    check_modes(right_factor, [h, x2, rng.standard_normal((2, 5))], 0)
    check_modes(right_factor_columns, [h, x, rng.standard_normal((5, 3))], 0)
    for f in (columns, columns_last_axis, rows, right_factor, right_factor_columns):
        src = ad.grad(f).source
        assert "_ad.piece_slice(" in src and "split_along" not in src, f.__name__


def test_batched_and_in_a_loop():
    rng = make_rng(1)
    h, x = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 2))
    check_modes(batched, [h, x, rng.standard_normal((6, 5))], 0, modes=("grad", "jvp", "hvp"))
    assert "_ad.piece_slice(" in ad.grad(batched).source
    h, xs, W = rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 2)), 0.5 * rng.standard_normal((6, 4))
    check_grad(recurrent, [h, xs, W], (0, 2))
    check_modes(recurrent, [h, xs, W], 0, modes=("grad", "jvp", "hvp"))
    assert "_ad.piece_slice(" in ad.grad(recurrent, wrt=(0, 2)).source


def test_not_applied_when_every_piece_is_used_or_the_length_unknown():
    rng = make_rng(2)
    h, x, W = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((8, 5))
    check_modes(every_piece, [h, x, W], 0, modes=("grad", "jvp", "hvp"))
    assert "split_along" in ad.grad(every_piece).source
    check_grad(columns, [h, rng.standard_normal((3, 2)), rng.standard_normal((6, 5))], (0, 1))
    assert "split_along" in ad.grad(columns, wrt=(0, 1)).source
    parts = [rng.standard_normal((3, 2)), rng.standard_normal((3, 1))]
    check_grad(unknown_length, [h, parts, rng.standard_normal((7, 5))], 0)
