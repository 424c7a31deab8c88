"""Pass 10, clean-up: the generated function without what a compiler can prove unneeded.

- folding of the expressions the reverse transform writes (`fold`, applied as it writes them: the
  user's own `x * 1.0` is a copy and stays one): `g * 1.0`, `1.0 * g`, `g * -1.0` (-> `-g`), `g ** 1`,
  `0 + g`, `g - 0`, `g / 1`, `a * (1.0 / b)` (-> `a / b`), `-(-g)`, arithmetic on two numeric literals.
  Never `g * 0` -> `0` (for an array that would change the shape). Helper calls drop trailing arguments
  equal to the helper's defaults.
- copy propagation: after `a = b`, later reads of `a` read `b` (until either is reassigned), within a
  straight run of statements.
- dead code elimination: statements whose result nothing needs (forward values the adjoint sweep does not
  read, temporaries of unused contributions) are removed; effects (calls kept for what they do, stores into
  arrays that are needed, tape pushes and pops) stay. It works on a def-use graph: linear in the size of
  the function. Then, within each block, an assignment whose next mention is another plain assignment of
  the same name (`bm_1 = bs; bm_1 = _ad.owned_copy(bs, m)`) goes too (`drop_overwritten`).
"""
import inspect
import operator

from . import ir, sharing
from .negations import fold_negations
from .ir import Assign, AugAssign, BinOp, Call, Comment, Const, ExprStmt, For, If, SetItem, UnaryOp, Var, While

_FOLD = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
# (grad_seed is kept for what it does: it raises for an output that is not a scalar, also one that does not
# depend on the wrt arguments, whose gradient is zeros; vjp_seed and as_tangent likewise check a vjp's seed
# and a jvp's tangent where nothing reads them: h11-014)
EFFECT_HELPERS = {"add_at", "pop_item", "pop_tail", "grad_seed", "vjp_seed", "as_tangent"}


def _num(e):
    return isinstance(e, Const) and type(e.value) in (int, float)


def _is(e, value):
    return _num(e) and e.value == value


_helper_params = {}  # runtime helper name -> its parameters (None: no signature)


def _params_of_helper(name):
    if name not in _helper_params:
        from . import runtime

        helper = getattr(runtime, name, None)
        try:
            _helper_params[name] = list(inspect.signature(helper).parameters.values()) if helper else None
        except (TypeError, ValueError):
            _helper_params[name] = None
    return _helper_params[name]


def _drop_defaults(node):
    """`_ad.unreduce(g, x, None, False)` -> `_ad.unreduce(g, x)`: omit trailing arguments equal to the
    helper's defaults."""
    if node.kwargs:
        return node
    params = _params_of_helper(node.func.path[-1])
    if params is None:
        return node
    args = list(node.args)
    while args and len(args) <= len(params):
        p = params[len(args) - 1]
        last = args[-1]
        if p.default is inspect.Parameter.empty or not isinstance(last, Const) or type(last.value) is not \
                type(p.default) or last.value != p.default:
            break
        args.pop()
    return Call(node.func, tuple(args), node.kwargs) if len(args) != len(node.args) else node


