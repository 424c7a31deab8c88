"""Found in stop 27 by probing users' rules (`ad.defvjp`, `ad.defjvp`), the API's pytrees and the caches in
every mode: each program gives the derivatives central differences give, or a located refusal."""
import dataclasses
import functools
import re

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.rules import g
from fd import numeric_grad

X3 = np.array([0.3, -0.7, 1.1])


# -- h27b-001: a call leaving out a parameter with a default gave the rule the template's default, not the
# function's (`def withdef(x, s=2.0)` with a rule `def r(x, s=1.0)`: the adjoint read s = 1.0, a WRONG gradient;
# an array default the template left None crashed), and a `__defaults__` changed after compiling was not seen --

WD = np.array([1.0, 2.0, -1.0])


def with_defaults(x, w=WD, s=2.0):
    return np.sin(x * w) * s


@ad.defvjp(with_defaults)
def with_defaults_rule(x, w=None, s=1.0):
    bx = g * np.cos(x * w) * w * s
    bw = g * np.cos(x * w) * x * s


@ad.defjvp(with_defaults)
def with_defaults_tangent(x, w=None, s=1.0):
    dans = (dx * w + dw * x) * np.cos(x * w) * s  # noqa: F821 (the template's tangent placeholders)


def uses_defaults(x):
    return np.sum(with_defaults(x) ** 2)


class Scaled:
    def sine(self, x, s=3.0):
        return np.sin(x) * s


@ad.defvjp(Scaled.sine)
def scaled_sine_rule(self, x, s=1.0):
    bx = g * np.cos(x) * s


def uses_method_default(x):
    return np.sum(Scaled().sine(x) ** 2)


def test_rule_receives_the_functions_defaults():
    saved = with_defaults.__defaults__
    try:
        for f in (uses_defaults, uses_method_default):
            assert np.allclose(ad.grad(f)(X3), numeric_grad(f, (X3,), 0))
        jvp = ad.jvp(uses_defaults)
        assert np.isclose(jvp(X3, X3)[1], numeric_grad(uses_defaults, (X3,), 0) @ X3)
        d = ad.grad(uses_defaults)
        with_defaults.__defaults__ = (np.array([2.0, 1.0, 0.5]), 4.0)  # (after compiling: stale)
        assert np.allclose(d(X3), numeric_grad(uses_defaults, (X3,), 0))
    finally:
        with_defaults.__defaults__ = saved


# -- h27b-003: a vjp template and a jvp template of one function both using a temporary of the same name (`s`)
# ran in one list of temporaries: the adjoint read the jvp template's `s` (a WRONG gradient and hvp, half the
# differences' here); h27b-002: `@ad.defjvp(f)` registered before `@ad.defvjp(f)` was dropped by it (ad.jvp
# refused "no forward-mode derivative") --

def sine_by_rules(x):
    return np.sin(x)


@ad.defvjp(sine_by_rules)
def sine_by_rules_vjp(x):
    s = np.cos(x)
    bx = g * s


@ad.defjvp(sine_by_rules)
def sine_by_rules_jvp(x):
    s = np.cos(x) * 0.5
    dans = 2.0 * dx * s  # noqa: F821


def cosine_by_rules(x):
    return np.cos(x)


@ad.defjvp(cosine_by_rules)
def cosine_by_rules_jvp(x):
    s = np.sin(x) * 0.5
    dans = -2.0 * dx * s  # noqa: F821


@ad.defvjp(cosine_by_rules)
def cosine_by_rules_vjp(x):
    s = np.sin(x)
    bx = -g * s


def squares_of_sine(x):
    return np.sum(sine_by_rules(x) ** 2)


def squares_of_cosine(x):
    return np.sum(cosine_by_rules(x) ** 2)


def test_vjp_and_jvp_templates_with_the_same_temporary():
    for f, d2 in ((squares_of_sine, 2.0 * np.cos(2 * X3)), (squares_of_cosine, -2.0 * np.cos(2 * X3))):
        expected = numeric_grad(f, (X3,), 0)
        assert np.allclose(ad.grad(f)(X3), expected)
        assert np.isclose(ad.jvp(f)(X3, X3)[1], expected @ X3)  # (h27b-002 for the cosine: defjvp first)
        assert np.allclose(ad.hvp(f)(X3, X3), d2 * X3)


