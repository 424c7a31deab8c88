"""Lazy iterators the compiler computes when they are made (desugar.py checks every function it desugars).

Python computes the items of a generator expression, of `map`, `filter`, `zip`, `enumerate`, `reversed`,
`iter`, of a generator function's call and of a dict's `values()` / `items()` / `keys()` when they are read;
the compiler computes them when the iterator is made (desugar_builtins.py, desugar_loops.comprehension,
inline.py). The two agree unless what the iterator reads changes in between: an array or list it reads
changed in place, or a name it reads bound again. So, from the iterator's making to its last use (and
through the body of a loop consuming it), a statement that may make such a change is refused, at its line.

The check is syntactic and conservative: names that may share memory with what the iterator reads are
followed through assignments (`z = y`, `z = y[1:]`, `L = [y]`, a call's result); a value made by arithmetic
(`s = s + v`, `s = 0.0`) shares nothing. Code of the user's the statement does not show counts as a change:
a closure or lambda of the function reading what the iterator reads, a function of the user's given it (or a
view or item of it), a method of the user's called on an object holding it.
"""
import ast
import builtins
import importlib
import inspect
import itertools
import textwrap

import numpy as np

from .errors import UnsupportedError
from .inline_resolve import is_library

_ITERATOR_FUNCTIONS = (map, filter, zip, enumerate, reversed, iter, itertools.accumulate, itertools.starmap)
_DICT_VIEWS = ("values", "items", "keys")
_MUTATING = {"append", "extend", "insert", "pop", "clear", "remove", "sort", "reverse", "update", "setdefault",
             "popitem", "add", "discard", "fill", "put", "resize", "partition", "itemset", "setflags", "__setitem__",
             "__iadd__", "__imul__", "__isub__", "send"}
_MUTATING_FUNCTIONS = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "shuffle", "at"}
_FRESH = (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.JoinedStr)
# Methods of arrays and of Python's containers and numbers (those that change their object are in _MUTATING);
# any other method of a value sharing what an iterator reads may be the user's, and change it.
_KNOWN_METHODS = set().union(*(dir(t) for t in (np.ndarray, list, dict, tuple, set, str, float, int, complex)))


def check_lazy_iterators(unit, fdef, param_kinds=None, lengths=True):
    """Refuse, at its line, a change an iterator computed early would miss (see the module docstring); also a
    loop changing the length of the list it goes over (`lengths`; loop_lengths.py, which reads the kinds of the
    parameters when they are known: `param_kinds`, in the order of `fdef`'s parameters)."""
    checker = Checker(unit, fdef)
    checker.param_kinds = param_kinds
    checker.lengths = lengths
    checker.run()


def check_generator_call(origin):
    """The inliner found that the call at `origin` (`g = c.doubled()`) calls a generator, which this module could
    not see from the source (a method of a class the caller's module does not name): the same check for it."""
    node = origin.node
    call = node.value if isinstance(node, (ast.Assign, ast.Expr)) else node
    defs = [d for d in ast.walk(origin.unit.tree) if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef)) and
            any(n is call for n in _walk_here(d))]
    if defs and isinstance(call, ast.Call):
        checker = Checker(origin.unit, defs[0])
        checker.generators = {id(call)}
        checker.run()


