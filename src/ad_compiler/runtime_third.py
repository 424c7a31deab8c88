"""Third derivatives of products, det, std and the norms: the runtime helpers that the reverse and forward
rules of the second-order helpers call (prod_vjp_jvp, cumprod_vjp_jvp, adjugate_vjp, adjugate_jvp,
norm_partial_jvp; rules/helpers.py), so that `ad.grad(ad.grad(ad.grad(f)))` goes through them (issue 9).
Re-exported by runtime.py (`_ad.<name>`). The third derivatives have rules too, calling fourth derivatives
(prod_vjp_d3, cumprod_vjp_d3, cumprod_jvp3, adjugate_vjp_d3, norm_partial_d3), which have none: a fifth
derivative through them is refused, naming the helper. Also the derivatives of x**k of any order in k
(power_partial_mixed) and det's of any order (det_derivative).

Products use truncated polynomials in m symbols s_1 .. s_m with s_i^2 = 0, as lists of 2^m coefficients indexed
by the sets of symbols (bit masks). The product of the factors x_l + s_1 d1_l + ... + s_m dm_l has, as the
coefficient of s_1 ... s_m, the sum over the ways of giving each direction its own factor of the product of
those directions' entries and of the other factors: the m-th derivative of the product contracted with the
directions, exact also where entries are zero (no division).
"""
import cmath

import numpy as np


__all__ = ["prod_vjp_hvp", "prod_vjp_d3", "cumprod_vjp_hvp", "cumprod_vjp_d3", "cumprod_jvp3", "adjugate_vjp_jvp",
           "adjugate_vjp_d3", "on_circle",
           "power_partial_mixed"]


def _times_factor(p, x, ds):
    """p times the factor x + sum_i s_i ds[i] (truncated: s_i^2 = 0)."""
    out = []
    for mask in range(len(p)):
        c = p[mask] * x
        for i, d in enumerate(ds):
            if mask >> i & 1:
                c = c + p[mask ^ (1 << i)] * d
        out.append(c)
    return out


def _top(p, q):
    """The coefficient of s_1 ... s_m of p q."""
    full = len(p) - 1
    return sum(p[mask] * q[full ^ mask] for mask in range(len(p)))


def _one(rest, dtype, m):
    return [np.ones(rest, dtype)] + [np.zeros(rest, dtype) for _ in range((1 << m) - 1)]


def _lead(x, axes):
    """x with `axes` moved to the front and flattened into one (the groups' entries), and how to undo it."""
    lead = tuple(range(len(axes)))
    moved = np.moveaxis(x, axes, lead)
    rest = moved.shape[len(axes):]
    return moved.reshape((-1,) + rest), lambda y: np.moveaxis(y.reshape(moved.shape), lead, axes)


def _prod_derivative(v, x, dirs, axis, keepdims):
    """Derivative of order len(dirs) + 1 of prod (over `axis`) contracted with v (the result's adjoint) and the
    directions, as an array of x's shape: entry k is v times the sum over the ways of giving the directions
    different entries other than k of the product of their entries and of the remaining ones."""
    from .runtime import as_array, keep_reduced, normalize_axes

    x = as_array(x)
    if x.ndim == 0:
        return np.zeros(np.broadcast_shapes(np.shape(v), *(np.shape(d) for d in dirs)), dtype=np.result_type(x, 1.0))
    axes = normalize_axes(axis, x.ndim)
    flat, back = _lead(x, axes)
    fds = [_lead(np.broadcast_to(d, x.shape), axes)[0] for d in dirs]
    n, rest = flat.shape[0], flat.shape[1:]
    dtype = np.result_type(flat, *fds, 1.0)
    before, after = [_one(rest, dtype, len(dirs))] * n, [_one(rest, dtype, len(dirs))] * n
    for i in range(1, n):
        before[i] = _times_factor(before[i - 1], flat[i - 1], [d[i - 1] for d in fds])
        j = n - 1 - i
        after[j] = _times_factor(after[j + 1], flat[j + 1], [d[j + 1] for d in fds])
    out = np.stack([_top(before[k], after[k]) for k in range(n)]) if n else np.zeros((0,) + rest, dtype)
    return keep_reduced(v, x, axis, keepdims) * back(out)


def prod_vjp_hvp(v, x, a, b, axis=None, keepdims=False):
    """Third derivative of prod (over `axis`) contracted with v (the result's adjoint), a and b: entry k is
    v times the sum over ordered pairs i != j, both != k, of a_i b_j times the product of the entries other
    than i, j, k. Symmetric in a and b (the prod_vjp_jvp rule's adjoint in x and part of its tangent)."""
    return _prod_derivative(v, x, (a, b), axis, keepdims)


def prod_vjp_d3(v, x, a, b, c, axis=None, keepdims=False):
    """Fourth derivative of prod contracted with v, a, b and c (prod_vjp_hvp's rule in x); symmetric in a, b, c."""
    return _prod_derivative(v, x, (a, b, c), axis, keepdims)


