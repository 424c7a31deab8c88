"""Statements of published numerical code (issue 10): generator functions consumed by `for`, `list()`,
`zip`; `tuple()` / `list()` of iterables; `import` inside the function; `assert`; `print` and logging kept in
the forward sweep; `try` / `except` / `else` / `finally` (the adjoint covers the path taken); `with` blocks of
ordinary context managers. Every program is checked against central finite differences in all modes
(modes_check.py), alone and inside loops, branches and callees."""
import logging
import warnings

import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes
from test_modes import assert_close, fd_grad

rng = np.random.default_rng(13)
log = logging.getLogger("ad_compiler.tests.language")


def A(*shape):
    return rng.standard_normal(shape)


# -- generators -------------------------------------------------------------------------------------------------
def windows(xs, width=2):
    for i in range(len(xs) - width + 1):
        yield xs[i:i + width]


def squares_then_ends(xs):
    for v in xs:
        if v > 0.0:
            yield v * v
        else:
            yield -v
    yield from [xs[0], xs[-1]]


def generators(x):
    total = 0.0
    for w in windows(x):  # consumed by a for loop
        total = total + np.prod(w)
    values = list(squares_then_ends(x))  # by list()
    for u, v in zip(squares_then_ends(x), x):  # by zip
        total = total + u * v
    def scaled(ys):  # a nested generator reading the enclosing x
        for y in ys:
            yield y * x[0]
    return total + sum(values) + sum(tuple(scaled(values)))


def test_generator_functions():
    check_modes(generators, (np.array([0.7, -1.1, 0.4, 1.3]),), 0)


def endless(x):
    while True:
        yield x


def consumes_endless(x):
    total = 0.0
    for v, _ in zip(endless(x), range(3)):
        total = total + v
    return total


def test_a_generator_that_never_ends_by_itself_is_refused():
    with pytest.raises(ad.UnsupportedError, match="a generator that never ends by itself"):
        ad.grad(consumes_endless)(1.0)


def used_twice(x):
    g = windows(x)
    first = sum(np.sum(w) for w in g)
    return first + len(list(g))


def test_a_generator_used_twice_is_refused():
    with pytest.raises(ad.UnsupportedError, match="the iterator `g` is used more than once"):
        ad.grad(used_twice)(A(4))


def conversions(x, d):
    t = tuple(v * 2.0 for v in x)
    items = list(d.items())
    pairs = list(zip(x, t))
    rows = tuple(np.outer(x, x))
    return sum(a * b for a, b in pairs) + items[0][1] * t[1] + np.sum(rows[1]) + sum(list(d.values()))


def test_tuple_and_list_of_iterables():
    check_modes(conversions, (A(3), {"a": 0.5, "b": -1.0}), 0)
    check_modes(conversions, (A(3), {"a": 0.5, "b": -1.0}), 1, modes=("grad", "jvp"))


# -- import, assert, print, logging ----------------------------------------------------------------------------
def imports_inside(x):
    import math
    from scipy.special import logsumexp
    import numpy.linalg as la
    assert x.ndim == 1, "a vector"
    return logsumexp(x) * math.pi + la.norm(x)


def test_import_and_assert_inside_the_function():
    pytest.importorskip("scipy")
    check_modes(imports_inside, (A(4),), 0)


def reports(x, W):
    h = np.tanh(W @ x)
    print("h =", h)
    log.info("norm %s of %s", np.sum(h ** 2), h)
    logging.getLogger("ad_compiler.tests.language").info("h again %s", h)  # (a logger got in the function)
    warnings.warn("a warning from the forward sweep")
    return np.sum(h ** 2)


