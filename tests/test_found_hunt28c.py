"""Found by hunt28c (stop 28: counterexamples in what this stop merged: checkpointed callees' result facts,
unpacking's length checks, kept random draws and raising statements, rules' side effects, join_items,
loop_copies): each program gives the derivatives central differences give, or a located refusal."""
import random

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import recompute
from fd import numeric_grad

X = np.array([0.3, -0.7, 0.5, 0.2])


# -- h28c-001: an unused draw of a generator whose kind the compiler does not know (an item of a list argument),
# by a method missing from recompute.DRAW_METHODS (random.Random's expovariate / getrandbits / sample / choices /
# randrange / betavariate, a bit generator's random_raw / advance, Generator.zipf ...), was removed as dead code:
# the later draws were another realisation, WRONG value and gradient in grad, value_and_grad and jvp --

def python_random_unused(x, prs):
    z = prs[0].expovariate(1.0)
    return np.sum(x) * prs[0].random()


def bit_generator_unused(x, rngs):
    z = rngs[0].bit_generator.random_raw()
    return np.sum(x * rngs[0].normal(size=4))


@pytest.mark.parametrize("f, make", [(python_random_unused, lambda: [random.Random(5)]),
                                     (bit_generator_unused, lambda: [np.random.default_rng(5)])])
def test_unused_draw_of_a_generator_of_unknown_kind(f, make):
    expected = numeric_grad(lambda x: f(x, make()), [X.copy()], 0)
    value, g = ad.value_and_grad(f)(X.copy(), make())
    assert value == pytest.approx(f(X.copy(), make()))
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    v = np.array([0.1, 0.4, -0.3, 0.7])
    _, t = ad.jvp(f)(X.copy(), make(), v)
    assert t == pytest.approx(float(np.dot(expected, v)))


NOT_DRAWS = {"VERSION", "get_state", "getstate", "capsule", "cffi", "ctypes", "jumped", "lock", "seed_seq", "state"}


def test_every_method_of_a_generator_that_draws_is_known():
    for cls in (np.random.Generator, np.random.RandomState, random.Random, np.random.PCG64, np.random.MT19937):
        missing = {n for n in dir(cls) if not n.startswith("_")} - recompute.DRAW_METHODS - NOT_DRAWS
        assert not missing, f"{cls.__name__}: {sorted(missing)}"


# -- h28c-002: an unused item of a global or a constant that is missing (`D["b"]` of a global dict without that
# key, `"abc"[k]` past its end) was removed with its kind not known (dead_raises kept only numbers and arrays):
# grad, value_and_grad, jvp and hvp returned where f raises KeyError / IndexError. Present items still go --

TABLE = {"a": 1.0, "name": "abc"}


def missing_key(x):
    y = TABLE["b"]
    return np.sum(x * x)


def char_past_end(x):
    y = "abc"[int(abs(x[1]) * 10)]
    return np.sum(x * x)


def present_key(x):
    y = TABLE["name"]
    return np.sum(x * x)


@pytest.mark.parametrize("f, error", [(missing_key, KeyError), (char_past_end, IndexError)])
def test_unused_missing_item_of_a_constant_raises(f, error):
    for run in (lambda: ad.grad(f)(X.copy()), lambda: ad.value_and_grad(f)(X.copy()),
                lambda: ad.jvp(f)(X.copy(), X.copy()), lambda: ad.hvp(f)(X.copy(), X.copy())):
        with pytest.raises(error):
            run()


def test_unused_present_item_of_a_constant_is_removed():
    g = ad.grad(present_key)
    np.testing.assert_allclose(g(X.copy()), 2.0 * X)
    assert "TABLE" not in g.source


# -- h28c-003: a function with a user's rule storing a value of its argument where the caller reads it, in ways
# rule_effects.py did not see: a method's `out=` (`x.cumsum(out=BUF)`: the receiver is the operand), a mutating
# method called on its class (`np.ndarray.__setitem__(BUF, ...)`, `list.append(GL, v)`, `dict.update(S, v=..)`),
# NumPy's changing functions given the array by keyword (`np.copyto(dst=BUF, src=...)`, `np.put(a=BUF, ...)`),
# a view made by `as_strided`: the caller's gradient missed the stored value's share (WRONG) --

BUF = np.zeros(4)
GL = []
STATE = {}


def cumsum_out(x):
    x.cumsum(out=BUF)
    return np.sin(x)


def unbound_setitem(x):
    np.ndarray.__setitem__(BUF, slice(None), x * 2.0)
    return np.sin(x)


def unbound_append(x):
    list.append(GL, x * 2.0)
    return np.sin(x)


def unbound_update(x):
    dict.update(STATE, v=x * 2.0)
    return np.sin(x)


def copyto_by_keyword(x):
    np.copyto(dst=BUF, src=x * 2.0)
    return np.sin(x)


def put_by_keyword(x):
    np.put(a=BUF, ind=[0], v=x[0] * 2.0)
    return np.sin(x)


def strided_view(x):
    np.lib.stride_tricks.as_strided(BUF)[:] = x * 2.0
    return np.sin(x)


