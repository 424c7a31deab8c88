"""Generator feature "state" of tests/progen.py: sharing and late reads that the hand-written hunts found wrong.

Each construct writes a few lines into a `progen.Gen` (its `g`): an array changed through a name that may be
the array itself (`astype(copy=False)`, `conj()` of a real array, `np.asmatrix`), views of views, overlapping
slices, a name that is one of several arrays, tuples of arrays inside lists, lazy iterators (generator
expressions, map/filter/zip/enumerate/reversed/iter, generator functions, dict views) consumed after their
source changed, helpers changing their mutable defaults, module-level dicts, lists and arrays changed in place
through a name, closures reading an array that changes, methods of objects holding arrays, helpers mutating
their arguments; state known before a loop and changed by its body (`LoopState`: a flag flipped by a method, a
memoizing `if self.h is None:`, a switched activation, a momentum buffer or an RNN cell's hidden state made
lazily on self, closures changing a `nonlocal` number or a dict / list item a later iteration tests, a generator
changing its caller's object, recursive and `@ad.checkpoint` helpers returning their argument, a view of it or
the list they were given). `Constructs.run` puts a construct inside a loop (with `break` / `continue`), a branch
or a helper.

Module state a construct changes is put back by `make_args` (lines in `g.root.resets`), so every call of f
starts from the same state (the differences and the derivative see one function).

The constructs draw from their own random stream (progen.generate swaps it in), so with the feature off, or
where no construct is drawn, a seed gives the program it gave before.
"""
from progen import ALL_SHAPES, MUL, SCALAR, V, arr, num, scal, w

RATE = 0.18     # chance that a statement of f is one of these constructs (progen.FEATURES["state"])


def _resets(g):
    root = g.root
    if not hasattr(root, "resets"):
        root.resets = []
    return root.resets


def _lit(g, shape):
    vals = [num(g.choice([0.3, -0.6, 1.2, 0.7, -1.1, 0.45, 0.9, -0.35])) for _ in range(_size(shape))]
    if len(shape) == 1:
        return "[" + ", ".join(vals) + "]"
    r, c = shape
    return "[" + ", ".join("[" + ", ".join(vals[i * c:(i + 1) * c]) + "]" for i in range(r)) + "]"


def _size(shape):
    n = 1
    for k in shape:
        n *= k
    return n


def _array(g, shapes=((3,), (4,), (2, 3)), local=0.5):
    """A mutable array of one of `shapes` (an existing one or a new local copy): its name."""
    cands = [n for n in g.targets() if g.env[n].shape in shapes]
    if cands and not g.chance(local):
        return g.choice(cands)
    return g.local_array(g.choice(shapes))


def _small(g):
    return g.ex(SCALAR, 1).c


