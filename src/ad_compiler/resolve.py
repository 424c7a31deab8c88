"""Pass 6, resolve: what each statement of the SSA form *is*, for differentiation.

Each assignment (and store) gets an `Op`: a rule application with the rule's parameters bound to the
statement's operands, a copy, a container built from its items, an item read, an attribute of an object,
a store, a list method, a call of a (recursive) user function, a value with no derivative (comparisons,
shapes, integer and piecewise-constant functions, `stop_gradient`, anything inside `no_grad`), or an
unknown call (an error only if it lies on a path from a `wrt` argument to the output: activity.py).
`Op.inputs` names the operands a derivative flows from.
"""
import inspect
from dataclasses import dataclass, field

import numpy as np

from . import fuse_cholesky, fuse_logistic, ir, kinds as K, markers, rule_arguments, rule_defaults, rule_reads, rules
from .inline_objects import attribute_hooks
from .errors import UnsupportedError
from .ir import Assign, Build, Call, Const, Global, Index, Mutate, SetItem, Var

# attributes of arrays with no derivative rule (anything else read from a local is an object's attribute)
ARRAY_ONLY_ATTRIBUTES = {"imag", "flat", "base", "ctypes", "data"}
BINOP_FUNCTIONS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power, "@": np.matmul,
                   "%": np.mod}
NONDIFF_BINOPS = {"//", "&", "|", "^", "<<", ">>"}


@dataclass
class Op:
    kind: str  # rule | copy | build | getitem | getattr | setitem | mutate | const | unknown | callee
    inputs: frozenset = frozenset()  # names a derivative flows from
    rule: object = None
    bound: dict = None  # rule parameter -> atom (or Build of atoms for *args / list literals)
    what: str = ""  # for unknown: what it is, for the error message
    callee: object = None  # for callee: the user function
    needs_object: str = None
    attr: str = None  # getattr: the attribute
    extra: dict = field(default_factory=dict)
    deferred: bool = False  # unknown only because the kinds of the arguments are not known yet


def _method_rule(k, name, owner):
    """(the rule, [the receiver] or []) of the method `name` of `owner`, an object of kind `k` whose class gives
    it a rule (`@ad.defvjp(Q.quant)`; a staticmethod's rule takes no receiver), else None."""
    if not isinstance(k, K.Obj):
        return None
    found = inspect.getattr_static(k.cls, name, None)
    if isinstance(found, staticmethod):
        kind, rule = rules.lookup_function(found.__func__)
        return (rule, []) if kind == "rule" else None
    if inspect.isfunction(found):
        kind, rule = rules.lookup_function(found)
        return (rule, [owner]) if kind == "rule" else None
    return None


def _function_rule(func):
    """(rules.lookup_function's kind and rule, [the arguments passed first]) of the Global `func`; for a bound
    method of an object whose function has a rule (and none of its own), that rule and the object."""
    kind, rule = rules.lookup_function(func.obj)
    obj = func.obj
    if kind is None and inspect.ismethod(obj) and len(func.path) > 1:
        if rules.lookup_function(obj.__func__)[0] == "rule":
            return "rule", rules.lookup_function(obj.__func__)[1], [Global(func.path[:-1], obj.__self__, func.root,
                                                                          func.home)]
    return kind, rule, []


def atom_names(e):
    return ir.names_in(e)


