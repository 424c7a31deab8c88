"""Forward mode, higher order, Jacobians, Hessians and has_aux (SPEC: Extensions), all checked against central
finite differences in float64 of the *original* functions (or, for the n-th derivative, of the (n-1)-th,
itself checked against finite differences).

    ad.jvp(f, wrt)               -> (f(x), J @ t)           vs  (f(x + h t) - f(x - h t)) / 2h
    ad.hvp(f, wrt), ad.hessian   -> H v, H                  vs  4-point second differences of f
    ad.jacfwd / jacrev / jacobian -> out.shape + x.shape    vs  central differences, entry by entry
    ad.grad(ad.grad(...)), ad.jvp(ad.grad(...)), ad.grad(ad.vjp(...))   to third order
    ad.grad(f, has_aux=True), ad.value_and_grad(f, has_aux=True)

The programs are module-level functions (the compiler reads their source).
"""
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import ad_compiler as ad

# ----------------------------------------------------------------------------------------------------------
# finite differences on trees (arrays, floats, tuples, lists, dicts), always in float64
# ----------------------------------------------------------------------------------------------------------
EPS = 1e-6  # first differences
H2 = 1e-4  # second differences (rounding ~ 1e-16 |f| / H2**2, truncation ~ H2**2)


def _flatten(tree):
    """(leaves, rebuild): leaves are arrays or numbers; rebuild(leaves) gives the same structure back."""
    if isinstance(tree, (tuple, list)):
        subs = [_flatten(t) for t in tree]
        kind = type(tree)

        def rebuild(leaves):
            items, k = [], 0
            for ls, rb in subs:
                items.append(rb(leaves[k:k + len(ls)]))
                k += len(ls)
            return kind(items)
        return [leaf for ls, _ in subs for leaf in ls], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        flat, rebuild_list = _flatten([tree[k] for k in keys])
        return flat, lambda leaves: dict(zip(keys, rebuild_list(leaves)))
    return [tree], lambda leaves: leaves[0]


def ravel(tree):
    """(float64 vector of all entries, unravel): unravel(v) rebuilds the tree with float64 leaves."""
    leaves, rebuild = _flatten(tree)
    sizes = [int(np.size(leaf)) for leaf in leaves]
    vec = np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves]) if leaves \
        else np.zeros(0)

    def unravel(v):
        out, k = [], 0
        for leaf, n in zip(leaves, sizes):
            chunk = np.asarray(v[k:k + n], dtype=np.float64)
            k += n
            out.append(chunk.reshape(np.shape(leaf)).copy() if isinstance(leaf, np.ndarray) else float(chunk[0]))
        return rebuild(out)
    return vec, unravel


def _copy(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, (tuple, list)):
        return type(a)(_copy(x) for x in a)
    if isinstance(a, dict):
        return {k: _copy(v) for k, v in a.items()}
    return a


def _positions(wrt):
    return list(wrt) if isinstance(wrt, tuple) else [wrt]


def _at(f, args, wrt, unravel):
    """x -> f with the wrt arguments replaced by unravel(x) (float64 copies of everything else)."""
    pos = _positions(wrt)

    def g(vec):
        new = [_copy(a) for a in args]
        for p, val in zip(pos, unravel(vec)):
            new[p] = val
        return f(*new)
    return g


def fd_grad(f, args, wrt=0, eps=EPS):
    """Central differences of the scalar f w.r.t. the wrt argument(s): same structure as them."""
    pos = _positions(wrt)
    x, unravel = ravel(tuple(args[p] for p in pos))
    g = _at(f, args, wrt, unravel)
    out = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps
        out[k] = (float(g(x + e)) - float(g(x - e))) / (2 * eps)
    res = unravel(out)
    return res if isinstance(wrt, tuple) else res[0]


def fd_jvp(f, args, wrt, tangent, eps=EPS):
    """(f(x + eps t) - f(x - eps t)) / 2 eps, with the structure of f's output."""
    pos = _positions(wrt)
    x, unravel = ravel(tuple(args[p] for p in pos))
    t, _ = ravel(tuple(tangent) if isinstance(wrt, tuple) else (tangent,))
    g = _at(f, args, wrt, unravel)
    hi, out_unravel = ravel(g(x + eps * t))
    lo, _ = ravel(g(x - eps * t))
    return out_unravel((hi - lo) / (2 * eps))


def fd_jac(f, args, p, eps=EPS):
    """The Jacobian of f (array or number output) w.r.t. argument p: shape out.shape + x.shape."""
    x, unravel = ravel((args[p],))
    g = _at(f, args, p, unravel)
    out_shape = np.shape(f(*[_copy(a) for a in args]))
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps
        cols.append((np.asarray(g(x + e), dtype=float) - np.asarray(g(x - e), dtype=float)).ravel() / (2 * eps))
    jac = np.stack(cols, axis=-1) if cols else np.zeros((int(np.prod(out_shape)), 0))
    return jac.reshape(out_shape + np.shape(args[p]))


