"""The command line prints a derivative's source."""
import subprocess
import sys

from ad_compiler import cli


def test_cli_prints_the_derivative(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\n\n\ndef loss(w, x):\n    return np.sum(np.tanh(x @ w))\n")
    assert cli.main([f"{path}:loss", "--wrt", "w"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def dloss_dw(w, x):") and "np.tanh" in out


def test_cli_reports_errors(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text("import numpy as np\n\n\ndef loss(x):\n    return np.sum(np.fft.hfft(x))\n")
    assert cli.main([f"{path}:loss"]) == 1
    err = capsys.readouterr().err
    assert "no derivative is known" in err and "line 5" in err


def test_module_entry_point(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f(x):\n    return x * x\n")
    out = subprocess.run([sys.executable, "-m", "ad_compiler", f"{path}:f"], capture_output=True, text=True,
                         check=True).stdout
    assert "def df_dx(x):" in out
