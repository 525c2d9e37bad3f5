"""Sums, products, powers: elementwise arithmetic with broadcasting.

Scalars broadcast over anything, and a vector over the rows of a matrix
(:mod:`matcalc.ops.broadcast`: ``X @ W + b``).

Canonical forms: sums and products are flat and n-ary, like terms are collected
(``A@x + A@x`` → ``2 * A @ x``), numbers are folded, ``0*`` and ``1*`` vanish;
negation is the coefficient -1 and distributes over sums.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, Number, make
from matcalc.ops import broadcast as bc
from matcalc.ops import linalg
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import MAX_DIGITS, describe, is_zero, number
from matcalc.ops.leaves import const, ones, zeros
from matcalc.ops.record import Op, register


def pull_scalars(a: Expr) -> tuple[list[Expr], Expr]:
    """Scalar factors of a product, and the rest (for linear operators)."""
    if a.op == "mul" and a.shape and any(not f.shape for f in a.args):
        return [f for f in a.args if not f.shape], mul(*(f for f in a.args if f.shape))
    return [], a


def split_coefficient(e: Expr) -> tuple[Number, Expr | None]:
    """``e`` as coefficient × rest (rest None for a plain number)."""
    if e.op == "const":
        return e.attrs[0], None
    if e.op == "mul" and e.args[0].op == "const":
        rest = e.args[1:]
        return e.args[0].attrs[0], rest[0] if len(rest) == 1 else make(
            "mul", rest, (), e.shape)
    return 1, e


def add(*terms: Expr) -> Expr:
    shape = bc.elementwise_shape("add", terms)
    gathered = bc.gather(terms, shape, add, "add")
    if isinstance(gathered, Expr):
        return gathered
    terms = tuple(gathered)
    flat: list[Expr] = []
    stack = list(reversed(terms))
    while stack:
        t = stack.pop()
        if t.op == "add":
            stack.extend(reversed(t.args))
        elif shape and t.op == "mul" and t.args[-1].op == "ones" and _scalar_sum(t):
            # (s + t) * ones(n) in a sum of arrays is s * ones(n) + t * ones(n), so that
            # it cancels against (-s - t) * ones(n), the negation distributed
            coeff, rest = split_coefficient(mul(*t.args[:-1]))
            stack.extend(reversed([mul(scale(coeff, u), t.args[-1])
                                   for u in (rest.args if rest is not None else ())]))
        else:
            flat.append(t)
    constant: Number = 0
    constant_at: int | None = None
    constant_ones = False
    groups: dict[int, list[Any]] = {}  # id(rest) -> [coefficient, rest, position, ones]
    for pos, t in enumerate(flat):
        if is_zero(t):
            continue
        coeff, rest = split_coefficient(t)
        # in a sum of arrays, c * ones(n) is a like term of the number c, and s * ones(n)
        # of s, so that (zeros(n) + s) - s * ones(n) cancels however it is grouped; the
        # term keeps its ones(n) when any of its parts had it
        with_ones = False
        if shape and rest is not None and rest.op == "ones":
            rest, with_ones = None, True
        elif shape and rest is not None and rest.op == "mul" and rest.args[-1].op == "ones":
            rest, with_ones = mul(*rest.args[:-1]), True
        if rest is None:
            constant += coeff
            constant_at = pos if constant_at is None else constant_at
            constant_ones = constant_ones or with_ones
            continue
        g = groups.get(id(rest))
        if g is None:
            groups[id(rest)] = [coeff, rest, pos, with_ones]
        else:
            g[0] += coeff
            g[3] = g[3] or with_ones
    items: list[tuple[int, Expr]] = []
    for coeff, rest, pos, with_ones in groups.values():
        if coeff != 0:
            term = scale(coeff, rest)
            items.append((pos, mul(term, ones(shape)) if with_ones else term))
    if constant != 0 and constant_at is not None:
        items.append((constant_at, scale(constant, ones(shape)) if constant_ones
                      else const(constant)))
    items.sort(key=lambda it: it[0])
    out = [e for _, e in items]
    if not out:
        return zeros(shape)
    if any(e.op == "add" for e in out):  # 1 * (a + b) collected from halves: flatten
        return add(*out, *([zeros(shape)] if shape else []))
    # positive terms first, so that a sum reads "a - b" rather than "-b + a"
    out.sort(key=lambda e: split_coefficient(e)[0] < 0)
    if shape and not any(t.shape for t in out):  # scalars left over from broadcasting
        return mul(out[0] if len(out) == 1 else make("add", tuple(out), (), ()), ones(shape))
    if len(out) == 1:
        return out[0]
    diagonals = [_diagonal_of(t) for t in out]
    if all(d is not None for d in diagonals):  # diag(a) + 2 * diag(b) = diag(a + 2 * b)
        return linalg.diag(add(*diagonals))  # type: ignore[arg-type]
    return make("add", tuple(out), (), shape)


def _scalar_sum(t: Expr) -> bool:
    """Whether ``t`` is (c *) (a sum of scalars) * ones(...)."""
    scalars = [f for f in t.args[:-1] if f.op != "const"]
    return len(scalars) == 1 and scalars[0].op == "add" and not scalars[0].shape


def _diagonal_of(t: Expr) -> Expr | None:
    """v for a term c * diag(v), else None."""
    coeff, rest = split_coefficient(t)
    if rest is not None and rest.op == linalg.DIAG:
        return scale(coeff, rest.args[0])
    return None


def neg(a: Expr) -> Expr:
    return scale(-1, a)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


def scale(c: Number, e: Expr) -> Expr:
    """``c * e`` for a number ``c``; distributes -1 over sums."""
    c = number(c)
    if c == 1:
        return e
    if c == 0:
        return zeros(e.shape)
    if e.op == "add" and c == -1:
        return add(*(scale(-1, t) for t in e.args))
    return mul(const(c), e)


def _base_exponent(e: Expr) -> tuple[Expr, Number | Expr]:
    """``a^p`` as ``(a, p)``: a number, or an expression (``det(A)^(n - 1)``)."""
    if e.op == "pow" and e.args[1].op == "const":
        return e.args[0], e.args[1].attrs[0]
    if e.op == "pow":
        return e.args[0], e.args[1]
    return e, 1


def _exponent_sum(a: Number | Expr, b: Number | Expr) -> Number | Expr:
    """``a + b`` of two exponents: ``a^(n - 1) * a`` is ``a^n`` (a number where it is one)."""
    if not isinstance(a, Expr) and not isinstance(b, Expr):
        return a + b
    total = add(a if isinstance(a, Expr) else const(a), b if isinstance(b, Expr) else const(b))
    return total.attrs[0] if total.op == "const" else total


def mul(*factors: Expr) -> Expr:
    shape = bc.elementwise_shape("multiply", factors)
    gathered = bc.gather(factors, shape, mul, "mul")
    if isinstance(gathered, Expr):
        return gathered
    factors = tuple(gathered)
    flat: list[Expr] = []
    stack = list(reversed(factors))
    while stack:
        f = stack.pop()
        if f.op == "mul":
            stack.extend(reversed(f.args))
        else:
            flat.append(f)
    coeff: Number = 1
    groups: dict[int, list[Any]] = {}  # id(base) -> [exponent, base, position]
    others: list[tuple[int, Expr]] = []
    for pos, f in enumerate(flat):
        if f.op == "const":
            coeff *= f.attrs[0]
            continue
        if f.op == "zeros":
            return zeros(shape)
        if f.op == "ones":
            continue
        base, exponent = _base_exponent(f)
        g = groups.get(id(base))
        if g is None:
            groups[id(base)] = [exponent, base, pos, f]
        else:
            g[0] = _exponent_sum(g[0], exponent)
            g[3] = None  # combined: the factor is built anew
    coeff = number(coeff)
    if coeff == 0:
        return zeros(shape)
    items = list(others)
    for exponent, base, pos, alone in groups.values():
        if alone is not None:  # met once: the factor itself (no new power node to build)
            items.append((pos, alone))
        elif isinstance(exponent, Expr):
            items.append((pos, power(base, exponent)))
        elif exponent != 0:
            items.append((pos, power(base, const(exponent))))
    if any(e.op == "mul" for _, e in items):  # (a * b)^-1 came back as a^-1 * b^-1: flatten
        return mul(const(coeff), *(e for _, e in sorted(items, key=lambda it: it[0])),
                   *([ones(shape)] if shape else []))
    # scalar factors before arrays, numerators before denominators, dimensions before
    # other scalars (``m * det(X)^m``, as the books write a size; the number is first
    # already): the printed order, so that parsing the text gives back the same node;
    # else as they came
    items.sort(key=lambda it: (bool(it[1].shape), _is_denominator(it[1]),
                               it[1].op != "dim", it[0]))
    out = [e for _, e in items]
    if not out:  # a number, or a number times ones(...) (scale would come back here)
        if not shape or coeff == 1:
            return ones(shape) if shape else const(coeff)
        return make("mul", (const(coeff), ones(shape)), (), shape)
    if not any(e.shape for e in out) and shape:
        out.append(ones(shape))  # scalar times ones(...): keep the shape
    if coeff == -1 and len(out) == 1 and out[0].op == "add":
        return add(*(neg(t) for t in out[0].args))
    if coeff != 1:
        out.insert(0, const(coeff))
    if len(out) == 1:
        return out[0]
    return make("mul", tuple(out), (), shape)


def _is_denominator(e: Expr) -> bool:
    return e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0


def div(a: Expr, b: Expr) -> Expr:
    if b.op == "const":
        if b.attrs[0] == 0:
            raise ShapeError(f"division of {describe(a)} by zero")
        return mul(a, const(Fraction(1) / b.attrs[0]))
    bc.elementwise_shape("divide", (a, b))
    return mul(a, power(b, const(-1)))


def power(base: Expr, exponent: Expr) -> Expr:
    if exponent.shape:
        raise ShapeError(f"the exponent {describe(exponent)} must be a scalar",
                         suspects=((1, 0),))
    if exponent.op == "const":
        p = exponent.attrs[0]
        if p == 1:
            return base
        if p == 0:
            return ones(base.shape)
        if base.op == "const":
            folded = _fold_power(base.attrs[0], p)
            if folded is not None:
                return const(folded)
        if isinstance(p, int):
            if base.op == "pow" and base.args[1].op == "const":
                return power(base.args[0], const(base.args[1].attrs[0] * p))
            if base.op == "mul":
                return mul(*(power(f, exponent) for f in base.args))
            if base.op == "ones":
                return base
        if base.op == "eye" and p > 0:  # entries 0 and 1, each its own positive power
            return base
    if base.op == "const" and base.attrs[0] == 1:
        return base
    return make("pow", (base, exponent), (), base.shape)


def _fold_power(b: Number, p: Number) -> Number | None:
    if b == 0 and p < 0:
        raise ShapeError(f"0 to the power {p} is a division by zero")
    size: int = max(abs(Fraction(b).numerator), Fraction(b).denominator).bit_length()
    if size * abs(Fraction(p)) > 4 * MAX_DIGITS or Fraction(p).denominator > 64:
        return None  # too large to fold (2^99999999): it stays a power
    if isinstance(p, int):
        return number(Fraction(b) ** p)
    import sympy

    r = sympy.Rational(b) ** sympy.Rational(p)
    if r.is_Rational:
        return number(Fraction(int(r.p), int(r.q)))
    return None


def _add_values(*xs: Any) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _mul_values(*xs: Any) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _power_values(b: Any, p: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):  # 0^-1 is inf, as NumPy says
        return np.power(b, p)


register(
    Op("add", None, rebuild=lambda node, args: add(*args), numpy=_add_values, stem="s",
       sympy=sa.fold(lambda x, y: sa.zip_entries(lambda p, q: p + q, x, y))),
    Op("mul", None, rebuild=lambda node, args: mul(*args), numpy=_mul_values, stem="p",
       sympy=sa.fold(lambda x, y: sa.zip_entries(lambda p, q: p * q, x, y))),
    # a non-integer power needs a positive base, and its sign is watched; sampling
    # and verify make the exception for an integer exponent themselves
    Op("pow", 2, rebuild=lambda node, args: power(*args), numpy=_power_values, stem="pw",
       domain="positive", kink="sign",
       sympy=lambda node, a, ctx: sa.zip_entries(sa.power, a[0], a[1])),
)
