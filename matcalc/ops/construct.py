"""Every constructor, under one name: ``from matcalc.ops import construct as c``.

Each constructor builds one kind of node: it checks the operands' shapes
(raising :class:`ShapeError` that names them) and canonicalises, so that equal
expressions written differently become the same node.  They live beside their
operators' records in the modules of :mod:`matcalc.ops`; this module gathers
them for the stages above, which build expressions with ``c.add``, ``c.inv``, ...
"""

from matcalc.ops.arith import add, div, mul, neg, power, pull_scalars, scale, split_coefficient, sub
from matcalc.ops.base import (
    MAX_DIGITS,
    ShapeOnly,
    describe,
    is_const,
    is_row,
    is_square,
    is_zero,
    number,
)
from matcalc.ops.functions import fn
from matcalc.ops.leaves import const, dim, eye, ones, var, zeros
from matcalc.ops.linalg import det, diag, inv, logdet, trace
from matcalc.ops.matrix import dot, is_symmetric, matmul, matmul_shape, outer, transpose
from matcalc.ops.reductions import ismax, logsumexp, norm, norm1, norminf, softmax, sum_
from matcalc.ops.reshaping import kron, reshape, unvec, vec

__all__ = [
    "MAX_DIGITS", "ShapeOnly", "add", "const", "describe", "det", "diag", "dim", "div", "dot",
    "eye", "fn", "inv", "is_const", "is_row", "is_square", "is_symmetric", "is_zero", "ismax",
    "kron", "logdet", "logsumexp", "matmul", "matmul_shape", "mul", "neg", "norm", "norm1",
    "norminf", "number", "ones", "outer", "power", "pull_scalars", "reshape", "scale",
    "softmax", "split_coefficient", "sub", "sum_", "trace", "transpose", "unvec", "var", "vec",
    "zeros",
]
