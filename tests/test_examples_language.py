"""The examples of issue 10 (12: a Gaussian process, 13: an LSTM language model, 14: a damped oscillator
fitted through its integrator) run, and their gradients agree with central finite differences; their
printed results agree with independent computations."""
import importlib.util
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import ad_compiler as ad
from test_modes import assert_close, fd_grad

pytest.importorskip("scipy")
ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location("example_" + name[:2], EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name):
    proc = subprocess.run([sys.executable, f"examples/{name}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def number_after(out, label):
    return float(re.search(re.escape(label) + r"\s*=\s*([-+0-9.eE]+)", out).group(1))


def test_gaussian_process_gradient_and_fit():
    gp = load("13_gaussian_process.py")
    X, y = gp.make_data(25)
    for theta in (np.log([1.0, 1.0, 0.5]), np.log([0.3, 2.0, 0.05])):
        got = ad.grad(gp.neg_log_marginal_likelihood)(theta, X, y)
        assert_close(got, fd_grad(gp.neg_log_marginal_likelihood, [theta, X, y], 0), rtol=1e-6,
                     what="gradient of the negative log marginal likelihood")
    out = run("13_gaussian_process.py")
    length_scale, signal_var, noise_var = (number_after(out, k) for k in ("length scale", "signal variance",
                                                                            "noise variance"))
    X, y = gp.make_data()
    # the printed optimum, recomputed independently (np.linalg, no Cholesky): the printed value, and a minimum
    sq = (X[:, None, 0] - X[None, :, 0]) ** 2
    K = signal_var * np.exp(-0.5 * sq / length_scale ** 2) + noise_var * np.eye(len(X))
    nlml = 0.5 * y @ np.linalg.solve(K, y) + 0.5 * np.linalg.slogdet(K)[1] + 0.5 * len(X) * np.log(2 * np.pi)
    fitted = float(re.search(r"fitted ([-0-9.]+)", out).group(1))
    assert nlml == pytest.approx(fitted, abs=2e-3)
    g = ad.grad(gp.neg_log_marginal_likelihood)(np.log([length_scale, signal_var, noise_var]), X, y)
    assert np.max(np.abs(g)) < 0.05  # (printed to 4-5 digits: the gradient there is near zero)
    assert 0.003 < noise_var < 0.03  # the data's noise: 0.1 ** 2


def test_lstm_language_model_gradient_and_training():
    lm = load("14_lstm_language_model.py")
    tokens, chars = lm.encode("abcab cabba")
    params = lm.init_params(len(chars), embed=3, hidden=4, seed=1)
    got = ad.grad(lm.loss)(params, tokens)
    expected = fd_grad(lm.loss, [params, tokens], 0)
    assert set(got) == set(params)
    assert_close(got, expected, rtol=1e-5, what="gradient of the LSTM's loss")
    losses, _ = lm.main(steps=25, T=50)
    assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5])


def test_damped_oscillator_gradient_and_fit():
    osc = load("15_damped_oscillator.py")
    y0, dt, observed = osc.make_data(n_steps=40)
    for p in (np.array([1.7, 0.3]), np.array([2.2, 0.05])):
        got = ad.grad(osc.loss)(p, y0, dt, observed)
        assert_close(got, fd_grad(osc.loss, [p, y0, dt, observed], 0), rtol=1e-6, what="gradient through time")
        got_y0 = ad.grad(osc.loss, wrt="y0")(p, y0, dt, observed)
        assert_close(got_y0, fd_grad(osc.loss, [p, y0, dt, observed], 1), rtol=1e-6, what="w.r.t. the start")
    out = run("15_damped_oscillator.py")
    assert number_after(out, "omega") == pytest.approx(2.0, abs=0.01)
    assert number_after(out, "zeta") == pytest.approx(0.1, abs=0.01)
