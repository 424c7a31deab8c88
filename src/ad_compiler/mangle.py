"""Private names as Python compiles them: inside a class, `self.__w` is the attribute `_Class__w`.

Python rewrites ("mangles") every identifier of the form `__name` (two leading underscores, not two trailing)
written inside a class body -- attributes, variables, parameters, keyword arguments, nested functions -- to
`_Class__name`, `Class` being the innermost enclosing class (its leading underscores stripped). A method read
from its file says `self.__w`; the code that runs reads `_Lin__w`, and a subclass's `self.__w` is another
attribute (`_Sub__w`). The syntax tree read for a function is mangled the same way (read.py), so that the
passes see the names the code uses.
"""
import ast


def owner_class(qualname):
    """The innermost class a function with this `__qualname__` is defined in, or None: in
    `f.<locals>.Model.loss.<locals>.inner`, `Model` (a name followed by `<locals>` is a function's)."""
    parts = qualname.split(".")
    owner = None
    for here, after in zip(parts[:-1], parts[1:]):
        if here != "<locals>" and after != "<locals>":
            owner = here
    return owner


def mangled(name, owner):
    """`name` as Python compiles it inside the class `owner` (None: outside any class)."""
    if owner is None or not name.startswith("__") or name.endswith("__") or "." in name:
        return name
    stripped = owner.lstrip("_")
    return f"_{stripped}{name}" if stripped else name


def mangle(tree, owner):
    """The function definition `tree`, defined inside the class `owner` (or None), with its private names
    mangled; the tree itself when nothing changes (no name in it is private)."""
    if not any(_private(n) for n in ast.walk(tree)):
        return tree
    return _Mangler(owner).mangle_function(tree)


def _private(node):
    for name in _names(node):
        if name.startswith("__") and not name.endswith("__"):
            return True
    return False


def _names(node):
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, (ast.arg, ast.keyword)):
        return [node.arg] if node.arg else []
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return node.names
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    return []


class _Mangler(ast.NodeTransformer):
    def __init__(self, owner):
        self.owner = owner

    def mangle_function(self, tree):
        import copy

        tree = copy.deepcopy(tree)
        name = tree.name  # (the function's own name is the caller's business)
        tree = self.visit(tree)
        tree.name = name
        return tree

    def visit_Name(self, node):
        node.id = mangled(node.id, self.owner)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        node.attr = mangled(node.attr, self.owner)
        return node

    def visit_arg(self, node):
        self.generic_visit(node)
        node.arg = mangled(node.arg, self.owner)
        return node

    def visit_keyword(self, node):
        self.generic_visit(node)
        if node.arg is not None:
            node.arg = mangled(node.arg, self.owner)
        return node

    def visit_Global(self, node):
        node.names = [mangled(n, self.owner) for n in node.names]
        return node

    visit_Nonlocal = visit_Global

    def visit_FunctionDef(self, node):
        node.name = mangled(node.name, self.owner)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node):
        # (its bases, keywords and decorators are in the enclosing scope; its body in the class's own)
        name = node.name
        node.name = mangled(name, self.owner)
        node.bases = [self.visit(b) for b in node.bases]
        node.keywords = [self.visit(k) for k in node.keywords]
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        inner = _Mangler(name)
        node.body = [inner.visit(s) for s in node.body]
        return node
