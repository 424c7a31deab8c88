"""Differential random-program testing of ad_compiler: a generator, a checker and a shrinker.

    generate(seed, features)    -> source of a small module: helper functions, `def f(...)`,
                                   `def make_args()` (fresh arguments and module state on every call) and
                                   `WRT`; `features` (default FEATURES): {"state": rate} adds the constructs of
                                   tests/progen_state.py (sharing, lazy iterators, mutable defaults, module
                                   state, closures, objects), 0 gives the programs of before them;
                                   {"objects": rate} those of tests/progen_objects.py (objects holding
                                   containers, subclasses, properties, dunders, NumPy's keywords);
                                   {"flow": rate} those of tests/progen_flow.py (adjoints sharing a buffer
                                   across branches and loops); {"index": rate} those of
                                   tests/progen_index.py (NumPy's indexing semantics in stores and reads)
    check_source(src)           -> Result: outcome 'pass' | 'refused' | 'wrong' | 'crash' | 'discarded'
    shrink(src, result)         -> a minimal source with the same outcome (greedy deletion/simplification)
    run_one(seed, index)        -> generate + check (+ shrink when wrong/crash): a dict, picklable
    features(src)               -> tags describing a (shrunk) program, used to group failures

The contract checked: every gradient is right (central differences, two step sizes to reject kinks),
or the compiler raises an `ad.ADError` naming the file and line. The generator tracks kinds and shapes
so that most programs run in plain Python; programs that raise in plain Python are discarded.

Library only: no pytest dependency (tests/test_random_programs.py and tests/explore.py use it).
"""
import ast
import copy
import importlib.util
import itertools
import linecache
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np

# -------------------------------------------------------------------------------------------------------------
# expressions
# -------------------------------------------------------------------------------------------------------------

ATOM, POW, UNARY, MUL, ADD, CMP, TERN = 10, 8, 7, 6, 5, 3, 1
SCALAR = ()
BIG_SHAPES = [(3,), (2, 3), (4,)]
ALL_SHAPES = [(3,), (2, 3), (4,), (2,), (3, 2), (2, 2)]


class E:
    """A generated expression: code, precedence, known positive."""
    __slots__ = ("c", "p", "pos")

    def __init__(self, c, p=ATOM, pos=False):
        self.c, self.p, self.pos = c, p, pos


GRAD_OPTIONS = {}  # extra options of every ad.grad and ad.jvp the checker makes (explore.py --jit: {"jit": True})
# generator features with a knob (set before the workers fork): "state" is the chance that a statement of f is
# one of tests/progen_state.py's constructs (sharing and late reads); 0 gives the programs of before it;
# "objects" the chance of one of tests/progen_objects.py's (objects holding containers, classes, NumPy keywords)
FEATURES = {"state": 0.18, "flow": 0.06, "objects": 0.08, "index": 0.0, "lang": 0.05}  # ("index": off unless
# asked, so every seed keeps the program it gave before: explore.py --index RATE)


def w(e, need):
    return e.c if e.p >= need else f"({e.c})"


def num(v):
    s = repr(float(v))
    return s


class V:
    """What the generator knows about a variable.
    kind: 'f' scalar (float, np.float64, 0-d array), 'a' array, 'i' int, 'L' list, 'T' list of pairs,
    'D' dict, 'fn' callable (scalar/array -> same shape)."""

    def __init__(self, kind, shape=SCALAR, pos=False, elem=None, n=None, keys=None, bound=None,
                 arg=False, mutable=True):
        self.kind, self.shape, self.pos = kind, shape, pos
        self.elem = elem      # 'L': V of the elements; 'T': (V, V)
        self.n = n            # 'L'/'T': known length (None: unknown, may be 0); 'i': loop bound
        self.keys = keys      # 'D': {key: V}
        self.bound = bound    # 'i': values are in [0, bound)
        self.arg = arg
        self.mutable = mutable    # False: never mutated in place (an argument passed twice, a global)
        self.glob = False         # a module-level constant (never assigned in f)


def arr(shape, pos=False, **kw):
    return V("a", tuple(shape), pos, **kw)


def scal(pos=False, **kw):
    return V("f", SCALAR, pos, **kw)


RESERVED = {"np", "math", "functools", "f", "make_args", "WRT", "sum", "max", "min", "abs", "len", "range",
            "float", "list", "zip", "enumerate", "i", "j", "e", "E", "id", "iter", "next", "round", "pow",
            "map", "all", "any", "int", "dict", "tuple", "type", "print", "input", "object", "str", "vars", "t",
            "a", "b", "p", "q", "row", "el", "item", "key", "fn", "inner", "wrapper", "args", "kwargs", "lst",
            "sorted", "reversed", "filter", "set", "hash", "format", "bool", "open", "exec", "eval", "dir"}


