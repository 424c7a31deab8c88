"""The transposes of the adjoints of Python's containers (re-exported by runtime.py as `_ad.<name>`), so that a
derivative that iterates over dicts, zips, enumerates or sorts can be differentiated again in reverse mode.

Each adjoint here (`dict_values_vjp(v, d)`, `sorted_vjp(v, x, ...)`, ...) is linear in its first argument `v`:
it routes the items' adjoints to their places (a permutation, a selection, zeros for keys and indices). Its
transpose routes them back: `h`, in the form the adjoint returns, as a value in v's form (`v` gives only that
form: which items are None, lists or tuples). None is the zero of an item that nothing came back to; an entry
an adjoint dict lacks is a zero too. Each transpose is itself linear, and its transpose is the adjoint it
undoes (rules/helpers.py).
"""
import numpy as np

from .runtime import (MISSING, _integral, _sequence, as_array, cast_like, fit_shape, getitem_vjp, items_transpose,
                      items_vjp, sorted_order, times_vjp, unbroadcast_value, zeros_like)

__all__ = ["iter_list_transpose", "dict_values_transpose", "dict_items_transpose", "dict_copy_transpose",
           "dict_merge_transpose", "dict_get_transpose", "enumerate_transpose", "enumerate_jvp_transpose",
           "zip_transpose", "sorted_transpose", "list_with_last_transpose", "seq_concat_transpose",
           "seq_repeat_transpose", "seq_sum_transpose", "plus_transpose", "times_transpose", "times_transpose_jvp", "times_factor_vjp", "times_factor_transpose",
           "times_vjp_jvp", "save_item_vjp", "save_item_transpose"]


def _entry(h, key, v):
    """h's entry at `key`, in the shape of v (None where v is None, or h has no such entry: a zero)."""
    if v is None or h is None:
        return None
    if isinstance(h, dict):
        if key not in h or h[key] is None:
            return zeros_like(v)
        return fit_shape(h[key], v)
    if h[key] is None:
        return zeros_like(v)
    return fit_shape(h[key], v)


def _pair_like(p, items):
    """`items` as a pair in p's form (a tuple stays a tuple; the adjoint of a tuple may be a list)."""
    return tuple(items) if isinstance(p, tuple) else list(items)


def _zero_of(v):
    return None if v is None else zeros_like(v)


def iter_list_transpose(h, x, v):
    """The transpose of `iter_list_vjp(v, x)`: the same adjoint, except for a dict's keys (no adjoint)."""
    if isinstance(x, dict):
        return [_zero_of(vi) for vi in v]
    return h


def dict_values_transpose(h, d, v):
    """The transpose of `dict_values_vjp(v, d)` (`{k: v[i]}` for the i-th key k of d): the list of h's entries
    in d's order."""
    return [_entry(h, k, vi) for k, vi in zip(d, v)]


def dict_items_transpose(h, d, v):
    """The transpose of `dict_items_vjp(v, d)` (`{k: v[i][1]}`): pairs of a zero (the key's) and h's entry."""
    return [None if p is None else _pair_like(p, (_zero_of(p[0]), _entry(h, k, p[1]))) for k, p in zip(d, v)]


def dict_copy_transpose(h, mapping, v):
    """The transpose of `dict_copy_vjp(v, mapping)` (v's entries at mapping's keys, zeros elsewhere): h's
    entries at v's keys that mapping has, zeros at the others."""
    return {k: _entry(h, k, vk) if k in mapping else _zero_of(vk) for k, vk in v.items()}


def dict_merge_transpose(h, a, b, which, v):
    """The transpose of `dict_merge_vjp(v, a, b, which)` (v's entries at a's keys b does not replace, which=0;
    at b's keys, which=1): h's entries there, in v's form, zeros at v's other keys."""
    def taken(k):
        return k not in b and k in a if which == 0 else k in b
    return {k: _entry(h, k, vk) if taken(k) else _zero_of(vk) for k, vk in v.items()}


