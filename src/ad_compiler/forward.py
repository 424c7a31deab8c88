"""Pass 8 (forward mode): the function's own statements, each followed by the statements of its tangent.

The tangent of `x` is `dx`. Every active value gets its tangent where it is defined (zeros where nothing
that varies reaches it on that path), so branches and loops need no bookkeeping beyond the SSA copies they
already have: the copies into a loop's carried names and the copies at the end of each branch carry the
tangents along. Rule applications are tangent_rules.py; item reads take the same item of the tangent;
stores store the value's tangent into the tangent of the array (or list); list methods do the same to the
tangent list.

In-place updates of tangents: the tangent of a value changed in place must be a buffer that no other
value's tangent shares (a tangent may *be* another one: `y = x + c` has `dy = dx`). `owned` holds the names
whose tangent is such a buffer (made here: zeros, arithmetic, a copy); before a store into any other, the
tangent is copied (`_ad.owned_copy`). The alias pass has already made every in-place change explicit in
the SSA form: a store is followed by *refreshes* of the other names that see the changed object, so a
tangent that is a copy rather than a view of the changed one is brought up to date too.
"""
import numpy as np

from . import dims, ir, kinds as K, lower, shapes
from .adjoints import assign, helper
from .errors import UnsupportedError
from .ir import Assign, Build, Call, Comment, Const, For, If, Index, Mutate, SetItem, Var, While
from .forward_buffers import TangentBuffers
from .tangent_rules import TangentRules


