"""Forward mode and second order for every rule of the table, generated from the table itself.

For each function registered in `rules.FUNCTIONS` by the user-facing rule modules (rules/numpy.py, math.py,
builtins.py, methods.py; not helpers.py) and each method / attribute in `rules.METHODS` / `rules.ATTRIBUTES`,
CASES (tests/rule_cases/, a module per family) gives calls (broadcasting pairs, axes incl. negative and tuples, keepdims, 0-d arrays, Python floats,
matrices for linalg). Each call becomes two module-level functions, written as source text to a temporary
module (the compiler reads source) and imported:

    def f_12(a, b):                      def s_12(a, b, w):
        r = np.maximum(a, b)                 r = np.maximum(a, b)
        return r                             return np.sum(np.sin(r) * w)

and is checked on random inputs inside the domain of the rule (DOMAINS, keyed by rule name):

- test_grad:    ad.grad(s) against central differences of s, entry by entry (reverse mode, first order);
- test_jvp:     ad.jvp(f)(*args, t) against central differences of f in a random direction t;
- test_hvp:     ad.hvp(s)(*args, w, v) against central differences of ad.grad(s) in a random direction v
                (the sine makes second derivatives non-trivial even for linear and piecewise-linear rules);
- test_hessian: ad.hessian(s) against central differences of ad.grad(s) (the first call of each function
                with one differentiable argument of at most 12 entries);
- test_grad_of_grad: ad.grad of <ad.grad(s), v> (reverse over reverse: the runtime helpers the gradient calls
                differentiated by their own reverse rules, rules/helpers.py) against central differences of
                ad.grad(s) in the direction v (the first call of each function whose reverse rule calls a helper;
                a rule with only calls of several differentiable arguments: its first call, one argument at a time);
- test_third_order (AD_THIRD_ORDER=1): ad.grad of <test_grad_of_grad's gradient, u> against differences of it
                (right or refused, never wrong);
- test_every_rule_has_cases: a new rule without an entry in CASES fails, naming it.

Known wrong results are strict xfails (KNOWN_WRONG); missing forward / second-order rules (an ad.ADError) are
listed in MISSING (GRADGRAD_MISSING: reverse over reverse only) and must keep raising ad.ADError.
"""
import atexit
import contextlib
import copy
import builtins
import importlib.util
import inspect
import math
import os
import shutil
import sys
import tempfile
import zlib

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import driver, rules
from ad_compiler.rules import catalog

rules.load_builtin_rules()

from rule_cases import HEADER, F, Joint, _shape, collect, normal

# rules/<name>.py with user-facing rules (helpers.py is internal); SciPy's only when SciPy is installed
USER_MODULES = ("numpy", "math", "builtins", "methods", "arrays", "random_draws", "linalg", "fft", "scipy_linalg", "signal", "special", "stats", "stats_multi", "integrate")
CASES, DOMAINS, MISSING, KNOWN_WRONG = collect()
# Second-order checks (test_hvp, test_hessian) expected to fail are keyed by a case id (the test id after the
# name) or by a CASES name (all its cases); strict: a fix makes them fail, then remove the entry.
# MISSING: an ad.ADError for a missing rule (checked: it must raise ad.ADError). KNOWN_WRONG: wrong values or
# another exception.
SECOND_ORDER = ("hvp", "hessian", "gradgrad")
# Reverse over reverse (test_grad_of_grad) still refused, by CASES name: the helper the gradient calls has no
# reverse rule yet (a strict xfail raising ad.ADError; a new rule makes it fail: then remove the entry).
GRADGRAD_MISSING = {
    "builtins.divmod": "reverse over reverse refuses `br[1] = bt4` in the generated gradient: the adjoint of the "
                       "pair of numbers divmod returns, `br = _ad.zeros_like(r)`, is taken for a number (h18-005)",
}


# -- registered names -------------------------------------------------------------------------------------------
def registered():
    """display name -> Rule, for every function, method and attribute of the user-facing rule modules."""
    return {name: rule for name, rule in catalog.registered().items()
            if rule.template.__module__.rsplit(".", 1)[-1] in USER_MODULES}


# -- the generated programs ---------------------------------------------------------------------------------------
def _all_cases():
    table = registered()
    out = []
    for name, cases in CASES.items():
        for case in cases:
            case.name, case.rule = name, table.get(name)
            out.append(case)
    return out


ALL_CASES = _all_cases()


def _body(case):
    lines = case.expr.split("\n") if "\n" in case.expr else [f"r = {case.expr}"]
    return ["    " + line for line in lines]


