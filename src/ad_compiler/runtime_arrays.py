"""Runtime helpers of the rules for NumPy's array manipulation and order statistics (re-exported by
runtime.py: generated code calls them as `_ad.<name>`).

Most are adjoints of linear maps (linear in `g`; the other arguments only give shapes, positions or an
order) and their tangents; each has a rule in rules/helpers.py.
"""
import numpy as np

from .runtime_backend import as_array, like_of, scatter_add

from .errors import NoDerivativeError

__all__ = [
    "tensordot_vjp_a", "tensordot_vjp_b", "kron_vjp_a", "kron_vjp_b", "cross_vjp", "cross_axis", "repeat_vjp", "tile_vjp", "split_vjp", "split_like", "diagonal_vjp",
    "axes_permutation", "permute_vjp", "pad_vjp", "pad_tangent", "diff_vjp", "diff_transpose", "gradient_vjp", "gradient_jvp",
    "partition_vjp", "partition_jvp", "quantile_vjp", "quantile_jvp", "select_vjp", "piecewise_vjp",
    "piecewise_jvp", "piecewise_x_jvp", "percentile_vjp", "percentile_jvp", "cumprod_vjp", "cumprod_jvp", "cumprod_vjp_jvp", "shaped_weights", "weights_vjp",
    "refuse_returned", "constant_pieces", "einsum_args_vjp", "einsum_args_vjp_jvp", "cross_vjp_t", "select_vjp_t",
    "piecewise_vjp_t", "einsum_args_vjp_t", "einsum_args_vjp_hvp", "cumprod_jvp_jvp", "einsum_args_vjp_t_jvp", "einsum_args_vjp_hvp2",
    "nanquantile_vjp", "nanquantile_jvp",
]


def _zeros(x, g=None):
    return np.zeros(np.shape(x), dtype=np.result_type(as_array(g).dtype if g is not None else float, 1.0))


# -- products -----------------------------------------------------------------------------------------------
def _tensordot_axes(a_nd, b_nd, axes):
    if isinstance(axes, (int, np.integer)):
        return list(range(a_nd - axes, a_nd)), list(range(axes))
    ax_a, ax_b = axes
    ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
    ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    return [i % a_nd for i in ax_a], [i % b_nd for i in ax_b]


def tensordot_vjp_a(g, a, b, axes=2):
    """Adjoint of a in np.tensordot(a, b, axes) (linear in g and b; a gives only its shape)."""
    return _tensordot_vjp(g, a, b, axes, 0)


def tensordot_vjp_b(g, a, b, axes=2):
    """Adjoint of b in np.tensordot(a, b, axes) (linear in g and a; b gives only its shape)."""
    return _tensordot_vjp(g, a, b, axes, 1)