def dict_get_transpose(h, d, key, v):
    """The transpose of `dict_get_vjp(v, d, key)` (zeros in d's form, v at the key if d has it): h's entry at
    the key, or a zero."""
    return _entry(h, key, v) if key in d else _zero_of(v)


def enumerate_transpose(h, x, v):
    """The transpose of `enumerate_vjp(v, x)` (the items' adjoints of the (index, item) pairs v, in x's form):
    pairs of a zero (the index's) and the item's adjoint taken from h."""
    items = items_transpose(h, x, [None if p is None else p[1] for p in v])
    return [None if p is None else _pair_like(p, (_zero_of(p[0]), hi)) for p, hi in zip(v, items)]


def enumerate_jvp_transpose(h, t):
    """The transpose of `enumerate_jvp(t)` (pairs of 0.0 and t's items): the items of h's pairs, in t's form."""
    return items_vjp([None if p is None else p[1] for p in h], t)


def zip_transpose(h, iterables, v):
    """The transpose of `zip_vjp(v, iterables)` (one adjoint per iterable, each in its form, from the tuples of
    v): the tuples of h's items, in v's form."""
    columns = []
    for k, x in enumerate(iterables):
        items = [None if p is None else p[k] for p in v]
        columns.append(items_transpose(h[k], x, items + [None] * (len(x) - len(items)))[:len(v)])
    return [None if p is None else _pair_like(p, (col[i] for col in columns)) for i, p in enumerate(v)]


def sorted_transpose(h, x, key, reverse, v):
    """The transpose of `sorted_vjp(v, x, key, reverse)` (v's items back at the places of x they came from):
    h's items in the sorted order, in v's form."""
    order = sorted_order(x, key, reverse)
    back = [None] * len(v)
    for place, i in enumerate(order):
        back[i] = v[place]
    items = items_transpose(h, x, back)
    return [items[i] for i in order]


def list_with_last_transpose(h, lst, v):
    """The transpose of `list_with_last(lst, v)` (zeros in lst's form, then v): h's last entry."""
    return _entry(h, len(lst), v)


# -- `+` and `*` of sequences (concatenation, repetition) and of values of unknown kinds (runtime.plus / times)
def seq_concat_transpose(h, a, b, which, v):
    """The transpose of `seq_concat_vjp(v, a, b, which)` (a's part of v, which=0, or b's): h's items at that
    part of v, zeros in the other."""
    v, n = list(v), len(a)
    part, x = (v[:n], a) if which == 0 else (v[n:], b)
    items = items_transpose(h, x, part)
    zeros = [_zero_of(vi) for vi in (v[n:] if which == 0 else v[:n])]
    return items + zeros if which == 0 else zeros + items


def seq_repeat_transpose(h, seq, n, v):
    """The transpose of `seq_repeat_vjp(v, seq, n)` (the copies' adjoints added up): h's items in every copy."""
    v, m = list(v), len(seq)
    items = items_transpose(h, seq, [None if m == 0 else next((v[k] for k in range(i, len(v), m)
                                                                    if v[k] is not None), None) for i in range(m)])
    return [None if vi is None else fit_shape(items[k % m], vi) if items[k % m] is not None else
            zeros_like(vi) for k, vi in enumerate(v)]


def seq_sum_transpose(h, iterable, start, v):
    """The transpose of `seq_sum_vjp(v, iterable, start)` (each sequence's part of v, after start's): the items
    of h's parts in v's form, zeros at start's."""
    v, at = list(v), len(start)
    out = [_zero_of(vi) for vi in v[:at]]
    for hi, item in zip(h, iterable):
        out += items_transpose(hi, item, v[at:at + len(item)])
        at += len(item)
    return out


def _as_value(h):
    return as_array(h) if isinstance(h, (list, tuple)) else h


def plus_transpose(h, a, b, which, v):
    """The transpose of `plus_vjp(v, a, b, which)`: of the concatenation's, or h spread to v's shape."""
    if _sequence(a) and _sequence(b):
        return seq_concat_transpose(h, a, b, which, v)
    return fit_shape(_as_value(h), v)


