"""The notes of a derivation in LaTeX: each rule's name as text, its formula as mathematics.

The rules name themselves in text (:data:`matcalc.calculus.rules.RULE_NAMES`,
``"norm rule: d||x|| = x' dx / ||x|| (Matrix Cookbook eq. 129)"``), which is
what ``str(derivation)`` prints.  In LaTeX the formula after the colon is
written again here as mathematics (``\\mathrm{d}\\lVert x\\rVert = ...``), keyed by
the rule's name, and the source in parentheses is kept as text: ASCII ``||``,
``|`` and ``^`` inside ``\\text{}`` print as dashes with TeX's default font
encoding and literally in MathJax.  A rule whose formula has no entry here
shows its name alone (tests/test_latex_engines.py requires an entry for each).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matcalc.calculus.steps import Step

__all__ = ["RULE_FORMULAS", "note_latex", "note_parts", "split_rule", "text_latex"]

_D = r"\mathrm{d}"

# the rule's name (the text before its colon) -> its formula in LaTeX
RULE_FORMULAS: dict[str, str] = {
    "power rule": rf"{_D} u^{{p}} = p\, u^{{p - 1}}\, {_D} u",
    "quotient rule": rf"{_D} \frac{{1}}{{u}} = -\frac{{{_D} u}}{{u^{{2}}}}",
    "exponential rule": rf"{_D} b^{{p}} = \log\left(b\right) b^{{p}}\, {_D} p",
    "matrix product rule": rf"{_D}\left(A B\right) = {_D} A\, B + A\, {_D} B",
    "transpose rule": rf"{_D}\left(X^{{\top}}\right) = \left({_D} X\right)^{{\top}}",
    "sum of entries": rf"{_D} \operatorname{{sum}}\left(X\right) = "
                      rf"\operatorname{{sum}}\left({_D} X\right)",
    "mean rule": rf"{_D} \operatorname{{mean}}\left(X\right) = "
                 rf"\frac{{\operatorname{{sum}}\left({_D} X\right)}}"
                 rf"{{\operatorname{{size}}\left(X\right)}}",
    "norm rule": rf"{_D} \lVert x\rVert = \frac{{x^{{\top}} {_D} x}}{{\lVert x\rVert}}",
    "1-norm rule": rf"{_D} \lVert x\rVert_{{1}} = \operatorname{{sign}}\left(x\right)^{{\top}} "
                   rf"{_D} x",
    "max-norm rule": rf"{_D} \lVert x\rVert_{{\infty}} = \operatorname{{sign}}\left(x_{{k}}\right)"
                     rf" {_D} x_{{k}} \text{{ at the largest }} \lvert x_{{k}}\rvert",
    "trace rule": rf"{_D} \operatorname{{tr}}\left(X\right) = "
                  rf"\operatorname{{tr}}\left({_D} X\right)",
    "determinant rule": rf"{_D} \det\left(X\right) = \det\left(X\right) "
                        rf"\operatorname{{tr}}\left(X^{{-1}} {_D} X\right)",
    "log-determinant rule": rf"{_D} \log\left\lvert\det\left(X\right)\right\rvert = "
                            rf"\operatorname{{tr}}\left(X^{{-1}} {_D} X\right)",
    "log-sum-exp rule": rf"{_D} \operatorname{{logsumexp}}\left(x\right) = "
                        rf"\operatorname{{softmax}}\left(x\right)^{{\top}} {_D} x",
    "inverse rule": rf"{_D}\left(X^{{-1}}\right) = -X^{{-1}}\, {_D} X\, X^{{-1}}",
    "diag rule": rf"{_D} \operatorname{{diag}}\left(v\right) = "
                 rf"\operatorname{{diag}}\left({_D} v\right)",
    "diagonal rule": rf"{_D} \operatorname{{diag}}\left(X\right) = "
                     rf"\operatorname{{diag}}\left({_D} X\right)",
    "softmax rule": rf"{_D} \operatorname{{softmax}}\left(x\right) = \left("
                    rf"\operatorname{{diag}}\left(s\right) - s s^{{\top}}\right) {_D} x",
    "vec rule": rf"{_D} \operatorname{{vec}}\left(X\right) = "
                rf"\operatorname{{vec}}\left({_D} X\right)",
    "Kronecker product rule": rf"{_D}\left(A \otimes B\right) = {_D} A \otimes B + "
                              rf"A \otimes {_D} B",
    "broadcast rule": rf"{_D}\left(X + \mathbf{{1}} b^{{\top}}\right) = {_D} X + "
                      rf"\mathbf{{1}}\, {_D} b^{{\top}}",
    "sum along an axis": rf"{_D} \sum_{{i}} X_{{i j}} = \sum_{{i}} {_D} X_{{i j}}",
    "max rule": rf"{_D} \max X = {_D} X_{{k}} \text{{ at the largest entry }} X_{{k}}",
    "max along an axis": rf"{_D} \max_{{i}} X_{{i j}} = {_D} X_{{k_j j}} "
                         rf"\text{{ at each column's largest entry}}",
    "log-sum-exp along an axis": rf"{_D} \operatorname{{logsumexp}}_{{j}} Z_{{i j}} = "
                                 rf"\sum_{{j}} \operatorname{{softmax}}_{{j}}\left(Z\right)_{{i j}}"
                                 rf" {_D} Z_{{i j}}",
    "softmax along an axis": rf"{_D} s = \left(\operatorname{{diag}}\left(s\right) - "
                             rf"s s^{{\top}}\right) {_D} z \text{{ for each row}}",
}

_SOURCE = re.compile(r"\s*\(([^()]*(?:Cookbook|Magnus|Neudecker|eq\.)[^()]*)\)\s*$")


def split_rule(rule: str) -> tuple[str, str, str]:
    """A rule's text as (name, formula, source): ``"norm rule", "d||x|| = ...", "Matrix ..."``."""
    name, _, formula = rule.partition(":")
    source = ""
    m = _SOURCE.search(formula)
    if m is not None:
        source, formula = m.group(1), formula[:m.start()]
    return name.strip(), formula.strip(), source


