"""Control flow, loops and in-place updates, each checked against central finite differences."""
import importlib.util
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ad_compiler as ad
from fd import check_grad

rng = np.random.default_rng(7)


def A(*shape):
    return rng.standard_normal(shape)


# -- branches ----------------------------------------------------------------------------------------
def branches(x):
    if np.sum(x) > 0:
        y = x * 2.0
    elif np.sum(x) < -1:
        y = np.sin(x)
    else:
        y = x**3
    return np.sum(y * x)


@pytest.mark.parametrize("x", [np.array([1.0, 0.5, 0.2]), -np.ones(3), np.array([-0.1, 0.05, -0.2])])
def test_if_elif_else_on_array_values(x):
    check_grad(branches, (x,), wrt=0)


def conditional_expression(x, y):
    z = x * y if x > y and not y < -5.0 else x - y
    return z * z


@pytest.mark.parametrize("x, y", [(1.5, 0.5), (0.5, 1.5), (2.0, -6.0)])
def test_conditional_expression_and_boolean_operators(x, y):
    check_grad(conditional_expression, (x, y), wrt=(0, 1))


def chained_comparison(x):
    if 0.0 < x < 1.0:
        return x * x
    return math.sin(x)


@pytest.mark.parametrize("x", [0.5, 1.5, -0.5])
def test_comparison_chains_and_early_return(x):
    check_grad(chained_comparison, (x,), wrt=0)


def branch_defines_only_in_one(x):
    y = x
    if np.sum(x) > 0:
        y = np.exp(x)
    return np.sum(y)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_branch_without_else(sign):
    check_grad(branch_defines_only_in_one, (sign * np.abs(A(3)),), wrt=0)


# -- loops ----------------------------------------------------------------------------------------------
def range_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
        s *= x
    return s


@pytest.mark.parametrize("n", [0, 1, 5])
def test_for_range_including_empty(n):
    check_grad(range_loop, (1.1, n), wrt=0)


def range_with_step(x):
    s = x * 0.0
    for i in range(7, 1, -2):
        s = s + np.sin(x * i)
    for j in range(3, 3):
        s = s * 100.0
    return np.sum(s)


def test_range_start_stop_negative_step_and_zero_trip():
    check_grad(range_with_step, (A(3),), wrt=0)


def over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s


def test_loop_over_array_rows():
    check_grad(over_rows, (A(4, 3), A(3)), wrt=(0, 1))


def over_list_enumerate_zip(a, b):
    total = 0.0
    for i, (u, v) in enumerate(zip(a, b)):
        total = total + np.sum(u * v) * (i + 1)
    for c in [1.0, 2.0]:
        total = total * c
    for c in (a, b):
        total = total + np.sum(c)
    return total


def test_enumerate_zip_lists_and_tuples():
    check_grad(over_list_enumerate_zip, (A(3, 2), A(3, 2)), wrt=(0, 1))


def data_dependent_while(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + x
    return s


@pytest.mark.parametrize("x", [1.3, 0.7, 20.0])
def test_while_with_data_dependent_condition(x):
    check_grad(data_dependent_while, (x,), wrt=0)


def break_and_continue(x, n):
    s = 0.0
    for i in range(n):
        if i % 3 == 1:
            continue
        if s > 5.0:
            break
        s = s + x * x * i
    return s


@pytest.mark.parametrize("x", [0.3, 1.2])
def test_break_and_continue(x):
    check_grad(break_and_continue, (x, 10), wrt=0)


def nested_with_early_exit(x):
    s = 0.0
    for i in range(4):
        for j in range(i):
            s = s + x[i] * x[j]
            if s > 1.0:
                break
        if s < -2.0:
            break
    return s


def test_nested_loops_with_early_exit():
    for _ in range(3):
        check_grad(nested_with_early_exit, (A(4),), wrt=0)


def loops_in_branches(x, flag):
    if flag > 0:
        for i in range(3):
            x = np.sin(x) + i
    else:
        while np.sum(x) < 5.0:
            x = x + 1.0 + np.abs(x)
    return np.sum(x**2)


@pytest.mark.parametrize("flag", [1.0, -1.0])
def test_loops_inside_branches(flag):
    check_grad(loops_in_branches, (A(3), flag), wrt=0)


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h**2)


def test_recurrent_network_of_50_steps():
    args = (A(4, 5) * 0.3, A(5, 5) * 0.3, A(5) * 0.1, A(50, 2, 4), A(2, 5))
    check_grad(rnn, args, wrt=(0, 1, 2))


def test_recurrent_network_saves_one_state_per_step():
    g = ad.grad(rnn, wrt=(0, 1, 2))
    sizes = []
    original = ad.runtime.new_tape

    class Measured(list):
        def append(self, v):
            sizes.append(getattr(v, "nbytes", 0))
            super().append(v)

    ad.runtime.new_tape = Measured
    try:
        g(A(4, 5), A(5, 5), A(5), A(50, 2, 4), A(2, 5))
    finally:
        ad.runtime.new_tape = original
    assert sum(sizes) <= 50 * 2 * 5 * 8  # at most one hidden state per step, like a hand-written BPTT


# -- in-place updates ----------------------------------------------------------------------------------
def item_updates(x, v):
    y = x.copy()
    y[0] *= 2.0
    y[1:3] = v * x[0]
    y[-1] += np.sum(v)
    y[x > 0.5] = 0.0
    y[[0, 2]] -= x[1]
    y[1] /= 1.0 + x[2] ** 2
    return np.sum(y * y)


def test_item_assignment_and_augmented_item_assignment():
    check_grad(item_updates, (A(5), A(2)), wrt=(0, 1))


