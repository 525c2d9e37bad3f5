"""Reductions along one axis, largest and smallest entries, row-wise softmax.

As NumPy: on an ``(m, n)`` matrix ``axis=0`` reduces over the rows (one result
per column, ``(n,)``) and ``axis=1`` over the columns (``(m,)``); ``softmax(Z,
axis=1)`` normalises each row.  Each axis is a record of its own (``sum_axis0``,
``softmax_axis1``, ...), so its value, code and rule need no parameter; the
language's calls ``sum(X, axis=0)``, ``sum(X, 0)`` dispatch to them.

Canonical forms: ``mean`` along an axis is the sum divided by the axis' size;
``min`` is ``-max(-X)``; a vector's only axis is 0, and reducing it along it is
reducing all of it; a transposed matrix reduces along the other axis; scalars
come out of sums.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np

from matcalc.core.dims import Dim
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, make
from matcalc.ops import arith, functions, matrix, reductions
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import describe, is_row, is_zero, require
from matcalc.ops.broadcast import BROADCAST
from matcalc.ops.kernels import KERNELS
from matcalc.ops.leaves import const, dim, ones, zeros
from matcalc.ops.record import Call, Fuzz, Op, register

MAX = "max"
SUM_AXIS = ("sum_axis0", "sum_axis1")
MAX_AXIS = ("max_axis0", "max_axis1")
ISMAX_AXIS = ("ismax_axis0", "ismax_axis1")
SOFTMAX_AXIS = ("softmax_axis0", "softmax_axis1")
LOGSUMEXP_AXIS = ("logsumexp_axis0", "logsumexp_axis1")


def axis_of(name: str, a: Expr, axis: object) -> int | None:
    """The axis ``axis`` of ``a`` as 0 or 1; None for a vector's only axis (all of it).

    Negative axes count from the end, as in NumPy.
    """
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ShapeError(f"the axis of {name} is 0 or 1 (a whole number), not {axis}")
    if a.ndim == 1 or is_row(a.shape):
        if axis in (0, -1) and a.ndim == 1:
            return None
        if a.ndim == 1:
            raise ShapeError(f"{describe(a)} is a vector: its only axis is 0; "
                             f"write {name}({a})", suspects=((0, 2),))
    if a.ndim != 2:
        raise ShapeError(f"{name} along an axis needs a vector or a matrix, not {describe(a)}",
                         suspects=((0, 2),))
    if axis not in (0, 1, -1, -2):
        raise ShapeError(f"{describe(a)} has axes 0 (its rows) and 1 (its columns), "
                         f"not {axis}", suspects=((0, 2),))
    return axis % 2


def _result_shape(a: Expr, axis: int) -> tuple[Dim, ...]:
    return (a.shape[1 - axis],)


# ----------------------------------------------------------------------------------------
# constructors


def sum_axis(a: Expr, axis: object = None) -> Expr:
    """``sum(a)``, or ``sum(a, axis=k)`` along one axis."""
    if axis is None:
        return reductions.sum_(a)
    ax = axis_of("sum", a, axis)
    if ax is None:
        return reductions.sum_(a)
    if is_row(a.shape):  # a row's rows: the row itself; its columns: all of it
        return matrix.transpose(a) if ax == 0 else reductions.sum_(a)
    if is_zero(a):
        return zeros(_result_shape(a, ax))
    if a.op == "ones":
        return arith.mul(dim(a.shape[ax]), ones(_result_shape(a, ax)))
    scalars, rest = arith.pull_scalars(a)
    if scalars:
        return arith.mul(*scalars, sum_axis(rest, ax))
    if a.op == "transpose":
        return sum_axis(a.args[0], 1 - ax)
    if a.op == BROADCAST and ax == 0:  # m copies of b: m * b
        return arith.mul(dim(a.shape[0]), a.args[0])
    return make(SUM_AXIS[ax], (a,), (), _result_shape(a, ax))


def mean_axis(a: Expr, axis: object = None) -> Expr:
    """``mean(a)``, or the mean along one axis: the sum divided by the axis' size."""
    if axis is None:
        return reductions.mean(a)
    ax = axis_of("mean", a, axis)
    if ax is None:
        return reductions.mean(a)
    return arith.div(sum_axis(a, ax), dim(a.shape[ax]))


