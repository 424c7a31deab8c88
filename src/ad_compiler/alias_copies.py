"""`copy.copy(v)` and `copy.deepcopy(v)` of a value whose structure the kinds know (an object of the user's
class, lists, tuples and dicts of known items, arrays, numbers), written as what they do (ob3-006): a new object
(`_ad.new_object(C)`, no `__init__`, as copy does) given the same attributes, a list / dict / tuple literal of
the items; for deepcopy every array copied (`np.copy`, keeping its layout as `ndarray.__deepcopy__` does) and
every list, dict and object made again. Numbers, strings and None are the same objects in both, as in Python.

What copy would do otherwise is refused at the line: a class customizing copying (`__copy__`, `__deepcopy__`,
`__reduce__`, `__reduce_ex__`, `__getstate__`, `__setstate__`, `__slots__`, copyreg), a structure whose items
are not known, and a deepcopy of a structure in which two places may hold the same mutable value (deepcopy's
memo keeps them one object; the copies written here would not)."""
from __future__ import annotations

import copy
import copyreg

import numpy as np

from . import ir, kinds as K
from .alias_library import runtime
from .alias_session import Part
from .ir import Assign, AttrName, Build, Call, Const, Global, SetItem, Var

_IMMUTABLE = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis), slice, range)
_COPY_HOOKS = ("__copy__", "__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__")


class Copies(Part):
    """`copy.copy` / `copy.deepcopy` calls, as the statements making the copy."""

    def rewrite(self, s, value, state, site):
        """The statements replacing `target = copy.copy(v)` / `copy.deepcopy(v)`, or None (not such a call)."""
        if not (isinstance(value, Call) and isinstance(value.func, Global) and
                value.func.obj in (copy.copy, copy.deepcopy) and len(s.targets) == 1):
            return None
        if len(value.args) != 1 or value.kwargs or not isinstance(value.args[0], Var):
            return None  # (a memo given: left to the call)
        deep = value.func.obj is copy.deepcopy
        self.out, self.seen, self.stmt, self.site, self.n, self.state = [], {}, s, site, 0, state
        made = self.copied(value.args[0], state, deep, top=True)
        return self.out + self.assignments.assign(self.derived(s, Assign(s.targets, made)), state, site + ("copy",))

    # -- the copy of one value -------------------------------------------------------------------------------
    def copied(self, atom, state, deep, top=False):
        """An atom holding the copy of `atom` (deep: all the way down; else only the top level is new)."""
        if isinstance(atom, Const):
            return atom
        val = self.values.val(atom, state)
        kind = val.kind
        if isinstance(kind, K.Scalar) or isinstance(kind, K.Other) and issubclass(kind.cls, _IMMUTABLE):
            return atom
        if not (top or deep):
            return atom  # (a shallow copy holds the very items)
        if deep:
            self.check_shared(val, atom)
        if isinstance(kind, K.Array) and kind.cls is np.ndarray:
            return self.emit(Call(Global(("np", "copy"), np.copy, np), (atom,)))
        if isinstance(kind, K.Seq) and kind.cls is tuple and not deep:
            return atom  # (copy.copy of a tuple is the tuple itself)
        if isinstance(kind, K.Seq) and kind.items is not None:
            items = tuple(self.copied(self.emit(ir.Index(atom, (Const(i),))), state, deep)
                          for i in range(len(kind.items)))
            return self.emit(Build(kind.cls.__name__, items))
        if isinstance(kind, K.Dict) and all(type(k) in (str, int) for k in kind.keys):
            items = tuple(self.copied(self.emit(ir.Index(atom, (Const(k),))), state, deep) for k in kind.keys)
            return self.emit(Build("dict", items, tuple(Const(k) for k in kind.keys)))
        if isinstance(kind, K.Obj) and self.plain(kind.cls) and self.complete(val, kind, state):
            rt = runtime()
            new = self.emit(Call(Global(("_ad", "new_object"), rt.new_object, rt),
                                 (Global((kind.cls.__name__,), kind.cls),)))
            for name, _ in kind.attrs:
                item = self.copied(self.emit(ir.Attr(atom, name)), state, deep)
                self.n += 1
                self.out += self.stores.store(self.derived(self.stmt, SetItem(new, (Const(AttrName(name)),), item)),
                                              state, self.site + ("attr", self.n))
            return new
        what = "copy.deepcopy" if deep else "copy.copy"
        if isinstance(kind, K.Obj) and not self.plain(kind.cls):
            why = "whose class customizes copying"
        elif isinstance(kind, K.Obj):
            why = "whose attributes are not known here (one stored on some paths only?)"
        else:
            why = "whose items are not known here"
        self.refuse(self.stmt, f"`{what}` of {_described(kind, atom)}, {why}, cannot be differentiated",
                    "make the new value explicitly (a new object, `np.copy(a)`, a list of the items)")

    def emit(self, expr):
        """`t = expr` (through the alias pass); the atom t."""
        t = self.temp()
        self.n += 1
        self.out += self.assignments.assign(self.derived(self.stmt, Assign((t,), expr)), self.state,
                                            self.site + ("part", self.n))
        return Var(t)

    def check_shared(self, val, atom):
        """deepcopy keeps two places holding the same mutable value one object (its memo): refused."""
        for o in val.objs:
            if o in self.seen and self.seen[o] != atom.name:
                self.refuse(self.stmt, "`copy.deepcopy` of a structure in which two places may hold the same "
                                       "array, list, dict or object (deepcopy keeps them one object) cannot be "
                                       "differentiated", "copy the parts explicitly")
            self.seen[o] = atom.name

    @staticmethod
    def complete(val, kind, state):
        """Are the object's attributes all in its kind? An object the function made: its attributes stored on
        every path (an attribute stored on one path only is left out of the kind after the join: its slots no
        longer match); an argument's (or a part of one): all those it had (kinds.kind_of)."""
        obj = val.must()
        if obj is None:
            return False
        slots = state.slots.get(obj)
        if slots is None:
            return obj.external() and obj.kind == "ext"
        return isinstance(slots, list) and len(slots) == len(kind.attrs)

    @staticmethod
    def plain(cls):
        """Does copying an object of this class copy its `__dict__` (no hook changes what copy does)?"""
        if cls in copyreg.dispatch_table or getattr(cls, "__slots__", None):
            return False
        return all(getattr(cls, h, None) is getattr(object, h, None) for h in _COPY_HOOKS)


def _described(kind, atom):
    if isinstance(kind, K.Obj):
        return f"a `{kind.cls.__name__}` object"
    return f"`{atom.name}` ({kind.describe()})"
