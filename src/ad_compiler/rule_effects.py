"""A function of the user's with a rule must not leave what it computes from its arguments anywhere but in its
result.

The derivative calls such a function as it is and takes its rule for all it does. A body storing a value made
from its arguments into state the caller can read afterwards, a module's array (`BUF[:] = x * 2.0`), a global
dict (`STATE["v"] = np.sum(x)`), its object's attribute (`self.last = x`, `self.hist.append(x)`), a name
declared `global` / `nonlocal`, passes that value on with no derivative: the caller reading it got a silently
wrong gradient (h27b-009; m25-006 refuses a change of the arguments themselves). `check(func)` reads the body
(its AST) and gives the first such line as a located error, or None; a store of a value read from no argument
and no local (a call counter `self.calls += 1`) is let through.

What a name may hold is followed (`_Aliases`, over the whole body, flow-insensitively): a loop's target holds
items of what it goes over (`for r in ROWS: r[:] = x`), an unpacked name any part (`a, b = BUF, 1`), a view or
a method's result its receiver (`BUF.reshape(3)`), `globals()` / `vars(m)` anything; a helper of the user's it
calls is read the same way, its parameters given state the caller can read or tainted values holding so
(`_put(x * 2.0)` storing its argument into `BUF`, `self.save(x)`, a method of an argument that is an object
of the user's class: `acc.record(x)`, its class known at the call); a ufunc's positional `out`,
`operator.setitem`, `np.add.at` and NumPy's other functions changing their first argument are stores
(h28b-005).
"""
import ast
import functools
import inspect
import operator
import os
import types

import numpy as np

from . import read
from .errors import UnsupportedError

MUTATING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "fill", "put",
                              "itemset", "__setitem__", "__iadd__", "resize", "appendleft", "extendleft",
                              "__ior__", "__imul__", "__isub__", "__itruediv__", "setfield"})
# functions of a module changing their first argument in place
MUTATING_FUNCTIONS = frozenset({np.copyto, np.put, np.place, np.putmask, np.put_along_axis, np.fill_diagonal,
                                operator.setitem, operator.iadd, operator.isub, operator.imul, operator.itruediv,
                                operator.ior, operator.iconcat})
FIRST_KEYWORDS = frozenset({"dst", "a", "arr", "obj"})  # (the changed argument given by keyword)
# NumPy functions whose result may be (a view of) an argument; any other of a library's is new
VIEW_FUNCTIONS = frozenset("""reshape ravel transpose asarray asanyarray ascontiguousarray asfortranarray
asfarray require squeeze expand_dims swapaxes moveaxis rollaxis atleast_1d atleast_2d atleast_3d broadcast_to
broadcast_arrays diagonal real imag flip fliplr flipud rot90 split array_split hsplit vsplit dsplit
unstack matrix_transpose permute_dims nditer lib as_strided sliding_window_view""".split())
# builtins whose result holds (items of) their arguments
HOLDING_BUILTINS = frozenset({"enumerate", "zip", "reversed", "iter", "list", "tuple", "sorted", "filter", "map",
                              "next", "dict", "set", "frozenset", "getattr", "memoryview", "min", "max", "type",
                              "super"})
# methods of arrays and containers whose result is new memory
NEW_METHODS = frozenset({"copy", "sum", "mean", "dot", "astype", "tolist", "max", "min", "prod", "std", "var",
                         "cumsum", "cumprod", "round", "all", "any", "argmax", "argmin", "count", "index",
                         "__len__", "item", "nonzero", "argsort", "clip", "conj", "trace", "keys", "__contains__"})
SHAPES = frozenset({"shape", "ndim", "size", "dtype"})  # (attributes read for their shape: no derivative)
OUTSIDE = ("free", "attr")  # roots whose state the caller can read (a param reached through an attribute: `attr`)
MAX_DEPTH = 4  # helpers followed into helpers
_checked = {}  # code object -> the error (or None)


