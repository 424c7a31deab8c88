"""Every refusal listed in docs/limits.md, triggered by a minimal function.

Each case checks the error class, a distinctive fragment of the message, and, for errors about a place in
the user's code, that the message names this file, the line marked `# [case-key]` and shows a caret under
the source line; the hint is checked where the compiler gives one. `test_doc_and_cases_in_step` keeps the
anchors of docs/limits.md (`<a id="..."></a>`) and the ids of the cases below the same set.

Errors are raised when the function `ad.grad` returns is first called (syntax errors already by `ad.grad`):
each case runs `ad.grad(f, wrt)(*args)` unless it gives its own trigger.
"""
import functools
import importlib.util
import math
import pathlib
import re
import sys

import numpy as np
import pytest

import ad_compiler as ad

HERE = __file__
ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "limits.md"
SOURCE_LINES = pathlib.Path(HERE).read_text().splitlines()

A3 = np.array([1.0, 2.0, 3.0])
G = np.ones(3)  # a module-level array (a "global")


# ================================================================================================
# 1. reading the function
# ================================================================================================
async def async_loss(x):  # [async-def]
    return x * 2.0


def recursive_star(x, *rest):  # [recursive-star-parameters]
    if x > 10.0:
        return x
    return recursive_star(x * 2.0, 1.0)


def calls_recursive_star(x):
    return recursive_star(x, 1.0)


def uses_reserved_name(x):  # [reserved-name]
    _ad = x * 2.0
    return _ad


LAMBDAS = {
    "double": lambda x: x * 2.0,
}
TWO_LAMBDAS_A, TWO_LAMBDAS_B = lambda x: x * 2.0, lambda x: x * 3.0


def made_by_exec():
    namespace = {}
    # (a filename of its own: "<string>" in a process started by `python -c`, as pytest-xdist's workers are,
    # is diagnosed as `python -c` code, with another hint)
    exec(compile("def f(x):\n    return x * 2.0\n", "<generated>", "exec"), namespace)
    return namespace["f"]


def edited_after_definition():
    """A function whose file (here a source registered in linecache) says something else than its code."""
    import linecache

    filename = "<test_limits: edited>"
    namespace = {}
    exec(compile("def f(x):\n    return x * 2.0\n", filename, "exec"), namespace)
    text = "def f(x):\n    return x * 3.0\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    return namespace["f"]


# ================================================================================================
# 2. statements and expressions
# ================================================================================================
def uses_try(x):
    try:
        return x * 2.0  # [try]
    except ValueError:
        return x


def changes_in_try(x):
    y = np.zeros(3)
    try:
        y[0] = x  # [try:in-place]
    except ValueError:
        pass
    return np.sum(y)


def uses_raise(x):
    try:
        y = np.log(x)
    except FloatingPointError:
        raise  # [raise]
    return y * 2.0


def reads_after_an_interrupted_try(x):
    y = x
    try:
        y = x * 2.0  # [try:interrupted]
        z = np.log(y)
    except FloatingPointError:
        z = y
    return z


def uses_del(x):
    y = x * 2.0
    del y  # [del]
    return x


def uses_class(x):
    class Local:  # [class-def]
        pass
    return x * 2.0


def uses_nested_async(x):
    async def fetch():  # [nested-async-def]
        return 1.0
    return x * 2.0


def uses_global(x):
    global G  # [global]
    return x * G[0]


def _make_counter():
    n = 0.0

    def counts_calls(x):
        nonlocal n
        n = n + 1.0  # [outer-nonlocal]
        return x * n
    return counts_calls


counts_calls = _make_counter()


def uses_import(x):
    if x > 0:
        import math  # [import]
        return math.sin(x)
    return x


def uses_match(x):
    match x:  # [match]
        case 0.0:
            return x
    return x * 2.0


def uses_annotation(x):
    y: float = x * 2.0  # [annotated-assignment]
    return y


def uses_open(x):
    with open(__file__) as (fh, _):  # [with-block]
        fh.read()
    return x * 2.0


class _Doubling:
    def __init__(self, v):
        self.v = v

    def __enter__(self):
        return self.v * 2.0

    def __exit__(self, *exc):
        return False


def binds_entered_value(x):
    with _Doubling(x) as y:  # [with-block:bound-value]
        z = y * 3.0
    return z


def swallows(x):
    import contextlib
    with contextlib.suppress(ZeroDivisionError):
        y = x / 0.0
    return x * 2.0  # (the check after the block: located at the `with` statement)


def returns_inside_no_grad(x):
    with ad.no_grad():
        if x > 0:  # [no-grad-early-exit]
            return x
        y = x
    return y


def unpacks_loop_item(x):
    s = 0.0
    for a, b, c in zip([x], [x]):  # [loop-unpacking]
        s = s + a
    return s


def assigns_attribute(x):
    assigns_attribute.cache = x  # [attribute-assignment]
    return x * 2.0


def assigns_attribute_of_argument(x, model):
    model.w = x  # [attribute-assignment:argument]
    return x * 2.0


def stores_into_global(x):
    G[0] = x  # [store-into-global]
    return np.sum(G)


