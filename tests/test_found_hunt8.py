"""Hunt 8 (NumPy API surface with mutation, Python semantics): regressions, each against central differences of
the program itself (/work/hunt8/findings.md has the reproductions). The contract: right, or refused with a
located ad.ADError."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1, 0.4])


def right_or_located_refusal(f, x):
    """ad.value_and_grad(f)(x) equals f(x) and its central differences, or is refused at a line of this file."""
    try:
        value, grad = ad.value_and_grad(f)(x.copy())
    except ad.ADError as e:
        assert "test_found_hunt8.py" in str(e) and "line" in str(e)
        return "refused"
    np.testing.assert_allclose(value, f(x.copy()), rtol=1e-12)
    np.testing.assert_allclose(grad, numeric_grad(f, [x.copy()], 0), rtol=1e-6, atol=1e-8)
    return "right"


# -- h8-001/002: methods that give the array itself when NumPy has nothing to convert: `y.astype(float,
# copy=False)` of a float64 array, `y.conj()` / `y.conjugate()` of a real array. They were taken for copies, so a
# store through them left y unchanged in the derivative: value and gradient silently wrong.
def astype_without_copy_changed(x):
    y = x * 1.0
    z = y.astype(np.float64, copy=False)
    z[0] = 9.0 * x[1]
    return np.sum(y * x)


def conj_of_real_changed(x):
    y = x * 1.0
    z = y.conj()
    z[0] = 9.0 * x[1]
    return np.sum(y * x)


def conjugate_of_real_changed(x):
    y = x * 1.0
    z = y.conjugate()
    z += x
    return np.sum(y * y)


# -- h8-003: `np.asmatrix(x)` is a view of x (an np.matrix): NumPy's shared memory was seen, but dropped for a
# result that is not an array kind, so a store through it did not change x in the derivative.
def asmatrix_of_argument_changed(x):
    m = np.asmatrix(x)
    m[0, 0] = 3.0
    return np.sum(x * x)


@pytest.mark.parametrize("f", [astype_without_copy_changed, conj_of_real_changed, conjugate_of_real_changed,
                               asmatrix_of_argument_changed], ids=lambda f: f.__name__)
def test_a_change_through_the_array_itself_returned_by_numpy(f):
    right_or_located_refusal(f, X)


def astype_without_copy_read(x):
    y = x * 2.0
    z = y.astype(np.float64, copy=False)
    return np.sum(z * x)


def conj_of_real_read(x):
    y = np.sin(x)
    return np.sum(y.conj() * y)


@pytest.mark.parametrize("f", [astype_without_copy_read, conj_of_real_read], ids=lambda f: f.__name__)
def test_reading_the_array_itself_returned_by_numpy_is_right(f):
    assert right_or_located_refusal(f, X) == "right"


# -- h8-004..009: iterators the compiler computes when they are made (a generator expression, map, filter, zip,
# enumerate, reversed, iter, a generator function's call, a dict's values() / items() / keys()), while Python
# computes their items when they are read: a change in between (in place, or a name the iterator reads bound
# again) was missed, silently. Now refused at the change (lazy_checks.py).
def generator_expression_then_change(x):
    y = x * 1.0
    gen = (v * 2.0 for v in y)
    y[0] = 100.0 * x[1]
    return sum(gen)


def generator_expression_reads_a_name_bound_again(x):
    a = x[0]
    gen = (v * a for v in x)
    a = x[1] * 10.0
    return sum(gen)


def map_then_change(x):
    y = x * 1.0
    m = map(lambda v: v * v, y)
    y[1] = 3.0 * x[0]
    return sum(m)


def loop_over_map_changing_its_source(x):
    y = x * 1.0
    s = 0.0
    for v in map(np.sin, y):
        s = s + v
        y[-1] = s
    return s


def zip_of_a_list_then_change(x):
    lst = [x[0], x[1], x[2]]
    z = zip(lst, [1.0, 2.0, 3.0])
    lst[1] = x[3] * 5.0
    s = 0.0
    for a, b in z:
        s = s + a * b
    return s


def reversed_list_then_change(x):
    lst = [x[0], x[1], x[2]]
    r = reversed(lst)
    lst[0] = x[3] * 5.0
    s = 0.0
    for v in r:
        s = s * 0.5 + v
    return s


def dict_values_then_change(x):
    d = {"a": x[0], "b": x[1]}
    vals = d.values()
    d["a"] = x[2] * 3.0
    return sum(vals) * x[3]


def squares(y):
    for v in y:
        yield v * v


def generator_then_change_through_a_view(x):
    y = x * 1.0
    g = squares(y)
    z = y[:2]
    z[0] = 5.0 * x[1]
    return sum(g)


@pytest.mark.parametrize("f", [generator_expression_then_change, generator_expression_reads_a_name_bound_again,
                               map_then_change, loop_over_map_changing_its_source, zip_of_a_list_then_change,
                               reversed_list_then_change, dict_values_then_change,
                               generator_then_change_through_a_view], ids=lambda f: f.__name__)
def test_a_change_before_a_lazy_iterator_gives_its_items(f):
    assert right_or_located_refusal(f, X) == "refused"


def lazy_iterators_used_before_any_change(x):
    y = x * 1.0
    gen = (v * v for v in y)
    z = x * 2.0
    s = sum(gen) + np.sum(z)
    total = 0.0
    for v in map(np.sin, y):
        total += v * s
    lst = [x[0], x[1]]
    for i, v in enumerate(lst):
        lst[i] = v * 2.0
    y[0] = total
    return np.sum(y * x) + lst[0] * lst[1]


def test_lazy_iterators_used_before_any_change_are_right():
    assert right_or_located_refusal(lazy_iterators_used_before_any_change, X) == "right"


# -- h8-010: `for k in d.keys():` (and a loop over `ks = d.keys()`) crashed in every mode: the kinds take
# `d.keys()` for a list, so the loop indexed the dict_keys object (TypeError: not subscriptable).
def loop_over_a_dicts_keys(x):
    d = {"a": x[0], "b": x[1] * x[2]}
    s = 0.0
    for k in d.keys():
        s = s + d[k] * d[k] * x[3]
    return s


def test_a_loop_over_a_dicts_keys():
    from modes_check import check_modes

    check_modes(loop_over_a_dicts_keys, [X.copy()], modes=("grad", "jvp", "hvp"))


# -- h8-011: functions of the standard library written in Python (dataclasses.replace / astuple / asdict,
# heapq.nlargest) were inlined as the user's and refused inside the library (dataclasses.py, heapq.py), where
# the user cannot act; they are libraries now: refused at the user's call.
import dataclasses  # noqa: E402
import heapq  # noqa: E402


@dataclasses.dataclass
class Pair:
    w: float
    b: float


def replaced_dataclass(x):
    q = dataclasses.replace(Pair(x[0], x[1]), b=x[2])
    return q.w * q.b


def two_largest(x):
    top = heapq.nlargest(2, list(x))
    return top[0] * top[1]


def test_replaced_dataclass_is_right():
    """(objects3, ob3-005: `dataclasses.replace` of a known dataclass is now the constructor it calls)"""
    np.testing.assert_allclose(ad.grad(replaced_dataclass)(X.copy()), [X[2], 0.0, X[0], 0.0], rtol=1e-12)


@pytest.mark.parametrize("f", [two_largest], ids=lambda f: f.__name__)
def test_standard_library_functions_are_refused_at_the_users_call(f):
    with pytest.raises(ad.ADError) as e:
        ad.grad(f)(X.copy())
    assert "test_found_hunt8.py" in str(e.value)
    assert "dataclasses.py" not in str(e.value) and "heapq.py" not in str(e.value)


# -- h8-009: a loop over a dict's items() storing into another key of the dict: Python's items view gives the
# new value when it reaches that key, the list the compiler made when the loop started does not. Storing into
# the entry just read (`d[k] = ...`) stays right.
def items_loop_changing_another_key(x):
    d = {"a": x[0], "b": x[1]}
    s = 0.0
    for k, v in d.items():
        s = s + v * v
        d["b"] = s * 2.0
    return s


def items_loop_changing_its_own_entry(x):
    d = {"a": x[:2] * 1.0, "b": x[2:] * 1.0}
    for k, v in d.items():
        d[k] = v * x[0]
    for k, v in d.items():
        d[k] = d[k] + 1.0
    return np.sum(d["a"] * d["b"])


def test_a_loop_over_a_dicts_items_changing_it():
    assert right_or_located_refusal(items_loop_changing_another_key, X) == "refused"
    assert right_or_located_refusal(items_loop_changing_its_own_entry, X) == "right"


# -- h8-013/014: a helper changing its mutable default in place (`buf=np.zeros(2)`, `buf += v`;
# `cache={}`, `cache["n"] = ...`): Python keeps that one object from call to call, so the helper's second call
# sees the first call's change. The inliner read the default afresh at each call: a silently wrong value (the
# array), a KeyError in the generated gradient (the dict). Now refused at the change.
def accumulate_into_default(v, buf=np.zeros(2)):
    buf += v
    return np.sum(buf)


def count_into_default(v, cache={}):
    cache["n"] = cache.get("n", 0.0) + v
    return cache["n"]


def helper_with_a_default_array_called_twice(x):
    return accumulate_into_default(x[:2]) * accumulate_into_default(x[2:4])


def helper_with_a_default_dict_called_twice(x):
    return count_into_default(x[0]) * count_into_default(x[1])


@pytest.mark.parametrize("f", [helper_with_a_default_array_called_twice, helper_with_a_default_dict_called_twice],
                         ids=lambda f: f.__name__)
def test_a_helper_changing_its_mutable_default(f):
    with pytest.raises(ad.ADError) as e:
        ad.grad(f)(X.copy())
    assert "test_found_hunt8.py" in str(e.value) and "default value" in str(e.value)


# -- h8-015: an array held by a global dict, read by a string key and changed in place (`a = D["a"]; a += x`):
# the alias pass took `D["a"]` of a value of unknown kind for a fancy index (a new array), so the change was a
# rebinding and a second read `D["a"]` missed it, silently. Now an item of the dict (refused: the function did
# not make it).
GLOBAL_ARRAYS = {"a": np.zeros(4)}


def changes_an_array_of_a_global_dict(x):
    a = GLOBAL_ARRAYS["a"]
    a += x
    return np.sum(a) * np.sum(GLOBAL_ARRAYS["a"])


def test_an_array_of_a_global_dict_changed_in_place():
    try:
        with pytest.raises(ad.ADError) as e:
            ad.grad(changes_an_array_of_a_global_dict)(X.copy())
        assert "test_found_hunt8.py" in str(e.value)
    finally:
        GLOBAL_ARRAYS["a"][:] = 0.0


# -- hunt8's open limit of lazy_checks (the lead, stop 20): a change made by code of the user's that the
# statement itself does not show: a closure (a nested function or lambda) reading the iterator's source, a
# function of the user's given the source or a view of it, a method of an object holding it. Each was silently
# wrong (the items computed early missed the change).
class _Holder:
    def __init__(self, items):
        self.items = items

    def bump(self):
        self.items[0] = 3.0


def _set_first(z):
    z[0] = 4.0


def _set_list_first(lst):
    lst[0] = 3.0


def _dense(h, w, b):
    return np.tanh(h * w + b)


def closure_changes_the_source(x):
    y = x * 1.0

    def bump():
        y[0] = 5.0
    g = (v * 2.0 for v in y)
    bump()
    return sum(g)


def lambda_changes_the_source(x):
    y = x * 1.0
    change = lambda: y.__setitem__(0, 2.0)  # noqa: E731
    g = (v * v for v in y)
    change()
    return sum(g)


def helper_changes_a_list_read_by_map(x):
    lst = [x[0], x[1], x[2]]
    g = map(np.sin, lst)
    _set_list_first(lst)
    return sum(g)


def helper_changes_a_view_of_the_source(x):
    y = x * 1.0
    z = y[1:]
    g = (v * v for v in y)
    _set_first(z)
    return sum(g)


def method_changes_the_source(x):
    lst = [x[0], x[1], x[2]]
    holder = _Holder(lst)
    g = (v * v for v in lst)
    holder.bump()
    return sum(g)


@pytest.mark.parametrize("f", [closure_changes_the_source, lambda_changes_the_source,
                               helper_changes_a_list_read_by_map, helper_changes_a_view_of_the_source,
                               method_changes_the_source], ids=lambda f: f.__name__)
def test_a_change_by_the_users_code_before_a_lazy_iterator_gives_its_items(f):
    assert right_or_located_refusal(f, X) == "refused"


def zip_items_given_to_a_helper(x):
    ws = [x[0], x[1]]
    bs = [x[2], 0.5]
    pairs = zip(ws, bs)
    h = 1.0
    for w, b in pairs:
        h = _dense(h, w, b)
    return h


def map_items_given_to_a_helper(x):
    ws = [x * 1.0, x * 2.0]
    h = x
    for w in map(np.tanh, ws):
        h = _dense(h, w, 0.1)
    return np.sum(h)


@pytest.mark.parametrize("f", [zip_items_given_to_a_helper, map_items_given_to_a_helper], ids=lambda f: f.__name__)
def test_an_iterators_own_items_given_to_a_helper_are_right(f):
    assert right_or_located_refusal(f, X) == "right"