def check(func, classes=None):
    """What is wrong with the first line of `func` that stores a value made from its arguments outside its own
    new values, or None (also when its source cannot be read: what its rule is for). `classes`: parameter name ->
    the class of the user's object the call gives it, whose methods the body may call (`acc.record(x)`)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    key = (code, tuple(sorted((classes or {}).items(), key=lambda kv: kv[0])))
    if key not in _checked:
        found = _scan(func, None, (), 0, frozenset(), classes or {})
        _checked[key] = None if found is None else found[0]
    return _checked[key]


def _scan(func, tainted, outside, depth, seen, classes=None):
    """(message, the unit) of the first store of `func`'s body as check() says, its parameters `tainted` (None:
    all) tainted and those in `outside` holding state the caller can read; None if none, or unreadable."""
    try:
        unit = read.read_function(func)
    except Exception:  # noqa: BLE001 (no source: nothing to read)
        return None
    return _Scan(unit, tainted, outside, depth, seen | {func.__code__}, classes).run()


class _Scan:
    def __init__(self, unit, tainted=None, outside=(), depth=0, seen=frozenset(), classes=None):
        self.unit = unit
        self.classes = classes or {}  # parameter -> the class of the user's object it is given
        fdef = unit.tree
        args = fdef.args
        self.order = [a.arg for a in args.posonlyargs + args.args]
        self.params = set(self.order) | {a.arg for a in args.kwonlyargs}
        self.params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        self.tainted_params = self.params if tainted is None else set(tainted)
        self.outside_params = set(outside)
        self.depth, self.seen = depth, seen
        self.declared = {n for node in ast.walk(fdef) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names}
        self.locals = {t.id for node in ast.walk(fdef) for t in _targets(node) if isinstance(t, ast.Name)} - \
            self.declared - self.params
        self.alias = {}  # local name -> the roots it may hold (`b = BUF`, `h = self.hist`, `for r in ROWS`)
        self.tainted_locals = set(self.locals)  # (until follow_taint narrows them)
        self.imports = _imports(fdef)  # (`import operator` in the body)

    def run(self):
        self.follow_aliases()
        self.follow_taint()
        for node in _walk_in_order(self.unit.tree.body):
            found = self.visit(node)
            if found is not None:
                return found
        return None

    # -- what a value may hold ------------------------------------------------------------------------------

    def follow_aliases(self):
        """`self.alias` over the whole body, until nothing changes (a loop may bind a name before a line that
        reads it)."""
        binds = [(t, v) for node in ast.walk(self.unit.tree) for t, v in _binds(node)]
        for _ in range(8):
            before = {k: set(v) for k, v in self.alias.items()}
            for target, value in binds:
                held = self.roots(value)
                for t in _flat(target):
                    if isinstance(t, ast.Name) and t.id not in self.declared and held:
                        self.alias.setdefault(t.id, set()).update(held)
            if self.alias == before:
                return

    def roots(self, e, through=False):
        """The set of (kind, name) an expression's value may be, or hold, or be a view of: kind 'param' (an
        argument itself), 'attr' (reached through an argument's attribute), 'free' (a global, a closure's
        value, anything not known: name None); an empty set for new values."""
        if isinstance(e, ast.Name):
            if e.id in self.alias and e.id not in self.params:
                held = self.alias[e.id]
                return {("attr", n) if through and k == "param" else (k, n) for k, n in held}
            if e.id in self.params:
                if e.id in self.alias:  # (a parameter bound again to another value)
                    held = self.alias[e.id] | {("param", e.id)}
                    return {("attr", n) if through and k == "param" else (k, n) for k, n in held}
                if e.id in self.outside_params:
                    return {("free", e.id)}
                return {("attr" if through else "param", e.id)}
            if e.id in self.locals:
                return set()
            return {("free", e.id)}
        if isinstance(e, ast.Attribute):
            return self.roots(e.value, through=True)
        if isinstance(e, ast.Subscript):
            return self.roots(e.value, through)
        if isinstance(e, ast.NamedExpr):
            return self.roots(e.value, through)
        if isinstance(e, ast.Starred):
            return self.roots(e.value, through)
        if isinstance(e, (ast.Tuple, ast.List, ast.Set)):
            return set().union(*(self.roots(x, through) for x in e.elts)) if e.elts else set()
        if isinstance(e, ast.Dict):
            return set().union(*(self.roots(x, through) for x in e.values if x is not None)) if e.values else set()
        if isinstance(e, (ast.IfExp, ast.BoolOp)):
            parts = [e.body, e.orelse] if isinstance(e, ast.IfExp) else e.values
            return set().union(*(self.roots(x, through) for x in parts))
        if isinstance(e, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return set().union(*(self.roots(g.iter, through) for g in e.generators))
        if isinstance(e, ast.Call):
            return self.call_roots(e, through)
        return set()  # (arithmetic, comparisons, constants: new values)

    def call_roots(self, e, through):
        f = e.func
        args = list(e.args) + [k.value for k in e.keywords]
        held = set().union(*(self.roots(a, through) for a in args)) if args else set()
        obj = self.resolve(f)
        if isinstance(f, ast.Name) and f.id in ("globals", "vars", "locals") and obj in (globals, vars, locals):
            return {("free", None)}  # (`globals()["BUF"]`: any global)
        if obj is not None and getattr(obj, "__module__", None) == "builtins":
            return held if getattr(obj, "__name__", "") in HOLDING_BUILTINS else set()
        if obj is not None and _library(obj):
            return held if getattr(obj, "__name__", "") in VIEW_FUNCTIONS else set()
        if isinstance(obj, type):
            return held  # (an object of the user's class may keep its arguments)
        if isinstance(f, ast.Attribute) and obj is None:  # (a method: its receiver, unless it makes new memory)
            return set() if f.attr in NEW_METHODS else self.roots(f.value, through) | held
        if inspect.isfunction(obj) and not _returns_outside(obj, self.depth, self.seen):
            return held  # (a helper of the user's returning its arguments or new values)
        return held | {("free", None)}  # (a value called, a helper returning a global: it may return anything)

    def resolve(self, f):
        """The object a called expression names (a free name, a module's attribute), else None."""
        if isinstance(f, ast.Name):
            if f.id in self.imports:
                return self.imports[f.id]
            if f.id in self.params or f.id in self.locals or f.id in self.alias:
                return None
            try:
                found, obj = self.unit.lookup(f.id)
            except Exception:  # noqa: BLE001
                return None
            return obj if found else None
        if isinstance(f, ast.Attribute):
            base = self.resolve(f.value)
            if isinstance(base, (types.ModuleType, np.ufunc)) or isinstance(base, type) and _library(base):
                return getattr(base, f.attr, None)
        return None

    # -- stores -----------------------------------------------------------------------------------------------

    def outside(self, target, in_place=False):
        """Is a store into `target` a change of state the caller may read (not the function's own values, not an
        argument itself, which m25-006's check knows by its kind)? `in_place`: `target op= v`, which changes an
        array or a list a plain name holds."""
        if isinstance(target, ast.Name):
            if target.id in self.declared:
                return True
            return in_place and any(k in OUTSIDE and self.mutable(n) for k, n in self.roots(target))
        if isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            return any(self.outside(t, in_place) for t in _flat(target))
        return any(k in OUTSIDE for k, _ in self.roots(target, isinstance(target, ast.Attribute)))

    def mutable(self, name):
        if name is None or name in self.params:
            return True
        try:
            found, obj = self.unit.lookup(name)
        except Exception:  # noqa: BLE001
            return True
        return not found or not isinstance(obj, (int, float, complex, str, bytes, tuple, frozenset, np.generic,
                                                 type(None)))

    def outside_value(self, e):
        """Is `e` (a method's receiver, an `out=`, a changed argument) state the caller may read?"""
        if isinstance(e, ast.Name) and e.id in self.declared:
            return True
        return any(k in OUTSIDE for k, _ in self.roots(e))

    def tainted(self, e):
        """Does `e` read a tainted argument or local (not only its shape: `x.shape[0]`, `len(x)`, piecewise
        constant, carry no derivative)?"""
        if e is None:
            return False
        todo = [e]
        while todo:
            n = todo.pop()
            if isinstance(n, ast.Name):
                if n.id in self.tainted_params or n.id in self.tainted_locals:
                    return True
            elif isinstance(n, ast.Attribute) and n.attr in SHAPES:
                continue
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len" and \
                    self.resolve(n.func) is len:
                continue
            else:
                todo.extend(ast.iter_child_nodes(n))
        return False

    def follow_taint(self):
        """`self.tainted_locals`: the locals that may hold a value made from a tainted argument: bound to one,
        or changed with one (`buf.append(x)`, `buf[0] = x`, `np.copyto(buf, x)`, a call given buf and x)."""
        self.tainted_locals = set()
        nodes = list(ast.walk(self.unit.tree))
        for _ in range(8):
            before = set(self.tainted_locals)
            for node in nodes:
                for target, value in _binds(node):
                    if self.tainted(value):
                        self.tainted_locals.update(t.id for t in ast.walk(target) if isinstance(t, ast.Name))
                changed = []
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and self.tainted(node.value):
                    changed = node.targets if isinstance(node, ast.Assign) else [node.target]
                elif isinstance(node, ast.Call):
                    given = list(node.args) + [k.value for k in node.keywords]
                    if any(self.tainted(a) for a in given):
                        changed = given + ([node.func.value] if isinstance(node.func, ast.Attribute) else [])
                for t in changed:
                    while isinstance(t, (ast.Attribute, ast.Subscript, ast.Starred)):
                        t = t.value
                    if isinstance(t, ast.Name) and t.id in self.locals:
                        self.tainted_locals.add(t.id)
            if self.tainted_locals == before:
                return
        self.tainted_locals = set(self.locals)

    def visit(self, node):
        if isinstance(node, ast.Assign):
            if self.tainted(node.value) and any(self.outside(t) for t in node.targets for t in _flat(t)):
                return self.refuse(node)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            if self.tainted(node.value) and self.outside(node.target, isinstance(node, ast.AugAssign)):
                return self.refuse(node)
        elif isinstance(node, ast.NamedExpr):
            if self.tainted(node.value) and node.target.id in self.declared:
                return self.refuse(node)
        elif isinstance(node, ast.Call):
            return self.visit_call(node)
        return None

    def visit_call(self, node):
        f = node.func
        values = list(node.args) + [k.value for k in node.keywords if k.arg != "out"]
        outs = [k.value for k in node.keywords if k.arg == "out"]
        obj = self.resolve(f)
        if isinstance(obj, np.ufunc) and len(node.args) > obj.nin:  # (`np.multiply(x, 2.0, BUF)`)
            outs += node.args[obj.nin:]
            values = node.args[:obj.nin]
        receiver = [f.value] if isinstance(f, ast.Attribute) and obj is None else []  # (`x.cumsum(out=BUF)`)
        if any(self.outside_value(o) for o in outs) and any(self.tainted(v) for v in values + receiver):
            return self.refuse(node)
        first = _changed_argument(self, node, obj)
        if first is not None:
            if self.outside_value(first) and any(self.tainted(v) for v in values if v is not first):
                return self.refuse(node)
            return None
        if isinstance(f, ast.Attribute) and obj is None and f.attr in MUTATING_METHODS and \
                self.outside_value(f.value) and any(self.tainted(v) for v in values):
            return self.refuse(node)
        if obj is setattr or obj is object.__setattr__ or isinstance(f, ast.Attribute) and f.attr == "__setattr__":
            if len(node.args) >= 3 and (self.outside_value(node.args[-3]) or
                                        any(k == "param" for k, _ in self.roots(node.args[-3]))) and \
                    self.tainted(node.args[-1]):  # (`setattr(self, "last", x)`, `object.__setattr__(self, ...)`)
                return self.refuse(node)
            return None
        return self.helper(node, obj)

    def helper(self, node, obj):
        """A call of a helper of the user's (a function, or a method of the function's own class called on its
        first parameter): its body read the same way, for the arguments this call gives it."""
        f = node.func
        if obj is None and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                (f.value.id in self.classes or self.order and f.value.id == self.order[0]):
            cls = self.classes.get(f.value.id) or _own_class(self.unit)  # (`acc.record(x)`, `self.save(x)`)
            obj = getattr(cls, f.attr, None) if cls is not None else None
            obj = obj.__func__ if isinstance(obj, (staticmethod, classmethod)) else obj
            if inspect.isfunction(obj) and not isinstance(inspect.getattr_static(cls, f.attr), staticmethod):
                node = ast.copy_location(ast.Call(f, [f.value] + list(node.args), node.keywords), node)  # (self first)
        kept = ()
        if isinstance(obj, functools.partial) and inspect.isfunction(obj.func):  # (its stored arguments: kept
            kept = _partial_params(obj)  # objects, maybe the caller's state: `put = partial(_store, BUF)`)
            obj = obj.func
        if not inspect.isfunction(obj) or _library(obj) or obj.__code__ in self.seen or self.depth >= MAX_DEPTH:
            return None
        tainted, outside = _bind(self, obj, node) if not kept else (None, kept)
        if not tainted and not any(self.tainted(a) for a in node.args):
            return None
        found = _scan(obj, tainted, outside, self.depth + 1, self.seen)
        if found is None:
            return None
        return self.refuse(node, found[0])

    def refuse(self, node, inner=None):
        where = self.unit.location(node)
        if inner is not None:
            return (f"`{self.unit.name}`, which has a derivative rule, calls a function that stores a value made "
                    f"from its arguments where the caller can read it (line {where.line} of "
                    f"{os.path.basename(where.filename)}: `{where.text.strip()}`; {_inner(inner)})"), self.unit
        return (f"`{self.unit.name}`, which has a derivative rule, stores a value made from its arguments where "
                f"the caller can read it (line {where.line} of {os.path.basename(where.filename)}: "
                f"`{where.text.strip()}`); its rule gives the derivative of its result only, so that value would "
                f"carry none"), self.unit


def _bind(scan, func, node):
    """The helper's parameters the call gives tainted values, and those it gives state the caller can read."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None, ()
    tainted, outside = set(), set()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    given = list(zip(positional, node.args))
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None, {p.name for p in params}
    by_name = {p.name: p for p in params}
    rest = [p for p in params if p.kind is p.VAR_POSITIONAL]
    given += [(rest[0], a) for a in node.args[len(positional):]] if rest else []
    kw = [p for p in params if p.kind is p.VAR_KEYWORD]
    given += [(by_name.get(k.arg) or (kw[0] if kw else None), k.value) for k in node.keywords]
    for p, a in given:
        if p is None:
            continue
        if scan.tainted(a):
            tainted.add(p.name)
        if scan.outside_value(a):
            outside.add(p.name)
    for p in params:  # (a default the caller does not give: the function's own object, which it keeps)
        if p.name not in {q.name for q, _ in given if q is not None} and p.default is not p.empty and \
                not isinstance(p.default, (int, float, complex, str, bytes, tuple, type(None))):
            outside.add(p.name)
    return tainted, outside

def _changed_argument(scan, node, obj):
    """The argument a call changes in place as its first one: of NumPy's and operator's functions doing so
    (`np.copyto(BUF, v)`, also by keyword: `np.copyto(dst=BUF, src=v)`), of a ufunc's `at`, of a mutating method
    called on its class (`list.append(GL, v)`, `np.ndarray.__setitem__(BUF, i, v)`, `dict.update(S, k=v)`:
    h28c-003); else None."""
    f = node.func
    if not (obj in MUTATING_FUNCTIONS or isinstance(f, ast.Attribute) and (
            f.attr == "at" and isinstance(scan.resolve(f.value), np.ufunc) or
            f.attr in MUTATING_METHODS and _library_class(scan.resolve(f.value)))):
        return None
    if node.args:
        return node.args[0]
    return next((k.value for k in node.keywords if k.arg in FIRST_KEYWORDS), None)


def _library_class(t):
    """A class of Python's or a library's (not of the user's: its methods are read as helpers)?"""
    return isinstance(t, type) and (_library(t) or t.__module__ in ("builtins", "collections"))


def _own_class(unit):
    """The class whose method the rule'd function is (`Acc.record`), else None."""
    qual = getattr(unit.func, "__qualname__", "").split(".")
    if len(qual) < 2 or "<locals>" in qual[:-1]:
        return None
    obj = unit.func.__globals__.get(qual[0])
    for part in qual[1:-1]:
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


def _partial_params(p):
    """The parameters of a partial's function its stored arguments fill."""
    try:
        params = list(inspect.signature(p.func).parameters)
    except (TypeError, ValueError):
        return ()
    return set(params[:len(p.args)]) | set(p.keywords)


def _inner(message):
    """The part of a helper's message that says where it stores."""
    start = message.find("(line ")
    end = message.find(")", start)
    return message[start + 1:end] if start >= 0 and end > start else message


def _imports(fdef):
    """Name -> module or object of the `import` statements in a function's body (modules already imported)."""
    import sys

    out = {}
    for node in ast.walk(fdef):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in sys.modules:
                    out[a.asname or a.name.split(".")[0]] = sys.modules[a.asname and a.name or a.name.split(".")[0]]
        elif isinstance(node, ast.ImportFrom) and node.module in sys.modules and not node.level:
            for a in node.names:
                if hasattr(sys.modules[node.module], a.name):
                    out[a.asname or a.name] = getattr(sys.modules[node.module], a.name)
    return out


def _returns_outside(func, depth, seen):
    """May a helper of the user's return state the caller can read (a global, its object's attribute)?"""
    if depth >= MAX_DEPTH or func.__code__ in seen:
        return True
    if func.__code__ not in _returning:
        _returning[func.__code__] = _reads_returned(func, depth, seen)
    return _returning[func.__code__]


_returning = {}  # code object -> may the function return state the caller can read


def _reads_returned(func, depth, seen):
    try:
        unit = read.read_function(func)
    except Exception:  # noqa: BLE001
        return True
    scan = _Scan(unit, depth=depth + 1, seen=seen | {func.__code__})
    scan.follow_aliases()
    return any(k in OUTSIDE for node in ast.walk(unit.tree) if isinstance(node, ast.Return) and node.value is not None
               for k, _ in scan.roots(node.value))


def _library(obj):
    from .inline_resolve import is_library

    try:
        return is_library(obj) or isinstance(obj, (np.ufunc, types.BuiltinFunctionType))
    except Exception:  # noqa: BLE001
        return True


def refuse(func, where, classes=None):
    """Raise the located error for a call (at `where`) of `func`, if its body stores a value made from its
    arguments where the caller can read it."""
    message = check(func, classes)
    if message is not None:
        raise UnsupportedError(message, where=where,
                               hint="return the value with the result instead (`return y, extra`, and a rule for "
                                    "both), or compute it where the function is called")


def _binds(node):
    """(target, value) pairs of what a statement binds names to (a loop's target: what it goes over)."""
    if isinstance(node, ast.Assign):
        return [(t, node.value) for t in node.targets]
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [(node.target, node.iter)]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [(node.optional_vars, node.context_expr)]
    return []


def _targets(node):
    if isinstance(node, ast.Assign):
        return [t for target in node.targets for t in _flat(target)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
        return _flat(node.target)
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return _flat(node.optional_vars)
    if isinstance(node, ast.NamedExpr):
        return [node.target]
    return []


def _flat(t):
    if isinstance(t, (ast.Tuple, ast.List)):
        return [x for e in t.elts for x in _flat(e)]
    if isinstance(t, ast.Starred):
        return _flat(t.value)
    return [t]


def _walk_in_order(body):
    """The statements, calls and `:=` of `body` in source order (nested blocks included, nested defs not)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield stmt
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Call, ast.NamedExpr)):
                yield node
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) and \
                    not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from (s for s in _walk_in_order(inner) if not isinstance(s, (ast.Call, ast.NamedExpr)))
        for handler in getattr(stmt, "handlers", []) or []:
            yield from (s for s in _walk_in_order(handler.body) if not isinstance(s, (ast.Call, ast.NamedExpr)))
