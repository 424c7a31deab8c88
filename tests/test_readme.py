"""The derivative printed in README.md is what the compiler generates for the README's own code, line numbers
included (a snapshot that must stay true)."""
import importlib.util
import pathlib

import numpy as np

import ad_compiler as ad

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tour_shows_the_generated_source(tmp_path):
    text = README.read_text()
    tour = text.split("## A short tour\n\n```python\n", 1)[1].split("```", 1)[0]
    code = tour.split("\ndloss = ", 1)[0]  # the imports and the function, as a user's file would hold them
    assert code.startswith("import numpy as np\n") and "def loss(" in code
    path = tmp_path / "readme_tour.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("readme_tour", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    block = text.split("prints\n\n```python\n", 1)[1].split("```", 1)[0]
    dloss = ad.grad(module.loss, wrt=("w1", "w2"))
    rng = np.random.default_rng(0)
    dloss(rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((5, 3)),
          rng.standard_normal((5, 2)))
    assert block == dloss.source


def test_the_line_numbers_are_those_of_the_tour():
    text = README.read_text()
    tour = text.split("## A short tour\n\n```python\n", 1)[1].split("```", 1)[0].splitlines()
    block = text.split("prints\n\n```python\n", 1)[1].split("```", 1)[0]
    for statement in ["return np.sum((y_pred - y) ** 2)", "y_pred = h @ w2", "h = np.maximum(x @ w1, 0.0)"]:
        line = next(i for i, t in enumerate(tour, 1) if t.strip() == statement)
        assert f"# adjoint of: {statement}   (line {line})" in block
