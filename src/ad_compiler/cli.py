"""Command line: print the derivative source of a function.

    ad-compiler path/to/file.py:loss --wrt w1,w2
    ad-compiler package.module:loss --mode vjp
    python -m ad_compiler examples/09_two_layer_net.py:loss --wrt w1,w2
"""
import argparse
import importlib
import importlib.util
import os
import sys

from . import api
from .errors import ADError


def _load(target):
    where, _, attr = target.rpartition(":")
    if not where or not attr:
        raise SystemExit(f"expected FILE.py:FUNCTION or MODULE:FUNCTION, got {target!r}")
    if where.endswith(".py") or os.sep in where:
        path = os.path.abspath(where)
        name = os.path.splitext(os.path.basename(path))[0].replace("-", "_")
        spec = importlib.util.spec_from_file_location(f"_ad_cli_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, os.path.dirname(path))
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, os.getcwd())
        module = importlib.import_module(where)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return getattr(obj, "primal", obj)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ad-compiler", description="Print the generated derivative of a function.")
    parser.add_argument("target", help="FILE.py:FUNCTION or MODULE:FUNCTION")
    parser.add_argument("--wrt", default="0", help="comma-separated argument names or positions (default: 0)")
    parser.add_argument("--mode", choices=["grad", "value_and_grad", "vjp"], default="grad")
    args = parser.parse_args(argv)
    func = _load(args.target)
    items = [int(w) if w.strip().lstrip("-").isdigit() else w.strip() for w in args.wrt.split(",")]
    wrt = tuple(items) if len(items) > 1 else items[0]
    build = {"grad": api.grad, "value_and_grad": api.value_and_grad, "vjp": api.vjp}[args.mode]
    try:
        source = build(func, wrt=wrt).source  # compiled here, for arguments of any kind
    except ADError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(source, end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
