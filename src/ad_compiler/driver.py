"""The driver: runs the passes, owns the caches, and dispatches calls to the right compiled derivative.

    read -> desugar -> inline -> alias -> SSA -> kinds -> resolve -> activity -> reverse -> tape -> clean-up
    -> print -> compile

A derivative is compiled once per (function, wrt, mode) *and* per combination of the argument kinds
(kinds.py) it is called with: the function `ad.grad` returns is a small dispatcher that computes the kinds
of its arguments and calls the derivative compiled for them (compiling it at the first such call). Its
`.source` is the source of the derivative it ran last (before any call: the one for arguments of unknown
kinds). A compiled derivative remembers what it was built from (the code and defaults of every function it
inlined, the objects the free names it read referred to -- for data, only their kind, since data is read
live --, the rules registered); when any of those changed (a notebook cell run again, `ACT = np.sin`, a
new @ad.defvjp), it is compiled again.
"""
import builtins
import contextlib
import functools
import gc
import inspect
import itertools
import time
import types
import weakref

import numpy as np

from . import activity, alias, callees, complexity, cleanup, codegen, fresh_results, ir, join_items, join_slices, loop_copies, kinds as K, recompute, rules, runtime, shift_invariance, split_products, tracebacks
from .adjoints import assign, helper
from .desugar import desugar
from .driver_callees import CalleeFunctions, describe
from .errors import ADError, UnsupportedError
from .forward import Forward
from .fuse import fuse_temporaries
from .grad_forms import prove_forms
from .unit_seed import fold_unit_seed
from .batch_sums import batch_sums
from .dead_raises import keep_dead_raises
from .hoist import hoist
from .spread import spread_lazily
from . import gradient_call_kinds, shape_sources
from .inline import inline, is_library
from .inline_static import MISSING, is_simple
from .ir import Assign, Build, Comment, Const, FunctionDef, Return, Var
from .naming import NameAllocator
from .read import read_function
from .resolve import resolve
from .signature import Default, Signature
from .reverse import Reverse
from .ssa import to_ssa
from .tape import Tape
from .unchanged import MISS, guard, unchanged_test

rules.load_builtin_rules()


class Context:
    """What the passes ask the driver: rules, sources of the user's functions (recorded as dependencies)."""

    def __init__(self):
        self.inline_checkpointed = False  # inline the functions wrapped in ad.checkpoint (forward mode)
        self.deps = []  # (function, its code object, its defaults, its keyword defaults, their items) read while
        # compiling (the items: `__kwdefaults__` is a dict, changed in place by `f.__kwdefaults__["a"] = 3.0`)
        self.bindings = []  # (unit, dotted name, object): the functions names referred to when inlined
        self.units = []  # the units read (their `reads`: the free names their code referred to)
        self.items = []  # (table, key, item): items of the user's lists and dicts the inliner used (`ACTS[name]`)
        self.rules = rules.generation()  # rules registered later may change the derivative
        self._reads = None
        # the files of the generated reverse-mode code of gradients (what ad.grad returned) inlined
        self.inlined_gradients = set()
        # inline them as forward sweeps instead (Derivation.run, when their reverse-mode code is refused)
        self.gradients_by_sweeps = False
        # the kinds of the arguments of the gradients it calls, where they are not parameters or constants:
        # {call site: kinds}, learned after a refusal (gradient_call_kinds.py); were some not known?
        self.call_kinds = {}
        self.unknown_call_args = False
        self.narrow = False  # the function may hold arrays of a narrow dtype (alias_session.Session.narrow)
        # id -> object: what the generated code holds as it was when compiling (an inlined callee's closure
        # variable, another module's global: spelled `_ad_c`, codegen.Names.extern), not read live; a free name
        # (or the first name of a dotted one) that referred to one of them and now refers to another object
        # makes the derivative stale (h19-003)
        self.frozen = {}
        self._callee_facts = {}  # (function, kinds) -> what a call of it returns (callee_facts)

    def stale(self):
        """Has anything this compilation was built from changed since (code, defaults, what a name refers to,
        the rules)?"""
        for f, code, defaults, kwdefaults, kw_items in self.deps:
            if f.__code__ is not code or f.__defaults__ is not defaults:
                return True
            if code.co_kwonlyargcount and (f.__kwdefaults__ is not kwdefaults or  # (read only by keyword-only
                                           any(kwdefaults.get(k, _MISSING) is not v for k, v in kw_items)):
                return True  # (parameters' defaults; an inlined callee's simple default is a constant in the code)
        if self.rules != rules.generation():
            return True
        for cell, globals_, name, attrs, obj, root in self.reads():  # (run at every call: kept short)
            if cell is not None:
                try:
                    current = cell.cell_contents
                except ValueError:
                    return True
            else:
                current = globals_.get(name, _MISSING)
                if current is _MISSING:
                    current = getattr(builtins, name, None)
            if attrs and current is not root and id(root) in self.frozen:
                return True  # (`cfg.scale` read from the object `cfg` was when compiling: h19-003)
            for p in attrs:
                current = getattr(current, p, None)
            if current is not obj and (id(obj) in self.frozen or _signature(current) != _signature(obj)):
                return True
        for table, key, item in self.items:
            try:
                current = len(table) if key is len else table[key]
            except (KeyError, IndexError):
                current = MISSING
            if current is item:
                continue
            if item is MISSING or current is MISSING:
                return True
            if is_simple(item):  # (a string, a number or a length the compiler used as a constant)
                if type(current) is not type(item) or current != item:
                    return True
            elif _signature(current) != _signature(item):
                return True
        for unit, path, obj in self.bindings:
            found, current = unit.lookup(path[0])
            for p in path[1:]:
                current = getattr(current, p, None)
            if current is not obj:
                return True
        return False

    def rebase(self):
        """Record the objects the free names refer to now where they are data the generated code reads live and
        stale() found of the same kind (never an object it holds: Context.frozen), so that the quick identity
        tests (unchanged.py) hold again. Only after stale() returned False."""
        reads = self.reads()
        for i, (cell, globals_, name, attrs, obj, root) in enumerate(reads):
            if not isinstance(obj, _DATA) or id(obj) in self.frozen or id(root) in self.frozen:
                continue
            try:
                current = cell.cell_contents if cell is not None else globals_.get(name, _MISSING)
            except ValueError:
                continue
            if current is _MISSING:
                continue
            base = current
            for p in attrs:
                current = getattr(current, p, None)
            if isinstance(current, _DATA) and _signature(current) == _signature(obj):
                reads[i] = (cell, globals_, name, attrs, current, base if attrs else current)

    def include(self, other):
        """Depend on what another compilation was built from (a derivative whose generated code is inlined)."""
        self.deps += [d for d in other.deps if d not in self.deps]
        self.bindings += other.bindings
        self.units += [u for u in other.units if u not in self.units]
        self.items += other.items
        self.frozen.update(other.frozen)

    def freeze(self, externs):
        """The objects generated code holds as closure values (codegen.Names.externs): what they were when
        compiling, data or the first object of a dotted name (`_ad_cfg.scale`) (Context.frozen)."""
        self.frozen.update((id(obj), obj) for obj in externs.values())

    def reads(self):
        """(closure cell or None, globals, name, attributes read of it, object, the object its first name
        referred to) for every free name read (a dotted name: its first name, the rest as attributes), once per
        function and name."""
        if self._reads is None or self._reads[0] != len(self.units):
            seen = {}
            for unit in self.units:
                for path, obj in unit.reads.items():
                    seen.setdefault((unit.func, path), (unit.cells.get(path[0]), unit.globals, path[0], path[1:], obj,
                                                        unit.roots.get(path[0], _MISSING) if len(path) > 1 else obj))
            self._reads = (len(self.units), list(seen.values()))
        return self._reads[1]

    def has_rule(self, obj):
        return rules.has_rule(obj)

    def nondiff(self, obj):
        return rules.is_nondiff(obj)

    def read(self, func):
        kw = func.__kwdefaults__
        self.deps.append((func, func.__code__, func.__defaults__, kw, tuple(kw.items()) if kw else ()))
        unit = read_function(func)
        self.units.append(unit)
        return unit

    def is_user_function_with_rule(self, obj):
        """A function of the user's (with source, not a library's) that has a rule."""
        return inspect.isfunction(obj) and not is_library(obj) and rules.has_rule(obj)

    def is_user_function(self, obj):
        return inspect.isfunction(obj) and not is_library(obj) and not rules.has_rule(obj)

    def callee_changes_arguments(self, func, kinds_):
        """The located error of a recursive function (compiled on its own) that changes one of its arguments
        in place, for arguments of these kinds; None if it changes none. Its caller would not see the change
        in the derivative, so a call of it must be refused whether or not its value is used."""
        key = (func, tuple(kinds_))
        if key in _checking:
            return None  # (the recursive call inside the function being checked)
        if sum(1 for f, _ in _checking if f is func) >= callees.MAX_RECURSIVE_KINDS:  # (no end: h14-003)
            return UnsupportedError(callees.GROWING_KINDS.format(name=func.__name__), hint=callees.GROWING_HINT)
        _checking.add(key)
        try:
            with collector_paused():
                Derivation(func, [], "callee", list(kinds_), "check", True).front()
        except UnsupportedError as exc:
            return exc if exc.message.startswith(CHANGES_ARGUMENT) else None
        finally:
            _checking.discard(key)
        return None


    def callee_facts(self, func, kinds_):
        """What a call of the user's function `func` the alias pass does not follow (checkpointed, recursive, with
        a rule) returns for arguments of these kinds, from its own alias pass (alias_callee_facts.ResultFacts), or
        None: not known (a body the compiler refuses or cannot read, a recursive call of the function being
        looked at, an argument of unknown kind). This compilation then depends on what that one was built from."""
        kinds_ = tuple(kinds_)
        if any(k is K.UNKNOWN for k in kinds_):  # (for a number a rebinding, for an array a change in place)
            return None
        key = (func, kinds_)
        found = self._callee_facts.get(key, _MISSING)
        if found is not _MISSING:
            return found
        if any(f is func for f, _ in _facts_of):
            return None  # (a recursive call inside the function being looked at, maybe of kinds growing at every level)
        _facts_of.add(key)
        facts = None
        try:
            with collector_paused():
                d = Derivation(func, [], "callee", list(kinds_), "facts", True)
                fn = d.front()[1]
            facts = getattr(fn, "result_facts", None)
            if facts is not None:
                self.include(d.ctx)
        except Exception:  # noqa: BLE001 (refused, or not readable: the result is opaque, as before)
            facts = None
        finally:
            _facts_of.discard(key)
        self._callee_facts[key] = facts
        return facts