class Sharing:
    """Arrays changed through another name: views that look like copies, views of views, several arrays."""

    MAYBE_SELF = ["{x}.astype(np.float64, copy=False)", "{x}.astype(float, copy=False)", "{x}.conj()",
                  "{x}.conjugate()", "np.conj({x})", "np.asarray({x})", "np.asarray({x}, dtype=np.float64)",
                  "np.array({x}, copy=False)", "{x}.real", "np.real({x})", "np.ascontiguousarray({x})",
                  "{x}.view()", "np.asanyarray({x})", "np.require({x})", "{x}.astype(np.float64)",
                  "np.array({x})", "np.asarray({x}).copy()", "np.copy({x})"]

    def maybe_self(self, g):
        """`z = x.astype(np.float64, copy=False)` (x itself for a float64 x, a copy of a float32 one), then z
        changed in place: x changes or not."""
        x = _array(g)
        t = g.env[x].shape
        if g.chance(0.15):
            z = g.fresh("a", t)
            g.emit(f"{z} = np.asmatrix({x})")
            g.emit(g.choice([f"{z}[0, 0] = {_small(g)}", f"{z} *= {_small(g)}", f"{z} += {_small(g)}",
                             f"{z}[0, -1] += {_small(g)}"]))
            g.want(x)
            return [f"np.sum({z})"]
        z = g.fresh("a", t)
        g.emit(f"{z} = {g.choice(self.MAYBE_SELF).format(x=x)}")
        g.define(z, arr(t))
        g.emit(g.mutation(z, g.env[z]))
        g.want(x)
        return [z] if g.chance(0.5) else []

    def view_chain(self, g):
        """A view of a view (reshape / ravel / .T / slices of slices) changed in place."""
        x = _array(g, shapes=((3,), (4,), (2, 3), (3, 2)))
        code, t1 = g.view_of(x, g.env[x].shape)
        u = g.fresh("a", t1)
        g.emit(f"{u} = {code}")
        g.define(u, arr(t1))
        if (len(t1) == 1 and t1[0] >= 3) or len(t1) == 2:
            code, t2 = g.view_of(u, t1)
            if g.chance(0.2) and len(t1) == 2:
                code, t2 = g.choice([(f"{u}.T.reshape(-1)", (_size(t1),)), (f"{u}.flatten()", (_size(t1),)),
                                     (f"{u}[:, ::2].ravel()", (t1[0] * ((t1[1] + 1) // 2),))])
            if t2 in ALL_SHAPES or (len(t2) == 1 and t2[0] >= 1):
                v = g.fresh("a", t2)
                g.emit(f"{v} = {code}")
                g.define(v, arr(t2))
                u = v
        t = g.env[u].shape
        if t in ALL_SHAPES:
            g.emit(g.mutation(u, g.env[u]))
        else:
            g.emit(g.choice([f"{u} *= {_small(g)}", f"{u}[0] = {_small(g)}", f"{u} += {_small(g)}"]))
        g.want(x)
        return [u] if g.chance(0.3) else []

    def overlap(self, g):
        """Slice assignments reading the array they change (`v[1:] = v[:-1] * c`)."""
        x = _array(g, shapes=((3,), (4,), (2, 3), (2, 2)))
        t = g.env[x].shape
        c = _small(g)
        if len(t) == 1:
            forms = [f"{x}[1:] = {x}[:-1] * {num(g.choice([2.0, 0.5, -1.0]))}", f"{x}[1:] += {x}[:-1]",
                     f"{x}[:-1] = {x}[1:] + {c}", f"{x} += {x}[::-1]", f"{x}[1:] *= {x}[:-1]",
                     f"{x}[:] = {x}[::-1]", f"{x}[::2] = {x}[::2] * {c}", f"{x}[1:] = {c}"]
        else:
            forms = [f"{x}[1:] = {x}[:-1] * {num(g.choice([2.0, 0.5]))}", f"{x}[:, 1:] += {x}[:, :-1]",
                     f"{x}[:, 0] = {x}[:, -1] * {c}", f"{x}[::-1] *= {x}[0]"]
            if t[0] == t[1]:
                forms.append(f"{x} += {x}.T")
        g.emit(g.choice(forms))
        g.want(x)
        return []

    def several(self, g):
        """A name bound to one of several arrays (on different paths), then changed in place."""
        t = g.choice([(3,), (4,), (2, 3)])
        a = _array(g, shapes=(t,))
        b = _array(g, shapes=(t,), local=0.7)
        if a == b:
            b = g.local_array(t)
        z = g.fresh("a", t)
        form = g.r.randrange(4)
        if form == 0:
            g.emit(f"{z} = {a} if {g.cond()} else {b}")
        elif form == 1:
            g.emit(f"if {g.cond()}:")
            g.emit(f"    {z} = {a}")
            g.emit("else:", stmt=False)
            g.emit(f"    {z} = {b}")
        elif form == 2:
            g.emit(f"{z} = {a}")
            g.emit(f"if {g.cond()}:")
            g.emit(f"    {z} = {b}")
        else:
            g.emit(f"{z} = [{a}, {b}][int(abs({g.ex(SCALAR, 0).c}) * 10) % 2]")
        g.define(z, arr(t))
        g.emit(g.mutation(z, g.env[z]))
        g.want(a)
        g.want(b)
        return [z] if g.chance(0.4) else []

    def tuples_in_list(self, g):
        """Tuples of (array, number) in a list, the arrays changed through the tuples."""
        t = g.choice([(3,), (2, 3)])
        a = _array(g, shapes=(t,))
        b = g.local_array(t)
        P = g.fresh("T")
        g.emit(f"{P} = [({a}, {_small(g)}), ({b}, {num(g.choice([0.5, 1.5, -0.7]))})]")
        form = g.r.randrange(4)
        if form == 0:
            g.emit(f"for p, q in {P}:")
            g.emit(g.choice(["    p *= q", "    p += q", "    p[0] = p[-1] * q"]))
        elif form == 1:
            g.emit(f"{P}[0][0][{g.choice(['1:', '0', '-1'])}] = {_small(g)}")
        elif form == 2:
            tp = g.fresh("T")
            g.emit(f"{tp} = {P}[-1]")
            g.emit(f"{tp}[0][:] {g.choice(['+=', '*='])} {P}[0][1]")  # (`tp[0] += c` raises after the change)
        else:
            q, c = g.fresh("a", t), g.fresh("f")
            g.emit(f"{q}, {c} = {P}[{g.choice(['0', '1'])}]")
            g.emit(f"{q} {g.choice(['+=', '*='])} {c}")
        g.want(a)
        g.want(b)
        return [f"np.sum({P}[0][0]) * {P}[1][1]"]

    def through_container(self, g):
        """An array reached again through a dict, list or object holding it (`t = d.get("w")`, `L[:][0]`,
        `o.w`), changed in place, often by a constant (a store the derivative needs for values only), then
        read through the container."""
        t = g.choice([(3,), (4,), (2, 3)])
        a = _array(g, shapes=(t,))
        form = g.r.randrange(3)
        c = g.fresh("D")
        if form == 0:
            g.emit(f"{c} = " + g.choice([f"{{'w': {a}, 'v': {g.ex(t, 1).c}}}", f"dict(zip(['v', 'w'], [{g.ex(t, 1).c}, {a}]))",
                                         f"dict(w={a})", f"{{'v': {g.ex(t, 1).c}}} | {{'w': {a}}}"]))
            got = g.choice([f"{c}.get('w')", f"{c}['w']", f"list({c}.values())[0]", f"next(iter({c}.values()))",
                            f"dict({c})['w']"])
            back = f"{c}['w']"
        elif form == 1:
            g.emit(f"{c} = " + g.choice([f"[{g.ex(t, 1).c}, {a}]", f"[{g.ex(t, 1).c}] + [{a}]", f"[{a}] * 2",
                                         f"list(({g.ex(t, 1).c}, {a}))", f"[*[{g.ex(t, 1).c}], {a}]"]))
            got = g.choice([f"{c}[1]", f"{c}[:][1]", f"next(reversed({c}))", f"[q for q in {c}][-1]",
                            f"tuple({c})[1]", f"list({c})[-1]"])
            back = f"{c}[-1]"
        else:
            box = g.helper_name("Box")
            g.add_helper(f"class {box}:\n    def __init__(self, w):\n        self.w = w\n\n"
                         f"    def get(self):\n        return self.w\n")
            g.emit(f"{c} = {box}({a})")
            got = g.choice([f"{c}.w", f"getattr({c}, 'w')", f"{c}.get()", f"vars({c})['w']"])
            back = f"{c}.w"
        g.define(c, V("holder"))
        v = g.fresh("a", t)
        g.emit(f"{v} = {got}")
        k = num(g.choice([0.5, 2.0, -1.5, 3.0]))
        g.emit(g.choice([f"{v}[0] = {k}", f"{v} *= {k}", f"{v}[1:] = {k}", f"{v}[...] = {k}", f"{v}.fill({k})",
                         f"np.copyto({v}, {k})", f"{v} += {k}", f"{v}[-1] = {v}[0] * {k}",
                         g.mutation(v, arr(t))]))
        g.want(a)
        return [f"np.sum({back} ** 2)", f"np.sum({back})"]

    def helper_mutates(self, g):
        """Helpers changing their argument through a view, a list's slot, a dict's value, or returning it."""
        t = g.choice([(3,), (4,)])
        name = g.helper_name(g.choice(["scale_tail", "touch", "adjust"]))
        form = g.r.randrange(4)
        x = _array(g, shapes=(t,))
        c = _small(g)
        if form == 0:
            g.add_helper(f"def {name}(a, c):\n    v = a[{g.choice(['1:', ':-1', '::2'])}]\n"
                         f"    v {g.choice(['*=', '+='])} c\n    return np.sum(a * a)\n")
            r = g.fresh("f")
            g.emit(f"{r} = {name}({x}, {c})")
        elif form == 1:
            y = g.local_array(t)
            L = g.fresh("L")
            g.add_helper(f"def {name}(L, c):\n    L[0] += c\n    L[1] = L[1] * c\n    return np.sum(L[1])\n")
            g.emit(f"{L} = [{x}, {y}]")
            r = g.fresh("f")
            g.emit(f"{r} = {name}({L}, {c})")
            g.want(y)
            g.want(f"{L}[1]")
        elif form == 2:
            D = g.fresh("D")
            g.add_helper(f"def {name}(D, c):\n    D['w'] {g.choice(['*=', '+='])} c\n    return D['w'][0]\n")
            g.emit(f"{D} = {{'w': {x}}}")
            r = g.fresh("f")
            g.emit(f"{r} = {name}({D}, {c})")
        else:
            g.add_helper(f"def {name}(a, c):\n    a[0] = c\n    return a\n")
            r = g.fresh("a", t)
            g.emit(f"{r} = {name}({x}, {c})")
            g.emit(f"{r}[-1] *= {num(g.choice([2.0, 0.5]))}")
        g.define(r, scal() if form < 3 else arr(t))
        g.want(x)
        return [r]


class LateReads:
    """Values read after what they read changed: lazy iterators, mutable defaults, module state, closures,
    objects holding arrays."""

    def lazy(self, g):
        """A lazy iterator made, its source changed (or not), then consumed."""
        x = _array(g, shapes=((3,), (4,)))
        k = g.env[x].shape[0]
        y = g.local_array((k,))
        s = g.fresh("f")
        g.emit(f"{s} = {_small(g)}")
        g.define(s, scal())
        it = g.fresh("L")
        form = g.r.randrange(9)
        seq = x
        change = g.choice([f"{x}[1] = {_small(g)}", f"{x} += {_small(g)}", f"{x} *= {y}",
                           f"{s} = {s} + 1.0", f"{x}[:] = {y}", None])
        if g.chance(0.3) and form in (1, 4, 5, 6, 7):  # over a list of arrays: a slot replaced or changed
            seq = g.fresh("L")
            g.emit(f"{seq} = [{x}, {y}]")
            change = g.choice([f"{seq}[1] = {seq}[1] * {_small(g)}", f"{seq}[0] += {_small(g)}",
                               f"{seq}[0] = {y}", change])
        if form == 8:
            name = g.helper_name("items_of")
            if g.chance(0.5):
                g.add_helper(f"def {name}(v, c):\n    for t in v:\n        yield t * c\n")
                call = f"{name}({seq}, {s})"
            else:  # a generator of f's own, reading f's names (free variables)
                g.emit(f"def {name}():")
                g.emit(f"    for t in {seq}:")
                g.emit(f"        yield t * {s}")
                call = f"{name}()"
        src = {0: f"(t * {s} for t in {seq})", 1: f"map(np.sin, {seq})", 2: f"map(lambda t: t * {s}, {seq})",
               3: f"filter(lambda t: t > -0.5, {seq})", 4: f"zip({seq}, {y})", 5: f"enumerate({seq})",
               6: f"reversed({seq})", 7: f"iter({seq})"}.get(form) or call
        g.emit(f"{it} = {src}")
        if change and g.chance(0.8):
            g.emit(change)
        r = g.fresh("f")
        head, body = {4: ("p, q", "np.sum(p * q)"), 5: ("p, q", "np.sum(q) * (p + 1.0)")}.get(
            form, ("t", "np.sum(t) * np.sum(t)"))
        how = g.r.randrange(3)
        if how == 0 and form not in (4, 5):
            g.emit(f"{r} = sum(np.sum(t) for t in {it}) * 1.0")
        elif how == 1 or form in (4, 5):
            g.emit(f"{r} = 0.0")
            g.emit(f"for {head} in {it}:")
            g.emit(f"    {r} = {r} + {body}")
            if g.chance(0.5):
                g.emit(f"    if {r} > {num(g.choice([1.0, 2.5]))}:")
                g.emit(f"        {g.choice(['break', 'continue'])}")
            if g.chance(0.3):
                g.emit(f"    {x}[-1] = {x}[-1] * 0.5")
        else:
            g.emit(f"{r} = float(np.sum(np.array([np.sum(e) for e in list({it})])))")
        g.define(r, scal())
        g.want(x)
        return [r]

    def dict_view(self, g):
        """`vals = d.values()` (a live view), then `d[key]` changed, then the view read."""
        D = g.fresh("D")
        a = g.local_array((3,))
        g.emit(f"{D} = {{'a': {a}, 'b': {g.ex((3,), 1).c}}}")
        view = g.choice(["values()", "items()", "keys()"])
        vw = g.fresh("L")
        g.emit(f"{vw} = {D}.{view}")
        g.emit(g.choice([f"{D}['a'] = {D}['a'] * {_small(g)}", f"{D}['b'] += {_small(g)}",
                         f"{D}['a'][0] = {_small(g)}", f"{a} *= 2.0"]))
        r = g.fresh("f")
        g.emit(f"{r} = 0.0")
        if view == "items()":
            g.emit(f"for key, item in {vw}:")
            g.emit(f"    {r} = {r} + np.sum(item ** 2)")
            if g.chance(0.4):
                g.emit(f"    {D}[key] = item * 0.5")
        else:
            g.emit(f"for item in {vw}:")
            g.emit(f"    {r} = {r} + np.sum({'item' if view == 'values()' else D + '[item]'} ** 2)")
        g.define(r, scal())
        return [r, f"np.sum({D}['a'])"]

    def defaults(self, g):
        """A helper changing its mutable default (the same object at every call), called more than once."""
        t = g.choice([(3,), SCALAR])
        name = g.helper_name(g.choice(["accumulate", "remember", "tally"]))
        form = g.r.randrange(4)
        if form == 0:
            g.add_helper(f"def {name}(v, buf=np.zeros(3)):\n    buf {g.choice(['+=', '-='])} v\n"
                         f"    return np.sum(buf * buf)\n")
            _resets(g).append(f"{name}.__defaults__[0][...] = 0.0")
        elif form == 1:
            g.add_helper(f"def {name}(v, cache={{}}):\n    cache['n'] = cache.get('n', 0.0) + np.sum(v)\n"
                         f"    return cache['n'] * 2.0\n")
            _resets(g).append(f"{name}.__defaults__[0].clear()")
        elif form == 2:
            g.add_helper(f"def {name}(v, seen=[]):\n    seen.append(np.sum(v))\n    return sum(seen)\n")
            _resets(g).append(f"{name}.__defaults__[0].clear()")
        else:  # read only: right whatever happens
            g.add_helper(f"def {name}(v, scale=np.array([0.5, 1.5, -1.0])):\n    return np.sum(v * scale)\n")
        r = g.fresh("f")
        g.emit(f"{r} = {name}({g.ex(t, 1).c})")
        if g.chance(0.6):
            g.emit(f"{r} = {r} + {name}({g.ex(t, 1).c})")
        g.define(r, scal())
        return [r]

    def module_state(self, g):
        """A module-level dict, list or array changed in place through a name (`a = D["k"]; a += x`)."""
        t = g.choice([(3,), (2, 3)])
        name = g.helper_name(g.choice(["STATE", "CACHE", "MEMO"]))
        lit = _lit(g, t)
        form = g.r.randrange(3)
        if form == 0:
            g.add_helper(f"{name} = {{'k': np.array({lit}), 'b': 0.5}}")
            _resets(g).append(f"{name}['k'][...] = {lit}")
            item = f"{name}['k']"
        elif form == 1:
            g.add_helper(f"{name} = [np.array({lit}), 0.5]")
            _resets(g).append(f"{name}[0][...] = {lit}")
            item = f"{name}[0]"
        else:
            g.add_helper(f"{name} = np.array({lit})")
            _resets(g).append(f"{name}[...] = {lit}")
            item = name
        a = g.fresh("a", t)
        how = g.r.randrange(4)
        if how == 3:
            g.emit(f"{a} = {item} * 1.0")
        elif how == 2 and len(t) == 1:
            g.emit(f"{a} = {item}[1:]")
            t = (t[0] - 1,)
        else:
            g.emit(f"{a} = {item}")
        g.define(a, arr(t))
        g.emit(g.mutation(a, g.env[a]) if t in ALL_SHAPES else f"{a} *= {_small(g)}")
        return [f"np.sum({item} ** 2)", f"np.sum({a})"]

    def closure(self, g):
        """A lambda or nested function reading (or changing) an array of f that changes."""
        t = g.choice([(3,), (4,)])
        y = g.local_array(t)
        fn = g.fresh("fn")
        form = g.r.randrange(3)
        if form == 0:
            g.emit(f"{fn} = lambda t: np.sum(t * {y})")
        elif form == 1:
            g.emit(f"def {fn}(t):")
            g.emit(f"    return np.sum(np.sin({y}) * t)")
        else:
            g.emit(f"def {fn}(t):")
            g.emit(f"    {y}[0] += t")
            g.emit(f"    return np.sum({y})")
        g.define(fn, V("closure"))
        g.emit(g.choice([g.mutation(y, g.env[y]), f"{y} = {y} * {_small(g)}", f"{y}[-1] = {_small(g)}"]))
        r = g.fresh("f")
        g.emit(f"{r} = {fn}({_small(g)})")
        if g.chance(0.4):
            g.emit(f"{y} *= 0.5")
            g.emit(f"{r} = {r} + {fn}({num(g.choice([0.5, 2.0]))})")
        g.define(r, scal())
        g.want(y)
        return [r]

    def method(self, g):
        """An object of a class of the module holding an array (maybe f's own), changed by its methods."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Acc", "Cell", "Holder"]))
        step = g.choice(["self.w += v", "self.w[0] = self.w[-1] * v", "self.w = self.w * v", "self.w *= v",
                         "self.hist.append(self.w * v)"])
        g.add_helper(f"class {cls}:\n    def __init__(self, w):\n        self.w = w\n        self.hist = []\n\n"
                     f"    def step(self, v):\n        {step}\n        return np.sum(self.w * v)\n\n"
                     f"    def total(self):\n        return np.sum(self.w ** 2) + sum(np.sum(h) for h in self.hist)\n")
        x = _array(g, shapes=(t,))
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice([x, x, f'{x}.copy()', f'{x} * 1.0'])})")
        g.define(o, V("object"))
        r = g.fresh("f")
        g.emit(f"{r} = {o}.step({_small(g)})")
        if g.chance(0.4):
            g.emit(f"{r} = {r} + {o}.step({num(g.choice([0.5, -1.5]))})")
        g.define(r, scal())
        g.want(x)
        return [r, f"{o}.total()"]


class LoopState:
    """State known before a loop and changed by its body (h15-005): an object's flag flipped by a method, a
    memoizing `if self.h is None:`, a switched activation, a momentum buffer made lazily, an RNN cell keeping its
    hidden state on self, closures changing a dict / list item or a `nonlocal` number a later iteration tests; a
    generator changing the caller's object (h15-007); recursive or checkpointed helpers returning their argument,
    a view of it or the list they were given, followed by a change in place (tests/test_found_callees.py)."""

    def _loop(self, g):
        var = ["i", "j", "k2"][min(g.loop_level, 2)]
        g.emit(f"for {var} in range({g.choice([2, 3])}):")
        return var

    def _stop(self, g):
        if g.chance(0.45):
            g.emit(f"    if {g.cond()}:")
            g.emit(f"        {g.choice(['break', 'continue'])}")

    def _acc(self, g):
        r = g.fresh("f")
        g.emit(f"{r} = 0.0")
        g.define(r, scal())
        return r

    def flag_object(self, g):
        """`if self.on:` in a method, the flag flipped by another method (or by f) in the loop."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Gate", "Switch", "Toggle"]))
        flip = g.choice(["self.on = not self.on", "self.on = True", "self.on = self.n % 2 == 1",
                         "self.on = self.n > 1"])
        alt = g.choice(["v + self.w", "np.sin(v) * self.w", "v * 0.5"])
        inner = g.chance(0.4)  # the flag flipped inside the method that reads it
        g.add_helper(f"class {cls}:\n    def __init__(self, w):\n        self.w = w\n        self.on = False\n"
                     f"        self.n = 0\n\n    def flip(self):\n        self.n += 1\n        {flip}\n\n"
                     f"    def apply(self, v):\n        if self.on:\n            out = v * self.w\n"
                     f"        else:\n            out = {alt}\n" + ("        self.flip()\n" if inner else "") +
                     "        return out\n")
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice([_array(g, shapes=(t,)), g.ex(t, 1).c, g.ex(SCALAR, 1).c])})")
        g.define(o, V("object"))
        r = self._acc(g)
        self._loop(g)
        g.ind += 1
        if g.chance(0.4):
            g.emit(f"if {o}.on:")
            g.emit(f"    {r} = {r} + {_small(g)}")
        g.emit(f"{r} = {r} + np.sum({o}.apply({g.ex(t, 1).c}))")
        if not inner:
            g.emit(g.choice([f"{o}.flip()", f"{o}.on = not {o}.on", f"{o}.flip()"]))
        g.ind -= 1
        self._stop(g)
        return [r]

    def memo_object(self, g):
        """`if self.h is None: self.h = ...` in a method the loop calls (the first iteration's value kept)."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Memo", "Cache", "Lazy"]))
        make = g.choice(["np.tanh(self.w * v)", "self.w * v", "np.sin(v) + self.w"])
        g.add_helper(f"class {cls}:\n    def __init__(self, w):\n        self.w = w\n        self.h = None\n\n"
                     f"    def get(self, v):\n        if self.h is None:\n            self.h = {make}\n"
                     f"        return self.h * v\n")
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice([_array(g, shapes=(t,)), g.ex(t, 1).c])})")
        g.define(o, V("object"))
        r = self._acc(g)
        var = self._loop(g)
        g.ind += 1
        g.emit(f"{r} = {r} + np.sum({o}.get({g.ex(t, 1).c} * ({var} + 1.0)))")
        if g.chance(0.3):
            g.emit(f"if {g.cond()}:")
            g.emit(f"    {o}.h = None")
        g.ind -= 1
        self._stop(g)
        return [r]

    def switched_act(self, g):
        """An activation stored on the object, switched by its method (or by f) during the loop."""
        t = g.choice([(3,), (4,)])
        first, then = g.choice([("np.sin", "np.tanh"), ("np.tanh", "np.cos"), ("np.exp", "np.sin")])
        if g.chance(0.35):  # a name of f holding the function, rebound by the body (g3-002)
            act = g.fresh("fn")
            g.emit(f"{act} = {first}")
            r = self._acc(g)
            var = self._loop(g)
            g.emit(f"    {r} = {r} + np.sum({act}({g.ex(t, 1).c} * ({var} + 1.0)))")
            if g.chance(0.5):
                g.emit(f"    {act} = {then}")
            else:
                g.emit(f"    if {g.cond()}:")
                g.emit(f"        {act} = {then}")
            self._stop(g)
            return [r]
        cls = g.helper_name(g.choice(["Layer", "Unit"]))
        inner = g.chance(0.5)
        g.add_helper(f"class {cls}:\n    def __init__(self, w):\n        self.w = w\n        self.act = {first}\n\n"
                     f"    def forward(self, v):\n        out = self.act(v * self.w)\n" +
                     (f"        self.act = {then}\n" if inner else "") + "        return out\n")
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice([_array(g, shapes=(t,)), g.ex(t, 1).c, g.ex(SCALAR, 1).c])})")
        g.define(o, V("object"))
        r = self._acc(g)
        self._loop(g)
        g.ind += 1
        g.emit(f"{r} = {r} + np.sum({o}.forward({g.ex(t, 1).c}))")
        if not inner:
            g.emit(f"if {g.cond()}:")
            g.emit(f"    {o}.act = {then}")
        g.ind -= 1
        self._stop(g)
        return [r]

    def momentum(self, g):
        """An unrolled training loop whose optimizer makes its momentum buffer at the first step."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Momentum", "Heavy"]))
        make = g.choice(["np.zeros_like(w)", "g * 0.0", "g.copy()"])
        upd = g.choice(["        self.m = 0.9 * self.m + g\n", "        self.m *= 0.9\n        self.m += g\n"])
        g.add_helper(f"class {cls}:\n    def __init__(self, lr):\n        self.lr = lr\n        self.m = None\n\n"
                     f"    def step(self, w, g):\n        if self.m is None:\n            self.m = {make}\n"
                     f"{upd}        return w - self.lr * self.m\n")
        opt = g.fresh("D")
        g.emit(f"{opt} = {cls}({g.choice(['0.1', '0.05', _small(g)])})")
        g.define(opt, V("object"))
        wv = g.fresh("a", t)
        g.emit(f"{wv} = {g.ex(t, 1).c} * 1.0")
        g.define(wv, arr(t))
        tgt = g.ex(t, 1).c
        self._loop(g)
        g.emit(f"    {wv} = {opt}.step({wv}, 2.0 * ({wv} - {tgt}))")
        self._stop(g)
        return [f"np.sum({wv} ** 2)"]

    def rnn_cell(self, g):
        """An RNN cell keeping its hidden state on self (made at the first step, maybe updated in place)."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Cell", "RNN"]))
        upd = g.choice(["self.h = np.tanh(self.W * self.h + v)", "self.h[...] = np.tanh(self.W * self.h + v)",
                        "self.h = np.tanh(self.h + self.W * v)"])
        g.add_helper(f"class {cls}:\n    def __init__(self, W):\n        self.W = W\n        self.h = None\n\n"
                     f"    def step(self, v):\n        if self.h is None:\n            self.h = np.zeros_like(v)\n"
                     f"        {upd}\n        return self.h\n")
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.choice([_array(g, shapes=(t,)), g.ex(t, 1).c])})")
        g.define(o, V("object"))
        hs = g.fresh("L")
        g.emit(f"{hs} = []")
        var = self._loop(g)
        g.emit(f"    {hs}.append({o}.step({g.ex(t, 1).c} * ({var} + 0.5)))")
        self._stop(g)
        return [f"sum(np.sum(q ** 2) for q in {hs})", f"np.sum({o}.h)"]

    def closure_state(self, g):
        """A closure changing a `nonlocal` number, a dict item or a list item that a later iteration's `if`
        tests (or that the closure tests itself)."""
        t = g.choice([(3,), (4,)])
        form = g.r.randrange(5)
        fn = g.fresh("fn")
        c = _small(g)
        if form == 4:  # a factory at module level
            mk = g.helper_name("make_counter")
            g.add_helper(f"def {mk}(c):\n    n = 0\n\n    def tick(t):\n        nonlocal n\n        n += 1\n"
                         f"        if n % 2 == 0:\n            return t * c\n        return t + c\n\n    return tick\n")
            g.emit(f"{fn} = {mk}({c})")
            test = None
        else:
            st = g.fresh("i") if form < 2 else g.fresh("D")
            if form == 0:
                g.emit(f"{st} = 0")
                body, test = [f"nonlocal {st}", f"{st} += 1"], f"{st} > 1"
            elif form == 1:
                g.emit(f"{st} = 0.0")
                body, test = [f"nonlocal {st}", f"{st} = {st} + np.sum(t) * 0.25"], f"{st} > 0.3"
            elif form == 2:
                g.emit(f"{st} = {{'n': 0}}")
                body, test = [f"{st}['n'] += 1"], f"{st}['n'] >= 2"
            else:
                g.emit(f"{st} = [0.0]")
                body, test = [f"{st}[0] = {st}[0] + np.sum(t)"], f"{st}[0] < 0.0"
            g.emit(f"def {fn}(t):")
            for line in body:
                g.emit(f"    {line}")
            g.emit(f"    return t * {c}")
        g.define(fn, V("closure"))
        r = self._acc(g)
        self._loop(g)
        g.ind += 1
        x = g.ex(t, 1).c
        if test and g.chance(0.8):
            g.emit(f"if {test}:")
            g.emit(f"    {r} = {r} + np.sum({x} ** 2)")
            g.emit("else:", stmt=False)
            g.emit(f"    {r} = {r} + np.sum({fn}({x}))")
        else:
            g.emit(f"{r} = {r} + np.sum({fn}({x}))")
        if test and g.chance(0.5):
            g.emit(f"{r} = {r} + np.sum({fn}({g.ex(t, 1).c}))")
        g.ind -= 1
        self._stop(g)
        return [r]

    def generator_changes_object(self, g):
        """A generator function calling a method of the caller's object that changes it (h15-007)."""
        t = g.choice([(3,), (4,)])
        cls = g.helper_name(g.choice(["Acc", "Store"]))
        bump = g.choice(["self.w = self.w * c", "self.w += c", "self.w[0] = self.w[-1] * c"])
        g.add_helper(f"class {cls}:\n    def __init__(self, w):\n        self.w = w\n\n"
                     f"    def bump(self, c):\n        {bump}\n")
        gen = g.helper_name("walk")
        g.add_helper(f"def {gen}(o, c):\n    for k in range(2):\n        o.bump(c)\n        yield o.w * 1.0\n")
        o = g.fresh("D")
        g.emit(f"{o} = {cls}({g.ex(t, 1).c} * 1.0)")
        g.define(o, V("object"))
        r = g.fresh("f")
        if g.chance(0.5):
            g.emit(f"{r} = sum(np.sum(q) for q in {gen}({o}, {_small(g)}))")
        else:
            g.emit(f"{r} = 0.0")
            g.emit(f"for q in {gen}({o}, {_small(g)}):")
            g.emit(f"    {r} = {r} + np.sum(q ** 2)")
        g.define(r, scal())
        return [r, f"np.sum({o}.w)"]

    def returns_arg(self, g):
        """A recursive or checkpointed helper returning its argument, a view of it or the list it was given,
        then a change in place of the argument or of the result."""
        form = g.r.randrange(6)
        k = g.choice(["0", "1", "2"] + [n for n, v in g.env.items() if v.kind == "i" and v.arg])
        if form in (0, 1, 2):  # recursive: argument, view, row of a matrix
            name = g.helper_name(g.choice(["descend", "unroll"]))
            t = (2, 3) if form == 2 else g.choice([(3,), (4,)])
            base = {0: "h", 1: "h[1:]", 2: "h[0]"}[form]
            step = g.choice(["h", "h", "h * 1.0", "np.tanh(h)"])
            g.add_helper(f"def {name}(h, n):\n    if n <= 0:\n        return {base}\n"
                         f"    return {name}({step}, n - 1)\n")
            call = f"{name}({{}}, {k})"
        elif form in (3, 4):  # ad.checkpoint
            g.root.need_ad = True
            name = g.helper_name(g.choice(["keep", "stage_ck"]))
            t = (2, 3) if form == 4 and g.chance(0.5) else g.choice([(3,), (4,)])
            base = g.choice(["h", "h[1:]", "h * 2.0"]) if len(t) == 1 else g.choice(["h[0]", "h", "h.T"])
            g.add_helper(f"@ad.checkpoint\ndef {name}(h):\n    return {base}\n")
            call = f"{name}({{}})"
        else:  # a recursive function returning the list it was given
            name = g.helper_name("collect")
            g.add_helper(f"def {name}(L, n):\n    if n <= 0:\n        return L\n    return {name}(L, n - 1)\n")
            t = g.choice([(3,), (4,)])
            a = _array(g, shapes=(t,))
            b = g.local_array(t)
            L, M = g.fresh("L"), g.fresh("L")
            g.emit(f"{L} = [{a}, {b}]")
            g.emit(f"{M} = {name}({L}, {k})")
            g.emit(g.choice([f"{M}.append({a} * 2.0)", f"{M}[0] = {M}[0] * {_small(g)}", f"{L}[1] *= {_small(g)}",
                             f"{M}[-1][0] = {_small(g)}", f"{L}.append({b} + 1.0)"]))
            g.want(a)
            g.want(b)
            return [f"sum(np.sum(q ** 2) for q in {M})", f"np.sum({L}[0] * {L}[1])"]
        a = _array(g, shapes=(t,))
        u = g.fresh("a")
        g.emit(f"{u} = {call.format(a)}")
        g.emit(g.choice([f"{a}[0] = {_small(g)}", f"{a} *= {_small(g)}", f"{u}[-1] = {_small(g)}",
                         f"{u} += {_small(g)}", f"{a} += 1.0"]))
        g.want(a)
        return [f"np.sum({u} ** 2)", f"np.sum({a})"]


