"""Regression tests for the fourth adversarial hunt (with blocks, checkpointing, loops, language features).
Expected values come from central finite differences (fd.numeric_grad), never from the compiler."""
import contextlib

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad


def close(got, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


X = np.array([0.5, -1.0, 2.0])
W = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3], [-0.6, 0.2, 0.1]])


# -- 001: the value `with cm as v:` binds was a constant (zero gradient) ----------------------------------------
class _Doubled:
    def __init__(self, v):
        self.v = v

    def __enter__(self):
        return self.v * 2.0

    def __exit__(self, *exc):
        return False


def _with_user_manager(x):
    with _Doubled(x) as h:
        y = np.sum(np.sin(h))
    return y


def _with_nullcontext(x):
    with contextlib.nullcontext(x * 2.0) as g:
        y = np.sum(g ** 2)
    return y


def _with_constant_manager(x):
    with _Doubled(1.5) as c:
        y = np.sum(x ** 2) * c
    return y


@pytest.mark.parametrize("f", [_with_user_manager, _with_nullcontext])
def test_with_bound_value_depending_on_wrt_is_refused(f):
    for mode in (ad.grad, ad.value_and_grad):
        with pytest.raises(ad.NoDerivativeError, match="with"):
            mode(f)(X)
    with pytest.raises(ad.NoDerivativeError):
        ad.jvp(f)(X, X)


def test_with_bound_value_not_depending_on_wrt_still_works():
    close(ad.grad(_with_constant_manager)(X), numeric_grad(_with_constant_manager, [X], 0))
    assert " as c:" in ad.grad(_with_constant_manager).source


# -- 002: a checkpointed loop with a value saved as its shape crashed when a segment ran again --------------------
def _checkpointed_rows(W, x):
    xs = np.outer(np.arange(5.0), x)
    h = np.zeros(3)
    for t in ad.checkpointed(range(len(xs)), every=2):
        h = np.tanh(xs[t] @ W + h)
    return np.sum(h ** 2)


def _checkpointed_sum(W, x):
    s = 0.0
    h = x
    for t in ad.checkpointed(range(5), every=2):
        h = np.sin(h @ W) + 0.1 * h
        s = s + np.sum(h) * t
    return s


@pytest.mark.parametrize("f", [_checkpointed_rows, _checkpointed_sum])
def test_checkpointed_loop_with_values_saved_as_shapes(f):
    for wrt in (0, 1):
        close(ad.grad(f, wrt=wrt)(W, X), numeric_grad(f, [W, X], wrt), rtol=1e-5)
    v = np.array([0.3, -0.7, 0.2])
    H = np.stack([numeric_grad(lambda x, i=i: ad.grad(f, wrt=1)(W, x)[i], [X], 0) for i in range(3)])
    close(ad.hvp(f, wrt=1)(W, X, v), H @ v, rtol=1e-4, atol=1e-6)


# -- 003: random draws inside checkpointed code were drawn again by the adjoint sweep -----------------------------
@ad.checkpoint
def _noisy_block(h, W):
    return np.tanh(h @ W + 0.1 * np.random.normal(size=3))


def _checkpointed_function_draws(W, x):
    np.random.seed(0)
    return np.sum(_noisy_block(_noisy_block(x, W), W) ** 2)


def _checkpointed_loop_draws(W, x):
    r = np.random.default_rng(3)
    h = x
    for t in ad.checkpointed(range(6), every=2):
        h = np.tanh(h @ W) * r.uniform(0.5, 1.5)
    return np.sum(h ** 2)


def _checkpointed_loop_draws_given_rng(W, x, r):
    h = x
    for t in ad.checkpointed(range(4)):
        h = np.tanh(h @ W) + 0.1 * r.standard_normal(3)
    return np.sum(h ** 2)


@ad.checkpoint
def _block(h, W):
    return np.tanh(h @ W)


def _checkpointed_without_draws(W, x):
    np.random.seed(1)
    h = _block(x, W) * np.random.uniform(0.5, 1.5, size=3)  # (drawn outside the checkpointed function)
    return np.sum(_block(h, W) ** 2)


@pytest.mark.parametrize("f", [_checkpointed_function_draws, _checkpointed_loop_draws])
def test_random_draw_in_checkpointed_code_is_refused(f):
    for mode in (ad.grad, ad.value_and_grad, ad.jacrev):
        with pytest.raises(ad.UnsupportedError, match="random draw"):
            mode(f, wrt=1)(W, X)


def test_random_draw_in_checkpointed_loop_from_a_generator_argument_is_refused():
    with pytest.raises(ad.UnsupportedError, match="random draw"):
        ad.grad(_checkpointed_loop_draws_given_rng, wrt=1)(W, X, np.random.default_rng(0))


def test_draws_outside_checkpointed_code_still_work():
    close(ad.grad(_checkpointed_without_draws, wrt=1)(W, X), numeric_grad(_checkpointed_without_draws, [W, X], 1),
          rtol=1e-5)


# -- 004: @ad.checkpoint on a method: the method lost its binding (plain Python raised TypeError) ---------------
class _CheckpointedNet:
    def __init__(self, W):
        self.W = W

    @ad.checkpoint
    def step(self, h):
        return np.tanh(h @ self.W)