def note_parts(step: Step, k: int) -> list[str]:
    """The note above step ``k`` in pieces: its name, its formula, its source and share.

    ``\\text{2. norm rule: }``, ``\\mathrm{d}\\lVert x\\rVert = ...``,
    ``\\text{ (Matrix Cookbook eq. 129)}``; a long note breaks between pieces.
    """
    name, formula, source = split_rule(step.rule)
    known = bool(formula) and name in RULE_FORMULAS
    parts = [text_latex(f"{k}. {name}" + (": " if known else ""))]
    if known:
        parts.append(RULE_FORMULAS[name])
    extra = "; ".join(p for p in (source, step.share.strip(" ()")) if p)
    if extra:
        parts.append(text_latex(f" ({extra})"))
    return parts


def note_latex(step: Step, k: int) -> str:
    """The note above step ``k`` on one line (:func:`note_parts` joined)."""
    return " ".join(note_parts(step, k))


def text_latex(s: str) -> str:
    """``s`` as ``\\text{...}``, safe in TeX's default font encoding, KaTeX and MathJax.

    In ``\\text`` with the default (OT1) encoding ``|`` prints as a dash, ``<`` as
    ``¡``, and MathJax shows ``\\^{}`` as written: such characters are set as
    mathematics between pieces of text; the characters TeX reserves are escaped.
    """
    out: list[str] = []
    text: list[str] = []
    for ch in s:
        if ch in _MATH_CHARS:
            if text:
                out.append(rf"\text{{{''.join(text)}}}")
                text = []
            out.append(_MATH_CHARS[ch])
        else:
            text.append("\\" + ch if ch in "_%&#${}" else ch)
    if text:
        out.append(rf"\text{{{''.join(text)}}}")
    return "".join(out)


_MATH_CHARS = {"|": r"\vert ", "^": r"\hat{}", "<": "<", ">": ">", "~": r"\sim ",
               "\\": r"\backslash ", "'": r"{}^{\prime}", "⊗": r"\otimes ", "\"": "''"}
