"""A `for` loop over a list that changes the list's length (lazy_checks.Checker runs this for each loop).

The compiler's loop over a list runs as many steps as the list had items when it started (desugar_loops.py);
Python's reads the length at each step (an item appended inside the loop is visited). A change of the length
of what the loop goes over inside its body is refused at the change: a list method changing it, `del`, a slice
assigned, `+=`, through another name of the list (the checker's `sharing`) or a function of the user's that may
(followed a few levels). Item stores and reordering (`L[k] = v`, `L.reverse()`) are read as Python reads them.
"""
import ast
import inspect
import textwrap

import numpy as np

from . import kinds as K
from .errors import UnsupportedError
from .lazy_checks import _KNOWN_METHODS, _base, _loads, _users, _walk_here, _walk_stmts

# Methods of lists, arrays, dicts and numbers: any other method called on a value that may hold the list (the
# user's object, `b.add(v)`) may change its length (the lazy checks' _KNOWN_METHODS has `set.add`: not here)
_HELD_METHODS = set().union(*(dir(t) for t in (np.ndarray, list, dict, tuple, str, float, int, complex)))
_LENGTH_METHODS = {"append", "extend", "insert", "pop", "clear", "remove", "__delitem__", "__iadd__", "__imul__"}


def check_length(checker, loop):
    """A `for` over a list (or `enumerate` / `zip` of lists) runs as many steps as the list has items when
    the loop starts (desugar_loops.py); Python's reads the length at each step. A change of the length of
    what it goes over (`.append`, `.pop`, `del`, a slice assigned, `+=`, a function of the user's given it)
    inside its body is refused (an item stored or the items reordered are read as Python reads them: lang25;
    appending inside the loop gave a wrong gradient before)."""
    sources = _sources(checker, loop.iter)
    check_dict_size(checker, loop, sources)
    names = {_base(q) for q in sources if isinstance(q, (ast.Name, ast.Attribute)) or
             isinstance(q, ast.Subscript) and not isinstance(q.slice, ast.Slice)} - {None}
    # a global's or a closure variable's list (h26a-006): its local names too (`M = G`), and a function of the
    # user's that may change a length, called with or without it (it may reach the list as a global)
    outer = {_base(q) for q in sources if _base(q) is not None and _base(q) not in checker.local and (
        isinstance(checker.resolve(q) if isinstance(q, (ast.Name, ast.Attribute)) else None, list) or
        isinstance(checker.resolve(ast.Name(id=_base(q), ctx=ast.Load())), (list, dict)))}  # (`CFG.items`)
    names &= checker.local
    names |= {a for pairs, _ in checker.pairs.values() for a, b in pairs if b in outer and a in checker.local}
    arrays = certain_arrays(checker)
    names -= arrays  # (an array's length never changes in place)
    if not names and not outer:
        return
    changed = (object_sharing(checker, names, skip={loop}) - arrays) | outer
    own = checker.sharing({q.id for q in sources if isinstance(q, ast.Name)} & checker.local, same=True)
    for u in (u for b in loop.body for u in _walk_stmts(b)):
        bad = length_change(checker, u, changed, holders=_holders(checker, names) | outer, outer=bool(outer),
                            own=own, sources=sources)
        if bad is not None:
            raise UnsupportedError(
                f"this may change the length of the list the loop on line {checker.unit.file_line(loop)} goes "
                "over: Python's loop reads its length at each step, the compiler's runs as many steps as it "
                "had items when the loop started", where=checker.unit.location(bad),
                hint="loop over a copy (`for v in list(L):`) or over `range(n)`, or build a new list")

