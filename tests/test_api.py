"""The public API of SPEC.md: wrt forms, decorators, value_and_grad, vjp, show, caching."""
import numpy as np
import pytest

import ad_compiler as ad


def f(x, y):
    z = x * y
    return np.sin(z)


def loss(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    return np.sum((h @ w2 - y) ** 2)


def test_wrt_by_position_name_and_tuple():
    x, y = 0.3, 1.7
    assert ad.grad(f)(x, y) == pytest.approx(y * np.cos(x * y))
    assert ad.grad(f, wrt=1)(x, y) == pytest.approx(x * np.cos(x * y))
    assert ad.grad(f, wrt="y")(x, y) == pytest.approx(x * np.cos(x * y))
    both = ad.grad(f, wrt=(0, "y"))(x, y)
    assert isinstance(both, tuple) and len(both) == 2
    assert both == pytest.approx((y * np.cos(x * y), x * np.cos(x * y)))
    single = ad.grad(f, wrt=("x",))(x, y)
    assert isinstance(single, tuple) and len(single) == 1


def test_wrt_errors():
    with pytest.raises(ad.ADError, match="no argument named 'z'"):
        ad.grad(f, wrt="z")
    with pytest.raises(ad.ADError, match="out of range"):
        ad.grad(f, wrt=2)


@ad.grad
def decorated(x):
    return x**3


@ad.grad(wrt=("w1", "w2"))
def decorated_with_options(w1, w2, x):
    return np.sum(w1 * x + w2 * x**2)


def test_decorator_forms():
    assert decorated(2.0) == pytest.approx(12.0)
    x = np.arange(3.0)
    g1, g2 = decorated_with_options(np.ones(3), np.ones(3), x)
    np.testing.assert_allclose(g1, x)
    np.testing.assert_allclose(g2, x**2)
    assert decorated.primal.__name__ == "decorated"


def test_value_and_grad():
    rng = np.random.default_rng(0)
    args = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((5, 4)), \
        rng.standard_normal((5, 2))
    value, (g1, g2) = ad.value_and_grad(loss, wrt=(0, 1))(*args)
    assert value == pytest.approx(loss(*args))
    r1, r2 = ad.grad(loss, wrt=(0, 1))(*args)
    np.testing.assert_allclose(g1, r1)
    np.testing.assert_allclose(g2, r2)


def reshape_twice(x):
    y = 2 * x
    return y.reshape(2, 2)


def test_vjp_is_backward_with_a_seed():
    seed = np.array([[1.0, 0.1], [0.01, 0.001]])
    out = ad.vjp(reshape_twice)(np.array([1.0, 2.0, 3.0, 4.0]), seed)
    np.testing.assert_allclose(out, [2.0, 0.2, 0.02, 0.002])
    seed_copy = seed.copy()
    out[0] = 99.0
    np.testing.assert_array_equal(seed, seed_copy)  # the caller's seed is never aliased


def test_vjp_checks_the_seed_shape():
    with pytest.raises(ad.ADError, match="seed has shape"):
        ad.vjp(reshape_twice)(np.ones(4), np.ones(4))


def elementwise(x):
    return np.sin(x)


def test_grad_of_non_scalar_output_suggests_vjp():
    with pytest.raises(ad.NonScalarOutputError, match="vjp"):
        ad.grad(elementwise)(np.ones(3))


def one_by_one(a, b):
    return a @ b


def test_size_one_output_counts_as_scalar():
    a = np.array([[1.0, 2.0, 3.0]])
    b = np.array([[1.0], [2.0], [3.0]])
    ga, gb = ad.grad(one_by_one, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(ga, b.T)
    np.testing.assert_allclose(gb, a.T)


def test_compiled_once_and_cached():
    assert ad.grad(loss, wrt=(0, 1)) is ad.grad(loss, wrt=(0, 1))
    assert ad.grad(loss, wrt=(0, 1)) is not ad.grad(loss, wrt=(1, 0))


def test_grad_returns_the_generated_function_itself():
    g = ad.grad(loss, wrt=("w1", "w2"))
    assert g.__name__ == "dloss_dw1_w2"
    assert g.primal is loss
    assert g.wrt == ("w1", "w2")
    assert callable(g) and "\ndef dloss_dw1_w2(w1, w2, x, y):" in g.source


def test_source_before_a_call_says_it_is_for_any_kind_and_show_args_gives_what_runs(capsys):
    """Before its first call `g.source` is the derivative for arguments of any kind (its header says so); a call
    runs the code compiled for its arguments' kinds, which `ad.show(g, args=...)` prints without running it."""
    g = ad.grad(f, wrt=(0, 1))
    ad.clear_cache()
    g = ad.grad(f, wrt=(0, 1))
    assert g.source.startswith("# for arguments of any kind")
    args = (0.5, 2.0)
    ad.show(g, args=args)
    shown = capsys.readouterr().out
    assert shown.startswith("def ") and shown == g.source
    g(*args)
    assert g.source == shown


def test_show_prints_the_source(capsys):
    g = ad.grad(f, wrt=(0, 1))
    ad.show(g)
    assert capsys.readouterr().out == g.source


def with_default(x, scale=3.0):
    return x * scale


def test_default_arguments_carry_over():
    assert ad.grad(with_default)(1.0) == 3.0
    assert ad.grad(with_default)(1.0, 2.0) == 2.0


def test_gradient_accumulation_across_calls():
    x = np.arange(3.0)
    acc = np.zeros_like(x)
    acc += ad.grad(dot_twice)(x)
    acc += ad.grad(plain_sum)(x)
    np.testing.assert_allclose(acc, [1.0, 5.0, 9.0])
    total = ad.runtime.add((1.0, {"w": np.ones(2)}), (2.0, {"w": np.ones(2)}))
    assert total[0] == 3.0 and np.all(total[1]["w"] == 2.0)


def dot_twice(x):
    return 2 * np.dot(x, x)


def plain_sum(x):
    return x.sum()


square_plus_sin = lambda x: x * x + np.sin(x)  # noqa: E731

grad_of_inline_lambda = ad.grad(
    lambda w, x: np.sum((x @ w) ** 2),
)


def test_grad_of_a_lambda():
    assert ad.grad(square_plus_sin)(1.0) == pytest.approx(2.0 + np.cos(1.0))
    w, x = np.array([1.0, -2.0]), np.array([[1.0, 2.0], [0.5, 0.0]])
    np.testing.assert_allclose(grad_of_inline_lambda(w, x), 2 * x.T @ (x @ w))
    line = grad_of_inline_lambda.primal.__code__.co_firstlineno
    assert f"(line {line})" in grad_of_inline_lambda.source


def test_two_lambdas_on_one_line_are_ambiguous():
    pair = (lambda x: x * 2, lambda x: x * 3)
    with pytest.raises(ad.ADError, match="def"):
        ad.grad(pair[0])
