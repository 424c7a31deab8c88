"""Python ints in a `jit=True` derivative: which expressions are Python ints (unbounded, where Numba's int64
wraps), and their `+ - * ** << >>` written as the checked calls of jit_ints.py (Python's value or OverflowError).
A part of jit_lower.Lowering, by job."""
import builtins

from . import ir, kinds as K
from .ir import Call, Const, Global, Var
from .jit_stores import jit_helper

INT_OPS = {"+": "int_add", "-": "int_sub", "*": "int_mul", "**": "int_pow", "<<": "int_lshift", ">>": "int_rshift"}
INT_RESULTS = {"+", "-", "*", "//", "%", "<<", ">>", "&", "|", "^"}  # (`**`: a float for a negative power)


class IntOps:
    """The Python-int arithmetic of jit_lower.Lowering (which provides kinds, param_kinds and expr)."""

    def is_int(self, e):
        """Is `e` a Python int (unbounded, where Numba's int64 wraps)? NumPy's ints wrap in plain NumPy too."""
        if isinstance(e, Const):
            return type(e.value) is int
        if isinstance(e, Var):
            kind = self.param_kinds.get(e.name) or self.kinds.get(e.name)
            return isinstance(kind, K.Scalar) and kind.cls is int
        if isinstance(e, ir.BinOp):
            power = e.op == "**" and not (isinstance(e.right, Const) and e.right.value < 0)  # (int_pow's)
            return (e.op in INT_RESULTS or power) and self.is_int(e.left) and self.is_int(e.right)
        if isinstance(e, ir.UnaryOp):
            return e.op in ("-", "+", "~") and self.is_int(e.operand)
        return isinstance(e, Call) and any(_builtin_call(e, name) for name in ("len", "int")) or \
            _builtin_call(e, "round") and len(e.args) == 1

    def int_op(self, e, s):
        """`a op b` of two Python ints as Python computes it, or an OverflowError (jit_ints.py)."""
        left, right = self.expr(e.left, s), self.expr(e.right, s)
        if e.op == "**" and isinstance(e.right, Const) and e.right.value < 0:  # (a float in Python)
            return ir.BinOp("**", Call(Global(("float",), float), (left,)), right)
        return Call(jit_helper(INT_OPS[e.op]), (left, right))



def _builtin_call(e, name):
    return isinstance(e, Call) and isinstance(e.func, Global) and e.func.obj is getattr(builtins, name)
