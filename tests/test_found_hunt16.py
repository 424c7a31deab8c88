"""Regressions found by hunt 16 (values that come back from code the compiler does not follow: functions with
rules, functions given to library calls), against central differences: right or refused at a line of this
file, never a wrong value (/work/hunt16/findings.md)."""
import functools

import numpy as np
import pytest
from scipy.integrate import odeint, solve_ivp

import ad_compiler as ad
from fd import numeric_grad

X = np.array([0.3, -0.5, 0.8])
W = np.array([[0.6, 0.1, 0.1], [0.1, 0.6, 0.1], [0.1, 0.1, 0.6]])


class Box:
    def __init__(self, w):
        self.w = w


def tail_of(a):
    return a[1:]


@ad.defvjp(tail_of)
def _tail_of_rule(a):
    ba = np.concatenate([np.zeros(1), g])  # noqa: F821 (the template's adjoint of the result)


def pair_of(a, b):
    return [a, b]


@ad.defvjp(pair_of)
def _pair_of_rule(a, b):
    ba = g[0]  # noqa: F821
    bb = g[1]  # noqa: F821


def passthrough(a):
    return a


@ad.defvjp(passthrough)
def _passthrough_rule(a):
    ba = g  # noqa: F821


def store_after_a_rule_returned_a_view(x, W):
    y = x * 1.0
    v = tail_of(y)
    y[1] = 5.0
    return np.sum(v * x[1:])


def store_after_a_rule_returned_a_list(x, W):
    y = x * 1.0
    L = pair_of(y, W[0] * 1.0)
    y[0] = 5.0
    return np.sum(L[0] * L[1] * x)


def store_after_reading_an_attribute_of_a_rules_result(x, W):
    y = x * 1.0
    z = passthrough(Box(y)).w
    y[0] = 5.0
    return np.sum(z * x)


def sets_its_first(r):
    r[0] = 1.0
    return float(r[1])


def sorted_by_a_key_changing_the_rows(x, W):
    rows = [W[0] * x, W[1] * x]
    s = sorted(rows, key=sets_its_first)
    return np.sum(s[0] * s[1])


def sorted_by_a_lambda_calling_it(x, W):
    rows = [W[0] * x, W[1] * x]
    s = sorted(rows, key=lambda r: sets_its_first(r))
    return np.sum(s[0] * s[1])


def rhs_changing_its_matrix(t, y, A):
    A[0, 0] = 0.0
    return A @ y


def solve_ivp_changing_args(x, W):
    A = W * 1.0
    sol = solve_ivp(rhs_changing_its_matrix, (0.0, 0.5), x, args=(A,), rtol=1e-10, atol=1e-10)
    return np.sum(sol.y[:, -1]) + np.sum(A * W)


def rhs_odeint_changing_its_matrix(y, t, A):
    A[0, 0] = 0.0
    return A @ y


def odeint_changing_args(x, W):
    A = W * 1.0
    ys = odeint(rhs_odeint_changing_its_matrix, x, np.array([0.0, 0.5]), args=(A,), rtol=1e-10, atol=1e-10)
    return np.sum(ys[-1]) + np.sum(A * W)


def right_or_refused(f, wrt, mode="grad"):
    args = (X.copy(), W.copy())
    try:
        if mode == "grad":
            got = ad.grad(f, wrt=wrt)(*args)
        else:
            got = ad.jacrev(f, wrt=wrt)(*args)
    except ad.ADError as exc:
        assert exc.where is not None and exc.where.filename.endswith("test_found_hunt16.py"), str(exc)
        return "refused"
    np.testing.assert_allclose(got, numeric_grad(f, [X.copy(), W.copy()], wrt), rtol=1e-6, atol=1e-7)
    return "right"


RULES = [store_after_a_rule_returned_a_view, store_after_a_rule_returned_a_list,
         store_after_reading_an_attribute_of_a_rules_result]


@pytest.mark.parametrize("f", RULES, ids=[f.__name__ for f in RULES])
@pytest.mark.parametrize("mode", ["grad", "jacrev"])
def test_h16_001_a_rules_result_may_be_a_view_or_a_container_of_its_arguments(f, mode):
    """h16-001: a function of the user's with a rule (`ad.defvjp`) returning a view of its argument (`a[1:]`)
    or a list of its arguments was taken for new memory or the argument itself (sh-005's fix: `v is y` tested,
    but a view is neither), and the attribute of its result (`passthrough(Box(y)).w`) for an unknown object:
    the store `y[1] = 5.0` after the call did not reach the result (w.r.t. x: 4.5 for 5.0)."""
    right_or_refused(f, 0, mode)


