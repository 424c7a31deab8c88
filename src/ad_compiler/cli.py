"""The `ad-compiler` command: print a function's generated derivative, or export it as a standalone module.

    ad-compiler show examples/09_two_layer_net.py:loss_fn --wrt w1,w2
    ad-compiler export examples/09_two_layer_net.py:loss_fn --wrt w1,w2 -o dloss.py
    ad-compiler show examples/05_vector_jacobian_product.py:f --mode vjp
    python -m ad_compiler examples/01_polynomial.py:f       (no subcommand: `show`)
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from . import __version__, api, jacobians
from .errors import ADError
from .exporter import export, specialize
from .driver import GENERIC_HEADER

MODES = {
    "grad": api.grad, "value_and_grad": api.value_and_grad, "vjp": api.vjp, "jvp": api.jvp, "hvp": jacobians.hvp,
    "hessian": jacobians.hessian, "jacobian": jacobians.jacobian, "jacfwd": jacobians.jacfwd,
    "jacrev": jacobians.jacrev,
}
AT_FIRST_CALL = ("hessian", "jacobian", "jacfwd", "jacrev")  # compiled for the kinds of their arguments

EXAMPLES = """\
examples:
  ad-compiler show examples/09_two_layer_net.py:loss_fn --wrt w1,w2
      print the gradient of loss_fn with respect to w1 and w2
  ad-compiler export examples/09_two_layer_net.py:loss_fn --wrt w1,w2 -o dloss.py
      write it as dloss.py, a module that runs without ad_compiler (needs NumPy only)
  ad-compiler show examples/05_vector_jacobian_product.py:f --mode vjp
      the vector-Jacobian product (the derivative takes the seed as a last argument)
  ad-compiler show examples/01_polynomial.py:f --mode hessian --args "np.ones(3)"
      a Hessian is compiled for the kinds of example arguments (a Python expression; np is NumPy)
  ad-compiler examples/01_polynomial.py:f
      without a subcommand: show

TARGET is FILE.py:FUNCTION or MODULE:FUNCTION (an importable module, e.g. mypkg.model:loss).
Exit status: 0 on success, 1 when ad_compiler refuses the function (the message says where and why),
2 for a usage error (a missing file or function, a bad option).
"""


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit status 2."""


def _load(target):
    where, _, attr = target.rpartition(":")
    if not where or not attr:
        raise UsageError(f"expected FILE.py:FUNCTION or MODULE:FUNCTION, got {target!r}")
    if where.endswith(".py") or os.sep in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise UsageError(f"no such file: {where}")
        name = os.path.splitext(os.path.basename(path))[0].replace("-", "_").replace(".", "_")
        spec = importlib.util.spec_from_file_location(f"_ad_cli_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, os.path.dirname(path))
        _run_user_code(lambda: spec.loader.exec_module(module), where)
    else:
        sys.path.insert(0, os.getcwd())
        try:
            module = _run_user_code(lambda: importlib.import_module(where), where)
        except ModuleNotFoundError as exc:
            raise UsageError(f"no module named {exc.name!r}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{where} has no function {attr!r}")
        obj = getattr(obj, part)
    return getattr(obj, "primal", obj)


def _run_user_code(run, where):
    try:
        return run()
    except ModuleNotFoundError:
        raise
    except Exception as exc:
        raise UsageError(f"importing {where} raised {type(exc).__name__}: {exc}") from None


def _wrt(text):
    items = [int(w) if w.strip().lstrip("-").isdigit() else w.strip() for w in text.split(",")]
    return tuple(items) if len(items) > 1 else items[0]


def _example_args(text):
    if text is None:
        return None
    import numpy as np

    try:
        value = eval(text, {"np": np, "numpy": np})  # the user's own expression, as on a Python prompt
    except Exception as exc:
        raise UsageError(f"--args {text!r}: {type(exc).__name__}: {exc}") from None
    return value if isinstance(value, tuple) else (value,)


def _specialize(g, example, ns):
    """Compile g for the example arguments; arguments that do not fit its parameters are a usage error."""
    import inspect

    try:
        inspect.signature(g).bind(*example)
    except TypeError as exc:
        if ns.mode in ("vjp", "jvp", "hvp"):
            extra = {"vjp": "the seed (the output's adjoint)", "jvp": "the tangent", "hvp": "the vector v"}[ns.mode]
            why = f"--mode {ns.mode} takes the function's arguments and then {extra}"
        else:
            why = "give one example for each of the function's arguments"
        raise UsageError(f"--args {ns.args!r} does not fit {g.__name__}{_shown_signature(g)}: {exc} ({why})") \
            from None
    specialize(g, example)


def _shown_signature(g):
    import inspect

    try:
        return str(inspect.signature(g))
    except (TypeError, ValueError):
        return "(...)"


def parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("target", help="FILE.py:FUNCTION or MODULE:FUNCTION")
    common.add_argument("--wrt", default="0", help="comma-separated argument names or positions (default: 0)")
    common.add_argument("--mode", choices=list(MODES), default="grad", help="which derivative (default: grad)")
    common.add_argument("--args", metavar="EXPR", help="example arguments, a Python expression (np is NumPy): "
                        "compile for their kinds (needed for hessian and jacobian modes)")
    top = argparse.ArgumentParser(prog="ad-compiler", epilog=EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  description="Generate the derivative of a Python/NumPy function as readable "
                                              "Python: print it, or export it as a standalone module.")
    top.add_argument("--version", action="version", version=f"ad-compiler {__version__}")
    sub = top.add_subparsers(dest="command", metavar="{show,export}")
    sub.add_parser("show", parents=[common], help="print the generated derivative",
                   description="Print the generated derivative of a function.")
    exp = sub.add_parser("export", parents=[common], help="write the derivative as a standalone module",
                         description="Write the derivative as one module that runs without ad_compiler.")
    exp.add_argument("-o", "--output", required=True, help="the file to write (e.g. dloss.py)")
    return top


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in ("show", "export"):
        argv.insert(0, "show")  # the original form: ad-compiler FILE.py:FUNCTION --wrt a,b
    p = parser()
    ns = p.parse_args(argv)
    if ns.command is None:
        p.print_help()
        return 2
    try:
        func = _load(ns.target)
        example = _example_args(ns.args)
        if example is None and ns.mode in AT_FIRST_CALL:
            raise UsageError(f"--mode {ns.mode} is compiled for the kinds of its arguments: pass example "
                             "arguments with --args, e.g. --args \"np.ones(3)\"")
        g = MODES[ns.mode](func, wrt=_wrt(ns.wrt))
        if example is not None:
            _specialize(g, example, ns)
        if ns.command == "export":
            export(g, ns.output)
            print(f"wrote {ns.output}", file=sys.stderr)
        else:
            source = g.source  # compiled here, for arguments of any kind unless --args is given
            if source.startswith(GENERIC_HEADER):  # (its header names the Python API: say it for the command)
                source = source[len(GENERIC_HEADER):]
                print("ad-compiler: the derivative for arguments of any kind; --args EXPR shows the code a call "
                      "with those arguments runs", file=sys.stderr)
            print(source, end="")
    except UsageError as exc:
        print(f"ad-compiler: error: {exc}", file=sys.stderr)
        return 2
    except ADError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