def check_dict_size(checker, loop, sources):
    """`for k in d:` over a dict made in the function: Python raises RuntimeError ("dictionary changed size during
    iteration") where the body adds or removes a key; the compiler's loop goes over the keys it had when it
    started and gave a value and a gradient (h27a-014). A store into the loop's own key (`d[k] = ...`) or a key
    every display of d has is no change of its size."""
    dicts = {q.id for q in sources if isinstance(q, ast.Name) and q.id in checker.dicts}
    if not dicts:
        return
    same, own = checker.sharing(dicts, same=True), {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    for u in (u for b in loop.body for u in _walk_stmts(b)):
        stores = [t for t in (u.targets if isinstance(u, ast.Assign) else []) if isinstance(t, ast.Subscript) and
                  isinstance(t.value, ast.Name) and t.value.id in same]
        bad = next((t for t in stores if not (isinstance(t.slice, ast.Name) and t.slice.id in own or isinstance(
            t.slice, ast.Constant) and t.slice.value in checker.dict_keys.get(t.value.id, ()))), None)
        bad = bad or next((n for n in _walk_here(u, into_blocks=False) if isinstance(n, ast.Call) and isinstance(
            n.func, ast.Attribute) and n.func.attr in ("update", "setdefault", "popitem") and _root(n.func) in same),
            None)
        if bad is not None:
            raise UnsupportedError(
                f"this may add a key to the dict the loop on line {checker.unit.file_line(loop)} goes over: Python "
                "raises RuntimeError (the dictionary changed size during iteration), the compiler's loop goes over "
                "the keys it had when it started", where=checker.unit.location(bad),
                hint="loop over a copy of its keys (`for k in list(d):`)")


def comprehension_loops(comp):
    """The `for` statements a comprehension or generator expression runs (`[v * grow(L, v) for v in L]`), one per
    generator, whose body is what it computes (the item, the conditions, the inner generators' sequences), for
    the checks of `for` statements: a length change of the list (`check_length`) and a change of what an
    iterator made a list when the loop starts reads (lazy_checks.loop_iterators). Neither was checked: WRONG
    gradients, h27a-012 / h27a-013."""
    if not isinstance(comp, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return []
    first = [comp.key, comp.value] if isinstance(comp, ast.DictComp) else [comp.elt]
    loops = []
    for i, g in enumerate(comp.generators):
        parts = first + [c for h in comp.generators[i:] for c in h.ifs] + [h.iter for h in comp.generators[i + 1:]]
        loops.append(ast.copy_location(ast.For(target=g.target, iter=g.iter, orelse=[], type_comment=None,
                                               body=[ast.copy_location(ast.Expr(value=p), p) for p in parts]), comp))
    return loops


def _sources(checker, it):
    """What a loop over `it` goes over: `it`, or the sequences of the `enumerate` / `zip` it is, at any depth
    (`enumerate(zip(L, M))`, `zip(*[L, M])`: only the outer call was read, a list grown in the loop was not
    refused, WRONG: h27a-004)."""
    if not (isinstance(it, ast.Call) and checker.resolve(it.func) in (enumerate, zip)):
        return [it]
    args = it.args[:1] if checker.resolve(it.func) is enumerate else it.args
    args = [e for a in args for e in (a.value.elts if isinstance(a, ast.Starred) and isinstance(
        a.value, (ast.List, ast.Tuple)) else [a])]
    return [q for a in args for q in _sources(checker, a)]


def length_change(checker, s, changed, holders=frozenset(), outer=False, own=frozenset(), sources=()):
    """The node of statement `s` that may change the length of a list named in `changed`, or None (`holders`:
    the names that may hold the list, whose methods of the user's may change it; `outer`: the list is a
    global's or a closure variable's, which any function of the user's may change; `own`: the names of the
    list itself, whose items `L[i] += v` changes, not its length)."""
    if isinstance(s, ast.Delete) and any(_base(t) in changed for t in s.targets):
        return s
    targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AugAssign) else []
    for t in targets:
        if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice) and _base(t) in changed and \
                (t.slice.step is None or isinstance(t.slice.step, ast.Constant) and t.slice.step.value in (None, 1)):
            return t  # (an extended slice, `L[::2] = v`, needs as many values as it has items: no length change)
        if isinstance(s, ast.AugAssign) and _base(t) in changed and t.id not in checker.numbers and \
                not _float_value(checker, s.value) if isinstance(t, ast.Name) else False:
            return t  # (`L op= 2.0` raises for a list, a set, a dict: no length change)
        if isinstance(s, ast.AugAssign) and isinstance(t, (ast.Subscript, ast.Attribute)) and \
                _base(t) in changed and _base(t) not in own and not _number_or_array(checker, s.value) and \
                _may_be_the_list(checker, t, own, sources):
            return t  # (`d["a"] += [v]` of a dict holding the list: it extends it, h27a-007)
    for n in _walk_here(s, into_blocks=False):
        if not isinstance(n, ast.Call):
            continue
        if isinstance(n.func, ast.Attribute) and n.func.attr in _LENGTH_METHODS and _root(n.func) in changed:
            return n  # (also through a call, `d.get("a").append(v)`)
        if isinstance(n.func, ast.Attribute) and _root(n.func) in holders and \
                n.func.attr not in _HELD_METHODS and checker.resolve(n.func) is None:
            return n  # (a method of the user's object holding the list, `b.add(v)`: hunt26a h26a-002)
        if isinstance(n.func, ast.Name) and n.func.id in changed and n.func.id in checker.local and \
                n.func.id not in checker.nested and _assigned(checker, n.func.id):
            return n  # (a function value sharing the list: `push = acc.push`, a bound method of its holder: h27a-007;
            # not an item a loop gives, `for fn in ACTS: h = fn(h)`)
        called = [m.id for m in [n.func] + list(n.args) + [k.value for k in n.keywords] if isinstance(m, ast.Name)]
        if any(_closure_changes(checker, c, changed, set()) for c in called if c in checker.nested):
            return n  # (a closure, or a closure calling one, changing the list it reads: h26a-001)
        names = set().union(*(_loads(a) for a in list(n.args) + [k.value for k in n.keywords]))
        obj = checker.resolve(n.func)
        if outer and _users(obj) and _changes_length(obj, {}):
            return n
        if not names & changed:
            continue
        if isinstance(n.func, ast.Attribute) and obj is None and n.func.attr in _KNOWN_METHODS:
            continue  # (a method of an array or of Python's containers: `M.extend(L)` does not change L)
        if isinstance(n.func, ast.Name) and n.func.id in checker.nested:
            if _changes_length(checker.nested[n.func.id], {}):
                return n
        elif isinstance(n.func, ast.Attribute) and obj is None or _users(obj) and _changes_length(obj, {}):
            return n  # (a method of the user's object; a function of the user's that may change a length)
    return None



