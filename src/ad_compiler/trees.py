"""Trees of parameters: nested lists, tuples and dicts whose leaves are arrays and numbers.

Model parameters are often such a tree (`{"layer1": (W, b), "layer2": (W, b)}`), and so are their gradients
(`ad.grad` returns gradients in the structure of the argument). These functions work on both:

    ad.tree_map(fn, tree, *rest)          fn applied leaf by leaf (to the leaves at the same place in each tree)
    ad.tree_flatten(tree)                 (leaves, treedef): the leaves in order, and the structure
    ad.tree_unflatten(treedef, leaves)    the tree of that structure holding these leaves
    ad.ravel(tree)                        (vector, unravel): every number in one float vector (scipy.optimize)

Lists, tuples (named tuples too) and dicts are nodes; `None` is an empty node (it holds no leaf); anything
else is a leaf. Dicts keep their key order.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .errors import ADError

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten", "tree_map", "ravel"]


class TreeDef:
    """The structure of a tree, without its leaves. Two trees have the same structure when their treedefs
    are equal."""

    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta=None, children=()):
        self.kind = kind  # "leaf", "none", "list", "tuple" or "dict"
        self.meta = meta  # a tuple's class, a dict's class and keys
        self.children = tuple(children)

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return isinstance(other, TreeDef) and (self.kind, self.meta, self.children) == \
            (other.kind, other.meta, other.children)

    def __hash__(self):
        return hash((self.kind, self.meta, self.children))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = [repr(c) for c in self.children]
        if self.kind == "list":
            return "[" + ", ".join(inner) + "]"
        if self.kind == "tuple":
            text = "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
            return text if self.meta is tuple else self.meta.__name__ + text
        cls, keys = self.meta
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(keys, inner)) + "}"


def tree_flatten(tree: Any) -> tuple[list, TreeDef]:
    """The leaves of `tree` in order (depth first; a dict's values in key order), and its structure."""
    leaves = []

    def walk(x):
        if x is None:
            return TreeDef("none")
        if isinstance(x, list):
            return TreeDef("list", None, [walk(v) for v in x])
        if isinstance(x, tuple):
            return TreeDef("tuple", type(x), [walk(v) for v in x])
        if isinstance(x, dict):
            return TreeDef("dict", (type(x), tuple(x)), [walk(v) for v in x.values()])
        leaves.append(x)
        return TreeDef("leaf")

    treedef = walk(tree)
    return leaves, treedef


def tree_unflatten(treedef: TreeDef, leaves: Iterable) -> Any:
    """The tree with the structure `treedef` holding `leaves` (in the order `tree_flatten` gives them)."""
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ADError(f"the structure {treedef!r} has {treedef.num_leaves} leaves, got {len(leaves)}")
    it = iter(leaves)

    def build(d):
        if d.kind == "leaf":
            return next(it)
        if d.kind == "none":
            return None
        items = [build(c) for c in d.children]
        if d.kind == "list":
            return items
        if d.kind == "tuple":
            cls = d.meta
            return tuple(items) if cls is tuple else cls(*items) if hasattr(cls, "_fields") else cls(items)
        cls, keys = d.meta
        return cls(zip(keys, items))

    return build(treedef)


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """A tree of the structure of `tree` holding `fn(leaf, *leaves of rest at the same place)`.

        ad.tree_map(lambda p, g: p - 0.1 * g, params, grads)

    A `None` in another tree where `tree` has a leaf (the gradient of a boolean or a string) gives `fn` None.
    """
    leaves, treedef = tree_flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            if not _fits(treedef, other_def):
                raise ADError(f"tree_map needs trees of one structure: {treedef!r} and {other_def!r}")
            other_leaves = _spread(treedef, other_def, iter(other_leaves))
        others.append(other_leaves)
    return tree_unflatten(treedef, [fn(*items) for items in zip(leaves, *others)])


def _fits(treedef, other):
    """Is `other` of the structure `treedef`, but for None where treedef has a leaf?"""
    if treedef.kind == "leaf" and other.kind == "none":
        return True
    return (treedef.kind, treedef.meta, len(treedef.children)) == (other.kind, other.meta, len(other.children)) \
        and all(_fits(a, b) for a, b in zip(treedef.children, other.children))


def _spread(treedef, other, leaves):
    """The leaves of `other` (a tree that fits treedef), with None at the leaves it has as None."""
    if treedef.kind == "leaf":
        return [None] if other.kind == "none" else [next(leaves)]
    return [leaf for a, b in zip(treedef.children, other.children) for leaf in _spread(a, b, leaves)]


def _numeric(leaf):
    if isinstance(leaf, (bool, np.bool_)):
        return False
    if isinstance(leaf, np.ndarray):
        return leaf.dtype.kind in "iufc"
    return isinstance(leaf, (int, float, complex, np.number))


def ravel(tree: Any) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """Every number of `tree` (its arrays' entries and its numbers) in one 1-D float vector, and `unravel`,
    which makes a tree of the same structure from such a vector: for `scipy.optimize`, which works on
    vectors.

        x0, unravel = ad.ravel(params)
        result = scipy.optimize.minimize(lambda x: loss(unravel(x)), x0,
                                         jac=lambda x: ad.ravel(dloss(unravel(x)))[0])
        params = unravel(result.x)

    `unravel` gives back arrays of the original shapes and dtypes, and Python floats for Python floats
    (integers are cast back as NumPy's `astype` does, truncating). Leaves that are not numbers (strings,
    booleans, ...) are not in the vector and come back as they were.
    """
    leaves, treedef = tree_flatten(tree)
    numeric = [i for i, leaf in enumerate(leaves) if _numeric(leaf)]
    pieces = [np.ravel(np.asarray(leaves[i])) for i in numeric]
    dtype = np.result_type(*[p.dtype for p in pieces], 1.0) if pieces else np.float64
    vector = np.concatenate([p.astype(dtype) for p in pieces]) if pieces else np.zeros(0)
    bounds = np.cumsum([0] + [p.size for p in pieces])
    forms = [(np.shape(leaves[i]), type(leaves[i]), np.asarray(leaves[i]).dtype) for i in numeric]

    def unravel(v):
        v = np.asarray(v)
        if v.shape != vector.shape:
            raise ADError(f"unravel needs a vector of shape {vector.shape}, got {v.shape}")
        out = list(leaves)
        for i, (lo, hi), (shape, cls, leaf_dtype) in zip(numeric, zip(bounds[:-1], bounds[1:]), forms):
            piece = v[lo:hi]
            if cls is np.ndarray:
                out[i] = piece.reshape(shape).astype(leaf_dtype)
            else:
                out[i] = cls(piece[0] if leaf_dtype.kind == "c" else piece[0].real)
        return tree_unflatten(treedef, out)

    return vector, unravel
