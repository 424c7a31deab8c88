"""The generated code shown in the docs is what the compiler generates (snapshots that must stay true)."""
import importlib.util
import pathlib
import re

import numpy as np

import ad_compiler as ad

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_control_flow_doc_shows_the_rnn_derivative():
    spec = importlib.util.spec_from_file_location("rnn_example", ROOT / "examples" / "10_rnn_loop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "control-flow.md").read_text()
    marker = '`ad.grad(rnn_loss, wrt=("W", "U", "b")).source`:\n\n```python\n'
    block = text.split(marker, 1)[1].split("```", 1)[0]
    g = ad.grad(module.rnn_loss, wrt=("W", "U", "b"))
    g(*module.make_data(T=3))  # compiled for these arguments: arrays
    generated = g.source
    assert re.sub(r"\(line \d+\)", "", block) == re.sub(r"\(line \d+\)", "", generated)


def test_programs_doc_shows_the_derivative_with_its_callees():
    from test_functions import two_layer

    text = (ROOT / "docs" / "programs.md").read_text()
    marker = "    return mse(linear(h, w2, b=0.5), y)\n```\n\n```python\n"
    block = text.split(marker, 1)[1].split("```", 1)[0]
    g = ad.grad(two_layer, wrt=(0, 1))
    rng = np.random.default_rng(0)
    g(rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((5, 4)),
      rng.standard_normal((5, 2)))
    generated = g.source
    assert re.sub(r"\(line \d+\)", "", block) == re.sub(r"\(line \d+\)", "", generated)
