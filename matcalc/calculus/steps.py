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
from matcalc.core.expr import Expr
from matcalc.core.names import given_names
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

    def latex(self) -> str:
        from matcalc.printing.latex import to_latex

        rows = []
        for s in self.steps:
            operand = to_latex(s.operand)
            if s.operand.op not in ("var", "const", "dim"):
                operand = rf"\left({operand}\right)"
            rows.append(rf"\frac{{\partial f}}{{\partial {operand}}} "
                        rf"&= {to_latex(s.derivative)} && \text{{{_tex_text(s.rule + s.share)}}}")
        rows.append(rf"\frac{{\partial f}}{{\partial {to_latex(_var(self.f, self.wrt))}}} "
                    rf"&= {to_latex(self.result)}")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    def _repr_latex_(self) -> str:
        return self.latex()


def _var(f: Expr, name: str) -> Expr:
    from matcalc.ops import construct as c

    return f.variables().get(name) or c.var(name)


def _tex_text(s: str) -> str:
    """Plain text safe inside \\text{...}."""
    out = []
    for ch in s:
        if ch in "_%&#$":
            out.append("\\" + ch)
        elif ch in "{}":
            out.append("\\" + ch)
        elif ch == "^":
            out.append(r"\^{}")
        elif ch == "'":
            out.append("'")
        else:
            out.append(ch)
    return "".join(out)
