"""jit=True (docs/jit.md): the derivative compiled with Numba is right (central differences), what Numba
cannot compile is refused at the user's line, and `.source` is the code that runs. Skipped without Numba.

Each Numba compile takes about a second: the programs here are few and small.
"""
import linecache
import math

import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, make_rng, numeric_grad
from ad_compiler.errors import UnsupportedError
from ad_compiler.unchanged import MISS

numba = pytest.importorskip("numba")

rng = make_rng(11)


# -- programs ---------------------------------------------------------------------------------------------
def euler(k, c, x0, v0):
    x = x0
    v = v0
    dt = 0.01
    for i in range(200):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def thermostat(p, target):
    heat, loss, temp, setpoint = p.tolist()
    for step in range(15):
        q = 0.0
        if temp < setpoint:
            q = heat
        temp = temp + 0.1 * (q - loss * (temp - 10.0))
    return abs(temp - target)


def math_loop(x, y):
    s = 0.0
    for i in range(1, 6):
        s = s + math.sin(x * i) * math.exp(-y / i) + math.sqrt(x * x + i) / (1.0 + y * y)
        s = s * 0.9 + math.tanh(s) - math.log1p(y * y * i)
    return s


def nested(x, n):
    s = x
    for i in range(n):
        for j in range(i + 1):
            s = s * 0.99 + math.cos(s + j)
    return s


def countdown(x):
    s = 0.0
    i = 10
    while i > 0:
        s = s + x * math.sin(s + i)
        i = i - 1
    return s


def branches(x, y):
    if x > y:
        z = x * y
    elif x < 0.0:
        z = -x
    else:
        z = y ** 3
    out = 0.0
    for i in range(4):
        z = max(z, 0.1 * i) + min(x, y) * 0.5
        out += z * z if i % 2 == 0 else -z
    return out


def stepped(x):
    s = x
    for i in range(9, 0, -3):
        s = s * s * 0.5 + i
        if s > 100.0:
            break
    return s


def tiny(x, w):
    a = np.tanh(w * x + 0.5) * x + w
    b = np.sin(a * w) + a * x - 0.1
    c = np.exp(-b * b) * a + b
    return np.sum(c * x)


def rows(xs, w):
    h = 0.0
    for t in range(xs.shape[0]):
        h = math.tanh(np.sum(xs[t] * w) + h)
    return h * h


SCALE = 1.5


def reads_global(x):
    return math.sin(x * SCALE) * SCALE


def power_loop(x, n):
    acc = 1.0
    for i in range(n):
        acc = acc * x + abs(x - 0.5) ** 1.5
    return acc


def segments(x, n, m):
    """Floats, ints and bools saved in nested loops of counts known only at run time: one tape per dtype,
    a segment of it per name (jit_tape.py)."""
    s, u, k, flag = x, 1.0, 0, False
    for i in range(n):
        for j in range(m):
            flag = s > 0.5
            if flag:
                s = s * 0.9 + 0.1 * j
            else:
                s = s * 1.1
            k = k + 1
            u = u * s + 0.1
            s = s + 0.01 * math.sin(s) * k
    for i in range(3):
        s = s * s * 0.5 + x * u
    return s + k + u


def in_place(x, y):
    x += y
    x *= 2.0
    return np.sum(x * y) + np.max(x)


CASES = [
    ("euler", euler, lambda: (1.3, 0.2, 1.0, 0.0), (0, 1, 2, 3)),
    ("thermostat", thermostat, lambda: (np.array([3.0, 0.2, 12.0, 20.0]), 18.0), 0),
    ("math_loop", math_loop, lambda: (0.7, 0.3), (0, 1)),
    ("nested", nested, lambda: (0.4, 4), 0),
    ("countdown", countdown, lambda: (0.3,), 0),
    ("branches", branches, lambda: (0.7, 0.4), (0, 1)),
    ("branches_other", branches, lambda: (-0.7, 0.4), (0, 1)),
    ("stepped", stepped, lambda: (1.2,), 0),
    ("tiny", tiny, lambda: (rng.standard_normal(3), rng.standard_normal(3)), (0, 1)),
    ("rows", rows, lambda: (rng.standard_normal((5, 3)), rng.standard_normal(3)), (0, 1)),
    ("reads_global", reads_global, lambda: (0.3,), 0),
    ("power_loop", power_loop, lambda: (0.8, 5), 0),
    ("segments", segments, lambda: (0.45, 3, 4), 0),
    ("segments_empty", segments, lambda: (0.45, 0, 4), 0),
]


