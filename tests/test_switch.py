"""Functions switched by a data-dependent branch or a loop (switch, /work/switch/findings.md): a name or an
object's attribute holding one of several known functions is a choice over them (inline_choice.py), its calls an
`if` chain; checked against central differences in every mode. What stays refused is refused at a line."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
from test_modes import fd_hessian, fd_hvp, fd_jvp

X = np.array([0.35, -0.7, 0.61])
W = np.array([[0.4, -0.3, 0.8], [0.5, 0.2, -0.6], [-0.7, 0.9, 0.3]])
V = np.array([0.3, -0.2, 0.5])
POINTS = [X, -X, np.array([0.55, 0.4, -0.3])]


class Holder:
    def __init__(self):
        self.act = np.sin


def attribute_switched_by_an_if(x, W):
    o = Holder()
    if x[0] > 0:
        o.act = np.cos
    return np.sum(o.act(x) * W[0])


def name_chosen_by_a_conditional_expression(x, W):
    act = np.cos if x[1] > 0 else np.tanh
    return np.sum(act(x * W[1]))


def elif_chain(x, W):
    if x[0] > 0.5:
        act = np.sin
    elif x[0] > 0:
        act = np.cos
    else:
        act = np.tanh
    return np.sum(act(x * W[0]))


def relu(v):
    return np.maximum(v, 0.0) + 0.1 * v


def count_known_when_it_runs(x, W):
    act = relu
    r = 0.0
    for i in range(len(W)):
        r = r + np.sum(act(x * W[i]))
        if x[i] < 0:
            act = np.sinh
    return r


def switched_with_a_break(x, W):
    act = np.sin
    r = 0.0
    for i in range(3):
        r = r + np.sum(act(x * (i + 1.0)) * W[i])
        act = np.tanh
        if r > 0.2:
            break
    return r


def while_to_a_tolerance(x, W):
    act = np.sin
    err = 1.0
    r = 0.0
    while err > 0.1:
        r = r + np.sum(act(x) * W[0])
        act = np.cos
        err = err * 0.5
    return r


def attribute_switched_in_a_while(x, W):
    o = Holder()
    r = 0.0
    k = 0
    while k < len(W):
        r = r + np.sum(apply(o, x * W[k]))
        if r > 0.2:
            o.act = np.tanh
        k += 1
    return r + np.sum(o.act(x))


def apply(o, v):
    return o.act(v)


def switched_in_an_inner_loop(x, W):
    act = np.sin
    r = 0.0
    for i in range(len(W)):
        for j in range(len(x)):
            if x[j] * W[i, j] > 0:
                act = np.cos
            else:
                act = np.tanh
        r = r + np.sum(act(x * W[i]))
    return r


def copied_then_switched(x, W):
    act = np.sin
    r = 0.0
    for i in range(len(W)):
        g = act
        if x[i] > 0:
            act = np.cos
        r = r + np.sum(g(x) * act(x * W[i]))
    return r


def pick(v):
    if v > 0:
        return np.cos
    return np.tanh


def chosen_by_a_helper(x, W):
    act = np.sin
    r = 0.0
    for i in range(len(W)):
        r = r + np.sum(act(x * W[i]))
        act = pick(x[i])
    return r


def doubled_then_tripled(h):
    yield h * 2.0
    yield h * 3.0


def next_of_a_generator(x, W):
    g = doubled_then_tripled(x * W[1])
    z = next(g)
    u = next(g)
    return np.sum(z * np.sin(x) + u)


def next_in_a_branch_and_after(x, W):
    g = doubled_then_tripled(x)
    a = x
    if x[0] > 0:
        a = next(g)
    b = next(g)
    return np.sum(a * b * W[0])


def test_next_in_a_branch_and_after_is_refused():
    """Which item the second `next(g)` gives depends on the branch taken: still refused at its line."""
    with pytest.raises(ad.ADError, match="used more than once") as info:
        ad.grad(next_in_a_branch_and_after)(X, W)
    assert info.value.where is not None and info.value.where.filename.endswith("test_switch.py")


def switched_after_a_break(x, W):
    act = np.sin
    r = 0.0
    for i in range(3):
        act = np.tanh
        r = r + np.sum(act(x * W[i]))
        if r > 0.3:
            break
        act = np.sin
    return r + np.sum(act(x))


class Net:
    def __init__(self):
        self.act = np.tanh

    def set_mode(self, v):
        if v > 0:
            self.act = np.sin

    def __call__(self, v):
        return self.act(v)


def mode_set_by_a_method(x, W):
    n = Net()
    r = 0.0
    for i in range(len(W)):
        n.set_mode(x[i])
        r = r + np.sum(n(x * W[i]))
    return r


def swapped_in_a_loop(x, W):
    f, g = np.sin, np.cos
    for i in range(len(W)):
        if x[i] > 0:
            f, g = g, f
    return np.sum(f(x) * g(W[0] * x))


SWITCHED = [attribute_switched_by_an_if, name_chosen_by_a_conditional_expression, elif_chain,
            count_known_when_it_runs, switched_with_a_break, while_to_a_tolerance, attribute_switched_in_a_while,
            switched_in_an_inner_loop, copied_then_switched, chosen_by_a_helper, next_of_a_generator,
            switched_after_a_break, mode_set_by_a_method, swapped_in_a_loop]


@pytest.mark.parametrize("f", SWITCHED, ids=[f.__name__ for f in SWITCHED])
def test_switched_functions_in_every_mode(f):
    """Each was refused at the call ("a function value not known when compiling"; `next`: refused at its line);
    right now in grad (w.r.t. both arguments), jvp, hvp and hessian, at points taking different branches."""
    for x in POINTS:
        args = [x.copy(), W.copy()]
        expected = numeric_grad(f, args, 0)
        np.testing.assert_allclose(ad.grad(f)(*args), expected, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ad.grad(f, wrt=1)(*args), numeric_grad(f, args, 1), rtol=1e-6, atol=1e-8)
        value, tangent = ad.jvp(f)(*args, V)
        np.testing.assert_allclose(value, f(*args), rtol=1e-12)
        np.testing.assert_allclose(tangent, fd_jvp(f, args, 0, V), rtol=1e-6, atol=1e-8)
    args = [X.copy(), W.copy()]
    np.testing.assert_allclose(ad.hvp(f)(*args, V), fd_hvp(f, args, 0, V), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ad.hessian(f)(*args), fd_hessian(f, args, 0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("f", [attribute_switched_by_an_if, while_to_a_tolerance],
                         ids=["if", "while"])
def test_switched_functions_with_jit(f):
    """The choice's position is an int and its calls an `if` chain: in the subset Numba compiles."""
    for x in POINTS[:2]:
        args = [x.copy(), W.copy()]
        np.testing.assert_allclose(ad.grad(f, jit=True)(*args), numeric_grad(f, args, 0), rtol=1e-6, atol=1e-8)