def test_print_and_logging_stay_in_the_forward_sweep(capsys, caplog):
    x, W = A(3), A(2, 3)
    with caplog.at_level(logging.INFO, logger="ad_compiler.tests.language"), warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        got = ad.grad(reports, wrt=1)(x, W)
    assert "h =" in capsys.readouterr().out
    assert any("norm" in r.message for r in caplog.records)
    assert any("h again" in r.getMessage() for r in caplog.records)
    assert_close(got, fd_grad(reports, [x, W], 1), what="gradient")
    check_modes(reports, (x, W), 0, modes=("grad", "jvp", "hvp"))


# -- try / except / else / finally --------------------------------------------------------------------------
def fallback(K, y):
    try:
        L = np.linalg.cholesky(K)  # fails when K is not positive definite
        alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
        fit = y @ alpha + 2.0 * np.sum(np.log(np.diag(L)))
    except np.linalg.LinAlgError:
        fit = np.sum((K @ y) ** 2)  # the handler carries derivatives too
    else:
        fit = fit * 1.5
    finally:
        fit = fit + np.sum(K) * 0.1
    return fit


def test_try_except_else_finally_both_paths():
    B = A(3, 3)
    K_pd = B @ B.T + 3.0 * np.eye(3)
    K_not = -K_pd
    y = A(3)
    check_modes(fallback, (K_pd, y), 0, modes=("grad", "jvp", "hvp"))
    check_modes(fallback, (K_not, y), 0, modes=("grad", "jvp", "hvp"))
    check_modes(fallback, (K_pd, y), 1)


def else_reads_the_body(K, y):
    """The `else` block reads values only the body assigned (the handler assigns neither)."""
    try:
        L = np.linalg.cholesky(K)
        alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    except np.linalg.LinAlgError:
        fit = np.sum((K @ y) ** 2)
    else:
        fit = y @ alpha + 2.0 * np.sum(np.log(np.diag(L)))
        try:  # (an else block with its own try, reading the outer body's values)
            scale = np.sum(alpha ** 2)
        except ValueError:
            fit = fit * 2.0
        else:
            fit = fit * scale + np.sum(L)
    return fit


def else_in_a_loop(x):
    total = 0.0
    for i in range(4):
        try:
            v = x[i * 2]  # IndexError for i >= 2 with 4 entries
            w = np.sin(v) * x[0]
        except IndexError:
            total = total + x[1] ** 2
        else:
            total = total + v * w
    return total


def test_else_block_reading_the_body_values():
    B = A(3, 3)
    K_pd = B @ B.T + 3.0 * np.eye(3)
    y = A(3)
    for K in (K_pd, -K_pd):
        check_modes(else_reads_the_body, (K, y), 0)
        check_modes(else_reads_the_body, (K, y), 1)
    check_modes(else_in_a_loop, (A(4),), 0)


def safe_log(v):
    try:
        return_value = np.log(v) if v > 0.0 else float("nan")
        if return_value != return_value:
            raise_it = 1.0 / 0.0  # ZeroDivisionError
            return_value = raise_it
    except ZeroDivisionError as err:
        return_value = v * 0.5 + len(str(err)) * 0.0
    return return_value


def in_a_loop(x):
    total = 0.0
    for v in x:
        total = total + safe_log(v)  # some iterations take the handler
    return total


def test_try_inside_a_callee_in_a_loop():
    check_modes(in_a_loop, (np.array([0.5, -1.2, 2.0, -0.3]),), 0)


def changes_in_try(x):
    y = x.copy()
    try:
        y[0] = 1.0 / x[1]
    except ZeroDivisionError:
        pass
    return np.sum(y)


def returns_in_try(x):
    try:
        return np.log(x)
    except ValueError:
        return x


def test_refusals_inside_try():
    with pytest.raises(ad.UnsupportedError, match="an in-place change inside a `try` body") as info:
        ad.grad(changes_in_try)(A(3))
    assert "y[0] = 1.0 / x[1]" in str(info.value)
    with pytest.raises(ad.UnsupportedError, match="`return` inside a `try` statement"):
        ad.grad(returns_in_try)


