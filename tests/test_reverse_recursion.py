"""Reverse over reverse through recursive functions (issue 9): `ad.grad` of a function calling `ad.grad(f)`, where f
calls itself (or another function calling it back), against central differences of the compiled gradient.

The first-order gradient runs a recursive call's adjoint as a backward closure, which the compiler cannot read
again; code read again gets the derivative without closures (callees.py, readable form): the recursive call runs
as the function itself, its adjoint as the callee's vjp function `power_vjp_dx(x, n, bout)`.
"""
import importlib.util
import sys

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.driver import readable_form
from test_modes import rnd

import test_forward_recursion as T

CASES = [  # (name of a function of test_forward_recursion.py, its arguments; the first is differentiated)
    ("total_smooth_tree", (rnd(1, 4), 3)),  # tree recursion on arrays
    ("power", (1.3, 4)),  # a number
    ("list_product", (rnd(6, 3), [0.5, 1.5, -0.7])),  # recursion over a list
    ("roughness", (rnd(7, 4),)),  # building a list (`+` of a recursive call's result: _ad.plus, times)
    ("even_array", (rnd(8, 3), 4)),  # mutual recursion
    ("loops_around_recursion", (rnd(9, 3),)),  # recursion inside loops, loops inside the recursive function
    ("descent_loss", (rnd(11, 3),)),  # early return
    ("smoothed", (rnd(12, 4),)),  # in-place updates inside the recursive function
    ("leaves_loss", (rnd(13, 2),)),  # returning lists
    ("with_default_by_keyword", (rnd(15, 2),)),  # defaults left out, keywords
    ("pair_product", (rnd(16, 2),)),  # tuples returned and unpacked
]


@pytest.fixture(scope="module")
def mod(tmp_path_factory):
    """`d_<name>(x, v, *rest) = <ad.grad(f)(x, *rest), v>` for each case, in a module ad.grad reads."""
    lines = ["import numpy as np", "import ad_compiler as ad", "import test_forward_recursion as T", ""]
    for name, args in CASES:
        rest = "".join(f", a{i}" for i in range(1, len(args)))
        lines += [f"_g_{name} = ad.grad(T.{name})", "", f"def d_{name}(x, v{rest}):",
                  f"    return np.sum(_g_{name}(x{rest}) * v)", ""]
    path = tmp_path_factory.mktemp("recursion") / "ad_reverse_recursion_cases.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location("ad_reverse_recursion_cases", path)
    m = importlib.util.module_from_spec(spec)
    sys.modules["ad_reverse_recursion_cases"] = m
    spec.loader.exec_module(m)
    yield m
    sys.modules.pop("ad_reverse_recursion_cases", None)


@pytest.mark.parametrize("name, args", CASES, ids=[c[0] for c in CASES])
def test_grad_of_grad_through_recursion(mod, name, args):
    x, rest = args[0], args[1:]
    v = rnd(99, *np.shape(x)) if np.ndim(x) else 0.7
    grad = ad.grad(getattr(T, name))
    eps = 1e-6
    fd = (np.asarray(grad(x + eps * v, *rest)) - np.asarray(grad(x - eps * v, *rest))) / (2 * eps)
    got = ad.grad(getattr(mod, f"d_{name}"))(x, v, *rest)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7)


def test_readable_form_has_no_closures():
    """The gradient users run keeps its backward closures (each level's forward sweep runs once); the form read
    again calls the function itself and the callee's vjp function, and gives the same gradient."""
    g = ad.grad(T.power)
    first = g(1.3, 4)
    compiled = g._ad_derivative.last
    assert "power_fwd_dx(x, " in compiled.source and "def backward(" in compiled.source
    readable = readable_form(compiled)
    assert "def backward(" not in readable.source and "_back" not in readable.source
    assert "def power_vjp_dx(x, n, bout" in readable.source and "power_vjp_dx(x, t" in readable.source
    assert readable(1.3, 4) == pytest.approx(first, rel=1e-14)
