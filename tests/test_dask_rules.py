"""The rule table's first-order checks again (ad.grad, ad.jvp), with Dask arrays as inputs (docs/scale.md).

Every call of tests/rule_cases (the programs test_rules_modes.py generates: `s_i(a, b, w)` = the call, its
sine against a weight, summed) is differentiated with its array arguments as Dask arrays, in chunks that do
not divide the shapes (a length n > 2 in chunks of n - 1; in one chunk each when the function itself needs it:
Dask's FFTs, LU and QR), on the single-machine synchronous scheduler:

- the gradient of every Dask argument comes back as a Dask array (of a Python float argument: a float, or a
  0-d Dask array when the value depends on Dask arrays), and computes to what the same derivative gives for
  the NumPy arrays (which test_rules_modes checks against finite differences);
- the call computes nothing (a scheduler that counts its runs), except for the calls listed in EAGER: those
  compute some values when called, for the reason given (a strict list: a call that becomes lazy fails, so
  that the list stays true);
- calls in REFUSED raise ad.ADError; calls in DASK_ERROR are not yet right or refused: their derivative stops
  with Dask's own error (checked, strict);
- a call whose function itself fails with Dask arrays (Dask lacks the function or the method), or computes a
  value other than NumPy's, is skipped with the reason: there is nothing (right) to differentiate.

ad.jvp is checked the same way (a Dask tangent too). By default one call per rule (the first of the table's; for
ad.jvp, NumPy's rules); `--dask-all` runs every call of the table in both modes.
"""
import traceback

import numpy as np
import pytest

import ad_compiler as ad

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

from test_rules_modes import ALL_CASES, _copies, _direction, _sample, _structure, _weight, _wrt  # noqa: E402

# -- the cases that are not lazy, with the reason (keyed by CASES name, or by test id "name: case id") ------------
_NO_UFUNC_AT = "the adjoint adds entries up at repeated indices (np.add.at): Dask has no ufunc.at, so the index " \
    "and the adjoint are computed and added up in NumPy"
_SORTS = "the adjoint of an order statistic along an axis sorts (np.argsort, np.put_along_axis): Dask has " \
    "neither, NumPy computes them"
_POLYGAMMA = "scipy.special.polygamma is a Python function, not a ufunc: it converts its input"
EAGER = {
    "np.take": _NO_UFUNC_AT,
    "np.pad": _NO_UFUNC_AT,
    "np.repeat": _NO_UFUNC_AT,
    "np.median": _SORTS, "np.quantile": _SORTS,
    "np.nanquantile": _SORTS, "np.nanpercentile": _SORTS, "np.nanmedian": _SORTS,
    "np.einsum: np.einsum('ii->', a) [(3,3)]": "the adjoint writes a diagonal through a view (Dask has none): "
                                               "it is computed and written in NumPy",
    "scipy.special.psi: sps.digamma(a) [(2,3)]": _POLYGAMMA, "scipy.special.psi: sps.digamma(a) [()]": _POLYGAMMA,
    "scipy.special.psi: sps.psi(a) [(3,)]": _POLYGAMMA,
    "np.percentile: np.percentile(a, [25, 50], axis=0, keepdims=True) [(5,3)]": _SORTS,
}
REFUSED = {
    "np.percentile: np.percentile(a, 40) [(6,)]": "Dask's percentile is approximate (per chunk, then merged): NumPy's derivative does not apply",
    "_ad.private_copy": "the function changes an array in place: Dask arrays have no views and no in-place changes",
}
# Not yet right-or-refused with Dask inputs: the derivative stops with Dask's own error (located at the generated
# line) instead of an ad.ADError. Checked to fail (strict), listed in docs/scale.md. None now: the adjoints that
# solve with a matrix (det, slogdet, negative matrix powers, multivariate_normal) use _ad.inv / _ad.solve, which
# take Dask matrices in any chunks (Dask's own LU needs square chunks).
DASK_ERROR = {}


