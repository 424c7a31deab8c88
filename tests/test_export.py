"""ad.export: a derivative as one standalone module that runs where ad_compiler is not installed.

Every exported module is run in a fresh interpreter (`python -I`) in which importing ad_compiler fails, and
its results are compared with those of the derivative in this process (and, for the gradient, with the
derivative worked out by hand).
"""
import importlib.util
import pathlib
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import runtime
from export_models import models

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("rnn_example", ROOT / "examples" / "10_rnn_loop.py")
rnn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rnn)

RNG = np.random.default_rng(7)
W = RNG.standard_normal(3)
X = RNG.standard_normal((4, 3))
V = RNG.standard_normal(3)


def cases():
    """name -> (derivative, example arguments)"""
    return {
        "grad": (ad.grad(models.loss), (W, X)),
        "value_and_grad": (ad.value_and_grad(models.loss, wrt=("w", "x")), (W, X, 3.0)),
        "vjp": (ad.vjp(models.vector), (W, V)),
        "jvp": (ad.jvp(models.vector), (W, V)),
        "hvp": (ad.hvp(models.quad), (W, V, V)),
        "hessian": (ad.hessian(models.quad), (W, V)),
        "hessian_blocks": (ad.hessian(models.quad, wrt=(0, 1)), (W, V)),
        "jacfwd": (ad.jacfwd(models.vector), (W,)),
        "jacrev": (ad.jacrev(models.vector), (W,)),
        "jacobian": (ad.jacobian(models.vector), (W,)),
        "recursive_callee": (ad.grad(models.recursive), (W,)),
        "closure": (ad.grad(models.make_scaled(3.0)), (W,)),
        "closure_array": (ad.grad(models.make_scaled(np.array([1.0, 2.0, 3.0]))), (W,)),
        "nested_grad": (ad.grad(ad.grad(models.make_scaled(2.0))), (1.5,)),
        "has_aux": (ad.grad(models.with_aux, has_aux=True), (W,)),
        "name_clash": (ad.grad(models.clash), (W,)),
        "rnn_loop": (ad.grad(rnn.rnn_loss, wrt=("W", "U", "b")), rnn.make_data(T=4)),
        "loop_with_tape": (ad.grad(models.loop_sum), (W,)),
        "jacfwd_tree": (ad.jacfwd(models.tree_out), (W,)),
        "jacrev_tree": (ad.jacrev(models.tree_out), (W,)),
        "runtime_parts": (ad.grad(models.linalg_family, wrt=(0, 1)), (RNG.standard_normal(4), RNG.standard_normal((3, 3)))),
        "linalg_helpers": (ad.grad(models.det_power), (np.eye(3) * 2.0 + 0.1 * X[:3],)),
        "table_of_functions": (ad.grad(models.table_in_place), (W,)),
    }


BLOCK_AD_COMPILER = """
import sys


class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "ad_compiler":
            raise ImportError("ad_compiler is not installed here")


sys.meta_path.insert(0, Blocked())
"""


def run_exported(tmp_path, modules):
    """Import each exported module in a fresh interpreter without ad_compiler; call its function with the
    pickled arguments; return the results."""
    jobs = []
    for name, (path, func_name, args) in modules.items():
        with open(tmp_path / f"{name}.args", "wb") as fh:
            pickle.dump(args, fh)
        jobs.append((name, str(path), func_name, str(tmp_path / f"{name}.args")))
    script = BLOCK_AD_COMPILER + textwrap.dedent(f"""
        import importlib.util
        import pickle

        results = {{}}
        for name, path, func_name, args_path in {jobs!r}:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            with open(args_path, "rb") as fh:
                args = pickle.load(fh)
            results[name] = getattr(module, func_name)(*args)
        assert not [m for m in sys.modules if m.split(".")[0] == "ad_compiler"]
        with open({str(tmp_path / "results.pkl")!r}, "wb") as fh:
            pickle.dump(results, fh)
    """)
    proc = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "results.pkl", "rb") as fh:
        return pickle.load(fh)


def leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in leaves(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in leaves(tree[k])]
    return [tree]


def test_exported_modules_run_without_ad_compiler_and_agree(tmp_path):
    modules, expected = {}, {}
    for name, (g, args) in cases().items():
        expected[name] = g(*args)
        path = tmp_path / f"d_{name}.py"
        source = ad.export(g, path)
        assert path.read_text() == source
        func_name = source.split("__all__ = ['", 1)[1].split("'", 1)[0]
        modules[name] = (path, func_name, args)
    got = run_exported(tmp_path, modules)
    for name in modules:
        want, have = leaves(expected[name]), leaves(got[name])
        assert len(want) == len(have), name
        for a, b in zip(want, have):
            assert type(a) is type(b), name
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


def test_exported_gradient_matches_the_formula(tmp_path):
    """d/dw of 0.5 * scale * sum(tanh(x @ w + 0.25) ** 2), worked out by hand; exported before any call, so
    the derivative for arguments of any kind."""
    ad.clear_cache()
    path = tmp_path / "dloss.py"
    source = ad.export(ad.grad(models.loss), path)
    assert "Compiled for arguments" not in source
    got = run_exported(tmp_path, {"dloss": (path, "dloss_dw", (W, X, 3.0))})["dloss"]
    t = np.tanh(X @ W + 0.25)
    np.testing.assert_allclose(got, 3.0 * 0.5 * X.T @ (2 * t * (1 - t ** 2)), rtol=1e-12)


def test_source_is_exactly_what_runs():
    """The signature keeps the defaults (nothing is attached to the compiled function outside its source):
    the printed source, run with only NumPy and the runtime, gives the same gradient."""
    g = ad.grad(models.loss)
    g(W, X)
    source = g.source
    assert source.startswith("def dloss_dw(w, x, scale=2.0):")
    compiled = g._ad_derivative.last
    assert compiled.__defaults__ == (2.0,)
    assert source.startswith(compiled._ad_text)
    namespace = {"np": np, "_ad": runtime, "SCALE": models.SCALE}
    exec(compile(source, "<pasted>", "exec"), namespace)
    np.testing.assert_allclose(namespace["dloss_dw"](W, X), g(W, X), rtol=1e-15)


def test_export_keeps_the_generated_text_and_copies_only_the_helpers_used(tmp_path):
    g = ad.grad(models.loss)
    g(W, X)
    source = ad.export(g)
    assert g.source in source
    assert not re.search(r"^\s*(import|from)\s+ad_compiler", source, re.M)
    used = {"as_grad", "unbroadcast", "unreduce"}
    for helper in used:
        assert f"\ndef {helper}(" in source
    assert "\ndef einsum_vjp(" not in source and "\ndef sort_vjp(" not in source
    assert "bw_1 = bt1 @ x" in g.source and "\ndef matmul_vjp_b(" not in source  # (a matrix-vector adjoint)
    assert "SCALE = 0.5" in source
    assert ad.export(g) == source  # deterministic


def test_names_that_clash_with_the_helpers_are_renamed(tmp_path):
    g = ad.grad(models.clash)
    source = ad.export(g)
    assert "import numbers\n" in source and "numbers_2 = 3.0" in source
    assert "x * numbers_2" in source


def test_a_recursive_callee_is_exported_with_its_caller():
    g = ad.grad(models.recursive)
    g(W)
    source = ad.export(g)
    assert source.count("\ndef power_fwd_dx(x, n):") == 1
    assert "WEIGHTS = np.array([1.0, -2.0, 0.5], dtype='float64')" in source


def test_export_refuses_what_cannot_be_written_into_a_module():
    with pytest.raises(ad.ADError, match="reads `BOX`, a Box"):
        ad.export(ad.grad(models.reads_object))
    with pytest.raises(ad.ADError, match="not a function generated by ad_compiler"):
        ad.export(models.loss)
    with pytest.raises(ad.ADError, match="call it once, or pass example arguments"):
        ad.export(ad.hessian(models.quad))