def _sample(case):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    dom = case.dom or DOMAINS.get(case.rule.name if case.rule else None, normal)
    if isinstance(dom, Joint):
        args = dom.fn(rng, case.specs)
    else:
        doms = dom if isinstance(dom, tuple) else (dom,) * len(case.specs)
        args = [(doms[i] if i < len(doms) else normal)(rng, s) for i, s in enumerate(case.specs)]
    return rng, list(args)


def _write_module(name, lines):
    directory = tempfile.mkdtemp(prefix="ad_rules_modes_")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module




def _build_programs():
    """f_<i>: the call; s_<i>: sin of it against a weight, summed (math.sin for a Python float result)."""
    lines = list(HEADER)
    for i, case in enumerate(ALL_CASES):
        lines += ["", f"# {case.name}: {case.id}", f"def f_{i}({', '.join(case.params)}):", *_body(case),
                  "    return r", ""]
    fmod = _write_module("ad_rules_modes_f", lines)
    lines = list(HEADER)
    for i, case in enumerate(ALL_CASES):
        case.f = getattr(fmod, f"f_{i}")
        try:
            _, args = _sample(case)
            value = case.f(*_copies(args))
        except Exception as e:  # a broken table entry: reported by test_cases_run_in_numpy
            case.table_error = e
            value = 0.0
        case.scalar_result = type(value) is float
        wrap = "math.sin(r) * w" if case.scalar_result else "np.sum(np.sin(r) * w)"
        lines += ["", f"# {case.name}: {case.id}", f"def s_{i}({', '.join(case.params)}, w):", *_body(case),
                  f"    return {wrap}", ""]
    smod = _write_module("ad_rules_modes_s", lines)
    for i, case in enumerate(ALL_CASES):
        case.s = getattr(smod, f"s_{i}")


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


_build_programs()


# -- checks --------------------------------------------------------------------------------------------------------
def _direction(rng, x):
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal())


def _moved(args, positions, direction, eps):
    out = _copies(args)
    for p, d in zip(positions, direction):
        out[p] = out[p] + eps * d
    return out


def _weight(rng, value):
    return float(rng.standard_normal()) if np.ndim(value) == 0 and not isinstance(value, np.ndarray) \
        else rng.standard_normal(np.shape(value))


def _close(got, expected, what, value_scale=0.0):
    assert np.shape(got) == np.shape(expected), f"{what}: shape {np.shape(got)}, expected {np.shape(expected)}"
    scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0, value_scale * 1e-3)
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=1e-5,
                               atol=1e-6 * scale, err_msg=what)


def _wrt(case):
    return case.wrt if len(case.wrt) > 1 else case.wrt[0]


def _structure(case, values):
    return tuple(values) if len(case.wrt) > 1 else values[0]


EPS = 1e-6


def run_jvp(case):
    rng, args = _sample(case)
    t = [_direction(rng, args[p]) for p in case.wrt]
    value, tangent = ad.jvp(case.f, wrt=_wrt(case))(*_copies(args), _structure(case, t))
    expected_value = case.f(*_copies(args))
    _close(value, expected_value, "value")
    fd = (np.asarray(case.f(*_moved(args, case.wrt, t, EPS)), dtype=float)
          - np.asarray(case.f(*_moved(args, case.wrt, t, -EPS)), dtype=float)) / (2 * EPS)
    _close(tangent, fd, "tangent (J @ t) against central differences", float(np.max(np.abs(expected_value))))


def run_grad(case):
    """ad.grad(s) against central differences of s, entry by entry (in a few random directions for an
    argument of more than 64 entries)."""
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    got = ad.grad(case.s, wrt=case.wrt)(*_copies(args), w)
    value = abs(float(case.s(*_copies(args), w)))
    for k, (p, g) in enumerate(zip(case.wrt, got)):
        x = args[p]
        assert np.shape(g) == np.shape(x), f"gradient of {case.params[p]}: shape {np.shape(g)}, argument {np.shape(x)}"
        if isinstance(x, np.ndarray) and x.size <= 64:
            directions = [np.reshape(np.eye(x.size)[j], x.shape) for j in range(x.size)]
        elif isinstance(x, np.ndarray):
            directions = [rng.standard_normal(x.shape) for _ in range(3)]
        else:
            directions = [1.0]
        got_d = np.array([np.sum(np.asarray(g, dtype=float) * d) for d in directions])
        fd = np.array([(case.s(*_moved(args, (p,), (d,), EPS), w) - case.s(*_moved(args, (p,), (d,), -EPS), w))
                       / (2 * EPS) for d in directions])
        _close(got_d, fd, f"gradient of {case.params[p]} (directional derivatives) against central differences",
               value)


