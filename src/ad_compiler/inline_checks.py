"""Checks of the inliner's work: an iterator the compiler computes as a list when it is made (`map(...)`, a
generator function's values) is used once, as Python's would be; a generator ends by itself; a value a `try`
body assigns is not read after an exception interrupted it."""
import ast
import builtins
import inspect
import textwrap
import types

import numpy as np

from . import ir
from .errors import UnsupportedError
from .ir import Assign


def check_generator_ends(stmt, unit, fdef):
    """A generator is run to its end when it is called: one that needs its consumer to stop it (`while True:`
    without a `break` or `return`) is refused."""
    for node in ast.walk(fdef):
        if isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            exits = [n for n in ast.walk(node) if isinstance(n, (ast.Break, ast.Return))]
            if not exits:
                raise UnsupportedError("a generator that never ends by itself (`while True:` without `break` or "
                                       "`return`): the compiler computes a generator's values when it is called",
                                       where=unit.location(node), hint="bound the loop (a `for` over a range, or a "
                                       "condition), or build a list of the values the consumer needs")


_MUTATING = {"append", "extend", "insert", "pop", "clear", "remove", "sort", "reverse", "update", "setdefault",
             "popitem", "add", "discard", "fill", "put", "resize", "partition", "itemset"}


# methods of arrays, lists, dicts, tuples and strings that do not change their object (any other method called
# on a value of the caller's, e.g. of an object of the user's class, may change it)
_READING = {m for t in (np.ndarray, list, dict, tuple, str) for m in dir(t) if not m.startswith("_")} - _MUTATING


def _module_or_class(unit, name, params):
    """Is the free name `name` a module or a class (`np.exp(v)`: no value of the caller's changes)?"""
    if name in params:
        return False
    found, obj = unit.lookup(name)
    return found and isinstance(obj, (types.ModuleType, type))


def check_generator_effects(unit, fdef):
    """A generator is run to its end when it is called, also when its consumer stops early (`break`): one that
    changes what its caller sees (an argument or a variable of an enclosing function, through a store, a
    mutating method, `nonlocal`) would make changes Python's would not have made yet, and is refused."""
    local = set()
    for node in ast.walk(fdef):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    params = {a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs}
    params |= {a.arg for a in (fdef.args.vararg, fdef.args.kwarg) if a is not None}
    outer = lambda name: name in params or name not in local  # noqa: E731 (an argument or a free variable)
    for node in ast.walk(fdef):
        bad = None
        if isinstance(node, (ast.Nonlocal, ast.Global)):
            bad = node
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                base = t
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if base is not t and isinstance(base, ast.Name) and outer(base.id):
                    bad = t
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and outer(node.func.value.id) and \
                (node.func.attr in _MUTATING or node.func.attr not in _READING and
                 not _module_or_class(unit, node.func.value.id, params)):
            bad = node  # (also a method of the caller's object, `f.tick()`, which may change it: h15-007)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and outer(node.func.id) and \
                _call_may_change(unit, node, params):
            bad = node  # (a function given the caller's value, or a closure changing a `nonlocal`: `bump(d)`)
        if bad is not None:
            raise UnsupportedError("a generator that changes a value of its caller (an argument, or a variable of "
                                   "the enclosing function): the compiler computes a generator's values when it is "
                                   "called, also those its consumer does not ask for", where=unit.location(bad),
                                   hint="make the change in the consumer's loop, or build a list of the values")


# builtins and NumPy functions that change what they are given (the rest make new values)
_CHANGING_BUILTINS = {"setattr", "delattr", "next", "exec", "eval", "vars", "globals", "locals", "__import__"}
_CHANGING_NUMPY = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis"}


