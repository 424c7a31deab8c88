"""Found by hunt27a (stop 27: the alias, loop-length and in-place analyses): each program gives the derivatives
central differences give, or a located refusal."""
import bisect
import functools
import heapq
import operator
import random

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad

X = np.array([0.3, -0.5, 0.8])


# -- h27a-001: a call known to change an argument in place whose value is used was taken for a call giving a new
# value: `u = operator.iadd(v, w)`, `r = v.__setitem__(0, c)`, `r = list.append(L, c)`, `r = np.multiply.at(v, i,
# c)`, and the calls `map(operator.setitem, ...)` / `functools.reduce(operator.iadd, ...)` / a functools.partial
# make. The change was missed: a WRONG value and gradient in every mode (also inside a loop whose analysis did
# not settle, which lead25-005 refuses only where it sees an in-place change). Refused at the call now --

def iadd_value_used(x):
    v = x * x
    u = operator.iadd(v, x + 1.0)
    return np.sum(v * x)


def setitem_value_used(x):
    v = x * x
    u = v.__setitem__(0, x[1])
    return np.sum(v * x)


def list_iadd_value_used(x):
    L = [x[0], x[1]]
    r = L.__iadd__([x[2] * 3.0])
    return sum(L)


def unbound_append_value_used(x):
    L = [x[0]]
    r = list.append(L, x[1] * 3.0)
    return sum(L)


def ufunc_at_value_used(x):
    v = x * 1.0
    r = np.multiply.at(v, [0, 0], x[2])
    return np.sum(v * x)


def partial_setitem(x):
    v = x * 1.0
    g = functools.partial(operator.setitem, v)
    r = g(0, x[2])
    return np.sum(v * x)


def map_setitem(x):
    v = x * x
    r = list(map(operator.setitem, [v, v], [0, 1], [x[2], x[0]]))
    return np.sum(v * x)


def _pair(a, b):
    return a * b, a + b


def unsettled_loop_with_iadd_value(x):
    v, w = x * x, x + 1.0
    for ii in range(3):
        v, w = ad.checkpoint(_pair)(v, w)
        u = operator.iadd(v, w)
    return np.sum(v * w)


@pytest.mark.parametrize("f", [iadd_value_used, setitem_value_used, list_iadd_value_used, unbound_append_value_used,
                               partial_setitem, map_setitem, unsettled_loop_with_iadd_value])
def test_h27a_001_in_place_call_with_its_value_used_is_refused(f):
    with pytest.raises(ad.ADError, match="changes its argument in place"):
        ad.grad(f)(X.copy())


def test_h27a_001_ufunc_at_with_its_value_used_is_differentiated():
    """(refuse27 writes np.multiply.at as the stores it makes, its value None: differentiated exactly since)"""
    want = numeric_grad(ufunc_at_value_used, (X.copy(),), 0)
    np.testing.assert_allclose(ad.grad(ufunc_at_value_used)(X.copy()), want, rtol=1e-6, atol=1e-8)


# -- h27a-002: a checkpointed (or recursive) function changing its argument in place, called inside a loop, was
# not refused (it is, outside loops): the call's refusal inside the loop's fixed point made the argument's kind
# unknown (alias.Alias.havoc), and the final pass checked the callee with an unknown kind, for which `a *= 2.0`
# is no in-place change. The caller's array changed and the derivative missed it: WRONG grad and hvp --

def _scale_in_place(a):
    a *= 2.0
    return a


def _append_to(L, v):
    L.append(v)
    return v


def checkpointed_scaling_in_a_loop(x):
    v = x * x
    for ii in range(2):
        u = ad.checkpoint(_scale_in_place)(v)
    return np.sum(v * x)


def checkpointed_append_in_a_loop(x):
    L = [x[0]]
    for ii in range(2):
        u = ad.checkpoint(_append_to)(L, x[1])
    return sum(L)


@pytest.mark.parametrize("f", [checkpointed_scaling_in_a_loop, checkpointed_append_in_a_loop])
def test_h27a_002_checkpointed_function_changing_its_argument_in_a_loop_is_refused(f):
    with pytest.raises(ad.ADError, match="changes an argument in place"):
        ad.grad(f)(X.copy())


# -- h27a-003: loop_lengths took `L * <a NumPy result>` for certainly an array or a number (never a list); a NumPy
# integer repeats a list as an int does (`[1.0, 2.0] * np.int64(1)` is a list), so a loop over it growing it in
# its body was not refused: the compiler's loop ran the starting length, a WRONG gradient in every mode --

