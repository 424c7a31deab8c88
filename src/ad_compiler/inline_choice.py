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
from .inline_static import is_table, same_static, static_of_atom, table_static
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

    def call(self, stmt, call, target, env):
        """The `if` chain replacing `target = f(...)` for a name `f` holding a choice, or None."""
        if not isinstance(call.func, Var):
            return None
        choice = env.get(call.func.name)
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
