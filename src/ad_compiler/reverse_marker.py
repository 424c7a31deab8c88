"""The placeholders the adjoint sweep (reverse.py) leaves for the tape policy (tape.py)."""
from . import ir


class Marker(ir.Stmt):
    """A placeholder resolved once the whole adjoint is known (tape.py): `restore` a loop-defined name,
    `recover` an end-of-iteration value, `recompute` a cheap one, `restore_item` what a store overwrote,
    `restore_list` what a list method changed."""

    def __init__(self, kind, name=None, source=None, stmt=None):
        super().__init__()
        self.kind, self.name, self.source, self.stmt = kind, name, source, stmt

    def __repr__(self):
        return f"Marker({self.kind}, {self.name})"