def list_repeated_by_a_numpy_int(x):
    L = [1.0, 2.0] * (np.argmax(x) - 1)
    t = 0.0
    for v in L:
        t = t + v * x[2]
        if len(L) < 4:
            L.append(v * 2.0)
    return t


def test_h27a_003_list_repeated_by_a_numpy_integer_grown_in_its_loop_is_refused():
    with pytest.raises(ad.ADError, match="length of the list"):
        ad.grad(list_repeated_by_a_numpy_int)(X.copy())


def array_times_numpy_results(x):
    c = np.cos(x) * np.sum(x)
    t = 0.0
    for v in c:
        t = t + v * x[0]
        c *= 0.5
    return t


def test_h27a_003_a_product_of_numpy_results_is_still_an_array():
    check_grad(array_times_numpy_results, (X.copy(),))


# -- h27a-004: a `for` loop over an iterator the compiler makes a list of when the loop starts (desugar_loops.py):
# `reversed(L)`, `zip(*[L, M])`, `zip(L, M, strict=True)`, `enumerate(L, k)` of a variable k, the arguments of
# `enumerate(reversed(L))` and `zip(reversed(L), L)`; Python's reads L at each step. A store into L (or a pop)
# in the body was missed; and loop_lengths read only the outer call of `enumerate(zip(L, M))` / `zip(*[L, M])`,
# so L grown in the body was not refused. WRONG gradients in every mode, refused now --

def reversed_with_a_store(x):
    L = [x[0], x[1], x[2]]
    t = 0.0
    for v in reversed(L):
        t = t + v * t + v
        L[0] = v * 3.0
    return t


def zip_of_reversed_with_a_store(x):
    L = [x[0], x[1], x[2]]
    t = 0.0
    for v, w in zip(reversed(L), L):
        t = t + v * t + v * w
        L[0] = v * 3.0
    return t


def zip_starred_with_a_store(x):
    L = [x[0], x[1], x[2]]
    M = [1.0, 2.0, 3.0]
    t = 0.0
    i = 0
    for a, b in zip(*[L, M]):
        t = t + a * b + t * a
        if i + 1 < 3:
            L[i + 1] = a * 2.0
        i += 1
    return t


def enumerate_from_a_variable_with_a_store(x):
    L = [x[0], x[1], x[2]]
    s0 = len(L) - 3
    t = 0.0
    for i, a in enumerate(L, s0):
        t = t + a + t * a
        if i + 1 < 3:
            L[i + 1] = a * 2.0
    return t


def enumerate_zip_grown(x):
    L = [x[0], x[1]]
    M = [1.0, 2.0, 3.0, 4.0]
    t = 0.0
    for i, (a, b) in enumerate(zip(L, M)):
        t = t + a * b
        if len(L) < 4:
            L.append(a * 2.0)
    return t


@pytest.mark.parametrize("f, match", [
    (reversed_with_a_store, "reversed"), (zip_of_reversed_with_a_store, "reversed"),
    (zip_starred_with_a_store, "zip"), (enumerate_from_a_variable_with_a_store, "enumerate"),
    (enumerate_zip_grown, "length of the list")])
def test_h27a_004_loop_over_an_iterator_made_early_changed_in_its_body_is_refused(f, match):
    with pytest.raises(ad.ADError, match=match):
        ad.grad(f)(X.copy())


def enumerate_zip_with_a_store(x):
    L = [x[0], x[1], x[2]]
    M = [1.0, 2.0, 3.0]
    t = 0.0
    for i, (a, b) in enumerate(zip(L, M)):
        t = t + a * b + t * a
        if i + 1 < 3:
            L[i + 1] = a * 2.0
    for i in reversed(range(len(L))):
        t = t + L[i] * t
    return t


def test_h27a_004_loops_indexing_their_lists_as_they_go_are_differentiated():
    check_grad(enumerate_zip_with_a_store, (X.copy(),))


# -- h27a-005: lead25-005 refuses a loop whose alias state reaches no fixed point only where the function's
# statements show an in-place change (alias.may_change_in_place: stores, `+=`, list methods as statements,
# `out=`); `r = np.copyto(a, b)` (or `r = L.pop()`) is one the pass rewrites into a store all the same. Beside a
# view chain that never settles (`v = v[1:]` each pass), the store was decided from the unsettled state: a WRONG
# gradient and tangent. Refused now where the rewritten function changes anything in place --

