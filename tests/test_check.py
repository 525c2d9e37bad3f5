"""``check`` and ``matcalc check`` (SPEC sections 4 and 6): is a person's own derivation right?

Every diagnosis is also checked to be *right*: the transformation it names,
applied to the claim (the report's ``correction``, and where it is simple a fix
written here by hand), makes the claim agree.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matcalc as mc
from matcalc.check.diagnosis import CITATION
from matcalc.cli.app import main
from matcalc.cli.check import where_line

from katex import katex_failures

LSQ = "0.5*norm(y - A@x)^2 where A: matrix(m, n), x: vector(n), y: vector(m)"


def lsq() -> mc.Expr:
    return mc.parse(LSQ)


def diagnosed(f: mc.Expr, x: str, claim: str, kind: str, factor: str | None = None,
              hand_fix: str | None = None, **kw: Any) -> mc.CheckReport:
    """Check ``claim``, assert its diagnosis, and that undoing it makes the claim right."""
    report = mc.check(f, x, claim, **kw)
    [r] = report.claims
    assert not report.ok and not r.ok, r.diagnosis
    assert r.kind == kind, r.diagnosis
    assert r.diagnosis.startswith(kind + ":")
    if factor is not None:
        assert r.finding.factor == factor, r.diagnosis
    assert r.max_abs_difference > 0 or kind == "layout"
    fixes = [r.correction] + ([hand_fix] if hand_fix else [])
    assert r.correction, "a diagnosis names a transformation"
    for fix in fixes:
        again = mc.check(f, x, fix, **kw)
        assert again.ok, (fix, again.claims[0].diagnosis)
    return report


# ----------------------------------------------------------------------------------------
# right claims


def test_right_claims_in_many_equal_forms() -> None:
    claims = ["-A' @ (y - A@x)", "A'@A@x - A'@y", "A.T @ (A @ x - y)", "A'@(A@x) - A'@y",
              "(A'@A)@x - A'@y", "-(A'@y) + A'@A@x"]
    report = mc.check(lsq(), "x", claims)
    assert report.ok and bool(report)
    assert all(c.ok and c.kind == "right" for c in report.claims)
    assert report.first_wrong is None
    assert all(c.max_rel_difference < 1e-12 for c in report.claims)
    assert report.claims[0].symbolic and report.claims[1].symbolic
    assert report.claims[0].diagnosis == "right, equal symbolically"
    assert report.reference.ok  # matcalc's own derivative, against finite differences


def test_row_form_is_layout_unless_numerator_layout_is_asked_for() -> None:
    row = "-(y - A@x)' @ A"
    report = diagnosed(lsq(), "x", row, "layout", hand_fix="(-(y - A@x)' @ A)'")
    assert "numerator" in report.claims[0].diagnosis
    assert report.claims[0].max_abs_difference == 0.0  # the same numbers, another shape
    numerator = mc.check(lsq(), "x", row, layout="numerator")
    assert numerator.ok
    assert "numerator layout" in numerator.layout_note
    assert "1×n" in numerator.layout_note
    # and in numerator layout, the column is the wrong layout
    column = diagnosed(lsq(), "x", "A'@(A@x - y)", "layout", layout="numerator")
    assert "numerator layout has a row" in column.claims[0].diagnosis
    # a one-column matrix where the gradient is a vector
    diagnosed(lsq(), "x", "reshape(A'@(A@x - y), n, 1)", "layout", hand_fix="A'@(A@x - y)")


# ----------------------------------------------------------------------------------------
# gradients


@pytest.mark.parametrize("claim, kind, factor, fix", [
    ("2*A'@(A@x - y)", "factor", "2", "A'@(A@x - y)"),
    ("0.5*A'@(A@x - y)", "factor", "1/2", "2*0.5*A'@(A@x - y)"),
    ("A'@(y - A@x)", "sign", "-1", "-A'@(y - A@x)"),
    ("A'@(A@x - y)/n", "factor", "1/n", "n*A'@(A@x - y)/n"),
    ("n*A'@(A@x - y)", "factor", "n", "A'@(A@x - y)"),
    ("m*A'@(A@x - y)", "factor", "m", "A'@(A@x - y)"),
    ("A'@(A@x - y)/(2*m)", "factor", "1/(2*m)", "2*m*A'@(A@x - y)/(2*m)"),
    ("-3*A'@(A@x - y)", "factor", "-3", "A'@(A@x - y)"),
])
def test_gradient_factors_and_signs(claim: str, kind: str, factor: str, fix: str) -> None:
    diagnosed(lsq(), "x", claim, kind, factor, fix)


def test_gradient_by_a_matrix_transposed() -> None:
    report = diagnosed(lsq(), "A", "x @ (A@x - y)'", "transposed",
                       hand_fix="(A@x - y) @ x'")
    assert report.claims[0].finding.axes == (2, 1)
    # transposed and a sign at once: both named, both undone by the correction
    both = diagnosed(lsq(), "A", "x @ (y - A@x)'", "transposed", "-1")
    assert "opposite sign" in both.claims[0].diagnosis


def test_a_claim_that_is_simply_wrong_differs() -> None:
    report = mc.check(lsq(), "x", "A'@A@x")
    [r] = report.claims
    assert r.kind == "differs" and r.diagnosis.startswith("differs")
    assert r.correction == ""
    assert r.max_abs_difference > 0.1 and r.max_rel_difference > 0.1
    assert "seed 0" in str(report)


def test_distinct_sizes_keep_a_transpose_from_agreeing_by_accident() -> None:
    f = mc.parse("tr(A @ X @ B) where A: matrix(p, m), X: matrix(m, n), B: matrix(n, p)")
    report = mc.check(f, "X", ["A' @ B'", "B @ A"])
    assert report.claims[0].ok
    assert report.claims[1].kind == "transposed"
    assert len(set(report.sizes.values())) == len(report.sizes)
    assert all(report.sizes[k] != report.second_sizes[k] for k in report.sizes)


# ----------------------------------------------------------------------------------------
# Jacobians, Hessians, tensors


TANH = "tanh(A@x + b) where A: matrix(m, n), x: vector(n), b: vector(m)"


def test_jacobian_in_the_other_layout_and_with_a_factor() -> None:
    f = mc.parse(TANH)
    assert mc.check(f, "x", "diag(1 - tanh(A@x + b)^2) @ A").ok
    report = diagnosed(f, "x", "A' @ diag(1 - tanh(A@x + b)^2)", "layout",
                       hand_fix="(A' @ diag(1 - tanh(A@x + b)^2))'")
    assert "variable's axes first" in report.claims[0].diagnosis
    diagnosed(f, "x", "2*diag(1 - tanh(A@x + b)^2) @ A", "factor", "2")
    assert mc.check(f, "x", "diag(1 - tanh(A@x + b)) @ A").claims[0].kind == "differs"


def test_hessians() -> None:
    assert mc.check(lsq(), "x", "A' @ A", order=2).ok
    diagnosed(lsq(), "x", "2 * A' @ A", "factor", "2", "A' @ A", order=2)
    q = mc.parse("x' @ A @ x where A: matrix(n, n), x: vector(n)")
    assert mc.check(q, "x", ["A + A'", "A' + A"], order=2).ok
    assert mc.check(q, "x", "2*A", order=2).claims[0].kind == "differs"
    with pytest.raises(mc.ShapeError, match="shape m×m.*shape n×n"):
        mc.check(lsq(), "x", "A @ A'", order=2)


def test_a_matrix_by_matrix_tensor_with_two_axes_swapped() -> None:
    f = mc.parse("A @ X where A: matrix(p, m), X: matrix(m, n)")
    true = str(mc.diff(f, "X"))
    assert mc.check(f, "X", true).ok
    report = diagnosed(f, "X", f'einsum("abcd->abdc", {true})', "transposed",
                       hand_fix=f'einsum("abdc->abcd", einsum("abcd->abdc", {true}))')
    r = report.claims[0]
    assert r.finding.axes == (1, 2, 4, 3)
    assert "axes 3 and 4 swapped" in r.diagnosis
    # the variable's axes before the function's: the other layout
    swapped = diagnosed(f, "X", f'einsum("abcd->cdab", {true})', "layout")
    assert swapped.claims[0].finding.axes == (3, 4, 1, 2)


def test_a_vector_by_matrix_tensor_in_the_other_layout() -> None:
    # three distinct sizes: no Kronecker delta makes two orders of axes agree
    f = mc.parse("B @ tanh(A @ x) where B: matrix(p, m), A: matrix(m, n), x: vector(n)")
    true = str(mc.diff(f, "A"))
    diagnosed(f, "A", f'einsum("abc->bca", {true})', "layout")
    diagnosed(f, "A", f'einsum("abc->acb", {true})', "transposed")


# ----------------------------------------------------------------------------------------
# symmetric and spd variables


def test_symmetric_variable_H_and_the_cookbook_form() -> None:
    f = mc.parse("tr(A @ S) where S: symmetric(n), A: matrix(n, n)")
    assert mc.check(f, "S", "(A + A')/2").ok
    report = diagnosed(f, "S", "A'", "symmetric", hand_fix="(A' + A)/2")
    sentence = report.claims[0].diagnosis
    assert "Srinivasan and Panda" in sentence and CITATION in sentence
    assert "(H + H')/2" in sentence
    cookbook = diagnosed(f, "S", "A + A' - diag(diag(A))", "symmetric",
                         hand_fix="(A + A')/2")
    assert "Cookbook" in cookbook.claims[0].diagnosis
    diagnosed(f, "S", "A", "symmetric")  # H' (= A here): still the unsymmetrised gradient


def test_spd_variable_cookbook_form_of_logdet() -> None:
    f = mc.parse("logdet(S) where S: spd(n)")
    assert mc.check(f, "S", ["inv(S)", "inv(S)'"]).ok
    diagnosed(f, "S", "2*inv(S) - diag(diag(inv(S)))", "symmetric", hand_fix="inv(S)")


def test_symmetric_matrix_in_a_quadratic_form() -> None:
    f = mc.parse("x' @ S @ x where S: symmetric(n), x: vector(n)")
    assert mc.check(f, "x", ["2*S@x", "(S + S')@x", "S@x + S'@x"]).ok
    diagnosed(f, "x", "S@x", "factor", "1/2", "2*S@x")
    assert mc.check(f, "S", "x @ x'").ok
    diagnosed(f, "S", "2*x@x' - diag(diag(x@x'))", "symmetric", hand_fix="x@x'")


# ----------------------------------------------------------------------------------------
# a derivation, line by line


def test_three_line_derivation_whose_second_line_is_wrong() -> None:
    lines = ["-(y - A@x)' @ A", "(y - A@x)' @ A", "(A'@(A@x - y))'"]
    report = mc.check(lsq(), "x", lines, layout="numerator")
    assert not report.ok
    assert [c.ok for c in report.claims] == [True, False, True]
    assert report.first_wrong is report.claims[1] and report.first_wrong.line == 2
    assert report.claims[1].kind == "sign"
    text = str(report)
    assert "the derivation goes wrong at line 2" in text
    assert report.to_dict()["first_wrong_line"] == 2


# ----------------------------------------------------------------------------------------
# bad input


def test_claims_with_parse_or_shape_errors() -> None:
    with pytest.raises(mc.ParseError, match="claim 2"):
        mc.check(lsq(), "x", ["A'@(A@x - y)", "A'@(A@x - y"])
    with pytest.raises(mc.ShapeError, match=r"shape m, but ∂f/∂x has shape n \(or, as a row, "
                       r"1×n\)"):
        mc.check(lsq(), "x", "A@x - y")
    with pytest.raises(mc.ShapeError, match="uses z, which is not a variable of f"):
        mc.check(lsq(), "x", "A'@z")
    with pytest.raises(mc.ShapeError):
        mc.check(lsq(), "x", "A@A")  # m×n @ m×n
    with pytest.raises(mc.MatcalcError, match="empty"):
        mc.check(lsq(), "x", "  ")
    with pytest.raises(mc.MatcalcError, match="no claims"):
        mc.check(lsq(), "x", [])
    with pytest.raises(mc.DiffError, match="does not depend on z"):
        mc.check(lsq(), "z", "x")
    with pytest.raises(mc.DiffError, match="layout"):
        mc.check(lsq(), "x", "x", layout="row")
    with pytest.raises(mc.MatcalcError, match="parse the text first"):
        mc.check("0.5*norm(x)^2", "x", "x")  # type: ignore[arg-type]


def test_parsed_claims_and_reproducible_points() -> None:
    f = lsq()
    claim = mc.parse("2*A'@(A@x - y)", shapes={"A": ("m", "n"), "x": ("n",), "y": ("m",)})
    a = mc.check(f, "x", claim, seed=5)
    b = mc.check(f, "x", [claim], seed=5)
    assert a.claims[0].kind == "factor" and a.seed == 5
    assert a.claims[0].max_abs_difference == b.claims[0].max_abs_difference
    assert "seed 5" in str(a)
    fixed = mc.check(f, "x", "A'@(A@x - y)", dims={"m": 6, "n": 2})
    assert fixed.sizes == {"m": 6, "n": 2} and fixed.ok


# ----------------------------------------------------------------------------------------
# presentation: the command line, JSON, Jupyter


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_right_claims_exit_0_with_the_where_line(capsys: Any) -> None:
    code, out, err = run(capsys, "check", LSQ, "--wrt", "x", "--claim", "-A' @ (y - A@x)",
                         "--claim", "A'@A@x - A'@y")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[1] == "where A: m×n, x: n, y: m"
    assert "✓ right" in out and "2 of 2 right" in out and "seed 0" in out


def test_cli_wrong_claim_exits_1_with_the_diagnosis(capsys: Any, tmp_path: Path) -> None:
    claims = tmp_path / "derivation.txt"
    claims.write_text("# my derivation\n-(y - A@x)' @ A   # dL/de de/dx\n\n"
                      "(y - A@x)' @ A\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", LSQ, "--wrt", "x", "--claims", str(claims),
                       "--layout", "numerator")
    assert code == 1
    assert "✗ sign" in out and "the derivation goes wrong at line 2" in out


def test_cli_bad_input_exits_2(capsys: Any) -> None:
    code, _, err = run(capsys, "check", LSQ, "--wrt", "x", "--claim", "A'@(x")
    assert code == 2 and "error" in err and "Traceback" not in err
    code, _, err = run(capsys, "check", LSQ, "--wrt", "x")
    assert code == 2 and "no claims" in err
    code, _, err = run(capsys, "check", LSQ, "--wrt", "x", "--claims", "/nonexistent/file")
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "check", LSQ, "--wrt", "x", "--claim", "A@x")
    assert code == 2 and "shape m" in err and "shape n" in err


def test_cli_json_carries_everything(capsys: Any) -> None:
    code, out, _ = run(capsys, "check", LSQ, "--wrt", "A", "--claim", "x @ (A@x - y)'",
                       "--seed", "3", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["first_wrong_line"] == 1 and data["seed"] == 3
    assert data["where"] == "where A: m×n, x: n, y: m"
    assert data["variables"]["A"] == {"shape": ["m", "n"], "structure": None}
    [claim] = data["claims"]
    assert claim["kind"] == "transposed" and claim["axes"] == [2, 1]
    assert claim["max_abs_difference"] > 0 and claim["correction"]
    assert data["reference"]["ok"] is True
    assert set(data["sizes"]) == {"m", "n"}


def test_where_line_names_symmetry() -> None:
    f = mc.parse("x' @ S @ x + s where S: symmetric(n), x: vector(n), s: scalar")
    assert where_line(f) == "where S: n×n symmetric, s: scalar, x: n"


def test_jupyter_html_and_latex(katex_prefix: Path) -> None:
    report = mc.check(lsq(), "x", ["-A' @ (y - A@x)", "A'@(A@x - y)/n", "A'@(y - A@x)"])
    page = report._repr_html_()
    assert "✓" in page and "✗" in page and "factor" in page and "sign" in page
    latex = report.latex()
    assert r"\checkmark" in latex and r"\times" in latex and "factor 1/n" in latex
    assert report._repr_latex_() == f"$$ {latex} $$"
    sym = mc.check(mc.parse("tr(A @ S) where S: symmetric(n), A: matrix(n, n)"), "S",
                   ["A'", "(A + A')/2"])
    tensor = mc.parse("A @ X where A: matrix(p, m), X: matrix(m, n)")
    tens = mc.check(tensor, "X", f'einsum("abcd->abdc", {mc.diff(tensor, "X")})')
    strings = [latex, sym.latex(), tens.latex()] + [
        c.claim.latex() for r in (report, sym, tens) for c in r.claims]
    assert katex_failures(katex_prefix, strings) == []


def test_check_agrees_with_verify_on_the_same_claim() -> None:
    # verify's finite differences and check's comparison reach the same verdicts
    f = lsq()
    for claim, ok in (("A'@(A@x - y)", True), ("A'@A@x", False)):
        g = mc.parse(claim, shapes={"A": ("m", "n"), "x": ("n",), "y": ("m",)})
        assert mc.verify(f, "x", derivative=g).ok is ok
        assert mc.check(f, "x", g).ok is ok
    assert np.isfinite(mc.check(f, "x", "A'@A@x").claims[0].max_rel_difference)


def test_readme_section_shows_real_output(capsys: Any) -> None:
    """The README's "Check your own derivation" pastes real output: it must stay the output."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Check your own derivation", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```console\n(.*?)\n```", section, re.S)
    assert len(blocks) == 3
    kinds = []
    for block in blocks:
        command, *shown = block.splitlines()
        argv = shlex.split(command.removeprefix("$ "))
        assert argv[0] == "matcalc"
        code, out, _ = run(capsys, *argv[1:])
        assert out.splitlines() == shown
        kinds.append(code)
    assert kinds == [0, 1, 1]
    assert "--layout numerator" in blocks[0] and "✗ transposed" in blocks[1]
    assert "✗ symmetric" in blocks[2] and "Srinivasan and Panda" in blocks[2]


def test_a_declared_variable_f_does_not_use_has_a_zero_derivative() -> None:
    # as in diff: by a declared variable that does not occur, the derivative is zero
    f = mc.parse("sum(y) where x: vector(n), y: vector(n)")
    report = mc.check(f, "x", ["zeros(n)", "0*x", "ones(n)"])
    assert [c.ok for c in report.claims] == [True, True, False]
    assert report.first_wrong is not None and report.first_wrong.line == 3
