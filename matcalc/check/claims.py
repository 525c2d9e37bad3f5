"""Claimed derivatives: read with the shapes of ``f``, their shapes checked against the derivative.

A claim is text (or an expression) that a person says equals ``diff(f, x)``.
It is parsed with every variable of ``f`` declared as ``f`` has it (shape and
symmetry), so a claim may use the names of ``f``'s ``where`` clause without
repeating it.  A claim that uses a variable ``f`` does not have, or whose shape
fits neither the derivative's nor another layout of it (a row for a column,
the axes in another order), is bad input: a ``ShapeError`` naming both shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matcalc.core.dims import format_shape
from matcalc.core.errors import MatcalcError, ShapeError
from matcalc.core.expr import Expr, related_variables

__all__ = ["claim_shapes", "parse_claim", "read_claims", "shape_fits"]


def claim_shapes(f: Expr) -> dict[str, Any]:
    """A ``shapes=`` dict declaring every variable of ``f`` (used or declared) as ``f`` has it."""
    known = related_variables(f)
    known.update(f.variables())
    shapes: dict[str, Any] = {}
    for name, v in known.items():
        if v.structure in ("symmetric", "spd"):
            shapes[name] = f"{v.structure}({v.shape[0]})"
        else:
            shapes[name] = tuple(v.shape)
    return shapes


def parse_claim(claim: str | Expr, f: Expr, label: str) -> Expr:
    """The claim as an expression in the variables of ``f`` (``label``: "claim 2", for errors)."""
    from matcalc.lang.infer import parse

    if isinstance(claim, Expr):
        expr = claim
    elif isinstance(claim, str):
        if not claim.strip():
            raise MatcalcError(f"{label} is empty; write the claimed derivative, "
                               "e.g. \"A' @ (A@x - y)\"")
        try:
            expr = parse(claim, shapes=claim_shapes(f))
        except MatcalcError as e:
            raise type(e)(f"{label}: {e.message}", e.text, e.column) from None
    else:
        raise MatcalcError(f"{label} must be text or an expression, not "
                           f"{type(claim).__name__}")
    known = claim_shapes(f)
    for name, v in expr.variables().items():
        if name not in known:
            raise ShapeError(f"{label} uses {name}, which is not a variable of f "
                             f"(f has {', '.join(sorted(known)) or 'no variables'})")
        want = f.variables().get(name) or related_variables(f).get(name)
        if want is not None and (want.shape != v.shape or want.structure != v.structure):
            raise ShapeError(f"{label} has {name} of shape {format_shape(v.shape)}, but in f "
                             f"it is {format_shape(want.shape)}")
    return expr


def _solid(shape: Sequence[Any]) -> list[str]:
    return [str(d) for d in shape if d != 1]


def shape_fits(claim: Expr, expected: Expr, label: str, name: str,
               split: int | None = None) -> None:
    """Raise a ShapeError unless ``claim``'s shape is the derivative's or another layout of it.

    Another layout: the same dimensions, in another order (a transpose) or with
    axes of size 1 added or dropped (a row for a column).  ``name``: ``∂f/∂x``;
    ``split``: how many leading axes of ``expected`` are the function's (its shape
    is written ``m×(m×n)``).
    """
    have, want = tuple(map(str, claim.shape)), tuple(map(str, expected.shape))
    if have == want or sorted(_solid(claim.shape)) == sorted(_solid(expected.shape)):
        return
    row = (f" (or, as a row, 1×{format_shape(expected.shape)})"
           if expected.ndim == 1 else "")
    raise ShapeError(f"{label} has shape {format_shape(claim.shape) or 'scalar'}, but {name} "
                     f"has shape {format_shape(expected.shape, split)}{row}: the claim "
                     f"cannot be this derivative in any layout")


def read_claims(text: str) -> list[str]:
    """The claimed lines of a file: one claim a line; blank lines and ``#`` comments skipped."""
    out = []
    for line in text.splitlines():
        body = line.split("#", 1)[0].strip()
        if body:
            out.append(body)
    return out
