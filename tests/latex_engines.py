"""MathJax 3 and pdflatex for the LaTeX tests, each run once over a batch of formulas.

KaTeX is in :mod:`katex`.  ``mathjax_failures`` converts every string in one
node process (tests/mathjax_check.js); ``pdflatex_failures`` compiles every
string in one document with the minimal preamble (amsmath, amssymb, the default
font encoding) and attributes each error in the log to its formula.
``text_failures`` finds ASCII inside ``\\text{}`` that the default font encoding
prints as other glyphs (``|`` as a dash).  Without node or pdflatex the tests
fail; they never skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

PREAMBLE = ("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
            "\\tracinglostchars=2\n\\begin{document}\n")
_MARK = "MATCALC-FORMULA"


def mathjax_failures(prefix: Path, strings: list[str]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the LaTeX tests need it to run MathJax",
                    pytrace=False)
    proc = subprocess.run([node, str(HERE / "mathjax_check.js"), str(prefix)],
                          input=json.dumps(strings), capture_output=True, text=True,
                          timeout=300, check=False)
    if proc.returncode not in (0, 1):
        pytest.fail(f"mathjax_check.js failed (exit {proc.returncode}): {proc.stderr}",
                    pytrace=False)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def display(latex: str) -> str:
    """A formula as it stands in a document: ``\\[ \\]``, or its own ``align*``."""
    if latex.startswith("\\begin{align*}"):
        return latex
    return f"\\[\n{latex}\n\\]"


def pdflatex_failures(strings: list[str]) -> list[dict[str, object]]:
    """The formulas pdflatex rejects (an error, or a character missing from its font)."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.fail("pdflatex is not installed: the LaTeX tests need it (Debian: apt-get "
                    "install texlive-latex-base texlive-latex-recommended)", pytrace=False)
    body = "".join(f"\\typeout{{{_MARK} {i}}}\n{display(s)}\n\\par\n"
                   for i, s in enumerate(strings))
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "formulas.tex").write_text(
            PREAMBLE + body + f"\\typeout{{{_MARK} end}}\n\\end{{document}}\n",
            encoding="utf-8")
        proc = subprocess.run([pdflatex, "-interaction=nonstopmode", "formulas.tex"],
                              cwd=work, capture_output=True, text=True, timeout=600,
                              check=False)
        log_path = Path(work) / "formulas.log"
        if not log_path.is_file():
            pytest.fail(f"pdflatex wrote no log: {proc.stdout[-2000:]}", pytrace=False)
        log = log_path.read_text(encoding="utf-8", errors="replace")
    failures: list[dict[str, object]] = []
    seen_end = False
    for chunk in re.split(rf"^{_MARK} ", log, flags=re.M)[1:]:
        label, _, text = chunk.partition("\n")
        if label.strip() == "end":
            seen_end = True
            continue
        problems = [line for line in text.splitlines()
                    if line.startswith("! ") or line.startswith("Missing character")]
        if problems:
            index = int(label)
            failures.append({"index": index, "latex": strings[index],
                             "error": " / ".join(problems[:3])})
    if not seen_end:
        failures.append({"index": -1, "latex": "", "error": "pdflatex stopped early:\n"
                         + log[-3000:]})
    return failures


def _text_arguments(latex: str) -> list[str]:
    r"""The contents of every ``\text{...}`` (braces matched)."""
    out = []
    for m in re.finditer(r"\\text\{", latex):
        depth, i = 1, m.end()
        while i < len(latex) and depth:
            if latex[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(latex[i], 0)
            i += 1
        out.append(latex[m.end():i - 1])
    return out


def text_failures(strings: list[str]) -> list[dict[str, object]]:
    r"""Formulas with ``|``, ``^``, ``<``, ``>``, ``~`` or ``\^{}`` inside ``\text{}``."""
    failures: list[dict[str, object]] = []
    for index, s in enumerate(strings):
        bad = [t for t in _text_arguments(s) if re.search(r"[|^<>~]|\\\^", t)]
        if bad:
            failures.append({"index": index, "latex": s, "error": f"ASCII in text: {bad}"})
    return failures
