"""Pass 4, alias: NumPy's sharing and mutation semantics, made explicit before SSA.

NumPy arrays are mutable and views share memory: after `v = x[1:]; v *= 2` the name `x` sees the change;
after `L = [x]; x += 1` so does `L[0]`. This pass follows through the function which *objects* each name
may refer to (an abstract interpretation over allocation sites: arrays, lists, dicts and tuples made in the
function, views of them, and external objects: arguments, globals, results of unknown calls) and the kind of
each value (kinds.py). With that it rewrites every in-place operation into plain stores whose effect on every
other name is explicit:

- `x op= v` is a rebinding (`x = x op v`) when x is a number, or an array no other live name can see;
  otherwise an in-place update: `t = x op v; x[...] = t`. `x[i] op= v` is `t = x[i]; t op= v; x[i] = t`
  (Python's order); in-place methods become stores (`y.sort()` is `y[...] = np.sort(y)`, `y.fill(c)` is
  `y[...] = c`); `lst.append(v)` becomes a `Mutate`.
- After a store into an object, every other live name that sees its memory is *refreshed*: a statement
  saying where its new value comes from (`x[1:] = v` for the base of a changed view `v`, `w = x[:2]` for
  another view, `y = x` for an alias, `L[0] = x` for a list holding it). Refreshes are `noop`: the forward
  sweep does nothing for them (the memory is already changed); the adjoint sweep differentiates them like
  any statement, and SSA gives the refreshed names new versions.
- What cannot be handled exactly is refused with a located error: changing an argument (the caller's
  array) or a global; a name that may or may not share memory with the changed object; a view whose making
  changed since, or that NumPy may have made as a copy.

`infer_kinds` runs the same interpretation on the SSA form, to give every SSA name its kind.
"""
from __future__ import annotations

import builtins
import itertools

import numpy as np

from . import ir, kinds as K
from .errors import UnsupportedError
from .liveness import liveness
from .ir import (Assign, AugAssign, Break, Build, Call, Const, ExprStmt, For, Global, If, Index, Mutate, SetItem,
                 Slice, Var, While)

# functions returning a view of (or the very object of) their first argument; "maybe": NumPy may copy
VIEW_FUNCTIONS = {
    np.transpose: "view", np.swapaxes: "view", np.moveaxis: "view", np.squeeze: "view", np.expand_dims: "view",
    np.atleast_1d: "view", np.atleast_2d: "view", np.atleast_3d: "view", np.reshape: "maybe", np.ravel: "maybe",
    np.asarray: "maybe", np.asanyarray: "maybe", np.real: "view", np.flip: "view", np.fliplr: "view",
    np.flipud: "view", np.rot90: "view", np.diagonal: "readonly", np.broadcast_to: "readonly",
}
VIEW_METHODS = {"transpose": "view", "swapaxes": "view", "squeeze": "view", "view": "view",
                "reshape": "maybe", "ravel": "maybe", "diagonal": "readonly"}
VIEW_ATTRIBUTES = {"T": "view", "mT": "view", "real": "view", "flat": "maybe"}
SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "strides", "nbytes", "itemsize", "flags"}
ARRAY_MUTATORS = {"sort", "fill", "put", "partition", "resize", "setflags", "itemset", "byteswap", "setfield"}
LIST_MUTATORS = {"append", "extend", "insert", "pop", "clear", "remove", "sort", "reverse"}
DICT_MUTATORS = {"update", "pop", "popitem", "setdefault", "clear"}
MUTATING_FUNCTIONS = {np.copyto: "copyto", np.put: "put", np.place: "place", np.fill_diagonal: "fill_diagonal",
                      np.random.shuffle: "random.shuffle", np.putmask: "putmask"}
SCALAR_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "trace", "vdot", "det",
                     "norm", "logsumexp", "average", "median", "ptp", "nansum", "nanmean", "nanmax", "nanmin",
                     "quantile", "percentile", "count_nonzero"}
FRESH_ARRAYS = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "array",
                "arange", "linspace", "eye", "identity", "stack", "concatenate", "hstack", "vstack", "copy", "outer",
                "diag", "tile", "repeat", "logspace", "tril", "triu", "cumsum", "cumprod", "sort", "column_stack",
                "dstack", "kron", "meshgrid"}

_ARITH = {"+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<", ">>"}
REDUCING_METHODS = {"sum", "mean", "prod", "max", "min", "var", "std", "all", "any", "ptp"}
_BOOL_UFUNCS = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal, np.logical_and,
                np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isinf, np.isfinite, np.signbit}
_ELEMENTWISE_FUNCTIONS = {"where", "clip", "nan_to_num", "round", "around", "heaviside"}
_INT_CLASSES = (int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)


class Obj:
    """An abstract object: what an allocation site made (its latest instance, or `old` ones), a view of
    another abstract object, or an external object."""
    _ids = itertools.count()

    def __init__(self, kind, parent=None, how=None, desc="", is_old=False):
        self.id = next(Obj._ids)
        self.kind = kind  # 'new' | 'view' | 'ext'
        self.parent = parent
        self.how = how  # views: 'view' | 'maybe' | 'readonly'
        self.desc = desc
        self.is_old = is_old
        self.param = None

    def root(self):
        o = self
        while o.parent is not None:
            o = o.parent
        return o

    def external(self):
        return self.root().kind == "ext"

    def __repr__(self):
        return f"<{self.kind}{'~' if self.is_old else ''}#{self.id} {self.desc}>"


class Val:
    """What a name holds: its kind, the objects it may be, a generation (new at each binding), and an
    identity (the same for names bound to the very same value: `y = x`, whatever object it is)."""
    __slots__ = ("kind", "objs", "gen", "ident")

    def __init__(self, kind, objs=frozenset(), gen=None, ident=None):
        self.kind = kind
        self.objs = frozenset(objs)
        self.gen = gen
        self.ident = ident

    def must(self):
        return next(iter(self.objs)) if len(self.objs) == 1 else None


_gens = itertools.count(1)


class State:
    def __init__(self):
        self.vars = {}  # name -> Val
        self.slots = {}  # container Obj -> list of frozensets (by position) | ("any", frozenset)
        self.made = {}  # view Obj -> (statement that made it, ((name, generation), ...)) or (stmt, None)

    def copy(self):
        s = State()
        s.vars = dict(self.vars)
        s.slots = dict(self.slots)
        s.made = dict(self.made)
        return s

    def referenced(self):
        out = set()
        for v in self.vars.values():
            out |= v.objs
        for slots in self.slots.values():
            out |= _all(slots)
        return out


def _all(slots):
    if slots is None:
        return frozenset()
    if isinstance(slots, list):
        return frozenset().union(*slots) if slots else frozenset()
    return slots[1]


def _join_slots(a, b):
    if a is None or b is None:
        return a if b is None else b
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [x | y for x, y in zip(a, b)]
    return ("any", _all(a) | _all(b))


_joined_idents = {}


def _join_vals(a, b):
    if a is None or b is None:
        return a or b
    if a is b:
        return a
    if a.ident == b.ident:
        ident = a.ident
    else:  # names that were one value on each path are one value after the join too
        ident = _joined_idents.setdefault((a.ident, b.ident), next(_gens))
    return Val(K.join(a.kind, b.kind), a.objs | b.objs, a.gen if a.gen == b.gen else next(_gens), ident)


def join_states(a, b):
    if a is None:
        return b
    if b is None:
        return a
    s = State()
    for n in set(a.vars) | set(b.vars):
        s.vars[n] = _join_vals(a.vars.get(n), b.vars.get(n))
    for o in set(a.slots) | set(b.slots):
        s.slots[o] = _join_slots(a.slots.get(o), b.slots.get(o))
    s.made = dict(a.made)
    for o, m in b.made.items():
        if o in s.made and s.made[o] != m:
            s.made[o] = (m[0], None)  # made differently on two paths: cannot be made again
        else:
            s.made[o] = m
    return s


def _same(a, b):
    if a.vars.keys() != b.vars.keys() or a.slots.keys() != b.slots.keys():
        return False
    for n, v in a.vars.items():
        w = b.vars[n]
        if v.kind != w.kind or v.objs != w.objs:
            return False
    for o, x in a.slots.items():
        y = b.slots[o]
        if isinstance(x, list) != isinstance(y, list) or (x != y if isinstance(x, list) else x[1] != y[1]):
            return False
    return True


class Refused(Exception):
    pass


class Privatize(Exception):
    """The function changes this argument: it will work on a private copy of it instead."""

    def __init__(self, param):
        super().__init__(param)
        self.param = param