def _tensordot_vjp(g, a, b, axes=2, which=0):
    """Adjoint of a (which=0) or b (which=1) in np.tensordot(a, b, axes): the result's axes are a's free axes
    then b's free axes; contract g with the other operand over its free axes, then put the axes in order."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    ax_a, ax_b = _tensordot_axes(a_nd, b_nd, axes)
    free_a = [i for i in range(a_nd) if i not in ax_a]
    free_b = [i for i in range(b_nd) if i not in ax_b]
    g = as_array(g)
    if which == 0:  # g (free_a..., free_b...) . b over free_b -> (free_a..., b's contracted axes, ascending)
        part = np.tensordot(g, b, axes=(list(range(len(free_a), g.ndim)), free_b))
        order = free_a + [ax_a[j] for j in np.argsort(ax_b)]  # the axes of a that part's axes are
    else:  # a . g over free_a -> (a's contracted axes, ascending, free_b...)
        part = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
        order = [ax_b[j] for j in np.argsort(ax_a)] + free_b
    return np.transpose(part, tuple(int(i) for i in np.argsort(order)))


def kron_vjp_a(g, a, b):
    """Adjoint of a in np.kron(a, b) (linear in g and b)."""
    return _kron_vjp(g, a, b, 0)


def kron_vjp_b(g, a, b):
    """Adjoint of b in np.kron(a, b) (linear in g and a)."""
    return _kron_vjp(g, a, b, 1)


def _kron_vjp(g, a, b, which=0):
    """Adjoint of a (which=0) or b (which=1) in np.kron(a, b): g seen as an array with the axes of a and b
    interleaved (`(i0, k0, i1, k1, ...)`), contracted with the other operand."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    big = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    if which == 0:
        part = np.tensordot(big, np.reshape(b, sb), axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
        return np.reshape(part, np.shape(a))
    part = np.tensordot(big, np.reshape(a, sa), axes=(list(range(0, 2 * nd, 2)), list(range(nd))))
    return np.reshape(part, np.shape(b))


def cross_vjp(g, other, x, axis=-1, which=0):
    """Adjoint of a (which=0) or b (which=1) in np.cross(a, b, axis=axis) (`other` is the other operand):
    d<g, a x b>/da = b x g and d/db = g x a for 3-vectors; for 2-vectors (a scalar result a0 b1 - a1 b0),
    the same with g as the third component of a vector; a 2-vector beside a 3-vector is padded with a 0 (the
    result is a 3-vector: its g was taken for a scalar's, h26b-001)."""
    other = np.moveaxis(as_array(other, dtype=np.result_type(as_array(other).dtype, 1.0)), axis, -1)
    g = as_array(g)
    if other.shape[-1] == 2 and np.shape(x)[axis] == 2:  # results are scalars: g (..., ) -> vectors (0, 0, g)
        g3 = np.stack([np.zeros_like(g), np.zeros_like(g), g], axis=-1)
    else:  # (3-vectors, or a 2-vector beside a 3-vector: the result is a 3-vector along axis)
        g3 = np.moveaxis(g, axis, -1) if g.ndim == other.ndim or g.ndim >= 1 else g
    if other.shape[-1] == 2:  # (a 2-vector is the 3-vector with third component 0, as np.cross takes it)
        other = np.concatenate([other, np.zeros(other.shape[:-1] + (1,))], axis=-1)
    part = np.cross(other, g3) if which == 0 else np.cross(g3, other)
    if np.shape(x)[axis] == 2:
        part = part[..., :2]
    part = np.moveaxis(part, -1, axis % max(part.ndim, 1)) if part.ndim else part
    from .runtime import unbroadcast

    return unbroadcast(part, x)


def cross_axis(axisa, axis=None):
    """The one axis of np.cross(a, b, axisa, axisb, axisc, axis) (its rule is refused unless `axis=` is given or the
    three are equal: rule_arguments.py)."""
    return axisa if axis is None else axis


def cross_vjp_t(h, other, axis=-1, which=0):
    """The transpose of v -> cross_vjp(v, other, x, axis, which) (the transpose of a transpose: the cross
    product again): h x other (which=0) or other x h (which=1)."""
    return np.cross(h, other, axis=axis) if which == 0 else np.cross(other, h, axis=axis)


# -- repetition, splitting, diagonals, permutations of axes -------------------------------------------------
def repeat_vjp(g, a, repeats, axis=None):
    """Adjoint of np.repeat(a, repeats, axis): each entry of `a` receives the sum of its copies."""
    x = as_array(a)
    g = as_array(g)
    if axis is None:
        x_flat = np.ravel(x)
        index = np.repeat(np.arange(x_flat.size), repeats)
        out = np.zeros(x_flat.size, dtype=np.result_type(g, 1.0))
        out = scatter_add(out, index, np.ravel(g))
        return out.reshape(x.shape)
    axis = axis % x.ndim
    index = np.repeat(np.arange(x.shape[axis]), repeats)
    moved = np.moveaxis(g, axis, 0)
    out = np.zeros((x.shape[axis],) + moved.shape[1:], dtype=np.result_type(g, 1.0))
    out = scatter_add(out, index, moved)
    return np.moveaxis(out, 0, axis)


def tile_vjp(g, a, reps):
    """Adjoint of np.tile(a, reps): the tiles of g summed (g seen as (r0, s0, r1, s1, ...))."""
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    shape = np.shape(a)
    nd = max(len(shape), len(reps))
    shape_full = (1,) * (nd - len(shape)) + shape
    reps_full = (1,) * (nd - len(reps)) + reps
    big = np.reshape(g, [n for pair in zip(reps_full, shape_full) for n in pair])
    return np.reshape(np.sum(big, axis=tuple(range(0, 2 * nd, 2))), shape)


def split_vjp(g, ary, indices_or_sections, axis=0, how="split"):
    """Adjoint of np.split / array_split / hsplit / vsplit / dsplit (`how`): the pieces' adjoints (a list;
    None or a missing piece counts as zeros) put back together along the split axis."""
    x = as_array(ary)
    axis = _split_axis(how, x.ndim, axis)
    pieces = np.array_split(np.zeros(x.shape), indices_or_sections, axis=axis)
    parts = [np.broadcast_to(p_g, p.shape) if p_g is not None else p for p_g, p in zip(g, pieces)]
    return np.concatenate(parts, axis=axis) if parts else np.zeros(x.shape)


def split_like(h, indices_or_sections, axis=0, how="split"):
    """The pieces np.split / array_split / hsplit / vsplit / dsplit (`how`) cut `h` into, as a list: the
    transpose of split_vjp (its rule in rules/helpers.py); `h` has the shape of the array split."""
    h = as_array(h)
    return list(np.array_split(h, indices_or_sections, axis=_split_axis(how, h.ndim, axis)))


def _split_axis(how, ndim, axis):
    """The axis np.hsplit / vsplit / dsplit cut along (`axis` for split and array_split)."""
    if how == "hsplit":
        return 0 if ndim == 1 else 1
    return {"vsplit": 0, "dsplit": 2}.get(how, axis)


def diagonal_vjp(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of np.diagonal(a, offset, axis1, axis2): g written back onto that diagonal of zeros."""
    lib = like_of(a, g)
    if lib is not None:  # (no writeable views of a Dask array: g spread by a 0/1 tensor onto the diagonal)
        n, m = np.shape(a)[axis1], np.shape(a)[axis2]
        k = np.shape(g)[-1]
        place = np.zeros((k, n, m))
        d = np.arange(k)
        place[d, d + max(-offset, 0), d + max(offset, 0)] = 1.0
        spread = np.sum(np.expand_dims(np.expand_dims(g, -1), -1) * as_array(place, lib), axis=-3)
        return np.moveaxis(spread, (-2, -1), (axis1, axis2))
    out = _zeros(a, g)
    view = np.diagonal(out, offset=offset, axis1=axis1, axis2=axis2)
    view.setflags(write=True)  # (a read-only view by default; `out` is our own array)
    view[...] = g
    return out


def axes_permutation(fn, ndim, *args):
    """The permutation `p` with fn(x, *args) == np.transpose(x, p) for an x of `ndim` axes (found on an empty
    array whose axes have distinct lengths 0, 1, 2, ...)."""
    probe = np.empty(tuple(range(ndim)))
    return tuple(int(n) for n in np.shape(fn(probe, *args)))


def permute_vjp(g, perm):
    """Adjoint of a transpose by `perm`: transpose back."""
    return np.transpose(g, tuple(int(i) for i in np.argsort(perm)))


# -- padding --------------------------------------------------------------------------------------------------
_COPYING_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "empty")


def _pad_sources(shape, pad_width, mode, reflect_type):
    """For each entry of the padded array, the flat index of the entry of the input it copies (-1: a
    constant). Raises NoDerivativeError for modes that are not a copy of entries."""
    if callable(mode) or mode not in _COPYING_MODES or reflect_type != "even":
        raise NoDerivativeError(f"np.pad with mode={mode!r}" + (f", reflect_type={reflect_type!r}"
                                                                if reflect_type != "even" else "")
                                + " has no derivative rule (only modes that copy entries do: "
                                + ", ".join(_COPYING_MODES) + ")",
                                hint="pad with one of those modes, or write the padding with np.concatenate")
    ids = np.arange(int(np.prod(shape))).reshape(shape)
    if mode in ("constant", "empty"):
        return np.pad(ids, pad_width, mode="constant", constant_values=-1)
    kwargs = {"reflect_type": reflect_type} if mode in ("reflect", "symmetric") else {}
    return np.pad(ids, pad_width, mode=mode, **kwargs)


def pad_vjp(g, array, pad_width, mode="constant", reflect_type="even"):
    """Adjoint of np.pad for the modes that copy entries: each entry receives the sum of g over its copies."""
    src = _pad_sources(np.shape(array), pad_width, mode, reflect_type).ravel()
    keep = src >= 0
    out = np.zeros(int(np.size(array)), dtype=np.result_type(g, 1.0))
    out = scatter_add(out, src[keep], np.ravel(g)[keep])
    return out.reshape(np.shape(array))


def pad_tangent(t, array, pad_width, mode="constant", reflect_type="even"):
    """Tangent of np.pad: the tangent's entries copied the same way (0 where the padding is constant)."""
    src = _pad_sources(np.shape(array), pad_width, mode, reflect_type)
    flat = np.ravel(np.broadcast_to(t, np.shape(array)))
    if like_of(flat) is not None:  # (Dask indexes with one flat integer array only)
        return np.where(src >= 0, np.reshape(np.take(flat, np.ravel(np.maximum(src, 0))), src.shape), 0.0)
    return np.where(src >= 0, flat[np.maximum(src, 0)], 0.0)


# -- differences -------------------------------------------------------------------------------------------------
def diff_vjp(g, a, n=1, axis=-1, prepend=None, append=None, which=0):
    """Adjoint of np.diff(a, n, axis, prepend, append) for a (which=0), prepend (1) or append (2): n times the
    transpose of one difference (`-diff` of g padded by a zero on each side), then the part of the
    concatenated input that came from that argument."""
    g = as_array(g)
    axis = axis % g.ndim
    size = lambda v: 0 if v is None else (1 if np.ndim(v) == 0 else np.shape(v)[axis])  # noqa: E731
    length = np.shape(a)[axis] + size(prepend) + size(append)
    if n > length:  # (the result is empty: nothing flows back; n paddings would overshoot the input, sig25-008)
        shape = list(g.shape)
        shape[axis] = length
        g = np.zeros(shape, dtype=g.dtype)
    for _ in range(n if n <= length else 0):
        width = [(0, 0)] * g.ndim
        width[axis] = (1, 1)
        g = -np.diff(np.pad(g, width), axis=axis)
    lo = size(prepend)
    hi = g.shape[axis] - size(append)
    bounds = [(0, lo), (lo, hi), (hi, g.shape[axis])][[1, 0, 2][which]]
    part = np.take(g, np.arange(*bounds), axis=axis)
    target = (a, prepend, append)[which]
    from .runtime import unbroadcast

    return unbroadcast(part, target)


def _gradient_matrix(n, spacing, edge_order):
    """The n x n matrix M of np.gradient along one axis: gradient(f) = M @ f."""
    return np.gradient(np.eye(n), *spacing, axis=0, edge_order=edge_order)


def _gradient_axes(f, axis):
    nd = np.ndim(f)
    if axis is None:
        return list(range(nd))
    return [a % nd for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)]


def _spacing(varargs, k, n_axes):
    if not varargs:
        return ()
    if len(varargs) == 1 and n_axes > 1:
        return (varargs[0],)
    return (varargs[k],)


def diff_transpose(h, a, n=1, axis=-1, prepend=None, append=None, which=0):
    """The transpose of diff_vjp (its rule in rules/helpers.py): `h` (in the shape of a, prepend or append: which)
    spread over that argument's part of the concatenated input, zeros elsewhere, then differenced n times."""
    a = as_array(a)
    axis = axis % max(a.ndim, 1)
    size = lambda v: 0 if v is None else (1 if np.ndim(v) == 0 else np.shape(v)[axis])  # noqa: E731
    lo, mid, hi = size(prepend), a.shape[axis], size(append)
    bounds = [(lo, lo + mid), (0, lo), (lo + mid, lo + mid + hi)][which]
    full_shape = list(a.shape)
    full_shape[axis] = lo + mid + hi
    part_shape = list(a.shape)
    part_shape[axis] = bounds[1] - bounds[0]
    full = np.zeros(full_shape, dtype=np.result_type(as_array(h).dtype, 1.0))
    index = [slice(None)] * a.ndim
    index[axis] = slice(*bounds)
    full[tuple(index)] = np.broadcast_to(h, part_shape)
    return np.diff(full, n, axis=axis)


def gradient_vjp(g, f, varargs=(), axis=None, edge_order=1):
    """Adjoint of np.gradient(f, *varargs, axis, edge_order): along each axis the gradient is a matrix M
    (found by applying np.gradient to the identity), so the adjoint is M.T applied along that axis; summed
    over the axes (g is a list of adjoints when np.gradient returned one array per axis)."""
    axes = _gradient_axes(f, axis)
    if len(axes) == 1 and like_of(g) is not None and np.ndim(g) == np.ndim(f) + 1:
        g = g[0]  # (Dask's np.gradient of one axis returns a list of one array)
    gs = list(g) if len(axes) > 1 else [g]
    out = np.zeros(np.shape(f))
    for k, (ax, gk) in enumerate(zip(axes, gs)):
        if gk is None:
            continue
        m = _gradient_matrix(np.shape(f)[ax], _spacing(varargs, k, len(axes)), edge_order)
        gk = as_array(gk)
        lib = like_of(gk)
        if lib is not None:  # (in gk's library, as a broadcast sum: Dask's tensordot / einsum here miscount)
            moved = np.moveaxis(gk, ax, 0)
            mt = np.reshape(as_array(m.T, lib), m.shape + (1,) * (moved.ndim - 1))
            out = out + np.moveaxis(np.sum(mt * np.expand_dims(moved, 0), axis=1), 0, ax)
            continue
        out = out + np.moveaxis(np.tensordot(m.T, np.moveaxis(gk, ax, 0), axes=1), 0, ax)
    return out


def gradient_jvp(t, f, varargs=(), axis=None, edge_order=1):
    """Tangent of np.gradient: the gradient of the tangent with the same spacing (the spacing is constant)."""
    return np.gradient(np.broadcast_to(t, np.shape(f)), *varargs, axis=axis, edge_order=edge_order)


# -- order statistics ------------------------------------------------------------------------------------------
def _sources(a, ans, axis):
    """For a result `ans` that holds the entries of `a` rearranged along `axis` (np.partition), the index
    along `axis` each entry came from: the k-th smallest of ans is the k-th smallest of a (stable sorts,
    so tied entries keep their order)."""
    order_a = np.argsort(a, axis=axis, kind="stable")
    order_ans = np.argsort(ans, axis=axis, kind="stable")
    src = np.empty_like(order_a)
    np.put_along_axis(src, order_ans, order_a, axis=axis)
    return src


def partition_vjp(g, a, ans, axis=-1):
    """Adjoint of np.partition: each entry of g goes back to where its value came from."""
    a = as_array(a)
    if axis is None:
        return partition_vjp(np.ravel(g), np.ravel(a), ans, 0).reshape(a.shape)
    src = _sources(a, ans, axis)
    out = np.zeros(a.shape, dtype=np.result_type(g, 1.0))
    np.put_along_axis(out, src, g, axis=axis)
    return out


def partition_jvp(t, a, ans, axis=-1):
    """Tangent of np.partition: the tangent's entries moved like a's."""
    a = as_array(a)
    t = np.broadcast_to(t, a.shape)
    if axis is None:
        return partition_jvp(np.ravel(t), np.ravel(a), ans, 0)
    return np.take_along_axis(t, _sources(a, ans, axis), axis=axis)


def _quantile_weights(a, q, axis, method):
    """Weights W (shape q.shape + a.shape, a's reduced axes moved last and flattened) with
    quantile(a, q, axis) = sum(W * a_sorted) per output: linear interpolation between the order statistics
    at floor and ceil of (n - 1) q (method 'linear', NumPy's default)."""
    if method != "linear":
        raise NoDerivativeError(f"np.quantile / np.percentile with method={method!r} has no derivative rule",
                                hint="use the default method='linear'")
    a = as_array(a, dtype=float)
    if axis is None:
        axes = tuple(range(a.ndim))
    else:
        axes = tuple(sorted(x % a.ndim for x in ((axis,) if isinstance(axis, (int, np.integer)) else axis)))
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    n = flat.shape[-1]
    q = as_array(q, dtype=float)
    h = (n - 1) * q
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = h - lo
    w = np.zeros(q.shape + (n,))
    for idx in np.ndindex(q.shape):
        w[idx + (lo[idx],)] += 1.0 - frac[idx]
        w[idx + (hi[idx],)] += frac[idx]
    return flat, w, axes, rest, moved.shape


def percentile_vjp(g, a, q, axis=None, keepdims=False, method="linear"):
    """Adjoint of np.percentile: quantile_vjp with q / 100. Refused for a Dask array of one dimension: Dask
    computes that percentile by its own approximate algorithm (per chunk, then merged), not NumPy's."""
    _refuse_approximate_percentile(a, axis)
    return quantile_vjp(g, a, np.divide(q, 100.0), axis, keepdims, method)


def percentile_jvp(t, a, q, axis=None, keepdims=False, method="linear"):
    """Tangent of np.percentile: quantile_jvp with q / 100 (refused as percentile_vjp is)."""
    _refuse_approximate_percentile(a, axis)
    return quantile_jvp(t, a, np.divide(q, 100.0), axis, keepdims, method)


def _refuse_approximate_percentile(a, axis):
    if like_of(a) is not None and hasattr(a, "chunks") and (axis is None or np.ndim(a) == 1):
        from .errors import ADError

        raise ADError("np.percentile of a Dask array over all its entries: Dask computes it by its own "
                      "approximate algorithm (per chunk, then merged), whose derivative is not NumPy's",
                      hint="compute the array first (`a.compute()`), use np.quantile(a, q / 100, axis=...), "
                           "or pass NumPy arrays")


def quantile_vjp(g, a, q, axis=None, keepdims=False, method="linear"):
    """Adjoint of np.quantile(a, q, axis, keepdims) (method 'linear'): each output's adjoint goes to the two
    order statistics it interpolates, with the interpolation weights (ties: the entries that sort into
    those positions, in a stable sort)."""
    flat, w, axes, rest, moved_shape = _quantile_weights(a, q, axis, method)
    g = as_array(g, dtype=np.result_type(g, 1.0))
    qnd = np.ndim(q)
    if keepdims:  # drop the kept axes of the reduction (after q's axes)
        g = np.reshape(g, np.shape(g)[:qnd] + tuple(np.shape(a)[i] for i in rest))
    g = np.reshape(g, np.shape(q) + flat.shape[:-1])  # (q..., rest...)
    order = np.argsort(flat, axis=-1, kind="stable")
    # per sorted position: the sum over q of g[q, rest...] * w[q, position]
    sorted_adj = np.tensordot(g, w, axes=(list(range(qnd)), list(range(qnd))))
    out_flat = np.zeros(flat.shape, dtype=sorted_adj.dtype)
    np.put_along_axis(out_flat, order, sorted_adj, axis=-1)
    out = out_flat.reshape(moved_shape)
    return np.transpose(out, np.argsort(rest + list(axes)))


def quantile_jvp(t, a, q, axis=None, keepdims=False, method="linear"):
    """Tangent of np.quantile (method 'linear'): the tangents of the interpolated order statistics,
    interpolated the same way."""
    flat, w, axes, rest, moved_shape = _quantile_weights(a, q, axis, method)
    t = np.broadcast_to(t, np.shape(a))
    tflat = np.transpose(t, rest + list(axes)).reshape(flat.shape)
    order = np.argsort(flat, axis=-1, kind="stable")
    tsorted = np.take_along_axis(tflat, order, axis=-1)  # (rest..., n)
    out = np.tensordot(w, tsorted, axes=([-1], [-1]))  # (q..., rest...)
    return _quantile_kept(out, a, q, axes) if keepdims else out


def _nanquantile_weights(a, q, axis, method):
    """As _quantile_weights for np.nanquantile: each slice's order statistics among its entries that are not
    NaN (a stable sort puts NaN last), so the weights W (shape q.shape + the kept axes' shape + (n,)) differ
    from slice to slice; a slice of NaN only has none (its quantile is NaN, its derivative 0)."""
    if method != "linear":
        raise NoDerivativeError(f"np.nanquantile / np.nanpercentile with method={method!r} has no derivative rule",
                                hint="use the default method='linear'")
    a = as_array(a, dtype=float)
    axes = tuple(range(a.ndim)) if axis is None else \
        tuple(sorted(x % a.ndim for x in ((axis,) if isinstance(axis, (int, np.integer)) else axis)))
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    count = np.sum(np.logical_not(np.isnan(flat)), axis=-1)
    q = as_array(q, dtype=float)
    h = (count - 1) * q.reshape(q.shape + (1,) * count.ndim)
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, count - 1)
    frac = (h - lo)[..., None]
    at = np.arange(flat.shape[-1])
    w = ((1.0 - frac) * (at == lo[..., None]) + frac * (at == hi[..., None])) * (count > 0)[..., None]
    return flat, w, axes, rest, moved.shape