def fd_hess_flat(f, args, wrt, h=H2):
    """The Hessian of the scalar f w.r.t. the wrt argument(s), over their raveled entries (4-point rule)."""
    pos = _positions(wrt)
    x, unravel = ravel(tuple(args[p] for p in pos))
    g = _at(f, args, wrt, unravel)
    n = x.size
    hess = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i] = h
            ej[j] = h
            v = (float(g(x + ei + ej)) - float(g(x + ei - ej)) - float(g(x - ei + ej)) + float(g(x - ei - ej)))
            hess[i, j] = hess[j, i] = v / (4 * h * h)
    return hess, x, unravel


def fd_hessian(f, args, wrt):
    """x.shape + x.shape (one wrt), or a tuple of tuples of blocks xi.shape + xj.shape."""
    hess, _, _ = fd_hess_flat(f, args, wrt)
    pos = _positions(wrt)
    shapes = [np.shape(args[p]) for p in pos]
    sizes = [int(np.prod(s)) for s in shapes]
    offs = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    blocks = tuple(tuple(hess[offs[a]:offs[a + 1], offs[b]:offs[b + 1]].reshape(shapes[a] + shapes[b])
                         for b in range(len(pos))) for a in range(len(pos)))
    return blocks if isinstance(wrt, tuple) else blocks[0][0]


def fd_hvp(f, args, wrt, v):
    hess, _, unravel = fd_hess_flat(f, args, wrt)
    vv, _ = ravel(tuple(v) if isinstance(wrt, tuple) else (v,))
    res = unravel(hess @ vv)
    return res if isinstance(wrt, tuple) else res[0]


def assert_close(got, expected, rtol=1e-5, atol=1e-6, what=""):
    """Same structure (containers, array shapes; numbers for numbers), values close in float64."""
    gl, _ = _flatten(got)
    el, _ = _flatten(expected)
    assert type(got) is type(expected) or not isinstance(expected, (tuple, list, dict)), \
        f"{what}: got a {type(got).__name__}, expected a {type(expected).__name__}"
    if isinstance(expected, dict):
        assert set(got) == set(expected), f"{what}: keys {sorted(got)} != {sorted(expected)}"
        got = {k: got[k] for k in expected}  # same order
        gl, _ = _flatten(got)
    assert len(gl) == len(el), f"{what}: {len(gl)} leaves, expected {len(el)}"
    for g, e in zip(gl, el):
        if isinstance(e, np.ndarray) and e.ndim > 0:
            assert isinstance(g, np.ndarray), f"{what}: got a {type(g).__name__} for an array"
        assert np.shape(g) == np.shape(e), f"{what}: shape {np.shape(g)}, expected {np.shape(e)}"
        g64, e64 = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
        scale = max(1.0, float(np.max(np.abs(e64))) if e64.size else 1.0)
        np.testing.assert_allclose(g64, e64, rtol=rtol, atol=atol * scale, err_msg=what)


def check_source(fn):
    src = fn.source
    assert isinstance(src, str) and "def " in src, f"no generated source on {fn!r}"


def rnd(seed, *shape, scale=1.0, shift=0.0):
    x = np.random.default_rng(seed).standard_normal(shape) * scale + shift
    return float(x) if shape == () else x


# ----------------------------------------------------------------------------------------------------------
# programs with a scalar output
# ----------------------------------------------------------------------------------------------------------
def p_straight(x, W, b):
    """elementwise, broadcasting, reductions with axis/keepdims, matmul, indexing"""
    h = np.tanh(W @ x + b)  # (4, 3) @ (3, 2) + (4, 1)
    m = np.mean(h * h, axis=1, keepdims=True)
    s = np.sum(h / (1.0 + m), axis=0)
    r = np.sum(s * x[0]) + x[1, 1] * np.exp(-x[2, 0] ** 2)
    return r + np.sum(x[:, ::-1][1:] ** 3) + np.sum(W[::2, 1:] * W[1::2, :2]) - np.sum(b.T @ W[:, :2])


def p_rnn(W, U, xs, h0):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        total = total + np.sum(h ** 2) * (t + 1)
    return total + np.sum(h * h0)


def p_while(x, a):
    y = x
    n = 0
    while np.max(np.abs(y)) < 4.0:  # data-dependent exit
        y = y * a + 0.1 * np.sin(y)
        n = n + 1
        if np.sum(y) > 6.0:  # data-dependent break
            break
    return np.sum(y ** 2) + n


def p_branch(x, c):
    if np.sum(x) > c:
        y = np.sin(x) * x
    else:
        y = np.cos(x) / (1.0 + x ** 2)
    if x[0] > 0.0:
        z = y * x[0]
    else:
        z = y - x[0] ** 3
    return np.sum(z ** 2) + c * np.sum(y)


def p_inplace(x):
    y = np.zeros(5)
    y[0] = x[0] * x[1]
    for i in range(1, 3):
        y[i] = np.sin(x[i]) * y[i - 1] + x[i]
    y[1:] += x[1:] ** 2
    v = y[1:]
    v *= 2.0
    z = x.copy()
    z[::2] = z[::2] * y[:3]
    return np.sum(y * x) + np.sum(v ** 2) + np.sum(z ** 3)


