"""The language's surface names: which name or operator in the text calls which constructor.

The one place where the parser's vocabulary meets :mod:`matcalc.ops.construct`.
Each table maps what is written (a function name, or the raw-tree kind of an
operator) to the constructor that builds its node, so that a later edit can
replace the tables with a lookup in the operator records, each of which will
carry its surface names and constructor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from matcalc.core.dims import Dim
from matcalc.core.expr import Expr
from matcalc.ops import construct as c
from matcalc.ops.elementwise import lookup as lookup_elementwise


class DimFunction(NamedTuple):
    """A function whose arguments are dimensions: ``eye(n)``, ``ones(m, n)``."""

    lo: int  # fewest arguments
    hi: int  # most arguments
    build: Callable[[tuple[Dim, ...]], Expr]


# functions of one or two arrays, by the names they are written with
UNARY: dict[str, Callable[[Expr], Expr]] = {
    "sum": c.sum_, "norm": c.norm, "norm1": c.norm1, "norminf": c.norminf,
    "tr": c.trace, "trace": c.trace, "det": c.det, "logdet": c.logdet, "inv": c.inv,
    "diag": c.diag, "softmax": c.softmax, "logsumexp": c.logsumexp, "vec": c.vec,
    "ismax": c.ismax,
}
BINARY: dict[str, Callable[[Expr, Expr], Expr]] = {"dot": c.dot, "outer": c.outer,
                                                   "kron": c.kron}
DIM_FUNCTIONS: dict[str, DimFunction] = {  # arrays of any order
    "eye": DimFunction(1, 1, lambda dims: c.eye(dims[0])),
    "ones": DimFunction(1, 16, c.ones),
    "zeros": DimFunction(1, 16, c.zeros),
}
# calls whose arguments are irregular (a spec string, an array then dimensions): built
# by hand in matcalc.lang.build
SPECIAL_CALLS = frozenset({"einsum", "unvec", "reshape"})
RESERVED = frozenset(UNARY) | frozenset(BINARY) | frozenset(DIM_FUNCTIONS) | SPECIAL_CALLS | {
    "I", "where"}

# operators, by the kind of raw node the parser gives them
PREFIX: dict[str, Callable[[Expr], Expr]] = {"neg": c.neg, "transpose": c.transpose}
INFIX: dict[str, Callable[[Expr, Expr], Expr]] = {
    "add": c.add, "sub": c.sub, "mul": c.mul, "div": c.div, "matmul": c.matmul, "pow": c.power}


def is_elementwise(name: str) -> bool:
    """Whether ``name`` is an elementwise function (``exp``, a registered one ...)."""
    return lookup_elementwise(name) is not None


def elementwise(name: str, arg: Expr) -> Expr:
    return c.fn(name, arg)
