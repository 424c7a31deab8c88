"""Derivative rules for ad_compiler's own runtime helpers, so that a generated derivative can be
differentiated again (`ad.jvp(ad.grad(f))`, `ad.hessian`, `ad.grad(ad.grad(f))`).

Most helpers are linear in the adjoint or tangent they carry (`unbroadcast(v, x)` sums `v` down to x's
shape; `x` only gives a shape) and so are their rules: forward mode applies the helper to the tangent,
reverse mode applies the transpose written here. The adjoints of a product are bilinear (`v @ b.T`):
`multilinear`. A helper's parameter is called `v` where the template placeholder `g` (the adjoint of the
result) would clash with the helper's own name for it. Parameters listed in `forward_only` have no
reverse rule yet: a second reverse sweep through them reports the missing rule.
"""
import numpy as np

from .. import runtime as _ad

try:  # (the ODE and signal helpers' rules call SciPy; they are used only where SciPy is installed)
    import scipy.integrate as integrate
    import scipy.signal as signal
except ImportError:  # pragma: no cover
    integrate = signal = None
from . import ans, derivative, elementwise, g, linear, nondifferentiable

nondifferentiable(_ad.grad_seed, _ad.unit_tangent, _ad.layout_order, _ad.zeros_like, _ad.zero_entries, _ad.shape_of, _ad.new_tape,
                  _ad.max_share, _ad.min_share, _ad.inside, _ad.clip_low, _ad.clip_high, _ad.count_reduced, _ad.normalize_axes, _ad.segments)
nondifferentiable(_ad.along_axis_index, _ad.kept_positions, _ad.indexed_shape, _ad.diagonal_positions,
                  _ad.cyclic_positions, _ad.flat_store_positions, _ad.at_steps, _ad.choose_conditions,
                  _ad.flat_positions,
                  _ad.check_unshared, _ad.check_unpack)  # (positions: desugar_index_forms.py)


# -- shapes and sums ----------------------------------------------------------------------------------
@linear(_ad.unbroadcast, constant_in=("x",))
def unbroadcast(v, x):
    bv = _ad.fit_shape(g, v)


@linear(_ad.unbroadcast_value, constant_in=("x",))
def unbroadcast_value(v, x):
    bv = _ad.fit_shape(g, v)


@linear(_ad.broadcast_like, constant_in=("like",))
def broadcast_like(t, like):
    bt = _ad.fit_shape(g, t)


@linear(_ad.unreduce, constant_in=("x",))
def unreduce(v, x, axis=None, keepdims=False):
    bv = _ad.reduce_to(g, v, axis)


@linear(_ad.unreduce_mean, constant_in=("x",))
def unreduce_mean(v, x, axis=None, keepdims=False):
    bv = _ad.reduce_to(g, v, axis) / _ad.count_reduced(x, axis)


@linear(_ad.keep_reduced, constant_in=("x",))
def keep_reduced(v, x, axis=None, keepdims=False):
    bv = np.reshape(g, np.shape(v))


@linear(_ad.fit_shape, constant_in=("v",))
def fit_shape(h, v):
    bh = _ad.fit_shape(g, h)


@linear(_ad.reduce_to, constant_in=("v",))
def reduce_to(h, v, axis=None):
    bh = _ad.unreduce(g, h, axis)  # (g in v's shape, the reduced axes kept or not)


@linear(_ad.owned_copy, constant_in=("x",))
def owned_copy(b, x):
    bb = _ad.fit_shape(g, b)


@linear(_ad.np_copy)
def np_copy(x):
    bx = g


@linear(_ad.add)
def add(a, b):
    ba = g
    bb = g


@linear(_ad.getitem_vjp, constant_in=("x", "index"))
def getitem_vjp(v, x, index):
    bv = g[index]


@linear(_ad.store_adjoint, constant_in=("index",))
def store_adjoint(b, index):
    bb = _ad.store_adjoint_vjp(g, b, index)


@linear(_ad.store_adjoint_vjp, constant_in=("b", "index"))
def store_adjoint_vjp(v, b, index):
    bv = _ad.store_adjoint(g, index)


@linear(_ad.added_at, constant_in=("index",))
def added_at(b, index, v):
    bb = g
    bv = _ad.unbroadcast(g[index], v)


@linear(_ad.join_slices, constant_in=("x",))
def join_slices(x, axis, bounds, values):
    bvalues = _ad.join_slices_vjp(g, axis, bounds, values)


@linear(_ad.join_slices_vjp, constant_in=("values",))
def join_slices_vjp(v, axis, bounds, values):
    bv = _ad.join_slices(v, axis, bounds, g)


@linear(_ad.cast_like, constant_in=("x",))
def cast_like(v, x):
    bv = _ad.cast_like(g, v)


@linear(_ad.rule_adjoint, constant_in=("x", "rule", "param"))
def rule_adjoint(b, x, rule, param):
    bb = _ad.rule_adjoint(g, b, rule, param)


@derivative(_ad.aux_pair)
def aux_pair(out):
    bout = g
    dans = dout  # noqa: F821


@linear(_ad.rule_tangent, constant_in=("y", "rule"))
def rule_tangent(t, y, rule):
    bt = _ad.rule_tangent(g, t, rule)


@linear(_ad.in_place_cast, constant_in=("x",))
def in_place_cast(t, x):
    bt = _ad.cast_like(g, t)


@linear(_ad.sum_vjp, constant_in=("items",))
def sum_vjp(v, items):
    """Every item (every row of an array) receives v: the transpose adds the items' adjoints up."""
    bv = _ad.fit_shape(sum(g), v)


@elementwise(_ad.power_partial)
def power_partial(x, k, n=1):
    return _ad.power_partial(x, k, n + 1), _ad.power_partial_exponent(x, k, n), None


@elementwise(_ad.power_partial_exponent)
def power_partial_exponent(x, k, n=1):  # (d power_partial / dk: its partials, mixed ones of x**k)
    return _ad.power_partial_exponent(x, k, n + 1), _ad.power_partial_mixed(x, k, n, 2), None


@elementwise(_ad.power_partial_mixed)
def power_partial_mixed(x, k, n=1, m=1):
    return _ad.power_partial_mixed(x, k, n + 1, m), _ad.power_partial_mixed(x, k, n, m + 1), None, None


@derivative(_ad.adjugate)
def adjugate(a):
    ba = _ad.adjugate_vjp(g, a)
    dans = _ad.adjugate_jvp(a, da)


@derivative(_ad.adjugate_vjp)
def adjugate_vjp(v, a):
    """The adjoint of adjugate (det's Hessian applied to v.T, in gradient form): linear in v, its transpose is
    the tangent adjugate_jvp; in a, det's third derivative (runtime_third.adjugate_vjp_jvp, symmetric in its
    last two directions)."""
    bv = _ad.unbroadcast(_ad.adjugate_jvp(a, g), v)
    ba = _ad.adjugate_vjp_jvp(v, a, g)
    dans = _ad.adjugate_vjp(dv, a) + _ad.adjugate_vjp_jvp(v, a, da)


@derivative(_ad.adjugate_jvp)
def adjugate_jvp(a, t):
    """adjugate_jvp(a, t) = adjugate_vjp(t.T, a).T: linear in t (its transpose: adjugate_vjp); in a as
    adjugate_vjp's rule, transposed."""
    bt = _ad.unbroadcast(_ad.adjugate_vjp(g, a), t)
    ba = _ad.adjugate_vjp_jvp(np.swapaxes(t, -1, -2), a, np.swapaxes(g, -1, -2))
    dans = _ad.adjugate_jvp(a, dt) + np.swapaxes(_ad.adjugate_vjp_jvp(np.swapaxes(t, -1, -2), a, da), -1, -2)


@derivative(_ad.adjugate_vjp_jvp)
def adjugate_vjp_jvp(v, a, t):
    """det's third derivative D3 det(a)[v.T, t, r] in gradient form (symmetric in its three directions): linear
    in t (its own transpose) and in v (transposed: adjugate_vjp_jvp(t.T, a, g).T); in a, det's fourth derivative
    (runtime_third.adjugate_vjp_d3, which has no rule)."""
    bv = _ad.unbroadcast(np.swapaxes(_ad.adjugate_vjp_jvp(np.swapaxes(t, -1, -2), a, g), -1, -2), v)
    bt = _ad.unbroadcast(_ad.adjugate_vjp_jvp(v, a, g), t)
    ba = _ad.adjugate_vjp_d3(v, a, t, g)
    dans = _ad.adjugate_vjp_jvp(dv, a, t) + _ad.adjugate_vjp_jvp(v, a, dt) + _ad.adjugate_vjp_d3(v, a, t, da)


# -- `+`, `*` and `sum` of lists and tuples: concatenation and repetition (resolve.py binds them here) ---------
@linear(_ad.seq_concat)
def seq_concat(a, b):
    ba = _ad.seq_concat_vjp(g, a, b, 0)
    bb = _ad.seq_concat_vjp(g, a, b, 1)


@linear(_ad.seq_repeat)
def seq_repeat(seq, n):
    bseq = _ad.seq_repeat_vjp(g, seq, n)


@linear(_ad.seq_repeat_left)
def seq_repeat_left(n, seq):
    bseq = _ad.seq_repeat_vjp(g, seq, n)


@linear(_ad.seq_sum)
def seq_sum(iterable, start=0):
    biterable = _ad.seq_sum_vjp(g, iterable, start)
    bstart = _ad.seq_concat_vjp(g, start, iterable, 0)


# `+` and `*` of values of unknown kinds (a recursive call's result): sequences or arithmetic, told when it runs
@linear(_ad.plus)
def plus(a, b):
    ba = _ad.plus_vjp(g, a, b, 0)
    bb = _ad.plus_vjp(g, a, b, 1)


@linear(_ad.times, multilinear=True)
def times(a, b):
    ba = _ad.times_vjp(g, a, b, 0)
    bb = _ad.times_vjp(g, a, b, 1)


@linear(_ad.plus_vjp, constant_in=("a", "b", "which"))
def plus_vjp(v, a, b, which):
    bv = _ad.plus_transpose(g, a, b, which, v)


@linear(_ad.plus_transpose, constant_in=("a", "b", "which", "v"))
def plus_transpose(h, a, b, which, v):
    bh = _ad.plus_vjp(g, a, b, which)


