"""Regressions found by hunt 15 (state constructs in forward mode, second order and jit=True), against central
differences: right or refused at a line, never a wrong value or a crash."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
from test_modes import fd_hvp


def scaled(x, c=2.0):
    return x * c


def three_calls(x):
    # (the adjoint of x is summed from the helper's `bx_2`, `bx_1`, `bx`: `bx = bc_2 + bx_2`, then
    # `bx = bx + bx_1` and `bx = bx + bx_3`, arrays: elementwise array expressions for Numba)
    return np.sum(scaled(x) + scaled(x, 3.0) + scaled(x, x))


def test_h15_001_jit_names_numba_would_spell_alike():
    """h15-001: Numba spelled its version `bx.1` of the twice-rebound `bx` and the derivative's own `bx_1` both
    `bx_1_1` in an elementwise array expression and stopped ("'bx_1_1' not unique")."""
    pytest.importorskip("numba")
    x = np.array([0.3, -0.7, 1.1])
    g = ad.grad(three_calls, jit=True)
    np.testing.assert_allclose(g(x), numeric_grad(three_calls, [x], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g(x * 1.5), numeric_grad(three_calls, [x * 1.5], 0), rtol=1e-6, atol=1e-8)


def test_h15_001_renamed_text_compiles_under_numba():
    """h15-001 at its smallest: Numba's own compile of a function rebinding `bx` beside a `bx_1`, before and
    after `jit_names.apart`."""
    numba = pytest.importorskip("numba")
    from ad_compiler.jit_names import apart

    text = ("def core(x):\n    bx = x * 2.0\n    bx_2 = x * 3.0\n    bx = bx + bx_2\n    bx_1 = x * 4.0\n"
            "    bx = bx + bx_1\n    return bx\n")
    renamed = apart(text, "core")
    assert "bx_r = bx_r + bx_1" in renamed and renamed.count("\n") == text.count("\n")
    space = {}
    exec(compile(renamed, "<h15-001>", "exec"), space)
    np.testing.assert_allclose(numba.njit(space["core"])(np.ones(2)), [9.0, 9.0])


def passed_on(x):
    return x


def test_h15_002_jit_vjp_never_returns_the_callers_seed():
    """h15-002: the compiled function rebinds the seed (`bout = _ad.jit.vjp_seed(bout, x)`: checked, copied as
    floats) but the wrapper returned its own `bout`, the caller's array: the gradient was the seed itself."""
    pytest.importorskip("numba")
    x = np.array([0.5, -1.0, 2.0])
    seed = np.array([1.0, 2.0, 3.0])
    g = ad.vjp(passed_on, jit=True)(x, seed)
    assert g is not seed and not np.shares_memory(g, seed)
    g[...] = 7.0
    np.testing.assert_array_equal(seed, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ad.vjp(passed_on, jit=True)(x, seed), [1.0, 2.0, 3.0])


class Memo:
    def __init__(self, w):
        self.w = w
        self.cache = {}

    def f(self, z):
        if "h" not in self.cache:
            self.cache["h"] = np.tanh(z * self.w)
        return self.cache["h"]


def memo_twice(x):
    m = Memo(x)
    a = m.f(x)
    m.w = m.w * 2.0  # (the second call reads the cache: the same value as a)
    return np.sum(a * m.f(x))


def test_h15_004_hvp_reverse_over_forward_of_an_attribute_store():
    """h15-004: forward over reverse is refused here, so ad.hvp is the gradient of the tangent, whose adjoint of
    the tangent store `dm['w'] = dt2` took the entry 'w' from the adjoint of the object's tangent dict; that
    adjoint, made by `attribute_tangent_vjp` of a read of 'cache', had no 'w': None * 2.0 (TypeError)."""
    x = np.array([0.3, -0.7, 1.1])
    v = np.array([1.0, 2.0, -1.0])
    got = ad.hvp(memo_twice)(x, v)
    np.testing.assert_allclose(got, fd_hvp(memo_twice, [x], 0, v), rtol=1e-4, atol=1e-4)


class Toggle:
    def __init__(self):
        self.on = False

    def flip(self):
        self.on = not self.on


def alternating(x):
    s = Toggle()
    t = 0.0
    for _ in range(3):
        if s.on:  # (False, True, False: the flag a method changes in the loop)
            t = t + np.sum(x ** 2)
        else:
            t = t + np.sum(x)
        s.flip()
    return t


class Lazy:
    def __init__(self, w):
        self.w = w
        self.h = None

    def get(self, z):
        if self.h is None:
            self.h = z * self.w
        return self.h


def cached_in_a_loop(x):
    m = Lazy(x)
    t = 0.0
    for _ in range(2):
        t = t + np.sum(m.get(x))  # (computed in the first iteration only)
        m.w = m.w * 2.0
    return t