class Checker:
    generators = frozenset()  # ids of calls known to call a generator (check_generator_call)
    param_kinds = None        # the kinds of fdef's parameters, when known (loop_lengths.py)
    lengths = True            # check loops changing the length of what they go over (loop_lengths.py)

    def __init__(self, unit, fdef):
        self.unit, self.fdef = unit, fdef
        self.stmts = [n for n in _walk_here(fdef) if isinstance(n, ast.stmt) and n is not fdef]
        self.local = {n.id for n in _walk_here(fdef) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        self.local |= {a.arg for a in ast.walk(fdef.args) if isinstance(a, ast.arg)}
        self.pairs = self.alias_pairs()
        self.numbers = _number_names(fdef, self.stmts)  # (`s += v` on them binds a new number: it changes nothing in place)
        self.nested = self.nested_functions()  # (name -> def or lambda: a closure may change what it reads)
        self.dicts = self.dict_names()
        self.imported = _imports(fdef)

    def run(self):
        for n in _walk_here(self.fdef):
            if isinstance(n, ast.Call) and self.resolve(n.func) in (next, any, all, zip) and n is not self.fdef:
                for a in n.args:  # (read in part: `next(map(add, xs))`)
                    self.check_effects(a)
        for s in self.stmts:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and \
                    self.lazy(s.value, bound=True):
                name = s.targets[0].id
                if not (_is_map(s.value, self) and not any(  # (a map never read calls nothing: desugar_builtins)
                        isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id == name
                        for n in ast.walk(self.fdef))):
                    self.check_effects(s.value)
                uses = [u for u in self.stmts if _after(u, s) and name in _loads(u, whole=False)]
                if uses:  # (the last use in the text: `_walk_here` gives the statements in no order, lang25)
                    last = max(uses, key=lambda u: (u.lineno, u.col_offset))
                    region = [u for u in self.stmts if _after(u, s) and _before(u, last)]
                    if isinstance(last, (ast.For, ast.While)):
                        region += [u for b in last.body for u in _walk_stmts(b)]
                    loops = {u for u in uses if isinstance(u, ast.For) and isinstance(u.iter, ast.Name)}
                    self.check(s.value, region, kind=self.describe(s.value), made={s} | loops)
            if isinstance(s, ast.For) and self.lengths:
                from .loop_lengths import check_length
                check_length(self, s)
            if isinstance(s, ast.For):
                region = [u for b in s.body for u in _walk_stmts(b)]
                for it in loop_iterators(self, s.iter):
                    self.check(it, region, kind=self.describe(it), consumer=s)
        from .loop_lengths import check_length, comprehension_loops
        for loop in (loop for n in _walk_here(self.fdef) for loop in comprehension_loops(n)):
            if self.lengths:  # (a comprehension's loops as `for` statements: h27a-012, h27a-013)
                check_length(self, loop)
            for it in loop_iterators(self, loop.iter):
                self.check(it, [u for b in loop.body for u in _walk_stmts(b)], kind=self.describe(it), consumer=loop)

    def check_effects(self, lazy):
        """A generator expression or `map(f, ...)` read in part, or not at all, (bound to a name, or given to
        `next`, `any`, `all`, `zip`) whose items' computing changes a value of the function (`L.append(v)` in
        its expression, `f` a closure doing so) would make changes Python's would not have made: refused (the
        compiler computes all its items when it is made; mends2 m2-003)."""
        from .inline_checks import check_generator_effects

        bad = None
        if isinstance(lazy, ast.GeneratorExp):
            own = _comprehension_targets(lazy)
            parts = [lazy.elt] + [c for g in lazy.generators for c in g.ifs] + [g.iter for g in lazy.generators[1:]]
            for n in (m for p in parts for m in _walk_here(p)):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATING and \
                        _base(n.func) is not None and _base(n.func) not in own:
                    bad = n
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in self.nested:
                    bad = bad or self.effect_of(check_generator_effects, self.nested[n.func.id], n)
                elif isinstance(n, ast.NamedExpr):
                    bad = n
        elif isinstance(lazy, ast.Call) and self.resolve(lazy.func) in (map, itertools.starmap, itertools.accumulate) \
                and lazy.args:
            f = lazy.args[0] if self.resolve(lazy.func) is not itertools.accumulate else \
                (lazy.args[1:2] or [k.value for k in lazy.keywords if k.arg == "func"] or [None])[0]
            nested = self.nested.get(f.id) if isinstance(f, ast.Name) else f if isinstance(f, ast.Lambda) else None
            if nested is not None:
                bad = self.effect_of(check_generator_effects, nested, f)
        if bad is not None:
            raise UnsupportedError(
                f"{self.describe(lazy)} whose items change a value of the function, read in part or not at all "
                "here: Python computes its items (and makes the changes) only when they are read, the compiler "
                "when the iterator is made", where=self.unit.location(bad),
                hint="make the change in a loop over the items, or make a list of them first (`list(...)`)")

    def effect_of(self, check, fdef, node):
        try:
            check(self.unit, fdef)
        except UnsupportedError:
            return node
        return None

    def lazy(self, node, bound):
        """Is `node` an iterator the compiler computes when it is made? (Not bound to a name, only those whose
        items it computes early: a loop over `zip(...)` or `enumerate(...)` reads its items as it goes.)"""
        if isinstance(node, ast.GeneratorExp) or id(node) in self.generators:
            return True
        if not isinstance(node, ast.Call):
            return False
        obj = self.resolve(node.func)
        if obj in _ITERATOR_FUNCTIONS:
            return bound or obj in (map, filter, itertools.accumulate, itertools.starmap)
        if bound and isinstance(node.func, ast.Attribute) and node.func.attr in _DICT_VIEWS and not node.args:
            return True
        return inspect.isgeneratorfunction(obj) or self.local_generator(node.func)

    def local_generator(self, func):
        if not isinstance(func, ast.Name):
            return False
        return any(isinstance(d, ast.FunctionDef) and d.name == func.id and d is not self.fdef and
                   any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(d)) for d in ast.walk(self.fdef))

    def describe(self, node):
        if isinstance(node, ast.GeneratorExp):
            return "a generator expression"
        if isinstance(node.func, ast.Attribute) and node.func.attr in _DICT_VIEWS:
            return f"a dict's `{node.func.attr}()`"
        obj = self.resolve(node.func)
        return f"`{obj.__name__}(...)`" if obj in _ITERATOR_FUNCTIONS else "a generator"

    def resolve(self, node):
        chain = []
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in self.local:
            return None
        found, obj = self.unit.lookup(node.id)
        if not found and node.id in self.imported:  # (`import itertools` in the function: h26a-008)
            found, obj = True, self.imported[node.id]
        if not found:
            obj = getattr(builtins, node.id, None)
        for p in reversed(chain):
            obj = getattr(obj, p, None)
        return obj

    def alias_pairs(self):
        """statement -> the pairs of names it may make share memory (target, name read)."""
        out = {}
        for s in self.stmts:
            pairs = []
            if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
                for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
                    pairs += [(a, b) for a in _names(t) for b in _value_loads(s.value)]
            elif isinstance(s, ast.For):
                pairs += [(a, b) for a in _names(s.target) for b in _loads(s.iter)]
            elif isinstance(s, ast.With):
                pairs += [(a, b) for i in s.items if i.optional_vars is not None
                          for a in _names(i.optional_vars) for b in _loads(i.context_expr)]
            out[s] = (pairs, isinstance(s, (ast.Assign, ast.AnnAssign)) and isinstance(s.value, ast.Name))
        return out

    def dict_names(self):
        """The names every binding of which is a dict display or comprehension (no parameter): what they hold
        is a dict, whose views a change of the objects it holds, in place, does not change."""
        displays, stores = {}, {}
        self.dict_keys = {}  # name -> the constant keys every display bound to it has
        for s in self.stmts:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and \
                    isinstance(s.value, (ast.Dict, ast.DictComp)):
                name = s.targets[0].id
                displays[name] = displays.get(name, 0) + 1
                keys = {k.value for k in s.value.keys if isinstance(k, ast.Constant) and type(k.value) is str} \
                    if isinstance(s.value, ast.Dict) else set()
                self.dict_keys[name] = self.dict_keys.get(name, keys) & keys
        for n in _walk_here(self.fdef):
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                stores[n.id] = stores.get(n.id, 0) + 1
        params = {a.arg for a in ast.walk(self.fdef.args) if isinstance(a, ast.arg)}
        return {n for n, k in displays.items() if stores.get(n) == k and n not in params}

    def reads_a_dict(self, lazy):
        """Is `lazy` the view `d.keys()` / `d.values()` / `d.items()` of a name holding a dict (dict_names)? Its
        items are the dict's keys and the very objects it holds: only a change of the dict's entries (a store
        `d[k] = v`, a method of d) changes what it gives; a change in place of an object it holds (`w *= 2.0`,
        `d["a"][0] = v`) is seen by both Python's view and the compiler's list."""
        return isinstance(lazy, ast.Call) and isinstance(lazy.func, ast.Attribute) and \
            lazy.func.attr in _DICT_VIEWS and not lazy.args and not lazy.keywords and \
            isinstance(lazy.func.value, ast.Name) and lazy.func.value.id in self.dicts and \
            id(lazy) not in self.generators

    def nested_functions(self):
        out = {d.name: d for d in ast.walk(self.fdef) if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))
               and d is not self.fdef}
        out.update({t.id: s.value for s in self.stmts if isinstance(s, ast.Assign) and
                    isinstance(s.value, ast.Lambda) for t in s.targets if isinstance(t, ast.Name)})
        return out

    def free_reads(self, lazy):
        """The function's names a nested generator function called by `lazy` reads (its free variables: g2-010)."""
        if not (isinstance(lazy, ast.Call) and isinstance(lazy.func, ast.Name) and lazy.func.id in self.nested):
            return set()
        d = self.nested[lazy.func.id]
        own = {n.id for n in ast.walk(d) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        own |= {a.arg for a in ast.walk(d.args) if isinstance(a, ast.arg)}
        return ({n.id for n in ast.walk(d) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - own) & \
            self.local

    def sharing(self, names, skip=(), same=False):
        """The names that may share memory with `names` (through assignments other than the statements in
        `skip`; `same`: the names of the very same objects, `d2 = d`)."""
        edges = {}
        for s, (pairs, plain) in self.pairs.items():
            for a, b in pairs if s not in skip and (plain or not same) else ():
                if a not in self.local or b not in self.local:
                    continue
                edges.setdefault(a, set()).add(b)
                edges.setdefault(b, set()).add(a)
        shared = set(names)
        todo = list(shared)
        while todo:
            for m in edges.get(todo.pop(), ()):
                if m not in shared:
                    shared.add(m)
                    todo.append(m)
        return shared

    def check(self, lazy, region, kind, consumer=None, made=()):
        """`consumer`: the loop over the iterator, whose items (its target) may be views of what it reads;
        `made`: the statement binding the iterator to a name and the loops over that name."""
        reads = _free_loads(lazy) & self.local  # (not a comprehension's own names, at any depth: lang25)
        # a global's or a closure variable's list, dict or array it reads (`iter(G)`): changed by the function,
        # or by a function of the user's reading it (h26a-007: they were not followed, a wrong value)
        outer = {n for n in _free_loads(lazy) - self.local | _generator_globals(self, lazy)
                 if _mutable(self.resolve(ast.Name(id=n, ctx=ast.Load())))}
        reads |= outer
        shared = self.sharing(reads, skip={consumer})  # (a function of the user's given one may change it)
        # What a function of the user's is not given: what is read, and its views and items, not the
        # iterator's own items (`for w, b in zip(ws, bs): h = dense(h, w, b)`: changing w changes ws[i] in place,
        # which both see; a slot of ws bound again needs ws itself)
        given = self.sharing(reads, skip={consumer} | set(made))
        entries = self.reads_a_dict(lazy)
        if entries and lazy.func.attr == "keys":  # (a store into a key it has already changes no key)
            entries = self.dict_keys.get(lazy.func.value.id) or True
        if consumer is not None and _dict_view(consumer.iter) or entries:  # (its values: references, in either)
            changed = self.sharing(reads, same=True)
        else:
            changed = self.sharing(reads | (_names(consumer.target) if consumer is not None else set()))
        free = self.free_reads(lazy)  # (a nested generator's: changed in place or bound again, not through calls)
        reads, changed = reads | free, changed | self.sharing(free, same=True)
        own = _own_entry(consumer)
        for u in region:
            bad = self.change(u, reads, changed, shared, own, given, entries, outer)
            if bad is not None:
                raise UnsupportedError(
                    f"this may change what {kind} made on line {self.unit.file_line(lazy)} reads, before it has "
                    "given all its "
                    "items: Python computes them when they are read, the compiler when the iterator is made",
                    where=self.unit.location(bad), hint="make a list of the items first (`list(...)`), or make "
                    "the change after the iterator is used")

    def change(self, s, reads, changed, shared, own=None, given=frozenset(), entries=False, outer=frozenset()):
        """The node of statement `s` that may change a name in `changed` in place (a name in `shared` given to
        a function not known, a name in `given` to a function of the user's, a closure reading a name in
        `shared`, a method of the user's called on one), or bind a name in `reads`. `entries`: only a change of
        the entries of the dicts `changed` names counts (`d[k] = v`, `d.update(...)`; not `d[k][i] = v`); a set
        of keys (for `d.keys()`): not a store into one of those keys either, which every display of d has."""
        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(
            s, (ast.AugAssign, ast.AnnAssign, ast.For)) else [i.optional_vars for i in s.items
                                                              if i.optional_vars is not None] \
            if isinstance(s, ast.With) else []
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, (ast.Subscript, ast.Attribute)) and _base(n) in changed | reads and \
                        not (own is not None and n is t and _entry(n) == own) and \
                        not (entries and (n is not t or not isinstance(n.value, ast.Name))) and \
                        not (isinstance(entries, set) and isinstance(n, ast.Subscript) and
                             isinstance(n.slice, ast.Constant) and n.slice.value in entries):
                    return t
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and (
                        n.id in reads or isinstance(s, ast.AugAssign) and n.id in changed
                                                and n.id not in self.numbers):
                    return t
        if isinstance(s, (ast.Delete, ast.Nonlocal, ast.Global)):
            return s
        for n in _walk_here(s, into_blocks=False):
            if isinstance(n, ast.NamedExpr) and n.target.id in reads:
                return n
            if not isinstance(n, ast.Call):
                continue
            args = [a for a in n.args] + [k.value for k in n.keywords]
            if isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATING and _base(n.func) in changed and \
                    not (entries and not isinstance(n.func.value, ast.Name)):
                return n
            obj = self.resolve(n.func)
            names = set().union(*(_loads(a) for a in args))
            if any(k.arg == "out" for k in n.keywords) or obj is None and names & shared or \
                    getattr(obj, "__name__", None) in _MUTATING_FUNCTIONS and names & changed or \
                    _users(obj) and names & given:
                return n  # (an `out=`, np.copyto, or a function of the user's given a name that shares memory)
            if outer and _users(obj) and _reaches(obj, outer, set()):
                return n  # (a function of the user's that reads the global the iterator reads)
            if isinstance(n.func, ast.Name) and n.func.id in self.nested and \
                    _loads(self.nested[n.func.id]) & (shared | reads):
                return n  # (a closure reading what the iterator reads)
            if isinstance(n.func, ast.Attribute) and obj is None and _base(n.func) in shared and \
                    n.func.attr not in _KNOWN_METHODS:
                return n  # (a method of the user's object holding what the iterator reads)
        return None


def _number_names(fdef, stmts):
    """The names every plain binding of which is a constant number (and no parameter)."""
    bound = {}
    for s in stmts:
        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, (ast.AnnAssign,
                                                                                        ast.For)) else []
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    number = isinstance(t, ast.Name) and isinstance(s, (ast.Assign, ast.AnnAssign)) and \
                        isinstance(s.value, ast.Constant) and type(s.value.value) in (int, float, complex)
                    bound[n.id] = bound.get(n.id, True) and number
    params = {a.arg for a in ast.walk(fdef.args) if isinstance(a, ast.arg)}
    return {n for n, number in bound.items() if number and n not in params}


