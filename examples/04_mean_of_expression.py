"""The PyTorch "autograd in 60 minutes" example: a few elementwise operations and a mean.

PyTorch:
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    x.grad                  # [[4.5, 4.5], [4.5, 4.5]]

out = mean(3 (x + 2)^2), so d out/dx_i = 6 (x_i + 2) / 4 = 4.5 at x_i = 1.
"""
import numpy as np

import ad_compiler as ad


def f(x):
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return out


def main():
    x = np.ones((2, 2))
    dout_dx = ad.grad(f)(x)
    print("out =", f(x))
    print("d out/dx =", dout_dx)
    print("\nThe generated derivative: the adjoint of each line, in reverse order:\n")
    ad.show(ad.grad(f))
    return {"out": f(x), "dout_dx": dout_dx}


if __name__ == "__main__":
    main()