class Gen:
    """Generates the body of one function (f or a helper); `root` holds module-level state."""

    def __init__(self, rng, root=None, depth=0):
        self.r = rng
        self.root = root or self
        self.depth = depth
        self.lines = []
        self.ind = 1
        self.env = {}
        self.nstmts = 0
        self.wants = []          # names/codes the final return should read
        self.shadowed = set()
        self.loop_level = 0
        self.in_while = False
        self.features = set()
        if root is None:
            self.helpers = []    # module-level source blocks
            self.state_rng = None  # the "state" feature's own random stream (None: off)
            self.state_rate = 0.0
            self.flow_rng = None   # the "flow" feature's (tests/progen_flow.py)
            self.flow_rate = 0.0
            self.objects_rng = None  # the "objects" feature's own random stream (None: off)
            self.objects_rate = 0.0
            self.index_rng = None  # the "index" feature's (tests/progen_index.py)
            self.index_rate = 0.0
            self.lang_rng = None  # the "lang" feature's (tests/progen_lang.py)
            self.lang_rate = 0.0
            self.resets = []     # make_args lines putting back module state f changes
            self.must = []       # names the final return always reads
            self.taken = set(RESERVED)
            self.counter = itertools.count(1)

    # -- names ------------------------------------------------------------------------------------------------
    def fresh(self, kind, shape=SCALAR):
        pools = {"f": ["s", "r", "q", "acc", "tot", "val", "m", "z"],
                 "a": ["v", "u", "y", "h", "c", "g", "out", "vec"],
                 "i": ["k", "step", "count"],
                 "a2": ["A", "B", "M", "H", "P", "Q"],
                 "L": ["L", "hs", "parts", "items", "outs"],
                 "T": ["pairs", "ps", "prs"],
                 "D": ["d", "dd", "cfg"],
                 "fn": ["func", "g", "op", "sq"]}
        key = "a2" if kind == "a" and len(shape) == 2 else kind
        pool = pools.get(key, ["tmp"])
        for base in self.r.sample(pool, len(pool)):
            if base not in self.root.taken and base not in self.env:
                self.root.taken.add(base)
                return base
        while True:
            base = f"{pool[0]}{next(self.root.counter)}"
            if base not in self.root.taken and base not in self.env:
                self.root.taken.add(base)
                return base

    def helper_name(self, base):
        name = base
        while name in self.root.taken:
            name = f"{base}{next(self.root.counter)}"
        self.root.taken.add(name)
        return name

    def bi(self, name):
        """Is the builtin `name` still usable (not shadowed in f)?"""
        return name not in self.shadowed

    # -- output -----------------------------------------------------------------------------------------------
    def emit(self, line, stmt=True):
        self.lines.append("    " * self.ind + line)
        if stmt:
            self.nstmts += 1

    def define(self, name, v, want=False):
        self.env[name] = v
        if want:
            self.want(name)

    def want(self, code):
        if code not in self.wants:
            self.wants.append(code)

    def chance(self, p):
        return self.r.random() < p

    def choice(self, xs):
        return self.r.choice(xs)

    def wchoice(self, pairs):
        total = sum(wt for wt, _ in pairs)
        x = self.r.random() * total
        for wt, item in pairs:
            x -= wt
            if x <= 0:
                return item
        return pairs[-1][1]

    # -- leaves -----------------------------------------------------------------------------------------------
    def leaves(self):
        """(code, V, weight) of everything readable: names, elements of containers, entries of arrays."""
        out = []
        for name, v in self.env.items():
            if v.kind == "f":
                out.append((name, v, 4.0))
            elif v.kind == "i":
                out.append((name, v, 0.4))
            elif v.kind == "a":
                out.append((name, v, 4.0))
                if len(v.shape) == 1 and v.shape[0] >= 2:
                    k = v.shape[0]
                    for idx in ("0", "-1", str(k - 1), "1"):
                        out.append((f"{name}[{idx}]", scal(), 0.4))
                if v.shape == (2, 3) or len(v.shape) == 2:
                    r0, c0 = v.shape
                    out.append((f"{name}[{r0 - 1}, {c0 - 1}]", scal(), 0.3))
                    out.append((f"{name}[0][1]", scal(), 0.2))
                    out.append((f"{name}[0]", arr(v.shape[1:]), 0.6))
                    out.append((f"{name}[-1]", arr(v.shape[1:]), 0.6))
                    out.append((f"{name}[:, 0]", arr(v.shape[:1]), 0.4))
            elif v.kind == "L" and (v.n or 0) >= 1:
                out.append((f"{name}[0]", v.elem, 1.5))
                out.append((f"{name}[-1]", v.elem, 1.5))
            elif v.kind == "T" and (v.n or 0) >= 1:
                for j in (0, 1):
                    out.append((f"{name}[0][{j}]", v.elem[j], 0.8))
                    out.append((f"{name}[-1][{j}]", v.elem[j], 0.8))
            elif v.kind == "D":
                for key, kv in v.keys.items():
                    out.append((f"{name}[{key!r}]", kv, 1.5))
        return out

    def leaf_of(self, t, need_pos=False):
        cands = []
        for code, v, wt in self.leaves():
            if need_pos and not v.pos:
                continue
            if t == SCALAR and v.kind in ("f", "i"):
                if need_pos and v.kind == "i":
                    continue
                cands.append((wt, (code, v)))
            elif t != SCALAR and v.kind == "a" and v.shape == t:
                cands.append((wt, (code, v)))
        if not cands:
            return None
        code, v = self.wchoice(cands)
        return E(code, ATOM, v.pos)

    def const(self, pos=False):
        if pos:
            return E(num(self.choice([0.5, 1.5, 2.0, 0.25, 3.0, 1.2])), ATOM, True)
        c = self.choice([0.5, 1.5, 2.0, 0.25, 3.0, 0.1, -0.5, -1.0, 1.0, 0.3])
        return E(num(c), UNARY if c < 0 else ATOM, c > 0)

    def leaf(self, t, d=0):
        e = self.leaf_of(t)
        if e is not None and (t != SCALAR or self.chance(0.8)):
            return e
        if t == SCALAR:
            return e if e is not None and self.chance(0.5) else self.const()
        # derive an array of shape t from other variables, else a constant array
        if d > -4 and self.chance(0.9):
            e = self.shape_producer(t, d - 1)
            if e is not None:
                return e
        return self.const_array(t)

    def const_array(self, t):
        n = int(np.prod(t))
        opts = []
        if len(t) == 1:
            vals = ", ".join(num(v) for v in self.r.sample([0.5, -1.0, 2.0, 1.5, -0.25, 0.75, 3.0], n))
            opts += [f"np.array([{vals}])", f"np.ones({t[0]})", f"np.arange({float(t[0])})",
                     f"np.linspace(0.0, 1.0, {t[0]})"]
        else:
            opts += [f"np.ones({t})", f"np.arange({float(n)}).reshape{t}", f"np.full({t}, 0.5)"]
        return E(self.choice(opts), ATOM, False)

    # -- expressions ------------------------------------------------------------------------------------------
    def ex(self, t, d=2):
        if d <= 0 or self.chance(0.22):
            return self.leaf(t, d)
        if t == SCALAR:
            return self.ex_scalar(d)
        return self.ex_array(t, d)

    def other(self, t, d, than):
        """An expression of shape t different from the expression `than` (avoids max(a, a), a - a)."""
        for _ in range(3):
            e = self.ex(t, d)
            if e.c != than.c:
                return e
        return self.const() if t == SCALAR else E(f"{w(e, MUL)} * 0.5", MUL)

    def pos(self, t, d=1):
        """A positive expression of shape t (bases of ** and log/sqrt arguments, denominators)."""
        e = self.leaf_of(t, need_pos=True)
        if e is not None and self.chance(0.5):
            return e
        a = self.ex(t, max(d - 1, 0))
        k = self.r.randrange(5)
        if k == 0:
            return E(f"np.exp({a.c})", ATOM, True)
        if k == 1:
            return E(f"{w(a, POW + 1)} ** 2 + 0.5", ADD, True)
        if k == 2:
            return E(f"np.abs({a.c}) + 0.5", ADD, True)
        if k == 3:
            return E(f"1.0 + {w(a, MUL)} * {w(a, MUL + 1)}", ADD, True)
        if t == SCALAR:
            return self.const(pos=True)
        return E(f"np.exp({a.c})", ATOM, True)

    def binop(self, a, op, b, pos=False):
        p = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "%": MUL, "@": MUL, "**": POW}[op]
        if op == "**":
            return E(f"{w(a, ATOM)} ** {w(b, UNARY)}", POW, pos)
        return E(f"{w(a, p)} {op} {w(b, p + 1)}", p, pos)

    def partner(self, t):
        """A shape broadcasting with t to t."""
        opts = [(6, t), (3, SCALAR)]
        if len(t) == 2:
            opts.append((3, t[1:]))
        return self.wchoice(opts)

    def ex_array(self, t, d):
        k = self.wchoice([(6, "bin"), (4, "unary"), (2, "minmax"), (0.7, "mod"), (4, "shape"), (1, "call"),
                          (1.5, "keepdims")])
        if k == "bin":
            a = self.ex(t, d - 1)
            op = self.wchoice([(4, "+"), (2, "-"), (4, "*"), (1.5, "/"), (0.7, "**")])
            if op == "/":
                return self.binop(a, "/", self.pos(self.partner(t), d - 1))
            if op == "**":
                if self.chance(0.6):
                    return self.binop(a, "**", E(self.choice(["2", "2.0", "3"])))
                return self.binop(self.pos(t, d - 1), "**", E(self.choice(["1.5", "0.5", "2.5"])), pos=True)
            b = self.ex(self.partner(t), d - 1)
            if b.c == a.c:
                b = self.ex(self.partner(t), d - 1)
            if self.chance(0.5):
                a, b = b, a
            return self.binop(a, op, b, pos=(op in "+*" and a.pos and b.pos))
        if k == "unary":
            a = self.ex(t, d - 1)
            u = self.r.randrange(11)
            if u == 0:
                return E(f"np.sin({a.c})")
            if u == 1:
                return E(f"np.exp({self.ex(t, min(d - 1, 1)).c})", ATOM, True)
            if u == 2:
                return E(f"np.tanh({a.c})")
            if u == 3:
                return E(f"np.log({self.pos(t, d - 1).c})")
            if u == 4:
                return E(f"np.sqrt({self.pos(t, d - 1).c})", ATOM, False)
            if u == 5:
                return E(f"np.abs({a.c})" if not self.bi("abs") or self.chance(0.6) else f"abs({a.c})")
            if u == 6:
                return E(f"-{w(a, UNARY)}", UNARY)
            if u == 7:
                return E(f"np.cos({a.c})")
            if u == 8:
                return E(f"{w(a, ATOM)} ** 2", POW)
            if u == 9:
                return E(f"np.square({a.c})")
            return E(f"np.sin({a.c})")
        if k == "minmax":
            a = self.ex(t, d - 1)
            m = self.r.randrange(6)
            if m == 0:
                return E(f"np.maximum({a.c}, {self.choice(['0.0', '0.1', self.other(self.partner(t), d - 1, a).c])})")
            if m == 1:
                return E(f"np.minimum({a.c}, {self.choice(['0.2', self.other(self.partner(t), d - 1, a).c])})")
            if m == 2:
                return E(f"np.clip({a.c}, {self.choice(['-0.5', '-1.0', '0.0'])}, {self.choice(['0.8', '1.0'])})")
            if m == 3:
                c = self.choice(["0", "0.0", "0.2"])
                return E(f"np.where({w(a, ADD)} > {c}, {self.ex(self.partner(t), d - 1).c}, "
                         f"{self.ex(self.partner(t), d - 1).c})")
            if m == 4:
                return E(f"{a.c}.clip(-0.7, 0.9)" if a.p >= ATOM else f"np.clip({a.c}, -0.7, 0.9)")
            return E(f"np.maximum({a.c}, {self.other(t, d - 1, a).c})")
        if k == "mod":
            a = self.ex(t, d - 1)
            if self.chance(0.5):
                return E(f"np.mod({a.c}, {self.choice(['1.7', '2.3', '1.3'])})")
            return self.binop(a, "%", E(self.choice(["1.7", "2.3", "1.3"])))
        if k == "call":
            fns = [n for n, v in self.env.items() if v.kind == "fn"]
            if fns:
                return E(f"{self.choice(fns)}({self.ex(t, d - 1).c})")
        if k == "keepdims" and len(t) == 2:
            a = self.ex(t, d - 1)
            red = self.choice(["np.sum", "np.mean", "np.max", "np.min"])
            ax = self.choice(["0", "1", "-1", "-2"])
            inner = self.leaf(t)
            if self.chance(0.5):
                return E(f"{w(a, ADD)} - {red}({inner.c}, axis={ax}, keepdims=True)", ADD)
            return E(f"{w(a, MUL)} / {w(self.pos(t, 0), ATOM)}.sum(axis={ax}, keepdims=True)", MUL)
        e = self.shape_producer(t, d - 1)
        return e if e is not None else self.leaf(t, d)

    def some_array(self, d, shapes=None):
        """An array expression of some available shape (prefers shapes of existing variables)."""
        shapes = shapes or ALL_SHAPES
        have = [v.shape for v in self.env.values() if v.kind == "a" and v.shape in shapes]
        t = self.choice(have) if have and self.chance(0.8) else self.choice(shapes[:3])
        return t, self.ex(t, d)

    def shape_producer(self, t, d):
        """Expressions whose shape is t, built from arrays of other shapes (or scalars)."""
        L = lambda s: self.leaf(s, d) if d <= 0 else self.ex(s, d)  # noqa: E731
        S = lambda: self.ex(SCALAR, max(d, 0))  # noqa: E731
        opts = []
        if t == (3,):
            opts = [lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}[{self.choice(['0', '1', '-1'])}]"),
                    lambda: E(f"np.sum({L((2, 3)).c}, axis={self.choice(['0', '-2'])})"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.mean(axis=0)"),
                    lambda: E(f"np.max({L((2, 3)).c}, axis=0)"),
                    lambda: E(f"np.{self.choice(['std', 'var', 'prod', 'min'])}({L((2, 3)).c}, axis={self.choice(['0', '-2'])})"),
                    lambda: E(f"{w(L((2,)), MUL)} @ {w(self.leaf((2, 3), d), MUL + 1)}", MUL),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.T @ {w(L((2,)), MUL + 1)}", MUL),
                    lambda: E(f"np.dot({L((2,)).c}, {self.leaf((2, 3), d).c})"),
                    lambda: E(f"{w(self.leaf((4,), d), ATOM)}[{self.choice(['1:', ':3', ':-1'])}]"),
                    lambda: self.linspace(S, 3),
                    lambda: E(f"np.r_[{S().c}, {S().c}, {S().c}]"),
                    lambda: E(f"np.r_[{L((2,)).c}, {S().c}]"),
                    lambda: E(f"np.array([{S().c}, {S().c}, {S().c}])"),
                    lambda: E(f"np.concatenate([{L((2,)).c}, np.array([{S().c}])])"),
                    lambda: E(f"np.stack([{S().c}, {S().c}, {S().c}])"),
                    lambda: E(f"np.cumsum({L((3,)).c})"),
                    lambda: E(f"np.sort({L((3,)).c})"),
                    lambda: E(f"{w(self.leaf((3,), d), ATOM)}[::-1]"),
                    lambda: E(f"{w(self.leaf((3,), d), ATOM)}[[2, 0, 1]]"),
                    lambda: E(f"{w(self.leaf((3, 2), d), ATOM)}[:, 0]"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.reshape(-1)[{self.choice([':3', '3:', '1:4'])}]")]
            if self.bi("sum"):
                opts.append(lambda: E(f"sum({self.leaf((2, 3), d).c})"))
        elif t == (2, 3):
            opts = [lambda: E(f"np.stack([{L((3,)).c}, {L((3,)).c}])"),
                    lambda: E(f"np.outer({L((2,)).c}, {L((3,)).c})"),
                    lambda: E(f"{w(self.leaf((2,), d), ATOM)}[:, None] * {w(L((3,)), MUL + 1)}", MUL),
                    lambda: E(f"{w(L((3,)), MUL)} * np.ones((2, 1))", MUL),
                    lambda: E(f"{w(self.leaf((3, 2), d), ATOM)}.T"),
                    lambda: E(f"np.vstack([{L((3,)).c}, {L((3,)).c}])"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}[::-1]"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.reshape(3, 2).T"),
                    lambda: E(f"np.concatenate([{w(self.leaf((2, 3), d), ATOM)}[:1], "
                              f"{w(self.leaf((2, 3), d), ATOM)}[1:]])")]
        elif t == (4,):
            opts = [lambda: E(f"np.r_[{L((3,)).c}, {S().c}]"),
                    lambda: E(f"np.concatenate([{L((3,)).c}, [{S().c}]])"),
                    lambda: E(f"np.concatenate([{L((2,)).c}, {L((2,)).c}])"),
                    lambda: self.linspace(S, 4),
                    lambda: E(f"np.append({L((3,)).c}, {S().c})"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.reshape(-1)[{self.choice(['2:', ':4', '1:5'])}]"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.ravel()[:4]"),
                    lambda: E(f"np.stack([{S().c}, {S().c}, {S().c}, {S().c}])")]
        elif t == (2,):
            opts = [lambda: E(f"{w(self.leaf((2, 3), d), MUL)} @ {w(L((3,)), MUL + 1)}", MUL),
                    lambda: E(f"np.dot({self.leaf((2, 3), d).c}, {L((3,)).c})"),
                    lambda: E(f"np.sum({L((2, 3)).c}, axis={self.choice(['1', '-1'])})"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.max(axis=-1)"),
                    lambda: E(f"np.mean({L((2, 3)).c}, axis=1)"),
                    lambda: E(f"np.{self.choice(['std', 'var', 'prod', 'min'])}({L((2, 3)).c}, axis={self.choice(['1', '-1'])})"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}[:, {self.choice(['0', '-1', '1'])}]"),
                    lambda: E(f"{w(self.leaf((3,), d), ATOM)}[{self.choice(['1:', ':2', '::2'])}]"),
                    lambda: E(f"{w(self.leaf((4,), d), ATOM)}[{self.choice(['::2', '1:3', ':2'])}]"),
                    lambda: E(f"np.array([{S().c}, {S().c}])"),
                    lambda: self.linspace(S, 2)]
        elif t == (3, 2):
            opts = [lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.T"),
                    lambda: E(f"np.transpose({L((2, 3)).c})"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}.reshape(3, 2)"),
                    lambda: E(f"np.stack([{L((3,)).c}, {L((3,)).c}], axis=1)"),
                    lambda: E(f"np.outer({L((3,)).c}, {L((2,)).c})")]
        elif t == (2, 2):
            opts = [lambda: E(f"{w(self.leaf((2, 3), d), MUL)} @ {w(self.leaf((2, 3), d), ATOM)}.T", MUL),
                    lambda: E(f"{w(self.leaf((2, 3), d), MUL)} @ {w(self.leaf((3, 2), d), MUL + 1)}", MUL),
                    lambda: E(f"np.outer({L((2,)).c}, {L((2,)).c})"),
                    lambda: E(f"{w(self.leaf((2, 3), d), ATOM)}[:, 1:]")]
        if not opts:
            return None
        return self.choice(opts)()

    def linspace(self, S, n):
        a = S()
        b = S()
        if b.c == a.c:
            b = E(f"{w(a, ADD)} + 1.0", ADD)
        return E(f"np.linspace({a.c}, {b.c}, {n})")

    def ex_scalar(self, d):
        k = self.wchoice([(5, "red"), (4, "bin"), (3, "unary"), (1, "minmax"), (0.6, "mod"), (0.5, "tern"),
                          (0.8, "call"), (0.6, "float")])
        if k == "red":
            t, a = self.some_array(d - 1)
            opts = [f"np.sum({a.c})", f"np.mean({a.c})", f"np.max({a.c})", f"np.min({a.c})",
                    f"np.std({a.c})", f"np.var({a.c})"]
            if a.p >= ATOM:
                opts += [f"{a.c}.sum()", f"{a.c}.mean()", f"{a.c}.max()"]
            if int(np.prod(t)) <= 4:
                opts.append(f"np.prod({a.c})")
            if len(t) == 1:
                if self.bi("sum"):
                    opts.append(f"sum({a.c})")
                if self.bi("max"):
                    opts.append(f"max({a.c})")
                if self.bi("min"):
                    opts.append(f"min({a.c})")
                b = self.ex(t, d - 1)
                opts += [f"{w(a, MUL)} @ {w(b, MUL + 1)}", f"np.dot({a.c}, {b.c})"]
                if self.bi("len"):
                    s = self.leaf(SCALAR)
                    opts.append(f"len({a.c}) * {w(s, MUL + 1)}")
            c = self.choice(opts)
            return E(c, MUL if " @ " in c or " * " in c else ATOM)
        if k == "bin":
            a, b = self.ex(SCALAR, d - 1), self.ex(SCALAR, d - 1)
            if b.c == a.c:
                b = self.ex(SCALAR, d - 1)
            op = self.wchoice([(4, "+"), (2, "-"), (4, "*"), (1.5, "/"), (1, "**")])
            if op == "/":
                return self.binop(a, "/", self.pos(SCALAR, d - 1))
            if op == "**":
                if self.chance(0.6):
                    return self.binop(a, "**", E(self.choice(["2", "2.0", "3"])))
                return self.binop(self.pos(SCALAR, d - 1), "**", E(self.choice(["1.5", "0.5"])), pos=True)
            return self.binop(a, op, b, pos=(op in "+*" and a.pos and b.pos))
        if k == "unary":
            a = self.ex(SCALAR, d - 1)
            u = self.r.randrange(10)
            if u == 0:
                return E(f"np.sin({a.c})")
            if u == 1:
                return E(f"math.exp({self.ex(SCALAR, min(d - 1, 1)).c})", ATOM, True)
            if u == 2:
                return E(f"np.tanh({a.c})")
            if u == 3:
                return E(f"np.log({self.pos(SCALAR, d - 1).c})")
            if u == 4:
                return E(f"math.sqrt({self.pos(SCALAR, d - 1).c})")
            if u == 5 and self.bi("abs"):
                return E(f"abs({a.c})")
            if u == 6:
                return E(f"-{w(a, UNARY)}", UNARY)
            if u == 7:
                return E(f"math.sin({a.c})")
            if u == 8:
                return E(f"np.exp({self.ex(SCALAR, min(d - 1, 1)).c})", ATOM, True)
            return E(f"{w(a, ATOM)} ** 2", POW)
        if k == "minmax":
            a = self.ex(SCALAR, d - 1)
            b = self.other(SCALAR, d - 1, a)
            opts = [f"np.maximum({a.c}, {b.c})", f"np.clip({a.c}, -1.0, 1.0)", f"np.minimum({a.c}, 0.5)"]
            if self.bi("max"):
                opts.append(f"max({a.c}, {b.c})")
            if self.bi("min"):
                opts.append(f"min({a.c}, {b.c})")
            return E(self.choice(opts))
        if k == "mod":
            a = self.ex(SCALAR, d - 1)
            if self.chance(0.5):
                return E(f"np.mod({a.c}, 1.7)")
            return self.binop(a, "%", E(self.choice(["1.3", "2.3"])))
        if k == "tern":
            a = self.ex(SCALAR, d - 1)
            b = self.other(SCALAR, d - 1, a)
            return E(f"{w(a, CMP)} if {self.cond()} else {w(b, CMP)}", TERN)
        if k == "call":
            fns = [n for n, v in self.env.items() if v.kind == "fn"]
            if fns:
                return E(f"{self.choice(fns)}({self.ex(SCALAR, d - 1).c})")
        if k == "float":
            a = self.ex(SCALAR, d - 1)
            return E(f"float({a.c})")
        return self.leaf(SCALAR)

    def cond(self):
        """A condition on data (or on an int)."""
        opts = []
        t, a = self.some_array(0)
        opts.append(f"np.sum({a.c}) > {self.choice(['0', '0.0', '0.5', '-0.3'])}")
        opts.append(f"np.max({a.c}) < {self.choice(['1.0', '0.5', '2.0'])}")
        s = self.leaf(SCALAR)
        opts.append(f"{w(s, ADD)} > {self.choice(['0.0', '0.3', '-0.2'])}")
        ints = [n for n, v in self.env.items() if v.kind == "i"]
        if ints:
            opts.append(f"{self.choice(ints)} % 2 == 0")
            opts.append(f"{self.choice(ints)} > 1")
        one_d = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1]
        if one_d:
            n = self.choice(one_d)
            opts.append(f"{n}[0] < {n}[1]")
        return self.choice(opts)

    # -- mutations --------------------------------------------------------------------------------------------
    def rhs_for(self, shape, d=1):
        if shape in ALL_SHAPES and self.chance(0.6):
            return self.ex(shape, d)
        return self.ex(SCALAR, d)

    def mutation(self, name, v, d=1):
        """A statement mutating the array `name` in place (lines)."""
        t = v.shape
        for x in self.env.values():
            if x.kind == "a":
                x.pos = False
        if len(t) == 1:
            k = t[0]
            opts = [(3, lambda: f"{name} += {self.ex(self.choice([t, SCALAR]), d).c}"),
                    (3, lambda: f"{name} *= {self.ex(self.choice([t, SCALAR]), d).c}"),
                    (1, lambda: f"{name} -= {self.ex(self.choice([t, SCALAR]), d).c}"),
                    (1, lambda: f"{name} /= {self.pos(self.choice([t, SCALAR]), d).c}"),
                    (2, lambda: f"{name}[1:] = {self.choice(['0.0', self.rhs_for((k - 1,), d).c])}"),
                    (2, lambda: f"{name}[1:] += {self.rhs_for((k - 1,), d).c}"),
                    (2, lambda: f"{name}[:-1] *= {self.rhs_for((k - 1,), d).c}"),
                    (2, lambda: f"{name}[-1] = {self.ex(SCALAR, d).c}"),
                    (2, lambda: f"{name}[0] = {name}[1] * {self.choice(['3.0', '2.0', '0.5'])}"),
                    (1, lambda: f"{name}[1] += {self.ex(SCALAR, d).c}"),
                    (1, lambda: f"{name}[:2] = {self.rhs_for((2,), d).c}"),
                    (1, lambda: f"{name}[:] = {self.ex(t, d).c}"),
                    (1, lambda: f"{name}[::2] = {self.ex(SCALAR, d).c}"),
                    (1.5, lambda: f"{name}[{name} > 0] = {self.choice(['0.0', '0.5'])}"),
                    (1, lambda: f"{name}[{name} < 0.2] *= {self.ex(SCALAR, d).c}")]
            if k >= 3:
                opts.append((1.5, lambda: f"{name}[[0, 2]] = {self.ex(SCALAR, d).c}"))
                opts.append((1, lambda: f"{name}[[0, 2]] += {self.ex(SCALAR, d).c}"))
            return self.wchoice(opts)()
        if len(t) == 2:
            r0, c0 = t
            opts = [(3, lambda: f"{name} += {self.ex(self.choice([t, SCALAR, t[1:]]), d).c}"),
                    (3, lambda: f"{name} *= {self.ex(self.choice([t, SCALAR, t[1:]]), d).c}"),
                    (2, lambda: f"{name}[0] = {self.rhs_for(t[1:], d).c}"),
                    (1.5, lambda: f"{name}[:, 1] = {self.rhs_for(t[:1], d).c}"),
                    (1.5, lambda: f"{name}[{r0 - 1}, {c0 - 1}] = {self.ex(SCALAR, d).c}"),
                    (1.5, lambda: f"{name}[-1] += {self.rhs_for(t[1:], d).c}"),
                    (1, lambda: f"{name}[:, 0] *= {self.ex(SCALAR, d).c}"),
                    (1, lambda: f"{name}[{name} > 0] *= 0.5"),
                    (1, lambda: f"{name}[0, :] = 0.0"),
                    (1, lambda: f"{name}[1][0] = {self.ex(SCALAR, d).c}")]
            return self.wchoice(opts)()
        return f"{name} += {self.ex(SCALAR, d).c}"

    def mutable_arrays(self, allow_args=0.3):
        out = []
        for n, v in self.env.items():
            if v.kind == "a" and v.mutable and v.shape != SCALAR and (not v.arg or self.chance(allow_args)):
                out.append(n)
        return out

    def local_array(self, t=None, d=1):
        """Create a local array (a copy, zeros, ...) and return its name."""
        t = t or self.choice(BIG_SHAPES)
        name = self.fresh("a", t)
        src = self.leaf_of(t)
        opts = [f"np.zeros({t[0] if len(t) == 1 else t})", f"np.ones({t[0] if len(t) == 1 else t})"]
        if src is not None:
            opts += [f"{w(src, ATOM)}.copy()", f"{w(src, MUL)} * 1.0", f"np.array({src.c})",
                     f"np.zeros_like({src.c})", f"np.copy({src.c})", f"np.ones_like({src.c})"]
            opts += [f"{w(src, MUL)} * 1.0"] * 2
        else:
            opts.append(self.ex(t, d).c)
        self.emit(f"{name} = {self.choice(opts)}")
        self.define(name, arr(t))
        return name

    # -- statements -------------------------------------------------------------------------------------------
    def stmt(self, top=True):
        if self.depth == 0 and self.root.flow_rng is not None and \
                self.root.flow_rng.random() < self.root.flow_rate:
            return self.s_flow()
        if self.depth == 0 and self.root.state_rng is not None and \
                self.root.state_rng.random() < self.root.state_rate:
            return self.s_state()
        if self.depth == 0 and self.root.objects_rng is not None and \
                self.root.objects_rng.random() < self.root.objects_rate and not self.shadowed:
            return self.s_objects()
        if self.depth == 0 and self.root.index_rng is not None and \
                self.root.index_rng.random() < self.root.index_rate and not self.shadowed:
            return self.s_index()
        if self.depth == 0 and self.root.lang_rng is not None and \
                self.root.lang_rng.random() < self.root.lang_rate:
            return self.s_lang()
        opts = [(10, self.s_assign), (4, self.s_update), (5, self.s_augassign),
                (5, self.s_alias_mutate), (5, self.s_view_mutate), (4, self.s_copy_mutate),
                (3, self.s_store_mutate), (5, self.s_setitem), (2, self.s_inplace_method),
                (4, self.s_list_loop), (2, self.s_list_literal), (2, self.s_pairs), (1.5, self.s_local_dict),
                (4, self.s_if), (5, self.s_for), (3.5, self.s_for_rows), (1.5, self.s_while), (1.5, self.s_early_return),
                (1, self.s_ternary), (1.5, self.s_unpack),
                (3, self.s_call_pure), (2.5, self.s_call_mutating), (1.5, self.s_call_push), (1, self.s_call_break),
                (1, self.s_call_recursive), (2, self.s_closure_factory), (1, self.s_nested_returned),
                (1.5, self.s_decorated), (1, self.s_call_tuple), (2, self.s_lambda), (1.5, self.s_nested_def),
                (1, self.s_shadow), (1.5, self.s_container_arg), (2.5, self.s_comprehension),
                (1, self.s_global_const), (0.7, self.s_partial), (1.2, self.s_fn_table)]
        if self.depth > 0:  # helper bodies: keep them simple
            opts = [(10, self.s_assign), (4, self.s_update), (4, self.s_augassign), (2, self.s_setitem),
                    (1.5, self.s_for), (1, self.s_if)]
        self.wchoice(opts)()

    def s_flow(self):
        """One of tests/progen_flow.py's constructs, drawn from the feature's own random stream."""
        import progen_flow
        self.s_feature(progen_flow.CONSTRUCTS, self.root.flow_rng)

    def s_state(self):
        """One of tests/progen_state.py's constructs, drawn from the feature's own random stream."""
        import progen_state
        self.s_feature(progen_state.CONSTRUCTS, self.root.state_rng)

    def s_feature(self, constructs, rng):
        main, self.r = self.r, rng
        try:
            constructs.run(self)
        finally:
            self.r = main

    def s_objects(self):
        """One of tests/progen_objects.py's constructs, drawn from the feature's own random stream."""
        import progen_objects
        self.s_feature(progen_objects.CONSTRUCTS, self.root.objects_rng)

    def s_index(self):
        """One of tests/progen_index.py's constructs, drawn from the feature's own random stream."""
        import progen_index
        self.s_feature(progen_index.CONSTRUCTS, self.root.index_rng)
    def s_lang(self):
        """One of tests/progen_lang.py's constructs (lang25), drawn from the feature's own random stream."""
        import progen_lang
        self.s_feature(progen_lang.CONSTRUCTS, self.root.lang_rng)

    def s_assign(self):
        t = self.wchoice([(5, SCALAR), (5, (3,)), (3, (2, 3)), (2, (4,)), (1.5, (2,)), (0.5, (3, 2))])
        e = self.ex(t, self.choice([1, 2, 2, 3]))
        name = self.fresh("f" if t == SCALAR else "a", t)
        self.emit(f"{name} = {e.c}")
        self.define(name, scal(e.pos) if t == SCALAR else arr(t, e.pos, mutable=not self.frozen_view(e.c)),
                    want=self.chance(0.5))

    def frozen_view(self, code):
        """Is `code` a name or an indexing of an array that must not be mutated (so neither may its alias)?"""
        m = re.match(r"^(\w+)(\[[^\]]*\])?$", code)
        return bool(m) and m.group(1) in self.env and not self.env[m.group(1)].mutable

    def s_update(self):
        names = [n for n, v in self.env.items() if v.kind in ("f", "a") and (not v.arg or self.chance(0.5))
                 and not v.glob]
        if not names:
            return self.s_assign()
        n = self.choice(names)
        v = self.env[n]
        e = self.ex(v.shape, 1)
        form = self.r.randrange(4)
        if form == 0:
            self.emit(f"{n} = np.tanh({n} * 0.5 + {w(e, ADD + 1)})")
        elif form == 1:
            self.emit(f"{n} = {n} * {w(e, MUL + 1)}")
        elif form == 2:
            self.emit(f"{n} = {n} + {w(e, ADD + 1)}")
        else:
            self.emit(f"{n} = {w(e, ADD)} - {n}")
        v.pos = False
        self.want(n)

    def s_augassign(self):
        names = [n for n, v in self.env.items() if v.kind in ("f", "a") and v.shape in ALL_SHAPES + [SCALAR]]
        if not names:
            return self.s_assign()
        names = [n for n in names if self.env[n].mutable]
        if not names:
            return self.s_assign()
        n = self.choice(names)
        v = self.env[n]
        if v.kind == "f":
            op = self.choice(["+=", "*=", "-=", "+="])
            self.emit(f"{n} {op} {self.ex(SCALAR, 2).c}")
            v.pos = False
        else:
            self.emit(self.mutation(n, v, 2) if self.chance(0.3) else
                      f"{n} {self.choice(['+=', '*=', '-='])} {self.ex(self.choice([v.shape, SCALAR]), 2).c}")
            for x in self.env.values():
                if x.kind == "a":
                    x.pos = False
        self.want(n)

    def targets(self):
        """Arrays that may be mutated (directly or through an alias or a view)."""
        return [n for n, v in self.env.items() if v.kind == "a" and v.shape in ALL_SHAPES and v.mutable]

    def s_alias_mutate(self):
        arrays = self.targets()
        if not arrays:
            self.local_array()
            arrays = self.targets()
        x = self.choice(arrays)
        v = self.env[x]
        y = self.fresh("a", v.shape)
        self.emit(f"{y} = {x}")
        self.define(y, arr(v.shape, arg=False))
        self.emit(self.mutation(y, self.env[y]))
        self.want(x)
        if self.chance(0.4):
            self.want(y)
        self.features.add("alias")

    def view_of(self, x, t):
        if len(t) == 1:
            k = t[0]
            opts = [(f"{x}[1:]", (k - 1,)), (f"{x}[:2]", (2,)), (f"{x}[::-1]", t), (f"{x}[:-1]", (k - 1,)),
                    (f"np.asarray({x})", t), (f"{x}.reshape(-1)", t), (f"{x}[:]", t)]
            if k == 4:
                opts.append((f"{x}.reshape(2, 2)", (2, 2)))
        else:
            r0, c0 = t
            opts = [(f"{x}.T", (c0, r0)), (f"{x}.T", (c0, r0)), (f"{x}[0]", (c0,)), (f"{x}[-1]", (c0,)), (f"{x}[:, 1:]", (r0, c0 - 1)),
                    (f"{x}.reshape(-1)", (r0 * c0,)), (f"np.asarray({x})", t), (f"{x}[::-1]", t),
                    (f"{x}.ravel()", (r0 * c0,)), (f"{x}[:, 0]", (r0,))]
            if t == (2, 3):
                opts.append((f"{x}.reshape(3, 2)", (3, 2)))
        return self.choice(opts)

    def s_view_mutate(self):
        arrays = self.targets()
        if not arrays or self.chance(0.35):
            x = self.local_array()
        else:
            x = self.choice(arrays)
        t = self.env[x].shape
        code, vt = self.view_of(x, t)
        y = self.fresh("a", vt)
        self.emit(f"{y} = {code}")
        self.define(y, arr(vt))
        self.emit(self.mutation(y, self.env[y]))
        self.want(x)
        if self.chance(0.3):
            self.want(y)
        self.features.add("view")

    def s_copy_mutate(self):
        arrays = [n for n, v in self.env.items() if v.kind == "a" and v.shape in ALL_SHAPES]
        if not arrays:
            return self.s_assign()
        x = self.choice(arrays)
        t = self.env[x].shape
        y = self.fresh("a", t)
        self.emit(f"{y} = {self.choice([f'{x}.copy()', f'np.array({x})', f'{x} * 1.0', f'{x} * 1.0', f'{x} * 1.0', f'np.copy({x})', f'{x} + 0.0', f'1.0 * {x}', f'{x}.astype(float)'])}")
        self.define(y, arr(t))
        if len(t) == 1 and self.chance(0.35):
            self.emit(self.choice([f"{y}[1:] = 0.0", f"{y}[:-1] = 0.0", f"{y}[0] = 0.0", f"{y}[1:] *= 2.0"]))
        else:
            self.emit(self.mutation(y, self.env[y]))
        self.want(y)
        self.want(x)

    def s_store_mutate(self):
        arrays = self.targets()
        if not arrays:
            return self.s_assign()
        x = self.choice(arrays)
        t = self.env[x].shape
        form = self.r.randrange(3)
        if form == 0:
            L = self.fresh("L")
            self.emit(f"{L} = [{x}]")
            self.define(L, V("L", elem=arr(t), n=1))
            read = f"{L}[0]"
        elif form == 1:
            L = self.fresh("L")
            other = self.ex(t, 1)
            self.emit(f"{L} = [{other.c}, {x}]")
            self.define(L, V("L", elem=arr(t), n=2))
            read = f"{L}[-1]"
        else:
            D = self.fresh("D")
            self.emit(f"{D} = {{'w': {x}}}")
            self.define(D, V("D", keys={"w": arr(t)}))
            read = f"{D}['w']"
        if self.chance(0.3) and len(t) == 1:
            self.emit(f"{x}[0] = {self.ex(SCALAR, 1).c}")
        elif self.chance(0.5):
            self.emit(f"{x} += {self.choice(['1.0', '1', self.ex(SCALAR, 1).c])}")
        else:
            self.emit(self.mutation(x, self.env[x]))
        self.want(read)
        self.features.add("store")

    def s_setitem(self):
        names = self.mutable_arrays(allow_args=0.15)
        names = [n for n in names if self.env[n].shape in ALL_SHAPES]
        if not names or self.chance(0.4):
            n = self.local_array()
        else:
            n = self.choice(names)
        self.emit(self.mutation(n, self.env[n]))
        self.want(n)

    def s_inplace_method(self):
        ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1]
        if not ones:
            return self.s_setitem()
        x = self.choice(ones)
        t = self.env[x].shape
        y = self.fresh("a", t)
        form = self.r.randrange(4)
        if form == 0:
            self.emit(f"{y} = {x}.copy()")
            self.emit(f"{y}.sort()")
        elif form == 1:
            self.emit(f"{y} = {x}.copy()")
            self.emit(f"{y}[1:].fill({self.choice(['0.5', '0.0'])})")
        elif form == 2:
            self.emit(f"{y} = {x} * {w(self.ex(SCALAR, 1), MUL + 1)}")
            self.emit(f"{y}.fill({self.choice(['0.5', '2.0'])})")
        else:
            self.emit(f"{y} = {x}.copy()")
            self.emit(f"np.multiply({y}, {self.ex(SCALAR, 1).c}, out={y})")
        self.define(y, arr(t), want=True)
        self.features.add("method")

    # containers
    def s_list_loop(self):
        L = self.fresh("L")
        t = self.wchoice([(3, (3,)), (2, SCALAR), (1, (2, 3))])
        self.emit(f"{L} = []")
        bound = self.loop_header()
        self.define(L, V("L", elem=arr(t) if t else scal(), n=None))
        e = self.ex(t, 2)
        if self.chance(0.2):
            self.emit(f"if {self.cond()}:")
            self.ind += 1
            self.emit("continue")
            self.ind -= 1
            bound = None  # the list may stay empty
        self.emit(f"{L}.append({e.c})")
        self.end_loop()
        uses = []
        if t == SCALAR:
            uses = [f"sum({L})" if self.bi("sum") else f"np.sum({L})", f"np.mean({L})" if bound else f"np.sum({L})",
                    f"np.sum(np.array({L}))"]
            if bound and bound > 0:
                uses.append(f"{L}[-1]")
            rt = SCALAR
        else:
            uses = [f"np.sum({L}, axis=0)" if bound else f"np.sum(np.array({L}))"]
            if bound and bound > 0:
                uses += [f"np.stack({L}).sum(axis=0)", f"{L}[-1]", f"np.mean(np.stack({L}), axis=0)"]
                if bound > 1:
                    uses += [f"{L}[0] * {L}[1]", f"sum({L}[:-1])" if self.bi("sum") else f"{L}[0]"]
            if self.bi("sum") and bound and bound > 0:
                uses.append(f"sum({L})")
            rt = t
        u = self.choice(uses)
        if u.startswith("np.sum(np.array"):
            rt = SCALAR
        if bound and bound > 0:
            self.env[L].n = bound
        if self.chance(0.7):
            name = self.fresh("f" if rt == SCALAR else "a", rt)
            self.emit(f"{name} = {u}")
            self.define(name, scal() if rt == SCALAR else arr(rt), want=True)
        else:
            self.want(f"np.sum({u})" if rt != SCALAR else u)
        self.features.add("list")

    def s_list_literal(self):
        t = self.choice([(3,), SCALAR, (2, 3)])
        L = self.fresh("L")
        n = self.choice([2, 3])
        self.emit(f"{L} = [{', '.join(self.ex(t, 1).c for _ in range(n))}]")
        self.define(L, V("L", elem=arr(t) if t else scal(), n=n))
        uses = [f"{L}[-1]", f"{L}[0]"]
        if self.bi("sum"):
            uses += [f"sum({L}[:-1])", f"sum({L}[1:])", f"sum({L})"]
        if t != SCALAR:
            uses += [f"np.stack({L})[1]", f"np.concatenate({L}[1:])" if len(t) == 2 else f"np.stack({L}[:-1]).sum(axis=0)"]
        if self.chance(0.4) and t != SCALAR and not any(not v.mutable for v in self.env.values() if v.kind == "a"):
            # loop over the list mutating its elements (they may alias other variables)
            self.emit(f"for item in {L}[:-1]:")
            self.ind += 1
            self.emit(f"item *= {self.choice(['2.0', '0.5'])}")
            self.ind -= 1
        u = self.choice(uses)
        name = self.fresh("f" if t == SCALAR else "a", t)
        if "concatenate" in u:
            self.emit(f"{name} = np.sum({u}, axis=0)")
            self.define(name, arr(t[1:]) if len(t) == 2 else scal(), want=True)
        else:
            self.emit(f"{name} = {u}")
            self.define(name, scal() if t == SCALAR else arr(t), want=True)
        self.features.add("list")

    def s_pairs(self):
        P = self.fresh("T")
        ta = self.choice([SCALAR, (3,)])
        n = self.choice([2, 3])
        items = ", ".join(f"({self.ex(ta, 1).c}, {self.ex(SCALAR, 1).c})" for _ in range(n))
        self.emit(f"{P} = [{items}]")
        self.define(P, V("T", elem=(arr(ta) if ta else scal(), scal()), n=n))
        self.use_pairs(P, ta)
        self.features.add("pairs")

    def use_pairs(self, P, ta):
        form = self.r.randrange(3)
        if form == 0:
            p, q = self.fresh("f"), self.fresh("f")
            self.emit(f"{p}, {q} = {P}[{self.choice(['0', '-1'])}]")
            self.define(p, arr(ta) if ta else scal())
            self.define(q, scal())
            self.want(p)
            self.want(q)
        else:
            acc = self.fresh("a" if ta else "f", ta)
            init = self.leaf_of(ta)
            self.emit(f"{acc} = {init.c if init is not None and self.chance(0.7) else ('0.0' if not ta else 'np.zeros(3)')}")
            sl = self.choice(["", "[:-1]", "[1:]", ""])
            self.emit(f"for a, b in {P}{sl}:")
            self.ind += 1
            self.loop_level += 1
            self.define(acc, arr(ta) if ta else scal())
            self.env["a"] = arr(ta) if ta else scal()
            self.env["b"] = scal()
            if self.chance(0.5):
                self.emit(f"{acc} = np.tanh({acc} * a + b)")
            else:
                self.emit(f"{acc} = {acc} + a * b")
            self.loop_level -= 1
            del self.env["a"], self.env["b"]
            self.ind -= 1
            self.want(acc)

    def s_local_dict(self):
        D = self.fresh("D")
        t = self.choice([(3,), (2, 3)])
        self.emit(f"{D} = {{'w': {self.ex(t, 1).c}, 'b': {self.ex(SCALAR, 1).c}}}")
        self.define(D, V("D", keys={"w": arr(t), "b": scal()}))
        if self.chance(0.5):
            self.emit(f"{D}['w'] {self.choice(['+=', '*='])} {self.ex(self.choice([t, SCALAR]), 1).c}")
        if self.chance(0.3):
            self.emit(f"{D}['b'] = {D}['b'] * {self.ex(SCALAR, 1).c}")
        self.want(f"{D}['w']")
        self.want(f"{D}['b']")
        self.features.add("dict")

    def s_container_arg(self):
        conts = [(n, v) for n, v in self.env.items() if v.kind in ("L", "T", "D") and v.arg]
        if not conts:
            return self.s_list_literal()
        n, v = self.choice(conts)
        if v.kind == "T":
            return self.use_pairs(n, v.elem[0].shape)
        if v.kind == "L":
            t = v.elem.shape
            form = self.r.randrange(4)
            acc = self.fresh("a" if t else "f", t)
            if form == 0:
                self.emit(f"{acc} = {'0.0' if not t else f'np.zeros({t[0] if len(t) == 1 else t})'}")
                self.emit(f"for item in {n}{self.choice(['', '[:-1]', '[1:]'])}:")
                self.ind += 1
                self.emit(f"{acc} = {acc} + item * {w(self.ex(SCALAR, 1), MUL + 1)}")
                self.ind -= 1
            elif form == 1 and self.bi("sum"):
                self.emit(f"{acc} = sum({n}) * {w(self.ex(SCALAR, 1), MUL + 1)}")
            elif form == 2 and t:
                self.emit(f"{acc} = np.stack({n}).{self.choice(['sum', 'mean', 'max'])}(axis=0)")
            else:
                self.emit(f"for i, item in enumerate({n}):")
                self.ind += 1
                self.emit(f"item {self.choice(['*=', '+='])} {self.choice(['2.0', 'i'])}")
                self.ind -= 1
                self.emit(f"{acc} = {n}[0] + {n}[-1]")
            self.define(acc, arr(t) if t else scal(), want=True)
            return
        key = self.choice(list(v.keys))
        kv = v.keys[key]
        if kv.kind == "a" and self.chance(0.4):
            self.emit(f"{n}[{key!r}] += {self.ex(SCALAR, 1).c}")
        else:
            acc = self.fresh("f")
            self.emit(f"{acc} = 0.0")
            self.emit(f"for key in {n}:")
            self.ind += 1
            self.emit(f"{acc} = {acc} + np.sum({n}[key] ** 2)")
            self.ind -= 1
            self.define(acc, scal(), want=True)

    # control flow
    def loop_header(self):
        """Emit a `for` header over a range and enter the body; returns the trip count (None: unknown)."""
        ints = [n for n, v in self.env.items() if v.kind == "i" and v.arg]
        opts = [(3, ("range(3)", 3)), (2, ("range(2)", 2)), (1, ("range(0)", 0)), (1, ("range(1, 3)", 2)),
                (1, ("range(2, 2)", 0)), (1, ("range(4)", 4))]
        if ints:
            n = self.choice(ints)
            opts.append((3, (f"range({n})", None)))
        ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1 and v.shape[0] <= 4]
        if ones and self.bi("len"):
            x = self.choice(ones)
            opts.append((1.5, (f"range(len({x}))", self.env[x].shape[0])))
        it, bound = self.wchoice(opts)
        var = "i" if self.loop_level == 0 else "j"
        self.emit(f"for {var} in {it}:")
        self.ind += 1
        self.loop_level += 1
        hi = 3 if bound is None else max(bound, 0)
        if it.startswith("range(1, 3)"):
            hi = 3
        self.env[var] = V("i", bound=hi)
        self._loopvar = var
        return bound

    def end_loop(self):
        self.ind -= 1
        self.loop_level -= 1
        var = "i" if self.loop_level == 0 else "j"
        self.env.pop(var, None)

    def body(self, n, idx=None, elem=None):
        """Update statements inside a loop or branch (at least one line: `pass` when nothing fits)."""
        start = len(self.lines)
        self._body(n, idx, elem)
        if len(self.lines) == start:
            self.emit("pass")

    def _body(self, n, idx=None, elem=None):
        for _ in range(n):
            k = self.wchoice([(4, "acc"), (3, "setidx"), (1.5, "mut"), (1, "break"), (1.5, "elem")])
            if k == "setidx" and idx is not None:
                bound = self.env[idx].bound
                cands = [x for x, v in self.env.items() if v.kind == "a" and v.shape and v.shape[0] >= bound
                         and not v.arg and x != elem]
                if cands:
                    x = self.choice(cands)
                    t = self.env[x].shape
                    op = self.choice(["=", "+=", "*=", "="])
                    self.emit(f"{x}[{idx}] {op} {self.ex(t[1:], 1).c}")
                    self.want(x)
                    continue
            if k == "mut":
                cands = [x for x in self.mutable_arrays(0.2) if self.env[x].shape in ALL_SHAPES]
                if cands:
                    x = self.choice(cands)
                    self.emit(self.mutation(x, self.env[x]))
                    self.want(x)
                    continue
            if k == "break" and self.loop_level > 0 and not self.in_while:
                self.emit(f"if {self.cond()}:")
                self.ind += 1
                self.emit(self.choice(["break", "continue"]))
                self.ind -= 1
                continue
            if k == "elem" and elem is not None and self.env[elem].kind == "a":
                self.emit(self.mutation(elem, self.env[elem]) if self.chance(0.4) else
                          f"{elem} {self.choice(['*=', '+='])} {self.ex(SCALAR, 1).c}")
                continue
            accs = [x for x, v in self.env.items() if v.kind in ("f", "a") and not v.arg and v.shape in
                    ALL_SHAPES + [SCALAR] and x not in ("i", "j") and x != elem]
            if not accs:
                continue
            x = self.choice(accs)
            t = self.env[x].shape
            e = self.ex(self.choice([t, SCALAR]) if t else SCALAR, 2)
            form = self.r.randrange(3)
            if form == 0:
                self.emit(f"{x} = {x} + {w(e, ADD + 1)}")
            elif form == 1:
                self.emit(f"{x} {self.choice(['+=', '*=', '-='])} {e.c}")
            else:
                self.emit(f"{x} = {x} * 0.5 + {w(e, ADD + 1)}")
            self.env[x].pos = False
            self.want(x)

    def accumulators(self):
        """Variables created before a loop, updated in it."""
        k = self.r.randrange(5)
        if k == 0:
            a = self.fresh("f")
            self.emit(f"{a} = {self.choice(['0.0', '1.0', self.ex(SCALAR, 1).c])}")
            self.define(a, scal())
        elif k == 1:
            t = self.choice(BIG_SHAPES)
            src = self.leaf_of(t)
            a = self.fresh("a", t)
            if src is not None and self.chance(0.6) and all(v.mutable for n, v in self.env.items() if n == src.c):
                self.emit(f"{a} = {src.c}")  # an alias: `h += ...` in the loop mutates the source
                self.features.add("alias")
            else:
                self.emit(f"{a} = np.zeros({t[0] if len(t) == 1 else t})")
            self.define(a, arr(t))
        elif k == 2:
            self.local_array()
        else:
            a = self.fresh("f")
            self.emit(f"{a} = 0.0")
            self.define(a, scal())

    def s_for(self):
        if self.depth == 0 or self.chance(0.5):
            self.accumulators()
        self.loop_header()
        idx = self._loopvar
        self.body(self.choice([1, 2, 2, 3]), idx=idx)
        self.end_loop()
        self.features.add("for")

    def s_for_rows(self):
        twod = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 2 and v.mutable]
        oned = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1]
        form = self.wchoice([(4, 0), (2, 1), (1.5, 2), (1.5, 3)])
        if form == 0 and twod:
            A = self.choice(twod)
            self.emit(f"for row in {A}:")
            self.ind += 1
            self.loop_level += 1
            self.env["row"] = arr(self.env[A].shape[1:])
            if self.chance(0.6):
                self.emit(self.choice([f"row *= {self.choice(['2.0', '0.5'])}", f"row += {self.ex(SCALAR, 1).c}",
                                       f"row[0] = {self.ex(SCALAR, 1).c}"]))
                self.want(A)
            self.body(1, elem="row")
            del self.env["row"]
        elif form == 1 and twod:
            A = self.choice(twod)
            self.accumulators()
            self.emit(f"for i, row in enumerate({A}):")
            self.ind += 1
            self.loop_level += 1
            self.env["row"] = arr(self.env[A].shape[1:])
            self.env["i"] = V("i", bound=self.env[A].shape[0])
            self.body(self.choice([1, 2]), idx="i", elem="row")
            del self.env["row"], self.env["i"]
        elif form == 2 and len(oned) >= 1:
            x = self.choice(oned)
            same = [n for n in oned if self.env[n].shape == self.env[x].shape]
            y = self.choice(same)
            acc = self.fresh("f")
            self.emit(f"{acc} = 0.0")
            self.emit(f"for p, q in zip({x}, {y}):")
            self.ind += 1
            self.loop_level += 1
            self.env["p"], self.env["q"] = scal(), scal()
            self.define(acc, scal())
            self.emit(f"{acc} = {acc} + {self.choice(['p * q', 'np.sin(p) * q', 'p * p - q'])}")
            self.body(self.choice([0, 1]))
            del self.env["p"], self.env["q"]
            self.want(acc)
        else:
            if not oned:
                x = self.local_array((3,))
            else:
                x = self.choice(oned)
            acc = self.fresh("f")
            self.emit(f"{acc} = {self.choice(['0.0', '1.0'])}")
            self.define(acc, scal())
            self.emit(f"for el in {x}:")
            self.ind += 1
            self.loop_level += 1
            self.env["el"] = scal()
            self.emit(f"{acc} = {self.choice([f'{acc} + el * el', f'{acc} * 0.5 + np.sin(el)', f'{acc} + el'])}")
            self.body(self.choice([0, 1]))
            del self.env["el"]
            self.want(acc)
        self.ind -= 1
        self.loop_level -= 1
        self.features.add("for")

    def s_while(self):
        self.accumulators()
        k = self.fresh("i")
        self.emit(f"{k} = 0")
        bound = self.choice([2, 3])
        self.emit(f"while {k} < {bound}:" if self.chance(0.7) else f"while {k} < {bound} and {self.cond()}:")
        self.ind += 1
        self.loop_level += 1
        self.emit(f"{k} += 1")
        self.env[k] = V("i", bound=bound + 1)
        old = self.in_while
        self.in_while = True
        self.body(self.choice([1, 2]))
        if self.chance(0.3):
            self.emit(f"if {self.cond()}:")
            self.ind += 1
            self.emit("break")
            self.ind -= 1
        self.in_while = old
        self.ind -= 1
        self.loop_level -= 1
        del self.env[k]
        self.features.add("while")

    def s_if(self):
        self.emit(f"if {self.cond()}:")
        self.ind += 1
        self.body(self.choice([1, 2]))
        self.ind -= 1
        if self.chance(0.7):
            self.emit("else:", stmt=False)
            self.ind += 1
            if self.chance(0.15) and self.depth == 0:
                self.emit(f"return {self.ex(SCALAR, 2).c}")
            else:
                self.body(self.choice([1, 2]))
            self.ind -= 1
        self.features.add("if")

    def s_early_return(self):
        self.accumulators()
        self.loop_header()
        idx = self._loopvar
        self.emit(f"if {self.cond()}:")
        self.ind += 1
        self.emit(f"return {self.ex(SCALAR, 2).c}")
        self.ind -= 1
        self.body(1, idx=idx)
        self.end_loop()
        self.features.add("early-return")

    def s_ternary(self):
        t = self.choice([SCALAR, (3,)])
        name = self.fresh("f" if t == SCALAR else "a", t)
        self.emit(f"{name} = {w(self.ex(t, 1), CMP)} if {self.cond()} else {w(self.ex(t, 1), CMP)}")
        self.define(name, scal() if t == SCALAR else arr(t), want=True)

    def s_unpack(self):
        a, b = self.fresh("f"), self.fresh("f")
        ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1 and v.shape[0] >= 2]
        if ones and self.chance(0.5):
            x = self.choice(ones)
            self.emit(f"{a}, {b} = {x}[0], {x}[-1]")
        else:
            self.emit(f"{a}, {b} = {self.ex(SCALAR, 1).c}, {self.ex(SCALAR, 1).c}")
        if self.chance(0.5):
            self.emit(f"{a}, {b} = {b}, {a} * {b}")
        self.define(a, scal(), want=True)
        self.define(b, scal(), want=True)

    def s_shadow(self):
        # a name assigned anywhere in f is local in all of f: only shadow builtins f has not called yet
        text = "\n".join(self.lines)
        free = [b for b in ("len", "sum", "max", "abs", "min")
                if b not in self.shadowed and not re.search(rf"(?<![.\w]){b}\(", text)]
        if not free:
            return self.s_assign()
        name = self.choice(free)
        if name == "len":
            self.emit("len = 2.0")
            self.shadowed.add("len")
            self.env["len"] = scal(pos=True)
        else:
            t, a = self.some_array(1)
            self.emit(f"{name} = np.{name}({a.c})")
            self.shadowed.add(name)
            self.env[name] = scal() if name != "abs" else arr(t)
        self.want(name)
        self.features.add("shadow")

    # helpers ---------------------------------------------------------------------------------------------
    def add_helper(self, src):
        self.root.helpers.append(src.strip("\n"))

    def arg_for(self, t):
        e = self.leaf_of(t)
        return e if e is not None and self.chance(0.75) else self.ex(t, 1)

    def s_call_pure(self):
        if self.root is not self and self.depth > 1:
            return self.s_assign()
        t = self.choice([SCALAR, (3,), (2, 3), (4,)])
        t2 = self.choice([SCALAR, t])
        name = self.helper_name(self.choice(["h", "layer", "score", "feat", "lin"]))
        sub = Gen(self.r, self.root, depth=self.depth + 1)
        params = ["a", "b"]
        sub.env = {"a": arr(t, arg=True) if t else scal(arg=True), "b": arr(t2, arg=True) if t2 else scal(arg=True)}
        if any(not v.mutable for v in self.root.env.values()):
            for v in sub.env.values():
                v.mutable = False
        sub.taken_local = set(params)
        for _ in range(self.choice([0, 1, 2])):
            sub.stmt(top=False)
        rt = self.choice([SCALAR, t])
        ret = sub.ex(rt, 2)
        default = self.chance(0.25)
        sig = "a, b=0.5" if default and not t2 else "a, b"
        body = "\n".join(sub.lines)
        self.add_helper(f"def {name}({sig}):\n{body}\n    return {ret.c}\n" if body else
                        f"def {name}({sig}):\n    return {ret.c}\n")
        a = self.arg_for(t)
        if default and not t2 and self.chance(0.5):
            call = f"{name}({a.c})"
        elif self.chance(0.2):
            call = f"{name}({a.c}, b={self.arg_for(t2).c})"
        else:
            call = f"{name}({a.c}, {self.arg_for(t2).c})"
        r = self.fresh("f" if rt == SCALAR else "a", rt)
        self.emit(f"{r} = {call}")
        self.define(r, scal() if rt == SCALAR else arr(rt), want=True)
        self.features.add("helper")

    def s_call_mutating(self):
        t = self.choice([(3,), (4,), (2, 3)])
        name = self.helper_name(self.choice(["inc", "bump", "fix", "update"]))
        if len(t) == 1:
            stmt = self.choice(["a[0] = a[1] * 3.0", "a += b", "a *= b", "a[1:] = a[:-1] * b", "a[-1] += b",
                                "a[a > 0] *= b"])
        else:
            stmt = self.choice(["a[0] = a[1] * 3.0", "a += b", "a[:, 0] *= b", "a[1] += b", "a *= b"])
        ret = self.choice(["    return a\n", "    return a\n", "    return np.sum(a)\n", ""])
        self.add_helper(f"def {name}(a, b):\n    {stmt}\n{ret}")
        cands = [n for n, v in self.env.items() if v.kind == "a" and v.shape == t and v.mutable
                 and (not v.arg or self.chance(0.4))]
        x = self.choice(cands) if cands else self.local_array(t)
        b = self.ex(SCALAR, 1)
        if ret.strip() == "return a":
            z = self.fresh("a", t)
            self.emit(f"{z} = {name}({self.choice([x, x, f'{x}.copy()'])}, {b.c})")
            self.define(z, arr(t), want=True)
        elif ret:
            z = self.fresh("f")
            self.emit(f"{z} = {name}({x}, {b.c})")
            self.define(z, scal(), want=True)
        else:
            self.emit(f"{name}({x}, {b.c})")
        self.want(x)
        self.features.add("helper-mutates")

    def s_call_push(self):
        name = self.helper_name(self.choice(["push", "record", "add_to"]))
        self.add_helper(f"def {name}(lst, v):\n    lst.append({self.choice(['v * 2.0', 'np.tanh(v)', 'v', 'v ** 2'])})\n")
        L = self.fresh("L")
        t = self.choice([(3,), SCALAR])
        self.emit(f"{L} = []")
        self.define(L, V("L", elem=arr(t) if t else scal(), n=None))
        if self.chance(0.6):
            bound = self.loop_header()
            self.emit(f"{name}({L}, {self.ex(t, 1).c})")
            self.end_loop()
            n = bound
        else:
            n = self.choice([1, 2])
            for _ in range(n):
                self.emit(f"{name}({L}, {self.ex(t, 1).c})")
        self.env[L].n = n
        if n:
            self.want(f"{L}[-1]")
        self.want(f"np.sum(np.array({L}))")
        self.features.add("helper-push")

    def s_call_break(self):
        name = self.helper_name(self.choice(["first_big", "scan", "until"]))
        self.add_helper(f"""
def {name}(v, t):
    acc = 0.0
    for e in v:
        if e > t:
            break
        acc = acc + {self.choice(['e * e', 'np.sin(e)', 'e * t'])}
    return acc
""")
        ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1]
        x = self.choice(ones) if ones else self.ex((3,), 1).c
        r = self.fresh("f")
        self.emit(f"{r} = {name}({x}, {self.choice(['0.5', '0.8', self.ex(SCALAR, 1).c])})")
        self.define(r, scal(), want=True)
        self.features.add("helper-break")

    def s_call_recursive(self):
        name = self.helper_name(self.choice(["rsum", "rec", "power"]))
        if self.chance(0.5):
            self.add_helper(f"""
def {name}(v, k):
    if k <= 0:
        return v[0]
    return v[k] * {self.choice(['0.5', '2.0'])} + {name}(v, k - 1)
""")
            ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1]
            x = self.choice(ones) if ones else self.local_array((3,))
            call = f"{name}({x}, {self.env[x].shape[0] - 1 if x in self.env else 2})"
        else:
            self.add_helper(f"""
def {name}(x, k):
    if k == 0:
        return 1.0
    return x * {name}(x, k - 1)
""")
            call = f"{name}({self.ex(self.choice([SCALAR, (3,)]), 1).c}, {self.choice([1, 2, 3])})"
        r = self.fresh("f")
        self.emit(f"{r} = np.sum({call})")
        self.define(r, scal(), want=True)
        self.features.add("recursion")

    def s_closure_factory(self):
        name = self.helper_name(self.choice(["make", "scaler", "factory"]))
        body = self.choice(["t * c", "t * c + 1.0", "np.sin(t) * c", "c * t ** 2"])
        self.add_helper(f"def {name}(c):\n    return lambda t: {body}\n")
        g = self.fresh("fn")
        self.emit(f"{g} = {name}({self.ex(SCALAR, 2).c})")
        self.define(g, V("fn"))
        t = self.choice([SCALAR, (3,), SCALAR])
        r = self.fresh("f" if t == SCALAR else "a", t)
        self.emit(f"{r} = {g}({self.choice(['2.0', self.ex(t, 1).c]) if t == SCALAR else self.ex(t, 1).c})")
        self.define(r, scal() if t == SCALAR else arr(t), want=True)
        self.features.add("closure")

    def s_nested_returned(self):
        name = self.helper_name(self.choice(["make_affine", "make_layer", "curry"]))
        self.add_helper(f"""
def {name}(a, b):
    def inner(t):
        return {self.choice(['a * t + b', 'np.tanh(a * t) + b', 'a * (t + b)'])}
    return inner
""")
        g = self.fresh("fn")
        self.emit(f"{g} = {name}({self.ex(SCALAR, 1).c}, {self.ex(SCALAR, 1).c})")
        self.define(g, V("fn"))
        t = self.choice([SCALAR, (3,), (2, 3)])
        r = self.fresh("f" if t == SCALAR else "a", t)
        self.emit(f"{r} = {g}({self.ex(t, 1).c})")
        self.define(r, scal() if t == SCALAR else arr(t), want=True)
        self.features.add("closure")

    def s_decorated(self):
        deco = self.helper_name("doubled")
        name = self.helper_name(self.choice(["energy", "penalty", "cost"]))
        self.add_helper(f"""
def {deco}(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return wrapper


@{deco}
def {name}(v, s):
    return {self.choice(['np.sum(v ** 2) * s', 'np.sum(np.sin(v)) + s', 'np.mean(v * s)'])}
""")
        t = self.choice([(3,), (2, 3), (4,)])
        r = self.fresh("f")
        self.emit(f"{r} = {name}({self.arg_for(t).c}, {self.arg_for(SCALAR).c})")
        self.define(r, scal(), want=True)
        self.features.add("decorator")

    def s_call_tuple(self):
        name = self.helper_name(self.choice(["split", "head_tail", "parts"]))
        self.add_helper(f"def {name}(v):\n    return v[0], v[1:] * {self.choice(['2.0', '0.5'])}\n")
        ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1 and v.shape[0] in (3, 4)]
        x = self.choice(ones) if ones else self.local_array((3,))
        a, b = self.fresh("f"), self.fresh("a", (2,))
        self.emit(f"{a}, {b} = {name}({x})")
        self.define(a, scal(), want=True)
        self.define(b, arr((self.env[x].shape[0] - 1,)), want=True)
        self.features.add("helper")

    def s_lambda(self):
        g = self.fresh("fn")
        c = self.leaf(SCALAR)
        self.emit(f"{g} = lambda t: {self.choice([f't * t + {w(c, ADD + 1)}', f't * {w(c, MUL + 1)}', f'np.sin(t) * {w(c, MUL + 1)}'])}")
        self.define(g, V("fn"))
        if self.chance(0.3):  # late binding: rebind the captured name before the call
            names = [n for n, v in self.env.items() if v.kind == "f" and n in c.c.split() and not v.arg]
            if names:
                self.emit(f"{names[0]} = {names[0]} + 1.0")
        t = self.choice([SCALAR, (3,), (2, 3)])
        r = self.fresh("f" if t == SCALAR else "a", t)
        self.emit(f"{r} = {g}({self.ex(t, 1).c})")
        self.define(r, scal() if t == SCALAR else arr(t), want=True)
        self.features.add("lambda")

    def s_nested_def(self):
        name = self.fresh("fn")
        t = self.choice([(3,), (2, 3), SCALAR])
        cap = self.leaf_of(t)
        cap = cap.c if cap is not None else "0.5"
        self.emit(f"def {name}(t):")
        self.ind += 1
        self.emit(f"return {self.choice([f'np.tanh(t) * {cap}', f't * {cap} + 1.0', f'np.sum(t * {cap})'])}")
        self.ind -= 1
        self.define(name, V("fn"))
        r = self.fresh("f")
        self.emit(f"{r} = np.sum({name}({self.ex(t, 1).c}))")
        self.define(r, scal(), want=True)
        self.features.add("nested-def")

    def s_comprehension(self):
        lists = [(n, v) for n, v in self.env.items() if v.kind == "L" and v.n]
        ones = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 1 and v.shape[0] <= 4]
        twod = [n for n, v in self.env.items() if v.kind == "a" and len(v.shape) == 2]
        form = self.r.randrange(5)
        if form == 0 and lists:
            L, v = self.choice(lists)
            t = v.elem.shape
            M = self.fresh("L")
            self.emit(f"{M} = [{self.choice(['np.sin(item)', 'item * 2.0', 'item ** 2'])} * "
                      f"{w(self.ex(SCALAR, 1), MUL + 1)} for item in {L}]")
            self.define(M, V("L", elem=arr(t) if t else scal(), n=v.n))
            self.want(f"{M}[-1]")
            if self.bi("sum"):
                r = self.fresh("a" if t else "f", t)
                self.emit(f"{r} = sum({M})")
                self.define(r, arr(t) if t else scal(), want=True)
        elif form == 1 and ones:
            x = self.choice(ones)
            k = self.env[x].shape[0]
            M = self.fresh("L")
            rng = f"range(len({x}))" if self.bi("len") else f"range({k})"
            self.emit(f"{M} = [{x}[i] * {self.choice(['(i + 1.0)', 'i', '2.0', x + '[i]'])} for i in {rng}]")
            self.define(M, V("L", elem=scal(), n=k))
            r = self.fresh("a", (k,))
            self.emit(f"{r} = np.array({M})")
            self.define(r, arr((k,)), want=True)
        elif form == 2 and (lists or ones) and self.bi("sum"):
            r = self.fresh("f")
            if lists and (not ones or self.chance(0.6)):
                L, v = self.choice(lists)
                t = v.elem.shape
                self.emit(f"{r} = sum(np.sum(item * {w(self.ex(t, 1), MUL + 1)}) for item in {L})")
            else:
                x = self.choice(ones)
                self.emit(f"{r} = sum(el ** 2 for el in {x}{self.choice(['', '[1:]', '[::-1]'])})")
            self.define(r, scal(), want=True)
        elif form == 3 and twod:
            A = self.choice(twod)
            t = self.env[A].shape
            r = self.fresh("a", t)
            self.emit(f"{r} = np.array([row * {w(self.ex(SCALAR, 1), MUL + 1)} for row in {A}])")
            self.define(r, arr(t), want=True)
        else:
            dicts = [(n, v) for n, v in self.env.items() if v.kind == "D"]
            if not dicts:
                return self.s_list_literal()
            D, v = self.choice(dicts)
            E2 = self.fresh("D")
            self.emit(f"{E2} = {{key: val * {w(self.ex(SCALAR, 1), MUL + 1)} for key, val in {D}.items()}}")
            self.define(E2, V("D", keys=dict(v.keys)), want=True)
        self.features.add("comprehension")

    def s_global_const(self):
        name = self.helper_name(self.choice(["SCALE", "OFFSET", "RATE", "BIAS"]))
        t = self.choice([SCALAR, SCALAR, (3,)])
        if t:
            self.root.helpers.append(f"{name} = np.array([0.25, -0.5, 1.5])")
        else:
            self.root.helpers.append(f"{name} = {self.choice(['0.5', '1.5', '2.0', '0.75'])}")
        gv = arr(t, arg=True, mutable=False) if t else scal(pos=True, arg=True, mutable=False)
        gv.glob = True
        self.root.env[name] = gv
        x = self.ex(t, 1)
        r = self.fresh("a" if t else "f", t)
        self.emit(f"{r} = {w(x, MUL)} * {name}" if self.chance(0.5) else f"{r} = {w(x, ADD)} + {name}")
        self.define(r, arr(t) if t else scal(), want=True)
        self.features.add("global")

    def s_partial(self):
        name = self.helper_name(self.choice(["affine", "shift_scale"]))
        self.add_helper(f"def {name}(v, a, b=0.5):\n    return v * a + b\n")
        g = self.fresh("fn")
        self.emit(f"{g} = functools.partial({name}, {self.choice(['a=' + self.ex(SCALAR, 1).c, 'b=2.0, a=1.5'])})")
        self.define(g, V("fn"))
        t = self.choice([SCALAR, (3,)])
        r = self.fresh("f" if t == SCALAR else "a", t)
        self.emit(f"{r} = {g}({self.ex(t, 1).c})")
        self.define(r, scal() if t == SCALAR else arr(t), want=True)
        self.features.add("partial")

    def s_fn_table(self):
        """A function chosen from a table by a value known only when it runs: `ACTS[n % 3](x)` (a table of the
        module, a list or dict made in f with a lambda reading f's values, an int key or a loop counter)."""
        t = self.choice([SCALAR, (3,), (2, 3)])
        n = self.choice([2, 3])
        local = self.chance(0.4)
        pool = ["np.tanh", "np.sin", "np.cos", "np.arctan"]
        entries, defs = [], []
        for _ in range(n):
            r = self.r.random()
            if r < 0.45:
                entries.append(self.choice(pool))
            elif r < 0.75 or not local:
                name = self.helper_name(self.choice(["act", "squash", "bend"]))
                c = self.choice(["0.5", "1.5", "-0.7"])
                defs.append(f"def {name}(v):\n    return v * {c} + np.sin(v) * v\n")
                entries.append(name)
            else:
                entries.append(f"lambda v: v * {w(self.leaf(SCALAR), MUL)}")
        as_dict = self.chance(0.3)
        keys = [3, 7, 11][:n]
        table = "{" + ", ".join(f"{k}: {e}" for k, e in zip(keys, entries)) + "}" if as_dict else \
            ("(" if self.chance(0.3) else "[") + ", ".join(entries) + ("," if n == 1 else "")
        if not as_dict:
            table += ")" if table.startswith("(") else "]"
        if local:
            for d in defs:
                self.add_helper(d)
            name = self.fresh("fn")
            self.emit(f"{name} = {table}")
        else:  # (one chunk: the table after the functions it holds)
            name = self.helper_name(self.choice(["ACTS", "TABLE", "LAYERS"]))
            self.add_helper("\n\n".join(defs + [f"{name} = {table}\n"]))
        ints = [v for v, val in self.env.items() if val.kind == "i"]
        if ints and self.chance(0.7):
            i = self.choice(ints)
            pos = self.choice([f"{i} % {n}", f"-1 - {i} % {n}", f"({i} + 1) % {n}"])
        else:
            pos = f"int(abs({self.leaf(SCALAR).c}) * 10) % {n}"
        key = f"{tuple(keys)}[{pos}]" if as_dict else pos
        x = self.ex(t, 1)
        r = self.fresh("f" if t == SCALAR else "a", t)
        if self.chance(0.3):
            g = self.fresh("fn")
            self.emit(f"{g} = {name}[{key}]")
            self.emit(f"{r} = {g}({x.c})")
        else:
            self.emit(f"{r} = {name}[{key}]({x.c})")
        self.define(r, scal() if t == SCALAR else arr(t), want=True)
        self.features.add("fn-table")

    # -- the final return ------------------------------------------------------------------------------------
    def term(self, code):
        """A scalar term reading `code` (a name or an access)."""
        v = self.lookup(code)
        if v is None or v.kind == "i":
            return code
        if v.kind == "f":
            return self.choice([code, f"{code} ** 2", f"{code} * {w(self.leaf(SCALAR), MUL + 1)}", code])
        if v.kind == "a":
            t = v.shape
            partners = [n for n, x in self.env.items() if x.kind == "a" and x.shape == t and n != code and x.arg]
            opts = [f"np.sum({code} ** 2)", f"np.sum(np.sin({code}))", f"np.sum({code})"]
            if partners:
                opts += [f"np.sum({code} * {self.choice(partners)})"] * 3
            return self.choice(opts)
        if v.kind == "L":
            if v.elem.kind == "a":
                return f"np.sum(np.array({code}))" if not v.n else f"np.sum({code}[-1] ** 2)"
            return f"np.sum(np.array({code}))"
        if v.kind == "D":
            return " + ".join(f"np.sum({code}[{k!r}])" for k in v.keys)
        if v.kind == "T":
            return f"np.sum({code}[0][0])"
        if v.kind == "fn":
            return f"np.sum({code}(1.5))"
        return code

    def readable(self, code):
        """Do all the names `code` reads exist (as non-loop variables) at the end of f?"""
        ids = re.findall(r"(?<![.\w'])[A-Za-z_]\w*", code)
        known = {"np", "math", "sum", "len", "max", "min", "abs", "float"}
        return all((i in self.env and self.env[i].kind != "i") or (i in known and i not in self.env)
                   for i in ids)

    def lookup(self, code):
        if code in self.env:
            return self.env[code]
        for c, v, _ in self.leaves():
            if c == code:
                return v
        if code.startswith("np.") or "(" in code:
            return V("f")
        return None

    def finish(self, wrt_names):
        codes = [c for c in self.wants if self.readable(c)][-3:]
        codes += [c for c in self.root.must if c not in codes and self.readable(c)]
        terms = [self.term(c) for c in codes]
        if not terms or self.chance(0.5):
            n = self.choice(wrt_names)
            terms.append(self.term(n))
        if getattr(self.root, "vector", False):  # (explore.py --mode vector: an array output, tests/progen_vector.py)
            import progen_vector
            self.emit(f"return {progen_vector.array_return(self, terms)}")
            return
        self.emit(f"return {' + '.join(terms)}")


