"""An expression expanded into its scalar entries, node by node, in SymPy.

Each node's value comes from its operator record's ``sympy`` field
(:class:`matcalc.ops.record.Op`, written with :mod:`matcalc.ops.sympy_arrays`);
this stage keeps no table of its own.  :func:`entries` evaluates an expression
with them.
"""

from __future__ import annotations

import numpy as np

from matcalc.core.dims import dim_value
from matcalc.core.expr import Expr, postorder
from matcalc.ops.record import OPS
from matcalc.ops.sympy_arrays import Context, Obj, Unsupported

__all__ = ["Unsupported", "entries", "value_of"]


def value_of(node: Expr, a: list[Obj], ctx: Context) -> Obj:
    """The entries of ``node`` from its operands' entries ``a``."""
    record = OPS.get(node.op)
    if record is None or record.sympy is None:
        raise Unsupported(f"no SymPy rule for the operator {node.op}")
    out: Obj = record.sympy(node, a, ctx)
    return out


def entries(expr: Expr, env: dict[str, Obj], sizes: dict[str, int]) -> Obj:
    """``expr`` expanded into an object array of SymPy expressions (0-d for a scalar).

    ``env`` holds the entries of the variables (symbols, or numbers at a point).
    """
    ctx = Context(sizes, env)
    done: dict[int, Obj] = {}
    for node in postorder(expr):
        a = [done[id(x)] for x in node.args]
        done[id(node)] = value_of(node, a, ctx)
    out = done[id(expr)]
    want = tuple(dim_value(d, sizes) or 1 for d in expr.shape)
    if out.shape != want:
        out = np.broadcast_to(out, want).copy()
    return out
