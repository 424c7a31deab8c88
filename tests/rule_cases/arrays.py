"""Call shapes of rules/arrays.py (products, array manipulation, order statistics, more reductions) and of
the elementwise functions added to rules/numpy.py with them."""
import numpy as np

from . import BCAST, BCAST_SHORT, X3, C, F, Joint, _binary, _finish, _shape, distinct, normal, uniform


@Joint
def with_nans(rng, specs):
    """Normal values with a NaN, +inf and -inf among them (for nan_to_num, nansum, nanmean)."""
    out = []
    for s in specs:
        x = rng.standard_normal(_shape(s))
        if x.size >= 4:
            x.flat[1], x.flat[2], x.flat[3] = np.nan, np.inf, -np.inf
        out.append(_finish(x, s))
    return out


@Joint
def nans_only(rng, specs):
    """Normal values with a NaN in every row (nanmean, nansum)."""
    out = []
    for s in specs:
        x = rng.standard_normal(_shape(s))
        if x.ndim:
            np.moveaxis(x, -1, 0)[0] = np.nan
        out.append(_finish(x, s))
    return out


@Joint
def spread_nans(rng, specs):
    """Normal values with a NaN where the sum of the indices is a multiple of 3: every slice along any axes keeps
    entries that are not NaN (the table's s_i sums the result: a slice of NaN only, whose value is NaN, is checked
    in tests/test_found_refuse27.py)."""
    out = []
    for s in specs:
        x = rng.standard_normal(_shape(s))
        if x.ndim:
            x[sum(np.indices(x.shape)) % 3 == 0] = np.nan
        out.append(_finish(x, s))
    return out


DOMAINS = {
    "partition": distinct, "median": distinct, "quantile": distinct, "percentile": distinct, "ptp": distinct,
    "nan_to_num": with_nans, "nansum": nans_only, "nanmean": nans_only,
    "nanvar": spread_nans, "nanstd": spread_nans, "nanprod": spread_nans, "nancumsum": spread_nans,
    "nancumprod": spread_nans, "nanmedian": spread_nans, "nanquantile": spread_nans, "nanpercentile": spread_nans,
    "nanmax": spread_nans,
    "sinc": uniform(0.1, 2.0),
}

RED = ["", ", axis=0", ", axis=-1", ", axis=(0, 2)", ", axis=(-1, 0), keepdims=True", ", axis=1, keepdims=True"]

