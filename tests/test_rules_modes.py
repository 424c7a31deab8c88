"""Forward mode and second order for every rule of the table, generated from the table itself.

For each function registered in `rules.FUNCTIONS` by the user-facing rule modules (rules/numpy.py, math.py,
builtins.py, methods.py; not helpers.py) and each method / attribute in `rules.METHODS` / `rules.ATTRIBUTES`,
CASES gives calls (broadcasting pairs, axes incl. negative and tuples, keepdims, 0-d arrays, Python floats,
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
- test_every_rule_has_cases: a new rule without an entry in CASES fails, naming it.

Known wrong results are strict xfails (KNOWN_WRONG); missing forward / second-order rules (an ad.ADError) are
listed in MISSING and must keep raising ad.ADError.
"""
import atexit
import builtins
import importlib.util
import math
import operator
import os
import shutil
import sys
import tempfile
import warnings
import zlib

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import rules, runtime

rules.load_builtin_rules()

USER_MODULES = ("numpy", "math", "builtins", "methods")  # rules/<name>.py; helpers.py is internal
F = "float"  # shape spec of a Python float argument; () is a 0-d array


# -- registered names -------------------------------------------------------------------------------------------
_NAMESPACES = [("np.linalg", np.linalg), ("np", np), ("math", math), ("builtins", builtins),
               ("operator", operator), ("_ad", runtime)]


def _display_name(obj):
    """`np.sin`, `operator.add`, `math.log`, `builtins.max`, `_ad.iter_list`: deterministic among aliases
    (the name equal to the object's __name__, public names first, namespaces in the order above)."""
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for order, (prefix, mod) in enumerate(_NAMESPACES):
            for name in dir(mod):
                if name.startswith("__"):
                    continue
                try:
                    if getattr(mod, name) is obj:
                        found.append((name != getattr(obj, "__name__", None), name.startswith("_"), order, name,
                                      f"{prefix}.{name}"))
                except Exception:
                    pass
    return min(found)[-1] if found else repr(obj)


def _user_rule(rule):
    return rule.template.__module__.rsplit(".", 1)[-1] in USER_MODULES


def registered():
    """display name -> Rule, for every function, method and attribute of the user-facing rule modules."""
    out = {}
    for obj, rule in rules.FUNCTIONS.items():
        if _user_rule(rule):
            out[_display_name(obj)] = rule
    for table in (rules.METHODS, rules.ATTRIBUTES):
        for name, rule in table.items():
            if _user_rule(rule):
                out[f"ndarray.{name}"] = rule
    return out


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


POS = uniform(0.3, 3.0)
# rule name -> one sampler for every argument, a tuple of samplers (one per argument, `normal` after the
# last), or a Joint sampler of all arguments. Rules not listed take standard normal inputs.
DOMAINS = {
    "divide": (normal, away0),
    "power": (uniform(0.5, 2.0), normal), "pow": (uniform(0.5, 2.0), normal),
    "mod": mod_pair, "fmod": mod_pair,
    "absolute": away0, "abs": away0, "fabs": away0, "copysign": (away0, away0),
    "log": (POS, uniform(1.5, 3.0)), "log2": POS, "log10": POS, "log1p": uniform(-0.7, 2.0),
    "sqrt": POS, "cbrt": POS, "reciprocal": away0,
    "tan": uniform(-1.2, 1.2), "arcsin": uniform(-0.9, 0.9), "arccos": uniform(-0.9, 0.9),
    "asin": uniform(-0.9, 0.9), "acos": uniform(-0.9, 0.9), "arccosh": uniform(1.2, 3.0),
    "arctanh": uniform(-0.8, 0.8),
    "arctan2": (away0, normal), "atan2": (away0, normal), "hypot": (away0, away0),
    "maximum": distinct, "minimum": distinct, "max": distinct, "min": distinct, "extreme": distinct,
    "sort": distinct,
    "clip": (bands, uniform(-0.6, -0.4), uniform(0.4, 0.6)),
    "where": (away0, normal, normal),
    "prod": away0,
    "inv": wellcond, "det": wellcond, "solve": (wellcond, normal),
}


