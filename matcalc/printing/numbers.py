"""Exact decimal text for the numbers of expressions."""

from __future__ import annotations

from fractions import Fraction


def finite_decimal(v: Fraction) -> bool:
    """Whether ``v`` has a terminating decimal expansion."""
    q = v.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def format_number(v: int | Fraction) -> str:
    """The shortest exact text for ``v``: ``2``, ``0.5``, ``1e-12``, or ``1/3`` (p/q)."""
    if isinstance(v, int):
        return str(v)
    if v.denominator == 1:
        return str(v.numerator)
    if not finite_decimal(v):
        return f"{v.numerator}/{v.denominator}"
    sign = "-" if v < 0 else ""
    v = abs(v)
    k = 0
    while (v * 10**k).denominator != 1:
        k += 1
    digits = str((v * 10**k).numerator)
    if len(digits) > k:
        head, tail = digits[:-k], digits[-k:]
        return f"{sign}{head}.{tail}"
    zeros = k - len(digits)
    if zeros <= 6:
        return f"{sign}0.{'0' * zeros}{digits}"
    mantissa = digits.rstrip("0") or "0"
    exponent = len(digits) - k - 1
    if len(mantissa) > 1:
        mantissa = f"{mantissa[0]}.{mantissa[1:]}"
    return f"{sign}{mantissa}e{exponent}"
