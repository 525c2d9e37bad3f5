"""What a command assumed: the ``where`` line with every variable's shape and symmetry.

Inference chooses shapes the user did not write (``lam`` a scalar, ``b`` a vector
of the width of ``W``); printing them beside the result, as matrixcalculus.org
does, shows at once a shape chosen differently from the user's intent.
"""

from __future__ import annotations

from matcalc.core.dims import format_shape
from matcalc.core.expr import Expr


def variable_shape(v: Expr) -> str:
    """``m×n``, ``n``, ``scalar``; with the structure: ``n×n symmetric``, ``n×n spd``."""
    shape = format_shape(v.shape) if v.shape else "scalar"
    return f"{shape} {v.structure}" if v.structure else shape


def where_line(f: Expr) -> str:
    """``where A: m×n, x: n, y: m`` for the variables of ``f`` (empty when it has none)."""
    variables = f.variables()
    if not variables:
        return ""
    return "where " + ", ".join(f"{name}: {variable_shape(v)}" for name, v in variables.items())


def variable_shapes(f: Expr) -> dict[str, dict[str, object]]:
    """The variables' shapes for ``--json``: dimensions as strings, and the structure."""
    return {name: {"shape": [str(d) for d in v.shape], "structure": v.structure or None}
            for name, v in f.variables().items()}
