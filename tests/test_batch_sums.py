"""Sums of per-step products over a loop's adjoint made once after the loop (batch_sums.py): `bU += h.T @ g`
and `bb += g.sum(axis=0)` in every step become one product and one sum of the stacked rows. Each case against
finite differences (grad, jvp, hvp), with break, early return, branches, in-place updates, vector states,
zero-trip loops; and where it must not apply, that it does not."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
from test_lean import check_modes
from test_modes import assert_close, rnd


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def rnn_args(T, seed=0, B=2):
    r = np.random.default_rng(seed)
    return (r.standard_normal((3, 4)) * 0.5, r.standard_normal((4, 4)) * 0.4, r.standard_normal(4) * 0.1,
            r.standard_normal((T, B, 3)), r.standard_normal((B, 4)) * 0.1)


def after_loop(source):
    """The lines of the block making the sums: after the adjoint loop's `if ..._rows:`, or the loop's block
    run every 64 steps (`if t % 64 == 0:`)."""
    for marker in ("_rows:", " % 64 == 0:"):
        if marker in source:
            return source.split(marker, 1)[1]
    return ""


def test_rnn_weight_sums_are_made_after_the_loop():
    g = check_modes(rnn, rnn_args(5), wrt=(0, 1, 2, 4))
    src = g.source
    assert "bU += h_1_all.T @ bt7_all" in after_loop(src) and "bb += bt7_all.sum(axis=0)" in after_loop(src)
    assert "np.concatenate(bt7_rows)" in src


@pytest.mark.parametrize("T", [0, 1, 3])
def test_short_and_zero_trip_loops(T):
    args = rnn_args(T)
    got = ad.grad(rnn, wrt=(0, 1, 2, 4))(*args)
    if T == 0:  # (nothing was added: the adjoints of the weights are zeros, not an error)
        assert all(np.all(x == 0) for x in got[:3])
    check_modes(rnn, args, wrt=(0, 1, 2, 4))


def vector_rnn(W, U, b, xs, h0):
    h = h0  # a vector state: h.T @ g is an outer-product-free dot of vectors
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def test_vector_state():
    r = np.random.default_rng(1)
    args = (r.standard_normal((3, 4)) * 0.5, r.standard_normal((4, 4)) * 0.4, r.standard_normal(4) * 0.1,
            r.standard_normal((6, 3)), r.standard_normal(4) * 0.1)
    g = check_modes(vector_rnn, args, wrt=(0, 1, 2, 4))
    g(*args)


def rnn_break(W, U, b, xs, h0, limit):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
        if np.sum(h) > limit:
            break
    return np.sum(h ** 2)


@pytest.mark.parametrize("limit", [-10.0, 0.0, 10.0])
def test_break(limit):
    args = rnn_args(6) + (limit,)
    check_modes(rnn_break, args, wrt=(0, 1, 2))


def rnn_return(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
        if np.sum(h) > 0.3:
            return np.sum(h ** 3)
    return np.sum(h ** 2)


def test_early_return():
    for seed in range(3):
        check_modes(rnn_return, rnn_args(6, seed), wrt=(0, 1, 2))


def rnn_branch(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        a = xs[t] @ W + h @ U
        if t % 2 == 0:
            h = np.tanh(a + b)
        else:
            h = np.tanh(a - b) * 0.5
    return np.sum(h ** 2)


def test_branches_in_the_step():
    check_modes(rnn_branch, rnn_args(5), wrt=(0, 1, 2, 4))


def rnn_in_place(W, U, b, xs, h0):
    h = h0.copy()
    for t in range(xs.shape[0]):
        a = xs[t] @ W + h @ U + b
        h = np.tanh(a)
        h[0] = h[0] * 2.0  # an in-place update in the step
    return np.sum(h ** 2)


def test_in_place_updates_in_the_step():
    check_modes(rnn_in_place, rnn_args(4), wrt=(0, 1, 2, 4))


def rnn_alias(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        z = h @ U
        h2 = z  # an alias
        h = np.tanh(xs[t] @ W + h2 + b) + z * 0.1
    return np.sum(h ** 2)


def test_aliases_in_the_step():
    check_modes(rnn_alias, rnn_args(4), wrt=(0, 1, 2, 4))


def two_weights(W, U, V, xs, h0):
    h = h0
    g = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
        g = np.sin(h @ V + g @ U)  # U used twice per step, with different rows
    return np.sum(g ** 2) + np.sum(h)


def test_a_weight_used_twice_per_step():
    r = np.random.default_rng(2)
    args = (r.standard_normal((3, 4)) * 0.5, r.standard_normal((4, 4)) * 0.4, r.standard_normal((4, 4)) * 0.4,
            r.standard_normal((5, 2, 3)), r.standard_normal((2, 4)) * 0.1)
    g = check_modes(two_weights, args, wrt=(0, 1, 2, 4))
    assert "_all" in after_loop(g.source)


def nested(W, U, xs, h0):
    h = h0
    for s in range(2):
        for t in range(xs.shape[0]):  # (an inner loop: its adjoint is not at the top level)
            h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h ** 2)


def test_nested_loops():
    r = np.random.default_rng(3)
    args = (r.standard_normal((3, 4)) * 0.5, r.standard_normal((4, 4)) * 0.4, r.standard_normal((3, 2, 3)),
            r.standard_normal((2, 4)) * 0.1)
    check_modes(nested, args, wrt=(0, 1, 3))


def test_the_sums_equal_the_per_step_ones():
    args = rnn_args(30, B=5)
    got = ad.grad(rnn, wrt=(0, 1, 2))(*args)
    W, U, b, xs, h0 = args  # backpropagation through time written out, summing per step
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(xs[t] @ W + hs[-1] @ U + b))
    dW, dU, db, dh = 0 * W, 0 * U, 0 * b, 2.0 * hs[-1]
    for t in reversed(range(xs.shape[0])):
        da = dh * (1.0 - hs[t + 1] ** 2)
        dW, dU, db, dh = dW + xs[t].T @ da, dU + hs[t].T @ da, db + da.sum(axis=0), da @ U.T
    assert_close(got, (dW, dU, db), rtol=1e-12, atol=1e-12)


def test_other_sizes_of_the_same_pattern():
    g = ad.grad(rnn, wrt=(0, 1, 2))
    for T, B in ((4, 2), (7, 5)):
        args = rnn_args(T, B=B)
        assert_close(g(*args), ad.grad(rnn, wrt=(0, 1, 2))(*args), rtol=1e-12, atol=1e-12)


def elementwise_weights(w, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h * w + xs[t])  # no product or sum of the rows: nothing to make after the loop
    return np.sum(h)


def test_nothing_to_batch_leaves_the_loop_alone():
    g = check_modes(elementwise_weights, (rnd(4), rnd(5, 4), rnd(4)), wrt=(0, 2))
    assert "_rows" not in g.source


@pytest.mark.parametrize("T", [63, 64, 65, 130])
def test_sums_are_made_every_64_steps(T):
    args = rnn_args(T, B=1)
    g = check_modes(rnn, args, wrt=(0, 1, 2, 4), hvp=T == 65)
    src = g.source
    assert "if t % 64 == 0:" in src and "bt7_rows = []" in after_loop(src)


def test_the_kept_rows_are_bounded():
    """The lists hold at most 64 steps' rows: the gradient's peak memory grows like the tape (one state per
    step) and the batched input products, not like twice more (the rows and their stacked copies)."""
    import tracemalloc

    def peak(T):
        args = rnn_args(T, B=8)
        g = ad.grad(rnn, wrt=(0, 1, 2))
        g(*args)
        tracemalloc.start()
        g(*args)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    state = 8 * 4 * 8  # bytes of one step's hidden state
    small, large = peak(200), peak(1200)
    assert (large - small) / 1000 < 4.5 * state, (large - small) / 1000 / state  # (without the chunks: 6.5)


def test_batched_rows_adjoint_is_a_store_into_zeros():
    """Each step's row adjoint goes into its own row of zeros, once: a store, not an add."""
    g = check_modes(rnn, rnn_args(5), wrt=(0, 1, 2, 4))
    assert "bt4_all[t] = bt7" in g.source and "bt4_all[t] +=" not in g.source