def _first_per_name(cases):
    seen, out = set(), []
    for case in cases:
        if case.name not in seen:
            seen.add(case.name)
            out.append(case)
    return out


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        every = metafunc.config.getoption("--dask-all")
        cases = ALL_CASES if every else _first_per_name(ALL_CASES)
        if not every and metafunc.function.__name__ == "test_dask_jvp":  # (forward mode shares the runtime: SciPy's
            cases = [c for c in cases if not c.name.startswith("scipy.")]  # rules are checked by test_dask_grad)
        metafunc.parametrize("case", cases, ids=[f"{c.name}: {c.id}" for c in cases])


def chunked(x, whole=False):
    """A NumPy array as a Dask array in chunks that do not divide its shape (n - 1 along an axis of n > 2), or
    (`whole`) in one chunk."""
    if not isinstance(x, np.ndarray):
        return x
    if whole:
        return da.from_array(x, chunks=-1)
    return da.from_array(x, chunks=tuple(n - 1 if n > 2 else max(n, 1) for n in x.shape))


class CountingScheduler:
    """Dask's synchronous scheduler, counting how often something is computed."""

    def __init__(self):
        self.runs = 0
        self.where = []  # the innermost line of ad_compiler or of generated code that asked for each run

    def __call__(self, dsk, keys, **kwargs):
        self.runs += 1
        ours = [f for f in traceback.extract_stack() if "ad_compiler" in f.filename or "ad_rules_modes" in f.filename]
        if ours:
            self.where.append(f"{ours[-1].filename}:{ours[-1].lineno}: {ours[-1].line}")
        return dask.get(dsk, keys, **kwargs)


def _listed(table, case):
    return table.get(f"{case.name}: {case.id}", table.get(case.name))


def run_dask_grad(case):
    """(the gradients, how many Dask values the function itself computes, how many its derivative computes)"""
    rng, args = _sample(case)
    w = _weight(rng, case.f(*_copies(args)))
    dargs, dw = [chunked(a) for a in args], chunked(w)
    itself = CountingScheduler()
    try:
        with dask.config.set(scheduler=itself):
            value = case.s(*dargs, dw)
    except Exception:  # Dask needs other chunks (its FFTs, LU, QR): each array in one chunk
        dargs, dw = [chunked(a, whole=True) for a in args], chunked(w, whole=True)
        itself = CountingScheduler()
        try:
            with dask.config.set(scheduler=itself):
                value = case.s(*dargs, dw)
        except Exception as exc:  # Dask lacks the function or method: nothing to differentiate
            pytest.skip(f"the function itself fails with Dask arrays: {type(exc).__name__}: {exc}"[:300])
    with dask.config.set(scheduler="sync"):
        value = value.compute() if isinstance(value, da.Array) else value
    numpy_value = case.s(*_copies(args), w)
    if not np.allclose(value, numpy_value, rtol=1e-9, atol=1e-12, equal_nan=True):  # (a Dask bug: another function)
        pytest.skip(f"Dask computes another value of the function itself: {value} (NumPy: {numpy_value})")
    grad = ad.grad(case.s, wrt=case.wrt)
    if _listed(DASK_ERROR, case):  # (with these chunks or shapes it may also work: then it must be right)
        try:
            grad(*dargs, dw)
        except ad.ADError:
            raise AssertionError("now an ad.ADError: move it to REFUSED")
        except Exception:
            return None
    if _listed(REFUSED, case):
        with pytest.raises(ad.ADError):
            grad(*dargs, dw)
        return None
    expected = grad(*_copies(args), w)
    counter = CountingScheduler()
    with dask.config.set(scheduler=counter):
        got = grad(*dargs, dw)
    eager = _listed(EAGER, case)
    if itself.runs:  # the function computes values itself (a NumPy function Dask lacks): so does its derivative
        assert not eager, f"listed in EAGER ({eager}), but the function itself computes: remove it from EAGER"
    elif eager:
        assert counter.runs > 0, f"listed in EAGER ({eager}) but computed nothing: remove it from EAGER"
    else:
        assert counter.runs == 0, f"the derivative computed {counter.runs} Dask value(s) when called, at " + \
            "; ".join(counter.where)
    with dask.config.set(scheduler="sync"):
        for p, g, e in zip(case.wrt, got, expected):
            x = dargs[p]
            if isinstance(x, da.Array):
                assert isinstance(g, da.Array), f"gradient of {case.params[p]}: a {type(g).__name__}, not a Dask array"
            else:
                assert isinstance(g, (float, da.Array)) and np.shape(g) == (), f"gradient of {case.params[p]}: {g!r}"
            value = np.asarray(g.compute() if isinstance(g, da.Array) else g)
            assert value.shape == np.shape(e)
            scale = max(1.0, float(np.max(np.abs(e))) if np.size(e) else 1.0)
            np.testing.assert_allclose(value, e, rtol=1e-9, atol=1e-12 * scale,
                                       err_msg=f"gradient of {case.params[p]} with Dask inputs")
    return got, itself.runs, counter.runs


