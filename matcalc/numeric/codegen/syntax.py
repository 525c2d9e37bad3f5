"""Python syntax for generated code: precedence levels, parentheses, numbers, comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matcalc.core.dims import Dim
from matcalc.core.expr import Expr
from matcalc.numeric.binding import number_value

# precedence levels of Python expressions, loosest first
COND, ADD, MUL, UNARY, POW, ATOM = range(6)

Code = tuple[str, int]  # an expression's text and its precedence level


def paren(code: str, prec: int, need: int) -> str:
    """``code`` as an operand needing precedence ``need``."""
    return f"({code})" if prec < need else code


def number(v: Any) -> Code:
    value = number_value(v)  # beyond the float range: an EvaluationError, as evaluate's
    if isinstance(v, int):
        text = str(v)
    else:
        text = repr(value)
    return text, (UNARY if text.startswith("-") else ATOM)


def short_text(node: Expr, limit: int = 100) -> str:
    """The text form of ``node`` for a comment, or "" when it would be long.

    The printed tree is counted first (with repetitions, stopping early), so deep
    DAGs are never printed whole: writing a module stays linear in its size.
    """
    count = 0
    stack = [node]
    while stack:
        e = stack.pop()
        count += 1
        if count > limit // 3:
            return ""
        stack.extend(e.args)
    text = str(node)
    return text if len(text) <= limit else ""


def shape_text(shape: Sequence[Dim]) -> str:
    if not shape:
        return "(scalar)"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def is_negation(e: Expr) -> bool:
    """``-x``: written where it is used (``a - x``) rather than computed once."""
    return (e.op == "mul" and len(e.args) == 2 and e.args[0].op == "const"
            and e.args[0].attrs[0] == -1)


def is_reciprocal_of_leaf(e: Expr) -> bool:
    """``1/n``: written where it is used (``a / n``)."""
    return (e.op == "pow" and e.args[0].op in ("var", "dim", "const")
            and e.args[1].op == "const" and e.args[1].attrs[0] == -1)