def p_lists(x):
    hs = []
    h = x
    for i in range(3):
        h = np.sin(h) + 0.5 * h
        hs.append(h * (i + 1))
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(sum(hs) * x) + sum([np.sum(a) for a in hs])


def p_tuples(x, y):
    pair = (x * y, x + y)
    a, b = pair
    t = (a, b, np.sum(a))
    u, (v, w) = t[2], t[:2]
    return np.sum(t[0] * t[1]) + t[2] ** 2 + u * np.sum(v - w)


def p_list_in_tuple(x):
    log = []
    box = (log, 2.0)
    for i in range(3):
        log.append(x[i] * x[i + 1])
    return box[0][1] * box[1] + np.sum(box[0][2] * x)


def p_tuple_arg(params, x):
    W, b = params
    return np.sum(np.tanh(W @ x + b) ** 2) + np.sum(b * W[:, 0])


def p_dicts(params, x):
    cache = {}
    cache["z"] = params["W"] @ x + params["b"]
    cache["a"] = np.tanh(cache["z"])
    d = {"s": np.sum(cache["a"] ** 2)}
    for k in ("z", "a"):
        d[k] = np.sum(cache[k] * params["b"])
    return d["s"] + d["z"] * 0.3 + d["a"] * d["a"]


def _scale(v, s):
    return v * s + np.sin(v)


def _mutate(buf, v):
    buf[0] = buf[0] + v[0] * v[1]
    buf[1:] *= v[1:]


def p_helpers(x):
    y = _scale(x, 2.0)
    buf = np.ones_like(x)
    _mutate(buf, y)
    return np.sum(buf * y) + _scale(x[0], x[1])


def make_closure(a, W):
    def closure(x):
        return np.sum(np.tanh(W @ x) * a) + a * np.sum(x ** 3)
    return closure


p_closure = make_closure(0.7, rnd(40, 3, 3))


def p_floats(x, y):
    z = x * y + np.sin(x) / (1.0 + y ** 2)
    return z ** 2 + math.sqrt(x * x + y * y + 1.0) + math.exp(-y) * x


def p_float32(x):
    return np.sum(np.tanh(x) * x ** 2) + np.sum(x[:2] * x[1:])


def p_max(x):
    return np.sum(np.max(x, axis=0) ** 2) + np.max(x) * np.sum(x)


def p_min(x):
    return np.sum(np.min(x * x, axis=1, keepdims=True) * x) + np.min(x)


def p_prod(x):
    return np.sum(np.prod(x, axis=0)) + np.prod(x[0] + 2.0)


def p_var_std(x):
    return np.sum(np.var(x, axis=1)) + np.std(x) * np.sum(x) + np.std(x, axis=0)[1]


def p_det(A):
    return np.linalg.det(A) ** 2 + np.linalg.det(A[:2, :2])


def p_solve(A, b):
    return np.sum(np.linalg.solve(A, b) ** 2)


def p_inv(A):
    return np.sum(np.linalg.inv(A) * A.T) + np.sum(np.linalg.inv(A) ** 2)


def p_sort(x):
    return np.sum(np.sort(x) * np.arange(1.0, 7.0) * x) + np.sum(np.sort(x.reshape(2, 3), axis=0)[1] ** 3)


def p_where(x):
    y = np.where(x > 0.0, x ** 2, np.sin(x))
    return np.sum(y * x) + np.sum(np.where(x < 0.5, 1.0, x) ** 3)


def p_concat_stack(x, y):
    c = np.concatenate([x, y * 2.0, x[:1] * y[:1]])
    s = np.stack([x, y], axis=1)
    return np.sum(c ** 2 * np.arange(7.0)) + np.sum(s[:, 0] * s[:, 1] ** 2)


def p_einsum(A, B):
    C = np.einsum("ij,jk->ik", A, B)
    return np.einsum("ij,ij->", C, C) + np.einsum("ii->", A @ A.T) * np.sum(B)


# Diagnoses of the failures seen (second order = hvp / hessian, i.e. forward mode over the generated gradient)
ADD_AT = "2nd order: the in-place runtime helper _ad.add_at (tuple/dict item adjoints) gets no tangent (wrong H)"
STORE_LOOP = "2nd order refused: gradient of a loop storing y[i] ('changes a value ... not followed in place')"
POP_ITEM = "2nd order refused: no derivative for _ad.pop_item (adjoint of an array item store / in-place op)"
LIST_POP = "2nd order refused: no derivative for list .pop() (adjoint of list.append)"
SECOND = ("hvp", "hessian")


def _x(reason, tests=SECOND):
    return {t: reason for t in tests}


@dataclass
class Case:
    name: str
    f: object
    args: object  # () -> tuple of arguments
    wrt: object = 0
    hess: bool = True  # twice differentiable (test hvp and hessian)
    hessian: bool = True  # the wrt arguments are arrays / numbers (ad.hessian applies)
    rtol: float = 1e-5
    xfail: dict = field(default_factory=dict)  # test name -> reason


SPD = np.array([[3.0, 0.4, -0.2], [0.1, 2.5, 0.3], [-0.3, 0.2, 2.0]])