def _uses_checkpointed_method(W, x):
    return np.sum(_CheckpointedNet(W).step(x) ** 2)


def test_checkpoint_on_a_method_binds_it():
    net = _CheckpointedNet(W)
    close(net.step(X), np.tanh(X @ W))
    for wrt in (0, 1):  # (refused at the call before c28-008; now the checkpointed function, the object first)
        close(ad.grad(_uses_checkpointed_method, wrt=wrt)(W, X), numeric_grad(_uses_checkpointed_method, [W, X], wrt),
              rtol=1e-5)


# -- 005: np.einsum("ii->i", B) is a view of B: it was taken as a fresh array ------------------------------------
def _einsum_diagonal_changed(v):
    B = np.outer(v, v)
    d = np.einsum("ii->i", B)
    d += 1.0
    return np.sum(B * np.outer(v, v[::-1]))


def _einsum_diagonal_of_changed_base(v):
    B = np.outer(v, v)
    d = np.einsum("ii->i", B)
    B[0, 0] = 5.0 * v[1]
    B *= 2.0
    return np.sum(d ** 2) + np.sum(B)


V4 = np.array([0.3, -0.5, 1.2, 0.7])


def test_einsum_view_changed_in_place_is_refused():
    with pytest.raises(ad.UnsupportedError, match="view"):
        ad.value_and_grad(_einsum_diagonal_changed)(V4)


def test_einsum_view_of_a_base_changed_later_sees_the_change():
    value, g = ad.value_and_grad(_einsum_diagonal_of_changed_base)(V4)
    close(value, _einsum_diagonal_of_changed_base(V4.copy()))
    close(g, numeric_grad(_einsum_diagonal_of_changed_base, [V4], 0), rtol=1e-5)
    _, t = ad.jvp(_einsum_diagonal_of_changed_base)(V4, V4[::-1].copy())
    close(t, numeric_grad(_einsum_diagonal_of_changed_base, [V4], 0) @ V4[::-1], rtol=1e-5)


# -- 006: a bare `lst.pop()` kept no value, so the undo in a nested derivative printed `lst.append(None)` ---------
def _generated_steps(W, h, n):
    for i in range(n):
        h = np.tanh(W @ h)
        yield h


def _sum_of_generated(W, x):
    tot = 0.0
    for h in _generated_steps(W, x, 3):
        tot = tot + np.sum(h ** 2)
    return tot


_grad_of_generated = ad.grad(_sum_of_generated)


def _through_grad_of_generated(W, x):
    return np.sum(np.sin(_grad_of_generated(W, x)))


def _pops_bare(x):
    stack = [x * 2.0, x ** 2]
    stack.pop()
    stack.append(np.sin(x))
    return np.sum(stack[0] * stack[1])


def test_nested_derivative_of_code_with_a_bare_list_pop():
    close(ad.grad(_through_grad_of_generated)(W, X), numeric_grad(_through_grad_of_generated, [W, X], 0), rtol=1e-5)
    close(ad.grad(_pops_bare)(X), numeric_grad(_pops_bare, [X], 0), rtol=1e-6)


# -- 008: a property's setter was bypassed by `obj.prop = v` on an object made in the function ------------------
class _Doubling:
    def __init__(self, v):
        self._v = v

    @property
    def v(self):
        return self._v

    @v.setter
    def v(self, val):
        self._v = val * 2.0

    @property
    def read_only(self):
        return self._v


def _sets_property(x, w):
    p = _Doubling(x)
    p.v = w * x
    return np.sum(p.v ** 2)


def _sets_read_only_property(x, w):
    p = _Doubling(x)
    p.read_only = w
    return np.sum(p.v)


def test_property_setter_is_followed():
    w = np.array([1.5, 0.3, -0.7])
    value, g = ad.value_and_grad(_sets_property)(X, w)
    close(value, _sets_property(X, w))
    close(g, numeric_grad(_sets_property, [X, w], 0))
    close(ad.jvp(_sets_property)(X, w, w)[1], numeric_grad(_sets_property, [X, w], 0) @ w)


def test_property_without_setter_assigned_is_refused():
    with pytest.raises(ad.UnsupportedError, match="descriptor"):
        ad.grad(_sets_read_only_property)(X, X)


# -- 009: `obj[i]` (__getitem__) and iterating over an object made in the function crashed --------------------------
class _Indexable:
    def __init__(self, a):
        self.a = a

    def __len__(self):
        return 2

    def __iter__(self):
        return iter([self.a, self.a ** 2])

    def __getitem__(self, i):
        return self.a[i] * 3.0


def _indexes_object(x):
    u = _Indexable(x * 2.0)
    return u[0] + u[2] * len(u)


def _unpacks_object(x):
    a, b = _Indexable(x)
    return np.sum(a * b)


def _iterates_object(x):
    tot = 0.0
    for part in _Indexable(x):
        tot = tot + np.sum(part)
    return tot


