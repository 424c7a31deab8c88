"""Functions chosen from a table by a value known only when the derivative runs: `ACTS[k](x)` with `k` an
argument, `layers[i](h)` in a loop over `range(n)`, `{0: np.tanh, 1: np.cos}[k]` (issue 10: functions as
values). Used by the inliner (inline.py).

Where the table is read (`f = table[key]`, the key not known when compiling), the position of the entry is
computed first, with Python's own indexing (`_ad.table_position`: negative indices, IndexError and
TypeError as the list gives them; KeyError for a dict); a call of `f` then becomes an `if` chain over the
positions, each branch a call of one known function (inlined, or differentiated by its rule, as any call):

    p = _ad.table_position(k, 3)          # f = ACTS[k]
    if p == 0:                            # y = f(x)
        y = np.tanh(x)
    elif p == 1: ...

Each entry must be a function known when compiling: of a list, tuple or dict of the user's module (recorded,
so that the derivative is compiled again when the table changes: its length and each entry), of a list or
dict displayed in the function, or of a list of functions passed as an argument (its kind holds them).
"""
from . import ir
from .inline_static import is_table, same_static, static_of_atom, static_of_value, table_static
from .ir import Assign, Call, Const, ExprStmt, Global, If, Var
from .kinds import Dict, Func, Seq

MAX_ENTRIES = 16  # (a longer table is left to the usual refusal: its `if` chain would be unreadable)