@derivative(_ad.times_vjp)
def times_vjp(v, a, b, which):  # (bilinear in v and the factor other than operand `which`)
    bv = _ad.times_transpose(g, a, b, which, v)
    ba = _ad.times_factor_vjp(g, v, a, b, which, 0)
    bb = _ad.times_factor_vjp(g, v, a, b, which, 1)
    dans = _ad.times_vjp_jvp(v, a, b, which, dv, da, db)


@linear(_ad.times_factor_vjp, multilinear=True, constant_in=("a", "b"))
def times_factor_vjp(h, v, a, b, which, of):  # (h times v summed to the other factor's shape: bilinear)
    bh = _ad.times_factor_transpose(g, v, a, b, which, of, h)
    bv = _ad.times_factor_transpose(g, h, a, b, which, of, v)


@linear(_ad.times_factor_transpose, multilinear=True, constant_in=("a", "b", "target"))
def times_factor_transpose(h, w, a, b, which, of, target):
    bh = _ad.times_factor_vjp(g, w, a, b, which, of)
    bw = _ad.times_factor_transpose(g, h, a, b, which, of, w)


@derivative(_ad.times_transpose, constant_in=("v",))
def times_transpose(h, a, b, which, v):
    """h times the factor other than operand `which`, summed to v's shape: bilinear in h and that factor (a
    rule linear in h alone dropped the other factor's derivative: wrong at fourth order, modes9)."""
    bh = _ad.times_vjp(g, a, b, which)
    ba = _ad.times_factor_transpose(g, h, a, b, which, 0, a)
    bb = _ad.times_factor_transpose(g, h, a, b, which, 1, b)
    dans = _ad.times_transpose(dh, a, b, which, v) + _ad.times_transpose_jvp(h, a, b, which, v, da, db)


@linear(_ad.seq_concat_vjp, constant_in=("a", "b", "which"))
def seq_concat_vjp(v, a, b, which):
    bv = _ad.seq_concat_transpose(g, a, b, which, v)


@linear(_ad.seq_concat_transpose, constant_in=("a", "b", "which", "v"))
def seq_concat_transpose(h, a, b, which, v):
    bh = _ad.seq_concat_vjp(g, a, b, which)


@linear(_ad.seq_repeat_vjp, constant_in=("seq", "n"))
def seq_repeat_vjp(v, seq, n):
    bv = _ad.seq_repeat_transpose(g, seq, n, v)


@linear(_ad.seq_repeat_transpose, constant_in=("seq", "n", "v"))
def seq_repeat_transpose(h, seq, n, v):
    bh = _ad.seq_repeat_vjp(g, seq, n)


@linear(_ad.seq_sum_vjp, constant_in=("iterable", "start"))
def seq_sum_vjp(v, iterable, start):
    bv = _ad.seq_sum_transpose(g, iterable, start, v)


@linear(_ad.seq_sum_transpose, constant_in=("iterable", "start", "v"))
def seq_sum_transpose(h, iterable, start, v):
    bh = _ad.seq_sum_vjp(g, iterable, start)


@linear(_ad.dict_merge)
def dict_merge(a, b):
    ba = _ad.dict_merge_vjp(g, a, b, 0)
    bb = _ad.dict_merge_vjp(g, a, b, 1)


@linear(_ad.dict_merge_vjp, constant_in=("a", "b", "which"))
def dict_merge_vjp(v, a, b, which):
    bv = _ad.dict_merge_transpose(g, a, b, which, v)


@linear(_ad.dict_merge_transpose, constant_in=("a", "b", "which", "v"))
def dict_merge_transpose(h, a, b, which, v):
    bh = _ad.dict_merge_vjp(g, a, b, which)


# -- at the boundary -------------------------------------------------------------------------------------
@linear(_ad.as_grad, constant_in=("x",))
def as_grad(b, x):
    bb = g


@linear(_ad.as_grads, constant_in=("args",))
def as_grads(grads, args):
    bgrads = g


@derivative(_ad.as_grad_made, constant_in=("x",), shaped_tangent=True)  # (x's form, as the result)
def as_grad_made(b, x):
    bb = g
    dans = _ad.as_grad(db, x)  # (the tangent of b is not proven anything: the full as_grad)


@derivative(_ad.as_grads_made, constant_in=("args",), shaped_tangent=True)
def as_grads_made(grads, args):
    bgrads = g
    dans = _ad.as_grads(dgrads, args)


@linear(_ad.vjp_seed, constant_in=("out",))
def vjp_seed(seed, out):
    bseed = g


@linear(_ad.as_tangent, constant_in=("x",))
def as_tangent(t, x):
    bt = g


@linear(_ad.tangent_out, constant_in=("out",))
def tangent_out(t, out):
    bt = g


# -- adjoints of products: bilinear ------------------------------------------------------------------------
@linear(_ad.matmul_vjp_a, multilinear=True, constant_in=("a",))
def matmul_vjp_a(v, a, b):
    bv = _ad.unbroadcast(g @ b, v)
    bb = _ad.matmul_vjp_b(v, g, b)


@linear(_ad.matmul_vjp_b, multilinear=True, constant_in=("b",))
def matmul_vjp_b(v, a, b):
    bv = _ad.unbroadcast(a @ g, v)
    ba = _ad.matmul_vjp_a(v, a, g)


@linear(_ad.sum_product, multilinear=True, constant_in=("like",))
def sum_product(a, b, like):
    ba = _ad.unbroadcast(g * b, a)
    bb = _ad.unbroadcast(g * a, b)


@linear(_ad.dot_vjp_a, multilinear=True, constant_in=("a",))
def dot_vjp_a(v, a, b):
    bv = np.dot(g, b)
    bb = _ad.dot_vjp_b(v, g, b)


@linear(_ad.dot_vjp_b, multilinear=True, constant_in=("b",))
def dot_vjp_b(v, a, b):
    bv = np.dot(a, g)
    ba = _ad.dot_vjp_a(v, a, g)


@linear(_ad.var_vjp, multilinear=True)
def var_vjp(v, x, axis=None, ddof=0, keepdims=False):
    """v 2 conj(x - mean) / (N - ddof): in x, the centering (symmetric) times a number per group, so x's
    adjoint is var_vjp itself (v, an adjoint of a real variance, is real)."""
    bv = _ad.reduce_to(g * _ad.var_vjp(np.ones_like(v), x, axis, ddof, keepdims), v, axis)
    bx = _ad.var_vjp(v, g, axis, ddof, keepdims)


@linear(_ad.reduce_jvp, multilinear=True)
def reduce_jvp(partials, t, axis=None, keepdims=False):
    bpartials = _ad.fit_shape(_ad.unreduce(g, partials, axis, keepdims) * t, partials)
    bt = _ad.fit_shape(_ad.unreduce(g, partials, axis, keepdims) * partials, t)


# -- linear in the adjoint, the rest only selects where it goes --------------------------------------------
@linear(_ad.reduce_extreme_vjp, constant_in=("x", "extreme"))
def reduce_extreme_vjp(v, x, extreme, axis=None, keepdims=False):  # (`extreme`: `ans` is the result's name here)
    bv = _ad.fit_shape(_ad.reduce_jvp(_ad.reduce_extreme_vjp(np.ones_like(v), x, extreme, axis, keepdims), g,
                                      axis, keepdims), v)


@linear(_ad.sort_vjp, constant_in=("a",))
def sort_vjp(v, a, axis=-1):
    bv = _ad.fit_shape(_ad.sort_jvp(g, a, axis), v)


@linear(_ad.sort_jvp, constant_in=("a",))
def sort_jvp(t, a, axis=-1):
    bt = _ad.fit_shape(_ad.sort_vjp(g, a, axis), t)


@linear(_ad.cumsum_vjp, constant_in=("x",))
def cumsum_vjp(v, x, axis=None):
    """The reversed cumulative sum (of the flattened v for axis None): its transpose is cumsum."""
    bv = np.reshape(np.cumsum(g, axis), np.shape(v))


@linear(_ad.trace_vjp, constant_in=("x",))
def trace_vjp(v, x, offset=0, axis1=0, axis2=1):
    bv = np.trace(g, offset, axis1, axis2)


@linear(_ad.transpose_vjp)
def transpose_vjp(v, axes=None):
    bv = np.transpose(g, _ad.transpose_axes(axes))


@linear(_ad.take_vjp, constant_in=("a",))
def take_vjp(v, a, indices, axis=None):
    bv = np.take(g, indices, axis)


@linear(_ad.diag_vjp, constant_in=("x",))
def diag_vjp(v, x, k=0):
    """A diagonal read from, or placed on, a matrix: np.diag does the other one."""
    bv = np.diag(g, k)


@linear(_ad.item_vjp, constant_in=("x",))
def item_vjp(v, x, args=()):
    bv = _ad.item_of(g, args)


@linear(_ad.item_of)
def item_of(h, args=()):
    bh = _ad.item_vjp(g, h, args)


@linear(_ad.keep_last_two)
def keep_last_two(v):
    bv = np.reshape(g, np.shape(v))


@linear(_ad.builtin_extreme_vjp, constant_in=("args", "winner"))
def builtin_extreme_vjp(v, args, winner):  # (`winner`: max(...)'s value; `ans` is this call's result)
    bv = _ad.builtin_extreme_jvp(g, args, winner)


@linear(_ad.builtin_extreme_jvp, constant_in=("args", "winner"))
def builtin_extreme_jvp(targs, args, winner):
    btargs = _ad.builtin_extreme_vjp(g, args, winner)


# -- adjoints of containers (linear in the adjoint; their transposes: runtime_transposes.py) ----------------
@linear(_ad.iter_list_vjp, constant_in=("x",))
def iter_list_vjp(v, x):
    bv = _ad.iter_list_transpose(g, x, v)


@linear(_ad.iter_list_transpose, constant_in=("x", "v"))
def iter_list_transpose(h, x, v):
    bh = _ad.iter_list_vjp(g, x)


@linear(_ad.dict_values_vjp, constant_in=("d",))
def dict_values_vjp(v, d):
    bv = _ad.dict_values_transpose(g, d, v)


@linear(_ad.dict_values_transpose, constant_in=("d", "v"))
def dict_values_transpose(h, d, v):
    bh = _ad.dict_values_vjp(g, d)


@linear(_ad.dict_items_vjp, constant_in=("d",))
def dict_items_vjp(v, d):
    bv = _ad.dict_items_transpose(g, d, v)


