"""A 1-d array's adjoint built from the adjoints of its `tolist()` numbers as one list literal (join_items.py,
runtime.tolist_vjp): checked against central differences in every mode (the hvp and Hessian differentiate the
literal again; reverse over reverse reads it through `tolist_vjp`'s rules), with items not read, a list
longer than the items read (zeros after them), in a loop, and where the rewrite must not apply (a position
read twice, the list read by something else, rows of a 2-d array)."""
import math

import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng
from modes_check import check_modes


def unpacked(p):
    a, b, c, d = p.tolist()
    return a * b * math.exp(c) + math.sin(d) * a


def one_unused(p):
    a, b, c = p.tolist()
    return a * c + math.cos(c)  # (b is not read: 0.0 in the literal)


def first_items(p):
    q = p.tolist()
    return q[0] * math.exp(q[2]) + q[1] ** 3  # (p has more entries: zeros after the third)


def in_a_loop(p, n):
    s = 0.0
    for k in range(n):
        a, b = p.tolist()
        s = s + a * b * (k + 1) + math.sin(a * s)
    return s


def read_twice(p):
    q = p.tolist()
    return q[0] * q[1] + q[0] ** 2


def list_read_otherwise(p):
    q = p.tolist()
    a, b = q[0], q[1]
    return a * b + sum(q) * a


def rows(p):
    r0, r1 = p.tolist()
    return r0[0] * r1[1] + math.sin(r0[1]) * r1[0]


def source(f, *args, mode=ad.grad):
    d = mode(f)
    d(*args)
    return d.source


def test_unpacked_in_every_mode():
    p = make_rng(0).standard_normal(4)
    check_modes(unpacked, [p], 0)
    src = source(unpacked, p)
    assert "bt2 = [" in src and "add_at" not in src and "getitem_vjp" not in src, src
    hvp_src = source(unpacked, p, p, mode=ad.hvp)
    assert "entry_or_zeros" not in hvp_src and "add_at" not in hvp_src, hvp_src


def test_items_not_read_and_a_longer_list():
    rng = make_rng(1)
    check_modes(one_unused, [rng.standard_normal(3)], 0)
    assert ", 0.0, " in source(one_unused, rng.standard_normal(3))
    p = rng.standard_normal(6)
    check_modes(first_items, [p], 0)
    g = ad.grad(first_items)(p)
    assert g.shape == (6,) and g.dtype == np.float64 and np.all(g[3:] == 0.0)
    assert "add_at" not in source(first_items, p)


def test_in_a_loop_and_reverse_over_reverse():
    rng = make_rng(2)
    p = 0.5 * rng.standard_normal(2)
    check_grad(in_a_loop, [p, 3], 0)
    check_modes(in_a_loop, [p, 3], 0, modes=("grad", "jvp", "hvp"))
    dunpacked = ad.grad(unpacked)
    assert "add_at" not in source(unpacked, rng.standard_normal(4))

    def weighted(p, w):
        return np.sum(dunpacked(p) * w)

    check_grad(weighted, [rng.standard_normal(4), rng.standard_normal(4)], 0)


def test_where_it_does_not_apply():
    rng = make_rng(3)
    for f, n in ((read_twice, 2), (list_read_otherwise, 3)):
        check_modes(f, [rng.standard_normal(n)], 0, modes=("grad", "jvp", "hvp"))
    assert "add_at" in source(read_twice, rng.standard_normal(2))
    check_modes(rows, [rng.standard_normal((2, 2))], 0, modes=("grad", "jvp", "hvp"))


def test_tolist_vjp_reads_a_shorter_list_as_its_first_entries():
    """runtime.tolist_vjp: a list shorter than x (join_items.py's literal) gives zeros after it, with None
    entries (nothing came back) as zeros too; the dtype is x's float dtype."""
    from ad_compiler import runtime

    assert np.array_equal(runtime.tolist_vjp([1.5, -2.0], np.zeros(4)), [1.5, -2.0, 0.0, 0.0])
    assert np.array_equal(runtime.tolist_vjp([1.5, None], np.zeros(3)), [1.5, 0.0, 0.0])
    got = runtime.tolist_vjp([1.0, 2.0, 3.0], np.zeros(3, dtype=np.float32))
    assert got.dtype == np.float32 and np.array_equal(got, [1.0, 2.0, 3.0])
    assert np.array_equal(runtime.tolist_vjp([[1.0, None], [2.0, 3.0]], np.zeros((2, 2))), [[1.0, 0.0], [2.0, 3.0]])