def _call_may_change(unit, node, params, depth=0):
    """May the call `g(...)` a generator makes change a value of its caller? `g` a sibling nested function (a
    closure: `inc()` with `nonlocal n`) or a function of the user's (`bump(d)`) whose body may change what it is
    given or reaches (read from its source: a store into an item or attribute, a changing method, `nonlocal` or
    `global`, a call of such a function); a NumPy function writing into an argument (`out=`, np.copyto)."""
    name = node.func.id
    if any(k.arg == "out" for k in node.keywords):
        return True
    if name not in params:
        sibling = next((n for n in ast.walk(unit.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and n.name == name and n is not unit.tree), None)
        if sibling is not None:
            return _body_may_change(sibling, unit.lookup, depth)
    found, obj = unit.lookup(name) if name not in params else (False, None)
    return not found or _object_may_change(obj, depth)


def _object_may_change(obj, depth):
    if isinstance(obj, (types.ModuleType, type)):
        return False
    mod = (getattr(obj, "__module__", None) or "").split(".")[0]
    name = getattr(obj, "__name__", "")
    if getattr(builtins, name, None) is obj:
        return name in _CHANGING_BUILTINS
    if isinstance(obj, np.ufunc) or mod in ("numpy", "scipy", "math"):
        return name in _CHANGING_NUMPY
    if not inspect.isfunction(obj) or depth >= 3:
        return True  # (not known: a partial, a callable object, calls nested too deep)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    except (OSError, TypeError, SyntaxError):
        return True
    fdef = tree.body[0] if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    g = getattr(obj, "__globals__", {})
    cells = dict(zip(obj.__code__.co_freevars, obj.__closure__ or ()))

    def lookup(n):
        if n in cells:
            try:
                return True, cells[n].cell_contents
            except ValueError:
                return False, None
        if n in g:
            return True, g[n]
        return (True, getattr(builtins, n)) if hasattr(builtins, n) else (False, None)

    return fdef is None or _body_may_change(fdef, lookup, depth + 1)


def _body_may_change(fdef, lookup, depth):
    """May this function's body change a value it is given or reaches (read from its syntax, conservatively)?"""
    local = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(fdef):
        if isinstance(node, (ast.Nonlocal, ast.Global)):
            return True
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            if any(isinstance(t, (ast.Subscript, ast.Attribute)) for t in targets):
                return True
        if isinstance(node, ast.Call):
            f = node.func
            if any(k.arg == "out" for k in node.keywords):
                return True
            if isinstance(f, ast.Attribute):
                known = _module_path(f.value, local, lookup)  # (`np.exp`, `np.linalg.norm`: no value changes)
                if f.attr in _MUTATING or f.attr == "at" or (f.attr not in _READING and not known):
                    return True
            elif isinstance(f, ast.Name) and f.id not in local:
                found, obj = lookup(f.id)
                if not found or _object_may_change(obj, depth):
                    return True
            elif not isinstance(f, ast.Name):
                return True
    return False


def _module_path(e, local, lookup):
    """Is `e` (`np`, `np.linalg`) a module or a class reached through a free name?"""
    path = []
    while isinstance(e, ast.Attribute):
        path.append(e.attr)
        e = e.value
    if not isinstance(e, ast.Name) or e.id in local:
        return False
    found, obj = lookup(e.id)
    for a in reversed(path):
        obj = getattr(obj, a, None)
    return found and isinstance(obj, (types.ModuleType, type))


def _yields(fdef):
    """Is this nested def a generator (a `yield` of its own, not of a function inside it)?"""
    todo = list(fdef.body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))
    return False


def _user_name(stmt, target):
    origin = stmt.origin
    node = origin.stmt if origin is not None else None
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return target