def _ruled(func):
    """`func`, or a call of it where it has a rule of the user's now (registered after `ad.grad(func)` too: the
    rule, not the body, is its derivative; api._ruled, h27b-014)."""
    from .api import _ruled as ruled

    return ruled(func)


_checking = set()  # (function, kinds) being checked by callee_changes_arguments
_facts_of = set()  # (function, kinds) whose result facts are being found by Context.callee_facts
_MISSING = object()
_DATA = (np.ndarray, int, float, complex, np.generic, str, bytes, type(None))
_CONSTANTS = {int, float, bool, str, type(None)}


def _signature(obj):
    """What a compiled derivative depends on of an object a free name refers to: for data (arrays, numbers,
    strings), read live by the generated code, only its kind; for anything else (a function, a module, an
    object whose methods were resolved, a container), the object itself."""
    if isinstance(obj, np.ndarray):
        return np.ndarray, obj.dtype.kind
    if isinstance(obj, str):  # (a string may choose a function or a branch when compiling: ACT = "tanh")
        return str, obj
    if isinstance(obj, _DATA):
        return type(obj)
    if obj.__class__ is tuple and all(v.__class__ in _CONSTANTS for v in obj):
        # (`B.shape` of a global array: a new tuple at every access, the derivative compiled again at every
        # call when compared by identity (h19-004); its values may have been used when compiling)
        return tuple, tuple((v.__class__, v) for v in obj)
    if isinstance(obj, types.MethodType):  # (`D.forward`: a new bound method at every access, h12-009)
        return types.MethodType, id(obj.__func__), id(obj.__self__)
    return id(obj)
CHANGES_ARGUMENT = "this changes the argument"
FORWARD = ("jvp", "tangent", "jvp_callee")  # the modes compiled by forward.py
CALLEES = ("callee", "jvp_callee", "vjp_callee")  # a recursive function compiled on its own (callees.py)


