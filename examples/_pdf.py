"""The examples document as a PDF: ``python examples/render.py --pdf``.

The same examples as the HTML page (each script's ``build()``), written as one
LaTeX document in the preamble the tests compile every formula with (amsmath,
amssymb, the default font encoding) and run through ``pdflatex``.  Formulas are
the strings matcalc prints; long ones arrive already broken into lines
(:func:`matcalc.printing.latex_breaks.equation_latex`), so the log has no
``Overfull \\hbox``.  Plain text (titles, notes, the expressions in matcalc's
language) is escaped here, the few non-ASCII symbols of the examples set as
mathematics.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

from _common import Check, Derivative, Example, mc, variables_text

from matcalc.printing.latex_breaks import PAGE_WIDTH, equation_latex, latex_width

PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\usepackage{amssymb}
\allowdisplaybreaks  % a long derivation may go on over the page
\title{matcalc examples}
\date{}
\begin{document}
\maketitle
"""

# characters with a meaning in LaTeX text, and the symbols the examples write in Unicode
_TEXT = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
         "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}",
         "~": r"\textasciitilde{}", "|": r"\textbar{}", "<": r"\textless{}",
         ">": r"\textgreater{}", "×": r"$\times$", "∂": r"$\partial$", "·": r"$\cdot$",
         "±": r"$\pm$", "≈": r"$\approx$",
         "✓": r"$\checkmark$", "✗": r"$\times$"}
_CODE_WIDTH = 72  # characters of \small\ttfamily that fit the default text width


def text(s: str) -> str:
    """``s`` as LaTeX text (pdflatex, default font encoding)."""
    return "".join(_TEXT.get(ch, ch) for ch in s)


def code(lines: Sequence[str]) -> str:
    """Lines of program text in typewriter type, wrapped to the text width."""
    out = []
    for line in lines:
        wrapped = textwrap.wrap(line, _CODE_WIDTH, subsequent_indent="    ",
                                break_long_words=True, break_on_hyphens=False) or [""]
        out += [text(w).replace(" ", "~") for w in wrapped]
    return "{\\small\\ttfamily\\noindent " + "\\\\\n".join(out) + "\\par}\n"


def display(latex: str) -> str:
    """One formula set as display mathematics (an environment stands on its own).

    A formula an example writes itself (``a^{\\star} = ...``) is broken here after
    its first ``=`` when too wide; matcalc's own derivatives arrive broken.
    """
    if latex.startswith(r"\begin{align*}"):
        return latex + "\n"
    lhs, eq, rhs = latex.partition(" = ")
    if eq and "begin" not in latex and latex_width(latex) > PAGE_WIDTH:
        latex = equation_latex(lhs, rhs)
    return f"\\[\n{latex}\n\\]\n"


def derivative_tex(d: Derivative) -> str:
    r = d.report
    sizes = ", ".join(f"{k}={v}" for k, v in r.sizes.items()) or "none"
    checked = "the whole Jacobian" if r.full_jacobian else f"{r.directions} random directions"
    parts = [f"\\subsection*{{{text(d.label)}}}\n", display(d.function_latex),
             f"Variables: {text(variables_text(d.f))}.\n", display(d.latex),
             code([f"{d.fname} = {d.f}", f"{d.name} = {d.result}", f"shape: {d.shape_text}"])]
    if d.note:
        parts.append(f"\n{text(d.note)}\n")
    if d.derivation is not None:
        parts += ["\n\\paragraph{Derivation, rule by rule.}\n", display(d.derivation.latex())]
    status = "pass" if r.ok else "FAIL"
    parts.append(f"\n\\noindent\\textbf{{verify: {status}}}, max abs error "
                 f"{r.max_abs_error:.2e}, max rel error {r.max_rel_error:.2e} "
                 f"(sizes {text(sizes)}, seed {r.seed}, {checked}, "
                 f"{r.evaluations} evaluations). {text(r.message)}\n")
    return "".join(parts)


def check_tex(c: Check) -> str:
    status = "" if c.ok is None else (" (pass)" if c.ok else " (FAIL)")
    parts = [f"\\subsection*{{{text(c.title)}{status}}}\n"]
    parts += [display(tex) for tex in c.latex]
    if c.lines:
        parts.append(code(c.lines))
    return "".join(parts)


def document(examples: Sequence[Example]) -> str:
    parts = [PREAMBLE, "The derivations of the course notes, each computed "
             "by matcalc and checked against finite differences with \\texttt{mc.verify}; "
             f"matcalc {text(mc.__version__)}.\n"]
    for ex in examples:
        parts += [f"\n\\section{{{text(ex.title)}}}\n", f"{text(ex.intro)}\n\n",
                  f"Script: \\texttt{{python examples/{text(ex.slug)}.py}}\n"]
        for item in ex.items:
            parts.append(derivative_tex(item) if isinstance(item, Derivative)
                         else check_tex(item))
    parts.append("\\end{document}\n")
    return "".join(parts)


def write_pdf(examples: Sequence[Example], output: Path) -> tuple[int, str]:
    """Compile the document to ``output``; the exit status of pdflatex and its log.

    The ``.tex`` source and the log are written beside the PDF (``examples.tex``,
    ``examples.log``) for a person to read.
    """
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise SystemExit("pdflatex is not installed (Debian: apt-get install "
                         "texlive-latex-base texlive-latex-recommended)")
    source = document(examples)
    output.with_suffix(".tex").write_text(source, encoding="utf-8")
    with tempfile.TemporaryDirectory() as work:
        tex = Path(work) / "examples.tex"
        tex.write_text(source, encoding="utf-8")
        proc = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                               tex.name], cwd=work, capture_output=True, text=True,
                              timeout=300, check=False)
        log = (Path(work) / "examples.log").read_text(encoding="utf-8", errors="replace")
        output.with_suffix(".log").write_text(log, encoding="utf-8")
        pdf = Path(work) / "examples.pdf"
        if proc.returncode == 0 and pdf.is_file():
            shutil.copyfile(pdf, output)
    return proc.returncode, log
