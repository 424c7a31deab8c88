"""A name that is one of several arrays the function made (it depends on the path taken), changed in place
while other names or containers see them: each other holder gets the new value if it is that very array
(alias_several.py), on every path, in every mode, against central differences."""
import numpy as np
import pytest

import ad_compiler as ad
from modes_check import check_modes

X = np.array([0.3, -0.7, 0.5])
MODES = ("grad", "jvp", "hvp")


def check_hvp_right_or_refused(f, args):
    """grad and jvp right; hvp right, or refused at a line of the generated code it reads (the tangent code
    changes a tangent of one of several arrays in place, which the nested derivative refuses)."""
    check_modes(f, args, modes=("grad", "jvp"))
    try:
        check_modes(f, args, modes=("hvp",))
    except ad.ADError as e:
        assert "line" in str(e)


def chosen_by_expression(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    z[0] = x[1] ** 2
    return np.sum(a ** 2) + np.sum(b * 3.0) + np.sum(z * x)


def chosen_in_branches_augmented(x, c):
    a = x * x
    b = np.cos(x)
    if c > 0:
        z = a
    else:
        z = b
    z += x[2] * 3.0
    z *= x
    return np.sum(a * x) + np.sum(b ** 3) + np.sum(z)


def loop_carried_with_dict(x, c):  # (explore seed 3737 #146: a loop that may not run, a dict holding it)
    h = np.tanh(x * 1.5)
    for i in range(3):
        if i >= c:
            break
        h = h * 0.5 + x[0]
    cfg = {"w": h}
    h += np.exp(x[1])
    return np.sum(h * x) + np.sum(cfg["w"] * x)


def list_holds_one_candidate(x, c):
    a = x * 3.0
    b = x ** 2
    keep = [a, b * 1.0]
    z = b if c > 0 else a
    z[1:] = np.sin(z[:-1])
    return np.sum(keep[0] ** 2) + np.sum(keep[1] * x) + np.sum(a * b) + np.sum(z)


def alias_read_after(x, c):
    a = x + 1.0
    b = x * x
    y = a  # (the same value as a: an alias of one candidate)
    z = a if c > 0 else b
    z[2] = z[0] * x[1]
    return np.sum(y * x) + np.sum(b * 2.0) + np.sum(a ** 2)


def chosen_in_a_loop(x, c):
    a = x * 1.0
    b = x * 2.0
    total = 0.0
    for i in range(3):
        z = a if (i + c) % 2 > 0.5 else b
        z[i] = z[i] * x[i] + 0.1
        total = total + np.sum(a * b)
    return total + np.sum(a) + np.sum(b ** 2)


def swapped_in_a_loop(x, c):
    a = x * 2.0
    b = np.sin(x)
    for i in range(3):
        a, b = b, a
        z = a if c > 0 else b
        z[i] += x[0] * x[i]
    return np.sum(a * x) + np.sum(b ** 2)


def view_changed_after_its_base(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    w = z[:2]
    z[0] = x[1] * 3.0
    w[1] = w[0] * x[2]
    return np.sum(a * x) + np.sum(b ** 2) + np.sum(w) + np.sum(z ** 2)


@pytest.mark.parametrize("c", [1.0, -1.0])
@pytest.mark.parametrize("f", [swapped_in_a_loop, view_changed_after_its_base, chosen_by_expression, chosen_in_branches_augmented, list_holds_one_candidate,
                               alias_read_after])
def test_changed_array_chosen_by_a_branch(f, c):
    check_modes(f, (X.copy(), c), modes=MODES)


@pytest.mark.parametrize("c", [0, 2, 3])
def test_changed_array_that_a_loop_may_have_replaced(c):
    check_modes(loop_carried_with_dict, (X.copy(), c), modes=MODES)


@pytest.mark.parametrize("c", [0.0, 1.0])
def test_changed_array_chosen_in_each_iteration(c):
    check_modes(chosen_in_a_loop, (X.copy(), c), modes=MODES)


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_changed_view_of_the_chosen_array(c):
    check_modes(view_of_the_chosen_array, (X.copy(), c), modes=MODES)


@pytest.mark.parametrize("c", [1.0, -1.0, 0.0])
def test_changed_view_kept_in_lists(c):
    check_hvp_right_or_refused(view_kept_in_lists, (X.copy(), c))


@pytest.mark.parametrize("c", [0, 1, 2])
def test_changed_rows_of_an_array_a_loop_may_have_replaced(c):
    W = np.array([[0.3, -0.7, 0.5], [1.1, 0.2, -0.4]])
    check_hvp_right_or_refused(rows_of_an_array_a_loop_may_have_replaced, (W, c))


def view_of_the_chosen_array(x, c):  # (explore seed 3737 #412: `out = c[1:]` of a function chosen when it runs)
    a = np.sin(x) * x
    b = x * 3.0
    z = a if c > 0 else b
    v = z[1:]
    v += np.log(np.abs(z[0]) + 0.5)
    v[0] = v[1] * x[0]
    return np.sum(a ** 2) + np.sum(b * x) + np.sum(z * x) + np.sum(v)


def view_kept_in_lists(x, c):  # (explore seed 3737 #412: `hs = [out]`, then `out += 1`)
    a = np.sin(x) * x
    b = x * 3.0
    z = a if c > 0 else b
    out = z[1:]
    other = a[:1] * 2.0
    hs = [out, other]
    keep = {"o": out if c < 0.5 else other}
    out += x[0]
    out[0] = out[1] * x[2]
    return np.sum(hs[0] ** 2) + np.sum(keep["o"] * x[1:2]) + np.sum(a) + np.sum(b * x) + np.sum(z * x)


def rows_of_an_array_a_loop_may_have_replaced(W, c):  # (explore seed 3838 #155: `for row in M: row[0] = ...`)
    M = W * 1.0
    for i in range(2):
        if i >= c:
            break
        M = M * 0.5 + np.sin(W)
    keep = {"m": M}
    for row in M:
        row[0] = -W[0, 1] * row[1]
        row *= np.cos(W[1, 0])
    return np.sum(M * W) + np.sum(keep["m"] ** 2)


def view_of_a_candidate_read_after(x, c):
    a = x * 2.0
    b = np.sin(x)
    v = a[1:]
    z = a if c > 0 else b
    z[1] = 0.0
    return np.sum(v * x[:2]) + np.sum(b) + np.sum(z)


def candidate_is_a_view(x, c):
    m = np.outer(x, x)
    b = np.sin(x)
    z = m[0] if c > 0 else b
    z[1] = 0.0
    return np.sum(m) + np.sum(b) + np.sum(z)


@pytest.mark.parametrize("f", [view_of_a_candidate_read_after, candidate_is_a_view])
def test_views_of_the_candidates_stay_refused(f):
    with pytest.raises(ad.ADError, match="one of several arrays"):
        ad.grad(f)(X.copy(), 1.0)


def another_view_of_a_candidate_seen(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    v = z[1:]
    w = z[:2]
    v[0] = x[0]
    return np.sum(w * x[:2]) + np.sum(a) + np.sum(v)


def base_rebound_after_the_view(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    v = z[1:]
    z = x * 3.0
    v[0] = x[0]
    return np.sum(z) + np.sum(a) + np.sum(b) + np.sum(v)


def chosen_array_changed_while_its_view_is_seen(x, c):  # (explore seed 3737 #110)
    a = np.outer(x, x[:2])
    b = np.sin(a)
    z = a if c > 0 else b
    col = z[:, 0]
    col *= col
    z[-1] += x[:2]
    return np.sum(col * x) + np.sum(z ** 2) + np.sum(a) + np.sum(b * 2.0)


@pytest.mark.parametrize("c", [1.0, -1.0])
@pytest.mark.parametrize("f", [another_view_of_a_candidate_seen, chosen_array_changed_while_its_view_is_seen])
def test_other_views_of_the_chosen_array_made_again(f, c):
    check_modes(f, (X.copy(), c), modes=MODES)


def view_of_one_candidate_and_of_the_chosen(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    u = a[:2]
    v = z[1:]
    v[0] = x[0]
    return np.sum(u * x[:2]) + np.sum(b) + np.sum(v)


def candidates_in_a_nested_container(x, c):
    a = x * 2.0
    b = np.sin(x)
    z = a if c > 0 else b
    d = {"in": [a, b]}
    z[0] = x[2] ** 2
    return np.sum(d["in"][0] * x) + np.sum(d["in"][1] ** 2)


def reshape_of_the_chosen_array(x, c):
    a = np.outer(x, x)
    b = np.sin(a)
    z = a if c > 0 else b
    r = z.reshape(-1)
    r[0] = x[1]
    return np.sum(a * 2) + np.sum(b ** 2) + np.sum(z)


@pytest.mark.parametrize("f", [view_of_one_candidate_and_of_the_chosen, base_rebound_after_the_view,
                               candidates_in_a_nested_container, reshape_of_the_chosen_array])
def test_views_of_one_of_several_arrays_stay_refused_where_not_exact(f):
    with pytest.raises(ad.ADError, match="one of several arrays"):
        ad.grad(f)(X.copy(), 1.0)


ACTS = [np.tanh, np.sin]


def chosen_from_a_table_of_functions(x, c, d):  # (explore seed 3838 #455: `H = ACTS[k](...)`, `parts = [H]`)
    dd = {key: val * x[0] for key, val in d.items()}  # (an array or a number, as far as the compiler knows)
    H = ACTS[int(abs(c) * 10) % 2](np.square(dd["w"]))
    H[:, 0] *= x[2] / 0.25
    parts = [H]
    H[-1] += H[0]
    return np.sum(np.sin(H)) + np.sum(parts[0] * x[1])


@pytest.mark.parametrize("c", [0.05, 0.15])
def test_changed_result_of_a_function_chosen_from_a_table(c):
    d = {"w": np.array([[0.4, -0.2], [0.9, 0.3], [-0.5, 0.6]])}
    check_modes(chosen_from_a_table_of_functions, (X.copy(), c, d), modes=MODES)


def test_holders_bound_alike_on_both_paths_are_one_line():
    """`if a is z: a_2 = a else: a_2 = a` (bookkeeping of the forward sweep: both paths alike) is printed as
    `a_2 = a` or not at all (clean-up); the gradient stays right."""
    g = ad.grad(chosen_by_expression)
    check_modes(chosen_by_expression, (X, 1.0), modes=("grad",))
    lines = [line.strip() for line in g.source.splitlines()]
    alike = [i for i in range(len(lines) - 3) if lines[i].startswith("if ") and lines[i + 2] == "else:" and
             lines[i + 1] == lines[i + 3]]
    assert not alike, [lines[i:i + 4] for i in alike]
    g(X, 1.0)
