"""A cross-check of sharing.py against the alias pass (run by explore.py under AD_CHECK_SHARING=1).

Every pair of SSA names whose values the alias pass's interpretation (in its "kinds" run over the SSA form)
finds may reach one and the same object (the names' objects, the views' bases, what containers hold) must be
in one sharing class of sharing.classes (which clean-up, hoist and the tape rely on). A pair that is not is a
disagreement: written to $AD_CHECK_SHARING_OUT (a file, one JSON line each), for the tester to report.
"""
import json
import os

from ad_compiler import alias, kinds as K, printer, sharing
from ad_compiler.alias_domain import all_objs


def reach(val, state):
    """The root objects a value may be, view, or hold (through containers' slots, transitively)."""
    out, todo, seen = set(), list(val.objs), set()
    while todo:
        o = todo.pop()
        if o in seen:
            continue
        seen.add(o)
        out.add(o.root())
        for p in (o, o.root()):
            todo.extend(all_objs(state.slots.get(p)))
    return out


def disagreements(fn, state, kinds):
    classes = sharing.classes(fn.body, kinds)
    names = [n for n, v in state.vars.items() if sharing.may_hold_mutable(v.kind) and not v.partial]
    reached = {n: reach(state.vars[n], state) for n in names}
    by_root = {}
    for n in names:
        for r in reached[n]:
            by_root.setdefault(r, []).append(n)
    # (an object only numbers hold directly, an item of a list of floats, is no memory anyone changes; nor one
    # a name of a number kind holds: a float argument passed around through names of unknown kind)
    held = {o.root() for n in names for o in state.vars[n].objs}
    numbers = {o.root() for n, v in state.vars.items() if isinstance(v.kind, K.Scalar) for o in v.objs}
    by_root = {r: ns for r, ns in by_root.items() if r in held and r not in numbers}
    out = set()
    for r, ns in by_root.items():
        for a in ns:
            for b in ns:
                if a < b and classes.find(a) != classes.find(b):
                    out.add((a, b, r.desc or r.kind))
    return sorted(out)


def output_path():
    return os.environ.get("AD_CHECK_SHARING_OUT") or os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                                   "sharing-check.jsonl")


def install():
    """Wrap alias.infer_kinds (the driver's call) so that each compiled function is checked."""
    path = output_path()
    original = alias.infer_kinds

    def infer_kinds(fn, param_kinds, ctx, callee=False):
        a = alias.Alias(fn, param_kinds, None, ctx, mode="kinds")
        a.session.callee = callee
        state = a.run()
        kinds = {n: v.kind for n, v in state.vars.items()}
        try:
            found = disagreements(fn, state, kinds)
        except Exception as exc:  # noqa: BLE001 (the check itself failed: say so, do not stop the run)
            found = [("<check failed>", repr(exc), "")]
        if found:
            with open(path, "a") as f:
                f.write(json.dumps({"function": fn.name, "pairs": found, "ssa": printer.show(fn.body)}) + "\n")
        return kinds
    if original.__name__ == "infer_kinds" and not getattr(original, "_checked", False):
        infer_kinds._checked = True
        alias.infer_kinds = infer_kinds
