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
import random

from progen import arr, scal
from progen_state import _array

RATE = 0.12     # chance that a statement of f is one of these constructs (progen.FEATURES["flow"])
EXTRA_RATE = 0.3  # chance that a construct is one of Flow.EXTRA_KINDS

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
    KINDS = [(3, "branch_join"), (3, "carried_pair"), (2.5, "zero_trip"), (3, "while_pair"), (2, "filled"),
             (1.5, "branch_in_loop"), (3, "while_break"), (2, "nested_pair"), (2, "branch_store"), (1.5, "list_pair"),
             (1.5, "dict_pair"), (2, "early_return"), (1.5, "checkpointed"), (2.5, "shared_then_stored")]

    # added by helper "reuse2" (the passes after the sweeps: tape, hoisting, clean-up, jit's reuse of arrays):
    # drawn from a stream of their own, derived from the flow stream's state without drawing from it, so a
    # program none of them replaces a construct of is the program of before
    EXTRA_KINDS = [(2, "list_refreshed"), (1.5, "tolist_written"), (2, "row_changed"), (1.5, "checkpoint_call"),
                   (1.5, "try_in_loop"), (1.5, "batched_rows")]

    def run(self, g):
        extra = random.Random(hash(g.r.getstate()[1]))  # (the ints only: hash(None) differs between runs)
        main = g.r
        if extra.random() < EXTRA_RATE:
            g.r = extra  # (the flow stream is left as it was: the next construct draws what it drew before)
            kind = g.wchoice(self.EXTRA_KINDS)
        else:
            kind = g.wchoice(self.KINDS)
        g.features.update({"flow", f"flow-{kind}"})
        try:
            codes = getattr(self, kind)(g)
        finally:
            g.r = main
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

    # -- added by helper "reuse": the same facts through break, nested loops, stores in branches, containers,
    # early returns of callees called in loops, checkpointed loops
    def _var(self, g):
        return g.helper_name("ii")

    def _step(self, g, z, a, b):
        first, second = (f"{b} = {_other(g, z)}", f"{a} = {_reuse(g, z)}")
        return [first, second] if g.chance(0.5) else [second, first]

    def while_break(self, g):
        """`while True:` leaving by a `break` on data (or a count), a carried pair made from one sum; what
        follows the test runs only when the loop goes on."""
        t, x, a, b = self._pair(g)
        z = g.fresh("a", t)
        k = g.fresh("f")
        g.emit(f"{k} = 0")
        g.emit("while True:")
        g.emit(f"    {z} = {a} + {b}")
        g.emit(f"    if np.sum({z} * {z}) > {g.choice(['0.5', '3.0', '20.0'])} or {k} >= {g.choice(['0', '2', '3'])}:")
        g.emit("        break")
        for line in self._step(g, z, a, b):
            g.emit(f"    {line}")
        g.emit(f"    {k} += 1")
        g.define(z, arr(t))
        return [a, b, f"np.sum({z} * {x})"]

    def nested_pair(self, g):
        """A pair carried through an inner loop inside an outer one (counts that may be zero)."""
        t, x, a, b = self._pair(g)
        z = g.fresh("a", t)
        i, j = self._var(g), self._var(g)
        g.emit(f"for {i} in range({g.choice(['1', '2', _count(g, x)])}):")
        g.emit(f"    for {j} in range({g.choice(['0', '1', '2', f'{i} + 1'])}):")
        g.emit(f"        {z} = {a} + {b}")
        for line in self._step(g, z, a, b):
            g.emit(f"        {line}")
        if g.chance(0.5):
            g.emit(f"    {b} = {g.choice([f'{b} * 0.9', _reuse(g, b), f'{a} + {b}'])}")
        return [a, b]

    def branch_store(self, g):
        """Stores into a carried array inside the branches of an `if` in a loop, from its own entries."""
        x = _array(g, ((4,), (3,)))
        t = g.env[x].shape
        out = g.fresh("a", t)
        i = self._var(g)
        g.emit(f"{out} = {x} * {g.choice(['1.0', '0.5'])}")
        g.emit(f"for {i} in range({x}.shape[0] - 1):")
        g.emit(f"    if {out}[{i}] > {g.choice(['0.0', '0.3', '-0.2'])}:")
        g.emit(f"        {out}[{i} + 1] = {_reuse(g, f'{out}[{i}]')} + {out}[{i} + 1]")
        g.emit("    else:")
        g.emit(f"        {out}[{i}] = {_other(g, f'{out}[{i} + 1]')}")
        if g.chance(0.3):
            g.emit(f"        {g.choice(['break', 'continue'])}")
        g.define(out, arr(t))
        return [f"np.sum({out} * {out})", f"np.sum({out} * {x})"]

    def list_pair(self, g):
        """A list appended to in a loop, each item from the last one and a carried value (list adjoints)."""
        t, x, a, b = self._pair(g)
        hs = g.fresh("L")
        z = g.fresh("a", t)
        i = self._var(g)
        g.emit(f"{hs} = [{a}]")
        g.emit(f"for {i} in range({_count(g, x)}):")
        g.emit(f"    {z} = {hs}[-1] + {b}")
        g.emit(f"    {hs}.append({_reuse(g, z)})")
        g.emit(f"    if {g.cond()}:")
        g.emit(f"        {b} = {g.choice([z, _other(g, z)])}")
        return [f"np.sum({hs}[-1] * {b})", f"np.sum({hs}[0])", f"np.sum({hs}[len({hs}) // 2] * {x})"]

    def dict_pair(self, g):
        """A dict's two entries carried through a loop (dict adjoints), one made from the other's sum."""
        t, x, a, b = self._pair(g)
        d = g.fresh("D")
        z = g.fresh("a", t)
        i = self._var(g)
        g.emit(f"{d} = {{'p': {a}, 'q': {b}}}")
        g.emit(f"for {i} in range({_count(g, x)}):")
        g.emit(f"    {z} = {d}['p'] + {d}['q']")
        g.emit(f"    {d}['p'] = {_reuse(g, z)}")
        g.emit(f"    if {g.cond()}:")
        g.emit(f"        {d}['q'] = {g.choice([z, _other(g, z)])}")
        return [f"np.sum({d}['p'] * {d}['q'])", f"np.sum({d}['q'])"]

    def early_return(self, g):
        """A helper returning from inside its loop (a value sharing an adjoint with what it carries), called
        once or in a loop."""
        t, x, a, b = self._pair(g)
        name = g.helper_name("step")
        z = "z"
        ret = g.choice([_reuse(g, z), z, f"{z} * b", f"{_reuse(g, 'a')} + b"])
        self_step = "\n".join(f"        {line}" for line in self._step(g, z, "a", "b"))
        g.add_helper(f"def {name}(a, b):\n"
                     f"    for i in range({g.choice(['2', '3'])}):\n"
                     f"        z = a + b\n"
                     f"        if np.sum(z) > {g.choice(['0.5', '2.0', '-0.5'])}:\n"
                     f"            return {ret}\n"
                     f"{self_step}\n"
                     f"    return {g.choice(['a + b', 'a * b', 'a'])}\n")
        r = g.fresh("a", t)
        if g.chance(0.5):
            g.emit(f"{r} = {name}({a}, {b})")
        else:
            i = self._var(g)
            g.emit(f"{r} = {b}")
            g.emit(f"for {i} in range({g.choice(['1', '2', _count(g, x)])}):")
            g.emit(f"    {r} = {name}({a}, {r})")
            if g.chance(0.5):
                g.emit(f"    {a} = {_reuse(g, r)}")
        g.define(r, arr(t))
        return [r, f"np.sum({r} * {b})", a]

    def checkpointed(self, g):
        """A carried pair through a checkpointed loop (its segments run forward again)."""
        if g.loop_level > 0:
            return self.carried_pair(g)
        g.root.need_ad = True
        t, x, a, b = self._pair(g)
        z = g.fresh("a", t)
        i = self._var(g)
        g.emit(f"for {i} in ad.checkpointed(range({g.choice(['2', '4', '5'])}), {g.choice(['1', '2', 'None'])}):")
        g.emit(f"    {z} = {a} + {b}")
        for line in self._step(g, z, a, b):
            g.emit(f"    {line}")
        return [a, b]

    def shared_then_stored(self, g):
        """A view or a second name of an array, a value whose tangent is the array's own (`c + 0.0`: dq = dc),
        then a store through the other name (forward mode's owned tangents, rw-002); maybe in a loop."""
        x = _array(g, ((4,), (3,)))
        t = g.env[x].shape
        c, w, q = g.fresh("a", t), g.fresh("a", t), g.fresh("a", t)
        g.emit(f"{c} = {g.choice([f'np.sin({x})', f'{x} * 1.5', f'np.exp(0.2 * {x})'])}")
        loop = g.chance(0.4)
        pad = "    " if loop else ""
        if loop:
            g.emit(f"{q} = {x} * 1.0")  # (bound after a loop of no iteration too)
            g.emit(f"for {self._var(g)} in range({g.choice(['1', '2', _count(g, x)])}):")
        if g.chance(0.15):  # (a list or dict given c by a method or a store: its tangent holds c's)
            g.emit(f"{pad}{w} = {g.choice(['[]', '{}'])}")
            g.emit(f"{pad}{w}.append({c})" if g.lines[-1].endswith("[]") else f"{pad}{w}['k'] = {c}")
            src, dst = f"{w}[{0 if g.lines[-1].endswith(')') else repr('k')}]", c
        elif g.chance(0.3):  # (a container holding c: its tangent holds c's)
            g.emit(f"{pad}{w} = {g.choice([f'[{c}, {x}]', f'({x}, {c})'])}")
            src, dst = f"{w}[{1 if '(' in g.lines[-1] else 0}]", c
        else:
            g.emit(f"{pad}{w} = {g.choice([c, f'{c}[0:2]', f'{c}[1:]', f'{c}[::2]'])}")
            src, dst = (c, w) if g.chance(0.5) else (w, c)
        g.emit(f"{pad}{q} = {src} {g.choice(['+ 0.0', '- 0.5', '+ 1.0'])}")
        g.emit(f"{pad}{dst}[{g.choice(['0', '1'])}] = {_reuse(g, f'{x}[1]')} * {c}[{g.choice(['0', '1'])}]")
        if loop:
            g.emit(f"    {c} = {g.choice([f'{c} * 0.9', f'np.tanh({c})'])}")
        g.define(c, arr(t))
        return [f"np.sum({q} * {q})", f"np.sum({c} * {x})"]

    # -- added by helper "reuse2" ---------------------------------------------------------------------------
    def list_refreshed(self, g):
        """A second name of a list a loop changes by a method, made a copy in some iteration (the alias pass's
        refresh `if other is lst:` after the method; its earlier version's zeros, rw-003)."""
        t, x, a, b = self._pair(g)
        hs, other = g.fresh("L"), g.fresh("L")
        i = self._var(g)
        g.emit(f"{hs} = [{a}, {b}]" if g.chance(0.5) else f"{hs} = [{a}, {b}, {x} * 0.5]")
        g.emit(f"{other} = {hs}")
        g.emit(f"for {i} in range({g.choice(['2', '3', _count(g, x)])}):")
        if g.chance(0.6):
            g.emit(f"    {b} = {b} + {other}[-1] * {g.choice(['0.5', '0.1'])}")
        g.emit(f"    if {g.choice([f'{i} == 1', f'{i} == 0', g.cond()])}:")
        g.emit(f"        {other} = {g.choice([f'list({hs})', f'{hs}.copy()', f'{hs}[:]'])}")
        method = g.choice(["append", "append", "extend", "pop"])
        if method == "append":
            g.emit(f"    {hs}.append({_reuse(g, f'{hs}[-1]')})")
        elif method == "extend":
            g.emit(f"    {hs}.extend([{_reuse(g, f'{hs}[-1]')}, {b} * 0.5])")
        else:
            g.emit(f"    {b} = {b} + {hs}.pop()")
            g.emit(f"    {hs}.append({_other(g, b)})")
        return [f"np.sum({hs}[-1] * {other}[-1])", f"np.sum({other}[0])", b]

    def tolist_written(self, g):
        """`lst = c.tolist()` and then c written into: the list keeps what c held (jit: the copy it needs,
        rw2-001); c made by the function, holding data or constants."""
        x = _array(g, ((4,), (3,)))
        t = g.env[x].shape
        c, k = g.fresh("a", t), g.fresh("f")
        lst = g.fresh("L")
        g.emit(f"{c} = {g.choice([f'np.zeros({x}.shape[0])', f'{x} * 1.0', f'np.ones({x}.shape[0])'])}")
        g.emit(f"{c}[1] = {g.choice(['2.0', f'{x}[0] * 2.0', f'np.sin({x}[2])'])}")
        g.emit(f"{lst} = {c}.tolist()")
        g.emit(f"{c}[1] = {g.choice(['5.0', f'{x}[1] * 3.0', f'{lst}[0] + 1.0'])}")
        g.emit(f"{k} = {lst}[1]")
        g.emit(f"if {c}[1] > {g.choice(['3.0', '0.0', '-1.0'])}:")
        g.emit(f"    {k} = {k} + {g.choice(['1.0', f'{x}[2]', f'{lst}[0]'])}")
        g.define(k, scal())
        return [f"{k} * {x}[0]", f"np.sum({c} * {x})"]

    def row_changed(self, g):
        """An entry read in a loop (`t = c[i]`: recomputed, not saved, in the adjoint sweep) of an array changed
        in the loop through a view or a second name, or after it."""
        x = _array(g, ((4,),))
        c, w, q = g.fresh("a", (4,)), g.fresh("a", (2,)), g.fresh("f")
        i = self._var(g)
        g.emit(f"{c} = {g.choice([f'{x} * 1.0', f'np.sin({x})'])}")
        where = g.choice(["view", "alias", "after", "itself"])
        if where in ("view", "alias"):
            g.emit(f"{w} = {c}[1:3]" if where == "view" else f"{w} = {c}")
        g.emit(f"{q} = {x}[0] * 0.5")
        g.emit(f"for {i} in range({g.choice(['2', '3'])}):")
        g.emit(f"    {q} = {q} + {c}[{i}] * {g.choice([f'{c}[{i}]', f'{x}[{i}]', '2.0'])}")
        value = f"{_reuse(g, f'{c}[{i} + 1]')} * {g.choice(['0.5', f'{x}[3]'])}"
        if where == "view":
            g.emit(f"    {w}[{g.choice(['0', '1'])}] = {value}")
        elif where == "alias":
            g.emit(f"    {w}[{i} + 1] = {value}")
        elif where == "itself":
            g.emit(f"    {c}[{i} + 1] = {value}")
        if where == "after":
            g.emit(f"{c}[{g.choice(['0', '1', '2'])}] = {g.choice(['7.0', f'{x}[2] * 2.0'])}")
        g.define(q, scal())
        return [q, f"np.sum({c} * {x})"]

    def checkpoint_call(self, g):
        """A function of the program called through ad.checkpoint (run again in the adjoint sweep) on a pair
        carried by a loop or chosen by a branch."""
        g.root.need_ad = True
        t, x, a, b = self._pair(g)
        name = g.helper_name("cell")
        ret = g.choice([_reuse(g, "z"), "z * b", _other(g, "z") + " + a"])
        g.add_helper(f"def {name}(a, b):\n"
                     f"    z = a + b\n"
                     f"    return {ret}\n")
        if g.chance(0.5):
            i = self._var(g)
            g.emit(f"for {i} in range({g.choice(['1', '2', _count(g, x)])}):")
            # (`a * 1.0`: a new array; given the result of the call before itself, the alias pass takes seconds,
            # rw2-002)
            g.emit(f"    {a} = ad.checkpoint({name})({a} * 1.0, {b})")
            if g.chance(0.5):
                g.emit(f"    {b} = {_other(g, a)}")
        else:
            g.emit(f"if {g.cond()}:")
            g.emit(f"    {a} = ad.checkpoint({name})({a}, {b})")
            g.emit("else:")
            g.emit(f"    {b} = ad.checkpoint({name})({b}, {a})")
        return [a, b, f"np.sum({a} * {b})"]

    def try_in_loop(self, g):
        """A `try` in a loop whose body may raise on data, a carried pair assigned by its last statement or in
        the handler."""
        t, x, a, b = self._pair(g)
        z = g.fresh("a", t)
        i = self._var(g)
        g.emit(f"for {i} in range({g.choice(['2', '3', _count(g, x)])}):")
        g.emit("    try:")
        g.emit(f"        {z} = {a} + {b}")
        g.emit(f"        if np.sum({z}) > {g.choice(['0.5', '2.0', '-0.5'])}:")
        g.emit("            raise ValueError('big')")
        g.emit(f"        {a} = {_reuse(g, z)}")
        g.emit("    except ValueError:")
        g.emit(f"        {b} = {g.choice([_other(g, b), f'{b} * 0.5'])}")
        g.define(z, arr(t))
        return [a, b]

    def batched_rows(self, g):
        """A loop over the rows of a 2-d array (hoist.py batches `xs[t] * w`, `xs[t] @ W`; batch_sums.py the
        weight's adjoint), a carried row through a branch or a `break`."""
        x = _array(g, ((3,),))
        xs, h, z = g.fresh("a2", (3, 3)), g.fresh("a", (3,)), g.fresh("a", (3,))
        i = self._var(g)
        g.emit(f"{xs} = {g.choice([f'np.outer({x}, {x})', f'np.outer({x}, {x}) * 0.5 + 0.1'])}")
        g.emit(f"{h} = {x} * 0.5")
        g.emit(f"for {i} in range(len({xs})):")
        g.emit(f"    {z} = {g.choice([f'{xs}[{i}] * {x}', f'{xs}[{i}] @ np.outer({x}, {x})', f'{xs}[{i}] + {x}'])}")
        kind = g.choice(["if", "break", "plain"])
        if kind == "if":
            g.emit(f"    if np.sum({h}) > {g.choice(['0.0', '0.5'])}:")
            g.emit(f"        {h} = {_reuse(g, f'{h} * {z}')}")
            g.emit("    else:")
            g.emit(f"        {h} = {h} + {z} * 0.1")
        else:
            g.emit(f"    {h} = {_reuse(g, f'{h} + {z}')} * 0.5")
            if kind == "break":
                g.emit(f"    if np.sum({h} * {h}) > {g.choice(['0.5', '2.0'])}:")
                g.emit("        break")
        g.define(h, arr((3,)))
        return [f"np.sum({h} * {h})", h]


CONSTRUCTS = Flow()
