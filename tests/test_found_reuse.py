"""Facts about values carried along the generated code that must hold on every path (helper "reuse": buffers
the adjoint sweep writes into, what the tape saves, across branches, loop heads, `break`s). Each expected value
is from central differences of the program (tests/fd.py). Findings: /work/reuse/findings.md (rw-NNN)."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import desugar_statements
from fd import check_grad


# -- rw-001: statements after `if c: break else: ...` in a loop body ---------------------------------------------
# The desugarer puts what follows an `if` that may `break` into the branches that go on; a pass that leaves a
# statement after it (inline_choice.at_end works around it) made the adjoint of the `break`'s iteration undo that
# statement too: the value carried out by the `break` got a zero adjoint (`if t1: bh_1 = 0.0`), and the tape popped
# what the iteration did not push. The shape is made here by desugaring such ifs without moving what follows.

def while_then_count(x):
    h = x * 1.0
    k = 0
    while True:
        if np.sum(h) > 2.0 or k >= 3:
            break
        else:
            h = np.sin(h) + x
        k += 1
    return np.sum(h * h)


def for_then_index(x):
    h = x * 1.0
    for i in range(4):
        if np.sum(h) > 2.0:
            break
        else:
            h = np.sin(h) + x
        c = i + 1
    return np.sum(h * h) + c


def number_then_index(x):
    h = x * 1.0
    for i in range(4):
        if h > 2.0:
            break
        else:
            h = np.sin(h) + x
        c = i + 1
    return h * h + c


@pytest.fixture
def statements_after_break(monkeypatch):
    exits = desugar_statements.exits
    monkeypatch.setattr(desugar_statements, "exits", lambda s: exits(s) and not s.orelse)


@pytest.mark.parametrize("f, x", [(while_then_count, np.array([0.3, 0.5, 0.4])),
                                  (for_then_index, np.array([0.3, 0.5, 0.4])), (number_then_index, 1.2)],
                         ids=["while", "for", "number"])
def test_rw_001_statement_after_a_break_test(statements_after_break, f, x):
    check_grad(f, (x,))
