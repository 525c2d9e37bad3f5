"""Differentials: one forward (JVP) rule per operator, in matrix notation.

``differential(f, x)`` is ``df``, an expression linear in a direction variable
``dx`` (named ``d`` + the variable's name, of its shape and structure) and of
the shape of ``f``, whatever the order of the array derivative: the form books
write order-3 and order-4 derivatives in (Magnus & Neudecker, "Matrix
Differential Calculus", ch. 8-9; the Matrix Cookbook, section 2).

The pass walks the DAG once, operands before the nodes that use them; each node's
differential comes from its operands' through the rule of its operator in
:data:`JVP`.  A ``None`` differential stands for zero (the operand does not
depend on ``x``), so constant subgraphs cost nothing.  Rules build their result
with the constructors, so the result is in matrix notation by construction:
``d(A @ X @ B) = A @ dX @ B``, ``d inv(X) = -inv(X) @ dX @ inv(X)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matcalc.algebra.contraction import build_einsum
from matcalc.algebra.simplify import remake
from matcalc.core.errors import DiffError
from matcalc.core.expr import Expr, depends_on, postorder
from matcalc.ops import axes
from matcalc.ops import construct as c
from matcalc.ops.broadcast import BROADCAST, broadcast
from matcalc.ops.constants import PI
from matcalc.ops.functions import derivative_of
from matcalc.ops.linalg import DET, DIAG, DIAGPART, INV, LOGDET, TR
from matcalc.ops.reductions import ISMAX, LOGSUMEXP, MEAN, SOFTMAX, mean
from matcalc.ops.reshaping import COMMUTATION, KRON, RESHAPE, UNVEC, VEC

Diff = Expr | None  # a differential; None is zero
JvpRule = Callable[[Expr, Sequence[Diff]], Diff]
JVP: dict[str, JvpRule] = {}


def defjvp(*ops: str) -> Callable[[JvpRule], JvpRule]:
    """Register ``rule(node, operand differentials)`` for the node kinds ``ops``."""
    def register(rule: JvpRule) -> JvpRule:
        for name in ops:
            JVP[name] = rule
        return rule
    return register


def direction(x: Expr) -> Expr:
    """The direction variable ``dx``: named ``d`` + x's name, x's shape and structure."""
    return c.var("d" + x.name, x.shape, x.structure)


def differential(f: Expr, x: Expr) -> Expr:
    """``df`` in the direction ``dx`` (see :func:`direction`), shape ``f.shape``."""
    live = depends_on(f, {x.name})
    if id(f) not in live:
        return c.zeros(f.shape)
    dx = direction(x)
    done: dict[int, Diff] = {id(x): dx}
    for node in postorder(f):
        if id(node) not in live or id(node) in done:
            continue
        rule = JVP.get(node.op)
        if rule is None:
            raise DiffError(f"no differential rule for {node.op}")
        d = rule(node, [done.get(id(a)) if id(a) in live else None for a in node.args])
        done[id(node)] = None if d is None else _broadcast(d, node)
    result = done[id(f)]
    return c.zeros(f.shape) if result is None else result


def _broadcast(d: Expr, node: Expr) -> Expr:
    """A scalar differential of an array node (``x + A`` by scalar ``x``) spread over it."""
    if d.shape or not node.shape:
        return d
    return c.mul(d, c.ones(node.shape))


def _total(*terms: Diff) -> Diff:
    present = [t for t in terms if t is not None]
    return c.add(*present) if present else None


# ----------------------------------------------------------------------------------------
# sums and products


@defjvp("add")
def jvp_add(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d(a + b) = da + db; a scalar term's differential spreads over the array
    return _total(*(None if d is None else _broadcast(d, node) for d in ds))


@defjvp("mul")
def jvp_mul(node: Expr, ds: Sequence[Diff]) -> Diff:
    # product rule: d(a ⊙ b) = da ⊙ b + a ⊙ db   (MC 37, elementwise)
    args = node.args
    return _total(*(None if d is None else c.mul(*args[:i], d, *args[i + 1:])
                    for i, d in enumerate(ds)))


@defjvp("pow")
def jvp_pow(node: Expr, ds: Sequence[Diff]) -> Diff:
    base, p = node.args
    d_base, d_p = ds
    terms: list[Diff] = []
    if d_base is not None:  # d(x^p) = p x^(p-1) dx
        terms.append(c.mul(p, c.power(base, c.sub(p, c.const(1))), d_base))
    if d_p is not None:  # d(b^p) = log(b) b^p dp, for b > 0
        if base.op == "const" and base.value <= 0:
            raise DiffError(f"{node} is not a real function of its exponent (a base <= 0); "
                            "differentiate a positive base")
        terms.append(c.mul(c.fn("log", base), node, d_p))
    return _total(*terms)


@defjvp("fn")
def jvp_fn(node: Expr, ds: Sequence[Diff]) -> Diff:
    # chain rule through an elementwise function: d f(u) = f'(u) ⊙ du
    (du,) = ds
    return None if du is None else c.mul(derivative_of(node.attrs[0], node.args[0]), du)


@defjvp("matmul")
def jvp_matmul(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d(A B C) = dA B C + A dB C + A B dC   (MC 37)
    args = node.args
    return _total(*(None if d is None else c.matmul(*args[:i], d, *args[i + 1:])
                    for i, d in enumerate(ds)))


@defjvp("transpose", TR, "sum", DIAG, DIAGPART, VEC)
def jvp_linear(node: Expr, ds: Sequence[Diff]) -> Diff:
    # a linear map L: d L(X) = L(dX)   (d(X') = dX', d tr(X) = tr(dX), MC 100, ...)
    (d,) = ds
    return None if d is None else remake(node, (d,))


@defjvp(MEAN)
def jvp_mean(node: Expr, ds: Sequence[Diff]) -> Diff:
    (d,) = ds
    return None if d is None else mean(d)


@defjvp(RESHAPE, UNVEC)
def jvp_rearrange(node: Expr, ds: Sequence[Diff]) -> Diff:
    # rearranging entries is linear: rearrange the differential the same way
    (d,) = ds
    if d is None:
        return None
    if node.op == UNVEC:
        return c.unvec(d, node.shape[0], node.shape[1])
    return c.reshape(d, node.shape)


@defjvp("einsum")
def jvp_einsum(node: Expr, ds: Sequence[Diff]) -> Diff:
    # a contraction is linear in each operand
    args = node.args
    return _total(*(None if d is None else build_einsum(node.attrs[0], (*args[:i], d,
                                                                     *args[i + 1:]))
                    for i, d in enumerate(ds)))


@defjvp(KRON)
def jvp_kron(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d(A ⊗ B) = dA ⊗ B + A ⊗ dB   (MC 510, with the product rule)
    (a, b), (da, db) = node.args, ds
    return _total(None if da is None else c.kron(da, b), None if db is None else c.kron(a, db))


# ----------------------------------------------------------------------------------------
# matrix functions and reductions


def _inner(g: Expr, d: Expr) -> Expr:
    """``<g, d>``: ``g' @ d`` for vectors, ``tr(g' @ d)`` for matrices."""
    if g.ndim == 1:
        return c.matmul(c.transpose(g), d)
    return c.trace(c.matmul(c.transpose(g), d))


@defjvp(INV)
def jvp_inv(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d inv(X) = -inv(X) dX inv(X)   (MC 59)
    (d,) = ds
    return None if d is None else c.neg(c.matmul(node, d, node))


@defjvp(DET)
def jvp_det(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d det(X) = det(X) tr(inv(X) dX)   (MC 49)
    (d,) = ds
    return None if d is None else c.mul(node, c.trace(c.matmul(c.inv(node.args[0]), d)))


@defjvp(LOGDET)
def jvp_logdet(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d log|det X| = tr(inv(X) dX)   (MC 57)
    (d,) = ds
    return None if d is None else c.trace(c.matmul(c.inv(node.args[0]), d))


@defjvp("norm")
def jvp_norm(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d ||x|| = x' dx / ||x||   (MC 129; Frobenius: tr(X' dX) / ||X||_F)
    (d,) = ds
    return None if d is None else c.div(_inner(node.args[0], d), node)


@defjvp("norm1")
def jvp_norm1(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d ||x||_1 = sign(x)' dx where no entry is zero
    (d,) = ds
    return None if d is None else _inner(c.fn("sign", node.args[0]), d)


@defjvp("norminf")
def jvp_norminf(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d max|x_i| = sign(x_k) dx_k at the (unique) largest |x_k|
    (d,) = ds
    x = node.args[0]
    return None if d is None else _inner(c.mul(c.fn("sign", x), c.ismax(c.fn("abs", x))), d)


@defjvp(SOFTMAX)
def jvp_softmax(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d softmax(x) = s ⊙ dx - s (s' dx) with s = softmax(x)
    (d,) = ds
    return None if d is None else c.sub(c.mul(node, d), c.mul(_inner(node, d), node))


@defjvp(LOGSUMEXP)
def jvp_logsumexp(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d logsumexp(x) = softmax(x)' dx
    (d,) = ds
    return None if d is None else _inner(c.softmax(node.args[0]), d)


@defjvp(ISMAX, "zeros", "ones", "eye", "const", "dim", "var", COMMUTATION)
def jvp_constant(node: Expr, ds: Sequence[Diff]) -> Diff:
    # piecewise constant (or another variable): no differential where it is defined
    return None


# ----------------------------------------------------------------------------------------
# broadcasting and reductions along an axis (issue 12)


@defjvp(BROADCAST)
def jvp_broadcast(node: Expr, ds: Sequence[Diff]) -> Diff:
    # a vector applied to every row: its differential applied to every row
    (d,) = ds
    return None if d is None else broadcast(d, node.shape)


@defjvp(*axes.SUM_AXIS)
def jvp_sum_axis(node: Expr, ds: Sequence[Diff]) -> Diff:
    # a sum along an axis is linear: d sum(X, axis=k) = sum(dX, axis=k)
    (d,) = ds
    return None if d is None else remake(node, (d,))


def _axis(node: Expr) -> int:
    return 0 if node.op.endswith("0") else 1


@defjvp(axes.MAX)
def jvp_max(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d max(X) = dX_k at the (unique) largest entry k
    (d,) = ds
    return None if d is None else _inner(c.ismax(node.args[0]), d)


@defjvp(*axes.MAX_AXIS)
def jvp_max_axis(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d max(X, axis=k) = sum(ismax(X, axis=k) ⊙ dX, axis=k): each largest entry moves
    (d,) = ds
    k = _axis(node)
    return None if d is None else axes.sum_axis(c.mul(axes.ismax_axis(node.args[0], k), d), k)


@defjvp(*axes.LOGSUMEXP_AXIS)
def jvp_logsumexp_axis(node: Expr, ds: Sequence[Diff]) -> Diff:
    # d logsumexp(Z, axis=k) = sum(softmax(Z, axis=k) ⊙ dZ, axis=k)
    (d,) = ds
    k = _axis(node)
    return None if d is None else axes.sum_axis(c.mul(axes.softmax(node.args[0], k), d), k)


@defjvp(*axes.SOFTMAX_AXIS)
def jvp_softmax_axis(node: Expr, ds: Sequence[Diff]) -> Diff:
    # per row (column) s: ds = s ⊙ dz - s (s' dz); the sums of S ⊙ dZ along the axis scale
    # the rows (axis 1: diag(r) @ S) or the columns (axis 0: S @ diag(r))
    (d,) = ds
    if d is None:
        return None
    k = _axis(node)
    r = c.diag(axes.sum_axis(c.mul(node, d), k))
    return c.sub(c.mul(node, d), c.matmul(r, node) if k == 1 else c.matmul(node, r))


@defjvp(*axes.ISMAX_AXIS, PI)
def jvp_piecewise_constant(node: Expr, ds: Sequence[Diff]) -> Diff:
    return None
