"""What every example script shares: derive and verify, print, and the data render.py uses.

An example script defines ``build() -> Example`` and ends with
``raise SystemExit(main(build))``.  ``build`` does the work (parse,
differentiate, verify, any numerical check); ``main`` prints the result and
returns 1 if a verification or check failed.  ``render.py`` calls the same
``build`` functions, so each example is written once.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import matcalc as mc
from matcalc.calculus.steps import Derivation
from matcalc.check.verify import VerifyReport
from matcalc.core.dims import format_shape
from matcalc.core.expr import Expr
from matcalc.printing.latex import latex_name, shape_latex
from matcalc.printing.latex_breaks import equation_latex
from matcalc.printing.text import dims_in_shapes

__all__ = ["Check", "Derivative", "Example", "derive", "main", "mc"]


@dataclass
class Derivative:
    """One derivative of an example, with its verification."""

    label: str
    f: Expr
    wrt: str
    order: int
    result: Expr
    report: VerifyReport
    derivation: Derivation | None = None
    note: str = ""
    fname: str = "f"  # what the function is called in ∂f/∂x

    @property
    def name(self) -> str:
        """``∂f/∂x``, ``∂²f/∂x²``."""
        if self.order == 1:
            return f"∂{self.fname}/∂{self.wrt}"
        sup = str(self.order).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"∂{sup}{self.fname}/∂{self.wrt}{sup}"

    @property
    def split(self) -> int:
        """How many leading axes of the result belong to the function (the rest: to x)."""
        x = self.f.variables().get(self.wrt)
        return self.result.ndim - (x.ndim if x is not None else 0)

    @property
    def shape_text(self) -> str:
        return shape_text(self.result.shape, self.split)

    @property
    def function_latex(self) -> str:
        """``f = ... \\in \\mathbb{R}^{...}``."""
        f = latex_name(self.fname)[0]
        return equation_latex(f, self.f.latex(), rf" \in {shape_latex(self.f.shape)}")

    @property
    def latex(self) -> str:
        """``\\frac{\\partial f}{\\partial x} = ... \\in \\mathbb{R}^{...}``."""
        x, f = latex_name(self.wrt)[0], latex_name(self.fname)[0]
        if self.order == 1:
            lhs = rf"\frac{{\partial {f}}}{{\partial {x}}}"
        else:
            lhs = rf"\frac{{\partial^{{{self.order}}} {f}}}{{\partial {x}^{{{self.order}}}}}"
        shape = shape_latex(self.result.shape, self.split)
        return equation_latex(lhs, self.result.latex(), rf" \in {shape}")  # broken if long

    @property
    def ok(self) -> bool:
        return bool(self.report.ok)


@dataclass
class Check:
    """A numerical fact an example shows beside its derivatives (``ok=None``: information)."""

    title: str
    lines: list[str] = field(default_factory=list)
    latex: list[str] = field(default_factory=list)
    ok: bool | None = None


@dataclass
class Example:
    slug: str  # the script's module name
    title: str
    intro: str
    items: list[Derivative | Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.ok is not False for item in self.items)


def derive(label: str, text: str | Expr, wrt: str, *, order: int = 1, steps: bool = False,
           layout: str = "denominator", dims: dict[str, int] | None = None,
           note: str = "", fname: str = "f") -> Derivative:
    """Differentiate ``text`` by ``wrt`` (``order`` times) and verify it numerically."""
    f = mc.parse(text) if isinstance(text, str) else text
    derivation = None
    if steps and order == 1:
        derivation = mc.diff(f, wrt, layout=layout, steps=True)
        result = derivation.result
    elif order == 2 and not f.shape:
        result = mc.hessian(f, wrt)
    else:
        result = f
        for k in range(order):
            result = mc.diff(result, wrt, layout=layout if k == order - 1 else "denominator")
    report = mc.verify(f, wrt, dims=dims, order=order)
    return Derivative(label, f, wrt, order, result, report, derivation, note, fname)


def shape_text(shape: tuple, split: int | None = None) -> str:
    """``n``, ``m×n``, ``m×(m×n)`` (function axes apart from the variable's), ``scalar``."""
    return format_shape(shape, split)


def variables_text(f: Expr) -> str:
    """``A: m×n, x: n, y: m`` (a variable's structure, if any, in front)."""
    parts = []
    for name, v in sorted(f.variables().items()):
        kind = f"{v.structure} " if v.structure else ""
        parts.append(f"{name}: {kind}{shape_text(v.shape)}")
    return ", ".join(parts)


def report_text(r: VerifyReport) -> str:
    sizes = ", ".join(f"{k}={v}" for k, v in r.sizes.items()) or "-"
    how = "whole Jacobian" if r.full_jacobian else f"{r.directions} random directions"
    text = (f"{r.status}  max abs error {r.max_abs_error:.2e}, max rel error "
            f"{r.max_rel_error:.2e}  (sizes {sizes}, seed {r.seed}, {how}, "
            f"{r.evaluations} evaluations)")
    return text + (f"  {r.message}" if r.message else "")


def format_example(ex: Example) -> str:
    out = io.StringIO()
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"{'=' * 78}\n{ex.title}\n{'=' * 78}")
    p(ex.intro)
    for item in ex.items:
        p()
        if isinstance(item, Check):
            status = "" if item.ok is None else ("  [pass]" if item.ok else "  [FAIL]")
            p(f"--- {item.title}{status}")
            for line in item.lines:
                p(f"  {line}")
            for tex in item.latex:
                p(f"  LaTeX:  {tex}")
            continue
        d = item
        p(f"--- {d.label}")
        p(f"  {d.fname:<10} = {d.f}")
        p(f"  LaTeX      : {d.function_latex}")
        p(f"  variables  : {variables_text(d.f)};  {d.fname} is {shape_text(d.f.shape)}")
        p(f"  {d.name:<10} = {d.result}")
        p(f"  shape      : {d.shape_text}")
        p(f"  LaTeX      : {d.latex}")
        if d.note:
            p(f"  note       : {d.note}")
        if d.derivation is not None:
            p("  steps      :")
            sizes = dims_in_shapes(d.derivation.f)  # n, not tr(eye(n)), where f names it
            for k, s in enumerate(d.derivation.steps, 1):
                p(f"    {k}. {s.text(sizes)}")
            p(f"    = {d.derivation.result}")
            p("  steps in LaTeX:")
            for line in d.derivation.latex().splitlines():
                p(f"    {line}")
        p(f"  verify     : {report_text(d.report)}")
    failed = [i for i in ex.items if i.ok is False]
    p()
    p(f"{ex.title}: " + ("all checks passed" if not failed else
                         f"{len(failed)} FAILED: " + ", ".join(
                             i.label if isinstance(i, Derivative) else i.title
                             for i in failed)))
    return out.getvalue()


def main(build: Callable[[], Example]) -> int:
    """Print the example; 0 if every verification and check passed, else 1."""
    ex = build()
    sys.stdout.write(format_example(ex))
    return 0 if ex.ok else 1