def max_(a: Expr, axis: object = None) -> Expr:
    """The largest entry, or the largest of each column (``axis=0``) or row (``axis=1``)."""
    require(a.ndim <= 2, lambda: f"max needs a vector or a matrix, not {describe(a)}", 1)
    if not a.shape:
        return a
    ax = None if axis is None else axis_of("max", a, axis)
    if ax is not None and is_row(a.shape):
        if ax == 1:
            ax = None
        else:
            return matrix.transpose(a)
    if a.op == "transpose" and a.args[0].ndim == 2:
        return max_(a.args[0], None if ax is None else 1 - ax)
    if ax is None:
        if a.op == "transpose":
            a = a.args[0]
        return make(MAX, (a,), (), ())
    return make(MAX_AXIS[ax], (a,), (), _result_shape(a, ax))


def min_(a: Expr, axis: object = None) -> Expr:
    """The smallest entry (or along an axis): ``-max(-a)``."""
    return arith.neg(max_(arith.neg(a), axis))


def ismax_axis(a: Expr, axis: object = None) -> Expr:
    """1 at the first largest entry (of each column for ``axis=0``, row for 1), else 0."""
    ax = None if axis is None else axis_of("ismax", a, axis)
    if ax is None or is_row(a.shape):
        return reductions.ismax(a) if ax != 0 else ones(a.shape)
    return make(ISMAX_AXIS[ax], (a,), (), a.shape)


def norm(a: Expr, ord: object = None) -> Expr:
    """``norm(x)``, or the p-norm ``norm(x, p)`` for a number ``p >= 1`` or ``inf``.

    ``p = 2`` is ``norm``, ``1`` is ``norm1`` and ``inf`` is ``norminf``; any other
    ``p`` is the definition ``sum(abs(x)^p)^(1/p)`` of a vector.
    """
    order = ord
    if order is None or order == 2:
        return reductions.norm(a)
    if order == "inf":
        return reductions.norminf(a)
    if order == 1:
        return reductions.norm1(a)
    if isinstance(order, str) or not isinstance(order, int | Fraction) or order < 1:
        raise ShapeError(f"the order of norm(x, p) is a number p >= 1 or inf, not {order}",
                         suspects=((1, 0),))
    require(a.ndim == 1, lambda: f"norm(x, {order}) is the {order}-norm of a vector, not of "
            f"{describe(a)}", 1)
    p = const(order)
    return arith.power(reductions.sum_(arith.power(functions.fn("abs", a), p)),
                       arith.div(const(1), p))


def _needs_axis(name: str, a: Expr) -> ShapeError:
    return ShapeError(f"{name} of the matrix {describe(a)} needs an axis: {name}({a}, axis=1) "
                      f"for each row, axis=0 for each column", suspects=((0, 1),))


def softmax(a: Expr, axis: object = None) -> Expr:
    """``softmax(x)`` of a vector, or of each row (``axis=1``) or column of a matrix."""
    if a.ndim == 2 and not is_row(a.shape):
        if axis is None:
            raise _needs_axis("softmax", a)
        return make(SOFTMAX_AXIS[_matrix_axis("softmax", a, axis)], (a,), (), a.shape)
    if axis is not None and axis_of("softmax", a, axis) is not None:
        raise _needs_axis("softmax", a)
    return reductions.softmax(a)


def logsumexp(a: Expr, axis: object = None) -> Expr:
    """``logsumexp(x)`` of a vector, or of each row (``axis=1``) or column of a matrix."""
    if a.ndim == 2 and not is_row(a.shape):
        if axis is None:
            raise _needs_axis("logsumexp", a)
        ax = _matrix_axis("logsumexp", a, axis)
        return make(LOGSUMEXP_AXIS[ax], (a,), (), _result_shape(a, ax))
    if axis is not None and axis_of("logsumexp", a, axis) is not None:
        raise _needs_axis("logsumexp", a)
    return reductions.logsumexp(a)


def _matrix_axis(name: str, a: Expr, axis: object) -> int:
    ax = axis_of(name, a, axis)
    assert ax is not None  # a is a matrix
    return ax


def log_softmax(s: Expr) -> Expr:
    """``log(softmax(Z, axis=k))`` as ``Z`` minus each row's (column's) logsumexp."""
    z = s.args[0]
    if s.op == SOFTMAX_AXIS[1]:  # each row: lse(Z) 1'
        return arith.sub(z, matrix.outer(logsumexp(z, 1), ones((z.shape[1],))))
    return arith.sub(z, logsumexp(z, 0))  # each column: the row lse(Z)' on every row


for _op in SOFTMAX_AXIS:
    reductions.LOG_CANONICAL[_op] = log_softmax