@linear(_ad.dict_items_transpose, constant_in=("d", "v"))
def dict_items_transpose(h, d, v):
    bh = _ad.dict_items_vjp(g, d)


@linear(_ad.dict_copy_vjp, constant_in=("mapping",))
def dict_copy_vjp(v, mapping):
    bv = _ad.dict_copy_transpose(g, mapping, v)


@linear(_ad.dict_copy_transpose, constant_in=("mapping", "v"))
def dict_copy_transpose(h, mapping, v):
    bh = _ad.dict_copy_vjp(g, mapping)


@linear(_ad.stack_family_vjp, constant_in=("arrays",))
def stack_family_vjp(v, arrays, how):
    bv = _ad.selection_transpose(g, v, "stack_family_vjp", arrays, how)


@linear(_ad.split_along, constant_in=("pieces",))
def split_along(v, pieces, axis=0):
    bv = _ad.selection_transpose(g, v, "split_along", pieces, axis)


@linear(_ad.unstack, constant_in=("arrays",))
def unstack(v, axis=0, arrays=None):
    bv = _ad.selection_transpose(g, v, "unstack", axis, arrays)


@linear(_ad.selection_transpose, constant_in=("v", "args"))
def selection_transpose(h, v, name, *args):
    """(args: the pieces or arrays a selection reads only for their shapes, and options.)"""
    bh = _ad.selection(g, name, *args)


@linear(_ad.selection, constant_in=("args",))
def selection(v, name, *args):
    bv = _ad.selection_transpose(g, v, name, *args)


@linear(_ad.append_vjp, constant_in=("arr", "values"))
def append_vjp(v, arr, values, axis=None, which=0):
    bv = np.append(g, _ad.zeros_like(values), axis) if which == 0 else np.append(_ad.zeros_like(arr), g, axis)


@linear(_ad.linspace_vjp, constant_in=("start", "stop"))
def linspace_vjp(v, start, stop, num=50, endpoint=True, which=0):
    bv = np.linspace(g, _ad.zeros_like(stop), num, endpoint) if which == 0 else \
        np.linspace(_ad.zeros_like(start), g, num, endpoint)


@linear(_ad.index_concat_vjp, constant_in=("items",))
def index_concat_vjp(v, kind, items):
    bv = _ad.index_concat_transpose(g, kind, items)


@linear(_ad.index_concat_transpose, constant_in=("items",))
def index_concat_transpose(h, kind, items):
    bh = _ad.index_concat_vjp(g, kind, items)


@linear(_ad.index_concat_tangent, constant_in=("items",))
def index_concat_tangent(kind, items, tangents):
    btangents = _ad.index_concat_tangent_vjp(g, kind, items, tangents)


@linear(_ad.index_concat_tangent_vjp, constant_in=("items", "tangents"))
def index_concat_tangent_vjp(v, kind, items, tangents):
    bv = _ad.index_concat_tangent(kind, items, g)


@linear(_ad.save_item, constant_in=("index",))
def save_item(target, index):  # (`target[index]`, MISSING for a new key: what a store overwrote, on the tape)
    btarget = _ad.save_item_vjp(g, target, index)


@linear(_ad.save_item_vjp, constant_in=("target", "index"))
def save_item_vjp(h, target, index):
    bh = _ad.save_item_transpose(g, target, index, h)


@linear(_ad.save_item_transpose, constant_in=("target", "index", "v"))
def save_item_transpose(h, target, index, v):
    bh = _ad.save_item_vjp(g, target, index)


@linear(_ad.list_with_last, constant_in=("lst",))
def list_with_last(lst, v):  # (zeros in lst's form, then v: linear in v alone)
    bv = _ad.list_with_last_transpose(g, lst, v)


@linear(_ad.list_with_last_transpose, constant_in=("lst", "v"))
def list_with_last_transpose(h, lst, v):
    bh = _ad.list_with_last(lst, g)


# -- nonlinear in the primal values: tangents only ------------------------------------------------------------
@derivative(_ad.prod_vjp)
def prod_vjp(v, x, axis=None, keepdims=False):
    """v times the product of the other entries: in x, the Hessian of prod (symmetric) times v."""
    bv = _ad.reduce_to(g * _ad.prod_vjp(np.ones_like(v), x, axis, keepdims), v, axis)
    bx = _ad.prod_vjp_jvp(v, _ad.zeros_like(v), x, g, axis, keepdims)
    dans = _ad.prod_vjp_jvp(v, dv, x, dx, axis, keepdims)


@derivative(_ad.std_vjp)
def std_vjp(v, x, s, axis=None, ddof=0, keepdims=False):
    """v conj(x - mean) / ((N - ddof) s), 0 where the spread is 0: in x (s fixed) the centering (symmetric)
    times a number per group; in s, -v conj(x - mean) / ((N - ddof) s^2), which is std_vjp at s^2."""
    bv = _ad.reduce_to(g * _ad.std_vjp(np.ones_like(v), x, s, axis, ddof, keepdims), v, axis)
    bx = _ad.std_vjp_jvp(v, _ad.zeros_like(v), x, g, s, _ad.zeros_like(s), axis, ddof, keepdims)
    bs = -_ad.reduce_to(g * _ad.std_vjp(v, x, s * s, axis, ddof, keepdims), s, axis)
    dans = _ad.std_vjp_jvp(v, dv, x, dx, s, ds, axis, ddof, keepdims)


@derivative(_ad.prod_vjp_jvp)
def prod_vjp_jvp(w, tw, x, tx, axis=None, keepdims=False):
    """prod_vjp's tangent tw P(x) + w H(x) tx (P: the products of the others, H: prod's Hessian, symmetric):
    linear in tw, in w and in tx; in x, H(x) for the tw term and prod's third derivative (prod_vjp_hvp,
    runtime_third.py) for the other."""
    btw = _ad.reduce_to(g * _ad.prod_vjp(np.ones_like(tw), x, axis, keepdims), tw, axis)
    bw = _ad.reduce_to(g * _ad.prod_vjp_jvp(np.ones_like(w), _ad.zeros_like(w), x, tx, axis, keepdims), w, axis)
    btx = _ad.unbroadcast(_ad.prod_vjp_jvp(w, _ad.zeros_like(w), x, g, axis, keepdims), tx)
    bx = _ad.prod_vjp_jvp(tw, _ad.zeros_like(tw), x, g, axis, keepdims) + _ad.prod_vjp_hvp(w, x, g, tx, axis, keepdims)
    dans = _ad.prod_vjp_jvp(dw, dtw, x, tx, axis, keepdims) + _ad.prod_vjp_jvp(tw, _ad.zeros_like(tw), x, dx, axis, keepdims) + \
        _ad.prod_vjp_jvp(w, _ad.zeros_like(w), x, dtx, axis, keepdims) + _ad.prod_vjp_hvp(w, x, tx, dx, axis, keepdims)


@derivative(_ad.prod_vjp_hvp)
def prod_vjp_hvp(v, x, a, b, axis=None, keepdims=False):
    """prod's third derivative contracted with v, a and b (a symmetric tensor, the same v along a group): linear
    in v, in a and in b, each its own transpose with the adjoint in that place; in x, prod's fourth derivative
    (prod_vjp_d3, runtime_third.py, which has no rule: a fifth derivative is refused there)."""
    bv = _ad.reduce_to(g * _ad.prod_vjp_hvp(np.ones_like(v), x, a, b, axis, keepdims), v, axis)
    ba = _ad.unbroadcast(_ad.prod_vjp_hvp(v, x, g, b, axis, keepdims), a)
    bb = _ad.unbroadcast(_ad.prod_vjp_hvp(v, x, a, g, axis, keepdims), b)
    bx = _ad.prod_vjp_d3(v, x, a, b, g, axis, keepdims)
    dans = _ad.prod_vjp_hvp(dv, x, a, b, axis, keepdims) + _ad.prod_vjp_hvp(v, x, da, b, axis, keepdims) + \
        _ad.prod_vjp_hvp(v, x, a, db, axis, keepdims) + _ad.prod_vjp_d3(v, x, a, b, dx, axis, keepdims)


@derivative(_ad.std_vjp_jvp)
def std_vjp_jvp(w, tw, x, tx, s, ts, axis=None, ddof=0, keepdims=False):
    """std_vjp's tangent (tw c + w tc) / (N s) - w c ts / (N s^2), c = conj(x - mean) (tc: tx's), N = count - ddof;
    0 where the spread is 0. Linear in tw, w, tx, ts; in x through the centering (symmetric); in s, its
    derivative is the same helper at s^2 with ts' = 2 s ts, negated. The tangent's terms below that are not
    std_vjp_jvp's own: -(w ds tc + w ts dc) / (N s^2) + 2 w c ts ds / (N s^3)."""
    btw = _ad.reduce_to(g * _ad.std_vjp(np.ones_like(tw), x, s, axis, ddof, keepdims), tw, axis)
    bw = _ad.reduce_to(g * _ad.std_vjp_jvp(np.ones_like(w), _ad.zeros_like(w), x, tx, s, ts, axis, ddof, keepdims), w, axis)
    btx = _ad.unbroadcast(_ad.std_vjp_jvp(w, _ad.zeros_like(w), x, g, s, _ad.zeros_like(s), axis, ddof, keepdims), tx)
    bts = -_ad.reduce_to(g * _ad.std_vjp(w, x, s * s, axis, ddof, keepdims), ts, axis)
    bs = -_ad.reduce_to(g * _ad.std_vjp_jvp(w, tw, x, tx, s * s, 2.0 * s * ts, axis, ddof, keepdims), s, axis)
    bx = _ad.std_vjp_jvp(tw, _ad.zeros_like(tw), x, g, s, _ad.zeros_like(s), axis, ddof, keepdims) - \
        _ad.std_vjp_jvp(w * ts, _ad.zeros_like(w), x, g, s * s, _ad.zeros_like(s), axis, ddof, keepdims)
    dans = _ad.std_vjp_jvp(dw, dtw, x, tx, s, ts, axis, ddof, keepdims) + \
        _ad.std_vjp_jvp(tw, _ad.zeros_like(tw), x, dx, s, ds, axis, ddof, keepdims) + \
        _ad.std_vjp_jvp(w, _ad.zeros_like(w), x, dtx, s, dts, axis, ddof, keepdims) - \
        _ad.std_vjp_jvp(w * ds, _ad.zeros_like(w), x, tx, s * s, s * ts, axis, ddof, keepdims) - \
        _ad.std_vjp_jvp(w * ts, _ad.zeros_like(w), x, dx, s * s, s * ds, axis, ddof, keepdims)


