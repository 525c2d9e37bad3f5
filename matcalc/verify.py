"""``verify``: the symbolic derivative against central finite differences (SPEC section 4).

Inputs are drawn to respect declarations and the domain of the functions in
the expression: spd matrices for declared ``spd`` variables, well-conditioned
matrices with positive determinant under ``inv``/``det``/``logdet``, positive
entries under ``log``, ``sqrt``, fractional powers and denominators.  The
derivative is compared along directions ``V`` of the variable: its contraction
with ``V`` against ``(f(x + hV) - f(x - hV)) / 2h`` with Richardson
extrapolation over two steps, whose difference also estimates the error of the
finite difference.  Small variables are checked along every basis direction
(the whole Jacobian), large ones along ``directions`` random directions.
Symmetric variables move only along symmetric directions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .dims import dim_value
from .errors import DiffError, MatcalcError, ShapeError
from .expr import Expr, postorder
from .numeric import to_numpy

FULL_JACOBIAN_LIMIT = 64  # entries of the variable up to which every direction is checked
SIZES = (3, 4, 5, 2, 6, 7, 8, 9)  # distinct small sizes for symbolic dimensions


@dataclass
class VerifyReport:
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

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        status = "ok" if self.ok else "FAILED"
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items()) or "-"
        return (f"d{'^2' if self.order == 2 else ''}/d{self.wrt}: {status}  "
                f"max abs error {self.max_abs_error:.2e}, max rel error "
                f"{self.max_rel_error:.2e}  (sizes {sizes}, seed {self.seed}, "
                f"{self.directions} directions, {self.evaluations} evaluations)"
                + (f"  {self.message}" if self.message else ""))


# ----------------------------------------------------------------------------------------
# drawing inputs


def _domain(expr: Expr) -> tuple[set[str], set[str]]:
    """Variables that must be positive, and square variables that must be invertible."""
    positive: set[str] = set()
    invertible: set[str] = set()
    for node in postorder(expr):
        under: Expr | None = None
        if node.op == "fn" and node.attrs[0] in ("log", "sqrt"):
            under = node.args[0]
        elif node.op == "pow":
            p = node.args[1]
            if not (p.op == "const" and isinstance(p.attrs[0], int) and p.attrs[0] > 0):
                under = node.args[0]
        if under is not None:
            positive.update(under.variables())
        if node.op in ("inv", "det", "logdet"):
            invertible.update(n for n, v in node.args[0].variables().items() if v.ndim == 2)
    return positive, invertible


def choose_sizes(expr: Expr, dims: dict[str, int] | None) -> dict[str, int]:
    sizes: dict[str, int] = {}
    given = dict(dims or {})
    for k, v in given.items():
        if not isinstance(v, int) or v < 1:
            raise ShapeError(f"size of dimension {k} must be a positive integer, not {v!r}")
    names: list[str] = []
    for node in postorder(expr):
        for d in node.shape:
            if isinstance(d, str):
                for part in d.split("*"):
                    if not part.isdigit() and part not in names:
                        names.append(part)
        if node.op == "dim" and node.attrs[0] not in names:
            names.append(node.attrs[0])
    free = iter(s for s in SIZES if s not in given.values())
    for name in names:
        sizes[name] = given[name] if name in given else next(free, 3)
    return sizes


def draw_inputs(expr: Expr, sizes: dict[str, int], rng: np.random.Generator,
                scale: float = 1.0) -> dict[str, Any]:
    positive, invertible = _domain(expr)
    values: dict[str, Any] = {}
    for name, v in expr.variables().items():
        shape = tuple(dim_value(d, sizes) or 1 for d in v.shape)
        if v.structure == "spd":
            n = shape[0]
            B = rng.normal(size=(n, n)) * 0.5
            values[name] = B @ B.T / n + np.eye(n) * (1.0 + scale)
        elif v.structure == "symmetric":
            B = rng.normal(size=shape)
            values[name] = (B + B.T) / 2 * scale + (2.0 * np.eye(shape[0])
                                                    if name in invertible else 0.0)
        elif name in invertible and len(shape) == 2:
            n = shape[0]
            values[name] = np.eye(n) * 1.5 + rng.normal(size=shape) * 0.3 * scale / np.sqrt(n)
            if name in positive:
                values[name] = np.abs(values[name])
        elif name in positive:
            values[name] = rng.uniform(0.5, 1.5, size=shape)
        else:
            values[name] = rng.normal(size=shape) * scale
        if values[name].ndim == 0:
            values[name] = float(values[name])
    for name in sizes:
        values.setdefault(name, sizes[name])
    return values


# ----------------------------------------------------------------------------------------
# directions and finite differences


def _directions(shape: tuple[int, ...], structure: str, k: int,
                rng: np.random.Generator) -> list[np.ndarray]:
    size = int(np.prod(shape)) if shape else 1
    if structure:
        n = shape[0]
        if n * (n + 1) // 2 <= FULL_JACOBIAN_LIMIT:
            out = []
            for i in range(n):
                for j in range(i, n):
                    d = np.zeros(shape)
                    d[i, j] = d[j, i] = 1.0
                    out.append(d)
            return out
        return [(lambda b: (b + b.T) / 2)(rng.normal(size=shape)) for _ in range(k)]
    if size <= FULL_JACOBIAN_LIMIT:
        out = []
        for idx in range(size):
            d = np.zeros(size)
            d[idx] = 1.0
            out.append(d.reshape(shape))
        return out
    return [rng.normal(size=shape) for _ in range(k)]


def _central(fn: Any, values: dict[str, Any], wrt: str, direction: np.ndarray, h: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Richardson-extrapolated central difference and its error estimate."""
    x0 = np.asarray(values[wrt], dtype=float)

    def at(t: float) -> np.ndarray:
        v = dict(values)
        v[wrt] = x0 + t * direction
        return np.asarray(fn(**v), dtype=float)

    d1 = (at(h) - at(-h)) / (2 * h)
    d2 = (at(h / 2) - at(-h / 2)) / h
    richardson = (4 * d2 - d1) / 3
    return richardson, np.abs(richardson - d2)