def _cumprod_parts(a, dirs, axis):
    from .runtime_arrays import _along

    shape = np.shape(a)
    am, ax = _along(np.asarray(a), axis)
    ds = [np.moveaxis(_along(np.broadcast_to(d, shape), axis)[0], ax, 0) for d in dirs]
    return shape, np.moveaxis(am, ax, 0), ds, ax


def _cumprod_derivative(v, a, dirs, axis):
    """Derivative of order len(dirs) + 1 of cumprod contracted with v (the result's adjoint) and the directions,
    as an array of a's shape: entry m is the sum over j >= m of v_j times the top coefficient of the product of
    the factors a_l + sum_i s_i d_il, l <= j, l != m. A reverse scan (R_m = v_m + P_(m+1) R_(m+1)) times the
    products before m."""
    from .runtime_arrays import _along

    shape, am, ds, ax = _cumprod_parts(a, dirs, axis)
    out_shape = shape if axis is not None else (int(np.prod(shape)),)
    vm = np.moveaxis(_along(np.broadcast_to(v, out_shape), axis)[0], ax, 0)
    n, rest, m = am.shape[0], am.shape[1:], len(dirs)
    dtype = np.result_type(am, vm, *ds, 1.0)
    out = np.zeros(am.shape, dtype)
    if n == 0:
        return out.reshape(shape)
    zero = np.zeros(rest, dtype)
    r = [vm[n - 1] + zero] + [zero] * ((1 << m) - 1)
    suffix = [None] * n
    suffix[n - 1] = r
    for k in range(n - 2, -1, -1):
        r = _times_factor(r, am[k + 1], [d[k + 1] for d in ds])
        r = [r[0] + vm[k]] + r[1:]
        suffix[k] = r
    before = _one(rest, dtype, m)
    for k in range(n):
        out[k] = _top(before, suffix[k])
        before = _times_factor(before, am[k], [d[k] for d in ds])
    return np.moveaxis(out, 0, ax).reshape(shape)


def cumprod_vjp_hvp(v, a, p, q, axis=None):
    """Third derivative of cumprod contracted with v (the result's adjoint), p and q, as an array of a's
    shape: entry m is the sum over j >= m of v_j times the st coefficient of the product of the factors
    a_l + s p_l + t q_l, l <= j, l != m. Symmetric in p and q."""
    return _cumprod_derivative(v, a, (p, q), axis)


def cumprod_vjp_d3(v, a, p, q, r, axis=None):
    """Fourth derivative of cumprod contracted with v, p, q and r (cumprod_vjp_hvp's rule in a)."""
    return _cumprod_derivative(v, a, (p, q, r), axis)


def cumprod_jvp3(a, p, q, r, axis=None):
    """Third tangent of cumprod along p, q and r (cumprod's shape: flat for axis None): entry j is the top
    coefficient of the product of the factors a_l + s p_l + t q_l + u r_l, l <= j (cumprod_vjp_hvp's
    transpose in v)."""
    _, am, ds, ax = _cumprod_parts(a, (p, q, r), axis)
    n, rest = am.shape[0], am.shape[1:]
    dtype = np.result_type(am, *ds, 1.0)
    out = np.zeros(am.shape, dtype)
    running = _one(rest, dtype, 3)
    for k in range(n):
        running = _times_factor(running, am[k], [d[k] for d in ds])
        out[k] = running[-1]
    return np.moveaxis(out, 0, ax)


def power_partial_mixed(x, k, n=1, m=1):
    """d^n/dx^n d^m/dk^m of x**k for x > 0: x**(k-n) times the sum over i <= m of m! / (m-i)! c_i log(x)^(m-i),
    c_i the coefficient of e^i in P(k + e), P(k) = k (k-1) ... (k-n+1); 0 where x <= 0 (as power_partial_exponent,
    which is the case m = 1: the rule of np.power in its exponent; for Python numbers whose power is complex, the
    same with the complex log). Its partials are itself at n + 1 and at m + 1
    (rules/helpers.py): derivatives of x**k of any order in both."""
    coef = [1.0] + [0.0] * m  # (P's Taylor coefficients in e, truncated after e^m)
    for j in range(n):
        coef = [coef[i] * (k - j) + (coef[i - 1] if i else 0.0) for i in range(m + 1)]
    if x.__class__ in (float, int) and k.__class__ in (float, int) and x < 0 and isinstance(x ** (k - n), complex):
        # (Python's power of a negative float is complex, `(-2.0) ** 0.5`: the same formula with the complex log,
        # as power_partial_exponent's; n27-008)
        log, total, factor = cmath.log(x), 0.0, 1.0
        for i in range(m + 1):
            total = total + factor * coef[i] * log ** (m - i)
            factor = factor * (m - i)
        return x ** (k - n) * total
    pos = np.where(np.greater(x, 0), x, 1.0)
    log = np.log(pos)
    total, factor = 0.0, 1.0
    for i in range(m + 1):
        total = total + factor * coef[i] * log ** (m - i)
        factor = factor * (m - i)
    return np.where(np.greater(x, 0), pos ** (k - n) * total, 0.0)