def fold(e):
    def f(node):
        if isinstance(node, Call) and isinstance(node.func, ir.Global) and node.func.path == ("_ad", "power_partial") \
                and len(node.args) in (2, 3) and all(_num(a) for a in node.args[1:]) and not node.kwargs:
            # a constant exponent: `c * x ** (k - n)` reads better (unless c is 0, which must stay exact)
            k, n = node.args[1].value, node.args[2].value if len(node.args) == 3 else 1
            c = 1
            for j in range(n):
                c *= k - j
            if c != 0:
                return f(BinOp("*", Const(c), f(BinOp("**", node.args[0], Const(k - n)))))
        if isinstance(node, Call) and isinstance(node.func, ir.Global) and node.func.path == ("_ad", "layout_order") \
                and len(node.args) == 2 and isinstance(node.args[1], Const) and node.args[1].value in ("C", "F"):
            return node.args[1]  # (the orders that do not depend on the layout)
        if isinstance(node, Call) and isinstance(node.func, ir.Global) and node.func.path[:1] == ("_ad",):
            return _drop_defaults(node)
        if isinstance(node, BinOp):
            a, b, op = node.left, node.right, node.op
            if _num(a) and _num(b) and op in _FOLD:
                try:
                    v = _FOLD[op](a.value, b.value)
                except (ArithmeticError, OverflowError, ValueError):
                    return node
                if isinstance(v, (int, float)) and abs(v) < 1e300:
                    return Const(v)
                return node
            if op == "*":
                if _is(a, 1):
                    return b
                if _is(b, 1):
                    return a
                if _is(b, -1):
                    return f(UnaryOp("-", a))
                if _is(a, -1):
                    return f(UnaryOp("-", b))
                if isinstance(b, BinOp) and b.op == "/" and _is(b.left, 1):
                    return BinOp("/", a, b.right)
                if isinstance(b, BinOp) and b.op == "*" and _num(b.left):
                    return BinOp("*", f(BinOp("*", a, b.left)), b.right)
                if isinstance(b, UnaryOp) and b.op == "-" and not (isinstance(a, UnaryOp)):
                    return UnaryOp("-", BinOp("*", a, b.operand))
            elif op == "+":
                if _is(a, 0):
                    return b
                if _is(b, 0):
                    return a
                if isinstance(b, UnaryOp) and b.op == "-":
                    return BinOp("-", a, b.operand)
            elif op == "-":
                if _is(b, 0):
                    return a
            elif op in ("/", "**"):
                if _is(b, 1):
                    return a
        if isinstance(node, ir.Compare) and len(node.ops) == 1 and node.ops[0] in ("==", "!=") and \
                _plain(node.left) and _plain(node.rights[0]):  # a template's test of a constant argument
            same = node.left.value == node.rights[0].value and \
                type(node.left.value) is type(node.rights[0].value)
            return Const(same if node.ops[0] == "==" else not same)
        if isinstance(node, ir.IfExp) and isinstance(node.test, Const) and isinstance(node.test.value, bool):
            return node.body if node.test.value else node.orelse
        if isinstance(node, UnaryOp) and node.op == "-":
            if _num(node.operand):
                return Const(-node.operand.value)
            if isinstance(node.operand, UnaryOp) and node.operand.op == "-":
                return node.operand.operand
        return node

    return ir.map_expr(e, f)


def _plain(e):
    """A constant string, number, bool or None (compared at compile time)."""
    return isinstance(e, Const) and (e.value is None or type(e.value) in (str, int, float, bool))


def _effect_call(e):
    if not isinstance(e, Call):
        return False
    f = e.func
    if isinstance(f, ir.Global) and f.path[:1] == ("_ad",):
        return f.path[-1] in EFFECT_HELPERS
    if isinstance(f, ir.Attr):
        return f.attr in ("pop", "append", "extend")
    return False


def _has_effect_call(e):
    cls = e.__class__
    if cls is Var or cls is Const or cls is ir.Global:
        return False
    if cls is Call:
        if _effect_call(e):
            return True
        return any(_has_effect_call(a) for a in e.args) or _has_effect_call(e.func) or \
            any(_has_effect_call(v) for _, v in e.kwargs)
    return any(_has_effect_call(c) for c in ir.children(e))


def _writes(s):
    if isinstance(s, Assign):
        return set(s.targets)
    if isinstance(s, AugAssign):
        return {s.target}
    if isinstance(s, For):
        return {s.target}
    return set()


# -- copy propagation -------------------------------------------------------------------------------------
class _Copies(dict):
    """Active copies `a = b` (a -> b), with the names each source is copied to (to forget them fast)."""

    def __init__(self):
        super().__init__()
        self.by_source = {}

    def add(self, target, source):
        self[target] = source
        self.by_source.setdefault(source, set()).add(target)

    def forget(self, name):
        """`name` is rebound: copies of it, and to it, are no longer valid."""
        source = self.pop(name, None)
        if source is not None:
            self.by_source.get(source, set()).discard(name)
        for target in self.by_source.pop(name, ()):
            self.pop(target, None)