CASES = [
    Case("straight", p_straight, lambda: (rnd(1, 3, 2), rnd(2, 4, 3), rnd(3, 4, 1)), wrt=(0, 1, 2)),
    Case("rnn", p_rnn, lambda: (rnd(4, 3, 3, scale=0.5), rnd(5, 3, 2), rnd(6, 4, 2), rnd(7, 3)), wrt=(0, 1, 3)),
    Case("while_exit", p_while, lambda: (np.array([0.5, -0.3, 0.2]), 1.3), wrt=(0, 1)),
    Case("while_break", p_while, lambda: (np.array([0.9, 0.8, 1.1]), 1.3), wrt=(0, 1)),
    Case("branch_then", p_branch, lambda: (np.array([0.7, 0.2, -0.4]), 0.1), wrt=(0, 1)),
    Case("branch_else", p_branch, lambda: (np.array([-0.7, 0.2, -0.4]), 0.1), wrt=(0, 1)),
    Case("inplace", p_inplace, lambda: (rnd(8, 5),), xfail=_x(STORE_LOOP)),
    Case("lists", p_lists, lambda: (rnd(9, 4),), xfail=_x(LIST_POP)),
    Case("tuples", p_tuples, lambda: (rnd(10, 3), rnd(11, 3)), wrt=(0, 1), xfail=_x(ADD_AT)),
    Case("tuple_arg", p_tuple_arg, lambda: ((rnd(12, 3, 2), rnd(13, 3)), rnd(14, 2)), hessian=False,
         xfail=_x(ADD_AT)),
    Case("dicts", p_dicts, lambda: ({"W": rnd(15, 3, 2), "b": rnd(16, 3)}, rnd(17, 2)), hessian=False,
         xfail=_x(ADD_AT)),
    Case("helpers", p_helpers, lambda: (rnd(18, 4),), xfail=_x(POP_ITEM)),
    Case("closure", p_closure, lambda: (rnd(19, 3),)),
    Case("floats", p_floats, lambda: (0.7, -0.4), wrt=(0, 1)),
    Case("float_one", p_floats, lambda: (0.7, -0.4), wrt=1),
    Case("max", p_max, lambda: (rnd(20, 3, 4),)),
    Case("min", p_min, lambda: (rnd(21, 3, 4),)),
    Case("prod", p_prod, lambda: (rnd(22, 3, 3, shift=0.3),)),
    Case("var_std", p_var_std, lambda: (rnd(23, 3, 4),)),
    Case("det", p_det, lambda: (SPD + 0.1 * rnd(24, 3, 3),)),
    Case("solve", p_solve, lambda: (SPD + 0.1 * rnd(25, 3, 3), rnd(26, 3)), wrt=(0, 1)),
    Case("inv", p_inv, lambda: (SPD + 0.1 * rnd(27, 3, 3),)),
    Case("sort", p_sort, lambda: (rnd(28, 6),)),
    Case("where", p_where, lambda: (np.array([-1.2, -0.3, 0.2, 0.45, 0.8, 1.5]),)),
    Case("concat_stack", p_concat_stack, lambda: (rnd(29, 3), rnd(30, 3)), wrt=(0, 1)),
    Case("einsum", p_einsum, lambda: (rnd(31, 2, 3), rnd(32, 3, 2)), wrt=(0, 1)),
    Case("list_in_tuple", p_list_in_tuple, lambda: (rnd(41, 4),),
         xfail={"hvp": POP_ITEM, "hessian": POP_ITEM}),
]


def _params(cases, test):
    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail[test])] if test in c.xfail else []
        out.append(pytest.param(c, id=c.name, marks=marks))
    return out


def _tangent_like(wrt, args, seed):
    """A random tangent with the structure of the wrt argument(s)."""
    def like(a, s):
        vec, unravel = ravel(a)
        return unravel(np.random.default_rng(s).standard_normal(vec.size))
    if isinstance(wrt, tuple):
        return tuple(like(args[p], seed + k) for k, p in enumerate(wrt))
    return like(args[wrt], seed)


@pytest.mark.parametrize("case", _params(CASES, "grad"))
def test_grad(case):
    args = case.args()
    g = ad.grad(case.f, wrt=case.wrt)
    got = g(*_copy(args))
    assert_close(got, fd_grad(case.f, args, case.wrt), rtol=case.rtol, what=f"grad of {case.name}")
    check_source(g)


@pytest.mark.parametrize("case", _params(CASES, "jvp"))
def test_jvp(case):
    args = case.args()
    t = _tangent_like(case.wrt, args, 100)
    j = ad.jvp(case.f, wrt=case.wrt)
    called = _copy(args)
    value, tan = j(*called, _copy(t))
    assert_close(called, args, rtol=0, atol=0, what="jvp changed its inputs")
    assert_close(value, case.f(*_copy(args)), rtol=1e-12, atol=1e-12, what="jvp value")
    assert_close(tan, fd_jvp(case.f, args, case.wrt, t), rtol=case.rtol, what=f"jvp tangent of {case.name}")
    check_source(j)


