"""Second derivatives through the adjoints of Python's containers (issue 9): dicts' values, items, copies and
merges, `d.get`, zip, enumerate, sorted, `list.pop`. Each adjoint helper is linear in the adjoint it carries; its
reverse rule is its transpose (runtime_transposes.py), checked here by the dot-product identity
<L v, h> = <v, L^T h> on structures with None items, nested lists, tuples and empty containers; then reverse over
reverse (and reverse over forward, forward over reverse) against central differences of the compiled gradient."""
import importlib.util
import sys

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import runtime as _ad


# -- <L v, h> = <v, L^T h> ------------------------------------------------------------------------------------------
def dot(a, b):
    """The inner product of two trees of the same form (None, or an entry a dict lacks, is a zero)."""
    if a is None or b is None:
        return 0.0
    if isinstance(a, dict):
        return sum(dot(a[k], b[k]) for k in a if k in b)
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (a, b)
        return sum(dot(u, w) for u, w in zip(a, b))
    assert np.shape(a) == np.shape(b), (a, b)
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def like(x, rng):
    """Random numbers in x's form (None stays None; a string, a key, is given no adjoint)."""
    if x is None or isinstance(x, str):
        return None
    if isinstance(x, dict):
        return {k: like(v, rng) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(like(v, rng) for v in x)
    return rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())