def stored_in_a_loop(x):
    m = Lazy(x)
    t = 0.0
    for _ in range(2):
        if m.h is None:
            m.h = x * m.w
        t = t + np.sum(m.h)
        m.w = m.w * 2.0
    return t


@pytest.mark.parametrize("f", [alternating, cached_in_a_loop, stored_in_a_loop])
def test_h15_005_attribute_known_before_a_loop_that_changes_it(f):
    """h15-005 (wrong gradients, every mode): what the inliner knew of an object's attribute before a loop
    (`on` False, `h` None) was kept for the whole body when the body changed it in a method it calls (or in a
    store the loop's quick pass did not see): `if s.on` / `if self.h is None` folded as in the first iteration."""
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(ad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-8)
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(ad.jvp(f)(x, v)[1], numeric_grad(f, [x], 0) @ v, rtol=1e-6, atol=1e-8)


class Cached:
    def __init__(self, w):
        self.w = w
        self.h = None

    def get(self, z):
        if self.h is None:
            self.h = np.exp(z * self.w)
        return self.h


def warmed_on_one_path(x):
    m = Cached(x)
    if x[0] > 0:
        m.get(x)  # (the gradient's code binds the method's `self` in this branch only)
    m.w = m.w ** 2
    return np.sum(m.get(x) * m.w)


@pytest.mark.parametrize("x", [np.array([0.3, -0.7, 1.1]), np.array([-0.3, -0.7, 1.1])])
def test_h15_006_second_order_through_a_name_bound_on_one_path(x):
    """h15-006: the alias pass, reading the gradient's code for ad.hvp, lost the mark "bound on some paths only"
    of the method's `self` at the attribute store `m.w = ...` (alias_stores: every holder of the object got a new
    Val without it), then refreshed it on every path: UnboundLocalError where the branch had not run."""
    v = np.array([1.0, 2.0, -1.0])
    got = ad.hvp(warmed_on_one_path)(x, v)
    np.testing.assert_allclose(got, fd_hvp(warmed_on_one_path, [x], 0, v), rtol=1e-4, atol=1e-4)


class Switching:
    def __init__(self):
        self.act = np.tanh

    def switch(self):
        self.act = np.sin


def switched_in_a_loop(x):
    n = Switching()
    y = x
    for _ in range(2):
        y = n.act(y) * 1.5  # (tanh, then sin)
        n.switch()
    return np.sum(y)


def test_h15_005_function_attribute_changed_in_a_loop_is_right_or_refused():
    """h15-005: the attribute holding the activation was taken for np.tanh in every iteration (wrong gradient);
    now it is not known in the loop: refused at the call (or right)."""
    x = np.array([0.3, -0.7, 1.1])
    try:
        got = ad.grad(switched_in_a_loop)(x)
    except ad.ADError as exc:
        assert "line" in str(exc)
        return
    np.testing.assert_allclose(got, numeric_grad(switched_in_a_loop, [x], 0), rtol=1e-6, atol=1e-8)


def closure_flips_a_dict(x):
    state = {"on": False}

    def flip():
        state["on"] = not state["on"]
    s = 0.0
    for _ in range(3):
        if state["on"]:  # (False, True, False)
            s = s + np.sum(x ** 2)
        else:
            s = s + np.sum(x)
        flip()
    return s


def closure_counts_nonlocal(x):
    n = 0

    def inc():
        nonlocal n
        n += 1
    s = 0.0
    for _ in range(3):
        if n == 0:
            s = s + np.sum(x ** 2)
        else:
            s = s + np.sum(x) * n
        inc()
    return s


def closure_sets_a_list_item(x):
    flags = [False, False]

    def setf(k):
        flags[k] = True
    s = 0.0
    for _ in range(3):
        if flags[0]:
            s = s + np.sum(x ** 3)
        else:
            s = s + np.sum(x)
        setf(0)
    return s


@pytest.mark.parametrize("f", [closure_flips_a_dict, closure_counts_nonlocal, closure_sets_a_list_item])
def test_h15_005_closure_changes_what_the_loop_tests(f):
    """h15-005 through closures: a dict entry, a `nonlocal` number or a list item a nested function changes in the
    loop was taken for its value before the loop in every iteration (wrong in every mode)."""
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(ad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-8)


class Ticker:
    def __init__(self):
        self.k = 0

    def tick(self):
        self.k += 1


def ticking(f, x):
    for _ in range(3):
        f.tick()  # (changes the caller's object: Python runs this between the consumer's iterations)
        yield x * f.k


def consumes_a_ticking_generator(x):
    f = Ticker()
    s = 0.0
    for v in ticking(f, x):
        if f.k >= 2:
            s = s + np.sum(v ** 2)
        else:
            s = s + np.sum(v)
    return s