class Alias:
    def __init__(self, fn, param_kinds, alloc, ctx, mode="rewrite"):
        self.fn = fn
        self.param_kinds = param_kinds
        self.alloc = alloc
        self.ctx = ctx
        self.mode = mode  # 'rewrite' | 'kinds' (SSA form: only infer kinds)
        self.dry = False  # inside a loop's fixed point: analyse, do not rewrite or refuse
        self.objects = {}  # key -> Obj (allocation sites, views of a given parent, their old instances)
        self.breaks = []
        self._live = None
        self.live_key = {}  # id(statement made here) -> id(the statement of the user's it replaces)
        self._dry_temps = itertools.count()

    # -- errors ---------------------------------------------------------------------------------------------
    def refuse(self, stmt, what, hint, deferred=False):
        if self.dry or self.mode == "kinds":
            raise Refused()
        origin = stmt.origin
        where = origin.unit.location(origin.node) if origin is not None else None
        raise UnsupportedError(what, where=where, hint=hint, deferred=deferred)

    @property
    def generic(self):
        """Compiling for arguments of unknown kinds: a refusal that depends on kinds is reported later."""
        return any(k is K.UNKNOWN for k in self.param_kinds)

    def temp(self):
        if self.dry:
            return f"\0dry{next(self._dry_temps)}"
        return self.alloc.temp()

    def derived(self, s, stmt):
        """`stmt`, made by this pass from the user's `s`: same origin, and the same liveness after it."""
        stmt.origin, stmt.nograd = s.origin, s.nograd
        self.live_key[id(stmt)] = self.live_key.get(id(s), id(s))
        return stmt

    # -- objects --------------------------------------------------------------------------------------------
    def _memo(self, key, make):
        obj = self.objects.get(key)
        if obj is None:
            obj = self.objects[key] = make()
        return obj

    def new(self, state, site, desc="the value made on this line"):
        key = ("new",) + site
        obj = self.objects.get(key)
        if obj is None:  # the first time this site runs: nothing refers to an earlier instance
            obj = self.objects[key] = Obj("new", desc=desc)
        else:
            self.retire(state, obj)
        return obj

    def view(self, state, site, parent, how, desc="the view made on this line"):
        key = ("view",) + site + (parent.id,)
        obj = self.objects.get(key)
        if obj is None:
            obj = self.objects[key] = Obj("view", parent, how, desc)
        else:
            self.retire(state, obj)
        return obj

    def ext(self, site, desc="the result of this call"):
        return self._memo(("ext",) + site, lambda: Obj("ext", desc=desc))

    def old_of(self, obj):
        if obj.is_old:
            return obj
        if obj.kind == "view":
            parent = self.old_of(obj.parent) if obj.parent.is_old is False and self._retiring.get(obj.parent) else \
                obj.parent
            parent = self._retiring.get(obj.parent, parent)
            return self._memo(("oldview", obj.id, parent.id),
                              lambda: Obj("view", parent, obj.how, obj.desc, is_old=True))
        return self._memo(("old", obj.id), lambda: Obj(obj.kind, desc=obj.desc, is_old=True))

    def retire(self, state, obj):
        """`obj`'s site runs again: what referred to its previous instance now refers to an `old` one."""
        referenced = state.referenced()
        if obj not in referenced:
            return
        self._retiring = {}
        self._retiring[obj] = self.old_of(obj)
        changed = True
        while changed:  # views of a retired object are views of its old instance
            changed = False
            for o in referenced:
                if o not in self._retiring and o.parent is not None and o.parent in self._retiring:
                    self._retiring[o] = self.old_of(o)
                    changed = True
        mapping = self._retiring

        def swap(objs):
            return frozenset(mapping.get(o, o) for o in objs) if objs & mapping.keys() else objs

        for n, v in list(state.vars.items()):
            if v.objs & mapping.keys():
                state.vars[n] = Val(v.kind, swap(v.objs), v.gen)
        for c in list(state.slots):
            slots = state.slots[c]
            slots = [swap(x) for x in slots] if isinstance(slots, list) else ("any", swap(slots[1]))
            if c in mapping:
                del state.slots[c]
                state.slots[mapping[c]] = _join_slots(state.slots.get(mapping[c]), slots)
            else:
                state.slots[c] = slots
        for o in list(state.made):
            if o in mapping:
                del state.made[o]

    # -- the walk -------------------------------------------------------------------------------------------
    def run(self):
        state = State()
        for p, k in zip(self.fn.params, self.param_kinds):
            obj = self._memo(("param", p), lambda: Obj("ext", desc=f"the argument `{p}`"))
            obj.param = p
            state.vars[p] = Val(k, {obj}, next(_gens), next(_gens))
            if isinstance(k, (K.Seq, K.Dict)):
                state.slots[obj] = self.external_slots(k, obj)
        body, state = self.block(self.fn.body, state)
        if self.mode == "rewrite":
            self.fn.body = body
        self.final = state
        return state

    def external_slots(self, kind, owner):
        n = len(kind.items) if isinstance(kind, (K.Seq, K.Dict)) and kind.items is not None else None
        if n is None:
            return ("any", frozenset({self._memo(("item", owner.id), lambda: Obj("ext", desc="an item of "
                                                                                        + owner.desc))}))
        out = []
        for i in range(n):
            item = self._memo(("item", owner.id, i), lambda: Obj("ext", desc="an item of " + owner.desc))
            item.param = None
            out.append(frozenset({item}))
        return out

    def private_objects(self, state, site, kind, desc):
        """The objects of a deep copy the function makes (`_ad.private_copy` of an argument it changes)."""
        obj = self.new(state, site, desc=desc)
        if isinstance(kind, (K.Seq, K.Dict)):
            items = kind.items if kind.items is not None else None
            if items is None:
                state.slots[obj] = ("any", frozenset({self.private_objects(state, site + ("any",), kind.elem,
                                                                           "an item of " + desc)}))
            else:
                state.slots[obj] = [frozenset({self.private_objects(state, site + (i,), k, "an item of " + desc)})
                                    if k.mutable or isinstance(k, (K.Seq, K.Dict)) else frozenset()
                                    for i, k in enumerate(items)]
        return obj

    def block(self, stmts, state):
        out = []
        for s in stmts:
            if self.dry:
                try:
                    out.extend(self.statement(s, state))
                except Refused:
                    self.havoc(s, state)  # (the final pass refuses it, located, if it still applies)
            else:
                out.extend(self.statement(s, state))
        return out, state

    def havoc(self, s, state):
        """What a statement the analysis would refuse may have done, for the fixed point of a loop: every
        name it writes, and every name sharing an object it reads, may hold anything now."""
        names = set(ir.stmt_writes(s)) | ir.stmt_reads(s)
        if isinstance(s, (SetItem, Mutate)):
            names |= ir.names_in(s.target)
        touched = set()
        for n in names:
            v = state.vars.get(n)
            if v is not None:
                touched |= v.objs
        ext = self.ext((id(s), "havoc"), desc="a value this function changed in a way not followed")
        for n, v in list(state.vars.items()):
            if n in names or v.objs & touched:
                state.vars[n] = Val(K.UNKNOWN, v.objs | {ext}, next(_gens), next(_gens))
        for n in ir.stmt_writes(s):
            if n not in state.vars:
                state.vars[n] = Val(K.UNKNOWN, {ext}, next(_gens), next(_gens))
        for c, slots in list(state.slots.items()):
            if _all(slots) & touched:
                state.slots[c] = ("any", _all(slots) | {ext})

    def statement(self, s, state):
        if isinstance(s, Assign):
            return self.assign(s, state, (id(s),))
        if isinstance(s, AugAssign):
            return self.augassign(s, state, (id(s),))
        if isinstance(s, SetItem):
            return self.setitem(s, state, (id(s),))
        if isinstance(s, Mutate):
            return self.mutate(s, state, (id(s),))
        if isinstance(s, ExprStmt):
            return self.exprstmt(s, state, (id(s),))
        if isinstance(s, If):
            return [self.if_(s, state)]
        if isinstance(s, (For, While)):
            return [self.loop(s, state)]
        if isinstance(s, Break):
            self.breaks.append(state.copy())
        return [s]

    def if_(self, s, state):
        a = state.copy()
        body, a = self.block(s.body, a)
        b = state.copy()
        orelse, b = self.block(s.orelse, b)
        ends_a, ends_b = _ends(s.body), _ends(s.orelse)
        merged = join_states(None if ends_a else a, None if ends_b else b) or join_states(a, b)
        state.vars, state.slots, state.made = merged.vars, merged.slots, merged.made
        if not self.dry and self.mode == "rewrite":
            s.body, s.orelse = body, orelse
        return s

    def loop(self, s, state):
        outer_breaks, outer_dry = self.breaks, self.dry
        head = state.copy()
        if isinstance(s, For):
            head.vars[s.target] = Val(K.INT, (), next(_gens))
        self.dry = True
        try:
            for _ in range(20):
                self.breaks = []
                end = head.copy()
                if isinstance(s, For):
                    end.vars[s.target] = Val(K.INT, (), next(_gens))
                _, end = self.block(s.body, end)
                new_head = join_states(head, end)
                for n, v in new_head.vars.items():  # rebound in the loop: a new generation at each iteration
                    if n in end.vars and end.vars[n].gen != head.vars.get(n, Val(None)).gen:
                        new_head.vars[n] = Val(v.kind, v.objs, next(_gens), v.ident)
                if _same(new_head, head):
                    break
                head = new_head
        finally:
            self.dry = outer_dry
        self.breaks = []
        end = head.copy()
        if isinstance(s, For):
            end.vars[s.target] = Val(K.INT, (), next(_gens))
        body, end = self.block(s.body, end)
        if not self.dry and self.mode == "rewrite":
            s.body = body
        exit_state = join_states(head, end)
        for b in self.breaks:
            exit_state = join_states(exit_state, b)
        self.breaks = outer_breaks
        state.vars, state.slots, state.made = exit_state.vars, exit_state.slots, exit_state.made
        return s

    # -- values ---------------------------------------------------------------------------------------------
    def val(self, atom, state):
        if isinstance(atom, Var):
            v = state.vars.get(atom.name)
            return v if v is not None else Val(K.UNKNOWN)
        if isinstance(atom, Const):
            return Val(_const_kind(atom.value))
        if isinstance(atom, Global):
            k = _global_kind(atom.obj)
            if k.mutable and not isinstance(k, (K.Func, K.Other)):
                return Val(k, {self._memo(("global", atom.path), lambda: Obj(
                    "ext", desc=f"the global `{'.'.join(atom.path)}`"))})
            return Val(k)
        return Val(K.UNKNOWN)

    def bind(self, state, name, val):
        state.vars[name] = Val(val.kind, val.objs, next(_gens), val.ident if val.ident is not None else next(_gens))

    def assign(self, s, state, site):
        value = s.value
        if isinstance(value, Call) and isinstance(value.func, ir.Attr) and self.mode == "rewrite":
            done = self.method_call(s, value, state, site, target=s.target)
            if done is not None:
                return done
        if isinstance(value, Call) and isinstance(value.func, ir.Attr) and value.func.attr in ("items", "values") \
                and not value.args and self.mode == "rewrite" and \
                isinstance(self.val(value.func.value, state).kind, K.Dict):
            rt = _runtime()  # a dict's values or items, as a list (indexable by a loop; its adjoint is a dict)
            helper_fn = rt.dict_items if value.func.attr == "items" else rt.dict_values
            s = self.derived(s, Assign(s.targets, Call(Global(("_ad", helper_fn.__name__), helper_fn, rt),
                                                       (value.func.value,))))
            value = s.value
        if isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj is _runtime().iter_list \
                and self.mode == "rewrite":
            k = self.val(value.args[0], state).kind
            if isinstance(k, (K.Seq, K.Array)):  # a loop over a list, tuple or array indexes it directly
                s = self.derived(s, Assign(s.targets, value.args[0]))
                value = s.value
        if isinstance(value, Call) and isinstance(value.func, Global) and _lookup(MUTATING_FUNCTIONS, value.func.obj):
            return self.mutating_function(s, value, state, site)
        if isinstance(value, Call) and _writes_out(value):
            return self.write_out(s, value, state, site, s.target)
        val = self.evaluate(s, value, state, site)
        if not val.objs and (val.kind.mutable or isinstance(val.kind, K.Seq)) and not isinstance(value, Const) and \
                not (isinstance(value, Global) and not val.kind.mutable):
            # a value that may be mutable, of unknown provenance: an object the function did not make
            val = Val(val.kind, {self.ext(site, desc="a value this function did not make")})
        for t in s.targets:
            self.bind(state, t, val)
        return [s]

    def evaluate(self, s, value, state, site):
        if ir.is_atom(value):
            return self.val(value, state)
        if isinstance(value, Build):
            items = tuple(self.val(i, state) for i in value.items)
            kinds_ = tuple(v.kind for v in items)
            if value.kind == "dict":
                ok = all(isinstance(k, Const) for k in value.keys)
                kind = K.Dict(tuple(k.value for k in value.keys), kinds_) if ok else K.UNKNOWN
            else:
                cls = list if value.kind == "list" else tuple
                kind = K.Seq(cls, kinds_, K.join_all(kinds_) if kinds_ else None)
            obj = self.new(state, site, desc=f"the {value.kind} made on this line")
            state.slots[obj] = [v.objs for v in items]
            return Val(kind, {obj})
        if isinstance(value, ir.Closure):
            return Val(K.Func(value))
        if isinstance(value, ir.BinOp):
            return self.binop(s, value, state, site)
        if isinstance(value, ir.UnaryOp):
            if value.op == "not":
                return Val(K.BOOL)
            return self.fresh(state, site, [self.val(value.operand, state).kind])
        if isinstance(value, ir.Compare):
            if any(o in ("is", "is not", "in", "not in") for o in value.ops):
                return Val(K.BOOL)
            kinds_ = [self.val(x, state).kind for x in (value.left,) + value.rights]
            return self.fresh(state, site, kinds_, dtype="b", scalar=K.BOOL)
        if isinstance(value, Index):
            return self.index(s, value, state, site)
        if isinstance(value, ir.Attr):
            return self.attribute(s, value, state, site)
        if isinstance(value, Call):
            return self.call(s, value, state, site)
        return Val(K.UNKNOWN, {self.ext(site)})

    def fresh(self, state, site, kinds_, dtype="f", scalar=None, ndim="broadcast"):
        """A new value computed elementwise from operands of these kinds (a number, or a new array)."""
        if all(isinstance(k, K.Scalar) for k in kinds_):
            if scalar is not None:
                return Val(scalar)
            py = all(k.cls in (float, int, bool) for k in kinds_)
            return Val(K.FLOAT if py else K.Scalar(np.float64))
        if ndim == "broadcast":
            dims = [K.ndim_of(k) for k in kinds_]
            ndim = max(dims) if all(d is not None for d in dims) else None
        if ndim == 0:  # NumPy gives a scalar for 0-d operands
            return Val(scalar or K.Scalar(np.float64))
        kind = K.array(ndim, dtype) if any(isinstance(k, K.Array) for k in kinds_) or ndim is not None \
            else K.NUMERIC
        return Val(kind, {self.new(state, site, desc="the result of this line")})

    def array_result(self, state, site, ndim, dtype="f"):
        if ndim == 0:
            return Val(K.Scalar(np.float64))
        return Val(K.array(ndim, dtype), {self.new(state, site, desc="the array made on this line")})

    def binop(self, s, value, state, site):
        a, b = self.val(value.left, state), self.val(value.right, state)
        ka, kb = a.kind, b.kind
        if isinstance(ka, K.Seq) and isinstance(kb, K.Seq) and value.op == "+":
            obj = self.new(state, site, desc=f"the {ka.cls.__name__} made on this line")
            sa, sb = self.slots_of(a, state), self.slots_of(b, state)
            if isinstance(sa, list) and isinstance(sb, list):
                state.slots[obj] = list(sa) + list(sb)
            else:
                state.slots[obj] = ("any", _all(sa) | _all(sb))
            items = ka.items + kb.items if ka.items is not None and kb.items is not None else None
            return Val(K.Seq(ka.cls, items, K.join(ka.elem, kb.elem)), {obj})
        if (isinstance(ka, K.Seq) or isinstance(kb, K.Seq)) and value.op == "*" and (
                isinstance(ka, K.Scalar) or isinstance(kb, K.Scalar)):
            seq = a if isinstance(ka, K.Seq) else b
            obj = self.new(state, site, desc="the list made on this line")
            state.slots[obj] = ("any", _all(self.slots_of(seq, state)))
            return Val(K.Seq(seq.kind.cls, None, seq.kind.elem), {obj})
        if isinstance(ka, K.Seq) or isinstance(kb, K.Seq):
            return self.fresh(state, site, [K.ARRAY])  # NumPy makes an array of the list
        if value.op == "@":
            da, db = K.ndim_of(ka), K.ndim_of(kb)
            nd = None if da is None or db is None else (max(da, db) if min(da, db) >= 2 else da + db - 2)
            return self.fresh(state, site, [ka, kb], ndim=nd)
        return self.fresh(state, site, [ka, kb])

    def slots_of(self, val, state):
        out = None
        for o in val.objs:
            slots = state.slots.get(o)
            if slots is None:  # a container the function did not make: its items are not the function's either
                slots = ("any", frozenset({self._memo(("item", o.id), lambda: Obj(
                    "ext", desc="an item of " + o.desc))}))
                if o.external():
                    state.slots[o] = slots
            out = _join_slots(out, slots)
        return out if out is not None else ("any", frozenset())

    def index(self, s, value, state, site):
        base = self.val(value.value, state)
        k = base.kind
        if isinstance(k, (K.Seq, K.Dict)):
            slots = self.slots_of(base, state)
            key = value.items[0] if len(value.items) == 1 and not value.tuple_form else None
            if isinstance(key, Slice) and isinstance(k, K.Seq):
                obj = self.new(state, site, desc=f"the {k.cls.__name__} made by this slice")
                state.slots[obj] = _slice_slots(slots, key)
                return Val(K.Seq(k.cls, _slice_items(k.items, key), k.elem), {obj})
            if isinstance(key, Const):
                return Val(k.item(key.value), _slot_at(slots, key.value, k))
            return Val(k.elem if isinstance(k, K.Seq) else K.join_all(k.items), _all(slots))
        if isinstance(k, (K.Array, K.Numeric)) or k is K.UNKNOWN:
            basic = self.basic_index(value.items, state)
            if basic == "fancy" or not base.objs:
                return self.fresh(state, site, [k if k.numeric else K.NUMERIC])
            nd = self.index_ndim(k, value.items, state) if basic == "basic" else None
            if nd == 0:
                return Val(K.Scalar(np.float64))  # one element: a NumPy scalar, not a view
            kind = K.array(nd, k.dtype) if isinstance(k, K.Array) and nd is not None else K.NUMERIC
            # an index of ints into an array of unknown rank is an element (a copy) or a row (a view)
            how = "view" if basic == "basic" and nd is not None else "maybe"
            return self.make_view(s, state, site, base, value, how, kind)
        return Val(K.UNKNOWN, {self.ext(site)})

    def make_view(self, s, state, site, base, value, how, kind):
        parent = base.must()
        if parent is None:
            obj = self.view(state, site, next(iter(sorted(base.objs, key=lambda o: o.id))), "maybe")
            return Val(kind, {obj})
        obj = self.view(state, site, parent, how)
        state.made[obj] = (s, tuple((n, state.vars[n].gen if n in state.vars else None)
                                    for n in sorted(ir.names_in(value))))
        return Val(kind, {obj})

    def index_ndim(self, k, items, state):
        """The rank of `x[items]` for a basic index, or None."""
        nd = K.ndim_of(k)
        if nd is None:
            return None
        out = nd
        for i in items:
            if isinstance(i, Slice):
                continue
            if isinstance(i, Const) and i.value is None:
                out += 1
            elif isinstance(i, Const) and i.value is Ellipsis:
                continue
            elif self.is_int(i, state):
                out -= 1
            else:
                return None
        return out if out >= 0 else None

    def is_int(self, i, state):
        if isinstance(i, Const):
            return isinstance(i.value, (int, np.integer)) and not isinstance(i.value, bool)
        if isinstance(i, Var):
            k = self.val(i, state).kind
            return isinstance(k, K.Scalar) and k.cls in _INT_CLASSES
        return False

    def basic_index(self, items, state):
        """'basic' (slices, ints, None, ...: a view), 'fancy' (arrays, lists, masks: a copy) or 'maybe'."""
        out = "basic"
        for i in items:
            if isinstance(i, Slice):
                continue
            if isinstance(i, Const):
                if i.value is None or i.value is Ellipsis or (isinstance(i.value, (int, np.integer)) and
                                                              not isinstance(i.value, bool)):
                    continue
                return "fancy"
            k = self.val(i, state).kind
            if isinstance(k, K.Scalar):
                if k.cls in (bool, np.bool_):
                    return "fancy"
                if k.cls in _INT_CLASSES:
                    continue
            if isinstance(k, (K.Array, K.Seq)):
                return "fancy"
            if isinstance(k, K.Other) and k.cls in (slice, type(None), type(Ellipsis)):
                continue
            out = "maybe"
        return out

    def attribute(self, s, value, state, site):
        base = self.val(value.value, state)
        k = base.kind
        if value.attr in SHAPE_ATTRIBUTES and (k.numeric or k is K.UNKNOWN):
            return Val(K.Other(tuple) if value.attr in ("shape", "strides") else K.INT)
        how = VIEW_ATTRIBUTES.get(value.attr)
        if how is not None and (isinstance(k, (K.Array, K.Numeric)) or k is K.UNKNOWN) and base.objs:
            if value.attr == "flat":
                k = K.array(1, k.dtype) if isinstance(k, K.Array) else k
            return self.make_view(s, state, site, base, value, how, k if isinstance(k, K.Array) else K.NUMERIC)
        if isinstance(k, K.Obj):
            ak = k.attr(value.attr)
            if ak is not None:
                return Val(ak, {self.ext(site, desc=f"the attribute `.{value.attr}`")} if ak.mutable else ())
        if isinstance(k, K.Scalar):
            return Val(k if value.attr in ("real", "imag") else K.UNKNOWN)
        return Val(K.UNKNOWN, {self.ext(site, desc=f"the attribute `.{value.attr}`")})

    def call(self, s, value, state, site):
        func = value.func
        args = [self.val(a, state) for a in value.args if not isinstance(a, ir.Starred)]
        if isinstance(func, Global):
            obj = func.obj
            if obj in (_runtime().dict_items, _runtime().dict_values) and args and isinstance(args[0].kind, K.Dict):
                return self.call(s, Call(ir.Attr(value.args[0], "items" if obj is _runtime().dict_items
                                                 else "values"), ()), state, site)
            if obj is _runtime().iter_list and args:
                k = args[0].kind
                if isinstance(k, (K.Seq, K.Array)):
                    return args[0]
                if isinstance(k, K.Dict):
                    o = self.new(state, site, desc="the keys of a dict")
                    state.slots[o] = ("any", frozenset())
                    return Val(K.Seq(list, None, K.STR), {o})
                # the very object (a list, tuple or array), or a new list of its items
                return Val(K.UNKNOWN, args[0].objs | {self.ext(site)})
            if obj is _runtime().private_copy and args:
                return Val(args[0].kind, {self.private_objects(state, site, args[0].kind,
                                                               "a copy of an argument")})
            how = _lookup(VIEW_FUNCTIONS, obj)
            if how is not None and args and args[0].objs and not isinstance(args[0].kind, K.Seq):
                first = args[0]
                kind = _view_kind(first.kind, getattr(obj, "__name__", ""), value)
                if obj in (np.asarray, np.asanyarray) and isinstance(first.kind, K.Array) and len(value.args) == 1 \
                        and not value.kwargs:
                    return Val(first.kind, first.objs)  # the very same array
                return self.make_view(s, state, site, first, value, how, kind)
            if obj in (list, tuple) and len(value.args) == 1:
                a = args[0]
                o = self.new(state, site, desc=f"the {obj.__name__} made on this line")
                slots = self.slots_of(a, state) if isinstance(a.kind, K.Seq) else ("any", frozenset())
                state.slots[o] = slots
                items = a.kind.items if isinstance(a.kind, K.Seq) else None
                elem = a.kind.elem if isinstance(a.kind, K.Seq) else K.UNKNOWN
                return Val(K.Seq(obj, items, elem), {o})
            if obj in (len, int, round, builtins.hash, builtins.id):
                return Val(K.INT)
            if obj is bool or obj is isinstance:
                return Val(K.BOOL)
            if obj is float:
                return Val(K.FLOAT)
            if obj in (builtins.max, builtins.min) and len(args) == 1 and isinstance(args[0].kind, K.Seq):
                return Val(args[0].kind.elem, _all(self.slots_of(args[0], state)))
            if obj in (builtins.max, builtins.min, builtins.sum) and len(args) == 1 and args[0].kind.numeric:
                nd = K.ndim_of(args[0].kind)  # iterating an array gives its rows
                if nd == 1:
                    return Val(K.Scalar(np.float64))
                return self.fresh(state, site, [K.NUMERIC], ndim=None if nd is None else nd - 1)
            if obj in (builtins.max, builtins.min):
                return Val(K.join_all([a.kind for a in args]), frozenset().union(*(a.objs for a in args)))
            if obj is abs and len(args) == 1:
                return self.fresh(state, site, [args[0].kind])
            if obj in (abs, builtins.sum):
                if all(isinstance(a.kind, K.Scalar) for a in args):
                    return Val(K.FLOAT)
                if obj is builtins.sum and args and isinstance(args[0].kind, K.Seq) and \
                        isinstance(args[0].kind.elem, K.Scalar):
                    return Val(K.FLOAT)
                return self.fresh(state, site, [K.NUMERIC])
            if obj in (range, zip, enumerate, slice, str, repr, print, type):
                return Val(K.Other(obj if isinstance(obj, type) else type(None)))
            mod = (getattr(obj, "__module__", None) or "").split(".")[0]
            if mod in ("numpy", "math", "scipy") or isinstance(obj, np.ufunc) or self.ctx.has_rule(obj) or \
                    self.ctx.nondiff(obj):
                return self.library_result(s, value, obj, args, state, site)
            return Val(K.UNKNOWN, {self.ext(site)})
        if isinstance(func, ir.Attr):
            owner = self.val(func.value, state)
            k = owner.kind
            if isinstance(k, (K.Array, K.Numeric)) or (k is K.UNKNOWN and func.attr in VIEW_METHODS):
                how = VIEW_METHODS.get(func.attr)
                if how is not None and owner.objs:
                    return self.make_view(s, state, site, owner, value, how, _view_kind(k, func.attr, value, True))
                if func.attr == "item":
                    return Val(K.FLOAT)
                if func.attr in ("argmax", "argmin") and not value.args and not value.kwargs:
                    return Val(K.INT)
                if func.attr in ("tolist",):
                    return Val(K.UNKNOWN, {self.ext(site)})
                if func.attr in REDUCING_METHODS:
                    nd = _reduced_ndim(K.ndim_of(k), value, 0)
                    if nd == 0:
                        return Val(K.Scalar(np.float64))
                    return self.array_result(state, site, nd) if nd is not None else \
                        self.fresh(state, site, [K.NUMERIC])
                if func.attr in ("copy", "astype", "clip", "round", "conj", "conjugate", "cumsum", "cumprod"):
                    nd = K.ndim_of(k) if func.attr not in ("cumsum", "cumprod") or value.kwarg("axis") or \
                        value.args else 1
                    return self.fresh(state, site, [k], ndim=nd)
                if func.attr == "flatten":
                    return self.array_result(state, site, 1)
                if func.attr == "dot" and value.args:
                    other = self.val(value.args[0], state).kind
                    da, db = K.ndim_of(k), K.ndim_of(other)
                    nd = None if da is None or db is None else max(da + db - 2, 0)
                    return self.fresh(state, site, [k, other], ndim=nd)
                return self.fresh(state, site, [k], ndim=None)
            if k is K.UNKNOWN and func.attr == "copy" and not value.args and not value.kwargs:
                return Val(K.UNKNOWN, {self.new(state, site, desc="the copy made on this line")})
            if isinstance(k, K.Seq) and func.attr == "copy":
                o = self.new(state, site, desc="the list made on this line")
                state.slots[o] = self.slots_of(owner, state)
                return Val(k, {o})
            if isinstance(k, K.Seq) and func.attr in ("index", "count"):
                return Val(K.INT)
            if isinstance(k, K.Dict) and func.attr in ("values", "items", "keys") and not value.args:
                o = self.new(state, site, desc=f"the {func.attr} of a dict")
                vals = list(self.slots_of(owner, state)) if isinstance(self.slots_of(owner, state), list) else None
                if func.attr == "values" and vals is not None:
                    state.slots[o] = vals
                    return Val(K.Seq(list, k.items, K.join_all(k.items)), {o})
                if func.attr == "items" and vals is not None:
                    pairs = []
                    for key, kind, objs in zip(k.keys, k.items, vals):
                        p = self.new(state, site + ("pair", key), desc="a (key, value) pair")
                        state.slots[p] = [frozenset(), objs]
                        pairs.append((frozenset({p}), K.Seq(tuple, (K.Other(type(key)), kind), kind)))
                    state.slots[o] = [p for p, _ in pairs]
                    items = tuple(kk for _, kk in pairs)
                    return Val(K.Seq(list, items, K.join_all(items) if items else K.UNKNOWN), {o})
                state.slots[o] = ("any", frozenset())
                return Val(K.Seq(list, None, K.UNKNOWN), {o})
            if isinstance(k, K.Dict) and func.attr == "get" and value.args and isinstance(value.args[0], Const):
                key = value.args[0].value
                return Val(k.item(key), _slot_at(self.slots_of(owner, state), key, k))
            if isinstance(k, K.Scalar):
                return Val(K.FLOAT)
        return Val(K.UNKNOWN, {self.ext(site)})

    def oracle(self, obj, value, state):
        """The kind of `obj(args)` found by calling it on small arrays of the arguments' ranks (NumPy
        functions only), or None."""
        mod = getattr(obj, "__module__", "") or ""
        if not (isinstance(obj, np.ufunc) or mod.startswith("numpy")) or mod.startswith("numpy.random") or \
                getattr(obj, "__name__", "") in _ORACLE_UNSAFE:
            return None

        def dummy(atom):
            if isinstance(atom, Const):
                return atom.value
            return _dummy_of(self.val(atom, state).kind)

        try:
            args = [dummy(a) for a in value.args]
            kwargs = {k: dummy(v) for k, v in value.kwargs}
            import warnings

            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = obj(*args, **kwargs)
        except Exception:  # noqa: BLE001 (any failure: not known)
            return None
        k = K.kind_of(result)
        if isinstance(k, K.Array):
            return K.array(k.ndim, "b" if k.dtype == "b" else "f")
        return k if isinstance(k, K.Scalar) else None

    def library_result(self, s, value, obj, args, state, site):
        kinds_ = [a.kind for a in args]
        name = getattr(obj, "__name__", "")
        known = self.oracle(obj, value, state) if not isinstance(obj, np.ufunc) else None
        if known is not None and name not in VIEW_FUNCTIONS:
            if isinstance(known, K.Scalar):
                return Val(K.Scalar(np.float64) if known.cls is not bool else K.BOOL)
            return Val(known, {self.new(state, site, desc="the array made on this line")})
        if name in ("shape",):
            return Val(K.Other(tuple))
        if name in ("ndim", "size") or (name in ("count_nonzero", "argmax", "argmin") and
                                        value.kwarg("axis") is None and len(value.args) <= 1):
            return Val(K.INT)
        if getattr(obj, "__module__", "") == "math":
            return Val(K.FLOAT)
        if isinstance(obj, np.ufunc):
            return self.fresh(state, site, kinds_ + [self.val(v, state).kind for n, v in value.kwargs if n != "**"],
                              dtype="b" if obj in _BOOL_UFUNCS else "f",
                              scalar=K.BOOL if obj in _BOOL_UFUNCS else None)
        if name in SCALAR_REDUCTIONS and args:
            nd = _reduced_ndim(K.ndim_of(kinds_[0]), value, 1)
            if nd == 0 or (value.kwarg("axis") is None and len(value.args) <= 1 and
                           value.kwarg("keepdims") is None and name not in ("quantile", "percentile")):
                return Val(K.Scalar(np.float64))
            if nd is not None:
                return self.array_result(state, site, nd)
        if name in _ELEMENTWISE_FUNCTIONS:
            return self.fresh(state, site, kinds_)
        if name in ("array", "asarray", "asanyarray", "copy", "ascontiguousarray") and kinds_:
            return self.array_result(state, site, _nested_ndim(kinds_[0]))
        if name in ("zeros", "ones", "empty", "full") and value.args:
            shape = self.val(value.args[0], state).kind
            nd = 1 if isinstance(shape, K.Scalar) else len(shape.items) if isinstance(shape, K.Seq) and \
                shape.items is not None else None
            return self.array_result(state, site, nd)
        if name in ("zeros_like", "ones_like", "empty_like", "full_like") and kinds_:
            return self.array_result(state, site, K.ndim_of(kinds_[0]))
        if name in FRESH_ARRAYS or any(isinstance(k, K.Array) for k in kinds_):
            return self.array_result(state, site, None)
        if all(isinstance(k, K.Scalar) for k in kinds_) and kinds_:
            return Val(K.Scalar(np.float64))
        return Val(K.NUMERIC, {self.new(state, site)})

    # -- in-place operations --------------------------------------------------------------------------------
    def augassign(self, s, state, site):
        """`x op= v`: a rebinding, or an in-place update other names see."""
        if self.mode == "kinds":
            return self.assign(self.derived(s, Assign((s.target,), ir.BinOp(s.op, Var(s.target), s.value))), state,
                               site)
        v = self.val(Var(s.target), state)
        k = v.kind
        rebind = self.derived(s, Assign((s.target,), ir.BinOp(s.op, Var(s.target), s.value)))
        if not k.mutable or not v.objs:
            return self.assign(rebind, state, site)
        if isinstance(k, K.Seq) and k.cls is tuple:
            return self.assign(rebind, state, site)
        external = any(o.external() for o in v.objs)
        if not external and not self.sharing(s, state, v, exclude={s.target}):
            return self.assign(rebind, state, site)  # nobody else sees the object: the same as a new one
        if isinstance(k, K.Seq) and k.cls is list and s.op == "+":
            return self.mutate(self.derived(s, Mutate(Var(s.target), "extend", (s.value,))), state, site)
        if not isinstance(k, K.Array):
            t = s.target
            unknown = k in (K.UNKNOWN, K.NUMERIC)
            if external and not unknown:
                self.changeable(s, state, v, t)
            self.refuse(s, f"`{t} {s.op}= ...` cannot be differentiated: `{t}` is {_describe(k)}, and other names "
                           "see it, so it matters whether it changes in place",
                        f"write `{t} = {t} {s.op} ...` (a new value), or make it an array", deferred=unknown)
        self.changeable(s, state, v, s.target)
        temp = self.temp()
        compute = self.derived(s, Assign((temp,), ir.BinOp(s.op, Var(s.target), s.value)))
        out = self.assign(compute, state, site + ("compute",))
        store = self.derived(s, SetItem(Var(s.target), (Const(Ellipsis),), Var(temp)))
        return out + self.store(store, state, site + ("store",))

    def setitem(self, s, state, site):
        if self.mode == "kinds":
            return self.store(s, state, site)
        if s.op is not None and not isinstance(self.val(s.target, state).kind, (K.Seq, K.Dict)) and \
                self.val(s.target, state).kind is not K.UNKNOWN:
            # an array: `x[i] op= v` stores x[i] op v into x[i] (NumPy computes it the same way)
            t1, t2 = self.temp(), self.temp()
            get = self.derived(s, Assign((t1,), Index(s.target, s.items, s.tuple_form)))
            compute = self.derived(s, Assign((t2,), ir.BinOp(s.op, Var(t1), s.value)))
            put = self.derived(s, SetItem(s.target, s.items, Var(t2), tuple_form=s.tuple_form))
            return self.assign(get, state, site + ("get",)) + self.assign(compute, state, site + ("aug",)) + \
                self.store(put, state, site + ("put",))
        if s.op is not None:  # x[i] op= v  ->  t = x[i]; t op= v; x[i] = t (an item of a list may be an array)
            temp = self.temp()
            get = self.derived(s, Assign((temp,), Index(s.target, s.items, s.tuple_form)))
            aug = self.derived(s, AugAssign(temp, s.op, s.value))
            put = self.derived(s, SetItem(s.target, s.items, Var(temp), tuple_form=s.tuple_form))
            return self.assign(get, state, site + ("get",)) + self.augassign(aug, state, site + ("aug",)) + \
                self.store(put, state, site + ("put",))
        return self.store(s, state, site)

    def store(self, s, state, site):
        """`x[items] = value`: x's object changes; every other live name that sees it is refreshed."""
        target = self.val(s.target, state)
        name = s.target.name
        if self.mode == "kinds":
            kind = self.after_store(s, state, target)
            state.vars[name] = Val(kind, target.objs, target.gen, target.ident)
            if s.result is not None:
                self.bind(state, s.result, state.vars[name])
            return [s]
        if s.noop:
            obj = target.must()
        else:
            obj = self.changeable(s, state, target, name)
        if obj is not None and obj in state.slots or isinstance(target.kind, (K.Seq, K.Dict)):
            if isinstance(target.kind, K.Seq) and target.kind.cls is tuple and not s.noop:
                self.refuse(s, "a tuple cannot be changed", "build a new tuple, or use a list")
            key = s.items[0] if len(s.items) == 1 and not s.tuple_form else None
            if isinstance(key, Slice) and not s.noop:
                self.refuse(s, "assigning to a slice of a list cannot be differentiated (yet)",
                            "build the list with + or append")
        kind = self.after_store(s, state, target, obj)
        state.vars[name] = Val(kind, target.objs, target.gen, target.ident)
        if s.noop:
            return [s]
        return [s] + self.refresh(s, state, obj, name)

    def after_store(self, s, state, target, obj=None):
        """The kind of a container after `target[items] = value` (and its slots, updated in `state`)."""
        obj = obj if obj is not None else target.must()
        kind = target.kind
        if obj is None or not (obj in state.slots or isinstance(kind, (K.Seq, K.Dict))):
            return kind
        value = self.val(s.value, state)
        slots = state.slots.get(obj, ("any", frozenset()))
        key = s.items[0] if len(s.items) == 1 and not s.tuple_form else None
        if isinstance(key, Const) and isinstance(kind, K.Dict):
            keys, items = list(kind.keys), list(kind.items)
            slots = list(slots) if isinstance(slots, list) and len(slots) == len(keys) else \
                [_all(slots)] * len(keys)
            if key.value in keys:
                i = keys.index(key.value)
                slots[i], items[i] = value.objs, value.kind
            else:
                keys.append(key.value)
                items.append(value.kind)
                slots.append(value.objs)
            state.slots[obj] = slots
            return K.Dict(tuple(keys), tuple(items))
        if isinstance(key, Const) and isinstance(key.value, int) and isinstance(slots, list) and \
                -len(slots) <= key.value < len(slots):
            slots = list(slots)
            slots[key.value] = value.objs
            state.slots[obj] = slots
            if isinstance(kind, K.Seq) and kind.items is not None and len(kind.items) == len(slots):
                items = list(kind.items)
                items[key.value] = value.kind
                return K.Seq(kind.cls, tuple(items), K.join_all(items))
            return kind
        state.slots[obj] = ("any", _all(slots) | value.objs)
        if isinstance(kind, K.Seq):
            return K.Seq(kind.cls, kind.items if isinstance(key, Var) and False else None,
                         K.join(kind.elem, value.kind))
        return K.UNKNOWN

    def changeable(self, s, state, val, name):
        """The object a store through `name` changes (or a located refusal). When `name` may be one of several
        objects (it depends on the path taken, or on the iteration), the store is exact only if no other
        live name can see any of them."""
        if not val.objs:
            if isinstance(val.kind, K.Scalar):
                self.refuse(s, f"`{name}` is a number: it has no items to change", "use an array")
            self.refuse(s, f"cannot tell which object `{name}` is here", "make a copy first",
                        deferred=self.generic)
        for obj in sorted(val.objs, key=lambda o: o.id):
            root = obj.root()
            if root.kind == "ext":
                param = self.param_of(root)
                if param is not None and self.copyable(self.param_kind(param)) and not self.dry and \
                        self.mode == "rewrite":
                    raise Privatize(param)  # work on a copy of the argument (the caller's stays as it is)
                if root.param is not None:
                    via = "" if root.param == name else f" (through `{name}`)"
                    pk = self.param_kind(root.param)
                    what = "array" if isinstance(pk, K.Array) else "value"
                    self.refuse(s, f"this changes the argument `{root.param}` in place{via}: the caller's {what} "
                                   "would change", f"work on a copy: `{root.param} = {root.param}.copy()` first",
                                deferred=pk in (K.UNKNOWN, K.NUMERIC))
                via = '' if root.desc.endswith(name + '`') else ' (through `' + name + '`)'
                self.refuse(s, f"this changes {root.desc} in place{via}, which the function did not make",
                            f"work on a copy: `{name} = {name}.copy()` first", deferred=self.generic)
            p = obj
            while p is not None:
                if p.how == "readonly":
                    self.refuse(s, f"`{name}` is a read-only view (np.broadcast_to, np.diagonal)",
                                "make a copy first")
                p = p.parent
        obj = val.must()
        if obj is not None and not obj.is_old:
            return obj
        same = {n for n, v in state.vars.items() if val.ident is not None and v.ident == val.ident}  # refreshed by copy
        if self.sharing(s, state, val, exclude={name} | same):
            if obj is None:
                self.refuse(s, f"`{name}` may be one of several arrays here (it depends on the path taken), and "
                               "other names may see them, so changing it in place cannot be differentiated exactly",
                            f"make a copy first: `{name} = {name}.copy()`", deferred=self.generic)
            self.refuse(s, f"`{name}` refers to an array made in an earlier iteration of the loop, which other "
                           "values may share", "make a copy first, in this iteration")
        return obj if obj is not None else sorted(val.objs, key=lambda o: o.id)[0]

    def param_of(self, root):
        """The argument an external object is (or is an item of, at any depth), or None."""
        if root.param is not None:
            return root.param
        for key, obj in self.objects.items():
            if obj is root and key[0] == "item":
                owner = next((o for o in self.objects.values() if o.id == key[1]), None)
                return self.param_of(owner) if owner is not None else None
        return None

    def copyable(self, kind):
        if isinstance(kind, K.Array):
            return True
        if isinstance(kind, K.Seq):
            return all(self.copyable(k) or not k.mutable for k in (kind.items or (kind.elem,)))
        if isinstance(kind, K.Dict):
            return all(self.copyable(k) or not k.mutable for k in kind.items)
        return False

    def param_kind(self, p):
        for q, k in zip(self.fn.params, self.param_kinds):
            if q == p:
                return k
        return K.UNKNOWN

    def sharing(self, s, state, val, exclude=()):
        """Live names and containers other than `exclude` that may see the memory of `val`'s objects."""
        tree = set()
        for o in val.objs:
            tree |= self.tree_of(o.root(), state)
        live = self.live_after(s)
        out = [n for n, v in state.vars.items() if n not in exclude and n in live and v.objs & tree]
        out += [c for c, slots in state.slots.items() if _all(slots) & tree and self.container_live(c, state, live)]
        return out

    def container_live(self, c, state, live, seen=None):
        seen = set() if seen is None else seen
        if c in seen:
            return False
        seen.add(c)
        if any(c in v.objs and n in live for n, v in state.vars.items()):
            return True
        return any(c in _all(slots) and self.container_live(c2, state, live, seen)
                   for c2, slots in state.slots.items())

    def tree_of(self, root, state):
        """`root` and every view of it (transitively) referenced in this state."""
        objs = {root}
        every = state.referenced()
        grew = True
        while grew:
            grew = False
            for o in every:
                if o not in objs and o.parent is not None and o.parent in objs:
                    objs.add(o)
                    grew = True
        return objs

    def refresh(self, s, state, obj, name):
        """Statements telling every other live name that sees `obj`'s memory where its new value comes from."""
        out = []
        live = self.live_after(s)
        new_name = {obj: name}  # object -> the name holding its new value
        child = obj
        while child.parent is not None:  # up: the base of a changed view gets the view's new value
            made = state.made.get(child)
            up = self.inverse(s, made, child, new_name[child], state) if made and made[1] is not None and \
                self.unchanged(state, made[1]) else None
            if up is None:
                others = self.tree_of(child.root(), state) - {child}
                if self.anyone_sees(state, others, live, {new_name[child]}):
                    how = "may be a copy or a view" if child.how == "maybe" else \
                        "is a view whose making has changed since (or is not known here)"
                    self.refuse(s, f"`{name}` {how} of an array that is used later, so changing it in place cannot "
                                   "be differentiated exactly",
                                "change the base array directly (index it), or work on an explicit `.copy()`",
                                deferred=self.generic)
                break  # nobody else sees the base: refresh from this view down
            pname, stmts = up
            out.extend(stmts)
            new_name[child.parent] = pname
            child = child.parent
        tree = self.tree_of(child, state)
        seen = set()  # the views some live name or live container sees, and the views they are made from
        for o in tree:
            holders = [n for n, v in state.vars.items() if o in v.objs]
            if any(n in live for n in holders) or self.in_live_container(o, state, live):
                p = o
                while p is not None and p not in seen:
                    seen.add(p)
                    p = p.parent
        for o in sorted((o for o in tree if o not in new_name and o in seen), key=_depth):  # down: other views
            if o.parent not in new_name:
                continue
            holders = [n for n, v in state.vars.items() if v.objs == frozenset({o})]
            made = state.made.get(o)
            if made is None or made[1] is None or not self.unchanged(state, made[1]):
                self.refuse(s, f"`{(holders or [name])[0]}` shares memory with the array changed here, but how it was "
                               "made has changed since", "make it again after the change, or make a copy")
            stmt = made[0]
            target = stmt.target if stmt.target in holders else (holders[0] if holders else self.temp())
            parent_var = self.var_of(stmt.value, o.parent, state)
            if o.how == "maybe":
                if not _reshaping(stmt.value):
                    self.refuse(s, f"`{(holders or [name])[0]}` may be a copy or a view of the array changed here",
                                "make an explicit copy (`.copy()`), or index the changed array directly",
                                deferred=self.generic)
                out.append(self.view_check(s, target, parent_var))
            value = ir.rename_expr(stmt.value, {parent_var: new_name[o.parent]})
            out.append(self.derived(s, Assign((target,), value, noop=True)))
            new_name[o] = target
        mine = state.vars.get(name)
        for n, v in list(state.vars.items()):  # aliases
            if not (v.objs & tree) or n in new_name.values() or n not in live:
                continue
            if mine is not None and mine.ident is not None and v.ident == mine.ident and n != name:
                out.append(self.derived(s, Assign((n,), Var(name), noop=True)))  # the very same value
                continue
            if len(v.objs) != 1 or next(iter(v.objs)) not in new_name:
                if v.objs & tree == {obj}:
                    # `n` is the changed object on some paths (or iterations) and an unrelated one on others:
                    # which, is known when the program runs
                    refresh = self.derived(s, Assign((n,), Var(name), noop=True))
                    test = self.temp()
                    out.append(self.derived(s, Assign((test,), ir.Compare(Var(n), ("is",), (Var(name),)))))
                    out.append(self.derived(s, If(Var(test), [refresh], [])))
                    continue
                self.refuse(s, f"`{n}` may or may not share memory with `{name}` here (it depends on the path taken), "
                               f"so changing `{name}` in place cannot be differentiated exactly",
                            f"make a copy first: `{name} = {name}.copy()`", deferred=self.generic)
            out.append(self.derived(s, Assign((n,), Var(new_name[next(iter(v.objs))]), noop=True)))
        out.extend(self.refresh_containers(s, state, tree, new_name, live, name))
        # (a refresh changes no binding: every name still refers to the same object as before)
        return out

    def view_check(self, s, view, base):
        origin = s.origin
        where = origin.unit.location(origin.node).describe() if origin is not None else "here"
        return self.derived(s, ExprStmt(Call(Global(("_ad", "check_view"), _runtime().check_view, _runtime()), (
            Var(view), Var(base), Const(where)))))

    def var_of(self, expr, parent_obj, state):
        for n in sorted(ir.names_in(expr)):
            v = state.vars.get(n)
            if v is not None and parent_obj in v.objs:
                return n
        return None

    def in_live_container(self, o, state, live):
        return any(o in _all(slots) and self.container_live(c, state, live) for c, slots in state.slots.items())

    def anyone_sees(self, state, objs, live, exclude):
        if any(n in live and n not in exclude and v.objs & objs for n, v in state.vars.items()):
            return True
        return any(self.in_live_container(o, state, live) for o in objs)

    def refresh_containers(self, s, state, tree, new_name, live, name):
        """Lists, tuples and dicts holding a changed object get its new value in that slot."""
        out = []
        changed = set(new_name)
        grew = True
        while grew:
            grew = False
            for c, slots in list(state.slots.items()):
                if c in new_name or not (_all(slots) & changed) or not self.container_live(c, state, live):
                    continue
                holders = [n for n, v in state.vars.items() if v.objs == frozenset({c})]
                if not holders or not isinstance(slots, list):
                    self.refuse(s, f"a list, tuple or dict holding `{name}` is used later, and the compiler cannot "
                                   "tell which of its items is the changed array",
                                "make a copy before changing it, or build the list after the change")
                cname = holders[0]
                for i, objs in enumerate(slots):
                    if not (objs & changed):
                        continue
                    if len(objs) != 1:
                        self.refuse(s, f"an item of `{cname}` may or may not be `{name}` (it depends on the path "
                                       "taken)", "make a copy before changing it")
                    key = self.slot_key(c, i, state)
                    out.append(self.derived(s, SetItem(Var(cname), (Const(key),), Var(new_name[next(iter(objs))]),
                                                       noop=True)))
                new_name[c] = cname
                changed.add(c)
                for n in holders[1:]:
                    if n in live:
                        out.append(self.derived(s, Assign((n,), Var(cname), noop=True)))
                grew = True
        return out

    def slot_key(self, c, i, state):
        for v in state.vars.values():
            if c in v.objs and isinstance(v.kind, K.Dict):
                return v.kind.keys[i]
        return i

    def unchanged(self, state, gens):
        return all(state.vars.get(n) is not None and state.vars[n].gen == g for n, g in gens)

    def inverse(self, s, made, child, child_name, state):
        """(base name, statements) giving a view's base its new value from the view's, or None."""
        stmt = made[0]
        value = stmt.value
        parent_var = self.var_of(value, child.parent, state)
        if parent_var is None:
            return None
        if child.how == "maybe" and _reshaping(value):
            # NumPy made a view if the layout allowed it: check that it did, then the base is the view reshaped
            check = self.view_check(s, child_name, parent_var)
            shape = self.temp()
            get_shape = self.derived(s, Assign((shape,), Call(Global(("np", "shape"), np.shape, np),
                                                              (Var(parent_var),))))
            new = Call(Global(("np", "reshape"), np.reshape, np), (Var(child_name), Var(shape)))
            return parent_var, [check, get_shape, self.derived(s, Assign((parent_var,), new, noop=True))]
        if isinstance(value, Var):
            return parent_var, [self.derived(s, Assign((parent_var,), Var(child_name), noop=True))]
        if isinstance(value, Index) and value.value == Var(parent_var) and child.how == "view":
            return parent_var, [self.derived(s, SetItem(Var(parent_var), value.items, Var(child_name),
                                                        tuple_form=value.tuple_form, noop=True))]
        transpose = (isinstance(value, ir.Attr) and value.attr == "T") or (
            isinstance(value, Call) and isinstance(value.func, ir.Attr) and value.func.attr == "transpose" and
            not value.args and not value.kwargs) or (
            isinstance(value, Call) and isinstance(value.func, Global) and value.func.obj is np.transpose and
            len(value.args) == 1 and not value.kwargs)
        if transpose and child.how == "view":
            new = Call(Global(("np", "transpose"), np.transpose, np), (Var(child_name),))
            return parent_var, [self.derived(s, Assign((parent_var,), new, noop=True))]
        return None

    # -- methods and functions that change their arguments --------------------------------------------------
    def exprstmt(self, s, state, site):
        call = s.value
        if isinstance(call, Call) and isinstance(call.func, ir.Attr) and self.mode == "rewrite":
            done = self.method_call(s, call, state, site, target=None)
            if done is not None:
                return done
        if isinstance(call, Call) and isinstance(call.func, Global) and _lookup(MUTATING_FUNCTIONS, call.func.obj):
            return self.mutating_function(s, call, state, site)
        if isinstance(call, Call) and _writes_out(call):
            return self.write_out(s, call, state, site, None)
        return [s]

    def write_out(self, s, call, state, site, target):
        """`f(a, b, out=c)`: computed as `t = f(a, b)` and stored with `c[...] = t` (and `target = c`)."""
        out = call.kwarg("out")
        if isinstance(out, Var):
            dest = out
        else:
            self.refuse(s, "a call writing its result into something other than one named array (`out=`)",
                        "assign the result instead")
        temp = self.temp()
        plain = Call(call.func, call.args, tuple((k, v) for k, v in call.kwargs if k != "out"))
        stmts = self.assign(self.derived(s, Assign((temp,), plain)), state, site + ("out",))
        stmts += self.store(self.derived(s, SetItem(dest, (Const(Ellipsis),), Var(temp))), state, site + ("store",))
        if target is not None:
            stmts += self.assign(self.derived(s, Assign((target,), dest)), state, site + ("alias",))
        return stmts

    def mutating_function(self, s, call, state, site):
        name = MUTATING_FUNCTIONS[call.func.obj]
        if name == "copyto" and len(call.args) == 2 and not call.kwargs and isinstance(call.args[0], Var):
            return self.store(self.derived(s, SetItem(call.args[0], (Const(Ellipsis),), call.args[1])), state, site)
        self.refuse(s, f"`np.{name}` changes an array in place and cannot be differentiated (yet)",
                    "compute the new array with indexing and assignment instead")

    def method_call(self, s, call, state, site, target):
        """In-place methods of lists and arrays, as explicit stores; None for other methods."""
        owner = call.func.value
        if not isinstance(owner, Var):
            return None
        method = call.func.attr
        k = self.val(owner, state).kind
        if isinstance(k, K.Seq) and k.cls is list and method in LIST_MUTATORS:
            if method not in ("append", "extend", "pop", "clear") or (method == "pop" and call.args):
                self.refuse(s, f"the list method `.{method}({'i' if call.args and method == 'pop' else ''})` cannot "
                               "be differentiated (yet)", "build a new list instead (slicing, +, sorted(...))")
            return self.mutate(self.derived(s, Mutate(owner, method, call.args, out=target)), state, site)
        if isinstance(k, K.Dict) and method in DICT_MUTATORS:
            self.refuse(s, f"the dict method `.{method}()` cannot be differentiated (yet)",
                        "assign the keys one by one: `d[k] = v`")
        if method in ARRAY_MUTATORS and (isinstance(k, (K.Array, K.Numeric)) or k is K.UNKNOWN):
            if method == "setflags":
                return [s]
            if target is not None:
                self.refuse(s, f"using the value of `.{method}()`", "call it as a statement")
            if method == "fill" and len(call.args) == 1 and not call.kwargs:
                return self.store(self.derived(s, SetItem(owner, (Const(Ellipsis),), call.args[0])), state, site)
            if method == "sort" and len(call.args) <= 1 and all(kw in ("axis", "kind") for kw, _ in call.kwargs):
                temp = self.temp()
                sort = self.derived(s, Assign((temp,), Call(Global(("np", "sort"), np.sort, np), (owner,) + call.args,
                                                            call.kwargs)))
                store = self.derived(s, SetItem(owner, (Const(Ellipsis),), Var(temp)))
                return self.assign(sort, state, site + ("sort",)) + self.store(store, state, site + ("store",))
            self.refuse(s, f"the in-place array method `.{method}()` cannot be differentiated (yet)",
                        f"compute the new values and assign them: `{owner.name}[...] = ...`")
        return None

    def mutate(self, m, state, site):
        target = self.val(m.target, state)
        name = m.target.name
        obj = target.must() if self.mode == "kinds" else self.changeable(m, state, target, name)
        slots = state.slots.get(obj, ("any", frozenset())) if obj is not None else ("any", frozenset())
        kind = target.kind if isinstance(target.kind, K.Seq) else K.Seq(list, None, K.UNKNOWN)
        out_val = None
        if m.method == "append":
            value = self.val(m.args[0], state)
            if isinstance(slots, list):
                slots = list(slots) + [value.objs]
            else:
                slots = ("any", slots[1] | value.objs)
            items = kind.items + (value.kind,) if kind.items is not None else None
            kind = K.Seq(list, items, K.join_all(items) if items else K.join(kind.elem, value.kind))
        elif m.method == "extend":
            value = self.val(m.args[0], state)
            other = self.slots_of(value, state) if isinstance(value.kind, K.Seq) else ("any", frozenset())
            vk = value.kind if isinstance(value.kind, K.Seq) else K.Seq(list, None, K.UNKNOWN)
            if isinstance(slots, list) and isinstance(other, list) and kind.items is not None and \
                    vk.items is not None:
                slots = list(slots) + list(other)
                items = kind.items + vk.items
            else:
                slots = ("any", _all(slots) | _all(other))
                items = None
            kind = K.Seq(list, items, K.join(kind.elem, vk.elem) if kind.items != () else vk.elem)
        elif m.method == "pop":
            if isinstance(slots, list) and slots:
                out_val = Val(kind.items[-1] if kind.items else K.UNKNOWN, slots[-1])
                slots = list(slots[:-1])
                items = kind.items[:-1] if kind.items else None
            else:
                out_val = Val(kind.item(), _all(slots))
                items = None
            kind = K.Seq(list, items, kind.elem)
        elif m.method == "clear":
            slots = []
            kind = K.Seq(list, (), None)
        if obj is not None:
            state.slots[obj] = slots
        state.vars[name] = Val(kind, target.objs, target.gen, target.ident)
        if self.mode == "kinds":
            if m.result is not None:
                self.bind(state, m.result, state.vars[name])
            if m.out is not None:
                self.bind(state, m.out, out_val or Val(K.UNKNOWN))
            return [m]
        if m.out is not None:
            self.bind(state, m.out, out_val or Val(K.UNKNOWN))
        return [m] + self.refresh(m, state, obj, name)

    # -- liveness -------------------------------------------------------------------------------------------
    def live_after(self, s):
        if self._live is None:
            self._live = liveness(self.fn)[0]
        return self._live.get(self.live_key.get(id(s), id(s)), _Everything())