@contextlib.contextmanager
def collector_paused():
    """Run a compilation with Python's cyclic garbage collector paused. The passes allocate many small
    objects that live until the compilation ends; with the collector on, its full collections scan them
    again and again, and compile time grows much faster than the function (3,000 statements: about twice
    as long in all). Nested compilations (callees) leave it to the outermost one to switch it back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# Where reverse mode refuses the generated code of a gradient the function calls, inline that gradient as
# forward sweeps instead (Derivation.run). The rule tests turn it off to check reverse over reverse itself.
GRADIENTS_BY_SWEEPS = True


class Derivation(CalleeFunctions):
    """One compilation: the passes run on `func` for arguments of `kinds`."""

    def __init__(self, func, wrt, mode, kinds_, func_name, multi, receiver=None, has_aux=False, dims=(), jit=False):
        self.given = (func, wrt, mode, kinds_, func_name, multi, receiver, has_aux, dims, jit)
        self.func = func
        self.jit = jit  # compile the derivative with Numba (jit.py)
        self.dims = dims  # the arguments' dimension pattern (dims_pattern), () when not known
        self.has_aux = has_aux  # f returns (value, aux): differentiate the value, return aux as it is
        self.aux = None
        self.wrt = list(wrt)
        self.mode = mode
        self.kinds = list(kinds_)
        self.func_name = func_name
        self.multi = multi
        self.ctx = Context()
        self.ctx.inline_checkpointed = mode in FORWARD  # (forward mode saves nothing: f is inlined)
        self.callee = None
        self.linker = None
        self.readable = False  # no backward closures: code the compiler reads again (callees.py)

    def run(self):
        try:
            return self.run_once()
        except ADError as exc:
            first = exc
            retry = self.retry(exc, None)
            if retry is None:
                raise
        while True:
            learned, sweeps = retry
            self.__init__(*self.given)
            self.ctx.call_kinds, self.ctx.gradients_by_sweeps = learned, sweeps
            try:
                return self.run_once()
            except ADError as exc:
                retry = self.retry(exc, learned)
                if retry is None:
                    raise first from None  # (a refusal after another reports the first)

    def retry(self, exc, learned):
        """How to compile again after the refusal `exc`, as (the kinds learned of the arguments of the gradients
        the function calls, inline them as forward sweeps?), or None: not again."""
        ctx = self.ctx
        if learned is None and getattr(ctx, "unknown_call_args", False) and not ctx.gradients_by_sweeps:
            # a gradient called with arguments of kinds the inliner did not know (`ad.grad(u)(x * 2.0, p)`): compiled
            # for their kinds, learned by the kinds pass (gradient_call_kinds.py)
            learned = gradient_call_kinds.learn(Derivation, self.given)
            if learned:
                return learned, False
        if GRADIENTS_BY_SWEEPS and ctx.inlined_gradients and not ctx.gradients_by_sweeps and \
                str(getattr(exc.where, "filename", "")).startswith("<ad_compiler"):
            # generated code was refused, and the generated reverse-mode code of a gradient this function calls
            # was inlined (an in-place pattern of its tapes and adjoint buffers, or a recursive callee's backward
            # closures): the same gradient computed by forward sweeps instead, whose code follows f's own
            # statements (reverse over forward; exact too)
            return learned or {}, True
        return None

    def run_once(self):
        with collector_paused():
            if self.mode == "jvp_callee":
                return self.jvp_callee_function()
            if self.mode in ("jvp", "tangent"):
                return self.jvp_function()
            parts = self.sweeps()
            if self.mode == "callee":
                return self.callee_function(*parts)
            if self.mode == "vjp_callee":
                return self.vjp_callee_function(*parts)
            return self.top_function(*parts)

    def front(self):
        """Read, desugar, inline and the alias pass: (unit, function, names, kinds of the parameters)."""
        ctx = self.ctx
        unit = ctx.read(self.func)
        alloc = NameAllocator(_all_names(unit.tree) | set(unit.cells) | {"_ad"})
        if "_ad" in _all_names(unit.tree) and unit.lookup("_ad") != (True, runtime):  # generated code may
            raise UnsupportedError("the name `_ad` is reserved for ad_compiler's runtime helpers",
                                   where=unit.location(unit.tree), hint="rename the variable")
        fn, _ = desugar(unit, alloc, separate=self.mode in CALLEES, param_kinds=self.kinds)
        if self.has_aux:
            self.split_aux(fn, alloc)
        param_kinds = self.kinds + [K.UNKNOWN] * (len(fn.params) - len(self.kinds))
        inline(fn, ctx, alloc, param_kinds, top=self.func, callee=self.mode in CALLEES)
        alias.resolve(fn, param_kinds, alloc, ctx, callee=self.mode in CALLEES)
        return unit, fn, alloc, param_kinds

    def prepare(self):
        """The passes every mode shares, up to activity."""
        ctx = self.ctx
        unit, fn, alloc, param_kinds = self.front()
        to_ssa(fn, alloc, generated=unit.filename.startswith("<ad_compiler"))
        fn.param_dims = {p: d for p, d in zip(fn.params, self.dims) if d is not None}
        first = {}
        fn.equal_shapes = {p: first.setdefault(d, p) for p, d in fn.param_dims.items() if first.setdefault(d, p) != p}
        if any(K.without_views(k) for k in param_kinds):
            fn.body = _tests_once(fn.body, alloc)
        kinds_ = alias.infer_kinds(fn, param_kinds, ctx, callee=self.mode in CALLEES)
        keep_dead_raises(fn, kinds_)  # (before hoist.py: the rows batching leaves unread are not the user's)
        kinds_.update(hoist(fn, kinds_, alloc))
        ops = resolve(fn, kinds_, ctx, callee=self.mode in CALLEES)
        shift_invariance.detach(fn, ops, kinds_)
        if self.callee is not None and self.callee.checkpoint:
            _refuse_draws(fn, kinds_, unit)
        out = fn.out
        outputs = [out.name] if isinstance(out, Var) else []
        if self.mode in CALLEES:
            self.wrt = [fn.params[_params(self.func).index(p)] for p in self.wrt]
        act = activity.analyze(fn, ops, self.wrt, outputs, "forward" if self.mode in FORWARD else "reverse")
        act.complex = complexity.Complexity(fn, [kinds_.get(p, K.UNKNOWN) for p in fn.params], kinds_)
        complexity.refuse_real_only(fn, ops, act, act.complex)
        complexity.refuse_complex_into_real(fn, kinds_, act.complex)
        if self.jit:
            complexity.refuse_complex_powers_under_jit(fn, act, act.complex)
        self.linker = callees.Linker(self.compile_callee, codegen.local_names_of_body(fn) | set(unit.cells),
                                     readable=self.readable)
        self.linker.narrow = ctx.narrow
        if self.callee is not None:  # a recursive callee's own name is its cell: a call of the same function for
            # other kinds (another compiled function) gets another name (the one for a tuple calling the one
            # for its array items: they were one name, the tuple's cell, since isinstance is known: refusals)
            self.linker.taken.add(self.callee.name)
            self.linker.cells[self.callee.name] = self.callee.cell
        return unit, fn, ops, kinds_, alloc, act, outputs

    def split_aux(self, fn, alloc):
        """`return value, aux`: the output becomes `value`; `aux` is returned beside the derivative."""
        value, self.aux = alloc.fresh("value"), alloc.fresh("aux")
        pair = alloc.temp()  # (checked to be a pair: h27b-019)
        fn.body.append(Assign((pair,), helper("aux_pair", fn.out)))
        out = Var(pair)
        aux = alloc.temp()
        # (a copy: the adjoint sweep undoes in-place changes, and aux must keep the values it had)
        fn.body += [Assign((value,), ir.Index(out, (Const(0),))), Assign((aux,), ir.Index(out, (Const(1),))),
                    Assign((self.aux,), helper("private_copy", Var(aux)))]
        fn.out = Var(value)

    def sweeps(self):
        unit, fn, ops, kinds_, alloc, act, outputs = self.prepare()
        rev = Reverse(fn, ops, act, kinds_, self.wrt, alloc, describe(unit), self.linker)
        adjoint = rev.sweep(outputs)
        split_products.rewrite(adjoint, kinds_)
        if not self.jit:  # (the Numba subset has no join_slices: its loops write the slices in place anyway)
            join_slices.rewrite(adjoint)
            join_items.rewrite(adjoint, kinds_)
        spread_lazily(adjoint, rev)  # (before the tape's decisions: a spread no longer read is not saved)
        if not self.jit:  # (the Numba subset's tape keeps the values themselves, jit_tape.py)
            shape_sources.reroute(adjoint, fn, rev)  # (likewise: a value read only for its shape, from an operand)
        tape = Tape(rev, fn, alloc)
        # (a recursive call's backward: its caller reads on; a vjp function returns only gradients)
        tape.for_caller = self.mode in ("callee", "jvp_callee")
        tape.decide(adjoint)
        adjoint = batch_sums(tape.resolve(adjoint), rev, alloc)
        forward = tape.forward(fn.body)
        note = self.signature_note()
        swept = "; the gradients it calls by forward sweeps (reverse mode over their code was refused)" \
            if self.ctx.gradients_by_sweeps else ""  # (the source says so: run)
        body = [Comment("forward" + (f"; {note[0].text}" if note else "") + swept)]
        if tape.name:
            body.append(assign(tape.name, helper("new_tape")))
            body += tape.first_values()
        body += forward
        return unit, fn, rev, body, adjoint, alloc, kinds_

    def signature_note(self):
        """For a function with `*args`, `**kwargs`, keyword-only or positional-only parameters: a comment
        saying that the derivative takes them as one flat list (what `ad.grad` returns binds them)."""
        sig = Signature.of(self.func)
        if sig.plain or self.mode in CALLEES:
            return []
        parts = [f"{n} a tuple" for n in [sig.vararg] if n] + [f"{n} a dict" for n in [sig.kwarg] if n]
        return [Comment(f"the arguments of {sig.describe(self.func.__name__)}, in order" +
                        (f" ({', '.join(parts)})" if parts else ""))]

    def compile_callee(self, callee):
        mode = "jvp_callee" if callee.tangent else "vjp_callee" if callee.vjp else "callee"
        d = Derivation(callee.func, callee.active, mode, callee.kinds, callee.name, True)
        d.callee = callee
        d.readable = callee.vjp
        callee.cell.cell_contents = d.run()
        callee.ctx = d.ctx
        self.ctx.deps.extend(d.ctx.deps)
        self.ctx.bindings.extend(d.ctx.bindings)
        self.ctx.units.extend(d.ctx.units)

    def jvp_function(self):
        """f_jvp(args, tangent) -> (value, tangent of the value): forward mode (mode 'tangent': only the
        tangent, so that what only the value needs is not computed)."""
        unit, fn, ops, kinds_, alloc, act, outputs = self.prepare()
        fwd = Forward(fn, ops, act, kinds_, self.wrt, alloc, describe(unit, "tangent of: "), self.linker)
        params = list(fn.params)
        header = []
        if self.multi:
            packed = alloc.fresh("tangents")
            params.append(packed)
            for i, w in enumerate(self.wrt):
                header.append(assign(fwd.d(w), helper("as_tangent", ir.Index(Var(packed), (Const(i),)), Var(w))))
        else:
            w = self.wrt[0]
            params.append(fwd.d(w))
            header.append(assign(fwd.d(w), helper("as_tangent", Var(fwd.d(w)), Var(w))))
        body = self.signature_note() + header + fwd.run()
        out = fn.out
        if isinstance(out, Var) and act.active(out.name):
            dout = Var(fwd.d(out.name))
        else:
            dout = helper("zeros_like", out)
        # the tangent of a gradient (`as_grad(b, x)`) is `as_grad(db, x)`: already in x's form, and the
        # gradient itself need not be computed for its shape (H v computes only what H v needs)
        tangent = dout if isinstance(dout, Var) and _made_by(fn.body, out.name, ("as_grad", "as_grads",
                                                                                            "as_grad_made", "as_grads_made")) else \
            helper("tangent_out", dout, out)
        value = Build("tuple", (out, Var(self.aux))) if self.has_aux else out  # ((value, aux): the sweeps of
        body.append(Return(tangent if self.mode == "tangent" else Build("tuple", (value, tangent))))  # has_aux)
        fdef = FunctionDef(self.func_name, tuple(params), body)
        cleanup.cleanup(fdef)
        numbers = isinstance(out, Var) and isinstance(kinds_.get(out.name), K.Scalar)
        if self.jit:
            from . import jit

            return _numbers_out(jit.finish(self, unit, fdef, kinds_, alloc), numbers)
        loop_copies.coalesce(fdef)
        fuse_temporaries(fdef, alloc.temps)
        compiled = self.finish(unit, fdef)
        compiled.source = "\n\n".join([compiled.source] + callees.all_sources(self.linker.deps))
        return _numbers_out(compiled, numbers)

    def top_function(self, unit, fn, rev, body, adjoint, alloc, kinds_):
        out = fn.out
        params = list(fn.params)
        seed = rev.adj(out.name) if isinstance(out, Var) else alloc.fresh("bout")
        if self.mode == "vjp":
            params.append(seed)
            body.append(assign(seed, helper("vjp_seed", Var(seed), out)))
        elif isinstance(kinds_.get(out.name if isinstance(out, Var) else None), K.Scalar) and \
                out.name not in rev.act.complex:
            body.append(assign(seed, Const(1.0)))  # a real number: no need to check the output
        else:
            check = assign(seed, helper("grad_seed", out))
            # (its error is located at the user's statement making the output: tracebacks.surface)
            check.origin = next((s.origin for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and
                                 isinstance(out, Var) and out.name in s.targets and s.origin is not None), None)
            body.append(check)
        body += adjoint
        grads = [Var(rev.adj(w)) if w in rev.live else helper("zeros_like", Var(w)) for w in self.wrt]
        if len(grads) == 1 and not self.multi:
            result = helper("as_grad", grads[0], Var(self.wrt[0]))
        else:
            result = helper("as_grads", Build("tuple", tuple(grads)), Build("tuple", tuple(Var(w) for w in self.wrt)))
        if self.mode == "value_and_grad":
            result = Build("tuple", (Build("tuple", (out, Var(self.aux))) if self.has_aux else out, result))
        elif self.has_aux:
            result = Build("tuple", (result, Var(self.aux)))
        body.append(Return(result))
        fdef = FunctionDef(self.func_name, tuple(params), body, self.defaults(params))
        cleanup.cleanup(fdef)
        numbers = all(isinstance(kinds_.get(w), K.Scalar) for w in self.wrt)  # (the gradients are numbers)
        if self.jit:
            from . import jit

            return _numbers_out(jit.finish(self, unit, fdef, kinds_, alloc), numbers)
        fold_unit_seed(fdef, kinds_)
        prove_forms(fdef, kinds_, rev.dims)
        fuse_temporaries(fdef, alloc.temps)
        compiled = self.finish(unit, fdef)
        compiled.source = "\n\n".join([compiled.source] + callees.all_sources(self.linker.deps))
        return _numbers_out(compiled, numbers)

    def defaults(self, params):
        """The function's defaults, written in the derivative's signature (so that its source is complete):
        constants as they are, other objects through closure variables (codegen)."""
        values = self.func.__defaults__ or ()
        if self.mode == "vjp" or not values or len(values) > len(params) or not Signature.of(self.func).plain:
            return ()
        tail = params[len(params) - len(values):]
        return tuple(Const(v) if is_simple(v) else ir.Global((f"{p}_default",), v) for p, v in zip(tail, values))

    def finish(self, unit, fdef, extra_cells=None):
        """Print, compile and link the generated function."""
        _refuse_closure_values(fdef)
        cells = dict(unit.cells)
        cells.update(self.linker.cells)
        cells.update(extra_cells or {})
        # (the user's closure cells are not locals: a closure variable is spelled by its name and read live)
        names = codegen.Names(self.func.__globals__, codegen.local_names(fdef) | (set(cells) - set(unit.cells)),
                              unit.cells)
        origins = []
        source = codegen.to_source([fdef], names, origins)
        self.ctx.freeze(names.externs)
        for name, obj in names.externs.items():
            cells[name] = types.CellType(obj)
        cells.update(names.live_cells)  # (another function's closure variables: their very cells)
        filename = f"<ad_compiler: {self.func_name} of {unit.filename}:{unit.first_line}>"
        compiled = codegen.compile_source(source, self.func_name, filename, self.func.__globals__, cells)
        if fdef.defaults:  # as its source says
            compiled.__defaults__ = tuple(d.value if isinstance(d, Const) else d.obj for d in fdef.defaults)
        compiled.source = source
        compiled._ad_origins = origins  # line i + 1 of the source comes from origins[i] (tracebacks.py)
        compiled._ad_random = _random_sources(self.ctx)
        return compiled


def _refuse_closure_values(fdef):
    """A nested function (or lambda) that generated code would have to hold as a value: the compiler
    inlines nested functions where they are called and makes real functions of those reading no enclosing
    variable (inline_values.py); any other use is refused, at the statement using it."""
    for s in ir.walk(fdef.body, into_functions=True):
        for e in _expressions(s):
            found = [x for x in _subexpressions(e) if isinstance(x, ir.Closure)]
            if found and s.origin is not None:
                closure = found[0]
                name = closure.fdef.name if closure.fdef.name != "lambda" else "<lambda>"
                from .inline_lift import captured_names

                captured = sorted(captured_names(closure.fdef, closure.scope))
                why = f" and it reads `{captured[0]}` of the enclosing function" if captured else ""
                raise UnsupportedError(f"the nested function `{name}` is used here as a value, not called{why}",
                                       where=s.origin.unit.location(s.origin.node),
                                       hint="define it at module level (passing what it needs as arguments), or "
                                            "call it yourself in the function")


def _expressions(s):
    for field in ("value", "test", "iter", "target", "msg"):
        e = getattr(s, field, None)
        if e is not None and not isinstance(e, (str, list)):
            yield e
    for field in ("items", "args"):
        for e in getattr(s, field, ()) or ():
            yield e


def _subexpressions(e):
    todo = [e]
    while todo:
        x = todo.pop()
        yield x
        todo.extend(ir.children(x))


def _tests_once(body, alloc):
    """With Dask arguments: the test of each `if` becomes `t = _ad.truth(test)` before it. A Dask value's truth
    is computed when asked for (that value only); the adjoint sweep asks again at its own `if`, which would
    compute it again (docs/scale.md)."""
    out = []
    for s in body:
        if isinstance(s, ir.If):
            s.body, s.orelse = _tests_once(s.body, alloc), _tests_once(s.orelse, alloc)
            if isinstance(s.test, Var):
                name = alloc.temp()
                test = assign(name, helper("truth", s.test))
                test.origin, test.nograd = s.origin, s.nograd
                out.append(test)
                s.test = Var(name)
        elif isinstance(s, (ir.For, ir.While)):
            s.body = _tests_once(s.body, alloc)
        out.append(s)
    return out


_GENERATORS = (np.random.Generator, np.random.RandomState)


def _random_sources(ctx):
    """The random generators the compiled code draws from, as far as its free names tell (a Generator or
    RandomState, or a bound method of one, such as np.random.normal): a Jacobian's sweeps restore their
    states so that every sweep sees the same draws."""
    out = []
    for unit in ctx.units:
        for obj in unit.reads.values():
            source = obj if isinstance(obj, _GENERATORS) else getattr(obj, "__self__", None)
            if isinstance(source, _GENERATORS) and all(source is not o for o in out):
                out.append(source)
    return tuple(out)


def _refuse_draws(fn, kinds_, unit):
    """A function wrapped in ad.checkpoint runs again in the adjoint sweep: a random draw in it would draw
    other numbers (recompute.py)."""
    draw = recompute.draw_in(fn.body, kinds_)
    if draw is not None:
        where = draw.origin.unit.location(draw.origin.node) if draw.origin is not None else unit.location(unit.tree)
        raise UnsupportedError("a random draw inside a function wrapped in ad.checkpoint cannot be differentiated: "
                               "running it again would draw other numbers than the forward sweep did", where=where,
                               hint="draw the numbers outside the function and pass them in, or do not checkpoint it")


def _made_by(body, name, helpers):
    """Is `name` assigned (at the top level of `body`) the value of one of these runtime helpers?"""
    for s in body:
        if isinstance(s, Assign) and s.targets == (name,):
            v = s.value
            return isinstance(v, ir.Call) and isinstance(v.func, ir.Global) and v.func.path[:1] == ("_ad",) and \
                v.func.path[-1] in helpers
    return False


_names_of = {}  # id(tree) -> (tree, names)


def _all_names(tree):
    """Every name a syntax tree uses (generated names must not collide with them)."""
    import ast

    cached = _names_of.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
    _names_of[id(tree)] = (tree, names)
    return names


# -- dispatch -------------------------------------------------------------------------------------------
def readable_form(compiled):
    """The generated function `compiled` as code the compiler can read again: itself, or where it holds
    backward closures of recursive callees, the same derivative without them (callees.py)."""
    again = getattr(compiled, "_ad_readable", None)
    return compiled if again is None else again()


class Derivative:
    """The compiled derivatives of one (function, wrt, mode), one per combination of argument kinds."""

    def __init__(self, func, wrt_names, mode, multi, func_name, receiver=None, has_aux=False, jit=False):
        self.func = func
        self.jit = jit
        self.has_aux = has_aux
        self.wrt = wrt_names
        self.mode = mode
        self.multi = multi
        self.func_name = func_name
        self.receiver = receiver
        self.specializations = {}  # kinds -> compiled function
        self.readables = {}  # kinds -> compiled function without backward closures (callees.py)
        self.swept = {}  # kinds -> (the gradient by forward sweeps, its context): compile_by_sweeps
        self.quick = {}  # classes, shapes and dtypes of arguments that are numbers or arrays -> (compiled, deps)
        self.rebased_at = {}  # the same keys -> when their quick test was last made again (still_valid)
        self.deps = {}  # kinds -> [(function, code)]
        self.params = _params(func)  # (the dispatcher binds calls to these names, `wrt` names some of them)
        self.refreshed = 0  # how many times a derivative was compiled again, stale (composite.Composite reads it)
        self.unchecked = mode in ("vjp", "jvp", "tangent")  # (returned: results checked by the dispatcher's guard path)
        self.last = None
        self.dispatcher = None
        self.generic_source = None

    def specialize(self, args):
        quick = _quick_key(args)  # numbers and arrays: the kinds follow from classes, dtypes and ranks
        hit = self.quick.get(quick) if quick is not None else None
        if hit is not None and (hit[2]() or self.still_valid(hit, quick)):  # (hit[2]: unchanged.py, a quick stale() test)
            if self.dispatcher is not None:  # (a call like this one next: one generated function, unchanged.py)
                if hit[3] is None:
                    hit[3] = self.guard(args, quick, hit)
                self.dispatcher._ad_guard = hit[3]  # (only while hit[0] is `last`: every other path resets it)
                _install(self.dispatcher, getattr(hit[3], "method", None))
                _guarded.add(self.dispatcher)  # (until a rule is registered: _forget_guards)
                if hit[1] is not None and hit[1].rules != rules.generation():  # (one was, by another thread,
                    _forget_guards()  # since stale() was tested: the guard, which does not test it, goes: h13-002)
            self.last = hit[0]
            if self.unchecked:
                self.returned(hit[0])
            return hit[0]
        if self.dispatcher is not None:
            self.dispatcher._ad_guard = _no_guard
            _install(self.dispatcher, None)
        kinds_ = tuple(K.kind_of(a) for a in args) + (dims_pattern(args),)
        compiled = self.specializations.get(kinds_)
        if compiled is None or self.stale(kinds_):
            self.check_arguments(args, kinds_[:-1])
            compiled = self.compile(kinds_)
        if quick is not None:
            if len(self.quick) >= _QUICK_LIMIT:  # (shapes that keep changing: the kinds' cache still holds)
                self.quick.clear()
                self.rebased_at.clear()
            ctx = self.deps[kinds_]
            self.quick[quick] = [compiled, ctx, unchanged_test(ctx) if ctx is not None else _true, None]
        self.last = compiled
        if self.unchecked:
            self.returned(compiled)
        return compiled

    def still_valid(self, hit, quick):
        """The quick identity test of a call like this one failed: is its derivative still valid (not stale)?
        When it is (data rebound to an object of the same kind: `lr = 0.01` for a global, a closure variable),
        the context records the objects now read and the hit's test and guard are made again, so that the
        next calls take the quick path again (they took the slow one forever: 9 -> 19 µs a call); at most once
        per REBASE_INTERVAL seconds (a value changing at every call must not remake them at every call)."""
        if hit[1].stale():
            return False
        now = time.perf_counter()
        if now - self.rebased_at.get(quick, 0.0) > REBASE_INTERVAL:
            hit[1].rebase()
            hit[2], hit[3] = unchanged_test(hit[1]), None
            self.rebased_at[quick] = now
        return True

    def returned(self, compiled):
        """A vjp's, jvp's or hvp's dispatcher checks every result (fresh_results.py) once a derivative that may
        give an array, a list or a dict was returned (a guard then may call it: make_dispatcher)."""
        if getattr(compiled, "_ad_numbers_out", False) is not True and self.dispatcher is not None:
            self.unchecked = False
            self.dispatcher._ad_check_all()

    def guard(self, args, quick, hit):
        """The dispatcher's path for calls like `args` (unchanged.guard): the compiled derivative `hit[0]`
        called, or with jit=True Numba's compiled function itself when the wrapper would change nothing."""
        params, slow = tuple(f"a{i}" for i in range(len(args))), None
        names = getattr(self.dispatcher, "_ad_plain_names", None)
        if names is not None and len(names) == len(args) and not any(n.startswith("_") or n.startswith("v") and
                                                                      n[1:].isdigit() for n in names):
            params, slow = tuple(names), self.dispatcher._ad_plain_call  # (the guard's own names: none shadowed)
        if self.jit:
            from .jit import direct
            fast = direct(hit[0], args, hit[0].__code__.co_varnames[:hit[0].__code__.co_argcount], params)
            if fast is not None:
                terms, run = fast
                return guard(params, quick, hit[1], run, terms, slow)
        return guard(params, quick, hit[1], lambda values: [f"return {values(hit[0])}({', '.join(params)})"],
                     slow=slow)

    def compile(self, kinds_, readable=False):
        """The derivative for arguments of these kinds (the last item: their dimension pattern). readable:
        the form without backward closures, for code that reads it again (callees.py)."""
        params = _params(self.func)
        if len(params) != len(self.params) or any(w not in params or params.index(w) != self.params.index(w)
                                                   for w in self.wrt if w in self.params):
            # (`f.__code__ = other.__code__`: the calls are bound, and `wrt=0` was resolved, by the old names)
            raise ADError(f"the parameters of {self.func.__qualname__} changed since its derivative was made "
                          f"(({', '.join(self.params)}), now ({', '.join(params)})): its code was replaced",
                          hint="make the derivative again (ad.grad(...) or the like) for the function as it is now")
        n = len(params)
        d = Derivation(_ruled(self.func), self.wrt, self.mode, kinds_[:-1][:n], self.func_name, self.multi,
                       has_aux=self.has_aux, dims=kinds_[-1][:n], jit=self.jit)
        d.readable = readable
        compiled = d.run()
        if readable:
            return compiled
        self.readables.pop(kinds_, None)  # (compiled again: stale)
        if d.linker is not None and d.linker.deps and self.mode in ("grad", "value_and_grad", "vjp") and not self.jit:
            compiled._ad_readable = functools.partial(self.readable, kinds_)  # (it holds backward closures)
        self.refreshed += kinds_ in self.specializations
        self.specializations[kinds_] = compiled
        self.deps[kinds_] = d.ctx
        return compiled

    def readable(self, kinds_):
        """The derivative for these kinds without backward closures (compiled once, when first read)."""
        compiled = self.readables.get(kinds_)
        if compiled is None:
            compiled = self.readables[kinds_] = self.compile(kinds_, readable=True)
        return compiled

    def compile_generic(self):
        """The derivative for arguments of any kind (what `.source` shows before the first call)."""
        return self.compile(tuple(K.UNKNOWN for _ in _params(self.func)) + ((),))

    def compile_by_sweeps(self, kinds_):
        """The gradient for arguments of these kinds computed by forward mode, one sweep per entry of the
        `wrt` arguments (composite.sweeps), with the context it was built from; None where that form does not
        apply (not a gradient; a `wrt` argument not an array or a number)."""
        from . import composite

        params = _params(self.func)
        positions = [params.index(w) for w in self.wrt]
        n = len(params)
        plain = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in inspect.signature(self.func).parameters.values())
        if self.mode not in ("grad", "value_and_grad") or self.jit or self.receiver is not None \
                or not plain or not composite.sweepable(kinds_, positions):
            return None  # (sweeps call f's tangent with the arguments in order)
        hit = self.swept.get(kinds_)
        if hit is not None and not hit[1].stale():
            return hit
        d = Derivation(_ruled(self.func), self.wrt, "jvp", kinds_[:-1][:n], f"jvp_{self.func_name}", True,
                       has_aux=self.has_aux, dims=kinds_[-1][:n])
        jvp = d.run()
        compiled = composite.sweeps(jvp, params, positions, kinds_, self.mode, self.multi, self.func_name,
                                    has_aux=self.has_aux)
        self.swept[kinds_] = compiled, d.ctx
        return compiled, d.ctx

    def stale_any(self):
        return any(self.stale(k) for k in self.specializations)

    def generation(self):
        """Changes whenever a derivative of this function was compiled again because it was stale (by any
        caller: what a Composite built on it must notice, its own staleness test then being False)."""
        return self.refreshed

    def stale(self, kinds_):
        ctx = self.deps.get(kinds_)
        return ctx is not None and ctx.stale()

    def check_arguments(self, args, kinds_):
        params = _params(self.func)
        for name in self.wrt:
            i = params.index(name)
            if i >= len(args):
                continue
            _check_wrt_value(args[i], name)
        for a in args:
            _refuse_masked(a)
            if isinstance(a, complex) or ((isinstance(a, np.ndarray) or K.backend_of(a.__class__) is not None)
                                          and a.dtype.kind == "c"):
                raise ADError("complex inputs are not supported yet (the derivative conventions of complex "
                              "functions differ between libraries)",
                              hint="split the value into real and imaginary parts (two real arrays)")