def test_h15_007_generator_calling_a_method_of_the_callers_object_is_refused():
    """h15-007: the compiler computes a generator's values when it is called; one changing the caller's object
    through its method (`f.tick()`) made every item before the consumer's first iteration (`f.k` was 3 in all
    of them): a wrong gradient. Refused at the call, as a store into the caller's value already was."""
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(ad.ADError, match="generator that changes a value of its caller") as info:
        ad.grad(consumes_a_ticking_generator)(x)
    assert "f.tick()" in str(info.value)


def counted_by_a_closure(x):
    n = 0

    def inc():
        nonlocal n
        n = n + 1
        return n
    s = 0.0
    while inc() < 3:  # (the derivative: `while True:`, rebinding `n_1 = n_2` before its `break`)
        s = s + x[n] ** 2
    return s


def test_h15_008_jit_while_true_is_not_compiled_as_an_endless_loop():
    """h15-008: Numba 0.68 compiles `while True: n2 = n1 + 1; if n2 >= k: n1 = n2; break; else: n1 = n2` into
    a loop that never ends: the jit derivative of this function ran until its tape lists raised MemoryError.
    The compiled function now says `go = True` / `while go:` (checked before it runs, so that a regression
    fails here instead of filling the memory)."""
    pytest.importorskip("numba")
    x = np.array([0.1, 0.2, 0.3])
    g = ad.grad(counted_by_a_closure, jit=True)
    compiled = g._ad_derivative.specialize((x,))
    assert "while True" not in compiled.source and "while go" in compiled.source
    np.testing.assert_allclose(g(x), [0.0, 0.4, 0.6], rtol=1e-12)


class Momentum:
    def __init__(self):
        self.m = None

    def update(self, g):
        if self.m is None:
            self.m = g
        else:
            self.m = 0.9 * self.m + 0.1 * g
        return self.m


def unrolled_training(x):
    o = Momentum()
    w = x
    for _ in range(3):
        w = w - 0.1 * o.update(np.sin(w) * w)
    return np.sum(w ** 2)


def test_h15_005_optimizer_state_in_a_training_loop():
    """h15-005 as users meet it: a momentum buffer made lazily (`if self.m is None`) in a loop of steps; every
    step was taken for the first (the buffer replaced by the gradient), a wrong gradient and Hessian."""
    x = np.array([0.3, -0.7, 1.1, 0.4])
    np.testing.assert_allclose(ad.grad(unrolled_training)(x), numeric_grad(unrolled_training, [x], 0),
                               rtol=1e-6, atol=1e-8)
    v = np.array([1.0, 2.0, -1.0, 0.5])
    np.testing.assert_allclose(ad.hvp(unrolled_training)(x, v), fd_hvp(unrolled_training, [x], 0, v),
                               rtol=1e-4, atol=1e-4)


# -- h15-007's gap: a generator changing its caller's values through a function it calls ------------------------
def _bump(d):
    d["k"] = d["k"] + 1


def _gen_bump(d, x):
    for _ in range(3):
        _bump(d)
        yield x * d["k"]


def generator_calling_a_function_that_changes_its_argument(x):
    d = {"k": 0}
    s = 0.0
    for v in _gen_bump(d, x):
        s = s + (np.sum(v ** 2) if d["k"] >= 2 else np.sum(v))
    return s


def generator_calling_a_closure_that_changes_a_nonlocal(x):
    n = 0

    def inc():
        nonlocal n
        n += 1

    def gen():
        for _ in range(3):
            inc()
            yield x * 2.0

    s = 0.0
    for v in gen():
        s = s + (np.sum(v ** 2) if n >= 2 else np.sum(v))
    return s


def _pure(x, i):
    return np.linalg.norm(x) * np.tanh(x) * i + np.sum(x.reshape(-1))


def _gen_pure(x):
    for i in range(3):
        yield _pure(x, i)


def generator_calling_pure_functions(x):
    def act(h):
        return np.sin(h) * 2.0

    def gen():
        for i in range(3):
            yield act(x * i)

    return sum(np.sum(v ** 2) for v in _gen_pure(x)) + sum(np.sum(v) for v in gen())


@pytest.mark.parametrize("f", [generator_calling_a_function_that_changes_its_argument,
                               generator_calling_a_closure_that_changes_a_nonlocal])
def test_a_generator_changing_its_callers_values_through_a_call_is_refused(f):
    """Both gave wrong gradients: the compiler computes a generator's values when it is called, so every
    change ran before the consumer's first test of `d["k"]` / `n`."""
    with pytest.raises(ad.ADError) as info:
        ad.grad(f)(np.array([0.3, -0.5, 0.9]))
    assert info.value.where is not None and "generator" in str(info.value)


def test_a_generator_calling_pure_functions_still_works():
    x = np.array([0.3, -0.5, 0.9])
    np.testing.assert_allclose(ad.grad(generator_calling_pure_functions)(x),
                               numeric_grad(generator_calling_pure_functions, (x,), 0), rtol=1e-6)
