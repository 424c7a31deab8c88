"""Stores into parts of arrays in a `jit=True` derivative (`a[:, 1] = v`, `a[i:j] += v`, `m[i] = v`) written as
calls of `_ad.jit.store_into` / `add_into` (jit_runtime.py: loops), where Numba's own array store compiles an
error-formatting function per store (about a second of CPU each). A part of jit_lower.Lowering, by job."""
import numpy as np

from . import ir, kinds as K
from .ir import Call, Index, Var


class PartStores:
    """The part stores of jit_lower.Lowering (which provides kinds, param_kinds and is_int)."""

    def part_store(self, s):
        """`a[:, 1] = v` / `a[i:j] += v` / `m[i] = v` (a part of an array by slices and integers) as
        `_ad.jit.store_into(a[:, 1], v)` / `_ad.jit.add_into(...)`: loops for parts of one or two dimensions,
        where Numba's own array store costs seconds of compile time per store. Only when every item is a slice
        or an int (so the part is a view, never a copy), some item a slice or fewer items than `a` has
        dimensions, and `a` is not known to be other than an array (a list there is a typing error at the first
        call, located)."""
        kind = (self.kinds.get(s.target.name) or self.adjoint_arrays.get(s.target.name)) \
            if isinstance(s.target, Var) else None
        if s.op not in (None, "+") or s.noop or not isinstance(s.target, Var) or \
                kind is not None and not isinstance(kind, K.Array):
            return s
        if s.op is None and self.fancy_store(s.items):  # (`y[idx] = v`, `y[:, idx] = v`: loops too)
            index = ir.index_value(s.items, len(s.items) > 1)  # (a slice beside the array as `slice(1, None, None)`)
            store = ir.ExprStmt(Call(jit_helper("store_fancy"), (s.target, index, s.value)))
            store.origin = s.origin
            return store
        if not all(isinstance(i, ir.Slice) or self.is_index(i) for i in s.items):
            return s
        if not any(isinstance(i, ir.Slice) for i in s.items) and \
                not (isinstance(kind, K.Array) and kind.ndim is not None and kind.ndim > len(s.items)):
            return s  # (an element, or not known to be a row)
        helper = "add_into" if s.op == "+" else "store_into"
        store = ir.ExprStmt(Call(jit_helper(helper), (Index(s.target, s.items, s.tuple_form), s.value)))
        store.origin = s.origin
        return store

    def fancy_store(self, items):
        """Is the index `items` one 1-d array (known by its kind, or a list made an array by the
        lowering) with at most one slice or int beside it (jit_runtime_fancy.store_fancy's forms; another form
        of those types is Numba's own store there)?"""
        arrays = [i for i in items if self.index_array(i)]
        return len(items) <= 2 and len(arrays) == 1 and \
            all(isinstance(i, ir.Slice) or self.is_index(i) for i in items if i is not arrays[0])

    def index_array(self, e):
        if isinstance(e, Call) and isinstance(e.func, ir.Global) and e.func.obj is np.array:
            return True
        kind = (self.param_kinds.get(e.name) or self.kinds.get(e.name)) if isinstance(e, Var) else None
        return isinstance(kind, K.Array) and kind.ndim == 1  # (its dtype as the kinds pass has it may be wrong:
        # `idx % 3` is not known to be ints; a float array is a typing error at the line, as NumPy's IndexError)

    def is_index(self, e):
        """Is `e` known to be an integer (a Python int or a NumPy integer scalar)?"""
        if self.is_int(e):
            return True
        kind = (self.param_kinds.get(e.name) or self.kinds.get(e.name)) if isinstance(e, Var) else None
        return isinstance(kind, K.Scalar) and isinstance(kind.cls, type) and issubclass(kind.cls, np.integer)



def jit_helper(name):
    """`_ad.jit.<name>` (a compiled runtime helper) as an expression of generated code."""
    from . import jit_runtime, runtime

    return ir.Global(("_ad", "jit", name), getattr(jit_runtime, name), runtime)
