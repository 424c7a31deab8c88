"""Generator feature "flow" of tests/progen.py: adjoints that share a buffer, across branches and loops.

The adjoint sweep writes into an adjoint's buffer in place (`b += e`, `_ad.max_vjp(b, ..., out=b)`) where it
is ours and held by no other name; `z = a + b` gives a and b the very adjoint of z. Hand-reading found three
silently wrong patterns there (tests/test_found_ownership.py): one branch making an adjoint a new buffer while
the other left it a second name, a loop iteration leaving a carried adjoint held by two names, a loop of no
iteration. Each construct here writes such a pattern with random parts: a value through a function whose
adjoint may reuse its buffer (maximum, minimum, abs, where, clip, tanh, exp, a product), summed with another,
used unevenly by the branches of an `if`, carried in pairs through loops whose count may be zero, filled into
arrays by index.

The constructs draw from their own random stream, so with the feature off (`--flow 0`) a seed gives the
program it gave before.
"""
from progen import arr, scal
from progen_state import _array

RATE = 0.12     # chance that a statement of f is one of these constructs (progen.FEATURES["flow"])

SHAPES = ((3,), (4,), (2, 3))


def _reuse(g, v):
    """`v` through a function whose adjoint may be written into the buffer of the result's adjoint."""
    c = g.choice(["0.1", "-0.2", "0.35", "0.0"])
    return g.choice([f"np.maximum({v}, {c})", f"np.minimum({v}, {c})", f"np.abs({v})",
                     f"np.where({v} > {c}, {v}, 0.5 * {v})", f"np.clip({v}, -0.4, 0.6)", f"np.tanh({v})",
                     f"np.exp(0.3 * {v})", f"{v} * {v}", f"np.sqrt({v} * {v} + 1.0)", f"np.sin({v})"])


def _other(g, v):
    return g.choice([f"np.sin({v})", f"np.cos({v})", f"{v} * 0.5", f"np.tanh({v})", f"{v} ** 2", f"{v} + 1.0"])


def _count(g, name):
    """A loop count that may be zero: a constant, or one read from data when f runs."""
    return g.choice(["0", "1", "2", "3", f"{name}.shape[0] - {g.choice([2, 3, 4])}",
                     f"int(np.sum({name}) > 100.0)", f"int(np.max({name}) > -5.0) * 2"])


