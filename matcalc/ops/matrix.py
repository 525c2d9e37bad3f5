"""Matrix products and transposes.

A product's scalar factors are pulled out (``(2*A) @ x`` is ``2 * (A @ x)``),
transposes are pushed through products and sums to the leaves and cancel in
pairs, a symmetric variable is its own transpose, and ``dot``/``outer``/vector
``@`` vector are matrix products with a transposed vector.
"""

from __future__ import annotations

import weakref
from collections.abc import Generator, Sequence

from matcalc.core.dims import Shape, dims_equal
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, make
from matcalc.ops import arith, broadcast, functions, linalg
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.base import ShapeOnly, describe, is_row, is_zero, walk
from matcalc.ops.leaves import eye, zeros
from matcalc.ops.record import Call, Op, register


def matmul_shape(a: Shape, b: Shape, left: Expr | ShapeOnly, right: Expr | ShapeOnly) -> Shape:
    if not a or not b:
        which, e = (0, left) if not a else (1, right)
        raise ShapeError(f"cannot matrix-multiply the scalar {describe(e)}; use * instead",
                         suspects=((which, 1),))
    if len(a) > 2 or len(b) > 2:
        raise ShapeError(f"cannot matrix-multiply {describe(left)} by {describe(right)}: "
                         "use einsum for tensors of order 3 and more")
    if len(a) == 1 and len(b) == 2 and b[0] == 1 and a[0] != 1:
        return (a[0], b[1])  # column times row: outer product
    inner_a = a[-1]
    inner_b = b[0]
    if not dims_equal(inner_a, inner_b):
        raise ShapeError(f"cannot multiply {describe(left)} by {describe(right)}: "
                         f"inner dimensions {inner_a} and {inner_b} differ")
    out = a[:-1] + b[1:]
    if len(a) == 2 and a[0] == 1 and len(b) == 1:
        return ()  # row times column: a scalar
    return out


def _chain_shape(factors: Sequence[Expr]) -> Shape:
    shape = factors[0].shape
    for i in range(1, len(factors)):
        shape = matmul_shape(shape, factors[i].shape, factors[i - 1] if i == 1 else
                              ShapeOnly(shape), factors[i])
    return shape


def matmul(*factors: Expr) -> Expr:
    if len(factors) == 1:
        return factors[0]
    # binary check first so that errors name the operands as written
    if len(factors) == 2:
        shape = matmul_shape(factors[0].shape, factors[1].shape, factors[0], factors[1])
    else:
        shape = _chain_shape(factors)
    coeff_factors: list[Expr] = []
    chain: list[Expr] = []
    running: Shape | None = None  # the shape of the product of the factors so far
    for f in factors:
        if f.op == "mul" and f.shape:
            scalars = [g for g in f.args if not g.shape]
            arrays = [g for g in f.args if g.shape]
            if scalars:
                coeff_factors.extend(scalars)
                f = arith.mul(*arrays) if arrays else f
        if running is not None and len(running) == 1 and f.ndim == 2 and not (
                is_row(f.shape) and running[0] != 1):
            # column @ matrix (NumPy's vector-times-matrix) is matrix.T @ column; flattening
            # x @ (B @ u @ y.T) instead would give x @ B @ u @ y.T, another product
            chain[:0] = _factors(transpose(f), coeff_factors)
        elif running is not None and len(running) == 1 and f.ndim == 1:
            # column @ column is an inner product: (A @ x).T @ y, not A @ x @ y, in which
            # the parser would read x @ ... as a vector times what follows
            chain[:] = _factors(transpose(matmul(*chain)), coeff_factors)
            chain.extend(f.args if f.op == "matmul" else [f])
        elif f.op == "matmul":
            chain.extend(f.args)
        else:
            chain.append(f)
        running = f.shape if running is None else _product_shape(running, f.shape)
    if any(is_zero(f) for f in chain):
        return zeros(shape)
    chain = _cancel_inverses([f for f in chain if f.op != "eye"])
    while True:  # diag(1/y) @ diag(y) merges to eye(n), which goes, and so on
        shorter = _cancel_inverses([f for f in _merge_diagonals(chain) if f.op != "eye"])
        if len(shorter) == len(chain):
            break
        chain = shorter
    if not chain:  # a product of identities
        core = eye(shape[0])
    else:
        chain = _canonical_vector_chain(chain)
        pieces, rest = _scalar_pieces(chain)
        if pieces:  # r @ (u @ x.T) is (r @ u) * x.T: a row times a column is a scalar
            return arith.mul(*coeff_factors, *(matmul(*p) for p in pieces), matmul(*rest))
        core = chain[0] if len(chain) == 1 else make("matmul", tuple(chain), (), shape)
    if coeff_factors:
        return arith.mul(*coeff_factors, core)
    return core