def nanquantile_vjp(g, a, q, axis=None, keepdims=False, method="linear"):
    """Adjoint of np.nanquantile(a, q, axis, keepdims) (method 'linear'): each output's adjoint goes to the
    two order statistics of its slice's entries that are not NaN, with the interpolation weights; NaN entries
    get 0 (also from a slice of NaN only, whose adjoint may be NaN)."""
    flat, w, axes, rest, moved_shape = _nanquantile_weights(a, q, axis, method)
    g = as_array(g, dtype=np.result_type(g, 1.0))
    qnd = np.ndim(q)
    if keepdims:
        g = np.reshape(g, np.shape(g)[:qnd] + tuple(np.shape(a)[i] for i in rest))
    g = np.reshape(g, np.shape(q) + flat.shape[:-1])
    sorted_adj = np.sum(np.where(w != 0, g[..., None], 0.0) * w, axis=tuple(range(qnd)))
    out_flat = np.zeros(flat.shape, dtype=sorted_adj.dtype)
    np.put_along_axis(out_flat, np.argsort(flat, axis=-1, kind="stable"), sorted_adj, axis=-1)
    return np.transpose(out_flat.reshape(moved_shape), np.argsort(rest + list(axes)))


def nanquantile_jvp(t, a, q, axis=None, keepdims=False, method="linear"):
    """Tangent of np.nanquantile (method 'linear'): the tangents of the interpolated order statistics of each
    slice's entries that are not NaN, interpolated the same way (0 for a slice of NaN only)."""
    flat, w, axes, rest, moved_shape = _nanquantile_weights(a, q, axis, method)
    t = np.broadcast_to(t, np.shape(a))
    tflat = np.transpose(t, rest + list(axes)).reshape(flat.shape)
    tsorted = np.take_along_axis(tflat, np.argsort(flat, axis=-1, kind="stable"), axis=-1)
    out = np.sum(w * tsorted, axis=-1)  # (q..., rest...)
    return _quantile_kept(out, a, q, axes) if keepdims else out


