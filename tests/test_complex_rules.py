"""Every rule of the table on a COMPLEX intermediate, in reverse mode, forward mode and second order.

Arguments are real; values inside a function may be complex (docs/rules.md, "Complex intermediates"). For
each call of the rule table (tests/rule_cases/) whose function accepts complex input, the differentiable
arguments are first made complex, and the result is reduced to a real loss:

    def c_12(a, b, w):
        a = a * (0.6 + 0.8j) + 0.2
        b = b * (0.6 + 0.8j) + 0.2
        r = np.maximum(a, b)
        return np.sum(np.sin(np.real(r)) * w + np.cos(np.imag(r)) * w)

Checked against central differences: ad.grad (directional derivatives), ad.jvp, and ad.hvp (against
differences of ad.grad). A rule that is not valid for complex operands must refuse with ad.ADError
(REFUSED, checked to keep refusing). Calls NumPy / SciPy reject for complex input are not generated.

By default the first two calls of each rule run (well under a minute); AD_COMPLEX_EXHAUSTIVE=1 runs every
call of the table.
"""
import atexit
import copy
import importlib.util
import os
import shutil
import sys
import tempfile
import warnings
import zlib

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import rules
from ad_compiler.rules import catalog

rules.load_builtin_rules()

from rule_cases import HEADER, collect, normal  # noqa: E402

EXHAUSTIVE = bool(os.environ.get("AD_COMPLEX_EXHAUSTIVE"))
PER_RULE = None if EXHAUSTIVE else 1
# z = x * ROTATE + SHIFT: two rotations (a case takes one by its id; both with AD_COMPLEX_EXHAUSTIVE), so
# that operands lie in every quadrant of the complex plane (branch cuts, negative real parts)
ROTATIONS = ("(0.6 + 0.8j)", "(-0.8 + 0.6j)")
SHIFT = "0.2"
EPS = 1e-6
CASES, DOMAINS, _, _ = collect()

# display name -> why the compiler refuses it for a complex operand (rules marked with `rules.real_only`;
# checked: an ad.ADError in every mode)
REFUSED = {name: rule.real_only for name, rule in catalog.registered().items()
           if rule.real_only and rule.real_only_when is None}
# ... for some calls only (np.linalg.norm: orders other than 2 and 'fro'): refused (an ad.ADError) or right
SOMETIMES_REFUSED = {name: rule.real_only for name, rule in catalog.registered().items()
                     if rule.real_only and rule.real_only_when is not None}
# case id or display name -> why it is wrong (a strict xfail)
KNOWN_WRONG = {}


def _sample(case):
    rng = np.random.default_rng(zlib.crc32(("complex " + case.id).encode()))
    dom = case.dom or DOMAINS.get(case.rule.name if case.rule else None, normal)
    if hasattr(dom, "fn"):
        args = dom.fn(rng, case.specs)
    else:
        doms = dom if isinstance(dom, tuple) else (dom,) * len(case.specs)
        args = [(doms[i] if i < len(doms) else normal)(rng, s) for i, s in enumerate(case.specs)]
    return rng, list(args)


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _body(case, rotation):
    lines = [f"{case.params[p]} = {case.params[p]} * {rotation} + {SHIFT}" for p in case.wrt]
    lines += case.expr.split("\n") if "\n" in case.expr else [f"r = {case.expr}"]
    return ["    " + line for line in lines]


def _write_module(name, lines):
    directory = tempfile.mkdtemp(prefix="ad_complex_rules_")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _accepts_complex(case):
    """Does the call run on the complex operands, with a real or complex array / number result (no
    ComplexWarning: a library dropping imaginary parts on its own is not a complex rule)?"""
    _, args = _sample(case)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            value = case.c(*_copies(args), 1.0)
    except Exception:
        return False
    return np.isfinite(value)


