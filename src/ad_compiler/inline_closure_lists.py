"""Lists of closures made in a loop, for the inliner (inline.py).

    fs = []
    for k in range(3):
        fs.append(lambda t, k=k: t * w[k])
    total = sum(f(x) for f in fs)

Every item of `fs` is the same nested function; only its defaults (evaluated when each was made) differ. The
list keeps, instead of the functions, the tuples of their defaults (`fs.append((k,))`), and a call of an item
(`f(x)`, `fs[0](x)`) is the nested function inlined with its defaults read from the item (`k_1 = f[0]`); what
it reads of the enclosing function it reads where it is called, as Python does (late binding). The static
value of such a list is ('closures', closure), of an item ('defaults of', closure).

This holds only while the list is used for that alone: made empty in the function, appended closures of one
nested function, iterated, indexed, measured (`len`), its items called. `check` refuses, at an `append`,
a list used in any other way (returned, passed to a function, given another value), whose items would then
be tuples where the function has functions.
"""
from . import ir
from .errors import UnsupportedError
from .ir import Assign, Build, Call, Const, ExprStmt, Global, Index, Var


def is_closure_list(static):
    return isinstance(static, tuple) and static[0] == "closures"


def same_function(a, b):
    return a.fdef is b.fdef and a.scope is b.scope


class ClosureLists:
    """The inliner's part for lists of closures."""

    def __init__(self, inliner):
        self.inliner = inliner
        self.appends = []  # the `fs.append(defaults)` statements written (checked at the end)

    def accepts(self, static, closure):
        """May a list with this static value take the closure (empty, or closures of the same function)? Not
        a closure that can be made a real function (it reads nothing of the enclosing function and its
        defaults are constants: inline_values.py lifts it, and the list holds functions as in Python)."""
        from .inline_lift import captured_names

        if not captured_names(closure.fdef, closure.scope) and all(isinstance(d, Const) for d in closure.defaults):
            return False
        if isinstance(static, tuple) and static[0] == "seq" and static[1] is list and not static[2]:
            return True
        return is_closure_list(static) and same_function(static[1], closure)

    def append(self, stmt, env):
        """`fs.append(c)` of a closure into a list of closures: `fs.append(<c's defaults>)` (statements), or
        None when this is not such an append."""
        call = stmt.value if isinstance(stmt, ExprStmt) else None
        if not (isinstance(call, Call) and isinstance(call.func, ir.Attr) and call.func.attr == "append" and
                isinstance(call.func.value, Var) and len(call.args) == 1 and isinstance(call.args[0], Var) and
                not call.kwargs):
            return None
        closure = env.get(call.args[0].name)
        seq = call.func.value.name
        if not isinstance(closure, ir.Closure) or not self.accepts(env.get(seq), closure):
            return None
        t = self.inliner.alloc.temp()
        made = Assign((t,), Build("tuple", tuple(closure.defaults)))
        added = ExprStmt(Call(call.func, (Var(t),), ()))
        for s in (made, added):
            s.origin, s.nograd = stmt.origin, stmt.nograd
        static = ("closures", closure)
        for k in [k for k, v in env.items() if v is env.get(seq)]:
            env[k] = static
        env[seq] = static
        self.appends.append((added, closure))
        return [made, added]

    def loop_entry(self, loop, env):
        """The lists a loop appends closures of one nested function to (directly in its body, and used
        there for nothing else), given the static value ('closures', c) before it: the names to keep."""
        made = {s.target: s.value for s in loop.body if isinstance(s, Assign) and len(s.targets) == 1 and
                isinstance(s.value, ir.Closure)}
        kept = set()
        for s in loop.body:
            call = s.value if isinstance(s, ExprStmt) else None
            if not (isinstance(call, Call) and isinstance(call.func, ir.Attr) and call.func.attr == "append" and
                    isinstance(call.func.value, Var) and len(call.args) == 1 and isinstance(call.args[0], Var)):
                continue
            seq, closure = call.func.value.name, made.get(call.args[0].name)
            if closure is None or not self.accepts(env.get(seq), closure) or \
                    sum(seq in ir.stmt_reads(t) or seq in ir.stmt_writes(t) for t in ir.walk(loop.body)) != 1:
                continue
            old = env.get(seq)
            for k in [k for k, v in env.items() if v is old]:
                env[k] = ("closures", closure)
            kept |= {k for k, v in env.items() if is_closure_list(v)}
        return kept

    @staticmethod
    def item(static):
        """The static value of an item of a list of closures."""
        return ("defaults of", static[1]) if is_closure_list(static) else None

    @staticmethod
    def callee(func, static):
        """The closure a call of an item calls, its defaults read from the item (`f[0]`), or None."""
        if not (isinstance(static, tuple) and static[0] == "defaults of" and isinstance(func, Var)):
            return None
        c = static[1]
        return ir.Closure(c.fdef, c.scope, c.unit, tuple(Index(func, (Const(j),)) for j in range(len(c.defaults))))

    def check(self, body):
        """Refuse a list of closures used other than by appends, iteration, indexing, `len` and calls of its
        items (inlined), at its first append (see the module's docstring)."""
        if not self.appends:
            return
        ours = {id(s) for s, _ in self.appends}
        lists = {s.value.func.value.name for s, _ in self.appends}
        items = set()
        stmts = list(ir.walk(body))
        changed = True
        while changed:  # the names holding the lists, or their items
            changed = False
            for s in stmts:
                if not (isinstance(s, Assign) and len(s.targets) == 1):
                    continue
                v, t = s.value, s.target
                new = None
                if isinstance(v, Var) and v.name in lists or (
                        isinstance(v, Call) and isinstance(v.func, Global) and v.func.path == ("_ad", "iter_list")
                        and len(v.args) == 1 and isinstance(v.args[0], Var) and v.args[0].name in lists):
                    new = lists
                elif isinstance(v, Index) and isinstance(v.value, Var) and v.value.name in lists:
                    new = lists if any(isinstance(i, ir.Slice) for i in v.items) else items
                if new is not None and t not in new:
                    new.add(t)
                    changed = True
        for s in stmts:
            read = ir.stmt_reads(s) & (lists | items)
            if not read or id(s) in ours:
                continue
            v = s.value if isinstance(s, (Assign, ExprStmt)) else None
            fine = isinstance(s, Assign) and len(s.targets) == 1 and (
                (isinstance(v, Var)) or
                (isinstance(v, Call) and isinstance(v.func, Global) and v.func.path in (("_ad", "iter_list"), ("len",))
                 and len(v.args) == 1) or
                (isinstance(v, Index) and isinstance(v.value, Var) and not (names_in_items(v) & (lists | items)) and
                 (v.value.name in lists or all(isinstance(i, Const) for i in v.items))))
            if not fine:
                _, closure = self.appends[0]
                name = closure.fdef.name if closure.fdef.name != "lambda" else "<lambda>"
                first = self.appends[0][0]
                where = first.origin.unit.location(first.origin.node) if first.origin is not None else None
                at = s.origin.unit.location(s.origin.node) if s.origin is not None else None
                used = f"at line {at.line}: `{at.text.strip()}`" if at is not None and at.text else "later"
                raise UnsupportedError(
                    f"the nested function `{name}` is kept in a list that is used otherwise than by calling its "
                    f"items in the function ({used})", where=where,
                    hint="call the functions in the function (`sum(f(x) for f in fs)`), or define the function "
                         "at module level and pass what it needs as arguments")


def names_in_items(index):
    out = set()
    for i in index.items:
        out |= ir.names_in(i) if not isinstance(i, Const) else set()
    return out
