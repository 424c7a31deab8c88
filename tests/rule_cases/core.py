"""Call shapes of the original rule table: arithmetic, elementwise NumPy, reductions, shapes, math,
builtins, array methods and attributes."""
import numpy as np  # noqa: F401

from . import (BCAST, BCAST_SHORT, DOT, MATMUL, REDUCE, UNARY_MATH, UNARY_NP, X3, C, F, Joint, _binary,  # noqa: F401
               _method_reductions, _reductions, away0, bands, distinct, mod_by, mod_pair, normal, uniform, wellcond)

POS = uniform(0.3, 3.0)
# rule name -> one sampler for every argument, a tuple of samplers (one per argument, `normal` after the
# last), or a Joint sampler of all arguments. Rules not listed take standard normal inputs.
DOMAINS = {
    "divide": (normal, away0),
    "power": (uniform(0.5, 2.0), normal), "pow": (uniform(0.5, 2.0), normal),
    "mod": mod_pair, "fmod": mod_pair,
    "absolute": away0, "abs": away0, "fabs": away0, "copysign": (away0, away0),
    "log": (POS, uniform(1.5, 3.0)), "log2": POS, "log10": POS, "log1p": uniform(-0.7, 2.0),
    "sqrt": POS, "cbrt": POS, "reciprocal": away0,
    "tan": uniform(-1.2, 1.2), "arcsin": uniform(-0.9, 0.9), "arccos": uniform(-0.9, 0.9),
    "asin": uniform(-0.9, 0.9), "acos": uniform(-0.9, 0.9), "arccosh": uniform(1.2, 3.0),
    "arctanh": uniform(-0.8, 0.8),
    "arctan2": (away0, normal), "atan2": (away0, normal), "hypot": (away0, away0),
    "maximum": distinct, "minimum": distinct, "max": distinct, "min": distinct, "extreme": distinct,
    "sort": distinct,
    "clip": (bands, uniform(-0.6, -0.4), uniform(0.4, 0.6)),
    "where": (away0, normal, normal),
    "prod": away0,
    "inv": wellcond, "det": wellcond, "solve": (wellcond, normal),
}


