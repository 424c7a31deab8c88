"""Regressions found by adversarial hunt 11 (the higher modes: jvp, vjp, hvp, hessian, Jacobians, nested)."""
import functools

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.rules import g
from test_modes import assert_close, fd_grad, fd_hessian, fd_jac, fd_jvp

X = np.array([0.3, -0.7, 1.1, 0.5])
V = np.array([0.5, 1.0, -0.4, 0.2])


def tuple_of_array_and_float(t, x):  # h11-001
    a, b = t
    return np.sum(a * x) * b


@pytest.mark.parametrize("jac", [ad.jacfwd, ad.jacobian, ad.hessian])
def test_jacobian_of_a_tuple_argument_is_refused_not_a_numpy_error(jac):
    """The forward-mode Jacobian made zero tangents with np.zeros(np.shape(arg)) before checking the argument's
    kind, and jacobian(mode="auto") counted entries with np.size: NumPy's ValueError about an inhomogeneous
    shape for a tuple of an array and a float, instead of the refusal every other container gets."""
    with pytest.raises(ad.ADError, match="needs `t` to be an array or a number"):
        jac(tuple_of_array_and_float)((X.copy(), 0.8), V.copy())


def keyword_only(x, *, scale=2.0):  # h11-002
    return np.tanh(x * scale) * x[0]


def star_kwargs(x, **kw):
    return np.sin(x) * kw["a"] + kw["b"] * x ** 3


def star_args(x, *rest):
    return x * rest[0] + rest[1] * x ** 2


def two_with_keywords(x, y, c=2.0, *, d=1.0):
    return np.sum(np.sin(x * y) * c * d * x)


@pytest.mark.parametrize("jac", [ad.jacrev, ad.jacobian])
@pytest.mark.parametrize("f, args, kwargs", [
    (keyword_only, (X,), {}), (keyword_only, (X,), {"scale": 0.7}), (star_kwargs, (X,), {"a": 2.0, "b": 0.5}),
    (star_args, (X, 2.0, 0.5), {})])
def test_jacobians_of_functions_with_keyword_and_star_parameters(jac, f, args, kwargs):
    """jacrev called the function with its flat parameter list positionally (`keyword_only(x, scale)`: a
    TypeError; `star_args(x, (2.0, 0.5))`: rest[0] a tuple), and jacobian(mode="auto") took no keywords."""
    got = jac(f)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args], **kwargs)
    expected = fd_jac(lambda *a: f(*a, **kwargs), list(args), 0)
    assert_close(got, expected, what=f"{jac.__name__} of {f.__name__}")


def test_hessian_blocks_take_keyword_arguments():
    """The Hessian with respect to several arguments (a tuple of blocks) took only positional arguments."""
    kwargs = {"c": 3.0, "d": 0.5}
    got = ad.hessian(two_with_keywords, wrt=(0, 1))(X.copy(), V.copy(), **kwargs)
    expected = fd_hessian(lambda *a: two_with_keywords(*a, **kwargs), [X.copy(), V.copy()], (0, 1))
    assert_close(got, expected, 1e-4, 1e-4, what="hessian blocks")


def doubled(x):  # h11-003
    return x * 2.0


def test_jacobian_with_respect_to_a_boolean_array_is_refused():
    """ad.vjp gives None for a boolean argument (it has no derivative); jacrev stored that None into its
    float Jacobian: a matrix of NaN, silently."""
    b = np.array([True, False, True])
    assert ad.vjp(doubled)(b, np.ones(3)) is None
    for jac in (ad.jacrev, ad.jacfwd):
        with pytest.raises(ad.ADError, match="no derivative with respect to `x`, a boolean"):
            jac(doubled)(b)


ACT = np.tanh  # h11-004: rebound by the test below (and put back)


def act_of(x):
    return ACT(x)


def sum_act_times_x(x):
    return np.sum(ACT(x) * x)


@pytest.mark.parametrize("first, second, expected", [
    (lambda: ad.jacrev(act_of), lambda: ad.jacrev(act_of), lambda x: np.diag(np.cos(x))),
    (lambda: ad.jacfwd(act_of), lambda: ad.jacfwd(act_of), lambda x: np.diag(np.cos(x))),
    (lambda: ad.hvp(sum_act_times_x), lambda: ad.hessian(sum_act_times_x),
     lambda x: np.diag(2.0 * np.cos(x) - x * np.sin(x)))])
