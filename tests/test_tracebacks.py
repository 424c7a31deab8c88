"""What users see of exceptions: no compiler internals, the generated lines, the user's line they come from;
specific messages where Python keeps no source (python -c, piped input, the REPL, exec); IPython cells."""
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ad_compiler as ad

HERE = pathlib.Path(__file__).resolve()
PACKAGE = pathlib.Path(ad.__file__).resolve().parent


def line_of(text):
    """The line number of `text` in this file (so that no expected number is copied from the output)."""
    return next(i for i, line in enumerate(HERE.read_text().splitlines(), 1) if text in line)


def frames(exc):
    out, tb = [], exc.__traceback__
    while tb is not None:
        out.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return out


def internal(filename):
    return filename.startswith(str(PACKAGE)) or filename.startswith("<ad_compiler dispatcher")


# Python 3.10 cannot re-raise without adding the frame that re-raises: the public function's own frame
# (ad_compiler/tracebacks.py or a dispatcher) stays, right after the user's; nothing deeper.
EXTRA = 0 if sys.version_info >= (3, 11) else 1


def users_frames(exc):
    """The frames of `exc`'s traceback outside the compiler, after checking that at most the public
    function's own frame is left of it (Python 3.10)."""
    names = frames(exc)
    inside = [i for i, f in enumerate(names) if internal(f)]
    assert len(inside) <= EXTRA and all(i == 1 for i in inside), names
    return [f for f in names if not internal(f)]


def loss(w, x):
    h = x @ w  # the forward line that fails
    return np.sum(np.tanh(h))


def refused(x):
    return np.sum(np.fft.hfft(x))


def with_try(x):
    try:
        return x * 2.0
    except ValueError:
        return x


def test_an_error_of_grad_ends_at_the_users_call():
    with pytest.raises(ad.UnsupportedError) as info:
        ad.grad(with_try)
    assert set(users_frames(info.value)) == {str(HERE)}
    with pytest.raises(ad.ADError) as info:
        ad.grad(loss, wrt="nope")
    assert set(users_frames(info.value)) == {str(HERE)} and "no argument named 'nope'" in str(info.value)


def test_an_error_at_the_first_call_or_in_source_ends_at_the_users_call():
    g = ad.grad(refused)
    with pytest.raises(ad.NoDerivativeError) as info:
        g(np.ones(3))
    assert set(users_frames(info.value)) == {str(HERE)}
    assert info.value.__suppress_context__
    with pytest.raises(ad.NoDerivativeError) as info:
        ad.grad(refused).source
    assert set(users_frames(info.value)) == {str(HERE)}
    with pytest.raises(ad.NonScalarOutputError) as info:
        ad.vjp(loss)(np.ones(3), np.ones((2, 3)), np.ones(5))  # a seed of the wrong shape
    assert set(users_frames(info.value)) == {str(HERE)}


def test_internal_frames_are_kept_with_AD_COMPILER_DEBUG(monkeypatch):
    monkeypatch.setenv("AD_COMPILER_DEBUG", "1")
    with pytest.raises(ad.NoDerivativeError) as info:
        ad.grad(refused)(np.ones(3))
    assert any(f.startswith(str(PACKAGE)) for f in frames(info.value))


def test_an_error_in_the_forward_sweep_shows_the_generated_line_and_names_the_users_line():
    g = ad.grad(loss)
    with pytest.raises(ValueError) as info:
        g(np.ones(3), np.ones((2, 4)))
    names = users_frames(info.value)
    assert names[0] == str(HERE)
    generated = [f for f in names if f.startswith("<ad_compiler: dloss_dw")]
    assert generated
    import linecache

    tb = info.value.__traceback__
    while tb.tb_frame.f_code.co_filename not in generated:
        tb = tb.tb_next
    assert linecache.getline(generated[0], tb.tb_lineno).strip() == "h = x @ w"
    if sys.version_info >= (3, 11):
        note = "\n".join(info.value.__notes__)
        assert "the forward sweep of" in note and "h = x @ w" in note
        assert f'File "{HERE}", line {line_of("# the forward line that fails")}, in loss' in note


def boom(x):
    return x * 2.0


def _fails(x):
    raise FloatingPointError("the adjoint of boom failed")


@ad.defvjp(boom)
def boom_vjp(x):
    bx = g * _fails(x)


def uses_boom(x):
    y = np.sin(x)
    return np.sum(boom(y))  # the statement whose adjoint fails


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are new in Python 3.11")
def test_an_error_in_the_adjoint_sweep_names_the_statement():
    with pytest.raises(FloatingPointError) as info:
        ad.grad(uses_boom)(np.ones(2))
    note = "\n".join(info.value.__notes__)
    assert "the adjoint of" in note and "return np.sum(boom(y))" in note
    assert f"line {line_of('# the statement whose adjoint fails')}, in uses_boom" in note


