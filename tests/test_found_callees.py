"""A recursive function or one wrapped in ad.checkpoint is compiled on its own and called by the derivative: its
result may be an argument itself or a view of one (a base case `return h`, `return W[0]`). A change in place
of that argument (or of the result) made after the call is seen through the other name: each program here
gives the right gradient or a located refusal (these were silently wrong: the result was taken for new
memory)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

rng = np.random.default_rng(7)


def rec_id(h, n):
    if n <= 0:
        return h
    return rec_id(h, n - 1)


def rec_view(h, n):
    if n <= 0:
        return h[1:]
    return rec_view(h, n - 1)


def rec_tanh(h, W, n):
    if n <= 0:
        return h
    return rec_tanh(np.tanh(h @ W), W, n - 1)


@ad.checkpoint
def same(h):
    return h


@ad.checkpoint
def tail(h):
    return h[1:]


@ad.checkpoint
def row(h, W):
    return W[0]


def rec_pair(h, W, n):
    if n <= 0:
        return h, W
    return rec_pair(h * 2.0, W, n - 1)


@ad.checkpoint
def pair(h, W):
    return [W, h]


def store_after_recursive_pair(x, W):
    A = W * 1.0
    h, B = rec_pair(x, A, 2)
    A[0, 0] = 3.0
    return np.sum(B @ h)


def store_after_checkpointed_list(x, W):
    A = W * 1.0
    L = pair(x, A)
    A[1, 0] = 3.0
    return np.sum(L[0] @ L[1])


def list_grown_after_a_recursive_call_returned_it(x, W):
    y = x * 1.0
    L = [y]
    z = rec_id(L, 1)
    L.append(x * 2.0)
    return np.sum(z[-1] * x)


def store_after_recursive_identity(x, W):
    y = x * 1.0
    z = rec_id(y, 2)
    y[0] = 5.0
    return np.sum(z * x)


def store_after_recursive_view(x, W):
    y = x * 1.0
    v = rec_view(y, 2)
    y[1] = y[1] * 7.0
    return np.sum(v * x[1:])


def result_changed_after_recursive_identity(x, W):
    y = x * 1.0
    z = rec_id(y, 1)
    z *= 3.0
    return np.sum(y * x)


def store_after_checkpointed_identity(x, W):
    y = x * 1.0
    z = same(y)
    y[0] = 5.0
    return np.sum(z * x)


def store_after_checkpointed_view(x, W):
    y = x * 1.0
    v = tail(y)
    y[1] = y[1] * 7.0
    return np.sum(v * x[1:])


def store_into_second_argument_after_checkpoint(x, W):
    A = W * 1.0
    r = row(x, A)
    A[0, 1] = 9.0
    return np.sum(r * x)


WRONG_BEFORE = [store_after_recursive_identity, store_after_recursive_view, result_changed_after_recursive_identity,
                store_after_checkpointed_identity, store_after_checkpointed_view,
                store_into_second_argument_after_checkpoint, store_after_recursive_pair, store_after_checkpointed_list,
                list_grown_after_a_recursive_call_returned_it]


def check_right_or_located(f, x, W):
    try:
        gx, gW = ad.grad(f, wrt=("x", "W"))(x.copy(), W.copy())
    except ad.ADError as exc:
        assert exc.where is not None and exc.where.filename.endswith("test_found_callees.py"), str(exc)
        return "refused"
    np.testing.assert_allclose(gx, numeric_grad(f, (x.copy(), W.copy()), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gW, numeric_grad(f, (x.copy(), W.copy()), 1), rtol=1e-6, atol=1e-8)
    return "right"


@pytest.mark.parametrize("f", WRONG_BEFORE, ids=[f.__name__ for f in WRONG_BEFORE])
def test_a_change_after_a_call_compiled_on_its_own_is_right_or_refused(f):
    check_right_or_located(f, rng.standard_normal(3), rng.standard_normal((3, 3)) * 0.5)


def recursion_as_usual(x, W):
    return np.sum(rec_tanh(x, W, 3) ** 2)


def recursion_then_new_values(x, W):
    y = x * 1.0
    z = rec_tanh(y, W, 0)
    w = z * 2.0
    y[0] = 1.0
    return np.sum(w * y)


def checkpoint_as_usual(x, W):
    h = same(np.tanh(x @ W))
    return np.sum(tail(h) ** 2) + np.sum(row(h, W) * x)


@pytest.mark.parametrize("f", [recursion_as_usual, recursion_then_new_values, checkpoint_as_usual])
def test_what_reads_no_changed_value_still_works(f):
    assert check_right_or_located(f, rng.standard_normal(3), rng.standard_normal((3, 3)) * 0.5) == "right"
