"""A module of its own for tests/test_found_hunt19.py: its functions read this module's globals, which the
derivative of a function of another module holds as values (h19-003)."""
import numpy as np

A = 2.0


class Cfg:
    scale = 1.5


cfg = Cfg()


def helper(z):
    return z * A


def scaled(z):
    return np.sin(z * cfg.scale)
