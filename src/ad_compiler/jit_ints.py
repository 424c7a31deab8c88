"""Python's int arithmetic in a `jit=True` derivative: exact, or an OverflowError (docs/jit.md).

Python's ints are unbounded and Numba's are int64, whose `+ - * << ` wrap around, whose `a >> k` takes k modulo
64 and whose `a ** -k` is 0; `int(v)`, `round(v)`, `math.floor(v)` of a float beyond int64 wrap too:
the compiled code would give a different value silently. jit_lower.py writes these operators on two Python
ints as the calls below, which give Python's value whenever it fits in int64 and raise OverflowError
otherwise (never a wrapped value). NumPy's int64 values wrap in plain NumPy too, and are left as they are.
"""
try:
    import numba
except ImportError:  # (jit.py reports it)
    numba = None


def _njit(fn):
    return numba.njit(cache=False)(fn) if numba is not None else fn


LOW = -(2 ** 63)
HIGH = 2 ** 63 - 1
OVERFLOW = "jit=True: an int computation overflowed int64 (Python's ints are unbounded): " \
           "call ad.grad without jit=True for this argument"
# (each bound is checked before the operation: LLVM takes int64 arithmetic not to overflow, so a test of the
# wrapped result, `(a * b) // a != b`, may be folded away)


@_njit
def int_add(a, b):
    if (b > 0 and a > HIGH - b) or (b < 0 and a < LOW - b):
        raise OverflowError(OVERFLOW)
    return a + b


@_njit
def int_sub(a, b):
    if (b < 0 and a > HIGH + b) or (b > 0 and a < LOW + b):
        raise OverflowError(OVERFLOW)
    return a - b


@_njit
def int_neg(a):
    if a == LOW:
        raise OverflowError(OVERFLOW)
    return -a


@_njit
def int_mul(a, b):
    if a == 0 or b == 0:
        return 0
    if a > 0 and b > 0:
        over = a > HIGH // b
    elif a > 0:  # (a * b >= LOW: b >= ceil(LOW / a))
        over = b < LOW // a + (LOW % a != 0)
    elif b > 0:
        over = a < LOW // b + (LOW % b != 0)
    else:
        over = a == LOW or b == LOW or -a > HIGH // -b
    if over:
        raise OverflowError(OVERFLOW)
    return a * b


@_njit
def int_pow(a, k):
    """a ** k for k >= 0 (a negative k, whose power is a float in Python, is written float(a) ** k when k is a
    constant; otherwise refused here)."""
    if k < 0:
        raise OverflowError("jit=True: an int to a negative int power (a float in Python, 0 in Numba's int64): "
                            "write float(a) ** k, or call ad.grad without jit=True")
    if a == 0:
        return 1 if k == 0 else 0
    if a == 1 or a == -1:
        return 1 if k % 2 == 0 else a
    r = 1
    for _ in range(k):  # (|a| >= 2: at most 63 steps before int_mul raises)
        r = int_mul(r, a)
    return r


@_njit
def int_lshift(a, k):
    if k < 0:
        raise ValueError("negative shift count")
    if a == 0:
        return 0
    if k >= 63:
        if k == 63 and a == -1:
            return LOW
        raise OverflowError(OVERFLOW)
    if a > (HIGH >> k) or a < (LOW >> k):
        raise OverflowError(OVERFLOW)
    return a << k


@_njit
def int_rshift(a, k):
    """a >> k as Python computes it: LLVM's shift of int64 takes k modulo 64 (`-7 >> 66` gave -2, h28b-002)."""
    if k < 0:
        raise ValueError("negative shift count")
    if k >= 63:
        return -1 if a < 0 else 0
    return a >> k


@_njit
def int_of(v):
    """v, a float about to be made an int (`int(v)`, `round(v)`, `math.floor(v)`), checked to fit in int64 as
    Python's unbounded int of it would (Numba's conversion of 1e20 wrapped around, h28b-004)."""
    if v != v:
        raise ValueError("cannot convert float NaN to integer")
    if not (-9.223372036854775808e18 <= v < 9.223372036854775808e18):
        raise OverflowError(OVERFLOW if v - v == 0.0 else "cannot convert float infinity to integer")
    return v


@_njit
def math_checked1(v, how, x):
    """v = math.<f>(x) as Python gives it: ValueError for a nan from a number (`math.sqrt(-1.0)`), ValueError or
    OverflowError (by `how`, jit_calls.MATH_ERRORS) for an infinity from a finite number (`math.log(0.0)`,
    `math.exp(1000.0)`); Numba's math gave nan and inf, values where Python raises (h28b-008)."""
    if v != v and x == x:
        raise ValueError("math domain error")
    if (v == _INF or v == -_INF) and x - x == 0.0:
        if how == 1 or how == 3 and not (x <= 0.0 and x == int(x)):
            raise OverflowError("math range error")
        raise ValueError("math domain error")
    return v


@_njit
def math_checked2(v, how, x, y):
    """v = math.<f>(x, y) (math.pow) as Python gives it (math_checked1)."""
    if v != v and x == x and y == y:
        raise ValueError("math domain error")
    if (v == _INF or v == -_INF) and x - x == 0.0 and y - y == 0.0:
        if how == 2 and x != 0.0:
            raise OverflowError("math range error")
        raise ValueError("math domain error")
    return v


_INF = float("inf")
