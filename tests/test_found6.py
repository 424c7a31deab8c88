"""Regression tests for the forward-mode and second-order random-program runs (explore.py --mode jvp / hvp):
each program's jvp, hvp or Hessian is compared with central finite differences of f in float64 (mixed second
differences for Hessian-vector products), never with numbers from the compiler."""
import numpy as np
import pytest

import ad_compiler as ad
import progen
from fd import numeric_grad
from modes_check import check_modes


def close(got, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


def _entries(args, positions):
    """(position, path, index) of every float entry of the arguments at `positions`."""
    for p in positions:
        for path, leaf in progen.leaves(args[p]):
            for j in (np.ndindex(np.shape(leaf)) if isinstance(leaf, np.ndarray) else [None]):
                yield p, path, j


def _shifted(args, positions, dirs, s, entry, e):
    """args moved by s along the directions `dirs` and by e at one entry (copies)."""
    args = list(args)
    for p, d in zip(positions, dirs):
        args[p] = progen.moved(args[p], d, s)
    p, path, j = entry
    leaf = progen.get_path(args[p], path)
    if j is None:
        args[p] = progen.set_path(args[p], path, type(leaf)(float(leaf) + e))
    else:
        moved = np.array(leaf, dtype=np.float64)
        moved[j] += e
        args[p] = progen.set_path(args[p], path, moved)
    return args


def numeric_hvp(f, args, positions, dirs, h=1e-4):
    """H v (flat, entries in the order of progen.leaves) by mixed central differences of f:
    [f(x + h e_k + h v) - f(x + h e_k - h v) - f(x - h e_k + h v) + f(x - h e_k - h v)] / 4h^2."""
    out = []
    for entry in _entries(args, positions):
        total = 0.0
        for a, b, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
            total += sign * float(f(*_shifted(args, positions, dirs, b * h, entry, a * h)))
        out.append(total / (4 * h * h))
    return np.array(out)


def flat(tree):
    return progen._flat_grad(tree)


# -- 001: hvp of a function with np.max, a dict argument in `wrt` and a dict comprehension ---------------------
# Forward mode refuses the gradient's `_ad.pop_item` (the comprehension's adjoint); the fallback, reverse over
# forward, found no reverse rule for `reduce_jvp` (the tangent of np.max) and fell to forward sweeps, which take
# no dict: an UnsupportedError naming no file or line. Now reduce_jvp and reduce_extreme_vjp have reverse rules.
def max_and_dict(x, y, d):
    m = np.max(y * x)
    cfg = {key: val for key, val in d.items()}
    L = []
    L.append(m)
    return np.sum(cfg['w'] * m) + L[-1] * d['b']


def test_hvp_through_max_with_a_dict_argument():
    x = np.array([-1.289, -1.387, -1.293])
    y = np.array([0.601, 0.257, -0.232])
    d = {'w': np.array([[0.257, -0.662, -1.205], [0.174, -1.057, -0.527]]), 'b': 0.688}
    v = (np.array([0.3, -0.2, 0.5]), np.array([-0.4, 0.1, 0.7]),
         {'w': np.array([[0.2, 0.1, -0.3], [0.4, -0.5, 0.6]]), 'b': -0.9})
    got = ad.hvp(max_and_dict, wrt=("x", "y", "d"))(x, y, d, v)
    close(flat(got), numeric_hvp(max_and_dict, (x, y, d), [0, 1, 2], v))


def max_over_axis(x):
    return np.sum(np.max(x * x[::-1], axis=1) ** 2) + np.max(x) * np.sum(x)


def test_grad_of_grad_through_max_over_an_axis():
    """Reverse over reverse through np.max's adjoint (reduce_extreme_vjp) and reverse over forward through its
    tangent (reduce_jvp), now that both have reverse rules."""
    x = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.6], [0.2, 0.9, -1.5]])
    v = np.array([[0.5, 0.1, -0.2], [0.3, -0.7, 0.4], [0.6, 0.2, -0.1]])
    expected = numeric_hvp(max_over_axis, (x,), [0], [v])
    close(flat(ad.hvp(max_over_axis)(x, v)), expected)
    close(flat(ad.grad(directional_max)(x, v)), expected)


grad_max_over_axis = ad.grad(max_over_axis)


def directional_max(x, v):
    return np.sum(grad_max_over_axis(x) * v)


