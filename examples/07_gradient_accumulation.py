"""Gradient accumulation, and why there is nothing to zero.

PyTorch accumulates into x.grad:
    x = torch.arange(3.0, requires_grad=True)
    m = 2 * torch.dot(x, x); m.backward(); x.grad      # [0., 4., 8.]
    h = x.sum();             h.backward(); x.grad      # [1., 5., 9.]  -- accumulated!
    x.grad.zero_()                                     # so you must zero it between steps

ad_compiler's gradient functions are pure: each call returns a fresh array and nothing is stored on x,
so each gradient comes out unaccumulated ([0, 4, 8], then [1, 1, 1]). When you DO want accumulation,
for instance summing the gradients of several minibatches before one update, you add them up yourself,
starting from zeros (that is the "zero_grad").
"""
import numpy as np

import ad_compiler as ad


def m(x):
    return 2 * np.dot(x, x)


def h(x):
    return x.sum()


def minibatch_loss(w, xb, yb):
    return np.sum((xb @ w - yb) ** 2)


def main():
    x = np.arange(3.0)
    dm = ad.grad(m)
    dh = ad.grad(h)
    print("grad of m =", dm(x))        # 4x
    print("grad of h =", dh(x))        # ones

    acc = np.zeros_like(x)             # "zero the gradient": start from zeros
    acc += dm(x)
    acc += dh(x)
    print("accumulated =", acc)

    # Accumulating over minibatches: the gradient of a sum of losses is the sum of their gradients.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3))
    Y = rng.standard_normal(8)
    w = rng.standard_normal(3)
    dloss = ad.grad(minibatch_loss)
    acc_w = np.zeros_like(w)           # zeroed once per update, not per minibatch
    for start in range(0, 8, 2):       # four minibatches of two rows
        acc_w += dloss(w, X[start:start + 2], Y[start:start + 2])
    full = dloss(w, X, Y)              # the gradient on the whole batch at once
    print("minibatch sum   =", acc_w)
    print("full batch grad =", full)
    return {"dm": dm(x), "dh": dh(x), "accumulated": acc, "minibatch_sum": acc_w, "full_batch": full}


if __name__ == "__main__":
    main()
