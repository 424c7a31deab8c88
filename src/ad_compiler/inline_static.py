"""What the inliner knows about the value of a name when compiling (its *static* value), to tell which function
a call calls. A static environment maps IR names to:

- an `ir.Closure` (a nested `def` or lambda), a `Global` (a function, a bound method or an object of the
  user's module);
- ('partial', target, target atom, args, kwargs) for `functools.partial(f, ...)` made in the function;
- ('kind', kind) for a value whose kind is known from the arguments' kinds: an object (`Obj`: its class),
  a list or tuple of known length (`Seq`), a dict (`Dict`), a function (`Func`);
- ('seq', cls, item statics) for a list or tuple built on a line (its length, and what was known of each
  item then), ('dict', keys, item statics) for a dict;
  (what the inliner knows of a list or dict is forgotten, under every name holding it, when the function
  may change it: a method of it called, an item stored through a name it does not follow, the list given to
  a function that is not inlined; inline.py);
- ('const', value) for a constant (an `if` whose test is known takes its branch's knowledge);
- ('object', ObjectRecord) for an object made in the function (inline_objects.py);
- ('class', cls) for an argument that is an array of that class (only `isinstance` reads it).
"""
import functools
import inspect
import types

from . import ir, kinds as K, markers
from .ir import Build, Call, Const, Global, Index, Var
from .kinds import Obj


def static_of_atom(atom, env):
    """The static value of an atom: what `env` knows of a name, or the Global/Closure itself."""
    if isinstance(atom, Var):
        return env.get(atom.name)
    if isinstance(atom, Global):
        return atom
    if isinstance(atom, ir.Closure):
        return atom
    if isinstance(atom, Const) and is_simple(atom.value):
        return ("const", atom.value)
    return None


def static_of_atom_or_text(atom, env):
    """As `static_of_atom`, with a global name holding a string as that constant (`ACT = "tanh"` at module
    level: a derivative reading it is compiled again when it changes, driver._signature)."""
    if isinstance(atom, Global) and isinstance(atom.obj, str):
        return ("const", atom.obj)
    return static_of_atom(atom, env)


MISSING = object()  # (a key a table does not hold)


def global_item(v, env):
    """(container, key, item recorded, item) for `v = table[key]` with `table` a list, tuple or dict of the user's module (or
    an item of one) and a key known when compiling (a constant, a string argument, a global string), else
    None. The item is what the table holds now: the derivative records it, and is compiled again when the
    table holds another item under that key (driver.Context.stale). `TABLE.get(key, default)` too (the item
    recorded is MISSING when the table has no such key)."""
    if isinstance(v, Call) and isinstance(v.func, Global) and getattr(v.func.obj, "__name__", "") == "get" and \
            is_table(getattr(v.func.obj, "__self__", None)) and isinstance(v.func.obj.__self__, dict) and \
            1 <= len(v.args) <= 2 and not v.kwargs and not any(isinstance(a, ir.Starred) for a in v.args):
        key = static_of_atom_or_text(v.args[0], env)  # TABLE.get(name, default)
        table = v.func.obj.__self__
        if not (isinstance(key, tuple) and key[0] == "const") or (key[1] not in table and len(v.args) == 1):
            return None
        if key[1] in table:
            return table, key[1], table[key[1]], table[key[1]]
        default = static_of_atom(v.args[1], env)
        if isinstance(default, Global) and (callable(default.obj) or is_table(default.obj)):
            return table, key[1], MISSING, default.obj  # (compiled again when the key is added)
        return None
    if not (isinstance(v, Index) and len(v.items) == 1 and not v.tuple_form):
        return None
    base = static_of_atom(v.value, env)
    if not (isinstance(base, Global) and is_table(base.obj)):
        return None
    key = static_of_atom_or_text(v.items[0], env)
    if not (isinstance(key, tuple) and key[0] == "const"):
        return None
    try:
        item = base.obj[key[1]]
    except (KeyError, IndexError, TypeError):
        return None
    return base.obj, key[1], item, item


