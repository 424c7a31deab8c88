"""Objects of the user's classes, for the inliner (inline.py).

- `lin = Layer(W, b)` made in the function: `lin = _ad.new_object(Layer)` (the instance, without running
  `__init__`), then `Layer.__init__(lin, W, b)` inlined. Its attribute stores `self.W = W` are stores into
  the object, a container of its attributes (alias.py follows them as it follows a dict's keys), so the
  attributes carry derivatives. A dataclass's generated `__init__` is written out the same way.
- Methods: of an object made in the function or passed in (its class known from the argument's kind), of
  an item of a list of objects (inline_loops.py), inherited, through `super()` (desugared with its class and
  `self`: `super(Layer, self)`), static and class methods, properties (their getter inlined), and `obj(x)`
  for a class with `__call__`.
- What is stored in an attribute of an object made in the function (a function, another object) is known
  to the inliner by (object, attribute), so `self.activation(x)` calls the function stored in `__init__`.
"""
import dataclasses
import inspect
import itertools

from . import ir
from .errors import UnsupportedError
from .inline_dataclass import dataclass_init, object_init
from .inline_static import MISSING, record_method, static_of_atom
from .ir import Assign, Call, Const, ExprStmt, Global, Var
from .markers import Checkpointed

_records = itertools.count(1)


class ObjectRecord:
    """An object made in the function: its class, and a number naming it in the static environment."""

    def __init__(self, cls):
        self.cls = cls
        self.id = next(_records)

    def __repr__(self):
        return f"<{self.cls.__name__} object #{self.id}>"


def class_of(static):
    """The class of the object a static value describes (made in the function, or of a known kind)."""
    if isinstance(static, tuple) and static[0] == "object":
        return static[1].cls
    if isinstance(static, tuple) and static[0] == "kind" and static[1].__class__.__name__ == "Obj":
        return static[1].cls
    return None


def class_with_methods(static):
    """class_of, and the class of a named tuple made in the function (inline_named.py): whose methods and
    properties are inlined (its items are not attributes, nor is it iterated as an object)."""
    if isinstance(static, tuple) and static[0] == "named":
        return static[1]
    return class_of(static)


def _after_in_mro(owner, attr, env):
    """(what `super(C, self).attr` finds, the class of self, self, the class it is found in) for the static
    value ("super", C, self): the first class after C in the MRO of self's class defining `attr`; (None, ..)
    if unknown. `self` may be
    an object made in the function or passed in, a global object, or a class (in a class method)."""
    _, start, self_atom = owner
    static = static_of_atom(self_atom, env)
    cls = class_of(static)
    if cls is None and isinstance(static, Global) and static.obj is not None:
        cls = static.obj if isinstance(static.obj, type) else type(static.obj)
    if cls is None or start not in cls.__mro__:
        return None, cls, self_atom, None
    for klass in cls.__mro__[cls.__mro__.index(start) + 1:]:
        if attr in vars(klass):
            return vars(klass)[attr], cls, self_atom, klass
    return None, cls, self_atom, None


def _is_class(static):
    return isinstance(static, Global) and isinstance(static.obj, type)


