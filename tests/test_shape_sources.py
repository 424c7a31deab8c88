"""shape_sources.py: a value the adjoint reads only for its shape and dtype (`getitem_vjp`'s array) read from an
operand proven of the same shape and dtype, so that the forward sweep neither keeps nor computes it. Checked
against central differences where it applies and where it must not (operands that broadcast, dtypes that
differ, stores into the value or the operand, repeated indices)."""
import re

import numpy as np

import ad_compiler as ad
from fd import make_rng, numeric_grad
from modes_check import check_modes


def lm(W, V, xs, targets):
    """A recurrent language model's log-softmax read at the targets: its output is read for its shape only."""
    T, B, _ = xs.shape
    rows = np.arange(B)
    h = np.zeros((B, W.shape[1]))
    total = 0.0
    for t in range(T):
        h = np.tanh(xs[t] @ W + h)
        logits = h @ V
        shifted = logits - np.max(logits, axis=1, keepdims=True)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        total = total - np.sum(logp[rows, targets[t]])
    return total


def lm_args(rng, T=3, B=4, I_=3, H=5, vocab=6):
    return (0.5 * rng.standard_normal((I_, H)), rng.standard_normal((H, vocab)), rng.standard_normal((T, B, I_)),
            rng.integers(0, vocab, size=(T, B)))


def _reads(g, name):
    return re.search(r"getitem_vjp\([^,]+, " + name + ",", g.source) is not None


def test_log_softmax_output_is_neither_kept_nor_computed():
    args = lm_args(make_rng(0))
    for wrt in (0, 1):
        check_modes(lm, args, wrt, modes=("grad", "hvp"))
    g = ad.grad(lm, wrt=("W", "V"))
    g(*args)
    forward = g.source.split("# adjoint")[0]
    assert _reads(g, "shifted") and "np.log(" not in forward
    assert "_ad.shape_of(shifted)" in g.source


def repeated(x):
    y = x - np.max(x, axis=1, keepdims=True)
    return np.sum(y[[0, 0, 1], [1, 1, 2]] ** 2)


def test_repeated_indices_still_add_up():
    x = make_rng(1).standard_normal((3, 4))
    g = ad.grad(repeated)
    np.testing.assert_allclose(g(x), numeric_grad(repeated, (x,), 0), rtol=1e-6, atol=1e-8)
    assert _reads(g, "x")


def broadcast_operand(x):
    m = np.max(x, axis=1, keepdims=True)
    y = m - np.exp(x)
    return np.sum(y[[0, 2], [1, 3]] ** 2)


def neither_operand(x):
    a = np.sum(x, axis=1, keepdims=True)
    b = np.sum(x, axis=0, keepdims=True)
    y = a * b
    return np.sum(y[[0, 2], [1, 3]] ** 2)


def test_an_operand_that_broadcasts_is_not_the_source():
    x = make_rng(2).standard_normal((3, 4))
    g = ad.grad(broadcast_operand)
    np.testing.assert_allclose(g(x), numeric_grad(broadcast_operand, (x,), 0), rtol=1e-6, atol=1e-8)
    assert not _reads(g, "m")
    g = ad.grad(neither_operand)  # (y has x's shape, but neither operand has it)
    np.testing.assert_allclose(g(x), numeric_grad(neither_operand, (x,), 0), rtol=1e-6, atol=1e-8)
    assert not _reads(g, "a") and not _reads(g, "b")


def mixed(x, w):
    y = x - w
    return np.sum(y[[0, 1], [2, 0]] ** 2)


def test_operands_of_different_dtypes_are_not_the_source():
    rng = make_rng(3)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4))
    g = ad.grad(mixed, wrt="w")
    got = g(x, w)
    y = x.astype(np.float64) - w  # (float32 zeros would round the adjoint to 1e-7)
    want = np.zeros((3, 4))
    for i, j in ((0, 2), (1, 0)):
        want[i, j] = -2.0 * y[i, j]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert not _reads(g, "x") and not _reads(g, "w")


def stored_value(x):
    y = x - np.max(x, axis=1, keepdims=True)
    y[0, 0] = 1.0
    return np.sum(y[[0, 1], [0, 2]] ** 2)


def stored_operand(x):
    a = x * 1.0
    y = a - np.max(a, axis=1, keepdims=True)
    a[0, 0] = 5.0
    return np.sum(y[[0, 1], [0, 2]] ** 2) + np.sum(a ** 2)


def view_operand(x):
    v = x.T
    y = v - np.max(v, axis=1, keepdims=True)
    return np.sum(y[[0, 3], [1, 2]] ** 2)


def test_stores_and_views():
    x = make_rng(4).standard_normal((3, 4))
    for f in (stored_value, stored_operand, view_operand):
        check_modes(f, (x,), 0, modes=("grad",))
    g = ad.grad(stored_operand)
    g(x)
    assert not _reads(g, "a")