def static_of_kind(k):
    """What a kind says of a value, as a static value (None: nothing useful)."""
    if isinstance(k, Obj):
        return ("kind", k)
    if isinstance(k, K.Func):
        return ("kind", k)
    if isinstance(k, K.Seq) and k.items is not None:
        return ("kind", k)
    if isinstance(k, K.Dict):
        return ("kind", k)
    if isinstance(k, K.Str):  # (a string argument: the derivative is compiled for its value)
        return ("const", k.value)
    if isinstance(k, K.Other) and k.cls is type(None):  # (None: the only value of its class; `act is None` folds)
        return ("const", None)
    return None


def length_of(static):
    """The number of items of a list or tuple static value (None: not known)."""
    if isinstance(static, tuple) and static[0] == "seq":
        return len(static[2])
    if isinstance(static, tuple) and static[0] == "kind" and isinstance(static[1], K.Seq) and \
            static[1].items is not None:
        return len(static[1].items)
    return None


def keys_of(static):
    """The keys of a dict static value (None: not known)."""
    if isinstance(static, tuple) and static[0] == "dict":
        return tuple(static[1])
    if isinstance(static, tuple) and static[0] == "kind" and isinstance(static[1], K.Dict):
        return tuple(static[1].keys)
    return None


def is_container(static):
    """A static value of a list, tuple or dict (what is known of it may change with it); also a list or dict
    of the user's module held by a local name (its items are read when compiling: `global_item`)."""
    if isinstance(static, Global):
        return is_table(static.obj)
    return isinstance(static, tuple) and (static[0] in ("seq", "dict", "closures") or (
        static[0] == "kind" and isinstance(static[1], (K.Seq, K.Dict))))


def table_static(item):
    """What is known, when compiling, of an item of a list or dict of the user's module."""
    if is_simple(item):
        return ("const", item)
    if is_table(item):
        return Global(("table",), item)  # (only indexed again: never spelled)
    if callable(item) or is_object(item):
        return Global((getattr(item, "__name__", None) or "item",), item)
    return None


def is_table(obj):
    """A list, tuple or dict (exactly: not a subclass, whose indexing may run code)."""
    return type(obj) in (dict, list, tuple)


def item_static(static, key):
    """The static value of `value[key]` for a constant key (None: not known)."""
    if isinstance(static, tuple) and static[0] == "seq" and isinstance(key, int) and \
            -len(static[2]) <= key < len(static[2]):
        return static[2][key]
    if isinstance(static, tuple) and static[0] == "dict" and key in static[1]:
        return static[2][list(static[1]).index(key)]
    if isinstance(static, tuple) and static[0] == "kind":
        k = static[1]
        if isinstance(k, K.Seq) and isinstance(key, int) and k.items is not None and -len(k.items) <= key < len(k.items):
            return static_of_kind(k.items[key])
        if isinstance(k, K.Dict) and key in k.keys:
            return static_of_kind(k.item(key))
    return None