def propagate(stmts):
    copies = _Copies()
    out = []
    for s in stmts:
        if isinstance(s, Comment):
            out.append(s)
            continue
        if isinstance(s, ir.FunctionDef):
            s.body = propagate(s.body)
            out.append(s)
            continue
        s = _one_branch(s)
        if isinstance(s, (If, For, While)):
            for n in {n for x in ir.walk([s]) for n in _writes(x)}:
                copies.forget(n)
            if isinstance(s, If):
                s.test = ir.rename_expr(s.test, copies)
                s.body, s.orelse = propagate(s.body), propagate(s.orelse)
            elif isinstance(s, For):
                s.iter = ir.rename_expr(s.iter, copies)
                s.body = propagate(s.body)
            else:
                s.body = propagate(s.body)
            out.append(s)
            continue
        _substitute(s, copies)
        for t in _writes(s):
            copies.forget(t)
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and s.value.name != s.target:
            copies.add(s.target, s.value.name)
        out.append(s)
    return out


def _one_branch(s):
    """`if t: a_2 = a else: a_2 = a` (both branches one and the same plain copy, a test without effects) is
    `a_2 = a`: the generated code tests which array a name is and binds holders the same way on both paths."""
    if not (isinstance(s, If) and s.role is None and isinstance(s.test, (Var, ir.Const))):
        return s
    body, orelse = _real(s.body), _real(s.orelse)
    if len(body) == 1 and len(orelse) == 1 and all(isinstance(b, Assign) and len(b.targets) == 1 and
                                                   isinstance(b.value, Var) and not b.noop for b in body + orelse):
        if body[0].target == orelse[0].target and body[0].value == orelse[0].value:
            return body[0]
    return s


def _substitute(s, copies):
    if not copies:
        return

    def r(e):
        return ir.rename_expr(e, copies)
    if isinstance(s, Assign):
        s.value = r(s.value)
    elif isinstance(s, SetItem):
        s.target = r(s.target)
        s.items = tuple(r(i) for i in s.items)
        s.value = r(s.value)
    elif isinstance(s, AugAssign):
        s.value = r(s.value)
        if s.target in copies:  # `a += v` where a is a copy of b: write to a, keep reading b elsewhere
            pass
    elif isinstance(s, (ExprStmt, ir.Return)):
        s.value = r(s.value)
    elif isinstance(s, ir.Assert):
        s.test = r(s.test)
        s.msg = r(s.msg) if s.msg is not None else None


# -- dead code --------------------------------------------------------------------------------------------
def _reads(s):
    if isinstance(s, SetItem):
        return ir.names_in(s.target) | ir.names_in(s.value) | set().union(*(ir.names_in(i) for i in s.items))
    if isinstance(s, AugAssign):
        return ir.names_in(s.value) | {s.target}
    return ir.stmt_reads(s)


def needed_names(stmts, groups):
    """Names whose values matter: read by effects, control flow or returns, transitively (def-use graph)."""
    defs = {}  # name -> statements defining or updating it
    roots = set()
    stores = {}  # copy group -> stores into it
    for s in ir.walk(stmts, into_functions=True):
        if isinstance(s, Comment):
            continue
        if s.keep:
            roots |= _reads(s)
        if isinstance(s, (Assign, AugAssign)) and not (isinstance(s, Assign) and _has_effect_call(s.value)):
            for t in _writes(s):
                defs.setdefault(t, []).append(s)
        elif isinstance(s, SetItem) and isinstance(s.target, Var) and not _has_effect_call(s.value):
            stores.setdefault(groups.find(s.target.name), []).append(s)
        elif isinstance(s, (If, While)):
            roots |= ir.names_in(s.test)
        elif isinstance(s, For):
            roots |= ir.names_in(s.iter)
        elif isinstance(s, ir.FunctionDef):
            continue
        else:
            roots |= _reads(s)
    needed = set()
    todo = list(roots)
    done_groups = set()
    while todo:
        n = todo.pop()
        if n in needed:
            continue
        needed.add(n)
        for s in defs.get(n, ()):
            for m in _reads(s):
                if m not in needed:
                    todo.append(m)
        group = groups.find(n)
        if group not in done_groups:
            done_groups.add(group)
            for s in stores.get(group, ()):
                for m in _reads(s):
                    if m not in needed:
                        todo.append(m)
    return needed