@pytest.mark.parametrize("case", _params([c for c in CASES if c.hess], "hvp"))
def test_hvp(case):
    args = case.args()
    v = _tangent_like(case.wrt, args, 200)
    h = ad.hvp(case.f, wrt=case.wrt)
    called = _copy(args)
    got = h(*called, _copy(v))
    assert_close(called, args, rtol=0, atol=0, what="hvp changed its inputs")
    assert_close(got, fd_hvp(case.f, args, case.wrt, v), rtol=1e-4, atol=1e-5, what=f"hvp of {case.name}")
    check_source(h)


@pytest.mark.parametrize("case", _params([c for c in CASES if c.hess and c.hessian], "hessian"))
def test_hessian(case):
    args = case.args()
    h = ad.hessian(case.f, wrt=case.wrt)
    got = h(*_copy(args))
    assert_close(got, fd_hessian(case.f, args, case.wrt), rtol=1e-4, atol=1e-5, what=f"hessian of {case.name}")
    check_source(h)


# ----------------------------------------------------------------------------------------------------------
# float32: values and derivatives stay float32
# ----------------------------------------------------------------------------------------------------------
X32 = np.array([0.5, -1.25, 0.75], dtype=np.float32)
T32 = np.array([0.3, -0.2, 1.0], dtype=np.float32)


def test_float32_grad_and_jvp_keep_dtype():
    x64 = X32.astype(np.float64)
    g = ad.grad(p_float32)(X32.copy())
    assert g.dtype == np.float32
    assert_close(g, fd_grad(p_float32, (x64,)), rtol=1e-4, atol=1e-4)
    value, tan = ad.jvp(p_float32)(X32.copy(), T32)
    assert np.asarray(value).dtype == np.float32 and np.asarray(tan).dtype == np.float32
    assert_close(tan, fd_jvp(p_float32, (x64,), 0, T32.astype(np.float64)), rtol=1e-4, atol=1e-4)
    hv = ad.hvp(p_float32)(X32.copy(), T32)
    assert hv.dtype == np.float32
    assert_close(hv, fd_hvp(p_float32, (x64,), 0, T32.astype(np.float64)), rtol=1e-3, atol=1e-3)


def test_float32_hessian_values():
    H = ad.hessian(p_float32)(X32.copy())
    assert H.shape == (3, 3)
    assert_close(H, fd_hessian(p_float32, (X32.astype(np.float64),), 0), rtol=1e-3, atol=1e-3)


def test_float32_hessian_and_jacobians_keep_dtype():
    assert ad.hessian(p_float32)(X32.copy()).dtype == np.float32
    assert ad.jacfwd(v_elem)(X32.copy()).dtype == np.float32
    assert ad.jacrev(v_elem)(X32.copy()).dtype == np.float32


# ----------------------------------------------------------------------------------------------------------
# Jacobians of vector-valued programs: jacfwd vs jacrev vs jacobian(auto) vs finite differences
# ----------------------------------------------------------------------------------------------------------
def v_elem(x):
    return np.sin(x) * x[::-1] + np.sum(x ** 2)


def v_matmul(x, W):
    return W @ np.tanh(x) + np.mean(W, axis=1) * x[0]


def v_rnn(xs, W):
    h = np.zeros(W.shape[0])
    states = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        states.append(h)
    return np.stack(states)


def v_while(x):
    y = x
    while np.sum(y ** 2) < 10.0:
        y = 1.5 * y + 0.1
    return y


def v_inplace(x):
    y = x.copy()
    y[0] = y[0] * y[1]
    y[1:] += np.sin(x[:-1])
    v = y[1:]
    v *= 2.0
    return y


def v_solve(A, b):
    return np.linalg.solve(A, b)


def v_inv(A):
    return np.linalg.inv(A)


def v_sort(x):
    return np.sort(x) * np.arange(1.0, 6.0)


def v_where_concat(x, y):
    return np.concatenate([np.where(x > 0.0, x * y, y), np.stack([x, y]).ravel() ** 2])


def v_einsum(A, x):
    return np.einsum("ij,j->i", A, x) * x[0]


def v_scalar_out(x):
    return np.sum(np.exp(x) * x)


def v_float_in(a, x):
    return np.sin(a * x) + a ** 2


@dataclass
class VCase:
    name: str
    f: object
    args: object
    wrt: object = 0
    xfail: dict = field(default_factory=dict)


VCASES = [
    VCase("elem", v_elem, lambda: (rnd(50, 4),)),
    VCase("matmul", v_matmul, lambda: (rnd(51, 3), rnd(52, 5, 3)), wrt=(0, 1)),
    VCase("rnn", v_rnn, lambda: (rnd(53, 3, 2), rnd(54, 2, 2, scale=0.5)), wrt=(0, 1)),
    VCase("while", v_while, lambda: (np.array([0.3, -0.5, 0.4]),)),
    VCase("inplace", v_inplace, lambda: (rnd(55, 4),)),
    VCase("solve", v_solve, lambda: (SPD + 0.1 * rnd(56, 3, 3), rnd(57, 3)), wrt=(0, 1)),
    VCase("inv", v_inv, lambda: (SPD + 0.1 * rnd(58, 3, 3),)),
    VCase("sort", v_sort, lambda: (rnd(59, 5),)),
    VCase("where_concat", v_where_concat, lambda: (np.array([0.5, -0.7, 1.1]), rnd(60, 3)), wrt=(0, 1)),
    VCase("einsum", v_einsum, lambda: (rnd(61, 2, 3), rnd(62, 3)), wrt=(0, 1)),
    VCase("scalar_out", v_scalar_out, lambda: (rnd(63, 3),)),
    VCase("float_in", v_float_in, lambda: (0.8, rnd(64, 3)), wrt=(0, 1)),
]


