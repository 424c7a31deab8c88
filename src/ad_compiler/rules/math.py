"""Derivative rules for the `math` module (Python floats)."""
import math

from .. import runtime as _ad
from . import ans, derivative, elementwise, g, linear, nondifferentiable


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
    """d / dy = ans log x for x > 0; 0 where x <= 0 (math.pow is defined there for integer y only, as np.power's
    rule; math.log(x) raised a domain error there: sig25-013)."""
    return _ad.power_partial(x, y), ans * math.log(x) if x > 0 else 0.0


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
    """0 where an operand is infinite (atan2 is constant there; the formula gave NaN: sig25-021)."""
    return 0.0 if math.isinf(x) | math.isinf(y) else x / (x ** 2 + y ** 2), \
        0.0 if math.isinf(x) | math.isinf(y) else -y / (x ** 2 + y ** 2)


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
    """0 at (0, 0) (a subgradient, as np.hypot's; x / ans raised ZeroDivisionError there: sig25-006)."""
    return x / ans if ans != 0 else 0.0, y / ans if ans != 0 else 0.0


@elementwise(math.asinh)
def asinh(x):
    return 1.0 / math.sqrt(x * x + 1.0)


@elementwise(math.acosh)
def acosh(x):
    return 1.0 / math.sqrt(x * x - 1.0)


@elementwise(math.atanh)
def atanh(x):
    return 1.0 / (1.0 - x * x)


@elementwise(math.erf)
def erf(x):
    return 1.1283791670955126 * math.exp(-x * x)  # (2 / sqrt(pi))


@elementwise(math.erfc)
def erfc(x):
    return -1.1283791670955126 * math.exp(-x * x)


@elementwise(math.degrees)
def degrees(x):
    return 57.29577951308232  # (180 / pi)


@elementwise(math.radians)
def radians(x):
    return 0.017453292519943295  # (pi / 180)


@elementwise(math.ldexp, constant_in=("i",))
def ldexp(x, i):
    """x * 2**i: the integer exponent has no derivative."""
    return math.ldexp(1.0, i), None


@elementwise(math.remainder)
def remainder(x, y):
    """x - n y with n the integer nearest x / y (ties to even): jumps where x / y is half an odd integer;
    between jumps 1 and -n."""
    return 1.0, -float(round(x / y))


@linear(math.fsum)
def fsum(seq):
    bseq = _ad.sum_vjp(g, seq)


@derivative(math.modf)
def modf(x):
    """(fractional part, integer part): the integer part is piecewise constant."""
    bx = g[0]
    dans = (dx, 0.0)


@derivative(math.frexp)
def frexp(x):
    """(m, e) with x = m 2**e: m = x / 2**e, e piecewise constant."""
    bx = math.ldexp(g[0], -ans[1])
    dans = (math.ldexp(dx, -ans[1]), 0)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.factorial, math.comb, math.perm, math.gcd, math.isclose)
