"""Review mends (last stop's h11-006 / h12-012 / h11-014).

1. A derivative's result never shares memory with the caller's arguments or with another call's result: a jvp's
   tangent was the caller's tangent itself (`ad.jvp(lambda x: x)(x, dx)[1] is dx`, or a view of it), its value
   the argument itself, and with jit=True a vjp's gradient the caller's seed (fresh_results.py).
2. A vjp's seed and a jvp's tangent are checked also where the output does not depend on the wrt argument (the
   check was dead code there: a wrong shape accepted silently; cleanup.EFFECT_HELPERS).
"""
import numpy as np
import pytest

import ad_compiler as ad


def identity(x):
    return x


def copied_name(x):
    y = x
    return y


def tail_view(x):
    return x[1:]


def transposed(m):
    return m.T


def plus_constant(x, c):
    return x + c


def pair(x):
    return (x, x * 2.0)


def in_dict(x):
    return {"a": x, "b": np.sin(x)}


def from_dict(d):
    return d["w"]


def as_list(x):
    return [x, x * 3.0]


def other_argument(x, y):
    return y + 0.0 * np.sum(x)


def returns_second(x, y):
    return y


def assert_own(result, *args):
    """No array of `result` (at any depth) shares memory with an array of `args`."""
    arrays = []

    def collect(v, out):
        if isinstance(v, np.ndarray):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            for u in v:
                collect(u, out)
        elif isinstance(v, dict):
            for u in v.values():
                collect(u, out)
    given = []
    collect(args, given)
    collect(result, arrays)
    for r in arrays:
        for a in given:
            assert not np.shares_memory(r, a), (r, a)


X = np.array([1.0, 2.0, 3.0])
DX = np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize("f", [identity, copied_name, tail_view, pair, in_dict, as_list])
def test_jvp_results_are_the_callers_own(f):
    x, dx = X.copy(), DX.copy()
    value, tangent = ad.jvp(f)(x, dx)
    assert_own((value, tangent), x, dx)
    expected = ad.jvp(f)(X.copy(), DX.copy())[1]
    if isinstance(tangent, np.ndarray):
        tangent *= 0.0  # (the caller changes its result: its tangent and argument stay)
        np.testing.assert_array_equal(dx, DX)
        np.testing.assert_array_equal(x, X)
        np.testing.assert_array_equal(ad.jvp(f)(x, dx)[1], expected)


def test_jvp_tangent_passed_through_arithmetic_and_containers():
    x, c, dx = X.copy(), np.ones(3), DX.copy()
    value, tangent = ad.jvp(plus_constant)(x, c, dx)  # (the tangent of x + c is dx)
    assert_own((value, tangent), x, c, dx)
    m, dm = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    assert_own(ad.jvp(transposed)(m, dm), m, dm)
    d, dd = {"w": X.copy()}, {"w": DX.copy()}
    assert_own(ad.jvp(from_dict)(d, dd), d, dd)
    y = DX.copy()
    assert_own(ad.jvp(returns_second, wrt=0)(x, y, dx), x, y, dx)  # (a value that is another argument)
    assert_own(ad.jvp(identity, wrt=(0,))(x, (dx,)), x, dx)


def test_vjp_and_hvp_results_are_the_callers_own():
    x, seed = X.copy(), DX.copy()
    assert_own(ad.vjp(identity)(x, seed), x, seed)
    assert_own(ad.vjp(pair)(x, (seed, seed)), x, seed)
    v = DX.copy()
    assert_own(ad.hvp(half_square)(x, v), x, v)  # (H v = v)
    assert_own(ad.jvp(ad.grad(half_square))(x, v), x, v)


def half_square(x):
    return 0.5 * np.sum(x ** 2)


def test_results_of_two_calls_are_apart():
    x = X.copy()
    for d in (ad.jacfwd(pair), ad.jacrev(as_list), ad.jacobian(tail_view), ad.hessian(half_square),
              ad.grad(half_square)):
        first = d(x)
        second = d(x)
        assert_own(first, second, x)
    y = DX.copy()
    blocks = ad.hessian(weighted, wrt=(0, 1))
    first, second = blocks(x, y), blocks(x, y)
    assert_own(first, second, x, y)
    assert_own(ad.jacrev(in_dict)(x), ad.jacrev(in_dict)(x), x)


def weighted(x, y):
    return np.sum(x * x * y)


def test_jit_results_are_the_callers_own():
    pytest.importorskip("numba")
    x, dx = X.copy(), DX.copy()
    assert_own(ad.jvp(identity, jit=True)(x, dx), x, dx)
    assert_own(ad.vjp(identity, jit=True)(x, dx), x, dx)  # (Numba's astype of a float64 seed was no copy)


def constant(x):
    return np.ones(2)


def depends(x):
    return x[:2] * 2.0


def constant_pair(x):
    return (np.ones(2), 3.0)


@pytest.mark.parametrize("f", [constant, depends])
def test_seed_and_tangent_checked_whether_or_not_the_output_depends_on_x(f):
    x = X.copy()
    with pytest.raises(ad.ADError, match=r"seed has shape \(5,\)"):
        ad.vjp(f)(x, np.ones(5))
    with pytest.raises(ad.ADError, match=r"tangent has shape \(5,\)"):
        ad.jvp(f)(x, np.ones(5))
    with pytest.raises(ad.ADError, match="seed has shape"):
        ad.vjp(f)(x, "a")


def test_seed_and_tangent_checked_for_a_constant_output_in_other_forms():
    x = X.copy()
    with pytest.raises(ad.ADError, match="the seed must be a tuple or list"):
        ad.vjp(constant_pair)(x, np.ones(2))
    with pytest.raises(ad.ADError, match=r"tangent has shape \(5,\)"):
        ad.jvp(other_argument, wrt=(0, 1))(x, x, (np.ones(5), np.ones(3)))
    with pytest.raises(ad.ADError, match=r"tangent has shape \(5,\)"):
        ad.hvp(linear)(x, np.ones(5))  # (the gradient does not depend on x)


def linear(x):
    return np.sum(x * np.array([1.0, 0.5, 2.0]))


def test_checked_after_number_results_and_through_a_guard_set_elsewhere():
    d = ad.jvp(copied_name)
    for _ in range(3):  # (numbers: the guard's path returns them unchecked)
        assert d(2.0, 1.0) == (2.0, 1.0)
    x, dx = X.copy(), DX.copy()
    for _ in range(3):  # (arrays now: every call checked, also through the guard)
        assert_own(d(x, dx), x, dx)
    jac = ad.jacfwd(tail_view, wrt=("x",))  # (its loops specialize the jvp, which sets the jvp's guard)
    jac(x)
    jac(x)
    assert_own(ad.jvp(tail_view, wrt=("x",))(x, (dx,)), x, dx)
