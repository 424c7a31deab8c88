"""Found by hunt26b (adversarial combinations of index25's indexing rewrites and sig25's rules; probes in
/work/hunt26b/): each program gives the derivatives central differences give, or a located refusal."""
import operator

import numpy as np

import ad_compiler as ad
from fd import check_grad, numeric_grad

X = np.array([[0.13, -0.73, 0.64, 0.10],
              [-0.54, 0.36, 1.30, 0.95],
              [-0.70, -1.27, -0.62, 0.44]])
T = np.array([[0.3, -1.1, 0.7, 0.2], [0.5, 0.1, -0.4, 0.9], [-0.8, 0.6, 0.25, -0.35]])
W = np.arange(12.0).reshape(3, 4) * 0.1 + 0.3


def _close(got, expected, tol=1e-4):
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert np.allclose(got, expected, rtol=tol, atol=tol * scale), (got, expected)


def _second_order_matches(f, x=X):
    """grad of (g . sin g), g = grad f (reverse over reverse), and hvp, against central differences."""
    g = ad.grad(f)

    def gg(y):
        h = g(y)
        return np.sum(h * np.sin(h))

    _close(ad.grad(gg)(x.copy()), numeric_grad(gg, (x.copy(),), 0, eps=1e-5), 1e-3)
    _close(ad.hvp(f)(x.copy(), T.copy()), numeric_grad(lambda y: np.sum(g(y) * T), (x.copy(),), 0, eps=1e-5), 1e-3)


# -- h26b-001 (WRONG, grad / hvp / hessian): np.cross of a 2-vector and a 3-vector (NumPy pads the 2-vector with a
# 0; the result is a 3-vector): cross_vjp took the result for the scalar of two 2-vectors --

def cross_2_and_3(x):
    return np.sum(np.cross(x[:, :2], x[:, 1:] ** 2) ** 2 * W[:, :3]) + \
        np.sum(np.cross(x[:, 1:], x[:2, :3] * 1.0, axis=0) ** 2)


def test_h26b_001_cross_of_a_2_vector_and_a_3_vector():
    check_grad(cross_2_and_3, (X.copy(),))
    _close(ad.hvp(cross_2_and_3)(X.copy(), T.copy()),
           numeric_grad(lambda y: np.sum(ad.grad(cross_2_and_3)(y) * T), (X.copy(),), 0, eps=1e-5), 1e-3)


# -- h26b-002 (CRASH / WRONG, grad of grad): np.linalg.solve with a stack of matrices, differentiated twice in
# reverse mode: solve_vjp_b's rule solved a stack of vectors as a matrix (a crash), and the adjoint of a matrix the
# solve broadcast against a stack was left of the stack's shape (a crash or a wrong second derivative) --

def solve_stack_vector(x):
    A = np.stack([x[:, :3] + 3.0 * np.eye(3), x[:, 1:] + 4.0 * np.eye(3)])
    return np.sum(np.linalg.solve(A, x[0, :3] * 1.0) ** 2)


def solve_broadcast_matrix(x):
    A = x[:, :3] + 3.0 * np.eye(3)
    return np.sum(np.linalg.solve(A, np.stack([x[:, :2], x[:, 2:]])) ** 2 * np.arange(6.0).reshape(3, 2))


def test_h26b_002_solve_stacks_differentiated_twice():
    _second_order_matches(solve_stack_vector)
    _second_order_matches(solve_broadcast_matrix)


# -- h26b-003 (WRONG, grad of grad): np.arctan2 with an infinite operand: sig25-021's partials are 0 there through
# np.where, but the dropped formula's own derivative was NaN (inf / inf), and 0 * NaN made the second derivative
# NaN --

def atan2_infinite(x):
    return np.sum(np.arctan2(x, np.inf) ** 2) + np.sum(np.arctan2(np.where(x > 0.5, np.inf, x), x ** 2 + 0.1) * W) \
        + np.sum(np.arctan2(x ** 2 + 0.1, np.where(x > 0.5, -np.inf, x)) * W)


def test_h26b_003_atan2_infinite_operand_second_order():
    with np.errstate(all="ignore"):
        _second_order_matches(atan2_infinite)


# -- h26b-004 (WRONG, jvp / hvp / grad of grad): Python's x ** y of a negative float and a non-integral float is
# complex (sig25-007): an exponent held in a global (`E = 1.5`) was not seen (abs() of the power took its real-only
# tangent: the jvp had the wrong sign); in a gradient differentiated again, `_ad.power_partial(t, k)` (k t ** (k-1),
# complex too) was taken for real (its adjoint made real), and power_partial_exponent was 0 for a negative base --

E = 1.5


def power_global_exponent(x):
    c = (float(x[0, 1]) + 0.1) ** E
    return abs(c) * 2.0 + c.imag


def power_parameter_exponent(x, e=2.5):
    return abs(float(x[2, 2]) ** e)


def power_active_exponent(x):
    c = (float(x[0, 0]) - 2.0) ** (float(x[1, 1]) * 0.5 + 1.0)
    return abs(c) + c.real


def _jvp_matches(f, x=X, t=T):
    value, tangent = ad.jvp(f)(x.copy(), t.copy())
    assert np.isclose(tangent, np.sum(numeric_grad(f, (x.copy(),), 0) * t), atol=1e-6)


def test_h26b_004_python_complex_powers():
    _jvp_matches(power_global_exponent)
    for f in (power_global_exponent, power_parameter_exponent, power_active_exponent):
        check_grad(f, (X.copy(),))
        _second_order_matches(f)


# -- h26b-005 (WRONG, jvp): more complex Python powers taken for real: `operator.pow(v, 0.5)`, and an exponent
# made by `round(x, 1)` (a float, which the kinds said was an int) --

def power_operator_pow(x):
    return abs(operator.pow(float(x[1, 0]), 0.5)) * 3.0


def power_rounded_exponent(x):
    e = round(float(x[0, 2]), 1)
    return abs(float(x[1, 0]) ** e) + 0.0 * float(x[0, 2])


def test_h26b_005_python_complex_powers_operator_pow_and_round():
    for f in (power_operator_pow, power_rounded_exponent):
        check_grad(f, (X.copy(),))
        _jvp_matches(f)


# -- h26b-006 (over-refusal): a read through np.take_along_axis or np.nonzero's index, then a store into the array:
# refused as "may be a copy or a view" (the index was a tuple of unknown items; it is one index array per axis, so
# the read copies) --

def take_along_then_store(x):
    y = x * 1.0
    t = np.take_along_axis(y, np.argmax(x, axis=1)[:, None], axis=1)
    r = y[np.nonzero(x > 0)]
    y[:, :1] = 0.0
    return np.sum(t ** 2) + np.sum(r ** 3) + np.sum(y ** 2 * W)


def test_h26b_006_read_by_index_arrays_then_store():
    check_grad(take_along_then_store, (X.copy(),))
    _jvp_matches(take_along_then_store)
