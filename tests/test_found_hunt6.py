"""Regression tests for the sixth adversarial hunt (functions chosen from a table, second derivatives through the
ODE solvers, np.asarray identity and integer arrays changed in place). Expected values come from central finite
differences (test_modes.fd_*), never from the compiler. The numbers are those of
/work/hunt6/findings.md."""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import assert_close, fd_grad, fd_hvp

X = np.array([0.3, -0.7, 1.1, 0.45])
V = np.array([0.5, 1.0, -0.25, 0.75])


def cube(z):
    return z ** 3


# -- 001: reverse over reverse of a gradient with an if/elif chain (a table's choice): the adjoint sweep's `if t1:`
# gave the other branch zeros of a value its forward sweep defines only under `if t1:` (UnboundLocalError) --------
TABLE = [np.sin, cube, np.tanh]


def chosen(x, k):
    return np.sum(TABLE[k](x) * x)


def if_elif(x, k):
    if k == 0:
        y = np.sin(x)
    elif k == 1:
        y = np.cos(x)
    else:
        y = np.tanh(x)
    return np.sum(y * y)


@pytest.mark.parametrize("f", [chosen, if_elif])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_reverse_over_reverse_of_branches(f, k):
    got = ad.vjp(ad.grad(f))(X, k, V)
    assert_close(got, fd_hvp(f, [X, k], 0, V), 1e-4, 1e-4, what="vjp of grad")


# -- 003: reverse over reverse of odeint in a loop: the tape kept the shape of `adjoints` (the tuple odeint_vjp
# returns: an array and a tuple of the parameters' adjoints) with ShapeOf(tuple), which NumPy could not make a
# dtype of (TypeError) ------------------------------------------------------------------------------------------
def oscillator(y, t, k, c):
    return np.array([y[1], -k * y[0] - c * y[1] ** 3])


ODE_T = np.linspace(0.0, 1.2, 4)


def odeint_in_loop(y0, k):
    from scipy.integrate import odeint

    y = y0
    for i in range(2):
        ys = odeint(oscillator, y, ODE_T, args=(k, 0.3), rtol=1e-11, atol=1e-11)
        y = ys[-1] * 0.9
    return np.sum(y ** 2)


def test_reverse_over_reverse_of_odeint_in_a_loop():
    pytest.importorskip("scipy.integrate")
    y0, v, eps = np.array([0.3, -0.2]), np.array([0.7, 1.0]), 1e-4
    grad = ad.grad(odeint_in_loop)
    assert_close(grad(y0, 1.3), fd_grad(odeint_in_loop, [y0, 1.3], 0), 1e-5, 1e-6, what="grad")
    expected = (grad(y0 + eps * v, 1.3) - grad(y0 - eps * v, 1.3)) / (2 * eps)  # H v from the checked gradient
    assert_close(ad.vjp(ad.grad(odeint_in_loop))(y0, 1.3, v), expected, 1e-6, 1e-7, what="vjp of grad")


# -- 004: `x op= v` on an integer or bool array NumPy refuses to cast back (UFuncTypeError): the derivative
# returned a value where the dtype came from `.astype(int)`, `.copy()` of an integer array, np.zeros_like of one,
# np.ones_like(x, dtype=int), a comparison (bool) -------------------------------------------------------------
def int_astype(x):
    a = (x * 10).astype(int)
    a += x
    return np.sum(a * x)


def int_astype_string(x):
    a = x.astype("int32")
    a *= 2.0
    return np.sum(a * x)


def int_copy(x):
    a = np.arange(4).copy()
    a *= x
    return np.sum(a)


def int_zeros_like(x):
    a = np.zeros_like(np.arange(4))
    a += x
    return np.sum(a * x)


def int_ones_like_dtype(x):
    a = np.ones_like(x, dtype=int)
    a += x
    return np.sum(a * x)


def bool_plus_float(x):
    a = x > 0
    a += x
    return np.sum(a * x)


def bool_times_int(x):
    a = x > 0
    a *= 2
    return np.sum(a * x)


