"""Call shapes of scipy.signal.convolve / correlate (rules/signal.py; only with SciPy)."""
import scipy.signal  # noqa: F401  (skipped by collect() without SciPy)

from . import C

PAIRS = [((6,), (3,)), ((3,), (5,)), ((4, 5), (2, 3)), ((3, 4), (3, 2))]

CASES = {
    f"scipy.signal.{name}": [C(f"signal.{name}(a, b, mode='{mode}')", sa, sb) for mode in ("full", "valid", "same")
                             for sa, sb in PAIRS]
    + [C(f"signal.{name}(a, b)", (2, 3, 3), (2, 2, 1)), C(f"signal.{name}(a, b, method='fft')", (7,), (4,))]
    for name in ("convolve", "correlate")
}
DOMAINS = {}
