"""One notation for a derivative's shape on every surface (SPEC section 3's table).

A derivative has the shape ``f.shape + x.shape``; from order 3 on it is written
with the function's axes apart from the variable's, a group of several in
parentheses: ``m×(p×q)`` for a vector by a matrix, ``(p×q)×(m×n)`` for a matrix
by a matrix.  Each surface that writes a shape (the command line's diff, JSON
and LaTeX, verify's table, check's report, the serve page, a notebook's
``∈ ℝ^{...}``) is checked here on the same derivatives, each verified
numerically first so that the shape written is the shape of a right result.
"""

from __future__ import annotations

from typing import Any

import pytest

import matcalc as mc
from matcalc.check.derivation import check
from matcalc.cli.app import main
from matcalc.cli.serve.compute import answer
from matcalc.core.dims import derivative_split, format_shape
from matcalc.core.errors import ShapeError
from matcalc.printing.latex import display_latex, shape_latex

# (expression, variable, text, LaTeX): the table's rows, one case of each kind
CASES = [
    ("A @ x where A: matrix(m, n)", "A", "m×(m×n)", r"m \times (m \times n)"),
    ("x @ y'", "x", "(m×n)×m", r"(m \times n) \times m"),
    ("A @ X where A: matrix(m, n), X: matrix(n, p)", "X", "(m×p)×(n×p)",
     r"(m \times p) \times (n \times p)"),
    ("A @ x where A: matrix(m, n)", "x", "m×n", r"m \times n"),
    ("0.5*norm(A @ x)^2 where A: matrix(m, n)", "A", "m×n", r"m \times n"),
]
IDS = ["vector-by-matrix", "matrix-by-vector", "matrix-by-matrix", "jacobian", "gradient"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("text", "wrt", "shape", "_latex"), CASES, ids=IDS)
def test_each_derivative_is_right_before_its_shape_is_read(
        text: str, wrt: str, shape: str, _latex: str) -> None:
    f = mc.parse(text)
    assert mc.verify(f, wrt)
    x = f.variables()[wrt]
    assert mc.diff(f, wrt).shape == f.shape + x.shape


def test_the_notation_groups_the_function_apart_from_the_variable() -> None:
    assert format_shape(("m", "p", "q"), 1) == "m×(p×q)"
    assert format_shape(("p", "q", "m", "n"), 2) == "(p×q)×(m×n)"
    assert format_shape(("m", "n", "m"), 2) == "(m×n)×m"
    assert format_shape(("m", "n"), 1) == "m×n"  # a Jacobian needs no groups
    assert format_shape(("m", "m*n"), None) == "m×(m*n)"  # a product is one dimension
    assert format_shape((), None) == "scalar"
    assert shape_latex(("p", "q", "m", "n"), 2) == r"\mathbb{R}^{(p \times q) \times (m \times n)}"
    # the last variable differentiated by comes last: a second derivative of a vector
    assert derivative_split(("m", "n", "n"), ("n",)) == 2
    assert derivative_split(("m", "n"), None) == 2  # a variable that is not there: a scalar


@pytest.mark.parametrize(("text", "wrt", "shape", "_latex"), CASES, ids=IDS)
def test_diff_prints_the_shape(capsys: Any, text: str, wrt: str, shape: str,
                               _latex: str) -> None:
    out = run(capsys, "diff", text, "--wrt", wrt)
    assert f"  shape: {shape}\n" in out


@pytest.mark.parametrize(("text", "wrt", "shape", "latex"), CASES, ids=IDS)
def test_diff_json_and_latex_write_the_shape(capsys: Any, text: str, wrt: str, shape: str,
                                             latex: str) -> None:
    import json

    payload = json.loads(run(capsys, "diff", text, "--wrt", wrt, "--json"))
    assert payload["shape_text"] == shape
    assert payload["latex"].endswith(rf"\in \mathbb{{R}}^{{{latex}}}")
    assert run(capsys, "latex", text, "--wrt", wrt).strip().endswith(
        rf"\in \mathbb{{R}}^{{{latex}}}")
    assert run(capsys, "diff", text, "--wrt", wrt, "--latex").strip().endswith(
        rf"\in \mathbb{{R}}^{{{latex}}}")


@pytest.mark.parametrize(("text", "wrt", "shape", "_latex"), CASES, ids=IDS)
def test_verify_table_writes_the_shape(capsys: Any, text: str, wrt: str, shape: str,
                                       _latex: str) -> None:
    out = run(capsys, "verify", text, "--wrt", wrt)
    row = next(line for line in out.splitlines() if line.startswith("∂f/∂"))
    assert row.split()[1] == shape
    assert row.split()[-1] == "pass"


def test_a_second_derivative_of_a_vector_groups_by_the_last_variable(capsys: Any) -> None:
    # d/dx of the Jacobian diag(1 - tanh(A@x)^2) @ A (m×n) by x (n): (m×n)×n
    text = "tanh(A @ x) where A: matrix(m, n)"
    assert mc.verify(mc.parse(text), "x", order=2)
    assert "  shape: (m×n)×n\n" in run(capsys, "diff", text, "--wrt", "x", "--order", "2")
    row = next(line for line in run(capsys, "verify", text, "--wrt", "x", "--order", "2")
               .splitlines() if line.startswith("∂²f/∂x²"))
    assert row.split()[1] == "(m×n)×n"


def test_a_hessian_by_a_matrix_is_written_as_the_table_writes_order_four(capsys: Any) -> None:
    text = "0.5*norm(A @ x)^2 where A: matrix(m, n)"
    assert mc.verify(mc.parse(text), "A", order=2)
    assert "  shape: (m×n)×(m×n)\n" in run(capsys, "diff", text, "--wrt", "A", "--order", "2")
    assert run(capsys, "latex", text, "--wrt", "A", "--order", "2").strip().endswith(
        r"\in \mathbb{R}^{(m \times n) \times (m \times n)}")


@pytest.mark.parametrize(("text", "wrt", "shape", "latex"), CASES, ids=IDS)
def test_a_notebook_writes_the_shape(text: str, wrt: str, shape: str, latex: str) -> None:
    g = mc.diff(mc.parse(text), wrt)
    assert display_latex(g).endswith(rf"\in \mathbb{{R}}^{{{latex}}}")
    assert g._repr_latex_().endswith(rf"\in \mathbb{{R}}^{{{latex}}}$")


@pytest.mark.parametrize(("text", "wrt", "shape", "latex"), CASES, ids=IDS)
def test_the_serve_page_writes_the_shape(text: str, wrt: str, shape: str, latex: str) -> None:
    got = answer({"expression": text, "wrt": wrt})
    assert got["ok"], got
    section = next(s for s in got["sections"] if s["id"] == f"derivative-{wrt}")
    texts = [b["text"] for b in section["blocks"] if b["kind"] == "text"]
    maths = [b["latex"] for b in section["blocks"] if b["kind"] == "math"]
    assert f"shape: {shape}" in texts
    assert maths[0].endswith(rf"\in \mathbb{{R}}^{{{latex}}}")


def test_check_writes_the_shape_in_its_report_and_its_errors() -> None:
    f = mc.parse("A @ x where A: matrix(m, n)")
    report = check(f, "A", 'einsum("ij,k->ijk", eye(m), x)')
    assert report.ok
    assert "(m×(m×n); verified against finite differences: pass)" in str(report)
    with pytest.raises(ShapeError, match=r"∂f/∂A has shape m×\(m×n\)"):
        check(f, "A", "x")