@pytest.mark.parametrize("f", [int_astype, int_astype_string, int_copy, int_zeros_like, int_ones_like_dtype,
                               bool_plus_float, bool_times_int])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_integer_or_bool_array_changed_by_a_wider_value_is_refused(f, mode):
    with pytest.raises(Exception) as raised:  # what NumPy does with the function itself
        f(X.copy())
    assert not isinstance(raised.value, ad.ADError)
    with pytest.raises(ad.ADError) as refused:
        ad.grad(f)(X) if mode == "grad" else ad.jvp(f)(X, V)
    assert "test_found_hunt6.py" in str(refused.value) and "a " in str(refused.value)


def float_astype_copy(x):
    a = x.astype(float)
    a += x
    b = (x > 0).astype(float)
    b *= x
    c = np.ones_like(np.arange(4), dtype=float)
    c += x
    return np.sum(a * x) + np.sum(b) + np.sum(c * c)


def bool_and_bool(x):
    a = x > 0
    a &= x < 1.0
    a |= x > 1.0
    return np.sum(a * x)


@pytest.mark.parametrize("f", [float_astype_copy, bool_and_bool])
def test_float_and_bool_arrays_changed_as_numpy_allows(f):
    assert_close(ad.grad(f)(X), fd_grad(f, [X], 0), 1e-5, 1e-6, what="grad")


# -- 005: lambdas reading nothing of the function, two on one line in a list, called through the list (a table
# chosen when it runs, or a helper): made real functions (inline_values.lift), then read back from their source,
# which fails for a lambda sharing its line: refused, and without a location ----------------------------------
def call_item(fs, k, z):
    return fs[k](z)


def lambdas_chosen(x, k):
    fs = [lambda t: t * 2.0, lambda t: np.sin(t) ** 2]
    return np.sum(fs[k](x) * x)


def lambdas_through_helper(x, k):
    fs = [lambda t: t * 2.0, lambda t: np.sin(t) ** 2]
    return np.sum(call_item(fs, k, x) * x)


@pytest.mark.parametrize("f", [lambdas_chosen, lambdas_through_helper])
@pytest.mark.parametrize("k", [0, 1])
def test_lambdas_sharing_a_line_in_a_list(f, k):
    check_modes(f, (X, k), 0, modes=("grad", "jvp", "hvp"))


# -- 006: a callee whose source cannot be read (two module lambdas on one line) was refused without a location ---
TWO_LAMBDAS = [lambda t: t * 2.0, lambda t: t ** 2]


def module_lambda_table(x, k):
    return np.sum(TWO_LAMBDAS[k](x))


def test_unreadable_callee_is_refused_at_the_call():
    with pytest.raises(ad.ADError) as e:
        ad.grad(module_lambda_table)(X, 1)
    assert "test_found_hunt6.py" in str(e.value) and "TWO_LAMBDAS[k](x)" in str(e.value)


# -- 007: reverse over reverse of solve_ivp in a loop was refused ("t_span depends on y0"): the gradient saved the
# constant tuple `(0.0, 0.5)` on the tape at every step, and what the tape gives back counts as depending on the
# wrt argument; a tuple of numbers is now loop-invariant code (hoist.py) -----------------------------------------
def forced(t, y, a, b):
    return -a * y + b * np.sin(t)


def solve_ivp_in_loop(y0, a):
    from scipy.integrate import solve_ivp

    y = y0
    for i in range(2):
        sol = solve_ivp(forced, (0.0, 0.5), y, t_eval=[0.5], args=(a, 0.1), rtol=1e-11, atol=1e-11)
        y = sol.y[:, 0]
    return np.sum(np.sin(y))


@pytest.mark.parametrize("wrt", [0, 1])
def test_reverse_over_reverse_of_solve_ivp_in_a_loop(wrt):
    pytest.importorskip("scipy.integrate")
    args, eps = [np.array([0.3, -0.2]), 0.8], 1e-4
    v = np.array([0.7, 1.0]) if wrt == 0 else 0.7
    grad = ad.grad(solve_ivp_in_loop, wrt=wrt)
    assert_close(grad(*args), fd_grad(solve_ivp_in_loop, args, wrt), 1e-5, 1e-6, what="grad")
    up, down = list(args), list(args)
    up[wrt], down[wrt] = args[wrt] + eps * v, args[wrt] - eps * v
    expected = (np.asarray(grad(*up)) - np.asarray(grad(*down))) / (2 * eps)  # H v from the checked gradient
    got = ad.vjp(ad.grad(solve_ivp_in_loop, wrt=wrt), wrt=wrt)(*args, v)
    assert_close(np.asarray(got, dtype=float), expected, 1e-6, 1e-7, what="vjp of grad")


