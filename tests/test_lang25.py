"""lang25: ordinary Python the compiler refused, made exact (loop `else`, list methods that move items, `del`,
slice assignment, starred unpacking), with aliases (two names of one list, lists in lists, in objects and
dicts, helpers changing their argument, loops, early exits); and a `for` loop changing the length of the list
it goes over, which gave a WRONG gradient, refused. Every expected value comes from central differences.
/work/lang25/findings.md has the entries; /work/lang25/progs_*.py the wider set, run in every mode."""
import itertools
import math
import operator
import os

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad
from modes_check import check_modes

X = np.array([0.31, -1.23, 0.87, 2.05, -0.44, 1.12])
W = np.array([0.3, -0.8, 1.1, 0.5, -0.2, 0.7])


# -- loop `else`: a flag set by the loop's own `break`s, then `if flag: pass else: ...` ------------------------

def for_else(x):
    s = 0.0
    for v in x:
        if v > 2.0:
            return s * x[1]
        s = s + v ** 2
    else:
        s = s + 10.0 * x[0]
    return s * 3.0


def nested_for_else(x):
    s = 0.0
    for k in range(3):
        for v in x:
            if v > 0.4 + k:
                break
            s = s + v * x[k]
        else:
            s = s + x[0] ** 3
            continue
        s = s * x[2]
    else:
        return s - x[1]
    return s


def while_else(x):
    s = x[0]
    i = 0
    while i < 5:
        if s > 100.0:
            break
        s = s * x[i] + 1.0
        i += 1
    else:
        return s + x[5]
    return s * 2.0


@pytest.mark.parametrize("f", [for_else, nested_for_else, while_else])
@pytest.mark.parametrize("scale", [1.0, -0.3])
def test_loop_else(f, scale):
    check_grad(f, (X * scale,))


def test_loop_else_modes():
    check_modes(while_else, (X.copy(),), modes=("jvp", "hvp"))


@pytest.mark.skipif(not os.environ.get("AD_JIT_EXHAUSTIVE"), reason="set AD_JIT_EXHAUSTIVE=1 (Numba compile time)")
def test_loop_else_jit():  # (the lists' constructs: a located jit refusal, test_list_method_jit_refusal_is_located)
    check_grad(for_else, (X.copy(),), jit=True)
    check_grad(while_else, (X.copy(),), jit=True)


# -- list methods that move items: the list rebuilt, put back into the same object ---------------------------

def reverse_through_an_alias(x):
    L = list(x)
    M = L
    M.reverse()
    return L[0] * x[1] + M[2] ** 2 + L[5] * L[4]


def sort_in_a_dict_by_key(x):
    d = {"a": list(x * 2.0)}
    L = d["a"]
    L.sort(key=abs, reverse=True)
    return d["a"][0] * d["a"][1] - L[-1] * x[3]


def tolist_sorted(x):
    z = x.tolist()
    z.sort(reverse=True)
    return z[0] * z[-1] + z[1]


def remove_the_first_equal(x):
    L = [x[0], x[1], x[0], x[2]]
    L.remove(x[0])
    return L[0] * 2.0 + L[1] * x[3] + L[2] ** 2


def helper_sort_del(L):
    L.sort()
    del L[0]


def changed_by_a_helper(x):
    L = list(x)
    helper_sort_del(L)
    return L[0] * L[-1] + len(L) * x[0]


def lists_in_a_list_reversed(x):
    L = [[x[0], x[1]], [x[2]]]
    L.reverse()
    L[0].append(x[3])
    return sum(L[0]) * L[1][0] + L[1][1]


def del_pop_insert_anywhere(x):
    L = list(x)
    del L[int(np.argmax(x))]
    v = L.pop(1)
    L.insert(-2, v * x[0])
    L.insert(100, x[2])
    return L[0] * L[-3] + L[-1] * L[1] + L[4]


def rotated_in_a_loop(x):
    L = list(x)
    for k in range(3):
        L.insert(0, L.pop())
        L[1] = L[1] * x[k]
    return L[0] * L[1] + L[2]


def slices_assigned_and_deleted(x):
    L = list(x)
    L[2:] = L[:2]
    L[:0] = [x[5] * x[4]]
    M = [x[0], x[1], x[2], x[3], x[4], x[5]]
    del M[::2]
    M[1:-1] = [x[5] * x[0], x[3]]
    return L[0] * L[1] + L[-1] * len(L) + M[0] * M[1] * M[-1]


class Box:
    def __init__(self, items):
        self.items = items