def run_hvp(case):
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    v = [_direction(rng, args[p]) for p in case.wrt]
    got = ad.hvp(case.s, wrt=_wrt(case))(*_copies(args), w, _structure(case, v))
    grad = ad.grad(case.s, wrt=case.wrt)
    up, down = grad(*_moved(args, case.wrt, v, EPS), w), grad(*_moved(args, case.wrt, v, -EPS), w)
    got = got if len(case.wrt) > 1 else (got,)
    assert len(got) == len(case.wrt)
    for k, (g, u, d) in enumerate(zip(got, up, down)):
        fd = (np.asarray(u, dtype=float) - np.asarray(d, dtype=float)) / (2 * EPS)
        _close(g, fd, f"H v, block of argument {case.params[case.wrt[k]]}, against differences of ad.grad",
               float(np.max(np.abs(u))))


def run_hessian(case):
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    (p,) = case.wrt
    h = ad.hessian(case.s, wrt=p)(*_copies(args), w)
    grad = ad.grad(case.s, wrt=p)
    n, shape = int(np.size(args[p])), np.shape(args[p])
    columns = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        e = np.reshape(e, shape) if isinstance(args[p], np.ndarray) else 1.0
        up, down = grad(*_moved(args, (p,), (e,), EPS), w), grad(*_moved(args, (p,), (e,), -EPS), w)
        columns.append(np.ravel((np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * EPS)))
    expected = np.reshape(np.stack(columns, axis=-1), shape + shape)
    _close(h, expected, "ad.hessian against differences of ad.grad")


def _test_id(case):
    alone = getattr(case, "alone", None)
    return f"{case.name}: {case.id}" + (f" (in {alone})" if alone else "")


def _expected_failure(case, table):
    return table.get(case.id, table.get(case.name))


def _params(check, cases):
    out = []
    for case in cases:
        marks = []
        wrong, missing = _expected_failure(case, KNOWN_WRONG), _expected_failure(case, MISSING)
        if check == "gradgrad":
            missing = _expected_failure(case, GRADGRAD_MISSING) or missing
        if check in SECOND_ORDER and wrong:
            marks.append(pytest.mark.xfail(strict=True, reason=wrong))
        elif check in SECOND_ORDER and missing:
            marks.append(pytest.mark.xfail(strict=True, raises=ad.ADError, reason=missing))
        out.append(pytest.param(case, id=_test_id(case), marks=marks))
    return out


def _one_argument_at_a_time(cases, everything=False):
    """The first case of each rule with several differentiable arguments, once per argument alone (a template
    temporary shared by two tangents, `DR = db - da @ X`, must keep the term of the one that varies; and
    reverse over reverse of the rules with no case of one argument). everything: also the cases marked as
    expected to fail."""
    seen, out = set(), []
    for case in cases:
        if case.name in seen or len(case.wrt) < 2 or not everything and (_expected_failure(case, MISSING) or
                                                                          _expected_failure(case, KNOWN_WRONG)):
            continue
        seen.add(case.name)
        for p in case.wrt:
            alone = copy.copy(case)
            alone.wrt = (p,)
            alone.alone = case.params[p]
            out.append(alone)
    return out


def _first_per_name(cases):
    seen, out = set(), []
    for case in cases:
        if case.name not in seen and len(case.wrt) == 1 and int(np.prod(_shape(case.specs[case.wrt[0]]))) <= 12:
            seen.add(case.name)
            out.append(case)
    return out


def _gradgrad_cases(cases):
    """The first case of each rule whose reverse template calls a runtime helper (`_ad.<name>`): reverse over
    reverse differentiates that helper again, by its own rule (rules/helpers.py). AD_GRADGRAD_ALL=1: every
    case with one differentiable argument of such a rule (a few minutes)."""
    out = []
    every = [c for c in cases if len(c.wrt) == 1] if os.environ.get("AD_GRADGRAD_ALL") else _first_per_name(cases)
    named = {c.name for c in every}
    every += [c for c in _one_argument_at_a_time(cases, everything=True) if c.name not in named]
    for case in every:
        if case.rule is not None and "_ad." in inspect.getsource(case.rule.template):
            out.append(case)
    return out


GRADGRAD_CASES = _gradgrad_cases(ALL_CASES)


