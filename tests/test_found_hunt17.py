"""Regressions found by hunt 17 (objects holding containers: lists, dicts, tuples of arrays as attributes,
changed in place, in every mode), against central differences: right or refused at a line of this file, never
a wrong value or a crash (/work/hunt17/findings.md)."""
import dataclasses
import functools
from typing import NamedTuple

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
from test_modes import fd_hvp

X = np.array([0.3, -0.5, 0.8])


def _fd(f, x):
    return numeric_grad(lambda a: f(a.copy()), [x.copy()], 0)


@dataclasses.dataclass
class Cfg:
    scale: float = 2.0
    buf: list = dataclasses.field(default_factory=list)


class Plain:
    def __init__(self):
        self.buf = []


# -- h17-001 (silently wrong) / h17-002 (crash: zip() argument 2 is shorter than argument 1): a list attribute
# changed through `c.buf.append`, then an item of it changed in place (`c.buf[0][1] = 5.0`): the alias pass
# gave the list its new item through a name bound before the appends (the dataclass's `buf`, not live), whose
# SSA version is the empty list; the adjoint of the appended items was dropped (`alias_domain.Vars.stale`).
def item_of_a_dataclass_list_changed(x):
    c = Cfg()
    c.buf.append(x)
    c.buf.append(x * 2.0)
    c.buf[0][1] = 5.0
    return sum(np.sum(b ** 2) for b in c.buf)


def item_of_a_plain_list_attribute_changed(x):
    c = Plain()
    c.buf.append(x)
    c.buf.append(x * 2.0)
    c.buf[0][1] = 5.0
    return sum(np.sum(b ** 2) for b in c.buf)


@pytest.mark.parametrize("f", [item_of_a_dataclass_list_changed, item_of_a_plain_list_attribute_changed])
def test_item_of_a_list_attribute_changed_after_appends(f):
    expected = _fd(f, X)
    np.testing.assert_allclose(ad.grad(f)(X.copy()), expected, rtol=1e-6, atol=1e-8)
    t = np.array([0.2, -0.4, 0.7])
    np.testing.assert_allclose(ad.jvp(f)(X.copy(), t)[1], expected @ t, rtol=1e-6, atol=1e-8)


class Holder:
    def __init__(self, arr):
        self.arr = arr

    def __getitem__(self, i):
        return self.arr[i]

    def __setitem__(self, i, v):
        self.arr[i] = v


# -- h17-003 (crash in reverse mode: None * float; jvp silently wrong): `h[1] = v` for an object of a class
# with `__setitem__` was kept as a store into the object (a container of its attributes), with no entry `1`;
# its `__setitem__` is now inlined (`h[1] op= v` in Python's order), a class without one refused.
def item_set_through_setitem(x):
    h = Holder(x * 1.0)
    h[1] = h[0] * h[2]
    h[2] *= x[0]
    return np.sum(h.arr ** 2)


def test_item_set_through_a_classes_setitem():
    f = item_set_through_setitem
    expected = _fd(f, X)
    np.testing.assert_allclose(ad.grad(f)(X.copy()), expected, rtol=1e-6, atol=1e-8)
    t = np.array([0.2, -0.4, 0.7])
    np.testing.assert_allclose(ad.jvp(f)(X.copy(), t)[1], expected @ t, rtol=1e-6, atol=1e-8)


class NoSetItem:
    def __init__(self, a):
        self.a = a


def item_set_without_setitem(x):
    h = NoSetItem(x * 1.0)
    h[0] = 2.0
    return np.sum(h.a)


def test_item_set_on_a_class_without_setitem_is_refused():
    with pytest.raises(ad.ADError) as e:
        ad.grad(item_set_without_setitem)(X.copy())
    assert "test_found_hunt17.py" in str(e.value) and "__setitem__" in str(e.value)


# -- h17-004 (silently wrong, every mode): an array attribute also held by a list attribute of the same object,
# changed in place (`c.a += v; c.a[0] = ...`): the refresh gave the object its new `a` before the list its new
# item, so the object's `buf` kept the list's old version (alias_refresh.refresh_containers: inner first).
def array_attribute_held_by_a_list_attribute(x):
    c = Plain()
    c.a = x * 1.0
    c.buf.append(c.a)
    c.a += np.sin(x)
    c.a[0] = c.buf[0][1] ** 2
    return np.sum(c.buf[0] ** 2) + np.sum(c.a)


def test_array_attribute_held_by_a_list_attribute_changed_in_place():
    f = array_attribute_held_by_a_list_attribute
    expected = _fd(f, X)
    np.testing.assert_allclose(ad.grad(f)(X.copy()), expected, rtol=1e-6, atol=1e-8)


