"""Workloads of issue 10 for benchmarks/run.py: the gradient of a Gaussian process's log marginal likelihood
(N=200, three hyper-parameters) and of an LSTM language model's loss over T=50 steps, each beside a
hand-written NumPy gradient (checked against central finite differences by tests/test_benchmarks_language.py).

    python benchmarks/run.py --workloads gp,lstm --clock cpu
"""
import numpy as np
from scipy.linalg import cho_solve, cholesky


# -- the Gaussian process -------------------------------------------------------------------------------------
def gp_nlml(log_params, X, y):
    """The negative log marginal likelihood of a GP with a squared-exponential kernel."""
    length_scale, signal_var, noise_var = np.exp(log_params)
    n = X.shape[0]
    sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(X ** 2, axis=1)[None, :] - 2.0 * X @ X.T
    K = signal_var * np.exp(-0.5 * sq / length_scale ** 2) + noise_var * np.eye(n)
    L = cholesky(K, lower=True)
    alpha = cho_solve((L, True), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2.0 * np.pi)


def gp_grad_hand(log_params, X, y):
    """d nlml / d log_params = 0.5 tr((K^-1 - alpha alpha^T) dK/dtheta) * theta (Rasmussen & Williams 5.9)."""
    ell, sf2, sn2 = np.exp(log_params)
    n = X.shape[0]
    sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(X ** 2, axis=1)[None, :] - 2.0 * X @ X.T
    E = np.exp(-0.5 * sq / ell ** 2)
    K = sf2 * E + sn2 * np.eye(n)
    L = cholesky(K, lower=True)
    alpha = cho_solve((L, True), y)
    W = cho_solve((L, True), np.eye(n)) - np.outer(alpha, alpha)
    SE = sf2 * E
    return 0.5 * np.array([np.sum(W * SE * sq) / ell ** 2, np.sum(W * SE), np.trace(W) * sn2])


def gp_args(N=200, D=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(N, D))
    y = np.sin(X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.standard_normal(N)
    return (np.log(np.array([0.8, 1.3, 0.05])), X, y)


# -- the LSTM -----------------------------------------------------------------------------------------------------
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def log_softmax(logits):
    """Stable: the largest logit of each row subtracted first."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def lstm_loss(W, b, V, xs, targets):
    """The mean softmax cross-entropy of the next token over T steps of an LSTM (batch B)."""
    T, B, _ = xs.shape
    H = V.shape[0]
    h = np.zeros((B, H))
    c = np.zeros((B, H))
    rows = np.arange(B)
    total = 0.0
    for t in range(T):
        z = np.concatenate([xs[t], h], axis=1) @ W + b
        i = sigmoid(z[:, :H])
        f = sigmoid(z[:, H:2 * H])
        o = sigmoid(z[:, 2 * H:3 * H])
        g = np.tanh(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        total = total - np.sum(log_softmax(h @ V)[rows, targets[t]])
    return total / (T * B)


def lstm_grad_hand(W, b, V, xs, targets):
    """Backpropagation through time, written out."""
    T, B, I_ = xs.shape
    H = V.shape[0]
    rows = np.arange(B)
    h, c = np.zeros((B, H)), np.zeros((B, H))
    saved = []
    for t in range(T):
        xh = np.concatenate([xs[t], h], axis=1)
        z = xh @ W + b
        i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 2 * H:3 * H])
        g = np.tanh(z[:, 3 * H:])
        c_prev = c
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        logits = h @ V
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        saved.append((xh, i, f, o, g, c_prev, tc, h, p))
    dW, db, dV = np.zeros_like(W), np.zeros_like(b), np.zeros_like(V)
    dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
    scale = 1.0 / (T * B)
    for t in range(T - 1, -1, -1):
        xh, i, f, o, g, c_prev, tc, h, p = saved[t]
        dlogits = p.copy()
        dlogits[rows, targets[t]] -= 1.0
        dlogits *= scale
        dV += h.T @ dlogits
        dh = dlogits @ V.T + dh_next
        do = dh * tc
        dc = dh * o * (1.0 - tc ** 2) + dc_next
        dz = np.concatenate([dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), do * o * (1.0 - o),
                             dc * i * (1.0 - g ** 2)], axis=1)
        dc_next = dc * f
        dW += xh.T @ dz
        db += dz.sum(axis=0)
        dh_next = dz @ W[I_:].T
    return dW, db, dV


def lstm_args(T=50, B=32, I_=32, H=64, vocab=50, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((I_ + H, 4 * H)) / np.sqrt(I_ + H)
    b = np.zeros(4 * H)
    V = rng.standard_normal((H, vocab)) / np.sqrt(H)
    xs = rng.standard_normal((T, B, I_))
    targets = rng.integers(0, vocab, size=(T, B))
    return (W, b, V, xs, targets)


def workloads(Workload):
    """The two workloads, as run.py's Workload objects."""
    return [
        Workload("gp", "Gaussian process, N=200, D=3: grad of the negative log marginal likelihood wrt "
                       "(log length scale, log signal variance, log noise variance)",
                 gp_nlml, gp_grad_hand, gp_args(), ("log_params",), (0,)),
        Workload("lstm", "LSTM language model, T=50, batch 32, input 32, hidden 64, vocabulary 50, softmax "
                         "cross-entropy: grad wrt (W, b, V)",
                 lstm_loss, lstm_grad_hand, lstm_args(), ("W", "b", "V"), (0, 1, 2)),
    ]
