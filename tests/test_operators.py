"""One row per operator and elementwise function, checked by every stage.

Each row is an expression that exercises one operator (or function) and the
variable to differentiate by.  For each row: the text round-trips, ``verify``
passes at orders 1 and 2, the SymPy second opinion agrees, the generated module
agrees with ``evaluate`` on the value and the gradient, the derivation names the
operator's rule, and KaTeX accepts the LaTeX of the expression and its
derivative.  The completeness tests fail when an operator or function lacks an
entry one of the stages needs, or lacks a row here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matcalc as mc
from matcalc.calculus.differentiate import diff
from matcalc.calculus.rules import RULE_NAMES, VJP
from matcalc.check.second_opinion import second_opinion
from matcalc.ops import FUNCTIONS, OPS
from matcalc.printing import latex, text

from generated import load
from katex import katex_failures

# the shapes of the rows' variables, and the rows: (what it exercises, expression, variable)
SHAPES = {"A": ("m", "n"), "B": ("p", "q"), "X": ("n", "n"), "x": ("n",), "y": ("n",),
          "u": ("m",), "v": ("m*n",), "c": ()}
ROWS: list[tuple[str, str, str]] = [
    ("const", "sum(2 * x)", "x"),
    ("var", "c * sum(x)", "c"),
    ("dim", "sum(x) / n", "x"),
    ("zeros", "sum(x + zeros(n))", "x"),
    ("ones", "sum(ones(n) * x^2)", "x"),
    ("eye", "x' @ (X + eye(n)) @ x", "x"),
    ("add", "sum(x + y)", "x"),
    ("mul", "sum(x * y * x)", "x"),
    ("pow", "sum(x^3) + sum(x^c)", "x"),
    ("matmul", "u' @ A @ x", "A"),
    ("transpose", "sum(A' @ u)", "A"),
    ("einsum", 'sum(einsum("ij,k->ijk", A, x)^2)', "x"),
    ("sum", "sum(A)^2", "A"),
    ("mean", "mean(A @ x)^2 + mean(A)", "x"),
    ("norm", "norm(A @ x)", "x"),
    ("norm1", "norm1(A @ x)", "x"),
    ("norminf", "norminf(A @ x)", "x"),
    ("tr", "tr(X @ X)", "X"),
    ("det", "det(X)", "X"),
    ("logdet", "logdet(X)", "X"),
    ("inv", "sum(inv(X) @ x)", "X"),
    ("diag", "x' @ diag(y) @ X @ x", "y"),
    ("diagpart", "sum(diag(X) * x)", "X"),
    ("softmax", "sum(softmax(x) * y)", "x"),
    ("logsumexp", "logsumexp(A @ x)", "x"),
    ("ismax", "sum(ismax(x) * x)", "x"),
    ("kron", "sum(kron(A, X))", "A"),
    ("vec", "sum(vec(A) * v)", "A"),
    ("unvec", "sum(unvec(v, m, n) @ x)", "v"),
    ("reshape", "sum(reshape(A, n, m) @ u)", "A"),
    # issue 12: broadcasting, reductions along an axis, row-wise softmax, pi
    ("broadcast", "sum(tanh(A + x)^2) + sum(A * x)", "x"),
    ("max", "max(A @ x) + max(A)", "x"),
    ("sum_axis0", "sum(A, axis=0) @ x + sum(A^2, 0) @ x", "A"),
    ("sum_axis1", "sum(A^2, axis=1) @ u", "A"),
    ("max_axis0", "max(A, axis=0) @ x", "A"),
    ("max_axis1", "max(A * x', axis=1) @ u", "A"),
    ("ismax_axis0", "sum(ismax(A, axis=0) * A^2)", "A"),
    ("ismax_axis1", "sum(ismax(A, axis=1) * A^2)", "A"),
    ("softmax_axis0", "sum(softmax(A, axis=0) * A)", "A"),
    ("softmax_axis1", "sum(softmax(A, axis=1) * A)", "A"),
    ("logsumexp_axis0", "logsumexp(A, axis=0) @ x", "A"),
    ("logsumexp_axis1", "logsumexp(A, axis=1) @ u", "A"),
    ("pi", "pi * sum(x^2)", "x"),
    ("commutation", "sum((commutation(m, n) @ vec(A)) * v)", "A"),
    *[(f"fn {name}", f"sum({name}(x))", "x") for name in (
        "exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt", "abs", "sigmoid",
        "softplus", "relu")],
    # piecewise constant: times a power, so that their second derivatives are not all 0
    ("fn sign", "sum(sign(x) * x^3)", "x"),
    ("fn step", "sum(step(x) * x^3)", "x"),
]
IDS = [r[0] for r in ROWS]
SIZES = {"m": 2, "n": 3, "p": 2, "q": 2}


def _parse(text_: str) -> mc.Expr:
    f = mc.parse(text_, shapes={k: v for k, v in SHAPES.items() if _mentions(text_, k)})
    return f


def _mentions(text_: str, name: str) -> bool:
    return re.search(rf"\b{name}\b", text_) is not None


def _values(f: mc.Expr) -> dict[str, Any]:
    """Values in every operator's domain: positive entries, well-conditioned squares."""
    rng = np.random.default_rng(7)
    out: dict[str, Any] = {}
    for name, v in f.variables().items():
        shape = tuple(SIZES.get(str(d), 0) or _product(str(d)) for d in v.shape)
        a = rng.uniform(0.2, 0.9, size=shape)
        if len(shape) == 2 and shape[0] == shape[1]:
            a = np.eye(shape[0]) + 0.1 * a
        out[name] = a
    return out