def _float_value(checker, value):
    """Is `value` certainly a Python float (a float constant, negated, `float(...)`)?"""
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)):
        value = value.operand
    if isinstance(value, ast.Constant):
        return type(value.value) is float
    return isinstance(value, ast.Call) and checker.resolve(value.func) is float and not value.keywords


def _assigned(checker, name):
    """Is `name` bound by an assignment (not only as a loop's target or a parameter)?"""
    return any(isinstance(st, (ast.Assign, ast.AnnAssign)) and any(
        isinstance(n, ast.Name) and n.id == name for t in (st.targets if isinstance(st, ast.Assign) else [st.target])
        for n in ast.walk(t)) for st in checker.stmts)


def _number_or_array(checker, node):
    """Is `node` certainly a number or an array (`L[i] op= node` then changes no list's length)?"""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float, complex, bool)
    if isinstance(node, ast.Name):
        return node.id in checker.numbers
    if isinstance(node, ast.UnaryOp):
        return _number_or_array(checker, node.operand)
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Mult):
        return any(_number_or_array(checker, o) for o in (node.left, node.right))
    return _certainly_array(checker, node)


def _key(node):
    """The constant key of `d["k"]` / `d[0]`, or the attribute of `o.name`; None if not constant."""
    if isinstance(node, ast.Attribute):
        return ("attr", node.attr)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return ("item", node.slice.value)
    return None


