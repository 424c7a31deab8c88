"""Derivatives built from others by a little generated code: Jacobians (forward: one jvp sweep per input
entry; reverse: one vjp sweep per output entry; a Hessian is the forward-mode Jacobian of the gradient)
and gradients computed by forward sweeps (nested.py).

The code is written as source text, compiled like every derivative (kept in `linecache`, readable in
`.source`), and calls the compiled derivatives it is built from; so it can be differentiated again. Built
once per combination of argument kinds (`Composite`).
"""
import copy
import types

import numpy as np

from . import codegen, kinds as K, runtime
from .errors import UnsupportedError


class Composite:
    """Compiled per argument kinds by `build(args) -> compiled function` (which compiles the parts it calls
    for those kinds); cached by the kinds and the parts' compiled code."""

    def __init__(self, build, func_name, parts):
        self.build = build
        self.func_name = func_name
        self.parts = parts  # the derivative functions it is built from (for staleness)
        self.specializations = {}
        self.built_at = {}  # kinds -> the parts' generations when built (nested.generation)
        self.last = None
        self.dispatcher = None
        self.generic_source = None

    def specialize(self, args):
        from .driver import dims_pattern

        # (the parts it calls were compiled for the arguments' dimension pattern too: which shapes are equal)
        key = tuple(K.kind_of(a) for a in args) + (dims_pattern(args),)
        compiled = self.specializations.get(key)
        # (a part compiled again since this was built, also by another caller, which then no longer looks stale:
        # its generation changed, and the code built would go on calling its old compiled function: h12-018)
        if compiled is None or any(p._ad_derivative.stale_any() for p in self.parts) or \
                self.built_at.get(key) != self.generation():
            compiled = self.specializations[key] = self.build(args)
            self.built_at[key] = self.generation()
        self.last = compiled
        return compiled

    def generation(self):
        from .nested import generation

        return tuple(generation(p._ad_derivative) for p in self.parts)

    def compile_generic(self):
        raise UnsupportedError("this derivative is compiled at its first call, for the kinds of its arguments",
                               hint="call it once, then read .source", deferred=True)

    def stale_any(self):
        return any(p._ad_derivative.stale_any() for p in self.parts)


def compile_wrapper(lines, name, refs, parts_sources, names=None):
    """Compile generated source lines defining `name`, which calls the compiled functions `refs` (`names`:
    the wrapper's own names, _Names; numpy is `np` when not given)."""
    names = names if names is not None else {"np": "np"}
    lines, refs = _same_draws(lines, refs)
    source = "\n".join(lines) + "\n"
    filename = f"<ad_compiler: {name}>"
    cells = {n: types.CellType(obj) for n, obj in refs.items()}
    compiled = codegen.compile_source(source, name, filename, {names["np"]: np}, cells)
    compiled.source = "\n\n".join([source] + list(parts_sources))
    compiled._ad_random = refs.get("_ad_draws") or _sources(refs)
    return compiled


def _same_draws(lines, refs):
    """When the functions the wrapper calls several times draw random numbers (np.random.normal, a global
    Generator), every call must see the same draws: the derivative is pathwise, of one realisation. The
    generators' states are saved before the first call and restored before each call (so afterwards they are
    as one call of the function leaves them)."""
    sources = _sources(refs)
    calls = [k for k, line in enumerate(lines) if any(f" {n}(" in line for n in refs)]
    if not sources or len(calls) < 2:
        return lines, refs
    draws, state = "_ad_draws", "_ad_state"
    out = []
    for k, line in enumerate(lines):
        if k in calls:
            indent = line[:len(line) - len(line.lstrip())]
            if k == calls[0]:
                out.append(f"{indent}# every sweep draws the same random numbers (of one realisation)")
                out.append(f"{indent}{state} = _ad.random_states({draws})")
            else:
                out.append(f"{indent}_ad.set_random_states({draws}, {state})")
        out.append(line)
    return out, {**refs, draws: tuple(sources)}


def _sources(refs):
    """The random generators the compiled functions `refs` draw from (driver._random_sources)."""
    sources = []
    for obj in refs.values():
        for s in getattr(obj, "_ad_random", ()):
            if all(s is not o for o in sources):
                sources.append(s)
    return tuple(sources)