def _mutable(obj):
    """A container, an array or an object of the user's (`CFG.items`): what a global name may hold that the
    function could change in place (not a module, class or function)."""
    return isinstance(obj, (list, dict, set, np.ndarray)) or not (
        obj is None or callable(obj) or isinstance(obj, type(builtins)) or not hasattr(obj, "__dict__"))


def _generator_globals(checker, lazy):
    """The globals a generator function of the user's called by `lazy` reads that are the very objects the
    function's own names give (`for v in G: yield ...` of a module-level generator: h26a-013)."""
    fn = checker.resolve(lazy.func) if isinstance(lazy, ast.Call) else None
    if not (inspect.isgeneratorfunction(fn) and _users(fn)):
        return set()
    try:
        loads = _loads(ast.parse(textwrap.dedent(inspect.getsource(fn))))
    except (OSError, TypeError, SyntaxError):
        return set()
    scope = getattr(fn, "__globals__", {})
    return {n for n in loads - checker.local if n in scope and
            scope[n] is checker.resolve(ast.Name(id=n, ctx=ast.Load()))}


def _imports(fdef):
    """name -> object of the `import m` / `import m as n` / `from m import f` statements inside the function."""
    out = {}
    for n in _walk_here(fdef):
        if isinstance(n, (ast.Import, ast.ImportFrom)) and not (isinstance(n, ast.ImportFrom) and n.level):
            for a in n.names:
                try:
                    if isinstance(n, ast.Import):
                        mod = importlib.import_module(a.name)
                        out[a.asname or a.name.split(".")[0]] = mod if a.asname else \
                            importlib.import_module(a.name.split(".")[0])
                    else:
                        out[a.asname or a.name] = getattr(importlib.import_module(n.module), a.name)
                except (ImportError, AttributeError):
                    continue
    return out


