"""Every runtime helper that generated code can call (`_ad.<name>` in the rule templates and in the compiler's
emitters) has rules for both modes in the rule table, so that a derivative is differentiated again in reverse
and in forward mode (issue 9). A parameter with no derivative in either mode is an option (axis, n, which);
one with a derivative in one mode only is a gap. KNOWN_GAPS lists the helpers still without, with the reason;
a helper that gets its rules must leave the list (the test says so)."""
import glob
import os
import re

import ad_compiler as ad  # noqa: F401
from ad_compiler import rules
from ad_compiler import runtime as _ad

rules.load_builtin_rules()

SRC = os.path.dirname(_ad.__file__)

# helpers the passes themselves handle (statements, in-place changes, Jacobians' bookkeeping), not the rule table
MACHINERY = {
    "add_at", "pop_item", "pop_tail", "restore_item",  # in-place changes: alias_effects.py rewrites them as stores
    "check_apart", "entered_value", "new_object", "no_grad", "throw",  # statements and checks of the language
    "truncate",  # a tape taken back after an interrupted `try` body (tape.py)
    "jacobian_tree", "jacobians_by_leaf", "random_states", "set_random_states", "ravel_tree", "tree_dot",  # composite
}
KNOWN_GAPS = set()  # helpers still without rules for both modes (a comment says why)


def referenced_helpers():
    """name -> the modules that write `_ad.<name>` (rule templates and emitters; not the runtime itself, nor
    rules/helpers.py, whose helpers are second-order ones)."""
    names = {}
    paths = glob.glob(os.path.join(SRC, "*.py")) + glob.glob(os.path.join(SRC, "rules", "*.py"))
    for path in paths:
        base = os.path.relpath(path, SRC)
        if base.startswith(("runtime", "jit")) or base == os.path.join("rules", "helpers.py"):
            continue
        with open(path) as fh:
            text = fh.read()
            # `_ad.name` in templates; `helper("name", ...)` where an emitter builds the call (forward.py, reverse.py)
            for m in re.finditer(r"_ad\.([A-Za-z_][A-Za-z0-9_]*)|\bhelper\(\"([A-Za-z_][A-Za-z0-9_]*)\"", text):
                names.setdefault(m.group(1) or m.group(2), set()).add(base)
    return names


def gaps():
    out = {}
    for name in sorted(referenced_helpers()):
        f = getattr(_ad, name, None)
        if f is None or not callable(f) or name == "jit" or rules.is_nondiff(f):
            continue
        rule = rules.FUNCTIONS.get(f)
        if rule is None:
            out[name] = "no rule"
            continue
        params = [p for p in rule.params if p not in rule.constant_in]
        one_mode = [p for p in params if rule.differentiable(p, "reverse") != rule.differentiable(p, "forward")]
        if one_mode:
            out[name] = "one mode only in " + ", ".join(one_mode)
    return out


def test_every_helper_has_rules_for_both_modes():
    found = {k: v for k, v in gaps().items() if k not in MACHINERY}
    new = {k: v for k, v in found.items() if k not in KNOWN_GAPS}
    assert not new, f"runtime helpers without rules for both modes (rules/helpers.py): {new}"
    fixed = sorted(KNOWN_GAPS - set(found))
    assert not fixed, f"these helpers have their rules now: remove them from KNOWN_GAPS: {fixed}"