class Resolver:
    def __init__(self, fn, kinds, ctx):
        self._defs = None  # SSA name -> the value assigned to it (for frozen distributions), when first needed
        self.fn = fn
        self.kinds = kinds
        self.ctx = ctx
        self.ops = {}
        self.assumed = set()  # names taken for numbers or arrays in `+` / `*` (from_unknown_parameters)
        self.fused = fuse_cholesky.find(fn, kinds, rules.lookup_function)  # uses of Cholesky factors
        self.fused.update(fuse_logistic.find(fn))  # the logistic function written out

    def kind(self, atom):
        if isinstance(atom, Var):
            return self.kinds.get(atom.name, K.UNKNOWN)
        if isinstance(atom, Const):
            v = atom.value
            return K.FLOAT if isinstance(v, float) else K.INT if isinstance(v, int) else K.Other(type(v))
        return K.UNKNOWN

    def run(self):
        for s in ir.walk(self.fn.body):
            if isinstance(s, Assign):
                self.ops[id(s)] = Op("const") if s.nograd and not self.same_container(s) else self.assign(s)
            elif isinstance(s, SetItem):
                if s.nograd and not s.noop:  # inside no_grad: a constant change; the array keeps its derivative
                    self.ops[id(s)] = Op("setitem", frozenset(atom_names(s.target)), extra={"nograd": True})
                else:
                    self.ops[id(s)] = Op("setitem", frozenset(atom_names(s.value) | atom_names(s.target)))
            elif isinstance(s, Mutate) and s.nograd and s.method in ("append", "extend", "pop"):
                # inside no_grad: the items added (or the item popped) carry no derivative, the list keeps its own
                # (h17-018; activity.analyze leaves the popped item constant)
                self.ops[id(s)] = Op("mutate", frozenset(atom_names(s.target)), extra={"nograd": True})
            elif isinstance(s, Mutate):
                inputs = set() if s.nograd else atom_names(s.target).union(*(atom_names(a) for a in s.args))
                self.ops[id(s)] = Op("mutate", frozenset(inputs))
        return self.ops

    def same_container(self, s):
        """`t = c.buf`, `t = L[0]`, `t = L` of a list, dict or object (inside no_grad): t is the very container, not
        a new value; what it holds keeps its derivative, as the container does under its other names (h17-018)."""
        return len(s.targets) == 1 and isinstance(s.value, (Var, ir.Attr, ir.Index)) and \
            isinstance(self.kinds.get(s.target), (K.Seq, K.Dict, K.Obj))

    def assign(self, s):
        v = s.value
        if isinstance(v, Var):
            return Op("copy", frozenset({v.name}))
        if isinstance(v, (Const, Global, ir.Closure)):
            return Op("const")
        if isinstance(v, Build):
            return Op("build", frozenset(atom_names(v)))
        if isinstance(v, ir.BinOp):
            if v.op == "|" and not (self.kind(v.left).numeric and self.kind(v.right).numeric):
                if isinstance(self.kind(v.left), K.Dict) and isinstance(self.kind(v.right), K.Dict):
                    return self.bind(s, rules.FUNCTIONS[_runtime().dict_merge], [v.left, v.right], {})
                return Op("unknown", frozenset(atom_names(v)),
                          what="`|` of values of unknown kind (a dict merge, or a bitwise or)")
            if v.op in NONDIFF_BINOPS:
                return Op("const")
            if v.op in ("+", "*") and (isinstance(self.kind(v.left), K.Seq) or isinstance(self.kind(v.right), K.Seq)):
                return self.sequence_binop(s, v)
            if v.op in ("+", "*") and self.maybe_sequences(v):
                return self.bind(s, rules.FUNCTIONS[_runtime().plus if v.op == "+" else _runtime().times],
                                 [v.left, v.right], {})
            if id(s) in self.fused:  # the logistic function written out, as one function
                func, args = self.fused[id(s)]
                return self.bind(s, rules.FUNCTIONS[func], args, {})
            return self.bind(s, rules.FUNCTIONS[BINOP_FUNCTIONS[v.op]], [v.left, v.right], {})
        if isinstance(v, ir.UnaryOp):
            if v.op == "-":
                return self.bind(s, rules.FUNCTIONS[np.negative], [v.operand], {})
            if v.op == "+":
                return self.bind(s, rules.FUNCTIONS[np.positive], [v.operand], {})
            return Op("const")
        if isinstance(v, ir.Compare):
            return Op("const")
        if isinstance(v, Index):
            return self.index(s, v)
        if isinstance(v, ir.Attr):
            return self.attribute(s, v)
        if isinstance(v, Call):
            if id(s) in self.fused:  # differentiated with respect to the factorized matrix
                func, args = self.fused[id(s)]
                return self.bind(s, rules.FUNCTIONS[func], args, {})
            return self.call(s, v)
        return Op("unknown", frozenset(atom_names(v)), what="this expression")

    def sequence_binop(self, s, v):
        """`a + b` / `a * n` with a list or tuple: concatenation / repetition (its own rule), not arithmetic;
        with an array NumPy's arithmetic on the list made an array; with a value of unknown kind, either."""
        rt = _runtime()
        ka, kb = self.kind(v.left), self.kind(v.right)
        if v.op == "+" and isinstance(ka, K.Seq) and isinstance(kb, K.Seq):
            return self.bind(s, rules.FUNCTIONS[rt.seq_concat], [v.left, v.right], {})
        if v.op == "*" and isinstance(ka, K.Seq) and kb in (K.INT, K.BOOL):
            return self.bind(s, rules.FUNCTIONS[rt.seq_repeat], [v.left, v.right], {})
        if v.op == "*" and isinstance(kb, K.Seq) and ka in (K.INT, K.BOOL):
            return self.bind(s, rules.FUNCTIONS[rt.seq_repeat_left], [v.left, v.right], {})
        if isinstance(ka, (K.Array, K.Numeric)) or isinstance(kb, (K.Array, K.Numeric)) or \
                isinstance(ka, K.Scalar) and isinstance(kb, K.Scalar):
            return self.bind(s, rules.FUNCTIONS[BINOP_FUNCTIONS[v.op]], [v.left, v.right], {})
        if self.maybe_sequences(v):
            return self.bind(s, rules.FUNCTIONS[rt.plus if v.op == "+" else rt.times], [v.left, v.right], {})
        what = "concatenation" if v.op == "+" else "repetition"
        return Op("unknown", frozenset(atom_names(v)),
                  what=f"`{v.op}` of a list or tuple and a value of unknown kind ({what} or arithmetic)")

    def maybe_sequences(self, v):
        def kind(atom):
            return K.NUMERIC if isinstance(atom, Var) and atom.name in self.assumed else self.kind(atom)
        return K.maybe_sequences(kind(v.left), kind(v.right), v.op)

    def index(self, s, v):
        base = v.value
        name = ir.attr_key(v.items)
        if name is not None and isinstance(base, Var):  # `obj.attr` of an object the function made
            return Op("getattr", frozenset({base.name}), attr=str(name))
        if isinstance(base, Global) and (base.obj is np.r_ or base.obj is np.c_):
            rule = rules.FUNCTIONS[_index_concat()]
            items = Build("tuple", tuple(_slice_call(i) if isinstance(i, ir.Slice) else i for i in v.items))
            op = self.bind(s, rule, [Const("r" if base.obj is np.r_ else "c"), items], {})
            op.extra["index_concat"] = True
            return op
        if isinstance(base, Var):
            return Op("getitem", frozenset({base.name}))
        return Op("const")

    def attribute(self, s, v):
        base = v.value
        if not isinstance(base, Var):
            return Op("const")
        k = self.kind(base)
        attr = v.attr
        if isinstance(k, K.Obj) and attribute_hooks(k.cls):  # (its attributes are not what its dict holds)
            return Op("unknown", frozenset({base.name}), what=f"the attribute `.{attr}` of a {k.cls.__name__} "
                      f"object, whose class defines `{attribute_hooks(k.cls)[0]}`")
        if isinstance(k, K.Obj):
            return Op("getattr", frozenset({base.name}), attr=attr)
        if attr in rules.ATTRIBUTES and not isinstance(k, (K.Seq, K.Dict, K.Other)):
            return self.bind(s, rules.ATTRIBUTES[attr], [base], {})
        if attr in rules.NONDIFF_ATTRIBUTES:
            return Op("const")
        if attr in ARRAY_ONLY_ATTRIBUTES or k.numeric or isinstance(k, K.Seq):
            # (a tuple's field by name, `np.linalg.eigh(a).eigenvalues`: not an object's attribute either)
            return Op("unknown", frozenset({base.name}), what=f"the attribute `.{attr}`")
        return Op("getattr", frozenset({base.name}), attr=attr)

    def call(self, s, v):
        func = v.func
        args, kwargs = list(v.args), list(v.kwargs)
        if isinstance(func, Var) and isinstance(self.kind(func), K.Func) and \
                not isinstance(self.kind(func).obj, ir.Closure):
            obj = self.kind(func).obj  # a name holding a function known from the kinds (an argument)
            func = Global((getattr(obj, "__name__", "function"),), obj)
        if any(isinstance(a, ir.Starred) for a in args) or any(k == "**" for k, _ in kwargs):
            return self.starred_call(s, v, func, args, kwargs)
        everything = frozenset(set().union(*(atom_names(a) for a in args + [x for _, x in kwargs])) if args or kwargs
                               else set())
        if isinstance(func, ir.Attr) and isinstance(func.value, Var):
            owner = func.value
            k = self.kind(owner)
            name = func.attr
            if isinstance(k, (K.Seq, K.Dict)):
                if name in ("index", "count", "keys", "__len__"):
                    return Op("const")
                if name == "get" and isinstance(k, K.Dict):
                    return Op("getitem", everything | {owner.name}, extra={"dict_get": True})
                if name == "copy":
                    return Op("copy", frozenset({owner.name}))
                return Op("unknown", everything | {owner.name}, what=f"the method `.{name}()`")
            frozen = frozen_distribution(self.definition(owner.name), name)
            if frozen is not None:  # `norm(loc, scale).logpdf(x)`: the rule of `norm.logpdf(x, loc, scale)`
                rule, frozen_args, frozen_kwargs = frozen
                return self.bind(s, rule, args + frozen_args, {**frozen_kwargs, **dict(kwargs)})
            if name in rules.METHODS and not isinstance(k, (K.Obj, K.Other)):
                return self.bind(s, rules.METHODS[name], [owner] + args, dict(kwargs))
            if name in rules.NONDIFF_METHODS:
                return Op("const")
            ruled = _method_rule(k, name, owner)  # (a method of the user's class with a rule: `q.quant(x)`, m25-007)
            if ruled is not None:
                function = inspect.getattr_static(k.cls, name, None)
                function = getattr(function, "__func__", function)  # (a staticmethod's function)
                args = ruled[1] + args
                kwargs = rule_defaults.prepared(self.ctx, s, function, ruled[0], args, kwargs, self.kind)
                return self.bind(s, ruled[0], args, kwargs)
            what = f"the method `.{name}()`"
            if isinstance(k, K.Obj) and not hasattr(k.cls, name):  # a function stored on the object (g3-005)
                what = (f"a call of the function the attribute `.{name}` holds, not known when compiling (a loop or "
                        f"a branch may change which function it is)")
            op = Op("unknown", everything | {owner.name}, what=what)
            # a method of an object passed in (not of an array): known once the object's kind is
            op.deferred = k is K.UNKNOWN and not hasattr(np.ndarray, name)
            return op
        if isinstance(func, Global):
            obj = func.obj
            if obj is markers.stop_gradient or obj is markers.checkpoint:
                return Op("const")
            if isinstance(obj, markers.Checkpointed) and self.ctx.is_user_function_with_rule(obj.func):
                func, obj = Global(func.path, obj.func, func.root, func.home), obj.func  # (its rule: h27b-018)
            if isinstance(obj, markers.Checkpointed):  # compiled on its own; its values made again (callees.py)
                if not self.ctx.is_user_function(obj.func):
                    raise UnsupportedError("ad.checkpoint takes a function of yours (defined with `def`)",
                                           where=s.origin.unit.location(s.origin.node) if s.origin else None,
                                           hint="checkpoint a function whose source ad_compiler can read")
                return Op("callee", everything, callee=obj.func, extra={"checkpoint": True})
            kind, rule, receiver = _function_rule(func)  # (`QQ.quant(x)`: the rule of Q.quant, QQ first: m25-007)
            if obj is sum and self.sequence_start(args, kwargs):  # sum(lists, []): a concatenation
                kind, rule = "rule", rules.FUNCTIONS[_runtime().seq_sum]
            if kind == "rule":  # (the function's defaults, not the template's: h27b-001)
                function = obj.__func__ if receiver or isinstance(obj, staticmethod) else obj
                args = receiver + args
                return self.bind(s, rule, args, rule_defaults.prepared(self.ctx, s, function, rule, args, kwargs,
                                                                       self.kind))
            if kind == "nondiff":
                return Op("const")
            if self.ctx.is_user_function(obj):
                return Op("callee", everything, callee=obj, bound=None)
            desc = f"`{'.'.join(func.path)}`" + (f" ({_describe(obj)})" if obj is not None else "")
            return Op("unknown", everything, what=desc, callee=obj)
        return Op("unknown", everything | frozenset(atom_names(func)),
                  what="a call of a function value not known when compiling")

    def starred_call(self, s, v, func, args, kwargs):
        """A call with `*seq` or `**d` left by the inliner (lengths not known when compiling): no derivative
        needed for a function without one (`rs.randn(*shape)`); a rule taking `*args` itself is given the
        sequence (`zip(*pairs)`, `max(*xs)`); anything else has no known derivative."""
        names = frozenset(atom_names(v))
        obj = func.obj if isinstance(func, Global) else None
        kind, rule = rules.lookup_function(obj) if obj is not None else (None, None)
        if obj is markers.stop_gradient or kind == "nondiff":
            return Op("const")
        if kind == "rule" and not kwargs and isinstance(args[-1], ir.Starred) and \
                not any(isinstance(a, ir.Starred) for a in args[:-1]):
            params = list(rule.signature.parameters.values())
            star = next((i for i, p in enumerate(params) if p.kind is p.VAR_POSITIONAL), None)
            if star is not None and star == len(args) - 1:
                try:
                    bound = rule.bind(args[:-1], {})
                except TypeError:
                    bound = None
                if bound is not None:
                    bound[params[star].name] = args[-1].value
                    inputs = set().union(*(atom_names(x) for p, x in bound.items() if p not in rule.constant_in))
                    return Op("rule", frozenset(inputs), rule=rule, bound=bound)
        return Op("unknown", names, what="a call with *args or **kwargs whose length is not known when compiling")

    def bind(self, s, rule, args, kwargs):
        rule = rule_reads.current(rule, self.ctx)  # (a user's template reads its globals as they are now: m25-001)
        where = s.origin.unit.location(s.origin.node) if s.origin else None
        arguments = rule_arguments.Arguments(rule, self.kind, self.definition, where)
        kwargs, dtype = arguments.options(kwargs)
        if dtype is not None and arguments.dtype_kind(dtype) in ("i", "u", "b"):
            return Op("const")  # `np.multiply(x, y, dtype=int, casting="unsafe")`: piecewise constant
        try:
            bound = rule.bind(args, kwargs)
        except TypeError as exc:
            origin = s.origin
            raise UnsupportedError(
                f"this call does not match the derivative rule `{rule.name}{rule.signature}`: {exc}",
                where=origin.unit.location(origin.node) if origin else None,
                hint="pass the arguments the rule knows (see docs/rules.md), or register your own rule",
            ) from None
        arguments.check(bound)
        if arguments.truncating_dtype(bound):  # `np.sum(x, dtype=int)`: piecewise constant (h18-001)
            return Op("const")
        odd = next((o for value in bound.values() for a in _atoms(value) for o in [odd_array(a, self.kind)] if o), None)
        if odd:
            return Op("unknown", frozenset(set().union(*(atom_names(v) for v in bound.values()))),
                      what=f"`{rule.name}` of {odd}")
        inputs = set()
        for p, value in bound.items():
            if rule.signature.parameters[p].kind is rule.signature.parameters[p].VAR_KEYWORD or \
                    p in rule.constant_in:  # (only a shape, or which entries win, comes from there)
                continue
            inputs |= atom_names(value)
        return Op("rule", frozenset(inputs), rule=rule, bound=bound)


    def definition(self, name):
        """The value assigned to the SSA name `name` (None if not one value)."""
        if self._defs is None:
            self._defs = {st.targets[0]: st.value for st in ir.walk(self.fn.body)
                          if isinstance(st, Assign) and len(st.targets) == 1}
        return self._defs.get(name)

    def sequence_start(self, args, kwargs):
        start = args[1] if len(args) > 1 else dict(kwargs).get("start")
        return start is not None and isinstance(self.kind(start), K.Seq)


