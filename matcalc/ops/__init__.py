"""Operators: their constructors (shape rule, canonical form) and their records.

Importing this package fills the registry (:mod:`matcalc.ops.record`) with
every built-in operator and function.
"""

from matcalc.ops import arith, functions, leaves, linalg, matrix, reductions, reshaping
from matcalc.ops.record import FUNCTIONS, OPS, Call, Function, Fuzz, Op, calls, function, op

__all__ = [
    "FUNCTIONS", "OPS", "Call", "Function", "Fuzz", "Op", "arith", "calls", "function",
    "functions", "leaves", "linalg", "matrix", "op", "reductions", "reshaping",
]
