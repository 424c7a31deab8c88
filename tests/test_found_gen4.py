"""Found by the "objects" constructs of tests/progen_objects.py (gen4): each program gives the gradient central
differences give, or a located refusal. /work/gen4/findings.md has the entries (g4-NNN). Programs of the
objects-holding-containers area (hunt17's) are strict xfails until that area is fixed."""
from dataclasses import dataclass, field

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.35, -0.7, 0.61])
W = np.array([[1.291, 1.157, 0.97], [-0.7, -0.359, -1.073]])


def _check(f, args, wrt=0, jvp=True):
    got = ad.grad(f, wrt=wrt)(*args)
    np.testing.assert_allclose(got, numeric_grad(f, list(args), wrt), rtol=1e-6, atol=1e-7)
    if jvp:
        v = np.linspace(-0.5, 0.7, np.size(args[wrt])).reshape(np.shape(args[wrt]))
        _, tangent = ad.jvp(f, wrt=wrt)(*args, v)
        np.testing.assert_allclose(tangent, np.sum(got * v), rtol=1e-6, atol=1e-7)


# -- g4-002: `dict()` and `dict(k=v)` refused ("does not match the derivative rule dict(mapping)"), unlocated in a
# dataclass's `field(default_factory=dict)`; now the dict literal they make -----------------------------------

def empty_dict_then_items(x):
    d = dict()
    d['a'] = x * 2.0
    d['b'] = dict()
    d['b']['c'] = x
    d['b']['c'] = d['b']['c'] * d['a']
    return np.sum(d['a'] ** 2) + np.sum(d['b']['c'] ** 3)


def dict_of_keywords(x):
    d = dict(w=x * 2.0, b=np.sum(x))
    d['w'][0] = 3.0
    d['w'] *= d['b']
    return np.sum(d['w'] ** 2) * d['b']


@dataclass
class Store:
    c: float = 1.0
    d: dict = field(default_factory=dict)
    items: list = field(default_factory=list)


def dataclass_dict_factory(x):
    s = Store(np.sum(x))
    s.d['a'] = x * s.c
    s.d['b'] = np.sin(x)
    return sum(np.sum(v ** 2) for v in s.d.values())


@pytest.mark.parametrize("f", [empty_dict_then_items, dict_of_keywords, dataclass_dict_factory],
                         ids=["dict()", "dict(k=v)", "dataclass-factory"])
def test_g4_002_dict_call_is_a_dict_literal(f):
    _check(f, (X.copy(),))



# -- g4-003 / g4-004 / g4-005: operators on objects of the user's class (inline_operators.py) -----------------
# `obj[k] = v` was differentiated as a store into an array, not its class's `__setitem__` (g4-004: wrong);
# `obj += v` was dropped, not its `__iadd__` (g4-003: wrong, the argument it changes read after); `obj + v`,
# `obj * c` refused as "no derivative is known for the attribute `.v`" (g4-005: over-refusal)

class Vec:
    def __init__(self, v):
        self.v = v

    def __add__(self, o):
        return Vec(self.v + o)

    def __mul__(self, c):
        return Vec(self.v * c)

    def __iadd__(self, o):
        self.v += o
        return self

    def __getitem__(self, i):
        return self.v[i]

    def __setitem__(self, i, val):
        self.v[i] = val


def setitem_dunder(x):
    p = Vec(x * 1.0)
    p[0] = x[1] ** 2
    p[2] += p[0] * x[0]
    return np.sum(p.v ** 2)


def iadd_dunder_changes_argument(x):
    t = Vec(x)
    t += x
    return np.sum(x ** 2)


def binary_dunders(x):
    p = Vec(x)
    q = (p + np.sin(x)) * 3.0
    q += 0.5
    return np.sum(q.v ** 2) + np.sum(p.v)


@pytest.mark.parametrize("f", [setitem_dunder, iadd_dunder_changes_argument, binary_dunders],
                         ids=["g4-004-setitem", "g4-003-iadd", "g4-005-add-mul"])
def test_g4_003_to_005_operators_call_the_class_methods(f):
    _check(f, (X.copy(),))


def rebound_in_loop(x):
    t = Vec(x * 1.0)
    for i in range(3):
        t[i] = t[i] * x[i] + 1.0
        t += 0.5
    return np.sum(t.v ** 2)


def test_g4_004_object_operator_not_followed_is_refused_at_its_line():
    with pytest.raises(ad.ADError, match="test_found_gen4.py"):
        ad.grad(rebound_in_loop)(X.copy())