CASES = {
    # operators (written as operators) and their NumPy functions
    "operator.add": _binary("a + b", BCAST) + [C("operator.add(a, b)", (3, 4), (4,))],
    "operator.sub": _binary("a - b", BCAST),
    "operator.mul": _binary("a * b", BCAST) + [C("a * a", (3,))],
    "operator.truediv": _binary("a / b", BCAST) + [C("2.0 / a", (3,), dom=away0)],
    "operator.pow": _binary("a ** b", BCAST) + [C("a ** 3", (3,)), C("a ** 2.5", (3,)), C("a ** -1.5", (3,)),
                                                C("2.0 ** a", (3,)), C("a ** 2", F)],
    "operator.mod": _binary("a % b", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3), F), (F, F), ((), ())])
    + [C("a % 1.5", (3, 4), dom=mod_by(1.5))],
    "operator.neg": [C("-a", (3, 4)), C("-a", F)],
    "operator.pos": [C("+a", (3, 4)), C("+a", F)],
    "operator.matmul": _binary("a @ b", MATMUL),
    "np.add": _binary("np.add(a, b)", BCAST_SHORT),
    "np.subtract": _binary("np.subtract(a, b)", BCAST_SHORT),
    "np.multiply": _binary("np.multiply(a, b)", BCAST_SHORT),
    "np.divide": _binary("np.divide(a, b)", BCAST_SHORT) + [C("np.true_divide(a, b)", (3,), (3,))],
    "np.power": _binary("np.power(a, b)", BCAST_SHORT),
    "np.float_power": _binary("np.float_power(a, b)", BCAST_SHORT),
    "np.remainder": _binary("np.mod(a, b)", [((3, 4), (4,))]) + [C("np.remainder(a, b)", (3,), ())],
    "np.fmod": _binary("np.fmod(a, b)", [((3, 4), (4,)), ((3,), ())]),
    "np.negative": [C("np.negative(a)", (3, 4))],
    "np.positive": [C("np.positive(a)", (3, 4))],
    "np.matmul": _binary("np.matmul(a, b)", MATMUL[:5]),
    "np.dot": _binary("np.dot(a, b)", DOT),
    "np.outer": _binary("np.outer(a, b)", [((3,), (4,)), ((2, 3), (4,))]),
    # elementwise
    **{f"np.{n}": [C(f"np.{n}(a)", (2, 3)), C(f"np.{n}(a)", ()), C(f"np.{n}(a)", F)] for n in UNARY_NP},
    "np.arctan2": _binary("np.arctan2(a, b)", BCAST),
    "np.logaddexp": _binary("np.logaddexp(a, b)", BCAST),
    "np.maximum": _binary("np.maximum(a, b)", BCAST) + [C("np.maximum(a, 0.05)", (3, 4))],
    "np.minimum": _binary("np.minimum(a, b)", BCAST) + [C("np.minimum(0.05, a)", (3, 4))],
    "np.fmax": _binary("np.fmax(a, b)", BCAST_SHORT),
    "np.fmin": _binary("np.fmin(a, b)", BCAST_SHORT),
    "np.clip": [C("np.clip(a, -0.5, 0.5)", (3, 4)), C("np.clip(a, None, 0.5)", (3, 4)),
                C("np.clip(a, b, c)", (3, 4), (4,), (3, 1)), C("np.clip(a, b, None)", (3, 4), ()),
                C("np.clip(a, -0.5, 0.5)", F)],
    "np.where": [C("np.where(a > 0, a, b)", (3, 4), (3, 4)), C("np.where(a > 0, a, b)", (3, 4), (4,)),
                 C("np.where(a > 0, b, c)", (3, 4), (3, 1), (), wrt="bc"),
                 C("np.where(a > 0, np.sin(a), 1.0)", (3, 4))],
    "np.real": [C("np.real(a)", (3, 4))],
    # reductions
    "np.sum": _reductions("np.sum") + [C("np.sum(a)", F)],
    "np.mean": _reductions("np.mean"),
    "np.prod": _reductions("np.prod"),
    "np.max": _reductions("np.max"),
    "np.amax": [C("np.amax(a)", (3, 4)), C("np.amax(a, axis=-1, keepdims=True)", (3, 4))],
    "np.min": _reductions("np.min"),
    "np.amin": [C("np.amin(a)", (3, 4)), C("np.amin(a, axis=(0, 1))", X3)],
    "np.var": _reductions("np.var") + [C("np.var(a, axis=1, ddof=1)", X3)],
    "np.std": _reductions("np.std") + [C("np.std(a, axis=-1, ddof=1, keepdims=True)", X3)],
    "np.cumsum": [C("np.cumsum(a)", X3), C("np.cumsum(a, axis=-1)", X3), C("np.cumsum(a, 0)", X3),
                  C("np.cumsum(a)", ())],
    "np.trace": [C("np.trace(a)", (3, 3)), C("np.trace(a, offset=1)", (3, 4)), C("np.trace(a, -1)", (4, 3)),
                 C("np.trace(a, axis1=1, axis2=2)", (2, 3, 3)), C("np.trace(a, 0, -1, -2)", (2, 3, 3))],
    # linear algebra
    "np.linalg.inv": [C("np.linalg.inv(a)", (3, 3)), C("np.linalg.inv(a)", (2, 3, 3))],
    "np.linalg.det": [C("np.linalg.det(a)", (3, 3)), C("np.linalg.det(a)", (2, 3, 3)), C("np.linalg.det(a)", (1, 1))],
    "np.linalg.solve": _binary("np.linalg.solve(a, b)", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2))])
    + [C("np.linalg.solve(a, b)", (3, 3), (3,), wrt="a"), C("np.linalg.solve(a, b)", (3, 3), (3, 2), wrt="b")],
    # shapes
    "np.reshape": [C("np.reshape(a, (4, 6))", X3), C("np.reshape(a, -1)", X3), C("np.reshape(a, (2, -1, 3))", X3),
                   C("np.reshape(a, shape=(6, 4))", X3), C("np.reshape(a, (1, 1))", ())],
    "np.ravel": [C("np.ravel(a)", X3), C("np.ravel(a)", ()), C("np.ravel(a, order='F')", X3)],
    "np.squeeze": [C("np.squeeze(a)", (1, 3, 1, 4)), C("np.squeeze(a, axis=-2)", (1, 3, 1, 4)),
                   C("np.squeeze(a, axis=(0, 2))", (1, 3, 1, 4))],
    "np.expand_dims": [C("np.expand_dims(a, 0)", (3, 4)), C("np.expand_dims(a, axis=-1)", (3, 4)),
                       C("np.expand_dims(a, (0, 2))", (3, 4))],
    "np.atleast_1d": [C("np.atleast_1d(a)", ()), C("np.atleast_1d(a)", F), C("np.atleast_1d(a)", (3,))],
    "np.atleast_2d": [C("np.atleast_2d(a)", (3,)), C("np.atleast_2d(a)", ())],
    "np.transpose": [C("np.transpose(a)", X3), C("np.transpose(a, (1, 0, 2))", X3),
                     C("np.transpose(a, axes=(2, -3, 1))", X3)],
    "np.swapaxes": [C("np.swapaxes(a, 0, -1)", X3), C("np.swapaxes(a, 1, 0)", (3, 4))],
    "np.moveaxis": [C("np.moveaxis(a, 0, -1)", X3), C("np.moveaxis(a, (0, 1), (2, 0))", X3)],
    "np.broadcast_to": [C("np.broadcast_to(a, (2, 3, 4))", s) for s in [(3, 1), (4,), (1, 3, 4), ()]],
    "np.concatenate": [C("np.concatenate([a, b])", (2, 3), (4, 3)), C("np.concatenate((a, b), axis=-1)", (2, 3), (2, 1)),
                       C("np.concatenate([a, b], axis=None)", (2, 3), (4,)),
                       C("np.concatenate([a, b, a], axis=1)", (2, 1, 3), (2, 2, 3))],
    "np.stack": [C("np.stack([a, b])", (2, 3), (2, 3)), C("np.stack((a, b, c), axis=-1)", (4,), (4,), (4,)),
                 C("np.stack([a, b], 1)", (2, 3), (2, 3))],
    "np.vstack": [C("np.vstack([a, b])", (2, 3), (1, 3)), C("np.vstack((a, b))", (3,), (3,))],
    "np.hstack": [C("np.hstack([a, b])", (2, 3), (2, 1)), C("np.hstack((a, b))", (3,), (2,))],
    "np.dstack": [C("np.dstack([a, b])", (2, 3), (2, 3)), C("np.dstack((a, b))", (3,), (3,))],
    "np.column_stack": [C("np.column_stack([a, b])", (3,), (3, 2)), C("np.column_stack((a, b))", (3,), (3,))],
    "np.append": [C("np.append(a, b)", (2, 3), (4,)), C("np.append(a, b, axis=0)", (2, 3), (1, 3)),
                  C("np.append(a, b, axis=-1)", (2, 3), (2, 2))],
    "np.flip": [C("np.flip(a)", (3, 4)), C("np.flip(a, 1)", (3, 4)), C("np.flip(a, axis=(0, -1))", X3)],
    "np.copy": [C("np.copy(a)", (3, 4)), C("np.copy(a)", ())],
    "np.array": [C("np.array(a)", (3, 4)), C("np.array(a, dtype=np.float64)", (3,)), C("np.array([a, b])", (3,), (3,))],
    "np.asarray": [C("np.asarray(a)", (3, 4)), C("np.asarray(a)", F)],
    "np.ascontiguousarray": [C("np.ascontiguousarray(a.T)", (3, 4))],
    "np.diag": [C("np.diag(a)", (3,)), C("np.diag(a, 1)", (3,)), C("np.diag(a)", (3, 3)), C("np.diag(a, k=-1)", (3, 4))],
    "np.sort": [C("np.sort(a)", (3, 4)), C("np.sort(a, axis=0)", (3, 4)), C("np.sort(a, axis=None)", (3, 4)),
                C("np.sort(a)", (5,))],
    "np.take": [C("np.take(a, [0, 2, 2])", (6,)), C("np.take(a, [1, 1, 0], axis=1)", (2, 3)),
                C("np.take(a, np.array([[0, 1], [2, 2]]), axis=-1)", (2, 3)), C("np.take(a, 4)", (2, 3))],
    "np.einsum": [C("np.einsum('ij,jk->ik', a, b)", (3, 4), (4, 2)), C("np.einsum('ii->', a)", (3, 3)),
                  C("np.einsum('i,i->', a, b)", (4,), (4,)), C("np.einsum('...ij,jk->...ik', a, b)", X3, (4, 2)),
                  C("np.einsum('ij,jk,k->i', a, b, c)", (3, 4), (4, 2), (2,)), C("np.einsum('ijk->kij', a)", X3),
                  C("np.einsum('ij,ij->i', a, a)", (3, 4)), C("np.einsum(a, [0, 1], b, [1, 2], [0, 2])", (3, 4), (4, 2)),
                  C("np.einsum(a, [0, 1], b, [1])", (3, 4), (4,)), C("np.einsum(a, [Ellipsis, 0], a, [Ellipsis, 0])", X3),
                  C("np.einsum('ijk,k->ij', a, b, optimize=True)", X3, (4,))],
    "np.linspace": [C("np.linspace(a, b, 5)", F, F), C("np.linspace(a, b, 4)", (3,), (3,)),
                    C("np.linspace(a, 2.0, 4, endpoint=False)", F)],
    "np.full": [C("np.full((2, 3), a)", F), C("np.full((2, 3), a)", (3,))],
    "np.full_like": [C("np.full_like(np.zeros((2, 3)), a)", F), C("np.full_like(np.zeros((2, 3)), a)", (3,))],
    # helpers of the runtime that the compiler calls for Python constructs (registered in rules/numpy.py)
    "_ad.iter_list": [C("r = 0.0\nfor v in a:\n    r = r + np.sin(v) * v", (3, 4), label="for v in a"),
                      C("r = 0.0\nfor v in [a, b]:\n    r = r + v * v", (3,), F, label="for v in [a, b]")],
    "_ad.dict_values": [C("d = {'p': a, 'q': b}\nr = 0.0\nfor v in d.values():\n    r = r + v * v", (3,), F,
                          label="for v in d.values()")],
    "_ad.dict_items": [C("d = {'p': a, 'q': b}\nr = 0.0\nfor k, v in d.items():\n    r = r + v * v", (3,), (3,),
                         label="for k, v in d.items()")],
    "_ad.private_copy": [C("a[0] = a[1] * a[2]\nr = a * b", (3,), (3,), label="a[0] = a[1] * a[2] (argument changed)")],
    "_ad.index_concat": [C("np.r_[a, b]", (2,), (3,)), C("np.r_[a, 0.5, b]", (2,), F), C("np.c_[a, b]", (3,), (3,))],
    # math
    **{f"math.{n}": [C(f"math.{n}(a)", F)] for n in UNARY_MATH},
    "math.log": [C("math.log(a)", F), C("math.log(a, b)", F, F), C("math.log(a, 2.0)", F)],
    "math.pow": [C("math.pow(a, b)", F, F), C("math.pow(a, 3.0)", F)],
    "math.copysign": [C("math.copysign(a, b)", F, F, wrt="a"), C("math.copysign(a, -1.0)", F)],
    "math.atan2": [C("math.atan2(a, b)", F, F)],
    "math.hypot": [C("math.hypot(a, b)", F, F)],
    # builtins
    "builtins.abs": [C("abs(a)", F), C("abs(a)", (3, 4)), C("abs(a)", ())],
    "builtins.float": [C("float(a)", F), C("float(a)", ()), C("float(np.sum(a * a))", (3,))],
    "builtins.sum": [C("sum([a, b, c])", (4,), (4,), (4,)), C("sum([a, b], c)", (3,), (3,), F), C("sum([a, b])", F, F),
                     C("sum(a)", (3, 4))],
    "builtins.max": [C("max(a, b)", F, F), C("max(a, b, c)", F, F, F), C("max([a, b])", F, F)],
    "builtins.min": [C("min(a, b)", F, F), C("min(a, b, 0.05)", F, F)],
    # array methods and attributes
    "ndarray.sum": _method_reductions("sum"),
    "ndarray.mean": _method_reductions("mean"),
    "ndarray.prod": _method_reductions("prod"),
    "ndarray.max": _method_reductions("max"),
    "ndarray.min": _method_reductions("min"),
    "ndarray.var": _method_reductions("var") + [C("a.var(1, ddof=1)", X3)],
    "ndarray.std": _method_reductions("std") + [C("a.std(axis=(0, 1), ddof=1)", X3)],
    "ndarray.cumsum": [C("a.cumsum()", (3, 4)), C("a.cumsum(axis=-1)", (3, 4)), C("a.cumsum(0)", X3)],
    "ndarray.trace": [C("a.trace()", (3, 3)), C("a.trace(1)", (3, 4)), C("a.trace(axis1=1, axis2=2)", (2, 3, 3))],
    "ndarray.reshape": [C("a.reshape(4, 6)", X3), C("a.reshape((6, -1))", X3), C("a.reshape(-1)", X3),
                        C("a.reshape(2, 12, order='F')", X3)],
    "ndarray.ravel": [C("a.ravel()", X3), C("a.ravel('F')", X3)],
    "ndarray.flatten": [C("a.flatten()", X3), C("a.flatten(order='F')", X3)],
    "ndarray.squeeze": [C("a.squeeze()", (1, 3, 1)), C("a.squeeze(0)", (1, 3, 1)), C("a.squeeze(axis=-1)", (1, 3, 1))],
    "ndarray.transpose": [C("a.transpose()", X3), C("a.transpose(1, 0, 2)", X3), C("a.transpose((2, -3, 1))", X3)],
    "ndarray.swapaxes": [C("a.swapaxes(0, -1)", X3)],
    "ndarray.dot": _binary("a.dot(b)", [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)), ((3, 2), ())]),
    "ndarray.clip": [C("a.clip(-0.5, 0.5)", (3, 4)), C("a.clip(min=b)", (3, 4), (4,)), C("a.clip(max=0.5)", (3, 4)),
                     C("a.clip(b, c)", (3, 4), (4,), (3, 1))],
    "ndarray.copy": [C("a.copy()", (3, 4))],
    "ndarray.astype": [C("a.astype(np.float64)", (3, 4)), C("a.astype(float)", ())],
    "ndarray.item": [C("a.item()", (1, 1)), C("a.item(2)", (2, 3)), C("a.item(1, 0)", (2, 3)), C("a.item(-1)", (4,))],
    "ndarray.T": [C("a.T", (3, 4)), C("a.T", X3), C("a.T", (4,))],
    "ndarray.mT": [C("a.mT", X3), C("a.mT", (3, 4))],
    "ndarray.real": [C("a.real", (3, 4))],
}
# |z| of complex intermediates (see rules/fft.py)
CASES["np.absolute"] = CASES["np.absolute"] + [C("np.abs(np.fft.fft(a) + b)", (6,), (6,)),
                                               C("np.abs(np.exp(1j * a) * b + 0.5)", (3, 4), (4,))]
