"""Markers users write inside differentiated code: `stop_gradient(x)`, `with no_grad():`, `checkpointed(steps)`
and `checkpoint(f)`.

Run as plain Python they do nothing; the compiler recognizes them (and differentiates nothing through the
first two; the last two change what the derivative saves, not what it computes).
"""
import contextlib
import functools
import types
from typing import Callable, Iterable, Iterator, Optional, TypeVar

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
    constant added to it, as PyTorch's autograd does not record it (an optimizer step). So does a list, dict or
    object: the items appended in the block (or popped from it: `v = lst.pop()`) carry none, the others keep
    theirs, and a name given the very container (`t = self.buf`) is that container.

    ```python
    def loss(w, x):
        with ad.no_grad():
            mean = np.mean(x @ w)    # a constant for the derivative
        return np.sum((x @ w - mean) ** 2)
    ```
    """
    yield


def checkpointed(steps: Iterable[T], every: Optional[int] = None) -> Iterable[T]:
    """Mark a `for` loop of a differentiated function for checkpointing: `for t in ad.checkpointed(range(T)):`.

    Run as plain Python it returns `steps`. In the gradient, the loop's forward sweep saves only the loop's
    variables at the start of every segment of `every` steps (by default about sqrt(T)); the adjoint sweep
    runs each segment forward again, saving what its adjoint reads, then runs that segment's adjoint. The
    memory held for the loop falls from T steps' values to about 2 sqrt(T), for one more forward sweep.
    A checkpointed loop cannot stop early (`break`, `return`), change arrays or lists in place, or be nested
    in another loop: such a loop is refused with an error naming its line.
    """
    return steps


class Checkpointed:
    """A function whose intermediate values a derivative recomputes instead of saving (`ad.checkpoint`)."""

    def __init__(self, func):
        self._func = func
        functools.update_wrapper(self, func)

    @property
    def func(self):
        """The function checkpointed (read-only: derivatives compiled with it inline it, h12-011)."""
        return self._func

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __get__(self, obj, objtype=None):
        """`@ad.checkpoint` on a method: `obj.step` is the checkpointed method bound to obj, as for a plain
        function."""
        if obj is None:
            return self
        return types.MethodType(self, obj)

    def __repr__(self):
        return f"ad.checkpoint({getattr(self.func, '__qualname__', self.func)!s})"


def checkpoint(func: Callable) -> Callable:
    """`ad.checkpoint(f)`: the same function, whose intermediate values a derivative does not keep (JAX's
    `jax.checkpoint`, PyTorch's `torch.utils.checkpoint`). Called inside a differentiated function, its forward
    sweep runs `f` as it is and keeps only its arguments; the adjoint sweep runs f's forward sweep again (now
    saving what f's adjoint reads) just before f's adjoint. Use it as a decorator or wrap a function once::

        @ad.checkpoint
        def block(h, W):
            return np.tanh(h @ W)

    Also on a method (`self.block(h)`). Its result may be changed in place afterwards where `f` returns new
    memory or an argument itself (a view of an argument is refused there: docs/limits.md). Forward mode
    inlines `f`; `ad.grad(ad.checkpoint(f))` is `ad.grad(f)`; with `jit=True` a call of it is refused.
    Run as plain Python it calls `f`.
    """
    if isinstance(func, Checkpointed):
        return func
    if not callable(func):
        raise TypeError(f"ad.checkpoint takes a function, got {type(func).__name__}")
    return Checkpointed(func)