def view_chain_beside_an_assigned_copyto(x):
    A = np.outer(x, x)
    v = A.ravel()
    s = 0.0
    for i in range(3):
        v = v[1:]
        r = np.copyto(A[0], A[1] * 0.5)
        s = s + np.sum(v * v)
    return s


def test_h27a_005_unsettled_loop_with_a_store_the_pass_writes_is_refused():
    with pytest.raises(ad.ADError, match="did not reach a fixed point"):
        ad.grad(view_chain_beside_an_assigned_copyto)(X.copy())


def copyto_beside_a_settled_view(x):
    A = np.outer(x, x)
    v = A.ravel()
    s = 0.0
    for i in range(3):
        w = v[1:]
        r = np.copyto(A[0], A[1] * 0.5)
        s = s + np.sum(w * w)
    return s


def test_h27a_005_settled_loop_with_an_assigned_copyto_is_differentiated():
    check_grad(copyto_beside_a_settled_view, (X.copy(),))


# -- h27a-006: the alias pass's join after an `if` (and a loop's exit) kept the names' values but dropped which
# names are `ad.stop_gradient` results (State.detached / mixed); a store into y then refreshed `d =
# ad.stop_gradient(y)` (d is y itself) with a derivative: WRONG gradient and tangent (also inside a loop, where
# same_state did not compare them either) --

def stop_gradient_in_both_branches(x):
    y = x * 1.0
    if x[0] > 0:
        d = ad.stop_gradient(y)
    else:
        d = ad.stop_gradient(y)
    y[0] = y[1] * x[2]
    return np.sum(d * x) + np.sum(y)


def stop_gradient_after_a_loop(x):
    y = x * 1.0
    for i in range(2):
        d = ad.stop_gradient(y)
    y[0] = y[1] * x[2]
    return np.sum(d * x) + np.sum(y)


@pytest.mark.parametrize("f", [stop_gradient_in_both_branches, stop_gradient_after_a_loop])
def test_h27a_006_stop_gradient_result_refreshed_after_a_join_carries_no_derivative(f):
    a, b, c = X
    y = np.array([b * c, b, c])  # f = <stop(y), x> + sum(y), y = (x1 x2, x1, x2) after the store
    expected = y + np.array([0.0, c + 1.0, b + 1.0])
    assert np.allclose(ad.grad(f)(X.copy()), expected)
    assert np.isclose(ad.jvp(f)(X.copy(), np.array([0.3, -0.7, 0.2]))[1], expected @ [0.3, -0.7, 0.2])


def stop_gradient_on_one_path(x):
    y = x * 1.0
    d = y
    if x[0] > 0:
        d = ad.stop_gradient(y)
    y[0] = y[1] * x[2]
    return np.sum(d * x) + np.sum(y)


def stop_gradient_from_the_second_iteration(x):
    y = x * 1.0
    d = y
    s = 0.0
    for i in range(3):
        y[0] = y[1] * x[2]
        s = s + np.sum(d * x)
        if i == 0:
            d = ad.stop_gradient(y)
    return s + np.sum(y)


@pytest.mark.parametrize("f", [stop_gradient_on_one_path, stop_gradient_from_the_second_iteration])
def test_h27a_006_stop_gradient_result_on_some_paths_only_is_refused(f):
    with pytest.raises(ad.ADError):
        ad.grad(f)(X.copy())


# -- h27a-007: loop_lengths missed two ways of growing the list a loop goes over: a bound method of an object
# holding it kept in a name (`push = acc.push; push(v)`), and `+=` on an item of a dict holding it
# (`d["a"] += [v]` with `L = d["a"]`): the compiler's loop ran the starting length, a WRONG gradient --

class _Acc:
    def __init__(self, items):
        self.items = items

    def push(self, v):
        self.items.append(v)


def grown_through_a_stored_bound_method(x):
    L = [x[0], x[1]]
    acc = _Acc(L)
    push = acc.push
    t = 0.0
    for v in L:
        t = t + v * x[2]
        if len(L) < 4:
            push(v * 2.0)
    return t


def grown_through_a_dict_item(x):
    d = {"a": [x[0], x[1]]}
    L = d["a"]
    t = 0.0
    for v in L:
        t = t + v * x[2]
        if len(L) < 4:
            d["a"] += [v * 2.0]
    return t