# -------------------------------------------------------------------------------------------------------------
# arguments
# -------------------------------------------------------------------------------------------------------------

def _value(rng, pos=False):
    while True:
        if pos:
            v = round(rng.uniform(0.3, 1.9), 3)
        else:
            v = round(rng.choice([-1, 1]) * rng.uniform(0.1, 1.4), 3)
        if all(abs(abs(v) - k) > 0.02 for k in (0.0, 0.5, 1.0, 0.2, 0.3, 0.8)):
            return v


def _array_lit(rng, shape, pos=False):
    vals = set()
    flat = []
    while len(flat) < int(np.prod(shape)):
        v = _value(rng, pos)
        if abs(v) not in vals:
            vals.add(abs(v))
            flat.append(v)
    if len(shape) == 1:
        return "[" + ", ".join(repr(v) for v in flat) + "]"
    rows = [flat[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
    return "[" + ", ".join("[" + ", ".join(repr(v) for v in r) + "]" for r in rows) + "]"


def generate(seed, features=None):
    """The source of one random program (a module); deterministic in `seed` (an int or a string) and the
    `features` (default: FEATURES)."""
    features = FEATURES if features is None else features
    rng = random.Random(seed)
    g = Gen(rng)
    g.vector = bool(features.get("vector"))
    for name in ("state", "flow", "objects", "index", "lang"):  # (each feature draws from its own stream)
        if features.get(name):
            setattr(g, f"{name}_rng", random.Random(f"{seed}/{name}"))
            setattr(g, f"{name}_rate", features[name])
    params = []     # (name, V, make_args expression or None for an alias, differentiable)
    makers = []
    n_params = rng.choice([1, 2, 2, 3, 3, 4])
    array_names = ["x", "y", "w", "z"]
    matrix_names = ["W", "A", "X"]
    scalar_names = ["s", "alpha", "beta", "c0"]
    used = set()

    def pick(pool):
        for nm in pool:
            if nm not in used:
                used.add(nm)
                g.root.taken.add(nm)
                return nm
        nm = f"{pool[0]}{len(used)}"
        used.add(nm)
        g.root.taken.add(nm)
        return nm

    for k in range(n_params):
        kind = g.wchoice([(10, "arr"), (5, "float"), (1.2, "f32"), (1, "0d"), (1, "npf"), (1.5, "int"),
                          (1.2, "list"), (1.2, "pairs"), (1, "dict")] if k else [(10, "arr"), (3, "float"), (1, "f32")])
        if kind in ("arr", "f32"):
            t = rng.choice([(3,), (3,), (2, 3), (4,)])
            nm = pick(matrix_names if len(t) == 2 else array_names)
            pos = rng.random() < 0.2
            dt = ", dtype=np.float32" if kind == "f32" else ""
            params.append((nm, arr(t, pos, arg=True), f"np.array({_array_lit(rng, t, pos)}{dt})", True))
        elif kind in ("float", "0d", "npf"):
            nm = pick(scalar_names)
            pos = rng.random() < 0.3
            v = repr(_value(rng, pos))
            expr = {"float": v, "0d": f"np.array({v})", "npf": f"np.float64({v})"}[kind]
            params.append((nm, scal(pos, arg=True), expr, True))
        elif kind == "int":
            nm = pick(["n", "m", "steps"])
            val = rng.choice([0, 1, 2, 2, 3])
            params.append((nm, V("i", bound=4, arg=True), repr(val), False))
        elif kind == "list":
            nm = pick(["xs", "Ws", "vs"])
            n = rng.choice([2, 3])
            t = rng.choice([(3,), (3,), SCALAR])
            if t:
                items = ", ".join(f"np.array({_array_lit(rng, t)})" for _ in range(n))
            else:
                items = ", ".join(repr(_value(rng)) for _ in range(n))
            params.append((nm, V("L", elem=arr(t) if t else scal(), n=n, arg=True), f"[{items}]", True))
        elif kind == "pairs":
            nm = pick(["params", "pairs", "layers"])
            n = rng.choice([2, 3])
            ta = rng.choice([SCALAR, (3,)])
            items = ", ".join(f"({f'np.array({_array_lit(rng, ta)})' if ta else repr(_value(rng))}, {_value(rng)!r})"
                              for _ in range(n))
            params.append((nm, V("T", elem=(arr(ta) if ta else scal(), scal()), n=n, arg=True), f"[{items}]", True))
        else:
            nm = pick(["d", "p", "cfg"])
            t = rng.choice([(3,), (2, 3)])
            b = rng.choice(["float", (3,), (2,)]) if t == (3,) else rng.choice(["float", (2,), (3,)])
            bexpr = repr(_value(rng)) if b == "float" else f"np.array({_array_lit(rng, b)})"
            keys = {"w": arr(t), "b": scal() if b == "float" else arr(b)}
            params.append((nm, V("D", keys=keys, arg=True), f"{{'w': np.array({_array_lit(rng, t)}), 'b': {bexpr}}}", True))

    # the same array object passed twice
    arrays = [i for i, p in enumerate(params) if p[1].kind == "a"]
    alias_of = {}
    if len(arrays) >= 1 and rng.random() < 0.12:
        i = arrays[0]
        t = params[i][1].shape
        nm = pick(array_names if len(t) == 1 else matrix_names)
        params.insert(i + 1, (nm, arr(t, params[i][1].pos, arg=True), None, True))
        alias_of[nm] = params[i][0]
        if rng.random() < 0.8:  # mutating an argument passed twice has no partial derivatives: mostly avoid it
            params[i][1].mutable = params[i + 1][1].mutable = False

    for nm, v, _, _ in params:
        g.define(nm, v)
    diff = [p[0] for p in params if p[3] and (p[1].kind in ("a", "f") or rng.random() < 0.35)]
    if not diff:
        diff = [p[0] for p in params if p[3]][:1]
    k = rng.choice([1, 1, 1, 2, 2, 3])
    wrt_names = sorted(rng.sample(diff, min(k, len(diff))), key=lambda nm: [p[0] for p in params].index(nm))

    target = rng.randint(4, 18)
    guard = 0
    while g.nstmts < target and guard < 40:
        guard += 1
        g.stmt()
    g.finish(wrt_names)

    names = [p[0] for p in params]
    # (the imports made from the flags, not inserted by position: a program needing both itertools and ad lost
    # its `import math`, and one reading math.prod then raised NameError, discarded)
    lines = ["import functools"]
    if getattr(g, "need_itertools", False):  # a "lang" construct's itertools.accumulate
        lines += ["import itertools", "import operator"]
    lines.append("import math")
    if getattr(g, "need_dataclasses", False):  # an "objects" construct's dataclass
        lines.append("from dataclasses import dataclass, field")
    lines += ["", "import numpy as np", ""]
    if getattr(g, "need_ad", False):  # a state construct's @ad.checkpoint helper
        lines += ["import ad_compiler as ad", ""]
    lines.append("")
    consts = [h for h in g.helpers if not h.startswith(("def ", "@"))]
    funcs = [h for h in g.helpers if h.startswith(("def ", "@"))]
    if consts:
        lines += consts + ["", ""]
    for h in funcs:
        lines += [h, "", ""]
    lines.append(f"def f({', '.join(names)}):")
    lines += g.lines
    lines += ["", "", "def make_args():"]
    lines += [f"    {r}" for r in g.resets]
    for nm, v, expr, _ in params:
        if expr is not None:
            lines.append(f"    {nm} = {expr}")
    lines.append(f"    return {', '.join(alias_of.get(nm, nm) for nm in names)}{',' if len(names) == 1 else ''}")
    positions = [names.index(nm) for nm in wrt_names]
    style = rng.random()
    if len(positions) == 1:
        wrt = repr(positions[0]) if style < 0.6 else repr(wrt_names[0])
    else:
        wrt = repr(tuple(positions)) if style < 0.6 else repr(tuple(wrt_names))
    lines += ["", "", f"WRT = {wrt}", ""]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------------------------
# checking
# -------------------------------------------------------------------------------------------------------------

class Timeout(BaseException):
    pass


class _alarm:
    def __init__(self, seconds):
        self.seconds = seconds

    def _fire(self, *_):
        raise Timeout(f"timed out after {self.seconds} s")

    def __enter__(self):
        self.ok = hasattr(signal, "setitimer") and self.seconds
        if self.ok:
            try:
                self.old = signal.signal(signal.SIGALRM, self._fire)
                signal.setitimer(signal.ITIMER_REAL, self.seconds)
            except ValueError:  # not in the main thread
                self.ok = False
        return self

    def __exit__(self, *exc):
        if self.ok:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


class Result(dict):
    """outcome, kind (sub-category), message, located, stage, exc_type, details."""
    __getattr__ = dict.get


_counter = itertools.count()
_TMP = None


def _tmpdir():
    global _TMP
    if _TMP is None or not os.path.isdir(_TMP):
        _TMP = tempfile.mkdtemp(prefix="progen_")
    return _TMP


def load_module(src, tag="prog"):
    """Write `src` to a fresh file and import it (the compiler reads sources through linecache)."""
    name = f"{tag}_{os.getpid()}_{next(_counter)}"
    path = os.path.join(_tmpdir(), name + ".py")
    with open(path, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(mod)
    return mod, path


def unload(mod, path):
    sys.modules.pop(mod.__name__, None)
    linecache.cache.pop(path, None)
    try:
        os.remove(path)
    except OSError:
        pass


def _is_float_leaf(x):
    return isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")


def leaves(x, path=()):
    """(path, leaf) for the differentiable leaves (floats and float arrays) of an argument."""
    if isinstance(x, (bool, np.bool_)):
        return
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            yield path, x
    elif isinstance(x, float):
        yield path, x
    elif isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            yield from leaves(v, path + (i,))
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from leaves(v, path + (k,))


def get_path(x, path):
    for p in path:
        x = x[p]
    return x


def set_path(x, path, value):
    """A copy of x (containers along `path` copied) with the leaf at `path` replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(x, tuple):
        items = list(x)
        items[head] = set_path(items[head], rest, value)
        return tuple(items)
    if isinstance(x, list):
        items = list(x)
        items[head] = set_path(items[head], rest, value)
        return items
    d = dict(x)
    d[head] = set_path(d[head], rest, value)
    return d


def to64(x, memo=None):
    """float32 arrays -> float64 copies (keeping aliasing between arguments)."""
    memo = {} if memo is None else memo
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        if id(x) not in memo:
            memo[id(x)] = x.astype(np.float64)
        return memo[id(x)]
    if isinstance(x, list):
        return [to64(v, memo) for v in x]
    if isinstance(x, tuple):
        return tuple(to64(v, memo) for v in x)
    if isinstance(x, dict):
        return {k: to64(v, memo) for k, v in x.items()}
    return x


def has_f32(x):
    if isinstance(x, np.ndarray):
        return x.dtype == np.float32
    if isinstance(x, (list, tuple)):
        return any(has_f32(v) for v in x)
    if isinstance(x, dict):
        return any(has_f32(v) for v in x.values())
    return False


def same(a, b):
    """Deep equality of argument structures (arrays: same dtype, shape and values)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _scalar(v):
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "fiu":
        return float(v)
    return None


def _first_line(text):
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _short_tb(exc, path):
    """The innermost frames of a crash, innermost first (generated code shown as <generated NAME>)."""
    frames = []
    for fr in traceback.extract_tb(exc.__traceback__):
        if fr.filename == __file__:
            continue
        if fr.filename.startswith("<ad_compiler"):
            frames.append(f"<generated {fr.name}>:{fr.lineno}")
        elif fr.filename == path:
            frames.append(f"program:{fr.lineno} {fr.name}")
        else:
            frames.append(f"{os.path.basename(fr.filename)}:{fr.lineno} {fr.name}")
    return " <- ".join(reversed(frames[-4:]))


def _eval(mod, args):
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        return mod.f(*args)


def numeric(mod, pos, eps, center=None, jumps=None):
    """Central differences of f w.r.t. argument `pos` (float64 copies of float32 inputs): a structure like
    the argument. With `center` (the value at the unperturbed point), appends to `jumps` the differences
    between the forward and the backward slopes (large at a kink, even one hit exactly, like max(a, a))."""
    base = to64(mod.make_args())
    arg = base[pos]
    result = arg

    def value_at(path, replaced):
        args = list(to64(mod.make_args()))
        args[pos] = set_path(args[pos], path, replaced)
        v = _scalar(_eval(mod, args))
        if v is None or not math.isfinite(v):
            raise FloatingPointError("non-finite value in finite differences")
        return v

    for path, leaf in list(leaves(arg)):
        if isinstance(leaf, np.ndarray):
            x = leaf.astype(np.float64)
            g = np.zeros_like(x)
            for j in np.ndindex(x.shape):
                xp, xm = x.copy(), x.copy()
                xp[j] += eps
                xm[j] -= eps
                hi, lo = value_at(path, xp), value_at(path, xm)
                g[j] = (hi - lo) / (2 * eps)
                if jumps is not None:
                    jumps.append(abs((hi - center) - (center - lo)) / eps)
            result = set_path(result, path, g)
        else:
            ty = type(leaf)
            hi = value_at(path, ty(float(leaf) + eps))
            lo = value_at(path, ty(float(leaf) - eps))
            if jumps is not None:
                jumps.append(abs((hi - center) - (center - lo)) / eps)
            result = set_path(result, path, float((hi - lo) / (2 * eps)))
    return result


def _flat(x):
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for _, v in leaves(x)] or [np.zeros(0)])


def _structure_error(got, arg, where):
    """A message when the gradient `got` is not shaped like the argument `arg`, else None."""
    if isinstance(arg, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{where}: gradient of an array is a {type(got).__name__}"
        if got.shape != arg.shape:
            return f"{where}: gradient shape {got.shape}, argument shape {arg.shape}"
        if got.dtype.kind != "f":
            return f"{where}: gradient dtype {got.dtype}"
        if arg.dtype == np.float64 and got.dtype != np.float64:
            return f"{where}: gradient dtype {got.dtype} for a float64 argument"
        return None
    if isinstance(arg, np.floating):
        if isinstance(got, float) or (isinstance(got, np.ndarray) and got.shape == ()):
            return None
        return f"{where}: gradient of a numpy scalar is a {type(got).__name__}"
    if isinstance(arg, float):
        if type(got) is not float:
            return f"{where}: gradient of a Python float is a {type(got).__name__}, not a float"
        return None
    if isinstance(arg, (list, tuple)):
        if type(got) is not type(arg):
            return f"{where}: gradient of a {type(arg).__name__} is a {type(got).__name__}"
        if len(got) != len(arg):
            return f"{where}: gradient has {len(got)} items, argument {len(arg)}"
        for i, (gi, ai) in enumerate(zip(got, arg)):
            if not _is_float_leaf(ai) and not isinstance(ai, (list, tuple, dict)):
                continue
            err = _structure_error(gi, ai, f"{where}[{i}]")
            if err:
                return err
        return None
    if isinstance(arg, dict):
        if not isinstance(got, dict) or set(got) != set(arg):
            return f"{where}: gradient of a dict is {type(got).__name__} with keys {list(got) if isinstance(got, dict) else '-'}"
        for k in arg:
            if not _is_float_leaf(arg[k]) and not isinstance(arg[k], (list, tuple, dict)):
                continue
            err = _structure_error(got[k], arg[k], f"{where}[{k!r}]")
            if err:
                return err
    return None


def _close(got, expected, scale, rtol, atol):
    g, e = _flat(got), _flat(expected)
    if g.shape != e.shape:
        return False
    if not np.all(np.isfinite(g)):
        return False
    return bool(np.all(np.abs(g - e) <= atol * scale + rtol * np.abs(e)))


def wrt_positions(mod):
    names = list(mod.f.__code__.co_varnames[:mod.f.__code__.co_argcount])
    items = mod.WRT if isinstance(mod.WRT, tuple) else (mod.WRT,)
    return [names.index(w) if isinstance(w, str) else w for w in items]


def random_tangent(x, rng):
    """A tangent of the argument `x`: random where x has float leaves, zeros at integers, `x` elsewhere."""
    if isinstance(x, (bool, np.bool_)):
        return x
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape) if x.dtype.kind in "fiu" else x
    if isinstance(x, float):
        return float(rng.standard_normal())
    if isinstance(x, (int, np.integer)):
        return 0.0
    if isinstance(x, (list, tuple)):
        return type(x)(random_tangent(v, rng) for v in x)
    if isinstance(x, dict):
        return {k: random_tangent(v, rng) for k, v in x.items()}
    return x


def directional(fd, arg, tangent, absolute=False):
    """sum over the float leaves of gradient * tangent (of their absolute values)."""
    total = 0.0
    for path, _ in leaves(arg):
        g = np.asarray(get_path(fd, path), dtype=np.float64)
        t = np.asarray(get_path(tangent, path), dtype=np.float64)
        total += float(np.sum(np.abs(g * t) if absolute else g * t))
    return total


MODES = ("grad", "jvp", "hvp", "hessian")   # what check_module checks; "all" runs each on one program


def _check_jvp(mod, ad, args, positions, fd1, v, rtol, atol):
    """Forward mode: jvp's value is f's, its tangent the finite-difference gradient dotted with a random
    tangent."""
    rng = np.random.default_rng(12345)
    tangents = [random_tangent(args[p], rng) for p in positions]
    expected = sum(directional(g, args[p], t) for g, p, t in zip(fd1, positions, tangents))
    # (the differences' rounding error grows with |f|, as in the gradient check's scale: a tangent sums it)
    rounding = 1e-3 * abs(v) * sum(float(np.sum(np.abs(np.asarray(get_path(t, path), dtype=np.float64))))
                                   for p, t in zip(positions, tangents) for path, _ in leaves(args[p]))
    scale = max(1.0, abs(expected), rounding, sum(directional(g, args[p], t, absolute=True)
                                                  for g, p, t in zip(fd1, positions, tangents)))
    j = ad.jvp(mod.f, wrt=mod.WRT, **GRAD_OPTIONS)
    tangent = tuple(tangents) if isinstance(mod.WRT, tuple) else tangents[0]
    value, got = j(*args, tangent)
    gv = _scalar(got)
    if gv is None or not math.isfinite(gv) or abs(gv - expected) > 10 * (atol + rtol) * scale:
        return Result(outcome="wrong", kind="jvp-value", message="jvp differs from finite differences",
                      expected=repr(expected), got=repr(got))
    vv = _scalar(value)
    if vv is None or abs(vv - v) > 1e-9 * max(1.0, abs(v)) + (atol if has_f32(args) else 0.0):
        return Result(outcome="wrong", kind="jvp-primal", message="jvp's value differs from f's",
                      expected=repr(v), got=repr(value))
    return Result(outcome="pass")


def hvp_direction(x, rng):
    """The direction v of a Hessian-vector product: random at float leaves, zeros at integer arrays (their
    entries cannot move, so finite differences say nothing of them), `x` itself at what is not a number."""
    if isinstance(x, (bool, np.bool_)):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            return rng.standard_normal(x.shape)
        return np.zeros(x.shape) if x.dtype.kind in "iu" else x
    if isinstance(x, float):
        return float(rng.standard_normal())
    if isinstance(x, (int, np.integer)):
        return 0.0
    if isinstance(x, (list, tuple)):
        return type(x)(hvp_direction(item, rng) for item in x)
    if isinstance(x, dict):
        return {k: hvp_direction(item, rng) for k, item in x.items()}
    return x


def moved(x, direction, eps):
    """x + eps * direction at the float leaves of x (a copy; containers along the way copied)."""
    for path, leaf in list(leaves(x)):
        d = get_path(direction, path)
        if isinstance(leaf, np.ndarray):
            x = set_path(x, path, (leaf + eps * np.asarray(d, dtype=np.float64)).astype(leaf.dtype))
        else:
            x = set_path(x, path, type(leaf)(float(leaf) + eps * float(d)))
    return x


def _flat_grad(got):
    return np.concatenate([_flat(g) for g in (got if isinstance(got, tuple) else (got,))])


def _check_hvp(mod, ad, g, positions, gots, rtol, atol, f32, which="hvp", path=None):
    """Second order, where the compiled gradient passed at this point: `ad.hvp(f)(*args, v)` (which='hvp'),
    or `ad.hessian(f)(*args)` times v and `ad.grad` of a function returning <ad.grad(f)(...), v> (reverse over
    reverse; which='hessian', for arrays and numbers), against central differences of the compiled gradient
    in the direction v, two step sizes (they disagree where the gradient has a kink: discarded) and one-sided
    slopes (a jump at the point: discarded)."""
    rng = np.random.default_rng(4321)
    multi = isinstance(mod.WRT, tuple)
    base = list(mod.make_args())
    if which == "hessian" and not all(isinstance(base[p], (np.ndarray, float)) for p in positions):
        return Result(outcome="discarded", kind="hessian: a wrt argument is not an array or a number")
    dirs = [hvp_direction(base[p], rng) for p in positions]

    def grad_at(eps):
        args = list(to64(mod.make_args())) if f32 else list(mod.make_args())
        for p, d in zip(positions, dirs):
            args[p] = moved(args[p], d, eps)
        return _flat_grad(g(*args))

    center = grad_at(0.0)
    if not _close(center, _flat_grad(tuple(gots)), 1.0, 1e-3 if f32 else 1e-9, 1e-4 if f32 else 1e-9):
        return Result(outcome="discarded", kind="hvp: the gradient differs between two calls")
    steps = {}
    for eps in (1e-5, 1e-4):
        hi, lo = grad_at(eps), grad_at(-eps)
        if not (np.all(np.isfinite(hi)) and np.all(np.isfinite(lo))):
            return Result(outcome="discarded", kind="hvp: non-finite gradient nearby")
        steps[eps] = (hi - lo) / (2 * eps)
        if eps == 1e-5:
            jump = np.abs((hi - center) - (center - lo)) / eps
    expected = steps[1e-5]
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0,
                1e-3 * float(np.max(np.abs(center))) if center.size else 0.0)
    if not _close(steps[1e-4], expected, scale, 1e-4, 1e-5):
        return Result(outcome="discarded", kind="hvp: kink (step sizes disagree)")
    if jump.size and float(np.max(jump)) > 1e-3 * scale:
        return Result(outcome="discarded", kind="hvp: kink (one-sided slopes differ)")
    v = tuple(dirs) if multi else dirs[0]
    if f32:
        # float32 arguments: the derivative must run and have the arguments' structure; its values are checked
        # on float64 copies (a second derivative in float32 can be off by eps32 times the size of terms that
        # cancel: std over two entries 0.002 apart gives terms of 1e3 and an error of 4e-2, explore seed 41
        # #2378, while the differences of the gradient say 0)
        args = mod.make_args()
        got = (ad.hvp(mod.f, wrt=mod.WRT) if which == "hvp" else ad.hessian(mod.f, wrt=mod.WRT))(
            *args, *((v,) if which == "hvp" else ()))
        if which == "hvp":
            for p, gp in zip(positions, got if multi else (got,)):
                err = _structure_error(gp, args[p], f"hvp, argument {p}")
                if err:
                    return Result(outcome="wrong", kind="hvp-type", message=err)
        rtol, atol = 1e-5, 1e-6
        args = list(to64(mod.make_args()))
    else:
        args = mod.make_args()
    snap = copy.deepcopy(args)
    if which == "hessian":
        fresh = (lambda: list(to64(mod.make_args()))) if f32 else mod.make_args
        return _check_hessian(mod, ad, args, snap, positions, dirs, expected, scale, 10 * rtol, 10 * atol, fresh)
    got = ad.hvp(mod.f, wrt=mod.WRT)(*args, v)
    if multi and (not isinstance(got, tuple) or len(got) != len(positions)):
        return Result(outcome="wrong", kind="hvp-type",
                      message=f"wrt is a tuple of {len(positions)}; hvp returned {type(got).__name__}")
    for p, gp in zip(positions, got if multi else (got,)):
        err = _structure_error(gp, snap[p], f"hvp, argument {p}")
        if err:
            return Result(outcome="wrong", kind="hvp-type", message=err)
    return _compare_second("hvp", _flat_grad(got), expected, scale, 10 * rtol, 10 * atol, (args, snap))