class _Names(dict):
    """The wrapper's own names (its locals, numpy, the functions it calls), none of them a parameter's: a
    parameter called `n`, `value` or `np` keeps its value."""

    def __init__(self, params, *fixed):
        super().__init__()
        self.taken = set(params)
        for n in ("np", "value", "t", "t0", "n", "m", "i", "e") + fixed:
            self.add(n)

    def add(self, n):
        name = n
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        self[n] = name
        return name


def sweepable(kinds_, positions):
    """Can `sweeps` differentiate with respect to these parameters (arrays and numbers)?"""
    return all(isinstance(kinds_[i], (K.Scalar, K.Array)) for i in positions)


def check_kinds(wrt, positions, kinds_, what):
    for w, i in zip(wrt, positions):
        if not isinstance(kinds_[i], (K.Scalar, K.Array)):
            raise UnsupportedError(f"{what} needs `{w}` to be an array or a number (it is {kinds_[i]})",
                                   hint="pass arrays or numbers for the arguments differentiated")


def check_not_bool(wrt, positions, kinds_, what):
    """A boolean has no derivative (`ad.grad` gives None for it): a Jacobian with respect to one is refused
    (a reverse sweep's None would be stored as NaN)."""
    for w, i in zip(wrt, positions):
        kind = kinds_[i]
        if (isinstance(kind, K.Scalar) and kind.cls in (bool, np.bool_)) or \
                (isinstance(kind, K.Array) and kind.dtype == "b"):
            raise UnsupportedError(f"{what} has no derivative with respect to `{w}`, a boolean ({kind})",
                                   hint="pass the values as floats (x.astype(float)) to differentiate with "
                                   "respect to them")


def _zero(kind, w, np_, ranked=False):
    """The zero tangent of `w` (`ranked`: by a helper whose result has w's rank where the compiler reads the
    code again, as it does a gradient by sweeps inlined; NumPy zeros, also for Dask or CuPy data)."""
    if isinstance(kind, K.Scalar):
        return "0.0"
    return f"_ad.unit_tangent({w}, None)" if ranked else f"{np_}.zeros({np_}.shape({w}))"


def sweeps(jvp, params, positions, kinds_, mode, multi, name, has_aux=False):
    """A gradient (or vjp) by forward mode: `jvp` (compiled with a tuple of tangents) run once per entry of
    each `wrt` argument (once for a number). `has_aux`: f returns (value, aux), and `jvp` ((value, aux),
    tangent of the value); the gradient is returned as `ad.grad(f, has_aux=True)` returns it."""
    wrt = [params[i] for i in positions]
    check_kinds(wrt, positions, kinds_, "computing this derivative of a derivative with forward mode "
                 "(reverse-mode rules for it are not written yet)")
    N = _Names(params, jvp.__name__, *[f"g{w}" for w in wrt])
    np_, j, value, t, n, i = N["np"], N[jvp.__name__], N["value"], N["t"], N["n"], N["i"]
    args = ", ".join(params[:len(params) - (1 if mode == "vjp" else 0)])
    seed = params[-1] if mode == "vjp" else None
    zeros = {w: _zero(kinds_[k], w, np_, ranked=True) for w, k in zip(wrt, positions)}
    lines = [f"def {name}({', '.join(params)}):",
             f"    # by forward mode: one sweep of {j} per entry of {', '.join(wrt)}",
             f"    {value}, {N['t0']} = {j}({args}, ({', '.join(zeros[w] for w in wrt)},))"]
    if seed is None:
        lines.append(f"    _ad.grad_seed({value}[0])" if has_aux else f"    _ad.grad_seed({value})")
    results = []
    for k, (w, p) in enumerate(zip(wrt, positions)):
        def tangents(x):
            return "(" + ", ".join(x if m == k else zeros[v] for m, v in enumerate(wrt)) + ",)"
        # (a seed that is an array or a number: a sum of products, which has rules, where this code is read
        # again (a function calling ad.vjp(ad.grad(f)) differentiated, n27-009); a tree's, _ad.tree_dot)
        plain = seed is not None and isinstance(kinds_[len(params) - 1] if len(kinds_) >= len(params) else None,
                                                (K.Array, K.Scalar))
        entry = t if seed is None else f"{np_}.sum({t} * {seed})" if plain else f"_ad.tree_dot({t}, {seed})"
        g = N[f"g{w}"]
        if isinstance(kinds_[p], K.Scalar):
            lines += [f"    {value}, {t} = {j}({args}, {tangents('1.0')})", f"    {g} = {entry}"]
        else:
            # (the tangent of x's rank: the compiler reads this code again where the gradient is inlined)
            lines += [f"    {n} = {np_}.size({w})", f"    {g} = {np_}.zeros({n}, dtype={np_}.result_type({w}, 1.0))",
                      f"    for {i} in range({n}):",
                      f"        {value}, {t} = {j}({args}, {tangents(f'_ad.unit_tangent({w}, {i})')})",
                      f"        {g}[{i}] = {entry}", f"    {g} = {np_}.reshape({g}, {np_}.shape({w}))"]
        results.append(f"_ad.as_grad({g}, {w})")
    result = f"({', '.join(results)},)" if multi else results[0]
    if has_aux and mode != "value_and_grad":
        result = f"({result}, {value}[1])"
    lines.append(f"    return {'(' + value + ', ' + result + ')' if mode == 'value_and_grad' else result}")
    return compile_wrapper(lines, name, {j: jvp}, [jvp.source], N)


