"""Found by mends2 (small trust items after objects3): each program gives the derivatives central differences
give, or a located refusal. /work/mends2/findings.md has the entries (m2-NNN)."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.35, -0.7, 0.61])


# -- m2-001: a method changing its list taken as a value (`f = L.append; f(v)`, `map(L.append, xs)`): its calls
# went unseen, the derivative missed the items appended (a WRONG gradient, no error); now refused at the line --

def append_through_a_name(x):
    L = []
    f = L.append
    f(x[0] ** 2)
    return np.sum(x) + sum(L, 0.0)


def append_through_map(x):
    L = []
    for _ in map(L.append, [x[0], x[1]]):
        pass
    return np.sum(x) + sum(L, 0.0)


@pytest.mark.parametrize("f", [append_through_a_name, append_through_map])
def test_m2_001_changing_method_taken_as_a_value_is_refused(f):
    with pytest.raises(ad.ADError, match=r"method `\.append` taken as a value"):
        ad.grad(f)(X.copy())


# -- m2-002: the most frequent refusal of random programs with objects, a class attribute's list changed
# (`seen = []` in the class body, `self.seen.append(v)`): right to refuse (one list for every instance, kept from
# call to call), now said so, with what to do ------------------------------------------------------------------

class Node:
    seen = []

    def __init__(self, w):
        self.w = w

    def __call__(self, v):
        out = np.tanh(self.w * v)
        self.seen.append(out)
        return out


def class_list_through_self(x):
    return np.sum(Node(2.0)(x))


def class_list_through_the_class(x):
    Node.seen.append(x)
    return np.sum(x ** 2)


@pytest.mark.parametrize("f", [class_list_through_self, class_list_through_the_class])
def test_m2_002_class_attribute_list_changed_is_refused_saying_why(f):
    with pytest.raises(ad.ADError, match=r"`Node\.seen`\)?, a class attribute .* shared by every instance, "
                                         r"module-level state(.|\n)*make it in `__init__` \(`self\.seen = \[\]`"):
        ad.grad(f)(X.copy())
    assert Node.seen == []


# -- m2-003: a generator expression or map whose items change a value of the function, read in part or not at
# all (`g = (L.append(v) for v in xs)`; `m = map(add, xs); a = next(m)`, add a closure appending): the compiler
# computed every item where it is made, making every change (a WRONG value and gradient); now refused ---------

def generator_expression_appending_never_read(x):
    L = []
    g = (L.append(v) for v in [x[0], x[1]])
    return np.sum(x ** 2) + sum(L, 0.0)


def map_of_an_appending_closure_read_once(x):
    L = []

    def add(v):
        L.append(v)
        return v
    m = map(add, [x[0], x[1]])
    a = next(m)
    return np.sum(x ** 2) + sum(L, 0.0) + a


def map_of_an_appending_closure_never_read(x):
    L = []

    def add(v):
        L.append(v)
        return v
    m = map(add, [x[0], x[1]])
    return np.sum(x ** 2) + sum(L, 0.0)


@pytest.mark.parametrize("f", [generator_expression_appending_never_read, map_of_an_appending_closure_read_once])
def test_m2_003_lazy_items_changing_state_read_in_part_are_refused(f):
    with pytest.raises(ad.ADError, match="whose items change a value of the function"):
        ad.grad(f)(X.copy())


def test_m2_003_map_never_read_of_an_appending_closure_calls_nothing():
    np.testing.assert_allclose(ad.grad(map_of_an_appending_closure_never_read)(X.copy()), 2 * X)


# -- m2-004 (brief's item 3, left refused): `L.insert(0, v)` in a loop (the list's length not known there) stays
# refused; its hint now gives the form that is exact in every mode, `L = [v] + L` -----------------------------

def insert_at_the_front_in_a_loop(x):
    L = []
    for i in range(3):
        L.insert(0, x[i] * x[0])
    return L[0] * 2.0 + L[2] * L[1]


def front_made_new_in_a_loop(x):
    L = []
    for i in range(3):
        L = [x[i] * x[0]] + L
    return L[0] * 2.0 + L[2] * L[1]


def test_m2_004_insert_at_the_front_in_a_loop_hints_the_exact_form():
    # (lang25: `L.insert(0, v)` of a list of a length not known is now written as the list rebuilt,
    # `L[:0] + [v] + L[0:]`, exact in every mode: both forms checked against differences)
    assert front_made_new_in_a_loop(X.copy()) == insert_at_the_front_in_a_loop(X.copy())
    v = np.array([0.2, -0.4, 0.9])
    for f in (front_made_new_in_a_loop, insert_at_the_front_in_a_loop):
        g = ad.grad(f)(X.copy())
        np.testing.assert_allclose(g, numeric_grad(f, [X.copy()], 0), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(ad.jvp(f)(X.copy(), v)[1], g @ v, rtol=1e-6, atol=1e-7)
        hn = numeric_grad(lambda y: ad.grad(f)(y) @ v, [X.copy()], 0)
        np.testing.assert_allclose(ad.hvp(f)(X.copy(), v), hn, rtol=1e-4, atol=1e-5)
