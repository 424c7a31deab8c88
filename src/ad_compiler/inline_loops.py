"""Loops over lists of different functions or objects, for the inliner (inline.py): unrolled.

`for layer in layers: x = layer.forward(x)` with layers of several classes (or `for f in (np.sin, relu)`)
calls a different function in each iteration. When the list's length and the class (function) of each item
are known when compiling (from the arguments' kinds, or from the list built in the function), the loop is
written out once per item, so that each call is resolved and inlined.
"""
from . import ir
from .inline_static import _any_item, is_container, length_of, table_static
from .ir import Assign, Break, Call, Const, ExprStmt, For, Global, Index, Var

MAX_UNROLL = 64
MAX_UNROLL_CHANGED = 16  # a loop changing its item in place (`for item in [W, 1.0]: item *= 2.0`) is written out
# for lists this long: each item is then a known array (changed in place, seen by the other names holding it) or
# a number (the name rebound), which the alias pass follows exactly


class Loops:
    """The inliner's part for loops over heterogeneous lists."""

    def __init__(self, inliner):
        self.inliner = inliner

    def unroll(self, s, env):
        """The statements of the loop written out once per item, or None to keep the loop."""
        if not isinstance(s, For) or not s.body:
            return None
        first = s.body[0]
        if not (isinstance(first, Assign) and len(first.targets) == 1 and isinstance(first.value, Index) and
                isinstance(first.value.value, Var) and first.value.items == (Var(s.target),)):
            return None
        seq = first.value.value
        static = env.get(seq.name)
        n = length_of(static)
        changes_item = n is not None and n <= MAX_UNROLL_CHANGED and _changes_in_place(s.body[1:], first.target)
        table = static.obj if isinstance(static, Global) and type(static.obj) in (list, tuple) else None
        if table is not None:  # a list of the user's module (`for name in ORDER:`): as it is now
            n = len(table)
            static = ("seq", type(table), tuple(table_static(v) for v in table))
        # (a module's list of one function, or of the same one twice, is written out too: the loop's item, read
        # from the list when it runs, would be a function not known when compiling)
        same_callables = table is not None and any(isinstance(i, Global) and i.path != ("table",)
                                                   for i in static[2])
        if n is None or n > MAX_UNROLL or not (self.varied(static) or changes_item or same_callables):
            return None
        count = s.iter.args[0] if isinstance(s.iter, Call) and len(s.iter.args) == 1 else None
        if not (isinstance(count, Var) and env.get(count.name) == ("len", seq.name)):
            return None
        if _breaks(s.body):
            return None
        items = getattr(self.inliner.ctx, "items", None)
        if table is not None and items is not None:
            items.append((table, len, n))  # (compiled again when its length changes; its items: as read)
        out = []
        for i in range(n):
            counter = Assign((s.target,), Const(i))
            counter.origin, counter.nograd = s.origin, s.nograd
            out.append(counter)
            body = ir.clone(s.body)
            body[0].value = Index(seq, (Const(i),))  # (the item by its position: the alias pass knows which)
            out.extend(body)
        return out

    def switched_functions(self, s, original, entry, stale, lazy=False):
        """`for i in range(3):` (a constant count, no `break`) whose body changes a function known before it
        (`self.act = np.tanh` in a method it calls), or, `lazy`, an attribute or closure state known to be None
        before it that an iteration sets (`if self.m is None: self.m = np.zeros_like(w)`, then `self.m *= 0.9`): the
        loop written out, so that each iteration calls a function known when compiling, or knows whether the
        state is made yet (forgotten, the call, or the change in place of a value maybe None, would be refused:
        g3-001, g3-003, g3-004), or None."""
        if not (isinstance(s, For) and s.checkpoint is None and isinstance(s.iter, Call) and len(s.iter.args) == 1
                and isinstance(s.iter.args[0], Const) and type(s.iter.args[0].value) is int):
            return None
        n = s.iter.args[0].value
        if n > MAX_UNROLL_CHANGED or _breaks(original):
            return None
        if not any(isinstance(entry.get(k), Global) and callable(entry[k].obj) and not isinstance(entry[k].obj, type)
                   or lazy and entry.get(k) == ("const", None) for k in stale):
            return None
        out = []
        for i in range(max(n, 0)):
            counter = Assign((s.target,), Const(i))
            counter.origin, counter.nograd = s.origin, s.nograd
            out.append(counter)
            out.extend(ir.clone(original))
        return out

    def peel(self, s, original, entry, stale, env):
        """A loop whose first iteration makes state that was None before it (`if self.m is None: self.m =
        np.zeros_like(w)`, then `self.m *= 0.9`), with a count known only when it runs, or a `while`: that
        iteration written before the loop, the loop after it at each end of the iteration that does not leave
        it (the desugared code has nothing after a `break` on its path: each `break` ends its block's last `if`),
        under the test that it runs at all, so that the loop starts with the state made; or None."""
        ends = _ends_count(original)
        if not any(entry.get(k) == ("const", None) for k in stale) or ends is None or ends > 2:
            return None  # (each end that goes on writes the rest of the loop once more)
        new = self.inliner.values.new_stmt
        values = self.inliner.values
        if isinstance(s, For) and s.checkpoint is None and isinstance(s.iter, Call) and \
                1 <= len(s.iter.args) <= 2 and not s.iter.kwargs and \
                not any(isinstance(a, ir.Starred) for a in s.iter.args):
            out = []
            start, stop = (Const(0), s.iter.args[0]) if len(s.iter.args) == 1 else s.iter.args
            start, stop = [values.temp(s, a, env, out) if isinstance(a, Var) else a for a in (start, stop)]
            # (the range is made once, before the first iteration, which may rebind `n` in `range(n)`)
            runs = values.temp(s, ir.Compare(stop, (">",), (start,)), env, out)
            rest = values.temp(s, ir.BinOp("+", start, Const(1)), env, out)
            counter = self.inliner.alloc.fresh(s.target)  # (a loop's counter is its own: the user's name, read
            # by the first iteration too, becomes an ordinary variable)

            def loop():
                step = new(s, Assign((s.target,), Var(counter)))
                return new(s, For(counter, Call(s.iter.func, (rest, stop)), [step] + ir.clone(original)))

            then = [new(s, Assign((s.target,), start))] + _then_loop(ir.clone(original), loop)
            return out + [new(s, ir.If(runs, then, []))]
        if isinstance(s, ir.While) and isinstance(s.test, Const) and s.test.value is True:
            return _then_loop(ir.clone(original), lambda: new(s, ir.While(s.test, ir.clone(original))))
        return None

    def head_statics(self, s, env, assigned):
        """The names rebound in the loop that hold, at the end of every iteration, what they held before it
        (a tuple rebuilt with as many items: `args = (args[0] * 0.5, args[1])`): a quick pass over the body
        that inlines nothing (a call's value is not known)."""
        if _breaks(s.body):
            return set()
        trial = {k: v for k, v in env.items()}
        _shallow(s.body, trial)
        return {n for n in assigned if n in env and trial.get(n) == env[n]}

    def changed_lists(self, stmts, env):
        """The lists and dicts (known when compiling) the loop may change, and the other names holding them:
        those whose methods it calls or into which it stores, or that it passes to a function that is not a
        library's."""
        from .inline_resolve import is_library

        out = set()
        for t in ir.walk(stmts):
            if isinstance(t, ir.SetItem) and isinstance(t.target, Var):
                out.add(t.target.name)
            value = t.value if isinstance(t, (Assign, ExprStmt)) else None
            if not isinstance(value, Call):
                continue
            if isinstance(value.func, ir.Attr) and isinstance(value.func.value, Var):
                out.add(value.func.value.name)
            pure = isinstance(value.func, Global) and (value.func.path[:1] == ("_ad",) or value.func.obj is len or
                                                       is_library(value.func.obj))
            if not pure:
                out |= {a.name for a in value.args if isinstance(a, Var)}
        held = [env[n] for n in out if is_container(env.get(n))]
        return {k for k, v in env.items() if any(v is h for h in held)}  # (and their copies)

    @staticmethod
    def varied(static):
        """Do the items call different functions (or are objects of different classes, or strings)?"""
        if _any_item(static) is not None:
            return False
        base = static
        if isinstance(base, tuple) and base[0] == "seq":
            items = base[2]
        elif isinstance(base, tuple) and base[0] == "kind":
            from .inline_static import static_of_kind

            items = tuple(static_of_kind(k) for k in base[1].items)
        else:
            return False
        return any(i is not None and not (isinstance(i, tuple) and i[0] == "const" and not isinstance(i[1], str))
                   for i in items)  # (strings choose functions: `for name in ("tanh", "relu"): ACTS[name](h)`)


    def inline(self, s, env, inliner):
        """The statements replacing the loop `s` (its body inlined by `inliner`): unrolled where its items are
        known; else what is known at its head and the body may change is forgotten, and the body inlined again
        until nothing known changes (h15-005); a body switching a known function written out per iteration."""
        unrolled = self.unroll(s, env)
        if unrolled is not None:
            return inliner.block(unrolled, env)
        closure_lists = inliner.closure_lists.loop_entry(s, env)  # fs.append(lambda t, k=k: ...) in the loop
        entry = dict(env)
        assigned = {n for t in ir.walk(s.body) for n in ir.stmt_writes(t)}
        attrs = {str(ir.attr_key(t.items)) for t in ir.walk(s.body) if isinstance(t, ir.SetItem) and
                 ir.attr_key(t.items) is not None}
        assigned |= {k for k in env if isinstance(k, tuple) and k[1] in attrs}  # (objects' attributes)
        changed = self.changed_lists(s.body, env)
        kept = self.head_statics(s, env, assigned) - changed
        assigned |= changed
        for n in assigned - kept - closure_lists:  # a name rebound in the loop may hold another value in the next iteration
            env.pop(n, None)
        original = ir.clone(s.body)
        written = self.switched_functions(s, original, entry, assigned - kept - closure_lists)
        if written is not None:  # `act = np.tanh` in the body: each iteration's function known
            env.clear()
            env.update(entry)
            return inliner.block(written, env)
        heads, failed = {}, set()  # functions switched by the body: choices at the head (inline_choice.py)
        while True:
            body_env = dict(env)
            inliner.break_envs.append([])
            try:
                s.body = inliner.block(s.body, body_env)
            finally:
                breaks = inliner.break_envs.pop()
            # (what is known at the head and the body changes, also in a function it calls, may differ in the
            # next iteration: `self.on = not self.on`, a closure's `nonlocal n` or `state["on"] = ...`;
            # forgotten, and the body inlined again, h15-005)
            stale = [k for k in env if body_env.get(k) != env[k] and k not in heads]
            if stale:
                written = self.switched_functions(s, original, entry, stale, lazy=True)
                if written is None:  # (a count known only when it runs: the first iteration written out)
                    written = self.peel(s, original, entry, stale, dict(entry))
                if written is not None:  # `self.act = np.tanh` in the body: each iteration's function known
                    env.clear()
                    env.update(entry)
                    return inliner.block(written, env)
            # (a function known before the loop and switched by the body, with a `break` or a count known only
            # when it runs: a choice over the functions it may be at the head, until nothing changes)
            grown = inliner.choices.grow_heads(s, entry, env, body_env, breaks, heads, failed)
            stale = [k for k in stale if k not in heads]
            if not stale and not grown:
                break
            for k in stale:
                env.pop(k, None)
            s.body = ir.clone(original)
        pre = inliner.choices.finish_heads(s, entry, env, body_env, heads, breaks)
        for n in assigned:  # (the value it had before the loop, at the end of the body and at every `break`)
            if n not in heads and body_env.get(n) is not None and body_env.get(n) == entry.get(n) and \
                    all(b.get(n) == entry.get(n) for _, b in breaks):
                env[n] = entry[n]
        return pre + [s]


