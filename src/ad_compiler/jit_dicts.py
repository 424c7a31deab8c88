"""`jit=True`: dicts made in the function, read and written by constant string keys, as one name per key,
and objects made in the function (`_ad.new_object`), whose attributes are stored right after it, likewise by
attribute (docs/jit.md). Numba has no dict of values of several types; a dict used only so is its entries:

    d = {'w': W, 'b': c}        ->   d_w = W; d_b = c
    t = d['w']                  ->   t = d_w
    d['b'] = v                  ->   d_b = v                 (a dict's entry is rebound, never changed in place)
    bd = _ad.getitem_vjp(g, d, 'b')  ->  bd_w = _ad.zeros_like(d_w); bd_b = g     (the adjoint dict, by key)
    _ad.add_at(bd, 'w', g)      ->   bd_w = _ad.add(bd_w, g)
    t = _ad.pop_item(bd, 'b')   ->   t = bd_b; bd_b = _ad.zeros_like(t)

A dict read or written any other way (a key computed when it runs, passed to a function, iterated) is left
as it is, and jit_lower refuses it at its line; so is a dict with another name (`e = d`: one object, which
a store through either name changes). Runs before the tape is split by name (jit_tape.py), so the
entries the tape saves are saved as names.
"""
from . import ir, kinds as K, runtime
from .ir import Assign, Build, Call, Const, ExprStmt, Global, Index, SetItem, Var


def split_dicts(body, kinds, alloc, returned=frozenset()):
    """(the body with the dicts and objects made in it split into one name per key, {new name: kind}); the
    names in `returned` are read by the return, after the body: kept as they are (jit_lower refuses a dict)."""
    first = {}  # (id of a tape push of an attribute before its first store -> a zero of the value stored)
    keys = {d: k for d, k in _candidates(body, _objects(body, first)).items() if d not in returned}
    aliases = {}
    for _ in range(4):  # (the second names' adjoints are dicts of the same keys, with second names of their own)
        found = _aliases(body, keys)
        if found == aliases:
            break
        aliases = found
        keys = {d: k for d, k in _candidates(body, {**keys, **{a: keys[r] for a, r in aliases.items()}}).items()
                if d not in returned}
    aliases = {a: r for a, r in aliases.items() if keys.get(a) == keys.get(r) is not None}
    keys = _checked(body, keys, aliases)
    aliases = {a: r for a, r in aliases.items() if a in keys and r in keys}
    if not keys:
        return body, {}
    names = {d: {k: alloc.fresh(f"{d}_{k}") for k in ks} for d, ks in keys.items() if d not in aliases}
    names.update({a: names[r] for a, r in aliases.items()})  # (one object: the very names per key)
    new_kinds = {}
    for d, per_key in names.items():
        kind = kinds.get(d)
        for k, n in per_key.items():
            if isinstance(kind, K.Dict):
                new_kinds[n] = kind.item(k)
            elif isinstance(kind, K.Obj) and kind.attr(k) is not None:
                new_kinds[n] = kind.attr(k)
    for s in ir.walk(body):  # (nothing reads what it saves: it puts back the object before its __init__)
        if id(s) in first and _saved_object(s.value) in names:
            s.first_value = first[id(s)]
    return _rewrite(body, names), new_kinds


def _key(e):
    """A constant string key, or an attribute's name (ir.AttrName, a str), as a plain str; else None."""
    return str(e.value) if isinstance(e, Const) and isinstance(e.value, str) and e.value.isidentifier() else None


def _helper(e, name):
    return isinstance(e, Call) and isinstance(e.func, Global) and e.func.path == ("_ad", name)


def _saved_object(e):
    """The name of the object `tape.append(_ad.save_item(d, 'k'))` saves an attribute of."""
    return e.args[0].args[0].name if isinstance(e, Call) and e.args and _helper(e.args[0], "save_item") and \
        isinstance(e.args[0].args[0], Var) else None


