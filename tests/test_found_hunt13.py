"""Regressions found by adversarial hunt 13 (the optimizations of the dispatcher's guard, unit_seed.py,
grad_forms.py and jit=True's stores)."""
import numpy as np

import ad_compiler as ad
from ad_compiler import driver, rules
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1])


def softplus_a(x):
    return np.log1p(np.exp(x))


def uses_softplus_a(x):
    return np.sum(softplus_a(x) * x)


def softplus_b(x):
    return np.log1p(np.exp(x))


def uses_softplus_b(x):
    return np.sum(softplus_b(x) * x)


def _same_as_fd(g, f, *args):
    np.testing.assert_allclose(g(*args), numeric_grad(f, args, 0), rtol=1e-6, atol=1e-8)


def test_a_derivative_compiled_while_a_rule_is_registered_is_stale():  # h13-001
    """Registering counted the rules' generation (and dropped the guards) before it put the rule in the
    table: a derivative compiled in between (another thread's call) was recorded as of the new generation
    but used the old rule, and was never compiled again: the old rule's gradient for good."""
    @ad.defvjp(softplus_a)
    def wrong(x):
        bx = 2.0 * g / (1.0 + np.exp(-x))

    dg = ad.grad(uses_softplus_a)
    dg(X)

    def call_in_between():
        dg(X)

    rules._on_change.append(call_in_between)  # (runs where another thread could call g)
    try:
        @ad.defvjp(softplus_a)
        def right(x):
            bx = g / (1.0 + np.exp(-x))
    finally:
        rules._on_change.remove(call_in_between)
    _same_as_fd(dg, uses_softplus_a, X)
    _same_as_fd(dg, uses_softplus_a, X)


def test_a_rule_registered_while_the_guard_is_installed_drops_it():  # h13-002
    """The dispatcher installs a guard (which does not test the rules' generation) after testing stale():
    a rule registered in between (by another thread) dropped the guards before this one was added, and it
    kept calling the derivative of the old rule."""
    @ad.defvjp(softplus_b)
    def wrong(x):
        bx = 2.0 * g / (1.0 + np.exp(-x))

    dg = ad.grad(uses_softplus_b)
    dg(X)
    install = driver._install

    def racing_install(dispatcher, method):
        install(dispatcher, method)
        if method is not None:
            driver._install = install

            @ad.defvjp(softplus_b)
            def right(x):
                bx = g / (1.0 + np.exp(-x))

    driver._install = racing_install
    try:
        dg(X)
    finally:
        driver._install = install
    _same_as_fd(dg, uses_softplus_b, X)
    _same_as_fd(dg, uses_softplus_b, X)


def repeated_key(x, y):
    d = {"a": x, "b": y, "a": y * 3.0}
    return np.sum(d["a"] * x) + np.sum(d["b"] * x) + float(list(d) == ["a", "b"])


def keys_when_it_runs(x, y, k1, k2):
    d = {k1: x, k2: y * 3.0}
    return np.sum(d[k2] * x)


def test_a_dict_literal_with_a_key_twice_keeps_the_last_value():  # h13-004
    """`{'a': x, 'a': y * 3.0}` is `{'a': y * 3.0}`; the adjoint of the literal gave the entry's adjoint to
    x too (a gradient 3y + 3y for 3y), silently."""
    x, y = X, np.array([0.5, 1.5, -2.0])
    got = ad.grad(repeated_key, wrt=(0, 1))(x, y)
    for i in (0, 1):
        np.testing.assert_allclose(got[i], numeric_grad(repeated_key, (x, y), i), rtol=1e-6, atol=1e-8)


def test_a_dict_literal_with_keys_equal_when_it_runs():  # h13-004
    """Keys known only when it runs may be equal: the later entry replaces the earlier."""
    x, y = X, np.array([0.5, 1.5, -2.0])
    g = ad.grad(keys_when_it_runs, wrt=(0, 1))
    for k1, k2 in (("a", "a"), ("a", "b"), (1, 1.0)):
        got = g(x, y, k1, k2)
        for i in (0, 1):
            np.testing.assert_allclose(got[i], numeric_grad(keys_when_it_runs, (x, y, k1, k2), i),
                                       rtol=1e-6, atol=1e-8)


def adds_floats_into_integers(x):
    k = np.arange(3)
    k[1:] += x[1:]
    return np.sum(k * x)


def test_a_part_of_an_integer_array_changed_by_floats_in_place_is_refused():  # h13-003
    """`k[1:] += x[1:]` with k of integers raises in NumPy (the sum is not cast back in place); it was read
    as `k[1:] = k[1:] + x[1:]`, which truncates: a gradient of a function that raises. `k += x` was
    refused already."""
    try:
        adds_floats_into_integers(X.copy())
    except TypeError:
        pass
    else:
        raise AssertionError("NumPy no longer raises here")
    with np.testing.assert_raises_regex(ad.UnsupportedError, r"k\[1:\] \+= \.\.\.` changes an integer array"):
        ad.grad(adds_floats_into_integers)(X.copy())


def reshapes_a_transpose(X):
    v = X.T.reshape(6)
    return np.sum(v * np.arange(6.0) * v)


def test_jit_reshape_method_of_a_transpose():  # h13-005
    """jit=True: `X.T.reshape(6)` was Numba's method, which raises NotImplementedError when it runs on an
    array that is not C-contiguous (no line, no derivative); np.reshape went through _ad.jit.reshape."""
    X = np.array([[0.3, -0.7, 1.1], [0.5, 2.0, -1.2]])
    got = ad.grad(reshapes_a_transpose, jit=True)(X)
    np.testing.assert_allclose(got, numeric_grad(reshapes_a_transpose, (X,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got, ad.grad(reshapes_a_transpose)(X), rtol=1e-12, atol=1e-14)