# -- 008: reverse over reverse of a `return` inside a loop (progen seed 6601 #32): the gradient's `if returned_1:`
# after the loop defines Q in one branch; its adjoint's `if returned_1:` gave the other branch zeros of Q
# (UnboundLocalError). The flag is assigned in the loop, but settled after it --------------------------------
def return_in_loop(x, n):
    m = x * 1.0
    for i in range(n):
        if i > 1:
            return np.sum(m ** 2)
        m = m + m * m
    q = m
    return np.sum(np.sin(q))


@pytest.mark.parametrize("n", [2, 5])
def test_reverse_over_reverse_of_return_in_loop(n):
    got = ad.vjp(ad.grad(return_in_loop))(X, n, V)
    assert_close(got, fd_hvp(return_in_loop, [X, n], 0, V), 1e-4, 1e-4, what="vjp of grad")


# -- 009: hvp / hessian / reverse over reverse crashed (TypeError: 'numpy.float64' object does not support item
# assignment) on `vec[i] *= np.maximum(z, a)` in a loop with z a NumPy scalar (progen seed 6601 #199): the
# gradient's `bz = _ad.max_vjp(bt2, z, a, out=bt2)`, read again, stored the result into bt2 (`bt2[...] = t`)
# although bt2 is a number there; a runtime helper's out= is only a buffer it may reuse --------------------------
def max_in_loop(x, a):
    z = np.sum(x * x)
    vec = np.sin(x)
    for i in range(3):
        vec[i] *= np.maximum(z, a)
    return np.sum(vec)


@pytest.mark.parametrize("a", [0.2, 2.0])
def test_second_order_of_a_helper_writing_into_a_number(a):
    check_modes(max_in_loop, (X, a), 0, modes=("hvp", "hessian"))
    assert_close(ad.vjp(ad.grad(max_in_loop))(X, a, V), fd_hvp(max_in_loop, [X, a], 0, V), 1e-4, 1e-4,
                 what="vjp of grad")


# -- 010: reverse over reverse refused without a location (progen seed 6601 #79): reverse mode stopped at a helper
# with no reverse rule for a list of tuples, the forward sweeps it falls back on take arrays and numbers only, and
# their refusal named no line; it is now located where reverse mode stopped, and says why ------------------------
def add_into(a, b):
    a += b
    return a


def list_of_tuples(s, params):
    g = np.ones(4)
    g += np.exp(g)
    vec = np.cumsum(np.var(np.arange(6.0).reshape(2, 3).mean(axis=0) * np.ones((2, 1)), axis=-2)) * np.dot(
        np.linspace(g[3], params[-1][0], 2), np.concatenate([np.linspace(s, params[-1][1], 2), np.array([s])]) *
        np.ones((2, 1)))
    v = add_into(vec, float(params[-1][0]))
    return np.sum(v) + np.sum(np.sin(vec))


def test_reverse_over_reverse_refusal_is_located():
    params = [(-0.568, 0.125), (-0.466, 0.605)]
    try:
        got = ad.vjp(ad.grad(list_of_tuples, wrt=1), wrt=1)(-1.24, params, [(1.0, 0.5), (-0.5, 1.0)])
    except ad.ADError as e:
        assert "line" in str(e) and "^" in str(e) and "reverse mode stopped here" in str(e)
    else:  # (right is fine too: then it must be)
        assert_close(got, fd_hvp(list_of_tuples, [-1.24, params], 1, [(1.0, 0.5), (-0.5, 1.0)]), 1e-4, 1e-4)


