"""Reverse over reverse and third order through the runtime helpers whose reverse rules were added for issue 9
/ 10 (rules/helpers.py): einsum of several operands (einsum_args_vjp), matrix_power (matrix_power_jvp, whose
adjoint is matrix_power's again at [[a, t], [0, a]]), rfft (rfft_vjp), np.linalg.norm (norm_partial).
Every check compares with central differences of the compiled derivative one order lower; a derivative the
table cannot give must be refused (an ad.ADError), never wrong."""
import numpy as np
import pytest

import ad_compiler as ad

try:
    import scipy.linalg as sla
except ImportError:  # (SciPy is an optional extra)
    sla = None

EPS = 1e-5


def close(got, expected):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=1e-5,
                               atol=1e-6 * scale)


def f_einsum2(x, m):
    return np.sum(np.sin(np.einsum("ij,jk,k->i", m, np.outer(x, x), x)))


def f_einsum_sublist(x, m):
    return np.sum(np.cos(np.einsum(m, [0, 1], x, [1], x, [0], [0])))


def f_matrix_power(x):
    return np.sum(np.sin(np.linalg.matrix_power(np.reshape(x, (3, 3)), 3)))


def f_rfft(x):
    z = np.fft.rfft(x * x)
    return np.sum(np.real(z) * np.imag(z))


def f_norm(x):
    return np.linalg.norm(x * x, 3) + np.linalg.norm(np.reshape(x, (2, 3)), "nuc")


grad_einsum2 = ad.grad(f_einsum2)
grad_einsum_sublist = ad.grad(f_einsum_sublist)
grad_matrix_power = ad.grad(f_matrix_power)
grad_rfft = ad.grad(f_rfft)
grad_norm = ad.grad(f_norm)


def d_einsum2(x, m, v):
    return np.sum(grad_einsum2(x, m) * v)


def d_einsum_sublist(x, m, v):
    return np.sum(grad_einsum_sublist(x, m) * v)


def d_matrix_power(x, v):
    return np.sum(grad_matrix_power(x) * v)


def d_rfft(x, v):
    return np.sum(grad_rfft(x) * v)


def d_norm(x, v):
    return np.sum(grad_norm(x) * v)


def fd(fn, x, u, *rest):
    return (np.asarray(fn(x + EPS * u, *rest)) - np.asarray(fn(x - EPS * u, *rest))) / (2 * EPS)


@pytest.mark.parametrize("f, d, grad", [(f_einsum2, d_einsum2, grad_einsum2),
                                         (f_einsum_sublist, d_einsum_sublist, grad_einsum_sublist)])
def test_grad_of_grad_einsum_of_several_operands(f, d, grad):
    rng = np.random.default_rng(1)
    x, m, v = rng.standard_normal(3), rng.standard_normal((3, 3)), rng.standard_normal(3)
    expected = fd(lambda y: grad(y, m), x, v)
    close(ad.grad(d)(x, m, v), expected)
    close(ad.hvp(f, wrt=0)(x, m, v), expected)


def f_solve_expm(x):
    a = np.reshape(x, (3, 3)) + 3.0 * np.eye(3)
    y = np.linalg.solve(a, np.cos(x[:3]))
    return np.sum(np.sin(y)) + (np.sum(sla.expm(0.3 * a) * a) if sla is not None else 0.0)


grad_solve_expm = ad.grad(f_solve_expm)


def d_solve_expm(x, v):
    return np.sum(grad_solve_expm(x) * v)


grad_d_solve_expm = ad.grad(d_solve_expm)


def e_solve_expm(x, v, u):
    return np.sum(grad_d_solve_expm(x, v) * u)


grad_d_matrix_power = ad.grad(d_matrix_power)
grad_d_rfft = ad.grad(d_rfft)
grad_d_norm = ad.grad(d_norm)


def e_matrix_power(x, v, u):
    return np.sum(grad_d_matrix_power(x, v) * u)


def e_rfft(x, v, u):
    return np.sum(grad_d_rfft(x, v) * u)


def e_norm(x, v, u):
    return np.sum(grad_d_norm(x, v) * u)


@pytest.mark.parametrize("e, second, n", [(e_matrix_power, grad_d_matrix_power, 9), (e_rfft, grad_d_rfft, 8),
                                          (e_solve_expm, grad_d_solve_expm, 9)])
def test_third_order(e, second, n):
    """ad.grad of <ad.grad(<ad.grad(f), v>), u> against differences of ad.grad(<ad.grad(f), v>) along w."""
    rng = np.random.default_rng(2)
    x, v, u, w = (rng.standard_normal(n) for _ in range(4))
    got = ad.grad(e)(x, v, u)
    close(np.sum(got * w), np.sum(fd(lambda y: second(y, v), x, w) * u))


def f_stack_abs(x):
    h = np.hstack([x[:3] * x[3:], np.abs(x)])
    return np.sum(np.sin(h) * np.arange(1.0, 10.0))


grad_stack_abs = ad.grad(f_stack_abs)


