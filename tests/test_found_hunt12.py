"""Regressions found by adversarial hunt 12 (the user's program around the derivative: what changes between
calls)."""
import numpy as np

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1])


def _same_as_fd(g, f, *args):
    np.testing.assert_allclose(g(*args), numeric_grad(f, args, 0), rtol=1e-6, atol=1e-8)


def scaled_by_keyword_default(x, *, a=2.0):
    return a * np.sum(x ** 2)


def calls_keyword_default(x):
    return scaled_by_keyword_default(x)


def test_keyword_default_of_an_inlined_callee_changed_in_place():  # h12-001
    """A callee's keyword-only default is a constant in the derivative; `__kwdefaults__` is a dict, and
    `f.__kwdefaults__["a"] = 3.5` keeps it the same object: the staleness check (identity of the dict) kept
    the derivative of a=2.0."""
    kw = scaled_by_keyword_default.__kwdefaults__
    g = ad.grad(calls_keyword_default)
    try:
        _same_as_fd(g, calls_keyword_default, X)
        kw["a"] = 3.5
        _same_as_fd(g, calls_keyword_default, X)
        _same_as_fd(ad.grad(calls_keyword_default), calls_keyword_default, X)
    finally:
        kw["a"] = 2.0


W_DEFAULT = np.array([1.0, -2.0, 0.5])


def weighted_by_default(x, scale=2.0, w=W_DEFAULT):
    return scale * np.sum(w * np.sin(x))


def test_export_writes_an_array_default_of_the_signature():  # h12-002
    """The derivative's signature spells an array default `w=_ad_w_default` (codegen sets `__defaults__`, it
    never runs that `def`), and the exported module did not define the name: NameError when imported."""
    g = ad.grad(weighted_by_default)
    want = g(X)
    namespace = {}
    exec(compile(ad.export(g), "<exported>", "exec"), namespace)
    np.testing.assert_allclose(namespace["dweighted_by_default_dx"](X), want, rtol=1e-14)
    np.testing.assert_allclose(want, numeric_grad(weighted_by_default, (X,), 0), rtol=1e-6)


def partial_target(x, a, b=1.0):
    return a * np.sum(x ** 2) + b * np.sum(x)


def test_stored_keyword_of_a_differentiated_partial_changed_in_place():  # h12-003
    """`ad.grad(p)` of `p = functools.partial(f, a=3.0)` called the partial with every parameter, the stored
    ones from defaults frozen when ad.grad ran: after `p.keywords["a"] = 5.0`, `p(x)` uses 5.0 and the
    derivative still passed 3.0."""
    import functools

    p = functools.partial(partial_target, a=3.0)
    g = ad.grad(p)
    _same_as_fd(g, p, X)
    p.keywords["a"] = 5.0
    _same_as_fd(g, p, X)
    p.keywords["b"] = -2.0  # (a parameter's own default replaced by a stored keyword)
    _same_as_fd(g, p, X)
    del p.keywords["b"]
    _same_as_fd(g, p, X)


GLOBAL_PARTIAL = None


def calls_global_partial(x):
    return GLOBAL_PARTIAL(x)


def test_keyword_added_to_an_inlined_partial():  # h12-003
    """An inlined partial's stored keywords were tested item by item, but a keyword added since (`b`, which the
    derivative had taken from the function's default) was not noticed."""
    import functools

    global GLOBAL_PARTIAL
    GLOBAL_PARTIAL = functools.partial(partial_target, a=3.0)
    g = ad.grad(calls_global_partial)
    _same_as_fd(g, calls_global_partial, X)
    GLOBAL_PARTIAL.keywords["b"] = 7.0
    _same_as_fd(g, calls_global_partial, X)


def test_code_replaced_by_one_with_other_parameters_is_refused():  # h12-004
    """`ad.grad(f)` resolves wrt=0 to the name of f's first parameter and binds calls by f's names; after
    `f.__code__ = other.__code__` with the parameters in another order, the recompiled derivative was taken
    with respect to the parameter of that name, now the second: a silently wrong gradient. Refused now."""
    def f(x, a):
        return a * np.sum(x ** 2)

    def other(y, x):
        return np.sum(y ** 3) * np.sum(x)

    g = ad.grad(f)
    _same_as_fd(g, f, X, 2.0)
    f.__code__ = other.__code__
    import pytest

    with pytest.raises(ad.ADError, match="parameters of .*f changed"):
        g(X, 3.0 * np.ones(3))