def _fd_jacobians(case, args):
    if isinstance(case.wrt, tuple):
        return tuple(fd_jac(case.f, args, p) for p in case.wrt)
    return fd_jac(case.f, args, case.wrt)


@pytest.mark.parametrize("mode", ["jacfwd", "jacrev", "forward", "reverse", "auto"])
@pytest.mark.parametrize("case", _params(VCASES, "jacobian"))
def test_jacobian(case, mode):
    args = case.args()
    if mode == "jacfwd":
        jac = ad.jacfwd(case.f, wrt=case.wrt)
    elif mode == "jacrev":
        jac = ad.jacrev(case.f, wrt=case.wrt)
    else:
        jac = ad.jacobian(case.f, wrt=case.wrt, mode=mode)
    got = jac(*_copy(args))
    assert_close(got, _fd_jacobians(case, args), what=f"{mode} of {case.name}")
    check_source(jac)


@pytest.mark.parametrize("case", _params(VCASES, "jvp"))
def test_jvp_vector_output(case):
    args = case.args()
    t = _tangent_like(case.wrt, args, 300)
    value, tan = ad.jvp(case.f, wrt=case.wrt)(*_copy(args), _copy(t))
    assert_close(value, case.f(*_copy(args)), rtol=1e-12, atol=1e-12)
    assert_close(tan, fd_jvp(case.f, args, case.wrt, t), what=f"jvp of {case.name}")