def test_dask_grad(case):
    run_dask_grad(case)


def run_dask_jvp(case):
    """ad.jvp with Dask inputs and a Dask tangent: lazy (as the gradient, EAGER aside), and NumPy's value and
    tangent once computed."""
    rng, args = _sample(case)
    t = [_direction(rng, args[p]) for p in case.wrt]
    dargs, dt = [chunked(a) for a in args], [chunked(v) for v in t]
    itself = CountingScheduler()
    try:
        with dask.config.set(scheduler=itself):
            value = case.f(*dargs)
        with dask.config.set(scheduler="sync"):
            value = value.compute() if isinstance(value, da.Array) else value
    except Exception as exc:
        pytest.skip(f"the function itself fails with Dask arrays: {type(exc).__name__}: {exc}"[:300])
    if not _same(value, case.f(*_copies(args))):
        pytest.skip("Dask computes another value of the function itself")
    jvp = ad.jvp(case.f, wrt=_wrt(case))
    refused = _listed(REFUSED, case) or _listed(DASK_ERROR, case)
    expected = jvp(*_copies(args), _structure(case, t))
    counter = CountingScheduler()
    try:
        with dask.config.set(scheduler=counter):
            got = jvp(*dargs, _structure(case, dt))
    except Exception as exc:
        assert refused, f"{type(exc).__name__}: {exc}"
        assert isinstance(exc, ad.ADError) or _listed(DASK_ERROR, case)
        return
    if not itself.runs and not _listed(EAGER, case):
        assert counter.runs == 0, f"the tangent computed {counter.runs} Dask value(s) when called, at " + \
            "; ".join(counter.where)
    with dask.config.set(scheduler="sync"):
        for g, e, what in zip(got, expected, ("value", "tangent")):
            g = _computed(g)
            assert np.shape(g) == np.shape(e), what
            scale = max(1.0, float(np.max(np.abs(e))) if np.size(e) else 1.0)
            np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(e, dtype=float), rtol=1e-9,
                                       atol=1e-12 * scale, err_msg=f"{what} with Dask inputs")


def _computed(v):
    if isinstance(v, (list, tuple)):
        return type(v)(_computed(u) for u in v)
    return v.compute() if isinstance(v, da.Array) else v


def _same(a, b):
    try:
        return np.allclose(np.asarray(_computed(a), dtype=float), np.asarray(b, dtype=float), rtol=1e-9,
                           atol=1e-12, equal_nan=True)
    except (ValueError, TypeError):
        return False


def test_dask_jvp(case):
    run_dask_jvp(case)


def test_tables_name_cases():
    names = {c.name for c in ALL_CASES} | {f"{c.name}: {c.id}" for c in ALL_CASES}
    stale = sorted((set(EAGER) | set(REFUSED) | set(DASK_ERROR)) - names)
    assert not stale, f"EAGER / REFUSED / DASK_ERROR entries naming no case: {stale}"
