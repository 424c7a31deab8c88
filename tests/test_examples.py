"""The nine tutorial examples (examples/01..09) run and print the tutorials' numbers.

Expected values come from the tutorials (i.e. from the math), never from our own output. Each example is
checked twice: run as a script (`python examples/NN_name.py` from the repo root) with its printed numbers
parsed, and imported with `main()`'s returned values compared.
"""
import importlib.util
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def load(name):
    spec = importlib.util.spec_from_file_location("example_" + name[:2], EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(name):
    """Run `python examples/<name>` from the repo root, as a user would; returns stdout."""
    proc = subprocess.run([sys.executable, f"examples/{name}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def printed(out, label):
    """The numbers printed after `label =` (a scalar, or a possibly multi-line numpy array)."""
    match = re.search(re.escape(label) + r"\s*=\s*", out)
    assert match, f"{label!r} not printed:\n{out}"
    rest = out[match.end():]
    if rest.startswith("["):
        depth = 0
        for i, ch in enumerate(rest):
            depth += {"[": 1, "]": -1}.get(ch, 0)
            if depth == 0:
                rest = rest[:i + 1]
                break
    else:
        rest = rest.splitlines()[0]
    return np.array([float(n) for n in NUMBER.findall(rest)])


# (script, {printed label: expected numbers from the tutorial})
PRINTED = [
    ("01_polynomial.py", {"dy/dx": [7.0]}),
    ("02_two_inputs.py", {"dy/dx2": [9.0], "dy/dx1": [6.0]}),
    ("03_matrix_product.py", {"grad of mat1": [1, 2, 3], "grad of mat2": [1, 2, 3]}),
    ("04_mean_of_expression.py", {"d out/dx": [4.5] * 4}),
    ("05_vector_jacobian_product.py", {"grad of x": [2, 0.2, 0.02, 0.002]}),
    ("06_no_grad.py", {"dy3/dx with no_grad": [2.0], "dy3/dx with stop_gradient": [2.0],
                       "dy3/dx without either": [5.0]}),
    ("07_gradient_accumulation.py", {"grad of m": [0, 4, 8], "grad of h": [1, 1, 1], "accumulated": [1, 5, 9]}),
    ("08_nonscalar_output.py", {"grad (summed first)": [40] * 5 + [140] * 5,
                                "grad (vjp, seed of ones)": [40] * 5 + [140] * 5,
                                "grad (integer input)": [40] * 5 + [140] * 5}),
]


@pytest.mark.parametrize("name, expected", PRINTED, ids=[p[0] for p in PRINTED])
def test_script_prints_the_tutorial_numbers(name, expected):
    out = run_script(name)
    for label, numbers in expected.items():
        np.testing.assert_allclose(printed(out, label), numbers, rtol=1e-12, atol=1e-12, err_msg=label)


@pytest.mark.parametrize("name", [p[0] for p in PRINTED if p[0] != "07_gradient_accumulation.py"])
def test_script_shows_generated_source(name):
    out = run_script(name)
    assert re.search(r"^def \w+\(", out, re.M), out
    assert "# adjoint of:" in out


def test_01_polynomial():
    result = load("01_polynomial.py").main()
    assert result["dydx"] == 7.0 and isinstance(result["dydx"], float)
    assert result["y"] == 11.0


def test_02_two_inputs():
    result = load("02_two_inputs.py").main()
    assert result["dy_dx2"] == 9.0 and result["dy_dx1"] == 6.0
    assert isinstance(result["dy_dx1"], float) and isinstance(result["dy_dx2"], float)


def test_03_matrix_product():
    result = load("03_matrix_product.py").main()
    np.testing.assert_array_equal(result["dmat1"], [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(result["dmat2"], [[1.0], [2.0], [3.0]])
    assert result["dmat1"].shape == (1, 3) and result["dmat2"].shape == (3, 1)


def test_04_mean_of_expression():
    result = load("04_mean_of_expression.py").main()
    assert result["out"] == 27.0
    np.testing.assert_array_equal(result["dout_dx"], np.full((2, 2), 4.5))


def test_05_vector_jacobian_product():
    module = load("05_vector_jacobian_product.py")
    result = module.main()
    np.testing.assert_allclose(result["dx"], [2.0, 0.2, 0.02, 0.002], rtol=1e-15)
    assert result["dx"].shape == (4,)
    with pytest.raises(module.ad.ADError, match="vjp"):
        module.ad.grad(module.f)(np.array([1.0, 2.0, 3.0, 4.0]))


def test_06_no_grad():
    module = load("06_no_grad.py")
    result = module.main()
    assert result == {"no_grad": 2.0, "stop_gradient": 2.0, "plain": 5.0}
    assert module.f_no_grad(1.0) == 2.0  # the no_grad block still runs forward
    g = module.ad.grad(module.f_no_grad)
    assert g(1.0) == 2.0
    src = g.source  # for a float: the value of y3 is not needed, so x ** 3 is not even computed
    assert "x ** 3" not in src and "adjoint of: y2" not in src and "adjoint of: y1 = x ** 2" in src


def test_07_gradient_accumulation():
    result = load("07_gradient_accumulation.py").main()
    np.testing.assert_array_equal(result["dm"], [0.0, 4.0, 8.0])
    np.testing.assert_array_equal(result["dh"], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(result["accumulated"], [1.0, 5.0, 9.0])
    np.testing.assert_allclose(result["minibatch_sum"], result["full_batch"], rtol=1e-12, atol=1e-12)


def test_08_nonscalar_output():
    result = load("08_nonscalar_output.py").main()
    expected = np.array([[40.0] * 5, [140.0] * 5])
    for key in ("summed", "vjp", "int"):
        np.testing.assert_array_equal(result[key], expected, err_msg=key)
    assert np.issubdtype(result["int"].dtype, np.floating)


def test_09_two_layer_net_loss_falls():
    module = load("09_two_layer_net.py")
    losses = module.train(steps=60, verbose=False)
    assert len(losses) == 60 and all(np.isfinite(losses))
    assert losses[-1] < 1e-3 * losses[0]
    # SGD on this non-convex loss may wobble for the first few steps, then falls steadily
    assert all(b < a for a, b in zip(losses[5:], losses[6:]))


def test_09_two_layer_net_gradient_matches_hand_written_backprop():
    """The compiled gradient equals the tutorial's hand-written NumPy backpropagation."""
    module = load("09_two_layer_net.py")
    x, y, w1, w2 = module.make_data()
    loss, (dw1, dw2) = module.ad.value_and_grad(module.loss_fn, wrt=("w1", "w2"))(w1, w2, x, y)
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    np.testing.assert_allclose(loss, np.square(y_pred - y).sum(), rtol=1e-12)
    np.testing.assert_allclose(dw1, grad_w1, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(dw2, grad_w2, rtol=1e-10, atol=1e-8)


def test_09_two_layer_net_script_end_to_end():
    out = run_script("09_two_layer_net.py")
    assert "def value_and_dloss_fn_dw1_w2(" in out
    steps = [int(s) for s in re.findall(r"^step\s+(\d+)\s+loss", out, re.M)]
    assert steps == [0, 100, 200, 300, 400]
    losses = [float(v) for v in re.findall(r"loss\s+(" + NUMBER.pattern + ")", out)]
    assert len(losses) == 6  # steps 0..400 and the final loss
    assert all(b < a for a, b in zip(losses, losses[1:]))  # every 100 steps, and the final
    assert losses[-1] < 1e-3 * losses[0]
