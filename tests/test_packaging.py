"""Packaging: one version, py.typed, typed public API, metadata, a changelog, no internal notes in help()."""
import importlib.metadata
import inspect
import pathlib
import pydoc
import re
import sys

import pytest

import ad_compiler as ad

ROOT = pathlib.Path(__file__).resolve().parent.parent
PUBLIC_FUNCTIONS = ["grad", "value_and_grad", "vjp", "jvp", "hessian", "hvp", "jacobian", "jacfwd", "jacrev",
                    "show", "clear_cache", "export", "stop_gradient", "no_grad", "tree_map", "tree_flatten",
                    "tree_unflatten", "ravel", "defvjp", "defjvp", "defvjp_method", "defvjp_attribute",
                    "nondifferentiable"]


def pyproject():
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once():
    project = pyproject()["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ad_compiler.__version__"}
    assert importlib.metadata.version("ad-compiler") == ad.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", ad.__version__)


def test_metadata_and_changelog():
    project = pyproject()["project"]
    assert any(c.startswith("Programming Language :: Python :: 3.1") for c in project["classifiers"])
    assert "Typing :: Typed" in project["classifiers"]
    assert {"Documentation", "Source", "Changelog"} <= set(project["urls"])
    assert set(project["optional-dependencies"]) >= {"test", "docs", "notebook"}
    assert project["dependencies"] == ["numpy>=1.23", "astor>=0.8"]  # anything else is an optional extra
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## {ad.__version__}" in changelog


def test_py_typed_is_shipped():
    assert (pathlib.Path(ad.__file__).parent / "py.typed").is_file()
    assert "py.typed" in pyproject()["tool"]["setuptools"]["package-data"]["ad_compiler"]


def test_the_public_api_is_typed_and_documented():
    for name in PUBLIC_FUNCTIONS:
        func = getattr(ad, name)
        func = inspect.unwrap(func)
        sig = inspect.signature(func)
        assert sig.return_annotation is not inspect.Signature.empty, name
        for p in sig.parameters.values():
            assert p.annotation is not inspect.Parameter.empty, (name, p.name)
        assert func.__doc__ and len(func.__doc__) > 40, name
    for name in ["sgd", "momentum", "adam"]:
        assert inspect.signature(getattr(ad.optim, name)).return_annotation is not inspect.Signature.empty


@pytest.mark.parametrize("module", ["ad_compiler", "ad_compiler.api", "ad_compiler.jacobians", "ad_compiler.trees",
                                    "ad_compiler.optim", "ad_compiler.exporter", "ad_compiler.cli"])
def test_help_has_no_internal_notes(module):
    __import__(module)
    text = pydoc.render_doc(sys.modules[module], renderer=pydoc.plaintext)
    for internal in ["SPEC", "shared/", "issue #", "Issue #", "TODO"]:
        assert internal not in text, (module, internal)


def test_no_class_over_about_300_lines():
    """The house rule (one job per class): a class that grew past ~300 lines is split by job."""
    import ast

    too_long = []
    for path in sorted((ROOT / "src" / "ad_compiler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 310:
                too_long.append(f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not too_long, too_long
