"""jit=True (docs/jit.md): programs the plain derivative takes that the compiled subset refused (hunt9,
h9-007), each checked against central differences and the plain derivative; and Python's unbounded ints,
which the compiled code computes exactly or refuses with OverflowError, never wrapped (h9-004). Skipped
without Numba."""
import numpy as np
import pytest

import ad_compiler as ad

numba = pytest.importorskip("numba")
from test_jit import check_jit_grad  # noqa: E402 (after the skip: test_jit needs numba too)


# -- Python's ints: exact, or OverflowError --------------------------------------------------------------
def bigint(x, n):
    m = 1
    for i in range(n):
        m = m * 1000
    return x * (m % 997)


def test_int_arithmetic_is_exact_or_raises_never_wraps():
    g = ad.grad(bigint, jit=True)
    assert g(1.3, 3) == ad.grad(bigint)(1.3, 3) == float(10 ** 9 % 997)
    with pytest.raises(OverflowError, match="overflowed int64"):
        g(1.3, 8)  # (10**24: wrapped, int64 gave 13.0; Python 579.0)
    assert "_ad.jit.int_mul(" in g.source


def test_the_int_helpers_agree_with_python_or_raise():
    from ad_compiler import jit_ints as J
    low, high = -2 ** 63, 2 ** 63 - 1
    values = [0, 1, -1, 2, -3, 7, low, high, low + 1, high - 1, 3037000499, 3037000500, -3037000500, 10 ** 18,
              2 ** 62, -2 ** 62, 2 ** 32 + 1]
    ops = [(J.int_mul, lambda a, b: a * b), (J.int_add, lambda a, b: a + b), (J.int_sub, lambda a, b: a - b)]
    cases = [(f, op, a, b) for f, op in ops for a in values for b in values]
    cases += [(J.int_lshift, lambda a, k: a << k, a, k) for a in values for k in (0, 1, 31, 61, 62, 63, 64)]
    cases += [(J.int_pow, lambda a, k: a ** k, a, k) for a in (0, 1, -1, 2, -2, 3, 10, -10) for k in (0, 1, 5, 62, 63, 64)]
    for f, op, a, b in cases:
        exact = op(a, b)
        if low <= exact <= high:
            assert f(a, b) == exact, (f, a, b)
        else:
            with pytest.raises(OverflowError):
                f(a, b)


# -- h9-007: what plain mode takes ---------------------------------------------------------------------
def power(x, n):
    return np.sum(x ** n)


@pytest.mark.parametrize("args", [(0.7, 3), (np.array([0.5, -1.5, 2.0]), 3), (np.array([0.5, 2.0]), 0)],
                         ids=["number", "array", "power-0"])
def test_power_by_an_int_compiles(args):
    check_jit_grad(power, args, 0)


def sqrt_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sqrt(abs(x) + i)
    return s


W = np.array([1.0, -2.0, 3.0, 0.5])


def global_items(x, idx):
    s = 0.0
    for i in range(3):
        s = s + x[idx[i]] ** 2 * W[i] + x[i]
    return s


def kept_axes(a, b):
    return np.sum(np.tanh(a * b + b) * np.mean(a, axis=-1, keepdims=True))


def kept_1d(x):
    return np.sum(np.mean(x, axis=0) * x * np.sum(x, axis=0, keepdims=True))


A = np.arange(12.0).reshape(3, 4) / 7 - 0.6
WIDER = [
    ("abs-in-a-loop", sqrt_loop, (-0.3,), 0),
    ("global-and-int-index-items", global_items, (np.array([0.3, 1.2, -0.4, 2.0]), np.array([3, 0, 3])), 0),
    ("keepdims-and-size-1-axis", kept_axes, (A, A[:1] + 0.2), (0, 1)),
    ("keepdims-1d", kept_1d, (np.array([0.3, 1.2, -0.4]),), 0),
]


@pytest.mark.parametrize("name, f, args, wrt", WIDER, ids=[c[0] for c in WIDER])
def test_what_plain_mode_takes_compiles(name, f, args, wrt):
    check_jit_grad(f, args, wrt)


# -- jit8: runtime helpers and NumPy functions the compiled subset lacked (jit_runtime_arrays.py) ---------
def stats(x, w):
    a = np.r_[x[0], w, x[1:3], 0.5]
    m = np.reshape(np.conj(x), (2, 2))
    e = np.append(w, x[0] * 2.0)
    return np.var(a) + np.std(x) * 2.0 + np.prod(x[:2] * w) + np.sum(np.sin(e)) + np.sum(np.ravel(m.T) ** 3)