def _product(d: str) -> int:
    return int(np.prod([SIZES[f] for f in d.split("*")]))


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_round_trip(what: str, text_: str, wrt: str) -> None:
    f = _parse(text_)
    assert mc.parse(str(f), shapes=_declared(f)) is f
    d = diff(f, wrt)
    assert mc.parse(str(d), shapes=_declared(f)) is d


def _declared(f: mc.Expr) -> dict[str, Any]:
    return {n: v.shape for n, v in f.variables().items()}


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_verify_orders_one_and_two(what: str, text_: str, wrt: str) -> None:
    f = _parse(text_)
    first = mc.verify(f, wrt, dims=SIZES)
    assert first.ok, str(first)
    second = mc.verify(f, wrt, dims=SIZES, order=2)
    assert second.ok, str(second)


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_second_opinion(what: str, text_: str, wrt: str) -> None:
    f = _parse(text_)
    opinion = second_opinion(f, wrt, dims={"m": 2, "n": 2, "p": 2, "q": 2}, mode="point")
    assert opinion.ok, str(opinion)
    assert opinion.compared > 0


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_codegen_matches_evaluate(what: str, text_: str, wrt: str, tmp_path: Path) -> None:
    f = _parse(text_)
    module = load(mc.codegen(f, wrt=[wrt]), tmp_path)
    values = _values(f)
    value, gradient = module.value_and_derivatives(**values, **SIZES)
    with_sizes = {**values, **SIZES}  # unvec(v, m, n): no array fixes m
    np.testing.assert_allclose(value, mc.evaluate(f, with_sizes), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gradient, mc.evaluate(diff(f, wrt), with_sizes),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_derivation_names_the_rule(what: str, text_: str, wrt: str) -> None:
    op = what.split()[0]
    f = _parse(text_)
    derivation = mc.diff(f, wrt, steps=True)
    assert derivation.result is diff(f, wrt)  # the steps derive the derivative diff gives
    rules = [s.rule for s in derivation.steps]
    assert rules, "a derivation has at least one step"
    # a leaf is where the chain rule stops (no step of its own); mul and pow name their
    # rule from the operands (product, constant multiple, power, quotient rules)
    # (pi is a number: no step of a derivation depends on it)
    if op in OPS and not OPS[op].leaf and op not in ("mul", "pow", "pi"):
        expected = f"chain rule through {what.split()[1]}" if op == "fn" else RULE_NAMES[op]
        assert expected in rules, rules


def test_katex_accepts_every_operator(katex_prefix: Any) -> None:
    strings = []
    for _, text_, wrt in ROWS:
        f = _parse(text_)
        strings += [f.latex(), diff(f, wrt).latex()]
    assert katex_failures(katex_prefix, strings) == []


# ----------------------------------------------------------------------------------------
# completeness: every record has what every stage needs


def test_every_operator_has_a_row() -> None:
    covered = {r[0] for r in ROWS}
    assert {op for op in OPS if op != "fn"} <= covered
    assert {f"fn {name}" for name, r in FUNCTIONS.items() if r.builtin} <= covered


@pytest.mark.parametrize("name", sorted(OPS))
def test_operator_record_is_complete(name: str) -> None:
    r = OPS[name]
    if name != "var":  # a variable is where reverse mode stops, not a rule
        assert name in VJP, f"{name} has no derivative rule in matcalc.calculus.rules"
    if r.leaf:
        return
    assert r.rebuild is not None, f"{name} has no rebuild hook"
    assert r.stem, f"{name} has no name stem for generated code"
    printed_by_method = hasattr(text.TextPrinter, f"_print_{name}")
    assert r.text is not None or printed_by_method, f"{name} has no text form"
    assert r.latex is not None or hasattr(latex.LatexPrinter, f"_print_{name}"), (
        f"{name} has no LaTeX form")
    assert r.domain in ("", "invertible", "positive", "unit")
    assert r.kink in ("", "sign", "absmax", "argmax", "detsign")
    assert r.sympy is not None, f"{name} has no SymPy value for the second opinion"
    if name not in LOWERED:
        assert r.numpy is not None, f"{name} has no NumPy value"
    if name not in LOWERED | INFIX:
        assert r.code is not None, f"{name} has no NumPy code for generated modules"


# structure the lowering computes itself (chains in cost order, transposes from the
# shapes, einsum along a path, a function's own record), not through Op.numpy
LOWERED = {"matmul", "transpose", "einsum", "fn"}
INFIX = {"add", "mul", "pow"}  # written with Python's operators by the code generator


@pytest.mark.parametrize("name", sorted(n for n, r in FUNCTIONS.items() if r.builtin))
def test_function_record_is_complete(name: str) -> None:
    r = FUNCTIONS[name]
    assert r.derivative is not None and r.code is not None and r.sympy is not None
    assert r.latex.startswith("\\")
    assert r.domain in ("", "positive", "unit") and r.kink in ("", "sign", "tan")