def adjugate_vjp_jvp(v, a, t):
    """Tangent of adjugate_vjp(v, a) in a along t, which is also its adjoint in a (of the adjoint t): the
    gradient in r of det's third derivative D3 det(a)[v.T, t, r], d (A (tr(Ap) tr(At) - tr(ApAt)) - ApA tr(At)
    - AtA tr(Ap) + ApAtA + AtApA).T with A = inv(a), p = v.T. 0 for matrices of at most 2 x 2 (det is then of
    degree at most 2); at a singular matrix larger than that, from invertible shifts of it (on_circle)."""
    from .runtime_linalg import _invertible, _singular, mT

    n = np.shape(a)[-1]
    shape = np.broadcast_shapes(np.shape(a), np.shape(v), np.shape(t))
    if n <= 2:
        return np.zeros(shape, dtype=np.result_type(a, v, t, 1.0))
    if _singular(a, 1e-6):  # (a polynomial in a: from invertible shifts of a, also where a is near singular)
        return on_circle(lambda m: adjugate_vjp_jvp(v, m, t), a)
    inv, d = _invertible(np.asarray(a), "the third derivative")
    p = mT(np.asarray(v))

    def tr(m):
        return np.trace(m, axis1=-2, axis2=-1)[..., None, None]

    ap, at = inv @ p, inv @ t
    apa, ata = ap @ inv, at @ inv
    m = inv * (tr(ap) * tr(at) - tr(ap @ at)) - apa * tr(at) - ata * tr(ap) + ap @ ata + at @ apa
    return mT(d * m)


def adjugate_vjp_d3(v, a, t, u):
    """det's fourth derivative D4 det(a)[v.T, t, u, r] as its gradient in r (adjugate_vjp_jvp's rule in a;
    symmetric in t and u): det_derivative."""
    from .runtime_linalg import mT

    return det_derivative(a, (mT(np.asarray(v)), t, u))


def det_derivative(a, dirs):
    """The gradient in r of det's derivative of order k + 1, D det(a)[d_1, ..., d_k, r] (k = len(dirs)), for
    stacks of matrices. With B_i = inv(a) d_i: D(k+1) det(a)[...] = det(a) sum over the permutations s of the
    k + 1 places of sign(s) times the product over s's cycles of tr(B_i1 ... B_il) (det(I + X) polarized); in
    r's cycle, tr(B_i1 ... B_il-1 inv(a) r), whose gradient in r is (B_i1 ... B_il-1 inv(a)).T. 0 beyond order
    n; at a (near) singular a, from invertible shifts of it (on_circle: the entries are polynomials in a)."""
    import itertools

    from .runtime_linalg import _singular, mT

    a = np.asarray(a)
    n, k = a.shape[-1], len(dirs)
    shape = np.broadcast_shapes(a.shape, *(np.shape(d) for d in dirs))
    if k + 1 > n:
        return np.zeros(shape, dtype=np.result_type(a, *dirs, 1.0))
    if not np.iscomplexobj(a) and _singular(a, 1e-6):
        return on_circle(lambda m: det_derivative(m, dirs), a)
    inv = np.linalg.inv(a)
    bs = [inv @ d for d in dirs]
    total = np.zeros(shape, dtype=np.result_type(a, *dirs, 1.0))
    for perm in itertools.permutations(range(k + 1)):
        sign, seen, factor, grad = 1, set(), 1.0, None
        for start in range(k + 1):
            if start in seen:
                continue
            cycle, i = [], start
            while i not in seen:
                seen.add(i)
                cycle.append(i)
                i = perm[i]
            sign = -sign if len(cycle) % 2 == 0 else sign
            if k in cycle:  # (r's cycle: rotated to end with r)
                at = cycle.index(k)
                chain = inv
                for j in reversed(cycle[at + 1:] + cycle[:at]):
                    chain = bs[j] @ chain
                grad = mT(chain)
            else:
                prod = bs[cycle[0]]
                for j in cycle[1:]:
                    prod = prod @ bs[j]
                factor = factor * np.trace(prod, axis1=-2, axis2=-1)[..., None, None]
        total = total + sign * factor * grad
    return np.linalg.det(a)[..., None, None] * total


def on_circle(fn, a):
    """fn(a) for a stack of singular matrices `a`, where fn's entries are polynomials in a's entries of degree
    less than n (a's size: the adjugate's derivatives): in a + z I they are polynomials in z of degree less than
    n, whose value at z = 0 is exactly their mean over the n points z_k = r exp(2 pi i k / n) of a circle. With
    r twice a's largest singular value (1 for a zero matrix) every a + z_k I is invertible, its smallest
    singular value at least half its largest: fn is computed there by inverses, in complex arithmetic (its
    formulas are polynomial, without conjugates), and the mean's real part is the value at a."""
    a = np.asarray(a, dtype=np.result_type(a, 1.0))
    n = a.shape[-1]
    top = float(np.max(np.linalg.svd(a, compute_uv=False), initial=0.0))
    r = 2.0 * top if top > 0 else 1.0
    total = 0.0
    for k in range(n):
        total = total + fn(a + r * np.exp(2j * np.pi * k / n) * np.eye(n))
    return np.real(total / n)

