"""Leaves: numbers, variables, sizes, and the constant arrays zeros, ones and eye."""

from __future__ import annotations

from fractions import Fraction

from matcalc.core.dims import Dim, Shape, canonical_dim, dims_equal, format_shape
from matcalc.core.errors import ParseError, ShapeError
from matcalc.core.expr import Expr, make
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import MAX_DIGITS, NUMBER_LIMIT, number
from matcalc.ops.record import Op, register


def const(v: int | Fraction | float | str) -> Expr:
    n = number(v)
    if abs(n.numerator) >= NUMBER_LIMIT or n.denominator >= NUMBER_LIMIT:
        raise ParseError(f"a number with more than {MAX_DIGITS} digits arose; "
                         f"{MAX_DIGITS} digits is the limit")
    return make("const", (), (n,), ())


def var(name: str, shape: Shape = (), structure: str = "") -> Expr:
    if structure and (len(shape) != 2 or not dims_equal(shape[0], shape[1])):
        raise ShapeError(f"{name} is declared {structure} but its shape "
                         f"{format_shape(shape)} is not square")
    return make("var", (), (name, structure), tuple(map(canonical_dim, shape)))


def dim(d: Dim) -> Expr:
    """The size of dimension ``d`` as a scalar.

    A product ``m*p`` is the product ``m * p`` of its factors' sizes, so that
    ``tr(eye(m*p))``, ``m * p`` and a rule's count of entries are one node and
    fold with other powers of ``m`` and ``p`` (``tr(eye(m))^3 * m`` is ``m^4``); a
    ``dim`` node is always a single name.
    """
    if isinstance(d, int):
        return const(d)
    if "*" in d:
        from matcalc.ops import arith  # arith is built on the leaves: imported on first use

        return arith.mul(*(dim(int(f) if f.isdigit() else f) for f in d.split("*")))
    return make("dim", (), (d,), ())


def zeros(shape: Shape) -> Expr:
    return const(0) if not shape else make("zeros", (), (), tuple(shape))


def ones(shape: Shape) -> Expr:
    return const(1) if not shape else make("ones", (), (), tuple(shape))


def eye(n: Dim) -> Expr:
    return make("eye", (), (), (n, n))


# the printers, the parser and the binder of values treat leaves themselves
register(
    Op("const", 0, leaf=True, stem="c",
       sympy=lambda node, a, ctx: sa.scalar(sa.number(node.attrs[0]))),
    Op("var", 0, leaf=True, sympy=lambda node, a, ctx: ctx.variables[node.name]),
    Op("dim", 0, leaf=True, stem="size",
       sympy=lambda node, a, ctx: sa.scalar(sa.integer(ctx.sizes[node.attrs[0]]))),
    Op("zeros", 0, leaf=True, stem="zeros",
       sympy=lambda node, a, ctx: sa.filled(ctx.shape(node), 0)),
    Op("ones", 0, leaf=True, stem="ones",
       sympy=lambda node, a, ctx: sa.filled(ctx.shape(node), 1)),
    Op("eye", 0, leaf=True, stem="eye", sympy=lambda node, a, ctx: sa.eye(ctx.shape(node)[0])),
)
