"""Second order wherever first order works (issue 9): the runtime helpers that generated gradients call have
rules for both modes, so a gradient is differentiated again in reverse mode (ad.grad of a function of ad.grad(f)) as well as in forward mode (ad.hvp, ad.hessian).

Each function below goes through one helper the first-order code calls (cumsum_vjp, trace_vjp, take_vjp,
var_vjp, std_vjp, ...). Every check compares with central differences of the compiled gradient (itself checked
against differences of f by tests/test_rules_modes.py): reverse over reverse (the gradient of <grad f(x), v>, as
`explore.py --mode hessian` checks it), forward over reverse (ad.hvp, ad.hessian).
"""
import importlib.util

import numpy as np
import pytest

try:
    import scipy.linalg as sla
except ImportError:  # (SciPy is an optional extra)
    sla = None

import ad_compiler as ad

EPS = 1e-5


def close(got, expected, rtol=1e-5, atol=1e-6):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                               atol=atol * scale)


def fd_hvp(grad, x, v):
    """Central differences of the compiled gradient in the direction v."""
    return (np.asarray(grad(x + EPS * v)) - np.asarray(grad(x - EPS * v))) / (2 * EPS)


# -- one function per helper --------------------------------------------------------------------------------------
def f_cumsum(x):
    return np.sum(np.sin(np.cumsum(x * x[::-1])) * np.arange(1.0, x.size + 1))


def f_cumsum_axis(X):
    return np.sum(np.cos(np.cumsum(X * X, axis=1)) * X)


def f_cumsum_method(X):
    return np.sum(np.sin(X.cumsum(axis=0) * X))


def f_trace(X):
    return np.trace(X @ X) ** 2 + np.sin(np.trace(X * X, offset=1))


def f_trace_method(X):
    return X.trace() * np.sum(X ** 2)


def f_transpose(X):
    return np.sum(np.sin(np.transpose(X * X) @ X))


def f_transpose_method(T):
    return np.sum(np.cos(T.transpose(1, 0, 2) * T.transpose((1, 0, 2))[::-1]))


def f_take(x):
    return np.sum(np.sin(np.take(x * x, [0, 2, 2, 3])) * np.take(x, [1, 1, 0, 3]))


def f_take_axis(X):
    return np.sum(np.take(X ** 3, [2, 0], axis=1) * np.take(X, [1, 0], axis=1))


def f_diag(x):
    return np.sum(np.sin(np.diag(x * x) @ np.diag(x, 1)[1:, :-1]))


def f_diag_of_matrix(X):
    return np.sum(np.diag(X @ X) ** 3) + np.sum(np.diag(X, -1) * np.diag(X, 1))


def f_item(x):
    return x.item(1) * x.item(2) ** 2 + np.sin(x[None, :] * x[:, None]).item((0, 1))


def f_var(X):
    return np.var(X * X) * np.sum(np.var(np.sin(X), axis=0)) + np.sum(X.var(axis=1, ddof=1) ** 2)


def f_std(X):
    return np.std(X * X) * np.sum(np.std(np.sin(X), axis=0, keepdims=True)) + np.sum(X.std(axis=1, ddof=1) ** 3)


def f_prod(X):
    return np.prod(np.sin(X)) + np.sum(np.prod(X * X[::-1], axis=0) ** 2) + np.sum(X.prod(axis=1))


def f_sum_of_list(x):
    rows = [x[0] * x, np.sin(x), x ** 3]
    return np.sum(sum(rows) ** 2)


def f_sum_of_rows(X):
    return np.sum(np.sin(sum(X * X[::-1])))


def f_repeat(x):
    return np.sum(np.sin(np.repeat(x * x, 2)) * np.repeat(x, [1, 3, 2, 2]))


def f_tile(X):
    return np.sum(np.cos(np.tile(X * X, (2, 1))) * np.tile(X, 2).sum())


def f_split(x):
    a, b, c = np.split(x * x, [1, 3])
    return np.sum(a) * np.sum(np.sin(b)) + np.sum(c ** 3 * x[-1])


def f_diagonal(T):
    return np.sum(np.sin(np.diagonal(T * T, 1, 0, 2)) * T[0, 0, 1]) + np.sum(T.diagonal() ** 3)


def f_det(X):
    return np.linalg.det(X) ** 2 + np.linalg.det(X * X)


# -- |x| through np.abs and abs(): its first-order rule calls _ad.sign(x) ----------------------------------------
def f_abs(x):
    return np.sum(np.abs(x) ** 3) + np.sum(np.abs(x * x[::-1]) * x)


def f_abs_builtin(x):
    return abs(x[0]) ** 3 * x[1] + np.sum(abs(x - 0.2) * np.sin(x))


def f_abs_complex(x):
    z = np.fft.fft(x)
    return np.sum(np.abs(z * z) * x[::-1]) + np.sum(np.abs(z) ** 3)


