"""Operators: their constructors (shape rule, canonical form) and their records.

Importing this package fills the registry (:mod:`matcalc.ops.record`) with
every built-in operator and function.
"""

from matcalc.ops import (
    arith,
    axes,
    broadcast,
    constants,
    functions,
    leaves,
    linalg,
    matrix,
    reductions,
    reshaping,
)
from matcalc.ops.record import FUNCTIONS, OPS, Call, Function, Fuzz, Op, calls, function, op

__all__ = [
    "FUNCTIONS", "OPS", "Call", "Function", "Fuzz", "Op", "arith", "axes", "broadcast", "calls",
    "constants",
    "function",
    "functions", "leaves", "linalg", "matrix", "op", "reductions", "reshaping",
]
