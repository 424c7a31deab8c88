"""Pass 5b, loops: loop-invariant statements moved out of loops, and per-step slices batched.

Runs on the SSA form, after the kinds are known and before anything is differentiated, so that every mode
sees (and differentiates) the leaner loop.

- **Loop-invariant code motion.** A statement at the top level of a loop body whose operands are all
  defined outside the loop computes the same value at every iteration: it moves before the loop, so the
  forward sweep computes it once and the tape never saves it (`a = -k * x` in an integrator: `-k` is
  computed once; its adjoint is added up over the iterations and applied once, after the loop's adjoint).
- **Batching.** In a loop `for t in range(len(xs))` (or `range(xs.shape[0])`), a statement applying a
  loop-invariant operation to the slice `xs[t]` (a matrix product `xs[t] @ W`, elementwise arithmetic with
  loop-invariant operands: `xs[t] * s + b`) is computed for all steps at once before the loop
  (`t4_all = xs @ W`), and the loop reads its row (`t4 = t4_all[t]`). The adjoint then collects the rows'
  adjoints and applies the operation's adjoint once, after the loop (`bW = matmul_vjp_b(bt4_all, xs, W)`).

What moves is exactly what the loop would compute: only operations without effects (arithmetic, NumPy
ufuncs, `math` functions, `@`, `.T` / `.shape`), never a value the loop changes in place or puts in a
container (each iteration had its own object), never out of a `while` loop or from under an `if`. An
operation that can raise (a division of Python floats, `math.log`, an index, a product of two arrays of
unknown shapes) moves only out of a loop known to run at least once (`range(20)`), and only from before
the first statement that may leave the loop (a `break`, a `raise`; in a `try` or `with` body, any statement that
may raise: a handler may catch it); an operation that cannot raise moves out of any `for` loop.
Batching is not applied to loops that may `break` (or `return`, or `raise`): they may stop after a few of the steps; nor
to checkpointed loops (it would keep every step's rows, which checkpointing is there to avoid); nor where the
operands are not proven to match (hoist_dims.py): the loop may run no step, where the batched operation still runs.
"""
import math
import operator

import numpy as np

from . import hoist_dims, ir, kinds as K, sharing
from .ir import Assign, BinOp, Break, Call, Compare, Const, For, Global, If, Index, Mutate, SetItem, UnaryOp, Var, \
    While

ARITHMETIC = {"+", "-", "*", "/", "**"}
NUMBER_SAFE = {"+", "-", "*"}  # never raise on numbers (nor on an array with a number)
VIEW_ATTRIBUTES = {"T", "shape", "ndim", "size"}


def hoist(fn, kinds, alloc):
    """Move loop-invariant statements out of the loops of `fn` and batch per-step slices, in place. Returns
    the kinds of the names it made (to add to `kinds`)."""
    h = _Hoister(fn, kinds, alloc)
    fn.body = h.block(fn.body)
    return h.new_kinds