class _Everything:
    """Liveness of statements made by this pass (not in the original): assume every name is live."""

    def __contains__(self, item):
        return True


# -- helpers ----------------------------------------------------------------------------------------------
_ORACLE_UNSAFE = {"save", "savez", "savetxt", "load", "loadtxt", "genfromtxt", "fromfile", "tofile", "memmap",
                  "copyto", "put", "place", "putmask", "fill_diagonal", "shares_memory", "may_share_memory",
                  "einsum_path", "seterr", "set_printoptions", "frombuffer", "fromiter"}


class _NoDummy(Exception):
    pass


def _dummy_of(kind):
    """A small value of this kind, to find the rank of a NumPy function's result."""
    if isinstance(kind, K.Array) and kind.ndim is not None:
        return np.full((2,) * kind.ndim, 0.5, dtype=bool if kind.dtype == "b" else float)
    if isinstance(kind, K.Scalar):
        return 1 if kind.cls in _INT_CLASSES else (True if kind.cls in (bool, np.bool_) else 0.5)
    if isinstance(kind, K.Seq) and kind.items is not None:
        return kind.cls(_dummy_of(k) for k in kind.items)
    if isinstance(kind, K.Other) and kind.cls in (type(None), str):
        return None
    raise _NoDummy()


def _nested_ndim(kind):
    """The rank of np.array(value) for a value of this kind (None when not known)."""
    if isinstance(kind, K.Scalar):
        return 0
    if isinstance(kind, K.Array):
        return kind.ndim
    if isinstance(kind, K.Seq):
        inner = [_nested_ndim(k) for k in (kind.items if kind.items is not None else (kind.elem,))]
        if inner and all(d is not None and d == inner[0] for d in inner):
            return inner[0] + 1
    return None