# -- call shapes ---------------------------------------------------------------------------------------------------
class Case:
    """A call `expr` of the placeholders a, b, c, d with arguments of shapes `specs` (a tuple shape, () for a
    0-d array, F for a Python float). `expr` with newlines is a function body assigning the result to `r`.
    `wrt`: the differentiable placeholders (default all); `dom`: a sampler overriding DOMAINS."""

    def __init__(self, expr, *specs, wrt=None, dom=None, label=None):
        self.expr, self.specs, self.dom, self.label = expr, specs, dom, label
        self.params = "abcd"[:len(specs)]
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

CASES = {
    # operators (written as operators) and their NumPy functions
    "operator.add": _binary("a + b", BCAST) + [C("operator.add(a, b)", (3, 4), (4,))],
    "operator.sub": _binary("a - b", BCAST),
    "operator.mul": _binary("a * b", BCAST) + [C("a * a", (3,))],
    "operator.truediv": _binary("a / b", BCAST) + [C("2.0 / a", (3,), dom=away0)],
    "operator.pow": _binary("a ** b", BCAST) + [C("a ** 3", (3,)), C("a ** 2.5", (3,)), C("a ** -1.5", (3,)),
                                                C("2.0 ** a", (3,)), C("a ** 2", F)],
    "operator.mod": _binary("a % b", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3), F), (F, F), ((), ())])
    + [C("a % 1.5", (3, 4), dom=mod_by(1.5))],
    "operator.neg": [C("-a", (3, 4)), C("-a", F)],
    "operator.pos": [C("+a", (3, 4)), C("+a", F)],
    "operator.matmul": _binary("a @ b", MATMUL),
    "np.add": _binary("np.add(a, b)", BCAST_SHORT),
    "np.subtract": _binary("np.subtract(a, b)", BCAST_SHORT),
    "np.multiply": _binary("np.multiply(a, b)", BCAST_SHORT),
    "np.divide": _binary("np.divide(a, b)", BCAST_SHORT) + [C("np.true_divide(a, b)", (3,), (3,))],
    "np.power": _binary("np.power(a, b)", BCAST_SHORT),
    "np.float_power": _binary("np.float_power(a, b)", BCAST_SHORT),
    "np.remainder": _binary("np.mod(a, b)", [((3, 4), (4,))]) + [C("np.remainder(a, b)", (3,), ())],
    "np.fmod": _binary("np.fmod(a, b)", [((3, 4), (4,)), ((3,), ())]),
    "np.negative": [C("np.negative(a)", (3, 4))],
    "np.positive": [C("np.positive(a)", (3, 4))],
    "np.matmul": _binary("np.matmul(a, b)", MATMUL[:5]),
    "np.dot": _binary("np.dot(a, b)", DOT),
    "np.outer": _binary("np.outer(a, b)", [((3,), (4,)), ((2, 3), (4,))]),
    # elementwise
    **{f"np.{n}": [C(f"np.{n}(a)", (2, 3)), C(f"np.{n}(a)", ()), C(f"np.{n}(a)", F)] for n in UNARY_NP},
    "np.arctan2": _binary("np.arctan2(a, b)", BCAST),
    "np.logaddexp": _binary("np.logaddexp(a, b)", BCAST),
    "np.maximum": _binary("np.maximum(a, b)", BCAST) + [C("np.maximum(a, 0.05)", (3, 4))],
    "np.minimum": _binary("np.minimum(a, b)", BCAST) + [C("np.minimum(0.05, a)", (3, 4))],
    "np.fmax": _binary("np.fmax(a, b)", BCAST_SHORT),
    "np.fmin": _binary("np.fmin(a, b)", BCAST_SHORT),
    "np.clip": [C("np.clip(a, -0.5, 0.5)", (3, 4)), C("np.clip(a, None, 0.5)", (3, 4)),
                C("np.clip(a, b, c)", (3, 4), (4,), (3, 1)), C("np.clip(a, b, None)", (3, 4), ()),
                C("np.clip(a, -0.5, 0.5)", F)],
    "np.where": [C("np.where(a > 0, a, b)", (3, 4), (3, 4)), C("np.where(a > 0, a, b)", (3, 4), (4,)),
                 C("np.where(a > 0, b, c)", (3, 4), (3, 1), (), wrt="bc"),
                 C("np.where(a > 0, np.sin(a), 1.0)", (3, 4))],
    "np.real": [C("np.real(a)", (3, 4))],
    # reductions
    "np.sum": _reductions("np.sum") + [C("np.sum(a)", F)],
    "np.mean": _reductions("np.mean"),
    "np.prod": _reductions("np.prod"),
    "np.max": _reductions("np.max"),
    "np.amax": [C("np.amax(a)", (3, 4)), C("np.amax(a, axis=-1, keepdims=True)", (3, 4))],
    "np.min": _reductions("np.min"),
    "np.amin": [C("np.amin(a)", (3, 4)), C("np.amin(a, axis=(0, 1))", X3)],
    "np.var": _reductions("np.var") + [C("np.var(a, axis=1, ddof=1)", X3)],
    "np.std": _reductions("np.std") + [C("np.std(a, axis=-1, ddof=1, keepdims=True)", X3)],
    "np.cumsum": [C("np.cumsum(a)", X3), C("np.cumsum(a, axis=-1)", X3), C("np.cumsum(a, 0)", X3),
                  C("np.cumsum(a)", ())],
    "np.trace": [C("np.trace(a)", (3, 3)), C("np.trace(a, offset=1)", (3, 4)), C("np.trace(a, -1)", (4, 3)),
                 C("np.trace(a, axis1=1, axis2=2)", (2, 3, 3)), C("np.trace(a, 0, -1, -2)", (2, 3, 3))],
    "np.linalg.norm": [C("np.linalg.norm(a)", (5,)), C("np.linalg.norm(a)", (3, 4)),
                       C("np.linalg.norm(a, axis=-1)", (3, 4)), C("np.linalg.norm(a, axis=0, keepdims=True)", (3, 4)),
                       C("np.linalg.norm(a, 2)", (5,)), C("np.linalg.norm(a, 'fro')", (3, 4)),
                       C("np.linalg.norm(a, axis=-1)", X3)],
    # linear algebra
    "np.linalg.inv": [C("np.linalg.inv(a)", (3, 3)), C("np.linalg.inv(a)", (2, 3, 3))],
    "np.linalg.det": [C("np.linalg.det(a)", (3, 3)), C("np.linalg.det(a)", (2, 3, 3)), C("np.linalg.det(a)", (1, 1))],
    "np.linalg.solve": _binary("np.linalg.solve(a, b)", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2))])
    + [C("np.linalg.solve(a, b)", (3, 3), (3,), wrt="a"), C("np.linalg.solve(a, b)", (3, 3), (3, 2), wrt="b")],
    # shapes
    "np.reshape": [C("np.reshape(a, (4, 6))", X3), C("np.reshape(a, -1)", X3), C("np.reshape(a, (2, -1, 3))", X3),
                   C("np.reshape(a, shape=(6, 4))", X3), C("np.reshape(a, (1, 1))", ())],
    "np.ravel": [C("np.ravel(a)", X3), C("np.ravel(a)", ()), C("np.ravel(a, order='F')", X3)],
    "np.squeeze": [C("np.squeeze(a)", (1, 3, 1, 4)), C("np.squeeze(a, axis=-2)", (1, 3, 1, 4)),
                   C("np.squeeze(a, axis=(0, 2))", (1, 3, 1, 4))],
    "np.expand_dims": [C("np.expand_dims(a, 0)", (3, 4)), C("np.expand_dims(a, axis=-1)", (3, 4)),
                       C("np.expand_dims(a, (0, 2))", (3, 4))],
    "np.atleast_1d": [C("np.atleast_1d(a)", ()), C("np.atleast_1d(a)", F), C("np.atleast_1d(a)", (3,))],
    "np.atleast_2d": [C("np.atleast_2d(a)", (3,)), C("np.atleast_2d(a)", ())],
    "np.transpose": [C("np.transpose(a)", X3), C("np.transpose(a, (1, 0, 2))", X3),
                     C("np.transpose(a, axes=(2, -3, 1))", X3)],
    "np.swapaxes": [C("np.swapaxes(a, 0, -1)", X3), C("np.swapaxes(a, 1, 0)", (3, 4))],
    "np.moveaxis": [C("np.moveaxis(a, 0, -1)", X3), C("np.moveaxis(a, (0, 1), (2, 0))", X3)],
    "np.broadcast_to": [C("np.broadcast_to(a, (2, 3, 4))", s) for s in [(3, 1), (4,), (1, 3, 4), ()]],
    "np.concatenate": [C("np.concatenate([a, b])", (2, 3), (4, 3)), C("np.concatenate((a, b), axis=-1)", (2, 3), (2, 1)),
                       C("np.concatenate([a, b], axis=None)", (2, 3), (4,)),
                       C("np.concatenate([a, b, a], axis=1)", (2, 1, 3), (2, 2, 3))],
    "np.stack": [C("np.stack([a, b])", (2, 3), (2, 3)), C("np.stack((a, b, c), axis=-1)", (4,), (4,), (4,)),
                 C("np.stack([a, b], 1)", (2, 3), (2, 3))],
    "np.vstack": [C("np.vstack([a, b])", (2, 3), (1, 3)), C("np.vstack((a, b))", (3,), (3,))],
    "np.hstack": [C("np.hstack([a, b])", (2, 3), (2, 1)), C("np.hstack((a, b))", (3,), (2,))],
    "np.dstack": [C("np.dstack([a, b])", (2, 3), (2, 3)), C("np.dstack((a, b))", (3,), (3,))],
    "np.column_stack": [C("np.column_stack([a, b])", (3,), (3, 2)), C("np.column_stack((a, b))", (3,), (3,))],
    "np.append": [C("np.append(a, b)", (2, 3), (4,)), C("np.append(a, b, axis=0)", (2, 3), (1, 3)),
                  C("np.append(a, b, axis=-1)", (2, 3), (2, 2))],
    "np.flip": [C("np.flip(a)", (3, 4)), C("np.flip(a, 1)", (3, 4)), C("np.flip(a, axis=(0, -1))", X3)],
    "np.copy": [C("np.copy(a)", (3, 4)), C("np.copy(a)", ())],
    "np.array": [C("np.array(a)", (3, 4)), C("np.array(a, dtype=np.float64)", (3,)), C("np.array([a, b])", (3,), (3,))],
    "np.asarray": [C("np.asarray(a)", (3, 4)), C("np.asarray(a)", F)],
    "np.ascontiguousarray": [C("np.ascontiguousarray(a.T)", (3, 4))],
    "np.diag": [C("np.diag(a)", (3,)), C("np.diag(a, 1)", (3,)), C("np.diag(a)", (3, 3)), C("np.diag(a, k=-1)", (3, 4))],
    "np.sort": [C("np.sort(a)", (3, 4)), C("np.sort(a, axis=0)", (3, 4)), C("np.sort(a, axis=None)", (3, 4)),
                C("np.sort(a)", (5,))],
    "np.take": [C("np.take(a, [0, 2, 2])", (6,)), C("np.take(a, [1, 1, 0], axis=1)", (2, 3)),
                C("np.take(a, np.array([[0, 1], [2, 2]]), axis=-1)", (2, 3)), C("np.take(a, 4)", (2, 3))],
    "np.einsum": [C("np.einsum('ij,jk->ik', a, b)", (3, 4), (4, 2)), C("np.einsum('ii->', a)", (3, 3)),
                  C("np.einsum('i,i->', a, b)", (4,), (4,)), C("np.einsum('...ij,jk->...ik', a, b)", X3, (4, 2)),
                  C("np.einsum('ij,jk,k->i', a, b, c)", (3, 4), (4, 2), (2,)), C("np.einsum('ijk->kij', a)", X3),
                  C("np.einsum('ij,ij->i', a, a)", (3, 4))],
    "np.linspace": [C("np.linspace(a, b, 5)", F, F), C("np.linspace(a, b, 4)", (3,), (3,)),
                    C("np.linspace(a, 2.0, 4, endpoint=False)", F)],
    "np.full": [C("np.full((2, 3), a)", F), C("np.full((2, 3), a)", (3,))],
    "np.full_like": [C("np.full_like(np.zeros((2, 3)), a)", F), C("np.full_like(np.zeros((2, 3)), a)", (3,))],
    # helpers of the runtime that the compiler calls for Python constructs (registered in rules/numpy.py)
    "_ad.iter_list": [C("r = 0.0\nfor v in a:\n    r = r + np.sin(v) * v", (3, 4), label="for v in a"),
                      C("r = 0.0\nfor v in [a, b]:\n    r = r + v * v", (3,), F, label="for v in [a, b]")],
    "_ad.dict_values": [C("d = {'p': a, 'q': b}\nr = 0.0\nfor v in d.values():\n    r = r + v * v", (3,), F,
                          label="for v in d.values()")],
    "_ad.dict_items": [C("d = {'p': a, 'q': b}\nr = 0.0\nfor k, v in d.items():\n    r = r + v * v", (3,), (3,),
                         label="for k, v in d.items()")],
    "_ad.private_copy": [C("a[0] = a[1] * a[2]\nr = a * b", (3,), (3,), label="a[0] = a[1] * a[2] (argument changed)")],
    "_ad.index_concat": [C("np.r_[a, b]", (2,), (3,)), C("np.r_[a, 0.5, b]", (2,), F), C("np.c_[a, b]", (3,), (3,))],
    # math
    **{f"math.{n}": [C(f"math.{n}(a)", F)] for n in UNARY_MATH},
    "math.log": [C("math.log(a)", F), C("math.log(a, b)", F, F), C("math.log(a, 2.0)", F)],
    "math.pow": [C("math.pow(a, b)", F, F), C("math.pow(a, 3.0)", F)],
    "math.copysign": [C("math.copysign(a, b)", F, F, wrt="a"), C("math.copysign(a, -1.0)", F)],
    "math.atan2": [C("math.atan2(a, b)", F, F)],
    "math.hypot": [C("math.hypot(a, b)", F, F)],
    # builtins
    "builtins.abs": [C("abs(a)", F), C("abs(a)", (3, 4)), C("abs(a)", ())],
    "builtins.float": [C("float(a)", F), C("float(a)", ()), C("float(np.sum(a * a))", (3,))],
    "builtins.sum": [C("sum([a, b, c])", (4,), (4,), (4,)), C("sum([a, b], c)", (3,), (3,), F), C("sum([a, b])", F, F),
                     C("sum(a)", (3, 4))],
    "builtins.max": [C("max(a, b)", F, F), C("max(a, b, c)", F, F, F), C("max([a, b])", F, F)],
    "builtins.min": [C("min(a, b)", F, F), C("min(a, b, 0.05)", F, F)],
    # array methods and attributes
    "ndarray.sum": _method_reductions("sum"),
    "ndarray.mean": _method_reductions("mean"),
    "ndarray.prod": _method_reductions("prod"),
    "ndarray.max": _method_reductions("max"),
    "ndarray.min": _method_reductions("min"),
    "ndarray.var": _method_reductions("var") + [C("a.var(1, ddof=1)", X3)],
    "ndarray.std": _method_reductions("std") + [C("a.std(axis=(0, 1), ddof=1)", X3)],
    "ndarray.cumsum": [C("a.cumsum()", (3, 4)), C("a.cumsum(axis=-1)", (3, 4)), C("a.cumsum(0)", X3)],
    "ndarray.trace": [C("a.trace()", (3, 3)), C("a.trace(1)", (3, 4)), C("a.trace(axis1=1, axis2=2)", (2, 3, 3))],
    "ndarray.reshape": [C("a.reshape(4, 6)", X3), C("a.reshape((6, -1))", X3), C("a.reshape(-1)", X3),
                        C("a.reshape(2, 12, order='F')", X3)],
    "ndarray.ravel": [C("a.ravel()", X3), C("a.ravel('F')", X3)],
    "ndarray.flatten": [C("a.flatten()", X3), C("a.flatten(order='F')", X3)],
    "ndarray.squeeze": [C("a.squeeze()", (1, 3, 1)), C("a.squeeze(0)", (1, 3, 1)), C("a.squeeze(axis=-1)", (1, 3, 1))],
    "ndarray.transpose": [C("a.transpose()", X3), C("a.transpose(1, 0, 2)", X3), C("a.transpose((2, -3, 1))", X3)],
    "ndarray.swapaxes": [C("a.swapaxes(0, -1)", X3)],
    "ndarray.dot": _binary("a.dot(b)", [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)), ((3, 2), ())]),
    "ndarray.clip": [C("a.clip(-0.5, 0.5)", (3, 4)), C("a.clip(min=b)", (3, 4), (4,)), C("a.clip(max=0.5)", (3, 4)),
                     C("a.clip(b, c)", (3, 4), (4,), (3, 1))],
    "ndarray.copy": [C("a.copy()", (3, 4))],
    "ndarray.astype": [C("a.astype(np.float64)", (3, 4)), C("a.astype(float)", ())],
    "ndarray.item": [C("a.item()", (1, 1)), C("a.item(2)", (2, 3)), C("a.item(1, 0)", (2, 3)), C("a.item(-1)", (4,))],
    "ndarray.T": [C("a.T", (3, 4)), C("a.T", X3), C("a.T", (4,))],
    "ndarray.mT": [C("a.mT", X3), C("a.mT", (3, 4))],
    "ndarray.real": [C("a.real", (3, 4))],
}

