"""Refusals users met in the random programs (tests/explore.py), lifted: each construct checked in every mode
(ad.grad, ad.jvp, ad.hvp, ad.hessian, grad of grad) against central differences of the function itself.

/work/refusals/groups.md (the helper's notes) lists the refusal groups and which were lifted.
"""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes, random_like
from test_modes import _copy, assert_close, fd_hvp


def check_all(f, x):
    """f of one argument x, in every mode."""
    check_modes(f, (x,))
    # grad of grad: the gradient of <grad f, v> is H v
    v = random_like(x, 7)
    grad_f = ad.grad(f)

    def directional(x):
        return np.sum(grad_f(x) * v)

    got = ad.grad(directional)(_copy(x))
    assert_close(got, fd_hvp(f, [_copy(x)], 0, v), 1e-4, 1e-4, what="grad of grad")


X = np.array([0.7, -1.3, 0.4, 1.1])


# -- 1. starred items in a list or tuple literal: `[*xs, y]` as `list(xs) + [y]` -------------------------------
def star_list(x):
    xs = [x, np.sin(x)]
    return np.sum(np.stack([*xs, x * 2.0]) ** 2)


def star_tuple(x):
    t = (*x[:2], x[2] * 3.0, *[np.cos(x[3])])
    return sum(v ** 3 for v in t)


def star_nested(x):
    a = [*[np.sin(x[1:3]), x[:2]], x * 2.0, *(x[0], x[1])]
    return np.sum(a[0] * a[1]) + np.sum(a[2] ** 2) * a[3] + a[4] * a[0][0]


def star_shape(x):
    shape = (*x.shape, 1)
    return np.sum(np.tanh(x.reshape(shape) * x[None, :]))


def star_changed_after(x):
    xs = [x * 1.0, x ** 2]
    ys = [*xs]  # a new list: appending to xs later does not change ys
    xs.append(x * 5.0)
    ys[0] = ys[0] * 3.0  # (a store into the new list: xs[0] is not changed)
    return np.sum(ys[0] * xs[0]) + np.sum(ys[-1]) + np.sum(xs[-1])


@pytest.mark.parametrize("f", [star_list, star_tuple, star_nested, star_shape, star_changed_after])
def test_starred_literal(f):
    check_all(f, X.copy())


# -- 2. dict.update / dict.setdefault of known keys, as stores ---------------------------------------------------
def update_literal(x):
    d = {"a": x, "b": x * 2.0}
    d["c"] = np.sin(x)
    d.update({"a": x ** 2})  # (the order of d's keys is kept: a, b, c)
    return sum(np.sum(v * (i + 1.0)) for i, v in enumerate(d.values()))


def update_keywords(x):
    e = {"p": np.tanh(x), "q": x[0]}
    d = {"a": x}
    d.update(e, q=x[1] ** 2)  # (e's items, then the keywords')
    e["p"] = e["p"] * 2.0  # (a new value in e: d keeps the old one)
    return sum(np.sum(v ** 2) for v in d.values()) + np.sum(e["p"]) * len(d)


def update_seen_by_alias(x):
    d = {"a": x * 1.0}
    e = d
    d.update(a=x[::-1] * 1.0)
    d["a"][0] = 7.0  # (changes the array the update stored, which e sees)
    return np.sum(e["a"] * x) + np.sum(np.cos(e["a"]))


class Holder:
    def __init__(self):
        self.d = {}


def update_attribute(x):
    h = Holder()
    h.d.update(w=x * 2.0)
    h.d.update(h.d)  # (itself: nothing changes)
    h.d.update(v=np.sin(h.d["w"]))
    return np.sum(h.d["w"] * h.d["v"])


def setdefault_present_or_not(x):
    d = {"a": x}
    v = d.setdefault("b", x * 3.0)
    w = d.setdefault("a", x * 5.0)  # (present: d["a"] stays x)
    d.setdefault("c", np.exp(x))
    v[0] = v[1] * 2.0  # (v is d["b"] itself)
    return np.sum(d["a"] * d["b"]) + np.sum(v * w) + np.sum(d["c"] ** 2) * len(d)


@pytest.mark.parametrize("f", [update_literal, update_keywords, update_seen_by_alias, update_attribute,
                               setdefault_present_or_not])