_PLAIN = {float, int, np.float64, np.float32}


def _refuse_masked(value, depth=0):
    """A masked array (np.ma), as an argument or in one: its operations skip the masked entries, which the
    derivative's rules, written for ndarrays, do not (h19-005: the gradient of np.sum(x * x) was 2x at a
    masked entry, where f does not depend on it)."""
    if isinstance(value, np.ma.MaskedArray):
        raise ADError("a masked array (numpy.ma) cannot be differentiated: its operations skip the masked "
                      "entries, and the derivative's rules do not",
                      hint="pass the data and the mask as two arrays (x.data, np.ma.getmaskarray(x)) and use "
                           "np.where(mask, 0.0, ...) in the function")
    if depth < 8 and (value.__class__ in (list, dict) or isinstance(value, tuple)):
        for v in (value.values() if isinstance(value, dict) else value):
            _refuse_masked(v, depth + 1)


def _no_guard(*args):
    return MISS


def _install(dispatcher, method):
    """The dispatcher's `__call__`: a guard's `.method` (unchanged.guard) or its own (with the user's plain
    signature only: `_ad_plain_call`)."""
    plain = getattr(dispatcher, "_ad_plain_call", None)
    if plain is not None:
        cls = type(dispatcher)
        if cls.__dict__["__call__"] is not (method or plain):
            cls.__call__ = method or plain