# -- h27b-004: a template line assigning a parameter, `g`, `ans` or a tangent placeholder `d<param>` was ignored
# by the lines reading it next (`x = x * 2.0; bx = g * np.cos(x) * 2.0` read the call's x: a WRONG gradient;
# `dx = ...` in a vjp template crashed with "source code string cannot contain null bytes"): refused when the
# template is registered --

def _register(body):
    def sine_twice(x):
        return np.sin(2.0 * x)
    namespace = {"np": np, "g": g}
    exec(compile("def rule(x):\n" + body, __file__, "exec"), namespace)  # (a template's source is read: a file)
    return lambda: ad.defvjp(sine_twice)(namespace["rule"])


@pytest.mark.parametrize("line, what", [("x = x * 2.0", "its parameter"), ("g = g * 2.0", "adjoint"),
                                        ("ans = np.cos(x)", "the result"), ("dx = np.cos(x)", "tangent of `x`")])
def test_template_assigning_a_placeholder_is_refused(line, what, monkeypatch):
    import inspect
    body = f"    {line}\n    bx = g * np.cos(x) * 2.0\n"
    monkeypatch.setattr(inspect, "getsource", lambda obj: "def rule(x):\n" + body)
    with pytest.raises(ad.ADError, match=f"the line `{line.split(' =')[0]} = ...` assigns .*{re.escape(what)}"):
        _register(body)()


# -- h27b-005: `wrt=np.int64(1)` (a position computed with NumPy) was refused ("`wrt` items must be argument
# positions or names"); JAX's argnums take any integer. A method's position is shifted past `self` likewise --

def sine_times_square(x, y):
    return np.sum(np.sin(x) * y ** 2)


class SineTimesSquare:
    def loss(self, x, y):
        return np.sum(np.sin(x) * y ** 2)


def test_numpy_integer_wrt():
    y = np.array([0.9, 0.2, -0.4])
    expected = 2.0 * np.sin(X3) * y
    assert np.allclose(ad.grad(sine_times_square, wrt=np.int64(1))(X3, y), expected)
    assert np.allclose(ad.grad(SineTimesSquare().loss, wrt=np.int64(1))(X3, y), expected)


# -- h27b-006: a seed None for a number output of ad.vjp (`{"v": s, "k": None}`, or `None` for a scalar f)
# crashed the derivative with a TypeError (`None * 2`); for an array output it said "the seed has shape ()".
# It is now a located error saying what to pass (PyTorch reads None as 1.0 for a scalar, JAX as zero: not
# guessed); None stays accepted for int and bool outputs, and for a tuple of them (`x.shape`) --

def sine_and_square(x):
    return {"v": np.sin(x), "k": np.sum(x ** 2)}


def sine_and_shape(x):
    return np.sin(x), x.shape


def test_vjp_seed_none():
    s = np.array([1.0, 2.0, 3.0])
    for seed in ({"v": s, "k": None}, {"v": None, "k": 1.0}):
        with pytest.raises(ad.ADError, match="the seed is None for an output of shape"):
            ad.vjp(sine_and_square)(X3, seed)
    assert np.allclose(ad.vjp(sine_and_shape)(X3, (s, None)), np.cos(X3) * s)


# -- h27b-007: a user's rule's adjoint of a list, tuple or dict parameter was not checked (m25-003 checks arrays
# and numbers): `bxs = [np.sum(g * xs[1]), g * xs[0]]` broadcast the number into a WRONG gradient ([0.78] * 3 for
# [0.49, -0.06, 0.35]); a list too short or a missing key crashed (IndexError, KeyError, zip) --

def product_of_items(xs):
    return xs[0] * xs[1]


@ad.defvjp(product_of_items)
def product_of_items_summed(xs):
    bxs = [np.sum(g * xs[1]), g * xs[0]]


def product_of_entries(p):
    return p["a"] * p["b"]


@ad.defvjp(product_of_entries)
def product_of_entries_short(p):
    bp = dict(a=g * p["b"])


def uses_product_of_items(x, y):
    return np.sum(product_of_items([x, y]) ** 2)


def uses_product_of_entries(x, y):
    return np.sum(product_of_entries({"a": x, "b": y}) ** 2)


def test_rule_adjoint_of_a_container_is_checked():
    y = np.array([0.9, 0.2, -0.4])
    with pytest.raises(ad.ADError, match=r"product_of_items_summed` gives `bxs\[0\]` the shape \(\), but its "
                                         r"argument `xs\[0\]` has the shape \(3,\)"):
        ad.grad(uses_product_of_items)(X3, y)
    with pytest.raises(ad.ADError, match=r"gives `bp` the keys \['a'\], but its argument `p` has the keys"):
        ad.grad(uses_product_of_entries, wrt=1)(X3, y)


