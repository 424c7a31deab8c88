"""Found by index25 (indexing, stores through indices and views, NumPy's exact semantics): each program gives
the derivatives central differences give, or a located refusal. Findings: /work/index25/findings.md."""
import numpy as np
import pytest

import ad_compiler as ad
from fd import check_grad, numeric_grad

X = np.array([[0.13, -0.13, 0.64, 0.10],
              [-0.54, 0.36, 1.30, 0.95],
              [-0.70, -1.27, -0.62, 0.04]])


# -- ix-001: jit=True, a store by an index array beside a slice (`y[1:, m] = v`) was printed as the call
# `_ad.jit.store_fancy(y, (1:, m), v)`: a SyntaxError (a crash, not located) at the first call --

def slice_beside_mask_store(x):
    y = x * 1.0
    m = np.array([True, False, True, True])
    y[1:, m] = x[:2, :3] ** 2
    return np.sum(y ** 3)


def test_ix001_jit_store_by_array_beside_slice():
    pytest.importorskip("numba")
    check_grad(slice_beside_mask_store, (X.copy(),), jit=True)