def updates_global(x):
    G[0] += x  # [store-into-global:augmented]
    return np.sum(G)


def expression_statement(x):
    x + 1.0  # [expression-statement]
    return x


def no_return_on_a_path(x):  # [missing-return]
    if x > 0:
        return x * 2.0


def bare_return(x):
    if x > 0:
        return  # [bare-return]
    return x * 2.0


def generator(x):
    yield x * 2.0  # [generator]


def forever(x):
    while True:  # [generator:endless]
        yield x


def takes_from_forever(x):
    total = 0.0
    for v, _ in zip(forever(x), range(3)):
        total = total + v
    return total


def pairs_of(xs):
    for i in range(len(xs) - 1):
        yield xs[i] * xs[i + 1]


def logged(xs, log):
    for v in xs:
        log.append(v)  # [generator:effects]
        yield v * 2.0


def stops_a_logging_generator(x):
    log = []
    for y in logged([x, x * 2.0], log):
        if y > 0.0:
            break
    return sum(log)


def carries_a_value_in_an_exception(x):
    try:
        v = x * 2.0
        raise ValueError(v)  # [try:exception-value]
    except ValueError as e:
        v = e.args[0]
    return v


def uses_generator_twice(x):
    products = pairs_of(x)
    total = sum(products)
    return total + len(list(products))  # [generator:twice]


def changes_before_a_generator_expression_is_read(x):
    y = x * 1.0
    doubled = (v * 2.0 for v in y)
    y[0] = 5.0  # [lazy-iterator]
    return sum(doubled)


def walrus(x):
    if (y := x * 2.0) > 1.0:  # [walrus]
        return y
    return x


def set_literal(x):
    s = {x, 2.0}  # [set]
    return x * len(s)


def set_comprehension(x):
    s = {v for v in [x, 2.0]}  # [set:comprehension]
    return x * len(s)


def double_starred_dict(x):
    d = {**{"a": x}}  # [starred-literal]
    return d["a"]


def nested_format_spec(x):
    width = 8
    label = f"{x:{width}}"  # [nested-format-spec]
    return x * len(label)


def uses_eval(x):
    return eval("x * 2.0")  # [dynamic-code]


def decorated_nested(x):
    @functools.lru_cache
    def square(v):  # [decorated-nested-def]
        return v * v
    return square(x)


def undefined_name(x):
    return x * not_defined_anywhere  # noqa: F821  [undefined-name]


def missing_attribute(x):
    return np.sinn(x)  # [undefined-name:attribute]


def module_not_imported(x):
    # (a dotted name whose root is not defined was read as an atom again and again: RecursionError)
    return mathx.prod([x, x])  # noqa: F821  [undefined-name:module]


def read_before_assignment(x):
    if x > 0:
        y = x * 2.0
    return y  # [read-before-assignment]


# Syntax newer than Python 3.10 (`except*`, `x[*i]`): compiled from this string at its own lines of this
# file, so the compiler reads it (and points at it) like any other function here.
PY311_SOURCE = """
def uses_try_star(x):
    try:  # [try:except-star]
        y = x * 2.0
    except* ValueError:
        y = x
    return y


def starred_index(x):
    i = (0,)
    return x[*i]  # [starred-index]
"""
PY311 = sys.version_info >= (3, 11)
HAS_NUMBA = importlib.util.find_spec("numba") is not None  # (jit=True: docs/jit.md)
if PY311:
    _first = next(i for i, s in enumerate(SOURCE_LINES) if s.startswith('PY311_SOURCE = """'))
    exec(compile("\n" * _first + PY311_SOURCE, HERE, "exec"), globals())


# ================================================================================================
# 3. calls of your own functions
# ================================================================================================
def helper(a, b=1.0):
    return a * b


def recursive_nested(x, n):
    def power(v, k):
        if k == 0:
            return v
        return power(v * 2.0, k - 1)  # [recursive-nested-function]
    return power(x, n)


def closure_given_to_quad(k):
    from scipy.integrate import quad

    value, _ = quad(lambda t: np.exp(-k * t), 0.0, 1.0)  # [closure-value]
    return value


def star_args_of_unknown_length(x, n):
    args = []
    for i in range(n):
        args.append(x * i)
    return helper(*args)  # [call-unknown-star-args]


def double_star_of_unknown_keys(x, names):
    kwargs = dict(zip(names, [x]))
    return helper(x, **kwargs)  # [call-unknown-star-args:kwargs]


def too_many_arguments(x):
    return helper(x, 1.0, 2.0)  # [call-arguments:too-many]


def argument_twice(x):
    return helper(x, a=x)  # [call-arguments:twice]


def unknown_keyword(x):
    return helper(x, c=1.0)  # [call-arguments:keyword]


def missing_argument(x):
    return helper(b=x)  # [call-arguments:missing]


def recursive_bad_call(x, n):
    if n == 0:
        return x
    return recursive_bad_call(x * 2.0)  # [call-arguments:recursive]


class WithStaticSuper:
    @staticmethod
    def scaled(v):
        return super().scaled(v)  # (Python raises here too) [super-without-self]