def frozen_distribution(made, name):
    """For a method call on a frozen SciPy distribution made in this function (`fz = norm(loc, scale)`, then
    `fz.logpdf(x)`; `made`: the value the owner was assigned): the rule of the distribution's own method and the
    parameters the frozen object was made with (its arguments come after the method's), else None. The call
    making the frozen object has no rule itself: it is not on a derivative's path, the method's rule reads its
    parameters."""
    if not (isinstance(made, Call) and isinstance(made.func, Global)):
        return None
    dist = made.func.obj
    if not type(dist).__module__.startswith("scipy.stats") or isinstance(dist, type):
        return None
    if any(isinstance(a, ir.Starred) for a in made.args) or any(k == "**" for k, _ in made.kwargs):
        return None
    kind, rule = rules.lookup_function(getattr(dist, name, None))
    if kind != "rule":
        return None
    return rule, list(made.args), dict(made.kwargs)


def odd_array(atom, kind_of):
    """What makes `atom` an array whose operations NumPy's array rules do not describe (a np.matrix, a masked
    array), or None (`kind_of`: the resolver's kinds of the function's atoms)."""
    if isinstance(atom, Global):
        cls = atom.obj.__class__
    else:
        k = kind_of(atom)
        cls = k.cls if isinstance(k, K.Other) and isinstance(k.cls, type) else None
    if cls is None:
        return None
    if issubclass(cls, np.matrix):
        return ("a np.matrix (its `*` and `**` are matrix products and powers, and its results stay 2-d: "
                "NumPy's array rules do not apply; convert it with np.asarray first)")
    if issubclass(cls, np.ma.MaskedArray):  # (an attribute or an item of an argument: h19-005's hole)
        return ("a masked array (numpy.ma), whose operations skip the masked entries, which the rules do not: "
                "pass the data and the mask as two arrays and use np.where(mask, 0.0, ...)")
    return None