# -- raise: kept in the forward sweep, where it happens -------------------------------------------------------
def checked_sqrt(v):
    if np.any(v < 0):
        raise ValueError("negative")
    return np.sqrt(v)


def validated(x):
    if x.ndim == 1:
        return np.sum(x ** 2)
    raise ValueError("one dimension please")


def chosen_or_raised(x, kind):
    if kind == "square":
        y = x ** 2
    elif kind == "sine":
        y = np.sin(x)
    else:
        raise ValueError(f"unknown kind {kind!r}")  # (y is assigned on every path that goes on)
    return np.sum(y)


def raised_and_caught_in_a_loop(x):
    total = 0.0
    for k in range(3):
        try:
            total = total + np.sum(checked_sqrt(x - 0.2 * k))  # raises for k = 2
        except ValueError:
            total = total + np.sum(x) * k
    return total


class NotConverged(Exception):
    pass


def raises_a_class(x):
    try:
        z = np.sum(checked_sqrt(x)) if np.max(x) < 1.0 else np.sum(x)
        if np.max(x) < 1.0:
            raise NotConverged
    except NotConverged:
        z = np.sum(x ** 3)
    return z


def test_raise_in_the_forward_sweep():
    x = np.array([0.3, 0.4, 0.7])
    for f in (validated, raised_and_caught_in_a_loop, raises_a_class):
        check_modes(f, (x,), 0, modes=("grad", "jvp", "hvp"))
    assert "raise ValueError('negative')" in ad.grad(raised_and_caught_in_a_loop).source or \
        "raise t" in ad.grad(raised_and_caught_in_a_loop).source
    with pytest.raises(ValueError, match="negative"):  # the derivative raises what the function raises
        ad.grad(checked_sqrt_sum)(x - 1.0)
    check_modes(chosen_or_raised, (x, "sine"), 0, modes=("grad", "jvp"))
    with pytest.raises(ValueError, match="unknown kind 'cube'"):
        ad.grad(chosen_or_raised)(x, "cube")
    with pytest.raises(ValueError, match="one dimension"):
        ad.jvp(validated)(np.ones((2, 2)), np.ones((2, 2)))


def checked_sqrt_sum(x):
    return np.sum(checked_sqrt(x))


def interrupted_in_a_loop(x):
    try:
        for k in range(5):
            x = x * 0.5  # Python's handler sees the x of the iteration that raised
            if np.max(np.abs(x)) < 0.1:
                raise NotConverged
    except NotConverged:
        x = x * 2.0
    return np.sum(x ** 2)


def reads_the_body_after_the_handler(x):
    y = x
    try:
        y = x * 2.0
        np.linalg.cholesky(-np.eye(2))  # raises
    except np.linalg.LinAlgError:
        pass
    return np.sum(y)


def test_a_value_an_exception_interrupted_is_refused():
    for f, name in ((interrupted_in_a_loop, "x"), (reads_the_body_after_the_handler, "y")):
        with pytest.raises(ad.UnsupportedError, match=f"`{name}` is assigned in a `try` body, not in its last"):
            ad.grad(f)(np.array([0.3, 0.4, 0.7]))


# -- with ---------------------------------------------------------------------------------------------------------
class Recorder:
    """A user's context manager: counts how often it is entered."""
    entered = 0

    def __init__(self, label):
        self.label = label

    def __enter__(self):
        Recorder.entered += 1
        return self

    def __exit__(self, *exc):
        return False


def managed(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(x > 0.0, np.log(np.abs(x) + 1e-300), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = y * np.cos(x)
    with Recorder("block") as r, np.errstate(over="ignore"):
        z = z + np.exp(x) * len(r.label)
    return np.sum(z ** 2)


def test_with_blocks_of_ordinary_context_managers():
    before = Recorder.entered
    check_modes(managed, (np.array([0.5, -1.2, 2.0]),), 0)
    assert Recorder.entered > before  # the manager ran in the forward sweep