def _reduced_ndim(ndim, call, axis_position):
    """The rank after a reduction `f(x, axis=..., keepdims=...)` (axis also the argument at `axis_position`)."""
    axis = call.kwarg("axis")
    if axis is None and len(call.args) > axis_position and axis_position > 0:
        axis = call.args[axis_position]
    elif axis is None and axis_position == 0 and call.args:
        axis = call.args[0]
    keep = call.kwarg("keepdims")
    keep = isinstance(keep, Const) and keep.value is True
    if ndim is None:
        return None
    if keep:
        return ndim
    if axis is None or isinstance(axis, Const) and axis.value is None:
        return 0
    if isinstance(axis, Const) and isinstance(axis.value, int):
        return max(ndim - 1, 0)
    if isinstance(axis, Const) and isinstance(axis.value, tuple):
        return max(ndim - len(axis.value), 0)
    return None


def _view_kind(k, name, call, method=False):
    """The kind of a view made by `name` (np.transpose, x.reshape, ...) of a value of kind k."""
    if not isinstance(k, K.Array):
        return K.NUMERIC
    nd = k.ndim
    if name in ("transpose", "swapaxes", "moveaxis", "flip", "fliplr", "flipud", "rot90", "real", "view", "T",
                "mT", "asarray", "asanyarray"):
        pass
    elif name == "ravel":
        nd = 1
    elif name == "expand_dims" and nd is not None:
        nd += 1
    elif name in ("atleast_1d", "atleast_2d", "atleast_3d") and nd is not None:
        nd = max(nd, int(name[-2]))
    elif name == "reshape":
        shape = call.args if method else call.args[1:2] + tuple(v for n, v in call.kwargs if n in ("newshape",
                                                                                                     "shape"))
        if method and len(shape) == 1 and isinstance(shape[0], Const) and isinstance(shape[0].value, tuple):
            nd = len(shape[0].value)
        elif method and shape and all(isinstance(a, (Const, Var)) for a in shape) and len(shape) > 1:
            nd = len(shape)
        elif method and len(shape) == 1 and isinstance(shape[0], Const) and isinstance(shape[0].value, int):
            nd = 1
        elif not method and len(shape) == 1 and isinstance(shape[0], Const):
            nd = len(shape[0].value) if isinstance(shape[0].value, tuple) else 1
        else:
            nd = None
    else:
        nd = None
    return K.array(nd, k.dtype)


