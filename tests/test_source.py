"""The generated source is a product surface: readable, deterministic, commented, minimal."""
import ast
import linecache
import traceback

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.driver import GENERIC_HEADER
from ad_compiler import api


def f(x, y):
    z = x * y
    return np.sin(z)


def loss(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    y_pred = h @ w2
    return np.sum((y_pred - y) ** 2)


def test_spec_example_shape():
    src = ad.grad(f, wrt=(0, 1)).source
    assert src.removeprefix(GENERIC_HEADER).startswith("def df_dxy(x, y):")  # (before any call: the header)
    assert "bz = bout * np.cos(z)" in src
    assert "# adjoint of: return np.sin(z)" in src
    assert "# adjoint of: z = x * y" in src
    compile(src, "<test>", "exec")


def test_comments_name_the_source_lines():
    src = ad.grad(loss, wrt=(0, 1)).source
    first = loss.__code__.co_firstlineno
    for offset, text in [(1, "h = np.maximum(x @ w1, 0.0)"), (2, "y_pred = h @ w2"),
                         (3, "return np.sum((y_pred - y) ** 2)")]:
        assert f"# adjoint of: {text}   (line {first + offset})" in src


def test_no_adjoint_for_arguments_not_in_wrt():
    src = ad.grad(loss, wrt="w2").source
    names = {n.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Name)}
    assert "bw2" in names
    assert not {"bw1", "bx", "by"} & names
    # w1's adjoint path (through the relu) is not emitted at all
    assert "max_share" not in src


def test_no_dead_statements():
    tree = ast.parse(ad.grad(loss, wrt="w2").source)
    fdef = tree.body[0]
    assigned = [s.targets[0].id for s in fdef.body if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)]
    used = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert all(a in used for a in assigned), [a for a in assigned if a not in used]


def test_deterministic_across_compilations():
    a = api._build(loss, ("w1", "w2"), "grad").source
    b = api._build(loss, ("w1", "w2"), "grad").source
    assert a == b


def test_user_globals_are_not_touched():
    before = dict(globals())
    ad.grad(f, wrt=(0, 1))(1.0, 2.0)
    assert "_ad" not in globals()
    assert set(globals()) == set(before)


def test_source_is_registered_for_tracebacks():
    g = ad.grad(loss, wrt=(0, 1))
    with pytest.raises(ValueError) as info:
        g(np.ones((2, 3)), np.ones((4, 1)), np.ones((5, 2)), np.ones((5, 1)))  # shapes do not match
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [fr for fr in frames if fr.filename.startswith("<ad_compiler: dloss_dw1_w2")]
    assert generated and generated[-1].line.strip() in g.source
    assert "".join(linecache.getlines(generated[-1].filename)) == g.source  # the very text that ran


def uses_its_own_np(x):
    np = 3.0
    return x * np


def test_without_an_np_alias_generated_code_uses_the_reserved_one(tmp_path, monkeypatch):
    (tmp_path / "no_alias_module.py").write_text(
        "import numpy\n\ndef f(x):\n    return numpy.sum(numpy.sin(x))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import no_alias_module

    g = ad.grad(no_alias_module.f)
    assert "_ad.np.cos" in g.source
    assert "_ad" not in vars(no_alias_module)
    np.testing.assert_allclose(g(np.zeros(2)), [1.0, 1.0])
    assert ad.grad(uses_its_own_np)(2.0) == 3.0


def test_names_do_not_collide_with_user_names():
    g = ad.grad(collide, wrt=(0, 1))
    gx, gbx = g(1.5, 2.0)
    assert gx == pytest.approx(2.0 + 1.0) and gbx == pytest.approx(1.5)


def collide(x, bx):
    t1 = x * bx
    out = t1 + x
    return out


def test_deterministic_across_processes_and_hash_seeds():
    import os
    import subprocess
    import sys

    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import ad_compiler as ad, test_control_flow as c, test_functions as f\n"
        "print(ad.grad(c.rnn, wrt=(0, 1, 2)).source + ad.grad(f.two_layer, wrt=(0, 1)).source"
        " + ad.grad(c.break_and_continue).source)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outs = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1


def _example(name):
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "examples", name)
    spec = importlib.util.spec_from_file_location(name[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Lines of `.source` measured at commit 6739b3e (before the modes work): the README's network 18 (its
# value_and_grad in examples/09: 21), the RNN of examples/10: 47. Second-order support must not make
# first-order code longer.
def test_reverse_mode_source_no_longer_than_before():
    rng = np.random.default_rng(0)
    x, y, w1, w2 = (rng.standard_normal(s) for s in ((6, 5), (6, 3), (5, 4), (4, 3)))
    g = ad.grad(loss, wrt=("w1", "w2"))
    g(w1, w2, x, y)
    assert len(g.source.splitlines()) <= 18, g.source
    net = _example("09_two_layer_net.py")
    g9 = ad.value_and_grad(net.loss_fn, wrt=("w1", "w2"))
    g9(w1, w2, x, y)
    assert len(g9.source.splitlines()) <= 21, g9.source
    rnn = _example("10_rnn_loop.py")
    d = ad.grad(rnn.rnn_loss, wrt=("W", "U", "b"))
    d(*rnn.make_data(T=5))
    assert len(d.source.splitlines()) <= 47, d.source
