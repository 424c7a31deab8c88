"""The dispatcher's cache of compiled derivatives (driver.Derivative.specialize): keyed by the arguments'
classes, shapes and dtypes, emptied when it grows large, and checked for staleness (closure cells, globals)
at every call. Every result is compared with central differences."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import driver
from ad_compiler.unchanged import MISS
from fd import numeric_grad


def scaled(x, y):
    return np.sum(np.sin(x) * y)


def check(g, f, args, wrt):
    got = g(*args)
    for k, i in enumerate(wrt):
        expected = numeric_grad(f, args, i)
        assert np.allclose(got[k], expected, rtol=1e-6, atol=1e-8), (k, [np.shape(a) for a in args])


def test_shapes_dtypes_and_broadcasting_patterns_each_get_their_derivative(monkeypatch):
    monkeypatch.setattr(driver, "_QUICK_LIMIT", 3)  # (the cache is emptied several times below)
    g = ad.grad(scaled, wrt=("x", "y"))
    rng = np.random.default_rng(0)
    for shapes in [((3,), (3,)), ((3,), (1,)), ((4,), (4,)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((3,), (3,)),
                   ((5,), (1,)), ((2, 3), (2, 3)), ((3,), (1,))]:
        x, y = (rng.standard_normal(s) for s in shapes)
        check(g, scaled, (x, y), (0, 1))
        bx, by = g(x, y)
        assert bx.shape == x.shape and by.shape == y.shape
    bx, by = g(np.ones(3, dtype=np.float32), np.ones(3))
    assert np.allclose(bx, np.cos(1.0)) and np.allclose(by, np.sin(1.0))
    assert g(2.0, 3.0) == (3.0 * np.cos(2.0), np.sin(2.0))


def test_a_closure_cell_rebound_after_the_first_call_recompiles():
    act = np.sin

    def f(x):
        return np.sum(act(x))

    g = ad.grad(f)
    x = np.array([0.3, 1.2])
    assert np.allclose(g(x), np.cos(x))
    act = np.cos  # noqa: F841  (read through f's closure cell)
    assert np.allclose(g(x), -np.sin(x))
    assert np.allclose(g(x), numeric_grad(f, (x,), 0))


def helper(x):
    return np.sin(x)


def other_helper(x):
    return np.tanh(x)


def through_helper(x):
    return np.sum(helper(x) * abs(x))


def test_the_quick_unchanged_test_sends_every_change_to_stale(monkeypatch):
    """unchanged.py: the identity test run at every call answers True only when nothing changed; a callee
    redefined, its code replaced, a builtin shadowed by a global or a module attribute replaced each
    recompile."""
    g = ad.grad(through_helper)
    x = np.array([0.3, -1.2])
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))
    (_, ctx, unchanged, _), = g._ad_derivative.quick.values()
    assert unchanged() and not ctx.stale()

    monkeypatch.setitem(globals(), "helper", lambda x: np.cos(x))  # (a callee replaced)
    assert not unchanged()
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))
    monkeypatch.undo()
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))

    monkeypatch.setattr(helper, "__code__", other_helper.__code__)  # (its code replaced)
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))
    monkeypatch.undo()

    monkeypatch.setitem(globals(), "abs", lambda v: v * v)  # (a builtin shadowed)
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))
    monkeypatch.undo()

    monkeypatch.setattr(np, "sin", np.arctan)  # (a module attribute replaced)
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))
    monkeypatch.undo()
    assert np.allclose(g(x), np.cos(x) * abs(x) + np.sin(x) * np.sign(x))


class Tagged(np.ndarray):
    pass


def test_the_guard_of_the_last_call_takes_only_calls_of_the_same_classes_shapes_and_dtypes():
    """driver.make_dispatcher: after a second call like the last one, the dispatcher first runs a generated
    guard (unchanged.guard) that computes the derivative only for arguments of the same classes, shapes and
    dtypes and when nothing it read changed (else it answers MISS); it is installed only while its derivative
    is the last one that ran (`.source`), and every other call resets it. Calls of every other kind in
    between, and a rebound closure cell, still get their own derivative."""
    act = np.sin

    def f(x, y):
        return np.sum(act(x) * y)

    g = ad.grad(f, wrt=("x", "y"))
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    check(g, f, (x, y), (0, 1))
    assert g._ad_guard(x, y) is MISS  # (one call: no guard yet)
    check(g, f, (x, y), (0, 1))
    last = g._ad_derivative.last
    assert g._ad_guard is not driver._no_guard
    got = g._ad_guard(x, y)
    assert got is not MISS and np.allclose(got[0], np.cos(x) * y) and np.allclose(got[1], np.sin(x))
    for args in [(x, 1.5), (x, 2), (x[:2], y[:2]), (x.astype(np.float32), y), (x.reshape(3, 1), y),
                 (x.view(Tagged), y), (1.5, y), (x, y)]:
        if args[0] is not x or args[1] is not y:
            assert g._ad_guard(*args) is MISS
        got = g(*args)
        for k in range(2):
            expected = numeric_grad(f, tuple(np.asarray(a, dtype=float) if isinstance(a, np.ndarray) else float(a)
                                             for a in args), k)
            assert np.allclose(np.asarray(got[k], dtype=float), expected, rtol=1e-4, atol=1e-6), args
    g(x, 1.5)
    assert g._ad_guard(x, y) is MISS and g._ad_derivative.last is not last  # (another kind ran: reset)
    g(x, y)
    assert g._ad_derivative.last is last and g._ad_guard(x, y) is not MISS
    act = np.cos  # noqa: F841  (read through f's closure cell: the guard fails, stale() recompiles)
    assert g._ad_guard(x, y) is MISS
    assert np.allclose(g(x, y)[0], -np.sin(x) * y)


def test_the_generated_guard_reads_its_objects_from_a_plain_dict():
    """unchanged._define: CPython specializes a function's global lookups only when its globals are a dict
    of the exact class; in the dict subclass that collects the guard's objects each of its ~16 terms cost
    50-100 ns instead of 10-20 (1.2 µs per call of the building simulation's jit derivative, 0.46 now)."""
    def f(x, y):
        return np.sum(np.sin(x) * y)

    g = ad.grad(f, wrt=("x", "y"))
    x, y = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    check(g, f, (x, y), (0, 1))
    check(g, f, (x, y), (0, 1))
    guard = g._ad_guard
    assert guard is not driver._no_guard and type(guard.__globals__) is dict
    (_, _, unchanged, _), = g._ad_derivative.quick.values()
    assert type(unchanged.__globals__) is dict


def test_the_guard_becomes_the_dispatchers_call_while_it_is_installed():
    """unchanged.guard's `.method`: with the user's plain signature, the dispatcher's `__call__` is the
    guard's tests and call (keywords work, other kinds go the general way, and a change recompiles); every
    other path puts the dispatcher's own `__call__` back. Parameters named like the guard's objects (`v3`,
    `_x`) keep the separate guard."""
    def f(x, y):
        return np.sum(np.sin(x) * y)

    g = ad.grad(f, wrt=("x", "y"))
    own = type(g).__call__
    x, y = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    for _ in range(2):
        check(g, f, (x, y), (0, 1))
    assert type(g).__call__ is g._ad_guard.method
    for args in [(x, y), (y, x), (x[:1], y[:1]), (x, 1.5), (x, y)]:
        check(g, f, args, (0, 1))
        got = g(y=args[1], x=args[0])
        for k in range(2):
            np.testing.assert_allclose(got[k], numeric_grad(f, args, k), rtol=1e-6, atol=1e-8)
    assert type(g).__call__ is g._ad_guard.method and g._ad_guard(x, 1.5) is MISS
    g(x, np.float32(2.0))  # (a kind not seen before: compiled, and the dispatcher's own __call__ is back)
    assert type(g).__call__ is own
    with pytest.raises(TypeError):
        g(x)

    def v3(v1, _x):
        return np.sum(v1 * _x)

    h = ad.grad(v3, wrt=("v1", "_x"))
    for _ in range(3):
        got = h(x, y)
        assert np.allclose(got[0], y) and np.allclose(got[1], x)
    assert not hasattr(h._ad_guard, "method") and h._ad_guard(x, y) is not MISS


def scaled_by_keyword(x, *, k=2.0):
    return np.sum(k * x * x)


def test_keyword_defaults_are_tested_only_for_functions_with_keyword_only_parameters(monkeypatch):
    """unchanged._terms and Context.stale: `__kwdefaults__` is read only by keyword-only parameters, so a
    function without them has no such test (one less at every call); with them, a replaced default is seen."""
    x = np.array([0.5, -1.5])
    g, h = ad.grad(through_helper), ad.grad(scaled_by_keyword)
    for _ in range(3):
        g(x), h(x)
    assert "__kwdefaults__" not in g._ad_guard.source and "__code__" in g._ad_guard.source
    assert "__kwdefaults__" in h._ad_guard.source
    (_, ctx, unchanged, _), = g._ad_derivative.quick.values()
    monkeypatch.setattr(through_helper, "__kwdefaults__", {"k": 1.0})  # (no parameter reads it)
    assert unchanged() and not ctx.stale()
    assert np.allclose(g(x), numeric_grad(through_helper, (x,), 0))
    monkeypatch.setattr(scaled_by_keyword, "__kwdefaults__", {"k": 3.0})
    assert np.allclose(h(x), 6.0 * x) and np.allclose(h(x), 6.0 * x)
    monkeypatch.undo()
    assert np.allclose(h(x), 4.0 * x)


def clipped(x):
    return np.clip(x, 0.0, 1.0)


def test_a_rule_registered_while_a_guard_is_installed_drops_the_guard():
    """The rules' generation is not tested by the guard at each call (one test less): registering a rule
    drops every installed guard instead (driver._forget_guards), so the next call takes the slow path, sees
    the new generation and recompiles. A straight-through rule for `clipped` registered after the guard was
    installed is used at the very next call (the exact derivative is 0 outside [0, 1], the rule's is y)."""
    def f(x, y):
        return np.sum(clipped(x) * y)

    g = ad.grad(f, wrt=("x", "y"))
    x, y = np.array([-0.5, 0.25, 2.0]), np.array([2.0, 0.5, -1.0])
    for _ in range(3):
        check(g, f, (x, y), (0, 1))
    assert g._ad_guard is not driver._no_guard and type(g).__call__ is g._ad_guard.method
    assert "_generation" not in g._ad_guard.source
    (_, _, unchanged, _), = g._ad_derivative.quick.values()
    assert "_generation" in unchanged.source  # (the slow path's quick test still has it)
    try:
        @ad.defvjp(clipped)
        def straight_through(x):
            bx = g  # noqa: F841  (a template: `g` is the adjoint of the result)

        guard_dropped = g._ad_guard is driver._no_guard
        for _ in range(3):
            bx, by = g(x, y)
            assert np.allclose(bx, y) and np.allclose(by, np.clip(x, 0.0, 1.0))
        assert guard_dropped
    finally:
        ad.rules.FUNCTIONS.pop(clipped, None)
        ad.rules._changed()
    for _ in range(2):
        check(g, f, (x, y), (0, 1))
        assert np.allclose(g(x, y)[0], np.where((x > 0) & (x < 1), y, 0.0))