def _compare_second(kind, flat, expected, scale, rtol, atol, after):
    if not _close(flat, expected, scale, rtol, atol):
        return Result(outcome="wrong", kind=f"{kind}-value",
                      message=f"{kind} differs from finite differences of the gradient",
                      expected=np.array2string(expected, precision=6, max_line_width=10 ** 6),
                      got=np.array2string(flat, precision=6, max_line_width=10 ** 6))
    return Result(outcome="pass", args_after=after)


_DIRECTIONAL = """import numpy as np
import sys

_program = sys.modules[{module!r}]
_gradient = _program._ad_for_directional.grad(_program.f, wrt=_program.WRT)


def directional({params}, v_):
    {grads} = _gradient({params})
    return {dot}
"""


def _check_hessian(mod, ad, args, snap, positions, dirs, expected, scale, rtol, atol, fresh):
    """ad.hessian(f) times v, then ad.grad of <ad.grad(f)(...), v> (a module written next to the program)."""
    multi = isinstance(mod.WRT, tuple)
    H = ad.hessian(mod.f, wrt=mod.WRT)(*args)
    sizes = [int(np.size(args[p])) for p in positions]
    blocks = H if multi else ((H,),)
    try:
        hv = np.concatenate([sum(np.reshape(np.asarray(blocks[i][j], dtype=np.float64), (sizes[i], sizes[j]))
                                 @ np.ravel(np.asarray(dirs[j], dtype=np.float64)) for j in range(len(positions)))
                             for i in range(len(positions))])
    except (ValueError, TypeError, IndexError) as exc:
        return Result(outcome="wrong", kind="hessian-type", message=f"the Hessian's blocks: {exc}")
    res = _compare_second("hessian", hv, expected, scale, rtol, atol, (args, snap))
    if res.outcome != "pass":
        return res
    if not same(args, snap):
        return res  # (the function changes its inputs: the next call would see other values)
    # reverse over reverse
    names = list(mod.f.__code__.co_varnames[:mod.f.__code__.co_argcount])
    grads = [f"g{i}_" for i in range(len(positions))]
    dot = " + ".join(f"np.sum({gname} * v_[{i}])" if multi else f"np.sum({gname} * v_)"
                     for i, gname in enumerate(grads))
    mod._ad_for_directional = ad
    src = _DIRECTIONAL.format(module=mod.__name__, params=", ".join(names),
                              grads=", ".join(grads) + ("," if multi and len(grads) == 1 else ""), dot=dot)
    helper, helper_path = load_module(src, tag=mod.__name__ + "_dir")
    try:
        v = tuple(dirs) if multi else dirs[0]
        args = fresh()  # (float64 copies of float32 arguments, as for the Hessian)
        got = ad.grad(helper.directional, wrt=mod.WRT)(*args, v)
        if multi and (not isinstance(got, tuple) or len(got) != len(positions)):
            return Result(outcome="wrong", kind="gradgrad-type",
                          message=f"wrt is a tuple of {len(positions)}; grad returned {type(got).__name__}")
        return _compare_second("gradgrad", _flat_grad(got), expected, scale, rtol, atol, (args, snap))
    finally:
        unload(helper, helper_path)


