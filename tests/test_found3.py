"""Regression tests for the third adversarial hunt (stale caches, crashes, odd inputs). Expected values come
from central finite differences (fd.numeric_grad) or from the math by hand, never from the compiler."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import numeric_grad


def close(got, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


X = np.array([0.5, -1.0, 2.0])


# -- 001: a closure variable rebound after the first call is read live ---------------------------------------
def test_closure_variable_rebound_is_read_live():
    data = np.array([1.0, 1.0, 1.0])

    def loss(w):
        return np.sum((w * data) ** 2)

    g = ad.grad(loss)
    close(g(X), numeric_grad(loss, [X], 0))
    data = np.array([3.0, -2.0, 0.5])  # noqa: F841 (read by loss)
    close(g(X), numeric_grad(loss, [X], 0))
    data = 2.0  # another kind: compiled again
    close(g(X), numeric_grad(loss, [X], 0))


def _make_scaled():
    c = 2.0

    def f(x):
        return np.sum(c * x ** 2)

    def set_c(v):
        nonlocal c
        c = v
    return f, set_c


def test_closure_variable_set_through_nonlocal():
    f, set_c = _make_scaled()
    ad.grad(f)(X)
    set_c(7.0)
    close(ad.grad(f)(X), 14.0 * X)


# -- 002: a name or attribute bound to a library function, rebound after compiling --------------------------
ACT = np.tanh


def _act_loss(x):
    return np.sum(ACT(x))


class _Config:
    pass


CFG = _Config()
CFG.act = np.tanh


def _attr_loss(x):
    return np.sum(CFG.act(x))


def test_library_function_rebound_global_and_attribute():
    global ACT
    g1, g2 = ad.grad(_act_loss), ad.grad(_attr_loss)
    close(g1(X), 1 - np.tanh(X) ** 2)
    close(g2(X), 1 - np.tanh(X) ** 2)
    try:
        ACT = np.sin
        CFG.act = np.exp
        close(g1(X), np.cos(X))
        close(g2(X), np.exp(X))
        close(ad.grad(_act_loss)(X), numeric_grad(_act_loss, [X], 0))
    finally:
        ACT = np.tanh
        CFG.act = np.tanh


# -- 003: replaced __defaults__ (of the function and of an inlined callee) ----------------------------------
def _power(v, k=2.0):
    return v ** k


def _via_callee(x):
    return np.sum(_power(x))


def _own_default(x, k=2.0):
    return np.sum(x ** k)


def test_replaced_defaults_are_seen():
    g1, g2 = ad.grad(_via_callee), ad.grad(_own_default)
    close(g1(X), 2 * X)
    close(g2(X), 2 * X)
    v = ad.vjp(_own_default)
    close(v(X, 1.0), 2 * X)
    try:
        _power.__defaults__ = (3.0,)
        _own_default.__defaults__ = (3.0,)
        close(g1(X), 3 * X ** 2)
        close(g2(X), 3 * X ** 2)
        close(v(X, 1.0), 3 * X ** 2)
        close(g2(X, 2.0), 2 * X)  # given: the argument, not the default
    finally:
        _power.__defaults__ = (2.0,)
        _own_default.__defaults__ = (2.0,)


def _own_kwdefault(x, *, k=2.0):
    return np.sum(x ** k)


def test_replaced_keyword_defaults_are_seen_and_shown():
    import inspect

    g, j = ad.grad(_own_kwdefault), ad.jvp(_own_kwdefault)
    close(g(X), 2 * X)
    try:
        _own_kwdefault.__kwdefaults__ = {"k": 3.0}
        close(g(X), numeric_grad(_own_kwdefault, [X], 0))
        close(j(X, np.ones(3))[1], np.sum(numeric_grad(_own_kwdefault, [X], 0)))
        assert str(inspect.signature(g)) == "(x, *, k=3.0)"  # help(g) shows the default it uses
    finally:
        _own_kwdefault.__kwdefaults__ = {"k": 2.0}


def _decorate(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@_decorate
def _decorated_default(x, k=2.0):
    return np.sum(x ** k)


def test_replaced_defaults_of_a_decorated_function_are_seen():
    g = ad.grad(_decorated_default)
    close(g(X), 2 * X)
    try:
        _decorated_default.__wrapped__.__defaults__ = (3.0,)
        close(g(X), numeric_grad(_decorated_default, [X], 0))
        close(ad.grad(_decorated_default)(X), numeric_grad(_decorated_default, [X], 0))
    finally:
        _decorated_default.__wrapped__.__defaults__ = (2.0,)


class _WithDefault:
    def loss(self, x, k=2.0):
        return np.sum(x ** k)


def test_replaced_defaults_of_a_bound_method_are_seen():
    obj = _WithDefault()
    g = ad.grad(obj.loss)
    close(g(X), 2 * X)
    try:
        _WithDefault.loss.__defaults__ = (3.0,)
        close(g(X), numeric_grad(obj.loss, [X], 0))
    finally:
        _WithDefault.loss.__defaults__ = (2.0,)


_W_DEFAULT = np.array([1.0, 2.0, 3.0])
_L_DEFAULT = [1.0, 2.0]


def _scaled(v, w=_W_DEFAULT):
    return v * w


def _summed(v, ws=_L_DEFAULT):
    t = 0.0
    for w in ws:
        t = t + w * v
    return t


def _uses_array_default(x):
    return np.sum(_scaled(x) ** 2)


def _uses_list_default(x):
    return np.sum(_summed(x) ** 2)


def _own_list_default(x, ws=_L_DEFAULT):
    t = 0.0
    for w in ws:
        t = t + w * x
    return np.sum(t ** 2)


def test_mutable_defaults_changed_between_calls():
    g1, g2, g3 = ad.grad(_uses_array_default), ad.grad(_uses_list_default), ad.grad(_own_list_default)
    for g, f in ((g1, _uses_array_default), (g2, _uses_list_default), (g3, _own_list_default)):
        close(g(X), numeric_grad(f, [X], 0))
    old_w, old_l = _W_DEFAULT.copy(), list(_L_DEFAULT)
    try:
        _W_DEFAULT[:] = [3.0, -1.0, 0.5]  # changed in place
        _L_DEFAULT.append(5.0)  # a list of three now
        _L_DEFAULT[0] = -3.0
        for g, f in ((g1, _uses_array_default), (g2, _uses_list_default), (g3, _own_list_default)):
            close(g(X), numeric_grad(f, [X], 0))
        _scaled.__defaults__ = (np.array([2.0, 0.5, -1.0]),)  # replaced by another array
        close(g1(X), numeric_grad(_uses_array_default, [X], 0))
    finally:
        _W_DEFAULT[:] = old_w
        _L_DEFAULT[:] = old_l
        _scaled.__defaults__ = (_W_DEFAULT,)


# -- 008: a function a recursive callee calls is redefined ------------------------------------------------
def _act8(v):
    return v ** 2


def _rec8(v, n):
    if n == 0:
        return v
    return _rec8(_act8(v), n - 1)


def _f8(x):
    return np.sum(_rec8(x, 2))


def test_recursive_callee_recompiled_when_what_it_calls_changes():
    global _act8
    old = _act8
    close(ad.grad(_f8)(X), 4 * X ** 3)
    try:
        def _act8(v):  # noqa: F811 (redefined, as a notebook cell run again)
            return np.sin(v)
        close(ad.grad(_f8)(X), np.cos(np.sin(X)) * np.cos(X))
    finally:
        _act8 = old


# -- 027: a rule registered after a derivative using the function was compiled ---------------------------
def _norm27(v):
    return np.sqrt(np.sum(v ** 2))


def _loss27(w):
    return _norm27(w) + np.sum(w ** 2)


def test_rule_registered_after_compiling_is_used():
    w0 = np.zeros(3)
    with np.errstate(all="ignore"):
        assert np.all(np.isnan(ad.grad(_loss27)(w0)))

    @ad.defvjp(_norm27)
    def _norm27_rule(v):
        bv = g * np.where(ans > 0, v / np.where(ans > 0, ans, 1.0), 0.0)  # noqa: F821,F841

    close(ad.grad(_loss27)(w0), np.zeros(3))
    w = np.array([0.3, -0.4, 1.2])
    close(ad.grad(_loss27)(w), numeric_grad(_loss27, [w], 0))


# -- 015: the module's file edited after import (no reload) ----------------------------------------------
def _import_from(tmp_path, name, text):
    import importlib
    import sys

    path = tmp_path / f"{name}.py"
    path.write_text(text)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name), path
    finally:
        sys.path.remove(str(tmp_path))


def test_source_edited_after_import_is_refused(tmp_path):
    import os

    model, path = _import_from(tmp_path, "found3_edited", "import numpy as np\n\n\ndef loss(x):\n    return np.sum(x ** 2)\n")
    path.write_text("import numpy as np\n\n\ndef loss(x):\n    return np.sum(x ** 3)\n")
    os.utime(path, (1e9 + 5, 2e9))
    with pytest.raises(ad.ADError) as info:
        ad.value_and_grad(model.loss)(X)
    assert "not the code that runs" in str(info.value) and "found3_edited.py" in str(info.value)
    assert "line 4" in str(info.value) and "reload" in str(info.value)


def test_unedited_methods_with_private_names_closures_and_super_are_read(tmp_path):
    text = ("import numpy as np\n\n\nclass Base:\n    def scale(self):\n        return 2.0\n\n\n"
            "class Model(Base):\n    def __init__(self):\n        self.w = np.array([1.0, 2.0, 3.0])\n\n"
            "    def loss(self, x):\n        return np.sum(self.w * x ** 2) * self.scale()\n\n"
            "    def parent(self, x):\n        return np.sum(x) * super().scale()\n\n"
            "    def private(self, x):\n        return np.sum(self.__w * x)\n\n\n"
            "def make(c):\n    def f(x):\n        return np.sum(np.sin(x) * c)\n    return f\n")
    model, _ = _import_from(tmp_path, "found3_unedited", text)
    close(ad.grad(model.Model().loss)(X), 4.0 * np.array([1.0, 2.0, 3.0]) * X)
    close(ad.grad(model.make(3.0))(X), 3.0 * np.cos(X))
    from ad_compiler import read

    read.read_function(model.Model.private)  # (private names are mangled in the code that runs)
    read.read_function(model.Model.parent)  # (super() reads the class's cell)


# -- 028: booleans and strings in a parameter tree: no gradient, as ad.ravel leaves them out -------------
def _flag_loss(p):
    scale = 2.0 if p["use_scale"] else 1.0
    return np.sum((p["w"] - 1.0) ** 2) * scale


def test_ravel_recipe_with_boolean_and_string_leaves():
    params = {"use_scale": True, "name": "layer1", "mask": np.array([True, False]), "w": np.array([0.3, -0.2])}
    grads = ad.grad(_flag_loss)(params)
    assert grads["use_scale"] is None and grads["name"] is None and grads["mask"] is None
    close(grads["w"], 4.0 * (params["w"] - 1.0))
    x0, unravel = ad.ravel(params)
    jac = ad.ravel(ad.grad(_flag_loss)(unravel(x0)))[0]
    assert jac.shape == x0.shape
    close(jac, numeric_grad(lambda x: _flag_loss(unravel(x)), [x0], 0))
    # the gradient tree still goes with the parameters in tree_map and the optimizers
    stepped = ad.tree_map(lambda p, g: p if g is None else p - 0.1 * g, params, grads)
    close(stepped["w"], params["w"] - 0.1 * grads["w"])
    assert stepped["name"] == "layer1"
    opt = ad.optim.momentum(lr=0.1)
    new, _ = opt.step(params, grads, opt.init(params))
    close(new["w"], params["w"] - 0.1 * grads["w"])
    assert new["use_scale"] is True


# -- 014: the value of `a or b or c` / `a and b and c` (three operands) -------------------------------------
def _first_truthy(x):
    y = x[0] or x[1] or np.sin(x[2])
    return y * x[0]


def _default_chain(x):
    w = None
    v = w or x[0] * 2.0 or x[1]
    return v * x[2]


def _and_value(x):
    return (x[0] and x[1] and x[2] ** 2) + x[0]


CASES_014 = [  # (x, the operand each chain picks, so the function is) -> gradient by hand
    (_first_truthy, [0.5, 1.3, 2.0], [1.0, 0.0, 0.0]),    # x0 * x0
    (_first_truthy, [0.0, 1.3, 2.0], [1.3, 0.0, 0.0]),    # x1 * x0
    (_default_chain, [0.5, 1.3, 2.0], [4.0, 0.0, 1.0]),   # 2 x0 * x2
    (_default_chain, [0.0, 1.3, 2.0], [0.0, 2.0, 1.3]),   # x1 * x2 (2 x0 is 0.0, falsy)
    (_and_value, [0.5, 1.3, 2.0], [1.0, 0.0, 4.0]),       # x2 ** 2 + x0
    (_and_value, [0.0, 1.3, 2.0], [2.0, 0.0, 0.0]),       # x0 + x0
    (_and_value, [0.5, 0.0, 2.0], [1.0, 1.0, 0.0]),       # x1 + x0
]


@pytest.mark.parametrize("f, x, expected", CASES_014)
def test_three_operand_boolean_operations(f, x, expected):
    close(ad.grad(f)(np.array(x)), expected)
    x = np.array([0.5, 1.3, 2.0])
    close(ad.grad(f)(x), numeric_grad(f, [x], 0))


# -- 006: gradient with respect to an object whose class uses __slots__ -------------------------------------
class _SlotsBase:
    __slots__ = ("W",)

    def __init__(self, W):
        self.W = W


class _SlotsLinear(_SlotsBase):
    __slots__ = ("b",)

    def __init__(self, W, b):
        super().__init__(W)
        self.b = b

    def loss(self, x):
        return np.sum((self.W @ x + self.b) ** 2)


def _slots_loss(model, x):
    return np.sum((model.W @ x + model.b) ** 2)


def test_gradient_with_respect_to_a_slots_object():
    W, b, x = np.array([[1.0, 2.0], [0.5, -1.0]]), 0.3, np.array([1.0, 2.0])
    r = W @ x + b
    for got in (ad.grad(_SlotsLinear(W, b).loss, wrt="self")(x), ad.grad(_slots_loss, wrt=0)(_SlotsLinear(W, b), x)):
        assert set(got) == {"W", "b"}
        close(got["W"], 2 * np.outer(r, x))
        close(got["b"], 2 * np.sum(r))


# -- 024: parameters in a named tuple ----------------------------------------------------------------------
from collections import namedtuple  # noqa: E402
from typing import NamedTuple  # noqa: E402

_Params = namedtuple("_Params", "w b")


class _TypedParams(NamedTuple):
    w: np.ndarray
    b: float


def _nt_loss(p, x):
    return np.sum((x @ p.w + p.b) ** 2)


def _nt_unpacked_loss(p, x):
    w, b = p
    return np.sum((x @ w + b) ** 2)


@pytest.mark.parametrize("cls", [_Params, _TypedParams])
@pytest.mark.parametrize("f", [_nt_loss, _nt_unpacked_loss])
def test_named_tuple_parameters(cls, f):
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    p = cls(np.array([0.3, -0.2]), 0.1)
    r = x @ p.w + p.b
    for got in (ad.grad(f)(p, x), ad.value_and_grad(f)(p, x)[1]):
        assert type(got) is cls
        close(got.w, 2 * x.T @ r)
        close(got.b, 2 * np.sum(r))
    v = cls(np.array([1.0, -0.5]), 2.0)
    value, tangent = ad.jvp(f)(p, x, v)
    close(tangent, np.dot(2 * x.T @ r, v.w) + 2 * np.sum(r) * v.b)
    hv = ad.hvp(f)(p, x, v)
    assert type(hv) is cls
    Hv = x @ v.w + v.b  # H v = 2 [x^T, 1]^T (x v_w + v_b)
    close(hv.w, 2 * x.T @ Hv)
    close(hv.b, 2 * np.sum(Hv))


# -- 025: jvp / hvp with respect to an object argument ----------------------------------------------------
import dataclasses  # noqa: E402


@dataclasses.dataclass
class _DCParams:
    w: np.ndarray
    b: float
    name: str = "layer"


def _dc_loss(p):
    return np.sum(p.w ** 2) * p.b


class _Model25:
    def __init__(self):
        self.w = np.array([0.3, -0.2])
        self.b = 1.5

    def loss(self, x):
        return np.sum(self.w ** 2 * x) * self.b


def test_jvp_and_hvp_with_respect_to_an_object():
    p = _DCParams(np.array([0.3, -0.2]), 1.5)
    vw, vb = np.array([1.0, -2.0]), 0.5
    want = np.dot(2 * p.b * p.w, vw) + np.sum(p.w ** 2) * vb
    for v in ({"w": vw, "b": vb}, _DCParams(vw, vb, "other")):
        close(ad.jvp(_dc_loss)(p, v)[1], want)
    close(ad.jvp(_dc_loss)(p, {"w": vw})[1], np.dot(2 * p.b * p.w, vw))  # (b's tangent 0)
    hv = ad.hvp(_dc_loss)(p, {"w": vw, "b": vb})
    close(hv["w"], 2 * p.b * vw + 2 * p.w * vb)
    close(hv["b"], np.dot(2 * p.w, vw))
    m, x = _Model25(), np.array([1.0, 3.0])
    close(ad.jvp(m.loss, wrt="self")(x, {"w": vw, "b": vb})[1],
          np.dot(2 * m.b * m.w * x, vw) + np.sum(m.w ** 2 * x) * vb)
    with pytest.raises(ad.ADError):
        ad.jvp(_dc_loss)(p, {"name": 1.0})
    with pytest.raises(ad.ADError):
        ad.jvp(_dc_loss)(p, 1.0)


# -- 007: export of a derivative reading a np.longdouble global --------------------------------------------
COEF7 = np.array([0.5, 2.0], dtype=np.longdouble) / 3
C7 = np.longdouble(1) / 3


def _uses_longdouble_array(x):
    return np.sum(x * float(COEF7[0]))


def _uses_longdouble_number(x):
    return np.sum(x * float(C7))


@pytest.mark.parametrize("f, c", [(_uses_longdouble_array, COEF7[0]), (_uses_longdouble_number, C7)])
def test_export_reads_longdouble_values_exactly(f, c, tmp_path):
    import importlib.util

    from ad_compiler.export_values import literal

    for value in (C7, COEF7, np.longdouble("1e-4000"), np.clongdouble(C7 + 1j)):
        back = eval(literal(value), {"np": np})
        assert type(back) is type(value) and np.all(back == value)
    path = tmp_path / "exported7.py"
    ad.export(ad.grad(f), str(path))
    spec = importlib.util.spec_from_file_location("exported7", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = np.array([1.0, 2.0])
    close(getattr(module, ad.grad(f).__name__)(x), np.full(2, float(c)))


# -- 019: the command line with --args that do not fit the derivative's parameters ------------------------
@pytest.mark.parametrize("mode, target, args, needs", [
    ("vjp", "vec", "np.ones(3)", "seed"), ("jvp", "vec", "np.ones(3)", "tangent"),
    ("grad", "loss", "np.ones(3)", "'x'"), ("grad", "loss", "np.ones(3), np.ones(3), 1.0", "too many")])
def test_cli_args_that_do_not_fit_are_a_usage_error(tmp_path, capsys, mode, target, args, needs):
    from ad_compiler import cli

    path = tmp_path / "clitarget3.py"
    path.write_text("import numpy as np\n\n\ndef vec(w):\n    return np.sin(w) * 2.0\n\n\n"
                    "def loss(w, x):\n    return np.sum(np.tanh(x @ w) ** 2)\n")
    assert cli.main(["show", f"{path}:{target}", "--mode", mode, "--args", args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ad-compiler: error: --args") and needs in err and len(err.strip().splitlines()) == 1
    assert cli.main(["show", f"{path}:vec", "--mode", "vjp", "--args", "np.ones(3), np.ones(3)"]) == 0


# -- 016: random draws in the sweeps of a Jacobian or Hessian: one realisation ------------------------------
def _mc16(p):
    draw = np.random.normal(p[0], p[1])
    return draw ** 2


def _mc16_two(mu, sigma):
    draw = np.random.normal(mu, sigma)
    return draw ** 2


RNG16 = np.random.default_rng(0)


def _scaled16(x):
    return x * RNG16.standard_normal(3)


def test_hessian_of_a_pathwise_draw_is_of_one_realisation():
    p = np.array([0.3, 1.5])
    np.random.seed(5)
    H = ad.hessian(_mc16)(p)
    after = np.random.random()
    np.random.seed(5)
    z = (np.random.normal(p[0], p[1]) - p[0]) / p[1]
    assert np.random.random() == after  # the state advanced as by one call of the function
    u = np.array([1.0, z])  # (mu + sigma z)^2: H = 2 u u^T
    close(H, 2 * np.outer(u, u))
    np.random.seed(5)
    blocks = ad.hessian(_mc16_two, wrt=(0, 1))(0.3, 1.5)
    close(np.array(blocks, dtype=float), 2 * np.outer(u, u))


@pytest.mark.parametrize("jac", [ad.jacfwd, ad.jacrev])
def test_jacobian_of_a_generator_draw_is_of_one_realisation(jac):
    x = np.array([0.5, -1.0, 2.0])
    state = RNG16.bit_generator.state
    J = jac(_scaled16)(x)
    after = RNG16.random()
    RNG16.bit_generator.state = state
    eps = RNG16.standard_normal(3)
    assert RNG16.random() == after
    close(J, np.diag(eps))


# -- explore seed 909: what was read of a function was cached by its code object, and code objects of two files
#    compare equal when their text is (defaults are not part of the code): a helper `lin(a, b=0.5)` in one
#    module and `lin(a, b=2.0)` on the same line of another shared one cached syntax tree ---------------------
def test_equal_code_in_two_files_is_read_from_each_file(tmp_path):
    import importlib.util

    texts = {"mod_default": "import numpy as np\n\n\ndef lin(a, b=0.5):\n    return b * a\n\n\n"
                            "def f(x):\n    return np.sum(lin(x))\n",
             "mod_keyword": "import numpy as np\n\n\ndef lin(a, b):\n    return b * a\n\n\n"
                            "def f(x):\n    return np.sum(lin(x, b=x[0]))\n"}
    modules = {}
    for name, text in texts.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[name])
    assert modules["mod_default"].lin.__code__ == modules["mod_keyword"].lin.__code__  # (what mixed them up)
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(ad.grad(modules["mod_default"].f)(x), np.full(3, 0.5))
    # d/dx of sum(x[0] * x) = x[0] everywhere, plus sum(x) at entry 0
    np.testing.assert_allclose(ad.grad(modules["mod_keyword"].f)(x), np.array([1.0 + 2.0, 1.0, 1.0]))
