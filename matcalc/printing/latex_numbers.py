"""Numbers in LaTeX: integers, decimals, ``\\frac{p}{q}`` and ``10^{-12}``."""

from __future__ import annotations

from fractions import Fraction

from matcalc.core.expr import Number
from matcalc.printing.numbers import finite_decimal, format_number
from matcalc.printing.precedence import ATOM, MUL, POW


def number_latex(v: Number) -> tuple[str, int, bool]:
    """A non-negative number: text, precedence, whether it ends in a superscript.

    Integers as they are; fractions whose denominator is a power of ten (typed
    as decimals) or over 1000 as decimals, ``1e-12`` as ``10^{-12}``; others as
    ``\\frac{p}{q}``.
    """
    if isinstance(v, int) or v.denominator == 1:
        return str(int(v)), ATOM, False
    if not decimal_style(v):
        return rf"\frac{{{v.numerator}}}{{{v.denominator}}}", MUL, False
    text = format_number(v)
    if "e" not in text:
        return text, ATOM, False
    mantissa, exponent = text.split("e")
    if mantissa == "1":
        return f"10^{{{exponent}}}", POW, True
    return rf"{mantissa} \cdot 10^{{{exponent}}}", MUL, True


def decimal_style(v: Fraction) -> bool:
    """Written as a decimal: a power of ten below (``0.1``) or a long ``\\frac`` (``1.5e-12``)."""
    q = v.denominator
    while q % 10 == 0:
        q //= 10
    return q == 1 or (v.denominator > 1000 and finite_decimal(v))
