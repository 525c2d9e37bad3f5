"""A verification report as an HTML table: what a notebook shows for ``verify(...)``.

The figures are those of ``str(report)`` and ``report.to_dict()``, one row each,
so that a reader sees the verdict first and the evidence under it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matcalc.check.verify import VerifyReport

__all__ = ["report_html"]

_COLOURS = {"pass": "#186a1f", "FAIL": "#b00020", "inconclusive": "#8a5a00"}


def report_html(report: VerifyReport) -> str:
    """``report`` as a two-column ``<table>`` (the figure, its value)."""
    sizes = ", ".join(f"{k}={v}" for k, v in report.sizes.items()) or "none"
    checked = ("the whole Jacobian" if report.full_jacobian
               else f"{report.directions} random directions")
    rows = [("derivative", report.name), ("expression", str(report.derivative)),
            ("max abs error", f"{report.max_abs_error:.2e}"),
            ("max rel error", f"{report.max_rel_error:.2e}"),
            ("sizes", sizes), ("seed", str(report.seed)), ("checked", checked),
            ("evaluations", str(report.evaluations))]
    if report.message:
        rows.append(("note", report.message))
    colour = _COLOURS.get(report.status, "inherit")
    body = "".join(f"<tr><th style=\"text-align:left\">{html.escape(k)}</th>"
                   f"<td style=\"text-align:left\"><code>{html.escape(v)}</code></td></tr>"
                   if k == "expression" else
                   f"<tr><th style=\"text-align:left\">{html.escape(k)}</th>"
                   f"<td style=\"text-align:left\">{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return (f'<table class="matcalc-verify"><caption style="text-align:left">verify: '
            f'<b style="color:{colour}">{html.escape(report.status)}</b></caption>'
            f"{body}</table>")