# -- h27b-008: a user's forward rule giving `dans` of another shape than the result (`np.sum(dx * np.cos(x))` for
# an elementwise function) was spread to the result's shape (`_ad.broadcast_like`): a WRONG jvp, hvp and jacfwd;
# a tuple of too few tangents, or an array for a number, crashed. Checked now, as the adjoints are (m25-003) --

def sine_summed_tangent(x):
    return np.sin(x)


@ad.defvjp(sine_summed_tangent)
def sine_summed_tangent_vjp(x):
    bx = g * np.cos(x)


@ad.defjvp(sine_summed_tangent)
def sine_summed_tangent_jvp(x):
    dans = np.sum(dx * np.cos(x))  # noqa: F821


def uses_sine_summed_tangent(x):
    return np.sum(sine_summed_tangent(x) ** 2)


def test_rule_tangent_of_another_shape_is_refused():
    with pytest.raises(ad.ADError, match=r"sine_summed_tangent_jvp` gives `dans` the shape \(\), but the result "
                                         r"\(`ans`\) has the shape \(3,\)"):
        ad.jvp(uses_sine_summed_tangent)(X3, X3)
    with pytest.raises(ad.ADError, match="sine_summed_tangent_jvp"):
        ad.hvp(uses_sine_summed_tangent)(X3, X3)


# -- h27b-009: a function with a rule storing a value made from its arguments where the caller reads it (a
# module's buffer, its object's attribute, a global dict) passed that value on with no derivative: a WRONG
# gradient ([0.57, -1.07, 1.00] for [1.16, -2.36, 2.78]); refused at the call now. A call counter is let through --

STASH = np.zeros(3)


def stashing_sine(x):
    STASH[:] = x * 2.0
    return np.sin(x)


@ad.defvjp(stashing_sine)
def stashing_sine_rule(x):
    bx = g * np.cos(x)


class Remembering:
    def __init__(self):
        self.last = np.zeros(3)
        self.calls = 0

    def sine(self, x):
        self.calls += 1
        self.last = x * 2.0
        return np.sin(x)


@ad.defvjp(Remembering.sine)
def remembering_sine_rule(self, x):
    bx = g * np.cos(x)


def reads_the_stash(x):
    y = stashing_sine(x)
    return np.sum(y * STASH)


def reads_the_attribute(x):
    r = Remembering()
    y = r.sine(x)
    return np.sum(y * r.last)


def test_rule_function_storing_outside_is_refused():
    for f, line in ((reads_the_stash, "STASH[:] = x * 2.0"), (reads_the_attribute, "self.last = x * 2.0")):
        with pytest.raises(ad.UnsupportedError, match=f"which has a derivative rule, stores a value made from its "
                                                      f"arguments .*{re.escape(line)}"):
            ad.grad(f)(X3)


# -- h27b-010: ad.vjp of a function returning an object (a dataclass) crashed with an IndexError in the derivative
# for any seed (a dict of its attributes' seeds was made a 0-d object array; a float got "'float' object is not
# subscriptable"); the seed is now a dict of attribute seeds (the others' zero) or an object of its class, as
# ad.jvp's tangent of such an output and ad.grad's gradient of such an argument are --

@dataclasses.dataclass
class SineAndSquare:
    a: np.ndarray
    b: float


def sine_and_square_object(x):
    return SineAndSquare(np.sin(x), np.sum(x ** 2))


def test_vjp_of_an_object_output():
    s = np.array([1.0, 2.0, 3.0])
    vjp = ad.vjp(sine_and_square_object)
    expected = np.cos(X3) * s + 2.0 * 2.0 * X3
    assert np.allclose(vjp(X3, {"a": s, "b": 2.0}), expected)
    assert np.allclose(vjp(X3, SineAndSquare(s, 2.0)), expected)
    assert np.allclose(vjp(X3, {"a": s}), np.cos(X3) * s)
    with pytest.raises(ad.ADError, match="the seed must be a dict of its attributes' seeds"):
        vjp(X3, 1.0)


# -- h27b-011: a template assigning one of its temporaries twice (`s = np.cos(x); s = s * 2.0`) gave the
# derivative `s_1 = s_1 * 2.0` (the new name bound before its value was read): UnboundLocalError in every mode;
# with a vjp and a jvp template sharing a line, the tangent read the adjoint's reassigned `s` (a WRONG jvp) --

