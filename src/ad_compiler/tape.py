"""Pass 9, tape policy: what the forward sweep saves so that the adjoint sweep sees the values it reads.

Restore semantics: before a loop overwrites a value the adjoint sweep reads, the forward sweep pushes the
old value on a tape (a plain list), and the adjoint sweep pops it back right after the adjoint of that
assignment; so at every point of the adjoint sweep each name holds the value it had at the same point of
the forward sweep. The same for what a store (`y[i] = v`) or a list method overwrites, in or out of loops.
Only what the adjoint sweep reads is saved (decided once the adjoint is built): a value read only for its
shape is saved as its shape; a loop variable's end-of-iteration value is recovered from the next
iteration's instead of saved; cheap reads of loop-invariant arrays (`xs[t]`) are recomputed.

Its parts: which values are saved (tape_decide.py), the segments of checkpointed loops (tape_checkpoint.py).
"""
from . import ir, kinds as K, lower, sharing
from .adjoints import assign, helper
from .ir import Assign, Call, Const, ExprStmt, For, Global, If, Index, Mutate, SetItem, Var, While
from .reverse import Marker
from .tape_checkpoint import Checkpoints, copy as _copy
from .tape_decide import what_to_save


class Tape:
    """The tape of one derivative: what to save (`decide`, tape_decide.py), the adjoint sweep's markers made
    statements (`resolve`), the forward sweep with its pushes (`forward`), checkpointed loops' segments
    (tape_checkpoint.py)."""

    def __init__(self, rev, fn, alloc):
        self.rev = rev
        self.fn = fn
        self.alloc = alloc
        self.name = None
        self.storage = sharing.classes(fn.body, rev.kinds)
        self.fixed = sharing.fixed_objects(fn)
        self.checkpoints = Checkpoints(self)  # (tape_checkpoint.py)
        self.keys = None  # dict name -> the keys it surely has (dicts_keys), when a store asks
        self.for_caller = True  # does code run after the adjoint sweep, reading the arguments and the output?

    def tape(self):
        if self.name is None:
            self.name = self.alloc.fresh("tape")
        return self.name

    # -- what to save (tape_decide.py) ----------------------------------------------------------------------
    def decide(self, adjoint):
        """Decide what the forward sweep saves, from what the adjoint sweep reads."""
        self.saved, self.shape_only, self.as_tuple, self.needed_reads = what_to_save(self, adjoint)
        if self.saved or self.rev.nested_counters:
            self.tape()
        return self.saved

    def kept_key(self, s):
        """Does the store `d[key] = v` overwrite a key the dict surely has already (dicts_keys)? Then what it
        overwrites is saved as `d[key]` and put back by a plain store, which a derivative of the derivative reads
        like any store (`_ad.restore_item` may remove a key: explore --mode hessian, seed 3434)."""
        if self.keys is None:
            self.keys = dicts_keys(self.fn.body)
        if not isinstance(s.target, Var) or len(s.items) != 1 or not isinstance(s.items[0], Const):
            return False
        key = s.items[0].value
        return (type(key), key) in self.keys.get(s.target.name, ())

    # -- markers --------------------------------------------------------------------------------------------
    def pop(self):
        return Call(ir.Attr(Var(self.tape()), "pop"), ())

    def resolve(self, stmts):
        out = []
        rev = self.rev
        for s in stmts:
            if isinstance(s, Marker):
                k = s.kind
                if k == "restore" and s.name in self.saved:
                    out.append(assign(s.name, self.pop()))
                elif k == "recover" and s.name in self.needed_reads and s.name not in rev.recomputable:
                    out.append(assign(s.name, Var(s.source)))
                elif k == "recompute" and s.name in self.needed_reads:
                    out.append(assign(s.name, s.stmt.value))
                elif k == "restore_item" and ("item", id(s.stmt)) in self.saved:
                    st = s.stmt
                    if isinstance(self.rev.kinds.get(st.target.name), (K.Array, K.Numeric)):
                        out.append(SetItem(st.target, st.items, self.pop(), tuple_form=st.tuple_form))
                        out[-1].saved_item = id(st)
                    elif self.kept_key(st):
                        out.append(SetItem(st.target, st.items, self.pop(), tuple_form=st.tuple_form))
                    else:  # a list or dict (a store may have added the key)
                        out.append(ExprStmt(helper("restore_item", st.target, _index(st), self.pop())))
                elif k == "restore_list" and ("list", id(s.stmt)) in self.saved:
                    out.append(self.undo_list(s.stmt))
                elif k == "pop_counter":
                    out.append(assign(s.name, self.pop()))
                elif k == "checkpoint":
                    out.append(self.checkpoints.backward(s))
                continue
            for block in ir.blocks(s):
                resolved = self.resolve(block)
                block[:] = resolved
            out.append(s)
        return out

    def undo_list(self, m):
        target = m.target
        if m.method == "append":
            return ExprStmt(Call(ir.Attr(target, "pop"), ()))
        if m.method == "extend":
            return ExprStmt(helper("pop_tail", target, m.args[0]))
        if m.method == "pop":
            return ExprStmt(Call(ir.Attr(target, "append"), (Var(m.out),)))
        return ExprStmt(Call(ir.Attr(target, "extend"), (self.pop(),)))

    # -- the forward sweep ----------------------------------------------------------------------------------
    def push(self, value):
        return ExprStmt(Call(ir.Attr(Var(self.tape()), "append"), (value,)))

    def forward(self, stmts, depth=0):
        out = []
        rev = self.rev
        for s in stmts:
            if isinstance(s, Assign):
                t = s.target
                if depth > 0 and t in self.saved:
                    value = Var(t)
                    if t in self.as_tuple:
                        value = ir.Attr(value, "shape")
                    elif t in self.shape_only:
                        value = helper("shape_of", value)
                    out.append(self.push(value))
                if id(s) in rev.callee_vjp:
                    vjp = rev.callee_vjp[id(s)]
                    if depth > 0 and vjp in self.saved:
                        out.append(self.push(Var(vjp)))
                    out.append(rev.linker.forward(rev, s))
                elif _checkpointed_call(s):  # the function, by the name the user gave it
                    f = s.value.func
                    if getattr(f.obj, "named_as_function", False):  # (`ad.checkpoint(f)(x)`: f)
                        f = Global(f.path, f.obj.func, f.root)
                    out.append(_copy(s, Assign(s.targets, Call(f, s.value.args, s.value.kwargs))))
                else:
                    out += lower.statement(s)
            elif isinstance(s, SetItem):
                if depth > 0 and s.result in self.saved:
                    out.append(self.push(Var(s.result)))
                if not s.noop and ("item", id(s)) in self.saved:
                    if isinstance(self.rev.kinds.get(s.target.name), (K.Array, K.Numeric)):
                        out.append(self.push(helper("np_copy", Index(s.target, s.items, s.tuple_form))))
                        out[-1].saved_item = id(s)  # (pairs it with its restore, for jit_tape.py)
                    elif self.kept_key(s):
                        out.append(self.push(Index(s.target, s.items, s.tuple_form)))
                    else:
                        out.append(self.push(helper("save_item", s.target, _index(s))))
                out += lower.statement(s)
            elif isinstance(s, Mutate):
                if s.method == "clear" and ("list", id(s)) in self.saved:
                    out.append(self.push(Call(Global(("list",), list), (s.target,))))
                for n in (s.out, s.result):
                    if depth > 0 and n is not None and n in self.saved:
                        out.append(self.push(Var(n)))
                out += lower.statement(s)
            elif isinstance(s, If):
                s.body = self.forward(s.body, depth)
                s.orelse = self.forward(s.orelse, depth)
                if s.role == "try":
                    out += self.undo_partial_body(s)
                out.append(s)
            elif isinstance(s, For) and s.checkpoint is not None:
                out += self.checkpoints.forward(s)
            elif isinstance(s, (For, While)):
                body = self.forward(s.body, depth + 1)
                if id(s) in rev.counters:
                    c = rev.counters[id(s)]
                    if id(s) in rev.nested_counters:
                        out.append(self.push(Var(c)))
                    out.append(assign(c, Const(0)))
                    body = [assign(c, ir.BinOp("+", Var(c), Const(1)))] + body
                s.body = body
                out.append(s)
            else:
                out.append(s)
        return out

    def undo_partial_body(self, s):
        """A `try` body (desugar_blocks.py) interrupted by an exception may have pushed values on the tape and
        rebound names the adjoint sweep restores: its handlers start by taking the tape back to its length
        before the body and the names back to their values then (the adjoint of the body is not run). The
        statements to run before the `try` (its length and those values)."""
        pushed = []
        for x in ir.walk(s.body):
            if isinstance(x, ExprStmt) and isinstance(x.value, Call) and isinstance(x.value.func, ir.Attr) and \
                    x.value.func.value == Var(self.name or "") and x.value.func.attr == "append":
                arg = x.value.args[0]
                if isinstance(arg, Call) and arg.args:  # (a shape saved: the value itself is taken back)
                    arg = arg.args[0]
                if isinstance(arg, Var) and arg.name not in pushed:
                    pushed.append(arg.name)
        if not pushed:
            return []
        length, values = self.alloc.fresh("tape_length"), self.alloc.fresh("before_try")
        names = tuple(pushed)
        undo = [ExprStmt(helper("truncate", Var(self.name), Var(length))),
                Assign(names, Var(values) if len(names) > 1 else ir.Index(Var(values), (Const(0),)))]
        for u in undo:
            u.origin = s.origin
        s.orelse[:0] = undo
        return [_copy(s, assign(length, Call(Global(("len",), len), (Var(self.name),)))),
                _copy(s, assign(values, ir.Build("tuple", tuple(Var(n) for n in names))))]

    def first_values(self):
        """Values saved before their first assignment (a loop's first iteration pushes them) start as None."""
        carried = {c for loop in self.fn.body if isinstance(loop, (For, While)) for c in loop.carried}
        names = sorted(x for x in self.saved if isinstance(x, str) and x not in self.fn.params and x not in carried)
        names += sorted(self.rev.nested_counters.values())
        # (a name saved as its `.shape` starts as _ad.UNSET, whose shape is None; a number read only inside its
        # loop as a number of its kind: the tape then holds numbers alone, which a derivative of the derivative
        # knows, and None where a loop that ran no iteration leaves a name read after it, as Python does)
        outside = _read_outside_own_loop(self.fn.body)
        return [assign(n, Global(("_ad", "UNSET"), _unset(), _runtime()) if n in self.as_tuple else
                       _placeholder(self.rev.kinds.get(n)) if n not in outside else Const(None))
                for n in names]