class _Hoister:
    def __init__(self, fn, kinds, alloc):
        self.fn = fn
        self.kinds = kinds
        self.alloc = alloc
        self.new_kinds = {}
        self.storage = sharing.classes(fn.body, kinds)
        stored = set()  # sharing classes some statement changes in place, or puts into a container
        for s in ir.walk(fn.body, into_functions=True):
            if isinstance(s, (SetItem, Mutate)):
                stored.add(self.storage.find(s.target.name))
                for a in (s.value,) if isinstance(s, SetItem) else s.args:
                    for n in ir.names_in(a):
                        stored.add(self.storage.find(n))
            elif isinstance(s, Assign) and isinstance(s.value, ir.Build):
                for n in ir.names_in(s.value):
                    stored.add(self.storage.find(n))
        self.stored = stored
        self.defs = {}
        for s in ir.walk(fn.body):
            if isinstance(s, Assign) and len(s.targets) == 1:
                self.defs[s.target] = s
        self.in_loops = {s for loop in ir.walk(fn.body) if isinstance(loop, (For, While))
                         for s in ir.walk(loop.body)}
        self.guarded = 0  # (inside a `try` or `with` body: an exception raised there may be caught)
        self.dims = hoist_dims.infer(fn, kinds)  # (a batched operation must not raise where no step runs)
        self.rows = {}  # batched array -> the dimension classes of its rows

    def kind(self, atom):
        if isinstance(atom, Var):
            return self.new_kinds.get(atom.name) or self.kinds.get(atom.name, K.UNKNOWN)
        if isinstance(atom, Const):
            v = atom.value
            if isinstance(v, bool):
                return K.BOOL
            return K.FLOAT if isinstance(v, float) else K.INT if isinstance(v, int) else K.Other(type(v))
        return K.UNKNOWN

    # -- walking --------------------------------------------------------------------------------------------
    def block(self, stmts):
        out = []
        for s in stmts:
            if isinstance(s, If) and s.role in ("try", "with"):  # (an exception there may be caught: rw2-003)
                self.guarded += 1
                s.body = self.block(s.body)
                self.guarded -= 1
                s.orelse = self.block(s.orelse)
            elif isinstance(s, If):
                s.body = self.block(s.body)
                s.orelse = self.block(s.orelse)
            elif isinstance(s, (For, While)):
                s.body = self.block(s.body)  # inner loops first: what leaves them may leave this one too
                if isinstance(s, For):
                    out.extend(self.loop(s))
            out.append(s)
        return out

    def loop(self, loop):
        """The statements moved out of `loop` (its body keeps the rest), in their order."""
        inside = {loop.target} | set(loop.carried)
        for s in ir.walk(loop.body):
            inside |= ir.stmt_writes(s) | _defined(s)
        runs = _runs_at_least_once(loop)
        # (not in a checkpointed loop: batching keeps every step's rows, which checkpointing is there to avoid)
        batch_over = None if _may_leave(loop.body) or loop.checkpoint is not None else self.rows_of(loop)
        sliced = {}  # name -> the loop-invariant array whose row `loop.target` it is
        moved, body, before_exit = [], [], True
        for s in loop.body:
            if isinstance(s, If):  # (what cannot raise may leave a branch too: `if c: break` / else: ...)
                s.body = self.branch(s.body, inside, moved)
                s.orelse = self.branch(s.orelse, inside, moved)
            new = self.try_move(s, inside, runs and before_exit, loop, batch_over, sliced)
            if new is None:
                body.append(s)
                # (what may raise an exception a handler catches leaves the loop too: a statement that can
                # raise moved before it would raise first, rw2-003)
                if _may_leave([s]) or self.guarded and not (isinstance(s, Assign) and not self.can_raise(s.value)):
                    before_exit = False
                continue
            batched, kept = new
            moved.append(batched)
            inside.discard(batched.target)
            if kept is not None:
                body.append(kept)
        loop.body = body
        return moved

    def branch(self, stmts, inside, moved):
        """A branch inside the loop without its loop-invariant statements that cannot raise (appended to
        `moved`)."""
        out = []
        for s in stmts:
            if isinstance(s, If):
                s.body = self.branch(s.body, inside, moved)
                s.orelse = self.branch(s.orelse, inside, moved)
            if isinstance(s, Assign) and len(s.targets) == 1 and not s.noop and not ir.names_in(s.value) & inside \
                    and self.pure(s.value) and not self.can_raise(s.value) and self.movable_target(s.target):
                moved.append(s)
                inside.discard(s.target)
                continue
            out.append(s)
        return out

    # -- what moves -----------------------------------------------------------------------------------------
    def try_move(self, s, inside, may_raise, loop, batch_over, sliced):
        """(statement to put before the loop, statement left in its place or None), or None to leave `s`."""
        if not isinstance(s, Assign) or len(s.targets) != 1 or s.noop:
            return None
        v = s.value
        if not ir.names_in(v) & inside:
            if self.pure(v) and (may_raise or not self.can_raise(v)) and self.movable_target(s.target):
                return s, None
            return None
        if batch_over is None:
            return None
        if _is_row(v, loop.target, inside) and self.root(v.value.name) in batch_over:
            sliced[s.target] = v.value.name
            return None
        if isinstance(v, Var) and v.name in sliced:  # (a copy of a row: `x = t3` in `for x in xs`)
            sliced[s.target] = sliced[v.name]
            return None
        return self.batch(s, inside, loop, sliced)

    def movable_target(self, name):
        """Can the value of `name` be one object for all iterations (nothing changes it in place or keeps it
        in a container, where each iteration had its own)?"""
        k = self.kinds.get(name, K.UNKNOWN)
        if not k.mutable:
            return True
        return self.storage.find(name) not in self.stored

    def pure(self, v):
        """Is `v` an operation without effects (its value depends on its operands only)?"""
        if isinstance(v, BinOp):
            return v.op in ARITHMETIC or v.op == "@"
        if isinstance(v, (UnaryOp, Compare)):
            return v.op in ("-", "+") if isinstance(v, UnaryOp) else True
        if isinstance(v, ir.Attr):
            return v.attr in VIEW_ATTRIBUTES and isinstance(self.kind(v.value), (K.Array, K.Scalar))
        if isinstance(v, Index):
            return isinstance(v.value, Var) and isinstance(self.kind(v.value), (K.Array, K.Seq)) and \
                not any(isinstance(i, ir.Slice) for i in v.items)
        if isinstance(v, Call) and isinstance(v.func, Global) and not any(isinstance(a, ir.Starred) for a in v.args):
            f = v.func.obj
            return (isinstance(f, np.ufunc) and not v.kwargs) or _is_math(f)
        return self.tuple_of_numbers(v)

    def tuple_of_numbers(self, v):
        """A tuple display of numbers (`t_span = (0.0, 0.5)`, `args=(k, 0.3)`): one immutable object may serve
        every iteration (the tape then does not save it at each one)."""
        return isinstance(v, ir.Build) and v.kind == "tuple" and \
            all(isinstance(self.kind(i), K.Scalar) for i in v.items)

    def can_raise(self, v):
        """Might evaluating `v` raise (for operands of the kinds known)? No only for operations that
        cannot: arithmetic on numbers, or on one array and numbers, ufuncs of one operand, comparisons of
        numbers, `.T` and `.shape` of an array, a tuple of numbers."""
        if self.tuple_of_numbers(v):
            return False
        if isinstance(v, BinOp):
            return not self.safe_arithmetic(v.op, [v.left, v.right])
        if isinstance(v, UnaryOp):
            return not self.safe_arithmetic("-", [v.operand])
        if isinstance(v, Compare):
            return not all(isinstance(self.kind(a), K.Scalar) for a in (v.left,) + tuple(v.rights))
        if isinstance(v, ir.Attr):
            return not isinstance(self.kind(v.value), K.Array)
        if isinstance(v, Call) and isinstance(v.func, Global) and isinstance(v.func.obj, np.ufunc):
            if v.func.obj.nin == 1 and len(v.args) == 1:
                return not _takes(v.func.obj, self.kind(v.args[0]))
            op = {np.add: "+", np.subtract: "-", np.multiply: "*"}.get(v.func.obj)
            return op is None or len(v.args) != 2 or not self.safe_arithmetic(op, list(v.args))
        return True

    def safe_arithmetic(self, op, operands):
        kinds = [self.kind(a) for a in operands]
        if not all(isinstance(k, (K.Scalar, K.Array)) for k in kinds):
            return False
        arrays = {a.name for a, k in zip(operands, kinds) if isinstance(k, K.Array)}
        if len(arrays) > 1:
            return False  # (two arrays may not broadcast)
        if any(isinstance(k, K.Array) and k.dtype not in "fiu" or isinstance(k, K.Scalar) and k.cls is np.bool_
               for k in kinds):
            return False  # (NumPy refuses `-` on booleans; objects may do anything)
        if op in NUMBER_SAFE:
            return True
        if op == "/":  # NumPy divides by zero with a warning; Python's floats raise
            return any(isinstance(k, K.Array) or (isinstance(k, K.Scalar) and issubclass(k.cls, np.floating))
                       for k in kinds)
        return False

    # -- batching -------------------------------------------------------------------------------------------
    def rows_of(self, loop):
        """The loop-invariant arrays whose rows the loop steps through: `for t in range(n)` with
        `n = len(xs)` or `n = xs.shape[0]` (and `xs` not changed inside the loop)."""
        it = loop.iter
        if not (isinstance(it, Call) and isinstance(it.func, Global) and it.func.obj is range and len(it.args) == 1
                and isinstance(it.args[0], Var)):
            return None
        count = self.defs.get(it.args[0].name)
        if count is None:
            return None
        v = count.value
        if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is len and len(v.args) == 1 and \
                isinstance(v.args[0], Var):
            return {self.root(v.args[0].name)}
        if isinstance(v, Index) and len(v.items) == 1 and v.items[0] == Const(0) and isinstance(v.value, Var):
            shape = self.defs.get(v.value.name)
            if shape is not None and isinstance(shape.value, ir.Attr) and shape.value.attr == "shape" and \
                    isinstance(shape.value.value, Var):
                return {self.root(shape.value.value.name)}
        return None

    def row_of(self, whole):
        """The dimension classes of a row of the array `whole` (an array batched here, or one of known shape)."""
        name = self.root(whole.name)
        if name in self.rows:
            return self.rows[name]
        d = self.dims.get(name)
        return tuple(d[1:]) if d else None

    def root(self, name):
        """The name `name` is a copy of (`t1 = xs`: xs), through copies made outside loops."""
        seen = set()
        while name not in seen:
            seen.add(name)
            s = self.defs.get(name)
            if s is None or s.noop or not isinstance(s.value, Var) or s in self.in_loops:
                break
            name = s.value.name
        return name

    def batch(self, s, inside, loop, sliced):
        """`y = op(x, w...)` with x = xs[t] and loop-invariant w: `y_all = op(xs, w...)` before the loop and
        `y = y_all[t]` in it; None when `s` is not such a statement."""
        v = s.value
        operands = _operands(v)
        if operands is None:
            return None
        rows = [a for a in operands if isinstance(a, Var) and a.name in sliced]
        if not rows or len({sliced[a.name] for a in rows}) != 1:
            return None
        others = [a for a in operands if not (isinstance(a, Var) and a.name in sliced)]
        if any(isinstance(a, Var) and a.name in inside for a in others):
            return None
        whole = Var(sliced[rows[0].name])
        wk = self.kind(whole)
        if not (isinstance(wk, K.Array) and wk.ndim is not None and wk.ndim >= 1 and wk.dtype in "f"):
            return None
        row_ndim = wk.ndim - 1
        if not self.movable_target(s.target):
            return None  # (the row becomes a view of the batched array)
        if isinstance(v, BinOp) and v.op == "@":
            # `xs[t] @ w`: row t of `xs @ w` for a vector or matrix w (a stack of them would broadcast over t)
            left_row = isinstance(v.left, Var) and v.left.name in sliced
            wkind = self.kind(v.right)
            if not left_row or row_ndim < 1 or not (isinstance(wkind, K.Array) and wkind.ndim in (1, 2)) or \
                    isinstance(v.right, Var) and v.right.name in sliced:
                return None
            ndim = wk.ndim if wkind.ndim == 2 else wk.ndim - 1
            row = hoist_dims.matmul(self.row_of(whole), self.dims.get(v.right.name) if isinstance(v.right, Var)
                                    else None)
            value = BinOp("@", whole, v.right)
        else:
            # elementwise: the other operands are numbers or arrays of at most the row's rank (they broadcast
            # along the row's axes, not along the steps)
            for a in others:
                k = self.kind(a)
                if isinstance(k, K.Array):
                    if k.ndim is None or k.ndim > row_ndim:
                        return None
                elif not isinstance(k, K.Scalar):
                    return None
            if not self.pure(v) or isinstance(v, (Compare, ir.Attr, Index)):
                return None
            if isinstance(v, Call) and _is_math(v.func.obj):
                return None  # (math's functions take numbers only: `math.sqrt(xs)` of all rows would raise)
            row = hoist_dims.broadcast(self.row_of(whole), *(self.dims.get(a.name) for a in others
                                                               if isinstance(self.kind(a), K.Array)))
            value = ir.rename_expr(v, {a.name: whole.name for a in rows})
            ndim = wk.ndim
        if row is None or len(row) != ndim - 1:
            return None  # (the operands not known to match: on no rows it may raise where no step runs, h28a-002)
        name = self.alloc.fresh(s.target + "_all")
        self.rows[name] = row
        self.new_kinds[name] = K.Array(np.ndarray, "f", ndim)
        batched = Assign((name,), value)
        batched.origin, batched.nograd = s.origin, s.nograd
        s.value = Index(Var(name), (Var(loop.target),))
        sliced[s.target] = name
        return batched, s