def _objects(body, first=None):
    """{name: its attributes} for the objects made in the function (`d = _ad.new_object(C)`, the class's
    `__init__` inlined after it) whose every attribute is stored right after it, in the same block, before
    anything else runs: the names per attribute are then bound wherever the object is read (Numba reads an
    unbound name as garbage, where Python raises AttributeError). An attribute read or stored anywhere else
    that is not among those: not split (refused by jit_lower as before)."""
    found, used = {}, {}
    for block in _blocks(body):
        for i, s in enumerate(block):
            if isinstance(s, Assign) and len(s.targets) == 1 and _helper(s.value, "new_object"):
                d, keys = s.targets[0], set()
                saved, pushes, bound = set(), {}, []
                for t in block[i + 1:]:
                    if isinstance(t, Assign) and d not in ir.stmt_reads(t) and d not in t.targets:
                        bound.append(set(t.targets))
                        continue  # (`k = 1.5`, a parameter of __init__ bound: the object not seen)
                    if isinstance(t, ExprStmt) and _saved_attribute(t.value, d) is not None:
                        # (the tape's `save_item(d, 'n')` before the first store: a zero of the value stored,
                        # which nothing reads, j12-008)
                        saved.add(_saved_attribute(t.value, d))
                        pushes[_saved_attribute(t.value, d)] = (t, len(bound))
                        continue
                    if isinstance(t, SetItem) and t.target == Var(d) and ir.attr_key(t.items) is not None and \
                            str(ir.attr_key(t.items)) in pushes and first is not None:
                        push, at = pushes.pop(str(ir.attr_key(t.items)))
                        later = set().union(*bound[at:])
                        if isinstance(t.value, Const) or isinstance(t.value, Var) and t.value.name not in later:
                            first[id(push)] = t.value
                        else:
                            saved.add(None)  # (its value made after the push: not split)
                    if not (isinstance(t, SetItem) and t.target == Var(d) and ir.attr_key(t.items) is not None
                            and t.op is None and d not in ir.names_in(t.value)):
                        break
                    keys.add(str(ir.attr_key(t.items)))
                found[d] = tuple(sorted(keys)) if d not in found and saved <= keys and not pushes else None  # (made at two
                # places, or an attribute saved that is not stored there: not split)
    for s in ir.walk(body):
        for e in [s] + ([s.value] if hasattr(s, "value") else []):
            for x in _attribute_uses(e):
                used.setdefault(x[0], set()).add(x[1])
    found = {d: ks for d, ks in found.items() if ks}
    for a, r in _aliases(body, found).items():  # (`self = lin` of an inlined method: its uses are the object's)
        used.setdefault(r, set()).update(used.get(a, ()))
    return {d: ks for d, ks in found.items() if used.get(d, set()) <= set(ks)}


def _saved_attribute(e, d):
    """The attribute `e`, `tape.append(_ad.save_item(d, 'k'))`, saves of the object `d`, else None."""
    if isinstance(e, Call) and isinstance(e.func, ir.Attr) and e.func.attr == "append" and len(e.args) == 1 and \
            _helper(e.args[0], "save_item") and len(e.args[0].args) == 2 and e.args[0].args[0] == Var(d):
        return _key(e.args[0].args[1])
    return None


def _aliases(body, keys):
    """{second name: the dict or object it is} for the names whose every binding is a copy of one (`D_1 = dd`,
    the parameter of an inlined helper; `self = lin` of an inlined method) or the SSA result of a store into
    one (`dd['w'] = v` giving `D_2`), where that dict or object (a key of `keys`) is made once (by a dict
    display, `_ad.new_object`, or a helper making an adjoint dict: `_defines`), outside every loop: the names are then one object, and share its names per
    key (a store through either rebinds the entry both read, as Python's one object does). A name also bound
    otherwise (another object, a placeholder before its first value), or a dict made in a loop (a later
    iteration's is another object) is not one (j12-006)."""
    sources, made = {}, set()

    def visit(block, in_loop):
        for s in block:
            if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var):
                sources.setdefault(s.targets[0], []).append(s.value.name)
            elif isinstance(s, SetItem) and isinstance(s.target, Var) and s.result:
                sources.setdefault(s.result, []).append(s.target.name)
            else:
                for n in ir.stmt_writes(s):
                    sources.setdefault(n, []).append(None)
                if isinstance(s, Assign) and len(s.targets) == 1 and s.targets[0] in keys and not in_loop and \
                        _defines(s, keys) and not (isinstance(s.value, (Const, Global))):
                    made.add(s.targets[0])  # (a dict display, an object, an adjoint dict made by a helper)
            for b in ir.blocks(s):
                visit(b, in_loop or isinstance(s, (ir.For, ir.While)))
    visit(body, False)
    roots = {d for d in made if sources.get(d) == [None]}
    out, changed = {}, True
    while changed:
        changed = False
        for n, srcs in sources.items():
            if n in out or n in roots:
                continue
            got = {m if m in roots else out.get(m) for m in srcs}
            if len(got) == 1 and None not in got:
                out[n] = got.pop()
                changed = True
    return out


