"""The derivative printed in README.md is what the compiler generates (a snapshot that must stay true)."""
import pathlib
import re

import numpy as np

import ad_compiler as ad

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def loss(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    y_pred = h @ w2
    return np.sum((y_pred - y) ** 2)


def test_readme_tour_shows_the_generated_source():
    text = README.read_text()
    block = text.split("prints\n\n```python\n", 1)[1].split("```", 1)[0]
    dloss = ad.grad(loss, wrt=("w1", "w2"))
    rng = np.random.default_rng(0)
    dloss(rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((5, 3)),
          rng.standard_normal((5, 2)))
    generated = dloss.source
    def strip(s):
        return re.sub(r"\(line \d+\)", "(line N)", s)
    assert strip(block) == strip(generated)
