"""Finite differences for :func:`matcalc.verify`: the directions checked, and central
differences refined by Richardson extrapolation, with an estimate of their error.

A variable with at most :data:`FULL_JACOBIAN_LIMIT` free entries is checked along
every basis direction (the whole Jacobian), a larger one along random directions;
symmetric variables move along symmetric directions only.  Along each direction
:func:`difference` halves the step until the estimated truncation plus rounding
error is small, and gives up on steps whose two sides lie on different branches
of a kink or a pole (:class:`Unreliable`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FULL_JACOBIAN_LIMIT = 64  # free entries of the variable up to which every direction is checked
EPS = float(np.finfo(float).eps)


def choose_directions(shape: tuple[int, ...], structure: str, k: int, rng: np.random.Generator
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


class Unreliable(Exception):
    """The point cannot be judged (a kink or pole too close, or differences too noisy).

    ``evaluations`` counts the evaluations spent before giving up.
    """

    def __init__(self, message: str, evaluations: int = 0):
        super().__init__(message)
        self.evaluations = evaluations


@dataclass
class Direction:
    """The finite difference along one direction, its error estimate and cost."""

    fd: np.ndarray
    estimate: float
    evaluations: int
    step: float


def difference(at: Callable[[float], tuple[np.ndarray, Any]], h: float, branch: Any,
                scale_hint: float) -> Direction:
    """Richardson-extrapolated central difference along one direction, with its error."""
    evaluations = 0
    central: list[np.ndarray] = []
    fmax = 0.0
    best: Direction | None = None
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
            best = Direction(rich, estimate, evaluations, t)
        scale = max(scale_hint, float(np.max(np.abs(rich))) if rich.size else 0.0)
        if estimate <= 1e-9 * scale or (estimate <= 1e-7 * scale and level >= 2):
            break
        if rounding > truncation:  # smaller steps only add rounding error
            break
    if best is None:
        raise Unreliable("every step crossed a kink or a pole")
    best.evaluations = evaluations
    return best