class Choices:
    """The inliner's part for tables of functions indexed by a value known only when the derivative runs."""

    def __init__(self, inliner):
        self.inliner = inliner
        self.values = inliner.values

    def read(self, stmt, value, target, env):
        """For `target = table[key]`: the statements computing the entry's position and the read itself, with
        `env[target]` the choice; None when the table's entries are not all known functions."""
        if not (isinstance(value, ir.Index) and len(value.items) == 1 and not value.tuple_form and
                isinstance(value.items[0], Var)):
            return None
        found = self.entries(stmt, value.value, env)
        if found is None:
            return None
        keys, statics = found
        if len(statics) < 2 or all(same_static(statics[0], s) for s in statics[1:]):
            return None  # (one function: the usual static value)
        out = []
        rt = _runtime()
        where = Const(keys) if isinstance(keys, int) else Const(tuple(keys))
        position = self.values.temp(stmt, Call(Global(("_ad", "table_position"), rt.table_position, rt),
                                               (value.items[0], where)), env, out)
        out.append(stmt)
        env[target] = ("choice", position, tuple(statics))
        return out

    def entries(self, stmt, table, env):
        """(keys, static values of the entries) of a table of functions: keys is the length of a list or
        tuple, or the tuple of a dict's keys; None when not all entries are known functions."""
        static = static_of_atom(table, env)
        if isinstance(static, Global) and is_table(static.obj):
            obj = static.obj
            pairs = list(obj.items()) if isinstance(obj, dict) else list(enumerate(obj))
            if not 2 <= len(pairs) <= MAX_ENTRIES or not all(_function(table_static(v)) for _, v in pairs) or \
                    not all(_key(k) for k, _ in pairs):
                return None
            items = getattr(self.inliner.ctx, "items", None)
            if items is None:
                return None  # (nothing records the table: a change of it could not compile the derivative again)
            items.append((obj, len, len(obj)))
            items.extend((obj, k, v) for k, v in pairs)
            keys = tuple(k for k, _ in pairs) if isinstance(obj, dict) else len(pairs)
            return keys, [table_static(v) for _, v in pairs]
        if isinstance(static, tuple) and static[0] == "seq" and 2 <= len(static[2]) <= MAX_ENTRIES:
            return (len(static[2]), list(static[2])) if all(_function(s) for s in static[2]) else None
        if isinstance(static, tuple) and static[0] == "dict" and 2 <= len(static[1]) <= MAX_ENTRIES and \
                all(_key(k) for k in static[1]):
            return (tuple(static[1]), list(static[2])) if all(_function(s) for s in static[2]) else None
        if isinstance(static, tuple) and static[0] == "kind" and isinstance(static[1], (Seq, Dict)):
            kind = static[1]
            items = kind.items
            if items is None or not 2 <= len(items) <= MAX_ENTRIES or \
                    not all(isinstance(k, Func) and not isinstance(k.obj, ir.Closure) for k in items):
                return None
            if isinstance(kind, Dict) and not all(_key(k) for k in kind.keys):
                return None
            keys = tuple(kind.keys) if isinstance(kind, Dict) else len(items)
            return keys, [("kind", k) for k in items]
        return None

    def join(self, s, then_env, else_env, joined):
        """After `if ...: act = np.cos else: act = np.tanh` (or `o.act = ...`, a data-dependent test): each name
        (or object's attribute) holding a known function, or a choice, in both branches but not the same one
        is a choice over both branches' functions, its position set at the end of each branch. Added to
        `joined`; the branches' statements appended to `s`."""
        if ends(s.body) or ends(s.orelse):
            return  # (a branch that jumps does not reach the join: left to the usual intersection)
        for k, a in then_env.items():
            b = else_env.get(k)
            if k in joined or b is None:
                continue
            merged = union(a, b)
            if merged is None:
                continue
            p = Var(self.inliner.alloc.temp())
            at_end(s.body, self.values.new_stmt(s, position(p, a, merged)))
            at_end(s.orelse, self.values.new_stmt(s, position(p, b, merged)))
            joined[k] = ("choice", p, merged)

    def grow_heads(self, s, entry, env, end, breaks, heads, failed):
        """After the body of the loop `s` is inlined once: a name (or object's attribute) holding a known function
        before the loop and another one (or a choice) at the end of the body, or at a `break` (`breaks`:
        (statement, what is known there)), is a choice at the loop's head (`heads`: key -> (position, entries)),
        set in `env`; a head whose body ends (or breaks) with a function not among its entries gets it too, and
        one whose body ends with anything else is forgotten. True when `env` changed (the body is then inlined
        again)."""
        if getattr(s, "checkpoint", None) is not None or ends(s.body):
            return False
        changed = False
        for k in [k for k in heads] + [k for k in entry if k not in heads and k not in failed]:
            left = [b[k] for _, b in breaks if statics_of(b.get(k)) is not None]  # (functions at `break`s)
            if k in heads:
                p, entries = heads[k]
                found = [] if end.get(k) == env.get(k) else statics_of(end.get(k))
                grown = None if found is None else _grown(entries, [found] + [statics_of(v) for v in left])
                if grown is None:
                    failed.add(k)
                    del heads[k]
                    env.pop(k, None)
                    changed = True
                    continue
                if grown == entries:
                    continue
                entries = grown
            else:
                start = statics_of(entry[k])
                if start is None:
                    continue
                if end.get(k) is None and k not in env:
                    entries = tuple(start)  # (rebound in the loop, maybe only on some paths: `if x[i] > 0:
                    # act = np.cos`; the function before it, as a one-entry choice, joined at that `if`)
                else:
                    found = statics_of(end.get(k))
                    if found is None:
                        continue
                    if all(v == entry[k] or same_static(v, entry[k]) for v in [end[k]] + left):
                        continue  # (the same function at every exit)
                    entries = _grown(tuple(start), [found] + [statics_of(v) for v in left])
                    if entries is None:
                        continue
                p = Var(self.inliner.alloc.temp())
            heads[k] = (p, entries)
            env[k] = ("choice", p, entries)
            changed = True
        return changed

    def finish_heads(self, s, entry, env, end, heads, breaks):
        """The statements setting the heads' positions before the loop `s`; each position set again at the end
        of its body, and before each `break` (`breaks`: (statement, what is known there)) where the name holds
        another of its functions, so that the choice holds after the loop; a `break` where it holds anything
        else makes the name not known after the loop."""
        pre = []
        new = self.values.new_stmt
        for k, (p, entries) in heads.items():
            pre.append(new(s, position(p, entry[k], entries)))
            if end.get(k) != env[k]:
                at_end(s.body, new(s, position(p, end[k], entries)))
            for stmt, known in breaks:
                if known.get(k) == env[k]:
                    continue
                found = statics_of(known.get(k))
                if found is None or not all(any(same_static(x, y) for y in entries) for x in found) or \
                        not _insert_before(s.body, stmt, new(s, position(p, known[k], entries))):
                    env.pop(k)
                    break
        return pre

    def call(self, stmt, call, target, env):
        """The `if` chain replacing `target = f(...)` for a name `f` (or an object's attribute `o.act`) holding
        a choice, or None."""
        if isinstance(call.func, ir.Attr) and isinstance(call.func.value, Var):
            choice = static_of_value(call.func, env)
        elif isinstance(call.func, Var):
            choice = env.get(call.func.name)
        else:
            return None
        if not (isinstance(choice, tuple) and choice[0] == "choice"):
            return None
        _, position, statics = choice
        new = self.values.new_stmt
        chain = None
        for i in reversed(range(len(statics))):
            body = []
            func = self.callable_atom(stmt, statics[i], env, body)
            made = Call(func, call.args, call.kwargs)
            body.append(new(stmt, Assign((target,), made) if target is not None else ExprStmt(made)))
            if chain is None:  # (the last position: the others were excluded)
                chain = body
                continue
            test = []
            flag = self.values.temp(stmt, ir.Compare(position, ("==",), (Const(i),)), env, test)
            chain = test + [new(stmt, If(flag, body, chain))]
        return self.inliner.block(chain, env)

    def callable_atom(self, stmt, static, env, out):
        """An atom calling the function a static value describes (a name bound to a nested function first)."""
        from .inline_values import spell_object

        if isinstance(static, tuple) and static[0] == "kind":
            return spell_object(static[1].obj, stmt)
        if isinstance(static, Global):
            return spell_object(static.obj, stmt)
        return self.values.temp(stmt, static, env, out)  # a nested def or lambda (a Closure)