def _refusal_or_crash(exc, ad, base, path, stage):
    """The Result of an exception raised while compiling or running a derivative."""
    if isinstance(exc, Timeout):
        return Result(outcome="crash", kind="Timeout", exc_type="Timeout", stage=stage, message=str(exc))
    if isinstance(exc, ad.ADError):
        text = str(exc)
        msg = getattr(exc, "message", None) or text
        located = base in text and re.search(r"line \d+", text) is not None
        return Result(outcome="refused", kind=type(exc).__name__, stage=stage, message=_first_line(msg),
                      located=bool(located), full=text)
    return Result(outcome="crash", kind=type(exc).__name__, exc_type=type(exc).__name__, stage=stage,
                  message=_first_line(exc), where=_short_tb(exc, path))


def check_module(mod, path, ad, timeout=20.0, plain_timeout=None, mode="grad"):
    """Run one loaded program through the contract. Modes: 'grad' (reverse mode), 'jvp' (forward mode),
    'hvp' (the gradient, then Hessian-vector products: forward over reverse), 'hessian' (the gradient, then
    ad.hessian times v and ad.grad of <ad.grad(f), v>: reverse over reverse), 'all' (each; the first wrong or
    crash, else the first refusal, else pass; `mode` in the Result says which). Returns a Result."""
    if mode == "all":
        first = None
        for m in MODES:
            res = check_module(mod, path, ad, timeout, plain_timeout, m)
            res["mode"] = m
            if res.outcome in ("wrong", "crash"):
                return res
            if first is None or (first.outcome != "refused" and res.outcome == "refused"):
                first = res
            if res.outcome == "discarded" and m == "grad":
                return res  # (the same program runs in plain Python and is differentiated the same way)
        return first
    if mode == "vector":  # (an array output: vjp, jvp and both Jacobians)
        import progen_vector
        return progen_vector.check_module(mod, path, ad, timeout, plain_timeout)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} or 'all', got {mode!r}")
    base = os.path.basename(path)
    # 1. plain Python
    try:
        with _alarm(plain_timeout or timeout):
            args = mod.make_args()
            snap = copy.deepcopy(args)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = _eval(mod, args)
    except Timeout:
        return Result(outcome="discarded", kind="plain-timeout")
    except Exception as exc:  # noqa: BLE001
        return Result(outcome="discarded", kind=f"python {type(exc).__name__}", message=_first_line(exc))
    v = _scalar(value)
    if v is None:
        return Result(outcome="discarded", kind=f"non-scalar output {type(value).__name__}")
    if not math.isfinite(v) or abs(v) > 1e8:
        return Result(outcome="discarded", kind="huge or non-finite output")
    mutated_by_f = not same(args, snap)
    top = list(args)
    aliased = {i for i, a in enumerate(top) if isinstance(a, np.ndarray) and sum(a is b for b in top) > 1}
    if any(not same(top[i], snap[i]) for i in aliased):
        # f(a, a) changing a: the partial derivatives w.r.t. each position are not defined
        return Result(outcome="discarded", kind="aliased arguments mutated")
    positions = wrt_positions(mod)
    f32 = has_f32(args)
    # 2. finite differences, two step sizes
    try:
        with _alarm(timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            center = _scalar(_eval(mod, list(to64(mod.make_args()))))
            jumps = []
            fd1 = [numeric(mod, p, 1e-6, center, jumps) for p in positions]
            fd2 = [numeric(mod, p, 1e-5) for p in positions]
    except Timeout:
        return Result(outcome="discarded", kind="fd-timeout")
    except Exception as exc:  # noqa: BLE001
        return Result(outcome="discarded", kind=f"fd {type(exc).__name__}", message=_first_line(exc))
    if f32 and abs(center - v) > 2e-3 * max(1.0, abs(v)):
        # the float64 differences would check another function: float32 rounding decided a branch (a
        # residual of 1e-7 that is 0.0 in float64, then `if s:`) or the value itself
        return Result(outcome="discarded", kind="float32 rounding changes the value")
    scales = []
    for a, b in zip(fd1, fd2):
        fa = _flat(a)
        scale = max(1.0, float(np.max(np.abs(fa))) if fa.size else 1.0, abs(v) * 1e-3)
        scales.append(scale)
        if not _close(a, b, scale, 1e-5, 1e-6):
            return Result(outcome="discarded", kind="kink (step sizes disagree)")
    # forward and backward slopes differ by eps * f'' where f is smooth (tiny), by the jump at a kink
    if jumps and max(jumps) > 1e-4 * max(scales):
        return Result(outcome="discarded", kind="kink (one-sided slopes differ)")
    rtol, atol = (2e-3, 2e-4) if f32 else (1e-5, 1e-6)
    # 3. the compiled derivative, on fresh copies
    args = mod.make_args()
    snap = copy.deepcopy(args)
    stage = "compile"
    try:
        with _alarm(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if mode == "jvp":
                stage = "jvp call"
                res = _check_jvp(mod, ad, args, positions, fd1, v, rtol, atol)
                if res.outcome == "pass" and not mutated_by_f and not same(args, snap):
                    return Result(outcome="wrong", kind="mutated-input",
                                  message="the jvp call changed an input that plain f leaves alone")
                return res
            g = ad.grad(mod.f, wrt=mod.WRT, **GRAD_OPTIONS)
            stage = "call"
            got = g(*args)
    except (Exception, Timeout) as exc:  # noqa: BLE001
        return _refusal_or_crash(exc, ad, base, path, stage)
    # 4. the gradient must not change the inputs unless f itself does
    if not mutated_by_f and not same(args, snap):
        return Result(outcome="wrong", kind="mutated-input",
                      message="the gradient call changed an input that plain f leaves alone")
    multi = isinstance(mod.WRT, tuple)
    if multi:
        if not isinstance(got, tuple) or len(got) != len(positions):
            return Result(outcome="wrong", kind="type",
                          message=f"wrt is a tuple of {len(positions)}; the gradient returned {type(got).__name__}")
        gots = list(got)
    else:
        gots = [got]
    for p, gv, e1, scale in zip(positions, gots, fd1, scales):
        err = _structure_error(gv, snap[p], f"argument {p}")
        if err:
            return Result(outcome="wrong", kind="type", message=err)
        if not _close(gv, e1, scale, rtol, atol):
            if _gradient_jumps_nearby(mod, ad, positions, scale, rtol, atol):
                return Result(outcome="discarded", kind="kink (the gradient jumps between nearby points)")
            return Result(outcome="wrong", kind="value",
                          message=f"gradient w.r.t. argument {p} differs from finite differences",
                          expected=np.array2string(_flat(e1), precision=6, max_line_width=10 ** 6),
                          got=np.array2string(_flat(gv), precision=6, max_line_width=10 ** 6))
    if mode == "grad":
        return Result(outcome="pass")
    # 5. Hessian-vector products, the Hessian, grad of grad
    stage = f"{mode} call"
    try:
        with _alarm(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = _check_hvp(mod, ad, g, positions, gots, rtol, atol, f32, mode, path)
    except (Exception, Timeout) as exc:  # noqa: BLE001
        return _refusal_or_crash(exc, ad, base, path, stage)
    after = res.pop("args_after", None)
    if after is not None and not mutated_by_f and not same(*after):
        return Result(outcome="wrong", kind="mutated-input",
                      message=f"the {mode} call changed an input that plain f leaves alone")
    return res


def _gradient_jumps_nearby(mod, ad, positions, scale, rtol, atol, tries=4):
    """Is the point a kink that the two finite-difference checks did not see (ties of a sort or a max made
    exactly, e.g. by passing one array twice: the slopes along each axis agree, yet f is not differentiable
    there)? The compiled gradient at a few points 1e-7 away, in random directions, disagrees between them
    by more than the tolerance. A gradient that is wrong everywhere nearby still agrees with itself, and is
    reported."""
    rng = np.random.default_rng(0)
    grads = []
    for _ in range(tries):
        args = list(mod.make_args())
        for p in positions:
            a = args[p]
            if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                args[p] = a + 1e-7 * rng.standard_normal(a.shape)
            elif isinstance(a, float):
                args[p] = a + 1e-7 * float(rng.standard_normal())
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = ad.grad(mod.f, wrt=mod.WRT, **GRAD_OPTIONS)(*args)
        except Exception:  # noqa: BLE001 (not this check's business)
            return False
        grads.append(np.concatenate([_flat(g) for g in (got if isinstance(got, tuple) else (got,))]))
    return any(not _close(g, grads[0], scale, 10 * rtol, 10 * atol) for g in grads[1:])


def check_source(src, ad=None, timeout=20.0, tag="prog", plain_timeout=None, mode="grad"):
    """Load `src` as a module from a real file and check it; returns a Result."""
    if ad is None:
        import ad_compiler as ad
    try:
        mod, path = load_module(src, tag)
    except Exception as exc:  # noqa: BLE001
        return Result(outcome="discarded", kind=f"import {type(exc).__name__}", message=_first_line(exc))
    try:
        return check_module(mod, path, ad, timeout, plain_timeout, mode)
    finally:
        unload(mod, path)


def outcome_key(res):
    """What the shrinker preserves."""
    if res.outcome == "crash":
        return ("crash", res.exc_type, res.stage)
    if res.outcome == "wrong":
        return ("wrong", res.kind)
    return (res.outcome,)


# -------------------------------------------------------------------------------------------------------------
# shrinking
# -------------------------------------------------------------------------------------------------------------

def _functions(tree):
    return [n for n in tree.body if isinstance(n, ast.FunctionDef)]


def _stmt_lists(node):
    """Every statement list inside `node` (bodies of functions, loops, branches)."""
    for child in ast.walk(node):
        for field in ("body", "orelse"):
            stmts = getattr(child, field, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                yield child, field, stmts


def _code_functions(tree):
    return [fn for fn in _functions(tree) if fn.name != "make_args"]


def _candidates(tree):
    """Yield (description, mutate(tree) -> bool): transformations to try, coarse first."""
    # drop helper functions
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name not in ("f", "make_args"):
            yield lambda t, i=i: (t.body.pop(i), True)[1]
    # a tuple WRT -> one of its items
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "WRT" \
                and isinstance(node.value, ast.Tuple) and len(node.value.elts) > 1:
            for j in range(len(node.value.elts)):
                def keep_one(t, j=j):
                    for n in t.body:
                        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "WRT":
                            n.value = n.value.elts[j]
                            return True
                    return False
                yield keep_one
    # delete blocks of f's statements (halves, then quarters; never the final return)
    f = next((fn for fn in _functions(tree) if fn.name == "f"), None)
    if f is not None:
        n = len(f.body) - 1
        size = n // 2
        while size >= 2:
            for start in range(0, n - size + 1, size):
                def drop_block(t, start=start, size=size):
                    fn = next(x for x in _functions(t) if x.name == "f")
                    if start + size >= len(fn.body):
                        return False
                    del fn.body[start:start + size]
                    return True
                yield drop_block
            size //= 2
    # delete statements (from the last), replace compound statements by their bodies
    funcs = _code_functions(tree)
    slots = []
    for fi, fn in enumerate(funcs):
        for owner_i, (owner, field, stmts) in enumerate(_stmt_lists(fn)):
            for si in range(len(stmts)):
                slots.append((fi, owner_i, field, si))
    for fi, owner_i, field, si in reversed(slots):
        def delete(t, fi=fi, owner_i=owner_i, field=field, si=si):
            owner, fld, stmts = list(_stmt_lists(_code_functions(t)[fi]))[owner_i]
            if fld != field or si >= len(stmts):
                return False
            stmts.pop(si)
            if not stmts:
                if fld == "orelse":
                    return True
                stmts.append(ast.Pass())
            return True
        yield delete
    for fi, owner_i, field, si in slots:
        def unwrap(t, fi=fi, owner_i=owner_i, field=field, si=si, which="body"):
            owner, fld, stmts = list(_stmt_lists(_code_functions(t)[fi]))[owner_i]
            if fld != field or si >= len(stmts):
                return False
            s = stmts[si]
            if isinstance(s, ast.If):
                new = s.body if which == "body" else s.orelse
                if not new:
                    return False
            elif isinstance(s, ast.While):
                new = s.body
            elif isinstance(s, ast.For):
                it = s.iter
                if isinstance(it, ast.Call) and getattr(it.func, "id", None) == "range":
                    first = it.args[0] if len(it.args) > 1 else ast.Constant(0)
                else:
                    first = ast.Subscript(value=ast.Call(func=ast.Name("list", ast.Load()), args=[it], keywords=[]),
                                          slice=ast.Constant(0), ctx=ast.Load())
                tgt = copy.deepcopy(s.target)
                new = [ast.Assign(targets=[tgt], value=first, lineno=0)] + s.body
            else:
                return False
            stmts[si:si + 1] = new
            return True
        yield unwrap
        yield functools_partial(unwrap, which="orelse")
    # inline `a = b` (a name for a name): drop it and call `a` `b` everywhere in that function
    for fi, fn in enumerate(funcs):
        for owner_i, (owner, field, stmts) in enumerate(_stmt_lists(fn)):
            for si, st in enumerate(stmts):
                if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) \
                        and isinstance(st.value, ast.Name) and st.targets[0].id != st.value.id:
                    def inline(t, fi=fi, owner_i=owner_i, si=si, old=st.targets[0].id, new=st.value.id):
                        fn = _code_functions(t)[fi]
                        owner, fld, stmts = list(_stmt_lists(fn))[owner_i]
                        stmts.pop(si)
                        if not stmts:
                            stmts.append(ast.Pass())
                        for n in ast.walk(fn):
                            if isinstance(n, ast.Name) and n.id == old:
                                n.id = new
                        return True
                    yield inline
    # remove a parameter of f that nothing reads any more
    f = next((fn for fn in funcs if fn.name == "f"), None)
    if f is not None:
        for pi in range(len(f.args.args)):
            yield functools_partial(_drop_param, pi=pi)
    # simpler expressions: an operand, an argument, a constant
    exprs = []
    for fi, fn in enumerate(funcs):
        for ni, node in enumerate(ast.walk(fn)):
            if isinstance(node, ast.expr):
                exprs.append((fi, ni))
    for fi, ni in exprs:
        for variant in range(6):
            yield functools_partial(_simplify_expr, fi=fi, ni=ni, variant=variant)
    # make_args: drop dtype keywords
    for node in _functions(tree):
        if node.name == "make_args":
            for ni, sub in enumerate(ast.walk(node)):
                if isinstance(sub, ast.Call) and sub.keywords:
                    def drop_kw(t, ni=ni):
                        mk = next(n for n in _functions(t) if n.name == "make_args")
                        node = list(ast.walk(mk))[ni]
                        if isinstance(node, ast.Call) and node.keywords:
                            node.keywords = []
                            return True
                        return False
                    yield drop_kw


def functools_partial(fn, **kw):
    def g(t):
        return fn(t, **kw)
    return g


def _drop_param(t, pi):
    f = next(n for n in _functions(t) if n.name == "f")
    if pi >= len(f.args.args) or len(f.args.args) <= 1:
        return False
    name = f.args.args[pi].arg
    f.args.args.pop(pi)
    mk = next(n for n in _functions(t) if n.name == "make_args")
    ret = mk.body[-1]
    if not isinstance(ret, ast.Return) or not isinstance(ret.value, ast.Tuple):
        return False
    ret.value.elts.pop(pi)
    for n in t.body:
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "WRT":
            items = n.value.elts if isinstance(n.value, ast.Tuple) else [n.value]
            new = []
            for it in items:
                v = it.value
                if v == name or v == pi:
                    continue
                if isinstance(v, int) and v > pi:
                    v -= 1
                new.append(ast.Constant(v))
            if not new:
                return False
            n.value = ast.Tuple(new, ast.Load()) if isinstance(n.value, ast.Tuple) else new[0]
    return True


def _simplify_expr(t, fi, ni, variant):
    fn = _code_functions(t)[fi]
    nodes = list(ast.walk(fn))
    if ni >= len(nodes):
        return False
    node = nodes[ni]
    if not isinstance(node, ast.expr) or isinstance(node, (ast.Name, ast.Constant)):
        return False
    if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
        return False
    # find the parent
    parent, field, index = None, None, None
    for p in nodes:
        for fld, val in ast.iter_fields(p):
            if val is node:
                parent, field = p, fld
            elif isinstance(val, list):
                for k, item in enumerate(val):
                    if item is node:
                        parent, field, index = p, fld, k
        if parent is not None:
            break
    if parent is None:
        return False
    if isinstance(parent, ast.Call) and field == "func":
        return False
    if isinstance(parent, ast.Attribute):
        return False
    children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)
                and not isinstance(getattr(c, "ctx", None), ast.Store)]
    if isinstance(node, ast.Call):
        children = list(node.args) + [k.value for k in node.keywords]
        if variant == 5 and node.keywords:  # drop keyword arguments
            node.keywords = []
            return True
    if isinstance(node, ast.Compare) and variant == 4:
        repl = ast.Constant(True)
    elif isinstance(node, ast.Compare) and variant == 5:
        repl = ast.Constant(False)
    elif variant < len(children) and variant < 4:
        repl = children[variant]
        if isinstance(node, ast.Subscript) and repl is node.slice:
            return False
        if isinstance(node, ast.Subscript) and isinstance(repl, ast.Attribute) and repl.attr == "r_":
            return False  # a bare np.r_ iterates forever
    elif variant == 4 and not isinstance(node, (ast.Compare, ast.List, ast.Tuple, ast.Lambda)):
        repl = ast.Constant(1.0)
    else:
        return False
    if index is None:
        setattr(parent, field, repl)
    else:
        getattr(parent, field)[index] = repl
    return True


def _unparse(tree):
    """Source with a blank line after the imports and two around each function (like the generator's)."""
    ast.fix_missing_locations(tree)
    out, prev = [], None
    for node in tree.body:
        text = ast.unparse(node)
        if prev is not None:
            if isinstance(node, ast.FunctionDef) or isinstance(prev, ast.FunctionDef):
                out.append("\n\n")
            elif isinstance(prev, (ast.Import, ast.ImportFrom)) != isinstance(node, (ast.Import, ast.ImportFrom)):
                out.append("\n")
        out.append(text + "\n")
        prev = node
    return "".join(out)


def tidy(src):
    """Drop the imports nothing uses and the make_args variables nothing returns (no change of meaning)."""
    tree = ast.parse(src)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    body = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id != "WRT" and node.targets[0].id not in loaded:
            continue  # a module constant nothing reads
        if isinstance(node, ast.Import):
            node.names = [a for a in node.names if (a.asname or a.name) in used]
            if not node.names:
                continue
        if isinstance(node, ast.FunctionDef) and node.name == "make_args":
            ret = node.body[-1]
            read = {n.id for n in ast.walk(ret) if isinstance(n, ast.Name)}
            node.body = [st for st in node.body if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and
                                                          isinstance(st.targets[0], ast.Name) and
                                                          st.targets[0].id not in read)]
        body.append(node)
    tree.body = body
    return _unparse(tree)


