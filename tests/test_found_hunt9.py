"""Hunt 9 (the compiled backend, `jit=True`): regressions, each checked against central differences of the
program itself and the plain derivative (/work/hunt9/findings.md has the reproductions). The contract: right,
or refused with a located ad.ADError. Numba compiles cost about half a second each: the programs are few."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

pytest.importorskip("numba")

rng = np.random.default_rng(9)


# -- h9-001: a later call with arguments of other Numba types (a transposed matrix in a list of (w, b) pairs,
# after a call with C-contiguous ones) makes Numba compile again; its TypingError escaped as numba's own error,
# unlocated (only the first call's errors were mapped to the user's line).
def layers(params, x):
    h = x
    for i in range(len(params)):
        w, b = params[i]
        h = np.tanh(w @ h + b)
    return np.sum(h)


def test_a_numba_error_at_a_later_call_is_located_at_the_users_line():
    w1, b1, w2 = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal((3, 3))
    x = rng.standard_normal(2)
    g = ad.grad(layers, wrt=1, jit=True)
    for params in ([(w1, b1), (w2, b1)], [(w1, b1), (w2.T, b1)], [(w1, b1), (w2, b1)]):
        try:
            got = g(params, x)
        except ad.ADError as e:
            assert "test_found_hunt9.py" in str(e) and "params[i]" in str(e)
            continue
        np.testing.assert_allclose(got, numeric_grad(layers, [params, x], 1), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got, ad.grad(layers, wrt=1)(params, x), rtol=1e-12)


# -- h9-002: max / min of two numbers one of which is NaN: Python's builtin gives the first argument, and the
# plain adjoint gives the other exactly 0.0; the compiled adjoint found no winner (NaN == NaN is false) and gave
# each argument g * 0.0, NaN for the argument the output does not depend on.
def extremes(x, y):
    return max(x, y) * x + min(x * 2.0, y)


def test_max_and_min_with_a_nan_argument_match_the_plain_derivative():
    g = ad.grad(extremes, wrt=(0, 1), jit=True)
    plain = ad.grad(extremes, wrt=(0, 1))
    for x, y in ((0.3, 0.5), (float("nan"), 0.5), (0.3, float("nan")), (0.5, 0.5)):
        np.testing.assert_array_equal(g(x, y), plain(x, y))
    np.testing.assert_allclose(g(0.3, 0.5), [numeric_grad(extremes, [0.3, 0.5], i) for i in (0, 1)], rtol=1e-6)


# -- h9-003: a first call whose compiled code raised while running (a division by zero, as the plain derivative
# raises it) left the stand-in for the first call in place; the next call raising the same way, with nothing
# compiled, was taken for a compile error: "jit=True: Numba cannot compile the derivative", a false refusal.
def ratio(x, y):
    return x / y + x * x


def test_an_exception_the_compiled_code_raises_again_is_not_taken_for_a_compile_error():
    g = ad.grad(ratio, wrt=(0, 1), jit=True)
    for _ in range(2):
        with pytest.raises(ZeroDivisionError):
            g(1.0, 0.0)
    np.testing.assert_allclose(g(1.0, 2.0), [numeric_grad(ratio, [1.0, 2.0], i) for i in (0, 1)], rtol=1e-6)
