"""Regressions found by adversarial hunt 13 (the optimizations of the dispatcher's guard, unit_seed.py,
grad_forms.py and jit=True's stores)."""
import numpy as np

import ad_compiler as ad
from ad_compiler import driver, rules
from fd import numeric_grad

X = np.array([0.3, -0.7, 1.1])


def softplus_a(x):
    return np.log1p(np.exp(x))


def uses_softplus_a(x):
    return np.sum(softplus_a(x) * x)


def softplus_b(x):
    return np.log1p(np.exp(x))


def uses_softplus_b(x):
    return np.sum(softplus_b(x) * x)


def _same_as_fd(g, f, *args):
    np.testing.assert_allclose(g(*args), numeric_grad(f, args, 0), rtol=1e-6, atol=1e-8)


def test_a_derivative_compiled_while_a_rule_is_registered_is_stale():  # h13-001
    """Registering counted the rules' generation (and dropped the guards) before it put the rule in the
    table: a derivative compiled in between (another thread's call) was recorded as of the new generation
    but used the old rule, and was never compiled again: the old rule's gradient for good."""
    @ad.defvjp(softplus_a)
    def wrong(x):
        bx = 2.0 * g / (1.0 + np.exp(-x))

    dg = ad.grad(uses_softplus_a)
    dg(X)

    def call_in_between():
        dg(X)

    rules._on_change.append(call_in_between)  # (runs where another thread could call g)
    try:
        @ad.defvjp(softplus_a)
        def right(x):
            bx = g / (1.0 + np.exp(-x))
    finally:
        rules._on_change.remove(call_in_between)
    _same_as_fd(dg, uses_softplus_a, X)
    _same_as_fd(dg, uses_softplus_a, X)


def test_a_rule_registered_while_the_guard_is_installed_drops_it():  # h13-002
    """The dispatcher installs a guard (which does not test the rules' generation) after testing stale():
    a rule registered in between (by another thread) dropped the guards before this one was added, and it
    kept calling the derivative of the old rule."""
    @ad.defvjp(softplus_b)
    def wrong(x):
        bx = 2.0 * g / (1.0 + np.exp(-x))

    dg = ad.grad(uses_softplus_b)
    dg(X)
    install = driver._install

    def racing_install(dispatcher, method):
        install(dispatcher, method)
        if method is not None:
            driver._install = install

            @ad.defvjp(softplus_b)
            def right(x):
                bx = g / (1.0 + np.exp(-x))

    driver._install = racing_install
    try:
        dg(X)
    finally:
        driver._install = install
    _same_as_fd(dg, uses_softplus_b, X)
    _same_as_fd(dg, uses_softplus_b, X)
