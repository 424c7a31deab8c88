"""The arguments of a call of a rule's function that its template does not read: which change the values
computed, and how (`Arguments`, for resolve.Resolver.bind).

- `out=None`, `where=True`, a ufunc's `casting=` change nothing: not bound (`options`); a ufunc's `dtype=`, and a
  `dtype=` the rule names but never reads (`np.sum(x, dtype=...)`): a float or complex one keeps the rule, an
  integer or boolean one makes the result piecewise constant (no derivative), one not known when compiling is
  refused (`dtype_kind`: a literal, a string or class argument, or `a.dtype` of an array of known dtype kind).

A rule's signature names every parameter of its function, so that calls bind; some parameters its template
never reads change the result's structure or the function itself (`np.linspace(..., retstep=True)` returns a
pair, `np.linalg.pinv(a, rcond=0.1)` cuts singular values the formula keeps, `np.linalg.qr(a, 'r')` returns R
alone). For those, `ACCEPTED` lists the values the rule is right for; any other value, or one not known when
compiling, is refused at the call (hunt 18: they were differentiated as if the default were given);
`ACCEPTED_TOGETHER` tests several arguments at once (np.cross: one axis for a, b and the result). A literal
`retstep=True` and `np.linalg.qr(a, "r")` are written as calls with rules when the function is read
(desugar_numpy_names.py): what reaches these rules is the rest.
"""
import numpy as np

from . import kinds as K
from .errors import UnsupportedError
from .ir import Attr, Const, Global, Var


def _small(value):
    """A relative cut-off that only drops singular values at rounding level (the rules assume the rank of
    the matrix itself)."""
    return value is None or isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1e-10


def _one_of(*values):
    def accepts(value):
        return any(value is v or (type(value) is type(v) and value == v) for v in values)
    accepts.__doc__ = " or ".join(repr(v) for v in values)
    return accepts


_small.__doc__ = "None or a number <= 1e-10"

# "<rule module>.<rule name>" -> {parameter: test of its value}
ACCEPTED = {
    "ad_compiler.rules.numpy.linspace": {"retstep": _one_of(False, 0), "axis": _one_of(0)},
    "ad_compiler.rules.linalg.pinv": {"rcond": _small, "rtol": _small, "hermitian": _one_of(False)},
    "ad_compiler.rules.linalg.lstsq": {"rcond": _small},
    "ad_compiler.rules.linalg.qr": {"mode": _one_of("reduced", "complete")},
    "ad_compiler.rules.scipy_linalg.logm": {"disp": _one_of(None, True)},
    "ad_compiler.rules.scipy_linalg.sqrtm": {"disp": _one_of(None, True)},
    "ad_compiler.rules.integrate.odeint": {"full_output": _one_of(0, False)},
    "ad_compiler.rules.arrays.average": {"returned": _one_of(False, 0)},
    "ad_compiler.rules.numpy.array": {"ndmin": _one_of(0), "like": _one_of(None)},
}

_UNKNOWN = object()


def _one_cross_axis(values):
    axis = values.get("axis")
    return axis is not None or values.get("axisa", -1) == values.get("axisb", -1) == values.get("axisc", -1)


_one_cross_axis.__doc__ = "`axis=`, or axisa == axisb == axisc"

# "<rule module>.<rule name>" -> test of several arguments' values together (by parameter name)
ACCEPTED_TOGETHER = {
    "ad_compiler.rules.arrays.cross": (("axisa", "axisb", "axisc", "axis"), _one_cross_axis),
}


def value_of(atom, kind):
    """The value of a bound argument known when compiling, or _UNKNOWN."""
    if isinstance(atom, Const):
        return atom.value
    if isinstance(atom, Global):
        return atom.obj
    k = kind(atom)
    if isinstance(k, K.Str):
        return k.value
    if isinstance(k, K.Func):
        return k.obj
    if k == K.NONE:
        return None
    return _UNKNOWN


