"""hunt26a: counterexamples to lang25's lifted constructs (loops over a list, list methods, iter/next, loop
`else`, starred unpacking, library builtins) combined with aliases, closures, objects and every mode.
/work/hunt26a/findings.md has the entries (h26a-NNN). Expected values come from central differences, or the
test asks for a located refusal where the compiler cannot be exact."""
import itertools
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad

X = np.array([0.31, -1.23, 0.87, 2.05, -0.44, 1.12])


# -- h26a-001 / 002: a loop over a list whose length a closure or a method of an object holding it changes ------

class Box:
    def __init__(self, items):
        self.items = items

    def add(self, v):
        self.items.append(v)


def grown_by_a_closure(x):
    L = [x[0], x[1]]

    def add(v):
        L.append(v * 2.0)
    s = 0.0
    for v in L:
        s = s + v * v
        if len(L) < 4:
            add(v)
    return s


def grown_by_a_closure_calling_one(x):
    L = [x[0], x[1]]
    M = L

    def add2(v):
        add(v)

    def add(v):
        M.append(v * 2.0)
    s = 0.0
    for v in L:
        s = s + v * v
        if len(L) < 4:
            add2(v)
    return s


def grown_by_a_method(x):
    L = [x[0], x[1]]
    b = Box(L)
    s = 0.0
    for v in L:
        s = s + v * v
        if len(L) < 4:
            b.add(v * 2.0)
    return s


def grown_through_a_call(x):
    L = [x[0], x[1]]
    d = {'a': L}
    s = 0.0
    for v in L:
        s = s + v * v
        if len(L) < 4:
            d.get('a').append(v * 2.0)
    return s


@pytest.mark.parametrize("f", [grown_by_a_closure, grown_by_a_closure_calling_one, grown_by_a_method,
                               grown_through_a_call])
def test_length_changed_by_code_the_call_does_not_show_refused(f):
    with pytest.raises(ad.ADError, match="may change the length of the list the loop"):
        ad.grad(f)(X.copy())


def closure_reads_only(x):
    L = [x[0], x[1], x[2]]

    def total():
        return L[0] + L[-1]
    s = 0.0
    for v in L:
        s = s + v * total()
    return s


def test_closure_reading_the_list_stays_exact():
    check_grad(closure_reads_only, (X.copy(),))


# -- h26a-003: math.hypot of 3+ numbers / math.dist at zero (ZeroDivisionError) and at infinity (NaN value) ----

def hypot3(x):
    return math.hypot(x[0], x[1], x[2]) + math.dist([x[3]], [x[4]]) * x[5]


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_hypot_at_zero_and_infinity_has_pythons_value(mode):
    for x in (np.zeros(6), np.array([np.inf, 1.0, np.nan, 2.0, -np.inf, 1.0])):
        want = hypot3(x.copy())
        got = ad.value_and_grad(hypot3)(x.copy())[0] if mode == "grad" else \
            ad.jvp(hypot3)(x.copy(), np.ones(6))[0]
        assert got == want
    assert np.all(ad.grad(hypot3)(np.zeros(6)) == 0.0)  # (np.hypot's derivative at 0)
    check_grad(hypot3, (X.copy(),))


# -- h26a-004: the items of list(y) / tuple(y) of a 2-d array (also accumulate(y), `a, *rest = y`) are views ----

def rows_listed(x):
    y = np.reshape(x * 1.0, (3, 2))
    L = list(y)
    y[0, 0] = x[5] * 5.0
    return np.sum(L[0] * L[2]) + np.sum(y)


def rows_accumulated(x):
    y = np.reshape(x * 1.0, (3, 2))
    acc = list(itertools.accumulate(y))
    y[0, 0] = x[5] * 5.0
    return np.sum(acc[0] * acc[2]) + np.sum(y)


def rows_starred(x):
    y = np.reshape(x * 1.0, (3, 2))
    a, *rest = y
    y[1, 0] = x[5] * 5.0
    return np.sum(a * rest[0]) + np.sum(y)


def rows_tupled_then_stored(x):
    y = np.reshape(x * 1.0, (3, 2))
    T = tuple(y)
    T[1][0] = x[0] * 7.0
    return np.sum(y * y)


def rows_extended(x):
    y = np.reshape(x * 1.0, (3, 2))
    L = []
    L.extend(y)
    y[0, 0] = x[5] * 5.0
    return np.sum(L[0] * L[2]) + np.sum(y)


def rows_zipped(x):
    y = np.reshape(x * 1.0, (3, 2))
    P = list(zip(y, [1.0, 2.0, 3.0]))
    y[0, 0] = x[5] * 5.0
    return np.sum(P[0][0] * P[2][0]) + np.sum(y)


def rows_reversed(x):
    y = np.reshape(x * 1.0, (3, 2))
    L = list(reversed(y))
    y[2, 0] = x[5] * 5.0
    return np.sum(L[0] * L[2]) + np.sum(y)


@pytest.mark.parametrize("f", [rows_listed, rows_accumulated, rows_starred, rows_tupled_then_stored,
                               rows_extended, rows_zipped, rows_reversed])
def test_rows_of_an_array_in_a_list_are_views(f):
    with pytest.raises(ad.ADError):  # (was a wrong gradient: the rows were taken for new arrays)
        ad.grad(f)(X.copy())