def verify(f: Expr, wrt: str, dims: dict[str, int] | None = None, seed: int = 0,
           order: int = 1, directions: int = 8, rtol: float = 1e-6, atol: float = 1e-8,
           derivative: Expr | None = None) -> VerifyReport:
    """Check ``diff(f, wrt)`` (``order=2``: the Hessian) numerically; see the module doc."""
    from .differentiate import diff

    if not isinstance(f, Expr):
        raise MatcalcError("verify needs an expression; parse the text first")
    if order not in (1, 2):
        raise DiffError(f"verify checks first and second derivatives, not order {order}")
    variable = f.variables().get(wrt) if isinstance(wrt, str) else None
    if order == 2:
        base = diff(f, wrt)
        target = derivative if derivative is not None else diff(base, wrt)
    else:
        base = f
        target = derivative if derivative is not None else diff(f, wrt)
    if variable is None:  # not in f: the derivative must be zero
        sizes = choose_sizes(f, dims)
        value = to_numpy(target)(**draw_inputs(target, sizes, np.random.default_rng(seed)))
        err = float(np.max(np.abs(value))) if np.size(value) else 0.0
        return VerifyReport(err == 0.0, str(wrt), target, order, err, err, sizes, seed, 1, 0)
    sizes = choose_sizes(f, dims)
    rng = np.random.default_rng(seed)
    fn = to_numpy(base)
    dfn = to_numpy(target)
    values: dict[str, Any] = {}
    sym = D = None
    evaluations = 0
    for attempt in range(12):  # redraw until the point is inside the domain
        values = draw_inputs(f, sizes, rng, scale=0.8 ** attempt)
        with np.errstate(all="ignore"):
            try:
                value = np.asarray(fn(**values), dtype=float)
                D = np.asarray(dfn(**values), dtype=float)
            except np.linalg.LinAlgError:
                continue
        evaluations += 1
        if np.all(np.isfinite(value)) and np.all(np.isfinite(D)):
            break
    else:
        return VerifyReport(False, wrt, target, order, float("nan"), float("nan"), sizes, seed,
                            evaluations, 0, "could not find a point where f and its derivative "
                            "are finite")
    x0 = np.asarray(values[wrt], dtype=float)
    h = 1e-3 * max(1.0, float(np.max(np.abs(x0))) if x0.size else 1.0)
    dirs = _directions(x0.shape, variable.structure, directions, rng)
    max_abs = max_rel = 0.0
    ok = True
    worst = ""
    for d in dirs:
        with np.errstate(all="ignore"):
            fd, est = _central(fn, values, wrt, d, h)
        evaluations += 4
        sym = np.tensordot(D, d, axes=d.ndim) if d.ndim else D * d
        err = np.abs(sym - fd)
        scale = np.maximum(np.abs(fd), np.abs(sym))
        tol = atol + rtol * scale + 10 * est
        a = float(np.max(err)) if err.size else 0.0
        r = float(np.max(err / (scale + atol))) if err.size else 0.0
        if not np.all(np.isfinite(sym)) or not np.all(np.isfinite(fd)):
            ok, worst = False, "non-finite values"
        elif np.any(err > tol):
            ok = False
            worst = f"largest error {a:.3g} along a direction"
        max_abs, max_rel = max(max_abs, a), max(max_rel, r)
    return VerifyReport(ok, wrt, target, order, max_abs, max_rel, sizes, seed, evaluations,
                        len(dirs), "" if ok else worst)
