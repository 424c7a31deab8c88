"""grad_forms.py: a gradient proven a new array of its argument's shape is returned through as_grad_made /
as_grads_made, which check only its class and dtype. Every gradient is compared with central differences,
where the proof applies and where it must not (a number, a branch, a shared array, a broadcast operand),
and is checked to be a new, writeable array of the argument's shape and dtype kind."""
import numpy as np

import ad_compiler as ad
from fd import check_grad, make_rng, normal
from modes_check import check_modes

rng = make_rng(11)


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def elementwise_pair(x, w):
    a = np.tanh(w * x + 0.5) * x + w
    return np.sum(np.sin(a * w) * x)


def accumulated_in_a_loop(W, xs):
    h = np.zeros(W.shape[1])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
    return np.sum(h ** 2)


def full_sum(x):
    return np.sum(x) * 2.0


def chosen_by_a_branch(x, w):
    if np.sum(x) > 0:
        y = x * w
    else:
        y = x - w
    return np.sum(y * y)


def shared_adjoint(x, y):
    return np.sum(np.sin(x + y))


def broadcast_operand(x, b):
    return np.sum(np.tanh(x + b) ** 2)


def _source(g, *args):
    g(*args)  # (the source of the derivative compiled for these arguments)
    return g.source


def _fresh_gradients(grads, args):
    for gr, a in zip(grads, args):
        assert isinstance(gr, np.ndarray) and gr.shape == a.shape and gr.flags.writeable and gr.dtype.kind == "f"
        assert not any(np.shares_memory(gr, other) for other in args)
    for i, gi in enumerate(grads):
        assert not any(gi is gj for gj in grads[i + 1:])


def test_proven_gradients_take_the_short_check():
    w, X, y = normal(rng, 5), normal(rng, 40, 5), np.sign(normal(rng, 40))
    g = check_grad(logistic_loss, (w, X, y), wrt=0)
    assert "return _ad.as_grad_made(bw, w)" in _source(ad.grad(logistic_loss), w, X, y)
    _fresh_gradients((g,), (w, X, y))

    x, w2 = normal(rng, 3), normal(rng, 3)
    gx, gw = check_grad(elementwise_pair, (x, w2), wrt=(0, 1))
    assert "_ad.as_grads_made((bx, bw), (x, w))" in _source(ad.grad(elementwise_pair, wrt=("x", "w")), x, w2)
    _fresh_gradients((gx, gw), (x, w2))

    W, xs = normal(rng, 4, 6) * 0.3, normal(rng, 7, 4)
    gW = check_grad(accumulated_in_a_loop, (W, xs), wrt=0)
    assert "as_grad_made" in _source(ad.grad(accumulated_in_a_loop), W, xs)
    _fresh_gradients((gW,), (W, xs))


def test_other_dtypes_fall_back_to_as_grad():
    """The derivative is shared by arguments of the same dtype kind: a float32 argument's gradient is float32
    (as_grad's), an integer argument's a float64 array."""
    w, X, y = normal(rng, 5), normal(rng, 40, 5), np.sign(normal(rng, 40))
    g = ad.grad(logistic_loss)
    expected = g(w, X, y)
    small = g(w.astype(np.float32), X.astype(np.float32), y.astype(np.float32))
    assert small.dtype == np.float32 and small.shape == w.shape
    np.testing.assert_allclose(small, expected, rtol=1e-4, atol=1e-6)
    h = ad.grad(elementwise_pair, wrt=("x", "w"))
    gx, gw = h(np.arange(3), np.array([0.5, -0.25, 1.0]))
    assert gx.dtype == np.float64 and gw.dtype == np.float64
    gx_float, _ = h(np.arange(3.0), np.array([0.5, -0.25, 1.0]))
    np.testing.assert_allclose(gx, gx_float)


def test_unproven_gradients_keep_as_grad():
    """A gradient that is a number, chosen by a branch, the same array as another gradient or summed from a
    broadcast keeps the full as_grad / as_grads (which spreads, copies apart, converts)."""
    x = normal(rng, 4)
    check_grad(full_sum, (x,), wrt=0)
    assert "as_grad_made" not in _source(ad.grad(full_sum), x)

    for x1 in (normal(rng, 4), -np.abs(normal(rng, 4)) - 0.1):
        w = normal(rng, 4)
        grads = check_grad(chosen_by_a_branch, (x1, w), wrt=(0, 1))
        _fresh_gradients(grads, (x1, w))
        assert "as_grads_made" not in _source(ad.grad(chosen_by_a_branch, wrt=("x", "w")), x1, w)

    x, y = normal(rng, 3), normal(rng, 3)
    grads = check_grad(shared_adjoint, (x, y), wrt=(0, 1))
    _fresh_gradients(grads, (x, y))  # (one adjoint for both: copied apart)
    assert "as_grads_made" not in _source(ad.grad(shared_adjoint, wrt=("x", "y")), x, y)

    x, b = normal(rng, 3, 4), normal(rng, 4)
    grads = check_grad(broadcast_operand, (x, b), wrt=(0, 1))
    _fresh_gradients(grads, (x, b))


