"""``verify``: a symbolic derivative against finite differences (SPEC section 4).

How a check goes:

1. **Sizes.**  Every symbolic dimension gets a small size, distinct from the
   others (so that a transposed or mis-ordered axis cannot go unnoticed),
   unless ``dims`` fixes it.
2. **A point inside the domain.**  Inputs are drawn to respect the
   declarations (spd and symmetric matrices) and, by heuristics read off the
   expression, the domain of its functions: positive entries under ``log``,
   ``sqrt`` and fractional or symbolic powers, well-conditioned matrices with
   positive determinant under ``inv``, ``det`` and ``logdet``.  The draw is then
   *checked* on every node of the function and of the derivative: every value
   finite (a logarithm of a negative number, a pole, an overflow are not),
   every matrix under ``inv``/``logdet`` well conditioned.  A point that fails
   is redrawn with the next draw of the same seeded generator, so every
   check can be reproduced from its seed.
3. **Directions.**  A variable with at most :data:`FULL_JACOBIAN_LIMIT` free
   entries is checked along every basis direction: the whole Jacobian.  A larger
   one along ``directions`` random directions, so that the gradient by a
   1000×1000 matrix costs a few dozen evaluations, not a million.  Variables
   declared ``symmetric``/``spd`` move along symmetric directions only, and
   their derivative must be symmetric in their two axes (SPEC section 3).
4. **Finite differences with an error estimate.**  Along each direction ``V``
   the contraction of the derivative with ``V`` is compared with central
   differences ``(f(x + hV) - f(x - hV)) / 2h`` at steps ``h`` and ``h/2``,
   combined by Richardson extrapolation; their difference estimates the
   truncation error and ``eps·|f|/h`` the rounding error.  The step starts at
   ``1e-3`` times the scale of the inputs and is halved while the estimate is
   too large.  Non-smooth functions (``abs``, ``relu``, ``sign``, ``step``,
   ``norm1``, ``norminf``, ``ismax``) and poles are watched at every point the
   differences use: if one of them changes branch between ``x - hV`` and
   ``x + hV`` (a kink or a pole was crossed), the step is made smaller, and
   failing that the point is redrawn.
5. **The verdict.**  An entry passes if its error is within
   ``atol + rtol·scale + estimate`` where ``scale`` is the largest entry of
   the derivative's contractions with the directions checked (the largest
   entry of the Jacobian, when it is checked whole).  A direction whose estimate stays above
   ``1e-4·scale`` is not used to judge (the point is redrawn): a tolerance
   that loose could let a wrong derivative through.  So a correct derivative
   passes and a wrong one fails unless its error is below about ``1e-6`` of
   the derivative's size at a random point.  When no usable point is found,
   the report says so (``inconclusive``) rather than passing.

``order=k`` checks the k-th derivative against finite differences of the
(k-1)-th: ``order=2`` compares the Hessian with differences of the gradient's
value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from matcalc.check.arguments import checked_arguments
from matcalc.check.differences import (
    FULL_JACOBIAN_LIMIT,
    Direction,
    Unreliable,
    choose_directions,
    difference,
)
from matcalc.check.sampling import domain_tags, draw_inputs, kink, size_assignments
from matcalc.core.dims import dim_value, format_shape
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr
from matcalc.numeric.binding import check_allocations

__all__ = ["FULL_JACOBIAN_LIMIT", "Plan", "VerifyReport", "find_point", "verify"]

MAX_ATTEMPTS = 40  # points drawn before giving up
RELIABLE = 1e-4  # largest estimated error (relative to the scale) a direction may have
CONDITION_LIMIT = 1e8  # largest condition number of a matrix under inv / logdet / det
TINY = float(np.finfo(float).tiny)  # below this, floats lose their relative precision


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`; true in a boolean context when the check passed.

    ``max_rel_error`` is relative to the largest entry of the derivative's
    contractions with the directions checked.  ``inconclusive`` is set when
    no point was found where the function and its derivative are finite and
    finite differences are reliable; such a report is not ``ok``.
    """

    ok: bool
    wrt: str
    derivative: Expr
    order: int
    max_abs_error: float
    max_rel_error: float
    sizes: dict[str, int]
    seed: int
    evaluations: int
    directions: int
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    full_jacobian: bool = False
    inconclusive: bool = False
    error_estimate: float = 0.0
    step: float = 0.0
    shape: tuple[int, ...] = ()
    attempts: int = 0
    point: dict[str, Any] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def status(self) -> str:
        return "pass" if self.ok else ("inconclusive" if self.inconclusive else "FAIL")

    @property
    def name(self) -> str:
        """``∂f/∂x``, ``∂²f/∂x²``, ..."""
        if self.order == 1:
            return f"∂f/∂{self.wrt}"
        sup = str(self.order).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"∂{sup}f/∂{self.wrt}{sup}"

    def __str__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items()) or "-"
        how = "whole Jacobian" if self.full_jacobian else "random directions"
        return (f"{self.name}: {self.status}  max abs error {self.max_abs_error:.2e}, "
                f"max rel error {self.max_rel_error:.2e}  (sizes {sizes}, seed {self.seed}, "
                f"{self.directions} directions ({how}), {self.evaluations} evaluations)"
                + (f"  {self.message}" if self.message else ""))

    def _repr_html_(self) -> str:  # a table in notebooks
        from matcalc.check.report_html import report_html

        return report_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain JSON-able values."""
        return {
            "derivative": self.name, "wrt": self.wrt, "order": self.order,
            "expression": str(self.derivative),
            "symbolic_shape": [str(d) for d in self.derivative.shape],
            "shape": list(self.shape), "ok": self.ok, "status": self.status,
            "inconclusive": self.inconclusive,
            "max_abs_error": _json_float(self.max_abs_error),
            "max_rel_error": _json_float(self.max_rel_error),
            "error_estimate": _json_float(self.error_estimate), "step": self.step,
            "sizes": dict(self.sizes), "seed": self.seed, "evaluations": self.evaluations,
            "directions": self.directions, "full_jacobian": self.full_jacobian,
            "attempts": self.attempts, "message": self.message,
        }


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


# ----------------------------------------------------------------------------------------
# evaluating every node (values, branches of non-smooth functions, conditioning)


class Plan:
    """Evaluates an expression keeping what the checks need from its inner nodes.

    Which nodes are watched comes from the operator records, read by
    :mod:`matcalc.check.sampling`: :func:`~matcalc.check.sampling.kink` (how a
    branch is read) and :func:`~matcalc.check.sampling.domain_tags` (invertible
    and periodic arguments).
    """

    def __init__(self, expr: Expr):
        from matcalc.numeric.reference import ReferencePlan

        self.expr = expr
        self.reference = ReferencePlan(expr)  # the op-by-op values of every node
        self.order = self.reference.nodes
        index = {id(n): i for i, n in enumerate(self.order)}
        self.steps = [(n, [index[id(a)] for a in n.args]) for n in self.order]
        self.watch: list[tuple[int, str]] = []  # (index of the argument, how to read its branch)
        self.square: list[int] = []  # arguments of inv / det / logdet
        self.periodic: list[int] = []  # arguments of sin / cos / tan
        for n, args in self.steps:
            tags = domain_tags(n)
            if "periodic" in tags:
                self.periodic.append(args[0])
            if "invertible" in tags:
                self.square.append(args[0])
            how = kink(n)
            if how:
                self.watch.append((args[0], how))

    def run(self, values: dict[str, Any]) -> tuple[Any, list[Any]]:
        """The value and every node's value (in the order of ``self.order``)."""
        results = self.reference.run(values)
        return results[-1], results

    def branches(self, results: list[Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for i, how in self.watch:
            a = np.asarray(results[i], dtype=float)
            if how == "sign":
                out.append(np.sign(a).tobytes())
            elif how == "tan":
                out.append(np.floor(a / np.pi + 0.5).tobytes())
            elif how == "absmax":
                out.append(int(np.argmax(np.abs(a))) if a.size else -1)
            elif how == "argmax":
                out.append(int(np.argmax(a)) if a.size else -1)
                if a.ndim == 2 and a.size:  # max along an axis: each column's and row's
                    out.append(np.argmax(a, axis=0).tobytes() + np.argmax(a, axis=1).tobytes())
            elif how == "detsign":
                with np.errstate(all="ignore"):
                    out.append(float(np.sign(np.linalg.det(a))) if np.all(np.isfinite(a))
                               else 0.0)
        return tuple(out)

    def trouble(self, results: list[Any]) -> str:
        """Why the point is unusable ('' when it is fine)."""
        for node, r in zip(self.order, results, strict=True):
            if not np.all(np.isfinite(r)):
                return f"{_short(node)} is not finite"
            a = np.abs(np.asarray(r, dtype=float))
            if np.any((a > 0) & (a < TINY)):  # subnormal: a few digits left, or none
                return f"{_short(node)} underflows"
        for i in self.periodic:  # sin(1e20) is rounding noise, not a function value
            a = np.asarray(results[i], dtype=float)
            if a.size and float(np.max(np.abs(a))) > 1e6:
                return f"the argument of a periodic function, {_short(self.order[i])}, is huge"
        for i in self.square:
            a = np.asarray(results[i], dtype=float)
            with np.errstate(all="ignore"):
                cond = np.linalg.cond(a)
            if not np.isfinite(cond) or cond > CONDITION_LIMIT:
                return f"{_short(self.order[i])} is singular or ill-conditioned"
        return ""


def find_point(f: Expr, sizes: dict[str, int], seed: int = 0,
               also: Sequence[Expr] = ()) -> dict[str, Any] | None:
    """Values for the variables of ``f`` where ``f`` and ``also`` are finite (None if none found).

    The same search as :func:`verify`'s (without the finite-difference checks).
    """
    rng = np.random.default_rng(seed)
    plans = [Plan(e) for e in (f, *also)]
    for attempt in range(MAX_ATTEMPTS):
        values = draw_inputs(f, sizes, rng, attempt, also)
        try:
            if all(not p.trouble(p.run(values)[1]) for p in plans):
                return values
        except (np.linalg.LinAlgError, FloatingPointError, ValueError, ZeroDivisionError):
            continue
    return None


def _short(e: Expr) -> str:
    text = str(e)
    return text if len(text) <= 60 else text[:57] + "..."



def verify(f: Expr, wrt: str, dims: dict[str, int] | None = None, seed: int = 0,
           order: int = 1, directions: int = 8, rtol: float = 1e-6, atol: float = 1e-9,
           derivative: Expr | None = None) -> VerifyReport:
    """Check ``diff(f, wrt)`` (``order=k``: the k-th derivative) numerically; see the module doc.

    ``derivative`` replaces the derivative to check (for testing a hand-written one).
    """
    from matcalc.calculus.differentiate import diff

    if not isinstance(f, Expr):
        raise MatcalcError("verify needs an expression; parse the text first (matcalc.parse)")
    seed, order, directions, rtol, atol, dims = checked_arguments(
        seed, order, directions, rtol, atol, dims)
    if isinstance(wrt, Expr) and wrt.op == "var":
        wrt = wrt.name
    base = f
    for _ in range(order - 1):
        base = diff(base, wrt)
    target = derivative if derivative is not None else diff(base, wrt)
    if not isinstance(target, Expr):
        raise MatcalcError("the derivative to check must be an expression")
    first: VerifyReport | None = None
    for sizes in size_assignments(f, dims, (target,)):
        for e in (f, base, target):  # before any array is drawn
            check_allocations(e, sizes)
        report = _verify_at(f, base, target, str(wrt), order, sizes, seed, directions, rtol,
                            atol)
        if not report.inconclusive:
            return report
        first = first or report  # a point may be degenerate only for these sizes: try others
    assert first is not None  # size_assignments yields at least one assignment
    return first


def _verify_at(f: Expr, base: Expr, target: Expr, wrt: str, order: int,
               sizes: dict[str, int], seed: int, directions: int, rtol: float,
               atol: float) -> VerifyReport:
    """:func:`verify` with these sizes."""
    variable = f.variables().get(wrt)
    if variable is None:  # not in f: the derivative must be an exact zero
        return _check_zero(f, target, str(wrt), order, sizes, seed)

    rng = np.random.default_rng(seed)
    plan_f = Plan(f)
    plan_base = plan_f if base is f else Plan(base)
    plan_d = Plan(target)
    want = _concrete(base.shape + variable.shape, sizes)
    evaluations = 0
    attempts = 0
    reason = ""
    symbolic_ok = _shapes_match(target.shape, base.shape + variable.shape)
    while attempts < MAX_ATTEMPTS:
        attempts += 1
        values = draw_inputs(f, sizes, rng, attempts - 1, (target,))
        try:
            _, rf = plan_f.run(values)
            _, rb = (None, rf) if plan_base is plan_f else plan_base.run(values)
            evaluations += 1 if plan_base is plan_f else 2
            reason = plan_f.trouble(rf) or (plan_base.trouble(rb) if plan_base is not plan_f
                                            else "")
            if reason:
                continue
            _, rd = plan_d.run(values)
            evaluations += 1
            reason = plan_d.trouble(rd)
            if reason:
                reason = "the derivative: " + reason
                continue
        except (np.linalg.LinAlgError, FloatingPointError, ValueError, ZeroDivisionError) as e:
            reason = f"evaluation failed ({e})"
            continue
        D = np.asarray(rd[-1], dtype=float)
        if D.shape != want:
            D = np.broadcast_to(D, want) if _broadcastable(D.shape, want) else D
        if D.shape != want or not symbolic_ok:
            return VerifyReport(False, str(wrt), target, order, math.inf, math.inf, sizes,
                                seed, evaluations, 0,
                                f"the derivative has shape "
                                f"{format_shape(target.shape, base.ndim)} ({D.shape}), "
                                f"expected {format_shape(base.shape + variable.shape, base.ndim)}"
                                f" ({want})",
                                shape=tuple(D.shape), attempts=attempts, point=values)
        try:
            result = _compare(plan_base, values, rb, str(wrt), variable, D, directions, rng,
                              rtol, atol)
        except Unreliable as e:
            evaluations += e.evaluations
            reason = str(e)
            continue
        evaluations += result.pop("evaluations")
        message = result.pop("message")
        ok = not message
        if ok and variable.structure:
            message = _check_symmetric(D, base.ndim, rtol, atol)
            ok = not message
        return VerifyReport(ok, str(wrt), target, order, sizes=sizes, seed=seed,
                            evaluations=evaluations, message=message, shape=want,
                            attempts=attempts, point=values, **result)
    return VerifyReport(False, str(wrt), target, order, math.nan, math.nan, sizes, seed,
                        evaluations, 0, "inconclusive: no point found where the function and "
                        f"its derivative are finite and smooth ({reason})",
                        inconclusive=True, shape=want, attempts=attempts)


def _compare(plan: Plan, values: dict[str, Any], center: list[Any], wrt: str,
             variable: Expr, D: np.ndarray, k: int, rng: np.random.Generator,
             rtol: float, atol: float) -> dict[str, Any]:
    x0 = np.asarray(values[wrt], dtype=float)
    h = 1e-3 * max(1.0, float(np.max(np.abs(x0))) if x0.size else 1.0)
    dirs, names, full = choose_directions(x0.shape, variable.structure, k, rng)
    branch = plan.branches(center)
    evaluations = 0
    max_abs = max_rel = max_est = 0.0
    step = h
    message = ""

    def at(t: float, d: np.ndarray) -> tuple[np.ndarray, Any]:
        v = dict(values)
        moved = x0 + t * d
        v[wrt] = float(moved) if moved.ndim == 0 else moved
        try:
            value, results = plan.run(v)
        except np.linalg.LinAlgError as e:  # inv(sign(M)) singular once a sign flips
            raise Unreliable(f"no value near the point ({e})") from None
        return np.asarray(value, dtype=float), plan.branches(results)

    syms = [np.tensordot(D, d, axes=d.ndim) if d.ndim else D * d for d in dirs]
    diffs: list[Direction] = []
    for d in dirs:  # finite differences first: their reliability must not depend on D
        try:
            r = difference(partial(at, d=d), h, branch, 0.0)
        except Unreliable as e:
            e.evaluations = evaluations
            raise
        evaluations += r.evaluations
        diffs.append(r)

    def biggest(xs: list[np.ndarray]) -> float:
        return max((float(np.max(np.abs(x))) for x in xs if np.size(x)), default=0.0)

    # errors are judged relative to the size of the whole derivative (as np.allclose on
    # norms), so that an entry that is zero does not demand impossible accuracy; whether
    # the differences are accurate enough is judged on the differences alone
    fd_size = biggest([r.fd for r in diffs])
    overall = max(fd_size, biggest(syms))
    # the absolute tolerance is read on the function's scale: where the function is
    # 1e-150 (an underflowing exponential), an error of 1e-147 is not "small"
    natural = biggest([np.asarray(center[-1], dtype=float)]) / max(
        1.0, float(np.max(np.abs(x0))) if x0.size else 1.0)
    atol = atol * min(1.0, natural)
    if overall == 0.0 and natural == 0.0:
        raise Unreliable("the function, its derivative and the finite differences are all "
                         "zero here (an underflow?): nothing to compare", evaluations)
    for n, (r, sym) in enumerate(zip(diffs, syms, strict=True)):
        fd = np.broadcast_to(r.fd, sym.shape) if r.fd.shape != sym.shape else r.fd
        if r.estimate > RELIABLE * fd_size + atol:
            raise Unreliable(f"finite differences too inaccurate (estimated error "
                             f"{r.estimate:.1e} of {fd_size:.1e})", evaluations)
        scale = overall
        err = np.abs(sym - fd)
        a = float(np.max(err)) if err.size else 0.0
        tol = atol + rtol * scale + r.estimate
        if a > tol and not message:
            where = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
            entry = (f" entry [{', '.join(str(int(i)) for i in where)}] of f"
                     if err.ndim else "")
            message = (f"wrong derivative:{entry} moving {wrt} along {names[n]}: symbolic "
                       f"{float(sym[where]):.10g}, finite differences {float(fd[where]):.10g}"
                       f" (error {a:.3g}, tolerance {tol:.2g})")
        max_abs = max(max_abs, a)
        max_rel = max(max_rel, a / scale if scale > 0 else (0.0 if a == 0 else math.inf))
        max_est = max(max_est, r.estimate)
        step = min(step, r.step)
    return {"max_abs_error": max_abs, "max_rel_error": max_rel, "directions": len(dirs),
            "full_jacobian": full, "error_estimate": max_est, "step": step,
            "evaluations": evaluations, "message": message}


def _check_symmetric(D: np.ndarray, batch: int, rtol: float, atol: float) -> str:
    swapped = np.swapaxes(D, batch, batch + 1)
    err = float(np.max(np.abs(D - swapped))) if D.size else 0.0
    scale = float(np.max(np.abs(D))) if D.size else 0.0
    if err > atol + rtol * scale:
        return (f"the derivative by a symmetric variable must be symmetric in that variable's "
                f"axes (the gradient convention for symmetric matrices), but its asymmetric "
                f"part is {err:.3g}")
    return ""


def _check_zero(f: Expr, target: Expr, wrt: str, order: int, sizes: dict[str, int],
                seed: int) -> VerifyReport:
    from matcalc.numeric.evaluate import to_numpy

    values = draw_inputs(f, sizes, np.random.default_rng(seed), 0, (target,))
    with np.errstate(all="ignore"):
        value = np.asarray(to_numpy(target)(**values), dtype=float)
    err = float(np.max(np.abs(value))) if value.size else 0.0
    ok = err == 0.0
    return VerifyReport(ok, wrt, target, order, err, err if ok else math.inf, sizes, seed, 1,
                        0, "" if ok else f"{wrt} does not occur in f, so the derivative "
                        "must be zero", shape=tuple(value.shape), point=values)


def _concrete(shape: tuple[Any, ...], sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(dim_value(d, sizes) or 1 for d in shape)


def _shapes_match(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return tuple(map(str, a)) == tuple(map(str, b))


def _broadcastable(have: tuple[int, ...], want: tuple[int, ...]) -> bool:
    return have == ()

