"""``check``: is a person's own derivation right, and where does it go wrong (SPEC section 4)?

How a check goes:

1. **The claims** are parsed with the shapes of ``f``
   (:mod:`matcalc.check.claims`); each must have the derivative's shape or
   another layout of it.
2. **The derivative** is ``diff(f, x)`` (``order`` times), itself verified
   against finite differences by :func:`~matcalc.check.verify.verify`, so the
   check leans on nothing unchecked.
3. **Points** are drawn as ``verify`` draws them
   (:func:`~matcalc.check.verify.find_point`: domains, spd matrices, away from
   kinks and poles) at small *distinct* sizes, so that a transpose or a
   mis-contraction cannot agree by accident, and at a second set of sizes, so
   that a factor ``n`` is told from a constant.
4. **Each claim** is evaluated there and compared with the derivative; a
   wrong one is diagnosed by :func:`~matcalc.check.diagnosis.diagnose`.  Where
   ``simplify(claim - derivative)`` is zero, the claim is also "equal
   symbolically".

A list of claims is read as the lines of a derivation: each is checked, and
the first wrong one is where the derivation goes wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from matcalc.check.check_report import CheckReport, ClaimResult
from matcalc.check.claims import parse_claim, shape_fits
from matcalc.check.diagnosis import Finding, Sample, diagnose, difference
from matcalc.check.sampling import SIZES, choose_sizes
from matcalc.check.verify import find_point, verify
from matcalc.core.errors import DiffError, MatcalcError, ShapeError
from matcalc.core.expr import Expr, related_variables

__all__ = ["POINTS", "check"]

POINTS = 3  # points at the first sizes; one more at the second sizes
SECOND_SIZES = tuple(s + 4 for s in SIZES)  # (7, 8, 9, 6, ...): every free size changes


def check(f: Expr, x: str | Expr, claims: str | Expr | Sequence[str | Expr], *,
          dims: Mapping[str, int] | None = None, seed: int = 0, order: int = 1,
          layout: str = "denominator") -> CheckReport:
    """Check each claimed derivative of ``f`` by ``x``; see the module doc.

    ``claims``: one expression or a list of them (text or parsed), the lines of
    a derivation.  ``layout="numerator"`` takes the gradient of a scalar by a
    vector as a row (1×n), as *Mathematics for Machine Learning* writes it.
    ``order=2`` checks claimed Hessians (second derivatives).
    """
    from matcalc.calculus.differentiate import diff

    if not isinstance(f, Expr):
        raise MatcalcError("check needs an expression; parse the text first (matcalc.parse)")
    wrt = x.name if isinstance(x, Expr) and x.op == "var" else x
    if not isinstance(wrt, str):
        raise DiffError(f"check differentiates by a variable (its name), not {wrt!r}")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise DiffError(f"order must be a positive integer, not {order!r}")
    if layout not in ("denominator", "numerator"):
        raise DiffError(f"layout must be denominator or numerator, not {layout!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise MatcalcError(f"seed must be a non-negative integer, not {seed!r}")
    if isinstance(claims, str | Expr):
        claims = [claims]
    if not claims:
        raise MatcalcError("no claims to check: give at least one claimed derivative")
    # a declared variable f does not use has a zero derivative, as in diff
    variable = f.variables().get(wrt) or related_variables(f).get(wrt)
    if variable is None:
        raise DiffError(f"f does not depend on {wrt}; its variables are "
                        f"{', '.join(sorted(f.variables())) or 'none'}")
    base = f
    for _ in range(order - 1):
        base = diff(base, wrt)
    expected = diff(base, wrt, layout=layout if order == 1 else "denominator")
    name = _name(wrt, order)
    parsed = []
    for i, claim in enumerate(claims, 1):
        label = f"claim {i}" if len(claims) > 1 else "the claim"
        e = parse_claim(claim, f, label)
        shape_fits(e, expected, label, name, expected.ndim - variable.ndim)
        parsed.append(e)
    general = _general(f, variable) if variable.structure and order == 1 and not f.shape \
        else None
    dims = dict(dims) if dims is not None else None
    reference = verify(f, wrt, dims=dims, seed=seed, order=order)
    samples = _samples(f, expected, parsed, general, dims, seed)
    split = expected.ndim - variable.ndim if layout == "denominator" or order > 1 else 0
    results = []
    for i, (claim, e) in enumerate(zip(claims, parsed, strict=True), 1):
        mine = [Sample(s.expected, v, s.sizes, s.general, s.point) for s, v in zip(
            samples, _values(e, [s.point for s in samples]), strict=True)]
        finding = diagnose(mine, split, variable.ndim, variable.structure, wrt)
        symbolic = _equal_symbolically(e, expected)
        if symbolic and not finding.ok:  # cannot happen unless evaluation is broken
            finding = Finding("right", "right")
        max_abs, max_rel = difference(mine)
        results.append(ClaimResult(i, claim if isinstance(claim, str) else str(claim), e,
                                   finding, symbolic, max_abs, max_rel))
    return CheckReport(f, wrt, expected, order, layout, results, samples[0].sizes,
                       samples[-1].sizes, seed, len(samples), reference)


def _name(wrt: str, order: int) -> str:
    if order == 1:
        return f"∂f/∂{wrt}"
    sup = str(order).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"∂{sup}f/∂{wrt}{sup}"


def _general(f: Expr, variable: Expr) -> Expr | None:
    """The gradient of ``f`` by its symmetric variable taken as a general matrix (``H``)."""
    from matcalc.calculus.differentiate import diff, subs
    from matcalc.ops import construct as c

    free = c.var(variable.name, variable.shape)
    try:
        return diff(subs(f, {variable.name: free}), variable.name)
    except MatcalcError:  # a function defined on symmetric matrices only: no H to compare
        return None


def _samples(f: Expr, expected: Expr, claims: list[Expr], general: Expr | None,
             dims: dict[str, int] | None, seed: int) -> list[Sample]:
    """The derivative (and ``H``) at POINTS points at the first sizes and one at the second."""
    more = (expected, *claims)
    sizes = [choose_sizes(f, dims, more)]
    second = choose_sizes(f, dims, more, candidates=SECOND_SIZES)
    plan = [(sizes[0], seed + k) for k in range(POINTS)]
    if second != sizes[0]:
        plan.append((second, seed + POINTS))
    out: list[Sample] = []
    extra = (general,) if general is not None else ()
    for s, k in plan:
        point = (find_point(f, s, k, also=(*more, *extra))
                 or find_point(f, s, k, also=(expected, *extra)))
        if point is None:
            raise MatcalcError(f"no point found where f and {_short(expected)} are finite "
                               f"(sizes {s}, seed {k}); give other sizes with dims=")
        [value] = _values(expected, [point])
        h = _values(general, [point])[0] if general is not None else None
        if not np.all(np.isfinite(value)):
            raise MatcalcError(f"the derivative is not finite at the point drawn with seed {k}")
        out.append(Sample(value, value, s, h, point))
    return out


def _values(e: Expr, points: list[dict[str, Any]]) -> list[np.ndarray]:
    """``e`` at each point (NaN where it has no value there: the claim then differs)."""
    from matcalc.numeric.evaluate import to_numpy

    run = to_numpy(e)
    out = []
    for p in points:
        try:
            with np.errstate(all="ignore"):
                out.append(np.asarray(run(**p), dtype=float))
        except (MatcalcError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            out.append(np.full(1, np.nan))
    return out


def _equal_symbolically(claim: Expr, expected: Expr) -> bool:
    """``simplify(claim - expected)`` is zero (a sufficient test only: False proves nothing)."""
    from matcalc.algebra.simplify import simplify
    from matcalc.ops import construct as c

    if tuple(map(str, claim.shape)) != tuple(map(str, expected.shape)):
        return False
    if claim == expected:
        return True
    try:
        return c.is_zero(simplify(c.sub(claim, expected)))
    except (MatcalcError, RecursionError, ShapeError):
        return False


def _short(e: Expr) -> str:
    text = str(e)
    return text if len(text) <= 60 else text[:57] + "..."