def _blocks(body):
    yield body
    for s in body:
        for b in (getattr(s, "body", None), getattr(s, "orelse", None)):
            if isinstance(b, list):
                yield from _blocks(b)


def _attribute_uses(e):
    """(name, attribute) of the attribute stores `e` is (a SetItem) and the attribute reads in it."""
    out = []
    if isinstance(e, SetItem) and isinstance(e.target, Var) and ir.attr_key(e.items) is not None:
        out.append((e.target.name, str(ir.attr_key(e.items))))
    elif not isinstance(e, ir.Stmt):
        def fn(x):
            if isinstance(x, Index) and isinstance(x.value, Var) and ir.attr_key(x.items) is not None:
                out.append((x.value.name, str(ir.attr_key(x.items))))
            elif isinstance(x, ir.Attr) and isinstance(x.value, Var):  # (`d.w`, read)
                out.append((x.value.name, x.attr))
            return x
        ir.map_expr(e, fn)
    return out


def _candidates(body, objects=None):
    """{dict name: its keys} for the names made as a dict of constant keys (or objects made in the function:
    `objects`, by their attributes) and the adjoints of such dicts (getitem_vjp); a name given two different
    key sets is dropped."""
    keys, bad = dict(objects or {}), set()
    # (an adjoint dict that `_ad.add` gives entries it did not have, `ba = {'n': g}; ba = _ad.add(ba, {'w': h})`:
    # the union of its keys, a missing entry a zero, as the plain helpers read one, j12-008; `_ad.add` is only
    # ever an adjoint's, never a dict of f's, whose missing key raises)
    grows = {t for s in ir.walk(body) if isinstance(s, Assign) for t in s.targets if _helper(s.value, "add")}

    def give(name, ks):
        if keys.get(name, ks) != ks:
            if name not in grows:
                bad.add(name)
            ks = tuple(dict.fromkeys(keys[name] + ks))
        keys[name] = ks
    changed = True
    while changed:
        before = dict(keys)
        for s in ir.walk(body):
            if not (isinstance(s, Assign) and len(s.targets) == 1):
                continue
            v, t = s.value, s.targets[0]
            if isinstance(v, Build) and v.kind == "dict" and v.keys and all(_key(k) for k in v.keys) and \
                    len({k.value for k in v.keys}) == len(v.keys):
                give(t, tuple(k.value for k in v.keys))
            elif _helper(v, "getitem_vjp") and len(v.args) == 3 and isinstance(v.args[1], Var) and \
                    v.args[1].name in keys and _key(v.args[2]) in keys[v.args[1].name]:
                give(t, keys[v.args[1].name])
            elif _owned(v) and v.args[0].name in keys:  # (`_ad.owned_copy(bd, obj)`: a new dict, the same entries)
                give(t, keys[v.args[0].name])
            elif _added(v, keys):  # (`_ad.add(bd, {'w': g})`: entry by entry)
                give(t, tuple(dict.fromkeys(_dict_keys(v.args[0], keys) + _dict_keys(v.args[1], keys))))
        changed = keys != before
    return {d: ks for d, ks in keys.items() if d not in bad}