_guarded = weakref.WeakSet()  # the dispatchers whose guard may be installed


def _forget_guards():
    """A rule was registered (rules._changed): every guard goes, since a guard does not test the rules'
    generation (the one thing that changes only here: tested where it changes, not at each call); the next
    call of each dispatcher takes the slow path, whose stale() sees the new generation."""
    for dispatcher in list(_guarded):
        dispatcher._ad_guard = _no_guard
        _install(dispatcher, None)
    _guarded.clear()


rules._on_change.append(_forget_guards)


def _true():
    return True  # (no context recorded: never stale)

_QUICK_LIMIT = 256
REBASE_INTERVAL = 0.05  # seconds between two remakings of a quick test whose data was rebound (still_valid)
_ndarray = np.ndarray


def _quick_key(args):
    """A key for arguments that are all numbers or arrays (cheap to build and hash), else None: the classes of
    the numbers, the shapes and dtypes of the arrays. It determines their kinds and dimension pattern (a finer
    key than those: Derivative.quick is emptied when it grows large)."""
    key = []
    for a in args:
        c = a.__class__
        if c is _ndarray:
            key.append(a.shape)
            key.append(a.dtype)
        elif c in _PLAIN:
            key.append(c)
        else:
            return None
    return tuple(key)


def dims_pattern(args):
    """The dimension pattern of the arguments: for each array, its shape as classes of equal sizes (-1 for
    size 1; the same number for dimensions of the same size, numbered in order of appearance), None for
    what is not an array. A derivative compiled for a pattern knows which shapes match (dims.py): it sums
    only where broadcasting happened. Other sizes with the same pattern reuse it."""
    classes = {1: -1}
    return tuple(tuple(classes.setdefault(n, len(classes)) for n in a.shape) if a.__class__ is np.ndarray else None
                 for a in args)