def _shallow(stmts, env):
    """What the statements bind, without inlining anything (calls: not known)."""
    from .inline_named import is_named_tuple_class
    from .inline_static import static_of_value

    for t in stmts:
        if isinstance(t, Assign) and len(t.targets) == 1:
            env.pop(t.target, None)
            if not isinstance(t.value, Call):
                static = static_of_value(t.value, env)
                if static is not None:
                    env[t.target] = static
            elif isinstance(t.value.func, Global) and is_named_tuple_class(t.value.func.obj):
                env[t.target] = ("named", t.value.func.obj)  # (a named tuple made again: inline_named.py)
        elif isinstance(t, ir.If):
            a, b = dict(env), dict(env)
            _shallow(t.body, a)
            _shallow(t.orelse, b)
            env.clear()
            env.update({k: v for k, v in a.items() if b.get(k) == v})
        elif isinstance(t, (ir.For, ir.While)):
            for n in {w for x in ir.walk(t.body) for w in ir.stmt_writes(x)}:
                env.pop(n, None)
        else:
            for n in ir.stmt_writes(t):
                env.pop(n, None)


def _changes_in_place(stmts, name, names=None):
    """Do these statements change the loop's item `name` (or a name it is copied to: `item = t3`) in place
    (`item *= c`, `item[0] = v`, `item.fill(0.0)`) before rebinding it?"""
    names = set(names or (name,))
    for t in stmts:
        if isinstance(t, ir.AugAssign) and t.target in names:
            return True
        if isinstance(t, ir.SetItem) and isinstance(t.target, Var) and t.target.name in names:
            return True
        if isinstance(t, ExprStmt) and isinstance(t.value, Call) and isinstance(t.value.func, ir.Attr) and \
                isinstance(t.value.func.value, Var) and t.value.func.value.name in names:
            return True
        if isinstance(t, Assign) and len(t.targets) == 1 and isinstance(t.value, Var) and t.value.name in names:
            names.add(t.target)
            continue
        if names & set(ir.stmt_writes(t)) or isinstance(t, (ir.For, ir.While)):
            return False
        if isinstance(t, ir.If) and (_changes_in_place(t.body, name, names) or
                                     _changes_in_place(t.orelse, name, names)):
            return True
    return False


