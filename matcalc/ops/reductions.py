"""Reductions of a vector or matrix to a number, and the softmax family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matcalc.core.expr import Expr, make
from matcalc.ops import arith, broadcast, linalg
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import describe, is_zero, require
from matcalc.ops.kernels import KERNELS
from matcalc.ops.leaves import const, dim
from matcalc.ops.record import Call, Fuzz, Op, register

SOFTMAX, LOGSUMEXP, ISMAX, MEAN = "softmax", "logsumexp", "ismax", "mean"

# log of a softmax node, by its kind: the difference it is (filled by matcalc.ops.axes)
LOG_CANONICAL: dict[str, Callable[[Expr], Expr]] = {}


def sum_(a: Expr) -> Expr:
    if not a.shape:
        return a
    if is_zero(a):
        return const(0)
    scalars, rest = arith.pull_scalars(a)
    if scalars:
        return arith.mul(*scalars, sum_(rest))
    if a.op == "transpose":
        return sum_(a.args[0])
    if a.op == linalg.DIAGPART:
        return linalg.trace(a.args[0])
    if a.op == SOFTMAX:  # probabilities sum to one
        return const(1)
    if a.op == broadcast.BROADCAST:  # m copies of the vector b: m * sum(b)
        return arith.mul(_rows(a), sum_(a.args[0]))
    return make("sum", (a,), (), ())


def _rows(a: Expr) -> Expr:
    """The length of ``a``'s first axis, as a scalar."""
    return dim(a.shape[0])


def mean(a: Expr) -> Expr:
    """The mean of all entries (NumPy's ``np.mean``); linear, so scalars come out."""
    if not a.shape:
        return a
    scalars, rest = arith.pull_scalars(a)
    if scalars:
        return arith.mul(*scalars, mean(rest))
    if a.op == "transpose":
        return mean(a.args[0])
    if is_zero(a):
        return const(0)
    if a.op == "ones":
        return const(1)
    if a.op == SOFTMAX:  # probabilities sum to one: their mean is 1 / n
        return arith.div(const(1), _rows(a))
    return make(MEAN, (a,), (), ())



def _entrywise_norm(kind: str, a: Expr) -> Expr:
    """norm, norm1 or norminf of a vector or a matrix (entrywise); a transpose has the same."""
    require(a.ndim in (1, 2), lambda: f"{kind} needs a vector or a matrix, not {describe(a)}", 1)
    if a.op == "transpose":
        a = a.args[0]
    return make(kind, (a,), (), ())


def norm(a: Expr) -> Expr:
    return _entrywise_norm("norm", a)


def norm1(a: Expr) -> Expr:
    return _entrywise_norm("norm1", a)


def norminf(a: Expr) -> Expr:
    return _entrywise_norm("norminf", a)


def softmax(a: Expr) -> Expr:
    require(a.ndim == 1, lambda: f"softmax needs a vector, not {describe(a)}", 1)
    return make(SOFTMAX, (a,), (), a.shape)


def logsumexp(a: Expr) -> Expr:
    require(a.ndim == 1, lambda: f"logsumexp needs a vector, not {describe(a)}", 1)
    return make(LOGSUMEXP, (a,), (), ())


def ismax(a: Expr) -> Expr:
    require(a.ndim in (1, 2), lambda: f"ismax needs a vector or a matrix, not {describe(a)}", 1)
    return make(ISMAX, (a,), (), a.shape)


register(
    Op("sum", 1, rebuild=lambda node, args: sum_(args[0]), numpy=np.sum, code="np.sum({0})",
       stem="total", text="sum", latex=r"\operatorname{sum}",
       sympy=sa.unary(sa.total)),
    Op(MEAN, 1, rebuild=lambda node, args: mean(args[0]), numpy=np.mean,
       code="np.mean({0})", stem="mean", text="mean", latex=r"\operatorname{mean}",
       sympy=sa.unary(lambda x: sa.scalar(sa.total(x)[()] / x.size)),
       fuzz=(Fuzz(1, "scalar", ("any",)),)),
    Op("norm", 1, rebuild=lambda node, args: norm(args[0]),
       numpy=lambda a: np.linalg.norm(a.reshape(-1)), code="np.linalg.norm({0})", stem="norm",
       text="norm",
       sympy=sa.unary(sa.norm)),
    Op("norm1", 1, rebuild=lambda node, args: norm1(args[0]),
       numpy=lambda a: np.sum(np.abs(a)), code="np.sum(np.abs({0}))", stem="norm1",
       text="norm1", kink="sign", calls=(Call("norm1", norm1),),
       sympy=sa.unary(sa.norm1)),
    Op("norminf", 1, rebuild=lambda node, args: norminf(args[0]),
       numpy=lambda a: np.max(np.abs(a)), code="np.max(np.abs({0}))", stem="norminf",
       text="norminf", kink="absmax", calls=(Call("norminf", norminf),),
       sympy=sa.unary(sa.norminf)),
    Op(SOFTMAX, 1, rebuild=lambda node, args: softmax(args[0]), numpy=KERNELS["_softmax"],
       code="_softmax({0})", helpers=("_softmax",), stem="softmax", text="softmax",
       latex=r"\operatorname{softmax}",
       sympy=sa.unary(sa.softmax)),
    Op(LOGSUMEXP, 1, rebuild=lambda node, args: logsumexp(args[0]),
       numpy=KERNELS["_logsumexp"], code="_logsumexp({0})", helpers=("_logsumexp",),
       stem="lse", text="logsumexp", latex=r"\operatorname{logsumexp}",
       sympy=sa.unary(sa.logsumexp)),
    Op(ISMAX, 1, rebuild=lambda node, args: ismax(args[0]), numpy=KERNELS["_ismax"],
       code="_ismax({0})", helpers=("_ismax",), stem="ismax", text="ismax",
       latex=r"\operatorname{ismax}", kink="argmax",
       sympy=sa.unary(sa.ismax),
       fuzz=(Fuzz(0.5, "vector", ("vector",)), Fuzz(0.3, "matrix", ("matrix",)))),
)