def _checked(body, keys, aliases=None):
    """The candidates every use of which is one this module rewrites (and that no other name holds but the
    second names `aliases` gives, which are kept or dropped with their object)."""
    keys, aliases = dict(keys), aliases or {}
    group = {}
    for a, r in aliases.items():
        group.setdefault(r, {r}).add(a)
        group[a] = group[r]
    read = {n for s in ir.walk(body) for n in ir.stmt_reads(s)}  # (a store's SSA result name read: not split)
    changed = True
    while changed:
        changed = False
        for s in ir.walk(body):
            copy = isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and \
                s.targets[0] in aliases and s.value.name in group.get(s.targets[0], ())
            used = set() if copy else _other_uses(s, keys, read, group)
            drop = used & set(keys)
            if isinstance(s, Assign) and len(s.targets) == 1 and isinstance(s.value, Var) and \
                    (s.targets[0] in keys or s.value.name in keys) and \
                    not (s.targets[0] in aliases and s.value.name in group.get(s.targets[0], ())):
                # (a copy is the same dict under another name: a store through one changes what the other
                # reads, which separate names per key would not follow)
                drop |= {s.targets[0], s.value.name} & set(keys)
            if isinstance(s, Assign) and len(s.targets) == 1 and s.targets[0] in keys and \
                    _helper(s.value, "getitem_vjp") and s.value.args[1].name not in keys:
                drop.add(s.targets[0])  # (the adjoint of a dict left as it is)
            drop = set().union(drop, *(group.get(d, ()) for d in drop)) & set(keys)  # (an object: all its names)
            if drop:
                for d in drop:
                    keys.pop(d, None)
                changed = True
    return keys


def _dict_keys(e, keys):
    """The keys of `e`, a candidate or a dict made of constant keys there (`{'w': g}`), else None."""
    if isinstance(e, Var):
        return keys.get(e.name)
    if isinstance(e, Build) and e.kind == "dict" and e.keys and all(_key(k) for k in e.keys) and \
            len({_key(k) for k in e.keys}) == len(e.keys):
        return tuple(_key(k) for k in e.keys)
    return None


def _added(v, keys):
    """Is `v` `_ad.add(a, b)` of two dicts by key (candidates, or dicts made there)?"""
    return _helper(v, "add") and len(v.args) == 2 and not v.kwargs and \
        all(_dict_keys(a, keys) is not None for a in v.args)


def _owned(v):
    """Is `v` `_ad.owned_copy(b, x)` of a name b (of a dict adjoint: a new dict holding the very entries)?"""
    return _helper(v, "owned_copy") and len(v.args) == 2 and isinstance(v.args[0], Var)


def _popped(e, keys):
    """Is `e` `_ad.pop_item(d, 'k')` of a candidate: its entry k, replaced in d by zeros (runtime.pop_item)?"""
    return _helper(e, "pop_item") and len(e.args) == 2 and isinstance(e.args[0], Var) and \
        e.args[0].name in keys and _key(e.args[1]) in keys[e.args[0].name]


def _restored(e, keys):
    """Is `e` `_ad.restore_item(d, 'k', old)` of a candidate (the tape putting back what a store overwrote:
    the entry rebound to it; what was saved before the first store is the zero the name held then)?"""
    return _helper(e, "restore_item") and len(e.args) == 3 and isinstance(e.args[0], Var) and \
        e.args[0].name in keys and _key(e.args[1]) in keys[e.args[0].name]


def _defines(s, keys):
    """Is `s` a definition of a candidate this module rewrites?"""
    if not (isinstance(s, Assign) and len(s.targets) == 1 and s.targets[0] in keys):
        return False
    v = s.value
    return isinstance(v, Build) and v.kind == "dict" or _helper(v, "getitem_vjp") or _helper(v, "new_object") or \
        _owned(v) and v.args[0].name in keys or _added(v, keys) or v == Const(None) or isinstance(v, Global) and v.path == ("_ad", "UNSET")


