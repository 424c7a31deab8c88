"""The abstract domain of the alias pass (alias.py): what it knows at a program point.

- `Obj`: an abstract object (an allocation site's latest or `old` instances, a view of another object, or an
  external object: an argument, a global, the result of an unknown call, an item of one of these);
- `Val`: what a name holds (its kind, the objects it may be, a generation, an identity);
- `State`: the values of the names, the items of the containers, how each view was made;
- `join_states` / `same_state`: the join at the end of a branch or of a loop iteration, and the test that
  ends a loop's fixed point;
- `Refused` / `Privatize`: the two ways the walk stops early (a refusal inside a loop's fixed point, an
  argument the function changes and will copy).
"""
from __future__ import annotations

import contextlib
import itertools

from . import ir, kinds as K


class Obj:
    """An abstract object: what an allocation site made (its latest instance, or `old` ones), a view of
    another abstract object, or an external object."""
    _ids = itertools.count()

    def __init__(self, kind, parent=None, how=None, desc="", is_old=False):
        self.id = next(Obj._ids)
        self.kind = kind  # 'new' | 'view' | 'ext'
        self.parent = parent
        self.children = []  # the views made of this object (in every state)
        if parent is not None:
            parent.children.append(self)
        self.how = how  # views: 'view' | 'maybe' | 'readonly' | 'opaque' (a view of a library call)
        self.desc = desc
        self.is_old = is_old
        self.param = None
        self.rebound = None  # the key of the `x op= v` rebound as `x = x op v` that made it (KeepInPlace)
        self.site = None  # views: the site that made it (or its latest instance), alias_objects.Objects.view

    def root(self):
        o = self
        while o.parent is not None:
            o = o.parent
        return o

    def external(self):
        return self.root().kind == "ext"

    def __hash__(self):  # by the creation number: sets of objects iterate in the same order every run
        return self.id

    def __repr__(self):
        return f"<{self.kind}{'~' if self.is_old else ''}#{self.id} {self.desc}>"


def restart_numbering():
    """Number the objects of a new run of the pass from 0 (so the same function gives the same text)."""
    Obj._ids = itertools.count()


@contextlib.contextmanager
def own_numbering():
    """A run of the pass (its retries included) numbers its objects on its own: a run nested in another (a
    recursive callee compiled meanwhile) gives the outer run its counter back, so the outer's objects keep
    distinct ids (g4-016: two objects with id 8 made `param_of` take an item of a view for the argument `xs`,
    and the pass asserted "xs is already a private copy")."""
    outer = Obj._ids
    try:
        yield
    finally:
        Obj._ids = outer


def depth(o):
    """Sort key of a view: how many views down from its root it is (then the root's id)."""
    d = 0
    while o.parent is not None:
        o = o.parent
        d += 1
    return (d, o.id)


class Val:
    """What a name holds: its kind, the objects it may be, a generation (new at each binding), and an
    identity (the same for names bound to the very same value: `y = x`, whatever object it is)."""
    __slots__ = ("kind", "objs", "gen", "ident", "partial")

    def __init__(self, kind, objs=frozenset(), gen=None, ident=None, partial=False):
        self.kind = kind
        self.objs = frozenset(objs)
        self.gen = gen
        self.ident = ident
        self.partial = partial  # bound on some paths only (in one branch of an `if`, in a loop's body)

    def must(self):
        return next(iter(self.objs)) if len(self.objs) == 1 else None


_gens = itertools.count(1)


def new_gen():
    """A fresh generation (or identity) number."""
    return next(_gens)


class Vars(dict):
    """name -> Val, with an index from each object to the names that may hold it, kept up to date as names
    are bound, so that "who sees this object" costs the answer's size, not the number of names."""

    def __init__(self, other=None):
        super().__init__()
        self.by_obj = {}  # Obj -> {name: None}
        # names whose SSA version no longer holds what their object holds now: it changed through another name
        # while they were not live, so no refresh gave them its new value (a refresh must not read them:
        # alias_refresh._live_first); binding a name again (a new generation) makes it current
        self.stale = set()
        if other is not None:  # (a copy of the values and of the index as they are: compile25)
            dict.update(self, other)
            self.by_obj = {o: dict(names) for o, names in other.by_obj.items()}
            self.stale = set(other.stale)

    @classmethod
    def of(cls, items):
        """The Vars of these (name, Val) pairs, indexed once (as binding them one by one would)."""
        out = cls()
        dict.update(out, items)
        by_obj = out.by_obj
        for n, v in dict.items(out):
            for o in v.objs:
                names = by_obj.get(o)
                if names is None:
                    by_obj[o] = {n: None}
                else:
                    names[n] = None
        return out

    def __setitem__(self, name, val):
        old = self.get(name)
        if old is None or old.gen != val.gen:
            self.stale.discard(name)
        added = val.objs
        if old is not None:  # (only what changed is indexed again: a value may hold hundreds of objects, n27-007)
            removed, added = (old.objs - val.objs, val.objs - old.objs) if old.objs is not val.objs else ((), ())
            for o in removed:
                names = self.by_obj[o]
                del names[name]
                if not names:
                    del self.by_obj[o]
        super().__setitem__(name, val)
        for o in added:
            self.by_obj.setdefault(o, {})[name] = None

    def __delitem__(self, name):
        self[name] = Val(None)  # (drops it from the index)
        super().__delitem__(name)

    def pop(self, name, *default):
        if name in self:
            val = self[name]
            del self[name]
            return val
        return dict.pop(self, name, *default)

    def holders(self, objs):
        """The names that may hold any of `objs`, in a fixed order (by name)."""
        out = set()
        for o in objs:
            out.update(self.by_obj.get(o, ()))
        return sorted(out)


