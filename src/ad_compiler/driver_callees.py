"""The derivative functions of a recursive callee (callees.py), compiled separately because they call
themselves: the forward sweep returning the adjoint sweep as a closure (`callee_function`), the closure-free
gradient along a seed (`vjp_callee_function`, the form the compiler reads again) and the tangent function
(`jvp_callee_function`). A part of driver.Derivation (its methods, by job); `describe` writes the comments above
the generated blocks."""
import os

from . import cleanup, ir
from .adjoints import helper
from .forward import Forward
from .fuse import fuse_temporaries
from .ir import Build, FunctionDef, Return, Var


def describe(top_unit, prefix="adjoint of: "):
    def text(origin):
        unit = origin.unit
        line = unit.file_line(origin.stmt)
        where = f"line {line}"
        if unit is not top_unit and unit.tree is not top_unit.tree:
            if unit.filename != top_unit.filename and not unit.filename.startswith("<"):
                where = f"{_short(unit.filename)}, line {line}"
            where += f", in {unit.name}"
        return f"{prefix}{unit.statement_text(origin.stmt)}   ({where})"
    return text


def _short(filename):
    return os.path.basename(filename)



class CalleeFunctions:
    """The recursive callees' functions of driver.Derivation (which provides prepare, finish, callee, linker)."""

    def callee_function(self, unit, fn, rev, forward, adjoint, alloc, kinds_):
        """f_fwd(args) -> (value, backward): the forward sweep, and the adjoint sweep as a closure."""
        out = fn.out
        seed = rev.adj(out.name) if isinstance(out, Var) else alloc.fresh("bout")
        grads = [Var(rev.adj(w)) if w in rev.live else helper("zeros_like", Var(w)) for w in self.wrt]
        back_body = list(adjoint) + [Return(Build("tuple", tuple(grads)))]
        backward = FunctionDef(alloc.fresh("backward"), (seed,), back_body)
        fdef = FunctionDef(self.func_name, tuple(fn.params), forward + [backward, Return(Build("tuple", (
            out, Var(backward.name))))])
        cleanup.cleanup(fdef)
        forward_names = {n for s in fdef.body if not isinstance(s, FunctionDef) for n in ir.stmt_writes(s)} | \
            set(fn.params)
        assigned_back = {n for s in ir.walk(backward.body) for n in ir.stmt_writes(s)}
        restored = sorted(assigned_back & forward_names)
        if restored:
            backward.body.insert(0, ir.Nonlocal(tuple(restored)))
        callee = self.callee
        callee.deps = list(self.linker.deps)
        compiled = self.finish(unit, fdef, extra_cells={callee.name: callee.cell})
        callee.source = compiled.source
        return compiled

    def vjp_callee_function(self, unit, fn, rev, forward, adjoint, alloc, kinds_):
        """f_vjp(args, bout) -> the gradients of the differentiated parameters along bout: the forward sweep,
        then the adjoint sweep, in one function without closures (the readable form, callees.py)."""
        out = fn.out
        seed = rev.adj(out.name) if isinstance(out, Var) else alloc.fresh("bout")
        grads = [Var(rev.adj(w)) if w in rev.live else helper("zeros_like", Var(w)) for w in self.wrt]
        fdef = FunctionDef(self.func_name, tuple(fn.params) + (seed,),
                           forward + list(adjoint) + [Return(Build("tuple", tuple(grads)))])
        return self.finish_callee(unit, fdef, alloc)

    def finish_callee(self, unit, fdef, alloc):
        """Clean up and compile a recursive callee's derivative function, which calls itself by its cell."""
        cleanup.cleanup(fdef)
        fuse_temporaries(fdef, alloc.temps)
        callee = self.callee
        callee.deps = list(self.linker.deps)
        compiled = self.finish(unit, fdef, extra_cells={callee.name: callee.cell})
        callee.source = compiled.source
        return compiled

    def jvp_callee_function(self):
        """df(args, dargs) -> (value, its tangent): a recursive function's tangent function (callees.py), the
        tangents of its differentiated parameters after its parameters."""
        unit, fn, ops, kinds_, alloc, act, outputs = self.prepare()
        fwd = Forward(fn, ops, act, kinds_, self.wrt, alloc, describe(unit, "tangent of: "), self.linker)
        params = list(fn.params) + [fwd.d(w) for w in self.wrt]
        body = fwd.run()
        out = fn.out
        dout = Var(fwd.d(out.name)) if isinstance(out, Var) and act.active(out.name) else fwd.zero(out)
        body.append(Return(Build("tuple", (out, dout))))
        fdef = FunctionDef(self.func_name, tuple(params), body)
        return self.finish_callee(unit, fdef, alloc)