def times_transpose(h, a, b, which, v):
    """The transpose of `times_vjp(v, a, b, which)` in v: of the repetition's; for arithmetic, h times the other
    factor, summed to v's shape (`<sum(v o), h> = <v, o h>`)."""
    x, other = (b, a) if which else (a, b)
    if _sequence(x) and _integral(other):
        return seq_repeat_transpose(h, x, other, v)
    if _integral(x) and _sequence(other):
        return _zero_of(v)
    return unbroadcast_value(_as_value(h) * other, v)


def times_transpose_jvp(h, a, b, which, v, da, db):
    """The tangent of `times_transpose(h, a, b, which, v)` along the other factor's tangent (da or db): h times
    it summed to v's shape (h times the other factor is bilinear); nothing for a repetition's count."""
    x, other = (b, a) if which else (a, b)
    if _sequence(x) or _sequence(other):
        return _zero_of(v)
    return unbroadcast_value(_as_value(h) * (da if which else db), v)


def times_factor_vjp(h, v, a, b, which, of):
    """The adjoint of `times_vjp(v, a, b, which)` in its operand `of` (0: a, 1: b): for arithmetic, in the other
    factor, h times v summed to its shape; nothing in the operand that only gives the form (of == which), nor
    in a repetition's count."""
    x, other = (b, a) if which else (a, b)
    y = b if of else a
    if of == which or _sequence(x) or _sequence(other):
        return zeros_like(y)
    return cast_like(unbroadcast_value(_as_value(h) * v, other), other)


def times_factor_transpose(h, w, a, b, which, of, target):
    """The transpose of `times_factor_vjp(h, v, a, b, which, of)` in h (w: v) or in v (w: h), `target` the
    parameter's value: h times w summed to target's shape; nothing where times_factor_vjp gives zeros. Its own
    transposes are times_factor_vjp (in h) and itself (in w): rules/helpers.py."""
    x, other = (b, a) if which else (a, b)
    if of == which or _sequence(x) or _sequence(other):
        return zeros_like(target)
    return cast_like(unbroadcast_value(_as_value(h) * w, target), target)


def times_vjp_jvp(v, a, b, which, dv, da, db):
    """The tangent of `times_vjp(v, a, b, which)` (bilinear in v and the other factor)."""
    out = times_vjp(dv, a, b, which)
    x, other = (b, a) if which else (a, b)
    if _sequence(x) or _sequence(other):
        return out
    d_other = da if which else db
    return out + cast_like(unbroadcast_value(v * d_other, x), x)


# -- what a store overwrote, saved on the tape (runtime.save_item: `target[index]`, a selection) ----------------
def save_item_vjp(h, target, index):
    """The adjoint of `save_item(target, index)` in target: zeros in target's form, h at the index (nothing
    where the item did not exist: the saved value was MISSING)."""
    if isinstance(target, np.ndarray):
        return getitem_vjp(h, target, index)
    out = zeros_like(target)
    if h is None or h is MISSING or isinstance(target, dict) and index not in target:
        return out
    if isinstance(target, (list, dict)) or isinstance(out, dict) and isinstance(index, str):
        out[index] = h  # (an object's adjoint: a dict by attribute name)
    return out


def save_item_transpose(h, target, index, v):
    """The transpose of `save_item_vjp(v, target, index)`: h's entry at the index, in v's shape."""
    if isinstance(target, np.ndarray):
        return fit_shape(as_array(h)[index], v)
    if v is MISSING or isinstance(target, dict) and index not in target:
        return None
    return _entry(h, index, v)


for _f in (save_item_vjp, save_item_transpose, seq_concat_transpose, seq_repeat_transpose, seq_sum_transpose, plus_transpose, times_transpose,
           times_factor_vjp, times_vjp_jvp, list_with_last_transpose, iter_list_transpose, dict_values_transpose, dict_items_transpose, dict_copy_transpose,
           dict_merge_transpose, dict_get_transpose, enumerate_transpose, enumerate_jvp_transpose, zip_transpose,
           sorted_transpose):
    _f.__module__ = "ad_compiler.runtime"  # (generated code reaches them as `_ad.<name>`, like the others)
