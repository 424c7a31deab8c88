"""The intermediate form every pass reads and writes.

Expressions are immutable trees (frozen dataclasses: equal when they print the same); statements are small
mutable records that carry where they come from (`origin`, for comments and errors). The desugared form
of a user function keeps every operand an *atom* (`Var`, `Const`, `Global`) and every right-hand side one
operation; generated code uses the same classes with nested expressions (a rule's template).

    atoms        Var(name)  Const(value)  Global(path, obj)
    expressions  Call(func, args, kwargs)  BinOp(op, left, right)  UnaryOp(op, operand)
                 Compare(left, ops, rights)  Attr(value, attr)  Index(value, items)  Build(kind, items, keys)
                 IfExp(test, body, orelse)  Closure(...)
    statements   Assign(targets, value)  SetItem(target, items, value, op)  AugAssign(target, op, value)
                 ExprStmt(value)  If(test, body, orelse)  For(target, iter, body)  While(test, body)
                 Break()  Return(value)  Comment(text)  FunctionDef(name, params, body)  Nonlocal(names)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# -- atoms ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Var:
    name: str

    def __repr__(self):
        return self.name


@dataclass(frozen=True)
class Const:
    value: Any

    def __eq__(self, other):  # 1 == 1.0 == True in Python; constants are equal only with their type
        return isinstance(other, Const) and type(self.value) is type(other.value) and _same(self.value, other.value)

    def __hash__(self):
        try:
            return hash((type(self.value), self.value))
        except TypeError:
            return id(self.value)

    def __repr__(self):
        return repr(self.value)


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:  # arrays: compared by identity
        return a is b


class AttrName(str):
    """The key of an attribute store `obj.attr = v`: a `SetItem` into the object (the compiler treats an
    object the function made as a container of its attributes, as a dict of its keys). Printed as
    `obj.attr = v`; as a plain string elsewhere (the adjoint of an object is a dict by attribute name)."""
    __slots__ = ()
    frozen = False  # set with object.__setattr__ (a frozen dataclass)

    def __repr__(self):
        return str.__repr__(str(self))


class FrozenAttrName(AttrName):
    """The key of `object.__setattr__(obj, "attr", v)` (a frozen dataclass's __init__)."""
    __slots__ = ()
    frozen = True


def attr_key(items):
    """The attribute name of a `SetItem` or `Index` with one AttrName key, else None."""
    if len(items) == 1 and isinstance(items[0], Const) and isinstance(items[0].value, AttrName):
        return items[0].value
    return None


@dataclass(frozen=True, eq=False)
class Global:
    """An object from outside the function, reached by a dotted name: `np`, `np.linalg.norm`, `math.pi`.
    `obj` is what the name referred to when the function was compiled; `path` is how to print it; `root`
    is what `path[0]` referred to (None: `obj` itself, for a one-part path); `home`, where known, where
    `path[0]` was found: the closure cell or the globals dict of the function that read it (so that data
    another function reads is printed as its own, not as a name of the differentiated function bound to the
    same object: codegen.Names.spell, h19-011)."""
    path: tuple
    obj: Any
    root: Any = None
    home: Any = None

    @property
    def base(self):
        return self.obj if len(self.path) == 1 else self.root

    def __eq__(self, other):
        return isinstance(other, Global) and self.obj is other.obj and self.path == other.path and \
            self.home is other.home

    def __hash__(self):
        return hash(self.path)

    def __repr__(self):
        return ".".join(self.path)


# -- expressions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    func: Any  # an expression: Global (np.sin), Attr (x.sum), Var (a local function value)
    args: tuple = ()
    kwargs: tuple = ()  # ((name, expr), ...)

    def kwarg(self, name, default=None):
        for k, v in self.kwargs:
            if k == name:
                return v
        return default


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / // % ** @ & | ^ << >>
    left: Any
    right: Any


@dataclass(frozen=True)
class UnaryOp:
    op: str  # - + not ~
    operand: Any


@dataclass(frozen=True)
class Compare:
    left: Any
    ops: tuple  # ("<", "==", "is", "in", ...)
    rights: tuple


@dataclass(frozen=True)
class Attr:
    value: Any
    attr: str


@dataclass(frozen=True)
class Slice:
    lower: Any = None
    upper: Any = None
    step: Any = None


@dataclass(frozen=True)
class Index:
    """`value[items]`; `tuple_form` says whether the user wrote a tuple (`x[1, 2]`, or `x[(k,)]`)."""
    value: Any
    items: tuple
    tuple_form: bool = False


@dataclass(frozen=True)
class Build:
    kind: str  # list, tuple, dict
    items: tuple
    keys: tuple = ()  # for dict


@dataclass(frozen=True)
class IfExp:
    test: Any
    body: Any
    orelse: Any


@dataclass(frozen=True)
class Starred:
    """`*value` among a call's arguments (expanded when the value is a known tuple)."""
    value: Any


@dataclass(frozen=True, eq=False)
class Closure:
    """A nested function or lambda as a value: its definition and the scope its free names belong to."""
    fdef: Any  # ast.FunctionDef
    scope: Any  # desugar's Scope of the enclosing function (free names resolve there)
    unit: Any  # the read.Unit it was defined in (file, positions)
    defaults: tuple = ()  # atoms: the default values, evaluated where the function was defined


# -- statements -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    """Where a statement comes from: the user's statement (for comments) and the node errors point at."""
    unit: Any  # read.Unit: file, positions, function name
    stmt: Any  # ast.stmt of the user's code
    node: Any  # ast node (expression) an error should point at


@dataclass(eq=False)
class Stmt:
    origin: Any = field(default=None, kw_only=True)
    nograd: bool = field(default=False, kw_only=True)  # inside `with ad.no_grad():`
    keep: bool = field(default=False, kw_only=True)  # inside a `try` body: kept even if its value is not needed


@dataclass(eq=False)
class Assign(Stmt):
    """`targets = value`; `noop` marks a value the forward sweep already has (a name that sees an object
    changed through another name: the statement only tells the adjoint where the value comes from)."""
    targets: tuple  # one name, or several for `a, b = call()` (generated code only)
    value: Any
    noop: bool = False
    prev: str = None  # for a noop: the name of the same object before (set by SSA)

    @property
    def target(self):
        return self.targets[0]


@dataclass(eq=False)
class SetItem(Stmt):
    """`target[items] = value`, or with `op`, `target[items] op= value` (Python's semantics; alias.py turns
    it into plain stores). `result` is the SSA name of the updated value (the same object as `target`);
    `noop` marks a store already done through a view (it only tells the adjoint what changed)."""
    target: Any
    items: tuple
    value: Any
    op: str = None
    tuple_form: bool = False
    result: str = None
    noop: bool = False


@dataclass(eq=False)
class Mutate(Stmt):
    """A method changing a list in place (`lst.append(v)`, `lst.extend(v)`, `v = lst.pop()`): `target`
    is the list before, `result` the SSA name after (the same object), `out` the call's value if used."""
    target: Any
    method: str
    args: tuple
    result: str = None
    out: str = None


@dataclass(eq=False)
class AugAssign(Stmt):
    """`target op= value` on a name: in place for an array, a rebinding for a number (decided by `alias`)."""
    target: str
    op: str
    value: Any


@dataclass(eq=False)
class ExprStmt(Stmt):
    value: Any


@dataclass(eq=False)
class If(Stmt):
    """`if test: body else: orelse`. `role` marks the branches of a `try` statement and of a `with` block
    (desugar_blocks.py): for the analyses an `if` on a flag the block sets; printed as the statement itself."""
    test: Any
    body: list
    orelse: list
    role: str = None  # None | "try" | "handler" | "with"
    info: Any = None  # for "try": the handlers' exception classes; for "with": the context manager


@dataclass(eq=False)
class For(Stmt):
    """`for target in iter:` (in desugared code, iter is always `range(...)`); `carried` are the loop's
    variables (see ssa.py); `checkpoint` marks a loop the derivative checkpoints (tape.py)."""
    target: str
    iter: Any
    body: list
    carried: tuple = ()
    checkpoint: Any = None  # `for t in ad.checkpointed(steps, every)`: the atom `every` (Const(None): sqrt)


@dataclass(eq=False)
class While(Stmt):
    test: Any
    body: list
    carried: tuple = ()


@dataclass(eq=False)
class Break(Stmt):
    pass


@dataclass(eq=False)
class Return(Stmt):
    value: Any


@dataclass(eq=False)
class Comment(Stmt):
    text: str


@dataclass(eq=False)
class FunctionDef(Stmt):
    name: str
    params: tuple
    body: list
    defaults: tuple = ()


@dataclass(eq=False)
class Nonlocal(Stmt):
    names: tuple


@dataclass(eq=False)
class Assert(Stmt):
    test: Any
    msg: Any = None


COMPOUND = (If, For, While, FunctionDef)


def blocks(stmt):
    """The statement lists nested directly in `stmt`."""
    if isinstance(stmt, If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (For, While, FunctionDef)):
        return [stmt.body]
    return []


def all_blocks(body):
    """`body` and every statement list nested in it, at any depth (function bodies too), outer first."""
    yield body
    for s in body:
        for b in blocks(s):
            yield from all_blocks(b)


def walk(stmts, into_functions=False):
    """Every statement of a block and of its nested blocks, in order."""
    for s in stmts:
        yield s
        if isinstance(s, FunctionDef) and not into_functions:
            continue
        for b in blocks(s):
            yield from walk(b, into_functions)


_CHILDREN = {
    Call: lambda e: [e.func, *e.args, *(v for _, v in e.kwargs)],
    BinOp: lambda e: [e.left, e.right],
    UnaryOp: lambda e: [e.operand],
    Compare: lambda e: [e.left, *e.rights],
    Attr: lambda e: [e.value],
    Index: lambda e: [e.value, *e.items],
    Slice: lambda e: [x for x in (e.lower, e.upper, e.step) if x is not None],
    Build: lambda e: [*e.keys, *e.items],
    IfExp: lambda e: [e.test, e.body, e.orelse],
    Starred: lambda e: [e.value],
}


def children(expr):
    """The direct subexpressions of an expression."""
    get = _CHILDREN.get(expr.__class__)
    return get(expr) if get is not None else []


def calls_in(expr):
    """The calls in an expression, its own and those of its subexpressions."""
    todo = [expr]
    while todo:
        e = todo.pop()
        if e.__class__ is Call:
            yield e
        get = _CHILDREN.get(e.__class__)
        if get is not None:
            todo.extend(get(e))


def names_in(expr):
    """Names of the variables an expression reads."""
    out = set()
    todo = [expr]
    while todo:
        e = todo.pop()
        cls = e.__class__
        if cls is Var:
            out.add(e.name)
        else:
            get = _CHILDREN.get(cls)
            if get is not None:
                todo.extend(get(e))
    return out


def is_throw(s):
    """`_ad.throw(e)`: the user's `raise e` (desugar_statements.py); nothing after it runs."""
    return isinstance(s, ExprStmt) and isinstance(s.value, Call) and isinstance(s.value.func, Global) and \
        s.value.func.path == ("_ad", "throw")


def read_counts(body):
    """{name: the number of statements of `body` (nested blocks included) that read it}."""
    from collections import Counter

    return Counter(n for s in walk(body) for n in stmt_reads(s))


def stmt_reads(s):
    """Names a statement reads (not counting nested blocks)."""
    if isinstance(s, Assign):
        return names_in(s.value)
    if isinstance(s, Mutate):
        return names_in(s.target).union(*(names_in(a) for a in s.args))
    if isinstance(s, SetItem):
        out = names_in(s.value) | set().union(*(names_in(i) for i in s.items)) if s.items else names_in(s.value)
        return out | names_in(s.target)
    if isinstance(s, AugAssign):
        return names_in(s.value) | {s.target}
    if isinstance(s, (ExprStmt, Return)):
        return names_in(s.value) if s.value is not None else set()
    if isinstance(s, Assert):
        return names_in(s.test) | (names_in(s.msg) if s.msg is not None else set())
    if isinstance(s, (If, While)):
        return names_in(s.test)
    if isinstance(s, For):
        return names_in(s.iter)
    return set()


def stmt_writes(s):
    """Names a statement (re)binds (not counting nested blocks)."""
    if isinstance(s, Assign):
        return set(s.targets)
    if isinstance(s, SetItem):
        return {s.result} if s.result else set()
    if isinstance(s, Mutate):
        return {n for n in (s.result, s.out) if n}
    if isinstance(s, AugAssign):
        return {s.target}
    if isinstance(s, For):
        return {s.target}
    if isinstance(s, FunctionDef):
        return {s.name}
    return set()


def changed_in_place(s):
    """Names whose object this statement changes without rebinding them: a store into it, `+=`, a method, a
    helper's `out=` (what `stmt_writes` does not list). Passes that move or fold a read past other statements
    check both (negations.py, spread.py)."""
    out = set()
    if isinstance(s, (SetItem, Mutate, AugAssign)) and isinstance(s.target, Var):
        out.add(s.target.name)
    value = getattr(s, "value", None)
    todo = [value] if value is not None else []
    while todo:
        e = todo.pop()
        if isinstance(e, Call):
            out |= {v.name for k, v in e.kwargs if k == "out" and isinstance(v, Var)}
        todo.extend(children(e))
    return out


def map_expr(expr, fn):
    """Rebuild `expr` bottom-up with `fn` applied to every node (fn returns the node to use)."""
    if isinstance(expr, Call):
        new = Call(map_expr(expr.func, fn), tuple(map_expr(a, fn) for a in expr.args),
                   tuple((k, map_expr(v, fn)) for k, v in expr.kwargs))
    elif isinstance(expr, BinOp):
        new = BinOp(expr.op, map_expr(expr.left, fn), map_expr(expr.right, fn))
    elif isinstance(expr, UnaryOp):
        new = UnaryOp(expr.op, map_expr(expr.operand, fn))
    elif isinstance(expr, Compare):
        new = Compare(map_expr(expr.left, fn), expr.ops, tuple(map_expr(r, fn) for r in expr.rights))
    elif isinstance(expr, Attr):
        new = Attr(map_expr(expr.value, fn), expr.attr)
    elif isinstance(expr, Index):
        new = Index(map_expr(expr.value, fn), tuple(map_expr(i, fn) for i in expr.items), expr.tuple_form)
    elif isinstance(expr, Slice):
        new = Slice(*(map_expr(e, fn) if e is not None else None for e in (expr.lower, expr.upper, expr.step)))
    elif isinstance(expr, Build):
        new = Build(expr.kind, tuple(map_expr(i, fn) for i in expr.items), tuple(map_expr(k, fn) for k in expr.keys))
    elif isinstance(expr, IfExp):
        new = IfExp(map_expr(expr.test, fn), map_expr(expr.body, fn), map_expr(expr.orelse, fn))
    elif isinstance(expr, Starred):
        new = Starred(map_expr(expr.value, fn))
    else:
        new = expr
    return fn(new)


def rename_expr(expr, renames):
    """`expr` with variables renamed (renames: old name -> new name or expression); the very same object
    when nothing in it is renamed."""
    if not renames:
        return expr
    return _rename(expr, renames)


def _rename(e, renames):
    cls = e.__class__
    if cls is Var:
        r = renames.get(e.name)
        if r is None:
            return e
        return Var(r) if isinstance(r, str) else r
    if cls is Const or cls is Global or e is None:
        return e
    if cls is Call:
        func = _rename(e.func, renames)
        args = tuple(_rename(a, renames) for a in e.args)
        kwargs = tuple((k, _rename(v, renames)) for k, v in e.kwargs)
        if func is e.func and all(a is b for a, b in zip(args, e.args)) and \
                all(a[1] is b[1] for a, b in zip(kwargs, e.kwargs)):
            return e
        return Call(func, args, kwargs)
    if cls is BinOp:
        left, right = _rename(e.left, renames), _rename(e.right, renames)
        return e if left is e.left and right is e.right else BinOp(e.op, left, right)
    if cls is Index:
        value = _rename(e.value, renames)
        items = tuple(_rename(i, renames) for i in e.items)
        if value is e.value and all(a is b for a, b in zip(items, e.items)):
            return e
        return Index(value, items, e.tuple_form)
    return map_expr(e, lambda x: _rename(x, renames) if x.__class__ is Var else x)


def is_atom(e):
    return isinstance(e, (Var, Const, Global))


def clone(stmts):
    """A copy of a block: new statement objects (and blocks), the same expressions (they are immutable)."""
    import dataclasses

    out = []
    for s in stmts:
        c = dataclasses.replace(s)
        c.origin, c.nograd = s.origin, s.nograd
        for field in ("body", "orelse"):
            if hasattr(c, field) and isinstance(getattr(c, field), list):
                setattr(c, field, clone(getattr(c, field)))
        out.append(c)
    return out


def index_value(items, tuple_form):
    """An index as an ordinary expression (slices as `slice(lower, upper, step)` calls)."""
    values = tuple(Call(Global(("slice",), slice), tuple(e if e is not None else Const(None)
                                                         for e in (i.lower, i.upper, i.step)))
                   if isinstance(i, Slice) else i for i in items)
    if len(values) == 1 and not tuple_form:
        return values[0]
    return Build("tuple", values)