def static_method_calling_super(x):
    return WithStaticSuper.scaled(x)


# ================================================================================================
# 4. calls without a derivative
# ================================================================================================
def uses_fft(x):
    return np.sum(np.fft.hfft(x))  # [no-derivative]


def uses_method_without_rule(x):
    return np.sum(x.choose([0, 1]))  # [no-derivative:method]


def uses_imag(x):
    return np.sum(x.flat)  # [no-derivative:attribute]


CALLABLE = np.vectorize(math.sin)


def calls_object(x):
    return CALLABLE(x)  # [no-derivative:callable-object]


def calls_function_value(x, table, key):
    return table[key](x)  # [function-value]


def star_call_of_library_function(x, n):
    xs = []
    for i in range(n):
        xs.append(x * i)
    return np.sum(np.add(*xs))  # [library-star-call]


def active_argument_without_derivative(x):
    return np.where(x, 1.0, 2.0) * x  # [non-differentiable-argument]


def call_not_matching_rule(x):
    return np.sum(x, bogus=1)  # [rule-signature-mismatch]


def argument_value_the_rule_does_not_follow(x):
    return np.sum(np.linalg.pinv(np.outer(x, x) + np.eye(3), rcond=0.1))  # [rule-signature-mismatch:value]


def hermitian_eigenvalues(x):
    h = np.array([[x[0], x[1] * 1j], [-x[1] * 1j, x[2]]])
    return np.linalg.eigvalsh(h)[0]  # [complex-real-only]


def spectrum_one_norm(x):
    return np.linalg.norm(np.fft.fft(x), 1)  # [complex-real-only:norm]


def sign_of_complex(x):
    return np.sum(np.sign(x * (1.0 + 1.0j)).real)  # [complex-sign]


# ================================================================================================
# 5. in-place changes, aliasing and views
# ================================================================================================
def or_update_shared_dict(x):
    d = {"a": x}
    e = d
    d |= {"b": x * 2.0}  # [augmented-shared-container]
    return e["b"]


def reshapes_by_attribute(x):
    y = x * 1.0
    y.shape = (1, 3)  # [array-attribute-store]
    return np.sum(y)


def changes_tuple(x):
    t = (x, x)
    t[0] = x * 2.0  # [tuple-item-assignment]
    return t[0]


def assigns_list_slice(x):
    xs = [x, x, x]
    xs[0::2] = [x * 2.0, x * 3.0]  # [list-slice-assignment]
    return xs[0]


def item_of_number(x):
    s = 2.0
    s[0] = x  # [item-assignment-non-container]
    return s


def item_of_string(x):
    s = "ab"
    s[0] = x  # [item-assignment-non-container:string]
    return x


class Thing:
    pass


def changes_list_argument(x, things):
    things[0] = x  # [argument-changed-in-place]
    return x * 2.0


def changes_global_through_alias(x):
    g = G
    g[0] = x  # [external-changed-in-place]
    return np.sum(g)


MODEL = Thing()
MODEL.w = np.ones(3)


def changes_attribute(x, model):
    w = model.w
    w[0] = x  # [external-changed-in-place:attribute]
    return np.sum(w)


def writes_read_only_view(x):
    y = x * 1.0
    b = np.broadcast_to(y, (2, 3))
    b[0, 0] = 1.0  # [read-only-view]
    return np.sum(b)


def path_dependent_array(x, c):
    a = x * 1.0
    b = x * 2.0
    w = a[:2]  # (a view of one of them only, seen after the change: it would change on one path only)
    y = a if c else b
    y[0] = 0.0  # [path-dependent-array]
    return np.sum(a + b) + np.sum(w)


def changes_array_of_earlier_iteration(x):
    prev = None
    history = []
    for i in range(3):
        cur = x * (i + 1.0)
        if i > 0:
            prev[0] = 0.0  # [earlier-iteration]
        history.append(cur)
        prev = cur
    return np.sum(history[0] * x)


def changes_view_without_inverse(x):
    y = x * 1.0
    v = np.flip(y)
    v[0] = 0.0  # [view-without-inverse]
    return np.sum(y * y)


def view_made_differently(x):
    y = x * 1.0
    k = 0
    v = y[k:k + 2]
    k = 1
    y[0] = 5.0  # [view-made-differently]
    return np.sum(v * v) + k


def maybe_copy_view(x):
    y = x * 1.0
    v = y.flat
    y[0] = 5.0  # [maybe-copy-view]
    return np.sum(v[0:2] * x[0:2])


def maybe_shared_alias(x, c):
    y = x * 1.0
    z = x * 2.0
    w = y[:2] if c else z[:2]
    y[0] = 5.0  # [maybe-shared-alias]
    return np.sum(w * x[:2]) + np.sum(y * x)


def changes_array_held_in_list(x):
    y = x * 1.0
    held = [x * 2.0]
    for i in range(2):
        held.append(y)
    y[0] = 5.0  # [container-holding-changed]
    return np.sum(held[1] * x)


