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

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcalc.core.dims import dim_value, format_shape
from matcalc.core.errors import DiffError, MatcalcError, ShapeError
from matcalc.core.expr import Expr, postorder

FULL_JACOBIAN_LIMIT = 64  # free entries of the variable up to which every direction is checked
SIZES = (3, 4, 5, 2, 6, 7, 8, 9)  # distinct small sizes for symbolic dimensions
MAX_ATTEMPTS = 40  # points drawn before giving up
RELIABLE = 1e-4  # largest estimated error (relative to the scale) a direction may have
EPS = float(np.finfo(float).eps)
CONDITION_LIMIT = 1e8  # largest condition number of a matrix under inv / logdet / det

# functions whose branch (sign of the argument, position of the maximum, ...) is watched
_KINK_FUNCTIONS = ("abs", "relu", "sign", "step")


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
# sizes


def dimension_names(expr: Expr) -> list[str]:
    """The named dimensions of ``expr`` (shapes and dimension-valued scalars), in order."""
    names: list[str] = []
    for node in postorder(expr):
        for d in node.shape:
            if isinstance(d, str):
                for part in d.split("*"):
                    if not part.isdigit() and part not in names:
                        names.append(part)
        if node.op == "dim" and node.attrs[0] not in names:
            names.append(node.attrs[0])
    return names


def choose_sizes(expr: Expr, dims: dict[str, int] | None,
                 more: Sequence[Expr] = ()) -> dict[str, int]:
    """Sizes for the dimensions of ``expr`` (and ``more``): ``dims``, else small distinct ones."""
    given = dict(dims or {})
    for k, v in given.items():
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ShapeError(f"size of dimension {k} must be a positive integer, not {v!r}")
    names = dimension_names(expr)
    for e in more:
        names += [n for n in dimension_names(e) if n not in names]
    free = iter(s for s in SIZES if s not in given.values())
    return {name: int(given[name]) if name in given else next(free, 3) for name in names}


# ----------------------------------------------------------------------------------------
# drawing inputs


@dataclass
class _Domain:
    positive: set[str] = field(default_factory=set)  # variables under log, sqrt, x^0.5 ...
    invertible: set[str] = field(default_factory=set)  # square variables under inv, det ...
    unit: set[str] = field(default_factory=set)  # variables under tan: keep small


def _domain(exprs: Sequence[Expr]) -> _Domain:
    dom = _Domain()
    for expr in exprs:
        for node in postorder(expr):
            under: Expr | None = None
            if node.op == "fn" and node.attrs[0] in ("log", "sqrt"):
                under = node.args[0]
            elif node.op == "pow":
                p = node.args[1]
                if not (p.op == "const" and isinstance(p.attrs[0], int)):
                    under = node.args[0]
            if under is not None:
                dom.positive.update(under.variables())
            if node.op == "fn" and node.attrs[0] == "tan":
                dom.unit.update(node.args[0].variables())
            if node.op in ("inv", "det", "logdet"):
                dom.invertible.update(n for n, v in node.args[0].variables().items()
                                      if v.ndim == 2 and v.shape[0] == v.shape[1])
    return dom


