"""Facts about values carried along the generated code that must hold on every path (helper "reuse": buffers
the adjoint sweep writes into, what the tape saves, across branches, loop heads, `break`s). Each expected value
is from central differences of the program (tests/fd.py). Findings: /work/reuse/findings.md (rw-NNN)."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import desugar_statements
from fd import check_grad, numeric_grad


# -- rw-001: statements after `if c: break else: ...` in a loop body ---------------------------------------------
# The desugarer puts what follows an `if` that may `break` into the branches that go on; a pass that leaves a
# statement after it (inline_choice.at_end works around it) made the adjoint of the `break`'s iteration undo that
# statement too: the value carried out by the `break` got a zero adjoint (`if t1: bh_1 = 0.0`), and the tape popped
# what the iteration did not push. The shape is made here by desugaring such ifs without moving what follows.

def while_then_count(x):
    h = x * 1.0
    k = 0
    while True:
        if np.sum(h) > 2.0 or k >= 3:
            break
        else:
            h = np.sin(h) + x
        k += 1
    return np.sum(h * h)


def for_then_index(x):
    h = x * 1.0
    for i in range(4):
        if np.sum(h) > 2.0:
            break
        else:
            h = np.sin(h) + x
        c = i + 1
    return np.sum(h * h) + c


def number_then_index(x):
    h = x * 1.0
    for i in range(4):
        if h > 2.0:
            break
        else:
            h = np.sin(h) + x
        c = i + 1
    return h * h + c


@pytest.fixture
def statements_after_break(monkeypatch):
    exits = desugar_statements.exits
    monkeypatch.setattr(desugar_statements, "exits", lambda s: exits(s) and not s.orelse)


@pytest.mark.parametrize("f, x", [(while_then_count, np.array([0.3, 0.5, 0.4])),
                                  (for_then_index, np.array([0.3, 0.5, 0.4])), (number_then_index, 1.2)],
                         ids=["while", "for", "number"])
def test_rw_001_statement_after_a_break_test(statements_after_break, f, x):
    check_grad(f, (x,))


# -- rw-002: forward mode, a view of a tangent buffer kept "ours" after the buffer is shared ------------------
# `w = c[0:2]` gives `dw = dc[0:2]`, ours when dc is; `q = c + 0.0` then gives `dq = dc` (no longer ours alone),
# but dw stayed ours: the store `w[0] = v` wrote `dw[0]` in place, into dq. Likewise a store into c after
# `z = w + 0.0` (`dz = dw`). Silently wrong jvp, hvp and Hessians of straight-line code.

def view_then_shared(x):
    c = np.sin(x)
    w = c[0:2]
    q = c + 0.0
    w[0] = 5.0 * x[3]
    return np.sum(q * q) + np.sum(c * x)


def view_shared_then_base_stored(x):
    c = np.sin(x)
    w = c[0:2]
    z = w + 0.0
    c[0] = 5.0 * x[3]
    return np.sum(z * z) + np.sum(c * x)


def view_of_a_view(x):
    c = np.sin(x)
    w = c[0:3]
    v = w[1:3]
    z = c - 1.0
    v[0] = 5.0 * x[3]
    return np.sum(z * z) + np.sum(c * x)


def view_in_a_loop(x):
    c = x * 1.0
    for i in range(2):
        w = c[0:2]
        q = c + 1.0
        w[i] = 5.0 * x[3] * w[1]
        c = q * c
    return np.sum(c)


def alias_then_shared(x):  # (`dt = dc` of `t = c`: one buffer under two names, the store through the other)
    c = np.sin(x)
    t = c
    q = t + 0.0
    c[0] = 5.0 * x[3]
    return np.sum(q * q) + np.sum(c * x)


def alias_in_a_loop(x):
    c = np.sin(x)
    for i in range(3):
        t = c
        q = t - 1.0
        c[i] = 5.0 * x[3] * c[i + 1]
        c = c * q
    return np.sum(c)


def item_of_a_list_then_shared(x):  # (`dlst = [dc, dt]`: the list's tangent holds dc's buffer)
    c = np.sin(x)
    lst = [c, x * 2.0]
    q = lst[0] + 0.0
    c[2] = x[1] * 3.0
    return np.sum(q * q) + np.sum(lst[0] * x)


def item_of_a_tuple_then_shared(x):
    c = np.sin(x)
    t = (c, x)
    q = t[0] + 0.0
    c[0] = x[3] * 2.0
    return np.sum(q * q) + np.sum(t[0] * x)


def appended_then_shared(x):  # (`dlst.append(dc)`: the list's tangent holds dc's buffer)
    c = np.sin(x)
    lst = []
    lst.append(c)
    q = lst[0] + 0.0
    c[2] = x[1] * 3.0
    return np.sum(q * q) + np.sum(lst[0] * x)


def stored_in_a_dict_then_shared(x):
    c = np.sin(x)
    d = {}
    d["k"] = c
    q = d["k"] + 0.0
    c[2] = x[1] * 3.0
    return np.sum(q * q) + np.sum(d["k"] * x)


def extended_then_shared(x):
    c = np.sin(x)
    lst = [x * 1.0]
    lst.extend([c])
    q = lst[1] - 1.0
    c[1] = x[1] * 3.0
    return np.sum(q * q) + np.sum(lst[1] * x)


def appended_copied_then_shared(x):  # (the list copied before a store into it: `owned_copy` of dlst, same items)
    c = np.sin(x)
    lst = [c]
    lst.append(x * 2.0)
    lst2 = lst
    lst2.append(x)
    q = lst[0] + 0.0
    c[2] = x[1] * 3.0
    return np.sum(q * q) + np.sum(lst[0] * x)


@pytest.mark.parametrize("f", [appended_then_shared, stored_in_a_dict_then_shared, extended_then_shared,
                               appended_copied_then_shared, view_then_shared, view_shared_then_base_stored, view_of_a_view, view_in_a_loop,
                               alias_then_shared, alias_in_a_loop, item_of_a_list_then_shared,
                               item_of_a_tuple_then_shared],
                         ids=lambda f: f.__name__)
def test_rw_002_tangent_of_a_view_after_its_buffer_is_shared(f):
    x = np.array([0.31, -0.27, 0.53, 0.44])
    v = np.array([1.0, -0.5, 0.25, 2.0])
    expected = numeric_grad(f, [x.copy()], 0) @ v
    value, tangent = ad.jvp(f)(x.copy(), v)
    np.testing.assert_allclose(value, f(x.copy()), rtol=1e-12)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-6)


# -- rw-003: a name that may be the list a loop changes by a method (`other = lst`, then `other = list(lst)` in
# one iteration): the alias pass refreshes it after the method (`if other is lst: other = lst`), and the join of
# that `if`'s adjoint gave its earlier version `_ad.zeros_like(other_3)` where the list still held what the
# method added (or lacked what it popped): `ValueError: zip() argument 2 is longer than argument 1` in
# `_ad.add(blst_1, bother_1)` after the loop. The zeros are now made after the method's adjoint puts the list back.

def list_maybe_copied_in_a_loop(x):
    lst = [x * 1.0]
    other = lst
    for i in range(2):
        if i == 1:
            other = list(lst)
        lst.append(np.sin(lst[-1]))
    return np.sum(lst[-1] * other[-1])


def list_maybe_copied_then_popped(x):
    lst = [x * 1.0, x * 2.0, np.sin(x), x * 4.0]
    other = lst
    s = 0.0
    for i in range(2):
        s = s + np.sum(other[-1] * x)
        if i == 1:
            other = list(lst)
        v = lst.pop()
        s = s + np.sum(v * v)
    return s + np.sum(other[-1] * other[0])


def list_maybe_copied_then_extended(x):
    lst = [x * 1.0]
    other = lst
    s = 0.0
    for i in range(2):
        s = s + np.sum(other[-1] * x)
        if i == 1:
            other = list(lst)
        lst.extend([np.sin(lst[-1]), x * 2.0])
    return s + np.sum(lst[-1] * other[-1])


@pytest.mark.parametrize("f", [list_maybe_copied_in_a_loop, list_maybe_copied_then_popped,
                               list_maybe_copied_then_extended], ids=lambda f: f.__name__)
def test_rw_003_list_maybe_copied_in_a_loop(f):
    check_grad(f, (np.array([0.31, -0.27, 0.53, 0.44]),))


# -- rw-004: jit=True, `_ad.add_at(blst, k, g)` into a list of arrays lowered to `blst[k] += g` ------------------
# Numba adds in place into the item, which may be another adjoint under a second name: `blst =
# getitem_vjp(bt, lst, 0)` holds bt itself, and bt = bz = bu (`z = t + u`), so the second read `s = lst[0]` added
# bs into bu too. The plain helper puts a new item (`b[k] = add(b[k], g)`); now so does the jit one.

def list_item_read_twice(x):
    lst = [np.sin(x), np.cos(x)]
    u = x * 2.0
    s = lst[0]
    t = lst[0]
    z = t + u
    return np.sum(z * z) + np.sum(s * 3.0)


def test_rw_004_jit_add_into_an_item_of_a_list_of_arrays():
    check_grad(list_item_read_twice, (np.array([0.31, -0.27, 0.53, 0.44]),), jit=True)


# -- rw2-001: jit=True, the copy that `a.tolist()` makes left out although `a` is written after it -----------------
# jit_reuse.uncopy reads `lst = a.copy()` as `lst = a` where lst is read only by items and every array written is
# one the function made: `a` is one, so `a[1] = 5.0` after the copy was seen through lst (6.0 for 3.0).
# Findings: /work/reuse2/findings.md (rw2-NNN).

def tolist_then_stored(x):
    a = np.zeros(3)
    a[1] = 2.0
    lst = a.tolist()
    a[1] = 5.0
    c = lst[1]
    if a[1] > 3.0:
        c = c + 1.0
    return x * c


def test_rw2_001_jit_tolist_of_an_array_written_afterwards():
    check_grad(tolist_then_stored, (0.7,), jit=True)


# -- rw2-003: hoist.py moved a loop-invariant operation that can raise (`math.sqrt(neg)`) before the loop although
# the loop may leave before it by a `raise` (not counted as leaving, only `break` was), or, in a `try` body, by any
# statement that raises what a handler catches: the derivative raised ValueError where f returns a value.

def raise_before_an_invariant(x):
    c = x * 1.0
    neg = -1.0
    out = c * 3.0
    try:
        s = c * 2.0
        for i in range(3):
            if s > 0.5:
                raise KeyError("big")
            r = math.sqrt(neg)
            s = s * r
        out = s
    except KeyError:
        out = c * c
    return out * c


def index_error_before_an_invariant(x):
    c = x * 1.0
    lst = [1.0, 2.0]
    neg = -1.0
    out = c * 3.0
    try:
        s = c * 2.0
        for i in range(3):
            k = lst[i + 5]
            r = math.sqrt(neg)
            s = s * r * k
        out = s
    except IndexError:
        out = c * c
    return out * c


@pytest.mark.parametrize("f", [raise_before_an_invariant, index_error_before_an_invariant], ids=lambda f: f.__name__)
def test_rw2_003_invariant_that_can_raise_kept_after_what_may_leave_the_loop(f):
    check_grad(f, (0.7,))
    expected = numeric_grad(f, [0.7], 0) * 0.5
    np.testing.assert_allclose(ad.jvp(f)(0.7, 0.5)[1], expected, rtol=1e-6)
