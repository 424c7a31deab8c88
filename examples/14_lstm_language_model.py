"""A character-level LSTM language model, trained a few steps with a compiled gradient through time.

Each step reads 50 characters: an embedding per character, an LSTM cell (a small class, made inside the
loss from the parameters), and the softmax cross-entropy of the next character, with
scipy.special.logsumexp. The gradient of the mean loss over the 50 steps with respect to the dict of
parameters is compiled once; Adam (ad.optim) updates the parameters.
"""
import numpy as np
from scipy.special import logsumexp

import ad_compiler as ad

TEXT = ("the derivative of a program is a program: read it, step through it, and call it in a training "
        "loop. ") * 4


def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def concat_and_multiply(weights, *args):
    cat = np.concatenate(args + (np.ones(1),))
    return cat @ weights


class LSTMCell:
    def __init__(self, params):
        self.W = params["W"]

    def __call__(self, x, h, c):
        i, f, o, g = np.split(concat_and_multiply(self.W, x, h), 4)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, c


def loss(params, tokens):
    cell = LSTMCell(params)
    hidden = params["V"].shape[0]
    h, c = np.zeros(hidden), np.zeros(hidden)
    total = 0.0
    for current, following in zip(tokens[:-1], tokens[1:]):
        h, c = cell(params["embed"][current], h, c)
        logits = h @ params["V"] + params["bias"]
        total = total + logsumexp(logits) - logits[following]
    return total / (len(tokens) - 1)


def init_params(vocab, embed=8, hidden=16, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "embed": 0.5 * rng.standard_normal((vocab, embed)),
        "W": rng.standard_normal((embed + hidden + 1, 4 * hidden)) / np.sqrt(embed + hidden),
        "V": rng.standard_normal((hidden, vocab)) / np.sqrt(hidden),
        "bias": np.zeros(vocab),
    }


def encode(text):
    chars = sorted(set(text))
    return np.array([chars.index(ch) for ch in text]), chars


def main(steps=60, T=50, seed=0):
    tokens, chars = encode(TEXT)
    params = init_params(len(chars), seed=seed)
    value_and_grad = ad.value_and_grad(loss)
    opt = ad.optim.adam(lr=0.02)
    state = opt.init(params)
    rng = np.random.default_rng(seed)
    losses = []
    for step in range(steps):
        start = rng.integers(0, len(tokens) - T - 1)
        value, grads = value_and_grad(params, tokens[start:start + T + 1])
        params, state = opt.step(params, grads, state)
        losses.append(value)
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {value:.4f}  (uniform guess: {np.log(len(chars)):.4f})")
    return losses, params


if __name__ == "__main__":
    main()