class Slots(dict):
    """container Obj -> its slots, with the objects each container's slots hold and, for each object, the
    containers holding it, kept up to date as slots are set (n27-007: the generated code of a fourth derivative
    has tapes of hundreds of items, whose objects `retire` and `in_slots` looked for at every allocation)."""

    def __init__(self, other=None):
        super().__init__()
        self._objs = {}  # container -> all_objs of its slots
        self._index = {}  # object -> {container: None} (the containers whose slots may hold it)
        self._union = None  # every object some container's slots hold (None: not computed since a change)
        if isinstance(other, Slots):
            dict.update(self, other)
            self._objs = dict(other._objs)
            self._index = {o: dict(cs) for o, cs in other._index.items()}
            self._union = other._union
        elif other:
            for c, slots in other.items():
                self[c] = slots

    def __setitem__(self, c, slots):
        super().__setitem__(c, slots)
        new, old = all_objs(slots), self._objs.get(c, frozenset())
        self._objs[c] = new
        if new is not old:
            self._reindex(c, old - new, new - old)

    def __delitem__(self, c):
        super().__delitem__(c)
        self._reindex(c, self._objs.pop(c, frozenset()), ())

    def _reindex(self, c, removed, added):
        for o in removed:
            cs = self._index[o]
            del cs[c]
            if not cs:
                del self._index[o]
        for o in added:
            self._index.setdefault(o, {})[c] = None
        if removed or added:
            self._union = None

    def pop(self, *args):
        raise NotImplementedError("Slots.pop")  # (not used: every change goes through __setitem__ / __delitem__)

    update = setdefault = clear = popitem = pop

    def objs_of(self, c):
        return self._objs[c]

    def holding(self, objs):
        """The containers whose slots may hold any of `objs`."""
        out = set()
        for o in objs:
            out.update(self._index.get(o, ()))
        return out

    def union(self):
        if self._union is None:
            self._union = frozenset(self._index)
        return self._union


class State:
    """The abstract state at a program point: names' values, containers' items, how views were made."""

    def __init__(self):
        self.vars = Vars()  # name -> Val
        self.slots = Slots()  # container Obj -> list of frozensets (by position) | ("any", frozenset)
        self.made = {}  # view Obj -> (statement that made it, ((name, generation), ...)) or (stmt, None)
        self.detached = set()  # names bound to `ad.stop_gradient(y)`: y itself, carrying no derivative
        self.mixed = set()  # names detached on some paths only

    def copy(self):
        s = State()
        s.vars = Vars(self.vars)
        s.slots = Slots(self.slots)
        s.made = dict(self.made)
        s.detached, s.mixed = set(self.detached), set(self.mixed)
        return s

    def in_slots(self):
        """Every object some container's slots may hold."""
        return self.slots.union()

    def referenced(self):
        return set(self.vars.by_obj) | self.in_slots()

    def is_referenced(self, obj, in_slots=None):
        return obj in self.vars.by_obj or obj in (self.in_slots() if in_slots is None else in_slots)

    def views_of(self, root):
        """`root` and every view of it (transitively) referenced in this state, through referenced views."""
        in_slots = self.in_slots()
        objs = {root}
        todo = [root]
        while todo:
            for c in todo.pop().children:
                if c not in objs and self.is_referenced(c, in_slots):
                    objs.add(c)
                    todo.append(c)
        return objs


def all_objs(slots):
    """Every object a container's slots may hold."""
    if slots is None:
        return frozenset()
    if isinstance(slots, list):
        return frozenset().union(*slots) if slots else frozenset()
    return slots[1]


def join_slots(a, b):
    if a is None or b is None:
        return a if b is None else b
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [x | y for x, y in zip(a, b)]
    return ("any", all_objs(a) | all_objs(b))


def join_vals(a, b, joined):
    """The value a name may hold after a join; `joined` (one per join) maps each pair of identities the joined
    names had on the two paths to the identity they have after it."""
    if a is None or b is None:
        v = a or b
        return v if v is None or v.partial else Val(v.kind, v.objs, v.gen, v.ident, partial=True)
    if a is b:
        return a
    if a.ident == b.ident:
        ident = a.ident
    else:  # names that were one value on each path are one value after this join too (not after another
        # join choosing between the same values: `z = a if c else b`, `y = a if d else b` may differ)
        ident = joined.setdefault((a.ident, b.ident), new_gen())
    return Val(K.join(a.kind, b.kind), a.objs | b.objs, a.gen if a.gen == b.gen else new_gen(), ident,
               partial=a.partial or b.partial)


