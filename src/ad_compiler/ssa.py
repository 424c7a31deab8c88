"""Pass 5, SSA: every assignment defines a new name, so every value the adjoint sweep reads is still there.

A variable assigned twice gets versions (`h`, then `h_1`); a store into an array or a list (`y[i] = v`,
`lst.append(v)`) defines the next version of it too (`y_1`: the same object, changed), so that the adjoint
of a statement reads exactly the value that statement saw.

Control flow stays structured. After an `if`, a variable the branches left in different versions gets a
merge name, assigned at the end of each branch (`h_2 = h_1`). Inside a loop every variable the body
assigns is *carried*: it has one loop name, copied in before the loop (`h_l = h`), read by the body, and
copied back at the end of each iteration and before each `break` (`h_l = h_3`); after the loop the
variable is the loop name. `For.carried` / `While.carried` list the loop names.
"""
from . import ir
from .errors import UnsupportedError
from .liveness import liveness
from .ir import Assign, Break, Const, For, If, Mutate, SetItem, Var, While


class SSA:
    def __init__(self, alloc, params, generated=False, out=None):
        self.alloc = alloc
        # The function's output (desugar.py assigns it on every path that returns): a path that leaves it
        # unbound cannot be taken (a branch the inliner found dead, as `if returned:` after a loop whose
        # `return` it removed), so it is merged from the paths that assign it.
        self.out = out
        self.version = {p: p for p in params}
        self.defined = set(params)
        # Generated derivatives (differentiated again) read values of a branch under the same condition
        # again (`if t8: t9 = ...` ... `if t8: ... t9 ...`): a name bound on some paths only stays readable.
        # In the user's code such a read is refused (the function would fail there; a derivative that
        # does not read the value would not).
        self.generated = generated
        # A `try`'s `else` block is an `if ok:` after the try's `if ok:` (desugar_blocks.py): it runs only when
        # the body ran to its end, so it reads what the body assigned; its other path is the handlers' (flag ->
        # the versions at the end of the body and at the end of the handlers, None if they do not fall through).
        self.completed = {}
        # A name bound on some paths of an `if` only (not readable after it: refused where read), which a loop
        # after it rebinds: its value entering the loop, bound on the other paths to None (lang25: the loop's
        # start took None on every path, and the branch's binding was dropped: a crash).
        self.partial = {}
        # In generated code, a version bound on some paths of an `if` only -> the blocks of the paths without it,
        # where it is bound to None when something copies it later (a merge, a loop's start): that copy may
        # run on such a path (`if t2:` ... `if t2: b = b + v` leaves `b_2 = b` on the other path: n27-004)
        self.unbound_on = {}

    def define(self, name):
        if name not in self.defined:
            self.defined.add(name)
            return name
        new = self.alloc.fresh(name)
        self.defined.add(new)
        return new

    def read(self, expr, stmt):
        missing = [n for n in ir.names_in(expr) if n not in self.version]
        if missing:
            origin = stmt.origin
            name = missing[0]
            raise UnsupportedError(f"`{_user_name(name)}` is read before it is assigned",
                                   where=origin.unit.location(origin.node) if origin else None,
                                   hint="assign it on every path before this line")
        return ir.rename_expr(expr, {n: self.version[n] for n in ir.names_in(expr)})

    def bind_none(self, name):
        """Bind `name` to None on the paths of an earlier `if` that left it unbound (self.unbound_on): a copy
        of it is made where it may be unbound."""
        for block in self.unbound_on.pop(name, ()):
            a = Assign((name,), Const(None))
            a.origin = None  # bookkeeping, not a line of the user's
            _append_where_it_falls(block, [a])

    def block(self, stmts, loop):
        """SSA-rename a block in place; returns (new statements, falls_through)."""
        out = []
        for s in stmts:
            if isinstance(s, Assign):
                s.value = self.read(s.value, s)
                old = s.targets
                if s.noop:
                    s.prev = self.version.get(old[0])
                s.targets = tuple(self.define(t) for t in old)
                self.version.update(zip(old, s.targets))
                out.append(s)
            elif isinstance(s, SetItem):
                name = s.target.name
                s.target = self.read(s.target, s)
                s.items = tuple(self.read(i, s) for i in s.items)
                s.value = self.read(s.value, s)
                s.result = self.define(name)
                self.version[name] = s.result
                out.append(s)
            elif isinstance(s, Mutate):
                name = s.target.name
                s.target = self.read(s.target, s)
                s.args = tuple(self.read(a, s) for a in s.args)
                s.result = self.define(name)
                self.version[name] = s.result
                if s.out is not None:
                    new = self.define(s.out)
                    self.version[s.out] = new
                    s.out = new
                out.append(s)
            elif isinstance(s, (ir.ExprStmt, ir.Assert)):
                if isinstance(s, ir.ExprStmt):
                    s.value = self.read(s.value, s)
                else:
                    s.test = self.read(s.test, s)
                    s.msg = self.read(s.msg, s) if s.msg is not None else None
                out.append(s)
                if ir.is_throw(s):  # (`raise`: the block ends there)
                    return out, False
            elif isinstance(s, If):
                s.test = self.read(s.test, s)
                completed = self.completed.get(s.test.name) if s.info == "else" and isinstance(s.test, Var) else None
                falls = self.branch(s, loop, completed)
                out.append(s)
                if not falls:
                    return out, False
            elif isinstance(s, (For, While)):
                self.loop(s, out)
            elif isinstance(s, Break):
                self.copy_back(loop, out, s)
                out.append(s)
                return out, False
            else:
                raise AssertionError(f"ssa: unexpected statement {s!r}")
        return out, True

    def branch(self, s, loop, completed=None):
        """`completed`: for a `try`'s `else` block (`if ok:`), the versions at the end of the try's body and of
        its handlers (self.completed)."""
        before = dict(self.version)
        results = []
        only = ([], [])  # (a try's else block: the names bound on one of its paths only)
        for i, field in enumerate(("body", "orelse")):
            self.version = dict(before)
            path = completed[i] if completed else None
            if path:
                only[i].extend(v for k, v in path.items() if k not in before)
                self.version.update({k: v for k, v in path.items() if k not in before})
            block, falls = self.block(getattr(s, field), loop)
            setattr(s, field, block)
            if completed and path is None:
                falls = False  # (the handlers raise: no path without the `else` block goes on)
            results.append((block, dict(self.version), falls))
        if completed:
            s.info = ("else", frozenset(only[0]), frozenset(only[1]))  # (reverse_control.py)
        if s.role == "try" and results[0][2] and isinstance(s.test, Var):
            self.completed[s.test.name] = (results[0][1], results[1][1] if results[1][2] else None)
        falling = [r for r in results if r[2]]
        if s.role == "with":  # (a `with` block's body runs to its end: otherwise the exception goes on)
            falling = falling[:1]
        merged = dict(before)
        generated = self.generated or _from_generated(s)  # (a derivative's code inlined into the user's)
        for var in dict.fromkeys(k for r in falling for k in r[1]):
            values = set(r[1].get(var) for r in falling)
            if None in values and not generated and var != self.out:
                # assigned on some paths only: unbound after the if on the others (as in Python); kept for a
                # loop that rebinds it (`partial`)
                name = self.define(var)
                for block, version, _ in falling:
                    copy = Assign((name,), Var(version[var]) if var in version else Const(None))
                    copy.origin = s.origin
                    copy.nograd = s.nograd
                    _append_where_it_falls(block, [copy])
                self.partial[var] = name
                continue
            missing = [block for block, version, _ in falling if var not in version]
            values.discard(None)
            if len(values) == 1:
                merged[var] = values.pop()
                if missing:
                    self.unbound_on.setdefault(merged[var], []).extend(missing)
                continue
            name = self.define(var)
            if missing:
                self.unbound_on[name] = missing
            for block, version, _ in falling:
                if var not in version:
                    continue
                self.bind_none(version[var])
                copy = Assign((name,), Var(version[var]))
                copy.origin = s.origin
                copy.nograd = s.nograd
                _append_where_it_falls(block, [copy])
            merged[var] = name
        self.version = merged
        return bool(falling)

    def loop(self, s, out):
        assigned = []
        head = self.live_head.get(id(s))
        for t in ir.walk(s.body):
            for n in _defines(t):
                if n not in assigned and (head is None or n in head):
                    assigned.append(n)
        if isinstance(s, For):
            s.iter = self.read(s.iter, s)
            counter = s.target
            assigned = [a for a in assigned if a != counter]
        carried = {}
        for var in assigned:
            name = self.alloc.fresh(var) if var in self.defined else var
            self.defined.add(name)
            if var in self.version:
                self.bind_none(self.version[var])
            init = Assign((name,), Var(self.version[var]) if var in self.version else
                          Var(self.partial[var]) if var in self.partial else Const(None))
            init.origin = s.origin
            init.nograd = s.nograd
            out.append(init)
            self.version[var] = name
            carried[var] = name
        if isinstance(s, For):
            self.defined.add(s.target)
            self.version[s.target] = s.target
        s.carried = tuple(carried.values())
        state = _Loop(carried)
        body, falls = self.block(s.body, state)
        if falls:
            tail = []
            self.copy_back(state, tail, None)
            _append_where_it_falls(body, tail)
        s.body = body
        for var, name in carried.items():
            self.version[var] = name
        out.append(s)

    def copy_back(self, loop, out, node):
        if loop is None:
            return
        for var, name in loop.carried.items():
            current = self.version.get(var)
            if current is not None and current != name:
                self.bind_none(current)
                a = Assign((name,), Var(current))
                a.origin = None  # bookkeeping, not a line of the user's
                out.append(a)


