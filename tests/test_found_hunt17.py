"""Regressions found by hunt 17 (objects holding containers: lists, dicts, tuples of arrays as attributes,
changed in place, in every mode), against central differences: right or refused at a line of this file, never
a wrong value or a crash (/work/hunt17/findings.md)."""
import dataclasses

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
