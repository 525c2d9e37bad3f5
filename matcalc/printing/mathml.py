"""MathML from the LaTeX printer's output, for pages that must work offline.

Browsers render MathML natively (Chromium since 109, Firefox, Safari), so a
page of ``<math>`` elements needs no script, no font files and no network: it
opens from ``file://``, a USB stick or an LMS download.  The conversion is
``latex2mathml`` (pure Python); this module only adds the things it does
not do for matcalc's LaTeX:

- text-mode escapes inside ``\\text{...}`` (``\\^{}``, ``\\_``, ``\\{``) are
  copied by latex2mathml with their backslash (and the braces of ``\\^{}`` end
  the text early), so they are replaced by the characters they stand for;
- ``\\operatorname`` names come out as operators (``<mo>``), spaced like ``+``;
  they are written as identifiers (``<mi>``), upright as TeX sets them;
- the ``aligned`` blocks of long, broken formulas (``printing/latex_breaks.py``)
  are unknown to latex2mathml, whose ``align*`` makes the same table: they are
  converted as ``align*``;
- MathML Core (what Chromium implements) ignores ``columnalign`` on table
  cells, so an ``align*`` block would come out centred: :data:`MATHML_CSS` is
  the stylesheet that aligns its columns as amsmath does.

latex2mathml is imported on first use, so ``import matcalc`` stays fast.
"""

from __future__ import annotations

import re

__all__ = ["MATHML_CSS", "MathMLError", "to_mathml"]

# text-mode escapes whose braces would end \text{...} early: replaced before converting
# (escaped braces by private-use characters, put back after)
_BRACED = {"\\^{}": "^", "\\~{}": "~", "\\{": "\ue000", "\\}": "\ue001"}
_BRACED_RE = re.compile(r"\\\^\{\}|\\~\{\}|\\\{|\\\}")
_TEXT = re.compile(r"\\text\{((?:\\.|[^{}\\]|\{[^{}]*\})*)\}")
# the one-character escapes (\_ \% \& \# \$), which latex2mathml copies into
# <mtext> with their backslash: removed after converting
_MTEXT = re.compile(r"(<mtext[^>]*>)(.*?)(</mtext>)", re.S)
_ESCAPED_CHAR = re.compile(r"\\([_%&#$])")
# \operatorname{diag} comes out as <mo>diag</mo>, which Chromium spaces as a binary
# operator ("= diag ( ..."): a name is an identifier, set upright as multi-letter <mi> are
_NAMED_OPERATOR = re.compile(r"<mo>([A-Za-z]{2,})</mo>")

# amsmath's alignment for align* (right, left, right, left, ...) and its column gaps;
# mtd's default padding of MathML Core would otherwise open a gap inside "lhs &= rhs"
MATHML_CSS = """\
math[display="block"] { overflow-x: auto; overflow-y: hidden; padding: 0.25rem 0; }
math mtd[columnalign="right"] { text-align: right; padding-right: 0; }
math mtd[columnalign="left"] { text-align: left; padding-left: 0; }
math mtd[columnalign="right"]:not(:first-child) { padding-left: 2em; }
"""


class MathMLError(ValueError):
    """The LaTeX could not be converted (a bug in the printer or in the converter)."""


def _unbrace_text(match: re.Match[str]) -> str:
    body = _BRACED_RE.sub(lambda m: _BRACED[m.group(0)], match.group(1))
    return r"\text{" + body + "}"


def _unescape_mtext(match: re.Match[str]) -> str:
    body = _ESCAPED_CHAR.sub(lambda m: "&amp;" if m.group(1) == "&" else m.group(1),
                             match.group(2))
    return match.group(1) + body + match.group(3)


def to_mathml(latex: str, *, display: bool = True) -> str:
    """The ``<math>`` element for ``latex`` (a string matcalc's LaTeX printer wrote)."""
    from latex2mathml.converter import convert

    source = _TEXT.sub(_unbrace_text, latex)
    source = source.replace(r"\begin{aligned}", r"\begin{align*}")
    source = source.replace(r"\end{aligned}", r"\end{align*}")
    try:
        out: str = convert(source, display="block" if display else "inline")
    except Exception as e:  # latex2mathml raises its own classes and bare ones
        raise MathMLError(f"latex2mathml cannot convert {latex!r}: {e}") from e
    out = _NAMED_OPERATOR.sub(r"<mi>\1</mi>", _MTEXT.sub(_unescape_mtext, out))
    return out.replace("\ue000", "{").replace("\ue001", "}")
