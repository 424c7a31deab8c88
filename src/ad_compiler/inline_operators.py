"""Operators on objects of the user's classes, for the inliner (inline.py): what Python calls for them.

- `obj[key] = v`: the class's `__setitem__` inlined (`C.__setitem__(obj, key, v)`); `obj[key] op= v` as
  Python runs it: `t = obj[key]` (its `__getitem__`), `t op= v`, `obj[key] = t`; a slice or several keys
  (`obj[1:]`, `obj[0, 1]`) given as the `slice` object or the tuple Python passes, to `__setitem__` and to
  `__getitem__` (inline_objects.item_read takes one plain key).
- `obj op= v` on a name: the class's in-place method (`__iadd__`, ...) inlined and the name rebound to what it
  returns, or, without one, the binary method (`__add__`): `obj = C.__add__(obj, v)`.
- `obj op v` with an object of the user's class on the left: its `__add__` (...) inlined.
A class without the method Python would call, a reflected operator (`v + obj`: `__radd__`, which NumPy may
call item by item), or a method that may return `NotImplemented` (Python then tries another one) is refused at
the line (g4-003 / g4-004: before, `obj[k] = v` was differentiated as a store into an array and `obj += v`
dropped: silently wrong).
"""
import inspect

from . import ir
from .errors import UnsupportedError
from .inline_objects import class_of
from .ir import Assign, AugAssign, Call, ExprStmt, Global, Var

METHODS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "**": "pow",
           "@": "matmul", "&": "and", "|": "or", "^": "xor", "<<": "lshift", ">>": "rshift"}


def _returns_not_implemented(func):
    try:
        return "NotImplemented" in inspect.getsource(func)
    except (OSError, TypeError):
        return True


class ObjectOperators:
    """Rewrites the statements applying an operator to an object of the user's class into calls of the
    class's methods (then inlined like any method call)."""

    def __init__(self, inliner):
        self.inliner = inliner

    def _class(self, atom, env):
        return class_of(env.get(atom.name)) if isinstance(atom, Var) else None

    def _method(self, stmt, cls, name, what):
        found = inspect.getattr_static(cls, name, None)
        if found is None:
            return None
        if not inspect.isfunction(found) or _returns_not_implemented(found):
            raise UnsupportedError(f"{what} calls `{cls.__name__}.{name}`, which cannot be followed here (it is not "
                                   "a plain function, or it may return NotImplemented)",
                                   where=self.inliner.values.where(stmt), hint=f"call a method of {cls.__name__} instead")
        return Global((cls.__name__, name), found, cls)

    def _run(self, stmt, new, env):
        out = []
        for s in new:
            out += self.inliner.statement(self.inliner.values.new_stmt(stmt, s), env)
        return out

    def store(self, s, env):
        """`obj[key] (op)= v` for an object of the user's class: its `__setitem__` (None: not such a store)."""
        if not (isinstance(s, ir.SetItem) and isinstance(s.target, Var)):
            return None
        if len(s.items) == 1 and isinstance(s.items[0], ir.Const) and isinstance(s.items[0].value, ir.AttrName):
            return None  # (an attribute store)
        cls = self._class(s.target, env)
        if cls is None:
            return None
        setter = self._method(s, cls, "__setitem__", f"`{s.target.name}[...] = ...`")
        if setter is None:
            raise UnsupportedError(f"storing into a {cls.__name__} object whose class has no `__setitem__`",
                                   where=self.inliner.values.where(s), hint="store into one of its attributes")
        new, key = self.key(s.items, s.tuple_form)
        value = s.value
        if s.op is not None:  # obj[k] op= v: t = obj[k]; t op= v; obj[k] = t
            t = self.inliner.alloc.temp()
            new += [Assign((t,), ir.Index(s.target, (key,))), AugAssign(t, s.op, value)]  # (key: one atom)
            value = Var(t)
        new.append(ExprStmt(Call(setter, (s.target, key, value))))
        return self._run(s, new, env)

    def key(self, items, tuple_form):
        """(statements, atom): the one key Python passes to `__getitem__` / `__setitem__` for `obj[items]`."""
        new, atoms = [], []
        for item in items:
            if isinstance(item, ir.Slice):
                t = self.inliner.alloc.temp()
                new.append(Assign((t,), Call(Global(("slice",), slice), tuple(
                    ir.Const(None) if a is None else a for a in (item.lower, item.upper, item.step)))))
                item = Var(t)
            atoms.append(item)
        if len(atoms) == 1 and not tuple_form:
            return new, atoms[0]
        t = self.inliner.alloc.temp()
        return new + [Assign((t,), ir.Build("tuple", tuple(atoms)))], Var(t)

    def sliced_read(self, s, value, target, env):
        """`target = obj[1:]` / `obj[i, j]` for an object of the user's class defining `__getitem__`: the
        method called with the slice or the tuple (None: not such a read, or one key, which item_read takes)."""
        if not (isinstance(value, ir.Index) and isinstance(value.value, Var)) or \
                (len(value.items) == 1 and not value.tuple_form and not isinstance(value.items[0], ir.Slice)) or \
                ir.attr_key(value.items) is not None:
            return None
        cls = self._class(value.value, env)
        getter = cls and self._method(s, cls, "__getitem__", f"`{value.value.name}[...]`")
        if not getter:
            return None
        new, key = self.key(value.items, value.tuple_form)
        return self._run(s, new + [Assign((target,), Call(getter, (value.value, key)))], env)

    def augassign(self, s, env):
        """`obj op= v` on a name holding an object of the user's class: `obj = C.__iop__(obj, v)`, or
        `obj = C.__op__(obj, v)` without the in-place method (None: not such a statement)."""
        if not isinstance(s, AugAssign):
            return None
        cls = self._class(Var(s.target), env)
        if cls is None:
            return None
        what = f"`{s.target} {s.op}= ...`"
        name = METHODS.get(s.op)
        method = name and (self._method(s, cls, f"__i{name}__", what) or self._method(s, cls, f"__{name}__", what))
        if not method:
            raise UnsupportedError(f"{what} on a {cls.__name__} object, whose class defines neither "
                                   f"`__i{name}__` nor `__{name}__`", where=self.inliner.values.where(s),
                                   hint="update one of its attributes")
        return self._run(s, [Assign((s.target,), Call(method, (Var(s.target), s.value)))], env)

    def binop(self, s, value, target, env):
        """`target = obj op v` with an object of the user's class on the left: `C.__op__(obj, v)`; refused
        with one on the right only (None: no object)."""
        if not isinstance(value, ir.BinOp):
            return None
        left, right = self._class(value.left, env), self._class(value.right, env)
        if left is None and right is None:
            return None
        what = f"`... {value.op} ...`"
        name = METHODS.get(value.op)
        method = left is not None and name and self._method(s, left, f"__{name}__", what)
        if not method:
            cls = left or right
            raise UnsupportedError(f"{what} on a {cls.__name__} object cannot be differentiated"
                                   + (" (a reflected operator, `__r...__`, is not followed)" if left is None else
                                      f": its class has no `__{name}__`"), where=self.inliner.values.where(s),
                                   hint=f"put the {cls.__name__} object on the left, or call its method")
        return self._run(s, [Assign((target,), Call(method, (value.left, value.right)))], env)
