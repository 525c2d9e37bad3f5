"""Users' own elementwise functions, with a derivative given in SymPy.

:func:`register_function` fills the same record as a built-in function, so a
user's function works in every stage.  It lives here, above the operator
records, because its derivative is translated from SymPy by the bridge.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from matcalc.algebra.sympy_bridge import from_sympy_scalar
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr
from matcalc.ops import construct as c
from matcalc.ops.record import FUNCTIONS, Function, register_function_record


def register_function(name: str, derivative: Any, numpy_fn: Callable[[Any], Any] | None = None,
                      *, symbol: Any = None, latex: str | None = None,
                      fuzz: float = 0.0) -> None:
    """Add an elementwise function ``name`` usable everywhere a built-in one is.

    ``derivative`` is its scalar derivative: a SymPy expression in ``symbol``
    (default: the only free symbol), written with functions matcalc knows
    (text is read by :func:`matcalc.lang.functions.register_function`, never here),
    or ``None`` for a function without a derivative (differentiating through
    it raises :class:`DiffError`).  ``numpy_fn`` computes the value; without it
    the value is unknown and evaluation raises :class:`MatcalcError`.

    The record is the one built-in functions have: generated modules carry
    ``numpy_fn``'s source (a ``def`` whose source Python can read), the second
    opinion treats the function as a SymPy function with this derivative, and
    the fuzzer draws it with weight ``fuzz`` (0: never).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise MatcalcError(f"function name {name!r} is not an identifier")
    _check_options(name, numpy_fn, latex, fuzz)
    existing = FUNCTIONS.get(name)
    if existing is not None and existing.builtin:
        raise MatcalcError(f"{name!r} is a built-in function and cannot be redefined")
    deriv: Callable[[Expr], Expr] | None = None
    if derivative is not None:
        import sympy

        # never sympify text or unknown objects: SymPy evaluates strings as Python
        if isinstance(derivative, bool) or not isinstance(derivative, sympy.Basic | int):
            raise MatcalcError(f"the derivative of {name} must be a SymPy expression or text "
                               "in matcalc's language (\"exp(-x) / (1 + exp(-x))^2\"), "
                               f"not {type(derivative).__name__}")
        expr = sympy.Integer(derivative) if isinstance(derivative, int) else derivative
        derivative = expr
        if symbol is not None and not isinstance(symbol, sympy.Symbol):
            raise MatcalcError(f"symbol= names the argument of {name}'s derivative: a SymPy "
                               f"Symbol or its name, not {type(symbol).__name__}")
        if symbol is None:
            free = sorted(expr.free_symbols, key=str)
            if len(free) > 1:
                raise MatcalcError(f"derivative of {name} has several symbols {free}; "
                                   "say which one is the argument with symbol=")
            symbol = free[0] if free else sympy.Symbol("x")

        _check_translatable(name, expr, symbol)

        def deriv(u: Expr, _e: Any = expr, _s: Any = symbol) -> Expr:
            return from_sympy_scalar(_e, _s, u)

    def missing_value(x: Any, _n: str = name) -> Any:
        raise MatcalcError(f"function {_n} has no numerical value: give numpy_fn when "
                           "registering it")

    register_function_record(Function(
        name, numpy_fn or missing_value, deriv, latex or operator_latex(name),
        code=_code_name(numpy_fn), source=_source(numpy_fn),
        sympy=_sympy_function(name, derivative, symbol, numpy_fn), fuzz=fuzz, builtin=False))


def operator_latex(name: str) -> str:
    r"""``\operatorname{my\_f\_2}``: underscores escaped, other characters as text for KaTeX."""
    body = "".join(ch if ch.isascii() and ch.isalnum() else "\\_" if ch == "_"
                   else rf"\text{{{ch}}}" for ch in name)
    return rf"\operatorname{{{body}}}"


def _check_options(name: str, numpy_fn: Any, latex: Any, fuzz: Any) -> None:
    if numpy_fn is not None and not callable(numpy_fn):
        raise MatcalcError(f"numpy_fn of {name} must be a function of one array, not "
                           f"{type(numpy_fn).__name__}")
    if latex is not None and not isinstance(latex, str):
        raise MatcalcError(f"latex of {name} must be text, such as r'\\operatorname{{{name}}}'")
    if (isinstance(fuzz, bool) or not isinstance(fuzz, int | float)
            or not 0 <= fuzz < float("inf")):
        raise MatcalcError(f"fuzz of {name} is a weight, a non-negative number, not {fuzz!r}")


def _check_translatable(name: str, expr: Any, symbol: Any) -> None:
    """Refuse now a derivative that differentiation could not translate back from SymPy.

    It is translated once, applied to a scalar stand-in: a SymPy function matcalc
    has no counterpart of, another free symbol or a number that is not exact
    would otherwise surface only at the first ``diff`` through the function.
    """
    try:
        from_sympy_scalar(expr, symbol, c.var("_probe", ()))
    except (ValueError, TypeError, MatcalcError) as e:
        raise MatcalcError(f"the derivative of {name}, {str(expr)[:80]}, cannot be used: {e}; "
                           "write it with the argument "
                           f"{symbol} and functions matcalc knows (exp, log, sin, ...)") from None


def _code_name(numpy_fn: Callable[[Any], Any] | None) -> str | None:
    source = _source(numpy_fn)
    return getattr(numpy_fn, "__name__", None) if source is not None else None


def _source(numpy_fn: Callable[[Any], Any] | None) -> str | None:
    """The source of a module-level ``def`` (what a generated module can carry), else None."""
    if numpy_fn is None or getattr(numpy_fn, "__name__", "<lambda>") == "<lambda>":
        return None
    try:
        source = textwrap.dedent(inspect.getsource(numpy_fn))
    except (OSError, TypeError):
        return None
    return source if source.startswith("def ") else None


def _sympy_function(name: str, derivative: Any, symbol: Any,
                    numpy_fn: Callable[[Any], Any] | None) -> Any:
    """A SymPy function ``name`` whose derivative is ``derivative`` and value ``numpy_fn``."""
    import sympy

    def fdiff(self: Any, argindex: int = 1) -> Any:
        if derivative is None:
            raise sympy.ArgumentIndexError(self, argindex)
        return derivative.subs(symbol, self.args[0])

    def evalf(self: Any, prec: int) -> Any:
        if numpy_fn is None or not self.args[0].is_number:
            return None
        return sympy.Float(float(numpy_fn(float(self.args[0]))), prec)

    return type(name, (sympy.Function,), {"fdiff": fdiff, "_eval_evalf": evalf, "nargs": 1})
