"""Regressions found by the random-program tester's "state" constructs (tests/progen_state.py), /work/gen2."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad
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


def matrix_view_changed_in_place(x, s):  # g2-002
    m = np.asmatrix(x)
    m *= x[1]
    return np.sum(x) * s


def matrix_view_of_a_local_changed_in_place(x, s):  # g2-002
    y = x * 1.0
    m = np.asmatrix(y)
    m *= s
    return np.sum(y * x)


@pytest.mark.parametrize("f", [matrix_view_changed_in_place, matrix_view_of_a_local_changed_in_place])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_matrix_view_changed_by_an_augmented_assignment_is_refused(f, mode, wrt):
    """`m = np.asmatrix(x); m *= c` changes x (m is a view of it); the alias pass took `m *= c` for a new value
    as a np.matrix kind is not 'mutable' (a store `m[0, 0] = ...` was already refused: h8-003), so every
    mode saw x unchanged: a wrong value and derivative. Now refused at the line."""
    import ad_compiler as ad
    args = (np.array([-1.32, 0.571, -0.953]), 0.75)
    d = ad.value_and_grad(f, wrt=wrt) if mode == "grad" else ad.jvp(f, wrt=wrt)
    with pytest.raises(ad.ADError) as info:
        d(*args) if mode == "grad" else d(*args, np.ones_like(args[wrt]))
    assert "m *= " in str(info.value) and "line" in str(info.value)


def item_of_a_dict_got_by_get(x, y):  # g2-003
    d = {"w": y * 1.0}
    t = d.get("w")
    t[0] = 5.0
    return x[0] * np.sum(d["w"])


@pytest.mark.parametrize("f", [item_of_a_dict_got_by_get])
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_store_through_an_item_a_dict_method_gave_is_seen(f, wrt):
    """`t = d.get("w"); t[0] = 5.0` changes d["w"]: clean-up's sharing classes did not join `t` with `d` (only
    `.copy()`, `.values()`, `.items()` did), so the store of a constant was dropped as dead code."""
    check_modes(f, (X[:3].copy(), Y[:3].copy()), wrt=wrt, modes=("grad", "jvp", "hvp"))


def item_of_a_copied_dict(x):  # g2-004
    b = np.ones(2)
    cfg = {"w": b, "v": b}
    p = dict(cfg)["w"]
    p[1] = 1.5
    return np.sum(cfg["w"]) * x[3]


def test_a_store_through_an_item_of_a_copied_dict_is_seen():
    """`dict(cfg)` is a new dict holding the very same arrays: clean-up's sharing classes did not join it with
    cfg (list(...) and tuple(...) were), so `p[1] = 1.5` was dropped and cfg["w"] read unchanged."""
    check_modes(item_of_a_copied_dict, (np.array([0.63, -0.558, -1.165, 1.189]),), modes=("grad", "jvp", "hvp"))


def item_of_a_repeated_list(x, y):  # g2-005
    z = y * 1.0
    L = [z] * 2
    L[1][0] = 5.0
    return x[0] * np.sum(z)


def item_of_a_sum_of_lists(x, y):  # g2-005
    z = y * 1.0
    L = [z] + [y]
    L[0][0] = 5.0
    return x[0] * np.sum(z)


@pytest.mark.parametrize("f", [item_of_a_repeated_list, item_of_a_sum_of_lists])
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_store_through_an_item_of_a_list_sum_or_repeat_is_seen(f, wrt):
    """`[z] * 2` and `[z] + [y]` hold z itself: clean-up's sharing classes did not join them with z, so a
    constant stored through `L[1][0] = 5.0` was dropped as dead code."""
    check_modes(f, (X[:3].copy(), Y[:3].copy()), wrt=wrt, modes=("grad", "jvp", "hvp"))


def item_of_a_dict_of_pairs(x, y):  # g2-006
    z = y * 1.0
    d = dict(zip(["w"], [z]))
    d["w"][0] = 5.0
    return x[0] * np.sum(z)


def test_a_store_through_an_item_of_a_dict_of_pairs_is_right_or_refused():
    """`dict(zip(keys, arrays))` holds the arrays themselves; the alias pass took it for a new dict of new
    values, so `d["w"][0] = 5.0` did not change z for the derivative: the gradient w.r.t. y had 1 where z[0]
    was overwritten. Now its items may be any array the argument holds (w.r.t. y: refused, as dict() of pairs
    has no derivative; the NoDerivativeError it raises was a NameError, g2-007)."""
    import ad_compiler as ad
    check_modes(item_of_a_dict_of_pairs, (X[:3].copy(), Y[:3].copy()), wrt=0, modes=("grad", "jvp"))
    try:
        got = ad.grad(item_of_a_dict_of_pairs, wrt=1)(X[:3].copy(), Y[:3].copy())
    except ad.ADError:
        return
    np.testing.assert_allclose(got, [0.0, X[0], X[0]])


def adjust(a, c):
    a *= c


def item_of_merged_dicts(w, W):  # g2-008
    d = {"v": w} | {"w": w}
    out = d["w"]
    out.fill(0.5)
    adjust(w, W[0][1])
    return np.sum(w)


def test_a_store_through_an_item_of_merged_dicts_is_seen():
    """`{"v": w} | {"w": w}` holds w itself: clean-up's sharing classes did not join the merge with its
    operands, so `out.fill(0.5)` (a constant) was dropped and the derivative summed w as it was."""
    W = np.array([[1.446, 0.451, 1.342], [0.753, 0.325, 1.697]])
    check_modes(item_of_merged_dicts, (np.array([1.124, 0.571, -0.862, -1.089]), W), wrt=1,
                modes=("grad", "jvp", "hvp"))


def sum_of_items_of_a_nested_list(x, y):  # g2-009
    z = y * 1.0
    L = [[z], [y]]
    M = L[0] + L[1]
    M[0][0] = 5.0
    return x[0] * np.sum(z)


@pytest.mark.parametrize("wrt", [0, 1])
def test_a_store_through_a_sum_of_items_of_a_nested_list_is_seen(wrt):
    """`L[0] + L[1]` of lists held by a list holds their very items (as g2-005, one level down)."""
    check_modes(sum_of_items_of_a_nested_list, (X[:3].copy(), Y[:3].copy()), wrt=wrt, modes=("grad", "jvp"))


def nested_generator_reading_a_changed_array(x, y):  # g2-010
    z = y * 1.0

    def gen():
        for t in z:
            yield t * x[0]
    it = gen()
    z[0] = 5.0
    return sum(it)


@pytest.mark.parametrize("wrt", [0, 1])
def test_a_change_of_what_a_nested_generator_reads_is_refused(wrt):
    """A generator function defined in f reading f's `z` (a free variable), called, then z changed before its
    items are read: Python's generator sees the change, the compiler computed the items at the call (value
    and gradient wrong). lazy_checks followed a generator's arguments only; now its free variables too."""
    import ad_compiler as ad
    with pytest.raises(ad.ADError) as info:
        ad.grad(nested_generator_reading_a_changed_array, wrt=wrt)(X[:3].copy(), Y[:3].copy())
    assert "z[0] = 5.0" in str(info.value)