def list_item_maybe_changed(x, c):
    y = x * 1.0
    z = x * 2.0
    held = [y if c else z]
    y[0] = 5.0  # [container-item-maybe]
    return np.sum(held[0] * x)


def out_into_global(x):
    np.add(x, 1.0, out=G)  # [out-argument]
    return np.sum(x)


def uses_np_shuffle(x):
    y = x * 1.0
    np.random.shuffle(y)  # [mutating-numpy-function]
    return np.sum(y * x)


def uses_copyto_casting(x):
    y = x * 1.0
    np.copyto(y, x * 3.0, casting="unsafe")  # [mutating-numpy-function:copyto]
    return np.sum(y * x)


def list_reverse(x):
    xs = [x, x * 3.0]
    r = xs.reverse()  # [list-method]
    return xs[0] if r is None else x


def appends_to_the_list_looped_over(x):
    xs = [x, x * 2.0]
    s = 0.0
    for v in xs:
        s = s + v
        if len(xs) < 4:
            xs.append(v * 3.0)  # [list-length-in-loop]
    return s


def dict_pop(x):
    d = {"a": x, "b": x * 2.0}
    v = d.pop("b")  # [dict-method]
    return v


def value_of_fill(x):
    y = x * 1.0
    r = y.fill(0.0)  # [array-method-value]
    return np.sum(y)


def array_partition(x):
    y = x * 1.0
    y.partition(1)  # [array-method-in-place]
    return np.sum(y * x)


def changes_reshape_that_copied(x):
    y = (x * 1.0).T
    v = y.reshape(-1)
    v[0] = 0.0  # [reshape-copy]
    return np.sum(y * y)


# ================================================================================================
# 6. arguments, 7. output, 8. the API, 9. rules
# ================================================================================================
def sum_of_squares(x):
    return np.sum(x * x)


def weighted(x, y):
    return np.sum(x * np.abs(y))


class ArrayLike:
    def __init__(self, a):
        self.a = a

    def __array__(self, dtype=None, copy=None):
        return self.a


try:
    import dask.array as _da

    DASK_A3 = _da.from_array(A3, chunks=2)
except ImportError:  # (the Dask cases are skipped)
    DASK_A3 = None


def changes_dask_array(x):
    y = x * 1.0
    z = y[:2]
    y[0] = 5.0  # [dask-in-place]
    return np.sum(z * x[:2])


def dask_percentile(x):
    return np.percentile(x, 40)


def vector_valued(x):
    return x * 2.0


def complex_valued(x):
    return np.sum(np.exp(1j * x))  # [complex-output]


def pair_valued(x):
    return x, x * 2.0


def dict_valued(x):
    return {"a": x}


def rule_with_if(x):
    if x:
        bx = g  # noqa: F821
    return bx  # noqa: F821


def rule_with_and(x):
    bx = g if x and x else g  # noqa: F821


def target_of_rule(x):
    return x * 2.0


def scaled_by(v, ans):
    return v * ans


def rule_reading_ans(v, ans):
    bv = g * ans  # noqa: F821


def rule_from_exec():
    namespace = {}
    exec("def r(x):\n    bx = g\n", namespace)
    return namespace["r"]


# ================================================================================================
# the cases
# ================================================================================================
class Case:
    def __init__(self, key, error, fragment, func=None, args=(A3,), wrt=0, located=True, hint=None,
                 trigger=None, needs=None):
        self.key = key  # "<doc id>" or "<doc id>:<variant>"
        self.id = key.split(":")[0]
        self.error = error
        self.fragment = fragment
        self.func = func
        self.args = args
        self.wrt = wrt
        self.located = located
        self.hint = hint
        self.trigger = trigger or (lambda: ad.grad(self.func, wrt=self.wrt)(*self.args))
        self.needs = needs


U, N, S, O, E = ad.UnsupportedError, ad.NoDerivativeError, ad.SourceUnavailableError, ad.NonScalarOutputError, \
    ad.ADError
REWRITE = "rewrite this part"