def _may_be_the_list(checker, target, own, sources):
    """May `target` (`d["s"]`, `o.total`), of a name holding the list, be the list itself? Not when the key
    or attribute is constant and the function binds the list to its holder only under other constant ones
    (`L = d["a"]`, `d["a"] = L`, `d = {"a": L}`, the loop over `d["a"]`)."""
    key, base = _key(target), _base(target)
    if key is None:
        return True
    keys = {_key(q) for q in sources if isinstance(q, (ast.Subscript, ast.Attribute)) and _base(q) == base}
    for st in checker.stmts:
        if not isinstance(st, ast.Assign):
            continue
        for t in st.targets:
            if isinstance(t, ast.Name) and t.id in own and isinstance(st.value, (ast.Subscript, ast.Attribute)) \
                    and _base(st.value) == base:
                keys.add(_key(st.value))
            elif isinstance(t, (ast.Subscript, ast.Attribute)) and _base(t) == base and own & _loads(st.value):
                keys.add(_key(t))
            elif isinstance(t, ast.Name) and t.id == base and own & _loads(st.value):
                if not isinstance(st.value, ast.Dict):
                    return True  # (`o = Box(L)`: where it keeps it is not read here)
                keys |= {("item", k.value) if isinstance(k, ast.Constant) else None
                         for k, v in zip(st.value.keys, st.value.values) if own & _loads(v)}
    return None in keys or key in keys


def _holders(checker, names):
    """The names of the list (`M = L`) and those bound to a value made from one of them (`b = Box(L)`,
    `b.items = L`): the objects that may hold the list itself (the sharing graph's farther names are too many:
    `acc.add(v)` of an object made from `x` beside a list of functions reading x is no change of the list)."""
    same = checker.sharing(names, same=True)
    return same | {a for s, (pairs, _) in checker.pairs.items() if not isinstance(s, ast.For)  # (not its items)
                   for a, b in pairs if b in same and a in checker.local}


def _root(node):
    """The name at the root of `a.b[c].d(e).f`, through calls too (`_base` stops at a call)."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _closure_changes(checker, name, changed, seen):
    """May the nested function `name` (a closure of the function), or a nested function it calls or names,
    change the length of a list in `changed` it reads as a free variable?"""
    if name in seen:
        return False
    seen.add(name)
    fdef = checker.nested[name]
    if _loads(fdef) & changed and _changes_length(fdef, {}):
        return True
    inner = {m.id for m in ast.walk(fdef) if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Load)}
    return any(_closure_changes(checker, c, changed, seen) for c in inner & set(checker.nested))


def _changes_length(fn, seen, depth=0):
    """May the function `fn` (a function object, or a def / lambda node) change the length of a list it is
    given: a list method changing it, `del`, a slice assigned, `+=` on a name, or a call of a function of the
    user's that may (followed a few levels; what cannot be read counts as a change)?"""
    if isinstance(fn, (ast.FunctionDef, ast.Lambda)):
        tree, scope = fn, {}
    else:
        key = id(getattr(fn, "__func__", fn))
        if key in seen:
            return False
        seen[key] = fn
        if depth > 4:
            return True
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        except (OSError, TypeError, SyntaxError):
            return True
        scope = getattr(getattr(fn, "__func__", fn), "__globals__", {})
    for n in ast.walk(tree):
        if isinstance(n, ast.Delete) or isinstance(n, ast.AugAssign) or \
                isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.slice, ast.Slice):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _LENGTH_METHODS:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in scope:
            callee = scope[n.func.id]
            if _users(callee) and (inspect.isfunction(callee) or inspect.ismethod(callee)) and \
                    _changes_length(callee, seen, depth + 1):
                return True
    return False


# numpy functions that may return a list or tuple (of arrays): not "certainly an array"
_NUMPY_SEQUENCES = {"split", "array_split", "hsplit", "vsplit", "dsplit", "nonzero", "meshgrid", "broadcast_arrays",
                    "atleast_1d", "atleast_2d", "atleast_3d", "gradient", "histogram", "histogram2d", "histogramdd",
                    "unique", "where", "unravel_index", "indices", "ix_", "tolist", "divmod", "frexp", "modf",
                    "linalg", "load", "genfromtxt", "loadtxt", "fromfunction", "vectorize", "frompyfunc",
                    "piecewise", "apply_along_axis", "apply_over_axes"}