class Objects:
    """The inliner's part for objects: making them, their methods, `super()`, what their attributes hold."""

    def __init__(self, inliner):
        self.inliner = inliner
        self.alloc = inliner.alloc
        self.synthesized = {}  # class -> the __init__ written for a dataclass
        self.classes = []  # the classes of the objects made in the function or passed in (for `dispatch`)

    # -- making an object -------------------------------------------------------------------------------
    def construct(self, stmt, cls, call, target, env):
        """`target = cls(...)`: the object made, `__init__` inlined; the statements replacing the call."""
        values = self.inliner.values
        if cls.__new__ is not object.__new__:
            from .errors import UnsupportedError

            raise UnsupportedError(f"making a `{cls.__name__}` object: its class defines `__new__`, which cannot be "
                                   "followed", where=values.where(stmt), hint="make the object outside the function "
                                   "and pass it in")
        hooks = attribute_hooks(cls)
        if hooks:
            from .errors import UnsupportedError

            raise UnsupportedError(f"making a `{cls.__name__}` object: its class defines `{hooks[0]}`, so its "
                                   "attributes are not what was stored in them, which the compiler does not follow "
                                   "(h17-013)", where=values.where(stmt), hint="use a class without it, or compute "
                                   "on plain arrays")
        name = target if target is not None else self.alloc.temp()
        out = [values.new_stmt(stmt, Assign((name,), Call(_rt_global("new_object"), (Global((cls.__name__,), cls),))))]
        self.known_class(cls)
        record = ObjectRecord(cls)
        env[name] = ("object", record)
        init = self.init_function(cls)
        if init is not None:
            call_init = values.new_stmt(stmt, ExprStmt(Call(init, (Var(name),) + tuple(call.args), call.kwargs)))
            out += self.inliner.statement(call_init, env)
        env[name] = ("object", record)
        return out

    def init_function(self, cls):
        """The Global of the `__init__` to inline (None: `object.__init__`, which does nothing)."""
        init = getattr(cls, "__init__", None)
        if init is object.__init__ or init is None:
            return None
        if dataclasses.is_dataclass(cls) and getattr(init, "__qualname__", "").endswith("__create_fn__.<locals>.__init__") \
                or (dataclasses.is_dataclass(cls) and _generated(init)):
            init = dataclass_init(self.synthesized, cls)
        owner = next((k for k in cls.__mro__ if "__init__" in vars(k)), cls)
        return Global((owner.__name__, "__init__"), init, owner)

    # -- methods ----------------------------------------------------------------------------------------
    def method(self, owner_atom, cls, attr, resolver):
        """What `owner.attr(...)` calls for an object of class `cls` (see CalleeResolver.resolve)."""
        found = inspect.getattr_static(cls, attr, None)
        if found is not None:
            record_method(resolver.ctx, cls, attr, found)
        if isinstance(found, staticmethod):
            return resolver.as_function(found.__func__, [])
        if isinstance(found, classmethod):
            return resolver.as_function(found.__func__, [Global((cls.__name__,), cls)])
        if inspect.isfunction(found):
            return resolver.as_function(found, [owner_atom])
        if isinstance(found, Checkpointed) and getattr(resolver.ctx, "inline_checkpointed", False):
            return resolver.as_function(found.func, [owner_atom])  # (forward mode keeps nothing to recompute)
        return None

    def checkpointed_method(self, value, env):
        """`obj.step(h)` of an object whose class has `@ad.checkpoint` on `step`: the call of the checkpointed
        function with obj first (compiled on its own, callees.py), or None (c28-008: no derivative was known
        for `.step()` of an object made in the function or passed in; only a global object's was called)."""
        func = value.func
        if not (isinstance(func, ir.Attr) and isinstance(func.value, Var)):
            return None
        cls = class_with_methods(static_of_atom(func.value, env))
        found = inspect.getattr_static(cls, func.attr, None) if cls is not None else None
        if not isinstance(found, Checkpointed):
            return None
        owner = next((k for k in cls.__mro__ if vars(k).get(func.attr) is found), cls)
        return Call(Global((owner.__name__, func.attr), found, owner), (func.value,) + tuple(value.args), value.kwargs)

    def super_method(self, owner, attr, env, resolver):
        """`super(C, self).attr(...)`: the method after C in the class of self's MRO (self: an object, or a
        class in a class method)."""
        found, cls, self_atom, klass = _after_in_mro(owner, attr, env)
        if klass is not None:  # (the classes searched, recorded: a method replaced later recompiles, hunt5 002)
            mro = cls.__mro__
            for k in mro[mro.index(owner[1]) + 1:mro.index(klass) + 1]:
                record_method(resolver.ctx, k, attr, vars(k).get(attr, MISSING), own=True)
        if attr == "__init__" and klass is not None and not _is_class(static_of_atom(self_atom, env)):
            if klass is object:  # (super().__init__() of a class with no other base: does nothing)
                return resolver.as_function(object_init(self.synthesized), [self_atom])
            if dataclasses.is_dataclass(klass) and _generated(found):
                found = dataclass_init(self.synthesized, klass)
        if isinstance(found, staticmethod):
            return resolver.as_function(found.__func__, [])
        if isinstance(found, classmethod):
            return resolver.as_function(found.__func__, [Global((cls.__name__,), cls)])
        if inspect.isfunction(found) and not _is_class(static_of_atom(self_atom, env)):
            return resolver.as_function(found, [self_atom])
        return None

    def property_read(self, stmt, value, target, env):
        """`target = obj.prop` for a property of obj's class (or `super().prop`): its getter inlined (None: not
        a property)."""
        if not (isinstance(value, ir.Attr) and isinstance(value.value, Var)):
            return None
        static = env.get(value.value.name)
        if isinstance(static, tuple) and static[0] == "super":
            found, cls, self_atom, _ = _after_in_mro(static, value.attr, env)
            if not isinstance(found, property) or _is_class(static_of_atom(self_atom, env)):
                return None
            if found.fget is None or not inspect.isfunction(found.fget):
                return None
            owner = next(k for k in cls.__mro__ if vars(k).get(value.attr) is found)
            call = Call(Global((owner.__name__, value.attr, "fget"), found.fget, owner), (self_atom,))
            return self.inliner.statement(self.inliner.values.new_stmt(stmt, Assign((target,), call)), env)
        cls = class_with_methods(static)
        if cls is None:
            return None
        found = inspect.getattr_static(cls, value.attr, None)
        if not isinstance(found, property) or found.fget is None or not inspect.isfunction(found.fget):
            if _other_descriptor(found):  # (h17-016: functools.cached_property read as a stored attribute)
                raise UnsupportedError(f"reading `{value.attr}` goes through the descriptor `{cls.__name__}."
                                       f"{value.attr}` ({type(found).__name__}), which cannot be differentiated "
                                       "(yet)", where=self.inliner.values.where(stmt),
                                       hint="make it a method, or a property")
            return None
        call = self.inliner.values.new_stmt(stmt, Assign((target,), Call(
            Global((cls.__name__, value.attr, "fget"), found.fget, cls), (value.value,))))
        return self.inliner.statement(call, env)

    def item_read(self, stmt, value, target, env):
        """`target = obj[key]` for an object of a class defining `__getitem__`: that method inlined (None:
        not such an object)."""
        if not (isinstance(value, ir.Index) and isinstance(value.value, Var)):
            return None
        cls = class_of(env.get(value.value.name))
        if cls is None:
            return None
        found = inspect.getattr_static(cls, "__getitem__", None)
        if found is None:
            raise UnsupportedError(f"indexing a {cls.__name__} object, whose class has no `__getitem__`",
                                   where=self.inliner.values.where(stmt), hint="index one of its attributes")
        if not inspect.isfunction(found):
            return None
        if len(value.items) != 1 or value.tuple_form or not isinstance(value.items[0], (Var, Const)):
            raise UnsupportedError(f"indexing a {cls.__name__} object with a slice or several items cannot be "
                                   "differentiated (yet)", where=self.inliner.values.where(stmt),
                                   hint="call its method `__getitem__` with one key")
        call = self.inliner.values.new_stmt(stmt, Assign((target,), Call(
            Global((cls.__name__, "__getitem__"), found, cls), (value.value, value.items[0]))))
        return self.inliner.statement(call, env)

    def refuse_iteration(self, stmt, value, env):
        """`for v in obj` / `a, b = obj` over an object of the user's class: refused (its `__iter__` is not
        followed; the adjoint of an object is one entry per attribute)."""
        if not (isinstance(value, Call) and isinstance(value.func, Global) and value.func.path == ("_ad", "iter_list")
                and value.args and isinstance(value.args[0], Var)):
            return
        cls = class_of(env.get(value.args[0].name))
        if cls is not None:
            raise UnsupportedError(f"iterating over a {cls.__name__} object (or unpacking it) cannot be "
                                   "differentiated (yet)", where=self.inliner.values.where(stmt),
                                   hint="iterate over a list or an array attribute of it")

    def property_write(self, stmt, env):
        """`obj.prop = v` for a property of obj's class: its setter inlined; another descriptor of the class
        (one NumPy or a library defines) is refused. None for a plain attribute."""
        if not (isinstance(stmt, ir.SetItem) and isinstance(stmt.target, Var) and len(stmt.items) == 1 and
                isinstance(stmt.items[0], ir.Const) and isinstance(stmt.items[0].value, ir.AttrName)):
            return None
        cls = class_of(env.get(stmt.target.name))
        if cls is None:
            return None
        attr = str(stmt.items[0].value)
        found = inspect.getattr_static(cls, attr, None)
        if isinstance(found, property) and stmt.op is None and found.fset is not None and \
                inspect.isfunction(found.fset):
            call = self.inliner.values.new_stmt(stmt, ir.ExprStmt(Call(
                Global((cls.__name__, attr, "fset"), found.fset, cls), (stmt.target, stmt.value))))
            return self.inliner.statement(call, env)
        if isinstance(found, property) or (hasattr(found, "__set__") and
                                           type(found).__name__ not in ("member_descriptor", "getset_descriptor")):
            raise UnsupportedError(f"this assignment to `{attr}` goes through the descriptor `{cls.__name__}.{attr}` "
                                   "(a property, ...), which cannot be differentiated here (yet)",
                                   where=self.inliner.values.where(stmt),
                                   hint="call the setter as a method, or assign a plain attribute")
        return None

    def known_class(self, cls):
        if cls not in self.classes:
            self.classes.append(cls)

    def known_kinds(self, kinds_):
        """Remember the classes of the objects the arguments hold (lists of models, attributes)."""
        for k in kinds_:
            name = k.__class__.__name__
            if name == "Obj":
                self.known_class(k.cls)
                self.known_kinds([a for _, a in k.attrs])
            elif name == "Seq":
                self.known_kinds(k.items if k.items is not None else [k.elem])
            elif name == "Dict":
                self.known_kinds(k.items)

    def dispatch(self, stmt, call, target, env):
        """`obj.method(...)` where which object `obj` is was not known when compiling (an item of a list of
        objects made in a loop): one branch per class the function makes or is given that has the method,
        chosen by `type(obj) is C` when the derivative runs; another class is refused then. None when no
        class has the method."""
        func = call.func
        if not (isinstance(func, ir.Attr) and isinstance(func.value, Var)) or env.get(func.value.name) is not None:
            return None
        candidates = [c for c in self.classes if inspect.isfunction(inspect.getattr_static(c, func.attr, None))]
        if not candidates:
            return None
        values = self.inliner.values
        out = []
        kind = self.alloc.temp()
        out.append(values.new_stmt(stmt, Assign((kind,), Call(Global(("type",), type), (func.value,)))))
        result = target if target is not None else self.alloc.temp()
        where = Const(values.where_text(stmt))
        orelse = [values.new_stmt(stmt, Assign((result,), Call(_rt_global("unexpected_class"), (
            func.value, Const(tuple(c.__qualname__ for c in candidates)), where))))]
        for cls in reversed(candidates):
            test = self.alloc.temp()
            branch_env = dict(env)
            branch_env[func.value.name] = ("kind", _obj_kind(cls))
            body = self.inliner.statement(values.new_stmt(stmt, Assign((result,), call)), branch_env)
            check = [values.new_stmt(stmt, Assign((test,), ir.Compare(Var(kind), ("is",), (Global((cls.__name__,), cls),))))]
            orelse = check + [values.new_stmt(stmt, ir.If(Var(test), body, orelse))]
        env.pop(result, None)
        return out + orelse

    # -- what attributes hold ---------------------------------------------------------------------------
    def stored(self, s, env):
        """`obj.attr = v` into an object made in the function: what is known of v, under (object, attr)."""
        name = ir.attr_key(s.items)
        if name is None or not isinstance(s.target, Var):
            return False
        owner = env.get(s.target.name)
        if isinstance(owner, tuple) and owner[0] == "object":
            key = (owner[1].id, str(name))
            value = static_of_atom(s.value, env) if s.op is None else None
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
            return True
        for key in [k for k in env if isinstance(k, tuple) and k[1] == str(name)]:
            env.pop(key, None)  # (an object not known here: what any object holds there is no longer known)
        return True