CASES = [
    # 1. reading the function
    Case("not-a-function", U, "differentiates Python functions defined with `def`", located=False,
         hint="pass the plain function", trigger=lambda: ad.grad(np.sin)),
    Case("not-a-function:callable-object", U, "differentiates Python functions defined with `def`",
         located=False, hint="pass the plain function", trigger=lambda: ad.grad(np.vectorize(abs))),
    Case("source-unavailable", S, "cannot read the source of f", located=False, hint="define it in a file",
         trigger=lambda: ad.grad(made_by_exec())(1.0)),
    Case("source-edited", U, "is not the code that runs", located=False, hint="reload the module",
         trigger=lambda: ad.grad(edited_after_definition())(1.0)),
    Case("lambda-in-expression", S, "cannot parse the source", located=False, hint="define the function with `def`",
         trigger=lambda: ad.grad(LAMBDAS["double"])(1.0)),
    Case("lambda-ambiguous", U, "a lambda alone on its line", located=False, hint="rewrite it as a `def` function",
         trigger=lambda: ad.grad(TWO_LAMBDAS_A)(1.0)),
    Case("async-def", U, "an `async def` function cannot be differentiated", async_loss, (1.0,),
         hint="plain `def`"),
    Case("reserved-name", U, "the name `_ad` is reserved", uses_reserved_name, (1.0,), hint="rename"),
    # 2. statements and expressions
    Case("try", U, "`return` inside a `try` statement cannot be differentiated", uses_try, (1.0,),
         hint="assign the result to a variable"),
    Case("try:except-star", U, "`try` blocks with `except*` cannot be differentiated", "uses_try_star", (1.0,),
         hint=REWRITE, needs=PY311),
    Case("try:in-place", U, "an in-place change inside a `try` body (or a `with` block", changes_in_try,
         (1.0,), hint="compute new values in the `try` body"),
    Case("try:interrupted", U, "`y` is assigned in a `try` body, not in its last statement, and read after an "
         "exception", reads_after_an_interrupted_try, (1.0,), hint="assign `y` again in the handler"),
    Case("try:exception-value", N, "no derivative is known for `ValueError`", carries_a_value_in_an_exception,
         (1.0,), hint="register a derivative"),
    Case("raise", U, "`raise` without an exception, or `raise ... from ...` cannot be differentiated", uses_raise,
         (1.0,), hint="raise the exception itself"),
    Case("del", U, "`del` of a name or an attribute cannot be differentiated", uses_del, (1.0,),
         hint="assign the name a new value"),
    Case("class-def", U, "class definitions cannot be differentiated", uses_class, (1.0,), hint=REWRITE),
    Case("nested-async-def", U, "nested `async def` cannot be differentiated", uses_nested_async, (1.0,),
         hint=REWRITE),
    Case("global", U, "`global` cannot be differentiated", uses_global, (1.0,), hint="pass the value as an argument"),
    Case("outer-nonlocal", U, "changes a variable of an enclosing function outside the one differentiated",
         counts_calls, (1.0,), hint="pass the value as an argument"),
    Case("import", U, "`import` inside a block of the function", uses_import, (1.0,),
         hint="import at the top of the function"),
    Case("match", U, "`match` statements cannot be differentiated", uses_match, (1.0,), hint=REWRITE),
    Case("annotated-assignment", U, "the statement `AnnAssign` cannot be differentiated", uses_annotation, (1.0,),
         hint=REWRITE),
    Case("with-block", U, "a `with` block binding something other than one name", uses_open, (1.0,),
         hint="bind one name"),
    Case("with-block:bound-value", N, "the value this `with` block binds (what the context "
         "manager's `__enter__` returns) depends on `x`", binds_entered_value, (1.0,),
         hint="compute the value before the `with` block"),
    Case("with-block:swallowed", U, "the context manager of this `with` block swallowed an exception", swallows,
         (1.0,), located=False, hint="let the exception through"),
    Case("no-grad-early-exit", U, "leaving a `with ad.no_grad():` block early", returns_inside_no_grad, (1.0,),
         hint="move the return/break after the block"),
    Case("loop-unpacking", U, "unpacking a loop item into a different number of names", unpacks_loop_item, (1.0,),
         hint=REWRITE),
    Case("attribute-assignment", U, "assignment to an attribute of something other than a local value",
         assigns_attribute, (1.0,), hint="keep the value in a local variable"),
    Case("attribute-assignment:argument", U, "this changes the argument `model` in place",
         assigns_attribute_of_argument, (1.0, MODEL), hint="work on a copy"),
    Case("store-into-global", U, "assignment into something other than a local value", stores_into_global,
         (1.0,), hint=REWRITE),
    Case("store-into-global:augmented", U, "an in-place update of something other than a local value",
         updates_global, (1.0,), hint=REWRITE),
    Case("expression-statement", U, "an expression statement that is not a call", expression_statement, (1.0,),
         hint=REWRITE),
    Case("missing-return", U, "a path through the function that does not `return` a value", no_return_on_a_path,
         (1.0,), hint="end every path with `return"),
    Case("bare-return", U, "`return` without a value", bare_return, (1.0,), hint="return the value"),
    Case("generator", U, "yield (a generator is not a function of its inputs)", generator, (1.0,), hint=REWRITE),
    Case("generator:endless", U, "a generator that never ends by itself", takes_from_forever, (1.0,),
         hint="bound the loop"),
    Case("generator:effects", U, "a generator that changes a value of its caller", stops_a_logging_generator,
         (1.0,), hint="make the change in the consumer's loop"),
    Case("generator:twice", U, "the iterator `products` is used more than once", uses_generator_twice, (A3,),
         hint="make a list of it"),
    Case("lazy-iterator", U, "this may change what a generator expression made on line",
         changes_before_a_generator_expression_is_read, (A3,), hint="make a list of the items first"),
    Case("walrus", U, "the walrus operator `:=`", walrus, (1.0,), hint=REWRITE),
    Case("set", U, "set literals cannot be differentiated", set_literal, (1.0,), hint=REWRITE),
    Case("set:comprehension", U, "set comprehensions cannot be differentiated", set_comprehension, (1.0,),
         hint=REWRITE),
    Case("starred-literal", U, "`**` in a dict literal", double_starred_dict, (1.0,), hint=REWRITE),
    Case("starred-index", U, "a starred index cannot be differentiated", "starred_index", (A3,), hint=REWRITE,
         needs=PY311),
    Case("nested-format-spec", U, "a nested format specification", nested_format_spec, (1.0,), hint=REWRITE),
    Case("dynamic-code", U, "`eval(...)` cannot be differentiated", uses_eval, (1.0,),
         hint="dynamic code cannot be read"),
    Case("decorated-nested-def", U, "a decorated nested function", decorated_nested, (1.0,),
         hint="define the function at module level"),
    Case("undefined-name", U, "the name `not_defined_anywhere`, which is not defined", undefined_name, (1.0,),
         hint="define it before the function"),
    Case("undefined-name:attribute", U, "`np.sinn`, which does not exist", missing_attribute, (1.0,), hint=REWRITE),
    Case("undefined-name:module", U, "the name `mathx`, which is not defined", module_not_imported, (1.0,),
         hint="define (or import) it before the function"),
    Case("read-before-assignment", U, "`y` is read before it is assigned", read_before_assignment, (1.0,),
         hint="assign it on every path"),
    # 3. calls of your own functions
    Case("recursive-nested-function", U, "a recursive nested function cannot be differentiated", recursive_nested,
         (1.0, 2), hint="define the recursive function at module level"),
    Case("closure-value", U, "the nested function `<lambda>` is used here as a value, not called, and it reads `k` "
         "of the enclosing function", closure_given_to_quad, (0.8,), hint="define it at module level"),
    Case("recursive-star-parameters", U, "a recursive function with *args, **kwargs, keyword-only or "
         "positional-only parameters", calls_recursive_star, (1.0,), hint="plain positional parameters"),
    Case("call-unknown-star-args", U, "a call with `*args`, whose length is not known when compiling",
         star_args_of_unknown_length, (1.0, 2), hint="pass the arguments one by one"),
    Case("call-unknown-star-args:kwargs", U, "a call with `**kwargs`, whose keys are not known when compiling",
         double_star_of_unknown_keys, (1.0, ("b",)), hint="pass the keyword arguments one by one"),
    Case("call-arguments:too-many", U, "calling `helper` with too many arguments", too_many_arguments, (1.0,)),
    Case("call-arguments:twice", U, "calling `helper` with `a` twice", argument_twice, (1.0,)),
    Case("call-arguments:keyword", U, "calling `helper` with the keyword `c`, which it does not take",
         unknown_keyword, (1.0,)),
    Case("call-arguments:missing", U, "calling `helper` without its argument `a`", missing_argument, (1.0,)),
    Case("call-arguments:recursive", U, "this call does not match `recursive_bad_call`", recursive_bad_call,
         (1.0, 2)),
    Case("super-without-self", N, "`super()` here is not followed", static_method_calling_super, (1.0,),
         hint="write `super(Class, self)` with the object"),
    # 4. calls without a derivative
    Case("no-derivative", N, "no derivative is known for `np.fft.hfft`", uses_fft, hint="@ad.defvjp"),
    Case("no-derivative:method", N, "no derivative is known for the method `.choose()`", uses_method_without_rule,
         hint="@ad.defvjp"),
    Case("no-derivative:attribute", N, "no derivative is known for the attribute `.flat`", uses_imag,
         hint="@ad.defvjp"),
    Case("no-derivative:callable-object", N, "no derivative is known for `CALLABLE`", calls_object, (1.0,),
         hint="@ad.defvjp"),
    Case("function-value", N, "a call of a function value not known when compiling", calls_function_value,
         (1.0, [np.sin, np.cos] * 9, 0), hint="ad.stop_gradient"),  # (more than 16: not an `if` chain)
    Case("library-star-call", N, "a call with *args or **kwargs whose length is not known when compiling",
         star_call_of_library_function, (A3, 2), hint="@ad.defvjp"),
    Case("non-differentiable-argument", N, "with respect to its argument `condition`, which depends on `x`",
         active_argument_without_derivative, (1.5,), hint="ad.stop_gradient"),
    Case("rule-signature-mismatch", U, "this call does not match the derivative rule `sum(", call_not_matching_rule,
         hint="register your own rule"),
    Case("rule-signature-mismatch:value", U, "`pinv` with `rcond=` 0.1: its derivative rule holds only for",
         argument_value_the_rule_does_not_follow, hint="register your own rule"),
    Case("complex-real-only", U, "`eigvalsh` is differentiated for real operands only, and an operand here may be "
         "complex", hermitian_eigenvalues, (A3,), hint="keep this operand real"),
    Case("complex-real-only:norm", U, "2-norm and the Frobenius norm only", spectrum_one_norm, (A3,),
         hint="keep this operand real"),
    Case("complex-sign", U, "`np.sign` of a complex value is not piecewise constant", sign_of_complex, (A3,),
         hint="keep this operand real"),
    # 5. in-place changes, aliasing and views
    Case("augmented-shared-container", U, "`d |= ...` cannot be differentiated", or_update_shared_dict, (1.0,),
         hint="write `d = d | ...`"),
    Case("array-attribute-store", U, "assigning the attribute `shape` of `y`", reshapes_by_attribute, (A3,),
         hint="y = y.reshape(...)"),
    Case("tuple-item-assignment", U, "a tuple cannot be changed", changes_tuple, (1.0,), hint="build a new tuple"),
    Case("list-slice-assignment", U, "assigning to a slice of a list", assigns_list_slice, (1.0,),
         hint="build the list"),
    Case("item-assignment-non-container", U, "`s` is a number: it has no items to change", item_of_number, (1.0,),
         hint="use an array"),
    Case("item-assignment-non-container:string", U, "cannot tell which object `s` is here", item_of_string, (1.0,),
         hint="make a copy first"),
    Case("argument-changed-in-place", U, "this changes the argument `things` in place", changes_list_argument,
         (1.0, [Thing()]), hint="work on a copy"),
    Case("external-changed-in-place", U, "this changes the global `G` in place", changes_global_through_alias,
         (1.0,), hint="work on a copy"),
    Case("external-changed-in-place:attribute", U, "this changes the attribute `.w` in place", changes_attribute,
         (1.0, MODEL), hint="work on a copy"),
    Case("read-only-view", U, "`b` is a read-only view", writes_read_only_view, hint="make a copy first"),
    Case("path-dependent-array", U, "`y` may be one of several arrays here", path_dependent_array, (A3, True),
         hint="make a copy first"),
    Case("earlier-iteration", U, "`prev` refers to an array made in an earlier iteration of the loop",
         changes_array_of_earlier_iteration, hint="make a copy first, in this iteration"),
    Case("view-without-inverse", U, "`v` is a view whose making has changed since (or is not known here)",
         changes_view_without_inverse, hint="change the base array directly"),
    Case("view-made-differently", U, "`v` shares memory with the array changed here, but how it was made has "
         "changed since", view_made_differently, hint="make it again after the change"),
    Case("maybe-copy-view", U, "`v` may be a copy or a view of the array changed here", maybe_copy_view,
         hint="make an explicit copy"),
    Case("maybe-shared-alias", U, "`w` may or may not share memory with `y` here", maybe_shared_alias, (A3, True),
         hint="make a copy first"),
    Case("container-holding-changed", U, "a list, tuple or dict holding `y` is used later",
         changes_array_held_in_list, hint="build the list after the change"),
    Case("container-item-maybe", U, "an item of `held` may or may not be `y`", list_item_maybe_changed, (A3, True),
         hint="make a copy before changing it"),
    Case("out-argument", U, "a call writing its result into something other than one named array (`out=`)",
         out_into_global, hint="assign the result instead"),
    Case("mutating-numpy-function", U, "`np.random.shuffle` changes an array in place", uses_np_shuffle,
         hint="indexing and assignment"),
    Case("mutating-numpy-function:copyto", U, "`np.copyto` changes an array in place", uses_copyto_casting,
         hint="indexing and assignment"),
    Case("list-method", U, "the list method `.reverse()` cannot be differentiated", list_reverse, (1.0,),
         hint="build a new list"),
    Case("list-length-in-loop", U, "this may change the length of the list the loop on line",
         appends_to_the_list_looped_over, (1.0,), hint="loop over a copy"),
    Case("dict-method", U, "the dict method `.pop()` cannot be differentiated", dict_pop, (1.0,),
         hint="assign the keys one by one"),
    Case("array-method-value", U, "using the value of `.fill()`", value_of_fill, hint="call it as a statement"),
    Case("array-method-in-place", U, "the in-place array method `.partition()` cannot be differentiated",
         array_partition, hint="assign them"),
    Case("reshape-copy", U, "the array changed here is a copy, not a view", changes_reshape_that_copied,
         (np.ones((2, 3)),), hint="make the copy explicit"),
    # 6. arguments
    Case("complex-argument", E, "the argument `x` is complex", sum_of_squares, (np.array([1.0 + 2.0j]),),
         located=False, hint="split the value into real and imaginary parts"),
    Case("complex-argument:other", E, "complex inputs are not supported yet", weighted,
         (A3, np.array([1.0 + 2.0j])), located=False, hint="split the value"),
    Case("dask-percentile", E, "Dask computes it by its own approximate algorithm", dask_percentile, (DASK_A3,),
         located=False, hint="np.quantile", needs=None if DASK_A3 is not None else False),
    Case("array-like-argument", E, "an array-like object ad_compiler cannot differentiate", sum_of_squares,
         (ArrayLike(A3),), located=False, hint="np.asarray(value)"),
    Case("dask-in-place", U, "an argument is a Dask array", changes_dask_array, (DASK_A3,),
         hint="np.where", needs=None if DASK_A3 is not None else False),
    # 7. output
    Case("non-scalar-output", O, "grad needs a function with a scalar output", vector_valued, located=False,
         hint="ad.vjp"),
    Case("complex-output", O, "grad needs a function with a real scalar output", complex_valued, hint="np.real"),
    Case("vjp-seed-mismatch", O, "the seed has shape (2,) but the output has shape (3,)", located=False,
         hint="a seed of exactly the output's shape", trigger=lambda: ad.vjp(vector_valued)(A3, np.ones(2))),
    Case("vjp-seed-mismatch:tuple", O, "the output is a tuple of 2 values", located=False,
         hint="one seed per output value", trigger=lambda: ad.vjp(pair_valued)(1.0, [1.0])),
    Case("vjp-seed-mismatch:dict", O, "the seed must be a dict with the same keys", located=False, hint="keys:",
         trigger=lambda: ad.vjp(dict_valued)(1.0, {"b": 1.0})),
    # 8. the API
    Case("wrt-invalid:empty", E, "`wrt` is empty", located=False, hint="name at least one argument",
         trigger=lambda: ad.grad(sum_of_squares, wrt=())),
    Case("wrt-invalid:name", E, "has no argument named 'z'", located=False,
         trigger=lambda: ad.grad(sum_of_squares, wrt="z")),
    Case("wrt-invalid:position", E, "wrt=5 is out of range", located=False,
         trigger=lambda: ad.grad(sum_of_squares, wrt=5)),
    Case("wrt-invalid:type", E, "`wrt` items must be argument positions or names", located=False,
         trigger=lambda: ad.grad(sum_of_squares, wrt=1.5)),
    Case("wrt-invalid:twice", E, "appears twice in `wrt`", located=False,
         trigger=lambda: ad.grad(weighted, wrt=("x", 0))),
    Case("jit-refused", E, "jit=True with has_aux=True is not supported yet", located=False, hint="drop one of them",
         trigger=lambda: ad.grad(sum_of_squares, jit=True, has_aux=True), needs=None if HAS_NUMBA else False),
    Case("show-non-derivative", E, "is not a function generated by ad_compiler", located=False,
         trigger=lambda: ad.show(sum_of_squares)),
    # 9. rules
    Case("rule-template", E, "only `name = expression` statements are allowed", located=False,
         trigger=lambda: ad.defvjp(target_of_rule)(rule_with_if)),
    Case("rule-template:and", E, "use `&`/`|` or a conditional expression instead of `and`/`or`", located=False,
         trigger=lambda: ad.defvjp(target_of_rule)(rule_with_and)),
    Case("rule-template:source", E, "its source cannot be read", located=False, hint="define the template in a file",
         trigger=lambda: ad.defvjp(target_of_rule)(rule_from_exec())),
    Case("rule-placeholder-param", E, "has the name of the placeholder for the result", located=False,
         hint="rename the parameter", trigger=lambda: ad.defvjp(scaled_by)(rule_reading_ans)),
]