# Second-order checks (test_hvp, test_hessian) expected to fail, keyed by a case id (the test id after the
# name) or by a CASES name (all its cases); strict: a fix makes them fail, then remove the entry.
# MISSING: an ad.ADError for a missing rule (checked: it must raise ad.ADError). KNOWN_WRONG: wrong values or
# another exception.
SECOND_ORDER = ("hvp", "hessian")
_NO_RULE = "second order: no derivative rule for the adjoint helper {} (rules/helpers.py)"
_ADD_AT = ("second order through a for loop over a list / dict: UnsupportedError, the reverse code's in-place "
           "`_ad.add_at(bt, k, bv)` cannot be differentiated again (its hint suggests ad.hvp, which is what failed)")
_COPYSIGN = ("second order: the partial math.copysign(1.0, x) passes x as copysign's `y`, which has no derivative "
             "(piecewise constant there: zero)")
MISSING = {
    "np.append": _NO_RULE.format("_ad.append_vjp"),
    "np.linspace": _NO_RULE.format("_ad.linspace_vjp"),
    "_ad.index_concat": _NO_RULE.format("_ad.index_concat_vjp"),
    "_ad.private_copy": _NO_RULE.format("_ad.pop_item (restoring an overwritten item of an argument)"),
    "for v in [a, b] [(3,),F]": _ADD_AT,
    "_ad.dict_values": _ADD_AT,
    "_ad.dict_items": _ADD_AT,
    "math.fabs": _COPYSIGN,
    "math.copysign": _COPYSIGN,
}
_EINSUM = ("second order of einsum with several operands: ValueError (setting an array element with a sequence) "
           "in the tangent of _ad.einsum_vjp")
