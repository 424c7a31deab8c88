"""The first autograd example: the derivative of a polynomial at a point.

PyTorch:                                    ad_compiler:
    x = torch.tensor(2.0, requires_grad=True)   def f(x): return x * x + 3 * x + 1
    y = x * x + 3 * x + 1                       df = ad.grad(f)
    y.backward()                                df(2.0)            # 7.0
    x.grad                  # tensor(7.)

Instead of recording operations at run time, ad_compiler reads the source of `f` once and writes a new
Python function computing the derivative. dy/dx = 2x + 3, so at x = 2 it is 7.
"""
import ad_compiler as ad


def f(x):
    return x * x + 3 * x + 1


def main():
    df = ad.grad(f)          # compiled once; df is an ordinary Python function
    dydx = df(2.0)           # a Python float in, a Python float out
    print("y     =", f(2.0))
    print("dy/dx =", dydx)
    print("\nThe generated derivative (plain Python you can read, step through or copy):\n")
    ad.show(df)
    return {"y": f(2.0), "dydx": dydx}


if __name__ == "__main__":
    main()