class Grid:
    def __init__(self, a):
        self.a = a

    def __getitem__(self, ij):
        i, j = ij
        return self.a[i, j]

    def __setitem__(self, ij, val):
        self.a[ij] = val


def sliced_dunders(x):
    p = Vec(x * 1.0)
    q = Vec(x ** 2)
    q[1:] = p[:-1]
    q[::2] = q[::2] * x[0]
    return np.sum(q.v ** 2) + np.sum(p[1:] * q[:2])


def tuple_key_dunders(x):
    g = Grid(np.outer(x, x))
    g[0, 1] = x[2] ** 2
    g[1, :] = np.sin(x)
    return g[0, 1] * g[2, 2] + np.sum(g.a ** 2)


@pytest.mark.parametrize("f", [sliced_dunders, tuple_key_dunders], ids=["slices", "tuple-key"])
def test_g4_013_object_indexed_by_a_slice_or_several_keys(f):
    """g4-013: `obj[1:]`, `obj[i, j]` refused ("indexing a Vec object with a slice or several items cannot be
    differentiated (yet)"): the slice object or the tuple Python passes, given to __getitem__ / __setitem__."""
    _check(f, (X.copy(),))


# -- g4-011: a view permuting axes (swapaxes, transpose(axes), moveaxis) changed in place, its base read after:
# refused ("a view whose making has changed since"); only `.T` / `transpose()` were inverted (alias_axes.py) ---

C3 = np.linspace(-1.0, 1.0, 24).reshape(3, 2, 4)


def swapaxes_view_changed(x):
    H = np.stack([x, x * 2.0])
    A = H.swapaxes(1, -2)
    A[1] = x[0] ** 2
    return np.sum(H ** 2)


def transpose_axes_view_changed(x):
    H = x[:, None, None] * C3
    A = H.transpose(-1, 0, -2)
    A[3, :, 1] += x ** 2
    return np.sum(H ** 3)


def moveaxis_view_changed(x):
    H = x[:, None, None] * C3
    A = np.moveaxis(H, 0, -1)
    A[1, 2] = x * 2.0
    return np.sum(H ** 2) + np.sum(A[0] * x)


@pytest.mark.parametrize("f", [swapaxes_view_changed, transpose_axes_view_changed, moveaxis_view_changed],
                         ids=["swapaxes", "transpose-axes", "moveaxis"])
def test_g4_011_axes_permuting_view_changed_in_place(f):
    _check(f, (X.copy(),))



# -- g4-012: the refusal of a store into what NumPy made as a copy (runtime.check_view: located by its own
# text) named the user's line twice (tracebacks._locate added a second header) ------------------------------

def reshape_in_fortran_order_changed(x):
    H = np.stack([x, x * 2.0])
    A = H.reshape(-1, order='F')
    A[1] = 1.0
    return np.sum(H ** 2) + np.sum(A)


def test_g4_012_copy_refusal_names_its_line_once():
    with pytest.raises(ad.ADError) as info:
        ad.grad(reshape_in_fortran_order_changed)(X.copy())
    text = str(info.value)
    assert text.count('File "') == 1 and "test_found_gen4.py" in text and "a copy, not a view" in text, text



# -- g4-014: a refusal at a method call named a compiler temporary (`t9`) for the object changed -------------

class Node:
    seen = []  # (a class attribute: module state, shared by instances)

    def __init__(self, w):
        self.w = w

    def fire(self, v):
        out = np.tanh(v * self.w)
        self.seen.append(out)
        return out


def class_attribute_list_appended(x):
    a = Node(x)
    return np.sum(a.fire(x))


def test_g4_014_refusal_names_the_object_whose_method_is_called():
    try:
        with pytest.raises(ad.ADError) as info:
            ad.grad(class_attribute_list_appended)(X.copy())
    finally:
        Node.seen.clear()
    assert "`self.seen`" in str(info.value) and "test_found_gen4.py" in str(info.value), str(info.value)



# -- g4-015: forward mode, the tangent of a copy of a row (`v = W[1] * 1.0`: dv is the view dW[1] once `* 1.0` is
# folded) changed by a later store into that row (seed 432 index 143, jvp: 1.2 for 1.9) ------------------------

def row_copied_then_row_changed(W):
    W[0] = 1.0
    vec = W[1] * 1.0
    W[1][0] = 1.0
    return np.sum(W) + np.sum(vec)


def transposed_copied_then_changed(W):
    A = W.T
    B = A * 1.0
    W[0, 0] = W[1, 1] ** 2
    return np.sum(W ** 2) + np.sum(np.sin(B))