def _check_wrt_value(value, name):
    if isinstance(value, (complex, np.complexfloating)) or (isinstance(value, np.ndarray) and value.dtype.kind == "c"):
        raise ADError(f"the argument `{name}` is complex: complex inputs are not supported yet",
                      hint="split the value into real and imaginary parts (two real arrays)")
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_wrt_value(v, name)
        return
    if isinstance(value, dict):
        for v in value.values():
            _check_wrt_value(v, name)
        return
    if isinstance(value, (float, int, np.ndarray, np.generic)):
        return
    if K.backend_of(value.__class__) is not None:  # a Dask or CuPy array (docs/scale.md)
        if value.dtype.kind == "c":
            raise ADError(f"the argument `{name}` is complex: complex inputs are not supported yet",
                          hint="split the value into real and imaginary parts (two real arrays)")
        return
    if hasattr(value, "__array__") or hasattr(value, "__array_function__"):
        raise ADError(f"the argument `{name}` is a {type(value).__name__}, an array-like object ad_compiler "
                      "cannot differentiate with respect to", hint="pass np.asarray(value) instead")


def _params(f):
    if not inspect.isfunction(f):
        return []
    return list(inspect.signature(f).parameters)


_counter = itertools.count()


# (above the derivative for arguments of any kind, shown before the first call: the code that runs is compiled
# for the kinds of a call's arguments)
GENERIC_HEADER = ("# for arguments of any kind; a call runs the code compiled for its arguments' kinds, which .source\n"
                  "# shows after it (or ad.show(g, args=...) without running it)\n")