KEYS = [sorted_by_a_key_changing_the_rows, sorted_by_a_lambda_calling_it, solve_ivp_changing_args,
        odeint_changing_args]


@pytest.mark.parametrize("f", KEYS, ids=[f.__name__ for f in KEYS])
def test_h16_002_a_function_given_to_a_library_call_changing_what_it_is_given(f):
    """h16-002: a function of the user's given to a library call the compiler does not follow (sorted's key,
    an ODE right-hand side changing an array of its `args=`) changed the user's arrays unseen by the
    derivative (the adjoint of `sorted` even calls the key again): wrong w.r.t. x and W. Now refused."""
    assert right_or_refused(f, 1) == "refused"


def key_reading_only(r):
    return float(r[1])


def sorted_by_a_plain_key(x, W):
    rows = [W[0] * x, W[1] * x]
    s = sorted(rows, key=key_reading_only)
    return np.sum(s[0] * s[1])


def rhs_reading(t, y, A):
    return A @ y


def solve_ivp_reading_args(x, W):
    sol = solve_ivp(rhs_reading, (0.0, 0.5), x, args=(W * 1.0,), rtol=1e-10, atol=1e-10)
    return np.sum(sol.y[:, -1])


@pytest.mark.parametrize("f", [sorted_by_a_plain_key, solve_ivp_reading_args])
def test_h16_002_functions_that_only_read_still_work(f):
    assert right_or_refused(f, 0) == "right"


@ad.checkpoint
def same_list(L):
    return L


def list_grown_after_a_checkpointed_call_given_it_by_keyword(x, W):
    L = [x * 1.0]
    z = same_list(L=L)
    L.append(x * 3.0)
    return np.sum(z[-1] * x)


def list_grown_after_a_rule_given_it_by_keyword(x, W):
    L = [x * 1.0]
    z = passthrough(a=L)
    L.append(x * 3.0)
    return np.sum(z[-1] * x)


def list_grown_after_a_rule_given_it_starred(x, W):
    L = [x * 1.0]
    z = passthrough(*(L,))
    L.append(x * 3.0)
    return np.sum(z[-1] * x)


KEYWORD = [list_grown_after_a_checkpointed_call_given_it_by_keyword, list_grown_after_a_rule_given_it_by_keyword,
           list_grown_after_a_rule_given_it_starred]


@pytest.mark.parametrize("f", KEYWORD, ids=[f.__name__ for f in KEYWORD])
def test_h16_003_a_list_given_by_keyword_may_come_back(f):
    """h16-003: the lists a callee compiled on its own (ad.checkpoint, recursion) or a function with a rule may
    return were only those given by position: `z = same_list(L=L)` then `L.append(v)` left z without v for
    the derivative (w.r.t. x: wrong in grad, jacrev, hvp, hessian). Then refused at the append. (The starred
    call was refused already: kept as a guard of the starred items now also taken.) c28-002: the function's own
    alias pass says it returns `L` itself, which the caller follows as `z = L`: right."""
    assert right_or_refused(f, 0) == "right"


from ad_compiler import runtime as rt  # noqa: E402 (the helpers generated code calls, read again by nested)


def store_into_what_unbroadcast_gave_back(x, W):
    g = x * 2.0
    b = rt.unbroadcast(g, x)
    g[0] = 5.0
    return np.sum(b * x)


def store_into_unbroadcasts_result(x, W):
    g = x * 2.0
    b = rt.unbroadcast(g, x)
    b[0] = 5.0
    return np.sum(g * x)


def store_into_what_cast_like_gave_back(x, W):
    g = x * 2.0
    b = rt.cast_like(g, x)
    g[0] = 5.0
    return np.sum(b * x)


HELPERS = [store_into_what_unbroadcast_gave_back, store_into_unbroadcasts_result, store_into_what_cast_like_gave_back]


@pytest.mark.parametrize("f", HELPERS, ids=[f.__name__ for f in HELPERS])
@pytest.mark.parametrize("mode", ["grad", "jacrev"])
def test_h16_004_a_runtime_helper_may_give_back_its_argument(f, mode):
    """h16-004: the alias pass took a runtime helper's result (generated code read again: grad of grad) for new
    memory (alias_calls.runtime_result: "a new value of the kind it gives for small arguments"), but
    `unbroadcast(g, x)` and `cast_like(g, x)` give back g itself where the shapes and dtypes agree: a change
    of either was not seen through the other (wrong in every mode). Now the very argument, maybe: right."""
    assert right_or_refused(f, 0, mode) == "right"