def _quantile_kept(out, a, q, axes):
    """A quantile's tangent (q..., rest...) in keepdims form: q's shape, then a's with the reduced axes 1."""
    shape = list(np.shape(a))
    for i in axes:
        shape[i] = 1
    return np.reshape(out, np.shape(q) + tuple(shape))


# -- selection ----------------------------------------------------------------------------------------------------
def select_vjp(g, condlist, choicelist, default=0, which=0):
    """Adjoint of np.select(condlist, choicelist, default) for the choices (which=0: a list, one adjoint per
    choice) or the default (which=1): g where that choice is the first whose condition holds."""
    from .runtime import unbroadcast

    g = as_array(g)
    taken = np.zeros(g.shape, dtype=bool)
    parts = []
    for cond, choice in zip(condlist, choicelist):
        here = np.broadcast_to(cond, g.shape) & ~taken
        taken = taken | here
        parts.append(unbroadcast(np.where(here, g, 0.0), choice))
    if which == 0:
        return parts
    return unbroadcast(np.where(taken, 0.0, g), default)


def select_vjp_t(h, v, condlist, choicelist, default=0, which=0):
    """The transpose of v -> select_vjp(v, condlist, choicelist, default, which) (v of np.select's result
    shape): the choices' adjoints h (a list; which=0) each where its choice is the first whose condition
    holds, or the default's h (which=1) where none holds, spread to v's shape."""
    shape = np.shape(v)

    def spread(x):
        return np.broadcast_to(0.0 if x is None else x, shape)

    conds = [np.broadcast_to(c, shape) for c in condlist]
    if which == 0:
        return np.select(conds, [spread(x) for x in h], 0.0)
    return np.select(conds, [np.broadcast_to(0.0, shape)] * len(conds), spread(h))