def switched_to_none(x, W):
    act = np.sin
    r = 0.0
    for i in range(len(W)):
        if x[i] > 0:
            act = None
        if act is None:
            act = np.tanh
        r = r + np.sum(act(x * W[i]))
    return r


def switched_to_unknown_before_a_break(x, W):
    act = np.sin
    r = 0.0
    for i in range(3):
        r = r + np.sum(act(x * W[i]))
        if r > 0.3:
            act = np.vectorize(np.tanh)
            break
    return r + np.sum(act(x))


@pytest.mark.parametrize("f", [switched_to_unknown_before_a_break, switched_to_none], ids=["after-break", "none"])
def test_what_is_not_followed_is_refused_at_the_call(f):
    """After a loop left by a `break` where the name holds a function not known, and a name switched to None
    then back: not known, refused at the call."""
    with pytest.raises(ad.ADError, match="not known when compiling") as info:
        ad.grad(f)(X, W)
    assert info.value.where is not None and info.value.where.filename.endswith("test_switch.py")


class Momentum:
    def __init__(self, lr):
        self.lr = lr
        self.m = None

    def step(self, w, g):
        if self.m is None:
            self.m = np.zeros_like(w)
        self.m *= 0.9
        self.m += g
        return w - self.lr * self.m


def momentum_for_as_many_steps_as_rows(x, W):
    opt = Momentum(0.1)
    w = x * 1.0
    for i in range(len(W)):
        w = opt.step(w, 2.0 * (w - x * W[i]))
    return np.sum(w ** 2)


