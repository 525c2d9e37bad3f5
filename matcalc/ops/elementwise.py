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

from matcalc.core.errors import DiffError

if TYPE_CHECKING:
    from matcalc.core.expr import Expr


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
    from matcalc.ops import construct as c

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


def derivative_of(name: str, u: Expr) -> Expr:
    entry = lookup(name)
    if entry is None or entry.derivative is None:
        raise DiffError(f"function {name} has no derivative: register one with "
                        "matcalc.register_function")
    return entry.derivative(u)
