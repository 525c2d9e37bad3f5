"""Contractions (``einsum`` nodes) in LaTeX: index notation as in the Ricci calculus.

Tensors of order 3 and more have no matrix notation; their entries are written
with explicit ``\\sum`` over contracted indices and Kronecker deltas for
identities: ``\\left[\\sum_{j} A_{ij} B_{jk}\\right]_{ik}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

from matcalc.core.einsum_spec import LETTERS, parse_spec
from matcalc.core.expr import Expr
from matcalc.printing.latex_names import latex_name
from matcalc.printing.latex_pieces import SUMMATION, Indexed, Piece, paren, subscript
from matcalc.printing.precedence import ATOM, MUL, UNARY


def einsum_piece(e: Expr, args: list[Piece], piece: Callable[[Expr], Piece]) -> Piece:
    """``\\left[\\sum_{j} A_{ij} B_{jk}\\right]_{ik}``: the tensor whose ``ik`` entry is ...

    Contracted indices are summed explicitly rather than by Einstein's
    convention, so that a repeated index inside one factor (``A_{ii}``, a
    Kronecker delta ``\\delta_{ij}``) cannot be misread.  Nested contractions
    are inlined with their inner indices renamed.  ``piece`` prints any other
    node (the printer's memo).
    """
    terms, out = parse_spec(e.attrs[0], e.args)
    used = set("".join(terms))
    fresh = _fresh_indices(used)
    summed = [ch for ch in dict.fromkeys("".join(terms)) if ch not in out]
    factors: list[tuple[str, tuple[str, ...], bool]] = []
    for node, p, letters in zip(e.args, args, terms, strict=True):
        if p.index is not None:
            rename = dict(zip(p.index.out, letters, strict=True))
            for ch in p.index.summed:
                rename[ch] = next(fresh)
                summed.append(rename[ch])
            factors.extend((base, tuple(rename[ch] for ch in idx), bracketed)
                           for base, idx, bracketed in p.index.factors)
        else:
            factors.append(_entry(node, p, letters, piece))
    index = Indexed(tuple(out), tuple(summed), tuple(factors))
    body = index.body()
    if out:
        return Piece(rf"\left[{body}\right]_{{{subscript(out)}}}", ATOM, e, index=index)
    if summed:
        return Piece(body, SUMMATION, e, index=index)
    return Piece(body, MUL if len(factors) > 1 else ATOM, e, index=index)


def _fresh_indices(used: set[str]) -> Iterator[str]:
    """Indices for the summed ones of an inlined contraction: letters, then ``i_{1}``, ...

    One einsum node has at most 52 letters, but a contraction inlined into another
    brings its own summed indices, so the letters can run out.
    """
    for ch in LETTERS:
        if ch not in used:
            used.add(ch)
            yield ch
    for k in count(1):
        yield f"i_{{{k}}}"


def _entry(node: Expr, p: Piece, letters: str,
           piece: Callable[[Expr], Piece]) -> tuple[str, tuple[str, ...], bool]:
    """One operand of a contraction as a factor of index notation."""
    if node.op == "transpose" and node.ndim == 2 and node.args[0].ndim == 2:
        node, letters = node.args[0], letters[::-1]  # [A^T]_{ij} = A_{ji}
        p = piece(node)
    if not letters:
        return paren(p, UNARY, strict=True), (), False
    if node.op == "eye":
        return r"\delta", tuple(letters), False
    if node.op == "var":  # an entry is a scalar: never bold
        text, subscripted = latex_name(node.name)
        return text, tuple(letters), subscripted
    return p.text, tuple(letters), True