def _atoms(value):
    """The atoms of a bound argument (the items of a Build of *args or of a list literal)."""
    if isinstance(value, Build):
        return [a for item in value.items for a in _atoms(item)]
    return [value]


def _runtime():
    from . import runtime

    return runtime


def _index_concat():
    from . import runtime

    return runtime.index_concat


def _slice_call(sl):
    return Call(Global(("slice",), slice), tuple(e if e is not None else Const(None)
                                                  for e in (sl.lower, sl.upper, sl.step)))


def _describe(obj):
    mod = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if mod and name:
        return f"{mod}.{name}"
    return type(obj).__name__


def resolve(fn, kinds, ctx, callee=False):
    """What each statement is for differentiation (id(statement) -> Op); `callee`: a recursive function
    compiled on its own, whose parameters may hold what a recursive call returned."""
    r = Resolver(fn, kinds, ctx)
    if not callee:
        r.assumed = from_unknown_parameters(fn, kinds, ctx)
    return r.run()


def from_unknown_parameters(fn, kinds, ctx):
    """The names computed from parameters of unknown kind: the derivative for arguments of any kind (what
    `.source` shows before the first call; at a call their kinds are known) takes them for numbers or
    arrays in `+` and `*`, not for sequences. Not a recursive call's result (it may be a list whatever its
    arguments are), nor what a recursive function's parameters hold (`callee`)."""
    out = {p for p in fn.params if kinds.get(p, K.UNKNOWN) is K.UNKNOWN}
    changed = bool(out)
    while changed:
        changed = False
        for s in ir.walk(fn.body):
            if isinstance(s, Assign):
                defined, read = set(s.targets), ir.names_in(s.value)
                v = s.value
                if isinstance(v, Call) and isinstance(v.func, Global) and (
                        isinstance(v.func.obj, markers.Checkpointed) or ctx.is_user_function(v.func.obj)):
                    continue
            elif isinstance(s, SetItem):
                defined, read = {s.result} - {None}, ir.names_in(s.target) | ir.names_in(s.value)
            elif isinstance(s, Mutate):
                defined = {s.result, s.out} - {None}
                read = ir.names_in(s.target).union(*(ir.names_in(a) for a in s.args))
            else:
                continue
            if read & out and not defined <= out:
                out |= defined
                changed = True
    return out