def _reaches(fn, names, seen, depth=0):
    """Does the function of the user's `fn` read one of the global `names`, or call a function of the user's
    that does (a few levels; what cannot be read counts as reading them)?"""
    fn = getattr(fn, "__func__", fn)
    if id(fn) in seen:
        return False
    seen.add(id(fn))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return True
    loads = _loads(tree)
    if loads & names or depth > 4:
        return bool(loads & names) or depth > 4
    scope = getattr(fn, "__globals__", {})
    return any(_users(scope[m]) and inspect.isfunction(scope[m]) and _reaches(scope[m], names, seen, depth + 1)
               for m in loads if m in scope)


def _is_map(node, checker):
    return isinstance(node, ast.Call) and checker.resolve(node.func) is map


def _users(obj):
    """Is `obj` (resolved) code of the user's, which may change what it is given?"""
    if obj is None or getattr(obj, "__module__", None) == "builtins":
        return False
    return callable(obj) and not is_library(obj)


def loop_iterators(checker, it):
    """The iterators whose items a `for` loop over `it` computes when it starts, as desugar_loops.py writes
    it: only a list, tuple or array it goes over (also through `enumerate(seq)`, `enumerate(seq, 1)` and
    `zip(a, b)` of them, and `enumerate(zip(a, b))`) is indexed as the loop goes; anything else is made a list
    first: `reversed(L)` (Python's reads L at each step: a store into L or a pop in the body gave a WRONG
    gradient, h27a-004), `zip(*pairs)`, `zip(a, b, strict=True)`, `enumerate(L, k)`, `zip(map(f, L), M)`."""
    from .desugar_loops import _enumerate_start

    if checker.lazy(it, bound=False) or _dict_view(it):
        return [it]
    func = checker.resolve(it.func) if isinstance(it, ast.Call) else None
    if func is enumerate:
        if not (len(it.args) == 1 and not it.keywords or _enumerate_start(it) is not None):
            return [it]
        it = it.args[0]
        func = checker.resolve(it.func) if isinstance(it, ast.Call) else None
    if func is zip:
        if not it.args or it.keywords or any(isinstance(a, ast.Starred) for a in it.args):
            return [it]
        return [a for a in it.args if _early(checker, a)]
    return [it] if _early(checker, it) else []