def shrink(src, result, ad=None, budget=60.0, timeout=5.0, max_checks=3000, mode="grad"):
    """Greedily simplify `src` while it still runs in plain Python and has the same outcome as `result`.

    Passes over the candidate transformations (drop a helper, delete a statement, unwrap a loop or branch,
    drop a parameter, replace an expression by an operand or a constant); after a success the pass goes on
    from the same position of the new program's candidates; passes repeat until one changes nothing."""
    if ad is None:
        import ad_compiler as ad
    key = outcome_key(result)
    deadline = time.monotonic() + budget
    best = src
    best_tree = ast.parse(src)
    checks = 0
    tmo = timeout if key[1:2] != ("Timeout",) else min(max(timeout, 5.0), 10.0)
    changed = True
    while changed and time.monotonic() < deadline and checks < max_checks:
        changed = False
        cands = list(_candidates(best_tree))
        i = 0
        while i < len(cands) and time.monotonic() < deadline and checks < max_checks:
            tree = copy.deepcopy(best_tree)
            i += 1
            try:
                if not cands[i - 1](tree):
                    continue
                new = _unparse(tree)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    compile(new, "<shrink>", "exec")
            except Exception:  # noqa: BLE001
                continue
            if new == best or len(new) > len(best) + 40:
                continue
            checks += 1
            res = check_source(new, ad, timeout=tmo, tag="shrink", plain_timeout=1.0, mode=mode)
            if outcome_key(res) == key:
                best, best_tree = new, ast.parse(new)
                changed = True
                cands = list(_candidates(best_tree))
                i -= 1  # the candidate now at this position is a new one
    try:
        tidied = tidy(best)
        if tidied != best and outcome_key(check_source(tidied, ad, timeout=tmo, tag="shrink", mode=mode)) == key:
            best = tidied
    except Exception:  # noqa: BLE001
        pass
    return best