def _draw(v: Expr, shape: tuple[int, ...], dom: _Domain, rng: np.random.Generator,
          attempt: int) -> Any:
    """One variable's value; the first attempt follows the heuristics, later ones vary them."""
    name = v.name
    scale = 0.85 ** (attempt // 2)
    style = 0 if attempt == 0 else int(rng.integers(0, 4))
    if v.structure == "spd":
        n = shape[0]
        B = rng.normal(size=(n, n))
        spread = (0.5, 1.0, 0.3, 2.0)[style]
        return spread * B @ B.T / n + np.eye(n) * (0.5 + rng.uniform(0.5, 1.5))
    if v.structure == "symmetric":
        B = rng.normal(size=shape) * scale
        out = (B + B.T) / 2
        if name in dom.invertible or name in dom.positive:
            out = out * 0.3 + np.eye(shape[0]) * (1.5 if style != 3 else -1.5)
        return out
    square = len(shape) == 2 and shape[0] == shape[1]
    if name in dom.invertible and square and style != 3:
        n = shape[0]
        out = np.eye(n) * 1.5 + rng.normal(size=shape) * 0.3 * scale / np.sqrt(n)
        return np.abs(out) if name in dom.positive else out
    if name in dom.positive and style != 2:
        low, high = ((0.5, 1.5), (0.5, 1.5), (0.2, 0.8), (1.0, 3.0))[style]
        return rng.uniform(low, high, size=shape)
    if style == 1:
        return rng.uniform(0.5, 1.5, size=shape) * scale
    if name in dom.unit:
        return rng.uniform(-0.6, 0.6, size=shape) * scale
    return rng.normal(size=shape) * scale


def draw_inputs(expr: Expr, sizes: dict[str, int], rng: np.random.Generator,
                attempt: int = 0, domain_of: Sequence[Expr] = ()) -> dict[str, Any]:
    """Random values for the variables of ``expr`` (and the sizes of its dimensions)."""
    dom = _domain([expr, *domain_of])
    values: dict[str, Any] = {}
    for name, v in expr.variables().items():
        shape = tuple(dim_value(d, sizes) or 1 for d in v.shape)
        value = np.asarray(_draw(v, shape, dom, rng, attempt), dtype=float)
        values[name] = float(value) if value.ndim == 0 else value
    for name, size in sizes.items():
        values.setdefault(name, size)
    return values


# ----------------------------------------------------------------------------------------
# evaluating every node (values, branches of non-smooth functions, conditioning)


class _Plan:
    """Evaluates an expression keeping what the checks need from its inner nodes."""

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
            op = n.op
            if op == "fn" and n.attrs[0] in ("sin", "cos"):
                self.periodic.append(args[0])
            if op == "fn" and n.attrs[0] in _KINK_FUNCTIONS:
                self.watch.append((args[0], "sign"))
            elif op == "fn" and n.attrs[0] == "tan":
                self.watch.append((args[0], "tan"))
                self.periodic.append(args[0])
            elif op == "fn" and n.attrs[0] in ("log", "sqrt"):
                self.watch.append((args[0], "sign"))
            elif op == "pow":
                p = n.args[1]
                if not (p.op == "const" and isinstance(p.attrs[0], int) and p.attrs[0] >= 0):
                    self.watch.append((args[0], "sign"))
            elif op == "norm1":
                self.watch.append((args[0], "sign"))
            elif op == "norminf":
                self.watch.append((args[0], "absmax"))
            elif op == "ismax":
                self.watch.append((args[0], "argmax"))
            elif op in ("inv", "det", "logdet"):
                self.square.append(args[0])
                self.watch.append((args[0], "detsign"))

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
    plans = [_Plan(e) for e in (f, *also)]
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


# ----------------------------------------------------------------------------------------
# directions and finite differences


def _directions(shape: tuple[int, ...], structure: str, k: int, rng: np.random.Generator
                ) -> tuple[list[np.ndarray], list[str], bool]:
    """Directions to check, their names, and whether they are every basis direction."""
    size = int(np.prod(shape)) if shape else 1
    if structure:
        n = shape[0]
        if n * (n + 1) // 2 <= FULL_JACOBIAN_LIMIT:
            out, names = [], []
            for i in range(n):
                for j in range(i, n):
                    d = np.zeros(shape)
                    d[i, j] = d[j, i] = 1.0
                    out.append(d)
                    names.append(f"entries [{i}, {j}] and [{j}, {i}]" if i != j
                                 else f"entry [{i}, {i}]")
            return out, names, True
        dirs = [(lambda b: (b + b.T) / 2)(rng.normal(size=shape)) for _ in range(k)]
        return dirs, [f"random symmetric direction {i}" for i in range(k)], False
    if size <= FULL_JACOBIAN_LIMIT:
        out, names = [], []
        for idx in range(size):
            d = np.zeros(size)
            d[idx] = 1.0
            out.append(d.reshape(shape))
            where = np.unravel_index(idx, shape) if shape else ()
            names.append(f"entry [{', '.join(str(int(i)) for i in where)}]" if shape
                         else "the scalar")
        return out, names, True
    return [rng.normal(size=shape) for _ in range(k)], [f"random direction {i}"
                                                         for i in range(k)], False


class _Unreliable(Exception):
    """The point cannot be judged (a kink or pole too close, or differences too noisy)."""


@dataclass
class _Direction:
    fd: np.ndarray
    estimate: float
    evaluations: int
    step: float


def _difference(at: Callable[[float], tuple[np.ndarray, Any]], h: float, branch: Any,
                scale_hint: float) -> _Direction:
    """Richardson-extrapolated central difference along one direction, with its error."""
    evaluations = 0
    central: list[np.ndarray] = []
    fmax = 0.0
    best: _Direction | None = None
    for level in range(6):  # steps h, h/2, ..., h/32
        t = h / 2 ** level
        plus, b1 = at(t)
        minus, b2 = at(-t)
        evaluations += 2
        if b1 != branch or b2 != branch or not (np.all(np.isfinite(plus))
                                                and np.all(np.isfinite(minus))):
            if central:  # crossed a kink at this step: keep what the larger steps gave
                central = []
                best = None
            continue
        fmax = max(fmax, float(np.max(np.abs(plus))) if plus.size else 0.0,
                   float(np.max(np.abs(minus))) if minus.size else 0.0)
        central.append((plus - minus) / (2 * t))
        if len(central) < 2:
            continue
        rich = (4 * central[-1] - central[-2]) / 3
        truncation = float(np.max(np.abs(rich - central[-1]))) if rich.size else 0.0
        rounding = 64 * EPS * fmax / t
        estimate = 2 * truncation + rounding
        if best is None or estimate < best.estimate:
            best = _Direction(rich, estimate, evaluations, t)
        scale = max(scale_hint, float(np.max(np.abs(rich))) if rich.size else 0.0)
        if estimate <= 1e-9 * scale or (estimate <= 1e-7 * scale and level >= 2):
            break
        if rounding > truncation:  # smaller steps only add rounding error
            break
    if best is None:
        raise _Unreliable("every step crossed a kink or a pole")
    best.evaluations = evaluations
    return best


def verify(f: Expr, wrt: str, dims: dict[str, int] | None = None, seed: int = 0,
           order: int = 1, directions: int = 8, rtol: float = 1e-6, atol: float = 1e-9,
           derivative: Expr | None = None) -> VerifyReport:
    """Check ``diff(f, wrt)`` (``order=k``: the k-th derivative) numerically; see the module doc.

    ``derivative`` replaces the derivative to check (for testing a hand-written one).
    """
    from matcalc.calculus.differentiate import diff

    if not isinstance(f, Expr):
        raise MatcalcError("verify needs an expression; parse the text first (matcalc.parse)")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise DiffError(f"the order of a derivative is a positive integer, not {order!r}")
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 1:
        raise MatcalcError(f"directions must be a positive integer, not {directions!r}")
    if isinstance(wrt, Expr) and wrt.op == "var":
        wrt = wrt.name
    base = f
    for _ in range(order - 1):
        base = diff(base, wrt)
    target = derivative if derivative is not None else diff(base, wrt)
    if not isinstance(target, Expr):
        raise MatcalcError("the derivative to check must be an expression")
    sizes = choose_sizes(f, dims, (target,))
    variable = f.variables().get(wrt)
    if variable is None:  # not in f: the derivative must be an exact zero
        return _check_zero(f, target, str(wrt), order, sizes, seed)

    rng = np.random.default_rng(seed)
    plan_f = _Plan(f)
    plan_base = plan_f if base is f else _Plan(base)
    plan_d = _Plan(target)
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
                                f"the derivative has shape {format_shape(target.shape)} "
                                f"({D.shape}), expected "
                                f"{format_shape(base.shape + variable.shape)} ({want})",
                                shape=tuple(D.shape), attempts=attempts, point=values)
        try:
            result = _compare(plan_base, values, rb, str(wrt), variable, D, directions, rng,
                              rtol, atol)
        except _Unreliable as e:
            evaluations += getattr(e, "evaluations", 0)
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


