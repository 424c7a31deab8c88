"""Generator feature "index" of tests/progen.py: NumPy's indexing semantics in stores and reads.

Each construct writes one pattern whose NumPy semantics the adjoints must copy exactly, with random parts:
repeated fancy indices (`=` keeps the last write, `+=` applies once per distinct position), negative steps,
boolean masks (maybe all False, maybe of rows), chains of views (`y[0][1:] = v`, `y.T[0] = v`) and of copies
(`y[[0, 1]][0] = v` changes nothing), swaps through views (`y[0], y[1] = y[1], y[0]`), overlapping self
stores, the indexing functions (np.take_along_axis, np.add.at, np.put_along_axis, np.fill_diagonal, np.put,
np.putmask, np.place, np.copyto(where=), np.compress, np.extract),
stores at positions computed in a loop.

The constructs draw from their own random stream, and the feature is off unless asked for (`explore.py --index
0.3`), so a seed gives the program it gave before.
"""
from progen import arr, scal
from progen_state import _array, _small

RATE = 0.3      # a useful rate for `explore.py --index RATE` (progen.FEATURES["index"] is 0: off by default)
SHAPES = ((3,), (4,), (2, 3))


def _positions(g, n, k):
    """k positions of an axis of n entries, repeated and negative ones likely."""
    out = []
    for _ in range(k):
        p = g.r.randrange(n)
        out.append(p - n if g.chance(0.3) else p)
    if g.chance(0.6) and k > 1:
        out[-1] = out[0] if g.chance(0.5) else out[0] - n if out[0] >= 0 else out[0] + n  # (a repeat)
    return out


def _value(g, n, x):
    """A value of n entries (or a number) made from x's data."""
    return g.choice([f"np.sin({x}.ravel()[:1]) * np.arange(1.0, {n + 1}.0)" if n else _small(g),
                     f"{x}.ravel()[-{n}:] ** 2" if n else _small(g), _small(g)])


