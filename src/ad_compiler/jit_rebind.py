"""jit=True: `_ad.add_at(b, k, g)` into an adjoint that may be a tuple, written `b = _ad.added_at(b, k, g)`.

The plain helper changes b (a list) in place; Numba's tuples cannot change, so b is rebound to a new tuple
with item k added. That is the same only where no other name holds b's object: every assignment of b makes
a new object (`_ad.getitem_vjp(...)`, `_ad.zeros_like(...)`, `_ad.add(...)`, a tuple or list built there),
and b is read only by item (`b[0]`: the items are not changed, add_at puts a new sum at k), by `_ad.add`
(a new object), by add_at itself and by the return. The helper's last argument says so (a constant): where
it is False, a tuple is refused by Numba's typing at the user's line, and a list or an array is changed in
place and returned (the same object: nothing changes for other names).
"""
from . import ir, kinds as K, runtime
from .ir import Assign, Build, Call, ExprStmt, Global, Index, Var

DEBUG = __import__("os").environ.get("AD_DEBUG_REBIND")
FRESH = {"getitem_vjp", "zeros_like", "add", "owned_copy", "added_at", "cleared_at"}  # (helpers whose value is a new object)
READERS = {"add", "as_grads", "as_grad"}  # (helpers that read b without keeping its object)


def rebound(s, body, kinds):
    """The statement `b = _ad.added_at(b, k, g)` for the add_at statement `s`, or None."""
    b = s.value.args[0]
    if not isinstance(b, Var) or not _maybe_tuple(body, b.name, kinds):
        return None  # (an array's or a list's add_at is a store, `b[k] += g`)
    owned = ir.Const(_owned(body, b.name))  # (a tuple only where owned; a list or array changed in place)
    new = Assign((b.name,), Call(Global(("_ad", "added_at"), None, runtime), (*s.value.args, owned)))
    new.origin = s.origin
    return new


def popped(s, body, kinds):
    """For `t = _ad.pop_item(b, k)` (the adjoint of a store into an item) with b maybe a tuple, `t =
    _ad.taken_at(b, k)` and `b = _ad.cleared_at(b, k, owned)` (zeros at k: a new tuple), or None."""
    b, index = s.value.args
    if not isinstance(b, Var) or not isinstance(index, ir.Const) or type(index.value) is not int or \
            not _maybe_tuple(body, b.name, kinds):
        return None
    owned = ir.Const(_owned(body, b.name))
    taken = Assign(s.targets, Call(Global(("_ad", "taken_at"), None, runtime), (b, index)))
    cleared = Assign((b.name,), Call(Global(("_ad", "cleared_at"), None, runtime), (b, index, owned)))
    taken.origin = cleared.origin = s.origin
    return [taken, cleared]


PRIMAL = {"getitem_vjp": 1, "owned_copy": 1, "zeros_like": 0}  # (the argument whose adjoint the helper makes)


def _maybe_tuple(body, name, kinds):
    """May the adjoint `name` be a tuple, or a list of tuples? Not when its kind, or the kind of the value
    every assignment of it is the adjoint of, is known to be an array, a number or a list of those."""
    if isinstance(kinds.get(name), (K.Array, K.Scalar)):
        return False
    for s in ir.walk(body, into_functions=True):
        if name in ir.stmt_writes(s):
            if not (isinstance(s, Assign) and _helper(s.value) in PRIMAL and
                    len(s.value.args) > PRIMAL[_helper(s.value)]):
                return True
            x = s.value.args[PRIMAL[_helper(s.value)]]
            if not isinstance(x, Var) or _holds_tuples(kinds.get(x.name)):
                return True
    return False


def certainly_array(body, name, kinds):
    """Is the adjoint `name` an array, or a list of numbers (its kind, or every assignment of it the adjoint of
    an array or of a list of numbers)? Then `b[k] += g` is add_at; into a list of arrays it would add in place
    into the item, which may be another adjoint under a second name (`blst = getitem_vjp(bt, lst, 0)` holds bt
    itself: rw-004)."""
    if isinstance(kinds.get(name), K.Array):
        return True
    primal = {**PRIMAL, "getitem_vjp_into": 1}
    found = False
    for s in ir.walk(body, into_functions=True):
        if name in ir.stmt_writes(s):
            if not (isinstance(s, Assign) and _helper(s.value) in primal and len(s.value.args) > primal[_helper(s.value)]):
                return False
            x = s.value.args[primal[_helper(s.value)]]
            if not (isinstance(x, Var) and _of_numbers(kinds.get(x.name))):
                return False
            found = True
    return found


