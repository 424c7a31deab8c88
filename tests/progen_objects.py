"""Generator feature "objects" of tests/progen.py: what users write with objects and NumPy's keywords.

Objects holding containers (`Containers`): plain classes and dataclasses (`field(default_factory=list)`)
whose attributes are lists, dicts, tuples, arrays or other objects, changed by methods, attribute stores, item
stores, `append` / `extend` / `pop` / `+=`, then read by loops, comprehensions, generator expressions,
`zip` / `enumerate` and `sum()`; two attributes or two objects sharing one list or array; views of f's arrays
kept in an object's list. Classes (`Classes`): subclasses calling `super()`, properties with setters, dunder
methods (`__add__`, `__mul__`, `__getitem__`, `__setitem__`, `__iadd__`, `__call__`), class attributes shared by
instances (put back by `make_args`). NumPy keywords (`NumpyKeywords`): negative and tuple axes, `keepdims`,
`ddof`, `dtype=np.float64`, `order='F'` reshapes and ravels (views of a transpose changed in place), the method
forms (`x.sum(axis=)`, `x.std(ddof=1)`, `x.clip(a, b)`, `x.cumsum(axis=)`, `x.T`, `x.swapaxes`,
`x.transpose(axes)`).

Placed like tests/progen_state.py's constructs (in f, in a loop with break / continue, in a branch, in a helper
given f's arrays), drawing from the feature's own random stream: with the feature off (`--objects 0`), or where
no construct is drawn, a seed gives the program it gave before.
"""
import progen_state
from progen import SCALAR, V, arr, num, scal
from progen_state import _array, _resets, _small

RATE = 0.08     # chance that a statement of f is one of these constructs (progen.FEATURES["objects"])

READS = ["sum(np.sum(t * t) for t in {L})", "sum([np.sum(np.sin(t)) for t in {L}])", "np.sum(np.array({L}))",
         "sum(np.sum(p * q) for p, q in zip({L}, {L}[1:]))", "sum((k + 1.0) * np.sum(t) for k, t in enumerate({L}))",
         "np.sum(sum({L}))", "np.sum(np.stack({L}) ** 2)", "sum(map(np.sum, {L}))"]


def _dataclasses(g):
    g.root.need_dataclasses = True


def _reader(g, L):
    """A read of every item of the list `L` (an expression), or a loop reading them into a new number."""
    if g.chance(0.3):
        r = g.fresh("f")
        g.emit(f"{r} = 0.0")
        var = g.choice(["t", "el"])
        g.emit(f"for {var} in {L}:")
        g.emit(f"    {r} = {r} + np.sum({var} ** 2)")
        if g.chance(0.3):
            g.emit(f"    if {r} > {num(g.choice([1.0, 3.0]))}:")
            g.emit("        break")
        g.define(r, scal())
        return r
    return g.choice(READS).format(L=L)


