"""Stopping gradients: `with ad.no_grad():` and `ad.stop_gradient(...)`.

PyTorch:
    x = torch.tensor(1.0, requires_grad=True)
    y1 = x ** 2
    with torch.no_grad():
        y2 = x ** 3
    y3 = y1 + y2
    y3.backward()
    x.grad                  # tensor(2.)  -- only y1 = x**2 contributes: 2x = 2

The values computed under no_grad (or wrapped in stop_gradient) take part in the forward computation
but are constants for differentiation. Without it, dy3/dx would be 2x + 3x^2 = 5.
"""
import ad_compiler as ad


def f_no_grad(x):
    y1 = x ** 2
    with ad.no_grad():           # nothing in this block is differentiated
        y2 = x ** 3
    y3 = y1 + y2
    return y3


def f_stop_gradient(x):
    y1 = x ** 2
    y2 = ad.stop_gradient(x ** 3)    # the value passes, the gradient does not (torch's .detach())
    y3 = y1 + y2
    return y3


def f_plain(x):
    y1 = x ** 2
    y2 = x ** 3
    y3 = y1 + y2
    return y3


def main():
    d_no_grad = ad.grad(f_no_grad)(1.0)
    d_stop = ad.grad(f_stop_gradient)(1.0)
    d_plain = ad.grad(f_plain)(1.0)
    print("y3 =", f_no_grad(1.0))
    print("dy3/dx with no_grad =", d_no_grad)
    print("dy3/dx with stop_gradient =", d_stop)
    print("dy3/dx without either =", d_plain)
    print("\nThe generated derivative: x ** 3 has no adjoint (nor is it computed: grad does not need y3):\n")
    ad.show(ad.grad(f_no_grad))
    return {"no_grad": d_no_grad, "stop_gradient": d_stop, "plain": d_plain}


if __name__ == "__main__":
    main()
