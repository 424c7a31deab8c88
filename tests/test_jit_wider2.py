"""jit=True (docs/jit.md), jit9: what the compiled subset refused that it now compiles exactly (explore --jit
seed 98): reads and stores by index arrays, np.array / np.stack of numbers and of lists of rows, sums of rows
and of lists, slices of lists. Each checked against central differences and the plain derivative; few
functions, each combining several constructs (Numba's compile time is the suite's cost). Skipped without
Numba."""
import os

import numpy as np
import pytest

import ad_compiler as ad

numba = pytest.importorskip("numba")
from test_jit import check_jit_grad  # noqa: E402 (after the skip: test_jit needs numba too)

# the full programs below compile in ~20 s of CPU: run with AD_JIT_EXHAUSTIVE=1; by default the small ones
EXHAUSTIVE = bool(os.environ.get("AD_JIT_EXHAUSTIVE"))
exhaustive = pytest.mark.skipif(not EXHAUSTIVE, reason="set AD_JIT_EXHAUSTIVE=1 (Numba compile time)")
V = np.array([0.3, -1.2, 0.7, 1.9])
W = np.arange(12.0).reshape(3, 4) / 5 - 1.1


def index_arrays(x, W, idx, m):
    a = np.sum(x[idx] ** 2) + x[[2, 0, 2]][1] * np.sum(np.tanh(W[:, idx])) + np.sum(W[1, idx] * x)
    y = W * 1.0
    y[idx[[0, 1, 0]] % 3] = x[:3, None] * x  # (rows 2, 0, 2: the last write to row 2 is the one kept)
    z = x * 2.0
    z[m] = z[m] ** 2
    return a + np.sum(y * W) + np.sum(z * x)


@exhaustive
def test_reads_and_stores_by_index_arrays():
    args = (V, W, np.array([2, 0, -2, 3]), np.array([True, False, True, True]))
    check_jit_grad(index_arrays, args, (0, 1))
    source = ad.grad(index_arrays, wrt=(0, 1), jit=True).source
    assert "_ad.jit.add_at(bW, (slice(None, None, None), idx), " in source and "x[np.array(t" in source
    assert "_ad.jit.store_fancy(" in source


def pieces(x, s, F):
    u = np.array(x)  # (a copy: changing it leaves x as it is)
    u[1:] = u[1:] * s
    y = np.stack([0.1, s, x[0]])
    rows = [x * s, np.cos(x)]
    A = np.array(rows)
    G = np.array(F)  # (C order: its reshape is a view, changed through r; see the next test for others)
    r = G.reshape(-1)
    r[0] = r[0] * 3.0
    xs = [x[0] * s, s, x[1] ** 2, x[2]]
    tail = xs[1:3]
    pair = (x * 2.0, s)  # (a tuple of items of two types: its adjoint a tuple too)
    return (np.sum(pair[0] * x) + np.sum(u * x) + np.sum(y ** 2) + np.sum(A ** 2) + np.sum(sum(rows) ** 2)
            + np.sum(G * F) + np.sum(r) + tail[1] * tail[0] ** 3)


@exhaustive
def test_arrays_made_of_pieces():
    check_jit_grad(pieces, (V, 0.7, W[:2, :2] + 0.5), (0, 1, 2))
    source = ad.grad(pieces, wrt=(0, 1, 2), jit=True).source
    assert "_ad.jit.array(" in source and "_ad.jit.stack(" in source and "_ad.jit.builtin_sum(" in source


def test_np_array_copies_in_numpys_order():
    from ad_compiler import jit_runtime

    @numba.njit
    def copy(x):
        return jit_runtime.array(x)
    base = np.arange(20.0).reshape(4, 5)
    for x in (base, base.T, base[:, ::2], base.T[::-1, 1:], base[::-1], np.asfortranarray(base)[:, 1:]):
        got, want = copy(x), np.array(x)
        np.testing.assert_array_equal(got, want)
        assert (got.flags.c_contiguous, got.flags.f_contiguous) == (want.flags.c_contiguous, want.flags.f_contiguous)


def along_axes(W):
    return (np.sum(np.max(W, axis=0) ** 2) + np.sum(np.std(W, axis=1, keepdims=True) * W) + np.sum(W.prod(axis=0))
            + np.var(W[1], axis=-1))  # (a vector along its axis: all of it)


@exhaustive
def test_max_std_prod_along_an_axis():
    W3 = np.array([[0.3, -1.2, 0.7, 1.9], [1.1, 0.4, -0.5, 0.2], [0.6, 0.9, -1.3, 0.8]])
    check_jit_grad(along_axes, (W3,), 0)
    assert ad.grad(along_axes, jit=True).source.count("_ad.jit.reduce_axis(") >= 3


# -- the small programs (the suite's) --------------------------------------------------------------------------
def small(x, W, idx, s):
    z = x * 1.0
    z[idx[[0, 1, 0]]] = x[:3] ** 2  # (positions 2, 0, 2: the last write to 2 is the one kept)
    u = np.array(x)
    u[1:] = u[1:] * s
    pair = (np.stack([0.1, s, x[0]]), s)
    return (np.sum(x[idx] ** 2) + x[[2, 0, 2]][1] + np.sum(z * x) + np.sum(u * x) + np.sum(pair[0] ** 2) * s
            + np.sum(np.max(W, axis=0) ** 2))


def test_index_arrays_pieces_and_an_axis():
    check_jit_grad(small, (V, W, np.array([2, 0, -2, 3]), 0.7), (0, 1, 3))
    source = ad.grad(small, wrt=(0, 1, 3), jit=True).source
    assert "_ad.jit.store_fancy(" in source and "_ad.jit.array(" in source and "_ad.jit.reduce_axis(" in source
