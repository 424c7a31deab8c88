"""Found in stop 28 by probing `jit=True` (Numba's semantics against Python's and NumPy's), checkpointing and
the side effects of functions with users' rules: each program gives the derivative central differences give, or
a located refusal."""
import functools
import math
import re

import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad

pytest.importorskip("numba")


# -- h28b-002 / 004 / 008: Python's numbers in jit=True. `n >> k` with k >= 64 took k modulo 64 (-7 >> 66 gave -2,
# Python -1); `int(y)`, `math.floor(y)`, `round(y)` of a float beyond int64 wrapped around (int(1e20) % 7 gave
# 6, Python 2): a wrong gradient, silently; math's functions gave nan / inf where Python raises --

def int_bits(x, n, k, y):
    return x * (n >> k) + x * (int(y) % 7) + x * (math.floor(y) % 5) + x * ~n + x * math.sqrt(y + 1.5)


def test_int_shift_and_float_to_int_in_jit():
    d = ad.grad(int_bits, jit=True)
    for n, k in ((-7, 66), (7, 70), (-7, 2), (-1, 63)):
        assert d(1.5, n, k, 3.5) == pytest.approx(numeric_grad(int_bits, [1.5, n, k, 3.5], 0))
    with pytest.raises(OverflowError, match="int64"):
        d(1.5, 1, 1, 1e20)  # (Python's int(1e20) % 7 is 2: the compiled code says it cannot, never 6)
    with pytest.raises(ValueError, match="NaN"):
        d(1.5, 1, 1, float("nan"))
    with pytest.raises(ValueError, match="math domain"):  # (h28b-008: Numba's math.sqrt(-0.5) was nan)
        d(1.5, 1, 1, -2.0)


# -- h28b-001 / h28b-003: `~` of a bool (Python's `~True` is -2, Numba's False) and `round(v, ndigits)` (Python
# rounds 2.675 to 2.67, Numba to 2.68) gave other values than Python: refused at their line under jit --

def invert_compare(x, y):
    return x * ~(y > 0.0)


def round_digits(x, y):
    return x * round(y, 2)


@pytest.mark.parametrize("f, args, what", [(invert_compare, (1.5, 2.0), "~"), (round_digits, (1.5, 2.675), "round")])
def test_python_number_semantics_numba_differs_on_are_refused(f, args, what):
    assert ad.grad(f)(*args) == pytest.approx(numeric_grad(f, list(args), 0))
    with pytest.raises(ad.ADError, match=r"line \d+[\s\S]*" + re.escape(what)):
        ad.grad(f, jit=True)(*args)


# -- h28b-005: a function with a rule storing a value made from its arguments where the caller reads it, seen
# only from its own lines (h27b-009): through a helper it calls, a loop's target, `globals()[...]`, an unpacked
# or walrus name, a view method, a ufunc's positional out, `operator.setitem`, a method of an argument object (a
# global one too): the caller's read of that value carried no derivative (WRONG); refused at the call now --

from ad_compiler.rules import g  # noqa: E402

BUF = np.zeros(3)
ROWS = [np.zeros(3)]


class Recorder:
    def __init__(self):
        self.last = np.zeros(3)

    def record(self, v):
        self.last[:] = v


RECORDER = Recorder()


def _put(v):
    BUF[:] = v


def via_helper(x):
    _put(x * 2.0)
    return np.sin(x)


def _store_into(a, v):
    a[:] = v


PUT_BUF = functools.partial(_store_into, BUF)


def via_partial(x):
    PUT_BUF(x * 2.0)
    return np.sin(x)


def via_loop_target(x):
    for r in ROWS:
        r[:] = x * 2.0
    return np.sin(x)


def via_globals(x):
    globals()["BUF"][:] = x * 2.0
    return np.sin(x)


def via_unpacking(x):
    a, b = BUF, 1
    a[:] = x * 2.0
    return np.sin(x)


def via_view(x):
    BUF.reshape(3)[:] = x * 2.0
    return np.sin(x)


def via_ufunc_out(x):
    np.multiply(x, 2.0, BUF)
    return np.sin(x)


def via_method(x, rec):
    rec.record(x * 2.0)
    return np.sin(x)


@ad.defvjp(via_helper)
def via_helper_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


@ad.defvjp(via_loop_target)
def via_loop_target_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


@ad.defvjp(via_globals)
def via_globals_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


@ad.defvjp(via_unpacking)
def via_unpacking_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


@ad.defvjp(via_view)
def via_view_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


@ad.defvjp(via_ufunc_out)
def via_ufunc_out_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


@ad.defvjp(via_partial)
def via_partial_rule(x):
    bx = g * np.cos(x)  # noqa: F841 (the template's adjoint)


def reads_via_partial(x):
    return np.sum(via_partial(x) * BUF)


@ad.defvjp(via_method)
def via_method_rule(x, rec):
    bx = g * np.cos(x)  # noqa: F841


def reads_via_helper(x):
    return np.sum(via_helper(x) * (BUF + ROWS[0]))


def reads_via_loop_target(x):
    return np.sum(via_loop_target(x) * (BUF + ROWS[0]))


def reads_via_globals(x):
    return np.sum(via_globals(x) * (BUF + ROWS[0]))


def reads_via_unpacking(x):
    return np.sum(via_unpacking(x) * (BUF + ROWS[0]))


def reads_via_view(x):
    return np.sum(via_view(x) * (BUF + ROWS[0]))


def reads_via_ufunc_out(x):
    return np.sum(via_ufunc_out(x) * (BUF + ROWS[0]))


