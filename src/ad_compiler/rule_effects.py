"""A function of the user's with a rule must not leave what it computes from its arguments anywhere but in its
result.

The derivative calls such a function as it is and takes its rule for all it does. A body storing a value made
from its arguments into state the caller can read afterwards, a module's array (`BUF[:] = x * 2.0`), a global
dict (`STATE["v"] = np.sum(x)`), its object's attribute (`self.last = x`, `self.hist.append(x)`), a name
declared `global` / `nonlocal`, passes that value on with no derivative: the caller reading it got a silently
wrong gradient (h27b-009; m25-006 refuses a change of the arguments themselves). `check(func)` reads the body
(its AST) and gives the first such line as a located error, or None; a store of a value read from no argument
and no local (a call counter `self.calls += 1`) is let through.
"""
import ast
import os

from . import read
from .errors import UnsupportedError

MUTATING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "fill", "put",
                              "itemset", "__setitem__", "__iadd__", "resize", "appendleft", "extendleft"})
_checked = {}  # code object -> the error (or None)


def check(func):
    """What is wrong with the first line of `func` that stores a value made from its arguments outside its own
    new values, or None (also when its source cannot be read: what its rule is for)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    if code not in _checked:
        try:
            unit = read.read_function(func)
        except Exception:  # noqa: BLE001 (no source: nothing to read)
            _checked[code] = None
        else:
            _checked[code] = _Scan(unit).run()
    return _checked[code]


class _Scan:
    def __init__(self, unit):
        self.unit = unit
        fdef = unit.tree
        args = fdef.args
        self.params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        self.params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        self.declared = {n for node in ast.walk(fdef) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names}
        self.locals = {t.id for node in ast.walk(fdef) for t in _targets(node) if isinstance(t, ast.Name)} - \
            self.declared - self.params
        self.alias = {}  # local name -> the root it names (`b = BUF`, `h = self.hist`)

    def run(self):
        for node in _walk_in_order(self.unit.tree.body):
            found = self.visit(node)
            if found is not None:
                return found
        return None

    def root(self, e):
        """('param' | 'free' | 'local', name) of the name an expression's value is read through, else None."""
        while isinstance(e, (ast.Attribute, ast.Subscript)):
            e = e.value
        if not isinstance(e, ast.Name):
            return None
        if e.id in self.alias:
            return self.alias[e.id]
        if e.id in self.params:
            return "param", e.id
        if e.id in self.locals:
            return "local", e.id
        return "free", e.id

    def outside(self, target):
        """Is a store into `target` a change of state the caller may read (not the function's own values, not an
        argument itself, which m25-006's check knows by its kind)?"""
        if isinstance(target, ast.Name):
            return target.id in self.declared
        r = self.root(target)
        if r is None or r[0] == "local":
            return False
        if r[0] == "param":  # (an argument's item or attribute: its own item, `x[0] = v`, is m25-006's)
            return _through_attribute(target)
        return True

    def tainted(self, e):
        """Does `e` read an argument or a value of the function?"""
        return e is not None and any(isinstance(n, ast.Name) and (n.id in self.params or n.id in self.locals)
                                     for n in ast.walk(e))

    def visit(self, node):
        if isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                    isinstance(node.value, (ast.Name, ast.Attribute, ast.Subscript)):
                r = self.root(node.value)
                if r is not None and r[0] != "local" and node.targets[0].id not in self.declared:
                    self.alias[node.targets[0].id] = r  # (`b = BUF`: b is BUF)
            if self.tainted(node.value) and any(self.outside(t) for t in node.targets for t in _flat(t)):
                return self.refuse(node)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            if self.tainted(node.value) and self.outside(node.target):
                return self.refuse(node)
        elif isinstance(node, ast.Call):
            f = node.func
            values = list(node.args) + [k.value for k in node.keywords if k.arg != "out"]
            outs = [k.value for k in node.keywords if k.arg == "out"]
            if isinstance(f, ast.Attribute) and f.attr in MUTATING_METHODS and self.outside_value(f.value) and \
                    any(self.tainted(v) for v in values):
                return self.refuse(node)
            if any(self.outside_value(o) for o in outs) and any(self.tainted(v) for v in values):
                return self.refuse(node)
            if isinstance(f, ast.Attribute) and f.attr == "copyto" and node.args and \
                    self.outside_value(node.args[0]) and any(self.tainted(v) for v in node.args[1:]):
                return self.refuse(node)
            if (isinstance(f, ast.Name) and f.id == "setattr" or isinstance(f, ast.Attribute) and
                    f.attr == "__setattr__") and len(node.args) >= 3 and \
                    (self.outside_value(node.args[-3]) or (self.root(node.args[-3]) or ("",))[0] == "param") and \
                    self.tainted(node.args[-1]):  # (`setattr(self, "last", x)`, `object.__setattr__(self, ...)`)
                return self.refuse(node)
        return None

    def outside_value(self, e):
        """Is `e` (a method's receiver, an `out=`) state the caller may read?"""
        if isinstance(e, ast.Name) and e.id in self.declared:
            return True
        return self.outside(e) if isinstance(e, (ast.Attribute, ast.Subscript)) else \
            isinstance(e, ast.Name) and (self.root(e) or ("local",))[0] == "free"

    def refuse(self, node):
        where = self.unit.location(node)
        return (f"`{self.unit.name}`, which has a derivative rule, stores a value made from its arguments where "
                f"the caller can read it (line {where.line} of {os.path.basename(where.filename)}: "
                f"`{where.text.strip()}`); its rule gives the derivative of its result only, so that value would "
                f"carry none")


def refuse(func, where):
    """Raise the located error for a call (at `where`) of `func`, if its body stores a value made from its
    arguments where the caller can read it."""
    message = check(func)
    if message is not None:
        raise UnsupportedError(message, where=where,
                               hint="return the value with the result instead (`return y, extra`, and a rule for "
                                    "both), or compute it where the function is called")


def _through_attribute(target):
    e = target
    while isinstance(e, (ast.Attribute, ast.Subscript)):
        if isinstance(e, ast.Attribute):
            return True
        e = e.value
    return False


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
    """The statements and calls of `body` in source order (nested blocks included, nested defs not)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield stmt
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                yield node
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) and \
                    not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from (s for s in _walk_in_order(inner) if not isinstance(s, ast.Call))
        for handler in getattr(stmt, "handlers", []) or []:
            yield from (s for s in _walk_in_order(handler.body) if not isinstance(s, ast.Call))