def piecewise_vjp_t(h, x, condlist, funclist, which=0):
    """The transpose of v -> piecewise_vjp(v, x, condlist, funclist, which): 0 (which=0: the map is 0); for
    the pieces (which=1) each piece's adjoint where it is used, np.piecewise's tangent (piecewise_jvp)."""
    if which == 0:
        return np.zeros(np.shape(x))
    return piecewise_jvp(h, x, condlist, funclist)


def constant_pieces(funclist):
    """True if every piece of np.piecewise is a constant (not a function of x)."""
    return not any(callable(f) for f in funclist)


def _refuse_function_pieces(funclist):
    if not constant_pieces(funclist):
        raise NoDerivativeError("np.piecewise with function pieces: NumPy calls them, ad_compiler cannot "
                                "differentiate through that call",
                                hint="compute the pieces yourself and combine them with np.select or np.where")


def piecewise_vjp(g, x, condlist, funclist, which=0):
    """Adjoint of np.piecewise(x, condlist, funclist) with constant pieces: for x (which=0) zero (the result
    is piecewise constant in x); for the pieces (which=1) each piece receives the sum of g where it was used
    (the last condition that holds wins, as in NumPy; an extra last piece is the default)."""
    _refuse_function_pieces(funclist)
    g = as_array(g)
    if which == 0:
        return np.zeros(np.shape(x))
    conds = [np.broadcast_to(c, g.shape) for c in (condlist if isinstance(condlist, (list, tuple)) and
                                                      np.ndim(condlist[0]) == np.ndim(x) else [condlist])]
    owner = np.full(g.shape, len(conds) if len(funclist) > len(conds) else -1)
    for k, c in enumerate(conds):
        owner = np.where(c, k, owner)
    lazy = like_of(g) is not None  # (a number's adjoint: a 0-d array of g's library, not computed here)
    return [(np.sum(np.where(owner == k, g, 0.0)) if lazy else float(np.sum(np.where(owner == k, g, 0.0))))
            if np.ndim(f) == 0 else np.where(owner == k, g, 0.0) for k, f in enumerate(funclist)]


