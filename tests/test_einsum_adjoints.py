"""np.einsum's adjoints written as einsums themselves (einsum_adjoints.py): readable, exact (checked against
central differences, including NumPy's stretching of an axis of size 1 and the forms left to the general
helper), and differentiable to any order (third and fourth derivatives against their closed forms)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

RNG = np.random.default_rng(11)


def chain(A, B, c):
    C = np.einsum("ij,jk->ik", A, B)
    return np.sum(np.einsum("ik,k->i", C, c) ** 2)


def implicit(A, B):
    return np.sum(np.sin(np.einsum("ij,jk", A, B)))  # (the output: the letters that occur once, sorted)


def summed_alone(A, b):
    return np.sum(np.einsum("ij,j->", A, b) ** 2) + np.sum(np.einsum("ij->i", A) ** 3)  # (i: A's alone)


def diagonal(A, b):
    return np.sum(np.einsum("ii,i->i", A, b) ** 2)


def same_twice(x):
    return np.einsum("i,i->", x, x) ** 1.5


def quartic(x):
    v = np.array([x, 2.0 * x])
    return 0.1 * np.einsum("i,i->", v, v) ** 2  # 0.1 (5 x^2)^2 = 2.5 x^4


def test_the_adjoints_read_as_einsums():
    A, B, c = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    g = ad.grad(chain, wrt=(0, 1, 2))
    g(A, B, c)
    assert "np.einsum('ik,jk->ij', bC, B)" in g.source and "np.einsum('ik,ij->jk', bC, A)" in g.source
    assert "einsum_args_vjp" not in g.source


@pytest.mark.parametrize("f, shapes", [
    (chain, [(2, 3), (3, 4), (4,)]),
    (chain, [(2, 1), (3, 4), (4,)]),      # NumPy stretches A's axis j of size 1 to B's 3: summed back
    (implicit, [(2, 3), (3, 4)]),
    (summed_alone, [(3, 2), (2,)]),       # (the general helper)
    (diagonal, [(3, 3), (3,)]),           # (the general helper)
    (same_twice, [(4,)]),
])
def test_gradients_agree_with_central_differences(f, shapes):
    args = [RNG.standard_normal(s) + (1.5 if f is same_twice else 0.0) for s in shapes]
    got = ad.grad(f, wrt=tuple(range(len(args))))(*args)
    for i, gi in enumerate(got):
        np.testing.assert_allclose(gi, numeric_grad(f, args, i), rtol=1e-6, atol=1e-8)


def test_hvp_and_jvp_agree_with_differences():
    A, B = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    v = RNG.standard_normal((2, 3))
    grad = ad.grad(implicit)
    eps = 1e-5
    want = (grad(A + eps * v, B) - grad(A - eps * v, B)) / (2 * eps)
    np.testing.assert_allclose(ad.hvp(implicit)(A, B, v), want, rtol=1e-6, atol=1e-8)
    _, tangent = ad.jvp(implicit)(A, B, v)
    np.testing.assert_allclose(tangent, np.sum(numeric_grad(implicit, [A, B], 0) * v), rtol=1e-6)


def test_third_and_fourth_derivatives_match_the_closed_form():
    x = 0.7
    third = ad.grad(ad.grad(ad.grad(quartic)))
    np.testing.assert_allclose(third(x), 60.0 * x, rtol=1e-10)  # d3/dx3 of 2.5 x^4
    np.testing.assert_allclose(ad.grad(third)(x), 60.0, rtol=1e-10)


def diagonal_after_store(x):
    y = np.diag(np.outer(x, x)).copy()
    y[0] = y[0] * x[1]
    return np.sum(np.einsum("ii->i", np.outer(y, x)) ** 2)


def test_a_derivative_of_a_hessian_is_right_or_refused_never_an_internal_error():
    """jacfwd(hessian(f)) where forward mode refuses the Hessian's code: nested.py tried reverse over forward
    with an inner derivative that is itself composite (AttributeError: 'Composite' object has no attribute
    'mode'; for grad of grad of grad: 'NestedDerivative' object has no attribute 'receiver')."""
    x = np.array([0.3, -0.5])
    try:
        got = ad.jacfwd(ad.hessian(diagonal_after_store))(x)
    except ad.ADError as exc:
        assert exc.where is not None
        return
    hess = ad.hessian(diagonal_after_store)
    eps = 1e-5
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        np.testing.assert_allclose(got[..., i], (hess(x + e) - hess(x - e)) / (2 * eps), rtol=1e-5, atol=1e-7)
