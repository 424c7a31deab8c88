"""A module that shadows builtins at module level (issue #8, bug 14): code generated for the functions
defined here runs with these globals, so it must not depend on the builtins' names."""
import numpy as np

len = 2.0  # noqa: A001
range = None  # noqa: A001
reversed = None  # noqa: A001
max = 3.0  # noqa: A001
min = 1.0  # noqa: A001
sum = 0.5  # noqa: A001
float = 4.0  # noqa: A001
slice = None  # noqa: A001
zip = None  # noqa: A001
isinstance = None  # noqa: A001


def loop_over_rows(x, rows):
    total = 0.0
    for r in rows:
        total = total + np.sum(r * x)
    return 2.0 * total + np.sum(x ** 2)
