"""Issue 9, "to any order": compositions of the API's transforms up to order 4 (grad of grad of grad of grad,
hessian of hessian, jacfwd of jacrev of grad, jvp of grad of jvp, grad of vjp, grad of hvp, ...), of functions
with a loop, a branch, in-place updates, a callee and containers (nested_any_order_mod.py). Each result is
checked against central differences of the composition one order lower, and its shape is JAX's (hessian of
hessian: x.shape * 4). The suite runs a cheap selection; AD_NESTED_FULL=1 runs every composition with every
function (about two minutes; /work/nested27/findings.md has the matrix)."""
import os

import numpy as np
import pytest

import ad_compiler as ad
import nested_any_order_mod as M

EPS = 1e-5
S = 0.4
X = np.array([0.3, -0.7])
V = np.array([0.5, 1.5])
U = np.array([-0.8, 0.6])


def fd_jacobian(F, x, *rest):
    """d F(x, *rest) / dx by central differences, of shape F's + x's."""
    if not isinstance(x, np.ndarray):
        return (np.asarray(F(x + EPS, *rest)) - np.asarray(F(x - EPS, *rest))) / (2 * EPS)
    out = None
    for j in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[j] += EPS
        xm[j] -= EPS
        d = (np.asarray(F(xp, *rest)) - np.asarray(F(xm, *rest))) / (2 * EPS)
        out = np.zeros(d.shape + x.shape) if out is None else out
        out[(Ellipsis,) + j] = d
    return out


# each: f -> (the composition's value, central differences of the composition one order lower, JAX's shape)
def grad4(f):
    return ad.grad(ad.grad(ad.grad(ad.grad(f))))(S), fd_jacobian(ad.grad(ad.grad(ad.grad(f))), S), ()


def hessian_of_hessian(f):
    return ad.hessian(ad.hessian(f))(X.copy()), fd_jacobian(ad.jacfwd(ad.hessian(f)), X.copy()), X.shape * 4


def jacfwd_jacrev_grad(f):
    return ad.jacfwd(ad.jacrev(ad.grad(f)))(X.copy()), fd_jacobian(ad.jacrev(ad.grad(f)), X.copy()), X.shape * 3


def jacrev_jacfwd_grad(f):
    return ad.jacrev(ad.jacfwd(ad.grad(f)))(X.copy()), fd_jacobian(ad.jacfwd(ad.grad(f)), X.copy()), X.shape * 3


def jacrev_jacfwd_hessian(f):
    return (ad.jacrev(ad.jacfwd(ad.hessian(f)))(X.copy()), fd_jacobian(ad.jacfwd(ad.hessian(f)), X.copy()),
            X.shape * 4)


def jvp_grad_jvp(f):
    g = ad.grad(M.tangent_of(f))
    return ad.jvp(g)(X.copy(), V.copy(), U.copy())[1], fd_jacobian(g, X.copy(), V.copy()) @ U, X.shape


def hessian_of_grad_of_vjp(f):
    h = M.squared_vjp_of(ad.grad(f))
    return ad.hessian(h)(X.copy(), U.copy()), fd_jacobian(ad.grad(h), X.copy(), U.copy()), X.shape * 2


def hvp_of_grad(f):
    return ad.hvp(ad.grad(f))(S, 0.7), fd_jacobian(ad.grad(ad.grad(f)), S) * 0.7, ()


def hvp_of_a_gradient_inside(f):
    k = M.squared_gradient_of(f)
    return ad.hvp(k)(X.copy(), V.copy()), fd_jacobian(ad.grad(k), X.copy()) @ V, X.shape


def grad_of_hvp(f):
    k = M.projected_hvp_of(f)
    return ad.grad(k)(X.copy(), V.copy()), fd_jacobian(k, X.copy(), V.copy()), X.shape


def jacobian_auto_of_hessian(f):
    return ad.jacobian(ad.hessian(f))(X.copy()), fd_jacobian(ad.hessian(f), X.copy()), X.shape * 3


def value_and_grad_aux_in_grad(f):
    k = M.value_and_grad_aux_of(f)
    got, aux = ad.grad(k, has_aux=True)(X.copy())
    np.testing.assert_allclose(aux, ad.grad(f)(X.copy()), rtol=1e-12)
    return got, fd_jacobian(lambda x: k(x)[0], X.copy()), X.shape


COMPOSITIONS = [grad4, hessian_of_hessian, jacfwd_jacrev_grad, jacrev_jacfwd_grad, jacrev_jacfwd_hessian,
                jvp_grad_jvp, hessian_of_grad_of_vjp, hvp_of_grad, hvp_of_a_gradient_inside, grad_of_hvp,
                jacobian_auto_of_hessian, value_and_grad_aux_in_grad]
