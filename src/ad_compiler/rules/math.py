"""Derivative rules for the `math` module (Python floats)."""
import math

from .. import runtime as _ad
from . import ans, elementwise, nondifferentiable


@elementwise(math.exp)
def exp(x):
    return ans


@elementwise(math.expm1)
def expm1(x):
    return ans + 1.0


@elementwise(math.log)
def log(x, base=math.e):
    return 1.0 / (x * math.log(base)), -ans / (base * math.log(base))


@elementwise(math.log1p)
def log1p(x):
    return 1.0 / (1.0 + x)


@elementwise(math.log2)
def log2(x):
    return 1.0 / (x * math.log(2.0))


@elementwise(math.log10)
def log10(x):
    return 1.0 / (x * math.log(10.0))


@elementwise(math.sqrt)
def sqrt(x):
    return 0.5 / ans


@elementwise(math.pow)
def pow(x, y):
    return _ad.power_partial(x, y), ans * math.log(x)


@elementwise(math.fabs)
def fabs(x):
    """sign(x), 0 at 0."""
    return math.copysign(1.0, x) if x != 0 else 0.0


@elementwise(math.copysign, constant_in=("y",))  # (only the sign of y matters)
def copysign(x, y):
    """sign(x) sign(y) in x (0 at x = 0); y enters only through its sign (no derivative)."""
    return (math.copysign(1.0, x) * math.copysign(1.0, y)) if x != 0 else 0.0, None


@elementwise(math.sin)
def sin(x):
    return math.cos(x)


@elementwise(math.cos)
def cos(x):
    return -math.sin(x)


@elementwise(math.tan)
def tan(x):
    return 1.0 + ans ** 2


@elementwise(math.asin)
def asin(x):
    return 1.0 / math.sqrt(1.0 - x ** 2)


@elementwise(math.acos)
def acos(x):
    return -1.0 / math.sqrt(1.0 - x ** 2)


@elementwise(math.atan)
def atan(x):
    return 1.0 / (1.0 + x ** 2)


@elementwise(math.atan2)
def atan2(y, x):
    return x / (x ** 2 + y ** 2), -y / (x ** 2 + y ** 2)


@elementwise(math.sinh)
def sinh(x):
    return math.cosh(x)


@elementwise(math.cosh)
def cosh(x):
    return math.sinh(x)


@elementwise(math.tanh)
def tanh(x):
    return 1.0 - ans ** 2


@elementwise(math.hypot)
def hypot(x, y):
    return x / ans, y / ans


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.factorial, math.comb, math.perm, math.gcd, math.isclose)
