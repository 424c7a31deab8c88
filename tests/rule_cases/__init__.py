"""Call shapes for the generated rule tests (tests/test_rules_modes.py), one module per family of rules.

Each family module defines
    CASES        display name of a registered function / method -> [Case, ...]
    DOMAINS      rule name -> input sampler (see below; rules not listed take standard normal inputs)
    MISSING      case id or CASES name -> why second order raises ad.ADError (a strict xfail)
    KNOWN_WRONG  case id or CASES name -> why second order is wrong (a strict xfail)
and `collect()` merges them (a name defined twice is an error). The test logic lives in test_rules_modes.py.

A sampler is one function for every argument, a tuple of functions (one per argument, `normal` after the
last), or a `Joint` sampler of all arguments together.
"""
import importlib

import numpy as np

FAMILIES = ("core", "arrays", "linalg", "fft", "scipy_linalg", "signal", "special", "stats", "integrate")
try:
    import scipy  # noqa: F401
    HAVE_SCIPY = True
except ImportError:
    HAVE_SCIPY = False
# the imports of the generated test programs
HEADER = ["import math", "import operator", "", "import numpy as np"] + \
    (["import scipy.linalg as sla", "import scipy.special as sps", "import scipy.stats as stats",
      "from scipy import integrate, signal", "", "from rule_cases.integrate import decay, forced, oscillator"]
     if HAVE_SCIPY else []) + [""]
F = "float"  # shape spec of a Python float argument; () is a 0-d array

# -- input domains ------------------------------------------------------------------------------------------------
def _finish(x, spec):
    return float(x) if spec == F else np.asarray(x, dtype=np.float64)


def _shape(spec):
    return () if spec == F else spec


def normal(rng, spec):
    return _finish(rng.standard_normal(_shape(spec)), spec)


def uniform(low, high):
    def sample(rng, spec):
        return _finish(rng.uniform(low, high, _shape(spec)), spec)
    sample.__name__ = f"uniform({low}, {high})"
    return sample


def away0(rng, spec):
    """|x| in [0.3, 2): away from the kink of abs, the pole of 1/x, the branch cut of arctan2."""
    s = _shape(spec)
    return _finish(np.where(rng.random(s) < 0.5, -1.0, 1.0) * rng.uniform(0.3, 2.0, s), spec)


def bands(rng, spec):
    """Values in (-1.5, -0.8) u (-0.3, 0.3) u (0.8, 1.5): at least 0.1 from clip bounds in (+-0.4, +-0.6)."""
    s = _shape(spec)
    band = rng.integers(0, 3, s)
    x = np.choose(band, [rng.uniform(-1.5, -0.8, s), rng.uniform(-0.3, 0.3, s), rng.uniform(0.8, 1.5, s)])
    return _finish(x, spec)


def wellcond(rng, spec):
    """Square matrices (stacks of) 1.5 I + 0.3 N: well conditioned, determinant away from 0."""
    n = spec[-1]
    return _finish(1.5 * np.eye(n) + 0.3 * rng.standard_normal(spec), spec)


class Joint:
    """A sampler of all the arguments of a call together (`fn(rng, specs) -> values`)."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = fn.__name__


@Joint
def distinct(rng, specs):
    """All entries of all arguments distinct, at least 0.15 apart (max, min, sort, maximum: no ties)."""
    sizes = [int(np.prod(_shape(s))) for s in specs]
    n = sum(sizes)
    pool = (rng.permutation(n) - n / 2) * 0.2 + rng.uniform(-0.025, 0.025, n)
    out, k = [], 0
    for s, m in zip(specs, sizes):
        out.append(_finish(pool[k:k + m].reshape(_shape(s)), s))
        k += m
    return out


@Joint
def mod_pair(rng, specs):
    """x1 % x2 with x2 in [0.6, 1.6) and x1 / x2 at least 0.15 from an integer (away from the jumps)."""
    sa, sb = specs
    b = uniform(0.6, 1.6)(rng, sb)
    shape = np.broadcast_shapes(_shape(sa), _shape(sb))
    assert shape == _shape(sa), "mod cases: the first argument has the broadcast shape"
    k = rng.integers(-3, 3, shape) + rng.uniform(0.15, 0.85, shape)
    return [_finish(np.broadcast_to(b, shape) * k, sa), b]


def mod_by(c):
    @Joint
    def mod_const(rng, specs):
        (sa,) = specs
        s = _shape(sa)
        return [_finish(c * (rng.integers(-3, 3, s) + rng.uniform(0.15, 0.85, s)), sa)]
    return mod_const



# -- call shapes ---------------------------------------------------------------------------------------------------
class Case:
    """A call `expr` of the placeholders a, b, c, d with arguments of shapes `specs` (a tuple shape, () for a
    0-d array, F for a Python float). `expr` with newlines is a function body assigning the result to `r`.
    `wrt`: the differentiable placeholders (default all); `dom`: a sampler overriding DOMAINS."""

    def __init__(self, expr, *specs, wrt=None, dom=None, label=None):
        self.expr, self.specs, self.dom, self.label = expr, specs, dom, label
        self.params = "abcdefg"[:len(specs)]
        self.wrt = tuple(self.params.index(p) for p in (wrt or self.params))
        self.name = self.rule = None  # filled in below

    @property
    def id(self):
        shapes = ",".join("F" if s == F else str(s).replace(" ", "") for s in self.specs)
        wrt = "" if len(self.wrt) == len(self.params) else " wrt=" + "".join(self.params[i] for i in self.wrt)
        return f"{self.label or self.expr} [{shapes}]{wrt}"


C = Case
BCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), (F, (3,)), ((2, 3), F)]
BCAST_SHORT = [((3, 4), (4,)), ((), (2, 3))]
MATMUL = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
          ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5))]
DOT = [((), ()), ((), (3,)), ((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5)),
       (F, (3,))]
X3 = (2, 3, 4)
REDUCE = ["", ", axis=0", ", axis=-1", ", axis=(0, 2)", ", axis=(-1, 0), keepdims=True", ", axis=1, keepdims=True"]


def _binary(template, pairs, **kw):
    return [C(template, sa, sb, **kw) for sa, sb in pairs]


def _reductions(call):
    return [C(f"{call}(a{ax})", X3) for ax in REDUCE] + [C(f"{call}(a)", (5,)), C(f"{call}(a)", ())]


def _method_reductions(name):
    return [C(f"a.{name}({ax[2:]})", X3) for ax in REDUCE]


UNARY_NP = ["absolute", "fabs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square",
            "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
            "arccosh", "arctanh"]
UNARY_MATH = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "fabs", "sin", "cos", "tan", "asin", "acos",
              "atan", "sinh", "cosh", "tanh"]


def collect():
    """(CASES, DOMAINS, MISSING, KNOWN_WRONG) merged over the family modules that import (the SciPy ones
    are skipped when SciPy is not installed)."""
    merged = ({}, {}, {}, {})
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"rule_cases.{family}")
        except ImportError as exc:
            if "scipy" in str(exc):
                continue
            raise
        for table, name in zip(merged, ("CASES", "DOMAINS", "MISSING", "KNOWN_WRONG")):
            part = getattr(module, name, {})
            twice = set(part) & set(table)
            if twice and name != "DOMAINS":
                raise ValueError(f"rule_cases.{family}.{name} repeats {sorted(twice)}")
            for key in twice:
                if table[key] is not part[key]:
                    raise ValueError(f"rule_cases.{family}.DOMAINS gives {key!r} another sampler")
            table.update(part)
    return merged