def reads_recorder(x):
    rec = Recorder()
    y = via_method(x, rec)
    return np.sum(y * rec.last) + np.sum(via_method(x, RECORDER) * RECORDER.last)


def test_ruled_function_storing_outside_through_other_forms_is_refused():
    x = np.array([0.3, -0.5, 0.8])
    for f in (reads_via_helper, reads_via_loop_target, reads_via_globals, reads_via_unpacking, reads_via_view,
              reads_via_ufunc_out, reads_via_partial):
        with pytest.raises(ad.ADError, match=r"which has a derivative rule, (calls a function that )?stores"):
            ad.grad(f)(x)
    with pytest.raises(ad.ADError, match=r"which has a derivative rule, calls a function that stores[\s\S]*record"):
        ad.grad(reads_recorder)(x)


class Layer:
    def __init__(self):
        self.w = np.array([1.0, 2.0, 3.0])

    def _act(self, v):
        return np.tanh(v * self.w)


CALLS = 0
SIZES = {}


def clean(x, layer):
    global CALLS
    CALLS += 1  # (a counter: no value of x)
    SIZES["n"] = len(x) + x.shape[0]  # (x's size: piecewise constant, refused before h28b-005's fix)
    out = np.zeros_like(layer.w)
    out[:] = layer._act(x)
    rows = [np.zeros(3)]
    for r in rows:
        r[:] = x
    np.multiply(out, 2.0, out)
    return out + rows[0]


@ad.defvjp(clean)
def clean_rule(x, layer):
    bx = g * (2.0 * (1.0 - np.tanh(x * layer.w) ** 2) * layer.w + 1.0)  # noqa: F841


def uses_clean(x):
    return np.sum(clean(x, Layer()) ** 2)


def test_ruled_function_storing_only_its_own_values_passes():
    x = np.array([0.3, -0.5, 0.8])
    assert np.allclose(ad.grad(uses_clean)(x), numeric_grad(uses_clean, [x], 0))


# -- h28b-006: the tape's size in jit=True read a global loop bound (`for i in range(N)`) as Numba's frozen
# constant while the loop read its parameter: N changed after the first call gave a tape too small, segments
# overlapping (and writes past its end): a WRONG gradient, silently --

STEPS = 3
SCALE = 1.5


def global_steps(x):
    s = 0.0
    h = x
    for i in range(STEPS):
        h = np.sin(h) * SCALE + i
        s = s + h
    return s


def test_tape_size_reads_a_global_bound_when_it_runs():
    global STEPS
    d = ad.grad(global_steps, jit=True)
    try:
        for steps in (3, 7):
            STEPS = steps
            assert d(0.7) == pytest.approx(numeric_grad(global_steps, [0.7], 0), rel=1e-6)
    finally:
        STEPS = 3


# -- h28b-007: jit=True indexed without bounds checks: `x[i]` with i out of range gave a gradient (the adjoint's
# store at i wrote other memory) where Python raises IndexError, or crashed the process (i = -4 of 3) --

def index_read(x, i):
    return x[i] * 2.0 + np.sum(x)


def test_index_out_of_bounds_raises_in_jit():
    d = ad.grad(index_read, jit=True)
    x = np.array([0.3, -0.5, 0.8])
    assert np.allclose(d(x, -3), [3.0, 1.0, 1.0])
    for i in (3, 5, -4):
        with pytest.raises(IndexError):
            d(x, i)


# -- h28b-009: a method changing a global's array in place (`G.fill(3.0)`, `G.put(0, v)`, `G.__setitem__(0, v)`,
# `HO.arr.fill(v)` of a global object's array) went unseen: the adjoint read G again, changed, and a checkpointed
# function reading G ran again on the changed G: WRONG gradients (`G[...] = v` itself is refused) --

GLOBAL_W = np.array([1.0, 2.0, 3.0])
LOSSES = []


class _Holder:
    arr = None


HOLDER = _Holder()
HOLDER.arr = np.array([1.0, 2.0, 3.0])


@ad.checkpoint
def reads_global(x):
    return np.sin(x * GLOBAL_W)


def fills_global(x):
    y = np.sum(np.sin(x * GLOBAL_W))
    GLOBAL_W.fill(3.0)
    return y


def checkpointed_then_put(x):
    y = reads_global(x)
    GLOBAL_W.put(0, 9.0)
    return np.sum(y * y)


def checkpointed_then_setitem(x):
    y = reads_global(x)
    GLOBAL_W.__setitem__(0, 9.0)
    return np.sum(y * y)


def fills_held(x):
    y = np.sum(np.sin(x * HOLDER.arr))
    HOLDER.arr.fill(3.0)
    return y


def logs_loss(x):
    y = np.sum(np.sin(x * GLOBAL_W))
    LOSSES.append(float(y))  # (a record added to a global list: no value read before changes)
    return y


def test_a_method_changing_a_global_array_is_refused():
    x = np.array([0.3, -0.5, 0.8])
    for f in (fills_global, checkpointed_then_put, checkpointed_then_setitem, fills_held):
        with pytest.raises(ad.ADError, match=r"changes `(GLOBAL_W|HOLDER\.arr)` in place"):
            ad.grad(f)(x)
    assert np.allclose(GLOBAL_W, [1.0, 2.0, 3.0]) and np.allclose(HOLDER.arr, [1.0, 2.0, 3.0])
    assert np.allclose(ad.grad(logs_loss)(x), numeric_grad(logs_loss, [x], 0))