def test_the_tangent_of_a_proven_gradient_is_given_its_form():
    """Forward over reverse reads the generated gradient: the tangent of as_grad_made(b, x) is as_grad(db, x)
    (nothing is proven of db), and hvp and the Hessian match differences."""
    w, X, y = normal(rng, 4), normal(rng, 30, 4), np.sign(normal(rng, 30))
    check_modes(logistic_loss, (w, X, y), wrt=0, modes=("hvp", "hessian"))


def test_a_new_array_of_another_shape_is_not_proven():
    """The shapes are compared as dims.py's classes: an array of shape (1,) (class ONE) made for an argument
    of shape (n,) keeps as_grad (which spreads it); so does one of an UNKNOWN width, or one read through a
    copy (`c = b`: shared)."""
    from ad_compiler import dims as D, grad_forms, ir, kinds as K
    from ad_compiler.adjoints import helper

    kinds = {"x": K.Array(np.ndarray, "f", 1), "s": K.Array(np.ndarray, "f", 1), "u": K.Array(np.ndarray, "f", 1)}
    dims = {"x": (0,), "s": (D.ONE,), "u": (D.UNKNOWN,)}

    def proven(*stmts, result="bx"):
        fdef = ir.FunctionDef("d", ("x", "s", "u"), list(stmts) + [
            ir.Return(helper("as_grad", ir.Var(result), ir.Var("x")))])
        grad_forms.prove_forms(fdef, kinds, dims)
        return fdef.body[-1].value.func.path[-1] == "as_grad_made"

    times = ir.BinOp("*", ir.Var("x"), ir.Const(2.0))
    assert proven(ir.Assign(("bx",), times))
    assert not proven(ir.Assign(("bx",), ir.BinOp("*", ir.Var("s"), ir.Const(2.0))))
    assert not proven(ir.Assign(("bx",), ir.BinOp("*", ir.Var("u"), ir.Const(2.0))))
    assert not proven(ir.Assign(("b",), times), ir.Assign(("bx",), ir.Var("b")))
    assert proven(ir.Assign(("bx",), times), ir.AugAssign("bx", "+", ir.Var("s")))
    assert not proven(ir.Assign(("bx",), times), ir.If(ir.Var("c"), [ir.Assign(("bx",), ir.Var("s"))], []))

    # (a two-operand ufunc of known shapes makes a new array; np.matmul, a ufunc with a signature, is not one)
    assert proven(ir.Assign(("bx",), ir.Call(ir.Global(("np", "maximum"), np.maximum), (ir.Var("x"), ir.Const(0.0)))))
    assert not proven(ir.Assign(("bx",), ir.Call(ir.Global(("np", "matmul"), np.matmul), (ir.Var("x"), ir.Var("x")))))
    # (max_vjp(g, ..., out=g): the result is g or a new array; g itself is then no longer proven alone)
    relu = helper("max_vjp", ir.Var("b"), ir.Var("x"), ir.Const(0.0))
    relu = ir.Call(relu.func, relu.args, (("out", ir.Var("b")),))
    assert proven(ir.Assign(("b",), times), ir.Assign(("bx",), relu))
    assert not proven(ir.Assign(("b",), times), ir.Assign(("bx",), relu), result="b")
    relu_s = ir.Call(relu.func, (ir.Var("b"), ir.Var("u"), ir.Const(0.0)), (("out", ir.Var("b")),))
    assert not proven(ir.Assign(("b",), times), ir.Assign(("bx",), relu_s))


def relu_net(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    return np.sum((h @ w2 - y) ** 2)


def test_a_relu_network_takes_the_short_check():
    """The two-layer network of the benchmarks: `bw1 = x.T @ bt1` with bt1 = max_vjp(bh, t1, 0.0, out=bh) and
    `bw2 = h.T @ bt2` with h = np.maximum(t1, 0.0), both proven; ties at 0 (half the adjoint) as before."""
    w1, w2, x, y = normal(rng, 6, 5), normal(rng, 5, 3), normal(rng, 4, 6), normal(rng, 4, 3)
    grads = check_grad(relu_net, (w1, w2, x, y), wrt=(0, 1))
    _fresh_gradients(grads, (w1, w2))
    assert "_ad.as_grads_made((bw1, bw2), (w1, w2))" in _source(ad.grad(relu_net, wrt=(0, 1)), w1, w2, x, y)
    from ad_compiler import runtime

    g, a = normal(rng, 3, 4), normal(rng, 3, 4)
    a[0, :2] = 0.0  # (ties: half of g; the fast path is only for none)
    for tie in (True, False):
        a[0, :2] = 0.0 if tie else 1.0
        expected = g * ((a > 0.0) + 0.5 * (a == 0.0))
        b = g.copy()
        got = runtime.max_vjp(b, a, 0.0, out=b)
        assert got is b and np.array_equal(got, expected)
