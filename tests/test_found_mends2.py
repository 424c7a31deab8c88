"""Found by mends2 (small trust items after objects3): each program gives the derivatives central differences
give, or a located refusal. /work/mends2/findings.md has the entries (m2-NNN)."""
import numpy as np
import pytest

import ad_compiler as ad

X = np.array([0.35, -0.7, 0.61])


# -- m2-001: a method changing its list taken as a value (`f = L.append; f(v)`, `map(L.append, xs)`): its calls
# went unseen, the derivative missed the items appended (a WRONG gradient, no error); now refused at the line --

def append_through_a_name(x):
    L = []
    f = L.append
    f(x[0] ** 2)
    return np.sum(x) + sum(L, 0.0)


def append_through_map(x):
    L = []
    for _ in map(L.append, [x[0], x[1]]):
        pass
    return np.sum(x) + sum(L, 0.0)


@pytest.mark.parametrize("f", [append_through_a_name, append_through_map])
def test_m2_001_changing_method_taken_as_a_value_is_refused(f):
    with pytest.raises(ad.ADError, match=r"method `\.append` taken as a value"):
        ad.grad(f)(X.copy())