class Index:
    KINDS = [(3, "repeated_store"), (2, "negative_step"), (3, "mask_store"), (3, "view_chain"), (1.5, "copy_chain"),
             (1.5, "swap"), (2, "overlap"), (3, "functions"), (2, "loop_positions")]

    def run(self, g):
        kind = g.wchoice(self.KINDS)
        g.features.update({"index", f"index-{kind}"})
        x = _array(g, SHAPES)
        codes = getattr(self, kind)(g, x, g.env[x].shape)
        terms = [g.term(c) for c in codes]
        r = g.fresh("f")
        g.emit(f"{r} = {' + '.join(terms)}")
        g.define(r, scal())
        g.root.must.append(r)

    def repeated_store(self, g, x, t):
        n = t[0]
        k = g.choice([2, 3, 4])
        pos = _positions(g, n, k)
        op = g.choice(["", "+", "*", "-"])
        if len(t) == 1:
            value = _value(g, k, x) if g.chance(0.7) else _small(g)
        else:
            value = g.choice([f"{x}[:1] * 0.5", _small(g), f"np.cos({x}[{pos[0]}])"])
        idx = f"np.array({pos})" if g.chance(0.4) else str(pos)
        g.emit(f"{x}[{idx}] {op}= {value}")
        return [x]

    def negative_step(self, g, x, t):
        n = t[-1]
        form = g.choice(["[::-1]", f"[{n - 1}:0:-2]", "[-1::-2]", f"[{n - 2}::-1]"])
        op = g.choice(["", "+", "*"])
        row = f"{x}{form}" if len(t) == 1 else f"{x}[{g.r.randrange(t[0])}]{form}"
        value = g.choice([_small(g), f"{row} * 0.5", f"np.tanh({row})"])
        g.emit(f"{row} {op}= {value}")
        return [x, f"np.sum({row} ** 2)"]

    def mask_store(self, g, x, t):
        c = g.choice(["0.0", "0.3", "-0.5", "100.0"])  # (100.0: no entry chosen)
        m = g.fresh("m")
        if len(t) == 2 and g.chance(0.4):
            g.emit(f"{m} = np.sum({x}, axis=1) > {c}")  # (a mask of rows)
        else:
            g.emit(f"{m} = {x} > {c}")
        op = g.choice(["", "*", "+"])
        value = g.choice([_small(g), f"{x}[{m}] * 0.5" if op == "" else _small(g), f"np.sin({x})[{m}]"])
        g.emit(f"{x}[{m}] {op}= {value}")
        return [x, f"np.sum({x}[{m}] ** 2)"]

    def view_chain(self, g, x, t):
        if len(t) == 1:
            lhs = g.choice([f"{x}[1:][0]", f"{x}[::-1][1]", f"{x}[...][0]", f"{x}[1:][::-1][:2]",
                            f"{x}[None][0, 1:]", f"{x}.reshape(1, -1)[0, ::2]", f"{x}[:, None][1]"])
        else:
            lhs = g.choice([f"{x}[0][1:]", f"{x}.T[0]", f"{x}[:, 1][::-1]", f"{x}[1][[0, 0]]", f"{x}[-1][::-2]",
                            f"np.swapaxes({x}, 0, 1)[2]", f"{x}.T[::-1, 0]", f"{x}[..., 1]"])
        op = g.choice(["", "+", "*"])
        g.emit(f"{lhs} {op}= {g.choice([_small(g), f'np.cos({lhs}) * 0.5'])}")
        return [x]

    def copy_chain(self, g, x, t):
        lhs = g.choice([f"{x}[[0, 1]][0]", f"{x}[{x} > 0.0][:1]", f"{x}[np.array([0])][0]"])
        g.emit(f"{lhs} = {_small(g)}")  # (a copy: nothing changes)
        return [x]

    def swap(self, g, x, t):
        if len(t) == 1:
            g.emit(f"{x}[0], {x}[-1] = {x}[-1], {x}[0] * {_small(g)}")
        else:
            g.emit(g.choice([f"{x}[0], {x}[1] = {x}[1], {x}[0]", f"{x}[:, 0], {x}[:, 2] = {x}[:, 2], {x}[:, 0]",
                             f"{x}[[0, 1]] = {x}[[1, 0]]"]))
        return [f"np.sum({x} * np.arange({t[0] if len(t) == 1 else t[0] * t[1]}.0).reshape({t}))"]

    def overlap(self, g, x, t):
        r = x if len(t) == 1 else f"{x}[{g.r.randrange(t[0])}]"
        g.emit(g.choice([f"{r}[1:] = {r}[:-1] * {_small(g)}", f"{r}[:-1] += {r}[1:]", f"{r}[::2] += {r}[1::2]",
                         f"{r}[:] = {r}[::-1] * {_small(g)}", f"{r} += {r}[::-1]"]))
        return [f"np.sum({x} * np.arange({t[0] if len(t) == 1 else t[0] * t[1]}.0).reshape({t}))"]

    def functions(self, g, x, t):
        y = g.fresh("a", t)
        if len(t) == 2:
            form = g.choice(["take", "put", "add_at", "fill_diagonal", "copyto"])
            if form == "take":
                i = g.choice([f"np.argsort({x}, axis=1)", f"np.array({[[p] for p in _positions(g, t[1], t[0])]})",
                              f"np.array([{_positions(g, t[1], t[1])}])"])
                g.emit(f"{y} = np.take_along_axis({x}, {i}, axis={g.choice(['1', '-1'])}) * 1.0")
            elif form == "put":
                g.emit(f"{y} = {x} * 1.0")
                i = [[p] for p in _positions(g, t[1], t[0])]
                g.emit(f"np.put_along_axis({y}, np.array({i}), {x}[:, :1] ** 2, axis=1)")
            elif form == "add_at":
                g.emit(f"{y} = {x} * 1.0")
                g.emit(f"np.add.at({y}, ({_positions(g, t[0], 3)}, {_positions(g, t[1], 3)}), {_small(g)})")
            elif form == "fill_diagonal":
                g.emit(f"{y} = {x} * 1.0")
                g.emit(f"np.fill_diagonal({g.choice([y, f'{y}.T', f'{y}[:, 1:]'])}, "
                       f"{g.choice([_small(g), f'{x}[0, :1] ** 2', f'np.sin({x}[1])'])})")
            else:
                g.emit(f"{y} = {x} * 1.0")
                g.emit(f"np.copyto({y}, {g.choice([f'{x}[::-1] * 0.5', _small(g), f'np.cos({x}[0])'])}, "
                       f"where={x} > {g.choice(['0.0', '0.3'])})")
        else:
            form = g.choice(["add_at", "subtract_at", "compress", "extract", "put", "putmask", "place"])
            if form in ("add_at", "subtract_at"):
                g.emit(f"{y} = {x} * 1.0")
                k = g.choice([2, 3])
                g.emit(f"np.{form[:-3]}.at({y}, {_positions(g, t[0], k)}, {_value(g, k, x)})")
            elif form in ("put", "putmask", "place"):
                g.emit(f"{y} = {x} * 1.0")
                k = g.choice([1, 2, 3])
                where = str(_positions(g, t[0], k)) if form == "put" else f"{x} > {g.choice(['0.0', '0.3'])}"
                mode = f", mode={g.choice(['raise', 'wrap', 'clip'])!r}" if form == "put" and g.chance(0.4) else ""
                g.emit(f"np.{form}({y}, {where}, {_value(g, k, x)}{mode})")
            elif form == "compress":
                g.emit(f"{y} = np.compress({x} > {g.choice(['0.0', '0.2'])}, {x} ** 2)")
            else:
                g.emit(f"{y} = np.extract({x} < {g.choice(['0.0', '0.4'])}, np.sin({x}))")
        if form not in ("compress", "extract"):  # (of a length known when f runs: not offered to others)
            g.define(y, arr(t))
        return [f"np.sum({y} ** 2)"]

    def loop_positions(self, g, x, t):
        n = t[-1]
        r = x if len(t) == 1 else f"{x}[{g.r.randrange(t[0])}]"
        var = "i" if g.loop_level == 0 else "j"
        g.emit(f"for {var} in range({g.choice([n, n - 1, 2 * n])}):")
        g.emit(g.choice([f"    {r}[({var} + 1) % {n}] += {r}[{var} % {n}] * {_small(g)}",
                         f"    {r}[[{var} % {n}, ({var} + 2) % {n}]] = {r}[[({var} + 1) % {n}, 0]] * 0.5",
                         f"    {r}[-1 - {var} % {n}] *= {_small(g)}"]))
        return [x]


CONSTRUCTS = Index()
