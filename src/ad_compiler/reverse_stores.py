"""The adjoint sweep (reverse.py), its part for items, stores and list methods: the adjoint of an item read
(`bx[i] += bt`), of a store (the stored value gets what the array had there, which the store overwrote), of
a list method (`bv = blst_1.pop()` for an append). A mixin of `Reverse`: it reads the sweep's state.
"""
from . import ir, kinds as K
from .adjoints import assign, helper
from .ir import Build, Call, Const, ExprStmt, Index, SetItem, Slice, Var, index_value
from .reverse_marker import Marker


class StoresPart:
    """Reverse's adjoints of item reads, stores and list methods."""

    # -- items, stores, lists -------------------------------------------------------------------------------
    def getitem(self, s, op, g):
        v = s.value
        if op.extra.get("dict_get"):
            return self.dict_get(s, g)
        base, items, tuple_form = v.value, v.items, v.tuple_form
        if not (isinstance(base, Var) and self.active(base.name)):
            return
        x = base.name
        origin = s.origin
        b = Var(self.adj(x))
        # (`b[i] += g` only into an array of known rank: "an array or a scalar", or one of unknown rank, is a
        # guess about a library function's result, which may be a list, whose item `+=` concatenates)
        array = K.certainly_numeric(self.kind(base))
        static = array and all(self.basic_item(i) for i in items)
        index = index_value(items, tuple_form)
        a = self.adjoints
        if x in self.live and x in a.owned and not a.lazy:
            if static:
                self.emit(SetItem(b, items, g, op="+", tuple_form=tuple_form), origin)
            else:
                self.emit(ExprStmt(helper("add_at", b, index, g)), origin)
            return
        if x in self.live and a.lazy:  # (_ad.add: the value indexed may be a list, whatever its kind says)
            self.emit(assign(b.name, helper("add", b, helper("getitem_vjp", g, base, index))), origin)
            return
        if x in self.live:
            a.accumulate(x, helper("getitem_vjp", g, base, index), origin)
            return
        self.live.add(x)
        a.owned.add(x)
        if static and not a.lazy:
            self.emit(assign(b.name, helper("zeros_like", base)), origin)
            self.emit(SetItem(b, items, g, tuple_form=tuple_form), origin)
        else:
            self.emit(assign(b.name, helper("getitem_vjp", g, base, index)), origin)

    def dict_get(self, s, g):
        """`d.get(key, default)`: the adjoint goes to d's entry if the key is there, else to the default."""
        v = s.value
        owner, key = v.func.value, v.args[0]
        if isinstance(owner, Var) and self.active(owner.name):
            self.adjoints.accumulate(owner.name, helper("dict_get_vjp", g, owner, key), s.origin)
        if len(v.args) > 1:
            self.contribute(v.args[1], helper("dict_get_default_vjp", g, owner, key), s.origin)

    def basic_item(self, i):
        if isinstance(i, Slice):
            return True
        if isinstance(i, Const):
            return i.value is None or i.value is Ellipsis or (isinstance(i.value, int) and not isinstance(i.value, bool))
        k = self.kind(i)
        return isinstance(k, K.Scalar) and k.cls in (int,) + tuple(c for c in (getattr(__import__("numpy"), n) for n in (
            "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")))

    def store(self, s):
        """`x1 = x0 with [items] = value`: value gets what x1's adjoint has there, which x0 does not."""
        x0, x1 = s.target.name, s.result
        origin = s.origin
        a = self.adjoints
        op = self.ops.get(id(s))
        if op is not None and op.extra.get("nograd") and x1 in self.live and self.active(x1):
            a.transfer(x0, x1, origin)  # (a change made inside no_grad: the array's adjoint goes on unchanged)
        elif x1 in self.live and self.active(x1):
            a.ensure(x1, origin, owned=True)
            b = Var(self.adj(x1))
            index = index_value(s.items, s.tuple_form)
            if self.value_active(s.value):
                taken = self.alloc.temp()
                self.emit(assign(taken, helper("pop_item", b, index)), origin)
                tk, vk = self.kind(s.target), self.kind(s.value)
                if isinstance(tk, K.Obj):  # an attribute of an object: its adjoint has the attributes read
                    part = helper("entry_or_zeros", Var(taken), s.value)
                elif isinstance(tk, (K.Seq, K.Dict)):
                    # an item of a container: exactly what was stored, unless a later store into the slot left
                    # its zeros of another shape there (g4-010: `d[0] = x[1]` then `d[0] = x * 2.0`)
                    part = helper("entry_or_zeros", Var(taken), s.value) if _replaceable(tk) and not s.noop \
                        else Var(taken)
                elif isinstance(vk, (K.Array, K.Scalar, K.Numeric)):
                    part = helper("unbroadcast", Var(taken), s.value) if self.holds_floats(tk) else \
                        helper("stored_vjp", Var(taken), s.value, s.target)  # (NumPy truncates into ints)
                else:  # NumPy may have made an array of a list: give it back in the value's form
                    part = helper("cast_like", helper("unbroadcast_value", Var(taken), s.value), s.value)
                self.contribute(s.value, part, origin, real_part=self.real_part if x1 in self.act.complex else None)
            elif isinstance(self.kind(s.target), (K.Array, K.Numeric)):
                self.emit(SetItem(b, s.items, Const(0.0), tuple_form=s.tuple_form), origin)
            else:
                self.emit(ExprStmt(helper("pop_item", b, index)), origin)
            a.transfer(x0, x1, origin)
        else:
            self.live.discard(x1)
        if not s.noop:
            a.out.append(Marker("restore_item", name=x0, stmt=s))
        if self.loop_depth > 0 and x1 in self.loop_defined:
            a.out.append(Marker("restore", name=x1))  # the name of the changed object, iteration by iteration

    @property
    def items_replaced(self):
        """Does the function store into an item of a list or dict (`d[0] = v`)? The store's adjoint leaves zeros of
        the value stored in the slot (runtime.pop_item), which need not have the shape of what was there before."""
        if not hasattr(self, "_items_replaced"):
            self._items_replaced = any(isinstance(s, SetItem) and not s.noop and _replaceable(self.kind(s.target))
                                       for s in ir.walk(self.fn.body))
        return self._items_replaced

    def checked_items(self, build, g, origin, real_part):
        """The items' adjoints of a list or dict literal whose items a store may have replaced since: a slot's
        zeros of another shape than the item are those the store's adjoint left, not the item's adjoint (g4-010:
        `d = [x[1]]; d[0] = x * 2.0`). Returns the literal's items that remain to be routed, and g."""
        if not isinstance(g, Var):
            temp = self.alloc.temp()
            self.emit(assign(temp, g), origin)
            g = Var(temp)
        keys = build.keys if build.kind == "dict" else tuple(Const(i) for i in range(len(build.items)))
        rest = []
        for k, e in zip(keys, build.items):
            if isinstance(e, Var) and e.name in self.act.varied and self.active(e.name):
                self.contribute(e, helper("entry_or_zeros", Index(g, (k,)), e), origin, real_part=real_part)
                rest.append(Const(None))
            else:
                rest.append(e)
        return Build(build.kind, tuple(rest), build.keys), g

    @staticmethod
    def holds_floats(kind):
        """Is this certainly not an array of integers or booleans (a store into it keeps the value, it does not
        truncate)? Not known for arrays: the kinds do not follow dtypes (NumPy's results are probed with
        float arrays), so a store into an array asks at run time (`stored_vjp`)."""
        return not isinstance(kind, (K.Array, K.Numeric)) and kind is not K.UNKNOWN

    def value_active(self, atom):
        return bool(ir.names_in(atom) & self.act.varied) and any(self.active(n) for n in ir.names_in(atom))

    def mutate(self, s):
        l0, l1 = s.target.name, s.result
        origin = s.origin
        a = self.adjoints
        op = self.ops.get(id(s))
        nograd = op is not None and op.extra.get("nograd")  # (items added inside no_grad: no adjoint for them)
        if s.method == "pop" and s.out is not None and s.out in self.live and self.active(s.out):
            g = Var(self.adj(s.out))
            self.live.discard(s.out)
            if l1 in self.live:
                a.ensure(l1, origin, owned=True)
                self.emit(ExprStmt(Call(ir.Attr(Var(self.adj(l1)), "append"), (g,))), origin)
                a.transfer(l0, l1, origin)
            elif self.active(l0):
                a.accumulate(l0, helper("list_with_last", Var(l0), g), origin)
        elif l1 in self.live and self.active(l1):
            a.ensure(l1, origin, owned=True)
            b = Var(self.adj(l1))
            if s.method == "append":
                if self.value_active(s.args[0]) and not nograd:
                    taken = self.alloc.temp()
                    self.emit(assign(taken, Call(ir.Attr(b, "pop"), ())), origin)
                    # (a store may have replaced the item since, leaving zeros of its value there: g4-010)
                    self.contribute(s.args[0], helper("entry_or_zeros", Var(taken), s.args[0])
                                    if self.items_replaced else Var(taken), origin)
                else:
                    self.emit(ExprStmt(Call(ir.Attr(b, "pop"), ())), origin)
            elif s.method == "extend" and nograd:
                self.emit(ExprStmt(helper("pop_tail", b, s.args[0])), origin)
            elif s.method == "extend":
                taken = self.alloc.temp()
                self.emit(assign(taken, helper("pop_tail", b, s.args[0])), origin)
                self.contribute(s.args[0], Var(taken), origin)
            elif s.method == "pop":
                self.emit(ExprStmt(Call(ir.Attr(b, "append"), (helper("zeros_like", Var(s.out)),))), origin)
            elif s.method == "clear":
                self.live.discard(l1)
                self.restore_list(s, l0, l1)
                return
            a.transfer(l0, l1, origin)
        else:
            self.live.discard(l1)
        self.restore_list(s, l0, l1)

    def restore_list(self, s, l0, l1):
        """The markers putting back what a list method changed, and, in a loop, the names it defined. The
        forward sweep saves a cleared list's items before the name after `.clear()`: that name is taken back
        first (the other way round, a loop's `clear` gave each the other's value: hvp of a loop calling
        `.clear()`, lang25)."""
        a = self.adjoints
        names = [n for n in (l1, s.out) if self.loop_depth > 0 and n in self.loop_defined]
        if s.method == "clear":
            a.out += [Marker("restore", name=n) for n in names]
        a.out.append(Marker("restore_list", name=l0, stmt=s))
        if s.method != "clear":
            a.out += [Marker("restore", name=n) for n in names]


def _replaceable(kind):
    """Can a store put a value of another shape into an item of this (a list's or a dict's; a tuple's items are
    only ever stored back changed in place, by the compiler's refreshes)?"""
    return isinstance(kind, K.Dict) or isinstance(kind, K.Seq) and kind.mutable
