"""The documentation site builds with `mkdocs build --strict`, and its pages load in a real (headless)
browser without console errors.

The browser check uses Debian's Chromium (/usr/bin/chromium, which .ci/run installs) driven by Playwright.
On a machine without them it is skipped, except in CI (CI=true), where it must run.
"""
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("AD_COMPILER_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs tooling is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(out)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_site_builds_with_every_page(site):
    for page in ["index.html", "tutorial/index.html", "how-it-works/index.html", "limits/index.html",
                 "rules/index.html", "performance/index.html", "export/index.html", "training/index.html",
                 "debugging/index.html", "api/index.html", "changelog/index.html"]:
        assert (site / page).is_file(), page
    tutorial = (site / "tutorial" / "index.html").read_text()
    assert "loss_fn" in tutorial and "mat2" in tutorial  # the examples are included
    api = (site / "api" / "index.html").read_text()
    for name in ["grad", "value_and_grad", "vjp", "jvp", "hessian", "export", "tree_map", "ravel", "adam"]:
        assert f'id="ad_compiler.{name}"' in api or f'id="ad_compiler.optim.{name}"' in api, name


def browser():
    """(playwright module) or a skip/failure saying what is missing."""
    missing = None
    if not os.path.exists(CHROMIUM):
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright is not installed (pip install -e '.[docs]')"
    if missing:
        if IN_CI:
            pytest.fail(f"the browser check must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    return sync_playwright


@pytest.fixture
def served(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pages_load_in_a_headless_browser_without_console_errors(served, tmp_path):
    sync_playwright = browser()
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    problems = []
    with sync_playwright() as p:
        # headless, with a fresh profile (--user-data-dir) of its own
        chromium = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                        headless=True, args=args)
        try:
            page = chromium.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            # (a request the next navigation cancels, e.g. the search worker's index of the page left, is
            # net::ERR_ABORTED: not a broken link; under load it happened at random)
            page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else
                    problems.append(f"request failed: {r.url} ({r.failure})"))
            for path, expected in [("/", "ad_compiler"), ("/api/", "value_and_grad"),
                                   ("/tutorial/", "two-layer network")]:
                response = page.goto(served + path, wait_until="networkidle")
                assert response is not None and response.ok, path
                assert expected in page.inner_text("article"), path
            page.keyboard.press("s")  # the search box; the index loads in a worker and answers
            page.keyboard.type("hessian", delay=20)
            page.wait_for_selector(".md-search-result__item", timeout=15000)
        finally:
            chromium.close()
    assert not problems, problems