def _placeholder(kind):
    """The value a number of this kind has on the tape before its loop first assigns it (never read)."""
    if isinstance(kind, K.Scalar) and kind.cls in (float, int, bool):
        return Const(kind.cls())
    return Const(None)


def _read_outside_own_loop(body):
    """Names read by a statement of `body` outside the top-level loops that assign them."""
    out = set()
    for s in body:
        if isinstance(s, (For, While)):
            inner = list(ir.walk([s]))
            out |= set().union(*(ir.stmt_reads(x) for x in inner)) - set().union(*(ir.stmt_writes(x) for x in inner))
        else:
            out |= set().union(*(ir.stmt_reads(x) for x in ir.walk([s])))
    return out


def _checkpointed_call(s):
    from .markers import Checkpointed

    v = s.value
    return isinstance(v, Call) and isinstance(v.func, Global) and isinstance(v.func.obj, Checkpointed)


def _unset():
    from . import runtime

    return runtime.UNSET


def _runtime():
    from . import runtime

    return runtime


def dicts_keys(body):
    """For each name of the body, the keys the dict it names surely has, as (type, key) pairs: a dict literal's
    constant keys, `_ad.zeros_like(d)`'s those of d, its version before a store `d[key] = v` with that key added,
    the keys every definition of a
    name gives (a copy `d_1 = d`, joins after a branch or a loop: the greatest fixed point). A dict never loses
    a key in the function (`del` and the dict methods that remove keys are refused), so they are there whatever
    other names of the same dict did meanwhile. Anything else (an argument, a call's result): none."""
    defs = {}
    for s in ir.walk(body):
        if isinstance(s, Assign) and len(s.targets) == 1:
            defs.setdefault(s.targets[0], []).append(s.value)
        elif isinstance(s, SetItem) and s.result:
            defs.setdefault(s.result, []).append(s)
        else:
            for n in ir.stmt_writes(s):
                defs.setdefault(n, []).append(None)
    keys = dict.fromkeys(defs)  # (None: every key, the start of the descent)

    def given(e):
        if isinstance(e, Var):
            return keys.get(e.name, frozenset())
        if isinstance(e, ir.Build) and e.kind == "dict":
            return frozenset((type(k.value), k.value) for k in e.keys if isinstance(k, Const))
        if isinstance(e, ir.Call) and isinstance(e.func, ir.Global) and e.func.path == ("_ad", "zeros_like") and \
                len(e.args) == 1 and isinstance(e.args[0], Var) and not e.kwargs:
            return given(e.args[0])  # (a dict's adjoint, in a derivative read again: its keys, n27-005)
        if isinstance(e, SetItem) and isinstance(e.target, Var):
            before = given(e.target)
            if before is None or len(e.items) != 1 or not isinstance(e.items[0], Const):
                return before
            return before | {(type(e.items[0].value), e.items[0].value)}
        return frozenset()

    changed = True
    while changed:
        changed = False
        for name, values in defs.items():
            new = None
            for v in values:
                k = given(v)
                new = k if new is None else new if k is None else new & k
            if new != keys[name]:
                keys[name], changed = new, True
    return {n: k for n, k in keys.items() if k}


def _index(s):

    return ir.index_value(s.items, s.tuple_form)
