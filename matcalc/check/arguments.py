"""The arguments of :func:`matcalc.verify`, checked: a clear MatcalcError for a bad one."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from matcalc.core.errors import DiffError, MatcalcError, ShapeError


def checked_arguments(seed: Any, order: Any, directions: Any, rtol: Any, atol: Any,
                       dims: Any) -> tuple[int, int, int, float, float, dict[str, int] | None]:
    """The arguments of :func:`verify`, checked (a clear MatcalcError for a bad one)."""
    def integer(x: Any) -> bool:
        return not isinstance(x, bool) and isinstance(x, int | np.integer)

    if not integer(order) or order < 1:
        raise DiffError(f"the order of a derivative is a positive integer, not {order!r}")
    if not integer(directions) or directions < 1:
        raise MatcalcError(f"directions must be a positive integer, not {directions!r}")
    if not integer(seed) or seed < 0:
        raise MatcalcError(f"seed must be a non-negative integer, not {seed!r}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if (isinstance(tol, bool) or not isinstance(tol, int | float | np.integer | np.floating)
                or not math.isfinite(float(tol)) or tol < 0):
            raise MatcalcError(f"{name} must be a finite non-negative number, not {tol!r} "
                               f"(for example {name}=1e-6)")
    if float(rtol) >= 1:
        raise MatcalcError(f"rtol={rtol!r} lets any derivative pass: a relative tolerance "
                           "is below 1 (for example rtol=1e-6)")
    if dims is not None:
        if not isinstance(dims, Mapping):
            raise ShapeError(f"dims must map dimension names to sizes, e.g. "
                             f"dims={{'n': 3}}, not {type(dims).__name__}")
        for k in dims:
            if not isinstance(k, str):
                raise ShapeError(f"dims must map dimension names (text) to sizes, not {k!r}")
        dims = dict(dims)
    return int(seed), int(order), int(directions), float(rtol), float(atol), dims