# (composition, function) pairs refused, with a located message naming the composition (findings.md)
REFUSED = {("jacfwd_jacrev_grad", "container"), ("hessian_of_grad_of_vjp", "loop")}
CHEAP = [(grad4, M.branch), (jacfwd_jacrev_grad, M.in_place),
         (jacrev_jacfwd_grad, M.branch), (jvp_grad_jvp, M.container), (hessian_of_grad_of_vjp, M.branch),
         (hvp_of_grad, M.in_place), (hvp_of_a_gradient_inside, M.callee), (grad_of_hvp, M.loop),
         (jacobian_auto_of_hessian, M.branch), (value_and_grad_aux_in_grad, M.container)]
CASES = [(c, f) for c in COMPOSITIONS for f in M.FUNCTIONS] if os.environ.get("AD_NESTED_FULL") else CHEAP


@pytest.mark.parametrize("composition, f", CASES, ids=lambda v: v.__name__)
def test_composition_is_exact(composition, f):
    if (composition.__name__, f.__name__) in REFUSED:
        with pytest.raises(ad.ADError, match="generated code, read again to compute"):
            composition(f)
        return
    got, expected, shape = composition(f)
    assert np.shape(got) == shape
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6 * scale)


def test_n27_008_third_derivative_of_a_complex_python_power():
    # (power_partial_mixed, d3 of x ** k in both, was 0 for a negative base where Python's power is complex)
    second = ad.grad(ad.grad(M.complex_power))
    got = ad.grad(second)(1.2)
    np.testing.assert_allclose(got, fd_jacobian(second, 1.2), rtol=1e-6)


def test_n27_001_hessian_of_a_hessian_forward_over_reverse():
    # (refused: grad of the Hessian's matrix; now jacfwd of jacrev, JAX's, of shape x.shape * 4. The Jacobians'
    # basis tangents were stores into zeros, which the tape put back in the code read again: forward over
    # reverse was refused there and reverse over forward taken instead, n times the sweeps)
    h = ad.hessian(ad.hessian(M.smooth))
    got = h(X.copy())
    assert got.shape == X.shape * 4 and h.last is h.first
    np.testing.assert_allclose(got, fd_jacobian(ad.jacfwd(ad.hessian(M.smooth)), X.copy()), rtol=1e-6, atol=1e-6)


def test_n27_002_a_refusal_in_generated_code_names_the_composition():
    # (forward mode over the reverse-mode code of a Jacobian storing into a new array: `by[0] = tape.pop()`
    # stores into an item of the tape; the message named only the generated line, "the function did not make")
    with pytest.raises(ad.ADError) as info:
        ad.jacfwd(ad.jacrev(ad.hessian(M.stored)))(X.copy())
    message = str(info.value)
    assert "read again to compute ad.jvp(ad.jacrev(ad.jacfwd(ad.grad(stored))))" in message
    assert "a derivative of `stored`" in message and "ad.jacrev(ad.jacfwd(g))" in message


def test_n27_006_forward_over_reverse_of_a_jacobian_reading_an_entry():
    # (`x[0]` in f: forward mode over the reverse sweep of the Jacobian refused `_ad.pop_item` of an adjoint of
    # unknown kind, and the store the tape put back, `bx_1[0] = tape.pop()`, which stored_jvp reads only for its
    # dtype; hessian of hessian took reverse over forward)
    h = ad.hessian(ad.hessian(M.quartic))
    got = h(X.copy())
    assert h.last is h.first
    np.testing.assert_allclose(got, fd_jacobian(ad.jacfwd(ad.hessian(M.quartic)), X.copy()), rtol=1e-6, atol=1e-6)


def test_n27_005_a_dict_adjoint_restored_by_a_plain_store():
    v = ad.vjp(ad.grad(M.container))
    got = v(X.copy(), U.copy())
    np.testing.assert_allclose(got, U @ fd_jacobian(ad.grad(M.container), X.copy()), rtol=1e-6, atol=1e-6)
    assert "_ad.restore_item(bd" not in v.source  # (which forward mode over it refused)


def test_n27_009_a_vjp_of_a_gradient_inlined_by_forward_sweeps():
    # (its reverse-mode code inlined is refused where the caller's gradient reads it again (`_ad.pop_item` of
    # an adjoint of unknown kind); compiled again with it as forward sweeps, whose `_ad.tree_dot` had no rule)
    h = M.squared_vjp_of(ad.grad(M.container))
    got = ad.grad(h)(X.copy(), U.copy())
    np.testing.assert_allclose(got, fd_jacobian(h, X.copy(), U.copy()), rtol=1e-6, atol=1e-6)


def test_n27_010_hessian_of_a_derivative_with_respect_to_two_arguments():
    # (a crash after n27-001: the blocks' random sources read `_ad_derivative` of each block)
    g = ad.grad(M.two)
    y = np.array([0.5, -0.4])
    got = ad.hessian(g, wrt=(0, 1))(X.copy(), y.copy())
    assert [[b.shape for b in row] for row in got] == [[(2, 2, 2)] * 2] * 2
    jx = ad.jacrev(g, wrt=0)
    np.testing.assert_allclose(got[0][1], fd_jacobian(lambda v, u: jx(u, v), y.copy(), X.copy()), rtol=1e-6,
                               atol=1e-6)