@derivative(_ad.norm_vjp)
def norm_vjp(v, x, a, ord=None, axis=None, keepdims=False):
    dans = _ad.norm_vjp_jvp(v, dv, x, dx, a, da, ord, axis, keepdims)


@derivative(_ad.inv)
def inv(a):
    """np.linalg.inv's rule (the helper is np.linalg.inv that also takes Dask arrays in any chunks)."""
    ba = -np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)
    dans = -ans @ da @ ans


@derivative(_ad.solve)
def solve(a, b):
    """np.linalg.solve's rule (the helper is np.linalg.solve that also takes Dask arrays in any chunks)."""
    bb = _ad.unbroadcast(_ad.solve_vjp_b(g, a, b), b)
    ba = _ad.unbroadcast(_ad.solve_vjp_a(g, a, b, ans), a)
    dans = _ad.solve(a, db) - _ad.solve_jvp_a(da, a, ans)


@derivative(_ad.solve_jvp_a)
def solve_jvp_a(t, a, x):
    """solve(a, t x) = a^-1 t x: with z = solve(a.T, g), t receives z x.T, x t.T z, a -z ans.T (solve_vjp_a
    with x standing for b: only its rank is read)."""
    bt = -_ad.solve_vjp_a(g, a, x, x)
    bx = _ad.transpose_apply(t, _ad.solve_vjp_b(g, a, x), a)
    ba = _ad.solve_vjp_a(g, a, x, ans)
    dans = _ad.solve_jvp_a(dt, a, x) + _ad.solve_jvp_a(t, a, dx) - _ad.solve_jvp_a(da, a, ans)


@linear(_ad.transpose_apply, multilinear=True, constant_in=("a",))
def transpose_apply(t, z, a):
    bt = _ad.col_outer(z, g, a)
    bz = _ad.transpose_apply(_ad.mT(t), g, a)


@linear(_ad.col_outer, multilinear=True, constant_in=("a",))
def col_outer(u, w, a):
    bu = _ad.transpose_apply(_ad.mT(g), w, a)
    bw = _ad.transpose_apply(g, u, a)


@derivative(_ad.solve_vjp_b, constant_in=("b",))
def solve_vjp_b(v, a, b):
    """solve(a^T, v): in v its transpose solve(a, .); in a, -ans solve(a, g)^T (solve_vjp_a at a^T,
    transposed); a vector stack's solve and a's adjoint summed to a's shape where the solve broadcast a (h26b-002)."""
    bv = _ad.solve_vjp_b(g, _ad.mT(a), b)
    ba = _ad.unbroadcast(_ad.mT(_ad.solve_vjp_a(g, _ad.mT(a), v, ans)), a)
    dans = _ad.solve_vjp_b_jvp(v, dv, a, da)


@derivative(_ad.solve_vjp_a, constant_in=("b",))
def solve_vjp_a(v, a, b, x):
    """-w x.T with w = solve(a.T, v) (solve_vjp_b): w receives -g x, x -g.T w, and w's adjoint goes on through
    solve_vjp_b's rule; written with helpers that have rules, so that it is differentiated again."""
    Gx = _ad.transpose_apply(_ad.mT(g), x, a)
    W = _ad.solve_vjp_b(v, a, b)
    bv = -_ad.solve_vjp_b(Gx, _ad.mT(a), b)
    ba = _ad.unbroadcast(_ad.mT(_ad.solve_vjp_a(-Gx, _ad.mT(a), b, W)), a)
    bx = -_ad.transpose_apply(g, W, a)
    dans = _ad.solve_vjp_a_jvp(v, dv, a, da, b, x, dx)


@derivative(_ad.einsum_vjp, constant_in=("subscripts",))
def einsum_vjp(v, subscripts, operands):
    dans = _ad.einsum_vjp_jvp(v, dv, subscripts, operands, doperands)


# -- scipy.special / scipy.stats helpers ------------------------------------------------------------------
@elementwise(_ad.multipolygamma)
def multipolygamma(n, a, d):
    return None, _ad.multipolygamma(n + 1, a, d), None


@linear(_ad.no_sign)
def no_sign(lse, return_sign=False):
    blse = g


@linear(_ad.one_if_none)
def one_if_none(b):
    bb = g


# -- adjoints and tangents of the array-manipulation rules (rules/arrays.py) ------------------------------
nondifferentiable(_ad.axes_permutation, _ad.constant_pieces, _ad.norm_axes, _ad.piece_slice, _ad.transpose_axes,
                  _ad.cross_axis)


@linear(_ad.tensordot_vjp_a, multilinear=True, constant_in=("a",))
def tensordot_vjp_a(v, a, b, axes=2):
    """The adjoint of a -> tensordot(a, b): in v its transpose is that map again; in b, <g, vjp_a(v, b)> =
    <v, tensordot(g, b)> is tensordot_vjp_b's."""
    bv = np.tensordot(g, b, axes)
    bb = _ad.tensordot_vjp_b(v, g, b, axes)


@linear(_ad.tensordot_vjp_b, multilinear=True, constant_in=("b",))
def tensordot_vjp_b(v, a, b, axes=2):
    bv = np.tensordot(a, g, axes)
    ba = _ad.tensordot_vjp_a(v, a, g, axes)


@linear(_ad.kron_vjp_a, multilinear=True, constant_in=("a",))
def kron_vjp_a(v, a, b):
    """As tensordot_vjp_a, for a -> kron(a, b)."""
    bv = np.kron(g, b)
    bb = _ad.kron_vjp_b(v, g, b)


@linear(_ad.kron_vjp_b, multilinear=True, constant_in=("b",))
def kron_vjp_b(v, a, b):
    bv = np.kron(a, g)
    ba = _ad.kron_vjp_a(v, a, g)


@linear(_ad.cross_vjp, multilinear=True, constant_in=("x",))
def cross_vjp(v, other, x, axis=-1, which=0):
    """The gradient in operand `which` of <v, a x b>: <h, it> is <v, a x b> with that operand h, so the
    transpose in v is a cross product again, and in the other operand cross_vjp of its own."""
    bv = _ad.cross_vjp_t(g, other, axis, which)
    bother = _ad.cross_vjp(v, g, other, axis, 1 - which)


@linear(_ad.cross_vjp_t, multilinear=True)
def cross_vjp_t(h, other, axis=-1, which=0):
    bh = _ad.cross_vjp(g, other, h, axis, which)
    bother = _ad.cross_vjp(g, h, other, axis, 1 - which)


@linear(_ad.repeat_vjp, constant_in=("a",))
def repeat_vjp(v, a, repeats, axis=None):
    bv = np.repeat(g, repeats, axis)


@linear(_ad.tile_vjp, constant_in=("a",))
def tile_vjp(v, a, reps):
    bv = np.tile(g, reps)


@linear(_ad.split_vjp, constant_in=("ary",))
def split_vjp(v, ary, indices_or_sections, axis=0, how="split"):
    bv = _ad.split_like(g, indices_or_sections, axis, how)


@linear(_ad.split_like)
def split_like(h, indices_or_sections, axis=0, how="split"):
    bh = _ad.split_vjp(g, h, indices_or_sections, axis, how)


@linear(_ad.diagonal_vjp, constant_in=("a",))
def diagonal_vjp(v, a, offset=0, axis1=0, axis2=1):
    bv = np.diagonal(g, offset, axis1, axis2)


@linear(_ad.permute_vjp)
def permute_vjp(v, perm):
    bv = np.transpose(g, perm)


@linear(_ad.pad_vjp, constant_in=("array",))
def pad_vjp(v, array, pad_width, mode="constant", reflect_type="even"):
    bv = _ad.pad_tangent(g, array, pad_width, mode, reflect_type)


@linear(_ad.pad_tangent, constant_in=("array",))
def pad_tangent(t, array, pad_width, mode="constant", reflect_type="even"):
    bt = _ad.pad_vjp(g, array, pad_width, mode, reflect_type)


@linear(_ad.diff_vjp, constant_in=("a", "prepend", "append"))
def diff_vjp(v, a, n=1, axis=-1, prepend=None, append=None, which=0):
    bv = _ad.diff_transpose(g, a, n, axis, prepend, append, which)


@linear(_ad.diff_transpose, constant_in=("a", "prepend", "append"))
def diff_transpose(h, a, n=1, axis=-1, prepend=None, append=None, which=0):
    bh = _ad.diff_vjp(g, a, n, axis, prepend, append, which)


@linear(_ad.gradient_vjp, constant_in=("f",))
def gradient_vjp(v, f, varargs=(), axis=None, edge_order=1):
    """The transpose of np.gradient's (linear) map: its transpose is the map, gradient_jvp."""
    bv = _ad.gradient_jvp(g, f, varargs, axis, edge_order)


@linear(_ad.gradient_jvp, constant_in=("f",))
def gradient_jvp(t, f, varargs=(), axis=None, edge_order=1):
    bt = _ad.gradient_vjp(g, f, varargs, axis, edge_order)


@linear(_ad.partition_vjp, constant_in=("a", "parted"))
def partition_vjp(v, a, parted, axis=-1):  # (`parted`: the partitioned array; `ans` is this call's result)
    bv = _ad.partition_jvp(g, a, parted, axis)


@linear(_ad.partition_jvp, constant_in=("a", "parted"))
def partition_jvp(t, a, parted, axis=-1):
    bt = _ad.partition_vjp(g, a, parted, axis)


@linear(_ad.quantile_vjp, constant_in=("a",))
def quantile_vjp(v, a, q, axis=None, keepdims=False, method="linear"):
    bv = _ad.quantile_jvp(g, a, q, axis, keepdims, method)


@linear(_ad.quantile_jvp, constant_in=("a",))
def quantile_jvp(t, a, q, axis=None, keepdims=False, method="linear"):
    bt = _ad.quantile_vjp(g, a, q, axis, keepdims, method)


@linear(_ad.nanquantile_vjp, constant_in=("a",))
def nanquantile_vjp(v, a, q, axis=None, keepdims=False, method="linear"):
    bv = _ad.nanquantile_jvp(g, a, q, axis, keepdims, method)


