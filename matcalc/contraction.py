"""Tensor contractions (einsum) and their translation back to matrix notation."""

from __future__ import annotations

from collections.abc import Sequence

from .dims import dims_equal
from .errors import ParseError, ShapeError
from .expr import Expr, make

LETTERS = "ijklmnopqrstuvwxyzabcdefghABCDEFGHIJKLMNOPQRSTUVWXYZ"


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
    sizes: dict[str, object] = {}
    for t, e in zip(terms, operands, strict=True):
        if len(t) != e.ndim:
            raise ShapeError(f"einsum spec {spec!r}: {t!r} has {len(t)} indices but the operand "
                             f"has {e.ndim} dimensions")
        for ch, d in zip(t, e.shape, strict=True):
            if ch in sizes and not dims_equal(sizes[ch], d):  # type: ignore[arg-type]
                raise ShapeError(f"einsum spec {spec!r}: index {ch} has sizes {sizes[ch]} "
                                 f"and {d}")
            sizes.setdefault(ch, d)
    if len(set(out)) != len(out):
        raise ParseError(f"einsum spec {spec!r}: an output index is repeated")
    for ch in out:
        if ch not in sizes:
            raise ParseError(f"einsum spec {spec!r}: output index {ch} is not in any operand")
    return terms, out


def build_einsum(spec: str, operands: Sequence[Expr]) -> Expr:
    terms, out = parse_spec(spec, operands)
    sizes = {}
    for t, e in zip(terms, operands, strict=True):
        for ch, d in zip(t, e.shape, strict=True):
            sizes.setdefault(ch, d)
    shape = tuple(sizes[ch] for ch in out)
    return make("einsum", tuple(operands), (f"{','.join(terms)}->{out}",), shape)
