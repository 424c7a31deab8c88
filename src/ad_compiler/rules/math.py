"""Derivative rules for the `math` module (Python floats)."""
import math

from .. import runtime as _ad  # noqa: F401
from . import ans, defvjp, g, nondifferentiable


@defvjp(math.exp)
def exp(x):
    bx = g * ans


@defvjp(math.expm1)
def expm1(x):
    bx = g * (ans + 1.0)


@defvjp(math.log)
def log(x, base=math.e):
    bx = g / (x * math.log(base))
    bbase = -g * ans / (base * math.log(base))


@defvjp(math.log1p)
def log1p(x):
    bx = g / (1.0 + x)


@defvjp(math.log2)
def log2(x):
    bx = g / (x * math.log(2.0))


@defvjp(math.log10)
def log10(x):
    bx = g / (x * math.log(10.0))


@defvjp(math.sqrt)
def sqrt(x):
    bx = g * 0.5 / ans


@defvjp(math.pow)
def pow(x, y):
    bx = g * y * x ** (y - 1)
    by = g * ans * math.log(x)


@defvjp(math.fabs)
def fabs(x):
    bx = g * math.copysign(1.0, x) if x != 0 else 0.0 * g


@defvjp(math.sin)
def sin(x):
    bx = g * math.cos(x)


@defvjp(math.cos)
def cos(x):
    bx = -g * math.sin(x)


@defvjp(math.tan)
def tan(x):
    bx = g * (1.0 + ans**2)


@defvjp(math.asin)
def asin(x):
    bx = g / math.sqrt(1.0 - x**2)


@defvjp(math.acos)
def acos(x):
    bx = -g / math.sqrt(1.0 - x**2)


@defvjp(math.atan)
def atan(x):
    bx = g / (1.0 + x**2)


@defvjp(math.atan2)
def atan2(y, x):
    by = g * x / (x**2 + y**2)
    bx = -g * y / (x**2 + y**2)


@defvjp(math.sinh)
def sinh(x):
    bx = g * math.cosh(x)


@defvjp(math.cosh)
def cosh(x):
    bx = g * math.sinh(x)


@defvjp(math.tanh)
def tanh(x):
    bx = g * (1.0 - ans**2)


@defvjp(math.hypot)
def hypot(x, y):
    bx = g * x / ans
    by = g * y / ans


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.copysign,
                  math.factorial, math.comb, math.perm, math.gcd)