@pytest.mark.parametrize("f", [grown_through_a_stored_bound_method, grown_through_a_dict_item])
def test_h27a_007_list_grown_through_a_holder_is_refused(f):
    with pytest.raises(ad.ADError, match="length of the list"):
        ad.grad(f)(X.copy())


def items_changed_in_place(x):
    L = [x[0] * 1.0, x[1] * 1.0]
    d = {"s": 0.0, "L": L}
    for v in L:
        d["s"] += v * x[2]
        L[0] += 1.0
    return d["s"]


def test_h27a_007_item_changes_are_not_length_changes():
    check_grad(items_changed_in_place, (X.copy(),))


# -- h27a-008: the same as h27a-002 for a function with a user's rule that changes its argument in place (m25-006
# refuses it outside loops): in a loop the argument's kind was unknown in the final pass and the check passed;
# the change had no derivative: WRONG grad, jvp and hvp --

def _doubled_in_place(x):
    x *= 2.0
    return x


@ad.defvjp(_doubled_in_place)
def _doubled_in_place_rule(x):
    bx = 2.0 * g


def ruled_in_place_in_a_loop(x):
    y = x * 1.0
    s = 0.0
    for i in range(2):
        z = _doubled_in_place(y)
        s = s + np.sum(y * x)
    return s


def test_h27a_008_ruled_function_changing_its_argument_in_a_loop_is_refused():
    with pytest.raises(ad.ADError, match="changes an argument it is given in place"):
        ad.grad(ruled_in_place_in_a_loop)(X.copy())


# -- h27a-009: `operator.add` / `operator.mul` of lists and tuples (called, or through functools.reduce /
# itertools.accumulate) were taken for a new value of unknown items (lead25-006) and differentiated with the sum's
# rule: the reverse mode crashed (`operands could not be broadcast`) or was WRONG (`operator.mul([a, b], 2)`,
# `operator.add((a,), (b,))`), and a store into an item of the result missed the operand it is. They are
# `a + b` / `a * n` now --

def operator_repeat_of_a_list(x):
    c = operator.mul([x[0], x[1]], 2)
    return c[0] * c[3] + c[2]


def operator_concat_of_tuples(x):
    c = operator.add((x[0],), (x[1] * 2.0,))
    return c[0] * c[1]


def reduce_concat_of_lists(x):
    c = functools.reduce(operator.add, [[x[0]], [x[1] * 2.0], [x[2]]])
    return c[0] * c[1] + c[2] ** 2


def store_into_an_item_of_a_concat(x):
    a = x * 1.0
    c = operator.add([a], [x * 2.0])
    c[0][1] = x[2] * 5.0
    return np.sum(a * x)


@pytest.mark.parametrize("f", [operator_repeat_of_a_list, operator_concat_of_tuples, reduce_concat_of_lists,
                               store_into_an_item_of_a_concat])
def test_h27a_009_operator_functions_of_sequences(f):
    check_grad(f, (X.copy(),))


# -- h27a-010: as h27a-001 for the standard library's functions and library objects' methods that change what they
# are given, their value assigned: `r = random.shuffle(L)`, `r = rng.shuffle(a)` (a NumPy Generator),
# `r = heapq.heapify(H)`, `r = bisect.insort(L, v)`: the reordering was missed (WRONG), the insertion crashed --

def shuffled_by_random(x):
    L = [x[0], x[1] * 2.0, x[2] * 3.0]
    random.seed(3)
    r = random.shuffle(L)
    return L[0] * 5.0 + L[1]


def shuffled_by_a_generator(x):
    a = x * np.array([1.0, 2.0, 3.0])
    rng = np.random.default_rng(3)
    r = rng.shuffle(a)
    return a[0] * 5.0 + a[1]


def heapified(x):
    H = [x[2] * 3.0, x[0], x[1] * 2.0]
    r = heapq.heapify(H)
    return H[0] * 5.0 + H[1]


def insorted(x):
    L = [x[0], x[2] * 3.0]
    r = bisect.insort(L, x[1] * 2.0)
    return L[0] * 5.0 + L[1] * 2.0 + L[2]


@pytest.mark.parametrize("f", [shuffled_by_random, shuffled_by_a_generator, heapified, insorted])
def test_h27a_010_library_call_changing_its_argument_with_its_value_used_is_refused(f):
    with pytest.raises(ad.ADError, match="changes its argument in place"):
        ad.grad(f)(X.copy())


