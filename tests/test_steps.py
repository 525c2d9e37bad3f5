"""Derivations, ``diff(f, x, steps=True)`` (SPEC section 3).

Each step says that the derivative of ``f`` by some intermediate expression
(through one use of it) is a certain expression.  The tests check that claim
numerically: the intermediate is replaced by a fresh variable ``z``, and central
differences of ``f`` by ``z`` at ``z = value of the intermediate`` must equal the
step's expression; where an intermediate has several uses, the parts must add
up to that derivative.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pytest

import matcalc as mc
import matcalc.ops.construct as c
from matcalc.algebra.simplify import remake
from matcalc.calculus.steps import Derivation
from matcalc.core.expr import Expr, rebuild

GAUSSIAN = "0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu) where S: spd(n)"
LOGISTIC = ("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n "
            "where X: matrix(n, d), b: scalar")

CASES = [
    ("0.5*norm(y - A@x)^2", "x"),
    ("0.5*norm(y - A@x)^2", "A"),
    ("x' @ A @ x", "x"),
    (LOGISTIC, "w"),
    (LOGISTIC, "b"),
    (GAUSSIAN, "mu"),
    ("0.5*norm(y - tanh(A@x + b))^2", "b"),
    ("sum(exp(x) / (1 + x^2))", "x"),
    ("logsumexp(W @ x)", "W"),
]


def _values(f: Expr, rng: np.random.Generator) -> dict:
    sizes: dict[str, int] = {}
    out = {}
    for name, v in f.variables().items():
        shape = tuple(sizes.setdefault(d, 3 + len(sizes)) if isinstance(d, str) else d
                      for d in v.shape)
        a = rng.uniform(0.2, 0.8, shape)
        if v.structure == "spd":
            a = a @ a.T + shape[0] * np.eye(shape[0])
        out[name] = a
    return {**out, **sizes}  # sizes too: a step such as -ones(n) / n has no variable


def _with_variable(f: Expr, operand: Expr, z: Expr) -> Expr:
    return rebuild(f, lambda node, args: z if node is operand else
                   (node if args == node.args else remake(node, args)))


def _numeric_partial(f: Expr, operand: Expr, values: dict[str, np.ndarray]) -> np.ndarray:
    """Central differences of f by ``operand`` (replaced by a fresh variable)."""
    z = c.var("zz_step", operand.shape, "")
    g = _with_variable(f, operand, z)
    z0 = np.asarray(mc.evaluate(operand, values), dtype=float)
    out = np.zeros(z0.shape)
    h = 1e-6
    for idx in np.ndindex(z0.shape):
        e = np.zeros(z0.shape)
        e[idx] = h
        plus = mc.evaluate(g, {**values, "zz_step": z0 + e})
        minus = mc.evaluate(g, {**values, "zz_step": z0 - e})
        out[idx] = (plus - minus) / (2 * h)
    return out


@pytest.mark.parametrize("text,wrt", CASES)
def test_every_step_is_a_true_partial_derivative(text, wrt):
    f = mc.parse(text)
    d = mc.diff(f, wrt, steps=True)
    assert isinstance(d, Derivation)
    assert d.result is mc.diff(f, wrt)
    rng = np.random.default_rng(0)
    values = _values(f, rng)
    parts: dict[int, list] = defaultdict(list)
    for step in d.steps:
        parts[id(step.operand)].append(step)
    checked = 0
    for group in parts.values():
        operand = group[0].operand
        assert [s.part for s in group] == [(k, len(group)) for k in range(1, len(group) + 1)]
        total = sum(np.asarray(mc.evaluate(s.derivative, values), dtype=float) for s in group)
        expected = _numeric_partial(f, operand, values)
        assert np.allclose(np.broadcast_to(total, expected.shape), expected,
                           rtol=1e-5, atol=1e-6), f"d f / d [{operand}]"
        checked += 1
    assert checked >= 2


def test_rules_are_named_in_the_order_a_lecturer_applies_them():
    d = mc.diff(mc.parse("0.5*norm(y - A@x)^2"), "x", steps=True)
    rules = [s.rule.split(":")[0] for s in d.steps]
    assert rules[0] == "constant multiple rule"
    assert rules[1] == "power rule"
    assert rules[2] == "norm rule"
    assert "sum rule" in rules and "matrix product rule" in rules
    assert str(d.steps[-1].operand) == "x"
    assert str(d).splitlines()[-1] == "  = A.T @ (A @ x - y)"


def test_a_variable_used_twice_shows_its_parts():
    d = mc.diff(mc.parse("x' @ A @ x"), "x", steps=True)
    text = str(d)
    assert "df/d[x] (part 1 of 2) = A.T @ x" in text
    assert "df/d[x] (part 2 of 2) = A @ x" in text
    assert text.splitlines()[-1] == "  = (A + A.T) @ x"
    assert "(part 2 of 2)" in d.latex()


def test_sizes_print_by_name_and_division_by_them_is_a_constant_multiple():
    d = mc.diff(mc.parse(LOGISTIC), "b", steps=True)
    first = d.steps[0]
    assert first.rule == "constant multiple rule"
    assert str(d).splitlines()[1].endswith("= -1 / n")
    assert "tr(eye" not in str(d)


def test_latex_block():
    d = mc.diff(mc.parse("0.5*norm(y - A@x)^2"), "x", steps=True)
    tex = d.latex()
    assert tex.startswith("\\begin{align*}\n") and tex.endswith("\n\\end{align*}")
    assert tex == d._repr_latex_()
    rows = tex.removeprefix("\\begin{align*}\n").split(" \\\\\n")
    # f = ..., then per step its note (a row, or more when long) above what it gives
    assert rows[0] == r"f &= \frac{1}{2} \left\| y - A x \right\|_{2}^{2}"
    assert sum(" &= " in r for r in rows) == len(d.steps) + 2
    assert [r.split(".")[0] for r in rows if r.startswith("&\\text{")] == \
        [f"&\\text{{{k}" for k in range(1, len(d.steps) + 1)]
    assert "\\partial \\left(x\\right)" not in tex  # a bare variable needs no parentheses
    assert re.search(r"\\frac\{\\partial f\}\{\\partial x\} &= A\^\{\\top\}", tex)
    assert rows[-1] == ("\\frac{\\partial f}{\\partial x} &= A^{\\top} \\left(A x - y\\right) "
                        "\\in \\mathbb{R}^{n}\n\\end{align*}")