ONE_ACTIVATION = [np.tanh]


def over_a_module_list_of_one_function(x):
    h = x
    for fn in ONE_ACTIVATION:
        h = fn(h)
    return np.sum(h)


def test_loop_over_a_module_list_of_one_function():  # h12-005
    """A module's list of functions is written out when its items differ ([tanh, sin]); a list of one function
    (or of the same one twice) kept the loop, whose item was a function not known when compiling: refused.
    Appending to the list later compiles again."""
    g = ad.grad(over_a_module_list_of_one_function)
    _same_as_fd(g, over_a_module_list_of_one_function, X)
    ONE_ACTIVATION.append(np.tanh)
    try:
        _same_as_fd(g, over_a_module_list_of_one_function, X)
    finally:
        del ONE_ACTIVATION[1:]


def detached_scale(x):
    return np.sum(x ** 2 * ad.stop_gradient(np.sum(x)))


def test_export_of_code_calling_stop_gradient():  # h12-006
    """The generated code keeps `ad.stop_gradient(...)` (a derivative of it must not differentiate through it
    either), and ad.export refused it as "uses ad_compiler at run time"; run, it is the identity."""
    g = ad.grad(detached_scale)
    want = g(X)
    source = ad.export(g)
    assert "import ad_compiler" not in source
    namespace = {}
    exec(compile(source, "<exported>", "exec"), namespace)
    np.testing.assert_allclose(namespace["ddetached_scale_dx"](X), want, rtol=1e-14)
    np.testing.assert_allclose(want, 2 * X * np.sum(X), rtol=1e-12)


def cubed_keyword_only(x, *, a=2.0):
    return a * np.sum(x ** 3)


D_CUBED = ad.grad(cubed_keyword_only)


def calls_a_derivative_leaving_out_a_keyword(x):
    return np.sum(D_CUBED(x) ** 2)


def calls_a_derivative_with_a_keyword(x):
    return np.sum(D_CUBED(x, a=3.0) ** 2)


def test_differentiated_call_of_a_derivative_with_keyword_only_parameters():  # h12-007
    """A function calling what ad.grad returned inlines its generated code, which takes every parameter by
    position: a call leaving out a keyword-only parameter, or giving it by keyword, was refused ("calling
    `dcubed_keyword_only_dx` without its argument `a`"). The default is a constant of the derivative, which
    is compiled again when it changes."""
    for f in (calls_a_derivative_leaving_out_a_keyword, calls_a_derivative_with_a_keyword):
        _same_as_fd(ad.grad(f), f, X)
    g = ad.grad(calls_a_derivative_leaving_out_a_keyword)
    kw = cubed_keyword_only.__kwdefaults__
    try:
        kw["a"] = 5.0
        _same_as_fd(g, calls_a_derivative_leaving_out_a_keyword, X)
    finally:
        kw["a"] = 2.0


def squared(z):
    return z ** 2


def cubed(z):
    return z ** 3


class DenseLayer:
    def __init__(self, W, act):
        self.W, self.act = W, act

    def __call__(self, x):
        return self.act(self.W @ x)

    def forward(self, x):
        return self.act(self.W @ x)


GLOBAL_LAYER = DenseLayer(np.eye(3), squared)


def calls_global_layer(x):
    return np.sum(GLOBAL_LAYER(x))


def test_function_attribute_of_a_global_object_replaced():  # h12-008
    """`self.act(h)` of an object of the module (`LAYER(x)`) was inlined as the function the attribute held
    when compiling; the staleness check followed the name `LAYER` (the same object) but not its attribute:
    after `LAYER.act = cubed` the derivative of `squared` kept running."""
    g = ad.grad(calls_global_layer)
    call = DenseLayer.__call__
    try:
        _same_as_fd(g, calls_global_layer, X)
        GLOBAL_LAYER.act = cubed
        _same_as_fd(g, calls_global_layer, X)
        DenseLayer.__call__ = lambda self, x: np.sin(self.W @ x)  # (the class given another __call__)
        _same_as_fd(g, calls_global_layer, X)
    finally:
        GLOBAL_LAYER.act = squared
        DenseLayer.__call__ = call


