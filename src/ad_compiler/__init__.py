"""ad_compiler: source-to-source automatic differentiation for Python and NumPy (reverse and forward mode,
to any order).

    import ad_compiler as ad
    dloss = ad.grad(loss, wrt=("w1", "w2"))
    print(dloss.source)          # the generated derivative, plain Python
    ad.export(dloss, "dloss.py")  # the same code as a module that runs without ad_compiler
"""
from . import optim, runtime, tracebacks
from .api import clear_cache, grad, jvp, show, value_and_grad, vjp
from .jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from .exporter import export
from .errors import ADError, NoDerivativeError, NonScalarOutputError, SourceUnavailableError, UnsupportedError
from .markers import checkpoint, checkpointed, no_grad, stop_gradient
from .trees import ravel, tree_flatten, tree_map, tree_unflatten
from .rules import defjvp, defvjp, defvjp_attribute, defvjp_method, nondifferentiable

__version__ = "0.1.0"

tracebacks.install_excepthook()  # show generated lines in uncaught tracebacks (before Python 3.13)

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "hessian", "hvp", "jacobian", "jacfwd", "jacrev", "show", "clear_cache",
    "export", "stop_gradient", "no_grad", "checkpoint", "checkpointed", "tree_map", "tree_flatten", "tree_unflatten", "ravel", "optim",
    "defvjp", "defjvp", "defvjp_method", "defvjp_attribute", "nondifferentiable", "runtime", "ADError",
    "UnsupportedError", "NoDerivativeError", "NonScalarOutputError", "SourceUnavailableError",
]