class Forward(TangentBuffers):
    def __init__(self, fn, ops, act, kinds, wrt, alloc, describe, linker=None):
        self.fn = fn
        self.ops = ops
        self.act = act
        self.kinds = kinds
        self.wrt = list(wrt)
        self.alloc = alloc
        self.describe = describe
        self.linker = linker  # callees.Linker: the tangent functions of recursive calls
        self.names = {}  # primal name -> tangent name
        self.owned = set()  # primal names whose tangent is a buffer of ours
        self.links = {}  # name -> the names whose tangent buffers its tangent shares (views, items, other names)
        self.must_own = _stored_carried(fn.body)  # carried names changed in place inside their loop
        self.same = {}
        self.dims = {}
        self.rules = TangentRules(self)
        self.out = []
        self.current = None

    # -- tangents of atoms ------------------------------------------------------------------------------
    def d(self, name):
        if name not in self.names:
            self.names[name] = self.alloc.fresh("d" + name)
            if name in self.alloc.temps:  # (the tangent of a temporary is one too: fuse.py may write it back)
                self.alloc.temps.add(self.names[name])
        return self.names[name]

    def carries(self, value):
        """Does the atom (or Build of atoms) carry a tangent?"""
        return any(self.act.active(n) for n in ir.names_in(value))

    def tangent_of(self, value):
        if isinstance(value, Var):
            return Var(self.d(value.name)) if self.act.active(value.name) else self.zero(value)
        if isinstance(value, Build):
            return Build(value.kind, tuple(self.tangent_of(i) for i in value.items), value.keys)
        return self.zero(value)

    tangent_or_zero = tangent_of

    def zero(self, value):
        """The tangent of a value that carries none: zeros (None for what is not a number: shapes, strings)."""
        if isinstance(value, Const):  # (a bool too: NumPy computes with it as 0 or 1, `np.where(m, x, True)`: sig25-018)
            return Const(0.0) if isinstance(value.value, (int, float)) else Const(None)
        k = self.kind(value)
        if isinstance(k, K.Other):
            return Const(None)
        if isinstance(k, K.Scalar) and k.cls in (float, int, bool):  # (what zeros_like gives it, without a call)
            return Const(0.0)
        if self.is_tuple(value):  # (a tuple's zeros as a tuple: `t + (x,)`'s tangent adds tuples, sh-003)
            return Call(ir.Global(("tuple",), tuple), (helper("zeros_like", value),))
        return helper("zeros_like", value)

    def kind(self, atom):
        if isinstance(atom, Var):
            return self.kinds.get(atom.name, K.UNKNOWN)
        return K.UNKNOWN

    # -- emitting -----------------------------------------------------------------------------------------
    def emit(self, stmt, origin):
        if origin is not None and (self.current is None or origin.stmt is not self.current.stmt):
            self.current = origin
            self.out.append(Comment(self.describe(origin), origin=origin))
        if stmt.origin is None:  # (the user's line it comes from: tracebacks, and fuse.py's same-line test)
            stmt.origin = origin
        self.out.append(stmt)

    def emit_assign(self, name, value, origin):
        self.emit(assign(name, value), origin)

    def define(self, primal, value, origin, owned):
        self.emit_assign(self.d(primal), value, origin)
        if owned and not _fresh(value):  # (ours, holding buffers of others: `dw = dc[0:2]`, `[dc, dt]`, `dt = dc`)
            self.link(primal, value)
        elif owned and _copied_container(value):  # (of a list or dict: a new one of the same items' buffers)
            self.inherit_links(primal, value.args[0].name)
        if not owned and self.owned:  # the new tangent may *be* an owned one (`w = z * 1.0`: dw = dz): then
            # that buffer is no longer ours alone, a store into z must not change dw (copy it first)
            read = ir.names_in(value)
            self.disown({p for p in self.owned if self.d(p) in read})
        (self.owned.add if owned else self.owned.discard)(primal)

    def refuse(self, s, what, hint):
        where = s.origin.unit.location(s.origin.node) if s.origin is not None else None
        raise UnsupportedError(what, where=where, hint=hint)

    # -- the transform ------------------------------------------------------------------------------------
    def run(self):
        """The statements of the function with their tangents (the parameters' tangents are set up by the
        caller)."""
        self.same = shapes.same_shapes(self.fn, self.ops, self.kinds, set())
        self.dims = dims.infer(self.fn, self.ops, self.kinds)
        return self.block(self.fn.body)

    def block(self, stmts):
        saved, saved_current = self.out, self.current
        self.out = []
        for s in stmts:
            self.statement(s)
        result, self.out, self.current = self.out, saved, saved_current
        return result

    def statement(self, s):
        if isinstance(s, If):
            self.branch(s)
            return
        if isinstance(s, (For, While)):
            self.loop(s)
            return
        if isinstance(s, (SetItem, Mutate)) and self.changes_tangent(s) and not self.is_tuple(s.target):
            # the tangent buffer is made before the change: zeros like the list *before* an append
            self.own(s.target.name, s.result, s.origin)
        op = self.ops.get(id(s))
        if isinstance(s, Assign) and op is not None and op.kind == "callee" and self.act.active(s.target):
            self.callee(s, op)
            return
        for x in lower.statement(s):
            self.emit(x, s.origin)
        if isinstance(s, Assign):
            self.assignment(s)
        elif isinstance(s, SetItem):
            self.store(s)
        elif isinstance(s, Mutate):
            self.mutate(s)

    def assignment(self, s):
        t = s.target
        op = self.ops.get(id(s))
        if op is None or not self.act.active(t) or len(s.targets) != 1:
            return
        v = s.value
        origin = s.origin
        if op.kind == "copy":
            if isinstance(v, Var):
                self.copy(t, v.name, origin)
            else:  # `lst.copy()` / `d.copy()`: a new container of the same items
                owner = v.func.value
                self.define(t, Call(ir.Attr(self.tangent_of(owner), "copy"), ()), origin, owned=True)
        elif op.kind == "build":
            self.define(t, self.tangent_of(v), origin, owned=True)
        elif op.kind == "rule":
            value = self.rules.apply(s, op)
            if value is None:
                self.define(t, self.zero(Var(t)), origin, owned=True)
            else:
                self.define(t, self.real_part(s, op, value), origin, owned=_fresh(value) or _made(value))
        elif op.kind == "getitem":
            self.getitem(s, op)
        elif op.kind == "getattr":
            self.define(t, helper("attribute_tangent", self.tangent_of(v.value), Const(op.attr)), origin, False)
        elif op.kind == "const":  # (an active name given a constant on this path: `out = None` before a loop)
            self.define(t, self.zero(v if isinstance(v, Const) else Var(t)), origin, owned=True)

    def callee(self, s, op):
        """A recursive call: the call of its tangent function (callees.py), giving the value and its tangent.
        The tangent it returns may be one it was given: not a buffer of ours, and neither are those given."""
        if self.linker is None or len(s.targets) != 1:
            self.refuse(s, "forward mode does not go through this recursive call",
                        "use reverse mode (ad.grad / ad.vjp) for this function")
        call = self.linker.tangent(self, s, op)
        read = ir.names_in(call.value)
        self.disown({p for p in self.owned if self.d(p) in read})
        self.owned.discard(s.target)
        self.emit(call, s.origin)

    def copy(self, target, source, origin):
        if not self.act.active(source):
            self.define(target, self.zero(Var(target)), origin, owned=True)
        elif target in self.must_own and source not in self.owned:
            self.define(target, helper("owned_copy", Var(self.d(source)), Var(target)), origin, owned=True)
        else:
            self.define(target, Var(self.d(source)), origin, owned=source in self.owned)

    def real_part(self, s, op, value):
        """The tangent of a real result of complex operands (np.linalg.norm, np.var of a complex value): the
        real part of what the rule gives (docs/rules.md, "Complex intermediates")."""
        cx = self.act.complex
        if s.target not in cx and self.kind(Var(s.target)).numeric and not _takes_real_part(value) \
                and any(cx.may_be_complex(v) for v in op.bound.values()):
            return Call(ir.Global(("np", "real"), np.real, np), (value,))
        return value

    def getitem(self, s, op):
        v = s.value
        if op.extra.get("dict_get"):
            owner = v.func.value
            default = v.args[1] if len(v.args) > 1 else Const(None)
            value = helper("dict_get_tangent", self.tangent_of(owner), v.args[0], self.tangent_of(default))
            self.define(s.target, value, s.origin, owned=False)
            return
        base = v.value
        array = isinstance(self.kind(base), (K.Array, K.Numeric))
        value = Index(self.tangent_of(base), v.items, v.tuple_form)
        if isinstance(base, Var) and isinstance(self.kind(base), (K.Seq, K.Dict)) and self.act.active(base.name):
            self.item(s.target, value, s.origin, base.name)
        else:
            self.define(s.target, value, s.origin, owned=array and base.name in self.owned)

    def item(self, target, value, origin, container):
        """`dv = dlst[i]` or `dv = dlst.pop()`: an item (or a new list of items) of a list or dict's tangent, maybe
        the buffer of a tangent the container holds, which is then no longer ours alone; the container itself
        still is (its next change needs no copy)."""
        self.emit_assign(self.d(target), value, origin)
        read = ir.names_in(value)
        self.disown(set(self.links.get(container, ())) | {p for p in self.owned if self.d(p) in read}, keep={container})
        self.owned.discard(target)

    # -- in-place changes ---------------------------------------------------------------------------------
    def own(self, old, new, origin):
        """Make the tangent of `new` (the object `old` after an in-place change) a buffer of ours."""
        if not self.act.active(old):
            self.define(new, helper("zeros_like", Var(old)), origin, owned=True)
        elif old not in self.owned:
            self.define(new, helper("owned_copy", Var(self.d(old)), Var(old)), origin, owned=True)
        else:
            self.define(new, Var(self.d(old)), origin, owned=True)

    def is_tuple(self, atom):
        k = self.kind(atom)
        return isinstance(k, K.Seq) and k.cls is tuple

    def changes_tangent(self, s):
        return self.act.active(s.result) or (isinstance(s, Mutate) and s.out is not None and self.act.active(s.out))

    def store(self, s):
        new = s.result
        if not self.act.active(new):
            return
        if s.op is not None:
            self.refuse(s, f"`{s.op}=` on an item of a value of unknown kind", "call with arrays or lists")
        origin = s.origin
        op = self.ops.get(id(s))
        if op is not None and op.extra.get("nograd"):  # a constant change (no_grad): the tangent stays
            return
        if self.is_tuple(s.target):  # (a tuple holding a value changed in place: its tangent is made again)
            value = self.tangent_of(s.value) if self.carries(s.value) else self.zero(s.value)
            old = self.tangent_of(s.target) if self.carries(s.target) else helper("zeros_like", s.target)
            self.define(new, helper("tuple_with", old, ir.index_value(s.items, s.tuple_form), value), origin, False)
            return
        if self.carries(s.value):
            value = self.tangent_of(s.value)
            tk = self.kind(s.target)
            if isinstance(tk, (K.Array, K.Numeric)) or tk is K.UNKNOWN:  # (kinds do not follow dtypes)
                value = helper("stored_jvp", value, s.target)  # (NumPy truncates what it stores into ints)
        elif isinstance(self.kind(s.target), (K.Array, K.Numeric)):
            value = Const(0.0)
        else:
            value = self.zero(s.value)
        items = s.items
        if ir.attr_key(items) is not None:  # (the tangent of an object is a dict by attribute name)
            items = (Const(str(ir.attr_key(items))),)
        self.emit(SetItem(Var(self.d(new)), items, value, tuple_form=s.tuple_form), origin)
        if not isinstance(self.kind(s.target), (K.Array, K.Numeric)):  # (a list or dict holds dv's buffer itself)
            self.link(new, value)

    def mutate(self, s):
        new, out = s.result, s.out
        origin = s.origin
        if not self.changes_tangent(s):
            return
        lst = Var(self.d(new))
        op = self.ops.get(id(s))
        if op is not None and op.extra.get("nograd"):  # (items added inside no_grad: zero tangents)
            call = Call(ir.Attr(lst, s.method), tuple(self.zero(a) for a in s.args))
        else:
            call = Call(ir.Attr(lst, s.method), tuple(self.tangent_of(a) for a in s.args))
        self.link(new, call)  # (`dlst.append(dv)`: the list holds dv's buffer)
        if out is not None and self.act.active(out):
            # (`dv = dlst.pop()`: dv is an item, maybe the buffer of a tangent the list holds, so those are no
            # longer ours alone; the list itself still is, and the next change of it needs no copy)
            self.item(out, call, origin, new)
        else:
            self.emit(ir.ExprStmt(call), origin)

    # -- control flow -------------------------------------------------------------------------------------
    def branch(self, s):
        owned = set(self.owned)
        then = self.block(s.body)
        owned_then, self.owned = self.owned, set(owned)
        other = self.block(s.orelse)
        self.owned &= owned_then
        self.emit(If(s.test, then, other, role=s.role, info=s.info), s.origin)

    def loop(self, s):
        # the carried names changed in place are owned when the loop starts (copies into them made sure)
        before = set(self.owned)
        body = self.block(s.body)
        self.owned &= before
        self.owned |= {c for c in s.carried if c in self.must_own and self.act.active(c)}
        if isinstance(s, For):
            self.emit(For(s.target, s.iter, body, s.carried), s.origin)
        else:
            self.emit(While(s.test, body, s.carried), s.origin)

    def same_shape_as_result(self, s, param, bound, rule):
        if self.dims:
            if dims.same(dims.shape_of(self.dims, self.kinds, bound[param]), self.dims.get(s.target)):
                return True
        return shapes.operand_has_result_shape(self.same, self.kind, param, bound, rule)


