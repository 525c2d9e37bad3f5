"""Step-by-step derivations: ``diff(f, x, steps=True)`` (SPEC section 3).

Reverse mode applies one rule per (node, operand) pair, from ``f`` down to
``x``; each application is a step of the derivation a lecturer writes: the
rule's name, the expression it applies to, and what it contributes to the
derivative of ``f`` by that operand (the chain rule carried along).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from matcalc.algebra.simplify import simplify
from matcalc.calculus.rules import RULE_NAMES
from matcalc.calculus.step_notes import note_parts
from matcalc.core.expr import Expr
from matcalc.core.names import given_names
from matcalc.printing.latex_breaks import PAGE_WIDTH, break_lines, latex_width
from matcalc.printing.text import dims_in_shapes, to_text


def rule_name(node: Expr, i: int) -> str:
    op = node.op
    if op == "mul":
        others = node.args[:i] + node.args[i + 1:]
        if not any(a.variables() for a in others):  # -1/n, 0.5, 2*n
            return "constant multiple rule"
        return "product rule"
    if op == "pow":
        p = node.args[1]
        if i == 1:
            return "exponential rule: d b^p = log(b) b^p dp"
        if p.op == "const" and p.attrs[0] == -1:
            return "quotient rule: d(1/u) = -du/u^2"
        return "power rule: d u^p = p u^(p-1) du"
    if op == "fn":
        return f"chain rule through {node.attrs[0]}"
    return RULE_NAMES.get(op, f"{op} rule")


@dataclass(frozen=True)
class Step:
    rule: str
    expression: Expr  # the expression the rule applies to
    operand: Expr  # the operand differentiated through
    derivative: Expr  # ∂f/∂operand contributed by this step
    part: tuple[int, int] = (1, 1)  # (k, K): the k-th of K contributions to ∂f/∂operand

    @property
    def share(self) -> str:
        """`` (part k of K)`` when the operand has several uses, else nothing."""
        k, total = self.part
        return f" (part {k} of {total})" if total > 1 else ""

    def text(self, dims: frozenset[str] = frozenset(),
             names: dict[str, Expr] | None = None) -> str:
        """The step in text; ``dims`` are the sizes to print by name (those of ``f``),
        ``names`` the user's names of parts of ``f`` (defined in the derivation's first line).
        """
        def show(e: Expr) -> str:
            return to_text(e, dims, names or {}, where=False)

        return (f"{self.rule}, on {show(self.expression)}:  "
                f"df/d[{show(self.operand)}]{self.share} = {show(self.derivative)}")

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Derivation:
    """The derivative of ``f`` by ``wrt`` with the steps that produced it."""

    f: Expr
    wrt: str
    result: Expr
    steps: tuple[Step, ...]

    @classmethod
    def from_trace(cls, f: Expr, wrt: str, result: Expr,
                   trace: list[tuple[Expr, int, Expr]]) -> Derivation:
        totals = Counter(id(node.args[i]) for node, i, _ in trace)
        seen: Counter[int] = Counter()
        steps = []
        for node, i, share in trace:
            operand = node.args[i]
            seen[id(operand)] += 1
            steps.append(Step(rule_name(node, i), node, operand, simplify(share),
                              (seen[id(operand)], totals[id(operand)])))
        return cls(f, wrt, result, tuple(steps))

    def __str__(self) -> str:
        dims = dims_in_shapes(self.f)
        lines = [f"d/d{self.wrt} {self.f}"]
        names = given_names(self.f)
        lines += [f"  {k}. {s.text(dims, names)}" for k, s in enumerate(self.steps, 1)]
        lines.append(f"  = {self.result}")
        return "\n".join(lines)

    def latex(self, *, bold: bool = False, width: float | None = PAGE_WIDTH) -> str:
        """The derivation as an ``align*`` block: ``f = ...``, each rule, the result.

        Each step is a row naming its rule (with the rule as a formula and its
        source) above the row of what it contributes; rows wider than ``width``
        points break at their outermost sums (``None``: never).
        """
        from matcalc.printing.latex import shape_latex, to_latex

        def operand_latex(e: Expr) -> str:
            text = to_latex(e, bold=bold)
            return text if e.op in ("var", "const", "dim") else rf"\left({text}\right)"

        x = to_latex(_var(self.f, self.wrt), bold=bold)
        rows: list[tuple[str, str | list[str]]] = [("f", to_latex(self.f, bold=bold))]
        for k, step in enumerate(self.steps, 1):
            rows.append(("", note_parts(step, k)))
            operand = operand_latex(step.operand)
            if width is not None and latex_width(operand) > width / 3:
                # a wide operand under \partial cannot break: it is named u_k on a row of its own
                rows.append((rf"u_{{{k}}}", to_latex(step.operand, bold=bold)))
                operand = rf"u_{{{k}}}"
            rows.append((rf"\frac{{\partial f}}{{\partial {operand}}}",
                         to_latex(step.derivative, bold=bold)))
        shape = shape_latex(self.result.shape, self.f.ndim)
        rows.append((rf"\frac{{\partial f}}{{\partial {x}}}",
                     rf"{to_latex(self.result, bold=bold)} \in {shape}"))
        return _align(rows, width)

    def _repr_latex_(self) -> str:
        return self.latex()


def _align(rows: list[tuple[str, str | list[str]]], width: float | None) -> str:
    """``lhs &= rhs`` rows (``lhs`` empty: a note's pieces, ``&rhs``) broken to fit ``width``.

    ``align*`` sets every left-hand side in one column, so the right-hand sides
    have the width the widest left-hand side leaves.
    """
    widest = max((latex_width(lhs) for lhs, _ in rows), default=0.0)
    room = None if width is None else max(width - widest - 20.0, width / 2)
    out = []
    for lhs, rhs in rows:
        if isinstance(rhs, list):
            out += [f"&{line}" for line in _note_lines(rhs, room)]
            continue
        lines = [rhs] if room is None else break_lines(rhs, room, room - 20.0)
        out.append(f"{lhs} &= {lines[0]}")
        out += [rf"&\quad {{}}{line}" for line in lines[1:]]
    return "\\begin{align*}\n" + " \\\\\n".join(out) + "\n\\end{align*}"


def _note_lines(parts: list[str], room: float | None) -> list[str]:
    """A rule's note on as many lines as it needs, continuations indented."""
    lines = [parts[0]]
    for part in parts[1:]:
        joined = f"{lines[-1]} {part}"
        if room is None or latex_width(joined) <= room:
            lines[-1] = joined
        else:
            lines.append(rf"\qquad {part}")
    return lines


def _var(f: Expr, name: str) -> Expr:
    from matcalc.ops import construct as c

    return f.variables().get(name) or c.var(name)
