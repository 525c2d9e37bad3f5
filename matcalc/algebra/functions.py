"""Users' own elementwise functions, with a derivative given in SymPy.

:func:`register_function` fills the same record as a built-in function, so a
user's function works in every stage.  It lives here, above the operator
records, because its derivative is translated from SymPy by the bridge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matcalc.algebra.sympy_bridge import from_sympy_scalar
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr
from matcalc.ops.elementwise import Elementwise, table


def register_function(name: str, derivative: Any, numpy_fn: Callable[[Any], Any] | None = None,
                      *, symbol: Any = None, latex: str | None = None) -> None:
    """Add an elementwise function ``name`` usable everywhere a built-in one is.

    ``derivative`` is its scalar derivative: a SymPy expression in ``symbol``
    (default: the only free symbol), written with functions matcalc knows,
    or ``None`` for a function without a derivative (differentiating through
    it raises :class:`DiffError`).  ``numpy_fn`` computes the value; without it
    the value is unknown and evaluation raises :class:`MatcalcError`.
    """
    if not name.isidentifier():
        raise MatcalcError(f"function name {name!r} is not an identifier")
    existing = table().get(name)
    if existing is not None and existing.builtin:
        raise MatcalcError(f"{name!r} is a built-in function and cannot be redefined")
    deriv: Callable[[Expr], Expr] | None = None
    if derivative is not None:
        import sympy

        expr = sympy.sympify(derivative)
        if symbol is None:
            free = sorted(expr.free_symbols, key=str)
            if len(free) > 1:
                raise MatcalcError(f"derivative of {name} has several symbols {free}; "
                                   "say which one is the argument with symbol=")
            symbol = free[0] if free else sympy.Symbol("x")

        def deriv(u: Expr, _e: Any = expr, _s: Any = symbol) -> Expr:
            return from_sympy_scalar(_e, _s, u)

    def missing_value(x: Any, _n: str = name) -> Any:
        raise MatcalcError(f"function {_n} has no numerical value: give numpy_fn when "
                           "registering it")

    table()[name] = Elementwise(name, numpy_fn or missing_value, deriv,
                                latex or rf"\operatorname{{{name}}}", builtin=False)