def test_dict_update_setdefault(f):
    check_all(f, X.copy())


def update_in_loop(x):
    d = {"a": x}
    for i in range(2):
        d.update(b=x[i])  # (d has one key more after the first iteration: its keys are not known)
    return np.sum(d["a"]) * d["b"]


def test_dict_update_refused_where_not_exact():
    with pytest.raises(ad.ADError, match="update"):
        ad.grad(update_in_loop)(X.copy())


# -- 3. `isinstance(o, C)` known when compiling (o of a known class), so a dunder's `o.v if isinstance(o, Vec)
#       else o` takes one branch: the result's kind stays known and `d[1] += c` of such an object is exact ------
class Vec:
    def __init__(self, v):
        self.v = v

    def __add__(self, o):
        return Vec(self.v + (o.v if isinstance(o, Vec) else o))

    def __mul__(self, c):
        return Vec(self.v * (c.v if isinstance(c, (Vec, list)) else c))

    def __getitem__(self, i):
        return self.v[i]

    def __setitem__(self, i, val):
        self.v[i] = val


class Grid(Vec):
    pass


def dunder_item_update(x):
    d = Vec(x * 1.0) + 1.0
    d[1] += x[0] ** 2  # (d.v[1] is a NumPy number: the update stores a new one)
    e = d + d * 3.0
    e[0] *= x[2]
    return np.sum(e.v ** 2) + np.sum(np.sin(d.v))


def dunder_rows_update(x):
    g = Grid(np.outer(x, x[:2])) * 0.5
    h = g + g
    h[1] += x[:2]  # (a row of h.v: a view changed in place, then stored back)
    return np.sum(h.v ** 2) + np.sum(g.v * x[0])


def isinstance_of_known_values(x):
    t = (x, 2.0)
    k = 3 if isinstance(t, tuple) and isinstance(t[1], float) and not isinstance(t[1], int) else 1
    return np.sum(x ** k)


class Tensor:
    def __init__(self, v):
        self.v = v

    def __add__(self, o):
        return Tensor(self.v + (o.v if isinstance(o, Tensor) else o))

    def __mul__(self, c):
        return Tensor(self.v * (c.v if isinstance(c, Tensor) else c))

    def __iadd__(self, o):
        self.v += o.v if isinstance(o, Tensor) else o  # (o an array argument: its class is known)
        return self


def dunder_with_array_argument(x):
    t = Tensor(x * 1.0)
    u = t + x
    u += x
    w = u * t + u * x
    return np.sum(w.v ** 2)


@pytest.mark.parametrize("f", [dunder_item_update, dunder_rows_update, isinstance_of_known_values,
                               dunder_with_array_argument])
def test_isinstance_known(f):
    check_all(f, X.copy())


# -- 4. `u = c.view()` then `u[i] = v`: c is the view's whole base (of its shape and dtype) ----------------------
def view_both_ways(x):
    c = x * 1.0
    u = c.view()
    u[0] = x[1] ** 2  # (changes c)
    c[1] = u[2] * 3.0  # (changes u)
    return np.sum(c * u) + np.sum(np.sin(u)) * c[0]


def view_of_slice_in_loop(x):
    c = np.outer(x, x)
    for i in range(3):
        r = c[i + 1:].view()
        r[0] *= x[i]
        r[:, i] = np.tanh(r[:, i + 1])
    return np.sum(c ** 2)


def view_of_argument(x):
    u = x.view()
    u[0] = x[1] * 3.0  # (the argument changed, as `x[0] = ...` would: ad_compiler changes a private copy)
    return np.sum(u * x)


@pytest.mark.parametrize("f", [view_both_ways, view_of_slice_in_loop, view_of_argument])
def test_view_method(f):
    check_all(f, X.copy())


def view_as_integers(x):
    c = x * 1.0
    u = c.view(np.int64)
    return np.sum(c * x) + np.sum(u)


def test_view_of_another_dtype_refused():
    with pytest.raises(ad.ADError, match="view"):
        ad.grad(view_as_integers)(X.copy())


