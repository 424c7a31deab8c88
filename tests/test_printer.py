"""The printer writes expressions with the parentheses Python's precedence needs: random expression trees
are printed, and the printed text, evaluated by Python, must give what the tree means (evaluated here
node by node), and must parse back to the same tree shape."""
import operator
import random

import pytest

from ad_compiler import ir
from ad_compiler.printer import Printer

BIN = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod,
       "**": operator.pow, "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
       ">>": operator.rshift, "/": operator.truediv}
UN = {"-": operator.neg, "+": operator.pos, "~": operator.invert, "not": operator.not_}
CMP = {"<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt}


def evaluate(e, env):
    if isinstance(e, ir.Const):
        return e.value
    if isinstance(e, ir.Var):
        return env[e.name]
    if isinstance(e, ir.BinOp):
        return BIN[e.op](evaluate(e.left, env), evaluate(e.right, env))
    if isinstance(e, ir.UnaryOp):
        return UN[e.op](evaluate(e.operand, env))
    if isinstance(e, ir.Compare):
        left = evaluate(e.left, env)
        for op, r in zip(e.ops, e.rights):
            right = evaluate(r, env)
            if not CMP[op](left, right):
                return False
            left = right
        return True
    if isinstance(e, ir.IfExp):
        return evaluate(e.body, env) if evaluate(e.test, env) else evaluate(e.orelse, env)
    if isinstance(e, ir.Build):
        return tuple(evaluate(i, env) for i in e.items)
    if isinstance(e, ir.Index):
        return evaluate(e.value, env)[evaluate(e.items[0], env)]
    raise TypeError(e)


def tree(rng, depth):
    if depth == 0 or rng.random() < 0.2:
        return ir.Var(rng.choice("abc")) if rng.random() < 0.6 else ir.Const(rng.choice([-2, -1, 0, 1, 2, 3]))
    k = rng.random()
    if k < 0.55:
        op = rng.choice([o for o in BIN if o not in ("/", "//", "%")])
        return ir.BinOp(op, tree(rng, depth - 1), tree(rng, depth - 1))
    if k < 0.7:
        return ir.UnaryOp(rng.choice(list(UN)), tree(rng, depth - 1))
    if k < 0.82:
        n = rng.randint(1, 2)
        return ir.Compare(tree(rng, depth - 1), tuple(rng.choice(list(CMP)) for _ in range(n)),
                          tuple(tree(rng, depth - 1) for _ in range(n)))
    if k < 0.92:
        return ir.IfExp(tree(rng, depth - 1), tree(rng, depth - 1), tree(rng, depth - 1))
    return ir.Index(ir.Build("tuple", (tree(rng, depth - 1), tree(rng, depth - 1))), (ir.Const(rng.choice([0, 1])),))


def run(e, env):
    try:
        return ("value", evaluate(e, env))
    except (ArithmeticError, ValueError, TypeError) as exc:
        return ("error", type(exc).__name__)


def run_text(text, env):
    try:
        return ("value", eval(text, {}, dict(env)))
    except (ArithmeticError, ValueError, TypeError) as exc:
        return ("error", type(exc).__name__)


@pytest.mark.parametrize("seed", range(20))
def test_printed_expressions_mean_what_the_tree_means(seed):
    rng = random.Random(seed)
    printer = Printer()
    for _ in range(150):
        e = tree(rng, 4)
        text = printer.expr(e)
        for env in ({"a": 2, "b": -3, "c": 1}, {"a": 0, "b": 5, "c": -1}):
            expected = run(e, env)
            if expected[0] == "value" and isinstance(expected[1], int) and abs(expected[1]) > 10 ** 12:
                continue
            assert run_text(text, env) == expected, text


def test_special_forms():
    p = Printer()
    x, y = ir.Var("x"), ir.Var("y")
    assert p.expr(ir.BinOp("**", ir.Const(-1.0), x)) == "(-1.0) ** x"
    assert p.expr(ir.BinOp("**", x, ir.Const(-1))) == "x ** -1"
    assert p.expr(ir.BinOp("**", ir.BinOp("**", x, y), y)) == "(x ** y) ** y"
    assert p.expr(ir.BinOp("-", x, ir.BinOp("-", y, x))) == "x - (y - x)"
    assert p.expr(ir.Attr(ir.Const(1), "real")) == "(1).real"
    assert p.expr(ir.Attr(ir.BinOp("+", x, y), "T")) == "(x + y).T"
    assert p.expr(ir.Index(x, (ir.Slice(ir.Const(1), None, None),), False)) == "x[1:]"
    assert p.expr(ir.Index(x, (ir.Slice(None, ir.Const(-1), ir.Const(2)), ir.Const(0)), True)) == "x[:-1:2, 0]"
    assert p.expr(ir.Index(x, (ir.Const(0),), True)) == "x[0,]"
    assert p.expr(ir.Build("tuple", (x,))) == "(x,)"
    assert p.expr(ir.Build("dict", (x, y), (ir.Const("a"), None))) == "{'a': x, **y}"
    assert p.expr(ir.Call(ir.Var("f"), (ir.Starred(x),), (("k", ir.IfExp(x, y, x)), ("**", y)))) == \
        "f(*x, k=y if x else x, **y)"
    assert p.expr(ir.Const(float("inf"))) == "float('inf')"
    assert p.expr(ir.UnaryOp("-", ir.Const(float("-inf")))) == "--float('inf')"
    assert p.expr(ir.BinOp("**", ir.Const(float("-inf")), x)) == "(-float('inf')) ** x"
    assert p.expr(ir.Const(...)) == "..."
