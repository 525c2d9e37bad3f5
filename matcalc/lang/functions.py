"""``register_function`` as users call it: the name and a text derivative read by the language.

The record itself is made by :func:`matcalc.algebra.functions.register_function`,
which takes a derivative only as a SymPy expression.  Here, where the language's
names and parser are known, the name is normalised as the parser reads names
(NFKC), refused when the language already uses it (``sum``, ``I``, ``where``, a
built-in function or operator), and a derivative given as text is parsed by
matcalc's own parser, never evaluated: ``"exp(-x) / (1 + exp(-x))^2"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matcalc.algebra.functions import register_function as register_record
from matcalc.algebra.sympy_bridge import Translation
from matcalc.core.errors import MatcalcError
from matcalc.lang.infer import parse
from matcalc.lang.parser import normal_name
from matcalc.lang.surface import RESERVED, is_elementwise
from matcalc.ops.record import function as function_record

__all__ = ["register_function"]


def register_function(name: str, derivative: Any, numpy_fn: Callable[[Any], Any] | None = None,
                      *, symbol: Any = None, latex: str | None = None,
                      fuzz: float = 0.0) -> None:
    """Add an elementwise function ``name`` usable everywhere a built-in one is.

    ``derivative`` is its scalar derivative: a SymPy expression in ``symbol``, or
    text in matcalc's language in the argument ``symbol`` (default: its only
    variable), such as ``"exp(-x) / (1 + exp(-x))^2"``, or ``None``.  The
    rest is as in :func:`matcalc.algebra.functions.register_function`.
    """
    if not isinstance(name, str):
        raise MatcalcError(f"a function name must be a string, not {type(name).__name__}")
    name = normal_name(name)
    if not name.isidentifier():
        raise MatcalcError(f"function name {name!r} is not an identifier")
    if name in RESERVED or (is_elementwise(name) and _builtin(name)):
        raise MatcalcError(f"{name!r} is already a name of matcalc's language (a built-in "
                           "function, operator or keyword); register the function under "
                           "another name")
    if isinstance(derivative, str):
        derivative, symbol = _from_text(name, derivative, symbol)
    elif isinstance(symbol, str):
        import sympy

        symbol = sympy.Symbol(normal_name(symbol))
    register_record(name, derivative, numpy_fn, symbol=symbol, latex=latex, fuzz=fuzz)


def _builtin(name: str) -> bool:
    entry = function_record(name)
    return entry is not None and entry.builtin


def _from_text(name: str, text: str, symbol: Any) -> tuple[Any, Any]:
    """A derivative written in matcalc's language, as a SymPy expression and its symbol."""
    wanted = None if symbol is None else normal_name(str(symbol))
    try:
        first = parse(text)
        names = sorted(first.variables()) or [wanted or "x"]
        if wanted is None and len(names) > 1:
            raise MatcalcError(f"the derivative of {name} has several variables "
                               f"({', '.join(names)}); say which one is the argument with "
                               "symbol=")
        arg = wanted or names[0]
        e = parse(text, shapes={n: () for n in {*names, arg}})
    except MatcalcError as err:
        raise MatcalcError(f"the derivative of {name} could not be read: {err}") from None
    others = sorted(set(e.variables()) - {arg})
    if others:
        raise MatcalcError(f"the derivative of {name} may use only its argument {arg}, "
                           f"not {', '.join(others)}")
    t = Translation()
    s = t.to_sympy(e)
    var = e.variables().get(arg)
    leftover = [x for x in t.back.values() if x is not var]
    if leftover:
        raise MatcalcError(f"the derivative of {name} uses {leftover[0]}, which has no "
                           "SymPy form; write it with arithmetic and functions such as exp, log, "
                           "tanh (sigmoid(x) as 1 / (1 + exp(-x)))")
    import sympy

    return s, (t.atoms[id(var)] if var is not None else sympy.Symbol(arg))
