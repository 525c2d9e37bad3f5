"""The language's surface names: which name or operator in the text calls which constructor.

The one place where the parser's vocabulary meets :mod:`matcalc.ops`.  Function
names come from the operator records (each carries its ``calls``) and the
function records; what remains here is the syntax: operators, the functions of
dimensions, and the calls with irregular arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from matcalc.core.dims import Dim
from matcalc.core.expr import Expr
from matcalc.ops import construct as c
from matcalc.ops.record import Call, calls
from matcalc.ops.record import function as lookup_elementwise


class DimFunction(NamedTuple):
    """A function whose arguments are dimensions: ``eye(n)``, ``ones(m, n)``."""

    lo: int  # fewest arguments
    hi: int  # most arguments
    build: Callable[[tuple[Dim, ...]], Expr]


# functions of arrays, by the names they are written with: from the operator records
CALLS: dict[str, Call] = calls()
DIM_FUNCTIONS: dict[str, DimFunction] = {  # arrays of any order
    "eye": DimFunction(1, 1, lambda dims: c.eye(dims[0])),
    "ones": DimFunction(1, 16, c.ones),
    "zeros": DimFunction(1, 16, c.zeros),
    "commutation": DimFunction(2, 2, lambda dims: c.commutation(dims[0], dims[1])),
}
# calls whose arguments are irregular (a spec string, an array then dimensions): built
# by hand in matcalc.lang.build
SPECIAL_CALLS = frozenset({"einsum", "unvec", "reshape"})
RESERVED = frozenset(CALLS) | frozenset(DIM_FUNCTIONS) | SPECIAL_CALLS | {"I", "where"}

# operators, by the kind of raw node the parser gives them
PREFIX: dict[str, Callable[[Expr], Expr]] = {"neg": c.neg, "transpose": c.transpose}
INFIX: dict[str, Callable[[Expr, Expr], Expr]] = {
    "add": c.add, "sub": c.sub, "mul": c.mul, "div": c.div, "matmul": c.matmul, "pow": c.power,
    # np.linalg.solve(A, b), which the parser reads as this node
    "solve": lambda a, b: c.matmul(c.inv(a), b)}


def is_elementwise(name: str) -> bool:
    """Whether ``name`` is an elementwise function (``exp``, a registered one ...)."""
    return lookup_elementwise(name) is not None


def elementwise(name: str, arg: Expr) -> Expr:
    return c.fn(name, arg)