@linear(_ad.nanquantile_jvp, constant_in=("a",))
def nanquantile_jvp(t, a, q, axis=None, keepdims=False, method="linear"):
    bt = _ad.nanquantile_vjp(g, a, q, axis, keepdims, method)


@linear(_ad.percentile_vjp, constant_in=("a",))
def percentile_vjp(v, a, q, axis=None, keepdims=False, method="linear"):
    bv = _ad.percentile_jvp(g, a, q, axis, keepdims, method)


@linear(_ad.percentile_jvp, constant_in=("a",))
def percentile_jvp(t, a, q, axis=None, keepdims=False, method="linear"):
    bt = _ad.percentile_vjp(g, a, q, axis, keepdims, method)


@linear(_ad.select_vjp, constant_in=("choicelist", "default"))
def select_vjp(v, condlist, choicelist, default=0, which=0):
    bv = _ad.select_vjp_t(g, v, condlist, choicelist, default, which)


@linear(_ad.select_vjp_t, constant_in=("v", "choicelist", "default"))
def select_vjp_t(h, v, condlist, choicelist, default=0, which=0):
    bh = _ad.select_vjp(g, condlist, choicelist, default, which)


@linear(_ad.piecewise_vjp, constant_in=("x", "funclist"))
def piecewise_vjp(v, x, condlist, funclist, which=0):
    bv = _ad.piecewise_vjp_t(g, x, condlist, funclist, which)


@linear(_ad.piecewise_vjp_t, constant_in=("x", "funclist"))
def piecewise_vjp_t(h, x, condlist, funclist, which=0):
    bh = _ad.piecewise_vjp(g, x, condlist, funclist, which)


@linear(_ad.piecewise_jvp, constant_in=("x", "funclist"))
def piecewise_jvp(t, x, condlist, funclist):
    bt = _ad.piecewise_vjp(g, x, condlist, funclist, 1)


@linear(_ad.piecewise_x_jvp, constant_in=("funclist",))
def piecewise_x_jvp(t, funclist):
    bt = _ad.piecewise_x_jvp(g, funclist)


@derivative(_ad.cumprod_vjp)
def cumprod_vjp(v, a, axis=None):
    """J(a)^T v for cumprod's Jacobian J: its transpose in v is the tangent cumprod_jvp; in a, the Hessians of
    the running products (symmetric) contracted with v and the adjoint: cumprod_vjp_jvp along it."""
    bv = _ad.cumprod_jvp(g, a, axis)
    ba = _ad.cumprod_vjp_jvp(v, _ad.zeros_like(v), a, g, axis)
    dans = _ad.cumprod_vjp_jvp(v, dv, a, da, axis)


@derivative(_ad.cumprod_jvp)
def cumprod_jvp(t, a, axis=None):
    """J(a) t: its transpose in t is cumprod_vjp; in a, the running products' Hessians (symmetric) applied to t
    and contracted with the adjoint, as in cumprod_vjp's rule."""
    bt = _ad.unbroadcast(_ad.cumprod_vjp(g, a, axis), t)
    ba = _ad.cumprod_vjp_jvp(g, _ad.zeros_like(g), a, t, axis)
    dans = _ad.cumprod_jvp_jvp(t, dt, a, da, axis)


@derivative(_ad.cumprod_vjp_jvp)
def cumprod_vjp_jvp(w, tw, a, ta, axis=None):
    """cumprod_vjp's tangent cumprod_vjp(tw, a) + H(w, a) ta (H: the running products' Hessians contracted with
    w, symmetric): linear in tw (transpose: cumprod_jvp), in w (the second tangent cumprod_jvp_jvp) and in ta;
    in a, H(tw, a) and the third derivative (cumprod_vjp_hvp, runtime_third.py)."""
    btw = _ad.cumprod_jvp(g, a, axis)
    bw = _ad.cumprod_jvp_jvp(g, _ad.zeros_like(g), a, ta, axis)
    bta = _ad.unbroadcast(_ad.cumprod_vjp_jvp(w, _ad.zeros_like(w), a, g, axis), ta)
    ba = _ad.cumprod_vjp_jvp(tw, _ad.zeros_like(tw), a, g, axis) + _ad.cumprod_vjp_hvp(w, a, g, ta, axis)
    dans = _ad.cumprod_vjp_jvp(dw, dtw, a, ta, axis) + _ad.cumprod_vjp_jvp(tw, _ad.zeros_like(tw), a, da, axis) + \
        _ad.cumprod_vjp_jvp(w, _ad.zeros_like(w), a, dta, axis) + _ad.cumprod_vjp_hvp(w, a, ta, da, axis)


@derivative(_ad.cumprod_jvp_jvp)
def cumprod_jvp_jvp(t, u, a, e, axis=None):
    """cumprod_jvp_jvp(t, dt, a, da) (its parameters renamed here, so that the template can name their tangents)
    is cumprod_jvp's tangent J(a) u + D2(a)[t, e] (D2: the running products' second derivatives, symmetric):
    linear in u (transpose: cumprod_vjp), in t and in e (transposes: cumprod_vjp_jvp, the Hessians applied); in
    a, D2 for the u term and the third derivative (cumprod_vjp_hvp) for the other; the tangent likewise, with
    the third tangent cumprod_jvp3."""
    bu = _ad.unbroadcast(_ad.cumprod_vjp(g, a, axis), u)
    bt = _ad.unbroadcast(_ad.cumprod_vjp_jvp(g, _ad.zeros_like(g), a, e, axis), t)
    be = _ad.unbroadcast(_ad.cumprod_vjp_jvp(g, _ad.zeros_like(g), a, t, axis), e)
    ba = _ad.cumprod_vjp_jvp(g, _ad.zeros_like(g), a, u, axis) + _ad.cumprod_vjp_hvp(g, a, t, e, axis)
    dans = _ad.cumprod_jvp_jvp(dt, du, a, e, axis) + _ad.cumprod_jvp_jvp(t, _ad.zeros_like(t), a, de, axis) + \
        _ad.cumprod_jvp_jvp(u, _ad.zeros_like(u), a, da, axis) + _ad.cumprod_jvp3(a, t, e, da, axis)


@derivative(_ad.cumprod_vjp_hvp)
def cumprod_vjp_hvp(v, a, p, q, axis=None):
    """The running products' third derivatives contracted with v, p and q (symmetric in the three directions):
    linear in v (transpose: the third tangent cumprod_jvp3 along p, q and the adjoint), in p and in q (each its
    own transpose); in a, the fourth derivative (cumprod_vjp_d3, runtime_third.py: no rule of its own)."""
    bv = _ad.cumprod_jvp3(a, p, q, g, axis)
    bp = _ad.unbroadcast(_ad.cumprod_vjp_hvp(v, a, g, q, axis), p)
    bq = _ad.unbroadcast(_ad.cumprod_vjp_hvp(v, a, p, g, axis), q)
    ba = _ad.cumprod_vjp_d3(v, a, p, q, g, axis)
    dans = _ad.cumprod_vjp_hvp(dv, a, p, q, axis) + _ad.cumprod_vjp_hvp(v, a, dp, q, axis) + \
        _ad.cumprod_vjp_hvp(v, a, p, dq, axis) + _ad.cumprod_vjp_d3(v, a, p, q, da, axis)


@linear(_ad.shaped_weights, constant_in=("a",))
def shaped_weights(weights, a, axis=None):
    bweights = _ad.weights_vjp(g, weights, a, axis)


@linear(_ad.weights_vjp, constant_in=("weights", "a"))
def weights_vjp(h, weights, a, axis=None):
    """h summed down to the weights: its transpose spreads the weights' adjoint over h's shape again."""
    bh = _ad.broadcast_like(_ad.shaped_weights(g, a, axis), h)


@linear(_ad.refuse_returned)
def refuse_returned(value, returned=False):
    bvalue = g


# -- linear algebra helpers (rules/linalg.py, rules/scipy_linalg.py) ---------------------------------------
@linear(_ad.mT)
def mT(x):
    bx = _ad.mT(g)


@derivative(_ad.tri_inv)
def tri_inv(L):
    """The inverse of a lower-triangular matrix: as np.linalg.inv."""
    bL = -_ad.mT(ans) @ g @ _ad.mT(ans)
    dans = -(ans @ dL @ ans)


@linear(_ad.phi)
def phi(x):
    bx = _ad.phi(g)


@linear(_ad.lower_factor)
def lower_factor(x, upper=False):
    bx = _ad.lower_factor(g, upper)



@linear(_ad.cho_vjp_a, multilinear=True, constant_in=("lower",))
def cho_vjp_a(y, x, lower=False):
    """triangle_grad(-y x.T, not lower): bilinear; S = sym_from_triangle(g) is symmetric."""
    by = -(_ad.sym_from_triangle(g, not lower) @ x)
    bx = -(_ad.sym_from_triangle(g, not lower) @ y)


@derivative(_ad.chol_inv_weighted)
def chol_inv_weighted(d, f, upper=False):
    """triangle_grad(M, upper), M = 0.5 Linv.T diag(d) Linv, Linv = L^-1: dM = 0.5 Linv.T diag(dd) Linv -
    Linv.T dL.T M - M dL Linv."""
    Linv = _ad.tri_inv(_ad.lower_factor(f, upper))
    S = _ad.sym_from_triangle(g, upper)
    M = 0.5 * (_ad.mT(Linv) @ (np.expand_dims(d, -1) * Linv))
    bd = _ad.unbroadcast(0.5 * _ad.diag_part(Linv @ S @ _ad.mT(Linv)), d)
    bf = _ad.lower_factor(-2.0 * (M @ S @ _ad.mT(Linv)), upper)
    W = M @ _ad.lower_factor(df, upper) @ Linv
    dans = _ad.chol_inv_weighted(dd, f, upper) - _ad.triangle_grad(W + _ad.mT(W), upper)

@linear(_ad.triangle_grad)
def triangle_grad(s, upper=False):
    bs = _ad.sym_from_triangle(g, upper)


@linear(_ad.sym_from_triangle)
def sym_from_triangle(d, upper=False):
    bd = _ad.triangle_grad(g, upper)


@linear(_ad.diag_embed)
def diag_embed(d):
    bd = _ad.diag_part(g)


@linear(_ad.diag_part)
def diag_part(x):
    bx = _ad.diag_embed(g)


