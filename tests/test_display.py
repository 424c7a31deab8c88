"""A derivative shown in a notebook: highlighted source whose adjoint comments link to the user's lines."""
import html
import pathlib
import re
import sys

import numpy as np
import pytest

import ad_compiler as ad

HERE = pathlib.Path(__file__).resolve()


def line_of(text):
    return next(i for i, line in enumerate(HERE.read_text().splitlines(), 1) if text in line)


def relu_loss(w, x):
    h = np.where(x @ w > 0.0, x @ w, 0.0)  # the hidden layer
    return np.sum(h ** 2)


def text_of(markup):
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_html_is_the_source_with_links_to_the_users_lines():
    g = ad.grad(relu_loss)
    g(np.ones(2), np.ones((3, 2)))
    markup = g._repr_html_()
    assert markup.startswith("<pre") and markup.endswith("</pre>")
    assert text_of(markup) == g.source.rstrip("\n")  # exactly the source, nothing added or lost
    title = f'title="{HERE}:{line_of("# the hidden layer")} (in relu_loss: h = np.where('
    assert title in html.unescape(markup)
    link = re.search(r'<a href="([^"]+)" title="[^"]+:' + str(line_of("# the hidden layer")), markup)
    assert link and link.group(1) == f"file://{HERE}"
    assert "&gt; 0.0" in markup  # escaped


def test_without_pygments_the_source_is_escaped_plain_text(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)  # import pygments fails
    g = ad.grad(relu_loss)
    markup = g._repr_html_()
    assert "style=\"color" not in markup
    assert text_of(markup) == g.source.rstrip("\n")
    assert f":{line_of('def relu_loss')}" in markup or f":{line_of('return np.sum(h ** 2)')}" in markup


def test_ipython_renders_it_as_html():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    g = ad.grad(relu_loss)
    data, _ = InteractiveShell.instance().display_formatter.format(g)
    assert data["text/plain"] == repr(g)
    assert text_of(data["text/html"]) == g.source.rstrip("\n")


def test_jacobians_and_hessians_have_html_too():
    def f(x):
        return np.sum(np.sin(x) ** 2)

    h = ad.hessian(f, wrt=0)
    h(np.ones(2))
    assert text_of(h._repr_html_()) == h.source.rstrip("\n")
    j = ad.jacobian(f)
    j(np.ones(2))
    assert text_of(j._repr_html_()) == j.source.rstrip("\n")