A3, A2 = np.ones(3), np.ones(2)
D = {"p": A3, "q": 1.0, "r": [A2, 2.0], "e": []}
PAIRS = [  # (name, linear map of v, its transpose of h, v's form, h's form)
    ("dict_values", lambda v: _ad.dict_values_vjp(v, D), lambda h, v: _ad.dict_values_transpose(h, D, v),
     [A3, None, [A2, None], []], D),
    ("dict_items", lambda v: _ad.dict_items_vjp(v, D), lambda h, v: _ad.dict_items_transpose(h, D, v),
     [(0.0, A3), (0.0, 1.0), (0.0, [A2, 1.0]), (0.0, [])], D),
    ("dict_copy", lambda v: _ad.dict_copy_vjp(v, D), lambda h, v: _ad.dict_copy_transpose(h, D, v),
     {"p": A3, "r": [A2, 1.0], "z": 1.0}, D),
    *[(f"dict_merge{w}", lambda v, w=w: _ad.dict_merge_vjp(v, D, {"q": 0.0, "z": A2}, w),
       lambda h, v, w=w: _ad.dict_merge_transpose(h, D, {"q": 0.0, "z": A2}, w, v),
       {"p": A3, "q": 1.0, "r": [A2, 1.0], "z": A2}, D if w == 0 else {"q": 0.0, "z": A2}) for w in (0, 1)],
    *[(f"dict_get {k}", lambda v, k=k: _ad.dict_get_vjp(v, D, k), lambda h, v, k=k: _ad.dict_get_transpose(h, D, k, v),
       A3 if k == "p" else 1.0, D) for k in ("p", "absent")],
    ("iter_list of a list", lambda v: _ad.iter_list_vjp(v, [A3, 1.0]),
     lambda h, v: _ad.iter_list_transpose(h, [A3, 1.0], v), [A3, None], [A3, 1.0]),
    ("iter_list of a dict", lambda v: _ad.iter_list_vjp(v, D), lambda h, v: _ad.iter_list_transpose(h, D, v),
     [None, 0.0, None, None], D),
    ("enumerate of a list", lambda v: _ad.enumerate_vjp(v, [A3, 1.0, [A2]]),
     lambda h, v: _ad.enumerate_transpose(h, [A3, 1.0, [A2]], v), [(0.0, A3), None, (0.0, [A2])], [A3, 1.0, [A2]]),
    ("enumerate of an array", lambda v: _ad.enumerate_vjp(v, np.ones((3, 2))),
     lambda h, v: _ad.enumerate_transpose(h, np.ones((3, 2)), v), [(0.0, A2), None, (0.0, A2)], np.ones((3, 2))),
    ("enumerate_jvp", lambda v: _ad.enumerate_jvp(v), lambda h, v: _ad.enumerate_jvp_transpose(h, v),
     [A3, 1.0], [(0.0, A3), (0.0, 1.0)]),
    ("zip", lambda v: _ad.zip_vjp(v, ([A3, 1.0, 2.0], np.ones((2, 2)))),
     lambda h, v: _ad.zip_transpose(h, ([A3, 1.0, 2.0], np.ones((2, 2))), v), [(A3, A2), None],
     ([A3, 1.0, 1.0], np.ones((2, 2)))),
    ("zip of nothing", lambda v: _ad.zip_vjp(v, ([], [])), lambda h, v: _ad.zip_transpose(h, ([], []), v), [], ([], [])),
    *[(f"sorted {r}", lambda v, r=r: _ad.sorted_vjp(v, [3.0, -5.0, 1.0, 2.0], abs, r),
       lambda h, v, r=r: _ad.sorted_transpose(h, [3.0, -5.0, 1.0, 2.0], abs, r, v), [1.0, None, 1.0, 1.0],
       [1.0, 1.0, 1.0, 1.0]) for r in (False, True)],
    ("sorted of nothing", lambda v: _ad.sorted_vjp(v, []), lambda h, v: _ad.sorted_transpose(h, [], None, False, v),
     [], []),
    ("sorted_jvp", lambda v: _ad.sorted_jvp(v, [3.0, -5.0, 1.0], abs, True),
     lambda h, v: _ad.sorted_vjp(h, [3.0, -5.0, 1.0], abs, True), [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]),
    ("list_with_last", lambda v: _ad.list_with_last([A3, 1.0], v),
     lambda h, v: _ad.list_with_last_transpose(h, [A3, 1.0], v), A2, [A3, 1.0, A2]),
    *[(f"seq_concat_vjp {w}", lambda v, w=w: _ad.seq_concat_vjp(v, [A3, 1.0], (A2,), w),
       lambda h, v, w=w: _ad.seq_concat_transpose(h, [A3, 1.0], (A2,), w, v), [A3, None, A2],
       [A3, 1.0] if w == 0 else [A2]) for w in (0, 1)],
    ("plus_vjp of arrays", lambda v: _ad.plus_vjp(v, A3, np.ones((2, 3)), 0),
     lambda h, v: _ad.plus_transpose(h, A3, np.ones((2, 3)), 0, v), np.ones((2, 3)), A3),
    ("seq_repeat_vjp", lambda v: _ad.seq_repeat_vjp(v, [A3, 1.0], 3),
     lambda h, v: _ad.seq_repeat_transpose(h, [A3, 1.0], 3, v), [A3, 1.0, None, 1.0, A3, None], [A3, 1.0]),
    ("seq_sum_vjp", lambda v: _ad.seq_sum_vjp(v, [[A3], (1.0, A2)], [0.0]),
     lambda h, v: _ad.seq_sum_transpose(h, [[A3], (1.0, A2)], [0.0], v), [None, A3, 1.0, A2], [[A3], [1.0, A2]]),
    *[(f"times_vjp {w}", lambda v, w=w: _ad.times_vjp(v, np.full(3, 0.5) if w else A3, np.full((2, 3), 2.0) if w else
                                                          np.ones((2, 3)) * np.arange(3.0), w),
       lambda h, v, w=w: _ad.times_transpose(h, np.full(3, 0.5) if w else A3, np.full((2, 3), 2.0) if w else
                                             np.ones((2, 3)) * np.arange(3.0), w, v), np.ones((2, 3)),
       np.ones((2, 3)) if w else A3) for w in (0, 1)],
    ("times_vjp in the other factor", lambda o: _ad.times_vjp(np.arange(6.0).reshape(2, 3), A3, o, 0),
     lambda h, o: _ad.times_factor_vjp(h, np.arange(6.0).reshape(2, 3), A3, o, 0, 1), np.ones((2, 3)), A3),
    ("save_item of a list", lambda v: _ad.save_item_vjp(v, [A3, 1.0], 0),
     lambda h, v: _ad.save_item_transpose(h, [A3, 1.0], 0, v), A3, [A3, 1.0]),
    ("save_item of a dict", lambda v: _ad.save_item_vjp(v, D, "r"), lambda h, v: _ad.save_item_transpose(h, D, "r", v),
     [A2, 1.0], D),
    ("save_item of an array", lambda v: _ad.save_item_vjp(v, np.ones((3, 2)), 1),
     lambda h, v: _ad.save_item_transpose(h, np.ones((3, 2)), 1, v), A2, np.ones((3, 2))),
    ("attribute_tangent_vjp", lambda v: _ad.attribute_tangent_vjp(v, {"w": A3}, "w"),
     lambda h, v: _ad.fit_shape(_ad.attribute_tangent(h, "w"), v), A3, {"w": A3}),
]


