"""A non-scalar output: the vector-Jacobian product (torch's y.backward(v)).

PyTorch:
    x = torch.tensor([1., 2., 3., 4.], requires_grad=True)
    y = 2 * x
    z = y.view(2, 2)
    v = torch.tensor([[1.0, 0.1], [0.01, 0.001]])
    z.backward(v)
    x.grad                  # [2.0, 0.2, 0.02, 0.002]

`ad.grad` needs a scalar output. For a non-scalar output use `ad.vjp(f)`: the generated function takes
the same arguments plus a `seed` shaped like the output and returns seed^T J, here 2 * v.ravel().
"""
import numpy as np

import ad_compiler as ad


def f(x):
    y = 2 * x
    z = y.reshape(2, 2)
    return z


def main():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    v = np.array([[1.0, 0.1], [0.01, 0.001]])
    vjp_f = ad.vjp(f)            # vjp_f(x, seed)
    dx = vjp_f(x, v)
    print("z =", f(x).tolist())
    print("grad of x =", dx)

    try:                         # grad refuses a non-scalar output and points to vjp
        ad.grad(f)(x)
    except ad.ADError as err:
        print("\nad.grad(f) raised", str(err).splitlines()[0])

    print("\nThe generated vector-Jacobian product (the seed arrives as `bout`):\n")
    ad.show(vjp_f)
    return {"dx": dx}


if __name__ == "__main__":
    main()