class Containers:
    """Objects whose attributes are containers, changed, then read item by item."""

    def _holder(self, g, dataclass):
        """A class with a list attribute `items`, a dict `d` and a number `c`: its name."""
        cls = g.helper_name(g.choice(["Buffer", "Store", "Bag", "Tape"]))
        add = g.choice(["self.items.append(v * self.c)", "self.items.append(v)", "self.items += [v]",
                        "self.items.extend([v, v * self.c])", "self.items.insert(0, v)"])
        meth = (f"    def add(self, v):\n        {add}\n        return len(self.items)\n\n"
                f"    def scale(self, s):\n        for k in range(len(self.items)):\n"
                f"            self.items[k] = self.items[k] * s\n\n"
                f"    def total(self):\n        return sum(np.sum(t) for t in self.items) * self.c\n")
        if dataclass:
            _dataclasses(g)
            g.add_helper(f"@dataclass\nclass {cls}:\n    c: float = 1.0\n"
                         f"    items: list = field(default_factory=list)\n"
                         f"    d: dict = field(default_factory=dict)\n\n" + meth)
        else:
            g.add_helper(f"class {cls}:\n    def __init__(self, c=1.0):\n        self.c = c\n        self.items = []\n"
                         f"        self.d = {{}}\n\n" + meth)
        return cls

    def list_attr(self, g):
        """An object's list attribute appended to, an item changed in place, then read by a lazy reader
        (the lead's hand-found bug, hunt17)."""
        t = g.choice([(3,), (4,)])
        cls = self._holder(g, g.chance(0.5))
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice(['', _small(g), 'c=' + _small(g)])})")
        g.define(o, V("object"))
        x = _array(g, shapes=(t,))
        n = g.choice([1, 2, 2, 3])
        for k in range(n):
            src = g.choice([x, f"{x} * {num(k + 1.0)}", g.ex(t, 1).c, f"{x}.copy()"])
            g.emit(g.choice([f"{o}.add({src})", f"{o}.items.append({src})", f"{o}.items += [{src}]"]))
        change = g.choice([f"{o}.items[0] *= {_small(g)}", f"{o}.items[-1][0] = {_small(g)}",
                           f"{o}.items[0] += {x}", f"{o}.items[-1] = {o}.items[-1] * {_small(g)}",
                           f"{o}.scale({_small(g)})", f"{o}.items.pop()", f"{x} *= {_small(g)}",
                           f"{o}.items.extend([{x} + 1.0])", f"{o}.items[0][1:] = {_small(g)}",
                           f"for t in {o}.items:\n{'    ' * g.ind}    t *= {_small(g)}"])
        if "pop" in change and n == 1:
            change = f"{o}.items.append({o}.items.pop() * 2.0)"
        if g.chance(0.85):
            g.emit(change)
        g.want(x)
        return [_reader(g, f"{o}.items"), f"{o}.total()"] if g.chance(0.4) else [_reader(g, f"{o}.items")]

    def dict_attr(self, g):
        """An object's dict attribute filled by item stores, changed by `+=`, read by its values or items."""
        t = g.choice([(3,), (4,)])
        cls = self._holder(g, g.chance(0.5))
        o = g.fresh("D")
        g.emit(f"{o} = {cls}()")
        g.define(o, V("object"))
        x = _array(g, shapes=(t,))
        g.emit(f"{o}.d['a'] = {g.choice([x, x + ' * 1.0', x + '[::-1]'])}")
        g.emit(f"{o}.d['b'] = {g.ex(t, 1).c}")
        g.emit(g.choice([f"{o}.d['a'] += {_small(g)}", f"{o}.d['b'] *= {o}.d['a']", f"{o}.d['a'][0] = {_small(g)}",
                         f"{o}.d['a'] = {o}.d['a'] * {o}.d['b']", f"{o}.d.update(c={x} * 2.0)",
                         f"{o}.d.pop('b')"]))
        read = g.choice([f"sum(np.sum(v ** 2) for v in {o}.d.values())",
                         f"sum(np.sum(v) * len(k) for k, v in {o}.d.items())",
                         f"np.sum({o}.d['a'] * {o}.d.get('b', 1.0))", _reader(g, f"list({o}.d.values())")])
        g.want(x)
        return [read]

    def tuple_attr(self, g):
        """A tuple attribute replaced by a new tuple, an array in it changed, unpacked and read."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Pair", "Twin"]))
        g.add_helper(f"class {cls}:\n    def __init__(self, a, b):\n        self.p = (a, b)\n\n"
                     f"    def swap(self):\n        a, b = self.p\n        self.p = (b, a * 2.0)\n\n"
                     f"    def dot(self):\n        return np.sum(self.p[0] * self.p[1])\n")
        x = _array(g, shapes=(t,))
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({x}, {g.ex(t, 1).c})")
        g.define(o, V("object"))
        g.emit(g.choice([f"{o}.swap()", f"{o}.p[0][1] = {_small(g)}", f"{o}.p = ({o}.p[1], {o}.p[0] + 1.0)",
                         f"{o}.p[1][:] = {x} * {_small(g)}", f"{x} += 1.0"]))
        g.want(x)
        return [g.choice([f"{o}.dot()", f"sum(np.sum(q) for q in {o}.p)", f"np.sum({o}.p[0] ** 2) + np.sum({o}.p[1])"])]

    def array_attr(self, g):
        """An array attribute changed by attribute stores and item stores (maybe f's own array)."""
        t = g.choice([(3,), (4,), (2, 3)])
        cls = g.helper_name(g.choice(["Param", "Weights"]))
        g.add_helper(f"class {cls}:\n    def __init__(self, w):\n        self.w = w\n\n"
                     f"    def update(self, g, lr=0.1):\n        self.w -= lr * g\n")
        x = _array(g, shapes=(t,))
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice([x, x, x + '.copy()', x + ' * 1.0'])})")
        g.define(o, V("object"))
        row = "[0]" if len(t) == 2 else "[1:]"
        for _ in range(g.choice([1, 2])):
            g.emit(g.choice([f"{o}.w{row} = {_small(g)}", f"{o}.w += {g.ex(t, 1).c}", f"{o}.w = {o}.w * {_small(g)}",
                             f"{o}.update({o}.w * 2.0)", f"{o}.update({g.ex(t, 1).c}, lr={_small(g)})",
                             f"{o}.w[...] = np.tanh({o}.w)", f"{o}.w.T[0] *= {_small(g)}"]))
        g.want(x)
        return [f"np.sum({o}.w ** 2)", f"np.sum(np.sin({o}.w))"][:g.choice([1, 2])]

    def nested(self, g):
        """An object holding another object (and its list), reached through two attributes."""
        t = g.choice([(3,), (4,)])
        inner = self._holder(g, g.chance(0.5))
        outer = g.helper_name(g.choice(["Model", "Net"]))
        g.add_helper(f"class {outer}:\n    def __init__(self, w):\n        self.w = w\n        self.log = {inner}()\n\n"
                     f"    def __call__(self, v):\n        h = np.tanh(self.w * v)\n        self.log.add(h)\n"
                     f"        return h\n")
        x = _array(g, shapes=(t,))
        m = g.fresh("D")
        g.emit(f"{m} = {outer}({g.choice([x, g.ex(t, 1).c, _small(g)])})")
        g.define(m, V("object"))
        h = g.fresh("a", t)
        g.emit(f"{h} = {m}({g.ex(t, 1).c})")
        g.define(h, arr(t))
        if g.chance(0.5):
            g.emit(f"{h} = {m}({h})")
        g.emit(g.choice([f"{m}.log.items[0] *= {_small(g)}", f"{m}.log.items[-1][0] = {_small(g)}",
                         f"{h} += {_small(g)}", f"{m}.w = {m}.w * 0.5", f"{m}.log.c = {_small(g)}"]))
        g.want(x)
        return [_reader(g, f"{m}.log.items"), f"{m}.log.total()", f"np.sum({h})"][:g.choice([1, 2, 3])]

    def shared(self, g):
        """Two objects (or two attributes) sharing one list or one array, changed through one, read through
        the other."""
        t = g.choice([(3,), (4,)])
        cls = self._holder(g, False)
        x = _array(g, shapes=(t,))
        a, b = g.fresh("D"), g.fresh("D")
        form = g.r.randrange(3)
        if form == 0:
            L = g.fresh("L")
            g.emit(f"{L} = [{x}]")
            g.emit(f"{a} = {cls}()")
            g.emit(f"{b} = {cls}()")
            g.emit(f"{a}.items = {L}")
            g.emit(f"{b}.items = {L}")
            g.emit(g.choice([f"{a}.add({g.ex(t, 1).c})", f"{a}.items[0] *= {_small(g)}", f"{a}.items.append({x} * 2.0)"]))
            read = f"{b}.items"
        elif form == 1:
            g.emit(f"{a} = {cls}()")
            g.emit(f"{a}.w = {x}")
            g.emit(f"{a}.v = {a}.w")
            g.emit(g.choice([f"{a}.w += {_small(g)}", f"{a}.v[0] = {_small(g)}", f"{a}.w *= {a}.v"]))
            read = f"[{a}.v, {a}.w]"
        else:
            g.emit(f"{a} = {cls}()")
            g.emit(f"{b} = {a}")
            g.emit(f"{a}.add({x})")
            g.emit(g.choice([f"{b}.items[0] += {_small(g)}", f"{b}.add({x} * {_small(g)})", f"{b}.scale(0.5)"]))
            read = f"{a}.items"
        g.define(a, V("object"))
        g.define(b, V("object"))
        g.want(x)
        return [_reader(g, read)]

    def views_kept(self, g):
        """Views of f's arrays (maybe arguments) kept in an object's list, the array changed after."""
        t = g.choice([(3,), (4,), (2, 3)])
        cls = self._holder(g, g.chance(0.5))
        x = _array(g, shapes=(t,), local=0.3)
        o = g.fresh("D")
        g.emit(f"{o} = {cls}()")
        g.define(o, V("object"))
        views = ([f"{x}[1:]", f"{x}[:-1]", f"{x}[::-1][:-1]", f"{x}[-1:0:-1]"] if len(t) == 1 else
                 [f"{x}[0]", f"{x}[-1]", f"{x}[::-1][0]", f"{x}.T[:, 1]", f"{x}[1, :]"])
        for v in g.r.sample(views, 2):
            g.emit(f"{o}.add({v})")
        if g.chance(0.8):
            g.emit(g.choice([f"{x} *= {_small(g)}", f"{x}[0] = {_small(g)}", f"{x}[-1] += {x}[0]",
                             f"{o}.items[0][0] = {_small(g)}"]))
        g.want(x)
        return [_reader(g, f"{o}.items")]


