"""Markers users write inside differentiated code: `stop_gradient(x)` and `with no_grad():`.

Run as plain Python they do nothing; the compiler recognizes them and differentiates nothing through them.
"""
import contextlib


def stop_gradient(x):
    """Return `x` unchanged; inside a differentiated function no gradient flows through it (torch's detach)."""
    return x


@contextlib.contextmanager
def no_grad():
    """Inside a differentiated function, nothing assigned in this block carries a gradient."""
    yield