class DerivativeFunction:
    """What `ad.grad` returns: called like the function (with its signature), it runs the derivative compiled
    for the kinds of the arguments it receives. `.source` is the source of the one that ran last; before any
    call, the derivative for arguments of any kind (compiled when first asked for)."""

    def __init__(self, derivative, primal, wrt, doc):
        self._ad_derivative = derivative
        self.primal = primal
        self.wrt = wrt
        self.__name__ = self.__qualname__ = derivative.func_name
        self.__module__ = getattr(primal, "__module__", None)
        self.__doc__ = doc

    @property
    @tracebacks.boundary
    def source(self):
        d = self._ad_derivative
        if d.last is not None:
            return d.last.source
        if d.generic_source is None:
            try:
                d.generic_source = GENERIC_HEADER + d.compile_generic().source
            except ADError as exc:
                if not exc.deferred:
                    raise
                d.generic_source = ("# compiled at the first call, for the kinds of the arguments it receives\n"
                                    f"# (for arguments of any kind: {exc.message})\n")
        return d.generic_source

    def __repr__(self):
        return f"<derivative {self.__name__} of {getattr(self.primal, '__qualname__', self.primal)!s}>"

    def _repr_html_(self):
        """In a notebook: the source, highlighted, with links to the user's lines (display.py)."""
        from .display import html_of

        return html_of(self)


