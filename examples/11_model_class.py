"""A small model class trained with a compiled gradient over a dict of parameters.

The loss is split into methods and helper functions, parameters live in a dict; ad_compiler compiles
every function on the path (one derivative per callee) and returns the gradient as a dict too.
"""
import numpy as np

import ad_compiler as ad


def dense(x, w, b):
    return x @ w + b


def activation(z):
    return np.tanh(z)


class Regressor:
    """y ~ dense(tanh(dense(x)))"""

    def __init__(self, n_in, n_hidden, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {
            "w1": rng.standard_normal((n_in, n_hidden)) * 2.0,
            "b1": rng.standard_normal(n_hidden),
            "w2": rng.standard_normal((n_hidden, 1)) * 0.5,
            "b2": np.zeros(1),
        }

    @staticmethod
    def predict(params, x):
        h = activation(dense(x, params["w1"], params["b1"]))
        return dense(h, params["w2"], params["b2"])[:, 0]

    @staticmethod
    def loss(params, x, y):
        return np.mean((Regressor.predict(params, x) - y) ** 2)

    def fit(self, x, y, steps=300, lr=0.1):
        value_and_grad = ad.value_and_grad(Regressor.loss)  # compiled once, cached
        losses = []
        for step in range(steps):
            value, grads = value_and_grad(self.params, x, y)
            for k in self.params:
                self.params[k] -= lr * grads[k]
            losses.append(value)
        return losses


def main(steps=300):
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=(128, 1))
    y = np.sin(2 * x[:, 0]) + 0.1 * rng.standard_normal(128)
    model = Regressor(1, 16)
    losses = model.fit(x, y, steps=steps)
    for step in range(0, steps, max(steps // 5, 1)):
        print(f"step {step:4d}  loss {losses[step]:.5f}")
    print(f"step {steps:4d}  loss {losses[-1]:.5f}")
    print("\nThe gradient, with one derivative per function it calls:\n")
    ad.show(ad.value_and_grad(Regressor.loss))
    return losses


if __name__ == "__main__":
    main()