def statics_of(static):
    """The functions a static value may be: [it] for a known function, a choice's entries, else None."""
    if isinstance(static, tuple) and static[0] == "choice":
        return list(static[2])
    if isinstance(static, ir.Closure) and static.defaults:
        return None  # (its defaults, evaluated where it is defined, are temporaries of that branch)
    return [static] if _function(static) else None


def union(a, b):
    """The entries of a choice over what two static values may be (a's first, in order; then b's not among
    them), or None when either is not a known function (or choice), both are the same one, or too many."""
    left, right = statics_of(a), statics_of(b)
    if left is None or right is None or a == b:
        return None
    merged = left + [x for x in right if not any(same_static(x, y) for y in left)]
    if len(merged) > MAX_ENTRIES or (len(left) == len(merged) == len(right) and isinstance(a, tuple) and
                                     isinstance(b, tuple) and a[0] == b[0] == "choice" and a[1] == b[1]):
        return None
    return tuple(merged)


def position(p, static, entries):
    """`p = i` making the choice `("choice", p, entries)` hold `static` (a known function, or a choice whose
    entries are among `entries`: its position, mapped by a constant tuple when the order differs)."""
    if isinstance(static, tuple) and static[0] == "choice":
        mapping = tuple(_index(entries, x) for x in static[2])
        if mapping == tuple(range(len(mapping))):
            return Assign((p.name,), static[1])
        return Assign((p.name,), ir.Index(Const(mapping), (static[1],)))
    return Assign((p.name,), Const(_index(entries, static)))


def _index(entries, static):
    return next(i for i, x in enumerate(entries) if same_static(x, static))


def _grown(entries, more):
    """`entries` and the functions of the lists `more` not among them (in order), or None when too many."""
    out = list(entries)
    for found in more:
        out.extend(x for x in found if not any(same_static(x, y) for y in out))
    return tuple(out) if len(out) <= MAX_ENTRIES else None


def _insert_before(stmts, target, new):
    """`new` inserted before the statement `target` in these statements or the `if`s among them; found?"""
    for i, t in enumerate(stmts):
        if t is target:
            stmts.insert(i, new)
            return True
        if isinstance(t, If) and (_insert_before(t.body, target, new) or _insert_before(t.orelse, target, new)):
            return True
    return False


def at_end(stmts, new):
    """`new` appended where the block ends without jumping: after `if c: break else: ...` (a `while` loop's
    test, desugared), at the end of the branch that goes on, as the desugared code has it."""
    last = stmts[-1] if stmts else None
    if isinstance(last, If) and last.role is None and ends(last.body) != ends(last.orelse):
        at_end(last.orelse if ends(last.body) else last.body, new)
    else:
        stmts.append(new)


def ends(stmts):
    """Does this block always jump (`break`, `return`, `raise`) at its end?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ir.Break, ir.Return)):
        return True
    if isinstance(last, ExprStmt) and isinstance(last.value, Call) and isinstance(last.value.func, Global) and \
            last.value.func.path == ("_ad", "throw"):
        return True
    return isinstance(last, If) and ends(last.body) and ends(last.orelse)


def _key(k):
    """A dict key the generated code writes as a constant (an int, a string, a bool, None; not a function, whose
    repr is no Python, nor a float, whose nan is not equal to itself)."""
    return k is None or type(k) in (int, str, bool)


def _function(static):
    """Is this static value a function known when compiling (not a class, a table or an object)?"""
    import inspect

    if isinstance(static, Global):
        return callable(static.obj) and not inspect.isclass(static.obj) and not is_table(static.obj) and \
            not isinstance(static.obj, type)
    if isinstance(static, ir.Closure):
        return True
    return isinstance(static, tuple) and static[0] == "kind" and isinstance(static[1], Func) and \
        not isinstance(static[1].obj, ir.Closure)


def _runtime():
    from . import runtime

    return runtime