CASES["builtins.abs"] = CASES["builtins.abs"] + [C("abs(np.exp(1j * a) * b + 0.5)", (3, 4), (4,))]

# Second-order checks (test_hvp, test_hessian) expected to fail, keyed by a case id (the test id after the
# name) or by a CASES name (all its cases); strict: a fix makes them fail, then remove the entry.
# MISSING: an ad.ADError for a missing rule (checked: it must raise ad.ADError). KNOWN_WRONG: wrong values or
# another exception.
_NO_RULE = "second order: no derivative rule for the adjoint helper {} (rules/helpers.py)"
_ADD_AT = ("second order through a for loop over a list / dict: UnsupportedError, the reverse code's in-place "
           "`_ad.add_at(bt, k, bv)` cannot be differentiated again (its hint suggests ad.hvp, which is what failed)")
_COPYSIGN = ("second order: the partial math.copysign(1.0, x) passes x as copysign's `y`, which has no derivative "
             "(piecewise constant there: zero)")
MISSING = {
    "np.append": _NO_RULE.format("_ad.append_vjp"),
    "np.linspace": _NO_RULE.format("_ad.linspace_vjp"),
    "_ad.index_concat": _NO_RULE.format("_ad.index_concat_vjp"),
    "_ad.private_copy": _NO_RULE.format("_ad.pop_item (restoring an overwritten item of an argument)"),
    "for v in [a, b] [(3,),F]": _ADD_AT,
    "_ad.dict_values": _ADD_AT,
    "_ad.dict_items": _ADD_AT,
    "math.fabs": _COPYSIGN,
    "math.copysign": _COPYSIGN,
}