class Classes:
    """Subclasses with super(), properties with setters, dunder methods, class attributes."""

    def subclass(self, g):
        t = g.choice([(3,), (4,)])
        base = g.helper_name(g.choice(["Base", "Layer"]))
        sub = g.helper_name(g.choice(["Scaled", "Shifted"]))
        dc = g.chance(0.3)
        if dc:
            _dataclasses(g)
            g.add_helper(f"@dataclass\nclass {base}:\n    w: np.ndarray\n    hist: list = field(default_factory=list)\n\n"
                         f"    def apply(self, v):\n        out = v * self.w\n        self.hist.append(out)\n"
                         f"        return out\n")
            init = ""
        else:
            g.add_helper(f"class {base}:\n    def __init__(self, w):\n        self.w = w\n        self.hist = []\n\n"
                         f"    def apply(self, v):\n        out = v * self.w\n        self.hist.append(out)\n"
                         f"        return out\n")
            init = (f"    def __init__(self, w, k=2.0):\n        super().__init__(w * k)\n"
                    f"        self.k = k\n\n")
        body = g.choice(["return np.tanh(super().apply(v)) + 1.0", "out = super().apply(v)\n        out *= 2.0\n"
                         "        return out", f"return super().apply(v * {num(g.choice([0.5, -1.5, 2.0]))}) + {base}.apply(self, v)"])
        g.add_helper(f"{'@dataclass' + chr(10) if dc else ''}class {sub}({base}):\n{init}"
                     f"    def apply(self, v):\n        {body}\n")
        o = g.fresh("D")
        g.emit(f"{o} = {sub}({g.choice([_array(g, shapes=(t,)), g.ex(t, 1).c, _small(g)])})")
        g.define(o, V("object"))
        h = g.fresh("a", t)
        g.emit(f"{h} = {o}.apply({g.ex(t, 1).c})")
        g.define(h, arr(t))
        if g.chance(0.5):
            g.emit(g.choice([f"{h} = {o}.apply({h})", f"{o}.w = {o}.w * 0.5", f"{o}.hist[0] *= {_small(g)}"]))
        return [f"np.sum({h} ** 2)", _reader(g, f"{o}.hist")][:g.choice([1, 2])]

    def prop(self, g):
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Scaler", "Gain"]))
        setter = g.choice(["self._s = v * 2.0", "self._s = v", "self._s = np.abs(v) + 0.5"])
        g.add_helper(f"class {cls}:\n    def __init__(self, s):\n        self._s = s\n\n    @property\n"
                     f"    def s(self):\n        return self._s\n\n    @s.setter\n    def s(self, v):\n        {setter}\n\n"
                     f"    @property\n    def sq(self):\n        return self._s * self._s\n")
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.ex(g.choice([SCALAR, t]), 1).c})")
        g.define(o, V("object"))
        g.emit(g.choice([f"{o}.s = {g.ex(SCALAR, 1).c}", f"{o}.s = {o}.s * {_small(g)}", f"{o}.s += {_small(g)}",
                         f"{o}.s = {g.ex(t, 1).c}"]))
        return [f"np.sum({o}.s * {g.ex(t, 1).c})", f"np.sum({o}.sq)"][:g.choice([1, 2])]

    def dunder(self, g):
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Vec", "Tensor"]))
        g.add_helper(f"class {cls}:\n    def __init__(self, v):\n        self.v = v\n\n"
                     f"    def __add__(self, o):\n        return {cls}(self.v + (o.v if isinstance(o, {cls}) else o))\n\n"
                     f"    def __mul__(self, c):\n        return {cls}(self.v * c)\n\n"
                     f"    def __getitem__(self, i):\n        return self.v[i]\n\n"
                     f"    def __setitem__(self, i, val):\n        self.v[i] = val\n\n"
                     f"    def __iadd__(self, o):\n        self.v += o.v if isinstance(o, {cls}) else o\n        return self\n\n"
                     f"    def __call__(self, u):\n        return np.sum(self.v * u)\n")
        x = _array(g, shapes=(t,))
        p, q = g.fresh("D"), g.fresh("D")
        g.emit(f"{p} = {cls}({g.choice([x, x + ' * 1.0'])})")
        g.emit(f"{q} = " + g.choice([f"{p} + {cls}({g.ex(t, 1).c})", f"{p} * {_small(g)}", f"{p} + {_small(g)}",
                                     f"({p} + {p}) * 0.5"]))
        g.define(p, V("object"))
        g.define(q, V("object"))
        for _ in range(g.choice([1, 2])):
            g.emit(g.choice([f"{q}[0] = {_small(g)}", f"{q} += {p}", f"{p} += {_small(g)}", f"{q}[1:] = {p}[:-1]",
                             f"{q}[-1] += {p}[0]", f"{p}[0] = {q}({x})"]))
        g.want(x)
        return [f"{q}({g.ex(t, 1).c})", f"{p}[0] * {q}[-1]", f"np.sum({p}.v ** 2)"][:g.choice([1, 2, 3])]

    def class_attr(self, g):
        """Class attributes shared by instances: a number read through instances, a list both instances
        append to (put back by make_args)."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Node", "Unit"]))
        g.add_helper(f"class {cls}:\n    scale = 2.0\n    seen = []\n\n    def __init__(self, w):\n        self.w = w\n\n"
                     f"    def fire(self, v):\n        out = np.tanh(v * self.w) * self.scale\n        self.seen.append(out)\n"
                     f"        return out\n")
        _resets(g).append(f"{cls}.seen.clear()")
        a, b = g.fresh("D"), g.fresh("D")
        g.emit(f"{a} = {cls}({g.choice([_array(g, shapes=(t,)), g.ex(t, 1).c])})")
        g.emit(f"{b} = {cls}({g.choice([_small(g), g.ex(t, 1).c])})")
        g.define(a, V("object"))
        g.define(b, V("object"))
        h = g.fresh("a", t)
        g.emit(f"{h} = {a}.fire({g.ex(t, 1).c})")
        g.emit(f"{h} = {b}.fire({h})")
        g.define(h, arr(t))
        if g.chance(0.4):
            g.emit(g.choice([f"{a}.scale = {_small(g)}", f"{b}.seen[0] *= {_small(g)}", f"{a}.fire({h})"]))
        return [_reader(g, f"{a}.seen"), f"np.sum({h})", f"len({b}.seen) * np.sum({a}.seen[-1])"][:g.choice([1, 2, 3])]


class NumpyKeywords:
    """NumPy calls with the keywords users pass, in function and method form."""

    def reductions(self, g):
        have = [n for n, v in g.env.items() if v.kind == "a" and len(v.shape) == 2]
        if have and g.chance(0.6):
            A = g.choice(have)
            r, c = g.env[A].shape
        else:
            r, c = g.choice([(2, 3), (3, 2)])
            A = g.fresh("a", (r, c))
            g.emit(f"{A} = {g.ex((r, c), 1).c}")
            g.define(A, arr((r, c)))
        forms = [(f"np.sum({A}, axis=-1)", (r,)), (f"{A}.sum(axis=-2)", (c,)), (f"np.mean({A}, axis=(0, 1))", SCALAR),
                 (f"{A}.std(ddof=1)", SCALAR), (f"np.var({A}, axis=0, ddof=1)", (c,)), (f"{A}.var(axis=-1)", (r,)),
                 (f"{A}.max(axis=-1, keepdims=True)", (r, 1)), (f"np.sum({A}, axis=(-2, -1), keepdims=True)", (1, 1)),
                 (f"{A}.mean(axis=-1, keepdims=True)", (r, 1)), (f"np.std({A}, axis=-1, ddof=1, keepdims=True)", (r, 1)),
                 (f"{A}.min(axis=0)", (c,)), (f"np.prod({A}, axis=-1, keepdims=True)", (r, 1)),
                 (f"np.sum({A}, dtype=np.float64)", SCALAR), (f"{A}.sum(axis=(0,), dtype=np.float64)", (c,)),
                 (f"np.linalg.norm({A}, axis=-1)", (r,)), (f"np.linalg.norm({A}, axis=0, keepdims=True)", (1, c)),
                 (f"{A}.cumsum(axis=-1)", (r, c)), (f"np.cumsum({A}, axis=0)", (r, c)), (f"{A}.cumprod(axis=1)", (r, c)),
                 (f"np.cumsum({A})", (r * c,)), (f"{A}.clip(-0.5, 0.8)", (r, c)), (f"{A}.clip(min=-0.3)", (r, c)),
                 (f"np.max({A}, axis=(0, 1))", SCALAR), (f"np.average({A}, axis=-1, weights=np.arange(1.0, {c + 1.0}))", (r,)),
                 (f"np.mean({A} ** 2, axis=-2, keepdims=True)", (1, c))]
        out = []
        for _ in range(g.choice([1, 2])):
            code, t = g.choice(forms)
            z = g.fresh("f" if t == SCALAR else "a", t)
            g.emit(f"{z} = {code}")
            g.define(z, scal() if t == SCALAR else arr(t))
            if t != SCALAR and g.chance(0.3):
                g.emit(f"{z} = {z} - {A}.mean(axis=-1, keepdims=True)" if t == (r, 1) else f"{z} = {z} * {_small(g)}")
            out.append(z)
        return out

    def layouts(self, g):
        """order='F' reshapes and ravels, transposes in method form, maybe a view changed in place."""
        have = [n for n, v in g.env.items() if v.kind == "a" and len(v.shape) == 2 and v.mutable]
        if have and g.chance(0.5):
            A = g.choice(have)
            r, c = g.env[A].shape
        else:
            r, c = g.choice([(2, 3), (3, 2)])
            A = g.fresh("a", (r, c))
            g.emit(f"{A} = {g.ex((r, c), 1).c} * 1.0")
            g.define(A, arr((r, c)))
        forms = [(f"{A}.reshape(-1, order='F')", (r * c,)), (f"{A}.ravel(order='F')", (r * c,)),
                 (f"np.reshape({A}, ({c}, {r}), order='F')", (c, r)), (f"{A}.T.ravel(order='F')", (r * c,)),
                 (f"{A}.T.reshape(-1, order='F')", (r * c,)), (f"{A}.swapaxes(0, 1)", (c, r)),
                 (f"{A}.transpose((1, 0))", (c, r)), (f"{A}.transpose(1, 0)", (c, r)), (f"np.transpose({A}, axes=(1, 0))", (c, r)),
                 (f"{A}.T", (c, r)), (f"{A}.swapaxes(-1, -2)", (c, r)), (f"np.moveaxis({A}, -1, 0)", (c, r)),
                 (f"{A}.reshape({r}, {c}, 1).transpose(2, 0, 1).reshape({r}, {c})", (r, c)),
                 (f"{A}.reshape(({c}, {r}), order='F').T", (r, c)), (f"np.ravel({A}.T, order='F')", (r * c,)),
                 (f"np.asarray({A}, dtype=np.float64).ravel(order='K')", (r * c,)),
                 (f"{A}.flatten(order='F')", (r * c,))]
        code, t = g.choice(forms)
        u = g.fresh("a", t)
        g.emit(f"{u} = {code}")
        g.define(u, arr(t))
        if g.chance(0.5):  # a change through what may be a view of A
            g.emit(g.choice([f"{u}[0] = {_small(g)}" if len(t) == 1 else f"{u}[0, 0] = {_small(g)}", f"{u} *= {_small(g)}",
                             f"{u}[1:] += {_small(g)}", f"{u}[-1] = {u}[0] * 2.0"]))
            g.want(A)
        if len(t) == 2 and g.chance(0.5):
            three = f"{u}[:, :, None] * np.arange(1.0, 3.0)"
            code3 = g.choice([f"({three}).sum(axis=(0, 2))", f"({three}).transpose(2, 0, 1).sum(axis=(-1, -2))",
                              f"np.moveaxis({three}, -1, 0).std(axis=0, ddof=1)", f"({three}).swapaxes(-1, -3).mean(axis=(0, 1))",
                              f"np.sum({three}, axis=(-3, -1), keepdims=True)"])
            return [f"np.sum(np.sin({code3}))", u]
        return [u]


class Constructs(progen_state.Constructs, Containers, Classes, NumpyKeywords):
    """Picks one of these constructs and where it goes (as tests/progen_state.py's `Constructs`)."""

    KINDS = [(3, "list_attr"), (1.5, "dict_attr"), (1, "tuple_attr"), (2, "array_attr"), (1.5, "nested"),
             (2, "shared"), (1.5, "views_kept"), (1.5, "subclass"), (1.2, "prop"), (1.5, "dunder"),
             (1, "class_attr"), (2.5, "reductions"), (2, "layouts")]
    FEATURE = "objects"


CONSTRUCTS = Constructs()
