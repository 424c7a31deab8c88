"""The names of a function being desugared: which source names are its locals (and their IR names), and
where a free name lives (an enclosing function, or the module: see `Unit.lookup`)."""
import ast


class Scope:
    """The names of one function: its locals (source name -> IR name), and where free names live."""

    def __init__(self, unit, fdef, alloc, enclosing=None, fresh=False):
        self.unit = unit
        self.enclosing = enclosing
        self.alloc = alloc
        args = fdef.args
        params = [a.arg for a in args.posonlyargs + args.args]
        if args.vararg:
            params.append(args.vararg.arg)
        params += [a.arg for a in args.kwonlyargs]
        if args.kwarg:
            params.append(args.kwarg.arg)
        self.nonlocals = set()
        self.declared_global = set()
        assigned = []
        for node in walk_scope(fdef):
            if isinstance(node, ast.Nonlocal):
                self.nonlocals.update(node.names)
            elif isinstance(node, ast.Global):
                self.declared_global.update(node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                assigned.append(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fdef:
                assigned.append(node.name)
            elif isinstance(node, ast.ExceptHandler) and node.name is not None:
                assigned.append(node.name)
        local = [p for p in params] + [n for n in assigned if n not in self.nonlocals]
        self.names = {}
        for n in dict.fromkeys(local):
            self.names[n] = alloc.fresh(n) if fresh else alloc.reserve(n)

    def resolve(self, name):
        """('local', IR name) for a local (or an enclosing function's) variable, else ('free', None)."""
        if name in self.names:
            return "local", self.names[name]
        if name in self.nonlocals or self.enclosing is not None:
            scope = self.enclosing
            while scope is not None:
                if name in scope.names:
                    return "local", scope.names[name]
                scope = scope.enclosing
        return "free", None

    def local_ir_names(self):
        out = set(self.names.values())
        if self.enclosing is not None:
            out |= self.enclosing.local_ir_names()
        return out


def walk_scope(fdef):
    """The nodes of a function's own scope (not inside nested functions, lambdas, comprehensions)."""
    todo = list(ast.iter_child_nodes(fdef))
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(n.args.defaults if hasattr(n, "args") else [])  # evaluated in this scope
            todo.extend(d for d in getattr(n, "decorator_list", []))
            continue
        if isinstance(n, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            todo.append(n.generators[0].iter)  # the first iterable is evaluated in this scope
            continue
        todo.extend(ast.iter_child_nodes(n))


def source_names(scope, irname):
    """The user's names bound to this IR name in the scope (to spot a swap `a, b = b, a`)."""
    return {n for n, v in scope.names.items() if v == irname} | {irname}