def momentum_to_a_tolerance(x, W):
    opt = Momentum(0.1)
    w = x * 1.0
    err = 1.0
    while err > 0.1:
        w = opt.step(w, 2.0 * (w - x * W[0]))
        err = err * 0.5
    return np.sum(w ** 2)


def momentum_from_a_start(x, W):
    opt = Momentum(0.2)
    w = x * 1.0
    for i in range(1, len(W)):
        w = opt.step(w, np.sin(w) * W[i])
    return np.sum(w * x)


def momentum_with_a_break(x, W):
    opt = Momentum(0.1)
    w = x * 1.0
    err = 1.0
    while True:
        if err < 0.2:
            break
        w = opt.step(w, 2.0 * (w - x * W[1]))
        if np.sum(w * w) > 2.0:
            break
        err = err * 0.5
    return np.sum(w ** 2)


def momentum_count_rebound(x, W):
    opt = Momentum(0.1)
    w = x * 1.0
    n = 2
    for i in range(n):  # (range(n) is made once: two steps)
        w = opt.step(w, 2.0 * (w - x * W[i]))
        n = n + 1
    return np.sum(w ** 2) + n


@pytest.mark.parametrize("f", [momentum_for_as_many_steps_as_rows, momentum_to_a_tolerance, momentum_from_a_start,
                               momentum_with_a_break, momentum_count_rebound],
                         ids=["range-len", "while", "range-start", "breaks", "count-rebound"])
def test_state_made_lazily_with_a_count_known_when_it_runs(f):
    """g3-003/004 with a count known only when it runs (or a `while`): `self.m *= 0.9` was refused ("not known to
    be a number or an array"); the loop's first iteration is now written before it (inline_loops.peel)."""
    args = [X.copy(), W.copy()]
    expected = numeric_grad(f, args, 0)
    np.testing.assert_allclose(ad.grad(f)(*args), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.grad(f, wrt=1)(*args), numeric_grad(f, args, 1), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.jvp(f)(*args, V)[1], expected @ V, rtol=1e-6, atol=1e-8)
    if f in (momentum_for_as_many_steps_as_rows, momentum_with_a_break):  # (second order: two of them, for time)
        np.testing.assert_allclose(ad.hvp(f)(*args, V), fd_hvp(f, args, 0, V), rtol=1e-4, atol=1e-5)


def momentum_maybe_no_steps(x, W, n):
    opt = Momentum(0.1)
    w = x * 1.0
    for i in range(n):
        w = opt.step(w, 2.0 * (w - x * W[i]))
    return np.sum(w ** 2) + np.sum(opt.m * x)


def test_state_maybe_never_made():
    """The state read after the loop is made only if the loop runs: right when it does; with no step, the
    derivative raises Python's own TypeError at the user's line, as the function does."""
    args = [X.copy(), W.copy(), 2]
    np.testing.assert_allclose(ad.grad(momentum_maybe_no_steps)(*args), numeric_grad(momentum_maybe_no_steps, args, 0),
                               rtol=1e-6, atol=1e-8)
    with pytest.raises(TypeError):
        momentum_maybe_no_steps(X, W, 0)
    with pytest.raises(TypeError, match="NoneType"):
        ad.grad(momentum_maybe_no_steps)(X, W, 0)