def orders(x, s):
    c = np.cumsum(np.sort(x * s))
    grid = np.linspace(s, x[1], 4) + np.linspace(x[0], 2.0, 4)
    return np.sum(c * c) + np.sum(grid ** 2) + np.std(x[:1]) + np.prod(x[1:] - x[1])


ACTS = (np.tanh, np.sin, np.cos)


def chosen(x, k):
    return np.sum(ACTS[k](x) ** 2) * (0.5, 2.0, 1.5)[k] + np.sum(ACTS[k - 1](x) * x)


V = np.array([0.3, -1.2, 0.7, 1.9])
HELPERS = [
    ("r_-var-std-prod-append-reshape", stats, (V, np.array([0.4, -0.8])), (0, 1)),
    ("cumsum-sort-linspace-zero-product", orders, (V, 0.6), (0, 1)),
    ("table-by-a-negative-int", chosen, (V, -2), 0),
]


@pytest.mark.parametrize("name, f, args, wrt", HELPERS, ids=[c[0] for c in HELPERS])
def test_helpers_compile(name, f, args, wrt):
    g = ad.grad(f, wrt=wrt, jit=True)
    g(*args)
    assert "@_ad.jit.njit" in g.source and "_ad." + "r_" not in g.source.replace("_ad.jit.r_", "")
    check_jit_grad(f, args, wrt)


def test_table_position_raises_index_error_as_python():
    with pytest.raises(IndexError):
        ad.grad(chosen, jit=True)(V, 3)


def test_sign_is_numpys_for_real_values():
    from ad_compiler import jit_runtime

    @numba.njit
    def signs(x, v):
        return jit_runtime.sign(x), jit_runtime.sign(v)
    x = np.array([-2.0, 0.0, 3.5, np.nan, -0.0])
    got, one = signs(x, -0.25)
    np.testing.assert_array_equal(got, np.sign(x))
    assert one == -1.0


def made_dict(W, x):
    dd = {'w': W * 2.0, 'b': x[0] + x[1]}
    dd['b'] = dd['b'] * np.cos(x[1])
    return np.sum(dd['w'] * W) + dd['b'] * 3.0 + np.sum(x * dd['b'])


def aliased_dict(W, x):
    dd = {'w': W * 2.0, 'b': x[0] + x[1]}
    cfg = dd
    cfg['b'] = dd['b'] * np.cos(x[1])
    return np.sum(dd['w'] * W) + dd['b'] * 3.0


def test_a_dict_made_in_the_function_is_a_name_per_key():
    W = np.array([[0.3, -0.5], [1.1, 0.2]])
    check_jit_grad(made_dict, (W, V[:2]), (0, 1))
    source = ad.grad(made_dict, wrt=(0, 1), jit=True).source
    code = [line for line in source.split("def dmade_dict")[1].split("def ")[0].splitlines() if "#" not in line]
    assert not any("{" in line for line in code) and any(line.strip().startswith("dd_w = ") for line in code)
    # (one dict under two names: the derivative stores through `dd` only; the adjoint dict's copy,
    # `_ad.owned_copy(bdd, dd)`, holds the very entries: a name per key too, since jit11)
    check_jit_grad(aliased_dict, (W, V[:2]), (0, 1))


def list_items(x, s):
    xs = [x[0] * s, s * 2.0, x[1]]
    rows = [x * s, np.cos(x)]
    return xs[-1] * xs[0] + xs[1] ** 2 + np.sum(rows[1] * rows[0])


def test_items_of_lists_made_in_the_function():
    check_jit_grad(list_items, (V, 0.7), (0, 1))


def viewed(x):
    y = x * 1.0
    v = y.reshape(2, 2)
    v[0] = v[0] * 3.0
    return np.sum(y * x)


def test_a_view_changed_in_place_is_checked_to_be_a_view():
    check_jit_grad(viewed, (V,), 0)
    assert "_ad.jit.check_view(" in ad.grad(viewed, jit=True).source
    from ad_compiler import jit_runtime

    @numba.njit
    def check(v, b):
        jit_runtime.check_view(v, b, "here")
    M = np.arange(6.0).reshape(2, 3)
    check(M[:, 1], M)
    check(M.T[::-1], M)
    with pytest.raises(ad.UnsupportedError, match="a copy, not a view"):
        check(M.copy(), M)


def list_sum(W, x, s):
    hs = [W[1, 2], x[2] * s, np.mean(x)]
    return sum(hs) * 2.0 + hs[0] * hs[-1]


def test_adjoints_of_a_list_add_item_by_item():  # (Numba's + joins two lists: 4.39 for 5.39, seed 2024 #31)
    check_jit_grad(list_sum, (np.array([[0.6, 1.1, -0.9], [-0.4, 0.7, -1.2]]), V[:3], -0.35), (0, 2))