def certain_arrays(checker):
    """The function's names every binding of which certainly makes an ndarray or a number (never a list, whose
    length a loop over it could change): a call of a NumPy function (not one returning a list or a tuple),
    arithmetic with a float constant (`L * 1.0` raises for a list) or with an ndarray (`x * 2` of an ndarray
    parameter), a negation, an index of an ndarray. A parameter only when its kind is an ndarray (refuse27
    r27-001: `x = x * 2; for v in x: x *= v` of an ndarray argument was refused as a length change)."""
    params = {a.arg for a in ast.walk(checker.fdef.args) if isinstance(a, ast.arg)}
    positional = [a.arg for a in checker.fdef.args.posonlyargs + checker.fdef.args.args]
    known = {name for name, k in zip(positional, checker.param_kinds or ())  # (an ndarray argument)
             if isinstance(k, K.Array) and k.cls is np.ndarray}
    bindings, unknown = {}, set()  # (name -> the values bound to it; names bound otherwise)
    for st in checker.stmts:
        if isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None:
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    bindings.setdefault(t.id, []).append(st.value)
                elif _pairs(t, st.value):  # (`a, b = x[0], x[-1]`: each name its value)
                    for e, v in _pairs(t, st.value):
                        bindings.setdefault(e.id, []).append(v)
                else:
                    unknown |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        else:  # (a loop's target, a `with`'s name: anything; `x op= v` keeps an array an array)
            bound = [st.target] if isinstance(st, ast.For) else \
                [i.optional_vars for i in st.items if i.optional_vars is not None] if isinstance(st, ast.With) else []
            unknown |= {n.id for t in bound for n in ast.walk(t) if isinstance(n, ast.Name)}
    declared = set()  # (nested functions too: `nonlocal M; M = []`)
    for n in ast.walk(checker.fdef):
        if isinstance(n, (ast.NamedExpr, ast.Global, ast.Nonlocal)):
            declared |= set([n.target.id] if isinstance(n, ast.NamedExpr) else n.names)
    unknown |= declared
    # the names certainly holding an ndarray (never a Python number, whose product with a list is a list): the
    # largest set closed under the bindings (every value of a local name comes from one of its bindings, of an
    # ndarray parameter from the argument or them)
    strict = (set(bindings) - params - unknown) | (known - unknown)
    while True:
        keep = {n for n in strict if all(_strictly_array(checker, v, strict) for v in bindings.get(n, ()))}
        if keep == strict:
            break
        strict = keep
    arrays = strict | {n for n, vs in bindings.items() if n not in params and n not in unknown and
                       all(_certainly_array(checker, v, strict) for v in vs)}
    # (a list or tuple parameter of ndarrays the function only reads: its items are ndarrays at every loop)
    read_only = {name for name, k in zip(positional, checker.param_kinds or ()) if isinstance(k, K.Seq) and
                 _all_ndarrays(k) and name not in bindings and name not in unknown and _only_read(checker, name)}
    loops = [st for st in checker.stmts  # (`for row in W` / `for i, row in enumerate(W)` over an array)
             if isinstance(st, ast.For) and isinstance(st.target, (ast.Name, ast.Tuple)) and
             _over_array(checker, st, arrays | read_only)]
    for st in loops:
        names = {n.id for n in ast.walk(st.target) if isinstance(n, ast.Name)}
        arrays |= {n for n in names if n not in declared and (
            _only_for_target(checker, n, st) or _only_loop_items(checker, n, loops))}
    return arrays


def _pairs(target, value):
    """The (name, value) pairs of `a, b = u, v` (names and values written out, as many of each), or []."""
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) and \
            len(target.elts) == len(value.elts) and all(isinstance(e, ast.Name) for e in target.elts) and \
            not any(isinstance(v, ast.Starred) for v in value.elts):
        return list(zip(target.elts, value.elts))
    return []