# -- 011: a list made in a branch holds an array changed in place after the branch: the first-order gradient is
# right, but its code read again (hvp, hessian, reverse over reverse) refreshed the list unconditionally
# (`t2_4 = t2`), UnboundLocalError on the other path (progen seed 6603 #35, with np.asarray(x) sharing x) -------
def list_in_branch_then_store(x, s):
    y = x * 1.0
    if s > 0.0:
        lst = [y, y]
        acc = np.sum(np.vstack(lst))
    else:
        acc = 1.0
    v = np.asarray(y)
    v[0] = 5.0 * x[1]
    return acc * s + np.sum(y * x)


@pytest.mark.parametrize("s", [1.5, -1.5])
def test_list_made_in_a_branch_then_its_array_changed(s):
    check_modes(list_in_branch_then_store, (X[:3], s), 0, modes=("grad", "hvp", "hessian"))
    try:
        got = ad.vjp(ad.grad(list_in_branch_then_store))(X[:3], s, V[:3])
    except ad.ADError as e:  # (refused where the list's refresh cannot be given on every path: located)
        assert "line" in str(e) and "bound on some paths only" in str(e)
    else:
        assert_close(got, fd_hvp(list_in_branch_then_store, [X[:3], s], 0, V[:3]), 1e-4, 1e-4)


# -- 004's rest: a dtype not known when compiling (made by a call in the function, chosen by a branch, or an
# array that is an integer one on some path) was taken for float: `a += x` returned a value where NumPy raises
def int_zeros_dtype_object(x):
    a = np.zeros(4, dtype=np.dtype("i8"))
    a += x
    return np.sum(a * x)


def dtype_chosen_by_a_branch(x):
    a = np.zeros(4, dtype=int if x[0] > 0 else np.int32)
    a += x
    return np.sum(a * x)


def integer_array_on_one_path(x):
    if x[0] > 0:
        a = np.zeros(4, dtype=int)
    else:
        a = np.zeros(4)
    a += x
    return np.sum(a * x)


def astype_of_a_dtype_made_here(x):
    a = (x * 10).astype(np.dtype("int16"))
    a *= x
    return np.sum(a)


@pytest.mark.parametrize("f", [int_zeros_dtype_object, dtype_chosen_by_a_branch, integer_array_on_one_path,
                               astype_of_a_dtype_made_here])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_array_of_a_dtype_not_known_changed_in_place_is_refused(f, mode):
    test_integer_or_bool_array_changed_by_a_wider_value_is_refused(f, mode)


def float_dtype_made_here(x):
    a = np.zeros(4, dtype=np.dtype("f8"))
    a = a + x
    return np.sum(a * x)


def test_array_of_a_dtype_not_known_changed_by_rebinding():
    check_modes(float_dtype_made_here, (X,))


# -- 002: reverse over reverse of a branch inside a try body, the exception taken: the gradient's `if ok:` (the
# try's flag, read again) gave zeros of a value of the body on the handler's path, where it is not bound
def try_branch(x, k):
    try:
        if k == 0:
            y = np.tanh(x)
        else:
            y = [np.sin(x)][k - 1]
    except IndexError:
        y = x * 3.0
    return np.sum(y * x)


def try_interrupted_after_a_value(x, k):
    try:
        y = np.sin(x) * x
        z = [y][k]
    except IndexError:
        z = np.cos(x) * 2.0
    return np.sum(z * x)


@pytest.mark.parametrize("f", [try_branch, try_interrupted_after_a_value])
@pytest.mark.parametrize("k", [0, 1, 5])
def test_reverse_over_reverse_of_a_branch_in_a_try_body(f, k):
    if f is try_interrupted_after_a_value and k == 1:
        k = 3
    expected = fd_hvp(f, (X, k), 0, V)
    assert_close(ad.vjp(ad.grad(f))(X, k, V), expected, 1e-4, 1e-4, what="vjp of grad")
    assert_close(ad.grad(lambda_free_inner_product(f))(X, k, V), expected, 1e-4, 1e-4, what="grad of <grad, v>")


def lambda_free_inner_product(f):
    g = ad.grad(f)

    def inner(x, k, v):
        return np.sum(g(x, k) * v)

    return inner
