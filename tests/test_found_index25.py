"""Found by index25 (indexing, stores through indices and views, NumPy's exact semantics): each program gives
the derivatives central differences give, or a located refusal. Findings: /work/index25/findings.md."""
from dataclasses import dataclass

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad

X = np.array([[0.13, -0.13, 0.64, 0.10],
              [-0.54, 0.36, 1.30, 0.95],
              [-0.70, -1.27, -0.62, 0.04]])


# -- ix-001: jit=True, a store by an index array beside a slice (`y[1:, m] = v`) was printed as the call
# `_ad.jit.store_fancy(y, (1:, m), v)`: a SyntaxError (a crash, not located) at the first call --

def slice_beside_mask_store(x):
    y = x * 1.0
    m = np.array([True, False, True, True])
    y[1:, m] = x[:2, :3] ** 2
    return np.sum(y ** 3)


def test_ix001_jit_store_by_array_beside_slice():
    pytest.importorskip("numba")
    check_grad(slice_beside_mask_store, (X.copy(),), jit=True)


# -- ix-002 (over-refusals): NumPy's indexing functions written as the reads and stores they make
# (desugar_index_forms.py): np.take_along_axis, np.put_along_axis, np.add.at / np.subtract.at, np.copyto(where=),
# np.compress, np.extract and np.where(c) were refused ("no derivative" / "changes an array in place") --

def take_along_axis_forms(x):
    logp = x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))
    labels = np.array([2, 0, 3])
    nll = -np.sum(np.take_along_axis(logp, labels[:, None], axis=1))
    order = np.argsort(x, axis=1)
    ranked = np.take_along_axis(x, order, axis=1) * np.arange(4.0)   # piecewise constant positions
    rows = np.take_along_axis(x ** 2, np.array([[2, 0, 1, 1]]), 0)   # broadcast along the other axis
    flat = np.take_along_axis(x, np.array([11, 0, 5, 5]), axis=None)
    return nll + np.sum(ranked) + np.sum(rows * np.arange(4.0)) + np.sum(flat ** 3)


def put_along_axis_forms(x):
    y = x * 1.0
    np.put_along_axis(y, np.array([[1, 1], [3, 0], [0, 0]]), x[:, 2:] ** 2, axis=1)  # the last write kept
    np.put_along_axis(y[1:], np.array([[1, 0, 0, 1]]), x[0] * 3.0, axis=0)          # through a view
    return np.sum(y ** 3)


def add_at_forms(x):
    y = x * 1.0
    r = y[0]
    np.add.at(y, ([0, 0, 2], [1, 1, 3]), x[1, :3] ** 2)   # repeated positions add up
    np.subtract.at(y, [0, 0], x[1] ** 2)                  # a row spread, twice
    np.add.at(y[1:], (slice(None), [0, 0]), x[0, :2] * x[2, 3])
    z = np.zeros(3)
    idx = np.array([0, 2, 2, 1, 0, 0])
    for t in range(2):
        np.add.at(z, idx, x[2, :1] * z[idx] + x[1, 3])     # b reads z before the additions, as NumPy's
    return np.sum(r ** 3) + np.sum(y ** 2) + np.sum(z ** 2)


def selection_forms(x):
    y = x * 1.0
    np.copyto(y[1:, ::-1], x[0] ** 2, where=np.array([True, False, True, True]))
    np.copyto(y, y[::-1] * 2.0, where=x < 0.12)
    kept = np.compress([True, False, True], y, axis=0)
    short = np.compress(np.array([False, True]), x, axis=1)   # a shorter condition keeps its length
    picked = np.extract(x[0] > 0.12, x ** 2)
    cols = np.where(x[0] > 0.12)[0]
    return np.sum(kept ** 3) + np.sum(short ** 3) + np.sum(picked ** 3) + np.sum(x[:, cols] ** 3) + \
        np.sum(y[np.where(x > 0.12)] ** 2)


def fill_diagonal_forms(x):
    y = x * 1.0
    np.fill_diagonal(y, x[2, :2] ** 2)                 # fewer values: repeated cyclically, as NumPy's flat store
    np.fill_diagonal(y.T[1:], x[0, 0])                 # through a view
    z = np.concatenate([x, x ** 2, x * 3.0])            # 9 x 4, wrapped after a gap row
    np.fill_diagonal(z, x[1], wrap=True)
    c = np.stack([x[:2, :2], x[1:, 2:]]) * 1.0          # every axis of one length
    np.fill_diagonal(c, x[2, 0] ** 2)
    np.fill_diagonal(c, x[0, :0])                       # no values: nothing written
    return np.sum(y ** 3 * X) + np.sum(z ** 2 * np.arange(36.0).reshape(9, 4)) + np.sum(c ** 3)


@pytest.mark.parametrize("f", [take_along_axis_forms, put_along_axis_forms, add_at_forms, selection_forms,
                               fill_diagonal_forms])
def test_ix002_indexing_functions_as_reads_and_stores(f):
    check_grad(f, (X.copy(),))
    t = np.cos(np.arange(12.0)).reshape(3, 4)
    value, tangent = ad.jvp(f)(X.copy(), t)
    assert np.isclose(value, f(X.copy()))
    assert np.isclose(tangent, np.sum(numeric_grad(f, (X.copy(),), 0) * t), atol=1e-6)


def add_at_float_into_int(x):
    y = np.arange(4)
    np.add.at(y, [0, 0], x[0, :2] * 7.3)   # NumPy truncates (unsafe casting); `y += ...` would raise
    return np.sum(y * x[1])


def take_along_axis_float_indices(x):
    return np.sum(np.take_along_axis(x, np.array([[0.0], [1.0], [2.0]]), axis=1))


