"""Einsum specs as users write them: ``"ij,jk->ik"``, split and checked against operands.

Read by the contraction layer (which builds einsum nodes) and by the LaTeX
printer (which writes them in index notation); it needs nothing but the node.
"""

from __future__ import annotations

from collections.abc import Sequence

from matcalc.core.dims import Dim, dims_equal
from matcalc.core.errors import ParseError, ShapeError
from matcalc.core.expr import Expr

# the index letters of an einsum: NumPy's einsum accepts these 52 and no others,
# so a product over more distinct indices (a derivative of order about 26 and up)
# cannot be written as one einsum
LETTERS = "ijklmnopqrstuvwxyzabcdefghABCDEFGHIJKLMNOPQRSTUVWXYZ"


def too_many_indices(count: int) -> str:
    """The message for a product over more distinct indices than :data:`LETTERS` has."""
    return (f"this result needs a product over {count} distinct indices, but an einsum "
            f"has only {len(LETTERS)} index letters (a-z, A-Z), the limit of matcalc and "
            "NumPy; a derivative of this order cannot be written: differentiate fewer times")


def parse_spec(spec: str, operands: Sequence[Expr]) -> tuple[list[str], str]:
    """Split and check an einsum spec against its operands."""
    s = spec.replace(" ", "")
    if "->" in s:
        lhs, out = s.split("->", 1)
    else:
        lhs = s
        counts: dict[str, int] = {}
        for ch in lhs.replace(",", ""):
            counts[ch] = counts.get(ch, 0) + 1
        out = "".join(sorted(ch for ch, n in counts.items() if n == 1))
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ParseError(f"einsum spec {spec!r} names {len(terms)} operands but "
                         f"{len(operands)} are given")
    for t in [*terms, out]:
        for ch in t:
            if not ch.isalpha() or not ch.isascii():
                raise ParseError(f"einsum spec {spec!r}: {ch!r} is not an index letter")
    sizes: dict[str, Dim] = {}
    for t, e in zip(terms, operands, strict=True):
        if len(t) != e.ndim:
            raise ShapeError(f"einsum spec {spec!r}: {t!r} has {len(t)} indices but the operand "
                             f"has {e.ndim} dimensions")
        for ch, d in zip(t, e.shape, strict=True):
            if ch in sizes and not dims_equal(sizes[ch], d):
                raise ShapeError(f"einsum spec {spec!r}: index {ch} has sizes {sizes[ch]} "
                                 f"and {d}")
            sizes.setdefault(ch, d)
    if len(set(out)) != len(out):
        raise ParseError(f"einsum spec {spec!r}: an output index is repeated")
    for ch in out:
        if ch not in sizes:
            raise ParseError(f"einsum spec {spec!r}: output index {ch} is not in any operand")
    return terms, out