# -- h17-005 (crash: zip() argument 2 is shorter than argument 1): `lst.extend(lst)`: the adjoint took back as
# many items as the argument has, read after the change (twice as many); now extended by `list(lst)`.
def list_extended_by_itself(x):
    buf = [x * 1.0, np.sin(x)]
    buf.extend(buf)
    buf[1][0] = 2.0
    return sum(np.sum(v ** 2) for v in buf)


def test_list_extended_by_itself():
    f = list_extended_by_itself
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)


# -- h17-006 (crash in hvp / hessian / grad of grad; an over-refusal in first order): a list attribute changed
# through another name (`t = c.buf; t.append(x)`) kept the object's kind of `buf` (the empty list), so generated
# code taking back `len(list(c.buf))` adjoints took none, and `c.buf[-1] *= 2.0` was refused.
def list_attribute_extended_by_itself(x):
    c = Plain()
    c.buf.append(x * 1.0)
    c.buf.extend(c.buf)
    c.buf[-1] *= 2.0
    return sum(np.sum(v ** 2) for v in c.buf)


def test_list_attribute_kind_follows_appends_in_second_order():
    f = list_attribute_extended_by_itself
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)
    v = np.array([0.2, -0.4, 0.7])
    expected = fd_hvp(lambda a: f(a.copy()), [X.copy()], 0, v)
    np.testing.assert_allclose(ad.hvp(f)(X.copy(), v), expected, rtol=1e-5, atol=1e-6)


# -- h17-007 (silently wrong): `c.buf[1] *= 2.0` with `c.buf == [a, a]`: `t = c.buf; u = t[1]; u *= 2.0;
# t[1] = u`: the store after the operation reads `t`, which the liveness of the user's statement does not
# count, so the change of `u` refreshed the list through another name and the store went through `t`'s
# stale version (the first item's adjoint went to `a` as it was before the change).
def item_twice_in_a_list_attribute_scaled(x):
    c = Plain()
    a = x * 1.0
    c.buf = [a, a]
    c.buf[1] *= 2.0
    return sum(np.sum(v ** 2) for v in c.buf)


def test_item_twice_in_a_list_attribute_scaled_in_place():
    f = item_twice_in_a_list_attribute_scaled
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)


# -- h17-008 (refused at a line of generated code; an over-refusal): `dict()` and `dict(a=v)` met the rule
# `dict(mapping)` (a copy): refused, and for a dataclass field `default_factory=dict` the refusal pointed into
# the dataclass's generated `__init__`. Now the literal `{'a': v}` (desugar_builtins).
@dataclasses.dataclass
class WithDict:
    d: dict = dataclasses.field(default_factory=dict)
    hist: list = dataclasses.field(default_factory=list)


def dataclass_dict_field_changed(x):
    c = WithDict()
    c.d["u"] = x * 1.0
    c.d["u"][0] = 3.0
    c.hist.append(np.sin(x))
    e = dict(v=c.d["u"] * x)
    return np.sum(c.d["u"] ** 2) + np.sum(e["v"] * c.hist[0])


def test_dict_call_and_dataclass_dict_factory():
    f = dataclass_dict_field_changed
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)


# -- h17-009 (crash when compiling: IndexError in alias_refresh.slot_key): a dict changed through one name
# (`e["u"] = v`), then an item of it through another (`d["u"][0] = 3.0`): `d`'s kind still had no keys, and the
# refresh read the key of the slot from it. Every name holding the very dict (list, object) now sees its new
# keys; a key still unknown is refused.
def dict_changed_through_an_alias(x):
    d = {}
    e = d
    e["u"] = x * 1.0
    d["u"][0] = 3.0
    return np.sum(e["u"] ** 2)


def test_dict_changed_through_an_alias_then_its_item():
    f = dict_changed_through_an_alias
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)


class Pair(NamedTuple):
    a: np.ndarray
    b: np.ndarray


PAIR = Pair(np.array([1.0, 2.0, 3.0]), np.array([0.5, -0.5, 0.25]))


def reads_a_named_tuple_by_name_and_position(x, n):
    u, v = n
    return np.sum(n.a * x) + np.sum(n[0] * n.b) + np.sum(u * v * x) + np.sum(n[1] ** 2)