def check_iterators_used_once(body):
    """An iterator the compiler computes as a list when it is made (the value of `map(...)`, of a generator
    function) must be read once: Python's would be empty when read again, the list would not. (A name made
    again, in a loop written out once per item, starts a new count.) Stepped by `next(g)` (each statement one
    after the other in one block, none in a loop the iterator is not made in), the k-th is the list's k-th item
    (h16-006)."""
    records = []  # [statement, the loops around it, reads: [(statement, loops, block)]]
    current = {}  # name -> its record

    def visit(stmts, loops):
        for s in stmts:
            for n in ir.stmt_reads(s):
                if n in current:
                    current[n][2].append((s, loops, id(stmts)))
                    _check_not_stepped(s, n, current[n][0].iterator)
            for n in ir.stmt_writes(s):
                current.pop(n, None)
            if isinstance(s, Assign) and getattr(s, "iterator", None):
                current[s.target] = [s, loops, []]
                records.append(current[s.target])
            if isinstance(s, (ir.For, ir.While)):
                visit(s.body, loops + (id(s),))
            else:
                for b in ir.blocks(s):
                    visit(b, loops)

    visit(body, ())
    for stmt, loops, uses in records:
        stepped = all(_stepped(u, stmt.target) for u, _, _ in uses) and len({b for _, _, b in uses}) == 1
        if (len(uses) > 1 and not stepped) or \
                any(inner[:len(loops)] == loops and len(inner) > len(loops) for _, inner, _ in uses):
            origin = uses[-1][0].origin or stmt.origin
            raise UnsupportedError(f"the iterator `{stmt.iterator}` is used more than once (Python's iterator "
                                   "would be empty after its first use; the compiler computes its items when it "
                                   "is made)", where=origin.unit.location(origin.node),
                                   hint=f"make a list of it: `{stmt.iterator} = list(...)`")
        if uses and stepped:  # `z = next(g)`: the list's items, in order (h16-006)
            for k, (read, _, _) in enumerate(uses):
                read.value = ir.Index(ir.Var(stmt.target), (ir.Const(k),))


def _stepped(s, name):
    """Is `s` the statement `z = next(name)` (one argument)?"""
    value = s.value if isinstance(s, Assign) else None
    return isinstance(value, ir.Call) and isinstance(value.func, ir.Global) and value.func.obj is next and \
        len(value.args) == 1 and not value.kwargs and isinstance(value.args[0], ir.Var) and \
        value.args[0].name == name


def _check_not_stepped(s, name, shown):
    """`next(g, default)` of an iterator the compiler computes as a list (a generator's values, `map(...)`): a
    list is not an iterator (the derivative stopped with a TypeError where no derivative went through it,
    h16-006). (`next(g)` itself, read once, is the list's first item: check_iterators_used_once.)"""
    value = s.value if isinstance(s, Assign) else None
    if isinstance(value, ir.Call) and isinstance(value.func, ir.Global) and value.func.obj is next and \
            value.args and isinstance(value.args[0], ir.Var) and value.args[0].name == name and \
            not _stepped(s, name):
        origin = s.origin
        raise UnsupportedError(f"`next` of the iterator `{shown}` cannot be differentiated (yet): the compiler "
                               "computes its items when it is made", where=origin.unit.location(origin.node)
                               if origin is not None else None,
                               hint=f"take the first item of a list: `list({shown})[0]`, or loop over it")


def check_try_values(fn):
    """After an exception in a `try` body, Python's handler (and what follows the block) sees the names the
    body assigned before the exception; the derivative takes the handler's path as if the body had not run
    (desugar_blocks.py). So a name the body assigns, other than in its last statement (which, interrupted,
    assigns nothing), must not be read on that path before it is assigned again: refused."""
    from .liveness import liveness

    for s in ir.walk(fn.body):
        if not (isinstance(s, ir.If) and s.role == "try" and isinstance(s.test, ir.Var)) or _generated(s):
            continue
        branch_in = {}  # (the try's `else` block, `if ok:`, is not on the exception's path)
        liveness(fn, branch_in, false={s.test.name})
        read_after = branch_in[id(s)][1]
        last = _last_statement(s.body)
        for t in ir.walk(s.body):
            if t.origin is not None and t.origin.stmt is last:
                continue
            for name in sorted(ir.stmt_writes(t) & read_after):
                origin = t.origin or s.origin
                raise UnsupportedError(
                    f"`{name}` is assigned in a `try` body, not in its last statement, and read after an exception "
                    "the body may raise (in the handler, or after the block): the derivative cannot know which "
                    "value an interrupted body left",
                    where=origin.unit.location(origin.node) if origin is not None else None,
                    hint=f"assign `{name}` again in the handler, or compute it in the last statement of the body "
                         "(or outside the `try`)")


def _generated(s):
    """From code ad_compiler generated (a derivative differentiated again: its `try` blocks were checked as
    the user's, and what it reads after them is read under `if ok:`)."""
    return s.origin is not None and str(s.origin.unit.filename).startswith("<ad_compiler")


def _last_statement(body):
    """The user's statement the body's last IR statement comes from."""
    for t in reversed(body):
        if t.origin is not None:
            return t.origin.stmt
    return None