def in_an_object_with_an_early_return(x):
    L = list(x)
    b = Box(L)
    for k in range(3):
        if L[0] > 1.0:
            return L[0] * x[k]
        b.items.sort(reverse=True)
    del b.items[:2]
    return L[0] * L[-1] + b.items[1]


LISTS = [reverse_through_an_alias, sort_in_a_dict_by_key, tolist_sorted, remove_the_first_equal,
         changed_by_a_helper, lists_in_a_list_reversed, del_pop_insert_anywhere, rotated_in_a_loop,
         slices_assigned_and_deleted, in_an_object_with_an_early_return]


@pytest.mark.parametrize("f", LISTS)
def test_list_methods_exact(f):
    check_grad(f, (X.copy(),))
    check_grad(f, (-0.5 * X[::-1],))


@pytest.mark.parametrize("f, modes", [(rotated_in_a_loop, ("jvp", "hvp")), (remove_the_first_equal, ("hessian",)),
                                      (del_pop_insert_anywhere, ("jvp", "hvp"))])
def test_list_methods_every_mode(f, modes):
    check_modes(f, (X.copy(),), modes=modes)


def test_list_method_grad_of_grad():
    g = ad.grad(rotated_in_a_loop)
    got = ad.grad(lambda y: np.sum(g(y) * W))(X.copy())
    want = numeric_grad(lambda y: float(np.sum(g(y) * W)), [X.copy()], 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_list_method_jit_refusal_is_located():
    with pytest.raises(ad.ADError, match="jit=True"):
        ad.grad(reverse_through_an_alias, jit=True)(X.copy())


# -- starred unpacking: an index and a slice --------------------------------------------------------------

def starred(x):
    a, *mid, b = x
    *head, last = [x[0], x[1] * 2.0, x[2]]
    head.append(last * 3.0)
    return a * b + mid[0] * len(mid) + mid[-1] ** 2 + head[0] * head[-1]


def starred_loop_target(x):
    s = 0.0
    for a, *rest in [(x[0], x[1], x[2]), (x[3], x[4], x[5])]:
        s = s + a * rest[1] - rest[0] ** 2
    return s


@pytest.mark.parametrize("f", [starred, starred_loop_target])
def test_starred_unpacking(f):
    check_modes(f, (X.copy(),), modes=("grad", "jvp", "hvp"))


def test_starred_too_few_items_raise():
    with pytest.raises(ValueError, match="not enough values to unpack"):  # (Python's error: stop 27)
        ad.grad(starred)(X[:1].copy())


# -- refused: what cannot be proven exact -------------------------------------------------------------------

def append_to_the_list_looped_over(x):  # Python's loop visits the items appended: a WRONG gradient before
    L = list(x[:3])
    s = 0.0
    for v in L:
        s = s + v * v
        if len(L) < 5:
            L.append(v * 2.0)
    return s


def grow(L, v):
    L.append(v)


def a_helper_grows_the_list_looped_over(x):
    L = list(x[:3])
    s = 0.0
    for v in L:
        s = s + v
        if len(L) < 5:
            grow(L, v * 2.0)
    return s


def deleted_while_a_generator_reads(x):
    L = list(x)
    g = (v * w for v, w in zip(L, range(6)))
    del L[0]
    return sum(g)


def mixed_sign_slice_of_unknown_length(x):
    L = list(x)
    L[1:-1] = [x[5] * x[0]]
    return L[0] * L[1] + L[2]


@pytest.mark.parametrize("f, message", [
    (append_to_the_list_looped_over, "may change the length of the list the loop"),
    (a_helper_grows_the_list_looped_over, "may change the length of the list the loop"),
    (deleted_while_a_generator_reads, "may change what a generator expression"),
    (mixed_sign_slice_of_unknown_length, "assigning to a slice of a list"),
])
def test_refused_where_not_exact(f, message):
    with pytest.raises(ad.ADError, match=message):
        ad.grad(f)(X.copy())


def reverse_in_loop(x):
    L = list(x)
    s = 0.0
    for v in L:
        s = s + v * L[0]
        L.reverse()
    return s


def test_reordering_the_list_looped_over_stays_exact():
    check_grad(reverse_in_loop, (X.copy(),))


# -- builtins and library functions written as the loops they compute ------------------------------------------

def products_and_norms(x):
    return math.prod(x[:3]) + math.prod([x[3], x[4]], start=x[5]) + math.hypot(*x) ** 2 + \
        math.dist(x[:2], x[3:5]) * x[0] + math.hypot(x[0], x[1], x[2])  # (** 2: hvp reads h's tangent)


def accumulated(x):
    acc = list(itertools.accumulate(x, operator.mul))
    run = list(itertools.accumulate(x, initial=x[0] * 2.0))
    return acc[-1] + acc[2] + run[-1] * run[1] + sum(itertools.accumulate(x, lambda a, b: a * 0.5 + b ** 2))


def starmapped(x):
    pairs = [(x[0], x[1]), (x[2], x[3])]
    return sum(itertools.starmap(operator.mul, zip(x, x[::-1]))) + \
        sum(itertools.starmap(lambda a, b: a * b + a, pairs))


def stepped_iterator(x):
    it = iter(list(x))
    s = 0.0
    for k in range(3):
        s = s + next(it) * x[k]
    for v in it:
        s = s + v * v
    d = iter({"a": x[0], "b": x[1]})
    s = s * x[{"a": 0, "b": 1}[next(d)]]
    rest = iter([v for v in x if v > -0.5])  # (`next(it, d)`: an `if` on what is left)
    v = next(rest, None)
    while v is not None:
        s = s + v * v
        v = next(rest, None)
    return s


def extreme_by_key(x):
    return max(x[0], x[1], key=lambda v: -v) + min(list(x), key=lambda v: (v - 0.1) ** 2) + \
        max(x, key=abs) * x[2] + max([v for v in x if v > 5.0], key=abs, default=x[0] * 2.0)


@pytest.mark.parametrize("f", [products_and_norms, accumulated, starmapped, stepped_iterator, extreme_by_key])
def test_builtins_exact(f):
    check_modes(f, (X.copy(),), modes=("grad", "jvp", "hvp"))


def test_hypot_value_is_pythons():
    for scale in (1e-200, 1.0, 1e200):
        x = X * scale
        value, grad = ad.value_and_grad(products_and_norms_hypot)(x.copy())
        assert value == math.hypot(*x)
        np.testing.assert_allclose(grad, x / math.hypot(*x), rtol=1e-13)


def products_and_norms_hypot(x):
    return math.hypot(*x)


def pairs_of_one_iterator(x):  # (zip(it, it) pairs consecutive items: two uses of the iterator)
    it = iter(x)
    return sum(a * b for a, b in zip(it, it))


def accumulate_then_change(x):
    L = list(x)
    acc = itertools.accumulate(L)
    L[0] = x[1] * 5.0
    return sum(acc)


@pytest.mark.parametrize("f, message", [
    (pairs_of_one_iterator, "no derivative is known for `iter`"),
    (accumulate_then_change, "may change what `accumulate"),
])
def test_iterators_refused_where_not_exact(f, message):
    with pytest.raises(ad.ADError, match=message):
        ad.grad(f)(X.copy())


# -- a change between two `next` of an iterator read in part: its last use was taken to be its first (the
# checker's statements come in no order): a WRONG gradient for `map`, now refused like any such change --------

def map_stepped_around_a_change(x):
    L = list(x)
    m = map(lambda v: v * 2.0, L)
    a = next(m)
    L[1] = x[3] * 7.0
    return a * next(m)


def iterator_stepped_around_a_reverse(x):
    L = list(x)
    it = iter(L)
    a = next(it)
    L.reverse()
    return a * next(it)


@pytest.mark.parametrize("f", [map_stepped_around_a_change, iterator_stepped_around_a_reverse])
def test_change_between_two_steps_refused(f):
    with pytest.raises(ad.ADError, match="may change what"):
        ad.grad(f)(X.copy())


# -- `[a] * n`: the same object in each slot (a store through one slot is seen through the others) -------------

def repeated_inner_list(x):
    y = [[x[0]] * 2] * 2
    y[0][1] = x[1]
    inner = [x[2], x[3]]
    L = [inner] * 3
    del L[1]
    L[0].append(x[4])
    return y[1][1] * y[0][0] + L[1][2] * x[5] + len(L) * inner[2]


def test_repeated_items_are_one_object():
    check_modes(repeated_inner_list, (X.copy(),), modes=("grad", "hvp"))


# -- a name bound on one path of an `if`, then rebound by a loop that reads it: the loop started from None (the
# branch's binding dropped: a crash in every mode); now from the branch's value ---------------------------------

def bound_in_one_branch_then_carried(x):
    n = len(x)
    if n == 0:
        pass
    else:
        bk = x[0] * 2.0
    s = 0.0
    for k in range(1, n):
        if x[k] > bk:
            bk = x[k]
        s = s + bk * x[0]
    return s


def test_bound_in_one_branch_then_carried():
    check_modes(bound_in_one_branch_then_carried, (X.copy(),), modes=("grad", "jvp"))
