"""What the command line says it assumed: the where line, note: lines, several --wrt, help."""

from __future__ import annotations

import json
from typing import Any

import pytest

from matcalc.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_prints_the_where_line_with_every_shape(capsys: Any) -> None:
    code, out, err = run(capsys, "diff", "0.5*norm(y - A@x)^2", "--wrt", "x")
    assert code == 0 and err == ""
    assert out.splitlines() == ["A.T @ (A @ x - y)", "  shape: n", "  where y: m, A: m×n, x: n"]


def test_where_line_shows_symmetry_and_scalars(capsys: Any) -> None:
    code, out, _ = run(capsys, "diff", "lam * x' @ S @ x where S: spd(n)", "--wrt", "x")
    assert code == 0
    assert out.splitlines()[-1] == "  where lam: scalar, x: n, S: n×n spd"


def test_latex_keeps_stdout_pasteable_and_says_what_it_assumed_on_stderr(capsys: Any) -> None:
    code, out, err = run(capsys, "latex", "x' @ A @ x", "--wrt", "x")
    assert code == 0
    assert "where" not in out
    assert err.splitlines() == ["where x: n, A: n×n"]


def test_diff_with_several_wrt_prints_every_derivative(capsys: Any) -> None:
    code, out, _ = run(capsys, "diff", "0.5*norm(y - A@x)^2", "--wrt", "x", "--wrt", "A")
    assert code == 0
    assert out.splitlines() == ["by x:", "A.T @ (A @ x - y)", "  shape: n",
                                "by A:", "outer(A @ x - y, x)", "  shape: m×n",
                                "  where y: m, A: m×n, x: n"]


def test_json_carries_the_shapes(capsys: Any) -> None:
    code, out, _ = run(capsys, "diff", "x' @ S @ x where S: symmetric(n)", "--wrt", "x",
                       "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["variables"] == {"x": {"shape": ["n"], "structure": None},
                                    "S": {"shape": ["n", "n"], "structure": "symmetric"}}
    assert payload["where"] == "where x: n, S: n×n symmetric"
    assert payload["wrt"] == "x" and payload["verification"]["ok"]
    code, out, _ = run(capsys, "diff", "x' @ S @ x", "--wrt", "x", "--wrt", "S", "--json")
    payload = json.loads(out)
    assert [d["wrt"] for d in payload["derivatives"]] == ["x", "S"]
    assert all(d["verification"]["ok"] for d in payload["derivatives"])
    assert payload["variables"]["S"]["shape"] == ["n", "n"]


def test_warnings_are_note_lines_on_stderr(capsys: Any) -> None:
    code, out, err = run(capsys, "diff", "tr(X^2)", "--wrt", "X")
    assert code == 0 and out
    assert err.splitlines() == [
        "note: X^2 in tr(...) is the elementwise power: did you mean the matrix power X @ X?"]
    code, _, err = run(capsys, "diff", "sum(X)", "--wrt", "x")
    assert code == 0
    assert err.splitlines() == ["note: x does not occur in the expression, so its derivative "
                                "is zero; did you mean X?"]


def test_a_declaration_conflict_names_the_option(capsys: Any) -> None:
    code, _, err = run(capsys, "parse", "A@x where A: matrix(m, n)", "--shape", "A=n,n")
    assert code == 2
    assert err.splitlines()[-1] == ("A is declared n×n with --shape and m×n in the where "
                                    "clause")
    assert "shapes=" not in err


def test_help_points_to_the_language_reference(capsys: Any) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "matcalc help language" in out and "docs/language.md" in out
    code, out, _ = run(capsys, "help", "language")
    assert code == 0
    for words in ("A @ B", "where A: matrix(m, n)", "symmetric(n), spd(n)", "logsumexp",
                  "np."):
        assert words in out
    for argv in (["--help"], ["diff", "--help"], ["verify", "--help"], ["latex", "--help"],
                 ["codegen", "--help"], ["parse", "--help"], ["help", "language"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "matcalc" in out and "SPEC" not in out