# -- 002: the derivative templates of np.partition's helpers named a parameter `ans` ---------------------------
# In a template `ans` is the call's result, so `bv = _ad.partition_jvp(g, a, ans, axis)` read partition_vjp's
# own result where the partitioned array was meant: ad.grad of a function calling ad.grad(f) through
# np.partition was silently wrong. The parameters are renamed; the rule table now refuses a template whose
# parameter is called `g` or `ans` (it cannot read it).
def partitioned(x):
    p = np.partition(x * x[::-1] + x, 2)
    return np.sum(p ** 3 * np.array([1.0, 2.0, 3.0, 4.0, 5.0]))


grad_partitioned = ad.grad(partitioned)


def directional_partitioned(x, v):
    return np.sum(grad_partitioned(x) * v)


def test_grad_of_grad_through_partition():
    x = np.array([0.3, -1.2, 0.8, 1.7, -0.4])
    v = np.array([0.5, 0.1, -0.2, 0.3, 0.9])
    expected = numeric_hvp(partitioned, (x,), [0], [v])
    close(ad.grad(directional_partitioned)(x, v), expected)
    close(ad.hvp(partitioned)(x, v), expected)


def test_a_template_parameter_named_like_a_placeholder_is_refused():
    def clash(v, ans):
        return v * ans

    with pytest.raises(ad.ADError, match="placeholder"):
        @ad.defvjp(clash)
        def clash_rule(v, ans):
            bv = g * ans  # noqa: F821 (g: the template's placeholder)


# -- 003: the same fallback (reverse over forward) through np.sort, and where a reverse rule is still missing ---
def sorted_dict(x, d):
    cfg = {key: val for key, val in d.items()}
    return np.sum(np.sort(x * cfg['w']) ** 3 * np.array([1.0, 2.0, 3.0])) * d['b']


def gradient_dict(x, d):
    cfg = {key: val for key, val in d.items()}
    return np.sum(np.gradient(x * cfg['w']) ** 3) * d['b']


def piecewise_dict(x, d):
    cfg = {key: val for key, val in d.items()}
    y = x * cfg['w']
    return np.sum(np.piecewise(y, [y < 0.0, y >= 0.0], [lambda t: t ** 2, lambda t: t ** 3]) ** 3) * d['b']


X3 = np.array([0.3, -1.2, 0.8])
D3 = {'w': np.array([1.5, 0.7, -0.3]), 'b': 0.688}
V3 = (np.array([0.4, 0.2, -0.7]), {'w': np.array([-0.3, 0.9, 0.1]), 'b': 0.5})


def test_hvp_through_sort_with_a_dict_argument():
    """sort_jvp and sort_vjp have reverse rules (each the other's transpose)."""
    got = ad.hvp(sorted_dict, wrt=("x", "d"))(X3, D3, V3)
    close(flat(got), numeric_hvp(sorted_dict, (X3, D3), [0, 1], V3))


def test_hvp_through_gradient_with_a_dict_argument():
    """np.gradient's tangent helper has a reverse rule now (issue 9: gradient_jvp and gradient_vjp are each
    other's transpose): reverse over forward goes through it."""
    got = ad.hvp(gradient_dict, wrt=("x", "d"))(X3, D3, V3)
    close(flat(got), numeric_hvp(gradient_dict, (X3, D3), [0, 1], V3))


def test_piecewise_function_pieces_with_a_dict_argument_are_refused():
    """np.piecewise's tangent helpers have reverse rules now (issue 9), so reverse over forward reaches the
    helpers themselves, which refuse function pieces as the first-order gradient does (never a wrong value)."""
    with pytest.raises(ad.ADError, match="function pieces"):
        ad.grad(piecewise_dict, wrt=("x", "d"))(X3, D3)
    with pytest.raises(ad.ADError, match="function pieces"):
        ad.hvp(piecewise_dict, wrt=("x", "d"))(X3, D3, V3)


# -- 004: reverse over reverse through the helpers cutting an adjoint into pieces --------------------------------
# (explore --mode hessian: `split_along` (np.concatenate), `unstack` (np.stack) and `stack_family_vjp`
# (np.vstack, hstack, column_stack) had no reverse rule, so ad.grad of a function calling ad.grad(f) through
# them was refused; each now has one, computed from where the cut sends every entry: selection_transpose.)
def joined(x, s):
    a = np.concatenate([x * s, np.sin(x)], axis=1)
    b = np.stack([x ** 2, x * s], axis=1)
    c = np.column_stack([x[:, 0], s * x[:, 1]])
    d = np.hstack([s * s, x[0] * s])
    e = np.concatenate([x, x ** 2], axis=None)
    f = np.vstack([x[0], x[1] ** 2, x[0] * x[1]])
    return (np.sum(a ** 3) + np.sum(b ** 3) + np.sum(c ** 2 * c[::-1]) + np.sum(d ** 3) + np.sum(np.cos(e))
            + np.sum(f ** 2 * f[::-1]))


