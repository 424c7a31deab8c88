"""Derivatives through a Cholesky factor taken with respect to the factorized matrix (used by resolve.py).

`L = cholesky(K, lower=True)` followed, in the same block, by `cho_solve((L, True), y)` or by
`np.log(np.diag(L))`: differentiated through the factor, K's adjoint is Cholesky's adjoint of L's adjoint (a
triangular inverse and three matrix products of K's size); differentiated as the functions of K they are
(x = A^-1 y, and log L_ii, half the log of a pivot of A, the symmetric matrix read from K's triangle) it is
-sym(Y x^T) on that triangle, and 0.5 L^-T diag(g) L^-1 (0.5 A^-1 for a log-determinant). Both are exact; the
second is a few outer products and one LAPACK call. Such a statement is bound to a rule with K as an operand
(`_ad.cho_solve_factored`, `_ad.log_diag_factored`); the forward code keeps the user's statement, and L gets an
adjoint only from its other uses (if any: then Cholesky's own rule runs for those).

Matched conservatively: the factorization and its use in one statement list, with only plain assignments
between them, none of which gives K, L, the `(L, lower)` pair or the diagonal a new value; the pair's flag
the factorization's own; no `overwrite_*` or other options but `check_finite`.
"""
import numpy as np

from . import ir, kinds as K
from .ir import Assign, Build, Call, Const, Global, Var


def _scipy_linalg():
    try:
        import scipy.linalg
    except ImportError:
        return None
    return scipy.linalg


def _const_flag(bound, name, default):
    v = bound.get(name)
    if v is None:
        return default
    if isinstance(v, Const) and isinstance(v.value, (bool, int)):
        return bool(v.value)
    return None


def _only(bound, allowed):
    """Are the bound parameters only `allowed` ones, or the others given as a constant False / None?"""
    return all(p in allowed or isinstance(v, Const) and v.value in (False, None) for p, v in bound.items())


def factorization(s, lookup):
    """(K, L, upper) for `L = cholesky(K, ...)` (SciPy's or NumPy's) with K a name, else None."""
    if not (isinstance(s, Assign) and len(s.targets) == 1 and not s.noop and not s.nograd):
        return None
    v = s.value
    if not (isinstance(v, Call) and isinstance(v.func, Global) and v.args and isinstance(v.args[0], Var)):
        return None
    if any(isinstance(a, ir.Starred) for a in v.args) or any(k == "**" for k, _ in v.kwargs):
        return None
    sla = _scipy_linalg()
    obj = v.func.obj
    if obj is np.linalg.cholesky:
        param, default, invert = "upper", False, False
    elif sla is not None and obj is sla.cholesky:
        param, default, invert = "lower", False, True
    else:
        return None
    kind, rule = lookup(obj)
    if kind != "rule":
        return None
    try:
        bound = rule.bind(list(v.args), dict(v.kwargs))
    except TypeError:
        return None
    flag = _const_flag(bound, param, default)
    if flag is None or not _only(bound, {"a", param, "check_finite"}):
        return None
    return v.args[0].name, s.target, (not flag) if invert else flag


def _call_of(s, *objs):
    v = s.value
    return isinstance(v, Call) and isinstance(v.func, Global) and any(v.func.obj is o for o in objs if o is not None)


def _diagonal_of(s, factor):
    """Is `s` `d = np.diag(L)` / `np.diagonal(L)` / `L.diagonal()` for the factor L (the main diagonal)?"""
    v = s.value
    if not isinstance(v, Call) or v.kwargs:
        return False
    if isinstance(v.func, ir.Attr) and v.func.attr == "diagonal" and not v.args:
        return isinstance(v.func.value, Var) and v.func.value.name == factor
    return _call_of(s, np.diag, np.diagonal) and len(v.args) == 1 and isinstance(v.args[0], Var) and \
        v.args[0].name == factor


def find(fn, kinds, lookup):
    """id(statement) -> (rule function, args) for the uses of Cholesky factors fused with their factorization.
    None when an argument holds arrays of another library (Dask, CuPy): `np.linalg.cholesky` of a Dask array is
    Dask's, which gives the upper factor."""
    if any(_foreign(kinds.get(p)) for p in fn.params):
        return {}
    return _find(fn.body, lookup)


def _foreign(kind):
    if isinstance(kind, K.Array):
        return kind.cls is not np.ndarray
    if isinstance(kind, K.Seq):
        return any(_foreign(k) for k in (kind.items or (kind.elem,)) if k is not None)
    if isinstance(kind, K.Dict):
        return any(_foreign(k) for k in kind.items)
    if isinstance(kind, K.Obj):
        return any(_foreign(k) for _, k in kind.attrs)
    return False


def _find(body, lookup):
    out = {}
    for block in _blocks(body):
        for i, s in enumerate(block):
            f = factorization(s, lookup)
            if f is not None:
                _uses(block[i + 1:], *f, out)
    return out


def _uses(rest, K, L, upper, out):
    from . import runtime

    sla = _scipy_linalg()
    pairs, diagonals = {}, set()
    watched = {K, L}
    for s in rest:
        if not isinstance(s, Assign) or s.noop or any(t in watched or t in pairs or t in diagonals
                                                          for t in s.targets):
            return
        if len(s.targets) != 1 or s.nograd:
            continue
        v, t = s.value, s.target
        if isinstance(v, Build) and v.kind == "tuple" and len(v.items) == 2 and isinstance(v.items[0], Var) and \
                v.items[0].name == L and isinstance(v.items[1], Const) and isinstance(v.items[1].value, (bool, int)):
            if bool(v.items[1].value) == (not upper):
                pairs[t] = v.items[1]
        elif _diagonal_of(s, L):
            diagonals.add(t)
        elif sla is not None and _call_of(s, sla.cho_solve) and len(v.args) == 2 and isinstance(v.args[0], Var) and \
                v.args[0].name in pairs and not any(k not in ("check_finite",) for k, _ in v.kwargs):
            out[id(s)] = (runtime.cho_solve_factored, [v.args[0], v.args[1], Var(K)])
        elif _call_of(s, np.log) and len(v.args) == 1 and not v.kwargs and isinstance(v.args[0], Var) and \
                v.args[0].name in diagonals:
            out[id(s)] = (runtime.log_diag_factored, [v.args[0], Var(L), Var(K), Const(upper)])


def _blocks(body):
    yield body
    for s in ir.walk(body):
        if not isinstance(s, ir.FunctionDef):
            yield from ir.blocks(s)
