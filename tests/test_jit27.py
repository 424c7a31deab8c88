"""jit27 (issue 11, jit=True): the refusals lifted under jit (x ** p with an active exponent, np.linalg.solve,
np.cross, the indexing functions' helpers), checked against central differences and the plain derivative
(/work/jit27/findings.md). Numba's compiles are the cost: one compiled function per test, several
constructs in each; the heavier ones behind AD_JIT_EXHAUSTIVE=1."""
import os

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.errors import UnsupportedError
from fd import check_grad

EXHAUSTIVE = bool(os.environ.get("AD_JIT_EXHAUSTIVE"))
exhaustive = pytest.mark.skipif(not EXHAUSTIVE, reason="set AD_JIT_EXHAUSTIVE=1 (Numba compile time)")


def powers(x, p):
    return np.sum(x ** p) + np.sum(np.abs(x) ** x)


X = np.array([0.4, 1.3, 0.8])


# j27-001: the exponent's partial of real operands is decided when compiling (no np.iscomplexobj at run time)
def test_the_exponent_partial_of_real_operands_reads_plainly():
    g = ad.grad(powers, wrt=(0, 1))
    check_grad(powers, (X, 1.7), wrt=(0, 1))
    assert "iscomplexobj" not in g.source and "np.log(np.where(x > 0, x, 1.0))" in g.source, g.source


def check_jit(f, args, wrt=0):
    """The jit gradient against finite differences, and equal to the plain derivative's."""
    got = check_grad(f, args, wrt=wrt, jit=True)
    plain = ad.grad(f, wrt=wrt)(*args)
    for a, b in zip(got if isinstance(wrt, tuple) else [got], plain if isinstance(wrt, tuple) else [plain]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def float_powers(x, p):
    return abs(x) ** p + (x * x + 1.0) ** (p * x)  # (bases >= 0: Python gives a float, as Numba)


# j27-001: `x ** p` with an active exponent was refused under jit (its partial called np.iscomplexobj)
def test_an_active_exponent_compiles():
    check_jit(float_powers, (1.3, 0.7), (0, 1))


@exhaustive
def test_an_active_exponent_of_arrays_compiles():
    check_jit(powers, (X, 1.7), (0, 1))
    check_jit(lambda x: np.sum(x[:2] ** x[1:]), (X,))


def solved(a, b):
    A = a * 1.0
    A[0, 0] += 3.0
    A[1, 1] += 3.0
    return np.sum(np.linalg.solve(A, b) * b) + np.sum(np.linalg.solve(A, a[:, :1] * 2.0))


def crossed(u, v):
    return np.sum(np.cross(u, v) * u) + np.sum(np.cross(u[0], v) ** 2)


def crossed2(u, v):
    return np.sum(np.cross(u[:, :2], v[:, :2]) ** 2)


A2 = np.array([[0.5, -0.2], [0.3, 0.8]])
U = np.array([[0.5, -0.2, 0.9], [0.3, 0.8, -1.1]])


# j27-002, j27-003: np.linalg.solve and np.cross were refused under jit
@exhaustive
def test_solve_and_cross_compile():
    check_jit(solved, (A2, np.array([1.0, -0.5])), (0, 1))
    check_jit(crossed, (U, U[::-1] * 0.7 + 0.1), (0, 1))
    with pytest.raises(UnsupportedError, match="np.cross of 2-vectors") as info:  # (Numba's ValueError escaped)
        ad.grad(crossed2, jit=True)(U, U * 0.5)
    assert "line" in str(info.value) and "np.cross(u[:, :2]" in str(info.value)


def indexing(x, w):
    i = np.array([2, 0, 0, 1, 1, 2]).reshape(2, 3)
    y = x * 1.0
    np.put_along_axis(y, np.array([0, 0]).reshape(2, 1), w[:2].reshape(2, 1) ** 2, axis=1)  # (column 0)
    np.add.at(y, (np.array([1, 1]), np.array([2, 2])), w[2])  # (a repeated position adds up)
    np.put(y, np.array([4, 1, 4]), w * 3.0)  # (flat position 4 twice: the last write is kept)
    z = np.take_along_axis(y, i, axis=1)
    return np.sum(z * np.arange(3.0)) + np.sum(np.compress(np.array([True, False, True]), y, axis=1) ** 2) + \
        np.sum(np.extract(x > 0.3, y) ** 3)


def filled(x, w):
    y = x[:, :2] * x[:, 1:]
    np.fill_diagonal(y, w[:2] * 2.0)
    np.putmask(y, x[:, :2] > 0.6, w[2] * x[:, :2])
    np.place(y, x[:, 1:] < 0.2, w[:1] ** 2)
    return np.sum(y ** 2) + np.sum(y[0] * y[1])


XI = np.array([[0.5, 0.1, 0.9], [0.4, 0.7, 0.25]])
WI = np.array([1.5, -0.4, 0.8])


def taken(x):
    return np.sum(np.take_along_axis(x, np.array([2, 0, 0, 1, 1, 2]).reshape(2, 3), axis=1) ** 2 * x) + \
        np.sum(np.sin(x[1]))


# j27-004: NumPy's indexing functions (desugar_index_forms) were refused under jit (their positions' helpers,
# an index array per axis, which Numba's indexing does not take)
def test_take_along_axis_compiles():
    check_jit(taken, (XI,))
    # j27-005: a row stored into an adjoint of unknown kind (`bx[1] = ...`) is a loop, not Numba's own store
    # (an error-formatting function compiled per shape: about a second of CPU)
    g = ad.grad(taken, jit=True)
    g(XI)
    assert "_ad.jit.add_into(bx[1], " in g.source or "_ad.jit.store_into(bx[1], " in g.source, g.source


def added_at(x, k):
    y = np.zeros(3)
    np.add.at(y, [1, 0, 1], x[:3] * 2.0)  # (a list of positions)
    return np.sum(abs(x[:3]) * y) + abs(k) * 2.0 + abs(x[0])  # (the builtin abs of an array)


@exhaustive
def test_the_indexing_functions_compile():
    check_jit(indexing, (XI, WI), (0, 1))
    check_jit(added_at, (np.array([0.5, -1.2, 0.7, 0.3]), -2.0), (0, 1))  # (j27-006, explore --index)


@exhaustive
def test_diagonals_and_masked_stores_compile():
    check_jit(filled, (XI, WI), (0, 1))
    y = np.zeros((2, 2))
    with pytest.raises(UnsupportedError, match="share memory"):
        ad.grad(lambda x: np.sum(np.place(x, x > 0, x) or x), jit=True)(y + 1.0)


@exhaustive
def test_out_of_bounds_positions_raise_as_numpy():
    def f(x):
        y = x * 1.0
        np.put(y, np.array([7]), 2.0)
        return np.sum(y)
    with pytest.raises(IndexError):
        ad.grad(f, jit=True)(XI)