grad_joined = ad.grad(joined, wrt=(0, 1))


def directional_joined(x, s, v):
    gx, gs = grad_joined(x, s)
    return np.sum(gx * v[0]) + gs * v[1]


def test_grad_of_grad_through_concatenate_stack_and_vstack():
    x = np.array([[0.3, -1.2], [0.8, 0.5]])
    v = (np.array([[0.4, 0.2], [-0.7, 0.3]]), -0.6)
    expected = numeric_hvp(joined, (x, 0.7), [0, 1], v)
    close(flat(ad.grad(directional_joined, wrt=(0, 1))(x, 0.7, v)), expected)
    close(flat(ad.hvp(joined, wrt=(0, 1))(x, 0.7, v)), expected)


def test_exported_grad_of_grad_through_concatenate(tmp_path):
    """The new helper is copied into an exported module with the helpers it calls (no package import)."""
    import importlib.util
    x = np.array([[0.3, -1.2], [0.8, 0.5]])
    v = (np.array([[0.4, 0.2], [-0.7, 0.3]]), -0.6)
    gg = ad.grad(directional_joined, wrt=(0, 1))
    path = tmp_path / "exported_joined.py"
    ad.export(gg, str(path), args=(x, 0.7, v))
    spec = importlib.util.spec_from_file_location("exported_joined", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    close(flat(getattr(module, gg.__name__)(x, 0.7, v)), numeric_hvp(joined, (x, 0.7), [0, 1], v))


# -- 005: hvp through np.minimum / np.maximum / max of numbers in a loop crashed -----------------------------
# (explore --mode hvp seed 41: 5 crashes "'float' object does not support item assignment".) The gradient
# passes its consumed adjoint as the buffer of the masking helper (`_ad.min_vjp(bt1, s, 0.5, out=bt1)`, written
# into only when it is a float array of the result's shape); read again by the hvp's tangent sweep, it became a
# store `bt1[...] = t` into a number. Now those helpers are read as the pure calls they are.
def minimum_in_loop(s, W):
    for i in range(1, 3):
        W = W + np.minimum(s, 0.5) * s
    return np.sum(W ** 2)


def maximum_into_rows(y):
    v = y * 1.0
    z = 0.0
    for i in range(3):
        v[1:] = np.maximum(y[1], z) * y[1:]
    return np.sum(v ** 2)


def builtin_max_of_numbers(s):
    tot = 1.0
    for i in range(2):
        tot *= max(s, np.minimum(s, 0.5)) * s
    return tot


def masked_array_adjoint(x):
    return np.sum(np.maximum(x * x[::-1], 0.1) ** 2) + np.sum(np.abs(x) ** 3)


W5 = np.array([[-0.853, 1.183, 0.407], [-0.228, 1.315, -1.339]])


@pytest.mark.parametrize("f, args, v", [
    (minimum_in_loop, (0.417, W5), 0.7),
    (maximum_into_rows, (np.array([0.939, 1.341, -0.909, -1.251]),), np.array([0.3, -0.5, 0.2, 0.9])),
    (builtin_max_of_numbers, (0.421,), 0.8),
    (masked_array_adjoint, (np.array([0.9, -0.4, 0.35, 1.2]),), np.array([0.3, -0.5, 0.2, 0.9])),
], ids=lambda a: getattr(a, "__name__", ""))
def test_hvp_through_masking_helpers_given_their_adjoints_buffer(f, args, v):
    expected = numeric_hvp(f, args, [0], [v])
    close(np.ravel(ad.hvp(f)(*args, v)), expected)
    close(np.ravel(ad.jacfwd(ad.grad(f))(*args) @ np.ravel(v) if np.ndim(args[0]) else
                   ad.hessian(f)(*args) * v), expected)


# -- 006: the builtins max/min of numbers in an hvp that falls back to reverse over forward ------------------
# (explore --mode hvp seed 41: 70 refusals "no derivative is known for `_ad.builtin_extreme_jvp`".) Forward
# mode refuses this gradient's in-place row updates; the fallback differentiates f's tangent in reverse, where
# the tangent of max(a, b) (builtin_extreme_jvp) had no rule. It and builtin_extreme_vjp now have reverse
# rules, each the other's transpose.
def scaled_rows(x, y):
    vec = y.copy()
    s = x[1] * np.sum(x[:2] * vec[2:])  # (read before vec changes: the gradient undoes the changes for its adjoint)
    vec[1:].fill(0.5)
    for i in range(3):
        vec[i] *= s
    P = x * min(s, 1.0) + max(x[2], s, 0.1) ** 2
    return np.sum(vec ** 2) + np.sum(P ** 2)


def builtin_extremes(x, s):
    m = max(s * x[0], x[1] ** 2, 0.1)
    n = min([x[2] * s, s ** 2])
    return np.sum(x ** 2) * m + n ** 3 + min(s, 1.0) ** 2


grad_builtin_extremes = ad.grad(builtin_extremes, wrt=(0, 1))


def directional_builtin_extremes(x, s, v):
    gx, gs = grad_builtin_extremes(x, s)
    return np.sum(gx * v[0]) + gs * v[1]


jvp_scaled_rows = ad.jvp(scaled_rows)


def tangent_of_scaled_rows(x, y, v):
    return jvp_scaled_rows(x, y, v)[1]


def test_hvp_through_builtin_max_by_reverse_over_forward():
    x = np.array([1.565, 0.376, 0.836])
    y = np.array([-1.186, -1.138, 0.712, 1.384])
    v = np.array([0.4, 0.2, -0.7])
    h = ad.hvp(scaled_rows)
    close(h(x, y, v), numeric_hvp(scaled_rows, (x, y), [0], [v]))
    # reverse over forward itself: the gradient of f's tangent (ad.hvp took it while forward mode refused this
    # gradient's code: a view made again in a loop, followed since by alias_domain.keep_makings)
    close(ad.grad(tangent_of_scaled_rows)(x, y, v), numeric_hvp(scaled_rows, (x, y), [0], [v]))


def test_grad_of_grad_through_builtin_max_and_min():
    x = np.array([0.3, -1.2, 0.8])
    v = (np.array([0.4, 0.2, -0.7]), -0.6)
    expected = numeric_hvp(builtin_extremes, (x, 0.7), [0, 1], v)
    close(flat(ad.grad(directional_builtin_extremes, wrt=(0, 1))(x, 0.7, v)), expected)


# -- 007: hvp of generated code where a list bound on some paths holds an array changed in place -------------
# (explore --mode hvp seed 42: 3 crashes, UnboundLocalError in the tangent of the gradient, then a ValueError.)
# The gradient binds `t3 = [x_1, x_1]` under `if t2:` only and later changes x_1 in place; read again, the
# alias pass gave the list its new value with `t3_4 = t3` on every path (user code gets a located refusal
# here; generated code lets a value bound on some paths be read under the same condition). Now the refresh
# of such a holder is refused at the generated line and hvp takes reverse over forward, where
# `_ad.fit_shape` of a list adjoint (the adjoint of a copied list) failed in np.shape: a list is kept.
def list_in_untaken_branch(x):
    m, acc = (1.0, 1.0)
    if np.max(x) < 1.0:
        acc -= [x, x]
    x[:] = x
    return acc + np.sum(x ** 3)


def list_of_changed_rows(x):
    outs = [np.concatenate([np.concatenate([np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3)])[:1],
                            np.concatenate([np.ones((2, 3))[:1], np.arange(6.0).reshape(2, 3)[1:]])[1:]]
                           ).reshape(3, 2), x, x]
    h = outs[0]
    if np.sum(x) > 0.0:
        h *= h
    h[:] = h
    ps = [x, x, (outs, 1.0)]
    s, val = ps[-1]
    return val * np.sum(x ** 3)