def marked_line(key):
    """The line of this file carrying the comment `# ... [key]`."""
    found = [i + 1 for i, s in enumerate(SOURCE_LINES) if re.search(r"#.*\[" + re.escape(key) + r"\]\s*$", s)]
    assert len(found) == 1, f"marker [{key}] found on lines {found}"
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_refusal(case):
    if case.needs is False:
        pytest.skip("syntax of a newer Python, or an optional package missing")
    if isinstance(case.func, str):
        case.func = globals()[case.func]
    with pytest.raises(ad.ADError) as info:
        case.trigger()
    exc = info.value
    msg = str(exc)
    assert isinstance(exc, case.error), f"{type(exc).__name__} is not {case.error.__name__}:\n{msg}"
    if case.error is ad.ADError:  # the base class itself (misuse, arguments), not one of the specific ones
        assert type(exc) is ad.ADError, f"{type(exc).__name__}:\n{msg}"
    assert case.fragment in msg, msg
    if case.hint is not None:
        assert "Hint: " in msg and case.hint in msg.split("Hint: ", 1)[1], msg
    if case.located:
        line = marked_line(case.key)
        assert f'File "{HERE}", line {line}, column' in msg, msg
        lines = msg.splitlines()
        k = next(i for i, s in enumerate(lines) if s.startswith(f'File "{HERE}", line {line},'))
        assert SOURCE_LINES[line - 1].strip() == lines[k + 1].strip(), msg  # the source line, as written
        assert re.fullmatch(r" *\^+", lines[k + 2]), msg  # and a caret under it


def test_doc_and_cases_in_step():
    """Every entry of docs/limits.md has a case here, and every case an entry there."""
    text = DOC.read_text()
    anchors = re.findall(r'<a id="([a-z0-9-]+)"></a>', text)
    assert len(anchors) == len(set(anchors)), sorted(a for a in anchors if anchors.count(a) > 1)
    cases = {c.id for c in CASES}
    assert set(anchors) - cases == set(), "entries of the doc without a case"
    assert cases - set(anchors) == set(), "cases without an entry in the doc"


def test_marked_lines_are_unique_and_used():
    """Each `[key]` marker in this file belongs to exactly one located case (no stale markers)."""
    keys = {c.key for c in CASES if c.located}
    markers = re.findall(r"#.*\[([a-z0-9:-]+)\]\s*$", "\n".join(SOURCE_LINES), flags=re.M)
    assert sorted(markers) == sorted(keys)