def _all_cases():
    table = {name: rule for name, rule in catalog.registered().items()
             if rule.template.__module__.rsplit(".", 1)[-1] != "helpers"}
    lines, cases = list(HEADER), []
    for name, calls in CASES.items():
        for case in calls:
            case.name, case.rule = name, table.get(name)
            first = zlib.crc32(case.id.encode()) % 2
            for rotation in ROTATIONS[first:] + ROTATIONS[:first] if EXHAUSTIVE else ROTATIONS[first:first + 1]:
                variant = copy.copy(case)
                variant.rotation = rotation
                i = len(cases)
                cases.append(variant)
                lines += ["", f"# {name}: {case.id}", f"def c_{i}({', '.join(case.params)}, w):",
                          *_body(case, rotation), "    return np.sum(np.sin(np.real(r)) * w + np.cos(np.imag(r)) * w)",
                          ""]
    module = _write_module("ad_complex_rules_c", lines)
    out, per_name = [], {}
    for i, case in enumerate(cases):
        case.c = getattr(module, f"c_{i}")
        if per_name.get(case.name, 0) == PER_RULE or not _accepts_complex(case):
            continue
        per_name[case.name] = per_name.get(case.name, 0) + 1
        out.append(case)
    return out


ALL_CASES = _all_cases()


def _direction(rng, x):
    return rng.standard_normal(x.shape) if isinstance(x, np.ndarray) else float(rng.standard_normal())


def _moved(args, positions, direction, eps):
    out = _copies(args)
    for p, d in zip(positions, direction):
        out[p] = out[p] + eps * d
    return out


def _weight(rng, case, args):
    """The loss's weight: a number (broadcast over the result)."""
    return float(rng.uniform(0.5, 1.5))


def _close(got, expected, what, scale=1.0):
    scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0, scale * 1e-3)
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=1e-5,
                               atol=1e-6 * scale, err_msg=what)


def _wrt(case):
    return case.wrt if len(case.wrt) > 1 else case.wrt[0]


def _tuple(case, values):
    return tuple(values) if len(case.wrt) > 1 else values[0]


def _fd(case, args, w, v):
    return (case.c(*_moved(args, case.wrt, v, EPS), w) - case.c(*_moved(args, case.wrt, v, -EPS), w)) / (2 * EPS)


def run_grad(case):
    rng, args = _sample(case)
    w = _weight(rng, case, args)
    got = ad.grad(case.c, wrt=case.wrt)(*_copies(args), w)
    value = abs(float(case.c(*_copies(args), w)))
    for _ in range(2):
        v = [_direction(rng, args[p]) for p in case.wrt]
        ad_d = sum(float(np.sum(np.asarray(g, dtype=float) * d)) for g, d in zip(got, v))
        _close(ad_d, _fd(case, args, w, v), "directional derivative of ad.grad against central differences", value)


def run_jvp(case):
    rng, args = _sample(case)
    w = _weight(rng, case, args)
    v = [_direction(rng, args[p]) for p in case.wrt]
    value, tangent = ad.jvp(case.c, wrt=_wrt(case))(*_copies(args), w, _tuple(case, v))
    _close(value, case.c(*_copies(args), w), "value")
    _close(tangent, _fd(case, args, w, v), "ad.jvp against central differences", abs(value))


def run_hvp(case):
    rng, args = _sample(case)
    w = _weight(rng, case, args)
    v = [_direction(rng, args[p]) for p in case.wrt]
    got = ad.hvp(case.c, wrt=_wrt(case))(*_copies(args), w, _tuple(case, v))
    grad = ad.grad(case.c, wrt=case.wrt)
    up, down = grad(*_moved(args, case.wrt, v, EPS), w), grad(*_moved(args, case.wrt, v, -EPS), w)
    got = got if len(case.wrt) > 1 else (got,)
    for g, u, d in zip(got, up, down):
        fd = (np.asarray(u, dtype=float) - np.asarray(d, dtype=float)) / (2 * EPS)
        _close(g, fd, "H v against differences of ad.grad", float(np.max(np.abs(u))))


RUN = {"grad": run_grad, "jvp": run_jvp, "hvp": run_hvp}


def _params(cases):
    out = []
    for case in cases:
        for mode in RUN:
            marks = []
            reason = KNOWN_WRONG.get(case.id, KNOWN_WRONG.get(case.name))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(case, mode, id=f"{mode} {case.name}: {case.id} z = x * {case.rotation}",
                                    marks=marks))
    return out


@pytest.mark.parametrize("case, mode", _params(ALL_CASES))
def test_complex_operand(case, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if case.name in REFUSED:
            with pytest.raises(ad.ADError):
                RUN[mode](case)
            return
        try:
            RUN[mode](case)
        except ad.ADError:
            if case.name not in SOMETIMES_REFUSED:
                raise


def test_refused_names_are_rules():
    assert set(REFUSED) | set(SOMETIMES_REFUSED) <= set(CASES), sorted(set(REFUSED) - set(CASES))
