"""The examples page works offline: every formula is MathML that Chromium renders.

examples/render.py writes the page; the converter (matcalc.printing.mathml,
latex2mathml underneath) must handle every formula on it, and headless
Chromium, with every request off the file:// origin refused, must lay out one
math element per formula with its fractions stacked and no LaTeX left showing.
The screenshots are left in tests/.screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from matcalc.printing.mathml import MathMLError, to_mathml

from browser import SCREENSHOTS, Browser

ROOT = Path(__file__).resolve().parent.parent
MATHML = "{http://www.w3.org/1998/Math/MathML}"
TEX_LEFT = ("\\frac", "\\begin", "\\left", "\\operatorname", "\\mathbb", "\\text", "\\\\")


class _Formulas(HTMLParser):
    """The data-latex attribute of every element of class "math"."""

    def __init__(self) -> None:
        super().__init__()
        self.latex: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("class") == "math":
            self.latex.append((tag, a.get("data-latex") or ""))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pages") / "examples.html"
    run = subprocess.run([sys.executable, "examples/render.py", "-o", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return path


@pytest.fixture(scope="module")
def formulas(page: Path) -> list[tuple[str, str]]:
    parser = _Formulas()
    parser.feed(page.read_text(encoding="utf-8"))
    assert len(parser.latex) > 50
    return parser.latex


def check_mathml(latex: str, display: bool = True) -> ET.Element:
    """``to_mathml(latex)``, checked: well-formed, no LaTeX left in it, align* as a table."""
    out = to_mathml(latex, display=display)
    root = ET.fromstring(out.replace("&nbsp;", "\u00a0"))
    assert root.tag == MATHML + "math"
    assert root.get("display") == ("block" if display else "inline")
    for el in root.iter():
        text = el.text or ""
        assert "\\" not in text, f"LaTeX left in <{el.tag}>{text}</...> of {latex!r}"
        assert not (el.tag == MATHML + "mi" and text == "&"), f"an unread & in {latex!r}"
    if latex.startswith(r"\begin{align*}"):
        rows = latex.strip().splitlines()[1:-1]
        tables = list(root.iter(MATHML + "mtable"))
        assert len(tables) == 1 and len(list(tables[0])) == len(rows), latex
    return root


def test_every_formula_of_the_page_converts(formulas: list[tuple[str, str]]) -> None:
    for tag, latex in formulas:
        check_mathml(latex, display=tag == "div")


@pytest.mark.parametrize(("latex", "expected"), [
    (r"A \odot B", "\u2299"),
    (r"A \otimes B", "\u2297"),
    (r"\left\lVert x \right\rVert_{2}", "\u2016"),
    (r"\lVert x\rVert", "\u2016"),
    (r"\operatorname{tr}\left(X\right)", "<mi>tr</mi>"),
    (r"x \in \mathbb{R}^{m \times n}", "\u211d"),
    (r"A^{\top}", "\u22a4"),
    (r"\delta_{ij} x_{k}", "\u03b4"),
    (r"\text{power rule: d u\^{}p = p u\^{}(p-1) du}", "d u^p = p u^(p-1) du"),
    (r"\text{a\_b \& c \{d\}}", "a_b & c {d}"),
])
def test_the_notation_matcalc_emits_converts(latex: str, expected: str) -> None:
    root = check_mathml(latex)
    if expected.startswith("<"):
        assert expected in to_mathml(latex)
    else:
        assert expected in "".join(root.itertext()).replace("\u00a0", " ")


def test_every_operator_row_converts() -> None:
    """The LaTeX of every operator's derivative (tests/test_operators.py's rows), not only
    the page's: determinants, Kronecker products, index notation, Hadamard powers."""
    import matcalc as mc

    from test_operators import ROWS, SHAPES

    assert len(ROWS) > 30
    for row in ROWS:
        f = mc.parse(row[1], shapes={k: v for k, v in SHAPES.items()
                                     if re.search(rf"\b{k}\b", row[1])})
        check_mathml(f.latex())
        check_mathml(mc.diff(f, row[2]).latex())


def test_a_converter_failure_is_an_error_not_garbage() -> None:
    with pytest.raises(MathMLError, match="cannot convert"):
        to_mathml(r"\frac{")


def test_the_page_renders_offline_in_chromium(page: Path, browser: Browser,
                                              formulas: list[tuple[str, str]]) -> None:
    shot = SCREENSHOTS / "examples.png"
    seen = browser.run("page", str(page), str(shot))
    assert seen["blocked"] == [], f"the page asked the network for {seen['blocked']}"
    assert seen["consoleErrors"] == []
    assert seen["mathml"], "this Chromium has no MathML"
    assert len(seen["formulas"]) == len(formulas)
    assert seen["mathElements"] == len(formulas)  # nothing else is a <math>
    fractions = 0
    for f in seen["formulas"]:
        where = f["latex"][:120]
        assert f["count"] == 1, f"{f['count']} math elements for {where}"
        assert f["display"] in ("block math", "inline math"), f"{f['display']}: {where}"
        assert f["width"] > 10 and f["height"] > 10, f"not laid out: {where}"
        assert f["stacked"] == f["fractions"], f"a fraction not stacked in {where}"
        fractions += f["fractions"]
    assert fractions > 100
    for tex in TEX_LEFT:
        assert tex not in seen["bodyText"], f"raw {tex} shows on the page"
    assert "∂" in seen["bodyText"] and "ℝ" in seen["bodyText"]
    assert shot.stat().st_size > 20_000