# -------------------------------------------------------------------------------------------------------------
# categories
# -------------------------------------------------------------------------------------------------------------

def features(src):
    """Tags describing a program (meant for a shrunk one): what it contains."""
    tags = set()
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return ["unparsable"]
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    helpers = [n for k, n in funcs.items() if k not in ("f", "make_args")]
    if helpers:
        tags.add("helper")
    for h in helpers:
        if h.decorator_list:
            tags.add("decorator")
        for n in ast.walk(h):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == h.name:
                tags.add("recursion")
            if isinstance(n, (ast.Lambda,)) or (isinstance(n, ast.FunctionDef) and n is not h):
                tags.add("closure-factory")
            if isinstance(n, (ast.AugAssign,)) or (isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript)):
                tags.add("helper-mutates-arg")
            if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "append":
                tags.add("helper-appends")
    for n in ast.walk(tree):
        if isinstance(n, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            tags.add("comprehension")
        if isinstance(n, ast.Attribute) and n.attr == "partial":
            tags.add("functools.partial")
    for n in tree.body:
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) not in ("WRT", None):
            tags.add("module constant")
    f = funcs.get("f")
    names_assigned_from_name = set()
    if f is not None:
        for n in ast.walk(f):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) and isinstance(n.targets[0], ast.Name):
                names_assigned_from_name.add(n.targets[0].id)
                tags.add("alias y = x")
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Subscript) \
                    and getattr(n.value.value, "attr", None) != "r_":
                tags.add("view/subscript assigned")
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Attribute) and n.value.attr == "T":
                tags.add("view .T")
            if isinstance(n, ast.AugAssign):
                tags.add("augassign on subscript" if isinstance(n.target, ast.Subscript) else "augassign")
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript):
                tags.add("setitem")
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple):
                tags.add("tuple unpack")
            if isinstance(n, (ast.For,)):
                tags.add("for")
                if isinstance(n.target, ast.Tuple):
                    tags.add("for with unpacking")
            if isinstance(n, ast.While):
                tags.add("while")
            if isinstance(n, ast.If):
                tags.add("if")
            if isinstance(n, ast.IfExp):
                tags.add("conditional expr")
            if isinstance(n, (ast.Break, ast.Continue)):
                tags.add("break/continue")
            if isinstance(n, ast.Return) and any(isinstance(p, (ast.For, ast.While)) for p in ast.walk(f)
                                                 if n in list(ast.walk(p)) and p is not f):
                tags.add("return in loop")
            if isinstance(n, ast.Lambda):
                tags.add("lambda")
            if isinstance(n, ast.FunctionDef) and n is not f:
                tags.add("nested def")
            if isinstance(n, ast.List):
                tags.add("list")
                if any(isinstance(e, ast.Tuple) for e in n.elts):
                    tags.add("list of tuples")
            if isinstance(n, ast.Dict):
                tags.add("dict")
            if isinstance(n, ast.Call):
                fn = n.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in ("copy", "array", "astype", "asarray") and isinstance(fn, ast.Attribute):
                    tags.add(f"{'np.' if getattr(fn.value, 'id', '') == 'np' else '.'}{name}")
                if name in ("sort", "fill") or any(k.arg == "out" for k in n.keywords):
                    tags.add(f"in-place method {name}")
                if name == "append":
                    tags.add("append")
                if name in ("reshape", "ravel"):
                    tags.add(name)
                if isinstance(fn, ast.Name) and fn.id in ("sum", "max", "min", "abs", "len", "float"):
                    tags.add(f"builtin {fn.id}")
                if name in ("stack", "concatenate", "r_", "linspace", "std", "var", "mod", "where", "clip",
                            "maximum", "minimum", "prod", "cumsum", "sort", "outer", "dot", "vstack", "append",
                            "max", "min", "mean"):
                    tags.add(f"np.{name}" if getattr(fn, "value", None) is not None
                             and getattr(fn.value, "id", "") == "np" else f".{name}" if isinstance(fn, ast.Attribute)
                             else name)
                if isinstance(fn, ast.Name) and fn.id in funcs:
                    tags.add("calls helper")
            if isinstance(n, ast.Subscript) and getattr(n.value, "attr", "") == "r_":
                tags.add("np.r_")
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and \
                    n.targets[0].id in ("len", "sum", "max", "min", "abs"):
                tags.add("shadowed builtin")
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
                tags.add("@")
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod):
                tags.add("%")
    mk = funcs.get("make_args")
    if mk is not None:
        text = ast.unparse(mk)
        if "float32" in text:
            tags.add("float32 arg")
        if "np.float64(" in text:
            tags.add("np.float64 arg")
        if re.search(r"np\.array\(-?[0-9.]+\)", text):
            tags.add("0-d arg")
        ret = mk.body[-1]
        if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple):
            ids = [getattr(e, "id", None) for e in ret.value.elts]
            if len([i for i in ids if i]) != len(set(i for i in ids if i)):
                tags.add("same array passed twice")
        for n in ast.walk(mk):
            if isinstance(n, ast.Assign) and isinstance(n.value, (ast.List, ast.Dict)):
                tags.add("container arg")
    return sorted(tags)


