"""jit=True (docs/jit.md), jit12: what the compiled subset refused, got wrong or let escape as Numba's own error
(explore --jit seeds 9811 / 9812; /work/jit12/findings.md). Checked against central differences and the plain
derivatives; few compiled functions (Numba's compile time is the suite's cost). Skipped without Numba."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.errors import UnsupportedError
from fd import numeric_grad

numba = pytest.importorskip("numba")

X = np.array([0.3, -1.2, 0.7])


def partly_wide(x, a):
    z = np.sin(x * a) + 0.1 * x  # (float32 in NumPy; `x * 1.5` of a float32 array is float64 in Numba)
    s = 0.0
    for i in range(z.shape[0]):
        s = s + z[i] * z[i]  # (0.0 + float32: float32 in NumPy 2, float64 in Numba)
    return s


def narrow_inside(x):
    out = np.zeros(3, dtype=np.float32)
    out[:] = x[:3] * 1.1
    return np.sum(out ** 2)


# j12-001: a float32 program was computed partly in float64 (value_and_grad's value was not f's)
def test_narrow_dtypes_are_refused_at_the_def():
    x32 = X.astype(np.float32)
    for f, args in [(partly_wide, (x32, np.float32(1.3))), (narrow_inside, (X,))]:
        with pytest.raises(UnsupportedError, match="narrow dtype") as info:
            ad.value_and_grad(f, jit=True)(*args)
        assert f"in {f.__name__}:" in str(info.value) and "def " in str(info.value)
        ad.value_and_grad(f)(*args)  # (the plain derivative: in f's dtypes)


def push(lst, v):
    lst.append(v)


def joined(x, s):
    outs = []
    for i in range(0):
        push(outs, np.r_[x[0], 1.5])  # (an empty list under two names: Numba's type inference asserts)
    y = np.r_[x, s * 2.0, np.ones(2), 3.0]
    return np.sum(np.sin(y) * y) + np.sum(np.array(outs)) ** 2


def joined_only(x, s, r):
    y = np.r_[x, s * 2.0, np.ones(2), 3.0]
    return np.sum(np.sin(y) * y) * r  # (r: a 0-d array, passed as its number; its tangent a 0-d array)


# j12-002: an AssertionError inside Numba's type inference (no line in its message) was located at the def;
# j12-003: the tangent of np.r_ (`_ad.index_concat_tangent`) had no compiled version; j12-010: nor the 0-d tangent
# of a 0-d argument passed as its number (`_ad.jit.as_tangent`)
def test_numba_assertions_name_the_line_and_the_tangent_of_r_compiles():
    with pytest.raises(UnsupportedError, match="AssertionError inside Numba") as info:
        ad.grad(joined, jit=True)(X.copy(), 0.7)
    assert "in push:" in str(info.value) and "lst.append(v)" in str(info.value)
    args = (X.copy(), 0.7, np.array(1.3))
    t = (np.array([1.0, 0.5, -1.0]), 0.3, np.array(-0.4))
    d = ad.jvp(joined_only, wrt=(0, 1, 2), jit=True)
    value, tangent = d(*args, t)
    plain = ad.jvp(joined_only, wrt=(0, 1, 2))(*args, t)
    assert value == pytest.approx(joined_only(*args), rel=1e-12) and tangent == pytest.approx(plain[1], rel=1e-12)
    fd = sum(np.sum(numeric_grad(joined_only, args, i) * t[i]) for i in range(3))
    assert tangent == pytest.approx(fd, rel=1e-6)
    assert "_ad.jit.index_concat_tangent('r', " in d.source and "r[()]" in d.source


def zero_d_read(W, s, x, t):
    val = 0.0
    k = 0
    while k < 2:
        k += 1
        val += s - val + np.sum(W)  # (`bW += ...` of no known kind: not s, which nothing changes)
    h = x * 1.0
    g = x.copy()
    c = [h, g][int(abs(t) * 10) % 2]  # (an item of a list nothing changes: one of two arrays made here)
    c[:-1] *= np.sin(x[1:])  # (then `if h is c: h = c` and `if g is c: g = c`, the alias pass's refresh)
    return val + np.sum(np.sin(W)) * 2.0 + np.sum(g * x) + np.sum(h ** 2) + np.sum(c) * t


# j12-004: a 0-d array argument the derivative never changes was refused as "changed in place" (an adjoint's
# `+=` of no known kind counted as a change of it).
# j12-009: `is` of an item of a list made in the function was refused (`c = t1[k]`: not known to be new memory)
def test_a_0d_argument_only_read_and_identity_of_an_item_of_a_fixed_list():
    W, s, x = np.array([[0.3, -0.5], [0.2, 0.9]]), np.array(-1.05), np.array([0.3, -0.7, 1.1])
    g = ad.grad(zero_d_read, wrt=(0, 2, 3), jit=True)
    for t in (0.85, 0.95):  # (c is h, then c is g)
        args = (W.copy(), s.copy(), x.copy(), t)
        for a, i in zip(g(*args), (0, 2, 3)):
            np.testing.assert_allclose(a, numeric_grad(zero_d_read, args, i), rtol=1e-6, atol=1e-8)
    assert "s[()]" in g.source and g.source.count("_ad.jit.same_array(") == 2


def bump(D, c):
    D['w'] = D['w'] * c  # (a store through the helper's parameter: `D_1 = dd`, one object)
    return D['w'][0]


def dict_two_names(x, s):
    dd = {'w': x * 2.0, 'b': s}
    z = bump(dd, s)
    e = dd
    e['b'] = e['b'] * z  # (through the second name; read through the first below)
    e['w'] = e['w'] + 1.0
    y = np.concatenate([dd['w'], [z, s]])  # (a list of numbers joined to an array)
    return np.sum(dd['w'] ** 2) + dd['b'] * s + z + np.sum(np.sin(y))


# j12-006: a dict made in the function and known under a second name (an inlined helper's parameter, `e = d`,
# the SSA names of its stores) was refused; one object made once outside loops shares its names per key.
# j12-007: np.concatenate([x, [z, s]]): Numba's concatenate takes no list of numbers (the 1-d array NumPy makes)
def test_a_dict_under_second_names_and_numbers_joined_to_an_array():
    x, s = np.array([0.3, -0.7, 1.1]), 0.8
    value, got = ad.value_and_grad(dict_two_names, wrt=(0, 1), jit=True)(x.copy(), s)
    assert value == pytest.approx(dict_two_names(x.copy(), s), rel=1e-12)
    fd = [numeric_grad(dict_two_names, (x.copy(), s), i) for i in (0, 1)]
    for a, b in zip(got, fd):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    t = (np.array([1.0, -0.5, 0.25]), 0.3)
    value, tangent = ad.jvp(dict_two_names, wrt=(0, 1), jit=True)(x.copy(), s, t)
    assert tangent == pytest.approx(fd[0] @ t[0] + fd[1] * t[1], rel=1e-6)


class Acc:
    def __init__(self, w):
        self.w = w
        self.n = 0.0

    def add(self, v):
        self.w = self.w + v
        self.n = self.n + 1.0
        return self


def object_two_names(x, s):
    a = Acc(x * s)  # (the tape saves a.w and a.n before __init__ stores them: a zero of the value stored)
    b = a.add(np.sin(x))  # (`self = a`, `b = self`: second names of one object)
    b.add(x * 0.5)
    return np.sum(a.w ** 2) * a.n + np.sum(b.w)  # (an adjoint dict given entries it did not have)


# j12-008: an object under second names (an inlined method's `self`, what it returns), attributes saved by the tape
# before their first store, an adjoint dict growing entries: a name per attribute, where `_ad.new_object` was refused
def test_an_object_under_second_names():
    x, s = np.array([0.3, -0.7, 1.1]), 0.8
    value, got = ad.value_and_grad(object_two_names, wrt=(0, 1), jit=True)(x.copy(), s)
    assert value == pytest.approx(object_two_names(x.copy(), s), rel=1e-12)
    for a, i in zip(got, (0, 1)):
        np.testing.assert_allclose(a, numeric_grad(object_two_names, (x.copy(), s), i), rtol=1e-6, atol=1e-8)