def _compare(plan: _Plan, values: dict[str, Any], center: list[Any], wrt: str,
             variable: Expr, D: np.ndarray, k: int, rng: np.random.Generator,
             rtol: float, atol: float) -> dict[str, Any]:
    x0 = np.asarray(values[wrt], dtype=float)
    h = 1e-3 * max(1.0, float(np.max(np.abs(x0))) if x0.size else 1.0)
    dirs, names, full = _directions(x0.shape, variable.structure, k, rng)
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
            raise _Unreliable(f"no value near the point ({e})") from None
        return np.asarray(value, dtype=float), plan.branches(results)

    syms = [np.tensordot(D, d, axes=d.ndim) if d.ndim else D * d for d in dirs]
    diffs: list[_Direction] = []
    for d in dirs:  # finite differences first: their reliability must not depend on D
        try:
            r = _difference(lambda t, d=d: at(t, d), h, branch, 0.0)
        except _Unreliable as e:
            e.evaluations = evaluations  # type: ignore[attr-defined]
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
    for n, (d, r, sym) in enumerate(zip(dirs, diffs, syms, strict=True)):
        fd = np.broadcast_to(r.fd, sym.shape) if r.fd.shape != sym.shape else r.fd
        if r.estimate > RELIABLE * fd_size + atol:
            e = _Unreliable(f"finite differences too inaccurate (estimated error "
                            f"{r.estimate:.1e} of {fd_size:.1e})")
            e.evaluations = evaluations  # type: ignore[attr-defined]
            raise e
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
                f"axes (SPEC section 3), but its asymmetric part is {err:.3g}")
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


# ----------------------------------------------------------------------------------------
# the command line: matcalc verify "EXPR" --wrt x [--wrt y] [--dims m=3,n=4] [--seed 0] ...


