"""Found by objects3 (the last crashes of objects and containers, then over-refusals): each program gives the
derivatives central differences give, or a located refusal. /work/objects3/findings.md has the entries (ob3-NNN)."""
import collections
import copy
import dataclasses
from dataclasses import dataclass, field
from typing import NamedTuple

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

        def gv(x):  # (the gradient checked above, differentiated by central differences)
            a = list(args)
            a[wrt] = x
            return np.sum(ad.grad(f, wrt=wrt)(*a) * v)
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


class Box:
    def __init__(self, w):
        self.w = w


def list_slot_replaced_beside_an_object(x):
    L = [x * 1.0, [x[0], x], Box(np.cos(x))]
    N = [L[0], L[1], L[2]]
    N[0][2] = x[1]
    N[1] = x[0]
    return np.sum(L[0] ** 2) * N[1]


@pytest.mark.parametrize("f", [list_slot_replaced_then_read, dict_slot_list_replaced_by_array,
                               appended_item_replaced, slot_replaced_by_a_longer_array,
                               list_slot_replaced_beside_an_object],
                         ids=["list", "dict-list-by-array", "appended", "longer", "beside-an-object"])
def test_ob3_002_slot_replaced_by_a_value_of_another_shape(f):
    _check(f, (X.copy(),), hvp=True)


# -- ob3-003: `lst.insert(i, v)` / `lst.pop(i)` refused ("cannot be differentiated (yet)"); for a list of known
# length and a constant position, now the pops and appends the list makes ------------------------------------

def insert_items(x):
    L = [x[0], x[1]]
    L.insert(-1, x[2] ** 2)
    L.insert(10, np.cos(x[0]))
    L.insert(0, np.sin(x))
    L[2] = L[2] * L[1]
    return L[1] * L[2] + L[3] * L[4] ** 2 + np.sum(L[0] ** 2)


class Queue:
    def __init__(self):
        self.items = []

    def push_front(self, v):
        self.items.insert(0, v)


def insert_into_an_attribute_then_item_changed(x):
    q = Queue()
    a = x * 2.0
    q.items.append(a)
    q.push_front(np.sin(x))
    q.items[1][0] = x[2] ** 2
    return np.sum(q.items[0] * q.items[1]) + np.sum(a)


def pop_at_positions(x):
    L = [x[0], x * 2.0, np.sin(x)]
    v = L.pop(-2)
    w = L.pop(0)
    L.append(v * x)
    return np.sum(L[0] * L[1]) * w


@pytest.mark.parametrize("f", [insert_items, insert_into_an_attribute_then_item_changed, pop_at_positions],
                         ids=["insert", "attribute", "pop-i"])
def test_ob3_003_insert_and_pop_at_a_position(f):
    _check(f, (X.copy(),), hvp=True)


# -- ob3-004: `if act is None: act = np.tanh` with act a parameter given None (its kind: None itself) was not
# folded: the call `act(x)` was refused ("a function value not known when compiling") -------------------------

def default_function(x, act=None):
    if act is None:
        act = np.tanh
    return np.sum(act(x) ** 2)


class Net:
    def __init__(self, act=None):
        self.act = act

    def __call__(self, x):
        if self.act is None:
            return np.tanh(x)
        return self.act(x)


def optional_attribute_of_an_argument(x, n=Net()):
    act = n.act
    if act is None:
        act = np.sin
    return np.sum(n(x) ** 2) + np.sum(act(x) ** 2)


@pytest.mark.parametrize("f", [default_function, optional_attribute_of_an_argument], ids=["function", "attribute"])
def test_ob3_004_none_argument_narrowed_by_is_none(f):
    _check(f, (X.copy(),), hvp=True)
    if f is default_function:
        np.testing.assert_allclose(ad.grad(f, jit=True)(X.copy()), ad.grad(f)(X.copy()), rtol=1e-12)


# -- ob3-005: `dataclasses.replace(obj, **changes)` refused ("no derivative is known for dataclasses.replace");
# now the constructor called with the object's other fields ---------------------------------------------------

@dataclass
class Layer:
    w: np.ndarray
    s: float = 1.0

    def __post_init__(self):
        self.w = self.w * 1.0


@dataclass(frozen=True)
class Frozen:
    a: np.ndarray
    b: float


def replaced_fields(x):
    o = Layer(x * 2.0, x[2])
    p = dataclasses.replace(o, s=x[0] ** 2)
    p.w[1] = x[2] ** 2
    f = Frozen(np.sin(x), 2.0)
    g = dataclasses.replace(f, a=np.tanh(f.a * f.b))
    return np.sum(o.w * p.w) * p.s * o.s + np.sum(g.a * f.a)


def test_ob3_005_dataclasses_replace():
    _check(replaced_fields, (X.copy(),), hvp=True)


def test_ob3_005_dataclasses_replace_of_a_field_init_does_not_take_is_refused():
    @dataclass
    class Counted:
        w: np.ndarray
        n: int = field(default=0, init=False)

    def f(x):
        o = Counted(x)
        return np.sum(dataclasses.replace(o, n=1).w)
    with pytest.raises(ad.ADError, match="does not take") as e:
        ad.grad(f)(X.copy())
    assert "test_found_objects3.py" in str(e.value)


# -- ob3-006: `copy.copy` / `copy.deepcopy` of objects, lists and arrays refused (no derivative; "changes the
# result of this call in place"); now written as what they do ---------------------------------------------------

