"""Which tangents of forward mode are buffers of ours alone (safe to write into in place), for forward.py.

`Forward.owned` holds the primal names whose tangent is a buffer of ours; a tangent that is a view of another's
buffer, another name of it, or a container holding it is *linked* to it (`links`): when one is no longer ours
alone (a new tangent reads it), neither are those linked to it. Without the links a store into one wrote into
the other (rw-002: `w = c[0:2]; q = c + 0.0; w[0] = v` changed dq; g4-015: `v = W[1] * 1.0` made dv a view of
dW, and a later store into W changed dv).
"""
from . import ir, kinds as K
from .ir import Var


class TangentBuffers:
    """The links between tangents sharing a buffer (a mixin of forward.Forward: `owned`, `links`, `names`, `d`,
    `kind`)."""

    def link(self, primal, value):
        """The tangent of `primal` holds the buffers of the owned tangents `value` reads (a view, the same buffer,
        a container of them): whichever is disowned, the others are too."""
        read = ir.names_in(value)
        for p in [q for q in self.owned if self.d(q) in read]:
            self.links.setdefault(primal, set()).add(p)
            self.links.setdefault(p, set()).add(primal)

    def inherit_links(self, primal, tangent):
        """The tangent of `primal` is a shallow copy of the container `tangent`: linked to what its items are."""
        source = next((p for p, t in self.names.items() if t == tangent), None)
        if source is None or isinstance(self.kind(Var(source)), (K.Array, K.Numeric)):
            return
        for p in list(self.links.get(source, ())):
            self.links.setdefault(primal, set()).add(p)
            self.links.setdefault(p, set()).add(primal)

    def disown(self, names, keep=()):
        """The tangents of `names` are no longer ours alone; nor are those linked to them (self.links): the views
        of their buffers and the buffers they are views of (`dw = dc[0:2]`, then `dq = dc` of `q = c + 0.0`: a
        store into w must not write into dq, nor a store into c into `dz = dw`), other names of the same buffer
        (`dt = dc` of `t = c`, the version after a store `dc_1 = dc`), containers holding it (`[dc, dx]`).
        The names in `keep` stay ours (a list an item was popped from: the item is no longer in it)."""
        todo = [n for n in names if n in self.owned and n not in keep]
        while todo:
            n = todo.pop()
            self.owned.discard(n)
            todo += [p for p in self.links.get(n, ()) if p in self.owned and p not in keep]
