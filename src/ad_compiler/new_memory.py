"""What gives new memory: values that share nothing with their operands (sharing.py takes anything else as
possibly sharing the memory of every mutable operand), and functions of the user's proven to return new
memory (the alias pass, alias_calls.py: a function with a rule not proven so may return an argument itself).

The facts come from alias_library.py's tables (constructors, reductions, elementwise functions, reducing
methods), NumPy's ufuncs, the rules (an elementwise rule's result is a new array), and the runtime helpers
known to allocate (adjoints.FRESH_HELPERS, alias_runtime_calls.FRESH_LIKE).
"""
import ast
import functools
import inspect
import textwrap

import numpy as np

from . import ir, kinds as K
from .alias_library import REDUCING_METHODS, FRESH_NUMPY, gives_new_memory, keyword_out, lookup, writes_out
from .ir import Call, Global, Var

# attributes giving new values about an array (never memory it shares): reading them shares nothing
_NUMBERS_ABOUT = frozenset({"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"})


# -- values -------------------------------------------------------------------------------------
_NEW_OPS = frozenset({"-", "/", "//", "%", "**", "@", "&", "^", "<<", ">>"})  # (never an operand, nor its items)
_SEQUENCE_OPS = frozenset({"+", "*", "|"})  # (also `L + M`, `[z] * 2`, `d1 | d2`: the very items of the operands)
# array methods giving a new array (or a number), never the array itself nor a view of it (alias_library's
# reducing methods, and the copies; `astype` / `conj` that may give the array itself are `self_or_copy`'s)
_NEW_ARRAY_METHODS = REDUCING_METHODS | {"copy", "astype", "conj", "conjugate", "flatten", "tolist", "round", "cumsum",
                                         "cumprod", "dot", "clip", "argmax", "argmin", "argsort", "nonzero", "item",
                                         "take", "repeat", "trace", "compress", "searchsorted", "tobytes"}
# builtins giving numbers, strings or new containers of numbers
_BUILTINS_NEW = frozenset({len, int, float, bool, str, repr, abs, round, range, isinstance, hash, id, type, divmod,
                           pow, complex, slice, print, callable, hasattr, ord, chr, format})


def new_memory(v, kinds=None, sequences=(), target=None):
    """Is the value `v` (assigned to `target`) known to be new memory (or a value holding nothing mutable),
    sharing nothing with its operands? Else it may share the memory of any of them."""
    if isinstance(v, (ir.Const, ir.Compare)) or isinstance(v, ir.UnaryOp):
        return True
    if isinstance(v, ir.BinOp):
        if v.op in _NEW_OPS:
            return True
        return v.op in _SEQUENCE_OPS and _numeric_operand(v, kinds, sequences)
    if isinstance(v, ir.Attr):
        return v.attr in _NUMBERS_ABOUT
    if not isinstance(v, Call):
        return False
    if writes_out(v):
        return False  # (the result is the array given as `out=`)
    f = v.func
    if isinstance(f, Global):
        return _new_of_function(f, v, kinds, target)
    if isinstance(f, ir.Attr) and f.attr in _NEW_ARRAY_METHODS and isinstance(f.value, Var):
        # (an array's method; a list's `.copy()` holds the very items: only where the receiver is an array)
        k = kinds.get(f.value.name) if kinds is not None else None
        return isinstance(k, (K.Array, K.Scalar)) or (kinds is None and f.attr not in ("copy", "pop"))
    return False


def _numeric_operand(v, kinds, sequences):
    """`a + b`, `a * b`, `a | b` of numbers or arrays (not a concatenation, repeat or merge of containers)."""
    ops = (v.left, v.right)
    if any(isinstance(e, Var) and e.name in sequences for e in ops):
        return False
    if kinds is not None:
        return all(isinstance(kinds.get(e.name), (K.Array, K.Scalar, K.Numeric)) if isinstance(e, Var) else
                   isinstance(e, ir.Const) for e in ops) or \
            any(isinstance(kinds.get(e.name), K.Array) for e in ops if isinstance(e, Var))
    # (without kinds: a float operand, or a NumPy array of the module, makes it arithmetic)
    return any(isinstance(e, ir.Const) and isinstance(e.value, (float, complex)) for e in ops)


# runtime helpers giving new memory only for an array (a list's or dict's copy holds the same items)
_FRESH_ARRAYS_ONLY = frozenset({"owned_copy", "getitem_vjp"})


def _new_of_function(f, call, kinds, target):
    obj = f.obj
    mod = str(getattr(obj, "__module__", None) or "")
    name = getattr(obj, "__name__", None)
    if isinstance(obj, np.ufunc) or mod == "math" or lookup(_BUILTINS_SET, obj):
        return True
    if mod.split(".")[0] in ("numpy", "scipy") and gives_new_memory(obj, call):
        return True  # (the alias pass's facts: alias_library.gives_new_memory, copy=/n=/out=/overwrite_*= read)
    if mod == _runtime_name() and name in _fresh_helpers():
        # (`owned_copy` / `getitem_vjp` of a list or dict adjoint: a new container holding the very items)
        return name not in _FRESH_ARRAYS_ONLY or kinds is not None and isinstance(kinds.get(target), K.Array)
    if mod.split(".")[0] in ("numpy", "scipy"):
        from . import rules

        if _listed(obj) or writes_out(call):
            return False  # (listed, but given copy=False, n=0, out=, ...: maybe the argument itself)
        kind, rule = rules.lookup_function(obj)
        return kind == "rule" and rule.form == "elementwise"  # (an elementwise function: a new array)
    return False


