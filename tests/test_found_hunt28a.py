"""Found by hunt28a (stop 28: issue 11's optimisations of the generated code: loop batching, buffers written in
place, masked adjoints, float fast paths, the tape's typed first values, lead26's ownership of list adjoints):
each program gives the derivatives central differences give, or a located refusal."""
import numpy as np
import pytest

import ad_compiler as ad

X = np.array([0.3, -0.2, 0.5])


# -- h28a-001: abs of a bool argument (True, np.True_, a 0-d bool array) crashed every mode with NumPy's
# "ufunc 'sign' did not contain a loop" (the real form's masked multiply `_ad.abs_vjp` took np.sign of the bool);
# its gradient is None, its tangent 0, as for any bool --

def abs_of_flag(a, x):
    return abs(a) * np.sum(x) + np.abs(a) * x[0]


@pytest.mark.parametrize("a", [True, np.bool_(True), np.array(False)])
def test_abs_of_a_bool_argument(a):
    assert ad.grad(abs_of_flag)(a, X) is None
    value, tangent = ad.jvp(abs_of_flag)(a, X, 1.0)
    assert value == pytest.approx(abs_of_flag(a, X)) and tangent == 0.0
    assert ad.hvp(abs_of_flag)(a, X, 1.0) is None
    assert np.allclose(ad.grad(abs_of_flag, wrt=1)(a, X), [float(a) * 2.0, float(a), float(a)])
