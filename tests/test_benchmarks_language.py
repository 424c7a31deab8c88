"""The hand-written gradients the issue-10 benchmarks compare with (benchmarks/language.py) are right: they
agree with central finite differences (small sizes), and so does ad_compiler's."""
import pathlib
import sys

import numpy as np
import pytest

import ad_compiler as ad
from test_modes import assert_close, fd_grad

pytest.importorskip("scipy")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "benchmarks"))
import language  # noqa: E402


def test_gaussian_process_hand_gradient():
    args = language.gp_args(N=30, D=2)
    expected = fd_grad(language.gp_nlml, list(args), 0)
    assert_close(language.gp_grad_hand(*args), expected, rtol=1e-6, what="hand-written GP gradient")
    assert_close(ad.grad(language.gp_nlml)(*args), expected, rtol=1e-6, what="ad_compiler GP gradient")


def test_lstm_hand_gradient():
    args = language.lstm_args(T=4, B=3, I_=2, H=3, vocab=5)
    expected = fd_grad(language.lstm_loss, list(args), (0, 1, 2))
    assert_close(tuple(language.lstm_grad_hand(*args)), tuple(expected), rtol=1e-6, what="hand-written BPTT")
    got = ad.grad(language.lstm_loss, wrt=("W", "b", "V"))(*args)
    assert_close(tuple(got), tuple(expected), rtol=1e-6, what="ad_compiler LSTM gradient")
