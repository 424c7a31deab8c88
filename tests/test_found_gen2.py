"""Regressions found by the random-program tester's "state" constructs (tests/progen_state.py), /work/gen2."""
import numpy as np
import pytest

from modes_check import check_modes

X = np.array([1.363, -1.182, -0.644])
Y = np.array([1.384, 0.404, -1.299, 0.684])


class Acc:
    def __init__(self, w):
        self.w = w

    def step(self, v):
        self.w[0] = self.w[-1] * v
        return np.sum(self.w * v)


def method_stores_into_an_attribute(x, y):  # g2-001
    d = Acc(y)
    r = d.step(2.0)
    return x[2] * r


def method_stores_into_an_attribute_of_a_copy(x, y):  # g2-001
    d = Acc(y * 1.0)
    r = d.step(2.0)
    return x[2] * r


def item_of_a_dict_changed_through_a_name(x, y):  # g2-001 (the same sharing, through a dict's key)
    d = {"w": y * 1.0}
    t = d["w"]
    t[0] = t[-1] * 2.0
    return x[2] * np.sum(d["w"])


@pytest.mark.parametrize("f", [method_stores_into_an_attribute, method_stores_into_an_attribute_of_a_copy,
                               item_of_a_dict_changed_through_a_name])
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_store_through_an_attribute_read_is_seen_by_later_reads(f, wrt):
    """`t = self.w; t[0] = ...` then `self.w` read again: clean-up's sharing classes did not join a name read
    from an object's attribute with the object, so where the stored value carries no derivative (w.r.t. x)
    the store was dropped as dead code and the derivative read the attribute as it was before it."""
    check_modes(f, (X.copy(), Y.copy()), wrt=wrt, modes=("grad", "jvp", "hvp"))
