"""The gradient of a matrix product.

PyTorch:
    mat1 = torch.tensor([[1., 2., 3.]], requires_grad=True)        # 1x3
    mat2 = torch.tensor([[1.], [2.], [3.]], requires_grad=True)    # 3x1
    y = mat1 @ mat2                                                # 1x1, so backward() needs no seed
    y.backward()
    mat1.grad, mat2.grad        # [[1., 2., 3.]], [[1.], [2.], [3.]]

y = sum_k mat1[0, k] * mat2[k, 0], so dy/dmat1 = mat2.T and dy/dmat2 = mat1.T. As in PyTorch, an output
with a single element counts as a scalar for `ad.grad`; the gradients have the shapes of the inputs.
"""
import numpy as np

import ad_compiler as ad


def f(mat1, mat2):
    return mat1 @ mat2


def main():
    mat1 = np.array([[1.0, 2.0, 3.0]])
    mat2 = np.array([[1.0], [2.0], [3.0]])
    dmat1, dmat2 = ad.grad(f, wrt=("mat1", "mat2"))(mat1, mat2)
    print("y =", f(mat1, mat2))
    print("grad of mat1 =", dmat1)
    print("grad of mat2 =", dmat2)
    print("\nThe generated derivative:\n")
    ad.show(ad.grad(f, wrt=("mat1", "mat2")))
    return {"dmat1": dmat1, "dmat2": dmat2}


if __name__ == "__main__":
    main()
