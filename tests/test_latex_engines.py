"""Every LaTeX string matcalc emits passes KaTeX, MathJax 3 and pdflatex (issue 16).

One corpus, built once: the printer's own test strings (tests/test_latex.py),
every operator's expression, derivative, derivation and Hessian (the rows of
tests/test_operators.py), long results that break into lines, and every
formula of the examples document.  Each engine sees the whole corpus in one
run (one node process, one pdflatex document).  The examples document is also
built as a PDF, whose log must have no overfull lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc as mc
from matcalc.calculus.rules import RULE_NAMES
from matcalc.calculus.step_notes import RULE_FORMULAS, split_rule
from matcalc.calculus.steps import rule_name
from matcalc.printing.latex import derivative_latex, display_latex, form_latex
from matcalc.printing.latex_breaks import PAGE_WIDTH, break_lines, latex_width

from katex import katex_failures
from latex_engines import mathjax_failures, pdflatex_failures, text_failures
from test_latex import ALL_BUILDERS
from test_operators import ROWS, _parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

NETWORK = ("0.5 * norm(W3 @ tanh(W2 @ tanh(W1 @ x)) - y)^2 where W1: matrix(h1, d), "
           "W2: matrix(h2, h1), W3: matrix(k, h2)")


def _operator_strings() -> list[str]:
    out = []
    for _, text_, wrt in ROWS:
        f = _parse(text_)
        g = mc.diff(f, wrt)
        d = mc.diff(f, wrt, steps=True)
        out += [f.latex(), f.latex(bold=True), g.latex(), display_latex(g),
                derivative_latex(f, wrt, g, f_ndim=f.ndim), d.latex(), d.latex(bold=True)]
        if not f.shape:
            out.append(display_latex(mc.hessian(f, wrt)))
        for form in ("differential", "vec"):  # the other presentations (issue 14)
            out.append(form_latex(f, wrt, mc.diff(f, wrt, form=form), form))
    return out


def _long_strings() -> list[str]:
    f = mc.parse(NETWORK)
    out = []
    for wrt in ("W1", "W2", "x"):
        g = mc.diff(f, wrt)
        out += [display_latex(g), mc.diff(f, wrt, steps=True).latex()]
    sums = mc.parse(" + ".join(f"{k} * x' @ A{k} @ x" for k in range(1, 14)))
    out += [display_latex(mc.diff(sums, "x")), mc.diff(sums, "x", steps=True).latex()]
    return out


def _example_strings() -> list[str]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import render
    finally:
        sys.path.remove(str(EXAMPLES))
    out = []
    for ex in render.load():
        for item in ex.items:
            if isinstance(item, render.Derivative):
                out += [item.function_latex, item.latex]
                if item.derivation is not None:
                    out.append(item.derivation.latex())
            else:
                out += item.latex
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    strings = [build() for build in ALL_BUILDERS]
    strings += _operator_strings() + _long_strings() + _example_strings()
    return list(dict.fromkeys(strings))  # each distinct string once


def _report(engine: str, failures: list[dict[str, object]]) -> str:
    return f"{engine} rejects:\n" + "\n".join(
        f"  {f['latex']}\n    {f['error']}" for f in failures[:20])


def test_the_corpus_covers_what_matcalc_emits(corpus: list[str]) -> None:
    assert len(corpus) > 400
    assert any(s.startswith("\\begin{align*}") for s in corpus)  # derivations
    assert any("\\begin{aligned}" in s for s in corpus)  # long results, broken
    assert any("\\delta_{" in s for s in corpus)  # tensors in index notation
    assert any("\\mathrm{d} \\lVert x\\rVert" in s for s in corpus)  # rule notes


def test_katex_accepts_the_corpus(corpus: list[str], katex_prefix: Path) -> None:
    failures = katex_failures(katex_prefix, corpus)
    assert not failures, _report("KaTeX", failures)


def test_mathjax_accepts_the_corpus(corpus: list[str], mathjax_prefix: Path) -> None:
    failures = mathjax_failures(mathjax_prefix, corpus)
    assert not failures, _report("MathJax 3", failures)


def test_pdflatex_compiles_the_corpus(corpus: list[str]) -> None:
    failures = pdflatex_failures(corpus)
    assert not failures, _report("pdflatex", failures)


def test_no_ascii_that_fonts_misprint_inside_text(corpus: list[str]) -> None:
    failures = text_failures(corpus)
    assert not failures, _report("the text check", failures)


def test_every_engine_rejects_bad_latex(katex_prefix: Path, mathjax_prefix: Path) -> None:
    # the unclosed brace last: TeX reads on to the end of the document looking for it
    bad = ["x^{2}", r"x^{\top}^{2}", r"\undefinedmacro x", r"\text{d||x||}", r"\frac{a}{b"]
    assert [f["index"] for f in katex_failures(katex_prefix, bad)] == [1, 2, 4]
    assert [f["index"] for f in mathjax_failures(mathjax_prefix, bad)] == [1, 2, 4]
    tex = {f["index"] for f in pdflatex_failures(bad)}
    assert {1, 2} <= tex and not tex & {0, 3} and tex & {4, -1}
    assert [f["index"] for f in text_failures(bad)] == [3]


def test_every_rule_with_a_formula_has_it_in_latex() -> None:
    x = mc.parse("x")
    names = list(RULE_NAMES.values())
    names += [rule_name(mc.parse("x^c", shapes={"x": (), "c": ()}), i) for i in (0, 1)]
    names.append(rule_name(mc.parse("1/x", shapes={"x": ()}), 0))
    for rule in names:
        name, formula, _ = split_rule(rule)
        assert not formula or name in RULE_FORMULAS, f"no LaTeX for the rule {rule!r}"
    assert x.latex() == "x"


def test_notes_are_mathematics() -> None:
    d = mc.diff(mc.parse("norm(x) + logdet(X)", shapes={"x": ("n",), "X": ("n", "n")}),
                "x", steps=True)
    tex = d.latex()
    assert r"\mathrm{d} \lVert x\rVert = \frac{x^{\top} \mathrm{d} x}{\lVert x\rVert}" in tex
    assert r"\text{ (Matrix Cookbook eq. 129)}" in tex
    assert "||" not in tex and r"\^{}" not in tex


def test_long_results_break_into_lines_that_fit() -> None:
    g = mc.diff(mc.parse(NETWORK), "W1")
    tex = display_latex(g)
    assert tex.startswith("\\begin{aligned}\n\\frac{\\partial f}{\\partial W_{1}} &= ")
    assert "\\begin{aligned}" in tex and tex.count("\\\\") >= 1
    body = tex.split("\\begin{aligned}\n", 1)[1].split("\n\\end{aligned}", 1)[0]
    assert all(latex_width(line) <= PAGE_WIDTH + 20 for line in body.split(" \\\\\n"))
    assert g.latex().count("\\\\") == 0  # latex() stays the bare, unbroken form


@pytest.mark.parametrize("wrt", ["W1", "W2", "x"])
def test_breaking_changes_only_the_layout(wrt: str) -> None:
    """The lines, joined again, are the one-line formula (the groups' delimiters aside)."""
    g = mc.diff(mc.parse(NETWORK), wrt)
    lines = break_lines(g.latex(), 120.0, 160.0)
    assert len(lines) > 1
    joined = " ".join(lines).replace(r"\bigl(", r"\left(").replace(r"\bigr)", r"\right)")
    assert joined.replace(" ", "") == g.latex().replace(" ", "")


def test_examples_pdf_has_no_overfull_lines(tmp_path: Path) -> None:
    out = tmp_path / "examples.pdf"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(EXAMPLES / "render.py"), "--pdf", "-o",
                           str(out)], capture_output=True, text=True, timeout=600,
                          env=env, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.is_file() and out.read_bytes().startswith(b"%PDF")
    log = out.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Output written on examples.pdf" in log
    overfull = [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
    assert not overfull, "\n".join(overfull)
    assert "Missing character" not in log
