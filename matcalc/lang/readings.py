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
from matcalc.lang.scope import lone_name
from matcalc.ops import construct as c
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


def _is_row(shape: Shape) -> bool:
    return len(shape) == 2 and shape[0] == 1


def _is_matrix(shape: Shape) -> bool:
    """A matrix a vector broadcasts over (not a row)."""
    return len(shape) == 2 and shape[0] != 1


def _is_integer(r: Raw) -> bool:
    return r.kind == "number" and r.value.isdigit()


def _is_minus_one(r: Raw) -> bool:
    """``-1`` as written in ``A^-1`` and ``A^(-1)``."""
    return (r.kind == "neg" and r.children[0].kind == "number"
            and float(r.children[0].value) == 1.0)


_SYMBOLS = {"mul": "*", "div": "/", "matmul": "@"}


def _step_shape(left: Shape, right: Expr, kind: str) -> Shape:
    """The shape of the partial product ``left <kind> right`` of a chain (it type-checked)."""
    if kind == "matmul":
        return c.matmul_shape(left, right.shape, c.ShapeOnly(left), right)
    return c.fits(left, right.shape) or ()


def _grouped(text: str) -> str:
    """``text`` in parentheses if it is a product of several factors."""
    return f"({text})" if " " in text else text


class Readings:
    """The doubtful readings of one text, collected while its final build runs."""

    def __init__(self, text: str, conventional: frozenset[str] = frozenset(),
                 forced: frozenset[str] = frozenset()):
        self.text = text
        # undeclared lowercase names that inference made scalars for the expression to fit
        # (x'*y: a row and a vector have no elementwise product)
        self.forced = forced
        # undeclared lowercase names that are vectors by the naming convention only (not
        # transposed, no operand of @): broadcast over a matrix in * or /, a scalar was
        # probably meant
        self.conventional = conventional
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
        """``*`` where ``@`` was probably meant, vectors broadcast where a scalar was, and
        ``x @ y.T`` (NumPy's no-op ``.T``), in one chain ``a * b @ c ...``.

        A chain gets one note for its ``*`` and ``/``, which quotes it whole and says
        what it would be with ``@`` (``x' * A * x``: did you mean ``x' @ A @ x``?).
        """
        spine = chain_spine(r)
        text = self.text
        shapes = [args[0].shape]  # of the product so far, step by step
        for i, n in enumerate(spine):
            shapes.append(_step_shape(shapes[-1], args[i + 1], n.kind))
        as_written = meant = written(text, operands[0])
        at: list[int] = []  # positions of the * that fit @
        square: list[str] = []  # matrices that @ needs square (x' * A with A m×n)
        hints: list[str] = []
        for i, n in enumerate(spine):
            left, right = shapes[i], args[i + 1].shape
            rt = written(text, operands[i + 1])
            symbol = _SYMBOLS[n.kind]
            as_written = f"{as_written} {symbol} {rt}"
            hint = self._broadcast_hint(n, left, right) if n.kind in ("mul", "div") else None
            if hint:
                hints.append(hint)
            if n.kind == "mul" and _fits_matmul(left, right):
                at.append(n.pos)
                meant = f"{meant} @ {rt}"
            elif n.kind == "mul" and _fits_matmul(right, left) and not hint:
                at.append(n.pos)
                meant = f"{rt} @ {_grouped(meant)}"
            elif n.kind == "mul" and _is_row(left) and len(right) == 2 and not _is_row(right):
                at.append(n.pos)  # a row broadcast over a matrix: x' @ A if A is square
                square.append(rt)
                meant = f"{meant} @ {rt}"
            else:
                meant = f"{meant} {symbol} {rt}"
            if n.kind == "mul" and _is_row(left) and left[1] != 1 and not right:
                self._row_times_forced_scalar(n, operands[i + 1])
            if n.kind == "matmul":
                self._outer_habit(n, left, right, operands[i + 1])
        if at:
            needs = f" (with {' and '.join(square)} square)" if square else ""
            self.note(at[0], " ".join([f"{as_written} is the elementwise product (as in NumPy; "
                                       f"the vector applies to each row or column): did you "
                                       f"mean {meant}{needs}?", *hints]))
        elif hints:
            first = next(n for n in spine if n.kind in ("mul", "div"))
            self.note(first.pos, " ".join([f"{as_written} is elementwise, with broadcasting:",
                                           *hints]))

    def _broadcast_hint(self, n: Raw, left: Shape, right: Shape) -> str | None:
        """What to say when step ``n`` broadcasts over a matrix a name that is a vector by
        the naming convention only, where a scalar was probably meant (``s * A``, ``X / c``)."""
        for raw, mine, other, matrix in ((n.children[0], left, right, n.children[1]),
                                         (n.children[1], right, left, n.children[0])):
            name = lone_name(raw)
            if name in self.conventional and len(mine) == 1 and _is_matrix(other):
                return (f"{name} is a vector by the naming convention (a lowercase name), "
                        f"broadcast over the rows of {written(self.text, matrix)}; declare "
                        f"{name}: scalar if it is a scalar.")
        return None

    def _row_times_forced_scalar(self, n: Raw, operand: Raw) -> None:
        """``x' * y`` (matrixcalculus.org's ``*``): ``y`` made a scalar for it to fit."""
        name = lone_name(operand)
        if name in self.forced:
            lt, rt = written(self.text, n.children[0]), written(self.text, operand)
            self.note(n.pos, f"{lt} * {rt} is the row {lt} times {rt}, which is read as a "
                             f"scalar, since a row and a vector have no elementwise product: "
                             f"did you mean {lt} @ {rt} (the inner product)? (declare {name}: "
                             f"scalar to say it is one)")

    def _outer_habit(self, n: Raw, left: Shape, right: Shape, operand: Raw) -> None:
        """``x @ y.T`` with vectors: the outer product here, the inner product in NumPy."""
        rt = written(self.text, operand)
        if (len(left) == 1 and _is_row(right) and operand.kind == "transpose"
                and rt.endswith(".T")):
            lt = written(self.text, n.children[0])
            self.note(n.pos, f"{lt} @ {rt} is the outer product here, a matrix, since "
                             f"{rt} is a row (in NumPy a 1-D {rt} is the vector itself and "
                             f"this is the inner product): write dot({lt}, "
                             f"{written(self.text, operand.children[0])}) "
                             f"for the inner product, outer(...) to say the outer product")

    def issue(self, stacklevel: int = 4) -> None:
        """Issue every note as a :class:`MatcalcWarning`."""
        for pos, message in self.notes:
            warnings.warn(MatcalcWarning(f"{message}\n{quote_with_caret(self.text, pos)}"),
                          stacklevel=stacklevel)

