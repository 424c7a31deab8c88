"""ckpt28: checkpointing that users can use. The result of a call the alias pass does not follow (a function
wrapped in ad.checkpoint, one with a rule of the user's) is known from the function's own alias pass
(alias_callee_facts.py): new memory, or the very arguments, is followed exactly; a view of an argument stays
refused. Checkpointed functions in every mode, returning tuples, lists and dicts, called in checkpointed loops,
differentiated themselves; under jit=True refused at the call. Against central differences (tests/fd.py)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
from test_checkpoint import tape_bytes

X = np.array([0.3, -0.7, 0.5, 0.2])
V = np.array([0.1, 0.4, -0.3, 0.7])


def assert_grad(f, x=X):
    np.testing.assert_allclose(ad.grad(f)(x.copy()), numeric_grad(f, [x.copy()], 0), rtol=1e-6, atol=1e-8)


def second_order_reference(f, x=X, v=V):
    """H v as central differences of the compiled gradient (checked at first order by assert_grad)."""
    g = ad.grad(f)
    return numeric_grad(lambda z: float(np.dot(g(z), v)), [x.copy()], 0)


@ad.checkpoint
def step(h, x):
    return np.tanh(h * 0.9 + x)


@ad.checkpoint
def pair(a, b):
    return a * b, a + b


@ad.checkpoint
def as_list(a, b):
    return [a * 2.0, np.sin(b)]


@ad.checkpoint
def as_dict(a, b):
    return {"p": a * b, "q": np.cos(a)}


@ad.checkpoint
def same(h):
    return h


@ad.checkpoint
def tail(h):
    return h[1:]


@ad.checkpoint
def twice(a):
    b = a * 2.0
    return b, b


# -- c28-001: a checkpointed helper's new result changed in place (the explorer's largest over-refusal group) --

def step_then_in_place(x):
    h = x * 0.5
    for t in range(3):
        h = step(h, x)
        h += 0.1 * x
    return np.sum(h ** 2)


def tuple_changed(x):
    u, v = pair(x, x + 1.0)
    u *= 2.0
    return np.sum(u * v)


def list_changed(x):
    L = as_list(x, x * x)
    L[0] += x
    return np.sum(L[0] * L[1])


def dict_changed(x):
    d = as_dict(x, x + 0.5)
    d["p"] += 1.0
    return np.sum(d["p"] * d["q"])


def one_array_twice(x):  # (both items are one array: the change through u is seen through v)
    u, v = twice(x)
    u += 1.0
    return np.sum(u * v) + np.sum(v)


# -- c28-002: a checkpointed helper returning its argument itself, then the argument changed in place --

def argument_returned(x):
    y = x * 1.0
    v = same(y)
    y *= 3.0
    return np.sum(v * x)


NEW_OR_SAME = [step_then_in_place, tuple_changed, list_changed, dict_changed, one_array_twice, argument_returned]


@pytest.mark.parametrize("f", NEW_OR_SAME, ids=[f.__name__ for f in NEW_OR_SAME])
def test_c28_001_002_result_of_a_checkpointed_call_changed_in_place(f):
    """Refused before (`h += ...`: "`h` is not known to be a number or an array here"; `y *= 3.0`: "`v` may be
    a copy or a view of the array changed here"); now right."""
    assert_grad(f)


@pytest.mark.parametrize("f", [step_then_in_place, dict_changed])
def test_c28_001_second_order(f):
    want = second_order_reference(f)
    np.testing.assert_allclose(ad.hvp(f)(X.copy(), V), want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ad.hessian(f)(X.copy()) @ V, want, rtol=1e-5, atol=1e-7)
    gf = ad.grad(f)

    def along(z):
        return np.sum(gf(z) * V)

    np.testing.assert_allclose(ad.grad(along)(X.copy()), want, rtol=1e-5, atol=1e-7)
    _, tangent = ad.jvp(f)(X.copy(), V)
    np.testing.assert_allclose(tangent, numeric_grad(f, [X.copy()], 0) @ V, rtol=1e-6, atol=1e-8)


def view_returned(x):
    y = x * 1.0
    v = tail(y)
    y *= 3.0
    return np.sum(v * x[1:])


def test_c28_003_a_view_of_an_argument_stays_refused_at_the_change():
    """The caller could not make the view again to refresh it after the change: refused, at the change."""
    with pytest.raises(ad.ADError, match="may be a copy or a view") as info:
        ad.grad(view_returned)(X.copy())
    assert info.value.where.text.strip() == "y *= 3.0"


# -- the same cause for a function with a rule of the user's --

def scaled(a):
    b = a * 3.0  # (`return b`: not proven new memory by new_memory.returns_new_memory, which reads `return` alone)
    return b


@ad.defvjp(scaled)
def _scaled_rule(a):
    ba = g * 3.0  # noqa: F821


def ruled_then_in_place(x):
    w = scaled(x)
    w += x
    return np.sum(w ** 2)


def test_c28_004_result_of_a_ruled_function_changed_in_place():
    assert_grad(ruled_then_in_place)


# -- a checkpointed helper in a checkpointed loop, changed in place: memory is the point --

def helper_in_checkpointed_loop(x, T):
    h = x * 0.5
    for t in ad.checkpointed(range(T)):
        h = step(h, x)
        h += 0.01 * x
    return np.sum(h ** 2)


def test_c28_001_checkpointed_helper_in_a_checkpointed_loop():
    f = helper_in_checkpointed_loop
    np.testing.assert_allclose(ad.grad(f)(X.copy(), 9), numeric_grad(f, [X.copy(), 9], 0), rtol=1e-6, atol=1e-8)
    x = np.linspace(-0.5, 0.5, 64)
    held = tape_bytes(ad.grad(f), (x, 400))
    assert held <= 2 * (20 + 1) * x.nbytes, held  # (about 2 sqrt(T) states, not T = 400)


# -- a checkpointed function differentiated itself; jit=True --

def test_c28_005_checkpointed_function_differentiated_itself():
    def value(z):
        return np.sum(step(z, X) ** 2)

    g = ad.grad(step_summed)(X.copy(), X)
    np.testing.assert_allclose(g, numeric_grad(value, [X.copy()], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.vjp(step)(X.copy(), X, V), numeric_grad(lambda z: step(z, X) @ V, [X.copy()], 0),
                               rtol=1e-6, atol=1e-8)
    _, tangent = ad.jvp(step)(X.copy(), X, V)
    e = 1e-6
    np.testing.assert_allclose(tangent, (step(X + e * V, X) - step(X - e * V, X)) / (2 * e), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.hvp(step_summed)(X.copy(), X, V),
                               numeric_grad(lambda z: float(np.dot(ad.grad(step_summed)(z, X), V)), [X.copy()], 0),
                               rtol=1e-5, atol=1e-7)


@ad.checkpoint
def step_summed(h, x):
    return np.sum(step.func(h, x) ** 2)


def calls_step(x):
    h = step(x * 0.5, x)
    return np.sum(h ** 2)


def test_c28_006_jit_refuses_a_checkpointed_call_at_its_line():
    pytest.importorskip("numba")
    with pytest.raises(ad.ADError, match="wrapped in ad.checkpoint") as info:
        ad.grad(calls_step, jit=True)(X.copy())
    assert info.value.where.text.strip() == "h = step(x * 0.5, x)"


# -- c28-007: a checkpointed function's float32 result changed in place keeps its dtype (NumPy's `+=`) --

@ad.checkpoint
def to_float32(h):
    return (h * 2.0).astype(np.float32)


def float32_result_in_place(x):
    h = to_float32(x)
    h += 0.1 * x
    return np.sum(h * x)


def test_c28_007_float32_result_changed_in_place_keeps_its_dtype():
    """Known new memory, `h += v` is `h = h + v`: cast back to float32 where the function may make narrow arrays
    (its own alias pass says so: ResultFacts.narrow), as NumPy's in-place add keeps it. (The checkpoint wrapper
    was taken for an opaque data reader, making every `x op= v` of the caller cast.)"""
    x = np.array([0.3, -0.7, 0.5])
    value, grad = ad.value_and_grad(float32_result_in_place)(x.copy())
    assert value == float32_result_in_place(x.copy())  # (float32 rounding, bit for bit)
    np.testing.assert_allclose(grad, numeric_grad(float32_result_in_place, [x.copy()], 0, eps=1e-2),
                               rtol=1e-4)  # (a quadratic: exact differences, float32 noise over a wide step)


# -- c28-008: `@ad.checkpoint` on a method, called on an object made in the function or passed in --

class Cell:
    def __init__(self, W):
        self.W = W

    @ad.checkpoint
    def step(self, h):
        return np.tanh(h @ self.W)

    def run(self, x):
        h = x * 1.0
        for t in range(3):
            h = self.step(h)
            h += 0.1 * x
        return np.sum(h ** 2)


def cell_made_here(x, W):
    return Cell(W).run(x)


def cell_passed_in(x, cell):
    return cell.run(x)


W3 = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.2, 0.1, 0.3]])