def _of_numbers(kind):
    """An array, or a list or tuple of numbers only: items `b[k] += g` cannot change in place elsewhere."""
    if isinstance(kind, K.Array):
        return True
    if isinstance(kind, K.Seq):
        items = kind.items if kind.items is not None else (kind.elem,)
        return all(isinstance(i, K.Scalar) for i in items)
    return False


def _holds_tuples(kind):
    if isinstance(kind, (K.Array, K.Scalar)):
        return False
    if isinstance(kind, K.Seq) and kind.cls is list:
        items = kind.items if kind.items is not None else (kind.elem,)
        return any(i is None or _holds_tuples(i) for i in items)
    return True


def _helper(e):
    """`_ad.name(...)` or, in a statement lowered already, `_ad.jit.name(...)`: name."""
    if isinstance(e, Call) and isinstance(e.func, Global) and e.func.path[0] == "_ad":
        if len(e.func.path) == 2 or len(e.func.path) == 3 and e.func.path[1] == "jit":
            return e.func.path[-1]
    return None


def _owned(body, name):
    made = False
    top = {id(s) for s in body}
    given = None  # (where b's object was put into another adjoint, `_ad.getitem_vjp(b, x, k)`: its last use)
    for s in ir.walk(body, into_functions=True):
        if name in ir.stmt_writes(s):
            if not (isinstance(s, Assign) and s.targets == (name,) and
                    (_helper(s.value) in FRESH or isinstance(s.value, Build))):
                return False
            made = True
        if isinstance(s, ExprStmt) and _helper(s.value) == "add_at" and s.value.args[0] == Var(name):
            exprs = s.value.args[1:]
        elif isinstance(s, ExprStmt) and _helper(s.value) == "add_at" and s.value.args[2] == Var(name):
            exprs = s.value.args[:2]  # (b added into another adjoint: `add` makes a new sum of it)
        elif isinstance(s, Assign) and _helper(s.value) in ("pop_item", "taken_at", "added_at", "cleared_at") \
                and s.value.args[0] == Var(name):
            exprs = s.value.args[1:]  # (b read by item, or rebound)
        elif isinstance(s, Assign) and _helper(s.value) == "added_at" and s.value.args[2] == Var(name):
            exprs = s.value.args[:2]
        elif isinstance(s, Assign) and _helper(s.value) == "getitem_vjp" and s.value.args[0] == Var(name) and \
                id(s) in top and given is None:
            exprs = s.value.args[1:]  # (b becomes an item of a new adjoint: nothing may change b after)
            given = s
        elif isinstance(s, ir.Return):
            exprs = [e for e in _returned(s.value)]
        else:
            exprs = _exprs(s)
        if given is not None and given is not s and _changes(s, name):
            exprs = [Var(name)]
        if any(not _reads_ok(e, name) for e in exprs):
            if DEBUG:
                print("not owned", name, s)
            return False
    return made


def _changes(s, name):
    """Does `s` change b's object (in the plain derivative) or rebind b?"""
    return name in ir.stmt_writes(s) or isinstance(s, (ExprStmt, Assign)) and \
        _helper(s.value) in ("add_at", "pop_item", "taken_at") and s.value.args[0] == Var(name)


def _returned(e):
    """The parts of a returned value read as they are: a tuple's items, as_grads' arguments."""
    if isinstance(e, Var):
        return []
    if isinstance(e, Build):
        return [x for i in e.items for x in _returned(i)]
    return [e]


def _exprs(s):
    if isinstance(s, Assign):
        return [s.value]
    if isinstance(s, ir.SetItem):
        return [s.target, *s.items, s.value]
    if isinstance(s, ir.AugAssign):
        return [s.value]
    if isinstance(s, (ExprStmt, ir.Return)):
        return [s.value] if s.value is not None else []
    if isinstance(s, (ir.If, ir.While)):
        return [s.test]
    if isinstance(s, ir.For):
        return [s.iter]
    if isinstance(s, ir.Mutate):
        return [s.target, *s.args]
    return []


def _operand_ok(a, name):
    if isinstance(a, Build):
        return all(_operand_ok(i, name) for i in a.items)
    return a == Var(name) or _reads_ok(a, name)


def _reads_ok(e, name):
    """Does `e` read `name` only by item, or as an operand of a helper that keeps no reference to it?"""
    if e == Var(name):
        return False
    if isinstance(e, Index) and e.value == Var(name):
        return all(_reads_ok(i, name) for i in e.items)
    if isinstance(e, Call) and _helper(e) in READERS:
        return all(_operand_ok(a, name) for a in e.args) and \
            all(_reads_ok(v, name) for _, v in e.kwargs)
    return all(_reads_ok(c, name) for c in ir.children(e))