def check_jit_grad(f, args, wrt):
    """The jit gradient against finite differences, and equal to the plain derivative's."""
    got = check_grad(f, args, wrt=wrt, jit=True)
    plain = ad.grad(f, wrt=wrt)(*args)
    for a, b in zip(got if isinstance(wrt, tuple) else [got], plain if isinstance(wrt, tuple) else [plain]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, f, make, wrt", CASES, ids=[c[0] for c in CASES])
def test_jit_gradient_matches_finite_differences(name, f, make, wrt):
    check_jit_grad(f, make(), wrt)


def test_the_numbers_of_one_dtype_share_one_tape():
    g = ad.grad(segments, jit=True)
    g(0.45, 3, 4)
    source = g.source
    assert source.count("np.empty(") + source.count("_ad.jit.stack_empty(") == 3  # (ints, and floats with the
    # bools, of the nested loops (sizes known: in the compiled function's frame, jit_runtime_stack.py); floats of
    assert "tape_bools" not in source and "] != 0.0" in source  # the last; a bool saved as 0.0 or 1.0)
    assert "tape_floats = np.empty(n_" in source  # (the last segment's counter plus its capacity)


def test_jit_is_compiled_by_numba_and_source_is_what_runs():
    g = ad.grad(euler, wrt=(0, 1), jit=True)
    g(1.0, 0.1, 1.0, 0.0)
    source = g.source
    assert "@_ad.jit.njit" in source and "tape_floats = _ad.jit.stack_empty(400, np.float64)" in source and \
        "reversed" not in source
    compiled = g._ad_derivative.last
    cell = compiled._ad_jit
    assert isinstance(cell.cell_contents, numba.core.registry.CPUDispatcher)  # (after the first call)
    for code in (compiled.__code__, cell.cell_contents.py_func.__code__):
        text = "".join(linecache.getlines(code.co_filename))
        assert text == source
    assert g(1.0, 0.1, 1.0, 0.0) == ad.grad(euler, wrt=(0, 1))(1.0, 0.1, 1.0, 0.0)


def test_jit_elementwise_array_code_is_one_loop_over_the_elements():
    g = ad.grad(tiny, wrt=(0, 1), jit=True)
    x, w = rng.standard_normal(4), rng.standard_normal(4)
    got = g(x, w)
    assert "for i in range(n):" in g.source and "x[i]" in g.source
    for k in (0, 1):
        np.testing.assert_allclose(got[k], numeric_grad(tiny, [x, w], k), rtol=1e-6, atol=1e-8)


def test_jit_function_changing_its_argument_in_place():
    x, y = np.array([0.3, 1.2, -0.4]), np.array([0.5, -0.2, 0.9])
    got = ad.grad(in_place, wrt=(0, 1), jit=True)(x, y)
    assert x.tolist() == [0.3, 1.2, -0.4]  # (the gradient works on a private copy, as the plain one does)

    def copying(a, b):
        return in_place(a.copy(), b.copy())
    for k in (0, 1):
        np.testing.assert_allclose(got[k], numeric_grad(copying, [x, y], k), rtol=1e-6, atol=1e-8)
    assert "_ad.check_apart" in ad.grad(in_place, wrt=(0, 1), jit=True).source.split("def din_place_dxy(")[1]


def test_jit_reads_globals_live():
    global SCALE
    g = ad.grad(reads_global, jit=True)
    before = g(0.3)
    SCALE = 2.5
    try:
        after = g(0.3)
        assert after == pytest.approx(numeric_grad(reads_global, [0.3], 0), rel=1e-6)
        assert after != before
    finally:
        SCALE = 1.5


def test_jit_value_and_grad():
    value, grads = ad.value_and_grad(math_loop, wrt=(0, 1), jit=True)(0.7, 0.3)
    assert value == pytest.approx(math_loop(0.7, 0.3), rel=1e-12)
    assert grads[0] == pytest.approx(numeric_grad(math_loop, [0.7, 0.3], 0), rel=1e-6)


# -- refusals: located at the user's line -------------------------------------------------------------------
def takes_dict(d):
    return d["a"] * 2.0


def eigen(a):
    return np.sum(np.linalg.eigvalsh(a @ a.T))


def over_list(xs):
    s = 0.0
    for x in xs:
        s = s + x * x
    return s


def test_jit_refuses_a_dictionary_argument_at_the_def():
    with pytest.raises(ad.ADError) as info:
        ad.grad(takes_dict, jit=True)({"a": 1.0})
    text = str(info.value)
    assert "test_jit.py" in text and "jit=True" in text and "`d`" in text


def test_jit_refuses_a_call_outside_the_subset_at_its_line():
    with pytest.raises(ad.ADError) as info:
        ad.grad(eigen, jit=True)(np.eye(3))
    text = str(info.value)
    assert "jit=True" in text and "eigvalsh" in text
    assert f"line {eigen.__code__.co_firstlineno + 1}" in text and "^" in text


def test_jit_refuses_a_loop_over_a_list():
    with pytest.raises(ad.ADError) as info:
        ad.grad(over_list, jit=True)([1.0, 2.0])
    assert "jit=True" in str(info.value)


def axis_max(a):
    s = np.max(a * a, axis=0)
    return np.sum(np.tanh(s))


def test_jit_a_numba_typing_error_at_the_first_call_is_located_at_the_user_line():
    g = ad.grad(axis_max, jit=True)
    for _ in range(2):  # (and again at the next call; a max along an axis of a 3-d array is not compiled)
        with pytest.raises(ad.ADError) as info:
            g(np.ones((2, 3, 2)))
        text = str(info.value)
        assert "Numba cannot compile" in text and f"line {axis_max.__code__.co_firstlineno + 1}" in text
        assert "np.max(a * a, axis=0)" in text and "^" in text


def square(s):
    return s ** 2


def bump(s):
    s += 1.0
    return s ** 2


def test_jit_takes_a_0d_array_argument_as_its_number_unless_changed_in_place():
    got = ad.grad(square, jit=True)(np.array(1.3))  # (passed as s[()]: Numba's 0-d arithmetic is incomplete)
    np.testing.assert_allclose(got, numeric_grad(square, [np.array(1.3)], 0), rtol=1e-8)
    assert isinstance(got, np.ndarray) and got.shape == ()
    with pytest.raises(ad.ADError, match="0-d array"):
        ad.grad(bump, jit=True)(np.array(1.3))


def test_jit_an_exception_while_numba_compiles_is_refused_and_one_while_running_propagates():
    import types

    from ad_compiler.jit import FirstCall

    class Dispatcher:
        overloads = {}

        def __call__(self, *args):
            if args[0] == "compile":
                raise NotImplementedError("No definition for lowering")
            self.overloads = {"sig": None}
            raise ZeroDivisionError("float division by zero")

    cell = types.CellType(None)
    first = FirstCall(Dispatcher(), cell, [], "<nowhere>", numba)
    with pytest.raises(ad.ADError, match="Numba cannot compile"):
        first("compile")
    with pytest.raises(ZeroDivisionError):
        first("run")


def test_jit_a_numba_error_on_a_line_the_backend_added_names_the_user_line_above_it():
    g = ad.grad(euler, wrt=(0, 1), jit=True)
    g(1.0, 0.1, 1.0, 0.0)
    compiled = g._ad_derivative.last
    source_lines = g.source.splitlines()
    line = next(i + 1 for i, text in enumerate(source_lines) if text.startswith("    n_x_1 = 0"))
    origins = list(compiled._ad_origins)
    origins[line - 1] = None  # (as for `n = x.shape[0]` of an elementwise loop: no user's line of its own)
    from ad_compiler.jit import FirstCall

    first = FirstCall(None, None, origins, compiled.__code__.co_filename, numba)
    error = first.located(Exception(f'Unknown attribute\nFile "{compiled.__code__.co_filename}", line {line}:'))
    assert error.where is not None and error.where.filename.endswith("test_jit.py")


def test_jit_refuses_what_it_does_not_take_yet():
    with pytest.raises(ad.ADError, match="has_aux"):
        ad.grad(euler, jit=True, has_aux=True)
    with pytest.raises(ad.ADError, match="first derivative"):
        ad.grad(ad.grad(euler), jit=True)
    with pytest.raises(ad.ADError, match="cannot be differentiated again"):
        ad.grad(ad.grad(euler, jit=True))


# -- the differential tester (tests/progen.py) with jit=True: right or a located refusal, never a crash ------
def test_random_programs_with_jit_are_right_or_refused_at_a_line():
    import progen

    progen.GRAD_OPTIONS["jit"] = True
    try:
        bad = []
        for index in range(60):
            res = progen.check_source(progen.generate(progen.program_seed(2024, index)), ad, timeout=60.0)
            if res.outcome in ("wrong", "crash") or (res.outcome == "refused" and not res.located):
                bad.append((index, res.outcome, res.kind, res.message))
    finally:
        progen.GRAD_OPTIONS.pop("jit")
    assert not bad, f"re-run one with: python tests/explore.py --jit --show 2024 INDEX\n{bad}"


def dot(x, y):
    return np.sum(x * y) + np.sum(y * y)


def test_calls_like_the_last_one_skip_the_wrapper_only_when_it_would_change_nothing():
    """jit.direct: from the second call of a kind, the dispatcher's guard calls Numba's function itself when
    the wrapper's as_grad would return its result as it is (a float64 array of the argument's shape, made so
    by jit_runtime.as_grad; floats). The gradient stays a writeable array of the argument's form."""
    g = ad.grad(dot, wrt=1, jit=True)
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    for _ in range(3):
        got = g(x, y)
        np.testing.assert_allclose(got, numeric_grad(dot, (x, y), 1), rtol=1e-7)
    compiled = g._ad_derivative.last
    np.testing.assert_allclose(g._ad_guard(x, y), x + 2 * y)  # (Numba's entry point, called by the guard)
    assert "flags.carray" in g._ad_guard.source and g._ad_derivative.last is compiled
    assert "def ddot_dy(x, y):" in g.source
    wide, tall = rng.standard_normal(8), rng.standard_normal((4, 2))
    for other in (wide[::2], tall[:, 0]):  # (the shape and dtype of the last call, not contiguous: Numba's
        # code for contiguous arrays would read the wrong elements; the guard sends it to the dispatcher)
        assert other.shape == y.shape and g._ad_guard(x, other) is MISS
        np.testing.assert_allclose(g(x, other), numeric_grad(dot, (x, other.copy()), 1), rtol=1e-7)
        np.testing.assert_allclose(g(other, y), numeric_grad(dot, (other.copy(), y), 1), rtol=1e-7)
    frozen = x.copy()
    frozen.setflags(write=False)
    got = g(frozen, y)  # (same class, shape and dtype: the guard; a read-only array is copied as before)
    assert got.flags.writeable and np.allclose(got, x + 2 * y)
    assert got.dtype == np.float64 and got.shape == (4,)
    with pytest.raises(UnsupportedError, match="narrow dtype"):  # (float32: Numba's promotions are not NumPy's, j12-001)
        g(x.astype(np.float32), y.astype(np.float32))
    got = g(x[::2], y[:2])  # (another shape; a strided array)
    np.testing.assert_allclose(got, numeric_grad(dot, (x[::2].copy(), y[:2]), 1), rtol=1e-7)

    e = ad.grad(euler, wrt=(0, 1, 2, 3), jit=True)
    args = (1.3, 0.2, 1.0, 0.0)
    first = e(*args)
    assert e(*args) == first and e(*args) == first and e._ad_guard(*args) == first
    assert "flags" not in e._ad_guard.source and e._ad_guard(1.3, 0.2, 1, 0.0) is MISS  # (an int: the dispatcher)
    assert all(type(b) is float for b in e(*args))
    assert e(1.3, 0.2, 1, 0.0)[2] == first[2] and type(e(1.3, 0.2, 1, 0.0)[2]) is type(ad.grad(euler, wrt=2)(1.3, 0.2, 1, 0.0))


def test_the_compiled_as_grad_gives_the_arguments_shape_like_the_plain_one():
    from ad_compiler import jit_runtime

    @numba.njit
    def shaped(g, x):
        return jit_runtime.as_grad(g, x)

    frozen = np.arange(3.0)
    frozen.setflags(write=False)
    for g, x in [(np.arange(3.0), np.ones(3)), (np.array([2.0]), np.ones(3)), (np.arange(3.0), np.ones((2, 3))[0]),
                 (np.array([[1.0, 2.0, 3.0]]), np.ones((2, 3))), (np.array([[1.0], [2.0]]), np.ones((2, 3))),
                 (np.ones((2, 3)), np.ones((2, 3))), (frozen, np.ones(3))]:
        got = shaped(g, x)
        np.testing.assert_array_equal(got, np.broadcast_to(g, x.shape))
        assert got.shape == x.shape and got.flags.writeable
        assert (got is g) == (g.shape == x.shape and g.flags.writeable)
    with pytest.raises(ValueError):
        shaped(np.ones(2), np.ones(3))
    assert shaped(2.5, 1.0) == 2.5


def scaled_rows(k, a, v):
    return k * np.sum(np.tanh(a) @ v) + np.sum(a * a) * k ** 2


def shared_grad(x, w):
    return np.sum(x * w)


@pytest.mark.parametrize("f, make, wrt", [
    (scaled_rows, lambda: (0.7, rng.standard_normal((3, 2)), rng.standard_normal(2)), (0, 1, 2)),
    (scaled_rows, lambda: (0.7, rng.standard_normal((3, 2)), rng.standard_normal(2)), (1, 0)),
    (scaled_rows, lambda: (0.7, rng.standard_normal((3, 2)), rng.standard_normal(2)), 1),
    (shared_grad, lambda: (rng.standard_normal(4), rng.standard_normal(4)), (0, 1)),
], ids=["float-and-arrays", "array-then-float", "2-d", "two-arrays"])
def test_the_gradients_arrays_are_made_by_the_wrapper_and_filled_by_the_compiled_function(f, make, wrt):
    """jit._buffers: the gradient of a float array is an array the wrapper (and the guard of a call like the
    last one: the same arrays, made with np.empty) passes to the compiled function, which fills it
    (`_ad.jit.grad_into`); the gradients of floats are returned. Each call gives new arrays, of the
    argument's shape and dtype, equal to the plain derivative's and to central differences."""
    args = make()
    g = ad.grad(f, wrt=wrt, jit=True)
    plain = ad.grad(f, wrt=wrt)(*args)
    seen = []
    for call in range(4):  # (the wrapper twice, then the guard twice)
        got = g(*args)
        pairs = zip(got, plain, wrt) if isinstance(wrt, tuple) else [(got, plain, wrt)]
        for a, b, i in pairs:
            x = args[i]
            if isinstance(x, np.ndarray):
                assert type(a) is np.ndarray and a.shape == x.shape and a.dtype == x.dtype and a.flags.writeable
                assert all(a is not s for s in seen)
                seen.append(a)
            else:
                assert type(a) is float
            tol = 1e-5 if getattr(x, "dtype", None) == np.float32 else 1e-12
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
            np.testing.assert_allclose(a, numeric_grad(f, [np.asarray(v, dtype=float) if isinstance(v, np.ndarray)
                                                           else v for v in args], i), rtol=1e-4, atol=1e-6)
    assert "grad_into" in g.source and g._ad_guard is not None and g._ad_guard(*args) is not MISS


def test_grad_into_broadcasts_like_as_grad():
    from ad_compiler import jit_runtime

    @numba.njit
    def into(g, out):
        jit_runtime.grad_into(g, out)
        return out

    for g, x in [(np.arange(3.0), np.ones(3)), (np.array([2.0]), np.ones(3)), (2.5, np.ones(3)),
                 (np.array([[1.0, 2.0, 3.0]]), np.ones((2, 3))), (np.array([[1.0], [2.0]]), np.ones((2, 3))),
                 (np.arange(3.0), np.ones((2, 3))), (np.ones((2, 3)), np.ones((2, 3))), (1.5, np.ones((2, 2))),
                 (np.array([1 + 2j, 3 - 1j]), np.ones(2)), (np.arange(3), np.ones(3, dtype=np.float32)),
                 (np.array(4.0), np.ones(3)), (np.array(2.0), np.ones((2, 2)))]:
        got = into(g, np.empty_like(x))
        np.testing.assert_array_equal(got, np.broadcast_to(np.real(g), x.shape))
    with pytest.raises(ValueError):
        into(np.ones(2), np.empty(3))
