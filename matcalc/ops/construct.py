"""Every constructor, under one name: ``from matcalc.ops import construct as c``.

Each constructor builds one kind of node: it checks the operands' shapes
(raising :class:`ShapeError` that names them) and canonicalises, so that equal
expressions written differently become the same node.  They live beside their
operators' records in the modules of :mod:`matcalc.ops`; this module gathers
them for the stages above, which build expressions with ``c.add``, ``c.inv``, ...
(each name is re-exported with ``name as name``, which ruff and mypy read as public)
"""

from matcalc.ops.arith import (
    add as add,
)
from matcalc.ops.arith import (
    div as div,
)
from matcalc.ops.arith import (
    mul as mul,
)
from matcalc.ops.arith import (
    neg as neg,
)
from matcalc.ops.arith import (
    power as power,
)
from matcalc.ops.arith import (
    pull_scalars as pull_scalars,
)
from matcalc.ops.arith import (
    scale as scale,
)
from matcalc.ops.arith import (
    split_coefficient as split_coefficient,
)
from matcalc.ops.arith import (
    sub as sub,
)
from matcalc.ops.axes import (
    sum_axis as sum_axis,
)
from matcalc.ops.base import (
    MAX_DIGITS as MAX_DIGITS,
)
from matcalc.ops.base import (
    ShapeOnly as ShapeOnly,
)
from matcalc.ops.base import (
    describe as describe,
)
from matcalc.ops.base import (
    is_const as is_const,
)
from matcalc.ops.base import (
    is_row as is_row,
)
from matcalc.ops.base import (
    is_square as is_square,
)
from matcalc.ops.base import (
    is_zero as is_zero,
)
from matcalc.ops.base import (
    number as number,
)
from matcalc.ops.broadcast import (
    broadcast as broadcast,
)
from matcalc.ops.broadcast import (
    fits as fits,
)
from matcalc.ops.constants import (
    pi as pi,
)
from matcalc.ops.functions import (
    fn as fn,
)
from matcalc.ops.leaves import (
    const as const,
)
from matcalc.ops.leaves import (
    dim as dim,
)
from matcalc.ops.leaves import (
    eye as eye,
)
from matcalc.ops.leaves import (
    ones as ones,
)
from matcalc.ops.leaves import (
    var as var,
)
from matcalc.ops.leaves import (
    zeros as zeros,
)
from matcalc.ops.linalg import (
    det as det,
)
from matcalc.ops.linalg import (
    diag as diag,
)
from matcalc.ops.linalg import (
    inv as inv,
)
from matcalc.ops.linalg import (
    logdet as logdet,
)
from matcalc.ops.linalg import (
    trace as trace,
)
from matcalc.ops.matrix import (
    dot as dot,
)
from matcalc.ops.matrix import (
    is_symmetric as is_symmetric,
)
from matcalc.ops.matrix import (
    matmul as matmul,
)
from matcalc.ops.matrix import (
    matmul_shape as matmul_shape,
)
from matcalc.ops.matrix import (
    outer as outer,
)
from matcalc.ops.matrix import (
    transpose as transpose,
)
from matcalc.ops.reductions import (
    ismax as ismax,
)
from matcalc.ops.reductions import (
    logsumexp as logsumexp,
)
from matcalc.ops.reductions import (
    norm as norm,
)
from matcalc.ops.reductions import (
    norm1 as norm1,
)
from matcalc.ops.reductions import (
    norminf as norminf,
)
from matcalc.ops.reductions import (
    softmax as softmax,
)
from matcalc.ops.reductions import (
    sum_ as sum_,
)
from matcalc.ops.reshaping import (
    commutation as commutation,
)
from matcalc.ops.reshaping import (
    kron as kron,
)
from matcalc.ops.reshaping import (
    reshape as reshape,
)
from matcalc.ops.reshaping import (
    unvec as unvec,
)
from matcalc.ops.reshaping import (
    vec as vec,
)
