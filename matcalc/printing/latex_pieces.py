"""What the LaTeX printer's methods return, and the one place its parentheses come from.

A :class:`Piece` is a printed node with its binding strength (the table of
:mod:`matcalc.printing.precedence`); :func:`paren` wraps a piece for the place it
goes.  Contractions also carry their entries in index notation (:class:`Indexed`)
so that an enclosing contraction can inline them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matcalc.core.expr import Expr
from matcalc.printing.precedence import ADD

# An explicit sum ``\sum_{j} a_{j} b_{j}`` reaches as far right as it can: it binds
# more loosely than ``+``, so it is parenthesised everywhere except at the top.
SUMMATION = ADD - 1


@dataclass(frozen=True)
class Indexed:
    """An entry of a tensor in index notation: ``\\sum_{summed}`` of a product of factors.

    Each factor is ``(base, indices, bracketed)``: printed ``base_{ij}``, or
    ``\\left[base\\right]_{ij}`` when ``base`` is compound or already has a
    subscript; a factor without indices is a scalar.  An index is a letter, or
    beyond the 52 letters a subscripted one (``i_{1}``, ``i_{2}``, ...).
    """

    out: tuple[str, ...]
    summed: tuple[str, ...]
    factors: tuple[tuple[str, tuple[str, ...], bool], ...]

    def body(self) -> str:
        words = []
        for base, indices, bracketed in self.factors:
            if not indices:
                words.append(base)
            elif bracketed:
                words.append(rf"\left[{base}\right]_{{{subscript(indices)}}}")
            else:
                words.append(f"{base}_{{{subscript(indices)}}}")
        text = juxtapose(words)
        if self.summed:
            text = rf"\sum_{{{','.join(self.summed)}}} {text}"
        return text


def subscript(indices: Sequence[str]) -> str:
    """Indices side by side (``ij``); with commas once one is subscripted (``j,i_{1}``)."""
    if all(len(ix) == 1 for ix in indices):
        return "".join(indices)
    return ",".join(indices)


@dataclass(frozen=True)
class Piece:
    text: str
    prec: int
    node: Expr  # the node printed (its shape decides \odot against juxtaposition)
    sup: bool = False  # ends in a superscript: another ^ would be a double superscript
    index: Indexed | None = None  # einsum nodes: their entries in index notation


def paren(p: Piece, level: int, strict: bool = False, script: bool = False) -> str:
    """``p``'s text, in parentheses if it binds less tightly than ``level``.

    ``strict``: also at equal binding; ``script``: also if ``p`` ends in a
    superscript (it is about to get another one).
    """
    if p.prec < level or (strict and p.prec == level) or (script and p.sup):
        return rf"\left({p.text}\right)"
    return p.text


def juxtapose(words: Sequence[str]) -> str:
    """Words side by side; ``\\cdot`` where a number would run into the one before."""
    text = ""
    for w in words:
        if not text:
            text = w
        elif w[:1].isdigit():
            text += rf" \cdot {w}"
        else:
            text += f" {w}"
    return text