def conj_changed_in_loop(x):  # g2-011
    r = 1.0
    for i in range(3):
        v = x * 1.0
        c = v.conj()
        c[1] += r
    return np.sum(c * x)


def astype_changed_in_loop(x):
    for i in range(2):
        v = x * 2.0
        c = v.astype(np.float64, copy=False)
        c[0] += 1.0
    return np.sum(c * x)


def asmatrix_changed_in_loop(x):
    for i in range(2):
        v = x * 1.0
        c = np.asarray(v)
        c[2] *= 3.0
    return np.sum(c * x)


@pytest.mark.parametrize("f", [conj_changed_in_loop, astype_changed_in_loop, asmatrix_changed_in_loop])
def test_a_value_itself_changed_through_conj_in_a_loop_is_not_hoisted(f):
    """`v = x * 1.0` made afresh at each iteration and changed through `c = v.conj()` (v itself for a real v)
    was moved before the loop (hoist.py): sharing.py did not know conj / astype(copy=False) / np.asarray give
    the array itself, so the store through c looked like another array's: the change added up over the
    iterations, in the value and the gradient (off by 2.0)."""
    x = np.array([-1.17, -0.725, 0.101])
    np.testing.assert_allclose(ad.grad(f)(x.copy()), numeric_grad(f, (x.copy(),), 0), rtol=1e-6, atol=1e-8)


STATE = np.array([-0.6, -1.1, 1.2])


def contiguous_of_a_product(y):  # s5858 #127 (explore --mode all, final main of stop 21)
    vec = y * STATE
    out = np.ascontiguousarray(vec)
    out[0] *= 0.0
    return np.sum(vec)


def fortran_of_a_quotient(y):
    vec = STATE * 1.0
    vec /= y
    out = np.asfortranarray(vec)
    out[True] *= np.log(1.0)
    return np.sum(vec)


def chkfinite_read_only(y):
    vec = y * STATE
    out = np.ascontiguousarray(vec)
    return np.sum(out * vec)


@pytest.mark.parametrize("f", [contiguous_of_a_product, fortran_of_a_quotient])
def test_a_function_giving_its_argument_itself_is_not_taken_for_a_copy(f):
    """np.ascontiguousarray(v) (and asfortranarray, asarray_chkfinite, require, real_if_close) give v itself
    when v already is what they ask for. Where the alias pass could not ask NumPy (the rank of `y * STATE` not
    known), it took the result for a new array: `out[0] *= 0.0` did not change v, a wrong gradient
    ([-0.6, -1.1, 1.2] for [0, -1.1, 1.2]). Now "maybe the argument": the change is refused at its line."""
    y = np.array([0.42, 0.533, 0.751])
    with pytest.raises(ad.ADError, match="may be a copy or a view"):
        ad.grad(f)(y.copy())


def test_a_function_giving_its_argument_itself_read_only_is_right():
    y = np.array([0.42, 0.533, 0.751])
    np.testing.assert_allclose(ad.grad(chkfinite_read_only)(y.copy()),
                               numeric_grad(chkfinite_read_only, (y.copy(),), 0), rtol=1e-6, atol=1e-8)