# -- an index computed from values that carry a derivative (a mask `out < 0.2`) is piecewise constant: the
# adjoint helpers taking it (store_adjoint, added_at, getitem_vjp) are differentiated again without it
def f_masked_scale(y):
    out = y * np.cos(y)
    for i in range(3):
        out[out < 0.2] *= np.sin(y[0]) + 2.0
    out[np.argmax(out)] += y[0] ** 2
    return np.sum(out * y ** 2)


def f_mask_read(y):
    out = np.sin(y)
    return np.sum(out[out > 0.0] ** 3) + np.sum(y[np.abs(out) < 0.5] * y[0])


# -- eigen- and singular vectors (eig_gaps, svd_gaps); list(x), tuple(x), reversed(x) of an array (items_vjp,
# reversed_vjp)
def f_eigh(X):
    w, V = np.linalg.eigh(X + X.T)
    return np.sum(w ** 3) + np.sum(V ** 3 * V[0])


def f_svd(X):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return np.sum(s ** 3) + np.sum((U * U[0]) ** 2) + np.sum(Vt ** 3 * Vt[0])


def f_items(X):
    rows = list(X * X)
    pair = tuple(np.sin(X))
    back = list(reversed(list(X ** 3)))
    return np.sum(rows[0] * pair[1]) + np.sum(np.stack(back) * X) + np.sum(rows[1] * back[0])


# -- scipy.linalg's matrix functions: their Frechet derivative (funm_frechet) differentiated in a and e
def f_expm(X):
    return np.sum(sla.expm(0.5 * X) * X) + np.sum(sla.sqrtm(X @ X.T + np.eye(3)) ** 2)


# -- np.diff (with prepend and append), np.cumprod, .tolist(): diff_vjp, cumprod_vjp, tolist_vjp
def f_diff(X):
    d = np.diff(X * X, prepend=np.sin(X[:, :1]), append=X[0, 0] * 2.0)
    return np.sum(np.sin(d) * np.diff(X ** 3, n=2, axis=0).sum())


def f_cumprod(X):
    return np.sum(np.sin(np.cumprod(X, axis=1))) + np.sum(np.cumprod(X * X[::-1]) * X.ravel())


def f_tolist(X):
    rows = (X * X).tolist()
    return rows[0][1] * rows[1][2] + np.sum(np.array(rows[1]) * np.sin(X[0]))


# -- np.tensordot and np.kron: tensordot_vjp_a / _b, kron_vjp_a / _b (bilinear in the adjoint and the other factor)
def f_tensordot(X):
    return np.sum(np.sin(np.tensordot(X, X * X, axes=([1], [0])))) + np.sum(np.tensordot(np.cos(X), X, axes=2) ** 2)


def f_kron(X):
    return np.sum(np.sin(np.kron(X, X * X[::-1])) * np.kron(X[0], X[:, 0]).sum())



# -- np.linalg.solve: solve_vjp_b and solve_vjp_a (a vector and a matrix right-hand side)
def f_solve(X):
    A = X * X[::-1] + 3.0 * np.eye(3)  # (not symmetric: a transpose missed shows)
    x = np.linalg.solve(A, np.sin(X[0]))
    Y = np.linalg.solve(A * X[1, 1], X * X)
    return np.sum(x ** 3 * X[2]) + np.sum(np.sin(Y))


# -- np.gradient (one axis, and every axis of a matrix with a spacing): gradient_vjp, gradient_jvp
def f_gradient(X):
    gx, gy = np.gradient(X * X, 0.5)
    return np.sum(np.sin(gx) * gy) + np.sum(np.gradient(np.cos(X[0]), edge_order=2) ** 3)

# -- a dict's items overwritten (in a loop): the gradient puts back what a store overwrote; where the dict surely
# has the key, as a plain store `d['w'] = tape.pop()` that a second sweep reads (`_ad.restore_item`, which may
# remove a key, was refused there: explore --mode hessian, seed 3434)
def f_dict_items(x):
    d = {'w': np.tanh(x), 'b': np.dot(x, x)}
    d['w'] += x
    for i in range(2):
        d['w'] = d['w'] * np.sin(x) + d['b'] * x[i]
    return np.sum(d['w'] * x) + d['b'] ** 2

# -- stores into arrays the function made, which nothing reads after the adjoint sweep passes them: the gradient
# does not undo them (it used to put back what each store overwrote, at the end, and the second sweep then saw
# a view of "one of several arrays" changed while other names still read them: explore --mode hessian, seed 3434)
def f_store_after_branch(x):
    g = np.ones(4)
    g[1:] = 0.5
    if x[0] > -5.0:
        c = x * 2.0
        c[[0, 2]] = x[1] ** 2
    else:
        c = x * 1.0
        g *= 3.0
    vec = g[:-1]
    vec[1:] += x[1:3] ** 2
    for i in range(2):
        vec[i] *= np.sin(x[i])
    return np.sum(vec ** 2 * x[:3]) + np.sum(c * x)