def calls_global_layer_method(x):
    return np.sum(GLOBAL_LAYER.forward(x))


def test_method_of_a_global_object_is_not_compiled_at_every_call(monkeypatch):  # h12-009
    """`LAYER.forward(x)` reads a bound method, a new object at every access: the staleness check compared it
    by identity and compiled the derivative again at every call (20 ms instead of 0.15 ms a call)."""
    from ad_compiler import driver

    compiled = []
    original = driver.Derivative.compile
    monkeypatch.setattr(driver.Derivative, "compile", lambda self, k: compiled.append(k) or original(self, k))
    g = ad.grad(calls_global_layer_method)
    for _ in range(3):
        _same_as_fd(g, calls_global_layer_method, X)
    assert len(compiled) == 1
    forward = DenseLayer.forward
    try:
        DenseLayer.forward = lambda self, x: np.exp(self.W @ x)  # (another method: compiled again)
        np.testing.assert_allclose(g(X), np.exp(X), rtol=1e-12)
    finally:
        DenseLayer.forward = forward


class ActLayer:
    def __init__(self, W, act=np.tanh):
        self.W, self.act = W, act

    def __call__(self, x):
        return self.act(self.W @ x)


def act_layer_loss(x, layer):
    return np.sum(layer(x) ** 2)


UFUNC_LAYER = ActLayer(np.eye(3) * 0.5, np.sin)


def calls_ufunc_layer(x):
    return np.sum(UFUNC_LAYER(x))


def test_numpy_function_stored_in_an_attribute():  # h12-010
    """`self.act = np.tanh` (the usual default of a layer's activation): `self.act(h)` was refused as "no
    derivative is known for the method `.act()`", while a `def` stored there worked. Now it is called by name,
    for an argument (its kind holds the function) and for a module's object (recorded: replaced, compiled
    again)."""
    W = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.2], [0.3, 0.0, 1.0]])
    g = ad.grad(act_layer_loss)
    layer = ActLayer(W)
    _same_as_fd(g, act_layer_loss, X, layer)
    layer.act = np.exp
    _same_as_fd(g, act_layer_loss, X, layer)
    g = ad.grad(calls_ufunc_layer)
    try:
        _same_as_fd(g, calls_ufunc_layer, X)
        UFUNC_LAYER.act = np.cos
        _same_as_fd(g, calls_ufunc_layer, X)
    finally:
        UFUNC_LAYER.act = np.sin


def test_checkpointed_function_cannot_be_swapped_under_a_derivative():  # h12-011
    """`CK = ad.checkpoint(f)`: derivatives compiled with `CK(x)` inline `CK.func`; assigning `CK.func = g`
    afterwards changed what the function computes but not its derivative. The attribute is read-only now."""
    import pytest

    ck = ad.checkpoint(np.sin)
    with pytest.raises(AttributeError):
        ck.func = np.cos
    assert ck.func is np.sin and ck(0.5) == np.sin(0.5)


def test_jacobian_of_a_gradient_after_the_gradient_was_compiled_again_elsewhere():  # h12-018
    """`J = ad.jacobian(dg)` of a gradient function: after a change of what dg was compiled from, something
    else called dg first (here the "auto" mode, which runs dg to count the outputs) and compiled it again, so
    J's own staleness test (is dg stale?) said no and J kept its Jacobian of the old gradient."""
    g = ad.grad(calls_global_layer)
    jac = ad.jacobian(g)
    try:
        np.testing.assert_allclose(jac(X), np.diag(2.0 * np.ones(3)), atol=1e-12)
        GLOBAL_LAYER.act = cubed
        np.testing.assert_allclose(jac(X), np.diag(6.0 * X), atol=1e-12)
        GLOBAL_LAYER.act = squared
        g(X)  # (the gradient compiled again by a direct call first)
        np.testing.assert_allclose(ad.jacrev(g)(X), np.diag(2.0 * np.ones(3)), atol=1e-12)
        np.testing.assert_allclose(jac(X), np.diag(2.0 * np.ones(3)), atol=1e-12)
    finally:
        GLOBAL_LAYER.act = squared
