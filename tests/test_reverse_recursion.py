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


THIRD = '''
import numpy as np
import ad_compiler as ad
import test_forward_recursion as T


def block(h, W):
    return np.tanh(W @ h)


def chained(W, x):
    h = x
    for _ in range(3):
        h = ad.checkpoint(block)(h, W)
    return np.sum(h ** 2)


def chain(x, n):
    return np.sin(x) if n == 0 else np.tanh(chain(x, n - 1)) * x


def loss(x):
    return np.sum(chain(x, 2) ** 2)


_g = ad.grad(loss)
_gc = ad.grad(chained)


def d(x, v):
    return np.sum(_g(x) * v)


_gd = ad.grad(d)


def e(x, v, u):
    return np.sum(_gd(x, v) * u)


def dc(W, x, V):
    return np.sum(_gc(W, x) * V)
'''


@pytest.fixture(scope="module")
def third(tmp_path_factory):
    path = tmp_path_factory.mktemp("recursion3") / "ad_reverse_recursion_third.py"
    path.write_text(THIRD)
    spec = importlib.util.spec_from_file_location("ad_reverse_recursion_third", path)
    m = importlib.util.module_from_spec(spec)
    sys.modules["ad_reverse_recursion_third"] = m
    spec.loader.exec_module(m)
    yield m
    sys.modules.pop("ad_reverse_recursion_third", None)


def test_third_order_through_recursion(third):
    """ad.grad of <ad.grad(<ad.grad(f), v>), u>: the second derivative holds backward closures in turn, and is
    read again without them."""
    x, v, u = rnd(20, 3), rnd(21, 3), rnd(22, 3)
    eps = 1e-6
    fd = (third._gd(x + eps * u, v) - third._gd(x - eps * u, v)) / (2 * eps)
    np.testing.assert_allclose(ad.grad(third.e)(x, v, u), fd, rtol=1e-6, atol=1e-7)


def test_grad_of_grad_through_a_checkpointed_function(third):
    """A function wrapped in ad.checkpoint is compiled as a callee too: read again, its vjp function."""
    W, x, V, U = rnd(23, 3, 3, scale=0.5), rnd(24, 3), rnd(25, 3, 3), rnd(26, 3, 3)
    eps = 1e-6
    fd = (third._gc(W + eps * U, x) - third._gc(W - eps * U, x)) / (2 * eps)
    got = ad.grad(third.dc)(W, x, V)
    np.testing.assert_allclose(np.sum(got * U), np.sum(fd * V), rtol=1e-6, atol=1e-7)
