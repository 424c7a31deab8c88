"""The list of supported functions, by the names users write (`np.sin`, `scipy.special.erf`,
`scipy.stats.norm.logpdf`, `ndarray.sum`), generated from the rule table.

`python -m ad_compiler.rules.catalog` prints the Markdown table of docs/rules.md (a test keeps the doc and
the table in agreement).
"""
import builtins
import math
import operator
import warnings

import numpy as np

from .. import runtime
from . import ATTRIBUTES, FUNCTIONS, METHODS, load_builtin_rules

INTERNAL_MODULES = ("helpers", "language")  # rules for ad_compiler's own runtime helpers


def _namespaces():
    spaces = [("np.linalg", np.linalg), ("np.fft", np.fft), ("np.random", np.random), ("np", np), ("math", math), ("builtins", builtins),
              ("operator", operator)]
    try:
        import scipy.integrate
        import scipy.linalg
        import scipy.signal
        import scipy.special
        import scipy.stats
    except ImportError:
        pass
    else:
        spaces += [("scipy.special", scipy.special), ("scipy.linalg", scipy.linalg), ("scipy.stats", scipy.stats),
                   ("scipy.integrate", scipy.integrate), ("scipy.signal", scipy.signal)]
    return spaces + [("_ad", runtime)]


def display_name(obj, _cache={}):
    """`np.sin`, `operator.add`, `scipy.special.erf`, `scipy.stats.norm.logpdf`, `_ad.iter_list`:
    deterministic among aliases (the name equal to the object's __name__, public names first, namespaces in
    the order of _namespaces)."""
    owner = getattr(obj, "__self__", None)
    if owner is not None and type(owner).__module__.startswith("scipy.stats"):  # a distribution's method
        name = getattr(owner, "name", None) or type(owner).__name__.removesuffix("_gen")
        return f"scipy.stats.{name}.{obj.__name__}"
    if isinstance(obj, type) and obj.__module__.startswith("scipy.stats"):  # a frozen distribution's class
        return f"scipy.stats.{obj.__name__}"
    if not _cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for order, (prefix, mod) in enumerate(_namespaces()):
                for name in dir(mod):
                    if name.startswith("__"):
                        continue
                    try:
                        value = getattr(mod, name)
                        key = id(value)
                    except Exception:  # noqa: BLE001
                        continue
                    entry = (name != getattr(value, "__name__", None), name.startswith("_"), order, name,
                             f"{prefix}.{name}")
                    if key not in _cache or entry < _cache[key][0]:
                        _cache[key] = (entry, value)
    hit = _cache.get(id(obj))
    return hit[0][-1] if hit is not None and hit[1] is obj else repr(obj)


def is_user_rule(rule):
    """A built-in rule for a user-facing function (not one registered by the user's own code, not a rule of
    ad_compiler's runtime helpers)."""
    module = rule.template.__module__
    return module.startswith("ad_compiler.rules.") and module.rsplit(".", 1)[-1] not in INTERNAL_MODULES


def registered():
    """display name -> Rule, for every function, method and attribute of the user-facing rule modules (the
    built-in table: rules registered by user code are not listed)."""
    load_builtin_rules()
    out = {}
    for obj, rule in FUNCTIONS.items():
        if is_user_rule(rule):
            out[display_name(obj)] = rule
    for table in (METHODS, ATTRIBUTES):
        for name, rule in table.items():
            if is_user_rule(rule):
                out[f"{getattr(rule.template, 'owner', 'ndarray')}.{name}"] = rule
    return out


def convention(rule):
    """The first paragraph of the template's docstring: its convention at kinks and domain edges, if any; and
    whether complex operands are refused (`rules.real_only`)."""
    doc = (rule.template.__doc__ or "").strip()
    text = " ".join(doc.split("\n\n", 1)[0].split()) if doc else ""
    if rule.real_only:
        note = "Complex operands refused." if rule.real_only_when is None else f"Complex operands: {rule.real_only}."
        text = f"{text} {note}" if text else note
    return text


def markdown_table():
    """The Markdown table of docs/rules.md: one row per supported function, grouped by namespace."""
    rows = ["| function | form | convention at kinks / domain |", "| --- | --- | --- |"]
    table = registered()
    for name in sorted(table, key=lambda n: (n.rsplit(".", 1)[0].startswith("_"), n.rsplit(".", 1)[0], n)):
        rule = table[name]
        form = "multilinear" if rule.multilinear else rule.form
        rows.append(f"| `{name}` | {form} | {convention(rule).replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
