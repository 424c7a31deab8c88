"""Random programs with an array output (`explore.py --mode vector`): f returns an array, and ad.vjp, ad.jvp,
ad.jacrev and ad.jacfwd are checked against a Jacobian of central differences.

The other modes differentiate scalar programs: the adjoint sweep always starts from a number. Here it starts
from an array seed (a random cotangent), the tangent comes out as an array, and the Jacobians call the compiled
derivative once per row or column, so stale buffers between calls would show. The output is one of: the
scalar terms of the usual final return stacked (`np.array([...])`), an array of f's (an argument itself, a view
of one, or a value computed from one; a result must never share memory with an argument), or both
concatenated.
"""
import numpy as np

import progen as P

SIZE_LIMIT = 24  # outputs larger than this are discarded (each entry costs a row of the Jacobian)


def array_return(gen, terms):
    """The code of f's final return: an array built from `terms` (scalar codes) and f's arrays."""
    arrays = [n for n, v in gen.env.items() if v.kind == "a" and gen.readable(n)]
    stacked = f"np.array([{', '.join(terms)}])"
    if not arrays or gen.chance(0.25):
        return stacked
    a = gen.choice(arrays)
    s = P.w(P.E(terms[0], P.ADD), P.MUL)
    forms = [a, f"{a} * {s}", f"np.sin({a}) + {s}", f"{a}[::-1] * 2.0", f"{a} ** 2", f"np.tanh({a}) * {a}",
             f"{a}.T", f"{a}[..., :2]", f"np.cumsum({a}, axis=-1) * {s}"]
    out = gen.choice(forms)
    if gen.chance(0.35):
        return f"np.concatenate([np.ravel({out}), {stacked}])"
    return out


def _jacobian(mod, pos, eps, center=None, jumps=None):
    """Central differences of f (flattened) w.r.t. the float entries of argument `pos`: (out.size, n)."""
    base = P.to64(mod.make_args())
    columns = []

    def value_at(path, replaced):
        args = list(P.to64(mod.make_args()))
        args[pos] = P.set_path(args[pos], path, replaced)
        v = np.asarray(P._eval(mod, args), dtype=np.float64)
        if not np.all(np.isfinite(v)):
            raise FloatingPointError("non-finite value in finite differences")
        return np.ravel(v)

    def column(hi, lo):
        columns.append((hi - lo) / (2 * eps))
        if jumps is not None:
            jumps.append(float(np.max(np.abs((hi - center) - (center - lo)), initial=0.0)) / eps)

    for path, leaf in list(P.leaves(base[pos])):
        if isinstance(leaf, np.ndarray):
            x = leaf.astype(np.float64)
            for j in np.ndindex(x.shape):
                xp, xm = x.copy(), x.copy()
                xp[j] += eps
                xm[j] -= eps
                column(value_at(path, xp), value_at(path, xm))
        else:
            ty = type(leaf)
            column(value_at(path, ty(float(leaf) + eps)), value_at(path, ty(float(leaf) - eps)))
    return np.stack(columns, axis=1) if columns else np.zeros((np.size(center), 0))


def _flat_tangent(arg, tangent):
    return np.concatenate([np.ravel(np.asarray(P.get_path(tangent, path), dtype=np.float64))
                           for path, _ in P.leaves(arg)] or [np.zeros(0)])


def _shares_memory(result, args):
    arrays = [leaf for a in args for _, leaf in P.leaves(a) if isinstance(leaf, np.ndarray)]
    outs = [leaf for _, leaf in P.leaves(result) if isinstance(leaf, np.ndarray)]
    return any(np.shares_memory(o, a) for o in outs for a in arrays)


