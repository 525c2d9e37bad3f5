"""Rearranging entries: Kronecker products, vec, unvec and NumPy's reshape."""

from __future__ import annotations

import numpy as np

from matcalc.core.dims import Dim, Shape, dim_value, format_shape, product_dim
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, make
from matcalc.ops import arith, matrix
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import describe, is_row, is_zero, require
from matcalc.ops.leaves import eye, ones, zeros
from matcalc.ops.record import Call, Fuzz, Op, register

KRON, VEC, UNVEC, RESHAPE = "kron", "vec", "unvec", "reshape"

def kron(a: Expr, b: Expr) -> Expr:
    if a.ndim != b.ndim or a.ndim not in (1, 2):
        raise ShapeError(f"kron needs two vectors or two matrices, not {describe(a)} and "
                         f"{describe(b)}", suspects=((0, b.ndim),) if b.ndim else ())
    shape = tuple(product_dim((x, y)) for x, y in zip(a.shape, b.shape, strict=True))
    return make(KRON, (a, b), (), shape)


def vec(a: Expr) -> Expr:
    require(a.ndim in (1, 2), lambda: f"vec needs a vector or a matrix, not {describe(a)}", 2)
    scalars, a = arith.pull_scalars(a)
    if scalars:
        return arith.mul(*scalars, vec(a))
    if a.op == UNVEC:
        return a.args[0]
    if a.ndim == 1:
        return a
    if is_row(a.shape):
        return matrix.transpose(a)
    return make(VEC, (a,), (), (product_dim(a.shape),))


def _same_size(a: Shape, b: Shape) -> bool:
    """Whether two shapes have equally many entries (products compared factor by factor)."""
    def factors(shape: Shape) -> list[str]:
        out: list[str] = []
        number = 1
        for d in shape:
            for f in str(d).split("*"):
                if f.isdigit():
                    number *= int(f)
                else:
                    out.append(f)
        return sorted(out) + ([str(number)] if number != 1 else [])
    return factors(a) == factors(b)


def reshape(a: Expr, shape: Shape) -> Expr:
    """NumPy's reshape (row-major order) to ``shape``."""
    shape = tuple(shape)
    if not _same_size(a.shape, shape):
        raise ShapeError(f"cannot reshape {describe(a)} to {format_shape(shape)}: "
                         "the number of entries differs")
    if shape == a.shape:
        return a
    scalars, rest = arith.pull_scalars(a)
    if scalars:
        return arith.mul(*scalars, reshape(rest, shape))
    if a.op == RESHAPE:
        return reshape(a.args[0], shape)
    if is_zero(a):
        return zeros(shape)
    if a.op == "ones":
        return ones(shape)
    return make(RESHAPE, (a,), (), shape)


def unvec(v: Expr, rows: Dim, cols: Dim) -> Expr:
    """The inverse of vec: a column-stacked vector back to a rows×cols matrix."""
    require(v.ndim == 1, lambda: f"unvec needs a vector, not {describe(v)}", 1)
    scalars, v = arith.pull_scalars(v)
    if scalars:
        return arith.mul(*scalars, unvec(v, rows, cols))
    if v.op == VEC and v.args[0].shape == (rows, cols):
        return v.args[0]
    return make(UNVEC, (v,), (), (rows, cols))


register(
    Op(KRON, 2, rebuild=lambda node, args: kron(*args), numpy=np.kron, code="np.kron({0}, {1})",
       codes={"dask": "_kron({0}, {1})"},
       stem="kron", text="kron", calls=(Call("kron", kron, 2),),
       sympy=lambda node, a, ctx: sa.kron(a[0], a[1])),
    Op(VEC, 1, rebuild=lambda node, args: vec(args[0]),
       numpy=lambda a: a.reshape(-1, order="F"), code='np.reshape({0}, -1, order="F")',
       codes={"torch": "{0}.T.reshape(-1)", "dask": "{0}.T.reshape(-1)"},
       stem="vec", text="vec", latex=r"\operatorname{vec}", calls=(Call("vec", vec),),
       sympy=sa.unary(lambda x: x.reshape(-1, order="F"))),
    # unvec and reshape carry their result's shape, which the parser reads as sizes
    Op(UNVEC, 1, rebuild=lambda node, args: unvec(args[0], node.shape[0], node.shape[1]),
       numpy=lambda a, shape: a.reshape(shape, order="F"), shaped=True,
       code='np.reshape({0}, {shape}, order="F")',
       codes={"torch": "{0}.reshape({tshape}).T", "dask": "{0}.reshape({tshape}).T"},
       stem="mat",
       sympy=lambda node, a, ctx: a[0].reshape(ctx.shape(node), order="F"),
       fuzz=(Fuzz(0.5, "matrix-mn", ("product-vector",)),)),
    Op(RESHAPE, 1, rebuild=lambda node, args: reshape(args[0], node.shape),
       numpy=lambda a, shape: np.reshape(a, shape), shaped=True,
       code="np.reshape({0}, {shape})", stem="r",
       sympy=lambda node, a, ctx: a[0].reshape(ctx.shape(node)),
       fuzz=(Fuzz(0.5, "product-vector", ("matrix-mn",)),)),
)


# ----------------------------------------------------------------------------------------
# the commutation matrix (Magnus & Neudecker, "Matrix Differential Calculus", ch. 3.7)

COMMUTATION = "commutation"


def commutation(m: Dim, n: Dim) -> Expr:
    """K_mn, the (m*n)×(m*n) permutation with ``K_mn @ vec(X) = vec(X')`` for X m×n."""
    size = product_dim((m, n))
    if m == 1 or n == 1:  # K_1n = K_n1 = I
        return eye(size)
    return make(COMMUTATION, (), (m, n), (size, size))


def commutation_order(m: int, n: int) -> np.ndarray:
    """The permutation of K_mn: ``(K_mn @ v)[r] = v[order[r]]``, ``r = i*n + j`` → ``i + m*j``."""
    return np.arange(m * n).reshape(n, m).T.reshape(-1)


def commutation_value(m: int, n: int) -> np.ndarray:
    """K_mn as an array: the identity's rows permuted (an index permutation, no product)."""
    value: np.ndarray = np.eye(m * n)[commutation_order(m, n)]
    return value


register(
    Op(COMMUTATION, 0, leaf=True, numpy=commutation_value, stem="K",
       code="np.eye({0} * {1})[np.arange({0} * {1}).reshape({1}, {0}).T.reshape(-1)]",
       latex="K", text="commutation",
       sympy=lambda node, a, ctx: sa.as_array(commutation_value(
           *(dim_value(d, ctx.sizes) or 0 for d in node.attrs)).astype(int).astype(object))),
)