def piecewise_x_jvp(t, funclist):
    """The part of np.piecewise's tangent that comes from x: 0 for constant pieces (function pieces are
    refused)."""
    _refuse_function_pieces(funclist)
    return np.zeros(np.shape(t))


def piecewise_jvp(t, x, condlist, funclist):
    """Tangent of np.piecewise with constant pieces: the pieces' tangents where they are used."""
    _refuse_function_pieces(funclist)
    return np.piecewise(as_array(x, dtype=float), condlist, [as_array(v, dtype=float) if v is not None else 0.0
                                                                for v in t])


# -- cumulative products ---------------------------------------------------------------------------------------------
def _along(x, axis):
    x = as_array(x, dtype=np.result_type(x, 1.0))
    if axis is None:
        return np.ravel(x), 0
    return x, axis % x.ndim


def cumprod_jvp(t, a, axis=None):
    """Tangent of np.cumprod: dc_j = dc_(j-1) a_j + c_(j-1) da_j (a scan; exact with zeros)."""
    t, _ = _along(np.broadcast_to(t, np.shape(a)), axis)
    a, ax = _along(a, axis)
    am, tm = np.moveaxis(a, ax, 0), np.moveaxis(t, ax, 0)
    c, dc = np.empty_like(am), np.empty_like(tm)
    c[0], dc[0] = am[0], tm[0]
    for j in range(1, am.shape[0]):
        c[j] = c[j - 1] * am[j]
        dc[j] = dc[j - 1] * am[j] + c[j - 1] * tm[j]
    return np.moveaxis(dc, 0, ax)