def _reshaping(value):
    """Is this the making of a reshaped view (`x.reshape(...)`, `x.ravel()`, `np.reshape(x, ...)`,
    `np.ravel(x)`, `np.asarray(x)`)?"""
    if isinstance(value, Call) and isinstance(value.func, ir.Attr):
        return value.func.attr in ("reshape", "ravel")
    if isinstance(value, Call) and isinstance(value.func, Global):
        return value.func.obj in (np.reshape, np.ravel, np.asarray, np.asanyarray)
    return False


def _runtime():
    from . import runtime

    return runtime


def _writes_out(call):
    return any(k == "out" and not (isinstance(v, Const) and v.value is None) for k, v in call.kwargs)


def _ends(block):
    return bool(block) and isinstance(block[-1], Break)


def _depth(o):
    d = 0
    while o.parent is not None:
        o = o.parent
        d += 1
    return (d, o.id)


def _lookup(table, obj):
    try:
        return table.get(obj)
    except TypeError:
        return None


def _describe(k):
    if k in (K.NUMERIC, K.UNKNOWN):
        return "not known to be a number or an array here"
    return f"a {k.describe()}"


def _const_kind(value):
    if isinstance(value, bool):
        return K.BOOL
    if isinstance(value, int):
        return K.INT
    if isinstance(value, float):
        return K.FLOAT
    return K.Other(type(value))