@pytest.mark.parametrize("name, forward, transpose, v_form, h_form", PAIRS, ids=[p[0] for p in PAIRS])
def test_transpose_identity(name, forward, transpose, v_form, h_form):
    rng = np.random.default_rng(7)
    for _ in range(3):
        v, h = like(v_form, rng), like(h_form, rng)
        assert np.isclose(dot(forward(v), h), dot(v, transpose(h, v)), rtol=1e-12, atol=1e-12), name


# -- second order against central differences of the compiled gradient ---------------------------------------------
CODE = '''
import numpy as np


def items_with_constant(x):
    d = {'p': x, 'c': 2.0, 'q': x[0] * x[1]}
    r = 0.0
    for k, v in d.items():
        r = r + np.sum(v * v) * np.sum(v)
    return r


def empty_containers(x):
    d = {}
    r = np.sum(x ** 3)
    for v in d.values():
        r = r + v
    for u, w in zip([], []):
        r = r + u * w
    for v in sorted([]):
        r = r + v
    return r


def zip_stored(x):
    z = zip([x[0], x[1] ** 2], [(x[2], 4.0), (1.0, x[0])])
    r = 0.0
    for u, (v, w) in z:
        r = r + u * v * w + u ** 3
    return r


def enumerate_stored(x):
    e = enumerate([x[0] * x[1], x[2], 5.0])
    r = 0.0
    for i, v in e:
        r = r + (i + 1.0) * v ** 3
    return r


def sorted_key(x):
    s = sorted([x[0], -x[1], x[2] ** 2, 7.0], key=abs, reverse=True)
    return s[0] * s[1] ** 2 + s[2] ** 3 * s[3]


def dict_copy_merge(x):
    d = {'u': x[0], 'v': x[1] * x[2], 'w': 1.5}
    e = dict(d)
    m = e | {'v': x[2] ** 2, 'z': x[0]}
    return m['u'] ** 3 * m['v'] + m['z'] * m['w'] + d['v'] ** 2


def dict_get(x):
    d = {'u': x[0] * x[1], 'w': 2.0}
    return d.get('u', x[2]) ** 3 + d.get('q', x[2]) ** 2 * x[0] + d.get('w', x[1])


def dict_of_lists_of_arrays(x):
    d = {'a': [x, x * x], 'b': [np.sin(x)]}
    r = 0.0
    for k, vals in d.items():
        for v in vals:
            r = r + np.sum(v ** 3)
    return r


def pop_last(x):
    l = [x[0], x[1] * x[2], x[2] ** 2]
    a = l.pop()
    return a ** 3 * l[0] + l[1] ** 2
'''
THIRD = ["items_with_constant"]  # (third order: the second derivative saves a list item on its tape, save_item)
NAMES = ["items_with_constant", "empty_containers", "zip_stored", "enumerate_stored", "sorted_key",
         "dict_copy_merge", "dict_get", "dict_of_lists_of_arrays", "pop_last"]
REVERSE_OVER_FORWARD = ["dict_get", "zip_stored", "sorted_key"]  # (dict_get_tangent, zip_vjp, sorted_jvp)


@pytest.fixture(scope="module")
def mod(tmp_path_factory):
    """The functions, with for each f: `gg_f(x, v) = <ad.grad(f)(x), v>` and `tt_f(x, v)`, f's tangent along v
    (a module ad.grad reads back)."""
    lines = [CODE, "import ad_compiler as ad", ""]
    for n in NAMES:
        lines += [f"_g_{n} = ad.grad({n})", f"_j_{n} = ad.jvp({n})", "",
                  f"def gg_{n}(x, v):", f"    return np.sum(_g_{n}(x) * v)", "",
                  f"def tt_{n}(x, v):", f"    return _j_{n}(x, v)[1]", ""]
    for n in THIRD:
        lines += [f"_gg_{n} = ad.grad(gg_{n})", "", f"def ggg_{n}(x, v, u):", f"    return np.sum(_gg_{n}(x, v) * u)", ""]
    path = tmp_path_factory.mktemp("containers") / "ad_container_cases.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location("ad_container_cases", path)
    m = importlib.util.module_from_spec(spec)
    sys.modules["ad_container_cases"] = m
    spec.loader.exec_module(m)
    yield m
    sys.modules.pop("ad_container_cases", None)


def _point(name):
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    return rng.uniform(0.5, 1.5, 3), rng.normal(size=3)


def _differences(mod, name, x, v, eps=1e-6):
    grad = ad.grad(getattr(mod, name))
    return (grad(x + eps * v) - grad(x - eps * v)) / (2 * eps)