def _build_directionals():
    """d_<i>(params, w, v_) = <ad.grad(s_<i>)(params, w), v_>: a function calling the compiled gradient, which
    ad.grad reads back and differentiates in reverse mode (as explore.py --mode hessian does)."""
    lines = list(HEADER) + ["import ad_compiler as ad", "import ad_rules_modes_s", ""]
    index = {case.s: i for i, case in enumerate(ALL_CASES)}
    for j, case in enumerate(GRADGRAD_CASES):
        params = ", ".join(case.params)
        lines += [f"_g_{j} = ad.grad(ad_rules_modes_s.s_{index[case.s]}, wrt={case.wrt[0]})", "",
                  f"def d_{j}({params}, w, v_):", f"    return np.sum(_g_{j}({params}, w) * v_)", ""]
    dmod = _write_module("ad_rules_modes_d", lines)
    for j, case in enumerate(GRADGRAD_CASES):
        case.d = getattr(dmod, f"d_{j}")


_build_directionals()


@contextlib.contextmanager
def _reverse_over_reverse_only():
    saved = driver.GRADIENTS_BY_SWEEPS
    driver.GRADIENTS_BY_SWEEPS = False
    try:
        yield
    finally:
        driver.GRADIENTS_BY_SWEEPS = saved


def run_gradgrad(case):
    """ad.grad of <ad.grad(s), v> (reverse over reverse) against central differences of ad.grad(s) along v.
    Reverse over reverse itself: the gradient inlined as forward sweeps where it is refused, which would
    compute the same without the helpers' reverse rules, is turned off here."""
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    (p,) = case.wrt
    v = _direction(rng, args[p])
    with _reverse_over_reverse_only():
        got = ad.grad(case.d, wrt=p)(*_copies(args), w, v)
    grad = ad.grad(case.s, wrt=p)
    up, down = grad(*_moved(args, (p,), (v,), EPS), w), grad(*_moved(args, (p,), (v,), -EPS), w)
    fd = (np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * EPS)
    _close(got, fd, "ad.grad of <ad.grad(s), v> against differences of ad.grad", float(np.max(np.abs(up))))


@pytest.mark.parametrize("case", _params("jvp", ALL_CASES))
def test_jvp(case):
    run_jvp(case)


@pytest.mark.parametrize("case", _params("grad", ALL_CASES))
def test_grad(case):
    run_grad(case)


@pytest.mark.parametrize("case", _params("hvp", ALL_CASES))
def test_hvp(case):
    run_hvp(case)


@pytest.mark.parametrize("case", _params("hessian", _first_per_name(ALL_CASES)))
def test_hessian(case):
    run_hessian(case)


@pytest.mark.parametrize("case", _params("gradgrad", GRADGRAD_CASES))
def test_grad_of_grad(case):
    run_gradgrad(case)


@pytest.mark.parametrize("case", [pytest.param(c, id=_test_id(c)) for c in _one_argument_at_a_time(ALL_CASES)])
def test_jvp_of_one_argument(case):
    run_jvp(case)


# -- the table is complete ----------------------------------------------------------------------------------------
def test_every_rule_module_is_tested():
    modules = {rule.template.__module__.rsplit(".", 1)[-1] for rule in catalog.registered().values()}
    assert modules <= set(USER_MODULES), f"rule modules missing from USER_MODULES: {sorted(modules - set(USER_MODULES))}"


def test_every_rule_has_cases():
    table = registered()
    missing = sorted(set(table) - set(CASES))
    assert not missing, f"rules without a call-shape entry in CASES (tests/test_rules_modes.py): {missing}"
    unknown = sorted(set(CASES) - set(table))
    assert not unknown, f"CASES entries naming no registered rule: {unknown}"
    empty = sorted(name for name, cases in CASES.items() if not cases)
    assert not empty, f"CASES entries without a call: {empty}"
    rule_names = {rule.name for rule in table.values()}
    assert set(DOMAINS) <= rule_names, f"DOMAINS keys naming no rule: {sorted(set(DOMAINS) - rule_names)}"


def test_cases_run_in_numpy():
    """Every call of the table runs as plain Python on its sampled inputs (catches typos in the table)."""
    broken = [f"{c.name}: {c.id}: {c.table_error!r}" for c in ALL_CASES if hasattr(c, "table_error")]
    assert not broken, "\n".join(broken)


def test_case_ids_are_unique():
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_stale_marks():
    one_argument = {c.id for c in GRADGRAD_CASES}
    stale = sorted((set(KNOWN_WRONG) | set(MISSING) | set(GRADGRAD_MISSING)) - set(CASES) - {c.id for c in ALL_CASES}
                   - one_argument)
    assert not stale, f"KNOWN_WRONG / MISSING entries naming no CASES entry: {stale}"