def column_view_copied_then_base_changed(W):
    c = W[:, 1]
    v = c * 1.0
    W *= 2.0
    W[0] += v[1]
    return np.sum(W ** 2) + np.sum(v * c)


@pytest.mark.parametrize("f", [row_copied_then_row_changed, transposed_copied_then_changed,
                               column_view_copied_then_base_changed], ids=["row", "transpose", "column"])
def test_g4_015_tangent_of_a_copied_view_not_changed_by_later_stores(f):
    _check(f, (W.copy(),))



# -- g4-016: a recursive callee compiled during the alias pass restarted the objects' numbering; two objects had
# the same id and the pass took an item of a view for the argument `xs`: AssertionError "alias: xs is already a
# private copy" (seed 432 index 51, jvp and grad) ----------------------------------------------------------------

def collect(L, n):
    if n <= 0:
        return L
    return collect(L, n - 1)


def recursive_callee_then_item_changed(x, params, W, xs):
    vec = params[0][0]
    items = [vec, vec]
    L = collect(items, 1)
    L[1][0] = 0.3
    return 1.0


def test_g4_016_nested_alias_run_keeps_the_outer_numbering():
    params = [(np.array([-1.272, 0.649, -0.847]), 1.178), (np.array([0.861, 0.876, 0.642]), -1.321)]
    with pytest.raises(ad.ADError, match="test_found_gen4.py"):  # (the change of the argument's item: refused)
        ad.grad(recursive_callee_then_item_changed, wrt=1)(X.copy(), params, W.copy(), [1.12, 1.175, 1.021])



# -- g4-017: `x.reshape((3, 2))` / `np.reshape(x, (3, 2))` (the shape as a tuple: a name in the IR) had an
# unknown rank, so a change in place of the result was refused ("an array of unknown rank") -------------------

def reshaped_by_tuple_changed(W):
    B = W.reshape((3, 2))
    B *= W.T
    return np.sum(B ** 2) + np.sum(W)


def np_reshaped_by_tuple_changed(W):
    B = np.reshape(W, (3, 2))
    B *= W[1, 1]
    return np.sum(np.sin(B)) + np.sum(W ** 2)


@pytest.mark.parametrize("f", [reshaped_by_tuple_changed, np_reshaped_by_tuple_changed], ids=["method", "np.reshape"])
def test_g4_017_reshape_by_a_tuple_has_its_rank(f):
    _check(f, (W.copy(),))



# -- g4-018: `l += a` with a list l and an array a is NumPy's addition (Python tries the number protocol before
# the list's in-place concatenation): a new array, the list unchanged; it was differentiated as an extend
# (seed 441 index 374, through an attribute: `cfg.items += W`) ---------------------------------------------------

def list_plus_equals_array(W):
    W2 = W * 1.0
    L = [1.0]
    L += W2
    return np.sum(L[1] * L[0])


def attribute_list_plus_equals_array(W):
    b = DictHolder()
    b.items += [1.0]
    b.items += W
    return np.sum(b.items[0] ** 2) + np.sum(b.items[1])


def list_plus_equals_numpy_number(W):
    L = [W[0, 0], 1.0]
    L += np.float64(2.0) * W[1, 1]
    return np.sum(L ** 2)


@pytest.mark.parametrize("f", [list_plus_equals_array, attribute_list_plus_equals_array], ids=["local", "attribute"])
def test_g4_018_list_plus_equals_array_is_numpy_addition(f):
    _check(f, (W.copy(),))


def test_g4_018_list_plus_equals_numpy_number_right_or_refused_at_its_line():
    try:
        _check(list_plus_equals_numpy_number, (W.copy(),))
    except ad.ADError as e:
        assert "test_found_gen4.py" in str(e), str(e)


# -- objects holding containers (hunt17's area; g4-006 left as a strict xfail) -----------------------------

class Bag:
    def __init__(self, c=1.0):
        self.c = c
        self.items = []

    def add(self, v):
        self.items.extend([v, v * self.c])


def list_attr_item_changed_then_generator(W):
    """g4-001 (seed 401 index 188): the list attribute's item changed in place, then read by a generator
    expression: gradient 0 (the lead's hand-found bug, found by the generator)."""
    o = Bag(np.std(W))
    o.add(np.ones(4))
    o.items[0][1] = 1.0
    return sum(np.sum(q) for q in o.items)


def test_g4_001_list_attribute_item_changed_then_read_lazily():
    _check(list_attr_item_changed_then_generator, (W.copy(),), jvp=False)