def rnn_twice(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b) + 0.5 * np.tanh(xs[t] @ W)  # the row read twice in a step
    return np.sum(h ** 2)


def rnn_stop(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
        if np.sum(h) > 1.5:
            break
    return np.sum(h ** 2)


@pytest.mark.parametrize("f", [rnn_twice, rnn_stop])
def test_batched_rows_read_twice_or_left_by_break(f):
    check_modes(f, rnn_args(6), wrt=(0, 1, 2, 4))


# -- explore seed 1515: a row store between the zeros and the loop (`bx[1] = g`) was overwritten by the loop's
#    first-row stores (`bx[i] = ...` instead of `bx[i] += ...`): every program reading x[i] in a comprehension
#    and x[1] elsewhere lost x[1]'s other contribution -----------------------------------------------------
def rows_and_one_more(x):
    items = [x[i] for i in range(len(x))]
    c = 1.0
    c += np.mean([1.0, x[1], items[0]])
    return c + np.sum(items) * 0.5


def rows_after_helper(x, s):
    x *= s
    items = [x[i] for i in range(len(x))]
    return np.sum(items) + x[1]


def test_a_row_stored_before_the_loop_is_added_to_not_overwritten():
    from fd import numeric_grad
    x = np.array([1.552, 0.978, 1.685])
    np.testing.assert_allclose(ad.grad(rows_and_one_more)(x.copy()), numeric_grad(rows_and_one_more, (x,), 0),
                               rtol=1e-6)
    s = 0.355
    for i in (0, 1):
        want = numeric_grad(lambda a, b: rows_after_helper(a.copy(), b), (x, s), i)
        np.testing.assert_allclose(ad.grad(rows_after_helper, wrt=i)(x.copy(), s), want, rtol=1e-6)


def bias_only(b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] * h + b)
    return np.sum(h ** 2)


def test_a_sum_alone_stays_in_the_loop():
    # (batching it would keep every step's rows alive to save one NumPy call a step: measured slower)
    rng = np.random.default_rng(3)
    args = (rng.standard_normal(4), rng.standard_normal((5, 3, 4)), rng.standard_normal((3, 4)))
    g = ad.grad(bias_only, wrt=0)
    np.testing.assert_allclose(g(*args), numeric_grad(bias_only, args, 0), rtol=1e-6, atol=1e-8)
    assert ".sum(axis=0)" in g.source and "_rows" not in g.source