def _other_uses(s, keys, read, group=None):
    group = group or {}
    """The names `s` reads, or binds, other than in the forms this module rewrites."""
    def strip(e):
        def fn(x):
            if _entry(x, keys) is not None:
                return Const(None)
            return x
        return ir.names_in(ir.map_expr(e, fn))

    if isinstance(s, Assign):
        if _defines(s, keys):
            v = s.value
            if isinstance(v, Build):
                return set().union(*(strip(i) for i in v.items))
            if _helper(v, "new_object"):  # (its attributes are stored by the statements after it)
                return set()
            if _owned(v):  # (the copy of a dict's adjoint: its entries, the same objects)
                return set()  # (the second argument, the object, only gives the form: not read)
            if _added(v, keys):
                return set().union(*(strip(i) for a in v.args if isinstance(a, Build) for i in a.items))
            if isinstance(v, Call):  # (getitem_vjp(g, d, 'k'))
                return strip(v.args[0])
            return set()
        if len(s.targets) == 1 and _popped(s.value, keys):
            return {s.targets[0]} & set(keys)
        out = strip(s.value)
        return out | (set(s.targets) & set(keys))
    if isinstance(s, SetItem):
        if isinstance(s.target, Var) and s.target.name in keys:
            ok = len(s.items) == 1 and _key(s.items[0]) in keys[s.target.name] and s.op is None and \
                not s.noop and (s.result in (None, s.target.name) or s.result not in read or
                                s.result in group.get(s.target.name, ()))
            return strip(s.value) if ok else {s.target.name}
        return strip(s.value) | strip(s.target) | set().union(*(strip(i) for i in s.items))
    if isinstance(s, ExprStmt) and _helper(s.value, "add_at") and len(s.value.args) == 3 and \
            isinstance(s.value.args[0], Var) and s.value.args[0].name in keys:
        d = s.value.args[0].name
        return strip(s.value.args[2]) if _key(s.value.args[1]) in keys[d] else {d}
    if isinstance(s, ExprStmt) and _restored(s.value, keys):
        return strip(s.value.args[2])
    if isinstance(s, ExprStmt) and _popped(s.value, keys):
        return set()
    if isinstance(s, ir.AugAssign):
        return strip(s.value) | ({s.target} & set(keys))
    if isinstance(s, ir.For):
        return strip(s.iter) | ({s.target} & set(keys))
    if isinstance(s, (ir.If, ir.While)):
        return strip(s.test)
    if isinstance(s, (ExprStmt, ir.Return)):
        return strip(s.value) if s.value is not None else set()
    return (set(ir.stmt_reads(s)) | set(ir.stmt_writes(s))) & set(keys)  # (any other statement: left as it is)


def _rewrite(body, names):
    out = []
    for s in body:
        out += _statement(s, names)
    return out


def _at(new, old):
    new.origin = old.origin
    return new


def _entry(x, keys):
    """The key `x` reads of a candidate (`d['w']`, or an object's attribute `d.w`), else None."""
    if isinstance(x, Index) and isinstance(x.value, Var) and x.value.name in keys and len(x.items) == 1 and \
            _key(x.items[0]) in keys[x.value.name]:
        return _key(x.items[0])
    if isinstance(x, ir.Attr) and isinstance(x.value, Var) and x.value.name in keys and x.attr in keys[x.value.name]:
        return x.attr
    if _helper(x, "save_item") and len(x.args) == 2 and isinstance(x.args[0], Var) and \
            x.args[0].name in keys and _key(x.args[1]) in keys[x.args[0].name]:
        return _key(x.args[1])  # (what a store overwrites, saved by the tape: the entry's value, j12-008)
    return None


def _expr(e, names):
    def fn(x):
        key = _entry(x, names)
        if key is not None:
            return Var(names[(x.args[0] if isinstance(x, Call) else x.value).name][key])
        return x
    return ir.map_expr(e, fn) if e is not None else None


