"""Partial derivatives of a function of two inputs.

PyTorch:
    x1 = torch.tensor(1.0, requires_grad=True); x2 = torch.tensor(2.0, requires_grad=True)
    y = 3 * x1 * x1 + 9 * x2
    y.backward()
    x1.grad, x2.grad        # tensor(6.), tensor(9.)

With ad_compiler you say which arguments to differentiate with `wrt` (positions or names); several give a
tuple of gradients in that order. dy/dx1 = 6 * x1 = 6 and dy/dx2 = 9.
"""
import ad_compiler as ad


def f(x1, x2):
    return 3 * x1 * x1 + 9 * x2


def main():
    dy_dx2 = ad.grad(f, wrt="x2")(1.0, 2.0)                 # one argument, by name
    dy_dx1, dy_dx2_again = ad.grad(f, wrt=(0, 1))(1.0, 2.0)  # both, by position -> a tuple
    print("dy/dx2 =", dy_dx2)
    print("dy/dx1 =", dy_dx1)
    assert dy_dx2 == dy_dx2_again

    print("\nGradient with respect to x1 only (note the adjoint of `9 * x2` is not emitted):\n")
    ad.show(ad.grad(f, wrt="x1"))
    return {"dy_dx1": dy_dx1, "dy_dx2": dy_dx2}


if __name__ == "__main__":
    main()