def stacked_in_untaken_branch(s):
    c = np.zeros(3)
    c[1:] = np.dot(np.linspace(c, s, 2), c)
    out = s ** 3 if np.max(c) < 2.0 else np.stack([c, c])
    c[0] += s
    return out


@pytest.mark.parametrize("f, x, v", [
    (list_in_untaken_branch, np.array([-1.371, 0.229, 1.278]), np.array([0.3, -0.5, 0.2])),
    (list_of_changed_rows, np.array([-1.249, 1.294, -0.614]), np.array([0.3, -0.5, 0.2])),
    (stacked_in_untaken_branch, 0.262, 0.7),
], ids=lambda a: getattr(a, "__name__", ""))
def test_hvp_with_a_list_bound_on_some_paths_holding_a_changed_array(f, x, v):
    expected = numeric_hvp(f, (x,), [0], [v])
    close(np.ravel(ad.hvp(f)(np.copy(x) if np.ndim(x) else x, v)), expected)


# -- 008: grad of grad through an item added to a list adjoint (explore --mode hessian seed 43 #93) -----------
# `_ad.add_at(bparts, 1, bout)` adds to one entry of a list's adjoint; the second reverse sweep called
# store_adjoint_vjp with that list, where np.result_type read the list of numbers as a dtype: TypeError
# "Field elements must be 2- or 3-tuples". It now builds zeros like the list holding g at the index.
def appended_parts(s):
    parts = []
    for i in range(3):
        parts.append(s * (i + 1.0))
    L = parts[1]
    return np.sum(np.array(parts)) * parts[1] + L ** 3