def static_of_value(v, env):
    """The static value a name gets from the assignment `name = v`, or None."""
    if isinstance(v, ir.Closure):
        return v
    if isinstance(v, Var):
        return env.get(v.name)
    if isinstance(v, Const):
        return ("const", v.value) if is_simple(v.value) else None
    if isinstance(v, Global) and (callable(v.obj) or is_object(v.obj) or is_table(v.obj)):
        return v
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.path == ("_ad", "as_named") and \
            isinstance(v.args[0], Global):
        return ("named", v.args[0].obj)  # (a named tuple made in the function: inline_named.py)
    if isinstance(v, Build) and v.kind in ("tuple", "list"):
        return ("seq", tuple if v.kind == "tuple" else list, tuple(static_of_atom(i, env) for i in v.items))
    if isinstance(v, Build) and v.kind == "dict" and all(isinstance(k, Const) for k in v.keys):
        return ("dict", tuple(k.value for k in v.keys), tuple(static_of_atom(i, env) for i in v.items))
    if isinstance(v, Build) and v.kind in ("tuple", "dict"):
        return v  # *args / **kwargs of a wrapper
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is markers.checkpoint and \
            len(v.args) == 1 and not v.kwargs:  # `ad.checkpoint(f)` made here: f, checkpointed
        target = static_of_atom(v.args[0], env)
        if isinstance(target, Global) and callable(target.obj) and not isinstance(target.obj, markers.Checkpointed):
            made = markers.Checkpointed(target.obj)
            made.named_as_function = True  # (its path names the function, not this wrapper)
            return Global(target.path, made, target.root)
        return target if isinstance(target, Global) else None
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is functools.partial and v.args and \
            not any(isinstance(a, ir.Starred) for a in v.args) and all(k != "**" for k, _ in v.kwargs):
        target = static_of_atom(v.args[0], env)
        if target is not None:  # functools.partial(f, a, b=c) made here: f with these arguments first
            return ("partial", target, v.args[0], list(v.args[1:]), list(v.kwargs))
    if isinstance(v, Index) and ir.attr_key(v.items) is not None:
        return static_of_value(ir.Attr(v.value, str(ir.attr_key(v.items))), env)
    if isinstance(v, Index) and isinstance(v.value, Var) and len(v.items) == 1 and not v.tuple_form:
        base = env.get(v.value.name)
        key = v.items[0]
        if isinstance(base, tuple) and base[0] == "closures":  # (inline_closure_lists.py)
            return base if isinstance(key, ir.Slice) else ("defaults of", base[1])
        if isinstance(key, ir.Slice):
            return _sliced(base, key)
        if isinstance(key, Const):
            return item_static(base, key.value)
        if isinstance(key, Var) and isinstance(env.get(key.name), tuple) and env[key.name][0] == "const":
            return item_static(base, env[key.name][1])
        if isinstance(key, Global) and isinstance(key.obj, str):
            return item_static(base, key.obj)
        if isinstance(key, Var) and isinstance(base, tuple):
            return _any_item(base)
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is super and len(v.args) == 2 and \
            isinstance(v.args[1], Var):
        first = static_of_atom(v.args[0], env)  # (a class: `C`, or `type(self)` of an object of a known class)
        if isinstance(first, Global) and isinstance(first.obj, type):
            return ("super", first.obj, v.args[1])  # super(C, self): C's base classes' methods (inline_objects)
    if (isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is type and len(v.args) == 1 and
            not v.kwargs) or (isinstance(v, ir.Attr) and v.attr == "__class__"):
        cls = _class_of(static_of_atom(v.args[0] if isinstance(v, Call) else v.value, env))
        if cls is not None:  # type(obj) / obj.__class__ of an object whose class is known
            return Global((cls.__name__,), cls)
    if isinstance(v, Call) and isinstance(v.func, Global) and len(v.args) == 1 and isinstance(v.args[0], Global) \
            and not v.kwargs and getattr(v.func.obj, "__name__", "") == "iter_list" and v.func.path[:1] == ("_ad",) \
            and type(v.args[0].obj) in (list, tuple):
        return v.args[0]  # (a list of the user's module itself: `for name in ORDER`, inline_loops.py)
    if isinstance(v, Call) and isinstance(v.func, Global) and len(v.args) == 1 and isinstance(v.args[0], Var) \
            and not v.kwargs:
        if v.func.obj is len:
            return ("len", v.args[0].name)
        if getattr(v.func.obj, "__name__", "") == "iter_list" and v.func.path[:1] == ("_ad",):
            base = env.get(v.args[0].name)  # (a list or tuple itself)
            if isinstance(base, tuple) and (base[0] in ("seq", "closures") or (
                    base[0] == "kind" and isinstance(base[1], K.Seq))):
                return base
    if isinstance(v, ir.Compare) and len(v.ops) == 1:
        return _compare(v, env)
    if isinstance(v, Call) and isinstance(v.func, Global) and v.func.obj is isinstance and len(v.args) == 2 and \
            not v.kwargs and not any(isinstance(a, ir.Starred) for a in v.args):
        known = _isinstance(static_of_atom(v.args[0], env), static_of_atom(v.args[1], env))
        if known is not None:  # (`o.v if isinstance(o, Vec) else o` in a dunder: the branch taken is known)
            return ("const", known)
    if isinstance(v, ir.BinOp) and v.op == "+":  # "act_" + name: a name known when compiling
        left, right = static_of_atom_or_text(v.left, env), static_of_atom_or_text(v.right, env)
        if all(isinstance(x, tuple) and x[0] == "const" and isinstance(x[1], str) for x in (left, right)):
            return ("const", left[1] + right[1])
    if isinstance(v, ir.Attr) and isinstance(v.value, Var):
        owner = env.get(v.value.name)
        bound = _bound_method(v, owner, env)
        if bound is not None:
            return bound
        if isinstance(owner, tuple) and owner[0] == "object":  # (inline_objects.py)
            return env.get((owner[1].id, v.attr))
        if isinstance(owner, tuple) and owner[0] == "kind" and isinstance(owner[1], Obj):
            k = owner[1].attr(v.attr)
            return static_of_kind(k) if k is not None else None
        if isinstance(owner, Global) and is_object(owner.obj):
            member = getattr(owner.obj, v.attr, None)
            if member is not None and (is_object(member) or callable(member)):
                return Global(owner.path + (v.attr,), member, owner.base, owner.home)
    return None