def rows_listed_read(x):
    y = np.reshape(x * 1.0, (3, 2))
    L = list(y)
    acc = list(itertools.accumulate(y))
    M = []
    M.extend(y)
    P = list(zip(y, x[:3]))
    return np.sum(L[0] * L[2]) + np.sum(acc[2] ** 2) + np.sum(list(x[:3])[1] * y) + \
        np.sum(M[1] * P[2][0] * P[0][1])


def test_rows_of_an_array_in_a_list_read_stay_exact():
    check_grad(rows_listed_read, (X.copy(),))


# -- h26a-006: a loop over a global's or a closure variable's list that the function grows ---------------------

GROWN = [1.0, 2.0]


def _grow_global():
    GROWN.append(3.0)


def global_list_grown(x):
    s = 0.0
    for v in GROWN:
        s = s + v * x[0] * x[1]
        if len(GROWN) < 4:
            GROWN.append(3.0)
    return s


def global_list_grown_by_a_helper(x):
    s = 0.0
    for v in GROWN:
        s = s + v * x[0] * x[1]
        if len(GROWN) < 4:
            _grow_global()
    return s


def _closure_over_a_list():
    L = [1.0, 2.0]

    def f(x):
        s = 0.0
        for v in L:
            s = s + v * x[0] * x[1]
            if len(L) < 4:
                L.append(3.0)
        return s
    return f


class _Config:
    items = [1.0, 2.0]


CONFIG = _Config()


def global_objects_list_grown(x):
    s = 0.0
    for v in CONFIG.items:
        s = s + v * x[0] * x[1]
        if len(CONFIG.items) < 4:
            CONFIG.items.append(3.0)
    return s


@pytest.mark.parametrize("f", [global_list_grown, global_list_grown_by_a_helper, _closure_over_a_list(),
                               global_objects_list_grown])
def test_outer_list_grown_in_a_loop_over_it_refused(f):
    GROWN[:] = [1.0, 2.0]
    CONFIG.items = [1.0, 2.0]
    with pytest.raises(ad.ADError, match="may change the length of the list the loop"):
        ad.grad(f)(X.copy())
    GROWN[:] = [1.0, 2.0]
    CONFIG.items = [1.0, 2.0]


def global_list_read(x):
    s = 0.0
    for v in GROWN:
        s = s + v * x[0] * x[1]
    return s


def test_outer_list_read_in_a_loop_stays_exact():
    GROWN[:] = [1.0, 2.0]
    check_grad(global_list_read, (X.copy(),))


# -- h26a-007 / 008: an iterator over a global's list changed before it is read; `import itertools` in f ---------

ORDER = [3.0, 1.0, 2.0]


def _sort_order():
    ORDER.sort()


def iterator_over_a_global(x):
    it = iter(ORDER)
    a = next(it)
    ORDER.sort()
    b = next(it)
    return a * x[0] + b * x[1]


def generator_over_a_global_changed_by_a_helper(x):
    g = (v * x[0] for v in ORDER)
    _sort_order()
    return sum(g) * x[1]


def accumulate_imported_in_the_function(x):
    import itertools as tools  # (a name the module does not have)
    L = [3.0 * x[2], 1.0, 2.0]
    a = tools.accumulate(L)
    L.reverse()
    return sum(a) * x[0]


def iterator_over_a_global_objects_list(x):
    it = iter(CONFIG.items)
    a = next(it)
    CONFIG.items.reverse()
    b = next(it)
    return a * x[0] + b * x[1]


def _yield_order(v):
    for w in ORDER:
        yield w * v


def generator_function_over_a_global(x):
    g = _yield_order(x[0])
    a = next(g)
    ORDER.sort()
    b = next(g)
    return a * x[1] + b


@pytest.mark.parametrize("f", [iterator_over_a_global, generator_over_a_global_changed_by_a_helper,
                               accumulate_imported_in_the_function, iterator_over_a_global_objects_list,
                               generator_function_over_a_global])
def test_iterator_whose_source_changes_refused(f):
    ORDER[:] = [3.0, 1.0, 2.0]
    CONFIG.items = [1.0, 2.0]
    with pytest.raises(ad.ADError, match="may change what"):
        ad.grad(f)(X.copy())
    ORDER[:] = [3.0, 1.0, 2.0]


# -- h26a-009: `del L[i]` out of range on a list of known items returned a value (Python: IndexError) ----------

def deleted_out_of_range(x):
    L = [x[0], x[1]]
    del L[-3]
    return L[0] * x[2]


def test_del_out_of_range_raises():
    with pytest.raises(IndexError):
        ad.grad(deleted_out_of_range)(X.copy())
    with pytest.raises(IndexError):
        ad.jvp(deleted_out_of_range)(X.copy(), np.ones(6))


# -- lang25-006 (its open crash): `[[a]] * 0` then used: the adjoint of the repetition gave None for a list item -

def repeated_zero_times(x):
    L = [[x[0]]] * 0
    L.append([x[1]])
    return L[0][0] * x[2]


def test_list_of_lists_repeated_zero_times():
    check_grad(repeated_zero_times, (X.copy(),))
