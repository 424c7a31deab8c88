"""Markers users write inside differentiated code: `stop_gradient(x)` and `with no_grad():`.

Run as plain Python they do nothing; the compiler recognizes them and differentiates nothing through them.
"""
import contextlib
from typing import Iterator, TypeVar

T = TypeVar("T")


def stop_gradient(x: T) -> T:
    """Return `x` unchanged; inside a differentiated function no gradient flows through it (PyTorch's
    `x.detach()`).

    ```python
    def loss(w, x):
        scale = ad.stop_gradient(np.max(np.abs(w)))   # a constant for the derivative
        return np.sum((x @ w) / scale)
    ```
    """
    return x


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside a differentiated function, nothing assigned in this block carries a gradient (PyTorch's
    `with torch.no_grad():`). Run as plain Python it does nothing.

    An array changed in place in the block (`w -= lr * g`, `y[0] = c`) keeps its derivative: the change is a
    constant added to it, as PyTorch's autograd does not record it (an optimizer step).

    ```python
    def loss(w, x):
        with ad.no_grad():
            mean = np.mean(x @ w)    # a constant for the derivative
        return np.sum((x @ w - mean) ** 2)
    ```
    """
    yield
