"""Found by objects3 (the last crashes of objects and containers, then over-refusals): each program gives the
derivatives central differences give, or a located refusal. /work/objects3/findings.md has the entries (ob3-NNN)."""
from dataclasses import dataclass, field

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.35, -0.7, 0.61])
W = np.array([[1.291, 1.157, 0.97], [-0.7, -0.359, -1.073]])


def _check(f, args, wrt=0, jvp=True, hvp=False):
    got = ad.grad(f, wrt=wrt)(*args)
    np.testing.assert_allclose(got, numeric_grad(f, list(args), wrt), rtol=1e-6, atol=1e-7)
    v = np.linspace(-0.5, 0.7, np.size(args[wrt])).reshape(np.shape(args[wrt]))
    if jvp:
        _, tangent = ad.jvp(f, wrt=wrt)(*args, v)
        np.testing.assert_allclose(tangent, np.sum(got * v), rtol=1e-6, atol=1e-7)
    if hvp:
        hv = ad.hvp(f, wrt=wrt)(*args, v)

        def gv(x):
            a = list(args)
            a[wrt] = x
            return np.sum(numeric_grad(f, a, wrt) * v)
        np.testing.assert_allclose(hv, numeric_grad(gv, [args[wrt]], 0), rtol=1e-4, atol=1e-5)


# -- ob3-001: a method of a list or dict that only reads it, called for nothing (`o.d.values()`), was refused
# "calls the method for what it does ... may change `o.d` in place" (g4-006's program, once h17-009 fixed its
# IndexError) ------------------------------------------------------------------------------------------------

@dataclass
class Table:
    c: float = 1.0
    d: dict = field(default_factory=dict)


def dataclass_dict_read_for_nothing(x, W):
    o = Table()
    o.d['a'] = W
    o.d['a'][0] = x[1]
    o.d.values()
    o.d.keys()
    return np.sum(x ** 2) + np.sum(o.d['a'] * x[0])


def local_containers_read_for_nothing(x, W):
    d = {'a': W}
    d['a'][1] = x[0] ** 2
    d.items()
    d.get('a')
    L = [x, W]
    L.copy()
    return np.sum(d['a'] * x[2])


@pytest.mark.parametrize("f", [dataclass_dict_read_for_nothing, local_containers_read_for_nothing],
                         ids=["dataclass-dict", "local"])
@pytest.mark.parametrize("wrt", [0, 1])
def test_ob3_001_reading_methods_called_for_nothing(f, wrt):
    _check(f, (X.copy(), W.copy()), wrt=wrt)


# -- ob3-002 (g4-010 for list / dict slots): a slot replaced by a value of another shape or structure; the
# store's adjoint left zeros of the new value in the slot, read for the old item's adjoint (crash) -----------

def list_slot_replaced_then_read(x):
    d = [x[1] ** 2, x]
    d[0] = x ** 2 * d[0]
    return np.sum(np.sin(d[0])) + np.sum(d[1] ** 3)


def dict_slot_list_replaced_by_array(x):
    d = {'a': [x[0], x[1] * x[2]], 'b': x}
    d['a'] = np.cos(x) * d['a'][1]
    return np.sum(d['a'] * d['b'])


def appended_item_replaced(x):
    d = []
    d.append(x[1] ** 2)
    d.append(x)
    d[0] = np.sin(x) * d[0]
    return np.sum(d[0] * d[1])


def slot_replaced_by_a_longer_array(x):
    d = [x[1:]]
    d[0] = x * np.sum(d[0])
    return np.sum(d[0] ** 2)


@pytest.mark.parametrize("f", [list_slot_replaced_then_read, dict_slot_list_replaced_by_array,
                               appended_item_replaced, slot_replaced_by_a_longer_array],
                         ids=["list", "dict-list-by-array", "appended", "longer"])
def test_ob3_002_slot_replaced_by_a_value_of_another_shape(f):
    _check(f, (X.copy(),), hvp=True)