class Flow:
    KINDS = [(3, "branch_join"), (3, "carried_pair"), (2.5, "zero_trip"), (2, "while_pair"), (2, "filled"),
             (1.5, "branch_in_loop")]

    def run(self, g):
        kind = g.wchoice(self.KINDS)
        g.features.update({"flow", f"flow-{kind}"})
        codes = getattr(self, kind)(g)
        terms = [g.term(c) for c in codes]
        r = g.fresh("f")
        g.emit(f"{r} = {' + '.join(terms)}")
        g.define(r, scal())
        g.root.must.append(r)

    def _pair(self, g):
        t = g.choice(SHAPES)
        x = _array(g, (t,))
        y = _array(g, (t,))
        a, b = g.fresh("a", t), g.fresh("a", t)
        lines = [(a, _reuse(g, x)), (b, _other(g, y))]
        if g.chance(0.6):  # (b made first: its adjoint is read after a's, which may write into a shared buffer)
            lines.reverse()
        for name, value in lines:
            g.emit(f"{name} = {value}")
            g.define(name, arr(t))
        return t, x, a, b

    def branch_join(self, g):
        """One branch reads a (a new buffer for its adjoint there), the other does not; then `z = a + b`."""
        t, x, a, b = self._pair(g)
        u = g.fresh("a", t)
        g.emit(f"if {g.cond()}:")
        g.emit(f"    {u} = {a} * {g.choice(['2.0', '-1.5', a])}")
        g.emit("else:")
        g.emit(f"    {u} = {x} * {g.choice(['1.0', '0.5'])}")
        g.define(u, arr(t))
        z = g.fresh("a", t)
        g.emit(f"{z} = {a} + {b}" if g.chance(0.7) else f"{z} = {b} + {a}")
        g.define(z, arr(t))
        return [f"np.sum({z} * {u})", z]

    def carried_pair(self, g):
        """Two carried arrays made from one sum each iteration, one through a buffer-reusing function."""
        t, x, a, b = self._pair(g)
        z = g.fresh("a", t)
        var = "i" if g.loop_level == 0 else "j"
        g.emit(f"for {var} in range({_count(g, x)}):")
        g.emit(f"    {z} = {a} + {b}")
        first, second = (f"{b} = {_other(g, z)}", f"{a} = {_reuse(g, z)}")
        if g.chance(0.5):
            first, second = second, first
        g.emit(f"    {first}")
        g.emit(f"    {second}")
        return [a, b]

    def zero_trip(self, g):
        """A value read twice (`z = h + q`, q read again) after a loop that may run no iteration."""
        t, x, a, b = self._pair(g)
        var = "i" if g.loop_level == 0 else "j"
        g.emit(f"for {var} in range({_count(g, x)}):")
        g.emit(f"    {a} = {g.choice([f'{a} * 1.5', f'{a} * 0.5 + {b}', _other(g, a)])}")
        z = g.fresh("a", t)
        g.emit(f"{z} = {a} + {b}")
        g.define(z, arr(t))
        return [f"np.sum({z} * {x})", b]

    def while_pair(self, g):
        """A `while` whose count depends on data, carrying a sum's two parts."""
        t, x, a, b = self._pair(g)
        k = g.fresh("f")
        g.emit(f"{k} = 0")
        g.emit(f"while {k} < {g.choice(['2', '3'])} and np.sum({a} * {a}) < {g.choice(['50.0', '3.0', '0.5'])}:")
        g.emit(f"    {a}, {b} = {_reuse(g, f'{a} + {b}')}, {_other(g, a)}")
        g.emit(f"    {k} += 1")
        return [a, b]

    def filled(self, g):
        """An array filled by index in a loop, each entry from the one before (its adjoint stored into)."""
        x = _array(g, ((4,), (3,)))
        t = g.env[x].shape
        out = g.fresh("a", t)
        n = g.fresh("f")
        g.emit(f"{out} = np.zeros({x}.shape[0])")
        g.emit(f"{out}[0] = {x}[0]")
        g.emit(f"{n} = {x}.shape[0]")
        var = "i" if g.loop_level == 0 else "j"
        g.emit(f"for {var} in range(1, {n}):")
        step = g.choice([f"{out}[{var} - 1] * {x}[{var}] + {x}[{var}]", f"np.tanh({out}[{var} - 1]) + {x}[{var}]",
                         f"{out}[{var} - 1] ** 2 * 0.5 + {x}[{var}]"])
        g.emit(f"    {out}[{var}] = {step}")
        if g.chance(0.4):
            g.emit(f"    if {out}[{var}] > {g.choice(['0.9', '2.0'])}:")
            g.emit(f"        {g.choice(['break', 'continue'])}")
        g.define(out, arr(t))
        return [f"np.sum({out} ** 2)", f"np.sum({out})"]

    def branch_in_loop(self, g):
        """A loop whose body adds to a carried sum in one branch only."""
        t, x, a, b = self._pair(g)
        s = g.fresh("a", t)
        g.emit(f"{s} = {a} * 1.0")
        var = "i" if g.loop_level == 0 else "j"
        g.emit(f"for {var} in range({_count(g, x)}):")
        g.emit(f"    if {g.cond()}:")
        g.emit(f"        {s} = {s} + {_reuse(g, b)}")
        g.emit("    else:")
        g.emit(f"        {b} = {b} * 0.9")
        g.define(s, arr(t))
        return [s, b, f"np.sum({a} * {b})"]


CONSTRUCTS = Flow()
