"""The report of :func:`~matcalc.check.derivation.check`: a table, JSON, Jupyter's HTML, LaTeX.

Kept apart from the checking: this module only presents the verdicts.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from matcalc.check.diagnosis import Finding
from matcalc.check.verify import VerifyReport
from matcalc.core.dims import derivative_split, format_shape
from matcalc.core.expr import Expr

__all__ = ["CheckReport", "ClaimResult"]

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}",
                  "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$", "~": r"\~{}"}


@dataclass
class ClaimResult:
    """The verdict on one claimed line: ``.ok``, ``.diagnosis`` and the largest differences."""

    line: int  # 1-based, in the order given
    text: str
    claim: Expr
    finding: Finding
    symbolic: bool  # simplify(claim - derivative) is zero
    max_abs_difference: float
    max_rel_difference: float

    @property
    def ok(self) -> bool:
        return self.finding.ok

    @property
    def kind(self) -> str:
        return self.finding.kind

    @property
    def diagnosis(self) -> str:
        """A short sentence with one of SPEC section 4's words (``right`` for a right claim)."""
        if self.ok:
            return "right, equal symbolically" if self.symbolic else "right (numerically)"
        return self.finding.sentence

    @property
    def correction(self) -> str:
        """An expression that would be right: the claim with the named mistake undone."""
        fix = self.finding.correction
        return fix.replace("{claim}", str(self.claim)) if fix else ""

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "claim": self.text, "expression": str(self.claim),
                "shape": [str(d) for d in self.claim.shape], "ok": self.ok,
                "kind": self.kind, "diagnosis": self.diagnosis,
                "equal_symbolically": self.symbolic, "factor": self.finding.factor or None,
                "axes": list(self.finding.axes) or None,
                "correction": self.correction or None,
                "max_abs_difference": _json_float(self.max_abs_difference),
                "max_rel_difference": _json_float(self.max_rel_difference),
                "latex": self.claim.latex()}