KNOWN_WRONG = {
    "np.einsum('ij,jk->ik', a, b) [(3,4),(4,2)]": _EINSUM,
    "np.einsum('...ij,jk->...ik', a, b) [(2,3,4),(4,2)]": _EINSUM,
    "np.einsum('ij,jk,k->i', a, b, c) [(3,4),(4,2),(2,)]": _EINSUM,
}


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


HEADER = ["import math", "import operator", "", "import numpy as np", ""]


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


def _expected_failure(case, table):
    return table.get(case.id, table.get(case.name))


def _params(check, cases):
    out = []
    for case in cases:
        marks = []
        wrong, missing = _expected_failure(case, KNOWN_WRONG), _expected_failure(case, MISSING)
        if check in SECOND_ORDER and wrong:
            marks.append(pytest.mark.xfail(strict=True, reason=wrong))
        elif check in SECOND_ORDER and missing:
            marks.append(pytest.mark.xfail(strict=True, raises=ad.ADError, reason=missing))
        out.append(pytest.param(case, id=f"{case.name}: {case.id}", marks=marks))
    return out


def _first_per_name(cases):
    seen, out = set(), []
    for case in cases:
        if case.name not in seen and len(case.wrt) == 1 and int(np.prod(_shape(case.specs[case.wrt[0]]))) <= 12:
            seen.add(case.name)
            out.append(case)
    return out


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


# -- the table is complete ----------------------------------------------------------------------------------------
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
    stale = sorted((set(KNOWN_WRONG) | set(MISSING)) - set(CASES) - {c.id for c in ALL_CASES})
    assert not stale, f"KNOWN_WRONG / MISSING entries naming no CASES entry: {stale}"