def store_after_dict_get_gave_the_default(x, W):
    y = x * 1.0
    d = {"a": x * 2.0}
    z = d.get("b", y)
    y[0] = 5.0
    return np.sum(z * x)


def store_after_dict_get_of_a_key_given(x, W, k="b"):
    y = x * 1.0
    d = {"a": x * 2.0}
    z = d.get(k, y)
    y[0] = 5.0
    return np.sum(z * x)


GETS = [store_after_dict_get_gave_the_default, store_after_dict_get_of_a_key_given]


@pytest.mark.parametrize("f", GETS, ids=[f.__name__ for f in GETS])
@pytest.mark.parametrize("mode", ["grad", "jacrev"])
def test_h16_005_dict_get_may_give_its_default_itself(f, mode):
    """h16-005: `d.get("b", y)` of a key the dict does not hold is y itself, but the alias pass gave it the
    (empty) slot of the key, and of a key not known when compiling (a string argument) an unknown object: the
    store `y[0] = 5.0` was not seen through z (wrong in every mode). Now the default may be the result: right."""
    assert right_or_refused(f, 0, mode) == "right"


def doubled_then_tripled(h):
    yield h * 2.0
    yield h * 3.0


def first_of_a_generator(x, W):
    g = doubled_then_tripled(x)
    z = next(g)
    return np.sum(z * W[0])


def first_of_a_map(x, W):
    m = map(np.tanh, [x, x * 2.0])
    z = next(m)
    return np.sum(z * W[0])


STEPPED = [first_of_a_generator, first_of_a_map]


@pytest.mark.parametrize("f", STEPPED, ids=[f.__name__ for f in STEPPED])
def test_h16_006_next_of_an_iterator_computed_as_a_list(f):
    """h16-006: a generator's values (and map's) are computed as a list when it is called; `next(g)` of that
    list stopped the derivative with "TypeError: 'list' object is not an iterator" where no derivative went
    through it (w.r.t. W; w.r.t. x it was refused: no rule for `next`). Refused at the line, then (switch)
    made right: the iterator read once, `next(g)` is the list's first item."""
    assert right_or_refused(f, 1) == "right"
    assert right_or_refused(f, 0) == "right"


def sorted_by_a_partial_key_changing_the_rows(x, W):
    rows = [W[0] * x, W[1] * x]
    s = sorted(rows, key=functools.partial(sets_its_first))
    return np.sum(s[0] * s[1])


def second_plus(r, b):
    return float(r[1]) + b


def sorted_by_a_partial_key_reading_only(x, W):
    rows = [W[0] * x, W[1] * x]
    s = sorted(rows, key=functools.partial(second_plus, b=0.5))
    return np.sum(s[0] * s[1])


def test_h16_007_a_partial_given_to_sorted():
    """h16-007: h16-002's check looked at functions given by name only: `key=functools.partial(k)` with k
    changing the rows was silently wrong in every mode. Now the partial's function is checked (with the kinds
    of the values it binds): refused; a partial that only reads is still right."""
    assert right_or_refused(sorted_by_a_partial_key_changing_the_rows, 0) == "refused"
    assert right_or_refused(sorted_by_a_partial_key_reading_only, 0) == "right"


class Scorer:
    def __init__(self, c):
        self.c = c

    def score(self, r):
        r[0] = 1.0
        return float(r[1]) * self.c


def sorted_by_a_bound_method_changing_the_rows(x, W):
    rows = [W[0] * x, W[1] * x]
    sc = Scorer(2.0)
    s = sorted(rows, key=sc.score)
    return np.sum(s[0] * s[1])


def sorted_by_a_function_taken_from_a_list(x, W):
    rows = [W[0] * x, W[1] * x]
    fs = [sets_its_first]
    s = sorted(rows, key=fs[0])
    return np.sum(s[0] * s[1])


def test_h16_008_keys_given_by_a_name_holding_them():
    """h16-008: a key given through a name (a bound method `sc.score`, `fs[0]`) escaped h16-002's check: wrong
    in every mode. Now a function value the alias pass knows is checked, and an unknown key given arrays or
    containers is refused."""
    assert right_or_refused(sorted_by_a_bound_method_changing_the_rows, 0) == "refused"
    assert right_or_refused(sorted_by_a_function_taken_from_a_list, 0) == "refused"