def twice_sine(x):
    return np.sin(x) * 2.0


@ad.defvjp(twice_sine)
def twice_sine_vjp(x):
    s = np.cos(x)
    s = s * 2.0
    bx = g * s


@ad.defjvp(twice_sine)
def twice_sine_jvp(x):
    s = np.cos(x)
    c = s * 0.5
    s = c * 4.0
    dans = dx * s  # noqa: F821


def squares_of_twice_sine(x):
    return np.sum(twice_sine(x) ** 2)


def test_template_temporary_assigned_twice():
    expected = 8.0 * np.sin(X3) * np.cos(X3)
    assert np.allclose(ad.grad(squares_of_twice_sine)(X3), expected)
    assert np.isclose(ad.jvp(squares_of_twice_sine)(X3, X3)[1], expected @ X3)


# -- h27b-012: a scratch temporary reused in a template (`t = ...; bx = g * t; t = ...; by = g * t`) gave every
# line the last `t`: bx read by's value (a WRONG gradient, [-0.09, -0.16, 0.57] for [0.22, -0.95, 0.69]; a crash
# on main). Each assignment is now a new temporary, read by the lines after it, as Python does --

def sine_cosine(x, y):
    return np.sin(x) * np.cos(y)


@ad.defvjp(sine_cosine)
def sine_cosine_vjp(x, y):
    t = np.cos(x) * np.cos(y)
    bx = g * t
    t = -np.sin(x) * np.sin(y)
    by = g * t


def squares_of_sine_cosine(x, y):
    return np.sum(sine_cosine(x, y) ** 2)


def test_template_scratch_temporary():
    y = np.array([0.9, 0.2, -0.4])
    for wrt in (0, 1):
        expected = numeric_grad(squares_of_sine_cosine, (X3, y), wrt)
        assert np.allclose(ad.grad(squares_of_sine_cosine, wrt=wrt)(X3, y), expected)


# -- h27b-013: the dispatchers of bound methods (`ad.grad(model.loss)`, `ad.grad(model)` of a callable object) were
# cached by the object's __eq__ / __hash__: two models comparing equal (a frozen dataclass whose weights are
# `compare=False`, as Flax modules; a class hashing by name) shared the first one's dispatcher, so the second got
# the gradient with the first one's weights (WRONG). Cached by identity now --

@dataclasses.dataclass(frozen=True)
class NamedModel:
    name: str
    w: np.ndarray = dataclasses.field(compare=False)

    def loss(self, x):
        return np.sum(np.sin(x * self.w))

    def __call__(self, x):
        return np.sum(np.cos(x * self.w))


def test_equal_models_do_not_share_derivatives():
    a = NamedModel("m", np.array([1.0, 2.0, 3.0]))
    b = NamedModel("m", np.array([-1.0, 0.5, 2.0]))
    assert a == b
    for m in (a, b):
        assert np.allclose(ad.grad(m.loss)(X3), m.w * np.cos(X3 * m.w))
        assert np.allclose(ad.grad(m)(X3), -m.w * np.sin(X3 * m.w))


# -- h27b-014: a function with a user's rule differentiated itself (`ad.grad(f)`, `ad.jacrev(f)`: how one checks a
# rule) had its body differentiated, the rule ignored (a straight-through rule gave zeros, silently, where
# `ad.grad(lambda-free wrapper calling f)` gave the rule's ones); also when the rule is registered after
# `ad.grad(f)` was made --

def rounded_sum(x, s=1.0):
    return np.sum(np.round(x * 4.0) / 4.0) * s


def test_rule_of_the_differentiated_function_itself():
    d = ad.grad(rounded_sum)
    assert np.allclose(d(X3), 0.0)  # (no rule yet: the body, piecewise constant)

    @ad.defvjp(rounded_sum)
    def rounded_sum_straight_through(x, s=1.0):
        bx = g * s * np.ones_like(x)

    assert np.allclose(d(X3), 1.0) and np.allclose(ad.grad(rounded_sum)(X3, 2.0), 2.0)
    assert np.allclose(ad.jacrev(rounded_sum)(X3), 1.0)


# -- h27b-015: a rule registered for a functools.partial object (`P = partial(body, s=2.0)`, `@ad.defvjp(P)`) was
# ignored: its calls were inlined as the function's body (zeros here for the rule's [4, 4, 4]); a lambda with a
# rule differentiated itself crashed (SyntaxError in the generated call) --

