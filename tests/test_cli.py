"""The command line (SPEC section 6): ``matcalc parse`` and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matcalc.cli.app import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_prints_the_expression_and_every_shape(capsys: Any) -> None:
    code, out, err = run(capsys, "parse", "0.5*norm(y - A@x)^2", "--shape", "A=m,n",
                         "--shape", "x=n")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "0.5 * norm(y - A @ x)^2"
    assert "  A: m×n" in lines
    assert "  x: n" in lines
    assert "  y: m" in lines
    assert lines[-1] == "  result: scalar"


def test_parse_infers_shapes_without_declarations(capsys: Any) -> None:
    code, out, _ = run(capsys, "parse", "tanh(A@x + b)")
    assert code == 0
    assert out.splitlines()[1:] == ["  A: m×n", "  x: n", "  b: m", "  result: m"]


def test_shape_option_takes_scalars_integers_and_kinds(capsys: Any) -> None:
    code, out, _ = run(capsys, "parse", "s * S @ x + K @ x", "--shape", "s=",
                       "--shape", "S=spd(n)", "--shape", "K=n,n", "--shape", "x=n")
    assert code == 0
    assert "  s: scalar" in out.splitlines()
    assert "  S: n×n (spd)" in out.splitlines()
    code, out, _ = run(capsys, "parse", "A @ x", "--shape", "A=2,3")
    assert code == 0
    assert "  A: 2×3" in out.splitlines() and "  result: 2" in out.splitlines()


def test_where_clause_on_the_command_line(capsys: Any) -> None:
    code, out, _ = run(capsys, "parse", "logdet(S) - x' @ inv(S) @ x where S: spd(n)")
    assert code == 0
    assert out.splitlines()[0] == "logdet(S) - x.T @ inv(S) @ x"
    assert "  S: n×n (spd)" in out.splitlines()


def test_printed_expression_parses_back(capsys: Any) -> None:
    import matcalc as mc

    text = "x' @ (A + A') @ x / (1 + exp(-sum(x)))"
    code, out, _ = run(capsys, "parse", text)
    assert code == 0
    assert mc.parse(out.splitlines()[0]) is mc.parse(text)


def test_json_output(capsys: Any) -> None:
    code, out, _ = run(capsys, "parse", "A @ x", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["expression"] == "A @ x"
    assert data["shape"] == ["m"]
    assert data["variables"] == {"A": ["m", "n"], "x": ["n"]}


@pytest.mark.parametrize("argv, words", [
    (["parse", "A @ x where A: matrix(m, n), x: vector(k)"], "inner dimensions n and k differ"),
    (["parse", "0.5*norm(y - A@x^2"], "expected ')' to close 'norm('"),
    (["parse", "foo(x)"], "unknown function 'foo'"),
    (["parse", "det(A)", "--shape", "A=m,n"], "square"),
    (["parse", "x where x: vector(m)", "--shape", "x=n"], "where clause"),
    (["parse", "x", "--shape", "nonsense"], "--shape"),
    (["parse", "x", "--shape", "x=cube(n)"], "unknown kind"),
    (["parse", "(" * 10_000 + "x" + ")" * 10_000], "limit"),
    (["parse", "__import__('os').system('echo hi')"], "quote"),
    (["parse", ""], "empty"),
])
def test_bad_input_exits_2_with_the_message_on_stderr(capsys: Any, argv: list[str],
                                                      words: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error:")
    assert words in err
    assert "Traceback" not in err


def test_caret_on_stderr_points_at_the_operator(capsys: Any) -> None:
    text = "A @ x where A: matrix(m, n), x: vector(k)"
    _, _, err = run(capsys, "parse", text)
    lines = err.splitlines()
    assert lines[0] == "error:"
    assert lines[1] == text
    assert lines[2].index("^") == text.index("@")
    assert lines[3] == "cannot multiply A (m×n) by x (k): inner dimensions n and k differ"


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["parse"], ["parse", "x", "--bogus"]])
def test_bad_arguments_exit_2(capsys: Any, argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage" in err
    assert "Traceback" not in err


def test_help_exits_0(capsys: Any) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("parse", "diff", "verify", "latex", "codegen"):
        assert command in out
    code, out, _ = run(capsys, "parse", "--help")
    assert code == 0 and "--shape" in out


def test_python_dash_m_matcalc() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    ok = subprocess.run([sys.executable, "-m", "matcalc", "parse", "A @ x", "--shape", "A=m,n"],
                        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == ["A @ x", "  A: m×n", "  x: n", "  result: m"]
    bad = subprocess.run([sys.executable, "-m", "matcalc", "parse", "A @ x where x: vector(k)",
                          "--shape", "A=m,n"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert bad.returncode == 2
    assert "inner dimensions n and k differ" in bad.stderr
    assert "Traceback" not in bad.stderr and bad.stdout == ""
