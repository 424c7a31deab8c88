"""An array's adjoint built from its slices' adjoints as one call (join_slices.py, runtime.join_slices).
Checked against central differences in every mode (and reverse over reverse, which reads the helper's
rules): gates cut from one array as an LSTM does, in a loop; slices that do not tile the axis (gaps,
overlaps, negative bounds: the helper falls back to the stores); and where the rewrite must not apply or
must stay exact (a break, an early return, an in-place change of the array, a view written through, a
slice's value read twice)."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import runtime
from fd import check_grad, make_rng
from modes_check import check_modes


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gates(z, c):
    H = c.shape[1]
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H:2 * H])
    g = np.tanh(z[:, 2 * H:])
    return np.sum(f * c + i * g)


def lstm_like(W, xs, c):
    H = c.shape[1]
    h = np.zeros_like(c)
    for t in range(xs.shape[0]):
        z = np.concatenate([xs[t], h], axis=1) @ W
        i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 2 * H:3 * H])
        c = f * c + i * np.tanh(z[:, 3 * H:])
        h = o * np.tanh(c)
    return np.sum(h ** 2)


def gaps(z):
    return np.sum(np.sin(z[:, :2]) * 2.0) + np.sum(np.cos(z[:, 3:]))


def overlaps(z):
    return np.sum(np.sin(z[:, :3]) ** 2) + np.sum(np.cos(z[:, 2:]))


def negative_bounds(z):
    return np.sum(np.sin(z[:, -2:])) + np.sum(np.tanh(z[:, :-2]) ** 2)


def rows(z):
    return np.sum(np.sin(z[:1, :]) ** 2) + np.sum(np.exp(z[1:, :]) * 0.5)


def with_break(z, n):
    total = 0.0
    for k in range(n):
        total = total + np.sum(np.sin(z[:, :2]) * k) + np.sum(np.cos(z[:, 2:]))
        if total > 3.0:
            break
    return total


def early_return(z):
    a = np.sum(np.sin(z[:, :2]))
    if a > 0.0:
        return a * np.sum(np.cos(z[:, 2:]))
    return np.sum(z[:, 2:] ** 2)


def changed_in_place(z):
    z = z * 1.0
    a = np.sin(z[:, :2])
    z[:, 2:] *= 3.0  # (the array read in slices changes between the slices)
    b = np.cos(z[:, 2:])
    return np.sum(a * 2.0) + np.sum(b ** 2)


def through_a_view(z):
    z = z * 1.0
    v = z[:, :2]
    a = np.tanh(v) ** 2
    v[0, 0] = 1.5  # (written through the view: z changes)
    return np.sum(a) + np.sum(np.sin(z[:, :2])) + np.sum(np.cos(z[:, 2:]))


def read_twice(z):
    a = z[:, :2]
    b = z[:, 2:]
    return np.sum(a * a) + np.sum(np.sin(b) * np.sum(a))


def test_gates_joined_in_every_mode():
    rng = make_rng(0)
    z, c = rng.standard_normal((3, 12)), rng.standard_normal((3, 4))
    check_modes(gates, [z, c], 0)
    src = ad.grad(gates).source
    assert "_ad.join_slices(z, 1" in src and "zeros_like" not in src, src


def test_lstm_like_loop():
    rng = make_rng(1)
    W, xs, c = 0.5 * rng.standard_normal((5, 12)), rng.standard_normal((4, 2, 2)), rng.standard_normal((2, 3))
    check_grad(lstm_like, [W, xs, c], (0, 2))
    check_modes(lstm_like, [W, xs, c], 0, modes=("grad", "jvp", "hvp"))
    assert "_ad.join_slices(" in ad.grad(lstm_like, wrt=(0, 2)).source


def test_reverse_over_reverse_reads_the_rules():
    rng = make_rng(2)
    z, c, w = rng.standard_normal((3, 12)), rng.standard_normal((3, 4)), rng.standard_normal((3, 12))
    dgates = ad.grad(gates)
    assert "_ad.join_slices(" in dgates.source

    def weighted(z, c, w):
        return np.sum(dgates(z, c) * w)

    check_grad(weighted, [z, c, w], 0)


@pytest.mark.parametrize("f", [gaps, overlaps, negative_bounds, rows])
def test_slices_that_may_not_tile(f):
    rng = make_rng(3)
    z = rng.standard_normal((3, 5))
    check_modes(f, [z], 0, modes=("grad", "jvp", "hvp"))
    check_grad(f, [z], 0)


@pytest.mark.parametrize("f, extra", [(with_break, (4,)), (early_return, ()), (changed_in_place, ()),
                                      (through_a_view, ()), (read_twice, ())])
def test_control_flow_in_place_changes_and_aliases(f, extra):
    rng = make_rng(4)
    for seed in (0, 1):
        z = make_rng(seed + 10).standard_normal((3, 5)) * (0.3 if seed else 1.0)
        check_grad(f, [z, *extra], 0)
    check_modes(f, [rng.standard_normal((3, 5)), *extra], 0, modes=("grad", "jvp", "hvp"))


def reference(x_shape, axis, bounds, values):
    """Zeros with the first value stored at its slice and the others added (what the stores did)."""
    out = np.zeros(x_shape)
    head = (slice(None),) * axis
    for k, ((lo, hi), v) in enumerate(zip(bounds, values)):
        if k == 0:
            out[head + (slice(lo, hi),)] = v
        else:
            out[head + (slice(lo, hi),)] = out[head + (slice(lo, hi),)] + v
    return out


@pytest.mark.parametrize("bounds", [
    ((3, None), (None, 1), (1, 3)),  # tiles, out of order
    ((None, 2), (2, 2), (2, None)),  # an empty slice among them
    ((None, 2), (3, None)),  # a gap
    ((None, 3), (2, None)),  # an overlap
    ((-2, None), (None, -2)),  # negative bounds
    ((None, 9), (9, None)),  # past the end
    ((None, 5),),
])
def test_runtime_helper_against_the_stores(bounds):
    rng = make_rng(5)
    x = rng.standard_normal((2, 5, 3))
    values = [rng.standard_normal(np.shape(x[:, slice(lo, hi)])) for lo, hi in bounds]
    for like in (x, runtime.ShapeOf(x)):
        got = runtime.join_slices(like, 1, bounds, values)
        np.testing.assert_array_equal(got, reference(x.shape, 1, bounds, values))
        assert got.dtype == np.float64 and all(not np.shares_memory(got, v) for v in values)


def test_runtime_helper_broadcast_values_and_other_dtypes():
    x = np.zeros((2, 4), dtype=np.float32)
    got = runtime.join_slices(x, 1, ((None, 2), (2, None)), [np.float32(1.5), np.ones((2, 2), np.float32)])
    np.testing.assert_array_equal(got, [[1.5, 1.5, 1.0, 1.0]] * 2)
    assert got.dtype == np.float32
    got = runtime.join_slices(np.zeros((2, 4), dtype=int), 1, ((None, 2), (2, None)), [np.ones((2, 2))] * 2)
    np.testing.assert_array_equal(got, np.ones((2, 4)))


# -- the pass's conditions, on adjoint statements written out (user programs rarely reach them) ----------------
def _block(*between, first=None):
    from ad_compiler.adjoints import helper
    from ad_compiler.ir import Assign, BinOp, SetItem, Slice, Var
    first = first if first is not None else BinOp("*", Var("a"), Var("b"))
    return [Assign(("bz",), helper("zeros_like", Var("z"))),
            Assign(("v1",), first),
            SetItem(Var("bz"), (Slice(), Slice(None, Var("H"))), Var("v1")),
            *between,
            Assign(("v2",), BinOp("*", Var("a"), Var("c"))),
            SetItem(Var("bz"), (Slice(), Slice(Var("H"), None)), Var("v2"), op="+")]


def _joined(block):
    from ad_compiler import join_slices
    join_slices.rewrite(block)
    return any("join_slices" in repr(getattr(s, "value", "")) for s in block)


def test_pass_joins_when_nothing_between_interferes():
    from ad_compiler.ir import Assign, BinOp, Var
    block = _block(Assign(("u",), BinOp("+", Var("a"), Var("c"))))
    assert _joined(block)
    assert [type(s).__name__ for s in block] == ["Assign", "Assign", "Assign", "Assign"]


def test_pass_refuses_interference():
    from ad_compiler.adjoints import helper
    from ad_compiler.ir import Assign, AugAssign, Call, Const, ExprStmt, If, Index, SetItem, Slice, Var
    cases = {
        "a value changed in place after its store": [AugAssign("v1", "+", Var("a"))],
        "... inside a branch": [If(Var("p"), [AugAssign("v1", "+", Var("a"))], [])],
        "a value read (an alias made) before the last store": [Assign(("y",), Var("v1"))],
        "a bound rebound": [Assign(("H",), Const(3))],
        "the array whose shape is read rebound": [Assign(("z",), Var("a"))],
        "the adjoint read between the stores": [ExprStmt(Call(Var("f"), (Var("bz"),)))],
        "the adjoint changed otherwise": [SetItem(Var("bz"), (Const(0),), Const(1.0))],
        "a value's source changed through a helper's out=": [
            ExprStmt(Call(helper("max_vjp").func, (Var("a"), Var("b")), (("out", Var("v1")),)))],
    }
    for what, between in cases.items():
        assert not _joined(_block(*between)), what
    # a value that may be a view of an array changed later (not a new array)
    view = Index(Var("g"), (Slice(None, Var("H")),))
    assert not _joined(_block(SetItem(Var("g"), (Const(0),), Const(2.0)), first=view))
