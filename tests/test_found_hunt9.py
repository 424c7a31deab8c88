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
