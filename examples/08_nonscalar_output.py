"""The MXNet autograd example: the gradient of a non-scalar output, summed first.

MXNet:
    x = np.arange(10).reshape(2, 5)
    x.attach_grad()
    with autograd.record():
        y = 2 * np.dot(x.T, x)          # 5x5, not a scalar
    y.backward()                        # MXNet sums y first
    x.grad                              # [[40]*5, [140]*5]

d/dx sum(2 x^T x) = 4 x (ones(5, 5)), so each row of the gradient is 4 times the row sum of x:
4 * 10 = 40 and 4 * 35 = 140. With ad_compiler there are two equivalent ways: differentiate the summed
function with `ad.grad`, or take the vector-Jacobian product of the 5x5 function with a seed of ones.
"""
import numpy as np

import ad_compiler as ad


def y_summed(x):
    return np.sum(2 * np.dot(x.T, x))


def y_matrix(x):
    return 2 * np.dot(x.T, x)


def main():
    x = np.arange(10.0).reshape(2, 5)            # float input
    g_sum = ad.grad(y_summed)(x)
    g_vjp = ad.vjp(y_matrix)(x, np.ones((5, 5)))  # the seed of ones does the summing
    print("grad (summed first) =", g_sum)
    print("grad (vjp, seed of ones) =", g_vjp)

    x_int = np.arange(10).reshape(2, 5)          # an integer array works too: the gradient is float
    g_int = ad.grad(y_summed)(x_int)
    print("integer input: x.dtype =", x_int.dtype, " grad.dtype =", g_int.dtype)
    print("grad (integer input) =", g_int)

    print("\nThe generated derivative of the summed function:\n")
    ad.show(ad.grad(y_summed))
    return {"summed": g_sum, "vjp": g_vjp, "int": g_int}


if __name__ == "__main__":
    main()