# -- h17-010 (crash: AttributeError 'tuple' object has no attribute 'a'): `_ad.private_copy` (jacrev's primal
# call, arguments changed in place) made a named tuple a plain tuple.
def test_jacrev_with_a_named_tuple_argument():
    f = reads_a_named_tuple_by_name_and_position
    expected = numeric_grad(lambda a: f(a, PAIR), [X.copy()], 0)
    np.testing.assert_allclose(ad.jacrev(f)(X.copy(), PAIR), expected, rtol=1e-6, atol=1e-8)


# -- h17-011 (crash: ufunc 'add' float64 + <U1): the gradient w.r.t. a named tuple read by name (`n.a`: an
# adjoint `{'a': g}`) and by position (`n[0]`, unpacking: a list) added a dict to a list. An attribute of a
# value not known as an object now has the adjoint `_ad.attribute_vjp` (by position for a named tuple).
def test_gradient_wrt_a_named_tuple_read_by_name_and_position():
    f = reads_a_named_tuple_by_name_and_position
    g = ad.grad(f, wrt=1)(X.copy(), PAIR)
    assert isinstance(g, Pair)
    np.testing.assert_allclose(g.a, numeric_grad(lambda a: f(X, Pair(a, PAIR.b)), [PAIR.a.copy()], 0), rtol=1e-6)
    np.testing.assert_allclose(g.b, numeric_grad(lambda b: f(X, Pair(PAIR.a, b)), [PAIR.b.copy()], 0), rtol=1e-6)


# -- more programs silently wrong before h17-001 / h17-004 (gradient and tangent): lists reached through
# objects (a __post_init__'s appends, a dict attribute of lists, an object inside an object, two objects
# sharing one list, a list extended then an item changed)
@dataclasses.dataclass
class Post:
    x: np.ndarray
    parts: list = dataclasses.field(default_factory=list)

    def __post_init__(self):
        self.parts.append(self.x * 2.0)
        self.parts.append(np.sin(self.x))


def lists_appended_in_post_init(x):
    p = Post(x * 1.0)
    p.parts[0][0] = 1.0
    p.x[2] = 0.0
    return sum(np.sum(v ** 2) for v in p.parts) + np.sum(p.x)


def dict_attribute_of_lists(x):
    c = Plain()
    c.d = {"a": []}
    c.d["a"].append(x * 1.0)
    c.d["a"].append(np.cos(x))
    c.d["a"][0][2] = 1.0
    return sum(np.sum(v ** 2) for v in c.d["a"])


def object_inside_an_object(x):
    c = Plain()
    c.inner = Plain()
    c.inner.buf.append(x * 1.0)
    c.inner.buf.append(np.sin(x))
    c.inner.buf[0][1] = 4.0
    return sum(np.sum(v ** 2) for v in c.inner.buf)


def two_objects_sharing_a_list(x):
    shared = []
    a = Plain()
    b = Plain()
    a.buf = shared
    b.buf = shared
    a.buf.append(x * 1.0)
    b.buf.append(np.sin(x))
    b.buf[0][0] = 4.0
    return sum(np.sum(v ** 2) for v in a.buf)


def dataclass_list_extended_then_changed(x):
    c = Cfg()
    c.buf.extend([x * 1.0, np.cos(x)])
    c.buf[1][0] = c.buf[0][2] * 3.0
    return sum(np.sum(np.sin(b)) for b in c.buf) * c.scale


@pytest.mark.parametrize("f", [lists_appended_in_post_init, dict_attribute_of_lists, object_inside_an_object,
                               two_objects_sharing_a_list, dataclass_list_extended_then_changed])
def test_lists_reached_through_objects(f):
    expected = _fd(f, X)
    np.testing.assert_allclose(ad.grad(f)(X.copy()), expected, rtol=1e-6, atol=1e-8)
    t = np.array([0.2, -0.4, 0.7])
    np.testing.assert_allclose(ad.jvp(f)(X.copy(), t)[1], expected @ t, rtol=1e-6, atol=1e-8)


class Vec:
    def __init__(self, a):
        self.a = a

    def __iadd__(self, other):
        self.a += other.a
        return self


# -- h17-012 (silently wrong, every mode): `u += Vec(v)` for an object of a user's class: its `__iadd__` (which
# changed an array another name holds) was not followed; the statement became a rebinding of u. Now inlined
# (`u = Vec.__iadd__(u, v)`, or `__add__` as Python falls back), refused where the object is not known.
def iadd_of_an_object_changing_a_shared_array(x):
    y = x * 1.0
    u = Vec(y)
    u += Vec(np.sin(x))
    return np.sum(y ** 2)


def iadd_of_an_object_in_a_list(x):
    y = x * 1.0
    vs = [Vec(y), Vec(np.sin(x))]
    vs[0] += vs[1]
    return np.sum(y ** 2)