CASES = {
    # products
    "np.tensordot": [C("np.tensordot(a, b)", (2, 3, 4), (3, 4)), C("np.tensordot(a, b, axes=1)", (3, 4), (4, 2)),
                     C("np.tensordot(a, b, axes=([0, 2], [2, 0]))", X3, (4, 5, 2)),
                     C("np.tensordot(a, b, axes=(-1, 0))", (3, 4), (4,)), C("np.tensordot(a, b, axes=0)", (2,), (3,))],
    "np.inner": _binary("np.inner(a, b)", [((4,), (4,)), ((3, 4), (4,)), ((2, 4), (3, 4)), (X3, (5, 4))]),
    "np.kron": _binary("np.kron(a, b)", [((2, 3), (3, 2)), ((3,), (2,)), ((2,), (2, 3)), ((2, 2, 1), (1, 2))]),
    "np.cross": _binary("np.cross(a, b)", [((3,), (3,)), ((4, 3), (3,)), ((2, 1, 3), (4, 3))])
    + [C("np.cross(a, b, axis=0)", (3, 4), (3, 4))],
    # repetition, splitting, triangles, rotations
    "np.repeat": [C("np.repeat(a, 2)", (2, 3)), C("np.repeat(a, [1, 0, 3], axis=1)", (2, 3)),
                  C("np.repeat(a, 3, axis=-1)", X3), C("np.repeat(a, 4)", F)],
    "np.tile": [C("np.tile(a, 2)", (3,)), C("np.tile(a, (2, 1, 3))", (2, 3)), C("np.tile(a, (2, 2))", X3)],
    "np.split": [C("r = np.split(a, 2)\nr = r[0] * r[1]", (4, 3), label="np.split(a, 2)"),
                 C("r = np.split(a, [1, 3], axis=1)\nr = r[0] + 2.0 * r[2]", (2, 4), label="np.split(a, [1, 3], axis=1)"),
                 C("r = np.split(a, 3, axis=-1)[1]", X3[:2] + (3,), label="np.split(a, 3, axis=-1)[1]")],
    "np.array_split": [C("r = np.array_split(a, 3)\nr = np.sum(r[0]) * r[2]", (7,), label="np.array_split(a, 3)"),
                       C("r = np.array_split(a, 2, axis=-1)\nr = r[0] * r[1][:, :1]", (2, 3),
                         label="np.array_split(a, 2, axis=-1)")],
    "np.hsplit": [C("r = np.hsplit(a, 2)\nr = r[0] * r[1]", (3, 4), label="np.hsplit(a, 2)"),
                  C("r = np.hsplit(a, [2])[1]", (5,), label="np.hsplit(a, [2])[1]")],
    "np.vsplit": [C("r = np.vsplit(a, 2)\nr = r[1] - r[0] ** 2", (4, 3), label="np.vsplit(a, 2)")],
    "np.dsplit": [C("r = np.dsplit(a, [1])\nr = r[1] * r[0]", (2, 3, 2), label="np.dsplit(a, [1])")],
    "np.tril": [C("np.tril(a)", (3, 4)), C("np.tril(a, -1)", (4, 4)), C("np.tril(a, k=1)", X3)],
    "np.triu": [C("np.triu(a)", (3, 4)), C("np.triu(a, 1)", X3)],
    "np.roll": [C("np.roll(a, 2)", (3, 4)), C("np.roll(a, -1, axis=1)", (3, 4)),
                C("np.roll(a, (1, 2), axis=(0, -1))", X3)],
    "np.rollaxis": [C("np.rollaxis(a, 2)", X3), C("np.rollaxis(a, -1, 1)", X3), C("np.rollaxis(a, 0, 3)", X3)],
    "np.rot90": [C("np.rot90(a)", (3, 4)), C("np.rot90(a, 2)", (3, 4)), C("np.rot90(a, -1, axes=(1, 2))", X3)],
    "np.fliplr": [C("np.fliplr(a)", (3, 4))],
    "np.flipud": [C("np.flipud(a)", (3, 4)), C("np.flipud(a)", (4,))],
    "np.diagonal": [C("np.diagonal(a)", (3, 4)), C("np.diagonal(a, 1)", (3, 4)),
                    C("np.diagonal(a, offset=-1, axis1=1, axis2=2)", (2, 3, 3)), C("np.diagonal(a, 0, -1, 0)", X3)],
    "np.pad": [C("np.pad(a, 2)", (3,)), C("np.pad(a, ((1, 0), (2, 1)))", (2, 3)),
               C("np.pad(a, 1, mode='constant', constant_values=3.0)", (2, 3)),
               C("np.pad(a, (2, 1), mode='edge')", (2, 3)), C("np.pad(a, 2, mode='reflect')", (4,)),
               C("np.pad(a, ((1, 2), (0, 0), (3, 1)), mode='symmetric')", X3), C("np.pad(a, 3, mode='wrap')", (2, 3))],
    # differences
    "np.diff": [C("np.diff(a)", (5,)), C("np.diff(a, 2)", (3, 5)), C("np.diff(a, axis=0)", (4, 3)),
                C("np.diff(a, n=2, axis=-2)", X3), C("np.diff(a, prepend=b)", (3, 4), (3, 1)),
                C("np.diff(a, prepend=0.0, append=b)", (4,), F)],
    "np.gradient": [C("np.gradient(a)", (5,)), C("np.gradient(a, 0.5)", (6,)), C("np.gradient(a, edge_order=2)", (5,)),
                    C("np.gradient(a, np.array([0.0, 0.5, 1.5, 1.75, 3.0]))", (5,)),
                    C("r = np.gradient(a)\nr = r[0] * r[1]", (3, 4), label="np.gradient(a) (2-D)"),
                    C("np.gradient(a, axis=-1)", (3, 4)), C("r = np.gradient(a, 2.0, axis=(0, 2))[1]", X3,
                                                           label="np.gradient(a, 2.0, axis=(0, 2))[1]")],
    # order statistics and more reductions
    "np.partition": [C("np.partition(a, 2)", (5,)), C("np.partition(a, 1, axis=0)", (3, 4)),
                     C("np.partition(a, (0, 2), axis=-1)", X3), C("np.partition(a, 3, axis=None)", (2, 3))],
    "np.median": [C(f"np.median(a{ax})", X3) for ax in RED] + [C("np.median(a)", (5,)), C("np.median(a)", (4,))],
    "np.quantile": [C("np.quantile(a, 0.3)", (7,)), C("np.quantile(a, [0.1, 0.5, 0.9], axis=1)", (3, 5)),
                    C("np.quantile(a, 0.75, axis=(0, -1), keepdims=True)", X3),
                    C("np.quantile(a, np.array([[0.2], [0.6]]), axis=-1)", (3, 4))],
    "np.percentile": [C("np.percentile(a, 40)", (6,)), C("np.percentile(a, [25, 50], axis=0, keepdims=True)", (5, 3))],
    "np.ptp": [C(f"np.ptp(a{ax})", X3) for ax in RED],
    "np.select": [C("np.select([a > 0.5, a < -0.5], [a, b], 0.0)", (3, 4), (3, 4)),
                  C("np.select([a > 0, a <= 0], [a * a, b])", (3, 4), (4,)),
                  C("np.select([a > 0.3], [a], default=b)", (3, 4), ())],
    "np.piecewise": [C("np.piecewise(a, [a < 0, a >= 0], [-1.0, 1.0]) * a", (3, 4), label="np.piecewise(a, ...) * a"),
                     C("np.piecewise(a, [a < 0, a >= 0], [b, 2.0]) * a", (3, 4), F,
                       label="np.piecewise(a, [...], [b, 2.0]) * a"),
                     C("np.piecewise(a, [a < -0.5, a > 0.5], [b, c, 0.5])", (3, 4), F, F)],
    "np.nansum": [C(f"np.nansum(a{ax})", X3) for ax in RED],
    "np.nanmean": [C(f"np.nanmean(a{ax})", X3) for ax in ("", ", axis=-1", ", axis=(0, 2), keepdims=True")],
    "np.nanvar": [C("np.nanvar(a)", (3, 4)), C("np.nanvar(a, axis=-1, ddof=1)", X3),
                  C("np.nanvar(a, axis=0, keepdims=True)", (3, 4)), C("np.nanvar(a, axis=(0, 2), ddof=2)", X3)],
    "np.nanstd": [C("np.nanstd(a)", (3, 4)), C("np.nanstd(a, axis=1, ddof=1, keepdims=True)", (3, 4)),
                  C("np.nanstd(a, axis=0)", (3, 4)), C("np.nanstd(a, axis=(-1, 0))", X3)],
    "np.nanprod": [C("np.nanprod(a)", (3, 4)), C("np.nanprod(a, axis=0)", (3, 4)),
                   C("np.nanprod(a, axis=-1, keepdims=True)", X3)],
    "np.nancumsum": [C("np.nancumsum(a)", (3, 4)), C("np.nancumsum(a, axis=0)", (3, 4)), C("np.nancumsum(a, 1)", X3)],
    "np.nancumprod": [C("np.nancumprod(a)", (3, 4)), C("np.nancumprod(a, axis=-1)", X3)],
    "np.nanmedian": [C("np.nanmedian(a)", (3, 4)), C("np.nanmedian(a, axis=0)", (3, 4)),
                     C("np.nanmedian(a, axis=(0, 2), keepdims=True)", X3)],
    "np.nanquantile": [C("np.nanquantile(a, 0.3)", (7,)), C("np.nanquantile(a, [0.1, 0.9], axis=0)", (3, 5))],
    "np.nanpercentile": [C("np.nanpercentile(a, 40, axis=-1, keepdims=True)", (3, 4))],
    "np.cumprod": [C("np.cumprod(a)", (3, 4)), C("np.cumprod(a, axis=0)", (3, 4)), C("np.cumprod(a, axis=-1)", X3),
                   C("np.cumprod(a, 1)", (2, 4))],
    "np.average": [C("np.average(a)", (3, 4)), C("np.average(a, axis=1)", X3), C("np.average(a, weights=b)", (3, 4), (3, 4)),
                   C("np.average(a, axis=-1, weights=b)", (3, 4), (4,)), C("np.average(a, axis=0, weights=b, keepdims=True)",
                                                                        (3, 4), (3,)),
                   C("np.average(a, axis=(0, 1), weights=b)", X3, (2, 3, 4))],
    # elementwise (rules/numpy.py)
    "np.logaddexp2": _binary("np.logaddexp2(a, b)", BCAST),
    "np.hypot": _binary("np.hypot(a, b)", BCAST),
    "np.deg2rad": [C("np.deg2rad(a)", (3, 4)), C("np.deg2rad(a)", F)],
    "np.radians": [C("np.radians(a)", (3,))],
    "np.rad2deg": [C("np.rad2deg(a)", (3, 4)), C("np.rad2deg(a)", ())],
    "np.degrees": [C("np.degrees(a)", (3,))],
    "np.sinc": [C("np.sinc(a)", (3, 4)), C("np.sinc(a)", F)],
    "np.nan_to_num": [C("np.nan_to_num(a)", (2, 3)), C("np.nan_to_num(a, nan=b, posinf=c, neginf=d)", (2, 3), F, F, F)],
    "np.atleast_3d": [C("np.atleast_3d(a)", (3,)), C("np.atleast_3d(a)", (2, 3))],
    "np.row_stack": [C("np.row_stack([a, b])", (2, 3), (3,))],
}

# random draws (rules/random_draws.py): the same seed on every call, so the draw is a function of its
# parameters (pathwise derivatives)
CASES.update({
    "np.random.normal": [C("np.random.seed(3)\nr = np.random.normal(a, b, size=(2, 3))", (3,), F,
                           dom=(normal, uniform(0.5, 2.0)), label="np.random.normal(a, b, size=(2, 3))"),
                         C("np.random.seed(4)\nr = np.random.normal(loc=a)", (4,), label="np.random.normal(loc=a)")],
    "np.random.uniform": [C("np.random.seed(5)\nr = np.random.uniform(a, a + b)", (3,), (3,),
                            dom=(normal, uniform(0.5, 2.0)), label="np.random.uniform(a, a + b)")],
    "np.random.exponential": [C("np.random.seed(6)\nr = np.random.exponential(a, size=(2, 2))", F,
                                dom=uniform(0.5, 2.0), label="np.random.exponential(a, size=(2, 2))")],
})