_LOOP_CHARS = {"b": "?", "f": "efdg", "c": "FDG", "i": "bhilqpefdg", "u": "BHILQPefdg"}  # (ints: float loops too)


def _takes(ufunc, kind):
    """Does the one-operand ufunc have a loop for an operand of this kind? (np.negative of bools, np.invert of
    floats raise a TypeError: moved out of a loop or branch that never runs, they raised where f did not, h28a-003)"""
    if isinstance(kind, K.Array):
        dtype_kind = kind.dtype
    elif isinstance(kind, K.Scalar):
        dtype_kind = {float: "f", int: "i", bool: "b", complex: "c"}.get(kind.cls) or np.dtype(kind.cls).kind
    else:
        return False
    chars = _LOOP_CHARS.get(dtype_kind)
    return chars is not None and any(t[0] in chars for t in ufunc.types)


def _operands(v):
    if isinstance(v, BinOp):
        return [v.left, v.right]
    if isinstance(v, UnaryOp):
        return [v.operand]
    if isinstance(v, Call) and not v.kwargs:
        return list(v.args)
    return None


def _is_row(v, counter, inside):
    """Is `v` the row `xs[counter]` of a loop-invariant array?"""
    return isinstance(v, Index) and len(v.items) == 1 and not v.tuple_form and v.items[0] == Var(counter) and \
        isinstance(v.value, Var) and v.value.name not in inside


def _is_math(f):
    return getattr(f, "__module__", None) == "math" or (callable(f) and getattr(math, getattr(f, "__name__", ""),
                                                                                None) is f) or f in (
        operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, abs)


def _defined(s):
    if isinstance(s, SetItem):
        return {s.result} if s.result else set()
    if isinstance(s, Mutate):
        return {n for n in (s.result, s.out) if n}
    return set()


def _may_leave(stmts):
    """Might running these statements leave the loop they are in (a `break` or a `raise`, maybe under an `if`;
    a `raise` in an inner loop)?"""
    for s in stmts:
        if isinstance(s, (Break, ir.Return)) or ir.is_throw(s):
            return True
        if isinstance(s, If) and (_may_leave(s.body) or _may_leave(s.orelse)):
            return True
        if isinstance(s, (For, While)) and any(ir.is_throw(x) for x in ir.walk(s.body)):
            return True
    return False


def _runs_at_least_once(loop):
    it = loop.iter
    if not (isinstance(it, Call) and isinstance(it.func, Global) and it.func.obj is range):
        return False
    args = it.args
    if not all(isinstance(a, Const) and type(a.value) is int for a in args):
        return False
    return len(range(*(a.value for a in args))) > 0
