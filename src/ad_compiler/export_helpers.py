"""The runtime helpers an exported derivative uses, copied by reading their source.

Generated code reaches ad_compiler's runtime as `_ad.<name>`. An exported module (exporter.py) holds a copy
of exactly the helpers it uses: their definitions as written in `runtime.py`, with the module-level names
those definitions use in turn (other helpers, constants, the error classes of `errors.py`), transitively.
Which names a definition uses is read from its symbol table (`symtable`), so nothing is guessed from text.
"""
import ast
import importlib
import inspect
import symtable

from . import runtime

_PACKAGE = __name__.rpartition(".")[0]


class ModuleDefinitions:
    """The top-level definitions of one of ad_compiler's modules: for each name, the text that defines it and
    the module-level names that text uses."""

    def __init__(self, module):
        self.module = module
        text = inspect.getsource(module)
        self.lines = text.splitlines(keepends=True)
        scopes = {}
        for child in symtable.symtable(text, module.__file__, "exec").get_children():
            scopes.setdefault(child.get_name(), child)
        self.order = {}  # name -> position of its definition in the file
        self.text = {}  # name -> source text of the statement defining it
        self.uses = {}  # name -> module-level names it reads
        self.imports = {}  # name -> (module name, attribute or None, level) of an import statement
        self.star = []  # (module name, level) of each `from ... import *`, in file order
        self.not_standalone = set()  # functions that import ad_compiler itself as they run
        self.inner = {}  # function name -> (module name, level, name) its body imports from the package
        for position, node in enumerate(ast.parse(text).body):
            if isinstance(node, ast.ImportFrom) and [a.name for a in node.names] == ["*"]:
                self.star.append((node.module or "", node.level))
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if isinstance(node, ast.Import):
                        bound = alias.asname or alias.name.split(".")[0]
                        self.imports[bound] = (alias.name if alias.asname else bound, None, 0)
                    else:
                        self.imports[alias.asname or alias.name] = (node.module or "", alias.name, node.level)
                continue
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names = [node.name]
                outer = node.decorator_list + getattr(node, "bases", []) + \
                    (node.args.defaults + node.args.kw_defaults if isinstance(node, ast.FunctionDef) else [])
                uses = _scope_globals(scopes[node.name]) | _names_in(outer)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                uses = _names_in([node.value]) if node.value is not None else set()
            else:
                continue
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            lines = self.lines[first - 1:node.end_lineno]
            try:
                inner = _inner_imports(node) if isinstance(node, ast.FunctionDef) else []
            except NotStandalone:
                self.not_standalone.add(node.name)
                inner = []
            for statement, replacement, needed in inner:
                start, end = statement.lineno - first, statement.end_lineno - first
                indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
                lines[start:end + 1] = [indent + replacement + "\n"] + [""] * (end - start)
                self.inner[node.name] = self.inner.get(node.name, []) + needed
            for name in names:
                self.order[name] = position
                self.text[name] = "".join(lines).rstrip() + "\n"
                self.uses[name] = uses - {name}


class NotStandalone(Exception):
    """A helper that needs ad_compiler itself at run time (it compiles derivatives as it runs)."""


def _inner_imports(function):
    """The imports inside a helper's body from ad_compiler's own modules, each as (statement, the line that
    replaces it in a copy, what must be copied). In one exported module, `from .runtime import unbroadcast`
    is `pass` (the copy defines `unbroadcast` at the top), `... import ravel_tree as ravel` is an assignment."""
    found = []
    for node in ast.walk(function):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == _PACKAGE for a in node.names):
            raise NotStandalone(function.name)
        if isinstance(node, ast.ImportFrom) and node.level:
            needed = [(node.module or "", node.level, a.name) for a in node.names]
            renames = [f"{a.asname} = {a.name}" for a in node.names if a.asname and a.asname != a.name]
            found.append((node, "; ".join(renames) or "pass", needed))
    return found


def _scope_globals(table):
    """The global names a function or class scope (and the scopes nested in it) read."""
    names = {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    for child in table.get_children():
        names |= _scope_globals(child)
    return names


def _names_in(nodes):
    return {n.id for node in nodes if node is not None for n in ast.walk(node) if isinstance(n, ast.Name)}


_definitions = {}  # module name -> ModuleDefinitions


def definitions(module):
    if module.__name__ not in _definitions:
        _definitions[module.__name__] = ModuleDefinitions(module)
    return _definitions[module.__name__]


class Copied:
    """What `copy_helpers` returns: the texts to write (in dependency order of the modules, file order within
    each), the imports they need, and every module-level name they bind with its object."""

    def __init__(self):
        self.texts = []
        self.imports = {}  # bound name -> imported module or object
        self.bound = {}  # name -> object, for every name the texts and imports define


def _star_source(module, defs, name):
    """The module a `from .part import *` of `module` takes `name` from (the last one binding it wins)."""
    for target, level in reversed(defs.star):
        source = importlib.import_module("." * level + target, module.__package__) if level \
            else importlib.import_module(target)
        if name in definitions(source).text:
            return source
    return None


def copy_helpers(names):
    """The definitions of these top-level names of `runtime`, and of everything they use, transitively."""
    copied = Copied()
    chosen = {}  # module name -> set of names defined there
    todo = [(runtime, n) for n in sorted(names)]
    seen = set()
    aliases = {}  # a name bound by `import ... as name` -> the name its definition has
    while todo:
        module, name = todo.pop()
        if (module.__name__, name) in seen:
            continue
        seen.add((module.__name__, name))
        defs = definitions(module)
        if name in defs.not_standalone:
            raise NotStandalone(name)
        if name in defs.text:
            chosen.setdefault(module.__name__, set()).add(name)
            todo += [(module, n) for n in sorted(defs.uses[name]) if n in defs.text or n in defs.imports]
            todo += [(importlib.import_module("." * level + target, module.__package__), n)
                     for target, level, n in defs.inner.get(name, [])]
            continue
        if name not in defs.imports:
            source = _star_source(module, defs, name)
            if source is None:
                raise KeyError(f"{module.__name__} defines no {name!r}")
            todo.append((source, name))
            continue
        target, attribute, level = defs.imports[name]
        if level:  # `from .errors import ADError`: copy ADError from ad_compiler.errors
            source = importlib.import_module("." * level + target, module.__package__)
            todo.append((source, attribute))
            if attribute != name:  # `from .trees import ravel as ravel_tree`
                aliases[name] = attribute
        else:
            imported = importlib.import_module(target)
            copied.imports[name] = getattr(imported, attribute) if attribute else imported
    # the modules a module imports from come first: errors, then the runtime's parts, then runtime itself
    for module_name in sorted(chosen, key=lambda m: (m != f"{_PACKAGE}.errors", m == runtime.__name__, m)):
        defs = _definitions[module_name]
        for name in sorted(chosen[module_name], key=lambda n: defs.order[n]):
            if defs.text[name] not in copied.texts:
                copied.texts.append(defs.text[name])
            copied.bound[name] = getattr(defs.module, name)
    for name, attribute in sorted(aliases.items()):
        copied.texts.append(f"{name} = {attribute}\n")
        copied.bound[name] = copied.bound[attribute]
    copied.bound.update(copied.imports)
    return copied
