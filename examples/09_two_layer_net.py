"""A two-layer network trained with SGD, using the compiled gradient (the PyTorch "learning PyTorch with
examples" network: N, D_in, H, D_out = 64, 1000, 100, 10).

PyTorch:
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad; w2 -= learning_rate * w2.grad
        w1.grad.zero_(); w2.grad.zero_()

With ad_compiler the loss is a plain NumPy function; `ad.value_and_grad` compiles (once) a function
returning the loss and the gradients of w1 and w2 in one call. The training loop is ordinary Python and
is not differentiated; there are no gradients to zero.
"""
import numpy as np

import ad_compiler as ad

N, D_in, H, D_out = 64, 1000, 100, 10   # batch size, input, hidden and output dimensions


def loss_fn(w1, w2, x, y):
    h = x @ w1
    # relu, written with NumPy
    h_relu = np.maximum(h, 0.0)
    y_pred = h_relu @ w2
    return np.sum((y_pred - y) ** 2)


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_in))
    y = rng.standard_normal((N, D_out))
    w1 = rng.standard_normal((D_in, H))
    w2 = rng.standard_normal((H, D_out))
    return x, y, w1, w2


def train(steps=500, learning_rate=1e-6, verbose=True):
    """Run `steps` SGD steps; returns the loss at each step (before its update)."""
    x, y, w1, w2 = make_data()
    loss_and_grads = ad.value_and_grad(loss_fn, wrt=("w1", "w2"))
    losses = []
    for t in range(steps):
        loss, (dw1, dw2) = loss_and_grads(w1, w2, x, y)
        losses.append(float(loss))
        if verbose and t % 100 == 0:
            print(f"step {t:3d}  loss {loss:.6g}")
        w1 -= learning_rate * dw1
        w2 -= learning_rate * dw2
    if verbose:
        print(f"final     loss {loss_fn(w1, w2, x, y):.6g}  (after {steps} steps)")
    return losses


def main(steps=500):
    print("The generated loss-and-gradient function:\n")
    ad.show(ad.value_and_grad(loss_fn, wrt=("w1", "w2")))
    print()
    return train(steps)


if __name__ == "__main__":
    main()
