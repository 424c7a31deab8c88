"""jit=True (docs/jit.md), jit10: what the compiled subset refused that it now compiles exactly (explore --jit
seed 98): adjoints that are tuples, added into and cleared item by item (`_ad.add_at(b, 0, g)` rebinds b to a
new tuple where no other name holds it: jit_rebind.py), and adjoints of lists of tuples; the builtin max / min of a vector. Checked against
central differences and the plain derivative; one function combining them (Numba's compile time is the
suite's cost). Skipped without Numba."""
import numpy as np
import pytest

import ad_compiler as ad

numba = pytest.importorskip("numba")
from test_jit import check_jit_grad  # noqa: E402 (after the skip: test_jit needs numba too)

V = np.array([0.3, -1.2, 0.7])


def scale(*args):
    v, s = args  # (a tuple of an array and a number: its adjoint a tuple, two items added in turn)
    return np.sum(v * s) + s * v[0]


def tuples(x, s):
    r = scale(x * 2.0, x[1] * s)
    ps = [(x * s, s), (np.cos(x), x[0])]  # (a list of tuples: its adjoint a list of tuples)
    u, w = ps[1]
    u += w  # (through the tuple's item: a store the adjoint clears)
    t = np.sum(ps[0][0]) * ps[1][1] ** 2
    return r + t + np.sum(u ** 2) + max(x * s)  # (builtin max of a vector's entries)


def test_adjoints_of_tuples_and_lists_of_tuples():
    check_jit_grad(tuples, (V, 0.7), (0, 1))
    g = ad.grad(tuples, wrt=(0, 1), jit=True)
    g(V, 0.7)
    with pytest.raises(IndexError):  # (x[1] of nothing, as Python: it read past the end before h28b-007)
        g(np.zeros(0), 0.7)
    assert "_ad.jit.added_at(" in g.source and "_ad.jit.cleared_at(" in g.source and ", False)" not in g.source


def test_a_tuple_adjoint_is_rebound_only_where_no_other_name_holds_it():
    from ad_compiler import runtime
    from ad_compiler.ir import Assign, Call, Const, ExprStmt, Global, Index, Var
    from ad_compiler.jit_rebind import _owned

    def helper(name, *args):
        return Call(Global(("_ad", name), None, runtime), args)

    made = Assign(("b",), helper("getitem_vjp", Var("g"), Var("args"), Const(1)))
    add = ExprStmt(helper("add_at", Var("b"), Const(0), Var("h")))
    read = Assign(("u",), Index(Var("b"), (Const(0),)))
    given = Assign(("c",), helper("getitem_vjp", Var("b"), Var("ps"), Const(1)))
    assert _owned([made, add, read, add, given], "b")  # (read by item; given away after its last change)
    assert not _owned([made, Assign(("c",), Var("b")), add], "b")  # (a second name: it would see the add)
    assert not _owned([made, given, add], "b")  # (changed after it became an item of another adjoint)
    assert not _owned([Assign(("b",), Var("a")), add], "b")  # (made elsewhere: `a` holds it too)
    assert not _owned([Assign(("b",), Index(Var("ps"), (Const(0),))), add], "b")  # (an item of another)


def rows_shifted_in_place(x, W):
    y = np.tanh(W @ x)
    z = y * 1.0
    z[1:] = z[1:] * 2.0 + x[:-1]
    return np.sum(z ** 2) + 0.5 * np.sum(x)


def test_jvp_with_jit_of_in_place_code_spreads_tangents_like_their_values():
    """_ad.broadcast_like (a tangent given its value's shape, after a store or a reduction) had no compiled
    version: ad.jvp(f, jit=True) of nearly any code changing an array in place was refused (hunt15)."""
    from fd import numeric_grad

    from ad_compiler import jit_runtime, runtime

    rng = np.random.default_rng(5)
    x, W, dx = rng.standard_normal(3), rng.standard_normal((3, 3)), rng.standard_normal(3)
    value, tangent = ad.jvp(rows_shifted_in_place, wrt="x", jit=True)(x, W, dx)
    assert np.isclose(value, rows_shifted_in_place(x, W))
    assert np.isclose(tangent, np.dot(numeric_grad(rows_shifted_in_place, (x, W), 0), dx), rtol=1e-6)
    assert np.isclose(tangent, ad.jvp(rows_shifted_in_place, wrt="x")(x, W, dx)[1], rtol=1e-12)

    @numba.njit
    def spread(t, like):
        return jit_runtime.broadcast_like(t, like)

    for t, like in [(2.0, 3.0), (2.0, np.ones((2, 3))), (np.arange(3.0), np.ones((2, 3))),
                    (np.arange(2.0).reshape(2, 1), np.ones((2, 3))), (np.ones((1, 3)), np.ones((4, 3)))]:
        np.testing.assert_array_equal(spread(t, like), runtime.broadcast_like(t, like))
    with pytest.raises(ValueError):  # (as NumPy's broadcast_to)
        spread(np.ones(3), np.ones(4))
