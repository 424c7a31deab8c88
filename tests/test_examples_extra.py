"""The loop example (10) and the model-class example (11) run and do what they say."""
import importlib.util
import pathlib
import subprocess
import sys

import numpy as np

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace(".py", ""), EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rnn_loop_example_matches_finite_differences():
    out = subprocess.run([sys.executable, str(EXAMPLES / "10_rnn_loop.py")], capture_output=True, text=True,
                         check=True).stdout
    assert "for t in reversed(range(" in out
    line = [line for line in out.splitlines() if line.startswith("dW[0, 0] =")][0]
    got, fd = float(line.split()[3]), float(line.split()[-1])
    assert abs(got - fd) < 1e-5 * max(1.0, abs(fd))


def test_model_class_example_trains_over_a_dict_of_parameters():
    module = load("11_model_class.py")
    losses = module.main(steps=200)
    assert losses[-1] < 0.1 * losses[0]
    model = module.Regressor(1, 4)
    grads = module.ad.grad(module.Regressor.loss)(model.params, np.ones((3, 1)), np.zeros(3))
    assert isinstance(grads, dict) and set(grads) == set(model.params)