# ----------------------------------------------------------------------------------------
# SymPy values: a vector function applied to each column (axis 0) or row (axis 1)


def _along(fn: Callable[[sa.Obj], sa.Obj], axis: int, keep: bool
           ) -> Callable[[Expr, list[sa.Obj], sa.Context], sa.Obj]:
    """The SymPy value of ``fn`` along ``axis``; ``keep``: ``fn`` gives a vector."""
    def value(node: Expr, a: list[sa.Obj], ctx: sa.Context) -> sa.Obj:
        x = a[0] if axis == 1 else a[0].T
        parts = [fn(np.array(list(row), dtype=object)) for row in x]
        if keep:
            out = np.array([list(p) for p in parts], dtype=object)
            return out if axis == 1 else out.T
        return np.array([p[()] for p in parts], dtype=object)
    return value


def _largest(v: sa.Obj) -> sa.Obj:
    import sympy  # on first use: import matcalc does not load SymPy

    return sa.scalar(sympy.Max(*v.flat))


_TAG = ("cols", "rows")  # the kernels' names: along axis 0 each column, along 1 each row
_INDEX = ("i", "j")  # the index an axis runs over, in LaTeX: \sum_{i}, \max_{j}


def _axis_records(axis: int) -> tuple[Op, ...]:
    keyword = f", axis={axis}"
    tag = _TAG[axis]
    index = _INDEX[axis]
    return (
        Op(SUM_AXIS[axis], 1, rebuild=lambda node, args: sum_axis(args[0], axis),
           numpy=lambda x: np.sum(x, axis=axis), code=f"np.sum({{0}}, axis={axis})",
           stem="sums", text="sum", options=keyword, latex=rf"\sum_{{{index}}}",
           sympy=_along(sa.total, axis, keep=False)),
        Op(MAX_AXIS[axis], 1, rebuild=lambda node, args: max_(args[0], axis),
           numpy=lambda x: np.max(x, axis=axis), code=f"np.max({{0}}, axis={axis})",
           stem="maxes", text="max", options=keyword, latex=rf"\max_{{{index}}}",
           kink="argmax", sympy=_along(_largest, axis, keep=False)),
        Op(ISMAX_AXIS[axis], 1, rebuild=lambda node, args: ismax_axis(args[0], axis),
           numpy=KERNELS[f"_ismax_{tag}"], code=f"_ismax_{tag}({{0}})",
           helpers=(f"_ismax_{tag}",), stem="ismaxes", text="ismax", options=keyword,
           latex=rf"\operatorname{{ismax}}_{{{index}}}", kink="argmax",
           sympy=_along(sa.ismax, axis, keep=True)),
        Op(SOFTMAX_AXIS[axis], 1, rebuild=lambda node, args: softmax(args[0], axis),
           numpy=KERNELS[f"_softmax_{tag}"], code=f"_softmax_{tag}({{0}})",
           helpers=(f"_softmax_{tag}",), stem="softmaxes", text="softmax", options=keyword,
           latex=rf"\operatorname{{softmax}}_{{{index}}}",
           sympy=_along(sa.softmax, axis, keep=True),
           fuzz=(Fuzz(0.3, "matrix", ("matrix",), call="softmax"),)),
        Op(LOGSUMEXP_AXIS[axis], 1, rebuild=lambda node, args: logsumexp(args[0], axis),
           numpy=KERNELS[f"_logsumexp_{tag}"], code=f"_logsumexp_{tag}({{0}})",
           helpers=(f"_logsumexp_{tag}",), stem="lses", text="logsumexp", options=keyword,
           latex=rf"\operatorname{{logsumexp}}_{{{index}}}",
           sympy=_along(sa.logsumexp, axis, keep=False)),
    )


register(
    Op(MAX, 1, rebuild=lambda node, args: max_(args[0]), numpy=np.max, code="np.max({0})",
       stem="largest", text="max", latex=r"\max", kink="argmax", sympy=sa.unary(_largest),
       calls=(Call("max", max_, keywords=("axis",)), Call("min", min_, keywords=("axis",)),
              Call("sum", sum_axis, keywords=("axis",)),
              Call("mean", mean_axis, keywords=("axis",)),
              Call("softmax", softmax, keywords=("axis",)),
              Call("logsumexp", logsumexp, keywords=("axis",)),
              Call("norm", norm, keywords=("ord",)),
              Call("ismax", ismax_axis, keywords=("axis",))),
       fuzz=(Fuzz(0.5, "scalar", ("any",)),)),
    *_axis_records(0), *_axis_records(1),
)