# -- third order (AD_THIRD_ORDER=1, about a minute) ------------------------------------------------------------
# ad.grad of <ad.grad(<ad.grad(s), v>), u> against central differences of ad.grad(<ad.grad(s), v>) along u, for
# every reverse-over-reverse case: right, or refused with an ad.ADError (a helper's third derivative not
# written), never wrong.
THIRD_CASES = [c for c in GRADGRAD_CASES if not _expected_failure(c, GRADGRAD_MISSING)
               and not _expected_failure(c, MISSING) and not _expected_failure(c, KNOWN_WRONG)] \
    if os.environ.get("AD_THIRD_ORDER") else []


def _build_third():
    lines = list(HEADER) + ["import ad_compiler as ad", "import ad_rules_modes_d", ""]
    for j, case in enumerate(THIRD_CASES):
        params = ", ".join(case.params)
        k = GRADGRAD_CASES.index(case)
        lines += [f"_h_{j} = ad.grad(ad_rules_modes_d.d_{k}, wrt={case.wrt[0]})", "",
                  f"def e_{j}({params}, w, v_, u_):", f"    return np.sum(_h_{j}({params}, w, v_) * u_)", ""]
    emod = _write_module("ad_rules_modes_e", lines)
    for j, case in enumerate(THIRD_CASES):
        case.e, case.h = getattr(emod, f"e_{j}"), getattr(emod, f"_h_{j}")


if THIRD_CASES:
    _build_third()


@pytest.mark.parametrize("case", [pytest.param(c, id=_test_id(c)) for c in THIRD_CASES])
def test_third_order(case):
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    (p,) = case.wrt
    v, u = _direction(rng, args[p]), _direction(rng, args[p])
    try:
        got = ad.grad(case.e, wrt=p)(*_copies(args), w, v, u)
    except ad.ADError as exc:  # (the reason's last lines: the missing rule and where)
        pytest.skip("refused: " + " | ".join(str(exc).splitlines()[-3:]))
    up, down = case.h(*_moved(args, (p,), (u,), EPS), w, v), case.h(*_moved(args, (p,), (u,), -EPS), w, v)
    fd = (np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * EPS)
    _close(got, fd, "third order against differences of the second", float(np.max(np.abs(up))))


# -- fourth order (AD_FOURTH_ORDER=1, a few minutes) -----------------------------------------------------------
# ad.grad of <the third order's gradient, z> against central differences of it along z: right, or refused with an
# ad.ADError (a helper's fourth derivative not written), never wrong.
FOURTH_CASES = [c for c in GRADGRAD_CASES if not _expected_failure(c, GRADGRAD_MISSING)
                and not _expected_failure(c, MISSING) and not _expected_failure(c, KNOWN_WRONG)] \
    if os.environ.get("AD_FOURTH_ORDER") else []


def _build_fourth():
    lines = list(HEADER) + ["import ad_compiler as ad", "import ad_rules_modes_d", ""]
    for j, case in enumerate(FOURTH_CASES):
        params = ", ".join(case.params)
        k = GRADGRAD_CASES.index(case)
        lines += [f"_h_{j} = ad.grad(ad_rules_modes_d.d_{k}, wrt={case.wrt[0]})", "",
                  f"def e_{j}({params}, w, v_, u_):", f"    return np.sum(_h_{j}({params}, w, v_) * u_)", "",
                  f"_k_{j} = ad.grad(e_{j}, wrt={case.wrt[0]})", "",
                  f"def q_{j}({params}, w, v_, u_, z_):", f"    return np.sum(_k_{j}({params}, w, v_, u_) * z_)", ""]
    qmod = _write_module("ad_rules_modes_q", lines)
    for j, case in enumerate(FOURTH_CASES):
        case.q, case.k = getattr(qmod, f"q_{j}"), getattr(qmod, f"_k_{j}")


if FOURTH_CASES:
    _build_fourth()


@pytest.mark.parametrize("case", [pytest.param(c, id=_test_id(c)) for c in FOURTH_CASES])
def test_fourth_order(case):
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    (p,) = case.wrt
    v, u, z = _direction(rng, args[p]), _direction(rng, args[p]), _direction(rng, args[p])
    try:
        got = ad.grad(case.q, wrt=p)(*_copies(args), w, v, u, z)
    except ad.ADError as exc:
        pytest.skip("refused: " + " | ".join(str(exc).splitlines()[-3:]))
    up = case.k(*_moved(args, (p,), (z,), EPS), w, v, u)
    down = case.k(*_moved(args, (p,), (z,), -EPS), w, v, u)
    fd = (np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * EPS)
    _close(got, fd, "fourth order against differences of the third", float(np.max(np.abs(up))))
