"""Realistic programs mixing the constructs: each gradient against central finite differences."""
import numpy as np
import pytest

from fd import check_grad

rng = np.random.default_rng(3)


def A(*s):
    return rng.standard_normal(s)


def softmax_xent(logits, labels):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    logp = z - lse
    return -np.mean(logp[np.arange(logits.shape[0]), labels])

def layer_norm(x, g, b):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum((xhat * g + b) ** 2)

def attention(q, k, v):
    s = np.einsum('id,jd->ij', q, k) / np.sqrt(q.shape[1])
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p = p / p.sum(axis=1, keepdims=True)
    return np.sum(np.einsum('ij,jd->id', p, v) ** 2)

def conv1d(x, w):
    n = x.shape[0] - w.shape[0] + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(x[i:i + w.shape[0]] * w)
    return np.sum(np.tanh(out))

def gru_like(x, W):
    h = np.zeros(W.shape[1])
    hs = []
    for t in range(x.shape[0]):
        z = 1.0 / (1.0 + np.exp(-(x[t] @ W)))
        h = z * h + (1 - z) * np.tanh(x[t] @ W)
        hs.append(h)
    return np.sum(np.stack(hs, axis=0).mean(axis=0))

def newton_sqrt(a):
    x = a
    for _ in range(20):
        x = 0.5 * (x + a / x)
    return x

def piecewise(x):
    y = np.where(x > 0, x ** 2, -x)
    return np.sum(np.clip(y, 0.1, 2.0))

def cumulative(x):
    c = np.cumsum(x)
    return np.sum(c * c) + np.prod(x[:3]) + np.linalg.norm(x)

CASES = [
    (softmax_xent, (A(4, 5), np.array([0, 2, 1, 4])), 0),
    (layer_norm, (A(3, 6), A(6), A(6)), (0, 1, 2)),
    (attention, (A(3, 4), A(5, 4), A(5, 4)), (0, 1, 2)),
    (conv1d, (A(8), A(3)), (0, 1)),
    (gru_like, (A(4, 3), A(3, 2)), (0, 1)),
    (newton_sqrt, (2.0,), 0),
    (piecewise, (A(6),), 0),
    (cumulative, (A(5),), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_realistic_program(f, args, wrt):
    check_grad(f, args, wrt=wrt)