def _class_of(static):
    """The class of the object a static value describes (made in the function, of a known kind, or a global
    object), or None."""
    if isinstance(static, tuple) and static[0] == "object":
        return static[1].cls
    if isinstance(static, tuple) and static[0] == "kind" and isinstance(static[1], Obj):
        return static[1].cls
    if isinstance(static, Global) and (is_object(static.obj) or (
            hasattr(static.obj, "__dict__") and not isinstance(static.obj, (type, types.ModuleType))
            and not inspect.isroutine(static.obj))):  # (an object, callable ones too)
        return type(static.obj)


def _isinstance(obj, classes):
    """`isinstance(o, C)` when compiling, for o of a known class (an object made in the function or of a known
    kind, a constant, a list, tuple or dict of known kind) and C a class of the plain metaclass `type` (or a
    tuple of them: no `__instancecheck__` to run), else None."""
    cls = classes.obj if isinstance(classes, Global) else None
    if isinstance(classes, tuple) and classes[0] == "seq" and classes[1] is tuple and \
            all(isinstance(c, Global) for c in classes[2]):  # (a tuple of classes written in the call)
        cls = tuple(c.obj for c in classes[2])
    if not (isinstance(cls, type) and type(cls) is type or type(cls) is tuple and cls and all(
            isinstance(c, type) and type(c) is type for c in cls)):
        return None
    if isinstance(obj, tuple) and obj[0] == "object":
        of = obj[1].cls
    elif isinstance(obj, tuple) and obj[0] == "kind" and isinstance(obj[1], (Obj, K.Seq)):
        of = obj[1].cls
    elif isinstance(obj, tuple) and obj[0] == "kind" and isinstance(obj[1], K.Dict):
        of = dict
    elif isinstance(obj, tuple) and obj[0] == "const" and is_simple(obj[1]):
        of = type(obj[1])
    elif isinstance(obj, tuple) and obj[0] == "class":  # (an array argument's class: inline.Inliner.run)
        of = obj[1]
    else:
        return None
    return issubclass(of, cls) if isinstance(of, type) and type(of) is type else None


def _bound_method(v, owner, env):
    """('bound', owner name, owner's static value, method) for `m = obj.method` (`getattr(self, "act_" +
    kind)`) of an object whose class is known and defines that method (not shadowed by an attribute stored in
    it); a call `m(x)` is the call `obj.method(x)` while the name still holds that object (inline_resolve.py)."""
    cls = None
    if isinstance(owner, tuple) and owner[0] == "object":
        cls = owner[1].cls
        if (owner[1].id, v.attr) in env:
            return None
    elif isinstance(owner, tuple) and owner[0] == "kind" and isinstance(owner[1], Obj):
        cls = owner[1].cls
        if owner[1].attr(v.attr) is not None:
            return None
    if cls is None:
        return None
    import inspect

    member = inspect.getattr_static(cls, v.attr, None)
    if inspect.isfunction(member):
        return ("bound", v.value, owner, v.attr)
    return None