_BUILTINS_SET = dict.fromkeys(_BUILTINS_NEW, True)


def _listed(obj):
    try:
        return obj in FRESH_NUMPY
    except TypeError:  # (unhashable)
        return False


def _runtime_name():
    from . import runtime

    return runtime.__name__


def _fresh_helpers():
    """The runtime helpers known to give a new array (adjoints.py, alias_calls.py's tables)."""
    from .adjoints import FRESH_HELPERS
    from .alias_runtime_calls import FRESH_LIKE

    return FRESH_HELPERS | set(FRESH_LIKE)


# -- a function of the user's (with a rule): does it return new memory? ----------------------------------------
_ARITHMETIC_AST = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)


def returns_new_memory(func):
    """Does every `return` of the user's function `func` (read from its source) give a new array or number:
    arithmetic (`-`, `/`, `**`, `@`; `+`, `*` beside a number or another such value), a NumPy ufunc, a NumPy
    constructor, reduction or elementwise function of alias_library's tables (without `out=`), a `math`
    function? False where not proven (no source, a name returned, a call of anything else)."""
    try:
        return _returns_new_memory(func)
    except TypeError:  # (unhashable)
        return False


@functools.lru_cache(maxsize=256)
def _returns_new_memory(func):
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    fdef = tree.body[0] if tree.body else None
    if not isinstance(fdef, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    returns = [n for n in _own_nodes(fdef) if isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom))]
    if not returns or any(not isinstance(r, ast.Return) or r.value is None for r in returns):
        return False
    scope = dict(getattr(func, "__globals__", {}))
    return all(_new_expr(r.value, scope) for r in returns)


def _own_nodes(fdef):
    """The nodes of a function's body, not those of the functions, lambdas or classes it defines."""
    todo = list(fdef.body)
    while todo:
        n = todo.pop()
        yield n
        todo.extend(c for c in ast.iter_child_nodes(n)
                    if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)))


def _new_expr(e, scope):
    if isinstance(e, ast.Constant):
        return isinstance(e.value, (int, float, complex, bool))
    if isinstance(e, ast.UnaryOp):
        return True
    if isinstance(e, ast.BinOp):
        if isinstance(e.op, _ARITHMETIC_AST):
            return True
        if isinstance(e.op, (ast.Add, ast.Mult)):  # (not a concatenation or repeat of lists)
            return any(isinstance(o, ast.Constant) and isinstance(o.value, (float, complex)) or
                       not isinstance(o, (ast.Constant, ast.Name, ast.Attribute, ast.Subscript)) and _new_expr(o, scope)
                       for o in (e.left, e.right))
        return False
    if isinstance(e, ast.Call):
        obj = _resolve(e.func, scope)
        call = _ir_call(e, obj)
        if call is None:
            return False
        mod = str(getattr(obj, "__module__", None) or "")
        # (the alias pass's facts, reading copy= / n= / out= / overwrite_*=, also given by position)
        return mod.split(".")[0] in ("numpy", "scipy", "math") and gives_new_memory(obj, keyword_out(call))
    return False


def _ir_call(e, obj):
    """The source's call `e` of `obj` as the IR's Call (constants as Const, other arguments opaque), for
    alias_library's facts; None for `*args` / `**kwargs` or an unknown function."""
    if obj is None or any(isinstance(a, ast.Starred) for a in e.args) or any(k.arg is None for k in e.keywords):
        return None

    def arg(a):
        return ir.Const(a.value) if isinstance(a, ast.Constant) else Var("_")

    return Call(Global(("_",), obj), tuple(arg(a) for a in e.args), tuple((k.arg, arg(k.value)) for k in e.keywords))


def _resolve(node, scope):
    """The object a dotted name (`np.exp`, `exp`) refers to in the function's module, or None."""
    path = []
    while isinstance(node, ast.Attribute):
        path.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in scope:
        return None
    obj = scope[node.id]
    for p in reversed(path):
        obj = getattr(obj, p, None)
        if obj is None:
            return None
    return obj


def _may_be_itself(call):
    """A NumPy function that gives its argument itself (or a view of it) when there is nothing to convert."""
    if not str(getattr(call.func.obj, "__module__", None) or "").startswith("numpy"):
        return False
    name = getattr(call.func.obj, "__name__", None)
    if name in ("asmatrix", "require", "asarray_chkfinite", "ascontiguousarray", "asfortranarray", "real_if_close",
                "matrix", "asanyarray", "asarray"):
        return True
    return name in ("array", "nan_to_num") and not gives_new_memory(call.func.obj, call)  # (copy=False / None)