def _binder(presented, extra):
    """Binds `(*args, **kwargs)` of a call of a vjp or jvp of a function with defaults or a signature other than
    plain positional parameters: the seed or tangent (`extra`) by name, or else the last positional argument;
    the rest as the function's own arguments, into the flat tuple of its parameters (signature.py)."""
    def bind(args, kwargs):
        kwargs = dict(kwargs)
        if extra in kwargs:
            last = kwargs.pop(extra)
        elif args:
            args, last = args[:-1], args[-1]
        else:
            raise TypeError(f"missing the argument `{extra}`")
        return presented.bind_flat(args, kwargs) + (last,)
    return bind


def _numbers_out(compiled, numbers):
    """Mark a compiled vjp / jvp whose result is made of numbers only (its kinds say so): the dispatcher then
    needs no check that the result shares no memory with the arguments (_fresh_sources)."""
    compiled._ad_numbers_out = numbers
    return compiled


def _fresh_sources(head, call_args, packed):
    """The dispatcher of a derivative taking a seed or a tangent (a vjp, jvp or hvp), whose result must never
    share memory with the arguments (fresh_results.py: a jvp's tangent may be the caller's tangent itself):
    its `__call__` checking only where the guard misses (calls of other kinds, which compile or look up their
    derivative anyway), as long as every derivative its specialize returned gives numbers only; and its
    `__call__` checking every result, installed (`_ad_check_all`: Derivative.returned) once one may give an
    array, a list or a dict."""
    def body(always):
        return (head +
                f"    try:\n"
                f"        _ad_out = _ad_self._ad_guard({call_args})\n"
                f"        if _ad_out is _ad_miss:\n"
                f"            _ad_out = _ad_self._ad_specialize({packed})({call_args})\n" +
                ("" if always else f"            return _ad_fresh(_ad_out, {packed})\n") +
                f"        return {'_ad_fresh(_ad_out, ' + packed + ')' if always else '_ad_out'}\n")
    return body(False), body(True)


def make_dispatcher(derivative, signature_params, defaults, receiver=None, primal=None, wrt=None, doc=None,
                    extra=None, presented=None):
    """A DerivativeFunction whose `__call__` has the user's signature and dispatches on the kinds of the
    arguments. `signature_params`: the flat parameter names the compiled derivatives take (signature.py);
    `presented`: the signature users call it with (default: those names, the last ones with `defaults`).
    `extra`: the name of a last parameter after the user's (a vjp's seed, a jvp's tangent); when the user's
    function has defaults or a signature other than plain parameters, it is the last argument given (or
    passed by name)."""
    names = list(signature_params)
    if presented is None:
        presented = Signature.positional(names[:-1] if extra is not None else names, defaults)
    presented = presented.live()  # (defaults read at each call: signature.py)
    every = (["_ad_self._ad_receiver"] if receiver is not None else []) + names
    call_args = ", ".join(every)
    globals_ = {}
    if extra is not None and (presented.has_defaults or not presented.plain):
        args = "_ad_self, *_ad_args, **_ad_kwargs"
        bind = f"    {', '.join(names)}, = _ad_bind(_ad_args, _ad_kwargs)\n"
        globals_ = {"_ad_bind": _binder(presented, extra)}
    elif extra is not None:
        args, bind = ", ".join(["_ad_self"] + names), ""
    else:
        args, bind = presented.parameters_text(prefix=["_ad_self"]), presented.default_lines()
        globals_ = {"_ad_default": Default}
    packed = "(" + call_args + ("," if len(every) == 1 else "") + ")"
    tail = (f"    except Exception as _ad_exc:\n"
            f"        _ad_surface(_ad_exc)  # what the user sees of it (tracebacks.py)\n"
            f"        raise{'' if tracebacks.BARE_RAISE_KEEPS_TRACEBACK else ' _ad_exc'}\n")
    head = f"def __call__({args}):\n" + bind
    if extra is None:
        source = (head +
                  f"    try:\n"
                  f"        _ad_out = _ad_self._ad_guard({call_args})\n"
                  f"        if _ad_out is _ad_miss:\n"
                  f"            _ad_out = _ad_self._ad_specialize({packed})({call_args})\n"
                  f"        return _ad_out\n" + tail)
    else:  # (a vjp's, jvp's or hvp's result never shares memory with the arguments: fresh_results.py)
        source, checking = (text + tail for text in _fresh_sources(head, call_args, packed))
        globals_ = {**globals_, "_ad_fresh": fresh_results.fresh}
    namespace = {}
    filename = f"<ad_compiler dispatcher {next(_counter)}>"
    exec(compile(source, filename, "exec"), {"_ad_surface": tracebacks.surface, "_ad_miss": MISS, **globals_}, namespace)
    call = namespace["__call__"]
    if extra is not None:
        exec(compile(checking.replace("def __call__(", "def _ad_checking("), filename, "exec"),
             {"_ad_surface": tracebacks.surface, "_ad_miss": MISS, **globals_}, namespace)
    if extra is None:
        presented.apply_defaults(call)
    cls = type(derivative.func_name, (DerivativeFunction,), {"__call__": call})
    if extra is not None:
        checking = namespace["_ad_checking"]
        checking.__name__ = checking.__qualname__ = "__call__"

        def check_all(self):
            cls.__call__ = checking
        cls._ad_check_all = check_all
    fn = cls(derivative, primal, wrt, doc)
    fn._ad_specialize = derivative.specialize
    fn._ad_guard = _no_guard  # (after a second call like the last one: unchanged.guard)
    fn._ad_receiver = receiver
    fn._ad_flat = names  # the flat parameters (with `extra` last)
    fn._ad_presented = presented  # the signature it is called with (without `extra`)
    fn._ad_plain_call = fn._ad_plain_names = None
    if receiver is None and extra is None and not presented.has_defaults and \
            args == ", ".join(["_ad_self"] + names):  # (positional-or-keyword parameters, no defaults)
        fn._ad_plain_call, fn._ad_plain_names = call, tuple(names)  # (a guard's `.method` may replace it)
    return fn