def test_iadd_of_a_user_object():
    f = iadd_of_an_object_changing_a_shared_array
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)
    with pytest.raises(ad.ADError) as e:
        ad.grad(iadd_of_an_object_in_a_list)(X.copy())
    assert "test_found_hunt17.py" in str(e.value)


class DoublesOnStore:
    def __init__(self, a):
        self.a = a

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value * 2.0)


class DoublesOnRead:
    def __init__(self, a):
        self.a = a

    def __getattribute__(self, name):
        v = object.__getattribute__(self, name)
        return v * 2.0 if name == "a" else v


def object_with_a_setattr(x):
    s = DoublesOnStore(x * 1.0)
    return np.sum(s.a ** 2)


def object_with_a_getattribute(x):
    s = DoublesOnRead(x * 1.0)
    return np.sum(s.a ** 2)


def reads_an_argument_with_a_getattribute(x, s):
    return np.sum(s.a * x)


# -- h17-013 (silently wrong, every mode): objects of a class defining `__setattr__`, `__getattr__`,
# `__getattribute__` or `__delattr__` were followed as containers of what was stored in them; making one is now
# refused, and an attribute of one given as an argument has no derivative (refused on a path to the output).
@pytest.mark.parametrize("f", [object_with_a_setattr, object_with_a_getattribute])
def test_objects_whose_class_changes_attribute_access_are_refused(f):
    with pytest.raises(ad.ADError) as e:
        ad.grad(f)(X.copy())
    assert "test_found_hunt17.py" in str(e.value)


def test_gradient_wrt_an_object_with_a_getattribute_is_refused():
    with pytest.raises(ad.ADError) as e:
        ad.grad(reads_an_argument_with_a_getattribute, wrt=1)(X.copy(), DoublesOnRead(np.array([1.0, 2.0, 3.0])))
    assert "test_found_hunt17.py" in str(e.value)


class Gen:
    def __init__(self):
        self.buf = []

    def doubled(self):
        for v in self.buf:
            yield v * 2.0


# -- h17-014 (silently wrong, every mode): a generator method's values (`g = c.doubled()`), which the compiler
# computes when it is called, then an item of what it reads changed before they are read: lazy_checks did not
# see `c.doubled()` as a generator (the class of `c` is not known there); the inliner, which knows it, now runs
# that check with the call known as a generator (lazy_checks.check_generator_call).
def generator_method_then_item_changed(x):
    c = Gen()
    c.buf = [x * 1.0, np.sin(x)]
    g = c.doubled()
    c.buf[0][2] = 3.0
    return sum(np.sum(v ** 2) for v in g)


def generator_method_read_at_once(x):
    c = Gen()
    c.buf = [x * 1.0, np.sin(x)]
    g = c.doubled()
    return sum(np.sum(v ** 2) for v in g)


def test_generator_method_then_a_change_is_refused():
    with pytest.raises(ad.ADError) as e:
        ad.grad(generator_method_then_item_changed)(X.copy())
    assert "test_found_hunt17.py" in str(e.value)
    f = generator_method_read_at_once
    np.testing.assert_allclose(ad.grad(f)(X.copy()), _fd(f, X), rtol=1e-6, atol=1e-8)


class Node:
    def __init__(self, v):
        self.v = v
        self.kids = []


def object_holding_itself(x):
    a = Node(x * 1.0)
    a.kids.append(a)
    a.kids[0].v[0] = 5.0
    return np.sum(a.v ** 2)


# -- h17-015 (crash: RecursionError in _ad.zeros_like, after h17-001 let the program compile): a container made
# to hold itself (`a.kids.append(a)`, or two objects holding each other): refused at the line.
def test_object_holding_itself_is_refused():
    with pytest.raises(ad.ADError) as e:
        ad.grad(object_holding_itself)(X.copy())
    assert "test_found_hunt17.py" in str(e.value) and "hold itself" in str(e.value)


class CachedSquare:
    def __init__(self, a):
        self.a = a

    @functools.cached_property
    def sq(self):
        return self.a ** 2


def cached_property_read(x):
    c = CachedSquare(x * 1.0)
    return np.sum(c.sq * x)


# -- h17-016 (silently wrong; hvp: KeyError 'a'): `functools.cached_property` (any descriptor other than a
# method, a property of a Python getter or a slot) was read as an attribute the object stored: its getter's
# derivative was lost. Refused at the read.
def test_cached_property_is_refused():
    with pytest.raises(ad.ADError) as e:
        ad.grad(cached_property_read)(X.copy())
    assert "test_found_hunt17.py" in str(e.value) and "cached_property" in str(e.value)