def fill_reading_earlier_entries(x):
    out = np.zeros_like(x)
    out[0] = x[0]
    for i in range(1, x.shape[0]):
        out[i] = out[i - 1] * x[i] + x[i]
    return np.sum(out)


def test_fill_an_array_in_a_loop_reading_earlier_entries():
    check_grad(fill_reading_earlier_entries, (A(6),), wrt=0)


def overwrite_active_entries(x):
    y = x * 3.0
    y[1] = np.sin(y[0])
    y[0] = y[1] * y[2]
    return np.sum(y)


def test_overwriting_entries_that_carry_gradient():
    check_grad(overwrite_active_entries, (A(3),), wrt=0)


def accumulate_in_loop(x):
    s = 0.0
    for i in range(4):
        s += x[i] * x[i]
        s -= 0.5 * x[i]
    return s


def test_augmented_assignment_on_names_in_loops():
    check_grad(accumulate_in_loop, (A(4),), wrt=0)


# -- lists ------------------------------------------------------------------------------------------------
def append_then_stack(x, n):
    hs = []
    h = x
    for i in range(n):
        h = np.sin(h) * 1.5
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + np.sum(hs[-1]) + np.sum(sum(hs))


def test_list_append_stack_sum_and_last_element():
    check_grad(append_then_stack, (A(3), 4), wrt=0)


# -- generated code stays readable ------------------------------------------------------------------------
def test_adjoint_of_a_loop_is_a_loop_with_comments():
    src = ad.grad(rnn, wrt=(0, 1, 2)).source
    assert "for t in reversed(range(" in src
    assert "# adjoint of: for t in range(xs.shape[0]):" in src
    assert "# adjoint of: h = np.tanh(xs[t] @ W + h @ U + b)" in src
    compile(src, "<test>", "exec")


# -- random programs ------------------------------------------------------------------------------------------
EXPRS = ["np.sin(s)", "s * x", "np.tanh(s) + y", "s * s * 0.1", "x * 0.5 + y[0]", "np.cos(y) * s",
         "s[::-1] * 0.7", "np.maximum(s, y)"]


def _statement(draw, depth, in_loop):
    """One random statement (lines of source) from the constructs this issue covers."""
    kinds = ["assign", "aug", "item", "itemaug", "append"] + (["if", "for", "while"] if depth < 2 else []) \
        + (["break", "continue"] if in_loop else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "assign":
        return [f"s = {draw(st.sampled_from(EXPRS))}"]
    if kind == "aug":
        return [f"s {draw(st.sampled_from(['+=', '-=', '*=']))} {draw(st.sampled_from(['x', '0.5', 'np.sin(y)']))}"]
    index = draw(st.sampled_from(["0", "1", "-1", "i % 3" if in_loop else "2", "1:3"]))
    if kind == "item":
        value = draw(st.sampled_from(["s[0] * x[1]", "np.sum(s) * 0.1", "0.0", "y[2] * s[1]"]))
        return [f"y[{index}] = {value}"]
    if kind == "itemaug":
        op = draw(st.sampled_from(["+=", "*="]))
        return [f"y[{index}] {op} {draw(st.sampled_from(['s[2]', '0.5', 'x[0] * x[1]']))}"]
    if kind == "append":
        return ["acc.append(np.sum(s * y))"]
    if kind == "break":
        return ["if np.sum(s) > 1.5:", "    break"]
    if kind == "continue":
        return ["if np.sum(y) < -1.0:", "    continue"]
    inner = in_loop or kind in ("for", "while")
    body = [line for _ in range(draw(st.integers(1, 3))) for line in _statement(draw, depth + 1, inner)]
    if kind == "if":
        other = _statement(draw, depth + 1, in_loop)
        return [f"if np.sum(s) > {draw(st.sampled_from(['0.0', '0.3']))}:"] + ["    " + b for b in body] \
            + ["else:"] + ["    " + b for b in other]
    if kind == "for":
        return [f"for i in range({draw(st.integers(0, 3))}):"] + ["    " + b for b in body]
    k = f"k{depth}"
    return [f"{k} = 0", f"while {k} < {draw(st.integers(0, 3))}:", f"    {k} += 1"] + ["    " + b for b in body]


@st.composite
def programs(draw):
    lines = [line for _ in range(draw(st.integers(1, 4))) for line in _statement(draw, 0, False)]
    return ("def f(x):\n    s = x * 1.0\n    y = x.copy()\n    acc = []\n    i = 0\n"
            + "".join("    " + line + "\n" for line in lines)
            + "    return np.sum(s * s) + np.sum(y * y) + sum(acc)\n")


_counter = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs(), st.integers(0, 2**16))
def test_random_programs_match_finite_differences(tmp_path, source, seed):
    path = tmp_path / f"random_program_{next(_counter)}.py"
    path.write_text("import numpy as np\n\n" + source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = np.random.default_rng(seed).uniform(-0.8, 0.8, size=3)
    check_grad(module.f, (x,), wrt=0)


# -- return from inside loops ---------------------------------------------------------------------------
def return_inside_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * x
        if s > 3.0:
            return s * 2.0
    return s


@pytest.mark.parametrize("x", [0.5, 1.5])
def test_return_from_inside_a_loop(x):
    check_grad(return_inside_loop, (x, 5), wrt=0)


def return_inside_nested_loops(x):
    for i in range(3):
        j = 0
        while j < 3:
            x = x * 1.1
            if x > 2.0:
                return x * i
            j += 1
    return -x


@pytest.mark.parametrize("x", [0.5, 1.9, 0.1])
def test_return_from_inside_nested_loops(x):
    check_grad(return_inside_nested_loops, (x,), wrt=0)