@linear(_ad.copyltu)
def copyltu(m):
    bm = np.tril(g) + np.tril(_ad.mT(g), -1)


@derivative(_ad.eig_gaps)
def eig_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) (0 on the diagonal): dF[i, j] = -F[i, j]^2 (dw[j] - dw[i])."""
    bw = np.sum(g * ans ** 2, axis=-1) - np.sum(g * ans ** 2, axis=-2)
    dans = -ans ** 2 * (np.expand_dims(dw, -2) - np.expand_dims(dw, -1))


@derivative(_ad.svd_gaps)
def svd_gaps(s):
    """eig_gaps of s^2."""
    bs = 2.0 * s * (np.sum(g * ans ** 2, axis=-1) - np.sum(g * ans ** 2, axis=-2))
    dans = -ans ** 2 * (np.expand_dims(2.0 * s * ds, -2) - np.expand_dims(2.0 * s * ds, -1))


@linear(_ad.check_real_eig, constant_in=("a",))
def check_real_eig(value, a):
    bvalue = g


@linear(_ad.check_cholesky)
def check_cholesky(value):
    bvalue = g


@linear(_ad.check_svd, constant_in=("a",))
def check_svd(value, a, full_matrices, hermitian=False):
    bvalue = g


@linear(_ad.check_qr, constant_in=("a",))
def check_qr(value, a, mode):
    bvalue = g


@derivative(_ad.norm_partial, constant_in=("value",))
def norm_partial(x, value, ord=None, axis=None, keepdims=False):
    """norm_partial is the gradient of the norm (of each reduced group), so its Jacobian is the norm's Hessian:
    symmetric, its transpose is its tangent map (also conj(x) / |x| for a complex x: the real pairing gives
    the same map)."""
    bx = _ad.norm_partial_jvp(x, g, value, ord, axis, keepdims)
    dans = _ad.norm_partial_jvp(x, dx, value, ord, axis, keepdims)


@derivative(_ad.norm_partial_jvp, constant_in=("value",))
def norm_partial_jvp(x, t, value, ord=None, axis=None, keepdims=False):
    """The norm's Hessian applied to t: symmetric, its own transpose in t. In x: the norm's third derivative
    (symmetric) contracted with t and the adjoint (runtime_third.py: the 2-norm and the Frobenius norm, 0 for
    the piecewise-linear norms, refused for the others)."""
    bt = _ad.norm_partial_jvp(x, g, value, ord, axis, keepdims)
    bx = _ad.norm_partial_hvp(x, g, t, value, ord, axis, keepdims)
    dans = _ad.norm_partial_jvp(x, dt, value, ord, axis, keepdims) + _ad.norm_partial_hvp(x, t, dx, value, ord, axis, keepdims)


@derivative(_ad.norm_partial_hvp, constant_in=("value",))
def norm_partial_hvp(x, p, q, value, ord=None, axis=None, keepdims=False):
    """The norm's third derivative contracted with p and q (symmetric): linear in p and in q, each its own
    transpose; in x, the fourth derivative (runtime_third.norm_partial_d3: the 2-norm and the Frobenius norm, 0
    for the piecewise-linear norms, refused for the others; no rule of its own)."""
    bp = _ad.unbroadcast(_ad.norm_partial_hvp(x, g, q, value, ord, axis, keepdims), p)
    bq = _ad.unbroadcast(_ad.norm_partial_hvp(x, p, g, value, ord, axis, keepdims), q)
    bx = _ad.norm_partial_d3(x, p, q, g, value, ord, axis, keepdims)
    dans = _ad.norm_partial_hvp(x, dp, q, value, ord, axis, keepdims) + \
        _ad.norm_partial_hvp(x, p, dq, value, ord, axis, keepdims) + \
        _ad.norm_partial_d3(x, p, q, dx, value, ord, axis, keepdims)


@linear(_ad.field_vjp, forward_only=("g",), constant_in=("result",))
def field_vjp(g, result, index):
    pass


@linear(_ad.attribute_vjp, constant_in=("x",))
def attribute_vjp(v, x, attr):
    bv = _ad.attribute_entry(g, x, attr)


@linear(_ad.attribute_entry, constant_in=("x",))
def attribute_entry(b, x, attr):
    bb = _ad.attribute_vjp(g, x, attr)


@linear(_ad.as_columns, constant_in=("b",))
def as_columns(v, b):
    bv = _ad.unbroadcast(_ad.drop_column(g, b), v)  # (v need not be shaped like b: lstsq's solution)


@linear(_ad.drop_column, constant_in=("b",))
def drop_column(h, b):
    bh = _ad.as_columns(g, b)


@linear(_ad.from_columns, constant_in=("b",))
def from_columns(v, b):
    bv = np.reshape(g, np.shape(v))


@linear(_ad.residual_row, constant_in=("x_cols",))
def residual_row(g_res, x_cols):
    bg_res = np.reshape(g, np.shape(g_res)) if np.size(g_res) else np.zeros(np.shape(g_res))


@linear(_ad.residual_tangent, constant_in=("res",))
def residual_tangent(t, res):
    bt = np.reshape(g, np.shape(t)) if np.size(res) else np.zeros(np.shape(t))


@derivative(_ad.matrix_power_jvp)
def matrix_power_jvp(a, t, n):
    """matrix_power_jvp(a, t, n) is the corner block of matrix_power([[a, t], [0, a]], n): the adjoint in a is
    matrix_power's adjoint at the block matrix (matrix_power_jvp again, so any order works), summed over its
    diagonal blocks; in t it is the transpose sum_k (a.T)^k g (a.T)^(n-1-k)."""
    ba = _ad.block_diag_sum(_ad.matrix_power_jvp(_ad.mT(_ad.pair_block(a, t)), _ad.corner_embed(g), n))
    bt = _ad.matrix_power_jvp(_ad.mT(a), g, n)
    dans = _ad.matrix_power_jvp_jvp(a, da, t, dt, n)


@linear(_ad.pair_block)
def pair_block(a, t):
    ba = _ad.block_diag_sum(g)
    bt = _ad.block_corner(g)


@linear(_ad.block_corner)
def block_corner(m):
    bm = _ad.corner_embed(g)


@linear(_ad.corner_embed)
def corner_embed(h):
    bh = _ad.block_corner(g)


@linear(_ad.block_diag_sum)
def block_diag_sum(m):
    bm = _ad.pair_block(g, 0.0)


@linear(_ad.tri_part)
def tri_part(d, lower=False, unit_diagonal=False):
    bd = _ad.tri_part(g, lower, unit_diagonal)


@linear(_ad.tri_matvec, multilinear=True)
def tri_matvec(t, x, trans=0):
    """T x with T = t or t.T: x's adjoint T.T g, t's g x.T (x g.T when transposed)."""
    bt = _ad.cols_outer(g, x, trans)
    bx = _ad.tri_matvec(t, g, _ad.flip_trans(trans))


@linear(_ad.cols_outer, multilinear=True)
def cols_outer(u, x, trans=0):
    bu = _ad.tri_matvec(g, x, trans)
    bx = _ad.tri_matvec(g, u, _ad.flip_trans(trans))


@linear(_ad.tri_vjp_a, multilinear=True)
def tri_vjp_a(y, x, lower=False, unit_diagonal=False, trans=0):
    """tri_part(-(y x.T)) (-(x y.T) when transposed); tri_part is a projection (its own transpose)."""
    by = -_ad.tri_matvec(_ad.tri_part(g, lower, unit_diagonal), x, trans)
    bx = -_ad.tri_matvec(_ad.tri_part(g, lower, unit_diagonal), y, _ad.flip_trans(trans))


@linear(_ad.cho_matrix)
def cho_matrix(c, lower=False):
    bc = _ad.cho_matrix(g, lower)


@linear(_ad.cho_vjp_c, multilinear=True, constant_in=("lower",))
def cho_vjp_c(y, x, c, lower=False):
    """cho_tangent_vjp(-y x.T, c, lower): y's and x's adjoints through the symmetric cho_tangent_a(g, c)."""
    by = -_ad.tri_matvec(_ad.cho_tangent_a(g, c, lower), x)
    bx = -_ad.tri_matvec(_ad.cho_tangent_a(g, c, lower), y)
    bc = _ad.cho_tangent_vjp(-_ad.cols_outer(y, x), g, lower)


@linear(_ad.cho_tangent_a, multilinear=True, constant_in=("lower",))
def cho_tangent_a(dc, c, lower=False):
    """dF F.T + F dF.T (U: dF.T F + F.T dF), symmetric in (dF, F): both adjoints are cho_tangent_vjp."""
    bdc = _ad.cho_tangent_vjp(g, c, lower)
    bc = _ad.cho_tangent_vjp(g, dc, lower)


@linear(_ad.cho_tangent_vjp, multilinear=True, constant_in=("lower",))
def cho_tangent_vjp(v, c, lower=False):
    bv = _ad.cho_tangent_a(g, c, lower)
    bc = _ad.cho_tangent_vjp(v, g, lower)


@linear(_ad.pair_adjoint, constant_in=("pair",))
def pair_adjoint(b, pair):
    bb = g[0]


@derivative(_ad.funm_frechet)
def funm_frechet(name, a, e):
    """Linear in e, with L(a, .)'s transpose L(a^T, .); in a, written with the
    block helpers: L(a, e) is the corner block of f([[a, e], [0, a]]), so a's adjoint is the sum of the diagonal
    blocks of L([[a, e], [0, a]]^T, [[0, g], [0, 0]]), and funm_frechet's own rule differentiates it again."""
    ba = _ad.block_diag_sum(_ad.funm_frechet(name, _ad.mT(_ad.pair_block(a, e)), _ad.corner_embed(g)))
    be = _ad.funm_frechet(name, _ad.mT(a), g)
    dans = _ad.funm_frechet_jvp(name, a, da, e, de)


@linear(_ad.cho_other)
def cho_other(x, lower=False):
    bx = _ad.cho_other(g, lower)


nondifferentiable(_ad.flip_trans)


# -- FFT and complex helpers (rules/fft.py) --------------------------------------------------------------------
nondifferentiable(_ad.fft_axes, _ad.rfft_length, _ad.dual_norm)


@linear(_ad.max_vjp, constant_in=("a", "b"))
def max_vjp(v, a, b, out=None):
    """A mask (ties: 1/2) times v: its own transpose."""
    bv = _ad.max_vjp(g, a, b)