def configure_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``matcalc verify`` (for registering it as a subcommand)."""
    p.add_argument("expression", help="the expression, in the language of SPEC section 2")
    p.add_argument("--wrt", action="append", required=True, metavar="X",
                   help="variable to differentiate by (repeat for several)")
    p.add_argument("--dims", action="append", default=[], metavar="m=3,n=4",
                   help="sizes of symbolic dimensions (default: small distinct sizes)")
    p.add_argument("--shape", action="append", default=[], metavar="A=m,n",
                   help="declare a variable's shape (A=m,n; x=n; s=; S=spd(n))")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--order", type=int, default=1,
                   help="check derivatives up to this order (2: also the Hessian)")
    p.add_argument("--directions", type=int, default=8,
                   help="random directions for large variables (default 8)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def parse_shapes(items: Sequence[str]) -> dict[str, Any]:
    """``["A=m,n", "x=n", "s=", "S=spd(n)"]`` → a ``shapes=`` dict."""
    shapes: dict[str, Any] = {}
    for item in items:
        name, eq, spec = item.partition("=")
        name, spec = name.strip(), spec.strip()
        if not eq or not name:
            raise ShapeError(f"--shape expects NAME=DIMS (A=m,n) or NAME=KIND (S=spd(n)), "
                             f"not {item!r}")
        if "(" in spec or spec in ("scalar",):
            shapes[name] = spec
        elif not spec:
            shapes[name] = ()
        else:
            shapes[name] = tuple(int(d) if d.strip().isdigit() else d.strip()
                                 for d in spec.split(","))
    return shapes


def parse_dims(items: Sequence[str]) -> dict[str, int]:
    """``["m=3,n=4"]`` → ``{"m": 3, "n": 4}``."""
    dims: dict[str, int] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, eq, value = part.partition("=")
            value = value.strip()
            if not eq or not name.strip().isidentifier() or not value.isdigit() \
                    or int(value) < 1:
                raise ShapeError(f"--dims expects NAME=SIZE pairs with positive sizes "
                                 f"(m=3,n=4), not {part.strip()!r}")
            dims[name.strip()] = int(value)
    return dims


def run_cli(args: argparse.Namespace, out: Any = None, err: Any = None) -> int:
    """Run ``matcalc verify`` on parsed arguments; returns the exit code (0, 1 or 2)."""
    from matcalc.lang.infer import parse

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if args.order < 1:
            raise DiffError(f"--order must be at least 1, not {args.order}")
        if args.directions < 1:
            raise MatcalcError(f"--directions must be at least 1, not {args.directions}")
        f = parse(args.expression, shapes=parse_shapes(args.shape))
        dims = parse_dims(args.dims)
        reports = [verify(f, w, dims=dims, seed=args.seed, order=k,
                          directions=args.directions)
                   for w in args.wrt for k in range(1, args.order + 1)]
    except MatcalcError as e:
        print(f"error: {e}", file=err)
        return 2
    ok = all(r.ok for r in reports)
    if args.json:
        sizes: dict[str, int] = {}
        for r in reports:
            sizes.update(r.sizes)
        payload = {"expression": str(f), "shape": [str(d) for d in f.shape],
                   "seed": args.seed, "sizes": sizes, "ok": ok,
                   "checks": [r.to_dict() for r in reports]}
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    else:
        print(format_table(f, reports), file=out)
    return 0 if ok else 1


def format_table(f: Expr, reports: Sequence[VerifyReport]) -> str:
    """The readable table of ``matcalc verify``."""
    lines = [f"f = {f}   ∈ {_space(f.shape)}"]
    rows = [("derivative", "shape", "sizes", "checked", "evals", "max abs err",
             "max rel err", "result")]
    for r in reports:
        sizes = ",".join(f"{k}={v}" for k, v in r.sizes.items()) or "-"
        checked = (f"{r.directions} {'entries (whole)' if r.full_jacobian else 'random dirs'}"
                   if r.directions else ("exact zero" if not r.inconclusive else "-"))
        rows.append((r.name, format_shape(r.derivative.shape), sizes, checked,
                     str(r.evaluations), _fmt(r.max_abs_error), _fmt(r.max_rel_error),
                     r.status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     .rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    for r in reports:
        lines.append(f"{r.name} = {r.derivative}")
    for r in reports:
        if r.message:
            lines.append(f"{r.name}: {r.message}")
    seeds = sorted({r.seed for r in reports})
    passed = sum(r.ok for r in reports)
    lines.append(f"{passed} of {len(reports)} passed (seed {', '.join(map(str, seeds))})")
    return "\n".join(lines)


def _space(shape: tuple[Any, ...]) -> str:
    return "ℝ" if not shape else "ℝ^(" + format_shape(shape) + ")"


def _fmt(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.2e}"


def main(argv: Sequence[str] | None = None) -> int:
    p = configure_parser(argparse.ArgumentParser(
        prog="matcalc verify",
        description="check symbolic derivatives against finite differences"))
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on bad arguments, 0 for --help
        return int(e.code or 0)
    return run_cli(args)


if __name__ == "__main__":
    sys.exit(main())
