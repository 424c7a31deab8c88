"""A module of its own for tests/test_found_modes25.py: a function with a rule whose template reads this
module's global `W`, which the tests rebind (m25-001)."""
import numpy as np

import ad_compiler as ad
from ad_compiler.rules import g

W = np.array([[1.0, 2.0], [3.0, 4.0]])


def model(x):
    return W @ x


@ad.defvjp(model)
def model_rule(x):
    bx = W.T @ g


@ad.defjvp(model)
def model_tangent(x):
    dans = W @ dx  # noqa: F821 (a template's tangent placeholder)