def cumprod_jvp_jvp(t, dt, a, da, axis=None):
    """Tangent of cumprod_jvp(t, a) along (dt, da): the scans of the value, of its tangents along t and along da,
    and of the mixed second tangent (exact with zeros)."""
    shape = np.shape(a)
    t, _ = _along(np.broadcast_to(t, shape), axis)
    dt, _ = _along(np.broadcast_to(dt, shape), axis)
    da, _ = _along(np.broadcast_to(da, shape), axis)
    a, ax = _along(a, axis)
    am, tm, dtm, dam = (np.moveaxis(x, ax, 0) for x in (a, t, dt, da))
    c, ct, ca, cta = am[0], tm[0], dam[0], dtm[0]
    out = np.empty_like(am)
    out[0] = cta
    for j in range(1, am.shape[0]):
        c, ct, ca, cta = (c * am[j], ct * am[j] + c * tm[j], ca * am[j] + c * dam[j],
                          cta * am[j] + ct * dam[j] + ca * tm[j] + c * dtm[j])
        out[j] = cta
    return np.moveaxis(out, 0, ax)


def einsum_args_vjp_t_jvp(h, dh, args, dargs):
    """Tangent of einsum_args_vjp_t(h, args) along (dh, dargs): einsum's tangent along dh, and its second
    derivative along h and dargs (each pair of different operands replaced by their h and darg)."""
    spec, operands, positions = _einsum_string(args)
    total = einsum_args_vjp_t(dh, args)
    hs = _operand_parts(h, args, positions)
    ds = [None] * len(positions) if dargs is None else _operand_parts(dargs, args, positions)
    for k, hk in enumerate(hs):
        for j, dj in enumerate(ds):
            if hk is not None and dj is not None and j != k:
                replaced = list(operands)
                replaced[k], replaced[j] = hk, dj
                total = total + np.einsum(spec, *replaced)
    return total


def cumprod_vjp(g, a, axis=None):
    """Adjoint of np.cumprod (reverse scan; exact with zeros): with c = cumprod(a), the adjoint of c_j is
    bc_j = g_j + bc_(j+1) a_(j+1), and a_j receives bc_j c_(j-1)."""
    shape = np.shape(a)
    a, ax = _along(a, axis)
    g, _ = _along(g, axis)
    am, gm = np.moveaxis(a, ax, 0), np.moveaxis(g, ax, 0)
    n = am.shape[0]
    c = np.cumprod(am, axis=0)
    bc = np.empty_like(gm, dtype=np.result_type(gm, am))
    bc[n - 1] = gm[n - 1]
    for j in range(n - 2, -1, -1):
        bc[j] = gm[j] + bc[j + 1] * am[j + 1]
    before = np.concatenate([np.ones((1,) + am.shape[1:]), c[:-1]], axis=0)
    out = np.moveaxis(bc * before, 0, ax)
    return out.reshape(shape)


def cumprod_vjp_jvp(v, dv, a, da, axis=None):
    """Tangent of cumprod_vjp(v, a): the reverse scan differentiated along with the forward one."""
    shape = np.shape(a)
    out_shape = shape if axis is not None else (int(np.prod(shape)),)  # (the adjoint's shape: cumprod's result)
    v, _ = _along(np.broadcast_to(v, out_shape), axis)
    dv, _ = _along(np.broadcast_to(dv, out_shape), axis)
    da, _ = _along(np.broadcast_to(da, shape), axis)
    a, ax = _along(a, axis)
    am, vm, dvm, dam = (np.moveaxis(x, ax, 0) for x in (a, v, dv, da))
    n = am.shape[0]
    c, dc = np.empty_like(am), np.empty_like(am)
    c[0], dc[0] = am[0], dam[0]
    for j in range(1, n):
        c[j] = c[j - 1] * am[j]
        dc[j] = dc[j - 1] * am[j] + c[j - 1] * dam[j]
    bc, dbc = np.empty_like(am), np.empty_like(am)
    bc[n - 1], dbc[n - 1] = vm[n - 1], dvm[n - 1]
    for j in range(n - 2, -1, -1):
        bc[j] = vm[j] + bc[j + 1] * am[j + 1]
        dbc[j] = dvm[j] + dbc[j + 1] * am[j + 1] + bc[j + 1] * dam[j + 1]
    one = np.ones((1,) + am.shape[1:])
    before = np.concatenate([one, c[:-1]], axis=0)
    dbefore = np.concatenate([0 * one, dc[:-1]], axis=0)
    return np.moveaxis(dbc * before + bc * dbefore, 0, ax).reshape(shape)


# -- weighted averages ---------------------------------------------------------------------------------------------
def shaped_weights(weights, a, axis=None):
    """np.average's weights as an array that broadcasts against `a` (1.0 for no weights; a 1-D weight vector
    along `axis` gets singleton axes elsewhere)."""
    if weights is None:
        return 1.0
    w = as_array(weights)
    if w.shape == np.shape(a) or axis is None:
        return w
    axes, order = _weight_axes(a, axis)
    shape = [np.shape(a)[i] if i in axes else 1 for i in range(np.ndim(a))]
    return np.transpose(w, order).reshape(shape)


def _weight_axes(a, axis):
    """The axes (normalized) np.average's weights run along, and the permutation NumPy puts them in (a tuple
    axis takes weights of the shape of a along those axes in the tuple's order: sig25-004)."""
    axes = [ax % np.ndim(a) for ax in (axis if isinstance(axis, tuple) else (axis,))]
    return axes, tuple(int(i) for i in np.argsort(axes))


