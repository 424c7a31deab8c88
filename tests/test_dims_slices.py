"""Static shapes of slices, concatenations, made arrays and reductions along an axis (dims.py): where they
are certain the adjoint drops `_ad.unbroadcast` or writes its sum; a slice's width is UNKNOWN (it may be 1
and broadcast), so its own adjoint keeps the sum. Checked against central differences, with the same
compiled derivative reused for arguments of the same dimension pattern whose slice does broadcast."""
import numpy as np

import ad_compiler as ad
from fd import make_rng, numeric_grad
from modes_check import check_modes


def gates(W, b, V, xs):
    """An LSTM's step, the state made by np.zeros((B, H)), z a concatenation times W, its gates slices."""
    T, B, _ = xs.shape
    H = V.shape[0]
    h = np.zeros((B, H))
    c = np.zeros((B, H))
    total = 0.0
    for t in range(T):
        z = np.concatenate([xs[t], h], axis=1) @ W + b
        i = np.tanh(z[:, :H])
        f = np.tanh(z[:, H:2 * H])
        c = f * c + i
        h = np.tanh(c)
        total = total + np.sum(np.tanh(h @ V))
    return total


def gates_args(rng, B=3, I_=2, H=4, T=3, extra=0):
    W = 0.5 * rng.standard_normal((I_ + H, 2 * H + extra))
    return W, 0.1 * rng.standard_normal(2 * H + extra), rng.standard_normal((H, 5)), rng.standard_normal((T, B, I_))


def test_lstm_like_steps_lose_their_identity_unbroadcasts():
    rng = make_rng(0)
    args = gates_args(rng)
    for wrt in (0, 1, 2):
        check_modes(gates, args, wrt, modes=("grad", "jvp"))
    g = ad.grad(gates, wrt=("W", "b", "V"))
    g(*args)
    src = g.source
    assert "_ad.unbroadcast(bc_2, t" not in src and "unbroadcast(bz, b)" not in src  # (c's terms, the bias)
    assert "bb += bz.sum(axis=0)" in src  # (a sum alone is not batched after the loop: batch_sums.py)
    assert "bW += t11.T @ bz" in src and "t11_rows" not in src  # (nor the rows of a concatenation: UNKNOWN width)
    assert "bV += h_2_all.T @ bt17_all" in src  # (h's rows have a known shape: the state made by np.zeros)
    assert "unbroadcast(" in src  # (the gates' slices keep theirs: their width is not known)


def sliced(z, c):
    H = c.shape[1]
    s = z[:, H:2 * H]
    return np.sum(np.sin(s * c ** 2) + s)


def test_a_slice_that_broadcasts_in_a_derivative_compiled_for_one_that_does_not():
    rng = make_rng(1)
    g = ad.grad(sliced, wrt=("z", "c"))
    for z_cols, h in ((8, 3), (7, 6)):  # (the same dimension pattern; the second slice is one column wide)
        z, c = rng.standard_normal((4, z_cols)), rng.standard_normal((4, h))
        got = g(z, c)
        for k in (0, 1):
            np.testing.assert_allclose(got[k], numeric_grad(sliced, [z, c], k), rtol=1e-5, atol=1e-6)
    assert "unbroadcast" in g.source


def shifting(z):
    p = z[:, :1]
    total = 0.0
    for t in range(2):
        q = z[:, :t + 1]  # (a slice one column wider at each step: not the same shape as the last one)
        total = total + np.sum(np.cos(p * q))
        p = q
    return total


def column(x, w):
    B = x.shape[0]
    ones = np.ones((B, 1))
    k = x[:, :9].shape[1]  # (x's width, which dims.py does not know)
    return np.sum((ones * w) * x + np.zeros((B, k)) * w[:, :1] + np.sum(x * x, axis=-1, keepdims=True) * w[:, 1:2]
                  + np.cos(x.max(axis=0)) * w + x.sum(axis=1, keepdims=True) * np.zeros_like(x, None, "C", True, (1, 4)))


def stacked(x, y):
    parts = [x, y]
    parts.append(x * 2.0)  # (a list changed after it is made: its items are not what the concatenation reads)
    z = np.concatenate(parts, axis=0)
    return np.sum(np.sin(z) * np.zeros_like(x)[:1] + z * x[:1])


def test_where_shapes_are_not_certain():
    rng = make_rng(2)
    check_modes(shifting, [rng.standard_normal((3, 4))], 0, modes=("grad", "jvp"))
    x = rng.standard_normal((3, 4))
    check_modes(column, [x, rng.standard_normal((3, 4))], 1, modes=("grad", "jvp"))
    check_modes(column, [x, rng.standard_normal((1, 4))], 1, modes=("grad", "jvp"))  # (w broadcast along rows)
    check_modes(column, [x, rng.standard_normal((3, 4))], 0, modes=("grad",))
    check_modes(stacked, [x, rng.standard_normal((2, 4))], 0, modes=("grad", "jvp"))
    check_modes(stacked, [x, rng.standard_normal((2, 4))], 1, modes=("grad", "jvp"))


def like_with_a_shape(w):
    # (np.ones_like's fifth positional argument is the shape: not w's)
    return np.sum(np.sin(w * np.ones_like(w, None, "C", True, (3, 4))))


def test_a_like_given_its_shape_by_position():
    check_modes(like_with_a_shape, [make_rng(3).standard_normal((3, 1))], 0, modes=("grad", "jvp"))