@linear(_ad.min_vjp, constant_in=("a", "b"))
def min_vjp(v, a, b, out=None):
    """A mask (ties: 1/2) times v: its own transpose."""
    bv = _ad.min_vjp(g, a, b)


@linear(_ad.abs_vjp, constant_in=("x",))
def abs_vjp(v, x, out=None):
    """sign(x) v (generated code calls it for a real x only, where sign is piecewise constant): its own
    transpose."""
    bv = _ad.abs_vjp(g, x)


@linear(_ad.where_vjp, constant_in=("condition", "first"))
def where_vjp(v, condition, first=True, out=None):
    """A mask times v: its own transpose."""
    bv = _ad.where_vjp(g, condition, first)


@derivative(_ad.sign)
def sign(x):
    bx = _ad.sign_vjp(g, x)
    dans = _ad.sign_jvp(x, dx)


@derivative(_ad.sign_jvp)
def sign_jvp(x, dx):
    """(sign_vjp is its transpose in the real pairing Re(<h, J dx>), and so it is sign_vjp's; in x, 0 for a
    real x, refused for a complex one: real_flat.)"""
    bdx = _ad.sign_vjp(g, x)
    bx = _ad.real_flat(_ad.unbroadcast(g, x), x)
    dans = _ad.sign_jvp(x, ddx) + _ad.real_flat(dx, x)


@derivative(_ad.sign_vjp)
def sign_vjp(v, x):
    bv = _ad.sign_jvp(x, g)
    bx = _ad.real_flat(_ad.unbroadcast(g, x), x)
    dans = _ad.sign_vjp(dv, x) + _ad.real_flat(dx, x)


@linear(_ad.real_flat, constant_in=("x",))
def real_flat(t, x):
    bt = _ad.real_flat(g, x)


@linear(_ad.fit_axes, constant_in=("x",))
def fit_axes(v, x, axes):
    bv = _ad.fit_axes(g, v, axes)


@linear(_ad.rfft_vjp, constant_in=("a",))
def rfft_vjp(v, a, n_last, axes, norm=None):
    bv = _ad.rfft_vjp_t(g, v, n_last, axes, norm)


@linear(_ad.rfft_vjp_t, constant_in=("v",))
def rfft_vjp_t(h, v, n_last, axes, norm=None):
    bh = _ad.rfft_vjp(g, h, n_last, axes, norm)


@linear(_ad.irfft_vjp, constant_in=("a",))
def irfft_vjp(v, a, n_last, axes, norm=None):
    bv = _ad.irfft_vjp_t(g, v, n_last, axes, norm)


@linear(_ad.irfft_vjp_t, constant_in=("v",))
def irfft_vjp_t(h, v, n_last, axes, norm=None):
    bh = _ad.irfft_vjp(g, h, n_last, axes, norm)


# -- scipy.stats helpers (rules/stats_multi.py) -----------------------------------------------------------------
@linear(_ad.components, constant_in=("x",))
def components(alpha, x):
    balpha = _ad.sum_points(g, alpha)


@linear(_ad.sum_points, constant_in=("alpha",))
def sum_points(v, alpha):
    bv = np.broadcast_to(_ad.components(g, v), np.shape(v))


@linear(_ad.mvn_cov, constant_in=("like",))
def mvn_cov(cov, like=None):
    bcov = _ad.mvn_cov_vjp(g, cov)


@linear(_ad.mvn_cov_vjp, constant_in=("cov",))
def mvn_cov_vjp(h, cov):
    """The transpose of mvn_cov's adjoint is mvn_cov (c I, diag(v), or the symmetric matrix of the lower
    triangle: <k, tril(h) + tril(h.T, -1)> = <tril(k) + tril(k, -1).T, h>); h gives the dimension."""
    bh = _ad.mvn_cov(g, h)


@linear(_ad.mvn_cov_tangent, constant_in=("cov", "like"))
def mvn_cov_tangent(t, cov, like=None):
    bt = _ad.mvn_cov_vjp(g, cov)


@linear(_ad.mvn_mean, constant_in=("x",))
def mvn_mean(mean, x):
    bmean = g


@derivative(_ad.solve_rows)
def solve_rows(c, r):
    """inv(c) r_n for each row: r's adjoint is inv(c.T) g_n, c's minus the sum of outer(that, ans_n)."""
    br = _ad.solve_rows(_ad.mT(c), g)
    bc = -_ad.rows_outer(_ad.solve_rows(_ad.mT(c), g), ans)
    dans = _ad.solve_rows(c, dr) - _ad.solve_rows(c, _ad.solve_rows_t(dc, ans))


@linear(_ad.solve_rows_t, multilinear=True)
def solve_rows_t(m, y):
    """y @ m.T (a vector y: m @ y)."""
    bm = _ad.rows_outer(g, y)
    by = _ad.solve_rows_t(_ad.mT(m), g)


@linear(_ad.per_point, constant_in=("x",))
def per_point(v, x):
    bv = np.sum(g, axis=-1)


@linear(_ad.rows_outer, multilinear=True)
def rows_outer(u, y):
    """sum_n outer(u_n, y_n): <G, it> = sum_n u_n . G y_n."""
    bu = _ad.unbroadcast(_ad.solve_rows_t(g, y), u)
    by = _ad.solve_rows_t(_ad.mT(g), _ad.broadcast_like(u, y))


# The adjoints of convolve / correlate are gradients of the bilinear form B(in1, in2, v) = <v, conv(in1, in2)>:
# <h, grad_in1 B> = B(h, in2, v), so their adjoints in v are the convolution (correlation) again and in the
# other operand the other operand's adjoint. (The parameter `v` is the helpers' g.)
@linear(_ad.convolve_vjp_in1, multilinear=True, constant_in=("in1",))
def convolve_vjp_in1(v, in1, in2, mode="full"):
    bv = signal.convolve(g, in2, mode)
    bin2 = _ad.convolve_vjp_in2(v, g, in2, mode)


@linear(_ad.convolve_vjp_in2, multilinear=True, constant_in=("in2",))
def convolve_vjp_in2(v, in1, in2, mode="full"):
    bv = signal.convolve(in1, g, mode)
    bin1 = _ad.convolve_vjp_in1(v, in1, g, mode)


@linear(_ad.correlate_vjp_in1, multilinear=True, constant_in=("in1",))
def correlate_vjp_in1(v, in1, in2, mode="full"):
    bv = signal.correlate(g, in2, mode)
    bin2 = _ad.correlate_vjp_in2(v, g, in2, mode)


@linear(_ad.correlate_vjp_in2, multilinear=True, constant_in=("in2",))
def correlate_vjp_in2(v, in1, in2, mode="full"):
    """correlate_vjp_in2 is conjugate-linear in v and in1 (correlate conjugates in2): the real pairing
    Re(<h, conj(C(v, in1))>) = Re(<v, correlate(in1, h)>) gives these adjoints."""
    bv = signal.correlate(in1, g, mode)
    bin1 = _ad.correlate_vjp_in1(v, in1, g, mode)


@derivative(_ad.einsum_args_vjp)
def einsum_args_vjp(v, args):
    """The operands' gradients of F = <v, einsum(args)>, multilinear: the transpose in v is einsum's tangent
    along g, in the operands F's (symmetric) Hessian applied to g."""
    bv = _ad.einsum_args_vjp_t(g, args)
    bargs = _ad.einsum_args_vjp_hvp(v, args, g)
    dans = _ad.einsum_args_vjp_jvp(v, dv, args, dargs)


@derivative(_ad.einsum_args_vjp_hvp)
def einsum_args_vjp_hvp(v, args, h):
    """The Hessian of F = <v, einsum(args)> applied to the operands' h, multilinear in v, h and the operands:
    <g, it> is symmetric in h and g; in v, einsum's second derivative along h and g; in the operands, F's third
    derivative along h and g (einsum_args_vjp_hvp2)."""
    bv = _ad.einsum_args_vjp_t_jvp(h, None, args, g)
    bh = _ad.einsum_args_vjp_hvp(v, args, g)
    bargs = _ad.einsum_args_vjp_hvp2(v, args, h, g)
    dans = _ad.add(_ad.add(_ad.einsum_args_vjp_hvp(dv, args, h), _ad.einsum_args_vjp_hvp(v, args, dh)),
                   _ad.einsum_args_vjp_hvp2(v, args, h, dargs))


@derivative(_ad.einsum_args_vjp_t)
def einsum_args_vjp_t(h, args):
    """einsum's tangent along the operands' h, multilinear: its transpose in h is einsum_args_vjp, in the
    operands the Hessian of <g, einsum(args)> applied to h."""
    bh = _ad.einsum_args_vjp(g, args)
    bargs = _ad.einsum_args_vjp_hvp(g, args, h)
    dans = _ad.einsum_args_vjp_t_jvp(h, dh, args, dargs)


# -- ODE solvers (rules/integrate.py): the first-order helpers' derivatives, written with the solvers and
# those helpers applied to the tangent system (y, u)' = (f, J u) (runtime_ode_system.py), so that they are
# differentiated again by these same rules, to any order. `ys` / `sol`, the stored solution, is a function of
# y0 and args: the rules integrate the tangent system from them, so what ys's tangent or adjoint carries is in
# theirs (constant_in: nothing flows through ys itself).
nondifferentiable(_ad.option, _ad.truth, _ad.tangent_system, _ad.ivp_times, _ad.table_position)


@derivative(_ad.odeint_vjp, constant_in=("ys",), shaped_tangent=True)
def odeint_vjp(v, ys, func, y0, t, args=(), rtol=None, atol=None, tfirst=False):
    system = _ad.tangent_system(func, args, tfirst)
    start = np.concatenate([np.ravel(y0), np.ravel(g[0])])
    params = tuple(args) + tuple(g[1])
    path = integrate.odeint(system, start, t, params, rtol=rtol, atol=atol, tfirst=tfirst)
    adjoints = _ad.odeint_vjp(np.concatenate([np.zeros_like(v), v], axis=1), path, system, start, t, params, rtol,
                              atol, tfirst)
    bv = np.reshape(np.hsplit(path, 2)[1], np.shape(v))
    by0 = np.reshape(np.split(adjoints[0], 2)[0], np.shape(y0))
    bargs = adjoints[1][:len(args)]
    start_d = np.concatenate([np.ravel(y0), np.ravel(dy0)])
    params_d = tuple(args) + tuple(dargs)
    path_d = integrate.odeint(system, start_d, t, params_d, rtol=rtol, atol=atol, tfirst=tfirst)
    adjoints_d = _ad.odeint_vjp(np.concatenate([dv, v], axis=1), path_d, system, start_d, t, params_d, rtol, atol,
                                tfirst)
    dans = (np.reshape(np.split(adjoints_d[0], 2)[0], np.shape(y0)), adjoints_d[1][:len(args)])