grad_appended_parts = ad.grad(appended_parts)


def directional_appended_parts(s, v):
    return np.sum(grad_appended_parts(s) * v)


def test_grad_of_grad_through_a_list_adjoint_entry():
    expected = numeric_hvp(appended_parts, (-0.842,), [0], [0.7])
    close(ad.grad(directional_appended_parts)(-0.842, 0.7), expected[0])


# -- explore --mode all seed 2424 #160: hvp silently wrong. The gradient's `t1 = -x_1` then `x_1[...] = t7`:
# forward mode folded the tangent's negation (dt1 = -dx_1) into its use after dx_1 was changed in place --------
def negation_then_store_into_its_operand(x):
    x[1] += 1.0
    y = x
    y *= -x
    return np.sum(y * x)


def test_hvp_negation_read_after_its_operand_changes_in_place():
    x = np.array([-1.199, 0.52, 1.045])
    v = np.array([0.3, 0.5, -0.2])
    x1 = x.copy()
    x1[1] += 1.0  # f(x) = sum((x + e1) ** 4): its Hessian is diag(12 (x + e1) ** 2)
    np.testing.assert_allclose(ad.hvp(negation_then_store_into_its_operand)(x.copy(), v), 12 * x1 ** 2 * v,
                               rtol=1e-10)
    check_modes(negation_then_store_into_its_operand, (x,), 0, modes=("grad", "jvp", "hvp"))


# -- explore --mode all seed 2424 #258 / #400: grad of grad crashed (UnboundLocalError): the gradient tests
# `t4 = not t1` before its adjoint's `if t4:`, under which it reads a value of the forward sweep's `else` of `if t1:`
def branch_never_taken_with_its_own_value(x, y):
    u = 1
    if y[1]:
        pass
    else:
        u = np.square(x[1.0])  # (never runs here: a float index would raise)
    return u + np.sum(x * x)


def test_grad_of_grad_through_a_negated_test():
    x = np.array([0.604, 1.18, 0.414])
    y = np.array([-0.694, -1.392, -0.572])
    v = np.array([0.3, 0.5, -0.2])

    def directional(x, y):
        return np.sum(ad.grad(branch_never_taken_with_its_own_value)(x, y) * v)

    np.testing.assert_allclose(ad.grad(directional)(x, y), 2.0 * v, rtol=1e-12)  # (the Hessian is 2 I)


# -- explore --mode all seed 2424 #812: reverse over reverse (ad.grad of a function calling ad.grad(f)) gave
# zeros; ad.hvp and ad.hessian were right. The gradient's `_ad.add` of two list adjoints was taken for "an array
# or a scalar", so the second sweep added to its item with `bb[0] += ...`: a list concatenated. Fixed with #285.
def pairs_then_item_changed_in_place(x):
    tot = 1.0
    prs = [(x, tot), (x, x), (x, tot)]
    for a, b in prs:
        x = x + a * b
    hs = [x, prs]
    item = hs[:1][0]
    item *= 0.5
    return np.stack(hs[:1]).sum()


def test_grad_of_grad_through_pairs_and_an_item_changed_in_place():
    x = np.array([-1.231, 0.436, -0.443])
    v = np.array([0.3, 0.5, -0.2])

    def directional(x):
        return np.sum(ad.grad(pairs_then_item_changed_in_place)(x) * v)

    np.testing.assert_allclose(ad.grad(directional)(x.copy()), v, rtol=1e-10)  # (f = sum(3x + x^2) / 2: H = I)


