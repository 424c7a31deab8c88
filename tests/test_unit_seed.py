"""unit_seed.py: `b = bout * v` with the seed 1.0 and a float v is read as v where b is only an operand of
arithmetic before it is bound again. Compared with central differences where it applies and where it must
not (b returned, copied, kept, an integer v), with the gradients new arrays that share no memory with the
arguments."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng, normal

rng = make_rng(5)


def product_summed(m_scale, x):
    m = np.tanh(x * m_scale) * x
    return np.sum(m * x)


def returned_as_it_is(x, y):
    return np.sum(x * y)


def by_integers(x, n):
    return np.sum(x * n)


def through_a_maximum(x, y):
    return np.sum(np.maximum(x * y, 0.0) * y)


def _source(g, *args):
    g(*args)
    return g.source


def _apart(grads, args):
    for gr in grads:
        assert isinstance(gr, np.ndarray) and gr.flags.writeable
        assert not any(np.shares_memory(gr, a) for a in args if isinstance(a, np.ndarray))


def test_the_seed_product_read_only_by_arithmetic_is_its_operand():
    s, x = normal(rng, 3), normal(rng, 3)
    grads = check_grad(product_summed, (s, x), wrt=(0, 1))
    _apart(grads, (s, x))
    source = _source(ad.grad(product_summed, wrt=("m_scale", "x")), s, x)
    assert "bout" not in source and "bx = m + " in source  # (bx = bout * m; bx = bx + bk)


def test_the_seed_product_stays_where_it_must():
    x, y = normal(rng, 4), normal(rng, 4)
    grads = check_grad(returned_as_it_is, (x, y), wrt=(0, 1))
    _apart(grads, (x, y))  # (bx = bout * y is returned: a new array, not y)
    assert "bout * y" in _source(ad.grad(returned_as_it_is, wrt=("x", "y")), x, y)

    n = np.array([1, -2, 3, 4])
    gx = check_grad(by_integers, (x, n), wrt=0)
    assert gx.dtype == np.float64
    assert "bout * n" in _source(ad.grad(by_integers), x, n)

    for y2 in (y, -y):
        grads = check_grad(through_a_maximum, (x, y2), wrt=(0, 1))
        _apart(grads, (x, y2))



def seed_operand_changed_later(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    w = z[:2]
    z[0] = x[1] * 3.0
    w[1] = w[0] * x[2]
    return np.sum(a * x) + np.sum(b ** 2) + np.sum(w) + np.sum(z ** 2)


def test_not_across_a_change_in_place():
    """`bx = bout * a` reads a's values when it runs; the adjoint sweep then puts back what the stores into a
    (through z and its view w) overwrote. Read later as `a`, the sum saw the values put back (-13.79 for
    -13.44: test_alias_paths found it): the fold stops at any statement that may change an array (a store, a
    helper, a branch), not only at one naming `a`."""
    x = normal(rng, 3)
    for c in (1.0, -1.0):
        check_grad(seed_operand_changed_later, (x, c), wrt=0)