def attribute_hooks(cls):
    """The methods of `cls` (or a base other than object) that change what reading or storing an attribute
    does: an object of such a class is not a container of its attributes."""
    return [n for n in ("__getattribute__", "__getattr__", "__setattr__", "__delattr__")
            if inspect.getattr_static(cls, n, None) is not getattr(object, n, None) and not _frozen_guard(cls, n)]


def _other_descriptor(found):
    """Is this class attribute a descriptor other than a method, a property of a Python getter, or a slot
    (`functools.cached_property`, a library's), whose reading the compiler does not follow?"""
    if found is None or inspect.isfunction(found) or isinstance(found, (staticmethod, classmethod)):
        return False
    if type(found).__name__ in ("member_descriptor", "getset_descriptor"):
        return False
    return hasattr(type(found), "__get__")


def _frozen_guard(cls, name):
    """Is `cls.name` the `__setattr__` / `__delattr__` a frozen dataclass is given (it only raises; the
    dataclass refuses one written in its body)?"""
    owner = next((c for c in cls.__mro__ if name in vars(c)), None)
    params = vars(owner).get("__dataclass_params__") if owner is not None else None
    return name in ("__setattr__", "__delattr__") and params is not None and params.frozen


def _obj_kind(cls):
    from .kinds import Obj

    return Obj(cls, ())


def attribute_static(owner, attr, env):
    """The static value of `owner.attr` for an object made in the function (None: not known)."""
    if isinstance(owner, tuple) and owner[0] == "object":
        return env.get((owner[1].id, attr))
    return None


def _generated(func):
    code = getattr(func, "__code__", None)
    return code is not None and code.co_filename.startswith("<")


def _rt_global(name):
    from . import runtime

    return Global(("_ad", name), getattr(runtime, name), runtime)