def _takes_real_part(expr):
    """Does the tangent expression take a real part already (the rules of np.abs, np.real, .imag, ...)?"""
    todo = [expr]
    while todo:
        e = todo.pop()
        if isinstance(e, ir.Global) and e.obj is np.real or isinstance(e, ir.Attr) and e.attr in ("real", "imag"):
            return True
        todo.extend(ir.children(e))
    return False


def _fresh(value):
    """Is the tangent expression certainly a new buffer (not another tangent, or a view of one)?"""
    if isinstance(value, (ir.BinOp, ir.UnaryOp)):
        return True
    if isinstance(value, Call) and isinstance(value.func, ir.Global) and value.func.path[:1] == ("_ad",):
        return value.func.path[-1] in ("zeros_like", "owned_copy")
    return False


def _made(value):
    """Is the tangent expression a new array, list or dict (which may hold other tangents' buffers as its items:
    `_ad.getitem_vjp(dv, lst, 2)`, the tangent of an adjoint spread into a list)?"""
    return isinstance(value, Call) and isinstance(value.func, ir.Global) and value.func.path == ("_ad", "getitem_vjp")


def _copied_container(value):
    """`_ad.owned_copy(dl, l)` (a new list or dict of the same items, for a container; else a new buffer)."""
    return isinstance(value, Call) and isinstance(value.func, ir.Global) and value.func.path == ("_ad", "owned_copy") \
        and value.args and isinstance(value.args[0], Var)


def _stored_carried(stmts):
    """Names carried by a loop that are changed in place (stores, list methods) inside it."""
    out = set()
    for s in ir.walk(stmts):
        if isinstance(s, (For, While)):
            changed = {x.target.name for x in ir.walk(s.body) if isinstance(x, (SetItem, Mutate))}
            changed |= {x.result for x in ir.walk(s.body) if isinstance(x, (SetItem, Mutate))}
            out |= set(s.carried) & changed
    return out