@derivative(_ad.odeint_jvp)
def odeint_jvp(func, y0, ty0, t, args=(), targs=None, rtol=None, atol=None, tfirst=False):
    system = _ad.tangent_system(func, args, tfirst)
    start = np.concatenate([np.ravel(y0), np.ravel(ty0)])
    params = tuple(args) + tuple(targs)
    path = integrate.odeint(system, start, t, params, rtol=rtol, atol=atol, tfirst=tfirst)
    adjoints = _ad.odeint_vjp(np.concatenate([np.zeros_like(g), g], axis=1), path, system, start, t, params, rtol,
                              atol, tfirst)
    by0 = np.reshape(np.split(adjoints[0], 2)[0], np.shape(y0))
    bargs = adjoints[1][:len(args)]
    bty0 = np.reshape(np.split(adjoints[0], 2)[1], np.shape(y0))
    btargs = adjoints[1][len(args):]
    dans = np.hsplit(_ad.odeint_jvp(system, start, np.concatenate([np.ravel(dy0), np.ravel(dty0)]), t, params,
                                    tuple(dargs) + tuple(dtargs), rtol, atol, tfirst), 2)[1]


@derivative(_ad.ivp_vjp, constant_in=("sol",), shaped_tangent=True)
def ivp_vjp(v, sol, fun, t_span, y0, args=None, method="RK45", rtol=1e-3, atol=1e-6):
    system = _ad.tangent_system(fun, args, True)
    start = np.concatenate([np.ravel(y0), np.ravel(g[0])])
    params = _ad.args_tuple(args) + tuple(g[1])
    path = integrate.solve_ivp(system, t_span, start, method=method, t_eval=_ad.ivp_times(sol), args=params,
                               rtol=rtol, atol=atol)
    adjoints = _ad.ivp_vjp(_ad.ivp_unhalf(v, 1), path, system, t_span, start, params, method, rtol, atol)
    bv = _ad.ivp_result_adjoint(np.split(path.y, 2)[1], sol)
    by0 = np.reshape(np.split(adjoints[0], 2)[0], np.shape(y0))
    bargs = adjoints[1][:len(params) // 2]
    start_d = np.concatenate([np.ravel(y0), np.ravel(dy0)])
    params_d = _ad.args_tuple(args) + _ad.args_tuple(dargs)
    path_d = integrate.solve_ivp(system, t_span, start_d, method=method, t_eval=_ad.ivp_times(sol), args=params_d,
                                 rtol=rtol, atol=atol)
    adjoints_d = _ad.ivp_vjp(_ad.add(_ad.ivp_unhalf(dv, 0), _ad.ivp_unhalf(v, 1)), path_d, system, t_span, start_d,
                             params_d, method, rtol, atol)
    dans = (np.reshape(np.split(adjoints_d[0], 2)[0], np.shape(y0)), adjoints_d[1][:len(params_d) // 2])


@derivative(_ad.ivp_jvp, constant_in=("sol",))
def ivp_jvp(sol, fun, t_span, y0, ty0, args=None, targs=None, method="RK45", rtol=1e-3, atol=1e-6):
    system = _ad.tangent_system(fun, args, True)
    start = np.concatenate([np.ravel(y0), np.ravel(ty0)])
    params = _ad.args_tuple(args) + _ad.args_tuple(targs)
    path = integrate.solve_ivp(system, t_span, start, method=method, t_eval=_ad.ivp_times(sol), args=params,
                               rtol=rtol, atol=atol)
    adjoints = _ad.ivp_vjp(_ad.ivp_unhalf(g, 1), path, system, t_span, start, params, method, rtol, atol)
    by0 = np.reshape(np.split(adjoints[0], 2)[0], np.shape(y0))
    bargs = adjoints[1][:len(params) // 2]
    bty0 = np.reshape(np.split(adjoints[0], 2)[1], np.shape(y0))
    btargs = adjoints[1][len(params) // 2:]
    dans = _ad.ivp_half(_ad.ivp_jvp(path, system, t_span, start, np.concatenate([np.ravel(dy0), np.ravel(dty0)]),
                                    params, _ad.args_tuple(dargs) + _ad.args_tuple(dtargs), method, rtol, atol), 1)


@linear(_ad.args_tuple)
def args_tuple(args):
    bargs = g


@linear(_ad.ivp_half, constant_in=("which",))
def ivp_half(sol, which):
    bsol = _ad.ivp_unhalf(g, which)


@linear(_ad.ivp_unhalf, constant_in=("which",))
def ivp_unhalf(v, which):
    bv = _ad.ivp_result_adjoint(np.split(_ad.ivp_y(g), 2)[which], None)


@linear(_ad.ivp_y)
def ivp_y(v):
    bv = _ad.ivp_result_adjoint(g, None)


@linear(_ad.ivp_result_adjoint, constant_in=("sol",))
def ivp_result_adjoint(v, sol):
    bv = _ad.ivp_y(g)


# -- adjoints of the builtins making sequences (linear in the adjoint; x gives only a structure) -----------
@linear(_ad.items_vjp, constant_in=("x",))
def items_vjp(v, x):  # (v: the items' adjoints; `g` is the adjoint of the result, in x's form)
    bv = _ad.items_transpose(g, x, v)


@linear(_ad.items_transpose, constant_in=("x", "v"))
def items_transpose(h, x, v):
    bh = _ad.items_vjp(g, x)


@linear(_ad.enumerate_vjp, constant_in=("x",))
def enumerate_vjp(v, x):  # (v: the pairs' adjoints; `g` is the adjoint of the result, in x's form)
    bv = _ad.enumerate_transpose(g, x, v)


@linear(_ad.enumerate_transpose, constant_in=("x", "v"))
def enumerate_transpose(h, x, v):
    bh = _ad.enumerate_vjp(g, x)


@linear(_ad.enumerate_jvp)
def enumerate_jvp(t):
    bt = _ad.enumerate_jvp_transpose(g, t)


@linear(_ad.enumerate_jvp_transpose, constant_in=("t",))
def enumerate_jvp_transpose(h, t):
    bh = _ad.enumerate_jvp(g)


@linear(_ad.zip_vjp, constant_in=("iterables",))
def zip_vjp(v, iterables):
    bv = _ad.zip_transpose(g, iterables, v)


@linear(_ad.zip_transpose, constant_in=("iterables", "v"))
def zip_transpose(h, iterables, v):
    bh = _ad.zip_vjp(g, iterables)


@linear(_ad.reversed_vjp, constant_in=("x",))
def reversed_vjp(v, x):  # (items_vjp of the items' adjoints v in the opposite order)
    bv = _ad.items_transpose(g, x, v[::-1])[::-1]


@linear(_ad.sorted_vjp, constant_in=("x", "key", "reverse"))
def sorted_vjp(v, x, key=None, reverse=False):  # (a scatter by the sort's permutation, piecewise constant in x)
    bv = _ad.sorted_transpose(g, x, key, reverse, v)


@linear(_ad.sorted_transpose, constant_in=("x", "key", "reverse", "v"))
def sorted_transpose(h, x, key, reverse, v):
    bh = _ad.sorted_vjp(g, x, key, reverse)


@linear(_ad.sorted_jvp, constant_in=("x", "key", "reverse"))
def sorted_jvp(t, x, key=None, reverse=False):  # (the tangents gathered in the sorted order: sorted_vjp scatters back)
    bt = _ad.sorted_vjp(g, x, key, reverse)


@linear(_ad.dict_get_vjp, constant_in=("d", "key"))
def dict_get_vjp(v, d, key):
    bv = _ad.dict_get_transpose(g, d, key, v)


@linear(_ad.dict_get_transpose, constant_in=("d", "key", "v"))
def dict_get_transpose(h, d, key, v):
    bh = _ad.dict_get_vjp(g, d, key)


@linear(_ad.dict_get_tangent, constant_in=("key",))
def dict_get_tangent(t, key, default):  # (t[key] if t has the key, else default: linear in both together)
    bt = _ad.dict_get_vjp(g, t, key)
    bdefault = _ad.dict_get_default_vjp(g, t, key)


@linear(_ad.dict_get_default_vjp, constant_in=("d", "key"))
def dict_get_default_vjp(v, d, key):  # (v itself, or a zero: its own transpose)
    bv = _ad.dict_get_default_vjp(g, d, key)


@linear(_ad.cast_vjp, constant_in=("x",))
def cast_vjp(v, x, dtype=None):  # (v: the adjoint cast; in a template `g` is the adjoint of the result)
    bv = _ad.cast_vjp(g, v, dtype)


@linear(_ad.cast_jvp)
def cast_jvp(t, dtype=None):
    bt = _ad.cast_vjp(g, t, dtype)


@linear(_ad.stored_vjp, constant_in=("value", "target"))
def stored_vjp(v, value, target):  # (v: the adjoint stored; `g` is the adjoint of the result)
    bv = _ad.fit_shape(_ad.stored_jvp(g, target), v)


@linear(_ad.stored_jvp, constant_in=("target",))
def stored_jvp(t, target):
    bt = _ad.fit_shape(_ad.stored_jvp(g, target), t)


@linear(_ad.tolist_vjp, constant_in=("x",))
def tolist_vjp(v, x):  # (v: the nested list of the entries' adjoints; `g` is the adjoint of the result)
    bv = _ad.tolist_transpose(g, v)


@linear(_ad.tolist_transpose, constant_in=("v",))
def tolist_transpose(h, v):
    bh = _ad.tolist_vjp(g, h)


@linear(_ad.tuple_with, constant_in=("index",))
def tuple_with(t, index, v):
    # (t's item: a list may have grown since; g None: the zero pop_item leaves in a list adjoint's entry)
    bt = _ad.tuple_with(_ad.entry_or_zeros(g, t), index, _ad.zeros_like(t[index]))
    bv = _ad.entry_or_zeros(g, t)[index]