def test_a_jacobian_sharing_a_part_sees_its_recompilation(first, second, expected):
    """A Jacobian or Hessian (composite.py) rebuilt itself only while a part it calls was stale. Two of them
    sharing a part (two jacrev of f; hvp and hessian share the gradient): the first call after a change
    recompiled the shared part, which then no longer looked stale, and the second kept calling the part's
    old compiled code: the Jacobian of the old function, silently."""
    global ACT
    a, b = first(), second()
    x = X.copy()

    def call(d):
        return d(x, np.ones(4)) if d.__name__.startswith("tangent") else d(x)
    try:
        call(a), call(b)
        ACT = np.sin
        call(a)
        assert_close(b(x), expected(x), what="the second derivative after the change")
    finally:
        ACT = np.tanh


def times(x, y):  # h11-005
    return x * y


def test_a_jacobian_is_built_again_for_another_pattern_of_equal_shapes():
    """The Jacobians were cached by the arguments' kinds only, while the vjp they call is compiled for which
    shapes are equal too (no broadcasting sum where they are): y of shape (1,) after y of x's shape reused
    the vjp compiled without the sum (a NumPy broadcast error)."""
    jac = ad.jacrev(times, wrt=1)
    jac(X.copy(), V.copy())
    x, y = X.copy(), np.array([2.0])
    assert_close(jac(x, y), fd_jac(times, [x, y], 1), what="jacrev with y of shape (1,)")


def loss_and_name(x):  # h11-007
    return {"loss": np.sum(x ** 2), "name": "abc"}


def test_vjp_seed_of_a_string_output_is_ignored():
    """The seed of a string leaf of a dict output (the output's own value passed back) was made a float
    array: NumPy's DTypePromotionError from the vjp."""
    got = ad.vjp(loss_and_name)(X.copy(), {"loss": 1.0, "name": "abc"})
    assert_close(got, 2.0 * X, what="vjp")


def plus_scaled(a, b):  # h11-008 (this module does not import ad_compiler.runtime as _ad)
    return a * b + a


def test_a_user_template_reaches_the_runtime_as_underscore_ad():
    """docs/rules.md: in a template `_ad` is ad_compiler.runtime (its example calls `_ad.unbroadcast`), but a
    template in a module that had not imported it as `_ad` was refused when registered."""
    @ad.defvjp(plus_scaled, elementwise=True)
    def plus_scaled_rule(a, b):
        ba = _ad.unbroadcast(g * (b + 1.0), a)  # noqa: F821
        bb = _ad.unbroadcast(g * a, b)  # noqa: F821
        dans = da * (b + 1.0) + a * db  # noqa: F821

    x, y = X.copy(), V[:1].copy()
    got = ad.grad(uses_plus_scaled, wrt=(0, 1))(x, y)
    assert_close(got, fd_grad(uses_plus_scaled, [x, y], (0, 1)), what="grad")
    value, tangent = ad.jvp(uses_plus_scaled, wrt=(0, 1))(x, y, (V.copy(), np.ones(1)))
    assert_close(tangent, fd_jvp(uses_plus_scaled, [x, y], (0, 1), (V, np.ones(1))), what="jvp")


def uses_plus_scaled(x, y):
    return np.sum(plus_scaled(x, y) ** 2)


class Layer:  # h11-009
    def __init__(self):
        self.w = np.array([1.0, -0.5, 0.3, 2.0])

    def forward(self, x, *, s=1.0):
        return np.tanh(self.w * x * s)

    def loss(self, x):
        return np.sum(np.tanh(self.w * x) ** 2)


def test_jacobians_and_hessians_of_a_bound_method():
    """ad.jacfwd / jacrev / jacobian of a bound method crashed (its generated loop called the derivative
    without the object: "missing 1 required positional argument"); ad.hessian / ad.hvp were refused."""
    layer = Layer()
    x = X.copy()
    expected = fd_jac(lambda y: layer.forward(y, s=0.7), [x], 0)
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        assert_close(jac(layer.forward)(x, s=0.7), expected, what=jac.__name__)
    hess = fd_hessian(layer.loss, [x], 0)
    assert_close(ad.hessian(layer.loss)(x), hess, 1e-4, 1e-4, what="hessian")
    assert_close(ad.hvp(layer.loss)(x, V.copy()), hess @ V, 1e-4, 1e-4, what="hvp")


def scaled_tanh(w, x, scale=1.0):  # h11-010
    return np.tanh(w * x) * scale


def doubled_result(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs) * 2.0
    return wrapper


@doubled_result
def decorated_sin(w, x):
    return np.sin(w * x)


@doubled_result
def decorated_loss(w, x):
    return np.sum(np.sin(w * x) * w)