def test_hvp_and_hessian_through_pairs_and_an_item_changed_in_place():
    x = np.array([-1.231, 0.436, -0.443])
    v = np.array([0.3, 0.5, -0.2])
    np.testing.assert_allclose(ad.hvp(pairs_then_item_changed_in_place)(x.copy(), v), v, rtol=1e-10)
    np.testing.assert_allclose(ad.hessian(pairs_then_item_changed_in_place)(x.copy()), np.eye(3), atol=1e-12)


# -- explore --mode all seed 2727 #285 (already on stop 17's code): reverse over reverse was half the right
# value. A loop over a list of (number, array) pairs whose start value is read from the list, then a loop of
# np.maximum. The gradient's `bprs = _ad.add(bt4, ...)` (two list adjoints) had the kind "an array or a scalar"
# (the fallback for a library call), so the adjoint of `bt1 = bprs[0]` was `bbprs[0] += bbt1`: the list
# [0, 0] + [0, g] concatenated, g read from the wrong place. `_ad.add` now has a container's kind (alias_calls).
def start_read_from_the_pairs(s):
    prs = [(1.0, s), (1.0, s)]
    c = prs[0][0]
    for a, b in prs:
        c = c + a * b
    for i in range(3):
        c = np.maximum(c, np.sin(c))
    return c


DERIVATIVE_OF_START_READ_FROM_THE_PAIRS = ad.grad(start_read_from_the_pairs)


def slope_of_start_read_from_the_pairs(s):
    return DERIVATIVE_OF_START_READ_FROM_THE_PAIRS(s) * 1.0


def test_grad_of_grad_through_pairs_read_for_the_start_value():
    s = -0.755
    expected = numeric_grad(slope_of_start_read_from_the_pairs, (s,), 0)
    np.testing.assert_allclose(ad.grad(slope_of_start_read_from_the_pairs)(s), expected, rtol=1e-6)


def test_hvp_through_pairs_read_for_the_start_value():
    s = np.array([-0.755])
    g, eps = ad.grad(start_read_from_the_pairs), 1e-6
    expected = (g(s + eps) - g(s - eps)) / (2 * eps)
    np.testing.assert_allclose(ad.hvp(start_read_from_the_pairs)(s, np.array([1.0])), expected, rtol=1e-6)


# -- `+` and `*` of a recursive call's result (its kind not known when compiling) were arithmetic in reverse
# mode: a concatenation of lists of arrays got the sum of the pieces' adjoints (found writing
# test_forward_recursion.py); now told apart when the derivative runs (_ad.plus, _ad.times)
def split_leaves(x, n):
    if n == 0:
        return [x]
    return split_leaves(x * 0.5, n - 1) + split_leaves(np.cos(x), n - 1)


def weighted_leaves(x):
    parts = split_leaves(x, 2)
    return sum(np.sum(p) * (k + 1.0) for k, p in enumerate(parts))


def repeated_leaves(x, n):
    if n == 0:
        return [np.sin(x)]
    return repeated_leaves(x, n - 1) * 2


def weighted_repeats(x):
    parts = repeated_leaves(x, 2)
    return sum(np.sum(p) * (k + 1.0) for k, p in enumerate(parts))


def products_of_leaves(x):
    a = split_leaves(x, 1)
    return np.sum(a[0] * a[1]) + np.sum(split_leaves(x, 0)[0] * repeated_leaves(x, 0)[0])


@pytest.mark.parametrize("f", [weighted_leaves, weighted_repeats, products_of_leaves])
def test_plus_and_times_of_recursive_results_lists_or_arrays(f):
    x = np.array([0.3, -0.4])
    np.testing.assert_allclose(ad.grad(f)(x), numeric_grad(f, (x,), 0), rtol=1e-6, atol=1e-8)
    check_modes(f, (x,), modes=("jvp", "hvp"))


# -- an item of a recursive call's result (a tuple of lists) was taken for an array: `a + b` of two of them was
# arithmetic in reverse mode (alias_values: an item of a value of unknown kind is of unknown kind)
def two_lists(x, n):
    if n == 0:
        return [x], [np.sin(x)]
    a, b = two_lists(x * 0.5, n - 1)
    return a + [x], b


def joined_lists(x):
    a, b = two_lists(x, 2)
    parts = a + b
    return sum(np.sum(p) * (k + 1.0) for k, p in enumerate(parts))


def test_items_of_a_recursive_result_joined():
    x = np.array([0.3, -0.4])
    np.testing.assert_allclose(ad.grad(joined_lists)(x), numeric_grad(joined_lists, (x,), 0), rtol=1e-6, atol=1e-8)
    check_modes(joined_lists, (x,), modes=("jvp", "hvp"))