def test_getitem_of_an_object_is_inlined():
    close(ad.grad(_indexes_object)(X), numeric_grad(_indexes_object, [X], 0))
    close(ad.jvp(_indexes_object)(X, X)[1], numeric_grad(_indexes_object, [X], 0) @ X)


@pytest.mark.parametrize("f", [_unpacks_object, _iterates_object])
def test_iterating_over_an_object_is_refused(f):
    with pytest.raises(ad.UnsupportedError, match="iterating over a _Indexable object"):
        ad.grad(f)(X)


# -- 010: a nested function's default is the value where it is defined, not the name's later value ---------------
def _default_then_rebound(x, w):
    s = w[0]

    def g(v, s=s):
        return v * s
    s = w[1] * 3.0
    return np.sum(g(x)) + s


def _keyword_default_then_rebound(x, w):
    s = w[0]

    def g(v, *, k=s):
        return v * k
    s = w[1] * 3.0
    return np.sum(g(x)) + s


def _lambda_default_then_rebound(x, w):
    s = w[0]
    g = lambda v, s=s: v * s  # noqa: E731
    s = s * 3.0
    return np.sum(g(x)) * s


@pytest.mark.parametrize("f", [_default_then_rebound, _keyword_default_then_rebound, _lambda_default_then_rebound])
def test_nested_default_is_evaluated_where_defined(f):
    w = np.array([0.5, -1.5, 2.0])
    value, g = ad.value_and_grad(f, wrt=(0, 1))(X, w)
    close(value, f(X, w))
    close(g[0], numeric_grad(f, [X, w], 0))
    close(g[1], numeric_grad(f, [X, w], 1))


# -- 011: a value carried by an exception to its handler was a constant (zero derivative) -------------------------
def _exception_carries_value(x, w):
    try:
        v = x * w
        if np.sum(v) < 100.0:
            raise ValueError(v)
    except ValueError as e:
        v = e.args[0] * 2.0
    return np.sum(v ** 2)


class _Carrier(Exception):
    def __init__(self, v):
        super().__init__("carrier")
        self.v = v


def _raises(v):
    if np.sum(v) < 100.0:
        raise _Carrier(v * 3.0)
    return v


def _user_exception_carries_value(x, w):
    try:
        v = _raises(x * w)
    except _Carrier as e:
        v = e.v
    return np.sum(v ** 2)


def _exception_message_only(x, w):
    try:
        v = x * w
        if np.sum(v) < 100.0:
            raise ValueError("small")
    except ValueError as e:
        v = x * len(str(e))
    return np.sum(v ** 2)


@pytest.mark.parametrize("f", [_exception_carries_value, _user_exception_carries_value])
def test_value_carried_by_an_exception_is_refused(f):
    with pytest.raises(ad.ADError):
        ad.grad(f)(X, X)
    with pytest.raises(ad.ADError):
        ad.jvp(f)(X, X, X)


def test_exception_without_values_still_works():
    close(ad.grad(_exception_message_only)(X, X), numeric_grad(_exception_message_only, [X, X], 0))


# -- 007: a generator run to its end made changes its consumer (stopping early) never asked for --------------------
def _logging_steps(xs, log):
    for v in xs:
        log.append(v)
        yield v * 2.0


def _stops_early_over_logging_generator(x, w):
    log = []
    for y in _logging_steps(x * w, log):
        if y > 0.0:
            break
    return sum(log) + 0.0 * np.sum(x)


def _pure_steps(xs):
    for v in xs:
        yield v * 2.0


def _stops_early_over_pure_generator(x, w):
    tot = 0.0
    for y in _pure_steps(x * w):
        tot = tot + y
        if tot > 0.5:
            break
    return tot


def test_generator_changing_its_callers_values_is_refused():
    with pytest.raises(ad.UnsupportedError, match="generator that changes a value of its caller"):
        ad.value_and_grad(_stops_early_over_logging_generator)(X, X)


def test_generator_without_effects_stopped_early_still_works():
    w = np.array([1.5, 0.3, -0.7])
    close(ad.grad(_stops_early_over_pure_generator)(X, w), numeric_grad(_stops_early_over_pure_generator, [X, w], 0))


def _stores_into_ascontiguousarray(x):
    y = x * 2.0
    z = np.ascontiguousarray(y)  # (the very same array: y is contiguous)
    z[0] = 0.0
    return np.sum(y ** 2)


def test_store_into_a_library_result_sharing_memory_is_refused():
    with pytest.raises(ad.UnsupportedError, match="view"):
        ad.value_and_grad(_stores_into_ascontiguousarray)(X)


# -- 012: a file edited so that another function sits at the line of the one differentiated ----------------------
def test_function_moved_in_an_edited_file_is_refused(tmp_path, monkeypatch):
    import importlib
    import linecache

    path = tmp_path / "h4_moved_mod.py"
    path.write_text("def g(y):\n    return y * 3.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("h4_moved_mod")
    path.write_text("def h(y):\n    return y ** 2\n\n\ndef g(y):\n    return y * 3.0\n")
    linecache.checkcache(str(path))
    with pytest.raises(ad.UnsupportedError, match="not the code that runs"):
        ad.grad(mod.g)(2.0)