def _sliced(base, key):
    """The static value of `seq[a:b:c]` for constant bounds (None: not known)."""
    if not all(e is None or (isinstance(e, Const) and (e.value is None or isinstance(e.value, int)))
               for e in (key.lower, key.upper, key.step)):
        return None
    sl = slice(*(e.value if e is not None else None for e in (key.lower, key.upper, key.step)))
    if isinstance(base, tuple) and base[0] == "seq":
        return ("seq", base[1], base[2][sl])
    if isinstance(base, tuple) and base[0] == "kind" and isinstance(base[1], K.Seq) and base[1].items is not None:
        items = base[1].items[sl]
        return ("kind", K.Seq(base[1].cls, items, K.join_all(items) if items else None))
    return None


def _any_item(base):
    """The static value of `seq[k]` for an index not known when compiling: what every item has in common
    (the same class of object, the same function), else None."""
    if isinstance(base, tuple) and base[0] == "kind" and isinstance(base[1], K.Seq):
        return static_of_kind(base[1].item(None))
    if isinstance(base, tuple) and base[0] == "seq" and base[2]:
        first = base[2][0]
        return first if all(same_static(first, x) for x in base[2]) else None
    return None


def _compare(v, env):
    """('const', result) of a comparison of two constants known when compiling, else None."""
    left, right = static_of_atom_or_text(v.left, env), static_of_atom_or_text(v.rights[0], env)
    if isinstance(left, Global) and isinstance(right, Global) and v.ops[0] in ("is", "is not"):
        return ("const", (left.obj is right.obj) == (v.ops[0] == "is"))  # (objects known when compiling)
    if not (isinstance(left, tuple) and left[0] == "const" and isinstance(right, tuple) and right[0] == "const"):
        return None
    import operator

    ops = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge, "is": operator.is_, "is not": operator.is_not}
    op = ops.get(v.ops[0])
    if op is None:
        return None
    try:
        return ("const", bool(op(left[1], right[1])))
    except Exception:  # noqa: BLE001 (not known)
        return None


def same_static(a, b):
    """Do two static values certainly mean the same function or class of object?"""
    if a is b:
        return True
    if isinstance(a, Global) and isinstance(b, Global):
        return a.obj is b.obj
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "kind":
        return a[1] == b[1]
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "named":
        return a[1] is b[1]  # (named tuples of one class: inline_named.py)
    return False


def is_object(x):
    """An instance with attributes (not a class, a module or a function)."""
    return hasattr(x, "__dict__") and not isinstance(x, (type, types.ModuleType)) and not callable(x)


def is_simple(value):
    """A value written as a constant in generated code (None, bool, int, float, str, tuples of them)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):
        return all(is_simple(v) for v in value)
    return False


class StaticAttributes:
    """An object's or a class's attributes as a table (`table[name]`: what inspect.getattr_static finds now: an
    object's own, else its class's, through the MRO), for `ctx.items`: a function stored in an attribute of an
    object of the user's module (`D = Dense(W, act=relu)`, `self.act(h)` inlined), or a method of an argument's
    class inlined, is recorded, so that the derivative is compiled again when the object or the class is given
    another one (`D.act = cube`, hunt5 002: `A.act = cubic` kept the old derivative; the object stays the same)."""

    def __init__(self, owner):
        self.owner = owner

    def __getitem__(self, name):
        import inspect

        found = inspect.getattr_static(self.owner, name, MISSING)
        if found is MISSING:
            raise KeyError(name)
        return found


def record_attribute(ctx, obj, name):
    """Record what `obj.name` was when compiling (see StaticAttributes)."""
    import inspect

    items = getattr(ctx, "items", None)
    found = inspect.getattr_static(obj, name, MISSING)
    if items is not None and found is not MISSING:
        items.append((StaticAttributes(obj), name, found))


def record_method(ctx, cls, name, found, own=False):
    """Record that `cls.name` was `found` when compiling (see StaticAttributes); `own`: in the class's own
    attributes (`vars(cls)`, MISSING if it has none of that name: super() searches them one by one)."""
    items = getattr(ctx, "items", None)
    if items is not None:
        items.append((vars(cls) if own else StaticAttributes(cls), name, found))
