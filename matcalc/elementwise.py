"""Elementwise functions: value, scalar derivative and LaTeX name, one entry each.

The derivative is given as a function of the argument expression ``u`` and
returns ``f'(u)`` (elementwise).  Users add their own functions with
:func:`register_function`, giving the scalar derivative as a SymPy expression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DiffError, MatcalcError

if TYPE_CHECKING:
    from .expr import Expr


@dataclass(frozen=True)
class Elementwise:
    name: str
    numpy: Callable[[Any], Any]
    derivative: Callable[[Expr], Expr] | None  # u -> f'(u); None: no derivative known
    latex: str  # LaTeX operator name, e.g. r"\tanh"
    builtin: bool = True


def _sigmoid(x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out if out.ndim else out[()]


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def _relu(x: Any) -> Any:
    return np.maximum(x, 0.0)


def _step(x: Any) -> Any:
    return np.where(np.asarray(x) > 0, 1.0, 0.0)[()]


def _sign(x: Any) -> Any:
    return np.sign(np.asarray(x, dtype=float))[()]


def _rules() -> dict[str, Elementwise]:
    from . import construct as c

    one = c.const(1)
    two = c.const(2)

    def zero_like(u: Expr) -> Expr:
        return c.zeros(u.shape)

    table = [
        Elementwise("exp", np.exp, lambda u: c.fn("exp", u), r"\exp"),
        Elementwise("log", np.log, lambda u: c.power(u, c.const(-1)), r"\log"),
        Elementwise("sin", np.sin, lambda u: c.fn("cos", u), r"\sin"),
        Elementwise("cos", np.cos, lambda u: c.neg(c.fn("sin", u)), r"\cos"),
        Elementwise("tan", np.tan,
                    lambda u: c.add(one, c.power(c.fn("tan", u), two)), r"\tan"),
        Elementwise("tanh", np.tanh,
                    lambda u: c.sub(one, c.power(c.fn("tanh", u), two)), r"\tanh"),
        Elementwise("sinh", np.sinh, lambda u: c.fn("cosh", u), r"\sinh"),
        Elementwise("cosh", np.cosh, lambda u: c.fn("sinh", u), r"\cosh"),
        Elementwise("sqrt", np.sqrt,
                    lambda u: c.div(one, c.mul(two, c.fn("sqrt", u))), r"\sqrt"),
        Elementwise("abs", np.abs, lambda u: c.fn("sign", u), r"\operatorname{abs}"),
        Elementwise("sigmoid", _sigmoid,
                    lambda u: c.mul(c.fn("sigmoid", u), c.sub(one, c.fn("sigmoid", u))),
                    r"\sigma"),
        Elementwise("softplus", _softplus, lambda u: c.fn("sigmoid", u),
                    r"\operatorname{softplus}"),
        Elementwise("relu", _relu, lambda u: c.fn("step", u), r"\operatorname{relu}"),
        Elementwise("sign", _sign, zero_like, r"\operatorname{sign}"),
        Elementwise("step", _step, zero_like, r"\operatorname{step}"),
    ]
    return {e.name: e for e in table}


_table: dict[str, Elementwise] | None = None


def table() -> dict[str, Elementwise]:
    global _table
    if _table is None:
        _table = _rules()
    return _table


def lookup(name: str) -> Elementwise | None:
    return table().get(name)


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
        from .sympy_bridge import from_sympy_scalar

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


def derivative_of(name: str, u: Expr) -> Expr:
    entry = lookup(name)
    if entry is None or entry.derivative is None:
        raise DiffError(f"function {name} has no derivative: register one with "
                        "matcalc.register_function")
    return entry.derivative(u)