def test_jacobians_of_a_partial_and_of_a_decorated_function():
    """A functools.partial crashed in the Jacobians' dispatchers (its defaults read as a function's:
    AttributeError `__kwdefaults__`); a function decorated with functools.wraps taking *args, which ad.grad
    differentiates with the wrapped function's parameters, was refused by the Jacobians, ad.hessian and
    ad.hvp ("has no argument named 'args'")."""
    w, x = V.copy(), X.copy()
    part = functools.partial(scaled_tanh, x=x, scale=0.5)
    expected = fd_jac(lambda a: scaled_tanh(a, x, 0.5), [w], 0)
    for jac in (ad.jacfwd, ad.jacrev, ad.jacobian):
        assert_close(jac(part)(w), expected, what=f"{jac.__name__} of a partial")
        assert_close(jac(decorated_sin)(w, x), fd_jac(decorated_sin, [w, x], 0), what=f"{jac.__name__}, decorated")
    hess = fd_hessian(decorated_loss, [w, x], 0)
    assert_close(ad.hessian(decorated_loss)(w, x), hess, 1e-4, 1e-4, what="hessian, decorated")
    assert_close(ad.hvp(decorated_loss)(w, x, X.copy()), hess @ X, 1e-4, 1e-4, what="hvp, decorated")


def constant_vector(x):  # h11-011
    return np.zeros(3)


def int_vector(x):
    return (x > 0).astype(int) * 3


@pytest.mark.parametrize("f", [constant_vector, int_vector])
def test_grad_of_a_non_scalar_output_not_depending_on_x_is_refused(f):
    """SPEC: grad of a function whose output is not a scalar raises. When the output did not depend on x,
    the check (`_ad.grad_seed(out)`) was removed as dead code with everything else: zeros came back from
    grad, value_and_grad, hvp and hessian."""
    for make in (ad.grad, ad.value_and_grad, ad.hessian):
        with pytest.raises(ad.NonScalarOutputError):
            make(f)(X.copy())
    with pytest.raises(ad.NonScalarOutputError):
        ad.hvp(f)(X.copy(), V.copy())


def phases(x):  # h11-012
    return np.exp(1j * x) * x[0]


def test_jacobian_of_a_complex_output_is_forward_mode_or_refused():
    """jacrev (and jacobian(mode="auto"), which picked it) of a complex output returned only the real part of
    the Jacobian, with a complex dtype: its sweeps start from real unit seeds. jacobian now takes forward mode
    for a complex output and jacrev refuses one."""
    x = X[:3].copy()
    e = 1e-6
    expected = np.stack([(phases(x + e * d) - phases(x - e * d)) / (2 * e) for d in np.eye(3)], -1)
    np.testing.assert_allclose(ad.jacobian(phases)(x), expected, atol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(phases)(x), expected, atol=1e-6)
    with pytest.raises(ad.ADError, match="complex"):
        ad.jacrev(phases)(x)


def complex_sum(x):  # h11-013
    return np.sum(np.exp(1j * x) * x)


def complex_item(x):
    z = np.exp(1j * x) * 2.0
    return z[0]


def real_part(x):
    return np.real(np.sum(np.exp(1j * x) * x))


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "hessian", "hvp"])
@pytest.mark.parametrize("f", [complex_sum, complex_item])
def test_a_complex_scalar_output_is_refused_at_its_line(f, mode):
    """grad of a complex scalar output gave the gradient of its real part, silently (JAX and PyTorch refuse
    it: which real function's gradient is meant?). It is refused at the statement making the output; the
    gradient of its real part, asked for, is the real part's (against differences)."""
    d = getattr(ad, mode)(f)
    with pytest.raises(ad.NonScalarOutputError, match="real scalar output") as info:
        d(X.copy(), V.copy()) if mode == "hvp" else d(X.copy())
    assert info.value.where is not None and "test_found_hunt11.py" in str(info.value)
    if mode in ("grad", "value_and_grad"):  # (the second-order ones: at the generated gradient's line)
        assert info.value.where.function == f.__name__
    assert_close(ad.grad(real_part)(X.copy()), fd_grad(real_part, (X.copy(),)))


def vector_output(x):
    y = np.sin(x) * 2.0
    return y


def test_a_non_scalar_output_is_refused_at_its_line():
    """The runtime's refusal of grad_seed (and of every ADError raised inside generated code) names the user's
    statement making the value, as compile-time refusals do."""
    with pytest.raises(ad.NonScalarOutputError, match="shape") as info:
        ad.grad(vector_output)(X.copy())
    assert info.value.where is not None and "    return y\n" in str(info.value)