def _all_ndarrays(kind):
    items = kind.items if kind.items is not None else (kind.elem,)
    return bool(items) and all(isinstance(i, K.Array) and i.cls is np.ndarray for i in items)


def _only_read(checker, name):
    """Is the parameter `name` only read, in the function and the functions nested in it: looped over (also
    through `enumerate` / `zip` and in comprehensions), indexed, or given to `len`? Then no name of the
    function, nor any function it calls, holds the list itself: it keeps the items it came with (refuse27)."""
    parents = {id(c): n for n in ast.walk(checker.fdef) for c in ast.iter_child_nodes(n)}
    for n in ast.walk(checker.fdef):
        if isinstance(n, ast.arg) and n.arg == name and parents.get(id(n)) is not checker.fdef.args:
            return False  # (a nested function's parameter of the same name)
        if not (isinstance(n, ast.Name) and n.id == name):
            continue
        up = parents.get(id(n))
        if isinstance(n.ctx, ast.Load) and (_iterated(up, n, parents) or
                                            isinstance(up, ast.Subscript) and up.value is n and
                                            isinstance(up.ctx, ast.Load) or
                                            isinstance(up, ast.Call) and n in up.args and (
                                                checker.resolve(up.func) is len or
                                                checker.resolve(up.func) in (enumerate, zip) and
                                                _iterated(parents.get(id(up)), up, parents))):
            continue
        return False
    return True


def _iterated(up, node, parents):
    """Is `node` the iterable of the loop or comprehension `up`?"""
    return isinstance(up, (ast.For, ast.comprehension)) and up.iter is node


def _over_array(checker, loop, arrays):
    it = loop.iter
    if isinstance(it, ast.Call) and checker.resolve(it.func) is enumerate and len(it.args) == 1:
        it = it.args[0]
    return isinstance(it, ast.Name) and it.id in arrays


def _for_targets(checker, loop):
    return {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}


def _only_loop_items(checker, name, loops):
    """Is `name` bound only as the item of loops over arrays (or lists of arrays only read), and changed only by
    `name op= v` (an ndarray's or a NumPy scalar's `op=` gives no list)? (Not an `enumerate` counter, a Python
    int: `i *= [0.0]` makes a list.)"""
    for st in checker.stmts:
        if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name) and st.target.id == name:
            continue
        if isinstance(st, ast.For) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(st.target)):
            if st in loops and _item_name(checker, st) == name:
                continue
            return False
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AnnAssign) \
            else [i.optional_vars for i in st.items if i.optional_vars is not None] if isinstance(st, ast.With) \
            else []
        if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)):
            return False
    return True


def _item_name(checker, loop):
    """The name the loop's items are bound to: `for v in W`, `for i, v in enumerate(W)`."""
    t = loop.target
    if isinstance(t, ast.Name):
        return t.id
    if isinstance(loop.iter, ast.Call) and len(t.elts) == 2 and isinstance(t.elts[1], ast.Name):
        return t.elts[1].id
    return None


def _only_for_target(checker, name, loop):
    """Is `name` bound only as this loop's target (nowhere else in the function)?"""
    for st in checker.stmts:
        if st is loop:
            continue
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(
            st, (ast.AnnAssign, ast.For, ast.AugAssign)) else []
        if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)):
            return False
    return True


# NumPy functions that may give a Python number, bool or tuple (`np.size(x) * [0.0]` is a list)
_PYTHON_SCALARS = {"size", "ndim", "shape", "count_nonzero", "allclose", "array_equal", "array_equiv", "iterable",
                   "may_share_memory", "shares_memory", "result_type", "broadcast_shapes", "min_scalar_type"}


# ndarray methods giving an ndarray or a NumPy scalar (not `.tolist()`, `.item()`: Python values)
_ARRAY_METHODS = {"copy", "reshape", "ravel", "flatten", "astype", "transpose", "swapaxes", "squeeze", "sum", "mean",
                  "prod", "max", "min", "std", "var", "cumsum", "cumprod", "dot", "clip", "round", "conj",
                  "conjugate", "diagonal", "repeat", "take", "trace", "any", "all", "argmax", "argmin"}