class Constructs(Sharing, LateReads, LoopState):
    """Picks a construct and where it goes: in f, in a loop (with `break` / `continue`), in a branch, in a
    helper f calls with its arrays. Its values are read at once into a number the final return reads."""

    KINDS = [(3, "maybe_self"), (2.5, "view_chain"), (1.5, "overlap"), (3, "several"), (1.5, "tuples_in_list"),
             (2, "helper_mutates"), (3, "through_container"), (3, "lazy"), (1.5, "dict_view"), (2, "defaults"), (2, "module_state"),
             (2, "closure"), (2, "method"),
             (1.5, "flag_object"), (1.2, "memo_object"), (1, "switched_act"), (1, "momentum"), (1.2, "rnn_cell"),
             (2, "closure_state"), (0.7, "generator_changes_object"), (2, "returns_arg")]
    PLACES = [(5, "here"), (2, "loop"), (1.5, "branch"), (1.5, "callee")]
    FEATURE = "state"  # (the tag of the programs' features; progen_objects' subclass: "objects")

    def run(self, g):
        place = g.wchoice(self.PLACES) if g.depth == 0 else "here"
        kind = g.wchoice(self.KINDS)
        f = self.FEATURE
        g.features.update({f, f"{f}-{kind}", f"{f}-in-{place}"})
        if place == "callee":
            r = self.in_callee(g, kind)
        elif place == "here":
            r = self.read_now(g, getattr(self, kind)(g))
        else:
            r = self.in_block(g, kind, place)
        if r is not None:
            g.root.must.append(r)

    def read_now(self, g, codes, acc=None):
        terms = [g.term(c) for c in codes]
        if not terms:
            return None
        r = acc or g.fresh("f")
        g.emit(f"{r} = {acc + ' + ' if acc else ''}{' + '.join(terms)}")
        g.define(r, scal())
        return r

    def in_block(self, g, kind, place):
        """The construct inside `for i in range(k):` (a `break` or `continue` after it) or `if cond:` (its names
        forgotten after the branch)."""
        acc = g.fresh("f")
        g.emit(f"{acc} = 0.0")
        g.define(acc, scal())
        before = set(g.env)
        if place == "loop":
            var = "i" if g.loop_level == 0 else "j"
            g.emit(f"for {var} in range({g.choice([2, 3])}):")
            g.env[var] = V("i", bound=3)
        else:
            g.emit(f"if {g.cond()}:")
        g.ind += 1
        g.loop_level += place == "loop"
        self.read_now(g, getattr(self, kind)(g) or [g.choice([n for n in sorted(before) if g.env[n].kind == "f"])], acc)
        if place == "loop" and g.chance(0.6):
            g.emit(f"if {g.cond()}:")
            g.emit(f"    {g.choice(['break', 'continue'])}")
        g.ind -= 1
        if place == "loop":
            g.loop_level -= 1
            g.env.pop(var, None)
        else:
            for n in set(g.env) - before:
                del g.env[n]
        return acc

    def in_callee(self, g, kind):
        """The construct in a helper given one or two of f's arrays (which it may change)."""
        from progen import Gen
        t = g.choice([(3,), (4,), (2, 3)])
        args = [_array(g, shapes=(t,), local=0.3)]
        if g.chance(0.5):
            args.append(g.local_array(g.choice([(3,), (4,)])))
        sub = Gen(g.r, g.root, depth=g.depth + 1)
        sub.env = {p: arr(g.env[a].shape, arg=True) for p, a in zip(["a", "b"], args)}
        inner = g.wchoice([(3, "here"), (1, "loop"), (1, "branch")])
        if inner == "here":
            codes = getattr(self, kind)(sub) + [c for c in sub.wants[-2:]]
            ret = " + ".join(sub.term(c) for c in codes if sub.readable(c)) or "0.0"
        else:
            ret = self.in_block(sub, kind, inner)
        name = g.helper_name(g.choice(["stage", "part", "block"]))
        params = ", ".join(["a", "b"][:len(args)])
        g.add_helper(f"def {name}({params}):\n" + "\n".join(sub.lines) + f"\n    return {ret}\n")
        r = g.fresh("f")
        g.emit(f"{r} = {name}({', '.join(args)})")
        g.define(r, scal())
        for a in args:
            g.env[a].pos = False
            g.want(a)
        return r


CONSTRUCTS = Constructs()