def jacfwd_function(jvp, params, positions, kinds_, multi, name, tree=False):
    """The Jacobian by forward mode: one sweep of `jvp` per entry of each `wrt` argument; shape
    out.shape + x.shape (`tree`: the output is a list, tuple or dict; the Jacobian is a tree like it, of
    blocks leaf.shape + x.shape)."""
    wrt = [params[i] for i in positions]
    check_kinds(wrt, positions, kinds_, "the forward-mode Jacobian")
    check_not_bool(wrt, positions, kinds_, "the forward-mode Jacobian")
    N = _Names(params, jvp.__name__, *[f"j{w}" for w in wrt])
    np_, j, value, t, n, i = N["np"], N[jvp.__name__], N["value"], N["t"], N["n"], N["i"]
    args = ", ".join(params)
    zeros = {w: _zero(kinds_[k], w, np_) for w, k in zip(wrt, positions)}
    lines = [f"def {name}({args}):",
             f"    # the Jacobian by forward mode: one sweep of {j} per entry of {', '.join(wrt)}"]
    flat = f"_ad.ravel_tree({t})[0]" if tree else f"{np_}.ravel({t})"
    size = f"_ad.ravel_tree({value})[0].size" if tree else f"{np_}.size({value})"
    results = []
    for k, (w, p) in enumerate(zip(wrt, positions)):
        def tangents(x):
            return "(" + ", ".join(x if m == k else zeros[v] for m, v in enumerate(wrt)) + ",)"
        out = N[f"j{w}"]
        if isinstance(kinds_[p], K.Scalar):
            lines += [f"    {value}, {out} = {j}({args}, {tangents('1.0')})"]
        else:
            shaped = f"_ad.jacobian_tree({out}, {value}, {np_}.shape({w}))" if tree else \
                f"{np_}.reshape({out}, {np_}.shape({value}) + {np_}.shape({w}))"
            dtype = "float" if tree else f"{np_}.result_type({value}, {w}, 1.0)"
            lines += [f"    {n} = {np_}.size({w})",
                      f"    {value}, {t} = {j}({args}, {tangents(zeros[w])})",
                      f"    {out} = {np_}.zeros(({size}, {n}), dtype={dtype})",
                      # (the basis tangent made by a helper, not stored into zeros: the Jacobian's code read
                      # again, e.g. `ad.hessian(ad.hessian(f))`, has no store into an array the tape gave back)
                      f"    for {i} in range({n}):",
                      f"        {value}, {t} = {j}({args}, {tangents(f'_ad.unit_tangent({w}, {i})')})",
                      f"        {out}[:, {i}] = {flat}",
                      f"    {out} = {shaped}"]
        results.append(out)
    lines.append(f"    return {_result(results, multi, tree, value)}")
    return compile_wrapper(lines, name, {j: jvp}, [jvp.source], N)