def test_c28_008_checkpointed_method_of_an_object():
    """Refused before: "no derivative is known for the method `.step()`" (only a global object's checkpointed
    method was called as the checkpointed function)."""
    x = X[:3].copy()
    f = cell_made_here
    for wrt in (0, 1):
        np.testing.assert_allclose(ad.grad(f, wrt=wrt)(x.copy(), W3.copy()),
                                   numeric_grad(f, [x.copy(), W3.copy()], wrt), rtol=1e-6, atol=1e-8)
    assert "Cell.step(" in ad.grad(f).source  # (called, not inlined)
    np.testing.assert_allclose(ad.grad(cell_passed_in)(x.copy(), Cell(W3)),
                               numeric_grad(cell_passed_in, [x.copy(), Cell(W3)], 0), rtol=1e-6, atol=1e-8)
    g = ad.grad(f)
    want = numeric_grad(lambda z: float(np.dot(g(z, W3), V[:3])), [x.copy()], 0)
    np.testing.assert_allclose(ad.hvp(f)(x.copy(), W3, V[:3]), want, rtol=1e-5, atol=1e-7)


# -- c28-009: what a checkpointed function is given, changed after the call: its forward sweep run again in the
# adjoint sweep must see what the call saw (refused before, the result taken for maybe holding the list's items) --