# -- 5. a dict's view (`vs = d.values()`) read after an object the dict holds changed in place: Python's view and
#       the compiler's list both give that very object (only a change of d's entries is refused) ---------------
def values_then_value_changed(x):
    y = x * 1.0
    d = {"a": y, "b": x[0]}
    vs = d.values()
    y *= x[1]  # (the array d["a"] holds, changed in place)
    return sum(np.sum(v ** 2) for v in vs)


def keys_then_item_changed(x):
    d = {"a": x * 1.0, "b": x[0]}
    ks = d.keys()
    d["a"][1:] *= x[3]
    return sum(np.sum(np.sin(d[k])) for k in ks)


def values_of_argument_changed(x):
    d = {"w": x, "v": x[1:] * 2.0}
    vs = d.values()
    x *= 2.0  # (the argument: changed in place, as Python does, in a private copy)
    return sum(np.sum(np.tanh(v)) for v in vs)


def keys_then_entries_stored(x):
    d = {"a": x * 1.0, "b": x[0]}
    ks = d.keys()
    d["a"] = d["a"] * x[1]  # (a key d has: its keys stay)
    d["b"] += x[2]
    return sum(np.sum(np.sin(d[k])) for k in ks)


@pytest.mark.parametrize("f", [values_then_value_changed, keys_then_item_changed, values_of_argument_changed,
                               keys_then_entries_stored])
def test_dict_view_after_change_in_place(f):
    check_all(f, X.copy())


def values_then_entry_bound(x):
    d = {"a": x * 1.0}
    e = d
    vs = d.values()
    e["a"] = x * 3.0  # (Python's view gives the new value: refused)
    return sum(np.sum(v) for v in vs)


def values_then_update(x):
    d = {"a": x * 1.0}
    vs = d.values()
    d.update(a=x * 3.0)
    return sum(np.sum(v) for v in vs)


def keys_then_new_key(x):
    d = {"a": x * 1.0}
    ks = d.keys()
    d["c"] = x * 2.0  # (Python's view gives the new key too: refused)
    return sum(np.sum(d[k]) for k in ks)


@pytest.mark.parametrize("f", [values_then_entry_bound, values_then_update, keys_then_new_key])
def test_dict_view_after_entry_changed_refused(f):
    with pytest.raises(ad.ADError, match="may change what a dict's `(values|keys)"):
        ad.grad(f)(X.copy())


# -- 6. a view made before a loop whose body changes its base in place: at the loop's head it is still the same
#       expression of the base (alias_domain.keep_makings), so it is made again after each change ------------
def view_before_loop(x):
    V = np.outer(x, x[:3]) * 1.0
    out = V[:1]
    for i in range(2):
        V += out * x[i]  # (changes out too: it is V's first row)
    return np.sum(V ** 2)


def view_before_while(x):
    V = np.outer(x, x[:3]) * 1.0
    out = V[:, 1:]
    k = 0
    while k < 3:
        V *= x[k]
        out[0] += x[3] * out[1]
        k += 1
    return np.sum(np.sin(V)) + np.sum(out ** 2)


def view_made_again_differently(x):
    V = np.outer(x, x[:3]) * 1.0
    out = V[:1]
    for i in range(3):
        V += out * x[i]
        out = V[2:3]  # (another view at the end of each iteration: not the making on entry)
    return np.sum(V ** 2) + np.sum(out)


@pytest.mark.parametrize("f", [view_before_loop, view_before_while, view_made_again_differently])
def test_view_made_before_a_loop_changing_its_base(f):
    check_all(f, X.copy())


def view_of_an_array_rebound_in_the_loop(x):
    V = np.outer(x, x[:3]) * 1.0
    out = V[:1]
    for i in range(3):
        if V[0, 0] > 0.5:
            V = V * 2.0  # (out is a view of the first V only: V[:1] is not its making at the head)
        V += out * x[i]
    return np.sum(V ** 2) + np.sum(out ** 3)


def test_view_of_an_array_rebound_in_the_loop_right_or_refused():
    try:
        got = ad.grad(view_of_an_array_rebound_in_the_loop)(X.copy())
    except ad.ADError:
        return
    from test_modes import fd_grad
    assert_close(got, fd_grad(view_of_an_array_rebound_in_the_loop, [X.copy()], 0))
