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


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ad_compiler", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_version_and_help_with_examples():
    import ad_compiler

    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"ad-compiler {ad_compiler.__version__}"
    helped = run_cli("--help")
    assert helped.returncode == 0
    assert "show" in helped.stdout and "export" in helped.stdout and "examples:" in helped.stdout
    assert "--mode" in run_cli("show", "--help").stdout and "--output" in run_cli("export", "--help").stdout


def test_missing_file_or_function_is_one_line_and_status_2(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f(x):\n    return x * x\n")
    for target in ["nowhere.py:f", f"{path}:g", "no_such_module_here:f", "no_colon"]:
        proc = run_cli("show", target)
        assert proc.returncode == 2, (target, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    bad_mode = run_cli("show", f"{path}:f", "--mode", "nonsense")
    assert bad_mode.returncode == 2 and "Traceback" not in bad_mode.stderr


def test_modes(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\n\n\ndef f(x, y):\n    return np.sum(np.sin(x) * y)\n")
    expected_heads = {"grad": "def df_dx(x, y):", "value_and_grad": "def value_and_df_dx(x, y):",
                      "vjp": "def vjp_f_dx(x, y, bout):", "jvp": "def jvp_f_dx(x, y, dx):"}
    for mode, head in expected_heads.items():
        assert cli.main(["show", f"{path}:f", "--mode", mode]) == 0
        assert capsys.readouterr().out.startswith(head), mode
    assert cli.main(["show", f"{path}:f", "--mode", "hessian"]) == 2
    assert "--args" in capsys.readouterr().err
    assert cli.main(["show", f"{path}:f", "--mode", "hessian", "--args", "np.ones(3), np.ones(3)"]) == 0
    assert "def jacfwd_df_dx_dx(x, y):" in capsys.readouterr().out
    assert cli.main(["show", f"{path}:f", "--wrt", "x,y"]) == 0
    assert capsys.readouterr().out.startswith("def df_dxy(x, y):")


def test_export_subcommand_writes_a_standalone_module(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("import numpy as np\n\n\ndef loss(w, x):\n    return np.sum(np.tanh(x @ w) ** 2)\n")
    out = tmp_path / "dloss.py"
    proc = run_cli("export", f"{path}:loss", "--wrt", "w", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    check = ("import sys\nsys.modules['ad_compiler'] = None\nimport numpy as np\nimport dloss\n"
             "w, x = np.array([0.1, -0.2]), np.array([[1.0, 2.0], [3.0, -1.0]])\n"
             "t = np.tanh(x @ w)\nprint(np.allclose(dloss.dloss_dw(w, x), x.T @ (2 * t * (1 - t ** 2))))\n")
    ran = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + check],
                         capture_output=True, text=True, timeout=60)
    assert ran.stdout.strip() == "True", ran.stderr


def test_the_examples_in_the_docstring_and_help_work(tmp_path):
    """Every `ad-compiler ...` line of cli.py's docstring and of --help runs (from the repository root)."""
    import shlex

    lines = [line.strip() for line in (cli.__doc__ + cli.EXAMPLES).splitlines()]
    commands = [line.split("  (")[0] for line in lines if line.startswith(("ad-compiler ", "python -m ad_compiler "))]
    assert len(commands) >= 8
    for command in commands:
        words = shlex.split(command.replace("dloss.py", str(tmp_path / "dloss.py")))
        words = words[3:] if words[0] == "python" else words[1:]
        proc = run_cli(*words)
        assert proc.returncode == 0, (command, proc.stderr)
        assert proc.stdout.startswith("def ") or "wrote" in proc.stderr, command
