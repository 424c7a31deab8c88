"""The lean emitter (docs/performance.md): loop-invariant statements moved out of loops, loop batching, shapes
saved as tuples, masked multiplies written into a consumed adjoint (`out=`), real forms of rules, arrays of
equal shapes. Every program is checked against finite differences in every mode (grad, jvp, hvp), and the
generated source is checked for the optimisation (a test that can fail when it is not applied), and for its
absence where it would be wrong."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from test_modes import _copy, assert_close, fd_grad, fd_hvp, fd_jvp, ravel, rnd


def check_modes(f, args, wrt=0, hvp=True, rtol=1e-5):
    """grad, jvp (and hvp) of f against finite differences; returns the gradient function (compiled)."""
    g = ad.grad(f, wrt=wrt)
    assert_close(g(*_copy(args)), fd_grad(f, args, wrt), rtol=rtol, what=f"grad of {f.__name__}")
    pos = wrt if isinstance(wrt, tuple) else (wrt,)
    seeds = [ravel(args[p]) for p in pos]
    t = tuple(u(np.random.default_rng(5 + k).standard_normal(v.size)) for k, (v, u) in enumerate(seeds))
    t = t if isinstance(wrt, tuple) else t[0]
    value, tangent = ad.jvp(f, wrt=wrt)(*_copy(args), _copy(t))
    assert_close(tangent, fd_jvp(f, args, wrt, t), rtol=rtol, what=f"jvp of {f.__name__}")
    if hvp:
        got = ad.hvp(f, wrt=wrt)(*_copy(args), _copy(t))
        assert_close(got, fd_hvp(f, args, wrt, t), rtol=1e-4, atol=1e-5, what=f"hvp of {f.__name__}")
    return g


def forward_part(source):
    return source.split("bout")[0]


def loop_body(source, first=True):
    """The lines of the first `for` loop of the forward sweep (indented under it)."""
    lines = forward_part(source).splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("for "))
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for ln in lines[start + 1:]:
        if len(ln) - len(ln.lstrip()) <= indent:
            break
        body.append(ln.strip())
    return body


# -- loop-invariant code motion --------------------------------------------------------------------------
def euler(k, c, x0, v0):
    x = x0
    v = v0
    dt = 0.05
    for i in range(40):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def test_invariant_statement_leaves_the_loop_and_the_tape():
    g = check_modes(euler, (2.0, 0.3, 1.0, -0.5), wrt=(0, 1, 2, 3))
    g(2.0, 0.3, 1.0, -0.5)
    src = g.source
    assert "t1 = -k" in forward_part(src) and "t1 = -k" not in loop_body(src)
    assert "tape.append(t1)" not in src
    assert "_ad.zeros_like" not in src  # (the adjoints of floats start as 0.0)


def invariant_division_maybe_zero_trip(x, k, n):
    s = x
    for i in range(n):
        a = 1.0 / k  # raises for k == 0: must not run when the loop does not
        s = s * a + x
    return s * s


def test_an_operation_that_may_raise_stays_in_a_loop_that_may_not_run():
    g = ad.grad(invariant_division_maybe_zero_trip, wrt=(0, 1))
    assert g(0.5, 0.0, 0) == (1.0, 0.0)
    check_modes(invariant_division_maybe_zero_trip, (0.5, 2.0, 3), wrt=(0, 1))
    assert "a = 1.0 / k" in loop_body(g.source)


def invariant_division_known_trip(x, k):
    s = x
    for i in range(4):
        a = 1.0 / k
        s = s * a + x
    return s * s


def test_an_operation_that_may_raise_leaves_a_loop_known_to_run():
    g = check_modes(invariant_division_known_trip, (0.5, 2.0), wrt=(0, 1))
    g(0.5, 2.0)
    assert not any("1.0 / k" in ln for ln in loop_body(g.source))


def invariant_after_break(x, k):
    s = x
    for i in range(5):
        if s > 3.0:
            break
        a = math.log(k)  # raising: stays after the break
        b = k * 2.0  # cannot raise: leaves the loop
        s = s * a + b
    return s


@pytest.mark.parametrize("x", [0.5, 4.0])
def test_break_keeps_raising_operations_after_it(x):
    g = check_modes(invariant_after_break, (x, 1.7), wrt=(0, 1))
    g(x, 1.7)
    body = loop_body(g.source)
    assert any("math.log(k)" in ln for ln in body)
    assert not any("k * 2.0" in ln for ln in body)


def fresh_arrays_in_a_list(x):
    out = []
    for i in range(3):
        y = x * 2.0  # loop-invariant, but each iteration made its own array, which the list holds
        out.append(y)
    return np.sum(np.stack(out) * x)


def test_an_array_put_in_a_container_is_made_at_every_iteration():
    x = rnd(1, 3)
    g = check_modes(fresh_arrays_in_a_list, (x,))
    g(x)
    assert any("x * 2.0" in ln for ln in loop_body(g.source))


def changed_in_place_inside(x, w):
    y = x.copy()
    s = 0.0
    for i in range(3):
        z = y * w  # y changes in the loop: not invariant
        y[i] = 2.0 * y[i]
        s = s + np.sum(z)
    return s


def test_values_changed_in_place_inside_the_loop_stay_in_it():
    g = check_modes(changed_in_place_inside, (rnd(2, 3), rnd(3, 3)), wrt=(0, 1))
    g(rnd(2, 3), rnd(3, 3))
    assert any("* w" in ln for ln in loop_body(g.source))


def nested_invariant(x, k):
    s = 0.0
    for i in range(3):
        for j in range(2):
            s = s + np.sum(np.sin(k * x) * (i + j))  # `k * x` and its sine leave both loops
    return s


def test_invariants_leave_nested_loops():
    g = check_modes(nested_invariant, (rnd(4, 3), 0.7), wrt=(0, 1))
    g(rnd(4, 3), 0.7)
    assert not any("np.sin" in ln for ln in loop_body(g.source))


# -- loop batching ---------------------------------------------------------------------------------------
def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h ** 2)


def rnn_args():
    return (rnd(10, 3, 4, scale=0.5), rnd(11, 4, 4, scale=0.5), rnd(12, 4), rnd(13, 5, 2, 3), rnd(14, 2, 4))


def test_the_rnn_input_product_is_batched():
    g = check_modes(rnn, rnn_args(), wrt=(0, 1, 2, 3, 4))
    g(*rnn_args())
    src = g.source
    assert "t4_all = xs @ W" in forward_part(src)
    assert "bW = _ad.matmul_vjp_b(bt4_all, xs, W)" in src
    # the shapes in the loop are known (the dimension pattern): no broadcasting sums, no shapes on the tape,
    # the products' adjoints written as products
    assert "unbroadcast" not in src and ".shape)" not in src and "shape_of" not in src
    assert "bb += bt7_all.sum(axis=0)" in src and "bU += h_1_all.T @ bt7_all" in src and "bh_1 = bt7 @ U.T" in src


def rnn_for_in(W, U, xs, h0):
    h = h0
    for x in xs:
        h = np.tanh(x @ W * 0.5 + h @ U)
    return np.sum(h)


def test_batching_a_loop_over_the_rows_and_a_chain_of_operations():
    args = (rnd(15, 3, 4, scale=0.5), rnd(16, 4, 4, scale=0.5), rnd(17, 6, 3), rnd(18, 4))
    g = check_modes(rnn_for_in, args, wrt=(0, 1, 2, 3))
    g(*args)
    fwd = forward_part(g.source)
    assert fwd.count("_all = ") == 2  # x @ W, then (x @ W) * 0.5


def rnn_vector_rows(w, v, xs):
    h = 0.0
    for t in range(len(xs)):
        h = np.tanh(xs[t] @ w + h * v)  # xs[t] a vector, w a vector: a number per step
    return h


def test_batching_vector_rows_times_a_vector():
    args = (rnd(19, 3), 0.5, rnd(20, 4, 3))
    g = check_modes(rnn_vector_rows, args, wrt=(0, 1, 2))
    g(*args)
    assert "_all = xs @ w" in g.source


def rnn_break(W, xs, h0, limit):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
        if np.sum(h) > limit:
            break
    return np.sum(h * h)


@pytest.mark.parametrize("limit", [-10.0, 10.0])
def test_no_batching_in_a_loop_that_may_break(limit):
    args = (rnd(21, 3, 2, scale=0.5), rnd(22, 4, 1, 3), rnd(23, 1, 2), limit)
    g = check_modes(rnn_break, args, wrt=(0, 1, 2))
    g(*args)
    assert "_all" not in forward_part(g.source)  # (the adjoint may sum its steps' products after its loop)


def rnn_early_return(W, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
        if np.sum(h) > 1.0:
            return np.sum(h)
    return np.sum(h * h)


def test_no_batching_in_a_loop_that_may_return():
    args = (rnd(24, 3, 2, scale=0.5), rnd(25, 4, 1, 3), rnd(26, 1, 2))
    g = check_modes(rnn_early_return, args, wrt=(0, 1, 2))
    g(*args)
    assert "_all" not in forward_part(g.source)  # (the adjoint may sum its steps' products after its loop)


def rows_changed_in_place(W, xs):
    ys = xs.copy()
    s = 0.0
    for t in range(ys.shape[0]):
        s = s + np.sum(np.tanh(ys[t] @ W))
        ys[(t + 1) % ys.shape[0]] = ys[t] * 0.5  # a later row is changed by the loop
    return s


def test_no_batching_over_rows_the_loop_changes():
    args = (rnd(27, 3, 2), rnd(28, 4, 3))
    g = check_modes(rows_changed_in_place, args, wrt=(0, 1))
    g(*args)
    assert "_all" not in forward_part(g.source)  # (the adjoint may sum its steps' products after its loop)


def elementwise_rows(xs, s, b):
    acc = np.zeros(3)
    for t in range(len(xs)):
        acc = acc * 0.5 + np.exp(xs[t] * s + b)
    return np.sum(acc)


def test_batching_elementwise_operations_on_rows():
    args = (rnd(29, 4, 3), 0.7, rnd(30, 3))
    g = check_modes(elementwise_rows, args, wrt=(0, 1, 2))
    g(*args)
    fwd = forward_part(g.source)
    assert fwd.count("_all = ") == 3  # xs[t] * s, + b, np.exp(...)


# -- masked multiplies into consumed adjoints ------------------------------------------------------------
def relu_net(w1, w2, x):
    h = np.maximum(x @ w1, 0.0)
    return np.sum((h @ w2) ** 2)


def test_relu_adjoint_is_one_masked_multiply_into_the_consumed_buffer():
    args = (rnd(31, 4, 5), rnd(32, 5, 2), rnd(33, 6, 4))
    g = check_modes(relu_net, args, wrt=(0, 1))
    g(*args)
    assert "bt1 = _ad.max_vjp(bh, t1, 0.0, out=bh)" in g.source


def relu_read_twice(w, x):
    h = x @ w
    r = np.maximum(h, 0.0) + np.minimum(h, 0.0) * 0.1
    return np.sum(r * h)


def test_an_adjoint_read_again_is_not_written_into():
    args = (rnd(34, 4, 3), rnd(35, 5, 4))
    g = check_modes(relu_read_twice, args, wrt=(0, 1))
    g(*args)


def maximum_of_two_arrays(a, b):
    m = np.maximum(a * 2.0, b)
    return np.sum(np.sin(m))


def test_maximum_with_both_operands_active_and_ties():
    a = np.array([0.5, -1.0, 0.25, 2.0])
    b = np.array([1.5, -2.0, 0.5, 0.0])  # ties at entries 1 and 2: each operand gets half
    g = ad.grad(maximum_of_two_arrays, wrt=(0, 1))
    ga, gb = g(a, b)
    c = np.cos(np.maximum(2 * a, b))
    np.testing.assert_allclose(ga, 2.0 * c * np.array([0.0, 0.5, 0.5, 1.0]))
    np.testing.assert_allclose(gb, c * np.array([1.0, 0.5, 0.5, 0.0]))
    check_modes(maximum_of_two_arrays, (rnd(36, 4), rnd(37, 4)), wrt=(0, 1))


def where_relu(w, x):
    h = x @ w
    r = np.where(h > 0.0, h, 0.1 * h)
    return np.sum(r ** 2)


def test_where_adjoint():
    check_modes(where_relu, (rnd(38, 3, 4), rnd(39, 5, 3)), wrt=(0, 1))


def abs_of_float(x, y):
    return abs(x * y - 1.0) + np.abs(np.sin(x))


def test_abs_of_numbers_uses_the_real_form():
    g = check_modes(abs_of_float, (0.7, 2.5), wrt=(0, 1))
    g(0.7, 2.5)
    assert "_ad.abs_vjp(" in g.source and "np.conj" not in g.source


def abs_of_complex(a, b):
    return np.sum(np.abs(np.exp(1j * a) * b + 0.5))


def test_abs_of_complex_values_keeps_the_general_rule():
    check_modes(abs_of_complex, (rnd(40, 3), rnd(41, 3)), wrt=(0, 1))


# -- arrays of equal shapes ------------------------------------------------------------------------------
def elementwise_chain(x, w):
    a = np.tanh(w * x + 0.5) * x + w
    b = np.sin(a * w) + a * x
    return np.sum(b * b)


def test_arrays_of_equal_shapes_need_no_broadcasting_sums():
    args = (rnd(42, 3), rnd(43, 3))
    g = check_modes(elementwise_chain, args, wrt=(0, 1))
    g(*args)
    assert "unbroadcast" not in g.source
    # the same derivative called with arrays that broadcast: compiled again, with the sums written out
    x, w = rnd(44, 2, 3), rnd(45, 3)
    assert_close(g(x, w), fd_grad(elementwise_chain, (x, w), (0, 1)), what="broadcasting arguments")
    assert ".sum(axis=0)" in g.source and "unbroadcast" not in g.source
    # shapes of the same pattern (other sizes) reuse it
    x, w = rnd(46, 5, 4), rnd(47, 4)
    assert_close(g(x, w), fd_grad(elementwise_chain, (x, w), (0, 1)), what="same pattern, other sizes")
    x, w = rnd(48, 4), rnd(49, 1)  # a dimension of size 1: another pattern
    assert_close(g(x, w), fd_grad(elementwise_chain, (x, w), (0, 1)), what="broadcasting from size 1")
    assert "keepdims=True" in g.source


def test_an_export_does_not_assume_equal_shapes(tmp_path):
    g = ad.grad(elementwise_chain, wrt=(0, 1))
    g(rnd(46, 3), rnd(47, 3))
    path = tmp_path / "dchain.py"
    ad.export(g, str(path))
    assert "unbroadcast" in path.read_text()


# -- shapes saved as tuples, loops that do not run --------------------------------------------------------
def rank_changes_in_loop(W, U, xs, h0):
    h = h0  # a vector: the first step broadcasts it against the batch
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h ** 2)


def test_shapes_saved_as_tuples_across_broadcasting_steps():
    args = (rnd(48, 3, 2, scale=0.5), rnd(49, 2, 2), rnd(50, 4, 5, 3), rnd(51, 2))
    g = check_modes(rank_changes_in_loop, args, wrt=(0, 1, 2, 3))
    g(*args)
    # (h's shape changes at the first step: the shapes of the products are saved and read at run time)
    assert "tape.append(_ad.shape_of(t5))" in g.source and "_ad.unbroadcast(bt6, t5)" in g.source


def test_a_loop_that_does_not_run():
    args = (rnd(52, 3, 2), rnd(53, 2, 2), np.zeros((0, 5, 3)), rnd(54, 5, 2))
    g = ad.grad(rank_changes_in_loop, wrt=(0, 1, 3))
    gW, gU, gh = g(*args)
    assert not gW.any() and not gU.any()
    np.testing.assert_allclose(gh, 2 * args[3])


# -- lists of floats from tolist ---------------------------------------------------------------------------
def unpacked_parameters(p, target):
    a, b, c = p.tolist()
    y = 0.0
    for i in range(5):
        y = y + a * math.sin(b * y + c)
    return abs(y - target)


def test_parameters_unpacked_from_tolist():
    check_modes(unpacked_parameters, (np.array([0.8, 1.3, 0.4]), 3.0), wrt=0)


# -- negations absorbed into their uses (negations.py) ---------------------------------------------------
def damped(k, c, x0, v0):
    x, v = x0, v0
    for i in range(50):
        a = -k * x - c * v
        x = x + 0.01 * v
        v = v + 0.01 * a
    return x * x + v * v


def test_a_negated_adjoint_is_written_into_its_uses():
    g = check_modes(damped, (2.0, 0.1, 1.0, 0.0), wrt=(0, 1, 2, 3))
    src = g.source
    assert "bc -= ba * v_1" in src and "bv_1 = bv_1 - ba * c" in src and "= -ba" not in src


def diff_of_arrays(w, h):
    acc = h
    for i in range(3):
        acc = acc - w * acc  # w * acc's adjoint is -bacc: written into the sums of the products
    return np.sum(np.sin(acc))


def test_a_negated_array_adjoint_is_written_into_its_uses():
    g = check_modes(diff_of_arrays, (rnd(41, 4), rnd(42, 4)), wrt=(0, 1))
    assert "= -b" not in g.source


def negated_twice(x, y):
    z = x - np.exp(y)
    w = z - y  # by = -bw, then by = by - ...: a name written twice keeps its negation
    return np.sum(w * w)


def test_a_negation_that_is_not_absorbed_stays_one_statement():
    g = check_modes(negated_twice, (rnd(43, 3), rnd(44, 3)), wrt=(0, 1))
    assert "by = -bw" in g.source


def negation_read_in_a_branch(x, flag):
    y = -x
    if flag:
        y = y * 2.0
    return y * x


@pytest.mark.parametrize("flag", [True, False])
def test_negations_read_in_branches(flag):
    check_modes(negation_read_in_a_branch, (0.7, flag), wrt=0)


# -- a full sum's adjoint left a number (spread.py) ------------------------------------------------------
def sum_of_squares(x, y):
    return np.sum((x - y) ** 2) + np.mean(np.exp(x * y))


def test_sum_and_mean_adjoints_stay_numbers():
    g = check_modes(sum_of_squares, (rnd(51, 3, 4), rnd(52, 3, 4)), wrt=(0, 1))
    src = g.source
    assert "unreduce" not in src and "bout / x.size" in src and "bt1 = bout * 2 * t1" in src


def sum_broadcast(x, y):
    return np.sum(x * y)  # x (3, 1), y (3, 4): the adjoint of the product needs the spread array


def test_no_number_where_the_shapes_differ():
    g = check_modes(sum_broadcast, (rnd(53, 3, 1), rnd(54, 3, 4)), wrt=(0, 1))
    assert "unreduce" in g.source


def sum_in_loop(x, w):
    s = 0.0
    h = x
    for i in range(3):
        h = np.tanh(h * w)
        s = s + np.mean(h * h) + np.sum(h)
    return s


def test_sums_in_a_loop():
    check_modes(sum_in_loop, (rnd(55, 2, 3), rnd(56, 2, 3)), wrt=(0, 1))


def test_vjp_with_an_array_seed():
    f = lambda x: np.sum(x * x)  # noqa: E731
    x = rnd(57, 4)
    g = ad.vjp(f)
    assert_close(g(x, np.array(2.0)), 4.0 * x, rtol=1e-12)
    assert_close(g(x, 3.0), 6.0 * x, rtol=1e-12)
    assert g(x, 3.0).shape == x.shape


def sum_of_a_wrt_argument(x, y):
    return np.sum(x) + np.sum(np.sin(y) * x)


def test_sum_of_an_argument_itself():
    g = check_modes(sum_of_a_wrt_argument, (rnd(58, 3), rnd(59, 3)), wrt=(0, 1))
    assert_close(g(np.ones(3), np.zeros(3))[0], np.ones(3), rtol=1e-12)


def logistic(w, X, y):
    return np.mean(np.log1p(np.exp(-y * (X @ w))))


def test_the_adjoint_of_a_matrix_vector_product_is_a_product():
    r = np.random.default_rng(60)
    X = r.standard_normal((7, 3))
    y = np.where(r.standard_normal(7) > 0, 1.0, -1.0)
    g = check_modes(logistic, (r.standard_normal(3), X, y), wrt=(0, 1))
    assert "bw = bt2 @ X" in g.source and "matmul_vjp_b" not in g.source


def in_place_sum_and_break(x, w):
    y = x * 2.0
    y[0] = w[1] * 3.0  # an in-place update of the array whose sum is taken
    s = 0.0
    for i in range(4):
        d = y - w * y  # a negated adjoint (of w * y) in a loop that may stop early
        s = s + np.sum(d * d) - np.mean(d)
        if s > 3.0:
            break
        y = np.sin(d)
    return s


@pytest.mark.parametrize("scale", [0.1, 1.0])
def test_spread_and_negations_with_in_place_updates_and_break(scale):
    check_modes(in_place_sum_and_break, (rnd(61, 3) * scale, rnd(62, 3)), wrt=(0, 1))


def test_broadcast_like_fast_paths_agree_with_the_general_case():
    from ad_compiler.runtime import broadcast_like

    a, b = np.arange(3.0), np.ones((2, 3))
    cases = [(1.5, 2.0), (np.float64(1.5), 2.0), (1.5, 3), (a, a.copy()), (a, b), (1.5, a), (a, [1, 2, 3])]
    for t, like in cases:
        got = broadcast_like(t, like)
        want = t if not isinstance(like, (np.ndarray, float, int)) else np.broadcast_to(t, np.shape(like))
        assert np.shape(got) == np.shape(want) and np.all(got == want)
        if np.shape(t) == np.shape(like):
            assert got is t  # (nothing to broadcast: the tangent itself)


def thermostat(p):
    heat, temp, loss = p.tolist()
    for step in range(5):
        if temp < 20.0:
            temp = temp + heat * 0.1
        temp = temp - loss * (temp - 10.0) * 0.05
    return abs(temp - 21.0)


def test_hvp_of_a_loop_on_floats_unpacked_from_an_array():
    check_modes(thermostat, (np.array([30.0, 15.0, 0.3]),), wrt=0)


# -- assignments overwritten before anything reads them (`bm_1 = bs; bm_1 = _ad.owned_copy(bs, m)`) ------
def overwritten_names(source):
    """(name, line) of each `name = ...` whose next mention in the same block is another `name = ...`."""
    import ast
    found = []

    def names(node):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    def scan(block):
        for i, s in enumerate(block):
            for sub in ("body", "orelse", "finalbody"):
                if isinstance(getattr(s, sub, None), list):
                    scan(getattr(s, sub))
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
                continue
            name = s.targets[0].id
            for later in block[i + 1:]:
                if name not in names(later):
                    continue
                if isinstance(later, ast.Assign) and [t for t in later.targets if isinstance(t, ast.Name)
                                                      and t.id == name] and name not in names(later.value):
                    found.append((name, s.lineno))
                break
    scan(ast.parse(source).body[0].body)
    return found


def shared_scalar_changed(x, s):
    outs = [x, s]
    m = outs[1]
    m += 1.0
    return s ** 2 * np.sum(x)


def row_scaled(x, w):
    y = x * 1.0
    v = y[1:]
    v *= w
    z = y
    z += x
    return np.sum(y * y)


@pytest.mark.parametrize("f, args, wrt", [
    (shared_scalar_changed, (np.array([1.0, 2.0]), np.array(1.104)), 1),
    (row_scaled, (np.array([0.3, -0.7, 0.5]), 1.7), 0),
])
def test_no_assignment_is_overwritten_before_it_is_read(f, args, wrt):
    g = check_modes(f, args, wrt=wrt, hvp=False)
    assert overwritten_names(g.source) == [], g.source


# -- explore seed 1717: spread.py took `axis=0` for `keepdims=False` (0 == False) and wrote a mean over axis 0's
#    adjoint as a full mean's (`bt1 / W.size`: a third of the gradient for a 2 x 3 W) --------------------------
def mean_over_rows(W):
    H = W * W
    z = np.sum(H.mean(axis=0))
    return z


def mean_over_rows_function(W):
    return np.sum(np.mean(W * W, 0))


@pytest.mark.parametrize("f", [mean_over_rows, mean_over_rows_function])
def test_a_mean_over_axis_0_is_not_a_full_mean(f):
    W = np.array([[-0.553, -1.393, 0.575], [1.093, 1.337, 1.244]])
    check_modes(f, (W,))


def schedule_then_scale(x, a):
    for i in range(3):  # a loop on values the adjoint does not need (x is differentiated)
        z = a + 1.0
        if np.sum(z) > 2.0:
            break
        a = np.sin(z)
    return np.sum(x * a) + np.sum(np.sin(x))


def count_positive_then_scale(x, a):
    s = 0.0
    for i in range(3):
        if a[i] > 0.0:
            s = s + a[i]
    return np.sum(x ** 2) * s


def read_after_and_inside(x, a):
    h = x * 1.0
    for i in range(3):  # h is needed (active); a's values are read only after the loop
        a = a * 0.5 + 0.1
        h = np.sin(h) * a[i]
    return np.sum(h * a)


@pytest.mark.parametrize("f", [schedule_then_scale, count_positive_then_scale, read_after_and_inside])
def test_a_loop_value_read_only_as_the_loop_left_it_is_not_taped(f):
    """A value a loop overwrites is saved only if the adjoint sweep reads it after the point where the tape
    would put it back (tape_decide.restored_names_read_later): read only before the loop's adjoint (as the loop
    left it), or by the test of a branch that would hold nothing else, it is not; the loop's adjoint is then
    gone entirely when nothing in it is differentiated."""
    x, a = np.array([0.3, -0.2, 0.5]), np.array([0.1, 0.2, -0.3])
    g = check_modes(f, (x, a), hvp=True)
    g(x, a)
    if f is read_after_and_inside:
        assert "tape.append(a_1)" not in g.source and "tape.append(h_1)" in g.source
    else:
        assert "tape" not in g.source and "n_iter" not in g.source and "reversed" not in g.source