@pytest.mark.parametrize("case", _params(VCASES, "fwd_rev"))
def test_jacfwd_equals_jacrev(case):
    args = case.args()
    a = ad.jacfwd(case.f, wrt=case.wrt)(*_copy(args))
    b = ad.jacrev(case.f, wrt=case.wrt)(*_copy(args))
    assert_close(a, b, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------------------
# higher order
# ----------------------------------------------------------------------------------------------------------
def s_poly_sin(x):
    return x ** 3 * np.sin(x)


def s_gauss(x):
    return np.exp(-x * x) * np.cos(3.0 * x) + 1.0 / (1.0 + x ** 2)


def s_loop(x):
    y = x
    for i in range(3):
        y = np.sin(y) * x + 0.1 * i
    return y


def s_branch_while(x):
    y = x
    k = 0
    while k < 4:
        if y > 0.0:
            y = y * x - 0.2
        else:
            y = y + x ** 2
        k += 1
    return y * math.log(1.0 + x * x)


def s_math(x):
    return math.sin(x) * math.exp(0.5 * x) + x ** 4


def _fd1(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("f, x", [
    pytest.param(s_poly_sin, 0.9, id="poly_sin"),
    pytest.param(s_gauss, 0.4, id="gauss"),
    pytest.param(s_math, -0.6, id="math"),
    pytest.param(s_loop, 0.7, id="loop"),
    pytest.param(s_branch_while, 0.8, id="branch_while"),
])
def test_nested_grad_third_order(f, x):
    d1 = ad.grad(f)
    d2 = ad.grad(d1)
    d3 = ad.grad(d2)
    g1, g2, g3 = d1(x), d2(x), d3(x)
    for g in (g1, g2, g3):
        assert np.ndim(g) == 0
    # each order against differences of the one below (each one checked the same way)
    np.testing.assert_allclose(g1, _fd1(f, x, 1e-6), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g2, _fd1(d1, x, 1e-6), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g3, _fd1(d2, x, 1e-6), rtol=1e-6, atol=1e-7)
    # and directly against differences of f
    h = 1e-3
    fd3 = (f(x + 2 * h) - 2 * f(x + h) + 2 * f(x - h) - f(x - 2 * h)) / (2 * h ** 3)
    fd2 = (f(x + h) - 2 * f(x) + f(x - h)) / h ** 2
    np.testing.assert_allclose(g2, fd2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g3, fd3, rtol=1e-3, atol=1e-4)
    # other compositions reaching the same derivatives
    v, t = ad.jvp(d1)(x, 1.0)
    np.testing.assert_allclose([v, t], [g1, g2], rtol=1e-10, atol=1e-12)
    v, t = ad.jvp(d2)(x, 1.0)
    np.testing.assert_allclose(t, g3, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ad.grad(ad.vjp(f))(x, 2.0), 2.0 * g2, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ad.value_and_grad(d1)(x), (g1, g2), rtol=1e-10, atol=1e-12)
    for fn in (d1, d2, d3):
        check_source(fn)


def test_jvp_of_jvp_second_order():
    x = 0.9
    jj = ad.jvp(ad.jvp(s_poly_sin))  # (x, t, tangent) -> ((f, f' t), (f' , f'' t))
    value, tan = jj(x, 1.0, 1.0)
    d1 = ad.grad(s_poly_sin)
    np.testing.assert_allclose(tan[1], _fd1(d1, x, 1e-6), rtol=1e-6)
    np.testing.assert_allclose(value[1], _fd1(s_poly_sin, x, 1e-6), rtol=1e-6)


def g_elem(x):
    return np.sin(x) * x + x[0] * np.sum(x ** 2)


def _jvp_seeded(j, x, t, s0, s1):
    value, tangent = j(x, t)
    return np.sum(s0 * value) + np.sum(s1 * tangent)


@pytest.mark.parametrize("x, t", [
    pytest.param(np.array([0.3, 0.5, -0.8]), np.array([1.0, 2.0, -0.5]), id="array"),
    pytest.param(0.9, 1.5, id="float", marks=pytest.mark.xfail(strict=True, reason=(
        "vjp of a jvp for float arguments: the forward-sweep wrapper drops the jvp's tangent parameter "
        "(TypeError: takes 2 positional arguments but 3 were given)"))),
])
def test_vjp_of_jvp(x, t):
    """the reverse mode of a forward-mode derivative, with respect to the point and to the tangent"""
    f = g_elem if isinstance(x, np.ndarray) else s_poly_sin
    j = ad.jvp(f)
    s0, s1 = (0.5 * np.ones_like(x), np.linspace(1.0, 2.0, 3)) if isinstance(x, np.ndarray) else (0.5, 2.0)
    got = ad.vjp(j, wrt=(0, 1))(_copy(x), _copy(t), (s0, s1))
    expected = fd_grad(_jvp_seeded, (j, x, t, s0, s1), (1, 2))
    assert_close(got, expected, rtol=1e-6)


def a_mixed(a, x):
    """a scalar, x an array: d/dx (df/da) is an array"""
    return np.sum(np.sin(a * x) * x) + a ** 3 * np.sum(x ** 2)


def a_net(x, W):
    return np.sum(np.tanh(W @ x) ** 2) + np.sum(x ** 3) * np.sum(W)


def test_grad_of_grad_array_inputs_mixed():
    a, x = 0.6, rnd(70, 4)
    d1 = ad.grad(a_mixed, wrt=0)  # df/da: a float
    mixed = ad.grad(d1, wrt=1)  # d2f/dx da: an array of x's shape
    d2 = ad.grad(d1, wrt=0)  # d2f/da2: a float
    third = ad.grad(d2, wrt=1)  # d3f/dx da2: an array
    assert_close(d1(a, x), fd_grad(a_mixed, (a, x), 0), rtol=1e-6)
    assert_close(mixed(a, x.copy()), fd_grad(d1, (a, x), 1), rtol=1e-6)
    assert_close(d2(a, x), fd_grad(d1, (a, x), 0), rtol=1e-6)
    assert_close(third(a, x.copy()), fd_grad(d2, (a, x), 1), rtol=1e-6)
    both = ad.grad(d1, wrt=(0, 1))(a, x.copy())
    assert_close(both, fd_grad(d1, (a, x), (0, 1)), rtol=1e-6)


def test_grad_of_grad_array_inputs_via_jac():
    x, W = rnd(71, 3), rnd(72, 2, 3)
    dx = ad.grad(a_net, wrt=0)
    H_rev = ad.jacrev(dx)(x.copy(), W.copy())  # reverse over reverse
    H_fwd = ad.jacfwd(dx)(x.copy(), W.copy())  # forward over reverse
    expected = fd_jac(dx, (x, W), 0)
    assert_close(H_rev, expected, rtol=1e-6)
    assert_close(H_fwd, expected, rtol=1e-6)
    assert_close(ad.hessian(a_net)(x, W), fd_hessian(a_net, (x, W), 0), rtol=1e-4, atol=1e-5)
    cross = ad.jacrev(dx, wrt=1)(x.copy(), W.copy())  # d2 f / dx dW: x.shape + W.shape
    assert_close(cross, fd_jac(dx, (x, W), 1), rtol=1e-6)


_dnet = ad.grad(a_net, wrt=0)


def grad_penalty(x, W):
    """a function calling a gradient (a gradient penalty), differentiated again"""
    g = _dnet(x, W)
    return np.sum(g ** 2) + np.sum(W ** 2)


@pytest.mark.xfail(strict=True, reason="calling an ad.grad function inside a differentiated function is refused "
                                       "(NoDerivativeError: no derivative is known for `_dnet`)")
def test_grad_of_function_calling_grad():
    x, W = rnd(73, 3), rnd(74, 2, 3)
    got = ad.grad(grad_penalty, wrt=(0, 1))(x.copy(), W.copy())
    assert_close(got, fd_grad(grad_penalty, (x, W), (0, 1)), rtol=1e-6)


def test_hvp_of_array_function_against_fd_of_grad():
    x, W = rnd(75, 3), rnd(76, 2, 3)
    v = rnd(77, 3)
    got = ad.hvp(a_net)(x.copy(), W.copy(), v)
    dx = ad.grad(a_net)
    expected = fd_jvp(dx, (x, W), 0, v)
    assert_close(got, expected, rtol=1e-6)


# ----------------------------------------------------------------------------------------------------------
# has_aux
# ----------------------------------------------------------------------------------------------------------
def aux_late(x, w):
    """aux built at the return from a list f appended to and an array f changed in place"""
    log = []
    buf = x * 2.0
    for i in range(3):
        log.append(np.sum(x * w) * i)
    buf[1] = 7.0
    buf[2:] *= w
    loss = np.sum(np.sin(x) * buf) + np.sum(w ** 2) * log[-1]
    return loss, {"log": log, "buf": buf, "n": 3}


def aux_early(x, w):
    """the same, with the aux container made first (the list and the array change after they went into it)"""
    log = []
    buf = x * 2.0
    aux = {"log": log, "buf": buf, "n": 3}
    for i in range(3):
        log.append(np.sum(x * w) * i)
    buf[1] = 7.0
    buf[2:] *= w
    loss = np.sum(np.sin(x) * buf) + np.sum(w ** 2) * log[-1]
    return loss, aux


def aux_late_loss(x, w):
    return aux_late(x, w)[0]


def aux_early_loss(x, w):
    return aux_early(x, w)[0]


AUX = [pytest.param(aux_late, aux_late_loss, id="late"),
       pytest.param(aux_early, aux_early_loss, id="early")]


def _assert_same_aux(got, expected):
    assert type(got) is dict and set(got) == set(expected)
    assert got["n"] == expected["n"]
    assert isinstance(got["log"], list) and len(got["log"]) == len(expected["log"])
    for a, b in zip(got["log"], expected["log"]):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    np.testing.assert_allclose(got["buf"], expected["buf"], rtol=1e-13)


@pytest.mark.parametrize("f, loss", AUX)
@pytest.mark.parametrize("wrt", [0, (0, 1)], ids=["x", "xw"])
def test_grad_has_aux(wrt, f, loss):
    x, w = rnd(80, 4), 0.7
    g = ad.grad(f, wrt=wrt, has_aux=True)
    grads, aux = g(x.copy(), w)
    assert_close(grads, fd_grad(loss, (x, w), wrt))
    _assert_same_aux(aux, f(x.copy(), w)[1])
    check_source(g)


@pytest.mark.parametrize("f, loss", AUX)
@pytest.mark.parametrize("wrt", [0, (0, 1)], ids=["x", "xw"])
def test_value_and_grad_has_aux(wrt, f, loss):
    x, w = rnd(81, 4), -0.4
    g = ad.value_and_grad(f, wrt=wrt, has_aux=True)
    (value, aux), grads = g(x.copy(), w)
    expected_loss, expected_aux = f(x.copy(), w)
    np.testing.assert_allclose(value, expected_loss, rtol=1e-13)
    _assert_same_aux(aux, expected_aux)
    assert_close(grads, fd_grad(loss, (x, w), wrt))
    check_source(g)


def aux_simple(x):
    y = np.tanh(x)
    return np.sum(y ** 2), (y, np.max(x))


def test_has_aux_tuple_aux_and_inputs_unchanged():
    x = rnd(82, 5)
    keep = x.copy()
    grads, (y, m) = ad.grad(aux_simple, has_aux=True)(x)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(y, np.tanh(keep), rtol=1e-14)
    assert m == np.max(keep)
    assert_close(grads, fd_grad(aux_simple_loss, (keep,), 0))


def aux_simple_loss(x):
    return aux_simple(x)[0]


# ----------------------------------------------------------------------------------------------------------
# API shape details
# ----------------------------------------------------------------------------------------------------------
def test_jvp_tuple_tangent_and_hessian_blocks_shapes():
    x, W, b = rnd(1, 3, 2), rnd(2, 4, 3), rnd(3, 4, 1)
    t = (np.ones((3, 2)), np.zeros((4, 1)))
    value, tan = ad.jvp(p_straight, wrt=(0, 2))(x, W, b, t)
    assert np.ndim(tan) == 0
    assert_close(tan, fd_jvp(p_straight, (x, W, b), (0, 2), t))
    H = ad.hessian(p_straight, wrt=(0, 2))(x, W, b)
    assert isinstance(H, tuple) and len(H) == 2 and all(isinstance(r, tuple) and len(r) == 2 for r in H)
    assert H[0][0].shape == (3, 2, 3, 2) and H[0][1].shape == (3, 2, 4, 1) and H[1][0].shape == (4, 1, 3, 2)
    np.testing.assert_allclose(H[0][1], np.transpose(H[1][0], (2, 3, 0, 1)), rtol=1e-10, atol=1e-12)


def test_hessian_of_float_function():
    H = ad.hessian(p_floats, wrt=(0, 1))(0.7, -0.4)
    assert_close(tuple(tuple(float(b) for b in r) for r in H), fd_hessian(p_floats, (0.7, -0.4), (0, 1)),
                 rtol=1e-4, atol=1e-5)


def test_jacobian_bad_mode_is_aderror():
    with pytest.raises(ad.ADError):
        ad.jacobian(v_elem, mode="sideways")