@ad.checkpoint
def scaled_by_first(L, h):
    return np.tanh(h * L[0])


@ad.checkpoint
def scaled_by_key(d, h):
    return np.tanh(h * d["w"])


def list_item_replaced(x, W):
    L = [W * 1.0]
    h = scaled_by_first(L, x)
    L[0] = W * 3.0
    return np.sum(scaled_by_first(L, h) ** 2)


def list_item_changed_in_place(x, W):
    L = [W * 1.0]
    h = scaled_by_first(L, x)
    L[0] *= 3.0
    return np.sum(scaled_by_first(L, h) ** 2)


def list_insert(x, W):
    L = [W * 1.0]
    h = scaled_by_first(L, x)
    L.insert(0, W * 3.0)
    return np.sum(scaled_by_first(L, h) ** 2)


def dict_value_replaced(x, W):
    d = {"w": W * 1.0}
    h = scaled_by_key(d, x)
    d["w"] = W * 3.0
    return np.sum(scaled_by_key(d, h) ** 2)


def attribute_changed_in_place(x, W):
    c = Cell(W * 1.0)
    h = c.step(x)
    c.W *= 2.0
    return np.sum(c.step(h) ** 2)


def attribute_stored_into(x, W):
    c = Cell(W * 1.0)
    h = c.step(x)
    c.W[0] = 5.0
    return np.sum(c.step(h) ** 2)


@ad.checkpoint
def scaled_and_shifted(h, p):
    return np.tanh(h * p[0]) + p[1]


def tuple_item_stored_into(x, W):
    p = (W * 1.0, W * 2.0)
    h = scaled_and_shifted(x, p)
    p[0][1] = 7.0
    return np.sum(scaled_and_shifted(h, p) ** 2)


GIVEN_CHANGED = [list_item_replaced, list_item_changed_in_place, list_insert, dict_value_replaced,
                 attribute_changed_in_place, attribute_stored_into, tuple_item_stored_into]


@pytest.mark.parametrize("f", GIVEN_CHANGED, ids=[f.__name__ for f in GIVEN_CHANGED])
def test_c28_009_what_a_checkpointed_function_was_given_changed_after_the_call(f):
    x = X[:3].copy()
    for wrt in (0, 1):
        np.testing.assert_allclose(ad.grad(f, wrt=wrt)(x.copy(), W3.copy()),
                                   numeric_grad(f, [x.copy(), W3.copy()], wrt), rtol=1e-6, atol=1e-8)