def test_derivatives_compiled_for_other_kinds_keep_their_own_lines():
    def scaled(x):
        return np.sum(x * 2.0)

    g = ad.grad(scaled)
    g(1.0)
    first = g._ad_derivative.last
    g(np.ones(2))
    second = g._ad_derivative.last
    assert first.__code__.co_filename != second.__code__.co_filename
    import linecache

    for f in (first, second):
        assert "".join(linecache.getlines(f.__code__.co_filename)) == f._ad_text


def run(code, *args, stdin=None):
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=HERE.parent)


UNCAUGHT = """
import numpy as np
import ad_compiler as ad


def loss(w, x):
    h = x @ w
    return np.sum(np.tanh(h))


ad.grad(loss)(np.ones(3), np.ones((2, 4)))
"""


def test_an_uncaught_error_prints_the_generated_line(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(UNCAUGHT)
    proc = run(None, str(script))
    assert proc.returncode == 1
    err = proc.stderr
    assert 'File "<ad_compiler: dloss_dw of' in err
    generated = err.split('File "<ad_compiler: dloss_dw of', 1)[1].splitlines()
    assert generated[1].strip() == "h = x @ w"
    assert "ValueError: matmul" in err and "ad_compiler/" not in err.replace(str(script), "")
    if sys.version_info >= (3, 11):
        assert f'File "{script}", line 7, in loss' in err


DEFINE_AND_DIFFERENTIATE = "import ad_compiler as ad\ndef f(x):\n    return x * x\n\nprint(ad.grad(f)(1.0))\n"


@pytest.mark.parametrize("how, says, hint", [
    ("-c", "`python -c` code", "write the code to a file"),
    ("stdin", "standard input (piped to `python`)", "save the code to a file"),
    ("repl", "typed at the interactive prompt", "define the function in a file and import it"),
])
def test_no_source_messages_say_what_to_do(how, says, hint):
    if how == "-c":
        proc = run(None, "-c", DEFINE_AND_DIFFERENTIATE)
    elif how == "stdin":
        proc = run(None, stdin=DEFINE_AND_DIFFERENTIATE)
    else:
        proc = run(None, "-i", "-q", stdin=DEFINE_AND_DIFFERENTIATE)
    if "SourceUnavailableError" not in proc.stderr and sys.version_info >= (3, 13):
        assert proc.stdout.strip() == "2.0"  # Python 3.13 keeps the source of `-c` code and of the REPL
        return
    assert "SourceUnavailableError" in proc.stderr
    assert says in proc.stderr and f"Hint: {hint}" in proc.stderr
    internal_lines = [line for line in proc.stderr.splitlines() if str(PACKAGE) in line]
    assert len(internal_lines) <= EXTRA, proc.stderr  # no internal frames (3.10: the public function's)


def test_exec_of_a_string_says_what_to_do():
    namespace = {}
    exec(compile("def f(x):\n    return x * x\n", "<made>", "exec"), namespace)
    with pytest.raises(ad.SourceUnavailableError, match=r"made from a string \(<made>"):
        ad.grad(namespace["f"])(1.0)


def test_ipython_cells_work_and_show_no_internals():
    pytest.importorskip("IPython")
    out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import contextlib, io
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance(colors="nocolor")
        cells = ["import numpy as np\\nimport ad_compiler as ad\\n\\ndef loss(w, x):\\n    h = x @ w\\n"
                 "    return np.sum(np.tanh(h))\\n",
                 "print(ad.grad(loss)(np.zeros(3), np.ones((2, 3))))",
                 "ad.grad(loss)(np.ones(3), np.ones((2, 4)))",
                 "def bad(x):\\n    return np.sum(np.fft.hfft(x))\\n\\nad.grad(bad)(np.ones(3))"]
        for cell in cells:
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                shell.run_cell(cell)
            print(buf.getvalue())
            print("=====")
    """)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    ok, forward, refused_ = out.stdout.split("=====")[1:4]
    assert "[2. 2. 2.]" in ok  # d/dw sum(tanh(x @ w)) at w = 0 is the column sums of x
    assert "h = x @ w" in forward
    if sys.version_info >= (3, 11):
        assert "the forward sweep of" in forward and "line 5, in loss" in forward
    assert "NoDerivativeError" in refused_ and "line 2, column 19, in bad" in refused_
    for text in (forward, refused_):
        assert str(PACKAGE) not in text and text.count("dispatcher") <= EXTRA


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are new in Python 3.11")
def test_an_error_raised_through_the_guard_of_a_call_like_the_last_one_reads_as_on_the_first_call():
    """unchanged.guard calls the derivative itself (from the third call of a kind); its frame is the
    dispatcher's (hidden), and the note still names the user's statement."""
    g = ad.grad(uses_boom)
    seen = []
    for _ in range(4):
        with pytest.raises(FloatingPointError) as info:
            g(np.ones(2))
        seen.append((users_frames(info.value), "\n".join(info.value.__notes__)))
    assert g._ad_guard.__code__.co_filename.startswith("<ad_compiler dispatcher")
    assert all(s == seen[0] for s in seen) and "return np.sum(boom(y))" in seen[0][1]
    assert not any("guard" in f for f in seen[0][0])