def add_at_into_a_list(x):
    y = [x[0, 0], x[0, 1]]
    np.add.at(y, slice(0, 1), 2.0)   # NumPy: a TypeError (`y += ...` would extend the list)
    return y[0] * 2.0 + len(y)


def test_ix002_refusals_and_numpy_errors_kept():
    with pytest.raises(TypeError, match="must be an array"):
        ad.grad(add_at_into_a_list)(X.copy())
    with pytest.raises(ad.ADError, match="float array"):
        ad.grad(add_at_float_into_int)(X.copy())
    with pytest.raises(IndexError, match="integer array"):
        ad.grad(take_along_axis_float_indices)(X.copy())


def flat_store_forms(x):
    y = x.T * 1.0                                              # (not C-contiguous: positions in y's C order)
    np.put(y, [1, 5, 11, -2, 5], x[0, :2] ** 2)                # values repeated cyclically, the last write kept
    np.put(y[:, ::-1], np.array([[0, 14], [-9, 4]]), x[2, 0], mode="wrap")
    np.put(y, [17, -5], x[1, 2:] * 3.0, mode="clip")
    z = x * 1.0
    np.putmask(z, x > 0.12, x[0, :3] * 2.0)                    # position i takes value i % 3
    np.place(z, x < -0.6, x[2, 1:] ** 2)                       # the chosen positions take the values in turn
    np.place(z, x > 100.0, x[0, :0])                           # none chosen, no values: nothing written
    return np.sum(y ** 3 * X.T) + np.sum(z ** 3 * X)


def test_ix002_flat_stores_put_putmask_place():
    check_grad(flat_store_forms, (X.copy(),))
    t = np.cos(np.arange(12.0)).reshape(3, 4)
    value, tangent = ad.jvp(flat_store_forms)(X.copy(), t)
    assert np.isclose(tangent, np.sum(numeric_grad(flat_store_forms, (X.copy(),), 0) * t), atol=1e-6)


def test_generator_makes_the_index_constructs():
    """tests/progen_index.py (explore.py --index RATE) makes each of its constructs (generation only: fast); off
    by default, so every seed keeps the program it gave before."""
    import re

    import progen

    patterns = {"repeated fancy store": r"\[\[(-?\d), [^\]]*\b\1\]\] [-+*]?= ", "negative step": r"\[\d?:0:-2\]|\[::-1\] ",
                "mask store": r"\[tmp\d*\] [*+]?= ", "view chain": r"\.T\[0\] |\[0\]\[1:\] ", "copy chain": r"\[\[0, 1\]\]\[0\] = ",
                "swap": r"\[0\], \w+\[-?1\] = ", "take_along_axis": r"np\.take_along_axis\(", "add.at": r"np\.add\.at\(",
                "put_along_axis": r"np\.put_along_axis\(", "fill_diagonal": r"np\.fill_diagonal\(", "put": r"np\.put\(",
                "putmask": r"np\.putmask\(", "place": r"np\.place\(", "copyto where": r"np\.copyto\(.*where=",
                "compress": r"np\.compress\(", "extract": r"np\.extract\(", "loop positions": r"% \d\] [*+]?= "}
    sources = [progen.generate(progen.program_seed(25, i), {"index": 0.5}) for i in range(150)]
    missing = [k for k, p in patterns.items() if not any(re.search(p, s) for s in sources)]
    assert not missing, f"the 'index' feature no longer produces: {missing}"
    for src in sources[:50]:
        compile(src, "<generated>", "exec")
    before = {k: v for k, v in progen.FEATURES.items() if k != "index"}
    assert progen.generate(progen.program_seed(2024, 7)) == progen.generate(progen.program_seed(2024, 7), before)


# -- ix-003: np.fill_diagonal and np.place read their values while writing (a value whose place was written
# before is read new: np.fill_diagonal(A, np.diagonal(A)[::-1]) gives the diagonal [8, 4, 8] of arange(9)),
# where the rewritten stores of ix-002 read them all first: values sharing memory with the array are refused when
# f runs; np.put, np.putmask, np.copyto, np.put_along_axis and np.add.at read them first, as NumPy does --

def fill_diagonal_own_values(x):
    a = x[:, :3] * 1.0
    np.fill_diagonal(a, np.diagonal(a)[::-1])
    return np.sum(a ** 3)


def place_own_values(x):
    a = x.ravel() * 1.0
    np.place(a, a > -0.6, a[:8])
    return np.sum(a ** 3)


def own_values_read_first(x):
    a = x.ravel() * 1.0
    np.put(a, [1, 2, 3, 4], a[:4])
    np.putmask(a, a > -0.6, a[::-1])
    b = x * 1.0
    np.put_along_axis(b, np.array([[2], [1], [0]]), b[::-1, ::-1][:, :1], axis=1)
    np.copyto(b, b[::-1], where=b > 0.0)
    np.add.at(b, (0, [1, 1]), b[0, :2])
    return np.sum(a ** 3) + np.sum(b ** 3)


def test_ix003_values_read_while_writing_are_refused():
    for f in (fill_diagonal_own_values, place_own_values):
        with pytest.raises(ad.ADError, match="share memory with the array it changes"):
            ad.grad(f)(X.copy())
    check_grad(own_values_read_first, (X.copy(),))



@dataclass
class Grid:  # (unhashable: a dataclass with eq)
    w: float = 2.0

    def at(self, v, k):
        return v * self.w + k


GRID = Grid()


def method_named_at(x):
    return np.sum(GRID.at(x, 1.0) ** 2)


def test_ix002_a_method_named_at_is_not_ufunc_at():
    check_grad(method_named_at, (X.copy(),))   # (desugar_index_forms compared its unhashable object: a TypeError)
