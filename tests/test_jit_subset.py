"""jit=True (docs/jit.md): the subset beyond numbers and whole arrays, each program checked against central
differences and against the plain derivative: element stores in loops (`y[i] = v`: the elements they
overwrite saved on the tape), sizes read from shapes (`n = x.shape[0]`), lists made in the function
(`out.append(v)`, loops over them), arguments that are dicts, lists or tuples the function reads, 0-d arrays,
vjp and jvp. Skipped without Numba."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import make_rng, numeric_grad

numba = pytest.importorskip("numba")
from test_jit import check_jit_grad  # noqa: E402 (after the skip: test_jit needs numba too)

rng = make_rng(12)


# -- element stores in loops ----------------------------------------------------------------------------
def recurrence(x):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(1, n):
        y[i] = y[i - 1] * 0.5 + math.sin(x[i])
    return np.sum(y * y)


def prefix(x):
    y = x.copy()
    for i in range(1, x.shape[0]):
        y[i] += y[i - 1] * x[i]
    return np.sum(y * y)


def grid(a, k):
    n, m = a.shape
    u = a.copy()
    for t in range(3):
        for i in range(1, n):
            for j in range(m):
                u[i, j] = u[i - 1, j] * k + math.tanh(u[i, j])
    return np.sum(u ** 2)


def rows_stored(w, x):
    h = np.zeros((3, x.shape[0]))
    for t in range(3):
        h[t] = np.tanh(w * x + t)
        h[t] = h[t] * h[t]
    return np.sum(h) + h[2, 1]


def counters(x, flags):
    c = np.zeros(3, dtype=np.int64)
    s = 0.0
    for i in range(x.shape[0]):
        c[i % 3] = c[i % 3] + flags[i]
        s = s * 0.5 + x[i] * c[i % 3]
    return s


# -- lists made in the function --------------------------------------------------------------------------
def collected(x):
    out = []
    for i in range(x.shape[0]):
        out.append(x[i] * x[i] + math.sin(x[i]))
    s = 0.0
    for v in out:
        s = s * 0.5 + v
    return s + np.mod(s, 1.7)


# -- arguments that are not numbers or arrays --------------------------------------------------------------
def reads_dict(x, d):
    s = 0.0
    for i in range(x.shape[0]):
        s = s * d["b"] + np.sum(d["w"] * x) * x[i]
    return s


def reads_list(x, xs):
    s = 0.0
    for v in xs:
        s = s + np.sum(np.tanh(v * x))
    return s


def layers(x, params):
    h = x
    for w, b in params:
        h = np.tanh(h * w + b)
    return np.sum(h * h)


def scaled(x, s):
    return np.sum(np.sin(x * s)) * s


# -- compiled runtime helpers ------------------------------------------------------------------------------
def clipped(x, y):
    s = 0.0
    out = []
    for i in range(x.shape[0]):
        out.append(np.clip(x[i], -0.5, 0.5) + max(x[i], y[i]) + np.maximum(x[i], 0.2))
        s = s + np.sum(np.where(x > y, x * y, y)) + np.sum(np.minimum(x, y) * np.clip(y, None, 0.3))
    return s + sum(out) + sum(x * y)


def products(W, v, s):
    h = v.copy()
    for t in range(3):
        h = np.tanh(W @ h + np.dot(h, W) * s) * s
    u = np.copy(h)
    u[...] = u * 2.0
    return np.sum(u * u) + h @ v


CASES = [
    ("recurrence", recurrence, lambda: (rng.standard_normal(6),), 0),
    ("prefix", prefix, lambda: (rng.standard_normal(5) * 0.5,), 0),
    ("grid", grid, lambda: (rng.standard_normal((4, 3)) * 0.5, 0.7), (0, 1)),
    ("rows_stored", rows_stored, lambda: (rng.standard_normal(4), rng.standard_normal(4)), (0, 1)),
    ("collected", collected, lambda: (rng.standard_normal(5),), 0),
    ("reads_dict", reads_dict, lambda: (rng.standard_normal(4), {"w": rng.standard_normal(4), "b": 0.5}), 0),
    ("reads_list", reads_list, lambda: (rng.standard_normal(3), [rng.standard_normal(3) for _ in range(3)]), 0),
    ("layers_numbers", layers, lambda: (rng.standard_normal(3), [(0.5, 0.1), (1.5, -0.2), (0.7, 0.3)]), 0),
    ("layers_arrays", layers, lambda: (rng.standard_normal(3), [(rng.standard_normal(3), 0.1),
                                                                 (rng.standard_normal(3), -0.2)]), 0),
    ("scaled_0d", scaled, lambda: (rng.standard_normal(3), np.array(1.3)), (0, 1)),
    ("clipped", clipped, lambda: (np.array([0.3, -0.7, 0.55, 0.9]), np.array([0.1, 0.2, 0.4, -1.0])), (0, 1)),
    ("products", products, lambda: (rng.standard_normal((3, 3)) * 0.5, rng.standard_normal(3), 0.7), (0, 1, 2)),
    ("counters", counters, lambda: (rng.standard_normal(7), np.array([1, 0, 2, 1, 1, 0, 3])), 0),
]


@pytest.mark.parametrize("name, f, make, wrt", CASES, ids=[c[0] for c in CASES])
def test_jit_subset_matches_finite_differences_and_the_plain_derivative(name, f, make, wrt):
    check_jit_grad(f, make(), wrt)


def overwritten_read_before(x):
    n = x.shape[0]
    y = np.ones(n)
    s = 0.0
    for i in range(1, n):
        s = s + np.dot(y, x)  # (its adjoint reads y as it was before the store below)
        y[i] = y[i - 1] * 0.5 + math.sin(x[i])
    return s + np.sum(y * y)


def test_an_element_overwritten_in_a_loop_is_saved_on_a_tape_segment():
    # (recurrence's adjoint reads no value of y, so nothing of it is saved there since stores are put back only
    # where the adjoint reads them)
    x = rng.standard_normal(5)
    check_jit_grad(overwritten_read_before, (x,), 0)
    g = ad.grad(overwritten_read_before, jit=True)
    g(x)
    source = g.source
    assert "tape_floats[n_y_1_items] = y_1[i]" in source and "y_1[i] = tape_floats[n_y_1_items]" in source
    assert "_ad.np_copy" not in source and ".append(" not in source


def changes_0d(x, s):
    s += 1.0
    return np.sum(x * s)


def test_jit_refuses_what_it_cannot_pass_as_numba_values():
    x = rng.standard_normal(3)
    with pytest.raises(ad.ADError, match="0-d array changed in place"):
        ad.grad(changes_0d, jit=True)(x, np.array(1.5))
    with pytest.raises(ad.ADError, match="gradient of a dict"):
        ad.grad(reads_dict, wrt=1, jit=True)(x, {"w": x, "b": 0.5})
    with pytest.raises(ad.ADError, match="gradient of a list"):
        ad.grad(reads_list, wrt=1, jit=True)(x, [x, x])


def test_a_dict_argument_is_one_parameter_per_key():
    g = ad.grad(reads_dict, jit=True)
    g(rng.standard_normal(3), {"w": rng.standard_normal(3), "b": 0.5})
    assert "_numba(x, d_w, d_b, bx_out)" in g.source and "_numba(x, d['w'], d['b'], bx)" in g.source


# -- vjp and jvp ------------------------------------------------------------------------------------------
def filtered(x, k):
    y = np.zeros(x.shape[0])
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * k + math.sin(x[i])
    return y * 2.0


def horner(x, k):
    s = 0.0
    for i in range(x.shape[0]):
        s = s * k + x[i] ** 2
    return s


def _directional(f, args, tangents, eps=1e-6):
    """(f(args + eps t) - f(args - eps t)) / 2 eps: J t by central differences."""
    up = [a + eps * t for a, t in zip(args, tangents)]
    down = [a - eps * t for a, t in zip(args, tangents)]
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps)


def test_jit_vjp_matches_finite_differences():
    x, seed = rng.standard_normal(5), rng.standard_normal(5)
    gx, gk = ad.vjp(filtered, wrt=(0, 1), jit=True)(x, 0.7, seed)
    assert "@_ad.jit.njit" in ad.vjp(filtered, wrt=(0, 1), jit=True).source

    def weighted(x, k):
        return float(np.sum(filtered(x, k) * seed))
    np.testing.assert_allclose(gx, numeric_grad(weighted, [x, 0.7], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gk, numeric_grad(weighted, [x, 0.7], 1), rtol=1e-6, atol=1e-8)
    assert isinstance(gk, float) and gx.shape == x.shape
    with pytest.raises(ValueError, match="seed"):
        ad.vjp(filtered, jit=True)(x, 0.7, np.ones(3))


def test_jit_jvp_matches_finite_differences():
    x, t = rng.standard_normal(5), rng.standard_normal(5)
    value, tangent = ad.jvp(filtered, jit=True)(x, 0.7, t)
    np.testing.assert_allclose(value, filtered(x, 0.7), rtol=1e-14)
    np.testing.assert_allclose(tangent, _directional(lambda x: filtered(x, 0.7), [x], [t]), rtol=1e-6, atol=1e-8)
    g = ad.jvp(horner, wrt=(0, 1), jit=True)
    value, tangent = g(x, 0.7, (t, 0.5))
    assert "@_ad.jit.njit" in g.source and isinstance(tangent, float)
    np.testing.assert_allclose(value, horner(x, 0.7), rtol=1e-14)
    np.testing.assert_allclose(tangent, _directional(horner, [x, 0.7], [t, 0.5]), rtol=1e-6, atol=1e-8)


def test_a_numba_error_naming_no_line_is_located_at_the_def():
    from ad_compiler.jit import FirstCall

    g = ad.grad(recurrence, jit=True)
    g(rng.standard_normal(4))
    compiled = g._ad_derivative.last
    first = FirstCall(None, None, list(compiled._ad_origins), compiled.__code__.co_filename, numba)
    error = first.located(AssertionError())  # (as Numba's own assertions raise, with no message)
    assert error.where is not None and error.where.filename.endswith("test_jit_subset.py")
    assert "AssertionError inside Numba" in str(error) and "def recurrence(x):" in str(error)


# -- np.concatenate and np.stack of arrays (along a constant axis) ------------------------------------------------
def joined(x, y):
    z = np.concatenate([np.sin(x), y * 2.0, x * y])
    s = np.stack([x, y * y])
    return np.sum(z * z) + np.sum(s[0] * s[1]) + np.sum(np.tanh(s))


def joined_rows(a, b):
    m = np.concatenate([a, b * a])
    return np.sum(np.concatenate([m, np.cos(m)]) ** 2) + np.sum(np.stack([a, b]) * 0.5)


def joined_in_loop(x, y):
    h = x
    for t in range(3):
        h = np.concatenate([h[1:], y[:1] * h[:1]]) * 0.9 + np.stack([h, y])[1] * 0.1
    return np.sum(h * h)


def stacked_rows_used(x, y):
    s = np.stack([x, y])
    r = s[0]
    r = r * 2.0
    return np.sum(r * s[1]) + np.sum(s)


def joined_other_axis(a, b):
    return np.sum(np.concatenate([a, b], axis=1) ** 2)


def joined_axes(a, b):
    s = np.stack([a, b[:, :1] * a], axis=-1)
    c = np.concatenate((a, np.tanh(b)), axis=-1)
    return np.sum(s ** 2) + np.sum(c * a[:, :1]) + np.sum(np.stack((a, b), 1)[:, 1] * a)


@pytest.mark.parametrize("f, make, wrt", [
    (joined, lambda: (rng.standard_normal(3), rng.standard_normal(3)), (0, 1)),
    (joined_rows, lambda: (rng.standard_normal((2, 3)), rng.standard_normal((2, 3))), (0, 1)),
    (stacked_rows_used, lambda: (rng.standard_normal(3), rng.standard_normal(3)), (0, 1)),
    (joined_other_axis, lambda: (rng.standard_normal((2, 3)), rng.standard_normal((2, 4))), (0, 1)),
    (joined_axes, lambda: (rng.standard_normal((2, 3)), rng.standard_normal((2, 3))), (0, 1)),
], ids=["1-d", "2-d", "rows-used", "axis-1", "axis-minus-1"])
def test_concatenate_and_stack_of_arrays_compile(f, make, wrt):
    """jit_lower._joined_lists: a list (or tuple) made for np.concatenate or np.stack along a constant axis,
    read nowhere else but by their adjoints, is made a tuple (what Numba's np.concatenate and np.stack take);
    the adjoints' jit versions (`split_along`: slices of the adjoint along the axis; `unstack`: copies of its
    slices at each index of the axis, as np.take gives) return tuples of the same length."""
    args = make()
    g = ad.grad(f, wrt=wrt, jit=True)
    check_jit_grad(f, args, wrt)
    assert "np.concatenate(" in g.source or "np.stack(" in g.source
    for _ in range(3):  # (the guard of calls like the last one)
        got, plain = g(*args), ad.grad(f, wrt=wrt)(*args)
        for a, b in zip(got, plain):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def joined_list_kept(x, y):
    parts = [x, y]
    z = np.concatenate(parts)
    parts.append(x * 2.0)
    return np.sum(z * z) + np.sum(parts[2])


def test_other_joins_are_still_refused_at_their_line():
    for f, args in [(joined_list_kept, (rng.standard_normal(3), rng.standard_normal(3))),
                    (joined_in_loop, (rng.standard_normal(4), rng.standard_normal(4)))]:
        with pytest.raises(ad.ADError) as info:  # (the list of a loop is saved on the tape: a list kept)
            ad.grad(f, wrt=(0, 1), jit=True)(*args)
        assert "test_jit_subset.py" in str(info.value) and ("np.concatenate" in str(info.value) or
                                                            "list[" in str(info.value))


def transposed(a, lo):
    t = np.transpose(np.tanh(a)) * np.real(a.T)
    r = np.transpose(t) + a * lo
    return np.sum(r.clip(-0.5, 0.7) ** 2) + np.sum(np.transpose(a, (1, 0)) * r.T) * lo + np.sum(np.transpose(a[0]))


def test_transpose_real_and_the_clip_method_compile():
    check_jit_grad(transposed, (rng.standard_normal((2, 3)), 0.7), (0, 1))


def stacked_family(a, m):
    v = np.vstack([a, a * m[0]]) + np.vstack((m[:1] * a, m[1:]))
    return np.sum(v ** 2) + np.sum(np.hstack([a, np.tanh(a)]) * a[0]) + np.sum(np.hstack([m, m * 2.0]) ** 2)


def test_vstack_and_hstack_of_arrays_compile():
    """np.vstack / np.hstack of a list made for them: a tuple, as for np.concatenate; their adjoint
    `_ad.stack_family_vjp(g, t, 'vstack')` in its jit version (slices of g in each array's shape). Arrays of
    different ranks in one vstack are refused by Numba's typing at the user's line."""
    check_jit_grad(stacked_family, (rng.standard_normal(3), rng.standard_normal((2, 3))), (0, 1))