class WithPair:
    def __init__(self):
        self.w = np.array([0.5, -0.2, 0.1])
        self.pair = (np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, -0.5]))


def uses_a_tuple_attribute(m, x):
    return np.sum(m.w * x * m.pair[0]) + np.sum(np.sin(m.pair[1]) * x)


# -- h17-017 (refused at the call, an over-refusal): a tangent for an object with a tuple attribute (`m.pair`)
# was refused ("the tangent names 'pair', which is not a number, array or container attribute"):
# `_ad.zeros_like` of an object left its tuple attributes out.
def test_tangent_of_an_object_with_a_tuple_attribute():
    m = WithPair()
    t = {"w": np.array([0.1, 0.2, 0.3]), "pair": (np.array([1.0, 0.0, -1.0]), np.array([0.3, 0.2, 0.1]))}
    _, tan = ad.jvp(uses_a_tuple_attribute)(m, X.copy(), t)
    g = ad.grad(uses_a_tuple_attribute)(m, X.copy())
    expected = np.sum(g["w"] * t["w"]) + sum(np.sum(a * b) for a, b in zip(g["pair"], t["pair"]))
    assert np.isclose(tan, expected)
    shifted = WithPair()
    shifted.pair = (m.pair[0] + 1e-6 * t["pair"][0], m.pair[1] + 1e-6 * t["pair"][1])
    shifted.w = m.w + 1e-6 * t["w"]
    assert np.isclose(tan, (uses_a_tuple_attribute(shifted, X) - uses_a_tuple_attribute(m, X)) / 1e-6, atol=1e-5)


def appended_inside_no_grad(x):
    buf = [x * 1.0]
    with ad.no_grad():
        buf.append(x * 3.0)
    buf[0][0] = 1.0
    return sum(np.sum(v ** 2) for v in buf)


def appended_to_an_attribute_inside_no_grad(x):
    c = Plain()
    c.buf.append(x * 1.0)
    with ad.no_grad():
        c.buf.append(x * 3.0)
    return sum(np.sum(v ** 2) for v in c.buf)


# -- h17-018 (silently wrong, every mode): `lst.append(v)` inside `with ad.no_grad():` made the whole list a
# constant (every item lost its derivative, not only v); now the items added carry none and the list keeps its
# own (resolve: a no_grad Mutate reads its list; reverse / forward: no adjoint / a zero tangent for the items).
def test_append_inside_no_grad_keeps_the_other_items_derivatives():
    f = appended_inside_no_grad
    expected = 2.0 * X
    expected[0] = 0.0
    np.testing.assert_allclose(ad.grad(f)(X.copy()), expected, rtol=1e-12)
    t = np.array([0.2, -0.4, 0.7])
    np.testing.assert_allclose(ad.jvp(f)(X.copy(), t)[1], expected @ t, rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(f)(X.copy(), t), np.where(np.arange(3) == 0, 0.0, 2.0 * t), rtol=1e-12)


def test_append_to_an_attribute_inside_no_grad():
    """h17-018's object form: `c.buf` read inside no_grad (`t = c.buf; t.append(v)`) was a constant, so the list
    the object holds lost its derivative; an alias read of a container stays the container (resolve.same_container)."""
    np.testing.assert_allclose(ad.grad(appended_to_an_attribute_inside_no_grad)(X.copy()), 2.0 * X, rtol=1e-12)


def popped_inside_no_grad(x):
    L = [x * 1.0, x * 2.0, x * 3.0]
    with ad.no_grad():
        v = L.pop()
    return sum(np.sum(u ** 2) for u in L) + np.sum(v * x)


def test_pop_inside_no_grad_keeps_the_other_items_derivatives():
    """h17-018's last form: `v = L.pop()` inside no_grad made the whole list a constant (gradient 0 where the
    items left carry 10 x); now v is the constant (assigned in the block) and L keeps its items' derivatives:
    f = 5 sum(x^2) + sum(v x) with v = 3x fixed."""
    X3 = np.array([0.3, -0.5, 0.8])
    t = np.array([0.2, -0.4, 0.7])
    np.testing.assert_allclose(ad.grad(popped_inside_no_grad)(X3.copy()), 13.0 * X3, rtol=1e-12)
    np.testing.assert_allclose(ad.jvp(popped_inside_no_grad)(X3.copy(), t)[1], 13.0 * X3 @ t, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(popped_inside_no_grad)(X3.copy()), 10.0 * np.eye(3), atol=1e-12)