def _global_kind(obj):
    if isinstance(obj, np.ndarray):
        return K.Array(np.ndarray, obj.dtype.kind)
    if isinstance(obj, (int, float, bool, np.generic)):
        return K.Scalar(type(obj))
    if isinstance(obj, tuple):
        return K.Seq(tuple, None, K.UNKNOWN)
    if isinstance(obj, (list, dict)):
        return K.UNKNOWN
    if callable(obj):
        return K.Func(obj)
    return K.Other(type(obj))


def _slot_at(slots, key, kind):
    if isinstance(slots, list):
        if isinstance(kind, K.Dict):
            if key in kind.keys and len(slots) == len(kind.keys):
                return slots[list(kind.keys).index(key)]
            return _all(slots)
        if isinstance(key, int) and -len(slots) <= key < len(slots):
            return slots[key]
    return _all(slots)


def _slice_bounds(sl):
    if all(e is None or isinstance(e, Const) for e in (sl.lower, sl.upper, sl.step)):
        return slice(*(e.value if e is not None else None for e in (sl.lower, sl.upper, sl.step)))
    return None


def _slice_slots(slots, sl):
    bounds = _slice_bounds(sl)
    if isinstance(slots, list) and bounds is not None:
        return list(slots[bounds])
    return ("any", _all(slots))