def category(res, shrunk_src):
    """A key grouping similar failures."""
    if res.outcome == "crash":
        msg = re.sub(r"'[^']*'", "'…'", res.message or "")
        msg = re.sub(r"\d+", "N", msg)[:90]
        return f"crash {res.exc_type} at {res.stage}: {msg}"
    tags = features(shrunk_src)
    picked = [t for t in _PRIORITY if t in tags][:4]
    if not picked:
        picked = tags[:3]
    return f"wrong {res.kind}: {', '.join(picked) if picked else '(plain)'}"


# the tags that best tell failures apart, most telling first (category() keeps the first four present)
_PRIORITY = ["same array passed twice", "helper-mutates-arg", "helper-appends", "closure-factory", "decorator",
             "functools.partial", "recursion", "module constant", "comprehension", "np.r_", "np.linspace",
             "np.mod", "%", "alias y = x", "view .T", "reshape", "ravel", "view/subscript assigned",
             "in-place method sort", "in-place method fill", "in-place method multiply", "list of tuples",
             "for with unpacking", "container arg", "dict", "append", "setitem", "augassign on subscript",
             "augassign", "list", "tuple unpack", "lambda", "nested def", "return in loop", "break/continue",
             "while", "for", "if", "conditional expr", "shadowed builtin", "float32 arg", "0-d arg",
             "np.float64 arg", "calls helper", "builtin sum", "builtin max", "builtin min", "builtin abs",
             "builtin len", "builtin float"]


def normalize_message(msg):
    msg = re.sub(r"`[^`]*`", "`…`", msg or "")
    msg = re.sub(r"`…`(, `…`)+", "`…`", msg)
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\b\d+\b", "N", msg)
    return msg[:120]


# -------------------------------------------------------------------------------------------------------------
# one program, end to end (used by explore.py and the CI test)
# -------------------------------------------------------------------------------------------------------------

def program_seed(seed, index):
    return f"progen-{seed}-{index}"


def run_one(seed, index, do_shrink=True, shrink_budget=60.0, timeout=20.0, mode="grad"):
    """Generate program `index` of run `seed`, check it (`mode`: see check_module), shrink it when wrong or
    crash. Returns a dict."""
    import ad_compiler as ad
    src = generate(program_seed(seed, index))
    t0 = time.monotonic()
    res = check_source(src, ad, timeout=timeout, mode=mode)
    out = dict(res)
    out.setdefault("mode", mode)
    out.update(seed=seed, index=index, seconds=time.monotonic() - t0)
    if res.outcome != "refused" or res.located:
        out.pop("full", None)
    if res.outcome in ("wrong", "crash"):
        out["source"] = src
        # (in mode 'all', the shrinker checks only the mode that failed)
        one = res.get("mode", mode) if mode == "all" else mode
        shrunk = shrink(src, res, ad, budget=shrink_budget, mode=one) if do_shrink else src
        out["shrunk"] = shrunk
        out["category"] = category(res, shrunk)
        # the result of the shrunk program (its own expected/got values)
        final = check_source(shrunk, ad, timeout=timeout, tag="final", mode=one)
        out["shrunk_result"] = {k: v for k, v in final.items() if k != "full"}
    return out


def describe(out):
    """The text written for a wrong/crash program: a header comment, then the (shrunk) program."""
    r = out.get("shrunk_result") or out
    mode = out.get("mode", "grad")
    head = [f"# {out['outcome'].upper()} ({out.get('category', '')})",
            f"# generated by tests/progen.py: seed={out['seed']} index={out['index']} mode={mode}",
            f"# {r.get('message', '')}"]
    if r.get("expected") is not None:
        head.append(f"# expected (finite differences): {r['expected']}")
        head.append(f"# got (ad.{mode}):{' ' * (17 - len(mode))}{r['got']}")
    if r.get("where"):
        head.append(f"# raised at: {r['where']}")
    head.append(f"# re-check: python tests/explore.py --mode {mode} --check THIS_FILE")
    head = [ln if ln.startswith("#") else "# " + ln for h in head for ln in str(h).splitlines()]
    return "\n".join(head) + "\n" + out.get("shrunk", out.get("source", ""))


# -------------------------------------------------------------------------------------------------------------
# hand-written programs of kinds known to get a wrong gradient from the first compiler (regression cases)
# -------------------------------------------------------------------------------------------------------------

_HEAD = "import numpy as np\n\n\n"
KNOWN_CASES = {
    # right gradient at x = [.3, -.7, .5]: [0.6, 0, 0]
    "copy_then_setitem": _HEAD + """def f(x):
    v = x * 1.0
    v[1:] = 0.0
    return np.sum(v * x)


def make_args():
    return (np.array([0.3, -0.7, 0.5]),)


WRT = 0
""",
    # right: 2 (x + 1)
    "alias_then_augassign": _HEAD + """def f(x):
    y = x
    y += 1.0
    return np.sum(x ** 2)


def make_args():
    return (np.array([0.3, -0.7, 0.5]),)


WRT = 0
""",
    "list_store_then_mutate": _HEAD + """def f(x):
    L = [x]
    x += 1
    return np.sum(L[0] ** 2)


def make_args():
    return (np.array([0.3, -0.7, 0.5]),)


WRT = 0
""",
    "list_of_tuples_unpacked": _HEAD + """def f(params, x):
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h * w + b)
    p, q = params[-1]
    return np.sum(h * p) + q


def make_args():
    params = [(np.array([0.2, 0.4, -0.3]), 0.1), (np.array([0.5, 0.6, 0.7]), 0.3)]
    return params, np.array([0.3, -0.7, 0.5])


WRT = (0, 1)
""",
    "closure_factory": _HEAD + """def make(c):
    return lambda t: t * c


def f(x):
    g = make(np.sum(x))
    return g(2.0)


def make_args():
    return (np.array([0.3, -0.7, 0.5]),)


WRT = 0
""",
}
