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

from . import codegen, kinds as K
from .errors import UnsupportedError


class Composite:
    """Compiled per argument kinds by `build(args) -> compiled function` (which compiles the parts it calls
    for those kinds); cached by the kinds and the parts' compiled code."""

    def __init__(self, build, func_name, parts):
        self.build = build
        self.func_name = func_name
        self.parts = parts  # the derivative functions it is built from (for staleness)
        self.specializations = {}
        self.last = None
        self.dispatcher = None
        self.generic_source = None

    def specialize(self, args):
        key = tuple(K.kind_of(a) for a in args)
        compiled = self.specializations.get(key)
        if compiled is None or any(p._ad_derivative.stale_any() for p in self.parts):
            compiled = self.specializations[key] = self.build(args)
        self.last = compiled
        return compiled

    def compile_generic(self):
        raise UnsupportedError("this derivative is compiled at its first call, for the kinds of its arguments",
                               hint="call it once, then read .source", deferred=True)

    def stale_any(self):
        return any(p._ad_derivative.stale_any() for p in self.parts)


def compile_wrapper(lines, name, refs, parts_sources):
    """Compile generated source lines defining `name`, which calls the compiled functions `refs`."""
    source = "\n".join(lines) + "\n"
    filename = f"<ad_compiler: {name}>"
    cells = {n: types.CellType(obj) for n, obj in refs.items()}
    compiled = codegen.compile_source(source, name, filename, {"np": np}, cells)
    compiled.source = "\n\n".join([source] + list(parts_sources))
    return compiled


def _check_kinds(wrt, positions, kinds_, what):
    for w, i in zip(wrt, positions):
        if not isinstance(kinds_[i], (K.Scalar, K.Array)):
            raise UnsupportedError(f"{what} needs `{w}` to be an array or a number (it is {kinds_[i]})",
                                   hint="pass arrays or numbers for the arguments differentiated")


def _zero(kind, w):
    return "0.0" if isinstance(kind, K.Scalar) else f"np.zeros(np.shape({w}))"


def sweeps(jvp, params, positions, kinds_, mode, multi, name):
    """A gradient (or vjp) by forward mode: `jvp` (compiled with a tuple of tangents) run once per entry of
    each `wrt` argument (once for a number)."""
    wrt = [params[i] for i in positions]
    _check_kinds(wrt, positions, kinds_, "computing this derivative of a derivative with forward mode "
                 "(reverse-mode rules for it are not written yet)")
    args = ", ".join(params[:len(params) - (1 if mode == "vjp" else 0)])
    seed = params[-1] if mode == "vjp" else None
    zeros = {w: _zero(kinds_[i], w) for w, i in zip(wrt, positions)}
    j = jvp.__name__
    lines = [f"def {name}({', '.join(params)}):",
             f"    # by forward mode: one sweep of {j} per entry of {', '.join(wrt)}",
             f"    value, t0 = {j}({args}, ({', '.join(zeros[w] for w in wrt)},))"]
    if seed is None:
        lines.append("    _ad.grad_seed(value)")
    results = []
    for k, (w, i) in enumerate(zip(wrt, positions)):
        def tangents(e):
            return "(" + ", ".join(e if m == k else zeros[v] for m, v in enumerate(wrt)) + ",)"
        entry = "t" if seed is None else f"_ad.tree_dot(t, {seed})"
        g = f"g{w}"
        if isinstance(kinds_[i], K.Scalar):
            lines += [f"    value, t = {j}({args}, {tangents('1.0')})", f"    {g} = {entry}"]
        else:
            lines += [f"    n = np.size({w})", f"    {g} = np.zeros(n, dtype=np.result_type({w}, 1.0))",
                      "    for i in range(n):", "        e = np.zeros(n)", "        e[i] = 1.0",
                      f"        value, t = {j}({args}, {tangents(f'np.reshape(e, np.shape({w}))')})",
                      f"        {g}[i] = {entry}", f"    {g} = np.reshape({g}, np.shape({w}))"]
        results.append(f"_ad.as_grad({g}, {w})")
    result = f"({', '.join(results)},)" if multi else results[0]
    lines.append(f"    return {'(value, ' + result + ')' if mode == 'value_and_grad' else result}")
    return compile_wrapper(lines, name, {j: jvp}, [jvp.source])


