"""The inverse of a view that permutes axes with constant arguments (`x.transpose(1, 0)`, `x.transpose((1, 0))`,
`x.swapaxes(0, -1)`, `np.swapaxes(x, 0, 1)`, `np.transpose(x, axes=(1, 0))`, `np.moveaxis(x, -1, 0)`): the call
giving the base back from the view, so that a store into such a view refreshes its base (alias_refresh.inverse;
before, only `.T` and `transpose()` without axes were followed and the store was refused, g4-011)."""
import numpy as np

from . import ir
from .ir import Call, Const, Global, Var

_FUNCTIONS = {np.transpose: "transpose", np.swapaxes: "swapaxes", np.moveaxis: "moveaxis"}


def _const(atom):
    if not isinstance(atom, Const):
        return None
    v = atom.value
    if type(v) is int or (isinstance(v, tuple) and all(type(a) is int for a in v)):
        return v
    return None


def _axes(name, args, kwargs):
    """The constant axis arguments of the call, in positional order, or None."""
    names = {"transpose": ("axes",), "swapaxes": ("axis1", "axis2"), "moveaxis": ("source", "destination")}[name]
    values = [_const(a) for a in args]
    if name == "transpose" and len(values) > 1:  # x.transpose(1, 0)
        values = [tuple(values)] if all(type(v) is int for v in values) else [None]
    for key in names[len(values):]:
        if key not in kwargs:
            return None
        values.append(_const(kwargs[key]))
    if len(values) != len(names) or any(v is None for v in values):
        return None
    return values


def inverse_call(value, parent_var, child_name):
    """`np.<f>(child, ...)` giving the base `parent_var` back from the view `child_name` it made by `value`;
    None where `value` is not such a view with constant axes."""
    if not isinstance(value, Call):
        return None
    if isinstance(value.func, ir.Attr) and value.func.value == Var(parent_var) and \
            value.func.attr in ("transpose", "swapaxes"):
        name, args = value.func.attr, value.args
    elif isinstance(value.func, Global) and value.func.obj in _FUNCTIONS and value.args and \
            value.args[0] == Var(parent_var):
        name, args = _FUNCTIONS[value.func.obj], value.args[1:]
    else:
        return None
    axes = _axes(name, args, dict(value.kwargs))
    if axes is None:
        return None
    if name == "transpose":
        perm = axes[0]
        if type(perm) is int or sorted(a % len(perm) for a in perm) != list(range(len(perm))):
            return None
        back = (tuple(int(i) for i in np.argsort([a % len(perm) for a in perm])),)
    elif name == "swapaxes":
        back = tuple(axes)
    else:
        back = (axes[1], axes[0])
    func = getattr(np, name)
    return Call(Global(("np", name), func, np), (Var(child_name),) + tuple(Const(b) for b in back))