def _factors(e: Expr, coeff_factors: list[Expr]) -> list[Expr]:
    """The factors of a product ``e`` for a chain; its scalar factors go to ``coeff_factors``."""
    if e.op == "mul" and e.shape and any(not g.shape for g in e.args):
        coeff_factors.extend(g for g in e.args if not g.shape)
        e = arith.mul(*(g for g in e.args if g.shape))
    return list(e.args) if e.op == "matmul" else [e]


def _scalar_pieces(chain: list[Expr]) -> tuple[list[list[Expr]], list[Expr]]:
    """The leading parts of a flattened chain whose product is a scalar, and the rest.

    Flattening r @ (u @ x.T) gives r @ u @ x.T, which is no product at all: the row
    times the column is a scalar, and a scalar cannot be matrix-multiplied.
    """
    pieces: list[list[Expr]] = []
    start, running = 0, None
    for i, f in enumerate(chain):
        running = f.shape if running is None else _product_shape(running, f.shape)
        if running == () and i < len(chain) - 1:
            pieces.append(chain[start:i + 1])
            start, running = i + 1, None
    return pieces, chain[start:]


def _product_shape(a: Shape, b: Shape) -> Shape:
    """The shape of a @ b for operands known to fit."""
    if len(a) == 1 and is_row(b) and a[0] != 1:
        return (a[0], b[1])
    if is_row(a) and len(b) == 1:
        return ()
    return a[:-1] + b[1:]


def _inverse_pair(a: Expr, b: Expr) -> bool:
    """Whether a @ b is the identity: X @ inv(X), inv(X) @ X, X.T @ inv(X).T, ..."""
    if a.op == "transpose" and b.op == "transpose":
        return _inverse_pair(b.args[0], a.args[0])
    return (b.op == linalg.INV and b.args[0] is a) or (a.op == linalg.INV and a.args[0] is b)


def _cancel_inverses(chain: list[Expr]) -> list[Expr]:
    out: list[Expr] = []
    for f in chain:
        if out and out[-1].ndim == 2 and f.ndim == 2 and _inverse_pair(out[-1], f):
            out.pop()
        else:
            out.append(f)
    return out


def _merge_diagonals(chain: list[Expr]) -> list[Expr]:
    """diag(a) @ diag(b) is diag(a * b)."""
    out: list[Expr] = []
    for f in chain:
        if out and f.op == linalg.DIAG and out[-1].op == linalg.DIAG:
            out[-1] = linalg.diag(arith.mul(out[-1].args[0], f.args[0]))
        else:
            out.append(f)
    return out


def _canonical_vector_chain(chain: list[Expr]) -> list[Expr]:
    """Chains never start with a column vector unless they form an outer product.

    ``x @ B`` (NumPy's vector-times-matrix) becomes ``B.T @ x``; ``x @ y`` becomes
    ``x.T @ y``, so each product has one spelling.
    """
    if len(chain) < 2 or chain[0].ndim != 1:
        return chain
    # x @ M1 @ ... @ Mk is a column; what follows it (if anything) is a column y (an
    # inner product) or a row y.T (an outer product), then perhaps more factors
    length, k = chain[0].shape[0], 1
    while k < len(chain) and chain[k].ndim == 2 and not (is_row(chain[k].shape)
                                                         and length != 1):
        length, k = chain[k].shape[1], k + 1
    if k == len(chain):  # a column: Mk.T @ ... @ M1.T @ x
        return [transpose(m) for m in reversed(chain[1:])] + [chain[0]]
    if chain[k].ndim == 1:  # a scalar: x.T @ M1 @ ... @ Mk @ y
        return [transpose(chain[0]), *chain[1:]]
    # an outer product: (Mk.T @ ... @ M1.T @ x) @ y.T @ ...
    return [transpose(m) for m in reversed(chain[1:k])] + [chain[0]] + chain[k:]


def transpose(a: Expr) -> Expr:
    return walk(_transpose, a, _transposes)


