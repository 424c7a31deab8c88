"""Generator feature "lang" of tests/progen.py: ordinary Python lang25 lifted, combined at random.

Loop `else` clauses with data-dependent `break`s; lists changed by the methods that move items (`reverse`,
`sort`, `remove`, `insert` / `pop` / `del` anywhere, a slice assigned) through two names of the list, then read;
lists repeated (`[inner] * 2`) changed through one slot; starred unpacking; `math.prod`, `itertools.accumulate`,
`max(..., key=)`, `math.hypot(*v)`, `it = iter(v)` / `next(it)`.

The constructs draw from their own random stream, so with the feature off (`--lang 0`) a seed gives the
program it gave before.
"""
from progen import scal
from progen_state import _array

SHAPES = ((3,), (4,))


def _n(g, x):
    return g.env[x].shape[0]


class Lang:
    KINDS = [(3, "loop_else"), (2, "while_else"), (4, "list_moves"), (2, "repeated"), (2, "starred"),
             (2, "library"), (1.5, "iterator")]

    def run(self, g):
        kind = g.wchoice(self.KINDS)
        g.features.update({"lang", f"lang-{kind}"})
        codes = getattr(self, kind)(g)
        terms = [g.term(c) for c in codes]
        r = g.fresh("f")
        g.emit(f"{r} = {' + '.join(terms)}")
        g.define(r, scal())
        g.root.must.append(r)

    def loop_else(self, g):
        """A `for` over an array's entries, leaving at a data-dependent `break` or running its `else`."""
        x = _array(g, SHAPES)
        s, v = g.fresh("f"), g.fresh("f")
        limit = g.choice(["0.5", "1.0", "-0.2", "2.0"])
        g.emit(f"{s} = 0.0")
        g.emit(f"for {v} in {x}:")
        g.emit(f"    if {v} > {limit}:")
        if g.chance(0.5):
            g.emit(f"        {s} = {s} * {v}")
        g.emit("        break")
        g.emit(f"    {s} = {s} + {g.choice([f'{v} ** 2', f'np.sin({v})', f'{v} * {x}[0]'])}")
        g.emit("else:")
        g.emit(f"    {s} = {s} + {g.choice([f'{x}[-1] * 3.0', f'np.sum({x})', '1.0'])}")
        return [s]

    def while_else(self, g):
        """A `while` counting up, left early when a running product grows, else its `else`."""
        x = _array(g, SHAPES)
        s, i = g.fresh("f"), g.fresh("i")
        g.emit(f"{s} = {x}[0]")
        g.emit(f"{i} = 0")
        g.emit(f"while {i} < {_n(g, x)}:")
        g.emit(f"    if {s} > {g.choice(['1.0', '3.0', '0.2'])}:")
        g.emit("        break")
        g.emit(f"    {s} = {s} * {x}[{i}] + 0.5")
        g.emit(f"    {i} += 1")
        g.emit("else:")
        g.emit(f"    {s} = {s} - {x}[1]")
        return [s]

    def list_moves(self, g):
        """A list of an array's entries changed through two names by the methods that move items."""
        x = _array(g, SHAPES)
        n = _n(g, x)
        L, M = g.fresh("L"), g.fresh("L")
        g.emit(f"{L} = {g.choice([f'list({x})', f'{x}.tolist()', f'list({x} * 2.0)'])}")
        g.emit(f"{M} = {L}")
        for _ in range(g.choice([1, 2, 3])):
            who = g.choice([L, M])
            op = g.choice(["reverse", "sort", "sort_key", "del", "pop", "insert", "remove", "slice", "rotate"])
            if op == "reverse":
                g.emit(f"{who}.reverse()")
            elif op == "sort":
                g.emit(f"{who}.sort()")
            elif op == "sort_key":
                g.emit(f"{who}.sort(key=abs, reverse={g.choice(['True', 'False'])})")
            elif op == "del" and n > 2:
                g.emit(f"del {who}[{g.choice([0, 1, -1])}]")
                n -= 1
            elif op == "pop" and n > 2:
                g.emit(f"{who}.append({who}.pop({g.choice([0, 1, -2])}) * 2.0)")
            elif op == "insert":
                g.emit(f"{who}.insert({g.choice([0, 1, -1, 10])}, {x}[{g.choice([0, 1])}] * 3.0)")
                n += 1
            elif op == "remove":
                g.emit(f"{who}.remove({who}[{g.choice([0, 1])}])")
                n -= 1
            elif op == "slice":
                g.emit(f"{who}[{g.choice(['1:2', ':1', '-2:', '1:1'])}] = [{x}[0] * {x}[1], {x}[-1]]")
                n = None
            else:
                g.emit(f"{who}.insert(0, {who}.pop())")
            if n is None:
                break
        return [f"{L}[0] * {M}[-1]", f"{M}[1]", f"sum({L})"]

    def repeated(self, g):
        """`[inner] * 2`: one list in two slots, changed through one of them."""
        x = _array(g, SHAPES)
        inner, y = g.fresh("L"), g.fresh("L")
        g.emit(f"{inner} = [{x}[0], {x}[1]]")
        g.emit(f"{y} = [{inner}] * {g.choice([2, 3])}")
        g.emit(g.choice([f"{y}[0][1] = {x}[2] * 2.0", f"{y}[-1].append({x}[2])", f"{y}[0].reverse()"]))
        return [f"{y}[1][1] * {y}[0][0]", f"{inner}[-1]"]

    def starred(self, g):
        x = _array(g, SHAPES)
        a, rest, b = g.fresh("f"), g.fresh("L"), g.fresh("f")
        g.emit(g.choice([f"{a}, *{rest}, {b} = {x}", f"{a}, {b}, *{rest} = list({x})",
                         f"*{rest}, {a}, {b} = {x} * 1.0"]))
        return [f"{a} * {b}", f"sum({rest})", f"len({rest}) * {a}"]

    def library(self, g):
        g.root.need_itertools = True
        x = _array(g, SHAPES)
        r = g.fresh("f")
        g.emit(f"{r} = " + g.choice([f"math.prod({x}[:3])", f"math.hypot(*{x})", f"math.dist({x}[:2], {x}[-2:])",
                                     f"list(itertools.accumulate({x}, operator.mul))[-1]",
                                     f"max({x}, key=abs) * {x}[0]",
                                     f"min({x}[0], {x}[1], key=lambda v: (v - 0.3) ** 2)"]))
        return [r]

    def iterator(self, g):
        x = _array(g, SHAPES)
        it, a, b = g.fresh("L"), g.fresh("f"), g.fresh("f")
        g.emit(f"{it} = iter({x})")
        g.emit(f"{a} = next({it})")
        g.emit(f"{b} = next({it}) * {a}")
        return [f"{a} * {b}", f"sum({it})"]


CONSTRUCTS = Lang()