def rounded_scaled(x, s):
    return np.sum(np.round(x * 4.0) / 4.0) * s


ROUNDED_TWICE = functools.partial(rounded_scaled, s=2.0)


@ad.defvjp(ROUNDED_TWICE)
def rounded_twice_straight_through(x, s=1.0):
    bx = g * s * np.ones_like(x)


def squares_of_rounded_twice(x):
    return ROUNDED_TWICE(x) ** 2


ROUNDED_LAMBDA = lambda x: np.sum(np.round(x * 4.0) / 4.0)  # noqa: E731


@ad.defvjp(ROUNDED_LAMBDA)
def rounded_lambda_straight_through(x):
    bx = g * np.ones_like(x)


def test_rule_of_a_partial_object_and_a_lambda():
    expected = 2.0 * ROUNDED_TWICE(X3) * 2.0  # (the stored s = 2.0, not the template's default)
    assert np.allclose(ad.grad(squares_of_rounded_twice)(X3), expected)
    assert np.allclose(ad.grad(ROUNDED_LAMBDA)(X3), 1.0)


# -- h27b-016: a rule registered for one object's bound method (`@ad.defvjp(QQ.qsum)`) was ignored where the method
# is called (inlined: zeros for the rule's 2); one for a callable object (`@ad.defvjp(QC)`) was ignored by
# `ad.grad(QC)` itself --

class RoundedModel:
    def __init__(self, s):
        self.s = s

    def qsum(self, x):
        return np.sum(np.round(x * 4.0) / 4.0) * self.s

    def __call__(self, x):
        return np.sum(np.round(x * 4.0) / 4.0) * self.s


ROUNDED_MODEL = RoundedModel(2.0)
ROUNDED_CALLABLE = RoundedModel(3.0)


@ad.defvjp(ROUNDED_MODEL.qsum)
def rounded_model_straight_through(x):
    bx = g * 2.0 * np.ones_like(x)


@ad.defvjp(ROUNDED_CALLABLE)
def rounded_callable_straight_through(x):
    bx = g * 3.0 * np.ones_like(x)


def calls_the_rounded_model(x):
    return ROUNDED_MODEL.qsum(x)


def test_rule_of_a_bound_method_and_a_callable_object():
    assert np.allclose(ad.grad(calls_the_rounded_model)(X3), 2.0)
    assert np.allclose(ad.grad(ROUNDED_MODEL.qsum)(X3), 2.0)
    assert np.allclose(ad.grad(ROUNDED_CALLABLE)(X3), 3.0)


# -- h27b-017 (over-refusal): a function with a rule stored on a module-level object and called by one of its
# methods (`H.run(x)` doing `self.fn(x)`) was refused ("no derivative is known for the method `.fn()`") --

class HoldsAFunction:
    def __init__(self, fn):
        self.fn = fn

    def run(self, x):
        return self.fn(x)


HOLDER = HoldsAFunction(ROUNDED_LAMBDA)


def runs_the_held_function(x):
    return HOLDER.run(x)


def test_rule_of_a_function_stored_on_a_global_object():
    assert np.allclose(ad.grad(runs_the_held_function)(X3), 1.0)


# -- h27b-018 (over-refusal): `ad.checkpoint(f)` of a function with a rule was refused with "ad.checkpoint takes a
# function of yours (defined with `def`)" (it is one); its rule is used --

ROUNDED_CHECKPOINTED = ad.checkpoint(ROUNDED_LAMBDA)


def uses_the_checkpointed_rule(x):
    return ROUNDED_CHECKPOINTED(x) * 2.0


def test_checkpoint_of_a_function_with_a_rule():
    assert np.allclose(ad.grad(uses_the_checkpointed_rule)(X3), 2.0)


# -- h27b-019: has_aux=True with a function not returning a pair: a number or a 1-tuple crashed the derivative
# (IndexError), a 3-tuple had its third item dropped silently; a located error now (JAX refuses them too) --

def three_values(x):
    return np.sum(x ** 2), 1, 2


def only_the_loss(x):
    return np.sum(x ** 2)


def test_has_aux_needs_a_pair():
    for f in (three_values, only_the_loss):
        with pytest.raises(ad.ADError, match=r"has_aux=True: the function must return a pair \(value, aux\)"):
            ad.grad(f, has_aux=True)(X3)