class Arguments:
    """The arguments of one call of `rule`: `kind(atom)` and `definition(name)` (the value an SSA name is
    assigned) from the resolver; `where`: the call's location, for refusals."""

    def __init__(self, rule, kind, definition, where):
        self.rule, self.kind, self.definition, self.where = rule, kind, definition, where

    def options(self, kwargs):
        """The keyword arguments to bind, without those that change nothing when the rule does not name them;
        and a ufunc's `dtype=` taken out (second; None if not given)."""
        rule = self.rule
        params = rule.signature.parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return kwargs, None
        kept, dtype = {}, None
        for k, v in kwargs.items():
            if k in params:
                kept[k] = v
            elif k == "out" and v == Const(None) or k == "where" and v == Const(True):
                continue
            elif rule.elementwise and k == "casting":
                continue
            elif rule.elementwise and k == "where":  # (with `out=`, the alias pass wrote `out[...] = np.where(..)`)
                raise UnsupportedError(
                    f"`{rule.name}(.., where=..)` without `out=`: NumPy leaves the result's entries where the mask "
                    "is False uninitialised (arbitrary values), so the function has no definite value there",
                    where=self.where, hint=f"pass `out=` an array holding the values to keep there, or write "
                                           f"`np.where(mask, np.{rule.name}(..), other)`")
            elif rule.elementwise and k == "dtype":
                dtype = v
            else:
                kept[k] = v
        return kept, dtype

    def check(self, bound):
        """Refuse the call if a bound argument (atom) is not among the values the rule is right for."""
        rule = self.rule
        accepted = ACCEPTED.get(f"{rule.template.__module__}.{rule.name}")
        for param, test in (accepted or {}).items():
            if param not in bound:
                continue
            value = value_of(bound[param], self.kind)
            if value is _UNKNOWN or not test(value):
                shown = "a value not known when compiling" if value is _UNKNOWN else repr(value)
                raise UnsupportedError(
                    f"`{rule.name}` with `{param}=` {shown}: its derivative rule holds only for {param}= "
                    f"{test.__doc__}", where=self.where,
                    hint=f"call it with {param}= {test.__doc__} (a literal), or register your own rule")

        together = ACCEPTED_TOGETHER.get(f"{rule.template.__module__}.{rule.name}")
        if together is not None:
            params, test = together
            values = {p: value_of(bound[p], self.kind) for p in params if p in bound}
            if any(v is _UNKNOWN for v in values.values()) or not test(values):
                raise UnsupportedError(
                    f"`{rule.name}` with {', '.join(f'{p}={v!r}' for p, v in values.items() if v is not _UNKNOWN)}: "
                    f"its derivative rule holds only for {test.__doc__} (known when compiling)", where=self.where,
                    hint="move the axes first (np.moveaxis) so that one axis is used, or register your own rule")

    def truncating_dtype(self, bound):
        """Is the call given a `dtype=` the rule's template does not read that converts to integers or booleans
        (the result then carries no derivative)?"""
        value = bound.get("dtype")
        if value is None or value == Const(None) or self.rule.uses("dtype"):
            return False
        return self.dtype_kind(value) in ("i", "u", "b")

    def dtype_kind(self, value):
        """The kind ('f', 'c', 'i', 'u', 'b') of the dtype `value` (an atom) converts to; refused if not known."""
        dtype = value_of(value, self.kind)
        if dtype is None:  # (no conversion)
            return "f"
        try:
            kind = np.dtype(dtype).kind if dtype is not _UNKNOWN else self.attribute(value)
        except TypeError:
            kind = None
        if kind in ("f", "c", "i", "u", "b"):
            return kind
        raise UnsupportedError(
            f"`{self.rule.name}` with a `dtype=` that is not known when compiling to be a float, complex, integer "
            f"or boolean type (an integer one makes the result piecewise constant)", where=self.where,
            hint="pass the dtype itself (`dtype=np.float32`), or convert the argument first (`x.astype(...)`)")

    def attribute(self, value):
        """The dtype kind of `a.dtype` for an array or NumPy scalar `a` of known dtype; else None."""
        made = self.definition(value.name) if isinstance(value, Var) else None
        if not (isinstance(made, Attr) and made.attr == "dtype" and isinstance(made.value, Var)):
            return None
        k = self.kind(made.value)
        if isinstance(k, K.Array) and k.dtype in ("f", "c", "i", "u", "b"):
            return k.dtype
        if isinstance(k, K.Scalar) and issubclass(k.cls, np.generic):
            return np.dtype(k.cls).kind
        return None
