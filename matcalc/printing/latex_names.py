"""Names, dimensions and shapes in LaTeX.

``theta`` → ``\\theta``, ``W1`` → ``W_{1}``, ``m*p`` → ``m p``, a shape →
``\\mathbb{R}^{m \\times n}``.  Read-only helpers of the LaTeX printer
(:mod:`matcalc.printing.latex`), also used by the examples to write headers.
"""

from __future__ import annotations

import re
import unicodedata

from matcalc.core.dims import Dim, Shape, format_shape


def shape_latex(shape: Shape, split: int | None = None) -> str:
    """``\\mathbb{R}^{m \\times n}``; with ``split``, ``m \\times (p \\times q)`` for order ≥ 3.

    The grouping is :func:`matcalc.core.dims.format_shape`'s, the one notation
    of every printer: the first ``split`` dimensions (the function's) and the rest
    (the variable's) apart, a group of one dimension without parentheses.
    """
    if not shape:
        return r"\mathbb{R}"
    body = format_shape(shape, split, dim=dim_latex, times=r" \times ")
    return rf"\mathbb{{R}}^{{{body}}}"


def dim_latex(d: Dim) -> str:
    """A dimension: ``n``, ``3``, or a product ``m*p`` as ``m p``."""
    if isinstance(d, int):
        return str(d)
    return " ".join(f if f.isdigit() else latex_name(f)[0] for f in d.split("*"))



GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
    "nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())

UNICODE_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta",
    "ι": r"\iota", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi",
    "ο": "o", "π": r"\pi", "ϖ": r"\varpi", "ρ": r"\rho", "ϱ": r"\varrho", "σ": r"\sigma",
    "ς": r"\varsigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi", "ϕ": r"\phi",
    "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Α": r"\mathrm{A}", "Β": r"\mathrm{B}", "Γ": r"\Gamma", "Δ": r"\Delta",
    "Ε": r"\mathrm{E}", "Ζ": r"\mathrm{Z}", "Η": r"\mathrm{H}", "Θ": r"\Theta",
    "Ι": r"\mathrm{I}", "Κ": r"\mathrm{K}", "Λ": r"\Lambda", "Μ": r"\mathrm{M}",
    "Ν": r"\mathrm{N}", "Ξ": r"\Xi", "Ο": r"\mathrm{O}", "Π": r"\Pi", "Ρ": r"\mathrm{P}",
    "Σ": r"\Sigma", "Τ": r"\mathrm{T}", "Υ": r"\Upsilon", "Φ": r"\Phi", "Χ": r"\mathrm{X}",
    "Ψ": r"\Psi", "Ω": r"\Omega",
}

_DIGIT_SUFFIX = re.compile(r"(\D+?)(\d+)")


def latex_name(name: str, bold: bool = False) -> tuple[str, bool]:
    """A variable or dimension name in LaTeX, and whether it carries a subscript.

    ``theta`` → ``\\theta``, ``θ`` → ``\\theta``, ``W1`` and ``W_1`` → ``W_{1}``,
    ``beta2`` → ``\\beta_{2}``, ``sigma_max`` → ``\\sigma_{\\mathrm{max}}``, other
    multi-letter names upright: ``\\mathrm{loss}``.  ``bold`` sets the symbol
    (not the subscript) in bold: ``\\mathbf{x}``, ``\\boldsymbol{\\theta}``.
    """
    head, _, tail = name.partition("_")
    if head and tail:
        sub = tail if tail.isdigit() else _symbol(tail, False)
        return f"{_symbol(head, bold)}_{{{sub}}}", True
    m = _DIGIT_SUFFIX.fullmatch(name)
    if m and "_" not in m[1]:
        return f"{_symbol(m[1], bold)}_{{{m[2]}}}", True
    return _symbol(name, bold), False


# combining marks that are math accents: x̂ (x + U+0302) is \hat{x}
ACCENTS = {"\u0300": "grave", "\u0301": "acute", "\u0302": "hat", "\u0303": "tilde",
           "\u0304": "bar", "\u0306": "breve", "\u0307": "dot", "\u0308": "ddot",
           "\u030c": "check", "\u20d7": "vec"}


def _clusters(s: str) -> list[str]:
    """``s`` cut into characters with their combining marks (which KaTeX needs together)."""
    out: list[str] = []
    for ch in s:
        if out and unicodedata.category(ch).startswith("M"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _symbol(s: str, bold: bool) -> str:
    """One symbol without subscript: a letter, a Greek letter, or an upright word."""
    stripped = s.rstrip("".join(ACCENTS))
    if stripped != s and len(_clusters(stripped)) == 1:  # x̂, θ̄: the accent over the letter
        out = _symbol(stripped, bold)
        for mark in s[len(stripped):]:
            out = rf"\{ACCENTS[mark]}{{{out}}}"
        return out
    if s == "_":
        return r"\_"
    if s in GREEK or (len(s) == 1 and s in UNICODE_GREEK):
        command = "\\" + s if s in GREEK else UNICODE_GREEK[s]
        if not bold:
            return command
        return rf"\mathbf{{{command[8:-1]}}}" if command.startswith(r"\mathrm") else \
            rf"\boldsymbol{{{command}}}"
    if len(s) == 1 and s.isascii():
        return rf"\mathbf{{{s}}}" if bold else s
    # a word: ASCII runs upright, Greek letters as commands, anything else as text
    parts: list[str] = []
    for ch in _clusters(s):
        base, marks = ch[:1], ch[1:]
        if unicodedata.category(base).startswith("M"):  # a mark on nothing (x_̂)
            base, marks = "", ch
        if base.isascii():
            text = base.replace("_", r"\_")
        elif base in UNICODE_GREEK:
            text = f"{{{UNICODE_GREEK[base]}}}"
        else:
            text = rf"\text{{{base}}}"
        if any(mark not in ACCENTS for mark in marks):  # the letter with its marks as text
            text = rf"\text{{{ch}}}" if base else ""  # (a mark on nothing cannot be shown)
        else:
            for mark in marks:  # accents KaTeX knows
                text = rf"\{ACCENTS[mark]}{{{text}}}"
        parts.append(text)
    font = r"\mathbf" if bold else r"\mathrm"
    return f"{font}{{{''.join(parts)}}}"