def jacfwd_function(jvp, params, positions, kinds_, multi, name):
    """The Jacobian by forward mode: one sweep of `jvp` per entry of each `wrt` argument; shape
    out.shape + x.shape."""
    wrt = [params[i] for i in positions]
    _check_kinds(wrt, positions, kinds_, "the forward-mode Jacobian")
    args = ", ".join(params)
    zeros = {w: _zero(kinds_[i], w) for w, i in zip(wrt, positions)}
    j = jvp.__name__
    lines = [f"def {name}({args}):",
             f"    # the Jacobian by forward mode: one sweep of {j} per entry of {', '.join(wrt)}"]
    results = []
    for k, (w, i) in enumerate(zip(wrt, positions)):
        def tangents(e):
            return "(" + ", ".join(e if m == k else zeros[v] for m, v in enumerate(wrt)) + ",)"
        out = f"j{w}"
        if isinstance(kinds_[i], K.Scalar):
            lines += [f"    value, {out} = {j}({args}, {tangents('1.0')})"]
        else:
            lines += [f"    n = np.size({w})",
                      f"    value, t = {j}({args}, {tangents(zeros[w])})",
                      f"    {out} = np.zeros((np.size(value), n), dtype=np.result_type(value, {w}, 1.0))",
                      "    for i in range(n):", "        e = np.zeros(n)", "        e[i] = 1.0",
                      f"        value, t = {j}({args}, {tangents(f'np.reshape(e, np.shape({w}))')})",
                      f"        {out}[:, i] = np.ravel(t)",
                      f"    {out} = np.reshape({out}, np.shape(value) + np.shape({w}))"]
        results.append(out)
    lines.append(f"    return {'(' + ', '.join(results) + ',)' if multi else results[0]}")
    return compile_wrapper(lines, name, {j: jvp}, [jvp.source])


def jacrev_function(vjp, primal, params, positions, kinds_, multi, name):
    """The Jacobian by reverse mode: one sweep of `vjp` per entry of the output; shape out.shape + x.shape."""
    wrt = [params[i] for i in positions]
    _check_kinds(wrt, positions, kinds_, "the reverse-mode Jacobian")
    args = ", ".join(params)
    v, f = vjp.__name__, "_ad_primal"
    grads = [f"g{w}" for w in wrt]
    lines = [f"def {name}({args}):",
             f"    # the Jacobian by reverse mode: one sweep of {v} per entry of the output",
             f"    value = {f}({', '.join(f'_ad.private_copy({p})' for p in params)})", "    m = np.size(value)"]
    lines += [f"    j{w} = np.zeros((m, np.size({w})), dtype=np.result_type(value, {w}, 1.0))" for w in wrt]
    lines += ["    for i in range(m):", "        e = np.zeros(m)", "        e[i] = 1.0",
              f"        {', '.join(grads)}{',' if multi and len(grads) == 1 else ''} = "
              f"{v}({args}, np.reshape(e, np.shape(value)))"]
    lines += [f"        j{w}[i] = np.ravel(g{w})" for w in wrt]
    lines += [f"    j{w} = np.reshape(j{w}, np.shape(value) + np.shape({w}))" for w in wrt]
    results = [f"j{w}" for w in wrt]
    lines.append(f"    return {'(' + ', '.join(results) + ',)' if multi else results[0]}")
    return compile_wrapper(lines, name, {v: vjp, f: primal}, [vjp.source])


def primal_value(primal, args):
    """f's value at copies of the arguments (to know the output's kind before compiling a vjp)."""
    return primal(*copy.deepcopy(list(args)))