class Holder:
    def __init__(self, d=None):
        if d is None:
            d = {}
        self.d = d
        self.hist = []


def dict_attr_made_in_branch_item_changed(x, W):
    """g4-006 (seed 501 index 71; a dataclass's field(default_factory=dict) the same): IndexError in
    alias_refresh.slot_key (the holder's dict kind has fewer keys than the container's slots)."""
    o = Holder()
    o.d['a'] = W
    o.d['a'][0] = 1.0
    o.d.values()
    return np.sum(x ** 2)


def list_attr_extended_then_item_changed_through_its_name(s):
    """g4-007 (seed 501 index 67): gradient 0, expected 2."""
    o = Bag(s)
    p = np.ones(2)
    o.add(p)
    p *= 1.0
    return np.sum(o.items)


def list_attr_items_changed_twice(x):
    """g4-008 (seed 501 index 51, through a subclass's super().apply appending to self.hist): the derivative
    raises ValueError (zip() argument 2 is shorter) / IndexError in jvp."""
    o = Holder()
    out = x * 1.0
    o.hist.append(out)
    out *= 2.0
    out = out * 1.0
    o.hist.append(out)
    out *= 2.0
    return np.sum(sum(o.hist))


class DictHolder:
    def __init__(self):
        self.items = []
        self.d = {}


def dict_attr_item_changed_then_values_read(W):
    """g4-009 (seed 402 index 282): gradient 0, expected 1."""
    o = DictHolder()
    out = np.ones_like(W)
    o.d['a'] = out
    o.d['b'] = W
    o.d['a'][0] = 0.0
    return sum(np.sum(v) for v in o.d.values())


@pytest.mark.parametrize("f,args", [
    (list_attr_extended_then_item_changed_through_its_name, (0.25,)),
    (list_attr_items_changed_twice, (X.copy(),)),
    (dict_attr_item_changed_then_values_read, (W.copy(),)),
], ids=["g4-007-wrong", "g4-008-crash", "g4-009-wrong"])
def test_g4_objects_holding_containers(f, args):
    """Right since hunt17's fixes of the alias pass (tests/test_found_hunt17.py)."""
    _check(f, args)


def test_g4_006_dict_attribute_made_in_a_branch():
    _check(dict_attr_made_in_branch_item_changed, (X[:2].copy(), W.copy()))


# -- g4-010: a container's slot replaced by a value of another shape (fixed by objects3: ob3-002) ---------------
# The adjoint of `c[k] = v` (reverse_stores.store) pops the slot's adjoint and runtime.pop_item leaves zeros of
# the *new* value's structure there; the adjoint of what the slot held before then reads that (a scalar's
# adjoint is an array: "setting an array element with a sequence"; a list's is a float: "not subscriptable").
# The kind of the container before the store is not known there (containers' kinds are those at the end).

def list_slot_scalar_replaced_by_array(x):
    d = [x[1]]
    d[0] = x * 2.0
    return np.sum(d[0])


def dict_slot_scalar_replaced_by_array(x):
    d = {'s': x[1]}
    d['s'] = x * 2.0
    return np.sum(d['s'])


@pytest.mark.parametrize("f", [list_slot_scalar_replaced_by_array, dict_slot_scalar_replaced_by_array],
                         ids=["list", "dict"])
def test_g4_010_slot_replaced_by_a_value_of_another_shape(f):
    _check(f, (X.copy(),), jvp=False)


# an attribute's (fixed): the attribute store's adjoint reads the slot through runtime.entry_or_zeros, which now
# takes zeros of another shape than the value stored for what they are (found through property setters:
# seeds 411 #25, #272, 431 #156, #338)

class Gain:
    def __init__(self, s):
        self._s = s

    @property
    def s(self):
        return self._s

    @s.setter
    def s(self, v):
        self._s = np.abs(v) + 0.5


def attribute_list_replaced_by_number(x):
    o = Vec([x])
    o.v = 1.0
    return o.v * np.sum(x)


def property_number_replaced_by_array(x):
    o = Gain(x[1])
    o.s = x * 2.0
    return np.sum(o.s ** 2)


def attribute_matrix_replaced_by_vector(x):
    o = Vec(np.outer(x, x))
    o.v = np.sin(x)
    return np.sum(o.v * x)


@pytest.mark.parametrize("f", [attribute_list_replaced_by_number, property_number_replaced_by_array,
                               attribute_matrix_replaced_by_vector], ids=["list-number", "property", "matrix-vector"])
def test_g4_010_attribute_replaced_by_a_value_of_another_shape(f):
    _check(f, (X.copy(),))