@pytest.mark.parametrize("name", NAMES)
def test_grad_of_grad(mod, name):
    x, v = _point(name)
    got = ad.grad(getattr(mod, f"gg_{name}"))(x, v)
    np.testing.assert_allclose(got, _differences(mod, name, x, v), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", REVERSE_OVER_FORWARD)
def test_grad_of_tangent_and_hvp(mod, name):
    x, v = _point(name)
    fd = _differences(mod, name, x, v)
    np.testing.assert_allclose(ad.grad(getattr(mod, f"tt_{name}"))(x, v), fd, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ad.hvp(getattr(mod, name))(x, v), fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("which", [0, 1])
def test_times_vjp_tangent(which):
    """times_vjp is bilinear in the adjoint and the other factor: its tangent against central differences."""
    rng = np.random.default_rng(3)
    v, a, b = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(2, 3))
    dv, da, db = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(2, 3))
    eps = 1e-6
    fd = (_ad.times_vjp(v + eps * dv, a + eps * da, b + eps * db, which) -
          _ad.times_vjp(v - eps * dv, a - eps * da, b - eps * db, which)) / (2 * eps)
    np.testing.assert_allclose(_ad.times_vjp_jvp(v, a, b, which, dv, da, db), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_cumprod_jvp_tangent(axis):
    """cumprod_jvp(t, a)'s tangent in t and a together (third derivatives of np.cumprod) against differences."""
    rng = np.random.default_rng(4)
    a, t, dt, da = (rng.normal(size=(3, 4)) for _ in range(4))
    eps = 1e-6
    fd = (_ad.cumprod_jvp(t + eps * dt, a + eps * da, axis) - _ad.cumprod_jvp(t - eps * dt, a - eps * da, axis)) / (2 * eps)
    np.testing.assert_allclose(_ad.cumprod_jvp_jvp(t, dt, a, da, axis), fd, rtol=1e-7, atol=1e-8)


def test_einsum_args_vjp_t_tangent():
    rng = np.random.default_rng(5)
    args = ("ij,jk->ik", rng.normal(size=(2, 3)), rng.normal(size=(3, 4)))
    h, dh, da = ([None, rng.normal(size=(2, 3)), rng.normal(size=(3, 4))] for _ in range(3))
    eps = 1e-6

    def at(s):
        return _ad.einsum_args_vjp_t([None, h[1] + s * dh[1], h[2] + s * dh[2]],
                                     (args[0], args[1] + s * da[1], args[2] + s * da[2]))
    np.testing.assert_allclose(_ad.einsum_args_vjp_t_jvp(h, dh, args, da), (at(eps) - at(-eps)) / (2 * eps),
                               rtol=1e-7, atol=1e-8)


def test_einsum_args_vjp_hvp_tangent():
    """einsum_args_vjp_hvp(v, args, h) (three operands: its third-derivative part is not zero) along (dv, dargs,
    dh) against differences."""
    rng = np.random.default_rng(6)
    shapes = [(2, 3), (3, 4), (4,)]
    args = ("ij,jk,k->i",) + tuple(rng.normal(size=s) for s in shapes)
    h, dh, da = ([None] + [rng.normal(size=s) for s in shapes] for _ in range(3))
    v, dv = rng.normal(size=2), rng.normal(size=2)
    eps = 1e-6

    def at(s):
        out = _ad.einsum_args_vjp_hvp(v + s * dv, (args[0],) + tuple(a + s * d for a, d in zip(args[1:], da[1:])),
                                      [None] + [x + s * d for x, d in zip(h[1:], dh[1:])])
        return np.concatenate([np.ravel(o) for o in out[1:]])
    got = _ad.add(_ad.add(_ad.einsum_args_vjp_hvp(dv, args, h), _ad.einsum_args_vjp_hvp(v, args, dh)),
                  _ad.einsum_args_vjp_hvp2(v, args, h, da))
    np.testing.assert_allclose(np.concatenate([np.ravel(o) for o in got[1:]]), (at(eps) - at(-eps)) / (2 * eps),
                               rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", THIRD)
def test_third_order(mod, name):
    x, v = _point(name)
    u = np.random.default_rng(8).normal(size=3)
    second = getattr(mod, f"_gg_{name}")
    eps = 1e-6
    fd = (second(x + eps * u, v) - second(x - eps * u, v)) / (2 * eps)
    np.testing.assert_allclose(ad.grad(getattr(mod, f"ggg_{name}"))(x, v, u), fd, rtol=1e-6, atol=1e-7)
