"""What a call of a function the alias pass does not follow returns, from that function's own alias pass.

A function wrapped in `ad.checkpoint`, a recursive function (both compiled on their own: callees.py) and a
function of the user's with a rule (the derivative calls it as it is) are left as calls. Without more, their
result is an object of unknown kind that may be a view of (or the very) arrays they are given
(`alias_calls.opaque_result`), so a change in place of it or of an argument while the other is read later is
refused: `h = step(h, x); h += y` was refused though `step` returns `np.tanh(h @ W + x)`, new memory (c28-001),
and `v = keep(M); M *= c` though `keep` returns `M` itself, which the pass follows as `v = M` (c28-002).

The driver runs the function's front passes for the kinds of the arguments at the call
(`driver.Context.callee_facts`); at the end of that function the alias pass records (`result_facts`) the
result's kind and what it may be: parameters themselves (`("param", i)`), objects the function made
(`("new", k)`, with the items of the lists and tuples among them). The caller's pass makes that value
(`make`): the arguments' very objects, and new objects for the function's. Where the result may hold anything
else (a view of an argument: the caller could not make it again to refresh it, c28-003; a global, the result of
an unknown call, an item of a list argument; a view sharing memory with another part of the result; a value of
an unknown kind, an object of a class), there are no facts: the opaque result, as before.
"""
from __future__ import annotations

from . import kinds as K
from .alias_domain import Val, all_objs
from .ir import Const, Var


class ResultFacts:
    """The kind of a function's result, the objects it may be (`("param", i)` or `("new", k)`), and the slots
    of the new containers among them (a list of sets of such objects by position, or `("any", set)`)."""
    __slots__ = ("kind", "objs", "slots", "narrow")

    def __init__(self, kind, objs, slots, narrow=False):
        self.kind = kind
        self.objs = objs
        self.slots = slots
        self.narrow = narrow  # the function may hold narrow arrays (float32, ...): so may its caller (Session.narrow)

    def __repr__(self):
        return f"ResultFacts({self.kind}, {sorted(self.objs)}, {self.slots})"


def result_facts(fn, state, narrow):
    """The facts of the result of `fn` (desugared, after its alias pass) from the state at its end, or None;
    `narrow`: may the function hold arrays of a narrow dtype (alias_session.Session.narrow)."""
    out = fn.out
    if isinstance(out, Const):
        kind = K.kind_of(out.value)
        return ResultFacts(kind, frozenset(), {}, narrow) if _plain(kind) and not kind.mutable else None
    val = state.vars.get(out.name) if isinstance(out, Var) else None
    if val is None or not _plain(val.kind):
        return None
    names, slots, todo, seen = {}, {}, list(val.objs), set()
    while todo:
        o = todo.pop()
        if o in seen:
            continue
        seen.add(o)
        if o.kind == "ext" and o.parent is None and o.param in fn.params and not o.is_old:
            names[o] = ("param", list(fn.params).index(o.param))
            continue  # (the caller's own object: it knows what it holds)
        if o.root().kind != "new":
            return None  # (a view of an argument, a global, an unknown call's result, ...)
        s = state.slots.get(o)
        if s is not None and not (isinstance(s, list) or (isinstance(s, tuple) and len(s) == 2 and s[0] == "any")):
            return None  # (an object's attributes, a dict's items: not followed here)
        names[o] = ("new", len([d for d in names.values() if d[0] == "new"]))
        if s is not None:
            slots[o] = s
            todo.extend(sorted(all_objs(s), key=lambda x: x.id, reverse=True))
    roots = {}
    for o in names:
        if names[o][0] == "new":
            roots.setdefault(o.root(), []).append(o)
    if any(len(group) > 1 for group in roots.values()):
        return None  # (two parts sharing memory: a view of another part, or two views of one array)

    def mapped(objs):
        return frozenset(names[o] for o in objs)

    return ResultFacts(val.kind, mapped(val.objs), {names[o]: [mapped(x) for x in s] if isinstance(s, list)
                                                    else ("any", mapped(s[1])) for o, s in slots.items()}, narrow)


def _plain(kind):
    """A number, an array, a string, or a list, tuple or dict (of known keys) of those (no objects, functions,
    values of unknown kind)."""
    if isinstance(kind, (K.Scalar, K.Array, K.Numeric)) or kind == K.STR or isinstance(kind, K.Str):
        return True
    if isinstance(kind, K.Seq):
        return all(_plain(k) for k in (kind.items if kind.items is not None else ()) +
                   ((kind.elem,) if kind.elem is not None and kind.items is None else ()))
    if isinstance(kind, K.Dict):  # (of keys known when compiling: its slots are its values, by position)
        return all(_plain(k) for k in kind.items)
    return False


def make(part, facts, params, state, site):
    """The caller's value of a call returning what `facts` says, where `params` are the caller's values of the
    function's parameters by position (None: a default, whose object the caller does not hold); None where the
    result may be such a default."""
    if any(d[0] == "param" and (d[1] >= len(params) or params[d[1]] is None)
           for d in set(facts.objs).union(*(_descs(s) for s in facts.slots.values()))):
        return None
    if facts.narrow:  # (`h = f(x); h += v` keeps h's dtype, a float32 the function made: alias_assign.rebind)
        part.session.small_floats = True
    made = {}
    for d in sorted(set(facts.objs).union(*(_descs(s) for s in facts.slots.values())) | set(facts.slots)):
        if d[0] == "new":
            made[d] = part.objects.new(state, site + ("result", d[1]),
                                       desc="the value the call returned (made by the function)")

    def objs(descs):
        out = set()
        for d in descs:
            out |= {made[d]} if d[0] == "new" else set(params[d[1]].objs)
        return frozenset(out)

    for d, s in sorted(facts.slots.items()):
        state.slots[made[d]] = [objs(x) for x in s] if isinstance(s, list) else ("any", objs(s[1]))
    return Val(facts.kind, objs(facts.objs))


def _descs(s):
    return frozenset().union(*s) if isinstance(s, list) else s[1]