def test_export_for_example_arguments_compiles_for_their_kinds():
    h = ad.hessian(models.quad)
    source = ad.export(h, args=(W, V))
    assert "Compiled for arguments of these kinds: x: ndarray[f, 1-d], y: ndarray[f, 1-d]." in source
    generic = ad.export(ad.grad(models.make_scaled(2.0)))
    assert "Compiled for arguments" not in generic


def test_jacobians_and_hessians_take_the_functions_defaults():
    def f(x, scale=3.0):
        return np.sum(np.sin(x)) * scale

    x = np.array([0.1, 0.7])
    np.testing.assert_allclose(ad.hessian(f)(x), np.diag(-3.0 * np.sin(x)), rtol=1e-12)
    np.testing.assert_allclose(ad.jacobian(ad.grad(f))(x), np.diag(-3.0 * np.sin(x)), rtol=1e-12)


def test_every_runtime_helper_can_be_copied_into_a_module():
    """Each name generated code may reach as `_ad.<name>` (runtime.py and the parts it re-exports with
    `import *`) is copied with what it uses, and the copies define it."""
    from ad_compiler import export_helpers

    names = sorted(n for n, v in vars(runtime).items()
                   if not n.startswith("__") and callable(v) and getattr(v, "__module__", "").startswith("ad_compiler.runtime"))
    assert len(names) > 100
    needs_package = []
    for name in names:
        try:
            copied = export_helpers.copy_helpers([name])
        except export_helpers.NotStandalone:
            needs_package.append(name)
            continue
        namespace = dict(copied.imports)
        text = "from __future__ import annotations\n" + "".join(copied.texts)  # (as an exported module has)
        exec(compile(text, f"<copy of {name}>", "exec"), namespace)
        assert name in namespace, name
    ode = [n for n in needs_package if "ode" in n or "ivp" in n or n == "tangent_system"]  # (the ODE solvers')
    assert needs_package and ode == needs_package, needs_package


def test_a_derivative_through_an_ode_solver_is_refused_by_export(tmp_path):
    scipy_integrate = pytest.importorskip("scipy.integrate")

    def decay(y, t, k):
        return -k * y

    def final(k):
        return scipy_integrate.odeint(decay, np.array([1.0]), np.array([0.0, 1.0]), args=(k,))[-1, 0]

    g = ad.grad(final)
    with pytest.raises(ad.ADError, match="compiles derivatives as it runs"):
        ad.export(g, tmp_path / "ode.py", args=(0.5,))


def test_a_table_of_functions_is_written_after_the_functions_it_names():
    """`ACTS = [np.tanh, _soft]`, read by the derivative: NumPy's by name, the user's copied before the table
    (it was refused as "a list, which cannot be written into a module")."""
    g = ad.grad(models.table_in_place)
    g(W.copy())
    source = ad.export(g)
    assert "ACTS = [np.tanh, _soft]" in source
    assert source.index("\ndef _soft(") < source.index("ACTS = [np.tanh, _soft]")


def test_a_dataclass_field_not_given_is_exported_with_its_own_marker(tmp_path):
    """A dataclass made with a `default_factory` field not given: the derivative reads ad_compiler's marker
    of such a field (it was refused as "uses ad_compiler itself at run time"); the module makes its own."""
    g = ad.grad(models.dataclass_factory)
    want = g(W.copy())
    path = tmp_path / "d_dataclass.py"
    source = ad.export(g, path)
    assert "_ad__ad_unset = object()" in source
    spec = importlib.util.spec_from_file_location("d_dataclass", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(module.ddataclass_factory_dx(W.copy()), want, rtol=1e-14)
    x = W.copy()  # (f's own value, as a check that the case differentiates what it says)
    from fd import numeric_grad
    np.testing.assert_allclose(want, numeric_grad(models.dataclass_factory, [x], 0), rtol=1e-6, atol=1e-8)