def weights_vjp(h, weights, a, axis=None):
    """Adjoint of shaped_weights: h (a's shape) summed down to the weights' shape."""
    from .runtime import unbroadcast

    w_shape = np.shape(weights)
    if w_shape == np.shape(a) or axis is None:
        return unbroadcast(h, weights)
    _, order = _weight_axes(a, axis)
    summed = np.reshape(unbroadcast(h, shaped_weights(weights, a, axis)), tuple(w_shape[i] for i in order))
    return np.transpose(summed, tuple(int(i) for i in np.argsort(order)))


def refuse_returned(value, returned=False):
    """The value of np.average as it is; refuses `returned=True` (its (average, sum of weights) pair)."""
    if returned:
        raise NoDerivativeError("np.average(..., returned=True) has no derivative rule",
                                hint="compute the sum of weights separately (np.sum(weights))")
    return value


# -- np.einsum in either form ------------------------------------------------------------------------------------
def _einsum_string(args):
    """(subscripts, operands, positions of the operands in args) for np.einsum's arguments: the string form
    ('ij,jk->ik', a, b) or the sublist form (a, [0, 1], b, [1, 2], [0, 2])."""
    if isinstance(args[0], str):
        return args[0], list(args[1:]), list(range(1, len(args)))
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(sub):
        return "".join("..." if s is Ellipsis else letters[s] for s in sub)

    pairs = len(args) // 2
    operands = [args[2 * i] for i in range(pairs)]
    terms = [term(args[2 * i + 1]) for i in range(pairs)]
    spec = ",".join(terms) + ("->" + term(args[-1]) if len(args) % 2 else "")
    return spec, operands, [2 * i for i in range(pairs)]


def einsum_args_vjp(g, args):
    """Adjoints of np.einsum's positional arguments (None for the subscripts and sublists)."""
    from .runtime import einsum_vjp

    spec, operands, positions = _einsum_string(args)
    out = [None] * len(args)
    for p, b in zip(positions, einsum_vjp(g, spec, operands)):
        out[p] = b
    return out


def _operand_parts(h, args, positions):
    """The entries of h (an adjoint of the list einsum_args_vjp returns) at the operands' positions, None
    where it carries nothing (None, or a zero number standing for an array's zero adjoint)."""
    if not isinstance(h, (list, tuple)):
        return [None] * len(positions)
    return [None if h[p] is None or np.ndim(h[p]) == 0 and np.ndim(args[p]) != 0 and not np.any(h[p]) else h[p]
            for p in positions]


def einsum_args_vjp_t(h, args):
    """The transpose in v of einsum_args_vjp(v, args): einsum_args_vjp gives the gradients of the multilinear
    F = <v, einsum(args)> in the operands, so <h, them> is F's derivative along the operands' h: the sum over
    operands of einsum(args) with that operand replaced by its h (einsum's tangent)."""
    spec, operands, positions = _einsum_string(args)
    total = None
    for k, part in enumerate(_operand_parts(h, args, positions)):
        if part is not None:
            replaced = list(operands)
            replaced[k] = part
            term = np.einsum(spec, *replaced)
            total = term if total is None else total + term
    return np.zeros(np.shape(np.einsum(spec, *operands))) if total is None else total


def einsum_args_vjp_hvp(v, args, h):
    """The transpose in the operands of einsum_args_vjp(v, args): F's Hessian in the operands (symmetric)
    applied to h, that is einsum_args_vjp's tangent along the operands' h with v fixed."""
    from .runtime import einsum_vjp

    spec, operands, positions = _einsum_string(args)
    out = [None] * len(args)
    for p, x in zip(positions, operands):
        out[p] = np.zeros(np.shape(x))
    for k, part in enumerate(_operand_parts(h, args, positions)):
        if part is not None:
            replaced = list(operands)
            replaced[k] = part
            for j, b in enumerate(einsum_vjp(v, spec, tuple(replaced))):
                if j != k:
                    out[positions[j]] = out[positions[j]] + b
    return out


def einsum_args_vjp_hvp2(v, args, h, d):
    """The third derivative of F = <v, einsum(args)> along the operands' h and d, as gradients: at each operand
    j, the sum over pairs k != i (both other than j) of einsum's adjoint in j with h at k and d at i. It is the
    tangent of einsum_args_vjp_hvp(v, args, h) along the operands' d, and its transpose in the operands."""
    from .runtime import einsum_vjp

    spec, operands, positions = _einsum_string(args)
    out = [None] * len(args)
    for p, x in zip(positions, operands):
        out[p] = np.zeros(np.shape(x))
    ds = [None] * len(positions) if d is None else _operand_parts(d, args, positions)
    for k, hk in enumerate(_operand_parts(h, args, positions)):
        for i, di in enumerate(ds):
            if hk is not None and di is not None and i != k:
                replaced = list(operands)
                replaced[k], replaced[i] = hk, di
                for j, b in enumerate(einsum_vjp(v, spec, tuple(replaced))):
                    if j != k and j != i:
                        out[positions[j]] = out[positions[j]] + b
    return out


def einsum_args_vjp_jvp(v, dv, args, dargs):
    """Tangent of einsum_args_vjp(v, args) (v and the operands moving)."""
    from .runtime import einsum_vjp_jvp

    spec, operands, positions = _einsum_string(args)
    tangents = [None if dargs is None or np.ndim(dargs[p]) == 0 and np.ndim(args[p]) != 0 and not np.any(dargs[p])
                else dargs[p] for p in positions]
    out = [None] * len(args)
    for p, b in zip(positions, einsum_vjp_jvp(v, dv, spec, operands, tangents)):
        out[p] = b
    return out

