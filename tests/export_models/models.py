"""Functions whose derivatives tests/test_export.py exports (kept in a file: their source is read)."""
import dataclasses
import math

import numpy as np

SCALE = 0.5
WEIGHTS = np.array([1.0, -2.0, 0.5])


def linear(w, x, b=0.25):
    return x @ w + b


def loss(w, x, scale=2.0):
    return np.sum(np.tanh(linear(w, x)) ** 2) * scale * SCALE


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def recursive(w):
    return np.sum(power(w, 3) * WEIGHTS)


def vector(x):
    return np.sin(x) * x[::-1] + math.pi


def quad(x, y):
    return np.sum(x ** 2 * y[0]) + np.sum(x) * np.sum(y ** 3)


def with_aux(w):
    return np.sum(w ** 2), {"norm": np.sqrt(np.sum(w ** 2))}


def make_scaled(k):
    def scaled(x):
        return np.sum(x * k) ** 2
    return scaled


numbers = 3.0  # a global with the name of a module the runtime helpers import


def clash(x):
    return np.sum(x * numbers) ** 2


class Box:
    def __init__(self, factor):
        self.factor = factor


BOX = Box(2.0)


def reads_object(x):
    return np.sum(x * BOX.factor)


def loop_sum(x):
    scale = 2.0
    total = 0.0
    for i in range(x.shape[0]):  # the tape keeps each `total`
        total = total + x[i] * scale
    return total * np.sum(x) / 3.0


def linalg_family(x, A):
    """Helpers that live in runtime_linalg / runtime_fft / runtime_arrays (runtime.py re-exports them)."""
    S = A @ A.T + np.eye(3)
    L = np.linalg.cholesky(S)
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    return np.sum(np.log(np.diag(L))) + np.linalg.norm(x) + np.sum(spectrum) + np.einsum("ij,j->", A, x[:3])


def tree_out(x):
    return {"s": np.sin(x), "pair": (np.sum(x ** 2), x[:2] * 3.0)}


def det_power(a):
    """Adjoints whose helpers runtime.py re-exports from runtime_linalg.py (`from .runtime_linalg import *`)."""
    return np.sum(np.linalg.det(a) ** 2) + np.sum(np.linalg.matrix_power(a, -2))


def _soft(v):
    return np.log1p(np.exp(v))


ACTS = [np.tanh, _soft]  # a table of functions: written into the module, the user's copied before it


def table_in_place(x):
    x *= 2.0  # (an argument changed in place: the derivative checks it is no item of ACTS)
    return np.sum(ACTS[1](x)) + np.sum(ACTS[0](x) * x)


@dataclasses.dataclass
class Acc:
    scale: float = 2.0
    buf: list = dataclasses.field(default_factory=list)  # (not given: the derivative tests a marker)


def dataclass_factory(x):
    x *= 1.5  # (an argument changed in place: the derivative checks it is not the marker of a field not given)
    acc = Acc()
    acc.buf.append(x * acc.scale)
    return np.sum(acc.buf[0] ** 2)
