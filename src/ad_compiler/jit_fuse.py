"""`jit=True`, part 3: straight-line elementwise code on arrays of one shape as one loop over the elements.

    t1 = w * x                     n = x.shape[0]
    t2 = np.tanh(t1)               bx_1 = np.empty(n)
    ...                  ->        for i in range(n):
    bx = t2 * bw                       t1 = w[i] * x[i]
    return bx                          t2 = np.tanh(t1)
                                       ...
                                       bx_1[i] = bx
                                   return bx_1

Numba compiles each whole-array operation to a loop of its own (a second or more for the 50 operations of
the tiny-arrays workload, and a temporary array each); one loop over numbers compiles in a fraction of
that and keeps the temporaries in registers. It applies when the derivative is straight-line code in which
every value that depends on an array argument is computed elementwise (arithmetic, NumPy's elementwise
functions) from 1-d arrays of the same shape (the arguments' dimension pattern says so) and numbers;
otherwise the code is left as it is.
"""
from . import ir
from .ir import Assign, Call, Const, FunctionDef, Global, Index, SetItem, Var

ELEMENTWISE = set("""sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp expm1 exp2 log
log1p log2 log10 sqrt cbrt square abs absolute fabs sign maximum minimum fmax fmin power hypot arctan2
negative positive reciprocal""".split())
ARITHMETIC = {"+", "-", "*", "/", "**"}


def fuse(core, param_kinds, dims, alloc):
    """The core function with its elementwise array code as one loop, or None when it does not apply."""
    import numpy as np

    from . import kinds as K

    if not all(isinstance(param_kinds.get(p), (K.Scalar, K.Array)) for p in core.params):
        return None  # (data read from the globals: its kind is not known here)
    arrays = [p for p in core.params if isinstance(param_kinds[p], K.Array)]
    if not arrays:
        return None
    shapes = {dims.get(p) for p in arrays}
    if len(shapes) != 1 or None in shapes:
        return None
    shape = shapes.pop()
    if len(shape) != 1 or shape[0] == -1 or any(param_kinds[p].ndim != 1 or param_kinds[p].dtype != "f"
                                                for p in arrays):
        return None
    body, ret = core.body[:-1], core.body[-1]
    if not isinstance(ret, ir.Return):
        return None
    elementwise = set(arrays)
    before, inside = [], []
    for s in body:
        if isinstance(s, ir.Comment):
            inside.append(s)
            continue
        if not isinstance(s, Assign) or len(s.targets) != 1:
            return None
        if not _elementwise(s.value, np):
            return None
        if not ir.names_in(s.value) & elementwise:  # (numbers only: before the loop)
            if s.targets[0] in elementwise:
                return None  # (a name both array and number)
            before.append(s)
            continue
        elementwise.add(s.targets[0])
        inside.append(s)
    results = ret.value.items if isinstance(ret.value, ir.Build) else (ret.value,)
    if not all(isinstance(r, (Var, Const)) for r in results):
        return None
    index = alloc.fresh("i")
    n = alloc.fresh("n")
    head = [Assign((n,), Index(ir.Attr(Var(arrays[0]), "shape"), (Const(0),)))]
    outputs = {}
    for r in results:
        if isinstance(r, Var) and r.name in elementwise and r.name not in outputs:
            outputs[r.name] = alloc.fresh(f"{r.name}_out")
            head.append(Assign((outputs[r.name],), Call(Global(("np", "empty"), np.empty, np), (Var(n),))))
    renames = {p: Index(Var(p), (Var(index),)) for p in arrays}
    loop_body = []
    for s in inside:
        if isinstance(s, Assign):
            s.value = ir.map_expr(s.value, lambda e: renames.get(e.name, e) if isinstance(e, Var) else e)
        loop_body.append(s)
    for name, out in outputs.items():
        loop_body.append(SetItem(Var(out), (Var(index),), Var(name)))
    loop = ir.For(index, Call(Global(("range",), range), (Var(n),)), loop_body)
    loop.origin = ret.origin
    new_results = tuple(Var(outputs[r.name]) if isinstance(r, Var) and r.name in outputs else r for r in results)
    ret.value = ir.Build("tuple", new_results) if isinstance(ret.value, ir.Build) else new_results[0]
    return FunctionDef(core.name, core.params, before + head + [loop, ret], core.defaults)


def _elementwise(e, np):
    """Is `e` computed element by element from its operands (which broadcast: numbers and arrays of one
    shape)?"""
    cls = e.__class__
    if cls in (Var, Const):
        return cls is Var or isinstance(e.value, (int, float)) and not isinstance(e.value, bool)
    if cls is Global:  # (math.pi)
        return isinstance(e.obj, (int, float)) and not isinstance(e.obj, bool)
    if cls is ir.BinOp:
        return e.op in ARITHMETIC and _elementwise(e.left, np) and _elementwise(e.right, np)
    if cls is ir.UnaryOp:
        return e.op in ("-", "+") and _elementwise(e.operand, np)
    if cls is Call:
        f = e.func
        return isinstance(f, Global) and len(f.path) == 2 and f.root is np and f.path[1] in ELEMENTWISE and \
            not e.kwargs and all(_elementwise(a, np) for a in e.args)
    return False