def d_stack_abs(x, v):
    return np.sum(grad_stack_abs(x) * v)


grad_d_stack_abs = ad.grad(d_stack_abs)


def e_stack_abs(x, v, u):
    return np.sum(grad_d_stack_abs(x, v) * u)


def test_third_order_through_a_selection_and_sign():
    """hstack's adjoint's adjoint (selection_transpose) and abs's sign_vjp differentiated a third time."""
    rng = np.random.default_rng(6)
    x, v, u, w = (rng.standard_normal(6) for _ in range(4))
    got = ad.grad(e_stack_abs)(x, v, u)
    close(np.sum(got * w), np.sum(fd(lambda y: grad_d_stack_abs(y, v), x, w) * u))


grad_d_einsum2 = ad.grad(d_einsum2)


def e_einsum2(x, m, v, u):
    return np.sum(grad_d_einsum2(x, m, v) * u)


def test_third_order_through_einsum_of_three_operands():
    """einsum's second-order helpers (einsum_args_vjp_t, einsum_args_vjp_hvp) differentiated a third time."""
    rng = np.random.default_rng(3)
    x, m, v, u, w = (rng.standard_normal(3), rng.standard_normal((3, 3)), rng.standard_normal(3),
                     rng.standard_normal(3), rng.standard_normal(3))
    got = ad.grad(e_einsum2)(x, m, v, u)
    close(np.sum(got * w), np.sum(fd(lambda y: grad_d_einsum2(y, m, v), x, w) * u))


def test_third_order_of_a_p_norm_and_the_nuclear_norm():
    """norm_partial_jvp's reverse rule in x: the norm's third derivative (runtime_third.norm_partial_hvp), for the
    3-norm and the nuclear norm too since modes9 (refused before)."""
    rng = np.random.default_rng(3)
    x, v, u, w = (rng.standard_normal(6) for _ in range(4))
    got = ad.grad(e_norm)(x, v, u)
    close(np.sum(got * w), np.sum(fd(lambda y: grad_d_norm(y, v), x, w) * u))


def f_tri(x, b):
    a = np.reshape(x, (3, 3)) + 3.0 * np.eye(3)
    return np.sum(np.sin(sla.solve_triangular(a, b, trans=1, lower=True)))


def f_tri_cols(x, b):
    a = np.reshape(x, (3, 3)) + 3.0 * np.eye(3)
    return np.sum(np.sin(sla.solve_triangular(a, b, unit_diagonal=True)))


def f_average(w, a):
    return np.sin(np.average(a, axis=1, weights=w * w)).sum()


grad_tri = ad.grad(f_tri)
grad_tri_cols = ad.grad(f_tri_cols)
grad_average = ad.grad(f_average)


def d_tri(x, b, v):
    return np.sum(grad_tri(x, b) * v)


def d_tri_cols(x, b, v):
    return np.sum(grad_tri_cols(x, b) * v)


def d_average(w, a, v):
    return np.sum(grad_average(w, a) * v)


@pytest.mark.skipif(sla is None, reason="needs SciPy")
@pytest.mark.parametrize("d, grad, bshape", [(d_tri, grad_tri, (3,)), (d_tri_cols, grad_tri_cols, (3, 2))])
def test_grad_of_grad_solve_triangular(d, grad, bshape):
    """tri_vjp_a and tri_matvec differentiated in reverse mode (transposed solves, columns of b)."""
    rng = np.random.default_rng(4)
    x, b, v = rng.standard_normal(9), rng.standard_normal(bshape), rng.standard_normal(9)
    close(ad.grad(d)(x, b, v), fd(lambda y: grad(y, b), x, v))


def test_grad_of_grad_average_weights():
    """weights_vjp (np.average's weights along an axis) differentiated in reverse mode."""
    rng = np.random.default_rng(5)
    w, a, v = rng.standard_normal(4), rng.standard_normal((3, 4)), rng.standard_normal(4)
    close(ad.grad(d_average)(w, a, v), fd(lambda y: grad_average(y, a), w, v))


B_SOLVE = np.array([1.0, -2.0, 0.5])


def f_solve(a):
    return np.sum(np.sin(np.linalg.solve(a, B_SOLVE * a[0])))


tangent_solve = ad.jvp(f_solve)


def t_solve(a, t):
    return tangent_solve(a, t)[1]


def test_grad_of_jvp_through_solve():
    """solve_jvp_a (np.linalg.solve's tangent in a) differentiated in reverse mode: reverse over forward."""
    rng = np.random.default_rng(7)
    a, t = rng.standard_normal((3, 3)) + 3.0 * np.eye(3), rng.standard_normal((3, 3))
    ga, gt = ad.grad(t_solve, wrt=(0, 1))(a, t)
    u = rng.standard_normal((3, 3))
    close(np.sum(ga * u), fd(lambda y: t_solve(y, t), a, u))
    close(np.sum(gt * u), fd(lambda y: t_solve(a, y), t, u))