def _early(checker, node):
    """An iterator a loop over which (or a `zip` of which) is made a list when the loop starts."""
    return (checker.lazy(node, bound=True) or _dict_view(node)) and not _over_range(node)


def _over_range(call):
    """`reversed(range(...))`: nothing to change (a range's items are its numbers)."""
    return len(call.args) == 1 and isinstance(call.args[0], ast.Call) and isinstance(call.args[0].func, ast.Name) \
        and call.args[0].func.id == "range"


def _dict_view(node):
    """`d.items()` / `d.values()` (a loop over it reads the dict's values as it goes)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in ("items", "values") and not node.args and isinstance(node.func.value, ast.Name)


def _own_entry(loop):
    """(dict, key) of `for k, v in d.items():` (storing `d[k] = ...` changes only the entry already read)."""
    if loop is None or not _dict_view(loop.iter) or loop.iter.func.attr != "items" or \
            not (isinstance(loop.target, ast.Tuple) and isinstance(loop.target.elts[0], ast.Name)):
        return None
    return loop.iter.func.value.id, loop.target.elts[0].id


def _entry(node):
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Name):
        return node.value.id, node.slice.id
    return None


def _base(node):
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _names(target):
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _loads(node, whole=True):
    """The names `node` reads (`whole=False`: a statement's own expressions, not those of its blocks)."""
    nodes = ast.walk(node) if whole else _walk_here(node, into_blocks=False)
    return {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _value_loads(node):
    """The names a value may share memory with: those it reads, but not inside arithmetic (a new value), also
    as an item of a list, tuple or dict display (`ws = [x * 1.0, x * 2.0]` shares nothing with x)."""
    if isinstance(node, _FRESH):
        return set()
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return set().union(*(_value_loads(e) for e in node.elts))
    if isinstance(node, ast.Dict):
        return set().union(*(_value_loads(e) for e in node.values))  # (`{**d}` too: its value is d)
    return _loads(node)


def _free_loads(node):
    """The names `node` reads, but a comprehension's own targets inside it (`iter([v for v in x])` reads x)."""
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        own = _comprehension_targets(node)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        parts += [p for gen in node.generators for p in gen.ifs] + [gen.iter for gen in node.generators[1:]]
        inner = set().union(*(_free_loads(p) for p in parts))
        return (inner - own) | _free_loads(node.generators[0].iter)
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) else set()
    return set().union(set(), *(_free_loads(c) for c in ast.iter_child_nodes(node)))


def _comprehension_targets(node):
    return {n.id for g in getattr(node, "generators", ()) for n in ast.walk(g.target) if isinstance(n, ast.Name)}


def _walk_here(node, into_blocks=True):
    """The nodes of `node`, not those of nested functions, lambdas and classes (nor, with `into_blocks=False`,
    those of the statements in its blocks)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        for c in ast.iter_child_nodes(n):
            if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if not into_blocks and isinstance(c, ast.stmt):
                continue
            todo.append(c)


def _walk_stmts(s):
    return [n for n in _walk_here(s) if isinstance(n, ast.stmt)]


def _after(u, s):
    return (u.lineno, u.col_offset) > (s.end_lineno, s.end_col_offset)


def _before(u, last):
    return (u.lineno, u.col_offset) < (last.lineno, last.col_offset)


def change_in_place(unit, fdef, name):
    """The first node of `fdef` that may change the value of its parameter `name` in place (directly or
    through a name sharing its memory), or None (for a mutable default, which Python keeps from call to call)."""
    checker = Checker(unit, fdef)
    aliases = checker.sharing({name})
    for s in sorted(checker.stmts, key=lambda n: (n.lineno, n.col_offset)):
        bad = checker.change(s, set(), aliases, aliases)
        if bad is not None:
            return bad
    return None
