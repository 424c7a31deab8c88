"""A recurrent network written with an ordinary Python loop, differentiated by ad_compiler.

The adjoint of the loop is a loop running backwards. The forward sweep saves only what the backward
sweep reads: one hidden state per step (the same as a hand-written backpropagation through time).
"""
import numpy as np

import ad_compiler as ad


def rnn_loss(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U + b)
    return np.sum(h**2)


def make_data(T=50, batch=8, hidden=32, inputs=16, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((inputs, hidden)) * 0.3
    U = rng.standard_normal((hidden, hidden)) * 0.3
    b = np.zeros(hidden)
    xs = rng.standard_normal((T, batch, inputs))
    h0 = np.zeros((batch, hidden))
    return W, U, b, xs, h0


def main():
    dloss = ad.grad(rnn_loss, wrt=("W", "U", "b"))
    print("The generated derivative:\n")
    ad.show(dloss)
    W, U, b, xs, h0 = make_data()
    dW, dU, db = dloss(W, U, b, xs, h0)
    print(f"\nloss = {rnn_loss(W, U, b, xs, h0):.6f}")
    print(f"|dW| = {np.linalg.norm(dW):.6f}  |dU| = {np.linalg.norm(dU):.6f}  |db| = {np.linalg.norm(db):.6f}")
    # a finite-difference spot check of one entry
    eps = 1e-6
    W2 = W.copy()
    W2[0, 0] += eps
    W3 = W.copy()
    W3[0, 0] -= eps
    fd = (rnn_loss(W2, U, b, xs, h0) - rnn_loss(W3, U, b, xs, h0)) / (2 * eps)
    print(f"dW[0, 0] = {dW[0, 0]:.8f}   central difference = {fd:.8f}")


if __name__ == "__main__":
    main()