@dataclass
class CheckReport:
    """The outcome of ``check``; true in a boolean context when every claim is right."""

    f: Expr
    wrt: str
    derivative: Expr
    order: int
    layout: str
    claims: list[ClaimResult]
    sizes: dict[str, int]
    second_sizes: dict[str, int]
    seed: int
    points: int
    reference: VerifyReport

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.claims)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def first_wrong(self) -> ClaimResult | None:
        """The first wrong line: where the derivation goes wrong (None if it does not)."""
        return next((c for c in self.claims if not c.ok), None)

    @property
    def name(self) -> str:
        if self.order == 1:
            return f"∂f/∂{self.wrt}"
        sup = str(self.order).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"∂{sup}f/∂{self.wrt}{sup}"

    @property
    def layout_note(self) -> str:
        """Which convention the claims were read in (only where it changes the shape)."""
        x = self.f.variables()[self.wrt]
        if self.order != 1 or self.f.shape or x.ndim != 1:
            return ""
        if self.layout == "numerator":
            return (f"numerator layout: {self.name} is a row, 1×{format_shape(x.shape)} "
                    "(as in Mathematics for Machine Learning)")
        return (f"denominator layout: {self.name} is a column, the shape of {self.wrt} "
                f"({format_shape(x.shape)}); a row claim is right with layout numerator")

    @property
    def where(self) -> str:
        sizes = _sizes(self.sizes)
        second = _sizes(self.second_sizes)
        also = f" and {second}" if second != sizes else ""
        return (f"checked at {self.points} points (sizes {sizes or '-'}{also}; seed "
                f"{self.seed}: point k drawn with seed {self.seed}+k)")

    def __str__(self) -> str:
        shape = _shape(self.derivative, self.f.variables().get(self.wrt))
        lines = [f"f = {self.f}   by {self.wrt}",
                 f"matcalc: {self.name} = {self.derivative}   ({shape}; "
                 f"verified against finite differences: {self.reference.status})"]
        if self.layout_note:
            lines.append(self.layout_note)
        rows = [("line", "claim", "result", "max abs diff", "max rel diff")]
        for c in self.claims:
            mark = "✓" if c.ok else "✗"
            result = f"{mark} {c.kind}" + (" (symbolically)" if c.symbolic else "")
            if c.finding.factor and c.kind not in ("sign",):
                result += f" {c.finding.factor}"
            rows.append((str(c.line), str(c.claim), result, _fmt(c.max_abs_difference),
                         _fmt(c.max_rel_difference)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for k, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                         .rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        for c in self.claims:
            if not c.ok:
                lines.append(f"line {c.line}: {c.diagnosis}")
                if c.correction:
                    lines.append(f"  would be right: {c.correction}")
        wrong = self.first_wrong
        if len(self.claims) > 1:
            lines.append(f"the derivation goes wrong at line {wrong.line}" if wrong
                         else "every line of the derivation is right")
        passed = sum(c.ok for c in self.claims)
        lines.append(f"{passed} of {len(self.claims)} right; {self.where}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain JSON-able values."""
        wrong = self.first_wrong
        return {"function": str(self.f), "wrt": self.wrt, "order": self.order,
                "layout": self.layout, "layout_note": self.layout_note or None,
                "derivative": str(self.derivative),
                "shape": [str(d) for d in self.derivative.shape],
                "derivative_latex": self.derivative.latex(), "ok": self.ok,
                "first_wrong_line": wrong.line if wrong else None,
                "sizes": dict(self.sizes), "second_sizes": dict(self.second_sizes),
                "seed": self.seed, "points": self.points,
                "variables": {k: {"shape": [str(d) for d in v.shape],
                                  "structure": v.structure or None}
                              for k, v in sorted(self.f.variables().items())},
                "reference": self.reference.to_dict(),
                "claims": [c.to_dict() for c in self.claims]}

    # Jupyter -------------------------------------------------------------------------

    def latex(self) -> str:
        r"""An ``array`` of the claims, each with ``\checkmark`` or ``\times`` and its verdict."""
        from matcalc.printing.latex import latex_name

        x, order = latex_name(self.wrt)[0], self.order
        lhs = (rf"\frac{{\partial f}}{{\partial {x}}}" if order == 1 else
               rf"\frac{{\partial^{{{order}}} f}}{{\partial {x}^{{{order}}}}}")
        rows = [rf"{lhs} & = {self.derivative.latex()} & \text{{(matcalc)}}"]
        for c in self.claims:
            mark = r"\checkmark" if c.ok else r"\times"
            verdict = c.kind + (f" {c.finding.factor}" if c.finding.factor and
                                c.kind != "sign" else "")
            rows.append(rf"\text{{{c.line}.}} & = {c.claim.latex()} & "
                        rf"{mark}\ \text{{{latex_text(verdict)}}}")
        return r"\begin{array}{rll} " + r" \\ ".join(rows) + r" \end{array}"

    def _repr_latex_(self) -> str:
        return f"$$ {self.latex()} $$"

    def _repr_html_(self) -> str:
        cells = []
        for c in self.claims:
            colour = "#186a1f" if c.ok else "#b00020"
            mark = "✓" if c.ok else "✗"
            fix = (f"<br>would be right: <code>{html.escape(c.correction)}</code>"
                   if c.correction else "")
            cells.append(
                f"<tr><td>{c.line}</td><td>\\({html.escape(c.claim.latex())}\\)"
                f"<br><code>{html.escape(str(c.claim))}</code></td>"
                f"<td style=\"color:{colour};font-weight:bold\">{mark}</td>"
                f"<td>{html.escape(c.diagnosis)}{fix}</td>"
                f"<td>{_fmt(c.max_abs_difference)}</td><td>{_fmt(c.max_rel_difference)}</td>"
                "</tr>")
        wrong = self.first_wrong
        verdict = (f"the derivation goes wrong at line {wrong.line}" if wrong and
                   len(self.claims) > 1 else ("wrong" if wrong else "right"))
        note = f"<p>{html.escape(self.layout_note)}</p>" if self.layout_note else ""
        return (f"<div><p>\\({html.escape(self.derivative.latex())}\\) = "
                f"<code>{html.escape(str(self.derivative))}</code> is "
                f"{html.escape(self.name)} of <code>{html.escape(str(self.f))}</code></p>"
                f"{note}<table><tr><th>line</th><th>claim</th><th></th><th>diagnosis</th>"
                "<th>max abs diff</th><th>max rel diff</th></tr>" + "".join(cells) +
                f"</table><p><b>{html.escape(verdict)}</b>; {html.escape(self.where)}</p></div>")


def latex_text(s: str) -> str:
    """``s`` escaped for ``\\text{...}`` (ASCII only: KaTeX's strict mode rejects the rest)."""
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in s.replace("×", "x"))
    return out.encode("ascii", "replace").decode().replace("?", "-")


def _shape(e: Expr, x: Expr | None) -> str:
    """A derivative's shape, grouped f.shape × x.shape from order 3 (``m×(m×n)``)."""
    return format_shape(e.shape, derivative_split(e.shape, x.shape if x is not None else None))


def _sizes(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items())


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else ("-" if math.isnan(x) else f"{x:.2e}")


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