CASES = [
    (f_cumsum, (6,)), (f_cumsum_axis, (3, 4)), (f_cumsum_method, (3, 2)), (f_trace, (3, 3)),
    (f_trace_method, (2, 3)), (f_transpose, (3, 2)), (f_transpose_method, (2, 3, 2)), (f_take, (4,)),
    (f_take_axis, (2, 3)), (f_diag, (3,)), (f_diag_of_matrix, (3, 3)), (f_item, (3,)), (f_var, (3, 4)),
    (f_std, (3, 4)), (f_prod, (3, 2)), (f_sum_of_list, (3,)), (f_sum_of_rows, (3, 2)), (f_repeat, (4,)),
    (f_tile, (2, 2)), (f_split, (5,)), (f_diagonal, (2, 3, 3)), (f_det, (3, 3)),
    (f_abs, (4,)), (f_abs_builtin, (3,)), (f_abs_complex, (4,)), (f_masked_scale, (5,)), (f_mask_read, (5,)),
    (f_eigh, (3, 3)), (f_svd, (4, 3)), (f_items, (3, 2)), (f_diff, (3, 4)), (f_cumprod, (2, 3)),
    (f_tolist, (2, 3)), (f_tensordot, (3, 3)), (f_kron, (2, 2)),
    (f_solve, (3, 3)), (f_gradient, (3, 4)), (f_dict_items, (3,)),
    (f_store_after_branch, (4,)),
] + ([(f_expm, (3, 3))] if sla is not None else [])
IDS = [f.__name__ for f, _ in CASES]


def _inputs(f, shape):
    rng = np.random.default_rng(sum(map(ord, f.__name__)))
    return rng.uniform(-1.0, 1.0, shape) + 0.1, rng.standard_normal(shape)


_DIRECTIONAL = """import numpy as np
import ad_compiler as ad
from test_second_order_more import {name}

gradient = ad.grad({name})


def directional(x, v):
    return np.sum(gradient(x) * v)
"""


def _directional(name, tmp_path):
    """A module (the compiler reads source) with `directional(x, v) = <ad.grad(f)(x), v>`, as explore writes."""
    path = tmp_path / f"directional_{name}.py"
    path.write_text(_DIRECTIONAL.format(name=name))
    spec = importlib.util.spec_from_file_location(f"directional_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("f, shape", CASES, ids=IDS)
def test_reverse_over_reverse(f, shape, tmp_path):
    """ad.grad of <ad.grad(f)(x), v>: the generated gradient differentiated in reverse mode."""
    x, v = _inputs(f, shape)
    module = _directional(f.__name__, tmp_path)
    expected = fd_hvp(module.gradient, x, v)
    close(ad.grad(module.directional)(x.copy(), v), expected)


@pytest.mark.parametrize("f, shape", CASES, ids=IDS)
def test_forward_over_reverse(f, shape):
    x, v = _inputs(f, shape)
    grad = ad.grad(f)
    expected = fd_hvp(grad, x, v)
    close(ad.hvp(f)(x.copy(), v), expected)
    close(ad.hessian(f)(x.copy()).reshape(x.size, x.size) @ v.ravel(), expected.ravel())



# -- found by the reverse-over-reverse rule tests: a draw with a number parameter and a `size` was taken for a
# number (its kind), so the adjoint of the number lost its sum (`ba = bt3 * (-t3 / a)`, an array): ad.grad
# raised at the boundary. The kind of a draw now comes from the same draw of a new generator.
def exponential_draws(a):
    r = np.random.exponential(a, size=(2, 2))
    return np.sum(r * r / a)


def normal_draws(mu):
    r = np.random.normal(mu, 1.0, 3)  # (the size given by position)
    return np.sum(np.sin(r) / mu)


def _seeded_fd(f, x):
    def value(y):
        np.random.seed(0)
        return f(y)
    return (value(x + EPS) - value(x - EPS)) / (2 * EPS)


def test_a_draw_with_a_size_is_an_array():
    np.random.seed(0)
    close(ad.grad(exponential_draws)(0.7), _seeded_fd(exponential_draws, 0.7))
    np.random.seed(0)
    close(ad.grad(normal_draws)(0.8), _seeded_fd(normal_draws, 0.8))


def test_no_undo_of_a_store_nothing_reads_later():
    """The gradient undoes a store only where its adjoint sweep reads the array after that point."""
    source = ad.grad(f_store_after_branch)(np.array([0.3, 0.5, 0.7, 0.9])) is not None and \
        ad.grad(f_store_after_branch).source
    assert "tape.pop()" not in source.split("# adjoint of: vec[1:] += ")[1]