# -- h27a-011: a masked array made in the function (a constant: `np.ma.masked_array(np.full(3, 2.0), mask=...)`)
# was given the kind of a plain array by the alias pass (the oracle could not call it on its dummies, and its
# kind was guessed), so `np.sum(x * m)` took the rules of arrays, which differentiate the masked entries too:
# WRONG ([1, 2, 2] for [0, 2, 2]). lead25-002 / h19-005 refuse masked arrays of arguments and globals; those the
# function makes are refused now too --

def masked_constant_made_here(x):
    m = np.ma.masked_array(np.full(3, 2.0), mask=[True, False, False])
    return np.sum(x * m)


def test_h27a_011_masked_array_made_in_the_function_is_refused():
    with pytest.raises(ad.ADError, match="masked array"):
        ad.grad(masked_constant_made_here)(X.copy())


# -- h27a-012: a comprehension or generator expression over a list whose item grows it (through a helper
# `grow(L, v)`) ran its starting length (desugar_loops.comprehension, as a `for` statement does), but only `for`
# statements were checked by loop_lengths: WRONG ([1, 1, 0] for [3, 3, 0]) --

def _grow(L, v):
    if len(L) < 4:
        L.append(v * 2.0)
    return 1.0


def comprehension_growing_its_list(x):
    L = [x[0], x[1]]
    r = [v * _grow(L, v) for v in L]
    return sum(r)


def generator_growing_its_list(x):
    L = [x[0], x[1]]
    return sum(v * _grow(L, v) for v in L) * x[2]


@pytest.mark.parametrize("f", [comprehension_growing_its_list, generator_growing_its_list])
def test_h27a_012_comprehension_growing_the_list_it_goes_over_is_refused(f):
    with pytest.raises(ad.ADError, match="length of the list"):
        ad.grad(f)(X.copy())


# -- h27a-013: h27a-004 for comprehensions: `[set0(L, v) * v for v in reversed(L)]`, over `zip(*[L, M])`, over
# `map(float, L)`, with the item changing L: the iterator's items were computed when the comprehension started
# (Python's read L as they go): WRONG; refused now --

def _set_first(L, v):
    L[0] = v * 3.0
    return v


def comprehension_over_reversed_changing_it(x):
    L = [x[0], x[1], x[2]]
    r = [_set_first(L, v) * v for v in reversed(L)]
    return sum(r)


def test_h27a_013_comprehension_over_an_early_iterator_changed_by_its_item_is_refused():
    with pytest.raises(ad.ADError, match="reversed"):
        ad.grad(comprehension_over_reversed_changing_it)(X.copy())


# -- h27a-014: `for k in d:` adding a key to d: Python raises RuntimeError (dictionary changed size during
# iteration); the compiler went over the keys d had when the loop started and gave a value and a gradient. A
# store into the loop's own key (`d[k] = d[k] * 2.0`) stays differentiated --

def dict_grown_in_its_loop(x):
    d = {"a": x[0], "b": x[1]}
    t = 0.0
    for k in d:
        t = t + d[k] * x[2]
        if len(d) < 3:
            d["c"] = x[0] * 2.0
    return t


def dict_scaled_in_its_loop(x):
    d = {"a": x[0], "b": x[1]}
    for k in d:
        d[k] = d[k] * 2.0
    return d["a"] * d["b"] + x[2]


def test_h27a_014_dict_grown_in_a_loop_over_it_is_refused():
    with pytest.raises(ad.ADError, match="add a key to the dict"):
        ad.grad(dict_grown_in_its_loop)(X.copy())
    check_grad(dict_scaled_in_its_loop, (X.copy(),))


# -- h27a-015: a list, dict or object holding `ad.stop_gradient(y)` (y itself) was refreshed after a store into y
# with y's value and derivative (`L[0] = y`; only a name bound to the result was refreshed without one): WRONG
# gradient ([-1.5, 3.9, 2.6] for [-1.5, 3.5, 1.8]). Refused now; a view of the result kept in a list stays right --

def stop_gradient_result_in_a_list(x):
    y = x * 1.0
    L = [ad.stop_gradient(y)]
    y[0] = x[1] * 3.0
    return np.sum(L[0] * x) + np.sum(y)


def test_h27a_015_stop_gradient_result_held_by_a_container_refreshed_is_refused():
    with pytest.raises(ad.ADError, match="stop_gradient"):
        ad.grad(stop_gradient_result_in_a_list)(X.copy())
