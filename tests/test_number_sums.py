"""A real number's share of an elementwise operation on arrays, `unbroadcast(g * (-ans / s), s)`, as one dot
product, `-_ad.sum_product(g, ans) / s` (reverse.Reverse.number_sum). Checked against central differences in
every mode, and where it must not apply (an array broadcast, a complex result, a partial of another form, an
operand broadcast by a third). And the sign of a broadcast operand's adjoint taken after its sum."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes


def scaled(s, x):
    return np.sum(np.sin(-0.5 * x / s ** 2))


def weighted(s, x, w):
    return np.sum(w * (s * x)) + np.sum(np.exp(s * x))


def shifted(s, x):
    return np.sum(np.cos(x - s))


def complex_result(s, x):
    return np.sum(np.abs(np.exp(1j * x) / s))


def clipped(s, x):
    return np.sum(np.clip(x, s, 1.5) ** 2)


def test_a_number_share_as_a_dot_product():
    rng = make_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check_modes(scaled, [0.8, x], 0)
    check_modes(weighted, [0.6, x, w], 0)
    check_grad(weighted, [0.6, x, w], (0, 1))
    assert "_ad.sum_product(" in ad.grad(scaled).source and "_ad.sum_product(" in ad.grad(weighted).source
    check_modes(scaled, [np.float64(0.8), x], 0, modes=("grad",))
    assert isinstance(ad.grad(scaled)(0.8, x), float)


def test_not_applied_elsewhere():
    rng = make_rng(1)
    x = rng.standard_normal((4, 3))
    for f in (shifted, complex_result, clipped):
        check_modes(f, [0.3, x], 0, modes=("grad", "jvp", "hvp"))
        assert "_ad.sum_product(" not in ad.grad(f).source, f.__name__
    s = np.array([[0.8, 1.1, 0.9]])  # (an array broadcast over x: summed over its rows)
    check_grad(scaled, [s, x], 0)
    g = ad.grad(scaled)
    g(s, x)
    assert "_ad.sum_product(" not in g.source


def broadcast_difference(x, y):
    return np.sum(np.sin(x - y))


def test_the_sign_of_a_broadcast_operand_after_its_sum():
    rng = make_rng(2)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal(3)
    check_modes(broadcast_difference, [x, y], 1)
    g = ad.grad(broadcast_difference, wrt=1)
    g(x, y)
    assert "= -bt1.sum(axis=0)" in g.source  # (not (-bt1).sum(axis=0): the negation of the summed row only)


def cross_then_weights(a, b, w):
    r = np.cross(a, b)
    return np.sum(np.sin(r) * w)


def test_a_number_by_its_kind_only_is_checked_when_it_runs():
    # np.cross of 3-vectors has the kind of a 0-d array (a guess): its sine's share of `* w` is summed to its
    # shape at run time, not taken as one number (tests/test_dask_rules.py found it)
    rng = make_rng(3)
    check_modes(cross_then_weights, [rng.random(3), rng.random(3), rng.random(3)], 0, modes=("grad", "jvp", "hvp"))
