"""Found in stop 28 by probing `jit=True` (Numba's semantics against Python's and NumPy's), checkpointing and
the side effects of functions with users' rules: each program gives the derivative central differences give, or
a located refusal."""
import math
import re

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

pytest.importorskip("numba")


# -- h28b-002 / h28b-004: Python ints in jit=True. `n >> k` with k >= 64 took k modulo 64 (-7 >> 66 gave -2,
# Python -1); `int(y)`, `math.floor(y)`, `round(y)` of a float beyond int64 wrapped around (int(1e20) % 7 gave
# 6, Python 2): a wrong gradient, silently --

def int_bits(x, n, k, y):
    return x * (n >> k) + x * (int(y) % 7) + x * (math.floor(y) % 5) + x * ~n


def test_int_shift_and_float_to_int_in_jit():
    d = ad.grad(int_bits, jit=True)
    for n, k in ((-7, 66), (7, 70), (-7, 2), (-1, 63)):
        assert d(1.5, n, k, 3.5) == pytest.approx(numeric_grad(int_bits, [1.5, n, k, 3.5], 0))
    with pytest.raises(OverflowError, match="int64"):
        d(1.5, 1, 1, 1e20)  # (Python's int(1e20) % 7 is 2: the compiled code says it cannot, never 6)
    with pytest.raises(ValueError, match="NaN"):
        d(1.5, 1, 1, float("nan"))


# -- h28b-001 / h28b-003: `~` of a bool (Python's `~True` is -2, Numba's False) and `round(v, ndigits)` (Python
# rounds 2.675 to 2.67, Numba to 2.68) gave other values than Python: refused at their line under jit --

def invert_compare(x, y):
    return x * ~(y > 0.0)


def round_digits(x, y):
    return x * round(y, 2)


@pytest.mark.parametrize("f, args, what", [(invert_compare, (1.5, 2.0), "~"), (round_digits, (1.5, 2.675), "round")])
def test_python_number_semantics_numba_differs_on_are_refused(f, args, what):
    assert ad.grad(f)(*args) == pytest.approx(numeric_grad(f, list(args), 0))
    with pytest.raises(ad.ADError, match=r"line \d+[\s\S]*" + re.escape(what)):
        ad.grad(f, jit=True)(*args)
