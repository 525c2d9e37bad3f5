"""Helpers every constructor shares: exact numbers, operand descriptions, the walk.

Numbers are exact (``int`` or ``Fraction``) so that ``0.5 * 2`` is exactly 1.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator, Sequence
from fractions import Fraction
from typing import Any, TypeVar

from matcalc.core.dims import Shape, dims_equal, format_shape, shapes_equal
from matcalc.core.errors import ParseError, ShapeError
from matcalc.core.expr import Expr, Number

R = TypeVar("R")


MAX_DIGITS = 1000  # numbers (numerators and denominators) have at most this many digits


NUMBER_LIMIT = 10**MAX_DIGITS


def number(v: int | Fraction | float | str) -> Number:
    """An exact number; Fractions with denominator 1 become ints."""
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, str):  # "1e99999999" must not make Fraction build a huge integer
        mantissa, _, exponent = v.lower().partition("e")
        if len(mantissa) > 4 * MAX_DIGITS or len(exponent) > 6 or (
                exponent and abs(int(exponent)) > 4 * MAX_DIGITS):
            raise ParseError(f"the number {cut(v)} has more than {MAX_DIGITS} digits, "
                             "the limit")
    if isinstance(v, float | str):
        v = Fraction(v)
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v.numerator)
    return v


def cut(text: str, width: int = 20) -> str:
    return text if len(text) <= width else text[:width] + "..."


class ShapeOnly:
    """Stands for a partial product in error messages."""

    def __init__(self, shape: Shape):
        self.shape = shape
        self.ndim = len(shape)

    def __str__(self) -> str:
        return "the product"


def describe(e: Expr | ShapeOnly) -> str:
    """``A (m×n)`` — a short name for an operand in error messages."""
    text = str(e)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({format_shape(e.shape)})"


def is_const(e: Expr, value: Number | None = None) -> bool:
    return e.op == "const" and (value is None or e.attrs[0] == value)


def is_zero(e: Expr) -> bool:
    return (e.op == "const" and e.attrs[0] == 0) or e.op == "zeros"


def is_row(shape: Shape) -> bool:
    return len(shape) == 2 and shape[0] == 1


def is_square(shape: Shape) -> bool:
    return len(shape) == 2 and dims_equal(shape[0], shape[1])


def broadcast_shape(what: str, operands: Sequence[Expr]) -> Shape:
    """Shape of an elementwise operation: scalars broadcast, other shapes must agree."""
    shape: Shape = ()
    first: Expr | None = None
    for i, e in enumerate(operands):
        if not e.shape:
            continue
        if first is None:
            shape, first = e.shape, e
            continue
        if not shapes_equal(shape, e.shape):
            j = operands.index(first)
            low = i if e.ndim <= first.ndim else j
            raise ShapeError(
                f"cannot {what} {describe(first)} and {describe(e)}: shapes differ",
                suspects=((low, 0),))
    return shape


def require(ok: bool, message: str | Callable[[], str], rank: int) -> None:
    # message may be a lambda: describing an operand prints it, which is too slow to do
    # for every node of a deep expression when nothing is wrong
    if not ok:
        raise ShapeError(message() if callable(message) else message, suspects=((0, rank),))


def walk(step: Callable[[Expr], Generator[Expr, R, R]], root: Expr,
          cache: weakref.WeakKeyDictionary[Expr, weakref.ref[Any]] | None = None) -> R:
    """``step(root)`` for a recursive ``step`` written as a generator, without recursion.

    ``step`` yields an operand to get ``step`` of it back, so deep expressions need no
    Python stack; results are memoised, so each shared subexpression is visited once.
    ``cache`` (weak, for Expr results) keeps results from one call to the next.
    """
    memo: dict[int, tuple[Expr, R]] = {}  # id -> (node, result); the node keeps the id unique

    def known(e: Expr) -> tuple[bool, Any]:
        if id(e) in memo:
            return True, memo[id(e)][1]
        ref = cache.get(e) if cache is not None else None
        hit = ref() if ref is not None else None
        return hit is not None, hit

    done, value = known(root)
    if done:
        return value  # type: ignore[no-any-return]
    stack = [(root, step(root))]
    while stack:
        node, gen = stack[-1]
        try:
            child = gen.send(value)
        except StopIteration as stop:
            stack.pop()
            memo[id(node)] = (node, stop.value)
            if cache is not None:
                cache[node] = weakref.ref(stop.value)
            value = stop.value
            continue
        done, value = known(child)
        if not done:
            stack.append((child, step(child)))
            value = None
    return value  # type: ignore[no-any-return]