def join_states(a, b):
    if a is None:
        return b
    if b is None:
        return a
    s, joined = State(), {}
    av, bv = a.vars, b.vars
    s.vars = Vars.of([(n, join_vals(av.get(n), bv.get(n), joined)) for n in set(av) | set(bv)])
    s.vars.stale = a.vars.stale | b.vars.stale
    for o in set(a.slots) | set(b.slots):
        s.slots[o] = join_slots(a.slots.get(o), b.slots.get(o))
    s.made = dict(a.made)
    s.detached = a.detached | b.detached
    s.mixed = a.mixed | b.mixed | (a.detached ^ b.detached)
    for o, m in b.made.items():
        if o in s.made and s.made[o] != m:
            s.made[o] = (m[0], None)  # made differently on two paths: cannot be made again
        else:
            s.made[o] = m
    keep_makings(s, a, b)
    return s


def keep_makings(joined, a, b):
    """A view made on both paths by the same expression, of names each path has not rebound since, is made by
    that expression after the join too, of the names' values there (their new generations): `out = V[:1]`
    before a loop whose body changes V in place (and so makes `out` again from V) is `V[:1]` at the loop's
    head. (Else its making is not known there: refused where it would have to be made again.)"""
    for o, ma in a.made.items():
        mb = b.made.get(o)
        if mb is None or ma == mb or ma[1] is None or mb[1] is None or \
                not isinstance(ma[0], ir.Assign) or not isinstance(mb[0], ir.Assign):
            continue
        if not all(st.vars.get(n) is not None and st.vars[n].gen == g for st, m in ((a, ma), (b, mb))
                   for n, g in m[1]):
            continue  # (on a path, a name it reads was bound again since)
        names = [n for n, _ in ma[1]]
        # b's expression, with each name it reads replaced by a name of a's expression holding the same value
        # on path b (`out_2 = V_1[:1]` after `V_1 = V`: `V[:1]`), must be a's
        same = {}
        for m, _ in mb[1]:
            found = [n for n in names if b.vars.get(n) is not None and b.vars[n].ident == b.vars[m].ident and
                     n not in b.vars.stale and m not in b.vars.stale]
            if not found:
                break
            same[m] = found[0]
        else:
            if ir.rename_expr(mb[0].value, same) == ma[0].value and \
                    all(joined.vars.get(n) is not None and not joined.vars[n].partial for n in names):
                joined.made[o] = (ma[0], tuple((n, joined.vars[n].gen) for n in names))


def same_state(a, b):
    """Do two states agree on every name's kind and objects and every container's items (a fixed point)?"""
    if a.vars.keys() != b.vars.keys() or a.slots.keys() != b.slots.keys() or a.vars.stale != b.vars.stale:
        return False
    if a.detached != b.detached or a.mixed != b.mixed:  # (`d = ad.stop_gradient(y)` on a later iteration, d
        return False  # already y: the same objects, but a head without it refreshed d with a derivative, h27a-006)
    for n, v in a.vars.items():
        w = b.vars[n]
        if v.kind != w.kind or v.objs != w.objs:
            return False
    for o, x in a.slots.items():
        y = b.slots[o]
        if isinstance(x, list) != isinstance(y, list) or (x != y if isinstance(x, list) else x[1] != y[1]):
            return False
    return True


class Refused(Exception):
    """A refusal inside a loop's fixed point (or when only inferring kinds): not reported, the statement is
    havocked instead."""


class KeepInPlace(Exception):
    """`x op= v` was rebound as `x = x op v` (nobody else sees x), but x is later reshaped or raveled, where
    NumPy makes a view or a copy depending on x's memory layout, which the rebinding may change (`x - v` is
    C-ordered where the transposed x was not): the walk starts again with that change made in place."""

    def __init__(self, key):
        super().__init__(key)
        self.key = key


def layout_read(objs):
    """Does reading the memory layout of any of these objects (a reshape's view or copy, order "K") need the
    layout the user's program gives them? Raise KeepInPlace for the first made by a rebound `x op= v`."""
    for o in sorted(objs, key=lambda o: o.id):
        p = o
        while p is not None:
            if p.rebound is not None:
                raise KeepInPlace(p.rebound)
            p = p.parent


class Several:
    """What a store through a name changes when the name may be one of several arrays the function made (it
    depends on the path taken): one of `objs`, known when the program runs (alias_several.py)."""

    def __init__(self, objs):
        self.objs = frozenset(objs)


class Privatize(Exception):
    """The function changes this argument: it will work on a private copy of it instead."""

    def __init__(self, param):
        super().__init__(param)
        self.param = param
