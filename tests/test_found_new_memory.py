"""A function of the user's with a rule is taken for one returning new memory only when every `return` is
proven so (new_memory.returns_new_memory, reading the source). It read `copy=` and `out=` only as keywords:
`np.nan_to_num(a, False)` (the array itself when there is nothing to replace) and `np.cumsum(a, 0, None, a)`
(written into `a`) given by position were taken for new arrays, so a change of `a` after the call did not reach
the result. Now the alias pass's facts are read (alias_library.gives_new_memory, positional `out` and `copy`
too): right or refused, against central differences."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad


def finite_of(a):
    return np.nan_to_num(a, False)


@ad.defvjp(finite_of)
def _finite_of_rule(a):
    ba = g  # noqa: F821 (the template's adjoint of the result)


def running_sum(a):
    return np.cumsum(a, 0, None, a)


@ad.defvjp(running_sum)
def _running_sum_rule(a):
    ba = np.cumsum(g[::-1])[::-1]  # noqa: F821


def changes_after_finite_of(x):
    y = x * 1.0
    z = finite_of(y)
    y[0] = 5.0
    return np.sum(z ** 2 * x)


def new_copy(a):
    return np.nan_to_num(a, True)


@ad.defvjp(new_copy)
def _new_copy_rule(a):
    ba = g  # noqa: F821


def changes_after_a_copy(x):
    y = x * 1.0
    z = new_copy(y)
    y[0] = 5.0
    return np.sum(z ** 2 * x)


X = np.array([0.3, -0.5, 0.8])


@pytest.mark.parametrize("f", [changes_after_finite_of, changes_after_a_copy])
def test_rule_result_may_be_its_argument_by_positional_copy_flag(f):
    try:
        got = ad.grad(f)(X.copy())
    except ad.ADError as exc:
        assert f is changes_after_finite_of and exc.where.filename.endswith("test_found_new_memory.py"), str(exc)
        return
    np.testing.assert_allclose(got, numeric_grad(f, [X.copy()], 0), rtol=1e-6, atol=1e-7)


def test_returns_new_memory_reads_positional_flags():
    from ad_compiler.new_memory import returns_new_memory

    assert not returns_new_memory(finite_of)
    assert not returns_new_memory(running_sum)
    assert returns_new_memory(new_copy)
