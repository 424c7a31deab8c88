"""A derivative shown in a notebook: its source, highlighted (with Pygments when it is installed: the extra
`ad-compiler[notebook]`; plain escaped text otherwise), each `# adjoint of:` / `# tangent of:` comment a
link to the user's line it comes from, whose file and line show when the pointer rests on it.
"""
import html
import os

_STYLE = ("font-family: var(--jp-code-font-family, monospace); font-size: 12px; line-height: 1.35; "
          "padding: 0.5em; overflow-x: auto; background: var(--jp-layout-color1, #f7f7f7); border-radius: 3px")


def html_of(g):
    """The HTML for the derivative `g` (anything with a `.source`), or None when there is no source."""
    from .errors import ADError

    try:
        source = g.source
    except ADError:
        return None
    origins = comment_origins(_compiled_functions(g, source))
    lines = _highlighted(source)
    out = []
    for text, line_html in zip(source.splitlines(), lines):
        origin = origins.get(text.strip())
        out.append(_linked(line_html, origin) if origin else line_html)
    return f'<pre class="ad-compiler-source" style="{_STYLE}">' + "\n".join(out) + "</pre>"


def _highlighted(source):
    """The lines of `source` as HTML: highlighted by Pygments (inline styles, so no stylesheet is needed),
    else escaped."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return [html.escape(line) for line in source.splitlines()]
    text = highlight(source, PythonLexer(), HtmlFormatter(nowrap=True, noclasses=True))
    return text.rstrip("\n").split("\n")  # (the formatter closes its spans at the end of each line)


def _linked(line_html, origin):
    filename, line, where = origin
    title = html.escape(f"{filename}:{line} ({where})", quote=True)
    indent = len(line_html) - len(line_html.lstrip(" "))
    body = line_html[indent:]
    if os.path.isfile(filename):
        href = html.escape("file://" + os.path.abspath(filename), quote=True)
        return " " * indent + f'<a href="{href}" title="{title}" style="text-decoration: none">{body}</a>'
    return " " * indent + f'<span title="{title}">{body}</span>'


def _compiled_functions(g, source):
    """The generated functions whose text makes up `source`: the one `g` ran last (or its generic one) and
    the functions it calls."""
    roots = []
    for d in (getattr(g, "_ad_derivative", None), getattr(getattr(g, "last", None), "_ad_derivative", None)):
        if d is not None:
            roots += [c for c in [d.last] + list(getattr(d, "specializations", {}).values())
                      if c is not None and getattr(c, "source", None) == source]
    for row in getattr(g, "blocks", ()):
        for b in row:
            roots += [c for c in [b._ad_derivative.last] if c is not None]
    seen, todo = [], list(roots)
    while todo:
        f = todo.pop()
        if any(f is s for s in seen):
            continue
        seen.append(f)
        for cell in f.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(getattr(value, "_ad_text", None), str):
                todo.append(value)
    return seen


def comment_origins(functions):
    """{comment line (stripped): (file, line, 'in f: statement')} for the `# adjoint of:` and `# tangent of:`
    comments of these generated functions."""
    from .tracebacks import ORIGIN_COMMENTS

    out = {}
    for f in functions:
        origins = getattr(f, "_ad_origins", None) or []
        for text, origin in zip(f._ad_text.splitlines(), origins):
            text = text.strip()
            if origin is not None and text.startswith(tuple(ORIGIN_COMMENTS)):
                unit = origin.unit
                out[text] = (unit.filename, unit.file_line(origin.stmt),
                             f"in {unit.name}: {unit.statement_text(origin.stmt)}")
    return out
