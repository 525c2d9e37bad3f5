"""Square-matrix functions: trace, determinant, log-determinant, inverse, diag."""

from __future__ import annotations

from collections.abc import Generator
from fractions import Fraction

import numpy as np

from matcalc.core.dims import dims_equal
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, make
from matcalc.ops import arith, matrix, reductions
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import describe, is_row, is_zero, require, walk
from matcalc.ops.leaves import const, dim, eye, ones, zeros
from matcalc.ops.record import Call, Op, register

# node kinds of this module, for the canonical forms of other modules that know them
TR, DET, LOGDET, INV, DIAG, DIAGPART = "tr", "det", "logdet", "inv", "diag", "diagpart"

def _square(name: str, a: Expr) -> None:
    require(a.ndim == 2, lambda: f"{name} needs a square matrix, not {describe(a)}", 2)
    if not dims_equal(a.shape[0], a.shape[1]):
        raise ShapeError(f"{name} needs a square matrix, but {describe(a)} is not square")


def trace(a: Expr) -> Expr:
    return walk(_trace, a)


def _trace(a: Expr) -> Generator[Expr, Expr, Expr]:
    _square("tr", a)
    if a.op == "transpose":
        return (yield a.args[0])
    if a.op == "eye":
        return dim(a.shape[0])
    if a.op == "add":
        terms = []
        for t in a.args:
            terms.append((yield t) if t.shape else arith.mul(t, dim(a.shape[0])))
        return arith.add(*terms)
    if a.op == "mul" and a.args[0].op == "const":
        return arith.scale(a.args[0].attrs[0], (yield arith.mul(*a.args[1:])))
    if is_zero(a):
        return const(0)
    if a.op == DIAG:
        return reductions.sum_(a.args[0])
    return make(TR, (a,), (), ())


def det(a: Expr) -> Expr:
    _square("det", a)
    if a.op == "transpose":
        return det(a.args[0])
    if a.op == "eye":
        return const(1)
    if a.op == INV:
        return arith.power(det(a.args[0]), const(-1))
    return make(DET, (a,), (), ())


def logdet(a: Expr) -> Expr:
    _square("logdet", a)
    if a.op == "transpose":
        return logdet(a.args[0])
    if a.op == "eye":
        return const(0)
    return make(LOGDET, (a,), (), ())


def inv(a: Expr) -> Expr:
    _square("inv", a)
    if a.op == INV:
        return a.args[0]
    if a.op == "eye":
        return a
    if a.op == "transpose":
        return matrix.transpose(inv(a.args[0]))
    if a.op == "mul" and a.args[0].op == "const" and len(a.args) == 2:
        return arith.scale(Fraction(1) / a.args[0].attrs[0], inv(a.args[1]))
    if a.op == DIAG:
        return diag(arith.power(a.args[0], const(-1)))
    return make(INV, (a,), (), a.shape)


def diag(a: Expr) -> Expr:
    """diag(vector) is a diagonal matrix; diag(square matrix) its diagonal."""
    if a.ndim == 1:
        if a.op == "ones":
            return eye(a.shape[0])
        if a.op == "zeros":
            return zeros((a.shape[0], a.shape[0]))
        if a.op == DIAGPART and a.args[0].op == "diag":
            return a.args[0]
        return make(DIAG, (a,), (), (a.shape[0], a.shape[0]))
    require(a.ndim == 2, lambda: f"diag needs a vector or a square matrix, not {describe(a)}", 1)
    if not dims_equal(a.shape[0], a.shape[1]):
        raise ShapeError(f"diag of a matrix needs a square matrix, but {describe(a)} is not")
    if a.op == DIAG:
        return a.args[0]
    if a.op == "eye":
        return ones((a.shape[0],))
    if a.op == "transpose":
        return diag(a.args[0])
    if a.op == "zeros":
        return zeros((a.shape[0],))
    if a.op == "matmul" and len(a.args) == 2 and a.args[0].ndim == 1 and is_row(a.args[1].shape):
        return arith.mul(a.args[0], matrix.transpose(a.args[1]))  # diag(u @ v.T) = u * v
    return make(DIAGPART, (a,), (), (a.shape[0],))


# no Fuzz entries: their operands must be invertible or square, so the fuzzer's
# generator writes their productions itself (matcalc.check.fuzz.generator)
register(
    Op(TR, 1, rebuild=lambda node, args: trace(args[0]), numpy=np.trace, code="np.trace({0})",
       stem="trace", text="tr", latex=r"\operatorname{tr}",
       sympy=sa.unary(sa.trace),
       calls=(Call("tr", trace), Call("trace", trace))),
    Op(DET, 1, rebuild=lambda node, args: det(args[0]), numpy=np.linalg.det,
       code="np.linalg.det({0})", codes={"dask": "_det({0})"},
       stem="det", text="det", latex=r"\det", domain="invertible",
       kink="detsign", calls=(Call("det", det),), sympy=sa.unary(lambda x: sa.scalar(sa.det(x)))),
    # logdet is log|det X| (SPEC section 2); its LaTeX drops the bars only for spd X
    Op(LOGDET, 1, rebuild=lambda node, args: logdet(args[0]),
       numpy=lambda a: np.linalg.slogdet(a)[1], code="np.linalg.slogdet({0})[1]",
       codes={"dask": "_logabsdet({0})"},
       stem="logdet", text="logdet", domain="invertible", kink="detsign",
       calls=(Call("logdet", logdet),),
       sympy=sa.unary(sa.logabsdet)),
    Op(INV, 1, rebuild=lambda node, args: inv(args[0]), numpy=np.linalg.inv,
       code="np.linalg.inv({0})", codes={"dask": "_inv({0})"}, stem="inv", text="inv",
       domain="invertible", kink="detsign",
       calls=(Call("inv", inv),), sympy=sa.unary(sa.inv)),
    # diag(v) is a diagonal matrix, diag(X) the diagonal of X: two node kinds, one name
    Op(DIAG, 1, rebuild=lambda node, args: diag(args[0]), numpy=np.diag, code="np.diag({0})",
       stem="D", text="diag", latex=r"\operatorname{diag}", calls=(Call("diag", diag),),
       sympy=sa.unary(sa.diag)),
    Op(DIAGPART, 1, rebuild=lambda node, args: diag(args[0]),
       numpy=lambda a: np.diag(a).copy(), code="np.diagonal({0}).copy()",
       codes={"torch": "torch.diagonal({0}).clone()"}, stem="dg",
       text="diag", latex=r"\operatorname{diag}", sympy=sa.unary(sa.diagonal)),
)