def eliminate(stmts, needed, groups):
    kept = []
    for s in stmts:
        if isinstance(s, Comment):
            kept.append(s)
            continue
        if isinstance(s, (Assign, AugAssign)) and not (isinstance(s, Assign) and _has_effect_call(s.value)) and \
                not s.keep:  # (a statement in a try body may raise: kept)
            if not (_writes(s) & needed):
                continue
        if isinstance(s, SetItem) and isinstance(s.target, Var) and not _has_effect_call(s.value) and \
                groups.find(s.target.name) not in groups.needed:
            continue
        if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and s.value.name == s.target:
            continue
        if isinstance(s, ir.FunctionDef):
            s.body = eliminate(s.body, needed, groups)
            kept.append(s)
            continue
        if isinstance(s, (If, For, While)):
            for b in ir.blocks(s):
                b[:] = eliminate(b, needed, groups)
            if isinstance(s, If):
                if not _real(s.body) and not _real(s.orelse):
                    continue
                if not _real(s.body) and s.role is None:  # (a try / with block keeps its shape)
                    s.test = UnaryOp("not", s.test)
                    s.body, s.orelse = s.orelse, []
            elif not _real(s.body) and not isinstance(s, While):
                continue
            if not _real(s.orelse if isinstance(s, If) else []):
                if isinstance(s, If):
                    s.orelse = []
        kept.append(s)
    out = []  # drop comments that head nothing
    for i, s in enumerate(kept):
        if isinstance(s, Comment):
            nxt = kept[i + 1] if i + 1 < len(kept) else None
            if nxt is None or isinstance(nxt, (Comment, ir.Return)):
                continue
        out.append(s)
    return out


def _mentions(s):
    """Every name a statement reads or writes, with its nested blocks."""
    names = _reads(s) | ir.stmt_writes(s)
    for b in ir.blocks(s):
        for x in ir.walk(b, into_functions=True):
            names |= _reads(x) | ir.stmt_writes(x) | set(getattr(x, "names", ()) or ())
    return names


def drop_overwritten(stmts, protected):
    """Remove `a = v` (v without effects) when the next statement of the same block that mentions `a`
    assigns it again without reading it (`bm_1 = bs; bm_1 = _ad.owned_copy(bs, m)`). A compound statement
    mentioning `a`, a statement that may raise (`keep`) or a name a nested function sees keeps it."""
    killed = set()  # names whose next mention, in this block, is a plain reassignment
    out = []
    for s in reversed(stmts):
        if isinstance(s, Comment):
            out.append(s)
            continue
        plain = isinstance(s, Assign) and len(s.targets) == 1 and not _has_effect_call(s.value) and not s.keep
        if plain and s.targets[0] in killed:
            continue
        for b in ir.blocks(s):
            if not isinstance(s, ir.FunctionDef):
                b[:] = drop_overwritten(b, protected)
        if s.keep:
            killed.clear()
        if plain and s.targets[0] not in protected:
            killed.add(s.targets[0])
        killed -= _mentions(s) - (set(s.targets) if plain else set())
        if plain and s.targets[0] in _reads(s):
            killed.discard(s.targets[0])
        out.append(s)
    out.reverse()
    return out


def _protected(body):
    """Names a nested function reads or declares nonlocal: their values matter whenever it is called."""
    names = set()
    for s in ir.walk(body, into_functions=True):
        if isinstance(s, ir.FunctionDef):
            for x in ir.walk(s.body, into_functions=True):
                names |= _reads(x) | ir.stmt_writes(x) | set(getattr(x, "names", ()) or ())
    return names


def _real(stmts):
    return [x for x in stmts if not isinstance(x, Comment)]


def cleanup(fdef):
    """Clean up a generated FunctionDef in place."""
    size = sum(1 for _ in ir.walk(fdef.body, into_functions=True))
    for _ in range(2):  # (a second round only when the first removed something: propagation is idempotent)
        fdef.body = fold_negations(propagate(fdef.body))
        groups = sharing.classes(fdef.body)
        needed = needed_names(fdef.body, groups)
        groups.needed = {groups.find(n) for n in needed}
        fdef.body = eliminate(fdef.body, needed, groups)
        fdef.body = drop_overwritten(fdef.body, _protected(fdef.body))
        new_size = sum(1 for _ in ir.walk(fdef.body, into_functions=True))
        if new_size == size:
            break
        size = new_size
    return fdef