def jacrev_function(vjp, primal, params, positions, kinds_, multi, name, tree=False):
    """The Jacobian by reverse mode: one sweep of `vjp` per entry of the output; shape out.shape + x.shape
    (`tree`: as jacfwd_function's)."""
    wrt = [params[i] for i in positions]
    check_kinds(wrt, positions, kinds_, "the reverse-mode Jacobian")
    check_not_bool(wrt, positions, kinds_, "the reverse-mode Jacobian")
    N = _Names(params, vjp.__name__, "_ad_primal", "flat", "unravel", *[f"g{w}" for w in wrt],
               *[f"j{w}" for w in wrt])
    np_, v, f, value, m, i = N["np"], N[vjp.__name__], N["_ad_primal"], N["value"], N["m"], N["i"]
    args = ", ".join(params)
    grads = [N[f"g{w}"] for w in wrt]
    jac = {w: N[f"j{w}"] for w in wrt}
    lines = [f"def {name}({args}):",
             f"    # the Jacobian by reverse mode: one sweep of {v} per entry of the output",
             f"    {value} = {f}({', '.join(f'_ad.private_copy({p})' for p in params)})"]
    if tree:
        flat, unravel = N["flat"], N["unravel"]
        lines += [f"    {flat}, {unravel} = _ad.ravel_tree({value})", f"    {m} = {flat}.size"]
        seed, dtype = f"{unravel}(_ad.unit_tangent({flat}, {i}))", "float"
    else:
        lines += [f"    {m} = {np_}.size({value})"]
        seed, dtype = f"_ad.unit_tangent({value}, {i})", f"{np_}.result_type({value}, {{w}}, 1.0)"
    lines += [f"    {jac[w]} = {np_}.zeros(({m}, {np_}.size({w})), dtype={dtype.format(w=w)})" for w in wrt]
    lines += [f"    for {i} in range({m}):",  # (the seed made by a helper: as jacfwd_function's tangent)
              f"        {', '.join(grads)}{',' if multi and len(grads) == 1 else ''} = {v}({args}, {seed})"]
    lines += [f"        {jac[w]}[{i}] = {np_}.ravel({g})" for w, g in zip(wrt, grads)]
    lines += [f"    {jac[w]} = _ad.jacobian_tree({jac[w]}, {value}, {np_}.shape({w}))" if tree else
              f"    {jac[w]} = {np_}.reshape({jac[w]}, {np_}.shape({value}) + {np_}.shape({w}))" for w in wrt]
    results = [jac[w] for w in wrt]
    lines.append(f"    return {_result(results, multi, tree, value)}")
    return compile_wrapper(lines, name, {v: vjp, f: primal}, [vjp.source], N)


def _result(results, multi, tree, value):
    """The Jacobians returned: one; a tuple, one per `wrt` argument; for a tree output and several `wrt`,
    JAX's layout: a tree like the output whose leaves are tuples (one block per argument)."""
    if not multi:
        return results[0]
    joined = "(" + ", ".join(results) + ",)"
    return f"_ad.jacobians_by_leaf({joined}, {value})" if tree else joined


def primal_value(primal, args):
    """f's value at copies of the arguments (to know the output's kind before compiling a vjp). The random
    generators f can reach are left as they were: this look draws nothing the derivative's sweeps would miss."""
    sources = _reachable_generators(primal)
    state = runtime.random_states(sources)
    try:
        return primal(*copy.deepcopy(list(args)))
    finally:
        runtime.set_random_states(sources, state)


def _reachable_generators(f):
    """NumPy's global RandomState and the Generators / RandomStates among f's globals and closure variables
    (f, or the function below a derivative or a bound method)."""
    from .driver import _GENERATORS

    for _ in range(100):
        inner = getattr(f, "primal", None) or getattr(f, "__func__", None)
        if inner is None or inner is f:
            break
        f = inner
    found = [np.random.mtrand._rand]
    values = list(getattr(f, "__globals__", {}).values())
    for cell in getattr(f, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:
            pass
    for v in values:
        if isinstance(v, _GENERATORS) and all(v is not o for o in found):
            found.append(v)
    return found