# transposes made before: X = (Y @ B + C).T nested a thousand deep stays linear, since
# transposing X reuses the transpose of Y.  Keys and values are weak: nothing is kept alive.
_transposes: weakref.WeakKeyDictionary[Expr, weakref.ref[Expr]] = weakref.WeakKeyDictionary()


def _transpose(a: Expr) -> Generator[Expr, Expr, Expr]:
    """Transpose pushed through products and sums (a step of :func:`walk`)."""
    if a.ndim == 0:
        return a
    if a.ndim > 2:
        raise ShapeError(f"cannot transpose the tensor {describe(a)}: use einsum")
    op = a.op
    if op == "transpose":
        return a.args[0]
    if op == "var" and a.structure:
        return a
    if op in ("eye", linalg.DIAG):
        return a
    if op == "commutation":  # K_mn' = K_nm (Magnus & Neudecker, theorem 3.9)
        return make(op, (), (a.attrs[1], a.attrs[0]), a.shape)
    if op in ("zeros", "ones"):
        return make(op, (), (), _transposed_shape(a.shape))
    if a.ndim == 1 and op != "var":
        # a transposed column stays one node, (A @ x - y).T, rather than x.T @ A.T - y.T
        return make("transpose", (a,), (), _transposed_shape(a.shape))
    if op in ("add", "mul") and any(f.op == broadcast.BROADCAST for f in a.args):
        # (X @ W + b)' stays one node: its terms transposed would broadcast over columns
        return make("transpose", (a,), (), _transposed_shape(a.shape))
    if op in ("matmul", "add", "mul"):
        operands = reversed(a.args) if op == "matmul" else a.args
        transposed = []
        for f in operands:
            transposed.append((yield f))
        return {"matmul": matmul, "add": arith.add, "mul": arith.mul}[op](*transposed)
    if op == linalg.INV and is_symmetric_expr(a.args[0]):
        return a
    if op in ("fn", "pow") and a.args[0].shape and (
            a.args[0].op == "transpose" or is_row(a.args[0].shape)):
        inner = yield a.args[0]
        return functions.fn(a.attrs[0], inner) if op == "fn" else arith.power(inner, a.args[1])
    return make("transpose", (a,), (), _transposed_shape(a.shape))


def _transposed_shape(shape: Shape) -> Shape:
    if len(shape) == 1:
        return (1, shape[0])
    if is_row(shape):
        return (shape[1],)
    return (shape[1], shape[0])


def is_symmetric_expr(e: Expr) -> bool:
    return walk(_symmetric, e)


def _symmetric(e: Expr) -> Generator[Expr, bool, bool]:
    if e.op == "var":
        return bool(e.structure)
    if e.op in ("eye", linalg.DIAG):
        return True
    if e.op == linalg.INV:
        return (yield e.args[0])
    if e.op == "matmul" and e.ndim == 2 and not is_row(e.shape):
        # a palindrome up to transposes: X.T @ X, X.T @ A @ X with A symmetric
        n = len(e.args)
        for k in range(n // 2):
            if transpose(e.args[n - 1 - k]) is not e.args[k]:
                return False
        return True if n % 2 == 0 else (yield e.args[n // 2])
    if e.op in ("add", "mul"):
        for t in e.args:
            if t.shape and not (yield t):
                return False
        return True
    return False


def is_symmetric(e: Expr) -> bool:
    """Whether ``e`` is known to be a symmetric matrix."""
    return e.ndim == 2 and is_symmetric_expr(e)


def dot(a: Expr, b: Expr) -> Expr:
    for i, e in enumerate((a, b)):
        if e.ndim != 1:
            raise ShapeError(f"dot needs two vectors, not {describe(e)}", suspects=((i, 1),))
    return matmul(transpose(a), b)


def outer(a: Expr, b: Expr) -> Expr:
    for i, e in enumerate((a, b)):
        if e.ndim != 1:
            raise ShapeError(f"outer needs two vectors, not {describe(e)}", suspects=((i, 1),))
    return matmul(a, transpose(b))


# matmul and transpose have no numpy value of their own: the evaluator lowers
# chains of products (cheapest order, rows and columns) and reads a transpose
# from the shapes (matcalc.numeric.lowering)
register(
    Op("matmul", None, rebuild=lambda node, args: matmul(*args), stem="mm",
       calls=(Call("dot", dot, 2), Call("outer", outer, 2)), sympy=sa.fold(sa.matmul)),
    Op("transpose", 1, rebuild=lambda node, args: transpose(args[0]), stem="t",
       sympy=sa.unary(sa.transpose)),
)
