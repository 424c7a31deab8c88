"""Deterministic, collision-free names for generated code (no random ids: same input, same source)."""
import ast
import keyword


class NameAllocator:
    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counters = {}
        self.temps = set()  # the names `temp` gave (values the user did not name)

    def reserve(self, name):
        self.taken.add(name)
        return name

    def fresh(self, base):
        """`base` itself if free, else `base_1`, `base_2`, ... (`del_1` for the tangent of `el`, never `del`)."""
        if base not in self.taken and not keyword.iskeyword(base):
            self.taken.add(base)
            return base
        k = self.counters.get(base, 0)
        while True:
            k += 1
            name = f"{base}_{k}"
            if name not in self.taken:
                self.counters[base] = k
                self.taken.add(name)
                return name

    def temp(self):
        """t1, t2, ... for values the user did not name."""
        k = self.counters.get("#t", 0)
        while True:
            k += 1
            name = f"t{k}"
            if name not in self.taken:
                self.counters["#t"] = k
                self.taken.add(name)
                self.temps.add(name)
                return name


def all_names(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