for _f in [cumsum_out, unbound_setitem, unbound_append, unbound_update, copyto_by_keyword, put_by_keyword,
           strided_view]:
    def _rule(x):
        bx = g * np.cos(x)  # noqa: F841,F821 (the template's adjoint: the function's own, but for the store)
    ad.defvjp(_f)(_rule)


def reads_cumsum_out(x):
    return np.sum(cumsum_out(x) * BUF)


def reads_unbound_setitem(x):
    return np.sum(unbound_setitem(x) * BUF)


def reads_unbound_append(x):
    return np.sum(unbound_append(x) * GL[-1])


def reads_unbound_update(x):
    return np.sum(unbound_update(x) * STATE["v"])


def reads_copyto_by_keyword(x):
    return np.sum(copyto_by_keyword(x) * BUF)


def reads_put_by_keyword(x):
    return np.sum(put_by_keyword(x) * BUF)


def reads_strided_view(x):
    return np.sum(strided_view(x) * BUF)


@pytest.mark.parametrize("f", [reads_cumsum_out, reads_unbound_setitem, reads_unbound_append, reads_unbound_update,
                               reads_copyto_by_keyword, reads_put_by_keyword, reads_strided_view])
def test_rule_storing_its_argument_outside_is_refused(f):
    with pytest.raises(ad.ADError, match="rule"):
        ad.grad(f)(X.copy())


# -- h28c-004: adding to a global list is let through (a record: `LOSSES.append(float(v))`, hunt28b), but a
# function reading the list too read the added value with no derivative: `GLIST.append(x[0] * 2.0);
# return GLIST[-1] * x[1]` gave [0, 0.6, 0, 0] for FD's [-1.4, 0.6, 0, 0] (WRONG in grad and jvp). Now refused
# where the function reads the list other than for its length --

GLIST = [1.0]
RECORD = []


def appends_then_reads(x):
    GLIST.append(x[0] * 2.0)
    return GLIST[-1] * x[1]


def appends_a_record(x):
    v = np.sum(x * x)
    RECORD.append(float(v))
    return v * len(RECORD)


def test_global_list_added_to_and_read_is_refused():
    for run in (lambda: ad.grad(appends_then_reads)(X.copy()), lambda: ad.jvp(appends_then_reads)(X.copy(), X)):
        with pytest.raises(ad.ADError, match="GLIST"):
            run()


def test_global_list_added_to_as_a_record_still_passes():
    RECORD.clear()
    g = ad.grad(appends_a_record)(X.copy())
    np.testing.assert_allclose(g, 2.0 * X * len(RECORD))


# -- h28c-005: np.dot / np.matmul of a list of numbers (`p.tolist()`, lean28's list adjoints) crashed grad and hvp
# (TypeError: can't multiply sequence by non-int of type 'float'; AttributeError: 'list' has no .ndim) in the
# runtime's dot_vjp / matmul_vjp --

def dot_of_lists(p):
    a = p.tolist()
    return float(np.dot(a, a))


def matmul_of_list(p):
    return float(np.matmul(p.tolist(), p))


@pytest.mark.parametrize("f", [dot_of_lists, matmul_of_list])
def test_product_of_a_list_of_numbers(f):
    np.testing.assert_allclose(ad.grad(f)(X.copy()), 2.0 * X, rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(f)(X.copy(), X.copy()), 2.0 * X, rtol=1e-12)


# -- h28c-006 (over-refusal, open): a function with a user's rule that keeps a record in a global list
# (`LOG.append(float(np.sum(x)))`) is refused even where the caller never reads the list; a plain function doing
# the same passes (alias_mutation.foreign_change lets an addition the function does not read back through) --

RULE_LOG = []


def logs_its_sum(x):
    RULE_LOG.append(float(np.sum(x)))
    return np.sin(x)


@ad.defvjp(logs_its_sum)
def logs_its_sum_rule(x):
    bx = g * np.cos(x)  # noqa: F841,F821


def calls_the_logger(x):
    return np.sum(logs_its_sum(x))


@pytest.mark.xfail(strict=True, reason="h28c-006: rule_effects refuses a record the caller never reads")
def test_rule_keeping_a_record_the_caller_does_not_read():
    np.testing.assert_allclose(ad.grad(calls_the_logger)(X.copy()), np.cos(X))


# -- h28c-007 (over-refusal): a draw of a generator whose kind is not known, as a statement
# (`prs[0].expovariate(1.0)`, its value unused), was refused as a method called for what it does; assigned
# (`z = prs[0].expovariate(1.0)`) it was kept and right (h28c-001). A draw moves only its generator on --

def draws_as_a_statement(x, prs):
    prs[0].expovariate(1.0)
    return np.sum(x) * prs[0].random()


def test_bare_draw_of_a_generator_of_unknown_kind():
    expected = numeric_grad(lambda x: draws_as_a_statement(x, [random.Random(5)]), [X.copy()], 0)
    np.testing.assert_allclose(ad.grad(draws_as_a_statement)(X.copy(), [random.Random(5)]), expected, rtol=1e-6)