class Lay:
    def __init__(self, w):
        self.w = w
        self.b = np.zeros(3)


def copied_objects(x):
    o = Lay(x * 2.0)
    p = copy.copy(o)
    p.w[0] = x[1] ** 2  # (the array is shared: o.w changes too)
    p.b = p.b + x
    q = copy.deepcopy(o)
    q.w[1] = 3.0
    q.b += np.sin(x)
    return np.sum(o.w * np.sin(p.w)) + np.sum(p.b * q.b * q.w)


def copied_lists(x):
    L = [x * 1.0, [x[0], x], Lay(np.cos(x))]
    M = copy.deepcopy(L)
    M[0][1] = 5.0
    M[1][1][0] = x[2] ** 2
    M[2].w *= x
    N = copy.copy(L)
    N[0][2] = x[1]
    N[1] = x[0]
    return np.sum(L[0] * M[0]) + np.sum(M[1][1] * L[1][1]) * M[1][0] * N[1] + np.sum(M[2].w * L[2].w)


@pytest.mark.parametrize("f", [copied_objects, copied_lists], ids=["objects", "lists"])
def test_ob3_006_copy_and_deepcopy(f):
    _check(f, (X.copy(),), hvp=True)


class Custom(Lay):
    def __copy__(self):
        return Lay(self.w * 2.0)


def copied_object_with_attribute_on_one_path(x):
    o = Lay(x * 2.0)
    if x[0] > 0:
        o.extra = x ** 2
    p = copy.copy(o)
    return np.sum(p.extra)


def deepcopy_of_shared_array(x):
    a = x * 1.0
    o = Lay(a)
    o.b = a
    p = copy.deepcopy(o)
    p.w[0] = 4.0
    return np.sum(p.b * x)


def copy_of_a_customized_class(x):
    return np.sum(copy.copy(Custom(x)).w)


@pytest.mark.parametrize("f, match", [(copied_object_with_attribute_on_one_path, "not known here"),
                                      (deepcopy_of_shared_array, "same array"),
                                      (copy_of_a_customized_class, "customizes copying")],
                         ids=["attribute-on-one-path", "shared", "custom"])
def test_ob3_006_copies_not_followed_are_refused_at_the_line(f, match):
    with pytest.raises(ad.ADError, match=match) as e:
        ad.grad(f)(X.copy())
    assert "test_found_objects3.py" in str(e.value)


# -- ob3-007: `d.update(e)` / `d.update(k=v)` and `d.setdefault(key, v)` refused ("the dict method cannot be
# differentiated (yet)"); with keys known when compiling, now the stores they make ------------------------------

def dict_update_and_setdefault(x):
    d = {'a': x * 1.0}
    e = {'b': np.sin(x), 'a': x ** 2}
    d.update(e)
    d.update(c=x[0])
    e['b'][0] = 3.0  # (the very array d holds)
    v = d.setdefault('a', x)
    w = d.setdefault('n', np.cos(x))
    v[1] = x[2] ** 2
    return np.sum(d['a'] * d['b']) * d['c'] + np.sum(d['n'] * w)


def test_ob3_007_dict_update_and_setdefault():
    _check(dict_update_and_setdefault, (X.copy(),), hvp=True)


# -- ob3-008: a named tuple made in the function (`typing.NamedTuple`, `collections.namedtuple`) was refused
# ("its class defines `__new__`"); now the very named tuple at run time, its items' tuple for the compiler ------

class State(NamedTuple):
    h: np.ndarray
    c: np.ndarray
    scale: float = 2.0

    def out(self):
        return self.h * self.scale

    @property
    def norm(self):
        return np.sum(self.c ** 2)


Pair = collections.namedtuple("Pair", ["a", "b"])


def named_tuples_made_in_the_function(x):
    s = State(np.zeros(3), np.ones(3))
    for i in range(2):
        c = s.c * np.tanh(x) + x[i]
        s = State(np.tanh(c) * s.h + x, c)
    u, v, k = s
    q = s._replace(scale=x[1] ** 2)
    p = Pair([x * 1.0, x[2]], x[0])
    p.a[0][1] = 4.0
    assert isinstance(q, State) and type(p) is Pair
    return np.sum(q.out()) + s.norm * k + np.sum(u * v) + np.sum(p.a[0]) * p.b * p[0][1]


def test_ob3_008_named_tuples_made_in_the_function():
    _check(named_tuples_made_in_the_function, (X.copy(),), hvp=True)


# -- ob3-011: a map is lazy: one never read calls nothing (its function may raise, `map(np, ...)`, or change
# state, `map(L.append, ...)`: a crash and a WRONG value when the compiler computed its items where it is made);
# one of a value known not to be callable is refused at the line --------------------------------------------

def map_never_read(x):
    L = []
    val = map(np, [x, x])
    map(float, [x, x])
    m = map(L.append, [x[0], x[1]])
    return np.sum(x ** 2) + sum(L, 0.0) * x[2]


def map_of_a_module_read(x):
    return np.sum(x) + sum(map(np, [x, x]))


def test_ob3_011_map_never_read_calls_nothing():
    value, g = ad.value_and_grad(map_never_read)(X.copy())
    assert value == map_never_read(X.copy())
    _check(map_never_read, (X.copy(),))
    with pytest.raises(ad.ADError, match="`np` is not callable"):
        ad.grad(map_of_a_module_read)(X.copy())