def _falls(block):
    """Does control reach the end of this (SSA) block?"""
    if not block:
        return True
    last = block[-1]
    if isinstance(last, Break) or ir.is_throw(last):
        return False
    if isinstance(last, If):
        return _falls(last.body) or _falls(last.orelse)
    return True


def _append_where_it_falls(block, stmts):
    """Append statements at the end of every path through `block` that reaches its end (so that an
    iteration that left by `break` does not run them: the adjoint sweep sees them under the same
    conditions)."""
    if not stmts:
        return
    last = block[-1] if block else None
    if isinstance(last, If) and (_may_break(last.body) or _may_break(last.orelse)):
        for b in (last.body, last.orelse):
            if _falls(b):
                _append_where_it_falls(b, [_copy_assign(x) for x in stmts])
        return
    block.extend(stmts)


def _may_break(block):
    """Does some path through this block end in `break`?"""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, Break):
        return True
    if isinstance(last, If):
        return _may_break(last.body) or _may_break(last.orelse)
    return False


def _copy_assign(a):
    new = Assign(a.targets, a.value)
    new.origin, new.nograd = a.origin, a.nograd
    return new


class _Loop:
    def __init__(self, carried):
        self.carried = carried


def _defines(s):
    if isinstance(s, Assign):
        return list(s.targets)
    if isinstance(s, (SetItem,)):
        return [s.target.name]
    if isinstance(s, Mutate):
        return [s.target.name] + ([s.out] if s.out else [])
    return []


def _from_generated(s):
    """Is this statement part of a generated derivative's code (inlined where a derivative function is called)?"""
    origin = s.origin
    return origin is not None and origin.unit is not None and origin.unit.filename.startswith("<ad_compiler")


def _user_name(name):
    return name


def to_ssa(fn, alloc, generated=False):
    """Rename `fn` (a desugar.Function) into SSA form in place (`generated`: fn is a generated derivative)."""
    ssa = SSA(alloc, fn.params, generated, fn.out.name if isinstance(fn.out, Var) else None)
    ssa.live_head = liveness(fn)[1]  # a loop carries the variables live at its head (others are its own)
    body, _ = ssa.block(fn.body, None)
    fn.body = body
    if isinstance(fn.out, Var):
        fn.out = Var(ssa.version.get(fn.out.name, fn.out.name))
    return fn
