"""Regression tests for programs that random exploration (tests/explore.py) and hand-written adversarial
hunting found to give a wrong derivative or to crash inside the compiler. Each program is the shrunk one;
every expected value comes from central finite differences (fd.numeric_grad) or from the math by hand."""
import functools

import numpy as np
import pytest

import ad_compiler as ad



def close(got, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


# -- a 0-d array changed in place under a second name (explore seed 7, program 411) -----------------------
def zero_d_alias_scaled(s, alpha):
    val = alpha
    alpha *= s
    return np.sum(val + alpha)


@pytest.mark.parametrize("alpha", [np.array(-0.772), np.array([-0.772]), np.array([0.4, -1.3])])
def test_zero_d_array_scaled_in_place_under_two_names(alpha):
    # val and alpha are one array: f = 2 * s * sum(alpha)
    close(ad.grad(zero_d_alias_scaled)(-1.15, alpha.copy()), 2 * np.sum(alpha))
    close(ad.grad(zero_d_alias_scaled, wrt=1)(-1.15, alpha.copy()), np.full(alpha.shape, 2 * -1.15))


# -- a list held in a tuple, appended to in a loop (the adjoint of the tuple's list slot) -------------------
def list_in_tuple(x):
    log = []
    box = (log, 2.0)
    for i in range(3):
        log.append(x[i] * x[i + 1])
    return box[0][1] * box[1] + np.sum(box[0][2] * x)


def test_list_held_in_a_tuple_appended_in_a_loop():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # f = 2 x1 x2 + x2 x3 (x0 + x1 + x2 + x3)
    expected = [x[2] * x[3], 2 * x[2] + x[2] * x[3], 2 * x[1] + x[3] * x.sum() + x[2] * x[3],
                x[2] * x.sum() + x[2] * x[3]]
    close(ad.grad(list_in_tuple)(x.copy()), expected)


def zero_d_alias_scaled_plain(s, alpha):
    val = alpha
    alpha *= s
    return val + alpha


def test_zero_d_array_scaled_in_place_plain_output():
    close(ad.grad(zero_d_alias_scaled_plain)(-1.15, np.array(-0.772)), 2 * -0.772)
    close(ad.grad(zero_d_alias_scaled_plain, wrt=1)(-1.15, np.array(-0.772)), 2 * -1.15)


# -- explore seed 101: a comprehension over a list known to be empty ----------------------------------------
def comprehension_of_empty_list(x):
    parts = []
    m = sum((item for item in parts))
    hs = [item for item in parts]
    return m + np.sum(x ** 2) + len(hs)


def test_comprehension_over_an_empty_list():
    x = np.array([0.5, -1.0, 2.0])
    close(ad.grad(comprehension_of_empty_list)(x.copy()), 2 * x)


# -- explore seed 101: a name refreshed after a store, when the loop before it did not run ----------------
def refreshed_after_empty_loop(x, y):
    v = y
    for i in range(0):
        v[i] = x
    v += x
    return np.sum(y * y)


def test_alias_refreshed_after_a_loop_that_did_not_run():
    x, y = np.array([1.151, 0.544, 0.337]), np.array([-0.437, 1.388, -0.61])
    # y (= v) becomes y + x: f = sum((y + x)^2)
    close(ad.grad(refreshed_after_empty_loop, wrt=1)(x.copy(), y.copy()), 2 * (y + x))
    close(ad.grad(refreshed_after_empty_loop, wrt=0)(x.copy(), y.copy()), 2 * (y + x))


# -- explore seed 101: an array read by an adjoint, changed afterwards through a dict or list holding it ------
def changed_through_dict_after_use(s):
    M = np.zeros(2)
    tot = np.mean(M * s)
    d = {"w": M, "b": 1.0}
    d["w"] += 1.0
    return d["b"] * tot


def changed_through_list_after_use(s):
    M = np.zeros(2)
    tot = np.mean(M * s)
    L = [M, 1.0]
    L[0] += 1.0
    return L[1] * tot


@pytest.mark.parametrize("f", [changed_through_dict_after_use, changed_through_list_after_use])
def test_array_changed_through_a_container_after_an_adjoint_read_it(f):
    # tot = mean(0 * s) = 0 for every s: the derivative is 0 (not mean of the changed M, 1)
    close(ad.grad(f)(-1.146), 0.0)


# -- explore seed 101: std of entries that are all equal (the mean differs from them in the last bit) --------
def std_of_equal_entries(s):
    Q = 1.0 + np.outer(1, [s, s, s])
    Q = Q * np.ones((2, 1))
    return np.std(Q) + np.std(Q, axis=1)[0] + s


def test_std_of_equal_entries_has_zero_derivative():
    # std of equal entries is 0 whatever s: d/ds = 1 (autograd's convention, 0, at the kink)
    for s in (1.361, 0.1, -7.3):
        close(ad.grad(std_of_equal_entries)(s), 1.0)
        close(ad.jvp(std_of_equal_entries)(s, 1.0)[1], 1.0)


# -- explore seed 101: a view of one of several arrays (chosen by a branch), changed in place ----------------
def view_of_either(W, flag):
    if flag:
        y = W * W
    else:
        y = W[1]
    c = y.reshape(-1)
    c[1] = 0.7
    return np.sum(W)


def test_view_of_one_of_several_arrays_right_or_refused():
    W = np.array([[1.389, 1.029, 1.433], [0.91, 0.328, 1.727]])
    for flag in (False, True):
        try:
            got = ad.grad(view_of_either)(W.copy(), flag)
        except ad.ADError as exc:
            assert "view_of_either" in str(exc) and "c[1] = 0.7" in str(exc)
            continue
        expected = np.ones_like(W)
        if not flag:
            expected[1, 1] = 0.0  # W[1, 1] is overwritten through the view
        close(got, expected)


# ==========================================================================================================
# Found by hand-written adversarial programs (hunt, 2026-12-05)
# ==========================================================================================================
from fd import numeric_grad  # noqa: E402


def fd_close(f, args, wrt=0, rtol=1e-5):
    """ad.grad(f, wrt) against central differences (f must not change its arguments)."""
    got = ad.grad(f, wrt=wrt)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    close(got, numeric_grad(f, args, wrt), rtol=rtol, atol=1e-7)


# -- an inactive array changed in place through a container item (value and gradient were wrong) -------------
def inactive_changed_through_dict(x):
    W = np.ones(4)
    d = {"a": W}
    d["a"][0] = 5.0
    return np.sum(W) * x


def pair_of_views(v):
    return v[:2], v[2:]


def inactive_changed_through_helper_tuple(x, y):
    p, q = pair_of_views(y)
    p += 1.0
    return np.sum(y ** 2) * x


def test_inactive_array_changed_through_a_container_item():
    value, grad = ad.value_and_grad(inactive_changed_through_dict)(1.5)
    close(value, 12.0)
    close(grad, 8.0)
    y = np.array([0.3, -1.2, 0.8, 0.1])
    value, grad = ad.value_and_grad(inactive_changed_through_helper_tuple)(1.5, y.copy())
    close(value, inactive_changed_through_helper_tuple(1.5, y.copy()))
    close(grad, np.sum((y + np.array([1.0, 1.0, 0.0, 0.0])) ** 2))


# -- a comprehension assigned to the name it reads (it was bound before it ran) ------------------------------
def dict_rebound_by_comprehension(w):
    p = {"w": w, "b": w + 1.0}
    p = {k: p[k] * 2.0 for k in p}
    return np.sum(p["w"] * p["b"])


def unrolled_sgd(W, b, x, y):
    params = [W, b]
    for step in range(3):
        err = x @ params[0] + params[1] - y
        grads = [x.T @ err, np.sum(err, axis=0)]
        params = [p - 0.01 * g for p, g in zip(params, grads)]
    return np.sum((x @ params[0] + params[1] - y) ** 2)


def test_comprehension_rebinding_the_name_it_reads():
    w = np.array([0.3, -1.2, 0.8])
    fd_close(dict_rebound_by_comprehension, (w,))
    rng = np.random.default_rng(3)
    args = (rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((5, 3)),
            rng.standard_normal((5, 2)))
    fd_close(unrolled_sgd, args, wrt=0)
    fd_close(unrolled_sgd, args, wrt=1)


# -- a view made through a second name of an array changed in place meanwhile -------------------------------
def view_through_alias(x):
    z = x * 1.0
    al = z
    v = al[:-1]
    z *= 3.0
    v *= 2.0
    return np.sum(z * np.arange(4.0))


def head_of(v):
    return v[:2]


def view_through_helper(x):
    y = x * 1.0
    p = head_of(y)
    y *= 2.0
    p[0] = 1.0
    return np.sum(y ** 2)


@pytest.mark.parametrize("f", [view_through_alias, view_through_helper])
def test_view_through_a_second_name_then_changes(f):
    fd_close(f, (np.array([0.3, -1.2, 0.8, 0.1]),))


# -- a recursive function changing its argument in place (the change was lost) -------------------------------
def accumulate_recursively(acc, x, n):
    if n == 0:
        return acc
    acc += x
    return accumulate_recursively(acc, x, n - 1)


def calls_recursive_accumulator(x):
    acc = np.zeros_like(x)
    accumulate_recursively(acc, x, 2)
    return np.sum(acc)


def test_recursive_function_changing_its_argument_right_or_refused():
    try:
        got = ad.grad(calls_recursive_accumulator)(np.array([1.0, 2.0]))
    except ad.ADError as exc:
        assert "acc += x" in str(exc) and "recursive" in str(exc)
        return
    close(got, [2.0, 2.0])


# -- builtins making sequences: list, tuple, enumerate, zip, reversed, sorted (were constants) --------------
def rows_by_list(x):
    rows = list(x.reshape(2, 3))
    pairs = list(zip(rows[0], rows[1]))
    return sum(a * b for a, b in pairs) + np.sum(tuple(rows)[1] ** 2)


def enumerate_from_one(x):
    r = 0.0
    for i, v in enumerate(x, 1):
        r = r + i * v * v
    e = enumerate(reversed(list(x)))
    for i, v in e:
        r = r + (i + 0.5) * v
    return r


def sorted_values(a, b, c):
    s = sorted([a * 2.0, b, c - 1.0])
    return s[0] * 3.0 + s[1] * s[2]


def test_builtins_making_sequences_carry_derivatives():
    x = np.array([0.3, -1.2, 0.8, 0.1, 1.5, -0.4])
    fd_close(rows_by_list, (x,))
    fd_close(enumerate_from_one, (x,))
    for wrt in (0, 1, 2):
        fd_close(sorted_values, (0.4, -0.3, 2.1), wrt=wrt)


# -- shallow copies of lists and dicts (their items' derivatives were dropped) ------------------------------
def list_copied(x):
    b = [x].copy()
    return np.sum(b[0] * x)


def params_copied(W, x):
    p = {"W": W}
    q = p.copy()
    return np.sum((x @ q["W"]) ** 2)


def test_copies_of_lists_and_dicts():
    x = np.array([0.3, -1.2, 0.8])
    fd_close(list_copied, (x,))
    fd_close(params_copied, (np.array([[1.0, 2.0], [0.5, -1.0], [0.2, 0.3]]), x))


# -- the wrappers of Jacobians, Hessians and forward sweeps used names a parameter may have ----------------
def weighted_by_n(x, n):
    return np.sum(x * x * n)


def scaled_by_value(x, value):
    return x * x * value


def times_m(x, m):
    return x * m


def test_parameters_named_like_the_wrappers_locals():
    x = np.array([0.3, -1.2, 0.8])
    close(ad.hessian(weighted_by_n)(x.copy(), 2.0), 4.0 * np.eye(3))
    close(ad.grad(ad.grad(scaled_by_value))(1.5, 2.0), 4.0)
    close(ad.jacrev(times_m)(x.copy(), 2.0), 2.0 * np.eye(3))
    close(ad.jacfwd(times_m)(x.copy(), 2.0), 2.0 * np.eye(3))


# -- one array passed for two parameters, changed in place through one of them ------------------------------
def add_into_first(a, b):
    a += b
    return np.sum(a * b)


def test_same_array_for_two_parameters_changed_in_place_right_or_refused():
    x = np.array([0.3, -1.2, 0.8])
    try:
        value, (ga, gb) = ad.value_and_grad(add_into_first, wrt=(0, 1))(x, x)
    except ad.ADError as exc:
        assert "share memory" in str(exc)
    else:  # f(x, x) = sum(2x * 2x) = 4 sum(x^2): the gradients add up to 8x
        close(value, 4 * np.sum(x ** 2))
        close(ga + gb, 8 * x)
    a, b = x.copy(), x.copy()  # separate arrays: fine
    close(ad.grad(add_into_first, wrt=1)(a, b), 3 * x)


# -- the default of dict.get gets the derivative when the key is missing -----------------------------------
def get_with_default(x):
    d = {"a": 1.0}
    return d.get("b", x) * x + d.get("a", x)


def test_dict_get_default():
    close(ad.grad(get_with_default)(1.5), 3.0)


# -- conversions to integers: astype(int), dtype=int, stores into integer or boolean arrays (truncation) ----
def stores_into_integer_arrays(x):
    y = np.zeros(3, dtype=int)
    y[:] = x * 2.0
    z = np.array([1, 2, 3])
    z[1] = x[0] * 5.0
    m = np.zeros(3, dtype=bool)
    m[0] = x[1]
    return np.sum(y * x) + np.sum(z * x) + np.sum(m * x) + np.sum(x.astype(int) * x)


def test_truncating_conversions_have_zero_derivative():
    x = np.array([1.3, 2.6, -3.2])
    y, z, m = np.trunc(2 * x), np.array([1.0, np.trunc(5 * x[0]), 3.0]), np.array([1.0, 0.0, 0.0])
    expected = y + z + m * (x[1] != 0) + np.trunc(x)
    close(ad.grad(stores_into_integer_arrays)(x.copy()), expected)
    close(ad.jvp(stores_into_integer_arrays)(x.copy(), np.ones(3))[1], np.sum(expected))


# -- ad.stop_gradient(y) is y itself: it sees later in-place changes of y, and carries no derivative ---------
def stop_gradient_then_changed(x):
    y = x * 2.0
    s = ad.stop_gradient(y)
    y += x
    return np.sum(s * x)


def stop_gradient_view_then_changed(x):
    y = x * 2.0
    s = ad.stop_gradient(y)[1:]
    y *= 3.0
    return np.sum(s * x[1:])


def stop_gradient_result_changed(x):
    s = ad.stop_gradient(x * 2.0)
    s[0] = 1.0
    return np.sum(s * x)


def test_stop_gradient_result_sees_in_place_changes_of_its_array():
    x = np.array([0.3, -1.2, 0.8, 0.1])
    value, grad = ad.value_and_grad(stop_gradient_then_changed)(x.copy())
    close(value, stop_gradient_then_changed(x.copy()))
    close(grad, 3 * x)  # s is the (changed) y = 3x, a constant
    value, grad = ad.value_and_grad(stop_gradient_view_then_changed)(x.copy())
    close(value, stop_gradient_view_then_changed(x.copy()))
    close(grad, np.concatenate([[0.0], 6 * x[1:]]))
    close(ad.jvp(stop_gradient_view_then_changed)(x.copy(), np.ones(4))[1], np.sum(6 * x[1:]))
    try:
        got = ad.grad(stop_gradient_result_changed)(x.copy())
    except ad.ADError as exc:
        assert "s[0] = 1.0" in str(exc)
    else:
        close(got, np.concatenate([[1.0], 2 * x[1:]]))


# -- x.tolist(): the items are the array's entries (it was declared non-differentiable) ----------------------
def through_tolist(x):
    t = x.tolist()
    m = x.reshape(2, 2).tolist()
    return t[0] * t[1] + x[0] + m[1][0] * m[0][1]


def test_tolist_carries_derivatives():
    fd_close(through_tolist, (np.array([0.3, -1.2, 0.8, 0.5]),))


# -- an array changed in place inside no_grad keeps its derivative (PyTorch's semantics; it became constant) --
def step_in_no_grad(w, x):
    with ad.no_grad():
        w -= 0.1 * w
    return np.sum((x @ w) ** 2)


def store_in_no_grad(x):
    y = x * 2.0
    with ad.no_grad():
        y[0] = y[1] * 5.0
    return np.sum(y * x)


def test_in_place_change_inside_no_grad_is_a_constant_change():
    w, X = np.array([0.3, -1.2, 0.8]), np.array([[1.0, 2.0, 0.5], [0.3, 0.1, 0.2]])
    w_new = 0.9 * w  # f = sum((X w_new)^2) with w_new = w + c, c constant
    close(ad.grad(step_in_no_grad)(w.copy(), X), 2 * X.T @ (X @ w_new))
    x = np.array([0.3, -1.2, 0.8, 0.1])
    y = 2 * x
    y[0] = y[1] * 5.0  # y = 2x + c: df/dx = y + 2x
    close(ad.grad(store_in_no_grad)(x.copy()), y + 2 * x)
    close(ad.jvp(store_in_no_grad)(x.copy(), np.ones(4))[1], np.sum(y + 2 * x))


# -- forward mode: a tuple holding an array changed afterwards; two loops with early returns ---------------
def tuple_then_store(x):
    y = x * 1.0
    r = (y, y[1:])
    y[0] = 5.0
    return np.sum(r[0] * r[1][0]) + np.sum(r[1])


def two_loops_returning_early(x):
    for i in range(2):
        if x[i] > 1.5:
            return x[0]
    for i in range(2):
        if x[i] > 2.5:
            return x[1]
    return x[2] * 2.0


def test_forward_mode_tuple_refresh_and_early_returns():
    x, t = np.array([0.3, -1.2, 0.8]), np.array([0.5, 1.0, -2.0])
    value, tangent = ad.jvp(tuple_then_store)(x.copy(), t)
    close(tangent, np.dot(ad.grad(tuple_then_store)(x.copy()), t))
    close(tangent, np.dot(numeric_grad(tuple_then_store, (x,), 0), t))
    close(ad.jvp(two_loops_returning_early)(x.copy(), t)[1], 2.0 * t[2])


# -- vjp / jvp of a function with defaults: the seed or tangent is the last argument given ---------------
def scaled_with_default(x, scale=2.0):
    return x * scale


def test_vjp_and_jvp_of_a_function_with_defaults():
    x, s = np.array([0.3, -1.2, 0.8]), np.array([1.0, 2.0, 3.0])
    close(ad.vjp(scaled_with_default)(x, s), 2.0 * s)
    close(ad.vjp(scaled_with_default)(x, seed=s), 2.0 * s)
    close(ad.vjp(scaled_with_default)(x, 3.0, s), 3.0 * s)
    close(ad.jvp(scaled_with_default)(x, tangent=s)[1], 2.0 * s)
    close(ad.jvp(scaled_with_default)(x, s)[1], 2.0 * s)


# -- an argument changed in place inside a loop (a gradient step, a prefix scan): was refused with a message
#    about unknown kinds (the loop's fixed point gave up before the argument was copied) ---------------------
def sgd_steps_on_argument(W, x, y):
    for step in range(2):
        g = x.T @ (x @ W - y)
        W -= 0.05 * g
    return np.sum((x @ W - y) ** 2)


def prefix_scan_on_argument(x):
    for i in range(1, x.shape[0]):
        x[i] += x[i - 1] * 0.5
    return np.sum(x ** 2)


def copying(f, position):
    """f with a copy of its argument at `position` (f changes it in place; differences need fresh copies)."""
    def g(*args):
        args = list(args)
        args[position] = args[position].copy()
        return f(*args)
    return g


def test_argument_changed_in_place_inside_a_loop():
    rng = np.random.default_rng(5)
    W, x, y = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    got = ad.grad(sgd_steps_on_argument)(W.copy(), x, y)
    close(got, numeric_grad(copying(sgd_steps_on_argument, 0), (W, x, y), 0), rtol=1e-5)
    v = rng.standard_normal(5)
    got = ad.grad(prefix_scan_on_argument)(v.copy())
    close(got, numeric_grad(copying(prefix_scan_on_argument, 0), (v,), 0), rtol=1e-5)


# -- explore seed 202 ---------------------------------------------------------------------------------------
def items_read_then_dict_changed(x, y, d):
    cfg = {key: val * y for key, val in d.items()}
    d["w"] += x
    return np.sum(cfg["w"])


def partial_keeps_its_arguments(x):
    acc = 0.0
    func = functools.partial(pick_a, a=acc)
    for i in range(2):
        m = func(1.0)
        acc = np.std(x)
    return m + np.sum(x)


def pick_a(v, a, b=0.5):
    return a


def store_through_row_after_loop(W):
    r = W[0][1]
    m = 1.0
    u = np.zeros(4)
    for i in range(1, 3):
        u = u + m
        m = m + u @ np.concatenate([W[1], [r]])
    W[1][0] = m + r
    return np.sum(W)


def std_of_means_equal_up_to_rounding(x):
    return np.std(np.mean((x * np.ones((2, 1))).reshape(3, 2).T, axis=1)) + np.sum(x)


def test_explore_seed_202():
    x, y = np.array([-0.449, 0.619, -0.349]), np.array([1.056, 0.96, 1.418])
    W = np.array([[-0.684, 1.363, -0.421], [-1.135, -0.136, 0.418]])
    close(ad.grad(items_read_then_dict_changed, wrt=1)(x, y, {"w": W.copy(), "b": 0.23}), np.sum(W, axis=0))
    close(ad.grad(partial_keeps_its_arguments)(np.array([1.329, -0.551, -0.423])), np.ones(3))
    W2 = np.array([[-0.409, 1.325, 0.973], [0.84, 0.601, -1.164]])
    close(ad.grad(store_through_row_after_loop)(W2.copy()),
          numeric_grad(copying(store_through_row_after_loop, 0), (W2,), 0), rtol=1e-5)
    close(ad.grad(std_of_means_equal_up_to_rounding)(np.array([1.329, -0.551, -0.423])), np.ones(3))


# -- builtin sum of a list of arrays is a new array (it was of unknown kind: refused when changed in place) --
def bump_in_place(a, b):
    a += b


def summed_then_changed(x, s):
    hs = [x, 1.0]
    out = sum(hs)
    bump_in_place(out, s)
    parts = [np.stack([x * s, x])]
    M = sum(parts)
    M[1][0] = 1.0
    return np.sum(out * x) + np.sum(M * s)


def test_sum_of_a_list_is_a_new_array():
    x = np.array([0.945, -1.129, -0.89])
    fd_close(summed_then_changed, (x, 0.688), wrt=1)
    fd_close(summed_then_changed, (x, 0.688), wrt=0)


# -- explore seed 404: a list filled by a helper, an array in it changed in place (the refresh went through
#    the helper's parameter, a stale name: the adjoint lists' lengths disagreed) -------------------------------
def append_to(lst, v):
    lst.append(v)


def list_filled_by_helper_then_item_changed(s, x):
    y = x * s
    outs = []
    append_to(outs, y)
    append_to(outs, y)
    y[1] *= outs[0][2]
    return np.sum(outs)


def test_list_filled_by_a_helper_then_an_item_changed():
    x = np.array([0.87, -0.15, -1.046])
    close(ad.grad(list_filled_by_helper_then_item_changed)(0.421, x.copy()),
          numeric_grad(copying(list_filled_by_helper_then_item_changed, 1), (0.421, x), 0))


# -- hunt 2, finding 002: a library result that is a list or tuple (np.split, eigh, cho_factor, np.gradient)
#    used twice: its two adjoint lists were joined with `+` (list concatenation: one contribution lost) -----
_W4 = np.arange(4.0)


def split_used_twice(x):
    parts = np.split(x, 2)
    return np.sum(np.concatenate(parts) * _W4) + np.sum(np.stack(parts) ** 2)


def split_looped_then_indexed(x):
    parts = np.split(x, 2)
    s = 0.0
    for p in parts:
        s = s + np.sum(p ** 3)
    return s + np.sum(parts[0])


def eigh_result_aliased(x):
    r = np.linalg.eigh(np.outer(x, x) + np.diag(_W4 + 1))
    r2 = r
    return np.sum(r[0] ** 2) + np.sum(r2[0] * _W4)


def gradient_used_twice(a):
    gs = np.gradient(a)
    return np.sum(np.stack(gs) ** 2) + np.sum(np.stack(gs) * 3.0)


@pytest.mark.parametrize("f", [split_used_twice, split_looped_then_indexed, eigh_result_aliased])
def test_a_list_result_used_twice_sums_its_adjoints(f):
    x = np.array([0.3, -1.1, 0.8, 0.45])
    fd_close(f, (x,))


def test_np_gradient_result_used_twice():
    a = np.random.default_rng(3).standard_normal((3, 4))
    fd_close(gradient_used_twice, (a,))


def test_cho_factor_result_used_twice():
    scipy_linalg = pytest.importorskip("scipy.linalg")

    def gp(a, b):
        A = a @ a.T + np.eye(3)
        cf = scipy_linalg.cho_factor(A)
        return np.sum(scipy_linalg.cho_solve(cf, b)) + np.sum(scipy_linalg.cho_solve(cf, 2.0 * b))

    rng = np.random.default_rng(0)
    fd_close(gp, (rng.standard_normal((3, 3)), rng.standard_normal(3)))
    fd_close(gp, (rng.standard_normal((3, 3)), rng.standard_normal(3)), wrt=1)


# -- hunt 2, finding 007: Jacobians of a function returning a tuple, list or dict (jacfwd and jacobian
#    crashed inside their generated wrapper; jacrev refused). Now JAX's layout: a tree like the output, each
#    leaf's block of shape leaf.shape + x.shape; for several wrt, each leaf a tuple of blocks -------------------
def _tuple_out(x):
    return np.sin(x), np.sum(x ** 2)


def _list_out(x):
    return [np.sin(x), np.cos(x)]


def _dict_out(x):
    return {"a": np.exp(x), "b": x[:2] * 3.0}


def _nested_out(x, y):
    return {"p": (x * y, [np.sum(x) * y]), "q": np.outer(x, x)}


def _fd_jacobian_tree(f, args, wrt, h=1e-6):
    """The Jacobian of ad.ravel(f(...)) with respect to args[wrt], by central differences: (m, size)."""
    x = np.asarray(args[wrt], dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = h
        up = list(args)
        down = list(args)
        up[wrt] = x + e.reshape(x.shape) if x.ndim else float(x + e[0])
        down[wrt] = x - e.reshape(x.shape) if x.ndim else float(x - e[0])
        columns.append((ad.ravel(f(*up))[0] - ad.ravel(f(*down))[0]) / (2 * h))
    return np.stack(columns, axis=1)


def _ravel_blocks(J, value, shape):
    """Blocks of a Jacobian tree back into rows: (m, size)."""
    blocks, _ = ad.tree_flatten(J)
    return np.concatenate([np.reshape(b, (-1, int(np.prod(shape)))) for b in blocks])


@pytest.mark.parametrize("jac", [ad.jacobian, ad.jacfwd, ad.jacrev])
@pytest.mark.parametrize("f", [_tuple_out, _list_out, _dict_out])
def test_jacobian_of_a_container_output(jac, f):
    x = np.array([0.3, -0.2, 0.5])
    J = jac(f)(x.copy())
    value = f(x)
    assert ad.tree_flatten(J)[1] == ad.tree_flatten(value)[1]
    for block, leaf in zip(ad.tree_flatten(J)[0], ad.tree_flatten(value)[0]):
        assert np.shape(block) == np.shape(leaf) + x.shape
    close(_ravel_blocks(J, value, x.shape), _fd_jacobian_tree(f, (x,), 0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("jac", [ad.jacfwd, ad.jacrev])
def test_jacobian_of_a_nested_output_wrt_two_arguments(jac):
    x, y = np.array([0.3, -0.2, 0.5]), 1.5
    J = jac(_nested_out, wrt=(0, 1))(x.copy(), y)
    value = _nested_out(x, y)
    leaves_J, leaves_v = ad.tree_flatten(J)[0], ad.tree_flatten(value)[0]
    # JAX's layout: a tree like the output whose leaves are (block wrt x, block wrt y)
    pairs = [leaves_J[i:i + 2] for i in range(0, len(leaves_J), 2)]
    assert len(pairs) == len(leaves_v)
    for wrt, shape in ((0, x.shape), (1, ())):
        rows = np.concatenate([np.reshape(p[wrt], (-1, int(np.prod(shape)))) for p in pairs])
        close(rows, _fd_jacobian_tree(_nested_out, (x, y), wrt), rtol=1e-6, atol=1e-8)


def _labelled(x):
    return np.sin(x), "label"


def _integer_part(x):
    return {"v": np.sin(x), "n": 3}


@pytest.mark.parametrize("jac", [ad.jacobian, ad.jacfwd, ad.jacrev])
@pytest.mark.parametrize("f", [_labelled, _integer_part])
def test_jacobian_of_an_output_with_leaves_that_are_not_floats_is_refused(jac, f):
    with pytest.raises(ad.ADError, match="float arrays and floats"):
        jac(f)(np.array([0.3, -0.2, 0.5]))


# -- hunt 2, finding 013: second order through a loop over a dict of parameter groups, one a list, one a tuple:
#    the adjoint buffer of an item of unknown kind was taken for an array (`b[...] = ...` on a list) ----------
def weight_decay_over_groups(params):
    total = 0.0
    for layer in params.values():
        for w in layer:
            total = total + np.sum(w ** 3)
    return total


def test_hvp_over_a_dict_of_a_list_and_a_tuple():
    p = {"a": [np.array([1.0, 2.0])], "b": (np.array([0.5, -1.0]),)}
    v = {"a": [np.array([1.0, 0.5])], "b": (np.array([-0.3, 1.0]),)}
    hv = ad.hvp(weight_decay_over_groups)(p, v)
    close(hv["a"][0], 6 * p["a"][0] * v["a"][0])  # d2/dw2 of w**3 is 6 w
    close(hv["b"][0], 6 * p["b"][0] * v["b"][0])


# -- explore seed 505: a dict made by a comprehension over another's items shares its arrays; an item read from
#    it (its kind not known: keys not known) was taken for a new array, so `A += cfg['w']` missed that A is
#    cfg['w'] (3 instead of 4). Right or refused: it is refused now --------------------------------------------
def comprehension_copy_then_changed(x):
    cfg = {'w': x * 1.0}
    d = {key: val for key, val in cfg.items()}
    A = d['w']
    A += cfg['w']
    A += cfg['w']
    return np.sum(A)


def test_item_of_a_dict_comprehension_shares_the_array():
    x = np.array([1.079, 0.623, 0.842])
    try:
        got = ad.grad(comprehension_copy_then_changed)(x.copy())
    except ad.ADError:
        return
    close(got, numeric_grad(copying(comprehension_copy_then_changed, 0), (x,), 0))


def dict_copied_then_changed(x):
    cfg = {'w': x * 1.0}
    d = dict(cfg)
    A = d['w']
    for i in range(2):
        A += cfg['w']
    return np.sum(A)


def test_dict_copy_shares_its_arrays():
    x = np.array([1.079, 0.623, 0.842])
    close(ad.grad(dict_copied_then_changed)(x.copy()), numeric_grad(copying(dict_copied_then_changed, 0), (x,), 0))


# -- explore seed 4242 (program 1770): an early `return` whose path is taken, before a loop whose `return` the
# inliner found dead: the output was left unbound on that path (`out` merged from the other paths only) and
# the adjoint zeroed an adjoint of a name bound on one branch only (UnboundLocalError in the generated code)
def early_return_then_dead_loop_return(x, y, s):
    if y[0] < y[1]:
        pass
    else:
        return s
    tot = x[0]
    val = 0.0
    for i in range(2):
        if val > 0.0:
            return 1.5
        tot += min(np.r_[y, tot])
    return tot + np.sum(x ** 2)


def test_early_return_before_a_loop_whose_return_is_dead():
    x = np.array([-0.552, 1.075, -0.975, -1.32])
    for y in (np.array([1.08, 0.439, -1.161]), np.array([0.2, 0.439, -1.161])):  # both paths of the `if`
        for wrt in (0, 1):
            args = (x, y, 0.872)
            close(ad.grad(early_return_then_dead_loop_return, wrt=wrt)(*args),
                  numeric_grad(early_return_then_dead_loop_return, args, wrt))