def _certainly_array(checker, value, strict=frozenset()):
    """Does `value` certainly make an ndarray or a number (`strict`: names certainly holding an ndarray)?"""
    if isinstance(value, ast.Call):
        obj = checker.resolve(value.func)
        if obj in (sum, len, abs, int, round) and not value.keywords and len(value.args) == 1:
            return True  # (a number, or an array: `sum(L)` of a list of lists raises, it starts from 0)
        module = getattr(obj, "__module__", None) or ""
        name = getattr(obj, "__name__", "")
        return (module.startswith("numpy") or obj.__class__.__name__ == "ufunc") and name not in _NUMPY_SEQUENCES \
            and "linalg" not in module and "lib.npyio" not in module
    return _strictly_array(checker, value, strict)


def _strictly_array(checker, value, strict):
    """Does `value` certainly make an ndarray or a NumPy scalar (never a Python number, list or tuple: its
    product with a list is no list)? An ndarray name, arithmetic with one or with a float constant, a
    negation, an index of an ndarray, a NumPy function giving arrays."""
    if isinstance(value, ast.Name):
        return value.id in strict
    if isinstance(value, ast.Constant):
        return type(value.value) is float  # (`L * 1.0` raises for a list: no list either)
    if isinstance(value, ast.BinOp):
        operands = (value.left, value.right)
        if isinstance(value.op, ast.Mult):  # (a NumPy integer repeats a list as an int does: `L * np.int64(2)`,
            # `L * np.argmax(x)` are lists; a product is no list beside a float or an ndarray, or of two such: h27a-003)
            return any(isinstance(o, ast.Constant) and type(o.value) is float or isinstance(o, ast.Name) and
                       o.id in strict for o in operands) or all(_strictly_array(checker, o, strict) for o in operands)
        return any(_strictly_array(checker, o, strict) for o in operands)
    if isinstance(value, ast.UnaryOp):
        return isinstance(value.op, (ast.USub, ast.UAdd)) and _strictly_array(checker, value.operand, strict)
    if isinstance(value, ast.Subscript):  # (an item or a part of an ndarray: `x[0]`, `np.stack(hs)[1]`)
        return _strictly_array(checker, value.value, strict)
    if isinstance(value, ast.Attribute):  # (`np.ones((2, 3)).T`)
        return value.attr in ("T", "mT", "real", "imag") and _strictly_array(checker, value.value, strict)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
            value.func.attr in _ARRAY_METHODS and _strictly_array(checker, value.func.value, strict):
        return True  # (`np.stack(hs).sum(axis=0)`: an ndarray's method giving an ndarray or a NumPy scalar)
    if isinstance(value, ast.IfExp):
        return _strictly_array(checker, value.body, strict) and _strictly_array(checker, value.orelse, strict)
    if isinstance(value, ast.Call):
        obj = checker.resolve(value.func)
        if obj is float and not value.keywords and len(value.args) <= 1:
            return True
        module = getattr(obj, "__module__", None) or ""
        name = getattr(obj, "__name__", "")
        if obj.__class__.__name__ == "ufunc":
            return True
        return module.startswith("numpy") and name not in _NUMPY_SEQUENCES | _PYTHON_SCALARS and \
            not name.startswith(("is", "can_")) and not module.startswith(("numpy.random", "numpy.linalg")) and \
            "linalg" not in module and "lib.npyio" not in module and callable(obj)
    return False


def object_sharing(checker, names, skip=()):
    """The names that may hold the very objects `names` hold, or containers holding them: `checker.sharing`
    without the results of NumPy and math calls and of arithmetic (new objects: never the list itself)."""
    fresh = certain_arrays(checker)
    shared = checker.sharing(names, skip=skip)
    return {n for n in shared if n not in fresh} | set(names)
