"""Arguments that change what a rule's function computes in a way its template does not follow.

A rule's signature names every parameter of its function, so that calls bind; some parameters its template
never reads change the result's structure or the function itself (`np.linspace(..., retstep=True)` returns a
pair, `np.linalg.pinv(a, rcond=0.1)` cuts singular values the formula keeps, `np.linalg.qr(a, 'r')` returns R
alone). For those, `ACCEPTED` lists the values the rule is right for; any other value, or one not known when
compiling, is refused at the call (hunt 18: they were differentiated as if the default were given).
"""
import numpy as np

from . import kinds as K
from .errors import UnsupportedError
from .ir import Const, Global


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
}

_UNKNOWN = object()


def value_of(atom, kind):
    """The value of a bound argument known when compiling, or _UNKNOWN."""
    if isinstance(atom, Const):
        return atom.value
    if isinstance(atom, Global):
        return atom.obj
    k = kind(atom)
    if isinstance(k, K.Str):
        return k.value
    if k == K.NONE:
        return None
    return _UNKNOWN


def check(rule, bound, kind, where):
    """Refuse a call of `rule` whose bound arguments (atoms) are not among the values it is right for."""
    accepted = ACCEPTED.get(f"{rule.template.__module__}.{rule.name}")
    if not accepted:
        return
    for param, test in accepted.items():
        if param not in bound:
            continue
        value = value_of(bound[param], kind)
        if value is _UNKNOWN or not test(value):
            shown = "a value not known when compiling" if value is _UNKNOWN else repr(value)
            raise UnsupportedError(
                f"`{rule.name}` with `{param}=` {shown}: its derivative rule holds only for {param}= {test.__doc__}",
                where=where, hint=f"call it with {param}= {test.__doc__} (a literal), or register your own rule")
