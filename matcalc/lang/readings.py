"""Doubtful readings: input that is valid as the language defines it, but probably meant otherwise.

The builder shows every node of the final build to :class:`Readings`, which notes
the readings that people coming from MATLAB, NumPy or the course notes would
likely not have meant (``A^-1`` on a matrix is elementwise, ``A*x`` is not a
matrix product, ...).  Inference issues the notes as
:class:`~matcalc.core.errors.MatcalcWarning` once the expression is built, so an
input that fails for another reason gets no spurious warnings.
"""

from __future__ import annotations

import warnings

from matcalc.core.dims import Dim, Shape, is_placeholder
from matcalc.core.errors import MatcalcWarning, quote_with_caret
from matcalc.core.expr import Expr
from matcalc.lang.parser import CHAINS, Raw, chain_spine
from matcalc.ops.record import OPS

# functions of a square matrix, in which an elementwise power is rarely meant: the trace
# and the functions of an invertible matrix (det, logdet, inv, read off their records)
_SQUARE_FUNCTIONS = frozenset({"tr", "trace"} | {
    call.name for op in OPS.values() if op.domain == "invertible" for call in op.calls})


def written(text: str, r: Raw) -> str:
    """The text ``r`` was written as (what messages quote), in parentheses if it is a sum."""
    start, end = r.span
    piece = text[start:end].strip() if end > start else str(r.value or "")
    if CHAINS.get(r.kind) == "sum" and not (piece.startswith("(") and piece.endswith(")")):
        return f"({piece})"
    return piece


def _same(a: Dim, b: Dim) -> bool:
    return a == b and not is_placeholder(a)


def _fits_matmul(left: Shape, right: Shape) -> bool:
    """Whether ``left @ right`` fits for a matrix and a vector or row (the order given)."""
    if len(left) == 2 and len(right) == 1:
        return _same(left[1], right[0])
    if len(left) == 2 and len(right) == 2 and 1 in (left[0], right[0]) and left != right:
        return _same(left[1], right[0])  # row @ matrix
    return False


def _is_integer(r: Raw) -> bool:
    return r.kind == "number" and r.value.isdigit()


def _is_minus_one(r: Raw) -> bool:
    """``-1`` as written in ``A^-1`` and ``A^(-1)``."""
    return (r.kind == "neg" and r.children[0].kind == "number"
            and float(r.children[0].value) == 1.0)


class Readings:
    """The doubtful readings of one text, collected while its final build runs."""

    def __init__(self, text: str):
        self.text = text
        self.notes: dict[tuple[int, str], None] = {}  # (position, message), in order

    def note(self, pos: int, message: str) -> None:
        self.notes.setdefault((pos, message), None)

    def see(self, r: Raw, operands: list[Raw], args: list[Expr]) -> None:
        """Look at node ``r``, built from ``args`` (the expressions of ``operands``)."""
        if r.kind == "pow":
            self._power(r, args)
        elif r.kind == "call" and r.value in _SQUARE_FUNCTIONS and r.children:
            self._square_power(r, r.children[0], args)
        elif CHAINS.get(r.kind) == "product":
            self._product(r, operands, args)

    def _power(self, r: Raw, args: list[Expr]) -> None:
        base, exponent = r.children
        if args[0].ndim == 2 and 1 not in args[0].shape and _is_minus_one(exponent):
            b = written(self.text, base)
            self.note(r.pos, f"{written(self.text, r)} is the elementwise power -1 of the matrix "
                             f"{b} (one over each entry): did you mean inv({b})?")

    def _square_power(self, r: Raw, arg: Raw, args: list[Expr]) -> None:
        if arg.kind != "pow" or not _is_integer(arg.children[1]) or not args:
            return
        shape = args[0].shape
        if len(shape) == 2 and shape[0] == shape[1]:
            base, p = written(self.text, arg.children[0]), int(arg.children[1].value)
            product = " @ ".join([base] * p) if p <= 3 else f"{base} @ ... @ {base}"
            self.note(arg.pos, f"{written(self.text, arg)} in {r.value}(...) is the elementwise "
                               f"power: did you mean the matrix power {product}?")

    def _product(self, r: Raw, operands: list[Raw], args: list[Expr]) -> None:
        spine = chain_spine(r)
        for i, n in enumerate(spine):
            left, right = args[i].shape, args[i + 1].shape
            if n.kind == "mul" and (_fits_matmul(left, right) or _fits_matmul(right, left)):
                lt, rt = written(self.text, operands[i]), written(self.text, operands[i + 1])
                meant = f"{lt} @ {rt}" if _fits_matmul(left, right) else f"{rt} @ {lt}"
                self.note(n.pos, f"{lt} * {rt} is the elementwise product (as in NumPy; the "
                                 f"vector applies to each row or column): did you mean "
                                 f"{meant}?")
            if (n.kind == "matmul" and len(left) == 1 and len(right) == 2 and right[0] == 1
                    and operands[i + 1].kind == "transpose"
                    and (rt := written(self.text, operands[i + 1])).endswith(".T")):
                lt = written(self.text, operands[i])
                self.note(n.pos, f"{lt} @ {rt} is the outer product here, a matrix, since "
                                 f"{rt} is a row (in NumPy a 1-D {rt} is the vector itself and "
                                 f"this is the inner product): write dot({lt}, "
                                 f"{written(self.text, operands[i + 1].children[0])}) "
                                 f"for the inner product, outer(...) to say the outer product")

    def issue(self, stacklevel: int = 4) -> None:
        """Issue every note as a :class:`MatcalcWarning`."""
        for pos, message in self.notes:
            warnings.warn(MatcalcWarning(f"{message}\n{quote_with_caret(self.text, pos)}"),
                          stacklevel=stacklevel)

