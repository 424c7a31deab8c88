"""Which values of a function may be complex (arguments are real; values inside may not be).

Kinds (kinds.py) do not follow dtypes, so this small pass finds, over the SSA form, every name that *may*
hold a complex number: a name is complex when its value is made from a complex constant (`1j`, a complex
array from the user's globals), by a function that makes complex values from real ones (`np.fft.fft`,
`np.linalg.eig`, `np.emath.sqrt`, `dtype=complex`, ...), by a library function not known to the compiler,
or from an operand that may be complex -- except through functions with a real result (`np.abs`,
`np.real`, `.imag`, `np.angle`, comparisons, shapes). The answer errs on the side of "may be complex".

Used for two things (docs/rules.md, "Complex intermediates"):
- a rule marked real-only (`rules.real_only`) applied to a value that may be complex is refused;
- a contribution to the adjoint of a value that is certainly real is its real part (reverse.py).
"""
import builtins
import math
import operator

import numpy as np

from . import ir, kinds as K, markers, rules
from .ir import Assign, Call, Const, Global, Mutate, SetItem, Var

# functions with a real result even for a complex operand
_REAL_RESULT_NAMES = {
    (np, ("abs", "absolute", "real", "imag", "angle", "isfinite", "isnan", "isinf", "isreal", "iscomplex",
          "iscomplexobj", "isrealobj", "shape", "size", "ndim", "argmax", "argmin", "argsort", "nonzero",
          "argwhere", "flatnonzero", "count_nonzero", "searchsorted", "greater", "less", "equal", "not_equal",
          "greater_equal", "less_equal", "logical_and", "logical_or", "logical_not", "allclose", "isclose",
          "array_equal", "any", "all", "floor", "ceil", "trunc", "rint", "fix", "heaviside", "var", "std",
          "nanvar", "nanstd")),
    (np.linalg, ("norm", "matrix_rank", "cond", "eigvalsh")),
    (np.fft, ("irfft", "irfft2", "irfftn", "hfft", "fftfreq", "rfftfreq")),
    (builtins, ("abs", "len", "float", "int", "bool", "range", "isinstance", "round")),
}
# functions that make complex values from real operands
_COMPLEX_SOURCE_NAMES = {
    (np, ("roots", "vectorize", "frompyfunc", "sort_complex")),
    (np.fft, ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2", "rfftn", "ihfft")),
    (np.linalg, ("eig", "eigvals")),
    (np.emath, ("sqrt", "log", "log2", "log10", "logn", "power", "arcsin", "arccos", "arctanh")),
    (builtins, ("complex",)),
}
# attributes with a real value
_REAL_ATTRIBUTES = {"real", "imag", "shape", "ndim", "size", "dtype", "strides", "nbytes", "itemsize"}


def _objects(table):
    out = set()
    for module, names in table:
        for n in names:
            obj = getattr(module, n, None)
            if obj is not None:
                out.add(obj)
    return out


_REAL_RESULT = _objects(_REAL_RESULT_NAMES) | {math.fabs, math.sqrt, math.exp, math.log, math.sin, math.cos}
_COMPLEX_SOURCES = _objects(_COMPLEX_SOURCE_NAMES)
try:  # SciPy is optional
    import scipy.linalg as _sla
    import scipy.signal as _signal
    import scipy.special as _sps

    _COMPLEX_SOURCES |= _objects([(_sla, ("eig", "eigvals", "sqrtm", "logm", "funm", "fractional_matrix_power",
                                          "schur", "rsf2csf", "hessenberg")),
                                  (_signal, ("hilbert", "hilbert2", "freqz", "freqs", "stft")),
                                  (_sps, ("hankel1", "hankel2", "hankel1e", "hankel2e", "wofz", "sph_harm",
                                          "sph_harm_y", "spherical_hn"))])
except ImportError:  # pragma: no cover
    pass


def complex_value(value, depth=0):
    """Is this compile-time value complex (or a container holding a complex value)?"""
    if isinstance(value, (complex, np.complexfloating)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "cO"
    if isinstance(value, (list, tuple)) and depth < 4:
        return any(complex_value(v, depth + 1) for v in value[:64])
    if isinstance(value, dict) and depth < 4:
        return any(complex_value(v, depth + 1) for v in list(value.values())[:64])
    if isinstance(value, type):
        return issubclass(value, (complex, np.complexfloating))
    if isinstance(value, (str, np.dtype)):  # a dtype: 'complex128', 'c16', 'D', np.dtype(complex)
        try:
            return np.dtype(value).kind == "c"
        except Exception:  # noqa: BLE001 -- any other string (einsum subscripts, a mode): not a dtype
            return False
    return False


def complex_kind(kind, depth=0):
    """Does an argument of this kind hold a complex value?"""
    if isinstance(kind, K.Array):
        return kind.dtype == "c"
    if isinstance(kind, (K.Scalar, K.Other)):
        return issubclass(kind.cls, (complex, np.complexfloating))
    if depth > 6:
        return False
    if isinstance(kind, K.Seq):
        return any(complex_kind(k, depth + 1) for k in (kind.items or ())) or \
            (kind.elem is not None and complex_kind(kind.elem, depth + 1))
    if isinstance(kind, K.Dict):
        return any(complex_kind(k, depth + 1) for k in kind.items)
    if isinstance(kind, K.Obj):
        return any(complex_kind(k, depth + 1) for _, k in kind.attrs)
    return False


class Complexity:
    """The names of a function's SSA form that may hold complex values."""

    def __init__(self, fn, param_kinds, kinds_=None):
        self.kinds = kinds_ or {}
        self.names = {p for p, k in zip(fn.params, param_kinds) if complex_kind(k)}
        self.defs = {s.targets[0]: s.value for s in ir.walk(fn.body) if isinstance(s, Assign) and len(s.targets) == 1}
        stmts = [s for s in ir.walk(fn.body) if isinstance(s, (Assign, SetItem, Mutate))]
        changed = True
        while changed:  # loops feed values back through their carried names: to a fixed point
            changed = False
            for s in stmts:
                targets = self.targets(s)
                if targets - self.names and self.statement(s):
                    self.names |= targets
                    changed = True

    @staticmethod
    def targets(s):
        if isinstance(s, Assign):
            return set(s.targets)
        if isinstance(s, SetItem):
            return {s.result} if s.result else set()
        return {n for n in (s.result, s.out) if n}

    def __contains__(self, name):
        return name in self.names

    def may_be_complex(self, expr):
        """May the value of this expression (of atoms) be complex?"""
        return self.expr(expr)

    def statement(self, s):
        if isinstance(s, Assign):
            return self.expr(s.value)
        if isinstance(s, SetItem):
            return self.expr(s.target) or self.expr(s.value)
        return self.expr(s.target) or any(self.expr(a) for a in s.args)

    def expr(self, e):
        if isinstance(e, Var):
            return e.name in self.names
        if isinstance(e, Const):
            return complex_value(e.value)
        if isinstance(e, Global):
            return complex_value(e.obj)
        if isinstance(e, ir.Closure):
            return False
        if isinstance(e, ir.Compare):
            return False
        if isinstance(e, ir.Attr):
            if e.attr in _REAL_ATTRIBUTES:
                return False
            return self.expr(e.value)
        if isinstance(e, Call):
            return self.call(e)
        if isinstance(e, ir.BinOp) and e.op == "**" and self.python_power(e.left, e.right):
            return True
        return any(self.expr(c) for c in ir.children(e))

    def python_power(self, base, exponent):
        """Python's `base ** exponent` (or `pow`) of a number that may be negative and a float exponent that may not
        be integral: a complex number (`(-8.0) ** (1 / 3)`), where NumPy gives NaN. Known from the operands' kinds
        (Python ints or floats; the result was taken for a real float: sig25-007)."""
        def known(atom):  # (a constant, or a global number such as `E = 1.5`: h26b-004)
            return atom.value if isinstance(atom, Const) else atom.obj if isinstance(atom, Global) else None

        def python_number(atom, negative_ok):
            if isinstance(atom, (Const, Global)):
                v = known(atom)
                return type(v) in (int, float) and (negative_ok or v < 0)
            k = self.kinds.get(atom.name) if isinstance(atom, Var) else None
            return isinstance(k, K.Scalar) and k.cls in (int, float)
        e = known(exponent)
        if isinstance(exponent, (Const, Global)) and (type(e) is int or type(e) is float and float(e).is_integer()):
            return False
        exponent_float = isinstance(exponent, (Const, Global)) and type(e) is float or \
            isinstance(exponent, Var) and self.kinds.get(exponent.name) in (K.FLOAT, K.UNKNOWN, None)  # (maybe a float)
        return exponent_float and python_number(base, False) and not self.nonnegative(base)

    def nonnegative(self, atom, depth=0):
        """Is this number >= 0 by how it is made (`abs(x)`, `x * x`, `math.exp(x)`, sums and products of such,
        positive constants)? So `(x * x + 1.0) ** 0.5` stays real (python_power)."""
        if isinstance(atom, Const):
            return type(atom.value) in (int, float) and atom.value >= 0
        d = self.defs.get(atom.name) if isinstance(atom, Var) and depth < 8 else None
        if isinstance(d, Call) and isinstance(d.func, Global):
            return _member(d.func.obj, _NONNEGATIVE)
        if isinstance(d, ir.BinOp):
            if d.op == "*" and d.left == d.right:
                return True
            if d.op == "**" and isinstance(d.right, Const) and type(d.right.value) is int and d.right.value % 2 == 0:
                return True
            if d.op in ("+", "*", "/", "**"):
                return self.nonnegative(d.left, depth + 1) and (d.op == "**" or self.nonnegative(d.right, depth + 1))
        return ir.is_atom(d) and d is not None and self.nonnegative(d, depth + 1)

    def call(self, e):
        func = e.func
        args = [a.value if isinstance(a, ir.Starred) else a for a in e.args]
        operands = args + [v for _, v in e.kwargs]
        if isinstance(func, Global):
            obj = func.obj
            if _member(obj, _REAL_RESULT):
                return False
            if _member(obj, _COMPLEX_SOURCES) or complex_value(obj) and isinstance(obj, type):
                return True  # (`complex(a, b)`, `np.complex128(x)`)
            # the runtime's helpers make complex values only from complex operands, except the FFTs' adjoints
            module = getattr(obj, "__module__", None) or ""
            own = module.startswith(__package__ + ".runtime") and module != __package__ + ".runtime_fft" or \
                obj is markers.stop_gradient  # (its argument itself: m25-008)
            known = own or rules.has_rule(obj) or rules.is_nondiff(obj) or _numpy_function(obj)
            if not known:
                return True  # a library function the compiler does not know: its dtype is not known either
            if obj in (builtins.pow, operator.pow) and len(args) == 2 and not e.kwargs and self.python_power(*args):
                return True
            if getattr(obj, "__name__", None) in _POWER_PARTIALS and own and len(args) >= 2 and \
                    self.python_power(args[0], args[1]):
                return True  # (k x ** (k - 1) of such a power, in a derivative differentiated again: h26b-004)
            return any(self.expr(a) for a in operands)
        if isinstance(func, ir.Attr):  # a method: of an array, a list, a random Generator, a distribution, ...
            if func.attr == "astype":
                return bool(args) and self.expr(args[0]) or any(self.expr(v) for k, v in e.kwargs if k == "dtype")
            if func.attr in ("argmax", "argmin", "argsort", "nonzero", "all", "any", "std", "var"):
                return False
            return self.expr(func.value) or any(self.expr(a) for a in operands)
        return True  # a function value not known when compiling: it may make a complex value


_POWER_PARTIALS = ("power_partial", "power_partial_exponent", "power_partial_mixed")
_NONNEGATIVE = {builtins.abs, math.fabs, math.sqrt, math.exp, math.hypot, math.cosh, np.abs, np.exp, np.sqrt}


def _member(obj, table):
    try:
        return obj in table
    except TypeError:
        return False


def _numpy_function(obj):
    """A NumPy function whose result is complex only for complex operands (or a `dtype=complex`)."""
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, np.ufunc) or module.startswith("numpy") and not module.startswith("numpy.fft")


def certainly_real(kind):
    """Kinds that are real whatever the dtype analysis says (integers, booleans, Python floats)."""
    return isinstance(kind, K.Scalar) and kind.cls in (float, int, bool)


def refuse_real_only(fn, ops, act, cx):
    """A rule marked real-only (`rules.real_only`), or a function piecewise constant only for real operands
    (`np.sign`), on a derivative's path with an operand that may be complex: refused at the statement."""
    for s in ir.walk(fn.body):
        op = ops.get(id(s))
        if op is None:
            continue
        targets = Complexity.targets(s) if isinstance(s, (Assign, SetItem, Mutate)) else set()
        if op.kind == "rule" and op.rule.real_only and any(act.active(t) for t in targets) and \
                (op.rule.real_only_when is None or op.rule.real_only_when(op.bound)):
            operands = [v for v in op.bound.values() if not isinstance(v, Const)]
            if any(cx.may_be_complex(v) for v in operands):
                _refuse(s, f"`{op.rule.name}` is differentiated for real operands only, and an operand here "
                           f"may be complex: {op.rule.real_only}")
        elif isinstance(s, Assign) and isinstance(s.value, Call) and isinstance(s.value.func, Global) and \
                _member(s.value.func.obj, rules.NONDIFF_REAL_ONLY) and any(t in act.useful for t in targets):
            args = [a for a in s.value.args if ir.names_in(a) & act.varied]
            if any(cx.may_be_complex(a) for a in args):
                name = ".".join(s.value.func.path)
                _refuse(s, f"`{name}` of a complex value is not piecewise constant (np.sign(z) = z / |z|): "
                           f"its derivative is not 0")


def refuse_complex_powers_under_jit(fn, act, cx):
    """jit=True: Python's `x ** y` (or `pow`) of numbers that may give a complex number (a float not known to be
    non-negative to a non-integral float power) is refused where it carries a derivative: Numba computes NaN there
    (sig25-020)."""
    for s in ir.walk(fn.body):
        if not (isinstance(s, Assign) and any(act.active(t) for t in s.targets)):
            continue
        v = s.value
        power = isinstance(v, ir.BinOp) and v.op == "**" and cx.python_power(v.left, v.right) or \
            isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is builtins.pow and len(v.args) == 2 \
            and not v.kwargs and cx.python_power(*v.args)
        if power:
            _refuse(s, "jit=True: Python's `x ** y` of a float x that may be negative and a float y that may not be "
                       "an integer is a complex number there, where Numba computes NaN")


def _refuse(s, message):
    from .errors import UnsupportedError

    where = s.origin.unit.location(s.origin.node) if s.origin is not None else None
    raise UnsupportedError(message, where=where,
                           hint="keep this operand real (its real and imaginary parts as two real arrays), or "
                                "see docs/limits.md (complex intermediates)")


# functions giving a complex result from real operands whatever their values (np.linalg.eig, np.emath.sqrt give
# real arrays for some inputs: not listed)
_ALWAYS_COMPLEX_NAMES = {(np.fft, ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2", "rfftn", "ihfft")),
                         (builtins, ("complex",))}
# NumPy functions whose result is complex when an operand is (and no `dtype=` says otherwise)
_KEEPS_COMPLEX_NAMES = {(np, ("sum", "mean", "prod", "cumsum", "cumprod", "dot", "matmul", "outer", "inner",
                              "transpose", "reshape", "ravel", "concatenate", "stack", "hstack", "vstack", "conj",
                              "conjugate", "copy", "squeeze", "expand_dims", "flip", "roll", "diag", "trace",
                              "tile", "repeat", "where", "asarray", "array", "vdot", "kron", "cross"))}
_KEEPS_COMPLEX_METHODS = {"conj", "conjugate", "copy", "sum", "mean", "prod", "cumsum", "cumprod", "reshape",
                          "ravel", "transpose", "flatten", "squeeze", "dot", "T", "swapaxes"}
_ALWAYS_COMPLEX = _objects(_ALWAYS_COMPLEX_NAMES)
_KEEPS_COMPLEX = _objects(_KEEPS_COMPLEX_NAMES)


class SurelyComplex:
    """Which expressions of the SSA form certainly have a complex dtype (not "may be": `Complexity`): made by
    an FFT, from a complex constant or argument, or by arithmetic, a ufunc or a shape function from such a
    value. For the refusals of complex values stored into real arrays where NumPy raises."""

    def __init__(self, fn, kinds_):
        self.kinds = kinds_
        self.defs = {}  # name -> its values (a loop's carried name: before the loop, and at the end of the body)
        for s in ir.walk(fn.body):
            if isinstance(s, Assign) and len(s.targets) == 1:
                self.defs.setdefault(s.targets[0], []).append(s.value)
            elif isinstance(s, (Assign, SetItem, Mutate)):
                for t in Complexity.targets(s):
                    self.defs.setdefault(t, []).append(None)  # (not known: a tuple's item, a store's result)
        # the greatest fixed point: a name is complex when every value it may hold is (through loops too)
        self.surely = set(self.defs)
        changed = True
        while changed:
            changed = False
            for n in sorted(self.surely):
                if not all(v is not None and self(v) for v in self.defs[n]):
                    self.surely.discard(n)
                    changed = True

    def name(self, n, depth):
        if n in self.defs:
            return n in self.surely
        k = self.kinds.get(n)
        return isinstance(k, K.Array) and k.dtype == "c"

    def __call__(self, e, depth=0):
        if depth > 50:
            return False
        if isinstance(e, Var):
            return self.name(e.name, depth)
        if isinstance(e, Const):
            v = e.value
            return isinstance(v, (complex, np.complexfloating)) or isinstance(v, np.ndarray) and v.dtype.kind == "c"
        if isinstance(e, Global):
            return isinstance(e.obj, np.ndarray) and e.obj.dtype.kind == "c"
        if isinstance(e, ir.BinOp):
            return self(e.left, depth + 1) or self(e.right, depth + 1)
        if isinstance(e, ir.UnaryOp):
            return e.op in ("-", "+") and self(e.operand, depth + 1)
        if isinstance(e, ir.Attr):
            return e.attr in _KEEPS_COMPLEX_METHODS and self(e.value, depth + 1)
        if isinstance(e, ir.Index):
            k = self.kinds.get(e.value.name) if isinstance(e.value, Var) else None
            return isinstance(k, K.Array) and self(e.value, depth + 1)
        if isinstance(e, Call):
            func = e.func
            if any(k == "dtype" for k, _ in e.kwargs):
                return False
            args = [a for a in e.args if not isinstance(a, ir.Starred)]
            if isinstance(func, Global):
                obj = func.obj
                if _member(obj, _ALWAYS_COMPLEX):
                    return True
                if _member(obj, _REAL_RESULT):
                    return False
                if isinstance(obj, np.ufunc) or _member(obj, _KEEPS_COMPLEX):
                    return any(self(a, depth + 1) for a in args)
                return False
            if isinstance(func, ir.Attr):
                return func.attr in _KEEPS_COMPLEX_METHODS and self(func.value, depth + 1)
        return False


def refuse_complex_into_real(fn, kinds_, cx):
    """`y op= v`, `np.add(a, v, out=y)`, `np.copyto(y, v)` with y a real array and v certainly complex: NumPy
    raises (it does not cast complex values to real ones under its default casting, same_kind); the alias pass
    wrote them as `y = y op v` and stores `y[...] = t`, which would compute the complex (or real part's)
    function instead: refused at the line (dt3-003). A store `y[i] = v` (NumPy keeps the real part, with a
    ComplexWarning) is not refused, nor `y[i] op= v` of one item."""
    import ast

    found = [(s, pair) for s in ir.walk(fn.body) for pair in [_into_existing(s, kinds_)] if pair is not None]
    if not found:
        return
    real = _InPlaceComplexity(fn, [kinds_.get(p, K.UNKNOWN) for p in fn.params], kinds_)
    surely = SurelyComplex(fn, kinds_)
    for s, (target, value) in found:
        if target in real or not surely(value):
            continue
        from .errors import UnsupportedError

        o = s.origin
        shown = o.stmt if isinstance(o.stmt, ast.AugAssign) else o.node
        raise UnsupportedError(f"`{ast.unparse(shown)}` changes a real array by a complex value: NumPy raises (it "
                               "does not cast complex values to real ones in place, casting='same_kind')",
                               where=o.unit.location(o.node),
                               hint="make the array complex (`dtype=complex`), or keep the part you mean "
                                    "(`np.real(...)`, `np.abs(...)`)")


def _into_existing(s, kinds_):
    """(the real array's name, the value) of a statement the alias pass made from `y op= v` (`t = y op v`, y an
    array: a slice `y[:2] op= v` too) or from a ufunc's `out=y` / `np.copyto(y, v)` (`y[...] = t`); or None."""
    import ast

    o = s.origin
    if o is None:
        return None
    user, node = o.stmt, o.node
    if isinstance(s, Assign) and isinstance(user, ast.AugAssign) and (node is user or node is user.target) and \
            isinstance(s.value, ir.BinOp) and isinstance(s.value.left, Var):
        target, value = s.value.left.name, s.value.right
    elif isinstance(s, SetItem) and isinstance(node, ast.Call) and isinstance(s.target, Var) and \
            len(s.items) == 1 and isinstance(s.items[0], Const) and s.items[0].value is Ellipsis and \
            _casting_call(node):
        target, value = s.target.name, s.value
    else:
        return None
    k = kinds_.get(target)
    return (target, value) if isinstance(k, K.Array) and k.dtype in "fiub" else None


class _InPlaceComplexity(Complexity):
    """`Complexity` where `y op= v` on an array keeps y's dtype, as NumPy does in place (a real y stays real:
    the loop `y += z` does not make y complex through itself)."""

    def __init__(self, fn, param_kinds, kinds_):
        self.all_kinds = kinds_
        super().__init__(fn, param_kinds)

    def statement(self, s):
        pair = _into_existing(s, self.all_kinds)
        if pair is not None:
            return pair[0] in self.names
        return super().statement(s)


def _casting_call(node):
    """A call NumPy runs with casting='same_kind' into an existing array: a ufunc's `out=`, np.copyto."""
    if any(kw.arg == "casting" for kw in node.keywords):
        return False
    name = node.func.attr if isinstance(node.func, ast_attr()) else getattr(node.func, "id", "")
    return name == "copyto" or any(kw.arg == "out" for kw in node.keywords)


def ast_attr():
    import ast

    return ast.Attribute
