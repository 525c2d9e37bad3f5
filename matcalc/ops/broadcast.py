"""Broadcasting a vector over the rows of a matrix, as NumPy does in ``X @ W + b``.

In ``+ - * /`` a matrix ``(m, n)`` with a vector ``(n,)`` or a row ``(1, n)``
applies the vector to every row (``C_ij = A_ij + b_j``); scalars combine with
anything, and nothing else broadcasts.  The sum or product keeps equal shapes
inside: the vector becomes a ``broadcast`` node of the matrix's shape, so every
stage after the constructors sees operands of one shape, and the derivative
rule of the node is the one place that sums over the broadcast axis.

Canonical forms: in a sum (a product) all broadcast operands are gathered into
one ``broadcast`` of their vector sum (product), which holds the coefficients;
a sum or product with no operand of the matrix's own shape is a ``broadcast``
of the vectors' sum or product itself.  A ``broadcast`` therefore has a sibling
of the full shape wherever it is an operand of ``+`` or ``*``, and the printers
write it there as the bare vector (``X @ W + b``), which reads back the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from matcalc.core.dims import Shape, dims_equal, format_shape, shapes_equal
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, make
from matcalc.ops import arith, matrix
from matcalc.ops.base import describe, is_row
from matcalc.ops.leaves import ones
from matcalc.ops.record import Op, register

BROADCAST = "broadcast"


def _is_matrix(shape: Shape) -> bool:
    """A matrix whose rows a vector can broadcast over (not a row: that has one)."""
    return len(shape) == 2 and not is_row(shape)


def elementwise_shape(what: str, operands: Sequence[Expr]) -> Shape:
    """The shape of an elementwise operation of ``operands``, with broadcasting.

    Scalars combine with anything; a vector ``(n,)`` or row ``(1, n)`` with a
    matrix ``(m, n)``; otherwise the shapes must be equal.
    """
    full = next((e for e in operands if _is_matrix(e.shape)), None)
    if full is None:
        full = next((e for e in operands if e.shape), None)
    if full is None:
        return ()
    j = list(operands).index(full)
    for i, e in enumerate(operands):
        if not e.shape or e is full:
            continue
        if _is_matrix(full.shape) and (e.ndim == 1 or is_row(e.shape)):
            # before equality, as in fits: a row never makes an inferred matrix a row
            if dims_equal(e.shape[-1], full.shape[1]):
                continue
            raise ShapeError(_mismatch(what, full, e), suspects=((i, 0),))
        if shapes_equal(full.shape, e.shape):
            continue
        low = i if e.ndim <= full.ndim else j
        raise ShapeError(f"cannot {what} {describe(full)} and {describe(e)}: shapes differ",
                         suspects=((low, 0),))
    return full.shape


def _mismatch(what: str, full: Expr, e: Expr) -> str:
    m, n = full.shape
    length = e.shape[-1]
    text = (f"cannot {what} {describe(full)} and {describe(e)}: a vector is applied to "
            f"every row of a matrix, so its length must be the number of columns, {n}")
    if dims_equal(length, m):
        column = e if e.ndim == 1 else matrix.transpose(e)
        text += (f"; to apply it to every column write {full} {_SYMBOL.get(what, '+')} "
                 f"outer({column}, ones({n})), or transpose the matrix")
    return text


_SYMBOL = {"add": "+", "multiply": "*", "divide": "/"}


def fits(a: Shape, b: Shape) -> Shape | None:
    """The shape of an elementwise operation of shapes ``a`` and ``b``, or None."""
    if not a or not b:
        return a or b
    # broadcasting first: a row with a matrix whose rows are still to be inferred
    # broadcasts (x' * A makes A a matrix, as its capital says), not a row of equal shape
    for big, small in ((a, b), (b, a)):
        if _is_matrix(big) and (len(small) == 1 or is_row(small)) and dims_equal(
                small[-1], big[1]):
            return big
    if shapes_equal(a, b):
        return a
    return None


def gather(operands: Sequence[Expr], shape: Shape,
           combine: Callable[..., Expr], kind: str) -> list[Expr] | Expr:
    """The operands of a sum or product (``kind``) of ``shape``, broadcasts gathered.

    Vectors, rows and ``broadcast`` nodes become one ``broadcast`` of their
    ``combine`` (the vectors' sum or product); the result is the new operand list,
    or one node when no operand has the full shape.
    """
    if not _is_matrix(shape):
        return list(operands)
    low: list[Expr] = []
    rest: list[Expr] = []
    for t in operands:
        for u in (t.args if t.op == kind else (t,)):
            if u.op == BROADCAST:
                low.append(u.args[0])
            elif u.ndim == 1:
                low.append(u)
            elif is_row(u.shape):
                low.append(matrix.transpose(u))
            else:
                rest.append(u)
    if not low:
        return list(operands)
    if not any(u.shape for u in rest):  # scalars only: they go into the vector
        return broadcast(combine(*rest, *low), shape)
    return [*rest, broadcast(combine(*low), shape)]


def broadcast(v: Expr, shape: Shape) -> Expr:
    """The vector ``v`` (n,) repeated over the rows of a matrix of ``shape`` (m, n)."""
    if v.ndim != 1 or not _is_matrix(shape) or not dims_equal(v.shape[0], shape[1]):
        raise ShapeError(f"cannot repeat {describe(v)} over the rows of a "
                         f"{format_shape(shape)} matrix")
    if v.op in ("zeros", "ones"):
        return make(v.op, (), (), shape)
    scalars, rest = arith.pull_scalars(v)
    if rest.op == "ones":  # a scalar times ones(n)
        return arith.mul(*scalars, ones(shape))
    return make(BROADCAST, (v,), (), shape)


def _value(v: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(v, shape).copy()  # a copy: later operations may write to it


def _sympy_value(node: Expr, a: list[np.ndarray], ctx: object) -> np.ndarray:
    rows = ctx.shape(node)[0]  # type: ignore[attr-defined]
    return np.array([list(a[0]) for _ in range(rows)], dtype=object)


register(
    Op(BROADCAST, 1, rebuild=lambda node, args: broadcast(args[0], node.shape),
       numpy=_value, shaped=True, code="np.broadcast_to({0}, {shape}).copy()", stem="rows",
       sympy=_sympy_value),
)