def _slice_items(items, sl):
    bounds = _slice_bounds(sl)
    if items is not None and bounds is not None:
        return tuple(items[bounds])
    return None


def resolve(fn, param_kinds, alloc, ctx):
    """Rewrite the in-place operations of a (pre-SSA) function, in place.

    An argument the function changes in place (directly, through an alias or a view, or an item of it)
    is copied when the function starts (`x = _ad.private_copy(x)`): the derivative then sees exactly what
    the function computes, and the caller's values are left as they are."""
    original = ir.clone(fn.body)
    private = []
    while True:
        try:
            Alias(fn, param_kinds, alloc, ctx).run()
            return fn
        except Privatize as p:
            if p.param in private:
                raise AssertionError(f"alias: {p.param} is already a private copy")
            private.append(p.param)
            fn.body = [_private_copy(fn, q) for q in private] + ir.clone(original)


def _private_copy(fn, param):
    runtime = _runtime()
    stmt = Assign((param,), Call(Global(("_ad", "private_copy"), runtime.private_copy, runtime), (Var(param),)))
    first = next((s for s in fn.body if s.origin is not None), None)
    if first is not None:
        stmt.origin = ir.Origin(first.origin.unit, first.origin.unit.tree, first.origin.unit.tree)
    return stmt


def infer_kinds(fn, param_kinds, ctx):
    """The kind of every SSA name of `fn` (name -> Kind)."""
    a = Alias(fn, param_kinds, None, ctx, mode="kinds")
    state = a.run()
    return {n: v.kind for n, v in state.vars.items()}