def check_module(mod, path, ad, timeout=20.0, plain_timeout=None):
    """The contract for an array output: value, vjp, jvp and both Jacobians. Returns a progen.Result."""
    import os
    import warnings

    Result = P.Result
    base = os.path.basename(path)
    try:
        with P._alarm(plain_timeout or timeout):
            args = mod.make_args()
            snap = P.copy.deepcopy(args)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = P._eval(mod, args)
    except P.Timeout:
        return Result(outcome="discarded", kind="plain-timeout")
    except Exception as exc:  # noqa: BLE001
        return Result(outcome="discarded", kind=f"python {type(exc).__name__}", message=P._first_line(exc))
    if not (isinstance(value, np.ndarray) and value.dtype.kind == "f" and 0 < value.size <= SIZE_LIMIT):
        return Result(outcome="discarded", kind=f"not a small float array: {type(value).__name__}")
    if not np.all(np.isfinite(value)) or np.max(np.abs(value)) > 1e8:
        return Result(outcome="discarded", kind="huge or non-finite output")
    value = value.copy()  # (f may return an argument itself)
    mutated_by_f = not P.same(args, snap)  # (each check below runs on fresh arguments)
    positions = P.wrt_positions(mod)
    f32 = P.has_f32(args)
    if f32:
        return Result(outcome="discarded", kind="float32 argument")
    try:
        with P._alarm(timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            center = np.ravel(np.asarray(P._eval(mod, list(P.to64(mod.make_args()))), dtype=np.float64))
            jumps = []
            J1 = [_jacobian(mod, p, 1e-6, center, jumps) for p in positions]
            J2 = [_jacobian(mod, p, 1e-5) for p in positions]
    except P.Timeout:
        return Result(outcome="discarded", kind="fd-timeout")
    except Exception as exc:  # noqa: BLE001
        return Result(outcome="discarded", kind=f"fd {type(exc).__name__}", message=P._first_line(exc))
    scale = max([1.0, float(np.max(np.abs(value))) * 1e-3] + [float(np.max(np.abs(J), initial=0.0)) for J in J1])
    for a, b in zip(J1, J2):
        if not np.all(np.abs(a - b) <= 1e-6 * scale + 1e-5 * np.abs(a)):
            return Result(outcome="discarded", kind="kink (step sizes disagree)")
    if jumps and max(jumps) > 1e-4 * scale:
        return Result(outcome="discarded", kind="kink (one-sided slopes differ)")
    tol = 10 * (1e-6 * scale)

    def close(got, expected):
        got = np.asarray(got, dtype=np.float64)
        return got.shape == expected.shape and bool(np.all(np.isfinite(got))) and \
            bool(np.all(np.abs(got - expected) <= tol + 1e-5 * np.abs(expected)))

    rng = np.random.default_rng(2024)
    seed = rng.standard_normal(value.shape)
    tangents = [P.random_tangent(mod.make_args()[p], rng) for p in positions]
    multi = isinstance(mod.WRT, tuple)
    stage = "compile"
    try:
        with P._alarm(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            # vjp: seed^T J for each wrt argument
            args = mod.make_args()
            stage = "vjp"
            got = ad.vjp(mod.f, wrt=mod.WRT, **P.GRAD_OPTIONS)(*args, seed.copy())
            if not mutated_by_f and not P.same(args, snap):
                return Result(outcome="wrong", kind="mutated-input", message="vjp changed an input")
            if _shares_memory(got, args):
                return Result(outcome="wrong", kind="shared-memory", message="vjp's result shares memory with an input")
            gots = list(got) if multi else [got]
            for g, J in zip(gots, J1):
                expected = np.ravel(seed) @ J
                flat = P._flat(g)
                if not close(flat, expected):
                    return Result(outcome="wrong", kind="vjp-value", message="vjp differs from finite differences",
                                  expected=repr(expected), got=repr(flat))
            # jvp: the value and J t
            stage = "jvp"
            args = mod.make_args()
            tangent = tuple(tangents) if multi else tangents[0]
            out, dout = ad.jvp(mod.f, wrt=mod.WRT, **P.GRAD_OPTIONS)(*args, tangent)
            if not mutated_by_f and not P.same(args, snap):
                return Result(outcome="wrong", kind="mutated-input", message="jvp changed an input")
            if _shares_memory(out, args) or _shares_memory(dout, args):
                return Result(outcome="wrong", kind="shared-memory", message="jvp's result shares memory with an input")
            expected = sum(J @ _flat_tangent(args[p], t) for J, p, t in zip(J1, positions, tangents))
            if not close(np.ravel(np.asarray(dout, dtype=np.float64)), expected):
                return Result(outcome="wrong", kind="jvp-value", message="jvp's tangent differs from finite differences",
                              expected=repr(expected), got=repr(dout))
            if not (np.shape(out) == value.shape and np.allclose(out, value, rtol=1e-9, atol=1e-12)):
                return Result(outcome="wrong", kind="jvp-primal", message="jvp's value differs from f's",
                              expected=repr(value), got=repr(out))
            # both Jacobians, for a single float-array or float argument
            arg = mod.make_args()[positions[0]]
            if not multi and (isinstance(arg, float) or (isinstance(arg, np.ndarray) and arg.dtype.kind == "f")):
                for name in ("jacrev", "jacfwd"):
                    stage = name
                    args = mod.make_args()
                    jac = getattr(ad, name)(mod.f, wrt=mod.WRT)(*args)
                    want_shape = value.shape + np.shape(arg)
                    if np.shape(jac) != want_shape:
                        return Result(outcome="wrong", kind=f"{name}-shape",
                                      message=f"{name} gave shape {np.shape(jac)}, not {want_shape}")
                    if not close(np.reshape(jac, J1[0].shape), J1[0]):
                        return Result(outcome="wrong", kind=f"{name}-value",
                                      message=f"{name} differs from finite differences",
                                      expected=repr(J1[0]), got=repr(jac))
                    if _shares_memory(jac, args):
                        return Result(outcome="wrong", kind="shared-memory", message=f"{name} shares memory with an input")
    except (Exception, P.Timeout) as exc:  # noqa: BLE001
        return P._refusal_or_crash(exc, ad, base, path, stage)
    return Result(outcome="pass")