def _ends_count(stmts):
    """At how many ends does an iteration of these statements go on to the next one (None: a `break` not at the
    end of its block, which the desugared code does not make)?"""
    if stmts and isinstance(stmts[-1], Break):
        return 0 if not _breaks(stmts[:-1]) else None
    if _breaks(stmts[:-1]):
        return None
    last = stmts[-1] if stmts else None
    if isinstance(last, ir.If) and (_breaks(last.body) or _breaks(last.orelse)):
        a, b = _ends_count(last.body), _ends_count(last.orelse)
        return None if a is None or b is None else a + b
    return 1


def _then_loop(stmts, make):
    """The statements, each `break` of this loop dropped (the path leaves it) and `make()` (the rest of the
    loop) appended at each end that goes on to the next iteration."""
    if stmts and isinstance(stmts[-1], Break):
        return stmts[:-1]
    last = stmts[-1] if stmts else None
    if isinstance(last, ir.If) and (_breaks(last.body) or _breaks(last.orelse)):
        last.body, last.orelse = _then_loop(last.body, make), _then_loop(last.orelse, make)
        return stmts
    return stmts + [make()]


def _breaks(stmts):
    """Does a `break` of this loop (not of an inner one) occur in these statements?"""
    for s in stmts:
        if isinstance(s, Break):
            return True
        if isinstance(s, ir.If) and (_breaks(s.body) or _breaks(s.orelse)):
            return True
    return False
