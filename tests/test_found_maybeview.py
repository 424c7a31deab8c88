"""Library calls the alias pass cannot ask NumPy about (an argument of unknown rank: a global array, an item of a
global list; a function the oracle does not call): their results were taken for new arrays, so that a change in
place of the result (or of the argument) was not seen by the other, a silently wrong gradient. Now a function not
known to give new memory (alias_library.gives_new_memory) gives "maybe a view of (or the very) arrays it is
given": the change is refused at its line while the other is read later (/work/maybeview/findings.md)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

G = np.array([0.7, -1.3, 1.1])  # (a global array: its rank is not known when compiling)
G2 = np.array([[0.7, -1.3, 1.1], [0.2, 0.5, -0.8], [1.4, 0.3, 0.9]])
LST = [np.array([0.9, 1.2, -0.4])]
Y = np.array([0.42, 0.533, 0.751])


def einsum_identity_changed(y):  # np.einsum("i->i", v) is a view of v
    v = y * G
    out = np.einsum("i->i", v)
    out[0] *= 0.5
    return np.sum(v * v)


def einsum_diagonal_base_changed(y):  # np.einsum("ii->i", M): a view of M's diagonal
    M = y[:, None] * G2
    d = np.einsum("ii->i", M)
    M[0] *= 0.5
    return np.sum(d * d)


def diff_zero_changed(y):  # np.diff(v, 0) is v itself
    v = LST[0] * y
    out = np.diff(v, 0)
    out *= 2.0
    return np.sum(v * v)


def nan_to_num_in_place_base_changed(y):  # np.nan_to_num(v, copy=False) is v itself
    v = y * G
    out = np.nan_to_num(v, copy=False)
    v[0] *= 0.5
    return np.sum(out * out)


def as_strided_changed(y):
    v = y * G
    out = np.lib.stride_tricks.as_strided(v)
    out[...] = 3.0
    return np.sum(v * v) + np.sum(v)


def broadcast_arrays_item_changed(y):
    v = LST[0] * y
    out = np.broadcast_arrays(v)[0]
    out[0] *= 0.5
    return np.sum(v * v)


def meshgrid_without_copy_changed(y):
    v = y * G
    out = np.meshgrid(v, copy=False)[0]
    out *= 2.0
    return np.sum(v * v)


def matrix_transpose_changed(y):
    v = y * G
    out = np.linalg.matrix_transpose(v[None])[:, 0]
    out[0] *= 0.5
    return np.sum(v * v)


def masked_data_changed(y):
    v = y * G
    out = np.ma.getdata(v)
    out[0] *= 0.5
    return np.sum(v * v)


def astype_without_copy_changed(y):  # (rank known: the oracle was not given the dtype `float`)
    v = y * 1.0
    out = np.astype(v, float, copy=False)
    out[0] *= 0.5
    return np.sum(v * v)


def imag_changed(y):  # np.imag of a complex array is a view
    z = y * (1.0 + 2.0j)
    im = np.imag(z)
    im[0] = 0.0
    return np.sum(np.imag(z) ** 2)


def diag_base_changed(y):  # np.diag of a matrix is a read-only view of its diagonal
    M = y[:, None] * G2
    d = np.diag(M)
    M[0] *= 0.5
    return np.sum(d * d)


def matrix_power_one_changed(y):  # np.linalg.matrix_power(M, 1) is M itself
    M = LST[0] * y[:, None]
    P = np.linalg.matrix_power(M, 1)
    P *= 2.0
    return np.sum(M * M)


def array_method_changed(y):  # x.__array__() is x itself (any array method not known to give a new array)
    v = y * 1.0
    c = v.__array__()
    c[0] *= 0.5
    return np.sum(v * v)


def getfield_changed(y):  # x.getfield(dtype) is a view of x
    v = y * G
    c = v.getfield(np.float64)
    c[0] *= 0.5
    return np.sum(v * v)


def median_overwriting_its_input(y):  # np.median(v, overwrite_input=True) partially sorts v
    v = y * 1.0
    m = np.median(v, overwrite_input=True)
    return m + np.sum(v * np.arange(3.0))


def polyder_zero_changed(y):  # np.polyder(p, 0) is p itself
    v = y * G
    out = np.polyder(v, 0)
    out[0] *= 0.5
    return np.sum(v * v)


WRONG_BEFORE = [polyder_zero_changed, median_overwriting_its_input, array_method_changed, getfield_changed, diag_base_changed, matrix_power_one_changed, einsum_identity_changed, einsum_diagonal_base_changed, diff_zero_changed,
                nan_to_num_in_place_base_changed, as_strided_changed, broadcast_arrays_item_changed,
                meshgrid_without_copy_changed, matrix_transpose_changed, masked_data_changed,
                astype_without_copy_changed, imag_changed]


@pytest.mark.parametrize("f", WRONG_BEFORE)
def test_a_result_that_may_share_its_arguments_memory_is_not_taken_for_a_new_array(f):
    """Each gave a silently wrong gradient (the change of one not seen by the other): now refused at the line
    of the change."""
    with pytest.raises(ad.ADError) as info:
        ad.grad(f)(Y.copy())
    assert "test_found_maybeview.py" in str(info.value)  # (located)


def solve_then_changed(y):  # np.linalg functions give new arrays: the result changed in place is right
    v = y * G
    h = np.linalg.solve(np.eye(3) * 2.0, v)
    h[0] *= 3.0
    return np.sum(h * v)


def einsum_of_two_then_changed(y):  # of two operands einsum makes a new array
    v = y * G
    h = np.einsum("i,i->i", v, v)
    h *= 3.0
    return np.sum(h * v)


def diff_then_changed(y):  # np.diff(v) (n=1): a new array
    v = LST[0] * y
    h = np.diff(v)
    h[0] *= 3.0
    return np.sum(h) * np.sum(v)


def matrix_square_then_changed(y):
    M = LST[0] * y[:, None]
    P = np.linalg.matrix_power(M, 2)
    P *= 2.0
    return np.sum(M * P)


def diag_read_only(y):  # maybe a view, only read: right
    M = y[:, None] * G2
    d = np.diag(M)
    return np.sum(d * M[0])


@pytest.mark.parametrize("f", [solve_then_changed, einsum_of_two_then_changed, diff_then_changed, diag_read_only,
                               matrix_square_then_changed])
def test_results_known_to_be_new_arrays_stay_right(f):
    np.testing.assert_allclose(ad.grad(f)(Y.copy()), numeric_grad(f, (Y.copy(),), 0), rtol=1e-6, atol=1e-8)