def _statement(s, names):
    if isinstance(s, Assign) and len(s.targets) == 1 and s.targets[0] in names:
        per_key, v = names[s.targets[0]], s.value
        if isinstance(v, Var) and names.get(v.name) is per_key:  # (a second name of the object: nothing to do)
            return []
        if isinstance(v, Build):  # (a key it does not give, of an adjoint dict with more later: zero)
            given = {k.value: i for k, i in zip(v.keys, v.items)}
            return [_at(Assign((n,), _expr(given[k], names) if k in given else Const(0.0)), s)
                    for k, n in per_key.items()]
        if _helper(v, "new_object"):  # (an object: its attributes' names bound by the stores after it)
            return []
        if _owned(v):  # (dict(b): the very entries, each name bound to its entry)
            source = names[v.args[0].name]
            return [_at(Assign((n,), Var(source[k]) if k in source else Const(0.0)), s) for k, n in per_key.items()]
        if _helper(v, "add"):  # (entry by entry: added where both have it, as runtime.add)
            def entry(a, k):
                if isinstance(a, Var):
                    return Var(names[a.name][k]) if k in names[a.name] else None
                got = {_key(key): i for key, i in zip(a.keys, a.items)}
                return _expr(got[k], names) if k in got else None
            add = Global(("_ad", "add"), runtime.add, runtime)
            out = []
            for k, n in per_key.items():
                pair = [x for x in (entry(v.args[0], k), entry(v.args[1], k)) if x is not None]
                out.append(_at(Assign((n,), Call(add, tuple(pair)) if len(pair) == 2 else pair[0]), s))
            return out
        if isinstance(v, Call):  # (the adjoint of d['k']: g at k, zeros elsewhere)
            g, d, key = _expr(v.args[0], names), v.args[1].name, v.args[2].value
            zeros = Global(("_ad", "zeros_like"), runtime.zeros_like, runtime)
            return [_at(Assign((n,), g if k == key else Call(zeros, (Var(names[d][k]),))), s)
                    for k, n in per_key.items()]
        return [_at(Assign((n,), v), s) for n in per_key.values()]  # (None: saved before it is made)
    if isinstance(s, Assign) and len(s.targets) == 1 and _popped(s.value, names):  # (taken, then cleared)
        n = names[s.value.args[0].name][s.value.args[1].value]
        zeros = Global(("_ad", "zeros_like"), runtime.zeros_like, runtime)
        return [_at(Assign(s.targets, Var(n)), s), _at(Assign((n,), Call(zeros, (Var(s.targets[0]),))), s)]
    if isinstance(s, SetItem) and isinstance(s.target, Var) and s.target.name in names:
        return [_at(Assign((names[s.target.name][s.items[0].value],), _expr(s.value, names)), s)]
    if isinstance(s, ExprStmt) and getattr(s, "first_value", None) is not None:  # (saved before its first store:
        d, key = _saved_object(s.value), _saved_attribute(s.value, _saved_object(s.value))  # a zero of its value)
        n = names[d][key]
        zeros = Global(("_ad", "zeros_like"), runtime.zeros_like, runtime)
        return [_at(Assign((n,), Call(zeros, (s.first_value,))), s),
                _at(ExprStmt(Call(s.value.func, (Var(n),))), s)]
    if isinstance(s, ExprStmt) and _restored(s.value, names):
        d, key, old = s.value.args
        return [_at(Assign((names[d.name][_key(key)],), _expr(old, names)), s)]
    if isinstance(s, ExprStmt) and _popped(s.value, names):  # (an entry taken and not used: cleared)
        n = names[s.value.args[0].name][_key(s.value.args[1])]
        zeros = Global(("_ad", "zeros_like"), runtime.zeros_like, runtime)
        return [_at(Assign((n,), Call(zeros, (Var(n),))), s)]
    if isinstance(s, ExprStmt) and _helper(s.value, "add_at") and isinstance(s.value.args[0], Var) and \
            s.value.args[0].name in names:
        n = names[s.value.args[0].name][s.value.args[1].value]
        add = Global(("_ad", "add"), runtime.add, runtime)
        return [_at(Assign((n,), Call(add, (Var(n), _expr(s.value.args[2], names)))), s)]
    if isinstance(s, (Assign, ExprStmt, ir.Return, ir.AugAssign)):
        s.value = _expr(s.value, names)
    elif isinstance(s, SetItem):
        s.target, s.value = _expr(s.target, names), _expr(s.value, names)
        s.items = tuple(_expr(i, names) for i in s.items)
    elif isinstance(s, (ir.If, ir.While)):
        s.test = _expr(s.test, names)
    elif isinstance(s, ir.For):
        s.iter = _expr(s.iter, names)
    if isinstance(s, ir.If):
        s.body, s.orelse = _rewrite(s.body, names), _rewrite(s.orelse, names)
    elif isinstance(s, (ir.For, ir.While)):
        s.body = _rewrite(s.body, names)
    return [s]
